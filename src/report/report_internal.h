// report: helpers shared by the report's section files (report_build.c, report_files.c,
// report_json.c, report_auroc.c, report_more.c, report_sections.c, compare_section.c,
// compare_tables.c, ssim_table.c, localize_section.c, faith_section.c). Private to report/.
#ifndef CX_REPORT_INTERNAL_H
#define CX_REPORT_INTERNAL_H

#include "report/report.h"

// The em dash written for a value that is undefined (a mean over no maps, a test on an empty
// group); every table that may show one says why in a note.
#define RB_DASH "\xe2\x80\x94"
// Labels get a most-salient-region panel (and paired statistics) from this many gaze pairs on.
#define RB_REGION_MIN_PAIRS 3

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
// path relative to dir (both made absolute first: "../eval/auroc.csv"); path itself when that
// fails.
void rb_relpath(const char *path, const char *dir, char *out, size_t cap);
// CX_LABELS[c] with soft hyphens at its syllables, for narrow column headers.
const char *rb_label_breakable(int c);
// SL, GC, DL, LC, GS, NT, IG, OC, "centre bias", "mean gaze", "gaze": the tables' row names.
const char *rb_source_abbr(int source);
// Model names as file names: spaces and '/' as '_' (compare_figures.c names its files so).
void rb_slug(const char *s, char *out, size_t cap);

// A growing list of table rb_cells (strings).
typedef struct rb_cells {
    int n, cap;
    char **v;
} rb_cells;
void rb_cell_add(rb_cells *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rb_cells_free(rb_cells *c);

// v formatted by fmt (one double conversion), or RB_DASH when v is not finite. Returns buf.
const char *rb_value(char *buf, size_t cap, const char *fmt, double v);
double rb_num(const char *s); // strict number or NaN
// A table cell that holds no value: empty, "nan", "inf" (shown as RB_DASH).
int rb_undefined_cell(const char *s);

// What every section needs: the document, the run directories, the page's directory, and the
// findings (plain-words sentences for the top of the page).
typedef struct rb_report {
    rp_doc *d;
    int n_dirs;
    const char *const *dirs;
    const char *out_dir;
    rb_cells *findings;
} rb_report;

// A CSV file collapsed behind a <details> element whose summary links the file by name; at most
// max_rows rows shown (a note says how many more the file holds); empty cells as RB_DASH.
void rb_raw_csv(const rb_report *R, const char *path, const char *summary, int max_rows);
// A JSON record (summary.json, run.json, ...) as a field/value table: nested objects as dotted
// keys, numbers formatted, short arrays joined, long ones summarised with a pointer to the file.
void rb_json_table(rp_doc *d, const char *path, const char *caption);
// Embeds a PNG; the Markdown links it relative to the report's directory.
void rb_embed(const rb_report *R, const char *png, const char *caption);

// Sections, in report order. Each adds its findings to R->findings.
void rb_section_auroc(const rb_report *R);
void rb_section_compare(const rb_report *R);
void rb_section_localize(const rb_report *R); // localize_section.c: localize.csv
void rb_section_faithfulness(const rb_report *R); // faith_section.c
void rb_section_sanity(const rb_report *R);
void rb_section_data(const rb_report *R);     // collapsed: counts per split, label x split
void rb_section_training(const rb_report *R); // collapsed: curves and logs
void rb_section_settings(const rb_report *R); // collapsed: run.json, compare.json, sanity.json
void rb_section_files(const rb_report *R);    // collapsed: every raw CSV, linked

// The paper's SSIM table of one model from ssim.csv's rows (ssim_table.c), with its collapsed
// companion table of CIs and p values; findings about it.
void rb_ssim_tables(const rb_report *R, const study_metric_row *rows, int64_t n, const char *model);
void rb_ssim_findings(const rb_report *R, const study_metric_row *rows, int64_t n,
                      const char *model);

// compare_tables.c: sensitivity.csv (the run's own normalisation marked) and region_distance.csv
// as tables after the per-model parts, with their findings.
void rb_sensitivity_part(const rb_report *R, const char *dir, stats_map_norm run_norm);
void rb_paired_regions_part(const rb_report *R, const char *dir);

#endif
