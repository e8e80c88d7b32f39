// api/api_settings.c: the settings bag (cxg_settings): one table of keys drives setting, reading
// back and describing them. Keys are the command line's flag names with '_' for '-' (attribute's
// method flags, forward's --batch, metrics' --metrics/--emd-size, --map-sign/--map-scale, eval's
// --bootstrap), defaults are the command line's.
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

typedef enum {
    K_INT,       // int within [min, max]
    K_DOUBLE,    // double within [min, max]
    K_U64,       // uint64_t (seeds, streams)
    K_BOOL,      // int 0/1: 0 1 true false yes no
    K_NAME,      // an int-sized enum: value i is name(i), 0 <= i < n_names
    K_LAYER,     // char[96] layer name, "features." prepended when missing
    K_BASELINES, // unsigned bit set of attr_baseline, "zero,blur"
    K_METRICS,   // unsigned STATS_M_* bit set, "ssim,cc" ("all"; "" = the default choice)
    K_PRESET,    // attr_options: attr_options_preset (sets what the preset decides)
} key_kind;

// The names of each K_NAME / bit-set vocabulary, by index (the owning module's name functions).
// attr has no name table for attr_upsample (cli keeps ATTR_CLI_UPSAMPLE_NAMES): the same two here.
static const char *upsample_name(int i) {
    return i == ATTR_UPSAMPLE_NEAREST ? "nearest" : "bilinear";
}
_Static_assert(ATTR_UPSAMPLE_BILINEAR == 0 && ATTR_UPSAMPLE_NEAREST == 1, "two upsample modes");
static const char *precision_name(int i) { return nn_precision_name((nn_precision)i); }
static const char *baseline_name(int i) { return attr_baseline_name((attr_baseline)i); }
static const char *sign_name(int i) { return stats_map_sign_name((stats_map_sign)i); }
static const char *scale_name(int i) { return stats_map_scale_name((stats_map_scale)i); }
static const char *metric_name(int i) { return stats_metric_name((stats_metric)i); }
static const char *preset_name(int i) { return attr_preset_name((attr_preset)i); }
#define N_BASELINES (ATTR_BASELINE_BLUR + 1)
_Static_assert(sizeof(nn_precision) == sizeof(int) && sizeof(attr_baseline) == sizeof(int) &&
                   sizeof(attr_upsample) == sizeof(int) && sizeof(stats_map_sign) == sizeof(int) &&
                   sizeof(stats_map_scale) == sizeof(int),
               "K_NAME fields are int-sized enums");

typedef struct key_def {
    const char *name;
    key_kind kind;
    size_t offset;
    double min, max;            // K_INT, K_DOUBLE
    const char *(*value_name)(int i); // K_NAME: the name of value i in [0, n_names)
    int n_names;
    const char *help;
} key_def;

#define S_(field) offsetof(struct cxg_settings, field)
static const key_def KEYS[] = {
    {"preset", K_PRESET, S_(attr), 0, 0, preset_name, ATTR_N_PRESETS,
     "attribute: cxrgaze | captum (Captum 0.8's defaults: GC without ReLU, nearest upsampling, "
     "NT 5 samples of stdev 1, GS zero baseline, DL captum_compat); sets the method settings it "
     "decides, so set it before them (default cxrgaze)"},
    {"precision", K_NAME, S_(attr.precision), 0, 0, precision_name, NN_N_PRECISIONS,
     "engine precision of forward and attribute: fp32 | bf16 (default fp32)"},
    {"batch", K_INT, S_(batch), 1, 4096, NULL, 0, "images per forward pass (default 16)"},
    {"max_batch", K_INT, S_(attr.max_batch), 2, 1024, NULL, 0,
     "attribute: most samples (steps, noise draws) per engine call (default 16)"},
    {"seed", K_U64, S_(attr.seed), 0, 0, NULL, 0,
     "seed of the GS and NT draws (attribute) and of the AUROC bootstrap (default 0)"},
    {"stream", K_U64, S_(stream), 0, 0, NULL, 0,
     "attribute: RNG stream of image 0, image i draws from stream + i (default 0, as "
     "`cxrgaze attribute --input`)"},
    {"baseline", K_NAME, S_(attr.baseline), 0, 0, baseline_name, N_BASELINES,
     "reference x' of DL, IG, LC: zero | black | blur (default zero)"},
    {"blur_sigma", K_DOUBLE, S_(attr.blur_sigma_frac), 0, 10, NULL, 0,
     "blur baseline: Gaussian sigma = F * min(H,W) px (default 0.1)"},
    {"upsample", K_NAME, S_(attr.upsample), 0, 0, upsample_name, 2,
     "GC/LC maps to H x W: bilinear (align_corners=False) | nearest (default bilinear)"},
    {"gc_relu", K_BOOL, S_(attr.gc_relu), 0, 0, NULL, 0,
     "ReLU on the GradCAM map (Captum relu_attributions; default true)"},
    {"gc_layer", K_LAYER, S_(attr.gc_layer), 0, 0, NULL, 0,
     "GradCAM layer (default features.norm5, pre-ReLU)"},
    {"lc_layer", K_LAYER, S_(attr.lc_layer), 0, 0, NULL, 0,
     "Layer Conductance layer (default features.norm5)"},
    {"lc_steps", K_INT, S_(attr.lc_steps), 1, 10000, NULL, 0,
     "conductance steps, N+1 Gauss-Legendre nodes (default 50)"},
    {"captum_compat", K_BOOL, S_(attr.dl_captum_compat), 0, 0, NULL, 0,
     "DL exactly as Captum 0.8 on torchvision DenseNet (default false)"},
    {"gs_samples", K_INT, S_(attr.gs_samples), 1, 100000, NULL, 0,
     "GradientSHAP samples (default 5)"},
    {"gs_baselines", K_BASELINES, S_(attr.gs_baselines), 0, 0, NULL, 0,
     "GS baseline distribution, from zero,black,blur (default zero,blur)"},
    {"gs_stdev", K_DOUBLE, S_(attr.gs_stdev), 0, 1e6, NULL, 0,
     "GS noise stdev added to x (default 0)"},
    {"nt_samples", K_INT, S_(attr.nt_samples), 1, 100000, NULL, 0,
     "SmoothGrad samples (default 25)"},
    {"nt_stdev", K_DOUBLE, S_(attr.nt_stdev), -1, 1e6, NULL, 0,
     "SmoothGrad noise stdev, absolute; negative: 0.15*(max(x)-min(x)) per image (default -1)"},
    {"ig_steps", K_INT, S_(attr.ig_steps), 1, 10000, NULL, 0,
     "Integrated Gradients Gauss-Legendre steps (default 50)"},
    {"oc_patch", K_INT, S_(attr.oc_patch), 1, 8192, NULL, 0,
     "occlusion window P x P px (default 16)"},
    {"oc_stride", K_INT, S_(attr.oc_stride), 1, 8192, NULL, 0, "occlusion stride px (default 8)"},
    {"metrics", K_METRICS, S_(metrics), 0, 0, NULL, 0,
     "map metrics computed, from ssim,cc,nss,kl,sim,auc_judd,emd or all (default: all, without "
     "nss and auc_judd when there are no fixations)"},
    {"emd_size", K_INT, S_(emd_size), 1, 64, NULL, 0, "max side of the EMD grid (default 32)"},
    {"map_sign", K_NAME, S_(norm.sign), 0, 0, sign_name, STATS_N_SIGNS,
     "sign mode of a map: abs | positive | signed (default abs)"},
    {"map_scale", K_NAME, S_(norm.scale), 0, 0, scale_name, STATS_N_SCALES,
     "scale of a map to [0,1]: p98 (Captum's outlier_perc=2) | minmax (default p98)"},
    {"level", K_DOUBLE, S_(level), 0.5, 0.9999, NULL, 0, "confidence level of CIs (default 0.95)"},
    {"n_bootstrap", K_INT, S_(n_bootstrap), 0, 10000000, NULL, 0,
     "bootstrap resamples of the AUROC CI, 0: none (default 1000)"},
};
#define N_KEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

void api_settings_default(struct cxg_settings *s) {
    memset(s, 0, sizeof *s);
    attr_options_default(&s->attr);
    s->batch = 16;
    s->emd_size = 32;
    s->norm = (stats_map_norm){STATS_SIGN_ABS, STATS_SCALE_P98};
    s->level = 0.95;
    s->n_bootstrap = 1000;
}

const struct cxg_settings *api_settings(const cxg_settings *s, struct cxg_settings *tmp) {
    if (s) return s;
    api_settings_default(tmp);
    return tmp;
}

int api_settings_count(void) { return N_KEYS; }
const char *api_settings_key(int i) { return i >= 0 && i < N_KEYS ? KEYS[i].name : NULL; }

static const key_def *find_key(const char *name) {
    for (int i = 0; name && i < N_KEYS; i++)
        if (!strcmp(KEYS[i].name, name)) return &KEYS[i];
    return NULL;
}

cxg_settings *cxg_settings_new(void) {
    cxg_settings *s = cx_malloc(sizeof *s);
    api_settings_default(s);
    return s;
}

void cxg_settings_free(cxg_settings *s) { free(s); }

const char *cxg_settings_describe(const char *key) {
    const key_def *k = find_key(key);
    return k ? k->help : NULL;
}

static int parse_bool(const char *v, int *out) {
    static const char *const yes[] = {"1", "true", "yes", "True"};
    static const char *const no[] = {"0", "false", "no", "False"};
    for (int i = 0; i < 4; i++) {
        if (!strcmp(v, yes[i])) return *out = 1, 0;
        if (!strcmp(v, no[i])) return *out = 0, 0;
    }
    return -1;
}

// Comma list of names -> bit set (bit i = name(i)); -1 for an unknown or empty item.
static int parse_bits(const char *v, const char *(*name)(int), int n, unsigned *out) {
    *out = 0;
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, ",");
        int found = -1;
        for (int i = 0; i < n && found < 0; i++)
            if (strlen(name(i)) == len && !strncmp(p, name(i), len)) found = i;
        if (found < 0) return -1;
        *out |= 1u << found;
        p += len + (p[len] == ',');
    }
    return 0;
}

static cxg_status bad_value(const key_def *k, const char *value) {
    char want[256];
    switch (k->kind) {
    case K_INT: cx_textf(want, sizeof want, "an integer from %.0f to %.0f", k->min, k->max); break;
    case K_DOUBLE: cx_textf(want, sizeof want, "a number from %g to %g", k->min, k->max); break;
    case K_U64: cx_textf(want, sizeof want, "an integer >= 0"); break;
    case K_BOOL: cx_textf(want, sizeof want, "true or false"); break;
    case K_NAME: {
        size_t len = 0;
        for (int i = 0; i < k->n_names && len < sizeof want; i++)
            len += (size_t)snprintf(want + len, sizeof want - len, "%s%s", i ? " | " : "one of ",
                                    k->value_name(i));
        break;
    }
    case K_LAYER: cx_textf(want, sizeof want, "a layer name such as features.norm5"); break;
    case K_BASELINES: cx_textf(want, sizeof want, "a comma list from zero,black,blur"); break;
    case K_METRICS: cx_textf(want, sizeof want, "a comma list of metric names or all"); break;
    case K_PRESET: cx_textf(want, sizeof want, "cxrgaze or captum"); break;
    }
    return api_fail(CXG_ERR_ARGUMENT, "cxg_settings_set: %s = \"%s\": expected %s (%s)", k->name,
                    value, want, k->help);
}

static cxg_status key_set(struct cxg_settings *s, const key_def *k, const char *value) {
    void *to = (char *)s + k->offset;
    char *end;
    errno = 0;
    switch (k->kind) {
    case K_INT: {
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end || v < k->min || v > k->max) return bad_value(k, value);
        *(int *)to = (int)v;
        return CXG_OK;
    }
    case K_DOUBLE: {
        double v = strtod(value, &end);
        if (errno || end == value || *end || !(v >= k->min && v <= k->max))
            return bad_value(k, value);
        *(double *)to = v;
        return CXG_OK;
    }
    case K_U64: {
        unsigned long long v = strtoull(value, &end, 10);
        if (errno || end == value || *end || value[0] == '-') return bad_value(k, value);
        *(uint64_t *)to = v;
        return CXG_OK;
    }
    case K_BOOL:
        return parse_bool(value, (int *)to) ? bad_value(k, value) : CXG_OK;
    case K_NAME:
        for (int i = 0; i < k->n_names; i++)
            if (!strcmp(value, k->value_name(i))) return *(int *)to = i, CXG_OK;
        return bad_value(k, value);
    case K_LAYER: {
        const char *prefix = strncmp(value, "features.", 9) ? "features." : "";
        if (!*value || strlen(prefix) + strlen(value) >= sizeof s->attr.gc_layer)
            return bad_value(k, value);
        cx_textf(to, sizeof s->attr.gc_layer, "%s%s", prefix, value); // fits: checked above
        return CXG_OK;
    }
    case K_BASELINES: {
        unsigned bits;
        if (parse_bits(value, baseline_name, N_BASELINES, &bits) || !bits)
            return bad_value(k, value);
        *(unsigned *)to = bits;
        return CXG_OK;
    }
    case K_PRESET:
        for (int i = 0; i < k->n_names; i++)
            if (!strcmp(value, k->value_name(i))) {
                attr_options_preset(to, (attr_preset)i);
                return CXG_OK;
            }
        return bad_value(k, value);
    case K_METRICS: {
        unsigned bits = 0;
        if (!strcmp(value, "all")) bits = STATS_M_ALL;
        else if (parse_bits(value, metric_name, STATS_N_PAIR_METRICS, &bits)) return bad_value(k, value);
        unsigned which = 0; // stats_metric order -> STATS_M_* bits
        for (int i = 0; i < STATS_N_PAIR_METRICS; i++)
            if (bits & (1u << i)) which |= stats_metric_bit((stats_metric)i);
        *(unsigned *)to = which;
        return CXG_OK;
    }
    }
    return bad_value(k, value);
}

cxg_status cxg_settings_set(cxg_settings *s, const char *key, const char *value) {
    if (!s || !key || !value)
        return api_fail(CXG_ERR_ARGUMENT,
                        "cxg_settings_set: settings, key and value must be given");
    const key_def *k = find_key(key);
    if (!k) {
        char known[1024];
        size_t len = 0;
        for (int i = 0; i < N_KEYS; i++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "",
                                    KEYS[i].name);
        return api_fail(CXG_ERR_ARGUMENT, "cxg_settings_set: unknown setting \"%s\" (known: %s)",
                        key, known);
    }
    struct cxg_settings copy = *s; // a refused value leaves s as it was
    cxg_status st = key_set(&copy, k, value);
    if (st) return st;
    *s = copy;
    return api_ok();
}

// Bit set -> "a,b" of names[i] for bit i.
static void format_bits(char *buf, size_t cap, unsigned bits, const char *(*name)(int), int n) {
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < n; i++)
        if (bits & (1u << i) && len < cap)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? "," : "", name(i));
}

cxg_status cxg_settings_get(const cxg_settings *s, const char *key, char *buf, size_t cap) {
    const key_def *k = find_key(key);
    if (!s || !k || !buf || cap == 0)
        return api_fail(CXG_ERR_ARGUMENT, "cxg_settings_get: settings, a known key and a buffer "
                                          "must be given (key \"%s\")", key ? key : "(null)");
    const void *from = (const char *)s + k->offset;
    char text[256];
    switch (k->kind) {
    case K_INT: snprintf(text, sizeof text, "%d", *(const int *)from); break;
    case K_DOUBLE: snprintf(text, sizeof text, "%.17g", *(const double *)from); break;
    case K_U64:
        snprintf(text, sizeof text, "%llu", (unsigned long long)*(const uint64_t *)from);
        break;
    case K_BOOL: snprintf(text, sizeof text, "%s", *(const int *)from ? "true" : "false"); break;
    case K_NAME: snprintf(text, sizeof text, "%s", k->value_name(*(const int *)from)); break;
    case K_LAYER: snprintf(text, sizeof text, "%s", (const char *)from); break;
    case K_PRESET:
        snprintf(text, sizeof text, "%s", k->value_name(((const attr_options *)from)->preset));
        break;
    case K_BASELINES:
        format_bits(text, sizeof text, *(const unsigned *)from, baseline_name, N_BASELINES);
        break;
    case K_METRICS: {
        unsigned which = *(const unsigned *)from, bits = 0;
        for (int i = 0; i < STATS_N_PAIR_METRICS; i++)
            if (which & stats_metric_bit((stats_metric)i)) bits |= 1u << i;
        format_bits(text, sizeof text, bits, metric_name, STATS_N_PAIR_METRICS);
        break;
    }
    }
    if (strlen(text) >= cap)
        return api_fail(CXG_ERR_ARGUMENT,
                        "cxg_settings_get: %s needs %zu bytes, the buffer has %zu", key,
                        strlen(text) + 1, cap);
    memcpy(buf, text, strlen(text) + 1);
    return api_ok();
}
