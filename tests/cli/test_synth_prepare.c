// cli/synth_prepare: `cxrgaze synth` then `cxrgaze prepare`, both run as the binary ($CXRGAZE,
// fork/exec). Oracles: the synth tables read here independently through io's CSV reader (labels
// and policies recomputed from the raw cells, splits from the split table, gaze maps from the
// fixations rows), Pillow's output for the real radiographs (tests/fixtures/resize_*.png, made by
// tests/ref/resize_ref.py), and invariants (whole patients, patient's left lung on the image's
// right in PA). The command-line contract: every flag of --help does what it says, bad tables
// exit 1 naming file and column with no pack left behind, a killed prepare leaves no pack that
// looks complete.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "test.h"

#include "data/data.h"
#include "data/tiny_trees.h" // rm_tree, tree_table
#include "cli/run_binary.h"     // cxrgaze, spawn, run

enum { S = 64 }; // pack size of the round trip

static char g_syn[4096], g_mimic[4200], g_egd[4200], g_truth[4200], g_ref[4096];

static char *slurp(const char *path) {
    char *d = NULL;
    size_t n;
    if (cx_read_file(path, &d, &n, NULL)) return cx_strdup("");
    return d;
}

// stderr of the last run holds every needle.
static void err_has(const char *errfile, const char *a, const char *b) {
    char *e = slurp(errfile);
    if (!strstr(e, a) || (b && !strstr(e, b)))
        fail_msg("stderr lacks '%s'%s%s: %s", a, b ? " / " : "", b ? b : "", e);
    free(e);
}

// Nothing named "<dir>" or "<dir>.tmp.*" exists: no pack and no half-written one.
static void assert_no_pack_left(const char *dir) {
    assert_false(cx_path_exists(dir));
    char parent[4096], base[1024];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    snprintf(base, sizeof base, "%s.tmp.", slash + 1);
    *slash = 0;
    DIR *d = opendir(parent);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, base, strlen(base))) fail_msg("left behind: %s", e->d_name);
    closedir(d);
}

static int col(const csv_table *t, const char *name) {
    int c = csv_col(t, name);
    if (c < 0) fail_msg("%s: no column %s", csv_path(t), name);
    return c;
}

static int64_t find_row(const pack *p, const char *dicom) {
    for (int64_t i = 0; i < p->n; i++)
        if (!strcmp(p->dicom_id[i], dicom)) return i;
    return -1;
}

static int split_rank(const char *s) { // test > validate > train
    return !strcmp(s, "test") ? SPLIT_TEST : !strcmp(s, "validate") ? SPLIT_VALIDATE : SPLIT_TRAIN;
}

// Expected (label, mask) of a raw table cell under a policy, from the cell text alone.
static void policy(const char *cell, const char *pol, float *label, uint8_t *mask) {
    int empty = !*cell;
    double v = empty ? 0 : atof(cell);
    *mask = 1;
    *label = !empty && v == 1.0;
    if (!strcmp(pol, "ones") && !empty && v == -1.0) *label = 1;
    if (!strcmp(pol, "ignore") && !empty && v == -1.0) *mask = 0;
}

static int group_setup(void **state) {
    (void)state;
    snprintf(g_syn, sizeof g_syn, "%s", test_out_path("sp_cohort"));
    snprintf(g_mimic, sizeof g_mimic, "%s/mimic-cxr-jpg", g_syn);
    snprintf(g_egd, sizeof g_egd, "%s/egd-cxr", g_syn);
    snprintf(g_truth, sizeof g_truth, "%s/truth", g_syn);
    snprintf(g_ref, sizeof g_ref, "%s", test_out_path("sp_DATA"));
    char errf[4096];
    snprintf(errf, sizeof errf, "%s", test_out_path("sp_synth.err"));
    int rc = run(errf,
                 "synth --out %s --images 40 --gaze-images 12 --size 256 --seed 5 --force "
                 "--quiet --threads 2",
                 g_syn);
    if (rc) {
        char *e = slurp(errf);
        fprintf(stderr, "synth failed (%d): %s\n", rc, e);
        free(e);
    }
    return rc;
}

// The gaze map of one EGD image, recomputed from fixations.csv rows read here.
static void expected_gaze(const csv_table *fx, const char *dicom, const char *img_path, int size,
                          double sigma, gaze_weight weight, float *heat, uint8_t *fmap) {
    int c_id = col(fx, "DICOM_ID"), c_x = col(fx, "X_ORIGINAL"), c_y = col(fx, "Y_ORIGINAL"),
        c_d = col(fx, "FPOGD");
    egd_fixation *f = calloc((size_t)csv_nrows(fx), sizeof *f);
    int64_t n = 0;
    for (int64_t k = 0; k < csv_nrows(fx); k++) {
        if (strcmp(csv_get(fx, k, c_id), dicom)) continue;
        f[n] = (egd_fixation){.x = atoi(csv_get(fx, k, c_x)), .y = atoi(csv_get(fx, k, c_y)),
                              .duration_s = (float)atof(csv_get(fx, k, c_d))};
        if (f[n].x >= 0 && f[n].y >= 0) n++; // off-image glances carry -1..-3
    }
    assert_true(n > 0);
    int w, h, ch;
    cx_error err = {0};
    assert_int_equal(img_info(img_path, &w, &h, &ch, &err), 0);
    img_fit_geom g;
    img_fit_geom_init(&g, w, h, size);
    gaze_heatmap(heat, fmap, f, n, &g, sigma, weight);
    free(f);
}

static void image_path(char *out, size_t cap, const pack *p, int64_t row) {
    char rel[512];
    mimic_image_relpath(rel, sizeof rel, p->subject_id[row], p->study_id[row], p->dicom_id[row]);
    snprintf(out, cap, "%s/%s", g_mimic, rel);
}

// Rows = the metadata rows kept by the view filter, in file order, each with its ids, view,
// image and the labels of its study under `pol`; returns the number of rows.
static int64_t check_rows_and_labels(const pack *p, int all_views, const char *label_table,
                                     const char *pol) {
    csv_table *meta = tree_table(g_mimic, "mimic-cxr-2.0.0-metadata.csv.gz");
    csv_table *lab = tree_table(g_mimic, label_table);
    int c_id = col(meta, "dicom_id"), c_view = col(meta, "ViewPosition"),
        c_study = col(meta, "study_id"), c_subj = col(meta, "subject_id");
    int64_t want_row = 0;
    char path[8400];
    uint8_t *img = malloc((size_t)p->size * p->size);
    for (int64_t r = 0; r < csv_nrows(meta); r++) {
        const char *view = csv_get(meta, r, c_view);
        int frontal = !strcmp(view, "PA") || !strcmp(view, "AP");
        int64_t row = find_row(p, csv_get(meta, r, c_id));
        if (!frontal && !all_views) {
            assert_int_equal(row, -1);
            continue;
        }
        assert_int_equal(row, want_row++); // metadata order
        assert_string_equal(p->subject_id[row], csv_get(meta, r, c_subj));
        assert_string_equal(p->study_id[row], csv_get(meta, r, c_study));
        assert_string_equal(p->view[row], view);
        int64_t lr = -1;
        for (int64_t k = 0; k < csv_nrows(lab); k++)
            if (!strcmp(csv_get(lab, k, col(lab, "study_id")), csv_get(meta, r, c_study))) lr = k;
        assert_true(lr >= 0);
        for (int c = 0; c < CX_N_LABELS; c++) {
            float want;
            uint8_t m;
            policy(csv_get(lab, lr, col(lab, CX_LABELS[c])), pol, &want, &m);
            assert_true(p->labels[row * CX_N_LABELS + c] == want);
            assert_int_equal(p->label_mask[row * CX_N_LABELS + c], m);
        }
        image_path(path, sizeof path, p, row);
        cx_error err = {0};
        assert_int_equal(img_load_fit(path, p->size, img, NULL, &err), 0);
        assert_memory_equal(p->images + row * p->size * p->size, img, (size_t)p->size * p->size);
    }
    assert_int_equal(p->n, want_row);
    free(img);
    csv_table_free(lab);
    csv_table_free(meta);
    return want_row;
}

// Gaze rows are exactly the EGD images: each heatmap and fixation map equals the one recomputed
// from fixations.csv, each region the mask file brought to S x S.
static void check_gaze(const pack *p, double sigma, gaze_weight weight) {
    csv_table *ms = tree_table(g_egd, "master_sheet.csv"), *fx = tree_table(g_egd, "fixations.csv");
    assert_int_equal(p->n_gaze, csv_nrows(ms));
    const int SS = p->size * p->size;
    float *heat = malloc(SS * sizeof *heat);
    uint8_t *fmap = malloc(SS);
    int64_t gaze_rows = 0;
    char path[8400];
    for (int64_t i = 0; i < p->n; i++) gaze_rows += p->gaze_row[i] >= 0;
    assert_int_equal(gaze_rows, p->n_gaze);
    for (int64_t r = 0; r < csv_nrows(ms); r++) {
        const char *id = csv_get(ms, r, col(ms, "dicom_id"));
        int64_t row = find_row(p, id);
        assert_true(row >= 0 && p->gaze_row[row] >= 0);
        assert_string_equal(p->subject_id[row], csv_get(ms, r, col(ms, "patient_id")));
        image_path(path, sizeof path, p, row);
        expected_gaze(fx, id, path, p->size, sigma, weight, heat, fmap);
        const int64_t g = p->gaze_row[row];
        assert_memory_equal(p->gaze + g * SS, heat, SS * sizeof *heat);
        assert_memory_equal(p->fixations + g * SS, fmap, SS);
        double at_fix = 0, mean = 0;
        int nf = 0;
        for (int i = 0; i < SS; i++) {
            mean += heat[i] / SS;
            if (fmap[i]) at_fix += heat[i], nf++;
        }
        if (nf) assert_true(at_fix / nf > mean); // bright where the radiologist looked
        // regions: the mask files brought to S x S; the patient's left lung on the image's right
        static const char *const file[CX_N_REGIONS] = {"aortic_knob", "right_lung", "left_lung",
                                                       "mediastanum"};
        double cx[CX_N_REGIONS];
        for (int reg = 0; reg < CX_N_REGIONS; reg++) {
            char mp[8400];
            snprintf(mp, sizeof mp, "%s/audio_segmentation_transcripts/%s/%s.png", g_egd, id,
                     file[reg]);
            img_gray mk;
            cx_error err = {0};
            assert_int_equal(img_load_mask(mp, &mk, &err), 0);
            img_fit_geom geo;
            int w, h, ch;
            assert_int_equal(img_info(path, &w, &h, &ch, &err), 0);
            img_fit_geom_init(&geo, w, h, p->size);
            uint8_t *want = malloc(SS);
            assert_int_equal(img_fit_mask(mk.px, mk.w, mk.h, &geo, want, &err), 0);
            const uint8_t *got = p->regions + (g * CX_N_REGIONS + reg) * SS;
            double sx = 0, n = 0;
            for (int k = 0; k < SS; k++) {
                assert_int_equal(got[k], want[k] != 0);
                sx += got[k] * (k % p->size), n += got[k];
            }
            assert_int_equal(p->region_present[g * CX_N_REGIONS + reg], 1);
            cx[reg] = n ? sx / n : -1;
            free(want);
            img_gray_free(&mk);
        }
        if (cx[REGION_LEFT_LUNG] >= 0 && cx[REGION_RIGHT_LUNG] >= 0)
            assert_true(cx[REGION_LEFT_LUNG] > cx[REGION_RIGHT_LUNG]);
    }
    free(heat);
    free(fmap);
    csv_table_free(fx);
    csv_table_free(ms);
}

// Whole patients: one split per subject; non-EGD patients keep MIMIC's (most held-out) split;
// EGD patients are train or test, round(f * n) of them test. Returns EGD patients in test.
static int64_t check_splits(const pack *p, double frac) {
    csv_table *sp = tree_table(g_mimic, "mimic-cxr-2.0.0-split.csv.gz");
    int64_t n_egd = 0, n_egd_test = 0;
    for (int64_t i = 0; i < p->n; i++) {
        int seen_before = 0, gaze = 0, official = SPLIT_TRAIN;
        for (int64_t j = 0; j < p->n; j++) {
            if (strcmp(p->subject_id[i], p->subject_id[j])) continue;
            assert_int_equal(p->split[i], p->split[j]);
            seen_before |= j < i;
            gaze |= p->gaze_row[j] >= 0;
            for (int64_t k = 0; k < csv_nrows(sp); k++)
                if (!strcmp(csv_get(sp, k, col(sp, "dicom_id")), p->dicom_id[j])) {
                    int s = split_rank(csv_get(sp, k, col(sp, "split")));
                    if (s > official) official = s;
                }
        }
        if (seen_before) continue;
        if (gaze) {
            n_egd++;
            assert_true(p->split[i] == SPLIT_TRAIN || p->split[i] == SPLIT_TEST);
            n_egd_test += p->split[i] == SPLIT_TEST;
        } else {
            assert_int_equal(p->split[i], official);
        }
    }
    assert_true(n_egd > 1);
    assert_int_equal(n_egd_test, llround(frac * n_egd));
    csv_table_free(sp);
    return n_egd_test;
}

static void round_trip(void **state) {
    (void)state;
    char errf[4096];
    snprintf(errf, sizeof errf, "%s", test_out_path("sp_round_trip.err"));
    rm_tree(g_ref);
    assert_int_equal(run(errf,
                         "prepare --mimic %s --egd %s --truth %s --out %s --size %d --seed 9 "
                         "--quiet --threads 2",
                         g_mimic, g_egd, g_truth, g_ref, S),
                     0);
    pack p;
    cx_error err = {0};
    assert_int_equal(pack_open(&p, g_ref, &err), 0);
    assert_int_equal(p.size, S);
    int64_t n = check_rows_and_labels(&p, 0, "mimic-cxr-2.0.0-chexpert.csv.gz", "zeros");
    assert_true(n >= 20 && n < 40); // frontal images of 40 (some lateral)
    check_gaze(&p, 150.0, GAZE_WEIGHT_COUNT);
    int64_t egd_test = check_splits(&p, 0.3);
    assert_string_equal(st_meta(&p.st, "uncertain"), "zeros");
    assert_string_equal(st_meta(&p.st, "views"), "frontal");
    assert_string_equal(st_meta(&p.st, "labeler"), "chexpert");

    // Planted findings of frontal images land in the truth tensor with their label's bit.
    csv_table *tf = tree_table(g_truth, "findings.csv");
    assert_non_null(p.truth);
    int total = 0, landed = 0;
    for (int64_t k = 0; k < csv_nrows(tf); k++) {
        int64_t row = find_row(&p, csv_get(tf, k, col(tf, "dicom_id")));
        assert_true(row >= 0); // synth plants findings on frontal images only
        int label = -1;
        for (int c = 0; c < CX_N_LABELS; c++)
            if (!strcmp(csv_get(tf, k, col(tf, "label")), CX_LABELS[c])) label = c;
        assert_true(label >= 0);
        int any = 0;
        for (int i = 0; i < S * S; i++) any |= (p.truth[row * S * S + i] >> label) & 1;
        total++;
        landed += any;
    }
    assert_true(total > 0);
    assert_int_equal(landed, total);
    csv_table_free(tf);

    // summary.json agrees with the pack
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", g_ref);
    json_error_t je;
    json_t *js = json_load_file(path, 0, &je);
    assert_non_null(js);
    assert_int_equal(json_integer_value(json_object_get(js, "images")), p.n);
    assert_int_equal(json_integer_value(json_object_get(js, "images_with_gaze")), p.n_gaze);
    assert_int_equal(json_integer_value(json_object_get(js, "skipped_images")), 0);
    assert_non_null(json_object_get(js, "size_differs_from_metadata"));
    assert_int_equal(json_integer_value(json_object_get(js, "size_differs_from_metadata")), 0);
    json_t *egd = json_object_get(js, "egd");
    assert_int_equal(json_integer_value(json_object_get(egd, "test_patients")), egd_test);
    assert_int_equal(json_integer_value(json_object_get(egd, "images_without_fixations")), 0);
    assert_int_equal(json_integer_value(json_object_get(egd, "fixations_disagreeing_with_fpog")), 0);
    for (int s = 0; s < CX_N_SPLITS; s++) {
        int64_t cnt = 0;
        for (int64_t i = 0; i < p.n; i++) cnt += p.split[i] == s;
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(js, "images_per_split"), CX_SPLITS[s])),
            cnt);
    }
    json_decref(js);
    pack_close(&p);
}

// The other flags of --help, each observed in the pack: --views all, --labeler negbio,
// --uncertain ignore / ones, --gaze-weight duration, --gaze-sigma, --gaze-test-fraction, --seed.
static void flags_change_the_pack(void **state) {
    (void)state;
    char errf[4096], out[4096];
    snprintf(errf, sizeof errf, "%s", test_out_path("sp_flags.err"));
    snprintf(out, sizeof out, "%s", test_out_path("sp_flags_DATA"));
    char line[8400];
    snprintf(line, sizeof line, "%s prepare --help > %s", cxrgaze(), errf); // help on stdout
    assert_int_equal(system(line), 0);
    char *help = slurp(errf);
    static const char *const flags[] = {"--mimic", "--egd", "--images", "--truth", "--out",
                                        "--size", "--gaze-test-fraction", "--uncertain",
                                        "--labeler", "--views", "--seed", "--gaze-sigma",
                                        "--gaze-weight", "--threads", "--quiet", "--help"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        if (!strstr(help, flags[i])) fail_msg("--help does not list %s", flags[i]);
    free(help);

    assert_int_equal(run(errf,
                         "prepare --mimic %s --egd %s --out %s --size 48 --views all --labeler "
                         "negbio --uncertain ignore --gaze-weight duration --gaze-sigma 60 "
                         "--gaze-test-fraction 1 --seed 2 --quiet --threads 1",
                         g_mimic, g_egd, out),
                     0);
    pack p;
    cx_error err = {0};
    assert_int_equal(pack_open(&p, out, &err), 0);
    assert_null(p.truth); // no --truth
    int64_t n = check_rows_and_labels(&p, 1, "mimic-cxr-2.0.0-negbio.csv.gz", "ignore");
    assert_int_equal(n, 40); // all views
    int lateral = 0, masked = 0;
    for (int64_t i = 0; i < p.n; i++) lateral += !strcmp(p.view[i], "LATERAL") || !strcmp(p.view[i], "LL");
    for (int64_t i = 0; i < p.n * CX_N_LABELS; i++) masked += !p.label_mask[i];
    assert_true(lateral > 0);
    assert_true(masked > 0); // some uncertain labels masked out
    check_gaze(&p, 60.0, GAZE_WEIGHT_DURATION);
    check_splits(&p, 1.0);
    for (int64_t i = 0; i < p.n; i++)
        if (p.gaze_row[i] >= 0) assert_int_equal(p.split[i], SPLIT_TEST);
    assert_string_equal(st_meta(&p.st, "labeler"), "negbio");
    assert_string_equal(st_meta(&p.st, "views"), "all");
    assert_string_equal(st_meta(&p.st, "uncertain"), "ignore");
    assert_string_equal(st_meta(&p.st, "gaze_weight"), "duration");
    assert_string_equal(st_meta(&p.st, "gaze_sigma_px"), "60");
    assert_string_equal(st_meta(&p.st, "seed"), "2");
    // duration weighting and sigma 60 really change the maps: far from count weighting at
    // sigma 150 (the defaults), recomputed here at the same size
    {
        const int SS = 48 * 48;
        float *h150 = malloc(SS * sizeof *h150);
        uint8_t *fm = malloc(SS);
        csv_table *fx = tree_table(g_egd, "fixations.csv");
        char path[8400];
        int64_t row = -1;
        for (int64_t i = 0; i < p.n && row < 0; i++)
            if (p.gaze_row[i] >= 0) row = i;
        image_path(path, sizeof path, &p, row);
        expected_gaze(fx, p.dicom_id[row], path, 48, 150.0, GAZE_WEIGHT_COUNT, h150, fm);
        double diff = 0;
        for (int k = 0; k < SS; k++)
            diff = fmax(diff, fabs(h150[k] - p.gaze[(int64_t)p.gaze_row[row] * SS + k]));
        assert_true(diff > 0.05);
        csv_table_free(fx);
        free(h150);
        free(fm);
    }
    pack_close(&p);

    // --uncertain ones; --gaze-test-fraction 0.5 gives round(0.5 n) EGD test patients
    assert_int_equal(run(errf,
                         "prepare --mimic %s --egd %s --out %s --size 16 --uncertain ones "
                         "--gaze-test-fraction 0.5 --seed 11 --quiet",
                         g_mimic, g_egd, out),
                     0);
    assert_int_equal(pack_open(&p, out, &err), 0);
    check_rows_and_labels(&p, 0, "mimic-cxr-2.0.0-chexpert.csv.gz", "ones");
    check_splits(&p, 0.5);
    pack_close(&p);

    // usage errors: exit 2 naming the flag
    static const char *const bad[][2] = {
        {"--uncertain maybe", "--uncertain"}, {"--labeler chexbert", "--labeler"},
        {"--views lateral", "--views"},       {"--gaze-weight time", "--gaze-weight"},
        {"--size 3", "--size"},               {"--gaze-sigma 0", "--gaze-sigma"},
        {"--gaze-test-fraction 2", "--gaze-test-fraction"}, {"--bogus", "--bogus"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(run(errf, "prepare --mimic %s --out %s %s", g_mimic, out, bad[i][0]), 2);
        err_has(errf, bad[i][1], NULL);
    }
    assert_int_equal(run(errf, "prepare --mimic %s", g_mimic), 2);
    err_has(errf, "--out", NULL);
    assert_int_equal(run(errf, "prepare --egd %s --out %s", g_egd, out), 2);
    err_has(errf, "--mimic", NULL);
}

// Real radiographs through --images: a folder (NIH PNGs, one of them RGBA) and a list file
// (Montgomery JPEGs); pixels agree with Pillow within 1 grey level (io's documented tolerance).
static void real_radiographs(void **state) {
    (void)state;
    char errf[4096], out[4096], list[4096];
    snprintf(errf, sizeof errf, "%s", test_out_path("sp_real.err"));
    snprintf(out, sizeof out, "%s", test_out_path("sp_real_DATA"));
    snprintf(list, sizeof list, "%s", test_out_path("sp_real_list.txt"));
    char nih[4096], mcu[4096];
    if (!realpath(real_data_path("nih"), nih) || !realpath(real_data_path("montgomery"), mcu))
        fail_msg("real radiographs not found under tests/fixtures/real");
    assert_int_equal(run(errf, "prepare --images %s --out %s --size 224 --quiet", nih, out), 0);
    pack p;
    cx_error err = {0};
    assert_int_equal(pack_open(&p, out, &err), 0);
    assert_int_equal(p.n, 4); // the folder's labels.csv is not an image
    assert_int_equal(p.n_gaze, 0);
    static const char *const ids[4] = {"00000001_000.png", "00002578_000.png", "00004296_000.png",
                                       "00027426_000.png"};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(p.dicom_id[i], ids[i]);
        assert_int_equal(p.split[i], SPLIT_TEST);
        for (int c = 0; c < CX_N_LABELS; c++) assert_int_equal(p.label_mask[i * CX_N_LABELS + c], 0);
    }
    static const char *const fix[2] = {"resize_nih1_224.png", "resize_nih2578_224.png"};
    for (int i = 0; i < 2; i++) { // row 1 is the RGBA PNG (convert('L') then resize)
        img_gray r;
        assert_int_equal(img_load_gray(fixture_path(fix[i]), 0, &r, &err), 0);
        int d = 0;
        for (int k = 0; k < 224 * 224; k++) {
            int dk = abs(p.images[i * 224 * 224 + k] - r.px[k]);
            if (dk > d) d = dk;
        }
        if (d > 1) fail_msg("%s: max abs diff %d vs Pillow", ids[i], d);
        img_gray_free(&r);
    }
    pack_close(&p);

    FILE *f = fopen(list, "w");
    assert_non_null(f);
    fprintf(f, "# Montgomery radiographs (the lung masks beside them are not images to pack)\n\n"
               "%s/MCU_1.jpg\n%s/MCU_2.jpg\n  %s/MCU_3.jpg  \n",
            mcu, mcu, mcu);
    fclose(f);
    assert_int_equal(run(errf, "prepare --images %s --out %s --size 224 --quiet", list, out), 0);
    assert_int_equal(pack_open(&p, out, &err), 0);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.dicom_id[2], "MCU_3.jpg");
    img_gray r;
    assert_int_equal(img_load_gray(fixture_path("resize_mcu1_draft224.png"), 0, &r, &err), 0);
    int d = 0;
    for (int k = 0; k < 224 * 224; k++) {
        int dk = abs(p.images[k] - r.px[k]);
        if (dk > d) d = dk;
    }
    if (d > 1) fail_msg("MCU_1.jpg: max abs diff %d vs Pillow draft+resize", d);
    img_gray_free(&r);
    pack_close(&p);
    // a list naming a missing file: the image is skipped and named, the others packed
    f = fopen(list, "w");
    fprintf(f, "%s/MCU_1.jpg\n%s/MCU_9.jpg\n", mcu, mcu);
    fclose(f);
    assert_int_equal(run(errf, "prepare --images %s --out %s --size 32", list, out), 0);
    err_has(errf, "MCU_9.jpg", NULL);
    assert_int_equal(pack_open(&p, out, &err), 0);
    assert_int_equal(p.n, 1);
    pack_close(&p);
}

// Copies one synth table to dst (plain CSV), without column `drop` (NULL: none), and with the
// cell (row, column `bad_col`) replaced by bad_val when bad_col is given.
static void copy_table(const char *src, const char *dst, const char *drop, int64_t bad_row,
                       const char *bad_col, const char *bad_val) {
    cx_error err = {0};
    csv_table *t = csv_table_read(src, &err);
    if (!t) fail_msg("%s", err.msg);
    csv_writer *w = csv_writer_open(dst, &err);
    assert_non_null(w);
    int dc = drop ? col(t, drop) : -1, bc = bad_col ? col(t, bad_col) : -1;
    for (int c = 0; c < csv_ncols(t); c++)
        if (c != dc) csv_writer_field(w, csv_colname(t, c));
    csv_writer_end_row(w);
    for (int64_t r = 0; r < csv_nrows(t); r++) {
        for (int c = 0; c < csv_ncols(t); c++)
            if (c != dc) csv_writer_field(w, r == bad_row && c == bc ? bad_val : csv_get(t, r, c));
        csv_writer_end_row(w);
    }
    assert_int_equal(csv_writer_commit(w, &err), 0);
    csv_table_free(t);
}

static const char *const mimic_tables[4] = {"metadata", "split", "chexpert", "negbio"};

// A copy of the MIMIC and EGD tables under root (images and masks linked, not copied).
static void copy_trees(const char *root, char *mimic, char *egd) {
    sprintf(mimic, "%s/mimic-cxr-jpg", root);
    sprintf(egd, "%s/egd-cxr", root);
    rm_tree(root);
    cx_mkdir_p(mimic, NULL);
    cx_mkdir_p(egd, NULL);
    char a[8400], b[8400], abs_src[4096];
    for (int i = 0; i < 4; i++) {
        snprintf(a, sizeof a, "%s/mimic-cxr-2.0.0-%s.csv.gz", g_mimic, mimic_tables[i]);
        snprintf(b, sizeof b, "%s/mimic-cxr-2.0.0-%s.csv", mimic, mimic_tables[i]);
        copy_table(a, b, NULL, -1, NULL, NULL);
    }
    static const char *const egd_tables[2] = {"master_sheet.csv", "fixations.csv"};
    for (int i = 0; i < 2; i++) {
        snprintf(a, sizeof a, "%s/%s", g_egd, egd_tables[i]);
        snprintf(b, sizeof b, "%s/%s", egd, egd_tables[i]);
        copy_table(a, b, NULL, -1, NULL, NULL);
    }
    assert_non_null(realpath(g_mimic, abs_src));
    snprintf(a, sizeof a, "%s/files", abs_src);
    snprintf(b, sizeof b, "%s/files", mimic);
    assert_int_equal(symlink(a, b), 0);
    assert_non_null(realpath(g_egd, abs_src));
    snprintf(a, sizeof a, "%s/audio_segmentation_transcripts", abs_src);
    snprintf(b, sizeof b, "%s/audio_segmentation_transcripts", egd);
    assert_int_equal(symlink(a, b), 0);
}

// Bad tables: exit 1, the message names the file and the column (and the line for a bad cell),
// and no pack (nor a half-written one) is left; an existing pack survives a failed run.
static void bad_input_exit_1(void **state) {
    (void)state;
    char errf[4096], root[4096], out[4096], mimic[4200], egd[4200], t[8400], src[8400];
    snprintf(errf, sizeof errf, "%s", test_out_path("sp_bad.err"));
    snprintf(root, sizeof root, "%s", test_out_path("sp_bad_tree"));
    snprintf(out, sizeof out, "%s", test_out_path("sp_bad_DATA"));
    copy_trees(root, mimic, egd);
    rm_tree(out);
    // the faithful copy packs (so each failure below is the edit's doing)
    const char *cmd = "prepare --mimic %s --egd %s --out %s --size 16 --quiet";
    assert_int_equal(run(errf, cmd, mimic, egd, out), 0);
    pack p;
    cx_error err = {0};
    assert_int_equal(pack_open(&p, out, &err), 0);
    int64_t n_good = p.n;
    pack_close(&p);
    rm_tree(out);

    // The first fixations row of a real image (the file starts with calibration screens, whose
    // rows are ignored whatever they hold): a bad cell there must be reported at its line.
    int64_t first_image_fix = -1;
    {
        snprintf(src, sizeof src, "%s/fixations.csv", g_egd);
        csv_table *fx = csv_table_read(src, &err);
        assert_non_null(fx);
        for (int64_t r = 0; r < csv_nrows(fx) && first_image_fix < 0; r++)
            if (strlen(csv_get(fx, r, col(fx, "DICOM_ID"))) == 44) first_image_fix = r;
        assert_true(first_image_fix >= 0);
        csv_table_free(fx);
    }
    char fix_line[64];
    snprintf(fix_line, sizeof fix_line, "fixations.csv:%lld", (long long)first_image_fix + 2);
    struct {
        const char *file, *src, *drop, *bad_col, *bad_val, *want1, *want2;
    } cases[] = {
        {"mimic-cxr-2.0.0-metadata.csv", NULL, "ViewPosition", NULL, NULL,
         "mimic-cxr-2.0.0-metadata.csv", "ViewPosition"},
        {"mimic-cxr-2.0.0-chexpert.csv", NULL, "Pleural Effusion", NULL, NULL,
         "mimic-cxr-2.0.0-chexpert.csv", "Pleural Effusion"},
        {"mimic-cxr-2.0.0-split.csv", NULL, "split", NULL, NULL, "mimic-cxr-2.0.0-split.csv",
         "split"},
        {"mimic-cxr-2.0.0-chexpert.csv", NULL, NULL, "Edema", "2", "mimic-cxr-2.0.0-chexpert.csv:4",
         "'Edema'"},
        {"mimic-cxr-2.0.0-metadata.csv", NULL, NULL, "subject_id", "1x000001",
         "mimic-cxr-2.0.0-metadata.csv:4", "subject_id"},
        {"fixations.csv", NULL, "Y_ORIGINAL", NULL, NULL, "fixations.csv", "Y_ORIGINAL"},
        {"fixations.csv", NULL, NULL, "X_ORIGINAL", "12.5", fix_line, "X_ORIGINAL"},
        {"master_sheet.csv", NULL, "image_left_pad", NULL, NULL, "master_sheet.csv",
         "image_left_pad"},
        {"master_sheet.csv", NULL, "pneumonia__chx", NULL, NULL, "master_sheet.csv",
         "pneumonia__chx"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int is_egd = !strncmp(cases[i].file, "fix", 3) || !strncmp(cases[i].file, "master", 6);
        snprintf(t, sizeof t, "%s/%s", is_egd ? egd : mimic, cases[i].file);
        if (is_egd) snprintf(src, sizeof src, "%s/%s", g_egd, cases[i].file);
        else snprintf(src, sizeof src, "%s/%s.gz", g_mimic, cases[i].file);
        // data row 2 starts on line 4 (bad cells go only into tables without multi-line fields)
        int64_t row = strcmp(cases[i].file, "fixations.csv") ? 2 : first_image_fix;
        copy_table(src, t, cases[i].drop, row, cases[i].bad_col, cases[i].bad_val);
        assert_int_equal(run(errf, cmd, mimic, egd, out), 1);
        err_has(errf, cases[i].want1, cases[i].want2);
        assert_no_pack_left(out);
        copy_table(src, t, NULL, -1, NULL, NULL); // restore
    }
    // a missing table is named
    snprintf(t, sizeof t, "%s/mimic-cxr-2.0.0-negbio.csv", mimic);
    remove(t);
    assert_int_equal(run(errf, "prepare --mimic %s --labeler negbio --out %s", mimic, out), 1);
    err_has(errf, "mimic-cxr-2.0.0-negbio.csv", NULL);
    assert_no_pack_left(out);
    snprintf(t, sizeof t, "%s/fixations.csv", egd);
    remove(t);
    assert_int_equal(run(errf, cmd, mimic, egd, out), 1);
    err_has(errf, "fixations.csv", NULL);
    assert_no_pack_left(out);
    copy_trees(root, mimic, egd);

    // an existing pack survives a failed run untouched
    assert_int_equal(run(errf, cmd, mimic, egd, out), 0);
    snprintf(t, sizeof t, "%s/mimic-cxr-2.0.0-metadata.csv", mimic);
    snprintf(src, sizeof src, "%s/mimic-cxr-2.0.0-metadata.csv.gz", g_mimic);
    copy_table(src, t, "Rows", -1, NULL, NULL);
    assert_int_equal(run(errf, cmd, mimic, egd, out), 1);
    err_has(errf, "metadata.csv", "Rows");
    assert_int_equal(pack_open(&p, out, &err), 0);
    assert_int_equal(p.n, n_good);
    pack_close(&p);
    // --out naming a folder that is not a pack: refused before any work, folder untouched
    snprintf(t, sizeof t, "%s/keep.txt", root);
    FILE *f = fopen(t, "w");
    fputs("precious", f);
    fclose(f);
    assert_int_equal(run(errf, "prepare --mimic %s --out %s", g_mimic, root), 1);
    err_has(errf, "not replacing", NULL);
    assert_true(cx_path_exists(t));
    rm_tree(out);
}

// SIGKILL at several moments of a run: whatever is at --out afterwards is either nothing or the
// complete pack (identical to an uninterrupted run's); the next run clears the leftovers.
static void killed_prepare_leaves_no_partial_pack(void **state) {
    (void)state;
    char errf[4096], out[4096], args[16384];
    snprintf(errf, sizeof errf, "%s", test_out_path("sp_kill.err"));
    snprintf(out, sizeof out, "%s", test_out_path("sp_kill_DATA"));
    snprintf(args, sizeof args,
             "prepare --mimic %s --egd %s --truth %s --out %s --size %d --seed 9 --quiet "
             "--threads 2",
             g_mimic, g_egd, g_truth, out, S);
    rm_tree(out);
    pack ref;
    cx_error err = {0};
    assert_int_equal(pack_open(&ref, g_ref, &err), 0); // round_trip's pack, same arguments
    double t0 = cx_now_s();
    int st;
    pid_t pid = spawn(args, errf);
    waitpid(pid, &st, 0);
    double full = cx_now_s() - t0;
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    int complete = 0, absent = 0;
    enum { KILLS = 12 }; // at once, then spread over 30%..110% of a run (the write is last)
    for (int k = 0; k < KILLS; k++) {
        rm_tree(out);
        pid = spawn(args, errf);
        usleep((useconds_t)(k ? full * 1e6 * (0.3 + 0.8 * (k - 1) / (KILLS - 2)) : 0));
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        if (!cx_path_exists(out)) {
            absent++;
            continue;
        }
        pack p;
        if (pack_open(&p, out, &err)) fail_msg("kill %d left a partial pack: %s", k, err.msg);
        assert_int_equal(p.n, ref.n);
        assert_memory_equal(p.images, ref.images, (size_t)ref.n * S * S);
        assert_memory_equal(p.gaze, ref.gaze, (size_t)ref.n_gaze * S * S * sizeof(float));
        pack_close(&p);
        complete++;
    }
    assert_int_equal(complete + absent, KILLS);
    print_message("killed runs: %d left nothing, %d the complete pack\n", absent, complete);
    assert_true(absent >= 1); // killed at once: nothing
    // a finished run afterwards removes the dead runs' temporaries
    assert_int_equal(run(errf, "%s", args), 0);
    rm_tree(out);
    assert_no_pack_left(out);
    pack_close(&ref);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(flags_change_the_pack),
        cmocka_unit_test(real_radiographs),
        cmocka_unit_test(bad_input_exit_1),
        cmocka_unit_test(killed_prepare_leaves_no_partial_pack),
    };
    return cmocka_run_group_tests_name("cli/synth_prepare", tests, group_setup, NULL);
}
