// report: finding the stage files in the run directories, small text helpers, raw CSV tables
// behind <details>, embedded figures.
#include "report/report_internal.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"

// ---- finding files ------------------------------------------------------------------------------
// Files named `name` in dir and its subdirectories, up to `depth` levels, in sorted order.
static void rb_find_named(const char *dir, const char *name, int depth, rb_found *f) {
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0) return;
    for (int i = 0; i < n; i++) {
        const char *e = list[i]->d_name;
        char p[4096];
        if (e[0] != '.') {
            cx_path_join(p, sizeof p, dir, e);
            if (!strcmp(e, name) && !cx_is_dir(p) && f->n < MAX_FOUND)
                snprintf(f->path[f->n++], sizeof f->path[0], "%s", p);
            else if (depth > 0 && cx_is_dir(p))
                rb_find_named(p, name, depth - 1, f);
        }
        free(list[i]);
    }
    free(list);
}

void rb_find_all(int n_dirs, const char *const *dirs, const char *name, rb_found *f) {
    f->n = 0;
    for (int i = 0; i < n_dirs; i++) {
        if (!cx_is_dir(dirs[i])) continue;
        rb_find_named(dirs[i], name, 2, f);
    }
}

void rb_find_pngs(const char *dir, const char *prefix, rb_found *f) {
    f->n = 0;
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *e = list[i]->d_name;
        size_t l = strlen(e);
        if (!strncmp(e, prefix, strlen(prefix)) && l > 4 && !strcmp(e + l - 4, ".png") &&
            f->n < MAX_FOUND)
            cx_path_join(f->path[f->n++], sizeof f->path[0], dir, e);
        free(list[i]);
    }
    if (n >= 0) free(list);
}

void rb_dirname(const char *path, char *out, size_t cap) {
    snprintf(out, cap, "%s", path);
    char *s = strrchr(out, '/');
    if (s) *s = 0;
    else snprintf(out, cap, ".");
}

void rb_basename(const char *dir, char *out, size_t cap) {
    const char *s = strrchr(dir, '/');
    cx_textf(out, cap, "%s", s ? s + 1 : dir); // a display name
}

void rb_relpath(const char *path, const char *dir, char *out, size_t cap) {
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(path, a) || !realpath(dir, b)) {
        snprintf(out, cap, "%s", path);
        return;
    }
    if (!strcmp(b, "/")) {
        snprintf(out, cap, "%s", a + 1);
        return;
    }
    // The longest common prefix of whole components: a[common] is '/' (or the end of a).
    size_t i = 0, common = 0;
    for (; a[i] && a[i] == b[i]; i++)
        if (a[i] == '/') common = i;
    if (!b[i] && (a[i] == '/' || !a[i])) common = i; // dir holds path (or is it)
    size_t o = 0;
    out[0] = 0;
    for (const char *s = b + common; *s; s++) // one "../" per component of dir past the prefix
        if (*s == '/' && o + 4 < cap) o += (size_t)snprintf(out + o, cap - o, "../");
    snprintf(out + o, cap - o, "%s", a[common] == '/' ? a + common + 1 : a + common);
}

// ---- label names in narrow table headers
// ----------------------------------------------------------
#define SHY                                                                                        \
    "\xc2\xad" // soft hyphen: a break point the browser uses only when the word does not fit
static const char *const label_breakable[] = {
    "Atelec" SHY "tasis", "Cardio" SHY "megaly", "Consoli" SHY "dation", "Edema",
    "Enlarged Cardio" SHY "medi" SHY "astinum", "Fracture", "Lung Lesion", "Lung Opac" SHY "ity",
    "No Finding", "Pleural Effu" SHY "sion", "Pleural Other", "Pneu" SHY "monia",
    "Pneumo" SHY "thorax", "Support Devices"};
_Static_assert(sizeof label_breakable / sizeof label_breakable[0] == CX_N_LABELS,
               "one breakable name per label");

const char *rb_label_breakable(int c) {
    return c >= 0 && c < CX_N_LABELS ? label_breakable[c] : "?";
}

// The abbreviations of the study's tables for compare's map sources.
static const char *const source_abbr[STUDY_N_SOURCES] = {
    [ATTR_SL] = "SL", [ATTR_GC] = "GC", [ATTR_DL] = "DL", [ATTR_LC] = "LC", [ATTR_GS] = "GS",
    [ATTR_NT] = "NT", [ATTR_IG] = "IG", [ATTR_OC] = "OC",
    [STUDY_SOURCE_CENTRE_BIAS] = "centre bias", [STUDY_SOURCE_MEAN_GAZE] = "mean gaze",
    [STUDY_SOURCE_GAZE] = "gaze"};
_Static_assert(sizeof source_abbr / sizeof source_abbr[0] == STUDY_N_SOURCES,
               "one abbreviation per map source");

const char *rb_source_abbr(int source) {
    return source >= 0 && source < STUDY_N_SOURCES ? source_abbr[source] : "?";
}

// ---- small text helpers -------------------------------------------------------------------------
// Sized to the text: a cell is never cut short (a long command line or path stays whole).
void rb_cell_add(rb_cells *c, const char *fmt, ...) {
    if (c->n == c->cap)
        c->v = cx_realloc(c->v, sizeof(char *) * (c->cap = c->cap ? 2 * c->cap : 64));
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *text = cx_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    c->v[c->n++] = text;
}

void rb_cells_free(rb_cells *c) {
    for (int i = 0; i < c->n; i++) free(c->v[i]);
    free(c->v);
    memset(c, 0, sizeof *c);
}

const char *rb_value(char *buf, size_t cap, const char *fmt, double v) {
    if (!isfinite(v)) snprintf(buf, cap, "%s", RB_DASH);
    else {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(buf, cap, fmt, v);
#pragma GCC diagnostic pop
    }
    return buf;
}

double rb_num(const char *s) {
    double v;
    return csv_parse_double(s, &v) == CSV_NUM_OK ? v : NAN;
}

// A cell of a raw table: as the file holds it, an empty or non-number one ("nan") as a dash.
int rb_undefined_cell(const char *s) {
    return !s[0] || !strcasecmp(s, "nan") || !strcasecmp(s, "-nan") || !strcasecmp(s, "inf") ||
           !strcasecmp(s, "-inf");
}

void rb_raw_csv(const rb_report *R, const char *path, const char *summary, int max_rows) {
    cx_error err;
    char rel[4096];
    rb_relpath(path, R->out_dir, rel, sizeof rel);
    csv_table *t = csv_table_read(path, &err);
    if (!t) {
        rp_doc_details_begin(R->d, summary, rel);
        rp_doc_paragraph(R->d, err.msg);
        rp_doc_details_end(R->d);
        return;
    }
    int nc = csv_ncols(t);
    int64_t nr = csv_nrows(t), shown = nr < max_rows ? nr : max_rows;
    char sum[600];
    snprintf(sum, sizeof sum, "%s (%lld rows)", summary, (long long)nr);
    rp_doc_details_begin(R->d, sum, rel);
    rp_table *tb = rp_table_new(NULL, "raw");
    rp_table_row(tb, 1);
    for (int c = 0; c < nc; c++) rp_table_cell(tb, csv_colname(t, c), NULL, 1, 0);
    int dashes = 0;
    for (int64_t r = 0; r < shown; r++) {
        rp_table_row(tb, 0);
        for (int c = 0; c < nc; c++) {
            const char *v = csv_get(t, r, c);
            int undef = rb_undefined_cell(v);
            dashes |= undef;
            rp_table_cell(tb, undef ? RB_DASH : v, NULL, 1, 0);
        }
    }
    rp_doc_add_table(R->d, tb);
    char note[400];
    int o = 0;
    note[0] = 0;
    if (dashes)
        o = snprintf(note, sizeof note,
                     "%s: the file leaves the value empty (undefined, e.g. a "
                     "mean over no maps or a test with an empty group). ",
                     RB_DASH);
    if (shown < nr)
        snprintf(note + o, sizeof note - (size_t)o,
                 "The first %lld of %lld rows; the file holds all.", (long long)shown,
                 (long long)nr);
    if (note[0]) rp_doc_note(R->d, note);
    rp_doc_details_end(R->d);
    csv_table_free(t);
}

void rb_embed(const rb_report *R, const char *png, const char *caption) {
    cx_error err;
    char rel[4096];
    rb_relpath(png, R->out_dir, rel, sizeof rel);
    if (rp_doc_image(R->d, png, rel, caption, &err)) rp_doc_paragraph(R->d, err.msg);
}
