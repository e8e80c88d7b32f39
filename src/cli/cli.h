// cli: main.c and one file per subcommand (cmd_<name>.c). Parse flags, call the library, print
// errors, choose the exit status: 0 success, 1 error (bad input, I/O, engine; the message names
// file/line/field), 2 usage. No command returns any other code.
#ifndef CX_CLI_H
#define CX_CLI_H

#include <stdio.h>

#include "data/data.h"
#include "nn/nn.h"
#include "stats/stats.h"
#include "util/util.h"

// Each subcommand: int cmd_<name>(int argc, char **argv), argv[0] is the subcommand name.
// Flags are listed in a table per command (cli_parse, below); every command accepts --help and
// --threads N.
#define CLI_OK 0
#define CLI_BAD_INPUT 1
#define CLI_USAGE 2
// Returned by the flag parsers when every flag was applied and the command goes on.
#define CLI_CONTINUE (-1)
// The codes above in words: the last line of every --help text, cxrgaze's own included.
extern const char CLI_EXIT_STATUS_HELP[];

// Prints "cxrgaze <cmd>: <msg>" to stderr and returns CLI_BAD_INPUT.
int cli_error(const char *cmd, const cx_error *err);
// Prints "cxrgaze <cmd>: <message>\nTry 'cxrgaze <cmd> --help'." and returns CLI_USAGE.
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Reassembles argv into one line (for run.json provenance).
char *cli_command_line(int argc, char **argv);

// ---- flag tables (as curl's tool_getparam.c): one table per command drives parsing and --help --
// A command lists its flags in the order --help shows them, each pointing at the variable its
// value goes to, parses argv with cli_parse, checks what spans flags (required ones, conflicts)
// and makes one library call.
typedef enum cli_kind {
    CLI_SWITCH,    // no value: stores `lo` in an int (--force: 1; --quiet into progress: 0)
    CLI_INT,       // an integer in [lo, hi] (strtol, nothing after it) into an int or an int64_t
    CLI_DOUBLE,    // a finite number in [dlo, dhi] (strtod) into a double
    CLI_STRING,    // a path, name or list, kept as given, into a const char *
    CLI_ENUM,      // one of names[0..n_names): its index into an enum or an int
    CLI_SEED,      // 0..2^63-1 into a uint64_t: every seed (--seed, sanity's --randomise-seed)
    CLI_THREADS,   // 1..1024 into an int; to NULL: cx_set_threads. Without --threads, all cores
                   // (train: cores / ranks)
    CLI_APPEND,    // repeatable: appended to the array of const char * `to`, *count long, at
                   // most hi ("at most 8 --eval")
    CLI_FOR_NEXT,  // repeatable: to[*count], the element the next CLI_APPEND flag adds, while
                   // *count < hi (compare's --name before each --attributions)
    CLI_CUSTOM,    // parse(cmd, flag, value): 0, or -1 after its usage error
    CLI_HELP,      // --help: the command prints its help and returns CLI_OK
    CLI_SECTION,   // no flag: `name` is a heading in --help ("method flags (...):")
} cli_kind;

typedef struct cli_flag cli_flag;
struct cli_flag {
    const char *name;  // long name without "--" ("gaze-images"); CLI_SECTION: the heading
    const char *value; // its value in --help ("N", "DIR"); NULL: the flag takes none
    cli_kind kind;
    void *to;          // where the value goes: a variable or a field of the command's options
    size_t size;       // CLI_SWITCH, CLI_INT, CLI_ENUM: sizeof *to (an int's or an int64_t's)
    long lo, hi;       // CLI_INT: bounds; CLI_SWITCH: the value stored; CLI_APPEND, CLI_FOR_NEXT:
                       // the array's length
    double dlo, dhi;   // CLI_DOUBLE: bounds
    const char *const *names; // CLI_ENUM: a name table in its enum's order (as CX_SPLITS)
    int n_names;
    int *count;        // CLI_APPEND, CLI_FOR_NEXT: elements so far
    int (*parse)(const char *cmd, const cli_flag *f, const char *value); // CLI_CUSTOM
    const char *dflt;  // --help: "(default DFLT)", or "(default: DFLT...)" when it starts with
                       // ':'; NULL: none shown
    const char *help;  // what the flag does, one paragraph (the help printer wraps it)
};

// sizeof *(p), which must be an int's or an int64_t's (a compile error otherwise).
#define CLI_INT_SIZE(p)                                                                            \
    (sizeof *(p) +                                                                                 \
     0 * sizeof(char[sizeof *(p) == sizeof(int) || sizeof *(p) == sizeof(int64_t) ? 1 : -1]))
// The entries of a table. `p` is typed where the kind allows (_Generic refuses another type).
#define CLI_FLAG_SWITCH(name_, p, value_, dflt_, help_)                                            \
    {.name = name_, .kind = CLI_SWITCH, .to = (p), .size = CLI_INT_SIZE(p), .lo = value_,          \
     .dflt = dflt_, .help = help_}
#define CLI_FLAG_INT(name_, ph, p, lo_, hi_, dflt_, help_)                                         \
    {.name = name_, .value = ph, .kind = CLI_INT, .to = (p), .size = CLI_INT_SIZE(p), .lo = lo_,   \
     .hi = hi_, .dflt = dflt_, .help = help_}
#define CLI_FLAG_DOUBLE(name_, ph, p, lo_, hi_, dflt_, help_)                                      \
    {.name = name_, .value = ph, .kind = CLI_DOUBLE, .to = _Generic((p), double *: (p)),          \
     .dlo = lo_, .dhi = hi_, .dflt = dflt_, .help = help_}
#define CLI_FLAG_STRING(name_, ph, p, dflt_, help_)                                                \
    {.name = name_, .value = ph, .kind = CLI_STRING, .to = _Generic((p), const char **: (p)),     \
     .dflt = dflt_, .help = help_}
// names_: an array, its length known where the table is (a sized extern like CX_SPLITS).
#define CLI_FLAG_ENUM(name_, ph, p, names_, dflt_, help_)                                          \
    {.name = name_, .value = ph, .kind = CLI_ENUM, .to = (p), .size = CLI_INT_SIZE(p),            \
     .names = names_, .n_names = (int)(sizeof(names_) / sizeof((names_)[0])), .dflt = dflt_,     \
     .help = help_}
#define CLI_FLAG_PRECISION(p, dflt_, help_)                                                        \
    {.name = "precision", .value = "P", .kind = CLI_ENUM, .to = _Generic((p), nn_precision *: (p)), \
     .size = sizeof *(p), .names = NN_PRECISION_NAMES, .n_names = NN_N_PRECISIONS, .dflt = dflt_,  \
     .help = help_}
// From attribution to 2-D map (METHODS.md §3): the same two flags wherever maps are compared or
// drawn (compare, metrics, attribute --overlays). p: a stats_map_norm *.
#define CLI_FLAG_MAP_SIGN(p)                                                                       \
    {.name = "map-sign", .value = "MODE", .kind = CLI_ENUM,                                      \
     .to = &_Generic((p), stats_map_norm *: (p))->sign, .size = sizeof(stats_map_sign),           \
     .names = STATS_MAP_SIGN_NAMES, .n_names = STATS_N_SIGNS, .dflt = "abs",                      \
     .help = "abs | positive | signed: the attribution's sign before scaling (signed: zero "       \
             "lands at 0.5)"}
#define CLI_FLAG_MAP_SCALE(p)                                                                      \
    {.name = "map-scale", .value = "MODE", .kind = CLI_ENUM,                                     \
     .to = &_Generic((p), stats_map_norm *: (p))->scale, .size = sizeof(stats_map_scale),         \
     .names = STATS_MAP_SCALE_NAMES, .n_names = STATS_N_SCALES, .dflt = "p98",                    \
     .help = "p98 | minmax: to [0,1] by Captum's outlier_perc=2 threshold (the value where the "  \
             "sorted cumulative sum reaches 98%), clipped, or by min-max"}
#define CLI_FLAG_SPLIT(p, dflt_, help_)                                                            \
    {.name = "split", .value = "NAME", .kind = CLI_ENUM, .to = _Generic((p), int *: (p)),         \
     .size = sizeof(int), .names = CX_SPLITS, .n_names = CX_N_SPLITS, .dflt = dflt_,              \
     .help = help_}
#define CLI_FLAG_SEED(name_, p, dflt_, help_)                                                      \
    {.name = name_, .value = "S", .kind = CLI_SEED, .to = _Generic((p), uint64_t *: (p)),         \
     .dflt = dflt_, .help = help_}
// --ignore-unknown: *p = value_ (1 into a switch, MODEL_LOAD_IGNORE_UNKNOWN into MODEL_LOAD_* flags
// that are 0 by default).
#define CLI_FLAG_IGNORE_UNKNOWN(p, value_)                                                         \
    CLI_FLAG_SWITCH("ignore-unknown", p, value_, ": such a file is refused",                       \
                    "load a model file that also holds tensors DenseNet does not have")
// --threads applied at once (cx_set_threads), as every command but train wants it.
#define CLI_FLAG_THREADS                                                                           \
    {.name = "threads", .value = "N", .kind = CLI_THREADS, .dflt = ": all cores",                 \
     .help = "worker threads, 1-1024"}
#define CLI_FLAG_THREADS_INTO(p, dflt_, help_)                                                     \
    {.name = "threads", .value = "N", .kind = CLI_THREADS, .to = _Generic((p), int *: (p)),       \
     .dflt = dflt_, .help = help_}
#define CLI_FLAG_APPEND(name_, ph, array, count_, len, dflt_, help_)                               \
    {.name = name_, .value = ph, .kind = CLI_APPEND,                                               \
     .to = _Generic((array), const char **: (array)), .count = (count_), .hi = len, .dflt = dflt_, \
     .help = help_}
#define CLI_FLAG_FOR_NEXT(name_, ph, array, count_, len, dflt_, help_)                             \
    {.name = name_, .value = ph, .kind = CLI_FOR_NEXT,                                             \
     .to = _Generic((array), const char **: (array)), .count = (count_), .hi = len, .dflt = dflt_, \
     .help = help_}
#define CLI_FLAG_CUSTOM(name_, ph, p, parse_, dflt_, help_)                                        \
    {.name = name_, .value = ph, .kind = CLI_CUSTOM, .to = (p), .parse = parse_, .dflt = dflt_,   \
     .help = help_}
#define CLI_FLAG_HELP {.name = "help", .kind = CLI_HELP, .help = "this text"}
#define CLI_SECTION_HEADING(heading) {.name = heading, .kind = CLI_SECTION}
#define CLI_N_FLAGS(flags) ((int)(sizeof(flags) / sizeof((flags)[0])))

// A command: its flag table and the texts --help puts around it.
typedef struct cli_table {
    const char *name;      // the command ("synth"): the prefix of every message
    const char *usage;     // "usage: cxrgaze synth --out DIR ..." (lines as given, no final \n)
    const char *about;     // paragraphs between the usage and "flags:", or NULL
    const cli_flag *flags; // in --help order
    int n_flags;
    const char *epilog;    // text after the flag lines, or NULL
} cli_table;

// Parses argv[1..argc) by the table (getopt_long: --flag=value, unambiguous prefixes, flags and
// operands in any order). CLI_CONTINUE: every flag applied; the operands (arguments that are no
// flag) are in (*operands)[0..*n_operands) when `operands` is given, otherwise one is a usage
// error. CLI_OK after --help. CLI_USAGE after the message of a bad value, a flag without its
// value, an unknown flag or an unexpected operand.
int cli_parse(const cli_table *t, int argc, char **argv, char ***operands, int *n_operands);
// Applies one flag's value (NULL for a flag without one): 0, or -1 after the usage error.
int cli_flag_apply(const char *cmd, const cli_flag *f, const char *value);
// The whole --help: usage, about, "flags:" and the flag lines, epilog, CLI_EXIT_STATUS_HELP.
void cli_help(const cli_table *t, FILE *out);
// The flag lines alone: "  --name VALUE" and the help wrapped in an aligned column, a blank line
// and the heading for each section (but a first one).
void cli_flags_help(const cli_flag *flags, int n, FILE *out);

#endif
