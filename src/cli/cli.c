// cli: shared helpers for subcommands (errors, strict flag parsing, the flag tables that drive
// parsing and --help).
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>


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

// Strict parsing of a flag value: 0 and *out set, or -1 after a usage error naming the flag.
static int parse_int(const char *cmd, const char *flag, const char *s, long lo, long hi,
                     long *out) {
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

static int parse_double(const char *cmd, const char *flag, const char *s, double lo, double hi,
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

#define MAX_THREADS 1024 // the --help texts say "1-1024"
static int parse_threads(const char *cmd, const char *s, int *out) {
    long v;
    if (parse_int(cmd, "--threads", s, 1, MAX_THREADS, &v)) return -1;
    *out = (int)v;
    return 0;
}

// Every seed ends in a uint64 RNG seed; the bound is strtol's.
static int parse_seed(const char *cmd, const char *flag, const char *s, uint64_t *out) {
    long v;
    if (parse_int(cmd, flag, s, 0, LONG_MAX, &v)) return -1;
    *out = (uint64_t)v;
    return 0;
}

// getopt_long from argv[1] again (cli_parse may run more than once in a process: the tests) and
// silent: the commands print their own messages.
static void getopt_reset(void) {
    optind = 1;
    opterr = 0;
}

// A flag getopt_long refused: ':' came last without its value; '?' is unknown, ambiguous, or a
// value given to a flag that takes none. argv[optind - 1] names it.
static int refused_flag(const char *cmd, int opt, char **argv) {
    if (opt == ':') return cli_usage_error(cmd, "%s needs a value", argv[optind - 1]);
    return cli_usage_error(cmd, "unknown flag '%s'", argv[optind - 1]);
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

// ---- flag tables ------------------------------------------------------------------------------

// An int or an int64_t, as the flag's size says (CLI_INT_SIZE checked it at compile time).
static void store_int(const cli_flag *f, long v) {
    if (f->size == sizeof(int64_t)) *(int64_t *)f->to = v;
    else *(int *)f->to = (int)v;
}

// "--labeler expects chexpert or negbio, got 'x'", as every name-list flag has said it.
static int parse_enum(const char *cmd, const char *flag, const cli_flag *f, const char *value) {
    const int n = f->n_names;
    for (int i = 0; i < n; i++)
        if (!strcmp(f->names[i], value)) {
            store_int(f, i);
            return 0;
        }
    char list[256] = "";
    for (int i = 0; i < n; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ",
                 f->names[i]);
    }
    cli_usage_error(cmd, "%s expects %s, got '%s'", flag, list, value);
    return -1;
}

int cli_flag_apply(const char *cmd, const cli_flag *f, const char *value) {
    char flag[64];
    snprintf(flag, sizeof flag, "--%s", f->name);
    long v;
    double d;
    int threads;
    switch (f->kind) {
    case CLI_SWITCH: store_int(f, f->lo); return 0;
    case CLI_INT:
        if (parse_int(cmd, flag, value, f->lo, f->hi, &v)) return -1;
        store_int(f, v);
        return 0;
    case CLI_DOUBLE:
        if (parse_double(cmd, flag, value, f->dlo, f->dhi, &d)) return -1;
        *(double *)f->to = d;
        return 0;
    case CLI_STRING: *(const char **)f->to = value; return 0;
    case CLI_ENUM: return parse_enum(cmd, flag, f, value);
    case CLI_SEED: return parse_seed(cmd, flag, value, f->to);
    case CLI_THREADS:
        if (parse_threads(cmd, value, &threads)) return -1;
        if (f->to) *(int *)f->to = threads;
        else cx_set_threads(threads);
        return 0;
    case CLI_APPEND:
        if (*f->count >= f->hi) return cli_usage_error(cmd, "at most %ld %s", f->hi, flag), -1;
        ((const char **)f->to)[(*f->count)++] = value;
        return 0;
    case CLI_FOR_NEXT:
        if (*f->count < f->hi) ((const char **)f->to)[*f->count] = value;
        return 0;
    case CLI_CUSTOM: return f->parse(cmd, f, value);
    case CLI_HELP:
    case CLI_SECTION: return 0;
    }
    return 0;
}

int cli_parse(const cli_table *t, int argc, char **argv, char ***operands, int *n_operands) {
    enum { FIRST_CODE = 256 }; // getopt_long's code of flags[i]: FIRST_CODE + i, clear of ':', '?'
    struct option *opts = cx_calloc((size_t)t->n_flags + 1, sizeof *opts);
    for (int i = 0, n = 0; i < t->n_flags; i++)
        if (t->flags[i].kind != CLI_SECTION)
            opts[n++] = (struct option){t->flags[i].name,
                                        t->flags[i].value ? required_argument : no_argument, NULL,
                                        FIRST_CODE + i};
    int opt, r = CLI_CONTINUE;
    getopt_reset();
    while (r == CLI_CONTINUE && (opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (opt < FIRST_CODE) {
            r = refused_flag(t->name, opt, argv);
        } else if (t->flags[opt - FIRST_CODE].kind == CLI_HELP) {
            cli_help(t, stdout);
            r = CLI_OK;
        } else if (cli_flag_apply(t->name, &t->flags[opt - FIRST_CODE], optarg)) {
            r = CLI_USAGE;
        }
    }
    free(opts);
    if (r != CLI_CONTINUE) return r;
    if (operands) {
        *operands = argv + optind;
        *n_operands = argc - optind;
    } else if (optind < argc) {
        return cli_usage_error(t->name, "unexpected argument '%s'", argv[optind]);
    }
    return CLI_CONTINUE;
}

// Help lines end by this column; a flag's help starts at the widest "  --name VALUE" + 3.
#define CLI_HELP_COLUMNS 100

// Writes the words of `text` from column `col` on, after `*used` columns of the current line,
// breaking lines between words before CLI_HELP_COLUMNS; `whole`: on a new line unless all fit.
static void print_wrapped(FILE *out, const char *text, int col, int whole, int *used) {
    const int width = CLI_HELP_COLUMNS - col;
    const int len_text = (int)strlen(text);
    if (whole && *used && *used + 1 + len_text > width && len_text <= width) {
        fprintf(out, "\n%*s", col, "");
        *used = 0;
    }
    for (const char *p = text; *p;) {
        int len = (int)strcspn(p, " ");
        if (*used && *used + 1 + len > width) {
            fprintf(out, "\n%*s", col, "");
            *used = 0;
        } else if (*used) {
            fputc(' ', out);
            ++*used;
        }
        fwrite(p, 1, (size_t)len, out);
        *used += len;
        for (p += len; *p == ' '; p++) {}
    }
}

static int flag_width(const cli_flag *f) { // "--name VALUE"
    return 2 + (int)strlen(f->name) + (f->value ? 1 + (int)strlen(f->value) : 0);
}

void cli_flags_help(const cli_flag *flags, int n, FILE *out) {
    int col = 0;
    for (int i = 0; i < n; i++)
        if (flags[i].kind != CLI_SECTION && flag_width(&flags[i]) > col)
            col = flag_width(&flags[i]);
    col += 2 + 3; // indent, gap
    for (int i = 0; i < n; i++) {
        const cli_flag *f = &flags[i];
        if (f->kind == CLI_SECTION) {
            fprintf(out, "%s%s\n", i ? "\n" : "", f->name);
            continue;
        }
        fprintf(out, "  --%s%s%s%*s", f->name, f->value ? " " : "", f->value ? f->value : "",
                col - 2 - flag_width(f), "");
        int used = 0;
        print_wrapped(out, f->help, col, 0, &used);
        if (f->dflt) { // "(default 100; 0 for none)" kept on one line where it fits one
            char dflt[256];
            snprintf(dflt, sizeof dflt, "(default%s%s)", f->dflt[0] == ':' ? "" : " ", f->dflt);
            print_wrapped(out, dflt, col, 1, &used);
        }
        fputc('\n', out);
    }
}

void cli_help(const cli_table *t, FILE *out) {
    fprintf(out, "%s\n\n", t->usage);
    if (t->about) fprintf(out, "%s\n\n", t->about);
    fputs("flags:\n", out);
    cli_flags_help(t->flags, t->n_flags, out);
    if (t->epilog) fprintf(out, "\n%s\n", t->epilog);
    fprintf(out, "\n%s\n", CLI_EXIT_STATUS_HELP);
}
