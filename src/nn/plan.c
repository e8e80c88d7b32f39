// Plans: every primitive and buffer for one (batch, H, W, precision, mode), created once, and
// the forward pass. torchvision's DenseNet.forward: conv0 norm0 relu0 pool0, dense blocks with
// transitions, norm5, ReLU, global average pool, classifier (+ the DenseNet-Aug gaze head).
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

static void bn_state_alloc(plan_bn *s, int c) {
    s->mean = cx_calloc((size_t)c, sizeof(float));
    s->rstd = cx_calloc((size_t)c, sizeof(float));
}
static void bn_state_free(plan_bn *s) {
    free(s->mean);
    free(s->rstd);
}

void densenet_plan_free(densenet_plan *p) {
    if (!p) return;
    const densenet *net = p->net;
    nn_conv_free(p->conv0);
    bn_state_free(&p->s0);
    bn_state_free(&p->s5);
    for (int b = 0; b < NN_MAX_BLOCKS; b++) {
        if (b < NN_MAX_BLOCKS - 1) {
            nn_conv_free(p->tconv[b]);
            bn_state_free(&p->st[b]);
        }
        if (p->layers[b])
            for (int l = 0; l < net->block_layers[b]; l++) {
                plan_layer *L = &p->layers[b][l];
                nn_conv_free(L->conv1);
                nn_conv_free(L->conv2);
                bn_state_free(&L->s1);
                bn_state_free(&L->s2);
            }
        free(p->layers[b]);
        free(p->bmean[b]);
    }
    free(p->convs);
    free(p->conv_w);
    free(p->conv_dw);
    cx_huge_free(p->own_area);
    nn_wtable_free(p->own_weights); // after the convs
    free(p->tap_act);
    free(p->tap_grad);
    free(p);
}

nn_arena *nn_arena_create(void) {
    nn_arena *a = cx_calloc(1, sizeof *a);
    a->weights = nn_wtable_create();
    return a;
}

void nn_arena_free(nn_arena *a) {
    if (!a) return;
    nn_wtable_free(a->weights);
    cx_huge_free(a->base);
    free(a);
}

static void *alloc_elems(size_t n, size_t elem) {
    void *q = cx_aligned_alloc(max_sz(n, 1) * elem);
    memset(q, 0, max_sz(n, 1) * elem);
    return q;
}

// The spatial sizes: stem output h0 x w0, each block's bh x bw, the final fh x fw; the channel block.
static int plan_geometry(densenet_plan *p, const densenet *net, int h, int w, cx_error *err) {
    const densenet_config *cfg = &net->cfg;
    p->h0 = (h - 1) / 2 + 1;
    p->w0 = (w - 1) / 2 + 1;
    p->bh[0] = (p->h0 - 1) / 2 + 1;
    p->bw[0] = (p->w0 - 1) / 2 + 1;
    for (int b = 1; b < NN_MAX_BLOCKS; b++) {
        p->bh[b] = p->bh[b - 1] / 2;
        p->bw[b] = p->bw[b - 1] / 2;
    }
    p->fh = p->bh[NN_MAX_BLOCKS - 1];
    p->fw = p->bw[NN_MAX_BLOCKS - 1];
    if (p->fh < 1 || p->fw < 1)
        return cx_fail(err, "plan: input %dx%d is too small for DenseNet (needs at least 32x32)", h, w);
    const int wb = cfg->bn_size * cfg->growth, gr = cfg->growth;
    int chans[2 + 2 * NN_MAX_BLOCKS + 1], nc = 0;
    chans[nc++] = cfg->init_features;
    chans[nc++] = gr;
    chans[nc++] = wb;
    for (int b = 0; b < NN_MAX_BLOCKS; b++) {
        chans[nc++] = net->block_c_in[b];
        chans[nc++] = net->block_c_out[b];
    }
    p->cb = nn_pick_cb(chans, nc);
    return 0;
}

// Dense block b's layers and its transition (if any); raises z to the buffer sizes they need.
static int plan_block(densenet_plan *p, int b, nn_wtable *wt, plan_sizes *z, cx_error *err) {
    const densenet *net = p->net;
    const densenet_config *cfg = &net->cfg;
    const int N = p->N, wb = cfg->bn_size * cfg->growth, gr = cfg->growth, bwd_w = p->train;
    const size_t hw = (size_t)p->bh[b] * p->bw[b];
    const int cout = net->block_c_out[b];
    p->layers[b] = cx_calloc((size_t)net->block_layers[b] + 1, sizeof(plan_layer));
    for (int l = 0; l < net->block_layers[b]; l++) {
        plan_layer *L = &p->layers[b][l];
        int cin = net->layers[b][l].c_in;
        nn_conv_shape s1 = {N, cin, p->bh[b], p->bw[b], wb, p->bh[b], p->bw[b], 1, 1, 0};
        nn_conv_shape s2 = {N, wb, p->bh[b], p->bw[b], gr, p->bh[b], p->bw[b], 3, 1, 1};
        if (nn_conv_create(&L->conv1, &s1, p->cb, p->cb, p->bf16, 1, bwd_w, wt,
                           net->layers[b][l].conv1, &z->sp, err) ||
            nn_conv_create(&L->conv2, &s2, p->cb, p->cb, p->bf16, 1, bwd_w, wt,
                           net->layers[b][l].conv2, &z->sp, err))
            return -1;
        bn_state_alloc(&L->s1, cin);
        bn_state_alloc(&L->s2, wb);
        z->act = max_sz(z->act, (size_t)N * max_sz(cin, wb) * hw);
        z->d32 = max_sz(z->d32, (size_t)N * max_sz(cin, wb) * hw);
        z->dact = max_sz(z->dact, (size_t)N * max_sz(gr, wb) * hw);
        z->tmp = max_sz(z->tmp, (size_t)N * gr * hw);
    }
    if (p->train) {
        p->bmean[b] = alloc_elems((size_t)2 * cout, sizeof(double));
        p->bm2[b] = p->bmean[b] + cout;
    }
    if (b < NN_MAX_BLOCKS - 1) {
        nn_conv_shape st = {N, cout, p->bh[b], p->bw[b], cout / 2, p->bh[b], p->bw[b], 1, 1, 0};
        if (nn_conv_create(&p->tconv[b], &st, p->cb, p->cb, p->bf16, 1, bwd_w, wt,
                           net->trans_conv[b], &z->sp, err))
            return -1;
        bn_state_alloc(&p->st[b], cout);
        z->act = max_sz(z->act, (size_t)N * cout * hw);
        z->d32 = max_sz(z->d32, (size_t)N * cout * hw);
        z->tmp = max_sz(z->tmp, (size_t)N * (cout / 2) * hw);
        z->dact = max_sz(z->dact, (size_t)N * (cout / 2) * hw);
    }
    return 0;
}

// Next piece of n elements of esz bytes at *off in the area at base (NULL: measuring only).
static void *area_take(char *base, size_t *off, size_t n, size_t esz) {
    void *q = base ? base + *off : NULL;
    *off += (max_sz(n, 1) * esz + 63) / 64 * 64;
    return q;
}

// Places every activation and scratch buffer in the area at base (NULL: measures); returns its
// size in bytes. The same order on every call, so a plan can be placed again in a moved area.
static size_t plan_place(densenet_plan *p, char *base) {
    const densenet *net = p->net;
    const int N = p->N, C = net->c_final, wb = net->cfg.bn_size * net->cfg.growth;
    const size_t fhw = (size_t)p->fh * p->fw, hw0 = (size_t)p->h0 * p->w0;
    const size_t esz = p->bf16 ? 2 : 4, f = sizeof(float);
    size_t off = 0;
    p->x_c = area_take(base, &off, (size_t)N * 3 * p->H * p->W, esz);
    p->c0 = area_take(base, &off, (size_t)N * net->cfg.init_features * hw0, f);
    p->F = area_take(base, &off, (size_t)N * C * fhw, f);
    p->dF = area_take(base, &off, (size_t)N * C * fhw, f);
    p->g = area_take(base, &off, (size_t)N * C, f);
    p->dg = area_take(base, &off, (size_t)N * C, f);
    p->logits = area_take(base, &off, (size_t)N * p->K, f);
    p->dlogits = area_take(base, &off, (size_t)N * p->K, f);
    p->gaze = area_take(base, &off, (size_t)N * fhw, f);
    p->dgaze = area_take(base, &off, (size_t)N * fhw, f);
    p->act = area_take(base, &off, p->z.act, esz);
    p->dact = area_take(base, &off, p->z.dact, esz);
    p->tmp = area_take(base, &off, p->z.tmp, f);
    p->d32 = area_take(base, &off, p->z.d32, f);
    p->scratchpad = area_take(base, &off, p->z.sp, 1);
    for (int b = 0; b < NN_MAX_BLOCKS; b++) {
        const size_t hw = (size_t)p->bh[b] * p->bw[b];
        p->block[b] = area_take(base, &off, (size_t)N * net->block_c_out[b] * hw, f);
        p->dblock[b] = area_take(base, &off, (size_t)N * net->block_c_out[b] * hw, f);
        for (int l = 0; l < net->block_layers[b]; l++)
            p->layers[b][l].b1 = area_take(base, &off, (size_t)N * wb * hw, f);
    }
    return off;
}

// The plan's area: its own, or the arena's, grown when this plan needs more.
static void plan_area(densenet_plan *p, nn_arena *arena) {
    p->area_bytes = plan_place(p, NULL);
    p->arena = arena;
    if (!arena) {
        p->own_area = cx_huge_alloc(p->area_bytes);
        plan_place(p, p->own_area);
        return;
    }
    if (arena->bytes < p->area_bytes) {
        cx_huge_free(arena->base);
        arena->base = cx_huge_alloc(p->area_bytes);
        arena->bytes = p->area_bytes;
    }
}

// Every convolution with its OIHW weights and gradient, for the batched weight conversions.
static void plan_conv_list(densenet_plan *p) {
    densenet *net = p->net;
    size_t cap = (size_t)(2 * net->n_layers_total + 4);
    p->n_conv = 0;
    p->convs = cx_malloc(sizeof(nn_conv *) * cap);
    p->conv_w = cx_malloc(sizeof(float *) * cap);
    p->conv_dw = cx_malloc(sizeof(float *) * cap);
#define ADD_CONV(cv, w, dw) (p->convs[p->n_conv] = (cv), p->conv_w[p->n_conv] = (w), p->conv_dw[p->n_conv++] = (dw))
    ADD_CONV(p->conv0, net->conv0, net->dconv0);
    for (int b = 0; b < NN_MAX_BLOCKS; b++) {
        for (int l = 0; l < net->block_layers[b]; l++) {
            ADD_CONV(p->layers[b][l].conv1, net->layers[b][l].conv1, net->layers[b][l].dconv1);
            ADD_CONV(p->layers[b][l].conv2, net->layers[b][l].conv2, net->layers[b][l].dconv2);
        }
        if (b < NN_MAX_BLOCKS - 1) ADD_CONV(p->tconv[b], net->trans_conv[b], net->dtrans_conv[b]);
    }
#undef ADD_CONV
}

densenet_plan *densenet_plan_create(densenet *net, int batch, int h, int w, nn_precision prec,
                                    nn_mode mode, cx_error *err) {
    return densenet_plan_create_in(NULL, net, batch, h, w, prec, mode, err);
}

densenet_plan *densenet_plan_create_in(nn_arena *arena, densenet *net, int batch, int h, int w,
                                       nn_precision prec, nn_mode mode, cx_error *err) {
    const densenet_config *cfg = &net->cfg;
    if (batch < 1 || h < 1 || w < 1) {
        cx_fail(err, "plan: batch %d and size %dx%d must be positive", batch, h, w);
        return NULL;
    }
    densenet_plan *p = cx_calloc(1, sizeof *p);
    p->net = net;
    p->N = batch;
    p->H = h;
    p->W = w;
    p->prec = prec;
    p->mode = mode;
    p->bf16 = prec == NN_BF16;
    p->train = mode == NN_TRAIN;
    p->K = cfg->num_classes;
    if (plan_geometry(p, net, h, w, err)) {
        free(p);
        return NULL;
    }
    const int N = batch;
    plan_sizes z = {0};
    if (!arena) p->own_weights = nn_wtable_create();
    nn_wtable *wt = arena ? arena->weights : p->own_weights;
    nn_conv_shape s0 = {N, 3, h, w, cfg->init_features, p->h0, p->w0, 7, 2, 3};
    // no backward-data primitive: conv0's input gradient is nn_conv_input_grad
    if (nn_conv_create(&p->conv0, &s0, 1, p->cb, p->bf16, 0, p->train, wt, net->conv0, &z.sp,
                       err))
        goto fail;
    size_t hw0 = (size_t)p->h0 * p->w0;
    z.tmp = max_sz(z.tmp, (size_t)N * cfg->init_features * hw0);
    z.d32 = max_sz(z.d32, (size_t)N * cfg->init_features * hw0);
    z.dact = max_sz(z.dact, (size_t)N * cfg->init_features * hw0);
    bn_state_alloc(&p->s0, cfg->init_features);
    for (int b = 0; b < NN_MAX_BLOCKS; b++)
        if (plan_block(p, b, wt, &z, err)) goto fail;
    bn_state_alloc(&p->s5, net->c_final);
    z.d32 = max_sz(z.d32, (size_t)N * net->c_final * p->fh * p->fw); // norm5 pre-ReLU tap
    p->z = z;
    p->scratchpad_bytes = z.sp;
    plan_area(p, arena);
    plan_conv_list(p);
    cx_verbose("nn: plan %s N=%d %dx%d %s %s, channel block %d, conv0 impl %s, scratchpad %.1f MB",
               cfg->arch, N, h, w, p->bf16 ? "bf16" : "fp32", p->train ? "train" : "eval", p->cb,
               nn_conv_impl(p->conv0), z.sp / 1048576.0);
    return p;
fail:
    cx_fail_wrap(err, "plan %s N=%d %dx%d", cfg->arch, N, h, w);
    densenet_plan_free(p);
    return NULL;
}

int densenet_plan_batch(const densenet_plan *p) { return p->N; }

void densenet_plan_feature_hw(const densenet_plan *p, int *fh, int *fw) {
    if (fh) *fh = p->fh;
    if (fw) *fw = p->fw;
}

// ---- forward ---------------------------------------------------------------------------------
// Statistics for one BN: batch statistics (+ running update, counter) in training, running
// statistics in evaluation.
static void bn_stats(const densenet_plan *p, const nn_bn_ref *bn, const plan_bn *s,
                     const nn_view *x) {
    if (p->train) {
        nn_bn_batch_stats(x, s->mean, s->rstd, bn->run_mean, bn->run_var);
        (*bn->count)++;
    } else {
        nn_bn_eval_stats(bn->c, bn->run_mean, bn->run_var, s->mean, s->rstd);
    }
}

// Pre-ReLU BN output of x into d32 (only for a tap on a norm layer).
static void tap_pre_relu(densenet_plan *p, const nn_bn_ref *bn, const plan_bn *s,
                         const nn_view *x) {
    nn_view y = plan_view(p, p->d32, x->c, x->h, x->w, 0, 0);
    nn_bn_apply(x, s->mean, s->rstd, bn->gamma, bn->beta, 0, &y);
    plan_tap_store(p, &y, 0);
}

// Training: batch moments of channels [c0, c0 + v->c) of block b, written once per step.
static void block_moments(densenet_plan *p, int b, int c0, const nn_view *v) {
    if (p->train) nn_bn_moments(v, p->bmean[b] + c0, p->bm2[b] + c0);
}

// Statistics of a BN over the first c channels of block b: its running statistics in evaluation;
// in training, the block's cached batch moments (the same numbers bn_stats would compute).
static void bn_stats_block(const densenet_plan *p, const nn_bn_ref *bn, const plan_bn *s, int b,
                           const nn_view *x) {
    if (!p->train) {
        bn_stats(p, bn, s, x);
        return;
    }
    nn_bn_from_moments(x->c, p->bmean[b], p->bm2[b], (double)x->n * x->h * x->w, s->mean,
                       s->rstd, bn->run_mean, bn->run_var);
    (*bn->count)++;
}

static int tap_is(const densenet_plan *p, tap_kind k, int b, int l) {
    return p->tap == k && p->tap_b == b && p->tap_l == l;
}

// conv0 (source kept for the weight gradient), norm0, relu0 into r0 = p->tmp [N,64,h0,w0].
static int forward_stem(densenet_plan *p, const float *x, nn_view *r0, cx_error *err) {
    densenet *net = p->net;
    const densenet_config *cfg = &net->cfg;
    nn_view xin = nn_view_make((void *)x, p->N, 3, p->H, p->W, 1, 0);
    nn_view xc = nn_view_make(p->x_c, p->N, 3, p->H, p->W, 1, 0);
    xc.bf16 = p->bf16;
    nn_view_copy(&xin, &xc);
    if (p->train) densenet_weights_changed(net); // Adam follows a training forward
    if (p->train || p->wgen_fwd != *net->wgen) {  // this step's weights, or changed ones
        nn_convs_weights(p->convs, p->conv_w, p->n_conv, NN_W_FWD);
        p->wgen_fwd = *net->wgen;
    }
    if (nn_conv_forward(p->conv0, p->x_c, p->c0, p->scratchpad, err))
        return cx_fail_wrap(err, "features.conv0");
    nn_view c0 = plan_view(p, p->c0, cfg->init_features, p->h0, p->w0, 0, 0);
    if (tap_is(p, TAP_CONV0, 0, 0)) plan_tap_store(p, &c0, 0);
    bn_stats(p, &net->norm0, &p->s0, &c0);
    if (tap_is(p, TAP_NORM0, 0, 0)) tap_pre_relu(p, &net->norm0, &p->s0, &c0);
    *r0 = plan_view(p, p->tmp, cfg->init_features, p->h0, p->w0, 0, 0);
    nn_bn_apply(&c0, p->s0.mean, p->s0.rstd, net->norm0.gamma, net->norm0.beta, 1, r0);
    return 0;
}

// Dense layer l of block b: norm1 relu1 conv1 on the concatenation so far, norm2 relu2 conv2
// -> growth new channels appended to the block buffer.
static int forward_dense_layer(densenet_plan *p, int b, int l, cx_error *err) {
    densenet *net = p->net;
    const int wb = net->cfg.bn_size * net->cfg.growth, gr = net->cfg.growth;
    const int bh = p->bh[b], bw = p->bw[b];
    const size_t ns = (size_t)net->block_c_out[b] * bh * bw;
    const nn_layer_ref *R = &net->layers[b][l];
    plan_layer *L = &p->layers[b][l];
    nn_view xl = plan_view(p, p->block[b], R->c_in, bh, bw, ns, 0);
    nn_view a1 = plan_view(p, p->act, R->c_in, bh, bw, 0, p->bf16);
    bn_stats_block(p, &R->norm1, &L->s1, b, &xl);
    nn_bn_apply(&xl, L->s1.mean, L->s1.rstd, R->norm1.gamma, R->norm1.beta, 1, &a1);
    if (nn_conv_forward(L->conv1, p->act, L->b1, p->scratchpad, err))
        return cx_fail_wrap(err, "denseblock%d.denselayer%d.conv1", b + 1, l + 1);
    nn_view b1 = plan_view(p, L->b1, wb, bh, bw, 0, 0);
    if (tap_is(p, TAP_CONV1, b, l)) plan_tap_store(p, &b1, 0);
    bn_stats(p, &R->norm2, &L->s2, &b1);
    if (tap_is(p, TAP_NORM2, b, l)) tap_pre_relu(p, &R->norm2, &L->s2, &b1);
    nn_view a2 = plan_view(p, p->act, wb, bh, bw, 0, p->bf16);
    nn_bn_apply(&b1, L->s2.mean, L->s2.rstd, R->norm2.gamma, R->norm2.beta, 1, &a2);
    if (nn_conv_forward(L->conv2, p->act, p->tmp, p->scratchpad, err))
        return cx_fail_wrap(err, "denseblock%d.denselayer%d.conv2", b + 1, l + 1);
    nn_view y2 = plan_view(p, p->tmp, gr, bh, bw, 0, 0);
    if (tap_is(p, TAP_CONV2, b, l)) plan_tap_store(p, &y2, 0);
    nn_view slot = plan_view(p, p->block[b] + (size_t)R->c_in * bh * bw, gr, bh, bw, ns, 0);
    nn_view_copy(&y2, &slot);
    block_moments(p, b, R->c_in, &slot);
    return 0;
}

// Transition b: norm relu conv1x1 (C -> C/2), avg-pool 2x2 -> first channels of block b+1.
static int forward_transition(densenet_plan *p, int b, const nn_view *full, cx_error *err) {
    densenet *net = p->net;
    const int bh = p->bh[b], bw = p->bw[b], cout = net->block_c_out[b];
    const nn_bn_ref *tn = &net->trans_norm[b];
    bn_stats_block(p, tn, &p->st[b], b, full);
    nn_view at = plan_view(p, p->act, cout, bh, bw, 0, p->bf16);
    nn_bn_apply(full, p->st[b].mean, p->st[b].rstd, tn->gamma, tn->beta, 1, &at);
    if (nn_conv_forward(p->tconv[b], p->act, p->tmp, p->scratchpad, err))
        return cx_fail_wrap(err, "transition%d.conv", b + 1);
    nn_view tc = plan_view(p, p->tmp, cout / 2, bh, bw, 0, 0);
    if (tap_is(p, TAP_TCONV, b, 0)) plan_tap_store(p, &tc, 0);
    const int nh = p->bh[b + 1], nw = p->bw[b + 1];
    nn_view next = plan_view(p, p->block[b + 1], cout / 2, nh, nw,
                             (size_t)net->block_c_out[b + 1] * nh * nw, 0);
    nn_avgpool_forward(&tc, &next);
    if (tap_is(p, TAP_TPOOL, b, 0)) plan_tap_store(p, &next, 0);
    return 0;
}

// norm5, relu (functional in torchvision), global average pool, classifier, gaze head.
static void forward_head(densenet_plan *p, float *logits, float *gaze) {
    densenet *net = p->net;
    const int B = NN_MAX_BLOCKS - 1, C = net->c_final, N = p->N;
    nn_view x5 = plan_view(p, p->block[B], C, p->fh, p->fw, 0, 0);
    bn_stats_block(p, &net->norm5, &p->s5, B, &x5);
    if (tap_is(p, TAP_NORM5, 0, 0)) tap_pre_relu(p, &net->norm5, &p->s5, &x5);
    nn_view F = plan_view(p, p->F, C, p->fh, p->fw, 0, 0);
    nn_bn_apply(&x5, p->s5.mean, p->s5.rstd, net->norm5.gamma, net->norm5.beta, 1, &F);
    if (tap_is(p, TAP_RELU5, 0, 0)) plan_tap_store(p, &F, 0);
    nn_gap_forward(&F, p->g);
    nn_linear_forward(p->g, net->cls_w, net->cls_b, N, C, p->K, p->logits);
    if (logits) memcpy(logits, p->logits, sizeof(float) * N * p->K);
    if (net->cfg.gaze_head) {
        nn_gaze_forward(&F, net->gaze_w, net->gaze_b[0], p->gaze);
        if (gaze) memcpy(gaze, p->gaze, sizeof(float) * N * p->fh * p->fw);
    }
}

int densenet_forward(densenet_plan *p, const float *x, float *logits, float *gaze,
                     cx_error *err) {
    densenet *net = p->net;
    p->tap_has_act = p->tap_has_grad = 0;
    p->ran_forward = 0;
    if (p->arena) { // the arena may have grown since; other plans' saved passes end here
        plan_place(p, p->arena->base);
        p->arena_pass = ++p->arena->passes;
    }
    nn_view r0;
    if (forward_stem(p, x, &r0, err)) return -1;
    for (int b = 0; b < NN_MAX_BLOCKS; b++) {
        const int bh = p->bh[b], bw = p->bw[b], cout = net->block_c_out[b];
        const size_t ns = (size_t)cout * bh * bw;
        if (b == 0) { // pool0 -> the first channels of block 1
            nn_view in = plan_view(p, p->block[0], net->block_c_in[0], bh, bw, ns, 0);
            nn_maxpool_forward(&r0, &in);
            if (tap_is(p, TAP_POOL0, 0, 0)) plan_tap_store(p, &in, 0);
        }
        nn_view in = plan_view(p, p->block[b], net->block_c_in[b], bh, bw, ns, 0);
        block_moments(p, b, 0, &in);
        for (int l = 0; l < net->block_layers[b]; l++)
            if (forward_dense_layer(p, b, l, err)) return -1;
        nn_view full = plan_view(p, p->block[b], cout, bh, bw, ns, 0);
        if (tap_is(p, TAP_BLOCK, b, 0)) plan_tap_store(p, &full, 0);
        if (b < NN_MAX_BLOCKS - 1 && forward_transition(p, b, &full, err)) return -1;
    }
    forward_head(p, logits, gaze);
    p->ran_forward = 1;
    return 0;
}
