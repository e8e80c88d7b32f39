// study/localize: the stage's files, a writer and a reader each, side by side: localize.csv (per
// model, method and label: mIoU, hit rate, mass share with patient-bootstrap CIs) and
// localize_items.csv (one row per scored pair). NaN is an empty cell (and an empty cell reads as
// NaN).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "study/study.h"

// clang-format off
enum {
    LC_MODEL, LC_METHOD, LC_LABEL, LC_N, LC_MIOU, LC_MIOU_LO, LC_MIOU_HI, LC_HIT, LC_HIT_LO,
    LC_HIT_HI, LC_MASS, LC_MASS_LO, LC_MASS_HI, LC_N_CONSTANT, LC_THRESHOLD, LC_SIGN, LC_SCALE
};
// clang-format on
const char *const study_localize_columns[STUDY_LOCALIZE_NCOLS] = {
    [LC_MODEL] = "model",         [LC_METHOD] = "method",
    [LC_LABEL] = "label",         [LC_N] = "n",
    [LC_MIOU] = "miou",           [LC_MIOU_LO] = "miou_lo",
    [LC_MIOU_HI] = "miou_hi",     [LC_HIT] = "hit_rate",
    [LC_HIT_LO] = "hit_lo",       [LC_HIT_HI] = "hit_hi",
    [LC_MASS] = "mass_share",     [LC_MASS_LO] = "mass_lo",
    [LC_MASS_HI] = "mass_hi",     [LC_N_CONSTANT] = "n_constant",
    [LC_THRESHOLD] = "threshold", [LC_SIGN] = "map_sign",
    [LC_SCALE] = "map_scale"};
_Static_assert(LC_SCALE + 1 == STUDY_LOCALIZE_NCOLS, "localize.csv columns");

enum { LI_MODEL, LI_METHOD, LI_IMAGE, LI_LABEL, LI_IOU, LI_HIT, LI_MASS, LI_CONSTANT, LI_OTSU_T };
const char *const study_localize_item_columns[STUDY_LOCALIZE_ITEM_NCOLS] = {
    [LI_MODEL] = "model",     [LI_METHOD] = "method",     [LI_IMAGE] = "image",
    [LI_LABEL] = "label",     [LI_IOU] = "iou",           [LI_HIT] = "hit",
    [LI_MASS] = "mass_share", [LI_CONSTANT] = "constant", [LI_OTSU_T] = "otsu_t"};
_Static_assert(LI_OTSU_T + 1 == STUDY_LOCALIZE_ITEM_NCOLS, "localize_items.csv columns");

static void field_real(csv_writer *w, const char *fmt, double v) {
    if (isnan(v))
        csv_writer_field(w, "");
    else
        csv_writer_fieldf(w, fmt, v);
}

static const char *label_text(int label) {
    return label == STUDY_ALL_LABELS ? "all" : CX_LABELS[label];
}

int study_localize_write(const char *path, const study_localize_row *rows, int64_t n,
                         cx_error *err) {
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    csv_writer_row(w, STUDY_LOCALIZE_NCOLS, study_localize_columns);
    for (int64_t i = 0; i < n; i++) {
        const study_localize_row *r = &rows[i];
        csv_writer_field(w, r->model);
        csv_writer_field(w, study_source_name(r->source));
        csv_writer_field(w, label_text(r->label));
        csv_writer_fieldf(w, "%lld", (long long)r->n);
        const double v[] = {r->miou,   r->miou_lo,    r->miou_hi, r->hit_rate, r->hit_lo,
                            r->hit_hi, r->mass_share, r->mass_lo, r->mass_hi};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
            field_real(w, "%.6f", v[k]);
        csv_writer_fieldf(w, "%lld", (long long)r->n_constant);
        field_real(w, "%.6g", r->threshold);
        csv_writer_field(w, stats_map_sign_name(r->norm.sign));
        csv_writer_field(w, stats_map_scale_name(r->norm.scale));
        csv_writer_end_row(w);
    }
    return csv_writer_commit(w, err);
}

int study_localize_items_write(const char *path, const study_localize_item *items, int64_t n,
                               cx_error *err) {
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    csv_writer_row(w, STUDY_LOCALIZE_ITEM_NCOLS, study_localize_item_columns);
    for (int64_t i = 0; i < n; i++) {
        const study_localize_item *it = &items[i];
        csv_writer_field(w, it->model);
        csv_writer_field(w, study_source_name(it->source));
        csv_writer_field(w, it->image);
        csv_writer_field(w, CX_LABELS[it->label]);
        field_real(w, "%.6f", it->iou);
        field_real(w, "%.0f", it->hit);
        field_real(w, "%.6f", it->mass_share);
        csv_writer_fieldf(w, "%d", it->constant);
        csv_writer_fieldf(w, "%d", it->otsu_t);
        csv_writer_end_row(w);
    }
    return csv_writer_commit(w, err);
}

// ---- reading -----------------------------------------------------------------------------------
typedef struct reader {
    csv_table *t;
    const char *const *cols;
    int idx[STUDY_LOCALIZE_NCOLS];
    int64_t r;
    cx_error *err;
} reader;

static const char *cell(const reader *rd, int col) {
    return csv_get(rd->t, rd->r, rd->idx[col]);
}

static int bad(const reader *rd, int col, const char *expected) {
    return cx_fail(rd->err, "%s:%lld: column \"%s\": expected %s, got \"%s\"", csv_path(rd->t),
                   (long long)csv_row_line(rd->t, rd->r), rd->cols[col], expected, cell(rd, col));
}

static int get_text(const reader *rd, int col, char *out, size_t cap) {
    if (strlen(cell(rd, col)) >= cap) return bad(rd, col, "a shorter name");
    snprintf(out, cap, "%s", cell(rd, col));
    return 0;
}

static int get_int64(const reader *rd, int col, int64_t lo, int64_t hi, int64_t *v) {
    if (csv_parse_int64(cell(rd, col), v) != CSV_NUM_OK || *v < lo || *v > hi)
        return bad(rd, col, "an integer in range");
    return 0;
}

static int get_real(const reader *rd, int col, double *v) { // empty or "nan": NaN
    const char *s = cell(rd, col);
    if (!strcmp(s, "nan")) {
        *v = NAN;
        return 0;
    }
    return csv_parse_double_or_nan(s, v) == CSV_NUM_BAD ? bad(rd, col, "a number or an empty cell")
                                                        : 0;
}

static int get_source(const reader *rd, int col, int *v) {
    *v = study_source_parse(cell(rd, col));
    return *v >= 0 ? 0 : bad(rd, col, "a method (sl, gc, ...), gaze or centre_bias");
}

static int get_label(const reader *rd, int col, int all_ok, int *v) {
    if (all_ok && !strcmp(cell(rd, col), "all")) {
        *v = STUDY_ALL_LABELS;
        return 0;
    }
    *v = label_from_name(cell(rd, col));
    return *v >= 0 ? 0 : bad(rd, col, all_ok ? "a label name or \"all\"" : "a label name");
}

typedef int (*parse_fn)(const reader *rd, void *row);

static int read_rows(const char *path, int ncols, const char *const *cols, size_t size,
                     parse_fn parse, void **rows, int64_t *n, cx_error *err) {
    reader rd = {.cols = cols, .err = err};
    *rows = NULL, *n = 0;
    if (!(rd.t = csv_table_read(path, err))) return -1;
    if (csv_require_cols(rd.t, cols, ncols, rd.idx, err)) {
        csv_table_free(rd.t);
        return -1;
    }
    int64_t nr = csv_nrows(rd.t);
    char *v = cx_calloc((size_t)(nr ? nr : 1), size);
    for (rd.r = 0; rd.r < nr; rd.r++)
        if (parse(&rd, v + (size_t)rd.r * size)) {
            free(v);
            csv_table_free(rd.t);
            return -1;
        }
    csv_table_free(rd.t);
    *rows = v, *n = nr;
    return 0;
}

static int parse_row(const reader *rd, void *out) {
    study_localize_row *r = out;
    if (get_text(rd, LC_MODEL, r->model, sizeof r->model) ||
        get_source(rd, LC_METHOD, &r->source) || get_label(rd, LC_LABEL, 1, &r->label) ||
        get_int64(rd, LC_N, 0, INT64_MAX, &r->n) ||
        get_int64(rd, LC_N_CONSTANT, 0, INT64_MAX, &r->n_constant) ||
        get_real(rd, LC_THRESHOLD, &r->threshold))
        return -1;
    double *v[] = {&r->miou,   &r->miou_lo,    &r->miou_hi, &r->hit_rate, &r->hit_lo,
                   &r->hit_hi, &r->mass_share, &r->mass_lo, &r->mass_hi};
    for (int k = 0; k < 9; k++)
        if (get_real(rd, LC_MIOU + k, v[k])) return -1;
    int sign = stats_map_sign_parse(cell(rd, LC_SIGN)),
        scale = stats_map_scale_parse(cell(rd, LC_SCALE));
    if (sign < 0) return bad(rd, LC_SIGN, "abs, positive or signed");
    if (scale < 0) return bad(rd, LC_SCALE, "p98 or minmax");
    r->norm = (stats_map_norm){(stats_map_sign)sign, (stats_map_scale)scale};
    return 0;
}

static int parse_item(const reader *rd, void *out) {
    study_localize_item *it = out;
    int64_t constant, t;
    if (get_text(rd, LI_MODEL, it->model, sizeof it->model) ||
        get_source(rd, LI_METHOD, &it->source) ||
        get_text(rd, LI_IMAGE, it->image, sizeof it->image) ||
        get_label(rd, LI_LABEL, 0, &it->label) || get_real(rd, LI_IOU, &it->iou) ||
        get_real(rd, LI_HIT, &it->hit) || get_real(rd, LI_MASS, &it->mass_share) ||
        get_int64(rd, LI_CONSTANT, 0, 1, &constant) || get_int64(rd, LI_OTSU_T, -1, 255, &t))
        return -1;
    if (!isnan(it->hit) && it->hit != 0 && it->hit != 1) return bad(rd, LI_HIT, "1, 0 or empty");
    it->constant = (int)constant;
    it->otsu_t = (int)t;
    it->pack_row = -1;
    return 0;
}

int study_localize_read(const char *path, study_localize_row **rows, int64_t *n, cx_error *err) {
    return read_rows(path, STUDY_LOCALIZE_NCOLS, study_localize_columns, sizeof **rows, parse_row,
                     (void **)rows, n, err);
}

int study_localize_items_read(const char *path, study_localize_item **items, int64_t *n,
                              cx_error *err) {
    return read_rows(path, STUDY_LOCALIZE_ITEM_NCOLS, study_localize_item_columns, sizeof **items,
                     parse_item, (void **)items, n, err);
}

const study_localize_row *study_localize_find(const study_localize_row *rows, int64_t n,
                                              const char *model, int source, int label) {
    for (int64_t i = 0; i < n; i++)
        if (rows[i].source == source && rows[i].label == label && !strcmp(rows[i].model, model))
            return &rows[i];
    return NULL;
}
