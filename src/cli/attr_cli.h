// cli/attr_cli.h: what `attribute` and `sanity` share: the saliency-method flags (one table, one
// help text), targets per image.
#ifndef CX_CLI_ATTR_CLI_H
#define CX_CLI_ATTR_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "attr/attr.h"
#include "train/train.h"

enum {
    AO_PRECISION = 1000, AO_MAX_BATCH, AO_SEED, AO_BASELINE, AO_BLUR_SIGMA, AO_UPSAMPLE,
    AO_NO_GC_RELU, AO_GC_LAYER, AO_LC_LAYER, AO_LC_STEPS, AO_CAPTUM, AO_GS_SAMPLES,
    AO_GS_BASELINES, AO_GS_STDEV, AO_NT_SAMPLES, AO_NT_STDEV, AO_IG_STEPS, AO_OC_PATCH,
    AO_OC_STRIDE
};
// The study's six methods: the default --methods of attribute and sanity, and what demo runs.
#define ATTR_CLI_STUDY_METHODS "sl,gc,dl,lc,gs,nt"
// The getopt_long entries of the method flags (spread into a command's table).
#define ATTR_CLI_LONGOPTS                                                                          \
    {"precision", required_argument, 0, AO_PRECISION},                                             \
    {"max-batch", required_argument, 0, AO_MAX_BATCH}, {"seed", required_argument, 0, AO_SEED},    \
    {"baseline", required_argument, 0, AO_BASELINE},                                               \
    {"blur-sigma", required_argument, 0, AO_BLUR_SIGMA},                                           \
    {"upsample", required_argument, 0, AO_UPSAMPLE}, {"no-gc-relu", no_argument, 0, AO_NO_GC_RELU},\
    {"gc-layer", required_argument, 0, AO_GC_LAYER},                                               \
    {"lc-layer", required_argument, 0, AO_LC_LAYER},                                               \
    {"lc-steps", required_argument, 0, AO_LC_STEPS},                                               \
    {"captum-compat", no_argument, 0, AO_CAPTUM},                                                  \
    {"gs-samples", required_argument, 0, AO_GS_SAMPLES},                                           \
    {"gs-baselines", required_argument, 0, AO_GS_BASELINES},                                       \
    {"gs-stdev", required_argument, 0, AO_GS_STDEV},                                               \
    {"nt-samples", required_argument, 0, AO_NT_SAMPLES},                                           \
    {"nt-stdev", required_argument, 0, AO_NT_STDEV},                                               \
    {"ig-steps", required_argument, 0, AO_IG_STEPS},                                               \
    {"oc-patch", required_argument, 0, AO_OC_PATCH},                                              \
    {"oc-stride", required_argument, 0, AO_OC_STRIDE}

// Applies one method flag. 1: handled; 0: not a method flag; -1: usage error (printed).
int attr_cli_option(const char *cmd, int opt, const char *arg, attr_options *o);
// The method flags' help lines (with defaults).
void attr_cli_help(FILE *out);

#endif
