// attr/attr_internal.h: shared by the files of attr/ only (not part of the module's public face,
// which is attr.h). The context, the plan cache and the sample bookkeeping every method uses.
#ifndef CX_ATTR_INTERNAL_H
#define CX_ATTR_INTERNAL_H

#include "attr/attr.h"

#define ATTR_PLAN_SLOTS 4

// The methods' work buffers, kept by the context (grown, never shrunk, never zeroed on reuse):
// the chunk loops of a call and the calls of a process allocate nothing, and memory once faulted
// in is not handed back to the kernel between chunks. One owner at a time per buffer.
typedef enum {
    ATTR_BUF_XIN,     // [B,3,H,W] the chunk's input rows (DL: [2B,...], inputs then baselines)
    ATTR_BUF_DX,      // [B,3,H,W] input gradients (DL: multipliers)
    ATTR_BUF_DIFF,    // [B,3,H,W] GS: x - baseline per row
    ATTR_BUF_LOGITS,  // [B,K]
    ATTR_BUF_DLOGITS, // [B,K]
    ATTR_BUF_ACTS,    // [B,C,h,w] GC/LC: the tapped layer's activations
    ATTR_BUF_REFS,    // [n_req,3,H,W] baselines per request (DL, LC, IG; GS's set of them)
    ATTR_N_BUFS
} attr_buf_id;

struct attr_ctx {
    densenet *net;
    int h, w, k;       // input size, number of logits
    attr_options opt;
    struct {
        densenet_plan *plan;
        int batch;
        uint64_t used;
        char tap[96]; // the tap set on this plan ("" none)
    } slot[ATTR_PLAN_SLOTS];
    nn_arena *arena; // the plans' shared activation memory, kept for the context's lifetime
    struct {
        float *p;
        size_t cap; // floats
    } buf[ATTR_N_BUFS];
    uint64_t tick;
    int64_t n_forward, n_backward, n_samples;
};

// The plan for `batch` samples (created on first use in the context's arena, least recently
// used one evicted), with the tap set to `tap` (NULL clears it). Methods run one plan's forward
// and backward at a time (the arena holds one pass).
densenet_plan *attr_plan(attr_ctx *c, int batch, const char *tap, cx_error *err);
// Buffer id of the context with room for at least n floats (contents undefined).
float *attr_buf(attr_ctx *c, attr_buf_id id, size_t n);
// Counted engine calls.
int attr_forward(attr_ctx *c, densenet_plan *p, const float *x, float *logits, cx_error *err);
int attr_backward(attr_ctx *c, densenet_plan *p, const float *dlogits, float *dx, unsigned flags,
                  cx_error *err);
// Splits total samples into ceil(total/max) chunks of near-equal size; returns the size of
// chunk i (sizes differ by at most one). SL, NT, GS, IG, GC and LC run every chunk on the plan
// of chunk 0's size (zero rows pad a shorter chunk): one plan shape per call.
int attr_n_chunks(int total, int max);
int attr_chunk_size(int total, int n_chunks, int i);
// An independent RNG per (seed, image stream, method, target, sample): draws do not depend on
// batching.
void attr_sample_rng(uint64_t seed, uint64_t stream, attr_method m, int target, int sample,
                     cx_rng *r);
// Allocates out->raw for shape, zeroed, and out->map [H,W]; fills ids, NAN logits/delta.
void attr_map_init(attr_map *out, int request, int target, const int64_t shape[4], int h, int w);
// map = sum over the channels of raw [C,H,W].
void attr_map_channel_sum(attr_map *m, int h, int w);
// Number of (request, target) items; -1 with a message when a target is out of range.
int attr_count_items(const attr_ctx *c, const attr_request *req, int n_req, cx_error *err);

// The methods (one file per family).
int attr_run_gradient(attr_ctx *c, attr_method m, const attr_request *req, int n_req,
                      attr_map *out, cx_error *err); // SL NT GS IG (attr_gradient.c)
int attr_run_deeplift(attr_ctx *c, const attr_request *req, int n_req, attr_map *out,
                      cx_error *err); // DL (attr_deeplift.c)
int attr_run_layer(attr_ctx *c, attr_method m, const attr_request *req, int n_req,
                   attr_map *out, cx_error *err); // GC LC (attr_layer.c)
int attr_run_occlusion(attr_ctx *c, const attr_request *req, int n_req, attr_map *out,
                       cx_error *err); // OC (attr_occlusion.c)

#endif
