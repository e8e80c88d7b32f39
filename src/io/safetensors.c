// io: safetensors, read through mmap with full validation, written atomically.
// Spec: https://github.com/huggingface/safetensors (header: u64 LE length + JSON, then data).
#include "io/io.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *name;
    size_t size;
} dtypes[ST_NDTYPES] = {
    [ST_F32] = {"F32", 4},  [ST_F16] = {"F16", 2}, [ST_BF16] = {"BF16", 2},
    [ST_F64] = {"F64", 8},  [ST_I64] = {"I64", 8}, [ST_I32] = {"I32", 4},
    [ST_I16] = {"I16", 2},  [ST_I8] = {"I8", 1},   [ST_U8] = {"U8", 1},
    [ST_BOOL] = {"BOOL", 1}, [ST_U16] = {"U16", 2}, [ST_U32] = {"U32", 4},
    [ST_U64] = {"U64", 8},
};

const char *st_dtype_name(st_dtype dt) { return dt < ST_NDTYPES ? dtypes[dt].name : "?"; }
size_t st_dtype_size(st_dtype dt) { return dt < ST_NDTYPES ? dtypes[dt].size : 0; }

static int dtype_parse(const char *s, st_dtype *dt) {
    for (int i = 0; i < ST_NDTYPES; i++)
        if (strcmp(s, dtypes[i].name) == 0) {
            *dt = (st_dtype)i;
            return 0;
        }
    return -1;
}

void st_close(st_file *f) {
    if (!f) return;
    for (int i = 0; i < f->n; i++) free(f->t[i].name);
    free(f->t);
    for (int i = 0; i < f->n_meta; i++) {
        free(f->meta_key[i]);
        free(f->meta_val[i]);
    }
    free(f->meta_key);
    free(f->meta_val);
    if (f->map && f->map != MAP_FAILED) munmap(f->map, f->size);
    memset(f, 0, sizeof *f);
}

static int cmp_by_offset(const void *a, const void *b) {
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    const char *px = x->data, *py = y->data;
    return px < py ? -1 : px > py;
}

static int parse_metadata(st_file *f, json_t *meta, cx_error *err) {
    if (!json_is_object(meta))
        return cx_fail(err, "%s: __metadata__ is not an object of strings", f->path);
    size_t n = json_object_size(meta);
    f->meta_key = cx_calloc(n, sizeof(char *));
    f->meta_val = cx_calloc(n, sizeof(char *));
    const char *k;
    json_t *v;
    json_object_foreach(meta, k, v) {
        if (!json_is_string(v))
            return cx_fail(err, "%s: __metadata__[\"%s\"] is not a string", f->path, k);
        f->meta_key[f->n_meta] = cx_strdup(k);
        f->meta_val[f->n_meta] = cx_strdup(json_string_value(v));
        f->n_meta++;
    }
    return 0;
}

// Validates one header entry and fills t (data pointer into the mapping).
static int parse_entry(st_file *f, const char *name, json_t *e, const char *data0,
                       size_t data_len, st_tensor *t, cx_error *err) {
    const char *p = f->path;
    if (!json_is_object(e)) return cx_fail(err, "%s: tensor \"%s\": entry is not an object", p, name);
    json_t *jd = json_object_get(e, "dtype"), *js = json_object_get(e, "shape"),
           *jo = json_object_get(e, "data_offsets");
    if (!json_is_string(jd)) return cx_fail(err, "%s: tensor \"%s\": missing dtype", p, name);
    if (dtype_parse(json_string_value(jd), &t->dtype))
        return cx_fail(err, "%s: tensor \"%s\": unknown dtype \"%s\"", p, name,
                       json_string_value(jd));
    if (!json_is_array(js)) return cx_fail(err, "%s: tensor \"%s\": missing shape", p, name);
    if (json_array_size(js) > ST_MAX_DIMS)
        return cx_fail(err, "%s: tensor \"%s\": %zu dimensions (at most %d)", p, name,
                       json_array_size(js), ST_MAX_DIMS);
    t->ndim = (int)json_array_size(js);
    size_t numel = 1;
    for (int d = 0; d < t->ndim; d++) {
        json_t *x = json_array_get(js, d);
        if (!json_is_integer(x) || json_integer_value(x) < 0)
            return cx_fail(err, "%s: tensor \"%s\": shape[%d] is not a non-negative integer", p,
                           name, d);
        t->shape[d] = json_integer_value(x);
        if (cx_mul_size(numel, (size_t)t->shape[d], &numel))
            return cx_fail(err, "%s: tensor \"%s\": shape overflows", p, name);
    }
    if (!json_is_array(jo) || json_array_size(jo) != 2 ||
        !json_is_integer(json_array_get(jo, 0)) || !json_is_integer(json_array_get(jo, 1)))
        return cx_fail(err, "%s: tensor \"%s\": data_offsets must be [begin, end]", p, name);
    json_int_t b = json_integer_value(json_array_get(jo, 0));
    json_int_t en = json_integer_value(json_array_get(jo, 1));
    if (b < 0 || en < b || (uint64_t)en > data_len)
        return cx_fail(err,
                       "%s: tensor \"%s\": data_offsets [%lld, %lld] outside the %zu data bytes",
                       p, name, (long long)b, (long long)en, data_len);
    size_t nbytes;
    if (cx_mul_size(numel, st_dtype_size(t->dtype), &nbytes) || nbytes != (size_t)(en - b))
        return cx_fail(err, "%s: tensor \"%s\": %lld bytes for shape x %s = %zu elements", p,
                       name, (long long)(en - b), st_dtype_name(t->dtype), numel);
    t->numel = numel;
    t->nbytes = nbytes;
    t->data = data0 + b;
    t->name = cx_strdup(name);
    return 0;
}

static int parse_header(st_file *f, const char *hdr, size_t hlen, cx_error *err) {
    json_error_t je;
    json_t *root = json_loadb(hdr, hlen, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return cx_fail(err, "%s: header is not valid JSON (line %d, column %d: %s)", f->path,
                       je.line, je.column, je.text);
    int rc = 0;
    if (!json_is_object(root)) {
        rc = cx_fail(err, "%s: header is not a JSON object", f->path);
        goto done;
    }
    const char *data0 = hdr + hlen;
    size_t data_len = f->size - 8 - hlen;
    f->t = cx_calloc(json_object_size(root), sizeof(st_tensor));
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if (strcmp(k, "__metadata__") == 0) {
            if ((rc = parse_metadata(f, v, err))) goto done;
            continue;
        }
        if ((rc = parse_entry(f, k, v, data0, data_len, &f->t[f->n], err))) goto done;
        f->n++;
    }
    // No two tensors may share bytes.
    st_tensor **by_off = cx_malloc(sizeof(st_tensor *) * (f->n ? f->n : 1));
    for (int i = 0; i < f->n; i++) by_off[i] = &f->t[i];
    qsort(by_off, f->n, sizeof *by_off, cmp_by_offset);
    for (int i = 1; i < f->n; i++) {
        const char *end_prev = (const char *)by_off[i - 1]->data + by_off[i - 1]->nbytes;
        if ((const char *)by_off[i]->data < end_prev) {
            rc = cx_fail(err, "%s: tensors \"%s\" and \"%s\" overlap", f->path,
                         by_off[i - 1]->name, by_off[i]->name);
            break;
        }
    }
    free(by_off);
done:
    json_decref(root);
    return rc;
}

int st_open(st_file *f, const char *path, cx_error *err) {
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return cx_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cx_fail(err, "%s: not a regular file", path);
    }
    f->size = (size_t)st.st_size;
    if (f->size < 8) {
        close(fd);
        return cx_fail(err, "%s: %zu bytes, too short for a safetensors header", path, f->size);
    }
    f->map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        return cx_fail(err, "%s: cannot map: %s", path, strerror(errno));
    }
    const unsigned char *b = f->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | b[i];
    if (hlen > ST_MAX_HEADER || hlen > f->size - 8) {
        cx_fail(err, "%s: header length %llu exceeds %s (%zu bytes)", path,
                (unsigned long long)hlen,
                hlen > ST_MAX_HEADER ? "the 100 MiB limit" : "the file size", f->size);
        st_close(f);
        return -1;
    }
    if (parse_header(f, (const char *)b + 8, (size_t)hlen, err)) {
        st_close(f);
        return -1;
    }
    return 0;
}

const st_tensor *st_find(const st_file *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}

const char *st_meta(const st_file *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta_key[i], key) == 0) return f->meta_val[i];
    return NULL;
}

static void shape_str(char *out, size_t cap, int ndim, const int64_t *shape) {
    size_t len = 0;
    len += snprintf(out + len, cap - len, "[");
    for (int d = 0; d < ndim && len < cap; d++) {
        if (shape[d] < 0)
            len += snprintf(out + len, cap - len, "%s*", d ? "," : "");
        else
            len += snprintf(out + len, cap - len, "%s%lld", d ? "," : "", (long long)shape[d]);
    }
    if (len < cap) snprintf(out + len, cap - len, "]");
}

int st_expect(const st_file *f, const char *name, st_dtype dt, int ndim, const int64_t *shape,
              const st_tensor **out, cx_error *err) {
    const st_tensor *t = st_find(f, name);
    if (!t) return cx_fail(err, "%s: missing tensor \"%s\"", f->path, name);
    if (t->dtype != dt)
        return cx_fail(err, "%s: tensor \"%s\": dtype %s, expected %s", f->path, name,
                       st_dtype_name(t->dtype), st_dtype_name(dt));
    int ok = ndim < 0 || t->ndim == ndim;
    for (int d = 0; ok && ndim >= 0 && shape && d < ndim; d++)
        if (shape[d] >= 0 && shape[d] != t->shape[d]) ok = 0;
    if (!ok) {
        char want[128], got[128];
        shape_str(want, sizeof want, ndim, shape);
        shape_str(got, sizeof got, t->ndim, t->shape);
        return cx_fail(err, "%s: tensor \"%s\": shape %s, expected %s", f->path, name, got, want);
    }
    if (out) *out = t;
    return 0;
}

int st_read_f32(const st_file *f, const st_tensor *t, float *out, cx_error *err) {
    const unsigned char *src = t->data;
    switch (t->dtype) {
    case ST_F32:
        memcpy(out, src, t->nbytes);
        return 0;
    case ST_F64:
        for (size_t i = 0; i < t->numel; i++) {
            double d;
            memcpy(&d, src + 8 * i, 8);
            out[i] = (float)d;
        }
        return 0;
    case ST_BF16:
        for (size_t i = 0; i < t->numel; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            out[i] = cx_bf16_to_f32(h);
        }
        return 0;
    case ST_F16:
        for (size_t i = 0; i < t->numel; i++) {
            _Float16 h;
            memcpy(&h, src + 2 * i, 2);
            out[i] = (float)h;
        }
        return 0;
    default:
        return cx_fail(err, "%s: tensor \"%s\": dtype %s is not floating point", f->path,
                       t->name, st_dtype_name(t->dtype));
    }
}

// ---- writer ------------------------------------------------------------------------------------
typedef struct st_wentry {
    char *name;
    st_dtype dt;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data;
    size_t nbytes;
} st_wentry;

struct st_writer {
    int n, cap;
    st_wentry *e;
    json_t *meta;
};

st_writer *st_writer_new(void) {
    st_writer *w = cx_calloc(1, sizeof *w);
    w->meta = json_object();
    return w;
}

void st_writer_add(st_writer *w, const char *name, st_dtype dt, int ndim, const int64_t *shape,
                   const void *data) {
    CX_ASSERT(ndim >= 0 && ndim <= ST_MAX_DIMS);
    if (w->n == w->cap) w->e = cx_realloc(w->e, sizeof(st_wentry) * (w->cap = w->cap ? 2 * w->cap : 16));
    st_wentry *e = &w->e[w->n++];
    e->name = cx_strdup(name);
    e->dt = dt;
    e->ndim = ndim;
    size_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        e->shape[d] = shape[d];
        numel *= (size_t)shape[d];
    }
    e->data = data;
    e->nbytes = numel * st_dtype_size(dt);
}

void st_writer_meta(st_writer *w, const char *key, const char *value) {
    json_object_set_new(w->meta, key, json_string(value));
}

void st_writer_free(st_writer *w) {
    if (!w) return;
    for (int i = 0; i < w->n; i++) free(w->e[i].name);
    free(w->e);
    json_decref(w->meta);
    free(w);
}

int st_writer_write(st_writer *w, const char *path, cx_error *err) {
    json_t *root = json_object();
    if (json_object_size(w->meta)) json_object_set(root, "__metadata__", w->meta);
    uint64_t off = 0;
    for (int i = 0; i < w->n; i++) {
        st_wentry *e = &w->e[i];
        json_t *shape = json_array();
        for (int d = 0; d < e->ndim; d++) json_array_append_new(shape, json_integer(e->shape[d]));
        json_t *ent = json_object();
        json_object_set_new(ent, "dtype", json_string(st_dtype_name(e->dt)));
        json_object_set_new(ent, "shape", shape);
        json_object_set_new(ent, "data_offsets",
                            json_pack("[II]", (json_int_t)off, (json_int_t)(off + e->nbytes)));
        if (json_object_set_new(root, e->name, ent) != 0) {
            json_decref(root);
            return cx_fail(err, "%s: cannot add tensor \"%s\"", path, e->name);
        }
        off += e->nbytes;
    }
    char *hdr = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!hdr) return cx_fail(err, "%s: cannot encode the header", path);
    size_t hl = strlen(hdr), padded = (hl + 7) & ~(size_t)7; // data starts 8-byte aligned
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));

    cx_atomic_file af;
    if (cx_atomic_open(&af, path, err)) {
        free(hdr);
        return -1;
    }
    int bad = fwrite(len8, 1, 8, af.f) != 8 || fwrite(hdr, 1, hl, af.f) != hl;
    for (size_t i = hl; i < padded && !bad; i++) bad = fputc(' ', af.f) == EOF;
    free(hdr);
    for (int i = 0; i < w->n && !bad; i++)
        bad = w->e[i].nbytes && fwrite(w->e[i].data, 1, w->e[i].nbytes, af.f) != w->e[i].nbytes;
    if (bad) {
        int e = errno;
        cx_atomic_abort(&af);
        return cx_fail(err, "%s: write failed: %s", path, strerror(e));
    }
    return cx_atomic_commit(&af, err);
}
