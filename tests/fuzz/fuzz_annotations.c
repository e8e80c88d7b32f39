// libFuzzer target: the expert annotation readers (annot_read: NIH BBox_List_2017.csv,
// CheXlocalize polygon JSON and COCO-RLE JSON, told apart by content) and annot_render of every
// (image, label) into a small S x S grid. The input is the annotation file. Invariants: shapes
// sorted by (key, label), labels and keys in range, every key's range inside the shapes, masks
// 0/1, a compressed RLE re-encoded from a decoded one decodes to the same runs.
#include "data/data.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const char *path = fuzz_path("annotations");
    fuzz_write(path, data, n);
    annot_set a;
    cx_error err;
    if (annot_read(path, &a, &err)) return 0;
    if (a.n_labels < CX_N_LABELS) abort();
    for (int64_t i = 0; i < a.n; i++) {
        const annot_shape *s = &a.s[i];
        if (s->label < 0 || s->label >= a.n_labels || s->key < 0 || s->key >= a.n_keys) abort();
        if (i && (s->key < a.s[i - 1].key ||
                  (s->key == a.s[i - 1].key && s->label < a.s[i - 1].label)))
            abort();
    }
    if (a.first[0] != 0 || a.first[a.n_keys] != a.n) abort();
    img_fit_geom g;
    img_fit_geom_init(&g, 64, 48, 16);
    uint8_t out[16 * 16];
    int *labels = malloc((size_t)a.n_labels * sizeof *labels);
    for (int64_t k = 0; k < a.n_keys; k++) {
        if (annot_match(&a, a.keys[k]) < 0) abort();
        int big = 0; // keep each run fast: skip rasters over 1 Mpx
        for (int64_t i = a.first[k]; i < a.first[k + 1]; i++)
            big |= a.s[i].kind != ANNOT_BOX && (int64_t)a.s[i].frame_w * a.s[i].frame_h > (1 << 20);
        if (big) continue;
        int nl = annot_key_labels(&a, k, labels);
        for (int j = 0; j < nl; j++) {
            if (annot_render(&a, k, labels[j], &g, out, &err) < 0) continue;
            for (int p = 0; p < 16 * 16; p++)
                if (out[p] > 1) abort();
        }
    }
    for (int64_t i = 0; i < a.n; i++) { // RLE codec round trip on what was read
        const annot_shape *s = &a.s[i];
        if (s->kind != ANNOT_RLE || (int64_t)s->frame_w * s->frame_h > (1 << 20)) continue;
        uint8_t *m = calloc((size_t)s->frame_w * s->frame_h, 1);
        annot_rle_paint(s->runs, s->n, s->frame_w, s->frame_h, m);
        char *str = annot_rle_to_string(m, s->frame_w, s->frame_h);
        uint32_t *runs;
        int64_t nr;
        if (annot_rle_from_string(str, (int64_t)s->frame_w * s->frame_h, &runs, &nr, &err)) abort();
        uint8_t *m2 = calloc((size_t)s->frame_w * s->frame_h, 1);
        annot_rle_paint(runs, nr, s->frame_w, s->frame_h, m2);
        if (memcmp(m, m2, (size_t)s->frame_w * s->frame_h)) abort();
        free(m);
        free(m2);
        free(runs);
        free(str);
    }
    free(labels);
    annot_free(&a);
    return 0;
}
