// data/synth: the synthetic cohort is deterministic, written in the real formats (headers, ids,
// geometry, the dataset's screen -> image formula for every gaze row), its planted findings are in
// the pixels where the truth masks say (against a counterfactual rendering without findings), the
// synthetic gaze dwells on them, and the label tables agree with the truth up to the set noise.
// Oracles: DATA-FORMATS.md (the header lines tiny_trees.h transcribes from it, id patterns, the
// X_ORIGINAL formula re-implemented here), the counterfactual images, closed-form bounds on the
// label noise.
#include <ctype.h>
#include <dirent.h>
#include <unistd.h>

#include <jansson.h>

#include "test.h"
#include "tiny_trees.h"

#include "data/data.h"

#define N_IMG 24
#define N_GAZE 8
#define SIZE 256

static char dir_a[4096], dir_b[4096], dir_c[4096], dir_d[4096];

// Output trees are named by the process id, so that concurrent runs (plain and sanitizer builds)
// never share them; teardown removes them.
static void make(const char *name, char *out, uint64_t seed, int threads, int plant, double flip,
                 double unc, int64_t n_img, int64_t n_gaze) {
    char uniq[256];
    snprintf(uniq, sizeof uniq, "%s.%ld", name, (long)getpid());
    snprintf(out, 4096, "%s", test_out_path(uniq));
    synth_opts o;
    synth_opts_default(&o);
    o.out_dir = out;
    o.n_images = n_img;
    o.n_gaze_images = n_gaze;
    o.size = SIZE;
    o.seed = seed;
    o.plant_findings = plant;
    o.label_flip = flip;
    o.label_uncertain = unc;
    o.overwrite = 1;
    cx_set_threads(threads);
    synth_summary s;
    cx_error err = {0};
    if (data_synth(&o, &s, &err)) fail_msg("data_synth %s: %s", name, err.msg);
    cx_set_threads(2);
}

static char dir_e[4096];

static int teardown(void **state) {
    (void)state;
    const char *dirs[5] = {dir_a, dir_b, dir_c, dir_d, dir_e};
    for (int i = 0; i < 5; i++)
        if (dirs[i][0]) rm_tree(dirs[i]);
    return 0;
}

static int setup(void **state) {
    (void)state;
    make("synth_a", dir_a, 7, 2, 1, 0.02, 0.08, N_IMG, N_GAZE);
    make("synth_b", dir_b, 7, 1, 1, 0.02, 0.08, N_IMG, N_GAZE); // same seed, one thread
    make("synth_c", dir_c, 8, 2, 1, 0.02, 0.08, N_IMG, N_GAZE); // another seed
    make("synth_d", dir_d, 7, 2, 0, 0.02, 0.08, N_IMG, N_GAZE); // counterfactual: no findings
    return 0;
}

// ---- helpers ------------------------------------------------------------------------------
// The table's header, joined with commas, is the header line `want` (as DATA-FORMATS.md writes
// it; a trailing newline is ignored).
static void expect_header(const csv_table *t, const char *want) {
    char got[4096];
    size_t len = 0;
    got[0] = 0;
    for (int i = 0; i < csv_ncols(t) && len < sizeof got; i++) {
        const char *sep = i ? "," : "";
        len += (size_t)snprintf(got + len, sizeof got - len, "%s%s", sep, csv_colname(t, i));
    }
    size_t n = strcspn(want, "\n");
    if (strlen(got) != n || strncmp(got, want, n))
        fail_msg("%s: header\n  %s\nwant\n  %.*s", csv_path(t), got, (int)n, want);
}

static int all_digits(const char *s, size_t n) {
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

static int is_dicom_id(const char *s) {
    if (strlen(s) != 44) return 0;
    for (int i = 0; i < 44; i++) {
        if (i % 9 == 8) {
            if (s[i] != '-') return 0;
        } else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

static int64_t find_row(const csv_table *t, int col, const char *val) {
    for (int64_t r = 0; r < csv_nrows(t); r++)
        if (!strcmp(csv_get(t, r, col), val)) return r;
    return -1;
}

// ---- tests --------------------------------------------------------------------------------
static void deterministic(void **state) {
    (void)state;
    int n = same_tree(dir_a, dir_b); // same seed, 2 threads vs 1: identical bytes
    assert_true(n > N_IMG + 4 * N_GAZE);
    char pa[4096], pc[4096];
    char *da, *dc;
    size_t na, nc;
    cx_error err;
    snprintf(pa, sizeof pa, "%s/mimic-cxr-jpg/IMAGE_FILENAMES", dir_a);
    snprintf(pc, sizeof pc, "%s/mimic-cxr-jpg/IMAGE_FILENAMES", dir_c);
    assert_int_equal(cx_read_file(pa, &da, &na, &err), 0);
    assert_int_equal(cx_read_file(pc, &dc, &nc, &err), 0);
    assert_true(na != nc || memcmp(da, dc, na)); // another seed: other ids
    free(da);
    free(dc);
}

static void mimic_tables(void **state) {
    (void)state;
    csv_table *m = tree_table(dir_a, "mimic-cxr-jpg/mimic-cxr-2.0.0-metadata.csv.gz");
    csv_table *sp = tree_table(dir_a, "mimic-cxr-jpg/mimic-cxr-2.0.0-split.csv.gz");
    expect_header(m, MIMIC_META_HEADER);
    expect_header(sp, "dicom_id,study_id,subject_id,split");
    assert_int_equal(csv_nrows(m), N_IMG);
    assert_int_equal(csv_nrows(sp), N_IMG);
    csv_table *lt[2] = {tree_table(dir_a, "mimic-cxr-jpg/mimic-cxr-2.0.0-chexpert.csv.gz"),
                        tree_table(dir_a, "mimic-cxr-jpg/mimic-cxr-2.0.0-negbio.csv.gz")};
    int views[4] = {0}, studies_with_two = 0, cells[4] = {0}; // "", "1.0", "0.0", "-1.0"
    for (int t = 0; t < 2; t++) {
        expect_header(lt[t], CHEXPERT_HEADER);
        for (int64_t r = 0; r < csv_nrows(lt[t]); r++)
            for (int l = 0; l < CX_N_LABELS; l++) {
                const char *c = csv_get(lt[t], r, 2 + l);
                int k = !strcmp(c, "")       ? 0
                        : !strcmp(c, "1.0")  ? 1
                        : !strcmp(c, "0.0")  ? 2
                        : !strcmp(c, "-1.0") ? 3
                                             : -1;
                if (k < 0) fail_msg("label cell '%s'", c);
                cells[k]++;
            }
    }
    // Blank (not mentioned) dominates, as in MIMIC; explicit negatives and uncertain ones occur.
    assert_true(cells[0] > cells[1] && cells[1] > 0 && cells[2] > 0 && cells[3] > 0);
    char fn_path[4096];
    snprintf(fn_path, sizeof fn_path, "%s/mimic-cxr-jpg/IMAGE_FILENAMES", dir_a);
    FILE *fn = fopen(fn_path, "r");
    assert_non_null(fn);
    for (int64_t r = 0; r < N_IMG; r++) {
        const char *dicom = csv_get(m, r, 0), *subj = csv_get(m, r, 1), *study = csv_get(m, r, 2);
        assert_true(is_dicom_id(dicom));
        assert_true(all_digits(subj, 8) && subj[0] == '1');
        assert_true(all_digits(study, 8) && study[0] == '5');
        const char *vp = csv_get(m, r, 4);
        int v = !strcmp(vp, "PA")        ? 0
                : !strcmp(vp, "AP")      ? 1
                : !strcmp(vp, "LATERAL") ? 2
                : !strcmp(vp, "LL")      ? 3
                                         : -1;
        assert_true(v >= 0);
        views[v]++;
        // The split row of this image names the same study and subject.
        int64_t s = find_row(sp, 0, dicom);
        assert_true(s >= 0);
        assert_string_equal(csv_get(sp, s, 1), study);
        assert_string_equal(csv_get(sp, s, 2), subj);
        assert_true(split_from_name(csv_get(sp, s, 3)) >= 0);
        // One label row per study, in both tables.
        for (int t = 0; t < 2; t++)
            assert_true(find_row(lt[t], 1, study) >= 0);
        // The file: where mimic_image_relpath says, listed in IMAGE_FILENAMES, Rows x Columns.
        char rel[512], path[4096], line[600];
        mimic_image_relpath(rel, sizeof rel, subj, study, dicom);
        assert_non_null(fgets(line, sizeof line, fn));
        line[strcspn(line, "\n")] = 0;
        assert_string_equal(line, rel);
        assert_int_equal(strncmp(rel, "files/p1", 8), 0);
        snprintf(path, sizeof path, "%s/mimic-cxr-jpg/%s", dir_a, rel);
        int w, h, ch;
        cx_error err;
        if (img_info(path, &w, &h, &ch, &err)) fail_msg("%s", err.msg);
        assert_int_equal(ch, 1);
        assert_int_equal(h, atoi(csv_get(m, r, 5)));
        assert_int_equal(w, atoi(csv_get(m, r, 6)));
        assert_int_equal(w > h ? w : h, SIZE);
        assert_int_equal(strlen(csv_get(m, r, 7)), 8);
        if (r > 0 && !strcmp(csv_get(m, r - 1, 2), study)) studies_with_two++;
    }
    fclose(fn);
    assert_true(views[0] > 0 && views[1] > 0 && views[2] + views[3] > 0);
    assert_true(studies_with_two > 0);
    assert_true(csv_nrows(lt[0]) < N_IMG && csv_nrows(lt[0]) == csv_nrows(lt[1]));
    csv_table_free(m);
    csv_table_free(sp);
    csv_table_free(lt[0]);
    csv_table_free(lt[1]);
}

static void egd_master_sheet(void **state) {
    (void)state;
    csv_table *ms = tree_table(dir_a, "egd-cxr/master_sheet.csv");
    csv_table *m = tree_table(dir_a, "mimic-cxr-jpg/mimic-cxr-2.0.0-metadata.csv.gz");
    csv_table *cx = tree_table(dir_a, "mimic-cxr-jpg/mimic-cxr-2.0.0-chexpert.csv.gz");
    assert_int_equal(csv_ncols(ms), 59);
    assert_int_equal(csv_nrows(ms), N_GAZE);
    expect_header(ms, EGD_MASTER_HEADER);
    int multiline = 0, comma = 0, classes[3] = {0};
    for (int64_t r = 0; r < N_GAZE; r++) {
        const char *dicom = csv_get(ms, r, 0);
        int64_t mr = find_row(m, 0, dicom);
        assert_true(mr >= 0);                         // in the MIMIC tables
        assert_string_equal(csv_get(m, mr, 4), "PA"); // a PA image
        assert_string_equal(csv_get(ms, r, 2), csv_get(m, mr, 2));
        assert_string_equal(csv_get(ms, r, 3), csv_get(m, mr, 1));
        // path: the DICOM path; with .jpg it is the MIMIC-CXR-JPG file.
        char rel[512], path[4096];
        mimic_image_relpath(rel, sizeof rel, csv_get(m, mr, 1), csv_get(m, mr, 2), dicom);
        strcpy(rel + strlen(rel) - 4, ".dcm");
        assert_string_equal(csv_get(ms, r, 1), rel);
        strcpy(rel + strlen(rel) - 4, ".jpg");
        snprintf(path, sizeof path, "%s/mimic-cxr-jpg/%s", dir_a, rel);
        assert_true(cx_path_exists(path));
        int lo, hi;
        assert_int_equal(sscanf(csv_get(ms, r, 6), "%d - %d", &lo, &hi), 2);
        assert_int_equal(hi - lo, 10);
        // Pads: the image, aspect kept, long side 1024, on the 1920x1080 screen.
        int W = atoi(csv_get(m, mr, 6)), H = atoi(csv_get(m, mr, 5));
        int T = atoi(csv_get(ms, r, 7)), B = atoi(csv_get(ms, r, 8)), L = atoi(csv_get(ms, r, 9)),
            R = atoi(csv_get(ms, r, 10));
        int dw = 1920 - L - R, dh = 1080 - T - B;
        assert_int_equal(dw > dh ? dw : dh, 1024);
        assert_close((double)dw / dh, (double)W / H, 0.01, 0, "display aspect");
        for (int k = 11; k < 29; k += 2)
            comma += strchr(csv_get(ms, r, k), ',') != NULL;
        multiline += strchr(csv_get(ms, r, 58), '\n') != NULL;
        int c = atoi(csv_get(ms, r, 30)) ? 0 : atoi(csv_get(ms, r, 31)) ? 1 : 2;
        assert_int_equal(
            atoi(csv_get(ms, r, 30)) + atoi(csv_get(ms, r, 31)) + atoi(csv_get(ms, r, 32)), 1);
        classes[c]++;
        // *__chx = the chexpert row of the study.
        int64_t cr = find_row(cx, 1, csv_get(ms, r, 2));
        assert_true(cr >= 0);
        for (int l = 0; l < CX_N_LABELS; l++)
            assert_string_equal(csv_get(ms, r, 44 + l), csv_get(cx, cr, 2 + l));
        // Region masks and transcript.
        const char *reg[5] = {"left_lung.png", "right_lung.png", "mediastanum.png",
                              "aortic_knob.png", "transcript.json"};
        for (int k = 0; k < 5; k++) {
            snprintf(path, sizeof path, "%s/egd-cxr/audio_segmentation_transcripts/%s/%s", dir_a,
                     dicom, reg[k]);
            assert_true(cx_path_exists(path));
        }
        // transcript.json: full_text and time-stamped phrases with increasing, positive times.
        snprintf(path, sizeof path, "%s/egd-cxr/audio_segmentation_transcripts/%s/transcript.json",
                 dir_a, dicom);
        json_error_t je;
        json_t *doc = json_load_file(path, 0, &je);
        assert_non_null(doc);
        const char *full = json_string_value(json_object_get(doc, "full_text"));
        json_t *ts = json_object_get(doc, "time_stamped_text");
        assert_non_null(full);
        assert_true(json_is_array(ts) && json_array_size(ts) >= 1);
        double prev_end = 0;
        for (size_t k = 0; k < json_array_size(ts); k++) {
            json_t *ph = json_array_get(ts, k);
            const char *phrase = json_string_value(json_object_get(ph, "phrase"));
            double b = json_number_value(json_object_get(ph, "begin_time"));
            double en = json_number_value(json_object_get(ph, "end_time"));
            assert_non_null(phrase);
            assert_non_null(strstr(full, phrase));
            assert_true(b >= prev_end && en > b);
            prev_end = en;
        }
        json_decref(doc);
        // Patient's left lung is on the image's right.
        img_gray ll, rl;
        cx_error err;
        snprintf(path, sizeof path, "%s/egd-cxr/audio_segmentation_transcripts/%s/left_lung.png",
                 dir_a, dicom);
        assert_int_equal(img_load_mask(path, &ll, &err), 0);
        snprintf(path, sizeof path, "%s/egd-cxr/audio_segmentation_transcripts/%s/right_lung.png",
                 dir_a, dicom);
        assert_int_equal(img_load_mask(path, &rl, &err), 0);
        assert_int_equal(ll.w, W);
        assert_int_equal(ll.h, H);
        double cl = 0, cr2 = 0, nl = 0, nr = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                if (ll.px[y * W + x]) cl += x, nl++;
                if (rl.px[y * W + x]) cr2 += x, nr++;
            }
        assert_true(nl > 0.02 * W * H && nr > 0.02 * W * H);
        assert_true(cl / nl > W / 2.0 && cr2 / nr < W / 2.0);
        img_gray_free(&ll);
        img_gray_free(&rl);
    }
    assert_true(comma > 0);
    assert_true(multiline > 0);
    assert_true(classes[0] > 0 && classes[1] > 0 && classes[2] > 0);
    csv_table *bb = tree_table(dir_a, "egd-cxr/bounding_boxes.csv");
    expect_header(bb, "dicom_id,bbox_name,x1,x2,y1,y2");
    assert_true(csv_nrows(bb) >= 17 * N_GAZE);
    for (int64_t r = 0; r < csv_nrows(bb); r++) {
        assert_true(find_row(ms, 0, csv_get(bb, r, 0)) >= 0);
        assert_true(atof(csv_get(bb, r, 2)) < atof(csv_get(bb, r, 3)));
        assert_true(atof(csv_get(bb, r, 4)) < atof(csv_get(bb, r, 5)));
    }
    csv_table_free(bb);
    csv_table_free(ms);
    csv_table_free(m);
    csv_table_free(cx);
}

// Every gaze row: X_ORIGINAL / Y_ORIGINAL as the dataset computes them from FPOGX / FPOGY and the
// pads (re-implemented here from DATA-FORMATS.md); off-image rows carry -1..-3.
static void gaze_rows(const char *rel, int64_t *calib, int64_t *off, int64_t *rows) {
    csv_table *g = tree_table(dir_a, rel), *ms = tree_table(dir_a, "egd-cxr/master_sheet.csv");
    csv_table *m = tree_table(dir_a, "mimic-cxr-jpg/mimic-cxr-2.0.0-metadata.csv.gz");
    expect_header(g, FIX_HEADER);
    *calib = *off = 0;
    *rows = csv_nrows(g);
    int64_t prev_cnt = -1, prev_session = -1;
    double prev_s = -1;
    for (int64_t r = 0; r < csv_nrows(g); r++) {
        int64_t msr = find_row(ms, 0, csv_get(g, r, 2));
        int session = atoi(csv_get(g, r, 0));
        int64_t cnt = atoll(csv_get(g, r, 3));
        double fs = atof(csv_get(g, r, 8));
        if (session == prev_session) {
            assert_true(cnt > prev_cnt);
            assert_true(fs >= prev_s);
        }
        prev_session = session, prev_cnt = cnt, prev_s = fs;
        assert_true(atof(csv_get(g, r, 4)) >= fs - 1e-5); // Time >= fixation start
        if (msr < 0) {
            assert_true(strlen(csv_get(g, r, 2)) < 44); // calibration screen
            (*calib)++;
            continue;
        }
        int64_t mr = find_row(m, 0, csv_get(g, r, 2));
        double W = atof(csv_get(m, mr, 6)), H = atof(csv_get(m, mr, 5));
        double T = atof(csv_get(ms, msr, 7)), B = atof(csv_get(ms, msr, 8)),
               L = atof(csv_get(ms, msr, 9)), R = atof(csv_get(ms, msr, 10));
        double ex = strtod(csv_get(g, r, 6), NULL) * 1920,
               ey = strtod(csv_get(g, r, 7), NULL) * 1080;
        int X = atoi(csv_get(g, r, 35)), Y = atoi(csv_get(g, r, 36));
        if (L < ex && ex < 1920 - R && T < ey && ey < 1080 - B) {
            assert_int_equal(X, (int)(W / (1920 - L - R) * (ex - L)));
            assert_int_equal(Y, (int)(H / (1080 - T - B) * (ey - T)));
            assert_true(X >= 0 && X < W && Y >= 0 && Y < H);
        } else {
            assert_true(X <= -1 && X >= -3 && Y <= -1 && Y >= -3);
            (*off)++;
        }
    }
    csv_table_free(g);
    csv_table_free(ms);
    csv_table_free(m);
}

static void gaze_tables(void **state) {
    (void)state;
    int64_t calib, off, nfix, ngaze, c2, o2;
    gaze_rows("egd-cxr/fixations.csv", &calib, &off, &nfix);
    assert_true(calib > 0);
    assert_true(off > 0);
    assert_true(nfix > 10 * N_GAZE);
    gaze_rows("egd-cxr/eye_gaze.csv", &c2, &o2, &ngaze);
    assert_true(ngaze > 5 * nfix); // 60 Hz samples along the fixations
    // FPOGID increments by one per fixation within a session.
    csv_table *f = tree_table(dir_a, "egd-cxr/fixations.csv");
    for (int64_t r = 1; r < csv_nrows(f); r++)
        if (!strcmp(csv_get(f, r, 0), csv_get(f, r - 1, 0)))
            assert_int_equal(atoll(csv_get(f, r, 10)), atoll(csv_get(f, r - 1, 10)) + 1);
    csv_table_free(f);
}

// Planted findings: inside its mask, the image with findings differs from the counterfactual
// in the finding's direction (brighter; darker for a pneumothorax), far more than outside masks.
static img_gray load(const char *dir, const char *rel) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    img_gray im;
    cx_error err;
    if (img_load_gray(path, 0, &im, &err)) fail_msg("%s", err.msg);
    return im;
}

static void findings_in_pixels(void **state) {
    (void)state;
    csv_table *tf = tree_table(dir_a, "truth/findings.csv");
    csv_table *m = tree_table(dir_a, "mimic-cxr-jpg/mimic-cxr-2.0.0-metadata.csv.gz");
    expect_header(tf, "dicom_id,label,x0,y0,x1,y1,mask");
    assert_true(csv_nrows(tf) > 5);
    int tested = 0;
    for (int64_t r = 0; r < csv_nrows(tf); r++) {
        if (r > 0 && !strcmp(csv_get(tf, r, 6), csv_get(tf, r - 1, 6))) continue; // same mask
        const char *dicom = csv_get(tf, r, 0), *label = csv_get(tf, r, 1);
        int64_t mr = find_row(m, 0, dicom);
        char rel[512], mrel[600];
        mimic_image_relpath(rel, sizeof rel, csv_get(m, mr, 1), csv_get(m, mr, 2), dicom);
        snprintf(mrel, sizeof mrel, "mimic-cxr-jpg/%s", rel);
        img_gray a = load(dir_a, mrel), d = load(dir_d, mrel);
        snprintf(mrel, sizeof mrel, "truth/%s", csv_get(tf, r, 6));
        img_gray mk = load(dir_a, mrel);
        assert_int_equal(mk.w, a.w);
        assert_int_equal(mk.h, a.h);
        // bbox = the mask's extent
        int x0 = a.w, y0 = a.h, x1 = 0, y1 = 0;
        double in = 0, n_in = 0;
        for (int y = 0; y < a.h; y++)
            for (int x = 0; x < a.w; x++) {
                size_t j = (size_t)y * a.w + x;
                if (!mk.px[j]) continue;
                in += (double)a.px[j] - d.px[j], n_in++;
                if (x < x0) x0 = x;
                if (x >= x1) x1 = x + 1;
                if (y < y0) y0 = y;
                if (y >= y1) y1 = y + 1;
            }
        assert_int_equal(x0, atoi(csv_get(tf, r, 2)));
        assert_int_equal(y0, atoi(csv_get(tf, r, 3)));
        assert_int_equal(x1, atoi(csv_get(tf, r, 4)));
        assert_int_equal(y1, atoi(csv_get(tf, r, 5)));
        in /= n_in;
        double sign = !strcmp(label, "Pneumothorax") ? -1 : 1;
        if (!(sign * in > 3.0))
            fail_msg("%s %s: mean change inside the mask %.2f grey levels", dicom, label, in);
        tested++;
        img_gray_free(&a);
        img_gray_free(&d);
        img_gray_free(&mk);
    }
    assert_true(tested > 5);
    csv_table_free(tf);
    csv_table_free(m);
}

// Gaze dwells on findings: the share of an image's fixation time inside the union of its finding
// masks exceeds the share that the OTHER readings (same relative screen positions, no finding
// there) spend inside the same masks: survey and centre bias alone do not explain it.
typedef struct reading {
    double *x, *y, *d;
    int n;
} reading; // x, y relative to W, H

static double share_inside(const reading *rd, const uint8_t *u, int W, int H) {
    double t_in = 0, t_all = 0;
    for (int k = 0; k < rd->n; k++) {
        int x = (int)(rd->x[k] * W), y = (int)(rd->y[k] * H);
        t_all += rd->d[k];
        if (x >= 0 && y >= 0 && x < W && y < H && u[(size_t)y * W + x]) t_in += rd->d[k];
    }
    return t_all > 0 ? t_in / t_all : 0;
}

static void gaze_on_findings(void **state) {
    (void)state;
    csv_table *tf = tree_table(dir_a, "truth/findings.csv"),
              *f = tree_table(dir_a, "egd-cxr/fixations.csv");
    csv_table *ms = tree_table(dir_a, "egd-cxr/master_sheet.csv");
    csv_table *m = tree_table(dir_a, "mimic-cxr-jpg/mimic-cxr-2.0.0-metadata.csv.gz");
    int64_t ne = csv_nrows(ms);
    reading *rd = calloc((size_t)ne, sizeof *rd);
    for (int64_t e = 0; e < ne; e++) {
        int64_t mr = find_row(m, 0, csv_get(ms, e, 0));
        double W = atof(csv_get(m, mr, 6)), H = atof(csv_get(m, mr, 5));
        rd[e].x = calloc((size_t)csv_nrows(f), sizeof(double));
        rd[e].y = calloc((size_t)csv_nrows(f), sizeof(double));
        rd[e].d = calloc((size_t)csv_nrows(f), sizeof(double));
        for (int64_t r = 0; r < csv_nrows(f); r++) {
            if (strcmp(csv_get(f, r, 2), csv_get(ms, e, 0))) continue;
            int x = atoi(csv_get(f, r, 35)), y = atoi(csv_get(f, r, 36));
            if (x < 0 || y < 0) continue;
            rd[e].x[rd[e].n] = (x + 0.5) / W, rd[e].y[rd[e].n] = (y + 0.5) / H;
            rd[e].d[rd[e].n++] = atof(csv_get(f, r, 9));
        }
        assert_true(rd[e].n > 5);
    }
    double own_sum = 0, base_sum = 0;
    int checked = 0, above = 0;
    for (int64_t e = 0; e < ne; e++) {
        const char *dicom = csv_get(ms, e, 0);
        int64_t mr = find_row(m, 0, dicom);
        int W = atoi(csv_get(m, mr, 6)), H = atoi(csv_get(m, mr, 5));
        uint8_t *u = calloc((size_t)W * H, 1);
        int any = 0;
        for (int64_t r = 0; r < csv_nrows(tf); r++) {
            if (strcmp(csv_get(tf, r, 0), dicom)) continue;
            char rel[600];
            snprintf(rel, sizeof rel, "truth/%s", csv_get(tf, r, 6));
            img_gray mk = load(dir_a, rel);
            for (size_t j = 0; j < (size_t)W * H; j++)
                u[j] |= mk.px[j] != 0;
            img_gray_free(&mk);
            any = 1;
        }
        if (any) {
            double own = share_inside(&rd[e], u, W, H), base = 0;
            for (int64_t j = 0; j < ne; j++)
                if (j != e) base += share_inside(&rd[j], u, W, H) / (double)(ne - 1);
            own_sum += own, base_sum += base;
            above += own > base;
            checked++;
        }
        free(u);
    }
    assert_true(checked >= 3);
    print_message("gaze time share on own findings %.3f, other readings on the same masks %.3f "
                  "(%d of %d images above)\n",
                  own_sum / checked, base_sum / checked, above, checked);
    if (!(own_sum > 1.3 * base_sum && above >= (3 * checked + 3) / 4))
        fail_msg("time share on own findings %.3f vs other readings %.3f (%d of %d images above)",
                 own_sum / checked, base_sum / checked, above, checked);
    for (int64_t e = 0; e < ne; e++)
        free(rd[e].x), free(rd[e].y), free(rd[e].d);
    free(rd);
    csv_table_free(tf);
    csv_table_free(f);
    csv_table_free(ms);
    csv_table_free(m);
}

// Labels: the chexpert table (U-zeros) disagrees with truth/labels.csv in at most flip +
// uncertain of the cells (binomial margin), exactly never without noise; every truth row's label
// is a true label of its study.
static double label_disagreement(const char *dir) {
    csv_table *cx = tree_table(dir, "mimic-cxr-jpg/mimic-cxr-2.0.0-chexpert.csv.gz");
    csv_table *tl = tree_table(dir, "truth/labels.csv");
    assert_int_equal(csv_nrows(cx), csv_nrows(tl));
    double bad = 0, n = 0;
    for (int64_t r = 0; r < csv_nrows(cx); r++) {
        assert_string_equal(csv_get(cx, r, 1), csv_get(tl, r, 1));
        for (int l = 0; l < CX_N_LABELS; l++) {
            int raw;
            assert_int_equal(label_parse(csv_get(cx, r, 2 + l), &raw), 0);
            int table_pos = raw == 1, truth = atoi(csv_get(tl, r, 2 + l));
            bad += table_pos != truth;
            n++;
        }
    }
    csv_table_free(cx);
    csv_table_free(tl);
    return bad / n;
}

static void labels_vs_truth(void **state) {
    (void)state;
    double rate = label_disagreement(dir_a);
    assert_true(rate < 0.02 + 0.08 + 0.05);
    make("synth_e", dir_e, 9, 2, 1, 0.0, 0.0, 30, 0);
    assert_true(label_disagreement(dir_e) == 0.0);
    // Truth rows name true labels of their study; No Finding excludes every pathology.
    csv_table *tf = tree_table(dir_a, "truth/findings.csv"),
              *tl = tree_table(dir_a, "truth/labels.csv");
    csv_table *m = tree_table(dir_a, "mimic-cxr-jpg/mimic-cxr-2.0.0-metadata.csv.gz");
    for (int64_t r = 0; r < csv_nrows(tf); r++) {
        int64_t mr = find_row(m, 0, csv_get(tf, r, 0));
        int64_t sr = find_row(tl, 1, csv_get(m, mr, 2));
        assert_true(sr >= 0);
        int l = csv_col(tl, csv_get(tf, r, 1));
        assert_true(l >= 2);
        assert_string_equal(csv_get(tl, sr, l), "1");
    }
    for (int64_t r = 0; r < csv_nrows(tl); r++) {
        int path = 0;
        for (int l = 0; l < CX_N_LABELS; l++)
            if (strcmp(CX_LABELS[l], "No Finding") && strcmp(CX_LABELS[l], "Support Devices"))
                path |= atoi(csv_get(tl, r, 2 + l));
        assert_int_equal(atoi(csv_get(tl, r, 2 + 8)), !path);
    }
    csv_table_free(tf);
    csv_table_free(tl);
    csv_table_free(m);
}

static void bad_options(void **state) {
    (void)state;
    synth_opts o;
    synth_opts_default(&o);
    synth_summary s;
    cx_error err = {0};
    o.out_dir = dir_a; // exists, no overwrite
    o.n_images = 4, o.n_gaze_images = 0;
    assert_int_equal(data_synth(&o, &s, &err), -1);
    assert_non_null(strstr(err.msg, dir_a));
    char bad[256];
    snprintf(bad, sizeof bad, "synth_bad.%ld", (long)getpid());
    o.out_dir = test_out_path(bad);
    o.n_gaze_images = 9;
    assert_int_equal(data_synth(&o, &s, &err), -1);
    assert_non_null(strstr(err.msg, "--gaze-images"));
    assert_false(cx_path_exists(o.out_dir));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deterministic),      cmocka_unit_test(mimic_tables),
        cmocka_unit_test(egd_master_sheet),   cmocka_unit_test(gaze_tables),
        cmocka_unit_test(findings_in_pixels), cmocka_unit_test(gaze_on_findings),
        cmocka_unit_test(labels_vs_truth),    cmocka_unit_test(bad_options),
    };
    return cmocka_run_group_tests_name("data/synth", tests, setup, teardown);
}
