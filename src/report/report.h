// report: figures (cairo; every figure as PNG and SVG from the same drawing code, colours from
// attr_viridis) and the HTML/Markdown report writer. Reads the study's files only through the
// readers of study/. Depends on study, io, cairo.
#ifndef CX_REPORT_H
#define CX_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "study/study.h"
#include "util/util.h"

// ---- figures (plot.c, plot_ticks.c, plot_panels.c, plot_grid.c) -----------------------------
// Each figure is written to <path_noext>.png and <path_noext>.svg, atomically. Sizes are in
// points; the PNG has 2 pixels per point and the report shows it at its size in points. A
// missing value (NaN) is drawn as an em dash; the caller's caption says why it is missing.
typedef struct rp_series {
    const char *name;
    const double *values;  // [n] (NaN = missing: an em dash, no bar)
    const double *lo, *hi; // [n] interval, or NULL
} rp_series;

// Grouped bar chart: n_groups groups on the x axis (e.g. regions), one bar per series in each.
// The groups are rp_grouped_bars_spacing points apart; their names are set by rp_ticks_layout.
int rp_grouped_bars(const char *path_noext, const char *title, const char *ylabel, int n_groups,
                    const char *const *group_names, int n_series, const rp_series *series,
                    double ymin, double ymax, cx_error *err);
double rp_grouped_bars_spacing(int n_groups, const char *const *names, int n_series);
// A horizontal band across the plot area under the bars (e.g. the inter-observer ceiling's 95%
// CI, lo..hi), a dashed line at value and a label at its right end (NaN bounds: the line only).
typedef struct rp_band {
    double lo, hi, value;
    const char *label;
} rp_band;
int rp_grouped_bars_band(const char *path_noext, const char *title, const char *ylabel,
                         int n_groups, const char *const *group_names, int n_series,
                         const rp_series *series, double ymin, double ymax, const rp_band *band,
                         cx_error *err);
// Lines over categorical x (e.g. sanity-check randomisation steps), one line per series.
int rp_lines(const char *path_noext, const char *title, const char *xlabel, const char *ylabel,
             int n_x, const char *const *x_names, int n_series, const rp_series *series,
             double ymin, double ymax, cx_error *err);
// Forest plot: one row per label, one point + interval per model (series), x = estimate.
int rp_forest(const char *path_noext, const char *title, const char *xlabel, int n_rows,
              const char *const *row_names, int n_series, const rp_series *series, double xmin,
              double xmax, cx_error *err);

// Small multiples: one grouped-bar panel per entry (e.g. per label: regions x (gaze, methods)),
// `columns` panels a row (0: 4), one legend on top.
typedef struct rp_panels {
    const char *title, *ylabel;
    int n_panels;
    const char *const *panel_titles;  // [n_panels]
    int n_groups;
    const char *const *group_names;   // [n_groups]
    int n_series;
    const char *const *series_names;  // [n_series]
    const double *values;             // [n_panels][n_series][n_groups]; NaN: missing
    double ymin, ymax;
    int columns;
} rp_panels;
int rp_bar_panels(const char *path_noext, const rp_panels *p, cx_error *err);

// Category labels under an axis, measured with cairo (cairo_text_extents) and set so that no two
// overlap: level on one line when neighbours clear each other by a few points, else level and
// wrapped at spaces (at most RP_TICK_LINES lines, no word wider than the spacing), else rotated
// 45 degrees (when spacing * sin 45 clears a line), else vertical, every stride-th label only
// when even vertical lines do not fit. Tried at 10 pt, then 9 pt.
#define RP_TICK_LINES 3
#define RP_TICK_CHARS 64
typedef struct rp_ticks {
    int n;
    double spacing;     // points between neighbouring ticks
    double font_size;   // points
    double angle;       // 0: level; else the labels rise at this angle (radians) to their tick
    int stride;         // every stride-th label is set (1 but for very dense axes)
    double depth;       // points below the axis the labels take
    int *n_lines;       // [n] lines of label i (0: not set)
    char *lines;        // [n][RP_TICK_LINES][RP_TICK_CHARS]; rp_ticks_line
    double (*box)[4][2]; // [n] corners (x, y) of label i's text box, x from the first tick,
                         // y down from the axis
} rp_ticks;
void rp_ticks_layout(rp_ticks *t, int n, const char *const *labels, double spacing);
void rp_ticks_free(rp_ticks *t);
const char *rp_ticks_line(const rp_ticks *t, int i, int k);
// The least spacing at which the labels fit level on one line (10 pt), and the widest word.
double rp_ticks_level_spacing(int n, const char *const *labels);
double rp_ticks_widest_word(int n, const char *const *labels);

// Qualitative grid: rows are images (a title strip above each), column 0 the radiograph,
// columns 1.. maps in [0,1] drawn with viridis (attr_viridis) over the radiograph (the map value
// times alpha is the opacity), column titles on top, a colour bar below. Cells are RP_GRID_CELL
// points square.
// images[r]: [S*S] u8 gray; maps[r*n_map_cols + c]: [S*S] float in [0,1] or NULL (an em dash).
enum {
    RP_GRID_CELL = 160,
    RP_GRID_PAD = 4,
    RP_GRID_MARGIN = 8,
    RP_GRID_TOP = 50,
    RP_GRID_ROW_TITLE = 16
};
int rp_image_grid(const char *path_noext, const char *title, int n_rows, int n_map_cols, int S,
                  const char *const *row_titles, const char *const *col_titles,
                  const uint8_t *const *images, const float *const *maps, double alpha,
                  cx_error *err);
// Top-left corner (points) of the cell of image `row`, column `col` (0: the radiograph).
void rp_grid_cell_origin(int row, int col, double *x, double *y);

// ---- documents (html.c) -----------------------------------------------------------------------
// A report built as HTML and Markdown side by side; images are embedded in the HTML as base64
// PNG (self-contained, opens offline) and linked by relative path from the Markdown.
typedef struct rp_doc rp_doc;
rp_doc *rp_doc_new(const char *title);
rp_doc *rp_doc_fragment(void);                          // a part, for rp_doc_append: no head
void rp_doc_append(rp_doc *d, const rp_doc *part);
void rp_doc_heading(rp_doc *d, int level, const char *text);
void rp_doc_paragraph(rp_doc *d, const char *text);   // plain text, escaped
void rp_doc_note(rp_doc *d, const char *text);        // small print under a table or figure
void rp_doc_bullets(rp_doc *d, int n, const char *const *items);
// A table: header[ncols], cells[nrows*ncols] (plain text). caption may be NULL.
void rp_doc_table(rp_doc *d, const char *caption, int ncols, int nrows, const char *const *header,
                  const char *const *cells);
// Embeds the PNG at png_path (read now) with a caption; md_rel is the path written in the Markdown.
// The figure is shown at its size in points (its pixels / 2: rp_render's scale), narrower only on
// a narrower page; figures sit side by side while they fit.
int rp_doc_image(rp_doc *d, const char *png_path, const char *md_rel, const char *caption,
                 cx_error *err);
void rp_doc_code(rp_doc *d, const char *text);          // preformatted block
// A collapsed block (<details>, in the Markdown too): what is added until rp_doc_details_end shows
// when the reader opens it. file_href: a file the block shows, linked by its base name after the
// summary (a path relative to the page), or NULL.
void rp_doc_details_begin(rp_doc *d, const char *summary, const char *file_href);
void rp_doc_details_end(rp_doc *d);
int rp_doc_write(rp_doc *d, const char *html_path, const char *md_path, cx_error *err);
void rp_doc_free(rp_doc *d);

// Tables with several header rows, column spans, bold cells and hover text (the HTML title
// attribute). In the Markdown the header rows join into one (each column's header texts, top
// down), bold is **bold**, hover text is left out. A "\n" in a cell breaks the line (HTML).
typedef struct rp_table rp_table;
rp_table *rp_table_new(const char *caption, const char *css_class); // either may be NULL
void rp_table_row(rp_table *t, int header); // starts a row; header: a row of column headers
enum { RP_CELL_BOLD = 1, RP_CELL_HEAD = 2 }; // HEAD: a row header (th) in a body row
void rp_table_cell(rp_table *t, const char *text, const char *hover, int colspan, unsigned style);
void rp_doc_add_table(rp_doc *d, rp_table *t); // writes t into d and frees it

// ---- compare's figures (compare_figures.c) ------------------------------------------------------
// From study_compare's result (study.h), into out_dir (model names with spaces or '/' as '_'):
// ssim_<model> (SSIM correct vs incorrect, pooled over labels, with the baselines),
// regions_<model> (most salient region, gaze vs each method, a panel per label with at least 3
// gaze pairs), grid_<model> (qualitative grid): PNG + SVG.
int report_compare_figures(const char *out_dir, const study_compare_result *r, cx_error *err);

// ---- report (report_build.c) -------------------------------------------------------------------
// Collects what the given run directories hold (searched two levels deep: pack summary.json,
// train log.csv + run.json, eval auroc.csv / auroc_table.md, compare outputs, sanity.csv, figures)
// and writes one self-contained HTML page and <html without .html>.md beside it.
int report_build(const char *html_path, int n_dirs, const char *const *dirs, cx_error *err);

#endif
