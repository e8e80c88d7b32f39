// nn/bench: nn_bench on a tiny input (32x32, batch 2, one timed step per phase): every rate is
// positive and finite, the peak RSS never falls (training's peak <= the end's); an unknown
// architecture is refused naming it.
#include "test.h"

#include "nn/nn.h"

static void tiny_run_measures_every_phase(void **state) {
    (void)state;
    nn_bench_settings s;
    nn_bench_settings_default(&s);
    assert_string_equal(s.arch, "densenet121");
    assert_int_equal(s.size, 224), assert_int_equal(s.batch, 16);
    s.size = 32, s.batch = 2, s.iters = 1, s.warmup = 0;
    nn_bench_result r;
    cx_error err = {0};
    assert_int_equal(nn_bench(&s, &r, &err), 0);
    assert_true(isfinite(r.train_img_s) && r.train_img_s > 0);
    assert_true(isfinite(r.infer_img_s) && r.infer_img_s > 0);
    assert_true(isfinite(r.grad_ms) && r.grad_ms > 0);
    assert_true(r.train_rss_mb > 0 && r.train_rss_mb <= r.peak_rss_mb);
}

static void unknown_arch_refused(void **state) {
    (void)state;
    nn_bench_settings s;
    nn_bench_settings_default(&s);
    s.arch = "densenet7";
    nn_bench_result r;
    cx_error err = {0};
    assert_int_equal(nn_bench(&s, &r, &err), -1);
    assert_non_null(strstr(err.msg, "densenet7"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tiny_run_measures_every_phase),
        cmocka_unit_test(unknown_arch_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
