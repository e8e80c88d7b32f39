// report in a real browser: headless Chromium (Debian's chromium) opens a report built here,
// every embedded image decodes (naturalWidth > 0), the tables are present; a screenshot of the
// page is kept in the test output directory (report_browser.png).
#include "test.h"

#include <limits.h>
#include <stdlib.h>

#include "report/report.h"

static const char *chromium_flags =
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync";

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *run_capture(const char *cmd) {
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) n += got;
    buf[n] = 0;
    pclose(p);
    return buf;
}

static void report_renders_in_chromium(void **state) {
    (void)state;
    if (system("command -v chromium > /dev/null 2>&1") != 0)
        fail_msg("chromium is not installed (scripts/install-deps installs it)");
    char dir[4096], run[4200], ev[4200], html[4200], p[4300];
    snprintf(dir, sizeof dir, "%s", test_out_path("report_browser"));
    snprintf(run, sizeof run, "%s/runs/densenet", dir);
    snprintf(ev, sizeof ev, "%s/eval/DenseNet", dir);
    cx_mkdir_p(run, NULL);
    cx_mkdir_p(ev, NULL);
    snprintf(p, sizeof p, "%s/log.csv", run);
    write_text(p, "epoch,train_loss,train_bce,train_gaze,val_loss,val_mean_auroc,lr,seconds\n"
                  "1,0.40,0.40,0,0.35,0.70,0.0005,10\n2,0.30,0.30,0,0.31,0.80,0.0005,10\n");
    snprintf(p, sizeof p, "%s/auroc.csv", ev);
    write_text(p, "label,n_pos,n_neg,auroc,delong_lo,delong_hi,boot_lo,boot_hi\n"
                  "Cardiomegaly,10,40,0.90,0.82,0.98,0.81,0.97\n"
                  "Edema,12,38,0.85,0.75,0.95,0.74,0.94\n");
    snprintf(html, sizeof html, "%s/out/report.html", dir);
    const char *dirs[1] = {dir}; // the whole tree: eval + runs
    cx_error err;
    if (report_build(html, 1, dirs, &err)) fail_msg("report_build: %s", err.msg);

    // A harness page loads the report in an iframe and reports what the browser made of it.
    snprintf(p, sizeof p, "%s/out/harness.html", dir);
    write_text(p, "<!DOCTYPE html><html><body><pre id=\"out\">pending</pre>"
                  "<iframe id=\"f\" src=\"report.html\" style=\"width:1280px;height:2000px\"></iframe>"
                  "<script>document.getElementById('f').onload=function(){"
                  "var d=this.contentDocument,im=d.images,bad=0;"
                  "for(var i=0;i<im.length;i++)if(!(im[i].complete&&im[i].naturalWidth>0))bad++;"
                  "document.getElementById('out').textContent='RESULT images='+im.length+"
                  "' broken='+bad+' tables='+d.getElementsByTagName('table').length+' END';};"
                  "</script></body></html>");
    char abs[4096], cmd[16384];
    assert_non_null(realpath(dir, abs)); // file:// URLs need absolute paths
    snprintf(cmd, sizeof cmd,
             "timeout 120 chromium %s --user-data-dir=%s/chrome-a --allow-file-access-from-files "
             "--virtual-time-budget=10000 --dump-dom 'file://%s/out/harness.html' 2>/dev/null",
             chromium_flags, abs, abs);
    char *dom = run_capture(cmd);
    char *r = strstr(dom, "RESULT images=");
    if (!r) fail_msg("the harness page did not report (chromium output: %.300s)", dom);
    int images = -1, broken = -1, tables = -1;
    assert_int_equal(sscanf(r, "RESULT images=%d broken=%d tables=%d", &images, &broken, &tables), 3);
    free(dom);
    assert_true(images >= 2);  // training curve + AUROC forest plot
    assert_int_equal(broken, 0);
    assert_true(tables >= 2);  // AUROC in the study's layout + per-model table + log

    snprintf(cmd, sizeof cmd,
             "timeout 120 chromium %s --user-data-dir=%s/chrome-b --window-size=1280,1600 "
             "--screenshot='%s/report_browser.png' 'file://%s/out/report.html' > /dev/null 2>&1",
             chromium_flags, abs, abs, abs);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/report_browser.png", dir);
    char *png;
    size_t n;
    assert_int_equal(cx_read_file(p, &png, &n, &err), 0);
    assert_true(n > 10000 && memcmp(png, "\x89PNG", 4) == 0);
    free(png);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_renders_in_chromium),
    };
    return cmocka_run_group_tests_name("report/browser", tests, NULL, NULL);
}
