// report on compare's outputs (the hand-made case of tests/study/compare_fixture.h): the figures
// drawn from study_compare's result, and report_build gathering compare's files (read through
// study's readers) into one page with findings.
#include "study/compare_fixture.h"

#include "report/report.h"

static void figures_from_the_result(void **state) {
    (void)state;
    write_fixture("report_compare_case");
    study_compare_settings o;
    fixture_settings(&o);
    study_compare_result r;
    cx_error err;
    if (study_compare(&o, &r, &err)) fail_msg("study_compare: %s", err.msg);
    int rc = report_compare_figures(o.out_dir, &r, &err);
    study_compare_result_free(&r);
    if (rc) fail_msg("report_compare_figures: %s", err.msg);
    char p[4096];
    path_in(p, "compare/grid_m.png");
    assert_true(cx_path_exists(p));
    path_in(p, "compare/ssim_m.svg");
    assert_true(cx_path_exists(p));
    // One panel figure per model (Cardiomegaly: 12 gaze pairs), no figure per label.
    path_in(p, "compare/regions_m.png");
    assert_true(cx_path_exists(p));
    path_in(p, "compare/regions_m.svg");
    assert_true(cx_path_exists(p));
    path_in(p, "compare/regions_m_Cardiomegaly.png");
    assert_false(cx_path_exists(p));
}

static void report_gathers_outputs(void **state) {
    (void)state;
    char html[4096], cmp[4096], data[4096];
    path_in(html, "report/report.html");
    path_in(cmp, "compare");
    path_in(data, "data");
    const char *dirs[2] = {data, cmp};
    cx_error err;
    if (report_build(html, 2, dirs, &err)) fail_msg("report_build: %s", err.msg);
    char *page;
    size_t n;
    assert_int_equal(cx_read_file(html, &page, &n, &err), 0);
    assert_non_null(strstr(page, "Findings in plain words"));
    assert_non_null(strstr(page, "centre-bias baseline"));
    assert_non_null(strstr(page,
                           "<table class=\"paper ssim\"><caption>m: mean SSIM between saliency "
                           "maps and radiologist gaze"));
    assert_non_null(strstr(page, "data:image/png;base64,"));
    assert_non_null(strstr(page, "gaze beats the centre-bias baseline"));
    // From ssim.csv: sl is the gaze map itself, so SSIM 1 with CI 1-1 on both groups (6 pairs
    // each: even images predicted 0.9, odd 0.1, threshold 0.5), the best of the column: bold.
    assert_non_null(strstr(page,
                           ">SL</th><td title=\"Saliency, Cardiomegaly, correct predictions: "
                           "mean SSIM 1.000, 95% CI 1.000 to 1.000 (patient bootstrap), n = 6 "
                           "maps; correct vs incorrect: permutation p = 1\"><b>1.000</b></td>"));
    // Pairs correct / incorrect; the fixture has no training gaze, so the mean-gaze baseline is an
    // all-zero map, constant on all 12 pairs: left out, counted, shown as dashes.
    assert_non_null(strstr(page, ">Cardio\xc2\xadmegaly<br>6 / 6<br>(12 const.)</th>"));
    assert_non_null(strstr(page, ">mean gaze</th><td title=\"mean training gaze baseline, "
                                 "Cardiomegaly, correct predictions: no maps (all constant)\">"
                                 "\xe2\x80\x94</td>"));
    // From gc_lc.csv: GC = LC.
    assert_non_null(
        strstr(page, "m: GradCAM and Layer Conductance maps coincide (mean correlation 1.0000)"));
    // Every file link resolves from the page's directory.
    int links = 0;
    for (char *h = strstr(page, "href=\""); h; h = strstr(h + 1, "href=\"")) {
        char rel[1024], abs[5200];
        const char *e = strchr(h + 6, '"');
        snprintf(rel, sizeof rel, "%.*s", (int)(e - h - 6), h + 6);
        char dir[4096];
        path_in(dir, "report");
        snprintf(abs, sizeof abs, "%s/%s", dir, rel);
        if (!cx_path_exists(abs)) fail_msg("link %s does not resolve (%s)", rel, abs);
        links++;
    }
    assert_true(links >= 6); // compare.json, ssim, metrics, regions, region_distance, truth, gc_lc
    free(page);
    char md[4096];
    path_in(md, "report/report.md");
    assert_true(cx_path_exists(md));
    const char *nodir[1] = {"/nonexistent/dir"};
    assert_int_equal(report_build(html, 1, nodir, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/dir"));
}

// With radiologist readings (images 0-3: three REFLACX readings equal to the gaze map; image 4:
// EGD's and one REFLACX, equal; image 5: one reading): the readers' SSIM ceiling is 1, sl (the
// gaze map itself) reaches 100% of it and gc its pooled mean SSIM; the ceiling's table, the
// findings sentence, the band on the SSIM chart (the figure differs from the one drawn without
// the ceiling) and the REFLACX columns of the data summary.
static void ceiling_in_the_report(void **state) {
    (void)state;
    static readings rd;
    rd.n = 0;
    for (int i = 0; i < 6; i++)
        for (int q = 0; q < (i < 4 ? 3 : i == 4 ? 2 : 1); q++)
            add_reading(&rd, i, i == 4 && q == 0 ? READING_EGD : READING_REFLACX, blob_cx(i),
                        blob_cy(i), 0);
    fixture_opts fo = {.n_readings = rd.n, .reading_gaze = rd.gaze, .reading_fixations = rd.fix,
                       .reading_row = rd.row, .reading_source = rd.source, .reading_id = rd.id};
    write_fixture_with("report_ceiling_case", &fo);
    study_compare_settings o;
    fixture_settings(&o);
    study_compare_result r;
    cx_error err;
    if (study_compare(&o, &r, &err)) fail_msg("study_compare: %s", err.msg);
    // gc's SSIM, both groups pooled (weighted by n): the lowest share of the ceiling (1).
    double sum = 0;
    int64_t k = 0;
    for (int g = 0; g < STUDY_N_GROUPS; g++) {
        const study_metric_row *x = study_compare_pooled_ssim(&r, "m", ATTR_GC, (study_group)g);
        sum += x->n * x->mean, k += x->n;
    }
    double gc = sum / k;
    assert_true(gc < 0.9);
    if (report_compare_figures(o.out_dir, &r, &err)) fail_msg("%s", err.msg);
    char p[4096], q[4096];
    path_in(p, "compare/ssim_m.png");
    path_in(q, "no_band");
    cx_mkdir_p(q, NULL);
    int64_t n_io = r.n_interobserver;
    r.n_interobserver = 0; // the same result without the ceiling
    if (report_compare_figures(q, &r, &err)) fail_msg("%s", err.msg);
    r.n_interobserver = n_io;
    study_compare_result_free(&r);
    char *with, *without;
    size_t nw, nwo;
    path_in(q, "no_band/ssim_m.png");
    if (cx_read_file(p, &with, &nw, &err) || cx_read_file(q, &without, &nwo, &err))
        fail_msg("%s", err.msg);
    assert_true(nw != nwo || memcmp(with, without, nw)); // the band changes the drawing
    free(with);
    free(without);

    char html[4096], cmp[4096], data[4096];
    path_in(html, "report/report.html");
    path_in(cmp, "compare");
    path_in(data, "data");
    path_in(p, "data/summary.json"); // the data summary is drawn for a pack with one
    if (cx_write_file_atomic(p, "{}", 2, &err)) fail_msg("%s", err.msg);
    const char *dirs[2] = {data, cmp};
    if (report_build(html, 2, dirs, &err)) fail_msg("report_build: %s", err.msg);
    char *page;
    size_t n;
    assert_int_equal(cx_read_file(html, &page, &n, &err), 0);
    char want[400];
    snprintf(want, sizeof want,
             "Saliency methods reach %.0f-100%% of the inter-observer SSIM: one radiologist's "
             "gaze map against the mean of the others scores SSIM 1.000 (95%% CI 1.000 to 1.000; "
             "14 readings of 5 test images read by at least two radiologists).",
             100 * gc);
    if (!strstr(page, want)) fail_msg("no finding \"%s\"", want);
    assert_non_null(strstr(page, "<caption>The inter-observer ceiling (interobserver.csv)"));
    assert_non_null(strstr(page, "<td>ssim</td><td>1.000 (1.000 to 1.000)</td><td>5 / 14</td>"
                                 "<td>1.000 (1.000 to 1.000)</td><td>1 / 1</td>"));
    assert_non_null(strstr(page, "Dashed line and shaded band: the inter-observer ceiling"));
    // Data summary: 14 REFLACX readings (3 x 4 + 1 + 1) of 6 test images; 5 with >= 2 readings.
    assert_non_null(strstr(page, "REFLACX readings (images)"));
    assert_non_null(strstr(page, "<td>14 (6)</td><td>5</td>"));
    free(page);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(figures_from_the_result),
        cmocka_unit_test(report_gathers_outputs),
        cmocka_unit_test(ceiling_in_the_report),
    };
    return cmocka_run_group_tests_name("report/compare", tests, NULL, NULL);
}
