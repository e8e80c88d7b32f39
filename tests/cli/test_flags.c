// cli/flags: the flag-table parser (cli_parse, cli_flag_apply) and help printer (cli_help) below
// the command line: each kind stores its value and refuses one out of range with the message the
// commands have always printed; unknown flags, missing values and stray operands are usage errors
// (2); --help prints the table with every default; repeated flags append. The saliency-method
// fragment (ATTR_CLI_FLAGS) lists and parses every method flag.
// cli/ is not part of the library, so its two files are compiled into this test.
#include <omp.h>
#include <unistd.h>

#include "test.h"

#include "cli/attr_cli.c"
#include "cli/cli.c"

typedef struct args {
    int n;
    int64_t big;
    double p;
    const char *out;
    int weight;
    nn_precision prec;
    int split;
    uint64_t seed;
    int threads, progress;
    const char *eval[2]; // --eval, repeatable, at most 2
    int n_eval;
    const char *attr[2], *name[2]; // --attributions, repeatable; --name of the next one
    int n_attr;
    char layer[96];
} args;

static const char *const WEIGHTS[] = {"count", "duration"};
static const char *const ABC[] = {"a", "b", "c"};

// What the test command's flags write, as its own variables.
static args a;
static int abc;

#define TEST_FLAGS                                                                                 \
    CLI_FLAG_INT("n", "N", &a.n, 1, 10, "3", "a small count"),                                     \
        CLI_FLAG_INT("big", "N", &a.big, 0, 0x7fffffffffffffffL, ": all", "a large count"),       \
        CLI_FLAG_DOUBLE("p", "P", &a.p, 0, 0.5, "0.02", "a probability"),                          \
        CLI_FLAG_STRING("out", "DIR", &a.out, NULL, "output directory (required)"),                \
        CLI_FLAG_ENUM("weight", "W", &a.weight, WEIGHTS, "count", "count | duration"),             \
        CLI_FLAG_ENUM("abc", "X", &abc, ABC, NULL, "a | b | c"),                                   \
        CLI_FLAG_PRECISION(&a.prec, "fp32", "fp32 | bf16"),                                        \
        CLI_FLAG_SPLIT(&a.split, "test", "split"),                                                 \
        CLI_FLAG_SEED("seed", &a.seed, "0", "seed"),                                               \
        CLI_FLAG_THREADS_INTO(&a.threads, ": all cores", "worker threads, 1-1024"),              \
        CLI_FLAG_APPEND("eval", "DIR", a.eval, &a.n_eval, 2, NULL, "an eval directory"),           \
        CLI_FLAG_APPEND("attributions", "DIR", a.attr, &a.n_attr, 2, NULL, "maps"),               \
        CLI_FLAG_FOR_NEXT("name", "NAME", a.name, &a.n_attr, 2, ": the directory name",          \
                          "display name of the next --attributions"),                             \
        CLI_FLAG_CUSTOM("gc-layer", "L", a.layer, attr_cli_parse_layer, NULL, "a layer"),          \
        CLI_FLAG_SWITCH("quiet", &a.progress, 0, NULL, "no progress bar"), CLI_FLAG_HELP

static char captured[8192]; // what the last run() wrote to stdout and stderr (fd 1 and 2)

// Parses `line` (words split on spaces; the first is the command name) with the test table into
// the fresh `a`, stdout and stderr into `captured`. Returns cli_parse's status.
static int run(const char *line, char ***operands, int *n_operands) {
    memset(&a, 0, sizeof a);
    a.n = 3, a.progress = 1, abc = -1;
    const cli_flag flags[] = {TEST_FLAGS};
    const cli_table t = {"t", "usage: cxrgaze t --out DIR [flags]", "About t.", flags,
                         CLI_N_FLAGS(flags), NULL};
    static char buf[1024];
    char *argv[32];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *s = NULL, *w = strtok_r(buf, " ", &s); w; w = strtok_r(NULL, " ", &s))
        argv[argc++] = w;
    argv[argc] = NULL;
    fflush(stdout), fflush(stderr);
    FILE *tmp = tmpfile();
    int out = dup(1), err = dup(2);
    dup2(fileno(tmp), 1), dup2(fileno(tmp), 2);
    int r = cli_parse(&t, argc, argv, operands, n_operands);
    fflush(stdout), fflush(stderr);
    dup2(out, 1), dup2(err, 2), close(out), close(err);
    rewind(tmp);
    captured[fread(captured, 1, sizeof captured - 1, tmp)] = 0;
    fclose(tmp);
    return r;
}

static void kinds_parse(void **state) {
    (void)state;
    assert_int_equal(run("t --n 7 --big 5000000000 --p 0.25 --out a/b --weight duration --abc c "
                         "--precision bf16 --split validate --seed 9223372036854775807 "
                         "--threads 12 --gc-layer denseblock4.denselayer16.conv2 --quiet",
                         NULL, NULL),
                     CLI_CONTINUE);
    assert_string_equal(captured, "");
    assert_int_equal(a.n, 7);
    assert_true(a.big == 5000000000LL);
    assert_true(a.p == 0.25);
    assert_string_equal(a.out, "a/b");
    assert_int_equal(a.weight, 1);
    assert_int_equal(abc, 2);
    assert_int_equal(a.prec, NN_BF16);
    assert_int_equal(a.split, SPLIT_VALIDATE);
    assert_true(a.seed == 9223372036854775807ULL);
    assert_int_equal(a.threads, 12);
    assert_string_equal(a.layer, "features.denseblock4.denselayer16.conv2");
    assert_int_equal(a.progress, 0);
    // --flag=value and an unambiguous prefix, as getopt_long gives them
    assert_int_equal(run("t --n=4 --wei count --gc-layer features.norm5", NULL, NULL),
                     CLI_CONTINUE);
    assert_int_equal(a.n, 4);
    assert_int_equal(a.weight, 0);
    assert_string_equal(a.layer, "features.norm5");
    // untouched flags keep the caller's defaults
    assert_int_equal(a.progress, 1);
    assert_int_equal(abc, -1);
}

// Each bad value: exit status 2 and the exact message.
static void kinds_range_check(void **state) {
    (void)state;
    static const struct {
        const char *line, *msg;
    } cases[] = {
        {"t --n 11", "--n expects an integer in [1, 10], got '11'"},
        {"t --n 0", "--n expects an integer in [1, 10], got '0'"},
        {"t --n 2x", "--n expects an integer in [1, 10], got '2x'"},
        {"t --big -1", "--big expects an integer in [0, 9223372036854775807], got '-1'"},
        {"t --p 0.6", "--p expects a number in [0, 0.5], got '0.6'"},
        {"t --p nan", "--p expects a number in [0, 0.5], got 'nan'"},
        {"t --weight dwell", "--weight expects count or duration, got 'dwell'"},
        {"t --abc d", "--abc expects a, b or c, got 'd'"},
        {"t --precision fp16", "--precision expects fp32 or bf16, got 'fp16'"},
        {"t --split val", "--split expects train, validate or test, got 'val'"},
        {"t --seed -1", "--seed expects an integer in [0, 9223372036854775807], got '-1'"},
        {"t --threads 0", "--threads expects an integer in [1, 1024], got '0'"},
        {"t --threads 1025", "--threads expects an integer in [1, 1024], got '1025'"},
        {"t --n", "--n needs a value"},
        {"t --bogus", "unknown flag '--bogus'"},
        {"t --quiet=1", "unknown flag '--quiet=1'"},
        {"t --n 2 stray", "unexpected argument 'stray'"},
        {"t --eval a --eval b --eval c", "at most 2 --eval"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[512];
        snprintf(want, sizeof want, "cxrgaze t: %s\nTry 'cxrgaze t --help'.\n", cases[i].msg);
        assert_int_equal(run(cases[i].line, NULL, NULL), CLI_USAGE);
        assert_string_equal(captured, want);
    }
    // a layer name longer than attr_options' 96 bytes (with "features.")
    char line[256];
    snprintf(line, sizeof line, "t --gc-layer %087d", 0);
    assert_int_equal(run(line, NULL, NULL), CLI_USAGE);
    assert_non_null(strstr(captured, "layer name too long"));
    snprintf(line, sizeof line, "t --gc-layer %086d", 0); // 9 + 86 = 95 bytes + NUL: fits
    assert_int_equal(run(line, NULL, NULL), CLI_CONTINUE);
    assert_int_equal(strlen(a.layer), 95);
}

static void threads_applied_at_once(void **state) {
    (void)state;
    const cli_flag threads = CLI_FLAG_THREADS;
    assert_int_equal(cli_flag_apply("t", &threads, "3"), 0);
    assert_int_equal(omp_get_max_threads(), 3);
    assert_int_equal(cli_flag_apply("t", &threads, "2"), 0);
    assert_int_equal(omp_get_max_threads(), 2);
}

static void repeated_flags_append(void **state) {
    (void)state;
    assert_int_equal(run("t --eval e1 --name A --attributions m1 --attributions m2 --eval e2 "
                         "--name late",
                         NULL, NULL),
                     CLI_CONTINUE);
    assert_int_equal(a.n_eval, 2);
    assert_string_equal(a.eval[0], "e1");
    assert_string_equal(a.eval[1], "e2");
    assert_int_equal(a.n_attr, 2);
    assert_string_equal(a.attr[0], "m1");
    assert_string_equal(a.attr[1], "m2");
    assert_string_equal(a.name[0], "A");
    assert_null(a.name[1]); // no --name before m2; "late" names no model and is dropped
    // the last --name before an --attributions wins
    assert_int_equal(run("t --name X --name Y --attributions m", NULL, NULL), CLI_CONTINUE);
    assert_string_equal(a.name[0], "Y");
}

static void operands_in_any_order(void **state) {
    (void)state;
    char **ops;
    int n_ops = -1;
    assert_int_equal(run("t r1 --n 5 r2 --quiet r3", &ops, &n_ops), CLI_CONTINUE);
    assert_int_equal(a.n, 5);
    assert_int_equal(n_ops, 3);
    assert_string_equal(ops[0], "r1");
    assert_string_equal(ops[1], "r2");
    assert_string_equal(ops[2], "r3");
    assert_int_equal(run("t --n 5", &ops, &n_ops), CLI_CONTINUE);
    assert_int_equal(n_ops, 0);
}

// The whole --help of the test table, from a hand-made copy: the widest "--attributions DIR" (18
// characters) puts every help at column 2 + 18 + 3 = 23; lines end by column 100; a default
// keeps to one line when it fits one.
static void help_lists_every_flag(void **state) {
    (void)state;
    assert_int_equal(run("t --n 4 --help --bogus", NULL, NULL), CLI_OK);
    const char *want =
        "usage: cxrgaze t --out DIR [flags]\n"
        "\n"
        "About t.\n"
        "\n"
        "flags:\n"
        "  --n N                a small count (default 3)\n"
        "  --big N              a large count (default: all)\n"
        "  --p P                a probability (default 0.02)\n"
        "  --out DIR            output directory (required)\n"
        "  --weight W           count | duration (default count)\n"
        "  --abc X              a | b | c\n"
        "  --precision P        fp32 | bf16 (default fp32)\n"
        "  --split NAME         split (default test)\n"
        "  --seed S             seed (default 0)\n"
        "  --threads N          worker threads, 1-1024 (default: all cores)\n"
        "  --eval DIR           an eval directory\n"
        "  --attributions DIR   maps\n"
        "  --name NAME          display name of the next --attributions (default: the directory "
        "name)\n"
        "  --gc-layer L         a layer\n"
        "  --quiet              no progress bar\n"
        "  --help               this text\n"
        "\n"
        "Exit status: 0 success, 1 error (bad input, I/O, engine: the message names the file), 2 "
        "usage.\n";
    assert_string_equal(captured, want);
}

// The method flags: every one in the help with its default, in the table's order, and each parses
// into attr_options through the table.
static const cli_flag *find_flag(const cli_flag *flags, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (flags[i].kind != CLI_SECTION && !strcmp(flags[i].name, name)) return &flags[i];
    fail_msg("no flag --%s", name);
    return NULL;
}

static void method_fragment(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    const cli_flag flags[] = {ATTR_CLI_FLAGS(&o)};
    const int n = CLI_N_FLAGS(flags);
    assert_int_equal(n, 21); // heading + 20 method flags (--preset first)
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    cli_flags_help(flags, n, mem);
    fclose(mem);
    for (char *p = text; *p; p++) // one paragraph: line breaks and indents become one space
        if (*p == '\n') *p = ' ';
    char *flat = text, *w = text;
    for (char *p = text; *p; p++)
        if (*p != ' ' || (w > flat && w[-1] != ' ')) *w++ = *p;
    *w = 0;
    const char *heading = "method flags (METHODS.md section 2; Captum 0.8 semantics): ";
    assert_non_null(strstr(flat, heading));
    const char *at = flat;
    for (int i = 1; i < n; i++) {
        char head[64], dflt[160];
        snprintf(head, sizeof head, " --%s ", flags[i].name);
        const char *found = strstr(at, head);
        assert_non_null(found); // and after the previous flag
        at = found + 1;
        if (!flags[i].dflt) continue;
        snprintf(dflt, sizeof dflt, "(default %s)", flags[i].dflt);
        const char *next = i + 1 < n ? strstr(at, " --") : NULL;
        const char *d = strstr(at, dflt);
        assert_non_null(d);
        assert_true(!next || d < next);
    }
    assert_non_null(strstr(flat, "--lc-steps N conductance steps; N+1 Gauss-Legendre nodes "
                                 "(default 50) "));
    free(text);
    assert_int_equal(cli_flag_apply("t", find_flag(flags, n, "lc-steps"), "7"), 0);
    assert_int_equal(o.lc_steps, 7);
    assert_int_equal(cli_flag_apply("t", find_flag(flags, n, "no-gc-relu"), NULL), 0);
    assert_int_equal(o.gc_relu, 0);
    assert_int_equal(cli_flag_apply("t", find_flag(flags, n, "gs-baselines"), "black,blur"), 0);
    assert_int_equal(o.gs_baselines, (1u << ATTR_BASELINE_BLACK) | (1u << ATTR_BASELINE_BLUR));
    assert_int_equal(cli_flag_apply("t", find_flag(flags, n, "upsample"), "nearest"), 0);
    assert_int_equal(o.upsample, ATTR_UPSAMPLE_NEAREST);
    assert_int_equal(cli_flag_apply("t", find_flag(flags, n, "lc-steps"), "0"), -1);
    assert_int_equal(o.lc_steps, 7);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kinds_parse),
        cmocka_unit_test(kinds_range_check),
        cmocka_unit_test(threads_applied_at_once),
        cmocka_unit_test(repeated_flags_append),
        cmocka_unit_test(operands_in_any_order),
        cmocka_unit_test(help_lists_every_flag),
        cmocka_unit_test(method_fragment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
