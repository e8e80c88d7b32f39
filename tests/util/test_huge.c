// util/cx_huge_alloc: 2 MiB-aligned, zero without being written (also where a freed block of the
// same size was dirty: fresh pages, not recycled heap), writable to its last byte, blocks
// disjoint; cx_huge_free(NULL) is a no-op.
#include <stdint.h>

#include "test.h"

#define HUGE_PAGE ((uintptr_t)2 << 20)

static int all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

static void aligned_zero_writable(void **state) {
    (void)state;
    const size_t sizes[] = {0, 1, 4096, HUGE_PAGE - 1, HUGE_PAGE, 3 * HUGE_PAGE + 5};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = cx_huge_alloc(sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % HUGE_PAGE, 0);
        assert_true(all_zero(p, sizes[i]));
        memset(p, 0xA5, sizes[i]);
        if (sizes[i]) assert_int_equal(p[sizes[i] - 1], 0xA5);
        cx_huge_free(p);
    }
    cx_huge_free(NULL);
}

static void fresh_after_free_and_disjoint(void **state) {
    (void)state;
    const size_t n = 5 * HUGE_PAGE / 2;
    for (int round = 0; round < 3; round++) { // dirty, free, again: zero every time
        unsigned char *p = cx_huge_alloc(n);
        assert_true(all_zero(p, n));
        memset(p, 0xFF, n);
        cx_huge_free(p);
    }
    unsigned char *a = cx_huge_alloc(n), *b = cx_huge_alloc(n);
    assert_true(a + n <= b || b + n <= a);
    memset(a, 1, n);
    assert_true(all_zero(b, n));
    cx_huge_free(a);
    cx_huge_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aligned_zero_writable),
        cmocka_unit_test(fresh_after_free_and_disjoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
