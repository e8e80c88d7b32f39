// report: figure files (PNG decodes to the drawn size, SVG well-formed), tick labels that never
// overlap (measured text boxes, separating-axis test), a grid cell's pixels follow the colormap
// and span 160 points, the HTML embeds images losslessly at their size in points, the data
// summary counts images and positives per split from the pack, JSON records read as flattened
// field/value tables.
#include "test.h"

#include <cairo.h>

#include "attr/attr.h"
#include "data/data.h"
#include "report/report.h"

static void charts_write_png_and_svg(void **state) {
    (void)state;
    const char *groups[4] = {"aortic knob", "right lung", "left lung", "mediastinum"};
    double g[4] = {0.1, 0.4, 0.3, 0.2}, s[4] = {0.2, 0.2, NAN, 0.6};
    double lo[4] = {0.05, 0.3, 0.2, 0.1}, hi[4] = {0.15, 0.5, 0.4, 0.3};
    rp_series series[2] = {{"gaze", g, lo, hi}, {"GradCAM", s, NULL, NULL}};
    cx_error err;
    char base[4200];
    snprintf(base, sizeof base, "%s", test_out_path("report_bars"));
    assert_int_equal(rp_grouped_bars(base, "Most salient region", "fraction of images", 4, groups,
                                     2, series, 0, 1, &err),
                     0);
    char png[4300], svg[4300];
    snprintf(png, sizeof png, "%s.png", base);
    snprintf(svg, sizeof svg, "%s.svg", base);
    cairo_surface_t *img = cairo_image_surface_create_from_png(png);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    assert_true(cairo_image_surface_get_width(img) > 600);
    cairo_surface_destroy(img);
    char *text;
    size_t n;
    assert_int_equal(cx_read_file(svg, &text, &n, &err), 0);
    assert_non_null(strstr(text, "<svg"));
    assert_non_null(strstr(text, "</svg>"));
    free(text);

    const char *rows[3] = {"Atelectasis", "Cardiomegaly", "Edema"};
    double e1[3] = {0.8, 0.9, 0.7}, l1[3] = {0.7, 0.85, 0.6}, h1[3] = {0.9, 0.95, 0.8};
    rp_series models[2] = {{"DenseNet", e1, l1, h1}, {"DenseNet-Aug", e1, l1, h1}};
    snprintf(base, sizeof base, "%s", test_out_path("report_forest"));
    assert_int_equal(rp_forest(base, "AUROC", "AUROC (95% CI)", 3, rows, 2, models, 0.5, 1, &err),
                     0);
    snprintf(base, sizeof base, "%s", test_out_path("report_lines"));
    assert_int_equal(rp_lines(base, "Sanity", "randomised up to", "Spearman", 3, rows, 2, models, 0,
                              1, &err), 0);
    // Bad axis range is an error, not a crash.
    assert_int_equal(rp_lines(base, "x", NULL, NULL, 3, rows, 2, models, 1, 1, &err), -1);
}

static void grid_cell_uses_colormap(void **state) {
    (void)state;
    enum { S = 16 };
    uint8_t image[S * S];
    float map[S * S];
    for (int i = 0; i < S * S; i++) {
        image[i] = 0;
        map[i] = 1.0f;
    }
    const uint8_t *images[1] = {image};
    const float *maps[1] = {map};
    const char *rows[1] = {"img"}, *cols[2] = {"input", "SL"};
    cx_error err;
    char base[4200], png[4300];
    snprintf(base, sizeof base, "%s", test_out_path("report_grid"));
    assert_int_equal(rp_image_grid(base, "grid", 1, 1, S, rows, cols, images, maps, 1.0, &err), 0);
    snprintf(png, sizeof png, "%s.png", base);
    cairo_surface_t *img = cairo_image_surface_create_from_png(png);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    // The map cell (row 0, column 1) at 2 pixels per point: viridis(1) from its first point to
    // its 160th; the gap after it is the white background.
    unsigned char *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    double x0, y0;
    rp_grid_cell_origin(0, 1, &x0, &y0);
    uint8_t want[3];
    attr_viridis(1.0, want); // map 1 over black with alpha 1 -> pure viridis(1)
    const double inside[3][2] = {
        {0.25, 0.25}, {80, 80}, {RP_GRID_CELL - 0.25, RP_GRID_CELL - 0.25}};
    for (int k = 0; k < 3; k++) {
        uint32_t v;
        int x = (int)(2 * (x0 + inside[k][0])), y = (int)(2 * (y0 + inside[k][1]));
        memcpy(&v, px + (size_t)y * stride + 4 * x, 4);
        assert_int_equal((v >> 16) & 255, want[0]);
        assert_int_equal((v >> 8) & 255, want[1]);
        assert_int_equal(v & 255, want[2]);
    }
    assert_true(RP_GRID_CELL >= 160);
    uint32_t v;
    memcpy(&v, px + (size_t)(2 * (y0 + 80)) * stride + 4 * (int)(2 * (x0 + RP_GRID_CELL + 1)), 4);
    assert_int_equal(v & 0xffffff, 0xffffff);
    // The input cell (column 0) shows the black radiograph.
    double xi, yi;
    rp_grid_cell_origin(0, 0, &xi, &yi);
    memcpy(&v, px + (size_t)(2 * (yi + 80)) * stride + 4 * (int)(2 * (xi + 80)), 4);
    assert_int_equal(v & 0xffffff, 0);
    cairo_surface_destroy(img);
}

static int b64_value(char c) {
    const char *tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(tbl, c);
    return p && c ? (int)(p - tbl) : -1;
}

static void html_embeds_png_losslessly(void **state) {
    (void)state;
    cx_error err;
    char base[4200], png[4300];
    snprintf(base, sizeof base, "%s", test_out_path("report_grid"));
    snprintf(png, sizeof png, "%s.png", base);
    rp_doc *d = rp_doc_new("Test <report>");
    rp_doc_heading(d, 2, "Tables & figures");
    const char *hdr[2] = {"label", "AUROC"}, *cells[2] = {"Lung|Opacity", "0.91"};
    rp_doc_table(d, "AUROC", 2, 1, hdr, cells);
    assert_int_equal(rp_doc_image(d, png, "report_grid.png", "a grid", &err), 0);
    assert_int_equal(rp_doc_image(d, __FILE__, "x", "not a png", &err), -1);
    char html[4300], md[4300];
    snprintf(html, sizeof html, "%s", test_out_path("report.html"));
    snprintf(md, sizeof md, "%s", test_out_path("report.md"));
    assert_int_equal(rp_doc_write(d, html, md, &err), 0);
    rp_doc_free(d);

    char *page, *orig, *mdtext;
    size_t np, no, nm;
    assert_int_equal(cx_read_file(html, &page, &np, &err), 0);
    assert_int_equal(cx_read_file(png, &orig, &no, &err), 0);
    assert_int_equal(cx_read_file(md, &mdtext, &nm, &err), 0);
    assert_non_null(strstr(page, "<title>Test &lt;report&gt;</title>"));
    assert_non_null(strstr(page, "<td>Lung|Opacity</td>"));
    assert_non_null(strstr(mdtext, "| Lung\\|Opacity | 0.91 |"));
    assert_null(strstr(page, "http")); // nothing fetched from outside
    // Shown at its size in points: half the PNG's pixels.
    cairo_surface_t *grid = cairo_image_surface_create_from_png(png);
    char want_w[64];
    snprintf(want_w, sizeof want_w, "<img alt=\"a grid\" width=\"%d\"",
             cairo_image_surface_get_width(grid) / 2);
    cairo_surface_destroy(grid);
    assert_non_null(strstr(page, want_w));
    // Decode the data URI and compare with the PNG bytes.
    char *p = strstr(page, "base64,");
    assert_non_null(p);
    p += 7;
    unsigned char *dec = malloc(no + 3);
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (; *p && *p != '"'; p++) {
        if (*p == '=') continue;
        int v = b64_value(*p);
        assert_true(v >= 0);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            assert_true(k < no);
            dec[k++] = (unsigned char)(acc >> bits);
        }
    }
    assert_int_equal(k, no);
    assert_memory_equal(dec, orig, no);
    free(dec);
    free(page);
    free(orig);
    free(mdtext);
}

// A pack summary.json with every kind of value; the expected table is written out by hand.
static void write_summary_json(const char *path) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"images\": 863,\n"
          " \"splits\": {\"train\": 640, \"validate\": 40, \"test\": 183},\n"
          " \"egd\": {\"valid_fixations\": 10124, \"regions_missing\": {\"left_lung\": 0}},\n"
          " \"seconds\": 0.93341090200010512, \"lr\": 0.0005, \"gaze_lambda\": 1.0,\n"
          " \"seconds_total\": 123456.789, \"tiny\": 1.25e-07,\n"
          " \"deterministic\": false, \"truth\": true, \"init\": null,\n"
          " \"labeler\": \"chexpert\", \"note\": \"a|b <c>\",\n"
          " \"blocks\": [6, 12, 24, 16], \"views\": [\"PA\", \"AP\"],\n"
          " \"skipped\": [], \"extra\": {},\n"
          " \"names\": [\"n0\", \"n1\", \"n2\", \"n3\", \"n4\", \"n5\", \"n6\", \"n7\", \"n8\",\n"
          "           \"n9\", \"n10\", \"n11\", \"n12\", \"n13\", \"n14\", \"n15\", \"n16\"],\n"
          " \"per_image_ms\": [", f);
    for (int i = 0; i < 1083; i++) fprintf(f, "%s%g", i ? ", " : "", 0.5 * i + 0.25);
    fputs("],\n \"failed\": [", f);
    for (int i = 0; i < 22; i++)
        fprintf(f, "%s{\"path\": \"p%d.jpg\", \"reason\": \"truncated\"}", i ? ", " : "", i);
    fputs("]}\n", f);
    fclose(f);
}

static void data_table_flattens_summary_json(void **state) {
    (void)state;
    char dir[4096], p[4300], html[4300], md[4300];
    snprintf(dir, sizeof dir, "%s", test_out_path("report_data"));
    snprintf(p, sizeof p, "%s/data", dir);
    cx_mkdir_p(p, NULL);
    snprintf(p, sizeof p, "%s/data/summary.json", dir);
    write_summary_json(p);
    snprintf(p, sizeof p, "%s/runs/densenet", dir);
    cx_mkdir_p(p, NULL);
    snprintf(p, sizeof p, "%s/runs/densenet/run.json", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("{\"seed\": 1, \"options\": {\"lr\": 0.0001, \"deterministic\": true},\n"
          " \"final\": {\"best_val_loss\": 0.2541340917, \"last_val_mean_auroc\": null}}\n", f);
    fclose(f);
    snprintf(html, sizeof html, "%s/out/report.html", dir);
    snprintf(md, sizeof md, "%s/out/report.md", dir);
    const char *dirs[1] = {dir};
    cx_error err;
    if (report_build(html, 1, dirs, &err)) fail_msg("report_build: %s", err.msg);

    char *page, *text;
    size_t n;
    assert_int_equal(cx_read_file(md, &text, &n, &err), 0);
    char want_head[8400];
    snprintf(want_head, sizeof want_head,
             "<details><summary>Every field of the pack's summary &mdash; <a "
             "href=\"../data/summary.json\">summary.json</a></summary>\n\n"
             "| field | value |\n|---|---|\n"
             "| images | 863 |\n"
             "| splits.train | 640 |\n"
             "| splits.validate | 40 |\n"
             "| splits.test | 183 |\n"
             "| egd.valid_fixations | 10124 |\n"
             "| egd.regions_missing.left_lung | 0 |\n"
             "| seconds | 0.9334 |\n"          // measured: 4 significant digits
             "| lr | 0.0005 |\n"               // a typed setting: exact
             "| gaze_lambda | 1 |\n"           // a whole real as an integer
             "| seconds_total | 123457 |\n"    // large: no exponent
             "| tiny | 1.25e-07 |\n"
             "| deterministic | no |\n"
             "| truth | yes |\n"
             "| init | none |\n"
             "| labeler | chexpert |\n"
             "| note | a\\|b <c> |\n"
             "| blocks | 6, 12, 24, 16 |\n"
             "| views | PA, AP |\n"
             "| skipped | none |\n"
             "| extra | none |\n"
             "| names | 17 strings, not listed here (see summary.json) |\n"
             "| per_image_ms | 1,083 numbers from 0.25 to 541.25, not listed here "
             "(see summary.json) |\n"
             "| failed[0].path | p0.jpg |\n"
             "| failed[0].reason | truncated |\n"
             "| failed[1].path | p1.jpg |\n");
    char *data = strstr(text, "<details><summary>Every field");
    assert_non_null(data);
    if (strncmp(data, want_head, strlen(want_head)))
        fail_msg("Data section differs; got:\n%.3000s", data);
    // The first 20 entries of an array of objects are listed, the rest counted, nothing more.
    assert_non_null(strstr(data, "| failed[19].reason | truncated |\n| failed[20-21] | 2 more "
                                 "entries, not listed here (see summary.json) |\n\n"));
    assert_null(strstr(text, "failed[20].path"));
    // The settings records read the same way (no raw JSON left in the page).
    assert_non_null(strstr(text, "| seed | 1 |\n"
                                 "| options.lr | 0.0001 |\n"
                                 "| options.deterministic | yes |\n"
                                 "| final.best_val_loss | 0.2541 |\n"
                                 "| final.last_val_mean_auroc | none |\n"));
    free(text);
    assert_int_equal(cx_read_file(html, &page, &n, &err), 0);
    assert_non_null(strstr(page, "<tr><td>splits.train</td><td>640</td></tr>"));
    assert_non_null(strstr(page, "<td>a|b &lt;c&gt;</td>"));
    assert_null(strstr(page, "{&quot;"));
    assert_null(strstr(page, "<pre>"));
    free(page);
}

// eval --compare's Markdown table (prose line, pipe table, a **Mean** row) becomes a report table
// with the prose in its caption, not a code block.
static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void delong_markdown_becomes_table(void **state) {
    (void)state;
    char dir[4096], p[4300], html[4300], md[4300];
    snprintf(dir, sizeof dir, "%s", test_out_path("report_delong"));
    const char *models[2] = {"A", "B"};
    for (int m = 0; m < 2; m++) {
        snprintf(p, sizeof p, "%s/eval/%s", dir, models[m]);
        cx_mkdir_p(p, NULL);
        snprintf(p, sizeof p, "%s/eval/%s/auroc.csv", dir, models[m]);
        put(p, "label,n_pos,n_neg,auroc,delong_lo,delong_hi,boot_lo,boot_hi\n"
               "Atelectasis,13,167,0.76,0.66,0.86,0.65,0.87\n");
    }
    snprintf(p, sizeof p, "%s/eval/auroc.csv", dir);
    put(p, "model,label,n_pos,n_neg,auroc,delong_lo,delong_hi,boot_lo,boot_hi,delong_p\n"
           "A,Atelectasis,13,167,0.76,0.66,0.86,0.65,0.87,\n"
           "B,Atelectasis,13,167,0.79,0.70,0.88,0.69,0.89,0.27\n");
    snprintf(p, sizeof p, "%s/eval/auroc_table.md", dir);
    put(p, "AUROC on the test split; DeLong test p against A.\n\n"
           "| Label | A AUROC (95% CI) | B AUROC (95% CI) | p (B vs A) |\n"
           "|---|---|---|---|\n"
           "| Atelectasis | 0.762 (0.664-0.861) | 0.792 (0.705-0.879) | 0.27 |\n"
           "| **Mean** | 0.762 | 0.792 | |\n");
    snprintf(html, sizeof html, "%s/out/report.html", dir);
    snprintf(md, sizeof md, "%s/out/report.md", dir);
    const char *dirs[1] = {dir};
    cx_error err;
    if (report_build(html, 1, dirs, &err)) fail_msg("report_build: %s", err.msg);
    char *text, *page;
    size_t n;
    assert_int_equal(cx_read_file(md, &text, &n, &err), 0);
    const char *want =
        "**DeLong comparison of the models (eval --compare): AUROC on the test split; "
        "DeLong test p against A.**\n\n"
        "| Label | A AUROC (95% CI) | B AUROC (95% CI) | p (B vs A) |\n|---|---|---|---|\n"
        "| Atelectasis | 0.762 (0.664-0.861) | 0.792 (0.705-0.879) | 0.27 |\n"
        "| Mean | 0.762 | 0.792 |  |\n";
    if (!strstr(text, want)) fail_msg("no DeLong table in:\n%.4000s", text);
    free(text);
    assert_int_equal(cx_read_file(html, &page, &n, &err), 0);
    assert_non_null(strstr(page, "<th>p (B vs A)</th>"));
    assert_null(strstr(page, "<pre>"));
    free(page);
}

// ---- tick labels ------------------------------------------------------------------------------
// Separating-axis test: two convex quadrilaterals overlap iff no edge normal of either separates
// their projections (touching is not overlapping).
static void project(const double q[4][2], double nx, double ny, double *lo, double *hi) {
    *lo = INFINITY, *hi = -INFINITY;
    for (int k = 0; k < 4; k++) {
        double v = q[k][0] * nx + q[k][1] * ny;
        *lo = fmin(*lo, v), *hi = fmax(*hi, v);
    }
}

static int boxes_overlap(const double a[4][2], const double b[4][2]) {
    const double (*poly[2])[2] = {a, b};
    for (int p = 0; p < 2; p++)
        for (int k = 0; k < 4; k++) {
            double ex = poly[p][(k + 1) % 4][0] - poly[p][k][0],
                   ey = poly[p][(k + 1) % 4][1] - poly[p][k][1];
            if (ex == 0 && ey == 0) continue;
            double alo, ahi, blo, bhi;
            project(a, -ey, ex, &alo, &ahi);
            project(b, -ey, ex, &blo, &bhi);
            if (ahi <= blo + 1e-9 || bhi <= alo + 1e-9) return 0;
        }
    return 1;
}

// Every pair of set labels is apart, every box lies below the axis and within the depth, and each
// label's lines spell the label.
static void assert_ticks_clear(const rp_ticks *t, const char *const *labels) {
    for (int i = 0; i < t->n; i++) {
        if (!t->n_lines[i]) continue;
        char joined[256] = "";
        for (int k = 0; k < t->n_lines[i]; k++) {
            if (k) strcat(joined, " ");
            strcat(joined, rp_ticks_line(t, i, k));
        }
        assert_string_equal(joined, labels[i]);
        for (int k = 0; k < 4; k++) {
            assert_true(t->box[i][k][1] >= 0);
            assert_true(t->box[i][k][1] <= t->depth + 1e-9);
        }
        for (int j = i + 1; j < t->n; j++)
            if (t->n_lines[j] && boxes_overlap(t->box[i], t->box[j]))
                fail_msg("labels '%s' and '%s' overlap at spacing %g (angle %g, font %g)",
                         labels[i], labels[j], t->spacing, t->angle, t->font_size);
    }
}

static void tick_labels_do_not_overlap(void **state) {
    (void)state;
    // The SSIM chart's groups: the method names ran into each other at its old 52-point spacing.
    const char *names[8] = {"Saliency",   "GradCAM",    "DeepLift",    "Layer Cond.",
                            "GradientSHAP", "SmoothGrad", "centre bias", "mean gaze"};
    assert_true(rp_ticks_level_spacing(8, names) > 52);
    rp_ticks t;
    double spacing = rp_grouped_bars_spacing(8, names, 2);
    rp_ticks_layout(&t, 8, names, spacing);
    assert_true(t.angle == 0); // the chart is wide enough for level labels
    assert_ticks_clear(&t, names);
    rp_ticks_free(&t);
    // Tighter axes wrap, rotate, go vertical, then thin the labels; none overlaps.
    const double tight[] = {70, 52, 40, 24, 14, 8, 3};
    double prev_depth = 0;
    for (size_t k = 0; k < sizeof tight / sizeof tight[0]; k++) {
        rp_ticks_layout(&t, 8, names, tight[k]);
        assert_ticks_clear(&t, names);
        if (tight[k] <= 14) assert_true(t.angle > 0);
        if (tight[k] == 3) assert_true(t.stride > 1);
        assert_true(t.depth >= prev_depth - 30); // rotated labels take room below the axis
        prev_depth = t.depth;
        rp_ticks_free(&t);
    }
    // Names of short words wrap at their spaces when they do not fit on one line.
    const char *two_words[4] = {"centre bias", "mean gaze", "right lung", "left lung"};
    rp_ticks_layout(&t, 4, two_words, 45);
    assert_true(t.angle == 0);
    for (int i = 0; i < 4; i++) assert_int_equal(t.n_lines[i], 2);
    assert_ticks_clear(&t, two_words);
    rp_ticks_free(&t);
    // The region names of the most-salient-region panels, at the panels' spacing.
    const char *regions[4] = {"aortic knob", "right lung", "left lung", "mediastinum"};
    rp_ticks_layout(&t, 4, regions, rp_ticks_level_spacing(4, regions));
    assert_true(t.angle == 0);
    for (int i = 0; i < 4; i++) assert_int_equal(t.n_lines[i], 1);
    assert_ticks_clear(&t, regions);
    rp_ticks_free(&t);
}

// A pack of 6 images (hand-counted): splits train, train, validate, test, test, test;
// Cardiomegaly positive for 0, 2, 3 and 4 (4's label masked: uncertain), Edema for 5; gaze on 3
// and 5. Counts: images 2/1/3, gaze 0/0/2; Cardiomegaly 1/1/1 (test with gaze 1), Edema 0/0/1
// (test with gaze 1).
static void data_summary_counts_per_split(void **state) {
    (void)state;
    enum { NI = 6, SZ = 8, CARDIO = 1, EDEMA = 3 };
    static uint8_t images[NI * SZ * SZ], mask[NI * CX_N_LABELS], split[NI] = {0, 0, 1, 2, 2, 2};
    static float labels[NI * CX_N_LABELS], gaze[2 * SZ * SZ];
    static uint8_t fix[2 * SZ * SZ], regions[2 * 4 * SZ * SZ], present[2 * 4];
    static int32_t gaze_row[NI] = {-1, -1, -1, 0, -1, 1};
    static image_record ids[NI];
    memset(mask, 1, sizeof mask);
    const int cardio[4] = {0, 2, 3, 4};
    for (int k = 0; k < 4; k++) labels[cardio[k] * CX_N_LABELS + CARDIO] = 1;
    mask[4 * CX_N_LABELS + CARDIO] = 0;
    labels[5 * CX_N_LABELS + EDEMA] = 1;
    for (int i = 0; i < NI; i++) {
        snprintf(ids[i].dicom_id, sizeof ids[i].dicom_id, "d%d", i);
        snprintf(ids[i].subject_id, sizeof ids[i].subject_id, "1000%d", i);
        snprintf(ids[i].study_id, sizeof ids[i].study_id, "5000%d", i);
        snprintf(ids[i].view, sizeof ids[i].view, "PA");
        ids[i].split = split[i];
        ids[i].egd = gaze_row[i];
    }
    pack_contents pc = {.n = NI,
                        .n_gaze = 2,
                        .size = SZ,
                        .images = images,
                        .labels = labels,
                        .label_mask = mask,
                        .split = split,
                        .gaze_row = gaze_row,
                        .gaze = gaze,
                        .fixations = fix,
                        .regions = regions,
                        .region_present = present,
                        .ids = ids};
    char dir[4096], p[4300], html[4300], md[4300];
    snprintf(dir, sizeof dir, "%s", test_out_path("report_counts"));
    snprintf(p, sizeof p, "%s/data", dir);
    cx_error err;
    if (pack_write(&pc, p, "{\"images\": 6}\n", &err)) fail_msg("pack_write: %s", err.msg);
    snprintf(html, sizeof html, "%s/out/report.html", dir);
    snprintf(md, sizeof md, "%s/out/report.md", dir);
    const char *dirs[1] = {dir};
    if (report_build(html, 1, dirs, &err)) fail_msg("report_build: %s", err.msg);
    char *text;
    size_t n;
    assert_int_equal(cx_read_file(md, &text, &n, &err), 0);
    const char *want_splits =
        "| split | images | with radiologist gaze | share with gaze |\n|---|---|---|---|\n"
        "| train | 2 | 0 | 0.0% |\n| validate | 1 | 0 | 0.0% |\n"
        "| test | 3 | 2 | 66.7% |\n| all | 6 | 2 | 33.3% |\n";
    if (!strstr(text, want_splits)) fail_msg("no split table in:\n%.3000s", text);
    const char *want_labels =
        "| label | train | validate | test | test, with gaze |\n|---|---|---|---|---|\n"
        "| Atelectasis | 0 | 0 | 0 | 0 |\n| Cardiomegaly | 1 | 1 | 1 | 1 |\n"
        "| Consolidation | 0 | 0 | 0 | 0 |\n| Edema | 0 | 0 | 1 | 1 |\n";
    if (!strstr(text, want_labels)) fail_msg("no label x split table in:\n%.3000s", text);
    // One label x split table, collapsed with the rest of the data summary.
    char *first = strstr(text, "| label | train |");
    assert_null(strstr(first + 1, "| label | train |"));
    char *open = strstr(text, "<details><summary>Data: "), *close = strstr(text, "</details>");
    assert_true(open && open < first && first < strstr(open, "</details>\n\n</details>") + 1);
    assert_non_null(close);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(charts_write_png_and_svg),
        cmocka_unit_test(grid_cell_uses_colormap),
        cmocka_unit_test(html_embeds_png_losslessly),
        cmocka_unit_test(data_table_flattens_summary_json),
        cmocka_unit_test(delong_markdown_becomes_table),
        cmocka_unit_test(tick_labels_do_not_overlap),
        cmocka_unit_test(data_summary_counts_per_split),
    };
    return cmocka_run_group_tests_name("report/report", tests, NULL, NULL);
}
