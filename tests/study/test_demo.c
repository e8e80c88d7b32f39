// study/demo: the whole pipeline by function calls on a tiny synthetic cohort, into a directory
// whose name has spaces (the old demo split argv strings on spaces). Every stage's files are read
// back through that stage's reader and checked against what the settings ask for.
#include "test.h"

#include <math.h>
#include <string.h>

#include "study/study.h"

static void tiny_demo_through_the_readers(void **state) {
    (void)state;
#ifdef __SANITIZE_ADDRESS__
    print_message("SKIPPED under AddressSanitizer: trains two models (the stages have their own "
                  "tests)\n");
    skip();
#endif
    char out[4096];
    snprintf(out, sizeof out, "%s", test_out_path("study demo with spaces"));
    study_demo_settings s;
    study_demo_settings_default(&s);
    s.out = out;
    s.images = 160, s.gaze_images = 60, s.size = 64, s.epochs = 1, s.batch = 8, s.maps = 3;
    s.sanity_images = 2;
    s.precision = NN_FP32;
    s.seed = 5;
    study_demo_result r;
    cx_error err = {{0}};
    if (study_demo(&s, &r, &err)) fail_msg("study_demo: %s", err.msg);

    // The directories handed to the report, all under `out`.
    for (int i = 0; i < 5; i++) {
        assert_true(cx_is_dir(r.report_dirs[i]));
        assert_int_equal(strncmp(r.report_dirs[i], out, strlen(out)), 0);
    }
    pack pk;
    if (pack_open(&pk, r.report_dirs[0], &err)) fail_msg("%s", err.msg);
    assert_int_equal(pk.size, 64);

    // eval: two models in one table, DeLong p against the first.
    study_auroc_table t;
    if (study_auroc_read(r.report_dirs[1], &t, &err)) fail_msg("%s", err.msg);
    assert_int_equal(t.n_models, 2);
    assert_string_equal(t.name[0], "DenseNet");
    assert_string_equal(t.name[1], "DenseNet-Aug");
    assert_int_equal(t.has_delong_p, 1);
    study_auroc_table_free(&t);

    // attribute: at most `maps` held-out images with gaze, targets their positive labels.
    static const char *const models[2] = {"densenet", "densenet-aug"};
    for (int m = 0; m < 2; m++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/attr/%s", out, models[m]);
        study_map_index ix;
        if (study_map_index_read(dir, &pk, &ix, &err)) fail_msg("%s", err.msg);
        assert_true(ix.n >= 1);
        int64_t images = 0, last = -1;
        for (int64_t i = 0; i < ix.n; i++) {
            int64_t row = ix.pack_row[i];
            assert_true(row >= 0);
            assert_int_equal(pk.split[row], SPLIT_TEST);
            assert_true(pk.gaze_row[row] >= 0);
            assert_int_equal(ix.positive[i], 1);
            assert_true(pk.labels[row * CX_N_LABELS + ix.target[i]] > 0.5f);
            if (row != last) images++, last = row;
        }
        assert_true(images <= s.maps);
        study_map_index_free(&ix);
    }

    // compare: both models, named; sanity: every method, both modes, every step.
    assert_int_equal(r.compare.n_models, 2);
    study_sanity_row *rows;
    int n_rows;
    char path[4200];
    snprintf(path, sizeof path, "%s/sanity.csv", r.report_dirs[3]);
    if (study_sanity_csv_read(path, &rows, &n_rows, &err)) fail_msg("%s", err.msg);
    const char *steps[SANITY_MAX_STEPS];
    int n_steps = attr_sanity_steps(steps, SANITY_MAX_STEPS);
    assert_int_equal(n_rows, 6 * SANITY_NMODES * n_steps);
    for (int i = 0; i < n_rows; i++) assert_true(rows[i].n <= s.sanity_images);
    free(rows);
    pack_close(&pk);
    study_demo_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(tiny_demo_through_the_readers)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
