// cli/attr_cli.c: saliency-method flags shared by `attribute` and `sanity`.
#include "cli/attr_cli.h"

#include <string.h>

#include "cli/cli.h"

int attr_cli_option(const char *cmd, int opt, const char *arg, attr_options *o) {
    long v;
    double d;
    cx_error err;
    switch (opt) {
    case AO_PRECISION:
        return cli_parse_precision(cmd, arg, &o->precision) ? -1 : 1;
    case AO_MAX_BATCH:
        if (cli_parse_int(cmd, "--max-batch", arg, 2, 1024, &v)) return -1;
        o->max_batch = (int)v;
        return 1;
    case AO_SEED:
        return cli_parse_seed(cmd, "--seed", arg, &o->seed) ? -1 : 1;
    case AO_BASELINE:
        if (attr_baseline_parse(arg, &o->baseline, &err))
            return cli_usage_error(cmd, "--baseline: %s", err.msg), -1;
        return 1;
    case AO_BLUR_SIGMA:
        if (cli_parse_double(cmd, "--blur-sigma", arg, 0, 10, &d)) return -1;
        o->blur_sigma_frac = d;
        return 1;
    case AO_UPSAMPLE:
        if (!strcmp(arg, "bilinear")) o->upsample = ATTR_UPSAMPLE_BILINEAR;
        else if (!strcmp(arg, "nearest")) o->upsample = ATTR_UPSAMPLE_NEAREST;
        else return cli_usage_error(cmd, "--upsample expects bilinear or nearest, got '%s'", arg), -1;
        return 1;
    case AO_NO_GC_RELU:
        o->gc_relu = 0;
        return 1;
    case AO_GC_LAYER:
    case AO_LC_LAYER: {
        char *dst = opt == AO_GC_LAYER ? o->gc_layer : o->lc_layer;
        // accept "denseblock4.denselayer16.conv2" as well as "features.denseblock4..."
        const char *prefix = strncmp(arg, "features.", 9) ? "features." : "";
        if (strlen(arg) + strlen(prefix) >= sizeof o->gc_layer)
            return cli_usage_error(cmd, "layer name too long: '%s'", arg), -1;
        snprintf(dst, sizeof o->gc_layer, "%s%s", prefix, arg);
        return 1;
    }
    case AO_LC_STEPS:
        if (cli_parse_int(cmd, "--lc-steps", arg, 1, 10000, &v)) return -1;
        o->lc_steps = (int)v;
        return 1;
    case AO_CAPTUM:
        o->dl_captum_compat = 1;
        return 1;
    case AO_GS_SAMPLES:
        if (cli_parse_int(cmd, "--gs-samples", arg, 1, 100000, &v)) return -1;
        o->gs_samples = (int)v;
        return 1;
    case AO_GS_BASELINES: {
        unsigned mask = 0;
        char buf[64];
        snprintf(buf, sizeof buf, "%s", arg);
        for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
            attr_baseline b;
            if (attr_baseline_parse(tok, &b, &err))
                return cli_usage_error(cmd, "--gs-baselines: %s", err.msg), -1;
            mask |= 1u << b;
        }
        if (!mask) return cli_usage_error(cmd, "--gs-baselines: empty list"), -1;
        o->gs_baselines = mask;
        return 1;
    }
    case AO_GS_STDEV:
        if (cli_parse_double(cmd, "--gs-stdev", arg, 0, 1e6, &d)) return -1;
        o->gs_stdev = d;
        return 1;
    case AO_NT_SAMPLES:
        if (cli_parse_int(cmd, "--nt-samples", arg, 1, 100000, &v)) return -1;
        o->nt_samples = (int)v;
        return 1;
    case AO_NT_STDEV:
        if (cli_parse_double(cmd, "--nt-stdev", arg, 0, 1e6, &d)) return -1;
        o->nt_stdev = d;
        return 1;
    case AO_IG_STEPS:
        if (cli_parse_int(cmd, "--ig-steps", arg, 1, 10000, &v)) return -1;
        o->ig_steps = (int)v;
        return 1;
    case AO_OC_PATCH:
        if (cli_parse_int(cmd, "--oc-patch", arg, 1, 8192, &v)) return -1;
        o->oc_patch = (int)v;
        return 1;
    case AO_OC_STRIDE:
        if (cli_parse_int(cmd, "--oc-stride", arg, 1, 8192, &v)) return -1;
        o->oc_stride = (int)v;
        return 1;
    default:
        return 0;
    }
}

void attr_cli_help(FILE *out) {
    fprintf(out,
            "method flags (METHODS.md section 2; Captum 0.8 semantics):\n"
            "  --precision P        fp32 | bf16 (default fp32)\n"
            "  --max-batch B        most samples (steps, noise draws) per engine call (default 16)\n"
            "  --seed S             seed of GS and NT draws, per image and target (default 0)\n"
            "  --baseline B         reference x' of DL, IG, LC: zero (normalised 0 = the mean\n"
            "                       image) | black (gray 0) | blur (default zero)\n"
            "  --blur-sigma F       blur baseline: Gaussian sigma = F * S px (default 0.1)\n"
            "  --upsample M         GC/LC maps to S x S: bilinear (align_corners=False) |\n"
            "                       nearest (Captum's default) (default bilinear)\n"
            "  --no-gc-relu         GC map without the ReLU (Captum relu_attributions=False)\n"
            "  --gc-layer L         GradCAM layer (default features.norm5, pre-ReLU)\n"
            "  --lc-layer L         conductance layer (default features.norm5; e.g.\n"
            "                       denseblock4.denselayer16.conv2, transition3.conv, relu5)\n"
            "  --lc-steps N         conductance steps; N+1 Gauss-Legendre nodes (default 50)\n"
            "  --captum-compat      DL exactly as Captum 0.8 on torchvision DenseNet (plain\n"
            "                       gradients through the functional final ReLU and the max-pool)\n"
            "  --gs-samples N       GradientSHAP samples (default 5)\n"
            "  --gs-baselines L     GS baseline distribution, from zero,black,blur (default zero,blur)\n"
            "  --gs-stdev S         GS noise stdev added to x (default 0)\n"
            "  --nt-samples N       SmoothGrad samples (default 25)\n"
            "  --nt-stdev S         SmoothGrad noise stdev, absolute (default 0.15*(max(x)-min(x))\n"
            "                       per image, Smilkov et al.)\n"
            "  --ig-steps N         Integrated Gradients Gauss-Legendre steps (default 50)\n"
            "  --oc-patch P         occlusion window P x P px (default 16)\n"
            "  --oc-stride S        occlusion stride px (default 8)\n");
}
