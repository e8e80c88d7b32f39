// cli/attr_cli.h: what `attribute` and `sanity` share: the saliency-method flags (one table, one
// help text) and --methods.
#ifndef CX_CLI_ATTR_CLI_H
#define CX_CLI_ATTR_CLI_H

#include <stdio.h>

#include "attr/attr.h"
#include "cli/cli.h"
#include "train/train.h"

// --methods LIST (attr_methods_parse) into methods[ATTR_NMETHODS], *n: 0, or -1 after the usage
// error "--methods: ...".
int attr_cli_parse_methods(const char *cmd, const char *value, attr_method *methods, int *n);
// cli_parse for a table holding ATTR_CLI_FLAGS(o): when --preset chose another preset than
// cxrgaze, the preset is applied to o and the flags are parsed once more over it, so the preset
// comes first and every flag given overrides it wherever it stands. Returns as cli_parse.
int attr_cli_parse(const cli_table *t, int argc, char **argv, attr_options *o);
// --preset's help: what each preset sets, as the flags that set it (built from the presets),
// the default named in it.
const char *attr_cli_preset_help(void);
// The study's six methods as --help shows the default of attribute and sanity.
#define ATTR_CLI_STUDY_METHODS "sl,gc,dl,lc,gs,nt"
// The method flags as a fragment of a command's flag table (cli.h), into the attr_options *o,
// parsed with attr_cli_parse (--preset first):
//   const cli_flag flags[] = {..., CLI_FLAG_HELP, ATTR_CLI_FLAGS(&a.opt)};
#define ATTR_CLI_FLAGS(o)                                                                          \
    CLI_SECTION_HEADING("method flags (METHODS.md section 2; Captum 0.8 semantics):"),            \
    CLI_FLAG_ENUM("preset", "P", &(o)->preset, ATTR_PRESET_NAMES, NULL, attr_cli_preset_help()), \
    CLI_FLAG_PRECISION(&(o)->precision, "fp32", "fp32 | bf16"),                                    \
    CLI_FLAG_INT("max-batch", "B", &(o)->max_batch, 2, 1024, "16",                                 \
                 "most samples (steps, noise draws) per engine call"),                             \
    CLI_FLAG_SEED("seed", &(o)->seed, "0", "seed of GS and NT draws, per image and target"),       \
    CLI_FLAG_CUSTOM("baseline", "B", &(o)->baseline, attr_cli_parse_baseline, "zero",              \
                    "reference x' of DL, IG, LC: zero (normalised 0 = the mean image) | black "    \
                    "(gray 0) | blur"),                                                            \
    CLI_FLAG_DOUBLE("blur-sigma", "F", &(o)->blur_sigma_frac, 0, 10, "0.1",                        \
                    "blur baseline: Gaussian sigma = F * S px"),                                   \
    CLI_FLAG_ENUM("upsample", "M", &(o)->upsample, ATTR_CLI_UPSAMPLE_NAMES, "bilinear",            \
                  "GC/LC maps to S x S: bilinear (align_corners=False) | nearest (Captum's "       \
                  "default)"),                                                                     \
    CLI_FLAG_SWITCH("no-gc-relu", &(o)->gc_relu, 0, NULL,                                          \
                    "GC map without the ReLU (Captum relu_attributions=False)"),                   \
    CLI_FLAG_CUSTOM("gc-layer", "L", (o)->gc_layer, attr_cli_parse_layer,                          \
                    "features.norm5, pre-ReLU", "GradCAM layer"),                                  \
    CLI_FLAG_CUSTOM("lc-layer", "L", (o)->lc_layer, attr_cli_parse_layer,                          \
                    "features.norm5; e.g. denseblock4.denselayer16.conv2, transition3.conv, relu5",\
                    "conductance layer"),                                                          \
    CLI_FLAG_INT("lc-steps", "N", &(o)->lc_steps, 1, 10000, "50",                                  \
                 "conductance steps; N+1 Gauss-Legendre nodes"),                                   \
    CLI_FLAG_SWITCH("captum-compat", &(o)->dl_captum_compat, 1, NULL,                              \
                    "DL exactly as Captum 0.8 on torchvision DenseNet (plain gradients through "   \
                    "the functional final ReLU and the max-pool)"),                                \
    CLI_FLAG_INT("gs-samples", "N", &(o)->gs_samples, 1, 100000, "5", "GradientSHAP samples"),     \
    CLI_FLAG_CUSTOM("gs-baselines", "L", &(o)->gs_baselines, attr_cli_parse_gs_baselines,          \
                    "zero,blur", "GS baseline distribution, from zero,black,blur"),                \
    CLI_FLAG_DOUBLE("gs-stdev", "S", &(o)->gs_stdev, 0, 1e6, "0", "GS noise stdev added to x"),    \
    CLI_FLAG_INT("nt-samples", "N", &(o)->nt_samples, 1, 100000, "25", "SmoothGrad samples"),      \
    CLI_FLAG_DOUBLE("nt-stdev", "S", &(o)->nt_stdev, 0, 1e6,                                       \
                    "0.15*(max(x)-min(x)) per image, Smilkov et al.",                              \
                    "SmoothGrad noise stdev, absolute"),                                           \
    CLI_FLAG_INT("ig-steps", "N", &(o)->ig_steps, 1, 10000, "50",                                  \
                 "Integrated Gradients Gauss-Legendre steps"),                                     \
    CLI_FLAG_INT("oc-patch", "P", &(o)->oc_patch, 1, 8192, "16", "occlusion window P x P px"),     \
    CLI_FLAG_INT("oc-stride", "S", &(o)->oc_stride, 1, 8192, "8", "occlusion stride px")
// The fragment's names and parsers.
extern const char *const ATTR_CLI_UPSAMPLE_NAMES[2]; // in attr_upsample's order
int attr_cli_parse_baseline(const char *cmd, const cli_flag *f, const char *value);
// "denseblock4.denselayer16.conv2" as well as "features.denseblock4..." into a char[96]
int attr_cli_parse_layer(const char *cmd, const cli_flag *f, const char *value);
int attr_cli_parse_gs_baselines(const char *cmd, const cli_flag *f, const char *value);

#endif
