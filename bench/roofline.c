// The compute ceiling of this machine for DenseNet-121 work: measured peak throughput of the
// two instructions every oneDNN convolution here ends in (fp32 FMA on zmm registers, AVX512-BF16
// dot products on zmm), times the convolution FLOPs of each benchmark, gives the best time any
// implementation could reach if it spent 100% of every cycle in convolution arithmetic and
// nothing in BN, pooling, copies or memory stalls. A target below that floor cannot be met on
// this CPU, whatever the code.
// Build and run: bench/bench_roofline.sh [THREADS=2] [SIZE=224]
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

// 12 independent accumulators hide the instruction latency (4-6 cycles, 2 pipes).
#define ACC12(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10) OP(11)

static double peak_fp32(long iters) {
    double t0 = 0, t1 = 0;
    float sink = 0;
#pragma omp parallel reduction(+ : sink)
    {
        __m512 a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11;
#define Z(i) a##i = _mm512_set1_ps((float)i); // distinct: no common subexpressions
        ACC12(Z)
        const __m512 x = _mm512_set1_ps(1e-8f), y = _mm512_set1_ps(1.f);
#pragma omp barrier
#pragma omp master
        t0 = omp_get_wtime();
        for (long k = 0; k < iters; k++) {
#define F(i) a##i = _mm512_fmadd_ps(x, y, a##i);
            ACC12(F)
        }
#pragma omp barrier
#pragma omp master
        t1 = omp_get_wtime();
#define S(i) sink += _mm512_reduce_add_ps(a##i);
        ACC12(S)
    }
    if (sink < 0) printf("impossible\n");
    return 2.0 * 16 * 12 * (double)iters * omp_get_max_threads() / (t1 - t0) / 1e9;
}

static double peak_bf16(long iters) {
    double t0 = 0, t1 = 0;
    float sink = 0;
#pragma omp parallel reduction(+ : sink)
    {
        __m512 a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11;
        ACC12(Z)
        const __m512bh x = (__m512bh)_mm512_set1_epi16(0x3c00), y = (__m512bh)_mm512_set1_epi16(0x3f80);
#pragma omp barrier
#pragma omp master
        t0 = omp_get_wtime();
        for (long k = 0; k < iters; k++) {
#define B(i) a##i = _mm512_dpbf16_ps(a##i, x, y);
            ACC12(B)
        }
#pragma omp barrier
#pragma omp master
        t1 = omp_get_wtime();
        ACC12(S)
    }
    if (sink < 0) printf("impossible\n");
    // one vdpbf16ps on zmm: 32 bf16 pairs multiplied and added = 64 FLOP
    return 2.0 * 32 * 12 * (double)iters * omp_get_max_threads() / (t1 - t0) / 1e9;
}

// Convolution multiply-adds of DenseNet-121 (blocks 6,12,24,16, growth 32, bottleneck 128) for one
// S x S image; conv0 separately (its backward-data is only needed for input gradients).
static void densenet121_macs(int S, double *conv0, double *rest) {
    const int blocks[4] = {6, 12, 24, 16}, g = 32, wb = 128;
    int h = (S - 1) / 2 + 1; // conv0 7x7/2
    *conv0 = (double)h * h * 64 * 3 * 49;
    h = (h - 1) / 2 + 1; // pool0
    int c = 64;
    double m = 0;
    for (int b = 0; b < 4; b++) {
        for (int l = 0; l < blocks[b]; l++) {
            m += (double)h * h * (c + l * g) * wb;  // conv1 1x1
            m += (double)h * h * wb * g * 9;        // conv2 3x3
        }
        c += blocks[b] * g;
        if (b < 3) {
            m += (double)h * h * c * (c / 2);       // transition 1x1
            c /= 2;
            h /= 2;
        }
    }
    *rest = m;
}

int main(int argc, char **argv) {
    int S = argc > 1 ? atoi(argv[1]) : 224;
    const long iters = 400000000L / 12;
    double f32 = 0, b16 = 0;
    for (int r = 0; r < 3; r++) { // best of 3
        double a = peak_fp32(iters), b = peak_bf16(iters);
        if (a > f32) f32 = a;
        if (b > b16) b16 = b;
    }
    double c0, rest;
    densenet121_macs(S, &c0, &rest);
    const double fwd = 2 * (c0 + rest), bwd_in = 2 * (c0 + rest), bwd_w = 2 * (c0 + rest);
    printf("threads %d: peak fp32 FMA %.0f GFLOP/s, peak bf16 dot product %.0f GFLOP/s\n",
           omp_get_max_threads(), f32, b16);
    printf("DenseNet-121 at %dx%d: %.2f GFLOP per forward (conv0 %.2f)\n", S, S, fwd / 1e9,
           2 * c0 / 1e9);
    printf("%-46s %12s %12s\n", "ceiling (100% of peak, convolutions only)", "fp32", "bf16");
    printf("%-46s %9.1f    %9.1f     img/s\n", "inference", f32 * 1e9 / fwd, b16 * 1e9 / fwd);
    // training: forward, backward-data (no conv0: nothing below it), backward-weights
    double train = fwd + (bwd_in - 2 * c0) + bwd_w;
    printf("%-46s %9.1f    %9.1f     img/s\n", "training (fwd + bwd-data + bwd-weights)",
           f32 * 1e9 / train, b16 * 1e9 / train);
    printf("%-46s %9.1f    %9.1f     ms/img\n", "input gradient (fwd + bwd-data)",
           (fwd + bwd_in) / (f32 * 1e9) * 1e3, (fwd + bwd_in) / (b16 * 1e9) * 1e3);
    // the six saliency methods for one image and one target (issue #5's work): forwards
    // SL/GC/DL-input 1 shared, DL baseline 1, LC 51 nodes, GS 5, NT 25; input backwards SL 1,
    // DL 2, GS 5, NT 25 (LC and GC stop at norm5: negligible)
    const int n_fwd = 1 + 1 + 51 + 5 + 25, n_bwd = 1 + 2 + 5 + 25;
    double six = n_fwd * fwd + n_bwd * bwd_in;
    printf("%-46s %9.2f    %9.2f     s\n", "six saliency methods, one image (83 fwd + 33 bwd)",
           six / (f32 * 1e9), six / (b16 * 1e9));
    return 0;
}
