// report/compare: the planted-finding analysis (synth truth), GradCAM vs Layer Conductance,
// the figures and compare.json.
#include "report/compare_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Share of a (min-max normalised) map's mass inside mask bit `bit` of truth [S*S].
static int mass_share(const float *map, const uint16_t *truth, int bit, size_t npix, float *tmp,
                      double *mass, double *area) {
    memcpy(tmp, map, npix * sizeof(float));
    stats_minmax_normalise(tmp, npix);
    double in = 0, all = 0;
    size_t cells = 0;
    for (size_t q = 0; q < npix; q++) {
        all += tmp[q];
        if (truth[q] >> bit & 1) {
            in += tmp[q];
            cells++;
        }
    }
    if (!cells || all <= 0) return -1;
    *mass = in / all;
    *area = (double)cells / npix;
    return 0;
}

typedef struct share_acc {
    double mass[CX_N_LABELS + 1], area[CX_N_LABELS + 1];
    int64_t n[CX_N_LABELS + 1]; // last slot: all labels pooled
} share_acc;

static void share_rows(csv_writer *w, const char *model, const char *method, const share_acc *a) {
    for (int c = 0; c <= CX_N_LABELS; c++) {
        if (!a->n[c]) continue;
        double m = a->mass[c] / a->n[c], ar = a->area[c] / a->n[c];
        csv_writer_field(w, model);
        csv_writer_field(w, method);
        csv_writer_field(w, c < CX_N_LABELS ? CX_LABELS[c] : "all");
        csv_writer_fieldf(w, "%lld", (long long)a->n[c]);
        csv_writer_fieldf(w, "%.6f", m);
        csv_writer_fieldf(w, "%.6f", ar);
        csv_writer_fieldf(w, "%.4f", m / ar);
        csv_writer_end_row(w);
    }
}

static void share_add(share_acc *a, int c, double mass, double area) {
    a->mass[c] += mass;
    a->area[c] += area;
    a->n[c]++;
    a->mass[CX_N_LABELS] += mass;
    a->area[CX_N_LABELS] += area;
    a->n[CX_N_LABELS]++;
}

int cmp_truth(const cmp_inputs *in, const compare_opts *o, cx_error *err) {
    const pack *p = &in->pk;
    if (!p->truth) return 0;
    size_t npix = (size_t)in->S * in->S;
    char path[4200];
    cx_path_join(path, sizeof path, o->out_dir, "truth.csv");
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    const char *hdr[7] = {"model", "method", "label", "n", "mass_share", "area_share", "ratio"};
    csv_writer_row(w, 7, hdr);
    float *tmp = cx_malloc(npix * sizeof(float));
    // Gaze and the centre-bias baseline on the held-out gaze images.
    share_acc gaze = {0}, cb = {0};
    for (int64_t j = 0; j < in->n_gaze_test; j++) {
        int64_t i = in->gaze_test_rows[j];
        const uint16_t *t = p->truth + (size_t)i * npix;
        for (int c = 0; c < CX_N_LABELS; c++) {
            if (p->labels[i * CX_N_LABELS + c] < 0.5f) continue;
            double m, a;
            if (mass_share(p->gaze + (size_t)p->gaze_row[i] * npix, t, c, npix, tmp, &m, &a) == 0)
                share_add(&gaze, c, m, a);
            if (mass_share(in->centre_bias, t, c, npix, tmp, &m, &a) == 0) share_add(&cb, c, m, a);
        }
    }
    share_rows(w, "-", "gaze", &gaze);
    share_rows(w, "-", "centre_bias", &cb);
    for (int k = 0; k < in->n_models; k++) {
        const cmp_model *m = &in->model[k];
        for (int q = 0; q < m->n_methods; q++) {
            share_acc acc = {0};
            for (int64_t j = 0; j < m->n_an; j++) {
                int64_t r = m->an_map[j], i = m->map_pack_row[r];
                double ms, a;
                if (mass_share(cmp_map(in, m, q, r), p->truth + (size_t)i * npix, m->map_target[r],
                               npix, tmp, &ms, &a) == 0)
                    share_add(&acc, m->map_target[r], ms, a);
            }
            share_rows(w, m->name, m->method[q], &acc);
        }
    }
    free(tmp);
    return csv_writer_commit(w, err);
}

int cmp_gc_lc(const cmp_inputs *in, const compare_opts *o, cx_error *err) {
    size_t npix = (size_t)in->S * in->S;
    csv_writer *w = NULL;
    for (int k = 0; k < in->n_models; k++) {
        const cmp_model *m = &in->model[k];
        int gc = -1, lc = -1;
        for (int q = 0; q < m->n_methods; q++) {
            if (!strcmp(m->method[q], "gc")) gc = q;
            if (!strcmp(m->method[q], "lc")) lc = q;
        }
        if (gc < 0 || lc < 0) continue;
        if (!w) {
            char path[4200];
            cx_path_join(path, sizeof path, o->out_dir, "gc_lc.csv");
            if (!(w = csv_writer_open(path, err))) return -1;
            const char *hdr[6] = {"model", "n", "mean_cc", "min_cc", "mean_ssim", "n_constant"};
            csv_writer_row(w, 6, hdr);
        }
        double sum = 0, mn = INFINITY, ssum = 0;
        int64_t n = 0, n_const = 0;
        float *a = cx_malloc(npix * sizeof(float)), *b = cx_malloc(npix * sizeof(float));
        for (int64_t r = 0; r < m->n_maps; r++) {
            memcpy(a, cmp_map(in, m, gc, r), npix * sizeof(float));
            memcpy(b, cmp_map(in, m, lc, r), npix * sizeof(float));
            int ca = stats_minmax_normalise(a, npix), cb = stats_minmax_normalise(b, npix);
            double cc = stats_cc(a, b, npix);
            if (ca || cb || isnan(cc)) {
                n_const++;
                continue;
            }
            sum += cc;
            ssum += stats_ssim(a, b, in->S, in->S);
            mn = fmin(mn, cc);
            n++;
        }
        free(a);
        free(b);
        csv_writer_field(w, m->name);
        csv_writer_fieldf(w, "%lld", (long long)n);
        if (n) {
            csv_writer_fieldf(w, "%.6f", sum / n);
            csv_writer_fieldf(w, "%.6f", mn);
            csv_writer_fieldf(w, "%.6f", ssum / n);
        } else {
            csv_writer_field(w, "");
            csv_writer_field(w, "");
            csv_writer_field(w, "");
        }
        csv_writer_fieldf(w, "%lld", (long long)n_const);
        csv_writer_end_row(w);
    }
    return w ? csv_writer_commit(w, err) : 0;
}

static const char *method_title(const char *m) {
    static const char *const names[][2] = {
        {"sl", "Saliency"}, {"gc", "GradCAM"}, {"dl", "DeepLift"}, {"lc", "Layer Cond."},
        {"gs", "GradientSHAP"}, {"nt", "SmoothGrad"}, {"ig", "Int. Gradients"}, {"oc", "Occlusion"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(m, names[i][0])) return names[i][1];
    return m;
}

static void slug(const char *s, char *out, size_t cap) {
    size_t j = 0;
    for (; *s && j + 1 < cap; s++) out[j++] = (*s == ' ' || *s == '/') ? '_' : *s;
    out[j] = 0;
}

static int grid_figure(const cmp_inputs *in, const compare_opts *o, const cmp_model *m,
                       cx_error *err) {
    const pack *p = &in->pk;
    size_t npix = (size_t)in->S * in->S;
    int rows = 0, cols = m->n_methods + 1;
    int64_t pick[16];
    // Distinct images, correct predictions first (they show what the model learned).
    for (int pass = 1; pass >= 0 && rows < o->grid_rows; pass--)
        for (int64_t j = 0; j < m->n_an && rows < o->grid_rows && rows < 16; j++) {
            if (m->an_correct[j] != pass) continue;
            int64_t i = m->map_pack_row[m->an_map[j]];
            int dup = 0;
            for (int q = 0; q < rows; q++) dup |= m->map_pack_row[m->an_map[pick[q]]] == i;
            if (!dup) pick[rows++] = j;
        }
    if (!rows) return 0;
    const uint8_t **images = cx_malloc(sizeof(uint8_t *) * rows);
    const float **cells = cx_malloc(sizeof(float *) * rows * cols);
    float *buf = cx_malloc(sizeof(float) * npix * rows * cols);
    char(*titles)[96] = cx_malloc(sizeof(*titles) * rows);
    const char **row_titles = cx_malloc(sizeof(char *) * rows);
    const char *col_titles[CMP_MAX_METHODS + 2];
    col_titles[0] = "input";
    for (int q = 0; q < m->n_methods; q++) col_titles[q + 1] = method_title(m->method[q]);
    col_titles[cols] = "gaze";
    for (int r = 0; r < rows; r++) {
        int64_t mr = m->an_map[pick[r]], i = m->map_pack_row[mr];
        int c = m->map_target[mr];
        images[r] = p->images + (size_t)i * npix;
        for (int q = 0; q < cols; q++) {
            float *dst = buf + ((size_t)r * cols + q) * npix;
            const float *src = q < m->n_methods ? cmp_map(in, m, q, mr)
                                                : p->gaze + (size_t)p->gaze_row[i] * npix;
            memcpy(dst, src, npix * sizeof(float));
            stats_minmax_normalise(dst, npix);
            cells[(size_t)r * cols + q] = dst;
        }
        snprintf(titles[r], sizeof titles[r], "%.8s %s p=%.2f%s", p->dicom_id[i], CX_LABELS[c],
                 m->prob[i * CX_N_LABELS + c], m->an_correct[pick[r]] ? "" : " (missed)");
        row_titles[r] = titles[r];
    }
    char path[4200], name[128], title[160];
    snprintf(name, sizeof name, "grid_%s", m->name);
    cx_path_join(path, sizeof path, o->out_dir, name);
    snprintf(title, sizeof title, "%s: saliency and radiologist gaze on held-out images", m->name);
    int rc = rp_image_grid(path, title, rows, cols, in->S, row_titles, col_titles, images, cells,
                           0.6, err);
    free(images);
    free(cells);
    free(buf);
    free(titles);
    free(row_titles);
    return rc;
}

int cmp_figures(const cmp_inputs *in, const compare_opts *o, const cmp_pooled *pooled,
                const cmp_dists *dist, cx_error *err) {
    char path[4200], name[160], title[200];
    for (int k = 0; k < in->n_models; k++) {
        const cmp_model *m = &in->model[k];
        // SSIM, correct vs incorrect, pooled over labels, with baselines.
        int nk = m->n_methods + 2;
        const char *groups[CMP_MAX_METHODS + 2];
        double val[2][CMP_MAX_METHODS + 2], lo[2][CMP_MAX_METHODS + 2], hi[2][CMP_MAX_METHODS + 2];
        for (int g = 0; g < nk; g++) {
            int slot = g < m->n_methods ? g : CMP_MAX_METHODS + (g - m->n_methods);
            groups[g] = g < m->n_methods ? method_title(m->method[g])
                                         : (g == m->n_methods ? "centre bias" : "mean gaze");
            for (int s = 0; s < 2; s++) {
                val[s][g] = pooled[k][slot][0][s];
                lo[s][g] = pooled[k][slot][1][s];
                hi[s][g] = pooled[k][slot][2][s];
            }
        }
        rp_series ss[2] = {{"correct", val[0], lo[0], hi[0]}, {"incorrect", val[1], lo[1], hi[1]}};
        snprintf(name, sizeof name, "ssim_%s", m->name);
        cx_path_join(path, sizeof path, o->out_dir, name);
        snprintf(title, sizeof title, "%s: SSIM with gaze, correct vs incorrect (95%% CI)", m->name);
        if (rp_grouped_bars(path, title, "mean SSIM", nk, groups, 2, ss, 0, 1, err)) return -1;

        // Most salient region per label: gaze vs each method.
        for (int c = 0; c < CX_N_LABELS; c++) {
            const cmp_region_dist *gz = &dist[k][CMP_MAX_METHODS];
            if (gz->n[c] < 3) continue;
            rp_series rs[CMP_MAX_METHODS + 1];
            double fr[CMP_MAX_METHODS + 1][CX_N_REGIONS];
            for (int s = 0; s <= m->n_methods; s++) {
                const cmp_region_dist *d = s == 0 ? gz : &dist[k][s - 1];
                int64_t tot = 0;
                for (int r = 0; r < CX_N_REGIONS; r++) tot += d->counts[c][r];
                for (int r = 0; r < CX_N_REGIONS; r++)
                    fr[s][r] = tot ? (double)d->counts[c][r] / tot : NAN;
                rs[s] = (rp_series){s == 0 ? "gaze" : method_title(m->method[s - 1]), fr[s], NULL, NULL};
            }
            const char *rnames[CX_N_REGIONS] = {"aortic knob", "right lung", "left lung", "mediastinum"};
            char sl[64];
            slug(CX_LABELS[c], sl, sizeof sl);
            snprintf(name, sizeof name, "regions_%s_%s", m->name, sl);
            cx_path_join(path, sizeof path, o->out_dir, name);
            snprintf(title, sizeof title, "%s, %s (n=%lld gaze images): most salient region",
                     m->name, CX_LABELS[c], (long long)gz->n[c]);
            if (rp_grouped_bars(path, title, "fraction of images", CX_N_REGIONS, rnames,
                                m->n_methods + 1, rs, 0, 1, err))
                return -1;
        }
        if (grid_figure(in, o, m, err)) return -1;
    }
    return 0;
}

int cmp_summary_json(const cmp_inputs *in, const compare_opts *o, cx_error *err) {
    json_t *root = json_object();
    json_object_set_new(root, "data", json_string(o->data_dir));
    json_object_set_new(root, "n_gaze_test_images", json_integer(in->n_gaze_test));
    json_object_set_new(root, "threshold", o->fixed_threshold < 0 ? json_string("f1-max on validate")
                                                                  : json_real(o->fixed_threshold));
    json_object_set_new(root, "bootstrap_resamples", json_integer(o->n_bootstrap));
    json_object_set_new(root, "permutations", json_integer(o->n_permutations));
    json_object_set_new(root, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(root, "emd_side", json_integer(o->emd_side));
    json_object_set_new(root, "truth", json_boolean(in->pk.truth != NULL));
    json_t *models = json_array();
    for (int k = 0; k < in->n_models; k++) {
        const cmp_model *m = &in->model[k];
        json_t *jm = json_object(), *meth = json_array();
        int64_t nc = 0;
        for (int64_t j = 0; j < m->n_an; j++) nc += m->an_correct[j];
        for (int q = 0; q < m->n_methods; q++) json_array_append_new(meth, json_string(m->method[q]));
        json_object_set_new(jm, "name", json_string(m->name));
        json_object_set_new(jm, "eval", json_string(o->eval_dir[o->n_eval == 1 ? 0 : k]));
        json_object_set_new(jm, "attributions", json_string(o->attr_dir[k]));
        json_object_set_new(jm, "methods", meth);
        json_object_set_new(jm, "maps", json_integer(m->n_maps));
        json_object_set_new(jm, "analysed_maps", json_integer(m->n_an));
        json_object_set_new(jm, "correct", json_integer(nc));
        json_object_set_new(jm, "incorrect", json_integer(m->n_an - nc));
        json_array_append_new(models, jm);
    }
    json_object_set_new(root, "models", models);
    char *text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    char path[4200];
    cx_path_join(path, sizeof path, o->out_dir, "compare.json");
    int rc = cx_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}
