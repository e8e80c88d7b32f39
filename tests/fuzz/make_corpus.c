// Writes the binary seed corpora of the fuzz targets with cxrgaze's own writers:
//   corpus/safetensors  st_writer files (F32, F16, BF16, U8, I64, metadata, empty tensors)
//   corpus/pack         pack_write packs (N=3, S=4, with and without gaze/truth), each as
//                       pack.safetensors + 0x1e + index.csv (fuzz_pack.c's input layout)
//   corpus/model        headers of model_save'd densenet121 files (fuzz_model.c's '{' layout)
//   corpus/image        PNG (gray, RGB, RGBA) and JPEG (gray) files, a few pixels each
// The text corpora (csv, mimic, egd) are made by tests/fuzz/make-corpus from the data tests'
// tiny trees. Usage: make_corpus OUT_DIR (run by tests/fuzz/make-corpus; the committed corpus
// is its output).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/data.h"
#include "io/io.h"
#include "train/train.h"

static const char *out_dir;

static void die(const char *what, const cx_error *err) {
    fprintf(stderr, "make_corpus: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static const char *outp(const char *rel) {
    static char buf[4][4096];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", out_dir, rel);
    return buf[k];
}

static void read_all(const char *path, char **data, size_t *n) {
    cx_error err;
    if (cx_read_file(path, data, n, &err)) die(path, &err);
}

static void write_all(const char *path, const void *data, size_t n) {
    cx_error err;
    if (cx_write_file_atomic(path, data, n, &err)) die(path, &err);
}

static void safetensors_seeds(void) {
    cx_error err;
    float f[6] = {1, -2, 3.5f, 0, 1e-3f, 65504};
    uint16_t h[4] = {0x3c00, 0xc000, 0x7bff, 0x0001}, bf[3] = {0x3f80, 0xbf80, 0x4049};
    uint8_t u[5] = {0, 1, 2, 254, 255};
    int64_t i64[1] = {7};
    int64_t s23[2] = {2, 3}, s4[1] = {4}, s3[1] = {3}, s5[1] = {5}, s0[2] = {0, 4};
    st_writer *w = st_writer_new();
    st_writer_add(w, "w", ST_F32, 2, s23, f);
    st_writer_add(w, "h", ST_F16, 1, s4, h);
    st_writer_add(w, "b", ST_BF16, 1, s3, bf);
    st_writer_meta(w, "format", "pt");
    if (st_writer_write(w, outp("safetensors/mixed.safetensors"), &err)) die("st", &err);
    st_writer_free(w);
    w = st_writer_new();
    st_writer_add(w, "u8", ST_U8, 1, s5, u);
    st_writer_add(w, "count", ST_I64, 0, NULL, i64);
    st_writer_add(w, "empty", ST_F32, 2, s0, f);
    if (st_writer_write(w, outp("safetensors/ints.safetensors"), &err)) die("st", &err);
    st_writer_free(w);
    w = st_writer_new();
    st_writer_meta(w, "only", "metadata");
    if (st_writer_write(w, outp("safetensors/meta_only.safetensors"), &err)) die("st", &err);
    st_writer_free(w);
}

enum { PN = 3, PG = 1, PS = 4 };

static void pack_seed(const char *name, int n_gaze, int truth) {
    static uint8_t images[PN * PS * PS], mask[PN * CX_N_LABELS], split[PN];
    static float labels[PN * CX_N_LABELS], gaze[PG * PS * PS];
    static int32_t gaze_row[PN];
    static uint8_t fix[PG * PS * PS], regions[PG * 4 * PS * PS], present[PG * 4];
    static uint16_t tr[PN * PS * PS];
    static image_record ids[PN];
    for (int i = 0; i < PN * PS * PS; i++) images[i] = (uint8_t)(i * 13), tr[i] = (uint16_t)(i % 5 == 0);
    for (int i = 0; i < PN * CX_N_LABELS; i++) labels[i] = (float)(i % 4 == 0), mask[i] = (uint8_t)(i % 6 != 0);
    for (int i = 0; i < PG * PS * PS; i++) gaze[i] = (float)i / (PG * PS * PS), fix[i] = (uint8_t)(i % 5 == 0);
    for (int i = 0; i < PG * 4 * PS * PS; i++) regions[i] = (uint8_t)(i % 3 == 0);
    for (int i = 0; i < PG * 4; i++) present[i] = 1;
    for (int i = 0; i < PN; i++) {
        memset(&ids[i], 0, sizeof ids[i]);
        split[i] = (uint8_t)(i % 3);
        gaze_row[i] = n_gaze && i == 2 ? 0 : -1;
        snprintf(ids[i].dicom_id, sizeof ids[i].dicom_id, "d%d", i + 1);
        snprintf(ids[i].subject_id, sizeof ids[i].subject_id, "1000000%d", i);
        snprintf(ids[i].study_id, sizeof ids[i].study_id, "5000000%d", i);
        snprintf(ids[i].view, sizeof ids[i].view, "PA");
    }
    pack_contents c = {.n = PN, .n_gaze = n_gaze, .size = PS, .images = images, .labels = labels,
                       .label_mask = mask, .split = split, .gaze_row = gaze_row,
                       .gaze = n_gaze ? gaze : NULL, .fixations = n_gaze ? fix : NULL,
                       .regions = n_gaze ? regions : NULL,
                       .region_present = n_gaze ? present : NULL, .truth = truth ? tr : NULL,
                       .ids = ids, .n_meta = 1, .meta_key = {"seed"}, .meta_val = {"1"}};
    cx_error err;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/pack-tmp-%s", out_dir, name);
    if (pack_write(&c, dir, NULL, &err)) die("pack_write", &err);
    char p1[4200], p2[4200];
    snprintf(p1, sizeof p1, "%s/pack.safetensors", dir);
    snprintf(p2, sizeof p2, "%s/index.csv", dir);
    char *a, *b;
    size_t na, nb;
    read_all(p1, &a, &na);
    read_all(p2, &b, &nb);
    char *cat = malloc(na + 1 + nb);
    memcpy(cat, a, na);
    cat[na] = 0x1e;
    memcpy(cat + na + 1, b, nb);
    char rel[256];
    snprintf(rel, sizeof rel, "pack/%s", name);
    write_all(outp(rel), cat, na + 1 + nb);
    free(a), free(b), free(cat);
    unlink(p1), unlink(p2), rmdir(dir);
}

static void model_seed(const char *name, int classes, int gaze, int labels) {
    densenet_config cfg;
    cx_error err;
    if (densenet_config_for("densenet121", classes, gaze, &cfg, &err)) die("config", &err);
    densenet *net = densenet_create(&cfg);
    model_meta m;
    model_meta_init(&m, 224);
    if (labels && model_meta_set_labels(&m, CX_N_LABELS, CX_LABELS, &err)) die("labels", &err);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/model-tmp.safetensors", out_dir);
    if (model_save(net, tmp, &m, &err)) die("model_save", &err);
    densenet_free(net);
    char *d;
    size_t n;
    read_all(tmp, &d, &n);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | (uint8_t)d[i];
    char rel[256];
    snprintf(rel, sizeof rel, "model/%s", name);
    write_all(outp(rel), d + 8, (size_t)hlen); // the JSON header only (fuzz_model.c)
    free(d);
    unlink(tmp);
}

static void image_seeds(void) {
    cx_error err;
    uint8_t px[8 * 6 * 4];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 37 + 11);
    if (img_write_png(outp("image/gray_8x6.png"), px, 8, 6, 1, &err)) die("png", &err);
    if (img_write_png(outp("image/rgb_5x4.png"), px, 5, 4, 3, &err)) die("png", &err);
    if (img_write_png(outp("image/rgba_3x7.png"), px, 3, 7, 4, &err)) die("png", &err);
    uint8_t g[16 * 24];
    for (int i = 0; i < 16 * 24; i++) g[i] = (uint8_t)((i % 16) * 16);
    if (img_write_jpeg_gray(outp("image/gray_16x24.jpg"), g, 16, 24, 75, &err)) die("jpg", &err);
    if (img_write_jpeg_gray(outp("image/gray_9x3.jpg"), g, 9, 3, 20, &err)) die("jpg", &err);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus OUT_DIR\n");
        return 2;
    }
    out_dir = argv[1];
    const char *sub[] = {"safetensors", "pack", "model", "image"};
    cx_error err;
    for (int i = 0; i < 4; i++)
        if (cx_mkdir_p(outp(sub[i]), &err)) die("mkdir", &err);
    safetensors_seeds();
    pack_seed("gaze_truth", PG, 1);
    pack_seed("no_gaze", 0, 0);
    model_seed("densenet121_14_labels", CX_N_LABELS, 0, 1);
    model_seed("densenet121_3_gaze", 3, 1, 0);
    image_seeds();
    return 0;
}
