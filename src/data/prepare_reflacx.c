// data/prepare_reflacx: `prepare --reflacx DIR`. REFLACX readings matched to the pack's images by
// dicom_id; each reading's heatmap (the authors' recipe, reflacx_heatmap, max 1) and fixation map
// become the pack's reading tensors, with EGD's map as one more reading of an image both read;
// the image's gaze becomes the min-max of the mean of its readings' maps and its fixations their
// union; anomaly ellipses (certainty >= the threshold) become expert annotations per CX label,
// united with --annotations masks of the same (image, label). docs/reflacx.md, "prepare".
#include <stdlib.h>
#include <string.h>

#include "data/prepare_internal.h"

int prepare_reflacx_match(const char *dir, image_list *l, prep_reflacx *rx, cx_error *err) {
    memset(rx, 0, sizeof *rx);
    if (reflacx_read(dir, &rx->d, err)) return -1;
    rx->have = 1;
    const reflacx_data *d = &rx->d;
    cx_strmap row;
    strmap_init(&row);
    for (int64_t i = 0; i < l->n; i++)
        strmap_put(&row, l->r[i].dicom_id, i);
    rx->row_of = cx_malloc((size_t)(d->n_reading ? d->n_reading : 1) * sizeof *rx->row_of);
    int rc = 0;
    for (int64_t j = 0; j < d->n_reading && !rc; j++) {
        const reflacx_reading *r = &d->reading[j];
        int64_t i = rx->row_of[j] = strmap_get(&row, r->dicom_id);
        if (i < 0) {
            rx->unmatched++;
            continue;
        }
        if (strcmp(l->r[i].subject_id, r->subject_id))
            rc = cx_fail(err,
                         "%s/metadata_phase_%d.csv: reading %s of dicom_id %s has subject_id %s, "
                         "but the MIMIC metadata gives %s",
                         d->dir, r->phase, r->id, r->dicom_id, r->subject_id, l->r[i].subject_id);
        l->r[i].n_reflacx++;
        rx->matched++;
    }
    strmap_free(&row);
    for (int c = 0; c < CX_N_LABELS; c++)
        rx->cx_bits[c] = reflacx_cx_label_bits(d, c);
    return rc;
}

int prepare_reflacx_slots(prep_reflacx *rx, const image_list *l, int S, const char *scratch_dir,
                          cx_error *err) {
    const int64_t N = l->n, SS = (int64_t)S * S;
    rx->first = cx_malloc((size_t)(N + 1) * sizeof *rx->first);
    int64_t n = 0;
    for (int64_t i = 0; i < N; i++) {
        rx->first[i] = n;
        if (l->r[i].n_reflacx > 0) n += l->r[i].n_reflacx + (l->r[i].egd >= 0);
    }
    rx->first[N] = rx->n_slots = n;
    // slot -> reading (-1: EGD's reading, first in its image's slots); readings in file order
    rx->reading_of = cx_malloc((size_t)(n ? n : 1) * sizeof *rx->reading_of);
    int64_t *fill = cx_calloc((size_t)(N ? N : 1), sizeof *fill);
    for (int64_t i = 0; i < N; i++)
        if (l->r[i].n_reflacx > 0 && l->r[i].egd >= 0)
            rx->reading_of[rx->first[i] + fill[i]++] = -1;
    for (int64_t j = 0; j < rx->d.n_reading; j++) {
        int64_t i = rx->row_of[j];
        if (i >= 0) rx->reading_of[rx->first[i] + fill[i]++] = j;
    }
    free(fill);
    if (n == 0) return 0;
    rx->gaze_bytes = (size_t)(n * SS) * sizeof(float);
    rx->fix_bytes = (size_t)(n * SS);
    if (!(rx->gaze = cx_scratch_map(rx->gaze_bytes, scratch_dir, err)) ||
        !(rx->fix = cx_scratch_map(rx->fix_bytes, scratch_dir, err)))
        return -1;
    return 0;
}

// out = the union of in and (label, mask) pairs; labels ascending. Takes in's arrays.
static void annot_merge(annot_row *a, const int *label, const uint8_t *mask, int n, int64_t SS) {
    int tot = a->n + n, k = 0, i = 0, j = 0;
    int *nl = cx_malloc((size_t)(tot ? tot : 1) * sizeof *nl);
    uint8_t *nm = cx_malloc((size_t)(tot ? tot : 1) * (size_t)SS);
    while (i < a->n || j < n) {
        int take_a = j == n || (i < a->n && a->label[i] <= label[j]);
        int take_b = i == a->n || (j < n && label[j] <= a->label[i]);
        uint8_t *dst = nm + k * SS;
        memset(dst, 0, (size_t)SS);
        if (take_a) {
            nl[k] = a->label[i];
            for (int64_t p = 0; p < SS; p++)
                dst[p] |= a->mask[i * SS + p];
            i++;
        }
        if (take_b) {
            nl[k] = label[j];
            for (int64_t p = 0; p < SS; p++)
                dst[p] |= mask[j * SS + p];
            j++;
        }
        k++;
    }
    free(a->label);
    free(a->mask);
    a->label = nl, a->mask = nm, a->n = k;
}

void prepare_reflacx_image(const prep_reflacx *rx, int64_t i, const img_fit_geom *g, float *gaze,
                           uint8_t *fixations, double min_certainty, annot_row *annot,
                           reflacx_row *out) {
    const int64_t SS = (int64_t)g->size * g->size, a = rx->first[i], b = rx->first[i + 1];
    if (b == a) return;
    const reflacx_data *d = &rx->d;
    for (int64_t k = a; k < b; k++) {
        int64_t j = rx->reading_of[k];
        float *h = rx->gaze + k * SS;
        uint8_t *f = rx->fix + k * SS;
        if (j < 0) { // EGD's map, as computed for the image's gaze row
            memcpy(h, gaze, (size_t)SS * sizeof *h);
            memcpy(f, fixations, (size_t)SS);
            continue;
        }
        const reflacx_reading *r = &d->reading[j];
        reflacx_heatmap(h, f, d->fix + r->fix_begin, r->fix_count, g, 1.0, REFLACX_NORM_MAX);
        out->size_mismatch += r->width != g->orig_w || r->height != g->orig_h;
    }
    // gaze: min-max of the mean of the readings' maps; fixations: their union
    float lo = 0, hi = 0;
    for (int64_t p = 0; p < SS; p++) {
        double sum = 0;
        uint8_t any = 0;
        for (int64_t k = a; k < b; k++) {
            sum += rx->gaze[k * SS + p];
            any |= rx->fix[k * SS + p];
        }
        float v = gaze[p] = (float)(sum / (double)(b - a));
        fixations[p] = any;
        if (p == 0 || v < lo) lo = v;
        if (p == 0 || v > hi) hi = v;
    }
    for (int64_t p = 0; p < SS; p++)
        gaze[p] = hi > lo ? (gaze[p] - lo) / (hi - lo) : 0.0f;
    // ellipses: per CX label, the union over the readings
    int label[CX_N_LABELS], n = 0;
    uint8_t *mask = cx_malloc((size_t)(CX_N_LABELS * SS)), *one = cx_malloc((size_t)SS);
    for (int c = 0; c < CX_N_LABELS; c++) {
        if (!rx->cx_bits[c]) continue;
        uint8_t *m = mask + n * SS;
        memset(m, 0, (size_t)SS);
        int64_t drawn = 0, inside = 0;
        for (int64_t k = a; k < b; k++) {
            int64_t j = rx->reading_of[k];
            if (j < 0) continue;
            drawn += reflacx_ellipse_mask(one, d, &d->reading[j], rx->cx_bits[c], min_certainty, g);
            for (int64_t p = 0; p < SS; p++)
                m[p] |= one[p];
        }
        for (int64_t p = 0; p < SS; p++)
            inside += m[p];
        if (drawn && !inside) out->annot_vanished++;
        if (inside) label[n++] = c;
    }
    out->annot = n;
    if (n) annot_merge(annot, label, mask, n, SS);
    free(one);
    free(mask);
}

void prepare_reflacx_collect(prep_reflacx *rx, const image_list *l, const int *ok, int S,
                             prepare_summary *s) {
    const int64_t SS = (int64_t)S * S, N = l->n;
    int64_t n = 0, row = 0;
    rx->row = cx_malloc((size_t)(rx->n_slots ? rx->n_slots : 1) * sizeof *rx->row);
    rx->source = cx_malloc((size_t)(rx->n_slots ? rx->n_slots : 1));
    rx->id = cx_malloc((size_t)(rx->n_slots ? rx->n_slots : 1) * sizeof *rx->id);
    for (int64_t i = 0; i < N; i++) {
        if (!ok[i]) continue;
        int64_t a = rx->first[i], b = rx->first[i + 1];
        if (b > a) {
            s->rfx_images++;
            s->rfx_multi += b - a >= 2;
            s->rfx_with_egd += l->r[i].egd >= 0;
        }
        for (int64_t k = a; k < b; k++, n++) {
            if (n != k) {
                memmove(rx->gaze + n * SS, rx->gaze + k * SS, (size_t)SS * sizeof *rx->gaze);
                memmove(rx->fix + n * SS, rx->fix + k * SS, (size_t)SS);
            }
            int64_t j = rx->reading_of[k];
            rx->row[n] = (int32_t)row;
            rx->source[n] = j < 0 ? READING_EGD : READING_REFLACX;
            rx->id[n] = j < 0 ? l->r[i].dicom_id : rx->d.reading[j].id;
            s->rfx_packed += j >= 0;
        }
        row++;
    }
    rx->n_kept = n;
}

void prepare_reflacx_free(prep_reflacx *rx) {
    if (rx->have) reflacx_free(&rx->d);
    cx_scratch_unmap(rx->gaze, rx->gaze_bytes);
    cx_scratch_unmap(rx->fix, rx->fix_bytes);
    free(rx->row_of);
    free(rx->first);
    free(rx->reading_of);
    free(rx->row);
    free(rx->source);
    free(rx->id);
    memset(rx, 0, sizeof *rx);
}

void prepare_reflacx_stats(const prep_reflacx *rx, prepare_summary *s) {
    const reflacx_stats *st = &rx->d.st;
    for (int p = 0; p < REFLACX_N_PHASES; p++)
        s->rfx_metadata_rows += st->metadata_rows[p];
    s->rfx_discarded = st->discarded;
    s->rfx_read = st->readings;
    s->rfx_matched = rx->matched;
    s->rfx_unmatched = rx->unmatched;
}

json_t *prepare_reflacx_json(const prepare_summary *s, const char *dir, double certainty) {
    json_t *j = json_object();
    json_object_set_new(j, "dir", json_string(dir));
    json_object_set_new(j, "metadata_rows", json_integer(s->rfx_metadata_rows));
    json_object_set_new(j, "readings_discarded", json_integer(s->rfx_discarded));
    json_object_set_new(j, "readings_read", json_integer(s->rfx_read));
    json_object_set_new(j, "readings_matched", json_integer(s->rfx_matched));
    json_object_set_new(j, "readings_unmatched", json_integer(s->rfx_unmatched));
    json_object_set_new(j, "readings_packed", json_integer(s->rfx_packed));
    json_object_set_new(j, "images", json_integer(s->rfx_images));
    json_object_set_new(j, "images_with_2_or_more_readings", json_integer(s->rfx_multi));
    json_object_set_new(j, "images_with_egd_reading", json_integer(s->rfx_with_egd));
    json_object_set_new(j, "size_differs_from_metadata", json_integer(s->rfx_size_mismatch));
    json_object_set_new(j, "ellipse_certainty_min", json_real(certainty));
    json_object_set_new(j, "annotations_from_ellipses", json_integer(s->rfx_annot));
    json_object_set_new(j, "annotations_empty_at_size", json_integer(s->rfx_annot_vanished));
    json_object_set_new(j, "gaze_test_patients", json_integer(s->egd_test_patients));
    return j;
}

void prepare_reflacx_print(const prepare_summary *s, FILE *out) {
    fprintf(out,
            "REFLACX: %lld metadata rows: %lld readings read, %lld discarded (no eye tracking); "
            "%lld matched selected images, %lld of images not selected; %lld packed (rows that "
            "decoded) on %lld images (%lld with >= 2 readings, %lld also read in EGD); %lld "
            "(image, label) annotations from ellipses (%lld empty at the packed size); %lld gaze "
            "patients (EGD or REFLACX) moved to test",
            (long long)s->rfx_metadata_rows, (long long)s->rfx_read, (long long)s->rfx_discarded,
            (long long)s->rfx_matched, (long long)s->rfx_unmatched, (long long)s->rfx_packed,
            (long long)s->rfx_images, (long long)s->rfx_multi, (long long)s->rfx_with_egd,
            (long long)s->rfx_annot, (long long)s->rfx_annot_vanished,
            (long long)s->egd_test_patients);
    if (s->rfx_size_mismatch)
        fprintf(out, "; %lld readings whose image_size_x/y differ from the decoded image",
                (long long)s->rfx_size_mismatch);
    fprintf(out, "\n");
}
