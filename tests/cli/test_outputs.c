// cli/outputs: crash-safe outputs. `cxrgaze metrics`, `synth` and `prepare` run as the binary
// ($CXRGAZE) in a forked child under an injected failure: disk full (RLIMIT_FSIZE makes write()
// fail with EFBIG; SIGXFSZ ignored), a read-only output directory (a read-only bind mount in a
// private mount namespace: root ignores permission bits; skipped with a visible message where
// namespaces are unavailable), and an output path that is a directory (or, for a directory
// output, a file). Oracle: exit status 1, the message names the output, no file under the final
// name afterwards (or the pre-existing one byte-identical), no temporary left behind.
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

#include "data/data.h"
#include "io/io.h"

#define RC_NO_NAMESPACE 77

static const char *cxrgaze(void) {
    const char *b = getenv("CXRGAZE");
    return b && *b ? b : "build/cxrgaze";
}

static char *path_dup(const char *name) { return cx_strdup(test_out_path(name)); }

static void rm_rf(const char *path) {
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

// Runs `cxrgaze ARGS 2>errfile` in a child. fsize > 0: RLIMIT_FSIZE of that many bytes.
// ro_dir: bind-mounted read-only (in a new mount namespace) for the child only. Returns the exit
// status, RC_NO_NAMESPACE when the read-only mount could not be made.
static int run_cli(long fsize, const char *ro_dir, const char *errfile, const char *fmt, ...) {
    char args[6000], line[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "exec %s %s >/dev/null 2>%s", cxrgaze(), args, errfile);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (ro_dir) {
            if (unshare(CLONE_NEWNS) || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
                mount(ro_dir, ro_dir, NULL, MS_BIND, NULL) ||
                mount(NULL, ro_dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL))
                _exit(RC_NO_NAMESPACE);
        }
        if (fsize > 0) {
            struct rlimit rl = {(rlim_t)fsize, (rlim_t)fsize};
            signal(SIGXFSZ, SIG_IGN); // write() then fails with EFBIG, as on a full disk
            if (setrlimit(RLIMIT_FSIZE, &rl)) _exit(99);
        }
        execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(98);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *path) {
    char *d = NULL;
    size_t n;
    if (cx_read_file(path, &d, &n, NULL)) return NULL;
    return d;
}

static void assert_err_names(const char *errfile, const char *what, const char *detail) {
    char *e = slurp(errfile);
    assert_non_null(e);
    if (!strstr(e, what) || (detail && !strstr(e, detail)))
        fail_msg("stderr should name '%s'%s%s, got: %s", what, detail ? " and say " : "",
                 detail ? detail : "", e);
    free(e);
}

// No "<base>.tmp.*" entry beside path (base = last path component).
static void assert_no_temp(const char *path) {
    char dir[4096], base[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    assert_non_null(slash);
    snprintf(base, sizeof base, "%s.tmp.", slash + 1);
    *slash = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, base, strlen(base)))
            fail_msg("temporary output left behind: %s/%s", dir, e->d_name);
    closedir(d);
}

// ---- metrics: small maps whose CSV is ~10 KB ---------------------------------------------------
enum { N = 64, H = 8, W = 8 };
static char *g_maps, *g_ref;

static void write_maps(void) {
    static float a[N * H * W], b[N * H * W];
    for (int i = 0; i < N * H * W; i++) {
        a[i] = (float)((i * 7919) % 101) / 100.0f;
        b[i] = (float)((i * 104729) % 97) / 96.0f;
    }
    int64_t s3[3] = {N, H, W};
    cx_error err;
    g_maps = path_dup("out_maps.safetensors");
    g_ref = path_dup("out_ref.safetensors");
    st_writer *w = st_writer_new();
    st_writer_add(w, "saliency", ST_F32, 3, s3, a);
    assert_int_equal(st_writer_write(w, g_maps, &err), 0);
    st_writer_free(w);
    w = st_writer_new();
    st_writer_add(w, "gaze", ST_F32, 3, s3, b);
    assert_int_equal(st_writer_write(w, g_ref, &err), 0);
    st_writer_free(w);
}

static void metrics_disk_full(void **state) {
    (void)state;
    write_maps();
    char *out = path_dup("out_metrics.csv"), *errf = path_dup("out_metrics.err");
    unlink(out);
    // Sanity: without the limit it works and is bigger than the limit used below.
    assert_int_equal(run_cli(0, NULL, errf, "metrics --maps %s --reference %s --out %s --quiet",
                             g_maps, g_ref, out), 0);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_true(st.st_size > 2048);
    char *good = slurp(out);
    // 1. No previous output: nothing appears under the final name.
    unlink(out);
    assert_int_equal(run_cli(1024, NULL, errf, "metrics --maps %s --reference %s --out %s "
                             "--quiet", g_maps, g_ref, out), 1);
    assert_err_names(errf, out, "File too large");
    assert_false(cx_path_exists(out));
    assert_no_temp(out);
    // 2. A previous output stays byte-identical (not replaced by a truncated one).
    assert_int_equal(cx_write_file_atomic(out, "previous\n", 9, NULL), 0);
    assert_int_equal(run_cli(1024, NULL, errf, "metrics --maps %s --reference %s --out %s "
                             "--quiet", g_maps, g_ref, out), 1);
    char *now = slurp(out);
    assert_non_null(now);
    assert_string_equal(now, "previous\n");
    assert_no_temp(out);
    // 3. And a good run replaces it with the full table.
    assert_int_equal(run_cli(0, NULL, errf, "metrics --maps %s --reference %s --out %s --quiet",
                             g_maps, g_ref, out), 0);
    free(now);
    now = slurp(out);
    assert_string_equal(now, good);
    free(now), free(good), free(out), free(errf);
}

static void metrics_out_is_directory(void **state) {
    (void)state;
    char *out = path_dup("out_metrics_dir"), *errf = path_dup("out_metrics_dir.err");
    rm_rf(out);
    assert_int_equal(mkdir(out, 0755), 0);
    assert_int_equal(run_cli(0, NULL, errf, "metrics --maps %s --reference %s --out %s --quiet",
                             g_maps, g_ref, out), 1);
    assert_err_names(errf, out, "directory");
    assert_true(cx_is_dir(out));
    assert_int_equal(rmdir(out), 0); // still empty
    assert_no_temp(out);
    free(out), free(errf);
}

static void metrics_read_only_dir(void **state) {
    (void)state;
    char *dir = path_dup("out_ro"), *errf = path_dup("out_ro.err");
    rm_rf(dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    char out[4200];
    snprintf(out, sizeof out, "%s/m.csv", dir);
    assert_int_equal(cx_write_file_atomic(out, "previous\n", 9, NULL), 0);
    int rc = run_cli(0, dir, errf, "metrics --maps %s --reference %s --out %s --quiet", g_maps,
                     g_ref, out);
    if (rc == RC_NO_NAMESPACE) {
        fprintf(stderr, "SKIPPED read-only output directory: cannot make a read-only bind mount "
                        "(no mount namespace: needs CAP_SYS_ADMIN)\n");
        free(dir), free(errf);
        skip();
    }
    assert_int_equal(rc, 1);
    assert_err_names(errf, out, "Read-only file system");
    char *now = slurp(out);
    assert_string_equal(now, "previous\n");
    assert_no_temp(out);
    free(now), free(dir), free(errf);
}

// ---- synth and prepare: directory outputs -----------------------------------------------------
static const char *SYNTH = "synth --images 6 --gaze-images 2 --size 64 --seed 3 --quiet";

static void synth_disk_full(void **state) {
    (void)state;
    char *out = path_dup("out_synth_full"), *errf = path_dup("out_synth_full.err");
    rm_rf(out);
    assert_int_equal(run_cli(4096, NULL, errf, "%s --out %s", SYNTH, out), 1);
    assert_err_names(errf, "out_synth_full", "File too large");
    assert_false(cx_path_exists(out));
    assert_no_temp(out);
    // An output path that is a file: refused, the file untouched.
    assert_int_equal(cx_write_file_atomic(out, "keep\n", 5, NULL), 0);
    assert_int_equal(run_cli(0, NULL, errf, "%s --out %s", SYNTH, out), 1);
    assert_err_names(errf, out, NULL);
    char *now = slurp(out);
    assert_string_equal(now, "keep\n");
    unlink(out);
    free(now), free(out), free(errf);
}

static void prepare_failures(void **state) {
    (void)state;
    // DATA inside its own parent folder, which test 3 makes read-only.
    char *tree = path_dup("out_prep_tree"), *parent = path_dup("out_prep_parent"),
         *errf = path_dup("out_prep.err");
    rm_rf(tree), rm_rf(parent);
    assert_int_equal(mkdir(parent, 0755), 0);
    char out[4200];
    snprintf(out, sizeof out, "%s/out_prep_DATA", parent);
    assert_int_equal(run_cli(0, NULL, errf, "%s --out %s", SYNTH, tree), 0);
    char prep[9000];
    snprintf(prep, sizeof prep, "prepare --mimic %s/mimic-cxr-jpg --egd %s/egd-cxr --size 32 "
             "--quiet --out %s", tree, tree, out);
    // 1. Disk full while writing the pack: exit 1 naming it, no pack, no temporary directory.
    assert_int_equal(run_cli(8192, NULL, errf, "%s", prep), 1);
    assert_err_names(errf, "out_prep_DATA", "File too large");
    assert_false(cx_path_exists(out));
    assert_no_temp(out);
    // 2. A good pack, then a failing rerun: the old pack is intact (same bytes, opens).
    assert_int_equal(run_cli(0, NULL, errf, "%s", prep), 0);
    char pst[4200], idx[4200];
    snprintf(pst, sizeof pst, "%s/pack.safetensors", out);
    snprintf(idx, sizeof idx, "%s/index.csv", out);
    char *idx_before = slurp(idx);
    struct stat st0, st1;
    assert_int_equal(stat(pst, &st0), 0);
    assert_true(st0.st_size > 8192);
    assert_int_equal(run_cli(8192, NULL, errf, "%s", prep), 1);
    assert_err_names(errf, "out_prep_DATA", "File too large");
    assert_int_equal(stat(pst, &st1), 0);
    assert_int_equal(st0.st_size, st1.st_size);
    assert_int_equal(st0.st_mtime, st1.st_mtime);
    char *idx_after = slurp(idx);
    assert_string_equal(idx_before, idx_after);
    pack p;
    cx_error err;
    assert_int_equal(pack_open(&p, out, &err), 0);
    assert_int_equal(p.n, 6);
    pack_close(&p);
    assert_no_temp(out);
    // 3. Read-only parent directory: refused, old pack kept.
    int rc = run_cli(0, parent, errf, "%s", prep);
    if (rc == RC_NO_NAMESPACE) {
        fprintf(stderr, "SKIPPED prepare into a read-only directory: no mount namespace\n");
    } else {
        assert_int_equal(rc, 1);
        assert_err_names(errf, "out_prep_DATA", "Read-only file system");
        assert_int_equal(pack_open(&p, out, &err), 0);
        pack_close(&p);
    }
    // 4. --out is a regular file: refused, untouched.
    rm_rf(out);
    assert_int_equal(cx_write_file_atomic(out, "keep\n", 5, NULL), 0);
    assert_int_equal(run_cli(0, NULL, errf, "%s", prep), 1);
    assert_err_names(errf, out, "not a directory");
    char *now = slurp(out);
    assert_string_equal(now, "keep\n");
    unlink(out);
    rm_rf(tree), rm_rf(parent);
    free(now), free(idx_before), free(idx_after), free(tree), free(parent), free(errf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_disk_full),   cmocka_unit_test(metrics_out_is_directory),
        cmocka_unit_test(metrics_read_only_dir), cmocka_unit_test(synth_disk_full),
        cmocka_unit_test(prepare_failures),
    };
    return cmocka_run_group_tests_name("cli/outputs", tests, NULL, NULL);
}
