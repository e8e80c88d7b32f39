// stats/metric_names: the map metrics' vocabulary — every name parses back to its metric, the
// selection bits are distinct and select exactly that metric in stats_map_metrics_ex, and
// stats_map_metric_value reads the field the name says; the metrics beyond the pair (sAUC, the
// information gains) are NaN from stats_map_metrics_ex.
#include "test.h"

#include <math.h>

#include "stats/stats.h"

static void names_parse_back(void **state) {
    (void)state;
    const char *want[STATS_N_METRICS] = {"ssim", "cc",  "nss",  "kl",        "sim",
                                         "auc_judd", "emd", "sauc", "ig_centre", "ig_mean_gaze"};
    unsigned all = 0;
    for (int m = 0; m < STATS_N_METRICS; m++) {
        assert_string_equal(stats_metric_name((stats_metric)m), want[m]);
        assert_int_equal(stats_metric_parse(want[m]), m);
        unsigned bit = stats_metric_bit((stats_metric)m);
        assert_int_equal(bit & (bit - 1), 0); // one bit
        assert_int_equal(all & bit, 0);       // not another metric's
        all |= bit;
        if (m == STATS_N_PAIR_METRICS - 1) assert_int_equal(all, STATS_M_ALL); // the pair metrics
    }
    assert_int_equal(all, STATS_M_ALL | STATS_M_SAUC | STATS_M_IG_CENTRE | STATS_M_IG_MEAN_GAZE);
    assert_true(stats_metric_lower_is_better(STATS_KL) && stats_metric_lower_is_better(STATS_EMD));
    assert_false(stats_metric_lower_is_better(STATS_SSIM) ||
                 stats_metric_lower_is_better(STATS_IG_CENTRE));
    assert_int_equal(stats_metric_parse("SSIM"), -1);
    assert_int_equal(stats_metric_parse(""), -1);
}

// Selecting one metric's bit computes that metric only, and the value accessor finds it.
static void bits_select_their_metric(void **state) {
    (void)state;
    enum { H = 8, W = 8 };
    float a[H * W], b[H * W];
    uint8_t fix[H * W] = {0};
    for (int i = 0; i < H * W; i++) {
        a[i] = (float)((i * 7) % 11);
        b[i] = (float)((i * 5) % 13);
    }
    fix[9] = fix[30] = 1;
    stats_map_metrics full;
    stats_map_metrics_compute(a, b, fix, H, W, &full); // min-max, both maps
    const stats_map_norm minmax = {STATS_SIGN_SIGNED, STATS_SCALE_MINMAX};
    for (int m = 0; m < STATS_N_PAIR_METRICS; m++) {
        stats_map_metrics one;
        stats_map_metrics_ex(a, b, fix, H, W, stats_metric_bit((stats_metric)m), 0, minmax, NULL,
                             &one);
        double v = stats_map_metric_value(&one, (stats_metric)m);
        assert_false(isnan(v));
        assert_close(v, stats_map_metric_value(&full, (stats_metric)m), 0, 0,
                     stats_metric_name((stats_metric)m));
        for (int o = 0; o < STATS_N_METRICS; o++)
            if (o != m) assert_true(isnan(stats_map_metric_value(&one, (stats_metric)o)));
    }
    for (int m = STATS_N_PAIR_METRICS; m < STATS_N_METRICS; m++)
        assert_true(isnan(stats_map_metric_value(&full, (stats_metric)m)));
    full.sauc = 0.25, full.ig_centre = 0.5, full.ig_mean_gaze = 0.75;
    assert_close(stats_map_metric_value(&full, STATS_SAUC), 0.25, 0, 0, "sauc field");
    assert_close(stats_map_metric_value(&full, STATS_IG_CENTRE), 0.5, 0, 0, "ig_centre field");
    assert_close(stats_map_metric_value(&full, STATS_IG_MEAN_GAZE), 0.75, 0, 0, "ig_mean_gaze");
    assert_close(stats_map_metric_value(&full, STATS_CC), full.cc, 0, 0, "cc field");
    assert_close(stats_map_metric_value(&full, STATS_AUC_JUDD), full.auc_judd, 0, 0,
                 "auc_judd field");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_parse_back),
        cmocka_unit_test(bits_select_their_metric),
    };
    return cmocka_run_group_tests_name("stats/metric_names", tests, NULL, NULL);
}
