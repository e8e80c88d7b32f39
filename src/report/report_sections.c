// report: the sanity-check section (Adebayo et al.): the randomisation curves and their finding.
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "io/io.h"

// Spearman of |map| per method (series) and step (x) of one mode, from sanity.csv's rows.
typedef struct rb_sanity_curves {
    int n_methods, n_steps;
    attr_method method[ATTR_NMETHODS];
    double val[ATTR_NMETHODS][SANITY_MAX_STEPS];
} rb_sanity_curves;

static void rb_sanity_collect(const study_sanity_row *rows, int n, study_sanity_mode mode,
                              rb_sanity_curves *c) {
    memset(c, 0, sizeof *c);
    for (int a = 0; a < ATTR_NMETHODS; a++)
        for (int b = 0; b < SANITY_MAX_STEPS; b++) c->val[a][b] = NAN;
    for (int r = 0; r < n; r++) {
        if (rows[r].mode != mode || rows[r].step < 0 || rows[r].step >= SANITY_MAX_STEPS) continue;
        int m = 0;
        while (m < c->n_methods && c->method[m] != rows[r].method) m++;
        if (m == c->n_methods) c->method[c->n_methods++] = rows[r].method;
        c->val[m][rows[r].step] = rows[r].spearman_abs.mean;
        if (rows[r].step + 1 > c->n_steps) c->n_steps = rows[r].step + 1;
    }
}

// The finding of the cascading curves: which methods' maps change once every layer is random.
static void rb_sanity_finding(const rb_sanity_curves *c, const char *last_step,
                              rb_cells *findings) {
    study_sanity_settings dflt; // the verdict rule sanity.json states: |Spearman| > threshold
    study_sanity_default(&dflt);
    char pass[256] = "", failed[256] = "";
    for (int m = 0; m < c->n_methods; m++) {
        double last = c->val[m][c->n_steps - 1];
        study_sanity_verdict v = study_sanity_judge(last, dflt.threshold);
        if (v == SANITY_UNDEFINED) continue; // constant maps: no verdict
        char *dst = v == SANITY_FAILS ? failed : pass;
        size_t l = strlen(dst);
        snprintf(dst + l, sizeof pass - l, "%s%s (%.2f)", l ? ", " : "",
                 rb_source_abbr(c->method[m]), last);
    }
    rb_cell_add(findings,
                "Sanity check (cascading randomisation up to %s): maps change, as they should, for "
                "%s; maps barely change (|rank correlation| > 0.5, the check fails) for %s.",
                last_step, pass[0] ? pass : "no method", failed[0] ? failed : "no method");
}

static void rb_sanity_figure(const rb_report *R, const rb_sanity_curves *c,
                             const char *const *steps, int file, study_sanity_mode mode) {
    rp_series ser[ATTR_NMETHODS];
    double ymin = 0;
    for (int m = 0; m < c->n_methods; m++) {
        ser[m] = (rp_series){rb_source_abbr(c->method[m]), c->val[m], NULL, NULL};
        for (int s = 0; s < c->n_steps; s++)
            if (isfinite(c->val[m][s])) ymin = fmin(ymin, c->val[m][s]);
    }
    const char *name = study_sanity_mode_name(mode);
    char fig[4200], title[200], png[4300];
    cx_error err;
    snprintf(fig, sizeof fig, "%s/fig_sanity_%d_%s", R->out_dir, file, name);
    snprintf(title, sizeof title, "%s randomisation: rank correlation with original |map|", name);
    if (rp_lines(fig, title, "randomised up to", "Spearman of |map|", c->n_steps, steps,
                 c->n_methods, ser, floor(ymin * 10) / 10, 1.0, &err) == 0) {
        snprintf(png, sizeof png, "%s.png", fig);
        rb_embed(R, png, title);
    }
}

void rb_section_sanity(const rb_report *R) {
    rb_found f;
    rb_find_all(R->n_dirs, R->dirs, "sanity.csv", &f);
    if (!f.n) return;
    rp_doc *d = R->d;
    rp_doc_heading(d, 2, "Sanity checks (Adebayo et al. 2018)");
    rp_doc_paragraph(d, "Weights are randomised from the top (cascading) or one block at a time "
                        "(independent); a method whose maps keep a high rank correlation with the "
                        "original maps does not depend on what the model learned, and fails.");
    const char *steps[SANITY_MAX_STEPS];
    int n_steps = attr_sanity_steps(steps, SANITY_MAX_STEPS);
    for (int i = 0; i < f.n; i++) {
        cx_error err;
        study_sanity_row *rows;
        int n;
        if (study_sanity_csv_read(f.path[i], &rows, &n, &err)) {
            rp_doc_note(d, err.msg);
            continue;
        }
        for (int md = 0; md < SANITY_NMODES; md++) {
            rb_sanity_curves c;
            rb_sanity_collect(rows, n, (study_sanity_mode)md, &c);
            if (!c.n_steps || !c.n_methods || c.n_steps > n_steps) continue;
            rb_sanity_figure(R, &c, steps, i, (study_sanity_mode)md);
            if (md == SANITY_CASCADING) rb_sanity_finding(&c, steps[c.n_steps - 1], R->findings);
        }
        free(rows);
    }
}
