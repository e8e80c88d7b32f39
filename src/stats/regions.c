// stats/regions: region-level analysis of METHODS.md §3: mass fraction of a map in each region,
// z-scores over images, most salient region, distributions compared by total-variation distance
// and Pearson's chi-square test.
#include <math.h>
#include <stdlib.h>

#include "stats/stats.h"

stats_status stats_region_mass(const float *map, const uint8_t *masks, int n_regions, size_t n_pix,
                               double *p) {
    double total = 0;
    for (size_t i = 0; i < n_pix; i++)
        total += map[i];
    for (int r = 0; r < n_regions; r++) {
        const uint8_t *mask = masks + (size_t)r * n_pix;
        double in = 0;
        size_t count = 0;
        for (size_t i = 0; i < n_pix; i++)
            if (mask[i]) in += map[i], count++;
        p[r] = count && total > 0 ? in / total : NAN;
    }
    return total > 0 ? STATS_OK : STATS_CONSTANT;
}

int stats_region_z_scores(const double *p, size_t n, int n_regions, double *z, int *sd_zero) {
    int flagged = 0;
    for (int r = 0; r < n_regions; r++) {
        double mean = 0, ss = 0;
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(p[i * n_regions + r])) mean += p[i * n_regions + r], cnt++;
        if (cnt) mean /= (double)cnt;
        for (size_t i = 0; i < n; i++) {
            double v = p[i * n_regions + r];
            if (!isnan(v)) ss += (v - mean) * (v - mean);
        }
        double sd = cnt >= 2 ? sqrt(ss / (double)(cnt - 1)) : 0;
        int zero = !(sd > 0);
        if (sd_zero) sd_zero[r] = zero;
        flagged += zero;
        for (size_t i = 0; i < n; i++) {
            double v = p[i * n_regions + r];
            z[i * n_regions + r] = isnan(v) ? NAN : zero ? 0.0 : (v - mean) / sd;
        }
    }
    return flagged;
}

int stats_most_salient_region(const double *z, int n_regions) {
    int best = -1;
    for (int r = 0; r < n_regions; r++)
        if (!isnan(z[r]) && (best < 0 || z[r] > z[best])) best = r;
    return best;
}

void stats_region_counts(const int *most, size_t n, int n_regions, int64_t *counts) {
    for (int r = 0; r < n_regions; r++)
        counts[r] = 0;
    for (size_t i = 0; i < n; i++)
        if (most[i] >= 0 && most[i] < n_regions) counts[most[i]]++;
}

double stats_tv_distance(const int64_t *a, const int64_t *b, int k) {
    double ta = 0, tb = 0, tv = 0;
    for (int c = 0; c < k; c++)
        ta += (double)a[c], tb += (double)b[c];
    if (!(ta > 0) || !(tb > 0)) return NAN;
    for (int c = 0; c < k; c++)
        tv += fabs((double)a[c] / ta - (double)b[c] / tb);
    return 0.5 * tv;
}

void stats_chi2_homogeneity(const int64_t *a, const int64_t *b, int k, stats_chi2 *out) {
    *out = (stats_chi2){.stat = NAN, .p = NAN, .status = STATS_OK};
    double ta = 0, tb = 0;
    int kept = 0;
    for (int c = 0; c < k; c++) {
        ta += (double)a[c], tb += (double)b[c];
        if (a[c] + b[c] > 0)
            kept++;
        else
            out->n_excluded++;
    }
    if (!(ta > 0) || !(tb > 0)) {
        out->status = STATS_EMPTY;
        return;
    }
    if (kept < 2) {
        out->status = STATS_TOO_FEW;
        return;
    }
    double total = ta + tb, stat = 0;
    for (int c = 0; c < k; c++) {
        double col = (double)(a[c] + b[c]);
        if (col == 0) continue; // zero expected in both rows: excluded
        double ea = ta * col / total, eb = tb * col / total;
        stat += ((double)a[c] - ea) * ((double)a[c] - ea) / ea;
        stat += ((double)b[c] - eb) * ((double)b[c] - eb) / eb;
    }
    out->stat = stat;
    out->dof = kept - 1;
    out->p = stats_chi2_sf(stat, out->dof);
}

void stats_chi2_gof(const int64_t *observed, const double *prob, int k, stats_chi2 *out) {
    *out = (stats_chi2){.stat = NAN, .p = NAN, .status = STATS_OK};
    double total = 0, psum = 0;
    int kept = 0;
    for (int c = 0; c < k; c++) {
        total += (double)observed[c];
        if (prob[c] > 0)
            psum += prob[c], kept++;
        else
            out->n_excluded++;
    }
    if (!(total > 0) || !(psum > 0)) {
        out->status = STATS_EMPTY;
        return;
    }
    if (kept < 2) {
        out->status = STATS_TOO_FEW;
        return;
    }
    double stat = 0;
    for (int c = 0; c < k; c++) {
        if (prob[c] > 0) {
            double e = total * prob[c] / psum;
            stat += ((double)observed[c] - e) * ((double)observed[c] - e) / e;
        } else if (observed[c] > 0) {
            stat = INFINITY;
        }
    }
    out->stat = stat;
    out->dof = kept - 1;
    out->p = isinf(stat) ? 0.0 : stats_chi2_sf(stat, out->dof);
}
