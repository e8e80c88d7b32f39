// study/evaluate: the evaluate stage (study.h): probabilities of one or more models on a pack
// (train/predict.c), F1 thresholds on the validation split, per-label AUROC with DeLong and
// patient-bootstrap CIs, DeLong tests against the first model, and the stage's files.
#include "study/study.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void study_eval_settings_default(study_eval_settings *s) {
    memset(s, 0, sizeof *s);
    s->split = SPLIT_TEST;
    s->batch = 32;
    s->precision = NN_FP32;
    s->n_bootstrap = 1000;
    s->progress = 1;
}

double study_eval_mean_auroc(const study_eval_model *m, int *n_labels) {
    double sum = 0;
    int used = 0;
    for (int c = 0; c < CX_N_LABELS; c++)
        if (isfinite(m->label[c].delong.auroc)) sum += m->label[c].delong.auroc, used++;
    if (n_labels) *n_labels = used;
    return used ? sum / used : NAN;
}

// ---- probabilities ----------------------------------------------------------------------------
// Probabilities of one model on rows (sigmoid of the logits): *prob [n, CX_N_LABELS].
static int predict_probs(densenet_plan *plan, const model_meta *meta, const pack *pk,
                         const int64_t *rows, int64_t n, int progress, float **prob,
                         cx_error *err) {
    *prob = cx_malloc((size_t)(n ? n : 1) * CX_N_LABELS * sizeof **prob);
    if (n && predict_rows(plan, meta, pk, rows, n, *prob, NULL, progress, err)) return -1;
    for (int64_t i = 0; i < n * CX_N_LABELS; i++) (*prob)[i] = 1.0f / (1.0f + expf(-(*prob)[i]));
    return 0;
}

// The model file must predict the pack's labels, in the pack's order.
static int check_model(const char *path, const densenet_config *cfg, const model_meta *meta,
                       const pack *pk, cx_error *err) {
    if (cfg->num_classes != CX_N_LABELS)
        return cx_fail(err, "%s: %d classes, expected the %d CheXpert labels", path,
                       cfg->num_classes, CX_N_LABELS);
    for (int c = 0; c < meta->n_labels && c < CX_N_LABELS; c++)
        if (strcmp(meta->labels[c], CX_LABELS[c]))
            return cx_fail(err, "%s: label %d is \"%s\" in the model metadata, the pack has \"%s\"",
                           path, c, meta->labels[c], CX_LABELS[c]);
    if (meta->input_size && meta->input_size != pk->size)
        cx_warn("%s was trained at %d px, the pack %s is %d px", path, meta->input_size, pk->dir,
                pk->size);
    return 0;
}

// Model i of s: loads it, names it (settings or default) and predicts the validation and the
// split rows of r.
static int predict_model(const study_eval_settings *s, int i, const pack *pk,
                         study_eval_result *r, cx_error *err) {
    study_eval_model *m = &r->model[i];
    const char *path = s->model_path[i];
    densenet *net = NULL;
    model_meta meta;
    if (model_load_ex(path, 0, &net, &meta, err)) return -1;
    const densenet_config *cfg = densenet_cfg(net);
    densenet_plan *plan = NULL;
    int rc = check_model(path, cfg, &meta, pk, err);
    if (rc) goto done;
    const char *name = s->model_name[i];
    if (!name || !name[0]) name = cfg->gaze_head ? "DenseNet-Aug" : "DenseNet";
    snprintf(m->name, sizeof m->name, "%s", name);
    rc = -1;
    plan = densenet_plan_create(net, s->batch, pk->size, pk->size, s->precision, NN_EVAL, err);
    if (!plan) goto done;
    char desc[160];
    model_describe(net, desc, sizeof desc);
    cx_info("%s: %s (%s)", m->name, path, desc);
    if (predict_probs(plan, &meta, pk, r->val_rows, r->n_val, s->progress, &m->prob_val, err))
        goto done;
    if (r->split == SPLIT_VALIDATE) {
        m->prob_split = cx_malloc((size_t)(r->n_val ? r->n_val : 1) * CX_N_LABELS * sizeof(float));
        memcpy(m->prob_split, m->prob_val, (size_t)r->n_val * CX_N_LABELS * sizeof(float));
    } else if (predict_probs(plan, &meta, pk, r->split_rows, r->n_split, s->progress,
                             &m->prob_split, err)) {
        goto done;
    }
    rc = 0;
done:
    densenet_plan_free(plan);
    densenet_free(net);
    return rc;
}

// A repeated display name is numbered by its model's place: "DenseNet (2)".
static void make_name_unique(study_eval_result *r, int i) {
    study_eval_model *m = &r->model[i];
    for (int j = 0; j < i; j++)
        if (!strcmp(r->model[j].name, m->name)) {
            char tmp[STUDY_EVAL_NAME_MAX];
            snprintf(tmp, sizeof tmp, "%s", m->name);
            snprintf(m->name, sizeof m->name, "%.50s (%d)", tmp, i + 1);
        }
}

// ---- statistics -------------------------------------------------------------------------------
// Counted cases of label c among rows[n] with probabilities prob [n,14]: scores, 0/1 labels and
// (patient non-NULL) patients. Returns how many.
static size_t label_cases(const pack *pk, const int64_t *rows, int64_t n, const float *prob,
                          int c, double *score, uint8_t *lab, int64_t *patient) {
    size_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t r = rows[i];
        if (pk->label_mask && !pk->label_mask[r * CX_N_LABELS + c]) continue;
        score[m] = prob[i * CX_N_LABELS + c];
        lab[m] = pk->labels[r * CX_N_LABELS + c] > 0.5f;
        if (patient) {
            // subject_id is numeric in MIMIC; anything else gets a string hash.
            const char *s = pk->subject_id ? pk->subject_id[r] : NULL;
            char *end;
            errno = 0;
            long long v = s ? strtoll(s, &end, 10) : r;
            if (s && (errno || end == s || *end)) {
                uint64_t h = 0xcbf29ce484222325ull;
                for (const char *q = s; *q; q++) h = (h ^ (uint8_t)*q) * 0x100000001b3ull;
                v = (long long)(h >> 1);
            }
            patient[m] = v;
        }
        m++;
    }
    return m;
}

// Scratch for label_cases over up to n rows.
typedef struct cases {
    double *score, *score_b;
    uint8_t *lab;
    int64_t *patient;
} cases;

static void cases_alloc(cases *k, int64_t n) {
    size_t cap = (size_t)n + 1;
    k->score = cx_malloc(cap * sizeof *k->score);
    k->score_b = cx_malloc(cap * sizeof *k->score_b);
    k->lab = cx_malloc(cap);
    k->patient = cx_malloc(cap * sizeof *k->patient);
}

static void cases_free(cases *k) {
    free(k->score);
    free(k->score_b);
    free(k->lab);
    free(k->patient);
}

// F1-maximising thresholds of model m on the validation rows. Warns for labels without one.
static void eval_thresholds(const pack *pk, const study_eval_result *r, study_eval_model *m,
                            cases *k) {
    for (int c = 0; c < CX_N_LABELS; c++) {
        study_threshold *t = &m->thr[c];
        size_t n = label_cases(pk, r->val_rows, r->n_val, m->prob_val, c, k->score, k->lab, NULL);
        size_t npos = 0;
        for (size_t i = 0; i < n; i++) npos += k->lab[i];
        stats_status st;
        t->f1 = NAN;
        t->threshold = stats_f1_threshold(k->score, k->lab, n, &t->f1, &st);
        t->n_pos = (int64_t)npos;
        t->n_neg = (int64_t)(n - npos);
        if (st != STATS_OK)
            cx_warn("thresholds: %s has %s on the validation split (%zu positive of %zu): no "
                    "threshold", CX_LABELS[c], stats_status_name(st), npos, n);
    }
}

// Per-label AUROC + CIs of model m on the split rows (bootstrap over subject_id); the DeLong
// test against base (model 0; NULL for model 0 itself). Warns for one-class labels.
static void eval_auroc(const pack *pk, const study_eval_result *r, int n_boot, uint64_t seed,
                       const study_eval_model *base, study_eval_model *m, cases *k) {
    for (int c = 0; c < CX_N_LABELS; c++) {
        study_eval_label *o = &m->label[c];
        size_t n = label_cases(pk, r->split_rows, r->n_split, m->prob_split, c, k->score, k->lab,
                               k->patient);
        size_t npos = 0;
        for (size_t i = 0; i < n; i++) npos += k->lab[i];
        o->n_pos = (int64_t)npos;
        o->n_neg = (int64_t)(n - npos);
        stats_auroc_delong(k->score, k->lab, n, 0.95, &o->delong);
        // One stream per label: seed + c keeps labels independent and reproducible.
        stats_auroc_bootstrap(k->score, k->lab, k->patient, n, n_boot, 0.95, seed + (uint64_t)c,
                              &o->boot);
        if (npos == 0 || npos == n)
            cx_warn("auroc: %s has only %s cases (%zu) on this split: AUROC undefined, left empty",
                    CX_LABELS[c], npos ? "positive" : "negative", n);
        o->delong_p = NAN;
        if (!base) continue;
        size_t nb = label_cases(pk, r->split_rows, r->n_split, base->prob_split, c, k->score_b,
                                k->lab, NULL);
        CX_ASSERT(nb == n); // same rows, same masks
        stats_delong_test t;
        stats_delong_compare(k->score_b, k->score, k->lab, n, &t);
        o->delong_p = t.p;
    }
}

// ---- files ------------------------------------------------------------------------------------
// The auroc.csv / auroc_table.md table of models [first, first + n) of r (with delong_p: the
// comparison of all models).
static void auroc_table_of(const study_eval_result *r, int first, int n, int with_delong_p,
                           study_auroc_table *t) {
    study_auroc_table_init(t, n, with_delong_p);
    for (int i = 0; i < n; i++) {
        const study_eval_model *m = &r->model[first + i];
        snprintf(t->name[i], sizeof t->name[i], "%s", m->name);
        for (int c = 0; c < CX_N_LABELS; c++) {
            const study_eval_label *l = &m->label[c];
            t->entry[i][c] = (study_auroc_entry){l->n_pos,    l->n_neg,     l->delong.auroc,
                                                 l->delong.lo, l->delong.hi, l->boot.lo,
                                                 l->boot.hi,   l->delong_p};
        }
    }
}

static int write_auroc_files(const char *dir, const study_eval_result *r, int first, int n,
                             int with_delong_p, cx_error *err) {
    study_auroc_table t;
    auroc_table_of(r, first, n, with_delong_p, &t);
    int rc = study_auroc_write(dir, &t, err) ||
             study_auroc_md_write(dir, &t, CX_SPLITS[r->split], err);
    study_auroc_table_free(&t);
    return rc ? -1 : 0;
}

// Model i's four files, in out_dir (one model) or out_dir/<name with only [A-Za-z0-9.-]>.
static int write_model_files(const char *out_dir, const pack *pk, study_eval_result *r, int i,
                             cx_error *err) {
    study_eval_model *m = &r->model[i];
    size_t cap = strlen(out_dir) + sizeof m->name + 2;
    m->dir = cx_malloc(cap);
    if (r->n_models == 1) {
        snprintf(m->dir, cap, "%s", out_dir);
    } else {
        char dir_name[STUDY_EVAL_NAME_MAX];
        for (size_t k = 0; k <= strlen(m->name); k++) {
            char ch = m->name[k];
            dir_name[k] = (ch && !isalnum((unsigned char)ch) && ch != '-' && ch != '.') ? '_' : ch;
        }
        cx_path_join(m->dir, cap, out_dir, dir_name);
    }
    if (cx_mkdir_p(m->dir, err)) return -1;
    // Validation rows, then the split's (once when the split is validate).
    const study_pred_rows parts[2] = {{r->val_rows, r->n_val, m->prob_val},
                                      {r->split_rows, r->n_split, m->prob_split}};
    if (study_predictions_write(m->dir, pk, r->split == SPLIT_VALIDATE ? 1 : 2, parts, err) ||
        study_thresholds_write(m->dir, m->thr, err))
        return -1;
    return write_auroc_files(m->dir, r, i, 1, 0, err);
}

// ---- the stage --------------------------------------------------------------------------------
static int check_settings(const study_eval_settings *s, cx_error *err) {
    if (s->n_models < 1 || s->n_models > STUDY_EVAL_MAX_MODELS)
        return cx_fail(err, "evaluate: %d models, expected 1 to %d", s->n_models,
                       STUDY_EVAL_MAX_MODELS);
    if (s->split < 0 || s->split >= CX_N_SPLITS)
        return cx_fail(err, "evaluate: split %d is not a split", s->split);
    if (s->batch < 1) return cx_fail(err, "evaluate: batch %d, expected >= 1", s->batch);
    if (s->n_bootstrap < 0)
        return cx_fail(err, "evaluate: %d bootstrap resamples, expected >= 0", s->n_bootstrap);
    if (!s->pk && !s->data_dir) return cx_fail(err, "evaluate: no pack (data_dir or pk)");
    for (int i = 0; i < s->n_models; i++)
        if (!s->model_path[i] || !s->model_path[i][0])
            return cx_fail(err, "evaluate: model %d has no file", i + 1);
    return 0;
}

// Everything after the rows are known: per model predict, measure, write.
static int evaluate_models(const study_eval_settings *s, const pack *pk, study_eval_result *r,
                           cx_error *err) {
    cases k;
    cases_alloc(&k, r->n_val > r->n_split ? r->n_val : r->n_split);
    int rc = 0;
    r->n_models = s->n_models;
    for (int i = 0; i < s->n_models && rc == 0; i++) {
        study_eval_model *m = &r->model[i];
        if ((rc = predict_model(s, i, pk, r, err))) break;
        make_name_unique(r, i);
        eval_thresholds(pk, r, m, &k);
        eval_auroc(pk, r, s->n_bootstrap, s->seed, i ? &r->model[0] : NULL, m, &k);
        if (s->out_dir && (rc = write_model_files(s->out_dir, pk, r, i, err))) break;
        int used;
        double mean = study_eval_mean_auroc(m, &used);
        cx_info("%s: mean AUROC %.4f over %d labels on %s (%lld images)%s%s", m->name, mean, used,
                CX_SPLITS[r->split], (long long)r->n_split, m->dir ? " -> " : "",
                m->dir ? m->dir : "");
    }
    cases_free(&k);
    if (rc == 0 && s->out_dir && s->n_models > 1) // the comparison: all models, DeLong p
        rc = write_auroc_files(s->out_dir, r, 0, s->n_models, 1, err);
    return rc;
}

int study_evaluate(const study_eval_settings *s, study_eval_result *r, cx_error *err) {
    memset(r, 0, sizeof *r);
    if (check_settings(s, err)) return -1;
    pack own;
    const pack *pk = s->pk;
    if (!pk) {
        if (pack_open(&own, s->data_dir, err)) return -1;
        pk = &own;
    }
    r->split = s->split;
    r->n_val = pack_split_rows(pk, SPLIT_VALIDATE, &r->val_rows);
    r->n_split = pack_split_rows(pk, s->split, &r->split_rows);
    int rc = -1;
    if (r->n_split == 0) {
        cx_fail(err, "%s: the '%s' split is empty", s->pk ? pk->dir : s->data_dir,
                CX_SPLITS[s->split]);
        goto done;
    }
    if (r->n_val == 0)
        cx_warn("%s: no validation images: thresholds.csv stays empty",
                s->pk ? pk->dir : s->data_dir);
    if (s->out_dir && cx_mkdir_p(s->out_dir, err)) goto done;
    rc = evaluate_models(s, pk, r, err);
done:
    if (pk == &own) pack_close(&own);
    if (rc) study_eval_result_free(r);
    return rc;
}

void study_eval_result_free(study_eval_result *r) {
    for (int i = 0; i < STUDY_EVAL_MAX_MODELS; i++) {
        free(r->model[i].dir);
        free(r->model[i].prob_val);
        free(r->model[i].prob_split);
    }
    free(r->val_rows);
    free(r->split_rows);
    memset(r, 0, sizeof *r);
}
