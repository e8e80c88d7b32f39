// data/egd: EGD-CXR 1.0.0 reader: master_sheet.csv (whole table), fixations.csv (streamed),
// the screen -> image coordinate formula, region mask paths. Format: DATA-FORMATS.md.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

int egd_screen_to_original(double fpogx, double fpogy, int img_w, int img_h, int pad_top,
                           int pad_bottom, int pad_left, int pad_right, int *x, int *y) {
    // EGD's create_heatmap_images_and_or_videos.py (screen 1920 x 1080, no recalibration).
    const double screen_w = 1920, screen_h = 1080;
    double ex = fpogx * screen_w, ey = fpogy * screen_h;
    if (!(ex > pad_left && ex < screen_w - pad_right && ey > pad_top && ey < screen_h - pad_bottom))
        return 0;
    double rw = screen_w - pad_left - pad_right, rh = screen_h - pad_top - pad_bottom;
    *x = (int)((img_w / rw) * (ex - pad_left)); // int(): truncation, as Python's int()
    *y = (int)((img_h / rh) * (ey - pad_top));
    return 1;
}

// A pad in screen px: a whole number in [0, 1920).
static int parse_pad(const char *s, int *out) {
    double v;
    if (csv_parse_double(s, &v) != CSV_NUM_OK || v < 0 || v >= 1920 || v != floor(v)) return -1;
    *out = (int)v;
    return 0;
}

enum { M_DICOM, M_PATH, M_STUDY, M_PATIENT, M_TOP, M_BOTTOM, M_LEFT, M_RIGHT, M_NCORE };
static const char *const master_cols[M_NCORE] = {
    "dicom_id", "path", "study_id", "patient_id", "image_top_pad", "image_bottom_pad",
    "image_left_pad", "image_right_pad"};

static int read_master(const char *dir, egd_data *d, cx_error *err) {
    char path[4200];
    if (data_find_table(dir, "master_sheet", path, sizeof path, err)) return -1;
    csv_table *t = csv_table_read(path, err);
    if (!t) return -1;
    int64_t n = 0;
    const char *names[M_NCORE + CX_N_LABELS];
    for (int i = 0; i < M_NCORE; i++) names[i] = master_cols[i];
    for (int i = 0; i < CX_N_LABELS; i++) names[M_NCORE + i] = CX_LABELS_EGD[i];
    int col[M_NCORE + CX_N_LABELS];
    if (csv_require_cols(t, names, M_NCORE + CX_N_LABELS, col, err)) goto fail;

    n = csv_nrows(t);
    d->img = cx_calloc(n ? (size_t)n : 1, sizeof *d->img);
    for (int64_t r = 0; r < n; r++) {
        egd_image *im = &d->img[d->n_img];
        long line = (long)csv_row_line(t, r);
        const char *v;
#define BAD(c, what)                                                                           \
    do {                                                                                       \
        cx_fail(err, "%s:%ld: column '%s': expected %s, got '%s'", path, line, names[c], what,  \
                csv_get(t, r, col[c]));                                                        \
        goto fail;                                                                             \
    } while (0)
        v = csv_get(t, r, col[M_DICOM]);
        if (!data_id_ok(v, sizeof im->dicom_id)) BAD(M_DICOM, "a DICOM id (no '/', < 64 chars)");
        snprintf(im->dicom_id, sizeof im->dicom_id, "%s", v);
        if (strmap_get(&d->by_dicom, v) >= 0) BAD(M_DICOM, "a dicom_id not seen before");
        v = csv_get(t, r, col[M_PATIENT]);
        if (!data_digits_ok(v, sizeof im->patient_id)) BAD(M_PATIENT, "a numeric patient id");
        snprintf(im->patient_id, sizeof im->patient_id, "%s", v);
        v = csv_get(t, r, col[M_STUDY]);
        if (!data_digits_ok(v, sizeof im->study_id)) BAD(M_STUDY, "a numeric study id");
        snprintf(im->study_id, sizeof im->study_id, "%s", v);
        v = csv_get(t, r, col[M_PATH]);
        size_t pl = strlen(v);
        if (pl < 5 || strstr(v, "..") || v[0] == '/' ||
            (strcmp(v + pl - 4, ".dcm") && strcmp(v + pl - 4, ".jpg")))
            BAD(M_PATH, "a relative MIMIC path ending in .dcm (or .jpg)");
        im->jpg_relpath = cx_strdup(v);
        memcpy(im->jpg_relpath + pl - 4, ".jpg", 4);
        int *pads[4] = {&im->pad_top, &im->pad_bottom, &im->pad_left, &im->pad_right};
        for (int k = 0; k < 4; k++)
            if (parse_pad(csv_get(t, r, col[M_TOP + k]), pads[k]))
                BAD(M_TOP + k, "a whole number of screen pixels in [0, 1920)");
        for (int c = 0; c < CX_N_LABELS; c++)
            if (label_parse(csv_get(t, r, col[M_NCORE + c]), &im->chx_raw[c]))
                BAD(M_NCORE + c, "a label: 1, 0, -1 (or 1.0, 0.0, -1.0) or empty");
#undef BAD
        strmap_put(&d->by_dicom, im->dicom_id, d->n_img);
        d->n_img++;
    }
    d->st.master_rows = n;
    csv_table_free(t);
    return 0;
fail:
    if (d->img && d->n_img < n) { // the row being read when it failed
        free(d->img[d->n_img].jpg_relpath);
        d->img[d->n_img].jpg_relpath = NULL;
    }
    csv_table_free(t);
    return -1;
}

// ---- fixations.csv, streamed -------------------------------------------------------------------
enum { F_DICOM, F_X, F_Y, F_D, F_XO, F_YO, F_NCOLS };
static const char *const fix_cols[F_NCOLS] = {"DICOM_ID", "FPOGX", "FPOGY", "FPOGD",
                                              "X_ORIGINAL", "Y_ORIGINAL"};

typedef struct fix_ctx {
    const char *path;
    egd_data *d;
    int col[F_NCOLS];
    int64_t *img_of; // [n_fix] image index of each stored fixation
    int64_t cap;
} fix_ctx;

static int fix_header(void *vctx, int nfields, const char *const *fields, cx_error *err) {
    fix_ctx *c = vctx;
    return csv_header_require(c->path, nfields, fields, fix_cols, F_NCOLS, c->col, err);
}

static int fix_row(void *vctx, int64_t line, int nfields, const char *const *f, cx_error *err) {
    (void)line;
    (void)nfields;
    fix_ctx *c = vctx;
    egd_data *d = c->d;
    d->st.fixation_rows++;
    int64_t img = strmap_get(&d->by_dicom, f[c->col[F_DICOM]]);
    if (img < 0) { // calibration screen (DICOM_ID cut short), or an image not in master_sheet
        d->st.calibration_rows++;
        return 0;
    }
    double xo, yo, dur = 0, fx = NAN, fy = NAN;
    int rx = csv_parse_double(f[c->col[F_XO]], &xo), ry = csv_parse_double(f[c->col[F_YO]], &yo);
    if (rx == CSV_NUM_BAD || (rx == CSV_NUM_OK && xo != floor(xo)))
        return cx_fail(err, "column 'X_ORIGINAL': expected an integer pixel, got '%s'",
                       f[c->col[F_XO]]);
    if (ry == CSV_NUM_BAD || (ry == CSV_NUM_OK && yo != floor(yo)))
        return cx_fail(err, "column 'Y_ORIGINAL': expected an integer pixel, got '%s'",
                       f[c->col[F_YO]]);
    if (csv_parse_double(f[c->col[F_D]], &dur) == CSV_NUM_BAD || dur < 0)
        return cx_fail(err, "column 'FPOGD': expected a duration >= 0 s, got '%s'",
                       f[c->col[F_D]]);
    if (csv_parse_double(f[c->col[F_X]], &fx) == CSV_NUM_BAD)
        return cx_fail(err, "column 'FPOGX': expected a number, got '%s'", f[c->col[F_X]]);
    if (csv_parse_double(f[c->col[F_Y]], &fy) == CSV_NUM_BAD)
        return cx_fail(err, "column 'FPOGY': expected a number, got '%s'", f[c->col[F_Y]]);
    // Off-image samples carry small negative values; empty coordinates are no position either.
    if (rx != CSV_NUM_OK || ry != CSV_NUM_OK || xo < 0 || yo < 0 || xo > 1e6 || yo > 1e6) {
        d->st.invalid_rows++;
        return 0;
    }
    egd_image *im = &d->img[img];
    if (im->fix_count >= EGD_MAX_FIXATIONS_PER_IMAGE)
        return cx_fail(err,
                       "image '%s': more than %d valid fixations (EGD_MAX_FIXATIONS_PER_IMAGE; "
                       "real EGD-CXR has ~50 per image): not a fixations table?",
                       im->dicom_id, EGD_MAX_FIXATIONS_PER_IMAGE);
    if (d->n_fix >= EGD_MAX_FIXATIONS)
        return cx_fail(err,
                       "more than %d valid fixations in all (EGD_MAX_FIXATIONS; real EGD-CXR has "
                       "~49k): not a fixations table?",
                       EGD_MAX_FIXATIONS);
    im->fix_count++;
    if (d->n_fix == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4096;
        d->fix = cx_realloc(d->fix, (size_t)c->cap * sizeof *d->fix);
        c->img_of = cx_realloc(c->img_of, (size_t)c->cap * sizeof *c->img_of);
    }
    d->fix[d->n_fix] = (egd_fixation){.x = (int32_t)xo, .y = (int32_t)yo, .duration_s = (float)dur,
                                      .fpogx = (float)fx, .fpogy = (float)fy};
    c->img_of[d->n_fix++] = img;
    return 0;
}

// Stable counting sort of the fixations by image, so each image's fixations are contiguous and
// keep their file order.
// fix_count was counted by fix_row.
static void group_by_image(egd_data *d, const int64_t *img_of) {
    int64_t at = 0;
    for (int64_t i = 0; i < d->n_img; i++) {
        d->img[i].fix_begin = at;
        at += d->img[i].fix_count;
        if (!d->img[i].fix_count) d->st.images_without_fixations++;
    }
    egd_fixation *sorted = cx_malloc((size_t)(d->n_fix ? d->n_fix : 1) * sizeof *sorted);
    int64_t *next = cx_malloc((size_t)(d->n_img ? d->n_img : 1) * sizeof *next);
    for (int64_t i = 0; i < d->n_img; i++) next[i] = d->img[i].fix_begin;
    for (int64_t k = 0; k < d->n_fix; k++) sorted[next[img_of[k]]++] = d->fix[k];
    free(next);
    free(d->fix);
    d->fix = sorted;
    d->st.valid_fixations = d->n_fix;
}

int egd_read(const char *dir, egd_data *d, cx_error *err) {
    memset(d, 0, sizeof *d);
    strmap_init(&d->by_dicom);
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    if (!cx_is_dir(dir)) return cx_fail(err, "%s: EGD-CXR directory not found", dir);
    if (read_master(dir, d, err)) goto fail;
    fix_ctx c = {.d = d};
    char path[4200];
    if (data_find_table(dir, "fixations", path, sizeof path, err)) goto fail;
    c.path = path;
    if (csv_stream(path, fix_header, fix_row, &c, err)) {
        free(c.img_of);
        goto fail;
    }
    group_by_image(d, c.img_of);
    free(c.img_of);
    return 0;
fail:
    egd_free(d);
    return -1;
}

void egd_free(egd_data *d) {
    for (int64_t i = 0; i < d->n_img; i++) free(d->img[i].jpg_relpath);
    free(d->img);
    free(d->fix);
    strmap_free(&d->by_dicom);
    d->img = NULL;
    d->fix = NULL;
    d->n_img = d->n_fix = 0;
}

int egd_region_mask_path(const egd_data *d, const char *dicom_id, int region, char *out,
                         size_t cap) {
    snprintf(out, cap, "%s/audio_segmentation_transcripts/%s/%s.png", d->dir, dicom_id,
             EGD_REGION_FILES[region]);
    if (cx_path_exists(out)) return 1;
    if (region == REGION_MEDIASTINUM) { // the real data misspells it; accept the right spelling
        snprintf(out, cap, "%s/audio_segmentation_transcripts/%s/mediastinum.png", d->dir,
                 dicom_id);
        if (cx_path_exists(out)) return 1;
    }
    return 0;
}
