// cli: main.c and one file per subcommand (cmd_<name>.c). Parse flags, call the library, print
// errors, choose the exit status: 0 success, 1 error (bad input, I/O, engine; the message names
// file/line/field), 2 usage. No command returns any other code.
#ifndef CX_CLI_H
#define CX_CLI_H

#include <stdio.h>

#include "nn/nn.h"
#include "util/util.h"

// Each subcommand: int cmd_<name>(int argc, char **argv), argv[0] is the subcommand name.
// Flags are parsed with getopt_long; every command accepts --help and --threads N.
#define CLI_OK 0
#define CLI_BAD_INPUT 1
#define CLI_USAGE 2
// The codes above in words: the last line of every --help text, cxrgaze's own included.
extern const char CLI_EXIT_STATUS_HELP[];

// Prints "cxrgaze <cmd>: <msg>" to stderr and returns CLI_BAD_INPUT.
int cli_error(const char *cmd, const cx_error *err);
// Prints "cxrgaze <cmd>: <message>\nTry 'cxrgaze <cmd> --help'." and returns CLI_USAGE.
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Strict parsing of a flag value: 0 and *out set, or -1 after a usage error naming the flag.
int cli_parse_int(const char *cmd, const char *flag, const char *s, long lo, long hi, long *out);
int cli_parse_double(const char *cmd, const char *flag, const char *s, double lo, double hi,
                     double *out);
int cli_parse_precision(const char *cmd, const char *s, nn_precision *out); // fp32 | bf16
int cli_parse_split(const char *cmd, const char *s, int *out); // train | validate | test
// --threads N: 1..CLI_MAX_THREADS in every command; without it, all cores (train: cores / ranks).
#define CLI_MAX_THREADS 1024 // the --help texts say "1-1024"
int cli_parse_threads(const char *cmd, const char *s, int *out);
// A seed (--seed S, sanity's --randomise-seed S): 0..2^63-1 in every command. Every seed ends in a
// uint64 RNG seed; the bound is strtol's.
int cli_parse_seed(const char *cmd, const char *flag, const char *s, uint64_t *out);
// Reassembles argv into one line (for run.json provenance).
char *cli_command_line(int argc, char **argv);

// ---- the flags every command shares: --threads N, --help --------------------------------------
// Their getopt_long codes, clear of each command's own (from 256) and of the saliency-method
// flags (attr_cli.h, from 1000):
//   {"threads", required_argument, 0, CLI_OPT_THREADS}, {"help", no_argument, 0, CLI_OPT_HELP}
enum { CLI_OPT_THREADS = 2000, CLI_OPT_HELP };
// Returned by the option helpers below when the flag was applied and parsing goes on.
#define CLI_CONTINUE (-1)

// What the shared flags need to know about a command.
typedef struct cli_command {
    const char *name;        // "attribute": the prefix of every message
    void (*help)(FILE *out); // prints the --help text, less the exit-status line
} cli_command;

// Restarts getopt_long at argv[1] (demo runs several commands in one process) and silences it: the
// commands print their own messages. Every command passes optstring ":", so that a flag missing
// its value comes back as ':' and is reported as such.
void cli_getopt_reset(void);
// The default: branch of every command's getopt_long switch. Applies --threads (CLI_CONTINUE),
// prints --help with CLI_EXIT_STATUS_HELP after it (CLI_OK), or reports a flag without its value
// (':', "needs a value") or an unknown one ('?', or any code the command does not handle:
// "unknown flag") and returns CLI_USAGE. argv: the command's, whose argv[optind - 1] names the
// flag.
int cli_common_option(const cli_command *c, int opt, char **argv);
// attribute and sanity: a saliency-method flag (attr_cli_option: CLI_CONTINUE, or CLI_USAGE after
// its message), otherwise cli_common_option.
struct attr_options;
int cli_method_or_common_option(const cli_command *c, int opt, char **argv, struct attr_options *o);

#endif
