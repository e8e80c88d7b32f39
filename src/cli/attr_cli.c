// cli/attr_cli.c: saliency-method flags shared by `attribute` and `sanity` (ATTR_CLI_FLAGS).
#include "cli/attr_cli.h"

#include <string.h>

const char *const ATTR_CLI_UPSAMPLE_NAMES[2] = {"bilinear", "nearest"};

int attr_cli_parse_baseline(const char *cmd, const cli_flag *f, const char *value) {
    cx_error err;
    if (attr_baseline_parse(value, f->to, &err))
        return cli_usage_error(cmd, "--baseline: %s", err.msg), -1;
    return 0;
}

int attr_cli_parse_layer(const char *cmd, const cli_flag *f, const char *value) {
    const size_t cap = sizeof((attr_options *)0)->gc_layer;
    const char *prefix = strncmp(value, "features.", 9) ? "features." : "";
    if (strlen(value) + strlen(prefix) >= cap)
        return cli_usage_error(cmd, "layer name too long: '%s'", value), -1;
    snprintf(f->to, cap, "%s%s", prefix, value);
    return 0;
}

// "zero,blur" -> bits 1u << attr_baseline.
int attr_cli_parse_gs_baselines(const char *cmd, const cli_flag *f, const char *value) {
    unsigned mask = 0;
    char buf[64];
    cx_error err;
    snprintf(buf, sizeof buf, "%s", value);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        attr_baseline b;
        if (attr_baseline_parse(tok, &b, &err))
            return cli_usage_error(cmd, "--gs-baselines: %s", err.msg), -1;
        mask |= 1u << b;
    }
    if (!mask) return cli_usage_error(cmd, "--gs-baselines: empty list"), -1;
    *(unsigned *)f->to = mask;
    return 0;
}

int attr_cli_option(const char *cmd, int opt, const char *arg, attr_options *o) {
    const cli_flag flags[] = {ATTR_CLI_FLAGS(o)}; // [0]: the heading, then AO_PRECISION...
    _Static_assert(CLI_N_FLAGS(flags) == AO_OC_STRIDE - AO_PRECISION + 2,
                   "one AO_ code per method flag, in ATTR_CLI_FLAGS' order");
    if (opt < AO_PRECISION || opt > AO_OC_STRIDE) return 0;
    return cli_flag_apply(cmd, &flags[1 + opt - AO_PRECISION], arg) ? -1 : 1;
}

void attr_cli_help(FILE *out) {
    attr_options o;
    attr_options_default(&o);
    const cli_flag flags[] = {ATTR_CLI_FLAGS(&o)};
    cli_flags_help(flags, CLI_N_FLAGS(flags), out);
}
