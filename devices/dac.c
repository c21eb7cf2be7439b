/* dac: digital-to-analog converter driving a modulator. Energy per conversion
 * scaled from a reference point (default 8 bit, 14 GS/s, 50 mW: entry 1 of
 * Lightening-Transformer's hardware_simulator/hardware/DAC.py) with the
 * bits/rate scaling of devices/dev_int.h: E = E_ref * (2^b/b)/(2^b_ref/b_ref)
 * (cap, as that file scales it; the default), * 2^(b - b_ref) (Walden) or
 * * b / b_ref (linear); E constant in
 * rate up to the reference rate, * f / f_ref above it. Symmetric quantization
 * with a per-vector scale. */
#include "devices/dev_int.h"

static const sim_param_def_t dac_params[] = {
    {"bits", SIM_P_INT, "8", "bits", 1, 16, NULL, "resolution",
     "Lightening-Transformer DAC.py entry 1: 8 bits"},
    {"sample_rate_hz", SIM_P_REAL, "14e9", "Hz", 1.0, 1e12, NULL, "conversion rate per channel",
     "Lightening-Transformer DAC.py entry 1: 14 GS/s"},
    {"ref_bits", SIM_P_INT, "8", "bits", 1, 16, NULL, "resolution of the energy reference point",
     "Lightening-Transformer DAC.py entry 1 (8 bit, 14 GS/s, 50 mW)"},
    {"ref_rate_hz", SIM_P_REAL, "14e9", "Hz", 1.0, 1e12, NULL, "rate of the reference point",
     "Lightening-Transformer DAC.py entry 1: 14 GS/s"},
    {"ref_power_mw", SIM_P_REAL, "50", "mW", 0, 1e6, NULL,
     "power at the reference point (E_ref = P_ref / f_ref = 3.571 pJ)",
     "Lightening-Transformer DAC.py entry 1: 50 mW"},
    {"scaling", SIM_P_ENUM, "cap", "", 0, 0, "walden|linear|cap",
     "bits scaling of energy per conversion: 2^(b-b_ref), b/b_ref or (2^b/b)/(2^b_ref/b_ref); "
     "rate: constant up to ref_rate_hz, linear in f/f_ref above",
     "cap: Lightening-Transformer DAC.py scales its entry as P ~ 2^N/N x f; walden: Walden FOM"},
    {"area_um2", SIM_P_REAL, "11000", "um2", 0, 1e9, NULL,
     "area of one channel at ref_bits; scaled by 2^(bits - ref_bits)",
     "Lightening-Transformer DAC.py entry 1: 11000 um2 (8 bit, 14 GS/s)"},
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
    .desc = {DEV_CAT_PHOTONIC, DEV_OP_BIT(DEV_OP_CONVERT), 0, DEV_MEM_NONE},
    .convert = dev_conv_convert,
    .cost = dev_conv_cost,
    .area = dev_conv_area,
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
