// cli: main.c and one file per subcommand (cmd_<name>.c). Parse flags, call the library, print
// errors, choose the exit status: 0 success, 1 bad input (message names file/line/field), 2 usage.
#ifndef CX_CLI_H
#define CX_CLI_H

#include "util/util.h"

// Each subcommand: int cmd_<name>(int argc, char **argv), argv[0] is the subcommand name.
// Flags are parsed with getopt_long; every command accepts --help and --threads N.
#define CLI_OK 0
#define CLI_BAD_INPUT 1
#define CLI_USAGE 2

// Prints "cxrgaze <cmd>: <msg>" to stderr and returns CLI_BAD_INPUT.
int cli_error(const char *cmd, const cx_error *err);
// Prints "cxrgaze <cmd>: <message>\nTry 'cxrgaze <cmd> --help'." and returns CLI_USAGE.
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Strict number parsing of a flag value; on failure prints a usage error naming the flag.
int cli_parse_int(const char *cmd, const char *flag, const char *s, long lo, long hi, long *out);
int cli_parse_double(const char *cmd, const char *flag, const char *s, double lo, double hi,
                     double *out);
// Reassembles argv into one line (for run.json provenance).
char *cli_command_line(int argc, char **argv);

#endif
