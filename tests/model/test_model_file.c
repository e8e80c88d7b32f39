// model/model_file: save -> load round trips (every tensor bit-exact), the key variants other
// tools write (prefixes, torchvision's legacy "norm.1" keys, F16/BF16), architecture inference,
// every class of bad file refused naming file and tensor, and the PyTorch fixtures
// (tests/ref/densenet_ref.py) loading bit-exact against their stored values.
#include "test.h"

#include "io/io.h"
#include "model/model.h"

// Every tensor gets distinct seeded values (BN buffers too, so nothing passes by being 0/1);
// round: 0 none, 16 fp16-exact, 8 bf16-exact.
static void fill_random(densenet *net, uint64_t seed, int round) {
    cx_rng r;
    cx_rng_seed(&r, seed, 0);
    for (int i = 0; i < densenet_num_tensors(net); i++) {
        const nn_tensor_info *t = densenet_tensor(net, i);
        if (t->kind == NN_COUNTER) {
            *t->counter = (int64_t)cx_rng_below(&r, 1000000) + 1;
            continue;
        }
        for (size_t j = 0; j < t->numel; j++) {
            float v = (float)cx_rng_normal(&r) * 0.1f;
            if (round == 16) v = (float)(_Float16)v;
            if (round == 8) v = cx_bf16_to_f32(cx_f32_to_bf16(v));
            t->data[j] = v;
        }
    }
}

// a and b hold the same architecture and identical values (counters compared if asked).
static void assert_same_net(const densenet *a, const densenet *b, int counters) {
    const densenet_config *ca = densenet_cfg(a), *cb = densenet_cfg(b);
    assert_string_equal(ca->arch, cb->arch);
    assert_int_equal(ca->num_classes, cb->num_classes);
    assert_int_equal(ca->gaze_head, cb->gaze_head);
    assert_int_equal(densenet_num_tensors(a), densenet_num_tensors(b));
    for (int i = 0; i < densenet_num_tensors(a); i++) {
        const nn_tensor_info *x = densenet_tensor(a, i), *y = densenet_tensor(b, i);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->numel, y->numel);
        if (x->kind == NN_COUNTER) {
            if (counters && *x->counter != *y->counter)
                fail_msg("%s: counter %lld vs %lld", x->name, (long long)*x->counter,
                         (long long)*y->counter);
        } else if (memcmp(x->data, y->data, x->numel * sizeof(float))) {
            fail_msg("%s: values differ", x->name);
        }
    }
}

static densenet *make_net(const char *arch, int k, int gaze, uint64_t seed, int round) {
    densenet_config cfg;
    cx_error err;
    assert_int_equal(densenet_config_for(arch, k, gaze, &cfg, &err), 0);
    densenet *net = densenet_create(&cfg);
    fill_random(net, seed, round);
    return net;
}

// Writes net's tensors the way another tool might: renamed, converted, broken on purpose.
typedef struct variant {
    const char *prefix;    // prepended to every name ("module.", ...)
    int legacy;            // denselayer normK/convK -> norm.K/conv.K, counters left out
    st_dtype dt;           // dtype of the floating tensors: ST_F32, ST_F16 or ST_BF16
    const char *skip;      // this tensor left out
    const char *extra;     // an extra F32 [1] tensor of this name
    const char *bad_shape; // this tensor written with its first dimension one larger
    const char *bad_dtype; // this tensor written as I32
    const char *arch_meta; // __metadata__ "arch"
    const char *labels;    // __metadata__ "labels"
} variant;

static void legacy_name(const char *in, char *out, size_t cap) {
    snprintf(out, cap, "%s", in);
    char *p = strstr(out, ".denselayer");
    if (!p) return;
    p = strchr(p + 1, '.');
    if (p && (!strncmp(p + 1, "norm", 4) || !strncmp(p + 1, "conv", 4)) &&
        (p[5] == '1' || p[5] == '2')) {
        memmove(p + 6, p + 5, strlen(p + 5) + 1);
        p[5] = '.';
    }
}

static void write_variant(const densenet *net, const char *path, const variant *v) {
    st_writer *w = st_writer_new();
    int n = densenet_num_tensors(net);
    void **bufs = cx_calloc((size_t)n + 1, sizeof *bufs);
    char(*names)[200] = cx_calloc((size_t)n + 1, sizeof *names);
    for (int i = 0; i < n; i++) {
        const nn_tensor_info *t = densenet_tensor(net, i);
        if (v->skip && !strcmp(t->name, v->skip)) continue;
        if (v->legacy && t->kind == NN_COUNTER) continue;
        char base[160];
        if (v->legacy)
            legacy_name(t->name, base, sizeof base);
        else
            snprintf(base, sizeof base, "%s", t->name);
        snprintf(names[i], sizeof names[i], "%s%s", v->prefix ? v->prefix : "", base);
        int64_t shape[4];
        memcpy(shape, t->shape, sizeof shape);
        size_t numel = t->numel;
        if (v->bad_dtype && !strcmp(t->name, v->bad_dtype)) {
            bufs[i] = cx_calloc(numel, sizeof(int32_t));
            st_writer_add(w, names[i], ST_I32, t->ndim, shape, bufs[i]);
        } else if (t->kind == NN_COUNTER) {
            st_writer_add(w, names[i], ST_I64, 0, shape, t->counter);
        } else if (v->bad_shape && !strcmp(t->name, v->bad_shape)) {
            numel = numel / (size_t)shape[0] * (size_t)(shape[0] + 1);
            shape[0]++;
            bufs[i] = cx_calloc(numel, sizeof(float));
            st_writer_add(w, names[i], ST_F32, t->ndim, shape, bufs[i]);
        } else if (v->dt == ST_F16) {
            _Float16 *h = cx_malloc(numel * sizeof *h);
            for (size_t j = 0; j < numel; j++)
                h[j] = (_Float16)t->data[j];
            bufs[i] = h;
            st_writer_add(w, names[i], ST_F16, t->ndim, shape, h);
        } else if (v->dt == ST_BF16) {
            uint16_t *h = cx_malloc(numel * sizeof *h);
            for (size_t j = 0; j < numel; j++)
                h[j] = cx_f32_to_bf16(t->data[j]);
            bufs[i] = h;
            st_writer_add(w, names[i], ST_BF16, t->ndim, shape, h);
        } else {
            st_writer_add(w, names[i], ST_F32, t->ndim, shape, t->data);
        }
    }
    static const float one = 1;
    static const int64_t s1[1] = {1};
    if (v->extra) st_writer_add(w, v->extra, ST_F32, 1, s1, &one);
    if (v->arch_meta) st_writer_meta(w, "arch", v->arch_meta);
    if (v->labels) st_writer_meta(w, "labels", v->labels);
    cx_error err;
    if (st_writer_write(w, path, &err)) fail_msg("%s", err.msg);
    st_writer_free(w);
    for (int i = 0; i < n; i++)
        free(bufs[i]);
    free(bufs);
    free(names);
}

static void round_trip_with_metadata(void **state) {
    (void)state;
    const char *path = test_out_path("mf_round_trip.safetensors");
    densenet *net = make_net("densenet121", 14, 1, 7, 0);
    model_meta meta;
    model_meta_init(&meta, 224);
    const char *labels[14] = {"Atelectasis",
                              "Cardiomegaly",
                              "Consolidation",
                              "Edema",
                              "Enlarged Cardiomediastinum",
                              "Fracture",
                              "Lung Lesion",
                              "Lung Opacity",
                              "No Finding",
                              "Pleural Effusion",
                              "Pleural Other",
                              "Pneumonia",
                              "Pneumothorax",
                              "Support Devices"};
    cx_error err = {0};
    assert_int_equal(model_meta_set_labels(&meta, 14, labels, &err), 0);
    snprintf(meta.provenance, sizeof meta.provenance, "test: seed 7, \"quoted\" text");
    assert_int_equal(model_save(net, path, &meta, &err), 0);

    // The file itself: torchvision names, F32 and I64 [] counters, 727 + 2 (head) tensors.
    st_file f;
    assert_int_equal(st_open(&f, path, &err), 0);
    assert_int_equal(f.n, 729);
    const st_tensor *t = st_find(&f, "features.denseblock3.denselayer24.norm2.running_var");
    assert_non_null(t);
    assert_int_equal(t->dtype, ST_F32);
    t = st_find(&f, "features.norm5.num_batches_tracked");
    assert_non_null(t);
    assert_int_equal(t->dtype, ST_I64);
    assert_int_equal(t->ndim, 0);
    assert_non_null(st_find(&f, "gaze_head.weight"));
    assert_string_equal(st_meta(&f, "arch"), "densenet121");
    assert_string_equal(st_meta(&f, "gaze_head"), "yes");
    assert_string_equal(st_meta(&f, "num_classes"), "14");
    assert_string_equal(st_meta(&f, "input_size"), "224");
    assert_non_null(strstr(st_meta(&f, "labels"), "Atelectasis,Cardiomegaly,"));
    st_close(&f);

    densenet *back = NULL;
    model_meta m2;
    assert_int_equal(model_load_ex(path, 0, &back, &m2, &err), 0);
    assert_same_net(net, back, 1);
    assert_int_equal(m2.n_labels, 14);
    for (int i = 0; i < 14; i++)
        assert_string_equal(m2.labels[i], labels[i]);
    assert_int_equal(m2.input_size, 224);
    for (int i = 0; i < 3; i++) {
        assert_true(m2.mean[i] == meta.mean[i]);
        assert_true(m2.std[i] == meta.std[i]);
    }
    assert_string_equal(m2.provenance, meta.provenance);
    char desc[128];
    model_describe(back, desc, sizeof desc);
    assert_string_equal(desc, "densenet121, 14 classes, gaze head yes, 6969231 parameters");
    densenet_free(back);

    // Without a gaze head: exactly torchvision's 727 tensors.
    densenet *plain = make_net("densenet121", 14, 0, 8, 0);
    assert_int_equal(model_save(plain, path, NULL, &err), 0);
    assert_int_equal(st_open(&f, path, &err), 0);
    assert_int_equal(f.n, 727);
    st_close(&f);
    assert_int_equal(model_load(path, &back, &err), 0);
    assert_same_net(plain, back, 1);
    model_describe(back, desc, sizeof desc);
    assert_string_equal(desc, "densenet121, 14 classes, gaze head no, 6968206 parameters");
    densenet_free(back);
    densenet_free(plain);

    // Label count must match the classes on save.
    assert_int_equal(model_meta_set_labels(&meta, 3, labels, &err), 0);
    assert_int_equal(model_save(net, path, &meta, &err), -1);
    assert_non_null(strstr(err.msg, "3 label names"));
    const char *comma[1] = {"a,b"};
    assert_int_equal(model_meta_set_labels(&meta, 1, comma, &err), -1);
    densenet_free(net);
}

static void prefixes_and_dtypes(void **state) {
    (void)state;
    const char *path = test_out_path("mf_variant.safetensors");
    densenet *net = make_net("densenet121", 14, 0, 11, 16); // fp16-exact values
    const char *prefixes[] = {"module.", "densenet121.", "module.densenet121."};
    cx_error err = {0};
    for (int i = 0; i < 3; i++) {
        variant v = {.prefix = prefixes[i], .dt = ST_F32};
        write_variant(net, path, &v);
        densenet *back = NULL;
        if (model_load(path, &back, &err)) fail_msg("prefix %s: %s", prefixes[i], err.msg);
        assert_same_net(net, back, 1);
        densenet_free(back);
    }
    variant v16 = {.prefix = "", .dt = ST_F16};
    write_variant(net, path, &v16);
    densenet *back = NULL;
    if (model_load(path, &back, &err)) fail_msg("F16: %s", err.msg);
    assert_same_net(net, back, 1);
    densenet_free(back);
    densenet_free(net);

    net = make_net("densenet121", 3, 0, 12, 8); // bf16-exact values
    variant vb = {.dt = ST_BF16};
    write_variant(net, path, &vb);
    if (model_load(path, &back, &err)) fail_msg("BF16: %s", err.msg);
    assert_same_net(net, back, 1);
    densenet_free(back);
    densenet_free(net);
}

static void legacy_keys(void **state) {
    (void)state;
    const char *path = test_out_path("mf_legacy.safetensors");
    densenet *net = make_net("densenet121", 14, 0, 13, 0);
    variant v = {.legacy = 1, .dt = ST_F32};
    write_variant(net, path, &v);
    st_file f;
    cx_error err = {0};
    assert_int_equal(st_open(&f, path, &err), 0); // the file really holds legacy names
    assert_non_null(st_find(&f, "features.denseblock2.denselayer7.norm.2.running_mean"));
    assert_non_null(st_find(&f, "features.denseblock4.denselayer16.conv.1.weight"));
    assert_null(st_find(&f, "features.denseblock4.denselayer16.conv1.weight"));
    assert_null(st_find(&f, "features.norm0.num_batches_tracked"));
    st_close(&f);
    densenet *back = NULL;
    if (model_load(path, &back, &err)) fail_msg("legacy: %s", err.msg);
    assert_same_net(net, back, 0);
    for (int i = 0; i < densenet_num_tensors(back); i++) {
        const nn_tensor_info *t = densenet_tensor(back, i);
        if (t->kind == NN_COUNTER) assert_int_equal(*t->counter, 0); // absent -> 0
    }
    densenet_free(back);
    densenet_free(net);
}

static void architecture_inferred(void **state) {
    (void)state;
    const char *path = test_out_path("mf_arch.safetensors");
    cx_error err = {0};
    const char *archs[] = {"densenet169", "densenet201"};
    for (int i = 0; i < 2; i++) {
        densenet *net = make_net(archs[i], 5, i, 14, 0);
        variant v = {.dt = ST_F32}; // no __metadata__: dense layers per block decide
        write_variant(net, path, &v);
        densenet *back = NULL;
        if (model_load(path, &back, &err)) fail_msg("%s: %s", archs[i], err.msg);
        assert_string_equal(densenet_cfg(back)->arch, archs[i]);
        assert_int_equal(densenet_cfg(back)->num_classes, 5);
        assert_int_equal(densenet_cfg(back)->gaze_head, i);
        assert_same_net(net, back, 1);
        densenet_free(back);
        densenet_free(net);
    }
}

// Loads path expecting failure; the message names the file and every given fragment.
static void expect_refused(const char *path, unsigned flags, const char *frag1, const char *frag2) {
    cx_error err = {{0}};
    densenet *net = (densenet *)&err; // any non-NULL value: must come back NULL
    model_meta meta;
    assert_int_equal(model_load_ex(path, flags, &net, &meta, &err), -1);
    assert_null(net);
    if (!strstr(err.msg, path)) fail_msg("no file name in: %s", err.msg);
    if (frag1 && !strstr(err.msg, frag1)) fail_msg("no '%s' in: %s", frag1, err.msg);
    if (frag2 && !strstr(err.msg, frag2)) fail_msg("no '%s' in: %s", frag2, err.msg);
}

static void bad_files_are_refused(void **state) {
    (void)state;
    const char *path = test_out_path("mf_bad.safetensors");
    densenet *net = make_net("densenet121", 14, 0, 15, 0);
    const char *conv = "features.denseblock2.denselayer3.conv2.weight";

    variant v = {.dt = ST_F32, .bad_shape = conv};
    write_variant(net, path, &v);
    expect_refused(path, 0, conv, "shape [33,128,3,3], expected [32,128,3,3]");

    v = (variant){.dt = ST_F32, .skip = conv};
    write_variant(net, path, &v);
    expect_refused(path, 0, "missing tensor \"features.denseblock2.denselayer3.conv2.weight\"",
                   "densenet121");

    v = (variant){.dt = ST_F32, .bad_dtype = "features.norm5.running_var"};
    write_variant(net, path, &v);
    expect_refused(path, 0, "features.norm5.running_var", "dtype I32");

    const char *extra = "features.denseblock1.denselayer1.conv3.weight";
    v = (variant){.dt = ST_F32, .extra = extra};
    write_variant(net, path, &v);
    expect_refused(path, 0, extra, "not part of densenet121");
    densenet *back = NULL; // the documented escape hatch
    cx_error err = {0};
    assert_int_equal(model_load_ex(path, MODEL_LOAD_IGNORE_UNKNOWN, &back, NULL, &err), 0);
    assert_same_net(net, back, 1);
    densenet_free(back);

    // One tensor twice: under its name and under "module." + its name.
    v = (variant){.dt = ST_F32, .extra = "module.classifier.bias"};
    write_variant(net, path, &v);
    expect_refused(path, 0, "both name \"classifier.bias\"", NULL);

    // Metadata says 169, tensors are 121: the 169 tensors are missing.
    v = (variant){.dt = ST_F32, .arch_meta = "densenet169"};
    write_variant(net, path, &v);
    expect_refused(path, 0, "missing tensor \"features.denseblock3.denselayer25.", "densenet169");
    v = (variant){.dt = ST_F32, .arch_meta = "resnet50"};
    write_variant(net, path, &v);
    expect_refused(path, 0, "__metadata__ \"arch\"", "resnet50");

    v = (variant){.dt = ST_F32, .skip = "classifier.weight"};
    write_variant(net, path, &v);
    expect_refused(path, 0, "classifier.weight", "not a DenseNet model file");

    // Dense layers that match no architecture (block 3 cut short), no metadata.
    densenet_config cfg;
    assert_int_equal(densenet_config_for("densenet121", 14, 0, &cfg, &err), 0);
    cfg.blocks[2] = 20;
    densenet *odd = densenet_create(&cfg);
    write_variant(odd, path, &(variant){.dt = ST_F32});
    expect_refused(path, 0, "(6,12,20,16)", "no known architecture");
    densenet_free(odd);

    // A counter stored as a float, metadata inconsistent with the tensors.
    v = (variant){.dt = ST_F32, .bad_dtype = "features.norm0.num_batches_tracked"};
    write_variant(net, path, &v);
    expect_refused(path, 0, "features.norm0.num_batches_tracked", "expected I64");
    v = (variant){.dt = ST_F32, .labels = "Atelectasis,Edema"};
    write_variant(net, path, &v);
    expect_refused(path, 0, "\"labels\" names 2 labels", "14 classes");
    v = (variant){.dt = ST_F32}; // sanity: the same file, unbroken, loads
    write_variant(net, path, &v);
    assert_int_equal(model_load(path, &back, &err), 0);
    densenet_free(back);
    densenet_free(net);
    expect_refused(test_out_path("mf_does_not_exist.safetensors"), 0, NULL, NULL);
}

// Fixture from tests/ref/densenet_ref.py: weights stored as F16 (fp16-exact) under torchvision
// names, beside reference tensors (which the loader must be told to ignore).
static void check_fixture(const char *name, const char *arch, int n_tensors) {
    const char *path = fixture_path(name);
    cx_error err = {0};
    densenet *net = NULL;
    assert_int_equal(model_load(path, &net, &err), -1); // strict: the references are unknown
    assert_non_null(strstr(err.msg, "not part of"));
    model_meta meta;
    if (model_load_ex(path, MODEL_LOAD_IGNORE_UNKNOWN, &net, &meta, &err)) fail_msg("%s", err.msg);
    assert_string_equal(densenet_cfg(net)->arch, arch);
    assert_int_equal(densenet_cfg(net)->num_classes, 14);
    assert_int_equal(densenet_cfg(net)->gaze_head, 0);
    assert_int_equal(densenet_num_tensors(net), n_tensors);
    st_file f;
    assert_int_equal(st_open(&f, path, &err), 0);
    int f16 = 0, floats = 0;
    for (int i = 0; i < densenet_num_tensors(net); i++) {
        const nn_tensor_info *t = densenet_tensor(net, i);
        const st_tensor *s = st_find(&f, t->name);
        assert_non_null(s);
        if (t->kind == NN_COUNTER) {
            int64_t c;
            memcpy(&c, s->data, sizeof c);
            assert_int_equal(c, *t->counter);
            assert_true(c > 0); // randomised by the script
            continue;
        }
        f16 += s->dtype == ST_F16;
        floats++;
        for (size_t j = 0; j < t->numel; j++) {
            _Float16 h;
            memcpy(&h, (const char *)s->data + 2 * j, 2);
            if ((float)h != t->data[j])
                fail_msg("%s[%zu]: %g, file %g", t->name, j, t->data[j], (double)(float)h);
        }
    }
    assert_int_equal(f16, floats); // every floating tensor is stored as F16
    st_close(&f);
    densenet_free(net);
}

static void pytorch_fixtures_load_exactly(void **state) {
    (void)state;
    check_fixture("densenet121_ref.safetensors", "densenet121", 727);
    check_fixture("densenet169_ref.safetensors", "densenet169", 1015);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_with_metadata),
        cmocka_unit_test(prefixes_and_dtypes),
        cmocka_unit_test(legacy_keys),
        cmocka_unit_test(architecture_inferred),
        cmocka_unit_test(bad_files_are_refused),
        cmocka_unit_test(pytorch_fixtures_load_exactly),
    };
    return cmocka_run_group_tests_name("model/model_file", tests, NULL, NULL);
}
