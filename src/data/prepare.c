// data/prepare: the whole of `cxrgaze prepare`. Read the tables, select images, attach gaze,
// assign patient splits, decode + resize every image in parallel (gaze heatmaps, region masks,
// planted truth alongside), drop unreadable images (named and counted), write the pack.
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <omp.h>

#include "data/prepare_internal.h"

void prepare_opts_default(prepare_opts *o) {
    memset(o, 0, sizeof *o);
    o->size = 224;
    o->gaze_test_fraction = 0.3;
    o->uncertain = UNCERTAIN_ZEROS;
    o->views = VIEWS_FRONTAL;
    o->labeler = LABELER_CHEXPERT;
    o->seed = 0;
    o->gaze_sigma_px = 150.0;
    o->gaze_weight = GAZE_WEIGHT_COUNT;
    o->reflacx_certainty = 3.0;
    o->progress = 1;
}

// Gives each EGD image with fixations its MIMIC row (or a new row from master_sheet when the
// MIMIC selection lacks it). A patient id that disagrees with MIMIC's subject_id is an error.
static int attach_egd(image_list *l, const egd_data *e, const prepare_opts *o,
                      prepare_summary *s, cx_error *err) {
    cx_strmap row;
    strmap_init(&row);
    for (int64_t i = 0; i < l->n; i++) strmap_put(&row, l->r[i].dicom_id, i);
    int rc = 0;
    for (int64_t k = 0; k < e->n_img && !rc; k++) {
        const egd_image *im = &e->img[k];
        if (!im->fix_count) continue; // no valid fixation: no gaze map (counted in egd stats)
        int64_t i = strmap_get(&row, im->dicom_id);
        if (i >= 0) {
            if (strcmp(l->r[i].subject_id, im->patient_id))
                rc = cx_fail(err,
                             "%s/master_sheet.csv: dicom_id %s has patient_id %s, but the MIMIC "
                             "metadata gives subject_id %s",
                             e->dir, im->dicom_id, im->patient_id, l->r[i].subject_id);
            l->r[i].egd = k;
            continue;
        }
        image_record *r = image_list_push(l);
        snprintf(r->dicom_id, sizeof r->dicom_id, "%s", im->dicom_id);
        snprintf(r->subject_id, sizeof r->subject_id, "%s", im->patient_id);
        snprintf(r->study_id, sizeof r->study_id, "%s", im->study_id);
        snprintf(r->view, sizeof r->view, "PA"); // EGD-CXR holds PA images only
        char full[8400];
        r->path = cx_strdup(cx_path_join(full, sizeof full, o->mimic_dir, im->jpg_relpath));
        for (int c = 0; c < CX_N_LABELS; c++)
            label_apply_policy(im->chx_raw[c], o->uncertain, &r->labels[c], &r->label_mask[c]);
        r->split = SPLIT_TRAIN; // no official split known; the EGD rule decides anyway
        r->egd = k;
        s->egd_not_in_mimic++;
    }
    strmap_free(&row);
    return rc;
}

// Per-row outcome of the parallel decode (reduced afterwards, so no shared counters).
typedef struct row_result {
    int ok;
    char *reason;            // why the image was skipped (malloc'd)
    int64_t fix_outside;     // valid fixations outside the decoded image size
    int64_t fix_mismatch;    // X/Y_ORIGINAL disagreeing with the FPOGX/FPOGY recomputation
    int size_mismatch;       // decoded size differs from the metadata's Rows x Columns
    uint8_t region_missing[CX_N_REGIONS];
    int truth_findings;
    annot_row annot;         // this image's annotation masks (prepare_annot.c)
    reflacx_row rfx;         // --reflacx counts (prepare_reflacx.c)
} row_result;

typedef struct prep_ctx {
    const prepare_opts *o;
    const image_list *l;
    const egd_data *e;
    const truth_set *t; // NULL without --truth
    const annot_set *an; // NULL without --annotations
    const prep_reflacx *rx; // NULL without --reflacx
    uint8_t *key_used;  // [an->n_keys] 1 = matched a decoded image
    int64_t *grow;      // [N] provisional gaze row, -1 none
    uint8_t *images;    // [N,S,S]
    uint16_t *truth;    // [N,S,S] or NULL
    float *gaze;        // [G,S,S]
    uint8_t *fixations; // [G,S,S]
    uint8_t *regions;   // [G,4,S,S]
    uint8_t *present;   // [G,4]
    int fatal;
    cx_error fatal_err;
} prep_ctx;

static void gaze_row_work(prep_ctx *c, const image_record *r, const img_fit_geom *g, int64_t gr,
                          row_result *res) {
    const int64_t SS = (int64_t)c->o->size * c->o->size;
    const egd_image *im = &c->e->img[r->egd];
    const egd_fixation *fix = c->e->fix + im->fix_begin;
    int64_t used = gaze_heatmap(c->gaze + gr * SS, c->fixations + gr * SS, fix, im->fix_count, g,
                                c->o->gaze_sigma_px, c->o->gaze_weight);
    for (int64_t k = 0; k < im->fix_count; k++) {
        int x, y;
        int on = egd_screen_to_original(fix[k].fpogx, fix[k].fpogy, g->orig_w, g->orig_h,
                                        im->pad_top, im->pad_bottom, im->pad_left, im->pad_right,
                                        &x, &y);
        if (!on || abs(x - fix[k].x) > 1 || abs(y - fix[k].y) > 1) res->fix_mismatch++;
        if (fix[k].x >= g->orig_w || fix[k].y >= g->orig_h) res->fix_outside++;
    }
    (void)used;
    for (int reg = 0; reg < CX_N_REGIONS; reg++) {
        uint8_t *dst = c->regions + (gr * CX_N_REGIONS + reg) * SS;
        char path[8400];
        img_gray mk;
        cx_error e;
        int ok = egd_region_mask_path(c->e, r->dicom_id, reg, path, sizeof path) &&
                 img_load_mask(path, &mk, &e) == 0;
        if (ok) {
            ok = mk.w == g->orig_w && mk.h == g->orig_h &&
                 img_fit_mask(mk.px, mk.w, mk.h, g, dst, &e) == 0;
            img_gray_free(&mk);
        }
        if (ok)
            for (int64_t p = 0; p < SS; p++) dst[p] = dst[p] != 0;
        else memset(dst, 0, (size_t)SS);
        c->present[gr * CX_N_REGIONS + reg] = (uint8_t)ok;
        res->region_missing[reg] = (uint8_t)!ok;
    }
}

static void set_fatal(prep_ctx *c, const cx_error *e) {
#pragma omp critical(prepare_fatal)
    if (!c->fatal) {
        c->fatal_err = *e;
#pragma omp atomic write
        c->fatal = 1;
    }
}

static void process_row(prep_ctx *c, int64_t i, row_result *res) {
    const image_record *r = &c->l->r[i];
    const int S = c->o->size;
    const int64_t SS = (int64_t)S * S;
    cx_error e;
    img_gray im;
    if (img_load_gray(r->path, S, &im, &e)) {
        res->reason = cx_strdup(e.msg);
        return;
    }
    img_fit_geom g;
    img_fit_geom_init(&g, im.orig_w, im.orig_h, S);
    res->size_mismatch = r->rows > 0 && r->cols > 0 && (r->rows != im.orig_h || r->cols != im.orig_w);
    int rc = img_fit_gray(im.px, im.w, im.h, &g, c->images + i * SS, &e);
    img_gray_free(&im);
    if (rc) {
        res->reason = cx_strdup(e.msg);
        return;
    }
    if (c->t) {
        int n = truth_render(c->t, r->dicom_id, &g, c->truth + i * SS, &e);
        if (n < 0) { // a broken truth file is the generator's bug, not a skippable image
            set_fatal(c, &e);
            return;
        }
        res->truth_findings = n;
    }
    if (c->an && prepare_annot_image(c->an, c->key_used, r->dicom_id, &g, &res->annot, &e)) {
        // a bad annotation file stops prepare
        set_fatal(c, &e);
        return;
    }
    if (c->grow[i] >= 0 && r->egd >= 0) gaze_row_work(c, r, &g, c->grow[i], res);
    else if (c->grow[i] >= 0) // REFLACX only: no region masks
        memset(c->present + c->grow[i] * CX_N_REGIONS, 0, CX_N_REGIONS);
    if (c->rx && r->n_reflacx > 0)
        prepare_reflacx_image(c->rx, i, &g, c->gaze + c->grow[i] * SS,
                              c->fixations + c->grow[i] * SS, c->o->reflacx_certainty,
                              &res->annot, &res->rfx);
    res->ok = 1;
}

static json_t *counts_json(const char *const *names, const int64_t *v, int n) {
    json_t *o = json_object();
    for (int i = 0; i < n; i++) json_object_set_new(o, names[i], json_integer(v[i]));
    return o;
}

static char *summary_json(const prepare_summary *s, const image_list *l, const row_result *res,
                          const prepare_opts *o, const annot_set *an, const kept_annot *ka) {
    json_t *j = json_object();
    json_object_set_new(j, "images", json_integer(s->n_images));
    json_object_set_new(j, "images_per_split", counts_json(CX_SPLITS, s->per_split, CX_N_SPLITS));
    json_object_set_new(j, "images_with_gaze", json_integer(s->n_gaze));
    json_object_set_new(j, "gaze_per_split", counts_json(CX_SPLITS, s->gaze_per_split, CX_N_SPLITS));
    json_object_set_new(j, "positives_per_label", counts_json(CX_LABELS, s->positives, CX_N_LABELS));
    json_object_set_new(j, "counted_per_label", counts_json(CX_LABELS, s->counted, CX_N_LABELS));
    if (o->mimic_dir)
        json_object_set_new(j, "mimic",
                            json_pack("{sIsIsIsIsI}", "metadata_rows", (json_int_t)s->mimic.metadata_rows,
                                      "not_frontal", (json_int_t)s->mimic.not_frontal, "no_split",
                                      (json_int_t)s->mimic.no_split, "no_labels",
                                      (json_int_t)s->mimic.no_labels, "selected",
                                      (json_int_t)s->mimic.selected));
    if (o->egd_dir) {
        json_t *e = json_pack(
            "{sIsIsIsIsIsI}", "master_rows", (json_int_t)s->egd.master_rows, "fixation_rows",
            (json_int_t)s->egd.fixation_rows, "calibration_rows_ignored",
            (json_int_t)s->egd.calibration_rows, "invalid_rows_ignored",
            (json_int_t)s->egd.invalid_rows, "valid_fixations", (json_int_t)s->egd.valid_fixations,
            "images_without_fixations", (json_int_t)s->egd.images_without_fixations);
        json_object_set_new(e, "images_not_in_mimic_selection", json_integer(s->egd_not_in_mimic));
        json_object_set_new(e, "test_patients", json_integer(s->egd_test_patients));
        json_object_set_new(e, "fixations_outside_image", json_integer(s->fix_outside));
        json_object_set_new(e, "fixations_disagreeing_with_fpog", json_integer(s->fix_mismatch));
        json_object_set_new(e, "regions_missing",
                            counts_json(CX_REGIONS, s->regions_missing, CX_N_REGIONS));
        json_object_set_new(j, "egd", e);
    }
    json_t *sk = json_array();
    for (int64_t i = 0; i < l->n; i++)
        if (!res[i].ok && res[i].reason)
            json_array_append_new(sk, json_pack("{ssss}", "path", l->r[i].path, "reason",
                                                res[i].reason));
    json_object_set_new(j, "skipped_images", json_integer(s->skipped_images));
    json_object_set_new(j, "size_differs_from_metadata", json_integer(s->size_mismatch));
    json_object_set_new(j, "skipped", sk);
    if (o->truth_dir) json_object_set_new(j, "truth_findings", json_integer(s->truth_findings));
    if (an) json_object_set_new(j, "annotations", prepare_annot_json(s, an, ka, o->annotations));
    if (o->reflacx_dir)
        json_object_set_new(j, "reflacx",
                            prepare_reflacx_json(s, o->reflacx_dir, o->reflacx_certainty));
    json_object_set_new(j, "threads", json_integer(s->threads));
    json_object_set_new(j, "seconds_tables", json_real(s->seconds_tables));
    json_object_set_new(j, "seconds_images", json_real(s->seconds_images));
    json_object_set_new(j, "seconds", json_real(s->seconds)); // up to the pack write
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    return text;
}

// Reads and selects everything before any pixel is touched.
static int gather(const prepare_opts *o, image_list *l, egd_data *e, int *have_egd, truth_set *t,
                  int *have_truth, annot_set *an, int *have_annot, prep_reflacx *rx,
                  prepare_summary *s, cx_error *err) {
    if (o->mimic_dir &&
        mimic_read(o->mimic_dir, o->views, o->labeler, o->uncertain, l, &s->mimic, err))
        return -1;
    if (o->egd_dir) {
        if (egd_read(o->egd_dir, e, err)) return -1;
        *have_egd = 1;
        s->egd = e->st;
        if (attach_egd(l, e, o, s, err)) return -1;
    }
    if (o->reflacx_dir) {
        if (prepare_reflacx_match(o->reflacx_dir, l, rx, err)) return -1;
        prepare_reflacx_stats(rx, s);
    }
    s->egd_test_patients = splits_assign(l, o->gaze_test_fraction, o->seed);
    if (splits_check_disjoint(l, err)) return -1;
    if (o->images && images_list_read(o->images, l, err)) return -1;
    if (o->truth_dir) {
        if (truth_read(o->truth_dir, t, err)) return -1;
        *have_truth = 1;
    }
    if (o->annotations) {
        if (annot_read(o->annotations, an, err)) return -1;
        *have_annot = 1;
    }
    if (l->n == 0)
        return cx_fail(err,
                       "no images selected (MIMIC metadata rows %lld: not frontal %lld, no split "
                       "row %lld, no label row %lld)",
                       (long long)s->mimic.metadata_rows, (long long)s->mimic.not_frontal,
                       (long long)s->mimic.no_split, (long long)s->mimic.no_labels);
    return 0;
}

static int check_opts(const prepare_opts *o, cx_error *err) {
    if (!o->out_dir || !*o->out_dir) return cx_fail(err, "no output directory given");
    if (pack_target_ok(o->out_dir, err)) return -1;
    if (!o->mimic_dir && !o->images) return cx_fail(err, "nothing to read: give a MIMIC directory or images");
    if (o->egd_dir && !o->mimic_dir)
        return cx_fail(err, "EGD-CXR images live in the MIMIC-CXR-JPG tree: give its directory too");
    if (o->reflacx_dir && !o->mimic_dir)
        return cx_fail(err, "REFLACX reads MIMIC-CXR images: give the MIMIC-CXR-JPG directory too");
    if (!(o->reflacx_certainty >= 0 && o->reflacx_certainty <= 5))
        return cx_fail(err, "REFLACX certainty %g outside [0, 5]", o->reflacx_certainty);
    if (o->size < 8 || o->size > 4096) return cx_fail(err, "size %d outside [8, 4096]", o->size);
    if (!(o->gaze_test_fraction >= 0 && o->gaze_test_fraction <= 1))
        return cx_fail(err, "gaze test fraction %g outside [0, 1]", o->gaze_test_fraction);
    if (!(o->gaze_sigma_px > 0 && o->gaze_sigma_px < 1e5))
        return cx_fail(err, "gaze sigma %g px outside (0, 1e5)", o->gaze_sigma_px);
    return 0;
}

// The decoded pixel arrays live in scratch files on disk (util's cx_scratch_map), not in anonymous
// memory: the kernel writes their pages out and evicts them under memory pressure, so the pack's
// size is bounded by disk space, not RAM. The per-row tables stay in memory (small).
enum { PX_IMAGES, PX_TRUTH, PX_GAZE, PX_FIXATIONS, PX_REGIONS, PX_N };
typedef struct pixel_scratch {
    void *p[PX_N];      // images u8 [N,S,S], truth u16 [N,S,S] (or none), gaze f32 [G,S,S],
                        // fixations u8 [G,S,S], regions u8 [G,4,S,S]
    size_t bytes[PX_N]; // 0: not used
} pixel_scratch;

// G is at least 1 here (a placeholder row when no image has gaze): no mapping is empty.
static void pixel_scratch_sizes(pixel_scratch *px, int64_t n, int64_t g, int64_t ss, int truth) {
    px->bytes[PX_IMAGES] = (size_t)(n * ss);
    px->bytes[PX_TRUTH] = truth ? (size_t)(n * ss) * sizeof(uint16_t) : 0;
    px->bytes[PX_GAZE] = (size_t)(g * ss) * sizeof(float);
    px->bytes[PX_FIXATIONS] = (size_t)(g * ss);
    px->bytes[PX_REGIONS] = (size_t)(g * CX_N_REGIONS * ss);
}

static int pixel_scratch_map(pixel_scratch *px, const char *dir, cx_error *err) {
    for (int k = 0; k < PX_N; k++)
        if (px->bytes[k] && !(px->p[k] = cx_scratch_map(px->bytes[k], dir, err))) return -1;
    return 0;
}

static void pixel_scratch_unmap(pixel_scratch *px) {
    for (int k = 0; k < PX_N; k++) cx_scratch_unmap(px->p[k], px->bytes[k]);
}

// The pixels are decoded into scratch beside the pack, then pack_write copies them into the pack:
// about twice their size on that disk at the end. Refuse up front (with the numbers) what it cannot
// hold, instead of failing after the decode. Where the free space cannot be read, the mapping
// reports what fails.
static int check_disk(const pixel_scratch *px, int64_t n, int64_t g, int S, const char *dir,
                      cx_error *err) {
    double need = 0;
    for (int k = 0; k < PX_N; k++) need += 2.0 * (double)px->bytes[k]; // scratch + pack
    uint64_t have;
    if (cx_disk_free(dir, &have, NULL)) return 0;
    if (need > (double)have)
        return cx_fail(err,
                       "the pack of %lld images (%lld with gaze) at %dx%d needs %.1f GB on disk "
                       "(decoding scratch, then the pack), %s has %.1f GB free: lower --size, "
                       "pack fewer images or free space",
                       (long long)n, (long long)g, S, S, need / 1e9, dir, (double)have / 1e9);
    return 0;
}

static const char *abs_or(const char *p, char *buf) {
    if (!p) return "";
    return realpath(p, buf) ? buf : p;
}

// Decodes every row in parallel (res[i] per row); a fatal error stops the rest.
static int decode_rows(prep_ctx *c, row_result *res, prepare_summary *s, cx_error *err) {
    const prepare_opts *o = c->o;
    const int64_t N = c->l->n;
    cx_progress bar;
    if (o->progress) cx_progress_start(&bar, "prepare", "img", N);
    int64_t done_rows = 0;
    s->threads = omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 4)
    for (int64_t i = 0; i < N; i++) {
        int stop;
#pragma omp atomic read
        stop = c->fatal;
        if (stop) continue;
        process_row(c, i, &res[i]);
#pragma omp critical(prepare_progress)
        {
            done_rows++;
            if (o->progress) cx_progress_update(&bar, done_rows, NULL);
        }
    }
    if (o->progress) cx_progress_finish(&bar);
    if (c->fatal) {
        *err = c->fatal_err;
        return -1;
    }
    return 0;
}

// The rows that decoded, renumbered in order (rows and gaze rows), with their tables [n,...].
typedef struct kept_rows {
    int64_t n, ng;
    image_record *ids;
    float *labels;     // [n,14]
    uint8_t *mask;     // [n,14]
    uint8_t *split;    // [n]
    int32_t *gaze_row; // [n], -1 none
} kept_rows;

static void kept_rows_free(kept_rows *k) {
    free(k->ids);
    free(k->labels);
    free(k->mask);
    free(k->split);
    free(k->gaze_row);
}

// Moves gaze row g of the pixel arrays down to ng (ng <= g). SS = S*S.
static void move_gaze_row(prep_ctx *c, int64_t g, int64_t ng, int64_t SS) {
    memmove(c->gaze + ng * SS, c->gaze + g * SS, (size_t)SS * sizeof *c->gaze);
    memmove(c->fixations + ng * SS, c->fixations + g * SS, (size_t)SS);
    memmove(c->regions + ng * CX_N_REGIONS * SS, c->regions + g * CX_N_REGIONS * SS,
            (size_t)(CX_N_REGIONS * SS));
    memmove(c->present + ng * CX_N_REGIONS, c->present + g * CX_N_REGIONS, CX_N_REGIONS);
}

// Keeps the rows that decoded (pixels compacted in place), counting them into s.
static void keep_rows(prep_ctx *c, const row_result *res, kept_rows *k, prepare_summary *s) {
    const int64_t N = c->l->n, SS = (int64_t)c->o->size * c->o->size;
    k->ids = cx_malloc((size_t)N * sizeof *k->ids);
    k->labels = cx_malloc((size_t)N * CX_N_LABELS * sizeof *k->labels);
    k->mask = cx_malloc((size_t)N * CX_N_LABELS);
    k->split = cx_malloc((size_t)N);
    k->gaze_row = cx_malloc((size_t)N * sizeof *k->gaze_row);
    int64_t n = 0, ng = 0;
    for (int64_t i = 0; i < N; i++) {
        const image_record *r = &c->l->r[i];
        if (!res[i].ok) {
            if (s->skipped_images < PREPARE_MAX_SKIP_LIST)
                snprintf(s->skipped[s->skipped_images], sizeof s->skipped[0], "%s", res[i].reason);
            s->skipped_images++;
            continue;
        }
        if (n != i) {
            memmove(c->images + n * SS, c->images + i * SS, (size_t)SS);
            if (c->truth)
                memmove(c->truth + n * SS, c->truth + i * SS, (size_t)SS * sizeof *c->truth);
        }
        k->ids[n] = *r;
        memcpy(k->labels + n * CX_N_LABELS, r->labels, sizeof r->labels);
        memcpy(k->mask + n * CX_N_LABELS, r->label_mask, sizeof r->label_mask);
        k->split[n] = (uint8_t)r->split;
        k->gaze_row[n] = -1;
        if (c->grow[i] >= 0) {
            if (ng != c->grow[i]) move_gaze_row(c, c->grow[i], ng, SS);
            k->gaze_row[n] = (int32_t)ng++;
            s->gaze_per_split[r->split]++;
            s->fix_outside += res[i].fix_outside;
            s->fix_mismatch += res[i].fix_mismatch;
            for (int reg = 0; reg < CX_N_REGIONS; reg++) s->regions_missing[reg] += res[i].region_missing[reg];
        }
        s->rfx_annot += res[i].rfx.annot;
        s->rfx_annot_vanished += res[i].rfx.annot_vanished;
        s->rfx_size_mismatch += res[i].rfx.size_mismatch;
        s->per_split[r->split]++;
        for (int j = 0; j < CX_N_LABELS; j++) {
            s->counted[j] += r->label_mask[j];
            s->positives[j] += r->label_mask[j] && r->labels[j] == 1.0f;
        }
        s->truth_findings += res[i].truth_findings;
        s->size_mismatch += res[i].size_mismatch;
        n++;
    }
    k->n = s->n_images = n;
    k->ng = s->n_gaze = ng;
}

// The pack of the kept rows, with the options as metadata and the summary as JSON.
static int write_pack(const prep_ctx *c, const kept_rows *k, const kept_annot *ka,
                      const row_result *res, prepare_summary *s, double t0, cx_error *err) {
    const prepare_opts *o = c->o;
    char seed[32], frac[32], sigma[32], cert[32], b1[PATH_MAX], b2[PATH_MAX], b3[PATH_MAX],
        b4[PATH_MAX], b5[PATH_MAX], b6[PATH_MAX];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    snprintf(frac, sizeof frac, "%g", o->gaze_test_fraction);
    snprintf(sigma, sizeof sigma, "%g", o->gaze_sigma_px);
    pack_contents pc = {
        .n = k->n, .n_gaze = k->ng, .size = o->size, .images = c->images, .labels = k->labels,
        .label_mask = k->mask, .split = k->split, .gaze_row = k->gaze_row, .gaze = c->gaze,
        .fixations = c->fixations, .regions = c->regions, .region_present = c->present,
        .truth = c->truth, .ids = k->ids, .n_meta = 11,
        .n_annot = ka->n, .annot_mask = ka->mask, .annot_row = ka->row, .annot_label = ka->label,
        .n_annot_labels = c->an ? c->an->n_labels : ka->n ? CX_N_LABELS : 0,
        .annot_labels = c->an ? (const char *const *)c->an->labels : ka->n ? CX_LABELS : NULL,
        .meta_key = {"uncertain", "labeler", "views", "seed", "gaze_test_fraction",
                     "gaze_sigma_px", "gaze_weight", "source_mimic", "source_egd",
                     "source_images", "source_truth"},
        .meta_val = {uncertain_policy_name(o->uncertain),
                     o->labeler == LABELER_NEGBIO ? "negbio" : "chexpert",
                     o->views == VIEWS_ALL ? "all" : "frontal", seed, frac, sigma,
                     o->gaze_weight == GAZE_WEIGHT_DURATION ? "duration" : "count",
                     abs_or(o->mimic_dir, b1), abs_or(o->egd_dir, b2),
                     abs_or(o->images, b3), abs_or(o->truth_dir, b4)}};
    if (c->an) {
        pc.meta_key[pc.n_meta] = "source_annotations";
        pc.meta_val[pc.n_meta++] = abs_or(o->annotations, b5);
    }
    if (c->rx) { // the readings (none written when no reading's image decoded)
        const prep_reflacx *rx = c->rx;
        pc.n_readings = rx->n_kept, pc.reading_gaze = rx->gaze, pc.reading_fixations = rx->fix;
        pc.reading_row = rx->row, pc.reading_source = rx->source;
        pc.reading_id = (const char *const *)rx->id;
        snprintf(cert, sizeof cert, "%g", o->reflacx_certainty);
        pc.meta_key[pc.n_meta] = "source_reflacx";
        pc.meta_val[pc.n_meta++] = abs_or(o->reflacx_dir, b6);
        pc.meta_key[pc.n_meta] = "reflacx_certainty";
        pc.meta_val[pc.n_meta++] = cert;
    }
    double t_write = cx_now_s();
    s->seconds = t_write - t0;
    char *js = summary_json(s, c->l, res, o, c->an, ka);
    int rc = pack_write(&pc, o->out_dir, js, err);
    free(js);
    s->seconds_write = cx_now_s() - t_write;
    return rc;
}

int data_prepare(const prepare_opts *o, prepare_summary *s, cx_error *err) {
    memset(s, 0, sizeof *s);
    double t0 = cx_now_s();
    if (check_opts(o, err)) return -1;
    image_list l = {0};
    egd_data e;
    truth_set t;
    annot_set an;
    memset(&e, 0, sizeof e);
    memset(&t, 0, sizeof t);
    memset(&an, 0, sizeof an);
    int have_egd = 0, have_truth = 0, have_annot = 0, rc = -1;
    prep_reflacx rx = {0};
    uint8_t *key_used = NULL;
    row_result *res = NULL;
    int64_t *grow = NULL;
    pixel_scratch px = {0};
    uint8_t *present = NULL;
    if (gather(o, &l, &e, &have_egd, &t, &have_truth, &an, &have_annot, &rx, s, err)) goto done;
    if (have_annot) key_used = cx_calloc((size_t)(an.n_keys ? an.n_keys : 1), 1);
    s->seconds_tables = cx_now_s() - t0;
    double t_images = cx_now_s();

    const int S = o->size;
    const int64_t N = l.n, SS = (int64_t)S * S;
    grow = cx_malloc((size_t)N * sizeof *grow);
    int64_t G = 0;
    for (int64_t i = 0; i < N; i++) grow[i] = l.r[i].egd >= 0 || l.r[i].n_reflacx > 0 ? G++ : -1;
    char scratch_dir[4096]; // where pack_write will create its temporary directory
    cx_scratch_dir_for(scratch_dir, sizeof scratch_dir, o->out_dir);
    pixel_scratch_sizes(&px, N, G ? G : 1, SS, have_truth);
    if (check_disk(&px, N, G, S, scratch_dir, err)) goto done;
    if (pixel_scratch_map(&px, scratch_dir, err) || // a read-only or missing directory, say
        (rx.have && prepare_reflacx_slots(&rx, &l, S, scratch_dir, err))) {
        cx_fail_wrap(err, "cannot write the pack %s", o->out_dir);
        goto done;
    }
    present = cx_malloc((size_t)((G ? G : 1) * CX_N_REGIONS));
    res = cx_calloc((size_t)N, sizeof *res);
    prep_ctx c = {.o = o, .l = &l, .e = have_egd ? &e : NULL, .t = have_truth ? &t : NULL,
                  .an = have_annot ? &an : NULL, .rx = rx.have ? &rx : NULL, .key_used = key_used,
                  .grow = grow, .images = px.p[PX_IMAGES], .truth = px.p[PX_TRUTH],
                  .gaze = px.p[PX_GAZE], .fixations = px.p[PX_FIXATIONS],
                  .regions = px.p[PX_REGIONS], .present = present};
    int decoded = decode_rows(&c, res, s, err);
    s->seconds_images = cx_now_s() - t_images;
    if (decoded) goto done;
    kept_rows k = {0};
    kept_annot ka = {0};
    keep_rows(&c, res, &k, s);
    if (have_annot || rx.have) {
        const annot_row **rows = cx_malloc((size_t)N * sizeof *rows);
        for (int64_t i = 0; i < N; i++) rows[i] = res[i].ok ? &res[i].annot : NULL;
        prepare_annot_collect(have_annot ? &an : NULL, key_used, rows, N, S, &ka, s);
        free(rows);
    }
    if (rx.have) {
        int *ok = cx_malloc((size_t)(N ? N : 1) * sizeof *ok);
        for (int64_t i = 0; i < N; i++) ok[i] = res[i].ok;
        prepare_reflacx_collect(&rx, &l, ok, S, s);
        free(ok);
    }
    if (k.n == 0)
        cx_fail(err, "none of the %lld selected images could be read (first: %s)", (long long)N,
                res[0].reason ? res[0].reason : "?");
    else
        rc = write_pack(&c, &k, &ka, res, s, t0, err);
    kept_rows_free(&k);
    kept_annot_free(&ka);
done:
    s->seconds = cx_now_s() - t0;
    for (int64_t i = 0; res && i < l.n; i++) {
        free(res[i].reason);
        annot_row_free(&res[i].annot);
    }
    free(key_used);
    if (have_annot) annot_free(&an);
    free(res);
    free(grow);
    pixel_scratch_unmap(&px);
    free(present);
    if (have_egd) egd_free(&e);
    prepare_reflacx_free(&rx);
    if (have_truth) truth_free(&t);
    image_list_free(&l);
    return rc;
}

void prepare_summary_print(const prepare_summary *s, FILE *out) {
    fprintf(out, "images: %lld (train %lld, validate %lld, test %lld)\n", (long long)s->n_images,
            (long long)s->per_split[0], (long long)s->per_split[1], (long long)s->per_split[2]);
    fprintf(out, "images with gaze: %lld (train %lld, validate %lld, test %lld)\n",
            (long long)s->n_gaze, (long long)s->gaze_per_split[0],
            (long long)s->gaze_per_split[1], (long long)s->gaze_per_split[2]);
    int64_t any_counted = 0;
    for (int c = 0; c < CX_N_LABELS; c++) any_counted += s->counted[c];
    if (any_counted) {
        fprintf(out, "positives per label (of images where the label counts):\n");
        for (int c = 0; c < CX_N_LABELS; c++)
            fprintf(out, "  %-27s %8lld / %lld\n", CX_LABELS[c], (long long)s->positives[c],
                    (long long)s->counted[c]);
    } else {
        fprintf(out, "no labels (plain images only)\n");
    }
    if (s->mimic.metadata_rows)
        fprintf(out,
                "MIMIC: %lld metadata rows; left out: %lld not frontal, %lld without split row, "
                "%lld without label row\n",
                (long long)s->mimic.metadata_rows, (long long)s->mimic.not_frontal,
                (long long)s->mimic.no_split, (long long)s->mimic.no_labels);
    if (s->egd.master_rows)
        fprintf(out,
                "EGD: %lld images, %lld fixation rows: %lld valid, %lld calibration-screen rows "
                "ignored, %lld off-image rows ignored; %lld images without fixations; %lld "
                "patients moved to test; %lld images not in the MIMIC selection; %lld fixations "
                "outside the image; %lld disagree with FPOGX/FPOGY (>1 px)\n",
                (long long)s->egd.master_rows, (long long)s->egd.fixation_rows,
                (long long)s->egd.valid_fixations, (long long)s->egd.calibration_rows,
                (long long)s->egd.invalid_rows, (long long)s->egd.images_without_fixations,
                (long long)s->egd_test_patients, (long long)s->egd_not_in_mimic,
                (long long)s->fix_outside, (long long)s->fix_mismatch);
    for (int r = 0; r < CX_N_REGIONS; r++)
        if (s->regions_missing[r])
            fprintf(out, "region mask %s missing or unreadable for %lld gaze images\n",
                    CX_REGIONS[r], (long long)s->regions_missing[r]);
    if (s->truth_findings) fprintf(out, "planted findings: %lld\n", (long long)s->truth_findings);
    if (s->annot_format) prepare_annot_print(s, out);
    if (s->rfx_metadata_rows) prepare_reflacx_print(s, out);
    if (s->size_mismatch)
        fprintf(out, "images whose decoded size differs from metadata Rows x Columns: %lld\n",
                (long long)s->size_mismatch);
    fprintf(out, "skipped images: %lld\n", (long long)s->skipped_images);
    for (int64_t i = 0; i < s->skipped_images && i < PREPARE_MAX_SKIP_LIST; i++)
        fprintf(out, "  %s\n", s->skipped[i]);
    if (s->skipped_images > PREPARE_MAX_SKIP_LIST)
        fprintf(out, "  ... (all listed in summary.json)\n");
    fprintf(out,
            "%.2f s: tables %.2f s, images %.2f s (%.1f images/s on %d threads), write %.2f s\n",
            s->seconds, s->seconds_tables, s->seconds_images,
            s->seconds_images > 0 ? (double)(s->n_images + s->skipped_images) / s->seconds_images
                                  : 0.0,
            s->threads, s->seconds_write);
}
