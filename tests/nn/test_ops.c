// nn/ops: every layer's backward against central finite differences of its forward on tiny
// shapes (no PyTorch): convolution (oneDNN), BN train/eval (+ReLU) on strided prefix views,
// ReLU, max-pool, avg-pool, global average pool, linear, gaze head + sigmoid, BCE, MSE.
// Also the running-statistics update and Adam against closed forms.
#include "test.h"

#include "nn/nn_internal.h"

// Scalar probe: L = sum_i r_i * out_i (double), r fixed random weights.
typedef double (*loss_fn)(void *ctx);

static void fill_normal(float *a, size_t n, uint64_t seed, double sd) {
    cx_rng r;
    cx_rng_seed(&r, seed, 0);
    for (size_t i = 0; i < n; i++) a[i] = (float)(sd * cx_rng_normal(&r));
}

static double dot(const float *a, const float *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

// Central differences of f with respect to theta[0..n), compared with analytic[0..n):
// max |fd - analytic| / max |analytic| <= tol.
static void fd_check(loss_fn f, void *ctx, float *theta, size_t n, const float *analytic,
                     float eps, double tol, const char *what) {
    float *fd = cx_malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) {
        float keep = theta[i];
        theta[i] = keep + eps;
        double lp = f(ctx);
        theta[i] = keep - eps;
        double lm = f(ctx);
        theta[i] = keep;
        fd[i] = (float)((lp - lm) / (2.0 * eps));
    }
    double e = max_rel_err(analytic, fd, n);
    if (!(e <= tol)) {
        size_t worst = 0;
        for (size_t i = 0; i < n; i++)
            if (fabs(analytic[i] - fd[i]) > fabs(analytic[worst] - fd[worst])) worst = i;
        fail_msg("%s: finite-difference rel err %.3g > %.3g (element %zu: analytic %.6g, fd %.6g)",
                 what, e, tol, worst, analytic[worst], fd[worst]);
    }
    free(fd);
}

// ---- convolution -------------------------------------------------------------------------------
typedef struct conv_ctx {
    nn_conv *c;
    nn_conv_shape s;
    float *x, *w, *y, *r;
    void *scratch;
} conv_ctx;

static double conv_loss(void *vc) {
    conv_ctx *c = vc;
    cx_error err = {0};
    nn_convs_weights(&c->c, &c->w, 1, NN_W_FWD);
    if (nn_conv_forward(c->c, c->x, c->y, c->scratch, &err)) fail_msg("%s", err.msg);
    return dot(c->y, c->r, (size_t)c->s.n * c->s.oc * c->s.oh * c->s.ow);
}

static void conv_case(int ic, int oc, int hw, int k, int stride, int pad, int cb) {
    conv_ctx c = {0};
    int oh = (hw + 2 * pad - k) / stride + 1;
    c.s = (nn_conv_shape){2, ic, hw, hw, oc, oh, oh, k, stride, pad};
    size_t sp = 0, nx = (size_t)2 * ic * hw * hw, nw = (size_t)oc * ic * k * k,
           ny = (size_t)2 * oc * oh * oh;
    cx_error err = {0};
    if (nn_conv_create(&c.c, &c.s, ic % cb ? 1 : cb, cb, 0, 1, 1, NULL, NULL, &sp, &err)) fail_msg("%s", err.msg);
    c.scratch = cx_aligned_alloc(sp + 64);
    c.x = cx_malloc(4 * nx), c.w = cx_malloc(4 * nw), c.y = cx_malloc(4 * ny), c.r = cx_malloc(4 * ny);
    fill_normal(c.x, nx, 1, 1), fill_normal(c.w, nw, 2, 0.5), fill_normal(c.r, ny, 3, 1);
    float *dx = cx_malloc(4 * nx), *dw = cx_malloc(4 * nw);
    conv_loss(&c);
    nn_convs_weights(&c.c, &c.w, 1, NN_W_BWD_DATA);
    if (nn_conv_backward_data(c.c, c.r, dx, c.scratch, &err) ||
        nn_conv_backward_weights(c.c, c.x, c.r, c.scratch, &err))
        fail_msg("%s", err.msg);
    nn_convs_weights(&c.c, &dw, 1, NN_W_DIFF);
    fd_check(conv_loss, &c, c.x, nx, dx, 1e-2f, 2e-3, "conv dL/dx");
    fd_check(conv_loss, &c, c.w, nw, dw, 1e-2f, 2e-3, "conv dL/dw");
    nn_conv_free(c.c);
    free(c.scratch), free(c.x), free(c.w), free(c.y), free(c.r), free(dx), free(dw);
}

static void conv_fd(void **state) {
    (void)state;
    conv_case(8, 8, 6, 3, 1, 1, 8);  // dense layer conv2 shape, blocked
    conv_case(16, 8, 5, 1, 1, 0, 8); // 1x1 bottleneck / transition
    conv_case(3, 8, 9, 7, 2, 3, 8);  // conv0: NCHW source, 7x7/2 pad 3
    conv_case(3, 4, 6, 3, 1, 1, 1);  // plain NCHW
}

// ---- batch norm (+ReLU) on a prefix view -----------------------------------------------------
typedef struct bn_ctx {
    nn_view x, y;
    float *gamma, *beta, *rm, *rv, *mean, *rstd, *r;
    int train, relu;
} bn_ctx;

static double bn_loss(void *v) {
    bn_ctx *c = v;
    if (c->train) nn_bn_batch_stats(&c->x, c->mean, c->rstd, NULL, NULL);
    else nn_bn_eval_stats(c->x.c, c->rm, c->rv, c->mean, c->rstd);
    nn_bn_apply(&c->x, c->mean, c->rstd, c->gamma, c->beta, c->relu, &c->y);
    size_t n = (size_t)c->y.n * c->y.c * c->y.h * c->y.w;
    return dot(c->y.p, c->r, n);
}

static void bn_case(int train, int relu) {
    // x: the first 16 channels of a [2, 24, 3, 3] nChw8c buffer (sample stride 24*9)
    const int N = 2, C = 16, Cmax = 24, h = 3, w = 3, cb = 8;
    size_t nbuf = (size_t)N * Cmax * h * w, ny = (size_t)N * C * h * w;
    float *buf = cx_malloc(4 * nbuf), *dbuf = cx_calloc(nbuf, 4);
    fill_normal(buf, nbuf, 4, 2);
    for (size_t i = 0; i < nbuf; i++) buf[i] += 0.5f; // non-zero means
    bn_ctx c = {0};
    c.x = nn_view_make(buf, N, C, h, w, cb, (size_t)Cmax * h * w);
    float *y = cx_malloc(4 * ny), *dy = cx_malloc(4 * ny);
    c.y = nn_view_make(y, N, C, h, w, cb, 0);
    c.gamma = cx_malloc(4 * C), c.beta = cx_malloc(4 * C), c.rm = cx_malloc(4 * C);
    c.rv = cx_malloc(4 * C), c.mean = cx_malloc(4 * C), c.rstd = cx_malloc(4 * C);
    c.r = cx_malloc(4 * ny);
    fill_normal(c.gamma, C, 5, 1), fill_normal(c.beta, C, 6, 1), fill_normal(c.rm, C, 7, 0.5);
    for (int i = 0; i < C; i++) c.rv[i] = 0.5f + 0.1f * i;
    fill_normal(c.r, ny, 8, 1);
    c.train = train, c.relu = relu;
    bn_loss(&c);
    float dg[16], db[16];
    nn_view vdy = nn_view_make(c.r, N, C, h, w, cb, 0), vdx = c.x;
    vdx.p = dbuf;
    // accumulate into a pre-filled gradient: the result must be old + dL/dx
    for (size_t i = 0; i < nbuf; i++) dbuf[i] = 1.f;
    nn_bn_backward(&c.x, c.mean, c.rstd, c.gamma, c.beta, relu ? NN_RELU_MASK : NN_RELU_NONE,
                   train, &vdy, dg, db, &vdx, 1);
    float *dx = cx_malloc(4 * nbuf);
    for (size_t i = 0; i < nbuf; i++) dx[i] = dbuf[i] - 1.f;
    // channels beyond the view are untouched (still 1 -> 0 here), FD there is 0 too
    const char *what = train ? (relu ? "bn train+relu dx" : "bn train dx")
                             : (relu ? "bn eval+relu dx" : "bn eval dx");
    fd_check(bn_loss, &c, buf, nbuf, dx, 1e-3f, 2e-3, what);
    // small steps for gamma/beta: a step moves every element of a channel, and one element
    // near the ReLU kink would otherwise bias the difference
    fd_check(bn_loss, &c, c.gamma, C, dg, 2e-4f, 3e-3, "bn dgamma");
    fd_check(bn_loss, &c, c.beta, C, db, 2e-4f, 3e-3, "bn dbeta");
    free(buf), free(dbuf), free(y), free(dy), free(dx), free(c.gamma), free(c.beta), free(c.rm);
    free(c.rv), free(c.mean), free(c.rstd), free(c.r);
}

static void bn_fd(void **state) {
    (void)state;
    bn_case(1, 0);
    bn_case(1, 1);
    bn_case(0, 0);
    bn_case(0, 1);
}

// Running statistics: momentum 0.1, unbiased variance (torch.nn.BatchNorm2d).
static void bn_running_stats(void **state) {
    (void)state;
    // one channel, N=2, 1x2 spatial: values 1 2 3 6 -> mean 3, biased var 3.5, unbiased 14/3
    float x[4] = {1, 2, 3, 6}, mean, rstd, rm = 0.5f, rv = 2.f;
    nn_view v = nn_view_make(x, 2, 1, 1, 2, 1, 0);
    nn_bn_batch_stats(&v, &mean, &rstd, &rm, &rv);
    assert_close(mean, 3.0, 1e-6, 0, "batch mean");
    assert_close(rstd, 1 / sqrt(3.5 + 1e-5), 1e-6, 0, "batch rstd (biased var)");
    assert_close(rm, 0.9 * 0.5 + 0.1 * 3, 1e-6, 0, "running mean");
    assert_close(rv, 0.9 * 2 + 0.1 * 14.0 / 3, 1e-6, 0, "running var (unbiased)");
}

// ---- ReLU rule at a norm output ---------------------------------------------------------------
static void relu_backward_rules(void **state) {
    (void)state;
    // 2 samples (input, baseline), 1 channel, identity BN: a = x
    float x[4] = {2, -1, -3, 0.5f}, mean = 0, rstd = 1, gamma = 1, beta = 0;
    float dy[4] = {1, 1, 1, 1}, g[4];
    nn_view vx = nn_view_make(x, 2, 1, 1, 2, 1, 0), vdy = nn_view_make(dy, 2, 1, 1, 2, 1, 0);
    nn_view vg = nn_view_make(g, 2, 1, 1, 2, 1, 0);
    nn_relu_backward(&vx, &mean, &rstd, &gamma, &beta, NN_RELU_MASK, &vdy, &vg);
    assert_close(g[0], 1, 0, 0, "mask a>0");
    assert_close(g[1], 0, 0, 0, "mask a<0");
    nn_relu_backward(&vx, &mean, &rstd, &gamma, &beta, NN_RELU_RESCALE, &vdy, &vg);
    // pairs (2, -3): (2 - 0)/(2 + 3) = 0.4; (-1, 0.5): (0 - 0.5)/(-1.5) = 1/3
    assert_close(g[0], 0.4, 1e-6, 0, "rescale pair 0");
    assert_close(g[2], 0.4, 1e-6, 0, "rescale pair 0, baseline half");
    assert_close(g[1], 1.0 / 3, 1e-6, 0, "rescale pair 1");
}

// ---- pooling ------------------------------------------------------------------------------------
typedef struct pool_ctx {
    nn_view x, y;
    float *r;
    int kind; // 0 max, 1 avg, 2 gap
    float *g;
} pool_ctx;

static double pool_loss(void *v) {
    pool_ctx *c = v;
    if (c->kind == 0) nn_maxpool_forward(&c->x, &c->y);
    else if (c->kind == 1) nn_avgpool_forward(&c->x, &c->y);
    if (c->kind == 2) {
        nn_gap_forward(&c->x, c->g);
        return dot(c->g, c->r, (size_t)c->x.n * c->x.c);
    }
    return dot(c->y.p, c->r, (size_t)c->y.n * c->y.c * c->y.h * c->y.w);
}

static void pool_case(int kind, int h, int w) {
    const int N = 2, C = 8, cb = 8;
    int oh = kind == 0 ? (h - 1) / 2 + 1 : h / 2, ow = kind == 0 ? (w - 1) / 2 + 1 : w / 2;
    size_t nx = (size_t)N * C * h * w, ny = (size_t)N * C * oh * ow;
    pool_ctx c = {0};
    float *x = cx_malloc(4 * nx), *y = cx_malloc(4 * ny), *dx = cx_malloc(4 * nx);
    fill_normal(x, nx, 9, 1); // distinct values: no ties
    c.x = nn_view_make(x, N, C, h, w, cb, 0);
    c.y = nn_view_make(y, N, C, oh, ow, cb, 0);
    c.kind = kind;
    c.g = cx_malloc(4 * N * C);
    c.r = cx_malloc(4 * (kind == 2 ? (size_t)N * C : ny));
    fill_normal(c.r, kind == 2 ? (size_t)N * C : ny, 10, 1);
    pool_loss(&c);
    nn_view vdx = nn_view_make(dx, N, C, h, w, cb, 0);
    nn_view vdy = nn_view_make(c.r, N, C, oh, ow, cb, 0);
    if (kind == 0) nn_maxpool_backward(&c.x, &c.y, &vdy, &vdx, 0);
    else if (kind == 1) nn_avgpool_backward(&vdy, &vdx);
    else nn_gap_backward(c.r, &vdx, 0);
    fd_check(pool_loss, &c, x, nx, dx, 1e-3f, 2e-3,
             kind == 0 ? "maxpool" : kind == 1 ? "avgpool" : "global avg pool");
    free(x), free(y), free(dx), free(c.g), free(c.r);
}

static void pool_fd(void **state) {
    (void)state;
    pool_case(0, 7, 6);
    pool_case(1, 6, 4);
    pool_case(1, 5, 5); // floor: last row/column dropped
    pool_case(2, 3, 3);
}

// Max-pool ties: the first maximum in window order takes the gradient (PyTorch CPU).
static void maxpool_ties(void **state) {
    (void)state;
    float x[16] = {0}, y[4], dy[4] = {1, 1, 1, 1}, dx[16];
    nn_view vx = nn_view_make(x, 1, 1, 4, 4, 1, 0), vy = nn_view_make(y, 1, 1, 2, 2, 1, 0);
    nn_view vdy = nn_view_make(dy, 1, 1, 2, 2, 1, 0), vdx = nn_view_make(dx, 1, 1, 4, 4, 1, 0);
    nn_maxpool_forward(&vx, &vy);
    nn_maxpool_backward(&vx, &vy, &vdy, &vdx, 0);
    // windows start at (-1,-1), (-1,1), (1,-1), (1,1): first valid elements 0, 1, 4, 5
    assert_close(dx[0], 1, 0, 0, "tie -> first element of window 0");
    assert_close(dx[1], 1, 0, 0, "window 1");
    assert_close(dx[4], 1, 0, 0, "window 2");
    assert_close(dx[5], 1, 0, 0, "window 3");
}

// ---- concatenation: a layer's channels copied into its slot of a block buffer -----------------
static void concat_into_block(void **state) {
    (void)state;
    // block buffer [2, 48, 3, 3] nChw16c holding channels 0..31; append 16 new ones at 32
    const int N = 2, C0 = 32, G = 16, C = 48, h = 3, w = 3, hw = h * w;
    float *blk = cx_calloc((size_t)N * C * hw, 4), *newc = cx_malloc(4 * (size_t)N * G * hw);
    float *first = cx_malloc(4 * (size_t)N * C0 * hw), *all = cx_malloc(4 * (size_t)N * C * hw);
    fill_normal(first, (size_t)N * C0 * hw, 20, 1);
    fill_normal(newc, (size_t)N * G * hw, 21, 1);
    nn_view head = nn_view_make(blk, N, C0, h, w, 16, (size_t)C * hw);
    nn_view_from_nchw(first, &head); // NCHW -> first channels of the block
    float *newb = cx_malloc(4 * (size_t)N * G * hw);
    nn_view nb = nn_view_make(newb, N, G, h, w, 16, 0);
    nn_view_from_nchw(newc, &nb);
    nn_view slot = nn_view_make(blk + (size_t)C0 * hw, N, G, h, w, 16, (size_t)C * hw);
    nn_view_copy(&nb, &slot);
    nn_view full = nn_view_make(blk, N, C, h, w, 16, 0);
    nn_view_to_nchw(&full, all);
    // torch.cat([first, new], dim=1)
    for (int n = 0; n < N; n++) {
        assert_memory_equal(all + (size_t)n * C * hw, first + (size_t)n * C0 * hw, 4 * C0 * hw);
        assert_memory_equal(all + ((size_t)n * C + C0) * hw, newc + (size_t)n * G * hw, 4 * G * hw);
    }
    free(blk), free(newc), free(first), free(all), free(newb);
}

// ---- linear, gaze head --------------------------------------------------------------------------
typedef struct lin_ctx {
    float *g, *W, *b, *y, *r;
    int n, c, k;
} lin_ctx;

static double lin_loss(void *v) {
    lin_ctx *l = v;
    nn_linear_forward(l->g, l->W, l->b, l->n, l->c, l->k, l->y);
    return dot(l->y, l->r, (size_t)l->n * l->k);
}

static void linear_fd(void **state) {
    (void)state;
    lin_ctx l = {.n = 3, .c = 5, .k = 4};
    float g[15], W[20], b[4], y[12], r[12], dW[20], db[4], dg[15];
    l.g = g, l.W = W, l.b = b, l.y = y, l.r = r;
    fill_normal(g, 15, 11, 1), fill_normal(W, 20, 12, 1), fill_normal(b, 4, 13, 1);
    fill_normal(r, 12, 14, 1);
    nn_linear_backward(g, W, r, 3, 5, 4, dW, db, dg);
    fd_check(lin_loss, &l, W, 20, dW, 1e-2f, 1e-3, "linear dW");
    fd_check(lin_loss, &l, b, 4, db, 1e-2f, 1e-3, "linear db");
    fd_check(lin_loss, &l, g, 15, dg, 1e-2f, 1e-3, "linear dg");
}

typedef struct gaze_ctx {
    nn_view F;
    float *w, b, *gaze, *r;
} gaze_ctx;

static double gaze_loss(void *v) {
    gaze_ctx *c = v;
    nn_gaze_forward(&c->F, c->w, c->b, c->gaze);
    return dot(c->gaze, c->r, (size_t)c->F.n * c->F.h * c->F.w);
}

static void gaze_fd(void **state) {
    (void)state;
    const int N = 2, C = 16, h = 2, w = 3;
    size_t nF = (size_t)N * C * h * w, ng = (size_t)N * h * w;
    float *F = cx_malloc(4 * nF), *dF = cx_calloc(nF, 4);
    gaze_ctx c = {.F = nn_view_make(F, N, C, h, w, 8, 0)};
    c.w = cx_malloc(4 * C), c.gaze = cx_malloc(4 * ng), c.r = cx_malloc(4 * ng);
    fill_normal(F, nF, 15, 1), fill_normal(c.w, C, 16, 0.3), fill_normal(c.r, ng, 17, 1);
    c.b = 0.2f;
    gaze_loss(&c);
    float dw[16], db;
    nn_view vdF = nn_view_make(dF, N, C, h, w, 8, 0);
    nn_gaze_backward(&c.F, c.w, c.gaze, c.r, dw, &db, &vdF);
    fd_check(gaze_loss, &c, F, nF, dF, 1e-2f, 2e-3, "gaze head dF");
    fd_check(gaze_loss, &c, c.w, C, dw, 1e-2f, 2e-3, "gaze head dw");
    fd_check(gaze_loss, &c, &c.b, 1, &db, 1e-2f, 2e-3, "gaze head db");
    free(F), free(dF), free(c.w), free(c.gaze), free(c.r);
}

// ---- losses -------------------------------------------------------------------------------------
typedef struct loss_ctx {
    float *z, *y, *mask;
    uint8_t *has;
    int n, k, mse;
} loss_ctx;

static double loss_eval(void *v) {
    loss_ctx *c = v;
    return c->mse ? nn_gaze_mse(c->z, c->y, c->has, c->n, c->k, NULL)
                  : nn_bce_with_logits(c->z, c->y, c->mask, c->n, c->k, NULL);
}

static void losses_fd(void **state) {
    (void)state;
    float z[12] = {-30, -2, -0.5f, 0, 0.5f, 3, 40, 1, -1, 2, -2, 0.1f};
    float y[12] = {0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0};
    float mask[12] = {1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0};
    float dz[12];
    loss_ctx c = {z, y, mask, NULL, 3, 4, 0};
    double l = nn_bce_with_logits(z, y, mask, 3, 4, dz);
    // closed form: per-sample mean over unmasked labels, then mean over samples
    double l0 = (log1p(exp(-30.0)) + 2 + log1p(exp(-2.0)) + log1p(exp(-0.5)) + log(2.0)) / 4;
    double l1 = (3 + log1p(exp(-3.0)) + log1p(exp(-40.0)) + 1 + log1p(exp(-1.0))) / 3;
    double l2 = (1 + log1p(exp(-1.0)) + log1p(exp(-2.0)) + log1p(exp(-2.0))) / 3;
    assert_close(l, (l0 + l1 + l2) / 3, 1e-12, 0, "masked bce closed form");
    fd_check(loss_eval, &c, z, 12, dz, 1e-3f, 1e-3, "bce with logits (masked)");
    c.mask = NULL;
    nn_bce_with_logits(z, y, NULL, 3, 4, dz);
    fd_check(loss_eval, &c, z, 12, dz, 1e-3f, 1e-3, "bce with logits");
    // no mask: equals torch's mean over N*K; check one value by hand (z=0,y=1: log 2)
    float z1 = 0, y1 = 1;
    assert_close(nn_bce_with_logits(&z1, &y1, NULL, 1, 1, NULL), log(2.0), 1e-12, 0, "bce(0,1)");
    float z2 = 40, y2 = 0; // stable form: 40 + log1p(e^-40)
    assert_close(nn_bce_with_logits(&z2, &y2, NULL, 1, 1, NULL), 40.0, 1e-9, 0, "bce(40,0)");
    // gaze MSE: samples 0 and 2 have gaze
    float p[12], t[12], dp[12];
    uint8_t has[3] = {1, 0, 1};
    fill_normal(p, 12, 18, 1), fill_normal(t, 12, 19, 1);
    loss_ctx m = {p, t, NULL, has, 3, 4, 1};
    double mse = nn_gaze_mse(p, t, has, 3, 4, dp);
    double want = 0;
    for (int i = 0; i < 4; i++) want += (p[i] - t[i]) * (p[i] - t[i]) + (p[8 + i] - t[8 + i]) * (p[8 + i] - t[8 + i]);
    assert_close(mse, want / 8, 1e-6, 0, "gaze mse closed form");
    fd_check(loss_eval, &m, p, 12, dp, 1e-3f, 1e-3, "gaze mse");
    uint8_t none[3] = {0, 0, 0};
    assert_close(nn_gaze_mse(p, t, none, 3, 4, dp), 0, 0, 0, "no gaze -> 0");
    assert_close(dp[5], 0, 0, 0, "no gaze -> zero gradient");
}

// ---- Adam: two steps by hand --------------------------------------------------------------------
static void adam_closed_form(void **state) {
    (void)state;
    float p[2] = {1.0f, -0.5f}, g1[2] = {0.2f, -3.0f}, g2[2] = {-0.1f, 1.0f};
    nn_adam opt;
    nn_adam_init(&opt, 2, 0.01f);
    nn_adam_step(&opt, p, g1);
    nn_adam_step(&opt, p, g2);
    for (int i = 0; i < 2; i++) {
        double m = 0, v = 0, q = i ? -0.5 : 1.0, gs[2] = {g1[i], g2[i]};
        for (int t = 1; t <= 2; t++) {
            m = 0.9 * m + 0.1 * gs[t - 1];
            v = 0.999 * v + 0.001 * gs[t - 1] * gs[t - 1];
            double mh = m / (1 - pow(0.9, t)), vh = sqrt(v) / sqrt(1 - pow(0.999, t));
            q -= 0.01 * mh / (vh + 1e-8);
        }
        assert_close(p[i], q, 1e-6, 1e-7, "adam parameter after 2 steps");
    }
    // step 1 of Adam moves every parameter by lr in the direction of -sign(g)
    assert_int_equal(opt.step, 2);
    nn_adam_free(&opt);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv_fd),        cmocka_unit_test(bn_fd),
        cmocka_unit_test(bn_running_stats), cmocka_unit_test(relu_backward_rules),
        cmocka_unit_test(pool_fd),        cmocka_unit_test(maxpool_ties),
        cmocka_unit_test(concat_into_block),
        cmocka_unit_test(linear_fd),      cmocka_unit_test(gaze_fd),
        cmocka_unit_test(losses_fd),      cmocka_unit_test(adam_closed_form),
    };
    return cmocka_run_group_tests_name("nn/ops", tests, NULL, NULL);
}
