// api/api_stats.c: statistics on caller arrays: the map metrics of `cxrgaze metrics`, region shares
// and the most salient region, AUROC with DeLong and patient-bootstrap CIs, the DeLong test.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

const char *const API_AUROC_FIELDS[API_N_AUROC] = {
    "auroc", "delong_var", "delong_lo", "delong_hi", "boot_lo",
    "boot_hi", "n_pos",    "n_neg",     "boot_used", "boot_skipped"};
const char *const API_DELONG_FIELDS[API_N_DELONG] = {"auroc_a", "auroc_b", "diff", "se", "z", "p"};

// ---- map metrics --------------------------------------------------------------------------------
// Each pair as `cxrgaze metrics` computes it (study/metrics.c): stats_map_metrics_ex with the map's
// sign and scale, the reference min-max, on 2*h*w floats of scratch per thread.
cxg_status cxg_map_metrics(const float *maps, const float *ref, const uint8_t *fixations, int64_t n,
                           int h, int w, const cxg_settings *settings, double *values,
                           int32_t *constant) {
    static const char fn[] = "cxg_map_metrics";
    size_t npix;
    cxg_status st = api_check_dims(fn, n, 3, h, w, &npix);
    if (st) return st;
    if (n > 0 && (!maps || !ref || !values))
        return api_fail(CXG_ERR_ARGUMENT, "%s: maps, ref and values must be given", fn);
    struct cxg_settings tmp;
    const struct cxg_settings *s = api_settings(settings, &tmp);
    const unsigned fix_only = STATS_M_NSS | STATS_M_AUC_JUDD;
    unsigned which = s->metrics ? s->metrics : fixations ? STATS_M_ALL : STATS_M_ALL & ~fix_only;
    if ((s->metrics & fix_only) && !fixations)
        return api_fail(CXG_ERR_ARGUMENT, "%s: nss and auc_judd need fixations", fn);
#pragma omp parallel
    {
        float *work = cx_malloc(2 * npix * sizeof *work); // this thread's normalised copies
#pragma omp for schedule(dynamic, 1)
        for (int64_t i = 0; i < n; i++) {
            stats_map_metrics r;
            const size_t at = (size_t)i * npix;
            const uint8_t *fix = fixations ? fixations + at : NULL;
            stats_map_metrics_ex(maps + at, ref + at, fix, h, w, which, s->emd_size, s->norm, work,
                                 &r);
            for (int k = 0; k < STATS_N_PAIR_METRICS; k++)
                values[i * STATS_N_PAIR_METRICS + k] = stats_map_metric_value(&r, (stats_metric)k);
            if (constant) constant[2 * i] = r.map_constant, constant[2 * i + 1] = r.ref_constant;
        }
        free(work);
    }
    return api_ok();
}

// ---- regions ------------------------------------------------------------------------------------
cxg_status cxg_regions(const float *maps, int64_t n, int h, int w, const uint8_t *masks, int r,
                       int per_map, const cxg_settings *settings, double *share, double *z,
                       int32_t *most, int32_t *constant) {
    static const char fn[] = "cxg_regions";
    size_t npix;
    cxg_status st = api_check_dims(fn, n, r > 0 ? r : 1, h, w, &npix);
    if (st) return st;
    if (r < 1 || r > 64)
        return api_fail(CXG_ERR_ARGUMENT, "%s: %d regions, expected 1 to 64", fn, r);
    if (n > 0 && (!maps || !masks || !share))
        return api_fail(CXG_ERR_ARGUMENT, "%s: maps, masks and share must be given", fn);
    struct cxg_settings tmp;
    const struct cxg_settings *s = api_settings(settings, &tmp);
#pragma omp parallel
    {
        float *work = cx_malloc(2 * npix * sizeof *work); // normalised map, scratch
#pragma omp for schedule(dynamic, 1)
        for (int64_t i = 0; i < n; i++) {
            memcpy(work, maps + (size_t)i * npix, npix * sizeof *work);
            int flat = stats_map_normalise(work, npix, s->norm, work + npix);
            const uint8_t *mk = masks + (per_map ? (size_t)i * r * npix : 0);
            stats_region_mass(work, mk, r, npix, share + (size_t)i * r);
            if (constant) constant[i] = flat;
        }
        free(work);
    }
    if (z || most) {
        double *zz = z ? z : cx_malloc(sizeof *zz * (size_t)(n ? n : 1) * r);
        stats_region_z_scores(share, (size_t)n, r, zz, NULL);
        for (int64_t i = 0; most && i < n; i++)
            most[i] = stats_most_salient_region(zz + (size_t)i * r, r);
        if (!z) free(zz);
    }
    return api_ok();
}

// ---- AUROC --------------------------------------------------------------------------------------
cxg_status cxg_auroc(const double *score, const uint8_t *label, const int64_t *patient, int64_t n,
                     const cxg_settings *settings, double *out) {
    static const char fn[] = "cxg_auroc";
    if (n < 0 || (n > 0 && (!score || !label)) || !out)
        return api_fail(CXG_ERR_ARGUMENT, "%s: n >= 0, score, label and out must be given", fn);
    struct cxg_settings tmp;
    const struct cxg_settings *s = api_settings(settings, &tmp);
    stats_auroc_ci d;
    stats_ci b;
    stats_auroc_delong(score, label, (size_t)n, s->level, &d);
    stats_auroc_bootstrap(score, label, patient, (size_t)n, s->n_bootstrap, s->level, s->attr.seed,
                          &b);
    const double v[API_N_AUROC] = {d.auroc,          d.var,           d.lo,   d.hi,
                                   b.lo,             b.hi,            (double)d.n_pos,
                                   (double)d.n_neg,  (double)b.n_used, (double)b.n_skipped};
    memcpy(out, v, sizeof v);
    return api_ok();
}

cxg_status cxg_delong_test(const double *score_a, const double *score_b, const uint8_t *label,
                           int64_t n, double *out) {
    if (n < 0 || (n > 0 && (!score_a || !score_b || !label)) || !out)
        return api_fail(CXG_ERR_ARGUMENT,
                        "cxg_delong_test: n >= 0, score_a, score_b, label and out must be given");
    stats_delong_test t;
    stats_delong_compare(score_a, score_b, label, (size_t)n, &t);
    const double v[API_N_DELONG] = {t.auroc_a, t.auroc_b, t.diff, t.se, t.z, t.p};
    memcpy(out, v, sizeof v);
    return api_ok();
}
