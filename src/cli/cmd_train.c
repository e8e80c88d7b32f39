// cxrgaze train: DenseNet-121 (--gaze-lambda 0) or DenseNet-Aug (> 0) on a dataset pack.
// Optionally data parallel: mpirun -np N cxrgaze train ... (built with Open MPI).
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/data.h"
#include "stats/stats.h"
#include "train/train.h"

static const char CMD[] = "train";

static void help(FILE *out) {
    fprintf(out,
        "usage: cxrgaze train --data DATA --out RUN [flags]\n\n"
        "Trains DenseNet-121 (--gaze-lambda 0) or DenseNet-Aug (--gaze-lambda L > 0: plus a gaze\n"
        "head sigmoid(conv1x1(relu(norm5))) fitted to the radiologists' gaze maps) on the pack DATA\n"
        "(from `cxrgaze prepare`). Loss: mean BCE over the 14 labels + L * gaze MSE over the images\n"
        "with gaze. Adam (0.9, 0.999, eps 1e-8); the learning rate halves after --patience epochs\n"
        "without validation-loss improvement; training stops after --early-stop such epochs.\n\n"
        "Writes RUN/log.csv (per epoch), RUN/last.safetensors, RUN/best.safetensors (lowest\n"
        "validation loss), RUN/last.optim.safetensors (optimizer state for --resume), RUN/run.json.\n\n"
        "flags:\n"
        "  --data DATA            dataset pack directory (required)\n"
        "  --out RUN              run directory (required; refused if it holds a run, see --resume)\n"
        "  --arch NAME            densenet121 | densenet169 | densenet201 (default densenet121)\n"
        "  --gaze-lambda L        weight of the gaze MSE term; 0 = DenseNet, > 0 = DenseNet-Aug (default 0)\n"
        "  --init W.safetensors   start from these torchvision-named weights (e.g. ImageNet); the\n"
        "                         classifier is re-initialised if its shape differs, the gaze head\n"
        "                         if absent (default: torchvision initialisation from --seed)\n"
        "  --epochs E             maximum epochs (default 30)\n"
        "  --batch B              global batch size, split over MPI ranks (default 16)\n"
        "  --eval-batch B         validation batch size (default: --batch)\n"
        "  --lr LR                initial learning rate (default 5e-4)\n"
        "  --precision P          fp32 | bf16 (default fp32; bf16 keeps fp32 master weights)\n"
        "  --seed S               seed of initialisation, data order and augmentation (default 0)\n"
        "  --augment A            none | flip | flip+rotate (default flip+rotate: horizontal flip\n"
        "                         p=0.5 swapping the lung masks, rotation +-15 degrees)\n"
        "  --patience N           epochs without improvement before halving the lr (default 3)\n"
        "  --early-stop N         epochs without improvement before stopping (default 10)\n"
        "  --max-images N         train on a seeded subset of N training images (default: all)\n"
        "  --checkpoint-every K   also checkpoint every K batches, for mid-epoch --resume (default 0:\n"
        "                         at epoch ends only)\n"
        "  --resume               continue RUN from RUN/last.optim.safetensors (same data and flags)\n"
        "  --deterministic        fixed thread count and data order: an interrupted and resumed run\n"
        "                         ends with bit-identical weights (--resume needs the same --threads)\n"
        "  --threads N            worker threads per rank, 1-1024 (default: all cores / ranks)\n"
        "  --quiet                no progress bar, warnings only\n"
        "  --help                 this text\n\n"
        "MPI: mpirun -np N cxrgaze train ... shards every global batch over the ranks, all-reduces\n"
        "the gradient, keeps BN statistics per rank; rank 0 writes the files.\n");
}

// Validation AUROC for the trainer (stats/ is above train/ in the module order).
static double auroc_cb(const double *score, const uint8_t *label, size_t n, void *ctx) {
    (void)ctx;
    stats_status st;
    return stats_auroc(score, label, n, &st);
}

int cmd_train(int argc, char **argv) {
    // --threads stays train's own flag (O_THREADS): the count is applied after MPI start-up, its
    // default is cores / ranks.
    static const cli_command cli = {CMD, help};
    enum { O_DATA = 256, O_OUT, O_ARCH, O_LAMBDA, O_INIT, O_EPOCHS, O_BATCH, O_EVAL_BATCH, O_LR,
           O_PREC, O_SEED, O_AUG, O_PATIENCE, O_EARLY, O_MAX, O_CKPT, O_RESUME, O_DET, O_THREADS,
           O_QUIET };
    static const struct option longopts[] = {
        {"data", 1, 0, O_DATA}, {"out", 1, 0, O_OUT}, {"arch", 1, 0, O_ARCH},
        {"gaze-lambda", 1, 0, O_LAMBDA}, {"init", 1, 0, O_INIT}, {"epochs", 1, 0, O_EPOCHS},
        {"batch", 1, 0, O_BATCH}, {"eval-batch", 1, 0, O_EVAL_BATCH}, {"lr", 1, 0, O_LR},
        {"precision", 1, 0, O_PREC}, {"seed", 1, 0, O_SEED}, {"augment", 1, 0, O_AUG},
        {"patience", 1, 0, O_PATIENCE}, {"early-stop", 1, 0, O_EARLY},
        {"max-images", 1, 0, O_MAX}, {"checkpoint-every", 1, 0, O_CKPT},
        {"resume", 0, 0, O_RESUME}, {"deterministic", 0, 0, O_DET}, {"threads", 1, 0, O_THREADS},
        {"quiet", 0, 0, O_QUIET}, {"help", 0, 0, CLI_OPT_HELP}, {0, 0, 0, 0}};
    train_opts o;
    train_opts_default(&o);
    long v;
    double d;
    int c, r;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_DATA: o.data_dir = optarg; break;
        case O_OUT: o.out_dir = optarg; break;
        case O_ARCH: o.arch = optarg; break;
        case O_LAMBDA:
            if (cli_parse_double(CMD, "--gaze-lambda", optarg, 0, 1e6, &d)) return CLI_USAGE;
            o.gaze_lambda = d;
            break;
        case O_INIT: o.init_path = optarg; break;
        case O_EPOCHS:
            if (cli_parse_int(CMD, "--epochs", optarg, 1, 100000, &v)) return CLI_USAGE;
            o.epochs = (int)v;
            break;
        case O_BATCH:
            if (cli_parse_int(CMD, "--batch", optarg, 1, 1 << 16, &v)) return CLI_USAGE;
            o.batch = (int)v;
            break;
        case O_EVAL_BATCH:
            if (cli_parse_int(CMD, "--eval-batch", optarg, 1, 1 << 16, &v)) return CLI_USAGE;
            o.eval_batch = (int)v;
            break;
        case O_LR:
            if (cli_parse_double(CMD, "--lr", optarg, 1e-12, 10, &d)) return CLI_USAGE;
            o.lr = d;
            break;
        case O_PREC:
            if (cli_parse_precision(CMD, optarg, &o.precision)) return CLI_USAGE;
            break;
        case O_SEED:
            if (cli_parse_seed(CMD, "--seed", optarg, &o.seed)) return CLI_USAGE;
            break;
        case O_AUG:
            if (train_augment_parse(optarg, &o.augment))
                return cli_usage_error(CMD, "--augment expects none, flip or flip+rotate, got '%s'",
                                       optarg);
            break;
        case O_PATIENCE:
            if (cli_parse_int(CMD, "--patience", optarg, 0, 100000, &v)) return CLI_USAGE;
            o.patience = (int)v;
            break;
        case O_EARLY:
            if (cli_parse_int(CMD, "--early-stop", optarg, 0, 100000, &v)) return CLI_USAGE;
            o.early_stop = (int)v;
            break;
        case O_MAX:
            if (cli_parse_int(CMD, "--max-images", optarg, 1, 0x7fffffffffffffffL, &v)) return CLI_USAGE;
            o.max_images = v;
            break;
        case O_CKPT:
            if (cli_parse_int(CMD, "--checkpoint-every", optarg, 0, 1 << 30, &v)) return CLI_USAGE;
            o.checkpoint_every = (int)v;
            break;
        case O_RESUME: o.resume = 1; break;
        case O_DET: o.deterministic = 1; break;
        case O_THREADS:
            if (cli_parse_threads(CMD, optarg, &o.threads)) return CLI_USAGE;
            break;
        case O_QUIET: o.progress = 0; cx_log_level = 0; break;
        default:
            if ((r = cli_common_option(&cli, c, argv)) != CLI_CONTINUE) return r;
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o.data_dir || !o.out_dir) return cli_usage_error(CMD, "--data and --out are required");

    cx_error err = {0};
    char *cmdline = cli_command_line(argc, argv); // before MPI_Init may touch argv
    if (dist_init(&argc, &argv, &err)) {
        free(cmdline);
        return cli_error(CMD, &err);
    }
    const int rank = dist_rank(), world = dist_size();
    if (!o.threads) {
        o.threads = omp_get_num_procs() / world;
        if (o.threads < 1) o.threads = 1;
    }
    cx_set_threads(o.threads);
    if (rank != 0) o.progress = 0;
    o.command_line = cmdline;
    o.auroc = auroc_cb;
    pack pk;
    int rc = CLI_OK;
    if (pack_open(&pk, o.data_dir, &err)) {
        rc = cli_error(CMD, &err);
        if (world > 1) dist_abort(rc);
        free(cmdline);
        dist_finalize();
        return rc;
    }
    if (rank == 0)
        cx_info("training %s%s on %s (%d px), %d rank%s x %d threads, %s", o.arch,
                o.gaze_lambda > 0 ? " + gaze head (DenseNet-Aug)" : "", o.data_dir, pk.size,
                world, world > 1 ? "s" : "", o.threads, o.precision == NN_BF16 ? "bf16" : "fp32");
    train_result res;
    if (train_run(&o, &pk, &res, &err)) {
        rc = cli_error(CMD, &err);
        if (world > 1) dist_abort(rc);
    } else if (rank == 0) {
        cx_info("done: %d epochs, best epoch %d (val loss %.4f), %.1f train img/s, %.1f s -> %s",
                res.epochs_done, res.best_epoch, res.best_val_loss, res.train_img_per_s,
                res.seconds, o.out_dir);
    }
    pack_close(&pk);
    free(cmdline);
    dist_finalize();
    return rc;
}
