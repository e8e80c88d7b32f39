// cxrgaze eval: the flags of study_evaluate (study/evaluate.c), which does the work: probabilities
// of one or more models, F1 thresholds, per-label AUROC with DeLong and patient-bootstrap CIs, and
// with --compare the DeLong test between models.
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "study/study.h"

static const char CMD[] = "eval";

static void help(FILE *out) {
    fprintf(out,
        "usage: cxrgaze eval --data DATA --model M.safetensors --out DIR [flags]\n"
        "       cxrgaze eval --data DATA --compare M1.safetensors M2.safetensors ... --out DIR\n\n"
        "Runs each model on the validation split and on --split (eval mode, no augmentation) and\n"
        "writes, per model:\n"
        "  predictions.csv  dicom_id,subject_id,split,prob_<Label> x14,label_<Label> x14\n"
        "                   (label 1/0, empty when masked), validation rows then --split rows\n"
        "  thresholds.csv   label,threshold,f1,n_pos,n_neg: the F1-maximising threshold on the\n"
        "                   validation split (predict positive when prob >= threshold)\n"
        "  auroc.csv        label,n_pos,n_neg,auroc,delong_lo,delong_hi,boot_lo,boot_hi on --split:\n"
        "                   AUROC (ties 1/2), 95%% DeLong CI (Sun & Xu), 95%% percentile bootstrap CI\n"
        "                   over patients; empty values (and a warning) for a one-class label\n"
        "  auroc_table.md   | Label | <model> AUROC (95%% CI) |\n"
        "One model: the files go to DIR. --compare: to DIR/<name>/, plus DIR/auroc.csv (all models,\n"
        "with delong_p: DeLong test of each model against the first) and DIR/auroc_table.md.\n\n"
        "flags:\n"
        "  --data DATA         dataset pack (required)\n"
        "  --model M           model file (safetensors, torchvision names)\n"
        "  --compare M1 M2 ... compare models (the model files follow the flag)\n"
        "  --names A,B,...     display names (default from the model: gaze head -> DenseNet-Aug,\n"
        "                      else DenseNet)\n"
        "  --out DIR           output directory (required)\n"
        "  --split NAME        train | validate | test (default test)\n"
        "  --bootstrap N       bootstrap resamples (default 1000; 0 = none)\n"
        "  --seed S            seed of the bootstrap (default 0; label c uses seed + c)\n"
        "  --batch B           inference batch (default 32)\n"
        "  --precision P       fp32 | bf16 (default fp32)\n"
        "  --threads N         worker threads, 1-1024 (default: all cores)\n"
        "  --quiet             no progress bar, warnings only\n"
        "  --help              this text\n");
}

// --names A,B,...: the first n comma-separated display names (NULL: none; "" keeps the default).
static void split_names(const char *names, int n, char name[][STUDY_EVAL_NAME_MAX]) {
    for (int i = 0; names && i < n && *names; i++) {
        size_t len = strcspn(names, ",");
        snprintf(name[i], STUDY_EVAL_NAME_MAX, "%.*s", (int)len, names);
        names += len + (names[len] == ',');
    }
}

int cmd_eval(int argc, char **argv) {
    static const cli_command cli = {CMD, help};
    enum { O_DATA = 256, O_MODEL, O_COMPARE, O_NAMES, O_OUT, O_SPLIT, O_BOOT, O_SEED, O_BATCH,
           O_PREC, O_QUIET };
    static const struct option longopts[] = {
        {"data", 1, 0, O_DATA}, {"model", 1, 0, O_MODEL}, {"compare", 0, 0, O_COMPARE},
        {"names", 1, 0, O_NAMES}, {"out", 1, 0, O_OUT}, {"split", 1, 0, O_SPLIT},
        {"bootstrap", 1, 0, O_BOOT}, {"seed", 1, 0, O_SEED}, {"batch", 1, 0, O_BATCH},
        {"precision", 1, 0, O_PREC}, {"threads", 1, 0, CLI_OPT_THREADS}, {"quiet", 0, 0, O_QUIET},
        {"help", 0, 0, CLI_OPT_HELP}, {0, 0, 0, 0}};
    const char *data = NULL, *out = NULL, *names = NULL;
    study_eval_settings st; // the defaults --help states
    study_eval_settings_default(&st);
    const char **models = st.model_path;
    int n_models = 0, compare = 0;
    long v;
    int c, r;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_DATA: data = optarg; break;
        case O_MODEL:
            if (n_models == STUDY_EVAL_MAX_MODELS)
                return cli_usage_error(CMD, "at most %d models", STUDY_EVAL_MAX_MODELS);
            models[n_models++] = optarg;
            break;
        case O_COMPARE: compare = 1; break;
        case O_NAMES: names = optarg; break;
        case O_OUT: out = optarg; break;
        case O_SPLIT:
            if (cli_parse_split(CMD, optarg, &st.split)) return CLI_USAGE;
            break;
        case O_BOOT:
            if (cli_parse_int(CMD, "--bootstrap", optarg, 0, 1000000, &v)) return CLI_USAGE;
            st.n_bootstrap = (int)v;
            break;
        case O_SEED:
            if (cli_parse_seed(CMD, "--seed", optarg, &st.seed)) return CLI_USAGE;
            break;
        case O_BATCH:
            if (cli_parse_int(CMD, "--batch", optarg, 1, 4096, &v)) return CLI_USAGE;
            st.batch = (int)v;
            break;
        case O_PREC:
            if (cli_parse_precision(CMD, optarg, &st.precision)) return CLI_USAGE;
            break;
        case O_QUIET: st.progress = 0; cx_log_level = 0; break;
        default:
            if ((r = cli_common_option(&cli, c, argv)) != CLI_CONTINUE) return r;
        }
    }
    for (; optind < argc; optind++) { // --compare M1 M2 ...: the model files are the operands
        if (!compare) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
        if (n_models == STUDY_EVAL_MAX_MODELS)
            return cli_usage_error(CMD, "at most %d models", STUDY_EVAL_MAX_MODELS);
        models[n_models++] = argv[optind];
    }
    if (!data || !out) return cli_usage_error(CMD, "--data and --out are required");
    if (n_models == 0) return cli_usage_error(CMD, "give --model M or --compare M1 M2 ...");
    if (n_models > 1 && !compare) return cli_usage_error(CMD, "several models need --compare");
    if (compare && n_models < 2) return cli_usage_error(CMD, "--compare needs at least two models");

    st.data_dir = data;
    st.out_dir = out;
    st.n_models = n_models;
    char name[STUDY_EVAL_MAX_MODELS][STUDY_EVAL_NAME_MAX] = {{0}};
    split_names(names, n_models, name);
    for (int i = 0; i < n_models; i++) st.model_name[i] = name[i];
    cx_error err = {0};
    study_eval_result res;
    if (study_evaluate(&st, &res, &err)) return cli_error(CMD, &err);
    study_eval_result_free(&res);
    return CLI_OK;
}
