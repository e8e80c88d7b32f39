// study: map metrics for maps made anywhere (`cxrgaze metrics`): map i of one safetensors file
// against map i of another (+ fixations), one row of m.csv per pair, and m.csv's writer and reader.
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "study/study.h"

void study_map_metrics_settings_default(study_map_metrics_settings *s) {
    *s = (study_map_metrics_settings){.emd_size = 32, .progress = 1}; // norm {0}: abs, p98
}

// Column order of m.csv (stats_metric's names, in the command's historical order): the pair
// metrics, then (after the localisation columns) the fixation metrics beyond the pair, sAUC and
// the information gain over the centre-bias map (compare's ig_mean_gaze needs training gaze: not
// here).
static const stats_metric column_order[] = {STATS_SSIM, STATS_CC,       STATS_KL,  STATS_SIM,
                                            STATS_EMD,  STATS_NSS,      STATS_AUC_JUDD,
                                            STATS_SAUC, STATS_IG_CENTRE};
#define N_METRICS ((int)(sizeof column_order / sizeof column_order[0]))
#define N_PAIR_COLUMNS 7 // column_order[0..7): before map_constant
_Static_assert(N_PAIR_COLUMNS == STATS_N_PAIR_METRICS && N_METRICS == STATS_N_METRICS - 1,
               "every metric but ig_mean_gaze has a column");
// The metrics that need fixations, and those computed beyond stats_map_metrics_ex.
#define NEED_FIXATIONS (STATS_M_NSS | STATS_M_AUC_JUDD | STATS_M_SAUC | STATS_M_IG_CENTRE)
#define BEYOND_PAIR (STATS_M_SAUC | STATS_M_IG_CENTRE)

int study_map_metrics_parse(const char *list, unsigned *which, cx_error *err) {
    *which = 0;
    char *copy = cx_strdup(list), *tok, *save = NULL;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int m = stats_metric_parse(tok);
        if (m < 0 || m == STATS_IG_MEAN_GAZE) break;
        *which |= stats_metric_bit((stats_metric)m);
    }
    if (tok || !*which) {
        char known[128]; // "ssim, cc, kl, sim, emd, nss, auc_judd, sauc, ig_centre"
        size_t len = 0;
        for (int k = 0; k < N_METRICS; k++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", k ? ", " : "",
                                    stats_metric_name(column_order[k]));
        cx_fail(err, "unknown metric '%s' (known: %s)", tok ? tok : "", known);
        *which = 0;
    }
    free(copy);
    return *which ? 0 : -1;
}

// What a tensor holds: maps (a float), fixations (U8, BOOL or a float), annotation masks (any
// integer, BOOL or float).
enum { PICK_MAPS = 0, PICK_FIXATIONS, PICK_MASKS };

// The tensor named `name` (or the file's first) as a [n,h,w] map stack; 2-D tensors are n = 1.
static int pick_maps(const st_file *f, const char *name, int fixations, const st_tensor **out,
                     int64_t dims[3], cx_error *err) {
    const st_tensor *t;
    if (name) {
        if (!(t = st_find(f, name)))
            return cx_fail(err, "%s: missing tensor \"%s\"", f->path, name);
    } else {
        if (f->n == 0) return cx_fail(err, "%s: the file holds no tensor", f->path);
        t = &f->t[0];
    }
    int floating =
        t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16 || t->dtype == ST_F64;
    if (!floating && !(fixations == PICK_FIXATIONS && (t->dtype == ST_U8 || t->dtype == ST_BOOL)) &&
        fixations != PICK_MASKS)
        return cx_fail(err, "%s: tensor \"%s\" has dtype %s, expected %s", f->path, t->name,
                       st_dtype_name(t->dtype), fixations ? "U8, BOOL or a float" : "a float");
    if (t->ndim == 3) {
        dims[0] = t->shape[0], dims[1] = t->shape[1], dims[2] = t->shape[2];
    } else if (t->ndim == 2) {
        dims[0] = 1, dims[1] = t->shape[0], dims[2] = t->shape[1];
    } else {
        return cx_fail(err, "%s: tensor \"%s\" has %d dimensions, expected [N,H,W] or [H,W]",
                       f->path, t->name, t->ndim);
    }
    if (dims[1] < 1 || dims[2] < 1 || dims[1] > 65536 || dims[2] > 65536)
        return cx_fail(err, "%s: tensor \"%s\" has an unusable map size %lldx%lld", f->path,
                       t->name, (long long)dims[1], (long long)dims[2]);
    *out = t;
    return 0;
}

// fp32 view of a floating tensor: the mapping itself for F32, else a converted copy (*owned).
static int as_f32(const st_file *f, const st_tensor *t, const float **data, float **owned,
                  cx_error *err) {
    *owned = NULL;
    if (t->dtype == ST_F32 && ((uintptr_t)t->data % sizeof(float)) == 0) {
        *data = t->data;
        return 0;
    }
    *owned = cx_malloc(t->numel ? t->numel * sizeof(float) : 1);
    if (st_read_f32(f, t, *owned, err)) return -1;
    *data = *owned;
    return 0;
}

// Fixations [n*npix] as 0/1 bytes (nonzero = fixated) from a U8, BOOL or floating tensor.
static uint8_t *fixation_bits(const st_file *f, const st_tensor *t, size_t count, cx_error *err) {
    uint8_t *bits = cx_malloc(count + 1);
    if (t->dtype == ST_U8 || t->dtype == ST_BOOL) {
        const uint8_t *src = t->data;
        for (size_t i = 0; i < count; i++)
            bits[i] = src[i] != 0;
        return bits;
    }
    float *tmp = cx_malloc(t->numel ? t->numel * sizeof(float) : 1);
    if (st_read_f32(f, t, tmp, err)) {
        free(tmp), free(bits);
        return NULL;
    }
    for (size_t i = 0; i < count; i++)
        bits[i] = tmp[i] != 0;
    free(tmp);
    return bits;
}

// Annotation masks [n*npix] as 0/1 bytes (nonzero = inside): an integer or BOOL element is
// nonzero when any of its bytes is; a float one through st_read_f32.
static uint8_t *mask_bits(const st_file *f, const st_tensor *t, size_t count, cx_error *err) {
    if (t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16 || t->dtype == ST_F64)
        return fixation_bits(f, t, count, err);
    uint8_t *bits = cx_malloc(count + 1);
    const uint8_t *src = t->data;
    size_t size = st_dtype_size(t->dtype);
    for (size_t i = 0; i < count; i++) {
        uint8_t any = 0;
        for (size_t b = 0; b < size; b++) any |= src[i * size + b];
        bits[i] = any != 0;
    }
    return bits;
}

static int dims_mismatch(const st_file *f, const st_tensor *t, const int64_t d[3],
                         const st_file *fa, const st_tensor *ta, const int64_t da[3], int fixations,
                         cx_error *err) {
    if (fixations)
        return cx_fail(err,
                       "%s: tensor \"%s\" is [%lld,%lld,%lld], expected [%lld,%lld,%lld] as "
                       "the maps in %s",
                       f->path, t->name, (long long)d[0], (long long)d[1], (long long)d[2],
                       (long long)da[0], (long long)da[1], (long long)da[2], fa->path);
    return cx_fail(err,
                   "%s: tensor \"%s\" is [%lld,%lld,%lld] but %s: tensor \"%s\" is "
                   "[%lld,%lld,%lld]; the maps must pair up one to one",
                   f->path, t->name, (long long)d[0], (long long)d[1], (long long)d[2], fa->path,
                   ta->name, (long long)da[0], (long long)da[1], (long long)da[2]);
}

// Every pair's metrics into r->rows (the parallel loop: one scratch buffer per thread).
// Localisation of A's map i against annotation mask i (stats_localise, Otsu): m is A's map
// normalised by norm into the scratch m [npix], m8 npix bytes.
static void localise_pair(const float *a, const uint8_t *mask, size_t npix, stats_map_norm norm,
                          float *m, uint8_t *m8, stats_localisation *out) {
    memcpy(m, a, npix * sizeof *m);
    if (stats_map_normalise(m, npix, norm, NULL)) {
        *out = (stats_localisation){.iou = NAN, .hit = NAN, .mass_share = NAN, .threshold = -1};
        return;
    }
    stats_localise(m, stats_map_peak(a, npix, norm.sign), mask, npix, -1, m8, out);
}

// What sAUC and the information gain need beyond the pair (METHODS.md §4): per pixel, how many of
// the n fixation maps fixated it (the shuffled negatives of pair i: these less pair i's own), and
// the centre-bias map min-max normalised (compare's baseline).
typedef struct beyond_pair {
    uint32_t *count;
    float *centre_bias;
} beyond_pair;

// sAUC and IG of pair i: A's map normalised by s->norm into m [npix], other [npix] scratch.
static void fixation_metrics(const study_map_metrics_settings *s, const beyond_pair *b,
                             const float *a, const uint8_t *fix, size_t npix, unsigned which,
                             float *m, uint32_t *other, stats_map_metrics *out) {
    memcpy(m, a, npix * sizeof *m);
    if (stats_map_normalise(m, npix, s->norm, NULL)) return; // constant: NaN
    if (which & STATS_M_SAUC) {
        for (size_t q = 0; q < npix; q++) other[q] = b->count[q] - (fix[q] != 0);
        out->sauc = stats_sauc(m, fix, other, npix);
    }
    if (which & STATS_M_IG_CENTRE) out->ig_centre = stats_info_gain(m, b->centre_bias, fix, npix);
}

static void measure(const study_map_metrics_settings *s, const float *ma, const float *mb,
                    const uint8_t *fixbits, const uint8_t *maskbits, study_map_metrics_result *r) {
    const int64_t n = r->n;
    const size_t npix = (size_t)r->h * (size_t)r->w;
    beyond_pair b = {0};
    if (r->which & BEYOND_PAIR) {
        b.count = cx_malloc(npix * sizeof *b.count);
        stats_fixation_counts(fixbits, (size_t)n, npix, b.count);
        b.centre_bias = cx_malloc(npix * sizeof *b.centre_bias);
        stats_center_bias_map(b.centre_bias, r->h, r->w);
        stats_minmax_normalise(b.centre_bias, npix);
    }
    cx_progress prog;
    if (s->progress) cx_progress_start(&prog, "metrics", "pairs", n);
    int64_t done = 0;
#pragma omp parallel
    {
        float *work = cx_malloc(4 * npix * sizeof *work); // this thread's normalised copies
        uint8_t *m8 = maskbits ? cx_malloc(npix) : NULL;
        uint32_t *other = b.count ? cx_malloc(npix * sizeof *other) : NULL;
#pragma omp for schedule(dynamic, 1)
        for (int64_t i = 0; i < n; i++) {
            stats_map_metrics_ex(ma + (size_t)i * npix, mb + (size_t)i * npix,
                                 fixbits ? fixbits + (size_t)i * npix : NULL, r->h, r->w, r->which,
                                 s->emd_size, s->norm, work, &r->rows[i]);
            if (b.count)
                fixation_metrics(s, &b, ma + (size_t)i * npix, fixbits + (size_t)i * npix, npix,
                                 r->which, work + 3 * npix, other, &r->rows[i]);
            if (maskbits)
                localise_pair(ma + (size_t)i * npix, maskbits + (size_t)i * npix, npix, s->norm,
                              work + 2 * npix, m8, &r->loc[i]);
            int64_t d;
#pragma omp atomic capture
            d = ++done;
            if (s->progress && omp_get_thread_num() == 0) cx_progress_update(&prog, d, NULL);
        }
        free(work);
        free(m8);
        free(other);
    }
    free(b.count);
    free(b.centre_bias);
    if (s->progress) {
        cx_progress_update(&prog, n, NULL);
        cx_progress_finish(&prog);
    }
    r->first_constant = -1;
    for (int64_t i = 0; i < n; i++) {
        r->n_map_constant += r->rows[i].map_constant, r->n_ref_constant += r->rows[i].ref_constant;
        if (r->first_constant < 0 && (r->rows[i].map_constant || r->rows[i].ref_constant))
            r->first_constant = i;
    }
}

int study_map_metrics(const study_map_metrics_settings *s, study_map_metrics_result *r,
                      cx_error *err) {
    *r = (study_map_metrics_result){.first_constant = -1};
    st_file fa = {0}, fb = {0}, ff = {0}, fm = {0};
    int rc = -1;
    float *own_a = NULL, *own_b = NULL;
    uint8_t *fixbits = NULL, *maskbits = NULL;
    const st_tensor *ta, *tb, *tf = NULL, *tm = NULL;
    int64_t da[3], db[3], df[3], dm[3];
    if (st_open(&fa, s->maps, err)) return -1;
    if (st_open(&fb, s->reference, err) || (s->fixations && st_open(&ff, s->fixations, err)) ||
        (s->masks && st_open(&fm, s->masks, err)))
        goto out;
    if (pick_maps(&fa, s->maps_tensor, 0, &ta, da, err) ||
        pick_maps(&fb, s->reference_tensor, 0, &tb, db, err))
        goto out;
    if (memcmp(da, db, sizeof da)) {
        dims_mismatch(&fb, tb, db, &fa, ta, da, 0, err);
        goto out;
    }
    if (s->fixations) {
        if (pick_maps(&ff, s->fixations_tensor, 1, &tf, df, err)) goto out;
        if (memcmp(da, df, sizeof da)) {
            dims_mismatch(&ff, tf, df, &fa, ta, da, 1, err);
            goto out;
        }
    }
    if (s->masks) {
        if (pick_maps(&fm, s->masks_tensor, PICK_MASKS, &tm, dm, err)) goto out;
        if (memcmp(da, dm, sizeof da)) {
            dims_mismatch(&fm, tm, dm, &fa, ta, da, 1, err);
            goto out;
        }
    }
    r->n = da[0], r->h = (int)da[1], r->w = (int)da[2];
    r->which = s->which       ? s->which
               : s->fixations ? STATS_M_ALL | BEYOND_PAIR
                              : STATS_M_ALL & ~(unsigned)NEED_FIXATIONS;
    if ((r->which & NEED_FIXATIONS) && !s->fixations) {
        cx_fail(err, "nss, auc_judd, sauc and ig_centre need fixations");
        goto out;
    }
    if (r->h < 7 || r->w < 7)
        cx_warn("metrics: maps are %dx%d, smaller than the 7x7 SSIM window: ssim is nan", r->h,
                r->w);
    const float *ma, *mb;
    if (as_f32(&fa, ta, &ma, &own_a, err) || as_f32(&fb, tb, &mb, &own_b, err)) goto out;
    if (s->fixations &&
        !(fixbits = fixation_bits(&ff, tf, (size_t)r->n * (size_t)r->h * (size_t)r->w, err)))
        goto out;
    if (s->masks) {
        if (!(maskbits = mask_bits(&fm, tm, (size_t)r->n * (size_t)r->h * (size_t)r->w, err)))
            goto out;
        r->loc = cx_malloc((r->n ? (size_t)r->n : 1) * sizeof *r->loc);
    }
    r->rows = cx_malloc((r->n ? (size_t)r->n : 1) * sizeof *r->rows);
    measure(s, ma, mb, fixbits, maskbits, r);
    if (r->n_map_constant || r->n_ref_constant)
        cx_warn("metrics: %lld constant map(s) in %s (map-sign %s, map-scale %s) and %lld in %s "
                "(first at index %lld) became all zeros; see the map_constant/ref_constant columns",
                (long long)r->n_map_constant, fa.path, stats_map_sign_name(s->norm.sign),
                stats_map_scale_name(s->norm.scale), (long long)r->n_ref_constant, fb.path,
                (long long)r->first_constant);
    rc = s->out ? study_map_metrics_write_loc(s->out, r->rows, r->loc, r->n, r->which, err) : 0;
out:
    free(own_a), free(own_b), free(fixbits), free(maskbits);
    if (rc) study_map_metrics_result_free(r);
    if (fa.map) st_close(&fa);
    if (fb.map) st_close(&fb);
    if (ff.map) st_close(&ff);
    if (fm.map) st_close(&fm);
    return rc;
}

void study_map_metrics_result_free(study_map_metrics_result *r) {
    free(r->rows);
    free(r->loc);
    r->rows = NULL;
    r->loc = NULL;
    r->n = 0;
}

// ---- m.csv -------------------------------------------------------------------------------------
// The localisation columns of m.csv (with --masks), after ref_constant.
static const char *const loc_columns[3] = {"iou", "hit", "mass_share"};

static void field_nan(csv_writer *w, const char *fmt, double v) {
    if (isnan(v)) csv_writer_field(w, "nan");
    else csv_writer_fieldf(w, fmt, v);
}

int study_map_metrics_write(const char *path, const stats_map_metrics *rows, int64_t n,
                            unsigned which, cx_error *err) {
    return study_map_metrics_write_loc(path, rows, NULL, n, which, err);
}

int study_map_metrics_write_loc(const char *path, const stats_map_metrics *rows,
                                const stats_localisation *loc, int64_t n, unsigned which,
                                cx_error *err) {
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    csv_writer_field(w, "index");
    for (int k = 0; k < N_PAIR_COLUMNS; k++)
        if (which & stats_metric_bit(column_order[k]))
            csv_writer_field(w, stats_metric_name(column_order[k]));
    csv_writer_field(w, "map_constant");
    csv_writer_field(w, "ref_constant");
    for (int k = 0; loc && k < 3; k++) csv_writer_field(w, loc_columns[k]);
    for (int k = N_PAIR_COLUMNS; k < N_METRICS; k++) // appended: the older columns keep their places
        if (which & stats_metric_bit(column_order[k]))
            csv_writer_field(w, stats_metric_name(column_order[k]));
    csv_writer_end_row(w);
    for (int64_t i = 0; i < n; i++) {
        csv_writer_fieldf(w, "%lld", (long long)i);
        for (int k = 0; k < N_PAIR_COLUMNS; k++)
            if (which & stats_metric_bit(column_order[k]))
                field_nan(w, "%.9g", stats_map_metric_value(&rows[i], column_order[k]));
        csv_writer_fieldf(w, "%d", rows[i].map_constant);
        csv_writer_fieldf(w, "%d", rows[i].ref_constant);
        if (loc) {
            field_nan(w, "%.9g", loc[i].iou);
            field_nan(w, "%.0f", loc[i].hit);
            field_nan(w, "%.9g", loc[i].mass_share);
        }
        for (int k = N_PAIR_COLUMNS; k < N_METRICS; k++)
            if (which & stats_metric_bit(column_order[k]))
                field_nan(w, "%.9g", stats_map_metric_value(&rows[i], column_order[k]));
        csv_writer_end_row(w);
    }
    return csv_writer_commit(w, err);
}

static double *metric_field(stats_map_metrics *m, stats_metric k) {
    switch (k) {
    case STATS_SSIM:
        return &m->ssim;
    case STATS_CC:
        return &m->cc;
    case STATS_KL:
        return &m->kl;
    case STATS_SIM:
        return &m->sim;
    case STATS_EMD:
        return &m->emd;
    case STATS_NSS:
        return &m->nss;
    case STATS_SAUC:
        return &m->sauc;
    case STATS_IG_CENTRE:
        return &m->ig_centre;
    default:
        return &m->auc_judd;
    }
}

// One row of m.csv; cols[0] index, cols[1..N_METRICS] the metrics (-1: absent), then the flags.
static int read_row(const csv_table *t, int64_t i, const int cols[], stats_map_metrics *m,
                    cx_error *err) {
    const char *s;
    int64_t v;
    m->ig_mean_gaze = NAN; // compare's only
    s = csv_get(t, i, cols[0]);
    if (csv_parse_int64(s, &v) != CSV_NUM_OK || v != i) goto bad_index;
    for (int k = 0; k < N_METRICS; k++) {
        double *x = metric_field(m, column_order[k]);
        *x = NAN;
        if (cols[1 + k] < 0) continue;
        s = csv_get(t, i, cols[1 + k]);
        if (strcmp(s, "nan") && strcmp(s, "-nan") && csv_parse_double(s, x) != CSV_NUM_OK)
            return cx_fail(err, "%s:%lld: column \"%s\": expected a number or nan, got \"%s\"",
                           csv_path(t), (long long)csv_row_line(t, i),
                           stats_metric_name(column_order[k]), s);
    }
    int *flag[2] = {&m->map_constant, &m->ref_constant};
    for (int j = 0; j < 2; j++) {
        s = csv_get(t, i, cols[1 + N_METRICS + j]);
        if (csv_parse_int64(s, &v) != CSV_NUM_OK || (v != 0 && v != 1))
            return cx_fail(err, "%s:%lld: column \"%s\": expected 0 or 1, got \"%s\"", csv_path(t),
                           (long long)csv_row_line(t, i), csv_colname(t, cols[1 + N_METRICS + j]),
                           s);
        *flag[j] = (int)v;
    }
    return 0;
bad_index:
    return cx_fail(err, "%s:%lld: column \"index\": expected %lld, got \"%s\"", csv_path(t),
                   (long long)csv_row_line(t, i), (long long)i, s);
}

// The localisation columns of row i (cols[3]) into *l: a number or nan; hit 0, 1 or nan.
static int read_loc(const csv_table *t, int64_t i, const int cols[3], stats_localisation *l,
                    cx_error *err) {
    double *v[3] = {&l->iou, &l->hit, &l->mass_share};
    *l = (stats_localisation){.threshold = -1};
    for (int k = 0; k < 3; k++) {
        const char *s = csv_get(t, i, cols[k]);
        *v[k] = NAN;
        if ((strcmp(s, "nan") && strcmp(s, "-nan") && csv_parse_double(s, v[k]) != CSV_NUM_OK) ||
            (k == 1 && !isnan(l->hit) && l->hit != 0 && l->hit != 1))
            return cx_fail(err, "%s:%lld: column \"%s\": expected %s, got \"%s\"", csv_path(t),
                           (long long)csv_row_line(t, i), loc_columns[k],
                           k == 1 ? "0, 1 or nan" : "a number or nan", s);
    }
    return 0;
}

int study_map_metrics_read(const char *path, stats_map_metrics **rows, int64_t *n, unsigned *which,
                           cx_error *err) {
    return study_map_metrics_read_loc(path, rows, NULL, n, which, err);
}

int study_map_metrics_read_loc(const char *path, stats_map_metrics **rows,
                               stats_localisation **loc, int64_t *n, unsigned *which,
                               cx_error *err) {
    *rows = NULL, *n = 0, *which = 0;
    if (loc) *loc = NULL;
    csv_table *t = csv_table_read(path, err);
    if (!t) return -1;
    static const char *const fixed[3] = {"index", "map_constant", "ref_constant"};
    int idx[3], cols[1 + N_METRICS + 2], lcols[3], n_loc = 0;
    if (csv_require_cols(t, fixed, 3, idx, err)) {
        csv_table_free(t);
        return -1;
    }
    cols[0] = idx[0], cols[1 + N_METRICS] = idx[1], cols[2 + N_METRICS] = idx[2];
    for (int k = 0; k < N_METRICS; k++) {
        cols[1 + k] = csv_col(t, stats_metric_name(column_order[k]));
        if (cols[1 + k] >= 0) *which |= stats_metric_bit(column_order[k]);
    }
    for (int k = 0; k < 3; k++) n_loc += (lcols[k] = csv_col(t, loc_columns[k])) >= 0;
    if (n_loc && n_loc < 3 && loc) {
        csv_table_free(t);
        *which = 0;
        return cx_fail(err, "%s: the localisation columns come together: iou, hit, mass_share",
                       path);
    }
    int64_t nr = csv_nrows(t);
    stats_map_metrics *r = cx_malloc((nr ? (size_t)nr : 1) * sizeof *r);
    stats_localisation *l = loc && n_loc ? cx_malloc((nr ? (size_t)nr : 1) * sizeof *l) : NULL;
    for (int64_t i = 0; i < nr; i++) {
        if (read_row(t, i, cols, &r[i], err) || (l && read_loc(t, i, lcols, &l[i], err))) {
            free(r);
            free(l);
            csv_table_free(t);
            *which = 0;
            return -1;
        }
    }
    csv_table_free(t);
    *rows = r, *n = nr;
    if (loc) *loc = l;
    return 0;
}
