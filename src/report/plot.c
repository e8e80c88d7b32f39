// report: charts with cairo (grouped bars, lines, forest plot), each rendered to PNG and SVG from
// one drawing function, written atomically; the drawing helpers every figure shares.
#include "report/plot_internal.h"

#include "attr/attr.h" // attr_viridis: the one colormap of overlays and figures

#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <string.h>

// ---- rendering to PNG + SVG -------------------------------------------------------------------
static cairo_status_t write_stream(void *closure, const unsigned char *data, unsigned int len) {
    FILE *f = closure;
    return fwrite(data, 1, len, f) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

// PNG at RP_PNG_SCALE pixels per point (sharp on high-density screens; the report shows it at
// w points), SVG at w x h points.
int rp_render(const char *path_noext, double w, double h, rp_draw_fn draw, const void *ctx,
              cx_error *err) {
    char path[4200];
    cx_atomic_file af;
    snprintf(path, sizeof path, "%s.png", path_noext);
    if (cx_atomic_open(&af, path, err)) return -1;
    cairo_surface_t *img = cairo_image_surface_create(
        CAIRO_FORMAT_ARGB32, (int)ceil(RP_PNG_SCALE * w), (int)ceil(RP_PNG_SCALE * h));
    cairo_t *cr = cairo_create(img);
    cairo_scale(cr, RP_PNG_SCALE, RP_PNG_SCALE);
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
void rp_series_colour(cairo_t *cr, int i) {
    const double *c = palette[i % 8];
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
}

void rp_font(cairo_t *cr, double size, int bold) {
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

void rp_text_at(cairo_t *cr, double x, double y, double ax, double ay, const char *s) {
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    cairo_move_to(cr, x - ax * te.x_advance, y - te.y_bearing - ay * te.height);
    cairo_show_text(cr, s);
}

void rp_text_rotated(cairo_t *cr, double x, double y, const char *s) {
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -M_PI / 2);
    rp_text_at(cr, 0, 0, 0.5, 0.5, s);
    cairo_restore(cr);
}

void rp_background(cairo_t *cr) {
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
    rp_font(cr, 10, 0);
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
        rp_text_at(cr, f->x0 - 6, y, 1, 0.5, buf);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, f->x0, f->y0);
    cairo_line_to(cr, f->x0, f->y1);
    cairo_line_to(cr, f->x1, f->y1);
    cairo_stroke(cr);
    if (label) rp_text_rotated(cr, f->x0 - 44, (f->y0 + f->y1) / 2, label);
}

static void legend(cairo_t *cr, double x, double y, int n, const rp_series *s) {
    rp_font(cr, 10, 0);
    for (int i = 0; i < n; i++) {
        rp_series_colour(cr, i);
        cairo_rectangle(cr, x, y + 16 * i, 10, 10);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        rp_text_at(cr, x + 14, y + 16 * i + 5, 0, 0.5, s[i].name ? s[i].name : "");
    }
}

// Points right of the plot area a legend of these series takes.
static double legend_width(int n, const rp_series *s) {
    cairo_t *cr = rp_measure_begin();
    rp_font(cr, 10, 0);
    double w = 0;
    for (int i = 0; i < n; i++) w = fmax(w, rp_text_width(cr, s[i].name ? s[i].name : ""));
    rp_measure_end(cr);
    return 14 + 14 + w + 16;
}

double rp_title_width(const char *t) {
    cairo_t *cr = rp_measure_begin();
    rp_font(cr, 13, 1);
    double w = rp_text_width(cr, t ? t : "") + 24;
    rp_measure_end(cr);
    return w;
}

void rp_title(cairo_t *cr, double w, const char *t) {
    rp_font(cr, 13, 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    rp_text_at(cr, w / 2, 10, 0.5, 0, t ? t : "");
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

// The layout of a chart with vertical values: plot area, category ticks below it, legend right.
enum { CHART_LEFT = 70, CHART_TOP = 40, CHART_PLOT_H = 250, CHART_BELOW = 12 };
typedef struct chart_layout {
    frame f;
    rp_ticks ticks;
    double first_tick;      // x of category 0
    double w, h;            // the figure, points
} chart_layout;

// cat_span: points the categories take on the x axis (ticks spacing apart, the first at
// cat_inset); xlabel: room for an axis title below the tick labels.
static void chart_layout_make(chart_layout *L, const chart *c, double spacing, double cat_inset,
                              double cat_span) {
    rp_ticks_layout(&L->ticks, c->n_cats, c->cats, spacing);
    double legend_w = legend_width(c->n_series, c->series);
    L->w = fmax(CHART_LEFT + cat_span + legend_w, rp_title_width(c->title));
    L->f = (frame){CHART_LEFT, CHART_TOP, CHART_LEFT + cat_span, CHART_TOP + CHART_PLOT_H, c->vmin,
                   c->vmax};
    L->first_tick = CHART_LEFT + cat_inset;
    L->h = L->f.y1 + L->ticks.depth + CHART_BELOW + (c->cat_label ? 18 : 0);
}

// Background, title, value axis, category labels (and their axis title).
static void chart_frame_draw(cairo_t *cr, const chart_layout *L, const chart *c) {
    rp_background(cr);
    rp_title(cr, L->w, c->title);
    value_axis_y(cr, &L->f, c->value_label);
    rp_ticks_draw(cr, &L->ticks, L->first_tick, L->f.y1);
    if (c->cat_label) {
        rp_font(cr, 10, 0);
        cairo_set_source_rgb(cr, 0, 0, 0);
        rp_text_at(cr, (L->f.x0 + L->f.x1) / 2, L->h - 6, 0.5, 1, c->cat_label);
    }
    legend(cr, L->f.x1 + 14, L->f.y0, c->n_series, c->series);
}

// The em dash where a value is missing, just above the axis at x.
static void missing_mark(cairo_t *cr, const frame *f, double x) {
    rp_font(cr, 9, 0);
    cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
    rp_text_at(cr, x, value_y(f, fmax(0, f->vmin)) - 2, 0.5, 1, RP_MISSING);
}

// ---- grouped bars --------------------------------------------------------------------------
typedef struct bars_ctx {
    const chart *c;
    chart_layout L;
    const rp_band *band; // NULL: none
} bars_ctx;

// The band: shaded lo..hi across the plot area, a dashed line at value, its label above the line
// at the right end.
static void band_draw(cairo_t *cr, const frame *f, const rp_band *b) {
    if (!isfinite(b->value)) return;
    if (isfinite(b->lo) && isfinite(b->hi)) {
        double ylo = value_y(f, b->lo), yhi = value_y(f, b->hi);
        cairo_set_source_rgba(cr, 0.35, 0.35, 0.35, 0.18);
        cairo_rectangle(cr, f->x0, fmin(ylo, yhi), f->x1 - f->x0, fabs(ylo - yhi));
        cairo_fill(cr);
    }
    double y = value_y(f, b->value), dash[2] = {5, 3};
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    cairo_set_line_width(cr, 1.2);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_move_to(cr, f->x0, y);
    cairo_line_to(cr, f->x1, y);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    if (b->label) {
        rp_font(cr, 9, 0);
        rp_text_at(cr, f->x1 - 4, y - 3, 1, 1, b->label);
    }
}

static void draw_bars(cairo_t *cr, double w, double h, const void *vctx) {
    const bars_ctx *b = vctx;
    const chart *c = b->c;
    const frame *f = &b->L.f;
    chart_frame_draw(cr, &b->L, c);
    if (b->band) band_draw(cr, f, b->band);
    double gw = b->L.ticks.spacing, bw = gw * 0.8 / c->n_series;
    cairo_set_line_width(cr, 1);
    for (int g = 0; g < c->n_cats; g++) {
        for (int s = 0; s < c->n_series; s++) {
            double v = c->series[s].values[g];
            double x = f->x0 + g * gw + gw * 0.1 + s * bw, y0 = value_y(f, fmax(0, f->vmin));
            if (isnan(v)) {
                missing_mark(cr, f, x + bw * 0.46);
                continue;
            }
            double y = value_y(f, v);
            rp_series_colour(cr, s);
            cairo_rectangle(cr, x, fmin(y, y0), bw * 0.92, fabs(y0 - y));
            cairo_fill(cr);
            if (c->series[s].lo && c->series[s].hi && !isnan(c->series[s].lo[g])) {
                cairo_set_source_rgb(cr, 0, 0, 0);
                double xc = x + bw * 0.46;
                cairo_move_to(cr, xc, value_y(f, c->series[s].lo[g]));
                cairo_line_to(cr, xc, value_y(f, c->series[s].hi[g]));
                cairo_stroke(cr);
            }
        }
    }
}

// Wide enough for the bars and, up to 120 points, for the names on one line (else for the
// longest word, the names then wrapped); tighter spacings rotate the names (rp_ticks_layout).
double rp_grouped_bars_spacing(int n_groups, const char *const *names, int n_series) {
    double level = rp_ticks_level_spacing(n_groups, names);
    double want = level <= 120 ? level : fmin(120, rp_ticks_widest_word(n_groups, names) + 8);
    return fmax(fmax(360.0 / n_groups, 24 + 14.0 * n_series), want);
}

int rp_grouped_bars(const char *path_noext, const char *t, const char *ylabel, int n_groups,
                    const char *const *group_names, int n_series, const rp_series *series,
                    double ymin, double ymax, cx_error *err) {
    return rp_grouped_bars_band(path_noext, t, ylabel, n_groups, group_names, n_series, series,
                                ymin, ymax, NULL, err);
}

int rp_grouped_bars_band(const char *path_noext, const char *t, const char *ylabel, int n_groups,
                         const char *const *group_names, int n_series, const rp_series *series,
                         double ymin, double ymax, const rp_band *band, cx_error *err) {
    chart c = {t, NULL, ylabel, n_groups, n_series, group_names, series, ymin, ymax};
    if (chart_check(&c, path_noext, "bar chart", err)) return -1;
    bars_ctx b = {.c = &c, .band = band};
    double gw = rp_grouped_bars_spacing(n_groups, group_names, n_series);
    chart_layout_make(&b.L, &c, gw, gw / 2, n_groups * gw);
    int rc = rp_render(path_noext, b.L.w, b.L.h, draw_bars, &b, err);
    rp_ticks_free(&b.L.ticks);
    return rc;
}

// ---- lines ------------------------------------------------------------------------------------
static void draw_lines(cairo_t *cr, double w, double h, const void *vctx) {
    const bars_ctx *b = vctx;
    const chart *c = b->c;
    const frame *f = &b->L.f;
    chart_frame_draw(cr, &b->L, c);
    double dx = b->L.ticks.spacing, x0 = b->L.first_tick;
    cairo_set_line_width(cr, 1.6);
    for (int s = 0; s < c->n_series; s++) {
        rp_series_colour(cr, s);
        int pen = 0;
        for (int i = 0; i < c->n_cats; i++) {
            double v = c->series[s].values[i];
            if (isnan(v)) {
                pen = 0;
                continue;
            }
            double x = x0 + i * dx, y = value_y(f, v);
            if (pen) cairo_line_to(cr, x, y);
            else cairo_move_to(cr, x, y);
            pen = 1;
        }
        cairo_stroke(cr);
        for (int i = 0; i < c->n_cats; i++) {
            double v = c->series[s].values[i];
            if (isnan(v)) continue;
            cairo_arc(cr, x0 + i * dx, value_y(f, v), 2.5, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    }
}

int rp_lines(const char *path_noext, const char *t, const char *xlabel, const char *ylabel,
             int n_x, const char *const *x_names, int n_series, const rp_series *series,
             double ymin, double ymax, cx_error *err) {
    chart c = {t, xlabel, ylabel, n_x, n_series, x_names, series, ymin, ymax};
    if (chart_check(&c, path_noext, "line chart", err)) return -1;
    bars_ctx b = {.c = &c};
    double dx = n_x > 1 ? fmax(300.0 / (n_x - 1), 36) : 0, span = 20 + (n_x - 1) * dx;
    if (n_x > 60) dx = 600.0 / (n_x - 1), span = 620; // long runs: ticks thinned by the layout
    chart_layout_make(&b.L, &c, dx > 0 ? dx : 40, 10, span);
    int rc = rp_render(path_noext, b.L.w, b.L.h, draw_lines, &b, err);
    rp_ticks_free(&b.L.ticks);
    return rc;
}

// ---- forest plot: one row per category, values on the horizontal axis ----------------------
static void draw_forest(cairo_t *cr, double w, double h, const void *vctx) {
    const chart *c = vctx;
    rp_background(cr);
    rp_title(cr, w, c->title);
    double x0 = 190, x1 = w - 170, y0 = 40, y1 = h - 50;
    double rh = (y1 - y0) / c->n_cats, span = c->vmax - c->vmin;
    rp_font(cr, 10, 0);
    for (double v = ceil(c->vmin * 10) / 10; v <= c->vmax + 1e-9; v += 0.1) {
        double x = x0 + (v - c->vmin) / span * (x1 - x0);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, x, y0);
        cairo_line_to(cr, x, y1);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        char buf[16];
        snprintf(buf, sizeof buf, "%.1f", v);
        rp_text_at(cr, x, y1 + 6, 0.5, 0, buf);
    }
    if (c->value_label) rp_text_at(cr, (x0 + x1) / 2, h - 14, 0.5, 1, c->value_label);
    for (int r = 0; r < c->n_cats; r++) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        rp_text_at(cr, x0 - 8, y0 + (r + 0.5) * rh, 1, 0.5, c->cats[r]);
        for (int s = 0; s < c->n_series; s++) {
            double v = c->series[s].values[r];
            double y = y0 + r * rh + rh * (s + 1) / (c->n_series + 1);
            if (isnan(v)) {
                rp_font(cr, 9, 0);
                cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
                rp_text_at(cr, x0 + 4, y, 0, 0.5, RP_MISSING);
                continue;
            }
            double xv = x0 + (fmin(fmax(v, c->vmin), c->vmax) - c->vmin) / span * (x1 - x0);
            rp_series_colour(cr, s);
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
    return rp_render(path_noext, fmax(640, rp_title_width(t)),
                     100 + n_rows * (10 + 10.0 * n_series), draw_forest, &c, err);
}

