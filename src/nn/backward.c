// Backward pass of a plan (weights, input, tapped layer; plain gradients or DeepLift's rules)
// and the taps. Activations dropped after the forward (BN+ReLU outputs, relu0) are recomputed
// from the kept block buffers and statistics, as torchvision's memory_efficient DenseNet does.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

// ---- taps ------------------------------------------------------------------------------------
int densenet_set_tap(densenet_plan *p, const char *layer, cx_error *err) {
    const densenet *net = p->net;
    free(p->tap_act);
    free(p->tap_grad);
    p->tap_act = p->tap_grad = NULL;
    p->tap = TAP_NONE;
    p->tap_b = p->tap_l = 0;
    p->tap_has_act = p->tap_has_grad = 0;
    p->tap_name[0] = 0;
    if (!layer) return 0;
    const char *s = layer;
    if (!strncmp(s, "features.", 9)) s += 9;
    int b = 0, l = 0, n = 0, C = 0, h = 0, w = 0;
    char rest[64] = "";
    tap_kind k = TAP_NONE;
    if (!strcmp(s, "conv0") || !strcmp(s, "norm0")) {
        k = s[0] == 'c' ? TAP_CONV0 : TAP_NORM0;
        C = net->cfg.init_features, h = p->h0, w = p->w0;
    } else if (!strcmp(s, "pool0")) {
        k = TAP_POOL0, C = net->cfg.init_features, h = p->bh[0], w = p->bw[0];
    } else if (!strcmp(s, "norm5") || !strcmp(s, "relu5")) {
        k = s[0] == 'n' ? TAP_NORM5 : TAP_RELU5;
        C = net->c_final, h = p->fh, w = p->fw;
    } else if (sscanf(s, "denseblock%d%n", &b, &n) == 1 && s[n] == 0 && b >= 1 &&
               b <= NN_MAX_BLOCKS) {
        b--;
        k = TAP_BLOCK, C = net->block_c_out[b], h = p->bh[b], w = p->bw[b];
    } else if (sscanf(s, "denseblock%d.denselayer%d.%63s", &b, &l, rest) == 3 && b >= 1 &&
               b <= NN_MAX_BLOCKS && l >= 1 && l <= net->block_layers[b - 1]) {
        b--, l--;
        h = p->bh[b], w = p->bw[b];
        int wb = net->cfg.bn_size * net->cfg.growth;
        if (!strcmp(rest, "conv1")) k = TAP_CONV1, C = wb;
        else if (!strcmp(rest, "norm2")) k = TAP_NORM2, C = wb;
        else if (!strcmp(rest, "conv2")) k = TAP_CONV2, C = net->cfg.growth;
    } else if (sscanf(s, "transition%d.%63s", &b, rest) == 2 && b >= 1 && b < NN_MAX_BLOCKS) {
        b--;
        if (!strcmp(rest, "conv"))
            k = TAP_TCONV, C = net->block_c_out[b] / 2, h = p->bh[b], w = p->bw[b];
        else if (!strcmp(rest, "pool"))
            k = TAP_TPOOL, C = net->block_c_out[b] / 2, h = p->bh[b + 1], w = p->bw[b + 1];
    }
    if (k == TAP_NONE)
        return cx_fail(err, "tap: unknown layer '%s' (expected features.conv0|norm0|pool0|norm5|"
                            "relu5, features.denseblockB[.denselayerL.conv1|norm2|conv2], "
                            "features.transitionT.conv|pool)", layer);
    p->tap = k;
    p->tap_b = b;
    p->tap_l = l;
    snprintf(p->tap_name, sizeof p->tap_name, "%s", layer);
    p->tap_shape[0] = p->N, p->tap_shape[1] = C, p->tap_shape[2] = h, p->tap_shape[3] = w;
    size_t numel = (size_t)p->N * C * h * w;
    p->tap_act = cx_calloc(numel, sizeof(float));
    p->tap_grad = cx_calloc(numel, sizeof(float));
    return 0;
}

void plan_tap_store(densenet_plan *p, const nn_view *v, int grad) {
    CX_ASSERT(v->n == p->tap_shape[0] && v->c == p->tap_shape[1] && v->h == p->tap_shape[2] &&
              v->w == p->tap_shape[3]);
    nn_view_to_nchw(v, grad ? p->tap_grad : p->tap_act);
    if (grad) p->tap_has_grad = 1;
    else p->tap_has_act = 1;
}

const float *densenet_tap_activation(densenet_plan *p, int64_t shape[4]) {
    if (!p->tap_has_act) return NULL;
    if (shape) memcpy(shape, p->tap_shape, sizeof p->tap_shape);
    return p->tap_act;
}

const float *densenet_tap_gradient(densenet_plan *p, int64_t shape[4]) {
    if (!p->tap_has_grad) return NULL;
    if (shape) memcpy(shape, p->tap_shape, sizeof p->tap_shape);
    return p->tap_grad;
}

// ---- backward --------------------------------------------------------------------------------
typedef struct bwd_ctx {
    densenet_plan *p;
    int weights, input, tap_only, relu_rule, relu5_rule, pool_deeplift;
    int done;      // the tap gradient is stored and nothing below it is wanted
    cx_error *err;
} bwd_ctx;

static int tap_here(const bwd_ctx *c, tap_kind k, int b, int l) {
    const densenet_plan *p = c->p;
    return p->tap == k && p->tap_b == b && p->tap_l == l;
}

// Stores the tap gradient when (k, b, l) is the tap; sets done when backward can stop there.
static void tap_grad(bwd_ctx *c, tap_kind k, int b, int l, const nn_view *v) {
    if (!tap_here(c, k, b, l)) return;
    plan_tap_store(c->p, v, 1);
    if (c->tap_only || (!c->weights && !c->input)) c->done = 1;
}

// Gradient at a norm layer's (pre-ReLU) output: dy times the ReLU rule's factor, into tmp.
static void tap_norm_grad(bwd_ctx *c, tap_kind k, int b, int l, const nn_view *x,
                          const plan_bn *s, const nn_bn_ref *bn, int rule, const nn_view *dy) {
    if (!tap_here(c, k, b, l)) return;
    nn_view g = plan_view(c->p, c->p->tmp, x->c, x->h, x->w, 0, 0);
    nn_relu_backward(x, s->mean, s->rstd, bn->gamma, bn->beta, rule, dy, &g);
    tap_grad(c, k, b, l, &g);
}

static int bwd_layer(bwd_ctx *c, int b, int l) {
    densenet_plan *p = c->p;
    densenet *net = p->net;
    const nn_layer_ref *R = &net->layers[b][l];
    plan_layer *L = &p->layers[b][l];
    const int bh = p->bh[b], bw = p->bw[b], wb = net->cfg.bn_size * net->cfg.growth;
    const int gr = net->cfg.growth;
    const size_t ns = (size_t)net->block_c_out[b] * bh * bw;
    cx_error *err = c->err;
    // gradient at the 32 new channels: complete now (later layers have added theirs)
    nn_view dslot = plan_view(p, p->dblock[b] + (size_t)R->c_in * bh * bw, gr, bh, bw, ns, 0);
    tap_grad(c, TAP_CONV2, b, l, &dslot);
    if (c->done) return 0;
    nn_view dy2 = plan_view(p, p->dact, gr, bh, bw, 0, p->bf16);
    nn_view_copy(&dslot, &dy2);
    // conv2: weight gradient (from its recomputed source relu2(norm2(b1))), data gradient
    nn_view b1 = plan_view(p, L->b1, wb, bh, bw, 0, 0);
    if (c->weights) {
        nn_view a2 = plan_view(p, p->act, wb, bh, bw, 0, p->bf16);
        nn_bn_apply(&b1, L->s2.mean, L->s2.rstd, R->norm2.gamma, R->norm2.beta, 1, &a2);
        if (nn_conv_backward_weights(L->conv2, p->act, p->dact, p->scratchpad, err))
            return cx_fail_wrap(err, "denseblock%d.denselayer%d.conv2 backward weights", b + 1, l + 1);
    }
    if (nn_conv_backward_data(L->conv2, p->dact, p->d32, p->scratchpad, err))
        return cx_fail_wrap(err, "denseblock%d.denselayer%d.conv2 backward data", b + 1, l + 1);
    nn_view da2 = plan_view(p, p->d32, wb, bh, bw, 0, 0);
    tap_norm_grad(c, TAP_NORM2, b, l, &b1, &L->s2, &R->norm2, c->relu_rule, &da2);
    if (c->done) return 0;
    // norm2 (+relu2) backward -> gradient at conv1's output
    nn_view db1 = plan_view(p, p->dact, wb, bh, bw, 0, p->bf16);
    nn_bn_backward(&b1, L->s2.mean, L->s2.rstd, R->norm2.gamma, R->norm2.beta, c->relu_rule,
                   p->train, &da2, c->weights ? R->norm2.dgamma : NULL,
                   c->weights ? R->norm2.dbeta : NULL, &db1, 0);
    tap_grad(c, TAP_CONV1, b, l, &db1);
    if (c->done) return 0;
    // conv1: weight gradient (from its recomputed source relu1(norm1(concatenation))), data
    nn_view xl = plan_view(p, p->block[b], R->c_in, bh, bw, ns, 0);
    if (c->weights) {
        nn_view a1 = plan_view(p, p->act, R->c_in, bh, bw, 0, p->bf16);
        nn_bn_apply(&xl, L->s1.mean, L->s1.rstd, R->norm1.gamma, R->norm1.beta, 1, &a1);
        if (nn_conv_backward_weights(L->conv1, p->act, p->dact, p->scratchpad, err))
            return cx_fail_wrap(err, "denseblock%d.denselayer%d.conv1 backward weights", b + 1, l + 1);
    }
    if (nn_conv_backward_data(L->conv1, p->dact, p->d32, p->scratchpad, err))
        return cx_fail_wrap(err, "denseblock%d.denselayer%d.conv1 backward data", b + 1, l + 1);
    nn_view da1 = plan_view(p, p->d32, R->c_in, bh, bw, 0, 0);
    nn_view dxl = plan_view(p, p->dblock[b], R->c_in, bh, bw, ns, 0);
    nn_bn_backward(&xl, L->s1.mean, L->s1.rstd, R->norm1.gamma, R->norm1.beta, c->relu_rule,
                   p->train, &da1, c->weights ? R->norm1.dgamma : NULL,
                   c->weights ? R->norm1.dbeta : NULL, &dxl, 1);
    return 0;
}

// Transition b (between blocks b and b+1): from the gradient at its pool output (the first
// channels of dblock[b+1]) to dblock[b] (overwritten).
static int bwd_transition(bwd_ctx *c, int b) {
    densenet_plan *p = c->p;
    densenet *net = p->net;
    cx_error *err = c->err;
    const int bh = p->bh[b], bw = p->bw[b], cout = net->block_c_out[b];
    const int nh = p->bh[b + 1], nw = p->bw[b + 1];
    nn_view dnext = plan_view(p, p->dblock[b + 1], cout / 2, nh, nw,
                              (size_t)net->block_c_out[b + 1] * nh * nw, 0);
    tap_grad(c, TAP_TPOOL, b, 0, &dnext);
    if (c->done) return 0;
    nn_view dtc = plan_view(p, p->dact, cout / 2, bh, bw, 0, p->bf16);
    nn_avgpool_backward(&dnext, &dtc);
    tap_grad(c, TAP_TCONV, b, 0, &dtc);
    if (c->done) return 0;
    const nn_bn_ref *tn = &net->trans_norm[b];
    nn_view full = plan_view(p, p->block[b], cout, bh, bw, 0, 0);
    if (c->weights) { // recomputed source relu(norm(block)) for the weight gradient
        nn_view at = plan_view(p, p->act, cout, bh, bw, 0, p->bf16);
        nn_bn_apply(&full, p->st[b].mean, p->st[b].rstd, tn->gamma, tn->beta, 1, &at);
        if (nn_conv_backward_weights(p->tconv[b], p->act, p->dact, p->scratchpad, err))
            return cx_fail_wrap(err, "transition%d.conv backward weights", b + 1);
    }
    if (nn_conv_backward_data(p->tconv[b], p->dact, p->d32, p->scratchpad, err))
        return cx_fail_wrap(err, "transition%d.conv backward data", b + 1);
    nn_view da = plan_view(p, p->d32, cout, bh, bw, 0, 0);
    nn_view dfull = plan_view(p, p->dblock[b], cout, bh, bw, 0, 0);
    nn_bn_backward(&full, p->st[b].mean, p->st[b].rstd, tn->gamma, tn->beta, c->relu_rule,
                   p->train, &da, c->weights ? tn->dgamma : NULL, c->weights ? tn->dbeta : NULL,
                   &dfull, 0);
    return 0;
}

// Stem: pool0 relu0 norm0 conv0, from the gradient at the first channels of block 1; dx gets the
// input gradient of the first n_dx samples.
static int bwd_stem(bwd_ctx *c, float *dx, int n_dx) {
    densenet_plan *p = c->p;
    densenet *net = p->net;
    cx_error *err = c->err;
    const int c0n = net->cfg.init_features;
    nn_view dpool = plan_view(p, p->dblock[0], c0n, p->bh[0], p->bw[0],
                              (size_t)net->block_c_out[0] * p->bh[0] * p->bw[0], 0);
    nn_view pool = dpool;
    pool.p = p->block[0];
    tap_grad(c, TAP_POOL0, 0, 0, &dpool);
    if (c->done) return 0;
    nn_view c0 = plan_view(p, p->c0, c0n, p->h0, p->w0, 0, 0);
    nn_view r0 = plan_view(p, p->tmp, c0n, p->h0, p->w0, 0, 0);
    nn_bn_apply(&c0, p->s0.mean, p->s0.rstd, net->norm0.gamma, net->norm0.beta, 1, &r0);
    nn_view dr0 = plan_view(p, p->d32, c0n, p->h0, p->w0, 0, 0);
    nn_maxpool_backward(&r0, &pool, &dpool, &dr0, c->pool_deeplift);
    tap_norm_grad(c, TAP_NORM0, 0, 0, &c0, &p->s0, &net->norm0, c->relu_rule, &dr0);
    if (c->done) return 0;
    nn_view dc0 = plan_view(p, p->dact, c0n, p->h0, p->w0, 0, p->bf16);
    nn_bn_backward(&c0, p->s0.mean, p->s0.rstd, net->norm0.gamma, net->norm0.beta, c->relu_rule,
                   p->train, &dr0, c->weights ? net->norm0.dgamma : NULL,
                   c->weights ? net->norm0.dbeta : NULL, &dc0, 0);
    tap_grad(c, TAP_CONV0, 0, 0, &dc0);
    if (c->done) return 0;
    if (c->weights &&
        nn_conv_backward_weights(p->conv0, p->x_c, p->dact, p->scratchpad, err))
        return cx_fail_wrap(err, "features.conv0 backward weights");
    if (c->input)
        nn_conv_input_grad(&dc0, net->conv0, 3, 7, 2, 3, p->bf16, n_dx, dx, p->H, p->W);
    return 0;
}

int densenet_backward(densenet_plan *p, const float *dlogits, const float *dgaze, float *dx,
                      unsigned flags, cx_error *err) {
    densenet *net = p->net;
    const densenet_config *cfg = &net->cfg;
    if (!p->ran_forward) return cx_fail(err, "backward: no forward has run on this plan");
    if (p->arena && p->arena->passes != p->arena_pass)
        return cx_fail(err, "backward: another plan of the arena ran a forward since this plan's");
    bwd_ctx c = {.p = p, .err = err};
    c.weights = (flags & NN_GRAD_WEIGHTS) != 0;
    c.input = (flags & NN_GRAD_INPUT) != 0;
    c.tap_only = (flags & NN_GRAD_TAP_ONLY) != 0;
    if (c.tap_only) c.weights = c.input = 0; // nothing below the tap
    const int dl = (flags & (NN_DEEPLIFT | NN_DEEPLIFT_CAPTUM)) != 0;
    const int N = p->N, C = net->c_final, K = p->K, fhw = p->fh * p->fw;
    if (c.weights && !p->train)
        return cx_fail(err, "backward: weight gradients need a training-mode plan");
    if (c.input && !dx) return cx_fail(err, "backward: NN_GRAD_INPUT needs dx");
    if (c.tap_only && p->tap == TAP_NONE)
        return cx_fail(err, "backward: NN_GRAD_TAP_ONLY without a tap (densenet_set_tap)");
    c.relu_rule = c.relu5_rule = NN_RELU_MASK;
    if (dl) {
        if (p->train || c.weights || N % 2)
            return cx_fail(err, "backward: DeepLift needs an evaluation plan run on 2N samples "
                                "(inputs then baselines), got %s mode and %d samples",
                           p->train ? "training" : "evaluation", N);
        c.relu_rule = NN_RELU_RESCALE;
        c.relu5_rule = (flags & NN_DEEPLIFT_CAPTUM) ? NN_RELU_MASK : NN_RELU_RESCALE;
        c.pool_deeplift = !(flags & NN_DEEPLIFT_CAPTUM);
    }
    if (p->train || p->wgen_bwd != *p->net->wgen) {
        nn_convs_weights(p->convs, p->conv_w, p->n_conv, NN_W_BWD_DATA);
        p->wgen_bwd = *p->net->wgen;
    }
    // upstream gradients: DeepLift gives both halves the same dlogits (as Captum, whose
    // multipliers are then identical for input and baseline)
    const int nd = dl ? N / 2 : N;
    for (int r = 0; r < N / nd; r++) {
        memcpy(p->dlogits + (size_t)r * nd * K, dlogits, sizeof(float) * nd * K);
        if (cfg->gaze_head) {
            if (dgaze) memcpy(p->dgaze + (size_t)r * nd * fhw, dgaze, sizeof(float) * nd * fhw);
            else memset(p->dgaze + (size_t)r * nd * fhw, 0, sizeof(float) * nd * fhw);
        }
    }
    // classifier, global pool, gaze head -> dF
    nn_linear_backward(p->g, net->cls_w, p->dlogits, N, C, K, c.weights ? net->dcls_w : NULL,
                       c.weights ? net->dcls_b : NULL, p->dg);
    nn_view dF = plan_view(p, p->dF, C, p->fh, p->fw, 0, 0);
    nn_gap_backward(p->dg, &dF, 0);
    if (cfg->gaze_head) {
        nn_view F = plan_view(p, p->F, C, p->fh, p->fw, 0, 0);
        nn_gaze_backward(&F, net->gaze_w, p->gaze, p->dgaze, c.weights ? net->dgaze_w : NULL,
                         c.weights ? net->dgaze_b : NULL, &dF);
    }
    tap_grad(&c, TAP_RELU5, 0, 0, &dF);
    if (c.done) return 0;
    // relu5 + norm5 -> dblock[3]
    const int B = NN_MAX_BLOCKS - 1;
    nn_view x5 = plan_view(p, p->block[B], C, p->fh, p->fw, 0, 0);
    tap_norm_grad(&c, TAP_NORM5, 0, 0, &x5, &p->s5, &net->norm5, c.relu5_rule, &dF);
    if (c.done) return 0;
    nn_view d5 = plan_view(p, p->dblock[B], C, p->fh, p->fw, 0, 0);
    nn_bn_backward(&x5, p->s5.mean, p->s5.rstd, net->norm5.gamma, net->norm5.beta, c.relu5_rule,
                   p->train, &dF, c.weights ? net->norm5.dgamma : NULL,
                   c.weights ? net->norm5.dbeta : NULL, &d5, 0);
    for (int b = B; b >= 0; b--) {
        nn_view full = plan_view(p, p->dblock[b], net->block_c_out[b], p->bh[b], p->bw[b], 0, 0);
        tap_grad(&c, TAP_BLOCK, b, 0, &full);
        if (c.done) return 0;
        for (int l = net->block_layers[b] - 1; l >= 0; l--) {
            if (bwd_layer(&c, b, l)) return -1;
            if (c.done) return 0;
        }
        if (b > 0) {
            if (bwd_transition(&c, b - 1)) return -1;
            if (c.done) return 0;
        }
    }
    if (bwd_stem(&c, dx, nd)) return -1; // DeepLift: the input half's multipliers only
    if (c.weights) nn_convs_weights(p->convs, p->conv_dw, p->n_conv, NN_W_DIFF);
    return 0;
}
