// cli/reflacx_cli: `cxrgaze synth --reflacx` then `cxrgaze prepare --reflacx`, run as the binary
// ($CXRGAZE, fork/exec): the flags do what --help says (readings packed, the certainty threshold
// reaches summary.json), and wrong uses exit 2 (usage) or 1 (a missing REFLACX folder, named, no
// pack left). The numbers themselves are checked in tests/data/test_prepare_reflacx.c.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "test.h"

#include "data/data.h"
#include "data/tiny_trees.h" // rm_tree
#include "cli/run_binary.h"     // cxrgaze, run

static char g_syn[4096];

static void err_has(const char *errfile, const char *needle) {
    char *e = NULL;
    size_t n;
    if (cx_read_file(errfile, &e, &n, NULL)) e = cx_strdup("");
    if (!strstr(e, needle)) fail_msg("stderr lacks '%s': %s", needle, e);
    free(e);
}

static int setup(void **state) {
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "rfx_cli_syn.%ld", (long)getpid());
    snprintf(g_syn, sizeof g_syn, "%s", test_out_path(name));
    return 0;
}

static int teardown(void **state) {
    (void)state;
    rm_tree(g_syn);
    return 0;
}

static void synth_then_prepare(void **state) {
    (void)state;
    char errf[4200], out[4200], path[4400];
    snprintf(errf, sizeof errf, "%s.err", g_syn);
    snprintf(out, sizeof out, "%s/pack", g_syn);
    assert_int_equal(run(errf,
                         "synth --out %s --images 40 --gaze-images 8 --size 128 --reflacx "
                         "--quiet --force",
                         g_syn),
                     0);
    snprintf(path, sizeof path, "%s/reflacx/main_data/metadata_phase_3.csv", g_syn);
    assert_true(cx_path_exists(path));
    assert_int_equal(run(errf,
                         "prepare --mimic %s/mimic-cxr-jpg --egd %s/egd-cxr --reflacx "
                         "%s/reflacx --reflacx-certainty 4 --out %s --size 32 --quiet",
                         g_syn, g_syn, g_syn, out),
                     0);
    pack p;
    cx_error err = {0};
    if (pack_open(&p, out, &err)) fail_msg("%s", err.msg);
    assert_true(p.n_readings > 0);
    int64_t rfx = 0, egd = 0;
    for (int64_t k = 0; k < p.n_readings; k++)
        rfx += p.reading_source[k] == READING_REFLACX, egd += p.reading_source[k] == READING_EGD;
    assert_true(rfx > 0 && egd > 0);
    pack_close(&p);
    snprintf(path, sizeof path, "%s/summary.json", out);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    assert_non_null(j);
    const json_t *r = json_object_get(j, "reflacx");
    assert_non_null(r);
    assert_true(json_real_value(json_object_get(r, "ellipse_certainty_min")) == 4.0);
    assert_int_equal(json_integer_value(json_object_get(r, "readings_packed")), rfx);
    json_decref(j);
    // wrong uses: usage errors exit 2, a missing folder exits 1 naming it, no pack left
    assert_int_equal(run(errf, "prepare --images x --reflacx %s/reflacx --out %s.x", g_syn, out),
                     2);
    err_has(errf, "--reflacx needs --mimic");
    assert_int_equal(run(errf,
                         "prepare --mimic %s/mimic-cxr-jpg --reflacx %s/reflacx "
                         "--reflacx-certainty 6 --out %s.x",
                         g_syn, g_syn, out),
                     2);
    assert_int_equal(run(errf,
                         "prepare --mimic %s/mimic-cxr-jpg --reflacx %s/no-such --out %s.x "
                         "--quiet",
                         g_syn, g_syn, out),
                     1);
    err_has(errf, "no-such");
    snprintf(path, sizeof path, "%s.x", out);
    assert_false(cx_path_exists(path));
    unlink(errf);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(synth_then_prepare)};
    return cmocka_run_group_tests_name("cli/reflacx_cli", tests, setup, teardown);
}
