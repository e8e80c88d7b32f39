// data/prepare: the whole pipeline on a hand-written MIMIC + EGD tree with real JPEG/PNG files:
// selection, a corrupt image skipped and named, EGD rows attached (one from master_sheet only),
// whole-patient splits, images/gaze/regions/truth at S x S where the geometry says, --images.
#include <jansson.h>

#include "tiny_trees.h"

#include "data/data.h"

enum { S = 32 };

// A gradient + checker pattern, so that a wrong crop or flip changes the pixels.
static void write_image(const char *path, int w, int h, int jpeg) {
    uint8_t *px = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            px[y * w + x] = (uint8_t)((x * 200) / w + ((x / 16 + y / 16) % 2) * 40 + y % 7);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = 0;
    cx_mkdir_p(dir, NULL);
    cx_error err = {0};
    int rc = jpeg ? img_write_jpeg_gray(path, px, w, h, 95, &err)
                  : img_write_png(path, px, w, h, 1, &err);
    assert_int_equal(rc, 0);
    free(px);
}

// A 0/255 mask with one rectangle [x0,x1) x [y0,y1).
static void write_rect_mask(const char *path, int w, int h, int x0, int y0, int x1, int y1) {
    uint8_t *px = calloc((size_t)w * h, 1);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) px[y * w + x] = 255;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = 0;
    cx_mkdir_p(dir, NULL);
    cx_error err = {0};
    assert_int_equal(img_write_png(path, px, w, h, 1, &err), 0);
    free(px);
}

// FPOGX/FPOGY that the dataset's formula maps back to pixel (x, y).
static void fpog_for(int x, int y, int w, int h, int t, int b, int l, int r, double *fx,
                     double *fy) {
    *fx = (l + (x + 0.5) * (1920.0 - l - r) / w) / 1920.0;
    *fy = (t + (y + 0.5) * (1080.0 - t - b) / h) / 1080.0;
}

typedef struct tree {
    char root[4096], mimic[4200], egd[4200], truth[4200], plain[4200];
} tree;

static void build_tree(tree *t) {
    snprintf(t->root, sizeof t->root, "%s", test_out_path("prep_tree"));
    snprintf(t->mimic, sizeof t->mimic, "%s/mimic", t->root);
    snprintf(t->egd, sizeof t->egd, "%s/egd", t->root);
    snprintf(t->truth, sizeof t->truth, "%s/truth", t->root);
    snprintf(t->plain, sizeof t->plain, "%s/plain", t->root);
    rm_tree(t->root); // no file of an earlier run (e.g. failures_leave_no_pack's c.png) stays
    write_text(tree_path(t->mimic, "mimic-cxr-2.0.0-metadata.csv"),
               MIMIC_META_HEADER "d1,10000001,50000001,,PA,240,200,,,,,\n"
                                 "d3,10000002,50000002,,AP,201,240,,,,,\n"
                                 "d7,10000006,50000006,,PA,100,100,,,,,\n"
                                 "d8,10000001,50000011,,LATERAL,100,100,,,,,\n");
    write_text(tree_path(t->mimic, "mimic-cxr-2.0.0-split.csv"),
               "dicom_id,study_id,subject_id,split\nd1,50000001,10000001,validate\n"
               "d3,50000002,10000002,test\nd7,50000006,10000006,train\n"
               "d8,50000011,10000001,validate\n");
    write_gz(tree_path(t->mimic, "mimic-cxr-2.0.0-chexpert.csv.gz"),
             CHEXPERT_HEADER "10000001,50000001,1.0,,,,,,,,,1.0,,,,\n"
                             "10000002,50000002,,1.0,,,,,,,,,,-1.0,,\n"
                             "10000006,50000006,,,,,,,,,1.0,,,,,\n"
                             "10000001,50000011,,,,,,,,,1.0,,,,,\n");
    write_image(tree_path(t->mimic, "files/p10/p10000001/s50000001/d1.jpg"), 200, 240, 1);
    write_image(tree_path(t->mimic, "files/p10/p10000002/s50000002/d3.jpg"), 240, 200, 1);
    write_image(tree_path(t->mimic, "files/p10/p10000009/s50000009/e2.jpg"), 160, 160, 1);
    // d7: a JPEG cut in half
    const char *d7 = tree_path(t->mimic, "files/p10/p10000006/s50000006/d7.jpg");
    write_image(d7, 100, 100, 1);
    char *bytes;
    size_t n;
    assert_int_equal(cx_read_file(d7, &bytes, &n, NULL), 0);
    FILE *f = fopen(d7, "wb");
    fwrite(bytes, 1, n / 2, f);
    fclose(f);
    free(bytes);

    // EGD: d1 (portrait 200x240 shown 900x1080: pads 0/0/510/510) and e2 (160x160 shown
    // 1024x1024: pads 28/28/448/448), which is not in the MIMIC tables.
    char m1[2048], m2[2048], buf[16384], r[8][512];
    master_row(m1, sizeof m1, "d1", "10000001", "50000001", 0, 0, 510, 510,
               "1,0,0,0,0,0,0,0,0,0,0,0,0,0");
    master_row(m2, sizeof m2, "e2", "10000009", "50000009", 28, 28, 448, 448,
               "0,1,0,0,0,0,0,0,0,0,0,-1.0,0,0");
    snprintf(buf, sizeof buf, "%s%s%s", EGD_MASTER_HEADER, m1, m2);
    write_text(tree_path(t->egd, "master_sheet.csv"), buf);
    double fx, fy;
    fpog_for(50, 60, 200, 240, 0, 0, 510, 510, &fx, &fy);
    fix_row(r[0], sizeof r[0], "d1", fx, fy, 0.3, "50", "60");
    fpog_for(150, 200, 200, 240, 0, 0, 510, 510, &fx, &fy);
    fix_row(r[1], sizeof r[1], "d1", fx, fy, 0.6, "150", "200");
    fix_row(r[2], sizeof r[2], "d1", 0.1, 0.1, 0.2, "-1", "-2");
    fix_row(r[3], sizeof r[3], "d1ab", 0.5, 0.5, 0.2, "-1", "-1"); // calibration screen
    fpog_for(80, 80, 160, 160, 28, 28, 448, 448, &fx, &fy);
    fix_row(r[4], sizeof r[4], "e2", fx, fy, 0.4, "80", "80");
    fix_row(r[5], sizeof r[5], "e2", fx, fy, 0.4, "10", "150"); // disagrees with its FPOG
    snprintf(buf, sizeof buf, "%s%s%s%s%s%s%s", FIX_HEADER, r[0], r[1], r[2], r[3], r[4], r[5]);
    write_text(tree_path(t->egd, "fixations.csv"), buf);
    write_rect_mask(tree_path(t->egd, "audio_segmentation_transcripts/d1/right_lung.png"), 200,
                    240, 20, 40, 100, 200);
    write_rect_mask(tree_path(t->egd, "audio_segmentation_transcripts/d1/left_lung.png"), 200,
                    240, 110, 40, 190, 200);
    write_rect_mask(tree_path(t->egd, "audio_segmentation_transcripts/d1/aortic_knob.png"), 200,
                    240, 0, 0, 0, 0);
    // truth: a box on d1 (Pleural Effusion), a mask on d3 (label by index: 11 = Pneumonia)
    write_text(tree_path(t->truth, "findings.csv"),
               "dicom_id,label,x0,y0,x1,y1,mask\nd1,Pleural Effusion,20,40,100,200,\n"
               "d3,11,0,0,0,0,masks/d3_0.png\n");
    write_rect_mask(tree_path(t->truth, "masks/d3_0.png"), 240, 200, 120, 0, 240, 100);
    // plain folder: two radiographs and a file that is not an image
    write_image(tree_path(t->plain, "b.jpg"), 64, 80, 1);
    write_image(tree_path(t->plain, "a.png"), 80, 64, 0);
    write_text(tree_path(t->plain, "notes.txt"), "not an image");
}

static void full_pipeline(void **state) {
    (void)state;
    tree t;
    build_tree(&t);
    char out[4200];
    snprintf(out, sizeof out, "%s/DATA", t.root);
    prepare_opts o;
    prepare_opts_default(&o);
    o.mimic_dir = t.mimic;
    o.egd_dir = t.egd;
    o.truth_dir = t.truth;
    o.images = t.plain;
    o.out_dir = out;
    o.size = S;
    o.gaze_test_fraction = 0.5;
    o.seed = 3;
    o.gaze_sigma_px = 20;
    o.progress = 0;
    prepare_summary s;
    cx_error err = {0};
    assert_int_equal(data_prepare(&o, &s, &err), 0);
    // selection and counts
    assert_int_equal(s.n_images, 5); // d1 d3 e2 a.png b.jpg (d7 corrupt, d8 lateral)
    assert_int_equal(s.skipped_images, 1);
    assert_non_null(strstr(s.skipped[0], "d7.jpg"));
    assert_int_equal(s.mimic.not_frontal, 1);
    assert_int_equal(s.egd_not_in_mimic, 1);
    assert_int_equal(s.n_gaze, 2);
    assert_int_equal(s.egd.calibration_rows, 1);
    assert_int_equal(s.egd.invalid_rows, 1);
    assert_int_equal(s.fix_mismatch, 1);
    assert_int_equal(s.egd_test_patients, 1);
    assert_int_equal(s.regions_missing[REGION_MEDIASTINUM], 2);
    assert_int_equal(s.regions_missing[REGION_RIGHT_LUNG], 1);
    assert_int_equal(s.truth_findings, 2);
    assert_int_equal(s.size_mismatch, 1); // d3: metadata says 240x201, the JPEG is 240x200

    pack p;
    assert_int_equal(pack_open(&p, out, &err), 0);
    assert_int_equal(p.n, 5);
    assert_int_equal(p.size, S);
    const char *ids[5] = {"d1", "d3", "e2", "a.png", "b.jpg"};
    for (int i = 0; i < 5; i++) assert_string_equal(p.dicom_id[i], ids[i]);
    assert_string_equal(p.subject_id[2], "10000009");
    // splits: d3 keeps its official test; the two EGD patients go one to test, one to train
    assert_int_equal(p.split[1], SPLIT_TEST);
    assert_true(p.split[0] != p.split[2]);
    assert_true(p.split[0] != SPLIT_VALIDATE && p.split[2] != SPLIT_VALIDATE);
    assert_int_equal(p.split[3], SPLIT_TEST);
    // labels: d1 from chexpert (Atelectasis, Pleural Effusion); e2 from master_sheet *__chx
    assert_true(p.labels[0 * 14 + 0] == 1 && p.labels[0 * 14 + 9] == 1 && p.labels[0 * 14 + 8] == 0);
    assert_true(p.labels[2 * 14 + 1] == 1 && p.labels[2 * 14 + 11] == 0);
    for (int c = 0; c < 14; c++) assert_int_equal(p.label_mask[3 * 14 + c], 0); // plain image
    // images: exactly io's decode + fit of the file
    const char *paths[5] = {tree_path(t.mimic, "files/p10/p10000001/s50000001/d1.jpg"),
                            tree_path(t.mimic, "files/p10/p10000002/s50000002/d3.jpg"),
                            tree_path(t.mimic, "files/p10/p10000009/s50000009/e2.jpg"),
                            tree_path(t.plain, "a.png"), tree_path(t.plain, "b.jpg")};
    uint8_t want[S * S];
    for (int i = 0; i < 5; i++) {
        img_fit_geom g;
        assert_int_equal(img_load_fit(paths[i], S, want, &g, &err), 0);
        assert_memory_equal(p.images + i * S * S, want, sizeof want);
    }
    // gaze: d1 row 0, e2 row 1, d3 none
    assert_int_equal(p.gaze_row[0], 0);
    assert_int_equal(p.gaze_row[1], -1);
    assert_int_equal(p.gaze_row[2], 1);
    img_fit_geom g1;
    img_fit_geom_init(&g1, 200, 240, S); // 32 x 38, crop_y 3, scale 0.16
    egd_fixation fx[2] = {{.x = 50, .y = 60}, {.x = 150, .y = 200}};
    float heat[S * S];
    uint8_t fmap[S * S];
    gaze_heatmap(heat, fmap, fx, 2, &g1, 20, GAZE_WEIGHT_COUNT);
    assert_memory_equal(p.gaze, heat, sizeof heat);
    assert_memory_equal(p.fixations, fmap, sizeof fmap);
    // fixation (50,60) -> target (8.08, 9.68-3) -> pixel (8, 6)
    assert_int_equal(p.fixations[6 * S + 8], 1);
    // regions of d1: right lung rectangle x [20,100) y [40,200) -> target x [3.2,16) y [3.4,29)
    const uint8_t *rl = p.regions + (0 * 4 + REGION_RIGHT_LUNG) * S * S;
    for (int v = 0; v < S; v++)
        for (int u = 0; u < S; u++) {
            int inside = u >= 4 && u <= 15 && v >= 4 && v <= 28;
            int outside = u <= 2 || u >= 17 || v <= 2 || v >= 30;
            if (inside) assert_int_equal(rl[v * S + u], 1);
            if (outside) assert_int_equal(rl[v * S + u], 0);
        }
    const uint8_t want_present[8] = {1, 1, 1, 0, 0, 0, 0, 0};
    assert_memory_equal(p.region_present, want_present, 8);
    // truth: d1's box -> bit 9 inside the same rectangle; d3's mask -> bit 11 (240x200 -> 38x32,
    // crop_x 3: mask x [120,240) y [0,100) -> target x [16,35) y [0,16))
    assert_non_null(p.truth);
    assert_int_equal(p.truth[0 * S * S + 10 * S + 10], 1u << 9);
    assert_int_equal(p.truth[0 * S * S + 1 * S + 1], 0);
    assert_int_equal(p.truth[1 * S * S + 5 * S + 20], 1u << 11);
    assert_int_equal(p.truth[1 * S * S + 20 * S + 20], 0);
    assert_int_equal(p.truth[1 * S * S + 5 * S + 10], 0);
    pack_close(&p);

    // summary.json agrees
    json_error_t je;
    json_t *js = json_load_file(tree_path(out, "summary.json"), 0, &je);
    assert_non_null(js);
    assert_int_equal(json_integer_value(json_object_get(js, "images")), 5);
    assert_int_equal(json_integer_value(json_object_get(js, "skipped_images")), 1);
    json_t *sk = json_array_get(json_object_get(js, "skipped"), 0);
    assert_non_null(strstr(json_string_value(json_object_get(sk, "path")), "d7.jpg"));
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(js, "positives_per_label"), "Pleural Effusion")),
                     1);
    json_decref(js);
}

static void failures_leave_no_pack(void **state) {
    (void)state;
    tree t;
    build_tree(&t);
    char out[4200];
    snprintf(out, sizeof out, "%s/DATA_FAIL", t.root);
    prepare_opts o;
    prepare_opts_default(&o);
    o.mimic_dir = t.mimic;
    o.out_dir = out;
    o.size = S;
    o.progress = 0;
    prepare_summary s;
    cx_error err = {0};
    // a missing table: the error names it, nothing is written
    char moved[4200];
    snprintf(moved, sizeof moved, "%s.bak", tree_path(t.mimic, "mimic-cxr-2.0.0-split.csv"));
    rename(tree_path(t.mimic, "mimic-cxr-2.0.0-split.csv"), moved);
    assert_int_equal(data_prepare(&o, &s, &err), -1);
    assert_non_null(strstr(err.msg, "mimic-cxr-2.0.0-split.csv"));
    assert_false(cx_path_exists(out));
    rename(moved, tree_path(t.mimic, "mimic-cxr-2.0.0-split.csv"));
    // only unreadable images: nothing usable, an error
    write_text(tree_path(t.plain, "c.png"), "this is not a PNG");
    prepare_opts o2;
    prepare_opts_default(&o2);
    char list[4200];
    snprintf(list, sizeof list, "%s/list.txt", t.root);
    write_text(list, "# one broken file\n\nplain/c.png\n");
    o2.images = list;
    o2.out_dir = out;
    o2.size = S;
    o2.progress = 0;
    assert_int_equal(data_prepare(&o2, &s, &err), -1);
    assert_non_null(strstr(err.msg, "c.png"));
    assert_false(cx_path_exists(out));
    // a list naming a non-image
    write_text(list, "plain/notes.txt\n");
    assert_int_equal(data_prepare(&o2, &s, &err), -1);
    assert_non_null(strstr(err.msg, "list.txt:1"));
    // bad options
    o2.size = 3;
    assert_int_equal(data_prepare(&o2, &s, &err), -1);
    assert_non_null(strstr(err.msg, "size"));
}

// A pack the disk cannot hold (images + truth at 4096 x 4096, 48 MiB a row, decoded into scratch
// beside DATA and then copied into the pack: 96 MiB a row; rows enough to exceed the free space
// there by a quarter) is refused after the tables, before any scratch is made or any image opened
// (none of these files exists).
static void too_big_for_disk(void **state) {
    (void)state;
    char root[4096];
    snprintf(root, sizeof root, "%s", test_out_path("prep_too_big"));
    rm_tree(root);
    assert_int_equal(cx_mkdir_p(root, NULL), 0);
    uint64_t free_bytes;
    assert_int_equal(cx_disk_free(root, &free_bytes, NULL), 0);
    int64_t rows = (int64_t)(1.25 * (double)free_bytes / (2.0 * 3.0 * 4096 * 4096)) + 16;
    size_t cap = (size_t)rows * 128 + 1024, at = 0, at2 = 0, at3 = 0;
    char *meta = malloc(cap), *split = malloc(cap), *chex = malloc(cap);
    at += (size_t)snprintf(meta, cap, MIMIC_META_HEADER);
    at2 += (size_t)snprintf(split, cap, "dicom_id,study_id,subject_id,split\n");
    at3 += (size_t)snprintf(chex, cap, CHEXPERT_HEADER);
    for (int64_t r = 0; r < rows; r++) {
        at += (size_t)snprintf(meta + at, cap - at, "m%lld,1%07lld,5%07lld,,PA,,,,,,,\n",
                               (long long)r, (long long)r, (long long)r);
        at2 += (size_t)snprintf(split + at2, cap - at2, "m%lld,5%07lld,1%07lld,train\n",
                                (long long)r, (long long)r, (long long)r);
        at3 += (size_t)snprintf(chex + at3, cap - at3, "1%07lld,5%07lld,,,,,,,,,1,,,,,\n",
                                (long long)r, (long long)r);
    }
    char mimic[4200], truth[4200], out[4200];
    snprintf(mimic, sizeof mimic, "%s/mimic", root);
    snprintf(truth, sizeof truth, "%s/truth", root);
    snprintf(out, sizeof out, "%s/DATA", root);
    write_text(tree_path(mimic, "mimic-cxr-2.0.0-metadata.csv"), meta);
    write_text(tree_path(mimic, "mimic-cxr-2.0.0-split.csv"), split);
    write_text(tree_path(mimic, "mimic-cxr-2.0.0-chexpert.csv"), chex);
    write_text(tree_path(truth, "findings.csv"), "dicom_id,label,x0,y0,x1,y1,mask\n");
    free(meta);
    free(split);
    free(chex);
    prepare_opts o;
    prepare_opts_default(&o);
    o.mimic_dir = mimic;
    o.truth_dir = truth;
    o.out_dir = out;
    o.size = 4096;
    o.progress = 0;
    prepare_summary s;
    cx_error err = {0};
    double t0 = cx_now_s();
    assert_int_equal(data_prepare(&o, &s, &err), -1);
    if (!strstr(err.msg, "GB on disk") || !strstr(err.msg, root) || !strstr(err.msg, "--size"))
        fail_msg("expected the disk space refusal naming %s, got: %s", root, err.msg);
    assert_true(cx_now_s() - t0 < 20); // no decode was attempted
    assert_false(cx_path_exists(out));
    rm_tree(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_pipeline),
        cmocka_unit_test(failures_leave_no_pack),
        cmocka_unit_test(too_big_for_disk),
    };
    return cmocka_run_group_tests_name("data/prepare", tests, NULL, NULL);
}
