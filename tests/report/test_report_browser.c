// report in a real browser: headless Chromium (Debian's chromium) opens a full-size report (two
// models, 14 labels: tests/report/report_fixture.h) at 1400 px and reports what it made of it:
// every embedded image decodes (naturalWidth > 0) and is shown at its size (no figure scaled
// down: grid cells stay 160 px); the paper's tables fit the page's width; the paper's SSIM table
// per model has the six methods and two baselines as rows and a ✓/✗ pair per label; the raw tables
// sit inside <details> elements whose summaries link their CSV files; with every <details> closed
// the page is at most 15,000 px tall; no "nan" anywhere. A screenshot is kept in the test output
// directory (report_browser.png).
#include "report/report_fixture.h"

#include <limits.h>
#include <stdlib.h>

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

// The harness loads the report in a 1400 px iframe and prints one RESULT line.
static const char *harness =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"margin:0\">"
    "<pre id=\"out\">pending</pre>"
    "<iframe id=\"f\" src=\"report.html\" style=\"width:1400px;height:1000px;border:0\"></iframe>"
    "<script>document.getElementById('f').onload=function(){"
    "var d=this.contentDocument,im=d.images,bad=0,small=0,i,j;"
    "for(i=0;i<im.length;i++){if(!(im[i].complete&&im[i].naturalWidth>0))bad++;"
    " if(im[i].getBoundingClientRect().width+1<im[i].naturalWidth/2)small++;}"
    "var t=d.querySelectorAll('table.ssim'),rows8=0,pairs=0,labels=-1;"
    "for(i=0;i<t.length;i++){var h=t[i].tHead.rows,b=t[i].tBodies[0].rows;"
    " if(b.length==8)rows8++;"
    " var n=h[0].cells.length-1,ok=h[1].cells.length==1+2*n;"
    " for(j=0;j<n;j++){ok=ok&&h[0].cells[1+j].colSpan==2"
    "  "
    "&&h[1].cells[1+2*j].textContent=='\xe2\x9c\x93'&&h[1].cells[2+2*j].textContent=='\xe2\x9c\x97'"
    ";}"
    " if(ok)pairs++;labels=n;}"
    "var pt=d.querySelectorAll('table.paper'),wide=0;"
    "for(i=0;i<pt.length;i++){var w=pt[i].closest('.tw');if(w.scrollWidth>w.clientWidth+1)wide++;}"
    "var raw=d.querySelectorAll('table.raw'),rawin=0;"
    "for(i=0;i<raw.length;i++)if(raw[i].closest('details'))rawin++;"
    "var links=d.querySelectorAll('details > summary "
    "a[href$=\".csv\"]').length,open=0,det=d.querySelectorAll('details');"
    "for(i=0;i<det.length;i++)if(det[i].open)open++;"
    "document.getElementById('out').textContent='RESULT images='+im.length+' broken='+bad+"
    "' small='+small+' wide='+wide+' ssim='+t.length+' rows8='+rows8+' pairs='+pairs+' "
    "labels='+labels+"
    "' raw='+raw.length+' rawin='+rawin+' links='+links+' open='+open+"
    "' height='+d.documentElement.scrollHeight+' "
    "nan='+(/\\bnan\\b/i.test(d.body.textContent)?1:0)+' END';};"
    "</script></body></html>";

static void report_renders_in_chromium(void **state) {
    (void)state;
    if (system("command -v chromium > /dev/null 2>&1") != 0)
        fail_msg("chromium is not installed (scripts/install-deps installs it)");
    char dir[4096], html[4200], p[4300];
    snprintf(dir, sizeof dir, "%s", test_out_path("report_browser"));
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    assert_int_equal(system(p), 0);
    fx_write_study(dir);
    snprintf(html, sizeof html, "%s/out/report.html", dir);
    const char *dirs[1] = {dir}; // the whole tree: eval, runs, compare, sanity
    cx_error err;
    if (report_build(html, 1, dirs, &err)) fail_msg("report_build: %s", err.msg);

    snprintf(p, sizeof p, "%s/out/harness.html", dir);
    write_text(p, harness);
    char abs[4096], cmd[16384];
    assert_non_null(realpath(dir, abs)); // file:// URLs need absolute paths
    snprintf(cmd, sizeof cmd,
             "timeout 120 chromium %s --user-data-dir=%s/chrome-a --allow-file-access-from-files "
             "--virtual-time-budget=10000 --dump-dom 'file://%s/out/harness.html' 2>/dev/null",
             chromium_flags, abs, abs);
    char *dom = run_capture(cmd);
    char *r = strstr(dom, "RESULT images=");
    if (!r) fail_msg("the harness page did not report (chromium output: %.300s)", dom);
    int images, broken, small, wide, ssim, rows8, pairs, labels, raw, rawin, links, open, height,
        nan;
    if (sscanf(r,
               "RESULT images=%d broken=%d small=%d wide=%d ssim=%d rows8=%d pairs=%d labels=%d "
               "raw=%d "
               "rawin=%d links=%d open=%d height=%d nan=%d",
               &images, &broken, &small, &wide, &ssim, &rows8, &pairs, &labels, &raw, &rawin,
               &links, &open, &height, &nan) != 14)
        fail_msg("unexpected harness line: %.400s", r);
    printf("browser: %.300s\n", r);
    free(dom);
    // forest plot, per model SSIM bars + regions + grid, two sanity curves, training curves
    assert_true(images >= 1 + 3 * FX_MODELS + 2 + 1);
    assert_int_equal(broken, 0);
    assert_int_equal(small, 0);
    assert_int_equal(wide, 0);            // the paper's tables fit the page: no sideways scrolling
    assert_int_equal(ssim, FX_MODELS);
    assert_int_equal(rows8, FX_MODELS);   // SL GC DL LC GS NT + centre bias + mean gaze
    assert_int_equal(pairs, FX_MODELS);   // a ✓/✗ pair under every label
    assert_int_equal(labels, CX_N_LABELS + 1); // the 14 labels and "All labels"
    assert_true(raw >= 8); // auroc x2, log, ssim, metrics, distance, sensitivity, sanity
    assert_int_equal(rawin, raw);         // every raw table is collapsed
    assert_int_equal(links, raw);         // and its summary links its file
    assert_int_equal(open, 0);
    assert_true(height > 3000 && height <= 15000);
    assert_int_equal(nan, 0);

    snprintf(
        cmd, sizeof cmd,
        "timeout 120 chromium %s --user-data-dir=%s/chrome-b --hide-scrollbars "
        "--window-size=1400,%d --screenshot='%s/report_browser.png' 'file://%s/out/report.html' "
        "> /dev/null 2>&1",
        chromium_flags, abs, height, abs, abs);
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
