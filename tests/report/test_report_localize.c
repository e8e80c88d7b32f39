// report on localize's outputs (the hand-made case of tests/study/localize_fixture.h): the
// "Localisation" section gathers localize.csv through study's reader: the grouped bar charts
// (labels x sources with CI whiskers), the pooled table with the hand-computed mIoU 7/12 and hit
// rate 3/4 of sl, gaze and the centre bias beside it, the finding, the raw file linked.
#include "study/localize_fixture.h"

#include "report/report.h"

static void report_has_a_localisation_section(void **state) {
    (void)state;
    write_localize_fixture("report_localize_case", 1, LS);
    study_localize_settings s;
    static char data[4096], attr[4096], out[4096];
    loc_path(data, "data");
    loc_path(attr, "attr");
    loc_path(out, "localize");
    study_localize_settings_default(&s);
    s.data_dir = data, s.n_models = 1, s.attr_dir[0] = attr, s.name[0] = "m", s.out_dir = out;
    s.n_bootstrap = 100;
    study_localize_result r;
    cx_error err;
    if (study_localize(&s, &r, &err)) fail_msg("study_localize: %s", err.msg);
    study_localize_result_free(&r);
    char html[4096];
    loc_path(html, "report/report.html");
    const char *dirs[1] = {out};
    if (report_build(html, 1, dirs, &err)) fail_msg("report_build: %s", err.msg);
    char *page;
    size_t n;
    assert_int_equal(cx_read_file(html, &page, &n, &err), 0);
    assert_non_null(strstr(page, "Localisation against expert annotations</h2>"));
    assert_non_null(strstr(page, "binarised by Otsu's threshold on the 8-bit map"));
    // The finding: sl, pooled over its 4 scored pairs; gaze on 3; the centre bias hits every time.
    assert_non_null(strstr(page, "the best saliency map, SL of m, reaches mIoU 0.583"));
    assert_non_null(strstr(page, "hit rate 0.750 over 4 annotated pairs"));
    assert_non_null(
        strstr(page, "radiologist gaze, on the 3 pairs with gaze: mIoU 1.000, hit rate 1.000"));
    assert_non_null(strstr(page, "the centre-bias floor: mIoU 0.200, hit rate 1.000"));
    assert_non_null(strstr(page, "1 of 1 method maps beat the centre bias in mIoU"));
    // The pooled table: sl's row, pairs 4 (1 constant).
    assert_non_null(strstr(page, "<td>4 (1)</td><td>0.583 ("));
    assert_non_null(strstr(page, "data:image/png;base64,"));
    char p[4096];
    loc_path(p, "report/fig_localize_0_miou.png");
    assert_true(cx_path_exists(p));
    loc_path(p, "report/fig_localize_0_hit.svg");
    assert_true(cx_path_exists(p));
    assert_non_null(strstr(page, "localize.csv"));
    free(page);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(report_has_a_localisation_section)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
