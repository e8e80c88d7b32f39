// data/mimic: MIMIC-CXR-JPG 2.0.0 reader. Joins metadata (one row per image), split (per image)
// and chexpert or negbio labels (per study), all by column name. Format: DATA-FORMATS.md.
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

void mimic_image_relpath(char *out, size_t cap, const char *subject_id, const char *study_id,
                         const char *dicom_id) {
    snprintf(out, cap, "files/p%.2s/p%s/s%s/%s.jpg", subject_id, subject_id, study_id, dicom_id);
}

static int open_table(const char *dir, const char *name, csv_table **t, char *path, size_t cap,
                      cx_error *err) {
    char base[512];
    snprintf(base, sizeof base, "mimic-cxr-2.0.0-%s", name);
    if (data_find_table(dir, base, path, cap, err)) return -1;
    *t = csv_table_read(path, err);
    return *t ? 0 : -1;
}

// split table: dicom_id -> SPLIT_*
static int read_split(const char *dir, cx_strmap *split_of, cx_error *err) {
    char path[4200];
    csv_table *t;
    if (open_table(dir, "split", &t, path, sizeof path, err)) return -1;
    static const char *const names[2] = {"dicom_id", "split"};
    int col[2];
    if (csv_require_cols(t, names, 2, col, err)) goto fail;
    for (int64_t r = 0; r < csv_nrows(t); r++) {
        const char *id = csv_get(t, r, col[0]), *sp = csv_get(t, r, col[1]);
        int s = split_from_name(sp);
        if (s < 0) {
            cx_fail(err, "%s:%ld: column 'split': expected train, validate or test, got '%s'",
                    path, (long)csv_row_line(t, r), sp);
            goto fail;
        }
        if (!data_id_ok(id, 64)) {
            cx_fail(err, "%s:%ld: column 'dicom_id': expected a DICOM id, got '%s'", path,
                    (long)csv_row_line(t, r), id);
            goto fail;
        }
        strmap_put(split_of, id, s);
    }
    csv_table_free(t);
    return 0;
fail:
    csv_table_free(t);
    return -1;
}

// chexpert / negbio table: study_id -> row of raw labels [n_studies, 14]
static int read_labels(const char *dir, labeler_kind labeler, cx_strmap *row_of, int **raw,
                       cx_error *err) {
    char path[4200];
    csv_table *t;
    if (open_table(dir, labeler == LABELER_NEGBIO ? "negbio" : "chexpert", &t, path, sizeof path,
                   err))
        return -1;
    const char *names[1 + CX_N_LABELS] = {"study_id"};
    for (int c = 0; c < CX_N_LABELS; c++) names[1 + c] = CX_LABELS[c];
    int col[1 + CX_N_LABELS];
    if (csv_require_cols(t, names, 1 + CX_N_LABELS, col, err)) goto fail;
    int64_t n = csv_nrows(t);
    *raw = cx_malloc((size_t)(n ? n : 1) * CX_N_LABELS * sizeof **raw);
    for (int64_t r = 0; r < n; r++) {
        long line = (long)csv_row_line(t, r);
        const char *study = csv_get(t, r, col[0]);
        if (!data_digits_ok(study, 24)) {
            cx_fail(err, "%s:%ld: column 'study_id': expected a numeric study id, got '%s'", path,
                    line, study);
            goto fail;
        }
        for (int c = 0; c < CX_N_LABELS; c++) {
            const char *v = csv_get(t, r, col[1 + c]);
            if (label_parse(v, &(*raw)[r * CX_N_LABELS + c])) {
                cx_fail(err,
                        "%s:%ld: column '%s': expected 1, 0, -1 (or 1.0, 0.0, -1.0) or empty, "
                        "got '%s'",
                        path, line, CX_LABELS[c], v);
                goto fail;
            }
        }
        int64_t prev = strmap_put(row_of, study, r);
        if (prev >= 0) {
            cx_fail(err, "%s:%ld: column 'study_id': study %s already labelled at line %ld", path,
                    line, study, (long)csv_row_line(t, prev));
            goto fail;
        }
    }
    csv_table_free(t);
    return 0;
fail:
    free(*raw);
    *raw = NULL;
    csv_table_free(t);
    return -1;
}

enum { C_DICOM, C_SUBJECT, C_STUDY, C_VIEW, C_ROWS, C_COLS, C_N };

static const char *const METADATA_COLS[C_N] = {"dicom_id", "subject_id", "study_id",
                                               "ViewPosition", "Rows", "Columns"};

// Checks metadata row v [C_N] (path:line) and its dicom_id's uniqueness (seen: id -> line);
// fills dim = Rows, Columns (0 when empty).
static int check_metadata_row(const char *path, long line, const char *const *v, cx_strmap *seen,
                              int64_t dim[2], cx_error *err) {
#define BAD(c, what)                                                                           \
    cx_fail(err, "%s:%ld: column '%s': expected %s, got '%s'", path, line, METADATA_COLS[c], what, \
            v[c])
    if (!data_id_ok(v[C_DICOM], 64)) return BAD(C_DICOM, "a DICOM id");
    int64_t first = strmap_put(seen, v[C_DICOM], line);
    if (first >= 0)
        return cx_fail(err, "%s:%ld: column 'dicom_id': %s already listed at line %lld", path, line,
                       v[C_DICOM], (long long)first);
    if (!data_digits_ok(v[C_SUBJECT], 24)) return BAD(C_SUBJECT, "a numeric subject id");
    if (!data_digits_ok(v[C_STUDY], 24)) return BAD(C_STUDY, "a numeric study id");
    dim[0] = dim[1] = 0;
    for (int k = 0; k < 2; k++) {
        int prc = csv_parse_int64(v[C_ROWS + k], &dim[k]);
        if (prc == CSV_NUM_BAD || dim[k] < 0 || dim[k] > IMG_MAX_SIDE)
            return BAD(C_ROWS + k, "a pixel count (or empty)");
    }
    if (strlen(v[C_VIEW]) >= 16) return BAD(C_VIEW, "a view position (PA, AP, LATERAL, ...)");
#undef BAD
    return 0;
}

// The image record of metadata row v, its labels from raw [14] under policy unc.
static void push_record(image_list *out, const char *dir, const char *const *v, const int *raw,
                        uncertain_policy unc, int split, const int64_t dim[2]) {
    image_record *rec = image_list_push(out);
    snprintf(rec->dicom_id, sizeof rec->dicom_id, "%s", v[C_DICOM]);
    snprintf(rec->subject_id, sizeof rec->subject_id, "%s", v[C_SUBJECT]);
    snprintf(rec->study_id, sizeof rec->study_id, "%s", v[C_STUDY]);
    snprintf(rec->view, sizeof rec->view, "%s", v[C_VIEW]);
    char rel[512], full[4800];
    mimic_image_relpath(rel, sizeof rel, rec->subject_id, rec->study_id, rec->dicom_id);
    rec->path = cx_strdup(cx_path_join(full, sizeof full, dir, rel));
    for (int c = 0; c < CX_N_LABELS; c++)
        label_apply_policy(raw[c], unc, &rec->labels[c], &rec->label_mask[c]);
    rec->split = split;
    rec->rows = (int)dim[0];
    rec->cols = (int)dim[1];
}

int mimic_read(const char *dir, view_filter views, labeler_kind labeler, uncertain_policy unc,
               image_list *out, mimic_stats *st, cx_error *err) {
    memset(st, 0, sizeof *st);
    if (!cx_is_dir(dir)) return cx_fail(err, "%s: MIMIC-CXR-JPG directory not found", dir);
    cx_strmap split_of, label_row, seen; // seen: dicom_id -> metadata line
    strmap_init(&split_of);
    strmap_init(&label_row);
    strmap_init(&seen);
    int *raw = NULL;
    csv_table *t = NULL;
    int rc = -1;
    if (read_split(dir, &split_of, err)) goto done;
    if (read_labels(dir, labeler, &label_row, &raw, err)) goto done;
    char path[4200];
    if (open_table(dir, "metadata", &t, path, sizeof path, err)) goto done;
    int col[C_N];
    if (csv_require_cols(t, METADATA_COLS, C_N, col, err)) goto done;
    for (int64_t r = 0; r < csv_nrows(t); r++) {
        const char *v[C_N];
        for (int c = 0; c < C_N; c++) v[c] = csv_get(t, r, col[c]);
        int64_t dim[2];
        if (check_metadata_row(path, (long)csv_row_line(t, r), v, &seen, dim, err)) goto done;
        st->metadata_rows++;
        int frontal = !strcmp(v[C_VIEW], "PA") || !strcmp(v[C_VIEW], "AP");
        if (views == VIEWS_FRONTAL && !frontal) {
            st->not_frontal++;
            continue;
        }
        int64_t split = strmap_get(&split_of, v[C_DICOM]);
        if (split < 0) {
            st->no_split++;
            continue;
        }
        int64_t lr = strmap_get(&label_row, v[C_STUDY]);
        if (lr < 0) {
            st->no_labels++;
            continue;
        }
        push_record(out, dir, v, raw + lr * CX_N_LABELS, unc, (int)split, dim);
        st->selected++;
    }
    rc = 0;
done:
    csv_table_free(t);
    free(raw);
    strmap_free(&split_of);
    strmap_free(&label_row);
    strmap_free(&seen);
    return rc;
}
