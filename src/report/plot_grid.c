// report: the qualitative grid — rows of images (a title strip above each: label, probability),
// the radiograph first, then each map drawn in viridis over the radiograph, and a colour bar.
#include "report/plot_internal.h"

#include "attr/attr.h" // attr_viridis: the one colormap of overlays and figures

#include <math.h>
#include <string.h>

// A cairo image surface (S x S) of the radiograph with the map (values in [0,1]) blended over it:
// the map's value is also its opacity (times alpha), so low values leave the radiograph visible.
// The one place a grid draws a map.
static cairo_surface_t *overlay_surface(int S, const uint8_t *image, const float *map,
                                        double alpha) {
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
                double a = alpha * fmin(fmax(m, 0), 1);
                if (!image) a = 1;
                r = (1 - a) * g + a * c[0];
                gr = (1 - a) * g + a * c[1];
                b = (1 - a) * g + a * c[2];
            }
            uint32_t v =
                ((uint32_t)lrint(r) << 16) | ((uint32_t)lrint(gr) << 8) | (uint32_t)lrint(b);
            memcpy(px + (size_t)y * stride + 4 * x, &v, 4);
        }
    cairo_surface_mark_dirty(s);
    return s;
}

// Horizontal colour bar, value 0 at the left end, with its ends labelled.
static void colour_bar(cairo_t *cr, double x, double y, double w, double h) {
    for (int i = 0; i < (int)w; i++) {
        uint8_t c[3];
        attr_viridis(i / (w - 1), c);
        cairo_set_source_rgb(cr, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0);
        cairo_rectangle(cr, x + i, y, 1.2, h);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    rp_font(cr, 9, 0);
    rp_text_at(cr, x - 4, y + h / 2, 1, 0.5, "map 0");
    rp_text_at(cr, x + w + 4, y + h / 2, 0, 0.5, "1 (max)");
}

typedef struct grid_ctx {
    const char *title;
    int n_rows, n_cols, S;
    const char *const *row_titles, *const *col_titles;
    const uint8_t *const *images;
    const float *const *maps;
    double alpha;
    double col_font; // column titles: 10 pt bold, smaller when one is wider than a cell
} grid_ctx;

void rp_grid_cell_origin(int row, int col, double *x, double *y) {
    *x = RP_GRID_MARGIN + col * (RP_GRID_CELL + RP_GRID_PAD);
    *y = RP_GRID_TOP + row * (RP_GRID_ROW_TITLE + RP_GRID_CELL + RP_GRID_PAD) + RP_GRID_ROW_TITLE;
}

static void draw_grid(cairo_t *cr, double w, double h, const void *vctx) {
    const grid_ctx *c = vctx;
    rp_background(cr);
    rp_title(cr, w, c->title);
    rp_font(cr, c->col_font, 1);
    for (int col = 0; col <= c->n_cols; col++) {
        double x, y;
        rp_grid_cell_origin(0, col, &x, &y);
        rp_text_at(cr, x + RP_GRID_CELL / 2, RP_GRID_TOP - 4, 0.5, 1,
                   c->col_titles[col] ? c->col_titles[col] : "");
    }
    for (int r = 0; r < c->n_rows; r++) {
        double x, y;
        rp_grid_cell_origin(r, 0, &x, &y);
        rp_font(cr, 10, 0);
        cairo_set_source_rgb(cr, 0, 0, 0);
        rp_text_at(cr, x + 2, y - 3, 0, 1, c->row_titles[r] ? c->row_titles[r] : "");
        for (int col = 0; col <= c->n_cols; col++) {
            const float *m = col ? c->maps[(size_t)r * c->n_cols + col - 1] : NULL;
            rp_grid_cell_origin(r, col, &x, &y);
            if (col && !m) {
                rp_font(cr, 12, 0);
                cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
                rp_text_at(cr, x + RP_GRID_CELL / 2, y + RP_GRID_CELL / 2, 0.5, 0.5, RP_MISSING);
                continue;
            }
            cairo_surface_t *s = overlay_surface(c->S, c->images[r], m, c->alpha);
            cairo_save(cr);
            cairo_translate(cr, x, y);
            cairo_scale(cr, (double)RP_GRID_CELL / c->S, (double)RP_GRID_CELL / c->S);
            // Edges padded, not blended with the background; the cell is filled, not the page.
            cairo_set_source_surface(cr, s, 0, 0);
            cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
            cairo_rectangle(cr, 0, 0, c->S, c->S);
            cairo_fill(cr);
            cairo_restore(cr);
            cairo_surface_destroy(s);
        }
    }
    colour_bar(cr, w - RP_GRID_MARGIN - 60 - 200, h - 22, 200, 10);
}

int rp_image_grid(const char *path_noext, const char *t, int n_rows, int n_map_cols, int S,
                  const char *const *row_titles, const char *const *col_titles,
                  const uint8_t *const *images, const float *const *maps, double alpha,
                  cx_error *err) {
    if (n_rows < 1 || n_map_cols < 0 || S < 1)
        return cx_fail(err, "%s: empty image grid", path_noext);
    grid_ctx c = {t, n_rows, n_map_cols, S, row_titles, col_titles, images, maps, alpha, 10};
    cairo_t *cr = rp_measure_begin();
    for (int col = 0; col <= n_map_cols; col++)
        for (; c.col_font > 6; c.col_font -= 0.5) {
            rp_font(cr, c.col_font, 1);
            if (rp_text_width(cr, col_titles[col] ? col_titles[col] : "") <= RP_GRID_CELL - 4)
                break;
        }
    rp_measure_end(cr);
    double x, y;
    rp_grid_cell_origin(n_rows - 1, n_map_cols, &x, &y);
    double w = fmax(fmax(x + RP_GRID_CELL + RP_GRID_MARGIN, 520), rp_title_width(t)),
           h = y + RP_GRID_CELL + 36;
    return rp_render(path_noext, w, h, draw_grid, &c, err);
}
