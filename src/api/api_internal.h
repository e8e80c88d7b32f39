// api/api_internal.h: shared by the files of src/api/ only. The module's public face is
// include/cxrgaze.h (the shared library's C API); this header holds the settings bag's layout and
// the error helpers. The api module sits at the top of the chain, beside cli: it may use every
// module's header below it.
#ifndef CX_API_INTERNAL_H
#define CX_API_INTERNAL_H

#include "cxrgaze.h"
#include "study/study.h"

struct cxg_settings {
    attr_options attr;    // precision, seed, max_batch, the method options (attr_options_default)
    uint64_t stream;      // RNG stream of image 0 of an attribute call (0, as `attribute --input`)
    int batch;            // images per forward pass (16, as `cxrgaze forward`)
    unsigned metrics;     // STATS_M_* selection (0: all; nss/auc_judd only with fixations)
    int emd_size;         // max side of the EMD grid (32)
    stats_map_norm norm;  // the map's sign and scale (abs, p98)
    double level;         // CI level (0.95)
    int n_bootstrap;      // bootstrap resamples (1000; 0: none)
};
void api_settings_default(struct cxg_settings *s);
// s, or the defaults (in *tmp) when s is NULL.
const struct cxg_settings *api_settings(const cxg_settings *s, struct cxg_settings *tmp);

// The calling thread's last error: set to the message (returns st), or cleared (returns CXG_OK).
cxg_status api_fail(cxg_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
cxg_status api_fail_err(cxg_status st, const char *fn, const cx_error *err);
cxg_status api_ok(void);
// n >= 0 images of h x w >= 1 pixels whose n*c*h*w floats fit in memory sizes; *npix = h*w.
cxg_status api_check_dims(const char *fn, int64_t n, int c, int h, int w, size_t *npix);
// A file or directory that must exist: CXG_ERR_NOT_FOUND naming it otherwise.
cxg_status api_check_exists(const char *fn, const char *what, const char *path);

// The model handle (api_model.c; api_attr.c runs attributions on it).
#define API_FORWARD_PLANS 2 // a full batch and the last, shorter one
typedef struct api_forward_slot {
    densenet_plan *plan; // NULL: free
    int batch, h, w;
    nn_precision precision;
    uint64_t used;
} api_forward_slot;
struct cxg_model {
    densenet *net;
    model_meta meta;
    nn_arena *fwd_arena; // the forward plans' shared memory and converted weights
    api_forward_slot fwd[API_FORWARD_PLANS];
    uint64_t tick;
    attr_ctx *ctx;       // attribution context for ctx_h x ctx_w inputs (plans + arena), kept
    int ctx_h, ctx_w;
};
// Checks a model call's input x [n,3,h,w]: a model, 32..8192 pixels a side; *npix = h*w.
cxg_status api_check_input(const char *fn, const cxg_model *m, const float *x, int64_t n, int h,
                           int w, size_t *npix);

// The settings' keys (api_settings.c), in table order.
int api_settings_count(void);
const char *api_settings_key(int i);

// Names of the entries of cxg_auroc's and cxg_delong_test's outputs (api_stats.c) and of the pack's
// arrays and text columns (api_pack.c), in output / vocabulary order.
enum { API_N_AUROC = 10, API_N_DELONG = 6, API_N_PACK_ARRAYS = 10, API_N_PACK_TEXTS = 4 };
extern const char *const API_AUROC_FIELDS[API_N_AUROC];
extern const char *const API_DELONG_FIELDS[API_N_DELONG];
extern const char *const API_PACK_ARRAYS[API_N_PACK_ARRAYS];
extern const char *const API_PACK_TEXTS[API_N_PACK_TEXTS];

#endif
