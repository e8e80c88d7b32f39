// The hand-made localisation case shared by tests/study/test_localize.c and
// tests/cli/test_localize.c: a pack of 6 test images of 16 x 16 with expert annotations (a 4 x 4
// box A at rows 4-7, columns 4-7) and one method's maps (sl) made of boxes, so IoU, hit and mass
// share are known by hand:
//   map row  image  target        annotation       sl map               iou   hit  mass
//   0        img0   Cardiomegaly  A                A                    1     1    1
//   1        img1   Cardiomegaly  A                A shifted 2 right    1/3   1    1/2
//   2        img2   Cardiomegaly  A                disjoint box         0     0    0
//   3        img3   Cardiomegaly  A                all zero (constant)  -     -    -
//   4        img4   Edema         A                A                    1     1    1
//   5        img5   Cardiomegaly  none             A                    (not scored)
//   6        img1   Atelectasis   an empty mask    A                    (left out, counted)
//   7        img0   Cardiomegaly  A (a repeat)     all zero             (not scored: the first map)
// img0 also has an annotation of an extra label ("Mass", no CX label, so no map). img0 and img1
// are one patient. Gaze for img0-img3: box A (img3: constant 0.5).
#ifndef CX_TEST_LOCALIZE_FIXTURE_H
#define CX_TEST_LOCALIZE_FIXTURE_H

#include "test.h"

#include "data/data.h"
#include "io/io.h"
#include "study/study.h"

enum { LS = 16, LN = 6, L_ATEL = 0, L_CARDIO = 1, L_EDEMA = 3 };

static char loc_root[4096];

// Equal, or both NaN (a file round trip keeps %.6f: values here are exact to that).
#define assert_close_nan_(got, want)                                                               \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        if (isnan(g_) != isnan(w_) || (!isnan(w_) && fabs(g_ - w_) > 5e-7))                        \
            fail_msg("%s: got %.9g, want %.9g", #got, g_, w_);                                     \
    } while (0)

static void loc_path(char *out, const char *name) {
    cx_path_join(out, 4096, loc_root, name);
}

// Box rows y0..y0+3, columns x0..x0+3 set to v in m [LS,LS].
static void loc_box(float *m, int y0, int x0, float v) {
    for (int y = y0; y < y0 + 4; y++)
        for (int x = x0; x < x0 + 4; x++)
            m[y * LS + x] = v;
}

// Writes <root>/data (the pack; annotations when with_annotations) and <root>/attr (maps.csv,
// sl.safetensors with maps of map_size x map_size: LS for the case above).
static void write_localize_fixture(const char *name, int with_annotations, int map_size) {
    snprintf(loc_root, sizeof loc_root, "%s", test_out_path(name));
    cx_remove_tree(loc_root);
    cx_mkdir_p(loc_root, NULL);
    static uint8_t images[LN * LS * LS], label_mask[LN * CX_N_LABELS], split[LN];
    static uint8_t fixations[LN * LS * LS], regions[LN * 4 * LS * LS], present[LN * 4];
    static float labels[LN * CX_N_LABELS], gaze[LN * LS * LS];
    static int32_t gaze_row[LN];
    static image_record ids[LN];
    memset(gaze, 0, sizeof gaze);
    for (int i = 0; i < LN; i++) {
        for (int q = 0; q < LS * LS; q++)
            images[i * LS * LS + q] = (uint8_t)(q * 7 + i);
        for (int c = 0; c < CX_N_LABELS; c++) {
            labels[i * CX_N_LABELS + c] = c == L_CARDIO;
            label_mask[i * CX_N_LABELS + c] = 1;
        }
        split[i] = SPLIT_TEST;
        gaze_row[i] = i < 4 ? i : -1;
        for (int k = 0; k < 4; k++)
            present[i * 4 + k] = 1;
        snprintf(ids[i].dicom_id, sizeof ids[i].dicom_id, "img%d", i);
        snprintf(ids[i].subject_id, sizeof ids[i].subject_id, "1000%d", i == 1 ? 0 : i);
        snprintf(ids[i].study_id, sizeof ids[i].study_id, "5000%d", i);
        snprintf(ids[i].view, sizeof ids[i].view, "PA");
        ids[i].split = SPLIT_TEST;
        ids[i].egd = i < 4 ? i : -1;
    }
    memset(fixations, 0, sizeof fixations);
    memset(regions, 1, sizeof regions);
    for (int g = 0; g < 4; g++)
        loc_box(gaze + g * LS * LS, 4, 4, 1);
    for (int q = 0; q < LS * LS; q++)
        gaze[3 * LS * LS + q] = 0.5f;
    // Annotations, sorted by (row, label): (0,Cardio) (0,Mass) (1,Atel: empty) (1,Cardio)
    // (2,Cardio) (3,Cardio) (4,Edema).
    static const int32_t arow[7] = {0, 0, 1, 1, 2, 3, 4};
    static const int32_t alabel[7] = {L_CARDIO, CX_N_LABELS, L_ATEL, L_CARDIO,
                                      L_CARDIO, L_CARDIO,    L_EDEMA};
    static uint8_t amask[7 * LS * LS];
    memset(amask, 0, sizeof amask);
    for (int a = 0; a < 7; a++)
        if (a != 2)
            for (int y = 4; y < 8; y++)
                for (int x = 4; x < 8; x++)
                    amask[a * LS * LS + y * LS + x] = 1;
    static const char *names[CX_N_LABELS + 1];
    for (int c = 0; c < CX_N_LABELS; c++)
        names[c] = CX_LABELS[c];
    names[CX_N_LABELS] = "Mass";
    pack_contents pc = {.n = LN,
                        .n_gaze = 4,
                        .size = LS,
                        .images = images,
                        .labels = labels,
                        .label_mask = label_mask,
                        .split = split,
                        .gaze_row = gaze_row,
                        .gaze = gaze,
                        .fixations = fixations,
                        .regions = regions,
                        .region_present = present,
                        .ids = ids};
    if (with_annotations) {
        pc.n_annot = 7, pc.annot_mask = amask, pc.annot_row = arow, pc.annot_label = alabel;
        pc.n_annot_labels = CX_N_LABELS + 1, pc.annot_labels = names;
    }
    char p[4096];
    cx_error err;
    loc_path(p, "data");
    if (pack_write(&pc, p, NULL, &err)) fail_msg("pack_write: %s", err.msg);

    loc_path(p, "attr");
    cx_mkdir_p(p, NULL);
    loc_path(p, "attr/maps.csv");
    FILE *f = fopen(p, "w");
    fprintf(f, "map_row,dicom_id,target,label,positive,probability\n");
    static const int img[8] = {0, 1, 2, 3, 4, 5, 1, 0};
    static const int tgt[8] = {L_CARDIO, L_CARDIO, L_CARDIO, L_CARDIO,
                               L_EDEMA,  L_CARDIO, L_ATEL,   L_CARDIO};
    for (int r = 0; r < 8; r++)
        fprintf(f, "%d,img%d,%d,%s,1,0.5\n", r, img[r], tgt[r], CX_LABELS[tgt[r]]);
    fclose(f);
    int M = map_size;
    float *sl = calloc((size_t)8 * M * M, sizeof(float));
    if (M == LS) {
        loc_box(sl + 0 * LS * LS, 4, 4, 3);
        loc_box(sl + 1 * LS * LS, 4, 6, -2); // abs: the sign does not matter
        loc_box(sl + 2 * LS * LS, 10, 10, 5);
        loc_box(sl + 4 * LS * LS, 4, 4, 1);
        loc_box(sl + 5 * LS * LS, 4, 4, 1);
        loc_box(sl + 6 * LS * LS, 4, 4, 1);
    }
    st_writer *w = st_writer_new();
    st_writer_add(w, "sl", ST_F32, 3, (int64_t[]){8, M, M}, sl);
    loc_path(p, "attr/sl.safetensors");
    if (st_writer_write(w, p, &err)) fail_msg("%s", err.msg);
    st_writer_free(w);
    free(sl);
}

#endif
