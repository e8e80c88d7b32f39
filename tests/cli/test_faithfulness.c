// cli/faithfulness: `cxrgaze faithfulness` on maps that `cxrgaze attribute` wrote. Its files hold
// what study_faithfulness computes with the same settings (each flag reaches its setting), the
// mean deletion curve starts at the mean of maps.csv's probabilities (the attribute stage's own
// forward pass: the original image), every method and the random baseline have a pooled row;
// usage errors exit 2, bad input 1.
#include "cli/train_pack.h"

#include "study/study.h"

#define N_IMG 20
#define S 32

static char pack_dir[4096], model_path[4096], attr_dir[4096];

static int setup(void **state) {
    (void)state;
    snprintf(model_path, sizeof model_path, "%s", test_out_path("cli_faith_model.safetensors"));
    snprintf(attr_dir, sizeof attr_dir, "%s", test_out_path("cli_faith_attr"));
    train_pack_fresh(pack_dir, "cli_faith_pack", N_IMG, S, 7, 0);
    train_model_write(model_path, S, 5, TRAIN_MODEL_SPREAD_BIAS, NULL, NULL);
    sh("rm -rf '%s'", attr_dir);
    if (sh("%s attribute --model %s --data %s --limit 3 --methods sl,gs --seed 1 --out %s "
           "--quiet",
           cxrgaze_bin(), model_path, pack_dir, attr_dir))
        fail_msg("cxrgaze attribute failed");
    return 0;
}

static void faithfulness_files_match_library(void **state) {
    (void)state;
    char out[4096];
    snprintf(out, sizeof out, "%s", test_out_path("cli_faith_out"));
    sh("rm -rf '%s'", out);
    int rc = sh("%s faithfulness --model %s --data %s --attributions %s --out %s --name M "
                "--steps 4 --batch 5 --bootstrap 30 --seed 2 --map-sign positive --map-scale "
                "minmax --limit 4 --quiet",
                cxrgaze_bin(), model_path, pack_dir, attr_dir, out);
    assert_int_equal(rc, 0);
    study_faith_settings s;
    study_faith_settings_default(&s);
    s.model = model_path, s.data = pack_dir, s.attr_dir = attr_dir, s.name = "M";
    s.steps = 4, s.batch = 5, s.n_bootstrap = 30, s.seed = 2, s.limit = 4;
    s.norm = (stats_map_norm){STATS_SIGN_POSITIVE, STATS_SCALE_MINMAX};
    study_faith_result r;
    cx_error err;
    if (study_faithfulness(&s, &r, &err)) fail_msg("%s", err.msg);
    study_faith_row *rows;
    int64_t n;
    if (study_faith_read(out, &rows, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, r.n_rows);
    int pooled = 0;
    for (int64_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].model, "M");
        assert_int_equal(rows[i].method, r.rows[i].method);
        assert_int_equal(rows[i].label, r.rows[i].label);
        assert_int_equal(rows[i].n, r.rows[i].n);
        assert_close(rows[i].deletion_auc, r.rows[i].deletion_auc, 0, 5.1e-7, "deletion_auc");
        assert_close(rows[i].del_lo, r.rows[i].del_lo, 0, 5.1e-7, "del_lo");
        assert_close(rows[i].insertion_auc, r.rows[i].insertion_auc, 0, 5.1e-7, "insertion_auc");
        assert_close(rows[i].ins_hi, r.rows[i].ins_hi, 0, 5.1e-7, "ins_hi");
        pooled += rows[i].label == STUDY_ALL_LABELS;
    }
    assert_int_equal(pooled, 3); // sl, gs, random
    free(rows);
    // The mean deletion curve at step 0 (sl's, never constant) = mean of maps.csv probability.
    pack pk;
    if (pack_open(&pk, pack_dir, &err)) fail_msg("%s", err.msg);
    study_map_index ix;
    if (study_map_index_read(attr_dir, &pk, &ix, &err)) fail_msg("%s", err.msg);
    double want = 0;
    int64_t m = ix.n < 4 ? ix.n : 4;
    for (int64_t i = 0; i < m; i++) want += ix.probability[i];
    study_faith_curve *cv;
    if (study_faith_curves_read(out, &cv, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(cv[0].method, ATTR_SL);
    assert_int_equal(cv[0].kind, STUDY_FAITH_DELETION);
    assert_int_equal(cv[0].step, 0);
    assert_close(cv[0].probability, want / m, 0, 2e-6, "deletion at step 0 vs maps.csv");
    assert_int_equal(n, r.n_curves);
    free(cv);
    study_faith_item *it;
    if (study_faith_items_read(out, &it, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, r.n_items);
    assert_string_equal(it[0].image, pk.dicom_id[ix.pack_row[0]]);
    free(it);
    study_map_index_free(&ix);
    pack_close(&pk);
    study_faith_result_free(&r);
}

static void faithfulness_errors(void **state) {
    (void)state;
    const char *out = test_out_path("cli_faith_bad");
    assert_int_equal(sh("%s faithfulness --model %s --data %s --out %s 2>/dev/null", cxrgaze_bin(),
                        model_path, pack_dir, out),
                     2); // no --attributions
    assert_int_equal(sh("%s faithfulness --model %s --data %s --attributions %s --out %s "
                        "--steps 0 2>/dev/null",
                        cxrgaze_bin(), model_path, pack_dir, attr_dir, out),
                     2);
    assert_int_equal(sh("%s faithfulness --model %s --data %s --attributions %s --out %s "
                        "--quiet 2>/dev/null",
                        cxrgaze_bin(), model_path, pack_dir, pack_dir, out),
                     1); // no maps.csv there
    assert_int_equal(sh("%s faithfulness --help >/dev/null", cxrgaze_bin()), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(faithfulness_files_match_library),
        cmocka_unit_test(faithfulness_errors),
    };
    return cmocka_run_group_tests_name("cli/faithfulness", tests, setup, NULL);
}
