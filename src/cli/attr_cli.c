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
    cx_textf(f->to, cap, "%s%s", prefix, value); // fits: checked above
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

int attr_cli_parse_methods(const char *cmd, const char *value, attr_method *methods, int *n) {
    cx_error err = {{0}};
    if (attr_methods_parse(value, methods, n, &err))
        return cli_usage_error(cmd, "--methods: %s", err.msg), -1;
    return 0;
}
