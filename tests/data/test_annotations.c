// data/annotations: the three readers (NIH boxes, CheXlocalize polygons and COCO RLE), the label
// map, image matching and rendering, against hand computations, PIL's rasterisation as
// CheXlocalize uses it (tests/ref/annotations_ref.py), a real NIH image and synth's planted truth.
#include <unistd.h>

#include "test.h"

#include "data/data.h"

// Writes a test input; the path stays valid for the next 8 calls.
static const char *write_text(const char *name, const char *text) {
    static char ring[8][4096];
    static int next;
    char *path = ring[next++ % 8];
    snprintf(path, 4096, "%s", test_out_path(name));
    cx_error err;
    if (cx_write_file_atomic(path, text, strlen(text), &err)) fail_msg("%s", err.msg);
    return path;
}

// Runs of a 10 x 8 mask (80 px) and pycocotools' compressed string, encoded by hand:
// runs 10, 5, 60, 2, 3; from the fourth on, each minus the run two before: 2-5 = -3, 3-60 = -57.
// 10 -> ':' (48+10). 5 -> '5'. 60 = 0b1_11100: low group 28 (bit 0x10 set, rest 1 != -1, so
// more) -> 28|32 = 60 -> 'l', then 1 -> '1'. -3: group -3 & 31 = 29, rest -1, sign bit set -> done
// -> 'M'. -57: group 7, rest -2 (more) -> 39 -> 'W'; group -2 & 31 = 30, rest -1 -> 'N'.
static void rle_hand_encoded(void **state) {
    (void)state;
    const int h = 10, w = 8;
    uint32_t *runs;
    int64_t n;
    cx_error err;
    assert_int_equal(annot_rle_from_string(":5l1MWN", h * w, &runs, &n, &err), 0);
    const uint32_t want[5] = {10, 5, 60, 2, 3};
    assert_int_equal(n, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(runs[i], want[i]);
    uint8_t m[80] = {0};
    annot_rle_paint(runs, n, w, h, m);
    // column-major: ones at j = 10..14 (column 1, rows 0..4) and 75..76 (column 7, rows 5..6)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int j = x * h + y;
            assert_int_equal(m[y * w + x], (j >= 10 && j < 15) || (j >= 75 && j < 77));
        }
    char *s = annot_rle_to_string(m, w, h);
    assert_string_equal(s, ":5l1MWN");
    free(s);
    free(runs);
    // a run past the end, a bad character, a truncated group
    assert_int_equal(annot_rle_from_string(":5l1MW", h * w, &runs, &n, &err), -1);
    assert_non_null(strstr(err.msg, "truncated"));
    assert_int_equal(annot_rle_from_string(":5~", h * w, &runs, &n, &err), -1);
    assert_int_equal(annot_rle_from_string("X1", h * w, &runs, &n, &err), -1); // 33 px, not 80
    assert_non_null(strstr(err.msg, "expected h*w = 80"));
}

// CheXlocalize polygons rasterised as PIL does (fixtures from tests/ref/annotations_ref.py):
// pixel for pixel (docs/annotations.md: degenerate or self-intersecting polygons may differ).
static void polygons_match_pil(void **state) {
    (void)state;
    annot_set a;
    cx_error err;
    if (annot_read(fixture_path("annot_polygons.json"), &a, &err)) fail_msg("%s", err.msg);
    assert_string_equal(a.format, "chexlocalize-polygons");
    assert_int_equal(a.n_keys, 1);
    assert_int_equal(a.n, 4);
    assert_int_equal(a.n_labels, CX_N_LABELS + 1); // "Hernia" kept as an extra label
    assert_string_equal(a.labels[CX_N_LABELS], "Hernia");
    // sorted by label: Cardiomegaly (1), Lung Opacity (7) x2, Hernia (14); file order within
    const int want_label[4] = {LB_CARDIOMEGALY, LB_LUNG_OPACITY, LB_LUNG_OPACITY, CX_N_LABELS};
    const int want_file[4] = {2, 0, 1, 3};
    for (int i = 0; i < 4; i++) {
        const annot_shape *s = &a.s[i];
        assert_int_equal(s->label, want_label[i]);
        assert_int_equal(s->frame_w, 180);
        assert_int_equal(s->frame_h, 150);
        char name[64];
        snprintf(name, sizeof name, "annot_polygons_%d.png", want_file[i]);
        img_gray ref;
        if (img_load_mask(fixture_path(name), &ref, &err)) fail_msg("%s", err.msg);
        uint8_t *m = calloc(180 * 150, 1);
        annot_polygon_fill(s->pts, s->n, 180, 150, m);
        int diff = 0, area = 0;
        for (int p = 0; p < 180 * 150; p++) {
            diff += m[p] != (ref.px[p] != 0);
            area += ref.px[p] != 0;
        }
        if (diff) fail_msg("polygon %d: %d of %d px differ from PIL", want_file[i], diff, area);
        assert_true(area > 900);
        free(m);
        img_gray_free(&ref);
    }
    annot_free(&a);
}

// The NIH box transform on the real 1024 x 1024 00004296_000.png and on 00000001_000.png (stored
// at 512 x 512: boxes scale by 512/1024), through prepare (decode, resize, pack). Corners by hand:
// 4296, S = 224, scale 224/1024, no crop: the target pixel u is inside iff its centre
// (u + 0.5) * 1024/224 lies in [731.428571, 731.428571 + 119.195767 = 850.624339), i.e.
// u + 0.5 in [160.000, 186.074): u = 160..185; rows: 753.100529 * 0.21875 = 164.741,
// 846.289947 * 0.21875 = 185.126: v = 165..184.
// 0001 (512 px), box 100, 200, 300, 150 in the 1024 frame = [50, 200) x [100, 175) px; scale
// 224/512 = 0.4375: u + 0.5 in [21.875, 87.5): u = 22..86; v + 0.5 in [43.75, 76.5625): v = 44..76.
static void nih_boxes_real_images(void **state) {
    (void)state;
    const char *csv = write_text(
        "annot_nih.csv",
        "\xef\xbb\xbfImage Index,Finding Label,Bbox [x,y,w,h],,,\r\n"
        "00004296_000.png,Atelectasis,731.428571428571,753.100529100529,119.195767195767,"
        "93.189417989418\r\n"
        "\r\n"
        "00000001_000.png,Hernia,100,200,300,150,,,\r\n"
        "00099999_000.png,Mass,1,2,3,4\r\n");
    char text[8400];
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    int len = snprintf(text, sizeof text, "%s/%s\n", cwd, real_data_path("nih/00004296_000.png"));
    snprintf(text + len, sizeof text - (size_t)len, "%s/%s\n", cwd,
             real_data_path("nih/00000001_000.png"));
    const char *list = write_text("annot_nih_list.txt", text);
    prepare_opts o;
    prepare_opts_default(&o);
    o.images = list;
    o.annotations = csv;
    o.out_dir = test_out_path("annot_nih_pack");
    o.progress = 0;
    prepare_summary s;
    cx_error err;
    if (data_prepare(&o, &s, &err)) fail_msg("%s", err.msg);
    assert_int_equal(s.annot_masks, 2);
    assert_int_equal(s.annot_unmatched, 1);
    assert_string_equal(s.annot_unmatched_names[0], "00099999_000.png");
    pack p;
    if (pack_open(&p, o.out_dir, &err)) fail_msg("%s", err.msg);
    assert_int_equal(p.n_annot_labels, CX_N_LABELS + 1);
    assert_string_equal(p.annot_labels[CX_N_LABELS], "Hernia");
    const char *src = st_meta(&p.st, "source_annotations");
    assert_non_null(src);
    assert_non_null(strstr(src, "annot_nih.csv"));
    const int S = 224;
    for (int64_t r = 0; r < p.n; r++) {
        int is4296 = !strcmp(p.dicom_id[r], "00004296_000.png");
        int label = is4296 ? LB_ATELECTASIS : CX_N_LABELS;
        int u0 = is4296 ? 160 : 22, u1 = is4296 ? 185 : 86, v0 = is4296 ? 165 : 44,
            v1 = is4296 ? 184 : 76;
        const uint8_t *m = pack_annotation(&p, r, label);
        assert_non_null(m);
        assert_null(pack_annotation(&p, r, LB_LUNG_LESION));
        for (int v = 0; v < S; v++)
            for (int u = 0; u < S; u++)
                if (m[v * S + u] != (u >= u0 && u <= u1 && v >= v0 && v <= v1))
                    fail_msg("%s: pixel (%d, %d) is %d", p.dicom_id[r], u, v, m[v * S + u]);
    }
    pack_close(&p);
}

// Coordinates through a resize and a crop, by hand. An image 1024 x 768 at S = 96: shorter side
// 768 -> 96 (scale 0.125), width 1024 -> 128, crop_x = 16. NIH box 200, 100, 300, 200 in the 1024
// frame = x [200, 500), y [75, 225) original px (y scaled by 768/1024): target u inside iff
// (u + 0.5 + 16) / 0.125 in [200, 500): u + 16.5 in [25, 62.5), u = 9..45; v + 0.5 in
// [9.375, 28.125), v = 9..27.
// An image 100 x 80 at S = 40 (scale 0.5, width 50, crop_x 5) with an RLE and a polygon in a
// 200 x 160 frame (twice the image): the frame's left half (x < 100, ones in the first 100
// columns: column-major runs 0, 16000, 16000) is the image's x < 50; target pixel u covers
// original [2(u + 5), 2(u + 6)): fully inside for u <= 19, outside from u = 20.
static void coordinates_by_hand(void **state) {
    (void)state;
    annot_set a;
    cx_error err;
    const char *csv = write_text("annot_geom.csv", "Image Index,Finding Label,Bbox [x,y,w,h]\n"
                                                   "wide.png,Pneumothorax,200,100,300,200\n");
    if (annot_read(csv, &a, &err)) fail_msg("%s", err.msg);
    img_fit_geom g;
    img_fit_geom_init(&g, 1024, 768, 96);
    assert_int_equal(g.crop_x, 16);
    uint8_t *m = malloc(96 * 96);
    assert_int_equal(annot_render(&a, 0, LB_PNEUMOTHORAX, &g, m, &err), (45 - 9 + 1) * (27 - 9 + 1));
    for (int v = 0; v < 96; v++)
        for (int u = 0; u < 96; u++)
            if (m[v * 96 + u] != (u >= 9 && u <= 45 && v >= 9 && v <= 27))
                fail_msg("box: pixel (%d, %d) is %d", u, v, m[v * 96 + u]);
    annot_free(&a);
    free(m);
    const char *js = write_text(
        "annot_frames.json",
        "{\"half\": {\"img_size\": [160, 200],"
        " \"Edema\": [[[0, 0], [99, 0], [99, 159], [0, 159]]],"
        " \"Consolidation\": {\"size\": [160, 200], \"counts\": [0, 16000, 16000]}}}");
    if (annot_read(js, &a, &err)) fail_msg("%s", err.msg);
    assert_string_equal(a.format, "chexlocalize-mixed");
    img_fit_geom_init(&g, 100, 80, 40);
    assert_int_equal(g.crop_x, 5);
    m = malloc(40 * 40);
    const int labels[2] = {LB_CONSOLIDATION, LB_EDEMA};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(annot_render(&a, 0, labels[k], &g, m, &err), 20 * 40);
        for (int v = 0; v < 40; v++)
            for (int u = 0; u < 40; u++)
                if (m[v * 40 + u] != (u < 20))
                    fail_msg("%s: pixel (%d, %d) is %d", CX_LABELS[labels[k]], u, v, m[v * 40 + u]);
    }
    free(m);
    annot_free(&a);
}

// Header spellings, and errors naming file:line and the field.
static void header_quirks_and_errors(void **state) {
    (void)state;
    annot_set a;
    cx_error err;
    const char *p1 = write_text("annot_plain.csv",
                                "Image Index,Finding Label,x,y,w,h\n"
                                "\"a,1.png\",Effusion,1,2,3,4\n"
                                "b.png,Infiltration,5,6,7,8\n"
                                "b.png , Nodule ,1,1,1,1\n");
    if (annot_read(p1, &a, &err)) fail_msg("%s", err.msg);
    assert_string_equal(a.format, "nih-bbox");
    assert_int_equal(a.n_keys, 2);
    assert_string_equal(a.keys[0], "a,1.png");
    assert_int_equal(a.n, 3);
    assert_int_equal(a.s[0].label, LB_EFFUSION);
    assert_int_equal(a.s[1].label, LB_LUNG_LESION); // b: Lung Lesion (6) before Lung Opacity (7)
    assert_int_equal(a.s[2].label, LB_LUNG_OPACITY);
    assert_true(a.s[0].box[0] == 1 && a.s[0].box[3] == 4);
    // matching: extension stripped on either side; a UID's numeric tail is no extension
    assert_int_equal(annot_match(&a, "b"), 1);
    assert_int_equal(annot_match(&a, "b.png"), 1);
    assert_int_equal(annot_match(&a, "b.jpg"), 1);
    assert_int_equal(annot_match(&a, "c.png"), -1);
    annot_free(&a);
    const char *p2 = write_text("annot_uid.csv", "Image Index,Finding Label,x,y,w,h\n"
                                                 "1.2.840.5,Mass,1,2,3,4\n");
    if (annot_read(p2, &a, &err)) fail_msg("%s", err.msg);
    assert_int_equal(annot_match(&a, "1.2.840.5"), 0);
    assert_int_equal(annot_match(&a, "1.2.840"), -1);
    annot_free(&a);

    const char *bad = write_text("annot_bad.csv", "Image Index,Finding Label,Bbox [x,y,w,h],,,\n"
                                                  "a.png,Mass,1,2,3,4\n"
                                                  "a.png,Mass,1,2,abc,4,,,\n");
    assert_int_equal(annot_read(bad, &a, &err), -1);
    char want[4200];
    snprintf(want, sizeof want, "%s:3: column 'w'", bad);
    if (!strstr(err.msg, want)) fail_msg("error '%s' lacks '%s'", err.msg, want);
    const char *nohdr = write_text("annot_nohdr.csv", "Image Index,Finding Label,x,y\n");
    assert_int_equal(annot_read(nohdr, &a, &err), -1);
    assert_non_null(strstr(err.msg, ":1: header: no column 'w'"));
    const char *j1 = write_text("annot_bad1.json",
                                "{\"img1\": {\"Edema\": {\"size\": [2, 3], \"counts\": [1, -2]}}}");
    assert_int_equal(annot_read(j1, &a, &err), -1);
    assert_non_null(strstr(err.msg, "\"img1\": \"Edema\": \"counts\" element 1"));
    const char *j2 = write_text("annot_bad2.json", "{\"img1\": {\"Edema\": [[[1, 2], [3]]]}}");
    assert_int_equal(annot_read(j2, &a, &err), -1);
    assert_non_null(strstr(err.msg, "\"img1\": \"Edema\": polygons need"));
    const char *j3 = write_text("annot_bad3.json", "{\"img1\": {\"Edema\": 3}");
    assert_int_equal(annot_read(j3, &a, &err), -1);
    snprintf(want, sizeof want, "%s:1:", j3);
    assert_non_null(strstr(err.msg, want));
    // RLE list counts; an all-zero mask is dropped as "not present"; extra names kept
    const char *j4 = write_text("annot_ok.json",
                                "{\"img1\": {\"Edema\": {\"size\": [2, 3], \"counts\": [1, 2, 3]},"
                                " \"Pneumothorax\": {\"size\": [2, 3], \"counts\": [6]},"
                                " \"Emphysema\": {\"size\": [2, 3], \"counts\": \"06\"}}}");
    if (annot_read(j4, &a, &err)) fail_msg("%s", err.msg);
    assert_string_equal(a.format, "chexlocalize-rle");
    assert_int_equal(a.n, 2);
    assert_int_equal(a.n_empty, 1);
    assert_int_equal(a.s[0].label, LB_EDEMA);
    assert_int_equal(a.s[1].label, CX_N_LABELS);
    assert_string_equal(a.labels[CX_N_LABELS], "Emphysema");
    annot_free(&a);
}

// The label table: NIH and CheXlocalize names to CX labels; unmapped names -1.
static void label_map(void **state) {
    (void)state;
    const struct { const char *name; int want; } t[] = {
        {"Atelectasis", LB_ATELECTASIS}, {"Cardiomegaly", LB_CARDIOMEGALY},
        {"Effusion", LB_EFFUSION},       {"Infiltrate", LB_LUNG_OPACITY},
        {"Infiltration", LB_LUNG_OPACITY}, {"Mass", LB_LUNG_LESION},
        {"Nodule", LB_LUNG_LESION},      {"Pneumonia", LB_PNEUMONIA},
        {"Pneumothorax", LB_PNEUMOTHORAX}, {"Consolidation", LB_CONSOLIDATION},
        {"Edema", LB_EDEMA},             {"Airspace Opacity", LB_LUNG_OPACITY},
        {"Enlarged Cardiomediastinum", LB_ENLARGED_CM}, {"Support Devices", LB_SUPPORT_DEVICES},
        {"pleural effusion", LB_EFFUSION}, {"Hernia", -1}, {"Fibrosis", -1}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (annot_label_cx(t[i].name) != t[i].want)
            fail_msg("%s -> %d, want %d", t[i].name, annot_label_cx(t[i].name), t[i].want);
}

// synth writes the planted findings in all three formats; prepare --truth --annotations
// chexlocalize_rle.json gives masks equal to the planted truth bits, and the NIH and polygon files
// (boxes) give the same masks as the truth's bounding boxes would.
static void synth_rle_equals_truth(void **state) {
    (void)state;
    synth_opts so;
    synth_opts_default(&so);
    so.out_dir = test_out_path("annot_synth");
    so.n_images = 40;
    so.n_gaze_images = 4;
    so.size = 256;
    so.seed = 5;
    so.overwrite = 1;
    so.progress = 0;
    synth_summary ss;
    cx_error err;
    if (data_synth(&so, &ss, &err)) fail_msg("%s", err.msg);
    char mimic[4200], truth[4200], rle[4300];
    snprintf(mimic, sizeof mimic, "%s/mimic-cxr-jpg", so.out_dir);
    snprintf(truth, sizeof truth, "%s/truth", so.out_dir);
    snprintf(rle, sizeof rle, "%s/chexlocalize_rle.json", truth);
    prepare_opts o;
    prepare_opts_default(&o);
    o.mimic_dir = mimic;
    o.truth_dir = truth;
    o.annotations = rle;
    o.size = 64;
    o.out_dir = test_out_path("annot_synth_pack");
    o.progress = 0;
    prepare_summary s;
    if (data_prepare(&o, &s, &err)) fail_msg("%s", err.msg);
    pack p;
    if (pack_open(&p, o.out_dir, &err)) fail_msg("%s", err.msg);
    assert_non_null(p.truth);
    assert_true(p.n_annot > 5);
    const int64_t SS = (int64_t)p.size * p.size;
    int64_t pairs = 0;
    for (int64_t r = 0; r < p.n; r++)
        for (int c = 0; c < CX_N_LABELS; c++) {
            const uint16_t *t = p.truth + r * SS;
            int any = 0;
            for (int64_t q = 0; q < SS; q++) any |= (t[q] >> c) & 1;
            const uint8_t *m = pack_annotation(&p, r, c);
            if (!any) {
                assert_null(m);
                continue;
            }
            assert_non_null(m);
            pairs++;
            for (int64_t q = 0; q < SS; q++)
                if (m[q] != ((t[q] >> c) & 1))
                    fail_msg("%s %s: pixel %lld annotation %d, truth %d", p.dicom_id[r],
                             CX_LABELS[c], (long long)q, m[q], (t[q] >> c) & 1);
        }
    assert_int_equal(pairs, p.n_annot);
    pack_close(&p);
    // the NIH file (keys "<dicom_id>.jpg") and the polygon file cover the same (image, label)s
    const char *other[2] = {"BBox_List_2017.csv", "chexlocalize_polygons.json"};
    for (int f = 0; f < 2; f++) {
        snprintf(rle, sizeof rle, "%s/%s", truth, other[f]);
        prepare_summary s2;
        if (data_prepare(&o, &s2, &err)) fail_msg("%s", err.msg);
        assert_int_equal(s2.annot_masks, s.annot_masks);
        assert_int_equal(s2.annot_unmatched, 0);
        for (int c = 0; c < CX_N_LABELS; c++)
            assert_int_equal(s2.annot_per_label[c], s.annot_per_label[c]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rle_hand_encoded),
        cmocka_unit_test(polygons_match_pil),
        cmocka_unit_test(nih_boxes_real_images),
        cmocka_unit_test(coordinates_by_hand),
        cmocka_unit_test(header_quirks_and_errors),
        cmocka_unit_test(label_map),
        cmocka_unit_test(synth_rle_equals_truth),
    };
    return cmocka_run_group_tests_name("data/annotations", tests, NULL, NULL);
}
