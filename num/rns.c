/* Residue number system: moduli selection and validation, forward
 * conversion, reverse conversion by the Chinese remainder theorem and by
 * mixed-radix conversion (Szabo and Tanaka, "Residue Arithmetic and its
 * Applications to Computer Technology", 1967), and single-fault detection and
 * correction with redundant moduli (Barsi and Maestrini, IEEE TC 1973):
 * a code is legitimate when its value over all moduli lies in the base
 * range; a faulty residue i is found as the one whose removal makes it so. */
#include "num/num.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

uint32_t num_mod_inv(uint32_t a, uint32_t m)
{
    /* extended Euclid on signed 64-bit */
    int64_t t = 0, nt = 1, r = m, nr = a % m;
    while (nr) {
        int64_t q = r / nr, tmp = t - q * nt;
        t = nt;
        nt = tmp;
        tmp = r - q * nr;
        r = nr;
        nr = tmp;
    }
    if (r != 1)
        return 0;
    return (uint32_t)(t < 0 ? t + m : t);
}

int num_rns_residue_bits(uint32_t m)
{
    int b = 0;
    while (b < 32 && ((uint64_t)1 << b) < m)
        b++;
    return b;
}

double num_rns_range_bits(const num_rns_t *rns)
{
    return log2((double)rns->range);
}

static uint32_t mod_u128(num_u128_t x, uint32_t m)
{
    return (uint32_t)(x % m);
}

int num_rns_init(num_rns_t *rns, const uint32_t *moduli, int k, int r, char *err, size_t errlen)
{
    if (!rns || !moduli || k < 1 || r < 0 || k + r > NUM_RNS_MAX)
        return fail(err, errlen, NUM_ERR_ARG,
                    "a moduli set has 1 to %d moduli (got %d base + %d redundant)", NUM_RNS_MAX, k,
                    r);
    memset(rns, 0, sizeof *rns);
    int n = k + r;
    for (int i = 0; i < n; i++)
        if (moduli[i] < 2)
            return fail(err, errlen, NUM_ERR_ARG, "modulus %u (position %d) is below 2", moduli[i],
                        i + 1);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            uint64_t g = gcd64(moduli[i], moduli[j]);
            if (g != 1)
                return fail(err, errlen, NUM_ERR_ARG,
                            "moduli %u and %u are not coprime (common factor %llu)", moduli[i],
                            moduli[j], (unsigned long long)g);
        }
    uint32_t base_max = 0;
    for (int i = 0; i < k; i++)
        base_max = moduli[i] > base_max ? moduli[i] : base_max;
    for (int i = k; i < n; i++)
        if (moduli[i] < base_max)
            return fail(err, errlen, NUM_ERR_ARG,
                        "redundant modulus %u is smaller than base modulus %u: fault "
                        "detection needs every redundant modulus >= every base modulus",
                        moduli[i], base_max);
    num_u128_t prod = 1, limit = (num_u128_t)1 << 126;
    for (int i = 0; i < n; i++) {
        if (prod > limit / moduli[i])
            return fail(err, errlen, NUM_ERR_ARG,
                        "the product of the moduli reaches 2^126 (the limit of 128-bit "
                        "conversion)");
        prod *= moduli[i];
    }
    rns->k = k;
    rns->r = r;
    rns->n = n;
    memcpy(rns->m, moduli, (size_t)n * sizeof *moduli);
    rns->range_all = prod;
    num_u128_t M = 1;
    for (int i = 0; i < k; i++)
        M *= moduli[i];
    rns->range = M;
    rns->lo = -(num_i128_t)(M / 2);
    rns->hi = (num_i128_t)(M - 1 - M / 2);
    for (int i = 0; i < k; i++) {
        rns->base_mi[i] = M / moduli[i];
        rns->base_mi_inv[i] = num_mod_inv(mod_u128(rns->base_mi[i], moduli[i]), moduli[i]);
    }
    /* CRT constants over all moduli but d (d = n: all of them) */
    for (int d = 0; d <= n; d++) {
        num_u128_t P = d == n ? prod : prod / moduli[d];
        rns->crt_prod[d] = P;
        for (int i = 0; i < n; i++) {
            if (i == d)
                continue;
            rns->crt_mi[d][i] = P / moduli[i];
            rns->crt_inv[d][i] = num_mod_inv(mod_u128(rns->crt_mi[d][i], moduli[i]), moduli[i]);
        }
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            rns->mrc_inv[i][j] = i == j ? 0 : num_mod_inv(moduli[i] % moduli[j], moduli[j]);
    for (int i = 0; i < n; i++)
        rns->offset[i] = mod_u128(M / 2, moduli[i]);
    return NUM_OK;
}

double num_rns_gemm_range_bits(uint64_t K, int a_bits, int b_bits)
{
    double qa = ldexp(1.0, a_bits - 1) - 1.0, qb = ldexp(1.0, b_bits - 1) - 1.0;
    return log2(2.0 * (double)K * qa * qb + 1.0);
}

static void moduli_text(const num_rns_t *rns, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < rns->k && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%u", i ? "," : "", rns->m[i]);
}

int num_rns_check_gemm(const num_rns_t *rns, uint64_t K, int a_bits, int b_bits, char *err,
                       size_t errlen)
{
    if (a_bits < 2 || a_bits > 32 || b_bits < 2 || b_bits > 32 || K == 0)
        return fail(err, errlen, NUM_ERR_ARG, "operand bits must be 2..32 and K >= 1");
    num_u128_t qa = ((num_u128_t)1 << (a_bits - 1)) - 1, qb = ((num_u128_t)1 << (b_bits - 1)) - 1;
    num_u128_t need = (num_u128_t)K * qa * qb; /* largest |dot product| */
    if ((num_i128_t)need <= rns->hi)
        return NUM_OK;
    char ms[128];
    moduli_text(rns, ms, sizeof ms);
    return fail(err, errlen, NUM_ERR_RANGE,
                "range too small: moduli %s give M = %.0f (signed %.0f..%.0f), but a dot "
                "product of K = %llu terms of %d-bit x %d-bit operands reaches +-%.0f (needs "
                "%.1f bits of range, the set has %.1f)",
                ms, (double)rns->range, (double)rns->lo, (double)rns->hi, (unsigned long long)K,
                a_bits, b_bits, (double)need, num_rns_gemm_range_bits(K, a_bits, b_bits),
                num_rns_range_bits(rns));
}

int num_rns_select(int residue_bits, double range_bits, uint32_t *moduli, int *k, char *err,
                   size_t errlen)
{
    if (residue_bits < 2 || residue_bits > 16 || !(range_bits > 0) || !moduli || !k)
        return fail(err, errlen, NUM_ERR_ARG,
                    "moduli selection needs residue bits 2..16 and a positive range");
    int got = 0;
    double have = 0;
    for (uint32_t c = 1u << residue_bits; c >= 2 && have < range_bits; c--) {
        int ok = 1;
        for (int i = 0; i < got && ok; i++)
            ok = gcd64(c, moduli[i]) == 1;
        if (!ok)
            continue;
        if (got == NUM_RNS_MAX)
            break;
        moduli[got++] = c;
        have += log2((double)c);
    }
    if (have < range_bits)
        return fail(err, errlen, NUM_ERR_ARG,
                    "no set of at most %d pairwise coprime %d-bit moduli reaches %.1f bits of "
                    "range (best: %.1f bits with %d moduli)",
                    NUM_RNS_MAX, residue_bits, range_bits, have, got);
    *k = got;
    return NUM_OK;
}

int num_rns_pick_redundant(const uint32_t *base, int k, int r, uint32_t *out, char *err,
                           size_t errlen)
{
    if (!base || k < 1 || r < 0 || k + r > NUM_RNS_MAX)
        return fail(err, errlen, NUM_ERR_ARG, "at most %d moduli in all (%d base + %d redundant)",
                    NUM_RNS_MAX, k, r);
    uint32_t mx = 0;
    for (int i = 0; i < k; i++)
        mx = base[i] > mx ? base[i] : mx;
    uint32_t c = mx;
    for (int j = 0; j < r; j++) {
        for (;;) {
            if (c == UINT32_MAX)
                return fail(err, errlen, NUM_ERR_ARG, "no redundant modulus left below 2^32");
            c++;
            int ok = 1;
            for (int i = 0; i < k && ok; i++)
                ok = gcd64(c, base[i]) == 1;
            for (int i = 0; i < j && ok; i++)
                ok = gcd64(c, out[i]) == 1;
            if (ok)
                break;
        }
        out[j] = c;
    }
    return NUM_OK;
}

int num_rns_from_int(const num_rns_t *rns, num_i128_t x, uint32_t *res)
{
    if (x < rns->lo || x > rns->hi)
        return NUM_ERR_RANGE;
    for (int i = 0; i < rns->n; i++) {
        num_i128_t r = x % (num_i128_t)rns->m[i];
        res[i] = (uint32_t)(r < 0 ? r + rns->m[i] : r);
    }
    return NUM_OK;
}

static num_i128_t centre(const num_rns_t *rns, num_u128_t X)
{
    return X > (num_u128_t)rns->hi ? (num_i128_t)X - (num_i128_t)rns->range : (num_i128_t)X;
}

/* Below 2^62 every CRT term and partial sum fits 64 bits: the fast path of
 * the GEMM's decoding. */
#define SMALL_RANGE ((num_u128_t)1 << 62)

num_i128_t num_rns_to_int_crt(const num_rns_t *rns, const uint32_t *res)
{
    if (rns->range_all < SMALL_RANGE) {
        uint64_t M = (uint64_t)rns->range, X = 0;
        for (int i = 0; i < rns->k; i++) {
            X += (uint64_t)rns->base_mi[i] * num_mod_mul(res[i], rns->base_mi_inv[i], rns->m[i]);
            if (X >= M)
                X -= M;
        }
        return centre(rns, X);
    }
    num_u128_t M = rns->range, X = 0;
    for (int i = 0; i < rns->k; i++) {
        uint32_t t = num_mod_mul(res[i], rns->base_mi_inv[i], rns->m[i]);
        X += rns->base_mi[i] * t; /* < M: stays below 2M < 2^127 */
        if (X >= M)
            X -= M;
    }
    return centre(rns, X);
}

num_i128_t num_rns_to_int_mrc(const num_rns_t *rns, const uint32_t *res)
{
    uint32_t a[NUM_RNS_MAX];
    num_u128_t X = 0, w = 1;
    for (int j = 0; j < rns->k; j++) {
        uint32_t mj = rns->m[j], t = res[j] % mj;
        for (int i = 0; i < j; i++)
            t = num_mod_mul(num_mod_sub(t, a[i] % mj, mj), rns->mrc_inv[i][j], mj);
        a[j] = t;
        X += (num_u128_t)t * w;
        w *= mj;
    }
    return centre(rns, X);
}

/* CRT over every modulus except `drop` (drop = n: all), of the residues
 * shifted by the offset floor(M/2): a legitimate value gives X < M. */
static num_u128_t crt_shifted(const num_rns_t *rns, const uint32_t *res, int drop)
{
    if (rns->range_all < SMALL_RANGE) {
        uint64_t P = (uint64_t)rns->crt_prod[drop], X = 0;
        for (int i = 0; i < rns->n; i++) {
            if (i == drop)
                continue;
            uint32_t mi = rns->m[i];
            uint32_t v = num_mod_add(res[i], rns->offset[i], mi);
            X += (uint64_t)rns->crt_mi[drop][i] * num_mod_mul(v, rns->crt_inv[drop][i], mi);
            if (X >= P)
                X -= P;
        }
        return X;
    }
    num_u128_t P = rns->crt_prod[drop], X = 0;
    for (int i = 0; i < rns->n; i++) {
        if (i == drop)
            continue;
        uint32_t mi = rns->m[i];
        uint32_t v = num_mod_add(res[i], rns->offset[i], mi);
        X += rns->crt_mi[drop][i] * num_mod_mul(v, rns->crt_inv[drop][i], mi);
        if (X >= P)
            X -= P;
    }
    return X;
}

int num_rns_decode(const num_rns_t *rns, uint32_t *res, num_i128_t *x, int *fixed)
{
    if (fixed)
        *fixed = -1;
    if (rns->r == 0) {
        *x = num_rns_to_int_crt(rns, res);
        return NUM_OK;
    }
    num_i128_t off = (num_i128_t)(rns->range / 2);
    num_u128_t X = crt_shifted(rns, res, rns->n);
    if (X < rns->range) {
        *x = (num_i128_t)X - off;
        return NUM_OK;
    }
    if (rns->r >= 2) {
        int found = -1;
        num_u128_t val = 0;
        for (int d = 0; d < rns->n; d++) {
            num_u128_t Xd = crt_shifted(rns, res, d);
            if (Xd < rns->range) {
                if (found >= 0) {
                    found = -2; /* ambiguous */
                    break;
                }
                found = d;
                val = Xd;
            }
        }
        if (found >= 0) {
            num_i128_t v = (num_i128_t)val - off;
            num_i128_t rr = v % (num_i128_t)rns->m[found];
            res[found] = (uint32_t)(rr < 0 ? rr + rns->m[found] : rr);
            if (fixed)
                *fixed = found;
            *x = v;
            return NUM_OK;
        }
    }
    *x = num_rns_to_int_crt(rns, res);
    return NUM_ERR_RANGE;
}

void num_rns_add(const num_rns_t *rns, const uint32_t *a, const uint32_t *b, uint32_t *out)
{
    for (int i = 0; i < rns->n; i++)
        out[i] = num_mod_add(a[i], b[i], rns->m[i]);
}

void num_rns_mul(const num_rns_t *rns, const uint32_t *a, const uint32_t *b, uint32_t *out)
{
    for (int i = 0; i < rns->n; i++)
        out[i] = num_mod_mul(a[i], b[i], rns->m[i]);
}

int num_mod_mvm(uint32_t m, const uint32_t *W, size_t n_out, size_t n_in, const uint32_t *x,
                uint32_t *y)
{
    return num_mod_gemm(m, n_out, 1, n_in, W, x, y);
}

int num_mod_gemm(uint32_t m, size_t M, size_t N, size_t K, const uint32_t *A, const uint32_t *BT,
                 uint32_t *C)
{
    if (m < 2 || m > NUM_RNS_GEMM_MAX_M)
        return NUM_ERR_ARG;
    /* the modular reduction happens once per dot product (what the phase of
     * light does continuously); when K (m-1)^2 < 2^32 the sum fits 32 bits */
    uint64_t mx = (uint64_t)(m - 1) * (m - 1);
    if (mx == 0 || (uint64_t)K <= 0xffffffffull / mx) {
        for (size_t i = 0; i < M; i++) {
            const uint32_t *a = A + i * K;
            for (size_t j = 0; j < N; j++) {
                const uint32_t *b = BT + j * K;
                uint32_t acc = 0;
                for (size_t k = 0; k < K; k++)
                    acc += a[k] * b[k];
                C[i * N + j] = acc % m;
            }
        }
        return NUM_OK;
    }
    /* products < 2^32: a 64-bit sum of up to 2^32 of them cannot wrap */
    for (size_t i = 0; i < M; i++) {
        const uint32_t *a = A + i * K;
        for (size_t j = 0; j < N; j++) {
            const uint32_t *b = BT + j * K;
            uint64_t acc = 0;
            for (size_t k0 = 0; k0 < K; k0 += (size_t)1 << 32) {
                size_t end = K - k0 > ((size_t)1 << 32) ? k0 + ((size_t)1 << 32) : K;
                for (size_t k = k0; k < end; k++)
                    acc += (uint64_t)a[k] * b[k];
                acc %= m;
            }
            C[i * N + j] = (uint32_t)acc;
        }
    }
    return NUM_OK;
}
