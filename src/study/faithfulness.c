// study/faithfulness.c: deletion and insertion curves (study.h, "faithfulness"; METHODS.md §4,
// Petsiuk et al. 2018). Per map: the grey image and its blurred copy, the pixel order of each
// method's map (and a random one), the perturbed images of the K - 1 inner steps of both curves
// through the engine in batches (the end points, original and blurred image, once per map), then
// AUCs, means with patient-bootstrap CIs and mean curves. Files: faithfulness_files.c.
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/study.h"

void study_faith_settings_default(study_faith_settings *s) {
    memset(s, 0, sizeof *s);
    s->steps = 16;
    s->precision = NN_FP32;
    s->batch = 32;
    s->n_bootstrap = 1000;
}

const char *study_faith_method_name(int method) {
    if (method == STUDY_FAITH_RANDOM) return "random";
    return method >= 0 && method < ATTR_NMETHODS ? attr_method_name((attr_method)method) : "?";
}

int study_faith_method_parse(const char *name) {
    attr_method m;
    if (!strcmp(name, "random")) return STUDY_FAITH_RANDOM;
    return attr_method_parse(name, &m, NULL) == 0 ? (int)m : -1;
}

static const char *const kind_names[STUDY_FAITH_N_KINDS] = {"deletion", "insertion"};
const char *study_faith_kind_name(study_faith_kind k) {
    return (unsigned)k < STUDY_FAITH_N_KINDS ? kind_names[k] : "?";
}

// ---- the pieces --------------------------------------------------------------------------------
// scipy.ndimage's mode "reflect" (half-sample symmetric, period 2n): index j of a row of n.
static int reflect_index(int64_t j, int n) {
    int64_t m = j % (2 * (int64_t)n);
    if (m < 0) m += 2 * (int64_t)n;
    return (int)(m < n ? m : 2 * (int64_t)n - 1 - m);
}

// scipy.ndimage.gaussian_filter: _gaussian_kernel1d (exp(-x^2 / (2 sigma^2)) on -r..r, divided
// by its sum, r = int(truncate * sigma + 0.5)), correlate1d along axis 0, then along axis 1.
void study_faith_blur(const float *img, int S, double sigma, float *out, double *work) {
    const int r = (int)(4.0 * sigma + 0.5);
    double *w = cx_malloc(sizeof *w * (size_t)(2 * r + 1)), sum = 0;
    for (int x = -r; x <= r; x++) sum += w[x + r] = exp(-0.5 * x * x / (sigma * sigma));
    for (int x = 0; x <= 2 * r; x++) w[x] /= sum;
    double *tmp = work ? work : cx_malloc(sizeof *tmp * (size_t)S * S);
    for (int y = 0; y < S; y++) // axis 0: down the columns
        for (int x = 0; x < S; x++) {
            double acc = 0;
            for (int d = -r; d <= r; d++)
                acc += w[d + r] * img[(size_t)reflect_index(y + d, S) * S + x];
            tmp[(size_t)y * S + x] = acc;
        }
    for (int y = 0; y < S; y++) // axis 1: along the rows
        for (int x = 0; x < S; x++) {
            double acc = 0;
            for (int d = -r; d <= r; d++)
                acc += w[d + r] * tmp[(size_t)y * S + reflect_index(x + d, S)];
            out[(size_t)y * S + x] = (float)acc;
        }
    if (!work) free(tmp);
    free(w);
}

typedef struct ranked {
    float v;
    int64_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    int xn = isnan(x->v), yn = isnan(y->v);
    if (xn != yn) return xn - yn; // NaN last
    if (!xn && x->v != y->v) return x->v > y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

void study_faith_order(const float *map, int64_t n, int64_t *order) {
    ranked *v = cx_malloc(sizeof *v * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = (ranked){map[i], i};
    qsort(v, (size_t)n, sizeof *v, cmp_ranked);
    for (int64_t i = 0; i < n; i++) order[i] = v[i].i;
    free(v);
}

int64_t study_faith_count(int k, int K, int64_t n) {
    return (2 * (int64_t)k * n + K) / (2 * (int64_t)K);
}

double study_faith_auc(const double *y, int K) {
    double a = 0;
    for (int k = 0; k < K; k++) a += 0.5 * (y[k] + y[k + 1]);
    return a / K;
}

// ---- batches of perturbed images through the engine --------------------------------------------
// Inputs are queued with where their probability goes; a full batch runs one forward pass.
typedef struct faith_engine {
    densenet_plan *plan;
    const model_meta *meta;
    int cap, n, k, P;  // batch size, queued, model outputs, pixels per image
    float *x;          // [cap,3,S,S] network inputs
    float *gray;       // [cap,S,S] the perturbed grey images of the inner steps
    float *logits;     // [cap,k]
    int *target;       // [cap]
    double **dst;      // [cap] where each queued image's probability goes
    int64_t n_forward; // images run
    double forward_s;  // seconds inside densenet_forward
} faith_engine;

static int engine_flush(faith_engine *e, cx_error *err) {
    if (e->n == 0) return 0;
    // The unused tail of a last, partial batch holds earlier (finite) inputs: samples do not
    // interact in eval mode, their outputs are dropped.
    double t0 = cx_now_s();
    if (densenet_forward(e->plan, e->x, e->logits, NULL, err)) return -1;
    e->forward_s += cx_now_s() - t0;
    for (int i = 0; i < e->n; i++) {
        double z = e->logits[(size_t)i * e->k + e->target[i]];
        *e->dst[i] = 1.0 / (1.0 + exp(-z));
    }
    e->n_forward += e->n;
    e->n = 0;
    return 0;
}

// Queues grey image g [P] (levels in [0,1]) for target c; its probability goes to *dst.
static int engine_add(faith_engine *e, const float *g, int c, double *dst, cx_error *err) {
    model_input_f32(e->meta, g, (size_t)e->P, e->x + (size_t)e->n * 3 * e->P);
    e->target[e->n] = c;
    e->dst[e->n++] = dst;
    return e->n == e->cap ? engine_flush(e, err) : 0;
}

// ---- the run -----------------------------------------------------------------------------------
typedef struct faith_run {
    const study_faith_settings *s;
    densenet *net;
    model_meta meta;
    pack pk;
    int have_pack;
    study_map_index index;
    study_method_maps maps[ATTR_NMETHODS];
    int n_files;
    int64_t n;          // maps scored
    int64_t *patient;   // [n] patient of map i (pack subject_id)
} faith_run;

static void run_free(faith_run *u) {
    for (int m = 0; m < u->n_files; m++) study_method_maps_close(&u->maps[m]);
    study_map_index_free(&u->index);
    if (u->have_pack) pack_close(&u->pk);
    densenet_free(u->net);
    free(u->patient);
}

static void dir_name(const char *dir, char *out, size_t cap) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    size_t b = n;
    while (b > 0 && dir[b - 1] != '/') b--;
    cx_textf(out, cap, "%.*s", (int)(n - b), dir + b);
}

// subject_id as a number (MIMIC's are); anything else a string hash, as evaluate does.
static int64_t patient_of(const pack *pk, int64_t row) {
    const char *s = pk->subject_id ? pk->subject_id[row] : NULL;
    if (!s || !*s) return -1 - row; // no patient named: the image is its own
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) {
        uint64_t h = 0xcbf29ce484222325ull;
        for (const char *q = s; *q; q++) h = (h ^ (uint8_t)*q) * 0x100000001b3ull;
        v = (long long)(h >> 1);
    }
    return v;
}

static int run_open(const study_faith_settings *s, faith_run *u, study_faith_result *r,
                    cx_error *err) {
    if (!s->model || !s->data || !s->attr_dir)
        return cx_fail(err,
                       "faithfulness: a model, a pack and an attribution directory are needed");
    if (s->steps < 1 || s->steps > STUDY_FAITH_MAX_STEPS || s->batch < 1)
        return cx_fail(err, "faithfulness: steps %d (1..%d), batch %d (>= 1)", s->steps,
                       STUDY_FAITH_MAX_STEPS, s->batch);
    if (model_load_ex(s->model, s->model_flags, &u->net, &u->meta, err)) return -1;
    if (pack_open(&u->pk, s->data, err)) return -1;
    u->have_pack = 1;
    if (u->meta.input_size && u->meta.input_size != u->pk.size)
        cx_warn("%s was trained at %d px, the pack %s is %d px", s->model, u->meta.input_size,
                s->data, u->pk.size);
    if (study_map_index_read(s->attr_dir, &u->pk, &u->index, err)) return -1;
    u->n = s->limit > 0 && s->limit < u->index.n ? s->limit : u->index.n;
    if (u->n == 0) return cx_fail(err, "%s/maps.csv: no maps", s->attr_dir);
    const int k = densenet_cfg(u->net)->num_classes;
    u->patient = cx_malloc(sizeof *u->patient * (size_t)u->n);
    for (int64_t i = 0; i < u->n; i++) {
        if (u->index.pack_row[i] < 0)
            return cx_fail(err, "%s/maps.csv: map %lld: its image is not in the pack %s",
                           s->attr_dir, (long long)i, s->data);
        if (u->index.target[i] >= k)
            return cx_fail(err, "%s/maps.csv: map %lld: target %d, the model %s has %d outputs",
                           s->attr_dir, (long long)i, u->index.target[i], s->model, k);
        u->patient[i] = patient_of(&u->pk, u->index.pack_row[i]);
    }
    for (int m = 0; m < ATTR_NMETHODS; m++) {
        int rc = study_method_maps_open(s->attr_dir, (attr_method)m, u->index.n, u->pk.size,
                                        &u->maps[u->n_files], err);
        if (rc < 0) return -1;
        if (rc == 0) r->method[u->n_files++] = m;
    }
    if (u->n_files == 0)
        return cx_fail(err,
                       "%s: no <method>.safetensors map files (sl, gc, dl, lc, gs, nt, ig, oc)",
                       s->attr_dir);
    r->method[u->n_files] = STUDY_FAITH_RANDOM;
    r->n_methods = u->n_files + 1;
    r->n_maps = u->n;
    r->steps = s->steps;
    r->S = u->pk.size;
    if (s->name && s->name[0]) cx_textf(r->model, sizeof r->model, "%s", s->name);
    else dir_name(s->attr_dir, r->model, sizeof r->model);
    return 0;
}

// Scratch of one map: its grey image, blurred copy, a map and an order.
typedef struct faith_scratch {
    float *gray, *blur, *map, *work; // [P] each
    double *blur_work;               // [P]
    int64_t *order;                  // [P]
} faith_scratch;

// The pixel order of source slot m for map i into sc->order; 1 when the map is constant.
static int source_order(const faith_run *u, const study_faith_result *r, int m, int64_t i,
                        faith_scratch *sc) {
    const int64_t P = (int64_t)u->pk.size * u->pk.size;
    if (r->method[m] == STUDY_FAITH_RANDOM) { // Fisher-Yates, stream i
        cx_rng g;
        cx_rng_seed(&g, u->s->seed, (uint64_t)i);
        for (int64_t q = 0; q < P; q++) sc->order[q] = q;
        for (int64_t q = P - 1; q > 0; q--) {
            int64_t j = (int64_t)cx_rng_below(&g, (uint64_t)q + 1), t = sc->order[q];
            sc->order[q] = sc->order[j];
            sc->order[j] = t;
        }
        return 0;
    }
    memcpy(sc->map, u->maps[m].maps + (size_t)i * P, sizeof *sc->map * (size_t)P);
    if (stats_map_normalise(sc->map, (size_t)P, u->s->norm, sc->work)) return 1;
    study_faith_order(sc->map, P, sc->order);
    return 0;
}

// Queues the inner steps 1..K-1 of both curves of map i under sc->order (2 (K-1) images, built
// in parallel straight into the batch's free slots); probabilities into curve [2,K+1].
static int queue_curves(faith_engine *e, const faith_scratch *sc, int K, int64_t P, int c,
                        double *curve, cx_error *err) {
    const int n_img = 2 * (K - 1);
    for (int j0 = 0; j0 < n_img;) {
        const int m = n_img - j0 < e->cap - e->n ? n_img - j0 : e->cap - e->n;
#pragma omp parallel for schedule(static)
        for (int q = 0; q < m; q++) {
            const int j = j0 + q, kind = j / (K - 1), k = 1 + j % (K - 1);
            const float *from = kind == STUDY_FAITH_DELETION ? sc->gray : sc->blur;
            const float *to = kind == STUDY_FAITH_DELETION ? sc->blur : sc->gray;
            float *g = e->gray + (size_t)(e->n + q) * P;
            memcpy(g, from, sizeof *g * (size_t)P);
            for (int64_t i = 0, ni = study_faith_count(k, K, P); i < ni; i++)
                g[sc->order[i]] = to[sc->order[i]];
            model_input_f32(e->meta, g, (size_t)P, e->x + (size_t)(e->n + q) * 3 * P);
        }
        for (int q = 0; q < m; q++) {
            const int j = j0 + q, kind = j / (K - 1), k = 1 + j % (K - 1);
            e->target[e->n + q] = c;
            e->dst[e->n + q] = curve + (size_t)kind * (K + 1) + k;
        }
        e->n += m;
        j0 += m;
        if (e->n == e->cap && engine_flush(e, err)) return -1;
    }
    return 0;
}

// Every curve of every map and source into r->prob.
static int run_curves(faith_run *u, study_faith_result *r, cx_error *err) {
    const study_faith_settings *s = u->s;
    const int S = u->pk.size, K = s->steps, stride = 2 * (K + 1);
    const int64_t P = (int64_t)S * S;
    faith_engine e = {.meta = &u->meta, .cap = s->batch, .k = densenet_cfg(u->net)->num_classes,
                      .P = (int)P};
    e.plan = densenet_plan_create(u->net, e.cap, S, S, s->precision, NN_EVAL, err);
    if (!e.plan) return -1;
    e.x = cx_calloc((size_t)e.cap * 3 * P, sizeof *e.x);
    e.gray = cx_malloc(sizeof *e.gray * (size_t)e.cap * P);
    e.logits = cx_malloc(sizeof *e.logits * (size_t)e.cap * e.k);
    e.target = cx_malloc(sizeof *e.target * (size_t)e.cap);
    e.dst = cx_malloc(sizeof *e.dst * (size_t)e.cap);
    faith_scratch sc = {0};
    float **f[] = {&sc.gray, &sc.blur, &sc.map, &sc.work};
    for (size_t q = 0; q < sizeof f / sizeof *f; q++) *f[q] = cx_malloc(sizeof(float) * (size_t)P);
    sc.blur_work = cx_malloc(sizeof *sc.blur_work * (size_t)P);
    sc.order = cx_malloc(sizeof *sc.order * (size_t)P);
    double *ends = cx_malloc(sizeof *ends * 2 * (size_t)u->n); // [n,2] original, blurred
    r->prob = cx_calloc((size_t)r->n_methods * u->n * stride, sizeof *r->prob);
    cx_progress pr;
    if (s->progress) cx_progress_start(&pr, "faithfulness", "maps", u->n);
    double t0 = cx_now_s();
    int rc = 0;
    for (int64_t i = 0; i < u->n && !rc; i++) {
        const uint8_t *px = u->pk.images + (size_t)u->index.pack_row[i] * P;
        for (int64_t q = 0; q < P; q++) sc.gray[q] = px[q] / 255.0f;
        study_faith_blur(sc.gray, S, S / 20.0, sc.blur, sc.blur_work);
        const int c = u->index.target[i];
        rc = engine_add(&e, sc.gray, c, ends + 2 * i, err) ||
             engine_add(&e, sc.blur, c, ends + 2 * i + 1, err);
        for (int m = 0; m < r->n_methods && !rc; m++) {
            double *curve = r->prob + ((size_t)m * u->n + i) * stride;
            if (source_order(u, r, m, i, &sc)) {
                for (int q = 0; q < stride; q++) curve[q] = NAN;
                r->n_constant[m]++;
                continue;
            }
            rc = queue_curves(&e, &sc, K, P, c, curve, err);
        }
        if (s->progress) cx_progress_update(&pr, i + 1, NULL);
    }
    if (!rc) rc = engine_flush(&e, err);
    if (s->progress) cx_progress_finish(&pr);
    // The end points: deletion runs from the original to the blurred image, insertion back.
    for (int m = 0; m < r->n_methods && !rc; m++)
        for (int64_t i = 0; i < u->n; i++) {
            double *curve = r->prob + ((size_t)m * u->n + i) * stride;
            if (isnan(curve[0])) continue; // a constant map (an end point is 0 until here)
            curve[0] = curve[2 * K + 1] = ends[2 * i];
            curve[K] = curve[K + 1] = ends[2 * i + 1];
        }
    r->seconds = cx_now_s() - t0;
    r->n_forward = e.n_forward;
    r->forward_seconds = e.forward_s;
    densenet_plan_free(e.plan);
    free(e.x), free(e.gray), free(e.logits), free(e.target), free(e.dst), free(ends);
    free(sc.gray), free(sc.blur), free(sc.map), free(sc.work), free(sc.blur_work);
    free(sc.order);
    return rc;
}

// ---- summaries ---------------------------------------------------------------------------------
static void summarise_items(const faith_run *u, study_faith_result *r) {
    const int K = r->steps, stride = 2 * (K + 1);
    r->items = cx_malloc(sizeof *r->items * (size_t)r->n_methods * u->n);
    for (int m = 0; m < r->n_methods; m++)
        for (int64_t i = 0; i < u->n; i++) {
            const double *curve = r->prob + ((size_t)m * u->n + i) * stride;
            if (isnan(curve[0])) continue;
            study_faith_item *it = &r->items[r->n_items++];
            cx_textf(it->model, sizeof it->model, "%s", r->model);
            it->method = r->method[m];
            cx_textf(it->image, sizeof it->image, "%s", u->pk.dicom_id[u->index.pack_row[i]]);
            it->label = u->index.target[i];
            it->deletion_auc = study_faith_auc(curve, K);
            it->insertion_auc = study_faith_auc(curve + K + 1, K);
        }
}

// One row of faithfulness.csv: the items of method m (slot) with label (or all), CIs over
// patients.
static void summarise_row(const faith_run *u, study_faith_result *r, int m, int label,
                          double *del, double *ins, int64_t *pat) {
    const int K = r->steps, stride = 2 * (K + 1);
    size_t n = 0;
    for (int64_t i = 0; i < u->n; i++) {
        const double *curve = r->prob + ((size_t)m * u->n + i) * stride;
        if (isnan(curve[0]) || (label != STUDY_ALL_LABELS && u->index.target[i] != label)) continue;
        del[n] = study_faith_auc(curve, K);
        ins[n] = study_faith_auc(curve + K + 1, K);
        pat[n++] = u->patient[i];
    }
    if (n == 0) return;
    study_faith_row *row = &r->rows[r->n_rows++];
    *row = (study_faith_row){.method = r->method[m], .label = label, .n = (int64_t)n,
                             .del_lo = NAN, .del_hi = NAN, .ins_lo = NAN, .ins_hi = NAN};
    cx_textf(row->model, sizeof row->model, "%s", r->model);
    double sd = 0, si = 0;
    for (size_t q = 0; q < n; q++) sd += del[q], si += ins[q];
    row->deletion_auc = sd / n;
    row->insertion_auc = si / n;
    if (u->s->n_bootstrap <= 0) return;
    stats_ci ci;
    stats_bootstrap_mean_ci_clustered(del, pat, n, u->s->n_bootstrap, 0.95, u->s->seed, &ci);
    row->del_lo = ci.lo, row->del_hi = ci.hi;
    stats_bootstrap_mean_ci_clustered(ins, pat, n, u->s->n_bootstrap, 0.95, u->s->seed, &ci);
    row->ins_lo = ci.lo, row->ins_hi = ci.hi;
}

static void summarise_curves(const faith_run *u, study_faith_result *r) {
    const int K = r->steps, stride = 2 * (K + 1);
    r->curves = cx_malloc(sizeof *r->curves * (size_t)r->n_methods * stride);
    for (int m = 0; m < r->n_methods; m++)
        for (int q = 0; q < stride; q++) {
            double sum = 0;
            int64_t n = 0;
            for (int64_t i = 0; i < u->n; i++) {
                double p = r->prob[((size_t)m * u->n + i) * stride + q];
                if (!isnan(p)) sum += p, n++;
            }
            if (n == 0) continue;
            study_faith_curve *c = &r->curves[r->n_curves++];
            cx_textf(c->model, sizeof c->model, "%s", r->model);
            c->method = r->method[m];
            c->kind = (study_faith_kind)(q / (K + 1));
            c->step = q % (K + 1);
            c->fraction = (double)c->step / K;
            c->probability = sum / n;
        }
}

static void summarise(const faith_run *u, study_faith_result *r) {
    summarise_items(u, r);
    size_t cap = (size_t)u->n;
    double *del = cx_malloc(sizeof *del * cap), *ins = cx_malloc(sizeof *ins * cap);
    int64_t *pat = cx_malloc(sizeof *pat * cap);
    r->rows = cx_malloc(sizeof *r->rows * (size_t)r->n_methods * (CX_N_LABELS + 1));
    for (int m = 0; m < r->n_methods; m++) {
        for (int c = 0; c < CX_N_LABELS; c++) summarise_row(u, r, m, c, del, ins, pat);
        summarise_row(u, r, m, STUDY_ALL_LABELS, del, ins, pat);
    }
    free(del), free(ins), free(pat);
    summarise_curves(u, r);
}

static int write_files(const study_faith_settings *s, const study_faith_result *r,
                       cx_error *err) {
    if (cx_mkdir_p(s->out, err)) return -1;
    return study_faith_write(s->out, r->rows, r->n_rows, err) ||
                   study_faith_curves_write(s->out, r->curves, r->n_curves, err) ||
                   study_faith_items_write(s->out, r->items, r->n_items, err)
               ? -1
               : 0;
}

int study_faithfulness(const study_faith_settings *s, study_faith_result *r, cx_error *err) {
    memset(r, 0, sizeof *r);
    faith_run u = {.s = s};
    int rc = -1;
    if (run_open(s, &u, r, err)) goto done;
    char desc[160];
    model_describe(u.net, desc, sizeof desc);
    cx_info("faithfulness: %s (%s), %lld maps x %d sources, %d steps, %s, batch %d", r->model,
            desc, (long long)u.n, r->n_methods, s->steps, nn_precision_name(s->precision),
            s->batch);
    if (run_curves(&u, r, err)) goto done;
    for (int m = 0; m < r->n_methods; m++)
        if (r->n_constant[m])
            cx_warn("faithfulness: %s: %lld of %lld maps are constant after %s-%s "
                    "normalisation: left out",
                    study_faith_method_name(r->method[m]), (long long)r->n_constant[m],
                    (long long)u.n, stats_map_sign_name(s->norm.sign),
                    stats_map_scale_name(s->norm.scale));
    summarise(&u, r);
    if (s->out && write_files(s, r, err)) goto done;
    cx_info("faithfulness: %lld perturbed images in %.1f s (%.1f maps/s counting each method's "
            "and random's map, %.1f img/s; the forward passes alone %.1f s, %.1f img/s)",
            (long long)r->n_forward, r->seconds,
            (double)u.n * r->n_methods / fmax(r->seconds, 1e-9),
            r->n_forward / fmax(r->seconds, 1e-9), r->forward_seconds,
            r->n_forward / fmax(r->forward_seconds, 1e-9));
    rc = 0;
done:
    if (rc) study_faith_result_free(r);
    run_free(&u);
    return rc;
}

void study_faith_result_free(study_faith_result *r) {
    free(r->prob);
    free(r->items);
    free(r->rows);
    free(r->curves);
    memset(r, 0, sizeof *r);
}
