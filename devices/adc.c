/* adc: analog-to-digital converter reading a photodetector or a bit line.
 * Energy per conversion scaled from a reference point (default 8 bit, 10 GS/s,
 * 14.8 mW = 1.48 pJ/conversion: the SAR entry of Lightening-Transformer's
 * hardware_simulator/hardware/ADC.py) with the bits/rate scaling of
 * devices/dev_int.h: E = E_ref * b / b_ref (linear, as that file scales its SAR
 * entry; the default) or * 2^(b - b_ref) (Walden) or cap; E constant in
 * rate up to the reference rate, * f / f_ref above it. Symmetric quantization
 * with a per-vector scale. */
#include "devices/dev_int.h"

static const sim_param_def_t adc_params[] = {
    {"bits", SIM_P_INT, "8", "bits", 1, 16, NULL, "resolution",
     "Lightening-Transformer ADC.py entry 1: 8 bits"},
    {"sample_rate_hz", SIM_P_REAL, "10e9", "Hz", 1.0, 1e12, NULL, "conversion rate per channel",
     "Lightening-Transformer ADC.py entry 1: 10 GS/s"},
    {"ref_bits", SIM_P_INT, "8", "bits", 1, 16, NULL, "resolution of the energy reference point",
     "Lightening-Transformer ADC.py entry 1 (SAR, 8 bit, 10 GS/s, 14.8 mW)"},
    {"ref_rate_hz", SIM_P_REAL, "10e9", "Hz", 1.0, 1e12, NULL, "rate of the reference point",
     "Lightening-Transformer ADC.py entry 1: 10 GS/s"},
    {"ref_power_mw", SIM_P_REAL, "14.8", "mW", 0, 1e6, NULL,
     "power at the reference point (E_ref = P_ref / f_ref = 1.48 pJ)",
     "Lightening-Transformer ADC.py entry 1: 14.8 mW"},
    {"scaling", SIM_P_ENUM, "linear", "", 0, 0, "walden|linear|cap",
     "bits scaling of energy per conversion: 2^(b-b_ref), b/b_ref or (2^b/b)/(2^b_ref/b_ref); "
     "rate: constant up to ref_rate_hz, linear in f/f_ref above",
     "linear: Lightening-Transformer ADC.py scales its SAR entry as P ~ N x f; walden: Walden "
     "FOM"},
    {"area_um2", SIM_P_REAL, "2850", "um2", 0, 1e9, NULL,
     "area of one channel at ref_bits; scaled by 2^(bits - ref_bits)",
     "Lightening-Transformer ADC.py entry 1: 2850 um2 (8 bit, 10 GS/s SAR)"},
    DEV_CONV_SHARED_PARAMS,
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int adc_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    return dev_conv_init(c, state, p, "energy.adc");
}

static const dev_ext_t adc_ext = {
    .default_clock_hz = 10e9,
    .default_op = DEV_OP_CONVERT,
    .desc = {DEV_CAT_PHOTONIC, DEV_OP_BIT(DEV_OP_CONVERT), 0, DEV_MEM_NONE},
    .convert = dev_conv_convert,
    .cost = dev_conv_cost,
    .area = dev_conv_area,
};

const sim_model_t dev_adc_model = {
    .name = "adc",
    .doc = "analog-to-digital converter: symmetric per-vector quantization, energy per "
           "conversion scaled from a reference point",
    .state_size = sizeof(dev_conv_t),
    .params = adc_params,
    .init = adc_init,
    .handle = dev_conv_handle,
    .ext = &adc_ext,
};
