// data/synth: `cxrgaze synth` end to end. Plans the cohort (synth_plan.c), renders every image in
// parallel (OpenMP, one RNG stream per image: the bytes do not depend on the thread count) with
// its truth masks, EGD region masks, reading and transcript, then writes the tables serially.
// Everything goes under out_dir.tmp.<pid>, renamed to out_dir when complete.
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/synth_internal.h"

// ---- directory helpers ----------------------------------------------------------------------
int synth_write_bytes(const char *path, const void *data, size_t n, cx_error *err) {
    FILE *f = fopen(path, "wb");
    if (!f) return cx_fail(err, "%s: cannot create: %s", path, strerror(errno));
    size_t put = fwrite(data, 1, n, f);
    if (fclose(f) != 0 || put != n)
        return cx_fail(err, "%s: write failed: %s", path, strerror(errno));
    return 0;
}

// A grayscale image in the format its name says: radiographs are .jpg (MIMIC-CXR-JPG's images
// are quality-95 baseline grayscale JPEGs), masks .png. Encoded in memory and written plainly:
// the tree as a whole is renamed into place when complete.
static int write_gray_image(const char *path, const uint8_t *px, int w, int h, cx_error *err) {
    const char *ext = strrchr(path, '.');
    uint8_t *buf;
    size_t n;
    int rc = ext && !strcmp(ext, ".jpg") ? img_encode_jpeg_gray_mem(px, w, h, 95, &buf, &n, err)
                                         : img_encode_png_mem(px, w, h, 1, &buf, &n, err);
    if (rc) return cx_fail_wrap(err, "%s", path);
    rc = synth_write_bytes(path, buf, n, err);
    free(buf);
    return rc;
}

// ---- MIMIC tables ------------------------------------------------------------------------------
static const char *const VIEW_CODE_MEANING[4] = {"postero-anterior", "antero-posterior", "lateral",
                                                 "left lateral"};

// The per-study label tables: MIMIC's chexpert and negbio tables (as the labelers wrote them,
// noise included) and truth/labels.csv (the noise-free 0/1 labels). Same layout: subject_id,
// study_id, then the 14 labels in CX_LABELS order.
typedef enum { LABELS_CHEXPERT, LABELS_NEGBIO, LABELS_TRUTH } label_table;

static const char *label_cell(const synth_study *st, label_table which, int l) {
    switch (which) {
    case LABELS_CHEXPERT:
        return st->chexpert[l];
    case LABELS_NEGBIO:
        return st->negbio[l];
    default:
        return st->truth[l] ? "1" : "0";
    }
}

static int write_label_table(const synth_plan *p, const char *path, label_table which,
                             cx_error *err) {
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    csv_writer_field(w, "subject_id");
    csv_writer_field(w, "study_id");
    for (int l = 0; l < CX_N_LABELS; l++)
        csv_writer_field(w, CX_LABELS[l]);
    csv_writer_end_row(w);
    for (int64_t k = 0; k < p->n_study; k++) {
        const synth_study *st = &p->study[k];
        csv_writer_field(w, st->subject_id);
        csv_writer_field(w, st->study_id);
        for (int l = 0; l < CX_N_LABELS; l++)
            csv_writer_field(w, label_cell(st, which, l));
        csv_writer_end_row(w);
    }
    return csv_writer_commit(w, err);
}

static int write_mimic_tables(const synth_plan *p, const char *mimic_dir, cx_error *err) {
    char path[4096];
    cx_rng r;
    cx_rng_seed(&r, p->o->seed, 4);
    // metadata
    if (cx_pathf(path, sizeof path, err, "%s/mimic-cxr-2.0.0-metadata.csv.gz", mimic_dir)) return -1;
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    const char *mh[12] = {"dicom_id",
                          "subject_id",
                          "study_id",
                          "PerformedProcedureStepDescription",
                          "ViewPosition",
                          "Rows",
                          "Columns",
                          "StudyDate",
                          "StudyTime",
                          "ProcedureCodeSequence_CodeMeaning",
                          "ViewCodeSequence_CodeMeaning",
                          "PatientOrientationCodeSequence_CodeMeaning"};
    csv_writer_row(w, 12, mh);
    for (int64_t i = 0; i < p->n_img; i++) {
        const synth_image *im = &p->img[i];
        const synth_study *st = &p->study[im->study];
        int portable = p->img[st->first_image].view == VIEW_AP;
        const char *proc = portable           ? "CHEST (PORTABLE AP)"
                           : st->n_images > 1 ? "CHEST (PA AND LAT)"
                                              : "CHEST (PA)";
        csv_writer_field(w, im->dicom_id);
        csv_writer_field(w, st->subject_id);
        csv_writer_field(w, st->study_id);
        csv_writer_field(w, proc);
        csv_writer_field(w, SYNTH_VIEW_NAMES[im->view]);
        csv_writer_fieldf(w, "%d", im->h);
        csv_writer_fieldf(w, "%d", im->w);
        csv_writer_fieldf(w, "%d", st->date);
        int ts = st->time_s + (int)(i - st->first_image) * 40;
        // StudyTime is a float in MIMIC (no leading zeros): hhmmss.fff
        csv_writer_fieldf(w, "%d.%03d", ts / 3600 % 24 * 10000 + ts / 60 % 60 * 100 + ts % 60,
                          (int)cx_rng_below(&r, 1000));
        csv_writer_field(w, proc);
        csv_writer_field(w, VIEW_CODE_MEANING[im->view]);
        double u = cx_rng_uniform(&r);
        csv_writer_field(w, u < 0.05 ? "" : im->view == VIEW_AP ? "Recumbent" : "Erect");
        csv_writer_end_row(w);
    }
    if (csv_writer_commit(w, err)) return -1;
    // split
    if (cx_pathf(path, sizeof path, err, "%s/mimic-cxr-2.0.0-split.csv.gz", mimic_dir)) return -1;
    if (!(w = csv_writer_open(path, err))) return -1;
    const char *sh[4] = {"dicom_id", "study_id", "subject_id", "split"};
    csv_writer_row(w, 4, sh);
    for (int64_t i = 0; i < p->n_img; i++) {
        const synth_study *st = &p->study[p->img[i].study];
        const char *row[4] = {p->img[i].dicom_id, st->study_id, st->subject_id,
                              CX_SPLITS[st->split]};
        csv_writer_row(w, 4, row);
    }
    if (csv_writer_commit(w, err)) return -1;
    if (cx_pathf(path, sizeof path, err, "%s/mimic-cxr-2.0.0-chexpert.csv.gz", mimic_dir)) return -1;
    if (write_label_table(p, path, LABELS_CHEXPERT, err)) return -1;
    if (cx_pathf(path, sizeof path, err, "%s/mimic-cxr-2.0.0-negbio.csv.gz", mimic_dir)) return -1;
    if (write_label_table(p, path, LABELS_NEGBIO, err)) return -1;
    // IMAGE_FILENAMES: one relative path per line
    size_t cap = (size_t)p->n_img * 96 + 1, len = 0;
    char *buf = cx_malloc(cap);
    for (int64_t i = 0; i < p->n_img; i++) {
        const synth_study *st = &p->study[p->img[i].study];
        char rel[512];
        mimic_image_relpath(rel, sizeof rel, st->subject_id, st->study_id, p->img[i].dicom_id);
        len += (size_t)snprintf(buf + len, cap - len, "%s\n", rel);
    }
    int rc = (cx_pathf(path, sizeof path, err, "%s/IMAGE_FILENAMES", mimic_dir) ||
             cx_write_file_atomic(path, buf, len, err)) ? -1 : 0;
    free(buf);
    return rc;
}

// ---- truth ----------------------------------------------------------------------------------
static int write_truth(const synth_plan *p, const int (*bbox)[SYNTH_MAX_FINDINGS][4],
                       const char *truth_dir, cx_error *err) {
    char path[4096];
    if (cx_pathf(path, sizeof path, err, "%s/findings.csv", truth_dir)) return -1;
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    const char *fh[7] = {"dicom_id", "label", "x0", "y0", "x1", "y1", "mask"};
    csv_writer_row(w, 7, fh);
    for (int64_t i = 0; i < p->n_img; i++) {
        const synth_image *im = &p->img[i];
        if (im->view != VIEW_PA && im->view != VIEW_AP) continue;
        const synth_study *st = &p->study[im->study];
        for (int k = 0; k < st->n_find; k++) {
            const int *b = bbox[i][k];
            if (b[2] <= b[0]) continue; // nothing visible (e.g. hidden behind the heart)
            int lb[2], n = synth_kind_labels(st->find[k].kind, lb);
            for (int j = 0; j < n; j++) {
                csv_writer_field(w, im->dicom_id);
                csv_writer_field(w, CX_LABELS[lb[j]]);
                for (int c = 0; c < 4; c++)
                    csv_writer_fieldf(w, "%d", b[c]);
                csv_writer_fieldf(w, "masks/%s_%d.png", im->dicom_id, k);
                csv_writer_end_row(w);
            }
        }
    }
    if (csv_writer_commit(w, err)) return -1;
    if (cx_pathf(path, sizeof path, err, "%s/labels.csv", truth_dir)) return -1;
    return write_label_table(p, path, LABELS_TRUTH, err);
}

// ---- one image --------------------------------------------------------------------------------
static int synth_one_image(const synth_plan *p, int64_t i, const char *root,
                           int bbox[SYNTH_MAX_FINDINGS][4], synth_reading *readings,
                           cx_error *err) {
    const synth_image *im = &p->img[i];
    const synth_study *st = &p->study[im->study];
    size_t n = (size_t)im->w * im->h;
    int frontal = im->view == VIEW_PA || im->view == VIEW_AP;
    uint8_t *px = cx_malloc(n), *masks[SYNTH_MAX_FINDINGS] = {0};
    for (int k = 0; k < st->n_find && frontal; k++)
        masks[k] = cx_malloc(n);
    synth_render(p, i, px, frontal ? masks : NULL, bbox);
    char rel[512], path[4096], dir[4096];
    int rc = 0;
    mimic_image_relpath(rel, sizeof rel, st->subject_id, st->study_id, im->dicom_id);
    if (cx_pathf(path, sizeof path, err, "%s/mimic-cxr-jpg/%s", root, rel)) rc = -1;
    memcpy(dir, path, sizeof dir);
    *strrchr(dir, '/') = 0;
    if (rc == 0 && (cx_mkdir_p(dir, err) || write_gray_image(path, px, im->w, im->h, err))) rc = -1;
    for (int k = 0; frontal && rc == 0 && k < st->n_find; k++) {
        if (bbox[k][2] <= bbox[k][0]) continue;
        rc = (cx_pathf(path, sizeof path, err, "%s/truth/masks/%s_%d.png", root, im->dicom_id, k) ||
             write_gray_image(path, masks[k], im->w, im->h, err)) ? -1 : 0;
    }
    if (rc == 0 && im->egd >= 0) {
        synth_gaze_read(p, im->egd, masks, (const int(*)[4])bbox, &readings[im->egd]);
        rc = cx_pathf(dir, sizeof dir, err, "%s/egd-cxr/audio_segmentation_transcripts/%s", root,
                      im->dicom_id);
        uint8_t *reg[CX_N_REGIONS];
        for (int k = 0; k < CX_N_REGIONS; k++)
            reg[k] = cx_malloc(n);
        synth_regions(p, i, reg);
        rc = rc || cx_mkdir_p(dir, err) ? -1 : 0;
        for (int k = 0; k < CX_N_REGIONS && rc == 0; k++)
            rc = (cx_pathf(path, sizeof path, err, "%s/%s.png", dir, EGD_REGION_FILES[k]) ||
                 write_gray_image(path, reg[k], im->w, im->h, err)) ? -1 : 0;
        for (int k = 0; k < CX_N_REGIONS; k++)
            free(reg[k]);
        rc = rc || cx_pathf(dir, sizeof dir, err, "%s/egd-cxr", root) ? -1 : 0;
        if (rc == 0) rc = synth_write_transcript(p, im->egd, &readings[im->egd], dir, err);
    }
    if (rc == 0 && p->rfx && p->rfx->first[i + 1] > p->rfx->first[i])
        rc = synth_reflacx_image(p, i, root, masks, (const int(*)[4])bbox, err);
    for (int k = 0; k < SYNTH_MAX_FINDINGS; k++)
        free(masks[k]);
    free(px);
    return rc;
}

// ---- the whole tree -------------------------------------------------------------------------
// Renders every image in parallel into root (bbox and readings per image); the first error stops
// the rest.
static int render_images(const synth_plan *p, const char *root, int (*bbox)[SYNTH_MAX_FINDINGS][4],
                         synth_reading *readings, cx_error *err) {
    const synth_opts *o = p->o;
    cx_progress prog;
    if (o->progress) cx_progress_start(&prog, "synth", "img", p->n_img);
    int failed = 0;
    int64_t done = 0;
    cx_error first_err = {{0}};
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < p->n_img; i++) {
        int stop;
#pragma omp atomic read
        stop = failed;
        if (stop) continue;
        cx_error e;
        if (synth_one_image(p, i, root, bbox[i], readings, &e)) {
#pragma omp critical(synth_err)
            if (!failed) {
                failed = 1;
                first_err = e;
            }
        }
        int64_t d;
#pragma omp atomic capture
        d = ++done;
        if (o->progress) {
#pragma omp critical(synth_progress)
            if (d > prog.done) cx_progress_update(&prog, d, NULL);
        }
    }
    if (o->progress) cx_progress_finish(&prog);
    if (failed) {
        *err = first_err;
        return -1;
    }
    return 0;
}

// The tables of the three trees under root, then root renamed to out_dir (an old out_dir moved
// aside first when overwriting).
static int write_tables_and_commit(const synth_plan *p, const char *root,
                                   const int (*bbox)[SYNTH_MAX_FINDINGS][4],
                                   const synth_reading *readings, synth_summary *s, cx_error *err) {
    const synth_opts *o = p->o;
    char dir[4096], path[4096];
    int rc = (cx_pathf(dir, sizeof dir, err, "%s/mimic-cxr-jpg", root) ||
             write_mimic_tables(p, dir, err)) ? -1 : 0;
    if (rc == 0) rc = (cx_pathf(dir, sizeof dir, err, "%s/truth", root) ||
                      write_truth(p, bbox, dir, err)) ? -1 : 0;
    if (rc == 0) rc = synth_write_annotations(p, bbox, dir, err);
    if (rc == 0) rc = (cx_pathf(dir, sizeof dir, err, "%s/egd-cxr", root) ||
                      synth_write_master_sheet(p, dir, err)) ? -1 : 0;
    if (rc == 0) rc = synth_write_bboxes(p, dir, err);
    if (rc == 0) rc = synth_write_gaze(p, readings, dir, &s->fixation_rows, &s->gaze_rows, err);
    if (rc == 0 && p->rfx) rc = synth_reflacx_metadata(p, root, s->reflacx_readings, err);
    if (rc == 0 && o->overwrite && cx_path_exists(o->out_dir)) {
        if (cx_pathf(path, sizeof path, err, "%s.old.%ld", o->out_dir, (long)getpid()))
            rc = -1;
        else if (rename(o->out_dir, path) != 0)
            rc = cx_fail(err, "%s: cannot move the old output aside: %s", o->out_dir,
                         strerror(errno));
        else
            cx_remove_tree(path);
    }
    if (rc == 0 && rename(root, o->out_dir) != 0)
        rc = cx_fail(err, "%s: cannot rename %s into place: %s", o->out_dir, root, strerror(errno));
    return rc;
}

// Counts of the plan and of the findings actually drawn (non-empty bbox on frontal images).
static void summarise(const synth_plan *p, const int (*bbox)[SYNTH_MAX_FINDINGS][4],
                      synth_summary *s) {
    s->patients = p->n_patient, s->studies = p->n_study, s->images = p->n_img,
    s->gaze_images = p->n_egd;
    for (int64_t i = 0; i < p->n_img; i++) {
        if (p->img[i].view == VIEW_PA || p->img[i].view == VIEW_AP) {
            s->frontal++;
            for (int k = 0; k < p->study[p->img[i].study].n_find; k++)
                s->findings += bbox[i][k][2] > bbox[i][k][0];
        }
    }
    for (int64_t k = 0; k < p->n_study; k++)
        for (int l = 0; l < CX_N_LABELS; l++)
            s->positives[l] += p->study[k].truth[l];
    for (int64_t i = 0; p->rfx && i < p->n_img; i++)
        s->reflacx_images += p->rfx->first[i + 1] > p->rfx->first[i];
    for (int64_t k = 0; p->rfx && k < p->rfx->n; k++) s->reflacx_discarded += p->rfx->rd[k].discarded;
}

int data_synth(const synth_opts *o, synth_summary *s, cx_error *err) {
    double t0 = cx_now_s();
    memset(s, 0, sizeof *s);
    if (!o->out_dir || !*o->out_dir) return cx_fail(err, "synth: no output directory (--out)");
    if (cx_path_exists(o->out_dir) && !o->overwrite)
        return cx_fail(err, "%s: exists; remove it or choose another --out", o->out_dir);
    synth_plan p;
    if (synth_plan_make(&p, o, err)) return -1;
    char root[4096], path[4096];
    if (cx_pathf(root, sizeof root, err, "%s.tmp.%ld", o->out_dir, (long)getpid()))
        return synth_plan_free(&p), -1;
    cx_remove_tree(root);
    const char *sub[4] = {"mimic-cxr-jpg/files", "egd-cxr/audio_segmentation_transcripts",
                          "truth/masks", "reflacx/main_data"};
    if (o->reflacx) synth_rfx_plan_make(&p);
    for (int k = 0; k < 3 + (o->reflacx != 0); k++) {
        if (cx_pathf(path, sizeof path, err, "%s/%s", root, sub[k]) || cx_mkdir_p(path, err))
            return synth_plan_free(&p), -1;
    }
    int(*bbox)[SYNTH_MAX_FINDINGS][4] = cx_calloc((size_t)p.n_img, sizeof *bbox);
    synth_reading *readings = cx_calloc((size_t)(p.n_egd ? p.n_egd : 1), sizeof *readings);
    double t_images = cx_now_s();
    int rc = render_images(&p, root, bbox, readings, err);
    s->seconds_images = cx_now_s() - t_images;
    if (rc == 0)
        rc = write_tables_and_commit(&p, root, (const int(*)[SYNTH_MAX_FINDINGS][4])bbox, readings,
                                     s, err);
    if (rc) cx_remove_tree(root);
    summarise(&p, (const int(*)[SYNTH_MAX_FINDINGS][4])bbox, s);
    for (int64_t e = 0; e < p.n_egd; e++)
        synth_reading_free(&readings[e]);
    free(readings);
    free(bbox);
    synth_plan_free(&p);
    s->seconds = cx_now_s() - t0;
    return rc;
}

void synth_summary_log(const synth_opts *o, const synth_summary *s) {
    cx_info("synth: %lld images (%lld frontal) of %lld studies, %lld patients; %lld with gaze "
            "(%lld fixations, %lld gaze samples); %lld planted findings; %.1f s (%.0f img/s; image "
            "phase %.1f s) -> %s",
            (long long)s->images, (long long)s->frontal, (long long)s->studies,
            (long long)s->patients, (long long)s->gaze_images, (long long)s->fixation_rows,
            (long long)s->gaze_rows, (long long)s->findings, s->seconds,
            s->images / (s->seconds > 0 ? s->seconds : 1), s->seconds_images, o->out_dir);
    char line[1024];
    int n = 0;
    for (int l = 0; l < CX_N_LABELS; l++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s %lld", l ? ", " : "", CX_LABELS[l],
                      (long long)s->positives[l]);
    cx_info("synth: positive studies (noise-free): %s", line);
    if (o->reflacx)
        cx_info("synth: REFLACX: %lld images, readings per phase %lld / %lld / %lld (%lld "
                "discarded)",
                (long long)s->reflacx_images, (long long)s->reflacx_readings[0],
                (long long)s->reflacx_readings[1], (long long)s->reflacx_readings[2],
                (long long)s->reflacx_discarded);
}
