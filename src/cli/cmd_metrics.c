// cxrgaze metrics: SSIM, CC, KL, SIM, EMD (+ NSS, AUC-Judd with fixations) for paired maps
// stored in safetensors files; one CSV row per pair (stats_map_metrics_ex).
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/io.h"
#include "stats/stats.h"

static const char USAGE[] =
    "usage: cxrgaze metrics --maps A.safetensors --reference B.safetensors\n"
    "                       [--fixations F.safetensors] --out m.csv [flags]";
static const char ABOUT[] =
    "Compares map i of A with map i of B (e.g. saliency vs radiologist gaze) for every i.\n"
    "Maps: a floating tensor (F32, also F16/BF16/F64) [N,H,W] or [H,W]; by default the\n"
    "first tensor of each file. Both maps are min-max normalised to [0,1] first (an\n"
    "all-constant map becomes all zeros and is flagged in the CSV and a warning).\n"
    "Fixations: U8, BOOL or F32 [N,H,W], nonzero = fixated pixel.\n\n"
    "Output CSV, one row per pair (written atomically); columns as selected by --metrics:\n"
    "  index,ssim,cc,kl,sim,emd[,nss,auc_judd],map_constant,ref_constant\n"
    "  ssim      scikit-image SSIM: 7x7 uniform window, data_range 1, K1 .01, K2 .03,\n"
    "            sample covariance, mean over the map cropped by 3 px\n"
    "  cc        Pearson correlation            kl   KL(B || A), eps 2.2204e-16\n"
    "  sim       histogram intersection         emd  earth mover's distance of the\n"
    "            mass-normalised maps area-downsampled to <= E x E, in original pixels\n"
    "  nss       normalised scanpath saliency of A at the fixations\n"
    "  auc_judd  AUC-Judd of A at the fixations (MIT benchmark, no jitter)\n"
    "Undefined values (constant maps, no fixations) are written as nan.";

// The tensor named `name` (or the file's first) as a [n,h,w] map stack; 2-D tensors are n = 1.
static int pick_maps(const st_file *f, const char *name, int fixations, const st_tensor **out,
                     int64_t dims[3], cx_error *err) {
    const st_tensor *t;
    if (name) {
        if (!(t = st_find(f, name)))
            return cx_fail(err, "%s: missing tensor \"%s\"", f->path, name);
    } else {
        if (f->n == 0) return cx_fail(err, "%s: the file holds no tensor", f->path);
        t = &f->t[0];
    }
    int floating =
        t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16 || t->dtype == ST_F64;
    if (!floating && !(fixations && (t->dtype == ST_U8 || t->dtype == ST_BOOL)))
        return cx_fail(err, "%s: tensor \"%s\" has dtype %s, expected %s", f->path, t->name,
                       st_dtype_name(t->dtype), fixations ? "U8, BOOL or a float" : "a float");
    if (t->ndim == 3) {
        dims[0] = t->shape[0], dims[1] = t->shape[1], dims[2] = t->shape[2];
    } else if (t->ndim == 2) {
        dims[0] = 1, dims[1] = t->shape[0], dims[2] = t->shape[1];
    } else {
        return cx_fail(err, "%s: tensor \"%s\" has %d dimensions, expected [N,H,W] or [H,W]",
                       f->path, t->name, t->ndim);
    }
    if (dims[1] < 1 || dims[2] < 1 || dims[1] > 65536 || dims[2] > 65536)
        return cx_fail(err, "%s: tensor \"%s\" has an unusable map size %lldx%lld", f->path,
                       t->name, (long long)dims[1], (long long)dims[2]);
    *out = t;
    return 0;
}

// fp32 view of a floating tensor: the mapping itself for F32, else a converted copy (*owned).
static int as_f32(const st_file *f, const st_tensor *t, const float **data, float **owned,
                  cx_error *err) {
    *owned = NULL;
    if (t->dtype == ST_F32 && ((uintptr_t)t->data % sizeof(float)) == 0) {
        *data = t->data;
        return 0;
    }
    *owned = cx_malloc(t->numel ? t->numel * sizeof(float) : 1);
    if (st_read_f32(f, t, *owned, err)) return -1;
    *data = *owned;
    return 0;
}

static void print_num(FILE *f, double v) {
    if (isnan(v))
        fputs(",nan", f);
    else
        fprintf(f, ",%.9g", v);
}

typedef struct {
    const char *maps, *ref, *fix, *maps_tensor, *ref_tensor, *fix_tensor, *out;
    unsigned which; // STATS_M_* bits
    int emd_size, progress;
} metrics_args;

// Column order of the output (stats_metric's names, in this command's historical order).
static const stats_metric column_order[] = {STATS_SSIM, STATS_CC,  STATS_KL,      STATS_SIM,
                                            STATS_EMD,  STATS_NSS, STATS_AUC_JUDD};
#define N_METRICS ((int)(sizeof column_order / sizeof column_order[0]))
_Static_assert(N_METRICS == STATS_N_METRICS, "every metric has a column");

// "ssim,cc" -> bits; -1 on an unknown name (copied into *bad).
static int parse_metrics(const char *list, unsigned *which, char *bad, size_t cap) {
    *which = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int m = stats_metric_parse(tok);
        if (m < 0) {
            snprintf(bad, cap, "%s", tok);
            return -1;
        }
        *which |= stats_metric_bit((stats_metric)m);
    }
    return *which ? 0 : -1;
}

static int run(const metrics_args *a, cx_error *err) {
    st_file fa = {0}, fb = {0}, ff = {0};
    int have_fix = a->fix != NULL, rc = -1;
    float *own_a = NULL, *own_b = NULL;
    uint8_t *fixbits = NULL;
    stats_map_metrics *res = NULL;
    if (st_open(&fa, a->maps, err)) return -1;
    if (st_open(&fb, a->ref, err)) goto out;
    if (have_fix && st_open(&ff, a->fix, err)) goto out;
    const st_tensor *ta, *tb, *tf = NULL;
    int64_t da[3], db[3], df[3];
    if (pick_maps(&fa, a->maps_tensor, 0, &ta, da, err)) goto out;
    if (pick_maps(&fb, a->ref_tensor, 0, &tb, db, err)) goto out;
    if (memcmp(da, db, sizeof da)) {
        cx_fail(err,
                "%s: tensor \"%s\" is [%lld,%lld,%lld] but %s: tensor \"%s\" is "
                "[%lld,%lld,%lld]; the maps must pair up one to one",
                fb.path, tb->name, (long long)db[0], (long long)db[1], (long long)db[2], fa.path,
                ta->name, (long long)da[0], (long long)da[1], (long long)da[2]);
        goto out;
    }
    if (have_fix) {
        if (pick_maps(&ff, a->fix_tensor, 1, &tf, df, err)) goto out;
        if (memcmp(da, df, sizeof da)) {
            cx_fail(err,
                    "%s: tensor \"%s\" is [%lld,%lld,%lld], expected [%lld,%lld,%lld] as "
                    "the maps in %s",
                    ff.path, tf->name, (long long)df[0], (long long)df[1], (long long)df[2],
                    (long long)da[0], (long long)da[1], (long long)da[2], fa.path);
            goto out;
        }
    }
    const int64_t n = da[0];
    const int h = (int)da[1], w = (int)da[2];
    const size_t npix = (size_t)h * (size_t)w;
    if (h < 7 || w < 7)
        cx_warn("metrics: maps are %dx%d, smaller than the 7x7 SSIM window: ssim is nan", h, w);
    const float *ma, *mb;
    if (as_f32(&fa, ta, &ma, &own_a, err) || as_f32(&fb, tb, &mb, &own_b, err)) goto out;
    if (have_fix) {
        fixbits = cx_malloc((size_t)n * npix + 1);
        if (tf->dtype == ST_U8 || tf->dtype == ST_BOOL) {
            const uint8_t *src = tf->data;
            for (size_t i = 0; i < (size_t)n * npix; i++)
                fixbits[i] = src[i] != 0;
        } else {
            float *tmp = cx_malloc(tf->numel ? tf->numel * sizeof(float) : 1);
            if (st_read_f32(&ff, tf, tmp, err)) {
                free(tmp);
                goto out;
            }
            for (size_t i = 0; i < (size_t)n * npix; i++)
                fixbits[i] = tmp[i] != 0;
            free(tmp);
        }
    }

    res = cx_malloc((n ? (size_t)n : 1) * sizeof *res);
    cx_progress prog;
    if (a->progress) cx_progress_start(&prog, "metrics", "pairs", n);
    int64_t done = 0;
#pragma omp parallel
    {
        float *work = cx_malloc(2 * npix * sizeof *work); // this thread's normalised copies
#pragma omp for schedule(dynamic, 1)
        for (int64_t i = 0; i < n; i++) {
            stats_map_metrics_ex(ma + (size_t)i * npix, mb + (size_t)i * npix,
                                 have_fix ? fixbits + (size_t)i * npix : NULL, h, w, a->which,
                                 a->emd_size, work, &res[i]);
            int64_t d;
#pragma omp atomic capture
            d = ++done;
            if (a->progress && omp_get_thread_num() == 0) cx_progress_update(&prog, d, NULL);
        }
        free(work);
    }
    if (a->progress) {
        cx_progress_update(&prog, n, NULL);
        cx_progress_finish(&prog);
    }

    int64_t const_a = 0, const_b = 0, first_const = -1;
    for (int64_t i = 0; i < n; i++) {
        const_a += res[i].map_constant, const_b += res[i].ref_constant;
        if (first_const < 0 && (res[i].map_constant || res[i].ref_constant)) first_const = i;
    }
    if (const_a || const_b)
        cx_warn("metrics: %lld constant map(s) in %s and %lld in %s (first at index %lld) became "
                "all zeros; see the map_constant/ref_constant columns",
                (long long)const_a, fa.path, (long long)const_b, fb.path, (long long)first_const);

    cx_atomic_file af;
    if (cx_atomic_open(&af, a->out, err)) goto out;
    fputs("index", af.f);
    for (int k = 0; k < N_METRICS; k++)
        if (a->which & stats_metric_bit(column_order[k]))
            fprintf(af.f, ",%s", stats_metric_name(column_order[k]));
    fputs(",map_constant,ref_constant\n", af.f);
    for (int64_t i = 0; i < n; i++) {
        const stats_map_metrics *m = &res[i];
        fprintf(af.f, "%lld", (long long)i);
        for (int k = 0; k < N_METRICS; k++)
            if (a->which & stats_metric_bit(column_order[k]))
                print_num(af.f, stats_map_metric_value(m, column_order[k]));
        fprintf(af.f, ",%d,%d\n", m->map_constant, m->ref_constant);
    }
    if (cx_atomic_commit(&af, err)) goto out;
    rc = 0;
out:
    free(own_a), free(own_b), free(fixbits), free(res);
    if (fa.map) st_close(&fa);
    if (fb.map) st_close(&fb);
    if (ff.map) st_close(&ff);
    return rc;
}

int cmd_metrics(int argc, char **argv) {
    static const char cmd[] = "metrics";
    metrics_args a = {.emd_size = 32, .progress = 1};
    const char *metrics_list = NULL;
    char bad[256] = "";
    const cli_flag flags[] = {
        CLI_FLAG_STRING("maps", "FILE", &a.maps, NULL, "maps to evaluate, A (required)"),
        CLI_FLAG_STRING("reference", "FILE", &a.ref, NULL, "reference maps, B (required)"),
        CLI_FLAG_STRING("fixations", "FILE", &a.fix, NULL,
                        "binary fixation maps (adds nss, auc_judd)"),
        CLI_FLAG_STRING("maps-tensor", "NAME", &a.maps_tensor, ": the first", "tensor in --maps"),
        CLI_FLAG_STRING("reference-tensor", "NAME", &a.ref_tensor, ": the first",
                        "tensor in --reference"),
        CLI_FLAG_STRING("fixations-tensor", "NAME", &a.fix_tensor, ": the first",
                        "tensor in --fixations"),
        CLI_FLAG_STRING("out", "FILE", &a.out, NULL, "output CSV (required)"),
        CLI_FLAG_STRING("metrics", "LIST", &metrics_list,
                        ": all; nss and auc_judd need --fixations",
                        "comma-separated subset of ssim,cc,kl,sim,emd,nss,auc_judd"),
        CLI_FLAG_INT("emd-size", "E", &a.emd_size, 1, 64, "32", "max side of the EMD grid, 1-64"),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("quiet", &a.progress, 0, NULL, "no progress bar"),
        CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int r = cli_parse(&table, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE) return r;
    if (!a.maps || !a.ref || !a.out)
        return cli_usage_error(cmd, "--maps, --reference and --out are required");
    if (a.fix_tensor && !a.fix) return cli_usage_error(cmd, "--fixations-tensor needs --fixations");
    if (!metrics_list) {
        a.which = a.fix ? STATS_M_ALL : STATS_M_ALL & ~(unsigned)(STATS_M_NSS | STATS_M_AUC_JUDD);
    } else if (parse_metrics(metrics_list, &a.which, bad, sizeof bad)) {
        return cli_usage_error(cmd,
                               "--metrics: unknown metric '%s' (known: ssim, cc, kl, sim, "
                               "emd, nss, auc_judd)",
                               bad);
    }
    if ((a.which & (STATS_M_NSS | STATS_M_AUC_JUDD)) && !a.fix)
        return cli_usage_error(cmd, "--metrics nss/auc_judd need --fixations");
    cx_error err = {0};
    if (run(&a, &err)) return cli_error(cmd, &err);
    return CLI_OK;
}
