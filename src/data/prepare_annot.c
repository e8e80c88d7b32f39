// data/prepare_annot: `prepare --annotations`: each image's expert annotation masks (rendered in
// the parallel image loop), gathered in pack order, counted in summary.json and the summary.
#include <stdlib.h>
#include <string.h>

#include "data/prepare_internal.h"

int prepare_annot_image(const annot_set *an, uint8_t *key_used, const char *dicom_id,
                        const img_fit_geom *g, annot_row *out, cx_error *e) {
    int64_t key = annot_match(an, dicom_id);
    if (key < 0) return 0;
    const int64_t SS = (int64_t)g->size * g->size;
    int *labels = cx_malloc((size_t)an->n_labels * sizeof *labels);
    int n = annot_key_labels(an, key, labels);
    out->label = labels;
    out->mask = cx_malloc((size_t)(n ? n : 1) * (size_t)SS);
    for (int j = 0; j < n; j++) {
        int64_t inside = annot_render(an, key, labels[j], g, out->mask + out->n * SS, e);
        if (inside < 0) return -1;
        if (inside == 0) out->vanished++;
        else labels[out->n++] = labels[j];
    }
#pragma omp atomic write
    key_used[key] = 1;
    return 0;
}

void annot_row_free(annot_row *r) {
    free(r->label);
    free(r->mask);
    memset(r, 0, sizeof *r);
}

void kept_annot_free(kept_annot *ka) {
    free(ka->mask);
    free(ka->row);
    free(ka->label);
    memset(ka, 0, sizeof *ka);
}

void prepare_annot_collect(const annot_set *an, const uint8_t *key_used,
                           const annot_row *const *rows, int64_t n, int S, kept_annot *ka,
                           prepare_summary *s) {
    const int64_t SS = (int64_t)S * S;
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++) total += rows[i] ? rows[i]->n : 0;
    ka->mask = cx_malloc((size_t)(total ? total * SS : 1));
    ka->row = cx_malloc((size_t)(total ? total : 1) * sizeof *ka->row);
    ka->label = cx_malloc((size_t)(total ? total : 1) * sizeof *ka->label);
    int64_t row = 0;
    for (int64_t i = 0; i < n; i++) {
        const annot_row *r = rows[i];
        if (!r) continue;
        for (int j = 0; j < r->n; j++) {
            memcpy(ka->mask + ka->n * SS, r->mask + j * SS, (size_t)SS);
            ka->row[ka->n] = (int32_t)row;
            int lb = ka->label[ka->n++] = r->label[j];
            if (lb < CX_N_LABELS) s->annot_per_label[lb]++;
            else s->annot_extra++;
        }
        s->annot_vanished += r->vanished;
        row++;
    }
    s->annot_masks = ka->n;
    if (!an) return; // REFLACX ellipses only (prepare_reflacx.c counts them)
    s->annot_format = an->format;
    s->annot_read = an->n_read;
    s->annot_empty = an->n_empty;
    s->annot_keys = an->n_keys;
    for (int64_t k = 0; k < an->n_keys; k++) {
        if (key_used[k]) continue;
        if (s->annot_unmatched < 5)
            snprintf(s->annot_unmatched_names[s->annot_unmatched], 64, "%s", an->keys[k]);
        s->annot_unmatched++;
    }
}

json_t *prepare_annot_json(const prepare_summary *s, const annot_set *an, const kept_annot *ka,
                           const char *file) {
    json_t *a = json_object(), *per = json_object(), *un = json_array();
    int64_t *count = cx_calloc((size_t)an->n_labels, sizeof *count);
    for (int64_t i = 0; i < ka->n; i++) count[ka->label[i]]++;
    for (int lb = 0; lb < an->n_labels; lb++)
        if (count[lb]) json_object_set_new(per, an->labels[lb], json_integer(count[lb]));
    free(count);
    for (int64_t k = 0; k < s->annot_unmatched && k < 5; k++)
        json_array_append_new(un, json_string(s->annot_unmatched_names[k]));
    json_object_set_new(a, "file", json_string(file));
    json_object_set_new(a, "format", json_string(s->annot_format));
    json_object_set_new(a, "shapes_read", json_integer(s->annot_read));
    json_object_set_new(a, "empty_entries_in_file", json_integer(s->annot_empty));
    json_object_set_new(a, "image_ids", json_integer(s->annot_keys));
    json_object_set_new(a, "image_ids_unmatched", json_integer(s->annot_unmatched));
    json_object_set_new(a, "unmatched_first", un);
    json_object_set_new(a, "masks", json_integer(s->annot_masks));
    json_object_set_new(a, "masks_empty_at_size", json_integer(s->annot_vanished));
    json_object_set_new(a, "masks_per_label", per);
    return a;
}

void prepare_annot_print(const prepare_summary *s, FILE *out) {
    fprintf(out,
            "annotations (%s): %lld shapes read (%lld empty entries), %lld (image, label) masks "
            "packed, %lld empty at the packed size, %lld of %lld image ids match no image",
            s->annot_format, (long long)s->annot_read, (long long)s->annot_empty,
            (long long)s->annot_masks, (long long)s->annot_vanished,
            (long long)s->annot_unmatched, (long long)s->annot_keys);
    for (int64_t k = 0; k < s->annot_unmatched && k < 5; k++)
        fprintf(out, "%s%s", k ? ", " : " (first: ", s->annot_unmatched_names[k]);
    fprintf(out, "%s\n", s->annot_unmatched ? ")" : "");
    for (int c = 0; c < CX_N_LABELS; c++)
        if (s->annot_per_label[c])
            fprintf(out, "  %-27s %8lld masks\n", CX_LABELS[c], (long long)s->annot_per_label[c]);
    if (s->annot_extra)
        fprintf(out, "  %-27s %8lld masks\n", "(labels without a CX label)",
                (long long)s->annot_extra);
}
