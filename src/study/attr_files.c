// study/attr_files.c: the attribute stage's files, writer and reader side by side: maps.csv (the
// index of the maps) and DIR/<method>.safetensors (study.h, "attribute a split").
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/study.h"

// maps.csv's columns, in file order: the one definition the writer and the reader use.
enum {
    MAPS_MAP_ROW,
    MAPS_DICOM_ID,
    MAPS_TARGET,
    MAPS_LABEL,
    MAPS_POSITIVE,
    MAPS_PROBABILITY,
    MAPS_N_COLS
};
static const char *const maps_col[] = {"map_row", "dicom_id", "target",
                                       "label",   "positive", "probability"};
_Static_assert(sizeof maps_col / sizeof *maps_col == MAPS_N_COLS, "one name per maps.csv column");

// dir/name into out (cap bytes); a path that does not fit is an error naming it.
static int path_in(char *out, size_t cap, const char *dir, const char *name, cx_error *err) {
    if (strlen(dir) + 1 + strlen(name) >= cap)
        return cx_fail(err, "%s/%s: path longer than %zu bytes", dir, name, cap - 1);
    cx_path_join(out, cap, dir, name);
    return 0;
}

int study_map_index_path(const char *attr_dir, char *out, size_t cap, cx_error *err) {
    return path_in(out, cap, attr_dir, "maps.csv", err);
}

int study_map_index_write(const char *attr_dir, const pack *pk, const study_map_index *ix,
                          cx_error *err) {
    char path[4200];
    if (study_map_index_path(attr_dir, path, sizeof path, err)) return -1;
    // what the reader requires, checked before anything is written
    for (int64_t i = 0; i < ix->n; i++)
        if (ix->pack_row[i] < 0 || ix->pack_row[i] >= pk->n || ix->target[i] < 0 ||
            ix->target[i] >= CX_N_LABELS)
            return cx_fail(err,
                           "%s: map %lld: pack row %lld / target %d outside the pack's %lld "
                           "rows / %d labels",
                           path, (long long)i, (long long)ix->pack_row[i], ix->target[i],
                           (long long)pk->n, CX_N_LABELS);
    csv_writer *cw = csv_writer_open(path, err);
    if (!cw) return -1;
    csv_writer_row(cw, MAPS_N_COLS, maps_col);
    for (int64_t i = 0; i < ix->n; i++) {
        int c = ix->target[i];
        csv_writer_fieldf(cw, "%lld", (long long)i);
        csv_writer_field(cw, pk->dicom_id[ix->pack_row[i]]);
        csv_writer_fieldf(cw, "%d", c);
        csv_writer_field(cw, CX_LABELS[c]);
        csv_writer_fieldf(cw, "%d", ix->positive[i]);
        csv_writer_fieldf(cw, "%.6f", ix->probability[i]);
        csv_writer_end_row(cw);
    }
    return csv_writer_commit(cw, err);
}

void study_map_index_alloc(study_map_index *ix, int64_t n) {
    size_t m = (size_t)(n > 0 ? n : 1);
    ix->n = n;
    ix->pack_row = cx_malloc(sizeof *ix->pack_row * m);
    ix->target = cx_malloc(sizeof *ix->target * m);
    ix->positive = cx_malloc(sizeof *ix->positive * m);
    ix->probability = cx_malloc(sizeof *ix->probability * m);
}

void study_map_index_free(study_map_index *ix) {
    free(ix->pack_row);
    free(ix->target);
    free(ix->positive);
    free(ix->probability);
    memset(ix, 0, sizeof *ix);
}

// Row r of maps.csv into ix (index r); rows maps dicom_id -> pack row (NULL: -1).
static int map_index_row(const csv_table *t, int64_t r, const int *col, const cx_strmap *rows,
                         study_map_index *ix, cx_error *err) {
    const char *path = csv_path(t);
    long long line = (long long)csv_row_line(t, r);
#define CELL(k) csv_get(t, r, col[k])
#define BAD(k, what)                                                                               \
    cx_fail(err, "%s:%lld:%d: column \"%s\": expected %s, got \"%s\"", path, line, col[k] + 1,     \
            maps_col[k], what, CELL(k))
    int64_t v;
    double p;
    if (csv_parse_int64(CELL(MAPS_MAP_ROW), &v) != CSV_NUM_OK || v != r) {
        char want[64];
        snprintf(want, sizeof want, "%lld (rows in map order)", (long long)r);
        return BAD(MAPS_MAP_ROW, want);
    }
    ix->pack_row[r] = rows ? strmap_get(rows, CELL(MAPS_DICOM_ID)) : -1;
    if (csv_parse_int64(CELL(MAPS_TARGET), &v) != CSV_NUM_OK || v < 0 || v >= CX_N_LABELS)
        return BAD(MAPS_TARGET, "a label index 0..13");
    ix->target[r] = (int)v;
    if (strcmp(CELL(MAPS_LABEL), CX_LABELS[v])) {
        char want[96];
        snprintf(want, sizeof want, "\"%s\", the name of target %d", CX_LABELS[v], (int)v);
        return BAD(MAPS_LABEL, want);
    }
    if (csv_parse_int64(CELL(MAPS_POSITIVE), &v) != CSV_NUM_OK || (v != 0 && v != 1))
        return BAD(MAPS_POSITIVE, "0 or 1");
    ix->positive[r] = (int8_t)v;
    if (csv_parse_double(CELL(MAPS_PROBABILITY), &p) != CSV_NUM_OK || !(p >= 0 && p <= 1))
        return BAD(MAPS_PROBABILITY, "a probability in [0,1]");
    ix->probability[r] = (float)p;
    return 0;
#undef BAD
#undef CELL
}

int study_map_index_read(const char *attr_dir, const pack *pk, study_map_index *out,
                         cx_error *err) {
    memset(out, 0, sizeof *out);
    char path[4200];
    if (study_map_index_path(attr_dir, path, sizeof path, err)) return -1;
    csv_table *t = csv_table_read(path, err);
    if (!t) return -1;
    int col[MAPS_N_COLS];
    if (csv_require_cols(t, maps_col, MAPS_N_COLS, col, err)) {
        csv_table_free(t);
        return -1;
    }
    cx_strmap rows;
    strmap_init(&rows);
    for (int64_t i = 0; pk && i < pk->n; i++)
        strmap_put(&rows, pk->dicom_id[i], i);
    study_map_index_alloc(out, csv_nrows(t));
    int rc = 0;
    for (int64_t r = 0; r < out->n && !rc; r++)
        rc = map_index_row(t, r, col, pk ? &rows : NULL, out, err);
    strmap_free(&rows);
    csv_table_free(t);
    if (rc) study_map_index_free(out);
    return rc;
}

// __metadata__ "options": every setting that shapes the maps, one line.
static void options_line(const attr_options *o, char *buf, size_t cap) {
    char gsb[64]; // the GS baseline set, "zero+blur"
    attr_baselines_text(o->gs_baselines, "+", gsb, sizeof gsb);
    snprintf(buf, cap,
             "preset=%s baseline=%s blur_sigma=%g upsample=%s gc_relu=%d gc_layer=%s lc_layer=%s "
             "lc_steps=%d captum_compat=%d gs_samples=%d gs_baselines=%s gs_stdev=%g nt_samples=%d "
             "nt_stdev=%g ig_steps=%d oc=%d/%d",
             attr_preset_name(o->preset), attr_baseline_name(o->baseline), o->blur_sigma_frac,
             o->upsample == ATTR_UPSAMPLE_NEAREST ? "nearest" : "bilinear", o->gc_relu, o->gc_layer,
             o->lc_layer, o->lc_steps, o->dl_captum_compat, o->gs_samples, gsb, o->gs_stdev,
             o->nt_samples, o->nt_stdev, o->ig_steps, o->oc_patch, o->oc_stride);
}

int study_method_path(const char *attr_dir, attr_method m, char *out, size_t cap, cx_error *err) {
    char file[64];
    snprintf(file, sizeof file, "%s.safetensors", attr_method_name(m));
    return path_in(out, cap, attr_dir, file, err);
}

int study_method_file_write(const char *attr_dir, const study_method_file *f, cx_error *err) {
    const char *name = attr_method_name(f->method);
    char path[4200], buf[512];
    if (study_method_path(attr_dir, f->method, path, sizeof path, err)) return -1;
    st_writer *sw = st_writer_new();
    int64_t n1[1] = {f->shape[0]};
    st_writer_add(sw, name, ST_F32, f->raw ? 4 : 3, f->shape, f->values);
    st_writer_add(sw, "target", ST_I32, 1, n1, f->target);
    if (f->delta) st_writer_add(sw, "delta", ST_F32, 1, n1, f->delta);
    st_writer_meta(sw, "method", name);
    st_writer_meta(sw, "kind", f->raw ? "raw" : "maps");
    st_writer_meta(sw, "model", f->model);
    st_writer_meta(sw, "precision", nn_precision_name(f->opt->precision));
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)f->opt->seed);
    st_writer_meta(sw, "seed", buf);
    options_line(f->opt, buf, sizeof buf);
    st_writer_meta(sw, "options", buf);
    int rc = st_writer_write(sw, path, err);
    st_writer_free(sw);
    return rc;
}

int study_method_maps_open(const char *attr_dir, attr_method m, int64_t n, int S,
                           study_method_maps *out, cx_error *err) {
    memset(out, 0, sizeof *out);
    const char *name = attr_method_name(m);
    char path[4200];
    if (study_method_path(attr_dir, m, path, sizeof path, err)) return -1;
    if (!cx_path_exists(path)) return 1;
    if (st_open(&out->file, path, err)) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    const st_tensor *t = st_find(&out->file, name);
    const char *kind = st_meta(&out->file, "kind");
    int64_t shape[3] = {n, S, S};
    int rc = 0;
    if (t && ((kind && !strcmp(kind, "raw")) || t->ndim == 4))
        rc = cx_fail(err,
                     "%s: tensor \"%s\" holds raw (Captum-shaped) attributions, expected "
                     "maps [%lld,%d,%d]: write the maps without --raw",
                     path, name, (long long)n, S, S);
    else if (st_expect(&out->file, name, ST_F32, 3, shape, &t, err)) // names file, tensor, shape
        rc = -1;
    else if ((uintptr_t)t->data % sizeof(float))
        rc = cx_fail(err, "%s: tensor \"%s\" is not 4-byte aligned", path, name);
    if (rc) {
        st_close(&out->file);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->method = m;
    out->maps = t->data;
    out->n = n;
    out->S = S;
    return 0;
}

void study_method_maps_close(study_method_maps *mm) {
    if (mm->file.map) st_close(&mm->file);
    memset(mm, 0, sizeof *mm);
}
