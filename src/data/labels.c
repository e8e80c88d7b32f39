// data/labels: label names, region and split names, CheXpert label values and the uncertainty
// policy, the id hash map and the image list used by the readers.
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

#define N_ELEMS(a) (sizeof(a) / sizeof *(a))

const char *const CX_LABELS[] = {
    "Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Enlarged Cardiomediastinum",
    "Fracture", "Lung Lesion", "Lung Opacity", "No Finding", "Pleural Effusion",
    "Pleural Other", "Pneumonia", "Pneumothorax", "Support Devices"};
_Static_assert(N_ELEMS(CX_LABELS) == CX_N_LABELS, "one CX_LABELS name per label");

const char *const CX_LABELS_EGD[] = {
    "atelectasis__chx", "cardiomegaly__chx", "consolidation__chx", "edema__chx",
    "enlarged_cardiomediastinum__chx", "fracture__chx", "lung_lesion__chx", "lung_opacity__chx",
    "no_finding__chx", "pleural_effusion__chx", "pleural_other__chx", "pneumonia__chx",
    "pneumothorax__chx", "support_devices__chx"};
_Static_assert(N_ELEMS(CX_LABELS_EGD) == CX_N_LABELS, "one CX_LABELS_EGD name per label");

const char *const CX_REGIONS[] = {"aortic_knob", "right_lung", "left_lung", "mediastinum"};
_Static_assert(N_ELEMS(CX_REGIONS) == CX_N_REGIONS, "one CX_REGIONS name per region");

const char *const CX_SPLITS[] = {"train", "validate", "test"};
_Static_assert(N_ELEMS(CX_SPLITS) == CX_N_SPLITS, "one CX_SPLITS name per split");

const char *const EGD_REGION_FILES[CX_N_REGIONS] = {"aortic_knob", "right_lung", "left_lung",
                                                    "mediastanum"}; // (sic), as the real data

int label_from_name(const char *s) {
    for (int c = 0; c < CX_N_LABELS; c++)
        if (!strcmp(s, CX_LABELS[c])) return c;
    return -1;
}

int split_from_name(const char *s) {
    for (int i = 0; i < CX_N_SPLITS; i++)
        if (!strcmp(s, CX_SPLITS[i])) return i;
    return -1;
}

// ---- labels ----------------------------------------------------------------------------------
const char *uncertain_policy_name(uncertain_policy p) {
    return p == UNCERTAIN_ONES ? "ones" : p == UNCERTAIN_IGNORE ? "ignore" : "zeros";
}

int uncertain_policy_parse(const char *s, uncertain_policy *out) {
    if (!strcmp(s, "zeros")) *out = UNCERTAIN_ZEROS;
    else if (!strcmp(s, "ones")) *out = UNCERTAIN_ONES;
    else if (!strcmp(s, "ignore")) *out = UNCERTAIN_IGNORE;
    else return -1;
    return 0;
}

int label_parse(const char *cell, int *raw) {
    int v, rc = csv_parse_label(cell, &v); // io's strict label grammar
    if (rc == CSV_NUM_BAD) return -1;
    *raw = rc == CSV_NUM_EMPTY ? LABEL_EMPTY : v;
    return 0;
}

void label_apply_policy(int raw, uncertain_policy p, float *label, uint8_t *mask) {
    *mask = 1;
    if (raw == 1) *label = 1;
    else if (raw == -1) {
        *label = p == UNCERTAIN_ONES ? 1.0f : 0.0f;
        if (p == UNCERTAIN_IGNORE) *mask = 0;
    } else *label = 0; // 0 and empty
}

// ---- string -> int64 map (FNV-1a, linear probing) ---------------------------------------------
static uint64_t str_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void strmap_init(cx_strmap *m) { memset(m, 0, sizeof *m); }

void strmap_free(cx_strmap *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static void strmap_grow(cx_strmap *m) {
    size_t cap = m->cap ? m->cap * 2 : 1024;
    char **keys = cx_calloc(cap, sizeof *keys);
    int64_t *vals = cx_calloc(cap, sizeof *vals);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        size_t j = str_hash(m->keys[i]) & (cap - 1);
        while (keys[j]) j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
}

int64_t strmap_put(cx_strmap *m, const char *key, int64_t val) {
    if (2 * (m->n + 1) > m->cap) strmap_grow(m);
    size_t j = str_hash(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (!strcmp(m->keys[j], key)) {
            int64_t old = m->vals[j];
            m->vals[j] = val;
            return old;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = cx_strdup(key);
    m->vals[j] = val;
    m->n++;
    return -1;
}

int64_t strmap_get(const cx_strmap *m, const char *key) {
    if (!m->cap) return -1;
    size_t j = str_hash(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (!strcmp(m->keys[j], key)) return m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return -1;
}

// ---- table helpers ----------------------------------------------------------------------
// Finds the file as name.csv or name.csv.gz under dir; error naming both when neither exists.
int data_find_table(const char *dir, const char *name, char *out, size_t cap, cx_error *err) {
    char base[4096];
    snprintf(base, sizeof base, "%s/%s.csv", dir, name);
    if (cx_path_exists(base)) {
        snprintf(out, cap, "%s", base);
        return 0;
    }
    snprintf(out, cap, "%s.gz", base);
    if (cx_path_exists(out)) return 0;
    return cx_fail(err, "%s: missing table (expected %s or %s.gz)", dir, base, base);
}

// An id used as a file name component: non-empty, < cap, no '/', not starting with '.'.
int data_id_ok(const char *s, size_t cap) {
    size_t n = strlen(s);
    return n > 0 && n < cap && !strchr(s, '/') && s[0] != '.';
}

int data_digits_ok(const char *s, size_t cap) {
    size_t n = strlen(s);
    if (n == 0 || n >= cap) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

// ---- image list ------------------------------------------------------------------------------
image_record *image_list_push(image_list *l) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->r = cx_realloc(l->r, (size_t)l->cap * sizeof *l->r);
    }
    image_record *r = &l->r[l->n++];
    memset(r, 0, sizeof *r);
    r->egd = -1;
    return r;
}

void image_list_free(image_list *l) {
    for (int64_t i = 0; i < l->n; i++) free(l->r[i].path);
    free(l->r);
    memset(l, 0, sizeof *l);
}
