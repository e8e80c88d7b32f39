// study/compare's files: each writer and reader round-trip (write, read, equal) on the rows of a
// run on the hand-made pack (compare_fixture.h) and on hand-made rows (NaN cells, pooled labels,
// baselines and gaze as sources); the cells keep compare's bytes; readers refuse bad files by
// file:line and column; compare.json without map_sign/map_scale reads as the default.
#include "study/compare_fixture.h"

static study_compare_result result; // of a run on the fixture

static int setup(void **state) {
    (void)state;
    write_fixture("compare_files_case");
    study_compare_settings o;
    fixture_settings(&o);
    cx_error err;
    if (study_compare(&o, &result, &err)) fail_msg("study_compare: %s", err.msg);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    study_compare_result_free(&result);
    return 0;
}

// ---- writer/reader round trips ---------------------------------------------------------------
static void assert_real_equal(double got, double want, double tol, const char *what) {
    if (isnan(want)) assert_true(isnan(got));
    else assert_close(got, want, 0, tol, what);
}

static void metric_rows_equal(const study_metric_row *a, const study_metric_row *b) {
    assert_string_equal(a->model, b->model);
    assert_int_equal(a->source, b->source);
    assert_int_equal(a->metric, b->metric);
    assert_int_equal(a->label, b->label);
    assert_int_equal(a->group, b->group);
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->n_constant, b->n_constant);
    assert_real_equal(a->mean, b->mean, 5e-7, "mean");
    assert_real_equal(a->ci_lo, b->ci_lo, 5e-7, "ci_lo");
    assert_real_equal(a->ci_hi, b->ci_hi, 5e-7, "ci_hi");
    assert_real_equal(a->p_perm, b->p_perm, 5e-6 * fabs(b->p_perm), "p_perm");
    assert_real_equal(a->ceiling_fraction, b->ceiling_fraction, 5e-7, "ceiling_fraction");
}

static void metrics_round_trip(void **state) {
    (void)state;
    cx_error err;
    char p[4096];
    study_metric_row *rows;
    int64_t n;
    path_in(p, "rt_metrics.csv");
    if (study_metrics_write(p, result.metrics, result.n_metrics, &err)) fail_msg("%s", err.msg);
    if (study_metrics_read(p, &rows, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, result.n_metrics);
    for (int64_t i = 0; i < n; i++) metric_rows_equal(&rows[i], &result.metrics[i]);
    free(rows);
    // ssim.csv: only the SSIM rows, metric implied.
    path_in(p, "rt_ssim.csv");
    if (study_ssim_write(p, result.metrics, result.n_metrics, &err)) fail_msg("%s", err.msg);
    if (study_ssim_read(p, &rows, &n, &err)) fail_msg("%s", err.msg);
    int64_t k = 0;
    for (int64_t i = 0; i < result.n_metrics; i++)
        if (result.metrics[i].metric == STATS_SSIM) {
            assert_true(k < n);
            metric_rows_equal(&rows[k++], &result.metrics[i]);
        }
    assert_int_equal(k, n);
    assert_true(n > 0 && n < result.n_metrics);
    free(rows);
}

// Hand-made rows: NaN cells (empty), pooled labels, baselines and gaze as sources.
static void small_tables_round_trip(void **state) {
    (void)state;
    cx_error err;
    char p[4096];
    int64_t n;
    study_region_row reg[2] = {{"-", STUDY_SOURCE_GAZE, 3, 2, 7, 0, 5, 5.0 / 7},
                               {"a b,c", ATTR_OC, 13, 0, 0, 4, 0, NAN}};
    study_region_row *rr;
    path_in(p, "rt_regions.csv");
    if (study_regions_write(p, reg, 2, &err) || study_regions_read(p, &rr, &n, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(n, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(rr[i].model, reg[i].model);
        assert_int_equal(rr[i].source, reg[i].source);
        assert_int_equal(rr[i].label, reg[i].label);
        assert_int_equal(rr[i].region, reg[i].region);
        assert_int_equal(rr[i].n, reg[i].n);
        assert_int_equal(rr[i].n_constant, reg[i].n_constant);
        assert_int_equal(rr[i].count, reg[i].count);
        assert_real_equal(rr[i].fraction, reg[i].fraction, 5e-7, "fraction");
    }
    free(rr);

    study_region_distance_row dist[2] = {{"m", ATTR_SL, 0, 10, 0.25, 0.6, 0.4375, 3.5, 2, 0.1737},
                                         {"m", ATTR_GC, 1, 3, 0, 1, NAN, NAN, -1, NAN}};
    study_region_distance_row *dr;
    path_in(p, "rt_distance.csv");
    if (study_region_distance_write(p, dist, 2, &err) || study_region_distance_read(p, &dr, &n, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(n, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(dr[i].source, dist[i].source);
        assert_int_equal(dr[i].label, dist[i].label);
        assert_int_equal(dr[i].n, dist[i].n);
        assert_int_equal(dr[i].dof, dist[i].dof);
        assert_real_equal(dr[i].tv_distance, dist[i].tv_distance, 5e-7, "tv");
        assert_real_equal(dr[i].agreement, dist[i].agreement, 5e-7, "agreement");
        assert_real_equal(dr[i].kappa, dist[i].kappa, 5e-7, "kappa");
        assert_real_equal(dr[i].stuart_maxwell, dist[i].stuart_maxwell, 1e-6, "stuart_maxwell");
        assert_real_equal(dr[i].p, dist[i].p, 1e-6, "p");
    }
    free(dr);
    path_in(p, "rt_distance.csv");
    char *text;
    size_t len;
    if (cx_read_file(p, &text, &len, &err)) fail_msg("%s", err.msg);
    assert_non_null(strstr(text, "model,method,label,n,tv_distance,agreement,kappa,stuart_maxwell,dof,p\n"));
    free(text);

    study_sensitivity_row sens[2] = {
        {"m", ATTR_DL, STUDY_ALL_LABELS, {STATS_SIGN_SIGNED, STATS_SCALE_MINMAX}, 8, 0.5, 0.25, 0.25},
        {"x", ATTR_GS, 2, {STATS_SIGN_ABS, STATS_SCALE_P98}, 3, NAN, 0.125, NAN}};
    study_sensitivity_row *sr;
    path_in(p, "rt_sensitivity.csv");
    if (study_sensitivity_write(p, sens, 2, &err) || study_sensitivity_read(p, &sr, &n, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(n, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(sr[i].model, sens[i].model);
        assert_int_equal(sr[i].source, sens[i].source);
        assert_int_equal(sr[i].label, sens[i].label);
        assert_int_equal(sr[i].norm.sign, sens[i].norm.sign);
        assert_int_equal(sr[i].norm.scale, sens[i].norm.scale);
        assert_int_equal(sr[i].n, sens[i].n);
        assert_real_equal(sr[i].mean_correct, sens[i].mean_correct, 5e-7, "mean_correct");
        assert_real_equal(sr[i].mean_incorrect, sens[i].mean_incorrect, 5e-7, "mean_incorrect");
        assert_real_equal(sr[i].diff, sens[i].diff, 5e-7, "diff");
    }
    free(sr);
    if (cx_read_file(p, &text, &len, &err)) fail_msg("%s", err.msg);
    assert_non_null(strstr(text, "model,method,label,map_sign,map_scale,n,mean_correct,mean_incorrect,diff\n"
                                 "m,dl,all,signed,minmax,8,0.500000,0.250000,0.250000\n"));
    free(text);

    study_truth_row tr[2] = {{"-", STUDY_SOURCE_CENTRE_BIAS, STUDY_ALL_LABELS, 9, 0.5, 0.25, 2},
                             {"m", ATTR_NT, 4, 1, 0.125, 0.0625, 2}};
    study_truth_row *tt;
    path_in(p, "rt_truth.csv");
    if (study_truth_write(p, tr, 2, &err) || study_truth_read(p, &tt, &n, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(n, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(tt[i].model, tr[i].model);
        assert_int_equal(tt[i].source, tr[i].source);
        assert_int_equal(tt[i].label, tr[i].label);
        assert_int_equal(tt[i].n, tr[i].n);
        assert_real_equal(tt[i].mass_share, tr[i].mass_share, 5e-7, "mass");
        assert_real_equal(tt[i].area_share, tr[i].area_share, 5e-7, "area");
        assert_real_equal(tt[i].ratio, tr[i].ratio, 5e-5, "ratio");
    }
    free(tt);

    study_gc_lc_row gl[2] = {{"m", 11, 0.987367, 0.5, 0.560312, 1}, {"z", 0, NAN, NAN, NAN, 4}};
    study_gc_lc_row *gg;
    path_in(p, "rt_gc_lc.csv");
    if (study_gc_lc_write(p, gl, 2, &err) || study_gc_lc_read(p, &gg, &n, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(n, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(gg[i].model, gl[i].model);
        assert_int_equal(gg[i].n, gl[i].n);
        assert_int_equal(gg[i].n_constant, gl[i].n_constant);
        assert_real_equal(gg[i].mean_cc, gl[i].mean_cc, 5e-7, "mean_cc");
        assert_real_equal(gg[i].min_cc, gl[i].min_cc, 5e-7, "min_cc");
        assert_real_equal(gg[i].mean_ssim, gl[i].mean_ssim, 5e-7, "mean_ssim");
    }
    free(gg);
}

static void summary_json_round_trip(void **state) {
    (void)state;
    study_compare_settings s;
    fixture_settings(&s);
    cx_error err;
    char p[4096];
    path_in(p, "rt_compare.json");
    for (int fixed = 0; fixed < 2; fixed++) {
        s.fixed_threshold = fixed ? 0.25 : -1;
        s.norm = fixed ? (stats_map_norm){STATS_SIGN_SIGNED, STATS_SCALE_MINMAX}
                       : (stats_map_norm){STATS_SIGN_POSITIVE, STATS_SCALE_P98};
        study_compare_summary got;
        if (study_compare_json_write(p, &s, &result, &err) || study_compare_json_read(p, &got, &err))
            fail_msg("%s", err.msg);
        assert_int_equal(got.n_gaze_test, result.n_gaze_test);
        assert_int_equal(got.n_bootstrap, s.n_bootstrap);
        assert_int_equal(got.n_permutations, s.n_permutations);
        assert_close(got.fixed_threshold, s.fixed_threshold, 0, 0, "threshold");
        assert_int_equal(got.norm.sign, s.norm.sign);
        assert_int_equal(got.norm.scale, s.norm.scale);
    }
    // A compare.json from before map_sign/map_scale: the default (abs, p98); a bad name refused.
    const char *old = "{\"n_gaze_test_images\": 5, \"threshold\": \"f1-max on validate\", "
                      "\"bootstrap_resamples\": 10, \"permutations\": 20}";
    if (cx_write_file_atomic(p, old, strlen(old), &err)) fail_msg("%s", err.msg);
    study_compare_summary got = {.norm = {STATS_SIGN_SIGNED, STATS_SCALE_MINMAX}};
    if (study_compare_json_read(p, &got, &err)) fail_msg("%s", err.msg);
    assert_int_equal(got.n_gaze_test, 5);
    assert_int_equal(got.norm.sign, STATS_SIGN_ABS);
    assert_int_equal(got.norm.scale, STATS_SCALE_P98);
    const char *bad = "{\"n_gaze_test_images\": 5, \"threshold\": 0.5, \"bootstrap_resamples\": 10, "
                      "\"permutations\": 20, \"map_sign\": \"absolute\", \"map_scale\": \"p98\"}";
    if (cx_write_file_atomic(p, bad, strlen(bad), &err)) fail_msg("%s", err.msg);
    assert_int_equal(study_compare_json_read(p, &got, &err), -1);
    assert_non_null(strstr(err.msg, "map_sign"));
}

// The cells as compare has always written them (the oracle: its committed outputs): a fraction or
// a TV distance of no maps is "nan", a group without maps has empty mean and CI, a CI only with a
// bootstrap, GC/LC means empty without pairs; the readers take "nan" back as NaN.
static void cells_keep_compare_bytes(void **state) {
    (void)state;
    study_cell c[STUDY_METRIC_NCOLS];
    study_region_row reg = {"m", ATTR_GC, 1, 0, 0, 3, 0, NAN};
    study_region_text(&reg, c);
    assert_string_equal(c[5], "3");
    assert_string_equal(c[7], "nan");
    // No pairs: TV, agreement, kappa and the test are empty.
    study_region_distance_row d = {"m", ATTR_GC, 1, 0, NAN, NAN, NAN, NAN, -1, NAN};
    study_distance_text(&d, c);
    for (int k = 4; k < 10; k++) assert_string_equal(c[k], "");
    study_metric_row m = {"m", ATTR_SL, STATS_CC, 0, STUDY_CORRECT, 0, 2, NAN, NAN, NAN, NAN, NAN};
    study_metric_text(&m, 1, c);
    assert_string_equal(c[6], "2");
    for (int k = 7; k < 12; k++) assert_string_equal(c[k], ""); // no ceiling: empty
    m.n = 1;
    m.mean = 0.25;
    m.ci_hi = 0.5; // no lower bound: no CI at all
    study_metric_text(&m, 1, c);
    assert_string_equal(c[7], "0.250000");
    assert_string_equal(c[9], "");
    study_gc_lc_row g = {"m", 0, 0.5, 0.5, 0.5, 3};
    study_gc_lc_text(&g, c);
    assert_string_equal(c[2], "");
    assert_string_equal(c[4], "");
    cx_error err;
    char p[4096];
    path_in(p, "nan_regions.csv");
    const char *text =
        "model,method,label,region,n,n_constant,count,fraction\nm,gc,Edema,left_lung,0,0,0,nan\n";
    if (cx_write_file_atomic(p, text, strlen(text), &err)) fail_msg("%s", err.msg);
    study_region_row *rows;
    int64_t n;
    if (study_regions_read(p, &rows, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, 1);
    assert_true(isnan(rows[0].fraction));
    free(rows);
}

// A bad cell is refused with file:line and column; a missing column is named.
static void readers_refuse_bad_files(void **state) {
    (void)state;
    cx_error err;
    char p[4096];
    study_region_row *rows;
    int64_t n;
    path_in(p, "bad_regions.csv");
    const char *text = "model,method,label,region,n,n_constant,count,fraction\n"
                       "m,sl,Cardiomegaly,left_lung,3,0,1,0.333333\n"
                       "m,sl,Cardiomegaly,left_knee,3,0,1,0.333333\n";
    if (cx_write_file_atomic(p, text, strlen(text), &err)) fail_msg("%s", err.msg);
    assert_int_equal(study_regions_read(p, &rows, &n, &err), -1);
    assert_non_null(strstr(err.msg, "bad_regions.csv:3"));
    assert_non_null(strstr(err.msg, "\"region\""));
    assert_non_null(strstr(err.msg, "left_knee"));
    path_in(p, "bad_gc_lc.csv");
    text = "model,n,mean_cc,min_cc,n_constant\nm,1,0.5,0.5,0\n";
    if (cx_write_file_atomic(p, text, strlen(text), &err)) fail_msg("%s", err.msg);
    study_gc_lc_row *g;
    assert_int_equal(study_gc_lc_read(p, &g, &n, &err), -1);
    assert_non_null(strstr(err.msg, "mean_ssim"));
    path_in(p, "bad_metrics.csv");
    text = "model,method,metric,label,group,n,n_constant,mean,ci_lo,ci_hi,p_perm\n"
           "m,sl,ssim,all,correct,x,0,0.5,,,\n";
    if (cx_write_file_atomic(p, text, strlen(text), &err)) fail_msg("%s", err.msg);
    study_metric_row *mr;
    assert_int_equal(study_metrics_read(p, &mr, &n, &err), -1);
    assert_non_null(strstr(err.msg, "bad_metrics.csv:2"));
    assert_non_null(strstr(err.msg, "\"n\""));
    // A metrics.csv without n_constant (written before it existed) is refused by name.
    text = "model,method,metric,label,group,n,mean,ci_lo,ci_hi,p_perm\n"
           "m,sl,ssim,all,correct,3,0.5,,,\n";
    if (cx_write_file_atomic(p, text, strlen(text), &err)) fail_msg("%s", err.msg);
    assert_int_equal(study_metrics_read(p, &mr, &n, &err), -1);
    assert_non_null(strstr(err.msg, "n_constant"));
    path_in(p, "bad_sensitivity.csv");
    text = "model,method,label,map_sign,map_scale,n,mean_correct,mean_incorrect,diff\n"
           "m,sl,all,abs,p99,3,0.5,0.25,0.25\n";
    if (cx_write_file_atomic(p, text, strlen(text), &err)) fail_msg("%s", err.msg);
    study_sensitivity_row *sr;
    assert_int_equal(study_sensitivity_read(p, &sr, &n, &err), -1);
    assert_non_null(strstr(err.msg, "bad_sensitivity.csv:2"));
    assert_non_null(strstr(err.msg, "\"map_scale\""));
}

// interobserver.csv: hand-made rows (a NaN mean without pairs) round-trip; metrics.csv and
// ssim.csv with a ceiling_fraction keep it, and files written before the column read as NaN.
static void ceiling_files_round_trip(void **state) {
    (void)state;
    cx_error err;
    char p[4096];
    int64_t n;
    study_interobserver_row io[3] = {
        {STATS_SSIM, 12, 40, 0.625, 0.5, 0.75, STUDY_CEILING_READERS},
        {STATS_EMD, 3, 3, 1.25, 1, 1.5, STUDY_CEILING_EGD_VS_REFLACX},
        {STATS_NSS, 0, 0, NAN, NAN, NAN, STUDY_CEILING_READERS}};
    study_interobserver_row *ir;
    path_in(p, "rt_interobserver.csv");
    if (study_interobserver_write(p, io, 3, &err) || study_interobserver_read(p, &ir, &n, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ir[i].metric, io[i].metric);
        assert_int_equal(ir[i].comparison, io[i].comparison);
        assert_int_equal(ir[i].n_images, io[i].n_images);
        assert_int_equal(ir[i].n_pairs, io[i].n_pairs);
        assert_real_equal(ir[i].mean, io[i].mean, 5e-7, "mean");
        assert_real_equal(ir[i].ci_lo, io[i].ci_lo, 5e-7, "ci_lo");
        assert_real_equal(ir[i].ci_hi, io[i].ci_hi, 5e-7, "ci_hi");
    }
    free(ir);
    char *text;
    size_t len;
    if (cx_read_file(p, &text, &len, &err)) fail_msg("%s", err.msg);
    assert_non_null(strstr(text, "metric,n_images,n_pairs,mean,ci_lo,ci_hi,comparison\n"
                                 "ssim,12,40,0.625000,0.500000,0.750000,readers\n"
                                 "emd,3,3,1.250000,1.000000,1.500000,egd_vs_reflacx\n"
                                 "nss,0,0,,,,readers\n"));
    free(text);
    const char *bad = "metric,n_images,n_pairs,mean,ci_lo,ci_hi,comparison\nssim,1,2,0.5,,,radiologists\n";
    if (cx_write_file_atomic(p, bad, strlen(bad), &err)) fail_msg("%s", err.msg);
    assert_int_equal(study_interobserver_read(p, &ir, &n, &err), -1);
    assert_non_null(strstr(err.msg, "rt_interobserver.csv:2"));
    assert_non_null(strstr(err.msg, "\"comparison\""));

    study_metric_row m[2] = {{"m", ATTR_GC, STATS_SSIM, STUDY_ALL_LABELS, STUDY_CORRECT, 4, 0, 0.5,
                              0.4, 0.6, 0.25, 0.8},
                             {"m", ATTR_GC, STATS_KL, STUDY_ALL_LABELS, STUDY_CORRECT, 4, 0, 2, 1,
                              3, 0.25, NAN}};
    study_metric_row *mr;
    path_in(p, "rt_ceiling_metrics.csv");
    if (study_metrics_write(p, m, 2, &err) || study_metrics_read(p, &mr, &n, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(n, 2);
    for (int i = 0; i < 2; i++) metric_rows_equal(&mr[i], &m[i]);
    free(mr);
    path_in(p, "rt_ceiling_ssim.csv");
    if (study_ssim_write(p, m, 2, &err) || study_ssim_read(p, &mr, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, 1);
    metric_rows_equal(&mr[0], &m[0]);
    free(mr);
    // Written before ceiling_fraction existed.
    path_in(p, "old_metrics.csv");
    const char *old = "model,method,metric,label,group,n,n_constant,mean,ci_lo,ci_hi,p_perm\n"
                      "m,sl,ssim,all,correct,3,0,0.5,0.4,0.6,0.2\n";
    if (cx_write_file_atomic(p, old, strlen(old), &err)) fail_msg("%s", err.msg);
    if (study_metrics_read(p, &mr, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, 1);
    assert_close(mr[0].mean, 0.5, 0, 0, "mean");
    assert_true(isnan(mr[0].ceiling_fraction));
    free(mr);
    path_in(p, "old_ssim.csv");
    old = "model,method,label,group,n,n_constant,mean,ci_lo,ci_hi,p_perm\n"
          "m,sl,all,correct,3,0,0.5,0.4,0.6,0.2\n";
    if (cx_write_file_atomic(p, old, strlen(old), &err)) fail_msg("%s", err.msg);
    if (study_ssim_read(p, &mr, &n, &err)) fail_msg("%s", err.msg);
    assert_true(n == 1 && isnan(mr[0].ceiling_fraction));
    free(mr);
    for (int c = 0; c < STUDY_N_CEILINGS; c++) assert_string_equal(study_ceiling_name((study_ceiling)c),
                                                                   c ? "egd_vs_reflacx" : "readers");
}

// The vocabulary of the method column: methods by attr's names, then baselines and gaze.
static void sources_parse_their_names(void **state) {
    (void)state;
    for (int s = 0; s < STUDY_N_SOURCES; s++)
        assert_int_equal(study_source_parse(study_source_name(s)), s);
    assert_string_equal(study_source_name(ATTR_GC), "gc");
    assert_string_equal(study_source_name(STUDY_SOURCE_CENTRE_BIAS), "centre_bias");
    assert_string_equal(study_source_name(STUDY_SOURCE_MEAN_GAZE), "mean_gaze");
    assert_string_equal(study_source_name(STUDY_SOURCE_GAZE), "gaze");
    assert_int_equal(study_source_parse("GC"), -1);
    assert_string_equal(study_group_name(STUDY_INCORRECT), "incorrect");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_round_trip),
        cmocka_unit_test(small_tables_round_trip),
        cmocka_unit_test(summary_json_round_trip),
        cmocka_unit_test(cells_keep_compare_bytes),
        cmocka_unit_test(readers_refuse_bad_files),
        cmocka_unit_test(sources_parse_their_names),
        cmocka_unit_test(ceiling_files_round_trip),
    };
    return cmocka_run_group_tests_name("study/compare_files", tests, setup, teardown);
}
