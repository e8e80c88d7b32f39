// cli/prepare_dicom: `cxrgaze prepare --images DIR` on a folder of DICOM files (the binary,
// $CXRGAZE, fork/exec). Oracle: the pack's pixels are io's decode (tests/io/test_dicom.c checks
// it against the standard's formulas) and fit of each file; a .dicom name is picked up like .dcm;
// a file DCMTK cannot decode is skipped and named with its transfer syntax; a folder of only
// unreadable DICOM exits 1 naming the file and the tag.
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

#include "data/data.h"
#include "data/tiny_trees.h" // rm_tree

enum { S = 32 };

// Runs `cxrgaze prepare --images dir --out out --size S --quiet`, stderr to errfile; exit status.
static int prepare(const char *dir, const char *out, const char *errfile) {
    const char *bin = getenv("CXRGAZE");
    if (!bin || !*bin) bin = "build/cxrgaze";
    char size[16];
    snprintf(size, sizeof size, "%d", S);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(errfile, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(126);
        execl(bin, bin, "prepare", "--images", dir, "--out", out, "--size", size, "--quiet",
              (char *)NULL);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void copy_fixture(const char *name, const char *dir, const char *as) {
    char src[512], dst[4300];
    char *buf;
    size_t n;
    cx_error err = {0};
    snprintf(src, sizeof src, "tests/fixtures/dicom/%s", name);
    snprintf(dst, sizeof dst, "%s/%s", dir, as);
    if (cx_read_file(src, &buf, &n, &err) || cx_write_file_atomic(dst, buf, n, &err))
        fail_msg("%s", err.msg);
    free(buf);
}

static void err_has(const char *errfile, const char *a, const char *b) {
    char *text;
    size_t n;
    cx_error err = {0};
    if (cx_read_file(errfile, &text, &n, &err)) fail_msg("%s", err.msg);
    if (!strstr(text, a) || (b && !strstr(text, b)))
        fail_msg("stderr lacks '%s' / '%s':\n%s", a, b ? b : "", text);
    free(text);
}

static void dicom_folder_packs(void **state) {
    (void)state;
    char dir[4096], out[4096], errf[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("pd_images"));
    snprintf(out, sizeof out, "%s", test_out_path("pd_DATA"));
    snprintf(errf, sizeof errf, "%s", test_out_path("pd.err"));
    rm_tree(dir);
    cx_mkdir_p(dir, NULL);
    copy_fixture("m2_u12_window.dcm", dir, "a.dcm");
    copy_fixture("m1_u12_minmax.jpls.dcm", dir, "b.dicom");
    copy_fixture("m2_s12_rescale_window.rle.dcm", dir, "c.DCM");
    copy_fixture("bad_j2k.dcm", dir, "d.dcm");
    copy_fixture("README.md", dir, "notes.txt"); // not an image name: ignored
    assert_int_equal(prepare(dir, out, errf), 0);
    err_has(errf, "d.dcm: (0002,0010) unsupported transfer syntax 1.2.840.10008.1.2.4.90",
            "JPEG 2000");
    pack p;
    cx_error err = {0};
    if (pack_open(&p, out, &err)) fail_msg("%s", err.msg);
    static const char *const ids[3] = {"a.dcm", "b.dicom", "c.DCM"};
    assert_int_equal(p.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(p.dicom_id[i], ids[i]);
        char path[4300];
        snprintf(path, sizeof path, "%s/%s", dir, ids[i]);
        uint8_t want[S * S];
        if (img_load_fit(path, S, want, NULL, &err)) fail_msg("%s", err.msg);
        assert_memory_equal(p.images + (size_t)i * S * S, want, sizeof want);
    }
    // MONOCHROME1 (b) inverted: its minimum sits at the top-left corner, displayed white.
    assert_true(p.images[1 * S * S] > 200);
    pack_close(&p);
}

static void unreadable_dicom_exits_1(void **state) {
    (void)state;
    char dir[4096], out[4096], errf[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("pd_bad"));
    snprintf(out, sizeof out, "%s", test_out_path("pd_bad_DATA"));
    snprintf(errf, sizeof errf, "%s", test_out_path("pd_bad.err"));
    rm_tree(dir);
    rm_tree(out);
    cx_mkdir_p(dir, NULL);
    copy_fixture("bad_rgb.dcm", dir, "x.dcm");
    assert_int_equal(prepare(dir, out, errf), 1);
    err_has(errf, "x.dcm: (0028,0004) PhotometricInterpretation is RGB", NULL);
    assert_false(cx_path_exists(out));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dicom_folder_packs),
        cmocka_unit_test(unreadable_dicom_exits_1),
    };
    return cmocka_run_group_tests_name("cli/prepare_dicom", tests, NULL, NULL);
}
