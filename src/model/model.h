// model: the model file (weights + metadata, torchvision names) and the one function that turns
// grey pixels into network input with the model's own normalisation. Depends on nn, io, util.
#ifndef CX_MODEL_H
#define CX_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "io/io.h"
#include "nn/nn.h"
#include "util/util.h"

// ---- model files (model_file.c) ----------------------------------------------------------------
// A model is a safetensors file whose tensors carry torchvision's state_dict() names
// (METHODS.md §1): PyTorch loads it with load_state_dict(strict=False), torchvision weights
// converted to safetensors load here. Written: every tensor F32, num_batches_tracked I64 [],
// plus the gaze head ("gaze_head.weight" [1,C,1,1], "gaze_head.bias" [1]) for DenseNet-Aug.
// __metadata__ keys: format, cxrgaze_version, arch, num_classes, gaze_head (yes|no), labels
// (comma-joined, logit order), input_size, mean, std (3 comma-separated floats), provenance.
//
// Reading accepts, per tensor name: the prefixes "module." and "densenet121." / "densenet169." /
// "densenet201." (stripped, in any combination), and torchvision's legacy dense-layer keys
// "denselayerL.norm.1.weight" (norm.1 / conv.1 / norm.2 / conv.2 -> norm1 / conv1 / norm2 / conv2).
// Dtypes: F32, F16, BF16, F64 for weights and BN statistics, I64 for counters. The architecture
// is __metadata__ "arch" when present, else inferred from the dense layers per block;
// num_classes from classifier.weight; the gaze head exists iff gaze_head.weight does.
// Policy: every tensor's shape and dtype is checked against the architecture; a missing tensor
// is an error except num_batches_tracked (absent from legacy files; set to 0, as PyTorch does);
// a tensor the architecture does not have is an error (a typo or a foreign file must not load
// half-silently) unless MODEL_LOAD_IGNORE_UNKNOWN is given. Every message names file and tensor.

#define MODEL_MAX_LABELS 64
typedef struct model_meta {
    int n_labels;                       // 0: not recorded
    char labels[MODEL_MAX_LABELS][64];  // label names in logit order
    int input_size;                     // S: inputs are S x S pixels (0: not recorded)
    float mean[3], std[3];              // per-channel normalisation x = (v/255 - mean) / std
    char provenance[4096];              // free text: command line, data, seed, epochs, ...
} model_meta;

// ImageNet normalisation (METHODS.md §1), input_size S, no labels, empty provenance.
void model_meta_init(model_meta *m, int input_size);
// Copies n names (n <= MODEL_MAX_LABELS, each < 64 chars, no commas); -1 otherwise.
int model_meta_set_labels(model_meta *m, int n, const char *const *names, cx_error *err);

enum { MODEL_LOAD_IGNORE_UNKNOWN = 1u << 0 };

// Builds the network the file describes and fills it. *out is the new network (caller frees
// with densenet_free); on error *out is NULL.
int model_load(const char *path, densenet **out, cx_error *err);
// The same, taking MODEL_LOAD_* flags and filling meta (NULL: skip) with model_meta_init(meta, 0)
// overwritten by whatever the file records.
int model_load_ex(const char *path, unsigned flags, densenet **out, model_meta *meta,
                  cx_error *err);
// Writes every tensor of net (F32, counters I64) and the metadata, atomically. meta NULL:
// ImageNet normalisation, no labels, no input size, no provenance.
int model_save(const densenet *net, const char *path, const model_meta *meta, cx_error *err);
// One line for logs and --help: "densenet121, 14 classes, gaze head no, 6968206 parameters".
void model_describe(const densenet *net, char *buf, size_t cap);

// ---- network input (input.c) ------------------------------------------------------------------
// METHODS.md §1: a grey radiograph replicated to 3 channels and normalised per channel,
//   x[c] = (g - mean[c]) / std[c],  g = grey level in [0,1],
// with the mean/std the model file records (model_meta_init: ImageNet's). Training, evaluation,
// attribution, sanity checks and forward all build their inputs here, so a model is explained on
// exactly the inputs it is evaluated on.
extern const float model_imagenet_mean[3], model_imagenet_std[3];
// gray [n] u8 (g = gray/255) -> x [3,n] (n = S*S pixels of one image).
void model_input_u8(const model_meta *m, const uint8_t *gray, size_t n, float *x);
// gray [n] in [0,1] (already divided by 255, e.g. after augmentation) -> x [3,n].
void model_input_f32(const model_meta *m, const float *gray, size_t n, float *x);
// The network input of a black pixel per channel, (0 - mean[c]) / std[c] (attribution's black
// baseline).
void model_input_black(const model_meta *m, float black[3]);

// ---- forward on a tensor file (forward.c) ------------------------------------------------------
// `cxrgaze forward` as a function: the model (eval mode, BN running statistics) on every sample of
// the input file's tensor "input" [N,3,H,W], already normalised, F32 (F16, BF16, F64 converted),
// H and W 32..8192, in batches. Writes out atomically (nothing on error): "logits" [N,K] F32
// (order = the model's "labels" metadata, copied) and, for DenseNet-Aug, "gaze" [N,1,h,w] F32,
// the gaze head's sigmoid output (h = H/32); metadata model, model_description, precision,
// cxrgaze_version. Warns when the model was trained at another input size.
typedef struct model_forward_settings {
    const char *model, *input, *out; // model file, input tensor file, output tensor file
    nn_precision precision;          // NN_FP32
    int batch;                       // samples per forward pass (16)
    int ignore_unknown;              // 1: MODEL_LOAD_IGNORE_UNKNOWN (0)
    int progress;                    // 1: a progress bar on stderr when there are several batches
} model_forward_settings;
void model_forward_settings_default(model_forward_settings *s);
int model_forward(const model_forward_settings *s, cx_error *err);

#endif
