// report on the faithfulness stage's files (hand-made rows written by study's writers): the
// section with both curve figures per model, the pooled AUC table (values as written, CIs), the
// random row, the finding naming the best methods and those no better than random; no section
// without faithfulness.csv.
#include "test.h"

#include "report/report.h"

static void write_case(const char *dir) {
    cx_error err;
    if (cx_mkdir_p(dir, &err)) fail_msg("%s", err.msg);
    const study_faith_row rows[] = {
        {"m", ATTR_SL, STUDY_ALL_LABELS, 6, 0.45, 0.40, 0.50, 0.30, 0.25, 0.35},
        {"m", ATTR_GC, STUDY_ALL_LABELS, 6, 0.12, 0.10, 0.14, 0.71, 0.65, 0.77},
        {"m", ATTR_GC, 2, 6, 0.12, 0.10, 0.14, 0.71, 0.65, 0.77},
        {"m", STUDY_FAITH_RANDOM, STUDY_ALL_LABELS, 6, 0.40, 0.35, 0.45, 0.41, 0.36, 0.46},
    };
    if (study_faith_write(dir, rows, 4, &err)) fail_msg("%s", err.msg);
    study_faith_curve cv[3 * 2 * 3];
    int n = 0;
    const int methods[3] = {ATTR_SL, ATTR_GC, STUDY_FAITH_RANDOM};
    for (int m = 0; m < 3; m++)
        for (int k = 0; k < 2; k++)
            for (int s = 0; s <= 2; s++)
                cv[n++] = (study_faith_curve){"m", methods[m], (study_faith_kind)k, s, s / 2.0,
                                              k ? 0.2 + 0.3 * s : 0.8 - 0.3 * s};
    if (study_faith_curves_write(dir, cv, n, &err)) fail_msg("%s", err.msg);
}

static char *build(const char *dir, const char *html) {
    cx_error err;
    const char *dirs[1] = {dir};
    if (report_build(html, 1, dirs, &err)) fail_msg("report_build: %s", err.msg);
    char *page;
    size_t n;
    if (cx_read_file(html, &page, &n, &err)) fail_msg("%s", err.msg);
    return page;
}

static void section_from_files(void **state) {
    (void)state;
    char dir[4096], html[4096], out[4096], png[4200];
    snprintf(dir, sizeof dir, "%s", test_out_path("report_faith/run"));
    snprintf(out, sizeof out, "%s", test_out_path("report_faith/report"));
    snprintf(html, sizeof html, "%s/report.html", out);
    write_case(dir);
    char *page = build(dir, html);
    assert_non_null(strstr(page, "Faithfulness: deletion and insertion (Petsiuk et al. 2018)"));
    assert_non_null(strstr(page, "<td>GC</td><td>6</td><td>0.120 (0.100-0.140)</td>"
                                 "<td>0.710 (0.650-0.770)</td>"));
    assert_non_null(strstr(page, "<td>random</td><td>6</td><td>0.400 (0.350-0.450)</td>"));
    assert_non_null(strstr(page, "order of GC's map lowers the model's probability "
                                 "fastest (deletion AUC 0.120, random order 0.400)"));
    assert_non_null(strstr(page, "No better than random on deletion: SL"));
    assert_non_null(strstr(page, "faithfulness_curves.csv"));
    for (int k = 0; k < 2; k++) {
        snprintf(png, sizeof png, "%s/fig_faith_0_m_%s.png", out, k ? "insertion" : "deletion");
        assert_true(cx_path_exists(png));
    }
    free(page);
    // Without faithfulness.csv: no section.
    char empty[4096];
    snprintf(empty, sizeof empty, "%s", test_out_path("report_faith/empty"));
    cx_mkdir_p(empty, NULL);
    snprintf(html, sizeof html, "%s/report2.html", out);
    page = build(empty, html);
    assert_null(strstr(page, "Faithfulness: deletion"));
    free(page);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(section_from_files)};
    return cmocka_run_group_tests_name("report/faithfulness", tests, NULL, NULL);
}
