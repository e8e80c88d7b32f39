// cxrgaze report: one self-contained HTML page + Markdown from run directories (report_build).
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "report/report.h"

static void help(FILE *out) {
    fprintf(out,
            "usage: cxrgaze report --out report.html RUN_DIR...\n\n"
            "Gathers what the run directories hold (searched two levels deep): the pack's\n"
            "summary.json, train log.csv and run.json, eval auroc.csv and auroc_table.md, compare\n"
            "outputs (ssim.csv, metrics.csv, regions, truth.csv, gc_lc.csv, figures), sanity.csv;\n"
            "writes one self-contained HTML page (figures embedded, opens offline) and a Markdown\n"
            "twin (report.md beside it), opening with short findings in plain words.\n\n"
            "flags:\n"
            "  --out FILE     the HTML page to write (required); FILE without .html + .md too\n"
            "  --threads N    worker threads, 1-1024 (default: all cores)\n"
            "  --help         this text\n");
}

int cmd_report(int argc, char **argv) {
    static const char cmd[] = "report";
    static const cli_command cli = {cmd, help};
    enum { O_OUT = 256 };
    static const struct option longopts[] = {{"out", required_argument, 0, O_OUT},
                                             {"threads", required_argument, 0, CLI_OPT_THREADS},
                                             {"help", no_argument, 0, CLI_OPT_HELP},
                                             {0, 0, 0, 0}};
    const char *out = NULL;
    int opt, r;
    cli_getopt_reset();
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case O_OUT: out = optarg; break;
        default:
            if ((r = cli_common_option(&cli, opt, argv)) != CLI_CONTINUE) return r;
        }
    }
    if (!out) return cli_usage_error(cmd, "--out is required");
    if (optind >= argc) return cli_usage_error(cmd, "give at least one run directory");
    cx_error err;
    if (report_build(out, argc - optind, (const char *const *)argv + optind, &err))
        return cli_error(cmd, &err);
    printf("%s\n", out);
    return CLI_OK;
}
