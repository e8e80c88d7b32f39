// nn internals, shared by the files of src/nn only (nn.h is the module's public face).
// Kernels on channel-blocked activation views (kernels.c), the oneDNN convolution wrapper
// (dnnl_ops.c: every oneDNN call of the project lives there), network and plan structures.
#ifndef CX_NN_INTERNAL_H
#define CX_NN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "nn/nn.h"

#define NN_BN_EPS 1e-5f
#define NN_BN_MOMENTUM 0.1f
#define NN_DL_EPS 1e-10f // DeepLift: plain gradient where |a - a'| < eps (Captum's default)

// ---- activation views --------------------------------------------------------------------
// Activations use oneDNN's channel-blocked layout aBcd<cb>b (cb = 16: nChw16c; cb = 1: NCHW).
// Element (n, c, s), s = y*w + x, sits at p[n*ns + (c/cb)*hw*cb + s*cb + c%cb]. Channel counts
// of views are multiples of cb, so the first C channels of a dense-block buffer [N,Cmax,h,w]
// are a view with the buffer's sample stride ns = Cmax*hw: zero-copy for our own kernels.
typedef struct nn_view {
    void *p;   // float, or uint16_t bf16 when bf16 != 0
    int bf16;
    int n, c, h, w, cb;
    size_t ns; // sample stride in elements
} nn_view;

static inline nn_view nn_view_make(void *p, int n, int c, int h, int w, int cb, size_t ns) {
    nn_view v = {p, 0, n, c, h, w, cb, ns ? ns : (size_t)c * h * w};
    return v;
}
// Element offset of (n, c, s).
static inline size_t nn_vidx(const nn_view *v, int n, int c, int s) {
    size_t hw = (size_t)v->h * v->w;
    return (size_t)n * v->ns + (size_t)(c / v->cb) * hw * v->cb + (size_t)s * v->cb + c % v->cb;
}
static inline float nn_vget(const nn_view *v, size_t i) {
    return v->bf16 ? cx_bf16_to_f32(((const uint16_t *)v->p)[i]) : ((const float *)v->p)[i];
}
static inline void nn_vset(const nn_view *v, size_t i, float x) {
    if (v->bf16)
        ((uint16_t *)v->p)[i] = cx_f32_to_bf16(x);
    else
        ((float *)v->p)[i] = x;
}

// ReLU backward rules of the fused BN+ReLU backward.
enum { NN_RELU_NONE = 0, NN_RELU_MASK = 1, NN_RELU_RESCALE = 2 };

// ---- kernels (kernels.c), OpenMP over channel blocks ----------------------------------------
// Batch statistics (PyTorch BatchNorm2d training): mean[c], rstd[c] = 1/sqrt(var_biased + eps);
// when run_mean != NULL: running = (1-momentum)*running + momentum*(mean | unbiased var).
void nn_bn_batch_stats(const nn_view *x, float *mean, float *rstd, float *run_mean,
                       float *run_var);
// The same in two steps, so that moments of a dense-block channel, computed once when the
// channel is written, serve every later BN that normalises it: per channel of x the mean and
// the sum of squared deviations m2 (two-pass, double); then mean, rstd and the running update
// of c channels from moments over count = N*h*w values.
void nn_bn_moments(const nn_view *x, double *mean, double *m2);
void nn_bn_from_moments(int c, const double *mean, const double *m2, double count, float *mean_out,
                        float *rstd, float *run_mean, float *run_var);
void nn_bn_eval_stats(int c, const float *run_mean, const float *run_var, float *mean,
                      float *rstd);
// y = gamma*(x-mean)*rstd + beta, then ReLU when relu != 0. y: view of x's shape (fp32/bf16).
void nn_bn_apply(const nn_view *x, const float *mean, const float *rstd, const float *gamma,
                 const float *beta, int relu, const nn_view *y);
// Backward of y = [relu](bn(x)) given dy (fp32 view). train: batch statistics were used (the
// gradient flows through mean and var); eval: running statistics (affine per channel).
// relu_rule: NN_RELU_NONE | MASK (a>0) | RESCALE (DeepLift: samples n and n±N/2 are input and
// baseline). dgamma/dbeta written when non-NULL. dx: view (fp32/bf16), += when accumulate.
void nn_bn_backward(const nn_view *x, const float *mean, const float *rstd, const float *gamma,
                    const float *beta, int relu_rule, int train, const nn_view *dy,
                    float *dgamma, float *dbeta, const nn_view *dx, int accumulate);
// g = dy * (ReLU rule's factor at a = bn(x)): the gradient at a norm layer's pre-ReLU output.
void nn_relu_backward(const nn_view *x, const float *mean, const float *rstd, const float *gamma,
                      const float *beta, int relu_rule, const nn_view *dy, const nn_view *g);
// Max-pool 3x3, stride 2, pad 1 (torchvision pool0). y: [N,C,(h-1)/2+1,(w-1)/2+1].
// Ties: the first maximum in window order gets the gradient, as PyTorch's CPU kernel.
void nn_maxpool_forward(const nn_view *x, const nn_view *y);
// dx overwritten. deeplift: Captum's DeepLift max-pool rule (samples n, n±N/2 paired).
void nn_maxpool_backward(const nn_view *x, const nn_view *y, const nn_view *dy,
                         const nn_view *dx, int deeplift);
// Average pool 2x2 stride 2 (transitions), floor mode.
void nn_avgpool_forward(const nn_view *x, const nn_view *y);
void nn_avgpool_backward(const nn_view *dy, const nn_view *dx);
// Global average pool: g [N,C]; backward dx (+)= dg/(h*w).
void nn_gap_forward(const nn_view *x, float *g);
void nn_gap_backward(const float *dg, const nn_view *dx, int accumulate);
// Linear: y [N,K] = g [N,C] W^T + b; W [K,C]. Backward: dW, db overwritten (if non-NULL),
// dg [N,C] overwritten (if non-NULL).
void nn_linear_forward(const float *g, const float *W, const float *b, int n, int c, int k,
                       float *y);
void nn_linear_backward(const float *g, const float *W, const float *dy, int n, int c, int k,
                        float *dW, float *db, float *dg);
// Gaze head: gaze [N,1,h,w] = sigmoid(sum_c w[c] F[n,c] + b). Backward from dgaze: dw, db
// overwritten when non-NULL, dF += (dgaze * s(1-s)) w[c].
void nn_gaze_forward(const nn_view *F, const float *w, float b, float *gaze);
void nn_gaze_backward(const nn_view *F, const float *w, const float *gaze, const float *dgaze,
                      float *dw, float *db, const nn_view *dF);
// Input gradient of a convolution with ic <= 4 input channels (conv0): dx [n_out,ic,h,wd] NCHW
// fp32 (overwritten) from dy (the first n_out samples of a [N,OC,oh,ow] view, fp32 or bf16) and
// OIHW fp32 weights w [OC,ic,k,k] (rounded to bf16 first when bf16_weights, as the bf16 forward
// saw them). Used instead of oneDNN's backward-data, which is slow for 3 channels.
void nn_conv_input_grad(const nn_view *dy, const float *w, int ic, int k, int stride, int pad,
                        int bf16_weights, int n_out, float *dx, int h, int wd);
// Element-wise copy between views of the same shape (any cb / dtype).
void nn_view_copy(const nn_view *src, const nn_view *dst);
// To / from plain NCHW fp32.
void nn_view_to_nchw(const nn_view *v, float *out);
void nn_view_from_nchw(const float *in, const nn_view *v);

// ---- oneDNN convolution (dnnl_ops.c) -------------------------------------------------------
typedef struct nn_conv_shape {
    int n, ic, ih, iw, oc, oh, ow, k, stride, pad;
} nn_conv_shape;
typedef struct nn_conv nn_conv;
// src: aBcd<src_cb>b in bf16 (bf16 != 0) or fp32; dst: aBcd<dst_cb>b fp32; diff_dst: as dst but
// in the compute type; diff_src as src but fp32. Weights live in each primitive's own layout
// (bf16 copies in bf16 plans), converted from / to the flat OIHW fp32 tensors by
// nn_convs_weights; with a weight table wt, the forward and backward-data layouts of the OIHW
// tensor oihw are the table's (shared by every conv of that tensor and layout, on huge pages;
// NULL: own).
// *scratch_bytes: raised to what this conv's calls need of the plan's scratch area (layout
// copies of their arguments, then oneDNN's scratchpad).
typedef struct nn_wtable nn_wtable;
nn_wtable *nn_wtable_create(void);
void nn_wtable_free(nn_wtable *t); // after the convs that use it
int nn_conv_create(nn_conv **out, const nn_conv_shape *s, int src_cb, int dst_cb, int bf16,
                   int bwd_data, int bwd_weights, nn_wtable *wt, const float *oihw,
                   size_t *scratch_bytes, cx_error *err);
void nn_conv_free(nn_conv *c);
// Weight conversions for n convolutions at once (one parallel region): NN_W_FWD: OIHW ->
// forward layout (before forwards), NN_W_BWD_DATA: OIHW -> backward-data layout (before
// backward-data), NN_W_DIFF: the last backward-weights result -> OIHW gradient (overwrites).
enum { NN_W_FWD, NN_W_BWD_DATA, NN_W_DIFF };
void nn_convs_weights(nn_conv **convs, float **oihw, int n, int which);
int nn_conv_forward(nn_conv *c, const void *src, float *dst, void *scratch, cx_error *err);
int nn_conv_backward_data(nn_conv *c, const void *diff_dst, float *diff_src, void *scratch,
                          cx_error *err);
int nn_conv_backward_weights(nn_conv *c, const void *src, const void *diff_dst, void *scratch,
                             cx_error *err);
const char *nn_conv_impl(const nn_conv *c); // oneDNN implementation name of the forward
// Tests: AUTO's "slow call" thresholds (defaults 5 ms, 60 GFLOP/s).
void nn_wgrad_auto_thresholds(double min_ms, double min_gflops);
// Largest channel block (16, 8, 1) dividing every count in chans[0..n).
int nn_pick_cb(const int *chans, int n);

// ---- network -------------------------------------------------------------------------------
typedef struct nn_bn_ref {
    float *gamma, *beta, *run_mean, *run_var, *dgamma, *dbeta;
    int64_t *count;
    int c;
} nn_bn_ref;

typedef struct nn_layer_ref { // one dense layer
    nn_bn_ref norm1, norm2;
    float *conv1, *dconv1; // [bn_size*growth, C_in, 1, 1]
    float *conv2, *dconv2; // [growth, bn_size*growth, 3, 3]
    int c_in;
} nn_layer_ref;

struct densenet {
    densenet_config cfg;
    int nt;
    nn_tensor_info *t;
    float *params, *grads, *buffers;
    int64_t *counters;
    size_t n_params, n_buffers, n_counters;
    // structure (pointers into the flat buffers)
    float *conv0, *dconv0; // [init, 3, 7, 7]
    nn_bn_ref norm0, norm5;
    int block_layers[NN_MAX_BLOCKS], block_c_in[NN_MAX_BLOCKS], block_c_out[NN_MAX_BLOCKS];
    nn_layer_ref *layers[NN_MAX_BLOCKS];
    nn_bn_ref trans_norm[NN_MAX_BLOCKS - 1];
    float *trans_conv[NN_MAX_BLOCKS - 1], *dtrans_conv[NN_MAX_BLOCKS - 1];
    float *cls_w, *cls_b, *dcls_w, *dcls_b;     // [K, C], [K]
    float *gaze_w, *gaze_b, *dgaze_w, *dgaze_b; // [1, C, 1, 1], [1]
    int c_final;
    int n_layers_total;
    // Weight generation: bumped whenever the weights may have changed (see densenet_weights_changed
    // in nn.h). Behind a pointer so the const accessors that hand out writable tensors bump it too.
    uint64_t *wgen;
};

// ---- plans (plan.c: create, forward; backward.c: backward, taps) -------------------------
// Scratch sizes (elements) of the shared buffers, the largest any layer asks for, and the
// oneDNN scratchpad (bytes).
typedef struct plan_sizes {
    size_t act, dact, tmp, d32, sp;
} plan_sizes;

// Memory shared by the plans created in it (nn.h): one pass's activations and scratch.
struct nn_arena {
    char *base;
    size_t bytes;
    uint64_t passes;    // forwards run in it; a plan's backward needs its own to be the last
    nn_wtable *weights; // the plans' primitive-layout weights
};

typedef struct plan_bn { // saved statistics of one BN (batch or running), [c]
    float *mean, *rstd;
} plan_bn;

typedef struct plan_layer {
    nn_conv *conv1, *conv2;
    plan_bn s1, s2;
    float *b1; // conv1 output [N, bn_size*growth, h, w] (blocked), kept for backward
} plan_layer;

typedef enum {
    TAP_NONE, TAP_CONV0, TAP_NORM0, TAP_POOL0, TAP_BLOCK, TAP_CONV1, TAP_NORM2, TAP_CONV2,
    TAP_TCONV, TAP_TPOOL, TAP_NORM5, TAP_RELU5
} tap_kind;

struct densenet_plan {
    densenet *net;
    int N, H, W, cb, bf16, train, K;
    nn_precision prec;
    nn_mode mode;
    int h0, w0;                              // conv0 output (H/2)
    int bh[NN_MAX_BLOCKS], bw[NN_MAX_BLOCKS]; // dense-block spatial sizes
    int fh, fw;                              // final feature map
    nn_conv *conv0, *tconv[NN_MAX_BLOCKS - 1];
    nn_conv **convs;               // all of them, with their OIHW weights and gradients
    float **conv_w, **conv_dw;
    int n_conv;
    plan_bn s0, st[NN_MAX_BLOCKS - 1], s5;
    plan_layer *layers[NN_MAX_BLOCKS];
    void *x_c;                     // [N,3,H,W] conv0 source copy (compute type, NCHW)
    float *c0;                     // [N,64,h0,w0] conv0 output
    float *block[NN_MAX_BLOCKS];   // [N,Cout_b,bh,bw] dense-block buffers (concatenation)
    double *bmean[NN_MAX_BLOCKS], *bm2[NN_MAX_BLOCKS]; // training: batch moments of their channels
    float *dblock[NN_MAX_BLOCKS];  // their gradients
    float *F, *dF;                 // [N,C,fh,fw] relu5 output and its gradient
    float *g, *dg;                 // [N,C] pooled features
    float *logits, *dlogits;       // [N,K]
    float *gaze, *dgaze;           // [N,fh*fw]
    // scratch, reused layer after layer (sizes: the maximum over layers)
    void *act;    // BN+ReLU outputs feeding a convolution (compute type)
    void *dact;   // gradients at convolution outputs (compute type)
    float *tmp;   // fp32 activations not kept: conv2 / transition conv outputs, relu0 output
    float *d32;   // fp32 gradients from convolution backward-data
    void *scratchpad;
    size_t scratchpad_bytes;
    // The buffers above (x_c .. scratchpad, block, dblock, layers' b1) lie in one area: the
    // plan's own, or its arena's (placed again at each forward: the arena may have grown).
    plan_sizes z;
    size_t area_bytes;
    void *own_area;
    nn_wtable *own_weights;  // a plan without an arena: its converted weights' table
    nn_arena *arena;
    uint64_t arena_pass; // the arena's pass count at this plan's last forward
    int ran_forward;
    // weight generation the primitive-layout copies were converted at (0: never); evaluation
    // plans convert again only when the network's generation moved
    uint64_t wgen_fwd, wgen_bwd;
    // tap
    tap_kind tap;
    int tap_b, tap_l;
    char tap_name[96];
    float *tap_act, *tap_grad; // NCHW fp32
    int64_t tap_shape[4];
    int tap_has_act, tap_has_grad;
};

// Views on the plan's buffers.
static inline nn_view plan_view(const densenet_plan *p, void *ptr, int c, int h, int w,
                                size_t ns, int bf16) {
    nn_view v = nn_view_make(ptr, p->N, c, h, w, p->cb, ns);
    v.bf16 = bf16;
    return v;
}

// Copies v into the tap's activation or gradient buffer (NCHW fp32).
void plan_tap_store(densenet_plan *p, const nn_view *v, int grad);

#endif
