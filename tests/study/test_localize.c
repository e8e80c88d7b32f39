// study/localize on the hand-made pack of localize_fixture.h: IoU, hit and mass share of every
// scored pair against the values worked out there by hand, the per-label and pooled means, CIs
// that bracket them and resample patients (img0 and img1 are one), gaze and centre-bias rows on
// the same pairs, the empty annotation and the repeated map left out; the files written and read
// back equal; the errors (a pack without annotations, maps of another size, no annotated pair).
#include "study/localize_fixture.h"

static void settings(study_localize_settings *s) {
    static char data[4096], attr[4096], out[4096];
    loc_path(data, "data");
    loc_path(attr, "attr");
    loc_path(out, "localize");
    study_localize_settings_default(s);
    s->data_dir = data;
    s->n_models = 1;
    s->attr_dir[0] = attr;
    s->name[0] = "m";
    s->out_dir = out;
    s->n_bootstrap = 300;
    s->seed = 7;
}

static const study_localize_item *item(const study_localize_result *r, int source,
                                       const char *image, int label) {
    for (int64_t j = 0; j < r->n_items; j++)
        if (r->items[j].source == source && !strcmp(r->items[j].image, image) &&
            r->items[j].label == label)
            return &r->items[j];
    return NULL;
}

static void check_row(const study_localize_row *row, int64_t n, int64_t n_constant, double miou,
                      double hit, double mass, const char *what) {
    if (!row) fail_msg("%s: no row", what);
    assert_int_equal(row->n, n);
    assert_int_equal(row->n_constant, n_constant);
    assert_close(row->miou, miou, 1e-6, 1e-9, what);
    assert_close(row->hit_rate, hit, 0, 1e-12, what);
    assert_close(row->mass_share, mass, 1e-6, 1e-9, what);
    assert_true(row->miou_lo <= row->miou + 1e-12 && row->miou <= row->miou_hi + 1e-12);
    assert_true(row->hit_lo <= row->hit_rate + 1e-12 && row->hit_rate <= row->hit_hi + 1e-12);
    assert_true(row->mass_lo <= row->mass_share + 1e-12 && row->mass_share <= row->mass_hi + 1e-12);
}

static void scores_by_hand(void **state) {
    (void)state;
    write_localize_fixture("localize_case", 1, LS);
    study_localize_settings s;
    settings(&s);
    study_localize_result r;
    cx_error err;
    if (study_localize(&s, &r, &err)) fail_msg("study_localize: %s", err.msg);
    // Pairs: (img0..img3, Cardiomegaly) and (img4, Edema); img5 has no annotation, (img1,
    // Atelectasis) an empty one; gaze on img0..img3.
    assert_int_equal(r.n_pairs, 5);
    assert_int_equal(r.n_gaze_pairs, 4);
    assert_int_equal(r.n_empty_annotations, 1);
    assert_int_equal(r.n_items, 5 + 4 + 5);
    const struct {
        const char *image;
        int label;
        double iou, hit, mass;
    } want[] = {{"img0", L_CARDIO, 1, 1, 1},
                {"img1", L_CARDIO, 1.0 / 3, 1, 0.5},
                {"img2", L_CARDIO, 0, 0, 0},
                {"img4", L_EDEMA, 1, 1, 1}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        const study_localize_item *it = item(&r, ATTR_SL, want[k].image, want[k].label);
        if (!it) fail_msg("no sl item for %s", want[k].image);
        assert_int_equal(it->constant, 0);
        assert_close(it->iou, want[k].iou, 1e-12, 0, want[k].image);
        assert_close(it->hit, want[k].hit, 0, 0, want[k].image);
        assert_close(it->mass_share, want[k].mass, 1e-7, 0, want[k].image);
        assert_int_equal(it->otsu_t, 0); // two values, 0 and 255: the first cut
    }
    const study_localize_item *c3 = item(&r, ATTR_SL, "img3", L_CARDIO);
    assert_non_null(c3);
    assert_int_equal(c3->constant, 1);
    assert_true(isnan(c3->iou) && isnan(c3->hit) && isnan(c3->mass_share));
    assert_null(item(&r, ATTR_SL, "img5", L_CARDIO));
    assert_null(item(&r, ATTR_SL, "img1", L_ATEL));

    const study_localize_row *rows = r.rows;
    int64_t n = r.n_rows;
    check_row(study_localize_find(rows, n, "m", ATTR_SL, L_CARDIO), 3, 1, 4.0 / 9, 2.0 / 3, 0.5,
              "sl Cardiomegaly");
    check_row(study_localize_find(rows, n, "m", ATTR_SL, L_EDEMA), 1, 0, 1, 1, 1, "sl Edema");
    check_row(study_localize_find(rows, n, "m", ATTR_SL, STUDY_ALL_LABELS), 4, 1, 7.0 / 12, 0.75,
              0.625, "sl all");
    // Gaze = box A on img0..img2 (IoU 1), constant on img3.
    check_row(study_localize_find(rows, n, "-", STUDY_SOURCE_GAZE, L_CARDIO), 3, 1, 1, 1, 1,
              "gaze Cardiomegaly");
    assert_null(study_localize_find(rows, n, "-", STUDY_SOURCE_GAZE, L_EDEMA)); // img4: no gaze
    // Centre bias on all five pairs: its peak (7,7), the first of the four central pixels of
    // 16 x 16, is inside A: hit 1 everywhere; the same map and mask each time.
    const study_localize_row *cb =
        study_localize_find(rows, n, "-", STUDY_SOURCE_CENTRE_BIAS, STUDY_ALL_LABELS);
    assert_non_null(cb);
    assert_int_equal(cb->n, 5);
    assert_close(cb->hit_rate, 1, 0, 0, "centre bias hit");
    assert_close(cb->miou_lo, cb->miou, 1e-12, 1e-12, "one value: a point CI");
    assert_true(cb->miou > 0 && cb->miou < 1);
    // A single pair: the CI is the value itself.
    const study_localize_row *ed = study_localize_find(rows, n, "m", ATTR_SL, L_EDEMA);
    assert_close(ed->miou_lo, 1, 0, 0, "Edema lo");
    assert_close(ed->miou_hi, 1, 0, 0, "Edema hi");
    // The CI resamples patients: img0 and img1 together ({1, 1/3} one cluster, {0} another).
    const double x[3] = {1, 1.0 / 3, 0};
    const int64_t patient[3] = {0, 0, 1};
    stats_ci ci;
    stats_bootstrap_mean_ci_clustered(x, patient, 3, 300, 0.95, 7, &ci);
    const study_localize_row *card = study_localize_find(rows, n, "m", ATTR_SL, L_CARDIO);
    assert_close(card->miou_lo, ci.lo, 1e-12, 1e-12, "clustered lo");
    assert_close(card->miou_hi, ci.hi, 1e-12, 1e-12, "clustered hi");
    // Files: written and read back equal.
    char p[4096];
    loc_path(p, "localize/localize.csv");
    study_localize_row *back;
    int64_t nb;
    if (study_localize_read(p, &back, &nb, &err)) fail_msg("%s", err.msg);
    assert_int_equal(nb, r.n_rows);
    for (int64_t i = 0; i < nb; i++) {
        assert_string_equal(back[i].model, rows[i].model);
        assert_int_equal(back[i].source, rows[i].source);
        assert_int_equal(back[i].label, rows[i].label);
        assert_int_equal(back[i].n, rows[i].n);
        assert_int_equal(back[i].n_constant, rows[i].n_constant);
        assert_close_nan_(back[i].miou, rows[i].miou);
        assert_close_nan_(back[i].miou_lo, rows[i].miou_lo);
        assert_close_nan_(back[i].hit_hi, rows[i].hit_hi);
        assert_close_nan_(back[i].mass_share, rows[i].mass_share);
        assert_true(isnan(back[i].threshold));
        assert_int_equal(back[i].norm.sign, rows[i].norm.sign);
        assert_int_equal(back[i].norm.scale, rows[i].norm.scale);
    }
    free(back);
    loc_path(p, "localize/localize_items.csv");
    study_localize_item *items;
    if (study_localize_items_read(p, &items, &nb, &err)) fail_msg("%s", err.msg);
    assert_int_equal(nb, r.n_items);
    for (int64_t i = 0; i < nb; i++) {
        assert_string_equal(items[i].model, r.items[i].model);
        assert_string_equal(items[i].image, r.items[i].image);
        assert_int_equal(items[i].source, r.items[i].source);
        assert_int_equal(items[i].label, r.items[i].label);
        assert_int_equal(items[i].constant, r.items[i].constant);
        assert_int_equal(items[i].otsu_t, r.items[i].otsu_t);
        assert_close_nan_(items[i].iou, r.items[i].iou);
        assert_close_nan_(items[i].hit, r.items[i].hit);
        assert_close_nan_(items[i].mass_share, r.items[i].mass_share);
    }
    free(items);
    study_localize_result_free(&r);
}

// Two directories (the same one twice, unnamed): two models named "attr" and "attr (2)" with the
// same scores; gaze and centre bias once. A fixed threshold 0.5 on 0/1 maps gives Otsu's masks.
static void two_directories_and_a_fixed_threshold(void **state) {
    (void)state;
    write_localize_fixture("localize_two", 1, LS);
    study_localize_settings s;
    settings(&s);
    s.n_models = 2;
    s.attr_dir[1] = s.attr_dir[0];
    s.name[0] = NULL;
    s.threshold = 0.5;
    s.out_dir = NULL;
    study_localize_result r;
    cx_error err;
    if (study_localize(&s, &r, &err)) fail_msg("study_localize: %s", err.msg);
    assert_string_equal(r.model[0], "attr");
    assert_string_equal(r.model[1], "attr (2)");
    assert_int_equal(r.n_items, 5 + 5 + 4 + 5);
    for (int k = 0; k < 2; k++)
        check_row(study_localize_find(r.rows, r.n_rows, r.model[k], ATTR_SL, STUDY_ALL_LABELS), 4,
                  1, 7.0 / 12, 0.75, 0.625, r.model[k]);
    assert_close(r.rows[0].threshold, 0.5, 0, 0, "threshold recorded");
    for (int64_t j = 0; j < r.n_items; j++)
        assert_int_equal(r.items[j].otsu_t, -1);
    study_localize_result_free(&r);
}

static void errors(void **state) {
    (void)state;
    study_localize_settings s;
    study_localize_result r;
    cx_error err;
    write_localize_fixture("localize_none", 0, LS);
    settings(&s);
    assert_int_equal(study_localize(&s, &r, &err), -1);
    assert_non_null(strstr(err.msg, "no expert annotations"));
    write_localize_fixture("localize_size", 1, 8);
    settings(&s);
    assert_int_equal(study_localize(&s, &r, &err), -1);
    assert_non_null(strstr(err.msg, "16x16"));
    assert_non_null(strstr(err.msg, "sl"));
    // Maps of img5 only (no annotation): no pair.
    write_localize_fixture("localize_nopair", 1, LS);
    char p[4096];
    loc_path(p, "attr/maps.csv");
    FILE *f = fopen(p, "w");
    fprintf(f, "map_row,dicom_id,target,label,positive,probability\n");
    for (int k = 0; k < 8; k++)
        fprintf(f, "%d,img5,%d,%s,1,0.5\n", k, L_CARDIO, CX_LABELS[L_CARDIO]);
    fclose(f);
    settings(&s);
    assert_int_equal(study_localize(&s, &r, &err), -1);
    assert_non_null(strstr(err.msg, "no map"));
    // A bad cell in localize.csv names file, line and column.
    loc_path(p, "bad.csv");
    f = fopen(p, "w");
    fprintf(f, "model,method,label,n,miou,miou_lo,miou_hi,hit_rate,hit_lo,hit_hi,mass_share,"
               "mass_lo,mass_hi,n_constant,threshold,map_sign,map_scale\n"
               "m,sl,Cardiomegaly,3,0.5,0.1,0.9,x,0,1,0.5,0.4,0.6,0,,abs,p98\n");
    fclose(f);
    study_localize_row *rows;
    int64_t n;
    assert_int_equal(study_localize_read(p, &rows, &n, &err), -1);
    assert_non_null(strstr(err.msg, ":2: column \"hit_rate\""));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scores_by_hand),
        cmocka_unit_test(two_directories_and_a_fixed_threshold),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
