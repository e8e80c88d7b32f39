// data/inputs: inputs besides the two datasets: plain image folders (or lists) and the synthetic
// generator's planted ground truth (truth/findings.csv + masks).
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/data.h"

static int has_image_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") ||
                   !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".dcm") ||
                   !strcasecmp(dot, ".dicom"));
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_image(image_list *out, cx_strmap *seen, const char *path, cx_error *err) {
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (!data_id_ok(name, 64))
        return cx_fail(err, "%s: file name must be 1-63 characters, not starting with '.'", path);
    int64_t prev = strmap_get(seen, name);
    if (prev >= 0)
        return cx_fail(err, "%s: file name '%s' already used by %s (names identify rows)", path,
                       name, out->r[prev].path);
    image_record *r = image_list_push(out);
    strmap_put(seen, name, out->n - 1);
    snprintf(r->dicom_id, sizeof r->dicom_id, "%s", name);
    snprintf(r->subject_id, sizeof r->subject_id, "%.23s", name);
    r->path = cx_strdup(path);
    r->split = SPLIT_TEST; // label_mask stays all 0: nothing to learn or score from
    return 0;
}

int images_list_read(const char *src, image_list *out, cx_error *err) {
    cx_strmap seen;
    strmap_init(&seen);
    for (int64_t i = 0; i < out->n; i++) strmap_put(&seen, out->r[i].dicom_id, i);
    int rc = 0;
    char full[8400];
    if (cx_is_dir(src)) {
        DIR *d = opendir(src);
        if (!d) {
            strmap_free(&seen);
            return cx_fail(err, "%s: cannot open the folder", src);
        }
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' || !has_image_ext(e->d_name)) continue;
            if (n == cap) names = cx_realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            names[n++] = cx_strdup(e->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n; i++) {
            if (!rc) rc = add_image(out, &seen, cx_path_join(full, sizeof full, src, names[i]), err);
            free(names[i]);
        }
        free(names);
        if (!rc && n == 0)
            rc = cx_fail(err, "%s: no .png/.jpg/.jpeg/.dcm/.dicom files in the folder", src);
    } else {
        char *text;
        size_t len;
        if (cx_read_file(src, &text, &len, err)) {
            strmap_free(&seen);
            return -1;
        }
        char base[4096];
        snprintf(base, sizeof base, "%s", src);
        char *slash = strrchr(base, '/');
        if (slash) *slash = 0;
        else snprintf(base, sizeof base, ".");
        int line = 0;
        for (char *p = text, *nl; p && *p && !rc; p = nl ? nl + 1 : NULL) {
            nl = strchr(p, '\n');
            if (nl) *nl = 0;
            line++;
            size_t l = strlen(p);
            while (l && isspace((unsigned char)p[l - 1])) p[--l] = 0;
            while (isspace((unsigned char)*p)) p++;
            if (!*p || *p == '#') continue;
            if (*p == '/') snprintf(full, sizeof full, "%s", p);
            else cx_path_join(full, sizeof full, base, p);
            if (!has_image_ext(full)) {
                rc = cx_fail(err, "%s:%d: expected a .png/.jpg/.jpeg/.dcm/.dicom path, got '%s'",
                             src, line, p);
                break;
            }
            rc = add_image(out, &seen, full, err);
        }
        free(text);
    }
    strmap_free(&seen);
    return rc;
}

// ---- planted ground truth -----------------------------------------------------------------------
enum { T_DICOM, T_LABEL, T_X0, T_Y0, T_X1, T_Y1, T_MASK, T_N };
static const char *const truth_cols[T_N] = {"dicom_id", "label", "x0", "y0", "x1", "y1", "mask"};

// Sort key: image, then position in the file (qsort is not stable).
typedef struct keyed_finding {
    truth_finding f;
    int64_t pos;
} keyed_finding;

static int keyed_cmp(const void *a, const void *b) {
    const keyed_finding *x = a, *y = b;
    int c = strcmp(x->f.dicom_id, y->f.dicom_id);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

int truth_read(const char *dir, truth_set *t, cx_error *err) {
    memset(t, 0, sizeof *t);
    strmap_init(&t->first);
    char path[4200];
    snprintf(t->dir, sizeof t->dir, "%s", dir);
    snprintf(path, sizeof path, "%s/findings.csv", dir);
    if (!cx_path_exists(path)) {
        snprintf(t->dir, sizeof t->dir, "%s/truth", dir);
        snprintf(path, sizeof path, "%s/findings.csv", t->dir);
        if (!cx_path_exists(path))
            return cx_fail(err, "%s: no findings.csv (nor truth/findings.csv)", dir);
    }
    csv_table *tab = csv_table_read(path, err);
    if (!tab) return -1;
    int col[T_N];
    int64_t n = 0;
    if (csv_require_cols(tab, truth_cols, T_N, col, err)) goto fail;
    n = csv_nrows(tab);
    t->f = cx_calloc((size_t)(n ? n : 1), sizeof *t->f);
    for (int64_t r = 0; r < n; r++) {
        truth_finding *f = &t->f[r];
        long line = (long)csv_row_line(tab, r);
        const char *id = csv_get(tab, r, col[T_DICOM]), *lab = csv_get(tab, r, col[T_LABEL]);
        if (!data_id_ok(id, sizeof f->dicom_id)) {
            cx_fail(err, "%s:%ld: column 'dicom_id': expected a DICOM id, got '%s'", path, line, id);
            goto fail;
        }
        snprintf(f->dicom_id, sizeof f->dicom_id, "%s", id);
        f->label = label_from_name(lab);
        int64_t li;
        if (f->label < 0 && csv_parse_int64(lab, &li) == CSV_NUM_OK && li >= 0 && li < CX_N_LABELS)
            f->label = (int)li;
        if (f->label < 0) {
            cx_fail(err, "%s:%ld: column 'label': expected one of the 14 label names, got '%s'",
                    path, line, lab);
            goto fail;
        }
        double *box[4] = {&f->x0, &f->y0, &f->x1, &f->y1};
        for (int k = 0; k < 4; k++)
            if (csv_parse_double(csv_get(tab, r, col[T_X0 + k]), box[k]) != CSV_NUM_OK) {
                cx_fail(err, "%s:%ld: column '%s': expected a number (original px), got '%s'",
                        path, line, truth_cols[T_X0 + k], csv_get(tab, r, col[T_X0 + k]));
                goto fail;
            }
        const char *m = csv_get(tab, r, col[T_MASK]);
        if (*m) {
            if (m[0] == '/' || strstr(m, "..")) {
                cx_fail(err, "%s:%ld: column 'mask': expected a path inside %s, got '%s'", path,
                        line, t->dir, m);
                goto fail;
            }
            char full[8400];
            f->mask = cx_strdup(cx_path_join(full, sizeof full, t->dir, m));
        }
        t->n++;
    }
    // Group by image, keeping file order within an image.
    keyed_finding *k = cx_malloc((size_t)(n ? n : 1) * sizeof *k);
    for (int64_t r = 0; r < n; r++) k[r] = (keyed_finding){t->f[r], r};
    qsort(k, (size_t)n, sizeof *k, keyed_cmp);
    for (int64_t r = 0; r < n; r++) t->f[r] = k[r].f;
    free(k);
    for (int64_t r = 0; r < n; r++)
        if (strmap_get(&t->first, t->f[r].dicom_id) < 0) strmap_put(&t->first, t->f[r].dicom_id, r);
    csv_table_free(tab);
    return 0;
fail:
    csv_table_free(tab);
    truth_free(t);
    return -1;
}

void truth_free(truth_set *t) {
    for (int64_t i = 0; i < t->n; i++) free(t->f[i].mask);
    free(t->f);
    strmap_free(&t->first);
    t->f = NULL;
    t->n = 0;
}

int truth_render(const truth_set *t, const char *dicom_id, const img_fit_geom *g, uint16_t *out,
                 cx_error *err) {
    const int S = g->size;
    memset(out, 0, (size_t)S * S * sizeof *out);
    int64_t i = strmap_get(&t->first, dicom_id);
    if (i < 0) return 0;
    uint8_t *m = cx_malloc((size_t)S * S);
    int count = 0;
    const char *in_m = NULL; // mask file m holds (a finding driving two labels has two rows)
    for (; i < t->n && !strcmp(t->f[i].dicom_id, dicom_id); i++, count++) {
        const truth_finding *f = &t->f[i];
        if (f->mask && in_m && !strcmp(in_m, f->mask)) {
            // same file as the previous row: m already holds it
        } else if (f->mask) {
            in_m = f->mask;
            img_gray mk;
            if (img_load_mask(f->mask, &mk, err)) goto fail;
            if (mk.w != g->orig_w || mk.h != g->orig_h) {
                cx_fail(err, "%s: mask is %dx%d, but image %s is %dx%d", f->mask, mk.w, mk.h,
                        dicom_id, g->orig_w, g->orig_h);
                img_gray_free(&mk);
                goto fail;
            }
            int rc = img_fit_mask(mk.px, mk.w, mk.h, g, m, err);
            img_gray_free(&mk);
            if (rc) goto fail;
        } else { // the box: target pixels whose centre maps inside [x0,x1) x [y0,y1)
            in_m = NULL;
            for (int v = 0; v < S; v++)
                for (int u = 0; u < S; u++) {
                    double xo, yo;
                    img_fit_to_orig(g, u + 0.5, v + 0.5, &xo, &yo);
                    m[(size_t)v * S + u] = xo >= f->x0 && xo < f->x1 && yo >= f->y0 && yo < f->y1;
                }
        }
        for (size_t p = 0; p < (size_t)S * S; p++)
            if (m[p]) out[p] |= (uint16_t)(1u << f->label);
    }
    free(m);
    return count;
fail:
    free(m);
    return -1;
}
