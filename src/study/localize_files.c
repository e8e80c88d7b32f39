// study/localize: the stage's files, a writer and a reader each, side by side: localize.csv (per
// model, method and label: mIoU, hit rate, mass share with patient-bootstrap CIs) and
// localize_items.csv (one row per scored pair). NaN is an empty cell (and an empty cell reads as
// NaN).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/table_internal.h"

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

static const char *label_text(int label) {
    return label == STUDY_ALL_LABELS ? "all" : CX_LABELS[label];
}

static int row_text(const void *rows, int64_t i, study_cell *c) {
    const study_localize_row *r = (const study_localize_row *)rows + i;
    tbl_cell_text(c[LC_MODEL], r->model);
    tbl_cell_text(c[LC_METHOD], study_source_name(r->source));
    tbl_cell_text(c[LC_LABEL], label_text(r->label));
    tbl_cell_int(c[LC_N], r->n);
    const double v[] = {r->miou,   r->miou_lo,    r->miou_hi, r->hit_rate, r->hit_lo,
                        r->hit_hi, r->mass_share, r->mass_lo, r->mass_hi};
    for (int k = 0; k < 9; k++) tbl_cell_real(c[LC_MIOU + k], "%.6f", v[k]);
    tbl_cell_int(c[LC_N_CONSTANT], r->n_constant);
    tbl_cell_real(c[LC_THRESHOLD], "%.6g", r->threshold);
    tbl_cell_text(c[LC_SIGN], stats_map_sign_name(r->norm.sign));
    tbl_cell_text(c[LC_SCALE], stats_map_scale_name(r->norm.scale));
    return 1;
}

int study_localize_write(const char *path, const study_localize_row *rows, int64_t n,
                         cx_error *err) {
    return tbl_write_table(path, STUDY_LOCALIZE_NCOLS, study_localize_columns, rows, n, row_text,
                           err);
}

static int item_text(const void *items, int64_t i, study_cell *c) {
    const study_localize_item *it = (const study_localize_item *)items + i;
    tbl_cell_text(c[LI_MODEL], it->model);
    tbl_cell_text(c[LI_METHOD], study_source_name(it->source));
    tbl_cell_text(c[LI_IMAGE], it->image);
    tbl_cell_text(c[LI_LABEL], CX_LABELS[it->label]);
    tbl_cell_real(c[LI_IOU], "%.6f", it->iou);
    tbl_cell_real(c[LI_HIT], "%.0f", it->hit);
    tbl_cell_real(c[LI_MASS], "%.6f", it->mass_share);
    tbl_cell_int(c[LI_CONSTANT], it->constant);
    tbl_cell_int(c[LI_OTSU_T], it->otsu_t);
    return 1;
}

int study_localize_items_write(const char *path, const study_localize_item *items, int64_t n,
                               cx_error *err) {
    return tbl_write_table(path, STUDY_LOCALIZE_ITEM_NCOLS, study_localize_item_columns, items, n,
                           item_text, err);
}

// ---- reading (table.c's typed cells: file:line and column on a bad cell) -----------------------
static int parse_row(const tbl_reader *rd, void *out) {
    study_localize_row *r = out;
    if (tbl_get_text(rd, LC_MODEL, r->model, sizeof r->model) ||
        tbl_get_source(rd, LC_METHOD, &r->source) || tbl_get_label(rd, LC_LABEL, &r->label) ||
        tbl_get_count(rd, LC_N, 0, INT64_MAX, &r->n) ||
        tbl_get_count(rd, LC_N_CONSTANT, 0, INT64_MAX, &r->n_constant) ||
        tbl_get_real(rd, LC_THRESHOLD, &r->threshold))
        return -1;
    double *v[] = {&r->miou,   &r->miou_lo,    &r->miou_hi, &r->hit_rate, &r->hit_lo,
                   &r->hit_hi, &r->mass_share, &r->mass_lo, &r->mass_hi};
    for (int k = 0; k < 9; k++)
        if (tbl_get_real(rd, LC_MIOU + k, v[k])) return -1;
    int sign = stats_map_sign_parse(tbl_cell_of(rd, LC_SIGN)),
        scale = stats_map_scale_parse(tbl_cell_of(rd, LC_SCALE));
    if (sign < 0) return tbl_bad_cell(rd, LC_SIGN, "abs, positive or signed");
    if (scale < 0) return tbl_bad_cell(rd, LC_SCALE, "p98 or minmax");
    r->norm = (stats_map_norm){(stats_map_sign)sign, (stats_map_scale)scale};
    return 0;
}

static int parse_item(const tbl_reader *rd, void *out) {
    study_localize_item *it = out;
    int64_t constant, t;
    if (tbl_get_text(rd, LI_MODEL, it->model, sizeof it->model) ||
        tbl_get_source(rd, LI_METHOD, &it->source) ||
        tbl_get_text(rd, LI_IMAGE, it->image, sizeof it->image) ||
        tbl_get_label_name(rd, LI_LABEL, &it->label) || tbl_get_real(rd, LI_IOU, &it->iou) ||
        tbl_get_real(rd, LI_HIT, &it->hit) || tbl_get_real(rd, LI_MASS, &it->mass_share) ||
        tbl_get_count(rd, LI_CONSTANT, 0, 1, &constant) ||
        tbl_get_count(rd, LI_OTSU_T, -1, 255, &t))
        return -1;
    if (!isnan(it->hit) && it->hit != 0 && it->hit != 1)
        return tbl_bad_cell(rd, LI_HIT, "1, 0 or empty");
    it->constant = (int)constant;
    it->otsu_t = (int)t;
    it->pack_row = -1;
    return 0;
}

int study_localize_read(const char *path, study_localize_row **rows, int64_t *n, cx_error *err) {
    return tbl_read_table(path, STUDY_LOCALIZE_NCOLS, study_localize_columns, sizeof **rows,
                          parse_row, (void **)rows, n, err);
}

int study_localize_items_read(const char *path, study_localize_item **items, int64_t *n,
                              cx_error *err) {
    return tbl_read_table(path, STUDY_LOCALIZE_ITEM_NCOLS, study_localize_item_columns,
                          sizeof **items, parse_item, (void **)items, n, err);
}

const study_localize_row *study_localize_find(const study_localize_row *rows, int64_t n,
                                              const char *model, int source, int label) {
    for (int64_t i = 0; i < n; i++)
        if (rows[i].source == source && rows[i].label == label && !strcmp(rows[i].model, model))
            return &rows[i];
    return NULL;
}

void study_localize_log(const study_localize_result *r, const char *out_dir) {
    for (int64_t i = 0; i < r->n_rows; i++) {
        const study_localize_row *all = &r->rows[i];
        if (all->label == STUDY_ALL_LABELS)
            cx_info("localize: %s %s: mIoU %.3f, hit rate %.3f over %lld pairs (%lld constant)",
                    all->model, study_source_name(all->source), all->miou, all->hit_rate,
                    (long long)all->n, (long long)all->n_constant);
    }
    cx_info("localize: %lld annotated pairs (%lld with gaze); localize.csv and "
            "localize_items.csv in %s",
            (long long)r->n_pairs, (long long)r->n_gaze_pairs, out_dir);
}
