// study/demo: the whole study on synthetic data, one stage function after another (study.h).
// The command lines logged before each stage are what a user would type for the same step.
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "study/study.h"

#define DEMO_N_MODELS 2
static const char *const DEMO_MODEL_DIR[DEMO_N_MODELS] = {"densenet", "densenet-aug"};
static const char *const DEMO_MODEL_NAME[DEMO_N_MODELS] = {"DenseNet", "DenseNet-Aug"};
static const double DEMO_GAZE_LAMBDA[DEMO_N_MODELS] = {0.0, 1.0};

void study_demo_settings_default(study_demo_settings *s) {
    *s = (study_demo_settings){.out = "demo-out", .images = 1200, .gaze_images = 300,
                               .size = 128, .epochs = 6, .batch = 16, .maps = 30, .faith_maps = 24,
                               .sanity_images = 4, .precision = NN_BF16, .seed = 1};
}

// Every path the demo uses, formatted under s->out once; a path that does not fit is an error
// naming it, never a truncated path.
typedef struct demo_paths {
    char synth[STUDY_DEMO_PATH_MAX], mimic[STUDY_DEMO_PATH_MAX], egd[STUDY_DEMO_PATH_MAX],
        truth[STUDY_DEMO_PATH_MAX], reflacx[STUDY_DEMO_PATH_MAX], data[STUDY_DEMO_PATH_MAX], eval[STUDY_DEMO_PATH_MAX],
        compare[STUDY_DEMO_PATH_MAX], sanity[STUDY_DEMO_PATH_MAX], runs[STUDY_DEMO_PATH_MAX],
        annotations[STUDY_DEMO_PATH_MAX], localize[STUDY_DEMO_PATH_MAX],
        faithfulness[STUDY_DEMO_PATH_MAX];
    char run[DEMO_N_MODELS][STUDY_DEMO_PATH_MAX], model[DEMO_N_MODELS][STUDY_DEMO_PATH_MAX],
        eval_model[DEMO_N_MODELS][STUDY_DEMO_PATH_MAX], attr[DEMO_N_MODELS][STUDY_DEMO_PATH_MAX],
        faith_model[DEMO_N_MODELS][STUDY_DEMO_PATH_MAX];
} demo_paths;

static int demo_path(char *out, cx_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int demo_path(char *out, cx_error *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, STUDY_DEMO_PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= STUDY_DEMO_PATH_MAX)
        return cx_fail(err, "demo: a path under \"%s\" is longer than %d bytes", out,
                       STUDY_DEMO_PATH_MAX - 1);
    return 0;
}

static int demo_paths_make(const char *o, demo_paths *p, cx_error *err) {
    if (demo_path(p->synth, err, "%s/synth", o) || demo_path(p->mimic, err, "%s/mimic-cxr-jpg", p->synth) ||
        demo_path(p->egd, err, "%s/egd-cxr", p->synth) || demo_path(p->truth, err, "%s/truth", p->synth) ||
        demo_path(p->reflacx, err, "%s/reflacx", p->synth) ||
        demo_path(p->data, err, "%s/data", o) || demo_path(p->eval, err, "%s/eval", o) ||
        demo_path(p->compare, err, "%s/compare", o) || demo_path(p->sanity, err, "%s/sanity", o) ||
        demo_path(p->runs, err, "%s/runs", o) ||
        demo_path(p->annotations, err, "%s/chexlocalize_rle.json", p->truth) ||
        demo_path(p->localize, err, "%s/localize", o) ||
        demo_path(p->faithfulness, err, "%s/faithfulness", o))
        return -1;
    for (int m = 0; m < DEMO_N_MODELS; m++)
        if (demo_path(p->run[m], err, "%s/%s", p->runs, DEMO_MODEL_DIR[m]) ||
            demo_path(p->model[m], err, "%s/best.safetensors", p->run[m]) ||
            demo_path(p->eval_model[m], err, "%s/%s", p->eval, DEMO_MODEL_NAME[m]) ||
            demo_path(p->attr[m], err, "%s/attr/%s", o, DEMO_MODEL_DIR[m]) ||
            demo_path(p->faith_model[m], err, "%s/%s", p->faithfulness, DEMO_MODEL_DIR[m]))
            return -1;
    return 0;
}

// "== demo: <label>" and the equivalent command line, before a stage.
static void step_begin(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void step_begin(const char *label, const char *fmt, ...) {
    char line[8 * STUDY_DEMO_PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cx_info("== demo: %s\n$ cxrgaze %s", label, line);
}

static int step_end(const char *label, int rc, double t0) {
    cx_info("== demo: %s %s in %.1f s", label, rc == 0 ? "done" : "FAILED", cx_now_s() - t0);
    return rc;
}

static int demo_synth(const study_demo_settings *s, const demo_paths *p, cx_error *err) {
    // Synthetic radiographs at 2.5x the model size: prepare really downsizes them.
    synth_opts o;
    synth_opts_default(&o);
    o.out_dir = p->synth;
    o.n_images = s->images;
    o.n_gaze_images = s->gaze_images;
    o.size = s->size * 5 / 2;
    o.seed = s->seed;
    o.overwrite = 1;
    o.reflacx = 1; // several readers of some images: the inter-observer ceiling
    o.progress = 1;
    step_begin("synthetic MIMIC-CXR-JPG + EGD-CXR + REFLACX files",
               "synth --out '%s' --images %d --gaze-images %d --size %d --seed %llu --reflacx "
               "--force",
               p->synth, s->images, s->gaze_images, o.size, (unsigned long long)s->seed);
    double t0 = cx_now_s();
    synth_summary sum;
    return step_end("synthetic files", data_synth(&o, &sum, err), t0);
}

static int demo_prepare(const study_demo_settings *s, const demo_paths *p, cx_error *err) {
    prepare_opts o;
    prepare_opts_default(&o);
    o.mimic_dir = p->mimic;
    o.egd_dir = p->egd;
    o.truth_dir = p->truth;
    o.annotations = p->annotations; // the planted findings' masks as expert annotations
    o.reflacx_dir = p->reflacx;      // REFLACX readings: gaze per reader, the union for training
    o.out_dir = p->data;
    o.size = s->size;
    o.seed = s->seed;
    // The dataset's gaze sigma (150 px) is for ~3056 px radiographs: scale it with the image.
    o.gaze_sigma_px = 150.0 * (s->size * 5 / 2) / 3056.0;
    o.progress = 1;
    step_begin("dataset pack",
               "prepare --mimic '%s' --egd '%s' --reflacx '%s' --truth '%s' --annotations '%s' "
               "--out '%s' --size %d --seed %llu --gaze-sigma %.1f",
               p->mimic, p->egd, p->reflacx, p->truth, p->annotations, p->data, s->size,
               (unsigned long long)s->seed,
               o.gaze_sigma_px);
    double t0 = cx_now_s();
    prepare_summary sum;
    int rc = data_prepare(&o, &sum, err);
    if (rc == 0) prepare_summary_print(&sum, stderr);
    return step_end("dataset pack", rc, t0);
}

static int demo_train(const study_demo_settings *s, const demo_paths *p, int m, cx_error *err) {
    train_opts o;
    train_opts_default(&o);
    o.data_dir = p->data;
    o.out_dir = p->run[m];
    o.gaze_lambda = DEMO_GAZE_LAMBDA[m];
    o.epochs = s->epochs;
    o.batch = s->batch;
    o.precision = s->precision;
    o.seed = s->seed;
    o.threads = s->threads > 0 ? s->threads : omp_get_max_threads();
    o.augment = TRAIN_AUG_FLIP;
    o.progress = 1;
    char cmdline[8 * STUDY_DEMO_PATH_MAX];
    snprintf(cmdline, sizeof cmdline,
             "train --data '%s' --out '%s' --gaze-lambda %g --epochs %d --batch %d --precision %s "
             "--seed %llu --augment flip",
             p->data, p->run[m], o.gaze_lambda, s->epochs, s->batch,
             nn_precision_name(s->precision), (unsigned long long)s->seed);
    o.command_line = cmdline;
    const char *label = m ? "train DenseNet-Aug (gaze-supervised)" : "train DenseNet-121";
    step_begin(label, "%s", cmdline);
    double t0 = cx_now_s();
    // The demo's own runs start afresh (train refuses to overwrite a run without --resume).
    if (cx_remove_tree(p->run[m]))
        return step_end(label, cx_fail(err, "demo: cannot remove the previous run %s", p->run[m]), t0);
    train_result res;
    return step_end(label, train_run_data(&o, &res, err), t0);
}

static int demo_evaluate(const study_demo_settings *s, const demo_paths *p, cx_error *err) {
    study_eval_settings e;
    study_eval_settings_default(&e);
    e.data_dir = p->data;
    e.n_models = DEMO_N_MODELS;
    for (int m = 0; m < DEMO_N_MODELS; m++) {
        e.model_path[m] = p->model[m];
        e.model_name[m] = DEMO_MODEL_NAME[m];
    }
    e.seed = s->seed;
    e.out_dir = p->eval;
    const char *label = "evaluate both models (AUROC with CIs, DeLong test)";
    step_begin(label, "eval --data '%s' --compare '%s' '%s' --names DenseNet,DenseNet-Aug --out '%s' --seed %llu",
               p->data, p->model[0], p->model[1], p->eval, (unsigned long long)s->seed);
    double t0 = cx_now_s();
    study_eval_result res;
    int rc = study_evaluate(&e, &res, err);
    if (rc == 0) study_eval_result_free(&res);
    return step_end(label, rc, t0);
}

static int demo_attribute(const study_demo_settings *s, const demo_paths *p, int m, cx_error *err) {
    study_attr_settings a;
    study_attr_settings_default(&a); // the study's six methods
    a.model = p->model[m];
    a.data = p->data;
    a.gaze_only = 1;
    a.limit = s->maps;
    a.out = p->attr[m];
    a.opt.precision = s->precision;
    a.opt.seed = s->seed;
    a.n_overlays = 4;
    a.progress = 1;
    step_begin("saliency maps",
               "attribute --model '%s' --data '%s' --split test --gaze-only --targets positive "
               "--limit %d --methods sl,gc,dl,lc,gs,nt --out '%s' --precision %s --seed %llu "
               "--overlays 4",
               p->model[m], p->data, s->maps, p->attr[m], nn_precision_name(s->precision),
               (unsigned long long)s->seed);
    double t0 = cx_now_s();
    study_attr_result res;
    int rc = study_attribute(&a, &res, err);
    if (rc == 0) study_attr_result_free(&res);
    return step_end("saliency maps", rc, t0);
}

static int demo_compare(const study_demo_settings *s, const demo_paths *p, study_compare_result *res,
                        cx_error *err) {
    study_compare_settings c;
    study_compare_settings_default(&c);
    c.data_dir = p->data;
    c.n_models = c.n_eval = DEMO_N_MODELS;
    for (int m = 0; m < DEMO_N_MODELS; m++) {
        c.eval_dir[m] = p->eval_model[m];
        c.attr_dir[m] = p->attr[m];
        c.name[m] = DEMO_MODEL_NAME[m];
    }
    c.out_dir = p->compare;
    c.seed = s->seed;
    step_begin("saliency vs gaze",
               "compare --data '%s' --eval '%s' --name DenseNet --attributions '%s' --eval '%s' "
               "--name DenseNet-Aug --attributions '%s' --out '%s' --seed %llu",
               p->data, p->eval_model[0], p->attr[0], p->eval_model[1], p->attr[1], p->compare,
               (unsigned long long)s->seed);
    double t0 = cx_now_s();
    return step_end("saliency vs gaze", study_compare(&c, res, err), t0);
}

static int demo_localize(const study_demo_settings *s, const demo_paths *p, cx_error *err) {
    study_localize_settings l;
    study_localize_settings_default(&l);
    l.data_dir = p->data;
    l.n_models = DEMO_N_MODELS;
    for (int m = 0; m < DEMO_N_MODELS; m++) {
        l.attr_dir[m] = p->attr[m];
        l.name[m] = DEMO_MODEL_NAME[m];
    }
    l.out_dir = p->localize;
    l.seed = s->seed;
    const char *label = "localisation vs annotations";
    step_begin(label,
               "localize --data '%s' --attributions '%s' --name DenseNet --attributions '%s' "
               "--name DenseNet-Aug --out '%s' --seed %llu",
               p->data, p->attr[0], p->attr[1], p->localize, (unsigned long long)s->seed);
    double t0 = cx_now_s();
    study_localize_result res;
    int rc = study_localize(&l, &res, err);
    if (rc == 0) study_localize_result_free(&res);
    return step_end(label, rc, t0);
}

static int demo_faithfulness(const study_demo_settings *s, const demo_paths *p, int m,
                             cx_error *err) {
    study_faith_settings f;
    study_faith_settings_default(&f);
    f.model = p->model[m];
    f.data = p->data;
    f.attr_dir = p->attr[m];
    f.name = DEMO_MODEL_NAME[m];
    f.out = p->faith_model[m];
    f.steps = 16;
    f.precision = s->precision;
    f.limit = s->faith_maps;
    f.seed = s->seed;
    f.progress = 1;
    const char *label = "faithfulness (deletion / insertion)";
    step_begin(label,
               "faithfulness --model '%s' --data '%s' --attributions '%s' --name %s --out '%s' "
               "--steps 16 --precision %s --limit %d --seed %llu",
               p->model[m], p->data, p->attr[m], DEMO_MODEL_NAME[m], p->faith_model[m],
               nn_precision_name(s->precision), s->faith_maps, (unsigned long long)s->seed);
    double t0 = cx_now_s();
    study_faith_result res;
    int rc = study_faithfulness(&f, &res, err);
    if (rc == 0) study_faith_result_free(&res);
    return step_end(label, rc, t0);
}

static int demo_sanity(const study_demo_settings *s, const demo_paths *p, cx_error *err) {
    study_sanity_settings q;
    study_sanity_default(&q); // the study's six methods, both modes
    q.model = p->model[0];
    q.data = p->data;
    q.out = p->sanity;
    q.limit = s->sanity_images;
    q.attr.precision = s->precision;
    q.attr.seed = s->seed;
    q.progress = 1;
    char cmdline[4 * STUDY_DEMO_PATH_MAX];
    snprintf(cmdline, sizeof cmdline,
             "sanity --model '%s' --data '%s' --out '%s' --limit %d --precision %s --seed %llu",
             p->model[0], p->data, p->sanity, s->sanity_images,
             nn_precision_name(s->precision), (unsigned long long)s->seed);
    q.command_line = cmdline;
    step_begin("sanity checks", "%s", cmdline);
    double t0 = cx_now_s();
    study_sanity_result res;
    int rc = study_sanity(&q, &res, err);
    if (rc == 0) study_sanity_result_free(&res);
    return step_end("sanity checks", rc, t0);
}

int study_demo(const study_demo_settings *s, study_demo_result *r, cx_error *err) {
    memset(r, 0, sizeof *r);
    if (s->gaze_images > s->images)
        return cx_fail(err, "demo: %d gaze images exceed the %d images", s->gaze_images, s->images);
    demo_paths *p = cx_malloc(sizeof *p);
    double t0 = cx_now_s();
    int rc = demo_paths_make(s->out, p, err) || cx_mkdir_p(s->out, err) ||
             demo_synth(s, p, err) || demo_prepare(s, p, err);
    for (int m = 0; m < DEMO_N_MODELS && !rc; m++) rc = demo_train(s, p, m, err);
    rc = rc || demo_evaluate(s, p, err);
    for (int m = 0; m < DEMO_N_MODELS && !rc; m++) rc = demo_attribute(s, p, m, err);
    rc = rc || demo_compare(s, p, &r->compare, err) || demo_localize(s, p, err);
    for (int m = 0; m < DEMO_N_MODELS && !rc; m++) rc = demo_faithfulness(s, p, m, err);
    rc = rc || demo_sanity(s, p, err);
    if (!rc) {
        const char *dirs[] = {p->data,         p->eval,   p->compare, p->localize,
                              p->faithfulness, p->sanity, p->runs};
        r->n_report_dirs = (int)(sizeof dirs / sizeof dirs[0]);
        for (int i = 0; i < r->n_report_dirs; i++)
            memcpy(r->report_dirs[i], dirs[i], STUDY_DEMO_PATH_MAX);
        memcpy(r->compare_dir, p->compare, STUDY_DEMO_PATH_MAX);
    } else {
        study_compare_result_free(&r->compare);
    }
    r->seconds = cx_now_s() - t0;
    free(p);
    return rc ? -1 : 0;
}

void study_demo_result_free(study_demo_result *r) { study_compare_result_free(&r->compare); }
