// data/splits: whole-patient split assignment (DATA-FORMATS.md §Splits) and its check.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

typedef struct patient {
    const char *subject_id;
    int official; // most held-out official split among the patient's rows
    int has_gaze;
    int split;    // final
} patient;

// Numeric ids compare as numbers (shorter is smaller), then as strings.
static int id_cmp(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    if (na != nb) return na < nb ? -1 : 1;
    return strcmp(a, b);
}

static int patient_ptr_cmp(const void *a, const void *b) {
    const patient *pa = *(const patient *const *)a, *pb = *(const patient *const *)b;
    return id_cmp(pa->subject_id, pb->subject_id);
}

int64_t splits_assign(image_list *l, double gaze_test_fraction, uint64_t seed) {
    cx_strmap idx;
    strmap_init(&idx);
    patient *p = cx_calloc(l->n ? (size_t)l->n : 1, sizeof *p);
    int64_t np = 0;
    int64_t *pat_of = cx_malloc((l->n ? (size_t)l->n : 1) * sizeof *pat_of); // [n] patient index
    for (int64_t i = 0; i < l->n; i++) {
        image_record *r = &l->r[i];
        int64_t k = strmap_get(&idx, r->subject_id);
        if (k < 0) {
            k = np++;
            strmap_put(&idx, r->subject_id, k);
            p[k] = (patient){.subject_id = r->subject_id, .official = r->split};
        }
        // test > validate > train: SPLIT_* codes are ordered that way
        if (r->split > p[k].official) p[k].official = r->split;
        if (r->egd >= 0 || r->n_reflacx > 0) p[k].has_gaze = 1;
        pat_of[i] = k;
    }
    // EGD patients in a canonical order (sorted ids), shuffled by the seed; the first
    // round(f * n) go to test.
    patient **egd = cx_malloc((size_t)(np ? np : 1) * sizeof *egd);
    int64_t ne = 0;
    for (int64_t k = 0; k < np; k++) {
        p[k].split = p[k].official;
        if (p[k].has_gaze) egd[ne++] = &p[k];
    }
    qsort(egd, (size_t)ne, sizeof *egd, patient_ptr_cmp);
    cx_rng rng;
    cx_rng_seed(&rng, seed, 7);
    for (int64_t i = ne - 1; i > 0; i--) { // Fisher-Yates
        int64_t j = (int64_t)cx_rng_below(&rng, (uint64_t)i + 1);
        patient *t = egd[i];
        egd[i] = egd[j];
        egd[j] = t;
    }
    int64_t n_test = (int64_t)llround(gaze_test_fraction * (double)ne);
    if (n_test > ne) n_test = ne;
    for (int64_t i = 0; i < ne; i++) egd[i]->split = i < n_test ? SPLIT_TEST : SPLIT_TRAIN;
    for (int64_t i = 0; i < l->n; i++) l->r[i].split = p[pat_of[i]].split;
    free(egd);
    free(pat_of);
    free(p);
    strmap_free(&idx);
    return n_test;
}

int splits_check_disjoint(const image_list *l, cx_error *err) {
    cx_strmap first; // subject -> first row
    strmap_init(&first);
    int rc = 0;
    for (int64_t i = 0; i < l->n && !rc; i++) {
        int64_t k = strmap_get(&first, l->r[i].subject_id);
        if (k < 0) strmap_put(&first, l->r[i].subject_id, i);
        else if (l->r[k].split != l->r[i].split)
            rc = cx_fail(err, "patient %s is in two splits: %s (image %s) and %s (image %s)",
                         l->r[i].subject_id, CX_SPLITS[l->r[k].split], l->r[k].dicom_id,
                         CX_SPLITS[l->r[i].split], l->r[i].dicom_id);
    }
    strmap_free(&first);
    return rc;
}
