/* Shared device helpers: symmetric per-vector quantization, converter energy
 * scaled from a reference point (Walden FOM 2^b; Murmann ADC survey: flat
 * energy per conversion below the speed corner, ~linear in f above it), and
 * laser power from the optical loss budget (SimPhony, H3PIMAP 2025). */
#include "devices/dev_int.h"

#include <math.h>
#include <string.h>

double dev_max_abs(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(x[i]);
        if (a > m)
            m = a;
    }
    return m;
}

double dev_quant_step(int bits, double scale)
{
    if (bits < 1 || bits > 52 || !(scale >= 0.0))
        return -1.0;
    if (bits == 1)
        return scale;
    double levels = ldexp(1.0, bits - 1) - 1.0;
    return scale / levels;
}

int dev_quantize(const double *in, double *out, size_t n, int bits, double scale)
{
    if (bits < 1 || bits > 52 || !(scale >= 0.0) || (n > 0 && (!in || !out)))
        return SIM_ERR_CONFIG;
    double fs = scale > 0.0 ? scale : dev_max_abs(in, n);
    if (fs == 0.0 || !isfinite(fs)) {
        for (size_t i = 0; i < n; i++)
            out[i] = isfinite(fs) ? 0.0 : in[i];
        return isfinite(fs) ? 0 : SIM_ERR_CONFIG;
    }
    if (bits == 1) { /* sign only: +-fs, 0 stays 0 */
        for (size_t i = 0; i < n; i++)
            out[i] = in[i] > 0.0 ? fs : (in[i] < 0.0 ? -fs : 0.0);
        return 0;
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
    return 0;
}

int dev_conv_scaling_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "walden") == 0)
        return DEV_CONV_WALDEN;
    if (strcmp(name, "linear") == 0)
        return DEV_CONV_LINEAR;
    return -1;
}

static double conv_energy(int bits, double rate_hz, int ref_bits, double ref_rate, double ref_pj,
                          int scaling)
{
    if (bits < 1 || ref_bits < 1 || !(rate_hz > 0.0) || !(ref_rate > 0.0) || !(ref_pj >= 0.0))
        return -1.0;
    double bit_factor;
    switch (scaling) {
    case DEV_CONV_WALDEN:
        bit_factor = ldexp(1.0, bits - ref_bits);
        break;
    case DEV_CONV_LINEAR:
        bit_factor = (double)bits / (double)ref_bits;
        break;
    default:
        return -1.0;
    }
    double rate_factor = rate_hz > ref_rate ? rate_hz / ref_rate : 1.0;
    return ref_pj * bit_factor * rate_factor;
}

double dev_adc_energy_pj(int bits, double rate_hz, int ref_bits, double ref_rate, double ref_pj,
                         int scaling)
{
    return conv_energy(bits, rate_hz, ref_bits, ref_rate, ref_pj, scaling);
}

double dev_dac_energy_pj(int bits, double rate_hz, int ref_bits, double ref_rate, double ref_pj,
                         int scaling)
{
    return conv_energy(bits, rate_hz, ref_bits, ref_rate, ref_pj, scaling);
}

double dev_dbm_to_mw(double dbm)
{
    return pow(10.0, dbm / 10.0);
}

double dev_mw_to_dbm(double mw)
{
    return 10.0 * log10(mw);
}

double dev_laser_power_mw(double pd_sens_dbm, double loss_db, double wpe, int n_wavelengths)
{
    if (!(wpe > 0.0 && wpe <= 1.0) || !(loss_db >= 0.0) || n_wavelengths < 1 ||
        !isfinite(pd_sens_dbm))
        return -1.0;
    return (double)n_wavelengths * dev_dbm_to_mw(pd_sens_dbm + loss_db) / wpe;
}
