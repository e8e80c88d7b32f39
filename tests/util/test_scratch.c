// util/scratch: a mapping backed by an unlinked file in the given directory (checked in
// /proc/self/maps), zero-filled, holding what is written; nothing left in the directory at any
// time; empty, oversized and impossible requests refused with the directory named.
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

#include "test.h"

static const char *fresh_dir(const char *name) {
    const char *d = test_out_path(name);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cx_mkdir_p(d, NULL), 0);
    return d;
}

static int entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

// The /proc/self/maps line of the mapping that starts at p (empty when there is none).
static void maps_line(const void *p, char *out, size_t cap) {
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[8400];
    out[0] = 0;
    while (fgets(line, sizeof line, f))
        if (strtoull(line, NULL, 16) == (unsigned long long)(uintptr_t)p) {
            snprintf(out, cap, "%s", line);
            break;
        }
    fclose(f);
}

static void pattern_round_trip(void **state) {
    (void)state;
    const char *dir = fresh_dir("scratch_round_trip");
    const size_t n = (3u << 20) + 5; // not a whole number of pages
    cx_error err = {0};
    uint8_t *p = cx_scratch_map(n, dir, &err);
    if (!p) fail_msg("cx_scratch_map: %s", err.msg);
    for (size_t i = 0; i < n; i++)
        if (p[i]) fail_msg("byte %zu is %d, expected a zero-filled mapping", i, p[i]);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 2654435761u >> 13);
    memmove(p + 1, p + 4096, 8192); // prepare compacts rows in place like this
    for (size_t i = 0; i < n; i++) {
        size_t src = i >= 1 && i < 8193 ? i + 4095 : i;
        if (p[i] != (uint8_t)(src * 2654435761u >> 13))
            fail_msg("byte %zu reads %d, wrote %d", i, p[i], (uint8_t)(src * 2654435761u >> 13));
    }
    // Backed by a file of dir that already has no name: nothing to clean up after any exit.
    char line[8400], real[4096];
    maps_line(p, line, sizeof line);
    assert_non_null(realpath(dir, real));
    if (!strstr(line, real) || !strstr(line, "(deleted)"))
        fail_msg("expected a deleted file in %s behind the mapping, /proc/self/maps has: %s", real,
                 line);
    assert_int_equal(entries(dir), 0);
    cx_scratch_unmap(p, n);
    maps_line(p, line, sizeof line);
    assert_string_equal(line, "");
    assert_int_equal(entries(dir), 0);
    cx_scratch_unmap(NULL, 0);
}

static void refused_with_directory_named(void **state) {
    (void)state;
    const char *dir = fresh_dir("scratch_refused");
    cx_error err = {0};
    assert_null(cx_scratch_map(0, dir, &err));
    if (!strstr(err.msg, dir) || !strstr(err.msg, "0 bytes")) fail_msg("got: %s", err.msg);
    uint64_t have;
    assert_int_equal(cx_disk_free(dir, &have, &err), 0);
    const size_t sizes[] = {(size_t)(2 * have + (1ull << 30)), // margin: space others free meanwhile
                            (size_t)1 << 62, SIZE_MAX};
    for (int i = 0; i < 3; i++) {
        memset(&err, 0, sizeof err);
        assert_null(cx_scratch_map(sizes[i], dir, &err));
        char need[64];
        snprintf(need, sizeof need, "needs %zu bytes", sizes[i]);
        if (!strstr(err.msg, dir) || !strstr(err.msg, need) || !strstr(err.msg, "free"))
            fail_msg("size %zu: expected dir, bytes needed and free, got: %s", sizes[i], err.msg);
    }
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/no/such/dir", dir);
    assert_null(cx_scratch_map(4096, missing, &err));
    if (!strstr(err.msg, missing) || !strstr(err.msg, "statvfs")) fail_msg("got: %s", err.msg);
    assert_int_equal(entries(dir), 0);
    // A directory it may not write to (root may write anywhere: then the map succeeds).
    char ro[4200];
    snprintf(ro, sizeof ro, "%s/read-only", dir);
    assert_int_equal(cx_mkdir_p(ro, NULL), 0);
    assert_int_equal(chmod(ro, 0555), 0);
    void *p = cx_scratch_map(4096, ro, &err);
    if (p)
        cx_scratch_unmap(p, 4096);
    else if (!strstr(err.msg, ro) || !strstr(err.msg, "mkstemp"))
        fail_msg("got: %s", err.msg);
    assert_int_equal(entries(ro), 0);
    chmod(ro, 0755);
}

static void scratch_dir_is_nearest_existing_parent(void **state) {
    (void)state;
    const char *dir = fresh_dir("scratch_parent");
    char path[4200], out[4200];
    snprintf(path, sizeof path, "%s/a/b/DATA", dir);
    assert_string_equal(cx_scratch_dir_for(out, sizeof out, path), dir);
    snprintf(path, sizeof path, "%s/a", dir);
    assert_int_equal(cx_mkdir_p(path, NULL), 0);
    snprintf(path, sizeof path, "%s/a/DATA/", dir); // trailing slash
    snprintf(out, sizeof out, "%s/a", dir);
    char got[4200];
    assert_string_equal(cx_scratch_dir_for(got, sizeof got, path), out);
    assert_string_equal(cx_scratch_dir_for(got, sizeof got, "DATA"), ".");
    assert_string_equal(cx_scratch_dir_for(got, sizeof got, "/DATA"), "/");
    assert_string_equal(cx_scratch_dir_for(got, sizeof got, "/no-such-dir/x/DATA"), "/");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pattern_round_trip),
        cmocka_unit_test(refused_with_directory_named),
        cmocka_unit_test(scratch_dir_is_nearest_existing_parent),
    };
    return cmocka_run_group_tests_name("util/scratch", tests, NULL, NULL);
}
