// data: `synth --reflacx` writes REFLACX's layout (reflacx_read reads it back: readers per image,
// discarded readings, both vocabularies, CRLF, thread-independent bytes), and `prepare --reflacx`
// packs it: every reading's map equals reflacx_heatmap recomputed here from the files (geometry
// from the metadata's image size), EGD's map is one more reading where both read an image, the
// image's gaze is the min-max of the mean of its readings, fixations their union, whole patients
// per split, ellipse annotations the union of reflacx_ellipse_mask (also with --annotations), and
// a prepare without --reflacx writes the same pack bytes whether or not the REFLACX files exist.
// Oracles: reflacx_read / reflacx_heatmap / reflacx_ellipse_mask (tested against the authors'
// recipe in test_reflacx.c) applied independently here, the EGD-only pack, closed-form min-max.
#include <unistd.h>

#include <jansson.h>

#include "tiny_trees.h"

#include "data/data.h"

enum { S = 48, N_IMG = 48, N_GAZE = 12 };

static char syn_a[4096], syn_b[4096], syn_c[4096], syn_d[4096], pk_rfx[4096], pk_egd[4096],
    pk_ann[4096], pk_ann_rfx[4096], pk_same[4096], pk_none[4096];

static uint64_t synth_seed = 11;
static void synth(char *out, const char *name, int threads, int reflacx) {
    char uniq[256];
    snprintf(uniq, sizeof uniq, "%s.%ld", name, (long)getpid());
    snprintf(out, 4096, "%s", test_out_path(uniq));
    synth_opts o;
    synth_opts_default(&o);
    o.out_dir = out, o.n_images = N_IMG, o.n_gaze_images = N_GAZE, o.size = 256,
    o.seed = synth_seed;
    o.overwrite = 1, o.progress = 0, o.reflacx = reflacx;
    cx_set_threads(threads);
    synth_summary s;
    cx_error err = {0};
    if (data_synth(&o, &s, &err)) fail_msg("data_synth %s: %s", name, err.msg);
    cx_set_threads(2);
}

// prepare from tree `syn` (--mimic, --egd when egd, --reflacx when rfx, --annotations when ann).
// Half of the gaze patients to test; certainty: the ellipse threshold (0: the default, 3).
static const char *rfx_from; // REFLACX tree of another synth run (NULL: syn's own)
static void prepare(char *out, const char *name, const char *syn, int egd, int rfx, int ann,
                    double certainty) {
    char uniq[256], mimic[4200], egd_dir[4200], rdir[4200], annf[4200];
    snprintf(uniq, sizeof uniq, "%s.%ld", name, (long)getpid());
    snprintf(out, 4096, "%s", test_out_path(uniq));
    snprintf(mimic, sizeof mimic, "%s/mimic-cxr-jpg", syn);
    snprintf(egd_dir, sizeof egd_dir, "%s/egd-cxr", syn);
    snprintf(rdir, sizeof rdir, "%s/reflacx", rfx_from ? rfx_from : syn);
    snprintf(annf, sizeof annf, "%s/truth/chexlocalize_rle.json", syn);
    prepare_opts o;
    prepare_opts_default(&o);
    o.mimic_dir = mimic, o.egd_dir = egd ? egd_dir : NULL, o.reflacx_dir = rfx ? rdir : NULL;
    o.annotations = ann ? annf : NULL, o.out_dir = out, o.size = S, o.progress = 0;
    o.gaze_test_fraction = 0.5;
    if (certainty > 0) o.reflacx_certainty = certainty;
    prepare_summary s;
    cx_error err = {0};
    if (data_prepare(&o, &s, &err)) fail_msg("data_prepare %s: %s", name, err.msg);
}

static int setup(void **state) {
    (void)state;
    synth(syn_a, "rfx_syn_a", 2, 1);
    synth(syn_b, "rfx_syn_b", 1, 1);                    // same seed, one thread
    prepare(pk_rfx, "rfx_pk_rfx", syn_a, 1, 1, 0, 4.5); // certainty 5 only
    prepare(pk_egd, "rfx_pk_egd", syn_a, 1, 0, 0, 0);
    prepare(pk_ann, "rfx_pk_ann", syn_a, 1, 0, 1, 0);
    prepare(pk_ann_rfx, "rfx_pk_ann_rfx", syn_a, 1, 1, 1, 0); // the default, 3
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char *dirs[] = {syn_a,  syn_b,  syn_c,      syn_d,   pk_rfx,
                    pk_egd, pk_ann, pk_ann_rfx, pk_same, pk_none};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        if (dirs[i][0]) rm_tree(dirs[i]);
    return 0;
}

static void read_rfx(reflacx_data *d) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/reflacx", syn_a);
    cx_error err = {0};
    if (reflacx_read(dir, d, &err)) fail_msg("reflacx_read: %s", err.msg);
}

// ---- synth --reflacx --------------------------------------------------------------------------
static void synth_layout(void **state) {
    (void)state;
    reflacx_data d;
    read_rfx(&d);
    // all three phases, two discarded readings, every kept reading with fixations
    for (int p = 0; p < 3; p++)
        assert_true(d.st.metadata_rows[p] > 0);
    assert_int_equal(d.st.discarded, 2);
    assert_int_equal(d.st.readings, d.n_reading);
    assert_int_equal(d.st.spelling[REFLACX_POS_X_POSITION], d.n_reading);
    for (int64_t j = 0; j < d.n_reading; j++) {
        const reflacx_reading *r = &d.reading[j];
        assert_true(r->fix_count > 0);
        assert_true(r->chest_box[0] >= 0 && r->chest_box[2] <= r->width);
        assert_true(r->chest_box[0] < r->chest_box[2] && r->chest_box[1] < r->chest_box[3]);
    }
    // readers per image from the metadata tables (discarded rows included): phases 1-2 3..5,
    // phase 3 exactly 1; an image belongs to one phase; some are EGD images
    cx_strmap per, phase_of;
    strmap_init(&per);
    strmap_init(&phase_of);
    for (int p = 1; p <= 3; p++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/reflacx/main_data/metadata_phase_%d.csv", syn_a, p);
        char *raw;
        size_t n;
        cx_error err;
        assert_int_equal(cx_read_file(path, &raw, &n, &err), 0);
        int64_t lf = 0, crlf = 0;
        for (size_t k = 0; k < n; k++)
            if (raw[k] == '\n') lf++, crlf += k > 0 && raw[k - 1] == '\r';
        assert_true(lf > 1);
        assert_int_equal(crlf, lf); // the authors' line ends
        free(raw);
        csv_table *t = csv_table_read(path, &err);
        assert_non_null(t);
        int cd = csv_col(t, "dicom_id");
        assert_true(cd >= 0);
        for (int64_t r = 0; r < csv_nrows(t); r++) {
            const char *id = csv_get(t, r, cd);
            int64_t k = strmap_get(&per, id);
            strmap_put(&per, id, k < 0 ? 1 : k + 1);
            int64_t ph = strmap_get(&phase_of, id);
            if (ph >= 0 && ph != p)
                fail_msg("image %s in phases %lld and %d", id, (long long)ph, p);
            strmap_put(&phase_of, id, p);
        }
        csv_table_free(t);
    }
    egd_data e;
    char egd_dir[4200];
    snprintf(egd_dir, sizeof egd_dir, "%s/egd-cxr", syn_a);
    cx_error err = {0};
    assert_int_equal(egd_read(egd_dir, &e, &err), 0);
    int n_multi = 0, n_single = 0, n_egd_multi = 0, n_egd_single = 0;
    for (size_t k = 0; k < per.cap; k++) {
        if (!per.keys[k]) continue;
        int64_t n = per.vals[k], ph = strmap_get(&phase_of, per.keys[k]);
        int is_egd = strmap_get(&e.by_dicom, per.keys[k]) >= 0;
        if (ph == 3) {
            assert_int_equal(n, 1);
            n_single++, n_egd_single += is_egd;
        } else {
            assert_true(n >= 3 && n <= 5);
            n_multi++, n_egd_multi += is_egd;
        }
    }
    assert_true(n_multi >= 3 && n_single >= 3 && n_egd_multi >= 2 && n_egd_single >= 2);
    egd_free(&e);
    strmap_free(&per);
    strmap_free(&phase_of);
    // both vocabularies, by phase
    int wide = -1, acute = -1;
    for (int k = 0; k < d.n_labels; k++) {
        if (!strcmp(d.label_names[k], "Wide mediastinum")) wide = k;
        if (!strcmp(d.label_names[k], "Acute fracture")) acute = k;
    }
    assert_true(wide >= 0 && acute >= 0);
    assert_int_equal(d.label_in_phase[wide], 1);
    assert_int_equal(d.label_in_phase[acute], 2 | 4);
    // ellipses exist and carry mapped labels
    assert_true(d.n_ell > 0);
    uint64_t mapped = 0;
    for (int c = 0; c < CX_N_LABELS; c++)
        mapped |= reflacx_cx_label_bits(&d, c);
    int64_t with_cx = 0;
    for (int64_t k = 0; k < d.n_ell; k++)
        with_cx += (d.ell[k].labels & mapped) != 0;
    assert_true(with_cx > 0);
    reflacx_free(&d);
}

static void synth_deterministic(void **state) {
    (void)state;
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/reflacx", syn_a);
    snprintf(b, sizeof b, "%s/reflacx", syn_b);
    int n = same_tree(a, b);
    assert_true(n > 20);
    assert_int_equal(same_tree(b, a), n);
}

// The readers fixate the planted findings more than chance: fixations inside the truth boxes of
// an image's findings, over all readings, against the boxes' share of the image area.
static void synth_readers_on_findings(void **state) {
    (void)state;
    reflacx_data d;
    read_rfx(&d);
    char path[4200];
    snprintf(path, sizeof path, "%s/truth", syn_a);
    truth_set t;
    cx_error err = {0};
    assert_int_equal(truth_read(path, &t, &err), 0);
    double inside = 0, total = 0, area = 0;
    for (int64_t j = 0; j < d.n_reading; j++) {
        const reflacx_reading *r = &d.reading[j];
        img_fit_geom g;
        img_fit_geom_init(&g, r->width, r->height, 64);
        uint16_t *m = calloc(64 * 64, sizeof *m);
        if (truth_render(&t, r->dicom_id, &g, m, &err) < 0) fail_msg("%s", err.msg);
        double a = 0;
        for (int p = 0; p < 64 * 64; p++)
            a += m[p] != 0;
        if (a == 0) {
            free(m);
            continue;
        }
        for (int64_t k = 0; k < r->fix_count; k++) {
            const reflacx_fixation *f = &d.fix[r->fix_begin + k];
            double x, y;
            img_fit_to_target(&g, f->x, f->y, &x, &y);
            int ix = (int)floor(x), iy = (int)floor(y);
            total++;
            area += a / (64.0 * 64.0);
            if (ix >= 0 && iy >= 0 && ix < 64 && iy < 64) inside += m[iy * 64 + ix] != 0;
        }
        free(m);
    }
    assert_true(total > 100);
    if (!(inside / total > 1.5 * area / total))
        fail_msg("fixations on findings %.3f, findings' area %.3f", inside / total, area / total);
    truth_free(&t);
    reflacx_free(&d);
}

// ---- prepare --reflacx ------------------------------------------------------------------------
static void prepare_readings(void **state) {
    (void)state;
    reflacx_data d;
    read_rfx(&d);
    pack p, q;
    cx_error err = {0};
    if (pack_open(&p, pk_rfx, &err)) fail_msg("%s", err.msg);
    if (pack_open(&q, pk_egd, &err)) fail_msg("%s", err.msg);
    assert_int_equal(p.n, q.n);
    const int64_t SS = (int64_t)S * S;
    float *h = malloc((size_t)SS * sizeof *h);
    uint8_t *fm = malloc((size_t)SS);
    double *mean = malloc((size_t)SS * sizeof *mean);
    int64_t n_rfx = 0, n_egd = 0, n_multi = 0;
    for (int64_t row = 0; row < p.n; row++) {
        assert_string_equal(p.dicom_id[row], q.dicom_id[row]);
        int64_t first, nr = pack_readings(&p, row, &first);
        if (nr == 0) { // no reading: the EGD map unchanged (or no gaze at all)
            assert_int_equal(p.gaze_row[row] >= 0, q.gaze_row[row] >= 0);
            if (q.gaze_row[row] >= 0)
                assert_memory_equal(p.gaze + p.gaze_row[row] * SS, q.gaze + q.gaze_row[row] * SS,
                                    (size_t)SS * sizeof(float));
            continue;
        }
        assert_true(p.gaze_row[row] >= 0);
        n_multi += nr >= 2;
        for (int64_t k = 0; k < SS; k++)
            mean[k] = 0;
        uint8_t *uni = calloc((size_t)SS, 1);
        for (int64_t k = first; k < first + nr; k++) {
            const float *rg = p.reading_gaze + k * SS;
            const uint8_t *rf = p.reading_fixations + k * SS;
            if (p.reading_source[k] == READING_EGD) {
                // EGD's reading: first of its image, id = dicom_id, the EGD-only pack's map
                assert_int_equal(k, first);
                assert_string_equal(p.reading_id[k], p.dicom_id[row]);
                assert_true(q.gaze_row[row] >= 0);
                assert_memory_equal(rg, q.gaze + q.gaze_row[row] * SS, (size_t)SS * sizeof(float));
                assert_memory_equal(rf, q.fixations + q.gaze_row[row] * SS, (size_t)SS);
                n_egd++;
            } else {
                int64_t j = strmap_get(&d.by_id, p.reading_id[k]);
                assert_true(j >= 0);
                const reflacx_reading *r = &d.reading[j];
                assert_string_equal(r->dicom_id, p.dicom_id[row]);
                img_fit_geom g;
                img_fit_geom_init(&g, r->width, r->height, S);
                reflacx_heatmap(h, fm, d.fix + r->fix_begin, r->fix_count, &g, 1.0,
                                REFLACX_NORM_MAX);
                if (max_rel_err(rg, h, (size_t)SS) > 1e-6)
                    fail_msg("reading %s: map differs from reflacx_heatmap", r->id);
                assert_memory_equal(rf, fm, (size_t)SS);
                n_rfx++;
            }
            for (int64_t x = 0; x < SS; x++)
                mean[x] += rg[x] / (double)nr, uni[x] |= rf[x];
        }
        // EGD images with REFLACX readings have an EGD reading
        if (q.gaze_row[row] >= 0) assert_int_equal(p.reading_source[first], READING_EGD);
        double lo = mean[0], hi = mean[0];
        for (int64_t x = 0; x < SS; x++)
            lo = fmin(lo, mean[x]), hi = fmax(hi, mean[x]);
        assert_true(hi > lo);
        const float *gz = p.gaze + p.gaze_row[row] * SS;
        for (int64_t x = 0; x < SS; x++)
            assert_close(gz[x], (mean[x] - lo) / (hi - lo), 0, 1e-5, "gaze = min-max(mean)");
        assert_memory_equal(p.fixations + p.gaze_row[row] * SS, uni, (size_t)SS);
        // REFLACX-only images: no region masks
        if (q.gaze_row[row] < 0)
            for (int reg = 0; reg < CX_N_REGIONS; reg++)
                assert_int_equal(p.region_present[p.gaze_row[row] * CX_N_REGIONS + reg], 0);
        free(uni);
    }
    assert_int_equal(n_rfx, d.n_reading); // every kept reading's image is in the pack
    assert_int_equal(n_rfx + n_egd, p.n_readings);
    assert_true(n_egd >= 2 && n_multi >= 3);
    // whole patients per split; gaze patients in train or test only, round(0.5 n) in test
    cx_strmap split_of, gz;
    strmap_init(&split_of);
    strmap_init(&gz);
    for (int64_t row = 0; row < p.n; row++) {
        int64_t sp = strmap_get(&split_of, p.subject_id[row]);
        if (sp >= 0 && sp != p.split[row]) fail_msg("patient %s in two splits", p.subject_id[row]);
        strmap_put(&split_of, p.subject_id[row], p.split[row]);
        if (p.gaze_row[row] >= 0) strmap_put(&gz, p.subject_id[row], p.split[row]);
    }
    int64_t n_gp = 0, n_test = 0;
    for (size_t k = 0; k < gz.cap; k++)
        if (gz.keys[k]) {
            n_gp++;
            n_test += gz.vals[k] == SPLIT_TEST;
            assert_int_equal(strmap_get(&split_of, gz.keys[k]), gz.vals[k]);
            assert_true(gz.vals[k] != SPLIT_VALIDATE);
        }
    assert_int_equal(n_test, llround(0.5 * (double)n_gp));
    strmap_free(&split_of);
    strmap_free(&gz);
    free(h);
    free(fm);
    free(mean);
    pack_close(&p);
    pack_close(&q);
    reflacx_free(&d);
}

// Ellipse annotations: per (image, CX label) the union over the image's readings of
// reflacx_ellipse_mask (certainty >= 4.5 in pk_rfx); with --annotations (pk_ann_rfx, the default
// certainty 3), united with that file's masks.
static void prepare_ellipses(void **state) {
    (void)state;
    reflacx_data d;
    read_rfx(&d);
    pack p, pa, pb;
    cx_error err = {0};
    if (pack_open(&p, pk_rfx, &err) || pack_open(&pa, pk_ann, &err) ||
        pack_open(&pb, pk_ann_rfx, &err))
        fail_msg("%s", err.msg);
    const int64_t SS = (int64_t)S * S;
    uint8_t *one = malloc((size_t)SS), *want = malloc((size_t)SS);
    uint8_t *want3 = malloc((size_t)SS);
    int64_t n_masks = 0, n_merged = 0, n_low = 0;
    for (int64_t row = 0; row < p.n; row++) {
        for (int c = 0; c < CX_N_LABELS; c++) {
            memset(want, 0, (size_t)SS);
            memset(want3, 0, (size_t)SS);
            int any = 0, any3 = 0;
            uint64_t bits = reflacx_cx_label_bits(&d, c);
            for (int64_t j = 0; j < d.n_reading && bits; j++) {
                const reflacx_reading *r = &d.reading[j];
                if (strcmp(r->dicom_id, p.dicom_id[row])) continue;
                img_fit_geom g;
                img_fit_geom_init(&g, r->width, r->height, S);
                reflacx_ellipse_mask(one, &d, r, bits, 4.5, &g);
                for (int64_t x = 0; x < SS; x++)
                    want[x] |= one[x], any |= one[x];
                reflacx_ellipse_mask(one, &d, r, bits, 3.0, &g);
                for (int64_t x = 0; x < SS; x++)
                    want3[x] |= one[x], any3 |= one[x];
            }
            const uint8_t *got = pack_annotation(&p, row, c);
            if (!any) {
                assert_null(got);
            } else {
                assert_non_null(got);
                assert_memory_equal(got, want, (size_t)SS);
                n_masks++;
            }
            // with --annotations: the union with the file's mask of (image, label)
            const uint8_t *file = pack_annotation(&pa, row, c),
                          *both = pack_annotation(&pb, row, c);
            n_low += any3 && memcmp(want, want3, (size_t)SS);
            if (file)
                for (int64_t x = 0; x < SS; x++)
                    want3[x] |= file[x];
            if (!any3 && !file) {
                assert_null(both);
                continue;
            }
            assert_non_null(both);
            assert_memory_equal(both, want3, (size_t)SS);
            n_merged += any3 && file;
        }
    }
    assert_int_equal(n_masks, p.n_annot);
    assert_true(n_masks > 3 && n_merged > 0 && n_low > 0); // the thresholds differ somewhere
    free(want3);
    free(one);
    free(want);
    pack_close(&p);
    pack_close(&pa);
    pack_close(&pb);
    reflacx_free(&d);
}

// Without --reflacx, the pack's bytes do not depend on whether synth wrote REFLACX's files: the
// same tree path written without, then with them, prepared the same way.
static void no_flag_same_bytes(void **state) {
    (void)state;
    synth(syn_c, "rfx_syn_c", 2, 0);
    prepare(pk_same, "rfx_pk_same", syn_c, 1, 0, 0, 0);
    // the MIMIC / EGD files of a synth without --reflacx are those of one with it
    char x[4200], y[4200];
    snprintf(x, sizeof x, "%s/egd-cxr", syn_c);
    snprintf(y, sizeof y, "%s/egd-cxr", syn_a);
    assert_true(same_tree(x, y) > 10);
    snprintf(x, sizeof x, "%s/mimic-cxr-jpg", syn_c);
    snprintf(y, sizeof y, "%s/mimic-cxr-jpg", syn_a);
    assert_true(same_tree(x, y) > 10);
    char path[4200], *a, *b;
    size_t na, nb;
    cx_error err;
    snprintf(path, sizeof path, "%s/pack.safetensors", pk_same);
    assert_int_equal(cx_read_file(path, &a, &na, &err), 0);
    assert_false(cx_path_exists(strcat(strcpy(path, syn_c), "/reflacx")));
    synth(syn_c, "rfx_syn_c", 2, 1); // the same path, now with reflacx/
    assert_true(cx_path_exists(path));
    prepare(pk_same, "rfx_pk_same", syn_c, 1, 0, 0, 0);
    snprintf(path, sizeof path, "%s/pack.safetensors", pk_same);
    assert_int_equal(cx_read_file(path, &b, &nb, &err), 0);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
}

static int64_t json_int(const json_t *o, const char *key) {
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) fail_msg("summary.json: reflacx.%s missing", key);
    return (int64_t)json_integer_value(v);
}

// summary.json's counts against the files and the pack; readings of images not in the pack are
// counted and packed nowhere (a MIMIC tree of another seed: no dicom_id in common).
static void summary_counts(void **state) {
    (void)state;
    reflacx_data d;
    read_rfx(&d);
    pack p;
    cx_error err = {0};
    if (pack_open(&p, pk_rfx, &err)) fail_msg("%s", err.msg);
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", pk_rfx);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    assert_non_null(j);
    const json_t *r = json_object_get(j, "reflacx");
    assert_non_null(r);
    assert_int_equal(json_int(r, "readings_discarded"), 2);
    assert_int_equal(json_int(r, "readings_read"), d.n_reading);
    assert_int_equal(json_int(r, "readings_matched"), d.n_reading);
    assert_int_equal(json_int(r, "readings_unmatched"), 0);
    assert_int_equal(json_int(r, "readings_packed"), d.n_reading);
    assert_int_equal(json_int(r, "annotations_from_ellipses"), p.n_annot);
    int64_t imgs = 0, multi = 0, with_egd = 0;
    for (int64_t row = 0; row < p.n; row++) {
        int64_t first, n = pack_readings(&p, row, &first);
        imgs += n > 0, multi += n >= 2, with_egd += n > 0 && p.reading_source[first] == READING_EGD;
    }
    assert_int_equal(json_int(r, "images"), imgs);
    assert_int_equal(json_int(r, "images_with_2_or_more_readings"), multi);
    assert_int_equal(json_int(r, "images_with_egd_reading"), with_egd);
    json_decref(j);
    pack_close(&p);

    synth_seed = 12;
    synth(syn_d, "rfx_syn_d", 2, 0);
    synth_seed = 11;
    rfx_from = syn_a;
    prepare(pk_none, "rfx_pk_none", syn_d, 1, 1, 0, 0);
    rfx_from = NULL;
    snprintf(path, sizeof path, "%s/summary.json", pk_none);
    j = json_load_file(path, 0, &je);
    assert_non_null(j);
    r = json_object_get(j, "reflacx");
    assert_int_equal(json_int(r, "readings_matched"), 0);
    assert_int_equal(json_int(r, "readings_unmatched"), d.n_reading);
    assert_int_equal(json_int(r, "readings_packed"), 0);
    json_decref(j);
    if (pack_open(&p, pk_none, &err)) fail_msg("%s", err.msg);
    assert_int_equal(p.n_readings, 0);
    assert_int_equal(p.n_annot, 0);
    assert_int_equal(p.n_gaze, N_GAZE);
    pack_close(&p);
    reflacx_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(synth_layout),
                                       cmocka_unit_test(synth_deterministic),
                                       cmocka_unit_test(synth_readers_on_findings),
                                       cmocka_unit_test(prepare_readings),
                                       cmocka_unit_test(prepare_ellipses),
                                       cmocka_unit_test(summary_counts),
                                       cmocka_unit_test(no_flag_same_bytes)};
    return cmocka_run_group_tests_name("data/prepare_reflacx", tests, setup, teardown);
}
