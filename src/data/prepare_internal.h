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
// an may be NULL (REFLACX ellipse masks only): then only annot_masks and the per-label counts.
// Fills ka and the annotation counts of s (unmatched keys from key_used).
void prepare_annot_collect(const annot_set *an, const uint8_t *key_used,
                           const annot_row *const *rows, int64_t n, int S, kept_annot *ka,
                           prepare_summary *s);
// summary.json's "annotations" object; the printed lines.
json_t *prepare_annot_json(const prepare_summary *s, const annot_set *an, const kept_annot *ka,
                           const char *file);
void prepare_annot_print(const prepare_summary *s, FILE *out);

// ---- prepare --reflacx (prepare_reflacx.c) -------------------------------------------------
// The readings of each image list row occupy slots first[i] .. first[i+1] of the reading arrays:
// EGD's reading first when the image has both, then its REFLACX readings in file order.
typedef struct prep_reflacx {
    reflacx_data d;
    int have;                // d was read
    int64_t *row_of;         // [d.n_reading] image list row, -1 = not in the pack's selection
    int64_t matched, unmatched;
    uint64_t cx_bits[CX_N_LABELS]; // reflacx_cx_label_bits per CX label
    int64_t *first;          // [N + 1]
    int64_t *reading_of;     // [n_slots] index into d.reading, -1 = EGD's reading
    int64_t n_slots;
    float *gaze;             // [n_slots,S,S] scratch (NULL when none)
    uint8_t *fix;            // [n_slots,S,S]
    size_t gaze_bytes, fix_bytes;
    // after prepare_reflacx_collect: the kept readings, compacted to the front of gaze/fix
    int64_t n_kept;
    int32_t *row;            // [n_kept] pack row
    uint8_t *source;         // [n_kept] READING_*
    const char **id;         // [n_kept] reading id (EGD: the dicom_id)
} prep_reflacx;

// Per image, from the parallel loop.
typedef struct reflacx_row {
    int annot;               // CX labels with a non-empty ellipse mask
    int annot_vanished;      // labels with ellipses whose mask is empty at S x S
    int size_mismatch;       // readings whose image_size_x/y differ from the decoded image
} reflacx_row;

// Reads dir and matches its readings to l's rows by dicom_id (setting r.n_reflacx); a subject_id
// that disagrees with MIMIC's is an error. Call before splits_assign.
int prepare_reflacx_match(const char *dir, image_list *l, prep_reflacx *rx, cx_error *err);
// Slots per row and the scratch reading arrays beside the pack.
int prepare_reflacx_slots(prep_reflacx *rx, const image_list *l, int S, const char *scratch_dir,
                          cx_error *err);
// Row i's readings through g: reading maps and fixation maps into the slots (EGD's copied from
// gaze/fixations, which must already hold it), then gaze/fixations [S,S] replaced by the min-max
// of the readings' mean and their union; ellipse masks merged into annot.
void prepare_reflacx_image(const prep_reflacx *rx, int64_t i, const img_fit_geom *g, float *gaze,
                           uint8_t *fixations, double min_certainty, annot_row *annot,
                           reflacx_row *out);
// Keeps the slots of decoded rows (ok[i]), renumbering rows as keep_rows does; counts into s.
void prepare_reflacx_collect(prep_reflacx *rx, const image_list *l, const int *ok, int S,
                             prepare_summary *s);
void prepare_reflacx_stats(const prep_reflacx *rx, prepare_summary *s);
void prepare_reflacx_free(prep_reflacx *rx);
json_t *prepare_reflacx_json(const prepare_summary *s, const char *dir, double certainty);
void prepare_reflacx_print(const prepare_summary *s, FILE *out);

#endif
