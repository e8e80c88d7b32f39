// cxrgaze eval: probabilities of one or more models on a pack (train/predict.c), then per-label
// AUROC with DeLong and patient-bootstrap CIs, F1 thresholds on the validation split, and with
// --compare the DeLong test between models and the study-shaped Markdown table.
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/eval_tables.h"
#include "data/data.h"
#include "train/train.h"

static const char CMD[] = "eval";
#define EVAL_MAX_MODELS 8

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

typedef struct model_run {
    const char *path;
    char name[64], dir_name[64];
    float *prob_val, *prob_split; // [n_val,14], [n_split,14]
    eval_label_stats table[CX_N_LABELS];
    double thr[CX_N_LABELS];
    double delong_p[CX_N_LABELS];
} model_run;

// Probabilities of one model on rows (sigmoid of the logits).
static int predict_probs(densenet_plan *plan, const model_meta *meta, const pack *pk,
                         const int64_t *rows, int64_t n, int progress, float **prob,
                         cx_error *err) {
    *prob = cx_malloc((size_t)(n ? n : 1) * CX_N_LABELS * sizeof **prob);
    if (n && predict_rows(plan, meta, pk, rows, n, *prob, NULL, progress, err)) return -1;
    for (int64_t i = 0; i < n * CX_N_LABELS; i++) (*prob)[i] = 1.0f / (1.0f + expf(-(*prob)[i]));
    return 0;
}

static int run_model(model_run *m, const pack *pk, const int64_t *val, int64_t nv,
                     const int64_t *rows, int64_t ns, int same_split, int batch,
                     nn_precision prec, int progress, cx_error *err) {
    densenet *net = NULL;
    model_meta meta;
    if (model_load_ex(m->path, 0, &net, &meta, err)) return -1;
    const densenet_config *cfg = densenet_cfg(net);
    int rc = -1;
    densenet_plan *plan = NULL;
    if (cfg->num_classes != CX_N_LABELS) {
        cx_fail(err, "%s: %d classes, expected the %d CheXpert labels", m->path, cfg->num_classes,
                CX_N_LABELS);
        goto done;
    }
    for (int c = 0; c < meta.n_labels && c < CX_N_LABELS; c++)
        if (strcmp(meta.labels[c], CX_LABELS[c])) {
            cx_fail(err, "%s: label %d is \"%s\" in the model metadata, the pack has \"%s\"",
                    m->path, c, meta.labels[c], CX_LABELS[c]);
            goto done;
        }
    if (meta.input_size && meta.input_size != pk->size)
        cx_warn("%s was trained at %d px, the pack %s is %d px", m->path, meta.input_size, pk->dir,
                pk->size);
    if (!m->name[0])
        snprintf(m->name, sizeof m->name, "%s", cfg->gaze_head ? "DenseNet-Aug" : "DenseNet");
    plan = densenet_plan_create(net, batch, pk->size, pk->size, prec, NN_EVAL, err);
    if (!plan) goto done;
    char desc[160];
    model_describe(net, desc, sizeof desc);
    cx_info("%s: %s (%s)", m->name, m->path, desc);
    if (predict_probs(plan, &meta, pk, val, nv, progress, &m->prob_val, err)) goto done;
    if (same_split) {
        m->prob_split = cx_malloc((size_t)(nv ? nv : 1) * CX_N_LABELS * sizeof(float));
        memcpy(m->prob_split, m->prob_val, (size_t)nv * CX_N_LABELS * sizeof(float));
    } else if (predict_probs(plan, &meta, pk, rows, ns, progress, &m->prob_split, err)) {
        goto done;
    }
    rc = 0;
done:
    densenet_plan_free(plan);
    densenet_free(net);
    return rc;
}

static int write_model_files(model_run *m, const char *dir, const pack *pk, const eval_preds *pv,
                             const eval_preds *ps, int same_split, int n_boot, uint64_t seed,
                             const char *split_name, cx_error *err) {
    char path[4096];
    if (cx_mkdir_p(dir, err)) return -1;
    const eval_preds *parts[2] = {pv, ps};
    if (eval_write_predictions(cx_path_join(path, sizeof path, dir, "predictions.csv"), pk, parts,
                               same_split ? 1 : 2, err))
        return -1;
    if (eval_thresholds(cx_path_join(path, sizeof path, dir, "thresholds.csv"), pk, pv, m->thr, err))
        return -1;
    eval_label_table(pk, ps, n_boot, seed, m->table);
    const char *names[1] = {m->name};
    const eval_label_stats *tables[1] = {m->table};
    if (eval_write_auroc(cx_path_join(path, sizeof path, dir, "auroc.csv"), 1, names, tables, NULL, err))
        return -1;
    return eval_write_table_md(cx_path_join(path, sizeof path, dir, "auroc_table.md"), 1, names,
                               tables, NULL, split_name, err);
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
    const char *models[EVAL_MAX_MODELS];
    int n_models = 0, compare = 0, n_boot = 1000, batch = 32, progress = 1, split = SPLIT_TEST;
    uint64_t seed = 0;
    nn_precision prec = NN_FP32;
    long v;
    int c, r;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_DATA: data = optarg; break;
        case O_MODEL:
            if (n_models == EVAL_MAX_MODELS) return cli_usage_error(CMD, "at most %d models", EVAL_MAX_MODELS);
            models[n_models++] = optarg;
            break;
        case O_COMPARE: compare = 1; break;
        case O_NAMES: names = optarg; break;
        case O_OUT: out = optarg; break;
        case O_SPLIT:
            if (cli_parse_split(CMD, optarg, &split)) return CLI_USAGE;
            break;
        case O_BOOT:
            if (cli_parse_int(CMD, "--bootstrap", optarg, 0, 1000000, &v)) return CLI_USAGE;
            n_boot = (int)v;
            break;
        case O_SEED:
            if (cli_parse_seed(CMD, "--seed", optarg, &seed)) return CLI_USAGE;
            break;
        case O_BATCH:
            if (cli_parse_int(CMD, "--batch", optarg, 1, 4096, &v)) return CLI_USAGE;
            batch = (int)v;
            break;
        case O_PREC:
            if (cli_parse_precision(CMD, optarg, &prec)) return CLI_USAGE;
            break;
        case O_QUIET: progress = 0; cx_log_level = 0; break;
        default:
            if ((r = cli_common_option(&cli, c, argv)) != CLI_CONTINUE) return r;
        }
    }
    for (; optind < argc; optind++) { // --compare M1 M2 ...: the model files are the operands
        if (!compare) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
        if (n_models == EVAL_MAX_MODELS) return cli_usage_error(CMD, "at most %d models", EVAL_MAX_MODELS);
        models[n_models++] = argv[optind];
    }
    if (!data || !out) return cli_usage_error(CMD, "--data and --out are required");
    if (n_models == 0) return cli_usage_error(CMD, "give --model M or --compare M1 M2 ...");
    if (n_models > 1 && !compare) return cli_usage_error(CMD, "several models need --compare");
    if (compare && n_models < 2) return cli_usage_error(CMD, "--compare needs at least two models");

    model_run *runs = cx_calloc((size_t)n_models, sizeof *runs);
    for (int i = 0; i < n_models; i++) runs[i].path = models[i];
    if (names) { // comma-separated display names
        const char *p = names;
        for (int i = 0; i < n_models && *p; i++) {
            size_t len = strcspn(p, ",");
            snprintf(runs[i].name, sizeof runs[i].name, "%.*s", (int)len, p);
            p += len + (p[len] == ',');
        }
    }
    cx_error err = {0};
    pack pk;
    if (pack_open(&pk, data, &err)) {
        free(runs);
        return cli_error(CMD, &err);
    }
    const char *split_name = CX_SPLITS[split];
    int rc = CLI_OK, same = split == SPLIT_VALIDATE;
    int64_t *val = NULL, *rows = NULL;
    int64_t nv = pack_split_rows(&pk, SPLIT_VALIDATE, &val), ns = pack_split_rows(&pk, split, &rows);
    if (ns == 0) {
        cx_fail(&err, "%s: the '%s' split is empty", data, split_name);
        rc = cli_error(CMD, &err);
        goto done;
    }
    if (nv == 0) cx_warn("%s: no validation images: thresholds.csv stays empty", data);
    if (cx_mkdir_p(out, &err)) {
        rc = cli_error(CMD, &err);
        goto done;
    }
    for (int i = 0; i < n_models; i++) {
        model_run *m = &runs[i];
        if (run_model(m, &pk, val, nv, rows, ns, same, batch, prec, progress, &err)) {
            rc = cli_error(CMD, &err);
            goto done;
        }
        for (int j = 0; j < i; j++) // same display name twice: number them
            if (!strcmp(runs[j].name, m->name)) {
                char tmp[64];
                snprintf(tmp, sizeof tmp, "%s", m->name);
                snprintf(m->name, sizeof m->name, "%.50s (%d)", tmp, i + 1);
            }
        for (size_t k = 0; k <= strlen(m->name); k++) {
            char ch = m->name[k];
            m->dir_name[k] = (ch && !isalnum((unsigned char)ch) && ch != '-' && ch != '.') ? '_' : ch;
        }
        eval_preds pv = {val, nv, m->prob_val}, ps = {rows, ns, m->prob_split};
        char dir[4096];
        if (compare) cx_path_join(dir, sizeof dir, out, m->dir_name);
        else snprintf(dir, sizeof dir, "%s", out);
        if (write_model_files(m, dir, &pk, &pv, &ps, same, n_boot, seed, split_name, &err)) {
            rc = cli_error(CMD, &err);
            goto done;
        }
        double mean = 0;
        int used = 0;
        for (int k = 0; k < CX_N_LABELS; k++)
            if (isfinite(m->table[k].delong.auroc)) mean += m->table[k].delong.auroc, used++;
        cx_info("%s: mean AUROC %.4f over %d labels on %s (%lld images) -> %s", m->name,
                used ? mean / used : NAN, used, split_name, (long long)ns, dir);
    }
    if (compare) {
        const char *nm[EVAL_MAX_MODELS];
        const eval_label_stats *tables[EVAL_MAX_MODELS];
        const double *pvals[EVAL_MAX_MODELS];
        eval_preds base = {rows, ns, runs[0].prob_split};
        for (int i = 0; i < n_models; i++) {
            nm[i] = runs[i].name;
            tables[i] = runs[i].table;
            pvals[i] = runs[i].delong_p;
            if (i > 0) {
                eval_preds other = {rows, ns, runs[i].prob_split};
                eval_delong_tests(&pk, &base, &other, runs[i].delong_p);
            }
        }
        char path[4096];
        if (eval_write_auroc(cx_path_join(path, sizeof path, out, "auroc.csv"), n_models, nm, tables,
                             pvals, &err) ||
            eval_write_table_md(cx_path_join(path, sizeof path, out, "auroc_table.md"), n_models, nm,
                                tables, pvals, split_name, &err))
            rc = cli_error(CMD, &err);
    }
done:
    for (int i = 0; i < n_models; i++) {
        free(runs[i].prob_val);
        free(runs[i].prob_split);
    }
    free(runs);
    free(val);
    free(rows);
    pack_close(&pk);
    return rc;
}
