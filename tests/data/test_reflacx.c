// data/reflacx: the REFLACX reader on a tree written in the authors' column layout
// (tests/fixtures/reflacx/, from tests/ref/reflacx_ref.py: CRLF line ends, phase-specific label
// columns, a discarded reading, both position-column spellings, an empty position cell), its
// errors on damaged copies, the heatmap against the authors' full-resolution recipe followed by
// the project's resize (fixture reflacx_heatmap_ref.safetensors), and ellipse masks against
// closed forms.
#include "tiny_trees.h"

#include "data/data.h"

#define TREE "tests/fixtures/reflacx"

// Stated tolerance for the heatmap: max |ours - reference| <= 1e-5 x the reference's maximum.
// Density, window and resize are reproduced exactly in double; what differs is float rounding on
// the reference's side: generate_heatmaps.py accumulates the full-resolution map in an np.float32
// image (~30 additions) and normalises by its float32 sum, and Pillow keeps the resize's
// horizontal pass in float32 (each ~1e-7 relative). Measured: 2.0e-7, 1.1e-7, 6.7e-8.
#define HEAT_TOL 1e-5

static int label_k(const reflacx_data *d, const char *name) {
    for (int k = 0; k < d->n_labels; k++)
        if (!strcmp(d->label_names[k], name)) return k;
    return -1;
}

static void read_ok(reflacx_data *d) {
    cx_error err = {0};
    int rc = reflacx_read(TREE, d, &err);
    if (rc) fail_msg("reflacx_read: %s", err.msg);
}

static void reads_the_tree(void **state) {
    (void)state;
    reflacx_data d;
    read_ok(&d);
    // metadata: 2 rows in phase 1 (one discarded), 1 in phase 2, 1 in phase 3
    assert_int_equal(d.st.metadata_rows[0], 2);
    assert_int_equal(d.st.metadata_rows[1], 1);
    assert_int_equal(d.st.metadata_rows[2], 1);
    assert_int_equal(d.st.discarded, 1);
    assert_int_equal(d.n_reading, 3);
    assert_int_equal(d.st.readings, 3);
    assert_int_equal(strmap_get(&d.by_id, "P103R554210"), -1); // the discarded one
    const reflacx_reading *a = &d.reading[0], *c = &d.reading[1], *b = &d.reading[2];
    assert_string_equal(a->id, "P102R108074");
    assert_string_equal(c->id, "P200R771002");
    assert_string_equal(b->id, "P300R000003");
    assert_int_equal(strmap_get(&d.by_id, "P300R000003"), 2);
    assert_int_equal(a->phase, 1);
    assert_int_equal(c->phase, 2);
    assert_int_equal(b->phase, 3);
    assert_int_equal(a->split, SPLIT_TRAIN);
    assert_int_equal(b->split, SPLIT_VALIDATE);
    assert_string_equal(a->dicom_id, "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014");
    assert_string_equal(c->dicom_id, a->dicom_id); // two readers of one image
    assert_string_equal(b->subject_id, "10000764");
    assert_non_null(strstr(a->image, "/p10000032/"));
    assert_int_equal(a->width, 600);
    assert_int_equal(a->height, 500);
    assert_int_equal(b->width, 500);
    assert_int_equal(b->height, 600);
    // labels by name per phase: metadata_phase_1.csv row 2, metadata_phase_3.csv row 2
    int k_awt = label_k(&d, "Airway wall thickening"), k_qi = label_k(&d, "Quality issue");
    int k_pa = label_k(&d, "Pleural abnormality"), k_wm = label_k(&d, "Wide mediastinum");
    int k_sd = label_k(&d, "Support devices"), k_atel = label_k(&d, "Atelectasis");
    assert_true(k_awt >= 0 && k_qi >= 0 && k_pa >= 0 && k_wm >= 0 && k_sd >= 0 && k_atel >= 0);
    assert_int_equal(label_k(&d, "Other"), -1); // free text, not a label
    assert_float_equal(a->label[k_awt], 3, 0);
    assert_float_equal(a->label[k_atel], 1, 0);
    assert_float_equal(a->label[k_qi], 0, 0);  // False
    assert_float_equal(a->label[k_wm], 2, 0);
    assert_true(isnan(a->label[k_pa]));        // phase 1 has no such column
    assert_true(isnan(b->label[k_wm]));        // phase 3 has no such column
    assert_float_equal(b->label[k_pa], 5, 0);
    assert_float_equal(b->label[label_k(&d, "Abnormal mediastinal contour")], 3, 0);
    assert_float_equal(b->label[k_sd], 0, 0);
    assert_int_equal(d.label_in_phase[k_wm], 1);     // phase 1 only
    assert_int_equal(d.label_in_phase[k_pa], 2 | 4); // phases 2 and 3
    assert_int_equal(d.label_in_phase[k_atel], 7);
    // the CX table (docs/reflacx.md)
    assert_int_equal(d.label_cx[label_k(&d, "Pulmonary edema")], LB_EDEMA);
    assert_int_equal(d.label_cx[label_k(&d, "Acute fracture")], LB_FRACTURE);
    assert_int_equal(d.label_cx[label_k(&d, "Enlarged cardiac silhouette")], LB_CARDIOMEGALY);
    assert_int_equal(d.label_cx[k_pa], -1);
    assert_int_equal(d.label_cx[k_qi], -1);
    assert_int_equal(reflacx_label_cx("Lung nodule or mass"), LB_LUNG_LESION);
    assert_int_equal(reflacx_label_cx("Groundglass opacity"), -1);
    // fixations: counts, spellings, the first row of P102R108074 and the skipped empty cell
    assert_int_equal(a->fix_count, 30);
    assert_int_equal(c->fix_count, 12);
    assert_int_equal(b->fix_count, 25);
    assert_int_equal(d.n_fix, 67);
    assert_int_equal(d.st.fixation_rows, 68);
    assert_int_equal(d.st.fixations_incomplete, 1);
    assert_int_equal(a->pos_spelling, REFLACX_POS_X_POSITION);
    assert_int_equal(b->pos_spelling, REFLACX_POS_POSITION_X);
    assert_int_equal(d.st.spelling[REFLACX_POS_X_POSITION], 2);
    assert_int_equal(d.st.spelling[REFLACX_POS_POSITION_X], 1);
    const reflacx_fixation *f = &d.fix[a->fix_begin];
    assert_float_equal(f->t_start, 0.882, 1e-12);
    assert_float_equal(f->t_end, 1.152, 1e-12);
    assert_float_equal(f->x, 2, 0);
    assert_float_equal(f->y, 497, 0);
    assert_float_equal(f->ppd_x, 23, 0);
    assert_float_equal(f->ppd_y, 29, 0);
    assert_float_equal(f[1].shown[0], 150, 0);
    assert_float_equal(f[1].shown[3], 360, 0);
    assert_float_equal(f[5].x, -40, 0);
    // P300R000003 line 6 had the empty x: its 5th stored fixation is line 7's (250, 374)
    assert_float_equal(d.fix[b->fix_begin + 4].x, 250, 0);
    assert_float_equal(d.fix[b->fix_begin + 4].y, 374, 0);
    // ellipses and chest boxes
    assert_int_equal(a->ell_count, 3);
    assert_int_equal(c->ell_count, 1);
    assert_int_equal(b->ell_count, 1);
    assert_int_equal(d.st.ellipses, 5);
    const reflacx_ellipse *e = &d.ell[a->ell_begin];
    assert_float_equal(e->xmin, 300, 0);
    assert_float_equal(e->ymax, 330, 0);
    assert_float_equal(e->certainty, 5, 0);
    uint64_t want = (1ull << k_atel) | (1ull << label_k(&d, "Consolidation"));
    assert_true(e->labels == want);
    assert_true(d.ell[b->ell_begin].labels ==
                ((1ull << label_k(&d, "Lung nodule or mass")) |
                 (1ull << label_k(&d, "Groundglass opacity"))));
    assert_float_equal(a->chest_box[0], 60, 0);
    assert_float_equal(a->chest_box[1], 41, 0);
    assert_float_equal(a->chest_box[2], 534, 0);
    assert_float_equal(a->chest_box[3], 467, 0);
    reflacx_free(&d);
}

// ---- heatmaps ----------------------------------------------------------------------------------
static void heatmaps_match_reference(void **state) {
    (void)state;
    reflacx_data d;
    read_ok(&d);
    st_file f;
    cx_error err = {0};
    assert_int_equal(st_open(&f, fixture_path("reflacx_heatmap_ref.safetensors"), &err), 0);
    const int S = atoi(st_meta(&f, "size"));
    assert_int_equal(S, 96);
    const int64_t want_used[3] = {29, 11, 24}; // rows with a zero duration carry no weight
    float *heat = malloc((size_t)S * S * sizeof *heat), *heat_max = malloc((size_t)S * S * 4);
    uint8_t *fixmap = malloc((size_t)S * S);
    for (int i = 0; i < 3; i++) {
        const reflacx_reading *r = &d.reading[i];
        const st_tensor *t = st_find(&f, r->id);
        assert_non_null(t);
        assert_int_equal(t->numel, (size_t)S * S);
        const float *want = t->data;
        img_fit_geom g;
        img_fit_geom_init(&g, r->width, r->height, S);
        int64_t used = reflacx_heatmap(heat, fixmap, &d.fix[r->fix_begin], r->fix_count, &g, 1.0,
                                       REFLACX_NORM_SUM);
        assert_int_equal(used, want_used[i]);
        double err_rel = max_rel_err(heat, want, (size_t)S * S);
        printf("  %s: max |heat - ref| / max ref = %.3g\n", r->id, err_rel);
        assert_true(err_rel <= HEAT_TOL);
        // REFLACX_NORM_MAX: the same map over its maximum
        reflacx_heatmap(heat_max, NULL, &d.fix[r->fix_begin], r->fix_count, &g, 1.0,
                        REFLACX_NORM_MAX);
        float peak = 0;
        for (int p = 0; p < S * S; p++) peak = fmaxf(peak, heat[p]);
        for (int p = 0; p < S * S; p++)
            assert_float_equal(heat_max[p], heat[p] / peak, 1e-6);
        int marked = 0;
        for (int p = 0; p < S * S; p++) marked += fixmap[p];
        assert_true(marked >= 1 && marked <= used);
        if (i == 0) {
            // Hand-computed: S=96, 600x500 -> resized 115x96, crop_x 9. Fixation 3 (475, 143):
            // x_t = 475.5 * 115/600 - 9 = 82.1, y_t = 143.5 * 96/500 = 27.6 -> pixel (82, 27).
            assert_int_equal(fixmap[27 * S + 82], 1);
            // Fixation 8 (435, 218) lies outside its shown window [150, 420): pixel (74, 41).
            assert_int_equal(fixmap[41 * S + 74], 0);
            // Fixation 1 (2, 497): x_t = 2.5 * 115/600 - 9 < 0, cropped away; nothing to mark.
        }
    }
    // No fixation with weight: zeros, 0 used.
    reflacx_fixation none = d.fix[d.reading[0].fix_begin + 3]; // the zero-duration one
    img_fit_geom g;
    img_fit_geom_init(&g, 600, 500, S);
    assert_int_equal(reflacx_heatmap(heat, fixmap, &none, 1, &g, 1.0, REFLACX_NORM_MAX), 0);
    for (int p = 0; p < S * S; p++) assert_true(heat[p] == 0 && fixmap[p] == 0);
    free(heat);
    free(heat_max);
    free(fixmap);
    st_close(&f);
    reflacx_free(&d);
}

// A single fixation in a whole-image window far from the borders, with no resize (S = W = H):
// the map is the normalised product of two sampled normal densities, in closed form.
static void single_fixation_closed_form(void **state) {
    (void)state;
    const int S = 64;
    reflacx_fixation f = {.t_start = 1.0, .t_end = 1.5, .x = 30, .y = 25, .ppd_x = 4, .ppd_y = 6,
                          .shown = {0, 0, 64, 64}};
    img_fit_geom g;
    img_fit_geom_init(&g, S, S, S);
    float *heat = malloc((size_t)S * S * sizeof *heat);
    assert_int_equal(reflacx_heatmap(heat, NULL, &f, 1, &g, 1.0, REFLACX_NORM_SUM), 1);
    double zx = 0, zy = 0;
    for (int i = 0; i < S; i++) {
        zx += exp(-0.5 * (i - 30.0) * (i - 30.0) / 16.0);
        zy += exp(-0.5 * (i - 25.0) * (i - 25.0) / 36.0);
    }
    for (int v = 0; v < S; v += 7)
        for (int u = 0; u < S; u += 5) {
            double want = exp(-0.5 * (u - 30.0) * (u - 30.0) / 16.0) / zx *
                          exp(-0.5 * (v - 25.0) * (v - 25.0) / 36.0) / zy;
            assert_close(heat[v * S + u], want, 1e-5, 1e-12, "closed form");
        }
    // A window [10, 20) x [0, 64): nothing outside it, the mass inside sums to 1.
    f.shown[0] = 10;
    f.shown[2] = 20;
    reflacx_heatmap(heat, NULL, &f, 1, &g, 1.0, REFLACX_NORM_SUM);
    double in = 0, out = 0;
    for (int v = 0; v < S; v++)
        for (int u = 0; u < S; u++) *(u >= 10 && u < 20 ? &in : &out) += heat[v * S + u];
    assert_close(in, 1.0, 1e-5, 0, "mass inside the window");
    assert_true(out == 0);
    free(heat);
}

// ---- ellipse masks -------------------------------------------------------------------------------
static void ellipse_masks(void **state) {
    (void)state;
    reflacx_data d;
    read_ok(&d);
    const reflacx_reading *a = &d.reading[0];
    const int S = 96;
    img_fit_geom g;
    img_fit_geom_init(&g, a->width, a->height, S);
    uint8_t *m = malloc((size_t)S * S);
    uint64_t cons = reflacx_cx_label_bits(&d, LB_CONSOLIDATION);
    assert_true(cons == 1ull << label_k(&d, "Consolidation"));
    assert_int_equal(reflacx_ellipse_mask(m, &d, a, cons, 3, &g), 1);
    // Box (300,200)-(420,330): semi-axes 60 x 65 image px -> 11.5 x 12.48 target px; area
    // pi a b = 451 target px (pixel-centre sampling: within a few px of the boundary count).
    int area = 0;
    for (int p = 0; p < S * S; p++) area += m[p];
    double want = M_PI * 60 * (115.0 / 600) * 65 * (96.0 / 500);
    assert_close(area, want, 0.05, 0, "ellipse area");
    // centre (360, 265) -> (360.5 * 115/600 - 9, 265.5 * 0.192) = (60.1, 51.0): inside;
    // the box corner (300, 200) -> (48.6, 38.5): outside the inscribed ellipse.
    assert_int_equal(m[51 * S + 60], 1);
    assert_int_equal(m[38 * S + 48], 0);
    // Lung Lesion: "Nodule" (certainty 2) only: drawn with a threshold of 2, not of 3.
    uint64_t lesion = reflacx_cx_label_bits(&d, LB_LUNG_LESION);
    assert_true(lesion & (1ull << label_k(&d, "Nodule")));
    assert_true(lesion & (1ull << label_k(&d, "Lung nodule or mass")));
    assert_int_equal(reflacx_ellipse_mask(m, &d, a, lesion, 3, &g), 0);
    for (int p = 0; p < S * S; p++) assert_int_equal(m[p], 0);
    assert_int_equal(reflacx_ellipse_mask(m, &d, a, lesion, 2, &g), 1);
    assert_int_equal(reflacx_cx_label_bits(&d, LB_PNEUMONIA), 0);
    free(m);
    reflacx_free(&d);
}

// ---- errors on damaged copies ------------------------------------------------------------------
static const char *copy_tree(const char *name) {
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path(name));
    rm_tree(dir);
    cx_mkdir_p(dir, NULL);
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "cp -r %s/main_data '%s/'", TREE, dir);
    assert_int_equal(system(cmd), 0);
    return dir;
}

// Replaces the first occurrence of from by to in root/main_data/rel.
static void edit(const char *root, const char *rel, const char *from, const char *to) {
    char path[4200], *text;
    size_t n;
    snprintf(path, sizeof path, "%s/main_data/%s", root, rel);
    cx_error err;
    assert_int_equal(cx_read_file(path, &text, &n, &err), 0);
    char *at = strstr(text, from);
    assert_non_null(at);
    char *out = malloc(n + strlen(to) + 1);
    memcpy(out, text, (size_t)(at - text));
    strcpy(out + (at - text), to);
    strcat(out, at + strlen(from));
    write_text(path, out);
    free(out);
    free(text);
}

static void expect_error(const char *root, const char *const *parts, int n) {
    reflacx_data d;
    cx_error err = {0};
    assert_int_equal(reflacx_read(root, &d, &err), -1);
    for (int i = 0; i < n; i++)
        if (!strstr(err.msg, parts[i])) fail_msg("error '%s' lacks '%s'", err.msg, parts[i]);
}

static void missing_file_named(void **state) {
    (void)state;
    const char *root = copy_tree("reflacx_missing");
    char path[4200];
    snprintf(path, sizeof path, "%s/main_data/P200R771002/anomaly_location_ellipses.csv", root);
    assert_int_equal(unlink(path), 0);
    const char *want[] = {"P200R771002/anomaly_location_ellipses.csv", "missing"};
    expect_error(root, want, 2);
    root = copy_tree("reflacx_missing_fix");
    snprintf(path, sizeof path, "%s/main_data/P300R000003/fixations.csv", root);
    assert_int_equal(unlink(path), 0);
    const char *want2[] = {"P300R000003/fixations.csv"};
    expect_error(root, want2, 1);
    // a reading whose folder is absent altogether
    root = copy_tree("reflacx_missing_dir");
    snprintf(path, sizeof path, "%s/main_data/P102R108074", root);
    rm_tree(path);
    const char *want3[] = {"P102R108074", "not found", "metadata_phase_1"};
    expect_error(root, want3, 3);
}

static void bad_cells_named(void **state) {
    (void)state;
    // fixations.csv line 3, the resolution column
    const char *root = copy_tree("reflacx_bad_fix");
    edit(root, "P300R000003/fixations.csv", "1.279,1.513,110,315,0.734,10,",
         "1.279,1.513,110,315,0.734,ten,");
    const char *w1[] = {"P300R000003/fixations.csv:3:",
                        "column 'angular_resolution_x_pixels_per_degree'", "'ten'"};
    expect_error(root, w1, 3);
    // metadata line 2, the discarded flag
    root = copy_tree("reflacx_bad_meta");
    edit(root, "metadata_phase_2.csv", ",train,False,", ",train,maybe,");
    const char *w2[] = {"metadata_phase_2.csv:2:", "column 'eye_tracking_data_discarded'",
                        "'maybe'"};
    expect_error(root, w2, 3);
    // a label cell of phase 3
    root = copy_tree("reflacx_bad_label");
    edit(root, "metadata_phase_3.csv", ",500,600,3,", ",500,600,high,");
    const char *w3[] = {"metadata_phase_3.csv:2:", "column 'Abnormal mediastinal contour'"};
    expect_error(root, w3, 2);
    // an ellipse's label flag
    root = copy_tree("reflacx_bad_ellipse");
    edit(root, "P102R108074/anomaly_location_ellipses.csv", "300,200,420,330,5,False,True",
         "300,200,420,330,5,False,Yes");
    const char *w4[] = {"P102R108074/anomaly_location_ellipses.csv:2:", "column 'Atelectasis'",
                        "True or False"};
    expect_error(root, w4, 3);
    // an end before the start
    root = copy_tree("reflacx_bad_time");
    edit(root, "P102R108074/fixations.csv", "0.882,1.152,", "0.882,0.152,");
    const char *w7[] = {"P102R108074/fixations.csv:2:", "column 'timestamp_end_fixation'"};
    expect_error(root, w7, 2);
    // a ragged row: the CSV reader names the line
    root = copy_tree("reflacx_ragged");
    edit(root, "P200R771002/fixations.csv", "\r\n", "\r\n9.5,");
    const char *w8[] = {"P200R771002/fixations.csv:2"};
    expect_error(root, w8, 1);
    // neither position spelling
    root = copy_tree("reflacx_no_pos");
    edit(root, "P102R108074/fixations.csv", "x_position,y_position", "x_pos,y_pos");
    const char *w5[] = {"P102R108074/fixations.csv", "x_position", "position_x"};
    expect_error(root, w5, 3);
    // two chest boxes
    root = copy_tree("reflacx_two_boxes");
    edit(root, "P200R771002/chest_bounding_box.csv", "\r\n60,", "\r\n1,2,3,4\r\n60,");
    const char *w6[] = {"P200R771002/chest_bounding_box.csv:3:", "one chest bounding box"};
    expect_error(root, w6, 2);
}

// A fixations.csv beyond REFLACX_MAX_FIXATIONS_PER_READING is refused at the first row past it.
static void fixation_bound(void **state) {
    (void)state;
    const char *root = copy_tree("reflacx_bound");
    char path[4200];
    snprintf(path, sizeof path, "%s/main_data/P200R771002/fixations.csv", root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("timestamp_start_fixation,timestamp_end_fixation,x_position,y_position,"
          "angular_resolution_x_pixels_per_degree,angular_resolution_y_pixels_per_degree,"
          "xmin_shown_from_image,ymin_shown_from_image,xmax_shown_from_image,"
          "ymax_shown_from_image\n", f);
    for (int r = 0; r <= REFLACX_MAX_FIXATIONS_PER_READING; r++)
        fprintf(f, "%d.0,%d.5,%d,%d,20,20,0,0,600,500\n", r, r, r % 600, r % 500);
    fclose(f);
    char line[64];
    snprintf(line, sizeof line, "fixations.csv:%d:", REFLACX_MAX_FIXATIONS_PER_READING + 2);
    const char *want[] = {line, "REFLACX_MAX_FIXATIONS_PER_READING"};
    expect_error(root, want, 2);
}

// A metadata table beyond REFLACX_MAX_READINGS rows is refused at the first row past it (all
// rows discarded here, so no reading folder is needed to get there).
static void metadata_bound(void **state) {
    (void)state;
    const char *root = copy_tree("reflacx_meta_bound");
    char path[4200];
    snprintf(path, sizeof path, "%s/main_data/metadata_phase_2.csv", root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("id,split,eye_tracking_data_discarded,image,dicom_id,subject_id,image_size_x,"
          "image_size_y\n", f);
    for (int r = 0; r <= REFLACX_MAX_READINGS; r++)
        fprintf(f, "P2R%06d,train,True,p/p1/s5/d.dcm,d,1,600,500\n", r);
    fclose(f);
    char line[64];
    snprintf(line, sizeof line, "metadata_phase_2.csv:%d:", REFLACX_MAX_READINGS + 2);
    const char *want[] = {line, "REFLACX_MAX_READINGS"};
    expect_error(root, want, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_the_tree),
        cmocka_unit_test(heatmaps_match_reference),
        cmocka_unit_test(single_fixation_closed_form),
        cmocka_unit_test(ellipse_masks),
        cmocka_unit_test(missing_file_named),
        cmocka_unit_test(bad_cells_named),
        cmocka_unit_test(fixation_bound),
        cmocka_unit_test(metadata_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
