// data/tables: the MIMIC-CXR-JPG and EGD-CXR readers on hand-written trees: selection, label
// policies, column lookup by name, .csv.gz, calibration rows, invalid fixations, the dataset's
// coordinate formula (worked example of DATA-FORMATS.md), and every error naming file:line/column.
#include "tiny_trees.h"

#include "data/data.h"

// ---- labels ------------------------------------------------------------------------------------
static void label_values_and_policies(void **state) {
    (void)state;
    int raw;
    const char *ok[] = {"1", "1.0", "0", "0.0", "-1", "-1.0", "", "  1.0 "};
    const int want[] = {1, 1, 0, 0, -1, -1, LABEL_EMPTY, 1};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(label_parse(ok[i], &raw), 0);
        assert_int_equal(raw, want[i]);
    }
    const char *bad[] = {"2", "0.5", "yes", "1,0", "nan", "-", "1.0x"};
    for (int i = 0; i < 7; i++) assert_int_equal(label_parse(bad[i], &raw), -1);

    // policy table: raw -> (label, mask) for zeros / ones / ignore
    const int raws[4] = {1, 0, -1, LABEL_EMPTY};
    const float lab[3][4] = {{1, 0, 0, 0}, {1, 0, 1, 0}, {1, 0, 0, 0}};
    const uint8_t msk[3][4] = {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 0, 1}};
    for (int p = 0; p < 3; p++)
        for (int r = 0; r < 4; r++) {
            float l;
            uint8_t m;
            label_apply_policy(raws[r], (uncertain_policy)p, &l, &m);
            assert_true(l == lab[p][r]);
            assert_int_equal(m, msk[p][r]);
        }
    uncertain_policy up;
    assert_int_equal(uncertain_policy_parse("ignore", &up), 0);
    assert_int_equal(up, UNCERTAIN_IGNORE);
    assert_int_equal(uncertain_policy_parse("U-zeros", &up), -1);
    assert_string_equal(CX_LABELS[4], "Enlarged Cardiomediastinum");
    assert_string_equal(CX_LABELS[13], "Support Devices");
}

static void strmap_many_keys(void **state) {
    (void)state;
    cx_strmap m;
    strmap_init(&m);
    char k[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "key%d", i);
        assert_int_equal(strmap_put(&m, k, i * 3), -1);
    }
    assert_int_equal(strmap_put(&m, "key17", 5), 51);
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "key%d", i);
        assert_int_equal(strmap_get(&m, k), i == 17 ? 5 : i * 3);
    }
    assert_int_equal(strmap_get(&m, "key5000"), -1);
    strmap_free(&m);
}

// ---- MIMIC -------------------------------------------------------------------------------------
static void mimic_selection_and_labels(void **state) {
    (void)state;
    for (int gz = 0; gz < 2; gz++) {
        const char *root = test_out_path(gz ? "tiny_mimic_gz" : "tiny_mimic");
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", root);
        write_tiny_mimic(dir, gz);
        image_list l = {0};
        mimic_stats st;
        cx_error err = {0};
        assert_int_equal(mimic_read(dir, VIEWS_FRONTAL, LABELER_CHEXPERT, UNCERTAIN_ZEROS, &l,
                                    &st, &err), 0);
        assert_int_equal(st.metadata_rows, 6);
        assert_int_equal(st.not_frontal, 2);
        assert_int_equal(st.no_split, 1);
        assert_int_equal(st.no_labels, 1);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.r[0].dicom_id, "d1");
        assert_string_equal(l.r[1].dicom_id, "d3");
        assert_int_equal(l.r[0].split, SPLIT_TRAIN);
        assert_int_equal(l.r[1].split, SPLIT_TEST);
        assert_int_equal(l.r[0].rows, 60);
        assert_int_equal(l.r[0].cols, 50);
        char want[4200];
        snprintf(want, sizeof want, "%s/files/p10/p10000001/s50000001/d1.jpg", dir);
        assert_string_equal(l.r[0].path, want);
        // study 50000001: 1.0,0.0,-1.0,,1,0,-1,,0.0,1.0,-1.0,,0,1 under U-zeros
        const float z[14] = {1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1};
        for (int c = 0; c < 14; c++) {
            assert_true(l.r[0].labels[c] == z[c]);
            assert_int_equal(l.r[0].label_mask[c], 1);
        }
        image_list_free(&l);

        // U-ones and ignore, all views
        assert_int_equal(mimic_read(dir, VIEWS_ALL, LABELER_CHEXPERT, UNCERTAIN_IGNORE, &l, &st,
                                    &err), 0);
        assert_int_equal(l.n, 4); // d1 d2 d3 d6
        assert_string_equal(l.r[3].dicom_id, "d6");
        const uint8_t m[14] = {1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1};
        for (int c = 0; c < 14; c++) assert_int_equal(l.r[0].label_mask[c], m[c]);
        for (int c = 0; c < 14; c++) assert_int_equal(l.r[3].label_mask[c], 0); // all -1
        image_list_free(&l);
        assert_int_equal(mimic_read(dir, VIEWS_FRONTAL, LABELER_CHEXPERT, UNCERTAIN_ONES, &l, &st,
                                    &err), 0);
        const float o[14] = {1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1};
        for (int c = 0; c < 14; c++) assert_true(l.r[0].labels[c] == o[c]);
        image_list_free(&l);
        // negbio table instead
        assert_int_equal(mimic_read(dir, VIEWS_FRONTAL, LABELER_NEGBIO, UNCERTAIN_ZEROS, &l, &st,
                                    &err), 0);
        assert_int_equal(l.n, 2);
        assert_true(l.r[0].labels[8] == 1 && l.r[0].labels[0] == 0);
        assert_true(l.r[1].labels[0] == 1);
        image_list_free(&l);
    }
    char p[256];
    mimic_image_relpath(p, sizeof p, "10000032", "50414267",
                        "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014");
    assert_string_equal(
        p, "files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.jpg");
}

static void mimic_errors_name_file_line_column(void **state) {
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("tiny_mimic_bad"));
    image_list l = {0};
    mimic_stats st;
    cx_error err = {0};
    // missing table
    cx_mkdir_p(dir, NULL);
    remove(tree_path(dir, "mimic-cxr-2.0.0-split.csv"));
    assert_int_equal(mimic_read(dir, VIEWS_FRONTAL, LABELER_CHEXPERT, UNCERTAIN_ZEROS, &l, &st,
                                &err), -1);
    assert_non_null(strstr(err.msg, "mimic-cxr-2.0.0-split.csv"));
    // missing column
    write_tiny_mimic(dir, 0);
    write_text(tree_path(dir, "mimic-cxr-2.0.0-metadata.csv"),
               "dicom_id,subject_id,study_id,Rows,Columns\nd1,10000001,50000001,1,1\n");
    assert_int_equal(mimic_read(dir, VIEWS_FRONTAL, LABELER_CHEXPERT, UNCERTAIN_ZEROS, &l, &st,
                                &err), -1);
    assert_non_null(strstr(err.msg, "mimic-cxr-2.0.0-metadata.csv"));
    assert_non_null(strstr(err.msg, "ViewPosition"));
    // malformed label at line 3, column Edema
    write_tiny_mimic(dir, 0);
    write_text(tree_path(dir, "mimic-cxr-2.0.0-chexpert.csv"),
               CHEXPERT_HEADER "10000001,50000001,1,0,0,0,0,0,0,0,0,0,0,0,0,0\n"
                               "10000002,50000002,1,0,0,2,0,0,0,0,0,0,0,0,0,0\n");
    assert_int_equal(mimic_read(dir, VIEWS_FRONTAL, LABELER_CHEXPERT, UNCERTAIN_ZEROS, &l, &st,
                                &err), -1);
    assert_non_null(strstr(err.msg, "mimic-cxr-2.0.0-chexpert.csv:3"));
    assert_non_null(strstr(err.msg, "'Edema'"));
    assert_non_null(strstr(err.msg, "'2'"));
    // bad split name, bad subject id, wrong field count
    write_tiny_mimic(dir, 0);
    write_text(tree_path(dir, "mimic-cxr-2.0.0-split.csv"), "dicom_id,split\nd1,training\n");
    assert_int_equal(mimic_read(dir, VIEWS_FRONTAL, LABELER_CHEXPERT, UNCERTAIN_ZEROS, &l, &st,
                                &err), -1);
    assert_non_null(strstr(err.msg, "split.csv:2"));
    assert_non_null(strstr(err.msg, "training"));
    write_tiny_mimic(dir, 0);
    write_text(tree_path(dir, "mimic-cxr-2.0.0-metadata.csv"),
               MIMIC_META_HEADER "d1,1000x001,50000001,,PA,60,50,,,,,\n");
    assert_int_equal(mimic_read(dir, VIEWS_FRONTAL, LABELER_CHEXPERT, UNCERTAIN_ZEROS, &l, &st,
                                &err), -1);
    assert_non_null(strstr(err.msg, "metadata.csv:2"));
    assert_non_null(strstr(err.msg, "subject_id"));
    write_text(tree_path(dir, "mimic-cxr-2.0.0-metadata.csv"),
               MIMIC_META_HEADER "d1,10000001,50000001,,PA,60,50,,,,,\n"
                                 "d1,10000001,50000001,,LATERAL,60,50,,,,,\n");
    assert_int_equal(mimic_read(dir, VIEWS_FRONTAL, LABELER_CHEXPERT, UNCERTAIN_ZEROS, &l, &st,
                                &err), -1);
    assert_non_null(strstr(err.msg, "metadata.csv:3"));
    assert_non_null(strstr(err.msg, "line 2"));
    image_list_free(&l);
    write_text(tree_path(dir, "mimic-cxr-2.0.0-metadata.csv"),
               MIMIC_META_HEADER "d1,10000001,50000001,,PA,60,50,,,,\n");
    assert_int_equal(mimic_read(dir, VIEWS_FRONTAL, LABELER_CHEXPERT, UNCERTAIN_ZEROS, &l, &st,
                                &err), -1);
    assert_non_null(strstr(err.msg, "metadata.csv:2"));
    assert_int_equal(l.n, 0);
    image_list_free(&l);
}

// ---- EGD ---------------------------------------------------------------------------------------
static void worked_coordinate_example(void **state) {
    (void)state;
    int x, y;
    // DATA-FORMATS.md: portrait 2544 wide x 3056 high, pads T=B=0, L=R=534.
    assert_int_equal(egd_screen_to_original(0.45224, 0.33879, 2544, 3056, 0, 0, 534, 534, &x, &y),
                     1);
    assert_int_equal(x, 998);
    assert_int_equal(y, 1035);
    // left of the image (ex = 384 < 534) and on the pad boundary itself: off-image
    assert_int_equal(egd_screen_to_original(0.2, 0.5, 2544, 3056, 0, 0, 534, 534, &x, &y), 0);
    assert_int_equal(egd_screen_to_original(534.0 / 1920, 0.5, 2544, 3056, 0, 0, 534, 534, &x, &y),
                     0);
    // landscape 3056 x 2544 with pads 86/86/448/448: the screen centre is the image centre
    assert_int_equal(egd_screen_to_original(0.5, 0.5, 3056, 2544, 86, 86, 448, 448, &x, &y), 1);
    assert_int_equal(x, 1528);
    assert_int_equal(y, 1272);
}

// e1: portrait 2544x3056 (pads 0/0/534/534), e2: 40x40 image. Rows: e1 worked example, e1
// off-image (-1,-2), a calibration screen (cut-short id), e2 two fixations, e1 another one.
static void write_tiny_egd(const char *dir) {
    char m1[2048], m2[2048], buf[16384];
    rm_tree(tree_path(dir, "audio_segmentation_transcripts")); // masks of an earlier run
    master_row(m1, sizeof m1, "e1", "10000001", "50000001", 0, 0, 534, 534,
               "1.0,0.0,-1.0,,0,0,0,1,0,0,0,1,0,0");
    master_row(m2, sizeof m2, "e2", "10000009", "50000009", 28, 28, 534, 534,
               ",,,,,,,,1.0,,,,,");
    snprintf(buf, sizeof buf, "%s%s%s", EGD_MASTER_HEADER, m1, m2);
    write_text(tree_path(dir, "master_sheet.csv"), buf);
    char r[6][512];
    fix_row(r[0], sizeof r[0], "e1", 0.45224, 0.33879, 0.25, "998", "1035");
    fix_row(r[1], sizeof r[1], "e1", 0.1, 0.5, 0.1, "-1", "-2");
    fix_row(r[2], sizeof r[2], "4e384", 0.5, 0.5, 0.3, "-1", "-1");
    fix_row(r[3], sizeof r[3], "e2", 0.5, 0.5, 0.5, "20", "20");
    fix_row(r[4], sizeof r[4], "e2", 0.5, 0.6, 0.7, "20.0", "30");
    fix_row(r[5], sizeof r[5], "e1", 0.5, 0.5, 0.2, "1272", "1528");
    snprintf(buf, sizeof buf, "%s%s%s%s%s%s%s", FIX_HEADER, r[0], r[1], r[2], r[3], r[4], r[5]);
    write_text(tree_path(dir, "fixations.csv"), buf);
}

static void egd_reader(void **state) {
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("tiny_egd"));
    write_tiny_egd(dir);
    egd_data d;
    cx_error err = {0};
    assert_int_equal(egd_read(dir, &d, &err), 0);
    assert_int_equal(d.n_img, 2);
    assert_int_equal(d.st.master_rows, 2);
    assert_int_equal(d.st.fixation_rows, 6);
    assert_int_equal(d.st.calibration_rows, 1);
    assert_int_equal(d.st.invalid_rows, 1);
    assert_int_equal(d.st.valid_fixations, 4);
    assert_int_equal(d.n_fix, 4);
    const egd_image *e1 = &d.img[0], *e2 = &d.img[1];
    assert_string_equal(e1->dicom_id, "e1");
    assert_string_equal(e1->patient_id, "10000001");
    assert_string_equal(e1->study_id, "50000001");
    assert_string_equal(e1->jpg_relpath, "files/p10/p10000001/s50000001/e1.jpg");
    assert_int_equal(e1->pad_left, 534);
    assert_int_equal(e2->pad_top, 28);
    assert_int_equal(e1->chx_raw[2], -1);
    assert_int_equal(e1->chx_raw[3], LABEL_EMPTY);
    assert_int_equal(e2->chx_raw[8], 1);
    // grouped by image, file order kept
    assert_int_equal(e1->fix_count, 2);
    assert_int_equal(e2->fix_count, 2);
    const egd_fixation *f1 = &d.fix[e1->fix_begin];
    assert_int_equal(f1[0].x, 998);
    assert_int_equal(f1[0].y, 1035);
    assert_int_equal(f1[1].x, 1272);
    assert_close(f1[0].duration_s, 0.25, 1e-6, 0, "FPOGD");
    assert_close(f1[0].fpogx, 0.45224, 1e-6, 0, "FPOGX");
    const egd_fixation *f2 = &d.fix[e2->fix_begin];
    assert_int_equal(f2[1].x, 20);
    assert_int_equal(f2[1].y, 30);
    // the stored coordinates agree with the dataset's formula
    int x, y;
    assert_int_equal(egd_screen_to_original(f1[0].fpogx, f1[0].fpogy, 2544, 3056, e1->pad_top,
                                            e1->pad_bottom, e1->pad_left, e1->pad_right, &x, &y),
                     1);
    assert_true(abs(x - f1[0].x) <= 1 && abs(y - f1[0].y) <= 1);

    // region masks: the real (misspelled) name first, the right spelling as a fallback
    char p[8400];
    assert_int_equal(egd_region_mask_path(&d, "e1", REGION_MEDIASTINUM, p, sizeof p), 0);
    write_text(tree_path(dir, "audio_segmentation_transcripts/e1/mediastinum.png"), "x");
    assert_int_equal(egd_region_mask_path(&d, "e1", REGION_MEDIASTINUM, p, sizeof p), 1);
    assert_non_null(strstr(p, "e1/mediastinum.png"));
    write_text(tree_path(dir, "audio_segmentation_transcripts/e1/mediastanum.png"), "x");
    assert_int_equal(egd_region_mask_path(&d, "e1", REGION_MEDIASTINUM, p, sizeof p), 1);
    assert_non_null(strstr(p, "e1/mediastanum.png"));
    write_text(tree_path(dir, "audio_segmentation_transcripts/e1/left_lung.png"), "x");
    assert_int_equal(egd_region_mask_path(&d, "e1", REGION_LEFT_LUNG, p, sizeof p), 1);
    assert_int_equal(egd_region_mask_path(&d, "e1", REGION_RIGHT_LUNG, p, sizeof p), 0);
    egd_free(&d);
}

static void egd_errors_name_file_line_column(void **state) {
    (void)state;
    char dir[4096], m1[2048], buf[16384], r[512];
    snprintf(dir, sizeof dir, "%s", test_out_path("tiny_egd_bad"));
    egd_data d;
    cx_error err = {0};
    // fixations without Y_ORIGINAL
    write_tiny_egd(dir);
    write_text(tree_path(dir, "fixations.csv"), "DICOM_ID,FPOGX,FPOGY,FPOGD,X_ORIGINAL\ne1,0,0,0,1\n");
    assert_int_equal(egd_read(dir, &d, &err), -1);
    assert_non_null(strstr(err.msg, "fixations.csv"));
    assert_non_null(strstr(err.msg, "Y_ORIGINAL"));
    // malformed coordinate on line 3
    char r0[512];
    fix_row(r0, sizeof r0, "e1", 0.5, 0.5, 0.2, "10", "10");
    fix_row(r, sizeof r, "e1", 0.5, 0.5, 0.2, "12.5", "10");
    snprintf(buf, sizeof buf, "%s%s%s", FIX_HEADER, r0, r);
    write_text(tree_path(dir, "fixations.csv"), buf);
    assert_int_equal(egd_read(dir, &d, &err), -1);
    assert_non_null(strstr(err.msg, "fixations.csv:3"));
    assert_non_null(strstr(err.msg, "X_ORIGINAL"));
    // master_sheet: a pad that is not a number; the row starts on line 2 (dx1 spans two lines,
    // so the next row would start on line 4)
    write_tiny_egd(dir);
    master_row(m1, sizeof m1, "e1", "10000001", "50000001", 0, 0, 534, 534,
               "1,0,0,0,0,0,0,0,0,0,0,0,0,0");
    char *pad = strstr(m1, ",534,534,");
    memcpy(pad, ",53x,534,", 9);
    snprintf(buf, sizeof buf, "%s%s", EGD_MASTER_HEADER, m1);
    write_text(tree_path(dir, "master_sheet.csv"), buf);
    assert_int_equal(egd_read(dir, &d, &err), -1);
    assert_non_null(strstr(err.msg, "master_sheet.csv:2"));
    assert_non_null(strstr(err.msg, "image_left_pad"));
    // a label column missing
    write_text(tree_path(dir, "master_sheet.csv"),
               "dicom_id,path,study_id,patient_id,image_top_pad,image_bottom_pad,image_left_pad,"
               "image_right_pad\n");
    assert_int_equal(egd_read(dir, &d, &err), -1);
    assert_non_null(strstr(err.msg, "master_sheet.csv"));
    assert_non_null(strstr(err.msg, "atelectasis__chx"));
    // two master rows -> the second starts on line 4 (multi-line dx1 field)
    master_row(m1, sizeof m1, "e1", "10000001", "50000001", 0, 0, 534, 534,
               "1,0,0,0,0,0,0,0,0,0,0,0,0,0");
    char m2[2048];
    master_row(m2, sizeof m2, "e1", "10000001", "50000001", 0, 0, 534, 534,
               "1,0,0,0,0,0,0,0,0,0,0,0,0,0");
    snprintf(buf, sizeof buf, "%s%s%s", EGD_MASTER_HEADER, m1, m2);
    write_text(tree_path(dir, "master_sheet.csv"), buf);
    assert_int_equal(egd_read(dir, &d, &err), -1);
    assert_non_null(strstr(err.msg, "master_sheet.csv:4"));
    assert_non_null(strstr(err.msg, "not seen before"));
    // missing folder
    assert_int_equal(egd_read(tree_path(dir, "nope"), &d, &err), -1);
    assert_non_null(strstr(err.msg, "nope"));
}

// ---- splits ------------------------------------------------------------------------------------
static void splits_by_patient(void **state) {
    (void)state;
    // 200 patients, 3 images each; every 2nd patient has gaze on its first image; patient 7's
    // official split differs between its rows (validate wins over train).
    image_list l = {0};
    for (int p = 0; p < 200; p++)
        for (int k = 0; k < 3; k++) {
            image_record *r = image_list_push(&l);
            snprintf(r->subject_id, sizeof r->subject_id, "1%07d", p);
            snprintf(r->dicom_id, sizeof r->dicom_id, "p%d_%d", p, k);
            r->split = p % 10 == 3 ? SPLIT_TEST : p % 10 == 4 ? SPLIT_VALIDATE : SPLIT_TRAIN;
            if (p == 7 && k == 2) r->split = SPLIT_VALIDATE;
            if (p % 2 == 0 && k == 0) r->egd = p;
        }
    image_list copy = {0};
    for (int64_t i = 0; i < l.n; i++) *image_list_push(&copy) = l.r[i];
    int64_t nt = splits_assign(&l, 0.3, 42);
    assert_int_equal(nt, 30); // round(0.3 * 100 EGD patients)
    cx_error err = {0};
    assert_int_equal(splits_check_disjoint(&l, &err), 0);
    int egd_test = 0;
    for (int p = 0; p < 200; p++) {
        int s0 = l.r[3 * p].split;
        if (p % 2 == 0) {
            assert_true(s0 == SPLIT_TEST || s0 == SPLIT_TRAIN);
            egd_test += s0 == SPLIT_TEST;
        } else if (p == 7) {
            assert_int_equal(s0, SPLIT_VALIDATE);
        } else {
            assert_int_equal(s0, copy.r[3 * p].split); // untouched official split
        }
    }
    assert_int_equal(egd_test, 30);
    // same seed -> same draw; another seed -> another draw
    image_list again = {0}, other = {0};
    for (int64_t i = 0; i < copy.n; i++) *image_list_push(&again) = copy.r[i];
    for (int64_t i = 0; i < copy.n; i++) *image_list_push(&other) = copy.r[i];
    splits_assign(&again, 0.3, 42);
    splits_assign(&other, 0.3, 43);
    int same = 1, diff = 0;
    for (int64_t i = 0; i < l.n; i++) {
        same &= again.r[i].split == l.r[i].split;
        diff |= other.r[i].split != l.r[i].split;
    }
    assert_true(same && diff);
    assert_int_equal(splits_assign(&other, 0.0, 1), 0);
    assert_int_equal(splits_assign(&other, 1.0, 1), 100);
    // a conflict is detected and named
    l.r[1].split = l.r[0].split == SPLIT_TEST ? SPLIT_TRAIN : SPLIT_TEST;
    assert_int_equal(splits_check_disjoint(&l, &err), -1);
    assert_non_null(strstr(err.msg, "10000000"));
    free(l.r);
    free(copy.r);
    free(again.r);
    free(other.r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(label_values_and_policies),
        cmocka_unit_test(strmap_many_keys),
        cmocka_unit_test(mimic_selection_and_labels),
        cmocka_unit_test(mimic_errors_name_file_line_column),
        cmocka_unit_test(worked_coordinate_example),
        cmocka_unit_test(egd_reader),
        cmocka_unit_test(egd_errors_name_file_line_column),
        cmocka_unit_test(splits_by_patient),
    };
    return cmocka_run_group_tests_name("data/tables", tests, NULL, NULL);
}
