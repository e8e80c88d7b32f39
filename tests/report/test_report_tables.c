// report on a full-size study output (tests/report/report_fixture.h): the paper's SSIM table
// recomputed cell by cell from the fixture's rows (means without the leading zero, the best
// method per column in bold, a dagger where constant maps were left out, a dash where a group has
// no maps); no "nan" anywhere in the page or the Markdown, and every dash explained; the page's
// order (findings, AUROC, per model SSIM / regions / grid, sensitivity, paired regions; the rest
// collapsed).
#define _GNU_SOURCE // strcasestr
#include "report/report_fixture.h"

#include <ctype.h>

static char dir[4096], html[4300], md[4300];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "%s", test_out_path("report_tables"));
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) return -1;
    fx_write_study(dir);
    snprintf(html, sizeof html, "%s/out/report.html", dir);
    snprintf(md, sizeof md, "%s/out/report.md", dir);
    const char *dirs[1] = {dir};
    cx_error err;
    if (report_build(html, 1, dirs, &err)) {
        fprintf(stderr, "report_build: %s\n", err.msg);
        return -1;
    }
    return 0;
}

__attribute__((noinline)) static char *read_text(const char *path) {
    char *t = NULL;
    size_t n;
    cx_error err;
    int rc = cx_read_file(path, &t, &n, &err);
    assert_int_equal(rc, 0);
    return t;
}

// The fixture's row of (model, source, label slot, group); slot 0: all labels.
static const study_metric_row *fixture_row(const study_metric_row *rows, int64_t n, int m,
                                           int source, int label, int g) {
    for (int64_t i = 0; i < n; i++)
        if (!strcmp(rows[i].model, FX_MODEL[m]) && rows[i].source == source &&
            rows[i].label == label && rows[i].group == (study_group)g)
            return &rows[i];
    return NULL;
}

// A mean as ssim.csv holds it (six decimals): what the report reads.
static double as_in_file(double v) {
    char b[64];
    snprintf(b, sizeof b, "%.6f", v);
    return strtod(b, NULL);
}

// The Markdown row of a source in model m's paper table, written out from the fixture.
static void expected_row(const study_metric_row *rows, int64_t n, int m, int k, const char *abbr,
                         char *out, size_t cap) {
    int o = snprintf(out, cap, "| %s |", abbr);
    for (int slot = 0; slot <= CX_N_LABELS; slot++) {
        int label = slot < CX_N_LABELS ? slot : STUDY_ALL_LABELS; // labels first, then "all"
        for (int g = 0; g < 2; g++) {
            const study_metric_row *r = fixture_row(rows, n, m, fx_source(k), label, g);
            double best = -INFINITY;
            for (int q = 0; q < FX_METHODS; q++) {
                const study_metric_row *x = fixture_row(rows, n, m, q, label, g);
                if (x->n > 0) best = fmax(best, as_in_file(x->mean));
            }
            char v[32];
            if (r->n == 0) snprintf(v, sizeof v, "\xe2\x80\x94");
            else {
                snprintf(v, sizeof v, "%.3f", as_in_file(r->mean));
                memmove(v, v + 1, strlen(v)); // 0.412 -> .412 (all fixture means lie in [0.1, 0.6))
                if (r->n_constant) strcat(v, "\xe2\x80\xa0");
            }
            int bold = k < FX_METHODS && r->n > 0 && as_in_file(r->mean) == best;
            o += snprintf(out + o, cap - (size_t)o, bold ? " **%s** |" : " %s |", v);
        }
    }
}

static void paper_ssim_table_cell_by_cell(void **state) {
    (void)state;
    static study_metric_row rows[FX_MODELS * FX_SOURCES * (CX_N_LABELS + 1) * STUDY_N_GROUPS];
    int64_t n = fx_ssim_rows(rows);
    char *text = read_text(md);
    const char *abbr[FX_SOURCES] = {"SL", "GC", "DL", "LC", "GS", "NT", "centre bias", "mean gaze"};
    for (int m = 0; m < FX_MODELS; m++) {
        char caption[200];
        snprintf(caption, sizeof caption,
                 "**%s: mean SSIM between saliency maps and radiologist gaze", FX_MODEL[m]);
        char *table = strstr(text, caption);
        if (!table) fail_msg("no SSIM table for %s", FX_MODEL[m]);
        // The header: the label, then the pairs correct / incorrect, then the group; Edema counts
        // the two constant GC maps of each group.
        // Pairs of a label and group: every source is scored on them (n + constant maps).
        int64_t pairs[2] = {0, 0};
        for (int k = 0; k < FX_SOURCES; k++)
            for (int g = 0; g < 2; g++) {
                const study_metric_row *r = fixture_row(rows, n, m, fx_source(k), 0, g);
                if (r->n + r->n_constant > pairs[g]) pairs[g] = r->n + r->n_constant;
            }
        char want[400];
        snprintf(want, sizeof want, "| Method | Atelec\xc2\xadtasis %lld / %lld \xe2\x9c\x93 | ",
                 (long long)pairs[0], (long long)pairs[1]);
        assert_non_null(strstr(table, "| Method"));
        if (strncmp(strstr(table, "| Method"), want, strlen(want)))
            fail_msg("header differs: want %s, got %.200s", want, strstr(table, "| Method"));
        assert_non_null(strstr(table, "| Edema "));
        assert_non_null(strstr(table, "(4 const.) \xe2\x9c\x97 |"));
        for (int k = 0; k < FX_SOURCES; k++) {
            char row[2000];
            expected_row(rows, n, m, k, abbr[k], row, sizeof row);
            char *got = strstr(table, row);
            if (!got || got > strstr(table, "</details>"))
                fail_msg("%s: row %s differs; want\n%s\ngot\n%.600s", FX_MODEL[m], abbr[k], row,
                         strstr(table, row) ? "(after the table)" : strstr(table, abbr[k]) - 2);
        }
    }
    free(text);
}

// Text of the page without its embedded images (base64 may spell anything).
static void strip_data_uris(char *page) {
    for (char *p = strstr(page, "data:image/png;base64,"); p;
         p = strstr(p, "data:image/png;base64,")) {
        char *e = strchr(p, '"');
        memmove(p, e, strlen(e) + 1);
    }
}

static int has_word_nan(const char *t) {
    for (const char *p = t; (p = strcasestr(p, "nan")); p++) {
        int before = p > t && isalnum((unsigned char)p[-1]), after = isalnum((unsigned char)p[3]);
        if (!before && !after) return 1;
    }
    return 0;
}

static void no_nan_and_every_dash_explained(void **state) {
    (void)state;
    char *page = read_text(html), *text = read_text(md);
    strip_data_uris(page);
    if (has_word_nan(page)) fail_msg("the page prints nan: %.200s", strcasestr(page, "nan"));
    if (has_word_nan(text)) fail_msg("the Markdown prints nan: %.200s", strcasestr(text, "nan"));
    const char *why[] = {
        "no maps in the group (n = 0)",                      // Fracture: no correct predictions
        "the mean leaves out constant maps",                // GC on Edema
        "kappa with chance agreement 1",                     // SL on Atelectasis
        "a group without maps under this normalisation",     // a sensitivity difference
        "the label has only one class",                      // Fracture's AUROC
    };
    for (size_t k = 0; k < sizeof why / sizeof why[0]; k++) {
        if (!strstr(page, why[k])) fail_msg("the page does not say why: %s", why[k]);
        if (!strstr(text, why[k])) fail_msg("the Markdown does not say why: %s", why[k]);
    }
    free(page);
    free(text);
}

// The paper's order, the same in the page and in its Markdown twin; what is not the paper's is
// inside <details>.
static void order_and_collapsed_rest(void **state) {
    (void)state;
    const char *order[] = {"Findings in plain words", "AUROC per label on the test split",
                           "DenseNet: mean SSIM", "regions_DenseNet", "grid_DenseNet",
                           "DenseNet-Aug: mean SSIM", "regions_DenseNet-Aug", "grid_DenseNet-Aug",
                           "under each map normalisation", "agreement and Cohen",
                           "Sanity checks", "Raw tables"};
    char *page = read_text(html), *text = read_text(md);
    const char *alt[] = {"Most salient region (argmax", "Rows: held-out images"}; // HTML: captions
    for (int doc = 0; doc < 2; doc++) {
        const char *t = doc ? text : page, *at = t;
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
            const char *want = order[k];
            if (!doc && strstr(want, "regions_")) want = alt[0];
            if (!doc && strstr(want, "grid_")) want = alt[1];
            const char *p = strstr(at, want);
            if (!p)
                fail_msg("%s: '%s' missing or out of order", doc ? "report.md" : "report.html",
                         want);
            at = p + 1;
        }
    }
    // Raw tables and the data summary are collapsed: each starts right after a <summary>.
    const char *collapsed[] = {"ssim.csv</a></summary>", "Data: images per split",
                               "Exact settings: Saliency vs gaze comparison",
                               "the SSIM table with 95% CIs, n and p values"};
    for (size_t k = 0; k < sizeof collapsed / sizeof collapsed[0]; k++) {
        if (!strstr(page, collapsed[k])) fail_msg("report.html: no %s", collapsed[k]);
        if (!strstr(text, collapsed[k])) fail_msg("report.md: no %s", collapsed[k]);
    }
    // No raw table outside a <details> element: count table openings and closings in order.
    int depth = 0;
    for (const char *p = page; (p = strchr(p, '<')); p++) {
        if (!strncmp(p, "<details>", 9)) depth++;
        if (!strncmp(p, "</details>", 10)) depth--;
        if (!strncmp(p, "<table class=\"raw\"", 18) && depth <= 0)
            fail_msg("a raw table outside <details>");
    }
    assert_int_equal(depth, 0);
    free(page);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paper_ssim_table_cell_by_cell),
        cmocka_unit_test(no_nan_and_every_dash_explained),
        cmocka_unit_test(order_and_collapsed_rest),
    };
    return cmocka_run_group_tests_name("report/tables", tests, setup, NULL);
}
