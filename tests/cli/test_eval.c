// cli/eval: `cxrgaze eval` against independent oracles.
//  - predictions.csv: every validate/test row once, ids and labels from the pack, and the
//    probabilities equal sigmoid(logits) of a forward pass the test runs itself (own
//    normalisation, batch of 1: checks row order, input scaling and last-batch padding);
//  - auroc.csv: AUROC recomputed from predictions.csv by brute-force pair counting (ties 1/2),
//    counts, DeLong CI bracketing the AUROC, empty fields for one-class labels;
//  - thresholds.csv: the F1-maximising cut recomputed by brute force on the validate rows;
//  - --compare: a model against itself gives DeLong p = 1; names from metadata (gaze head ->
//    DenseNet-Aug) in auroc_table.md; usage errors exit 2.
#include "cli/train_pack.h"

#include "train/train.h"

#define N_IMG 100
#define S 32

static char pack_dir[4096], m_plain[4096], m_aug[4096];

static int setup(void **state) {
    (void)state;
    // Children sleep at OpenMP barriers instead of spinning: on a shared CI machine spinning
    // threads of an oversubscribed process ran 5x slower (docs/performance.md, "Training").
    setenv("OMP_WAIT_POLICY", "passive", 0);
    snprintf(m_plain, sizeof m_plain, "%s", test_out_path("cli_eval_densenet.safetensors"));
    snprintf(m_aug, sizeof m_aug, "%s", test_out_path("cli_eval_aug.safetensors"));
    train_pack_fresh(pack_dir, "cli_eval_pack", N_IMG, S, 4, TRAIN_PACK_ONE_CLASS);
    train_model_write(m_plain, S, 1, TRAIN_MODEL_SPREAD_BIAS, NULL, NULL);
    train_model_write(m_aug, S, 2, TRAIN_MODEL_GAZE_HEAD | TRAIN_MODEL_SPREAD_BIAS, NULL, NULL);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sh("rm -rf '%s' '%s' '%s'", pack_dir, m_plain, m_aug);
    return 0;
}

// A parsed CSV: rows x cols of strings (simple: no quoted commas in our files).
typedef struct table {
    int rows, cols;
    char *cell[400][40];
    char *text;
} table;

static void read_table(const char *path, table *t) {
    size_t n;
    cx_error err;
    if (cx_read_file(path, &t->text, &n, &err)) fail_msg("%s", err.msg);
    t->rows = 0;
    t->cols = 0;
    char *p = t->text;
    while (*p && t->rows < 400) {
        int c = 0;
        for (;;) {
            t->cell[t->rows][c++] = p;
            while (*p && *p != ',' && *p != '\n') p++;
            char end = *p;
            if (*p) *p++ = 0;
            if (end != ',') break;
        }
        if (t->rows == 0) t->cols = c;
        assert_int_equal(c, t->cols);
        t->rows++;
    }
}

static int col(const table *t, const char *name) {
    for (int c = 0; c < t->cols; c++)
        if (!strcmp(t->cell[0][c], name)) return c;
    fail_msg("no column %s", name);
    return -1;
}

static void single_model_files(void **state) {
    (void)state;
    char out[4096], path[4200];
    snprintf(out, sizeof out, "%s", test_out_path("cli_eval_single"));
    sh("rm -rf '%s'", out);
    assert_int_equal(sh("%s eval --data '%s' --model '%s' --out '%s' --bootstrap 200 --seed 3 "
                        "--batch 16 --threads 2 --quiet", cxrgaze_bin(), pack_dir, m_plain, out), 0);
    pack pk;
    cx_error err;
    if (pack_open(&pk, pack_dir, &err)) fail_msg("%s", err.msg);

    // predictions.csv
    table pr;
    read_table(cx_path_join(path, sizeof path, out, "predictions.csv"), &pr);
    assert_int_equal(pr.cols, 3 + 2 * CX_N_LABELS);
    assert_string_equal(pr.cell[0][0], "dicom_id");
    assert_string_equal(pr.cell[0][3], "prob_Atelectasis");
    assert_string_equal(pr.cell[0][3 + 7], "prob_Lung Opacity");
    assert_string_equal(pr.cell[0][3 + CX_N_LABELS], "label_Atelectasis");
    int64_t *val, *test;
    int64_t nv = pack_split_rows(&pk, SPLIT_VALIDATE, &val), nt = pack_split_rows(&pk, SPLIT_TEST, &test);
    assert_int_equal(pr.rows - 1, nv + nt);
    // Oracle forward: model_load + a batch-1 eval plan + normalisation written out here.
    densenet *net;
    if (model_load(m_plain, &net, &err)) fail_msg("%s", err.msg);
    densenet_plan *plan = densenet_plan_create(net, 1, S, S, NN_FP32, NN_EVAL, &err);
    assert_non_null(plan);
    const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    float x[3 * S * S], logits[CX_N_LABELS];
    double worst = 0;
    for (int r = 1; r < pr.rows; r++) {
        int64_t row = r - 1 < nv ? val[r - 1] : test[r - 1 - nv];
        assert_string_equal(pr.cell[r][0], pk.dicom_id[row]);
        assert_string_equal(pr.cell[r][1], pk.subject_id[row]);
        assert_string_equal(pr.cell[r][2], r - 1 < nv ? "validate" : "test");
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < S * S; p++)
                x[c * S * S + p] = (pk.images[row * S * S + p] / 255.0f - mean[c]) / sd[c];
        assert_int_equal(densenet_forward(plan, x, logits, NULL, &err), 0);
        for (int c = 0; c < CX_N_LABELS; c++) {
            double want = 1 / (1 + exp(-logits[c]));
            worst = fmax(worst, fabs(strtod(pr.cell[r][3 + c], NULL) - want));
            assert_int_equal(atoi(pr.cell[r][3 + CX_N_LABELS + c]), (int)pk.labels[row * CX_N_LABELS + c]);
        }
    }
    assert_true(worst < 1e-5);
    densenet_plan_free(plan);
    densenet_free(net);

    // auroc.csv against brute force over the test rows of predictions.csv
    table au;
    read_table(cx_path_join(path, sizeof path, out, "auroc.csv"), &au);
    assert_int_equal(au.rows, 1 + CX_N_LABELS);
    assert_string_equal(au.text, "label"); // first cell of the header
    int one_class = 0;
    for (int c = 0; c < CX_N_LABELS; c++) {
        double s[N_IMG];
        int y[N_IMG], n = 0, npos = 0;
        for (int r = 1 + (int)nv; r < pr.rows; r++, n++) {
            s[n] = strtod(pr.cell[r][3 + c], NULL);
            y[n] = atoi(pr.cell[r][3 + CX_N_LABELS + c]);
            npos += y[n];
        }
        const int r = 1 + c;
        assert_string_equal(au.cell[r][col(&au, "label")], CX_LABELS[c]);
        assert_int_equal(atoi(au.cell[r][col(&au, "n_pos")]), npos);
        assert_int_equal(atoi(au.cell[r][col(&au, "n_neg")]), n - npos);
        double want = brute_auroc(s, y, n);
        const char *got = au.cell[r][col(&au, "auroc")];
        if (isnan(want)) {
            assert_string_equal(got, "");
            assert_string_equal(au.cell[r][col(&au, "delong_lo")], "");
            one_class++;
            continue;
        }
        assert_close(strtod(got, NULL), want, 0, 2e-6, "AUROC vs brute force");
        double lo = strtod(au.cell[r][col(&au, "delong_lo")], NULL);
        double hi = strtod(au.cell[r][col(&au, "delong_hi")], NULL);
        if (npos >= 2 && n - npos >= 2) assert_true(lo <= want + 1e-6 && want <= hi + 1e-6);
        double blo = strtod(au.cell[r][col(&au, "boot_lo")], NULL);
        double bhi = strtod(au.cell[r][col(&au, "boot_hi")], NULL);
        assert_true(blo <= bhi && blo >= 0 && bhi <= 1);
    }
    assert_true(one_class >= 1); // Pleural Other has no positives

    // thresholds.csv against brute-force F1 over the validate rows
    table th;
    read_table(cx_path_join(path, sizeof path, out, "thresholds.csv"), &th);
    assert_int_equal(th.rows, 1 + CX_N_LABELS);
    for (int c = 0; c < CX_N_LABELS; c++) {
        double s[N_IMG];
        int y[N_IMG], n = 0, npos = 0;
        for (int r = 1; r <= nv; r++, n++) {
            s[n] = strtod(pr.cell[r][3 + c], NULL);
            y[n] = atoi(pr.cell[r][3 + CX_N_LABELS + c]);
            npos += y[n];
        }
        double best, best_t = brute_threshold(s, y, n, &best);
        const char *got = th.cell[1 + c][col(&th, "threshold")];
        if (!npos) {
            assert_string_equal(got, "");
            continue;
        }
        assert_close(strtod(got, NULL), best_t, 0, 2e-6, "F1 threshold");
        assert_close(strtod(th.cell[1 + c][col(&th, "f1")], NULL), best, 0, 2e-6, "best F1");
    }
    free(pr.text);
    free(au.text);
    free(th.text);
    free(val);
    free(test);
    pack_close(&pk);
}

static void compare_models(void **state) {
    (void)state;
    char out[4096], path[4200];
    snprintf(out, sizeof out, "%s", test_out_path("cli_eval_compare"));
    sh("rm -rf '%s'", out);
    assert_int_equal(sh("%s eval --data '%s' --compare '%s' '%s' --out '%s' --bootstrap 50 --quiet",
                        cxrgaze_bin(), pack_dir, m_plain, m_aug, out), 0);
    char *md;
    size_t n;
    cx_error err;
    if (cx_read_file(cx_path_join(path, sizeof path, out, "auroc_table.md"), &md, &n, &err))
        fail_msg("%s", err.msg);
    assert_non_null(strstr(md, "| Label | DenseNet AUROC (95% CI) | DenseNet-Aug AUROC (95% CI) |"));
    assert_non_null(strstr(md, "| Lung Opacity |"));
    free(md);
    assert_true(cx_path_exists(cx_path_join(path, sizeof path, out, "DenseNet/predictions.csv")));
    assert_true(cx_path_exists(cx_path_join(path, sizeof path, out, "DenseNet-Aug/auroc.csv")));
    table au;
    read_table(cx_path_join(path, sizeof path, out, "auroc.csv"), &au);
    assert_int_equal(au.rows, 1 + 2 * CX_N_LABELS);
    assert_string_equal(au.cell[0][0], "model");
    assert_string_equal(au.cell[0][au.cols - 1], "delong_p");
    free(au.text);

    // A model against itself: identical rankings, DeLong p = 1 wherever defined.
    sh("rm -rf '%s'", out);
    assert_int_equal(sh("%s eval --data '%s' --compare '%s' '%s' --names A,B --out '%s' "
                        "--bootstrap 0 --quiet 2>/dev/null", cxrgaze_bin(), pack_dir, m_plain, m_plain, out), 0);
    read_table(cx_path_join(path, sizeof path, out, "auroc.csv"), &au);
    int defined = 0;
    for (int r = 1; r < au.rows; r++) {
        if (strcmp(au.cell[r][0], "B")) continue;
        const char *p = au.cell[r][col(&au, "delong_p")];
        if (!*p) continue;
        assert_close(strtod(p, NULL), 1.0, 0, 1e-9, "DeLong p of a model vs itself");
        defined++;
    }
    assert_true(defined > 0);
    free(au.text);
    // Usage errors.
    assert_int_equal(sh("%s eval --data '%s' --model '%s' 2>/dev/null", cxrgaze_bin(), pack_dir, m_plain), 2);
    assert_int_equal(sh("%s eval --data '%s' --compare '%s' --out '%s' 2>/dev/null", cxrgaze_bin(),
                        pack_dir, m_plain, out), 2);
    assert_int_equal(sh("%s eval --data /nonexistent --model '%s' --out '%s' 2>/dev/null",
                        cxrgaze_bin(), m_plain, out), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(single_model_files),
        cmocka_unit_test(compare_models),
    };
    return cmocka_run_group_tests_name("cli/eval", tests, setup, teardown);
}
