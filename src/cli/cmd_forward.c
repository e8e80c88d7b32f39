// cxrgaze forward: a model on an input tensor file -> logits (+ gaze maps), eval mode, batched.
// For Python users: X.safetensors "input" [N,3,H,W] (normalised) -> Y.safetensors "logits".
#include "cli/cli.h"
#include "model/model.h"

static const char USAGE[] = "usage: cxrgaze forward --model M.safetensors --input X.safetensors "
                            "--out Y.safetensors [flags]";
static const char ABOUT[] =
    "Runs the model in eval mode (BN running statistics) on every sample of X.\n"
    "  X: tensor \"input\" [N,3,H,W], already normalised (METHODS.md: ImageNet mean/std),\n"
    "     F32 (F16, BF16, F64 are converted); H and W at least 32.\n"
    "  Y: tensor \"logits\" [N,K] F32 (K = the model's classes, order = its \"labels\"\n"
    "     metadata), and for a DenseNet-Aug model \"gaze\" [N,1,h,w] F32, the gaze head's\n"
    "     sigmoid output on the final feature map (h = H/32). Written atomically; nothing\n"
    "     is written on error.";

int cmd_forward(int argc, char **argv) {
    static const char cmd[] = "forward";
    model_forward_settings a;
    model_forward_settings_default(&a);
    const cli_flag flags[] = {
        CLI_FLAG_STRING("model", "FILE", &a.model, NULL,
                        "model weights, torchvision names (required)"),
        CLI_FLAG_STRING("input", "FILE", &a.input, NULL, "input tensor file (required)"),
        CLI_FLAG_STRING("out", "FILE", &a.out, NULL, "output tensor file (required)"),
        CLI_FLAG_PRECISION(&a.precision, "fp32; bf16 compute, fp32 weights", "fp32 | bf16"),
        CLI_FLAG_INT("batch", "B", &a.batch, 1, 4096, "16", "samples per forward pass"),
        CLI_FLAG_IGNORE_UNKNOWN(&a.ignore_unknown, 1),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("quiet", &a.progress, 0, NULL, "no progress bar"),
        CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int r = cli_parse(&table, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE) return r;
    if (!a.model) return cli_usage_error(cmd, "--model is required");
    if (!a.input) return cli_usage_error(cmd, "--input is required");
    if (!a.out) return cli_usage_error(cmd, "--out is required");
    cx_error err = {{0}};
    if (model_forward(&a, &err)) return cli_error(cmd, &err);
    return CLI_OK;
}
