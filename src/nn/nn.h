// nn: the DenseNet engine on oneDNN. Tensors in and out of this API are host fp32 NCHW buffers;
// oneDNN's internal layouts (format_tag_any), bf16 copies and primitives stay inside a plan.
// Knows nothing of files or datasets (model files: model/model_file.c). Depends on util, oneDNN.
#ifndef CX_NN_H
#define CX_NN_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

// ---- architecture ---------------------------------------------------------------------------
#define NN_MAX_BLOCKS 4
typedef struct densenet_config {
    char arch[32];               // "densenet121", "densenet169", "densenet201"
    int blocks[NN_MAX_BLOCKS];   // dense layers per block: 121 = (6,12,24,16)
    int growth;                  // 32
    int init_features;           // 64
    int bn_size;                 // 4 (bottleneck width = bn_size * growth)
    int num_classes;             // 14
    int gaze_head;               // 1: DenseNet-Aug head sigmoid(conv1x1(relu(norm5))) (1024->1)
} densenet_config;

// Fills cfg for "densenet121" | "densenet169" | "densenet201"; -1 with a message otherwise.
int densenet_config_for(const char *arch, int num_classes, int gaze_head, densenet_config *cfg,
                        cx_error *err);

// ---- parameters: one flat buffer, one flat gradient buffer ---------------------------------
// Every tensor of torchvision's state_dict(), in state_dict() order, plus the gaze head
// ("gaze_head.weight" [1,1024,1,1], "gaze_head.bias" [1]) when present.
typedef enum { NN_PARAM = 0, NN_BUFFER = 1, NN_COUNTER = 2 } nn_tensor_kind;
typedef struct nn_tensor_info {
    char name[96];      // torchvision name, e.g. "features.denseblock1.denselayer1.norm1.weight"
    nn_tensor_kind kind;// PARAM: trained (weight/bias); BUFFER: running_mean/var; COUNTER: num_batches_tracked
    int ndim;
    int64_t shape[4];
    size_t numel;
    float *data;        // PARAM: into the flat params; BUFFER: into the flat buffers
    float *grad;        // PARAM: into the flat grads; NULL otherwise
    int64_t *counter;   // COUNTER: the int64 value; NULL otherwise
} nn_tensor_info;

typedef struct densenet densenet;
densenet *densenet_create(const densenet_config *cfg);   // parameters zero
void densenet_free(densenet *net);
const densenet_config *densenet_cfg(const densenet *net);
// torchvision's initialisation: kaiming_normal_ conv weights, BN weight 1 / bias 0, running
// mean 0 / var 1, linear bias 0 and weight U(-1/sqrt(fan_in), 1/sqrt(fan_in)); seeded.
void densenet_init(densenet *net, uint64_t seed);
// Re-initialise (as densenet_init) only tensors whose name starts with prefix (sanity checks).
void densenet_reinit_prefix(densenet *net, const char *prefix, uint64_t seed);
int densenet_num_tensors(const densenet *net);
const nn_tensor_info *densenet_tensor(const densenet *net, int i);
const nn_tensor_info *densenet_find_tensor(const densenet *net, const char *name);
float *densenet_params(densenet *net, size_t *n);   // flat trained parameters (Adam, all-reduce)
float *densenet_grads(densenet *net, size_t *n);    // same layout as params
float *densenet_buffers(densenet *net, size_t *n);  // flat BN running statistics
densenet *densenet_clone(const densenet *net);      // deep copy of config, params, buffers
// src's parameters, BN statistics and counters into dst (the same configuration), e.g. a
// working copy reset between sanity-check steps; dst's plans see the change.
void densenet_copy_weights(densenet *dst, const densenet *src);
// Evaluation plans keep their weights converted to the primitives' layouts and convert again
// only after the weights may have changed: densenet_init / reinit_prefix, a training-mode
// forward (Adam follows), or any call above that hands out a writable pointer (densenet_params,
// densenet_tensor, densenet_find_tensor). Code that keeps such a pointer and writes through it
// later (finite differences, say) calls this before the next forward.
void densenet_weights_changed(densenet *net);

// ---- plans: primitives for one (batch, H, W, precision, mode), created once, run many times ----
typedef enum { NN_FP32 = 0, NN_BF16 = 1, NN_N_PRECISIONS } nn_precision;
// "fp32", "bf16": the precisions' names in files, logs and --precision (densenet.c).
extern const char *const NN_PRECISION_NAMES[];
const char *nn_precision_name(nn_precision p);
typedef enum { NN_EVAL = 0, NN_TRAIN = 1 } nn_mode; // TRAIN: batch statistics + running update
typedef struct densenet_plan densenet_plan;
densenet_plan *densenet_plan_create(densenet *net, int batch, int h, int w, nn_precision prec,
                                    nn_mode mode, cx_error *err);
void densenet_plan_free(densenet_plan *p);
// Plans created in one arena share their activation and scratch memory (the largest plan's
// size, grown when a larger plan is created, kept until nn_arena_free) and their converted
// weights (one copy per layout; plans keep their own primitives): one pass's memory instead of
// one per plan. One pass at a time: a
// forward on one plan ends what the others kept for their backward (which then fails until
// they run a forward again). Free the plans, then the arena.
typedef struct nn_arena nn_arena;
nn_arena *nn_arena_create(void);
void nn_arena_free(nn_arena *a);
densenet_plan *densenet_plan_create_in(nn_arena *arena, densenet *net, int batch, int h, int w,
                                       nn_precision prec, nn_mode mode, cx_error *err);
int densenet_plan_batch(const densenet_plan *p);
// Spatial size of the final feature map (h/32, w/32 for 224 -> 7).
void densenet_plan_feature_hw(const densenet_plan *p, int *fh, int *fw);

// Forward. x: [N,3,H,W] fp32, normalised. logits: [N,K]. gaze: [N,1,fh,fw] sigmoid output of the
// gaze head (NULL to skip; ignored without a head). Keeps what backward needs.
int densenet_forward(densenet_plan *p, const float *x, float *logits, float *gaze, cx_error *err);

// Backward after densenet_forward, from dlogits [N,K] (and dgaze [N,1,fh,fw] = dLoss/dÊ, or NULL).
// flags choose the work: NN_GRAD_WEIGHTS overwrites the flat gradient buffer (not accumulated;
// training plans only: evaluation plans have no weight-gradient primitives);
// NN_GRAD_INPUT writes dx [N,3,H,W]; NN_GRAD_TAP_ONLY stops at the tapped layer (gradient there,
// nothing below it). DeepLift modes (attribution, eval plans only): the forward must have run on
// 2N samples, N inputs followed by their N baselines; dlogits is then [N,K] and dx [N,3,H,W] gets
// DeepLift multipliers (Rescale rule through every ReLU incl. the final one, DeepLift max-pool
// rule; linear ops plain gradients). Attribution = (x - x') * multipliers.
// NN_DEEPLIFT_CAPTUM reproduces Captum 0.8 on torchvision DenseNet instead (functional final ReLU
// and max-pool take plain gradients), see METHODS.md §2.
enum {
    NN_GRAD_WEIGHTS = 1u << 0,
    NN_GRAD_INPUT = 1u << 1,
    NN_GRAD_TAP_ONLY = 1u << 2,
    NN_DEEPLIFT = 1u << 3,
    NN_DEEPLIFT_CAPTUM = 1u << 4,
};
int densenet_backward(densenet_plan *p, const float *dlogits, const float *dgaze, float *dx,
                      unsigned flags, cx_error *err);

// ---- taps: the activation and the gradient at one named layer -------------------------------
// Layer names follow torchvision modules: "features.conv0", "features.norm0", "features.pool0",
// "features.denseblockB" (block output, after concat), "features.denseblockB.denselayerL.conv1|
// norm2|conv2", "features.transitionT.conv|pool", "features.norm5" (pre-ReLU, what Captum hooks),
// and "features.relu5" (the functional ReLU output that feeds global pooling).
// Set before forward; after forward the activation [N,C,h,w] is readable, after backward the
// gradient of sum_n dlogits[n]·logits[n] with respect to it. One tap per plan; NULL clears it.
int densenet_set_tap(densenet_plan *p, const char *layer, cx_error *err);
// Pointers stay valid until the next forward/backward; shape gets N,C,h,w.
const float *densenet_tap_activation(densenet_plan *p, int64_t shape[4]);
const float *densenet_tap_gradient(densenet_plan *p, int64_t shape[4]);

// ---- bf16 weight gradients of 3x3 convolutions ------------------------------------------------
// oneDNN's bf16 kernel runs them at twice the fp32 speed on free cores but spins on its own
// barriers: when another process takes a core it slows ~10x (130-270 ms a call, measured). AUTO
// (the default) times it and, after 3 calls in a row slower than 5 ms and 60 GFLOP/s, computes
// them from fp32 copies of the bf16 operands for the rest of the process (one info line says so).
// BF16 / FP32 fix the choice (deterministic training fixes BF16: a switch would break bit-identical
// resumes). Process-wide; fp32 plans are not affected.
typedef enum { NN_WGRAD_AUTO = 0, NN_WGRAD_BF16 = 1, NN_WGRAD_FP32 = 2 } nn_wgrad_policy;
void nn_set_wgrad_policy(nn_wgrad_policy p); // also resets AUTO's measurements
int nn_wgrad_fp32_active(void);              // 1 under FP32, or once AUTO has switched

// ---- losses and optimiser ------------------------------------------------------------------
// Mean over samples of the mean over unmasked labels of BCE-with-logits (stable form).
// y, mask: [N,K] (mask NULL = all 1; mask 0 = ignored). Writes dlogits [N,K] = dLoss/dlogits.
double nn_bce_with_logits(const float *logits, const float *y, const float *mask, int n, int k,
                          float *dlogits);
// Mean over samples with has_gaze[n] != 0 of the mean squared error over fh*fw; 0 when none.
// Writes dpred (zero for samples without gaze). Caller multiplies by lambda.
double nn_gaze_mse(const float *pred, const float *target, const uint8_t *has_gaze, int n,
                   int hw, float *dpred);

// Adam as torch.optim.Adam (bias-corrected, eps outside the sqrt, no weight decay).
typedef struct nn_adam {
    float lr, beta1, beta2, eps;
    int64_t step;
    size_t n;
    float *m, *v; // [n] first and second moments
} nn_adam;
void nn_adam_init(nn_adam *opt, size_t n, float lr);
void nn_adam_step(nn_adam *opt, float *params, const float *grads);
void nn_adam_free(nn_adam *opt);

// ---- engine benchmark (bench.c) ----------------------------------------------------------------
// `cxrgaze bench` as a function: a DenseNet (arch, 14 classes, no gaze head) with random weights
// (densenet_init, seed 1) on random N(0,1) input [batch,3,size,size] and random 0/1 targets.
// Each phase runs `warmup` untimed steps, then `iters` timed ones (mean); one progress bar.
typedef struct nn_bench_settings {
    const char *arch;       // densenet121 | densenet169 | densenet201 ("densenet121")
    int size, batch;        // input size x size pixels (224), images per step (16)
    int iters, warmup;      // timed (3) and untimed (1) steps per phase
    nn_precision precision; // NN_FP32
} nn_bench_settings;
void nn_bench_settings_default(nn_bench_settings *s);
typedef struct nn_bench_result {
    double train_img_s;  // training: forward + BCE + backward (weights) + Adam step, img/s
    double infer_img_s;  // evaluation forward, img/s
    double grad_ms;      // evaluation forward + input gradient of logit 3, whole batch, ms/image
    double train_rss_mb; // peak RSS of the process after training, MiB
    double peak_rss_mb;  // peak RSS at the end, MiB
} nn_bench_result;
int nn_bench(const nn_bench_settings *s, nn_bench_result *r, cx_error *err);

#endif
