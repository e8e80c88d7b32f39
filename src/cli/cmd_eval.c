// cxrgaze eval: the flags of study_evaluate (study/evaluate.c), which does the work: probabilities
// of one or more models, F1 thresholds, per-label AUROC with DeLong and patient-bootstrap CIs, and
// with --compare the DeLong test between models.
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "study/study.h"

static const char CMD[] = "eval";

static const char USAGE[] =
    "usage: cxrgaze eval --data DATA --model M.safetensors --out DIR [flags]\n"
    "       cxrgaze eval --data DATA --compare M1.safetensors M2.safetensors ... --out DIR";
static const char ABOUT[] =
    "Runs each model on the validation split and on --split (eval mode, no augmentation) and\n"
    "writes, per model:\n"
    "  predictions.csv  dicom_id,subject_id,split,prob_<Label> x14,label_<Label> x14\n"
    "                   (label 1/0, empty when masked), validation rows then --split rows\n"
    "  thresholds.csv   label,threshold,f1,n_pos,n_neg: the F1-maximising threshold on the\n"
    "                   validation split (predict positive when prob >= threshold)\n"
    "  auroc.csv        label,n_pos,n_neg,auroc,delong_lo,delong_hi,boot_lo,boot_hi on --split:\n"
    "                   AUROC (ties 1/2), 95% DeLong CI (Sun & Xu), 95% percentile bootstrap CI\n"
    "                   over patients; empty values (and a warning) for a one-class label\n"
    "  auroc_table.md   | Label | <model> AUROC (95% CI) |\n"
    "One model: the files go to DIR. --compare: to DIR/<name>/, plus DIR/auroc.csv (all models,\n"
    "with delong_p: DeLong test of each model against the first) and DIR/auroc_table.md.";

typedef struct eval_args {
    study_eval_settings st;
    int n_models, compare, quiet;
    const char *names;
} eval_args;

static int add_model(eval_args *a, const char *path) {
    if (a->n_models == STUDY_EVAL_MAX_MODELS)
        return cli_usage_error(CMD, "at most %d models", STUDY_EVAL_MAX_MODELS), -1;
    a->st.model_path[a->n_models++] = path;
    return 0;
}

static int parse_model(const char *cmd, const cli_flag *f, const char *value) {
    return add_model(f->to, value);
}

int cmd_eval(int argc, char **argv) {
    eval_args a = {0};
    study_eval_settings_default(&a.st); // the defaults --help states
    const cli_flag flags[] = {
        CLI_FLAG_STRING("data", "DATA", &a.st.data_dir, NULL, "dataset pack (required)"),
        CLI_FLAG_CUSTOM("model", "M", &a, parse_model, NULL,
                        "model file (safetensors, torchvision names)"),
        CLI_FLAG_SWITCH("compare", &a.compare, 1, NULL,
                        "compare models: M1 M2 ... (the model files follow the flag)"),
        CLI_FLAG_STRING("names", "A,B,...", &a.names,
                        ": from the model: gaze head -> DenseNet-Aug, else DenseNet",
                        "display names"),
        CLI_FLAG_STRING("out", "DIR", &a.st.out_dir, NULL, "output directory (required)"),
        CLI_FLAG_SPLIT(&a.st.split, "test", "train | validate | test"),
        CLI_FLAG_INT("bootstrap", "N", &a.st.n_bootstrap, 0, 1000000, "1000; 0 = none",
                     "bootstrap resamples"),
        CLI_FLAG_SEED("seed", &a.st.seed, "0; label c uses seed + c", "seed of the bootstrap"),
        CLI_FLAG_INT("batch", "B", &a.st.batch, 1, 4096, "32", "inference batch"),
        CLI_FLAG_PRECISION(&a.st.precision, "fp32", "fp32 | bf16"),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("quiet", &a.quiet, 1, NULL, "no progress bar, warnings only"),
        CLI_FLAG_HELP};
    const cli_table table = {CMD, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    char **operands;
    int n_operands;
    int r = cli_parse(&table, argc, argv, &operands, &n_operands);
    if (r != CLI_CONTINUE) return r;
    for (int i = 0; i < n_operands; i++) { // --compare M1 M2 ...: the model files are the operands
        if (!a.compare) return cli_usage_error(CMD, "unexpected argument '%s'", operands[i]);
        if (add_model(&a, operands[i])) return CLI_USAGE;
    }
    if (a.quiet) {
        a.st.progress = 0;
        cx_log_level = 0;
    }
    if (!a.st.data_dir || !a.st.out_dir) return cli_usage_error(CMD, "--data and --out are required");
    if (a.n_models == 0) return cli_usage_error(CMD, "give --model M or --compare M1 M2 ...");
    if (a.n_models > 1 && !a.compare) return cli_usage_error(CMD, "several models need --compare");
    if (a.compare && a.n_models < 2)
        return cli_usage_error(CMD, "--compare needs at least two models");

    a.st.n_models = a.n_models;
    char name[STUDY_EVAL_MAX_MODELS][STUDY_EVAL_NAME_MAX] = {{0}};
    const char *p = a.names;
    for (int i = 0; p && i < a.n_models && *p; i++) { // comma-separated display names
        size_t len = strcspn(p, ",");
        snprintf(name[i], sizeof name[i], "%.*s", (int)len, p);
        p += len + (p[len] == ',');
    }
    for (int i = 0; i < a.n_models; i++) a.st.model_name[i] = name[i];
    cx_error err = {0};
    study_eval_result res;
    if (study_evaluate(&a.st, &res, &err)) return cli_error(CMD, &err);
    study_eval_result_free(&res);
    return CLI_OK;
}
