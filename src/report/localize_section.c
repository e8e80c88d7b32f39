// report: the localisation section (CheXlocalize, METHODS.md §4), from localize.csv read through
// study's reader: per label mIoU and hit rate with CIs for every saliency method, gaze and the
// centre-bias floor, as CheXlocalize's grouped bar chart and as tables; a finding; the raw file
// collapsed.
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOC_MAX_SERIES (STUDY_LOCALIZE_MAX_MODELS * ATTR_NMETHODS + 2)
#define LOC_MAX_GROUPS (CX_N_LABELS + 1)

// The rows of localize.csv as a grid: series (model, source) in file order, with gaze and the
// centre bias last; groups = the labels with a row, in CX_LABELS order, then "all".
typedef struct loc_grid {
    int n_series, n_groups;
    char model[LOC_MAX_SERIES][64];
    int source[LOC_MAX_SERIES];
    char name[LOC_MAX_SERIES][96];
    int label[LOC_MAX_GROUPS];
    const char *group_name[LOC_MAX_GROUPS];
    const study_localize_row *row[LOC_MAX_SERIES][LOC_MAX_GROUPS]; // NULL: no row
} loc_grid;

static int series_of(loc_grid *g, const study_localize_row *r) {
    for (int s = 0; s < g->n_series; s++)
        if (g->source[s] == r->source && !strcmp(g->model[s], r->model)) return s;
    if (g->n_series == LOC_MAX_SERIES) return -1;
    int s = g->n_series++;
    snprintf(g->model[s], sizeof g->model[s], "%s", r->model);
    g->source[s] = r->source;
    return s;
}

static void build_grid(const study_localize_row *rows, int64_t n, loc_grid *g) {
    memset(g, 0, sizeof *g);
    int has[CX_N_LABELS] = {0}, models = 0;
    for (int pass = 0; pass < 2; pass++) // methods first, then gaze and the centre bias
        for (int64_t i = 0; i < n; i++)
            if ((rows[i].source >= ATTR_NMETHODS) == pass) series_of(g, &rows[i]);
    for (int s = 0; s < g->n_series; s++)
        if (g->source[s] < ATTR_NMETHODS && (s == 0 || strcmp(g->model[s], g->model[0]))) models++;
    for (int s = 0; s < g->n_series; s++) {
        const char *abbr = rb_source_abbr(g->source[s]);
        if (g->source[s] >= ATTR_NMETHODS || models <= 1)
            snprintf(g->name[s], sizeof g->name[s], "%s", abbr);
        else {
            char model[64]; // a copy: snprintf's source may not be part of its destination's object
            memcpy(model, g->model[s], sizeof model);
            snprintf(g->name[s], sizeof g->name[s], "%.60s %s", model, abbr);
        }
    }
    for (int64_t i = 0; i < n; i++)
        if (rows[i].label >= 0) has[rows[i].label] = 1;
    for (int c = 0; c < CX_N_LABELS; c++)
        if (has[c]) g->label[g->n_groups] = c, g->group_name[g->n_groups++] = CX_LABELS[c];
    g->label[g->n_groups] = STUDY_ALL_LABELS, g->group_name[g->n_groups++] = "all";
    for (int64_t i = 0; i < n; i++) {
        int s = series_of(g, &rows[i]);
        for (int k = 0; s >= 0 && k < g->n_groups; k++)
            if (g->label[k] == rows[i].label) g->row[s][k] = &rows[i];
    }
}

// One value of a row: 0 mIoU, 1 hit rate; lo, hi its CI.
static double value(const study_localize_row *r, int which, double *lo, double *hi) {
    if (!r || !r->n) return *lo = *hi = NAN;
    *lo = which ? r->hit_lo : r->miou_lo;
    *hi = which ? r->hit_hi : r->miou_hi;
    return which ? r->hit_rate : r->miou;
}

// CheXlocalize's figure: labels x sources, bars with 95% CI whiskers.
static void bar_chart(const rb_report *R, const loc_grid *g, int which, int file) {
    static double val[LOC_MAX_SERIES][LOC_MAX_GROUPS], lo[LOC_MAX_SERIES][LOC_MAX_GROUPS],
        hi[LOC_MAX_SERIES][LOC_MAX_GROUPS];
    rp_series ser[LOC_MAX_SERIES];
    for (int s = 0; s < g->n_series; s++) {
        for (int k = 0; k < g->n_groups; k++)
            val[s][k] = value(g->row[s][k], which, &lo[s][k], &hi[s][k]);
        ser[s] = (rp_series){g->name[s], val[s], lo[s], hi[s]};
    }
    const char *what = which ? "hit rate" : "mIoU";
    char fig[4200], name[64], title[200], caption[400], png[4300];
    snprintf(name, sizeof name, "fig_localize_%d_%s", file, which ? "hit" : "miou");
    cx_path_join(fig, sizeof fig, R->out_dir, name);
    snprintf(title, sizeof title, "Localisation against expert annotations: %s per label (95%% CI)",
             what);
    cx_error err;
    if (rp_grouped_bars(fig, title, what, g->n_groups, g->group_name, g->n_series, ser, 0, 1,
                        &err)) {
        rp_doc_note(R->d, err.msg);
        return;
    }
    snprintf(caption, sizeof caption,
             "%s per label and pooled (all), each saliency method against radiologist gaze (the "
             "human reference, on the pairs with gaze) and the centre-bias map (the floor); "
             "whiskers: 95%% patient-bootstrap CI. " RB_DASH ": no scored pair.",
             which ? "Hit rate (pointing game)" : "Mean IoU");
    snprintf(png, sizeof png, "%s.png", fig);
    rb_embed(R, png, caption);
}

// "0.412 (0.35-0.47)" or a dash.
static void cell_ci(rb_cells *c, const study_localize_row *r, int which) {
    double lo, hi, v = value(r, which, &lo, &hi);
    char a[32], b[32], e[32];
    if (!isfinite(v))
        rb_cell_add(c, RB_DASH);
    else if (!isfinite(lo))
        rb_cell_add(c, "%s", rb_value(a, sizeof a, "%.3f", v));
    else
        rb_cell_add(c,
                    "%s (%s"
                    "\xe2\x80\x93"
                    "%s)",
                    rb_value(a, sizeof a, "%.3f", v), rb_value(b, sizeof b, "%.2f", lo),
                    rb_value(e, sizeof e, "%.2f", hi));
}

// Pooled scores, one row per series.
static void pooled_table(const rb_report *R, const loc_grid *g) {
    const char *header[6] = {
        "map",  "pairs (constant)", "mIoU (95% CI)", "hit rate (95% CI)", "mass share (95% CI)",
        "model"};
    rb_cells cells = {0};
    int all = g->n_groups - 1;
    for (int s = 0; s < g->n_series; s++) {
        const study_localize_row *r = g->row[s][all];
        char a[32], b[32], e[32];
        rb_cell_add(&cells, "%s", rb_source_abbr(g->source[s]));
        rb_cell_add(&cells, "%lld (%lld)", r ? (long long)r->n : 0LL,
                    r ? (long long)r->n_constant : 0LL);
        cell_ci(&cells, r, 0);
        cell_ci(&cells, r, 1);
        if (r && r->n && isfinite(r->mass_lo))
            rb_cell_add(&cells,
                        "%s (%s"
                        "\xe2\x80\x93"
                        "%s)",
                        rb_value(a, sizeof a, "%.3f", r->mass_share),
                        rb_value(b, sizeof b, "%.2f", r->mass_lo),
                        rb_value(e, sizeof e, "%.2f", r->mass_hi));
        else
            rb_cell_add(&cells, "%s",
                        rb_value(a, sizeof a, "%.3f", r && r->n ? r->mass_share : NAN));
        rb_cell_add(&cells, "%s", g->model[s]);
    }
    rp_doc_table(R->d, "Localisation, all labels pooled (localize.csv, label = all)", 6,
                 g->n_series, header, (const char *const *)cells.v);
    rb_cells_free(&cells);
}

// Per label: one column per series, "mIoU (CI) / hit rate (CI)".
static void label_table(const rb_report *R, const loc_grid *g) {
    const char *header[LOC_MAX_SERIES + 1];
    header[0] = "label";
    for (int s = 0; s < g->n_series; s++)
        header[s + 1] = g->name[s];
    rb_cells cells = {0};
    for (int k = 0; k < g->n_groups; k++) {
        rb_cell_add(&cells, "%s", g->group_name[k]);
        for (int s = 0; s < g->n_series; s++) {
            rb_cells two = {0};
            cell_ci(&two, g->row[s][k], 0);
            cell_ci(&two, g->row[s][k], 1);
            rb_cell_add(&cells, "%s\n%s", two.v[0], two.v[1]);
            rb_cells_free(&two);
        }
    }
    rp_doc_table(R->d, "Per label: mIoU (95% CI) over hit rate (95% CI)", g->n_series + 1,
                 g->n_groups, header, (const char *const *)cells.v);
    rb_cells_free(&cells);
}

// The finding: the best method by pooled mIoU against gaze and the centre-bias floor.
static void finding(const rb_report *R, const loc_grid *g) {
    int all = g->n_groups - 1, best = -1, beat = 0, methods = 0;
    const study_localize_row *gaze = NULL, *cb = NULL;
    for (int s = 0; s < g->n_series; s++) {
        const study_localize_row *r = g->row[s][all];
        if (g->source[s] == STUDY_SOURCE_GAZE) gaze = r;
        if (g->source[s] == STUDY_SOURCE_CENTRE_BIAS) cb = r;
    }
    for (int s = 0; s < g->n_series; s++) {
        const study_localize_row *r = g->row[s][all];
        if (g->source[s] >= ATTR_NMETHODS || !r || !r->n || !isfinite(r->miou)) continue;
        methods++;
        if (best < 0 || r->miou > g->row[best][all]->miou) best = s;
        if (cb && cb->n && r->miou > cb->miou) beat++;
    }
    if (best < 0) return;
    const study_localize_row *b = g->row[best][all];
    char gz[160] = "", floor_[160] = "";
    if (gaze && gaze->n)
        snprintf(gz, sizeof gz,
                 "; radiologist gaze, on the %lld pairs with gaze: mIoU %.3f, hit "
                 "rate %.3f",
                 (long long)gaze->n, gaze->miou, gaze->hit_rate);
    if (cb && cb->n)
        snprintf(floor_, sizeof floor_, "; the centre-bias floor: mIoU %.3f, hit rate %.3f",
                 cb->miou, cb->hit_rate);
    rb_cell_add(R->findings,
                "Localisation against expert annotations (CheXlocalize-style): the best saliency "
                "map, %s%s%s, reaches mIoU %.3f (95%% CI %.2f to %.2f) and hit rate %.3f over %lld "
                "annotated pairs%s%s. %d of %d method maps beat the centre bias in mIoU.",
                g->source[best] < ATTR_NMETHODS ? rb_source_abbr(g->source[best]) : "?",
                g->model[best][0] ? " of " : "", g->model[best], b->miou, b->miou_lo, b->miou_hi,
                b->hit_rate, (long long)b->n, gz, floor_, beat, methods);
}

static void intro(rp_doc *d, const study_localize_row *rows, int64_t n) {
    const study_localize_row *m = NULL;
    for (int64_t i = 0; i < n && !m; i++)
        if (rows[i].source < ATTR_NMETHODS) m = &rows[i];
    char line[1200], thr[96];
    if (m && isfinite(m->threshold))
        snprintf(thr, sizeof thr, "a fixed threshold (m > %g)", m->threshold);
    else
        snprintf(thr, sizeof thr, "Otsu's threshold on the 8-bit map uint8(255 m)");
    snprintf(line, sizeof line,
             "Every saliency map whose image and target label carry an expert annotation is "
             "scored as CheXlocalize does (Saporta et al. 2022; METHODS.md section 4): the map m "
             "(%s attribution, %s) is binarised by %s; IoU with the annotation, hit (the map's "
             "maximum inside the annotation: the pointing game) and the share of the map's mass "
             "inside it. Gaze maps (min-max) are the human reference on the pairs with gaze; the "
             "centre-bias map (a Gaussian of sigma 0.25 S) is the floor any useful map must beat. "
             "CIs: bootstrap over patients. Constant maps are left out and counted.",
             !m                                    ? "the"
             : m->norm.sign == STATS_SIGN_ABS      ? "absolute value of the"
             : m->norm.sign == STATS_SIGN_POSITIVE ? "positive part of the"
                                                   : "signed",
             !m || m->norm.scale == STATS_SCALE_P98 ? "divided by Captum's 98% cumulative-sum "
                                                      "threshold and clipped to [0, 1]"
                                                    : "min-max scaled to [0, 1]",
             thr);
    rp_doc_paragraph(d, line);
}

void rb_section_localize(const rb_report *R) {
    rb_found f;
    rb_find_all(R->n_dirs, R->dirs, "localize.csv", &f);
    for (int i = 0; i < f.n; i++) {
        rp_doc_heading(R->d, 2, "Localisation against expert annotations");
        cx_error err;
        study_localize_row *rows;
        int64_t n;
        if (study_localize_read(f.path[i], &rows, &n, &err)) {
            rp_doc_note(R->d, err.msg);
            continue;
        }
        static loc_grid g;
        build_grid(rows, n, &g);
        intro(R->d, rows, n);
        bar_chart(R, &g, 0, i);
        bar_chart(R, &g, 1, i);
        pooled_table(R, &g);
        label_table(R, &g);
        finding(R, &g);
        rb_raw_csv(R, f.path[i], "localize.csv: every row", 300);
        free(rows);
    }
}
