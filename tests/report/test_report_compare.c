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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(figures_from_the_result),
        cmocka_unit_test(report_gathers_outputs),
    };
    return cmocka_run_group_tests_name("report/compare", tests, NULL, NULL);
}
