// model/input: grey pixels -> network input with the model's normalisation (model.h).
#include "model/model.h"

const float model_imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
const float model_imagenet_std[3] = {0.229f, 0.224f, 0.225f};

// The one formula; every caller goes through it.
static inline float input_value(const model_meta *m, int c, float g) {
    return (g - m->mean[c]) / m->std[c];
}

void model_input_u8(const model_meta *m, const uint8_t *gray, size_t n, float *x) {
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < n; i++) x[c * n + i] = input_value(m, c, gray[i] / 255.0f);
}

void model_input_f32(const model_meta *m, const float *gray, size_t n, float *x) {
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < n; i++) x[c * n + i] = input_value(m, c, gray[i]);
}

void model_input_black(const model_meta *m, float black[3]) {
    for (int c = 0; c < 3; c++) black[c] = input_value(m, c, 0.0f);
}
