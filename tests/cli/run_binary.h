// Shared by tests/cli: the cxrgaze binary ($CXRGAZE, else build/cxrgaze) run by fork/exec, its
// stdout to /dev/null and stderr to a file the test reads.
#ifndef CX_TESTS_CLI_RUN_BINARY_H
#define CX_TESTS_CLI_RUN_BINARY_H

#include <fcntl.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static inline const char *cxrgaze(void) {
    const char *b = getenv("CXRGAZE");
    return b && *b ? b : "build/cxrgaze";
}

// Starts `cxrgaze <args>` (args split on spaces; no path here holds one), stdout to /dev/null,
// stderr to errfile. Returns the child's pid.
static inline pid_t spawn(const char *args, const char *errfile) {
    char buf[16384];
    snprintf(buf, sizeof buf, "%s", args);
    char *argv[128];
    int argc = 0;
    argv[argc++] = (char *)cxrgaze();
    for (char *t = strtok(buf, " "); t && argc < 127; t = strtok(NULL, " ")) argv[argc++] = t;
    argv[argc] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int e = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644), n = open("/dev/null", O_WRONLY);
        if (e >= 0) dup2(e, 2);
        if (n >= 0) dup2(n, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static inline int run(const char *errfile, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline int run(const char *errfile, const char *fmt, ...) {
    char args[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int st;
    pid_t pid = spawn(args, errfile);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#endif
