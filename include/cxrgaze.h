// cxrgaze.h: the public C API of libcxrgaze.so (docs/api.md lists every exported symbol;
// scripts/abi-check compares that list with `nm -D`). Everything else in the library is hidden.
//
// Conventions
// - Every function that can fail returns a cxg_status; CXG_OK is 0. The message of the last call
//   made on the calling thread is cxg_last_error() ("" after a success). Nothing is printed except
//   the library's warnings on stderr (cxg_set_log_level).
// - Sizes are explicit: arrays are C-contiguous (row-major), their shapes are given as arguments
//   and documented next to each pointer as [dims]. Outputs are caller-allocated, except the few
//   whose shape is only known after the work (cxg_array, freed with cxg_array_free).
// - Handles are opaque: a model (load once, run forward/attribute many times: its engine plans and
//   memory are kept between calls), a dataset pack, a settings bag, an array. One call at a time
//   per model handle; different handles may be used from different threads. A freed handle must
//   not be used again (the Python layer turns that into an exception).
// - Out of memory ends the process with a message (as the command-line tool does).
// Definitions of every number (maps, metrics, regions, AUROC): docs METHODS.md §§1-3.
#ifndef CXRGAZE_H
#define CXRGAZE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CXG_API __attribute__((visibility("default")))
#else
#define CXG_API
#endif

// Incremented when a declaration below changes incompatibly (additions keep it).
#define CXG_API_VERSION 1

typedef enum cxg_status {
    CXG_OK = 0,
    CXG_ERR_ARGUMENT = 1,  // a NULL pointer, a size, a name or a setting that is not allowed
    CXG_ERR_NOT_FOUND = 2, // a file or directory that does not exist
    CXG_ERR_FILE = 3,      // a file that cannot be read or is not what was expected
    CXG_ERR_COMPUTE = 4,   // the engine failed (the message says where)
} cxg_status;

// ---- the library -------------------------------------------------------------------------------
CXG_API int cxg_api_version(void);        // CXG_API_VERSION the library was built with
CXG_API const char *cxg_version(void);    // cxrgaze's version, e.g. "0.1.0"
// The message of the last call on this thread that returned a status: "" after CXG_OK.
CXG_API const char *cxg_last_error(void);
// Worker threads (OpenMP) of the calling thread's later calls; n <= 0 leaves them as they are.
CXG_API void cxg_set_threads(int n);
// Messages on stderr: 0 warnings only, 1 also information (default), 2 verbose.
CXG_API void cxg_set_log_level(int level);

// ---- vocabularies: the names behind every index of the API --------------------------------------
typedef enum cxg_vocab {
    CXG_VOCAB_LABELS = 0,   // the 14 CheXpert labels, logit order of cxrgaze models
    CXG_VOCAB_REGIONS,      // EGD regions, the pack's mask order: aortic_knob, right_lung, ...
    CXG_VOCAB_SPLITS,       // split codes of a pack: train, validate, test
    CXG_VOCAB_METHODS,      // attribution methods: sl, gc, dl, lc, gs, nt, ig, oc
    CXG_VOCAB_METRICS,      // columns of cxg_map_metrics: ssim, cc, nss, kl, sim, auc_judd, emd
    CXG_VOCAB_AUROC,        // entries of cxg_auroc's output
    CXG_VOCAB_DELONG,       // entries of cxg_delong_test's output
    CXG_VOCAB_SETTINGS,     // keys of cxg_settings_set
    CXG_VOCAB_PACK_ARRAYS,  // names for cxg_pack_array
    CXG_VOCAB_PACK_TEXTS,   // columns for cxg_pack_text
} cxg_vocab;
CXG_API int cxg_vocab_size(cxg_vocab v);                  // -1 for an unknown vocabulary
CXG_API const char *cxg_vocab_name(cxg_vocab v, int i);   // NULL out of range

// ---- settings: one bag of named values, read by the calls that need them ------------------------
// Keys (cxg_vocab_name(CXG_VOCAB_SETTINGS, i)) and what they mean: cxg_settings_describe(key),
// docs/api.md. Values are text ("25", "bf16", "sl,gc", "true"); unknown keys and bad values are
// CXG_ERR_ARGUMENT with a message naming the key and what is allowed. Every call taking a
// settings pointer accepts NULL for all defaults (the command line's defaults).
typedef struct cxg_settings cxg_settings;
CXG_API cxg_settings *cxg_settings_new(void);
CXG_API void cxg_settings_free(cxg_settings *s);
CXG_API cxg_status cxg_settings_set(cxg_settings *s, const char *key, const char *value);
// The current value as text into buf (cap bytes, NUL-terminated; ERR_ARGUMENT when it is cut).
CXG_API cxg_status cxg_settings_get(const cxg_settings *s, const char *key, char *buf, size_t cap);
// "what it is (default ...)" for a key, NULL for an unknown one.
CXG_API const char *cxg_settings_describe(const char *key);

// ---- arrays the library allocates (raw attributions) -------------------------------------------
typedef struct cxg_array cxg_array;
CXG_API int cxg_array_ndim(const cxg_array *a);
CXG_API const int64_t *cxg_array_shape(const cxg_array *a); // [ndim]
CXG_API float *cxg_array_data(cxg_array *a);                // [shape], float32
CXG_API void cxg_array_free(cxg_array *a);

// ---- models ------------------------------------------------------------------------------------
// A model file (safetensors, torchvision DenseNet state_dict names + metadata; what `cxrgaze
// train` writes and torchvision weights converted to safetensors). flags: CXG_LOAD_*.
typedef struct cxg_model cxg_model;
enum { CXG_LOAD_IGNORE_UNKNOWN = 1u << 0 }; // tensors the architecture lacks are skipped
CXG_API cxg_status cxg_model_load(const char *path, unsigned flags, cxg_model **out);
CXG_API void cxg_model_free(cxg_model *m);
// Frees the engine plans and memory kept between calls (the next call builds them again).
CXG_API void cxg_model_trim(cxg_model *m);
CXG_API int cxg_model_outputs(const cxg_model *m);       // K logits
CXG_API int cxg_model_input_size(const cxg_model *m);    // S it was trained at (0: not recorded)
CXG_API int cxg_model_has_gaze_head(const cxg_model *m); // 1: DenseNet-Aug
CXG_API const char *cxg_model_arch(const cxg_model *m);  // "densenet121", ...
CXG_API int cxg_model_num_labels(const cxg_model *m);    // label names recorded (0 or K)
CXG_API const char *cxg_model_label(const cxg_model *m, int i); // NULL out of range
// The model's input normalisation: x[c] = (gray/255 - mean[c]) / std[c].
CXG_API void cxg_model_normalisation(const cxg_model *m, float mean[3], float std[3]);
// Grey radiographs gray [n,h,w] (0..255) -> network input x [n,3,h,w] with that normalisation.
CXG_API cxg_status cxg_model_input_from_gray(const cxg_model *m, const uint8_t *gray, int64_t n,
                                             int h, int w, float *x);
// Side of the final feature map for an h x w input (gaze head and GC/LC layer at norm5): h/32
// rounded as the network does (224 -> 7).
CXG_API void cxg_model_feature_size(int h, int w, int *fh, int *fw);

// Forward in eval mode, in batches of the setting "batch" (as `cxrgaze forward`): x [n,3,h,w]
// normalised, 32 <= h, w <= 8192; logits [n,K]; gaze [n,1,fh,fw] (cxg_model_feature_size) the
// gaze head's sigmoid output, or NULL (ignored without a head). Settings: precision, batch.
CXG_API cxg_status cxg_model_forward(cxg_model *m, const float *x, int64_t n, int h, int w,
                                     const cxg_settings *s, float *logits, float *gaze);

// Saliency of one method (cxg_vocab_name(CXG_VOCAB_METHODS, i) or its name) for each image and
// each of its targets: x [n,3,h,w] normalised (h, w >= 32); targets [n,t] logit indices (t >= 1
// per image); maps [n,t,h,w] = the attribution summed over channels (GC/LC upsampled), as `cxrgaze
// attribute` writes them; delta [n,t] completeness sum(attr) - (f(x) - f(x')) for DL, IG, LC, NaN
// for the others (NULL: not wanted). Images are explained 4 per engine batch, image i drawing its
// GS/NT noise from RNG stream "stream" + i, so the maps equal `cxrgaze attribute --input X
// --target K` on the same images bit for bit. Settings: precision, seed, stream, max_batch and the
// method options (baseline, nt_samples, ...).
CXG_API cxg_status cxg_model_attribute(cxg_model *m, const char *method, const float *x, int64_t n,
                                       int h, int w, const int32_t *targets, int t,
                                       const cxg_settings *s, float *maps, float *delta);
// The same with Captum-shaped raw attributions: *raw [n,t,C,h',w'] (sl dl gs nt ig oc: [3,h,w];
// gc: [1,fh,fw] before ReLU; lc: [C,fh,fw] of the conductance layer). Free with cxg_array_free.
CXG_API cxg_status cxg_model_attribute_raw(cxg_model *m, const char *method, const float *x,
                                           int64_t n, int h, int w, const int32_t *targets, int t,
                                           const cxg_settings *s, cxg_array **raw, float *delta);

// ---- map metrics (`cxrgaze metrics`) ------------------------------------------------------------
// Map i of maps [n,h,w] against map i of ref [n,h,w] (e.g. radiologist gaze) for every i, with
// fixations [n,h,w] (nonzero = fixated; NULL: nss and auc_judd are NaN). The map goes through the
// settings map_sign and map_scale (METHODS.md §3), the reference is min-max normalised.
// values [n, cxg_vocab_size(CXG_VOCAB_METRICS)] in that vocabulary's order (NaN: not selected or
// undefined); constant [n,2] (NULL: not wanted): 1 where the map / the reference was constant and
// became all zeros. Settings: metrics, emd_size, map_sign, map_scale. Threads: one pair each.
CXG_API cxg_status cxg_map_metrics(const float *maps, const float *ref, const uint8_t *fixations,
                                   int64_t n, int h, int w, const cxg_settings *s, double *values,
                                   int32_t *constant);

// ---- regions (METHODS.md §3, region level) ------------------------------------------------------
// maps [n,h,w] through map_sign and map_scale; masks [r,h,w] (shared, per_map 0) or [n,r,h,w]
// (per_map 1), nonzero = inside (an empty mask is an absent region). share [n,r]: the map's mass
// in each region / its total (NaN: absent region or constant map); z [n,r] (or NULL): z-scores of
// the shares over the n maps (sample sd; 0 where the sd is 0); most [n] (or NULL): the region with
// the largest z (-1: none); constant [n] (or NULL): 1 for a constant map. Settings: map_sign,
// map_scale.
CXG_API cxg_status cxg_regions(const float *maps, int64_t n, int h, int w, const uint8_t *masks,
                               int r, int per_map, const cxg_settings *s, double *share, double *z,
                               int32_t *most, int32_t *constant);

// ---- AUROC --------------------------------------------------------------------------------------
// score [n] (higher = more positive), label [n] (0 negative, else positive), patient [n] (or NULL:
// every case its own patient) -> out [cxg_vocab_size(CXG_VOCAB_AUROC)]: auroc (ties 1/2, as
// sklearn), DeLong variance and CI (Sun & Xu), the percentile bootstrap CI over patients, counts.
// Undefined entries are NaN (one class: all but the counts). Settings: level, n_bootstrap, seed
// (`cxrgaze eval` uses seed + label index for label c).
CXG_API cxg_status cxg_auroc(const double *score, const uint8_t *label, const int64_t *patient,
                             int64_t n, const cxg_settings *s, double *out);
// DeLong test of two scores on the same cases: out [cxg_vocab_size(CXG_VOCAB_DELONG)] auroc_a,
// auroc_b, diff, se, z, p (two-sided).
CXG_API cxg_status cxg_delong_test(const double *score_a, const double *score_b,
                                   const uint8_t *label, int64_t n, double *out);

// ---- dataset packs (`cxrgaze prepare`'s output directory) ---------------------------------------
typedef struct cxg_pack cxg_pack;
typedef enum cxg_dtype { CXG_U8 = 1, CXG_U16, CXG_I32, CXG_F32 } cxg_dtype;
CXG_API cxg_status cxg_pack_open(const char *dir, cxg_pack **out);
CXG_API void cxg_pack_close(cxg_pack *p);
// A pack tensor by name (CXG_VOCAB_PACK_ARRAYS: images U8 [N,S,S], labels F32 [N,14], label_mask
// U8 [N,14], split U8 [N], gaze_row I32 [N], gaze F32 [Ng,S,S], fixations U8 [Ng,S,S], regions U8
// [Ng,4,S,S], region_present U8 [Ng,4], truth U16 [N,S,S]): *data points into the pack's read-only
// mapping, valid until cxg_pack_close (NULL when the tensor is empty); shape [4] gets ndim entries.
// CXG_ERR_NOT_FOUND for "truth" in a pack without one.
CXG_API cxg_status cxg_pack_array(const cxg_pack *p, const char *name, const void **data,
                                  cxg_dtype *dtype, int *ndim, int64_t shape[4]);
// index.csv text of one row: column dicom_id, subject_id, study_id or view (CXG_VOCAB_PACK_TEXTS);
// NULL for an unknown column or a row out of range.
CXG_API const char *cxg_pack_text(const cxg_pack *p, const char *column, int64_t row);

#ifdef __cplusplus
}
#endif
#endif
