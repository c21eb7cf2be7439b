/* Block floating point: a block of values shares one exponent and keeps an
 * integer mantissa each (Drumond et al., "Training DNNs with hybrid block
 * floating point", NeurIPS 2018, is the training use Mirage builds on). */
#include "num/num.h"

#include <math.h>

/* The least e with maxabs <= q 2^e (q = 2^(bits-1) - 1), maxabs > 0 finite. */
static int block_exponent(double maxabs, double q)
{
    int e = (int)ceil(log2(maxabs / q));
    while (ldexp(q, e) < maxabs)
        e++;
    while (ldexp(q, e - 1) >= maxabs)
        e--;
    return e;
}

int num_bfp_encode(const float *x, size_t n, size_t block, int bits, int32_t *mant, int32_t *exp)
{
    if (bits < 2 || bits > 31 || block == 0 || (n && (!x || !mant || !exp)))
        return NUM_ERR_ARG;
    double q = ldexp(1.0, bits - 1) - 1.0;
    for (size_t b0 = 0, bi = 0; b0 < n; b0 += block, bi++) {
        size_t len = n - b0 < block ? n - b0 : block;
        double mx = 0;
        for (size_t i = 0; i < len; i++) {
            double a = fabs((double)x[b0 + i]);
            if (!isfinite(a))
                return NUM_ERR_ARG;
            mx = a > mx ? a : mx;
        }
        if (mx == 0) {
            exp[bi] = 0;
            for (size_t i = 0; i < len; i++)
                mant[b0 + i] = 0;
            continue;
        }
        int e = block_exponent(mx, q);
        exp[bi] = e;
        for (size_t i = 0; i < len; i++) /* |x / 2^e| <= q: no clipping needed */
            mant[b0 + i] = (int32_t)nearbyint(ldexp((double)x[b0 + i], -e));
    }
    return NUM_OK;
}

int num_bfp_decode(const int32_t *mant, const int32_t *exp, size_t n, size_t block, float *out)
{
    if (block == 0 || (n && (!mant || !exp || !out)))
        return NUM_ERR_ARG;
    for (size_t i = 0; i < n; i++)
        out[i] = (float)ldexp((double)mant[i], exp[i / block]);
    return NUM_OK;
}
