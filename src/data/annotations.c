// data/annotations: expert annotations for localisation (METHODS.md §4, docs/annotations.md).
// Three readers (NIH ChestX-ray14 BBox_List_2017.csv, CheXlocalize polygon JSON, CheXlocalize
// COCO-RLE JSON), the one label map, and image matching. Rasterising and rendering to S x S are
// in annotations_raster.c.
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "data/data.h"

// ---- the label map ------------------------------------------------------------------------------
// Finding names of the annotation sets -> cxrgaze's CX_LABELS (MIMIC-CXR / CheXpert). Names not
// listed here are looked up among CX_LABELS themselves (case-insensitive); anything else stays an
// extra annotation label under its own name.
const annot_label_alias ANNOT_LABEL_MAP[] = {
    // NIH ChestX-ray14 (BBox_List_2017.csv "Finding Label")
    {"Atelectasis", LB_ATELECTASIS},
    {"Cardiomegaly", LB_CARDIOMEGALY},
    {"Effusion", LB_EFFUSION},
    {"Infiltrate", LB_LUNG_OPACITY},
    {"Infiltration", LB_LUNG_OPACITY},
    {"Mass", LB_LUNG_LESION},
    {"Nodule", LB_LUNG_LESION},
    {"Pneumonia", LB_PNEUMONIA},
    {"Pneumothorax", LB_PNEUMOTHORAX},
    {"Consolidation", LB_CONSOLIDATION},
    {"Edema", LB_EDEMA},
    // CheXlocalize (its other nine names are CX_LABELS names)
    {"Airspace Opacity", LB_LUNG_OPACITY},
};
const int ANNOT_LABEL_MAP_N = (int)(sizeof ANNOT_LABEL_MAP / sizeof ANNOT_LABEL_MAP[0]);

int annot_label_cx(const char *name) {
    for (int i = 0; i < ANNOT_LABEL_MAP_N; i++)
        if (!strcasecmp(name, ANNOT_LABEL_MAP[i].name)) return ANNOT_LABEL_MAP[i].label;
    for (int c = 0; c < CX_N_LABELS; c++)
        if (!strcasecmp(name, CX_LABELS[c])) return c;
    return -1;
}

// ---- the set ------------------------------------------------------------------------------------
static void set_init(annot_set *a, const char *path) {
    memset(a, 0, sizeof *a);
    snprintf(a->path, sizeof a->path, "%s", path);
    strmap_init(&a->by_key);
    strmap_init(&a->by_stem);
    strmap_init(&a->extra);
    a->labels = cx_malloc(CX_N_LABELS * sizeof *a->labels);
    for (int c = 0; c < CX_N_LABELS; c++) a->labels[c] = cx_strdup(CX_LABELS[c]);
    a->n_labels = CX_N_LABELS;
}

void annot_free(annot_set *a) {
    for (int64_t i = 0; i < a->n; i++) {
        free(a->s[i].pts);
        free(a->s[i].runs);
    }
    free(a->s);
    for (int64_t k = 0; k < a->n_keys; k++) free(a->keys[k]);
    free(a->keys);
    free(a->first);
    for (int i = 0; i < a->n_labels; i++) free(a->labels[i]);
    free(a->labels);
    strmap_free(&a->by_key);
    strmap_free(&a->by_stem);
    strmap_free(&a->extra);
    memset(a, 0, sizeof *a);
}

// The label index of a finding name (CX index, or an extra name appended on first sight).
// where: "file:line" or "file: key" for the error.
static int set_label(annot_set *a, const char *name, const char *where, cx_error *err) {
    int c = annot_label_cx(name);
    if (c >= 0) return c;
    if (!*name || strchr(name, ',') || strlen(name) > 200)
        return cx_fail(err, "%s: finding label '%.200s': expected a non-empty name without ','",
                       where, name);
    int64_t i = strmap_get(&a->extra, name);
    if (i >= 0) return (int)i;
    a->labels = cx_realloc(a->labels, (size_t)(a->n_labels + 1) * sizeof *a->labels);
    a->labels[a->n_labels] = cx_strdup(name);
    strmap_put(&a->extra, name, a->n_labels);
    return a->n_labels++;
}

// "name.ext" -> "name" when ext is 1-5 characters of letters and digits with at least one letter
// (".png", ".jpg", ".dcm"; not the numeric parts of a DICOM UID). 0 when there is none.
static int stem_of(const char *s, char *out, size_t cap) {
    const char *dot = strrchr(s, '.');
    if (!dot || dot == s || strchr(dot, '/')) return 0;
    size_t n = strlen(dot + 1);
    int letter = 0;
    for (const char *p = dot + 1; *p; p++) {
        if (!isalnum((unsigned char)*p)) return 0;
        letter |= isalpha((unsigned char)*p) != 0;
    }
    if (n < 1 || n > 5 || !letter || (size_t)(dot - s) >= cap) return 0;
    memcpy(out, s, (size_t)(dot - s));
    out[dot - s] = 0;
    return 1;
}

static int64_t set_key(annot_set *a, const char *key, const char *where, cx_error *err) {
    if (!*key || strlen(key) > 255)
        return cx_fail(err, "%s: image id '%.255s': expected 1-255 characters", where, key);
    int64_t k = strmap_get(&a->by_key, key);
    if (k >= 0) return k;
    if (a->n_keys % 256 == 0)
        a->keys = cx_realloc(a->keys, (size_t)(a->n_keys + 256) * sizeof *a->keys);
    a->keys[a->n_keys] = cx_strdup(key);
    strmap_put(&a->by_key, key, a->n_keys);
    char stem[256];
    if (stem_of(key, stem, sizeof stem) && strmap_get(&a->by_stem, stem) < 0)
        strmap_put(&a->by_stem, stem, a->n_keys);
    return a->n_keys++;
}

static annot_shape *set_push(annot_set *a, int kind, int64_t key, int label) {
    if (a->n % 1024 == 0) a->s = cx_realloc(a->s, (size_t)(a->n + 1024) * sizeof *a->s);
    annot_shape *s = &a->s[a->n];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->key = key;
    s->label = label;
    s->pos = a->n++;
    return s;
}

int64_t annot_match(const annot_set *a, const char *dicom_id) {
    int64_t k = strmap_get(&a->by_key, dicom_id);
    if (k < 0) k = strmap_get(&a->by_stem, dicom_id);
    char stem[256];
    if (k < 0 && stem_of(dicom_id, stem, sizeof stem)) {
        k = strmap_get(&a->by_key, stem);
        if (k < 0) k = strmap_get(&a->by_stem, stem);
    }
    return k;
}

static int shape_cmp(const void *x, const void *y) {
    const annot_shape *p = x, *q = y;
    if (p->key != q->key) return p->key < q->key ? -1 : 1;
    if (p->label != q->label) return p->label < q->label ? -1 : 1;
    return (p->pos > q->pos) - (p->pos < q->pos);
}

// Sorts the shapes by (key, label, file order) and indexes each key's range.
static void set_finish(annot_set *a) {
    if (a->n) qsort(a->s, (size_t)a->n, sizeof *a->s, shape_cmp);
    a->first = cx_calloc((size_t)a->n_keys + 1, sizeof *a->first);
    for (int64_t i = 0; i < a->n; i++) a->first[a->s[i].key + 1]++;
    for (int64_t k = 0; k < a->n_keys; k++) a->first[k + 1] += a->first[k];
}

int annot_key_labels(const annot_set *a, int64_t key, int *labels) {
    int n = 0;
    for (int64_t i = a->first[key]; i < a->first[key + 1]; i++)
        if (n == 0 || labels[n - 1] != a->s[i].label) labels[n++] = a->s[i].label;
    return n;
}

// ---- NIH BBox_List_2017.csv ---------------------------------------------------------------------
// The real file's quirks: the header "Image Index,Finding Label,Bbox [x,y,w,h],,," splits the
// bracketed name into four columns and ends in empty ones, and data rows may or may not carry the
// trailing empty fields. So records are split here (not by io's strict CSV reader, which refuses
// ragged rows): one record per line, fields by ',', a field may be double-quoted ("" inside).
#define NIH_MAX_FIELDS 64

// Splits line in place; returns the field count, or -1 for an unterminated quote.
static int split_fields(char *line, char **f) {
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == NIH_MAX_FIELDS) return n;
        char *out = p;
        f[n++] = out;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p) return -1;
                if (*p == '"' && p[1] == '"') *out++ = '"', p += 2;
                else if (*p == '"') { p++; break; }
                else *out++ = *p++;
            }
            while (*p && *p != ',') p++; // text after the closing quote is ignored
        } else {
            while (*p && *p != ',') *out++ = *p++;
        }
        int more = *p == ',';
        if (*p) p++;
        *out = 0;
        if (!more) return n;
    }
}

// Header name -> a canonical one: lower case without blanks, brackets and a "bbox" prefix, so
// "Bbox [x" -> "x", "h]" -> "h", "Image Index" -> "imageindex".
static void header_norm(const char *s, char *out, size_t cap) {
    size_t n = 0;
    for (; *s && n + 1 < cap; s++)
        if (!isspace((unsigned char)*s) && *s != '[' && *s != ']')
            out[n++] = (char)tolower((unsigned char)*s);
    out[n] = 0;
    if (!strncmp(out, "bbox", 4)) memmove(out, out + 4, n - 3);
}

enum { NB_IMAGE, NB_LABEL, NB_X, NB_Y, NB_W, NB_H, NB_N };
static const char *const nih_names[NB_N][4] = {
    {"imageindex", "image", "imageid", "dicom_id"}, {"findinglabel", "label", "finding", NULL},
    {"x", NULL, NULL, NULL}, {"y", NULL, NULL, NULL}, {"w", "width", NULL, NULL},
    {"h", "height", NULL, NULL}};
static const char *const nih_shown[NB_N] = {"Image Index", "Finding Label", "x", "y", "w", "h"};

static int nih_header(annot_set *a, char **f, int nf, int line, int *col, cx_error *err) {
    for (int c = 0; c < NB_N; c++) {
        col[c] = -1;
        for (int i = 0; i < nf && col[c] < 0; i++) {
            char h[128];
            header_norm(f[i], h, sizeof h);
            for (int k = 0; k < 4 && nih_names[c][k]; k++)
                if (!strcmp(h, nih_names[c][k])) col[c] = i;
        }
        if (col[c] < 0)
            return cx_fail(err,
                           "%s:%d: header: no column '%s' (expected the NIH header \"Image "
                           "Index,Finding Label,Bbox [x,y,w,h]\" or Image Index,Finding "
                           "Label,x,y,w,h)",
                           a->path, line, nih_shown[c]);
    }
    return 0;
}

static int nih_row(annot_set *a, char **f, int nf, int line, const int *col, cx_error *err) {
    char where[4200];
    snprintf(where, sizeof where, "%s:%d", a->path, line);
    for (int c = 0; c < NB_N; c++)
        if (col[c] >= nf)
            return cx_fail(err, "%s: column '%s': missing (the row has %d fields)", where,
                           nih_shown[c], nf);
    char *id = f[col[NB_IMAGE]], *lab = f[col[NB_LABEL]];
    while (isspace((unsigned char)*id)) id++;
    while (isspace((unsigned char)*lab)) lab++;
    for (char *e = id + strlen(id); e > id && isspace((unsigned char)e[-1]);) *--e = 0;
    for (char *e = lab + strlen(lab); e > lab && isspace((unsigned char)e[-1]);) *--e = 0;
    double b[4];
    for (int k = 0; k < 4; k++) {
        const char *v = f[col[NB_X + k]];
        if (csv_parse_double(v, &b[k]) != CSV_NUM_OK || fabs(b[k]) > 1e6 || (k >= 2 && b[k] <= 0))
            return cx_fail(err, "%s: column '%s': expected a %snumber (px of the %d x %d image), "
                           "got '%.100s'", where, nih_shown[NB_X + k], k >= 2 ? "positive " : "",
                           NIH_BOX_FRAME, NIH_BOX_FRAME, v);
    }
    if (!*lab) return cx_fail(err, "%s: column 'Finding Label': empty", where);
    int64_t key = set_key(a, id, where, err);
    if (key < 0) return -1;
    int label = set_label(a, lab, where, err);
    if (label < 0) return -1;
    annot_shape *s = set_push(a, ANNOT_BOX, key, label);
    s->frame_w = s->frame_h = NIH_BOX_FRAME;
    memcpy(s->box, b, sizeof b);
    a->n_read++;
    return 0;
}

static int read_nih(annot_set *a, char *text, cx_error *err) {
    a->format = "nih-bbox";
    char *f[NIH_MAX_FIELDS];
    int col[NB_N], line = 0, have_header = 0;
    if (!strncmp(text, "\xef\xbb\xbf", 3)) text += 3;
    for (char *p = text, *nl; p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl) *nl = 0;
        line++;
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r') p[--l] = 0;
        int blank = 1;
        for (const char *q = p; *q && blank; q++) blank = *q == ',' || isspace((unsigned char)*q);
        if (blank) continue;
        int nf = split_fields(p, f);
        if (nf < 0) return cx_fail(err, "%s:%d: unterminated quoted field", a->path, line);
        int rc = have_header ? nih_row(a, f, nf, line, col, err)
                             : nih_header(a, f, nf, line, col, err);
        if (rc) return -1;
        have_header = 1;
    }
    if (!have_header) return cx_fail(err, "%s: empty file, expected the NIH box header", a->path);
    return 0;
}

// ---- CheXlocalize JSON --------------------------------------------------------------------------
// [h, w] of positive integers within the image limits.
static int json_size(json_t *v, int *h, int *w) {
    if (!json_is_array(v) || json_array_size(v) != 2) return -1;
    for (int i = 0; i < 2; i++) {
        json_t *x = json_array_get(v, (size_t)i);
        double d = json_is_number(x) ? json_number_value(x) : -1;
        if (d < 1 || d > IMG_MAX_SIDE || d != floor(d)) return -1;
        *(i ? w : h) = (int)d;
    }
    return (int64_t)*h * *w <= IMG_MAX_PIXELS ? 0 : -1;
}

// [[[x, y], ...], ...]: one shape per polygon (an empty list: no shape).
static int read_polygons(annot_set *a, json_t *v, int64_t key, int label, int h, int w,
                         const char *where, cx_error *err) {
    size_t i, j;
    json_t *poly, *pt;
    json_array_foreach(v, i, poly) {
        if (!json_is_array(poly) || json_array_size(poly) == 0)
            return cx_fail(err, "%s: polygon %zu: expected a non-empty list of [x, y] points",
                           where, i);
        if (h <= 0)
            return cx_fail(err, "%s: polygons need the image's \"img_size\": [h, w]", where);
        annot_shape *s = set_push(a, ANNOT_POLYGON, key, label);
        s->frame_w = w;
        s->frame_h = h;
        s->n = (int64_t)json_array_size(poly);
        s->pts = cx_malloc((size_t)s->n * 2 * sizeof *s->pts);
        json_array_foreach(poly, j, pt) {
            json_t *x = json_array_get(pt, 0), *y = json_array_get(pt, 1);
            if (!json_is_array(pt) || json_array_size(pt) != 2 || !json_is_number(x) ||
                !json_is_number(y) || fabs(json_number_value(x)) > 1e6 ||
                fabs(json_number_value(y)) > 1e6)
                return cx_fail(err, "%s: polygon %zu, point %zu: expected [x, y] (numbers, px)",
                               where, i, j);
            s->pts[2 * j] = json_number_value(x);
            s->pts[2 * j + 1] = json_number_value(y);
        }
        a->n_read++;
    }
    if (json_array_size(v) == 0) a->n_empty++;
    return 0;
}

static int read_rle(annot_set *a, json_t *v, int64_t key, int label, const char *where,
                    cx_error *err) {
    int h, w;
    if (json_size(json_object_get(v, "size"), &h, &w))
        return cx_fail(err, "%s: \"size\": expected [h, w] (positive integers, at most %d x %d)",
                       where, IMG_MAX_SIDE, IMG_MAX_SIDE);
    json_t *c = json_object_get(v, "counts");
    uint32_t *runs = NULL;
    int64_t n = 0;
    if (json_is_string(c)) {
        if (annot_rle_from_string(json_string_value(c), (int64_t)h * w, &runs, &n, err))
            return cx_fail_wrap(err, "%s: \"counts\"", where);
    } else if (json_is_array(c)) {
        n = (int64_t)json_array_size(c);
        runs = cx_malloc((size_t)(n ? n : 1) * sizeof *runs);
        int64_t sum = 0;
        for (int64_t i = 0; i < n; i++) {
            json_t *x = json_array_get(c, (size_t)i);
            double d = json_is_number(x) ? json_number_value(x) : -1;
            if (d < 0 || d != floor(d) || d > (double)h * w) {
                free(runs);
                return cx_fail(err, "%s: \"counts\" element %lld: expected a run length "
                               "(integer >= 0)", where, (long long)i);
            }
            runs[i] = (uint32_t)d;
            sum += runs[i];
        }
        if (sum != (int64_t)h * w) {
            free(runs);
            return cx_fail(err, "%s: \"counts\": runs sum to %lld, expected h*w = %lld", where,
                           (long long)sum, (long long)h * w);
        }
    } else {
        return cx_fail(err, "%s: \"counts\": expected a compressed RLE string or a list of "
                       "run lengths", where);
    }
    int any = 0;
    for (int64_t i = 1; i < n && !any; i += 2) any = runs[i] > 0;
    if (!any) { // CheXlocalize writes every pathology for every image: empty = not present
        free(runs);
        a->n_empty++;
        return 0;
    }
    annot_shape *s = set_push(a, ANNOT_RLE, key, label);
    s->frame_w = w;
    s->frame_h = h;
    s->runs = runs;
    s->n = n;
    a->n_read++;
    return 0;
}

static int read_json(annot_set *a, cx_error *err) {
    json_error_t je;
    json_t *root = json_load_file(a->path, JSON_REJECT_DUPLICATES, &je);
    if (!root) return cx_fail(err, "%s:%d:%d: %s", a->path, je.line, je.column, je.text);
    int rc = 0, polys = 0, rles = 0;
    const char *id, *name;
    json_t *img, *v;
    char where[4600];
    if (!json_is_object(root))
        rc = cx_fail(err, "%s: expected a JSON object {image id: {pathology: ...}}", a->path);
    json_object_foreach(root, id, img) {
        if (rc) break;
        snprintf(where, sizeof where, "%s: \"%.255s\"", a->path, id);
        if (!json_is_object(img)) {
            rc = cx_fail(err, "%s: expected an object {pathology: shapes}", where);
            break;
        }
        int64_t key = set_key(a, id, where, err);
        if (key < 0) { rc = -1; break; }
        int h = 0, w = 0;
        json_t *sz = json_object_get(img, "img_size");
        if (sz && json_size(sz, &h, &w)) {
            rc = cx_fail(err, "%s: \"img_size\": expected [h, w] (positive integers)", where);
            break;
        }
        json_object_foreach(img, name, v) {
            if (!strcmp(name, "img_size")) continue;
            snprintf(where, sizeof where, "%s: \"%.255s\": \"%.200s\"", a->path, id, name);
            int label = set_label(a, name, where, err);
            if (label < 0) { rc = -1; break; }
            if (json_is_array(v)) {
                rc = read_polygons(a, v, key, label, h, w, where, err);
                polys = 1;
            } else if (json_is_object(v) && json_object_get(v, "counts")) {
                rc = read_rle(a, v, key, label, where, err);
                rles = 1;
            } else {
                rc = cx_fail(err, "%s: expected polygons [[[x, y], ...], ...] or an RLE "
                             "{\"size\": [h, w], \"counts\": ...}", where);
            }
            if (rc) break;
        }
    }
    a->format = polys && rles ? "chexlocalize-mixed" : rles ? "chexlocalize-rle"
                                                            : "chexlocalize-polygons";
    json_decref(root);
    return rc;
}

int annot_read(const char *path, annot_set *a, cx_error *err) {
    set_init(a, path);
    char *text;
    size_t len;
    if (cx_read_file(path, &text, &len, err)) {
        annot_free(a);
        return -1;
    }
    if (memchr(text, 0, len)) {
        free(text);
        annot_free(a);
        return cx_fail(err, "%s: binary data (NUL bytes): expected a CSV or JSON text file", path);
    }
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    int rc = *p == '{' ? read_json(a, err) : read_nih(a, text, err);
    free(text);
    if (rc) {
        annot_free(a);
        return -1;
    }
    set_finish(a);
    return 0;
}
