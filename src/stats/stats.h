// stats: classification statistics (AUROC, DeLong, bootstrap, F1 threshold, Spearman), map
// comparison metrics (SSIM, CC, NSS, KL, SIM, AUC-Judd, EMD, baselines), region analysis
// (mass fractions, z-scores, most salient region, TV distance, chi-square), paired ratings
// (agreement, Cohen's kappa, Stuart-Maxwell) and significance tests (bootstrap CI of a mean, also
// over clusters such as patients; permutation tests, also within strata). Depends on util only; knows nothing of
// models or files. Definitions: docs/METHODS.md §3 (binding).
//
// "Not available" is not an error: a statistic that is undefined for its input (empty input,
// one class only, constant data, too few cases) is NaN and a stats_status says why. Nothing here
// fails on user data; allocation failure exits via cx_malloc. All computation is in double.
#ifndef CX_STATS_H
#define CX_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

typedef enum {
    STATS_OK = 0,
    STATS_EMPTY,       // no cases / no pixels / no fixations
    STATS_ONE_CLASS,   // labels all 0 or all 1: AUROC (and its CIs) undefined
    STATS_TOO_FEW,     // too few cases for a variance (e.g. < 2 positives for DeLong)
    STATS_CONSTANT,    // zero variance / zero mass where the statistic needs some
    STATS_BAD_SIZE,    // e.g. an image smaller than the 7x7 SSIM window
    STATS_NO_CONVERGE, // iteration cap hit (EMD simplex); should not happen
    STATS_NONFINITE    // a score is NaN or infinite (classification statistics)
} stats_status;
const char *stats_status_name(stats_status s); // "ok", "empty", "one class", ...

// ==== ranks and simple statistics (rank.c) ===================================================
// Midranks (average ranks, 1-based) of x[0..n): ties share the mean of their positions.
void stats_midranks(const double *x, size_t n, double *rank);
// Percentile q in [0,100] of x (any order, x is not modified), linear interpolation between
// order statistics (numpy's default "linear" method). NaN for n = 0.
double stats_percentile(const double *x, size_t n, double q);
// Pearson correlation of two float arrays (e.g. maps). NaN + STATS_CONSTANT if either is
// constant, STATS_EMPTY if n < 2.
double stats_pearson(const float *x, const float *y, size_t n, stats_status *status);
// Spearman rank correlation (average ranks for ties) = Pearson of midranks, as
// scipy.stats.spearmanr. NaN + STATS_CONSTANT if either is constant.
double stats_spearman(const float *x, const float *y, size_t n, stats_status *status);

// ==== classification (auroc.c) ================================================================
// Labels: 0 = negative, anything else = positive. Scores: higher = more positive.
// AUROC with ties counted 1/2 (= sklearn.metrics.roc_auc_score), via midranks (Mann-Whitney).
// NaN + STATS_EMPTY / STATS_ONE_CLASS when undefined.
double stats_auroc(const double *score, const uint8_t *label, size_t n, stats_status *status);

typedef struct stats_auroc_ci {
    double auroc;  // point estimate (NaN when unavailable)
    double var;    // DeLong variance of the AUROC
    double lo, hi; // CI: auroc -/+ z_(1+level)/2 * sqrt(var), clipped to [0,1]
    size_t n_pos, n_neg;
    stats_status status; // STATS_TOO_FEW (< 2 positives or negatives): auroc set, var/lo/hi NaN
} stats_auroc_ci;
// AUROC and its DeLong CI at `level` (0.95), fast algorithm of Sun & Xu 2014 (midranks),
// O(n log n).
void stats_auroc_delong(const double *score, const uint8_t *label, size_t n, double level,
                        stats_auroc_ci *out);

typedef struct stats_delong_test {
    double auroc_a, auroc_b; // on the same cases
    double diff;             // auroc_a - auroc_b
    double se;               // DeLong standard error of diff (includes the covariance)
    double z, p;             // z = diff / se; two-sided p = erfc(|z| / sqrt 2)
    stats_status status;     // not OK: fields that cannot be computed are NaN
} stats_delong_test;
// DeLong test of two correlated AUROCs (two scores on the same cases and labels).
// se = 0 (identical rankings): z = 0, p = 1 if diff = 0.
void stats_delong_compare(const double *score_a, const double *score_b, const uint8_t *label,
                          size_t n, stats_delong_test *out);

typedef struct stats_ci {
    double estimate;     // statistic on the full data
    double lo, hi;       // percentile CI (stats_percentile of the resampled statistics)
    int n_resamples;     // asked for
    int n_used;          // resamples that gave a value
    int n_skipped;       // resamples where the statistic was undefined (e.g. one class only)
    stats_status status; // of the estimate; lo/hi NaN if n_used == 0
} stats_ci;
// Patient-level percentile bootstrap CI of the AUROC: each resample draws as many patients as
// there are, with replacement, and takes all cases of each drawn patient. patient[i] is case
// i's patient id (any int64; NULL: every case is its own patient). Resamples with one class
// are skipped and counted. Seeded: cx_rng stream 0 of `seed`, one stream, so results do not
// depend on thread count. n_resamples default in the CLI: 1000.
void stats_auroc_bootstrap(const double *score, const uint8_t *label, const int64_t *patient,
                           size_t n, int n_resamples, double level, uint64_t seed, stats_ci *out);

// F1-maximising threshold: predicting positive when score >= t, over every distinct score t.
// Returns the score value at the best cut (a predicted-positive set is {score >= t}); among
// cuts with equal best F1 the LOWEST t (as np.argmax over sklearn's precision_recall_curve,
// CheXclusion's recipe). *best_f1 (may be NULL) gets the F1 there. NaN + STATS_EMPTY /
// STATS_ONE_CLASS when there are no cases or no positives; all-positive labels are fine.
double stats_f1_threshold(const double *score, const uint8_t *label, size_t n, double *best_f1,
                          stats_status *status);

// ==== map metrics (ssim.c, metrics.c, emd.c) ==================================================
// Maps are row-major float [h,w]. METHODS.md §3: compared after min-max normalisation.
// Min-max normalises map in place to [0,1]. A constant map (max == min, or any non-finite
// value making the range undefined) becomes all zeros; returns 1 then (flag it), else 0.
int stats_minmax_normalise(float *map, size_t n);

// From attribution to 2-D map (METHODS.md §3, one definition for compare, metrics, overlays and
// the report): the channel sum (done by attr/) goes through a sign mode, then a scale to [0,1].
//   sign  abs (default; Captum visualize_image_attr sign="absolute_value") | positive (negative
//         part set to 0) | signed (kept; zero lands at 0.5 after scaling)
//   scale p98 (default; Captum outlier_perc=2: divide by stats_cumsum_threshold(|v|, 98), clip at
//         1; signed: v / t clipped to [-1,1], then (v + 1) / 2) | minmax (to [0,1])
// Gaze heatmaps are non-negative and always min-max (stats_minmax_normalise).
typedef enum { STATS_SIGN_ABS = 0, STATS_SIGN_POSITIVE, STATS_SIGN_SIGNED, STATS_N_SIGNS } stats_map_sign;
typedef enum { STATS_SCALE_P98 = 0, STATS_SCALE_MINMAX, STATS_N_SCALES } stats_map_scale;
typedef struct stats_map_norm {
    stats_map_sign sign;
    stats_map_scale scale;
} stats_map_norm; // {0} = abs, p98: the default
extern const char *const STATS_MAP_SIGN_NAMES[];  // [STATS_N_SIGNS], for flag tables
extern const char *const STATS_MAP_SCALE_NAMES[]; // [STATS_N_SCALES]
const char *stats_map_sign_name(stats_map_sign s);   // "abs", "positive", "signed"
int stats_map_sign_parse(const char *name);          // -1: unknown
const char *stats_map_scale_name(stats_map_scale s); // "p98", "minmax"
int stats_map_scale_parse(const char *name);         // -1: unknown
// Captum's _cumulative_sum_threshold (attr/_utils/visualization.py): sort v (values >= 0)
// ascending, the first value at which the cumulative sum reaches percentile/100 of the total.
// Not numpy's percentile. Found by quickselect (expected O(n)); the sum runs in partition order,
// not sorted order (equal up to rounding). work: n floats of scratch (may be v itself: v is then
// reordered), or NULL (allocated). NaN if n == 0.
double stats_cumsum_threshold(const float *v, size_t n, double percentile, float *work);
// Normalises map in place as above. A map that is constant after the sign mode (all zero
// included), or has a non-finite value, becomes all zeros and the call returns 1: it has no
// defined SSIM/CC/region and is excluded and counted (n_constant). work: n floats or NULL.
int stats_map_normalise(float *map, size_t n, stats_map_norm norm, float *work);

// SSIM identical to skimage.metrics.structural_similarity(a, b, data_range=1, win_size=7,
// gaussian_weights=False, use_sample_covariance=True, K1=.01, K2=.03) of scikit-image 0.19:
// uniform 7x7 window, reflect borders (d c b a | a b c d), mean over the map cropped by 3 px.
// NaN if h or w < 7. O(h*w): separable window sums in double (10*w doubles of scratch).
double stats_ssim(const float *a, const float *b, int h, int w);

// Pearson CC of two maps (MIT benchmark CC). NaN if either map is constant.
double stats_cc(const float *map, const float *ref, size_t n);
// NSS: map standardised by its mean and sample sd (MATLAB std, as the MIT benchmark), averaged
// over fixated pixels (fix[i] != 0). NaN if no fixations or the map is constant.
double stats_nss(const float *map, const uint8_t *fix, size_t n);
// KL(gaze || map), MIT benchmark KLdiv: both normalised to sum 1,
// sum g * log(eps + g / (s + eps)), eps = 2.2204e-16. Maps must be >= 0. NaN if a sum is 0.
double stats_kl(const float *map, const float *gaze, size_t n);
// SIM (histogram intersection): sum min(s, g) of the sum-normalised maps. NaN if a sum is 0.
double stats_sim(const float *map, const float *ref, size_t n);
// AUC-Judd (MIT benchmark AUC_Judd.m, without its random jitter): thresholds t at the map values
// of the fixated pixels, tp = #{fixated >= t}/Nfix, fp = #{non-fixated >= t}/(Npix - Nfix),
// trapezoid over (0,0)...(1,1). Without ties this is AUC_Judd.m's value (tp = i/Nfix); tied
// values count together (a constant map gives 0.5). NaN if no fixations or all pixels fixated.
double stats_auc_judd(const float *map, const uint8_t *fix, size_t n);

// Area resampling (box filter with fractional pixel coverage) of [h,w] to [oh,ow]
// with oh <= h, ow <= w.
void stats_area_downsample(const float *in, int h, int w, float *out, int oh, int ow);
// Earth mover's distance between two maps (>= 0), both mass-normalised to sum 1. Maps larger
// than max_side (0: 32) in either axis are first area-downsampled so the longer side is
// max_side (aspect kept). Ground distance: Euclidean between cell centres, in ORIGINAL-image
// pixels (a unit mass moved by d pixels costs d). Exact: transportation simplex (see emd.c).
// NaN + status if a map sums to 0 or the solver fails. Memory ~ 8 (n/2)^2 bytes for n grid
// cells (32x32: ~2 MB); keep max_side <= 64.
double stats_emd(const float *map, const float *ref, int h, int w, int max_side,
                 stats_status *status);

// All map metrics of one pair. map, ref: raw [h,w] maps (copied and normalised here: both
// min-max in stats_map_metrics_compute, the classic saliency-benchmark convention for two
// non-negative maps); fix: binary fixation map [h,w] or NULL (then nss/auc_judd are NaN). KL is
// KL(ref || map).
typedef struct stats_map_metrics {
    double ssim, cc, kl, sim, emd, nss, auc_judd;
    double sauc, ig_centre, ig_mean_gaze; // need more than the pair (the other images' fixations,
                                          // a baseline): NaN from stats_map_metrics_ex
    int map_constant, ref_constant; // normalisation met a constant map (now all zeros)
} stats_map_metrics;
void stats_map_metrics_compute(const float *map, const float *ref, const uint8_t *fix, int h, int w,
                               stats_map_metrics *out);
// The same for a selection of metrics (bits below; the others are NaN) and the EMD grid's max
// side (0: 32); the map normalised by `norm` (stats_map_normalise: METHODS.md §3, {0} = abs, p98;
// {STATS_SIGN_SIGNED, STATS_SCALE_MINMAX} = min-max), the reference (gaze) always min-max. work:
// scratch of 2*h*w floats reused across calls (one per thread), or NULL to allocate per call
// (fresh pages fault in on every call: ~15% slower at 224x224).
enum {
    STATS_M_SSIM = 1,
    STATS_M_CC = 2,
    STATS_M_KL = 4,
    STATS_M_SIM = 8,
    STATS_M_EMD = 16,
    STATS_M_NSS = 32,
    STATS_M_AUC_JUDD = 64,
    STATS_M_ALL = 127, // the pair metrics above (the C API's "all")
    STATS_M_SAUC = 128,
    STATS_M_IG_CENTRE = 256,
    STATS_M_IG_MEAN_GAZE = 512
};
void stats_map_metrics_ex(const float *map, const float *ref, const uint8_t *fix, int h, int w,
                          unsigned which, int emd_max_side, stats_map_norm norm, float *work,
                          stats_map_metrics *out);

// The map metrics as one vocabulary: enum order is compare's column order (metrics.csv rows);
// `cxrgaze metrics` keeps its own column order over the same names. The first
// STATS_N_PAIR_METRICS are computed from one (map, reference, fixations) pair
// (stats_map_metrics_ex; the C API's CXG_VOCAB_METRICS); sAUC and the information gains need
// the other images' fixations or a baseline map (fixation_metrics.c, computed by compare and
// `cxrgaze metrics`).
typedef enum {
    STATS_SSIM = 0,
    STATS_CC,
    STATS_NSS,
    STATS_KL,
    STATS_SIM,
    STATS_AUC_JUDD,
    STATS_EMD,
    STATS_SAUC,          // "sauc": shuffled AUC
    STATS_IG_CENTRE,     // "ig_centre": information gain over the centre-bias map
    STATS_IG_MEAN_GAZE,  // "ig_mean_gaze": information gain over the mean training gaze map
    STATS_N_METRICS
} stats_metric;
#define STATS_N_PAIR_METRICS (STATS_EMD + 1)
const char *stats_metric_name(stats_metric m); // "ssim", "cc", "nss", "kl", "sim", "auc_judd", "emd",
                                               // "sauc", "ig_centre", "ig_mean_gaze"
int stats_metric_parse(const char *name);      // the stats_metric of name, or -1
unsigned stats_metric_bit(stats_metric m);     // its STATS_M_* selection bit
int stats_metric_lower_is_better(stats_metric m); // 1 for the distances KL and EMD
double stats_map_metric_value(const stats_map_metrics *m, stats_metric which);

// Baselines. Centre bias: Gaussian centred at ((h-1)/2, (w-1)/2), sigma_y = 0.25 h,
// sigma_x = 0.25 w (pixels), peak 1.
void stats_center_bias_map(float *map, int h, int w);
// Mean map: out[p] = mean over k of maps[k*n_pix + p] (maps [n,n_pix], e.g. training gaze).
void stats_mean_map(const float *maps, size_t n, size_t n_pix, float *out);

// ---- gaze metrics without the centre bias (fixation_metrics.c; METHODS.md §4) ----------------
// Shuffled AUC (Borji et al. 2013; pysaliency's AUC with nonfixations="shuffled"): positives are
// the map at this image's fixated pixels (fix nonzero), negatives the map at the fixated pixels
// of the other images, each pixel weighted by other_count[p] = how many other images fixated it
// (a pixel fixated in this image and in others is both). Ties count 1/2. A centre-bias map scores
// about 0.5 when every image's fixations share that bias. NaN without positives or negatives, or
// for a non-finite value at a sampled pixel.
double stats_sauc(const float *map, const uint8_t *fix, const uint32_t *other_count, size_t n);
// count[p] = number of the n_maps binary fixation maps [n_maps, n_pix] fixated at p. For one
// image's shuffled negatives: the counts of all images minus its own fixation map.
void stats_fixation_counts(const uint8_t *fix, size_t n_maps, size_t n_pix, uint32_t *count);
// Information gain of map over baseline in bits per fixation (Kümmerer et al. 2015; the MIT
// benchmark's InfoGain.m): both divided by their sums (densities), then the mean over fixated
// pixels of log2(eps + map) - log2(eps + baseline), eps DBL_EPSILON. Maps non-negative, normalised
// by the caller as for the other metrics (InfoGain.m min-maxes both first). NaN without fixations
// or when a map sums to 0.
double stats_info_gain(const float *map, const float *baseline, const uint8_t *fix, size_t n);

// ==== localisation against expert annotations (localize.c) ====================================
// METHODS.md §4 (CheXlocalize, Saporta et al. 2022). m is the 2-D map of §3 in [0,1]
// (stats_map_normalise, or min-max for gaze); an annotation is a 0/1 mask (nonzero = inside).
// m8 = uint8(255 m): the float32 product truncated, as CheXlocalize's numpy code.
void stats_map_to_u8(const float *m, size_t n, uint8_t *m8);
// Otsu's threshold t of an 8-bit image exactly as skimage.filters.threshold_otsu (0.19) on a
// uint8 array: one histogram bin per integer from the image's min to its max, the cut maximising
// the between-class variance w1 w2 (mu1 - mu2)^2, the first one on ties; foreground = values > t.
// A constant image returns its value (so nothing is foreground); 0 for n = 0.
int stats_otsu_u8(const uint8_t *img, size_t n);
// The pointing game's peak: the index of the largest value of the raw map after the sign mode
// (|v|, max(v,0) or v) and BEFORE the scale, the first in row-major order on ties (numpy's
// argmax). Taken before the scale because p98 clips every pixel above its threshold to 1 (many
// ties); the scales are monotone, so this is the argmax of the scaled map where it has no ties.
// -1 when n = 0 or a value is not finite.
int64_t stats_map_peak(const float *raw, size_t n, stats_map_sign sign);
typedef struct stats_localisation {
    double iou;        // |B & A| / |B | A| (B the binarised map, A the annotation); NaN: both empty
    double hit;        // 1: the peak pixel is inside A, 0: outside, NaN: no peak (peak < 0)
    double mass_share; // sum of m inside A / sum of m; NaN when m sums to 0
    int threshold;     // Otsu's t on m8 (B = m8 > t); -1 with a fixed threshold (B = m > it)
    int64_t n_mask;    // pixels in B
} stats_localisation;
// One map m [n] in [0,1] against one annotation [n]. threshold < 0: Otsu on m8; else B = m >
// threshold. peak: stats_map_peak of the raw map. work: n bytes of scratch (B), or NULL.
// A constant map (stats_map_normalise returned 1) has no defined score: callers leave it out and
// count it, as compare does.
void stats_localise(const float *m, int64_t peak, const uint8_t *annot, size_t n, double threshold,
                    uint8_t *work, stats_localisation *out);
// Its two steps, for a map scored against many annotations (the centre bias): the binary mask
// b [n] (0/1) of m, returning Otsu's t (threshold < 0) or -1; then the scores of b and m against
// one annotation (threshold: what the first step returned, recorded in out).
int stats_localise_binarise(const float *m, size_t n, double threshold, uint8_t *b);
void stats_localise_mask(const float *m, const uint8_t *b, int threshold, int64_t peak,
                         const uint8_t *annot, size_t n, stats_localisation *out);

// ==== region analysis (regions.c) =============================================================
// masks: [n_regions, n_pix] (nonzero = pixel in region). p[r] = map mass in region r / total
// map mass (map >= 0). A region with no pixels is absent: p[r] = NaN. Total mass 0: all NaN,
// returns STATS_CONSTANT.
stats_status stats_region_mass(const float *map, const uint8_t *masks, int n_regions, size_t n_pix,
                               double *p);
// z-scores over images, per region: z[i,r] = (p[i,r] - mean_i p[.,r]) / sd_i p[.,r] (sample
// sd, over the images where region r is present; p,z: [n,n_regions]). NaN p -> NaN z.
// sd 0 or < 2 present images: z = 0 for the present images and sd_zero[r] = 1 (flag; may be
// NULL). Returns the number of flagged regions.
int stats_region_z_scores(const double *p, size_t n, int n_regions, double *z, int *sd_zero);
// argmax_r z[r], skipping NaN (absent regions); first on ties; -1 if all absent.
int stats_most_salient_region(const double *z, int n_regions);
// counts[r] = #{i : most[i] == r} (entries -1 ignored).
void stats_region_counts(const int *most, size_t n, int n_regions, int64_t *counts);
// Total-variation distance 1/2 sum |a_k/A - b_k/B| between two count distributions.
// NaN if a total is 0.
double stats_tv_distance(const int64_t *a, const int64_t *b, int k);

typedef struct stats_chi2 {
    double stat, p;
    int dof;
    int n_excluded; // categories with zero count in both rows (zero expected), left out
    stats_status status;
} stats_chi2;
// Pearson chi-square test of homogeneity of a 2 x k table (a method's counts vs gaze's
// counts): expected = row total * column total / N, no continuity correction (scipy's
// chi2_contingency(..., correction=False)). Columns that are zero in both rows have expected
// 0 and are excluded (dof = k' - 1 over the k' kept columns). NaN if a row total is 0 or
// k' < 2.
void stats_chi2_homogeneity(const int64_t *a, const int64_t *b, int k, stats_chi2 *out);
// Pearson goodness of fit of observed counts to expected proportions (scipy.stats.chisquare
// with f_exp = total * prob): categories with prob 0 are excluded (their counts must be 0,
// else stat = inf, p = 0).
void stats_chi2_gof(const int64_t *observed, const double *prob, int k, stats_chi2 *out);
// Upper tail P(X >= x) of chi-square with dof degrees of freedom: regularised upper incomplete
// gamma Q(dof/2, x/2) (series / continued fraction, Numerical Recipes 6.2).
double stats_chi2_sf(double x, double dof);
// Standard normal quantile (Acklam's rational approximation refined by one Halley step).
double stats_normal_quantile(double p);

// ==== paired ratings (paired.c) ===============================================================
// Two ratings of the same n cases into k categories as a k x k table: table[a*k + b] = cases
// rated a first (rows: e.g. gaze) and b second (columns: e.g. a method). k <= STATS_PAIRED_MAX_K.
#define STATS_PAIRED_MAX_K 16
// Share of cases on the diagonal. NaN if n = 0.
double stats_agreement(const int64_t *table, int k);
// Cohen's kappa (po - pe) / (1 - pe), pe = sum_i row_i col_i / n^2 (= sklearn's
// cohen_kappa_score, unweighted). NaN + STATS_EMPTY (n = 0) or STATS_CONSTANT (pe = 1: both
// ratings one and the same category throughout).
double stats_cohen_kappa(const int64_t *table, int k, stats_status *status);
typedef struct stats_stuart_maxwell_test {
    double stat, p;      // p = stats_chi2_sf(stat, dof)
    int dof;             // categories observed (in either margin) minus one per connected part
    stats_status status; // EMPTY (n = 0), BAD_SIZE (k out of range): stat, p NaN, dof -1
} stats_stuart_maxwell_test;
// Stuart-Maxwell test of marginal homogeneity (statsmodels SquareTable(table, shift_zeros=False)
// .homogeneity("stuart_maxwell") where its covariance is invertible; see paired.c for the
// general case). No discordant case: stat 0, dof 0, p 1. For k = 2 it is McNemar's statistic
// (b - c)^2 / (b + c) without continuity correction.
void stats_stuart_maxwell(const int64_t *table, int k, stats_stuart_maxwell_test *out);
// Permutation p of the Stuart-Maxwell statistic under exchangeability within cases: each case's
// two ratings swapped or not with probability 1/2 (a swap moves a case from (a,b) to (b,a);
// the covariance is the same for every swap). p = P(stat_perm >= stat_obs) (relative tolerance
// 1e-12). Exact when the swap patterns, prod over category pairs of (n_ab + n_ba + 1), number
// at most STATS_PAIRED_MAX_EXACT (k = 4 and n < 30: always; *exact = 1), by enumerating the
// binomial counts; else Monte Carlo with n_perm draws seeded as stats_permutation_test,
// p = (1 + count) / (1 + n_perm) (*exact = 0). NaN where stats_stuart_maxwell gives NaN; 1
// without discordant cases. exact may be NULL.
#define STATS_PAIRED_MAX_EXACT 1000000.0
double stats_stuart_maxwell_permutation(const int64_t *table, int k, int n_perm, uint64_t seed,
                                        int *exact);

// ==== significance (signif.c) =================================================================
// Percentile bootstrap CI of the mean of x (n_resamples, seeded as stats_auroc_bootstrap).
void stats_bootstrap_mean_ci(const double *x, size_t n, int n_resamples, double level,
                             uint64_t seed, stats_ci *out);
// The same over clusters (METHODS.md §3: patients): each resample draws as many clusters as
// there are, with replacement, and takes every value of each drawn cluster; the statistic is
// the mean of the values drawn. cluster[i] is value i's cluster (any int64; NULL: each value its
// own). Clusters are numbered by first appearance, so with distinct ids (one value per cluster)
// the result is stats_bootstrap_mean_ci's, bit for bit, for the same seed.
void stats_bootstrap_mean_ci_clustered(const double *x, const int64_t *cluster, size_t n,
                                       int n_resamples, double level, uint64_t seed,
                                       stats_ci *out);
// Two-sided permutation test of mean(a) - mean(b): the pooled values are shuffled n_perm
// times (default 10,000; seeded Fisher-Yates), count = #{|diff_perm| >= |diff_obs|} (with a
// relative tolerance of 1e-12 for ties), p = (1 + count) / (1 + n_perm). *diff (may be NULL)
// gets the observed difference. NaN + STATS_EMPTY if a group is empty.
double stats_permutation_test(const double *a, size_t na, const double *b, size_t nb, int n_perm,
                              uint64_t seed, double *diff, stats_status *status);
// The same test with group labels permuted within strata (METHODS.md §3: within each label's
// pairs): value i is in group a when in_a[i], in stratum stratum[i] (any int64; NULL: one
// stratum). Each permutation keeps every stratum's number of a's; the statistic is still the
// difference of the two groups' means over all strata. With one stratum whose a's come first it
// is stats_permutation_test(a, b) bit for bit (same seed).
double stats_permutation_test_strata(const double *x, const uint8_t *in_a, const int64_t *stratum,
                                     size_t n, int n_perm, uint64_t seed, double *diff,
                                     stats_status *status);

#endif
