// report: figures (cairo; every figure as PNG and SVG from the same drawing code, colours from
// attr_viridis) and the HTML/Markdown report writer. Reads the study's files only through the
// readers of study/. Depends on study, io, cairo.
#ifndef CX_REPORT_H
#define CX_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "study/study.h"
#include "util/util.h"

// ---- figures (plot.c) ------------------------------------------------------------------------
// Each figure is written to <path_noext>.png and <path_noext>.svg, atomically.
typedef struct rp_series {
    const char *name;
    const double *values;  // [n] (NaN = missing, not drawn)
    const double *lo, *hi; // [n] interval, or NULL
} rp_series;

// Grouped bar chart: n_groups groups on the x axis (e.g. regions), one bar per series in each.
int rp_grouped_bars(const char *path_noext, const char *title, const char *ylabel, int n_groups,
                    const char *const *group_names, int n_series, const rp_series *series,
                    double ymin, double ymax, cx_error *err);
// Lines over categorical x (e.g. sanity-check randomisation steps), one line per series.
int rp_lines(const char *path_noext, const char *title, const char *xlabel, const char *ylabel,
             int n_x, const char *const *x_names, int n_series, const rp_series *series,
             double ymin, double ymax, cx_error *err);
// Forest plot: one row per label, one point + interval per model (series), x = estimate.
int rp_forest(const char *path_noext, const char *title, const char *xlabel, int n_rows,
              const char *const *row_names, int n_series, const rp_series *series, double xmin,
              double xmax, cx_error *err);

// Qualitative grid: rows are images, column 0 the radiograph, columns 1.. maps in [0,1] drawn
// with viridis (attr_viridis) over the radiograph (alpha blend), with column titles, row titles
// and a colour bar.
// images[r]: [S*S] u8 gray; maps[r*n_map_cols + c]: [S*S] float in [0,1] or NULL (blank cell).
int rp_image_grid(const char *path_noext, const char *title, int n_rows, int n_map_cols, int S,
                  const char *const *row_titles, const char *const *col_titles,
                  const uint8_t *const *images, const float *const *maps, double alpha,
                  cx_error *err);

// ---- documents (html.c) -----------------------------------------------------------------------
// A report built as HTML and Markdown side by side; images are embedded in the HTML as base64
// PNG (self-contained, opens offline) and linked by relative path from the Markdown.
typedef struct rp_doc rp_doc;
rp_doc *rp_doc_new(const char *title);
void rp_doc_heading(rp_doc *d, int level, const char *text);
void rp_doc_paragraph(rp_doc *d, const char *text);   // plain text, escaped
void rp_doc_bullets(rp_doc *d, int n, const char *const *items);
// A table: header[ncols], cells[nrows*ncols] (plain text). caption may be NULL.
void rp_doc_table(rp_doc *d, const char *caption, int ncols, int nrows, const char *const *header,
                  const char *const *cells);
// Embeds the PNG at png_path (read now) with a caption; md_rel is the path written in the Markdown.
int rp_doc_image(rp_doc *d, const char *png_path, const char *md_rel, const char *caption,
                 cx_error *err);
void rp_doc_code(rp_doc *d, const char *text);          // preformatted block
int rp_doc_write(rp_doc *d, const char *html_path, const char *md_path, cx_error *err);
void rp_doc_free(rp_doc *d);

// ---- compare's figures (compare_figures.c) ------------------------------------------------------
// From study_compare's result (study.h), into out_dir: ssim_<model> (SSIM correct vs incorrect,
// pooled over labels, with the baselines), regions_<model>_<label> (most salient region, gaze vs
// each method, labels with at least 3 gaze images), grid_<model> (qualitative grid): PNG + SVG.
int report_compare_figures(const char *out_dir, const study_compare_result *r, cx_error *err);

// ---- report (report_build.c) -------------------------------------------------------------------
// Collects what the given run directories hold (searched two levels deep: pack summary.json,
// train log.csv + run.json, eval auroc.csv / auroc_table.md, compare outputs, sanity.csv, figures)
// and writes one self-contained HTML page and <html without .html>.md beside it.
int report_build(const char *html_path, int n_dirs, const char *const *dirs, cx_error *err);

#endif
