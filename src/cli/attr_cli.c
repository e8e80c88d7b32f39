// cli/attr_cli.c: saliency-method flags shared by `attribute` and `sanity` (ATTR_CLI_FLAGS),
// --preset applied before them.
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

int attr_cli_parse(const cli_table *t, int argc, char **argv, attr_options *o) {
    int r = cli_parse(t, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE || o->preset == ATTR_PRESET_CXRGAZE) return r;
    attr_options_preset(o, o->preset);
    for (int i = 0; i < t->n_flags; i++) // repeatable flags start again
        if (t->flags[i].count) *t->flags[i].count = 0;
    return cli_parse(t, argc, argv, NULL, NULL);
}

// The preset-decided settings of o that differ from d's, as the flags that set them.
static void preset_flags(const attr_options *o, const attr_options *d, char *buf, size_t cap) {
    size_t at = 0;
#define ADD(...) (at += (size_t)snprintf(buf + at, at < cap ? cap - at : 0, __VA_ARGS__))
    buf[0] = 0;
    if (o->baseline != d->baseline) ADD(" --baseline %s", attr_baseline_name(o->baseline));
    if (o->upsample != d->upsample) ADD(" --upsample %s", ATTR_CLI_UPSAMPLE_NAMES[o->upsample]);
    if (o->gc_relu != d->gc_relu) ADD("%s", o->gc_relu ? " (GC with ReLU)" : " --no-gc-relu");
    if (o->lc_steps != d->lc_steps) ADD(" --lc-steps %d", o->lc_steps);
    if (o->dl_captum_compat != d->dl_captum_compat)
        ADD("%s", o->dl_captum_compat ? " --captum-compat" : " (DL without --captum-compat)");
    if (o->gs_samples != d->gs_samples) ADD(" --gs-samples %d", o->gs_samples);
    if (o->gs_baselines != d->gs_baselines) {
        char set[64];
        attr_baselines_text(o->gs_baselines, ",", set, sizeof set);
        ADD(" --gs-baselines %s", set);
    }
    if (o->gs_stdev != d->gs_stdev) ADD(" --gs-stdev %g", o->gs_stdev);
    if (o->nt_samples != d->nt_samples) ADD(" --nt-samples %d", o->nt_samples);
    if (o->nt_stdev != d->nt_stdev) {
        if (o->nt_stdev >= 0)
            ADD(" --nt-stdev %g", o->nt_stdev);
        else
            ADD("%s", " (NT stdev 0.15*(max(x)-min(x)))");
    }
    if (o->ig_steps != d->ig_steps) ADD(" --ig-steps %d", o->ig_steps);
#undef ADD
}

// "cxrgaze (default): ... | captum: ...: --upsample nearest ... . Applied ..." The default is in
// the text, not the flag's dflt, so that it stands before the flag names the text lists.
const char *attr_cli_preset_help(void) {
    static const char *const about[ATTR_N_PRESETS] = {
        [ATTR_PRESET_CXRGAZE] = " (default): the defaults shown here",
        [ATTR_PRESET_CAPTUM] = ": Captum 0.8's defaults, to reproduce the original study:"};
    static char text[1024];
    if (text[0]) return text;
    attr_options d;
    attr_options_default(&d);
    size_t at = 0;
    for (int p = 0; p < ATTR_N_PRESETS && at < sizeof text; p++) {
        attr_options o = d;
        char flags[512];
        attr_options_preset(&o, (attr_preset)p);
        preset_flags(&o, &d, flags, sizeof flags);
        at += (size_t)snprintf(text + at, sizeof text - at, "%s%s%s%s", p ? " | " : "",
                               ATTR_PRESET_NAMES[p], about[p], flags);
    }
    if (at < sizeof text)
        snprintf(text + at, sizeof text - at,
                 ". Applied before the other method flags: those given override it wherever they "
                 "stand");
    return text;
}
