// cxrgaze train: DenseNet-121 (--gaze-lambda 0) or DenseNet-Aug (> 0) on a dataset pack.
// Optionally data parallel: mpirun -np N cxrgaze train ... (built with Open MPI).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/data.h"
#include "train/train.h"

static const char CMD[] = "train";

static const char USAGE[] = "usage: cxrgaze train --data DATA --out RUN [flags]";
static const char ABOUT[] =
    "Trains DenseNet-121 (--gaze-lambda 0) or DenseNet-Aug (--gaze-lambda L > 0: plus a gaze\n"
    "head sigmoid(conv1x1(relu(norm5))) fitted to the radiologists' gaze maps) on the pack DATA\n"
    "(from `cxrgaze prepare`). Loss: mean BCE over the 14 labels + L * gaze MSE over the images\n"
    "with gaze. Adam (0.9, 0.999, eps 1e-8); the learning rate halves after --patience epochs\n"
    "without validation-loss improvement; training stops after --early-stop such epochs.\n\n"
    "Writes RUN/log.csv (per epoch), RUN/last.safetensors, RUN/best.safetensors (lowest\n"
    "validation loss), RUN/last.optim.safetensors (optimizer state for --resume), RUN/run.json.";
static const char EPILOG[] =
    "MPI: mpirun -np N cxrgaze train ... shards every global batch over the ranks, all-reduces\n"
    "the gradient, keeps BN statistics per rank; rank 0 writes the files.";

static int parse_augment(const char *cmd, const cli_flag *f, const char *value) {
    if (train_augment_parse(value, f->to))
        return cli_usage_error(cmd, "--augment expects none, flip or flip+rotate, got '%s'", value),
               -1;
    return 0;
}

int cmd_train(int argc, char **argv) {
    train_opts o;
    train_opts_default(&o);
    int quiet = 0;
    // --threads is stored, not applied: the count is set after MPI start-up, its default is
    // cores / ranks.
    const cli_flag flags[] = {
        CLI_FLAG_STRING("data", "DATA", &o.data_dir, NULL, "dataset pack directory (required)"),
        CLI_FLAG_STRING("out", "RUN", &o.out_dir, NULL,
                        "run directory (required; refused if it holds a run, see --resume)"),
        CLI_FLAG_STRING("arch", "NAME", &o.arch, "densenet121",
                        "densenet121 | densenet169 | densenet201"),
        CLI_FLAG_DOUBLE("gaze-lambda", "L", &o.gaze_lambda, 0, 1e6, "0",
                        "weight of the gaze MSE term; 0 = DenseNet, > 0 = DenseNet-Aug"),
        CLI_FLAG_STRING(
            "init", "W.safetensors", &o.init_path, ": torchvision initialisation from --seed",
            "start from these torchvision-named weights (e.g. ImageNet); the classifier "
            "is re-initialised if its shape differs, the gaze head if absent"),
        CLI_FLAG_INT("epochs", "E", &o.epochs, 1, 100000, "30", "maximum epochs"),
        CLI_FLAG_INT("batch", "B", &o.batch, 1, 1 << 16, "16",
                     "global batch size, split over MPI ranks"),
        CLI_FLAG_INT("eval-batch", "B", &o.eval_batch, 1, 1 << 16, ": --batch",
                     "validation batch size"),
        CLI_FLAG_DOUBLE("lr", "LR", &o.lr, 1e-12, 10, "5e-4", "initial learning rate"),
        CLI_FLAG_PRECISION(&o.precision, "fp32; bf16 keeps fp32 master weights", "fp32 | bf16"),
        CLI_FLAG_SEED("seed", &o.seed, "0", "seed of initialisation, data order and augmentation"),
        CLI_FLAG_CUSTOM("augment", "A", &o.augment, parse_augment,
                        "flip+rotate: horizontal flip p=0.5 swapping the lung masks, rotation +-15 "
                        "degrees",
                        "none | flip | flip+rotate"),
        CLI_FLAG_INT("patience", "N", &o.patience, 0, 100000, "3",
                     "epochs without improvement before halving the lr"),
        CLI_FLAG_INT("early-stop", "N", &o.early_stop, 0, 100000, "10",
                     "epochs without improvement before stopping"),
        CLI_FLAG_INT("max-images", "N", &o.max_images, 1, 0x7fffffffffffffffL, ": all",
                     "train on a seeded subset of N training images"),
        CLI_FLAG_INT("checkpoint-every", "K", &o.checkpoint_every, 0, 1 << 30,
                     "0: at epoch ends only",
                     "also checkpoint every K batches, for mid-epoch --resume"),
        CLI_FLAG_SWITCH("resume", &o.resume, 1, NULL,
                        "continue RUN from RUN/last.optim.safetensors (same data and flags)"),
        CLI_FLAG_SWITCH("deterministic", &o.deterministic, 1, NULL,
                        "fixed thread count and data order: an interrupted and resumed run ends "
                        "with bit-identical weights (--resume needs the same --threads)"),
        CLI_FLAG_THREADS_INTO(&o.threads, ": all cores / ranks", "worker threads per rank, 1-1024"),
        CLI_FLAG_SWITCH("quiet", &quiet, 1, NULL, "no progress bar, warnings only"),
        CLI_FLAG_HELP};
    const cli_table table = {CMD, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), EPILOG};
    int r = cli_parse(&table, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE) return r;
    if (quiet) {
        o.progress = 0;
        cx_log_level = 0;
    }
    if (!o.data_dir || !o.out_dir) return cli_usage_error(CMD, "--data and --out are required");

    cx_error err = {0};
    char *cmdline = cli_command_line(argc, argv); // before MPI_Init may touch argv
    if (dist_init(&argc, &argv, &err)) {
        free(cmdline);
        return cli_error(CMD, &err);
    }
    o.command_line = cmdline;
    int rc = CLI_OK;
    train_result res;
    if (train_run_data(&o, &res, &err)) {
        rc = cli_error(CMD, &err);
        if (dist_size() > 1) dist_abort(rc);
    }
    free(cmdline);
    dist_finalize();
    return rc;
}
