// study/attribute: the stage on a small synthetic pack, against oracles computed here: the
// targets from the pack's labels by the --targets policy, network inputs normalised by hand with
// the model file's own (non-ImageNet) mean/std, probabilities from a direct densenet_forward, maps
// from attr_run called directly. The stage's files round-trip through their readers (maps.csv,
// <method>.safetensors), and the readers refuse what the writer never writes, naming file:line:col.
#include "cli/train_pack.h"

#include "study/study.h"

#define N_IMG 20
#define PX 32

static char pack_dir[4096], model_path[4096];
static const float model_mean[3] = {0.3f, 0.4f, 0.5f}, model_std[3] = {0.2f, 0.25f, 0.3f};

static int setup(void **state) {
    (void)state;
    snprintf(model_path, sizeof model_path, "%s", test_out_path("study_attr_model.safetensors"));
    train_pack_fresh(pack_dir, "study_attr_pack", N_IMG, PX, 7, 0);
    train_model_write(model_path, PX, 5, 0, model_mean, model_std);
    return 0;
}

static int label_of(const char *name) {
    for (int c = 0; c < CX_N_LABELS; c++)
        if (!strcmp(CX_LABELS[c], name)) return c;
    fail_msg("no label %s", name);
    return -1;
}

// The network input of pack row r, normalised here with the model file's statistics.
static void input_of(const pack *pk, int64_t r, float *x) {
    const uint8_t *g = pk->images + (size_t)r * PX * PX;
    for (int c = 0; c < 3; c++)
        for (int p = 0; p < PX * PX; p++)
            x[c * PX * PX + p] = (g[p] / 255.0f - model_mean[c]) / model_std[c];
}

static void settings_for(study_attr_settings *s, const char *out) {
    study_attr_settings_default(s);
    s->model = model_path;
    s->data = pack_dir;
    s->out = out;
    s->n_methods = 1;
    s->methods[0] = ATTR_SL;
}

static void assert_index_equal(const study_map_index *got, const study_map_index *want) {
    assert_int_equal(got->n, want->n);
    for (int64_t i = 0; i < want->n; i++) {
        assert_int_equal(got->pack_row[i], want->pack_row[i]);
        assert_int_equal(got->target[i], want->target[i]);
        assert_int_equal(got->positive[i], want->positive[i]);
        assert_close(got->probability[i], want->probability[i], 0, 5.1e-7, "probability");
    }
}

// r's index against the positive labels of the test rows, in row order.
static void assert_positive_targets(const study_attr_result *r, const pack *pk) {
    int64_t *rows, n = pack_split_rows(pk, SPLIT_TEST, &rows), m = 0, images = 0;
    for (int64_t i = 0; i < n; i++) {
        int any = 0;
        for (int c = 0; c < CX_N_LABELS; c++)
            if (pk->labels[rows[i] * CX_N_LABELS + c] > 0.5f) {
                assert_true(m < r->n_maps);
                assert_int_equal(r->index.pack_row[m], rows[i]);
                assert_int_equal(r->index.target[m], c);
                assert_int_equal(r->index.positive[m], 1);
                m++, any = 1;
            }
        images += any;
    }
    free(rows);
    assert_true(m > 2);
    assert_int_equal(r->n_maps, m);
    assert_int_equal(r->n_images, images);
}

// The stage's maps (read back from out) and probabilities against the library called directly on
// inputs normalised here: attr_run's maps, sigmoid of densenet_forward's logit.
static void assert_maps_and_probabilities(const char *out, const study_attr_settings *s,
                                          const study_attr_result *r, const pack *pk) {
    cx_error err;
    densenet *net;
    if (model_load(model_path, &net, &err)) fail_msg("%s", err.msg);
    attr_ctx *ctx = attr_ctx_create(net, PX, PX, &s->opt, &err);
    densenet_plan *plan = densenet_plan_create(net, 1, PX, PX, NN_FP32, NN_EVAL, &err);
    assert_non_null(ctx);
    assert_non_null(plan);
    study_method_maps mm[ATTR_NMETHODS];
    for (int k = 0; k < s->n_methods; k++)
        assert_int_equal(study_method_maps_open(out, s->methods[k], r->n_maps, PX, &mm[k], &err),
                         0);
    float x[3 * PX * PX], logits[CX_N_LABELS];
    for (int64_t i = 0; i < r->n_maps; i++) {
        input_of(pk, r->index.pack_row[i], x);
        assert_int_equal(densenet_forward(plan, x, logits, NULL, &err), 0);
        double p = 1.0 / (1.0 + exp(-logits[r->index.target[i]]));
        assert_close(r->index.probability[i], p, 1e-5, 1e-6, "probability");
        for (int k = 0; k < s->n_methods; k++) {
            attr_request rq = {.x = x,
                               .n_targets = 1,
                               .targets = &r->index.target[i],
                               .stream = (uint64_t)r->index.pack_row[i]};
            attr_map am;
            if (attr_run(ctx, s->methods[k], &rq, 1, &am, &err)) fail_msg("%s", err.msg);
            double e = max_rel_err(mm[k].maps + (size_t)i * PX * PX, am.map, PX * PX);
            if (e > 1e-5)
                fail_msg("%s map %lld: stage vs attr_run %.2e", attr_method_name(s->methods[k]),
                         (long long)i, e);
            attr_map_free(&am);
        }
    }
    for (int k = 0; k < s->n_methods; k++)
        study_method_maps_close(&mm[k]);
    densenet_plan_free(plan);
    attr_ctx_free(ctx);
    densenet_free(net);
}

static void stage_maps_probabilities_and_index(void **state) {
    (void)state;
    char out[4096], want[4200];
    snprintf(out, sizeof out, "%s", test_out_path("study_attr_out"));
    sh("rm -rf '%s'", out);
    study_attr_settings s;
    settings_for(&s, out);
    s.n_methods = 2;
    s.methods[1] = ATTR_DL;
    study_attr_result r;
    cx_error err;
    if (study_attribute(&s, &r, &err)) fail_msg("%s", err.msg);
    pack pk;
    if (pack_open(&pk, pack_dir, &err)) fail_msg("%s", err.msg);
    assert_positive_targets(&r, &pk);
    assert_int_equal(r.S, PX);
    assert_int_equal(r.n_methods, 2);
    assert_true(isnan(r.delta_mean_abs[0]));
    assert_true(r.delta_max_abs[1] < 1e-3); // DeepLift's completeness
    assert_maps_and_probabilities(out, &s, &r, &pk);
    // maps.csv round-trips
    study_map_index ix;
    if (study_map_index_read(out, &pk, &ix, &err)) fail_msg("%s", err.msg);
    assert_index_equal(&ix, &r.index);
    study_map_index_free(&ix);
    snprintf(want, sizeof want, "%s/maps.csv", out);
    assert_string_equal(r.maps_csv, want);
    snprintf(want, sizeof want, "%s/dl.safetensors", out);
    assert_string_equal(r.method_path[1], want);
    pack_close(&pk);
    study_attr_result_free(&r);
}

static void stage_target_policies(void **state) {
    (void)state;
    char out[4096];
    snprintf(out, sizeof out, "%s", test_out_path("study_attr_targets"));
    pack pk;
    cx_error err;
    if (pack_open(&pk, pack_dir, &err)) fail_msg("%s", err.msg);
    study_attr_settings s;
    study_attr_result r;
    // all: 14 targets for each of the first 2 training images with gaze
    settings_for(&s, out);
    s.split = SPLIT_TRAIN, s.targets = "all", s.gaze_only = 1, s.limit = 2;
    if (study_attribute(&s, &r, &err)) fail_msg("%s", err.msg);
    int64_t *rows, n = pack_split_rows(&pk, SPLIT_TRAIN, &rows), seen = 0;
    assert_int_equal(r.n_maps, 2 * CX_N_LABELS);
    for (int64_t i = 0; i < n && seen < 2; i++) {
        if (pk.gaze_row[rows[i]] < 0) continue;
        for (int c = 0; c < CX_N_LABELS; c++) {
            assert_int_equal(r.index.pack_row[seen * CX_N_LABELS + c], rows[i]);
            assert_int_equal(r.index.target[seen * CX_N_LABELS + c], c);
        }
        seen++;
    }
    free(rows);
    study_attr_result_free(&r);
    // a list: in list order, duplicates dropped, for every validation image
    s.split = SPLIT_VALIDATE, s.targets = "Edema,1,Edema", s.gaze_only = 0, s.limit = 0;
    if (study_attribute(&s, &r, &err)) fail_msg("%s", err.msg);
    n = pack_split_rows(&pk, SPLIT_VALIDATE, &rows);
    assert_int_equal(r.n_maps, 2 * n);
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(r.index.pack_row[2 * i], rows[i]);
        assert_int_equal(r.index.target[2 * i], label_of("Edema"));
        assert_int_equal(r.index.target[2 * i + 1], 1);
        assert_int_equal(r.index.positive[2 * i + 1], pk.labels[rows[i] * CX_N_LABELS + 1] > 0.5f);
    }
    free(rows);
    study_attr_result_free(&r);
    s.targets = "1,Nonsense";
    assert_int_equal(study_attribute(&s, &r, &err), -1);
    assert_non_null(strstr(err.msg, "'Nonsense' is not a label index 0..13"));
    s.targets = "14";
    assert_int_equal(study_attribute(&s, &r, &err), -1);
    assert_non_null(strstr(err.msg, "'14'"));
    pack_close(&pk);
}

static void stage_input_raw(void **state) {
    (void)state;
    char xin[4096], out[4096], path[4200];
    snprintf(xin, sizeof xin, "%s", test_out_path("study_attr_input.safetensors"));
    snprintf(out, sizeof out, "%s", test_out_path("study_attr_raw"));
    sh("rm -rf '%s'", out);
    float x[2 * 3 * PX * PX];
    cx_rng g;
    cx_rng_seed(&g, 1, 0);
    for (int i = 0; i < 2 * 3 * PX * PX; i++)
        x[i] = (float)cx_rng_normal(&g);
    int64_t shape[4] = {2, 3, PX, PX};
    st_writer *w = st_writer_new();
    st_writer_add(w, "input", ST_F32, 4, shape, x);
    cx_error err;
    assert_int_equal(st_writer_write(w, xin, &err), 0);
    st_writer_free(w);
    study_attr_settings s;
    settings_for(&s, out);
    s.data = NULL, s.input = xin, s.target = 3, s.raw = 1;
    study_attr_result r;
    if (study_attribute(&s, &r, &err)) fail_msg("%s", err.msg);
    assert_int_equal(r.n_maps, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r.index.pack_row[i], -1);
        assert_int_equal(r.index.target[i], 3);
        assert_int_equal(r.index.positive[i], -1);
    }
    assert_string_equal(r.maps_csv, "");
    snprintf(path, sizeof path, "%s/maps.csv", out);
    assert_false(cx_path_exists(path)); // no pack, no index file
    study_attr_result_free(&r);
    // raw attributions are not maps: the reader says how to get maps
    study_method_maps mm;
    assert_int_equal(study_method_maps_open(out, ATTR_SL, 2, PX, &mm, &err), -1);
    assert_non_null(strstr(err.msg, "sl.safetensors"));
    assert_non_null(strstr(err.msg, "without --raw"));
    s.target = CX_N_LABELS;
    assert_int_equal(study_attribute(&s, &r, &err), -1);
    assert_non_null(strstr(err.msg, "out of range"));
}

// maps.csv with one data row replaced by `row` (or the header by `header`); read it back.
static int read_edited(const char *dir, const pack *pk, const char *header, const char *row,
                       cx_error *err) {
    char path[4200], text[2048];
    snprintf(path, sizeof path, "%s/maps.csv", dir);
    snprintf(text, sizeof text, "%s\n0,%s,2,%s,1,0.250000\n%s\n",
             header ? header : "map_row,dicom_id,target,label,positive,probability",
             pk->dicom_id[0], CX_LABELS[2], row);
    cx_error werr;
    if (cx_write_file_atomic(path, text, strlen(text), &werr)) fail_msg("%s", werr.msg);
    study_map_index ix;
    int rc = study_map_index_read(dir, pk, &ix, err);
    if (!rc) study_map_index_free(&ix);
    return rc;
}

static void map_index_round_trip_and_refusals(void **state) {
    (void)state;
    char dir[4096], row[512];
    snprintf(dir, sizeof dir, "%s", test_out_path("study_attr_index"));
    cx_error err;
    assert_int_equal(cx_mkdir_p(dir, &err), 0);
    pack pk;
    if (pack_open(&pk, pack_dir, &err)) fail_msg("%s", err.msg);
    study_map_index ix, back;
    study_map_index_alloc(&ix, 5);
    for (int i = 0; i < 5; i++) {
        ix.pack_row[i] = (7 * i + 3) % N_IMG;
        ix.target[i] = (5 * i + 1) % CX_N_LABELS;
        ix.positive[i] = (int8_t)(i % 2);
        ix.probability[i] = (float)(i / 7.0);
    }
    assert_int_equal(study_map_index_write(dir, &pk, &ix, &err), 0);
    assert_int_equal(study_map_index_read(dir, &pk, &back, &err), 0);
    assert_index_equal(&back, &ix);
    study_map_index_free(&back);
    assert_int_equal(study_map_index_read(dir, NULL, &back, &err), 0); // no pack: rows unknown
    for (int i = 0; i < 5; i++)
        assert_int_equal(back.pack_row[i], -1);
    study_map_index_free(&back);
    ix.target[4] = CX_N_LABELS; // the writer refuses what the reader would
    assert_int_equal(study_map_index_write(dir, &pk, &ix, &err), -1);
    study_map_index_free(&ix);
    const char *id = pk.dicom_id[1];
    struct {
        const char *fmt, *where;
    } bad[] = {
        {"1,%s,2,Edema,1,0.5", "maps.csv:3:4: column \"label\""}, // label disagrees with target
        {"1,%s,Edema,Edema,1,0.5", "maps.csv:3:3: column \"target\""}, // a name, not the index
        {"1,%s,14,,1,0.5", "maps.csv:3:3: column \"target\""},
        {"2,%s,2,Consolidation,1,0.5", "maps.csv:3:1: column \"map_row\""},
        {"1,%s,2,Consolidation,2,0.5", "maps.csv:3:5: column \"positive\""},
        {"1,%s,2,Consolidation,1,1.5", "maps.csv:3:6: column \"probability\""},
    };
    assert_string_equal(CX_LABELS[2], "Consolidation");
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        snprintf(row, sizeof row, bad[k].fmt, id);
        assert_int_equal(read_edited(dir, &pk, NULL, row, &err), -1);
        if (!strstr(err.msg, bad[k].where)) fail_msg("%s: message \"%s\"", row, err.msg);
    }
    snprintf(row, sizeof row, "1,not-in-the-pack,2,Consolidation,0,0.5");
    assert_int_equal(read_edited(dir, &pk, NULL, row, &err), 0); // another pack's image: row -1
    assert_int_equal(read_edited(dir, &pk, "map_row,dicom_id,target,labels,positive,probability",
                                 "1,x,2,Consolidation,0,0.5", &err),
                     -1); // no column "label"
    if (!strstr(err.msg, "maps.csv") || !strstr(err.msg, "\"label\""))
        fail_msg("message \"%s\"", err.msg);
    pack_close(&pk);
}

static void method_maps_round_trip(void **state) {
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("study_attr_methods"));
    sh("rm -rf '%s'", dir);
    cx_error err;
    assert_int_equal(cx_mkdir_p(dir, &err), 0);
    enum { M = 3 };
    static float values[M * PX * PX];
    int32_t target[M] = {4, 0, 13};
    float delta[M] = {1e-7f, -2e-7f, 0};
    for (int i = 0; i < M * PX * PX; i++)
        values[i] = (float)sin(0.01 * i);
    attr_options o;
    attr_options_default(&o);
    study_method_file f = {.method = ATTR_DL,
                           .shape = {M, PX, PX},
                           .values = values,
                           .target = target,
                           .delta = delta,
                           .model = "m.safetensors",
                           .opt = &o};
    assert_int_equal(study_method_file_write(dir, &f, &err), 0);
    study_method_maps mm;
    assert_int_equal(study_method_maps_open(dir, ATTR_DL, M, PX, &mm, &err), 0);
    assert_int_equal(mm.method, ATTR_DL);
    assert_memory_equal(mm.maps, values, sizeof values);
    const st_tensor *t = st_find(&mm.file, "target"), *d = st_find(&mm.file, "delta");
    assert_non_null(t);
    assert_non_null(d);
    assert_memory_equal(t->data, target, sizeof target);
    assert_memory_equal(d->data, delta, sizeof delta);
    assert_string_equal(st_meta(&mm.file, "kind"), "maps");
    study_method_maps_close(&mm);
    assert_int_equal(study_method_maps_open(dir, ATTR_OC, M, PX, &mm, &err), 1); // not written
    assert_int_equal(study_method_maps_open(dir, ATTR_DL, M + 1, PX, &mm, &err), -1);
    assert_non_null(strstr(err.msg, "dl.safetensors"));
    assert_non_null(strstr(err.msg, "\"dl\""));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stage_maps_probabilities_and_index),
        cmocka_unit_test(stage_target_policies),
        cmocka_unit_test(stage_input_raw),
        cmocka_unit_test(map_index_round_trip_and_refusals),
        cmocka_unit_test(method_maps_round_trip),
    };
    return cmocka_run_group_tests_name("study/attribute", tests, setup, NULL);
}
