// report: helpers shared by report_build.c, report_sections.c and compare_section.c. Private to
// report/.
#ifndef CX_REPORT_INTERNAL_H
#define CX_REPORT_INTERNAL_H

#include "report/report.h"

#define MAX_FOUND 64
typedef struct rb_found {
    int n;
    char path[MAX_FOUND][4096];
} rb_found;
// Files named `name` in each dir and up to two levels below it, sorted.
void rb_find_all(int n_dirs, const char *const *dirs, const char *name, rb_found *f);
// PNG files in dir whose names start with prefix, sorted.
void rb_find_pngs(const char *dir, const char *prefix, rb_found *f);
void rb_dirname(const char *path, char *out, size_t cap);
void rb_basename(const char *dir, char *out, size_t cap);

// A growing list of table rb_cells (strings).
typedef struct rb_cells {
    int n, cap;
    char **v;
} rb_cells;
void rb_cell_add(rb_cells *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rb_cells_free(rb_cells *c);

// A CSV file as a document table (at most max_rows), optionally only rows where column
// filter_col equals filter_val.
void rb_csv_table(rp_doc *d, const char *path, const char *caption, const char *filter_col,
                  const char *filter_val, int max_rows);
// A JSON record (summary.json, run.json, ...) as a field/value table: nested objects as dotted
// keys, numbers formatted, short arrays joined, long ones summarised with a pointer to the file.
void rb_json_table(rp_doc *d, const char *path, const char *caption);
double rb_num(const char *s); // strict number or NaN
// Embeds a PNG; the Markdown links it relative to the report's directory when below it.
void rb_embed(rp_doc *d, const char *png, const char *html_dir, const char *caption);

// Sections, in report order. findings collects plain-words sentences for the summary.
void rb_section_data(rp_doc *d, int n_dirs, const char *const *dirs);
void rb_section_training(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir);
void rb_section_auroc(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir,
                   rb_cells *findings);
void rb_section_compare(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir,
                     rb_cells *findings);
void rb_section_sanity(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir,
                    rb_cells *findings);
void rb_section_settings(rp_doc *d, int n_dirs, const char *const *dirs);

#endif
