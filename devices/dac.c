/* dac: digital-to-analog converter driving a modulator. Energy per conversion
 * scaled from a reference point (default 8 bit, 14 GS/s, 50 mW: photonic
 * accelerator papers) with the bits/rate scaling of devices/dev_int.h:
 * E = E_ref * 2^(b - b_ref) (Walden) or * b / b_ref (linear); E constant in
 * rate up to the reference rate, * f / f_ref above it. Symmetric quantization
 * with a per-vector scale. */
#include "devices/dev_int.h"

static const sim_param_def_t dac_params[] = {
    {"bits", SIM_P_INT, "8", "bits", 1, 16, NULL, "resolution",
     "8-bit DAC (photonic accelerator papers)"},
    {"sample_rate_hz", SIM_P_REAL, "14e9", "Hz", 1.0, 1e12, NULL, "conversion rate per channel",
     "14 GS/s (photonic accelerator papers)"},
    {"ref_bits", SIM_P_INT, "8", "bits", 1, 16, NULL, "resolution of the energy reference point",
     "DAC 8 bit, 14 GS/s, 50 mW"},
    {"ref_rate_hz", SIM_P_REAL, "14e9", "Hz", 1.0, 1e12, NULL, "rate of the reference point",
     "DAC 8 bit, 14 GS/s, 50 mW"},
    {"ref_power_mw", SIM_P_REAL, "50", "mW", 0, 1e6, NULL,
     "power at the reference point (E_ref = P_ref / f_ref = 3.571 pJ)",
     "DAC 8 bit, 14 GS/s, 50 mW (photonic accelerator papers)"},
    DEV_CONV_SHARED_PARAMS,
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int dac_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    return dev_conv_init(c, state, p, "energy.dac");
}

static const dev_ext_t dac_ext = {
    .default_clock_hz = 14e9,
    .default_op = DEV_OP_CONVERT,
    .convert = dev_conv_convert,
    .cost = dev_conv_cost,
};

const sim_model_t dev_dac_model = {
    .name = "dac",
    .doc = "digital-to-analog converter: symmetric per-vector quantization, energy per "
           "conversion scaled from a reference point",
    .state_size = sizeof(dev_conv_t),
    .params = dac_params,
    .init = dac_init,
    .handle = dev_conv_handle,
    .ext = &dac_ext,
};
