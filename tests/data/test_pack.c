// data/pack: write -> read round trip of every tensor and the index; bad packs refused with
// errors naming the file and tensor (or line); the directory replaced atomically and safely.
#include <sys/stat.h>

#include "tiny_trees.h"

#include "data/data.h"

enum { N = 5, G = 2, S = 6 };

typedef struct arrays {
    uint8_t images[N * S * S];
    float labels[N * CX_N_LABELS];
    uint8_t mask[N * CX_N_LABELS], split[N];
    int32_t gaze_row[N];
    float gaze[G * S * S];
    uint8_t fix[G * S * S], regions[G * 4 * S * S], present[G * 4];
    uint16_t truth[N * S * S];
    image_record ids[N];
} arrays;

static void fill(arrays *a) {
    memset(a, 0, sizeof *a);
    for (int i = 0; i < N * S * S; i++) a->images[i] = (uint8_t)(i * 7);
    for (int i = 0; i < N * CX_N_LABELS; i++) {
        a->labels[i] = (float)(i % 3 == 0);
        a->mask[i] = (uint8_t)(i % 5 != 0);
    }
    for (int i = 0; i < N; i++) {
        a->split[i] = (uint8_t)(i % 3);
        a->gaze_row[i] = i == 1 ? 0 : i == 4 ? 1 : -1;
        snprintf(a->ids[i].dicom_id, sizeof a->ids[i].dicom_id, "dcm-%d, \"q\"", i);
        snprintf(a->ids[i].subject_id, sizeof a->ids[i].subject_id, "1000000%d", i);
        snprintf(a->ids[i].study_id, sizeof a->ids[i].study_id, "5000000%d", i);
        snprintf(a->ids[i].view, sizeof a->ids[i].view, i ? "PA" : "");
    }
    for (int i = 0; i < G * S * S; i++) {
        a->gaze[i] = (float)(i % 11) / 10.0f;
        a->fix[i] = (uint8_t)(i % 7 == 0);
    }
    for (int i = 0; i < G * 4 * S * S; i++) a->regions[i] = (uint8_t)(i % 2);
    for (int i = 0; i < G * 4; i++) a->present[i] = (uint8_t)(i != 3);
    for (int i = 0; i < N * S * S; i++) a->truth[i] = (uint16_t)(i % 3 ? 0 : 1u << (i % 14));
}

static pack_contents contents(const arrays *a, int with_truth) {
    pack_contents c = {.n = N, .n_gaze = G, .size = S, .images = a->images,
                       .labels = a->labels, .label_mask = a->mask, .split = a->split,
                       .gaze_row = a->gaze_row, .gaze = a->gaze, .fixations = a->fix,
                       .regions = a->regions, .region_present = a->present,
                       .truth = with_truth ? a->truth : NULL, .ids = a->ids, .n_meta = 1,
                       .meta_key = {"seed"}, .meta_val = {"42"}};
    return c;
}

static void round_trip(void **state) {
    (void)state;
    static arrays a;
    fill(&a);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("pack_round_trip"));
    cx_error err = {0};
    for (int with_truth = 0; with_truth < 2; with_truth++) {
        pack_contents c = contents(&a, with_truth);
        assert_int_equal(pack_write(&c, dir, "{\"images\": 5}\n", &err), 0);
        pack p;
        assert_int_equal(pack_open(&p, dir, &err), 0);
        assert_int_equal(p.n, N);
        assert_int_equal(p.n_gaze, G);
        assert_int_equal(p.size, S);
        assert_memory_equal(p.images, a.images, sizeof a.images);
        assert_memory_equal(p.labels, a.labels, sizeof a.labels);
        assert_memory_equal(p.label_mask, a.mask, sizeof a.mask);
        assert_memory_equal(p.split, a.split, sizeof a.split);
        assert_memory_equal(p.gaze_row, a.gaze_row, sizeof a.gaze_row);
        assert_memory_equal(p.gaze, a.gaze, sizeof a.gaze);
        assert_memory_equal(p.fixations, a.fix, sizeof a.fix);
        assert_memory_equal(p.regions, a.regions, sizeof a.regions);
        assert_memory_equal(p.region_present, a.present, sizeof a.present);
        if (with_truth) assert_memory_equal(p.truth, a.truth, sizeof a.truth);
        else assert_null(p.truth);
        for (int i = 0; i < N; i++) {
            assert_string_equal(p.dicom_id[i], a.ids[i].dicom_id); // quoted in the CSV
            assert_string_equal(p.subject_id[i], a.ids[i].subject_id);
            assert_string_equal(p.study_id[i], a.ids[i].study_id);
            assert_string_equal(p.view[i], a.ids[i].view);
        }
        assert_string_equal(st_meta(&p.st, "seed"), "42");
        assert_string_equal(st_meta(&p.st, "format"), PACK_FORMAT);
        int64_t *rows;
        assert_int_equal(pack_split_rows(&p, SPLIT_VALIDATE, &rows), 2);
        assert_int_equal(rows[0], 1);
        assert_int_equal(rows[1], 4);
        free(rows);
        pack_close(&p);
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp.%d", dir, (int)getpid());
        assert_false(cx_path_exists(tmp)); // renamed into place
        snprintf(tmp, sizeof tmp, "%s/summary.json", dir);
        assert_true(cx_path_exists(tmp));
    }
    // no gaze at all: empty gaze tensors
    arrays *b = &a;
    pack_contents c = contents(b, 0);
    int32_t none[N] = {-1, -1, -1, -1, -1};
    c.n_gaze = 0;
    c.gaze_row = none;
    c.gaze = NULL;
    c.fixations = c.regions = c.region_present = NULL;
    assert_int_equal(pack_write(&c, dir, NULL, &err), 0);
    pack p;
    assert_int_equal(pack_open(&p, dir, &err), 0);
    assert_int_equal(p.n_gaze, 0);
    assert_null(p.gaze);
    pack_close(&p);
}

// Expert annotations: written, read back, looked up by (row, label) (hits and misses, an extra
// label past the 14); unsorted or non-0/1 ones refused with a message naming what is wrong.
static void annotations_round_trip(void **state) {
    (void)state;
    static arrays a;
    fill(&a);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("pack_annotations"));
    enum { NA = 4 };
    static uint8_t masks[NA * S * S];
    for (int i = 0; i < NA * S * S; i++) masks[i] = (uint8_t)((i / S + i / (S * S)) % 2);
    int32_t row[NA] = {0, 0, 3, 4}, label[NA] = {LB_EDEMA, CX_N_LABELS, LB_ATELECTASIS, 1};
    const char *names[CX_N_LABELS + 1];
    for (int c = 0; c < CX_N_LABELS; c++) names[c] = CX_LABELS[c];
    names[CX_N_LABELS] = "Hernia";
    pack_contents c = contents(&a, 1);
    c.n_annot = NA;
    c.annot_mask = masks;
    c.annot_row = row;
    c.annot_label = label;
    c.n_annot_labels = CX_N_LABELS + 1;
    c.annot_labels = names;
    cx_error err = {0};
    if (pack_write(&c, dir, NULL, &err)) fail_msg("%s", err.msg);
    pack p;
    if (pack_open(&p, dir, &err)) fail_msg("%s", err.msg);
    assert_int_equal(p.n_annot, NA);
    assert_int_equal(p.n_annot_labels, CX_N_LABELS + 1);
    assert_string_equal(p.annot_labels[CX_N_LABELS], "Hernia");
    for (int k = 0; k < NA; k++) {
        const uint8_t *m = pack_annotation(&p, row[k], label[k]);
        assert_ptr_equal(m, p.annot_mask + (size_t)k * S * S);
        assert_memory_equal(m, masks + k * S * S, S * S);
    }
    assert_null(pack_annotation(&p, 0, LB_CARDIOMEGALY)); // row with others, label absent
    assert_null(pack_annotation(&p, 1, LB_EDEMA));        // row without any
    assert_null(pack_annotation(&p, 4, 0));
    assert_null(pack_annotation(&p, 5, 1));               // past the last row
    pack_close(&p);
    // a pack whose annotation_row is out of order on disk (patched in place): refused on open
    char path[4200];
    snprintf(path, sizeof path, "%s/pack.safetensors", dir);
    st_file f;
    if (st_open(&f, path, &err)) fail_msg("%s", err.msg);
    long off = (long)((const char *)st_find(&f, "annotation_row")->data - (const char *)f.map);
    st_close(&f);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    int32_t swapped[2] = {4, 3};
    assert_int_equal(fseek(fp, off + 2 * (long)sizeof(int32_t), SEEK_SET), 0);
    assert_int_equal(fwrite(swapped, sizeof swapped, 1, fp), 1);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(pack_open(&p, dir, &err), -1);
    assert_non_null(strstr(err.msg, "annotation 3: row 3, label 1"));
    assert_non_null(strstr(err.msg, "sorted by (row, label)"));
    // not sorted by (row, label): refused by the writer
    int32_t unsorted[NA] = {0, 0, 4, 3};
    c.annot_row = unsorted;
    assert_int_equal(pack_write(&c, dir, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "not sorted by (row, label)"));
    // a mask value other than 0/1: written, refused on open naming the tensor
    c.annot_row = row;
    masks[S * S + 3] = 2;
    if (pack_write(&c, dir, NULL, &err)) fail_msg("%s", err.msg);
    assert_int_equal(pack_open(&p, dir, &err), -1);
    assert_non_null(strstr(err.msg, "tensor \"annotations\": element"));
    masks[S * S + 3] = 0;
    // the first 14 names must be CX_LABELS
    names[3] = "Oedema";
    assert_int_equal(pack_write(&c, dir, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "annotation label 3 'Oedema'"));
}

// Radiologist readings (several per image): written with readings.csv, read back, found per row;
// unsorted rows and a heatmap value outside [0,1] refused.
static void readings_round_trip(void **state) {
    (void)state;
    static arrays a;
    fill(&a);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("pack_readings"));
    enum { NR = 5 };
    static float heat[NR * S * S];
    static uint8_t fix[NR * S * S];
    for (int i = 0; i < NR * S * S; i++) heat[i] = (float)(i % 9) / 8.0f, fix[i] = i % 5 == 0;
    int32_t row[NR] = {1, 1, 1, 3, 4};
    uint8_t source[NR] = {READING_EGD, READING_REFLACX, READING_REFLACX, READING_REFLACX,
                          READING_REFLACX};
    const char *ids[NR] = {"dcm-1", "P102R108074", "P102R108075", "P300R000001", "P300R000002"};
    pack_contents c = contents(&a, 0);
    c.n_readings = NR, c.reading_gaze = heat, c.reading_fixations = fix, c.reading_row = row;
    c.reading_source = source, c.reading_id = ids;
    cx_error err = {0};
    if (pack_write(&c, dir, NULL, &err)) fail_msg("%s", err.msg);
    pack p;
    if (pack_open(&p, dir, &err)) fail_msg("%s", err.msg);
    assert_int_equal(p.n_readings, NR);
    assert_memory_equal(p.reading_gaze, heat, sizeof heat);
    assert_memory_equal(p.reading_fixations, fix, sizeof fix);
    for (int i = 0; i < NR; i++) {
        assert_int_equal(p.reading_source[i], source[i]);
        assert_string_equal(p.reading_id[i], ids[i]);
    }
    int64_t first;
    assert_int_equal(pack_readings(&p, 1, &first), 3), assert_int_equal(first, 0);
    assert_int_equal(pack_readings(&p, 3, &first), 1), assert_int_equal(first, 3);
    assert_int_equal(pack_readings(&p, 4, &first), 1), assert_int_equal(first, 4);
    assert_int_equal(pack_readings(&p, 0, &first), 0);
    assert_int_equal(pack_readings(&p, 2, &first), 0);
    pack_close(&p);
    // A pack without readings has none (and no readings.csv is needed).
    snprintf(dir, sizeof dir, "%s", test_out_path("pack_no_readings"));
    c = contents(&a, 0);
    if (pack_write(&c, dir, NULL, &err) || pack_open(&p, dir, &err)) fail_msg("%s", err.msg);
    assert_int_equal(p.n_readings, 0);
    assert_null(p.reading_gaze);
    pack_close(&p);
    // Refused: rows not ascending (writer); a heatmap value above 1 (reader).
    c.n_readings = NR, c.reading_gaze = heat, c.reading_fixations = fix, c.reading_source = source;
    c.reading_id = ids;
    int32_t unsorted[NR] = {1, 3, 1, 3, 4};
    c.reading_row = unsorted;
    assert_int_equal(pack_write(&c, dir, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "reading 2 (row 1"));
    c.reading_row = row;
    heat[7] = 1.5f;
    snprintf(dir, sizeof dir, "%s", test_out_path("pack_bad_reading"));
    if (pack_write(&c, dir, NULL, &err)) fail_msg("%s", err.msg);
    assert_int_equal(pack_open(&p, dir, &err), -1);
    assert_non_null(strstr(err.msg, "tensor \"reading_gaze\": element 7 is 1.5"));
}

static void bad_packs_refused(void **state) {
    (void)state;
    static arrays a;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_out_path("pack_bad"));
    cx_error err = {0};
    pack p;
    // a label that is not 0/1
    fill(&a);
    a.labels[17] = 0.5f;
    pack_contents c = contents(&a, 0);
    assert_int_equal(pack_write(&c, dir, NULL, &err), 0);
    assert_int_equal(pack_open(&p, dir, &err), -1);
    assert_non_null(strstr(err.msg, "pack.safetensors"));
    assert_non_null(strstr(err.msg, "\"labels\""));
    // a gaze row used twice
    fill(&a);
    a.gaze_row[4] = 0;
    assert_int_equal(pack_write(&c, dir, NULL, &err), 0);
    assert_int_equal(pack_open(&p, dir, &err), -1);
    assert_non_null(strstr(err.msg, "gaze_row"));
    // gaze value outside [0,1]
    fill(&a);
    a.gaze[5] = 1.5f;
    assert_int_equal(pack_write(&c, dir, NULL, &err), 0);
    assert_int_equal(pack_open(&p, dir, &err), -1);
    assert_non_null(strstr(err.msg, "\"gaze\""));
    // index.csv disagreeing with the tensors, on line 3
    fill(&a);
    assert_int_equal(pack_write(&c, dir, NULL, &err), 0);
    write_text(tree_path(dir, "index.csv"),
               "row,dicom_id,subject_id,study_id,split,has_gaze,gaze_row,view\n"
               "0,a,1,1,train,0,-1,\n1,b,1,1,train,1,0,PA\n2,c,1,1,test,0,-1,PA\n"
               "3,d,1,1,train,0,-1,PA\n4,e,1,1,validate,1,1,PA\n");
    assert_int_equal(pack_open(&p, dir, &err), -1);
    assert_non_null(strstr(err.msg, "index.csv:3"));
    assert_non_null(strstr(err.msg, "split"));
    write_text(tree_path(dir, "index.csv"),
               "row,dicom_id,subject_id,study_id,split,has_gaze,gaze_row,view\n0,a,1,1,train,0,-1,\n");
    assert_int_equal(pack_open(&p, dir, &err), -1);
    assert_non_null(strstr(err.msg, "index.csv: 1 rows"));
    // a tensor with the wrong shape (written by hand with another size in the metadata)
    st_writer *w = st_writer_new();
    int64_t sh[3] = {N, S, S};
    st_writer_add(w, "images", ST_U8, 3, sh, a.images);
    int64_t sg[3] = {0, S, S};
    st_writer_add(w, "gaze", ST_F32, 3, sg, a.gaze);
    st_writer_meta(w, "format", PACK_FORMAT);
    st_writer_meta(w, "size", "7");
    char labels[1024] = "";
    for (int i = 0; i < CX_N_LABELS; i++) {
        if (i) strcat(labels, ",");
        strcat(labels, CX_LABELS[i]);
    }
    st_writer_meta(w, "labels", labels);
    assert_int_equal(st_writer_write(w, tree_path(dir, "pack.safetensors"), &err), 0);
    st_writer_free(w);
    assert_int_equal(pack_open(&p, dir, &err), -1);
    assert_non_null(strstr(err.msg, "images"));
    // not a pack at all
    assert_int_equal(pack_open(&p, tree_path(dir, "nope"), &err), -1);
    assert_non_null(strstr(err.msg, "nope"));
}

static void replacing_directories(void **state) {
    (void)state;
    static arrays a;
    fill(&a);
    pack_contents c = contents(&a, 0);
    cx_error err = {0};
    char dir[4096];
    // an unrelated non-empty directory is never replaced
    snprintf(dir, sizeof dir, "%s", test_out_path("pack_not_a_pack"));
    write_text(tree_path(dir, "precious.txt"), "keep me");
    assert_int_equal(pack_write(&c, dir, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "not replacing"));
    assert_true(cx_path_exists(tree_path(dir, "precious.txt")));
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", dir, (int)getpid());
    assert_false(cx_path_exists(tmp));
    // an empty directory is fine; an old pack is replaced
    snprintf(dir, sizeof dir, "%s", test_out_path("pack_empty_dir"));
    remove(tree_path(dir, "pack.safetensors"));
    remove(tree_path(dir, "index.csv"));
    remove(tree_path(dir, "summary.json"));
    rmdir(dir);
    cx_mkdir_p(dir, NULL);
    assert_int_equal(pack_write(&c, dir, NULL, &err), 0);
    a.images[0] = 99;
    assert_int_equal(pack_write(&c, dir, NULL, &err), 0);
    pack p;
    assert_int_equal(pack_open(&p, dir, &err), 0);
    assert_int_equal(p.images[0], 99);
    pack_close(&p);
    // what prepare checks up front: absent, empty or a pack is fine; anything else is named
    assert_int_equal(pack_target_ok(dir, &err), 0);
    assert_int_equal(pack_target_ok(tree_path(dir, "nope"), &err), 0);
    assert_int_equal(pack_target_ok(tree_path(dir, "index.csv"), &err), -1);
    assert_non_null(strstr(err.msg, "index.csv"));
    snprintf(tmp, sizeof tmp, "%s", test_out_path("pack_not_a_pack"));
    assert_int_equal(pack_target_ok(tmp, &err), -1);
    assert_non_null(strstr(err.msg, "pack_not_a_pack"));
}

// Folders of writers killed between mkdir and rename are cleared by the next write; those of
// running processes (pid 1 here) and unrelated names are left alone.
static void stale_temporaries_removed(void **state) {
    (void)state;
    static arrays a;
    fill(&a);
    pack_contents c = contents(&a, 0);
    cx_error err = {0};
    char dir[4096], dead[4200], dead_old[4200], alive[4200], other[4200];
    snprintf(dir, sizeof dir, "%s", test_out_path("pack_stale"));
    // pid 2^31-2 exceeds any pid_max (at most 2^22): no such process
    snprintf(dead, sizeof dead, "%s.tmp.2147483646", dir);
    snprintf(dead_old, sizeof dead_old, "%s.old.2147483646", dir);
    snprintf(alive, sizeof alive, "%s.tmp.1", dir);
    snprintf(other, sizeof other, "%s.tmp.notapid", dir);
    write_text(tree_path(dead, "pack.safetensors"), "half written");
    write_text(tree_path(dead_old, "pack.safetensors"), "moved aside");
    write_text(tree_path(alive, "pack.safetensors"), "still being written");
    write_text(tree_path(other, "keep.txt"), "not ours");
    assert_int_equal(pack_write(&c, dir, NULL, &err), 0);
    assert_false(cx_path_exists(dead));
    assert_false(cx_path_exists(dead_old));
    assert_true(cx_path_exists(tree_path(alive, "pack.safetensors")));
    assert_true(cx_path_exists(tree_path(other, "keep.txt")));
    pack p;
    assert_int_equal(pack_open(&p, dir, &err), 0);
    assert_int_equal(p.n, N);
    pack_close(&p);
    rm_tree(alive);
    rm_tree(other);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(annotations_round_trip),
        cmocka_unit_test(readings_round_trip),
        cmocka_unit_test(bad_packs_refused),
        cmocka_unit_test(replacing_directories),
        cmocka_unit_test(stale_temporaries_removed),
    };
    return cmocka_run_group_tests_name("data/pack", tests, NULL, NULL);
}
