// data/synth: private declarations shared by synth*.c (not part of the module's public face; the
// public API is the "synth" section of data.h).
//
// Geometry. Each frontal image has a *chest frame*: chest units (u, v) map to image pixels as
// x = cx + u * s, y = cy + v * s (s = px per chest unit, about 0.42 x the shorter image side).
// u < 0 is the image's left = the patient's RIGHT (PA view); v grows downwards. The lung apices
// sit near v = -0.95, the costophrenic angles near v = +0.6. Side index 0 = image-left lung
// (patient's right lung), 1 = image-right lung (patient's left lung); sg(side) = -1 / +1.
#ifndef CX_SYNTH_INTERNAL_H
#define CX_SYNTH_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "data/data.h"

// Planted finding kinds; each drives one or two labels (synth_kind_labels).
typedef enum {
    SK_CARDIOMEGALY,     // enlarged heart (anatomy change)             -> Cardiomegaly
    SK_WIDE_MEDIASTINUM, // wide upper mediastinum (anatomy change)     -> Enlarged
                         // Cardiomediastinum
    SK_EFFUSION,         // fluid at a lung base with a meniscus        -> Pleural Effusion
    SK_OPACITY,          // one ill-defined soft opacity                -> Lung Opacity
    SK_PNEUMONIA,        // patchy cluster of soft opacities            -> Pneumonia + Lung Opacity
    SK_CONSOLIDATION, // dense lobar opacity, sharp fissure border   -> Consolidation + Lung Opacity
    SK_EDEMA,         // bilateral perihilar haze                    -> Edema
    SK_NODULE,        // round sharp nodule                          -> Lung Lesion
    SK_DEVICE,        // tube / line / pacemaker                     -> Support Devices
    SK_PNEUMOTHORAX,  // apical-lateral lucency + pleural line       -> Pneumothorax
    SK_FRACTURE,      // rib break: gap, step, callus                -> Fracture
    SK_ATELECTASIS,   // plate-like band                             -> Atelectasis
    SK_PLEURAL_THICK, // band along the lateral chest wall           -> Pleural Other
    SK_N
} synth_kind;

// Device sub-kinds (SK_DEVICE).
enum { DEV_ET_TUBE, DEV_NG_TUBE, DEV_CENTRAL_LINE, DEV_PACEMAKER, DEV_N };

#define SYNTH_MAX_FINDINGS 12
#define SYNTH_MAX_PTS 8

typedef struct synth_finding {
    int kind;       // SK_*
    int side;       // 0 image-left lung, 1 image-right lung (where it applies)
    int sub;        // device kind; rib index for fractures; upper/lower lobe for consolidation
    float u, v;     // centre, chest units
    float a, b;     // half sizes (chest units); meaning per kind
    float angle;    // radians
    float strength; // density added (attenuation units; lung ~0.2, soft tissue ~1)
    int npts;
    float pts[SYNTH_MAX_PTS][3]; // device polyline (u,v,-) / pneumonia blobs (u,v,radius)
} synth_finding;

// Patient anatomy in chest units (per study; per-image jitter is applied at render time).
typedef struct synth_anatomy {
    float body_hw;               // half-width of the trunk
    float lung_u[2], lung_v[2];  // lung ellipse centres
    float lung_a[2], lung_b[2];  // lung ellipse half-width / half-height
    float dia_base[2], dia_curv; // diaphragm: v_d(u) = lung_v + dia_base + dia_curv*du^2
    float heart_u, heart_v, heart_a, heart_b; // heart ellipse
    float med_u, med_hw;                      // upper mediastinum centre and half-width
    float knob_u, knob_v, knob_r;             // aortic knob
    float rib_v0, rib_dv, rib_t;              // posterior ribs: first centre, spacing, thickness
    float clav_v;                             // clavicle medial end height
    float air;                                // lung air (density removed at the lung centre)
    float tex_amp;                            // lung marking texture amplitude (fraction of air)
    uint64_t tex_seed;                        // vessel tree stream
#define SYNTH_TEX_N 20
    float tex[SYNTH_TEX_N][SYNTH_TEX_N]; // coarse lung texture, N(0,1) on u,v in [-1.2, 1.2]
} synth_anatomy;

enum { VIEW_PA, VIEW_AP, VIEW_LATERAL, VIEW_LL };
extern const char *const SYNTH_VIEW_NAMES[4]; // "PA", "AP", "LATERAL", "LL"

typedef struct synth_study {
    char subject_id[12], study_id[12];
    int patient;      // index of the patient
    int split;        // SPLIT_* (patient level)
    int date, time_s; // StudyDate YYYYMMDD, seconds in the day
    synth_anatomy anat;
    int n_find;
    synth_finding find[SYNTH_MAX_FINDINGS];
    uint8_t truth[CX_N_LABELS];    // noise-free labels (0/1)
    char chexpert[CX_N_LABELS][6]; // table cells: "1.0" "0.0" "-1.0" ""
    char negbio[CX_N_LABELS][6];
    int egd_class; // -1 not in EGD; 0 Normal, 1 CHF, 2 pneumonia
    int first_image, n_images;
} synth_study;

typedef struct synth_image {
    char dicom_id[48];
    int study;       // index into the study array
    int view;        // VIEW_*
    int w, h;        // pixels (Columns, Rows)
    float cx, cy, s; // chest frame (px)
    float rot;       // patient rotation in the image plane, radians
    float exposure;  // tone curve gain
    float noise_sd;  // grey levels
    int64_t egd;     // index into the EGD image list, -1 = none
} synth_image;

typedef struct synth_rfx_plan synth_rfx_plan;
typedef struct synth_plan {
    const synth_opts *o;
    int64_t n_img, n_study, n_patient, n_egd;
    synth_image *img;
    synth_study *study;
    int64_t *egd_img; // [n_egd] image index of each EGD image (master_sheet order)
    synth_rfx_plan *rfx; // synth --reflacx: the REFLACX readings (synth_reflacx.c), else NULL
} synth_plan;

// synth_plan.c: ids, patients, studies, views, findings and label tables. Deterministic in the
// seed alone (one sequential stream).
int synth_plan_make(synth_plan *p, const synth_opts *o, cx_error *err);
void synth_plan_free(synth_plan *p);
// Labels a finding kind drives: up to 2 indices into CX_LABELS, returns the count.
int synth_kind_labels(int kind, int labels[2]);

// synth_phantom.c: the chest phantom. Renders image i into px [h*w]; for a frontal image also
// one mask per planted finding (masks[k] [h*w] 0/255, bbox[k] = x0,y0,x1,y1 exclusive, empty
// bbox when nothing was drawn). Uses only the image's own RNG stream (seed, image index), so
// the result does not depend on threads. masks may be NULL (then bbox is not filled).
void synth_render(const synth_plan *p, int64_t i, uint8_t *px, uint8_t **masks, int (*bbox)[4]);
// EGD region masks of a frontal image, CX_REGIONS order, each [h*w] 0/255.
void synth_regions(const synth_plan *p, int64_t i, uint8_t *regions[CX_N_REGIONS]);

// Shape helpers shared by the phantom and the findings (chest units).
float synth_lung_occ(const synth_anatomy *a, int side, float u, float v, float *depth);
float synth_heart_occ(const synth_anatomy *a, float u, float v);
float synth_med_occ(const synth_anatomy *a, float u, float v);
// Lung air removed at (u,v) (0 outside the lungs and behind heart/mediastinum), i.e. the density
// a fluid-filled lung would add back.
float synth_air(const synth_anatomy *a, float u, float v);
float synth_rib_profile(const synth_anatomy *a, float u, float v, int *rib);
float synth_rib_centre_v(const synth_anatomy *a, int k, float u); // posterior rib k's centre line

// synth_findings.c: paints finding f onto the density map D [h*w] (chest frame of image im)
// and its mask; returns the mask's bbox in bbox (x0,y0,x1,y1 exclusive; x0 >= x1 when empty).
// D == NULL: mask only (plant_findings = 0). M [h*w] holds the lung markings (texture + vessels)
// that a finding may hide.
void synth_paint_finding(const synth_anatomy *a, const synth_image *im, const synth_finding *f,
                         float *D, float *M, uint8_t *mask, int bbox[4]);
// The anatomy as rendered: the study's, with the anatomy-changing findings (cardiomegaly, wide
// mediastinum) applied when plant is 1, and the view's changes (AP: magnified heart).
void synth_image_anatomy(const synth_plan *p, int64_t i, int plant, synth_anatomy *a);

// Frame transforms (pixel centres are x + 0.5).
static inline void synth_px_to_chest(const synth_image *im, float x, float y, float *u, float *v) {
    float c = cosf(im->rot), s = sinf(im->rot), dx = x - im->cx, dy = y - im->cy;
    *u = (c * dx + s * dy) / im->s;
    *v = (-s * dx + c * dy) / im->s;
}
static inline void synth_chest_to_px(const synth_image *im, float u, float v, float *x, float *y) {
    float c = cosf(im->rot), s = sinf(im->rot);
    *x = im->cx + im->s * (c * u - s * v);
    *y = im->cy + im->s * (s * u + c * v);
}
// Pixel extent (x0,y0,x1,y1, float, unclamped) of a chest-unit box: the box's four corners in the
// image, which may be rotated.
void synth_chest_box_extent(const synth_image *im, float u0, float v0, float u1, float v1,
                            float e[4]);
// Pixel bbox (x0,y0,x1,y1 exclusive, with a margin, clamped to the image) of a chest-unit box.
void synth_chest_box_px(const synth_image *im, float u0, float v0, float u1, float v1, int b[4]);
// The visible extent of lung `side` in v: apex to the medial diaphragm dome; its middle and half.
static inline float synth_lung_mid(const synth_anatomy *a, int side) {
    return a->lung_v[side] + 0.5f * (a->dia_base[side] - a->lung_b[side]);
}
static inline float synth_lung_half(const synth_anatomy *a, int side) {
    return 0.5f * (a->dia_base[side] + a->lung_b[side]);
}
static inline float synth_smooth01(float t) {
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return t * t * (3 - 2 * t);
}

// synth_gaze.c: one reading of an EGD image: fixations in original pixels, times relative to the
// image's start. Deterministic in (seed, EGD index).
typedef struct synth_fix {
    float x, y;       // original px (may be outside the image for off-image glances)
    float start, dur; // s, relative to the image's first fixation
    int finding;      // index of the finding it dwells on, -1 none
} synth_fix;
typedef struct synth_reading {
    synth_fix *fix;
    int n_fix;
    float total_s; // reading time of the screen
    int n_phrase;
    char phrase[SYNTH_MAX_FINDINGS + 3][160];
    float phrase_t[SYNTH_MAX_FINDINGS + 3][2];
} synth_reading;
void synth_gaze_read(const synth_plan *p, int64_t egd, uint8_t *const *masks, const int (*bbox)[4],
                     synth_reading *r);
// The same scanpath for frontal image i from RNG stream `stream` (synth_gaze_read uses
// (1 << 40) + egd; synth_reflacx.c its own streams).
void synth_gaze_scan(const synth_plan *p, int64_t i, uint64_t stream, uint8_t *const *masks,
                     const int (*bbox)[4], synth_reading *rd);
void synth_reading_free(synth_reading *r);
// Writes fixations.csv and eye_gaze.csv for all EGD readings (sessions, calibration screens).
int synth_write_gaze(const synth_plan *p, const synth_reading *readings, const char *egd_dir,
                     int64_t *n_fix_rows, int64_t *n_gaze_rows, cx_error *err);
// The display pads of an image on the 1920x1080 screen (long side 1024, centred).
void synth_pads(int w, int h, int *top, int *bottom, int *left, int *right);

// synth_reflacx.c: `synth --reflacx`. Five synthetic readers, each with a systematic offset and
// a spread (fractions of the chest scale s), a pace (duration factor) and a sensitivity (chance
// of drawing an ellipse around a visible finding). Readings ordered by image; the readings of
// image i are rd[first[i] .. first[i + 1]).
#define SYNTH_RFX_READERS 5
#define SYNTH_RFX_MAX_LABELS 20
typedef struct synth_rfx_reader {
    float off_x, off_y, spread, pace, sensitivity;
} synth_rfx_reader;
typedef struct synth_rfx_reading {
    char id[32];    // its folder under main_data/
    int64_t img;
    int phase, reader, discarded;
    int8_t cert[SYNTH_RFX_MAX_LABELS]; // highest ellipse certainty per phase label (metadata)
} synth_rfx_reading;
struct synth_rfx_plan {
    synth_rfx_reader reader[SYNTH_RFX_READERS];
    synth_rfx_reading *rd;
    int64_t n;
    int64_t *first; // [n_img + 1]
};
// Decided from the plan alone (own RNG stream); sets p->rfx.
void synth_rfx_plan_make(synth_plan *p);
void synth_rfx_plan_free(synth_plan *p);
// Image i's reading folders under root/reflacx/main_data (parallel image loop).
int synth_reflacx_image(const synth_plan *p, int64_t i, const char *root, uint8_t *const *masks,
                        const int (*bbox)[4], cx_error *err);
// metadata_phase_{1,2,3}.csv; counts[p-1]: rows of phase p.
int synth_reflacx_metadata(const synth_plan *p, const char *root, int64_t counts[3],
                           cx_error *err);

// synth.c: writes bytes to a file inside the temporary output tree (no fsync: the tree is renamed
// into place as a whole once complete).
int synth_write_bytes(const char *path, const void *data, size_t n, cx_error *err);

// synth_egd.c: master_sheet.csv, bounding_boxes.csv, transcripts, region mask PNGs.
// synth_annot.c: truth/BBox_List_2017.csv, chexlocalize_polygons.json, chexlocalize_rle.json.
int synth_write_annotations(const synth_plan *p, const int (*bbox)[SYNTH_MAX_FINDINGS][4],
                            const char *truth_dir, cx_error *err);
int synth_write_master_sheet(const synth_plan *p, const char *egd_dir, cx_error *err);
int synth_write_bboxes(const synth_plan *p, const char *egd_dir, cx_error *err);
int synth_write_transcript(const synth_plan *p, int64_t egd, const synth_reading *r,
                           const char *egd_dir, cx_error *err);

#endif
