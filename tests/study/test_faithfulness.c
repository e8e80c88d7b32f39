// study/faithfulness: deletion and insertion curves (METHODS.md §4), against oracles computed
// here: the trapezoid rule against closed forms; the pixel counts and the tie order by hand; the
// blur against scipy.ndimage.gaussian_filter (tests/ref/faith_ref.py); the curves' end points
// and an inner step against a direct densenet_forward on images built here (normalised by hand
// with the model file's own mean/std); the stage's AUCs and means from its own curves; batch
// size not changing a probability; the files round-trip. The oracle: on a model trained
// here (DenseNet-121, a 64 px pack whose labels are bright discs), occlusion maps have a lower
// mean deletion AUC and a higher mean insertion AUC than the random order, and the reversed
// occlusion map (least important pixels first) the opposite: random sits between.
#include "cli/train_pack.h"
#include "stats/fixture.h"

#include "study/study.h"
#include "train/train.h"

#define N_IMG 20
#define PX 32

static char pack_dir[4096], model_path[4096], attr_dir[4096];
static const float model_mean[3] = {0.3f, 0.4f, 0.5f}, model_std[3] = {0.2f, 0.25f, 0.3f};

// The attribution directory of the curve tests: maps.csv for the first test images' positive
// labels, and "sl" maps whose value falls with the pixel index (the order is raster order), "gc"
// maps that are constant (left out).
#define N_MAPS 5
static int map_row[N_MAPS], map_target[N_MAPS];

static void write_attr_dir(const pack *pk) {
    study_map_index ix;
    study_map_index_alloc(&ix, N_MAPS);
    int64_t *rows, n = pack_split_rows(pk, SPLIT_TEST, &rows), m = 0;
    for (int64_t i = 0; i < n && m < N_MAPS; i++)
        for (int c = 0; c < CX_N_LABELS && m < N_MAPS; c++)
            if (pk->labels[rows[i] * CX_N_LABELS + c] > 0.5f) {
                ix.pack_row[m] = rows[i], ix.target[m] = c, ix.positive[m] = 1;
                ix.probability[m] = 0.5f;
                map_row[m] = (int)rows[i], map_target[m++] = c;
            }
    free(rows);
    assert_int_equal(m, N_MAPS);
    cx_error err;
    assert_int_equal(study_map_index_write(attr_dir, pk, &ix, &err), 0);
    float *sl = cx_malloc(sizeof(float) * N_MAPS * PX * PX);
    float *gc = cx_malloc(sizeof(float) * N_MAPS * PX * PX);
    int32_t target[N_MAPS];
    for (int i = 0; i < N_MAPS; i++) {
        target[i] = map_target[i];
        for (int p = 0; p < PX * PX; p++) {
            sl[(size_t)i * PX * PX + p] = (float)(PX * PX - p);
            gc[(size_t)i * PX * PX + p] = 0.25f;
        }
    }
    attr_options o;
    attr_options_default(&o);
    study_method_file f = {.method = ATTR_SL, .shape = {N_MAPS, PX, PX}, .values = sl,
                           .target = target, .model = model_path, .opt = &o};
    assert_int_equal(study_method_file_write(attr_dir, &f, &err), 0);
    f.method = ATTR_GC, f.values = gc;
    assert_int_equal(study_method_file_write(attr_dir, &f, &err), 0);
    free(sl), free(gc);
    study_map_index_free(&ix);
}

static int setup(void **state) {
    (void)state;
    snprintf(model_path, sizeof model_path, "%s", test_out_path("study_faith_model.safetensors"));
    snprintf(attr_dir, sizeof attr_dir, "%s", test_out_path("study_faith_attr"));
    sh("rm -rf '%s'", attr_dir);
    train_pack_fresh(pack_dir, "study_faith_pack", N_IMG, PX, 7, 0);
    train_model_write(model_path, PX, 5, TRAIN_MODEL_SPREAD_BIAS, model_mean, model_std);
    cx_error err;
    pack pk;
    if (pack_open(&pk, pack_dir, &err)) fail_msg("%s", err.msg);
    if (cx_mkdir_p(attr_dir, &err)) fail_msg("%s", err.msg);
    write_attr_dir(&pk);
    pack_close(&pk);
    return 0;
}

// ---- the pieces --------------------------------------------------------------------------------
static void auc_closed_forms(void **state) {
    (void)state;
    // y = a + b x: the trapezoid rule is exact, a + b / 2.
    for (int K = 1; K <= 16; K *= 2) {
        double y[17];
        for (int k = 0; k <= K; k++) y[k] = 0.3 + 0.5 * k / K;
        assert_close(study_faith_auc(y, K), 0.55, 0, 1e-15, "linear");
        // y = x^2: 1/3 + 1 / (6 K^2) (the trapezoid rule's error for a parabola).
        for (int k = 0; k <= K; k++) y[k] = (double)k * k / ((double)K * K);
        assert_close(study_faith_auc(y, K), 1.0 / 3 + 1.0 / (6.0 * K * K), 0, 1e-15, "x^2");
    }
    double y1[2] = {0.9, 0.1}; // K = 1: the mean of the end points
    assert_close(study_faith_auc(y1, 1), 0.5, 0, 1e-15, "K=1");
}

static void counts_by_hand(void **state) {
    (void)state;
    assert_int_equal(study_faith_count(0, 16, 1024), 0);
    assert_int_equal(study_faith_count(16, 16, 1024), 1024);
    assert_int_equal(study_faith_count(1, 16, 1024), 64);
    assert_int_equal(study_faith_count(1, 3, 10), 3);  // 3.33
    assert_int_equal(study_faith_count(2, 3, 10), 7);  // 6.67
    assert_int_equal(study_faith_count(1, 4, 10), 3);  // 2.5: halves up
    assert_int_equal(study_faith_count(1, 1, 7), 7);
    assert_int_equal(study_faith_count(5, 16, 50176), 15680);
}

static void order_ties_stable(void **state) {
    (void)state;
    const float map[] = {0.5f, 1.0f, 0.5f, 1.0f, 0.0f, NAN, 0.75f, 0.5f};
    const int64_t want[] = {1, 3, 6, 0, 2, 7, 4, 5};
    int64_t got[8];
    study_faith_order(map, 8, got);
    for (int i = 0; i < 8; i++) assert_int_equal(got[i], want[i]);
    float flat[100];
    int64_t o[100];
    for (int i = 0; i < 100; i++) flat[i] = 1.0f; // all ties: pixel order
    study_faith_order(flat, 100, o);
    for (int i = 0; i < 100; i++) assert_int_equal(o[i], i);
}

static void blur_matches_scipy(void **state) {
    (void)state;
    st_file *f = fixture_open("faith_blur_ref.safetensors");
    int cases = 0;
    for (int c = 0;; c++) {
        const st_tensor *img = fixture_tensor(f, "blur/%d/image", c);
        if (!img) break;
        const st_tensor *out = FX(f, "blur/%d/out", c), *sig = FX(f, "blur/%d/sigma", c);
        int S = (int)img->shape[0];
        float *got = cx_malloc(sizeof(float) * S * S);
        study_faith_blur(img->data, S, ((const double *)sig->data)[0], got, NULL);
        char what[64];
        snprintf(what, sizeof what, "blur case %d (S %d)", c, S);
        for (int p = 0; p < S * S; p++)
            assert_close(got[p], ((const float *)out->data)[p], 0, 2e-6, what);
        free(got);
        cases++;
    }
    assert_int_equal(cases, 4);
    st_close(f);
}

// ---- the stage on the hand-made maps -----------------------------------------------------------
// sigmoid(logit c) of grey images g [n,PX,PX] by a direct forward, inputs normalised here.
static void direct_probs(const float *g, int n, const int *c, double *out) {
    densenet *net;
    cx_error err;
    if (model_load(model_path, &net, &err)) fail_msg("%s", err.msg);
    densenet_plan *plan = densenet_plan_create(net, n, PX, PX, NN_FP32, NN_EVAL, &err);
    assert_non_null(plan);
    float *x = cx_malloc(sizeof(float) * n * 3 * PX * PX), logits[64 * CX_N_LABELS];
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < 3; ch++)
            for (int p = 0; p < PX * PX; p++)
                x[((size_t)i * 3 + ch) * PX * PX + p] =
                    (g[(size_t)i * PX * PX + p] - model_mean[ch]) / model_std[ch];
    assert_int_equal(densenet_forward(plan, x, logits, NULL, &err), 0);
    for (int i = 0; i < n; i++) out[i] = 1 / (1 + exp(-(double)logits[i * CX_N_LABELS + c[i]]));
    free(x);
    densenet_plan_free(plan);
    densenet_free(net);
}

static void stage_settings(study_faith_settings *s, const char *out, int steps, int batch) {
    study_faith_settings_default(s);
    s->model = model_path;
    s->data = pack_dir;
    s->attr_dir = attr_dir;
    s->out = out;
    s->steps = steps;
    s->batch = batch;
    s->n_bootstrap = 50;
    s->seed = 3;
}

static const double *curve_of(const study_faith_result *r, int slot, int i) {
    return r->prob + ((size_t)slot * r->n_maps + i) * 2 * (r->steps + 1);
}

static void curves_against_direct_forward(void **state) {
    (void)state;
    const int K = 4;
    study_faith_settings s;
    stage_settings(&s, test_out_path("study_faith_out"), K, 7);
    study_faith_result r;
    cx_error err;
    if (study_faithfulness(&s, &r, &err)) fail_msg("%s", err.msg);
    assert_string_equal(r.model, "study_faith_attr");
    assert_int_equal(r.n_maps, N_MAPS);
    assert_int_equal(r.n_methods, 3); // sl, gc, random
    assert_int_equal(r.method[0], ATTR_SL);
    assert_int_equal(r.method[1], ATTR_GC);
    assert_int_equal(r.method[2], STUDY_FAITH_RANDOM);
    assert_int_equal(r.n_constant[1], N_MAPS); // gc: constant maps left out
    assert_int_equal(r.n_constant[0], 0);
    // 2 end points per map, 2 (K - 1) inner steps per map and scored source
    assert_int_equal(r.n_forward, N_MAPS * (2 + 2 * 2 * (K - 1)));
    // Oracle images: original, blurred, and deletion/insertion at step 1 in raster order (sl).
    pack pk;
    if (pack_open(&pk, pack_dir, &err)) fail_msg("%s", err.msg);
    const int P = PX * PX, n1 = (int)study_faith_count(1, K, P);
    float *g = cx_malloc(sizeof(float) * 4 * N_MAPS * P);
    int cs[4 * N_MAPS];
    for (int i = 0; i < N_MAPS; i++) {
        float *orig = g + (size_t)(4 * i) * P, *blur = orig + P, *del = blur + P, *ins = del + P;
        for (int p = 0; p < P; p++) orig[p] = pk.images[(size_t)map_row[i] * P + p] / 255.0f;
        study_faith_blur(orig, PX, PX / 20.0, blur, NULL);
        for (int p = 0; p < P; p++) {
            del[p] = p < n1 ? blur[p] : orig[p];
            ins[p] = p < n1 ? orig[p] : blur[p];
        }
        for (int q = 0; q < 4; q++) cs[4 * i + q] = map_target[i];
    }
    double want[4 * N_MAPS];
    direct_probs(g, 4 * N_MAPS, cs, want);
    for (int i = 0; i < N_MAPS; i++) {
        const double *w = want + 4 * i;
        for (int slot = 0; slot < 3; slot += 2) { // sl and random share the end points
            const double *cv = curve_of(&r, slot, i), *ins = cv + K + 1;
            assert_close(cv[0], w[0], 0, 2e-6, "deletion step 0 = original");
            assert_close(cv[K], w[1], 0, 2e-6, "deletion step K = blurred");
            assert_close(ins[0], w[1], 0, 2e-6, "insertion step 0 = blurred");
            assert_close(ins[K], w[0], 0, 2e-6, "insertion step K = original");
        }
        const double *sl = curve_of(&r, 0, i);
        assert_close(sl[1], w[2], 0, 2e-6, "sl deletion step 1");
        assert_close(sl[K + 2], w[3], 0, 2e-6, "sl insertion step 1");
        assert_true(isnan(curve_of(&r, 1, i)[0]));
    }
    // Items: the trapezoid rule over the stage's curves; rows: their means.
    assert_int_equal(r.n_items, 2 * N_MAPS);
    for (int64_t q = 0; q < r.n_items; q++) {
        const study_faith_item *it = &r.items[q];
        int slot = it->method == ATTR_SL ? 0 : 2, i = (int)(q % N_MAPS);
        assert_int_equal(it->method, q < N_MAPS ? ATTR_SL : STUDY_FAITH_RANDOM);
        assert_string_equal(it->image, pk.dicom_id[map_row[i]]);
        assert_int_equal(it->label, map_target[i]);
        assert_close(it->deletion_auc, study_faith_auc(curve_of(&r, slot, i), K), 0, 1e-12, "del");
        assert_close(it->insertion_auc, study_faith_auc(curve_of(&r, slot, i) + K + 1, K), 0, 1e-12,
                     "ins");
    }
    int pooled = 0;
    for (int64_t q = 0; q < r.n_rows; q++) {
        const study_faith_row *row = &r.rows[q];
        double sd = 0, si = 0;
        int n = 0;
        for (int64_t j = 0; j < r.n_items; j++)
            if (r.items[j].method == row->method &&
                (row->label == STUDY_ALL_LABELS || r.items[j].label == row->label))
                sd += r.items[j].deletion_auc, si += r.items[j].insertion_auc, n++;
        assert_int_equal(row->n, n);
        assert_close(row->deletion_auc, sd / n, 0, 1e-12, "mean deletion AUC");
        assert_close(row->insertion_auc, si / n, 0, 1e-12, "mean insertion AUC");
        assert_true(row->del_lo <= row->deletion_auc + 1e-12 &&
                    row->deletion_auc <= row->del_hi + 1e-12);
        if (row->label == STUDY_ALL_LABELS) pooled++, assert_int_equal(n, N_MAPS);
    }
    assert_int_equal(pooled, 2);
    // Mean curves: step 0 of deletion is the mean original probability.
    double m0 = 0;
    for (int i = 0; i < N_MAPS; i++) m0 += want[4 * i];
    assert_int_equal(r.n_curves, 2 * 2 * (K + 1));
    assert_int_equal(r.curves[0].kind, STUDY_FAITH_DELETION);
    assert_close(r.curves[0].probability, m0 / N_MAPS, 0, 2e-6, "mean curve at step 0");
    assert_close(r.curves[K + 1 + 2].fraction, 0.5, 0, 0, "fraction");
    // Batch size changes no probability (batch 7 above, padded last batch; batch 1 here).
    study_faith_settings s1;
    stage_settings(&s1, NULL, K, 1);
    study_faith_result r1;
    if (study_faithfulness(&s1, &r1, &err)) fail_msg("%s", err.msg);
    for (int64_t q = 0; q < 3 * N_MAPS * 2 * (K + 1); q++)
        if (!isnan(r.prob[q])) assert_close(r1.prob[q], r.prob[q], 0, 2e-6, "batch 1 vs 7");
    study_faith_result_free(&r1);
    free(g);
    pack_close(&pk);
    study_faith_result_free(&r);
}

static void one_step_and_limit(void **state) {
    (void)state;
    study_faith_settings s;
    stage_settings(&s, NULL, 1, 32);
    s.limit = 2;
    s.name = "m1";
    study_faith_result r;
    cx_error err;
    if (study_faithfulness(&s, &r, &err)) fail_msg("%s", err.msg);
    assert_int_equal(r.n_maps, 2);
    assert_int_equal(r.n_forward, 2 * 2); // K = 1: the end points only
    assert_string_equal(r.items[0].model, "m1");
    for (int i = 0; i < 2; i++) {
        const double *cv = curve_of(&r, 0, i);
        assert_close(cv[0], cv[3], 0, 0, "deletion 0 = insertion K");
        assert_close(cv[1], cv[2], 0, 0, "deletion K = insertion 0");
        assert_close(r.items[i].deletion_auc, 0.5 * (cv[0] + cv[1]), 0, 1e-15, "K=1 AUC");
        assert_close(r.items[i].insertion_auc, r.items[i].deletion_auc, 0, 1e-15, "K=1 both");
    }
    study_faith_result_free(&r);
    // refusals
    stage_settings(&s, NULL, 4, 8);
    s.attr_dir = pack_dir; // no maps.csv
    assert_int_equal(study_faithfulness(&s, &r, &err), -1);
    assert_non_null(strstr(err.msg, "maps.csv"));
}

// ---- files -------------------------------------------------------------------------------------
static void files_round_trip(void **state) {
    (void)state;
    study_faith_settings s;
    const char *out = test_out_path("study_faith_files");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", out);
    stage_settings(&s, dir, 3, 16);
    study_faith_result r;
    cx_error err;
    if (study_faithfulness(&s, &r, &err)) fail_msg("%s", err.msg);
    study_faith_row *rows;
    study_faith_curve *cv;
    study_faith_item *it;
    int64_t n;
    assert_int_equal(study_faith_read(dir, &rows, &n, &err), 0);
    assert_int_equal(n, r.n_rows);
    for (int64_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].model, r.rows[i].model);
        assert_int_equal(rows[i].method, r.rows[i].method);
        assert_int_equal(rows[i].label, r.rows[i].label);
        assert_int_equal(rows[i].n, r.rows[i].n);
        assert_close(rows[i].deletion_auc, r.rows[i].deletion_auc, 0, 5.1e-7, "deletion_auc");
        assert_close(rows[i].del_lo, r.rows[i].del_lo, 0, 5.1e-7, "del_lo");
        assert_close(rows[i].ins_hi, r.rows[i].ins_hi, 0, 5.1e-7, "ins_hi");
        assert_close(rows[i].insertion_auc, r.rows[i].insertion_auc, 0, 5.1e-7, "insertion_auc");
    }
    free(rows);
    assert_int_equal(study_faith_curves_read(dir, &cv, &n, &err), 0);
    assert_int_equal(n, r.n_curves);
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(cv[i].method, r.curves[i].method);
        assert_int_equal(cv[i].kind, r.curves[i].kind);
        assert_int_equal(cv[i].step, r.curves[i].step);
        assert_close(cv[i].fraction, r.curves[i].fraction, 0, 5.1e-7, "fraction");
        assert_close(cv[i].probability, r.curves[i].probability, 0, 5.1e-7, "probability");
    }
    free(cv);
    assert_int_equal(study_faith_items_read(dir, &it, &n, &err), 0);
    assert_int_equal(n, r.n_items);
    for (int64_t i = 0; i < n; i++) {
        assert_string_equal(it[i].image, r.items[i].image);
        assert_int_equal(it[i].label, r.items[i].label);
        assert_int_equal(it[i].method, r.items[i].method);
        assert_close(it[i].deletion_auc, r.items[i].deletion_auc, 0, 5.1e-7, "item del");
        assert_close(it[i].insertion_auc, r.items[i].insertion_auc, 0, 5.1e-7, "item ins");
    }
    free(it);
    // NaN cells are empty and read back as NaN; a bad cell is named.
    study_faith_row nanrow = {.model = "x", .method = STUDY_FAITH_RANDOM, .label = STUDY_ALL_LABELS,
                              .n = 0, .deletion_auc = NAN, .del_lo = NAN, .del_hi = NAN,
                              .insertion_auc = NAN, .ins_lo = NAN, .ins_hi = NAN};
    assert_int_equal(study_faith_write(dir, &nanrow, 1, &err), 0);
    assert_int_equal(study_faith_read(dir, &rows, &n, &err), 0);
    assert_true(n == 1 && isnan(rows[0].deletion_auc) && rows[0].label == STUDY_ALL_LABELS);
    free(rows);
    char path[4200];
    snprintf(path, sizeof path, "%s/faithfulness.csv", dir);
    FILE *fp = fopen(path, "w");
    fprintf(fp, "model,method,label,n,deletion_auc,del_lo,del_hi,insertion_auc,ins_lo,ins_hi\n"
                "m,sl,all,3,0.1,0,0.2,0.5,0.4,0.6\nm,xx,all,3,0.1,0,0.2,0.5,0.4,0.6\n");
    fclose(fp);
    assert_int_equal(study_faith_read(dir, &rows, &n, &err), -1);
    assert_non_null(strstr(err.msg, "faithfulness.csv:3"));
    assert_non_null(strstr(err.msg, "\"method\""));
    study_faith_result_free(&r);
}

// ---- the oracle: occlusion beats the random order on a trained model --------------------
static void occlusion_beats_random_on_trained_model(void **state) {
    (void)state;
    enum { TN = 100, TS = 64 };
    char tpack[4096], run[4096], oc_dir[4096];
    train_pack_fresh(tpack, "study_faith_train_pack", TN, TS, 11, 0);
    snprintf(run, sizeof run, "%s", test_out_path("study_faith_train_run"));
    snprintf(oc_dir, sizeof oc_dir, "%s", test_out_path("study_faith_oc"));
    sh("rm -rf '%s' '%s'", run, oc_dir);
    train_opts o;
    train_opts_default(&o);
    o.data_dir = tpack, o.out_dir = run;
    o.epochs = 8, o.batch = 12, o.lr = 2e-3, o.seed = 1, o.progress = 0;
    o.augment = TRAIN_AUG_NONE;
    o.patience = 100, o.early_stop = 100;
    train_result tr;
    cx_error err;
    if (train_run_data(&o, &tr, &err)) fail_msg("%s", err.msg);
    char model[4200];
    snprintf(model, sizeof model, "%s/last.safetensors", run);
    study_attr_settings a;
    study_attr_settings_default(&a);
    a.model = model, a.data = tpack, a.out = oc_dir;
    a.n_methods = 1, a.methods[0] = ATTR_OC;
    a.opt.oc_patch = 8, a.opt.oc_stride = 4;
    study_attr_result ar;
    if (study_attribute(&a, &ar, &err)) fail_msg("%s", err.msg);
    study_attr_result_free(&ar);
    // The anti-map: occlusion's |map| reversed (least important pixels first), stored as the "ig"
    // file of the directory: its deletion AUC must lie above random's.
    study_method_maps mm;
    study_map_index ix;
    pack pk;
    if (pack_open(&pk, tpack, &err) || study_map_index_read(oc_dir, &pk, &ix, &err) ||
        study_method_maps_open(oc_dir, ATTR_OC, ix.n, TS, &mm, &err))
        fail_msg("%s", err.msg);
    float *anti = cx_malloc(sizeof(float) * (size_t)ix.n * TS * TS);
    int32_t *tg = cx_malloc(sizeof(int32_t) * (size_t)ix.n);
    for (int64_t i = 0; i < ix.n; i++) {
        const float *m = mm.maps + (size_t)i * TS * TS;
        float hi = 0;
        for (int p = 0; p < TS * TS; p++) hi = fmaxf(hi, fabsf(m[p]));
        for (int p = 0; p < TS * TS; p++) anti[(size_t)i * TS * TS + p] = hi - fabsf(m[p]);
        tg[i] = ix.target[i];
    }
    attr_options ao;
    attr_options_default(&ao);
    study_method_file af = {.method = ATTR_IG, .shape = {ix.n, TS, TS}, .values = anti,
                            .target = tg, .model = model, .opt = &ao};
    if (study_method_file_write(oc_dir, &af, &err)) fail_msg("%s", err.msg);
    study_method_maps_close(&mm);
    study_map_index_free(&ix);
    pack_close(&pk);
    free(anti), free(tg);
    study_faith_settings s;
    study_faith_settings_default(&s);
    s.model = model, s.data = tpack, s.attr_dir = oc_dir, s.steps = 8, s.n_bootstrap = 0;
    s.limit = 30;
    study_faith_result r;
    if (study_faithfulness(&s, &r, &err)) fail_msg("%s", err.msg);
    const study_faith_row *oc = NULL, *rnd = NULL, *inv = NULL;
    for (int64_t q = 0; q < r.n_rows; q++)
        if (r.rows[q].label == STUDY_ALL_LABELS) {
            if (r.rows[q].method == ATTR_OC) oc = &r.rows[q];
            if (r.rows[q].method == ATTR_IG) inv = &r.rows[q];
            if (r.rows[q].method == STUDY_FAITH_RANDOM) rnd = &r.rows[q];
        }
    assert_non_null(oc);
    assert_non_null(rnd);
    assert_non_null(inv);
    cx_info("trained model: %lld maps; deletion AUC oc %.4f random %.4f anti-map %.4f; insertion "
            "oc %.4f random %.4f anti-map %.4f",
            (long long)oc->n, oc->deletion_auc, rnd->deletion_auc, inv->deletion_auc,
            oc->insertion_auc, rnd->insertion_auc, inv->insertion_auc);
    assert_int_equal(oc->n, 30);
    assert_true(oc->deletion_auc < rnd->deletion_auc);
    assert_true(rnd->deletion_auc < inv->deletion_auc); // random sits between
    assert_true(oc->insertion_auc > rnd->insertion_auc);
    assert_true(rnd->insertion_auc > inv->insertion_auc);
    // Deleting in the reversed order is inserting in the original one, read backwards: step k of
    // the one is step K - k of the other (exact for distinct map values; ties, e.g. p98's clipped
    // top, are broken by pixel index both ways, so only close).
    assert_close(inv->deletion_auc, oc->insertion_auc, 0, 0.02, "reversed deletion = insertion");
    assert_close(inv->insertion_auc, oc->deletion_auc, 0, 0.02, "reversed insertion = deletion");
    study_faith_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auc_closed_forms),
        cmocka_unit_test(counts_by_hand),
        cmocka_unit_test(order_ties_stable),
        cmocka_unit_test(blur_matches_scipy),
        cmocka_unit_test(curves_against_direct_forward),
        cmocka_unit_test(one_step_and_limit),
        cmocka_unit_test(files_round_trip),
        cmocka_unit_test(occlusion_beats_random_on_trained_model),
    };
    return cmocka_run_group_tests_name("study/faithfulness", tests, setup, NULL);
}
