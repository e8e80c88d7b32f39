// cxrgaze report: one self-contained HTML page + Markdown from run directories (report_build).
#include <stdio.h>

#include "cli/cli.h"
#include "report/report.h"

static const char USAGE[] = "usage: cxrgaze report --out report.html RUN_DIR...";
static const char ABOUT[] =
    "Gathers what the run directories hold (searched two levels deep): the pack's\n"
    "summary.json, train log.csv and run.json, eval auroc.csv and auroc_table.md, compare\n"
    "outputs (ssim.csv, metrics.csv, regions.csv, region_distance.csv, sensitivity.csv,\n"
    "truth.csv, gc_lc.csv, compare.json, figures), sanity.csv; writes one self-contained HTML\n"
    "page (figures embedded, opens offline) and a Markdown twin (report.md beside it) laid out\n"
    "like the study's paper: findings in plain words, the AUROC table, per model the SSIM table\n"
    "(methods x labels, correct vs incorrect), the most-salient-region charts and the\n"
    "qualitative grid, then the sensitivity table and the paired region statistics; the data\n"
    "summary, training curves, exact settings and every raw CSV (linked) collapsed below.\n"
    "Every figure is also an SVG for papers (compare's beside its files, the report's own\n"
    "beside the page). docs/report.md describes the page.";

int cmd_report(int argc, char **argv) {
    static const char cmd[] = "report";
    const char *out = NULL;
    const cli_flag flags[] = {
        CLI_FLAG_STRING("out", "FILE", &out, NULL,
                        "the HTML page to write (required); FILE without .html + .md too"),
        CLI_FLAG_THREADS, CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    char **run_dirs;
    int n_run_dirs;
    int r = cli_parse(&table, argc, argv, &run_dirs, &n_run_dirs);
    if (r != CLI_CONTINUE) return r;
    if (!out) return cli_usage_error(cmd, "--out is required");
    if (n_run_dirs == 0) return cli_usage_error(cmd, "give at least one run directory");
    cx_error err;
    if (report_build(out, n_run_dirs, (const char *const *)run_dirs, &err))
        return cli_error(cmd, &err);
    printf("%s\n", out);
    return CLI_OK;
}
