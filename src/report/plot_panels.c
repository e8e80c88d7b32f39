// report: small multiples of grouped bars — one panel per category (e.g. a label), the same
// groups (regions) and series (gaze, methods) in each, one legend across the top.
#include "report/plot_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    PANEL_LEFT = 40,    // value ticks of a panel
    PANEL_RIGHT = 14,
    PANEL_TITLE = 18,   // the panel's title above its plot
    PANEL_PLOT_H = 120,
    PANEL_BELOW = 14,   // below the tick labels
    FIG_MARGIN = 10,
    FIG_TOP = 34,       // the figure's title
    LEGEND_ROW = 18,
};

typedef struct panels_ctx {
    const rp_panels *p;
    rp_ticks ticks;     // group names, shared by every panel
    int columns, rows;
    double panel_w, panel_h, legend_h;
} panels_ctx;

// Legend entries left to right, wrapping at width; returns the height taken (draws when cr).
static double panels_legend(cairo_t *cr, const rp_panels *p, double x0, double y0, double width) {
    cairo_t *m = cr ? cr : rp_measure_begin();
    rp_font(m, 10, 0);
    double x = x0, y = y0;
    for (int s = 0; s < p->n_series; s++) {
        double w = 14 + rp_text_width(m, p->series_names[s]) + 18;
        if (x > x0 && x + w > x0 + width) x = x0, y += LEGEND_ROW;
        if (cr) {
            rp_series_colour(cr, s);
            cairo_rectangle(cr, x, y, 10, 10);
            cairo_fill(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            rp_text_at(cr, x + 14, y + 5, 0, 0.5, p->series_names[s]);
        }
        x += w;
    }
    if (!cr) rp_measure_end(m);
    return y - y0 + LEGEND_ROW;
}

static void draw_panel(cairo_t *cr, const panels_ctx *c, int k, double px, double py) {
    const rp_panels *p = c->p;
    double x0 = px + PANEL_LEFT, x1 = px + c->panel_w - PANEL_RIGHT;
    double y0 = py + PANEL_TITLE, y1 = y0 + PANEL_PLOT_H, span = p->ymax - p->ymin;
    rp_font(cr, 10, 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    rp_text_at(cr, (x0 + x1) / 2, py + 2, 0.5, 0, p->panel_titles[k]);
    rp_font(cr, 9, 0);
    cairo_set_line_width(cr, 1);
    for (int q = 0; q <= 2; q++) { // ticks at min, middle, max
        double v = p->ymin + span * q / 2, y = y1 - (v - p->ymin) / span * (y1 - y0);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, x0, y);
        cairo_line_to(cr, x1, y);
        cairo_stroke(cr);
        char buf[32];
        snprintf(buf, sizeof buf, "%g", fabs(v) < 1e-12 ? 0.0 : v);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        rp_text_at(cr, x0 - 4, y, 1, 0.5, buf);
    }
    double gw = c->ticks.spacing, bw = gw * 0.84 / p->n_series;
    for (int g = 0; g < p->n_groups; g++)
        for (int s = 0; s < p->n_series; s++) {
            double v = p->values[((size_t)k * p->n_series + s) * p->n_groups + g];
            double x = x0 + g * gw + gw * 0.08 + s * bw;
            if (isnan(v)) {
                rp_font(cr, 8, 0);
                cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
                rp_text_at(cr, x + bw / 2, y1 - 1, 0.5, 1, RP_MISSING);
                continue;
            }
            v = fmin(fmax(v, p->ymin), p->ymax);
            double y = y1 - (v - p->ymin) / span * (y1 - y0);
            rp_series_colour(cr, s);
            cairo_rectangle(cr, x, y, bw * 0.9, y1 - y);
            cairo_fill(cr);
        }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x0, y1);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
    rp_ticks_draw(cr, &c->ticks, x0 + gw / 2, y1);
}

static void draw_panels(cairo_t *cr, double w, double h, const void *vctx) {
    const panels_ctx *c = vctx;
    rp_background(cr);
    rp_title(cr, w, c->p->title);
    panels_legend(cr, c->p, FIG_MARGIN + PANEL_LEFT, FIG_TOP, w - 2 * FIG_MARGIN - PANEL_LEFT);
    double top = FIG_TOP + c->legend_h + 4;
    for (int k = 0; k < c->p->n_panels; k++) {
        int row = k / c->columns, col = k % c->columns;
        draw_panel(cr, c, k, FIG_MARGIN + col * c->panel_w, top + row * c->panel_h);
    }
    if (c->p->ylabel) {
        rp_font(cr, 10, 0);
        cairo_set_source_rgb(cr, 0, 0, 0);
        for (int row = 0; row < c->rows; row++)
            rp_text_rotated(cr, FIG_MARGIN + 6,
                            top + row * c->panel_h + PANEL_TITLE + PANEL_PLOT_H / 2, c->p->ylabel);
    }
}

int rp_bar_panels(const char *path_noext, const rp_panels *p, cx_error *err) {
    if (p->n_panels < 1 || p->n_groups < 1 || p->n_series < 1 || !(p->ymax > p->ymin))
        return cx_fail(err, "%s: empty panel chart or bad axis range", path_noext);
    panels_ctx c = {.p = p};
    // Group spacing: room for the bars (5 points each) and for the names on one line, up to 90.
    double gw =
        fmax(10 + 5.0 * p->n_series, fmin(90, rp_ticks_level_spacing(p->n_groups, p->group_names)));
    rp_ticks_layout(&c.ticks, p->n_groups, p->group_names, gw);
    c.columns = p->columns > 0 ? p->columns : 4;
    if (c.columns > p->n_panels) c.columns = p->n_panels;
    c.rows = (p->n_panels + c.columns - 1) / c.columns;
    c.panel_w = PANEL_LEFT + p->n_groups * gw + PANEL_RIGHT;
    c.panel_h = PANEL_TITLE + PANEL_PLOT_H + c.ticks.depth + PANEL_BELOW;
    double w = fmax(2 * FIG_MARGIN + c.columns * c.panel_w, rp_title_width(p->title));
    c.legend_h = panels_legend(NULL, p, 0, 0, w - 2 * FIG_MARGIN - PANEL_LEFT);
    double h = FIG_TOP + c.legend_h + 4 + c.rows * c.panel_h + FIG_MARGIN;
    int rc = rp_render(path_noext, w, h, draw_panels, &c, err);
    rp_ticks_free(&c.ticks);
    return rc;
}
