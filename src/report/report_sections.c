// report: the saliency-vs-gaze, sanity-check and settings sections, and report_build itself.
#include "report/report_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "io/io.h"

static const char *method_long(const char *m) {
    static const char *const names[][2] = {
        {"sl", "Saliency (SL)"},        {"gc", "GradCAM (GC)"},         {"dl", "DeepLift (DL)"},
        {"lc", "Layer Conductance (LC)"}, {"gs", "GradientSHAP (GS)"},  {"nt", "SmoothGrad (NT)"},
        {"ig", "Integrated Gradients (IG)"}, {"oc", "Occlusion (OC)"},
        {"centre_bias", "centre-bias baseline"}, {"mean_gaze", "mean training gaze baseline"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(m, names[i][0])) return names[i][1];
    return m;
}

// The pooled ("all" labels) SSIM rows of one compare directory's ssim.csv.
typedef struct ssim_row {
    char model[64], method[16];
    double mean[2];
    int64_t n[2];
    double p;
} ssim_row;

static int read_pooled_ssim(const char *path, ssim_row *rows, int cap) {
    cx_error err;
    csv_table *t = csv_table_read(path, &err);
    if (!t) return 0;
    int cm = csv_col(t, "model"), ce = csv_col(t, "method"), cl = csv_col(t, "label"),
        cg = csv_col(t, "group"), cn = csv_col(t, "n"), cv = csv_col(t, "mean"),
        cp = csv_col(t, "p_perm");
    int n = 0;
    for (int64_t r = 0; cm >= 0 && ce >= 0 && cl >= 0 && cg >= 0 && cn >= 0 && cv >= 0 && cp >= 0 &&
                        r < csv_nrows(t);
         r++) {
        if (strcmp(csv_get(t, r, cl), "all")) continue;
        int g = !strcmp(csv_get(t, r, cg), "incorrect");
        int k = 0;
        for (; k < n; k++)
            if (!strcmp(rows[k].model, csv_get(t, r, cm)) && !strcmp(rows[k].method, csv_get(t, r, ce)))
                break;
        if (k == n) {
            if (n == cap) break;
            memset(&rows[n], 0, sizeof rows[n]);
            snprintf(rows[n].model, sizeof rows[n].model, "%s", csv_get(t, r, cm));
            snprintf(rows[n].method, sizeof rows[n].method, "%s", csv_get(t, r, ce));
            rows[n].mean[0] = rows[n].mean[1] = NAN;
            n++;
        }
        rows[k].mean[g] = rb_num(csv_get(t, r, cv));
        double nn = rb_num(csv_get(t, r, cn));
        rows[k].n[g] = isfinite(nn) ? (int64_t)nn : 0;
        rows[k].p = rb_num(csv_get(t, r, cp));
    }
    csv_table_free(t);
    return n;
}

static double overall(const ssim_row *r) {
    double s = 0;
    int64_t n = 0;
    for (int g = 0; g < 2; g++)
        if (r->n[g] && isfinite(r->mean[g])) s += r->mean[g] * r->n[g], n += r->n[g];
    return n ? s / n : NAN;
}

static void ssim_findings(const ssim_row *rows, int n, rb_cells *findings) {
    char models[8][64];
    int nm = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < nm && strcmp(models[k], rows[i].model)) k++;
        if (k == nm && nm < 8) snprintf(models[nm++], sizeof models[0], "%s", rows[i].model);
    }
    for (int k = 0; k < nm; k++) {
        double cb = NAN;
        for (int i = 0; i < n; i++)
            if (!strcmp(rows[i].model, models[k]) && !strcmp(rows[i].method, "centre_bias"))
                cb = overall(&rows[i]);
        char above[512] = "", below[512] = "";
        int n_higher = 0, n_sig = 0, n_methods = 0;
        for (int i = 0; i < n; i++) {
            const ssim_row *r = &rows[i];
            if (strcmp(r->model, models[k]) || !strcmp(r->method, "centre_bias") ||
                !strcmp(r->method, "mean_gaze"))
                continue;
            n_methods++;
            double o = overall(r);
            char *dst = o > cb ? above : below;
            size_t l = strlen(dst);
            snprintf(dst + l, sizeof above - l, "%s%s (%.3f)", l ? ", " : "", r->method, o);
            if (r->mean[0] > r->mean[1]) {
                n_higher++;
                if (r->p < 0.05) n_sig++;
            }
        }
        char line[1400];
        snprintf(line, sizeof line,
                 "%s, SSIM with gaze: methods above the centre-bias baseline (%.3f): %s; at or "
                 "below it: %s.",
                 models[k], cb, above[0] ? above : "none", below[0] ? below : "none");
        rb_cell_add(findings, "%s", line);
        snprintf(line, sizeof line,
                 "%s: correct predictions look more like gaze than incorrect ones for %d of %d "
                 "methods (higher mean SSIM), %d of them significant at p < 0.05 (permutation test).",
                 models[k], n_higher, n_methods, n_sig);
        rb_cell_add(findings, "%s", line);
    }
}

// The study's SSIM table: rows methods; per model mean SSIM (n) for correct and incorrect, p.
static void ssim_table(rp_doc *d, const ssim_row *rows, int n) {
    char models[8][64], methods[16][16];
    int nm = 0, nk = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < nm && strcmp(models[k], rows[i].model)) k++;
        if (k == nm && nm < 8) snprintf(models[nm++], sizeof models[0], "%s", rows[i].model);
        k = 0;
        while (k < nk && strcmp(methods[k], rows[i].method)) k++;
        if (k == nk && nk < 16) snprintf(methods[nk++], sizeof methods[0], "%s", rows[i].method);
    }
    const char *hdr[1 + 3 * 8];
    char hb[3 * 8][128];
    hdr[0] = "method";
    for (int m = 0; m < nm; m++) {
        snprintf(hb[3 * m], sizeof hb[0], "%s correct", models[m]);
        snprintf(hb[3 * m + 1], sizeof hb[0], "%s incorrect", models[m]);
        snprintf(hb[3 * m + 2], sizeof hb[0], "%s p", models[m]);
        for (int q = 0; q < 3; q++) hdr[1 + 3 * m + q] = hb[3 * m + q];
    }
    rb_cells body = {0};
    for (int k = 0; k < nk; k++) {
        rb_cell_add(&body, "%s", method_long(methods[k]));
        for (int m = 0; m < nm; m++) {
            const ssim_row *r = NULL;
            for (int i = 0; i < n; i++)
                if (!strcmp(rows[i].model, models[m]) && !strcmp(rows[i].method, methods[k])) r = &rows[i];
            for (int g = 0; g < 2; g++) {
                if (r && r->n[g]) rb_cell_add(&body, "%.3f (n=%lld)", r->mean[g], (long long)r->n[g]);
                else rb_cell_add(&body, "n/a (n=0)");
            }
            if (r && isfinite(r->p)) rb_cell_add(&body, "%.3g", r->p);
            else rb_cell_add(&body, "%s", "");
        }
    }
    rp_doc_table(d, "Mean SSIM between saliency and gaze maps, correct vs incorrect predictions "
                    "(all labels pooled; the study's layout)",
                 1 + 3 * nm, nk, hdr, (const char *const *)body.v);
    rb_cells_free(&body);
}

void rb_section_compare(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir,
                        rb_cells *findings) {
    rb_found f;
    rb_find_all(n_dirs, dirs, "compare.json", &f);
    if (!f.n) return;
    rp_doc_heading(d, 2, "Saliency vs radiologist gaze");
    for (int i = 0; i < f.n; i++) {
        char dir[4096], p[4200];
        rb_dirname(f.path[i], dir, sizeof dir);
        json_error_t je;
        json_t *root = json_load_file(f.path[i], 0, &je);
        if (root) {
            char line[512];
            snprintf(line, sizeof line,
                     "Held-out images with gaze: %lld. Maps and gaze are min-max normalised; a "
                     "prediction is correct when its probability reaches the label's threshold "
                     "(%s). CIs: %lld bootstrap resamples; p: permutation test with %lld "
                     "permutations.",
                     (long long)json_integer_value(json_object_get(root, "n_gaze_test_images")),
                     json_is_string(json_object_get(root, "threshold"))
                         ? json_string_value(json_object_get(root, "threshold"))
                         : "fixed",
                     (long long)json_integer_value(json_object_get(root, "bootstrap_resamples")),
                     (long long)json_integer_value(json_object_get(root, "permutations")));
            rp_doc_paragraph(d, line);
            json_decref(root);
        }
        ssim_row rows[128];
        cx_path_join(p, sizeof p, dir, "ssim.csv");
        int n = read_pooled_ssim(p, rows, 128);
        if (n) {
            rp_doc_heading(d, 3, "Image level: SSIM (the study's analysis)");
            ssim_table(d, rows, n);
            ssim_findings(rows, n, findings);
            rb_found figs;
            rb_find_pngs(dir, "ssim_", &figs);
            for (int k = 0; k < figs.n; k++) rb_embed(d, figs.path[k], out_dir, "SSIM correct vs incorrect");
            rb_csv_table(d, p, "SSIM per label (ssim.csv)", "group", "correct", 80);
        }
        cx_path_join(p, sizeof p, dir, "metrics.csv");
        if (cx_path_exists(p)) {
            rp_doc_heading(d, 3, "Image level: other saliency metrics (all labels pooled)");
            rb_csv_table(d, p, "CC, NSS, KL, SIM, AUC-Judd, EMD and SSIM (metrics.csv, label = all)",
                         "label", "all", 200);
        }
        rp_doc_heading(d, 3, "Region level: most salient region (the study's analysis)");
        rb_found figs;
        rb_find_pngs(dir, "regions_", &figs);
        for (int k = 0; k < figs.n; k++) rb_embed(d, figs.path[k], out_dir, "Most salient region: gaze vs methods");
        cx_path_join(p, sizeof p, dir, "region_distance.csv");
        if (cx_path_exists(p))
            rb_csv_table(d, p, "Distance of each method's region distribution from gaze's", NULL, NULL, 120);
        cx_path_join(p, sizeof p, dir, "truth.csv");
        if (cx_path_exists(p)) {
            rp_doc_heading(d, 3, "Planted findings (synthetic data: the truth is known)");
            rp_doc_paragraph(d, "Share of each map's mass inside the planted finding of its target "
                                "label, against the finding's share of the image area (ratio > 1: "
                                "the map concentrates on the finding).");
            rb_csv_table(d, p, "Mass on the planted finding (truth.csv, all labels)", "label", "all", 40);
            cx_error err;
            csv_table *t = csv_table_read(p, &err);
            if (t) {
                int cm = csv_col(t, "method"), cl = csv_col(t, "label"), cr = csv_col(t, "ratio"),
                    cmo = csv_col(t, "model");
                double gz = NAN, cb = NAN;
                char best[256] = "";
                double best_r = -1;
                for (int64_t r = 0; r < csv_nrows(t) && cm >= 0 && cl >= 0 && cr >= 0; r++) {
                    if (strcmp(csv_get(t, r, cl), "all")) continue;
                    double v = rb_num(csv_get(t, r, cr));
                    if (!strcmp(csv_get(t, r, cm), "gaze")) gz = v;
                    else if (!strcmp(csv_get(t, r, cm), "centre_bias")) cb = v;
                    else if (v > best_r) {
                        best_r = v;
                        snprintf(best, sizeof best, "%s %s", csv_get(t, r, cmo), csv_get(t, r, cm));
                    }
                }
                char line[600];
                snprintf(line, sizeof line,
                         "On the planted findings, held-out gaze concentrates %.2fx the finding's "
                         "area share (centre-bias baseline: %.2fx): gaze %s the centre-bias "
                         "baseline. The most concentrated saliency map: %s (%.2fx).",
                         gz, cb, gz > cb ? "beats" : "does not beat", best[0] ? best : "none", best_r);
                rb_cell_add(findings, "%s", line);
                csv_table_free(t);
            }
        }
        cx_path_join(p, sizeof p, dir, "gc_lc.csv");
        if (cx_path_exists(p)) {
            rp_doc_heading(d, 3, "GradCAM vs Layer Conductance");
            rb_csv_table(d, p, "Agreement of GC and LC maps (gc_lc.csv)", NULL, NULL, 10);
            cx_error err;
            csv_table *t = csv_table_read(p, &err);
            for (int64_t r = 0; t && r < csv_nrows(t); r++) {
                double cc = rb_num(csv_get(t, r, csv_col(t, "mean_cc")));
                char line[900];
                snprintf(line, sizeof line,
                         "%s: GradCAM and Layer Conductance maps %s (mean correlation %.4f). Taken "
                         "at the post-ReLU layer that feeds global average pooling and the linear "
                         "classifier (features.relu5), conductance equals GradCAM's gradient-"
                         "weighted activation up to normalisation, which explains identical GC and "
                         "LC numbers in the original study; at the layer Captum hooks (norm5, "
                         "before the final ReLU) the ReLU's gating makes them differ somewhat.",
                         csv_get(t, r, csv_col(t, "model")),
                         cc > 0.99 ? "coincide" : (cc > 0.9 ? "nearly coincide" : "differ"), cc);
                rb_cell_add(findings, "%s", line);
            }
            if (t) csv_table_free(t);
        }
        rp_doc_heading(d, 3, "Qualitative grids");
        rb_find_pngs(dir, "grid_", &figs);
        for (int k = 0; k < figs.n; k++)
            rb_embed(d, figs.path[k], out_dir, "Rows: held-out images (label, predicted probability); "
                                              "columns: input, saliency methods, radiologist gaze");
    }
}

void rb_section_sanity(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir,
                       rb_cells *findings) {
    rb_found f;
    rb_find_all(n_dirs, dirs, "sanity.csv", &f);
    if (!f.n) return;
    rp_doc_heading(d, 2, "Sanity checks (Adebayo et al. 2018)");
    rp_doc_paragraph(d, "Weights are randomised from the top (cascading) or one block at a time "
                        "(independent); a method whose maps keep a high rank correlation with the "
                        "original maps does not depend on what the model learned, and fails.");
    for (int i = 0; i < f.n; i++) {
        cx_error err;
        csv_table *t = csv_table_read(f.path[i], &err);
        if (!t) continue;
        int cm = csv_col(t, "method"), cmo = csv_col(t, "mode"), cs = csv_col(t, "randomised_up_to"),
            cv = csv_col(t, "spearman_abs_mean");
        if (cm < 0 || cmo < 0 || cs < 0 || cv < 0) {
            csv_table_free(t);
            continue;
        }
        const char *modes[2] = {"cascading", "independent"};
        for (int md = 0; md < 2; md++) {
            char steps[16][64], methods[8][16];
            int ns = 0, nm = 0;
            double val[8][16];
            for (int a = 0; a < 8; a++)
                for (int b = 0; b < 16; b++) val[a][b] = NAN;
            for (int64_t r = 0; r < csv_nrows(t); r++) {
                if (strcmp(csv_get(t, r, cmo), modes[md])) continue;
                int s = 0, m = 0;
                while (s < ns && strcmp(steps[s], csv_get(t, r, cs))) s++;
                if (s == ns && ns < 16) snprintf(steps[ns++], sizeof steps[0], "%s", csv_get(t, r, cs));
                while (m < nm && strcmp(methods[m], csv_get(t, r, cm))) m++;
                if (m == nm && nm < 8) snprintf(methods[nm++], sizeof methods[0], "%s", csv_get(t, r, cm));
                if (s < 16 && m < 8) val[m][s] = rb_num(csv_get(t, r, cv));
            }
            if (!ns || !nm) continue;
            rp_series ser[8];
            const char *xs[16];
            double ymin = 0;
            for (int s = 0; s < ns; s++) xs[s] = steps[s];
            for (int m = 0; m < nm; m++) {
                ser[m] = (rp_series){methods[m], val[m], NULL, NULL};
                for (int s = 0; s < ns; s++)
                    if (isfinite(val[m][s])) ymin = fmin(ymin, val[m][s]);
            }
            char fig[4200], title[200], png[4300];
            snprintf(fig, sizeof fig, "%s/fig_sanity_%d_%s", out_dir, i, modes[md]);
            snprintf(title, sizeof title, "%s randomisation: rank correlation with original |map|", modes[md]);
            if (rp_lines(fig, title, "randomised up to", "Spearman of |map|", ns, xs, nm, ser,
                         floor(ymin * 10) / 10, 1.0, &err) == 0) {
                snprintf(png, sizeof png, "%s.png", fig);
                rb_embed(d, png, out_dir, title);
            }
            if (md == 0) {
                char pass[256] = "", failed[256] = "";
                for (int m = 0; m < nm; m++) {
                    double last = val[m][ns - 1];
                    char *dst = last > 0.5 ? failed : pass;
                    size_t l = strlen(dst);
                    snprintf(dst + l, sizeof pass - l, "%s%s (%.2f)", l ? ", " : "", methods[m], last);
                }
                char line[700];
                snprintf(line, sizeof line,
                         "Sanity check (cascading randomisation up to %s): maps change, as they "
                         "should, for %s; maps barely change (rank correlation > 0.5, the check "
                         "fails) for %s.",
                         steps[ns - 1], pass[0] ? pass : "no method", failed[0] ? failed : "no method");
                rb_cell_add(findings, "%s", line);
            }
        }
        csv_table_free(t);
        rb_csv_table(d, f.path[i], "sanity.csv", NULL, NULL, 200);
    }
}

void rb_section_settings(rp_doc *d, int n_dirs, const char *const *dirs) {
    static const char *const records[3][2] = {{"run.json", "Training run"},
                                              {"compare.json", "Saliency vs gaze comparison"},
                                              {"sanity.json", "Sanity checks"}};
    int any = 0;
    for (int k = 0; k < 3; k++) {
        rb_found f;
        rb_find_all(n_dirs, dirs, records[k][0], &f);
        for (int i = 0; i < f.n; i++) {
            if (!any++) {
                rp_doc_heading(d, 2, "Exact settings");
                rp_doc_paragraph(d, "Every number above can be traced to these records (command "
                                    "lines, versions, seeds, data fingerprints, timings).");
            }
            char cap[4300];
            snprintf(cap, sizeof cap, "%s (%s)", records[k][1], f.path[i]);
            rb_json_table(d, f.path[i], cap);
        }
    }
}

static void build_sections(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir,
                           rb_cells *findings) {
    rb_section_data(d, n_dirs, dirs);
    rb_section_auroc(d, n_dirs, dirs, out_dir, findings);
    rb_section_compare(d, n_dirs, dirs, out_dir, findings);
    rb_section_sanity(d, n_dirs, dirs, out_dir, findings);
    rb_section_training(d, n_dirs, dirs, out_dir);
    rb_section_settings(d, n_dirs, dirs);
}

int report_build(const char *html_path, int n_dirs, const char *const *dirs, cx_error *err) {
    char out_dir[4096], md_path[4200];
    rb_dirname(html_path, out_dir, sizeof out_dir);
    if (cx_mkdir_p(out_dir, err)) return -1;
    for (int i = 0; i < n_dirs; i++)
        if (!cx_is_dir(dirs[i])) return cx_fail(err, "%s: not a directory", dirs[i]);
    size_t l = strlen(html_path);
    if (l > 5 && !strcmp(html_path + l - 5, ".html"))
        snprintf(md_path, sizeof md_path, "%.*s.md", (int)(l - 5), html_path);
    else
        snprintf(md_path, sizeof md_path, "%s.md", html_path);
    const char *title = "cxrgaze: does the classifier look where radiologists look?";
    // Pass 1 gathers the findings (they open the report); pass 2 writes the page.
    rb_cells findings = {0};
    rp_doc *scratch = rp_doc_new(title);
    build_sections(scratch, n_dirs, dirs, out_dir, &findings);
    rp_doc_free(scratch);
    if (findings.n == 0 && !cx_path_exists(out_dir))
        return cx_fail(err, "nothing to report in the given directories");
    rp_doc *d = rp_doc_new(title);
    rp_doc_paragraph(d, "Chest X-ray classifiers (DenseNet-121 and the gaze-supervised DenseNet-Aug) "
                        "against radiologists' eye gaze: classification quality, image-level and "
                        "region-level agreement of six saliency methods with gaze, and sanity checks.");
    rp_doc_heading(d, 2, "Findings in plain words");
    rb_cells tmp = {0};
    if (findings.n == 0) rb_cell_add(&tmp, "No evaluation, comparison or sanity outputs were found.");
    rp_doc_bullets(d, findings.n ? findings.n : tmp.n,
                   (const char *const *)(findings.n ? findings.v : tmp.v));
    rb_cells_free(&tmp);
    rb_cells_free(&findings);
    rb_cells ignored = {0};
    build_sections(d, n_dirs, dirs, out_dir, &ignored);
    rb_cells_free(&ignored);
    int rc = rp_doc_write(d, html_path, md_path, err);
    rp_doc_free(d);
    return rc;
}
