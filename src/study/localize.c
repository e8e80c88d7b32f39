// study/localize: `cxrgaze localize` (METHODS.md §4, CheXlocalize): every attribution map whose
// (image, target) has an expert annotation in the pack, gaze where the image has it and the
// centre-bias floor on the same pairs, scored by stats_localise; means with patient-bootstrap CIs
// per (model, method, label) and pooled. The files: localize_files.c.
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "study/study.h"

void study_localize_settings_default(study_localize_settings *s) {
    *s = (study_localize_settings){.threshold = -1, .n_bootstrap = 1000}; // norm {0}: abs, p98
}

// One attribution directory: its index and the methods' maps, and the map row of each of its
// annotated pairs (the first map of a pair), by pair.
typedef struct loc_model {
    study_map_index index;
    int n_methods;
    study_method_maps file[ATTR_NMETHODS];
    int64_t *map_of; // [pk.n * CX_N_LABELS] map row of (row, label), or -1
} loc_model;

// One (map, annotation) pair to score: the map, how it is normalised and its item.
typedef struct loc_job {
    const float *map;     // raw [S,S]; NULL: the centre bias (already normalised, peak known)
    int minmax;           // gaze: min-max; else the run's norm
    const uint8_t *annot; // [S,S]
} loc_job;

typedef struct loc_run {
    const study_localize_settings *s;
    pack pk;
    size_t npix;
    int64_t *patient; // [pk.n] patient number (subject_id), from 0
    uint8_t *paired;  // [pk.n * CX_N_LABELS] 1: an annotated pair with a map somewhere
    loc_model model[STUDY_LOCALIZE_MAX_MODELS];
    float *centre_bias; // [S,S] min-max normalised
    int64_t centre_peak;
    uint8_t *centre_mask; // [S,S] its binarised mask (the same for every pair)
    int centre_t;         // Otsu's t of it (-1: a fixed threshold)
    loc_job *jobs;        // [n_items], parallel to r->items
} loc_run;

static void dir_basename(const char *dir, char *out, size_t cap) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/')
        tmp[--n] = 0;
    const char *b = strrchr(tmp, '/');
    const char *base = b ? b + 1 : tmp;
    size_t len = strlen(base) < cap ? strlen(base) : cap - 1; // a long name is cut
    memcpy(out, base, len);
    out[len] = 0;
}

typedef struct {
    const char *id;
    int64_t row;
} subject_of;

static int by_subject(const void *a, const void *b) {
    const subject_of *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

// Patients by subject_id, numbered 0, 1, ...; an empty subject_id is its image's own patient.
static void number_patients(loc_run *L) {
    const pack *p = &L->pk;
    subject_of *v = cx_malloc(sizeof *v * (size_t)(p->n ? p->n : 1));
    for (int64_t i = 0; i < p->n; i++)
        v[i] = (subject_of){p->subject_id && p->subject_id[i] ? p->subject_id[i] : "", i};
    qsort(v, (size_t)p->n, sizeof *v, by_subject);
    L->patient = cx_malloc(sizeof(int64_t) * (size_t)(p->n ? p->n : 1));
    int64_t k = -1;
    for (int64_t q = 0; q < p->n; q++) {
        if (q == 0 || strcmp(v[q].id, v[q - 1].id) || !v[q].id[0]) k++;
        L->patient[v[q].row] = k;
    }
    free(v);
}

static int annotation_empty(const uint8_t *a, size_t npix) {
    for (size_t q = 0; q < npix; q++)
        if (a[q]) return 0;
    return 1;
}

// Directory k's maps and its annotated pairs.
static int load_model(loc_run *L, int k, study_localize_result *r, uint8_t *empty_seen,
                      cx_error *err) {
    const study_localize_settings *s = L->s;
    const pack *p = &L->pk;
    loc_model *m = &L->model[k];
    if (s->name[k] && s->name[k][0])
        snprintf(r->model[k], sizeof r->model[k], "%s", s->name[k]);
    else
        dir_basename(s->attr_dir[k], r->model[k], sizeof r->model[k]);
    char base[48]; // unique names: "X (2)" for a repeat
    snprintf(base, sizeof base, "%.47s", r->model[k]);
    for (int j = 0, repeat = 2; j < k; j++)
        if (!strcmp(r->model[j], r->model[k])) {
            snprintf(r->model[k], sizeof r->model[k], "%s (%d)", base, repeat++);
            j = -1;
        }
    if (study_map_index_read(s->attr_dir[k], p, &m->index, err)) return -1;
    for (int q = 0; q < ATTR_NMETHODS; q++) {
        int rc = study_method_maps_open(s->attr_dir[k], (attr_method)q, m->index.n, p->size,
                                        &m->file[m->n_methods], err);
        if (rc < 0)
            return cx_fail_wrap(err, "localize: the maps must be the pack's size %dx%d", p->size,
                                p->size);
        if (rc == 0) m->n_methods++;
    }
    if (!m->n_methods)
        return cx_fail(err,
                       "%s: no <method>.safetensors map files (sl, gc, dl, lc, gs, nt, ig, oc)",
                       s->attr_dir[k]);
    size_t cells = (size_t)(p->n ? p->n : 1) * CX_N_LABELS;
    m->map_of = cx_malloc(cells * sizeof(int64_t));
    for (size_t q = 0; q < cells; q++)
        m->map_of[q] = -1;
    for (int64_t row = 0; row < m->index.n; row++) {
        int64_t i = m->index.pack_row[row];
        int c = m->index.target[row];
        if (i < 0) continue;
        const uint8_t *a = pack_annotation(p, i, c);
        if (!a || m->map_of[i * CX_N_LABELS + c] >= 0) continue;
        if (annotation_empty(a, L->npix)) {
            if (!empty_seen[i * CX_N_LABELS + c]++) r->n_empty_annotations++;
            continue;
        }
        m->map_of[i * CX_N_LABELS + c] = row;
        L->paired[i * CX_N_LABELS + c] = 1;
    }
    return 0;
}

static void add_item(loc_run *L, study_localize_result *r, const char *model, int source, int64_t i,
                     int c, loc_job job) {
    if ((r->n_items & (r->n_items - 1)) == 0) {
        size_t cap = (size_t)(r->n_items ? 2 * r->n_items : 1);
        r->items = cx_realloc(r->items, cap * sizeof *r->items);
        L->jobs = cx_realloc(L->jobs, cap * sizeof *L->jobs);
    }
    study_localize_item *it = &r->items[r->n_items];
    *it = (study_localize_item){.source = source,
                                .label = c,
                                .pack_row = i,
                                .otsu_t = -1,
                                .iou = NAN,
                                .hit = NAN,
                                .mass_share = NAN};
    snprintf(it->model, sizeof it->model, "%s", model);
    snprintf(it->image, sizeof it->image, "%s", L->pk.dicom_id[i]);
    L->jobs[r->n_items++] = job;
}

// The items: each directory's methods on its pairs, then gaze and the centre bias on all pairs,
// pairs in (row, label) order.
static void list_items(loc_run *L, int n_models, study_localize_result *r) {
    const pack *p = &L->pk;
    for (int k = 0; k < n_models; k++) {
        const loc_model *m = &L->model[k];
        for (int q = 0; q < m->n_methods; q++)
            for (int64_t i = 0; i < p->n; i++)
                for (int c = 0; c < CX_N_LABELS; c++) {
                    int64_t row = m->map_of[i * CX_N_LABELS + c];
                    if (row < 0) continue;
                    loc_job job = {m->file[q].maps + (size_t)row * L->npix, 0,
                                   pack_annotation(p, i, c)};
                    add_item(L, r, r->model[k], (int)m->file[q].method, i, c, job);
                }
    }
    for (int pass = 0; pass < 2; pass++) // gaze, then the centre bias
        for (int64_t i = 0; i < p->n; i++)
            for (int c = 0; c < CX_N_LABELS; c++) {
                if (!L->paired[i * CX_N_LABELS + c]) continue;
                const uint8_t *a = pack_annotation(p, i, c);
                if (pass == 0 && p->gaze_row[i] >= 0) {
                    add_item(L, r, "-", STUDY_SOURCE_GAZE, i, c,
                             (loc_job){p->gaze + (size_t)p->gaze_row[i] * L->npix, 1, a});
                    r->n_gaze_pairs++;
                } else if (pass == 1) {
                    add_item(L, r, "-", STUDY_SOURCE_CENTRE_BIAS, i, c, (loc_job){NULL, 1, a});
                    r->n_pairs++;
                }
            }
}

// Every item's scores (one scratch map and byte mask per thread).
static void score_items(loc_run *L, study_localize_result *r) {
    const size_t npix = L->npix;
    const stats_map_norm norm = L->s->norm;
    const double threshold = L->s->threshold;
#pragma omp parallel
    {
        float *m = cx_malloc(npix * sizeof *m), *work = cx_malloc(npix * sizeof *work);
        uint8_t *m8 = cx_malloc(npix);
#pragma omp for schedule(dynamic, 16)
        for (int64_t j = 0; j < r->n_items; j++) {
            const loc_job *job = &L->jobs[j];
            study_localize_item *it = &r->items[j];
            stats_localisation loc;
            if (!job->map) { // the centre bias: normalised and binarised once
                stats_localise_mask(L->centre_bias, L->centre_mask, L->centre_t, L->centre_peak,
                                    job->annot, npix, &loc);
            } else {
                memcpy(m, job->map, npix * sizeof *m);
                it->constant = job->minmax ? stats_minmax_normalise(m, npix)
                                           : stats_map_normalise(m, npix, norm, work);
                if (it->constant) continue;
                int64_t peak =
                    stats_map_peak(job->map, npix, job->minmax ? STATS_SIGN_SIGNED : norm.sign);
                stats_localise(m, peak, job->annot, npix, threshold, m8, &loc);
            }
            it->iou = loc.iou, it->hit = loc.hit, it->mass_share = loc.mass_share;
            it->otsu_t = loc.threshold;
        }
        free(m), free(work), free(m8);
    }
}

// The row of items [lo, hi) (one model and source) for label c (STUDY_ALL_LABELS: every label).
static void summary_row(const loc_run *L, const study_localize_result *r, int64_t lo, int64_t hi,
                        int c, double *buf, int64_t *cluster, study_localize_row *out) {
    const study_localize_settings *s = L->s;
    const study_localize_item *first = &r->items[lo];
    *out =
        (study_localize_row){.source = first->source,
                             .label = c,
                             .threshold = s->threshold < 0 ? NAN : s->threshold,
                             .norm = first->source >= ATTR_NMETHODS
                                         ? (stats_map_norm){STATS_SIGN_SIGNED, STATS_SCALE_MINMAX}
                                         : s->norm};
    snprintf(out->model, sizeof out->model, "%s", first->model);
    int64_t n = 0;
    for (int64_t j = lo; j < hi; j++) {
        const study_localize_item *it = &r->items[j];
        if (c != STUDY_ALL_LABELS && it->label != c) continue;
        if (it->constant) {
            out->n_constant++;
            continue;
        }
        cluster[n++] = L->patient[it->pack_row];
    }
    out->n = n;
    double *mean[3] = {&out->miou, &out->hit_rate, &out->mass_share};
    double *ci_lo[3] = {&out->miou_lo, &out->hit_lo, &out->mass_lo};
    double *ci_hi[3] = {&out->miou_hi, &out->hit_hi, &out->mass_hi};
    for (int v = 0; v < 3; v++) {
        int64_t k = 0;
        double sum = 0;
        for (int64_t j = lo; j < hi; j++) {
            const study_localize_item *it = &r->items[j];
            if ((c != STUDY_ALL_LABELS && it->label != c) || it->constant) continue;
            buf[k] = v == 0 ? it->iou : v == 1 ? it->hit : it->mass_share;
            sum += buf[k++];
        }
        *mean[v] = n ? sum / (double)n : NAN;
        *ci_lo[v] = *ci_hi[v] = NAN;
        if (!n || s->n_bootstrap <= 0) continue;
        stats_ci ci;
        stats_bootstrap_mean_ci_clustered(buf, cluster, (size_t)n, s->n_bootstrap, 0.95, s->seed,
                                          &ci);
        *ci_lo[v] = ci.lo, *ci_hi[v] = ci.hi;
    }
}

// Rows per (model, source): labels in CX_LABELS order, then "all". The rows' bootstraps run in
// parallel (each seeded with the run's seed on its own: the result does not depend on the
// thread count).
static void summarise(const loc_run *L, study_localize_result *r) {
    size_t groups = (size_t)r->n_models * ATTR_NMETHODS + 2; // + gaze, centre bias
    size_t cap = groups * (CX_N_LABELS + 1);
    r->rows = cx_malloc(sizeof *r->rows * cap);
    int64_t *task_lo = cx_malloc(sizeof(int64_t) * cap),
            *task_hi = cx_malloc(sizeof(int64_t) * cap);
    int *task_label = cx_malloc(sizeof(int) * cap);
    for (int64_t lo = 0, hi; lo < r->n_items; lo = hi) {
        for (hi = lo + 1; hi < r->n_items && r->items[hi].source == r->items[lo].source &&
                          !strcmp(r->items[hi].model, r->items[lo].model);
             hi++) {
        }
        int has[CX_N_LABELS + 1] = {0};
        for (int64_t j = lo; j < hi; j++)
            has[r->items[j].label] = 1;
        has[CX_N_LABELS] = 1; // "all"
        for (int c = 0; c <= CX_N_LABELS; c++)
            if (has[c]) {
                task_lo[r->n_rows] = lo, task_hi[r->n_rows] = hi;
                task_label[r->n_rows++] = c < CX_N_LABELS ? c : STUDY_ALL_LABELS;
            }
    }
    size_t nbuf = (size_t)(r->n_items ? r->n_items : 1);
#pragma omp parallel
    {
        double *buf = cx_malloc(sizeof(double) * nbuf);
        int64_t *cluster = cx_malloc(sizeof(int64_t) * nbuf);
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < r->n_rows; t++)
            summary_row(L, r, task_lo[t], task_hi[t], task_label[t], buf, cluster, &r->rows[t]);
        free(buf);
        free(cluster);
    }
    free(task_lo);
    free(task_hi);
    free(task_label);
}

static int write_files(const char *dir, const study_localize_result *r, cx_error *err) {
    if (cx_mkdir_p(dir, err)) return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/localize.csv", dir);
    if (study_localize_write(path, r->rows, r->n_rows, err)) return -1;
    snprintf(path, sizeof path, "%s/localize_items.csv", dir);
    return study_localize_items_write(path, r->items, r->n_items, err);
}

static void run_free(loc_run *L, int n_models) {
    for (int k = 0; k < n_models; k++) {
        loc_model *m = &L->model[k];
        for (int q = 0; q < m->n_methods; q++)
            study_method_maps_close(&m->file[q]);
        study_map_index_free(&m->index);
        free(m->map_of);
    }
    free(L->patient);
    free(L->paired);
    free(L->centre_bias);
    free(L->centre_mask);
    free(L->jobs);
    pack_close(&L->pk);
}

int study_localize(const study_localize_settings *s, study_localize_result *r, cx_error *err) {
    memset(r, 0, sizeof *r);
    if (s->n_models < 1 || s->n_models > STUDY_LOCALIZE_MAX_MODELS)
        return cx_fail(err, "localize: %d attribution directories, expected 1 to %d", s->n_models,
                       STUDY_LOCALIZE_MAX_MODELS);
    loc_run L = {.s = s};
    if (pack_open(&L.pk, s->data_dir, err)) return -1;
    int rc = -1, loaded = 0;
    const pack *p = &L.pk;
    if (p->n_annot == 0) {
        cx_fail(err,
                "%s: the pack holds no expert annotations (prepare --annotations FILE packs "
                "NIH boxes or CheXlocalize JSON)",
                s->data_dir);
        goto out;
    }
    L.npix = (size_t)p->size * p->size;
    number_patients(&L);
    size_t cells = (size_t)(p->n ? p->n : 1) * CX_N_LABELS;
    L.paired = cx_calloc(cells, 1);
    uint8_t *empty_seen = cx_calloc(cells, 1);
    r->n_models = s->n_models;
    for (; loaded < s->n_models; loaded++)
        if (load_model(&L, loaded, r, empty_seen, err)) {
            loaded++;
            free(empty_seen);
            goto out;
        }
    free(empty_seen);
    if (r->n_empty_annotations)
        cx_warn(
            "localize: %lld mapped (image, label) annotation(s) are empty masks and are left out",
            (long long)r->n_empty_annotations);
    L.centre_bias = cx_malloc(L.npix * sizeof(float));
    stats_center_bias_map(L.centre_bias, p->size, p->size);
    L.centre_peak = stats_map_peak(L.centre_bias, L.npix, STATS_SIGN_SIGNED);
    stats_minmax_normalise(L.centre_bias, L.npix);
    L.centre_mask = cx_malloc(L.npix);
    L.centre_t = stats_localise_binarise(L.centre_bias, L.npix, s->threshold, L.centre_mask);
    list_items(&L, s->n_models, r);
    if (r->n_pairs == 0) {
        cx_fail(err,
                "localize: no map in %s%s explains an annotated (image, label) pair: the pack "
                "annotates %lld pairs; attribute those images and labels (e.g. --targets "
                "positive on the annotated split)",
                s->attr_dir[0], s->n_models > 1 ? " (or the other directories)" : "",
                (long long)p->n_annot);
        goto out;
    }
    score_items(&L, r);
    summarise(&L, r);
    for (int k = 0; k < s->n_models; k++) {
        int64_t nk = 0;
        for (int64_t j = 0; j < r->n_items; j++)
            nk += r->items[j].source < ATTR_NMETHODS && !strcmp(r->items[j].model, r->model[k]);
        if (!nk) cx_warn("localize: %s: no map explains an annotated pair", s->attr_dir[k]);
    }
    rc = s->out_dir ? write_files(s->out_dir, r, err) : 0;
out:
    run_free(&L, loaded);
    if (rc) study_localize_result_free(r);
    return rc;
}

void study_localize_result_free(study_localize_result *r) {
    free(r->items);
    free(r->rows);
    memset(r, 0, sizeof *r);
}
