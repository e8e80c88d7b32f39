// cxrgaze demo: the whole study on synthetic data (study_demo), then compare's figures and the
// report (report/), which sit above the study layer.
#include <stdio.h>

#include "cli/cli.h"
#include "report/report.h"
#include "study/study.h"

static const char USAGE[] = "usage: cxrgaze demo [--out DIR] [flags]";
static const char ABOUT[] =
    "Runs the whole study on synthetic data in DIR (default demo-out), printing each step's\n"
    "command line: synth (MIMIC-CXR-JPG + EGD-CXR files with planted findings and gaze) ->\n"
    "prepare -> train DenseNet-121 (--gaze-lambda 0) and DenseNet-Aug (--gaze-lambda 1) ->\n"
    "eval (AUROC with DeLong and bootstrap CIs, DeLong test) -> attribute (SL GC DL LC GS NT\n"
    "on held-out images with gaze) -> compare (SSIM and metrics vs gaze, regions, planted\n"
    "findings) -> localize (IoU and hit rate against the planted findings' masks, packed as\n"
    "expert annotations) -> faithfulness (deletion / insertion curves, 16 steps) -> sanity\n"
    "(weight randomisation) -> report. Ends by printing the report's path. Sized to finish in\n"
    "about 10 minutes on 2 cores.";

int cmd_demo(int argc, char **argv) {
    static const char cmd[] = "demo";
    study_demo_settings s;
    study_demo_settings_default(&s);
    const cli_flag flags[] = {
        CLI_FLAG_STRING("out", "DIR", &s.out, "demo-out", "output directory"),
        CLI_FLAG_INT("images", "N", &s.images, 50, 1000000, "1200", "synthetic images"),
        CLI_FLAG_INT("gaze-images", "N", &s.gaze_images, 10, 1000000, "300",
                     "of which with eye gaze"),
        CLI_FLAG_INT("size", "S", &s.size, 64, 512, "128", "model input size"),
        CLI_FLAG_INT("epochs", "E", &s.epochs, 1, 1000, "6", "training epochs per model"),
        CLI_FLAG_INT("batch", "B", &s.batch, 2, 256, "16", "training batch"),
        CLI_FLAG_INT("maps", "N", &s.maps, 1, 100000, "30",
                     "held-out images with gaze explained per model"),
        CLI_FLAG_INT("faith-maps", "N", &s.faith_maps, 1, 1000000, "24",
                     "maps per model in the faithfulness curves"),
        CLI_FLAG_PRECISION(&s.precision, "bf16", "fp32 | bf16"),
        CLI_FLAG_SEED("seed", &s.seed, "1", "seed of every step"),
        CLI_FLAG_THREADS_INTO(&s.threads, ": all cores", "worker threads, 1-1024"),
        CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int r = cli_parse(&table, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE) return r;
    if (s.gaze_images > s.images) return cli_usage_error(cmd, "--gaze-images exceeds --images");
    if (s.threads) cx_set_threads(s.threads); // every step, training included
    cx_error err = {0};
    study_demo_result res;
    if (study_demo(&s, &res, &err)) return cli_error(cmd, &err);
    double t0 = cx_now_s();
    char report[STUDY_DEMO_PATH_MAX + 16];
    snprintf(report, sizeof report, "%s/report.html", s.out);
    const char *dirs[STUDY_DEMO_MAX_DIRS];
    char line[STUDY_DEMO_MAX_DIRS * (STUDY_DEMO_PATH_MAX + 3) + 1];
    size_t at = 0;
    for (int i = 0; i < res.n_report_dirs; i++) {
        dirs[i] = res.report_dirs[i];
        at += (size_t)snprintf(line + at, sizeof line - at, " '%s'", dirs[i]);
    }
    cx_info("== demo: report\n$ cxrgaze report --out '%s'%s", report, line);
    int rc = report_compare_figures(res.compare_dir, &res.compare, &err) ||
             report_build(report, res.n_report_dirs, dirs, &err);
    study_demo_result_free(&res);
    if (rc) return cli_error(cmd, &err);
    cx_info("== demo: report done in %.1f s", cx_now_s() - t0);
    cx_info("demo: finished in %.1f s", res.seconds + cx_now_s() - t0);
    printf("%s\n", report);
    return CLI_OK;
}
