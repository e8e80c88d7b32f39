// report: the sanity-check and settings sections.
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "io/io.h"

void rb_section_sanity(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir,
                       rb_cells *findings) {
    rb_found f;
    rb_find_all(n_dirs, dirs, "sanity.csv", &f);
    if (!f.n) return;
    rp_doc_heading(d, 2, "Sanity checks (Adebayo et al. 2018)");
    rp_doc_paragraph(d, "Weights are randomised from the top (cascading) or one block at a time "
                        "(independent); a method whose maps keep a high rank correlation with the "
                        "original maps does not depend on what the model learned, and fails.");
    for (int i = 0; i < f.n; i++) {
        cx_error err;
        csv_table *t = csv_table_read(f.path[i], &err);
        if (!t) continue;
        int cm = csv_col(t, "method"), cmo = csv_col(t, "mode"), cs = csv_col(t, "randomised_up_to"),
            cv = csv_col(t, "spearman_abs_mean");
        if (cm < 0 || cmo < 0 || cs < 0 || cv < 0) {
            csv_table_free(t);
            continue;
        }
        const char *modes[2] = {"cascading", "independent"};
        for (int md = 0; md < 2; md++) {
            char steps[16][64], methods[8][16];
            int ns = 0, nm = 0;
            double val[8][16];
            for (int a = 0; a < 8; a++)
                for (int b = 0; b < 16; b++) val[a][b] = NAN;
            for (int64_t r = 0; r < csv_nrows(t); r++) {
                if (strcmp(csv_get(t, r, cmo), modes[md])) continue;
                int s = 0, m = 0;
                while (s < ns && strcmp(steps[s], csv_get(t, r, cs))) s++;
                if (s == ns && ns < 16) snprintf(steps[ns++], sizeof steps[0], "%s", csv_get(t, r, cs));
                while (m < nm && strcmp(methods[m], csv_get(t, r, cm))) m++;
                if (m == nm && nm < 8) snprintf(methods[nm++], sizeof methods[0], "%s", csv_get(t, r, cm));
                if (s < 16 && m < 8) val[m][s] = rb_num(csv_get(t, r, cv));
            }
            if (!ns || !nm) continue;
            rp_series ser[8];
            const char *xs[16];
            double ymin = 0;
            for (int s = 0; s < ns; s++) xs[s] = steps[s];
            for (int m = 0; m < nm; m++) {
                ser[m] = (rp_series){methods[m], val[m], NULL, NULL};
                for (int s = 0; s < ns; s++)
                    if (isfinite(val[m][s])) ymin = fmin(ymin, val[m][s]);
            }
            char fig[4200], title[200], png[4300];
            snprintf(fig, sizeof fig, "%s/fig_sanity_%d_%s", out_dir, i, modes[md]);
            snprintf(title, sizeof title, "%s randomisation: rank correlation with original |map|", modes[md]);
            if (rp_lines(fig, title, "randomised up to", "Spearman of |map|", ns, xs, nm, ser,
                         floor(ymin * 10) / 10, 1.0, &err) == 0) {
                snprintf(png, sizeof png, "%s.png", fig);
                rb_embed(d, png, out_dir, title);
            }
            if (md == 0) {
                char pass[256] = "", failed[256] = "";
                for (int m = 0; m < nm; m++) {
                    double last = val[m][ns - 1];
                    char *dst = last > 0.5 ? failed : pass;
                    size_t l = strlen(dst);
                    snprintf(dst + l, sizeof pass - l, "%s%s (%.2f)", l ? ", " : "", methods[m], last);
                }
                char line[700];
                snprintf(line, sizeof line,
                         "Sanity check (cascading randomisation up to %s): maps change, as they "
                         "should, for %s; maps barely change (rank correlation > 0.5, the check "
                         "fails) for %s.",
                         steps[ns - 1], pass[0] ? pass : "no method", failed[0] ? failed : "no method");
                rb_cell_add(findings, "%s", line);
            }
        }
        csv_table_free(t);
        rb_csv_table(d, f.path[i], "sanity.csv", NULL, NULL, 200);
    }
}

void rb_section_settings(rp_doc *d, int n_dirs, const char *const *dirs) {
    static const char *const records[3][2] = {{"run.json", "Training run"},
                                              {"compare.json", "Saliency vs gaze comparison"},
                                              {"sanity.json", "Sanity checks"}};
    int any = 0;
    for (int k = 0; k < 3; k++) {
        rb_found f;
        rb_find_all(n_dirs, dirs, records[k][0], &f);
        for (int i = 0; i < f.n; i++) {
            if (!any++) {
                rp_doc_heading(d, 2, "Exact settings");
                rp_doc_paragraph(d, "Every number above can be traced to these records (command "
                                    "lines, versions, seeds, data fingerprints, timings).");
            }
            char cap[4300];
            snprintf(cap, sizeof cap, "%s (%s)", records[k][1], f.path[i]);
            rb_json_table(d, f.path[i], cap);
        }
    }
}
