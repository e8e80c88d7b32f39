// report: drawing helpers shared by the figure files (plot.c, plot_ticks.c, plot_panels.c,
// plot_grid.c). Private to report/.
#ifndef CX_PLOT_INTERNAL_H
#define CX_PLOT_INTERNAL_H

#include <cairo.h>

#include "report/report.h"

// Figures are drawn in points and rendered to PNG at RP_PNG_SCALE pixels per point.
#define RP_PNG_SCALE 2

typedef void (*rp_draw_fn)(cairo_t *cr, double w, double h, const void *ctx);
// Renders draw() at w x h points into <path_noext>.png and .svg, atomically.
int rp_render(const char *path_noext, double w, double h, rp_draw_fn draw, const void *ctx,
              cx_error *err);

// The font of every figure (DejaVu Sans), at size points.
void rp_font(cairo_t *cr, double size, int bold);
// Text anchored at (x, y): ax 0 left, 0.5 centre, 1 right (of the advance); ay 0 top, 0.5 middle,
// 1 bottom (of the ink).
void rp_text_at(cairo_t *cr, double x, double y, double ax, double ay, const char *s);
void rp_text_rotated(cairo_t *cr, double x, double y, const char *s); // reads upwards, centred
// Advance width and line height (ascent + descent) of s in the current font.
double rp_text_width(cairo_t *cr, const char *s);
double rp_line_height(cairo_t *cr);
// A 1 x 1 surface to measure text on before a figure's size is known; free with rp_measure_end.
cairo_t *rp_measure_begin(void);
void rp_measure_end(cairo_t *cr);

void rp_background(cairo_t *cr);
void rp_title(cairo_t *cr, double w, const char *t);
double rp_title_width(const char *t); // points a title takes, with margins
void rp_series_colour(cairo_t *cr, int i); // Okabe-Ito palette, colour-blind safe
// The em dash drawn where a value is missing (a NaN): callers say why in the caption.
#define RP_MISSING "\xe2\x80\x94"

// Tick labels laid out by rp_ticks_layout, drawn below an axis at y with the first tick at x0.
void rp_ticks_draw(cairo_t *cr, const rp_ticks *t, double x0, double y);

#endif
