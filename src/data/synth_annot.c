// data/synth_annot: the planted findings as expert annotations, in the three formats that
// `prepare --annotations` reads (docs/annotations.md), so tests and the demo run the real readers:
//   truth/BBox_List_2017.csv        NIH boxes (NIH finding names where one exists; the real
//                                   header with its split "Bbox [x,y,w,h]" and empty columns;
//                                   "<dicom_id>.jpg" keys; coordinates in the 1024 x 1024 frame)
//   truth/chexlocalize_polygons.json each finding's box as a 4-point polygon (img_size frame)
//   truth/chexlocalize_rle.json      the exact finding masks (truth/masks/*.png), united per
//                                   (image, label), as compressed COCO RLE
// Written serially after the images (the masks are read back from truth/masks).
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "data/synth_internal.h"

// The NIH ChestX-ray14 name of a CX label (ANNOT_LABEL_MAP read backwards; Nodule for Lung
// Lesion, the synthetic lesion being a nodule), else the CX name.
static const char *nih_name(int label) {
    if (label == LB_LUNG_LESION) return "Nodule";
    if (label == LB_LUNG_OPACITY) return "Infiltrate";
    for (int i = 0; i < ANNOT_LABEL_MAP_N; i++)
        if (ANNOT_LABEL_MAP[i].label == label) return ANNOT_LABEL_MAP[i].name;
    return CX_LABELS[label];
}

// CheXlocalize's spelling: "Airspace Opacity" for Lung Opacity, else the CX name.
static const char *chexlocalize_name(int label) {
    return label == LB_LUNG_OPACITY ? "Airspace Opacity" : CX_LABELS[label];
}

static int write_json(json_t *j, const char *path, cx_error *err) {
    char *text = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    int rc = cx_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

// Masks of image i united per label into u[label] (allocated on first use), read back from
// truth/masks/<dicom_id>_<k>.png.
static int unite_masks(const synth_plan *p, int64_t i, const int (*bbox)[4], const char *truth_dir,
                       uint8_t **u, cx_error *err) {
    const synth_image *im = &p->img[i];
    const synth_study *st = &p->study[im->study];
    for (int k = 0; k < st->n_find; k++) {
        if (bbox[k][2] <= bbox[k][0]) continue;
        char path[4200];
        img_gray m;
        if (cx_pathf(path, sizeof path, err, "%s/masks/%s_%d.png", truth_dir, im->dicom_id, k) ||
            img_load_mask(path, &m, err))
            return -1;
        int lb[2], n = synth_kind_labels(st->find[k].kind, lb);
        for (int j = 0; j < n; j++) {
            if (!u[lb[j]]) u[lb[j]] = cx_calloc((size_t)im->w * im->h, 1);
            for (size_t q = 0; q < (size_t)im->w * im->h; q++) u[lb[j]][q] |= m.px[q] != 0;
        }
        img_gray_free(&m);
    }
    return 0;
}

int synth_write_annotations(const synth_plan *p, const int (*bbox)[SYNTH_MAX_FINDINGS][4],
                            const char *truth_dir, cx_error *err) {
    char path[4200];
    if (cx_pathf(path, sizeof path, err, "%s/BBox_List_2017.csv", truth_dir)) return -1;
    FILE *csv = fopen(path, "w");
    if (!csv) return cx_fail(err, "%s: cannot write", path);
    fprintf(csv, "Image Index,Finding Label,Bbox [x,y,w,h],,,\n");
    json_t *poly = json_object(), *rle = json_object();
    int rc = 0;
    for (int64_t i = 0; i < p->n_img && !rc; i++) {
        const synth_image *im = &p->img[i];
        if (im->view != VIEW_PA && im->view != VIEW_AP) continue;
        const synth_study *st = &p->study[im->study];
        const double fx = (double)NIH_BOX_FRAME / im->w, fy = (double)NIH_BOX_FRAME / im->h;
        json_t *pimg = json_object();
        json_object_set_new(pimg, "img_size", json_pack("[ii]", im->h, im->w));
        for (int k = 0; k < st->n_find; k++) {
            const int *b = bbox[i][k];
            if (b[2] <= b[0]) continue;
            int lb[2], n = synth_kind_labels(st->find[k].kind, lb);
            for (int j = 0; j < n; j++) {
                fprintf(csv, "%s.jpg,%s,%.12f,%.12f,%.12f,%.12f\n", im->dicom_id, nih_name(lb[j]),
                        b[0] * fx, b[1] * fy, (b[2] - b[0]) * fx, (b[3] - b[1]) * fy);
                const char *name = chexlocalize_name(lb[j]);
                json_t *list = json_object_get(pimg, name);
                if (!list) json_object_set_new(pimg, name, list = json_array());
                // PIL fills a rectangle's corner pixels inclusively: x0..x1-1, y0..y1-1.
                json_array_append_new(list, json_pack("[[ii][ii][ii][ii]]", b[0], b[1], b[2] - 1,
                                                      b[1], b[2] - 1, b[3] - 1, b[0], b[3] - 1));
            }
        }
        uint8_t *u[CX_N_LABELS] = {0};
        rc = unite_masks(p, i, bbox[i], truth_dir, u, err);
        json_t *rimg = json_object();
        for (int c = 0; c < CX_N_LABELS; c++) {
            if (!u[c]) continue;
            char *counts = annot_rle_to_string(u[c], im->w, im->h);
            json_object_set_new(rimg, chexlocalize_name(c),
                                json_pack("{s[ii]ss}", "size", im->h, im->w, "counts", counts));
            free(counts);
            free(u[c]);
        }
        json_object_set_new(poly, im->dicom_id, pimg);
        json_object_set_new(rle, im->dicom_id, rimg);
    }
    if (fclose(csv) != 0 && !rc) rc = cx_fail(err, "%s: write failed", path);
    if (!rc) rc = cx_pathf(path, sizeof path, err, "%s/chexlocalize_polygons.json", truth_dir) ||
                  write_json(poly, path, err) ? -1 : 0;
    if (!rc) rc = cx_pathf(path, sizeof path, err, "%s/chexlocalize_rle.json", truth_dir) ||
                  write_json(rle, path, err) ? -1 : 0;
    json_decref(poly);
    json_decref(rle);
    return rc;
}
