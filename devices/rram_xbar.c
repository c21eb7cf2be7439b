/* Resistive RAM (RRAM) crossbar: the crossbar core of xbar.c with NeuroSim's
 * RRAM cell: R_on 6 kOhm, on/off 17, 1 bit per cell, bit-serial 8-bit inputs,
 * 5-bit ADCs shared by 8 columns, read 10 ns at 0.5 V (~0.1 pJ per cell), write
 * 10 ns / 0.6 pJ per cell, endurance 1e6 writes, cycle-to-cycle programming
 * noise 3.5% of the conductance range. No drift. */
#include "devices/xbar.h"

#include <math.h>

static double rram_program(const xbar_cfg_t *cfg, double g_target_us, sim_rng_t *rng, int noise)
{
    if (!noise || cfg->prog_noise_frac <= 0.0)
        return g_target_us;
    double g = g_target_us + cfg->prog_noise_frac * (cfg->g_max_us - cfg->g_min_us) *
                                 sim_rng_next_normal(rng);
    /* the cell stays between its off and on states */
    if (g < cfg->g_min_us)
        g = cfg->g_min_us;
    if (g > cfg->g_max_us)
        g = cfg->g_max_us;
    return g;
}

static double rram_read(const xbar_cfg_t *cfg, double g_target_us, double g_prog_us, double nu,
                        double t_s, sim_rng_t *rng, int noise)
{
    (void)g_target_us, (void)nu, (void)t_s;
    if (!noise || cfg->read_noise_frac <= 0.0)
        return g_prog_us;
    double g = g_prog_us + fabs(g_prog_us) * cfg->read_noise_frac * sim_rng_next_normal(rng);
    return g > 0.0 ? g : 0.0;
}

const xbar_cell_ops_t xbar_rram_cell = {
    .program = rram_program,
    .draw_nu = NULL,
    .read = rram_read,
    .mean_decay = NULL,
};

static const sim_param_def_t rram_params[] = {
    {"rows", SIM_P_INT, "128", "", 1, 65536, NULL, "array rows (inputs)",
     "NeuroSim numRowSubArray = 128"},
    {"cols", SIM_P_INT, "128", "", 1, 65536, NULL,
     "weight columns (outputs); each uses slices x pairs physical columns",
     "NeuroSim numColSubArray = 128"},
    {"weight_bits", SIM_P_INT, "8", "bits", 1, 32, NULL, "weight precision (sign included)",
     "8-bit weights (AIMC letter 2026, REFERENCE.md)"},
    {"bits_per_cell", SIM_P_INT, "1", "bits", 1, 16, NULL,
     "bits held by one cell (weights sliced over ceil(mag_bits / bits_per_cell) cells)",
     "NeuroSim cellBit = 1"},
    {"differential", SIM_P_BOOL, "true", "", 1, 0, NULL, "G+ and G- columns for the sign",
     "G+/G- pairs for signed weights (brief; NeuroSim uses a reference column instead)"},
    {"input_mode", SIM_P_ENUM, "bitserial", "", 1, 0, "dac|bitserial",
     "inputs through a DAC per row or bit-serial (input_bits pulses)",
     "NeuroSim: bit-serial inputs"},
    {"input_bits", SIM_P_INT, "8", "bits", 1, 32, NULL, "DAC bits or bit-serial input bits",
     "NeuroSim numBitInput = 8"},
    {"adc_bits", SIM_P_INT, "5", "bits", 1, 32, NULL, "ADC resolution",
     "NeuroSim levelOutput = 32 (5-bit ADC)"},
    XBAR_PERIPHERY_PARAMS,
    {"read_voltage_v", SIM_P_REAL, "0.5", "V", 1e-3, 10.0, NULL, "read voltage",
     "NeuroSim readVoltage 0.5 V"},
    {"g_max_us", SIM_P_REAL, "166.667", "uS", 1e-6, 1e6, NULL, "max conductance",
     "NeuroSim resistanceOn 6 kOhm"},
    {"g_min_us", SIM_P_REAL, "9.80392", "uS", 0.0, 1e6, NULL, "min conductance (off state)",
     "NeuroSim resistanceOff 6 kOhm * 17"},
    {"g_avg_frac", SIM_P_REAL, "0.25", "", 0.0, 1.0, NULL,
     "mean programmed conductance as a fraction of the range (read energy)",
     "assumption: most slices low; gives 0.12 pJ per cell read at the defaults, NeuroSim ~0.1 pJ"},
        {"write_ns", SIM_P_REAL, "10", "ns", 0.0, 1e9, NULL, "write pulse per cell (set or reset)",
     "NeuroSim: ~10 ns write"},
    {"write_pj", SIM_P_REAL, "0.6", "pJ", 0.0, 1e9, NULL, "write energy per cell",
     "NeuroSim: ~0.6 pJ per write"},
    {"endurance", SIM_P_REAL, "1e6", "writes", 1.0, 4e9, NULL, "writes a cell survives",
     "RRAM endurance 1e6 (NeuroSim)"},
    {"prog_noise_frac", SIM_P_REAL, "0.035", "", 0.0, 10.0, NULL,
     "programming noise sigma as a fraction of g_max - g_min",
     "NeuroSim RealDevice sigmaCtoC = 0.035 (Gmax - Gmin)"},
    {"read_noise_frac", SIM_P_REAL, "0", "", 0.0, 10.0, NULL,
     "read noise sigma as a fraction of the cell's conductance, drawn per MVM",
     "NeuroSim readNoise off by default (its sigmaReadNoise is 0.25 when on)"},
    XBAR_DIGITAL_PARAMS,
    {"tiling", SIM_P_BOOL, "false", "", 1, 0, NULL,
     "spread matrices larger than rows x cols over several arrays",
     "NeuroSim maps layers over several subarrays"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int rram_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    xbar_state_t *st = state;
    char err[256];
    if (xbar_cfg_load(&st->cfg, "rram_xbar", p, err, sizeof err))
        return sim_comp_fail(c, "rram_xbar '%s': %s", sim_comp_name(c), err);
    xbar_cfg_t *cfg = &st->cfg;
    cfg->write_ns = sim_param_real(p, "write_ns");
    cfg->write_pj = sim_param_real(p, "write_pj");
    cfg->prog_noise_frac = sim_param_real(p, "prog_noise_frac");
    cfg->read_noise_frac = sim_param_real(p, "read_noise_frac");
    return xbar_init(c, st, &xbar_rram_cell);
}

const sim_model_t dev_rram_xbar_model = {
    .name = "rram_xbar",
    .doc = "RRAM crossbar: bit-sliced differential weights, bit-serial/DAC inputs, shared ADCs, "
           "programming and read noise, endurance (NeuroSim RRAM)",
    .state_size = sizeof(xbar_state_t),
    .params = rram_params,
    .init = rram_init,
    .handle = xbar_handle,
    .destroy = xbar_destroy,
    .ext = &xbar_ext,
};
