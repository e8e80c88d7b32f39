// stats/map_norm: attribution map -> [0,1] map by sign mode and scale (METHODS.md §3), with
// Captum's cumulative-sum outlier threshold (captum/attr/_utils/visualization.py:
// _cumulative_sum_threshold, _normalize_attr, _normalize_scale; visualize_image_attr's default
// outlier_perc=2).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

const char *const STATS_MAP_SIGN_NAMES[STATS_N_SIGNS] = {"abs", "positive", "signed"};
const char *const STATS_MAP_SCALE_NAMES[STATS_N_SCALES] = {"p98", "minmax"};
#define sign_names STATS_MAP_SIGN_NAMES
#define scale_names STATS_MAP_SCALE_NAMES

const char *stats_map_sign_name(stats_map_sign s) {
    return (unsigned)s < STATS_N_SIGNS ? sign_names[s] : "?";
}
int stats_map_sign_parse(const char *name) {
    for (int s = 0; s < STATS_N_SIGNS; s++)
        if (!strcmp(name, sign_names[s])) return s;
    return -1;
}
const char *stats_map_scale_name(stats_map_scale s) {
    return (unsigned)s < STATS_N_SCALES ? scale_names[s] : "?";
}
int stats_map_scale_parse(const char *name) {
    for (int s = 0; s < STATS_N_SCALES; s++)
        if (!strcmp(name, scale_names[s])) return s;
    return -1;
}

// The first value at which the ascending cumulative sum of s[0..n) reaches want, found by
// quickselect instead of a full sort: 3-way partition around a median-of-three pivot, keep the
// side where the running sum crosses want (expected O(n); a sort cost 5 ms per 224x224 map).
// Reorders s. Ties: a value equal to the pivot is reached within the == block, so it is the answer.
static double threshold_select(float *s, size_t n, double want) {
    size_t lo = 0, hi = n;
    double acc = 0;
    while (hi - lo > 16) {
        float a = s[lo], b = s[lo + (hi - lo) / 2], c = s[hi - 1];
        float p = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t lt = lo, i = lo, gt = hi; // [lo,lt) < p, [lt,i) == p, [gt,hi) > p
        double less = 0;
        while (i < gt) {
            float v = s[i];
            if (v < p) {
                less += v;
                s[i++] = s[lt];
                s[lt++] = v;
            } else if (v > p) {
                s[i] = s[--gt];
                s[gt] = v;
            } else {
                i++;
            }
        }
        if (acc + less >= want) {
            hi = lt;
            continue;
        }
        acc += less;
        acc += (double)(gt - lt) * p;
        if (acc >= want) return p;
        lo = gt;
    }
    for (size_t i = lo + 1; i < hi; i++) { // insertion sort of the last few
        float v = s[i];
        size_t j = i;
        for (; j > lo && s[j - 1] > v; j--) s[j] = s[j - 1];
        s[j] = v;
    }
    for (size_t i = lo; i < hi; i++) {
        acc += s[i];
        if (acc >= want) return s[i];
    }
    return NAN; // rounding left the sum short: the caller takes the maximum
}

double stats_cumsum_threshold(const float *v, size_t n, double percentile, float *work) {
    if (n == 0) return NAN;
    float *s = work ? work : cx_malloc(n * sizeof *s);
    if (s != v) memcpy(s, v, n * sizeof *s);
    double total = 0, max = s[0];
    for (size_t i = 0; i < n; i++) {
        total += s[i];
        max = s[i] > max ? s[i] : max;
    }
    double t = threshold_select(s, n, total * 0.01 * percentile);
    if (!work) free(s);
    return isnan(t) ? max : t;
}

int stats_map_normalise(float *map, size_t n, stats_map_norm norm, float *work) {
    float lo = INFINITY, hi = -INFINITY;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        float v = map[i];
        if (norm.sign == STATS_SIGN_ABS) v = fabsf(v);
        else if (norm.sign == STATS_SIGN_POSITIVE) v = v > 0 ? v : 0;
        map[i] = v;
        bad |= !isfinite(v);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (n == 0 || bad || !(hi > lo)) {
        memset(map, 0, n * sizeof *map);
        return 1;
    }
    if (norm.scale == STATS_SCALE_MINMAX) return stats_minmax_normalise(map, n);
    double t;
    if (norm.sign == STATS_SIGN_SIGNED) {
        float *a = work ? work : cx_malloc(n * sizeof *a);
        for (size_t i = 0; i < n; i++) a[i] = fabsf(map[i]);
        t = stats_cumsum_threshold(a, n, 98.0, a);
        if (!work) free(a);
    } else {
        t = stats_cumsum_threshold(map, n, 98.0, work);
    }
    if (!(t > 0)) { // unreachable for a non-constant map with |v| mass; kept as a guard
        memset(map, 0, n * sizeof *map);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        double v = map[i] / t;
        if (norm.sign == STATS_SIGN_SIGNED) {
            v = v < -1 ? -1 : v > 1 ? 1 : v;
            map[i] = (float)((v + 1) * 0.5);
        } else {
            map[i] = (float)(v > 1 ? 1 : v);
        }
    }
    return 0;
}
