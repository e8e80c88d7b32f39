// data/regress_egd_bounds: egd_read against a fixations table that claims 10^9 rows for one
// image (~23 GB of text, ~28 GB of fixations in memory if kept). No such file is written: a
// generator process streams the rows into a FIFO named fixations.csv. Oracle: egd_read must
// refuse with an error naming the file, the line and the bound long before the end (the reader
// closing the pipe is what stops the generator). Safety valve: the generator stops by itself
// after VALVE_ROWS rows (EOF), so an unbounded reader fails this test in seconds instead of
// exhausting memory. Expected bound: at most ~1M fixations per image (real EGD-CXR: ~49k
// fixation rows for 1083 images); see /work/notes-reliability.md.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tiny_trees.h"

#include "data/data.h"

#define CLAIMED_ROWS 1000000000LL // what the file "holds"
#define VALVE_ROWS 2500000LL      // generator gives up here (an unbounded reader gets EOF)

static void write_master(const char *dir) {
    char text[4096];
    size_t at = (size_t)snprintf(text, sizeof text, "dicom_id,path,study_id,patient_id,"
                                 "image_top_pad,image_bottom_pad,image_left_pad,image_right_pad");
    for (int c = 0; c < CX_N_LABELS; c++)
        at += (size_t)snprintf(text + at, sizeof text - at, ",%s", CX_LABELS_EGD[c]);
    at += (size_t)snprintf(text + at, sizeof text - at,
                           "\ne1,files/p10/p10000001/s50000001/e1.dcm,50000001,10000001,0,0,0,0");
    for (int c = 0; c < CX_N_LABELS; c++) at += (size_t)snprintf(text + at, sizeof text - at, ",");
    snprintf(text + at, sizeof text - at, "\n");
    write_text(tree_path(dir, "master_sheet.csv"), text);
}

// Child: the header, then fixation rows of image e1 until the reader closes the pipe (exit 0)
// or VALVE_ROWS rows are out (exit 1: the reader never refused).
static pid_t start_generator(const char *fifo) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid) return pid;
    signal(SIGPIPE, SIG_IGN);
    FILE *f = fopen(fifo, "w");
    if (!f) _exit(3);
    fputs("DICOM_ID,FPOGX,FPOGY,FPOGD,X_ORIGINAL,Y_ORIGINAL\n", f);
    for (long long r = 0; r < CLAIMED_ROWS && r < VALVE_ROWS; r++)
        if (fprintf(f, "e1,0.5,0.5,0.25,%lld,%lld\n", 100 + r % 200, 120 + r % 150) < 0 ||
            ferror(f))
            _exit(0);
    if (fflush(f) != 0) _exit(0);
    _exit(1);
}

static void fixations_claiming_1e9_rows(void **state) {
    (void)state;
    const char *dir = test_out_path("regress_egd_huge");
    rm_tree(dir);
    write_master(dir);
    const char *fifo = tree_path(dir, "fixations.csv");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t gen = start_generator(fifo);
    egd_data d;
    cx_error err = {0};
    int rc = egd_read(dir, &d, &err);
    int64_t kept = rc == 0 ? d.n_fix : -1;
    if (rc == 0) egd_free(&d);
    int st;
    assert_int_equal(waitpid(gen, &st, 0), gen);
    rm_tree(dir);
    if (rc == 0)
        fail_msg("egd_read accepted %lld fixations for one image from a file claiming %lld rows "
                 "(stopped only by this test's %lld-row valve): the reader needs a bound, "
                 "see /work/notes-reliability.md",
                 (long long)kept, CLAIMED_ROWS, VALVE_ROWS);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0); // refused before the valve
    if (!strstr(err.msg, "fixations.csv:") || !strstr(err.msg, "e1"))
        fail_msg("the error should name fixations.csv:<line> and the image, got: %s", err.msg);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(fixations_claiming_1e9_rows)};
    return cmocka_run_group_tests_name("data/regress_egd_bounds", tests, NULL, NULL);
}
