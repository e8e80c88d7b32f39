// study/sanity.c: the model-parameter randomisation tests of Adebayo et al. 2018 ("Sanity checks
// for saliency maps") as a stage: maps of the trained model against maps of re-initialised copies
// (attr/sanity.c decides which tensors a step re-initialises), per method, mode and step; the
// verdict per method; sanity.csv and sanity.json with their readers.
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "study/study.h"

static const char *const mode_names[SANITY_NMODES] = {"cascading", "independent"};
_Static_assert(sizeof mode_names / sizeof mode_names[0] == SANITY_NMODES, "one name per mode");

const char *study_sanity_mode_name(study_sanity_mode m) {
    return m >= 0 && m < SANITY_NMODES ? mode_names[m] : "?";
}


void study_sanity_default(study_sanity_settings *s) {
    *s = (study_sanity_settings){.split = SPLIT_TEST, .limit = 8, .modes = {1, 1},
                                 .randomise_seed = 1, .randomise = attr_sanity_randomise,
                                 .threshold = 0.5, .progress = 1};
    // the study's six are attr_method's first six: sl, gc, dl, lc, gs, nt
    for (attr_method m = ATTR_SL; m <= ATTR_NT; m++) s->methods[s->n_methods++] = m;
    attr_options_default(&s->attr);
}

study_sanity_verdict study_sanity_judge(double spearman_abs_all_randomised, double threshold) {
    if (!isfinite(spearman_abs_all_randomised)) return SANITY_UNDEFINED;
    return fabs(spearman_abs_all_randomised) > threshold ? SANITY_FAILS : SANITY_PASSES;
}

// ---- the experiment ---------------------------------------------------------------------------

typedef struct sanity_run {
    const study_sanity_settings *s;
    attr_options opt;   // s->attr with the black baseline in the model's normalisation
    densenet *net;      // the trained model
    densenet *work;     // the model the maps come from: the trained weights, re-initialised per step
    attr_ctx *ctx;      // on work, for the whole run: plans, arena and converted weights kept
    pack pk;
    int have_pack;
    int n_img, size;    // images, S
    int64_t *rows;      // [split rows] pack rows of the split (the first n_img are used)
    float *x;           // [n_img,3,S,S] network input
    int *target;        // [n_img] the trained model's top-scoring logit
    float *orig, *maps; // [n_img,S,S] maps of the trained / a randomised model
    cx_progress prog;
    int64_t done_maps;
} sanity_run;

// Loads the model and the first images of the split as network input (the model's normalisation).
static int run_open(sanity_run *run, const study_sanity_settings *s, cx_error *err) {
    model_meta meta;
    run->s = s;
    run->opt = s->attr;
    if (model_load_ex(s->model, s->model_flags, &run->net, &meta, err)) return -1;
    run->work = densenet_clone(run->net);
    model_input_black(&meta, run->opt.black);
    if (pack_open(&run->pk, s->data, err)) return -1;
    run->have_pack = 1;
    int64_t n_rows = pack_split_rows(&run->pk, s->split, &run->rows);
    run->n_img = (int)(n_rows < s->limit ? n_rows : s->limit);
    run->size = run->pk.size;
    if (run->n_img < 1) return cx_fail(err, "%s: split %s has no images", s->data, CX_SPLITS[s->split]);
    size_t plane = (size_t)run->size * run->size;
    run->x = cx_malloc(sizeof *run->x * 3 * plane * run->n_img);
    for (int i = 0; i < run->n_img; i++)
        model_input_u8(&meta, run->pk.images + plane * (size_t)run->rows[i], plane,
                       run->x + 3 * plane * i);
    run->orig = cx_malloc(sizeof *run->orig * plane * run->n_img);
    run->maps = cx_malloc(sizeof *run->maps * plane * run->n_img);
    return 0;
}

static void run_close(sanity_run *run) {
    attr_ctx_free(run->ctx);
    densenet_free(run->work);
    densenet_free(run->net);
    if (run->have_pack) pack_close(&run->pk);
    free(run->rows);
    free(run->x);
    free(run->target);
    free(run->orig);
    free(run->maps);
}

// The target of each image: the trained model's top-scoring logit (the first on ties).
static int top_labels(sanity_run *run, cx_error *err) {
    int k = densenet_cfg(run->net)->num_classes, s = run->size;
    size_t plane = (size_t)s * s;
    densenet_plan *plan = densenet_plan_create(run->net, 1, s, s, run->opt.precision, NN_EVAL, err);
    if (!plan) return -1;
    float *logits = cx_malloc(sizeof *logits * k);
    run->target = cx_malloc(sizeof *run->target * run->n_img);
    int rc = 0;
    for (int i = 0; i < run->n_img && !rc; i++) {
        rc = densenet_forward(plan, run->x + 3 * plane * i, logits, NULL, err);
        run->target[i] = 0;
        for (int c = 1; c < k; c++)
            if (logits[c] > logits[run->target[i]]) run->target[i] = c;
    }
    free(logits);
    densenet_plan_free(plan);
    return rc;
}

// Maps [n_img,S,S] of method m for the weights now in run->work, four images per attr_run call.
// One context serves every method and step: its plans read the weights at each forward.
static int method_maps(sanity_run *run, attr_method m, float *maps, cx_error *err) {
    int s = run->size;
    if (!run->ctx) {
        run->ctx = attr_ctx_create(run->work, s, s, &run->opt, err);
        if (!run->ctx) return -1;
    }
    size_t plane = (size_t)s * s;
    for (int i = 0; i < run->n_img; i += 4) {
        int nb = run->n_img - i < 4 ? run->n_img - i : 4;
        attr_request rq[4];
        attr_map out[4];
        for (int j = 0; j < nb; j++)
            rq[j] = (attr_request){.x = run->x + 3 * plane * (i + j), .n_targets = 1,
                                   .targets = &run->target[i + j],
                                   .stream = (uint64_t)run->rows[i + j]};
        if (attr_run(run->ctx, m, rq, nb, out, err)) return -1;
        for (int j = 0; j < nb; j++) {
            memcpy(maps + plane * (i + j), out[j].map, sizeof *maps * plane);
            attr_map_free(&out[j]);
        }
    }
    return 0;
}

// Running sums of the finite values seen.
typedef struct acc {
    double s, ss;
    int n;
} acc;
static void acc_add(acc *a, double v) {
    if (!isfinite(v)) return;
    a->s += v;
    a->ss += v * v;
    a->n++;
}
static study_sanity_stat acc_stat(const acc *a) {
    study_sanity_stat st = {a->n ? a->s / a->n : NAN, NAN};
    if (a->n >= 2) {
        double v = (a->ss - a->n * st.mean * st.mean) / (a->n - 1);
        st.sd = v > 0 ? sqrt(v) : 0;
    }
    return st;
}

// Compares maps b with the originals a (n_img maps [S,S]) into row's n and statistics.
static void compare_maps(const float *a, const float *b, int n_img, int s, study_sanity_row *row) {
    size_t plane = (size_t)s * s;
    float *ua = cx_malloc(sizeof *ua * plane), *ub = cx_malloc(sizeof *ub * plane);
    acc sa = {0}, sg = {0}, ss = {0};
    for (int i = 0; i < n_img; i++) {
        const float *pa = a + plane * i, *pb = b + plane * i;
        stats_status st;
        for (size_t e = 0; e < plane; e++) ua[e] = fabsf(pa[e]), ub[e] = fabsf(pb[e]);
        acc_add(&sa, stats_spearman(ua, ub, plane, &st));
        acc_add(&sg, stats_spearman(pa, pb, plane, &st));
        memcpy(ua, pa, sizeof *ua * plane);
        memcpy(ub, pb, sizeof *ub * plane);
        int ca = stats_minmax_normalise(ua, plane), cb = stats_minmax_normalise(ub, plane);
        if (!ca && !cb) acc_add(&ss, stats_ssim(ua, ub, s, s));
    }
    row->n = sa.n;
    row->spearman_abs = acc_stat(&sa);
    row->spearman = acc_stat(&sg);
    row->ssim = acc_stat(&ss);
    free(ua);
    free(ub);
}

// One row: maps of the trained model randomised up to `step` against run->orig.
static int step_row(sanity_run *run, attr_method m, study_sanity_mode mode, int step,
                    study_sanity_row *row, cx_error *err) {
    densenet_copy_weights(run->work, run->net);
    run->s->randomise(run->work, step, mode == SANITY_CASCADING, run->s->randomise_seed);
    densenet_weights_changed(run->work); // whatever the callback wrote through
    if (method_maps(run, m, run->maps, err)) return -1;
    *row = (study_sanity_row){.method = m, .mode = mode, .step = step};
    compare_maps(run->orig, run->maps, run->n_img, run->size, row);
    run->done_maps += run->n_img;
    if (run->s->progress) {
        const char *steps[SANITY_MAX_STEPS];
        attr_sanity_steps(steps, SANITY_MAX_STEPS);
        char extra[96];
        snprintf(extra, sizeof extra, "%s %s %s", attr_method_name(m),
                 mode == SANITY_CASCADING ? "cascade" : "indep", steps[step]);
        cx_progress_update(&run->prog, run->done_maps, extra);
    }
    return 0;
}

// Every row of method m (appended to r->rows) and its verdict when cascading ran.
static int method_rows(sanity_run *run, attr_method m, study_sanity_result *r, cx_error *err) {
    densenet_copy_weights(run->work, run->net);
    if (method_maps(run, m, run->orig, err)) return -1;
    run->done_maps += run->n_img;
    double all_randomised = NAN;
    for (int mode = 0; mode < SANITY_NMODES; mode++) {
        if (!run->s->modes[mode]) continue;
        for (int st = 0; st < r->n_steps; st++) {
            study_sanity_row *row = &r->rows[r->n_rows];
            if (step_row(run, m, (study_sanity_mode)mode, st, row, err)) return -1;
            r->n_rows++;
            if (mode == SANITY_CASCADING && st == r->n_steps - 1) all_randomised = row->spearman_abs.mean;
        }
    }
    if (run->s->modes[SANITY_CASCADING])
        r->verdicts[r->n_verdicts++] = (study_sanity_method_verdict){
            m, all_randomised, study_sanity_judge(all_randomised, run->s->threshold)};
    return 0;
}

// What was run, into r (the sanity.json part), before any row.
static void record_settings(const study_sanity_settings *s, const sanity_run *run,
                            study_sanity_result *r) {
    *r = (study_sanity_result){.split = s->split, .n_images = run->n_img,
                               .n_methods = s->n_methods, .randomise_seed = s->randomise_seed,
                               .precision = s->attr.precision, .threshold = s->threshold};
    r->command_line = cx_strdup(s->command_line ? s->command_line : "");
    r->model = cx_strdup(s->model);
    r->data = cx_strdup(s->data);
    snprintf(r->version, sizeof r->version, "%s", CX_VERSION);
    memcpy(r->methods, s->methods, sizeof r->methods);
    memcpy(r->modes, s->modes, sizeof r->modes);
    const char *steps[SANITY_MAX_STEPS];
    r->n_steps = attr_sanity_steps(steps, SANITY_MAX_STEPS);
    for (int i = 0; i < r->n_steps; i++) snprintf(r->steps[i], sizeof r->steps[i], "%s", steps[i]);
    int n_modes = !!s->modes[SANITY_CASCADING] + !!s->modes[SANITY_INDEPENDENT];
    r->rows = cx_calloc((size_t)s->n_methods * n_modes * r->n_steps, sizeof *r->rows);
}

static int write_files(const study_sanity_result *r, const char *out, cx_error *err) {
    char path[4200];
    if (strlen(out) + sizeof "/sanity.json" > sizeof path)
        return cx_fail(err, "%s: output directory: path longer than %zu characters", out,
                       sizeof path - sizeof "/sanity.json");
    cx_path_join(path, sizeof path, out, "sanity.csv");
    if (study_sanity_csv_write(path, r->rows, r->n_rows, err)) return -1;
    cx_path_join(path, sizeof path, out, "sanity.json");
    return study_sanity_json_write(path, r, err);
}

int study_sanity(const study_sanity_settings *s, study_sanity_result *r, cx_error *err) {
    memset(r, 0, sizeof *r);
    sanity_run run = {0};
    int rc = -1;
    if (run_open(&run, s, err) || top_labels(&run, err)) goto done;
    if (s->out && cx_mkdir_p(s->out, err)) goto done;
    record_settings(s, &run, r);
    int n_modes = !!s->modes[SANITY_CASCADING] + !!s->modes[SANITY_INDEPENDENT];
    int64_t total = (int64_t)s->n_methods * (1 + n_modes * r->n_steps) * run.n_img;
    if (s->progress) cx_progress_start(&run.prog, "sanity", "maps", total);
    for (int mi = 0; mi < s->n_methods; mi++)
        if (method_rows(&run, s->methods[mi], r, err)) goto done;
    if (s->progress) cx_progress_finish(&run.prog);
    rc = s->out ? write_files(r, s->out, err) : 0;
done:
    run_close(&run);
    if (rc) study_sanity_result_free(r);
    return rc;
}

void study_sanity_log(const study_sanity_result *r, const char *out_dir) {
    for (int i = 0; i < r->n_verdicts; i++) {
        const study_sanity_method_verdict *v = &r->verdicts[i];
        cx_info("sanity: %s: mean Spearman of |map| with the original after randomising every layer: "
                "%.3f -> %s", attr_method_name(v->method), v->spearman_abs_all_randomised,
                v->verdict == SANITY_UNDEFINED ? "undefined (constant maps)"
                : v->verdict == SANITY_FAILS   ? "FAILS (maps barely depend on the weights)"
                                               : "passes");
    }
    char path[4200];
    cx_path_join(path, sizeof path, out_dir, "sanity.csv");
    cx_info("sanity: %d images, %d methods -> %s", r->n_images, r->n_methods, path);
}

void study_sanity_result_free(study_sanity_result *r) {
    free(r->command_line);
    free(r->model);
    free(r->data);
    free(r->rows);
    memset(r, 0, sizeof *r);
}

// ---- sanity.csv -------------------------------------------------------------------------------

typedef enum {
    COL_METHOD = 0, COL_MODE, COL_STEP, COL_N, COL_SPEARMAN_ABS_MEAN, COL_SPEARMAN_ABS_SD,
    COL_SPEARMAN_MEAN, COL_SPEARMAN_SD, COL_SSIM_MEAN, COL_SSIM_SD, N_COLS
} sanity_col;
static const char *const col_names[] = {
    "method", "mode", "randomised_up_to", "n", "spearman_abs_mean", "spearman_abs_sd",
    "spearman_mean", "spearman_sd", "ssim_mean", "ssim_sd"};
_Static_assert(sizeof col_names / sizeof col_names[0] == N_COLS, "one name per sanity.csv column");
#define N_STATS 3 // spearman_abs, spearman, ssim: COL_SPEARMAN_ABS_MEAN + 2 * k (mean), + 1 (sd)
_Static_assert(COL_SPEARMAN_ABS_MEAN + 2 * N_STATS == N_COLS, "mean, sd per statistic");

// The row's statistics in column order.
static void row_stats(study_sanity_row *row, study_sanity_stat *st[N_STATS]) {
    st[0] = &row->spearman_abs, st[1] = &row->spearman, st[2] = &row->ssim;
}

int study_sanity_csv_write(const char *path, const study_sanity_row *rows, int n, cx_error *err) {
    csv_writer *cw = csv_writer_open(path, err);
    if (!cw) return -1;
    const char *steps[SANITY_MAX_STEPS];
    int n_steps = attr_sanity_steps(steps, SANITY_MAX_STEPS);
    csv_writer_row(cw, N_COLS, col_names);
    for (int i = 0; i < n; i++) {
        study_sanity_row row = rows[i];
        study_sanity_stat *st[N_STATS];
        row_stats(&row, st);
        csv_writer_field(cw, attr_method_name(row.method));
        csv_writer_field(cw, study_sanity_mode_name(row.mode));
        csv_writer_field(cw, row.step >= 0 && row.step < n_steps ? steps[row.step] : "?");
        csv_writer_fieldf(cw, "%d", row.n);
        for (int k = 0; k < N_STATS; k++) {
            double v[2] = {st[k]->mean, st[k]->sd};
            for (int j = 0; j < 2; j++) {
                if (isfinite(v[j])) csv_writer_fieldf(cw, "%.6f", v[j]);
                else csv_writer_field(cw, "");
            }
        }
        csv_writer_end_row(cw);
    }
    return csv_writer_commit(cw, err);
}

// Row r of t (column indices idx) into *row; errors name file, line and column.
static int parse_row(const csv_table *t, int64_t r, const int *idx, study_sanity_row *row,
                     cx_error *err) {
    const char *steps[SANITY_MAX_STEPS];
    int n_steps = attr_sanity_steps(steps, SANITY_MAX_STEPS);
    const char *path = csv_path(t), *v;
    int64_t line = csv_row_line(t, r), n;
    cx_error why;
    if (attr_method_parse(csv_get(t, r, idx[COL_METHOD]), &row->method, &why))
        return cx_fail(err, "%s:%lld: method: %s", path, (long long)line, why.msg);
    v = csv_get(t, r, idx[COL_MODE]);
    for (row->mode = 0; row->mode < SANITY_NMODES && strcmp(v, mode_names[row->mode]); row->mode++) {}
    if (row->mode == SANITY_NMODES)
        return cx_fail(err, "%s:%lld: mode: expected cascading or independent, got '%s'", path,
                       (long long)line, v);
    v = csv_get(t, r, idx[COL_STEP]);
    for (row->step = 0; row->step < n_steps && strcmp(v, steps[row->step]); row->step++) {}
    if (row->step == n_steps)
        return cx_fail(err, "%s:%lld: randomised_up_to: not a randomisation step: '%s'", path,
                       (long long)line, v);
    if (csv_parse_int64(csv_get(t, r, idx[COL_N]), &n) != CSV_NUM_OK || n < 0 || n > INT32_MAX)
        return cx_fail(err, "%s:%lld: n: expected a count, got '%s'", path, (long long)line,
                       csv_get(t, r, idx[COL_N]));
    row->n = (int)n;
    study_sanity_stat *st[N_STATS];
    row_stats(row, st);
    for (int c = COL_SPEARMAN_ABS_MEAN; c < N_COLS; c++) {
        int k = (c - COL_SPEARMAN_ABS_MEAN) / 2;
        double *dst = (c - COL_SPEARMAN_ABS_MEAN) % 2 ? &st[k]->sd : &st[k]->mean;
        if (csv_parse_double_or_nan(v = csv_get(t, r, idx[c]), dst) == CSV_NUM_BAD)
            return cx_fail(err, "%s:%lld: %s: expected a number or nothing, got '%s'", path,
                           (long long)line, col_names[c], v);
    }
    return 0;
}

int study_sanity_csv_read(const char *path, study_sanity_row **rows, int *n, cx_error *err) {
    *rows = NULL;
    *n = 0;
    csv_table *t = csv_table_read(path, err);
    if (!t) return -1;
    int idx[N_COLS];
    if (csv_require_cols(t, col_names, N_COLS, idx, err)) {
        csv_table_free(t);
        return -1;
    }
    int64_t nr = csv_nrows(t);
    study_sanity_row *out = cx_calloc(nr > 0 ? (size_t)nr : 1, sizeof *out);
    for (int64_t r = 0; r < nr; r++)
        if (parse_row(t, r, idx, &out[r], err)) {
            free(out);
            csv_table_free(t);
            return -1;
        }
    csv_table_free(t);
    *rows = out;
    *n = (int)nr;
    return 0;
}

// ---- sanity.json ------------------------------------------------------------------------------

// The verdict rule as text: prefix, threshold (%g), suffix.
#define RULE_PREFIX "fails when |mean Spearman of |map|| > "
#define RULE_SUFFIX " with every layer randomised (cascading)"

static json_t *verdict_json(const study_sanity_method_verdict *v) {
    json_t *o = json_object();
    double a = v->spearman_abs_all_randomised;
    json_object_set_new(o, "method", json_string(attr_method_name(v->method)));
    json_object_set_new(o, "spearman_abs_mean_all_randomised", isfinite(a) ? json_real(a) : json_null());
    json_object_set_new(o, "passes", v->verdict == SANITY_UNDEFINED ? json_null()
                                     : json_boolean(v->verdict == SANITY_PASSES));
    return o;
}

// The keys in the order the report's "Exact settings" section has always shown them.
int study_sanity_json_write(const char *path, const study_sanity_result *r, cx_error *err) {
    json_t *root = json_object(), *methods = json_array(), *layers = json_array(),
           *verdicts = json_array();
    for (int i = 0; i < r->n_methods; i++)
        json_array_append_new(methods, json_string(attr_method_name(r->methods[i])));
    for (int i = 0; i < r->n_steps; i++) json_array_append_new(layers, json_string(r->steps[i]));
    for (int i = 0; i < r->n_verdicts; i++) json_array_append_new(verdicts, verdict_json(&r->verdicts[i]));
    char rule[160];
    snprintf(rule, sizeof rule, RULE_PREFIX "%g" RULE_SUFFIX, r->threshold);
    json_object_set_new(root, "command", json_string(r->command_line ? r->command_line : ""));
    json_object_set_new(root, "cxrgaze_version", json_string(r->version));
    json_object_set_new(root, "model", json_string(r->model ? r->model : ""));
    json_object_set_new(root, "data", json_string(r->data ? r->data : ""));
    json_object_set_new(root, "split", json_string(CX_SPLITS[r->split]));
    json_object_set_new(root, "images", json_integer(r->n_images));
    json_object_set_new(root, "methods", methods);
    json_object_set_new(root, "cascading", json_boolean(r->modes[SANITY_CASCADING]));
    json_object_set_new(root, "independent", json_boolean(r->modes[SANITY_INDEPENDENT]));
    json_object_set_new(root, "randomised_layers", layers);
    json_object_set_new(root, "randomise_seed", json_integer((json_int_t)r->randomise_seed));
    json_object_set_new(root, "precision", json_string(NN_PRECISION_NAMES[r->precision]));
    json_object_set_new(root, "verdict_rule", json_string(rule));
    json_object_set_new(root, "verdicts", verdicts);
    char *text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    int rc = cx_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

// Typed look-ups of a key of o; an error names the file and the key.
static const char *get_string(const json_t *o, const char *path, const char *key, cx_error *err) {
    const char *s = json_string_value(json_object_get(o, key));
    if (!s) cx_fail(err, "%s: \"%s\": expected a string", path, key);
    return s;
}
static int get_int(const json_t *o, const char *path, const char *key, json_int_t *v,
                   cx_error *err) {
    const json_t *j = json_object_get(o, key);
    if (!json_is_integer(j)) return cx_fail(err, "%s: \"%s\": expected an integer", path, key);
    *v = json_integer_value(j);
    return 0;
}
static int get_bool(const json_t *o, const char *path, const char *key, int *v, cx_error *err) {
    const json_t *j = json_object_get(o, key);
    if (!json_is_boolean(j)) return cx_fail(err, "%s: \"%s\": expected true or false", path, key);
    *v = json_is_true(j);
    return 0;
}

// The threshold stated by the verdict rule (RULE_PREFIX threshold RULE_SUFFIX).
static int parse_rule(const char *rule, const char *path, double *threshold, cx_error *err) {
    char *end = NULL;
    size_t np = strlen(RULE_PREFIX);
    if (!strncmp(rule, RULE_PREFIX, np)) *threshold = strtod(rule + np, &end);
    if (!end || end == rule + np || strcmp(end, RULE_SUFFIX))
        return cx_fail(err, "%s: \"verdict_rule\": expected '" RULE_PREFIX "<threshold>" RULE_SUFFIX
                       "', got '%s'", path, rule);
    return 0;
}

// The scalar settings of sanity.json into r.
static int read_settings(const json_t *root, const char *path, study_sanity_result *r,
                         cx_error *err) {
    const char *cmd, *version, *model, *data, *split, *precision, *rule;
    json_int_t images = 0, seed = 0;
    if (!(cmd = get_string(root, path, "command", err)) ||
        !(version = get_string(root, path, "cxrgaze_version", err)) ||
        !(model = get_string(root, path, "model", err)) || !(data = get_string(root, path, "data", err)) ||
        !(split = get_string(root, path, "split", err)) ||
        !(precision = get_string(root, path, "precision", err)) ||
        !(rule = get_string(root, path, "verdict_rule", err)) ||
        get_int(root, path, "images", &images, err) || get_int(root, path, "randomise_seed", &seed, err) ||
        get_bool(root, path, "cascading", &r->modes[SANITY_CASCADING], err) ||
        get_bool(root, path, "independent", &r->modes[SANITY_INDEPENDENT], err) ||
        parse_rule(rule, path, &r->threshold, err))
        return -1;
    if ((r->split = split_from_name(split)) < 0)
        return cx_fail(err, "%s: \"split\": expected train, validate or test, got '%s'", path, split);
    if (!strcmp(precision, NN_PRECISION_NAMES[NN_FP32]) || !strcmp(precision, NN_PRECISION_NAMES[NN_BF16]))
        r->precision = strcmp(precision, NN_PRECISION_NAMES[NN_FP32]) ? NN_BF16 : NN_FP32;
    else return cx_fail(err, "%s: \"precision\": expected fp32 or bf16, got '%s'", path, precision);
    if (images < 0 || images > INT32_MAX)
        return cx_fail(err, "%s: \"images\": %lld is out of range", path, (long long)images);
    if (strlen(version) >= sizeof r->version)
        return cx_fail(err, "%s: \"cxrgaze_version\": longer than %zu characters", path,
                       sizeof r->version - 1);
    r->n_images = (int)images;
    r->randomise_seed = (uint64_t)seed;
    snprintf(r->version, sizeof r->version, "%s", version);
    r->command_line = cx_strdup(cmd);
    r->model = cx_strdup(model);
    r->data = cx_strdup(data);
    return 0;
}

// "methods" and "randomised_layers" into r.
static int read_lists(const json_t *root, const char *path, study_sanity_result *r, cx_error *err) {
    const json_t *methods = json_object_get(root, "methods"), *layers = json_object_get(root, "randomised_layers");
    if (!json_is_array(methods) || json_array_size(methods) > ATTR_NMETHODS)
        return cx_fail(err, "%s: \"methods\": expected an array of at most %d method names", path, ATTR_NMETHODS);
    if (!json_is_array(layers) || json_array_size(layers) > SANITY_MAX_STEPS)
        return cx_fail(err, "%s: \"randomised_layers\": expected an array of at most %d names", path,
                       SANITY_MAX_STEPS);
    cx_error why;
    for (size_t i = 0; i < json_array_size(methods); i++) {
        const char *name = json_string_value(json_array_get(methods, i));
        if (!name || attr_method_parse(name, &r->methods[r->n_methods++], &why))
            return cx_fail(err, "%s: \"methods\"[%zu]: %s", path, i, name ? why.msg : "expected a string");
    }
    for (size_t i = 0; i < json_array_size(layers); i++) {
        const char *name = json_string_value(json_array_get(layers, i));
        if (!name || strlen(name) >= sizeof r->steps[0])
            return cx_fail(err, "%s: \"randomised_layers\"[%zu]: expected a layer name", path, i);
        snprintf(r->steps[r->n_steps++], sizeof r->steps[0], "%s", name);
    }
    return 0;
}

// "verdicts" into r.
static int read_verdicts(const json_t *root, const char *path, study_sanity_result *r, cx_error *err) {
    const json_t *verdicts = json_object_get(root, "verdicts");
    if (!json_is_array(verdicts) || json_array_size(verdicts) > ATTR_NMETHODS)
        return cx_fail(err, "%s: \"verdicts\": expected an array of at most %d verdicts", path, ATTR_NMETHODS);
    cx_error why;
    for (size_t i = 0; i < json_array_size(verdicts); i++) {
        const json_t *o = json_array_get(verdicts, i);
        const char *name = json_string_value(json_object_get(o, "method"));
        const json_t *value = json_object_get(o, "spearman_abs_mean_all_randomised"),
                     *passes = json_object_get(o, "passes");
        study_sanity_method_verdict *v = &r->verdicts[r->n_verdicts++];
        if (!name || attr_method_parse(name, &v->method, &why))
            return cx_fail(err, "%s: \"verdicts\"[%zu].method: %s", path, i, name ? why.msg : "expected a string");
        if (!(json_is_number(value) || json_is_null(value)) || !(json_is_boolean(passes) || json_is_null(passes)))
            return cx_fail(err, "%s: \"verdicts\"[%zu]: expected a number or null and true, false or null",
                           path, i);
        v->spearman_abs_all_randomised = json_is_null(value) ? NAN : json_number_value(value);
        v->verdict = json_is_null(passes) ? SANITY_UNDEFINED : json_is_true(passes) ? SANITY_PASSES : SANITY_FAILS;
    }
    return 0;
}

int study_sanity_json_read(const char *path, study_sanity_result *r, cx_error *err) {
    memset(r, 0, sizeof *r);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) return cx_fail(err, "%s:%d: %s", path, je.line, je.text);
    int rc = json_is_object(root) ? 0 : cx_fail(err, "%s: expected a JSON object", path);
    if (!rc) rc = read_settings(root, path, r, err) || read_lists(root, path, r, err) ||
                  read_verdicts(root, path, r, err) ? -1 : 0;
    json_decref(root);
    if (rc) study_sanity_result_free(r);
    return rc;
}
