// data/pack: the dataset pack directory (pack.safetensors + index.csv + summary.json), written
// atomically as a directory and read back memory-mapped with every shape and value validated.
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/pack_internal.h"

// Removes "<dir>.tmp.<pid>" and "<dir>.old.<pid>" left by writers that died (SIGKILL, power
// loss) between mkdir and rename: their pid no longer runs. Live writers' folders are kept.
static void remove_stale_temps(const char *dir) {
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    size_t len = strlen(parent);
    while (len > 1 && parent[len - 1] == '/') parent[--len] = 0; // "DATA/" -> "DATA"
    char *slash = strrchr(parent, '/');
    const char *base = slash ? slash + 1 : parent;
    char base_copy[sizeof parent]; // a name component: NAME_MAX at most, sized so it cannot be cut
    snprintf(base_copy, sizeof base_copy, "%s", base);
    if (slash) *(slash == parent ? slash + 1 : slash) = 0;
    else snprintf(parent, sizeof parent, ".");
    size_t bl = strlen(base_copy);
    DIR *d = opendir(parent);
    if (!d || !bl) {
        if (d) closedir(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (strncmp(n, base_copy, bl) || (strncmp(n + bl, ".tmp.", 5) && strncmp(n + bl, ".old.", 5)))
            continue;
        const char *digits = n + bl + 5;
        char *end;
        long pid = strtol(digits, &end, 10);
        if (!*digits || *end || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; // alive (or not ours to probe)
        char full[8400];
        snprintf(full, sizeof full, "%s/%s", parent, n);
        cx_remove_tree(full);
    }
    closedir(d);
}

static int dir_is_empty(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

int pack_target_ok(const char *dir, cx_error *err) {
    if (!cx_path_exists(dir)) return 0;
    if (!cx_is_dir(dir))
        return cx_fail(err, "%s: exists and is not a directory; not replacing it", dir);
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/pack.safetensors", dir);
    if (cx_path_exists(probe) || dir_is_empty(dir)) return 0;
    return cx_fail(err, "%s: exists, is not empty and holds no pack; not replacing it", dir);
}

static void join_names(char *out, size_t cap, const char *const *names, int n) {
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; i < n && at < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, "%s%s", i ? "," : "", names[i]);
}

static int write_index(const pack_contents *c, const char *path, cx_error *err) {
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    static const char *const head[8] = {"row",   "dicom_id", "subject_id", "study_id",
                                        "split", "has_gaze", "gaze_row",   "view"};
    csv_writer_row(w, 8, head);
    for (int64_t i = 0; i < c->n; i++) {
        const image_record *r = &c->ids[i];
        csv_writer_fieldf(w, "%lld", (long long)i);
        csv_writer_field(w, r->dicom_id);
        csv_writer_field(w, r->subject_id);
        csv_writer_field(w, r->study_id);
        csv_writer_field(w, CX_SPLITS[c->split[i]]);
        csv_writer_fieldf(w, "%d", c->gaze_row[i] >= 0);
        csv_writer_fieldf(w, "%d", (int)c->gaze_row[i]);
        csv_writer_field(w, r->view);
        csv_writer_end_row(w);
    }
    return csv_writer_commit(w, err);
}

// Puts the finished temporary directory in place of dir. An existing dir is replaced only if it
// is empty or a pack (holds pack.safetensors), so a typo cannot delete unrelated data.
static int replace_dir(const char *tmp, const char *dir, cx_error *err) {
    if (cx_path_exists(dir)) {
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/pack.safetensors", dir);
        if (!cx_is_dir(dir))
            return cx_fail(err, "%s: exists and is not a directory; not replacing it", dir);
        if (!cx_path_exists(probe) && rmdir(dir) != 0)
            return cx_fail(err, "%s: exists, is not empty and holds no pack; not replacing it",
                           dir);
        if (cx_path_exists(dir)) {
            char old[4200];
            snprintf(old, sizeof old, "%s.old.%d", dir, (int)getpid());
            if (rename(dir, old) != 0)
                return cx_fail(err, "%s: cannot move the old pack aside: %s", dir,
                               strerror(errno));
            if (rename(tmp, dir) != 0) {
                int e = errno;
                rename(old, dir);
                return cx_fail(err, "%s: cannot rename %s into place: %s", dir, tmp, strerror(e));
            }
            cx_remove_tree(old);
            return 0;
        }
    }
    if (rename(tmp, dir) != 0)
        return cx_fail(err, "%s: cannot rename %s into place: %s", dir, tmp, strerror(errno));
    return 0;
}

int pack_write(const pack_contents *c, const char *dir, const char *summary_json,
               cx_error *err) {
    char tmp[4200], path[4300], buf[1024];
    if (pack_target_ok(dir, err)) return -1;
    remove_stale_temps(dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", dir, (int)getpid());
    cx_remove_tree(tmp);
    if (cx_mkdir_p(tmp, err)) return -1;
    const int64_t N = c->n, G = c->n_gaze, S = c->size;
    static const uint8_t dummy[8];
    st_writer *w = st_writer_new();
    // Wider dtypes first so every tensor's data stays aligned to its element size.
    st_writer_add(w, "labels", ST_F32, 2, (int64_t[]){N, CX_N_LABELS}, c->labels);
    st_writer_add(w, "gaze", ST_F32, 3, (int64_t[]){G, S, S}, G ? (const void *)c->gaze : dummy);
    st_writer_add(w, "gaze_row", ST_I32, 1, (int64_t[]){N}, c->gaze_row);
    if (c->truth) st_writer_add(w, "truth", ST_U16, 3, (int64_t[]){N, S, S}, c->truth);
    const int64_t A = c->n_annot, R = c->n_readings;
    if (R && pack_check_readings_out(c, err)) {
        st_writer_free(w);
        cx_remove_tree(tmp);
        return -1;
    }
    if (R) {
        st_writer_add(w, "reading_gaze", ST_F32, 3, (int64_t[]){R, S, S}, c->reading_gaze);
        st_writer_add(w, "reading_row", ST_I32, 1, (int64_t[]){R}, c->reading_row);
    }
    char *annot_names = NULL;
    if (A) {
        if (pack_check_annotations_out(c, err)) {
            st_writer_free(w);
            cx_remove_tree(tmp);
            return -1;
        }
        st_writer_add(w, "annotation_row", ST_I32, 1, (int64_t[]){A}, c->annot_row);
        st_writer_add(w, "annotation_label", ST_I32, 1, (int64_t[]){A}, c->annot_label);
        st_writer_add(w, "annotations", ST_U8, 3, (int64_t[]){A, S, S}, c->annot_mask);
        size_t cap = 1;
        for (int i = 0; i < c->n_annot_labels; i++) cap += strlen(c->annot_labels[i]) + 1;
        annot_names = cx_malloc(cap);
        join_names(annot_names, cap, (const char *const *)c->annot_labels, c->n_annot_labels);
        st_writer_meta(w, "annotation_labels", annot_names);
    }
    if (R) {
        st_writer_add(w, "reading_fixations", ST_U8, 3, (int64_t[]){R, S, S},
                      c->reading_fixations);
        st_writer_add(w, "reading_source", ST_U8, 1, (int64_t[]){R}, c->reading_source);
    }
    st_writer_add(w, "images", ST_U8, 3, (int64_t[]){N, S, S}, c->images);
    st_writer_add(w, "label_mask", ST_U8, 2, (int64_t[]){N, CX_N_LABELS}, c->label_mask);
    st_writer_add(w, "split", ST_U8, 1, (int64_t[]){N}, c->split);
    st_writer_add(w, "fixations", ST_U8, 3, (int64_t[]){G, S, S},
                  G ? (const void *)c->fixations : dummy);
    st_writer_add(w, "regions", ST_U8, 4, (int64_t[]){G, CX_N_REGIONS, S, S},
                  G ? (const void *)c->regions : dummy);
    st_writer_add(w, "region_present", ST_U8, 2, (int64_t[]){G, CX_N_REGIONS},
                  G ? (const void *)c->region_present : dummy);
    st_writer_meta(w, "format", PACK_FORMAT);
    snprintf(buf, sizeof buf, "%d", c->size);
    st_writer_meta(w, "size", buf);
    join_names(buf, sizeof buf, CX_LABELS, CX_N_LABELS);
    st_writer_meta(w, "labels", buf);
    join_names(buf, sizeof buf, CX_REGIONS, CX_N_REGIONS);
    st_writer_meta(w, "regions", buf);
    join_names(buf, sizeof buf, CX_SPLITS, CX_N_SPLITS);
    st_writer_meta(w, "splits", buf);
    st_writer_meta(w, "cxrgaze_version", CX_VERSION);
    for (int i = 0; i < c->n_meta; i++) st_writer_meta(w, c->meta_key[i], c->meta_val[i]);
    snprintf(path, sizeof path, "%s/pack.safetensors", tmp);
    int rc = st_writer_write(w, path, err);
    st_writer_free(w);
    free(annot_names);
    if (!rc) {
        snprintf(path, sizeof path, "%s/index.csv", tmp);
        rc = write_index(c, path, err);
    }
    if (!rc && R) {
        snprintf(path, sizeof path, "%s/readings.csv", tmp);
        rc = pack_write_readings(c, path, err);
    }
    if (!rc && summary_json) {
        snprintf(path, sizeof path, "%s/summary.json", tmp);
        rc = cx_write_file_atomic(path, summary_json, strlen(summary_json), err);
    }
    if (!rc) rc = replace_dir(tmp, dir, err);
    if (rc) cx_remove_tree(tmp);
    return rc;
}

// ---- reading ---------------------------------------------------------------------------------
static int expect(pack *p, const char *name, st_dtype dt, int ndim, const int64_t *shape,
                  const void **data, cx_error *err) {
    const st_tensor *t;
    if (st_expect(&p->st, name, dt, ndim, shape, &t, err)) return -1;
    if ((uintptr_t)t->data % st_dtype_size(dt))
        return cx_fail(err, "%s: tensor \"%s\" is not aligned to its %s elements", p->st.path,
                       name, st_dtype_name(dt));
    *data = t->numel ? t->data : NULL;
    return 0;
}

static int read_index(pack *p, cx_error *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/index.csv", p->dir);
    csv_table *t = csv_table_read(path, err);
    if (!t) return -1;
    static const char *const names[8] = {"row",   "dicom_id", "subject_id", "study_id",
                                         "split", "has_gaze", "gaze_row",   "view"};
    int col[8], rc = -1;
    if (csv_require_cols(t, names, 8, col, err)) goto done;
    if (csv_nrows(t) != p->n) {
        cx_fail(err, "%s: %lld rows, but pack.safetensors holds %lld images", path,
                (long long)csv_nrows(t), (long long)p->n);
        goto done;
    }
    p->dicom_id = cx_calloc((size_t)(p->n ? p->n : 1), sizeof(char *));
    p->subject_id = cx_calloc((size_t)(p->n ? p->n : 1), sizeof(char *));
    p->study_id = cx_calloc((size_t)(p->n ? p->n : 1), sizeof(char *));
    p->view = cx_calloc((size_t)(p->n ? p->n : 1), sizeof(char *));
    for (int64_t r = 0; r < p->n; r++) {
        int64_t row, gr;
        const char *sp = csv_get(t, r, col[4]);
        long line = (long)csv_row_line(t, r);
        if (csv_parse_int64(csv_get(t, r, col[0]), &row) != CSV_NUM_OK || row != r) {
            cx_fail(err, "%s:%ld: column 'row': expected %lld, got '%s'", path, line,
                    (long long)r, csv_get(t, r, col[0]));
            goto done;
        }
        if (split_from_name(sp) != p->split[r]) {
            cx_fail(err, "%s:%ld: column 'split': '%s' disagrees with tensor split (%s)", path,
                    line, sp, CX_SPLITS[p->split[r]]);
            goto done;
        }
        if (csv_parse_int64(csv_get(t, r, col[6]), &gr) != CSV_NUM_OK || gr != p->gaze_row[r]) {
            cx_fail(err, "%s:%ld: column 'gaze_row': '%s' disagrees with tensor gaze_row (%d)",
                    path, line, csv_get(t, r, col[6]), (int)p->gaze_row[r]);
            goto done;
        }
        p->dicom_id[r] = cx_strdup(csv_get(t, r, col[1]));
        p->subject_id[r] = cx_strdup(csv_get(t, r, col[2]));
        p->study_id[r] = cx_strdup(csv_get(t, r, col[3]));
        p->view[r] = cx_strdup(csv_get(t, r, col[7]));
    }
    rc = 0;
done:
    csv_table_free(t);
    return rc;
}

// Value checks a reader relies on (a corrupt or foreign pack is refused, never misread).
static int check_values(pack *p, cx_error *err) {
    const char *f = p->st.path;
    const int64_t N = p->n, G = p->n_gaze, S = p->size;
    for (int64_t i = 0; i < N * CX_N_LABELS; i++) {
        if (p->labels[i] != 0.0f && p->labels[i] != 1.0f)
            return cx_fail(err, "%s: tensor \"labels\": element %lld is %g, expected 0 or 1", f,
                           (long long)i, p->labels[i]);
        if (p->label_mask[i] > 1)
            return cx_fail(err, "%s: tensor \"label_mask\": element %lld is %d, expected 0/1", f,
                           (long long)i, p->label_mask[i]);
    }
    uint8_t *seen = cx_calloc((size_t)(G ? G : 1), 1);
    for (int64_t i = 0; i < N; i++) {
        int32_t g = p->gaze_row[i];
        if (p->split[i] >= CX_N_SPLITS || g < -1 || g >= G || (g >= 0 && seen[g]++)) {
            free(seen);
            return cx_fail(err,
                           "%s: row %lld: split %d / gaze_row %d invalid (expected split < 3, "
                           "gaze_row -1 or a unique row < %lld)",
                           f, (long long)i, p->split[i], g, (long long)G);
        }
    }
    free(seen);
    for (int64_t i = 0; i < G * S * S; i++)
        if (!(p->gaze[i] >= 0.0f && p->gaze[i] <= 1.0f))
            return cx_fail(err, "%s: tensor \"gaze\": element %lld is %g, expected [0,1]", f,
                           (long long)i, p->gaze[i]);
    return 0;
}

int pack_open(pack *p, const char *dir, cx_error *err) {
    memset(p, 0, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "%s", dir);
    char path[4200];
    snprintf(path, sizeof path, "%s/pack.safetensors", dir);
    if (!cx_is_dir(dir)) return cx_fail(err, "%s: not a dataset pack directory", dir);
    if (st_open(&p->st, path, err)) return -1;
    const char *fmt = st_meta(&p->st, "format"), *sz = st_meta(&p->st, "size"),
               *labels = st_meta(&p->st, "labels");
    char want[1024];
    join_names(want, sizeof want, CX_LABELS, CX_N_LABELS);
    int64_t s64 = 0;
    if (!fmt || strcmp(fmt, PACK_FORMAT)) {
        cx_fail(err, "%s: __metadata__ format is '%s', expected '%s'", path, fmt ? fmt : "(none)",
                PACK_FORMAT);
        goto fail;
    }
    if (!sz || csv_parse_int64(sz, &s64) != CSV_NUM_OK || s64 < 1 || s64 > 65536) {
        cx_fail(err, "%s: __metadata__ size is '%s', expected a positive integer", path,
                sz ? sz : "(none)");
        goto fail;
    }
    if (!labels || strcmp(labels, want)) {
        cx_fail(err, "%s: __metadata__ labels are '%s', expected '%s'", path,
                labels ? labels : "(none)", want);
        goto fail;
    }
    p->size = (int)s64;
    const int64_t S = s64;
    const st_tensor *im = st_find(&p->st, "images"), *gz = st_find(&p->st, "gaze");
    if (!im || im->ndim < 1 || !gz || gz->ndim < 1) {
        cx_fail(err, "%s: missing tensor \"%s\"", path, !im || im->ndim < 1 ? "images" : "gaze");
        goto fail;
    }
    p->n = im->shape[0];
    p->n_gaze = gz->shape[0];
    const int64_t N = p->n, G = p->n_gaze;
    const void *d;
#define EXPECT(name, dt, nd, field, ...)                                                       \
    if (expect(p, name, dt, nd, (int64_t[]){__VA_ARGS__}, &d, err)) goto fail;              \
    p->field = d
    EXPECT("images", ST_U8, 3, images, N, S, S);
    EXPECT("labels", ST_F32, 2, labels, N, CX_N_LABELS);
    EXPECT("label_mask", ST_U8, 2, label_mask, N, CX_N_LABELS);
    EXPECT("split", ST_U8, 1, split, N);
    EXPECT("gaze_row", ST_I32, 1, gaze_row, N);
    EXPECT("gaze", ST_F32, 3, gaze, G, S, S);
    EXPECT("fixations", ST_U8, 3, fixations, G, S, S);
    EXPECT("regions", ST_U8, 4, regions, G, CX_N_REGIONS, S, S);
    EXPECT("region_present", ST_U8, 2, region_present, G, CX_N_REGIONS);
    if (st_find(&p->st, "truth")) {
        EXPECT("truth", ST_U16, 3, truth, N, S, S);
    }
    const st_tensor *an = st_find(&p->st, "annotations");
    if (an && an->ndim >= 1 && an->shape[0] > 0) {
        const int64_t A = an->shape[0];
        EXPECT("annotations", ST_U8, 3, annot_mask, A, S, S);
        EXPECT("annotation_row", ST_I32, 1, annot_row, A);
        EXPECT("annotation_label", ST_I32, 1, annot_label, A);
        p->n_annot = A;
        if (pack_read_annotation_labels(p, err) || pack_check_annotations(p, err)) goto fail;
    }
    const st_tensor *rg = st_find(&p->st, "reading_gaze");
    if (rg && rg->ndim >= 1 && rg->shape[0] > 0) {
        const int64_t R = rg->shape[0];
        EXPECT("reading_gaze", ST_F32, 3, reading_gaze, R, S, S);
        EXPECT("reading_fixations", ST_U8, 3, reading_fixations, R, S, S);
        EXPECT("reading_row", ST_I32, 1, reading_row, R);
        EXPECT("reading_source", ST_U8, 1, reading_source, R);
        p->n_readings = R;
        if (pack_check_readings(p, err)) goto fail;
    }
#undef EXPECT
    if (check_values(p, err)) goto fail;
    if (read_index(p, err)) goto fail;
    if (p->n_readings && pack_read_readings(p, err)) goto fail;
    return 0;
fail:
    pack_close(p);
    return -1;
}

void pack_close(pack *p) {
    for (int64_t i = 0; i < p->n; i++) {
        if (p->dicom_id) free(p->dicom_id[i]);
        if (p->subject_id) free(p->subject_id[i]);
        if (p->study_id) free(p->study_id[i]);
        if (p->view) free(p->view[i]);
    }
    free(p->dicom_id);
    free(p->subject_id);
    free(p->study_id);
    free(p->view);
    for (int64_t i = 0; p->reading_id && i < p->n_readings; i++) free(p->reading_id[i]);
    free(p->reading_id);
    for (int i = 0; i < p->n_annot_labels; i++) free(p->annot_labels[i]);
    free(p->annot_labels);
    st_close(&p->st);
    memset(p, 0, sizeof *p);
}

int64_t pack_split_rows(const pack *p, int split, int64_t **rows) {
    int64_t n = 0;
    for (int64_t i = 0; i < p->n; i++) n += p->split[i] == split;
    *rows = cx_malloc((size_t)(n ? n : 1) * sizeof **rows);
    n = 0;
    for (int64_t i = 0; i < p->n; i++)
        if (p->split[i] == split) (*rows)[n++] = i;
    return n;
}
