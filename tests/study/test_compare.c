// study/compare on a hand-made pack (compare_fixture.h): a method whose maps ARE the gaze maps
// must score SSIM 1 and reproduce gaze's region distribution exactly (TV distance 0); the
// grouping into correct/incorrect follows the thresholds; GC and LC maps equal up to scale agree
// perfectly. Then the defects of issue 12 on variants of the pack, each against the definition
// (METHODS.md §3). The files' writers and readers: test_compare_files.c.
#include "study/compare_fixture.h"

// Value of column col in the first row of path where every (key, value) pair matches (read
// with the plain CSV reader: independent of study's readers).
static double lookup(const char *path, const char *col, int n, const char *const *kv) {
    cx_error err;
    csv_table *t = csv_table_read(path, &err);
    if (!t) fail_msg("%s", err.msg);
    double v = NAN;
    for (int64_t r = 0; r < csv_nrows(t) && isnan(v); r++) {
        int ok = 1;
        for (int k = 0; k < n; k++) ok &= !strcmp(csv_get(t, r, csv_col(t, kv[2 * k])), kv[2 * k + 1]);
        if (ok) csv_parse_double(csv_get(t, r, csv_col(t, col)), &v);
    }
    csv_table_free(t);
    return v;
}

static study_compare_result result; // of the run on the fixture, for the tests below

static void compare_on_hand_made_pack(void **state) {
    (void)state;
    write_fixture("compare_case");
    study_compare_settings o;
    fixture_settings(&o);
    cx_error err;
    if (study_compare(&o, &result, &err)) fail_msg("study_compare: %s", err.msg);
    char p[4096];

    path_in(p, "compare/ssim.csv");
    const char *sl_cor[8] = {"model", "m", "method", "sl", "label", "Cardiomegaly", "group", "correct"};
    assert_close(lookup(p, "mean", 4, sl_cor), 1.0, 0, 1e-9, "SSIM of gaze with itself");
    assert_close(lookup(p, "n", 4, sl_cor), N / 2, 0, 0, "correct maps (p >= 0.5)");
    const char *sl_inc[8] = {"model", "m", "method", "sl", "label", "all", "group", "incorrect"};
    assert_close(lookup(p, "n", 4, sl_inc), N / 2, 0, 0, "incorrect maps");
    assert_close(lookup(p, "mean", 4, sl_inc), 1.0, 0, 1e-9, "SSIM, pooled");
    const char *gc_cor[8] = {"model", "m", "method", "gc", "label", "all", "group", "correct"};
    assert_true(lookup(p, "mean", 4, gc_cor) < 0.9); // mirrored blobs are elsewhere
    const char *cb[8] = {"model", "m", "method", "centre_bias", "label", "all", "group", "correct"};
    assert_close(lookup(p, "n", 4, cb), N / 2, 0, 0, "baseline under the same grouping");

    path_in(p, "compare/metrics.csv");
    const char *cc[10] = {"model", "m", "method", "sl", "metric", "cc", "label", "all", "group", "correct"};
    assert_close(lookup(p, "mean", 5, cc), 1.0, 0, 1e-6, "CC of gaze with itself");
    const char *emd[10] = {"model", "m", "method", "sl", "metric", "emd", "label", "all", "group", "correct"};
    assert_close(lookup(p, "mean", 5, emd), 0.0, 0, 1e-6, "EMD of gaze with itself");

    // Regions: sl reproduces gaze's distribution; gc mirrors the lungs.
    path_in(p, "compare/region_distance.csv");
    const char *sl_d[6] = {"model", "m", "method", "sl", "label", "Cardiomegaly"};
    assert_close(lookup(p, "tv_distance", 3, sl_d), 0.0, 0, 1e-12, "TV(sl, gaze)");
    path_in(p, "compare/regions.csv");
    const char *g_r[8] = {"method", "gaze", "label", "Cardiomegaly", "region", "right_lung", "model", "-"};
    const char *s_r[8] = {"method", "sl", "label", "Cardiomegaly", "region", "right_lung", "model", "m"};
    double gaze_right = lookup(p, "fraction", 4, g_r);
    assert_true(gaze_right > 0.1);
    assert_close(lookup(p, "fraction", 4, s_r), gaze_right, 0, 1e-12, "sl right-lung fraction");
    path_in(p, "compare/region_distance.csv");
    const char *gc_d[6] = {"model", "m", "method", "gc", "label", "Cardiomegaly"};
    assert_true(lookup(p, "tv_distance", 3, gc_d) > 0.05); // mirrored maps move the mass

    // Truth = where gaze > 0.5: gaze and sl put the same, concentrated share of mass there.
    path_in(p, "compare/truth.csv");
    const char *tg[6] = {"method", "gaze", "label", "all", "model", "-"};
    const char *ts[6] = {"method", "sl", "label", "all", "model", "m"};
    double rg = lookup(p, "ratio", 3, tg);
    assert_true(rg > 2);
    assert_close(lookup(p, "ratio", 3, ts), rg, 1e-3, 0, "sl = gaze on the truth");

    // GC and LC: the same maps after min-max normalisation.
    path_in(p, "compare/gc_lc.csv");
    const char *gl[2] = {"model", "m"};
    assert_close(lookup(p, "n", 1, gl), N, 0, 0, "every map pair counted");
    assert_close(lookup(p, "mean_cc", 1, gl), 1.0, 0, 1e-6, "CC of equal maps");
    assert_close(lookup(p, "mean_ssim", 1, gl), 1.0, 0, 1e-6, "SSIM of equal maps");

    // Bad input: a directory without maps.csv is named.
    study_compare_settings bad = o;
    char data[4096];
    path_in(data, "data");
    bad.attr_dir[0] = data;
    study_compare_result r2;
    assert_int_equal(study_compare(&bad, &r2, &err), -1);
    assert_non_null(strstr(err.msg, "maps.csv"));
}

// The typed result says what the files say, and more (grids, distributions).
static void result_is_typed(void **state) {
    (void)state;
    const study_compare_model *m = &result.model[0];
    assert_int_equal(result.n_models, 1);
    assert_int_equal(result.n_gaze_test, N);
    assert_int_equal(m->n_methods, 3);
    assert_int_equal(m->method[0], ATTR_SL);
    assert_int_equal(m->method[1], ATTR_GC);
    assert_int_equal(m->method[2], ATTR_LC);
    assert_int_equal(m->n_analysed, N);
    assert_int_equal(m->n_correct, N / 2);
    // sl's regions are gaze's: the same counts.
    assert_memory_equal(&m->regions[0], &result.gaze_regions, sizeof result.gaze_regions);
    assert_int_equal(result.gaze_regions.n[CARDIO], N);
    const study_metric_row *r = study_compare_pooled_ssim(&result, "m", ATTR_SL, STUDY_CORRECT);
    assert_non_null(r);
    assert_close(r->mean, 1.0, 0, 1e-9, "pooled SSIM of sl, correct");
    assert_int_equal(r->n, N / 2);
    assert_null(study_compare_pooled_ssim(&result, "other", ATTR_SL, STUDY_CORRECT));
    // Grid: 4 distinct images, correct ones (even images, p = 0.9) first; raw maps with the
    // run's normalisation recorded.
    const study_compare_grid *g = &m->grid;
    assert_int_equal(g->n_rows, 4);
    assert_int_equal(g->n_cols, 4);
    for (int k = 0; k < g->n_rows; k++) {
        assert_true(g->row[k].correct);
        assert_close(g->row[k].probability, 0.9, 0, 1e-6, "probability of a correct row");
        assert_int_equal(g->row[k].label, CARDIO);
    }
    assert_string_equal(g->row[0].dicom_id, "img00");
    assert_string_equal(g->row[1].dicom_id, "img02");
    size_t npix = (size_t)S * S;
    assert_int_equal(g->norm.sign, STATS_SIGN_ABS);
    assert_int_equal(g->norm.scale, STATS_SCALE_MINMAX);
    // Column 0 is sl = gaze, the last column gaze, both raw: the fixture's gaze map of img00,
    // column 2 (lc) its mirror image times 2 plus 1.
    float want[S * S];
    uint8_t fix[S * S];
    gaze_map(0, want, fix);
    assert_memory_equal(g->maps, want, npix * sizeof(float));
    assert_memory_equal(g->maps + 3 * npix, want, npix * sizeof(float));
    assert_close(g->maps[2 * npix + 5], 2 * want[S - 1 - 5] + 1, 0, 1e-6, "lc is raw");
}

// ---- the defects of issue 12, each on a constructed case -------------------------------------
// study_compare on the fixture variant o (written to tests/out/<name>), settings from
// fixture_settings then adjusted by norm.
static void run_variant(const char *name, const fixture_opts *fo, stats_map_norm norm,
                        study_compare_result *r) {
    write_fixture_with(name, fo);
    study_compare_settings o;
    fixture_settings(&o);
    o.norm = norm;
    cx_error err;
    if (study_compare(&o, r, &err)) fail_msg("study_compare: %s", err.msg);
}

static const study_metric_row *metric_row(const study_compare_result *r, int source,
                                          stats_metric metric, int label, study_group g) {
    for (int64_t i = 0; i < r->n_metrics; i++) {
        const study_metric_row *x = &r->metrics[i];
        if (x->source == source && x->metric == metric && x->label == label && x->group == g)
            return x;
    }
    fail_msg("no metrics row for %s %s label %d", study_source_name(source), stats_metric_name(metric),
             label);
    return NULL;
}

static const study_region_distance_row *distance_row(const study_compare_result *r, int source,
                                                     int label) {
    for (int64_t i = 0; i < r->n_distance; i++)
        if (r->distance[i].source == source && r->distance[i].label == label) return &r->distance[i];
    return NULL;
}

static const study_sensitivity_row *sensitivity_row(const study_compare_result *r, int source,
                                                    int label, stats_map_norm norm) {
    for (int64_t i = 0; i < r->n_sensitivity; i++) {
        const study_sensitivity_row *x = &r->sensitivity[i];
        if (x->source == source && x->label == label && x->norm.sign == norm.sign &&
            x->norm.scale == norm.scale)
            return x;
    }
    fail_msg("no sensitivity row for %s label %d", study_source_name(source), label);
    return NULL;
}

static const stats_map_norm ABS_MINMAX = {STATS_SIGN_ABS, STATS_SCALE_MINMAX};
static const stats_map_norm ABS_P98 = {STATS_SIGN_ABS, STATS_SCALE_P98};
static const stats_map_norm SIGNED_MINMAX = {STATS_SIGN_SIGNED, STATS_SCALE_MINMAX};

// SSIM of a method's raw map (normalised by norm) with image i's gaze (min-max): METHODS.md §3
// from the shared functions. NaN for a constant map.
static double ssim_of(const float *raw, int i, stats_map_norm norm) {
    static float a[S * S], g[S * S];
    static uint8_t fix[S * S];
    memcpy(a, raw, sizeof a);
    gaze_map(i, g, fix);
    if (stats_map_normalise(a, S * S, norm, NULL)) return NAN;
    stats_minmax_normalise(g, S * S);
    return stats_ssim(a, g, S, S);
}

// The fixture's raw maps of image i: gaze, its mirror image (gc) and -gaze (dl).
static void raw_maps(int i, float *gaze, float *gc, float *dl) {
    uint8_t fix[S * S];
    gaze_map(i, gaze, fix);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) gc[y * S + x] = gaze[y * S + (S - 1 - x)];
    for (int q = 0; q < S * S; q++) dl[q] = -gaze[q];
}

// Defect 1: sl maps that are all zero (GradCAM's ReLU on a cam <= 0) are left out of the means,
// the CIs, the test and the region distributions, and counted. The rest of sl is gaze itself:
// SSIM 1 exactly, agreement 1. Failed before the fix: n 6 and n_constant absent, mean SSIM < 1
// (the zero maps' SSIM averaged in), regions n 12.
static void constant_maps_left_out(void **state) {
    (void)state;
    fixture_opts fo = {0};
    fo.sl_zero[0] = fo.sl_zero[2] = fo.sl_zero[1] = 1u << CARDIO; // two correct, one incorrect
    study_compare_result r;
    run_variant("compare_constant", &fo, ABS_MINMAX, &r);
    const study_metric_row *c = metric_row(&r, ATTR_SL, STATS_SSIM, CARDIO, STUDY_CORRECT);
    assert_int_equal(c->n, 4);
    assert_int_equal(c->n_constant, 2);
    assert_close(c->mean, 1.0, 0, 1e-9, "SSIM of the non-constant sl maps");
    assert_close(c->ci_lo, 1.0, 0, 1e-9, "CI of the non-constant sl maps");
    const study_metric_row *inc = metric_row(&r, ATTR_SL, STATS_CC, STUDY_ALL_LABELS, STUDY_INCORRECT);
    assert_int_equal(inc->n, 5);
    assert_int_equal(inc->n_constant, 1);
    assert_close(inc->mean, 1.0, 0, 1e-6, "CC of the non-constant sl maps");
    // Baselines: the centre bias is never constant; the mean training gaze of a pack without
    // training gaze is all zero: every pair counted as constant, no mean.
    const study_metric_row *cb = metric_row(&r, STUDY_SOURCE_CENTRE_BIAS, STATS_SSIM, CARDIO, STUDY_CORRECT);
    assert_int_equal(cb->n, N / 2);
    assert_int_equal(cb->n_constant, 0);
    const study_metric_row *mg = metric_row(&r, STUDY_SOURCE_MEAN_GAZE, STATS_SSIM, CARDIO, STUDY_CORRECT);
    assert_int_equal(mg->n, 0);
    assert_int_equal(mg->n_constant, N / 2);
    assert_true(isnan(mg->mean));
    // Regions: 9 pairs with a most-salient region, 3 constant; the same regions as gaze's on them.
    const study_region_dist *d = &r.model[0].regions[0];
    assert_int_equal(d->n[CARDIO], N - 3);
    assert_int_equal(d->n_constant[CARDIO], 3);
    assert_int_equal(r.gaze_regions.n[CARDIO], N);
    assert_int_equal(r.gaze_regions.n_constant[CARDIO], 0);
    int64_t sum = 0;
    for (int g = 0; g < CX_N_REGIONS; g++) sum += d->counts[CARDIO][g];
    assert_int_equal(sum, N - 3);
    const study_region_distance_row *dr = distance_row(&r, ATTR_SL, CARDIO);
    assert_non_null(dr);
    assert_int_equal(dr->n, N - 3);
    assert_close(dr->agreement, 1.0, 0, 0, "sl = gaze on every non-constant pair");
    for (int64_t i = 0; i < r.n_regions; i++)
        if (r.regions[i].source == ATTR_SL) {
            assert_int_equal(r.regions[i].n, N - 3);
            assert_int_equal(r.regions[i].n_constant, 3);
        }
    study_compare_result_free(&r);
}

// Defect 2: gaze and the methods on the same pairs. Images 0 and 1 are positive for four more
// labels, so the pairs weigh them five times where the images weigh them once. sl is gaze's map
// for every pair: with z-scores over the same pairs its most-salient region is gaze's on every
// pair, for every label (agreement 1, TV 0, equal distributions). Failed before the fix: gaze
// z-scored over the 12 images, sl over the 20 pairs: different region counts.
static void same_pairs_for_every_map_type(void **state) {
    (void)state;
    fixture_opts fo = {0};
    const int extra[4] = {2, 3, 4, 5};
    for (int i = 0; i < 2; i++) {
        fo.positive[i] = 1u << CARDIO;
        for (int k = 0; k < 4; k++) fo.positive[i] |= 1u << extra[k];
    }
    study_compare_result r;
    run_variant("compare_pairs", &fo, ABS_MINMAX, &r);
    const study_region_dist *sl = &r.model[0].regions[0];
    int labels[5] = {CARDIO, 2, 3, 4, 5};
    for (int k = 0; k < 5; k++) {
        int c = labels[k];
        assert_int_equal(r.gaze_regions.n[c], c == CARDIO ? N : 2);
        assert_int_equal(sl->n[c], r.gaze_regions.n[c]);
        assert_memory_equal(sl->counts[c], r.gaze_regions.counts[c], sizeof sl->counts[c]);
        const study_region_distance_row *d = distance_row(&r, ATTR_SL, c);
        assert_non_null(d);
        assert_int_equal(d->n, r.gaze_regions.n[c]);
        assert_close(d->tv_distance, 0, 0, 0, "TV(sl, gaze)");
        assert_close(d->agreement, 1, 0, 0, "agreement(sl, gaze)");
        assert_close(d->stuart_maxwell, 0, 0, 0, "no discordant pair");
        assert_close(d->p, 1, 0, 0, "p");
    }
    assert_int_equal(r.n_pairs, N + 2 * 4);
    study_compare_result_free(&r);
}

// Most-salient region of each of n maps [n,S,S] (already normalised) by METHODS.md §3: region
// masses, z-scores over the n maps, argmax (the stats functions, tested on their own).
static void most_salient_of(const float *maps, int n, int *most) {
    static uint8_t masks[4 * S * S];
    fixture_region_masks(masks);
    double *p = malloc(sizeof(double) * 4 * n), *z = malloc(sizeof(double) * 4 * n);
    for (int j = 0; j < n; j++) stats_region_mass(maps + (size_t)j * S * S, masks, 4, S * S, p + 4 * j);
    stats_region_z_scores(p, (size_t)n, 4, z, NULL);
    for (int j = 0; j < n; j++) most[j] = stats_most_salient_region(z + 4 * j, 4);
    free(p);
    free(z);
}

// Defect 3: paired statistics. gc (gaze mirrored) against gaze on the 12 pairs: the table of
// (gaze's, gc's) most-salient regions built here from the definition; agreement, kappa and
// Stuart-Maxwell of that table, and as n = 12 < 30 the exact permutation p (not the chi-square
// p, which differs here). Failed before the fix: no paired statistics (a chi-square test of two
// independent samples).
static void paired_region_statistics(void **state) {
    (void)state;
    static float gz[N * S * S], gc[N * S * S];
    for (int i = 0; i < N; i++) {
        float dl[S * S];
        raw_maps(i, gz + i * S * S, gc + i * S * S, dl);
        stats_minmax_normalise(gz + i * S * S, S * S);
        stats_map_normalise(gc + i * S * S, S * S, ABS_MINMAX, NULL);
    }
    int mg[N], mm[N];
    most_salient_of(gz, N, mg);
    most_salient_of(gc, N, mm);
    int64_t table[16] = {0};
    for (int i = 0; i < N; i++) table[mg[i] * 4 + mm[i]]++;
    stats_stuart_maxwell_test sm;
    stats_stuart_maxwell(table, 4, &sm);
    int exact;
    double p = stats_stuart_maxwell_permutation(table, 4, 10, 0, &exact);
    assert_true(exact && sm.stat > 0 && fabs(p - sm.p) > 1e-3); // a case that tells them apart
    const study_region_distance_row *d = distance_row(&result, ATTR_GC, CARDIO);
    assert_non_null(d);
    assert_int_equal(d->n, N);
    assert_close(d->agreement, stats_agreement(table, 4), 0, 1e-15, "agreement");
    assert_true(d->agreement < 1);
    assert_close(d->kappa, stats_cohen_kappa(table, 4, NULL), 0, 1e-15, "kappa");
    assert_close(d->stuart_maxwell, sm.stat, 0, 1e-12, "Stuart-Maxwell");
    assert_int_equal(d->dof, sm.dof);
    assert_close(d->p, p, 0, 1e-15, "exact permutation p");
    // The two distributions over these pairs: TV of the table's margins.
    int64_t rows[4] = {0}, cols[4] = {0};
    for (int i = 0; i < N; i++) rows[mg[i]]++, cols[mm[i]]++;
    assert_close(d->tv_distance, stats_tv_distance(rows, cols, 4), 0, 1e-15, "TV");
}

// Defect 4: images of one patient are not independent. Patients own three images each (0-2,
// 3-5, ...), images 0-5 are also positive for Edema. The pooled gc SSIM rows: the CI is the
// patient bootstrap of the pairs' values, the permutation p permutes correct/incorrect within
// each label's pairs (the oracles: the stats functions on the values computed here). Failed
// before the fix: the naive bootstrap and the pooled permutation, which differ (asserted).
static void patients_and_labels_respected(void **state) {
    (void)state;
    enum { EDEMA = 3 };
    static const int patient[N] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3};
    fixture_opts fo = {.patient = patient};
    for (int i = 0; i < 6; i++) fo.positive[i] = 1u << CARDIO | 1u << EDEMA;
    study_compare_result r;
    run_variant("compare_patients", &fo, ABS_MINMAX, &r);
    study_compare_settings o;
    fixture_settings(&o);
    // The gc pairs in map order (image, then label): value, patient, label, correct.
    double v[2][2 * N], all[2 * N];
    int64_t pat[2][2 * N], lab[2 * N];
    uint8_t correct[2 * N];
    size_t nv[2] = {0, 0}, n = 0;
    for (int i = 0; i < N; i++)
        for (int c = 0; c < CX_N_LABELS; c++) {
            if (!(fixture_positive(&fo, i) >> c & 1)) continue;
            float g[S * S], gc[S * S], dl[S * S];
            raw_maps(i, g, gc, dl);
            double x = ssim_of(gc, i, ABS_MINMAX);
            int k = i % 2; // odd images: incorrect
            v[k][nv[k]] = x, pat[k][nv[k]++] = patient[i];
            all[n] = x, lab[n] = c, correct[n++] = !k;
        }
    for (int k = 0; k < 2; k++) {
        stats_ci want, naive;
        stats_bootstrap_mean_ci_clustered(v[k], pat[k], nv[k], o.n_bootstrap, 0.95, o.seed, &want);
        stats_bootstrap_mean_ci(v[k], nv[k], o.n_bootstrap, 0.95, o.seed, &naive);
        assert_true(want.lo != naive.lo || want.hi != naive.hi);
        const study_metric_row *row = metric_row(&r, ATTR_GC, STATS_SSIM, STUDY_ALL_LABELS, (study_group)k);
        assert_int_equal(row->n, (int64_t)nv[k]);
        assert_close(row->mean, want.estimate, 0, 1e-12, "mean");
        assert_close(row->ci_lo, want.lo, 0, 1e-12, "patient-bootstrap CI low");
        assert_close(row->ci_hi, want.hi, 0, 1e-12, "patient-bootstrap CI high");
    }
    double want_p = stats_permutation_test_strata(all, correct, lab, n, o.n_permutations, o.seed,
                                                  NULL, NULL);
    double naive_p = stats_permutation_test(v[0], nv[0], v[1], nv[1], o.n_permutations, o.seed,
                                            NULL, NULL);
    assert_true(want_p != naive_p);
    const study_metric_row *row = metric_row(&r, ATTR_GC, STATS_SSIM, STUDY_ALL_LABELS, STUDY_CORRECT);
    assert_close(row->p_perm, want_p, 0, 0, "permutation p within labels");
    study_compare_result_free(&r);
}

// Defect 5: the map normalisation. dl = -gaze: by its absolute value it is gaze (SSIM 1, gaze's
// regions); signed and min-max normalised it is 1 - gaze. sensitivity.csv holds mean SSIM under
// the three variants whatever --map-sign/--map-scale say; the default abs-p98 clips sl's top.
// Failed before the fix: dl's SSIM under abs-minmax was that of 1 - gaze.
static void map_normalisation_and_sensitivity(void **state) {
    (void)state;
    fixture_opts fo = {.with_dl = 1};
    study_compare_result r;
    run_variant("compare_norm", &fo, ABS_MINMAX, &r);
    const study_metric_row *dl = metric_row(&r, ATTR_DL, STATS_SSIM, STUDY_ALL_LABELS, STUDY_CORRECT);
    assert_close(dl->mean, 1.0, 0, 1e-9, "|dl| = gaze");
    const study_region_distance_row *d = distance_row(&r, ATTR_DL, CARDIO);
    assert_close(d->agreement, 1, 0, 0, "|dl| has gaze's regions");
    assert_int_equal(r.model[0].grid.norm.scale, STATS_SCALE_MINMAX);
    // The three variants, by the definition, per group.
    const stats_map_norm variants[3] = {ABS_P98, ABS_MINMAX, SIGNED_MINMAX};
    for (int v = 0; v < 3; v++)
        for (int src = 0; src < 2; src++) {
            int method = src ? ATTR_DL : ATTR_SL;
            double sum[2] = {0, 0};
            for (int i = 0; i < N; i++) {
                float g[S * S], gc[S * S], neg[S * S];
                raw_maps(i, g, gc, neg);
                sum[i % 2] += ssim_of(src ? neg : g, i, variants[v]);
            }
            const study_sensitivity_row *row = sensitivity_row(&r, method, STUDY_ALL_LABELS, variants[v]);
            assert_int_equal(row->n, N);
            assert_close(row->mean_correct, sum[0] / (N / 2), 0, 1e-9, "mean SSIM, correct");
            assert_close(row->mean_incorrect, sum[1] / (N / 2), 0, 1e-9, "mean SSIM, incorrect");
            assert_close(row->diff, row->mean_correct - row->mean_incorrect, 0, 1e-15, "diff");
            const study_sensitivity_row *per = sensitivity_row(&r, method, CARDIO, variants[v]);
            assert_close(per->diff, row->diff, 0, 1e-15, "one label: the pooled values");
        }
    assert_true(sensitivity_row(&r, ATTR_DL, STUDY_ALL_LABELS, SIGNED_MINMAX)->mean_correct < 0.5);
    assert_true(sensitivity_row(&r, ATTR_SL, STUDY_ALL_LABELS, ABS_P98)->mean_correct < 1 - 1e-6);
    // The run's own variant in ssim.csv equals its sensitivity row.
    assert_close(sensitivity_row(&r, ATTR_DL, STUDY_ALL_LABELS, ABS_MINMAX)->mean_correct, dl->mean,
                 0, 1e-12, "ssim.csv = sensitivity.csv");
    study_compare_result_free(&r);
    // Default abs-p98: dl scores as sl (|dl| = sl); compare.json records it.
    run_variant("compare_norm_p98", &fo, ABS_P98, &r);
    const study_metric_row *a = metric_row(&r, ATTR_DL, STATS_SSIM, STUDY_ALL_LABELS, STUDY_CORRECT),
                           *b = metric_row(&r, ATTR_SL, STATS_SSIM, STUDY_ALL_LABELS, STUDY_CORRECT);
    assert_close(a->mean, b->mean, 0, 1e-12, "abs: dl = sl");
    assert_true(a->mean < 1 - 1e-6);
    study_compare_result_free(&r);
    char p[4096];
    path_in(p, "compare/compare.json");
    study_compare_summary sum;
    cx_error err;
    if (study_compare_json_read(p, &sum, &err)) fail_msg("%s", err.msg);
    assert_int_equal(sum.norm.sign, STATS_SIGN_ABS);
    assert_int_equal(sum.norm.scale, STATS_SCALE_P98);
}

static int teardown(void **state) {
    (void)state;
    study_compare_result_free(&result);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compare_on_hand_made_pack),
        cmocka_unit_test(result_is_typed),
        cmocka_unit_test(paired_region_statistics),
        cmocka_unit_test(constant_maps_left_out),
        cmocka_unit_test(same_pairs_for_every_map_type),
        cmocka_unit_test(patients_and_labels_respected),
        cmocka_unit_test(map_normalisation_and_sensitivity),
    };
    return cmocka_run_group_tests_name("study/compare", tests, NULL, teardown);
}
