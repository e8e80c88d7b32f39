// cxrgaze attribute: saliency maps for a dataset split (targets per image) or for an input tensor.
// Thin layer over attr/: parse flags, load model and images, run each method, write
// DIR/<method>.safetensors, DIR/maps.csv and optional PNG overlays.
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr.h"
#include "cli/attr_cli.h"
#include "cli/cli.h"
#include "data/data.h"
#include "io/io.h"
#include "train/train.h"

#define IMAGES_PER_CALL 4 // images whose samples are batched together in one attr_run

static void help(FILE *out) {
    fprintf(out,
            "usage: cxrgaze attribute --model M.safetensors (--data DATA [--split test]\n"
            "                         [--targets positive|all|LIST] [--limit N] |\n"
            "                         --input X.safetensors --target K) --out DIR [flags]\n\n"
            "Saliency maps of one label's logit per (image, target), model in eval mode.\n"
            "Writes DIR/<method>.safetensors with tensor <method>: maps [M,S,S] F32 (sum over\n"
            "channels; GC/LC upsampled), or with --raw Captum-shaped attributions (sl, dl, gs, nt,\n"
            "ig, oc [M,3,S,S]; gc [M,1,h,w] before ReLU; lc [M,C,h,w]); plus \"target\" I32 [M] and,\n"
            "for DL, IG and LC, \"delta\" F32 [M] = sum(attribution) - (f(x) - f(x')).\n"
            "With --data: DIR/maps.csv (map_row,dicom_id,target,label,positive,probability; target =\n"
            "label index, label = its name, positive = ground truth, probability = sigmoid(logit)).\n\n"
            "flags:\n"
            "  --model FILE         model weights (required)\n"
            "  --data DATA          dataset pack (cxrgaze prepare)\n"
            "  --split NAME         train | validate | test (default test)\n"
            "  --targets T          positive (labels positive for the image, label_mask respected;\n"
            "                       images without any are skipped) | all | a list of label indices\n"
            "                       or names, e.g. 1,Edema (default positive)\n"
            "  --limit N            first N images of the split (default all)\n"
            "  --gaze-only          only images with radiologist gaze (the ones compare analyses)\n"
            "  --input FILE         tensor \"input\" [N,3,H,W], normalised (instead of --data)\n"
            "  --target K           label index explained for every --input sample\n"
            "  --methods LIST       from sl,gc,dl,lc,gs,nt,ig,oc (default " ATTR_CLI_STUDY_METHODS ")\n"
            "  --out DIR            output directory (created)\n"
            "  --raw                write Captum-shaped raw attributions instead of S x S maps\n"
            "  --overlays K         PNG overlays (viridis over the radiograph, colour bar) of the\n"
            "                       first K images: DIR/overlays/<image>_<label>_<method>.png (default 0)\n"
            "  --ignore-unknown     load a model file that also holds tensors DenseNet does not\n"
            "                       have (default: such a file is refused)\n"
            "  --threads N          worker threads, 1-1024 (default: all cores)\n"
            "  --quiet              no progress bar\n"
            "  --help               this text\n\n");
    attr_cli_help(out);
}

typedef struct attr_args {
    const char *model, *data, *input, *out, *targets;
    int split, target, limit, raw, overlays, ignore_unknown, progress, gaze_only;
    attr_method methods[ATTR_NMETHODS];
    int n_methods;
    attr_options opt;
} attr_args;

// The work: images (normalised x [n_img,3,S,S]) and per image its targets.
typedef struct attr_work {
    int64_t n_img;
    int s;
    float *x;             // [n_img,3,S,S]
    uint8_t *gray;        // [n_img,S,S] for overlays
    int *n_targets;       // [n_img]
    int *targets;         // [n_img,K]
    int64_t *pack_row;    // [n_img] (--data) or input index
    int64_t n_maps;
    float *prob;          // [n_img,K]
} attr_work;

static void work_free(attr_work *w) {
    free(w->x);
    free(w->gray);
    free(w->n_targets);
    free(w->targets);
    free(w->pack_row);
    free(w->prob);
}

static int label_lookup(const char *tok, int k) {
    char *end;
    long v = strtol(tok, &end, 10);
    if (*tok && !*end) return v >= 0 && v < k ? (int)v : -1;
    for (int c = 0; c < CX_N_LABELS && c < k; c++)
        if (!strcmp(tok, CX_LABELS[c])) return c;
    return -1;
}

// Targets of one pack row per --targets.
static int row_targets(const attr_args *a, const pack *pk, int64_t r, int k, int *out, cx_error *err) {
    int n = 0;
    if (!strcmp(a->targets, "positive")) {
        for (int c = 0; c < k && c < CX_N_LABELS; c++)
            if (pk->label_mask[r * CX_N_LABELS + c] && pk->labels[r * CX_N_LABELS + c] > 0.5f)
                out[n++] = c;
    } else if (!strcmp(a->targets, "all")) {
        for (int c = 0; c < k; c++) out[n++] = c;
    } else {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", a->targets);
        for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
            int c = label_lookup(tok, k);
            if (c < 0)
                return cx_fail(err, "--targets: '%s' is not a label index 0..%d or a label name", tok,
                               k - 1);
            int dup = 0;
            for (int i = 0; i < n; i++) dup |= out[i] == c;
            if (!dup) out[n++] = c;
        }
    }
    return n;
}

static int load_pack_work(const attr_args *a, const pack *pk, int k, const model_meta *meta,
                          attr_work *w, cx_error *err) {
    int64_t *rows;
    int64_t n = pack_split_rows(pk, a->split, &rows);
    if (a->gaze_only) { // keep the images with radiologist gaze (what `compare` analyses)
        int64_t kept = 0;
        for (int64_t i = 0; i < n; i++)
            if (pk->gaze_row[rows[i]] >= 0) rows[kept++] = rows[i];
        n = kept;
    }
    if (a->limit > 0 && n > a->limit) n = a->limit;
    w->s = pk->size;
    size_t plane = (size_t)w->s * w->s;
    w->n_targets = cx_calloc((size_t)(n ? n : 1), sizeof *w->n_targets);
    w->targets = cx_calloc((size_t)(n ? n : 1) * k, sizeof *w->targets);
    w->pack_row = cx_calloc((size_t)(n ? n : 1), sizeof *w->pack_row);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        int nt = row_targets(a, pk, rows[i], k, w->targets + (size_t)m * k, err);
        if (nt < 0) {
            free(rows);
            return -1;
        }
        if (nt == 0) continue; // no positive label: nothing to explain
        w->n_targets[m] = nt;
        w->pack_row[m] = rows[i];
        w->n_maps += nt;
        m++;
    }
    free(rows);
    w->n_img = m;
    if (m == 0) return cx_fail(err, "%s: no images%s with targets in split %s (--targets %s)", pk->dir,
                               a->gaze_only ? " with gaze" : "", CX_SPLITS[a->split], a->targets);
    w->x = cx_malloc(sizeof *w->x * 3 * plane * (size_t)m);
    w->gray = cx_malloc(plane * (size_t)m);
    for (int64_t i = 0; i < m; i++) {
        memcpy(w->gray + plane * i, pk->images + plane * (size_t)w->pack_row[i], plane);
        model_input_u8(meta, w->gray + plane * i, plane, w->x + 3 * plane * i);
    }
    return 0;
}

static int load_input_work(const attr_args *a, int k, const model_meta *meta, attr_work *w,
                           cx_error *err) {
    st_file f;
    if (st_open(&f, a->input, err)) return -1;
    const st_tensor *t = st_find(&f, "input");
    int rc = -1;
    if (!t) {
        cx_fail(err, "%s: missing tensor \"input\" ([N,3,S,S] float)", a->input);
        goto done;
    }
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16 && t->dtype != ST_F64) {
        cx_fail(err, "%s: tensor \"input\": dtype %s, expected a float type", a->input,
                st_dtype_name(t->dtype));
        goto done;
    }
    if (t->ndim != 4 || t->shape[1] != 3) {
        cx_fail(err, "%s: tensor \"input\": %d dimensions, expected [N,3,S,S]", a->input, t->ndim);
        goto done;
    }
    if (t->shape[2] != t->shape[3] || t->shape[2] < 32 || t->shape[0] < 1) {
        cx_fail(err, "%s: tensor \"input\": [%lld,3,%lld,%lld], expected N >= 1 square images of at "
                     "least 32 px", a->input, (long long)t->shape[0], (long long)t->shape[2],
                (long long)t->shape[3]);
        goto done;
    }
    if (a->target < 0 || a->target >= k) {
        cx_fail(err, "--target %d out of range: the model has %d outputs", a->target, k);
        goto done;
    }
    w->n_img = t->shape[0];
    w->s = (int)t->shape[2];
    size_t plane = (size_t)w->s * w->s;
    w->x = cx_malloc(sizeof *w->x * t->numel);
    if (st_read_f32(&f, t, w->x, err)) goto done;
    w->gray = cx_malloc(plane * (size_t)w->n_img);
    w->n_targets = cx_malloc(sizeof *w->n_targets * w->n_img);
    w->targets = cx_malloc(sizeof *w->targets * w->n_img * k);
    w->pack_row = cx_malloc(sizeof *w->pack_row * w->n_img);
    for (int64_t i = 0; i < w->n_img; i++) {
        w->n_targets[i] = 1;
        w->targets[i * k] = a->target;
        w->pack_row[i] = i;
        for (size_t e = 0; e < plane; e++) { // channel 0 back to gray, for overlays
            float v = (w->x[3 * plane * i + e] * meta->std[0] + meta->mean[0]) * 255.0f;
            w->gray[plane * i + e] = (uint8_t)fminf(fmaxf(lrintf(v), 0), 255);
        }
    }
    w->n_maps = w->n_img;
    rc = 0;
done:
    st_close(&f);
    return rc;
}

// Probabilities of every image (one batched forward pass), for maps.csv.
static int compute_probabilities(densenet *net, const attr_args *a, attr_work *w, int k,
                                 cx_error *err) {
    int bmax = 16;
    densenet_plan *p = NULL;
    int pb = 0;
    size_t per = (size_t)3 * w->s * w->s;
    w->prob = cx_malloc(sizeof *w->prob * w->n_img * k);
    for (int64_t i0 = 0; i0 < w->n_img; i0 += bmax) {
        int nb = (int)(w->n_img - i0 < bmax ? w->n_img - i0 : bmax);
        if (nb != pb) {
            densenet_plan_free(p);
            p = densenet_plan_create(net, nb, w->s, w->s, a->opt.precision, NN_EVAL, err);
            if (!p) return -1;
            pb = nb;
        }
        if (densenet_forward(p, w->x + per * i0, w->prob + (size_t)i0 * k, NULL, err)) {
            densenet_plan_free(p);
            return -1;
        }
    }
    densenet_plan_free(p);
    for (int64_t i = 0; i < w->n_img * k; i++) w->prob[i] = 1.0f / (1.0f + expf(-w->prob[i]));
    return 0;
}

static int write_maps_csv(const attr_args *a, const pack *pk, const attr_work *w, int k,
                          cx_error *err) {
    char path[4200];
    cx_path_join(path, sizeof path, a->out, "maps.csv");
    csv_writer *cw = csv_writer_open(path, err);
    if (!cw) return -1;
    const char *hdr[] = {"map_row", "dicom_id", "target", "label", "positive", "probability"};
    csv_writer_row(cw, 6, hdr);
    int64_t row = 0;
    for (int64_t i = 0; i < w->n_img; i++)
        for (int t = 0; t < w->n_targets[i]; t++, row++) {
            int c = w->targets[i * k + t];
            int64_t r = w->pack_row[i];
            csv_writer_fieldf(cw, "%lld", (long long)row);
            csv_writer_field(cw, pk->dicom_id[r]);
            csv_writer_fieldf(cw, "%d", c);
            csv_writer_field(cw, c < CX_N_LABELS ? CX_LABELS[c] : "");
            csv_writer_fieldf(cw, "%d", pk->labels[r * CX_N_LABELS + c] > 0.5f);
            csv_writer_fieldf(cw, "%.6f", w->prob[i * k + c]);
            csv_writer_end_row(cw);
        }
    return csv_writer_commit(cw, err);
}

static void safe_name(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) {
        char ch = src[i];
        dst[i] = (ch == '/' || ch == ' ' || ch == '\\') ? '_' : ch;
    }
    dst[i] = 0;
}

static int write_overlay(const attr_args *a, const pack *pk, const attr_work *w, int64_t img,
                         int target, attr_method m, const float *map, cx_error *err) {
    char dir[4200], name[512], path[4800], id[256], label[96];
    cx_path_join(dir, sizeof dir, a->out, "overlays");
    if (cx_mkdir_p(dir, err)) return -1;
    if (pk) safe_name(id, sizeof id, pk->dicom_id[w->pack_row[img]]);
    else snprintf(id, sizeof id, "input%lld", (long long)img);
    safe_name(label, sizeof label, target < CX_N_LABELS ? CX_LABELS[target] : "target");
    snprintf(name, sizeof name, "%s_%s_%s.png", id, label, attr_method_name(m));
    cx_path_join(path, sizeof path, dir, name);
    int ow = attr_overlay_width(w->s);
    uint8_t *rgb = cx_malloc((size_t)ow * w->s * 3);
    attr_overlay_rgb(w->gray + (size_t)w->s * w->s * img, map, w->s, w->s, 0.5, rgb);
    int rc = img_write_png(path, rgb, ow, w->s, 3, err);
    free(rgb);
    return rc;
}

// One method over all images: fills its output tensor, writes DIR/<method>.safetensors.
static int run_method(const attr_args *a, attr_ctx *ctx, attr_method m, const pack *pk,
                      const attr_work *w, int k, cx_progress *prog, int64_t *done, cx_error *err) {
    size_t plane = (size_t)w->s * w->s;
    float *maps = NULL, *raw = NULL, *delta = cx_malloc(sizeof *delta * w->n_maps);
    int32_t *tgt = cx_malloc(sizeof *tgt * w->n_maps);
    int64_t raw_shape[4] = {0}, row = 0;
    size_t raw_per = 0;
    if (!a->raw) maps = cx_malloc(sizeof *maps * plane * w->n_maps);
    int rc = 0;
    attr_request rq[IMAGES_PER_CALL];
    attr_map *out = cx_malloc(sizeof *out * IMAGES_PER_CALL * k);
    for (int64_t i0 = 0; i0 < w->n_img && !rc; i0 += IMAGES_PER_CALL) {
        int nb = (int)(w->n_img - i0 < IMAGES_PER_CALL ? w->n_img - i0 : IMAGES_PER_CALL), n_out = 0;
        for (int j = 0; j < nb; j++) {
            rq[j].x = w->x + 3 * plane * (i0 + j);
            rq[j].n_targets = w->n_targets[i0 + j];
            rq[j].targets = w->targets + (i0 + j) * k;
            rq[j].stream = (uint64_t)w->pack_row[i0 + j];
            n_out += rq[j].n_targets;
        }
        if (attr_run(ctx, m, rq, nb, out, err)) {
            rc = -1;
            break;
        }
        for (int o = 0; o < n_out; o++, row++) {
            if (a->raw) {
                if (!raw) {
                    memcpy(raw_shape, out[o].raw_shape, sizeof raw_shape);
                    raw_per = (size_t)(raw_shape[1] * raw_shape[2] * raw_shape[3]);
                    raw_shape[0] = w->n_maps;
                    raw = cx_malloc(sizeof *raw * raw_per * w->n_maps);
                }
                memcpy(raw + raw_per * row, out[o].raw, sizeof *raw * raw_per);
            } else {
                memcpy(maps + plane * row, out[o].map, sizeof *maps * plane);
            }
            tgt[row] = out[o].target;
            delta[row] = (float)out[o].delta;
            int64_t img = i0 + out[o].request;
            if (img < a->overlays && !rc &&
                write_overlay(a, pk, w, img, out[o].target, m, out[o].map, err))
                rc = -1;
        }
        for (int o = 0; o < n_out; o++) attr_map_free(&out[o]);
        *done += n_out;
        if (prog) {
            char extra[64];
            snprintf(extra, sizeof extra, "%s", attr_method_name(m));
            cx_progress_update(prog, *done, extra);
        }
    }
    if (!rc && (m == ATTR_DL || m == ATTR_IG || m == ATTR_LC)) {
        double sum = 0, worst = 0;
        for (int64_t i = 0; i < w->n_maps; i++) {
            sum += fabs(delta[i]);
            worst = fmax(worst, fabs(delta[i]));
        }
        cx_info("attribute: %s completeness |sum(attr) - (f(x) - f(x'))|: mean %.4g, max %.4g",
                attr_method_name(m), sum / w->n_maps, worst);
    }
    if (!rc) {
        char file[64], path[4200];
        const char *name = attr_method_name(m);
        snprintf(file, sizeof file, "%s.safetensors", name);
        cx_path_join(path, sizeof path, a->out, file);
        st_writer *sw = st_writer_new();
        int64_t mshape[3] = {w->n_maps, w->s, w->s}, n1[1] = {w->n_maps};
        if (a->raw) st_writer_add(sw, name, ST_F32, 4, raw_shape, raw);
        else st_writer_add(sw, name, ST_F32, 3, mshape, maps);
        st_writer_add(sw, "target", ST_I32, 1, n1, tgt);
        if (m == ATTR_DL || m == ATTR_IG || m == ATTR_LC) st_writer_add(sw, "delta", ST_F32, 1, n1, delta);
        st_writer_meta(sw, "method", name);
        st_writer_meta(sw, "kind", a->raw ? "raw" : "maps");
        st_writer_meta(sw, "model", a->model);
        st_writer_meta(sw, "precision", a->opt.precision == NN_BF16 ? "bf16" : "fp32");
        char buf[256];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)a->opt.seed);
        st_writer_meta(sw, "seed", buf);
        snprintf(buf, sizeof buf,
                 "baseline=%s blur_sigma=%g upsample=%s gc_relu=%d gc_layer=%s lc_layer=%s "
                 "lc_steps=%d captum_compat=%d gs_samples=%d gs_stdev=%g nt_samples=%d nt_stdev=%g "
                 "ig_steps=%d oc=%d/%d",
                 attr_baseline_name(a->opt.baseline), a->opt.blur_sigma_frac,
                 a->opt.upsample == ATTR_UPSAMPLE_NEAREST ? "nearest" : "bilinear", a->opt.gc_relu,
                 a->opt.gc_layer, a->opt.lc_layer, a->opt.lc_steps, a->opt.dl_captum_compat,
                 a->opt.gs_samples, a->opt.gs_stdev, a->opt.nt_samples, a->opt.nt_stdev,
                 a->opt.ig_steps, a->opt.oc_patch, a->opt.oc_stride);
        st_writer_meta(sw, "options", buf);
        rc = st_writer_write(sw, path, err);
        st_writer_free(sw);
    }
    free(out);
    free(maps);
    free(raw);
    free(delta);
    free(tgt);
    return rc;
}

static int run(attr_args *a, cx_error *err) {
    densenet *net = NULL;
    model_meta meta;
    pack pk;
    int have_pack = 0, rc = -1;
    attr_work w = {0};
    attr_ctx *ctx = NULL;
    if (model_load_ex(a->model, a->ignore_unknown ? MODEL_LOAD_IGNORE_UNKNOWN : 0, &net, &meta, err))
        return -1;
    model_input_black(&meta, a->opt.black);
    int k = densenet_cfg(net)->num_classes;
    if (a->data) {
        if (pack_open(&pk, a->data, err)) goto done;
        have_pack = 1;
        if (load_pack_work(a, &pk, k, &meta, &w, err)) goto done;
    } else if (load_input_work(a, k, &meta, &w, err)) {
        goto done;
    }
    if (cx_mkdir_p(a->out, err)) goto done;
    if (compute_probabilities(net, a, &w, k, err)) goto done;
    ctx = attr_ctx_create(net, w.s, w.s, &a->opt, err);
    if (!ctx) goto done;
    cx_progress prog;
    int64_t done_maps = 0;
    if (a->progress) cx_progress_start(&prog, "attribute", "maps", w.n_maps * a->n_methods);
    for (int i = 0; i < a->n_methods; i++)
        if (run_method(a, ctx, a->methods[i], have_pack ? &pk : NULL, &w, k,
                       a->progress ? &prog : NULL, &done_maps, err))
            goto done;
    if (a->progress) cx_progress_finish(&prog);
    if (have_pack && write_maps_csv(a, &pk, &w, k, err)) goto done;
    cx_info("attribute: %lld maps x %d methods of %lld images -> %s", (long long)w.n_maps,
            a->n_methods, (long long)w.n_img, a->out);
    rc = 0;
done:
    attr_ctx_free(ctx);
    work_free(&w);
    if (have_pack) pack_close(&pk);
    densenet_free(net);
    return rc;
}

int cmd_attribute(int argc, char **argv) {
    static const char cmd[] = "attribute";
    static const cli_command cli = {cmd, help};
    enum { O_MODEL = 256, O_DATA, O_SPLIT, O_TARGETS, O_LIMIT, O_INPUT, O_TARGET, O_METHODS,
           O_OUT, O_RAW, O_OVERLAYS, O_IGNORE, O_QUIET, O_GAZE_ONLY };
    static const struct option longopts[] = {
        {"model", required_argument, 0, O_MODEL}, {"data", required_argument, 0, O_DATA},
        {"split", required_argument, 0, O_SPLIT}, {"targets", required_argument, 0, O_TARGETS},
        {"limit", required_argument, 0, O_LIMIT}, {"input", required_argument, 0, O_INPUT},
        {"gaze-only", no_argument, 0, O_GAZE_ONLY},
        {"target", required_argument, 0, O_TARGET}, {"methods", required_argument, 0, O_METHODS},
        {"out", required_argument, 0, O_OUT}, {"raw", no_argument, 0, O_RAW},
        {"overlays", required_argument, 0, O_OVERLAYS},
        {"ignore-unknown", no_argument, 0, O_IGNORE},
        {"threads", required_argument, 0, CLI_OPT_THREADS}, {"quiet", no_argument, 0, O_QUIET},
        {"help", no_argument, 0, CLI_OPT_HELP}, ATTR_CLI_LONGOPTS, {0, 0, 0, 0}};
    attr_args a = {.split = SPLIT_TEST, .target = -1, .targets = "positive", .progress = 1};
    attr_options_default(&a.opt);
    const char *methods = ATTR_CLI_STUDY_METHODS;
    long v;
    int opt, r;
    cli_getopt_reset();
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case O_MODEL: a.model = optarg; break;
        case O_DATA: a.data = optarg; break;
        case O_SPLIT:
            if (cli_parse_split(cmd, optarg, &a.split)) return CLI_USAGE;
            break;
        case O_TARGETS: a.targets = optarg; break;
        case O_LIMIT:
            if (cli_parse_int(cmd, "--limit", optarg, 1, INT32_MAX, &v)) return CLI_USAGE;
            a.limit = (int)v;
            break;
        case O_INPUT: a.input = optarg; break;
        case O_GAZE_ONLY: a.gaze_only = 1; break;
        case O_TARGET:
            if (cli_parse_int(cmd, "--target", optarg, 0, 1023, &v)) return CLI_USAGE;
            a.target = (int)v;
            break;
        case O_METHODS: methods = optarg; break;
        case O_OUT: a.out = optarg; break;
        case O_RAW: a.raw = 1; break;
        case O_OVERLAYS:
            if (cli_parse_int(cmd, "--overlays", optarg, 0, INT32_MAX, &v)) return CLI_USAGE;
            a.overlays = (int)v;
            break;
        case O_IGNORE: a.ignore_unknown = 1; break;
        case O_QUIET: a.progress = 0; break;
        default:
            r = cli_method_or_common_option(&cli, opt, argv, &a.opt);
            if (r != CLI_CONTINUE) return r;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a.model) return cli_usage_error(cmd, "--model is required");
    if (!a.out) return cli_usage_error(cmd, "--out is required");
    if (!a.data == !a.input) return cli_usage_error(cmd, "give exactly one of --data and --input");
    if (a.input && a.target < 0) return cli_usage_error(cmd, "--input needs --target K");
    if (a.data && a.target >= 0) return cli_usage_error(cmd, "--target goes with --input (use --targets)");
    cx_error err = {{0}};
    if (attr_methods_parse(methods, a.methods, &a.n_methods, &err))
        return cli_usage_error(cmd, "--methods: %s", err.msg);
    if (run(&a, &err)) return cli_error(cmd, &err);
    return CLI_OK;
}
