// study/compare: loading the pack (the held-out images with gaze, their patients, the pairs
// (image, positive label) and the baselines), each model's predictions/thresholds (the evaluate
// stage's readers) and attribution maps (the attribute stage's readers), and selecting the maps
// the study analyses: one per pair.
#include "study/compare_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// The model's maps: the index (maps.csv) and every <method>.safetensors the directory holds, in
// attr_method order, through the attribute stage's readers.
static int load_maps(const char *dir, const pack *p, int S, cmp_model *m, cx_error *err) {
    if (study_map_index_read(dir, p, &m->index, err)) return -1;
    m->n_maps = m->index.n;
    m->map_pack_row = m->index.pack_row;
    m->map_target = m->index.target;
    for (int k = 0; k < ATTR_NMETHODS; k++) {
        study_method_maps *mm = &m->file[m->n_methods];
        int rc = study_method_maps_open(dir, (attr_method)k, m->n_maps, S, mm, err);
        if (rc < 0) return -1;
        if (rc == 1) continue; // this method was not run
        m->method[m->n_methods] = (attr_method)k;
        m->maps[m->n_methods] = mm->maps;
        m->n_methods++;
    }
    if (m->n_methods == 0)
        return cx_fail(err, "%s: no <method>.safetensors map files (sl, gc, dl, lc, gs, nt, ig, oc)",
                       dir);
    return 0;
}

static void select_analysed(const cmp_inputs *in, cmp_model *m) {
    size_t cap = (size_t)(m->n_maps ? m->n_maps : 1);
    m->an_map = cx_malloc(sizeof(int64_t) * cap);
    m->an_pair = cx_malloc(sizeof(int64_t) * cap);
    m->an_correct = cx_malloc(cap);
    m->n_an = 0;
    uint8_t *seen = cx_calloc((size_t)(in->n_pairs ? in->n_pairs : 1), 1);
    for (int64_t r = 0; r < m->n_maps; r++) {
        int64_t i = m->map_pack_row[r];
        int c = m->map_target[r];
        if (i < 0 || in->gaze_test_index[i] < 0) continue;
        int64_t pair = in->pair_of[in->gaze_test_index[i] * CX_N_LABELS + c];
        if (pair < 0 || seen[pair]) continue; // not a pair (label negative), or a repeat
        float pr = m->prob[i * CX_N_LABELS + c];
        if (isnan(pr)) continue;
        seen[pair] = 1;
        m->an_map[m->n_an] = r;
        m->an_pair[m->n_an] = pair;
        m->an_correct[m->n_an] = pr >= m->thr[c];
        m->n_an++;
    }
    free(seen);
}

static void dir_basename(const char *dir, char *out, size_t cap) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/') tmp[--n] = 0;
    const char *b = strrchr(tmp, '/');
    snprintf(out, cap, "%s", b ? b + 1 : tmp);
}

typedef struct {
    const char *id;
    int64_t j;
} subject_of;

static int cmp_subject(const void *a, const void *b) {
    const subject_of *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->j > y->j) - (x->j < y->j);
}

void cmp_number_patients(const pack *p, const int64_t *rows, int64_t n, int64_t *patient) {
    subject_of *v = cx_malloc(sizeof *v * (size_t)(n ? n : 1));
    for (int64_t j = 0; j < n; j++) {
        int64_t i = rows[j];
        v[j] = (subject_of){p->subject_id && p->subject_id[i] ? p->subject_id[i] : "", j};
    }
    qsort(v, (size_t)n, sizeof *v, cmp_subject);
    int64_t k = -1;
    for (int64_t q = 0; q < n; q++) {
        // An empty subject_id names no patient: the image is its own.
        if (q == 0 || strcmp(v[q].id, v[q - 1].id) || !v[q].id[0]) k++;
        patient[v[q].j] = k;
    }
    free(v);
}

// Patients of the held-out gaze images.
static void number_patients(cmp_inputs *in) {
    in->patient = cx_malloc(sizeof(int64_t) * (size_t)(in->n_gaze_test ? in->n_gaze_test : 1));
    cmp_number_patients(&in->pk, in->gaze_test_rows, in->n_gaze_test, in->patient);
}

// The pairs (held-out image with gaze, label positive for it).
static void list_pairs(cmp_inputs *in) {
    const pack *p = &in->pk;
    size_t cap = (size_t)(in->n_gaze_test ? in->n_gaze_test : 1) * CX_N_LABELS;
    in->pair_of = cx_malloc(sizeof(int64_t) * cap);
    in->pair_image = cx_malloc(sizeof(int64_t) * cap);
    in->pair_label = cx_malloc(sizeof(int) * cap);
    for (int64_t j = 0; j < in->n_gaze_test; j++) {
        int64_t i = in->gaze_test_rows[j];
        for (int c = 0; c < CX_N_LABELS; c++) {
            int positive = p->label_mask[i * CX_N_LABELS + c] && p->labels[i * CX_N_LABELS + c] >= 0.5f;
            in->pair_of[j * CX_N_LABELS + c] = positive ? in->n_pairs : -1;
            if (!positive) continue;
            in->pair_image[in->n_pairs] = j;
            in->pair_label[in->n_pairs] = c;
            in->n_pairs++;
        }
    }
}

// Held-out gaze images (and their positions by pack row), their patients and pairs, and the
// two baseline maps.
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
    in->centre_bias_n = cx_malloc(sizeof(float) * npix);
    memcpy(in->centre_bias_n, in->centre_bias, sizeof(float) * npix);
    stats_minmax_normalise(in->centre_bias_n, npix);
    in->mean_gaze_n = cx_malloc(sizeof(float) * npix);
    memcpy(in->mean_gaze_n, in->mean_gaze, sizeof(float) * npix);
    if (stats_minmax_normalise(in->mean_gaze_n, npix)) {
        free(in->mean_gaze_n);
        in->mean_gaze_n = NULL;
    }
    in->fix_count = cx_calloc(npix, sizeof(uint32_t));
    for (int64_t j = 0; j < in->n_gaze_test; j++) {
        const uint8_t *f = p->fixations + (size_t)p->gaze_row[in->gaze_test_rows[j]] * npix;
        for (size_t q = 0; q < npix; q++) in->fix_count[q] += f[q] != 0;
    }
    number_patients(in);
    list_pairs(in);
    if (in->n_gaze_test == 0)
        return cx_fail(err, "%s: no test images with gaze: nothing to compare", data_dir);
    return 0;
}

// Model k's predictions, thresholds and maps.
static int load_model(const study_compare_settings *s, int k, cmp_inputs *in, cx_error *err) {
    const pack *p = &in->pk;
    cmp_model *m = &in->model[k];
    if (s->name[k]) snprintf(m->name, sizeof m->name, "%s", s->name[k]);
    else dir_basename(s->attr_dir[k], m->name, sizeof m->name);
    const char *ev = s->eval_dir[s->n_eval == 1 ? 0 : k];
    m->prob = cx_malloc(sizeof(float) * (size_t)(p->n ? p->n : 1) * CX_N_LABELS);
    if (study_predictions_read(ev, p, m->prob, err)) return -1;
    if (s->fixed_threshold >= 0)
        for (int c = 0; c < CX_N_LABELS; c++) m->thr[c] = s->fixed_threshold;
    else if (study_thresholds_read(ev, m->thr, err))
        return -1;
    if (load_maps(s->attr_dir[k], p, in->S, m, err)) return -1;
    select_analysed(in, m);
    return 0;
}

// METHODS.md §3: every map type on the same pairs. The pairs some model has no map for (maps of
// a subset, e.g. `attribute --limit`) are dropped, for gaze too, and counted; the models keep
// their maps of the remaining pairs.
static void keep_mapped_pairs(cmp_inputs *in) {
    int64_t n = in->n_pairs, kept = 0;
    int *models = cx_calloc((size_t)(n ? n : 1), sizeof(int));
    int64_t *renumber = cx_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    for (int k = 0; k < in->n_models; k++)
        for (int64_t j = 0; j < in->model[k].n_an; j++) models[in->model[k].an_pair[j]]++;
    for (int64_t q = 0; q < n; q++) {
        renumber[q] = models[q] == in->n_models ? kept : -1;
        if (renumber[q] < 0) continue;
        in->pair_image[kept] = in->pair_image[q];
        in->pair_label[kept] = in->pair_label[q];
        kept++;
    }
    for (int64_t q = 0; q < in->n_gaze_test * CX_N_LABELS; q++)
        if (in->pair_of[q] >= 0) in->pair_of[q] = renumber[in->pair_of[q]];
    for (int k = 0; k < in->n_models; k++) {
        cmp_model *m = &in->model[k];
        int64_t w = 0;
        for (int64_t j = 0; j < m->n_an; j++) {
            if (renumber[m->an_pair[j]] < 0) continue;
            m->an_map[w] = m->an_map[j];
            m->an_pair[w] = renumber[m->an_pair[j]];
            m->an_correct[w] = m->an_correct[j];
            w++;
        }
        m->n_an = w;
    }
    in->n_pairs_unmapped = n - kept;
    in->n_pairs = kept;
    if (n - kept)
        cx_warn("compare: %lld of %lld (image with gaze, positive label) pairs have no map in %s "
                "and are left out, for gaze too (every map type on the same pairs)",
                (long long)(n - kept), (long long)n,
                in->n_models == 1 ? "the attributions" : "every attribution directory");
    free(models);
    free(renumber);
}

int cmp_load(const study_compare_settings *s, cmp_inputs *in, cx_error *err) {
    memset(in, 0, sizeof *in);
    if (pack_open(&in->pk, s->data_dir, err)) return -1;
    const pack *p = &in->pk;
    in->S = p->size;
    in->norm = s->norm;
    if (gaze_baselines(in, s->data_dir, err)) return -1;
    int rc = 0;
    in->n_models = s->n_models;
    for (int k = 0; k < s->n_models && !rc; k++) rc = load_model(s, k, in, err);
    if (!rc) keep_mapped_pairs(in);
    return rc;
}

void cmp_free(cmp_inputs *in) {
    for (int k = 0; k < in->n_models; k++) {
        cmp_model *m = &in->model[k];
        for (int j = 0; j < m->n_methods; j++) study_method_maps_close(&m->file[j]);
        free(m->prob);
        study_map_index_free(&m->index);
        free(m->an_map);
        free(m->an_pair);
        free(m->an_correct);
    }
    free(in->gaze_test_rows);
    free(in->gaze_test_index);
    free(in->patient);
    free(in->pair_image);
    free(in->pair_label);
    free(in->pair_of);
    free(in->centre_bias);
    free(in->mean_gaze);
    free(in->centre_bias_n);
    free(in->mean_gaze_n);
    free(in->fix_count);
    pack_close(&in->pk);
    memset(in, 0, sizeof *in);
}
