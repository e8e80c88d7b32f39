// report: `cxrgaze report` — gathers the outputs of prepare, train, eval, compare and sanity
// from run directories into one self-contained HTML page (+ Markdown) that reads like the
// study's paper: findings in plain words, the AUROC table, per model the SSIM table, the
// most-salient-region charts and the qualitative grid, the sensitivity and paired region
// statistics; everything else collapsed (<details>), one click away.
#include "report/report_internal.h"

#include <stdlib.h>
#include <string.h>

// The page below the findings, in reading order. The sections add their findings as they go.
static void build_body(const rb_report *R) {
    rb_section_auroc(R);
    rb_section_compare(R);
    rb_section_localize(R);
    rb_section_faithfulness(R);
    rb_section_sanity(R);
    int more = 0;
    for (int i = 0; i < R->n_dirs && !more; i++) more = cx_is_dir(R->dirs[i]);
    if (more) {
        rp_doc_heading(R->d, 2, "Data, training and settings");
        rb_section_data(R);
        rb_section_training(R);
        rb_section_settings(R);
    }
    rb_section_files(R);
}

int report_build(const char *html_path, int n_dirs, const char *const *dirs, cx_error *err) {
    char out_dir[4096], md_path[4200];
    rb_dirname(html_path, out_dir, sizeof out_dir);
    if (cx_mkdir_p(out_dir, err)) return -1;
    for (int i = 0; i < n_dirs; i++)
        if (!cx_is_dir(dirs[i])) return cx_fail(err, "%s: not a directory", dirs[i]);
    size_t l = strlen(html_path);
    if (l > 5 && !strcmp(html_path + l - 5, ".html"))
        snprintf(md_path, sizeof md_path, "%.*s.md", (int)(l - 5), html_path);
    else
        snprintf(md_path, sizeof md_path, "%s.md", html_path);
    const char *title = "cxrgaze: does the classifier look where radiologists look?";
    // The body is built first (it gathers the findings, which open the page), then appended.
    rb_cells findings = {0};
    rp_doc *body = rp_doc_fragment();
    rb_report R = {body, n_dirs, dirs, out_dir, &findings};
    build_body(&R);
    rp_doc *d = rp_doc_new(title);
    rp_doc_paragraph(d,
                     "Chest X-ray classifiers (DenseNet-121 and the gaze-supervised DenseNet-Aug) "
                     "against radiologists' eye gaze: classification quality, image-level and "
                     "region-level agreement of six saliency methods with gaze, and sanity checks. "
                     "The study's tables and figures come first; everything else is collapsed "
                     "below them (click to open).");
    rp_doc_heading(d, 2, "Findings in plain words");
    if (findings.n == 0)
        rb_cell_add(&findings, "No evaluation, comparison or sanity outputs were found.");
    rp_doc_bullets(d, findings.n, (const char *const *)findings.v);
    rb_cells_free(&findings);
    rp_doc_append(d, body);
    rp_doc_free(body);
    int rc = rp_doc_write(d, html_path, md_path, err);
    rp_doc_free(d);
    return rc;
}
