// Times decode + resize + centre crop of one image to S x S with cxrgaze's io module.
// Usage: decode_bench IMAGE [S=224] [ITERS=50]
// Prints ms per image for the production path (JPEG DCT scaling + antialiased fit) and for the
// full-resolution path (decode at 1/1, then the same fit), best of 3 rounds of ITERS each, as
// wall-clock and as CPU time of this process (robust when other jobs share the cores).
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "io/io.h"

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double time_path(const char *path, int size, int iters, int dct, uint8_t *dst,
                        double *best_cpu) {
    double best = 1e30;
    *best_cpu = 1e30;
    for (int round = 0; round < 3; round++) {
        double t0 = cx_now_s(), c0 = cpu_s();
        for (int i = 0; i < iters; i++) {
            cx_error err;
            img_gray im;
            if (img_load_gray(path, dct ? size : 0, &im, &err) != 0) {
                fprintf(stderr, "decode_bench: %s\n", err.msg);
                exit(1);
            }
            img_fit_geom g;
            img_fit_geom_init(&g, im.orig_w, im.orig_h, size);
            if (img_fit_gray(im.px, im.w, im.h, &g, dst, &err) != 0) {
                fprintf(stderr, "decode_bench: %s\n", err.msg);
                exit(1);
            }
            img_gray_free(&im);
        }
        double ms = (cx_now_s() - t0) * 1e3 / iters, cpu = (cpu_s() - c0) * 1e3 / iters;
        if (ms < best) best = ms;
        if (cpu < *best_cpu) *best_cpu = cpu;
    }
    return best;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: decode_bench IMAGE [S=224] [ITERS=50]\n");
        return 2;
    }
    int size = argc > 2 ? atoi(argv[2]) : 224, iters = argc > 3 ? atoi(argv[3]) : 50;
    uint8_t *dst = malloc((size_t)size * size);
    double cpu, wall = time_path(argv[1], size, iters, 1, dst, &cpu);
    printf("cxrgaze  DCT-scaled decode + fit %-3d          wall %7.2f  cpu %7.2f ms/img\n", size,
           wall, cpu);
    wall = time_path(argv[1], size, iters > 10 ? iters / 5 : iters, 0, dst, &cpu);
    printf("cxrgaze  full decode + fit %-3d                wall %7.2f  cpu %7.2f ms/img\n", size,
           wall, cpu);
    free(dst);
    return 0;
}
