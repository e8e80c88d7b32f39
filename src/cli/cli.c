// cli: shared helpers for subcommands (errors, strict flag parsing, the flags all commands share).
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attr_cli.h"
#include "data/data.h"

const char CLI_EXIT_STATUS_HELP[] = "Exit status: 0 success, 1 error (bad input, I/O, engine: the "
                                    "message names the file), 2 usage.";

int cli_error(const char *cmd, const cx_error *err) {
    fprintf(stderr, "cxrgaze %s: %s\n", cmd, err->msg);
    return CLI_BAD_INPUT;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    fprintf(stderr, "cxrgaze %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'cxrgaze %s --help'.\n", cmd);
    return CLI_USAGE;
}

int cli_parse_int(const char *cmd, const char *flag, const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        cli_usage_error(cmd, "%s expects an integer in [%ld, %ld], got '%s'", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *cmd, const char *flag, const char *s, double lo, double hi,
                     double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
        cli_usage_error(cmd, "%s expects a number in [%g, %g], got '%s'", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_precision(const char *cmd, const char *s, nn_precision *out) {
    if (!strcmp(s, "fp32")) *out = NN_FP32;
    else if (!strcmp(s, "bf16")) *out = NN_BF16;
    else return cli_usage_error(cmd, "--precision expects fp32 or bf16, got '%s'", s), -1;
    return 0;
}

int cli_parse_split(const char *cmd, const char *s, int *out) {
    int v = split_from_name(s);
    if (v < 0) {
        cli_usage_error(cmd, "--split expects train, validate or test, got '%s'", s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_threads(const char *cmd, const char *s, int *out) {
    long v;
    if (cli_parse_int(cmd, "--threads", s, 1, CLI_MAX_THREADS, &v)) return -1;
    *out = (int)v;
    return 0;
}

int cli_parse_seed(const char *cmd, const char *flag, const char *s, uint64_t *out) {
    long v;
    if (cli_parse_int(cmd, flag, s, 0, LONG_MAX, &v)) return -1;
    *out = (uint64_t)v;
    return 0;
}

void cli_getopt_reset(void) {
    optind = 1;
    opterr = 0;
}

int cli_common_option(const cli_command *c, int opt, char **argv) {
    int threads;
    switch (opt) {
    case CLI_OPT_THREADS:
        if (cli_parse_threads(c->name, optarg, &threads)) return CLI_USAGE;
        cx_set_threads(threads);
        return CLI_CONTINUE;
    case CLI_OPT_HELP:
        c->help(stdout);
        printf("\n%s\n", CLI_EXIT_STATUS_HELP); // here, so that no command's text can miss it
        return CLI_OK;
    case ':': // the flag came last, without its value
        return cli_usage_error(c->name, "%s needs a value", argv[optind - 1]);
    default: // '?': unknown, ambiguous, or a value given to a flag that takes none
        return cli_usage_error(c->name, "unknown flag '%s'", argv[optind - 1]);
    }
}

int cli_method_or_common_option(const cli_command *c, int opt, char **argv,
                                struct attr_options *o) {
    int r = attr_cli_option(c->name, opt, optarg, o);
    if (r < 0) return CLI_USAGE;
    if (r > 0) return CLI_CONTINUE;
    return cli_common_option(c, opt, argv);
}

char *cli_command_line(int argc, char **argv) {
    size_t n = 1;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 3;
    char *s = cx_malloc(n), *p = s;
    for (int i = 0; i < argc; i++) {
        int q = strchr(argv[i], ' ') != NULL;
        p += sprintf(p, "%s%s%s%s", i ? " " : "", q ? "'" : "", argv[i], q ? "'" : "");
    }
    *p = 0;
    return s;
}
