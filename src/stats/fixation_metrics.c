// stats: gaze metrics that discount the centre bias (METHODS.md §4): shuffled AUC (Borji et al.
// 2013, as pysaliency's AUC with nonfixations="shuffled") and information gain over a baseline
// map (Kümmerer et al. 2015, in the MIT benchmark's InfoGain.m form).
#include "stats/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "util/util.h"

// One value of the ROC: the map at a pixel, as a positive (weight 1) or as a negative sample
// (weight = how many other images fixated the pixel).
typedef struct roc_sample {
    float value;
    uint32_t pos, neg;
} roc_sample;

static int by_value(const void *a, const void *b) {
    float x = ((const roc_sample *)a)->value, y = ((const roc_sample *)b)->value;
    return (x > y) - (x < y);
}

double stats_sauc(const float *map, const uint8_t *fix, const uint32_t *other_count, size_t n) {
    size_t m = 0;
    for (size_t p = 0; p < n; p++) m += fix[p] || other_count[p];
    roc_sample *s = cx_malloc((m ? m : 1) * sizeof *s);
    double n_pos = 0, n_neg = 0;
    m = 0;
    for (size_t p = 0; p < n; p++) {
        if (!fix[p] && !other_count[p]) continue;
        if (!isfinite(map[p])) {
            free(s);
            return NAN;
        }
        s[m++] = (roc_sample){map[p], fix[p] != 0, other_count[p]};
        n_pos += fix[p] != 0;
        n_neg += other_count[p];
    }
    if (n_pos == 0 || n_neg == 0) {
        free(s);
        return NAN;
    }
    // Ascending values, tied values as one group: each positive of the group beats the negatives
    // below it and ties the group's own negatives (1/2 each), as the Mann-Whitney statistic does.
    qsort(s, m, sizeof *s, by_value);
    double below = 0, wins = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        double pos = 0, neg = 0;
        for (; j < m && s[j].value == s[i].value; j++) pos += s[j].pos, neg += s[j].neg;
        wins += pos * (below + 0.5 * neg);
        below += neg;
        i = j;
    }
    free(s);
    return wins / (n_pos * n_neg);
}

double stats_info_gain(const float *map, const float *baseline, const uint8_t *fix, size_t n) {
    const double eps = DBL_EPSILON; // 2.2204e-16, MATLAB's eps as InfoGain.m (and KL here)
    double sm = 0, sb = 0;
    size_t n_fix = 0;
    for (size_t p = 0; p < n; p++) {
        sm += map[p];
        sb += baseline[p];
        n_fix += fix[p] != 0;
    }
    if (n_fix == 0 || !(sm > 0) || !(sb > 0) || !isfinite(sm) || !isfinite(sb)) return NAN;
    double gain = 0;
    for (size_t p = 0; p < n; p++)
        if (fix[p]) gain += log2(eps + map[p] / sm) - log2(eps + baseline[p] / sb);
    return gain / (double)n_fix;
}

void stats_fixation_counts(const uint8_t *fix, size_t n_maps, size_t n_pix, uint32_t *count) {
    for (size_t p = 0; p < n_pix; p++) count[p] = 0;
    for (size_t k = 0; k < n_maps; k++)
        for (size_t p = 0; p < n_pix; p++) count[p] += fix[k * n_pix + p] != 0;
}
