// attr/sanity.c: the weight randomisations of Adebayo et al. 2018 ("Sanity checks for saliency
// maps"): cascading from the top of the network down, or one block at a time (independent).
// Comparing the resulting maps with the originals (Spearman, SSIM) is stats/' and cli/'s job.
#include <string.h>

#include "attr/attr.h"

// Top to bottom. Each step lists the tensor-name prefixes it re-initialises.
static const struct {
    const char *name;
    const char *prefix[2];
} steps[] = {
    {"classifier", {"classifier.", NULL}},
    {"norm5", {"features.norm5.", NULL}},
    {"denseblock4", {"features.denseblock4.", NULL}},
    {"transition3", {"features.transition3.", NULL}},
    {"denseblock3", {"features.denseblock3.", NULL}},
    {"transition2", {"features.transition2.", NULL}},
    {"denseblock2", {"features.denseblock2.", NULL}},
    {"transition1", {"features.transition1.", NULL}},
    {"denseblock1", {"features.denseblock1.", NULL}},
    {"conv0", {"features.conv0.", "features.norm0."}}, // the stem: conv0 + norm0
};
#define N_STEPS ((int)(sizeof steps / sizeof steps[0]))

int attr_sanity_steps(const char **names, int cap) {
    for (int i = 0; i < N_STEPS && i < cap; i++) names[i] = steps[i].name;
    return N_STEPS;
}

void attr_sanity_randomise(densenet *net, int step, int cascading, uint64_t seed) {
    if (step < 0 || step >= N_STEPS) return;
    for (int s = cascading ? 0 : step; s <= step; s++)
        for (int k = 0; k < 2 && steps[s].prefix[k]; k++)
            // a distinct seed per step, so cascading step s re-draws what independent step s draws
            densenet_reinit_prefix(net, steps[s].prefix[k], seed + 1000003ull * (uint64_t)s + k);
}
