// study/compare: the tables of compare, a writer and a reader each, side by side: ssim.csv,
// metrics.csv, regions.csv, region_distance.csv, sensitivity.csv, truth.csv, gc_lc.csv and
// interobserver.csv (compare.json: compare_json.c; the shared cell and table code:
// compare_table.c). Numbers are written with fixed precision; NaN is an empty cell (and an empty
// cell reads as NaN).
#include "study/compare_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- vocabularies ------------------------------------------------------------------------------
static const char *const source_names[STUDY_N_SOURCES - ATTR_NMETHODS] = {
    [STUDY_SOURCE_CENTRE_BIAS - ATTR_NMETHODS] = "centre_bias",
    [STUDY_SOURCE_MEAN_GAZE - ATTR_NMETHODS] = "mean_gaze",
    [STUDY_SOURCE_GAZE - ATTR_NMETHODS] = "gaze",
};
_Static_assert(sizeof source_names / sizeof source_names[0] == STUDY_N_SOURCES - ATTR_NMETHODS,
               "one name per map source beyond the methods");

const char *study_source_name(int source) {
    if (source >= 0 && source < ATTR_NMETHODS) return attr_method_name((attr_method)source);
    return source >= ATTR_NMETHODS && source < STUDY_N_SOURCES
               ? source_names[source - ATTR_NMETHODS]
               : "?";
}

int study_source_parse(const char *name) {
    attr_method m;
    if (attr_method_parse(name, &m, NULL) == 0) return (int)m;
    for (int s = ATTR_NMETHODS; s < STUDY_N_SOURCES; s++)
        if (!strcmp(name, source_names[s - ATTR_NMETHODS])) return s;
    return -1;
}

static const char *const group_names[STUDY_N_GROUPS] = {
    [STUDY_CORRECT] = "correct", [STUDY_INCORRECT] = "incorrect"};
_Static_assert(sizeof group_names / sizeof group_names[0] == STUDY_N_GROUPS, "group names");

const char *study_group_name(study_group g) {
    return (unsigned)g < STUDY_N_GROUPS ? group_names[g] : "?";
}

static const char *label_name(int label) {
    return label == STUDY_ALL_LABELS ? "all" : CX_LABELS[label];
}

// ---- ssim.csv and metrics.csv ------------------------------------------------------------------
enum {
    MC_MODEL,
    MC_METHOD,
    MC_METRIC,
    MC_LABEL,
    MC_GROUP,
    MC_N,
    MC_N_CONSTANT,
    MC_MEAN,
    MC_LO,
    MC_HI,
    MC_P,
    MC_CEILING
};
const char *const study_metric_columns[STUDY_METRIC_NCOLS] = {[MC_MODEL] = "model",
                                                              [MC_METHOD] = "method",
                                                              [MC_METRIC] = "metric",
                                                              [MC_LABEL] = "label",
                                                              [MC_GROUP] = "group",
                                                              [MC_N] = "n",
                                                              [MC_N_CONSTANT] = "n_constant",
                                                              [MC_MEAN] = "mean",
                                                              [MC_LO] = "ci_lo",
                                                              [MC_HI] = "ci_hi",
                                                              [MC_P] = "p_perm",
                                                              [MC_CEILING] = "ceiling_fraction"};
const char *const study_ssim_columns[STUDY_SSIM_NCOLS] = {
    "model", "method", "label",  "group",           "n", "n_constant", "mean",
    "ci_lo", "ci_hi",  "p_perm", "ceiling_fraction"};
_Static_assert(MC_CEILING + 1 == STUDY_METRIC_NCOLS && STUDY_SSIM_NCOLS == STUDY_METRIC_NCOLS - 1,
               "metrics.csv columns; ssim.csv has all but metric");

// Position of metrics.csv column c in ssim.csv (which has no metric column).
static int ssim_col(int c) {
    return c > MC_METRIC ? c - 1 : c;
}

void study_metric_text(const study_metric_row *r, int with_metric, study_cell *cells) {
    study_cell all[STUDY_METRIC_NCOLS];
    tbl_cell_text(all[MC_MODEL], r->model);
    tbl_cell_text(all[MC_METHOD], study_source_name(r->source));
    tbl_cell_text(all[MC_METRIC], stats_metric_name(r->metric));
    tbl_cell_text(all[MC_LABEL], label_name(r->label));
    tbl_cell_text(all[MC_GROUP], study_group_name(r->group));
    tbl_cell_int(all[MC_N], r->n);
    tbl_cell_int(all[MC_N_CONSTANT], r->n_constant);
    // A group with maps has a mean (NaN when a map's value was); its CI only where the bootstrap
    // gave one.
    if (r->n)
        tbl_cell_num(all[MC_MEAN], "%.6f", r->mean);
    else
        all[MC_MEAN][0] = 0;
    const int has_ci = r->n && !isnan(r->ci_lo);
    tbl_cell_real(all[MC_LO], "%.6f", has_ci ? r->ci_lo : NAN);
    tbl_cell_real(all[MC_HI], "%.6f", has_ci ? r->ci_hi : NAN);
    tbl_cell_real(all[MC_P], "%.6g", r->p_perm);
    tbl_cell_real(all[MC_CEILING], "%.6f", r->ceiling_fraction);
    for (int c = 0; c < STUDY_METRIC_NCOLS; c++)
        if (with_metric || c != MC_METRIC)
            memcpy(cells[with_metric ? c : ssim_col(c)], all[c], sizeof all[c]);
}

static int metric_row_text(const void *rows, int64_t i, study_cell *cells) {
    study_metric_text((const study_metric_row *)rows + i, 1, cells);
    return 1;
}

static int ssim_row_text(const void *rows, int64_t i, study_cell *cells) {
    const study_metric_row *r = (const study_metric_row *)rows + i;
    if (r->metric == STATS_SSIM) study_metric_text(r, 0, cells);
    return r->metric == STATS_SSIM;
}

int study_metrics_write(const char *path, const study_metric_row *rows, int64_t n, cx_error *err) {
    return tbl_write_table(path, STUDY_METRIC_NCOLS, study_metric_columns, rows, n, metric_row_text,
                           err);
}

int study_ssim_write(const char *path, const study_metric_row *rows, int64_t n, cx_error *err) {
    return tbl_write_table(path, STUDY_SSIM_NCOLS, study_ssim_columns, rows, n, ssim_row_text, err);
}

static int parse_metric_row(const tbl_reader *rd, study_metric_row *x, int with_metric) {
#define COL(c) (with_metric ? (c) : ssim_col(c))
    x->metric = STATS_SSIM;
    if (with_metric) {
        int m = stats_metric_parse(tbl_cell_of(rd, MC_METRIC));
        if (m < 0)
            return tbl_bad_cell(
                rd, MC_METRIC,
                "a metric (ssim, cc, nss, kl, sim, auc_judd, emd, sauc, ig_centre, ig_mean_gaze)");
        x->metric = (stats_metric)m;
    }
    return tbl_get_group(rd, COL(MC_GROUP), &x->group) ||
           tbl_get_text(rd, COL(MC_MODEL), x->model, sizeof x->model) ||
           tbl_get_source(rd, COL(MC_METHOD), &x->source) ||
           tbl_get_label(rd, COL(MC_LABEL), &x->label) || tbl_get_int64(rd, COL(MC_N), &x->n) ||
           tbl_get_int64(rd, COL(MC_N_CONSTANT), &x->n_constant) ||
           tbl_get_real(rd, COL(MC_MEAN), &x->mean) || tbl_get_real(rd, COL(MC_LO), &x->ci_lo) ||
           tbl_get_real(rd, COL(MC_HI), &x->ci_hi) || tbl_get_real(rd, COL(MC_P), &x->p_perm) ||
           tbl_get_real(rd, COL(MC_CEILING), &x->ceiling_fraction);
#undef COL
}

static int parse_metrics_row(const tbl_reader *rd, void *row) {
    return parse_metric_row(rd, row, 1);
}
static int parse_ssim_row(const tbl_reader *rd, void *row) {
    return parse_metric_row(rd, row, 0);
}

int study_metrics_read(const char *path, study_metric_row **rows, int64_t *n, cx_error *err) {
    // ceiling_fraction is optional: files written before it read as NaN.
    return tbl_read_table_opt(path, STUDY_METRIC_NCOLS, 1, study_metric_columns, sizeof **rows,
                              parse_metrics_row, (void **)rows, n, err);
}

int study_ssim_read(const char *path, study_metric_row **rows, int64_t *n, cx_error *err) {
    return tbl_read_table_opt(path, STUDY_SSIM_NCOLS, 1, study_ssim_columns, sizeof **rows,
                              parse_ssim_row, (void **)rows, n, err);
}

// ---- regions.csv -------------------------------------------------------------------------------
enum { RC_MODEL, RC_METHOD, RC_LABEL, RC_REGION, RC_N, RC_N_CONSTANT, RC_COUNT, RC_FRACTION };
const char *const study_region_columns[STUDY_REGION_NCOLS] = {
    [RC_MODEL] = "model", [RC_METHOD] = "method",
    [RC_LABEL] = "label", [RC_REGION] = "region",
    [RC_N] = "n",         [RC_N_CONSTANT] = "n_constant",
    [RC_COUNT] = "count", [RC_FRACTION] = "fraction"};
_Static_assert(RC_FRACTION + 1 == STUDY_REGION_NCOLS, "regions.csv columns");

void study_region_text(const study_region_row *r, study_cell *cells) {
    tbl_cell_text(cells[RC_MODEL], r->model);
    tbl_cell_text(cells[RC_METHOD], study_source_name(r->source));
    tbl_cell_text(cells[RC_LABEL], label_name(r->label));
    tbl_cell_text(cells[RC_REGION], CX_REGIONS[r->region]);
    tbl_cell_int(cells[RC_N], r->n);
    tbl_cell_int(cells[RC_N_CONSTANT], r->n_constant);
    tbl_cell_int(cells[RC_COUNT], r->count);
    tbl_cell_num(cells[RC_FRACTION], "%.6f", r->fraction);
}

static int region_row_text(const void *rows, int64_t i, study_cell *cells) {
    study_region_text((const study_region_row *)rows + i, cells);
    return 1;
}

int study_regions_write(const char *path, const study_region_row *rows, int64_t n, cx_error *err) {
    return tbl_write_table(path, STUDY_REGION_NCOLS, study_region_columns, rows, n, region_row_text,
                           err);
}

static int parse_region_row(const tbl_reader *rd, void *row) {
    study_region_row *x = row;
    return tbl_get_text(rd, RC_MODEL, x->model, sizeof x->model) ||
           tbl_get_source(rd, RC_METHOD, &x->source) || tbl_get_label(rd, RC_LABEL, &x->label) ||
           tbl_get_region(rd, RC_REGION, &x->region) || tbl_get_int64(rd, RC_N, &x->n) ||
           tbl_get_int64(rd, RC_N_CONSTANT, &x->n_constant) ||
           tbl_get_int64(rd, RC_COUNT, &x->count) || tbl_get_real(rd, RC_FRACTION, &x->fraction);
}

int study_regions_read(const char *path, study_region_row **rows, int64_t *n, cx_error *err) {
    return tbl_read_table(path, STUDY_REGION_NCOLS, study_region_columns, sizeof **rows,
                          parse_region_row, (void **)rows, n, err);
}

// ---- region_distance.csv -----------------------------------------------------------------------
enum { DC_MODEL, DC_METHOD, DC_LABEL, DC_N, DC_TV, DC_AGREE, DC_KAPPA, DC_SM, DC_DOF, DC_P };
const char *const study_distance_columns[STUDY_DISTANCE_NCOLS] = {
    [DC_MODEL] = "model", [DC_METHOD] = "method",     [DC_LABEL] = "label",
    [DC_N] = "n",         [DC_TV] = "tv_distance",    [DC_AGREE] = "agreement",
    [DC_KAPPA] = "kappa", [DC_SM] = "stuart_maxwell", [DC_DOF] = "dof",
    [DC_P] = "p"};
_Static_assert(DC_P + 1 == STUDY_DISTANCE_NCOLS, "region_distance.csv columns");

void study_distance_text(const study_region_distance_row *r, study_cell *cells) {
    tbl_cell_text(cells[DC_MODEL], r->model);
    tbl_cell_text(cells[DC_METHOD], study_source_name(r->source));
    tbl_cell_text(cells[DC_LABEL], label_name(r->label));
    tbl_cell_int(cells[DC_N], r->n);
    tbl_cell_real(cells[DC_TV], "%.6f", r->tv_distance);
    tbl_cell_real(cells[DC_AGREE], "%.6f", r->agreement);
    tbl_cell_real(cells[DC_KAPPA], "%.6f", r->kappa);
    tbl_cell_real(cells[DC_SM], "%.6g", r->stuart_maxwell);
    if (isnan(r->stuart_maxwell))
        cells[DC_DOF][0] = 0; // no test: dof and p empty too
    else
        tbl_cell_int(cells[DC_DOF], r->dof);
    tbl_cell_real(cells[DC_P], "%.6g", isnan(r->stuart_maxwell) ? NAN : r->p);
}

static int distance_row_text(const void *rows, int64_t i, study_cell *cells) {
    study_distance_text((const study_region_distance_row *)rows + i, cells);
    return 1;
}

int study_region_distance_write(const char *path, const study_region_distance_row *rows, int64_t n,
                                cx_error *err) {
    return tbl_write_table(path, STUDY_DISTANCE_NCOLS, study_distance_columns, rows, n,
                           distance_row_text, err);
}

static int parse_distance_row(const tbl_reader *rd, void *row) {
    study_region_distance_row *x = row;
    int64_t dof = -1;
    int rc = tbl_get_text(rd, DC_MODEL, x->model, sizeof x->model) ||
             tbl_get_source(rd, DC_METHOD, &x->source) || tbl_get_label(rd, DC_LABEL, &x->label) ||
             tbl_get_int64(rd, DC_N, &x->n) || tbl_get_real(rd, DC_TV, &x->tv_distance) ||
             tbl_get_real(rd, DC_AGREE, &x->agreement) || tbl_get_real(rd, DC_KAPPA, &x->kappa) ||
             tbl_get_real(rd, DC_SM, &x->stuart_maxwell) || tbl_get_real(rd, DC_P, &x->p);
    if (!rc && !isnan(x->stuart_maxwell)) rc = tbl_get_int64(rd, DC_DOF, &dof);
    x->dof = (int)dof;
    return rc;
}

int study_region_distance_read(const char *path, study_region_distance_row **rows, int64_t *n,
                               cx_error *err) {
    return tbl_read_table(path, STUDY_DISTANCE_NCOLS, study_distance_columns, sizeof **rows,
                          parse_distance_row, (void **)rows, n, err);
}

// ---- sensitivity.csv ---------------------------------------------------------------------------
const stats_map_norm study_sensitivity_norms[STUDY_N_SENSITIVITY] = {
    {STATS_SIGN_ABS, STATS_SCALE_P98},
    {STATS_SIGN_ABS, STATS_SCALE_MINMAX},
    {STATS_SIGN_SIGNED, STATS_SCALE_MINMAX}};

enum { SC_MODEL, SC_METHOD, SC_LABEL, SC_SIGN, SC_SCALE, SC_N, SC_CORRECT, SC_INCORRECT, SC_DIFF };
const char *const study_sensitivity_columns[STUDY_SENSITIVITY_NCOLS] = {
    [SC_MODEL] = "model",
    [SC_METHOD] = "method",
    [SC_LABEL] = "label",
    [SC_SIGN] = "map_sign",
    [SC_SCALE] = "map_scale",
    [SC_N] = "n",
    [SC_CORRECT] = "mean_correct",
    [SC_INCORRECT] = "mean_incorrect",
    [SC_DIFF] = "diff"};
_Static_assert(SC_DIFF + 1 == STUDY_SENSITIVITY_NCOLS, "sensitivity.csv columns");

void study_sensitivity_text(const study_sensitivity_row *r, study_cell *cells) {
    tbl_cell_text(cells[SC_MODEL], r->model);
    tbl_cell_text(cells[SC_METHOD], study_source_name(r->source));
    tbl_cell_text(cells[SC_LABEL], label_name(r->label));
    tbl_cell_text(cells[SC_SIGN], stats_map_sign_name(r->norm.sign));
    tbl_cell_text(cells[SC_SCALE], stats_map_scale_name(r->norm.scale));
    tbl_cell_int(cells[SC_N], r->n);
    tbl_cell_real(cells[SC_CORRECT], "%.6f", r->mean_correct);
    tbl_cell_real(cells[SC_INCORRECT], "%.6f", r->mean_incorrect);
    tbl_cell_real(cells[SC_DIFF], "%.6f", r->diff);
}

static int sensitivity_row_text(const void *rows, int64_t i, study_cell *cells) {
    study_sensitivity_text((const study_sensitivity_row *)rows + i, cells);
    return 1;
}

int study_sensitivity_write(const char *path, const study_sensitivity_row *rows, int64_t n,
                            cx_error *err) {
    return tbl_write_table(path, STUDY_SENSITIVITY_NCOLS, study_sensitivity_columns, rows, n,
                           sensitivity_row_text, err);
}

static int get_norm(const tbl_reader *rd, int sign_col, int scale_col, stats_map_norm *v) {
    int sign = stats_map_sign_parse(tbl_cell_of(rd, sign_col));
    if (sign < 0) return tbl_bad_cell(rd, sign_col, "abs, positive or signed");
    int scale = stats_map_scale_parse(tbl_cell_of(rd, scale_col));
    if (scale < 0) return tbl_bad_cell(rd, scale_col, "p98 or minmax");
    *v = (stats_map_norm){(stats_map_sign)sign, (stats_map_scale)scale};
    return 0;
}

static int parse_sensitivity_row(const tbl_reader *rd, void *row) {
    study_sensitivity_row *x = row;
    return tbl_get_text(rd, SC_MODEL, x->model, sizeof x->model) ||
           tbl_get_source(rd, SC_METHOD, &x->source) || tbl_get_label(rd, SC_LABEL, &x->label) ||
           get_norm(rd, SC_SIGN, SC_SCALE, &x->norm) || tbl_get_int64(rd, SC_N, &x->n) ||
           tbl_get_real(rd, SC_CORRECT, &x->mean_correct) ||
           tbl_get_real(rd, SC_INCORRECT, &x->mean_incorrect) ||
           tbl_get_real(rd, SC_DIFF, &x->diff);
}

int study_sensitivity_read(const char *path, study_sensitivity_row **rows, int64_t *n,
                           cx_error *err) {
    return tbl_read_table(path, STUDY_SENSITIVITY_NCOLS, study_sensitivity_columns, sizeof **rows,
                          parse_sensitivity_row, (void **)rows, n, err);
}

// ---- truth.csv ---------------------------------------------------------------------------------
enum { TC_MODEL, TC_METHOD, TC_LABEL, TC_N, TC_MASS, TC_AREA, TC_RATIO };
const char *const study_truth_columns[STUDY_TRUTH_NCOLS] = {
    [TC_MODEL] = "model",     [TC_METHOD] = "method",   [TC_LABEL] = "label", [TC_N] = "n",
    [TC_MASS] = "mass_share", [TC_AREA] = "area_share", [TC_RATIO] = "ratio"};
_Static_assert(TC_RATIO + 1 == STUDY_TRUTH_NCOLS, "truth.csv columns");

void study_truth_text(const study_truth_row *r, study_cell *cells) {
    tbl_cell_text(cells[TC_MODEL], r->model);
    tbl_cell_text(cells[TC_METHOD], study_source_name(r->source));
    tbl_cell_text(cells[TC_LABEL], label_name(r->label));
    tbl_cell_int(cells[TC_N], r->n);
    tbl_cell_num(cells[TC_MASS], "%.6f", r->mass_share);
    tbl_cell_num(cells[TC_AREA], "%.6f", r->area_share);
    tbl_cell_num(cells[TC_RATIO], "%.4f", r->ratio);
}

static int truth_row_text(const void *rows, int64_t i, study_cell *cells) {
    study_truth_text((const study_truth_row *)rows + i, cells);
    return 1;
}

int study_truth_write(const char *path, const study_truth_row *rows, int64_t n, cx_error *err) {
    return tbl_write_table(path, STUDY_TRUTH_NCOLS, study_truth_columns, rows, n, truth_row_text,
                           err);
}

static int parse_truth_row(const tbl_reader *rd, void *row) {
    study_truth_row *x = row;
    return tbl_get_text(rd, TC_MODEL, x->model, sizeof x->model) ||
           tbl_get_source(rd, TC_METHOD, &x->source) || tbl_get_label(rd, TC_LABEL, &x->label) ||
           tbl_get_int64(rd, TC_N, &x->n) || tbl_get_real(rd, TC_MASS, &x->mass_share) ||
           tbl_get_real(rd, TC_AREA, &x->area_share) || tbl_get_real(rd, TC_RATIO, &x->ratio);
}

int study_truth_read(const char *path, study_truth_row **rows, int64_t *n, cx_error *err) {
    return tbl_read_table(path, STUDY_TRUTH_NCOLS, study_truth_columns, sizeof **rows,
                          parse_truth_row, (void **)rows, n, err);
}

// ---- gc_lc.csv ---------------------------------------------------------------------------------
enum { GC_MODEL, GC_N, GC_MEAN_CC, GC_MIN_CC, GC_MEAN_SSIM, GC_N_CONSTANT };
const char *const study_gc_lc_columns[STUDY_GC_LC_NCOLS] = {
    [GC_MODEL] = "model",         [GC_N] = "n",
    [GC_MEAN_CC] = "mean_cc",     [GC_MIN_CC] = "min_cc",
    [GC_MEAN_SSIM] = "mean_ssim", [GC_N_CONSTANT] = "n_constant"};
_Static_assert(GC_N_CONSTANT + 1 == STUDY_GC_LC_NCOLS, "gc_lc.csv columns");

void study_gc_lc_text(const study_gc_lc_row *r, study_cell *cells) {
    tbl_cell_text(cells[GC_MODEL], r->model);
    tbl_cell_int(cells[GC_N], r->n);
    // No pairs: empty cells; with pairs, the means as computed.
    tbl_cell_num(cells[GC_MEAN_CC], "%.6f", r->mean_cc);
    tbl_cell_num(cells[GC_MIN_CC], "%.6f", r->min_cc);
    tbl_cell_num(cells[GC_MEAN_SSIM], "%.6f", r->mean_ssim);
    if (!r->n) cells[GC_MEAN_CC][0] = cells[GC_MIN_CC][0] = cells[GC_MEAN_SSIM][0] = 0;
    tbl_cell_int(cells[GC_N_CONSTANT], r->n_constant);
}

static int gc_lc_row_text(const void *rows, int64_t i, study_cell *cells) {
    study_gc_lc_text((const study_gc_lc_row *)rows + i, cells);
    return 1;
}

int study_gc_lc_write(const char *path, const study_gc_lc_row *rows, int64_t n, cx_error *err) {
    return tbl_write_table(path, STUDY_GC_LC_NCOLS, study_gc_lc_columns, rows, n, gc_lc_row_text,
                           err);
}

static int parse_gc_lc_row(const tbl_reader *rd, void *row) {
    study_gc_lc_row *x = row;
    return tbl_get_text(rd, GC_MODEL, x->model, sizeof x->model) ||
           tbl_get_int64(rd, GC_N, &x->n) || tbl_get_real(rd, GC_MEAN_CC, &x->mean_cc) ||
           tbl_get_real(rd, GC_MIN_CC, &x->min_cc) ||
           tbl_get_real(rd, GC_MEAN_SSIM, &x->mean_ssim) ||
           tbl_get_int64(rd, GC_N_CONSTANT, &x->n_constant);
}

int study_gc_lc_read(const char *path, study_gc_lc_row **rows, int64_t *n, cx_error *err) {
    return tbl_read_table(path, STUDY_GC_LC_NCOLS, study_gc_lc_columns, sizeof **rows,
                          parse_gc_lc_row, (void **)rows, n, err);
}

// ---- interobserver.csv -------------------------------------------------------------------------
static const char *const ceiling_names[STUDY_N_CEILINGS] = {
    [STUDY_CEILING_READERS] = "readers", [STUDY_CEILING_EGD_VS_REFLACX] = "egd_vs_reflacx"};
_Static_assert(sizeof ceiling_names / sizeof ceiling_names[0] == STUDY_N_CEILINGS, "ceiling names");

const char *study_ceiling_name(study_ceiling c) {
    return (unsigned)c < STUDY_N_CEILINGS ? ceiling_names[c] : "?";
}

enum { IO_METRIC, IO_N_IMAGES, IO_N_PAIRS, IO_MEAN, IO_LO, IO_HI, IO_COMPARISON };
const char *const study_interobserver_columns[STUDY_INTEROBSERVER_NCOLS] = {
    [IO_METRIC] = "metric",
    [IO_N_IMAGES] = "n_images",
    [IO_N_PAIRS] = "n_pairs",
    [IO_MEAN] = "mean",
    [IO_LO] = "ci_lo",
    [IO_HI] = "ci_hi",
    [IO_COMPARISON] = "comparison"};
_Static_assert(IO_COMPARISON + 1 == STUDY_INTEROBSERVER_NCOLS, "interobserver.csv columns");

void study_interobserver_text(const study_interobserver_row *r, study_cell *cells) {
    tbl_cell_text(cells[IO_METRIC], stats_metric_name(r->metric));
    tbl_cell_int(cells[IO_N_IMAGES], r->n_images);
    tbl_cell_int(cells[IO_N_PAIRS], r->n_pairs);
    tbl_cell_real(cells[IO_MEAN], "%.6f", r->mean);
    tbl_cell_real(cells[IO_LO], "%.6f", r->ci_lo);
    tbl_cell_real(cells[IO_HI], "%.6f", r->ci_hi);
    tbl_cell_text(cells[IO_COMPARISON], study_ceiling_name(r->comparison));
}

static int interobserver_row_text(const void *rows, int64_t i, study_cell *cells) {
    study_interobserver_text((const study_interobserver_row *)rows + i, cells);
    return 1;
}

int study_interobserver_write(const char *path, const study_interobserver_row *rows, int64_t n,
                              cx_error *err) {
    return tbl_write_table(path, STUDY_INTEROBSERVER_NCOLS, study_interobserver_columns, rows, n,
                           interobserver_row_text, err);
}

static int parse_interobserver_row(const tbl_reader *rd, void *row) {
    study_interobserver_row *x = row;
    int m = stats_metric_parse(tbl_cell_of(rd, IO_METRIC));
    if (m < 0) return tbl_bad_cell(rd, IO_METRIC, "a metric (ssim, cc, nss, ...)");
    x->metric = (stats_metric)m;
    int c = 0;
    while (c < STUDY_N_CEILINGS && strcmp(tbl_cell_of(rd, IO_COMPARISON), ceiling_names[c]))
        c++;
    if (c == STUDY_N_CEILINGS) return tbl_bad_cell(rd, IO_COMPARISON, "readers or egd_vs_reflacx");
    x->comparison = (study_ceiling)c;
    return tbl_get_int64(rd, IO_N_IMAGES, &x->n_images) ||
           tbl_get_int64(rd, IO_N_PAIRS, &x->n_pairs) || tbl_get_real(rd, IO_MEAN, &x->mean) ||
           tbl_get_real(rd, IO_LO, &x->ci_lo) || tbl_get_real(rd, IO_HI, &x->ci_hi);
}

int study_interobserver_read(const char *path, study_interobserver_row **rows, int64_t *n,
                             cx_error *err) {
    return tbl_read_table(path, STUDY_INTEROBSERVER_NCOLS, study_interobserver_columns,
                          sizeof **rows, parse_interobserver_row, (void **)rows, n, err);
}
