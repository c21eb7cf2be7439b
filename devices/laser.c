/* laser: the light source of a photonic core. Its wall-plug power closes the
 * optical loss budget of the path it feeds (H3PIMAP 2025 / SimPhony:
 * P = n_wavelengths * P_pd_min * 10^(IL_dB / 10) / WPE), never a constant;
 * DEV_OP_CONVERT of m samples keeps it on for m / sample_rate. */
#include "devices/dev_int.h"

#include <string.h>

typedef struct laser {
    dev_base_t base;
    int wavelengths, always_on;
    double rate_hz, power_mw;
    int st_energy, st_power, st_samples;
} laser_t;

static const sim_param_def_t laser_params[] = {
    {"wavelengths", SIM_P_INT, "12", "", 1, 1024, NULL, "WDM wavelengths the laser provides",
     "Lightening-Transformer photonic core: 12 wavelengths"},
    {"pd_sensitivity_dbm", SIM_P_REAL, "-25", "dBm", -100, 30, NULL,
     "optical power each photodetector needs", "Lightening-Transformer default.yaml photo_detector sensitivity -25 dBm"},
    {"loss_db", SIM_P_REAL, "1.2", "dB", 0, 200, NULL,
     "insertion loss from the laser to one photodetector (default: one Mach-Zehnder modulator; "
     "add the loss of the path fed)",
     "Lightening-Transformer default.yaml mzi_modulator insertion_loss 1.2 dB"},
    {"wpe", SIM_P_REAL, "0.2", "", 1e-6, 1, NULL, "wall-plug efficiency (optical out / electrical in)",
     "Lightening-Transformer default.yaml laser wall_plug_eff 0.2"},
    {"sample_rate_hz", SIM_P_REAL, "5e9", "Hz", 1, 1e13, NULL,
     "symbol rate of the core the laser feeds (a convert of m samples = m symbol periods)",
     "Lightening-Transformer photonic core clock, 5 GHz"},
    {"area_um2", SIM_P_REAL, "120000", "um2", 0, 1e10, NULL,
     "area of one laser source; the component has one per wavelength",
     "Lightening-Transformer default.yaml laser 400 x 300 um (one per wavelength: prism's)"},
    {"always_on", SIM_P_BOOL, "false", "", 0, 0, NULL,
     "true: the laser burns its power for the whole run (static power) instead of only "
     "during ops",
     "design choice (gated laser by default)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int laser_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    laser_t *st = state;
    int rc = dev_base_init(c, &st->base);
    if (rc)
        return rc;
    st->wavelengths = (int)sim_param_int(p, "wavelengths");
    st->rate_hz = sim_param_real(p, "sample_rate_hz");
    st->always_on = sim_param_bool(p, "always_on");
    st->power_mw = dev_laser_power_mw(sim_param_real(p, "pd_sensitivity_dbm"),
                                      sim_param_real(p, "loss_db"), sim_param_real(p, "wpe"),
                                      st->wavelengths);
    if (st->power_mw < 0.0)
        return sim_comp_fail(c, "laser '%s': bad loss budget (loss_db=%g, wpe=%g)",
                             sim_comp_name(c), sim_param_real(p, "loss_db"),
                             sim_param_real(p, "wpe"));
    st->st_energy = sim_stat(c, "energy.laser", SIM_STAT_ENERGY, "pJ");
    st->st_power = sim_stat(c, "power_mw", SIM_STAT_VALUE, "mW");
    st->st_samples = sim_stat(c, "samples", SIM_STAT_COUNT, "samples");
    if (st->st_energy < 0 || st->st_power < 0 || st->st_samples < 0)
        return sim_comp_fail(c, "out of memory for stats");
    sim_stat_max(c, st->st_power, st->power_mw);
    if (st->always_on)
        sim_static_power_mw(c, st->power_mw);
    return 0;
}

static int laser_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *k)
{
    (void)c;
    const laser_t *st = state;
    memset(k, 0, sizeof *k);
    if (req->kind != DEV_OP_CONVERT)
        return SIM_ERR_CONFIG;
    double t_ps = (double)req->m * 1e12 / st->rate_hz;
    k->issue_cycles = k->cycles = dev_ps_to_cycles(t_ps, st->base.unit.period_ps);
    /* on for m / sample_rate: P [mW] * t [ps] * 1e-3 = pJ */
    k->energy_pj = st->always_on ? 0.0 : st->power_mw * t_ps * 1e-3;
    return 0;
}

static void laser_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    laser_t *st = state;
    if (dev_base_take_fwd(c, &st->base, ev))
        return;
    dev_req_t req;
    if (!dev_take_req(c, ev, DEV_OP_BIT(DEV_OP_CONVERT), &req))
        return;
    dev_cost_t k;
    laser_cost(c, st, &req, &k);
    sim_energy(c, st->st_energy, k.energy_pj);
    sim_stat_add(c, st->st_samples, (double)req.m);
    dev_base_op(c, &st->base, ev, &req, k.issue_cycles, k.cycles, k.energy_pj, 0);
}

static int laser_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n)
{
    (void)err, (void)n;
    dev_area_part(out, "laser",
                  (double)sim_param_int(p, "wavelengths") * sim_param_real(p, "area_um2"));
    return 0;
}

static const dev_ext_t laser_ext = {
    .default_clock_hz = 5e9,
    .default_op = DEV_OP_CONVERT,
    .desc = {DEV_CAT_PHOTONIC, DEV_OP_BIT(DEV_OP_CONVERT), 0, DEV_MEM_NONE},
    .cost = laser_cost,
    .area = laser_area,
};

const sim_model_t dev_laser_model = {
    .name = "laser",
    .doc = "WDM laser whose wall-plug power closes the optical loss budget of its path",
    .state_size = sizeof(laser_t),
    .params = laser_params,
    .init = laser_init,
    .handle = laser_handle,
    .ext = &laser_ext,
};
