// data/reflacx: REFLACX 1.0.0 reader: metadata_phase_{1,2,3}.csv and, for each kept reading,
// its fixations.csv, anomaly_location_ellipses.csv and chest_bounding_box.csv (all streamed,
// bounded). Format and column sources: docs/reflacx.md. Heatmaps and masks: reflacx_heat.c.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

const char *const REFLACX_POS_NAMES[2] = {"x_position/y_position", "position_x/position_y"};

// REFLACX label names (metadata and ellipse headers, all phases) whose meaning is a CheXpert
// label's; every other name has none. docs/reflacx.md gives the reasons.
static const struct {
    const char *name;
    int cx;
} label_map[] = {
    {"Atelectasis", LB_ATELECTASIS},
    {"Consolidation", LB_CONSOLIDATION},
    {"Pulmonary edema", LB_EDEMA},
    {"Enlarged cardiac silhouette", LB_CARDIOMEGALY},
    {"Wide mediastinum", LB_ENLARGED_CM},
    {"Fracture", LB_FRACTURE},
    {"Acute fracture", LB_FRACTURE},
    {"Mass", LB_LUNG_LESION},
    {"Nodule", LB_LUNG_LESION},
    {"Lung nodule or mass", LB_LUNG_LESION},
    {"Pleural effusion", LB_EFFUSION},
    {"Pleural thickening", LB_PLEURAL_OTHER},
    {"Pneumothorax", LB_PNEUMOTHORAX},
    {"Support devices", LB_SUPPORT_DEVICES},
};

int reflacx_label_cx(const char *name) {
    for (size_t i = 0; i < sizeof label_map / sizeof label_map[0]; i++)
        if (!strcmp(name, label_map[i].name)) return label_map[i].cx;
    return -1;
}

// The index of a label name in d's table, added when new; -1 with err past REFLACX_MAX_LABELS.
static int label_index(reflacx_data *d, const char *name, const char *path, cx_error *err) {
    for (int k = 0; k < d->n_labels; k++)
        if (!strcmp(d->label_names[k], name)) return k;
    if (d->n_labels == REFLACX_MAX_LABELS)
        return cx_fail(err, "%s: column '%s': more than %d label names in all "
                       "(REFLACX_MAX_LABELS; real REFLACX has ~27)", path, name,
                       REFLACX_MAX_LABELS);
    d->label_names[d->n_labels] = cx_strdup(name);
    d->label_cx[d->n_labels] = reflacx_label_cx(name);
    return d->n_labels++;
}

// pandas writes booleans as True/False; 1/0 (and 1.0/0.0) are accepted too. 0 ok, -1 otherwise.
static int parse_bool(const char *s, int *out) {
    if (!strcmp(s, "True") || !strcmp(s, "true") || !strcmp(s, "TRUE")) return *out = 1, 0;
    if (!strcmp(s, "False") || !strcmp(s, "false") || !strcmp(s, "FALSE")) return *out = 0, 0;
    double v;
    if (csv_parse_double(s, &v) == CSV_NUM_OK && (v == 0 || v == 1)) return *out = (int)v, 0;
    return -1;
}

// A finite number with |v| <= 1e6 (image px, degrees, seconds): coordinates beyond any image.
static int parse_bounded(const char *s, double *v) {
    int r = csv_parse_double(s, v);
    if (r == CSV_NUM_OK && fabs(*v) > 1e6) return CSV_NUM_BAD;
    return r;
}

// ---- metadata_phase_{p}.csv ---------------------------------------------------------------------
enum { M_ID, M_SPLIT, M_DISCARDED, M_IMAGE, M_DICOM, M_SUBJECT, M_SIZE_X, M_SIZE_Y, M_NCORE };
static const char *const meta_cols[M_NCORE] = {
    "id", "split", "eye_tracking_data_discarded", "image", "dicom_id", "subject_id",
    "image_size_x", "image_size_y"};

static int parse_side(const char *s, int *out) {
    double v;
    if (csv_parse_double(s, &v) != CSV_NUM_OK || v != floor(v) || v < 1 || v > IMG_MAX_SIDE)
        return -1;
    *out = (int)v;
    return 0;
}

// Streamed, so a table of any size is refused at REFLACX_MAX_READINGS rows, never held whole.
typedef struct meta_ctx {
    reflacx_data *d;
    int phase;
    int64_t rows, cap;
    int col[M_NCORE];
    int n_lab;
    int lab_col[CSV_MAX_FIELDS], lab_idx[CSV_MAX_FIELDS]; // label columns -> label_names index
    const char *path;
} meta_ctx;

static int meta_header(void *vctx, int nfields, const char *const *fields, cx_error *err) {
    meta_ctx *c = vctx;
    if (csv_header_require(c->path, nfields, fields, meta_cols, M_NCORE, c->col, err)) return -1;
    // Label columns: every other column except the free-text "Other".
    for (int i = 0; i < nfields; i++) {
        int core = 0;
        for (int k = 0; k < M_NCORE; k++) core |= c->col[k] == i;
        if (core || !strcmp(fields[i], "Other")) continue;
        int k = label_index(c->d, fields[i], c->path, err);
        if (k < 0) return -1;
        c->d->label_in_phase[k] |= (uint8_t)(1u << (c->phase - 1));
        c->lab_col[c->n_lab] = i;
        c->lab_idx[c->n_lab++] = k;
    }
    return 0;
}

static int meta_row(void *vctx, int64_t line, int nfields, const char *const *f, cx_error *err) {
    (void)line;
    (void)nfields;
    meta_ctx *c = vctx;
    reflacx_data *d = c->d;
    if (c->rows++ >= REFLACX_MAX_READINGS)
        return cx_fail(err, "more than %d readings (REFLACX_MAX_READINGS; real REFLACX has "
                       "3,052 in all): not a metadata table?", REFLACX_MAX_READINGS);
    d->st.metadata_rows[c->phase - 1]++;
#define CORE(k) f[c->col[k]]
#define BAD(k, what) \
    return cx_fail(err, "column '%s': expected %s, got '%s'", meta_cols[k], what, CORE(k))
    int discarded;
    if (parse_bool(CORE(M_DISCARDED), &discarded)) BAD(M_DISCARDED, "True or False");
    if (discarded) {
        d->st.discarded++;
        return 0;
    }
    if (d->n_reading == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        d->reading = cx_realloc(d->reading, (size_t)c->cap * sizeof *d->reading);
    }
    reflacx_reading *rd = &d->reading[d->n_reading];
    memset(rd, 0, sizeof *rd);
    rd->phase = c->phase;
    if (!data_id_ok(CORE(M_ID), sizeof rd->id))
        BAD(M_ID, "a reading id (its folder name: no '/', < 32 chars)");
    if (strmap_get(&d->by_id, CORE(M_ID)) >= 0) BAD(M_ID, "an id not seen before (any phase)");
    snprintf(rd->id, sizeof rd->id, "%s", CORE(M_ID));
    if ((rd->split = split_from_name(CORE(M_SPLIT))) < 0) BAD(M_SPLIT, "train, validate or test");
    if (!CORE(M_IMAGE)[0]) BAD(M_IMAGE, "the image's path");
    if (!data_id_ok(CORE(M_DICOM), sizeof rd->dicom_id))
        BAD(M_DICOM, "a DICOM id (no '/', < 64 chars)");
    snprintf(rd->dicom_id, sizeof rd->dicom_id, "%s", CORE(M_DICOM));
    if (!data_digits_ok(CORE(M_SUBJECT), sizeof rd->subject_id))
        BAD(M_SUBJECT, "a numeric subject id");
    snprintf(rd->subject_id, sizeof rd->subject_id, "%s", CORE(M_SUBJECT));
    if (parse_side(CORE(M_SIZE_X), &rd->width)) BAD(M_SIZE_X, "a width in px, 1 .. 30000");
    if (parse_side(CORE(M_SIZE_Y), &rd->height)) BAD(M_SIZE_Y, "a height in px, 1 .. 30000");
#undef BAD
#undef CORE
    for (int k = 0; k < REFLACX_MAX_LABELS; k++) rd->label[k] = NAN;
    for (int j = 0; j < c->n_lab; j++) {
        const char *v = f[c->lab_col[j]];
        double x;
        int b, pr = csv_parse_double_or_nan(v, &x);
        if ((pr == CSV_NUM_BAD && parse_bool(v, &b)) || (pr == CSV_NUM_OK && (x < 0 || x > 5)))
            return cx_fail(err, "column '%s': expected a certainty (0 .. 5), True, False or "
                           "empty, got '%s'", d->label_names[c->lab_idx[j]], v);
        rd->label[c->lab_idx[j]] = pr == CSV_NUM_BAD ? (float)b : (float)x;
    }
    rd->image = cx_strdup(f[c->col[M_IMAGE]]);
    strmap_put(&d->by_id, rd->id, d->n_reading);
    d->n_reading++;
    return 0;
}

// ---- {id}/fixations.csv ---------------------------------------------------------------------------
enum { F_T0, F_T1, F_PPDX, F_PPDY, F_XMIN, F_YMIN, F_XMAX, F_YMAX, F_X, F_Y, F_NCOLS };
static const char *const fix_cols[F_NCOLS - 2] = {
    "timestamp_start_fixation", "timestamp_end_fixation",
    "angular_resolution_x_pixels_per_degree", "angular_resolution_y_pixels_per_degree",
    "xmin_shown_from_image", "ymin_shown_from_image", "xmax_shown_from_image",
    "ymax_shown_from_image"};
static const char *const pos_cols[2][2] = {{"x_position", "y_position"},
                                           {"position_x", "position_y"}};

typedef struct file_ctx {
    const char *path;
    reflacx_data *d;
    reflacx_reading *rd;
    int col[F_NCOLS];
    const char *name[F_NCOLS];
    int64_t cap, rows;
    uint64_t label_bit[CSV_MAX_FIELDS]; // ellipses: the label bit of each header column, 0 = none
} file_ctx;

static int find_col(int nfields, const char *const *fields, const char *name) {
    for (int i = 0; i < nfields; i++)
        if (!strcmp(fields[i], name)) return i;
    return -1;
}

static int fix_header(void *vctx, int nfields, const char *const *fields, cx_error *err) {
    file_ctx *c = vctx;
    if (csv_header_require(c->path, nfields, fields, fix_cols, F_NCOLS - 2, c->col, err))
        return -1;
    for (int k = 0; k < F_NCOLS - 2; k++) c->name[k] = fix_cols[k];
    for (int s = 0; s < 2; s++) {
        int cx = find_col(nfields, fields, pos_cols[s][0]);
        int cy = find_col(nfields, fields, pos_cols[s][1]);
        if (cx >= 0 && cy >= 0) {
            c->col[F_X] = cx;
            c->col[F_Y] = cy;
            c->name[F_X] = pos_cols[s][0];
            c->name[F_Y] = pos_cols[s][1];
            c->rd->pos_spelling = (reflacx_pos_spelling)s;
            c->d->st.spelling[s]++;
            return 0;
        }
    }
    return cx_fail(err, "%s: missing fixation position columns: expected x_position and "
                   "y_position (or position_x and position_y)", c->path);
}

static int fix_row(void *vctx, int64_t line, int nfields, const char *const *f, cx_error *err) {
    (void)line;
    (void)nfields;
    file_ctx *c = vctx;
    reflacx_data *d = c->d;
    d->st.fixation_rows++;
    double v[F_NCOLS];
    int incomplete = 0;
    for (int k = 0; k < F_NCOLS; k++) {
        int r = parse_bounded(f[c->col[k]], &v[k]);
        if (r == CSV_NUM_BAD)
            return cx_fail(err, "column '%s': expected a number (|v| <= 1e6), got '%s'",
                           c->name[k], f[c->col[k]]);
        incomplete |= r == CSV_NUM_EMPTY;
    }
    if (incomplete) {
        d->st.fixations_incomplete++;
        return 0;
    }
    if (v[F_T1] < v[F_T0])
        return cx_fail(err, "column '%s': expected an end >= the start (%s), got '%s'",
                       c->name[F_T1], f[c->col[F_T0]], f[c->col[F_T1]]);
    for (int k = F_PPDX; k <= F_PPDY; k++)
        if (!(v[k] > 0))
            return cx_fail(err, "column '%s': expected a resolution > 0, got '%s'", c->name[k],
                           f[c->col[k]]);
    if (c->rd->fix_count >= REFLACX_MAX_FIXATIONS_PER_READING)
        return cx_fail(err, "more than %d fixations (REFLACX_MAX_FIXATIONS_PER_READING; real "
                       "readings have a few hundred): not a fixations table?",
                       REFLACX_MAX_FIXATIONS_PER_READING);
    if (d->n_fix >= REFLACX_MAX_FIXATIONS)
        return cx_fail(err, "more than %d fixations in all readings (REFLACX_MAX_FIXATIONS)",
                       REFLACX_MAX_FIXATIONS);
    if (d->n_fix == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4096;
        d->fix = cx_realloc(d->fix, (size_t)c->cap * sizeof *d->fix);
    }
    d->fix[d->n_fix++] = (reflacx_fixation){
        .t_start = v[F_T0], .t_end = v[F_T1], .x = (float)v[F_X], .y = (float)v[F_Y],
        .ppd_x = (float)v[F_PPDX], .ppd_y = (float)v[F_PPDY],
        .shown = {(float)v[F_XMIN], (float)v[F_YMIN], (float)v[F_XMAX], (float)v[F_YMAX]}};
    c->rd->fix_count++;
    return 0;
}

// ---- {id}/anomaly_location_ellipses.csv ---------------------------------------------------------
enum { E_XMIN, E_YMIN, E_XMAX, E_YMAX, E_CERT, E_NCOLS };
static const char *const ell_cols[E_NCOLS] = {"xmin", "ymin", "xmax", "ymax", "certainty"};

static int ell_header(void *vctx, int nfields, const char *const *fields, cx_error *err) {
    file_ctx *c = vctx;
    if (csv_header_require(c->path, nfields, fields, ell_cols, E_NCOLS, c->col, err)) return -1;
    for (int i = 0; i < nfields; i++) {
        c->label_bit[i] = 0;
        int core = 0;
        for (int k = 0; k < E_NCOLS; k++) core |= c->col[k] == i;
        if (core) continue;
        int k = label_index(c->d, fields[i], c->path, err);
        if (k < 0) return -1;
        c->label_bit[i] = 1ull << k;
    }
    return 0;
}

static int ell_row(void *vctx, int64_t line, int nfields, const char *const *f, cx_error *err) {
    (void)line;
    file_ctx *c = vctx;
    reflacx_data *d = c->d;
    reflacx_ellipse e = {0};
    float *dst[E_NCOLS] = {&e.xmin, &e.ymin, &e.xmax, &e.ymax, &e.certainty};
    for (int k = 0; k < E_NCOLS; k++) {
        double v;
        if (parse_bounded(f[c->col[k]], &v) != CSV_NUM_OK)
            return cx_fail(err, "column '%s': expected a number (|v| <= 1e6), got '%s'",
                           ell_cols[k], f[c->col[k]]);
        *dst[k] = (float)v;
    }
    for (int i = 0; i < nfields; i++) {
        int b;
        if (!c->label_bit[i]) continue;
        if (parse_bool(f[i], &b))
            return cx_fail(err, "column '%s': expected True or False, got '%s'",
                           c->d->label_names[__builtin_ctzll(c->label_bit[i])], f[i]);
        if (b) e.labels |= c->label_bit[i];
    }
    if (c->rd->ell_count >= REFLACX_MAX_ELLIPSES_PER_READING)
        return cx_fail(err, "more than %d ellipses (REFLACX_MAX_ELLIPSES_PER_READING): not an "
                       "ellipses table?", REFLACX_MAX_ELLIPSES_PER_READING);
    if (d->n_ell == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        d->ell = cx_realloc(d->ell, (size_t)c->cap * sizeof *d->ell);
    }
    d->ell[d->n_ell++] = e;
    c->rd->ell_count++;
    d->st.ellipses++;
    return 0;
}

// ---- {id}/chest_bounding_box.csv: one row xmin, ymin, xmax, ymax --------------------------------
static int box_header(void *vctx, int nfields, const char *const *fields, cx_error *err) {
    file_ctx *c = vctx;
    return csv_header_require(c->path, nfields, fields, ell_cols, 4, c->col, err);
}

static int box_row(void *vctx, int64_t line, int nfields, const char *const *f, cx_error *err) {
    (void)line;
    (void)nfields;
    file_ctx *c = vctx;
    if (c->rows++)
        return cx_fail(err, "expected one chest bounding box (one data row), found another");
    for (int k = 0; k < 4; k++) {
        double v;
        if (parse_bounded(f[c->col[k]], &v) != CSV_NUM_OK)
            return cx_fail(err, "column '%s': expected a number (|v| <= 1e6), got '%s'",
                           ell_cols[k], f[c->col[k]]);
        c->rd->chest_box[k] = (float)v;
    }
    return 0;
}

// Reads the three files of reading i; errors are prefixed with the reading's id.
static int read_reading(reflacx_data *d, int64_t i, int64_t *fix_cap, int64_t *ell_cap,
                        cx_error *err) {
    reflacx_reading *rd = &d->reading[i];
    char folder[4200], path[4300];
    if (cx_pathf(folder, sizeof folder, err, "%s/%s", d->dir, rd->id)) return -1;
    if (!cx_is_dir(folder))
        return cx_fail(err, "%s: reading folder of id '%s' (metadata_phase_%d.csv) not found",
                       folder, rd->id, rd->phase);
    file_ctx c = {.path = path, .d = d, .rd = rd};
    rd->fix_begin = d->n_fix;
    rd->ell_begin = d->n_ell;
    if (data_find_table(folder, "fixations", path, sizeof path, err)) return -1;
    c.cap = *fix_cap;
    int rc = csv_stream(path, fix_header, fix_row, &c, err);
    *fix_cap = c.cap;
    if (rc) return -1;
    if (data_find_table(folder, "anomaly_location_ellipses", path, sizeof path, err)) return -1;
    c.cap = *ell_cap;
    rc = csv_stream(path, ell_header, ell_row, &c, err);
    *ell_cap = c.cap;
    if (rc) return -1;
    if (data_find_table(folder, "chest_bounding_box", path, sizeof path, err)) return -1;
    c.rows = 0;
    if (csv_stream(path, box_header, box_row, &c, err)) return -1;
    if (c.rows != 1) return cx_fail(err, "%s: expected one chest bounding box row, found none",
                                    path);
    return 0;
}

int reflacx_read(const char *dir, reflacx_data *d, cx_error *err) {
    memset(d, 0, sizeof *d);
    strmap_init(&d->by_id);
    char path[4300];
    if (cx_pathf(d->dir, sizeof d->dir, err, "%s/main_data", dir)) return -1;
    if (!cx_is_dir(d->dir) && cx_pathf(d->dir, sizeof d->dir, err, "%s", dir)) return -1;
    if (!cx_is_dir(d->dir)) return cx_fail(err, "%s: REFLACX directory not found", dir);
    const char *main_data = d->dir;
    int phases = 0;
    meta_ctx *mc = cx_calloc(1, sizeof *mc); // ~32 KB of column maps: off the stack
    for (int p = 1; p <= REFLACX_N_PHASES; p++) {
        char name[32];
        snprintf(name, sizeof name, "metadata_phase_%d", p);
        if (data_find_table(main_data, name, path, sizeof path, NULL)) continue;
        phases++;
        int64_t cap = mc->cap; // of d->reading, which grows over the phases
        memset(mc, 0, sizeof *mc);
        mc->d = d;
        mc->phase = p;
        mc->cap = cap;
        mc->path = path;
        if (csv_stream(path, meta_header, meta_row, mc, err)) {
            free(mc);
            goto fail;
        }
    }
    free(mc);
    if (!phases) {
        cx_fail(err, "%s: no REFLACX metadata table (expected metadata_phase_1.csv, _2 or _3, "
                ".csv or .csv.gz)", main_data);
        goto fail;
    }
    int64_t fix_cap = 0, ell_cap = 0;
    for (int64_t i = 0; i < d->n_reading; i++)
        if (read_reading(d, i, &fix_cap, &ell_cap, err)) goto fail;
    // Never NULL after a successful read (as egd_read): d->fix + fix_begin is then valid C for a
    // reading without fixations even when no reading has any.
    if (!d->fix) d->fix = cx_calloc(1, sizeof *d->fix);
    if (!d->ell) d->ell = cx_calloc(1, sizeof *d->ell);
    d->st.readings = d->n_reading;
    return 0;
fail:
    reflacx_free(d);
    return -1;
}

void reflacx_free(reflacx_data *d) {
    for (int64_t i = 0; i < d->n_reading; i++) free(d->reading[i].image);
    for (int k = 0; k < d->n_labels; k++) free(d->label_names[k]);
    free(d->reading);
    free(d->fix);
    free(d->ell);
    strmap_free(&d->by_id);
    memset(d, 0, sizeof *d);
}
