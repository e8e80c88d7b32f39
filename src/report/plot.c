// report: charts with cairo (grouped bars, lines, forest plot), each rendered to PNG and SVG from
// one drawing function, written atomically.
#include "report/report.h"

#include "attr/attr.h" // attr_viridis: the one colormap of overlays and figures

#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <string.h>

// ---- rendering to PNG + SVG -------------------------------------------------------------------
typedef void (*draw_fn)(cairo_t *cr, double w, double h, const void *ctx);

static cairo_status_t write_stream(void *closure, const unsigned char *data, unsigned int len) {
    FILE *f = closure;
    return fwrite(data, 1, len, f) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

// Renders draw() at w x h points into <path_noext>.png (2x pixels for sharpness) and .svg.
static int render(const char *path_noext, double w, double h, draw_fn draw, const void *ctx,
                  cx_error *err) {
    char path[4200];
    cx_atomic_file af;
    snprintf(path, sizeof path, "%s.png", path_noext);
    if (cx_atomic_open(&af, path, err)) return -1;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)(2 * w), (int)(2 * h));
    cairo_t *cr = cairo_create(img);
    cairo_scale(cr, 2, 2);
    draw(cr, w, h, ctx);
    cairo_destroy(cr);
    cairo_status_t st = cairo_surface_write_to_png_stream(img, write_stream, af.f);
    cairo_surface_destroy(img);
    if (st != CAIRO_STATUS_SUCCESS) {
        cx_atomic_abort(&af);
        return cx_fail(err, "%s: cannot write PNG: %s", path, cairo_status_to_string(st));
    }
    if (cx_atomic_commit(&af, err)) return -1;

    snprintf(path, sizeof path, "%s.svg", path_noext);
    if (cx_atomic_open(&af, path, err)) return -1;
    cairo_surface_t *svg = cairo_svg_surface_create_for_stream(write_stream, af.f, w, h);
    cr = cairo_create(svg);
    draw(cr, w, h, ctx);
    cairo_destroy(cr);
    cairo_surface_finish(svg);
    st = cairo_surface_status(svg);
    cairo_surface_destroy(svg);
    if (st != CAIRO_STATUS_SUCCESS) {
        cx_atomic_abort(&af);
        return cx_fail(err, "%s: cannot write SVG: %s", path, cairo_status_to_string(st));
    }
    return cx_atomic_commit(&af, err);
}

// ---- shared drawing helpers ----------------------------------------------------------------
// A qualitative palette (Okabe-Ito, colour-blind safe) for series.
static const double palette[8][3] = {
    {0.00, 0.45, 0.70}, {0.90, 0.62, 0.00}, {0.00, 0.62, 0.45}, {0.80, 0.47, 0.65},
    {0.34, 0.71, 0.91}, {0.84, 0.37, 0.00}, {0.94, 0.89, 0.26}, {0.30, 0.30, 0.30},
};
static void set_series_colour(cairo_t *cr, int i) {
    const double *c = palette[i % 8];
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
}

static void font(cairo_t *cr, double size, int bold) {
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

// Text anchored at (x, y): ax 0 left, 0.5 centre, 1 right; ay likewise from top to bottom.
static void text_at(cairo_t *cr, double x, double y, double ax, double ay, const char *s) {
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    cairo_move_to(cr, x - ax * te.x_advance, y - te.y_bearing - ay * te.height);
    cairo_show_text(cr, s);
}

static void text_rotated(cairo_t *cr, double x, double y, const char *s) {
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -M_PI / 2);
    text_at(cr, 0, 0, 0.5, 0.5, s);
    cairo_restore(cr);
}

static void background(cairo_t *cr) {
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

typedef struct frame {
    double x0, y0, x1, y1; // plot area in points
    double vmin, vmax;     // value axis range
} frame;

// Value axis on the left (vertical) with ~5 ticks and light grid lines.
static void value_axis_y(cairo_t *cr, const frame *f, const char *label) {
    font(cr, 10, 0);
    double span = f->vmax - f->vmin, step = pow(10, floor(log10(span / 5)));
    if (span / step > 10) step *= 2;
    if (span / step > 10) step *= 2.5;
    for (double v = ceil(f->vmin / step) * step; v <= f->vmax + 1e-9 * span; v += step) {
        double y = f->y1 - (v - f->vmin) / span * (f->y1 - f->y0);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, f->x0, y);
        cairo_line_to(cr, f->x1, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        char buf[32];
        snprintf(buf, sizeof buf, "%g", fabs(v) < 1e-12 ? 0.0 : v);
        text_at(cr, f->x0 - 6, y, 1, 0.5, buf);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, f->x0, f->y0);
    cairo_line_to(cr, f->x0, f->y1);
    cairo_line_to(cr, f->x1, f->y1);
    cairo_stroke(cr);
    if (label) text_rotated(cr, f->x0 - 44, (f->y0 + f->y1) / 2, label);
}

static void legend(cairo_t *cr, double x, double y, int n, const rp_series *s) {
    font(cr, 10, 0);
    for (int i = 0; i < n; i++) {
        set_series_colour(cr, i);
        cairo_rectangle(cr, x, y + 16 * i, 10, 10);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, x + 14, y + 16 * i + 5, 0, 0.5, s[i].name ? s[i].name : "");
    }
}

static void title(cairo_t *cr, double w, const char *t) {
    font(cr, 13, 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, w / 2, 10, 0.5, 0, t ? t : "");
}

static double value_y(const frame *f, double v) {
    if (v < f->vmin) v = f->vmin;
    if (v > f->vmax) v = f->vmax;
    return f->y1 - (v - f->vmin) / (f->vmax - f->vmin) * (f->y1 - f->y0);
}

// ---- charts of categories: grouped bars, lines, forest plot --------------------------------
// What the three share: categories (bar groups, x positions, forest rows), each with one value per
// series, on one value axis.
typedef struct chart {
    const char *title, *cat_label, *value_label; // axis titles (NULL: none)
    int n_cats, n_series;
    const char *const *cats;
    const rp_series *series;
    double vmin, vmax; // value axis range
} chart;

static int chart_check(const chart *c, const char *path_noext, const char *kind, cx_error *err) {
    if (c->n_cats < 1 || c->n_series < 1 || !(c->vmax > c->vmin))
        return cx_fail(err, "%s: empty %s or bad axis range", path_noext, kind);
    return 0;
}

// Background, title and the value axis on the left of a chart with vertical values, whose
// category names take `bottom` points below the plot area. Returns the plot area.
static frame vertical_chart_frame(cairo_t *cr, double w, double h, double bottom, const chart *c) {
    background(cr);
    title(cr, w, c->title);
    frame f = {70, 40, w - 170, h - bottom, c->vmin, c->vmax};
    value_axis_y(cr, &f, c->value_label);
    return f;
}

// ---- grouped bars --------------------------------------------------------------------------
static void draw_bars(cairo_t *cr, double w, double h, const void *vctx) {
    const chart *c = vctx;
    frame f = vertical_chart_frame(cr, w, h, 50, c);
    double gw = (f.x1 - f.x0) / c->n_cats, bw = gw * 0.8 / c->n_series;
    cairo_set_line_width(cr, 1);
    for (int g = 0; g < c->n_cats; g++) {
        for (int s = 0; s < c->n_series; s++) {
            double v = c->series[s].values[g];
            if (isnan(v)) continue;
            double x = f.x0 + g * gw + gw * 0.1 + s * bw, y = value_y(&f, v), y0 = value_y(&f, fmax(0, f.vmin));
            set_series_colour(cr, s);
            cairo_rectangle(cr, x, fmin(y, y0), bw * 0.92, fabs(y0 - y));
            cairo_fill(cr);
            if (c->series[s].lo && c->series[s].hi && !isnan(c->series[s].lo[g])) {
                cairo_set_source_rgb(cr, 0, 0, 0);
                double xc = x + bw * 0.46;
                cairo_move_to(cr, xc, value_y(&f, c->series[s].lo[g]));
                cairo_line_to(cr, xc, value_y(&f, c->series[s].hi[g]));
                cairo_stroke(cr);
            }
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        font(cr, 10, 0);
        text_at(cr, f.x0 + (g + 0.5) * gw, f.y1 + 8, 0.5, 0, c->cats[g]);
    }
    legend(cr, f.x1 + 14, f.y0, c->n_series, c->series);
}

int rp_grouped_bars(const char *path_noext, const char *t, const char *ylabel, int n_groups,
                    const char *const *group_names, int n_series, const rp_series *series,
                    double ymin, double ymax, cx_error *err) {
    chart c = {t, NULL, ylabel, n_groups, n_series, group_names, series, ymin, ymax};
    if (chart_check(&c, path_noext, "bar chart", err)) return -1;
    double w = 240 + fmax(360, n_groups * (24 + 14.0 * n_series));
    return render(path_noext, w, 340, draw_bars, &c, err);
}

// ---- lines ------------------------------------------------------------------------------------
static void draw_lines(cairo_t *cr, double w, double h, const void *vctx) {
    const chart *c = vctx;
    frame f = vertical_chart_frame(cr, w, h, 110, c);
    double dx = c->n_cats > 1 ? (f.x1 - f.x0 - 20) / (c->n_cats - 1) : 0;
    font(cr, 9, 0);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int i = 0; i < c->n_cats; i++) {
        cairo_save(cr);
        cairo_translate(cr, f.x0 + 10 + i * dx, f.y1 + 6);
        cairo_rotate(cr, M_PI / 4);
        text_at(cr, 0, 0, 0, 0.5, c->cats[i]);
        cairo_restore(cr);
    }
    if (c->cat_label) {
        font(cr, 10, 0);
        text_at(cr, (f.x0 + f.x1) / 2, h - 14, 0.5, 1, c->cat_label);
    }
    cairo_set_line_width(cr, 1.6);
    for (int s = 0; s < c->n_series; s++) {
        set_series_colour(cr, s);
        int pen = 0;
        for (int i = 0; i < c->n_cats; i++) {
            double v = c->series[s].values[i];
            if (isnan(v)) {
                pen = 0;
                continue;
            }
            double x = f.x0 + 10 + i * dx, y = value_y(&f, v);
            if (pen) cairo_line_to(cr, x, y);
            else cairo_move_to(cr, x, y);
            pen = 1;
        }
        cairo_stroke(cr);
        for (int i = 0; i < c->n_cats; i++) {
            double v = c->series[s].values[i];
            if (isnan(v)) continue;
            cairo_arc(cr, f.x0 + 10 + i * dx, value_y(&f, v), 2.5, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    }
    legend(cr, f.x1 + 14, f.y0, c->n_series, c->series);
}

int rp_lines(const char *path_noext, const char *t, const char *xlabel, const char *ylabel,
             int n_x, const char *const *x_names, int n_series, const rp_series *series,
             double ymin, double ymax, cx_error *err) {
    chart c = {t, xlabel, ylabel, n_x, n_series, x_names, series, ymin, ymax};
    if (chart_check(&c, path_noext, "line chart", err)) return -1;
    return render(path_noext, 260 + fmax(320, 40.0 * n_x), 380, draw_lines, &c, err);
}

// ---- forest plot: one row per category, values on the horizontal axis ----------------------
static void draw_forest(cairo_t *cr, double w, double h, const void *vctx) {
    const chart *c = vctx;
    background(cr);
    title(cr, w, c->title);
    double x0 = 190, x1 = w - 170, y0 = 40, y1 = h - 50;
    double rh = (y1 - y0) / c->n_cats, span = c->vmax - c->vmin;
    font(cr, 10, 0);
    for (double v = ceil(c->vmin * 10) / 10; v <= c->vmax + 1e-9; v += 0.1) {
        double x = x0 + (v - c->vmin) / span * (x1 - x0);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, x, y0);
        cairo_line_to(cr, x, y1);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        char buf[16];
        snprintf(buf, sizeof buf, "%.1f", v);
        text_at(cr, x, y1 + 6, 0.5, 0, buf);
    }
    if (c->value_label) text_at(cr, (x0 + x1) / 2, h - 14, 0.5, 1, c->value_label);
    for (int r = 0; r < c->n_cats; r++) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, x0 - 8, y0 + (r + 0.5) * rh, 1, 0.5, c->cats[r]);
        for (int s = 0; s < c->n_series; s++) {
            double v = c->series[s].values[r];
            if (isnan(v)) continue;
            double y = y0 + r * rh + rh * (s + 1) / (c->n_series + 1);
            double xv = x0 + (fmin(fmax(v, c->vmin), c->vmax) - c->vmin) / span * (x1 - x0);
            set_series_colour(cr, s);
            if (c->series[s].lo && !isnan(c->series[s].lo[r])) {
                double xl = x0 + (fmax(c->series[s].lo[r], c->vmin) - c->vmin) / span * (x1 - x0);
                double xh = x0 + (fmin(c->series[s].hi[r], c->vmax) - c->vmin) / span * (x1 - x0);
                cairo_set_line_width(cr, 1.4);
                cairo_move_to(cr, xl, y);
                cairo_line_to(cr, xh, y);
                cairo_stroke(cr);
            }
            cairo_arc(cr, xv, y, 3, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    legend(cr, x1 + 14, y0, c->n_series, c->series);
}

int rp_forest(const char *path_noext, const char *t, const char *xlabel, int n_rows,
              const char *const *row_names, int n_series, const rp_series *series, double xmin,
              double xmax, cx_error *err) {
    chart c = {t, NULL, xlabel, n_rows, n_series, row_names, series, xmin, xmax};
    if (chart_check(&c, path_noext, "forest plot", err)) return -1;
    return render(path_noext, 640, 100 + n_rows * (10 + 10.0 * n_series), draw_forest, &c, err);
}

// ---- image grid and overlays --------------------------------------------------------------------
// Builds a cairo image surface (S x S) of the radiograph with the map blended over it in viridis.
static cairo_surface_t *overlay_surface(int S, const uint8_t *image, const float *map, double alpha) {
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, S, S);
    cairo_surface_flush(s);
    unsigned char *px = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            double g = image ? image[(size_t)y * S + x] : 0;
            double r = g, gr = g, b = g;
            if (map) {
                uint8_t c[3];
                double m = map[(size_t)y * S + x];
                attr_viridis(m, c);
                double a = alpha * fmin(fmax(m, 0), 1); // low values leave the radiograph visible
                if (!image) a = 1;
                r = (1 - a) * g + a * c[0];
                gr = (1 - a) * g + a * c[1];
                b = (1 - a) * g + a * c[2];
            }
            uint32_t v = ((uint32_t)lrint(r) << 16) | ((uint32_t)lrint(gr) << 8) | (uint32_t)lrint(b);
            memcpy(px + (size_t)y * stride + 4 * x, &v, 4);
        }
    cairo_surface_mark_dirty(s);
    return s;
}

static void colour_bar(cairo_t *cr, double x, double y, double w, double h) {
    for (int i = 0; i < (int)h; i++) {
        uint8_t c[3];
        attr_viridis(1.0 - i / (h - 1), c);
        cairo_set_source_rgb(cr, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0);
        cairo_rectangle(cr, x, y + i, w, 1.2);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    font(cr, 9, 0);
    text_at(cr, x + w + 4, y, 0, 0.5, "1 (max)");
    text_at(cr, x + w + 4, y + h, 0, 0.5, "0");
}

typedef struct grid_ctx {
    const char *title;
    int n_rows, n_cols, S;
    const char *const *row_titles, *const *col_titles;
    const uint8_t *const *images;
    const float *const *maps;
    double alpha, cell, x0; // x0: left margin, fits the longest row title
} grid_ctx;

static void draw_grid(cairo_t *cr, double w, double h, const void *vctx) {
    const grid_ctx *c = vctx;
    background(cr);
    title(cr, w, c->title);
    double x0 = c->x0, y0 = 56, cell = c->cell, pad = 4;
    font(cr, 10, 1);
    for (int col = 0; col <= c->n_cols; col++)
        text_at(cr, x0 + col * (cell + pad) + cell / 2, y0 - 8, 0.5, 1,
                c->col_titles[col] ? c->col_titles[col] : "");
    for (int r = 0; r < c->n_rows; r++) {
        double y = y0 + r * (cell + pad);
        font(cr, 9, 0);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, x0 - 6, y + cell / 2, 1, 0.5, c->row_titles[r] ? c->row_titles[r] : "");
        for (int col = 0; col <= c->n_cols; col++) {
            const float *m = col ? c->maps[(size_t)r * c->n_cols + col - 1] : NULL;
            if (col && !m) continue;
            cairo_surface_t *s = overlay_surface(c->S, c->images[r], m, c->alpha);
            cairo_save(cr);
            cairo_translate(cr, x0 + col * (cell + pad), y);
            cairo_scale(cr, cell / c->S, cell / c->S);
            cairo_set_source_surface(cr, s, 0, 0);
            cairo_paint(cr);
            cairo_restore(cr);
            cairo_surface_destroy(s);
        }
    }
    colour_bar(cr, w - 60, y0, 12, fmin(200, h - y0 - 20));
}

int rp_image_grid(const char *path_noext, const char *t, int n_rows, int n_map_cols, int S,
                  const char *const *row_titles, const char *const *col_titles,
                  const uint8_t *const *images, const float *const *maps, double alpha,
                  cx_error *err) {
    if (n_rows < 1 || n_map_cols < 0 || S < 1)
        return cx_fail(err, "%s: empty image grid", path_noext);
    grid_ctx c = {t, n_rows, n_map_cols, S, row_titles, col_titles, images, maps, alpha, 112, 40};
    // Measure the row titles once on a scratch surface to size the left margin.
    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(scratch);
    font(cr, 9, 0);
    for (int r = 0; r < n_rows; r++) {
        cairo_text_extents_t te;
        cairo_text_extents(cr, row_titles[r] ? row_titles[r] : "", &te);
        c.x0 = fmax(c.x0, te.x_advance + 16);
    }
    cairo_destroy(cr);
    cairo_surface_destroy(scratch);
    double w = c.x0 + (n_map_cols + 1) * (c.cell + 4) + 90;
    double h = 56 + n_rows * (c.cell + 4) + 16;
    if (h < 290) h = 290;
    return render(path_noext, w, h, draw_grid, &c, err);
}
