// stats/paired: two ratings of the same cases, each one of k categories (gaze's and a method's
// most-salient region on the same pairs, METHODS.md §3): agreement, Cohen's kappa, the
// Stuart-Maxwell test of marginal homogeneity and its exact permutation p.
//
// Stuart-Maxwell (Stuart 1955, Maxwell 1970), as statsmodels' SquareTable.homogeneity(
// "stuart_maxwell"): d = row margins - column margins, V[i][i] = n_i. + n_.i - 2 n_ii,
// V[i][j] = -(n_ij + n_ji), statistic d' V^-1 d over all categories but one. V is the Laplacian
// of the graph whose edge weights are the discordant counts w_ij = n_ij + n_ji; with one category
// dropped it is invertible exactly when that graph is connected. Here the statistic is the sum
// over its connected parts (categories observed in either margin), each part with one category
// dropped: d' V^+ d with V^+ the Moore-Penrose inverse. For a connected table it is statsmodels'
// value; where a category occurs only on the diagonal (statsmodels: a singular matrix, NaN) that
// category adds nothing, as it holds no evidence about the margins.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

#define MAX_K STATS_PAIRED_MAX_K

static int64_t table_total(const int64_t *t, int k) {
    int64_t n = 0;
    for (int i = 0; i < k * k; i++) n += t[i];
    return n;
}

double stats_agreement(const int64_t *table, int k) {
    int64_t n = table_total(table, k), same = 0;
    for (int i = 0; i < k; i++) same += table[i * k + i];
    return n ? (double)same / (double)n : NAN;
}

double stats_cohen_kappa(const int64_t *table, int k, stats_status *status) {
    int64_t n = table_total(table, k);
    if (status) *status = n ? STATS_OK : STATS_EMPTY;
    if (!n) return NAN;
    double po = stats_agreement(table, k), pe = 0;
    for (int i = 0; i < k; i++) {
        int64_t row = 0, col = 0;
        for (int j = 0; j < k; j++) row += table[i * k + j], col += table[j * k + i];
        pe += (double)row / n * ((double)col / n);
    }
    if (pe >= 1) { // both ratings one and the same category throughout: kappa is 0/0
        if (status) *status = STATS_CONSTANT;
        return NAN;
    }
    return (po - pe) / (1 - pe);
}

// The quadratic form's matrix: minv (k x k) with d' minv d the statistic, and its dof.
// Returns -1 when a part's matrix is numerically singular (cannot happen for counts).
static int sm_matrix(const int64_t *t, int k, double *minv, int *dof) {
    int part[MAX_K], observed[MAX_K];
    for (int i = 0; i < k; i++) {
        int64_t m = 0;
        for (int j = 0; j < k; j++) m += t[i * k + j] + t[j * k + i];
        observed[i] = m > 0;
        part[i] = i;
    }
    // Connected parts by discordant counts (union by relabelling: k is small).
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            if (i != j && t[i * k + j] + t[j * k + i] > 0 && part[i] != part[j]) {
                int from = part[j], to = part[i];
                for (int q = 0; q < k; q++)
                    if (part[q] == from) part[q] = to;
            }
    memset(minv, 0, sizeof(double) * k * k);
    *dof = 0;
    for (int root = 0; root < k; root++) {
        int idx[MAX_K], m = 0;
        for (int i = 0; i < k; i++)
            if (observed[i] && part[i] == root) idx[m++] = i;
        if (m < 2) continue;
        m--; // the part's last category dropped
        *dof += m;
        // Gauss-Jordan inverse of the part's reduced Laplacian a (m x m) into b.
        double a[MAX_K][MAX_K], b[MAX_K][MAX_K];
        for (int r = 0; r < m; r++)
            for (int c = 0; c < m; c++) {
                int i = idx[r], j = idx[c];
                double v = 0;
                if (r == c) {
                    for (int q = 0; q < k; q++)
                        if (q != i) v += (double)(t[i * k + q] + t[q * k + i]);
                } else {
                    v = -(double)(t[i * k + j] + t[j * k + i]);
                }
                a[r][c] = v;
                b[r][c] = r == c;
            }
        for (int c = 0; c < m; c++) {
            int piv = c;
            for (int r = c + 1; r < m; r++)
                if (fabs(a[r][c]) > fabs(a[piv][c])) piv = r;
            if (fabs(a[piv][c]) < 1e-12) return -1;
            for (int q = 0; q < m; q++) {
                double x = a[c][q];
                a[c][q] = a[piv][q], a[piv][q] = x;
                x = b[c][q];
                b[c][q] = b[piv][q], b[piv][q] = x;
            }
            double s = 1 / a[c][c];
            for (int q = 0; q < m; q++) a[c][q] *= s, b[c][q] *= s;
            for (int r = 0; r < m; r++) {
                if (r == c || a[r][c] == 0) continue;
                double f = a[r][c];
                for (int q = 0; q < m; q++) a[r][q] -= f * a[c][q], b[r][q] -= f * b[c][q];
            }
        }
        for (int r = 0; r < m; r++)
            for (int c = 0; c < m; c++) minv[idx[r] * k + idx[c]] = b[r][c];
    }
    return 0;
}

// d' minv d for d = row margins - column margins of t.
static double sm_form(const int64_t *t, int k, const double *minv) {
    double d[MAX_K], s = 0;
    for (int i = 0; i < k; i++) {
        d[i] = 0;
        for (int j = 0; j < k; j++) d[i] += (double)(t[i * k + j] - t[j * k + i]);
    }
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) s += d[i] * minv[i * k + j] * d[j];
    return s;
}

void stats_stuart_maxwell(const int64_t *table, int k, stats_stuart_maxwell_test *out) {
    *out = (stats_stuart_maxwell_test){.stat = NAN, .p = NAN, .dof = -1, .status = STATS_OK};
    if (k < 1 || k > MAX_K) {
        out->status = STATS_BAD_SIZE;
        return;
    }
    if (!table_total(table, k)) {
        out->status = STATS_EMPTY;
        return;
    }
    double minv[MAX_K * MAX_K];
    int dof;
    if (sm_matrix(table, k, minv, &dof)) {
        out->status = STATS_CONSTANT;
        return;
    }
    out->dof = dof;
    if (dof == 0) { // no discordant case: the margins are equal
        out->stat = 0;
        out->p = 1;
        return;
    }
    out->stat = fmax(sm_form(table, k, minv), 0);
    out->p = stats_chi2_sf(out->stat, dof);
}

// Binomial(w, 1/2) probability of x, in logs.
static double log_half_binom(int64_t w, int64_t x) {
    return lgamma((double)w + 1) - lgamma((double)x + 1) - lgamma((double)(w - x) + 1) -
           (double)w * log(2.0);
}

double stats_stuart_maxwell_permutation(const int64_t *table, int k, int n_perm, uint64_t seed,
                                        int *exact) {
    if (exact) *exact = 1;
    stats_stuart_maxwell_test obs;
    stats_stuart_maxwell(table, k, &obs);
    if (isnan(obs.stat)) return NAN;
    if (obs.dof == 0) return 1;
    double minv[MAX_K * MAX_K];
    int dof;
    sm_matrix(table, k, minv, &dof); // the same for every swap: w_ij and n_ii do not change
    // Discordant types (i < j) with w = n_ij + n_ji cases; a swap pattern is x = n_ij after.
    int ti[MAX_K * MAX_K], tj[MAX_K * MAX_K], nt = 0;
    int64_t w[MAX_K * MAX_K];
    double configs = 1;
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++)
            if (table[i * k + j] + table[j * k + i] > 0) {
                ti[nt] = i, tj[nt] = j, w[nt] = table[i * k + j] + table[j * k + i];
                configs *= (double)(w[nt] + 1);
                nt++;
            }
    const double thresh = obs.stat * (1 - 1e-12);
    int64_t t[MAX_K * MAX_K];
    memcpy(t, table, sizeof(int64_t) * k * k);
    if (configs <= STATS_PAIRED_MAX_EXACT) {
        // Every x with its probability prod_t C(w_t, x_t) / 2^w_t (odometer over the types).
        int64_t x[MAX_K * MAX_K] = {0};
        double p = 0;
        for (;;) {
            double lw = 0;
            for (int q = 0; q < nt; q++) {
                t[ti[q] * k + tj[q]] = x[q];
                t[tj[q] * k + ti[q]] = w[q] - x[q];
                lw += log_half_binom(w[q], x[q]);
            }
            if (sm_form(t, k, minv) >= thresh) p += exp(lw);
            int q = 0;
            while (q < nt && x[q] == w[q]) x[q++] = 0;
            if (q == nt) break;
            x[q]++;
        }
        return fmin(p, 1.0);
    }
    // Monte Carlo: each discordant case swapped with probability 1/2.
    if (exact) *exact = 0;
    cx_rng rng;
    cx_rng_seed(&rng, seed, 0);
    long count = 0;
    for (int b = 0; b < n_perm; b++) {
        for (int q = 0; q < nt; q++) {
            int64_t x = 0;
            for (int64_t c = 0; c < w[q]; c++) x += (int64_t)(cx_rng_u64(&rng) >> 63);
            t[ti[q] * k + tj[q]] = x;
            t[tj[q] * k + ti[q]] = w[q] - x;
        }
        if (sm_form(t, k, minv) >= thresh) count++;
    }
    return (1.0 + (double)count) / (1.0 + (double)n_perm);
}
