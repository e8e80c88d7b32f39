// data/synth_egd: EGD-CXR's tables other than the gaze: master_sheet.csv (59 columns, quoted
// diagnoses with commas, multi-line indications), bounding_boxes.csv (anatomical boxes from the
// phantom's geometry) and each image's transcript.json (dictated phrases with times).
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/synth_internal.h"

static const char *const REPORT_COLS[11] = {
    "consolidation",
    "enlarged_cardiac_silhouette",
    "linear__patchy_atelectasis",
    "lobar__segmental_collapse",
    "not_otherwise_specified_opacity___pleural__parenchymal_opacity__",
    "pleural_effusion_or_thickening",
    "pulmonary_edema__hazy_opacity",
    "normal_anatomically",
    "elevated_hemidiaphragm",
    "hyperaeration",
    "vascular_redistribution"};

typedef struct dx {
    const char *text, *icd;
} dx;
static const dx DX_NORMAL[] = {
    {"Chest pain, unspecified", "R079"},         {"Syncope and collapse", "R55"},
    {"Dizziness and giddiness", "R42"},          {"Other chest pain", "R0789"},
    {"Unspecified abdominal pain", "R109"},      {"Headache", "R51"},
    {"Essential (primary) hypertension", "I10"}, {"Fall on same level, unspecified", "W189"}};
static const dx DX_CHF[] = {
    {"Congestive heart failure, unspecified", "I509"},
    {"Hypertensive heart and chronic kidney disease with heart failure", "I130"},
    {"Unspecified atrial fibrillation", "I4891"},
    {"Acute kidney failure, unspecified", "N179"},
    {"Essential (primary) hypertension", "I10"},
    {"Type 2 diabetes mellitus without complications", "E119"},
    {"Acute on chronic diastolic (congestive) heart failure", "I5033"}};
static const dx DX_PNA[] = {{"Pneumonia, unspecified organism", "J189"},
                            {"Sepsis, unspecified organism", "A419"},
                            {"Acute respiratory failure with hypoxia", "J9601"},
                            {"Chronic obstructive pulmonary disease, unspecified", "J449"},
                            {"Urinary tract infection, site not specified", "N390"},
                            {"Fever, unspecified", "R509"}};

static const char *const INDICATIONS[] = {
    "___ year old %s with shortness of breath",
    "___ year old %s with chest pain.\nEvaluate for acute process.",
    "History: ___ with cough and fever\n\nEvaluate for pneumonia",
    "___ year old %s with dyspnea, leg swelling, ?CHF",
    "___ with hypoxia. Evaluate for infiltrate or effusion",
    "Chest pain\nHistory: ___ year old %s, rule out pneumonia"};

// The master sheet's header: ids, demographics, pads, dx1..dx9 with ICD codes, classes,
// report findings, CheXpert labels, indication.
static void write_master_header(csv_writer *w) {
    const char *hdr[] = {"dicom_id",         "path",           "study_id",       "patient_id",
                         "stay_id",          "gender",         "anchor_age",     "image_top_pad",
                         "image_bottom_pad", "image_left_pad", "image_right_pad"};
    for (int k = 0; k < 11; k++)
        csv_writer_field(w, hdr[k]);
    for (int k = 1; k <= 9; k++) {
        csv_writer_fieldf(w, "dx%d", k);
        csv_writer_fieldf(w, "dx%d_icd", k);
    }
    csv_writer_field(w, "normal_reports");
    csv_writer_field(w, "Normal");
    csv_writer_field(w, "CHF");
    csv_writer_field(w, "pneumonia");
    for (int k = 0; k < 11; k++)
        csv_writer_field(w, REPORT_COLS[k]);
    for (int k = 0; k < CX_N_LABELS; k++)
        csv_writer_field(w, CX_LABELS_EGD[k]);
    csv_writer_field(w, "cxr_exam_indication");
    csv_writer_end_row(w);
}

// EGD image e's row; r: the sheet's sequential stream.
static void write_master_row(csv_writer *w, const synth_plan *p, int64_t e, cx_rng *r) {
    const synth_image *im = &p->img[p->egd_img[e]];
    const synth_study *st = &p->study[im->study];
    char rel[512];
    mimic_image_relpath(rel, sizeof rel, st->subject_id, st->study_id, im->dicom_id);
    size_t n = strlen(rel);
    snprintf(rel + n - 4, sizeof rel - (n - 4), ".dcm"); // the DICOM path, as EGD gives it
    csv_writer_field(w, im->dicom_id);
    csv_writer_field(w, rel);
    csv_writer_field(w, st->study_id);
    csv_writer_field(w, st->subject_id);
    if (cx_rng_uniform(r) < 0.75)
        csv_writer_fieldf(w, "%d", 30000000 + (int)cx_rng_below(r, 10000000));
    else
        csv_writer_field(w, "");
    int female = cx_rng_uniform(r) < 0.48;
    csv_writer_field(w, female ? "F" : "M");
    int dec = 2 + (int)cx_rng_below(r, 7); // 20 - 30 ... 80 - 90
    csv_writer_fieldf(w, "%d - %d", dec * 10, dec * 10 + 10);
    int pad[4];
    synth_pads(im->w, im->h, &pad[0], &pad[1], &pad[2], &pad[3]);
    for (int k = 0; k < 4; k++)
        csv_writer_fieldf(w, "%d", pad[k]);
    const dx *list = st->egd_class == 1 ? DX_CHF : st->egd_class == 2 ? DX_PNA : DX_NORMAL;
    int nlist = st->egd_class == 1 ? 7 : st->egd_class == 2 ? 6 : 8;
    int ndx = 1 + (int)cx_rng_below(r, 9), first = (int)cx_rng_below(r, (uint64_t)nlist);
    if (st->egd_class > 0) first = 0; // the principal diagnosis first
    for (int k = 0; k < 9; k++) {
        if (k < ndx && k < nlist) {
            const dx *d = &list[(first + k) % nlist];
            csv_writer_field(w, d->text);
            csv_writer_field(w, d->icd);
        } else {
            csv_writer_field(w, "");
            csv_writer_field(w, "");
        }
    }
    csv_writer_fieldf(w, "%d", st->egd_class == 0);
    for (int c = 0; c < 3; c++)
        csv_writer_fieldf(w, "%d", st->egd_class == c);
    const uint8_t *t = st->truth;
    int rep[11] = {t[LB_CONSOLIDATION],
                   t[LB_CARDIOMEGALY],
                   t[LB_ATELECTASIS],
                   0,
                   t[LB_LUNG_OPACITY],
                   t[LB_EFFUSION] || t[LB_PLEURAL_OTHER],
                   t[LB_EDEMA],
                   t[LB_NO_FINDING],
                   cx_rng_uniform(r) < 0.03,
                   cx_rng_uniform(r) < 0.04,
                   t[LB_EDEMA] && cx_rng_uniform(r) < 0.5};
    for (int k = 0; k < 11; k++)
        csv_writer_fieldf(w, "%d", rep[k]);
    for (int k = 0; k < CX_N_LABELS; k++)
        csv_writer_field(w, st->chexpert[k]);
    char ind[256];
    const char *tmpl = INDICATIONS[cx_rng_below(r, sizeof INDICATIONS / sizeof *INDICATIONS)];
    snprintf(ind, sizeof ind, tmpl, female ? "woman" : "man");
    csv_writer_field(w, ind);
    csv_writer_end_row(w);
}

int synth_write_master_sheet(const synth_plan *p, const char *egd_dir, cx_error *err) {
    char path[4096];
    cx_path_join(path, sizeof path, egd_dir, "master_sheet.csv");
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    write_master_header(w);
    cx_rng r;
    cx_rng_seed(&r, p->o->seed, 3);
    for (int64_t e = 0; e < p->n_egd; e++)
        write_master_row(w, p, e, &r);
    return csv_writer_commit(w, err);
}

// Pixel box of a chest-unit box, clamped to the image, in bounding_boxes.csv's column order
// (x1, x2, y1, y2).
static void box_px(const synth_image *im, float u0, float v0, float u1, float v1, double b[4]) {
    float e[4];
    synth_chest_box_extent(im, u0, v0, u1, v1, e);
    b[0] = fmax(0, e[0]), b[1] = fmin(im->w, e[2]), b[2] = fmax(0, e[1]), b[3] = fmin(im->h, e[3]);
}

int synth_write_bboxes(const synth_plan *p, const char *egd_dir, cx_error *err) {
    char path[4096];
    cx_path_join(path, sizeof path, egd_dir, "bounding_boxes.csv");
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    const char *hdr[6] = {"dicom_id", "bbox_name", "x1", "x2", "y1", "y2"};
    csv_writer_row(w, 6, hdr);
    for (int64_t e = 0; e < p->n_egd; e++) {
        int64_t i = p->egd_img[e];
        const synth_image *im = &p->img[i];
        synth_anatomy a;
        synth_image_anatomy(p, i, p->o->plant_findings, &a);
        struct {
            char name[64];
            float u0, v0, u1, v1;
        } bx[20];
        int n = 0;
#define BOX(nm, a0, b0, a1, b1)                                                                    \
    do {                                                                                           \
        snprintf(bx[n].name, sizeof bx[n].name, "%s", nm);                                         \
        bx[n].u0 = (a0), bx[n].v0 = (b0), bx[n].u1 = (a1), bx[n].v1 = (b1);                        \
        n++;                                                                                       \
    } while (0)
        for (int s = 0; s < 2; s++) {
            const char *sd = s ? "left" : "right"; // patient's side
            float sg = s ? 1.0f : -1.0f;
            float l = a.lung_u[s] - a.lung_a[s], rr = a.lung_u[s] + a.lung_a[s];
            float top = a.lung_v[s] - a.lung_b[s], bot = a.lung_v[s] + a.dia_base[s] + a.dia_curv;
            float h3 = (bot - top) / 3;
            char nm[64];
            snprintf(nm, sizeof nm, "%s lung", sd);
            BOX(nm, l, top, rr, bot);
            const char *zone[3] = {"upper", "mid", "lower"};
            for (int z = 0; z < 3; z++) {
                snprintf(nm, sizeof nm, "%s %s lung zone", sd, zone[z]);
                BOX(nm, l, top + z * h3, rr, top + (z + 1) * h3);
            }
            snprintf(nm, sizeof nm, "%s hilar structures", sd);
            BOX(nm, sg * 0.1f, -0.2f, sg * 0.34f, 0.1f);
            float lat = a.lung_u[s] + sg * a.lung_a[s];
            snprintf(nm, sizeof nm, "%s costophrenic angle", sd);
            BOX(nm, lat - sg * 0.18f, bot - 0.16f, lat + sg * 0.03f, bot + 0.03f);
            snprintf(nm, sizeof nm, "%s clavicle", sd);
            BOX(nm, sg * 0.07f, a.clav_v - 0.17f, sg * 0.8f, a.clav_v + 0.04f);
        }
        BOX("cardiac silhouette", a.heart_u - a.heart_a, a.heart_v - a.heart_b,
            a.heart_u + a.heart_a, a.heart_v + a.heart_b);
        BOX("mediastinum", a.med_u - 1.25f * a.med_hw, -1.0f, a.med_u + 1.25f * a.med_hw,
            a.heart_v);
        BOX("trachea", -0.05f, -1.2f, 0.05f, -0.4f);
        BOX("aortic arch", a.knob_u - a.knob_r, a.knob_v - a.knob_r, a.knob_u + a.knob_r,
            a.knob_v + a.knob_r);
#undef BOX
        for (int k = 0; k < n; k++) {
            double b[4];
            box_px(im, fminf(bx[k].u0, bx[k].u1), fminf(bx[k].v0, bx[k].v1),
                   fmaxf(bx[k].u0, bx[k].u1), fmaxf(bx[k].v0, bx[k].v1), b);
            csv_writer_field(w, im->dicom_id);
            csv_writer_field(w, bx[k].name);
            for (int c = 0; c < 4; c++)
                csv_writer_fieldf(w, "%.1f", b[c]);
            csv_writer_end_row(w);
        }
    }
    return csv_writer_commit(w, err);
}

int synth_write_transcript(const synth_plan *p, int64_t egd, const synth_reading *r,
                           const char *egd_dir, cx_error *err) {
    const synth_image *im = &p->img[p->egd_img[egd]];
    char path[4096], full[4096];
    snprintf(path, sizeof path, "%s/audio_segmentation_transcripts/%s/transcript.json", egd_dir,
             im->dicom_id);
    full[0] = 0;
    json_t *stamps = json_array();
    for (int k = 0; k < r->n_phrase; k++) {
        if (k) strncat(full, " ", sizeof full - strlen(full) - 1);
        strncat(full, r->phrase[k], sizeof full - strlen(full) - 1);
        json_array_append_new(stamps,
                              json_pack("{s:s, s:f, s:f}", "phrase", r->phrase[k], "begin_time",
                                        round(r->phrase_t[k][0] * 1000) / 1000, "end_time",
                                        round(r->phrase_t[k][1] * 1000) / 1000));
    }
    json_t *doc = json_pack("{s:s, s:o}", "full_text", full, "time_stamped_text", stamps);
    char *text =
        doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(doc);
    if (!text) return cx_fail(err, "%s: could not build the transcript JSON", path);
    int rc = synth_write_bytes(path, text, strlen(text), err);
    free(text);
    return rc;
}
