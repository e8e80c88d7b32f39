// data/prepare: private declarations shared by prepare.c and prepare_annot.c (the public API is
// the "prepare" section of data.h).
#ifndef CX_PREPARE_INTERNAL_H
#define CX_PREPARE_INTERNAL_H

#include <stdio.h>

#include <jansson.h>

#include "data/data.h"

// One image's annotation masks, labels ascending (empty ones dropped and counted).
typedef struct annot_row {
    int n;
    int *label;     // [n] annot_set label indices (malloc'd)
    uint8_t *mask;  // [n,S,S] 0/1 (malloc'd)
    int vanished;   // labels whose mask came out empty at S x S
} annot_row;
// Renders the annotations of the image dicom_id (none when no key matches) through g, marking the
// matched key in key_used. Called from the parallel image loop. 0, or -1 with e.
int prepare_annot_image(const annot_set *an, uint8_t *key_used, const char *dicom_id,
                        const img_fit_geom *g, annot_row *out, cx_error *e);
void annot_row_free(annot_row *r);

// The kept rows' annotation masks in pack order: rows ascending, labels ascending within a row.
typedef struct kept_annot {
    int64_t n;
    uint8_t *mask;  // [n,S,S]
    int32_t *row;   // [n]
    int32_t *label; // [n]
} kept_annot;
void kept_annot_free(kept_annot *ka);
// rows[i]: image i's masks, NULL for an image left out (the kept ones become pack rows 0, 1, ...).
// Fills ka and the annotation counts of s (unmatched keys from key_used).
void prepare_annot_collect(const annot_set *an, const uint8_t *key_used,
                           const annot_row *const *rows, int64_t n, int S, kept_annot *ka,
                           prepare_summary *s);
// summary.json's "annotations" object; the printed lines.
json_t *prepare_annot_json(const prepare_summary *s, const annot_set *an, const kept_annot *ka,
                           const char *file);
void prepare_annot_print(const prepare_summary *s, FILE *out);

#endif
