// bench/bench_attr.c: the six saliency methods of the original study for one 224x224 image and one
// target (SL, GC, DL, LC 50 steps, GS 5 samples, NT 25 samples), fp32 and bf16, on the attr/
// library. Plans are created in a warm-up run and reused (as `cxrgaze attribute` does over many
// images). Built and run by bench/bench_attr.sh; prints one JSON line per (precision, method).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr.h"
#include "model/model.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_attr MODEL.safetensors [size 224] [repeats 3] [max batch 26]\n");
        return 2;
    }
    int s = argc > 2 ? atoi(argv[2]) : 224, reps = argc > 3 ? atoi(argv[3]) : 3;
    int max_batch = argc > 4 ? atoi(argv[4]) : 26;
    cx_error err;
    densenet *net;
    model_meta meta;
    if (model_load_ex(argv[1], MODEL_LOAD_IGNORE_UNKNOWN, &net, &meta, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    uint8_t *gray = malloc((size_t)s * s);
    for (int y = 0; y < s; y++) // a smooth radiograph-like test image
        for (int x = 0; x < s; x++)
            gray[y * s + x] = (uint8_t)(128 + 60 * sin(x / 17.0) * cos(y / 23.0) + 40.0 * (y - s / 2) / s);
    float *img = malloc(sizeof *img * 3 * s * s);
    model_input_u8(&meta, gray, (size_t)s * s, img); // the model's normalisation
    const attr_method ms[6] = {ATTR_SL, ATTR_GC, ATTR_DL, ATTR_LC, ATTR_GS, ATTR_NT};
    const nn_precision precs[2] = {NN_FP32, NN_BF16};
    int target = 3;
    attr_request rq = {.x = img, .n_targets = 1, .targets = &target};
    for (int pi = 0; pi < 2; pi++) {
        attr_options o;
        attr_options_default(&o);
        o.precision = precs[pi];
        o.max_batch = max_batch; // 26: NT's 25 samples in one call, LC's 53 rows in 3
        attr_ctx *c = attr_ctx_create(net, s, s, &o, &err);
        double total = 0;
        for (int mi = 0; mi < 6; mi++) {
            attr_map m;
            if (attr_run(c, ms[mi], &rq, 1, &m, &err)) { // warm-up: plans
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            attr_map_free(&m);
            double best = INFINITY;
            for (int r = 0; r < reps; r++) {
                double t0 = cx_now_s();
                attr_run(c, ms[mi], &rq, 1, &m, &err);
                double dt = cx_now_s() - t0;
                attr_map_free(&m);
                if (dt < best) best = dt;
            }
            total += best;
            printf("{\"impl\": \"cxrgaze\", \"precision\": \"%s\", \"method\": \"%s\", \"seconds\": %.4f}\n",
                   pi ? "bf16" : "fp32", attr_method_name(ms[mi]), best);
            fflush(stdout);
        }
        printf("{\"impl\": \"cxrgaze\", \"precision\": \"%s\", \"method\": \"all6\", \"seconds\": %.4f}\n",
               pi ? "bf16" : "fp32", total);
        attr_ctx_free(c);
    }
    free(gray);
    free(img);
    densenet_free(net);
    return 0;
}
