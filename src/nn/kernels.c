// Memory-bound layers on channel-blocked views (see nn_internal.h), written here rather than
// with oneDNN because they read channel prefixes of the dense-block buffers in place (oneDNN
// runs such strided views on reference kernels) and fuse BN with ReLU and DeepLift's rules.
// Forward and backward of each layer side by side. OpenMP over channel blocks (and samples).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

#define MAX_CB 16

static inline float *fptr(const nn_view *v) { return (float *)v->p; }

// ---- batch normalisation (+ ReLU) ----------------------------------------------------------
// Ioffe & Szegedy 2015; statistics, eps and running update as torch.nn.BatchNorm2d.
// Per-lane sums of one row (hw positions of CB lanes) of x, or of (x - mu)^2 when mu != NULL;
// float within the row, double across rows.
static inline __attribute__((always_inline)) void stats_row(const float *restrict p, int hw,
                                                            int CB, const double *mu,
                                                            double *acc) {
    float s[MAX_CB] = {0}, m[MAX_CB];
    for (int j = 0; j < CB; j++) m[j] = mu ? (float)mu[j] : 0.f;
    for (int q = 0; q < hw; q++) {
#pragma omp simd
        for (int j = 0; j < CB; j++) {
            float v = p[q * CB + j] - m[j];
            s[j] += mu ? v * v : v;
        }
    }
    for (int j = 0; j < CB; j++) acc[j] += s[j];
}

void nn_bn_moments(const nn_view *x, double *mean, double *m2) {
    CX_ASSERT(!x->bf16);
    const int cb = x->cb, nb = x->c / cb, hw = x->h * x->w;
    const double m = (double)x->n * hw;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < nb; b++) {
        double s1[MAX_CB] = {0}, s2[MAX_CB] = {0};
        for (int n = 0; n < x->n; n++) {
            const float *p = fptr(x) + nn_vidx(x, n, b * cb, 0);
            if (cb == 16) stats_row(p, hw, 16, NULL, s1);
            else stats_row(p, hw, cb, NULL, s1);
        }
        for (int j = 0; j < cb; j++) s1[j] /= m; // mean
        for (int n = 0; n < x->n; n++) { // two-pass variance
            const float *p = fptr(x) + nn_vidx(x, n, b * cb, 0);
            if (cb == 16) stats_row(p, hw, 16, s1, s2);
            else stats_row(p, hw, cb, s1, s2);
        }
        for (int j = 0; j < cb; j++) mean[b * cb + j] = s1[j], m2[b * cb + j] = s2[j];
    }
}

void nn_bn_from_moments(int c, const double *mean, const double *m2, double count, float *mean_out,
                        float *rstd, float *run_mean, float *run_var) {
    for (int i = 0; i < c; i++) {
        double var = m2[i] / count;
        mean_out[i] = (float)mean[i];
        rstd[i] = (float)(1.0 / sqrt(var + NN_BN_EPS));
        if (run_mean) {
            double unbiased = count > 1 ? m2[i] / (count - 1) : var;
            run_mean[i] = (float)((1 - NN_BN_MOMENTUM) * run_mean[i] + NN_BN_MOMENTUM * mean[i]);
            run_var[i] = (float)((1 - NN_BN_MOMENTUM) * run_var[i] + NN_BN_MOMENTUM * unbiased);
        }
    }
}

void nn_bn_batch_stats(const nn_view *x, float *mean, float *rstd, float *run_mean,
                       float *run_var) {
    double *mu = cx_malloc(sizeof(double) * 2 * (size_t)x->c), *m2 = mu + x->c;
    nn_bn_moments(x, mu, m2);
    nn_bn_from_moments(x->c, mu, m2, (double)x->n * x->h * x->w, mean, rstd, run_mean, run_var);
    free(mu);
}

void nn_bn_eval_stats(int c, const float *run_mean, const float *run_var, float *mean,
                      float *rstd) {
    for (int i = 0; i < c; i++) {
        mean[i] = run_mean[i];
        rstd[i] = (float)(1.0 / sqrt((double)run_var[i] + NN_BN_EPS));
    }
}

#define ALWAYS_INLINE static inline __attribute__((always_inline))

// One row (sample n, one channel block) of y = [relu](x*sc + sh): hw positions of CB lanes.
// Called with CB = 16 as a literal so the lane loop becomes one vector.
ALWAYS_INLINE void bn_apply_row(const float *restrict px, float *restrict py, const float *sc,
                                const float *sh, int hw, int CB, int relu) {
    for (int s = 0; s < hw; s++) {
#pragma omp simd
        for (int j = 0; j < CB; j++) {
            float v = px[s * CB + j] * sc[j] + sh[j];
            py[s * CB + j] = relu && v < 0.f ? 0.f : v;
        }
    }
}

ALWAYS_INLINE void bn_apply_row_bf16(const float *restrict px, uint16_t *restrict py,
                                     const float *sc, const float *sh, int hw, int CB, int relu) {
    for (int s = 0; s < hw; s++) {
#pragma omp simd
        for (int j = 0; j < CB; j++) {
            float v = px[s * CB + j] * sc[j] + sh[j];
            py[s * CB + j] = cx_f32_to_bf16(relu && v < 0.f ? 0.f : v);
        }
    }
}

void nn_bn_apply(const nn_view *x, const float *mean, const float *rstd, const float *gamma,
                 const float *beta, int relu, const nn_view *y) {
    CX_ASSERT(!x->bf16 && x->cb == y->cb && x->c == y->c && x->n == y->n);
    const int cb = x->cb, nb = x->c / cb, hw = x->h * x->w, n_s = x->n;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < nb; b++)
        for (int n = 0; n < n_s; n++) {
            float sc[MAX_CB], sh[MAX_CB];
            for (int j = 0; j < cb; j++) {
                int c = b * cb + j;
                sc[j] = gamma[c] * rstd[c];
                sh[j] = beta[c] - mean[c] * sc[j];
            }
            const float *px = fptr(x) + nn_vidx(x, n, b * cb, 0);
            size_t oy = nn_vidx(y, n, b * cb, 0);
            if (y->bf16) {
                uint16_t *py = (uint16_t *)y->p + oy;
                if (cb == 16 && relu) bn_apply_row_bf16(px, py, sc, sh, hw, 16, 1);
                else bn_apply_row_bf16(px, py, sc, sh, hw, cb, relu);
            } else {
                float *py = fptr(y) + oy;
                if (cb == 16 && relu) bn_apply_row(px, py, sc, sh, hw, 16, 1);
                else if (cb == 16) bn_apply_row(px, py, sc, sh, hw, 16, 0);
                else bn_apply_row(px, py, sc, sh, hw, cb, relu);
            }
        }
}

static inline float relu0(float v) { return v > 0.f ? v : 0.f; }

// dL/da for a = bn(x) at one element: dy times the ReLU rule's factor.
static inline float relu_factor(int rule, float a, float a_partner) {
    if (rule == NN_RELU_NONE) return 1.f;
    if (rule == NN_RELU_MASK) return a > 0 ? 1.f : 0.f;
    // DeepLift Rescale (Shrikumar et al. 2017): (relu(a) - relu(a')) / (a - a'), plain
    // gradient where the difference vanishes (Captum's nonlinear rule, eps 1e-10).
    float d = a - a_partner;
    if (fabsf(d) < NN_DL_EPS) return a > 0 ? 1.f : 0.f;
    return (relu0(a) - relu0(a_partner)) / d;
}

// Backward pass 1 for one row with the plain ReLU mask (relu != 0) or no ReLU:
// sums of g and g*(x - mean) per lane.
ALWAYS_INLINE void bn_bwd_sums_row(const float *restrict px, const float *restrict pd,
                                   const float *sc, const float *sh, const float *mu, int hw,
                                   int CB, int relu, double *sg, double *sgx) {
    float s1[MAX_CB] = {0}, s2[MAX_CB] = {0};
    for (int s = 0; s < hw; s++) {
#pragma omp simd
        for (int j = 0; j < CB; j++) {
            int i = s * CB + j;
            float xv = px[i], d = pd[i]; // loaded unconditionally: lets the lane loop vectorise
            float a = xv * sc[j] + sh[j];
            float g = relu && a <= 0.f ? 0.f : d;
            s1[j] += g;
            s2[j] += g * (xv - mu[j]);
        }
    }
    for (int j = 0; j < CB; j++) sg[j] += s1[j], sgx[j] += s2[j];
}

// Backward pass 2 for one row: dx = gr*(g - k1 - (x - mean)*k2), stored as mode says
// (0 overwrite fp32, 1 accumulate fp32, 2 bf16).
ALWAYS_INLINE void bn_bwd_dx_row(const float *restrict px, const float *restrict pd,
                                 const float *sc, const float *sh, const float *mu,
                                 const float *gr, const float *k1, const float *k2, int hw,
                                 int CB, int relu, int mode, void *restrict out) {
    for (int s = 0; s < hw; s++) {
#pragma omp simd
        for (int j = 0; j < CB; j++) {
            int i = s * CB + j;
            float xv = px[i], d = pd[i];
            float a = xv * sc[j] + sh[j];
            float g = relu && a <= 0.f ? 0.f : d;
            float v = gr[j] * (g - k1[j] - (xv - mu[j]) * k2[j]);
            if (mode == 2) ((uint16_t *)out)[i] = cx_f32_to_bf16(v);
            else if (mode == 1) ((float *)out)[i] += v;
            else ((float *)out)[i] = v;
        }
    }
}

void nn_bn_backward(const nn_view *x, const float *mean, const float *rstd, const float *gamma,
                    const float *beta, int relu_rule, int train, const nn_view *dy,
                    float *dgamma, float *dbeta, const nn_view *dx, int accumulate) {
    CX_ASSERT(!x->bf16 && !dy->bf16 && x->cb == dy->cb && x->cb == dx->cb);
    CX_ASSERT(!(accumulate && dx->bf16));
    const int cb = x->cb, nb = x->c / cb, hw = x->h * x->w, N = x->n, half = N / 2;
    const double m = (double)N * hw;
    const int fast = relu_rule != NN_RELU_RESCALE, relu = relu_rule == NN_RELU_MASK;
    const int mode = dx->bf16 ? 2 : accumulate ? 1 : 0;
    CX_ASSERT(relu_rule != NN_RELU_RESCALE || N % 2 == 0);
#pragma omp parallel for schedule(static)
    for (int b = 0; b < nb; b++) {
        float sc[MAX_CB], sh[MAX_CB], k1[MAX_CB], k2[MAX_CB], gr[MAX_CB];
        double sg[MAX_CB] = {0}, sgx[MAX_CB] = {0};
        const float *mu = mean + b * cb;
        for (int j = 0; j < cb; j++) {
            int c = b * cb + j;
            sc[j] = gamma[c] * rstd[c];
            sh[j] = beta[c] - mean[c] * sc[j];
        }
        // pass 1: sums of g and g*xhat per channel
        for (int n = 0; n < N; n++) {
            const int np = relu_rule == NN_RELU_RESCALE ? (n < half ? n + half : n - half) : n;
            const float *px = fptr(x) + nn_vidx(x, n, b * cb, 0);
            const float *pp = fptr(x) + nn_vidx(x, np, b * cb, 0);
            const float *pd = fptr(dy) + nn_vidx(dy, n, b * cb, 0);
            if (fast && cb == 16 && relu) {
                bn_bwd_sums_row(px, pd, sc, sh, mu, hw, 16, 1, sg, sgx);
            } else if (fast) {
                bn_bwd_sums_row(px, pd, sc, sh, mu, hw, cb, relu, sg, sgx);
            } else {
                for (int s = 0; s < hw; s++)
                    for (int j = 0; j < cb; j++) {
                        int i = s * cb + j;
                        float a = px[i] * sc[j] + sh[j];
                        float g = pd[i] * relu_factor(relu_rule, a, pp[i] * sc[j] + sh[j]);
                        sg[j] += g;
                        sgx[j] += (double)g * (px[i] - mu[j]);
                    }
            }
        }
        for (int j = 0; j < cb; j++) {
            int c = b * cb + j;
            double sgxhat = sgx[j] * rstd[c];
            if (dgamma) dgamma[c] = (float)sgxhat;
            if (dbeta) dbeta[c] = (float)sg[j];
            gr[j] = gamma[c] * rstd[c];
            // train: dx = gamma*rstd*(g - mean(g) - xhat*mean(g*xhat))
            k1[j] = train ? (float)(sg[j] / m) : 0.f;
            k2[j] = train ? (float)(sgxhat / m * rstd[c]) : 0.f; // times (x - mean)
        }
        // pass 2: dx
        for (int n = 0; n < N; n++) {
            const int np = relu_rule == NN_RELU_RESCALE ? (n < half ? n + half : n - half) : n;
            const float *px = fptr(x) + nn_vidx(x, n, b * cb, 0);
            const float *pp = fptr(x) + nn_vidx(x, np, b * cb, 0);
            const float *pd = fptr(dy) + nn_vidx(dy, n, b * cb, 0);
            size_t ox = nn_vidx(dx, n, b * cb, 0);
            void *out = (char *)dx->p + ox * (dx->bf16 ? 2 : 4);
            if (fast && cb == 16 && relu) {
                if (mode == 0) bn_bwd_dx_row(px, pd, sc, sh, mu, gr, k1, k2, hw, 16, 1, 0, out);
                else if (mode == 1) bn_bwd_dx_row(px, pd, sc, sh, mu, gr, k1, k2, hw, 16, 1, 1, out);
                else bn_bwd_dx_row(px, pd, sc, sh, mu, gr, k1, k2, hw, 16, 1, 2, out);
            } else if (fast) {
                bn_bwd_dx_row(px, pd, sc, sh, mu, gr, k1, k2, hw, cb, relu, mode, out);
            } else {
                for (int s = 0; s < hw; s++)
                    for (int j = 0; j < cb; j++) {
                        int i = s * cb + j;
                        float a = px[i] * sc[j] + sh[j];
                        float g = pd[i] * relu_factor(relu_rule, a, pp[i] * sc[j] + sh[j]);
                        float v = gr[j] * (g - k1[j] - (px[i] - mu[j]) * k2[j]);
                        if (mode == 2) ((uint16_t *)out)[i] = cx_f32_to_bf16(v);
                        else if (mode == 1) ((float *)out)[i] += v;
                        else ((float *)out)[i] = v;
                    }
            }
        }
    }
}

void nn_relu_backward(const nn_view *x, const float *mean, const float *rstd, const float *gamma,
                      const float *beta, int relu_rule, const nn_view *dy, const nn_view *g) {
    const int cb = x->cb, nb = x->c / cb, hw = x->h * x->w, N = x->n, half = N / 2;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < nb; b++)
        for (int n = 0; n < N; n++) {
            const int np = relu_rule == NN_RELU_RESCALE ? (n < half ? n + half : n - half) : n;
            const float *px = fptr(x) + nn_vidx(x, n, b * cb, 0);
            const float *pp = fptr(x) + nn_vidx(x, np, b * cb, 0);
            const float *pd = fptr(dy) + nn_vidx(dy, n, b * cb, 0);
            float *pg = fptr(g) + nn_vidx(g, n, b * cb, 0);
            for (int s = 0; s < hw; s++)
                for (int j = 0; j < cb; j++) {
                    int i = s * cb + j, c = b * cb + j;
                    float sc = gamma[c] * rstd[c], sh = beta[c] - mean[c] * sc;
                    pg[i] = pd[i] * relu_factor(relu_rule, px[i] * sc + sh, pp[i] * sc + sh);
                }
        }
}

// ---- pooling -------------------------------------------------------------------------------
// Window (oy, ox) of the 3x3/2 pad-1 max-pool over one plane of CB lanes: per lane the value
// and plane index s of the first maximum in window order (PyTorch's CPU kernel: strict >,
// NaN wins). The lane loop vectorises.
ALWAYS_INLINE void maxpool_window(const float *restrict px, int h, int w, int CB, int oy, int ox,
                                  float *best, int *arg) {
    for (int j = 0; j < CB; j++) best[j] = -INFINITY, arg[j] = -1;
    for (int ky = 0; ky < 3; ky++) {
        int iy = oy * 2 - 1 + ky;
        if (iy < 0 || iy >= h) continue;
        for (int kx = 0; kx < 3; kx++) {
            int ix = ox * 2 - 1 + kx, s = iy * w + ix;
            if (ix < 0 || ix >= w) continue;
            const float *q = px + (size_t)s * CB;
#pragma omp simd
            for (int j = 0; j < CB; j++) {
                float v = q[j];
                int take = v > best[j] || arg[j] < 0 || v != v;
                best[j] = take ? v : best[j];
                arg[j] = take ? s : arg[j];
            }
        }
    }
}

static void maxpool_plane(const float *px, float *py, const float *pd, float *pdx, int h, int w,
                          int oh, int ow, int cb) {
    float best[MAX_CB];
    int arg[MAX_CB];
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            if (cb == 16) maxpool_window(px, h, w, 16, oy, ox, best, arg);
            else maxpool_window(px, h, w, cb, oy, ox, best, arg);
            int o = (oy * ow + ox) * cb;
            if (py)
                for (int j = 0; j < cb; j++) py[o + j] = best[j];
            if (pdx)
                for (int j = 0; j < cb; j++) pdx[arg[j] * cb + j] += pd[o + j];
        }
}

void nn_maxpool_forward(const nn_view *x, const nn_view *y) {
    CX_ASSERT(!x->bf16 && !y->bf16 && x->cb == y->cb);
    const int cb = x->cb, nb = x->c / cb;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < nb; b++)
        for (int n = 0; n < x->n; n++)
            maxpool_plane(fptr(x) + nn_vidx(x, n, b * cb, 0), fptr(y) + nn_vidx(y, n, b * cb, 0),
                          NULL, NULL, x->h, x->w, y->h, y->w, cb);
}

void nn_maxpool_backward(const nn_view *x, const nn_view *y, const nn_view *dy,
                         const nn_view *dx, int deeplift) {
    CX_ASSERT(!dx->bf16 && !dy->bf16 && x->cb == dx->cb);
    const int cb = x->cb, nb = x->c / cb, hw = x->h * x->w, N = x->n, half = N / 2;
    CX_ASSERT(!deeplift || N % 2 == 0);
    // plain gradient: each output's gradient goes to its window's argmax
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < nb; b++)
        for (int n = 0; n < N; n++) {
            float *pdx = fptr(dx) + nn_vidx(dx, n, b * cb, 0);
            memset(pdx, 0, sizeof(float) * hw * cb);
            maxpool_plane(fptr(x) + nn_vidx(x, n, b * cb, 0), NULL,
                          fptr(dy) + nn_vidx(dy, n, b * cb, 0), pdx, x->h, x->w, dy->h, dy->w, cb);
        }
    if (!deeplift) return;
    // DeepLift max-pool rule as Captum's `maxpool`: with xmax = max(y, y'), route
    // dy*(xmax - y') to the input's argmax and dy'*(y - xmax) to the baseline's argmax, sum the
    // two, divide by delta_in = x - x' (plain gradient where |delta_in| < 1e-10); the same
    // multiplier for the input and the baseline half.
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < nb; b++)
        for (int n = 0; n < half; n++) {
            float *routed = calloc((size_t)hw * cb, sizeof(float));
            CX_ASSERT(routed);
            const float *px = fptr(x) + nn_vidx(x, n, b * cb, 0);
            const float *pxr = fptr(x) + nn_vidx(x, n + half, b * cb, 0);
            const float *py = fptr(y) + nn_vidx(y, n, b * cb, 0);
            const float *pyr = fptr(y) + nn_vidx(y, n + half, b * cb, 0);
            const float *pd = fptr(dy) + nn_vidx(dy, n, b * cb, 0);
            const float *pdr = fptr(dy) + nn_vidx(dy, n + half, b * cb, 0);
            float *pdx = fptr(dx) + nn_vidx(dx, n, b * cb, 0);
            float *pdxr = fptr(dx) + nn_vidx(dx, n + half, b * cb, 0);
            float best[MAX_CB];
            int arg[MAX_CB], argr[MAX_CB];
            for (int oy = 0; oy < dy->h; oy++)
                for (int ox = 0; ox < dy->w; ox++) {
                    maxpool_window(px, x->h, x->w, cb, oy, ox, best, arg);
                    maxpool_window(pxr, x->h, x->w, cb, oy, ox, best, argr);
                    for (int j = 0; j < cb; j++) {
                        int o = (oy * dy->w + ox) * cb + j;
                        float xmax = py[o] > pyr[o] ? py[o] : pyr[o];
                        routed[arg[j] * cb + j] += pd[o] * (xmax - pyr[o]);
                        routed[argr[j] * cb + j] += pdr[o] * (py[o] - xmax);
                    }
                }
            for (int i = 0; i < hw * cb; i++) {
                float d = px[i] - pxr[i];
                if (fabsf(d) >= NN_DL_EPS) pdx[i] = pdxr[i] = routed[i] / d;
            }
            free(routed);
        }
}

void nn_avgpool_forward(const nn_view *x, const nn_view *y) {
    CX_ASSERT(!x->bf16 && !y->bf16 && x->cb == y->cb);
    const int cb = x->cb, nb = x->c / cb;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < nb; b++)
        for (int n = 0; n < x->n; n++) {
            const float *px = fptr(x) + nn_vidx(x, n, b * cb, 0);
            float *py = fptr(y) + nn_vidx(y, n, b * cb, 0);
            for (int oy = 0; oy < y->h; oy++)
                for (int ox = 0; ox < y->w; ox++) {
                    const float *p0 = px + ((2 * oy) * x->w + 2 * ox) * cb;
                    const float *p1 = p0 + x->w * cb;
                    float *q = py + (oy * y->w + ox) * cb;
                    for (int j = 0; j < cb; j++)
                        q[j] = 0.25f * (p0[j] + p0[cb + j] + p1[j] + p1[cb + j]);
                }
        }
}

void nn_avgpool_backward(const nn_view *dy, const nn_view *dx) {
    CX_ASSERT(!dy->bf16 && dy->cb == dx->cb);
    const int cb = dy->cb, nb = dy->c / cb, hw = dx->h * dx->w;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < nb; b++)
        for (int n = 0; n < dy->n; n++) {
            const float *pd = fptr(dy) + nn_vidx(dy, n, b * cb, 0);
            size_t o = nn_vidx(dx, n, b * cb, 0);
            if (!dx->bf16) memset(fptr(dx) + o, 0, sizeof(float) * hw * cb);
            else memset((uint16_t *)dx->p + o, 0, sizeof(uint16_t) * hw * cb);
            for (int oy = 0; oy < dy->h; oy++)
                for (int ox = 0; ox < dy->w; ox++)
                    for (int ky = 0; ky < 2; ky++)
                        for (int kx = 0; kx < 2; kx++)
                            for (int j = 0; j < cb; j++) {
                                size_t i = o + ((2 * oy + ky) * dx->w + 2 * ox + kx) * cb + j;
                                nn_vset(dx, i, 0.25f * pd[(oy * dy->w + ox) * cb + j]);
                            }
        }
}

void nn_gap_forward(const nn_view *x, float *g) {
    const int cb = x->cb, nb = x->c / cb, hw = x->h * x->w;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < x->n; n++)
        for (int b = 0; b < nb; b++) {
            double acc[MAX_CB] = {0};
            size_t o = nn_vidx(x, n, b * cb, 0);
            for (int s = 0; s < hw; s++)
                for (int j = 0; j < cb; j++) acc[j] += nn_vget(x, o + s * cb + j);
            for (int j = 0; j < cb; j++) g[(size_t)n * x->c + b * cb + j] = (float)(acc[j] / hw);
        }
}

void nn_gap_backward(const float *dg, const nn_view *dx, int accumulate) {
    CX_ASSERT(!dx->bf16);
    const int cb = dx->cb, nb = dx->c / cb, hw = dx->h * dx->w;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < dx->n; n++)
        for (int b = 0; b < nb; b++) {
            float *p = fptr(dx) + nn_vidx(dx, n, b * cb, 0);
            const float *d = dg + (size_t)n * dx->c + b * cb;
            for (int s = 0; s < hw; s++)
                for (int j = 0; j < cb; j++)
                    p[s * cb + j] = (accumulate ? p[s * cb + j] : 0.f) + d[j] / hw;
        }
}

// ---- classifier and gaze head --------------------------------------------------------------
void nn_linear_forward(const float *g, const float *W, const float *b, int n, int c, int k,
                       float *y) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int i = 0; i < n; i++)
        for (int o = 0; o < k; o++) {
            double acc = b ? b[o] : 0;
            for (int t = 0; t < c; t++) acc += (double)W[(size_t)o * c + t] * g[(size_t)i * c + t];
            y[(size_t)i * k + o] = (float)acc;
        }
}

void nn_linear_backward(const float *g, const float *W, const float *dy, int n, int c, int k,
                        float *dW, float *db, float *dg) {
    if (dW) {
#pragma omp parallel for schedule(static)
        for (int o = 0; o < k; o++)
            for (int t = 0; t < c; t++) {
                double acc = 0;
                for (int i = 0; i < n; i++) acc += (double)dy[(size_t)i * k + o] * g[(size_t)i * c + t];
                dW[(size_t)o * c + t] = (float)acc;
            }
    }
    if (db)
        for (int o = 0; o < k; o++) {
            double acc = 0;
            for (int i = 0; i < n; i++) acc += dy[(size_t)i * k + o];
            db[o] = (float)acc;
        }
    if (dg) {
#pragma omp parallel for schedule(static)
        for (int i = 0; i < n; i++)
            for (int t = 0; t < c; t++) {
                double acc = 0;
                for (int o = 0; o < k; o++) acc += (double)dy[(size_t)i * k + o] * W[(size_t)o * c + t];
                dg[(size_t)i * c + t] = (float)acc;
            }
    }
}

void nn_gaze_forward(const nn_view *F, const float *w, float b, float *gaze) {
    const int cb = F->cb, nb = F->c / cb, hw = F->h * F->w;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < F->n; n++)
        for (int s = 0; s < hw; s++) {
            double z = b;
            for (int bb = 0; bb < nb; bb++) {
                size_t o = nn_vidx(F, n, bb * cb, s);
                for (int j = 0; j < cb; j++) z += (double)w[bb * cb + j] * nn_vget(F, o + j);
            }
            gaze[(size_t)n * hw + s] = (float)(1.0 / (1.0 + exp(-z)));
        }
}

void nn_gaze_backward(const nn_view *F, const float *w, const float *gaze, const float *dgaze,
                      float *dw, float *db, const nn_view *dF) {
    CX_ASSERT(!dF->bf16);
    const int cb = F->cb, nb = F->c / cb, hw = F->h * F->w, N = F->n;
    float *dz = cx_malloc(sizeof(float) * (size_t)N * hw);
    double sdb = 0;
    for (size_t i = 0; i < (size_t)N * hw; i++) {
        dz[i] = dgaze[i] * gaze[i] * (1.f - gaze[i]); // sigmoid'
        sdb += dz[i];
    }
    if (db) *db = (float)sdb;
#pragma omp parallel for schedule(static)
    for (int bb = 0; bb < nb; bb++)
        for (int j = 0; j < cb; j++) {
            int c = bb * cb + j;
            double acc = 0;
            for (int n = 0; n < N; n++)
                for (int s = 0; s < hw; s++) {
                    size_t o = nn_vidx(F, n, c, s);
                    acc += (double)dz[(size_t)n * hw + s] * nn_vget(F, o);
                    fptr(dF)[nn_vidx(dF, n, c, s)] += dz[(size_t)n * hw + s] * w[c];
                }
            if (dw) dw[c] = (float)acc;
        }
    free(dz);
}

// ---- copies and layout conversion ----------------------------------------------------------
void nn_view_copy(const nn_view *src, const nn_view *dst) {
    CX_ASSERT(src->n == dst->n && src->c == dst->c && src->h == dst->h && src->w == dst->w);
    const int hw = src->h * src->w;
    if (src->cb == dst->cb && src->bf16 == dst->bf16) {
        size_t len = (size_t)src->c * hw * (src->bf16 ? 2 : 4);
#pragma omp parallel for schedule(static)
        for (int n = 0; n < src->n; n++)
            memcpy((char *)dst->p + nn_vidx(dst, n, 0, 0) * (dst->bf16 ? 2 : 4),
                   (const char *)src->p + nn_vidx(src, n, 0, 0) * (src->bf16 ? 2 : 4), len);
        return;
    }
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < src->n; n++)
        for (int c = 0; c < src->c; c++)
            for (int s = 0; s < hw; s++)
                nn_vset(dst, nn_vidx(dst, n, c, s), nn_vget(src, nn_vidx(src, n, c, s)));
}

void nn_view_to_nchw(const nn_view *v, float *out) {
    nn_view o = nn_view_make(out, v->n, v->c, v->h, v->w, 1, 0);
    nn_view_copy(v, &o);
}

void nn_view_from_nchw(const float *in, const nn_view *v) {
    nn_view i = nn_view_make((void *)in, v->n, v->c, v->h, v->w, 1, 0);
    nn_view_copy(&i, v);
}

// ---- input gradient of a convolution with few input channels (conv0) ----------------------------
// oneDNN 2.6 runs conv0's backward-data (64 -> 3 channels, 7x7, stride 2) at 35-60 GFLOP/s here:
// 3 channels fit none of its blocked kernels. Per input pixel this is a sum over the ~k*k/s^2
// taps that reach it, each a dot product over the output channels; those are the cb lanes of the
// blocked gradient, so every tap is cb-wide multiply-adds, reduced across lanes once per pixel.
#define IG_MAX_IC 4
#define IG_MAX_K 11

// The taps of a k x k, stride-s convolution that reach input pixel (iy, ix): the weight index
// ky*k + kx and the output pixel oy*OW + ox of each; returns how many.
static inline int ig_taps(int iy, int ix, int k, int stride, int pad, int OH, int OW, int *tap,
                          int *pix) {
    int nt = 0;
    for (int ky = (iy + pad) % stride; ky < k; ky += stride) {
        int oy = (iy + pad - ky) / stride;
        if (oy < 0 || oy >= OH) continue;
        for (int kx = (ix + pad) % stride; kx < k; kx += stride) {
            int ox = (ix + pad - kx) / stride;
            if (ox < 0 || ox >= OW) continue;
            tap[nt] = ky * k + kx;
            pix[nt++] = oy * OW + ox;
        }
    }
    return nt;
}

// One input pixel: acc_c[lane] += wt[tap][c][oc] * dy[oc at the tap's output pixel], IC and CB
// literals so the accumulators stay in registers.
ALWAYS_INLINE void ig_pixel(const nn_view *dy, const float *wt, int n, int iy, int ix, int IC,
                            int k, int stride, int pad, int CB, float *out, size_t plane) {
    const int OC = dy->c, nb = OC / CB, OH = dy->h, OW = dy->w;
    const size_t bstride = (size_t)OH * OW * CB; // between channel blocks
    float acc[IG_MAX_IC][MAX_CB];
    for (int c = 0; c < IC; c++)
        for (int j = 0; j < CB; j++) acc[c][j] = 0.f;
    int tap[IG_MAX_K * IG_MAX_K], pix[IG_MAX_K * IG_MAX_K];
    const int nt = ig_taps(iy, ix, k, stride, pad, OH, OW, tap, pix);
    for (int t = 0; t < nt; t++) {
        const float *wk = wt + (size_t)tap[t] * IC * OC;
        const size_t o = (size_t)n * dy->ns + (size_t)pix[t] * CB;
        for (int b = 0; b < nb; b++) {
            const float *wb = wk + b * CB;
            if (dy->bf16) {
                const uint16_t *d = (const uint16_t *)dy->p + o + b * bstride;
                for (int c = 0; c < IC; c++)
#pragma omp simd
                    for (int j = 0; j < CB; j++) acc[c][j] += wb[c * OC + j] * cx_bf16_to_f32(d[j]);
            } else {
                const float *d = fptr(dy) + o + b * bstride;
                for (int c = 0; c < IC; c++)
#pragma omp simd
                    for (int j = 0; j < CB; j++) acc[c][j] += wb[c * OC + j] * d[j];
            }
        }
    }
    for (int c = 0; c < IC; c++) {
        float s = 0;
        for (int j = 0; j < CB; j++) s += acc[c][j];
        out[(size_t)c * plane] = s;
    }
}

// The same for 16-lane blocks and 3 input channels (conv0) on GCC vector types, so the three
// accumulators are registers: the generic version keeps them in memory.
typedef float ig_v16f __attribute__((vector_size(64)));
typedef uint16_t ig_v16h __attribute__((vector_size(32)));
typedef uint32_t ig_v16u __attribute__((vector_size(64)));

static inline ig_v16f ig_load(const nn_view *dy, size_t o) {
    ig_v16f v;
    if (dy->bf16) {
        ig_v16h h;
        memcpy(&h, (const uint16_t *)dy->p + o, sizeof h);
        ig_v16u u = __builtin_convertvector(h, ig_v16u) << 16; // bf16 -> fp32: the high half
        memcpy(&v, &u, sizeof v);
    } else {
        memcpy(&v, fptr(dy) + o, sizeof v);
    }
    return v;
}

// Sum of the 16 lanes as a tree (depth 4, not a 16-long chain of dependent scalar adds); plain C
// so GCC and clang (the fuzz build) both compile it.
static inline float ig_hsum(ig_v16f a) {
    float t[16];
    memcpy(t, &a, sizeof t);
    for (int w = 8; w > 0; w /= 2)
        for (int j = 0; j < w; j++) t[j] += t[j + w];
    return t[0];
}

static void ig_pixel_c3_cb16(const nn_view *dy, const float *wt, int n, int iy, int ix, int k,
                             int stride, int pad, float *out, size_t plane) {
    const int OC = dy->c, nb = OC / 16, OH = dy->h, OW = dy->w;
    const size_t bstride = (size_t)OH * OW * 16;
    // two sets of accumulators (even and odd channel blocks): two independent FMA chains
    ig_v16f a0 = {0}, a1 = {0}, a2 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, w0, w1, w2;
    int tap[IG_MAX_K * IG_MAX_K], pix[IG_MAX_K * IG_MAX_K];
    const int nt = ig_taps(iy, ix, k, stride, pad, OH, OW, tap, pix);
    for (int t = 0; t < nt; t++) {
        const float *wk = wt + (size_t)tap[t] * 3 * OC;
        const size_t o = (size_t)n * dy->ns + (size_t)pix[t] * 16;
        for (int b = 0; b < nb; b++) {
            ig_v16f d = ig_load(dy, o + b * bstride);
            memcpy(&w0, wk + b * 16, sizeof w0);
            memcpy(&w1, wk + OC + b * 16, sizeof w1);
            memcpy(&w2, wk + 2 * OC + b * 16, sizeof w2);
            if (b & 1) b0 += w0 * d, b1 += w1 * d, b2 += w2 * d;
            else a0 += w0 * d, a1 += w1 * d, a2 += w2 * d;
        }
    }
    out[0] = ig_hsum(a0 + b0), out[plane] = ig_hsum(a1 + b1), out[2 * plane] = ig_hsum(a2 + b2);
}

void nn_conv_input_grad(const nn_view *dy, const float *w, int ic, int k, int stride, int pad,
                        int bf16_weights, int n_out, float *dx, int h, int wd) {
    const int OC = dy->c, cb = dy->cb;
    CX_ASSERT(ic <= IG_MAX_IC && k <= IG_MAX_K && n_out <= dy->n && cb <= MAX_CB);
    // weights regrouped [ky][kx][c][oc]: the output channels of one (tap, c) are contiguous
    float *wt = cx_malloc(sizeof(float) * (size_t)k * k * ic * OC);
    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < ic; c++)
            for (int t = 0; t < k * k; t++) {
                float x = w[((size_t)oc * ic + c) * k * k + t];
                wt[((size_t)t * ic + c) * OC + oc] = bf16_weights ? cx_bf16_to_f32(cx_f32_to_bf16(x)) : x;
            }
    const size_t plane = (size_t)h * wd;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < n_out; n++)
        for (int iy = 0; iy < h; iy++)
            for (int ix = 0; ix < wd; ix++) {
                float *out = dx + (size_t)n * ic * plane + (size_t)iy * wd + ix;
                if (cb == 16 && ic == 3) ig_pixel_c3_cb16(dy, wt, n, iy, ix, k, stride, pad, out, plane);
                else ig_pixel(dy, wt, n, iy, ix, ic, k, stride, pad, cb, out, plane);
            }
    free(wt);
}
