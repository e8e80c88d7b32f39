// io/regress_bounds: the CSV reader's resource bounds hold against a 1 GiB line without that
// gigabyte ever being written to disk: (1) a generator process streams it into a FIFO, (2) a
// sparse file has a 1 GiB hole. Oracle: csv_table_read and csv_stream fail with an error naming
// file:line and the CSV_MAX_FIELD bound, having read little more than the bound (the generator
// sees the pipe closed early), in bounded memory (peak RSS growth well under the line's size).
// The safetensors 2^60-byte header claim is tested in test_safetensors.c (st_hlen), the
// 100000 x 100000 PNG in test_image.c (huge_png_refused_before_allocation).
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

#include "io/io.h"

#define GIB ((int64_t)1 << 30)

// Child: writes header, then `line_bytes` of 'x', then "\n" into the FIFO. Exit 0 when the
// reader closed the pipe before the line ended (EPIPE), 1 when the whole line went through.
static pid_t start_generator(const char *fifo, const char *header, int64_t line_bytes) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid) return pid;
    signal(SIGPIPE, SIG_IGN);
    int fd = open(fifo, O_WRONLY);
    if (fd < 0) _exit(3);
    static char chunk[1 << 20];
    memset(chunk, 'x', sizeof chunk);
    if (write(fd, header, strlen(header)) < 0) _exit(0);
    for (int64_t done = 0; done < line_bytes;) {
        size_t n = (size_t)(line_bytes - done < (int64_t)sizeof chunk ? line_bytes - done
                                                                       : (int64_t)sizeof chunk);
        ssize_t w = write(fd, chunk, n);
        if (w < 0) _exit(0); // EPIPE: the reader gave up, as it should
        done += w;
    }
    if (write(fd, "\n1,2\n", 5) < 0) _exit(0);
    _exit(1);
}

static long max_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int no_rows(void *ctx, int64_t line, int nf, const char *const *f, cx_error *err) {
    (void)ctx, (void)line, (void)nf, (void)f, (void)err;
    return 0;
}

// A 1 GiB line as `which` (0: the header line, 1: the first data row) through a FIFO.
static void one_gib_line_fifo(int which, int streaming) {
    const char *fifo = test_out_path("regress_1gib_line.fifo");
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    long rss0 = max_rss_kb();
    pid_t gen = start_generator(fifo, which ? "a,b\n" : "", GIB);
    cx_error err = {0};
    int rc;
    if (streaming) {
        rc = csv_stream(fifo, NULL, no_rows, NULL, &err);
    } else {
        csv_table *t = csv_table_read(fifo, &err);
        rc = t ? 0 : -1;
        csv_table_free(t);
    }
    int st;
    assert_int_equal(waitpid(gen, &st, 0), gen);
    unlink(fifo);
    assert_int_equal(rc, -1);
    char want[64];
    snprintf(want, sizeof want, "regress_1gib_line.fifo:%d:", which + 1);
    if (!strstr(err.msg, want) || !strstr(err.msg, "CSV_MAX_FIELD"))
        fail_msg("expected '%s...CSV_MAX_FIELD', got: %s", want, err.msg);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0); // the reader stopped long before the end of the line
    long grown_mb = (max_rss_kb() - rss0) / 1024;
    if (grown_mb > 256) fail_msg("peak RSS grew by %ld MB reading a 1 GiB line", grown_mb);
}

static void csv_1gib_header_line(void **state) {
    (void)state;
    one_gib_line_fifo(0, 0);
}
static void csv_1gib_data_line(void **state) {
    (void)state;
    one_gib_line_fifo(1, 0);
}
static void csv_1gib_line_streamed(void **state) {
    (void)state;
    one_gib_line_fifo(1, 1);
}

// The same from a regular (sparse) file: "a,b\n", a 1 GiB hole (NUL bytes), "\n".
static void csv_1gib_sparse_file(void **state) {
    (void)state;
    const char *path = test_out_path("regress_1gib_sparse.csv");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "a,b\n", 4), 4);
    assert_int_equal(pwrite(fd, "\n", 1, 4 + GIB), 1);
    assert_int_equal(close(fd), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_blocks * 512 < (1 << 20)); // really sparse: nothing like 1 GiB on disk
    cx_error err = {0};
    assert_null(csv_table_read(path, &err));
    assert_non_null(strstr(err.msg, "regress_1gib_sparse.csv:2:"));
    assert_non_null(strstr(err.msg, "CSV_MAX_FIELD"));
    assert_int_equal(csv_stream(path, NULL, no_rows, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "regress_1gib_sparse.csv:2:"));
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_1gib_header_line), cmocka_unit_test(csv_1gib_data_line),
        cmocka_unit_test(csv_1gib_line_streamed), cmocka_unit_test(csv_1gib_sparse_file)};
    return cmocka_run_group_tests_name("io/regress_bounds", tests, NULL, NULL);
}
