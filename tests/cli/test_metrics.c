// cli/metrics: `cxrgaze metrics` on small files written here; CSV values checked against the
// library: stats_map_metrics_compute (min-max) for --map-sign signed --map-scale minmax, metrics
// of copies normalised here for the default (abs, p98) and for --map-sign abs; bad input (shape
// mismatch, missing file, wrong dtype) exits 1, names the file and leaves no output file.
#include <sys/wait.h>

#include "test.h"

#include "io/io.h"
#include "stats/stats.h"
#include "study/study.h"

enum { N = 5, H = 20, W = 24 };
static float maps_a[N * H * W], maps_b[N * H * W];
static uint8_t fix[N * H * W];

static const char *cxrgaze(void) {
    const char *b = getenv("CXRGAZE");
    return b && *b ? b : "build/cxrgaze";
}

// Runs the command line, stderr into `errfile`; returns the exit status.
static int run_cmd(const char *args, const char *errfile) {
    char line[8192];
    snprintf(line, sizeof line, "%s metrics %s --quiet 2>%s", cxrgaze(), args, errfile);
    int rc = system(line);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *path) {
    char *d = NULL;
    size_t n;
    if (cx_read_file(path, &d, &n, NULL)) return NULL;
    return d;
}

static void write_inputs(void) {
    cx_rng r;
    cx_rng_seed(&r, 77, 0);
    for (int k = 0; k < N; k++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                size_t i = ((size_t)k * H + y) * W + x;
                double g = exp(-((y - 8.0 - k) * (y - 8.0 - k) + (x - 12.0) * (x - 12.0)) / 30.0);
                maps_a[i] = (float)(5 * g + cx_rng_uniform(&r) - 1.5); // signed
                maps_b[i] =
                    (float)exp(-((y - 10.0) * (y - 10.0) + (x - 10.0 - k) * (x - 10.0 - k)) / 25.0);
                fix[i] = cx_rng_uniform(&r) < 0.1;
            }
    for (int i = 0; i < H * W; i++)
        maps_a[3 * H * W + i] = 2.5f; // a constant map
    int64_t s3[3] = {N, H, W}, s_bad[3] = {N, H, W - 1};
    cx_error err;
    st_writer *w = st_writer_new();
    st_writer_add(w, "saliency", ST_F32, 3, s3, maps_a);
    assert_int_equal(st_writer_write(w, test_out_path("metrics_a.safetensors"), &err), 0);
    st_writer_free(w);
    w = st_writer_new();
    st_writer_add(w, "other", ST_F32, 3, s3, maps_a); // first tensor, not the one we want
    st_writer_add(w, "gaze", ST_F32, 3, s3, maps_b);
    assert_int_equal(st_writer_write(w, test_out_path("metrics_b.safetensors"), &err), 0);
    st_writer_free(w);
    w = st_writer_new();
    st_writer_add(w, "fixations", ST_U8, 3, s3, fix);
    assert_int_equal(st_writer_write(w, test_out_path("metrics_f.safetensors"), &err), 0);
    st_writer_free(w);
    w = st_writer_new();
    st_writer_add(w, "gaze", ST_F32, 3, s_bad, maps_b);
    assert_int_equal(st_writer_write(w, test_out_path("metrics_bad.safetensors"), &err), 0);
    st_writer_free(w);
    w = st_writer_new();
    st_writer_add(w, "gaze", ST_U8, 3, s3, fix);
    assert_int_equal(st_writer_write(w, test_out_path("metrics_u8.safetensors"), &err), 0);
    st_writer_free(w);
}

static double field(char **p) {
    char *end;
    double v = strtod(*p, &end);
    if (end == *p) fail_msg("CSV: number expected at '%.20s'", *p);
    *p = *end == ',' ? end + 1 : end;
    return v;
}

static void csv_matches_library(void **state) {
    (void)state;
    write_inputs();
    char a[3 * 4096];
    char out[4096];
    snprintf(out, sizeof out, "%s", test_out_path("metrics_out.csv"));
    remove(out);
    char errf[4096];
    snprintf(errf, sizeof errf, "%s", test_out_path("metrics_err.txt"));
    char pa[4096], pb[4096], pf[4096];
    snprintf(pa, sizeof pa, "%s", test_out_path("metrics_a.safetensors"));
    snprintf(pb, sizeof pb, "%s", test_out_path("metrics_b.safetensors"));
    snprintf(pf, sizeof pf, "%s", test_out_path("metrics_f.safetensors"));
    snprintf(a, sizeof a,
             "--maps %s --reference %s --reference-tensor gaze --fixations %s "
             "--out %s --threads 2 --map-sign signed --map-scale minmax",
             pa, pb, pf, out);
    assert_int_equal(run_cmd(a, errf), 0);
    char *csv = slurp(out), *err = slurp(errf);
    assert_non_null(csv);
    assert_non_null(strstr(err, "constant map")); // warned about map 3
    free(err);
    const char *hdr = "index,ssim,cc,kl,sim,emd,nss,auc_judd,map_constant,ref_constant,sauc,"
                      "ig_centre\n";
    assert_memory_equal(csv, hdr, strlen(hdr));
    char *p = csv + strlen(hdr);
    for (int k = 0; k < N; k++) {
        stats_map_metrics m;
        size_t off = (size_t)k * H * W;
        stats_map_metrics_compute(maps_a + off, maps_b + off, fix + off, H, W, &m); // min-max
        assert_int_equal((int)field(&p), k);
        double want[7] = {m.ssim, m.cc, m.kl, m.sim, m.emd, m.nss, m.auc_judd};
        for (int j = 0; j < 7; j++) {
            double got = field(&p);
            if (isnan(want[j]))
                assert_true(isnan(got));
            else
                assert_close(got, want[j], 1e-8, 1e-12, "CSV value vs library");
        }
        assert_int_equal((int)field(&p), m.map_constant);
        assert_int_equal((int)field(&p), m.ref_constant);
        assert_int_equal(m.map_constant, k == 3);
        // sAUC (negatives: the other pairs' fixations) and IG over the min-max centre bias, of A
        // min-max normalised (signed + minmax).
        static float an[H * W], cb[H * W];
        static uint32_t all[H * W], other[H * W];
        stats_fixation_counts(fix, N, H * W, all);
        for (int q = 0; q < H * W; q++) other[q] = all[q] - (fix[off + q] != 0);
        memcpy(an, maps_a + off, sizeof an);
        int constant = stats_minmax_normalise(an, H * W);
        stats_center_bias_map(cb, H, W);
        stats_minmax_normalise(cb, H * W);
        double sauc = field(&p), ig = field(&p);
        if (constant) {
            assert_true(isnan(sauc) && isnan(ig));
        } else {
            assert_close(sauc, stats_sauc(an, fix + off, other, H * W), 1e-8, 1e-12, "sauc");
            assert_close(ig, stats_info_gain(an, cb, fix + off, H * W), 1e-8, 1e-12, "ig_centre");
        }
        assert_true(*p == '\n' || *p == 0);
        p++;
    }
    free(csv);
    // Without fixations: no nss/auc_judd columns. --metrics picks columns, in canonical order.
    snprintf(a, sizeof a, "--maps %s --reference %s --reference-tensor gaze --out %s", pa, pb, out);
    assert_int_equal(run_cmd(a, errf), 0);
    csv = slurp(out);
    assert_non_null(strstr(csv, "index,ssim,cc,kl,sim,emd,map_constant,ref_constant\n"));
    free(csv);
    snprintf(a, sizeof a,
             "--maps %s --reference %s --reference-tensor gaze --out %s "
             "--metrics kl,ssim --emd-size 8",
             pa, pb, out);
    assert_int_equal(run_cmd(a, errf), 0);
    csv = slurp(out);
    assert_memory_equal(csv, "index,ssim,kl,map_constant,ref_constant\n", 40);
    // The default (abs, p98) for A, min-max for B: ssim and kl of copies normalised here.
    p = strchr(csv, '\n') + 1;
    for (int k = 0; k < N; k++) {
        float sa[H * W], sb[H * W];
        memcpy(sa, maps_a + (size_t)k * H * W, sizeof sa);
        memcpy(sb, maps_b + (size_t)k * H * W, sizeof sb);
        assert_int_equal(stats_map_normalise(sa, H * W, (stats_map_norm){0}, NULL), k == 3);
        stats_minmax_normalise(sb, H * W);
        double ssim = stats_ssim(sa, sb, H, W), kl = stats_kl(sa, sb, H * W);
        assert_int_equal((int)field(&p), k);
        assert_close(field(&p), ssim, 1e-8, 1e-12, "default ssim");
        double got = field(&p);
        if (isnan(kl))
            assert_true(isnan(got));
        else
            assert_close(got, kl, 1e-8, 1e-12, "default kl");
        assert_int_equal((int)field(&p), k == 3);
        assert_int_equal((int)field(&p), 0);
        p++;
    }
    free(csv);
    // --map-sign alone: abs + minmax of the signed maps is not signed + minmax (min-max).
    snprintf(a, sizeof a,
             "--maps %s --reference %s --reference-tensor gaze --out %s --metrics ssim "
             "--map-sign abs --map-scale minmax",
             pa, pb, out);
    assert_int_equal(run_cmd(a, errf), 0);
    csv = slurp(out);
    p = strchr(csv, '\n') + 1;
    float sa[H * W], sb[H * W];
    for (int i = 0; i < H * W; i++)
        sa[i] = fabsf(maps_a[i]), sb[i] = maps_b[i];
    stats_minmax_normalise(sa, H * W), stats_minmax_normalise(sb, H * W);
    stats_map_metrics m;
    stats_map_metrics_compute(maps_a, maps_b, NULL, H, W, &m);
    assert_int_equal((int)field(&p), 0);
    double got = field(&p);
    assert_close(got, stats_ssim(sa, sb, H, W), 1e-8, 1e-12, "abs minmax ssim");
    assert_true(fabs(got - m.ssim) > 1e-3);
    free(csv);
}

static void bad_input(void **state) {
    (void)state;
    write_inputs();
    char a[3 * 4096], out[4096], errf[4096], pa[4096], pbad[4096], pu8[4096];
    snprintf(out, sizeof out, "%s", test_out_path("metrics_never.csv"));
    snprintf(errf, sizeof errf, "%s", test_out_path("metrics_err.txt"));
    snprintf(pa, sizeof pa, "%s", test_out_path("metrics_a.safetensors"));
    snprintf(pbad, sizeof pbad, "%s", test_out_path("metrics_bad.safetensors"));
    snprintf(pu8, sizeof pu8, "%s", test_out_path("metrics_u8.safetensors"));
    remove(out);
    // Shape mismatch: exit 1, both files named, no output.
    snprintf(a, sizeof a, "--maps %s --reference %s --out %s", pa, pbad, out);
    assert_int_equal(run_cmd(a, errf), 1);
    char *err = slurp(errf);
    assert_non_null(strstr(err, "metrics_bad.safetensors"));
    assert_non_null(strstr(err, "[5,20,23]"));
    free(err);
    assert_false(cx_path_exists(out));
    // Missing file.
    snprintf(a, sizeof a, "--maps %s --reference %s/no_such_file.safetensors --out %s", pa,
             test_out_path(""), out);
    assert_int_equal(run_cmd(a, errf), 1);
    err = slurp(errf);
    assert_non_null(strstr(err, "no_such_file.safetensors"));
    free(err);
    assert_false(cx_path_exists(out));
    // Integer maps are refused (fixations only).
    snprintf(a, sizeof a, "--maps %s --reference %s --out %s", pa, pu8, out);
    assert_int_equal(run_cmd(a, errf), 1);
    err = slurp(errf);
    assert_non_null(strstr(err, "metrics_u8.safetensors"));
    free(err);
    // Missing named tensor.
    snprintf(a, sizeof a, "--maps %s --maps-tensor nope --reference %s --out %s", pa, pa, out);
    assert_int_equal(run_cmd(a, errf), 1);
    err = slurp(errf);
    assert_non_null(strstr(err, "nope"));
    free(err);
    assert_false(cx_path_exists(out));
    // Usage errors: exit 2.
    snprintf(a, sizeof a, "--maps %s", pa);
    assert_int_equal(run_cmd(a, errf), 2);
    assert_int_equal(run_cmd("--maps a --reference b --out c --emd-size -3", errf), 2);
    assert_int_equal(run_cmd("--maps a --reference b --out c --metrics ssim,foo", errf), 2);
    assert_int_equal(run_cmd("--maps a --reference b --out c --metrics nss", errf), 2);
    assert_int_equal(run_cmd("--maps a --reference b --out c --map-sign absolute", errf), 2);
    err = slurp(errf);
    assert_non_null(strstr(err, "absolute"));
    free(err);
    assert_int_equal(run_cmd("--maps a --reference b --out c --map-scale p99", errf), 2);
    assert_int_equal(run_cmd("--help >/dev/null", errf), 0);
}

// --masks: three 8 x 8 maps against box annotations, scores by hand. Map 0 = box A (rows 2-4,
// columns 2-4) at 5, zero elsewhere: abs-p98 gives 1 on A, Otsu (m8 0/255) the first cut 0: IoU 1,
// hit 1, mass 1. Map 1 = A shifted 1 right, negative (-3): IoU 6/12 = 0.5, peak (2,3) inside:
// hit 1, mass 6/9. Map 2: constant: nan. Masks as I32 (values 7: nonzero = inside) and as F32.
static void masks_by_hand(void **state) {
    (void)state;
    enum { M = 3, S8 = 8 };
    static float a[M * S8 * S8], b[M * S8 * S8], fm[M * S8 * S8];
    static int32_t im[M * S8 * S8];
    for (int k = 0; k < M; k++)
        for (int y = 0; y < S8; y++)
            for (int x = 0; x < S8; x++) {
                int q = (k * S8 + y) * S8 + x, in_a = y >= 2 && y <= 4 && x >= 2 && x <= 4;
                a[q] = k == 0 ? (in_a ? 5.0f : 0) : k == 1 ? (y >= 2 && y <= 4 && x >= 3 && x <= 5 ? -3.0f : 0) : 1.0f;
                b[q] = (float)(x + y);
                im[q] = in_a ? 7 : 0;
                fm[q] = in_a ? 0.5f : 0;
            }
    int64_t shape[3] = {M, S8, S8};
    cx_error err;
    st_writer *w = st_writer_new();
    st_writer_add(w, "maps", ST_F32, 3, shape, a);
    assert_int_equal(st_writer_write(w, test_out_path("masks_a.safetensors"), &err), 0);
    st_writer_free(w);
    w = st_writer_new();
    st_writer_add(w, "ref", ST_F32, 3, shape, b);
    assert_int_equal(st_writer_write(w, test_out_path("masks_b.safetensors"), &err), 0);
    st_writer_free(w);
    w = st_writer_new();
    st_writer_add(w, "fmask", ST_F32, 3, shape, fm);
    st_writer_add(w, "imask", ST_I32, 3, shape, im);
    assert_int_equal(st_writer_write(w, test_out_path("masks_m.safetensors"), &err), 0);
    st_writer_free(w);
    const char *tensors[2] = {"imask", "fmask"};
    for (int t = 0; t < 2; t++) {
        char args[8192], errf[4096], out[4096], pa[4096], pb[4096], pm[4096];
        // test_out_path returns one static buffer: copy each path.
        snprintf(errf, sizeof errf, "%s", test_out_path("masks_err.txt"));
        snprintf(out, sizeof out, "%s", test_out_path("masks.csv"));
        snprintf(pa, sizeof pa, "%s", test_out_path("masks_a.safetensors"));
        snprintf(pb, sizeof pb, "%s", test_out_path("masks_b.safetensors"));
        snprintf(pm, sizeof pm, "%s", test_out_path("masks_m.safetensors"));
        snprintf(args, sizeof args,
                 "--maps %s --reference %s --masks %s --masks-tensor %s --metrics cc --out %s", pa,
                 pb, pm, tensors[t], out);
        assert_int_equal(run_cmd(args, errf), 0);
        stats_map_metrics *rows;
        stats_localisation *loc;
        int64_t n;
        unsigned which;
        if (study_map_metrics_read_loc(out, &rows, &loc, &n, &which, &err)) fail_msg("%s", err.msg);
        assert_int_equal(n, M);
        assert_non_null(loc);
        assert_close(loc[0].iou, 1, 0, 0, "iou 0");
        assert_close(loc[0].hit, 1, 0, 0, "hit 0");
        assert_close(loc[0].mass_share, 1, 0, 0, "mass 0");
        assert_close(loc[1].iou, 0.5, 1e-9, 0, "iou 1");
        assert_close(loc[1].hit, 1, 0, 0, "hit 1");
        assert_close(loc[1].mass_share, 6.0 / 9, 1e-8, 0, "mass 1");
        assert_true(isnan(loc[2].iou) && isnan(loc[2].hit) && isnan(loc[2].mass_share));
        assert_int_equal(rows[2].map_constant, 1);
        free(rows);
        free(loc);
    }
    // An m.csv without the columns (written before them) still reads, without localisation.
    char old[4096];
    snprintf(old, sizeof old, "%s", test_out_path("masks_old.csv"));
    FILE *f = fopen(old, "w");
    fprintf(f, "index,cc,map_constant,ref_constant\n0,0.5,0,0\n");
    fclose(f);
    stats_map_metrics *rows;
    stats_localisation *loc;
    int64_t n;
    unsigned which;
    if (study_map_metrics_read_loc(old, &rows, &loc, &n, &which, &err)) fail_msg("%s", err.msg);
    assert_null(loc);
    assert_int_equal(n, 1);
    free(rows);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(csv_matches_library),
                                       cmocka_unit_test(bad_input),
                                       cmocka_unit_test(masks_by_hand)};
    return cmocka_run_group_tests_name("cli/metrics", tests, NULL, NULL);
}
