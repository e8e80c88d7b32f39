// report/compare + report_build on a hand-made pack: a method whose maps ARE the gaze maps must
// score SSIM 1 and reproduce gaze's region distribution exactly (TV distance 0); the grouping
// into correct/incorrect follows the thresholds; the report gathers everything into one page.
#include "test.h"

#include <math.h>

#include "data/data.h"
#include "io/io.h"
#include "report/report.h"

enum { S = 24, N = 12, CARDIO = 1 };

static char root[4096];

static void path_in(char *out, const char *name) { cx_path_join(out, 4096, root, name); }

// Gaze blob of image i: centre alternates between the image's left and right halves.
static void gaze_map(int i, float *g, uint8_t *fix) {
    double cx = (i % 2 ? 17.0 : 6.0) + (i % 3), cy = 8.0 + (i % 4) * 2;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            g[y * S + x] = (float)exp(-d2 / 18.0);
            fix[y * S + x] = d2 < 2.0;
        }
}

static void write_fixture(void) {
    snprintf(root, sizeof root, "%s", test_out_path("compare_case"));
    cx_mkdir_p(root, NULL);
    static uint8_t images[N * S * S], label_mask[N * CX_N_LABELS], split[N], fixations[N * S * S];
    static uint8_t regions[N * 4 * S * S], present[N * 4];
    static float labels[N * CX_N_LABELS], gaze[N * S * S];
    static uint16_t truth[N * S * S];
    static int32_t gaze_row[N];
    static image_record ids[N];
    for (int i = 0; i < N; i++) {
        gaze_map(i, gaze + i * S * S, fixations + i * S * S);
        for (int q = 0; q < S * S; q++) {
            images[i * S * S + q] = (uint8_t)(q % 251);
            truth[i * S * S + q] = gaze[i * S * S + q] > 0.5f ? (uint16_t)(1u << CARDIO) : 0;
        }
        for (int c = 0; c < CX_N_LABELS; c++) {
            labels[i * CX_N_LABELS + c] = c == CARDIO;
            label_mask[i * CX_N_LABELS + c] = 1;
        }
        split[i] = SPLIT_TEST;
        gaze_row[i] = i;
        // Regions: aortic knob top-left block, right lung = image left half, left lung = image
        // right half, mediastinum = a central column.
        uint8_t *r = regions + (size_t)i * 4 * S * S;
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                r[0 * S * S + y * S + x] = x < 4 && y < 4;
                r[1 * S * S + y * S + x] = x < S / 2 - 2;
                r[2 * S * S + y * S + x] = x >= S / 2 + 2;
                r[3 * S * S + y * S + x] = x >= S / 2 - 2 && x < S / 2 + 2;
            }
        for (int k = 0; k < 4; k++) present[i * 4 + k] = 1;
        snprintf(ids[i].dicom_id, sizeof ids[i].dicom_id, "img%02d", i);
        snprintf(ids[i].subject_id, sizeof ids[i].subject_id, "1000000%d", i);
        snprintf(ids[i].study_id, sizeof ids[i].study_id, "5000000%d", i);
        snprintf(ids[i].view, sizeof ids[i].view, "PA");
        ids[i].split = SPLIT_TEST;
        ids[i].egd = i;
    }
    pack_contents pc = {.n = N, .n_gaze = N, .size = S, .images = images, .labels = labels,
                        .label_mask = label_mask, .split = split, .gaze_row = gaze_row,
                        .gaze = gaze, .fixations = fixations, .regions = regions,
                        .region_present = present, .truth = truth, .ids = ids};
    char p[4096];
    cx_error err;
    path_in(p, "data");
    if (pack_write(&pc, p, NULL, &err)) fail_msg("pack_write: %s", err.msg);

    // Eval: probability 0.9 for even images, 0.1 for odd; threshold 0.5.
    path_in(p, "eval");
    cx_mkdir_p(p, NULL);
    path_in(p, "eval/predictions.csv");
    FILE *f = fopen(p, "w");
    fprintf(f, "dicom_id,subject_id,split");
    for (int c = 0; c < CX_N_LABELS; c++) fprintf(f, ",prob_%s", CX_LABELS[c]);
    fprintf(f, "\n");
    for (int i = 0; i < N; i++) {
        fprintf(f, "img%02d,1000000%d,test", i, i);
        for (int c = 0; c < CX_N_LABELS; c++) fprintf(f, ",%.2f", c == CARDIO ? (i % 2 ? 0.1 : 0.9) : 0.2);
        fprintf(f, "\n");
    }
    fclose(f);
    path_in(p, "eval/thresholds.csv");
    f = fopen(p, "w");
    fprintf(f, "label,threshold,f1\n");
    for (int c = 0; c < CX_N_LABELS; c++) fprintf(f, "\"%s\",0.5,\n", CX_LABELS[c]);
    fclose(f);

    // Attributions: sl = the gaze map itself, gc = the gaze map mirrored left-right.
    path_in(p, "attr");
    cx_mkdir_p(p, NULL);
    path_in(p, "attr/maps.csv");
    f = fopen(p, "w");
    fprintf(f, "map_row,dicom_id,target,label,probability\n");
    for (int i = 0; i < N; i++) fprintf(f, "%d,img%02d,%d,%s,0.5\n", i, i, CARDIO, CX_LABELS[CARDIO]);
    fclose(f);
    static float mirrored[N * S * S];
    for (int i = 0; i < N; i++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                mirrored[(i * S + y) * S + x] = gaze[(i * S + y) * S + (S - 1 - x)];
    int64_t shape[3] = {N, S, S};
    st_writer *w = st_writer_new();
    st_writer_add(w, "sl", ST_F32, 3, shape, gaze);
    path_in(p, "attr/sl.safetensors");
    if (st_writer_write(w, p, &err)) fail_msg("%s", err.msg);
    st_writer_free(w);
    w = st_writer_new();
    st_writer_add(w, "gc", ST_F32, 3, shape, mirrored);
    path_in(p, "attr/gc.safetensors");
    if (st_writer_write(w, p, &err)) fail_msg("%s", err.msg);
    st_writer_free(w);
}

// Value of column col in the first row of path where every (key, value) pair matches.
static double lookup(const char *path, const char *col, int n, const char *const *kv) {
    cx_error err;
    csv_table *t = csv_table_read(path, &err);
    if (!t) fail_msg("%s", err.msg);
    double v = NAN;
    for (int64_t r = 0; r < csv_nrows(t) && isnan(v); r++) {
        int ok = 1;
        for (int k = 0; k < n; k++) ok &= !strcmp(csv_get(t, r, csv_col(t, kv[2 * k])), kv[2 * k + 1]);
        if (ok) csv_parse_double(csv_get(t, r, csv_col(t, col)), &v);
    }
    csv_table_free(t);
    return v;
}

static void compare_on_hand_made_pack(void **state) {
    (void)state;
    write_fixture();
    char data[4096], ev[4096], at[4096], out[4096], p[4096];
    path_in(data, "data");
    path_in(ev, "eval");
    path_in(at, "attr");
    path_in(out, "compare");
    compare_opts o;
    compare_opts_default(&o);
    o.data_dir = data;
    o.n_models = 1;
    o.eval_dir[0] = ev;
    o.n_eval = 1;
    o.attr_dir[0] = at;
    o.name[0] = "m";
    o.out_dir = out;
    o.n_bootstrap = 200;
    o.n_permutations = 500;
    o.emd_side = 12;
    cx_error err;
    if (compare_run(&o, &err)) fail_msg("compare_run: %s", err.msg);

    path_in(p, "compare/ssim.csv");
    const char *sl_cor[8] = {"model", "m", "method", "sl", "label", "Cardiomegaly", "group", "correct"};
    assert_close(lookup(p, "mean", 4, sl_cor), 1.0, 0, 1e-9, "SSIM of gaze with itself");
    assert_close(lookup(p, "n", 4, sl_cor), N / 2, 0, 0, "correct maps (p >= 0.5)");
    const char *sl_inc[8] = {"model", "m", "method", "sl", "label", "all", "group", "incorrect"};
    assert_close(lookup(p, "n", 4, sl_inc), N / 2, 0, 0, "incorrect maps");
    assert_close(lookup(p, "mean", 4, sl_inc), 1.0, 0, 1e-9, "SSIM, pooled");
    const char *gc_cor[8] = {"model", "m", "method", "gc", "label", "all", "group", "correct"};
    assert_true(lookup(p, "mean", 4, gc_cor) < 0.9); // mirrored blobs are elsewhere
    const char *cb[8] = {"model", "m", "method", "centre_bias", "label", "all", "group", "correct"};
    assert_close(lookup(p, "n", 4, cb), N / 2, 0, 0, "baseline under the same grouping");

    path_in(p, "compare/metrics.csv");
    const char *cc[10] = {"model", "m", "method", "sl", "metric", "cc", "label", "all", "group", "correct"};
    assert_close(lookup(p, "mean", 5, cc), 1.0, 0, 1e-6, "CC of gaze with itself");
    const char *emd[10] = {"model", "m", "method", "sl", "metric", "emd", "label", "all", "group", "correct"};
    assert_close(lookup(p, "mean", 5, emd), 0.0, 0, 1e-6, "EMD of gaze with itself");

    // Regions: sl reproduces gaze's distribution; gc mirrors the lungs.
    path_in(p, "compare/region_distance.csv");
    const char *sl_d[6] = {"model", "m", "method", "sl", "label", "Cardiomegaly"};
    assert_close(lookup(p, "tv_distance", 3, sl_d), 0.0, 0, 1e-12, "TV(sl, gaze)");
    path_in(p, "compare/regions.csv");
    const char *g_r[8] = {"method", "gaze", "label", "Cardiomegaly", "region", "right_lung", "model", "-"};
    const char *s_r[8] = {"method", "sl", "label", "Cardiomegaly", "region", "right_lung", "model", "m"};
    double gaze_right = lookup(p, "fraction", 4, g_r);
    assert_true(gaze_right > 0.1);
    assert_close(lookup(p, "fraction", 4, s_r), gaze_right, 0, 1e-12, "sl right-lung fraction");
    path_in(p, "compare/region_distance.csv");
    const char *gc_d[6] = {"model", "m", "method", "gc", "label", "Cardiomegaly"};
    assert_true(lookup(p, "tv_distance", 3, gc_d) > 0.05); // mirrored maps move the mass

    // Truth = where gaze > 0.5: gaze and sl put the same, concentrated share of mass there.
    path_in(p, "compare/truth.csv");
    const char *tg[6] = {"method", "gaze", "label", "all", "model", "-"};
    const char *ts[6] = {"method", "sl", "label", "all", "model", "m"};
    double rg = lookup(p, "ratio", 3, tg);
    assert_true(rg > 2);
    assert_close(lookup(p, "ratio", 3, ts), rg, 1e-3, 0, "sl = gaze on the truth");

    path_in(p, "compare/grid_m.png");
    assert_true(cx_path_exists(p));
    path_in(p, "compare/ssim_m.svg");
    assert_true(cx_path_exists(p));

    // Bad input: a maps file of the wrong shape names the file and tensor.
    compare_opts bad = o;
    bad.attr_dir[0] = data; // no maps.csv there
    assert_int_equal(compare_run(&bad, &err), -1);
    assert_non_null(strstr(err.msg, "maps.csv"));
}

static void report_gathers_outputs(void **state) {
    (void)state;
    char html[4096], cmp[4096], data[4096];
    path_in(html, "report/report.html");
    path_in(cmp, "compare");
    path_in(data, "data");
    const char *dirs[2] = {data, cmp};
    cx_error err;
    if (report_build(html, 2, dirs, &err)) fail_msg("report_build: %s", err.msg);
    char *page;
    size_t n;
    assert_int_equal(cx_read_file(html, &page, &n, &err), 0);
    assert_non_null(strstr(page, "Findings in plain words"));
    assert_non_null(strstr(page, "centre-bias baseline"));
    assert_non_null(strstr(page, "Mean SSIM between saliency and gaze"));
    assert_non_null(strstr(page, "data:image/png;base64,"));
    assert_non_null(strstr(page, "gaze beats the centre-bias baseline"));
    free(page);
    char md[4096];
    path_in(md, "report/report.md");
    assert_true(cx_path_exists(md));
    const char *nodir[1] = {"/nonexistent/dir"};
    assert_int_equal(report_build(html, 1, nodir, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/dir"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compare_on_hand_made_pack),
        cmocka_unit_test(report_gathers_outputs),
    };
    return cmocka_run_group_tests_name("report/compare", tests, NULL, NULL);
}
