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

/* ---- RNS ------------------------------------------------------------------------------ */
static num_rns_t make_rns(const uint32_t *m, int k, int r)
{
    num_rns_t rns;
    char err[256];
    int rc = num_rns_init(&rns, m, k, r, err, sizeof err);
    ck_assert_msg(rc == NUM_OK, "%s", err);
    return rns;
}

START_TEST(test_rns_exhaustive_small)
{
    static const uint32_t sets[][3] = {{3, 4, 5}, {7, 8, 9}, {31, 32, 33}, {63, 64, 65}};
    /* every value of the first three sets, every 13th of the last */
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        num_rns_t rns = make_rns(sets[s], 3, 0);
        num_u128_t M = (num_u128_t)sets[s][0] * sets[s][1] * sets[s][2];
        ck_assert(rns.range == M);
        ck_assert(rns.hi - rns.lo + 1 == (num_i128_t)M);
        uint32_t res[3];
        for (num_i128_t x = rns.lo; x <= rns.hi; x += s == 3 ? 13 : 1) {
            ck_assert_int_eq(num_rns_from_int(&rns, x, res), NUM_OK);
            for (int i = 0; i < 3; i++) /* the residues are x mod m_i */
                ck_assert_uint_eq(
                    res[i],
                    (uint32_t)(((long long)x % (long long)sets[s][i] + sets[s][i]) % sets[s][i]));
            ck_assert(num_rns_to_int_crt(&rns, res) == x);
            ck_assert(num_rns_to_int_mrc(&rns, res) == x);
        }
        ck_assert_int_eq(num_rns_from_int(&rns, rns.hi + 1, res), NUM_ERR_RANGE);
        ck_assert_int_eq(num_rns_from_int(&rns, rns.lo - 1, res), NUM_ERR_RANGE);
    }
    /* every residue tuple of {3,4,5} is some value: 60 distinct decodes */
    num_rns_t rns = make_rns(sets[0], 3, 0);
    int seen[60] = {0};
    for (uint32_t a = 0; a < 3; a++)
        for (uint32_t b = 0; b < 4; b++)
            for (uint32_t c = 0; c < 5; c++) {
                uint32_t res[3] = {a, b, c};
                num_i128_t x = num_rns_to_int_crt(&rns, res);
                ck_assert(x >= rns.lo && x <= rns.hi);
                seen[(int)(x - rns.lo)]++;
            }
    for (int i = 0; i < 60; i++)
        ck_assert_int_eq(seen[i], 1);
}
END_TEST

static num_i128_t rand_i128(uint64_t seed, uint64_t i, int bits)
{
    num_u128_t u = ((num_u128_t)num_rand_u64(seed, 1, i) << 64) | num_rand_u64(seed, 2, i);
    u >>= 128 - bits;
    num_i128_t v = (num_i128_t)u;
    return (num_rand_u64(seed, 3, i) & 1) ? -v : v;
}

START_TEST(test_rns_random_large)
{
    /* four 31-bit primes and a power of two: a 124-bit range */
    const uint32_t m[4] = {2147483647u, 2147483629u, 2147483587u, 1u << 31};
    num_rns_t rns = make_rns(m, 4, 0);
    ck_assert(num_rns_range_bits(&rns) > 123.9 && num_rns_range_bits(&rns) < 124.1);
    uint32_t ra[4], rb[4], rc[4];
    for (uint64_t i = 0; i < 5000; i++) {
        num_i128_t x = rand_i128(9, i, 122);
        ck_assert_int_eq(num_rns_from_int(&rns, x, ra), NUM_OK);
        ck_assert(num_rns_to_int_crt(&rns, ra) == x);
        ck_assert(num_rns_to_int_mrc(&rns, ra) == x);
        /* products and sums against 128-bit integer arithmetic */
        num_i128_t a = rand_i128(10, i, 60), b = rand_i128(11, i, 60);
        ck_assert_int_eq(num_rns_from_int(&rns, a, ra), NUM_OK);
        ck_assert_int_eq(num_rns_from_int(&rns, b, rb), NUM_OK);
        num_rns_mul(&rns, ra, rb, rc);
        ck_assert(num_rns_to_int_crt(&rns, rc) == a * b);
        num_rns_add(&rns, ra, rb, rc);
        ck_assert(num_rns_to_int_mrc(&rns, rc) == a + b);
        /* a MAC chain: a*b + a + b */
        for (int l = 0; l < 4; l++)
            rc[l] = num_mod_mac(num_mod_add(ra[l], rb[l], m[l]), ra[l], rb[l], m[l]);
        ck_assert(num_rns_to_int_crt(&rns, rc) == a * b + a + b);
    }
}
END_TEST

START_TEST(test_rns_every_single_error_corrected)
{
    const uint32_t base[2][3] = {{7, 8, 9}, {15, 16, 17}};
    for (int s = 0; s < 2; s++) {
        uint32_t m[5];
        char err[256];
        memcpy(m, base[s], sizeof base[s]);
        ck_assert_int_eq(num_rns_pick_redundant(base[s], 3, 2, m + 3, err, sizeof err), NUM_OK);
        num_rns_t rns = make_rns(m, 3, 2), det = make_rns(m, 3, 1);
        uint32_t res[5], bad[5];
        /* every value of the small set, every 5th of the larger one */
        for (num_i128_t x = rns.lo; x <= rns.hi; x += s ? 5 : 1) {
            ck_assert_int_eq(num_rns_from_int(&rns, x, res), NUM_OK);
            num_i128_t y;
            int fixed;
            memcpy(bad, res, sizeof res);
            ck_assert_int_eq(num_rns_decode(&rns, bad, &y, &fixed), NUM_OK);
            ck_assert(y == x && fixed == -1);
            for (int i = 0; i < 5; i++)
                for (uint32_t e = 1; e < m[i]; e++) {
                    memcpy(bad, res, sizeof res);
                    bad[i] = (res[i] + e) % m[i];
                    ck_assert_int_eq(num_rns_decode(&rns, bad, &y, &fixed), NUM_OK);
                    ck_assert_msg(y == x && fixed == i, "x=%d i=%d e=%u", (int)x, i, e);
                    ck_assert(!memcmp(bad, res, sizeof res)); /* repaired in place */
                    if (i < 4) { /* one redundant modulus: every fault detected */
                        memcpy(bad, res, sizeof res);
                        bad[i] = (res[i] + e) % m[i];
                        ck_assert_int_eq(num_rns_decode(&det, bad, &y, &fixed), NUM_ERR_RANGE);
                    }
                }
        }
    }
}
END_TEST

START_TEST(test_rns_overflow_never_silent)
{
    const uint32_t m[5] = {7, 8, 9, 11, 13};
    num_rns_t rns = make_rns(m, 3, 2);
    uint32_t ra[5], rb[5], rc[5];
    /* every sum of two legitimate values that leaves the range is flagged */
    long flagged = 0;
    for (num_i128_t a = rns.lo; a <= rns.hi; a += 3)
        for (num_i128_t b = rns.lo; b <= rns.hi; b += 5) {
            num_rns_from_int(&rns, a, ra);
            num_rns_from_int(&rns, b, rb);
            num_rns_add(&rns, ra, rb, rc);
            num_i128_t y;
            int fixed;
            int rc_dec = num_rns_decode(&rns, rc, &y, &fixed);
            if (a + b > rns.hi || a + b < rns.lo) {
                ck_assert_int_eq(rc_dec, NUM_ERR_RANGE);
                flagged++;
            } else {
                ck_assert(rc_dec == NUM_OK && y == a + b && fixed == -1);
            }
        }
    ck_assert(flagged > 1000);
    /* conversion refuses values outside the range */
    ck_assert_int_eq(num_rns_from_int(&rns, 252, ra), NUM_ERR_RANGE);
    ck_assert_int_eq(num_rns_from_int(&rns, -253, ra), NUM_ERR_RANGE);
    ck_assert_int_eq(num_rns_from_int(&rns, -252, ra), NUM_OK);
    /* a GEMM whose dot products could leave the range is refused up front */
    const uint32_t s3[3] = {31, 32, 33};
    num_rns_t r3 = make_rns(s3, 3, 0);
    char err[512];
    ck_assert_int_eq(num_rns_check_gemm(&r3, 17, 6, 6, err, sizeof err), NUM_OK);
    ck_assert_int_eq(num_rns_check_gemm(&r3, 18, 6, 6, err, sizeof err), NUM_ERR_RANGE);
    ck_assert_int_eq(num_rns_check_gemm(&r3, 16, 8, 8, err, sizeof err), NUM_ERR_RANGE);
    ck_assert_msg(strstr(err, "range too small") && strstr(err, "31,32,33") &&
                      strstr(err, "K = 16") && strstr(err, "8-bit x 8-bit"),
                  "%s", err);
    num_gemm_cfg_t cfg = {.arith = NUM_ARITH_RNS, .block = 16, .mant_bits = 8, .rns = r3};
    ck_assert_ptr_null(num_gemm_create(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "range too small"), "%s", err);
    cfg.mant_bits = 0; /* the widest that fits: 16 * 31 * 31 = 15376 <= 16367 */
    num_gemm_t *g = num_gemm_create(&cfg, err, sizeof err);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(num_gemm_config(g)->mant_bits, 6);
    num_gemm_destroy(g);
}
END_TEST

START_TEST(test_rns_validation_messages)
{
    num_rns_t rns;
    char err[256];
    const uint32_t a[3] = {32, 34, 35};
    ck_assert_int_eq(num_rns_init(&rns, a, 3, 0, err, sizeof err), NUM_ERR_ARG);
    ck_assert_msg(strstr(err, "32 and 34 are not coprime (common factor 2)"), "%s", err);
    const uint32_t b[3] = {5, 1, 7};
    ck_assert_int_eq(num_rns_init(&rns, b, 3, 0, err, sizeof err), NUM_ERR_ARG);
    ck_assert_msg(strstr(err, "modulus 1 (position 2) is below 2"), "%s", err);
    const uint32_t c[4] = {31, 32, 33, 29};
    ck_assert_int_eq(num_rns_init(&rns, c, 3, 1, err, sizeof err), NUM_ERR_ARG);
    ck_assert_msg(strstr(err, "redundant modulus 29 is smaller than base modulus 33"), "%s", err);
    ck_assert_int_eq(num_rns_init(&rns, c, 0, 0, err, sizeof err), NUM_ERR_ARG);
    /* selection: 5-bit residues, 15 bits of range */
    uint32_t m[NUM_RNS_MAX];
    int k;
    ck_assert_int_eq(num_rns_select(5, 15.0, m, &k, err, sizeof err), NUM_OK);
    ck_assert_int_eq(k, 4); /* 32, 31, 29 (30 shares 2 with 32), 27 */
    ck_assert_uint_eq(m[0], 32);
    ck_assert_uint_eq(m[1], 31);
    ck_assert_uint_eq(m[2], 29);
    ck_assert_uint_eq(m[3], 27);
    ck_assert_int_eq(num_rns_init(&rns, m, k, 0, err, sizeof err), NUM_OK);
    ck_assert(num_rns_range_bits(&rns) >= 15.0);
    ck_assert_int_eq(num_rns_select(2, 10.0, m, &k, err, sizeof err), NUM_ERR_ARG);
    ck_assert_msg(strstr(err, "reaches 10.0 bits"), "%s", err);
    /* redundant moduli: above the largest base modulus, coprime to all */
    const uint32_t base[3] = {31, 32, 33};
    uint32_t red[2];
    ck_assert_int_eq(num_rns_pick_redundant(base, 3, 2, red, err, sizeof err), NUM_OK);
    ck_assert_uint_eq(red[0], 35);
    ck_assert_uint_eq(red[1], 37);
    ck_assert_int_eq(num_rns_residue_bits(31), 5);
    ck_assert_int_eq(num_rns_residue_bits(32), 5);
    ck_assert_int_eq(num_rns_residue_bits(33), 6);
    ck_assert_uint_eq(num_mod_inv(3, 7), 5);
    ck_assert_uint_eq(num_mod_inv(2, 8), 0);
}
END_TEST

START_TEST(test_mod_mvm)
{
    /* y = W x mod 13 against a direct sum */
    uint32_t W[5 * 7], x[7], y[5];
    for (int i = 0; i < 35; i++)
        W[i] = (uint32_t)(num_rand_u64(1, 0, (uint64_t)i) % 13);
    for (int j = 0; j < 7; j++)
        x[j] = (uint32_t)(num_rand_u64(1, 1, (uint64_t)j) % 13);
    ck_assert_int_eq(num_mod_mvm(13, W, 5, 7, x, y), NUM_OK);
    for (int i = 0; i < 5; i++) {
        long s = 0;
        for (int j = 0; j < 7; j++)
            s += (long)W[i * 7 + j] * x[j];
        ck_assert_uint_eq(y[i], (uint32_t)(s % 13));
    }
    ck_assert_int_eq(num_mod_mvm(1, W, 5, 7, x, y), NUM_ERR_ARG);
    ck_assert_int_eq(num_mod_mvm(70000, W, 5, 7, x, y), NUM_ERR_ARG);
}
END_TEST

/* ---- block floating point ------------------------------------------------------------ */
START_TEST(test_bfp_error_bound)
{
    enum { N = 1000 };
    float x[N], y[N];
    int32_t mant[N], ex[N];
    for (int bits = 2; bits <= 16; bits++)
        for (size_t block = 1; block <= 64; block *= 4) {
            for (int i = 0; i < N; i++) /* magnitudes over 12 decades */
                x[i] = (float)(num_gauss(bits, block, (uint64_t)i) *
                               pow(10.0, 6.0 * (num_uniform(bits, 99, (uint64_t)i) - 0.5)));
            ck_assert_int_eq(num_bfp_encode(x, N, block, bits, mant, ex), NUM_OK);
            ck_assert_int_eq(num_bfp_decode(mant, ex, N, block, y), NUM_OK);
            double q = pow(2, bits - 1) - 1;
            for (size_t b0 = 0; b0 < N; b0 += block) {
                size_t len = N - b0 < block ? N - b0 : block;
                double mx = 0;
                for (size_t i = 0; i < len; i++)
                    mx = fmax(mx, fabs(x[b0 + i]));
                int e = ex[b0 / block];
                ck_assert(mx <= q * ldexp(1, e) && mx > q * ldexp(1, e - 1)); /* least e */
                for (size_t i = 0; i < len; i++) {
                    double err = fabs((double)x[b0 + i] - ldexp(mant[b0 + i], e));
                    ck_assert(abs(mant[b0 + i]) <= (int32_t)q);
                    ck_assert(err <= ldexp(1, e - 1));
                    ck_assert(err < mx / q);
                    /* decode is exact up to float rounding of the mantissa value */
                    ck_assert(fabs(y[b0 + i] - ldexp(mant[b0 + i], e)) <= fabs(y[b0 + i]) * 1e-7);
                }
            }
        }
    float z[3] = {0, 0, 0}, bad[2] = {1, NAN};
    ck_assert_int_eq(num_bfp_encode(z, 3, 2, 8, mant, ex), NUM_OK);
    ck_assert(mant[0] == 0 && ex[0] == 0 && ex[1] == 0);
    ck_assert_int_eq(num_bfp_encode(bad, 2, 2, 8, mant, ex), NUM_ERR_ARG);
    ck_assert_int_eq(num_bfp_encode(z, 3, 0, 8, mant, ex), NUM_ERR_ARG);
    ck_assert_int_eq(num_bfp_encode(z, 3, 2, 1, mant, ex), NUM_ERR_ARG);
}
END_TEST

/* ---- GEMM with transpose flags -------------------------------------------------------- */
/* reference op(A) op(B) in double */
static double ref_elem(int ta, int tb, size_t K, const float *A, size_t lda, const float *B,
                       size_t ldb, size_t i, size_t j)
{
    double s = 0;
    for (size_t k = 0; k < K; k++)
        s += (double)(ta ? A[k * lda + i] : A[i * lda + k]) *
             (double)(tb ? B[j * ldb + k] : B[k * ldb + j]);
    return s;
}

static void fill(float *v, size_t n, uint64_t stream)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)num_gauss(77, stream, i);
}

START_TEST(test_gemm_transposes_fp32_bfp_rns)
{
    const size_t M = 9, N = 11, K = 37;
    float A[64 * 64], B[64 * 64], Cf[128], Cb[128], Cr[128];
    fill(A, sizeof A / sizeof A[0], 1);
    fill(B, sizeof B / sizeof B[0], 2);
    const uint32_t m3[3] = {63, 64, 65};
    num_gemm_cfg_t cf = {.arith = NUM_ARITH_FP32};
    num_gemm_cfg_t cb = {.arith = NUM_ARITH_BFP, .block = 8, .mant_bits = 7};
    num_gemm_cfg_t cr = {.arith = NUM_ARITH_RNS, .block = 8, .mant_bits = 7};
    cr.rns = make_rns(m3, 3, 0);
    char err[256];
    num_gemm_t *gf = num_gemm_create(&cf, err, sizeof err),
               *gb = num_gemm_create(&cb, err, sizeof err),
               *gr = num_gemm_create(&cr, err, sizeof err);
    ck_assert_msg(gf && gb && gr, "%s", err);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            size_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
            for (size_t i = 0; i < 128; i++)
                Cf[i] = Cb[i] = Cr[i] = 1.0f;
            ck_assert_int_eq(num_gemm_run(gf, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.5f, Cf, ldc),
                             0);
            ck_assert_int_eq(num_gemm_run(gb, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.5f, Cb, ldc),
                             0);
            ck_assert_int_eq(num_gemm_run(gr, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.5f, Cr, ldc),
                             0);
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++) {
                    double ref = ref_elem(ta, tb, K, A, lda, B, ldb, i, j);
                    /* fp32: float rounding of K products and sums */
                    ck_assert_double_le(fabs(Cf[i * ldc + j] - 0.5 - ref), 1e-5 * K * 4);
                    /* BFP: each block contributes at most |a| da + |b| db + da db */
                    double bound = 0;
                    for (size_t k0 = 0; k0 < K; k0 += 8) {
                        double ma = 0, mb = 0, sa = 0, sb = 0;
                        for (size_t k = k0; k < K && k < k0 + 8; k++) {
                            double a = ta ? A[k * lda + i] : A[i * lda + k];
                            double b = tb ? B[j * ldb + k] : B[k * ldb + j];
                            ma = fmax(ma, fabs(a));
                            mb = fmax(mb, fabs(b));
                            sa += fabs(a);
                            sb += fabs(b);
                        }
                        double da = ma / 63, db = mb / 63; /* max|x| / q, q = 63 */
                        size_t len = K - k0 < 8 ? K - k0 : 8;
                        bound += sa * db + sb * da + (double)len * da * db;
                    }
                    ck_assert_double_le(fabs(Cb[i * ldc + j] - 0.5 - ref), bound + 1e-6);
                    /* RNS reproduces the BFP integer arithmetic exactly */
                    ck_assert(Cr[i * ldc + j] == Cb[i * ldc + j]);
                }
            for (size_t i = 0; i < M; i++) /* the padding column is left alone */
                ck_assert(Cf[i * ldc + N] == 1.0f && Cr[i * ldc + N] == 1.0f);
        }
    ck_assert_uint_eq(num_gemm_stats(gr)->macs, 4 * M * N * K);
    ck_assert_uint_eq(num_gemm_stats(gr)->residue_macs, 3 * 4 * M * N * K);
    ck_assert_uint_eq(num_gemm_stats(gr)->dot_products, 4 * M * N * 5); /* 5 blocks of K=37 */
    num_gemm_destroy(gf);
    num_gemm_destroy(gb);
    num_gemm_destroy(gr);
    ck_assert_int_eq(num_arith_parse("rns"), NUM_ARITH_RNS);
    ck_assert_int_eq(num_arith_parse("fp16"), -1);
}
END_TEST

/* A device that corrupts residues: adds 1 to modulus (draw % n) of every output. */
static size_t corrupt_one(void *ctx, int mod_index, uint32_t m, size_t k_len, uint32_t *res,
                          size_t n, uint64_t draw)
{
    const int *n_mod = ctx;
    (void)k_len;
    if ((uint64_t)mod_index != draw / (uint64_t)*n_mod % (uint64_t)*n_mod)
        return 0;
    for (size_t i = 0; i < n; i++)
        res[i] = (res[i] + 1) % m;
    return n;
}

START_TEST(test_gemm_redundant_corrects_device_faults)
{
    const size_t M = 6, N = 5, K = 20;
    float A[M * K], B[N * K], Cb[M * N], Cr[M * N];
    fill(A, M * K, 3);
    fill(B, N * K, 4);
    uint32_t m[5] = {31, 32, 33};
    char err[256];
    ck_assert_int_eq(num_rns_pick_redundant(m, 3, 2, m + 3, err, sizeof err), NUM_OK);
    num_gemm_cfg_t cb = {.arith = NUM_ARITH_BFP, .block = 4, .mant_bits = 6};
    num_gemm_cfg_t cr = {
        .arith = NUM_ARITH_RNS, .block = 4, .mant_bits = 6, .residue_noise = corrupt_one};
    int n_mod = 5;
    cr.noise_ctx = &n_mod;
    cr.rns = make_rns(m, 3, 2);
    num_gemm_t *gb = num_gemm_create(&cb, err, sizeof err),
               *gr = num_gemm_create(&cr, err, sizeof err);
    ck_assert_msg(gb && gr, "%s", err);
    ck_assert_int_eq(num_gemm_run(gb, 0, 1, M, N, K, 1, A, K, B, K, 0, Cb, N), 0);
    ck_assert_int_eq(num_gemm_run(gr, 0, 1, M, N, K, 1, A, K, B, K, 0, Cr, N), 0);
    for (size_t i = 0; i < M * N; i++)
        ck_assert(Cr[i] == Cb[i]);
    const num_gemm_stats_t *st = num_gemm_stats(gr);
    ck_assert_uint_eq(st->dot_products, M * N * 5);
    ck_assert_uint_eq(st->corrected, st->dot_products);
    ck_assert_uint_eq(st->residue_errors, st->dot_products); /* one per dot product */
    ck_assert_uint_eq(st->detected, 0);
    num_gemm_destroy(gr);
    /* one redundant modulus: every faulty dot product is detected (and, with
     * no retries, counted, never passed off as good) */
    cr.rns = make_rns(m, 3, 1);
    n_mod = 4;
    gr = num_gemm_create(&cr, err, sizeof err);
    ck_assert_int_eq(num_gemm_run(gr, 0, 1, M, N, K, 1, A, K, B, K, 0, Cr, N), 0);
    st = num_gemm_stats(gr);
    ck_assert_uint_eq(st->detected, st->dot_products); /* redundant-residue faults too */
    ck_assert_uint_eq(st->corrected, 0);
    num_gemm_destroy(gr);
    num_gemm_destroy(gb);
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
    TCase *tr = tcase_create("rns");
    tcase_set_timeout(tr, 60);
    tcase_add_test(tr, test_rns_exhaustive_small);
    tcase_add_test(tr, test_rns_random_large);
    tcase_add_test(tr, test_rns_every_single_error_corrected);
    tcase_add_test(tr, test_rns_overflow_never_silent);
    tcase_add_test(tr, test_rns_validation_messages);
    tcase_add_test(tr, test_mod_mvm);
    suite_add_tcase(s, tr);
    TCase *tb = tcase_create("bfp_gemm");
    tcase_add_test(tb, test_bfp_error_bound);
    tcase_add_test(tb, test_gemm_transposes_fp32_bfp_rns);
    tcase_add_test(tb, test_gemm_redundant_corrects_device_faults);
    suite_add_tcase(s, tb);
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
