// report: what a reader opens on demand, each behind a <details> element — the data summary
// (images per split, positives per label and split), the training curves, the exact settings
// records, and every raw CSV, linked by file name.
#include "report/report_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "io/io.h"

// ---- data summary -------------------------------------------------------------------------------
// Images, images with gaze and positives per label (label_mask respected), per split, counted
// from the pack beside summary.json.
typedef struct rb_pack_counts {
    int64_t images[CX_N_SPLITS], gaze[CX_N_SPLITS];
    int64_t positives[CX_N_LABELS][CX_N_SPLITS], gaze_test_positives[CX_N_LABELS];
    // Radiologist readings (packs with them: has_readings): REFLACX readings, the images they
    // read, and images with >= 2 readings of any source (the inter-observer ceiling's).
    int has_readings;
    int64_t reflacx_readings[CX_N_SPLITS], reflacx_images[CX_N_SPLITS], multi_read[CX_N_SPLITS];
} rb_pack_counts;

static int pack_counts(const char *data_dir, rb_pack_counts *k, cx_error *err) {
    pack p;
    if (pack_open(&p, data_dir, err)) return -1;
    memset(k, 0, sizeof *k);
    for (int64_t i = 0; i < p.n; i++) {
        int s = p.split[i], gaze = p.gaze_row[i] >= 0;
        k->images[s]++;
        k->gaze[s] += gaze;
        for (int c = 0; c < CX_N_LABELS; c++) {
            int pos = p.label_mask[i * CX_N_LABELS + c] && p.labels[i * CX_N_LABELS + c] > 0.5f;
            k->positives[c][s] += pos;
            k->gaze_test_positives[c] += pos && gaze && s == SPLIT_TEST;
        }
        int64_t first, nr = pack_readings(&p, i, &first), n_reflacx = 0;
        for (int64_t q = first; q < first + nr; q++)
            n_reflacx += p.reading_source[q] == READING_REFLACX;
        k->reflacx_readings[s] += n_reflacx;
        k->reflacx_images[s] += n_reflacx > 0;
        k->multi_read[s] += nr >= 2;
    }
    k->has_readings = p.n_readings > 0;
    pack_close(&p);
    return 0;
}

// Without the pack: the counts summary.json states (positives over all splits, in column "all").
static int summary_counts(const char *json_path, rb_pack_counts *k, int *per_split_labels) {
    json_t *root = json_load_file(json_path, 0, NULL);
    if (!root) return -1;
    memset(k, 0, sizeof *k);
    const json_t *im = json_object_get(root, "images_per_split"),
                 *gz = json_object_get(root, "gaze_per_split"),
                 *pos = json_object_get(root, "positives_per_label");
    for (int s = 0; s < CX_N_SPLITS; s++) {
        k->images[s] = json_integer_value(json_object_get(im, CX_SPLITS[s]));
        k->gaze[s] = json_integer_value(json_object_get(gz, CX_SPLITS[s]));
    }
    for (int c = 0; c < CX_N_LABELS; c++)
        k->positives[c][0] = json_integer_value(json_object_get(pos, CX_LABELS[c]));
    int ok = json_is_object(im) && json_is_object(pos);
    json_decref(root);
    *per_split_labels = 0;
    return ok ? 0 : -1;
}

static void split_table(rp_doc *d, const rb_pack_counts *k) {
    rp_table *t = rp_table_new("Images per split", NULL);
    rp_table_row(t, 1);
    const char *hdr[6] = {"split", "images", "with radiologist gaze", "share with gaze",
                          "REFLACX readings (images)", "images with >= 2 readings"};
    for (int c = 0; c < (k->has_readings ? 6 : 4); c++)
        rp_table_cell(t, hdr[c],
                      c == 5 ? "read by at least two radiologists (REFLACX, and EGD-CXR's reading "
                               "where it has one): the inter-observer ceiling's images"
                             : NULL,
                      1, 0);
    int64_t all = 0, all_gaze = 0, all_rr = 0, all_ri = 0, all_multi = 0;
    for (int s = 0; s <= CX_N_SPLITS; s++) {
        int64_t n = s < CX_N_SPLITS ? k->images[s] : all,
                g = s < CX_N_SPLITS ? k->gaze[s] : all_gaze;
        int64_t rr = s < CX_N_SPLITS ? k->reflacx_readings[s] : all_rr,
                ri = s < CX_N_SPLITS ? k->reflacx_images[s] : all_ri,
                multi = s < CX_N_SPLITS ? k->multi_read[s] : all_multi;
        char a[32], b[32], c[32];
        snprintf(a, sizeof a, "%lld", (long long)n);
        snprintf(b, sizeof b, "%lld", (long long)g);
        rb_value(c, sizeof c, "%.1f%%", n ? 100.0 * g / n : NAN);
        rp_table_row(t, 0);
        rp_table_cell(t, s < CX_N_SPLITS ? CX_SPLITS[s] : "all", NULL, 1, RP_CELL_HEAD);
        rp_table_cell(t, a, NULL, 1, 0);
        rp_table_cell(t, b, NULL, 1, 0);
        rp_table_cell(t, c, NULL, 1, 0);
        if (k->has_readings) {
            snprintf(a, sizeof a, "%lld (%lld)", (long long)rr, (long long)ri);
            snprintf(b, sizeof b, "%lld", (long long)multi);
            rp_table_cell(t, a, NULL, 1, 0);
            rp_table_cell(t, b, NULL, 1, 0);
        }
        if (s < CX_N_SPLITS) all += n, all_gaze += g, all_rr += rr, all_ri += ri, all_multi += multi;
    }
    rp_doc_add_table(d, t);
}

// per_split: counts per split and for the test images with gaze (from the pack), else one total
// per label (positives[c][0], from summary.json).
static void label_split_table(rp_doc *d, const rb_pack_counts *k, int per_split) {
    rp_table *t = rp_table_new("Positive images per label and split (labels that count for the "
                               "image: uncertain or missing ones left out by the label policy)",
                               NULL);
    rp_table_row(t, 1);
    rp_table_cell(t, "label", NULL, 1, 0);
    if (per_split) {
        for (int s = 0; s < CX_N_SPLITS; s++) rp_table_cell(t, CX_SPLITS[s], NULL, 1, 0);
        rp_table_cell(t, "test, with gaze", "the images the saliency comparison analyses", 1, 0);
    } else {
        rp_table_cell(t, "all splits", NULL, 1, 0);
    }
    for (int c = 0; c < CX_N_LABELS; c++) {
        rp_table_row(t, 0);
        rp_table_cell(t, CX_LABELS[c], NULL, 1, RP_CELL_HEAD);
        char v[32];
        for (int s = 0; s < (per_split ? CX_N_SPLITS : 1); s++) {
            snprintf(v, sizeof v, "%lld", (long long)k->positives[c][s]);
            rp_table_cell(t, v, NULL, 1, 0);
        }
        if (!per_split) continue;
        snprintf(v, sizeof v, "%lld", (long long)k->gaze_test_positives[c]);
        rp_table_cell(t, v, NULL, 1, 0);
    }
    rp_doc_add_table(d, t);
}

void rb_section_data(const rb_report *R) {
    rb_found f;
    rb_find_all(R->n_dirs, R->dirs, "summary.json", &f);
    for (int i = 0; i < f.n; i++) {
        char dir[4096], rel[4096], sum[4400];
        rb_dirname(f.path[i], dir, sizeof dir);
        rb_relpath(dir, R->out_dir, rel, sizeof rel);
        snprintf(sum, sizeof sum, "Data: images per split, positive labels per split (%s)", rel);
        rp_doc_details_begin(R->d, sum, NULL);
        rb_pack_counts k;
        cx_error err;
        int per_split = 1;
        if (pack_counts(dir, &k, &err) == 0 || summary_counts(f.path[i], &k, &per_split) == 0) {
            split_table(R->d, &k);
            label_split_table(R->d, &k, per_split);
            if (!per_split)
                rp_doc_note(R->d, "Counted by prepare (summary.json); the pack itself could not be "
                                  "opened to count positives per split.");
        } else {
            rp_doc_note(R->d, err.msg);
        }
        rb_relpath(f.path[i], R->out_dir, rel, sizeof rel);
        rp_doc_details_begin(R->d, "Every field of the pack's summary", rel);
        rb_json_table(R->d, f.path[i], NULL);
        rp_doc_details_end(R->d);
        rp_doc_details_end(R->d);
    }
}

// ---- training curves ----------------------------------------------------------------------------
static void training_figure(const rb_report *R, const char *run, const char *name) {
    cx_error err;
    train_log_row *rows;
    int n;
    if (train_log_read(run, &rows, &n, &err)) {
        rp_doc_note(R->d, err.msg);
        return;
    }
    double *tr = cx_malloc(sizeof(double) * (n ? n : 1)),
           *va = cx_malloc(sizeof(double) * (n ? n : 1)),
           *au = cx_malloc(sizeof(double) * (n ? n : 1)), ymax = 0;
    char (*xb)[16] = cx_malloc(sizeof *xb * (n ? n : 1));
    const char **xs = cx_malloc(sizeof(char *) * (n ? n : 1));
    for (int r = 0; r < n; r++) {
        tr[r] = rows[r].train_loss;
        va[r] = rows[r].val_loss;
        au[r] = rows[r].val_mean_auroc;
        if (isfinite(tr[r])) ymax = fmax(ymax, tr[r]);
        if (isfinite(va[r])) ymax = fmax(ymax, va[r]);
        snprintf(xb[r], sizeof xb[r], "%d", rows[r].epoch);
        xs[r] = xb[r];
    }
    rp_series s[3] = {{"train loss", tr, NULL, NULL}, {"val loss", va, NULL, NULL},
                      {"val mean AUROC", au, NULL, NULL}};
    char fig[4200], title[300], sl[256];
    rb_slug(name, sl, sizeof sl);
    snprintf(fig, sizeof fig, "%s/fig_train_%s", R->out_dir, sl);
    snprintf(title, sizeof title, "%s: loss and validation AUROC per epoch", name);
    if (n > 0 && rp_lines(fig, title, "epoch", "loss / AUROC", n, xs, 3, s, 0,
                          fmax(1.0, ymax * 1.05), &err) == 0) {
        char png[4300];
        snprintf(png, sizeof png, "%s.png", fig);
        rb_embed(R, png, title);
    }
    free(xs);
    free(xb);
    free(tr);
    free(va);
    free(au);
    free(rows);
}

void rb_section_training(const rb_report *R) {
    rb_found f;
    rb_find_all(R->n_dirs, R->dirs, "log.csv", &f);
    if (!f.n) return;
    rp_doc_details_begin(R->d, "Training: loss and validation AUROC per epoch", NULL);
    for (int i = 0; i < f.n; i++) {
        char run[4096], name[256];
        rb_dirname(f.path[i], run, sizeof run);
        rb_basename(run, name, sizeof name);
        training_figure(R, run, name);
    }
    rp_doc_details_end(R->d);
}

// ---- settings records
// -----------------------------------------------------------------------------
void rb_section_settings(const rb_report *R) {
    static const char *const records[3][2] = {{"run.json", "Training run"},
                                              {"compare.json", "Saliency vs gaze comparison"},
                                              {"sanity.json", "Sanity checks"}};
    for (int k = 0; k < 3; k++) {
        rb_found f;
        rb_find_all(R->n_dirs, R->dirs, records[k][0], &f);
        for (int i = 0; i < f.n; i++) {
            char rel[4096], sum[4400];
            rb_relpath(f.path[i], R->out_dir, rel, sizeof rel);
            char dir[4096], name[256];
            rb_dirname(f.path[i], dir, sizeof dir);
            rb_basename(dir, name, sizeof name);
            snprintf(sum, sizeof sum, "Exact settings: %s (%s)", records[k][1], name);
            rp_doc_details_begin(R->d, sum, rel);
            rb_json_table(R->d, f.path[i], NULL);
            rp_doc_details_end(R->d);
        }
    }
}

// ---- raw tables
// -----------------------------------------------------------------------------------
void rb_section_files(const rb_report *R) {
    static const char *const files[][2] = {
        {"auroc.csv", "AUROC with DeLong and patient-bootstrap CIs"},
        {"thresholds.csv", "F1-maximising thresholds on the validation split"},
        {"predictions.csv", "predicted probabilities"},
        {"log.csv", "training log"},
        {"maps.csv", "the saliency maps' index"},
        {"ssim.csv", "SSIM per model, method, label and group"},
        {"metrics.csv", "every map metric per model, method, label and group"},
        {"sensitivity.csv", "SSIM under other map normalisations"},
        {"regions.csv", "most-salient-region counts"},
        {"region_distance.csv", "paired region statistics against gaze"},
        {"truth.csv", "map mass on the planted findings"},
        {"gc_lc.csv", "GradCAM vs Layer Conductance"},
        {"sanity.csv", "sanity checks per method, mode and step"},
    };
    int any = 0;
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        rb_found f;
        rb_find_all(R->n_dirs, R->dirs, files[k][0], &f);
        for (int i = 0; i < f.n; i++) {
            if (!any++) {
                rp_doc_heading(R->d, 2, "Raw tables");
                rp_doc_paragraph(R->d, "Every table the report draws on, as its file holds it; "
                                       "the file name links the file.");
            }
            char dir[4096], rel[4096], sum[4400];
            rb_dirname(f.path[i], dir, sizeof dir);
            rb_relpath(dir, R->out_dir, rel, sizeof rel);
            snprintf(sum, sizeof sum, "%s: %s", rel, files[k][1]);
            rb_raw_csv(R, f.path[i], sum, 300);
        }
    }
}
