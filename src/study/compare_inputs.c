// study/compare: loading the pack, each model's predictions/thresholds and attribution maps,
// and selecting the maps the study analyses. The loaders of the other stages' files live here
// only, until those stages' readers replace them.
#include "study/compare_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int label_index(const char *s) {
    for (int c = 0; c < CX_N_LABELS; c++)
        if (strcmp(s, CX_LABELS[c]) == 0) return c;
    return -1;
}

// predictions.csv: dicom_id, prob_<Label> x14 (other columns ignored).
static int load_predictions(const char *dir, const cx_strmap *rows, int64_t n, float *prob,
                            cx_error *err) {
    char path[4200];
    cx_path_join(path, sizeof path, dir, "predictions.csv");
    csv_table *t = csv_table_read(path, err);
    if (!t) return -1;
    const char *names[1 + CX_N_LABELS];
    char buf[CX_N_LABELS][64];
    names[0] = "dicom_id";
    for (int c = 0; c < CX_N_LABELS; c++) {
        snprintf(buf[c], sizeof buf[c], "prob_%s", CX_LABELS[c]);
        names[1 + c] = buf[c];
    }
    int idx[1 + CX_N_LABELS];
    if (csv_require_cols(t, names, 1 + CX_N_LABELS, idx, err)) {
        csv_table_free(t);
        return -1;
    }
    for (int64_t i = 0; i < n * CX_N_LABELS; i++) prob[i] = NAN;
    for (int64_t r = 0; r < csv_nrows(t); r++) {
        int64_t row = strmap_get(rows, csv_get(t, r, idx[0]));
        if (row < 0) continue; // an image of another pack: not ours to judge
        for (int c = 0; c < CX_N_LABELS; c++) {
            double v;
            int rc = csv_parse_double(csv_get(t, r, idx[1 + c]), &v);
            if (rc == CSV_NUM_BAD || (rc == CSV_NUM_OK && !(v >= 0 && v <= 1))) {
                cx_fail(err, "%s:%lld: column \"%s\": expected a probability, got \"%s\"", path,
                        (long long)csv_row_line(t, r), names[1 + c], csv_get(t, r, idx[1 + c]));
                csv_table_free(t);
                return -1;
            }
            prob[row * CX_N_LABELS + c] = rc == CSV_NUM_OK ? (float)v : NAN;
        }
    }
    csv_table_free(t);
    return 0;
}

// thresholds.csv: label, threshold.
static int load_thresholds(const char *dir, double *thr, cx_error *err) {
    char path[4200];
    cx_path_join(path, sizeof path, dir, "thresholds.csv");
    csv_table *t = csv_table_read(path, err);
    if (!t) return -1;
    const char *names[2] = {"label", "threshold"};
    int idx[2];
    if (csv_require_cols(t, names, 2, idx, err)) {
        csv_table_free(t);
        return -1;
    }
    for (int c = 0; c < CX_N_LABELS; c++) thr[c] = 0.5;
    for (int64_t r = 0; r < csv_nrows(t); r++) {
        int c = label_index(csv_get(t, r, idx[0]));
        double v;
        int rc = csv_parse_double(csv_get(t, r, idx[1]), &v);
        if (c < 0 || rc == CSV_NUM_BAD) {
            cx_fail(err, "%s:%lld: expected a label name and a threshold", path,
                    (long long)csv_row_line(t, r));
            csv_table_free(t);
            return -1;
        }
        if (rc == CSV_NUM_OK) thr[c] = v; // empty: label without positives on validate -> 0.5
    }
    csv_table_free(t);
    return 0;
}

// maps.csv: map_row, dicom_id, target (label index or name; or a "label" column with the name).
static int load_map_index(const char *dir, const cx_strmap *rows, cmp_model *m, cx_error *err) {
    char path[4200];
    cx_path_join(path, sizeof path, dir, "maps.csv");
    csv_table *t = csv_table_read(path, err);
    if (!t) return -1;
    const char *names[2] = {"map_row", "dicom_id"};
    int idx[2];
    if (csv_require_cols(t, names, 2, idx, err)) {
        csv_table_free(t);
        return -1;
    }
    int ct = csv_col(t, "target"), cl = csv_col(t, "label");
    if (ct < 0 && cl < 0) {
        csv_table_free(t);
        return cx_fail(err, "%s: missing column \"target\" (or \"label\")", path);
    }
    m->n_maps = csv_nrows(t);
    m->map_pack_row = cx_malloc(sizeof(int64_t) * (m->n_maps ? m->n_maps : 1));
    m->map_target = cx_malloc(sizeof(int) * (m->n_maps ? m->n_maps : 1));
    for (int64_t r = 0; r < m->n_maps; r++) {
        int64_t mr;
        if (csv_parse_int64(csv_get(t, r, idx[0]), &mr) != CSV_NUM_OK || mr != r) {
            cx_fail(err, "%s:%lld: map_row: expected %lld (rows in order), got \"%s\"", path,
                    (long long)csv_row_line(t, r), (long long)r, csv_get(t, r, idx[0]));
            csv_table_free(t);
            return -1;
        }
        m->map_pack_row[r] = strmap_get(rows, csv_get(t, r, idx[1]));
        int c = -1;
        int64_t ti;
        if (ct >= 0 && csv_parse_int64(csv_get(t, r, ct), &ti) == CSV_NUM_OK)
            c = ti >= 0 && ti < CX_N_LABELS ? (int)ti : -1;
        else if (ct >= 0)
            c = label_index(csv_get(t, r, ct));
        if (c < 0 && cl >= 0) c = label_index(csv_get(t, r, cl));
        if (c < 0) {
            cx_fail(err, "%s:%lld: target: expected a label index 0..13 or a label name", path,
                    (long long)csv_row_line(t, r));
            csv_table_free(t);
            return -1;
        }
        m->map_target[r] = c;
    }
    csv_table_free(t);
    return 0;
}

static int load_methods(const char *dir, int S, cmp_model *m, cx_error *err) {
    for (int k = 0; k < ATTR_NMETHODS; k++) {
        const char *method = attr_method_name((attr_method)k);
        char file[64], path[4200];
        snprintf(file, sizeof file, "%s.safetensors", method);
        cx_path_join(path, sizeof path, dir, file);
        if (!cx_path_exists(path)) continue;
        st_file *f = &m->file[m->n_methods];
        if (st_open(f, path, err)) return -1;
        const st_tensor *t;
        int64_t shape[3] = {m->n_maps, S, S};
        if (st_expect(f, method, ST_F32, 3, shape, &t, err)) {
            st_close(f);
            return cx_fail_wrap(err, "maps must be [maps.csv rows, S, S] (write them without --raw)");
        }
        if ((uintptr_t)t->data % sizeof(float)) {
            st_close(f);
            return cx_fail(err, "%s: tensor \"%s\" is not 4-byte aligned", path, method);
        }
        m->method[m->n_methods] = (attr_method)k;
        m->maps[m->n_methods] = t->data;
        m->n_methods++;
    }
    if (m->n_methods == 0)
        return cx_fail(err, "%s: no <method>.safetensors map files (sl, gc, dl, lc, gs, nt, ig, oc)",
                       dir);
    return 0;
}

static void select_analysed(const cmp_inputs *in, cmp_model *m) {
    const pack *p = &in->pk;
    m->an_map = cx_malloc(sizeof(int64_t) * (m->n_maps ? m->n_maps : 1));
    m->an_correct = cx_malloc(m->n_maps ? m->n_maps : 1);
    m->n_an = 0;
    for (int64_t r = 0; r < m->n_maps; r++) {
        int64_t i = m->map_pack_row[r];
        int c = m->map_target[r];
        if (i < 0 || p->split[i] != SPLIT_TEST || p->gaze_row[i] < 0) continue;
        if (!p->label_mask[i * CX_N_LABELS + c] || p->labels[i * CX_N_LABELS + c] < 0.5f) continue;
        float pr = m->prob[i * CX_N_LABELS + c];
        if (isnan(pr)) continue;
        m->an_map[m->n_an] = r;
        m->an_correct[m->n_an] = pr >= m->thr[c];
        m->n_an++;
    }
}

static void dir_basename(const char *dir, char *out, size_t cap) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/') tmp[--n] = 0;
    const char *b = strrchr(tmp, '/');
    snprintf(out, cap, "%s", b ? b + 1 : tmp);
}

// Held-out gaze images (and their positions by pack row), and the two baseline maps.
static int gaze_baselines(cmp_inputs *in, const char *data_dir, cx_error *err) {
    const pack *p = &in->pk;
    size_t npix = (size_t)in->S * in->S;
    in->gaze_test_rows = cx_malloc(sizeof(int64_t) * (size_t)(p->n ? p->n : 1));
    in->gaze_test_index = cx_malloc(sizeof(int64_t) * (size_t)(p->n ? p->n : 1));
    int64_t n_train_gaze = 0;
    in->mean_gaze = cx_calloc(npix, sizeof(float));
    double *acc = cx_calloc(npix, sizeof(double));
    for (int64_t i = 0; i < p->n; i++) {
        in->gaze_test_index[i] = -1;
        if (p->gaze_row[i] < 0) continue;
        if (p->split[i] == SPLIT_TEST) {
            in->gaze_test_index[i] = in->n_gaze_test;
            in->gaze_test_rows[in->n_gaze_test++] = i;
        }
        if (p->split[i] == SPLIT_TRAIN) {
            const float *g = p->gaze + (size_t)p->gaze_row[i] * npix;
            for (size_t q = 0; q < npix; q++) acc[q] += g[q];
            n_train_gaze++;
        }
    }
    for (size_t q = 0; q < npix; q++) in->mean_gaze[q] = n_train_gaze ? (float)(acc[q] / n_train_gaze) : 0;
    free(acc);
    if (n_train_gaze == 0) cx_warn("%s: no training images with gaze: the mean-gaze baseline is empty", data_dir);
    in->centre_bias = cx_malloc(sizeof(float) * npix);
    stats_center_bias_map(in->centre_bias, in->S, in->S);
    if (in->n_gaze_test == 0)
        return cx_fail(err, "%s: no test images with gaze: nothing to compare", data_dir);
    return 0;
}

// Model k's predictions, thresholds and maps; rows: dicom_id -> pack row.
static int load_model(const study_compare_settings *s, int k, const cx_strmap *rows,
                      cmp_inputs *in, cx_error *err) {
    const pack *p = &in->pk;
    cmp_model *m = &in->model[k];
    if (s->name[k]) snprintf(m->name, sizeof m->name, "%s", s->name[k]);
    else dir_basename(s->attr_dir[k], m->name, sizeof m->name);
    const char *ev = s->eval_dir[s->n_eval == 1 ? 0 : k];
    m->prob = cx_malloc(sizeof(float) * (size_t)(p->n ? p->n : 1) * CX_N_LABELS);
    if (load_predictions(ev, rows, p->n, m->prob, err)) return -1;
    if (s->fixed_threshold >= 0)
        for (int c = 0; c < CX_N_LABELS; c++) m->thr[c] = s->fixed_threshold;
    else if (load_thresholds(ev, m->thr, err))
        return -1;
    if (load_map_index(s->attr_dir[k], rows, m, err)) return -1;
    if (load_methods(s->attr_dir[k], in->S, m, err)) return -1;
    select_analysed(in, m);
    return 0;
}

int cmp_load(const study_compare_settings *s, cmp_inputs *in, cx_error *err) {
    memset(in, 0, sizeof *in);
    if (pack_open(&in->pk, s->data_dir, err)) return -1;
    const pack *p = &in->pk;
    in->S = p->size;
    cx_strmap rows;
    strmap_init(&rows);
    for (int64_t i = 0; i < p->n; i++) strmap_put(&rows, p->dicom_id[i], i);
    int rc = 0;
    in->n_models = s->n_models;
    for (int k = 0; k < s->n_models && !rc; k++) rc = load_model(s, k, &rows, in, err);
    strmap_free(&rows);
    return rc ? rc : gaze_baselines(in, s->data_dir, err);
}

void cmp_free(cmp_inputs *in) {
    for (int k = 0; k < in->n_models; k++) {
        cmp_model *m = &in->model[k];
        for (int j = 0; j < m->n_methods; j++) st_close(&m->file[j]);
        free(m->prob);
        free(m->map_pack_row);
        free(m->map_target);
        free(m->an_map);
        free(m->an_correct);
    }
    free(in->gaze_test_rows);
    free(in->gaze_test_index);
    free(in->centre_bias);
    free(in->mean_gaze);
    pack_close(&in->pk);
    memset(in, 0, sizeof *in);
}
