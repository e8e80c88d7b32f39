// study/sanity: study_sanity on a small synthetic pack (S = 32, so GC/LC maps are constant; the
// tests use SL and DL) against independent oracles: a re-initialisation that changes no weight
// gives Spearman and SSIM of exactly 1; the reported means equal stats_spearman / stats_ssim
// recomputed here on attr_run maps; cascading step k re-initialises exactly the tensors of steps
// 0..k (independent: of step k); the verdict follows the threshold; sanity.csv and sanity.json
// round-trip (write, read, equal).
#include "cli/train_pack.h"

#include <math.h>

#include "study/study.h"

#define N_IMG 20
#define S 32
#define LIMIT 2

static char pack_dir[4096], model_path[4096];

static int setup(void **state) {
    (void)state;
    snprintf(model_path, sizeof model_path, "%s", test_out_path("study_sanity_model.safetensors"));
    train_pack_fresh(pack_dir, "study_sanity_pack", N_IMG, S, 11, 0);
    train_model_write(model_path, S, 3, 0, NULL, NULL);
    return 0;
}

static void settings(study_sanity_settings *s, const char *methods) {
    study_sanity_default(s);
    s->model = model_path;
    s->data = pack_dir;
    s->limit = LIMIT;
    s->progress = 0;
    cx_error err;
    if (attr_methods_parse(methods, s->methods, &s->n_methods, &err)) fail_msg("%s", err.msg);
}

// A re-initialisation that changes nothing, recording how it was called.
static int calls, calls_cascading, last_step;
static uint64_t last_seed;
static void keep_weights(densenet *net, int step, int cascading, uint64_t seed) {
    (void)net;
    calls++;
    calls_cascading += cascading;
    last_step = step;
    last_seed = seed;
}

static void unchanged_weights_give_one(void **state) {
    (void)state;
    study_sanity_settings s;
    settings(&s, "sl,dl");
    s.randomise = keep_weights;
    s.randomise_seed = 42;
    calls = calls_cascading = 0;
    study_sanity_result r;
    cx_error err;
    if (study_sanity(&s, &r, &err)) fail_msg("%s", err.msg);
    const char *steps[SANITY_MAX_STEPS];
    int n_steps = attr_sanity_steps(steps, SANITY_MAX_STEPS);
    assert_int_equal(r.n_steps, n_steps);
    assert_int_equal(r.n_rows, 2 * 2 * n_steps);
    assert_int_equal(calls, 2 * 2 * n_steps);
    assert_int_equal(calls_cascading, 2 * n_steps);
    assert_int_equal(last_step, n_steps - 1);
    assert_true(last_seed == 42);
    for (int i = 0; i < r.n_rows; i++) {
        const study_sanity_row *row = &r.rows[i];
        // method-major, then cascading before independent, then step
        assert_int_equal(row->method, i < 2 * n_steps ? ATTR_SL : ATTR_DL);
        assert_int_equal(row->mode, (i / n_steps) % 2 ? SANITY_INDEPENDENT : SANITY_CASCADING);
        assert_int_equal(row->step, i % n_steps);
        assert_int_equal(row->n, LIMIT);
        assert_true(row->spearman_abs.mean == 1.0 && row->spearman.mean == 1.0 && row->ssim.mean == 1.0);
        assert_true(row->spearman_abs.sd == 0.0 && row->ssim.sd == 0.0);
    }
    // all-randomised |Spearman| is 1: fails at 0.5, passes at threshold 1 (the rule is "> threshold")
    assert_int_equal(r.n_verdicts, 2);
    assert_int_equal(r.verdicts[1].method, ATTR_DL);
    assert_true(r.verdicts[0].spearman_abs_all_randomised == 1.0);
    assert_int_equal(r.verdicts[0].verdict, SANITY_FAILS);
    study_sanity_result_free(&r);
    s.threshold = 1.0;
    s.modes[SANITY_INDEPENDENT] = 0;
    if (study_sanity(&s, &r, &err)) fail_msg("%s", err.msg);
    assert_int_equal(r.n_rows, 2 * n_steps);
    assert_int_equal(r.verdicts[0].verdict, SANITY_PASSES);
    assert_int_equal(r.verdicts[1].verdict, SANITY_PASSES);
    study_sanity_result_free(&r);
}

static void verdict_follows_threshold(void **state) {
    (void)state;
    assert_int_equal(study_sanity_judge(0.6, 0.5), SANITY_FAILS);
    assert_int_equal(study_sanity_judge(-0.6, 0.5), SANITY_FAILS);
    assert_int_equal(study_sanity_judge(0.5, 0.5), SANITY_PASSES);
    assert_int_equal(study_sanity_judge(0.1, 0.05), SANITY_FAILS);
    assert_int_equal(study_sanity_judge(NAN, 0.5), SANITY_UNDEFINED);
    // no cascading: no verdicts
    study_sanity_settings s;
    settings(&s, "sl");
    s.randomise = keep_weights;
    s.modes[SANITY_CASCADING] = 0;
    study_sanity_result r;
    cx_error err;
    if (study_sanity(&s, &r, &err)) fail_msg("%s", err.msg);
    assert_int_equal(r.n_verdicts, 0);
    assert_int_equal(r.rows[0].mode, SANITY_INDEPENDENT);
    study_sanity_result_free(&r);
}

// The oracle's maps [LIMIT,S,S] of method m for net: the first LIMIT test images as the model's
// input, targets the top logit of the trained model (computed here).
typedef struct oracle {
    model_meta meta;
    attr_options opt;
    int64_t rows[LIMIT];
    float x[LIMIT][3 * S * S];
    int target[LIMIT];
} oracle;

static void oracle_open(oracle *o, densenet *net) {
    cx_error err;
    pack pk;
    int64_t *rows;
    model_meta_init(&o->meta, S); // the model file was saved with these
    attr_options_default(&o->opt);
    model_input_black(&o->meta, o->opt.black);
    if (pack_open(&pk, pack_dir, &err)) fail_msg("%s", err.msg);
    assert_true(pack_split_rows(&pk, SPLIT_TEST, &rows) >= LIMIT);
    densenet_plan *plan = densenet_plan_create(net, 1, S, S, NN_FP32, NN_EVAL, &err);
    assert_non_null(plan);
    for (int i = 0; i < LIMIT; i++) {
        float logits[CX_N_LABELS];
        o->rows[i] = rows[i];
        model_input_u8(&o->meta, pk.images + (size_t)S * S * rows[i], (size_t)S * S, o->x[i]);
        assert_int_equal(densenet_forward(plan, o->x[i], logits, NULL, &err), 0);
        o->target[i] = 0;
        for (int c = 0; c < CX_N_LABELS; c++)
            if (logits[c] > logits[o->target[i]]) o->target[i] = c;
    }
    densenet_plan_free(plan);
    free(rows);
    pack_close(&pk);
}

static void oracle_maps(const oracle *o, densenet *net, attr_method m, float maps[LIMIT][S * S]) {
    cx_error err;
    attr_ctx *ctx = attr_ctx_create(net, S, S, &o->opt, &err);
    assert_non_null(ctx);
    attr_request rq[LIMIT];
    attr_map out[LIMIT];
    for (int i = 0; i < LIMIT; i++)
        rq[i] = (attr_request){.x = o->x[i], .n_targets = 1, .targets = &o->target[i],
                               .stream = (uint64_t)o->rows[i]};
    if (attr_run(ctx, m, rq, LIMIT, out, &err)) fail_msg("%s", err.msg);
    for (int i = 0; i < LIMIT; i++) {
        memcpy(maps[i], out[i].map, sizeof maps[i]);
        attr_map_free(&out[i]);
    }
    attr_ctx_free(ctx);
}

// Mean over images of Spearman of |map| and SSIM of min-max normalised maps.
static void oracle_stats(float a[LIMIT][S * S], float b[LIMIT][S * S], double *spearman_abs,
                         double *ssim) {
    *spearman_abs = *ssim = 0;
    for (int i = 0; i < LIMIT; i++) {
        float ua[S * S], ub[S * S];
        stats_status st;
        for (int e = 0; e < S * S; e++) ua[e] = fabsf(a[i][e]), ub[e] = fabsf(b[i][e]);
        *spearman_abs += stats_spearman(ua, ub, S * S, &st) / LIMIT;
        assert_int_equal(stats_minmax_normalise(a[i], S * S), 0);
        assert_int_equal(stats_minmax_normalise(b[i], S * S), 0);
        *ssim += stats_ssim(a[i], b[i], S, S) / LIMIT;
    }
}

static void means_match_direct_recomputation(void **state) {
    (void)state;
    study_sanity_settings s;
    settings(&s, "sl,dl");
    s.modes[SANITY_INDEPENDENT] = 0;
    s.out = test_out_path("study_sanity_out");
    sh("rm -rf '%s'", s.out);
    study_sanity_result r;
    cx_error err;
    if (study_sanity(&s, &r, &err)) fail_msg("%s", err.msg);
    densenet *net;
    if (model_load(model_path, &net, &err)) fail_msg("%s", err.msg);
    static oracle o;
    oracle_open(&o, net);
    static float orig[LIMIT][S * S], rnd_maps[LIMIT][S * S];
    const int check_steps[] = {0, 4, r.n_steps - 1};
    for (int mi = 0; mi < 2; mi++)
        for (int k = 0; k < 3; k++) {
            int step = check_steps[k];
            oracle_maps(&o, net, s.methods[mi], orig);
            densenet *rnd = densenet_clone(net);
            attr_sanity_randomise(rnd, step, 1, s.randomise_seed);
            oracle_maps(&o, rnd, s.methods[mi], rnd_maps);
            densenet_free(rnd);
            double sa, ssim;
            oracle_stats(orig, rnd_maps, &sa, &ssim);
            const study_sanity_row *row = &r.rows[mi * r.n_steps + step];
            assert_int_equal(row->step, step);
            assert_int_equal(row->method, s.methods[mi]);
            assert_close(row->spearman_abs.mean, sa, 0, 1e-12, "spearman_abs mean");
            assert_close(row->ssim.mean, ssim, 0, 1e-12, "ssim mean");
            if (step == r.n_steps - 1)
                assert_close(r.verdicts[mi].spearman_abs_all_randomised, sa, 0, 1e-12, "verdict value");
        }
    assert_true(r.rows[0].spearman_abs.mean < 0.999); // SL's gradient runs through the classifier
    densenet_free(net);
    // the files written beside the result read back as the result (sanity.csv at 6 decimals)
    char path[4400];
    study_sanity_row *rows;
    int n;
    snprintf(path, sizeof path, "%s/sanity.csv", s.out);
    if (study_sanity_csv_read(path, &rows, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, r.n_rows);
    for (int i = 0; i < n; i++) {
        assert_int_equal(rows[i].step, r.rows[i].step);
        assert_close(rows[i].spearman.mean, r.rows[i].spearman.mean, 0, 5e-7, "sanity.csv spearman_mean");
        assert_close(rows[i].ssim.sd, r.rows[i].ssim.sd, 0, 5e-7, "sanity.csv ssim_sd");
    }
    free(rows);
    study_sanity_result_free(&r);
}

// The tensor-name prefixes of each step, top first (the oracle: Adebayo et al.'s blocks of
// torchvision's DenseNet-121; the stem is conv0 + norm0).
static const char *const step_prefix[][2] = {
    {"classifier.", NULL}, {"features.norm5.", NULL}, {"features.denseblock4.", NULL},
    {"features.transition3.", NULL}, {"features.denseblock3.", NULL}, {"features.transition2.", NULL},
    {"features.denseblock2.", NULL}, {"features.transition1.", NULL}, {"features.denseblock1.", NULL},
    {"features.conv0.", "features.norm0."}};
#define N_STEP_PREFIX ((int)(sizeof step_prefix / sizeof step_prefix[0]))

static int in_step(const char *name, int step) {
    for (int k = 0; k < 2 && step_prefix[step][k]; k++)
        if (!strncmp(name, step_prefix[step][k], strlen(step_prefix[step][k]))) return 1;
    return 0;
}

// Every parameter and buffer set to 0.123 (which no initialisation draws), then step k: a tensor
// changes iff it belongs to a step in 0..k (cascading) or to step k (independent).
static void steps_randomise_exactly_their_tensors(void **state) {
    (void)state;
    const char *steps[SANITY_MAX_STEPS];
    assert_int_equal(attr_sanity_steps(steps, SANITY_MAX_STEPS), N_STEP_PREFIX);
    cx_error err;
    densenet *net;
    if (model_load(model_path, &net, &err)) fail_msg("%s", err.msg);
    for (int cascading = 0; cascading < 2; cascading++)
        for (int step = 0; step < N_STEP_PREFIX; step++) {
            densenet *c = densenet_clone(net);
            for (int t = 0; t < densenet_num_tensors(c); t++) {
                const nn_tensor_info *ti = densenet_tensor(c, t);
                for (size_t e = 0; ti->data && e < ti->numel; e++) ti->data[e] = 0.123f;
            }
            attr_sanity_randomise(c, step, cascading, 1);
            for (int t = 0; t < densenet_num_tensors(c); t++) {
                const nn_tensor_info *ti = densenet_tensor(c, t);
                if (!ti->data) continue;
                int expect = 0, changed = 0;
                for (int k = cascading ? 0 : step; k <= step; k++) expect |= in_step(ti->name, k);
                for (size_t e = 0; e < ti->numel; e++) changed |= ti->data[e] != 0.123f;
                if (changed != expect)
                    fail_msg("%s step %s: %s %s", cascading ? "cascading" : "independent",
                             steps[step], ti->name, changed ? "changed" : "kept");
            }
            densenet_free(c);
        }
    densenet_free(net);
}

static void csv_round_trip(void **state) {
    (void)state;
    const study_sanity_row rows[] = {
        {ATTR_SL, SANITY_CASCADING, 0, 4, {0.25, 0.125}, {-0.5, 0.0625}, {0.75, NAN}},
        {ATTR_NT, SANITY_INDEPENDENT, 9, 0, {NAN, NAN}, {NAN, NAN}, {NAN, NAN}},
        {ATTR_OC, SANITY_CASCADING, 3, 1, {0.123456, NAN}, {-1, NAN}, {0.999999, NAN}},
    };
    const int n = (int)(sizeof rows / sizeof rows[0]);
    const char *path = test_out_path("study_sanity_round_trip.csv");
    cx_error err;
    if (study_sanity_csv_write(path, rows, n, &err)) fail_msg("%s", err.msg);
    study_sanity_row *back;
    int nb;
    if (study_sanity_csv_read(path, &back, &nb, &err)) fail_msg("%s", err.msg);
    assert_int_equal(nb, n);
    for (int i = 0; i < n; i++) {
        const double a[6] = {rows[i].spearman_abs.mean, rows[i].spearman_abs.sd, rows[i].spearman.mean,
                             rows[i].spearman.sd, rows[i].ssim.mean, rows[i].ssim.sd};
        const double b[6] = {back[i].spearman_abs.mean, back[i].spearman_abs.sd, back[i].spearman.mean,
                             back[i].spearman.sd, back[i].ssim.mean, back[i].ssim.sd};
        assert_int_equal(back[i].method, rows[i].method);
        assert_int_equal(back[i].mode, rows[i].mode);
        assert_int_equal(back[i].step, rows[i].step);
        assert_int_equal(back[i].n, rows[i].n);
        for (int k = 0; k < 6; k++)
            assert_true(isnan(a[k]) ? isnan(b[k]) : a[k] == b[k]); // exact at 6 decimals
    }
    free(back);
    // a bad value is refused naming file, line and column
    sh("printf 'method,mode,randomised_up_to,n,spearman_abs_mean,spearman_abs_sd,spearman_mean,"
       "spearman_sd,ssim_mean,ssim_sd\\nsl,cascading,conv0,2,x,,,,,\\n' > '%s'", path);
    assert_int_equal(study_sanity_csv_read(path, &back, &nb, &err), -1);
    assert_non_null(strstr(err.msg, ":2: spearman_abs_mean"));
}

static void json_round_trip(void **state) {
    (void)state;
    study_sanity_result r = {.split = SPLIT_VALIDATE, .n_images = 7, .n_methods = 2,
                             .methods = {ATTR_DL, ATTR_GS}, .modes = {1, 0}, .n_steps = 2,
                             .steps = {"classifier", "norm5"}, .randomise_seed = 1ull << 40,
                             .precision = NN_BF16, .threshold = 0.25, .n_verdicts = 2,
                             .verdicts = {{ATTR_DL, 0.125, SANITY_PASSES}, {ATTR_GS, NAN, SANITY_UNDEFINED}}};
    r.command_line = "cxrgaze sanity --model m";
    r.model = "m.safetensors";
    r.data = "dir with spaces";
    snprintf(r.version, sizeof r.version, "9.8.7");
    const char *path = test_out_path("study_sanity_round_trip.json");
    cx_error err;
    if (study_sanity_json_write(path, &r, &err)) fail_msg("%s", err.msg);
    study_sanity_result b;
    if (study_sanity_json_read(path, &b, &err)) fail_msg("%s", err.msg);
    assert_string_equal(b.command_line, r.command_line);
    assert_string_equal(b.model, r.model);
    assert_string_equal(b.data, r.data);
    assert_string_equal(b.version, r.version);
    assert_int_equal(b.split, r.split);
    assert_int_equal(b.n_images, r.n_images);
    assert_int_equal(b.n_methods, 2);
    assert_int_equal(b.methods[1], ATTR_GS);
    assert_int_equal(b.modes[0], 1);
    assert_int_equal(b.modes[1], 0);
    assert_int_equal(b.n_steps, 2);
    assert_string_equal(b.steps[1], "norm5");
    assert_true(b.randomise_seed == r.randomise_seed);
    assert_int_equal(b.precision, NN_BF16);
    assert_true(b.threshold == 0.25);
    assert_null(b.rows);
    assert_int_equal(b.n_verdicts, 2);
    assert_int_equal(b.verdicts[0].method, ATTR_DL);
    assert_true(b.verdicts[0].spearman_abs_all_randomised == 0.125);
    assert_int_equal(b.verdicts[0].verdict, SANITY_PASSES);
    assert_true(isnan(b.verdicts[1].spearman_abs_all_randomised));
    assert_int_equal(b.verdicts[1].verdict, SANITY_UNDEFINED);
    study_sanity_result_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unchanged_weights_give_one),
        cmocka_unit_test(verdict_follows_threshold),
        cmocka_unit_test(means_match_direct_recomputation),
        cmocka_unit_test(steps_randomise_exactly_their_tensors),
        cmocka_unit_test(csv_round_trip),
        cmocka_unit_test(json_round_trip),
    };
    return cmocka_run_group_tests_name("study/sanity", tests, setup, NULL);
}
