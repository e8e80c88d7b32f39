// study/metrics: study_map_metrics on safetensors files written here, below the CLI, against
// independent oracles: every value equals stats_ssim / cc / kl / sim / nss / auc_judd / emd
// recomputed here on copies normalised here (the default abs-p98 by stats_map_normalise; signed +
// minmax reproduces the old min-max values by stats_minmax_normalise); a constant map is counted
// and flagged (its cc is NaN); the default selection follows the fixations; m.csv round-trips
// (write, read, equal) with the selected columns in order; bad input fails naming the files,
// writing nothing; metric lists parse to their bits, an unknown name is named.
#include "test.h"

#include "io/io.h"
#include "study/study.h"

enum { N = 4, H = 20, W = 24 };
static float maps_a[N * H * W], maps_b[N * H * W];
static double maps_b64[N * H * W];
static uint8_t fix[N * H * W];
static char path_a[4096], path_b[4096], path_f[4096], path_bad[4096];

static void write_one(const char *path, const char *name, st_dtype dt, const void *data,
                      int64_t n) {
    int64_t shape[3] = {n, H, W};
    cx_error err;
    st_writer *w = st_writer_new();
    st_writer_add(w, "first", ST_F32, 3, shape, maps_a); // not the tensor picked by name
    st_writer_add(w, name, dt, 3, shape, data);
    assert_int_equal(st_writer_write(w, path, &err), 0);
    st_writer_free(w);
}

static int setup(void **state) {
    (void)state;
    cx_rng r;
    cx_rng_seed(&r, 41, 0);
    for (int k = 0; k < N; k++)
        for (int i = 0; i < H * W; i++) {
            double y = i / W, x = i % W;
            size_t j = (size_t)k * H * W + (size_t)i;
            // signed: a positive blob, a negative one, noise
            maps_a[j] = (float)(3 * exp(-((y - 7 - k) * (y - 7 - k) + (x - 11) * (x - 11)) / 30) -
                                2 * exp(-((y - 13) * (y - 13) + (x - 4 - k) * (x - 4 - k)) / 20) +
                                0.3 * cx_rng_uniform(&r));
            maps_b[j] = (float)exp(-((y - 10) * (y - 10) + (x - 9 - k) * (x - 9 - k)) / 25);
            fix[j] = cx_rng_uniform(&r) < 0.1;
        }
    for (int i = 0; i < H * W; i++)
        maps_a[2 * H * W + i] = 1.5f, maps_b[i] = 0.25f; // constant: A's map 2, B's map 0
    for (int i = 0; i < N * H * W; i++)
        maps_b64[i] = maps_b[i]; // F64 holding the same values: converted back exactly
    snprintf(path_a, sizeof path_a, "%s", test_out_path("map_metrics_a.safetensors"));
    snprintf(path_b, sizeof path_b, "%s", test_out_path("map_metrics_b.safetensors"));
    snprintf(path_f, sizeof path_f, "%s", test_out_path("map_metrics_f.safetensors"));
    snprintf(path_bad, sizeof path_bad, "%s", test_out_path("map_metrics_bad.safetensors"));
    write_one(path_a, "saliency", ST_F32, maps_a, N);
    write_one(path_b, "gaze", ST_F64, maps_b64, N);
    write_one(path_f, "fix", ST_U8, fix, N);
    write_one(path_bad, "gaze", ST_F32, maps_b, N - 1);
    return 0;
}

static study_map_metrics_settings settings(const char *out) {
    study_map_metrics_settings s;
    study_map_metrics_settings_default(&s);
    s.maps = path_a, s.maps_tensor = "saliency";
    s.reference = path_b, s.reference_tensor = "gaze";
    s.progress = 0, s.out = out;
    return s;
}

static void near(double got, double want) {
    if (isnan(want)) {
        assert_true(isnan(got));
        return;
    }
    assert_true(fabs(got - want) <= 1e-12 * (1 + fabs(want)));
}

// Every value against the metric of copies normalised here: A by stats_map_normalise (or, for
// signed + minmax, by stats_minmax_normalise: the old behaviour, reproduced), B by min-max.
static void check_values(stats_map_norm norm, int old_minmax, double ssim_out[N]) {
    study_map_metrics_settings s = settings(NULL);
    s.fixations = path_f, s.fixations_tensor = "fix";
    s.norm = norm;
    study_map_metrics_result r;
    cx_error err = {0};
    assert_int_equal(study_map_metrics(&s, &r, &err), 0);
    assert_int_equal(r.n, N), assert_int_equal(r.h, H), assert_int_equal(r.w, W);
    // fixations given: every metric by default (sAUC and IG over the centre bias too)
    assert_int_equal(r.which, STATS_M_ALL | STATS_M_SAUC | STATS_M_IG_CENTRE);
    // sAUC's negatives: the fixations of the other pairs; IG's baseline: the min-max centre bias.
    uint32_t all[H * W], other[H * W];
    stats_fixation_counts(fix, N, H * W, all);
    float centre[H * W];
    stats_center_bias_map(centre, H, W);
    stats_minmax_normalise(centre, H * W);
    float a[H * W], b[H * W];
    for (int k = 0; k < N; k++) {
        memcpy(a, maps_a + (size_t)k * H * W, sizeof a);
        memcpy(b, maps_b + (size_t)k * H * W, sizeof b);
        int ca = old_minmax ? stats_minmax_normalise(a, H * W)
                            : stats_map_normalise(a, H * W, norm, NULL);
        int cb = stats_minmax_normalise(b, H * W);
        const stats_map_metrics *m = &r.rows[k];
        assert_int_equal(m->map_constant, ca), assert_int_equal(m->ref_constant, cb);
        assert_int_equal(ca, k == 2), assert_int_equal(cb, k == 0);
        near(m->ssim, stats_ssim(a, b, H, W));
        near(m->cc, stats_cc(a, b, H * W));
        near(m->kl, stats_kl(a, b, H * W));
        near(m->sim, stats_sim(a, b, H * W));
        near(m->nss, stats_nss(a, fix + (size_t)k * H * W, H * W));
        near(m->auc_judd, stats_auc_judd(a, fix + (size_t)k * H * W, H * W));
        near(m->emd, stats_emd(a, b, H, W, 32, NULL));
        const uint8_t *f = fix + (size_t)k * H * W;
        for (int q = 0; q < H * W; q++) other[q] = all[q] - (f[q] != 0);
        near(m->sauc, ca ? NAN : stats_sauc(a, f, other, H * W));
        near(m->ig_centre, ca ? NAN : stats_info_gain(a, centre, f, H * W));
        if (!ca) assert_false(isnan(m->sauc) || isnan(m->ig_centre));
        assert_true(isnan(m->ig_mean_gaze));
        if (k == 1) assert_true(m->cc > 0 && m->cc < 1 && m->ssim < 1);
        ssim_out[k] = m->ssim;
    }
    assert_true(isnan(r.rows[0].cc) && isnan(r.rows[2].cc)); // a constant map has no CC
    assert_int_equal(r.n_map_constant, 1), assert_int_equal(r.n_ref_constant, 1);
    assert_int_equal(r.first_constant, 0);
    study_map_metrics_result_free(&r);
}

static void values_match_direct_recomputation(void **state) {
    (void)state;
    double old[N], dflt[N];
    check_values((stats_map_norm){STATS_SIGN_SIGNED, STATS_SCALE_MINMAX}, 1, old);
    study_map_metrics_settings d;
    study_map_metrics_settings_default(&d);
    assert_int_equal(d.norm.sign, STATS_SIGN_ABS), assert_int_equal(d.norm.scale, STATS_SCALE_P98);
    check_values(d.norm, 0, dflt);
    // The default is not min-max: the negative blob is salient under abs, mid-grey under min-max.
    for (int k = 1; k < N; k++)
        if (k != 2) assert_true(fabs(dflt[k] - old[k]) > 1e-3);
}

static void written_csv_reads_back_equal(void **state) {
    (void)state;
    char out[4096];
    snprintf(out, sizeof out, "%s", test_out_path("map_metrics_m.csv"));
    study_map_metrics_settings s = settings(out);
    study_map_metrics_result r;
    cx_error err = {0};
    assert_int_equal(study_map_metrics(&s, &r, &err), 0);
    const unsigned want = STATS_M_ALL & ~(unsigned)(STATS_M_NSS | STATS_M_AUC_JUDD);
    assert_int_equal(r.which, want); // no fixations: nss and auc_judd left out
    char *text = NULL;
    size_t len;
    assert_int_equal(cx_read_file(out, &text, &len, &err), 0);
    assert_true(!strncmp(text, "index,ssim,cc,kl,sim,emd,map_constant,ref_constant\n", 51));
    assert_non_null(strstr(text, "\n2,")); // row 2: constant map, flagged
    free(text);
    stats_map_metrics *rows;
    int64_t n;
    unsigned which;
    assert_int_equal(study_map_metrics_read(out, &rows, &n, &which, &err), 0);
    assert_int_equal(n, N), assert_int_equal(which, want);
    for (int k = 0; k < N; k++) {
        for (int m = 0; m < STATS_N_METRICS; m++) {
            double got = stats_map_metric_value(&rows[k], (stats_metric)m);
            double was = stats_map_metric_value(&r.rows[k], (stats_metric)m);
            if (isnan(was)) {
                assert_true(isnan(got));
            } else {
                assert_true(fabs(got - was) <= 1e-8 * fabs(was)); // %.9g
            }
        }
        assert_int_equal(rows[k].map_constant, r.rows[k].map_constant);
        assert_int_equal(rows[k].ref_constant, r.rows[k].ref_constant);
    }
    free(rows);
    study_map_metrics_result_free(&r);
}

static void selected_columns_round_trip(void **state) {
    (void)state;
    const char *out = test_out_path("map_metrics_sel.csv");
    stats_map_metrics in[2] = {{.ssim = 0.5, .emd = 1.25, .auc_judd = 0.75, .map_constant = 1},
                               {.ssim = NAN, .emd = 3e-7, .auc_judd = 1, .ref_constant = 1}};
    const unsigned which = STATS_M_AUC_JUDD | STATS_M_SSIM | STATS_M_EMD;
    cx_error err = {0};
    assert_int_equal(study_map_metrics_write(out, in, 2, which, &err), 0);
    char *text = NULL;
    size_t len;
    assert_int_equal(cx_read_file(out, &text, &len, &err), 0);
    assert_string_equal(text, "index,ssim,emd,auc_judd,map_constant,ref_constant\n"
                              "0,0.5,1.25,0.75,1,0\n"
                              "1,nan,3e-07,1,0,1\n");
    free(text);
    stats_map_metrics *rows;
    int64_t n;
    unsigned got;
    assert_int_equal(study_map_metrics_read(out, &rows, &n, &got, &err), 0);
    assert_int_equal(n, 2), assert_int_equal(got, which);
    assert_true(rows[0].ssim == 0.5 && rows[0].emd == 1.25 && rows[0].auc_judd == 0.75);
    assert_true(isnan(rows[1].ssim) && rows[1].emd == 3e-7 && rows[1].auc_judd == 1);
    assert_true(isnan(rows[0].cc) && isnan(rows[1].nss)); // columns not in the file
    assert_int_equal(rows[0].map_constant, 1), assert_int_equal(rows[1].ref_constant, 1);
    assert_int_equal(rows[0].ref_constant, 0), assert_int_equal(rows[1].map_constant, 0);
    free(rows);
}

static void bad_input_refused(void **state) {
    (void)state;
    char out[4096];
    snprintf(out, sizeof out, "%s", test_out_path("map_metrics_never.csv"));
    remove(out);
    study_map_metrics_settings s = settings(out);
    s.reference = path_bad; // 3 maps against 4
    study_map_metrics_result r;
    cx_error err = {0};
    assert_int_equal(study_map_metrics(&s, &r, &err), -1);
    assert_non_null(strstr(err.msg, path_bad)), assert_non_null(strstr(err.msg, path_a));
    assert_null(r.rows);
    assert_null(fopen(out, "r")); // nothing written
    s = settings(out);
    s.which = STATS_M_NSS; // needs fixations
    assert_int_equal(study_map_metrics(&s, &r, &err), -1);
    const char *bad = test_out_path("map_metrics_badcell.csv");
    FILE *f = fopen(bad, "w");
    fputs("index,ssim,map_constant,ref_constant\n0,0.5,0,0\n1,x,0,0\n", f);
    fclose(f);
    stats_map_metrics *rows;
    int64_t n;
    unsigned which;
    assert_int_equal(study_map_metrics_read(bad, &rows, &n, &which, &err), -1);
    assert_non_null(strstr(err.msg, ":3: column \"ssim\""));
    assert_null(rows);
}

static void metric_lists_parse(void **state) {
    (void)state;
    unsigned which;
    cx_error err = {0};
    assert_int_equal(study_map_metrics_parse("auc_judd,ssim,,emd", &which, &err), 0);
    assert_int_equal(which, STATS_M_AUC_JUDD | STATS_M_SSIM | STATS_M_EMD);
    assert_int_equal(study_map_metrics_parse("cc,bar,baz", &which, &err), -1);
    assert_string_equal(err.msg, "unknown metric 'bar' (known: ssim, cc, kl, sim, emd, nss, "
                                 "auc_judd, sauc, ig_centre)");
    assert_int_equal(study_map_metrics_parse("ig_centre,sauc", &which, &err), 0);
    assert_int_equal(which, STATS_M_IG_CENTRE | STATS_M_SAUC);
    // ig_mean_gaze needs training gaze: compare's only.
    assert_int_equal(study_map_metrics_parse("ssim,ig_mean_gaze", &which, &err), -1);
    assert_non_null(strstr(err.msg, "'ig_mean_gaze'"));
    assert_int_equal(study_map_metrics_parse(",", &which, &err), -1);
    assert_non_null(strstr(err.msg, "unknown metric ''"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_match_direct_recomputation),
        cmocka_unit_test(written_csv_reads_back_equal),
        cmocka_unit_test(selected_columns_round_trip),
        cmocka_unit_test(bad_input_refused),
        cmocka_unit_test(metric_lists_parse),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
