// stats/metrics + emd: CC, NSS, KL, SIM, AUC-Judd vs numpy transcriptions of the MIT saliency
// benchmark, EMD vs scipy's linprog on the full transportation LP (tests/ref/stats_ref.py), EMD
// closed forms, area downsampling, min-max normalisation, baselines.
#include "fixture.h"

#include "stats/stats.h"

static void mit_metrics(void **state) {
    (void)state;
    st_file *f = fixture_open("stats_maps.safetensors");
    int c = 0;
    for (; fixture_tensor(f, "maps/%d/s", c); c++) {
        const st_tensor *ts = FX(f, "maps/%d/s", c);
        const float *s = ts->data, *g = FX(f, "maps/%d/g", c)->data;
        const uint8_t *fix = FX(f, "maps/%d/fix", c)->data;
        const double *want = FX(f, "maps/%d/want", c)->data;
        size_t n = ts->numel;
        assert_close(stats_cc(s, g, n), want[0], 1e-10, 1e-12, "CC");
        assert_close(stats_nss(s, fix, n), want[1], 1e-10, 1e-12, "NSS");
        assert_close(stats_kl(s, g, n), want[2], 1e-10, 1e-12, "KL");
        assert_close(stats_sim(s, g, n), want[3], 1e-10, 1e-12, "SIM");
        assert_close(stats_auc_judd(s, fix, n), want[4], 1e-12, 1e-12, "AUC-Judd");
    }
    assert_true(c >= 4);
    st_close(f);
}

static void emd_vs_linprog(void **state) {
    (void)state;
    st_file *f = fixture_open("stats_maps.safetensors");
    int c = 0;
    for (; fixture_tensor(f, "emd/%d/a", c); c++) {
        const st_tensor *ta = FX(f, "emd/%d/a", c);
        const float *a = ta->data, *b = FX(f, "emd/%d/b", c)->data;
        const double *want = FX(f, "emd/%d/want", c)->data;
        stats_status st;
        double e = stats_emd(a, b, (int)ta->shape[0], (int)ta->shape[1], (int)want[0], &st);
        assert_int_equal(st, STATS_OK);
        char what[64];
        snprintf(what, sizeof what, "EMD case %d", c);
        assert_close(e, want[1], 1e-7, 1e-9, what);
        assert_close(stats_emd(b, a, (int)ta->shape[0], (int)ta->shape[1], (int)want[0], &st),
                     want[1], 1e-7, 1e-9, what); // symmetric
    }
    assert_true(c >= 5);
    st_close(f);
}

static void emd_closed_forms(void **state) {
    (void)state;
    enum { H = 20, W = 30 };
    static float a[H * W], b[H * W];
    stats_status st;
    // A unit mass moved by (3, 4) pixels costs 5; by 7 pixels along a row costs 7.
    a[2 * W + 5] = 1, b[5 * W + 9] = 1;
    assert_close(stats_emd(a, b, H, W, 32, &st), 5.0, 1e-12, 0, "3-4-5 move");
    b[5 * W + 9] = 0, b[2 * W + 12] = 4; // scale of the mass does not matter (normalised)
    assert_close(stats_emd(a, b, H, W, 32, &st), 7.0, 1e-12, 0, "row move");
    assert_close(stats_emd(a, a, H, W, 32, &st), 0.0, 0, 1e-15, "identical maps");
    // Half the mass moves 10 px: cost 5.
    memset(b, 0, sizeof b);
    a[2 * W + 5] = 1, a[12 * W + 5] = 1, b[2 * W + 5] = 2;
    assert_close(stats_emd(a, b, H, W, 32, &st), 5.0, 1e-12, 0, "half moved");
    memset(b, 0, sizeof b);
    assert_true(isnan(stats_emd(a, b, H, W, 32, &st)));
    assert_int_equal(st, STATS_CONSTANT);
    // Downsampled 64x64 -> 32x32: cells are 2 px; a 2x2 block moved by 8 px costs 8.
    static float c[64 * 64], d[64 * 64];
    for (int y = 10; y < 12; y++)
        for (int x = 20; x < 22; x++)
            c[y * 64 + x] = 1, d[y * 64 + x + 8] = 1;
    assert_close(stats_emd(c, d, 64, 64, 0, &st), 8.0, 1e-12, 0, "downsampled move");
}

static void emd_random_consistency(void **state) {
    (void)state;
    // Bigger random problems (no LP oracle at this size): metric axioms must hold.
    enum { H = 24, W = 24 };
    static float a[H * W], b[H * W], c[H * W];
    cx_rng r;
    cx_rng_seed(&r, 11, 0);
    for (int i = 0; i < H * W; i++) {
        a[i] = (float)cx_rng_uniform(&r);
        b[i] = (float)pow(cx_rng_uniform(&r), 4);
        c[i] = (float)(cx_rng_uniform(&r) < 0.1);
    }
    stats_status st;
    double ab = stats_emd(a, b, H, W, 32, &st), ba = stats_emd(b, a, H, W, 32, &st);
    double ac = stats_emd(a, c, H, W, 32, &st), cb = stats_emd(c, b, H, W, 32, &st);
    assert_int_equal(st, STATS_OK);
    assert_close(ab, ba, 1e-9, 0, "EMD symmetric");
    assert_true(ab <= ac + cb + 1e-9);
    assert_true(ab > 0);
    // Heavily degenerate 32x32 problems (few mass levels, equal costs everywhere) converge.
    static float q1[32 * 32], q2[32 * 32];
    for (int rep = 0; rep < 4; rep++) {
        for (int i = 0; i < 32 * 32; i++) {
            q1[i] = (float)cx_rng_below(&r, 3);
            q2[i] = (float)(cx_rng_below(&r, 4) == 0);
        }
        double e12 = stats_emd(q1, q2, 32, 32, 32, &st);
        assert_int_equal(st, STATS_OK);
        assert_close(stats_emd(q2, q1, 32, 32, 32, &st), e12, 1e-9, 0, "degenerate symmetric");
        assert_true(e12 > 0 && e12 < 45);
    }
}

static void area_downsample(void **state) {
    (void)state;
    float in[10 * 7], out[4 * 3], blk[6 * 4], bo[3 * 2];
    double sum = 0, osum = 0;
    for (int i = 0; i < 70; i++)
        in[i] = (float)((i * 37) % 11), sum += in[i];
    stats_area_downsample(in, 10, 7, out, 4, 3);
    for (int i = 0; i < 12; i++)
        osum += out[i];
    // Mass is conserved: each output cell averages (10/4) x (7/3) input pixels.
    assert_close(osum * (10.0 / 4) * (7.0 / 3), sum, 1e-6, 0, "area mass");
    for (int i = 0; i < 24; i++)
        blk[i] = (float)i;
    stats_area_downsample(blk, 6, 4, bo, 3, 2); // exact 2x2 block means
    assert_close(bo[0], (0 + 1 + 4 + 5) / 4.0, 0, 1e-6, "block mean");
    assert_close(bo[5], (18 + 19 + 22 + 23) / 4.0, 0, 1e-6, "block mean");
}

static void normalise_and_baselines(void **state) {
    (void)state;
    float m[4] = {2, 4, 6, 10}, k[3] = {3, 3, 3};
    assert_int_equal(stats_minmax_normalise(m, 4), 0);
    assert_true(m[0] == 0 && m[3] == 1 && fabsf(m[1] - 0.25f) < 1e-7f);
    assert_int_equal(stats_minmax_normalise(k, 3), 1);
    assert_true(k[0] == 0 && k[1] == 0 && k[2] == 0);
    float cb[9 * 13];
    stats_center_bias_map(cb, 9, 13);
    assert_close(cb[4 * 13 + 6], 1.0, 0, 1e-7, "centre peak");
    // One sigma (0.25 * 13 = 3.25 px) off centre along x: exp(-1/2). Symmetric.
    assert_close(cb[0 * 13 + 6], exp(-0.5 * pow(4 / 2.25, 2)), 1e-6, 0, "y profile");
    assert_close(cb[4 * 13 + 0], cb[4 * 13 + 12], 0, 1e-7, "x symmetry");
    assert_close(cb[4 * 13 + 0], exp(-0.5 * pow(6 / 3.25, 2)), 1e-6, 0, "x profile");
    // AUC-Judd of a constant map: every pixel ties, one ROC point (1,1): chance, 0.5.
    float flat[12] = {0};
    uint8_t fx[12] = {1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
    assert_close(stats_auc_judd(flat, fx, 12), 0.5, 0, 1e-15, "AUC-Judd constant map");
    assert_true(isnan(stats_auc_judd(flat, (uint8_t[12]){0}, 12)));
    float maps[2 * 3] = {1, 2, 3, 3, 4, 5}, mean[3];
    stats_mean_map(maps, 2, 3, mean);
    assert_true(mean[0] == 2 && mean[1] == 3 && mean[2] == 4);
}

static void metrics_bundle(void **state) {
    (void)state;
    enum { H = 16, W = 12 };
    float s[H * W], g[H * W], sn[H * W], gn[H * W];
    uint8_t fix[H * W] = {0};
    cx_rng r;
    cx_rng_seed(&r, 5, 0);
    for (int i = 0; i < H * W; i++) {
        s[i] = (float)(3 + 10 * cx_rng_uniform(&r));
        g[i] = (float)(-1 + cx_rng_uniform(&r));
        fix[i] = cx_rng_uniform(&r) < 0.1;
    }
    memcpy(sn, s, sizeof s), memcpy(gn, g, sizeof g);
    stats_minmax_normalise(sn, H * W), stats_minmax_normalise(gn, H * W);
    stats_map_metrics m;
    stats_map_metrics_compute(s, g, fix, H, W, &m);
    assert_close(m.ssim, stats_ssim(sn, gn, H, W), 0, 1e-15, "bundle ssim");
    assert_close(m.kl, stats_kl(sn, gn, H * W), 0, 1e-15, "bundle kl (ref || map)");
    assert_close(m.nss, stats_nss(sn, fix, H * W), 0, 1e-15, "bundle nss");
    assert_close(m.emd, stats_emd(sn, gn, H, W, 0, NULL), 0, 1e-15, "bundle emd");
    assert_int_equal(m.map_constant + m.ref_constant, 0);
    for (int i = 0; i < H * W; i++)
        s[i] = 7;
    stats_map_metrics_compute(s, g, NULL, H, W, &m);
    assert_int_equal(m.map_constant, 1);
    assert_true(isnan(m.cc) && isnan(m.kl) && isnan(m.emd) && isnan(m.nss));
    assert_false(isnan(m.ssim));
}

// The map goes through its sign mode and scale (stats_map_normalise), the reference through
// min-max whatever the norm: every metric equals the metric of hand-normalised copies, for all six
// modes, with and without scratch. On a signed map with a large negative region the default
// (abs, p98) and min-max (signed, minmax: the old behaviour) give different SSIMs.
static void metrics_bundle_map_norm(void **state) {
    (void)state;
    enum { H = 24, W = 20 };
    float s[H * W], g[H * W], sn[H * W], gn[H * W], work[2 * H * W];
    uint8_t fix[H * W] = {0};
    cx_rng r;
    cx_rng_seed(&r, 9, 0);
    for (int i = 0; i < H * W; i++) {
        double y = i / W, x = i % W;
        s[i] = (float)(-3 * exp(-((y - 8) * (y - 8) + (x - 6) * (x - 6)) / 40) +
                       exp(-((y - 17) * (y - 17) + (x - 14) * (x - 14)) / 10) +
                       0.05 * (cx_rng_uniform(&r) - 0.5));
        g[i] = (float)(exp(-((y - 9) * (y - 9) + (x - 7) * (x - 7)) / 30) - 0.5); // min-max'd
        fix[i] = cx_rng_uniform(&r) < 0.1;
    }
    double ssim_of[STATS_N_SIGNS][STATS_N_SCALES];
    for (int k = 0; k < STATS_N_SIGNS * STATS_N_SCALES; k++) {
        stats_map_norm norm = {(stats_map_sign)(k / 2), (stats_map_scale)(k % 2)};
        memcpy(sn, s, sizeof s), memcpy(gn, g, sizeof g);
        assert_int_equal(stats_map_normalise(sn, H * W, norm, NULL), 0);
        assert_int_equal(stats_minmax_normalise(gn, H * W), 0);
        stats_map_metrics m, mw;
        stats_map_metrics_ex(s, g, fix, H, W, STATS_M_ALL, 0, norm, NULL, &m);
        stats_map_metrics_ex(s, g, fix, H, W, STATS_M_ALL, 0, norm, work, &mw);
        const double want[STATS_N_METRICS] = {[STATS_SSIM] = stats_ssim(sn, gn, H, W),
                                              [STATS_CC] = stats_cc(sn, gn, H * W),
                                              [STATS_NSS] = stats_nss(sn, fix, H * W),
                                              [STATS_KL] = stats_kl(sn, gn, H * W),
                                              [STATS_SIM] = stats_sim(sn, gn, H * W),
                                              [STATS_AUC_JUDD] = stats_auc_judd(sn, fix, H * W),
                                              [STATS_EMD] = stats_emd(sn, gn, H, W, 0, NULL)};
        for (int j = 0; j < STATS_N_PAIR_METRICS; j++) {
            char what[64];
            snprintf(what, sizeof what, "%s %s_%s", stats_metric_name((stats_metric)j),
                     stats_map_sign_name(norm.sign), stats_map_scale_name(norm.scale));
            assert_close(stats_map_metric_value(&m, (stats_metric)j), want[j], 0, 1e-15, what);
            assert_close(stats_map_metric_value(&mw, (stats_metric)j), want[j], 0, 1e-15, what);
        }
        assert_int_equal(m.map_constant + m.ref_constant, 0);
        ssim_of[norm.sign][norm.scale] = m.ssim;
    }
    // The old min-max is signed + minmax: stats_map_metrics_compute (min-max both) agrees.
    stats_map_metrics mm;
    stats_map_metrics_compute(s, g, fix, H, W, &mm);
    assert_close(mm.ssim, ssim_of[STATS_SIGN_SIGNED][STATS_SCALE_MINMAX], 0, 0, "compute = minmax");
    // Zero at mid-grey vs zero at 0: the negative blob where the gaze is.
    assert_true(fabs(ssim_of[STATS_SIGN_ABS][STATS_SCALE_P98] -
                     ssim_of[STATS_SIGN_SIGNED][STATS_SCALE_MINMAX]) > 0.05);
    // A map <= 0 under positive is constant: flagged, no CC.
    for (int i = 0; i < H * W; i++)
        sn[i] = -fabsf(s[i]);
    stats_map_metrics c;
    stats_map_metrics_ex(sn, g, fix, H, W, STATS_M_ALL, 0,
                         (stats_map_norm){STATS_SIGN_POSITIVE, STATS_SCALE_P98}, work, &c);
    assert_int_equal(c.map_constant, 1), assert_int_equal(c.ref_constant, 0);
    assert_true(isnan(c.cc));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mit_metrics),      cmocka_unit_test(emd_vs_linprog),
        cmocka_unit_test(emd_closed_forms), cmocka_unit_test(emd_random_consistency),
        cmocka_unit_test(area_downsample),  cmocka_unit_test(normalise_and_baselines),
        cmocka_unit_test(metrics_bundle),   cmocka_unit_test(metrics_bundle_map_norm),
    };
    return cmocka_run_group_tests_name("stats/map_metrics", tests, NULL, NULL);
}
