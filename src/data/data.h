// data: MIMIC-CXR-JPG and EGD-CXR readers, gaze heatmaps, region masks, patient splits and the
// dataset pack (the one file set every later stage reads). Depends on io and util.
// File formats: /work/shared/docs/DATA-FORMATS.md. Pack layout: see "dataset pack" below.
#ifndef CX_DATA_H
#define CX_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "io/io.h"
#include "util/util.h"

// ==== constants ================================================================================
// Each vocabulary is one enum and its name tables (labels.c), whose lengths a _Static_assert
// there checks against the enum's count; the tables are declared unsized here for that reason.
//
// The 14 CheXpert labels in MIMIC-CXR-JPG's column order. This is cxrgaze's label order
// everywhere (pack, models, reports).
enum {
    LB_ATELECTASIS, LB_CARDIOMEGALY, LB_CONSOLIDATION, LB_EDEMA, LB_ENLARGED_CM, LB_FRACTURE,
    LB_LUNG_LESION, LB_LUNG_OPACITY, LB_NO_FINDING, LB_EFFUSION, LB_PLEURAL_OTHER, LB_PNEUMONIA,
    LB_PNEUMOTHORAX, LB_SUPPORT_DEVICES, CX_N_LABELS
};
// [CX_N_LABELS] spelled exactly as the chexpert/negbio table headers: "Atelectasis", ...
extern const char *const CX_LABELS[];
int label_from_name(const char *s); // its CX_LABELS index; -1 if not one of CX_LABELS
// [CX_N_LABELS] the EGD master_sheet column holding the same label: "atelectasis__chx", ...
extern const char *const CX_LABELS_EGD[];

// Anatomical regions of EGD (audio_segmentation_transcripts/<dicom_id>/<name>.png), pack order.
// Left/right are the patient's (patient's left lung is on the image's right in a PA view).
enum { REGION_AORTIC_KNOB, REGION_RIGHT_LUNG, REGION_LEFT_LUNG, REGION_MEDIASTINUM, CX_N_REGIONS };
extern const char *const CX_REGIONS[]; // [CX_N_REGIONS] "aortic_knob", "right_lung", ...
// The mask file stems EGD-CXR uses for them (it spells the mediastinum "mediastanum").
extern const char *const EGD_REGION_FILES[CX_N_REGIONS];

// Split codes in the pack's `split` tensor.
enum { SPLIT_TRAIN = 0, SPLIT_VALIDATE = 1, SPLIT_TEST = 2, CX_N_SPLITS };
extern const char *const CX_SPLITS[]; // [CX_N_SPLITS] "train", "validate", "test" (MIMIC spelling)
int split_from_name(const char *s); // -1 if not one of CX_SPLITS

// ==== labels ==================================================================================
// How an uncertain (-1) CheXpert label is used. Raw values: 1 positive, 0 negative, -1 uncertain,
// empty = not mentioned.
//   ZEROS  (default, CheXclusion's "U-zeros"): 1 -> 1; 0, -1, empty -> 0. All counted.
//   ONES   ("U-ones"): 1, -1 -> 1; 0, empty -> 0. All counted.
//   IGNORE: 1 -> 1; 0, empty -> 0 counted; -1 masked out (label_mask 0: excluded from loss and
//           metrics). Empty stays a counted negative: "not mentioned" is the CheXpert labeller's
//           negative-by-omission, not an uncertainty.
typedef enum { UNCERTAIN_ZEROS, UNCERTAIN_ONES, UNCERTAIN_IGNORE } uncertain_policy;
const char *uncertain_policy_name(uncertain_policy p); // "zeros" / "ones" / "ignore"
int uncertain_policy_parse(const char *s, uncertain_policy *out); // 0 ok, -1 unknown

// Raw label cell -> value in {1, 0, -1} or LABEL_EMPTY. Accepts "1", "1.0", "0", "0.0", "-1",
// "-1.0", "" (and surrounding blanks). Returns -1 for anything else (caller reports file:line).
#define LABEL_EMPTY 2
int label_parse(const char *cell, int *raw);
// Applies the policy: *label in {0,1}, *mask 1 = counts.
void label_apply_policy(int raw, uncertain_policy p, float *label, uint8_t *mask);

// ==== id lookup =================================================================================
// A string -> int64 hash map (open addressing) for joining tables by dicom_id / study_id.
typedef struct cx_strmap {
    char **keys;
    int64_t *vals;
    size_t cap, n;
} cx_strmap;
void strmap_init(cx_strmap *m);
void strmap_free(cx_strmap *m);
// Inserts or overwrites; returns the previous value or -1 if the key was new.
int64_t strmap_put(cx_strmap *m, const char *key, int64_t val);
int64_t strmap_get(const cx_strmap *m, const char *key); // -1 when absent

// ==== table helpers =============================================================================
// dir/name.csv, else dir/name.csv.gz, into out; error naming both paths when neither exists.
int data_find_table(const char *dir, const char *name, char *out, size_t cap, cx_error *err);
// An id used as a path component: non-empty, shorter than cap, no '/', not starting with '.'.
int data_id_ok(const char *s, size_t cap);
// Non-empty decimal digits only, shorter than cap.
int data_digits_ok(const char *s, size_t cap);

// ==== MIMIC-CXR-JPG ===========================================================================
typedef enum { VIEWS_FRONTAL, VIEWS_ALL } view_filter; // frontal = ViewPosition PA or AP
typedef enum { LABELER_CHEXPERT, LABELER_NEGBIO } labeler_kind;

// One image selected for the pack.
typedef struct image_record {
    char dicom_id[64];
    char subject_id[24];
    char study_id[24];
    char view[16];      // ViewPosition ("PA", "AP", ...; "" when unknown)
    char *path;         // image file (malloc'd)
    float labels[CX_N_LABELS];
    uint8_t label_mask[CX_N_LABELS];
    int split;          // SPLIT_*: MIMIC's official one until splits_assign runs
    int rows, cols;     // from metadata (0 = unknown); the decoded JPEG header is authoritative
    int64_t egd;        // index into egd_data.img, -1 = no gaze
    int n_reflacx;      // REFLACX readings of this image (prepare --reflacx); > 0 = gaze too
} image_record;

typedef struct image_list {
    image_record *r;
    int64_t n, cap;
} image_list;
void image_list_free(image_list *l);
image_record *image_list_push(image_list *l); // zeroed, egd = -1

// Why selected images were left out, counted (reported in summary.json).
typedef struct mimic_stats {
    int64_t metadata_rows, not_frontal, no_split, no_labels, selected;
} mimic_stats;

// Reads metadata, split and chexpert (or negbio) tables from dir (.csv or .csv.gz), by column
// name, and appends the selected images (view filter, label policy) in metadata order.
// Errors name file:line:column and what was expected.
int mimic_read(const char *dir, view_filter views, labeler_kind labeler, uncertain_policy unc,
               image_list *out, mimic_stats *st, cx_error *err);
// files/p{first 2 digits}/p{subject}/s{study}/{dicom}.jpg, relative (no dir).
void mimic_image_relpath(char *out, size_t cap, const char *subject_id, const char *study_id,
                         const char *dicom_id);

// ==== EGD-CXR =================================================================================
// The dataset's screen -> original-image mapping (create_heatmap_images_and_or_videos.py):
// ex = fpogx*1920, ey = fpogy*1080; inside iff L < ex < 1920-R and T < ey < 1080-B; then
// X = (int)(W/(1920-L-R)*(ex-L)), Y = (int)(H/(1080-T-B)*(ey-T)). Returns 1 and sets *x,*y
// when on the image, 0 when off it (the dataset then stores small negative values).
int egd_screen_to_original(double fpogx, double fpogy, int img_w, int img_h, int pad_top,
                           int pad_bottom, int pad_left, int pad_right, int *x, int *y);

typedef struct egd_fixation {
    int32_t x, y;        // X_ORIGINAL, Y_ORIGINAL: original image pixels (valid: both >= 0)
    float duration_s;    // FPOGD
    float fpogx, fpogy;  // screen fractions
} egd_fixation;

typedef struct egd_image {
    char dicom_id[64];
    char patient_id[24]; // = MIMIC subject_id
    char study_id[24];
    char *jpg_relpath;   // master_sheet `path` with .dcm -> .jpg (malloc'd)
    int pad_top, pad_bottom, pad_left, pad_right;
    int chx_raw[CX_N_LABELS]; // *__chx raw values (1/0/-1/LABEL_EMPTY)
    int64_t fix_begin, fix_count; // this image's fixations: egd_data.fix[fix_begin ..)
} egd_image;

typedef struct egd_stats {
    int64_t master_rows;
    int64_t fixation_rows;
    int64_t calibration_rows;   // DICOM_ID not in master_sheet (calibration screens): ignored
    int64_t invalid_rows;       // negative (off-image) X_ORIGINAL/Y_ORIGINAL: ignored
    int64_t valid_fixations;
    int64_t images_without_fixations;
} egd_stats;

typedef struct egd_data {
    egd_image *img; // [n_img], master_sheet order
    int64_t n_img;
    egd_fixation *fix; // [n_fix] valid fixations only, grouped by image
    int64_t n_fix;
    cx_strmap by_dicom; // dicom_id -> index into img
    egd_stats st;
    char dir[4096];
} egd_data;

// Bounds on what fixations.csv may hold (real EGD-CXR: ~49k fixation rows, ~45 per image): a
// table beyond them is refused with file:line, never read until memory runs out.
#define EGD_MAX_FIXATIONS_PER_IMAGE 1000000
#define EGD_MAX_FIXATIONS 100000000 // all images together (~2.8 GB while reading)

// Reads master_sheet.csv and fixations.csv (streamed) from dir (.csv or .csv.gz).
int egd_read(const char *dir, egd_data *out, cx_error *err);
void egd_free(egd_data *d);

// Region masks of one image: audio_segmentation_transcripts/<dicom_id>/<region>.png
// (mediastinum: "mediastanum.png" first, as the real data spells it). Writes the path of
// region r into out and returns 1 if the file exists, 0 if missing.
int egd_region_mask_path(const egd_data *d, const char *dicom_id, int region, char *out,
                         size_t cap);

// ==== REFLACX ===================================================================================
// REFLACX 1.0.0 (Lanfredi et al., Scientific Data 2022; docs/reflacx.md): readings of MIMIC-CXR
// images by 5 radiologists. Under main_data/: metadata_phase_{1,2,3}.csv (one row per reading:
// id, split, eye_tracking_data_discarded, image, dicom_id, subject_id, image_size_x,
// image_size_y, then label columns that differ between phases) and one folder per reading
// {id}/ with fixations.csv, anomaly_location_ellipses.csv and chest_bounding_box.csv.
// Discarded readings (eye_tracking_data_discarded True: their folder has no fixations) are
// skipped and counted. Column sources: docs/reflacx.md.

// Bounds (real REFLACX: 3,052 metadata rows; a few hundred fixations and a handful of ellipses per
// reading): beyond them a table is refused with file:line, never read until memory runs out.
#define REFLACX_MAX_READINGS 100000             // rows of one metadata table
#define REFLACX_MAX_FIXATIONS_PER_READING 100000
#define REFLACX_MAX_FIXATIONS 20000000          // all readings together (~1 GB)
#define REFLACX_MAX_ELLIPSES_PER_READING 10000
#define REFLACX_MAX_LABELS 64                   // label names over all phases (real: ~27)
#define REFLACX_N_PHASES 3

// One row of {id}/fixations.csv (create_main_table.py's names).
typedef struct reflacx_fixation {
    double t_start, t_end; // timestamp_{start,end}_fixation: s from the dictation's start
    float x, y;            // x_position, y_position (or position_x, position_y): image px
    float ppd_x, ppd_y;    // angular_resolution_{x,y}_pixels_per_degree: image px per degree
    float shown[4];        // {x,y}{min,max}_shown_from_image: the part of the image on screen
                           // (xmin, ymin, xmax, ymax; image px)
} reflacx_fixation;

// One row of {id}/anomaly_location_ellipses.csv: the ellipse inscribed in the box.
typedef struct reflacx_ellipse {
    float xmin, ymin, xmax, ymax; // image px
    float certainty;              // 1 Unlikely .. 5 Consistent with
    uint64_t labels;              // bit k: label_names[k] of reflacx_data is True for it
} reflacx_ellipse;

// Which spelling of the position columns a fixations.csv used.
typedef enum { REFLACX_POS_X_POSITION, REFLACX_POS_POSITION_X } reflacx_pos_spelling;
extern const char *const REFLACX_POS_NAMES[2]; // "x_position/y_position", "position_x/position_y"

typedef struct reflacx_reading {
    char id[32];          // e.g. "P102R108074" (its folder under main_data/)
    int phase;            // 1..3
    int split;            // SPLIT_* (MIMIC's split names)
    char dicom_id[64];
    char subject_id[24];
    char *image;          // metadata `image`: the MIMIC-CXR DICOM path (malloc'd)
    int width, height;    // image_size_x, image_size_y (px)
    float label[REFLACX_MAX_LABELS]; // [k]: the cell of label_names[k], NaN when
                          // this phase has no such column or the cell is empty. Certainty labels
                          // 0..5 (0 = not chosen); True/False columns (Support devices, Quality
                          // issue) 1/0. "Other" (free text) is not kept.
    float chest_box[4];   // chest_bounding_box.csv: xmin, ymin, xmax, ymax (image px)
    reflacx_pos_spelling pos_spelling;
    int64_t fix_begin, fix_count; // reflacx_data.fix[fix_begin ..), file order
    int64_t ell_begin, ell_count; // reflacx_data.ell[ell_begin ..), file order
} reflacx_reading;

typedef struct reflacx_stats {
    int64_t metadata_rows[REFLACX_N_PHASES]; // 0 for a phase whose table is absent
    int64_t discarded;           // eye_tracking_data_discarded True: skipped (not in reading[])
    int64_t readings;            // kept
    int64_t fixation_rows;       // rows of the kept readings' fixations.csv
    int64_t fixations_incomplete; // a row with an empty position, resolution, window or
                                  // timestamp cell: skipped (no position to draw)
    int64_t ellipses;
    int64_t spelling[2];         // readings whose fixations.csv used REFLACX_POS_*
} reflacx_stats;

typedef struct reflacx_data {
    reflacx_reading *reading; // [n_reading], phase 1, 2, 3 then metadata row order
    int64_t n_reading;
    reflacx_fixation *fix;    // [n_fix] (never NULL after reflacx_read, even for n_fix 0)
    int64_t n_fix;
    reflacx_ellipse *ell;     // [n_ell] (never NULL after reflacx_read)
    int64_t n_ell;
    int n_labels;             // label names of all phases' metadata and ellipse tables
    char *label_names[REFLACX_MAX_LABELS];     // as spelled in the headers (malloc'd)
    int label_cx[REFLACX_MAX_LABELS];          // its CX_LABELS index, -1 = none (docs/reflacx.md)
    uint8_t label_in_phase[REFLACX_MAX_LABELS]; // bit p-1: metadata_phase_p.csv has the column
    cx_strmap by_id;          // reading id -> index into reading
    reflacx_stats st;
    char dir[4096];           // the main_data folder
} reflacx_data;

// The CX_LABELS index a REFLACX label name stands for (table in docs/reflacx.md), or -1.
int reflacx_label_cx(const char *name);
// Reads dir/main_data (or dir itself when it holds the metadata tables): every
// metadata_phase_{1,2,3}.csv present (.csv or .csv.gz; at least one), then each kept reading's
// folder. Errors name file:line and column; a reading folder missing one of its three files is
// an error naming the file.
int reflacx_read(const char *dir, reflacx_data *out, cx_error *err);
void reflacx_free(reflacx_data *d);

// Heatmap of one reading, the authors' recipe (generate_heatmaps.py, create_heatmap): fixation k
// is a 2-D Gaussian density (scipy multivariate_normal pdf, normalisation 1/(2 pi sx sy)) centred
// at (x, y), sx = sigma_deg * ppd_x, sy = sigma_deg * ppd_y image px, drawn only over its shown
// window [round(xmin), round(xmax)) x [round(ymin), round(ymax)) (clipped to the image; the
// authors' numpy slice needs it inside), weighted by t_end - t_start, summed over fixations and
// divided by its sum over the image. Then the image's geometry g (Pillow bilinear resize +
// centre crop), computed directly at S x S: pdf and window are separable, so each fixation is an
// outer product of two resized 1-D profiles (as gaze_heatmap). Exactly the full-resolution
// recipe followed by the resize, at O(W + H) per fixation.
// REFLACX_NORM_SUM: that map (it sums to 1 at full resolution, not after the resize);
// REFLACX_NORM_MAX: the same divided by its maximum over S x S (in [0,1], the pack's gaze range).
// heat [S,S]; fixmap [S,S] (may be NULL): 1 where a fixation's pixel centre lands (positions
// inside the image). Returns the fixations that contribute (weight > 0, window meets the image);
// none -> heat all zeros.
typedef enum { REFLACX_NORM_SUM, REFLACX_NORM_MAX } reflacx_norm;
int64_t reflacx_heatmap(float *heat, uint8_t *fixmap, const reflacx_fixation *fix, int64_t n_fix,
                        const img_fit_geom *g, double sigma_deg, reflacx_norm norm);

// Union of the reading's ellipses with certainty >= min_certainty and any of the label bits in
// labels (bit k = label_names[k]), at S x S through g: a target pixel is inside when its centre,
// mapped to image px, lies inside an ellipse. mask [S,S] 0/1. Returns the ellipses drawn.
int64_t reflacx_ellipse_mask(uint8_t *mask, const reflacx_data *d, const reflacx_reading *r,
                             uint64_t labels, double min_certainty, const img_fit_geom *g);
// The label bits of every name standing for CX label c (0 when none).
uint64_t reflacx_cx_label_bits(const reflacx_data *d, int c);

// ==== gaze heatmap =============================================================================
typedef enum { GAZE_WEIGHT_COUNT, GAZE_WEIGHT_DURATION } gaze_weight;

// Static gaze heatmap computed directly at the target resolution. The reference recipe (EGD's
// create_heatmap_images_and_or_videos.py): count fixations per original pixel, scipy
// ndimage.gaussian_filter(sigma = 150 px; mode 'reflect', truncate 4), min-max normalise; then
// resize and crop like the image (Pillow bilinear with antialiasing, centre crop). Both the blur
// and the resize are separable and linear, so each fixation contributes an outer product of two
// 1-D profiles: its blurred (reflected, truncated) Gaussian along each axis, resized with the
// resize's own filter weights. That is the full-resolution recipe exactly, at O(W + H) work per
// fixation instead of O(W * H). Min-max normalisation uses the full-resolution extremes,
// evaluated at candidates: the resized grid, the four corners, every fixation pixel and its
// projections onto the borders (the reflection piles mass up there). No valid fixation -> zeros.
// sigma_px is in original pixels; the geometry is io's img_fit_geom (resize + centre crop).
// heat [S,S] in [0,1]; fixmap [S,S] (may be NULL): 1 where a fixation's pixel centre lands.
// fix: the image's fixations; only 0 <= x < W, 0 <= y < H are used (and, weighting by duration,
// duration > 0). Returns the number used.
int64_t gaze_heatmap(float *heat, uint8_t *fixmap, const egd_fixation *fix, int64_t n_fix,
                     const img_fit_geom *g, double sigma_px, gaze_weight weight);

// ==== patient splits ==========================================================================
// Whole patients go to one split. Gaze patients: those with an EGD image (egd >= 0) or a REFLACX
// reading (n_reflacx > 0); "EGD patients" below means these. Rule: a seeded fraction of EGD
// patients (round(f * n), sorted
// ids shuffled with cx_rng stream 7) -> test; other EGD patients -> train; every other patient
// -> MIMIC's official split (if a patient's rows disagree, the most held-out one wins:
// test > validate > train). Sets r[i].split. Returns the number of EGD patients sent to test.
int64_t splits_assign(image_list *l, double gaze_test_fraction, uint64_t seed);
// 0 if no subject_id appears in two splits; otherwise -1 with the first offender in err.
int splits_check_disjoint(const image_list *l, cx_error *err);

// ==== plain image folders and planted ground truth ==============================================
// Appends unlabelled images (label_mask all 0, split test, no gaze): the PNG/JPEG/DICOM files of
// a folder (.png .jpg .jpeg .dcm .dicom, any case; sorted by name), or the paths listed in a text file (one per
// line; blank lines and '#' comments skipped; relative paths are relative to the list's folder).
// dicom_id = subject_id = the file name; a name seen twice is an error naming both paths.
int images_list_read(const char *dir_or_list, image_list *out, cx_error *err);

// The synthetic generator's truth/findings.csv: dicom_id,label,x0,y0,x1,y1,mask (label = a
// CX_LABELS name or its index; box in original px, x1/y1 exclusive; mask = PNG path relative to
// the truth folder, at the image's original size; empty mask = the box itself).
typedef struct truth_finding {
    char dicom_id[64];
    int label;
    double x0, y0, x1, y1;
    char *mask; // full path or NULL
} truth_finding;
typedef struct truth_set {
    truth_finding *f; // [n], grouped by dicom_id (file order within an image)
    int64_t n;
    cx_strmap first;  // dicom_id -> index of its first finding
    char dir[4096];
} truth_set;
// dir holds findings.csv (or truth/findings.csv).
int truth_read(const char *dir, truth_set *t, cx_error *err);
void truth_free(truth_set *t);
// out [S,S]: bit c set where a finding of label c lies, brought through g like the image.
// Returns the number of findings of this image, or -1 (bad mask file / size) with err.
int truth_render(const truth_set *t, const char *dicom_id, const img_fit_geom *g, uint16_t *out,
                 cx_error *err);

// ==== expert annotations (annotations.c, annotations_raster.c; docs/annotations.md) =============
// Localisation ground truth (METHODS.md §4) from one file, its format told by its content (a JSON
// object, else CSV):
//   NIH ChestX-ray14 BBox_List_2017.csv: Image Index, Finding Label, x, y, w, h (the header may
//     read "Bbox [x,y,w,h]" and end in empty columns; rows may or may not); boxes in pixels of
//     the released NIH_BOX_FRAME x NIH_BOX_FRAME PNG, scaled by W / 1024, H / 1024 to an image of
//     another size;
//   CheXlocalize polygons {id: {"img_size": [h, w], "<Pathology>": [[[x, y], ...], ...]}}, filled
//     as CheXlocalize does (PIL ImageDraw.polygon) in the img_size frame;
//   CheXlocalize COCO-RLE {id: {"<Pathology>": {"size": [h, w], "counts": "<compressed>" or
//     [runs]}}} (column-major runs starting with 0s); an all-zero mask means "not present" and is
//     dropped (counted in n_empty), as CheXlocalize writes every pathology for every image.
// A JSON file may mix polygons and RLE (told apart per value). Finding names map to CX_LABELS by
// ANNOT_LABEL_MAP (then by CX name, case-insensitive); other names become extra labels after the
// 14. Several shapes of one (image, label) are united.
#define NIH_BOX_FRAME 1024 // NIH boxes are in pixels of the released 1024 x 1024 PNG

typedef struct annot_label_alias {
    const char *name; // as the annotation set writes it ("Effusion", "Airspace Opacity")
    int label;        // CX_LABELS index
} annot_label_alias;
extern const annot_label_alias ANNOT_LABEL_MAP[];
extern const int ANNOT_LABEL_MAP_N;
int annot_label_cx(const char *name); // CX_LABELS index of an annotation name, -1 if unmapped

typedef enum { ANNOT_BOX, ANNOT_POLYGON, ANNOT_RLE } annot_kind;
typedef struct annot_shape {
    int kind;               // ANNOT_*
    int label;              // index into annot_set.labels
    int64_t key;            // index into annot_set.keys
    int64_t pos;            // order in the file
    int frame_w, frame_h;   // the shape's coordinate frame (NIH_BOX_FRAME, img_size, size)
    double box[4];          // ANNOT_BOX: x, y, w, h in the frame
    int64_t n;              // polygon points or RLE runs
    double *pts;            // ANNOT_POLYGON: [n, 2] x, y (pixel centres at integers)
    uint32_t *runs;         // ANNOT_RLE: [n] run lengths
} annot_shape;

typedef struct annot_set {
    char path[4096];
    const char *format;     // "nih-bbox", "chexlocalize-polygons", "chexlocalize-rle", "...-mixed"
    char **keys;            // [n_keys] image ids as the file writes them, in file order
    int64_t n_keys;
    annot_shape *s;         // [n] sorted by (key, label, file order)
    int64_t n;
    int64_t *first;         // [n_keys + 1]: shapes of key k are s[first[k] .. first[k+1])
    char **labels;          // [n_labels]: CX_LABELS, then extra names in order of appearance
    int n_labels;
    int64_t n_read;         // shapes read (boxes, polygons, non-empty RLE masks)
    int64_t n_empty;        // empty RLE masks / polygon lists (no shape)
    cx_strmap by_key, by_stem, extra;
} annot_set;

// Reads one file; errors name file:line and the column (CSV) or file: "id": "pathology" and the
// field (JSON).
int annot_read(const char *path, annot_set *a, cx_error *err);
void annot_free(annot_set *a);
// The key matching a pack image: its dicom_id equal to a key, or equal after stripping a file
// extension (1-5 letters/digits, at least one letter: ".png", not a UID's ".123") from either
// side. -1 when none.
int64_t annot_match(const annot_set *a, const char *dicom_id);
// The distinct labels of key, ascending, into labels[a->n_labels]; returns their count.
int annot_key_labels(const annot_set *a, int64_t key, int *labels);
// out [S,S] 0/1: the union of key's shapes of label, through the image's fit geometry g (the
// same resize + crop as its pixels): boxes as the target pixels whose centre maps inside,
// polygons and RLE rasterised in their frame and brought over by img_fit_mask (coverage >= 0.5).
// Returns the pixels inside, or -1 with err.
int64_t annot_render(const annot_set *a, int64_t key, int label, const img_fit_geom *g,
                     uint8_t *out, cx_error *err);

// COCO RLE (pycocotools' compressed string form) and the polygon filler, public for synth and
// tests. annot_rle_from_string: runs must sum to npix (*runs malloc'd). annot_rle_to_string:
// mask [h, w] row-major (non-zero = inside), malloc'd string. annot_rle_paint sets 1 where the
// runs say so (mask [h, w], not cleared). annot_polygon_fill: xy [n, 2], sets 1 inside.
int annot_rle_from_string(const char *s, int64_t npix, uint32_t **runs, int64_t *n,
                          cx_error *err);
char *annot_rle_to_string(const uint8_t *mask, int w, int h);
void annot_rle_paint(const uint32_t *runs, int64_t n, int w, int h, uint8_t *mask);
void annot_polygon_fill(const double *xy, int64_t n, int w, int h, uint8_t *mask);

// ==== dataset pack ==============================================================================
// A directory DATA written by `cxrgaze prepare` (under DATA.tmp.<pid>, renamed when complete):
//   pack.safetensors: images U8 [N,S,S]          grayscale, resized + centre-cropped
//                     labels F32 [N,14]          0/1, CX_LABELS order
//                     label_mask U8 [N,14]       1 = this label counts for this image
//                     split U8 [N]               SPLIT_*
//                     gaze_row I32 [N]           row into the gaze tensors, -1 = no gaze
//                     gaze F32 [Ng,S,S]          static gaze heatmap in [0,1]: EGD's, or for an
//                                                image with readings (below) the min-max mean of
//                                                its readings (what training and compare use)
//                     fixations U8 [Ng,S,S]      1 where a valid fixation landed
//                     regions U8 [Ng,4,S,S]      CX_REGIONS order, 1 = inside
//                     region_present U8 [Ng,4]   0 = mask missing for this image
//                     truth U16 [N,S,S]          optional: bit c = planted finding of label c
//                     annotations U8 [Na,S,S]    optional: expert annotation masks, 1 = inside,
//                                                one per (image, label), sorted by (row, label)
//                     annotation_row I32 [Na]    the pack row of each mask's image
//                     annotation_label I32 [Na]  index into the annotation_labels metadata list
//                     reading_gaze F32 [Nr,S,S]  optional: one radiologist reading's heatmap in
//                                                [0,1] (several readings per image: REFLACX, and
//                                                EGD's reading of the same image), sorted by row
//                     reading_fixations U8 [Nr,S,S] 1 where a fixation of the reading landed
//                     reading_row I32 [Nr]       the pack row of each reading's image, ascending
//                     reading_source U8 [Nr]     READING_EGD or READING_REFLACX
//     __metadata__: format "cxrgaze-pack-1", size, labels (comma-separated), regions, splits,
//                   uncertain, labeler, views, seed, gaze_test_fraction, gaze_sigma_px,
//                   gaze_weight, source_mimic, source_egd, source_images, source_truth,
//                   cxrgaze_version; with annotations: annotation_labels (comma-separated; the 14
//                   CX_LABELS first, then names without a CX label, e.g. an unmapped NIH finding),
//                   source_annotations
//   index.csv:   row,dicom_id,subject_id,study_id,split,has_gaze,gaze_row,view
//   readings.csv (with readings only): reading,row,dicom_id,source,reading_id (source "egd" or
//                "reflacx"; reading_id the dataset's id: REFLACX's reading folder, EGD's dicom_id)
//   summary.json: images per split, positives per label, images with gaze, skipped inputs (named),
//                 table rows left out and why, EGD row counts, size mismatches, timings.
#define PACK_FORMAT "cxrgaze-pack-1"
// Where a reading in the pack comes from.
enum { READING_EGD = 0, READING_REFLACX = 1, CX_N_READING_SOURCES };
extern const char *const CX_READING_SOURCES[]; // [CX_N_READING_SOURCES] "egd", "reflacx"

typedef struct pack {
    char dir[4096];
    st_file st;
    int64_t n;      // images
    int64_t n_gaze; // images with gaze
    int size;       // S
    const uint8_t *images;         // [N,S,S]
    const float *labels;           // [N,14]
    const uint8_t *label_mask;     // [N,14]
    const uint8_t *split;          // [N]
    const int32_t *gaze_row;       // [N]
    const float *gaze;             // [Ng,S,S] (NULL when Ng = 0)
    const uint8_t *fixations;      // [Ng,S,S]
    const uint8_t *regions;        // [Ng,4,S,S]
    const uint8_t *region_present; // [Ng,4]
    const uint16_t *truth;         // [N,S,S] or NULL when the pack has none
    // Expert annotations (localisation ground truth); n_annot 0 and NULLs when the pack has none.
    int64_t n_annot;               // Na: (image, label) pairs with a mask
    const uint8_t *annot_mask;     // [Na,S,S] 1 = inside the annotation (0/1 only)
    const int32_t *annot_row;      // [Na] pack row, ascending; labels ascending within a row
    const int32_t *annot_label;    // [Na] index into annot_labels
    int n_annot_labels;            // >= CX_N_LABELS when the pack has annotations
    char **annot_labels;           // [n_annot_labels]: CX_LABELS, then extra names (malloc'd)
    // Radiologist readings, one per (image, reader); n_readings 0 and NULLs when none.
    int64_t n_readings;            // Nr
    const float *reading_gaze;     // [Nr,S,S] in [0,1]
    const uint8_t *reading_fixations; // [Nr,S,S] 0/1
    const int32_t *reading_row;    // [Nr] pack row, ascending
    const uint8_t *reading_source; // [Nr] READING_*
    char **reading_id;             // [Nr] from readings.csv (malloc'd)
    // From index.csv, per row (malloc'd strings):
    char **dicom_id, **subject_id, **study_id, **view;
} pack;

// Writing (used by prepare; public for tests and tools). Arrays as in `pack`; gaze tensors may
// be NULL when n_gaze = 0, truth NULL for none. ids: one record per row (dicom_id, subject_id,
// study_id, view, split; egd >= 0 marks gaze rows). meta: extra __metadata__ pairs. Everything
// (pack.safetensors, index.csv, summary.json when given) is written into "<dir>.tmp.<pid>",
// which then replaces dir; an existing dir is replaced only if it is a pack or empty.
typedef struct pack_contents {
    int64_t n, n_gaze;
    int size;
    const uint8_t *images;         // [N,S,S]
    const float *labels;           // [N,14]
    const uint8_t *label_mask;     // [N,14]
    const uint8_t *split;          // [N]
    const int32_t *gaze_row;       // [N]
    const float *gaze;             // [Ng,S,S]
    const uint8_t *fixations;      // [Ng,S,S]
    const uint8_t *regions;        // [Ng,4,S,S]
    const uint8_t *region_present; // [Ng,4]
    const uint16_t *truth;         // [N,S,S] or NULL
    int64_t n_annot;               // annotations as in `pack` (0: none written)
    const uint8_t *annot_mask;     // [Na,S,S]
    const int32_t *annot_row;      // [Na] sorted by (row, label), unique pairs
    const int32_t *annot_label;    // [Na] < n_annot_labels
    int n_annot_labels;            // names; the first CX_N_LABELS must be CX_LABELS
    const char *const *annot_labels;
    int64_t n_readings;            // readings as in `pack` (0: none written)
    const float *reading_gaze;     // [Nr,S,S]
    const uint8_t *reading_fixations; // [Nr,S,S]
    const int32_t *reading_row;    // [Nr] ascending
    const uint8_t *reading_source; // [Nr]
    const char *const *reading_id; // [Nr]
    const image_record *ids;       // [N]
    int n_meta;
    const char *meta_key[32], *meta_val[32];
} pack_contents;
// Leftovers of interrupted writes ("<dir>.tmp.<pid>", "<dir>.old.<pid>" of processes no longer
// running) are removed first.
int pack_write(const pack_contents *c, const char *dir, const char *summary_json,
               cx_error *err);
// 0 if dir may receive a pack (absent, an empty directory or a pack), else -1 naming it. prepare
// checks this before any work, so a wrong --out fails in a second, not after the decode.
int pack_target_ok(const char *dir, cx_error *err);

// Maps DATA/pack.safetensors and reads DATA/index.csv; validates dtypes, shapes, N/Ng/S
// consistency, label names, split codes, gaze_row range and uniqueness, index rows. Errors name
// the file and the tensor (or line and column).
int pack_open(pack *p, const char *dir, cx_error *err);
void pack_close(pack *p);
// The annotation mask of (row, label) (label: an annot_labels index; a CX label index is the
// same index), or NULL when the pack has none for the pair. Binary search.
const uint8_t *pack_annotation(const pack *p, int64_t row, int label);
// The readings of image `row`: *first gets the index of its first reading (rows are ascending);
// returns how many (0: none).
int64_t pack_readings(const pack *p, int64_t row, int64_t *first);
// Rows of one split, ascending; *rows malloc'd (free()), returns the count.
int64_t pack_split_rows(const pack *p, int split, int64_t **rows);

// ==== prepare ==================================================================================
typedef struct prepare_opts {
    const char *mimic_dir;   // MIMIC-CXR-JPG root (tables + files/); NULL with images only
    const char *egd_dir;     // EGD-CXR root, optional
    const char *images;      // a folder or a text file listing PNG/JPEG/DICOM paths, optional
    const char *truth_dir;   // synth ground truth (truth/findings.csv), optional
    const char *annotations; // expert annotations (NIH BBox_List_2017.csv, CheXlocalize polygon
                             // or COCO-RLE JSON; annotations.c), optional
    const char *reflacx_dir; // REFLACX root (main_data/ below it), optional
    double reflacx_certainty; // ellipses with certainty >= this become annotations (default 3)
    const char *out_dir;     // DATA
    int size;                // S (default 224)
    double gaze_test_fraction; // default 0.3
    uncertain_policy uncertain;
    view_filter views;
    labeler_kind labeler;
    uint64_t seed;
    double gaze_sigma_px;    // default 150 (original pixels)
    gaze_weight gaze_weight;
    int progress;            // 1: progress bar on stderr
} prepare_opts;
void prepare_opts_default(prepare_opts *o);

#define PREPARE_MAX_SKIP_LIST 20
typedef struct prepare_summary {
    int64_t n_images, n_gaze;
    int64_t per_split[CX_N_SPLITS];
    int64_t gaze_per_split[CX_N_SPLITS];
    int64_t positives[CX_N_LABELS]; // label 1 and counted (label_mask 1), over all images
    int64_t counted[CX_N_LABELS];   // label_mask 1
    mimic_stats mimic;
    egd_stats egd;
    int64_t egd_not_in_mimic;       // EGD images absent from the MIMIC selection (taken from master_sheet)
    int64_t egd_test_patients;
    int64_t fix_outside;            // valid fixations beyond the decoded image size (ignored)
    int64_t fix_mismatch;           // X/Y_ORIGINAL vs recomputation from FPOGX/FPOGY: > 1 px apart
    int64_t regions_missing[CX_N_REGIONS];
    int64_t skipped_images;         // unreadable / corrupt / truncated image files
    int64_t size_mismatch;          // decoded W x H differs from metadata Columns x Rows (the
                                    // decoded size is used; a sign of swapped or wrong files)
    char skipped[PREPARE_MAX_SKIP_LIST][512]; // the first few reasons (name the file)
    int64_t truth_findings;
    // --annotations: shapes read, empty entries in the file, (image, label) masks packed, masks
    // that came out empty at S x S (cropped away or too small: not packed), image ids of the file
    // matching no packed image (the first few named), masks per CX label and of extra labels.
    const char *annot_format;
    int64_t annot_read, annot_empty, annot_masks, annot_vanished, annot_keys, annot_unmatched;
    int64_t annot_per_label[CX_N_LABELS], annot_extra;
    char annot_unmatched_names[5][64];
    // --reflacx: metadata rows, readings discarded / read / matched to a selected image / of images
    // not selected, packed (their image decoded), pack images with readings, with >= 2 readings
    // (EGD's counted), also read in EGD; (image, CX label) annotations from ellipses, ellipse
    // masks empty at S x S; readings whose image_size_x/y differ from the decoded image.
    int64_t rfx_metadata_rows, rfx_discarded, rfx_read, rfx_matched, rfx_unmatched, rfx_packed;
    int64_t rfx_images, rfx_multi, rfx_with_egd, rfx_annot, rfx_annot_vanished, rfx_size_mismatch;
    int threads;                    // OpenMP threads used for the images
    double seconds;                 // wall time of the whole call, and its parts:
    double seconds_tables;          //   reading and joining the tables, splits, truth
    double seconds_images;          //   decode + resize + gaze + regions + truth (parallel)
    double seconds_write;           //   pack.safetensors, index.csv, summary.json
} prepare_summary;

// The whole of `cxrgaze prepare`: read tables, select and split, decode + resize every image
// (OpenMP), gaze heatmaps and region masks, write the pack atomically. 0 ok, -1 with err.
int data_prepare(const prepare_opts *o, prepare_summary *s, cx_error *err);
// Human-readable summary (images per split, positives per label, gaze, skipped inputs).
void prepare_summary_print(const prepare_summary *s, FILE *out);

// ==== synth (synth*.c; owned by the synth engineer) =============================================
// `cxrgaze synth`: synthetic MIMIC-CXR-JPG + EGD-CXR files in exactly the real formats, with
// chest-radiograph phantoms whose planted findings drive the 14 labels, synthetic radiologist
// gaze on the EGD images, and a ground-truth folder. Layout of out_dir:
//   mimic-cxr-jpg/  files/pXX/p<subject>/s<study>/<dicom_id>.jpg, IMAGE_FILENAMES,
//                   mimic-cxr-2.0.0-{metadata,split,chexpert,negbio}.csv.gz
//   egd-cxr/        master_sheet.csv, fixations.csv, eye_gaze.csv, bounding_boxes.csv,
//                   audio_segmentation_transcripts/<dicom_id>/{left_lung,right_lung,mediastanum,
//                   aortic_knob}.png + transcript.json
//   truth/          findings.csv (dicom_id,label,x0,y0,x1,y1,mask; frontal images; bbox in original
//                   px, x1/y1 exclusive; mask relative to truth/), masks/*.png (0/255, original
//                   size), labels.csv (subject_id,study_id + 14 noise-free 0/1 labels per study)
//                   and the findings as expert annotations (synth_annot.c): BBox_List_2017.csv
//                   (NIH boxes, 1024 frame), chexlocalize_polygons.json (boxes as polygons),
//                   chexlocalize_rle.json (the exact masks, united per image and label)
//   reflacx/        with synth_opts.reflacx: main_data/metadata_phase_{1,2,3}.csv and
//                   main_data/<id>/{fixations,anomaly_location_ellipses,chest_bounding_box}.csv
//                   (REFLACX 1.0.0's layout, docs/reflacx.md)
// The same seed gives the same bytes whatever the thread count (one RNG stream per image).
typedef struct synth_opts {
    const char *out_dir;
    int64_t n_images;          // MIMIC images (frontal + lateral), default 500
    int64_t n_gaze_images;     // of which EGD images (PA frontal), default 100
    int size;                  // long image side, px (default 512; aspect 3056:2544)
    uint64_t seed;             // default 1
    double label_flip;         // chance a true finding is missing from the table (0.02);
                               // an absent one is written positive with label_flip / 5
    double label_uncertain;    // chance a true positive is written -1.0 (0.08; negatives: /8)
    double validate_fraction;  // patients in MIMIC's `validate` split (0.08)
    double test_fraction;      // patients in `test` (0.12)
    int plant_findings;        // 1 (default); 0 renders the same images without any finding
                               // (same ids, labels and noise: a counterfactual for tests)
    int overwrite;             // 1: replace an existing out_dir
    int progress;              // progress bar on stderr
    int reflacx;               // 1: also reflacx/main_data/ (REFLACX readings; default 0)
} synth_opts;
void synth_opts_default(synth_opts *o);

typedef struct synth_summary {
    int64_t patients, studies, images, frontal, gaze_images, findings;
    int64_t fixation_rows, gaze_rows;
    int64_t positives[CX_N_LABELS]; // noise-free, per study
    int64_t reflacx_images, reflacx_readings[3], reflacx_discarded; // --reflacx: per phase
    double seconds;                 // wall, whole run
    double seconds_images;          // wall, the parallel image phase (render, encode, write)
} synth_summary;

// Writes the whole tree under out_dir.tmp.<pid> and renames it to out_dir when complete.
// Fails if out_dir exists (unless o->overwrite). 0 ok, -1 with err.
int data_synth(const synth_opts *o, synth_summary *s, cx_error *err);
// What was written (counts, positives per label, REFLACX readings when o->reflacx), via cx_info.
void synth_summary_log(const synth_opts *o, const synth_summary *s);
// ==== end synth =================================================================================

#endif
