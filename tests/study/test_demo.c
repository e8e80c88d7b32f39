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
    s.sanity_images = 2, s.faith_maps = 2;
    s.precision = NN_FP32;
    s.seed = 5;
    study_demo_result r;
    cx_error err = {{0}};
    if (study_demo(&s, &r, &err)) fail_msg("study_demo: %s", err.msg);

    // The directories handed to the report, all under `out`: data, eval, compare, localize,
    // faithfulness, sanity, runs.
    assert_int_equal(r.n_report_dirs, 7);
    for (int i = 0; i < r.n_report_dirs; i++) {
        assert_true(cx_is_dir(r.report_dirs[i]));
        assert_int_equal(strncmp(r.report_dirs[i], out, strlen(out)), 0);
    }
    pack pk;
    if (pack_open(&pk, r.report_dirs[0], &err)) fail_msg("%s", err.msg);
    assert_int_equal(pk.size, 64);
    // The planted findings' masks are the pack's expert annotations: each one is the image's
    // planted truth bit of its label. Not always bit for bit: the RLE file unites the findings of
    // one label at full size before the resize's coverage >= 1/2 cut, the truth tensor cuts each
    // finding first and then unites them, so where two findings touch (devices: a line and a
    // tube) a pixel or two at 64 px may differ. Images with REFLACX readings also get the
    // readers' ellipses united in: there the annotation covers the truth bit.
    assert_true(pk.n_annot > 0);
    int64_t exact = 0, plain = 0;
    for (int64_t a = 0; a < pk.n_annot; a++) {
        int c = pk.annot_label[a];
        assert_true(c < CX_N_LABELS);
        int64_t first;
        int read = pack_readings(&pk, pk.annot_row[a], &first) > 0;
        const uint16_t *t = pk.truth + (size_t)pk.annot_row[a] * 64 * 64;
        const uint8_t *am = pk.annot_mask + (size_t)a * 64 * 64;
        int differ = 0, area = 0;
        for (int q = 0; q < 64 * 64; q++) {
            int bit = (t[q] >> c) & 1;
            differ += read ? bit && !am[q] : am[q] != bit;
            area += bit;
        }
        if (!read) assert_true(area > 0);
        assert_true(differ <= 2 + area / 50);
        plain += !read;
        exact += !read && differ == 0;
    }
    assert_true(plain > 0);
    assert_true(exact * 10 >= plain * 9); // nearly all masks are the truth bit exactly

    // REFLACX readings packed (several readers of some images), EGD's among them.
    assert_true(pk.n_readings > 0);
    int64_t several = 0, egd = 0;
    for (int64_t i = 0; i < pk.n; i++) {
        int64_t first, k = pack_readings(&pk, i, &first);
        several += k >= 2;
        for (int64_t j = first; j < first + k; j++) egd += pk.reading_source[j] == READING_EGD;
    }
    assert_true(several > 0 && egd > 0);

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

    // compare: both models, named; the inter-observer ceiling of SSIM from the test images
    // with several readings; sanity: every method, both modes, every step.
    assert_int_equal(r.compare.n_models, 2);
    {
        char io[4200];
        snprintf(io, sizeof io, "%s/interobserver.csv", r.report_dirs[2]);
        study_interobserver_row *ir;
        int64_t n_ir, ssim_pairs = 0;
        if (study_interobserver_read(io, &ir, &n_ir, &err)) fail_msg("%s", err.msg);
        for (int64_t i = 0; i < n_ir; i++)
            if (ir[i].metric == STATS_SSIM && ir[i].comparison == STUDY_CEILING_READERS) {
                ssim_pairs = ir[i].n_pairs;
                assert_true(ir[i].mean > -1 && ir[i].mean <= 1);
            }
        assert_true(ssim_pairs >= 2);
        free(ir);
    }
    study_sanity_row *rows;
    int n_rows;
    char path[4200];
    snprintf(path, sizeof path, "%s/sanity.csv", r.report_dirs[5]);
    if (study_sanity_csv_read(path, &rows, &n_rows, &err)) fail_msg("%s", err.msg);
    const char *steps[SANITY_MAX_STEPS];
    int n_steps = attr_sanity_steps(steps, SANITY_MAX_STEPS);
    assert_int_equal(n_rows, 6 * SANITY_NMODES * n_steps);
    for (int i = 0; i < n_rows; i++) assert_true(rows[i].n <= s.sanity_images);
    free(rows);

    // localize: the pooled row of every (model, method) and of gaze and the centre bias, each
    // with an mIoU in [0,1] where it scored a pair.
    study_localize_row *lr;
    int64_t n_lr;
    snprintf(path, sizeof path, "%s/localize.csv", r.report_dirs[3]);
    if (study_localize_read(path, &lr, &n_lr, &err)) fail_msg("%s", err.msg);
    static const char *const names[2] = {"DenseNet", "DenseNet-Aug"};
    study_attr_settings six; // the demo's methods: attribute's default six
    study_attr_settings_default(&six);
    assert_int_equal(six.n_methods, 6);
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < six.n_methods; k++) {
            const study_localize_row *row =
                study_localize_find(lr, n_lr, names[m], six.methods[k], STUDY_ALL_LABELS);
            assert_non_null(row);
            assert_true(row->n + row->n_constant >= 1);
            if (row->n) assert_true(row->miou >= 0 && row->miou <= 1);
        }
    assert_non_null(study_localize_find(lr, n_lr, "-", STUDY_SOURCE_CENTRE_BIAS, STUDY_ALL_LABELS));
    free(lr);

    // faithfulness: per model, the pooled rows of the six methods and the random order, from at
    // most faith_maps maps each.
    for (int m = 0; m < 2; m++) {
        study_faith_row *fr;
        int64_t n_fr;
        snprintf(path, sizeof path, "%s/%s", r.report_dirs[4], models[m]);
        if (study_faith_read(path, &fr, &n_fr, &err)) fail_msg("%s", err.msg);
        // A method whose maps are all constant (GradCAM on a 1-epoch model) has no row; the
        // random order always has one, over every map.
        int pooled = 0, random_n = 0;
        for (int64_t i = 0; i < n_fr; i++) {
            if (fr[i].label != STUDY_ALL_LABELS) continue;
            pooled++;
            assert_string_equal(fr[i].model, names[m]);
            assert_true(fr[i].n >= 1 && fr[i].n <= s.faith_maps);
            assert_true(fr[i].deletion_auc >= 0 && fr[i].deletion_auc <= 1);
            if (fr[i].method == STUDY_FAITH_RANDOM) random_n = (int)fr[i].n;
        }
        assert_true(pooled >= 2 && pooled <= 7);
        assert_int_equal(random_n, s.faith_maps);
        free(fr);
    }
    pack_close(&pk);
    study_demo_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(tiny_demo_through_the_readers)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
