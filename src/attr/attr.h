// attr: saliency (attribution) methods on the DenseNet engine, batched, plus the pieces the
// sanity checks need. Depends on model, nn, stats (overlays: the map normalisation) and util:
// images come in as normalised fp32 tensors,
// maps go out as fp32 arrays; files, datasets and statistics live elsewhere (study/, stats/).
// Definitions: docs METHODS.md §2; reference semantics Captum 0.8 (per method below).
#ifndef CX_ATTR_H
#define CX_ATTR_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "nn/nn.h"
#include "stats/stats.h"
#include "util/util.h"

// ---- methods ---------------------------------------------------------------------------------
typedef enum {
    ATTR_SL = 0, // Saliency |df/dx|                                  raw [1,3,H,W]
    ATTR_GC,     // GradCAM at gc_layer (pre-ReLU cam)                 raw [1,1,h,w]
    ATTR_DL,     // DeepLift, Rescale rule (engine's NN_DEEPLIFT)      raw [1,3,H,W]
    ATTR_LC,     // Layer Conductance at lc_layer                      raw [1,C,h,w]
    ATTR_GS,     // GradientSHAP                                       raw [1,3,H,W]
    ATTR_NT,     // NoiseTunnel SmoothGrad on |df/dx|                  raw [1,3,H,W]
    ATTR_IG,     // Integrated Gradients (Gauss-Legendre)              raw [1,3,H,W]
    ATTR_OC,     // Occlusion (baseline 0, window over all channels)   raw [1,3,H,W]
    ATTR_NMETHODS
} attr_method;
const char *attr_method_name(attr_method m); // "sl", "gc", ...
int attr_method_parse(const char *name, attr_method *m, cx_error *err);
// Parses a comma list ("sl,gc,dl"); fills methods (cap ATTR_NMETHODS, no duplicates).
int attr_methods_parse(const char *list, attr_method *methods, int *n, cx_error *err);

typedef enum { ATTR_BASELINE_ZERO = 0, ATTR_BASELINE_BLACK, ATTR_BASELINE_BLUR } attr_baseline;
typedef enum { ATTR_UPSAMPLE_BILINEAR = 0, ATTR_UPSAMPLE_NEAREST } attr_upsample;
const char *attr_baseline_name(attr_baseline b);
// A baseline set (bits 1u << attr_baseline, e.g. gs_baselines) as names joined by sep: "zero+blur".
void attr_baselines_text(unsigned set, const char *sep, char *buf, size_t cap);
int attr_baseline_parse(const char *name, attr_baseline *b, cx_error *err);

// Presets: where the per-method settings start. cxrgaze: this project's defaults (METHODS.md §2).
// captum: Captum 0.8's defaults, to reproduce the original study exactly: GC without ReLU
// (relu_attributions=False) and nearest upsampling (LayerAttribution.interpolate), NoiseTunnel
// n=5 with stdev 1.0 (absolute), GradientShap with the zero baseline only (the study's baselines),
// DL --captum-compat; baseline zero, LC/IG 50 steps, GS 5 samples and stdev 0 as in both.
typedef enum { ATTR_PRESET_CXRGAZE = 0, ATTR_PRESET_CAPTUM, ATTR_N_PRESETS } attr_preset;
extern const char *const ATTR_PRESET_NAMES[ATTR_N_PRESETS]; // "cxrgaze", "captum"
const char *attr_preset_name(attr_preset p);

typedef struct attr_options {
    attr_preset preset;      // cxrgaze: the preset the settings started from (recorded with maps)
    nn_precision precision;  // NN_FP32 (NN_BF16: AMX, bf16 activations)
    int max_batch;           // 16: most samples in one engine call; larger work is chunked
    uint64_t seed;           // 0: stochastic methods (GS, NT) draw from cx_rng(seed, stream)
    attr_baseline baseline;  // zero: reference input x' of DL, IG, LC
    double blur_sigma_frac;  // 0.1: the blur baseline's Gaussian sigma = frac * min(H,W) px
    float black[3];          // the black baseline: network input of a black pixel per channel
                             // (model_input_black of the model's meta; default ImageNet's)
    attr_upsample upsample;  // bilinear (align_corners=False); Captum's default is nearest
    int gc_relu;             // 1: ReLU on the GradCAM map (Captum relu_attributions=True)
    char gc_layer[96];       // "features.norm5" (pre-ReLU, what Captum hooks)
    char lc_layer[96];       // "features.norm5"
    int lc_steps;            // 50: conductance uses lc_steps+1 Gauss-Legendre nodes
    int dl_captum_compat;    // 0: 1 reproduces Captum 0.8 on torchvision DenseNet (NN_DEEPLIFT_CAPTUM)
    int gs_samples;          // 5
    unsigned gs_baselines;   // bit (1u << attr_baseline): default zero | blur
    double gs_stdev;         // 0: Gaussian noise added to x per GS sample (Captum's stdevs)
    int nt_samples;          // 25
    double nt_stdev;         // < 0 (default): 0.15 * (max(x) - min(x)) per image; else absolute
    int ig_steps;            // 50 Gauss-Legendre nodes
    int oc_patch, oc_stride; // 16, 8 px: square occlusion window and its stride
    // Replayed draws instead of the RNG (reproducing external references, e.g. the tests'
    // PyTorch fixtures). NULL = draw. nt_noise: [nt_samples,3,H,W] noise (added as is, the
    // stdev is then ignored); gs_u: [gs_samples] u in [0,1); gs_baseline_index: [gs_samples]
    // index into the enabled baselines in enum order (zero, black, blur).
    const float *replay_nt_noise;
    const float *replay_gs_u;
    const int *replay_gs_baseline_index;
} attr_options;
// The defaults: the cxrgaze preset and the settings no preset decides (precision, batch, seed,
// blur sigma, black, layers, occlusion window: Captum has no default window).
void attr_options_default(attr_options *o);
// Sets o->preset and every setting a preset decides (baseline, upsample, gc_relu, lc_steps,
// dl_captum_compat, gs_samples, gs_baselines, gs_stdev, nt_samples, nt_stdev, ig_steps); the
// others are kept. Callers apply explicit settings after it.
void attr_options_preset(attr_options *o, attr_preset p);

// ---- a context: one network, one input size, a cache of engine plans ------------------------
typedef struct attr_ctx attr_ctx;
// The network must outlive the context; changing its weights (sanity checks) is fine between
// calls (plans read the weights at every forward; see attr_ctx_drop_plans otherwise).
attr_ctx *attr_ctx_create(densenet *net, int h, int w, const attr_options *opt, cx_error *err);
void attr_ctx_free(attr_ctx *c);
// New options for later calls; keeps the engine plans unless the precision changes.
int attr_ctx_set_options(attr_ctx *c, const attr_options *opt, cx_error *err);
void attr_ctx_drop_plans(attr_ctx *c);
// Engine calls made so far (forward, backward), for tests and benchmarks.
void attr_ctx_counters(const attr_ctx *c, int64_t *forwards, int64_t *backwards, int64_t *samples);

// One image and the targets to explain for it.
typedef struct attr_request {
    const float *x;      // [3,H,W] normalised input
    int n_targets;
    const int *targets;  // [n_targets] logit indices
    uint64_t stream;     // RNG stream of this image (e.g. its row in the dataset): the maps do not
                         // depend on how requests are batched together
} attr_request;

// One (image, target) result.
typedef struct attr_map {
    int request, target;
    int64_t raw_shape[4]; // Captum's shape with N = 1 (see attr_method)
    float *raw;           // raw attribution
    float *map;           // [H,W]: sum over channels (GC: ReLU'd cam; GC/LC upsampled)
    float logit;          // f_t(x)
    float logit_baseline; // f_t(x') for DL, IG, LC (NAN otherwise)
    double delta;         // completeness: sum(raw) - (f_t(x) - f_t(x')) for DL, IG, LC; NAN otherwise
} attr_map;
void attr_map_free(attr_map *m);

// Runs method m for every (request, target) pair; out gets sum_i n_targets[i] maps, request-major
// in target order. Samples of all pairs are evaluated together in chunks of at most max_batch.
// GC and LC evaluate each image's forward once and run one layer-only backward per target.
int attr_run(attr_ctx *c, attr_method m, const attr_request *req, int n_req, attr_map *out,
             cx_error *err);
// Logits [n,K] of n images x [n,3,H,W] on the context's plans (chunks of at most max_batch, a
// short last one padded): the one-image case reuses the plan, primitives and converted weights
// the maps will use instead of building its own.
int attr_logits(attr_ctx *c, const float *x, int64_t n, float *logits, cx_error *err);

// ---- building blocks (attr_image.c), exposed for tests and for study/ ---------------------------
// Gauss-Legendre nodes and weights mapped to (0,1), ascending: alphas[n], weights[n] (sum 1;
// NULL: nodes only).
// Newton iteration on the Legendre recurrence (as numpy.polynomial.legendre.leggauss).
void attr_gauss_legendre(int n, double *alphas, double *weights);
// PyTorch F.interpolate(mode="bilinear", align_corners=False) / mode="nearest" of one plane.
void attr_upsample_plane(const float *in, int ih, int iw, float *out, int oh, int ow,
                         attr_upsample mode);
// scipy.ndimage.gaussian_filter(mode="reflect", truncate=4.0) of each of c planes [c,h,w].
void attr_gaussian_blur(const float *in, int c, int h, int w, double sigma_px, float *out);
// The baseline x' of kind b for input x [3,H,W]: zero, black (o->black per channel), or x blurred
// with sigma o->blur_sigma_frac * min(H,W).
void attr_make_baseline(attr_baseline b, const attr_options *o, const float *x, int h, int w,
                        float *out);

// SmoothGrad's noise (attr_gradient.c; NT builds its rows with these two). The stdev for input x
// [n]: o->nt_stdev when >= 0 (absolute, as Captum's stdevs), else 0.15 * (max(x) - min(x))
// (Smilkov et al.). Noisy copy `sample` of x [n] for (request stream, target): out = x + stdev *
// N(0,1) from the sample's RNG (seeded by o->seed), or x + o->replay_nt_noise's row `sample`.
float attr_nt_stdev(const attr_options *o, const float *x, size_t n);
void attr_nt_noisy_input(const attr_options *o, uint64_t stream, int target, int sample,
                         const float *x, size_t n, float stdev, float *out);

// ---- sanity checks (Adebayo et al. 2018) ---------------------------------------------------
// The randomisation steps from the top: "classifier", "norm5", "denseblock4", "transition3",
// ..., "denseblock1", "conv0" (conv0 step includes norm0: the stem). Returns the count (10).
int attr_sanity_steps(const char **names, int cap);
// Re-initialises, as torchvision initialises, the tensors of step `step` (independent) or of
// steps 0..step (cascading) in net. Seeded; the same seed gives the same weights.
void attr_sanity_randomise(densenet *net, int step, int cascading, uint64_t seed);

// ---- overlays (overlay.c): a map over the radiograph, viridis, with a colour bar ------------------
// gray [H,W] u8, map [H,W] raw (channel-summed) attribution, taken to [0,1] inside by
// stats_map_normalise with `norm` (METHODS.md §3; {0} = abs, p98, the default everywhere;
// {STATS_SIGN_SIGNED, STATS_SCALE_MINMAX} = min-max); a map constant after it, or with a
// non-finite value, draws as 0. alpha in [0,1].
// rgb: [out_h, out_w, 3] u8 with out_w = attr_overlay_width(W), out_h = H.
int attr_overlay_width(int w);
void attr_overlay_rgb(const uint8_t *gray, const float *map, int h, int w, stats_map_norm norm,
                      double alpha, uint8_t *rgb);
// Viridis at t in [0,1] (clamped): 8-bit sRGB.
void attr_viridis(double t, uint8_t rgb[3]);

#endif
