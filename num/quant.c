/* The symmetric uniform quantizer shared by converters (DAC/ADC models),
 * crossbar inputs and the accuracy executors: 2^(bits-1) - 1 levels each
 * side of zero, full scale fixed or taken per vector. */
#include "num/num.h"

#include <math.h>

double num_max_abs(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(x[i]);
        if (a > m)
            m = a;
    }
    return m;
}

double num_quant_step(int bits, double scale)
{
    if (bits < 1 || bits > 52 || !(scale >= 0.0))
        return -1.0;
    if (bits == 1)
        return scale;
    double levels = ldexp(1.0, bits - 1) - 1.0;
    return scale / levels;
}

int num_quantize(const double *in, double *out, size_t n, int bits, double scale)
{
    if (bits < 1 || bits > 52 || !(scale >= 0.0) || (n > 0 && (!in || !out)))
        return NUM_ERR_ARG;
    double fs = scale > 0.0 ? scale : num_max_abs(in, n);
    if (fs == 0.0 || !isfinite(fs)) {
        for (size_t i = 0; i < n; i++)
            out[i] = isfinite(fs) ? 0.0 : in[i];
        return isfinite(fs) ? NUM_OK : NUM_ERR_ARG;
    }
    if (bits == 1) { /* sign only: +-fs, 0 stays 0 */
        for (size_t i = 0; i < n; i++)
            out[i] = in[i] > 0.0 ? fs : (in[i] < 0.0 ? -fs : 0.0);
        return NUM_OK;
    }
    double levels = ldexp(1.0, bits - 1) - 1.0;
    double step = fs / levels;
    for (size_t i = 0; i < n; i++) {
        double q = nearbyint(in[i] / step);
        if (q > levels)
            q = levels;
        else if (q < -levels)
            q = -levels;
        out[i] = q * step;
    }
    return NUM_OK;
}

int num_quantize_rows_f(float *v, size_t rows, size_t n, int bits)
{
    if (bits < 2 || bits > 24 || (rows * n > 0 && !v))
        return NUM_ERR_ARG;
    const float levels = (float)((1 << (bits - 1)) - 1);
    for (size_t r = 0; r < rows; r++) {
        float *vr = v + r * n;
        float maxabs = 0;
        for (size_t i = 0; i < n; i++)
            if (fabsf(vr[i]) > maxabs)
                maxabs = fabsf(vr[i]);
        if (maxabs == 0 || !isfinite(maxabs))
            continue;
        const float step = maxabs / levels;
        for (size_t i = 0; i < n; i++) {
            float q = roundf(vr[i] / step);
            if (q > levels)
                q = levels;
            if (q < -levels)
                q = -levels;
            vr[i] = q * step;
        }
    }
    return NUM_OK;
}
