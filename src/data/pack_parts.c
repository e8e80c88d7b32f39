// data/pack: the pack's optional parts, expert annotations and radiologist readings: checks before
// writing, readings.csv, and on open the annotation_labels list, value checks and readings.csv;
// lookups by row (pack_annotation, pack_readings).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/pack_internal.h"

const char *const CX_READING_SOURCES[] = {"egd", "reflacx"};
_Static_assert(sizeof CX_READING_SOURCES / sizeof *CX_READING_SOURCES == CX_N_READING_SOURCES,
               "one name per reading source");

int pack_write_readings(const pack_contents *c, const char *path, cx_error *err) {
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    static const char *const head[5] = {"reading", "row", "dicom_id", "source", "reading_id"};
    csv_writer_row(w, 5, head);
    for (int64_t i = 0; i < c->n_readings; i++) {
        csv_writer_fieldf(w, "%lld", (long long)i);
        csv_writer_fieldf(w, "%d", (int)c->reading_row[i]);
        csv_writer_field(w, c->ids[c->reading_row[i]].dicom_id);
        csv_writer_field(w, CX_READING_SOURCES[c->reading_source[i]]);
        csv_writer_field(w, c->reading_id[i]);
        csv_writer_end_row(w);
    }
    return csv_writer_commit(w, err);
}

// The annotations a writer is given obey what pack_open checks (a bug upstream is refused here,
// not written into a pack that later fails to open).
int pack_check_annotations_out(const pack_contents *c, cx_error *err) {
    if (c->n_annot_labels < CX_N_LABELS)
        return cx_fail(err, "pack_write: %d annotation labels, expected at least %d",
                       c->n_annot_labels, CX_N_LABELS);
    for (int i = 0; i < c->n_annot_labels; i++)
        if ((i < CX_N_LABELS && strcmp(c->annot_labels[i], CX_LABELS[i])) ||
            !c->annot_labels[i][0] || strchr(c->annot_labels[i], ','))
            return cx_fail(err, "pack_write: annotation label %d '%s' is not allowed", i,
                           c->annot_labels[i]);
    for (int64_t a = 0; a < c->n_annot; a++) {
        int32_t r = c->annot_row[a], l = c->annot_label[a];
        int sorted = a == 0 || r > c->annot_row[a - 1] ||
                     (r == c->annot_row[a - 1] && l > c->annot_label[a - 1]);
        if (r < 0 || r >= c->n || l < 0 || l >= c->n_annot_labels || !sorted)
            return cx_fail(err, "pack_write: annotation %lld (row %d, label %d) out of range or "
                           "not sorted by (row, label)", (long long)a, r, l);
    }
    return 0;
}

int pack_check_readings_out(const pack_contents *c, cx_error *err) {
    for (int64_t i = 0; i < c->n_readings; i++)
        if (c->reading_row[i] < 0 || c->reading_row[i] >= c->n ||
            (i && c->reading_row[i] < c->reading_row[i - 1]) ||
            c->reading_source[i] >= CX_N_READING_SOURCES || !c->reading_id[i] ||
            !c->reading_id[i][0])
            return cx_fail(err, "pack_write: reading %lld (row %d, source %d) out of range, "
                           "not sorted by row, or without an id", (long long)i,
                           c->reading_row[i], c->reading_source[i]);
    return 0;
}

// __metadata__ annotation_labels: the 14 CX_LABELS, then extra names.
int pack_read_annotation_labels(pack *p, cx_error *err) {
    const char *list = st_meta(&p->st, "annotation_labels");
    if (!list) return cx_fail(err, "%s: annotations without __metadata__ annotation_labels",
                              p->st.path);
    int n = 1;
    for (const char *c = list; *c; c++) n += *c == ',';
    p->annot_labels = cx_calloc((size_t)n, sizeof *p->annot_labels);
    const char *at = list;
    for (int i = 0; i < n; i++) {
        size_t len = strcspn(at, ",");
        p->annot_labels[i] = cx_malloc(len + 1);
        memcpy(p->annot_labels[i], at, len);
        p->annot_labels[i][len] = 0;
        p->n_annot_labels = i + 1;
        at += len + (at[len] == ',');
        if (!len || (i < CX_N_LABELS && strcmp(p->annot_labels[i], CX_LABELS[i])))
            return cx_fail(err, "%s: __metadata__ annotation_labels: name %d is '%s', expected %s",
                           p->st.path, i, p->annot_labels[i],
                           i < CX_N_LABELS ? CX_LABELS[i] : "a non-empty name");
    }
    if (n < CX_N_LABELS)
        return cx_fail(err, "%s: __metadata__ annotation_labels has %d names, expected at least %d",
                       p->st.path, n, CX_N_LABELS);
    return 0;
}

// Rows in range and sorted by (row, label) without repeats (pack_annotation's binary search
// relies on it); masks 0/1.
int pack_check_annotations(pack *p, cx_error *err) {
    const int64_t npix = (int64_t)p->size * p->size;
    for (int64_t a = 0; a < p->n_annot; a++) {
        int32_t r = p->annot_row[a], l = p->annot_label[a];
        int sorted = a == 0 || r > p->annot_row[a - 1] ||
                     (r == p->annot_row[a - 1] && l > p->annot_label[a - 1]);
        if (r < 0 || r >= p->n || l < 0 || l >= p->n_annot_labels || !sorted)
            return cx_fail(err,
                           "%s: annotation %lld: row %d, label %d (expected row < %lld, label < "
                           "%d, sorted by (row, label) without repeats)",
                           p->st.path, (long long)a, r, l, (long long)p->n, p->n_annot_labels);
    }
    for (int64_t i = 0; i < p->n_annot * npix; i++)
        if (p->annot_mask[i] > 1)
            return cx_fail(err, "%s: tensor \"annotations\": element %lld is %d, expected 0/1",
                           p->st.path, (long long)i, p->annot_mask[i]);
    return 0;
}

// Rows ascending and in range, sources known, heatmaps in [0,1], fixation maps 0/1.
int pack_check_readings(pack *p, cx_error *err) {
    const int64_t npix = (int64_t)p->size * p->size;
    for (int64_t i = 0; i < p->n_readings; i++) {
        int32_t r = p->reading_row[i];
        if (r < 0 || r >= p->n || (i && r < p->reading_row[i - 1]) ||
            p->reading_source[i] >= CX_N_READING_SOURCES)
            return cx_fail(err,
                           "%s: reading %lld: row %d, source %d (expected rows ascending below "
                           "%lld, source < %d)",
                           p->st.path, (long long)i, r, p->reading_source[i], (long long)p->n,
                           CX_N_READING_SOURCES);
    }
    for (int64_t i = 0; i < p->n_readings * npix; i++) {
        if (!(p->reading_gaze[i] >= 0.0f && p->reading_gaze[i] <= 1.0f))
            return cx_fail(err, "%s: tensor \"reading_gaze\": element %lld is %g, expected [0,1]",
                           p->st.path, (long long)i, p->reading_gaze[i]);
        if (p->reading_fixations[i] > 1)
            return cx_fail(err, "%s: tensor \"reading_fixations\": element %lld is %d, expected "
                           "0/1", p->st.path, (long long)i, p->reading_fixations[i]);
    }
    return 0;
}

// readings.csv: one row per reading, agreeing with the tensors.
int pack_read_readings(pack *p, cx_error *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/readings.csv", p->dir);
    csv_table *t = csv_table_read(path, err);
    if (!t) return -1;
    static const char *const names[5] = {"reading", "row", "dicom_id", "source", "reading_id"};
    int col[5], rc = -1;
    if (csv_require_cols(t, names, 5, col, err)) goto done;
    if (csv_nrows(t) != p->n_readings) {
        cx_fail(err, "%s: %lld rows, but pack.safetensors holds %lld readings", path,
                (long long)csv_nrows(t), (long long)p->n_readings);
        goto done;
    }
    p->reading_id = cx_calloc((size_t)p->n_readings, sizeof(char *));
    for (int64_t i = 0; i < p->n_readings; i++) {
        int64_t k, row;
        long line = (long)csv_row_line(t, i);
        const char *src = csv_get(t, i, col[3]);
        if (csv_parse_int64(csv_get(t, i, col[0]), &k) != CSV_NUM_OK || k != i ||
            csv_parse_int64(csv_get(t, i, col[1]), &row) != CSV_NUM_OK ||
            row != p->reading_row[i] || strcmp(csv_get(t, i, col[2]), p->dicom_id[row]) ||
            strcmp(src, CX_READING_SOURCES[p->reading_source[i]]) || !csv_get(t, i, col[4])[0]) {
            cx_fail(err, "%s:%ld: reading %lld disagrees with pack.safetensors (expected reading "
                    "%lld, row %d, dicom_id %s, source %s, a reading_id)", path, line,
                    (long long)i, (long long)i, (int)p->reading_row[i],
                    p->dicom_id[p->reading_row[i]], CX_READING_SOURCES[p->reading_source[i]]);
            goto done;
        }
        p->reading_id[i] = cx_strdup(csv_get(t, i, col[4]));
    }
    rc = 0;
done:
    csv_table_free(t);
    return rc;
}

int64_t pack_readings(const pack *p, int64_t row, int64_t *first) {
    int64_t lo = 0, hi = p->n_readings; // first reading with reading_row >= row
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (p->reading_row[mid] < row) lo = mid + 1;
        else hi = mid;
    }
    *first = lo;
    int64_t n = 0;
    while (lo + n < p->n_readings && p->reading_row[lo + n] == row) n++;
    return n;
}

const uint8_t *pack_annotation(const pack *p, int64_t row, int label) {
    int64_t lo = 0, hi = p->n_annot; // first index with (annot_row, annot_label) >= (row, label)
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int less = p->annot_row[mid] < row ||
                   (p->annot_row[mid] == row && p->annot_label[mid] < label);
        if (less) lo = mid + 1;
        else hi = mid;
    }
    if (lo < p->n_annot && p->annot_row[lo] == row && p->annot_label[lo] == label)
        return p->annot_mask + (size_t)lo * p->size * p->size;
    return NULL;
}
