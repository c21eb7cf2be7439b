/* Private helpers shared by the device models of devices/ (not a public API):
 * the symmetric per-vector quantizer used by DACs/ADCs, converter energy per
 * conversion scaled from a reference point (Murmann ADC survey; Walden FOM),
 * and the laser wall-plug power that closes an optical loss budget (SimPhony). */
#ifndef PRISM_DEV_INT_H
#define PRISM_DEV_INT_H

#include "devices/dev.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symmetric uniform quantizer with 2^(bits-1) - 1 levels on each side of 0
 * (an 8-bit code covers -127..127). The full scale is `scale` (> 0) or, when
 * `scale` is 0, the vector's own max |in[i]| (per-vector scaling). Values
 * beyond the full scale saturate. step = scale / (2^(bits-1) - 1) and every
 * in-range value lands within step/2 of its input. `out` may alias `in`.
 * Returns 0, or SIM_ERR_CONFIG when bits is outside 1..52, scale < 0 or
 * an argument is NULL with n > 0. An all-zero vector with scale 0 gives zeros. */
int dev_quantize(const double *in, double *out, size_t n, int bits, double scale);

/* The step (LSB) dev_quantize uses for `bits` and full scale `scale`;
 * 0 when bits < 2 (1 bit: sign only, step = scale). Negative on bad input. */
double dev_quant_step(int bits, double scale);

/* max |x[i]| (0 for n == 0). */
double dev_max_abs(const double *x, size_t n);

/* How a converter's energy per conversion scales away from its reference
 * point (ref_bits, ref_rate, ref_pj):
 *  - bits: DEV_CONV_WALDEN: E ~ 2^(b - b_ref) (Walden FOM: power/(2^b f) const);
 *          DEV_CONV_LINEAR: E ~ b / b_ref (linear in bits, some SAR fits).
 *  - rate: below or at ref_rate the energy per conversion is constant (power
 *    proportional to rate, the flat region of the Murmann survey); above it
 *    the converter is speed-limited and E grows linearly with f / f_ref
 *    (power ~ f^2), the survey's high-speed asymptote. */
typedef enum { DEV_CONV_WALDEN = 0, DEV_CONV_LINEAR = 1 } dev_conv_scaling_t;

/* "walden" | "linear" -> scaling; -1 when unknown. */
int dev_conv_scaling_parse(const char *name);

/* Energy per conversion in pJ at (bits, rate_hz) given the reference point.
 * Returns a negative value when an argument is out of range (bits < 1,
 * rates <= 0, ref_pj < 0, unknown scaling). */
double dev_adc_energy_pj(int bits, double rate_hz, int ref_bits, double ref_rate,
                         double ref_pj, int scaling);
double dev_dac_energy_pj(int bits, double rate_hz, int ref_bits, double ref_rate,
                         double ref_pj, int scaling);

/* Wall-plug laser power in mW that delivers `pd_sens_dbm` to each
 * photodetector through `loss_db` of insertion loss, per wavelength, for
 * `n_wavelengths` wavelengths:  P = n * 10^((sens + loss) / 10) mW / wpe.
 * (H3PIMAP / SimPhony: P_laser = P_pd_min * 10^(IL/10) / WPE per wavelength.)
 * Returns a negative value when wpe is outside (0, 1], loss_db < 0 or
 * n_wavelengths < 1. */
double dev_laser_power_mw(double pd_sens_dbm, double loss_db, double wpe, int n_wavelengths);

/* dBm <-> mW */
double dev_dbm_to_mw(double dbm);
double dev_mw_to_dbm(double mw);

#ifdef __cplusplus
}
#endif
#endif
