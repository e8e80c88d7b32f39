// report: the figures of compare, drawn from study_compare's result — SSIM correct vs incorrect
// with baselines (and the inter-observer ceiling as a band), most-salient-region distributions
// per label, the qualitative grids.
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// Short method titles for figure legends and column titles.
static const char *const method_title[ATTR_NMETHODS] = {
    [ATTR_SL] = "Saliency",     [ATTR_GC] = "GradCAM",    [ATTR_DL] = "DeepLift",
    [ATTR_LC] = "Layer Cond.",  [ATTR_GS] = "GradientSHAP", [ATTR_NT] = "SmoothGrad",
    [ATTR_IG] = "Int. Gradients", [ATTR_OC] = "Occlusion"};
_Static_assert(sizeof method_title / sizeof method_title[0] == ATTR_NMETHODS,
               "one title per attr_method");
// With the abbreviation the tables use: grid columns and legends.
static const char *const method_title_abbr[ATTR_NMETHODS] = {
    [ATTR_SL] = "Saliency (SL)",          [ATTR_GC] = "GradCAM (GC)",
    [ATTR_DL] = "DeepLift (DL)",          [ATTR_LC] = "Layer Conductance (LC)",
    [ATTR_GS] = "GradientSHAP (GS)",      [ATTR_NT] = "SmoothGrad (NT)",
    [ATTR_IG] = "Integrated Gradients (IG)", [ATTR_OC] = "Occlusion (OC)"};
_Static_assert(sizeof method_title_abbr / sizeof method_title_abbr[0] == ATTR_NMETHODS,
               "one title per attr_method");

void rb_slug(const char *s, char *out, size_t cap) {
    size_t j = 0;
    for (; *s && j + 1 < cap; s++) out[j++] = (*s == ' ' || *s == '/') ? '_' : *s;
    out[j] = 0;
}

// The "readers" ceiling row of metric m, or NULL.
static const study_interobserver_row *readers_ceiling(const study_compare_result *res,
                                                      stats_metric m) {
    for (int64_t i = 0; i < res->n_interobserver; i++)
        if (res->interobserver[i].comparison == STUDY_CEILING_READERS &&
            res->interobserver[i].metric == m && res->interobserver[i].n_pairs)
            return &res->interobserver[i];
    return NULL;
}

// SSIM with gaze pooled over labels, correct vs incorrect, per method and baseline; with
// radiologist readings, the inter-observer ceiling as a band (its 95% CI) with a line at its mean.
static int ssim_figure(const char *out_dir, const study_compare_result *res,
                       const study_compare_model *m, cx_error *err) {
    enum { MAXG = ATTR_NMETHODS + 2 };
    int nk = m->n_methods + 2;
    const char *groups[MAXG];
    double val[2][MAXG], lo[2][MAXG], hi[2][MAXG];
    for (int g = 0; g < nk; g++) {
        int source = g < m->n_methods ? (int)m->method[g]
                                      : (g == m->n_methods ? STUDY_SOURCE_CENTRE_BIAS
                                                           : STUDY_SOURCE_MEAN_GAZE);
        groups[g] = g < m->n_methods ? method_title[m->method[g]]
                                     : (g == m->n_methods ? "centre bias" : "mean gaze");
        for (int s = 0; s < STUDY_N_GROUPS; s++) {
            const study_metric_row *r = study_compare_pooled_ssim(res, m->name, source, s);
            val[s][g] = r ? r->mean : NAN;
            lo[s][g] = r ? r->ci_lo : NAN;
            hi[s][g] = r ? r->ci_hi : NAN;
        }
    }
    rp_series ss[2] = {{"correct", val[0], lo[0], hi[0]}, {"incorrect", val[1], lo[1], hi[1]}};
    char path[4200], name[160], sl[128], title[200];
    rb_slug(m->name, sl, sizeof sl);
    snprintf(name, sizeof name, "ssim_%s", sl);
    cx_path_join(path, sizeof path, out_dir, name);
    snprintf(title, sizeof title,
             "%s: SSIM with gaze, correct vs incorrect, all labels pooled (95%% CI)", m->name);
    const study_interobserver_row *c = readers_ceiling(res, STATS_SSIM);
    char label[96];
    rp_band band = {0};
    if (c) {
        snprintf(label, sizeof label, "inter-observer SSIM %.3f (%lld readings)", c->mean,
                 (long long)c->n_pairs);
        band = (rp_band){c->ci_lo, c->ci_hi, c->mean, label};
    }
    return rp_grouped_bars_band(path, title, "mean SSIM", nk, groups, 2, ss, 0, 1, c ? &band : NULL,
                                err);
}

// Most salient region, one panel per label with at least RB_REGION_MIN_PAIRS gaze pairs: the
// share of pairs whose most salient region is each region, gaze and each method of m.
static int region_figure(const char *out_dir, const study_compare_result *res,
                         const study_compare_model *m, cx_error *err) {
    const study_region_dist *gz = &res->gaze_regions;
    int labels[CX_N_LABELS], n_panels = 0, n_series = m->n_methods + 1;
    for (int c = 0; c < CX_N_LABELS; c++)
        if (gz->n[c] >= RB_REGION_MIN_PAIRS) labels[n_panels++] = c;
    if (!n_panels) return 0;
    double *v = cx_malloc(sizeof(double) * n_panels * n_series * CX_N_REGIONS);
    char (*ptitle)[96] = cx_malloc(sizeof *ptitle * n_panels);
    const char *ptitles[CX_N_LABELS], *snames[ATTR_NMETHODS + 1];
    for (int k = 0; k < n_panels; k++) {
        int c = labels[k];
        snprintf(ptitle[k], sizeof ptitle[k], "%s (%lld gaze pairs)", CX_LABELS[c],
                 (long long)gz->n[c]);
        ptitles[k] = ptitle[k];
        for (int s = 0; s < n_series; s++) {
            const study_region_dist *d = s == 0 ? gz : &m->regions[s - 1];
            int64_t tot = 0;
            for (int r = 0; r < CX_N_REGIONS; r++) tot += d->counts[c][r];
            for (int r = 0; r < CX_N_REGIONS; r++)
                v[((size_t)k * n_series + s) * CX_N_REGIONS + r] =
                    tot ? (double)d->counts[c][r] / tot : NAN;
        }
    }
    for (int s = 0; s < n_series; s++)
        snames[s] = s == 0 ? "radiologist gaze" : method_title_abbr[m->method[s - 1]];
    const char *rnames[CX_N_REGIONS] = {"aortic knob", "right lung", "left lung", "mediastinum"};
    char path[4200], name[160], sl[128], title[200];
    rb_slug(m->name, sl, sizeof sl);
    snprintf(name, sizeof name, "regions_%s", sl);
    cx_path_join(path, sizeof path, out_dir, name);
    snprintf(title, sizeof title, "%s: most salient region per label, gaze vs saliency methods",
             m->name);
    rp_panels p = {title, "share of pairs", n_panels, ptitles, CX_N_REGIONS, rnames, n_series,
                   snames, v, 0, 1, 4};
    int rc = rp_bar_panels(path, &p, err);
    free(ptitle);
    free(v);
    return rc;
}

// A grid cell's map in [0,1]: a method's map through the run's normalisation (METHODS.md §3), the
// gaze map min-max. The one place the grid's maps are normalised.
static void grid_map_shown(float *dst, const float *raw, size_t npix, stats_map_norm norm,
                           int gaze) {
    memcpy(dst, raw, npix * sizeof(float));
    if (gaze) stats_minmax_normalise(dst, npix);
    else stats_map_normalise(dst, npix, norm, NULL);
}

static int grid_figure(const char *out_dir, const study_compare_model *m, cx_error *err) {
    const study_compare_grid *g = &m->grid;
    if (!g->n_rows) return 0;
    size_t npix = (size_t)g->size * g->size;
    const uint8_t *images[16];
    const float **cells = cx_malloc(sizeof(float *) * g->n_rows * g->n_cols);
    char titles[16][160];
    const char *row_titles[16], *col_titles[ATTR_NMETHODS + 2];
    col_titles[0] = "Input";
    for (int q = 0; q < m->n_methods; q++) col_titles[q + 1] = method_title_abbr[m->method[q]];
    col_titles[g->n_cols] = "Ground-truth gaze";
    // The grid holds raw maps: shown through the run's normalisation, gaze (last) min-max.
    float *shown = cx_malloc(sizeof(float) * npix * g->n_rows * g->n_cols);
    for (int r = 0; r < g->n_rows; r++) {
        const study_compare_example *e = &g->row[r];
        images[r] = g->images + r * npix;
        for (int q = 0; q < g->n_cols; q++) {
            float *v = shown + ((size_t)r * g->n_cols + q) * npix;
            grid_map_shown(v, g->maps + ((size_t)r * g->n_cols + q) * npix, npix, g->norm,
                           q == g->n_cols - 1);
            cells[(size_t)r * g->n_cols + q] = v;
        }
        snprintf(titles[r], sizeof titles[r], "%s, predicted probability %.2f (%s)   image %.12s",
                 CX_LABELS[e->label], e->probability, e->correct ? "correct" : "missed",
                 e->dicom_id);
        row_titles[r] = titles[r];
    }
    char path[4200], name[160], sl[128], title[160];
    rb_slug(m->name, sl, sizeof sl);
    snprintf(name, sizeof name, "grid_%s", sl);
    cx_path_join(path, sizeof path, out_dir, name);
    snprintf(title, sizeof title, "%s: saliency maps and radiologist gaze on held-out images",
             m->name);
    int rc = rp_image_grid(path, title, g->n_rows, g->n_cols, g->size, row_titles, col_titles,
                           images, cells, 0.6, err);
    free(cells);
    free(shown);
    return rc;
}

int report_compare_figures(const char *out_dir, const study_compare_result *r, cx_error *err) {
    for (int k = 0; k < r->n_models; k++) {
        const study_compare_model *m = &r->model[k];
        if (ssim_figure(out_dir, r, m, err)) return -1;
        if (region_figure(out_dir, r, m, err)) return -1;
        if (grid_figure(out_dir, m, err)) return -1;
    }
    return 0;
}
