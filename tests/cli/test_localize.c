// cli/localize: `cxrgaze localize` on the hand-made annotated pack of localize_fixture.h: the
// pooled sl row of localize.csv has the hand-computed mIoU 7/12 and hit rate 3/4; a pack without
// annotations exits 1 naming the pack and the missing annotations, writing nothing; missing flags
// are usage errors (2).
#include <sys/wait.h>

#include "study/localize_fixture.h"

static const char *cxrgaze(void) {
    const char *b = getenv("CXRGAZE");
    return b && *b ? b : "build/cxrgaze";
}

static int run_cmd(const char *args, const char *errfile) {
    char line[16384];
    snprintf(line, sizeof line, "%s localize %s 2>%s", cxrgaze(), args, errfile);
    int rc = system(line);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Column col of the first row of path whose method and label match (plain CSV reader).
static double lookup(const char *path, const char *method, const char *label, const char *col) {
    cx_error err;
    csv_table *t = csv_table_read(path, &err);
    if (!t) fail_msg("%s", err.msg);
    double v = NAN;
    for (int64_t r = 0; r < csv_nrows(t) && isnan(v); r++)
        if (!strcmp(csv_get(t, r, csv_col(t, "method")), method) &&
            !strcmp(csv_get(t, r, csv_col(t, "label")), label))
            csv_parse_double(csv_get(t, r, csv_col(t, col)), &v);
    csv_table_free(t);
    return v;
}

static void scores_the_fixture(void **state) {
    (void)state;
    write_localize_fixture("cli_localize", 1, LS);
    char data[4096], attr[4096], out[4096], errf[4096], args[16384], p[4096];
    loc_path(data, "data");
    loc_path(attr, "attr");
    loc_path(out, "out");
    loc_path(errf, "stderr.txt");
    snprintf(args, sizeof args, "--data %s --attributions %s --name m --out %s --bootstrap 50",
             data, attr, out);
    assert_int_equal(run_cmd(args, errf), 0);
    loc_path(p, "out/localize.csv");
    assert_close(lookup(p, "sl", "all", "miou"), 7.0 / 12, 0, 1e-6, "mIoU");
    assert_close(lookup(p, "sl", "all", "hit_rate"), 0.75, 0, 1e-6, "hit rate");
    assert_close(lookup(p, "gaze", "Cardiomegaly", "n"), 3, 0, 0, "gaze pairs");
    loc_path(p, "out/localize_items.csv");
    assert_true(cx_path_exists(p));
    // --threshold 0.5 on the 0/1 maps: the same masks as Otsu.
    snprintf(args, sizeof args,
             "--data %s --attributions %s --out %s --threshold 0.5 --map-scale minmax", data, attr,
             out);
    assert_int_equal(run_cmd(args, errf), 0);
    loc_path(p, "out/localize.csv");
    assert_close(lookup(p, "sl", "Cardiomegaly", "miou"), 4.0 / 9, 0, 1e-6, "fixed threshold");
    assert_close(lookup(p, "sl", "all", "threshold"), 0.5, 0, 0, "threshold column");
}

static void no_annotations_exits_1(void **state) {
    (void)state;
    write_localize_fixture("cli_localize_none", 0, LS);
    char data[4096], attr[4096], out[4096], errf[4096], args[16384];
    loc_path(data, "data");
    loc_path(attr, "attr");
    loc_path(out, "out");
    loc_path(errf, "stderr.txt");
    snprintf(args, sizeof args, "--data %s --attributions %s --out %s", data, attr, out);
    assert_int_equal(run_cmd(args, errf), 1);
    char *msg = NULL;
    size_t n;
    if (cx_read_file(errf, &msg, &n, NULL)) fail_msg("no stderr");
    assert_non_null(strstr(msg, "cxrgaze localize: "));
    assert_non_null(strstr(msg, "no expert annotations"));
    assert_non_null(strstr(msg, data));
    free(msg);
    assert_false(cx_path_exists(out));
    snprintf(args, sizeof args, "--data %s --out %s", data, out);
    assert_int_equal(run_cmd(args, errf), 2);
    snprintf(args, sizeof args, "--data %s --attributions %s --out %s --threshold 2", data, attr,
             out);
    assert_int_equal(run_cmd(args, errf), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scores_the_fixture),
        cmocka_unit_test(no_annotations_exits_1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
