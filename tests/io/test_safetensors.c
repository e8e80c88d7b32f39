// io/safetensors: round trip, metadata, and every class of bad file refused with a named error.
#include "test.h"

#include "io/io.h"

static void write_raw(const char *path, const char *header, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    uint64_t hl = strlen(header);
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(hl >> (8 * i));
    fwrite(len8, 1, 8, f);
    fwrite(header, 1, hl, f);
    if (n) fwrite(data, 1, n, f);
    fclose(f);
}

static void round_trip(void **state) {
    (void)state;
    const char *path = test_out_path("st_round_trip.safetensors");
    float a[6] = {1, -2, 3.5f, 0, 1e-30f, 7};
    int64_t sa[2] = {2, 3};
    int64_t c = 42, sc[1] = {1};
    uint8_t u[3] = {0, 128, 255};
    int64_t su[1] = {3};
    st_writer *w = st_writer_new();
    st_writer_add(w, "features.conv0.weight", ST_F32, 2, sa, a);
    st_writer_add(w, "count", ST_I64, 1, sc, &c);
    st_writer_add(w, "bytes", ST_U8, 1, su, u);
    st_writer_meta(w, "arch", "densenet121");
    cx_error err = {0};
    assert_int_equal(st_writer_write(w, path, &err), 0);
    st_writer_free(w);

    st_file f;
    assert_int_equal(st_open(&f, path, &err), 0);
    assert_int_equal(f.n, 3);
    assert_string_equal(st_meta(&f, "arch"), "densenet121");
    assert_null(st_meta(&f, "nope"));
    const st_tensor *t;
    int64_t want[2] = {2, -1};
    assert_int_equal(st_expect(&f, "features.conv0.weight", ST_F32, 2, want, &t, &err), 0);
    assert_int_equal(((uintptr_t)t->data) % 8, 0); // we pad the header to 8 bytes
    float back[6];
    assert_int_equal(st_read_f32(&f, t, back, &err), 0);
    assert_memory_equal(back, a, sizeof a);
    const st_tensor *tc = st_find(&f, "count");
    int64_t cv;
    memcpy(&cv, tc->data, 8);
    assert_int_equal(cv, 42);
    assert_memory_equal(st_find(&f, "bytes")->data, u, 3);
    // Wrong expectations name the file, tensor, and both shapes.
    int64_t bad[2] = {3, 2};
    assert_int_equal(st_expect(&f, "features.conv0.weight", ST_F32, 2, bad, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "features.conv0.weight"));
    assert_non_null(strstr(err.msg, "[2,3]"));
    assert_int_equal(st_expect(&f, "count", ST_F32, 1, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "I64"));
    assert_int_equal(st_expect(&f, "missing", ST_F32, 1, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "missing tensor \"missing\""));
    st_close(&f);
}

static void bf16_and_f16_convert(void **state) {
    (void)state;
    const char *path = test_out_path("st_half.safetensors");
    uint16_t b[2] = {cx_f32_to_bf16(1.5f), cx_f32_to_bf16(-0.25f)};
    _Float16 h[2] = {(_Float16)2.5f, (_Float16)-3.0f};
    int64_t s[1] = {2};
    st_writer *w = st_writer_new();
    st_writer_add(w, "b", ST_BF16, 1, s, b);
    st_writer_add(w, "h", ST_F16, 1, s, h);
    cx_error err;
    assert_int_equal(st_writer_write(w, path, &err), 0);
    st_writer_free(w);
    st_file f;
    assert_int_equal(st_open(&f, path, &err), 0);
    float out[2];
    assert_int_equal(st_read_f32(&f, st_find(&f, "b"), out, &err), 0);
    assert_true(out[0] == 1.5f && out[1] == -0.25f);
    assert_int_equal(st_read_f32(&f, st_find(&f, "h"), out, &err), 0);
    assert_true(out[0] == 2.5f && out[1] == -3.0f);
    st_close(&f);
}

// Each bad file: open fails and the message contains the file name and the given fragment.
static void expect_bad(const char *name, const char *header, size_t data_len, const char *frag) {
    const char *path = test_out_path(name);
    static unsigned char zeros[64];
    write_raw(path, header, zeros, data_len);
    st_file f;
    cx_error err = {0};
    if (st_open(&f, path, &err) == 0) fail_msg("%s: opened a bad file", name);
    if (!strstr(err.msg, path)) fail_msg("%s: message does not name the file: %s", name, err.msg);
    if (!strstr(err.msg, frag)) fail_msg("%s: expected '%s' in: %s", name, frag, err.msg);
}

static void bad_files_are_refused(void **state) {
    (void)state;
    expect_bad("st_json.safetensors", "{\"a\": {", 0, "not valid JSON");
    expect_bad("st_dtype.safetensors", "{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,4]}}",
               4, "unknown dtype \"F128\"");
    expect_bad("st_past_end.safetensors",
               "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, "outside");
    expect_bad("st_size.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
               8, "\"w\": 8 bytes");
    expect_bad("st_overlap.safetensors",
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
               12, "overlap");
    expect_bad("st_neg.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
               4, "shape[0]");
    expect_bad("st_meta.safetensors", "{\"__metadata__\":{\"a\":1}}", 0, "__metadata__");
    expect_bad("st_dup.safetensors",
               "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
               "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
               2, "duplicate");

    // Header length past the end of the file, and a header claiming 2^60 bytes.
    const char *path = test_out_path("st_hlen.safetensors");
    unsigned char buf[16] = {0xff, 0xff, 0, 0, 0, 0, 0, 0x10};
    FILE *fp = fopen(path, "wb");
    fwrite(buf, 1, sizeof buf, fp);
    fclose(fp);
    st_file f;
    cx_error err;
    assert_int_equal(st_open(&f, path, &err), -1);
    assert_non_null(strstr(err.msg, "exceeds the 100 MiB limit"));
    // Truncated: fewer than 8 bytes.
    fp = fopen(path, "wb");
    fwrite(buf, 1, 5, fp);
    fclose(fp);
    assert_int_equal(st_open(&f, path, &err), -1);
    assert_non_null(strstr(err.msg, "too short"));
    assert_int_equal(st_open(&f, test_out_path("does-not-exist.safetensors"), &err), -1);
    assert_non_null(strstr(err.msg, "cannot open"));
}

static void writer_is_atomic(void **state) {
    (void)state;
    // Writing over a directory fails with a clear error and leaves no temporary behind.
    const char *dir = test_out_path("st_is_a_dir");
    cx_mkdir_p(dir, NULL);
    st_writer *w = st_writer_new();
    cx_error err;
    assert_int_equal(st_writer_write(w, dir, &err), -1);
    assert_non_null(strstr(err.msg, "is a directory"));
    st_writer_free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(bf16_and_f16_convert),
        cmocka_unit_test(bad_files_are_refused),
        cmocka_unit_test(writer_is_atomic),
    };
    return cmocka_run_group_tests_name("io/safetensors", tests, NULL, NULL);
}
