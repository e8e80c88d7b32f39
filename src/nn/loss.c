// Losses (BCE-with-logits, gaze MSE) and the Adam optimiser, with PyTorch's definitions.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

// Stable BCE with logits (torch.nn.functional.binary_cross_entropy_with_logits):
// l = max(z,0) - z*y + log(1 + exp(-|z|)), dl/dz = sigmoid(z) - y.
// A sample whose labels are all masked contributes 0 (and still counts in the mean over samples).
double nn_bce_with_logits(const float *logits, const float *y, const float *mask, int n, int k,
                          float *dlogits) {
    double total = 0;
    for (int i = 0; i < n; i++) {
        double cnt = 0, sum = 0;
        for (int j = 0; j < k; j++) cnt += mask ? (mask[(size_t)i * k + j] != 0) : 1;
        for (int j = 0; j < k; j++) {
            size_t q = (size_t)i * k + j;
            int on = !mask || mask[q] != 0;
            double z = logits[q], t = y[q];
            if (on && cnt > 0) sum += fmax(z, 0) - z * t + log1p(exp(-fabs(z)));
            if (dlogits) {
                double sig = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
                dlogits[q] = on && cnt > 0 ? (float)((sig - t) / (cnt * n)) : 0.f;
            }
        }
        if (cnt > 0) total += sum / cnt;
    }
    return n > 0 ? total / n : 0;
}

double nn_gaze_mse(const float *pred, const float *target, const uint8_t *has_gaze, int n,
                   int hw, float *dpred) {
    int g = 0;
    for (int i = 0; i < n; i++) g += has_gaze[i] != 0;
    double total = 0;
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int q = 0; q < hw; q++) {
            size_t e = (size_t)i * hw + q;
            double d = (double)pred[e] - target[e];
            if (has_gaze[i]) s += d * d;
            if (dpred) dpred[e] = has_gaze[i] ? (float)(2 * d / ((double)hw * g)) : 0.f;
        }
        if (has_gaze[i]) total += s / hw;
    }
    return g ? total / g : 0;
}

// torch.optim.Adam (Kingma & Ba 2015 with PyTorch's arrangement): m = b1 m + (1-b1) g,
// v = b2 v + (1-b2) g^2, p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
void nn_adam_init(nn_adam *opt, size_t n, float lr) {
    memset(opt, 0, sizeof *opt);
    opt->lr = lr;
    opt->beta1 = 0.9f;
    opt->beta2 = 0.999f;
    opt->eps = 1e-8f;
    opt->n = n;
    opt->m = cx_calloc(n ? n : 1, sizeof(float));
    opt->v = cx_calloc(n ? n : 1, sizeof(float));
}

void nn_adam_step(nn_adam *opt, float *params, const float *grads) {
    opt->step++;
    const float b1 = opt->beta1, b2 = opt->beta2, eps = opt->eps;
    const double bc1 = 1 - pow(b1, (double)opt->step), bc2 = 1 - pow(b2, (double)opt->step);
    const float step_size = (float)(opt->lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    float *m = opt->m, *v = opt->v;
    const size_t n = opt->n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float g = grads[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        params[i] -= step_size * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
    }
}

void nn_adam_free(nn_adam *opt) {
    free(opt->m);
    free(opt->v);
    opt->m = opt->v = NULL;
}
