// cxrgaze synth: synthetic MIMIC-CXR-JPG + EGD-CXR files with planted findings (data_synth).
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "data/data.h"

static void help(FILE *out) {
    fprintf(
        out,
        "usage: cxrgaze synth --out DIR [--images N] [--gaze-images N] [--size PX] [--seed S]\n"
        "                     [flags]\n\n"
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
        "The tree is written under DIR.tmp.<pid> and renamed to DIR when complete. The same seed\n"
        "gives the same bytes for any --threads.\n\n"
        "flags:\n"
        "  --out DIR               output directory (must not exist unless --force)\n"
        "  --images N              MIMIC images, frontal and lateral (default 500)\n"
        "  --gaze-images N         of which EGD images with gaze, at most one per study\n"
        "                          (default 100; 0 for none)\n"
        "  --size PX               long image side in pixels, 64..4096 (default 512)\n"
        "  --seed S                seed of every random draw (default 1)\n"
        "  --label-flip P          label noise, see above (default 0.02)\n"
        "  --label-uncertain P     uncertain positives, see above (default 0.08)\n"
        "  --validate-fraction F   patients in MIMIC's validate split (default 0.08)\n"
        "  --test-fraction F       patients in MIMIC's test split (default 0.12)\n"
        "  --no-findings           render every image without its planted findings (same ids,\n"
        "                          labels, truth and noise: a counterfactual for checks)\n"
        "  --force                 replace DIR if it exists\n"
        "  --threads N             worker threads, 1-1024 (default: all cores)\n"
        "  --quiet                 no progress bar\n"
        "  --help                  this text\n");
}

int cmd_synth(int argc, char **argv) {
    static const char cmd[] = "synth";
    static const cli_command cli = {cmd, help};
    enum {
        O_OUT = 256,
        O_IMAGES,
        O_GAZE,
        O_SIZE,
        O_SEED,
        O_FLIP,
        O_UNC,
        O_VAL,
        O_TEST,
        O_NOFIND,
        O_FORCE,
        O_QUIET
    };
    static const struct option longopts[] = {{"out", required_argument, 0, O_OUT},
                                             {"images", required_argument, 0, O_IMAGES},
                                             {"gaze-images", required_argument, 0, O_GAZE},
                                             {"size", required_argument, 0, O_SIZE},
                                             {"seed", required_argument, 0, O_SEED},
                                             {"label-flip", required_argument, 0, O_FLIP},
                                             {"label-uncertain", required_argument, 0, O_UNC},
                                             {"validate-fraction", required_argument, 0, O_VAL},
                                             {"test-fraction", required_argument, 0, O_TEST},
                                             {"no-findings", no_argument, 0, O_NOFIND},
                                             {"force", no_argument, 0, O_FORCE},
                                             {"threads", required_argument, 0, CLI_OPT_THREADS},
                                             {"quiet", no_argument, 0, O_QUIET},
                                             {"help", no_argument, 0, CLI_OPT_HELP},
                                             {0, 0, 0, 0}};
    synth_opts o;
    synth_opts_default(&o);
    o.progress = 1;
    long v;
    double d;
    int opt, r;
    cli_getopt_reset();
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case O_OUT:
            o.out_dir = optarg;
            break;
        case O_IMAGES:
            if (cli_parse_int(cmd, "--images", optarg, 1, 100000000L, &v)) return CLI_USAGE;
            o.n_images = v;
            break;
        case O_GAZE:
            if (cli_parse_int(cmd, "--gaze-images", optarg, 0, 100000000L, &v)) return CLI_USAGE;
            o.n_gaze_images = v;
            break;
        case O_SIZE:
            if (cli_parse_int(cmd, "--size", optarg, 64, 4096, &v)) return CLI_USAGE;
            o.size = (int)v;
            break;
        case O_SEED:
            if (cli_parse_seed(cmd, "--seed", optarg, &o.seed)) return CLI_USAGE;
            break;
        case O_FLIP:
            if (cli_parse_double(cmd, "--label-flip", optarg, 0, 0.5, &d)) return CLI_USAGE;
            o.label_flip = d;
            break;
        case O_UNC:
            if (cli_parse_double(cmd, "--label-uncertain", optarg, 0, 1, &d)) return CLI_USAGE;
            o.label_uncertain = d;
            break;
        case O_VAL:
            if (cli_parse_double(cmd, "--validate-fraction", optarg, 0, 1, &d)) return CLI_USAGE;
            o.validate_fraction = d;
            break;
        case O_TEST:
            if (cli_parse_double(cmd, "--test-fraction", optarg, 0, 1, &d)) return CLI_USAGE;
            o.test_fraction = d;
            break;
        case O_NOFIND:
            o.plant_findings = 0;
            break;
        case O_FORCE:
            o.overwrite = 1;
            break;
        case O_QUIET:
            o.progress = 0;
            break;
        default:
            if ((r = cli_common_option(&cli, opt, argv)) != CLI_CONTINUE) return r;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!o.out_dir) return cli_usage_error(cmd, "--out is required");
    if (o.n_gaze_images > o.n_images)
        return cli_usage_error(cmd, "--gaze-images (%lld) exceeds --images (%lld)",
                               (long long)o.n_gaze_images, (long long)o.n_images);
    if (o.validate_fraction + o.test_fraction > 1)
        return cli_usage_error(cmd, "--validate-fraction + --test-fraction exceed 1");
    cx_error err;
    synth_summary s;
    if (data_synth(&o, &s, &err)) return cli_error(cmd, &err);
    cx_info("synth: %lld images (%lld frontal) of %lld studies, %lld patients; %lld with gaze "
            "(%lld fixations, %lld gaze samples); %lld planted findings; %.1f s (%.0f img/s; image "
            "phase %.1f s) -> %s",
            (long long)s.images, (long long)s.frontal, (long long)s.studies, (long long)s.patients,
            (long long)s.gaze_images, (long long)s.fixation_rows, (long long)s.gaze_rows,
            (long long)s.findings, s.seconds, s.images / (s.seconds > 0 ? s.seconds : 1),
            s.seconds_images, o.out_dir);
    char line[1024];
    int n = 0;
    for (int l = 0; l < CX_N_LABELS; l++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s %lld", l ? ", " : "", CX_LABELS[l],
                      (long long)s.positives[l]);
    cx_info("synth: positive studies (noise-free): %s", line);
    return CLI_OK;
}
