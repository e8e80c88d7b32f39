// cxrgaze synth: synthetic MIMIC-CXR-JPG + EGD-CXR files with planted findings (data_synth).
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "data/data.h"

static const char USAGE[] =
    "usage: cxrgaze synth --out DIR [--images N] [--gaze-images N] [--size PX] [--seed S]\n"
    "                     [flags]";
static const char ABOUT[] =
    "Writes a synthetic cohort in exactly the real datasets' file formats, so that\n"
    "`cxrgaze prepare --mimic DIR/mimic-cxr-jpg --egd DIR/egd-cxr --truth DIR/truth` runs\n"
    "the real ingestion path. Images are chest-radiograph phantoms (body, lungs, heart,\n"
    "mediastinum, aortic knob, diaphragm, ribs, clavicles, lung markings; PA, AP, lateral;\n"
    "portrait and landscape, aspect 3056:2544; varied exposure and noise) with planted\n"
    "findings that decide the 14 CheXpert labels:\n"
    "  enlarged heart -> Cardiomegaly        wide mediastinum -> Enlarged Cardiomediastinum\n"
    "  basal fluid with meniscus -> Pleural Effusion   plate-like band -> Atelectasis\n"
    "  soft opacity -> Lung Opacity   patchy cluster -> Pneumonia (+ Lung Opacity)\n"
    "  dense lobar opacity -> Consolidation (+ Lung Opacity)  perihilar haze -> Edema\n"
    "  nodule -> Lung Lesion   tube/line/pacemaker -> Support Devices\n"
    "  apical lucency + pleural line -> Pneumothorax   rib break -> Fracture\n"
    "  lateral pleural thickening -> Pleural Other   none of these -> No Finding\n"
    "The label tables miss a true finding with probability --label-flip (per label and study)\n"
    "and invent an absent one with probability --label-flip / 5; "
    "true positives are written uncertain (-1.0) with probability --label-uncertain; most\n"
    "negatives are blank, some 0.0. EGD images get a synthetic radiologist's reading.\n\n"
    "Layout of DIR:\n"
    "  mimic-cxr-jpg/files/pXX/p<subject>/s<study>/<dicom_id>.jpg   8-bit gray JPEG (q95)\n"
    "  mimic-cxr-jpg/IMAGE_FILENAMES, mimic-cxr-2.0.0-{metadata,split,chexpert,negbio}.csv.gz\n"
    "  egd-cxr/master_sheet.csv            59 columns; EGD images are PA images of the MIMIC "
    "tree\n"
    "  egd-cxr/fixations.csv, eye_gaze.csv 37 columns (eye_gaze: 60 Hz samples), calibration\n"
    "                                      screens every 20th screen, some off-image glances\n"
    "  egd-cxr/bounding_boxes.csv          dicom_id,bbox_name,x1,x2,y1,y2 (anatomical boxes)\n"
    "  egd-cxr/audio_segmentation_transcripts/<dicom_id>/{left_lung,right_lung,mediastanum,\n"
    "                                      aortic_knob}.png + transcript.json\n"
    "  truth/findings.csv                  dicom_id,label,x0,y0,x1,y1,mask (frontal images;\n"
    "                                      bbox in original px, x1/y1 exclusive; one row per\n"
    "                                      finding and label it drives; mask relative to "
    "truth/)\n"
    "  truth/masks/<dicom_id>_<k>.png      0/255 at the image's size\n"
    "  truth/labels.csv                    subject_id,study_id + 14 noise-free 0/1 labels\n"
    "  truth/BBox_List_2017.csv            the findings as NIH boxes (1024 frame),\n"
    "  truth/chexlocalize_polygons.json    as CheXlocalize polygons (their boxes) and\n"
    "  truth/chexlocalize_rle.json         as COCO RLE (exact masks): `prepare --annotations`\n"
    "With --reflacx, also REFLACX 1.0.0's files (docs/reflacx.md; CRLF as the authors write):\n"
    "  reflacx/main_data/metadata_phase_{1,2,3}.csv   one row per reading, phase label columns\n"
    "  reflacx/main_data/<id>/fixations.csv, anomaly_location_ellipses.csv, chest_bounding_box.csv\n"
    "  Phases 1-2: 3-5 of 5 synthetic readers per image (each with its own offset, spread and\n"
    "  pace), two readings discarded (no fixations.csv); phase 3: one reader. One EGD image in\n"
    "  three is read by several readers and one in three by one; other frontal images one in\n"
    "  eight each. Ellipses around the planted findings (REFLACX names, certainty 1-5).\n"
    "The tree is written under DIR.tmp.<pid> and renamed to DIR when complete. The same seed\n"
    "gives the same bytes for any --threads.";

int cmd_synth(int argc, char **argv) {
    static const char cmd[] = "synth";
    synth_opts o;
    synth_opts_default(&o);
    o.progress = 1;
    const cli_flag flags[] = {
        CLI_FLAG_STRING("out", "DIR", &o.out_dir, NULL,
                        "output directory (must not exist unless --force)"),
        CLI_FLAG_INT("images", "N", &o.n_images, 1, 100000000L, "500",
                     "MIMIC images, frontal and lateral"),
        CLI_FLAG_INT("gaze-images", "N", &o.n_gaze_images, 0, 100000000L, "100; 0 for none",
                     "of which EGD images with gaze, at most one per study"),
        CLI_FLAG_INT("size", "PX", &o.size, 64, 4096, "512", "long image side in pixels, 64..4096"),
        CLI_FLAG_SEED("seed", &o.seed, "1", "seed of every random draw"),
        CLI_FLAG_DOUBLE("label-flip", "P", &o.label_flip, 0, 0.5, "0.02", "label noise, see above"),
        CLI_FLAG_DOUBLE("label-uncertain", "P", &o.label_uncertain, 0, 1, "0.08",
                        "uncertain positives, see above"),
        CLI_FLAG_DOUBLE("validate-fraction", "F", &o.validate_fraction, 0, 1, "0.08",
                        "patients in MIMIC's validate split"),
        CLI_FLAG_DOUBLE("test-fraction", "F", &o.test_fraction, 0, 1, "0.12",
                        "patients in MIMIC's test split"),
        CLI_FLAG_SWITCH("no-findings", &o.plant_findings, 0, NULL,
                        "render every image without its planted findings (same ids, labels, truth "
                        "and noise: a counterfactual for checks)"),
        CLI_FLAG_SWITCH("reflacx", &o.reflacx, 1, NULL,
                        "also write reflacx/main_data/ (REFLACX readings of some frontal images, "
                        "see above)"),
        CLI_FLAG_SWITCH("force", &o.overwrite, 1, NULL, "replace DIR if it exists"),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("quiet", &o.progress, 0, NULL, "no progress bar"),
        CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int r = cli_parse(&table, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE) return r;
    if (!o.out_dir) return cli_usage_error(cmd, "--out is required");
    if (o.n_gaze_images > o.n_images)
        return cli_usage_error(cmd, "--gaze-images (%lld) exceeds --images (%lld)",
                               (long long)o.n_gaze_images, (long long)o.n_images);
    if (o.validate_fraction + o.test_fraction > 1)
        return cli_usage_error(cmd, "--validate-fraction + --test-fraction exceed 1");
    cx_error err;
    synth_summary s;
    if (data_synth(&o, &s, &err)) return cli_error(cmd, &err);
    synth_summary_log(&o, &s);
    return CLI_OK;
}
