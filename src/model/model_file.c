// Model files: safetensors with torchvision state_dict() names (policy and keys: model.h).
// Name normalisation follows torchvision's densenet _load_state_dict (legacy "norm.1" keys)
// and the prefixes PyTorch wrappers add (DataParallel's "module.", a named sub-model).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

#define MODEL_FORMAT "cxrgaze-model-1 (torchvision DenseNet state_dict names)"

static const char *const ARCHS[] = {"densenet121", "densenet169", "densenet201"};
#define N_ARCHS ((int)(sizeof ARCHS / sizeof ARCHS[0]))

void model_meta_init(model_meta *m, int input_size) {
    memset(m, 0, sizeof *m);
    m->input_size = input_size;
    memcpy(m->mean, model_imagenet_mean, sizeof m->mean);
    memcpy(m->std, model_imagenet_std, sizeof m->std);
}

int model_meta_set_labels(model_meta *m, int n, const char *const *names, cx_error *err) {
    if (n < 0 || n > MODEL_MAX_LABELS)
        return cx_fail(err, "model metadata: %d labels, at most %d", n, MODEL_MAX_LABELS);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (len == 0 || len >= sizeof m->labels[0] || strchr(names[i], ','))
            return cx_fail(err,
                           "model metadata: label %d \"%s\" must be 1-%zu characters "
                           "without commas",
                           i, names[i], sizeof m->labels[0] - 1);
        memcpy(m->labels[i], names[i], len + 1);
    }
    m->n_labels = n;
    return 0;
}

// ---- names ------------------------------------------------------------------------------------
// raw file name -> torchvision name: strips "module." / "densenetNNN." prefixes (any order,
// repeated) and rewrites "denselayerL.norm.1.x" to "denselayerL.norm1.x" (norm|conv, 1|2).
static int normalise_name(const char *raw, char *out, size_t cap) {
    static const char *const prefixes[] = {"module.", "densenet121.", "densenet169.",
                                           "densenet201."};
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
            size_t n = strlen(prefixes[i]);
            if (!strncmp(raw, prefixes[i], n)) {
                raw += n;
                again = 1;
            }
        }
    }
    if (strlen(raw) >= cap) return -1;
    strcpy(out, raw);
    char *p = strstr(out, ".denselayer");
    if (!p) return 0;
    p += strlen(".denselayer");
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    // p: ".norm.1.weight"? -> drop the '.' between "norm" and "1"
    if (*p == '.' && (!strncmp(p + 1, "norm.", 5) || !strncmp(p + 1, "conv.", 5)) &&
        (p[6] == '1' || p[6] == '2') && p[7] == '.')
        memmove(p + 5, p + 6, strlen(p + 6) + 1);
    return 0;
}

typedef struct file_entry {
    const st_tensor *t;
    char name[160]; // normalised
    int used;
} file_entry;

static file_entry *find_entry(file_entry *e, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(e[i].name, name)) return &e[i];
    return NULL;
}

static void shape_str(char *out, size_t cap, int ndim, const int64_t *shape) {
    size_t len = (size_t)snprintf(out, cap, "[");
    for (int d = 0; d < ndim && len < cap; d++)
        len += (size_t)snprintf(out + len, cap - len, "%s%lld", d ? "," : "", (long long)shape[d]);
    if (len < cap) snprintf(out + len, cap - len, "]");
}

// ---- the architecture the file describes ------------------------------------------------------
static int infer_config(const st_file *f, file_entry *e, int n, densenet_config *cfg,
                        cx_error *err) {
    const file_entry *cls = find_entry(e, n, "classifier.weight");
    if (!cls)
        return cx_fail(err,
                       "%s: no tensor \"classifier.weight\": not a DenseNet model file "
                       "(%d tensors; expected torchvision state_dict() names)",
                       f->path, n);
    if (cls->t->ndim != 2 || cls->t->shape[0] < 1) {
        char s[64];
        shape_str(s, sizeof s, cls->t->ndim, cls->t->shape);
        return cx_fail(err, "%s: tensor \"%s\": shape %s, expected [num_classes, features]",
                       f->path, cls->t->name, s);
    }
    if (cls->t->shape[0] > 100000)
        return cx_fail(err, "%s: tensor \"%s\": %lld classes is not plausible", f->path,
                       cls->t->name, (long long)cls->t->shape[0]);
    int k = (int)cls->t->shape[0], gaze = find_entry(e, n, "gaze_head.weight") != NULL;

    const char *arch = st_meta(f, "arch");
    if (arch) {
        if (densenet_config_for(arch, k, gaze, cfg, err))
            return cx_fail_wrap(err, "%s: __metadata__ \"arch\"", f->path);
        return 0;
    }
    int layers[NN_MAX_BLOCKS] = {0};
    for (int i = 0; i < n; i++) {
        int b, l;
        if (sscanf(e[i].name, "features.denseblock%d.denselayer%d.", &b, &l) == 2 && b >= 1 &&
            b <= NN_MAX_BLOCKS && l > layers[b - 1])
            layers[b - 1] = l;
    }
    for (int a = 0; a < N_ARCHS; a++) {
        if (densenet_config_for(ARCHS[a], k, gaze, cfg, err)) return -1;
        if (!memcmp(cfg->blocks, layers, sizeof layers)) return 0;
    }
    return cx_fail(err,
                   "%s: dense layers per block (%d,%d,%d,%d) match no known architecture "
                   "(densenet121 (6,12,24,16), densenet169 (6,12,32,32), densenet201 "
                   "(6,12,48,32)) and __metadata__ has no \"arch\"",
                   f->path, layers[0], layers[1], layers[2], layers[3]);
}

// ---- metadata -----------------------------------------------------------------------------------
static int parse_floats3(const st_file *f, const char *key, float out[3], cx_error *err) {
    const char *s = st_meta(f, key);
    if (!s) return 0;
    char *end;
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        errno = 0;
        double v = strtod(p, &end);
        if (errno || end == p || (i < 2 && *end != ',') || (i == 2 && *end))
            return cx_fail(err,
                           "%s: __metadata__ \"%s\" = \"%s\": expected 3 comma-separated "
                           "numbers",
                           f->path, key, s);
        out[i] = (float)v;
        p = end + 1;
    }
    return 0;
}

static int parse_meta(const st_file *f, int num_classes, model_meta *m, cx_error *err) {
    model_meta_init(m, 0);
    const char *s;
    if ((s = st_meta(f, "labels")) && *s) {
        const char *p = s;
        for (;;) {
            const char *q = strchr(p, ',');
            size_t len = q ? (size_t)(q - p) : strlen(p);
            if (m->n_labels == MODEL_MAX_LABELS || len == 0 || len >= sizeof m->labels[0])
                return cx_fail(err,
                               "%s: __metadata__ \"labels\": label %d is empty, too long or "
                               "one too many (at most %d of < %zu characters)",
                               f->path, m->n_labels, MODEL_MAX_LABELS, sizeof m->labels[0]);
            memcpy(m->labels[m->n_labels], p, len);
            m->labels[m->n_labels++][len] = 0;
            if (!q) break;
            p = q + 1;
        }
        if (m->n_labels != num_classes)
            return cx_fail(err,
                           "%s: __metadata__ \"labels\" names %d labels, classifier.weight "
                           "has %d classes",
                           f->path, m->n_labels, num_classes);
    }
    if ((s = st_meta(f, "input_size"))) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 0 || v > 65536)
            return cx_fail(err,
                           "%s: __metadata__ \"input_size\" = \"%s\": expected pixels "
                           "(0-65536)",
                           f->path, s);
        m->input_size = (int)v;
    }
    if (parse_floats3(f, "mean", m->mean, err) || parse_floats3(f, "std", m->std, err)) return -1;
    for (int i = 0; i < 3; i++)
        if (!(m->std[i] > 0))
            return cx_fail(err, "%s: __metadata__ \"std\": entries must be > 0", f->path);
    if ((s = st_meta(f, "provenance"))) snprintf(m->provenance, sizeof m->provenance, "%s", s);
    return 0;
}

// ---- load ---------------------------------------------------------------------------------------
static int is_float_dtype(st_dtype dt) {
    return dt == ST_F32 || dt == ST_F16 || dt == ST_BF16 || dt == ST_F64;
}

// Checks one file tensor against the table entry and copies its values in.
static int load_tensor(const st_file *f, const file_entry *e, const nn_tensor_info *ti,
                       cx_error *err) {
    const st_tensor *t = e->t;
    if (ti->kind == NN_COUNTER) {
        if (t->dtype != ST_I64)
            return cx_fail(err, "%s: tensor \"%s\": dtype %s, expected I64 (a batch counter)",
                           f->path, t->name, st_dtype_name(t->dtype));
        if (t->numel != 1 || t->ndim > 1)
            return cx_fail(err,
                           "%s: tensor \"%s\": %zu elements in %d dimensions, expected one "
                           "scalar",
                           f->path, t->name, t->numel, t->ndim);
        memcpy(ti->counter, t->data, sizeof(int64_t));
        return 0;
    }
    if (!is_float_dtype(t->dtype))
        return cx_fail(err, "%s: tensor \"%s\": dtype %s, expected F32, F16, BF16 or F64", f->path,
                       t->name, st_dtype_name(t->dtype));
    int ok = t->ndim == ti->ndim;
    for (int d = 0; ok && d < ti->ndim; d++)
        ok = t->shape[d] == ti->shape[d];
    if (!ok) {
        char got[96], want[96];
        shape_str(got, sizeof got, t->ndim, t->shape);
        shape_str(want, sizeof want, ti->ndim, ti->shape);
        return cx_fail(err, "%s: tensor \"%s\": shape %s, expected %s for this architecture",
                       f->path, t->name, got, want);
    }
    return st_read_f32(f, t, ti->data, err);
}

static int fill_net(const st_file *f, file_entry *e, int n, unsigned flags, densenet *net,
                    cx_error *err) {
    const densenet_config *cfg = densenet_cfg(net);
    int nt = densenet_num_tensors(net), missing = 0;
    const char *first_missing = NULL;
    file_entry **match = cx_calloc((size_t)nt + 1, sizeof *match);
    for (int i = 0; i < nt; i++) { // missing first: it explains shape errors that would follow
        const nn_tensor_info *ti = densenet_tensor(net, i);
        match[i] = find_entry(e, n, ti->name);
        if (match[i])
            match[i]->used = 1;
        else if (ti->kind == NN_COUNTER)
            *ti->counter = 0; // absent from legacy files; PyTorch fills in 0 too
        else if (!missing++)
            first_missing = ti->name;
    }
    for (int i = 0; i < nt && !missing; i++)
        if (match[i] && load_tensor(f, match[i], densenet_tensor(net, i), err)) {
            free(match);
            return -1;
        }
    free(match);
    char more[64] = "";
    if (missing > 1) snprintf(more, sizeof more, " (and %d more)", missing - 1);
    if (missing)
        return cx_fail(err, "%s: missing tensor \"%s\"%s for %s with %d classes%s", f->path,
                       first_missing, more, cfg->arch, cfg->num_classes,
                       cfg->gaze_head ? " and a gaze head" : "");
    int unknown = 0;
    const file_entry *first_unknown = NULL;
    for (int i = 0; i < n; i++)
        if (!e[i].used && !unknown++) first_unknown = &e[i];
    if (unknown > 1) snprintf(more, sizeof more, " (and %d more unknown tensors)", unknown - 1);
    if (unknown && !(flags & MODEL_LOAD_IGNORE_UNKNOWN))
        return cx_fail(err,
                       "%s: tensor \"%s\" is not part of %s%s (unknown tensors are an "
                       "error: a mistyped or foreign file must not load half-used)",
                       f->path, first_unknown->t->name, cfg->arch, more);
    if (unknown)
        cx_verbose("%s: ignored %d tensors that are not part of %s (first \"%s\")", f->path,
                   unknown, cfg->arch, first_unknown->t->name);
    return 0;
}

int model_load_ex(const char *path, unsigned flags, densenet **out, model_meta *meta,
                  cx_error *err) {
    *out = NULL;
    st_file f;
    if (st_open(&f, path, err)) return -1;
    file_entry *e = cx_calloc((size_t)f.n + 1, sizeof *e);
    densenet *net = NULL;
    int rc = -1;
    for (int i = 0; i < f.n; i++) {
        e[i].t = &f.t[i];
        if (normalise_name(f.t[i].name, e[i].name, sizeof e[i].name)) {
            cx_fail(err, "%s: tensor \"%.100s...\": name too long for a DenseNet tensor", path,
                    f.t[i].name);
            goto done;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(e[j].name, e[i].name)) {
                cx_fail(err, "%s: tensors \"%s\" and \"%s\" both name \"%s\"", path, f.t[j].name,
                        f.t[i].name, e[i].name);
                goto done;
            }
    }
    densenet_config cfg;
    if (infer_config(&f, e, f.n, &cfg, err)) goto done;
    if (meta && parse_meta(&f, cfg.num_classes, meta, err)) goto done;
    net = densenet_create(&cfg);
    if (fill_net(&f, e, f.n, flags, net, err)) goto done;
    *out = net;
    net = NULL;
    rc = 0;
done:
    densenet_free(net);
    free(e);
    st_close(&f);
    return rc;
}

int model_load(const char *path, densenet **out, cx_error *err) {
    return model_load_ex(path, 0, out, NULL, err);
}

// ---- save ---------------------------------------------------------------------------------------
int model_save(const densenet *net, const char *path, const model_meta *meta, cx_error *err) {
    model_meta dflt;
    if (!meta) {
        model_meta_init(&dflt, 0);
        meta = &dflt;
    }
    const densenet_config *cfg = densenet_cfg(net);
    if (meta->n_labels && meta->n_labels != cfg->num_classes)
        return cx_fail(err, "%s: %d label names for a model with %d classes", path, meta->n_labels,
                       cfg->num_classes);
    st_writer *w = st_writer_new();
    for (int i = 0; i < densenet_num_tensors(net); i++) {
        const nn_tensor_info *t = densenet_tensor(net, i);
        if (t->kind == NN_COUNTER)
            st_writer_add(w, t->name, ST_I64, 0, t->shape, t->counter);
        else
            st_writer_add(w, t->name, ST_F32, t->ndim, t->shape, t->data);
    }
    char buf[MODEL_MAX_LABELS * 64 + 16];
    st_writer_meta(w, "format", MODEL_FORMAT);
    st_writer_meta(w, "cxrgaze_version", CX_VERSION);
    st_writer_meta(w, "arch", cfg->arch);
    snprintf(buf, sizeof buf, "%d", cfg->num_classes);
    st_writer_meta(w, "num_classes", buf);
    st_writer_meta(w, "gaze_head", cfg->gaze_head ? "yes" : "no");
    if (meta->n_labels) {
        size_t len = 0;
        for (int i = 0; i < meta->n_labels; i++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? "," : "",
                                    meta->labels[i]);
        st_writer_meta(w, "labels", buf);
    }
    if (meta->input_size > 0) {
        snprintf(buf, sizeof buf, "%d", meta->input_size);
        st_writer_meta(w, "input_size", buf);
    }
    snprintf(buf, sizeof buf, "%.9g,%.9g,%.9g", meta->mean[0], meta->mean[1], meta->mean[2]);
    st_writer_meta(w, "mean", buf);
    snprintf(buf, sizeof buf, "%.9g,%.9g,%.9g", meta->std[0], meta->std[1], meta->std[2]);
    st_writer_meta(w, "std", buf);
    if (meta->provenance[0]) st_writer_meta(w, "provenance", meta->provenance);
    int rc = st_writer_write(w, path, err);
    st_writer_free(w);
    return rc;
}

void model_describe(const densenet *net, char *buf, size_t cap) {
    const densenet_config *cfg = densenet_cfg(net);
    size_t params = 0;
    for (int i = 0; i < densenet_num_tensors(net); i++) {
        const nn_tensor_info *t = densenet_tensor(net, i);
        if (t->kind == NN_PARAM) params += t->numel;
    }
    snprintf(buf, cap, "%s, %d classes, gaze head %s, %zu parameters", cfg->arch, cfg->num_classes,
             cfg->gaze_head ? "yes" : "no", params);
}
