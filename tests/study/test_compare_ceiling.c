// study/compare's inter-observer ceiling (compare_ceiling.c, METHODS.md §4) on the hand-made pack
// (compare_fixture.h) with radiologist readings: identical readers agree perfectly (SSIM and CC
// 1) and a method equal to gaze then reaches ceiling_fraction 1; the counts of images and pairs
// by hand; egd_vs_reflacx only where an image has both; readers sharing a planted focus agree
// more than the centre-bias map does, with each value equal to the metric recomputed here from
// the stats primitives; a pack without readings has no ceiling and no interobserver.csv.
#include "study/compare_fixture.h"

static void run_with(const char *name, const readings *r, study_compare_result *res) {
    if (r) {
        fixture_opts fo = {.n_readings = r->n, .reading_gaze = r->gaze, .reading_fixations = r->fix,
                           .reading_row = r->row, .reading_source = r->source,
                           .reading_id = r->id};
        write_fixture_with(name, &fo);
    } else {
        write_fixture(name); // no readings
    }
    study_compare_settings o;
    fixture_settings(&o);
    cx_error err;
    if (study_compare(&o, res, &err)) fail_msg("study_compare: %s", err.msg);
}

static const study_interobserver_row *ceiling_row(const study_compare_result *r, study_ceiling c,
                                                  stats_metric m) {
    for (int64_t i = 0; i < r->n_interobserver; i++)
        if (r->interobserver[i].comparison == c && r->interobserver[i].metric == m)
            return &r->interobserver[i];
    return NULL;
}

static const study_metric_row *pooled(const study_compare_result *r, int source, stats_metric m) {
    for (int64_t i = 0; i < r->n_metrics; i++) {
        const study_metric_row *x = &r->metrics[i];
        if (x->source == source && x->metric == m && x->label == STUDY_ALL_LABELS &&
            x->group == STUDY_CORRECT)
            return x;
    }
    fail_msg("no pooled %s %s row", study_source_name(source), stats_metric_name(m));
    return NULL;
}

// Images 0-3: three identical REFLACX readings (the pack's gaze map); image 4: EGD and REFLACX,
// identical; image 5: one reading (no ceiling). By hand: "readers" 4*3 + 2 = 14 pairs on 5
// images, "egd_vs_reflacx" 1 pair on image 4.
static void identical_readers(void **state) {
    (void)state;
    static readings r;
    r.n = 0;
    for (int i = 0; i < 6; i++) {
        int k = i < 4 ? 3 : i == 4 ? 2 : 1;
        for (int q = 0; q < k; q++)
            add_reading(&r, i, i == 4 && q == 0 ? READING_EGD : READING_REFLACX, blob_cx(i),
                        blob_cy(i), 0);
    }
    study_compare_result res;
    run_with("ceiling_identical", &r, &res);
    const study_interobserver_row *ss = ceiling_row(&res, STUDY_CEILING_READERS, STATS_SSIM);
    const study_interobserver_row *cc = ceiling_row(&res, STUDY_CEILING_READERS, STATS_CC);
    assert_non_null(ss);
    assert_non_null(cc);
    assert_int_equal(ss->n_images, 5);
    assert_int_equal(ss->n_pairs, 14);
    assert_close(ss->mean, 1, 0, 1e-9, "SSIM of identical readers");
    assert_close(cc->mean, 1, 0, 1e-6, "CC of identical readers");
    assert_int_equal(res.n_ceiling_images[STUDY_CEILING_READERS], 5);
    assert_int_equal(res.n_ceiling_pairs[STUDY_CEILING_READERS], 14);
    const study_interobserver_row *egd = ceiling_row(&res, STUDY_CEILING_EGD_VS_REFLACX, STATS_SSIM);
    assert_non_null(egd);
    assert_int_equal(egd->n_images, 1);
    assert_int_equal(egd->n_pairs, 1);
    assert_close(egd->mean, 1, 0, 1e-9, "EGD vs REFLACX, identical");
    assert_int_equal(res.n_interobserver, 2 * STATS_N_METRICS);
    // sl's maps are the gaze maps (abs-minmax: normalised as gaze is): as close as a radiologist.
    assert_close(pooled(&res, ATTR_SL, STATS_SSIM)->ceiling_fraction, 1, 0, 1e-9, "sl SSIM");
    assert_close(pooled(&res, ATTR_SL, STATS_CC)->ceiling_fraction, 1, 0, 1e-6, "sl CC");
    const study_metric_row *gc = pooled(&res, ATTR_GC, STATS_SSIM);
    assert_close(gc->ceiling_fraction, gc->mean / ss->mean, 0, 1e-12, "gc SSIM / ceiling");
    // The files: interobserver.csv reads back as the result; ssim.csv carries the fraction.
    char p[4096];
    cx_error err;
    study_interobserver_row *rows;
    int64_t n;
    path_in(p, "compare/interobserver.csv");
    if (study_interobserver_read(p, &rows, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, res.n_interobserver);
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].metric, res.interobserver[i].metric);
        assert_int_equal(rows[i].comparison, res.interobserver[i].comparison);
        assert_int_equal(rows[i].n_pairs, res.interobserver[i].n_pairs);
        if (isnan(res.interobserver[i].mean)) assert_true(isnan(rows[i].mean));
        else assert_close(rows[i].mean, res.interobserver[i].mean, 0, 5e-7, "mean");
    }
    free(rows);
    study_metric_row *mr;
    path_in(p, "compare/ssim.csv");
    if (study_ssim_read(p, &mr, &n, &err)) fail_msg("%s", err.msg);
    for (int64_t i = 0; i < n; i++)
        if (mr[i].source == ATTR_SL) assert_close(mr[i].ceiling_fraction, 1, 0, 1e-6, "ssim.csv");
    free(mr);
    study_compare_summary sum;
    path_in(p, "compare/compare.json");
    if (study_compare_json_read(p, &sum, &err)) fail_msg("%s", err.msg);
    assert_int_equal(sum.n_ceiling_pairs[STUDY_CEILING_READERS], 14);
    assert_int_equal(sum.n_ceiling_images[STUDY_CEILING_EGD_VS_REFLACX], 1);
    study_compare_result_free(&res);
}

static void minmax_copy(float *dst, const float *src) {
    memcpy(dst, src, sizeof(float) * S * S);
    stats_minmax_normalise(dst, S * S);
}

// Four readers per image (images 0-7) fixate the image's planted focus, each displaced by one
// pixel in its own direction, with its own noise; image 0's first reader is EGD's. They agree
// with each other more than the centre-bias map agrees with any of them (the issue's
// invariant), and every value is the metric of (mean of the others, the reading) recomputed here.
static void readers_sharing_a_focus(void **state) {
    (void)state;
    static readings r;
    r.n = 0;
    const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
    for (int i = 0; i < 8; i++)
        for (int q = 0; q < 4; q++)
            add_reading(&r, i, i == 0 && q == 0 ? READING_EGD : READING_REFLACX,
                        blob_cx(i) + dx[q], blob_cy(i) + dy[q], 0.1);
    study_compare_result res;
    run_with("ceiling_focus", &r, &res);
    // Oracle: CC and SSIM of each reading against the min-max mean of the others, and of the
    // min-max centre-bias map against each reading.
    static float pred[S * S], ref[S * S], cb[S * S];
    stats_center_bias_map(cb, S, S);
    stats_minmax_normalise(cb, S * S);
    double cc = 0, ssim = 0, cb_cc = 0, cb_ssim = 0;
    for (int k = 0; k < r.n; k++) {
        memset(pred, 0, sizeof pred);
        for (int q = 0; q < r.n; q++)
            if (q != k && r.row[q] == r.row[k])
                for (int x = 0; x < S * S; x++) pred[x] += r.gaze[q * S * S + x] / 3;
        stats_minmax_normalise(pred, S * S);
        minmax_copy(ref, r.gaze + k * S * S);
        cc += stats_cc(pred, ref, S * S) / (double)r.n;
        ssim += stats_ssim(pred, ref, S, S) / (double)r.n;
        cb_cc += stats_cc(cb, ref, S * S) / (double)r.n;
        cb_ssim += stats_ssim(cb, ref, S, S) / (double)r.n;
    }
    const study_interobserver_row *c = ceiling_row(&res, STUDY_CEILING_READERS, STATS_CC);
    const study_interobserver_row *s = ceiling_row(&res, STUDY_CEILING_READERS, STATS_SSIM);
    assert_int_equal(c->n_pairs, 32);
    assert_int_equal(c->n_images, 8);
    assert_close(c->mean, cc, 0, 1e-9, "readers' CC");
    assert_close(s->mean, ssim, 0, 1e-9, "readers' SSIM");
    assert_true(c->ci_lo <= c->mean && c->mean <= c->ci_hi);
    assert_true(c->mean > cb_cc + 0.2);
    assert_true(s->mean > cb_ssim);
    // The centre-bias baseline of metrics.csv (against the pack's gaze, the same foci) is below
    // the ceiling too.
    assert_true(pooled(&res, STUDY_SOURCE_CENTRE_BIAS, STATS_CC)->ceiling_fraction < 0.8);
    // EGD vs the mean of the three REFLACX readings of image 0: one pair.
    memset(pred, 0, sizeof pred);
    for (int q = 1; q < 4; q++)
        for (int x = 0; x < S * S; x++) pred[x] += r.gaze[q * S * S + x];
    stats_minmax_normalise(pred, S * S);
    minmax_copy(ref, r.gaze);
    const study_interobserver_row *e = ceiling_row(&res, STUDY_CEILING_EGD_VS_REFLACX, STATS_CC);
    assert_int_equal(e->n_pairs, 1);
    assert_int_equal(e->n_images, 1);
    assert_close(e->mean, stats_cc(pred, ref, S * S), 0, 1e-9, "EGD vs REFLACX CC");
    const study_interobserver_row *nss = ceiling_row(&res, STUDY_CEILING_EGD_VS_REFLACX, STATS_NSS);
    assert_close(nss->mean, stats_nss(pred, r.fix, S * S), 0, 1e-9, "NSS on EGD's fixations");
    // sAUC on EGD's fixations, the negatives the pack fixations of the other held-out images;
    // IG over the min-max centre bias.
    static uint32_t other[S * S];
    static float g[S * S];
    static uint8_t f[S * S];
    memset(other, 0, sizeof other);
    for (int i = 1; i < N; i++) {
        gaze_map(i, g, f);
        for (int x = 0; x < S * S; x++) other[x] += f[x];
    }
    const study_interobserver_row *sauc = ceiling_row(&res, STUDY_CEILING_EGD_VS_REFLACX, STATS_SAUC);
    assert_close(sauc->mean, stats_sauc(pred, r.fix, other, S * S), 0, 1e-12, "sAUC of EGD");
    const study_interobserver_row *ig =
        ceiling_row(&res, STUDY_CEILING_EGD_VS_REFLACX, STATS_IG_CENTRE);
    assert_close(ig->mean, stats_info_gain(pred, cb, r.fix, S * S), 0, 1e-12, "IG of EGD");
    // KL and EMD are distances: the fraction is ceiling / mean.
    const study_metric_row *kl = pooled(&res, ATTR_GC, STATS_KL);
    assert_close(kl->ceiling_fraction, ceiling_row(&res, STUDY_CEILING_READERS, STATS_KL)->mean /
                                           kl->mean, 0, 1e-12, "KL: ceiling / mean");
    study_compare_result_free(&res);
}

// Readings only of REFLACX and one per image: no ceiling rows, no egd_vs_reflacx; no readings at
// all: no interobserver.csv, every ceiling_fraction NaN, compare.json counts 0.
static void no_ceiling_without_pairs_of_readers(void **state) {
    (void)state;
    static readings r;
    r.n = 0;
    for (int i = 0; i < 4; i++) add_reading(&r, i, READING_REFLACX, blob_cx(i), blob_cy(i), 0);
    study_compare_result res;
    run_with("ceiling_single", &r, &res);
    assert_int_equal(res.n_interobserver, 0);
    study_compare_result_free(&res);
    run_with("ceiling_none", NULL, &res);
    assert_int_equal(res.n_interobserver, 0);
    for (int64_t i = 0; i < res.n_metrics; i++) assert_true(isnan(res.metrics[i].ceiling_fraction));
    char p[4096];
    path_in(p, "compare/interobserver.csv");
    assert_false(cx_path_exists(p));
    cx_error err;
    study_metric_row *mr;
    int64_t n;
    path_in(p, "compare/metrics.csv");
    if (study_metrics_read(p, &mr, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, res.n_metrics);
    for (int64_t i = 0; i < n; i++) assert_true(isnan(mr[i].ceiling_fraction));
    free(mr);
    study_compare_summary sum;
    path_in(p, "compare/compare.json");
    if (study_compare_json_read(p, &sum, &err)) fail_msg("%s", err.msg);
    assert_int_equal(sum.n_ceiling_pairs[STUDY_CEILING_READERS], 0);
    study_compare_result_free(&res);
}

// sAUC and IG of a method equal stats_sauc / stats_info_gain on the same arrays: sl's maps are the
// gaze maps (abs-minmax: normalised as gaze is), the correct pairs the even images; sAUC's
// negatives the other held-out images' fixations, IG over the min-max centre bias. The
// centre-bias baseline gains nothing over itself; no training gaze: no ig_mean_gaze.
static void centre_free_metrics_equal_direct_calls(void **state) {
    (void)state;
    study_compare_result res;
    run_with("ceiling_sauc", NULL, &res);
    static float g[N][S * S], cb[S * S];
    static uint8_t f[N][S * S];
    static uint32_t all[S * S], other[S * S];
    memset(all, 0, sizeof all);
    for (int i = 0; i < N; i++) {
        gaze_map(i, g[i], f[i]);
        stats_minmax_normalise(g[i], S * S);
        for (int x = 0; x < S * S; x++) all[x] += f[i][x];
    }
    stats_center_bias_map(cb, S, S);
    stats_minmax_normalise(cb, S * S);
    double sauc = 0, ig = 0, cb_sauc = 0;
    for (int i = 0; i < N; i += 2) {
        for (int x = 0; x < S * S; x++) other[x] = all[x] - f[i][x];
        sauc += stats_sauc(g[i], f[i], other, S * S) / (N / 2);
        ig += stats_info_gain(g[i], cb, f[i], S * S) / (N / 2);
        cb_sauc += stats_sauc(cb, f[i], other, S * S) / (N / 2);
    }
    assert_close(pooled(&res, ATTR_SL, STATS_SAUC)->mean, sauc, 0, 1e-12, "sl sAUC");
    assert_close(pooled(&res, ATTR_SL, STATS_IG_CENTRE)->mean, ig, 0, 1e-12, "sl IG");
    assert_true(ig > 0 && sauc > 0.5);
    assert_close(pooled(&res, STUDY_SOURCE_CENTRE_BIAS, STATS_SAUC)->mean, cb_sauc, 0, 1e-12,
                 "centre-bias sAUC");
    assert_close(pooled(&res, STUDY_SOURCE_CENTRE_BIAS, STATS_IG_CENTRE)->mean, 0, 0, 1e-12,
                 "centre bias over itself");
    for (int64_t i = 0; i < res.n_metrics; i++) // undefined everywhere: no values
        if (res.metrics[i].metric == STATS_IG_MEAN_GAZE) assert_int_equal(res.metrics[i].n, 0);
    study_compare_result_free(&res);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identical_readers),
        cmocka_unit_test(readers_sharing_a_focus),
        cmocka_unit_test(no_ceiling_without_pairs_of_readers),
        cmocka_unit_test(centre_free_metrics_equal_direct_calls),
    };
    return cmocka_run_group_tests_name("study/compare_ceiling", tests, NULL, NULL);
}
