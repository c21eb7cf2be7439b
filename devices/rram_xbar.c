/* Resistive RAM (RRAM) crossbar: the crossbar core of xbar.c with the RRAM
 * cell of DNN_NeuroSim V1.3 (Inference_pytorch/NeuroSIM/Param.cpp): R_on 6 kOhm,
 * on/off 150, 1T1R with a 1.5 kOhm access transistor, 128x128 arrays, 5-bit
 * ADCs shared by 8 columns, read at 0.5 V sensed for 1 ns (22 nm), write at
 * 2 V; 1 to 4 bits per cell (1 by default; V1.3's default is 2), bit-serial
 * 8-bit inputs. Write energy per cell as NeuroSim's array write energy, average case
 * half SET / half RESET over R_on and R_off: V_w^2 (G_on + G_off) / 2 t_w.
 * Cycle-to-cycle programming noise 3.5% of the range (MLP_NeuroSim V3.0
 * RealDevice sigmaCtoC). Endurance 1e6 writes (unverified). No drift. */
#include "devices/xbar.h"

#include <math.h>

double xbar_rram_write_pj(double write_v, double g_on_us, double g_off_us, double pulse_ns)
{
    return write_v * write_v * (g_on_us + g_off_us) / 2.0 * pulse_ns * 1e-3;
}

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
     "DNN_NeuroSim V1.3 Param.cpp numRowSubArray = 128"},
    {"cols", SIM_P_INT, "128", "", 1, 65536, NULL,
     "weight columns (outputs); each uses slices x pairs physical columns",
     "DNN_NeuroSim V1.3 Param.cpp numColSubArray = 128"},
    {"weight_bits", SIM_P_INT, "8", "bits", 1, 32, NULL, "weight precision (sign included)",
     "DNN_NeuroSim V1.3 inference.py:31 --wl_weight default 8"},
    {"bits_per_cell", SIM_P_INT, "1", "bits", 1, 4, NULL,
     "bits held by one multi-level cell, 2^bits levels (weights sliced over "
     "ceil(mag_bits / bits_per_cell) cells; programming noise is a fraction of the range, so "
     "noise per level grows as 2^bits - 1)",
     "1-bit cells (NeuroSim's binary-cell setting); range 1..4: DNN_NeuroSim V1.3 Param.cpp:149 "
     "cellBit = 2, inference.py:40 --cellBit default 4"},
    {"differential", SIM_P_BOOL, "true", "", 1, 0, NULL, "G+ and G- columns for the sign",
     "G+/G- pairs for signed weights (brief; NeuroSim uses a reference column instead)"},
    {"input_mode", SIM_P_ENUM, "bitserial", "", 1, 0, "dac|bitserial",
     "inputs through a DAC per row or bit-serial (input_bits pulses)",
     "DNN_NeuroSim V1.3: bit-serial inputs"},
    {"input_bits", SIM_P_INT, "8", "bits", 1, 32, NULL, "DAC bits or bit-serial input bits",
     "DNN_NeuroSim V1.3 inference.py:33 --wl_activate default 8"},
    {"adc_bits", SIM_P_INT, "5", "bits", 0, 32, NULL,
     "ADC resolution; 0 = lossless for one array read: ceil(log2(rows (2^bits_per_cell - 1) + 1))",
     "DNN_NeuroSim V1.3 Param.cpp:148 levelOutput = 32 (5-bit ADC), inference.py:39 "
     "--ADCprecision 5"},
    XBAR_PERIPHERY_PARAMS,
    {"read_voltage_v", SIM_P_REAL, "0.5", "V", 1e-3, 10.0, NULL, "read voltage",
     "DNN_NeuroSim V1.3 Param.cpp readVoltage = 0.5 V"},
    {"g_max_us", SIM_P_REAL, "166.667", "uS", 1e-6, 1e6, NULL, "max conductance",
     "DNN_NeuroSim V1.3 Param.cpp resistanceOn = 6 kOhm"},
    {"g_min_us", SIM_P_REAL, "1.11111", "uS", 0.0, 1e6, NULL, "min conductance (off state)",
     "DNN_NeuroSim V1.3 Param.cpp resistanceOff = 6 kOhm * 150 (on/off 150)"},
    {"g_avg_frac", SIM_P_REAL, "-1", "", -1.0, 1.0, NULL,
     "mean programmed conductance as a fraction of the range (read energy); -1 = codes uniform "
     "over each cell's levels, the side of a differential pair opposite the sign at g_min",
     "uniform codes: the operands of prism op --check (real weights are bell-shaped: fewer high "
     "levels, so this is an upper estimate)"},
    {"write_ns", SIM_P_REAL, "10", "ns", 0.0, 1e9, NULL, "write pulse per cell (set or reset)",
     "unverified: 10 ns, as DNN_NeuroSim V1.3 readPulseWidth (its inference engine has no write "
     "pulse)"},
    {"write_voltage_v", SIM_P_REAL, "2", "V", 0.0, 100.0, NULL, "write voltage",
     "DNN_NeuroSim V1.3 Param.cpp writeVoltage = 2 V"},
    {"write_pj", SIM_P_REAL, "-1", "pJ", -1, 1e9, NULL,
     "write energy per cell; -1 = V_w^2 (g_max + g_min) / 2 x write_ns",
     "NeuroSim array write energy, average case half SET / half RESET with R_on and R_off 50/50 "
     "(DNN_NeuroSim V1.3 SubArray.cpp)"},
    {"endurance", SIM_P_REAL, "1e6", "writes", 1.0, 4e9, NULL, "writes a cell survives",
     "unverified: RRAM endurance 1e6 (REFERENCE.md RRAM row), no NeuroSim parameter"},
    {"prog_noise_frac", SIM_P_REAL, "0.035", "", 0.0, 10.0, NULL,
     "programming noise sigma as a fraction of g_max - g_min",
     "MLP_NeuroSim V3.0 RealDevice sigmaCtoC = 0.035 (Gmax - Gmin)"},
    {"read_noise_frac", SIM_P_REAL, "0", "", 0.0, 10.0, NULL,
     "read noise sigma as a fraction of the cell's conductance, drawn per MVM",
     "MLP_NeuroSim V3.0 RealDevice readNoise off by default (sigmaReadNoise 0.25 when on)"},
    XBAR_DIGITAL_PARAMS,
    {"tiling", SIM_P_BOOL, "false", "", 1, 0, NULL,
     "spread matrices larger than rows x cols over several arrays",
     "DNN_NeuroSim V1.3 maps layers over several subarrays"},
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
    if (cfg->write_pj < 0.0) /* NeuroSim: V_w^2 (G_on + G_off) / 2 t_w; uS * V^2 * ns = 1e-3 pJ */
        cfg->write_pj = xbar_rram_write_pj(sim_param_real(p, "write_voltage_v"), cfg->g_max_us,
                                      cfg->g_min_us, cfg->write_ns);
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
