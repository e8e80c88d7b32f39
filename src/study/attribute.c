// study/attribute.c: the attribute stage (study.h, "attribute a split"): chooses the images and
// their targets (a pack split or an input tensor), runs every method over them in chunks, writes
// DIR/<method>.safetensors, DIR/maps.csv and overlays through attr_files.c.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/study.h"

#define IMAGES_PER_CALL 4 // images whose samples are batched together in one attr_run

void study_attr_settings_default(study_attr_settings *s) {
    memset(s, 0, sizeof *s);
    s->split = SPLIT_TEST;
    s->targets = "positive";
    s->target = -1;
    const attr_method study_six[] = {ATTR_SL, ATTR_GC, ATTR_DL, ATTR_LC, ATTR_GS, ATTR_NT};
    s->n_methods = (int)(sizeof study_six / sizeof *study_six);
    memcpy(s->methods, study_six, sizeof study_six);
    attr_options_default(&s->opt);
}

// The work: images (normalised x [n_img,3,S,S]) and per image its targets.
typedef struct attr_work {
    int64_t n_img, n_maps;
    int s, k;          // image size; the model's outputs (stride of targets and prob)
    float *x;          // [n_img,3,S,S]
    uint8_t *gray;     // [n_img,S,S] for overlays
    int *n_targets;    // [n_img]
    int *targets;      // [n_img,k]
    int64_t *pack_row; // [n_img] pack row (pack runs) or input sample index
    float *prob;       // [n_img,k] sigmoid(logits)
} attr_work;

static void work_free(attr_work *w) {
    free(w->x);
    free(w->gray);
    free(w->n_targets);
    free(w->targets);
    free(w->pack_row);
    free(w->prob);
}

// --targets: positive | all | a list of label indices or names (parsed once, n_labels known).
typedef enum { TARGETS_POSITIVE, TARGETS_ALL, TARGETS_LIST } targets_kind;
typedef struct targets_policy {
    targets_kind kind;
    int n_labels; // labels a target may be: min(model outputs, CX_N_LABELS)
    int n;
    int list[CX_N_LABELS];
} targets_policy;

static int label_lookup(const char *tok, int n_labels) {
    char *end;
    long v = strtol(tok, &end, 10);
    if (*tok && !*end) return v >= 0 && v < n_labels ? (int)v : -1;
    int c = label_from_name(tok);
    return c < n_labels ? c : -1;
}

static int targets_parse(const char *spec, int n_labels, targets_policy *t, cx_error *err) {
    memset(t, 0, sizeof *t);
    t->n_labels = n_labels;
    if (!strcmp(spec, "positive")) return 0;
    t->kind = strcmp(spec, "all") ? TARGETS_LIST : TARGETS_ALL;
    for (const char *p = spec; t->kind == TARGETS_LIST && *p;) {
        size_t len = strcspn(p, ",");
        char tok[128];
        snprintf(tok, sizeof tok, "%.*s", (int)(len < sizeof tok ? len : sizeof tok - 1), p);
        p += len + (p[len] == ',');
        if (len == 0) continue; // "1,,2": empty items are skipped
        int c = len < sizeof tok ? label_lookup(tok, n_labels) : -1;
        if (c < 0)
            return cx_fail(err, "--targets: '%s' is not a label index 0..%d or a label name", tok,
                           n_labels - 1);
        int dup = 0;
        for (int i = 0; i < t->n; i++)
            dup |= t->list[i] == c;
        if (!dup) t->list[t->n++] = c;
    }
    return 0;
}

// The targets of pack row r into out; returns their count.
static int row_targets(const targets_policy *t, const pack *pk, int64_t r, int *out) {
    const float *label = pk->labels + r * CX_N_LABELS;
    const uint8_t *mask = pk->label_mask + r * CX_N_LABELS;
    if (t->kind == TARGETS_LIST) {
        memcpy(out, t->list, sizeof *out * (size_t)t->n);
        return t->n;
    }
    int n = 0;
    for (int c = 0; c < t->n_labels; c++)
        if (t->kind == TARGETS_ALL || (mask[c] && label[c] > 0.5f)) out[n++] = c;
    return n;
}

// The images of the split (gaze-only, limit) that have targets, and their network inputs.
static int pack_work(const study_attr_settings *s, const pack *pk, const model_meta *meta,
                     attr_work *w, cx_error *err) {
    targets_policy tp;
    if (targets_parse(s->targets, w->k < CX_N_LABELS ? w->k : CX_N_LABELS, &tp, err)) return -1;
    int64_t *rows;
    int64_t n = pack_split_rows(pk, s->split, &rows);
    if (s->gaze_only) { // keep the images with radiologist gaze (what `compare` analyses)
        int64_t kept = 0;
        for (int64_t i = 0; i < n; i++)
            if (pk->gaze_row[rows[i]] >= 0) rows[kept++] = rows[i];
        n = kept;
    }
    if (s->limit > 0 && n > s->limit) n = s->limit;
    size_t cap = (size_t)(n ? n : 1), plane = (size_t)pk->size * pk->size;
    w->s = pk->size;
    w->n_targets = cx_calloc(cap, sizeof *w->n_targets);
    w->targets = cx_calloc(cap * w->k, sizeof *w->targets);
    w->pack_row = cx_calloc(cap, sizeof *w->pack_row);
    for (int64_t i = 0; i < n; i++) {
        int nt = row_targets(&tp, pk, rows[i], w->targets + (size_t)w->n_img * w->k);
        if (nt == 0) continue; // no positive label: nothing to explain
        w->n_targets[w->n_img] = nt;
        w->pack_row[w->n_img++] = rows[i];
        w->n_maps += nt;
    }
    free(rows);
    if (w->n_img == 0)
        return cx_fail(err, "%s: no images%s with targets in split %s (--targets %s)", pk->dir,
                       s->gaze_only ? " with gaze" : "", CX_SPLITS[s->split], s->targets);
    w->x = cx_malloc(sizeof *w->x * 3 * plane * (size_t)w->n_img);
    w->gray = cx_malloc(plane * (size_t)w->n_img);
    for (int64_t i = 0; i < w->n_img; i++) {
        memcpy(w->gray + plane * i, pk->images + plane * (size_t)w->pack_row[i], plane);
        model_input_u8(meta, w->gray + plane * i, plane, w->x + 3 * plane * i);
    }
    return 0;
}

// Tensor "input" [N,3,S,S] of s->input: float, N >= 1, square, S >= 32.
static int input_tensor(const study_attr_settings *s, const st_file *f, const st_tensor **out,
                        cx_error *err) {
    const st_tensor *t = st_find(f, "input");
    if (!t) return cx_fail(err, "%s: missing tensor \"input\" ([N,3,S,S] float)", s->input);
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16 && t->dtype != ST_F64)
        return cx_fail(err, "%s: tensor \"input\": dtype %s, expected a float type", s->input,
                       st_dtype_name(t->dtype));
    if (t->ndim != 4 || t->shape[1] != 3)
        return cx_fail(err, "%s: tensor \"input\": %d dimensions, expected [N,3,S,S]", s->input,
                       t->ndim);
    if (t->shape[2] != t->shape[3] || t->shape[2] < 32 || t->shape[0] < 1)
        return cx_fail(err,
                       "%s: tensor \"input\": [%lld,3,%lld,%lld], expected N >= 1 square "
                       "images of at least 32 px",
                       s->input, (long long)t->shape[0], (long long)t->shape[2],
                       (long long)t->shape[3]);
    *out = t;
    return 0;
}

// Every sample of the input tensor with target s->target; grey levels back from channel 0.
static int input_work(const study_attr_settings *s, const model_meta *meta, attr_work *w,
                      cx_error *err) {
    st_file f;
    if (st_open(&f, s->input, err)) return -1;
    const st_tensor *t = NULL;
    int rc = -1;
    if (input_tensor(s, &f, &t, err)) goto done;
    if (s->target < 0 || s->target >= w->k) {
        cx_fail(err, "--target %d out of range: the model has %d outputs", s->target, w->k);
        goto done;
    }
    w->n_img = w->n_maps = t->shape[0];
    w->s = (int)t->shape[2];
    size_t plane = (size_t)w->s * w->s;
    w->x = cx_malloc(sizeof *w->x * t->numel);
    if (st_read_f32(&f, t, w->x, err)) goto done;
    w->gray = cx_malloc(plane * (size_t)w->n_img);
    w->n_targets = cx_malloc(sizeof *w->n_targets * w->n_img);
    w->targets = cx_malloc(sizeof *w->targets * w->n_img * w->k);
    w->pack_row = cx_malloc(sizeof *w->pack_row * w->n_img);
    for (int64_t i = 0; i < w->n_img; i++) {
        w->n_targets[i] = 1;
        w->targets[i * w->k] = s->target;
        w->pack_row[i] = i;
        for (size_t e = 0; e < plane; e++) { // channel 0 back to gray, for overlays
            float v = (w->x[3 * plane * i + e] * meta->std[0] + meta->mean[0]) * 255.0f;
            w->gray[plane * i + e] = (uint8_t)fminf(fmaxf(lrintf(v), 0), 255);
        }
    }
    rc = 0;
done:
    st_close(&f);
    return rc;
}

// Probabilities of every image, for maps.csv, on the plans the maps will use.
static int probabilities(attr_ctx *ctx, attr_work *w, cx_error *err) {
    w->prob = cx_malloc(sizeof *w->prob * w->n_img * w->k);
    if (attr_logits(ctx, w->x, w->n_img, w->prob, err)) return -1;
    for (int64_t i = 0; i < w->n_img * w->k; i++)
        w->prob[i] = 1.0f / (1.0f + expf(-w->prob[i]));
    return 0;
}

static void safe_name(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) {
        char ch = src[i];
        dst[i] = (ch == '/' || ch == ' ' || ch == '\\') ? '_' : ch;
    }
    dst[i] = 0;
}

// DIR/overlays/<image>_<label>_<method>.png of image img.
static int write_overlay(const study_attr_settings *s, const pack *pk, const attr_work *w,
                         int64_t img, int target, attr_method m, const float *map, cx_error *err) {
    char dir[4200], name[512], path[4800], id[256], label[96];
    if (strlen(s->out) + sizeof "/overlays" > sizeof dir)
        return cx_fail(err, "%s/overlays: path too long", s->out);
    cx_path_join(dir, sizeof dir, s->out, "overlays");
    if (cx_mkdir_p(dir, err)) return -1;
    if (pk)
        safe_name(id, sizeof id, pk->dicom_id[w->pack_row[img]]);
    else
        snprintf(id, sizeof id, "input%lld", (long long)img);
    safe_name(label, sizeof label, target < CX_N_LABELS ? CX_LABELS[target] : "target");
    snprintf(name, sizeof name, "%s_%s_%s.png", id, label, attr_method_name(m));
    cx_path_join(path, sizeof path, dir, name);
    int ow = attr_overlay_width(w->s);
    uint8_t *rgb = cx_malloc((size_t)ow * w->s * 3);
    attr_overlay_rgb(w->gray + (size_t)w->s * w->s * img, map, w->s, w->s, s->overlay_norm, 0.5,
                     rgb);
    int rc = img_write_png(path, rgb, ow, w->s, 3, err);
    free(rgb);
    return rc;
}

// One method's output over all maps, filled chunk by chunk.
typedef struct method_out {
    study_method_file file; // shape {M,S,S} (maps) or {M,C,h,w} (raw: known from the first map)
    size_t per;             // floats per map
    float *values;          // [shape]
    int32_t *target;        // [M]
    float *delta;           // [M]
} method_out;

static void method_out_init(method_out *mo, const study_attr_settings *s, attr_method m,
                            const attr_options *opt, const attr_work *w) {
    memset(mo, 0, sizeof *mo);
    mo->file = (study_method_file){.method = m,
                                   .raw = s->raw,
                                   .shape = {w->n_maps, w->s, w->s},
                                   .model = s->model,
                                   .opt = opt};
    mo->target = cx_malloc(sizeof *mo->target * w->n_maps);
    mo->delta = cx_malloc(sizeof *mo->delta * w->n_maps);
    if (!s->raw) {
        mo->per = (size_t)w->s * w->s;
        mo->values = cx_malloc(sizeof *mo->values * mo->per * w->n_maps);
    }
}

// Map am as row `row` of the output.
static void method_out_take(method_out *mo, int64_t row, const attr_map *am) {
    if (mo->file.raw && !mo->values) {
        int64_t n = mo->file.shape[0];
        memcpy(mo->file.shape, am->raw_shape, sizeof mo->file.shape);
        mo->file.shape[0] = n;
        mo->per = (size_t)(am->raw_shape[1] * am->raw_shape[2] * am->raw_shape[3]);
        mo->values = cx_malloc(sizeof *mo->values * mo->per * n);
    }
    memcpy(mo->values + mo->per * row, mo->file.raw ? am->raw : am->map, sizeof(float) * mo->per);
    mo->target[row] = am->target;
    mo->delta[row] = (float)am->delta;
}

static void method_out_free(method_out *mo) {
    free(mo->values);
    free(mo->target);
    free(mo->delta);
}

// Requests of images i0 .. i0+nb-1; returns the maps they ask for.
static int requests(const attr_work *w, int64_t i0, int nb, attr_request *rq) {
    int n_out = 0;
    for (int j = 0; j < nb; j++) {
        rq[j] = (attr_request){.x = w->x + (size_t)3 * w->s * w->s * (i0 + j),
                               .n_targets = w->n_targets[i0 + j],
                               .targets = w->targets + (i0 + j) * w->k,
                               .stream = (uint64_t)w->pack_row[i0 + j]};
        n_out += rq[j].n_targets;
    }
    return n_out;
}

// Method m over every image, IMAGES_PER_CALL images per attr_run, into mo (and overlays).
static int run_method(const study_attr_settings *s, attr_ctx *ctx, attr_method m, const pack *pk,
                      const attr_work *w, method_out *mo, cx_progress *prog, int64_t *done,
                      cx_error *err) {
    attr_request rq[IMAGES_PER_CALL];
    attr_map *out = cx_malloc(sizeof *out * IMAGES_PER_CALL * w->k);
    int64_t row = 0;
    int rc = 0;
    for (int64_t i0 = 0; i0 < w->n_img && !rc; i0 += IMAGES_PER_CALL) {
        int nb = (int)(w->n_img - i0 < IMAGES_PER_CALL ? w->n_img - i0 : IMAGES_PER_CALL);
        int n_out = requests(w, i0, nb, rq);
        if (attr_run(ctx, m, rq, nb, out, err)) {
            rc = -1;
            break;
        }
        for (int o = 0; o < n_out; o++, row++) {
            method_out_take(mo, row, &out[o]);
            int64_t img = i0 + out[o].request;
            if (img < s->n_overlays && !rc &&
                write_overlay(s, pk, w, img, out[o].target, m, out[o].map, err))
                rc = -1;
        }
        for (int o = 0; o < n_out; o++)
            attr_map_free(&out[o]);
        *done += n_out;
        if (prog) cx_progress_update(prog, *done, attr_method_name(m));
    }
    free(out);
    return rc;
}

// Completeness |delta| over the maps of slot i of r: for the methods attr gives a delta (DL, IG,
// LC; attr_map.delta is NAN for the others, and so are the statistics).
static void completeness(const method_out *mo, int64_t n_maps, study_attr_result *r, int i) {
    double sum = 0, worst = 0;
    for (int64_t j = 0; j < n_maps; j++) {
        sum += fabs(mo->delta[j]);
        worst = fmax(worst, fabs(mo->delta[j]));
    }
    r->delta_mean_abs[i] = sum / n_maps;
    r->delta_max_abs[i] = isnan(sum) ? NAN : worst;
}

// Every method of s, each written to DIR/<method>.safetensors as soon as it is done.
static int run_methods(const study_attr_settings *s, attr_ctx *ctx, const attr_options *opt,
                       const pack *pk, const attr_work *w, study_attr_result *r, cx_error *err) {
    cx_progress prog;
    int64_t done = 0;
    int rc = 0;
    if (s->progress) cx_progress_start(&prog, "attribute", "maps", w->n_maps * s->n_methods);
    for (int i = 0; i < s->n_methods && !rc; i++) {
        attr_method m = s->methods[i];
        method_out mo;
        method_out_init(&mo, s, m, opt, w);
        rc = run_method(s, ctx, m, pk, w, &mo, s->progress ? &prog : NULL, &done, err);
        if (!rc) {
            completeness(&mo, w->n_maps, r, i);
            mo.file.values = mo.values;
            mo.file.target = mo.target;
            mo.file.delta = isnan(mo.delta[0]) ? NULL : mo.delta;
            r->methods[i] = m;
            r->n_methods = i + 1;
            if (study_method_path(s->out, m, r->method_path[i], sizeof r->method_path[i], err) ||
                study_method_file_write(s->out, &mo.file, err))
                rc = -1;
        }
        method_out_free(&mo);
    }
    if (s->progress && !rc) cx_progress_finish(&prog);
    return rc;
}

// The map index of the work: image-major, targets in order (input runs: no pack, positive -1).
static void build_index(const attr_work *w, const pack *pk, study_map_index *ix) {
    study_map_index_alloc(ix, w->n_maps);
    int64_t row = 0;
    for (int64_t i = 0; i < w->n_img; i++)
        for (int t = 0; t < w->n_targets[i]; t++, row++) {
            int c = w->targets[i * w->k + t];
            int64_t pr = w->pack_row[i];
            ix->pack_row[row] = pk ? pr : -1;
            ix->target[row] = c;
            ix->positive[row] = pk ? pk->labels[pr * CX_N_LABELS + c] > 0.5f : -1;
            ix->probability[row] = w->prob[i * w->k + c];
        }
}

static int settings_check(const study_attr_settings *s, cx_error *err) {
    if (!s->model || !s->out)
        return cx_fail(err, "attribute settings: a model and an output directory are needed");
    if (!s->data == !s->input)
        return cx_fail(err, "attribute settings: give exactly one of a pack and an input tensor");
    if (s->n_methods < 1 || s->n_methods > ATTR_NMETHODS)
        return cx_fail(err, "attribute settings: %d methods, expected 1..%d", s->n_methods,
                       ATTR_NMETHODS);
    if (s->data && (s->split < 0 || s->split >= CX_N_SPLITS))
        return cx_fail(err, "attribute settings: split %d is not one of the pack's splits",
                       s->split);
    return 0;
}

int study_attribute(const study_attr_settings *s, study_attr_result *r, cx_error *err) {
    memset(r, 0, sizeof *r);
    if (settings_check(s, err)) return -1;
    densenet *net = NULL;
    attr_ctx *ctx = NULL;
    model_meta meta;
    pack pk;
    int have_pack = 0, rc = -1;
    attr_work w = {0};
    attr_options opt = s->opt;
    if (model_load_ex(s->model, s->model_flags, &net, &meta, err)) return -1;
    model_input_black(&meta, opt.black);
    w.k = densenet_cfg(net)->num_classes;
    if (s->data) {
        if (pack_open(&pk, s->data, err)) goto done;
        have_pack = 1;
        if (pack_work(s, &pk, &meta, &w, err)) goto done;
    } else if (input_work(s, &meta, &w, err)) {
        goto done;
    }
    if (cx_mkdir_p(s->out, err) || !(ctx = attr_ctx_create(net, w.s, w.s, &opt, err)) ||
        probabilities(ctx, &w, err) || run_methods(s, ctx, &opt, have_pack ? &pk : NULL, &w, r, err))
        goto done;
    build_index(&w, have_pack ? &pk : NULL, &r->index);
    if (have_pack && (study_map_index_path(s->out, r->maps_csv, sizeof r->maps_csv, err) ||
                      study_map_index_write(s->out, &pk, &r->index, err)))
        goto done;
    r->n_images = w.n_img;
    r->n_maps = w.n_maps;
    r->S = w.s;
    rc = 0;
done:
    if (rc) study_attr_result_free(r);
    attr_ctx_free(ctx);
    work_free(&w);
    if (have_pack) pack_close(&pk);
    densenet_free(net);
    return rc;
}

void study_attr_log(const study_attr_result *r, const char *out_dir) {
    for (int i = 0; i < r->n_methods; i++)
        if (!isnan(r->delta_mean_abs[i]))
            cx_info("attribute: %s completeness |sum(attr) - (f(x) - f(x'))|: mean %.4g, max %.4g",
                    attr_method_name(r->methods[i]), r->delta_mean_abs[i], r->delta_max_abs[i]);
    cx_info("attribute: %lld maps x %d methods of %lld images -> %s", (long long)r->n_maps,
            r->n_methods, (long long)r->n_images, out_dir);
}

void study_attr_result_free(study_attr_result *r) {
    study_map_index_free(&r->index);
    memset(r, 0, sizeof *r);
}
