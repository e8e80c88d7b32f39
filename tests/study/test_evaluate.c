// study/evaluate: the evaluate stage on a small synthetic pack, against independent oracles.
//  - inputs: a model saved with non-ImageNet mean/std gets the same logits through the evaluation
//    path (predict_rows, and study_evaluate's probabilities) as through attribution's input
//    (model_input_u8 with the file's metadata, then densenet_forward with a batch of 1), and
//    different logits under ImageNet normalisation (so the comparison can fail; issue #11 item 2);
//  - statistics: counts from the pack, AUROC by brute-force pair counting (ties 1/2), F1
//    thresholds by trying every cut, DeLong p = 1 for a model against itself, names numbered;
//  - files: what the stage wrote reads back (through the readers) as the result it returned, and
//    each writer/reader pair round-trips on hand-made tables; readers name file:line and column.
#include "cli/train_pack.h"

#include "study/study.h"

#define N_IMG 100
#define S 32

static char pack_dir[4096], m_odd[4096], m_aug[4096];
static const float odd_mean[3] = {0.2f, 0.3f, 0.45f}, odd_std[3] = {0.12f, 0.2f, 0.31f};

static int setup(void **state) {
    (void)state;
    setenv("OMP_WAIT_POLICY", "passive", 0);
    snprintf(m_odd, sizeof m_odd, "%s", test_out_path("study_eval_odd.safetensors"));
    snprintf(m_aug, sizeof m_aug, "%s", test_out_path("study_eval_aug.safetensors"));
    train_pack_fresh(pack_dir, "study_eval_pack", N_IMG, S, 4, TRAIN_PACK_ONE_CLASS);
    train_model_write(m_odd, S, 1, TRAIN_MODEL_SPREAD_BIAS, odd_mean, odd_std);
    train_model_write(m_aug, S, 2, TRAIN_MODEL_GAZE_HEAD | TRAIN_MODEL_SPREAD_BIAS, NULL, NULL);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sh("rm -rf '%s' '%s' '%s'", pack_dir, m_odd, m_aug);
    return 0;
}

static void open_pack(pack *pk) {
    cx_error err;
    if (pack_open(pk, pack_dir, &err)) fail_msg("%s", err.msg);
}

static double sigmoid(double x) {
    return 1 / (1 + exp(-x));
}

// Logits of image row of pk through attribution's input: model_input_u8 + a batch-1 forward.
static void forward_one(densenet_plan *plan, const model_meta *meta, const pack *pk, int64_t row,
                        float logits[CX_N_LABELS]) {
    float x[3 * S * S];
    cx_error err;
    model_input_u8(meta, pk->images + row * S * S, S * S, x);
    if (densenet_forward(plan, x, logits, NULL, &err)) fail_msg("%s", err.msg);
}

static void same_inputs_as_attribution(void **state) {
    (void)state;
    pack pk;
    open_pack(&pk);
    cx_error err;
    densenet *net;
    model_meta meta, imagenet;
    if (model_load_ex(m_odd, 0, &net, &meta, &err)) fail_msg("%s", err.msg);
    for (int c = 0; c < 3; c++)
        assert_true(meta.mean[c] == odd_mean[c] && meta.std[c] == odd_std[c]);
    model_meta_init(&imagenet, S);
    densenet_plan *one = densenet_plan_create(net, 1, S, S, NN_FP32, NN_EVAL, &err);
    densenet_plan *three = densenet_plan_create(net, 3, S, S, NN_FP32, NN_EVAL, &err);
    assert_non_null(one);
    assert_non_null(three);
    int64_t *test;
    int64_t nt = pack_split_rows(&pk, SPLIT_TEST, &test);
    assert_true(nt > 3 && nt % 3); // a padded last batch
    float *logits = cx_malloc(sizeof(float) * nt * CX_N_LABELS);
    if (predict_rows(three, &meta, &pk, test, nt, logits, NULL, 0, &err)) fail_msg("%s", err.msg);

    study_eval_settings s;
    study_eval_settings_default(&s);
    s.pk = &pk;
    s.n_models = 1;
    s.model_path[0] = m_odd;
    s.n_bootstrap = 0;
    s.progress = 0;
    s.batch = 8;
    study_eval_result r;
    if (study_evaluate(&s, &r, &err)) fail_msg("%s", err.msg);
    assert_int_equal(r.n_split, nt);

    double worst = 0, worst_prob = 0, imagenet_gap = 0;
    for (int64_t i = 0; i < nt; i++) {
        float want[CX_N_LABELS], other[CX_N_LABELS];
        forward_one(one, &meta, &pk, test[i], want);
        forward_one(one, &imagenet, &pk, test[i], other);
        for (int c = 0; c < CX_N_LABELS; c++) {
            worst = fmax(worst, fabs(logits[i * CX_N_LABELS + c] - want[c]));
            worst_prob = fmax(worst_prob,
                              fabs(r.model[0].prob_split[i * CX_N_LABELS + c] - sigmoid(want[c])));
            imagenet_gap = fmax(imagenet_gap, fabs(want[c] - other[c]));
        }
    }
    assert_true(worst < 1e-5);
    assert_true(worst_prob < 1e-6);
    assert_true(imagenet_gap > 1e-3); // the normalisation reaches the logits
    study_eval_result_free(&r);
    free(logits);
    free(test);
    densenet_plan_free(one);
    densenet_plan_free(three);
    densenet_free(net);
    pack_close(&pk);
}

// ---- statistics against brute force -------------------------------------------------------------
// Scores and labels of label c over rows (the pack masks none).
static int gather(const pack *pk, const int64_t *rows, int64_t n, const float *prob, int c,
                  double *s, int *y) {
    for (int64_t i = 0; i < n; i++) {
        s[i] = prob[i * CX_N_LABELS + c];
        y[i] = pk->labels[rows[i] * CX_N_LABELS + c] > 0.5f;
    }
    return (int)n;
}

static void check_model_stats(const pack *pk, const study_eval_result *r, int m) {
    const study_eval_model *mo = &r->model[m];
    double s[N_IMG], mean = 0;
    int y[N_IMG], used = 0;
    for (int c = 0; c < CX_N_LABELS; c++) {
        int n = gather(pk, r->split_rows, r->n_split, mo->prob_split, c, s, y), npos = 0;
        for (int i = 0; i < n; i++)
            npos += y[i];
        const study_eval_label *l = &mo->label[c];
        assert_int_equal(l->n_pos, npos);
        assert_int_equal(l->n_neg, n - npos);
        double want = brute_auroc(s, y, n);
        if (isnan(want)) {
            assert_true(isnan(l->delong.auroc) && isnan(l->boot.lo));
            assert_int_equal(c, 10); // only Pleural Other is one-class
        } else {
            assert_close(l->delong.auroc, want, 0, 1e-12, "AUROC vs brute force");
            mean += want, used++;
            if (npos >= 2 && n - npos >= 2)
                assert_true(l->delong.lo <= want && want <= l->delong.hi);
            assert_true(0 <= l->boot.lo && l->boot.lo <= l->boot.hi && l->boot.hi <= 1);
            assert_int_equal(l->boot.n_used + l->boot.n_skipped, 200);
            assert_true(l->boot.n_used > 0);
        }
        if (m == 0)
            assert_true(isnan(l->delong_p));
        else if (!isnan(want))
            assert_true(l->delong_p >= 0 && l->delong_p <= 1);
        // thresholds on validate
        n = gather(pk, r->val_rows, r->n_val, mo->prob_val, c, s, y);
        double f1, thr = brute_threshold(s, y, n, &f1);
        const study_threshold *t = &mo->thr[c];
        if (isnan(thr)) {
            assert_true(isnan(t->threshold) && isnan(t->f1));
        } else {
            assert_close(t->threshold, thr, 0, 1e-12, "F1 threshold");
            assert_close(t->f1, f1, 0, 1e-12, "best F1");
        }
        int vpos = 0;
        for (int i = 0; i < n; i++)
            vpos += y[i];
        assert_int_equal(t->n_pos, vpos);
        assert_int_equal(t->n_neg, n - vpos);
    }
    int got_used;
    assert_close(study_eval_mean_auroc(mo, &got_used), mean / used, 0, 1e-12, "mean AUROC");
    assert_int_equal(got_used, used);
}

// What the stage wrote for model m reads back as the result (to the files' precision).
static void check_model_files(const pack *pk, const study_eval_result *r, int m) {
    const study_eval_model *mo = &r->model[m];
    cx_error err;
    float *prob = cx_malloc(sizeof(float) * pk->n * CX_N_LABELS);
    if (study_predictions_read(mo->dir, pk, prob, &err)) fail_msg("%s", err.msg);
    int64_t seen = 0;
    for (int64_t row = 0; row < pk->n; row++)
        seen += !isnan(prob[row * CX_N_LABELS]);
    assert_int_equal(seen, r->n_val + r->n_split); // train rows: NaN
    for (int64_t i = 0; i < r->n_split; i++)
        for (int c = 0; c < CX_N_LABELS; c++)
            assert_close(prob[r->split_rows[i] * CX_N_LABELS + c],
                         mo->prob_split[i * CX_N_LABELS + c], 1e-6, 0, "predictions.csv");
    free(prob);
    double thr[CX_N_LABELS];
    if (study_thresholds_read(mo->dir, thr, &err)) fail_msg("%s", err.msg);
    for (int c = 0; c < CX_N_LABELS; c++)
        assert_close(thr[c], isnan(mo->thr[c].threshold) ? 0.5 : mo->thr[c].threshold, 0, 5e-7,
                     "thresholds.csv");
    study_auroc_table t;
    if (study_auroc_read(mo->dir, &t, &err)) fail_msg("%s", err.msg);
    assert_int_equal(t.n_models, 1);
    assert_string_equal(t.name[0], "");
    assert_false(t.has_delong_p);
    for (int c = 0; c < CX_N_LABELS; c++) {
        assert_int_equal(t.entry[0][c].n_pos, mo->label[c].n_pos);
        assert_true(isnan(t.entry[0][c].auroc) == isnan(mo->label[c].delong.auroc));
        assert_true(isnan(t.entry[0][c].boot_hi) == isnan(mo->label[c].boot.hi));
        if (isnan(mo->label[c].delong.auroc)) continue;
        assert_close(t.entry[0][c].auroc, mo->label[c].delong.auroc, 0, 5e-7, "auroc.csv");
        assert_close(t.entry[0][c].boot_hi, mo->label[c].boot.hi, 0, 5e-7, "auroc.csv boot_hi");
    }
    study_auroc_table_free(&t);
}

static void statistics_and_files(void **state) {
    (void)state;
    char out[4096];
    snprintf(out, sizeof out, "%s", test_out_path("study_eval_out"));
    sh("rm -rf '%s'", out);
    study_eval_settings s;
    study_eval_settings_default(&s);
    s.data_dir = pack_dir;
    s.n_models = 3;
    s.model_path[0] = m_odd, s.model_path[1] = m_aug, s.model_path[2] = m_odd;
    s.n_bootstrap = 200;
    s.seed = 5;
    s.progress = 0;
    s.out_dir = out;
    study_eval_result r;
    cx_error err;
    if (study_evaluate(&s, &r, &err)) fail_msg("%s", err.msg);
    pack pk;
    open_pack(&pk);
    assert_int_equal(r.n_models, 3);
    assert_string_equal(r.model[0].name, "DenseNet");
    assert_string_equal(r.model[1].name, "DenseNet-Aug");
    assert_string_equal(r.model[2].name, "DenseNet (3)");
    int64_t nv = 0, nt = 0;
    for (int64_t i = 0; i < pk.n; i++)
        nv += pk.split[i] == SPLIT_VALIDATE, nt += pk.split[i] == SPLIT_TEST;
    assert_int_equal(r.n_val, nv);
    assert_int_equal(r.n_split, nt);
    for (int64_t i = 0; i < r.n_split; i++) {
        assert_int_equal(pk.split[r.split_rows[i]], SPLIT_TEST);
        if (i) assert_true(r.split_rows[i] > r.split_rows[i - 1]);
    }
    for (int m = 0; m < 3; m++) {
        check_model_stats(&pk, &r, m);
        check_model_files(&pk, &r, m);
    }
    // Model 2 is model 0 again: identical probabilities, DeLong p = 1 wherever defined.
    assert_memory_equal(r.model[2].prob_split, r.model[0].prob_split,
                        sizeof(float) * r.n_split * CX_N_LABELS);
    for (int c = 0; c < CX_N_LABELS; c++)
        if (c != 10) assert_close(r.model[2].label[c].delong_p, 1.0, 0, 1e-9, "DeLong p vs itself");
    char path[4300];
    assert_true(
        cx_path_exists(cx_path_join(path, sizeof path, out, "DenseNet__3_/auroc_table.md")));
    // The comparison table: all models, names, delong_p.
    study_auroc_table t;
    if (study_auroc_read(out, &t, &err)) fail_msg("%s", err.msg);
    assert_int_equal(t.n_models, 3);
    assert_true(t.has_delong_p);
    for (int m = 0; m < 3; m++) {
        assert_string_equal(t.name[m], r.model[m].name);
        for (int c = 0; c < CX_N_LABELS; c++) {
            double want = r.model[m].label[c].delong_p;
            assert_true(isnan(t.entry[m][c].delong_p) == isnan(want));
            if (!isnan(want)) assert_close(t.entry[m][c].delong_p, want, 0, 5e-7, "delong_p");
        }
    }
    study_auroc_table_free(&t);
    study_eval_result_free(&r);
    pack_close(&pk);
    sh("rm -rf '%s'", out);
}

// ---- writer/reader pairs on hand-made tables
// -------------------------------------------------------
static void write_text(const char *dir, const char *file, const char *text) {
    char path[4300];
    cx_error err;
    if (cx_write_file_atomic(cx_path_join(path, sizeof path, dir, file), text, strlen(text), &err))
        fail_msg("%s", err.msg);
}

static void predictions_round_trip(void **state) {
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("study_eval_pred"));
    sh("rm -rf '%s' && mkdir -p '%s'", dir, dir);
    pack pk;
    open_pack(&pk);
    // Every third row, in reverse order, with extreme and tiny values.
    int64_t rows[N_IMG], n = 0;
    for (int64_t i = pk.n - 1; i >= 0; i -= 3)
        rows[n++] = i;
    float *prob = cx_malloc(sizeof(float) * n * CX_N_LABELS);
    cx_rng g;
    cx_rng_seed(&g, 9, 0);
    for (int64_t i = 0; i < n * CX_N_LABELS; i++)
        prob[i] = (float)cx_rng_uniform(&g);
    prob[0] = 0, prob[1] = 1, prob[2] = 1e-8f, prob[3] = 0.99999994f;
    study_pred_rows part = {rows, n, prob};
    cx_error err;
    if (study_predictions_write(dir, &pk, 1, &part, &err)) fail_msg("%s", err.msg);
    float *back = cx_malloc(sizeof(float) * pk.n * CX_N_LABELS);
    if (study_predictions_read(dir, &pk, back, &err)) fail_msg("%s", err.msg);
    int64_t written = 0;
    for (int64_t i = 0; i < n; i++)
        for (int c = 0; c < CX_N_LABELS; c++)
            assert_close(back[rows[i] * CX_N_LABELS + c], prob[i * CX_N_LABELS + c], 1e-6, 0,
                         "predictions round trip");
    for (int64_t row = 0; row < pk.n; row++)
        written += !isnan(back[row * CX_N_LABELS + 5]);
    assert_int_equal(written, n); // the rows not written are NaN

    // By hand: an unknown image is ignored, an empty cell is NaN, a bad value names file:line.
    char text[4096] = "x,dicom_id", bad[4096];
    for (int c = 0; c < CX_N_LABELS; c++)
        snprintf(text + strlen(text), 64, ",prob_%s", CX_LABELS[c]);
    strcat(text, "\n");
    snprintf(text + strlen(text), 200, "a,not-an-image%s\n",
             ",0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5");
    snprintf(text + strlen(text), 200,
             "b,%s,,0.25,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5\n", pk.dicom_id[7]);
    snprintf(bad, sizeof bad, "%sc,%s,0.5,1.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5\n",
             text, pk.dicom_id[8]);
    write_text(dir, "predictions.csv", text);
    if (study_predictions_read(dir, &pk, back, &err)) fail_msg("%s", err.msg);
    assert_true(isnan(back[7 * CX_N_LABELS + 0]));
    assert_true(back[7 * CX_N_LABELS + 1] == 0.25f);
    int64_t others = 0;
    for (int64_t row = 0; row < pk.n; row++)
        others += row != 7 && !isnan(back[row * CX_N_LABELS + 1]);
    assert_int_equal(others, 0);
    write_text(dir, "predictions.csv", bad);
    assert_int_equal(study_predictions_read(dir, &pk, back, &err), -1);
    assert_non_null(strstr(err.msg, "predictions.csv:4: column \"prob_Cardiomegaly\""));
    free(prob);
    free(back);
    pack_close(&pk);
    sh("rm -rf '%s'", dir);
}

static void thresholds_round_trip(void **state) {
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("study_eval_thr"));
    sh("rm -rf '%s' && mkdir -p '%s'", dir, dir);
    study_threshold thr[CX_N_LABELS];
    for (int c = 0; c < CX_N_LABELS; c++)
        thr[c] = (study_threshold){0.03125 * c + 1e-7, 0.5 + 0.01 * c, c, 20 - c};
    thr[4].threshold = thr[4].f1 = NAN;
    cx_error err;
    if (study_thresholds_write(dir, thr, &err)) fail_msg("%s", err.msg);
    double back[CX_N_LABELS];
    if (study_thresholds_read(dir, back, &err)) fail_msg("%s", err.msg);
    for (int c = 0; c < CX_N_LABELS; c++)
        assert_close(back[c], c == 4 ? 0.5 : thr[c].threshold, 0, 5e-7, "thresholds round trip");
    write_text(dir, "thresholds.csv", "threshold,label\n0.25,Edema\n0.5,Oedema\n");
    assert_int_equal(study_thresholds_read(dir, back, &err), -1);
    assert_non_null(strstr(err.msg, "thresholds.csv:3: column \"label\""));
    write_text(dir, "thresholds.csv", "threshold,label\n0.25,Edema\n,Atelectasis\n");
    if (study_thresholds_read(dir, back, &err)) fail_msg("%s", err.msg);
    assert_true(back[3] == 0.25 && back[0] == 0.5 && back[13] == 0.5);
    sh("rm -rf '%s'", dir);
}

static void auroc_round_trip(void **state) {
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("study_eval_auroc"));
    sh("rm -rf '%s' && mkdir -p '%s'", dir, dir);
    cx_error err;
    for (int n_models = 1; n_models <= 3; n_models += 2) {
        study_auroc_table t, back;
        study_auroc_table_init(&t, n_models, n_models > 1);
        for (int m = 0; m < n_models; m++) {
            snprintf(t.name[m], sizeof t.name[m], m == 1 ? "with, comma \"q\"" : "M%d", m);
            for (int c = 0; c < CX_N_LABELS; c++)
                t.entry[m][c] = (study_auroc_entry){
                    c + m, 30 - c, 0.5 + 0.03 * c,    0.4 + 0.03 * c, 0.6 + 0.02 * c,
                    0.45,  0.7,    m ? 0.01 * c : NAN};
            t.entry[m][2].auroc = t.entry[m][2].delong_lo = t.entry[m][2].delong_hi = NAN;
        }
        if (study_auroc_write(dir, &t, &err)) fail_msg("%s", err.msg);
        if (study_auroc_read(dir, &back, &err)) fail_msg("%s", err.msg);
        assert_int_equal(back.n_models, n_models);
        assert_int_equal(back.has_delong_p, n_models > 1);
        for (int m = 0; m < n_models; m++) {
            assert_string_equal(back.name[m], n_models > 1 ? t.name[m] : "");
            for (int c = 0; c < CX_N_LABELS; c++) {
                const study_auroc_entry *a = &t.entry[m][c], *b = &back.entry[m][c];
                assert_int_equal(b->n_pos, a->n_pos);
                assert_int_equal(b->n_neg, a->n_neg);
                const double want[6] = {a->auroc,   a->delong_lo, a->delong_hi,
                                        a->boot_lo, a->boot_hi,   n_models > 1 ? a->delong_p : NAN};
                const double got[6] = {b->auroc,   b->delong_lo, b->delong_hi,
                                       b->boot_lo, b->boot_hi,   b->delong_p};
                for (int k = 0; k < 6; k++) {
                    assert_true(isnan(got[k]) == isnan(want[k]));
                    if (!isnan(want[k])) assert_close(got[k], want[k], 0, 5e-7, "auroc round trip");
                }
            }
        }
        study_auroc_table_free(&back);
        // auroc_table.md from the same table
        if (study_auroc_md_write(dir, &t, "test", &err)) fail_msg("%s", err.msg);
        char path[4300], *md;
        size_t len;
        if (cx_read_file(cx_path_join(path, sizeof path, dir, "auroc_table.md"), &md, &len, &err))
            fail_msg("%s", err.msg);
        if (n_models == 1) {
            assert_non_null(strstr(md, "| Label | M0 AUROC (95% CI) |\n|---|---|\n"));
            assert_non_null(strstr(md, "| Cardiomegaly | 0.530 (0.430-0.620) |\n"));
            assert_non_null(strstr(md, "| Consolidation | n/a |\n"));
        } else {
            assert_non_null(strstr(md, "; DeLong test p against M0."));
            assert_non_null(strstr(md, "| p (M2 vs M0) |"));
            assert_non_null(strstr(md, "| Cardiomegaly | 0.530 (0.430-0.620) | 0.530 (0.430-0.620) "
                                       "| 0.530 (0.430-0.620) | 0.01 | 0.01 |\n"));
        }
        free(md);
        study_auroc_table_free(&t);
    }
    write_text(dir, "auroc.csv",
               "label,n_pos,n_neg,auroc,delong_lo,delong_hi,boot_lo,boot_hi\n"
               "Edema,3,4,0.5,0.1,0.9,,\nEdema,3,4,0.5,0.1,high,,\n");
    study_auroc_table t;
    assert_int_equal(study_auroc_read(dir, &t, &err), -1);
    assert_non_null(strstr(err.msg, "auroc.csv:3: column \"delong_hi\""));
    sh("rm -rf '%s'", dir);
}

static void errors_name_their_cause(void **state) {
    (void)state;
    study_eval_settings s;
    study_eval_settings_default(&s);
    study_eval_result r;
    cx_error err;
    s.data_dir = pack_dir;
    s.progress = 0;
    assert_int_equal(study_evaluate(&s, &r, &err), -1); // no model
    assert_non_null(strstr(err.msg, "0 models"));
    s.n_models = 2;
    s.model_path[0] = m_odd;
    assert_int_equal(study_evaluate(&s, &r, &err), -1); // model 2 has no file
    assert_non_null(strstr(err.msg, "model 2 has no file"));
    s.n_models = 1;
    s.model_path[0] = "/nonexistent/m.safetensors";
    assert_int_equal(study_evaluate(&s, &r, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/m.safetensors"));
    s.data_dir = "/nonexistent/pack";
    assert_int_equal(study_evaluate(&s, &r, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/pack"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_inputs_as_attribution), cmocka_unit_test(statistics_and_files),
        cmocka_unit_test(predictions_round_trip),     cmocka_unit_test(thresholds_round_trip),
        cmocka_unit_test(auroc_round_trip),           cmocka_unit_test(errors_name_their_cause),
    };
    return cmocka_run_group_tests_name("study/evaluate", tests, setup, teardown);
}
