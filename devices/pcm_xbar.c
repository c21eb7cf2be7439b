/* Phase-change memory (PCM) crossbar: the crossbar core of xbar.c with the
 * PCM cell of aihwkit's PCMLikeNoiseModel (Nandakumar et al. 2019 fits):
 * g_max 25 uS, programming noise sigma(g) = 0.263 + 1.965x - 1.173x^2 uS,
 * drift g(t) = g0 (t/t0)^-nu with per-device nu, 1/f read noise; set 150 ns,
 * reset 40 ns, endurance 1e9 writes. */
#include "devices/xbar.h"

#include <math.h>

/* aihwkit PCMLikeNoiseModel: sigma_prog(g) in uS, x = g / g_max */
static double pcm_prog_sigma_us(const xbar_cfg_t *cfg, double g_us)
{
    double xg = g_us / cfg->g_max_us;
    double s = cfg->prog_c0 + cfg->prog_c1 * xg + cfg->prog_c2 * xg * xg;
    return s > 0.0 ? cfg->prog_noise_scale * s : 0.0;
}

static double pcm_program(const xbar_cfg_t *cfg, double g_target_us, sim_rng_t *rng, int noise)
{
    if (!noise)
        return g_target_us;
    double g = g_target_us + pcm_prog_sigma_us(cfg, g_target_us) * sim_rng_next_normal(rng);
    return g > 0.0 ? g : 0.0; /* aihwkit clamps at 0 */
}

/* nu ~ N(nu_mean, nu_std) clipped to [nu_min, nu_max], one per device */
static double pcm_draw_nu(const xbar_cfg_t *cfg, sim_rng_t *rng, int noise)
{
    if (!noise || cfg->nu_std <= 0.0)
        return cfg->nu_mean;
    double nu = cfg->nu_mean + cfg->nu_std * sim_rng_next_normal(rng);
    if (nu < cfg->nu_min)
        nu = cfg->nu_min;
    if (nu > cfg->nu_max)
        nu = cfg->nu_max;
    return nu;
}

static double pcm_read(const xbar_cfg_t *cfg, double g_target_us, double g_prog_us, double nu,
                       double t_s, sim_rng_t *rng, int noise)
{
    double g = g_prog_us;
    if (t_s > cfg->t0_s)
        g *= pow(t_s / cfg->t0_s, -nu);
    /* aihwkit 1/f read noise accumulated between t_read and t:
     * sigma = |g| * Q_s * sqrt(ln((t + t_read) / (2 t_read))),
     * Q_s = min(0.0088 / max(g_target/g_max, 1e-3)^0.65, 0.2) */
    if (noise && cfg->read_noise_scale > 0.0 && t_s > cfg->t_read_s) {
        double xg = fabs(g_target_us) / cfg->g_max_us;
        if (xg < 1e-3)
            xg = 1e-3;
        double q_s = 0.0088 / pow(xg, 0.65);
        if (q_s > 0.2)
            q_s = 0.2;
        double sig = q_s * sqrt(log((t_s + cfg->t_read_s) / (2.0 * cfg->t_read_s)));
        g += fabs(g) * cfg->read_noise_scale * sig * sim_rng_next_normal(rng);
    }
    return g > 0.0 ? g : 0.0;
}

/* E[(t/t0)^-nu] for nu ~ N(m, s): exp(-m L + s^2 L^2 / 2), L = ln(t/t0)
 * (the clip at nu_min/nu_max is 5 sigma away at the defaults and ignored) */
static double pcm_mean_decay(const xbar_cfg_t *cfg, double t_s, int noise)
{
    if (!(t_s > cfg->t0_s))
        return 1.0;
    double l = log(t_s / cfg->t0_s);
    double s = noise ? cfg->nu_std : 0.0;
    return exp(-cfg->nu_mean * l + 0.5 * s * s * l * l);
}

const xbar_cell_ops_t xbar_pcm_cell = {
    .program = pcm_program,
    .draw_nu = pcm_draw_nu,
    .read = pcm_read,
    .mean_decay = pcm_mean_decay,
};

static const sim_param_def_t pcm_params[] = {
    {"rows", SIM_P_INT, "256", "", 1, 65536, NULL, "array rows (inputs)",
     "crossbars of 128-512 rows (NeuroSim / MNSIM)"},
    {"cols", SIM_P_INT, "256", "", 1, 65536, NULL,
     "weight columns (outputs); each uses slices x pairs physical columns",
     "crossbars of 128-512 columns (NeuroSim / MNSIM)"},
    {"weight_bits", SIM_P_INT, "8", "bits", 1, 32, NULL, "weight precision (sign included)",
     "8-bit weights (AIMC letter 2026, REFERENCE.md)"},
    {"bits_per_cell", SIM_P_INT, "8", "bits", 1, 16, NULL,
     "bits held by one cell (8: one analog cell per weight magnitude)",
     "aihwkit maps a weight to one analog conductance pair"},
    {"differential", SIM_P_BOOL, "true", "", 1, 0, NULL, "G+ and G- columns for the sign",
     "aihwkit PCM: differential pair per weight"},
    {"input_mode", SIM_P_ENUM, "dac", "", 1, 0, "dac|bitserial",
     "inputs through a DAC per row or bit-serial (input_bits pulses)",
     "aihwkit: DAC-driven inputs"},
    {"input_bits", SIM_P_INT, "8", "bits", 1, 32, NULL, "DAC bits or bit-serial input bits",
     "8-bit DAC (AIMC letter 2026, REFERENCE.md)"},
    {"adc_bits", SIM_P_INT, "8", "bits", 0, 32, NULL,
     "ADC resolution; 0 = lossless for one array read (rows, bits_per_cell, input_bits)",
     "8-bit ADC (AIMC letter 2026, REFERENCE.md)"},
    XBAR_PERIPHERY_PARAMS,
    {"read_voltage_v", SIM_P_REAL, "0.2", "V", 1e-3, 10.0, NULL, "read voltage",
     "0.2 V: below PCM threshold switching (our choice)"},
    {"g_max_us", SIM_P_REAL, "25", "uS", 1e-6, 1e6, NULL, "max conductance",
     "aihwkit PCMLikeNoiseModel g_max 25 uS"},
    {"g_min_us", SIM_P_REAL, "0", "uS", 0.0, 1e6, NULL, "min conductance (reset state)",
     "aihwkit PCM: 0"},
    {"g_avg_frac", SIM_P_REAL, "-1", "", -1.0, 1.0, NULL,
     "mean programmed conductance as a fraction of the range (read energy); -1 = codes uniform "
     "over each cell's levels, the side of a differential pair opposite the sign at g_min",
     "uniform codes: the operands of prism op --check (an upper estimate for bell-shaped "
     "weights)"},
    {"set_ns", SIM_P_REAL, "150", "ns", 0.0, 1e9, NULL, "set pulse", "aihwkit PCM figures: ~150 ns"},
    {"reset_ns", SIM_P_REAL, "40", "ns", 0.0, 1e9, NULL, "reset pulse",
     "aihwkit PCM figures: ~40 ns"},
    {"set_pj", SIM_P_REAL, "15", "pJ", 0.0, 1e9, NULL, "set energy per cell",
     "I*V*t = 0.1 mA * 1.0 V * 150 ns (Wong et al., Phase Change Memory, Proc. IEEE 2010)"},
    {"reset_pj", SIM_P_REAL, "12", "pJ", 0.0, 1e9, NULL, "reset energy per cell",
     "I*V*t = 0.2 mA * 1.5 V * 40 ns (Wong et al., Phase Change Memory, Proc. IEEE 2010)"},
    {"endurance", SIM_P_REAL, "1e9", "writes", 1.0, 4e9, NULL, "writes a cell survives",
     "PCM endurance ~1e9 (aihwkit PCM figures)"},
    {"prog_c0", SIM_P_REAL, "0.26348", "uS", 0, 1e3, NULL, "programming noise sigma: constant",
     "aihwkit PCMLikeNoiseModel prog_coeff[0]"},
    {"prog_c1", SIM_P_REAL, "1.9650", "uS", -1e3, 1e3, NULL, "programming noise sigma: x term",
     "aihwkit PCMLikeNoiseModel prog_coeff[1]"},
    {"prog_c2", SIM_P_REAL, "-1.1731", "uS", -1e3, 1e3, NULL, "programming noise sigma: x^2 term",
     "aihwkit PCMLikeNoiseModel prog_coeff[2]"},
    {"prog_noise_scale", SIM_P_REAL, "1.0", "", 0.0, 100.0, NULL, "scales programming noise",
     "aihwkit prog_noise_scale"},
    {"read_noise_scale", SIM_P_REAL, "1.0", "", 0.0, 100.0, NULL, "scales the 1/f read noise",
     "aihwkit read_noise_scale"},
    {"t_read_s", SIM_P_REAL, "250e-9", "s", 1e-15, 1.0, NULL, "read duration in the 1/f noise",
     "aihwkit PCMLikeNoiseModel t_read 250 ns"},
    {"nu_mean", SIM_P_REAL, "0.05", "", 0.0, 1.0, NULL, "mean drift exponent",
     "aihwkit PCM drift nu ~0.05"},
    {"nu_std", SIM_P_REAL, "0.01", "", 0.0, 1.0, NULL, "device-to-device std of nu",
     "aihwkit sig_drift ranges 0.008-0.045 with g; 0.01 chosen"},
    {"nu_min", SIM_P_REAL, "0", "", 0.0, 1.0, NULL, "clip nu below", "aihwkit clamps nu >= 0"},
    {"nu_max", SIM_P_REAL, "0.1", "", 0.0, 1.0, NULL, "clip nu above",
     "aihwkit clamps mu_drift <= 0.1"},
    {"t0_s", SIM_P_REAL, "20", "s", 1e-12, 1e12, NULL, "drift reference time",
     "aihwkit PCMLikeNoiseModel t0 = 20 s"},
    {"drift_comp", SIM_P_BOOL, "true", "", 1, 0, NULL,
     "global drift compensation: outputs divided by the expected mean decay",
     "aihwkit InferenceRPUConfig default GlobalDriftCompensation"},
    XBAR_DIGITAL_PARAMS,
    {"tiling", SIM_P_BOOL, "false", "", 1, 0, NULL,
     "spread matrices larger than rows x cols over several arrays",
     "aihwkit splits layers over tiles"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int pcm_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    xbar_state_t *st = state;
    char err[256];
    if (xbar_cfg_load(&st->cfg, "pcm_xbar", p, err, sizeof err))
        return sim_comp_fail(c, "pcm_xbar '%s': %s", sim_comp_name(c), err);
    xbar_cfg_t *cfg = &st->cfg;
    /* one programming = a reset pulse, then a set pulse, row by row */
    cfg->write_ns = sim_param_real(p, "set_ns") + sim_param_real(p, "reset_ns");
    cfg->write_pj = sim_param_real(p, "set_pj") + sim_param_real(p, "reset_pj");
    cfg->prog_c0 = sim_param_real(p, "prog_c0");
    cfg->prog_c1 = sim_param_real(p, "prog_c1");
    cfg->prog_c2 = sim_param_real(p, "prog_c2");
    cfg->prog_noise_scale = sim_param_real(p, "prog_noise_scale");
    cfg->read_noise_scale = sim_param_real(p, "read_noise_scale");
    cfg->t_read_s = sim_param_real(p, "t_read_s");
    cfg->nu_mean = sim_param_real(p, "nu_mean");
    cfg->nu_std = sim_param_real(p, "nu_std");
    cfg->nu_min = sim_param_real(p, "nu_min");
    cfg->nu_max = sim_param_real(p, "nu_max");
    cfg->t0_s = sim_param_real(p, "t0_s");
    cfg->drift_comp = sim_param_bool(p, "drift_comp");
    if (cfg->nu_min > cfg->nu_max)
        return sim_comp_fail(c, "pcm_xbar '%s': nu_min %g > nu_max %g", sim_comp_name(c),
                             cfg->nu_min, cfg->nu_max);
    return xbar_init(c, st, &xbar_pcm_cell);
}

const sim_model_t dev_pcm_xbar_model = {
    .name = "pcm_xbar",
    .doc = "PCM crossbar: bit-sliced differential weights, DAC/bit-serial inputs, shared ADCs, "
           "programming noise, drift, 1/f read noise, endurance (aihwkit PCM)",
    .state_size = sizeof(xbar_state_t),
    .params = pcm_params,
    .init = pcm_init,
    .handle = xbar_handle,
    .destroy = xbar_destroy,
    .ext = &xbar_ext,
};
