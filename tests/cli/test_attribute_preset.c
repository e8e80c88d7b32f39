// cli/attribute --preset: the preset applies first and every method flag given overrides it,
// before or after --preset (attr_cli_parse over the ATTR_CLI_FLAGS table); attribute's and
// sanity's --help list what the captum preset sets; and `cxrgaze attribute --preset captum` on the
// reference network and input reproduces tests/ref/attr_ref.py's Captum GC and DL maps (the
// pre-ReLU cam with nearest upsampling, Captum 0.8's DeepLift), recording the preset in the
// method files' "options". cli/ is not part of the library: its two files are compiled in here.
#include "cli/train_pack.h"

#include "attr/attr.h"
#include "io/io.h"

#include "cli/attr_cli.c"
#include "cli/cli.c"

#define FIX121 "tests/fixtures/densenet121_ref.safetensors"

// Parses args (a NULL-terminated list after the command name) into o from the defaults.
static int parse(attr_options *o, const char *const *args) {
    char *argv[16] = {"t"};
    int argc = 1;
    while (args[argc - 1])
        argv[argc] = (char *)args[argc - 1], argc++;
    attr_options_default(o);
    const cli_flag flags[] = {CLI_FLAG_HELP, ATTR_CLI_FLAGS(o)};
    const cli_table t = {"t", "usage: t", NULL, flags, CLI_N_FLAGS(flags), NULL};
    return attr_cli_parse(&t, argc, argv, o);
}

static void preset_then_flags(void **state) {
    (void)state;
    attr_options o;
    // a flag before --preset still overrides it
    assert_int_equal(parse(&o, (const char *[]){"--nt-samples", "9", "--preset", "captum", NULL}),
                     CLI_CONTINUE);
    assert_int_equal(o.preset, ATTR_PRESET_CAPTUM);
    assert_int_equal(o.nt_samples, 9);
    assert_true(o.nt_stdev == 1.0);
    assert_int_equal(o.upsample, ATTR_UPSAMPLE_NEAREST);
    assert_int_equal(o.gc_relu, 0);
    assert_int_equal(o.dl_captum_compat, 1);
    assert_int_equal(o.gs_baselines, 1u << ATTR_BASELINE_ZERO);
    // and after it
    assert_int_equal(
        parse(&o, (const char *[]){"--preset=captum", "--upsample", "bilinear", "--nt-stdev", "0.5",
                                   "--gs-baselines", "blur", "--max-batch", "6", NULL}),
        CLI_CONTINUE);
    assert_int_equal(o.upsample, ATTR_UPSAMPLE_BILINEAR);
    assert_true(o.nt_stdev == 0.5);
    assert_int_equal(o.gs_baselines, 1u << ATTR_BASELINE_BLUR);
    assert_int_equal(o.max_batch, 6);
    assert_int_equal(o.nt_samples, 5);
    assert_int_equal(o.gc_relu, 0);
    // cxrgaze: the defaults with the flags; the last --preset wins
    assert_int_equal(parse(&o, (const char *[]){"--preset", "cxrgaze", "--no-gc-relu", NULL}),
                     CLI_CONTINUE);
    assert_int_equal(o.preset, ATTR_PRESET_CXRGAZE);
    assert_int_equal(o.gc_relu, 0);
    assert_int_equal(o.nt_samples, 25);
    assert_int_equal(o.upsample, ATTR_UPSAMPLE_BILINEAR);
    assert_int_equal(parse(&o, (const char *[]){"--preset", "captum", "--preset", "cxrgaze", NULL}),
                     CLI_CONTINUE);
    assert_int_equal(o.preset, ATTR_PRESET_CXRGAZE);
    assert_int_equal(o.nt_samples, 25);
    assert_int_equal(o.dl_captum_compat, 0);
    assert_int_equal(parse(&o, (const char *[]){"--preset", "pytorch", NULL}), CLI_USAGE);
    assert_int_equal(parse(&o, (const char *[]){"--preset", "captum", "--nt-samples", "0", NULL}),
                     CLI_USAGE);
}

static void help_lists_the_preset(void **state) {
    (void)state;
    const char *want = "cxrgaze (default): the defaults shown here | captum: Captum 0.8's "
                       "defaults, to reproduce the original study: --upsample nearest "
                       "--no-gc-relu --captum-compat --gs-baselines zero --nt-samples 5 "
                       "--nt-stdev 1. Applied before the other method flags";
    assert_non_null(strstr(attr_cli_preset_help(), want));
    const char *out = test_out_path("cli_preset_help.txt");
    for (int k = 0; k < 2; k++) {
        assert_int_equal(sh("%s %s --help | tr -s ' \\n' ' ' > '%s'", cxrgaze_bin(),
                            k ? "sanity" : "attribute", out),
                         0);
        char *text;
        size_t n;
        cx_error err;
        if (cx_read_file(out, &text, &n, &err)) fail_msg("%s", err.msg);
        assert_non_null(strstr(text, "--preset P cxrgaze (default)"));
        assert_non_null(strstr(text, want));
        free(text);
    }
}

// Row 0 of DIR/<method>.safetensors [2,64,64] against want [64,64]; checks the options line.
static void check_map(const char *dir, const char *method, const float *want, double tol) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, method);
    st_file f;
    cx_error err;
    if (st_open(&f, path, &err)) fail_msg("%s", err.msg);
    const st_tensor *t;
    int64_t shape[3] = {2, 64, 64};
    if (st_expect(&f, method, ST_F32, 3, shape, &t, &err)) fail_msg("%s", err.msg);
    double e = max_rel_err(t->data, want, 64 * 64);
    fprintf(stderr, "  %s map 0 vs tests/ref Captum reference: %.2e\n", method, e);
    if (!(e <= tol)) fail_msg("%s: max rel err %.3g", method, e);
    const char *opts = st_meta(&f, "options");
    assert_non_null(opts);
    assert_non_null(strstr(opts, "preset=captum "));
    assert_non_null(strstr(opts, "upsample=nearest gc_relu=0 "));
    assert_non_null(strstr(opts, "captum_compat=1 "));
    assert_non_null(strstr(opts, " gs_baselines=zero ")); // the preset's GS set, recorded
    assert_non_null(strstr(opts, "nt_samples=3 nt_stdev=1 "));
    st_close(&f);
}

static float *fixture_tensor(const st_file *f, const char *name) {
    const st_tensor *t = st_find(f, name);
    if (!t) fail_msg("attr_ref.safetensors lacks %s", name);
    float *v = malloc(sizeof *v * t->numel);
    cx_error err;
    if (st_read_f32(f, t, v, &err)) fail_msg("%s", err.msg);
    return v;
}

static void attribute_captum_preset(void **state) {
    (void)state;
    const char *out = test_out_path("cli_attr_preset");
    sh("rm -rf '%s'", out);
    // the fixture file holds the weights and "input" [2,3,64,64]; target 7 for both rows
    assert_int_equal(sh("%s attribute --model %s --ignore-unknown --input %s --target 7 "
                        "--methods gc,dl,nt --nt-samples 3 --preset captum --out %s --quiet",
                        cxrgaze_bin(), FIX121, FIX121, out),
                     0);
    st_file ref;
    cx_error err;
    if (st_open(&ref, fixture_path("attr_ref.safetensors"), &err)) fail_msg("%s", err.msg);
    float *gc = fixture_tensor(&ref, "gc_pre_nearest.7"); // negative in one 32x32 quarter
    check_map(out, "gc", gc, 1e-4);
    float *dl = fixture_tensor(&ref, "dl_captum.7"), map[64 * 64];
    for (int i = 0; i < 64 * 64; i++)
        map[i] = dl[i] + dl[4096 + i] + dl[8192 + i];
    check_map(out, "dl", map, 1e-4);
    free(gc);
    free(dl);
    st_close(&ref);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(preset_then_flags),
        cmocka_unit_test(help_lists_the_preset),
        cmocka_unit_test(attribute_captum_preset),
    };
    return cmocka_run_group_tests_name("cli/attribute_preset", tests, NULL, NULL);
}
