/* Clements decomposition (Clements et al., Optica 2016) and the SVD photonic
 * core: Haar unitaries and SVD weight matrices are reproduced to 1e-9 (FP64),
 * the mesh has N(N-1)/2 MZIs in N columns, and bad input is refused. */
#include "devices/dev_int.h"

#include <check.h>
#include <complex.h>
#include <math.h>
#include <stdlib.h>

static double max_diff_c(const dev_cplx_t *a, const dev_cplx_t *b, size_t n)
{
    double w = 0.0;
    for (size_t i = 0; i < n; i++)
        if (cabs(a[i] - b[i]) > w)
            w = cabs(a[i] - b[i]);
    return w;
}

START_TEST(test_haar_is_unitary_and_reproduced)
{
    static const size_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 12, 16, 33};
    size_t n = sizes[_i];
    sim_rng_t rng;
    sim_rng_init(&rng, 1234, n);
    dev_cplx_t *U = malloc(n * n * sizeof *U), *R = malloc(n * n * sizeof *R);
    ck_assert_int_eq(dev_haar_unitary(U, n, &rng), 0);
    /* U U^H = I */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            dev_cplx_t dot = 0;
            for (size_t k = 0; k < n; k++)
                dot += U[i * n + k] * conj(U[j * n + k]);
            ck_assert_double_le(cabs(dot - (i == j ? 1.0 : 0.0)), 1e-12);
        }
    dev_clements_t c;
    ck_assert_int_eq(dev_clements_decompose(U, n, &c), 0);
    ck_assert_uint_eq(c.n_mzi, n * (n - 1) / 2);
    /* rectangular mesh: depth N for N >= 3 (N = 2: one MZI) */
    ck_assert_uint_eq(c.depth, n == 1 ? 0 : (n == 2 ? 1 : n));
    for (size_t q = 0; q < c.n_mzi; q++) {
        ck_assert_double_ge(c.mzi[q].theta, 0.0);
        ck_assert_double_le(c.mzi[q].theta, M_PI / 2 + 1e-15);
        ck_assert_double_ge(c.mzi[q].phi, 0.0);
        ck_assert_double_lt(c.mzi[q].phi, 2 * M_PI);
        ck_assert_uint_lt(c.mzi[q].mode + 1, n);
    }
    ck_assert_int_eq(dev_clements_matrix(&c, R), 0);
    ck_assert_double_le(max_diff_c(U, R, n * n), 1e-9);
    dev_clements_free(&c);
    free(U);
    free(R);
}
END_TEST

START_TEST(test_special_unitaries)
{ /* identity, a permutation (swap), and a diagonal phase matrix */
    size_t n = 4;
    dev_cplx_t U[16] = {0}, R[16];
    dev_clements_t c;
    for (int which = 0; which < 3; which++) {
        for (size_t i = 0; i < 16; i++)
            U[i] = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = which == 1 ? n - 1 - i : i;
            U[i * n + j] = which == 2 ? cexp(0.7 * (double)(i + 1) * _Complex_I) : 1.0;
        }
        ck_assert_int_eq(dev_clements_decompose(U, n, &c), 0);
        ck_assert_int_eq(dev_clements_matrix(&c, R), 0);
        ck_assert_double_le(max_diff_c(U, R, 16), 1e-12);
        dev_clements_free(&c);
    }
}
END_TEST

START_TEST(test_non_unitary_refused)
{
    dev_cplx_t U[4] = {1.0, 0.1, 0.0, 1.0};
    dev_clements_t c;
    ck_assert_int_eq(dev_clements_decompose(U, 2, &c), SIM_ERR_CONFIG);
    ck_assert_int_eq(dev_clements_decompose(NULL, 2, &c), SIM_ERR_CONFIG);
    dev_clements_free(&c); /* zeroed on failure: a no-op */
    dev_clements_free(NULL);
}
END_TEST

START_TEST(test_svd_square)
{
    size_t n = 9;
    sim_rng_t rng;
    sim_rng_init(&rng, 99, 0);
    double A[81], U[81], V[81], s[9];
    for (size_t i = 0; i < 81; i++)
        A[i] = sim_rng_next_normal(&rng);
    ck_assert_int_eq(dev_svd_square(A, n, U, s, V), 0);
    for (size_t i = 1; i < n; i++)
        ck_assert_double_ge(s[i - 1], s[i]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double r = 0.0, uu = 0.0, vv = 0.0;
            for (size_t k = 0; k < n; k++) {
                r += U[i * n + k] * s[k] * V[j * n + k];
                uu += U[k * n + i] * U[k * n + j];
                vv += V[k * n + i] * V[k * n + j];
            }
            ck_assert_double_le(fabs(r - A[i * n + j]), 1e-12);
            ck_assert_double_le(fabs(uu - (i == j)), 1e-12);
            ck_assert_double_le(fabs(vv - (i == j)), 1e-12);
        }
    /* Frobenius norm = sqrt(sum s^2) */
    double fa = 0, fs = 0;
    for (size_t i = 0; i < 81; i++)
        fa += A[i] * A[i];
    for (size_t i = 0; i < n; i++)
        fs += s[i] * s[i];
    ck_assert_double_le(fabs(fa - fs), 1e-10 * fa);
}
END_TEST

/* W as the mesh implements it: s_max * Re(out) for each unit input. */
static double mesh_error(const double *W, size_t n_out, size_t n_in, size_t n)
{
    dev_svd_mesh_t m;
    ck_assert_int_eq(dev_svd_mesh_program(W, n_out, n_in, n, &m), 0);
    double *a = calloc(n_in, sizeof *a);
    dev_cplx_t *y = malloc(n * sizeof *y);
    double worst = 0.0;
    for (size_t j = 0; j < n_in; j++) {
        for (size_t k = 0; k < n_in; k++)
            a[k] = k == j;
        dev_svd_mesh_apply(&m, a, y, NULL, 0.0);
        for (size_t i = 0; i < n; i++) {
            double want = i < n_out ? W[i * n_in + j] : 0.0;
            double e = cabs(m.s_max * y[i] - want);
            if (e > worst)
                worst = e;
        }
    }
    for (size_t i = 0; i < n; i++) {
        ck_assert_double_ge(m.atten[i], 0.0);
        ck_assert_double_le(m.atten[i], 1.0);
    }
    ck_assert_double_ge(dev_svd_mesh_phase_pi(&m), 0.0);
    dev_svd_mesh_free(&m);
    free(a);
    free(y);
    return worst;
}

START_TEST(test_svd_mesh_reproduces_weights)
{
    static const size_t shapes[][3] = {{16, 16, 16}, {5, 7, 8}, {8, 3, 8}, {1, 16, 16},
                                       {12, 12, 12}, {3, 3, 17}};
    const size_t *sh = shapes[_i];
    sim_rng_t rng;
    sim_rng_init(&rng, 7, _i);
    double *W = malloc(sh[0] * sh[1] * sizeof *W);
    for (size_t i = 0; i < sh[0] * sh[1]; i++)
        W[i] = sim_rng_next_normal(&rng);
    ck_assert_double_le(mesh_error(W, sh[0], sh[1], sh[2]), 1e-9);
    free(W);
}
END_TEST

START_TEST(test_svd_mesh_rank_deficient)
{
    size_t n = 6;
    double W[36], Z[36] = {0};
    for (size_t i = 0; i < n; i++) /* rank 1: outer product */
        for (size_t j = 0; j < n; j++)
            W[i * n + j] = (double)(i + 1) * (0.5 - (double)j);
    ck_assert_double_le(mesh_error(W, n, n, n), 1e-9);
    ck_assert_double_le(mesh_error(Z, n, n, n), 1e-15);
    dev_svd_mesh_t m;
    ck_assert_int_eq(dev_svd_mesh_program(W, 7, 6, 6, &m), SIM_ERR_CONFIG);
    ck_assert_uint_eq(dev_svd_mesh_shifters(16), 2 * (16 * 15 + 16) + 16);
}
END_TEST

START_TEST(test_phase_noise_perturbs)
{ /* sigma > 0 moves the output; the same stream gives the same output */
    size_t n = 8;
    sim_rng_t rng, r1, r2;
    sim_rng_init(&rng, 3, 0);
    dev_cplx_t U[64], x1[8], x2[8], x0[8];
    ck_assert_int_eq(dev_haar_unitary(U, n, &rng), 0);
    dev_clements_t c;
    ck_assert_int_eq(dev_clements_decompose(U, n, &c), 0);
    for (size_t i = 0; i < n; i++)
        x0[i] = x1[i] = x2[i] = 1.0 / sqrt((double)n);
    sim_rng_init(&r1, 5, 1);
    sim_rng_init(&r2, 5, 1);
    dev_clements_apply(&c, x1, &r1, 0.01);
    dev_clements_apply(&c, x2, &r2, 0.01);
    ck_assert_double_eq(max_diff_c(x1, x2, n), 0.0);
    dev_clements_apply(&c, x0, NULL, 0.0);
    double d = max_diff_c(x0, x1, n);
    ck_assert_double_gt(d, 1e-4);
    ck_assert_double_lt(d, 0.5);
    /* the mesh is lossless: power is conserved even with phase errors */
    double p = 0;
    for (size_t i = 0; i < n; i++)
        p += creal(x1[i] * conj(x1[i]));
    ck_assert_double_le(fabs(p - 1.0), 1e-12);
    dev_clements_free(&c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("clements");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_haar_is_unitary_and_reproduced, 0, 10);
    tcase_add_test(tc, test_special_unitaries);
    tcase_add_test(tc, test_non_unitary_refused);
    tcase_add_test(tc, test_svd_square);
    tcase_add_loop_test(tc, test_svd_mesh_reproduces_weights, 0, 6);
    tcase_add_test(tc, test_svd_mesh_rank_deficient);
    tcase_add_test(tc, test_phase_noise_perturbs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
