/* mrr_bank: a microring weight bank (WDM broadcast-and-weight): input j rides
 * wavelength j, every row waveguide carries all of them past one ring per
 * weight, a balanced photodetector sums the row (weights in [-1, 1]).
 * Ring modulator 42 fJ per symbol, thermal tuning 1.2 mW per ring (Lightening-
 * Transformer device table, default.yaml mrr_modulator), charged by the one
 * hold rule of dev_int.h; optional adjacent-channel crosstalk from the ring's
 * Lorentzian line (Q, channel spacing) or a fixed figure; laser from the
 * loss budget; bank size limited by the wavelengths per waveguide. */
#include "devices/dev_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct mrr {
    dev_base_t base;
    dev_pio_t io;
    int rows, cols, tiling, passes;
    double kappa, settle_ps, tuning_mw, mod_fj_per_symbol;
    double loss_db, laser_mw, t_prop_ps, t_first_ps, interval_ps, e_mod_symbol_pj;
    uint32_t weight_id;
    int loaded;
    dev_pio_stats_t stats;
    int st_kappa;
} mrr_t;

static const sim_param_def_t mrr_params[] = {
    {"rows", SIM_P_INT, "12", "", 1, 4096, NULL, "outputs (row waveguides, balanced PDs)",
     "Lightening-Transformer core: 12x12 per wavelength"},
    {"cols", SIM_P_INT, "12", "", 1, 1024, NULL, "inputs = wavelengths per row waveguide",
     "Lightening-Transformer core: 12 wavelengths"},
    {"max_wavelengths", SIM_P_INT, "16", "", 1, 1024, NULL,
     "bank size limit: wavelengths one waveguide can carry (FSR / channel spacing)",
     "unverified: 16 channels (0.8 nm spacing in a ~13 nm FSR), no paper named"},
    {"tiling", SIM_P_BOOL, "false", "", 0, 0, NULL,
     "run larger matrices as rows x cols tiles (retuning per tile, digital partial sums); "
     "false: error",
     "design choice"},
    {"signed_inputs", SIM_P_BOOL, "true", "", 0, 0, NULL,
     "signed inputs take two passes (positive then negative part, subtracted by the integrating "
     "receiver); false: inputs are intensities (one pass)",
     "incoherent intensity encoding cannot carry a sign"},
    {"ring_tuning_mw", SIM_P_REAL, "1.2", "mW", 0, 1e3, NULL,
     "thermal tuning power per ring (held while the bank is on: static)",
     "Lightening-Transformer default.yaml mrr_modulator static_power 1.2 mW"},
    {"tune_settle_us", SIM_P_REAL, "10", "us", 0, 1e6, NULL,
     "time to retune the rings to new weights",
     "unverified: thermo-optic settle, as mzi_mesh to_settle_us (10 us)"},
    {"mod_fj_per_symbol", SIM_P_REAL, "42", "fJ", 0, 1e6, NULL,
     "microring modulator energy per symbol (independent of dac_bits)",
     "Lightening-Transformer default.yaml mrr_modulator energy_per_bit 42, charged per symbol at work_freq "
     "(photonic_crossbar.py cal_modulator_param: independent of the bit width)"},
    {"mod_loss_db", SIM_P_REAL, "1.2", "dB", 0, 100, NULL, "input modulator insertion loss",
     "Lightening-Transformer default.yaml mzi_modulator insertion_loss 1.2 dB (its ring "
     "modulator is 0.95 dB)"},
    {"ring_through_loss_db", SIM_P_REAL, "0.05", "dB", 0, 10, NULL,
     "loss per off-resonance ring a wavelength passes on its row",
     "Lightening-Transformer default.yaml mrr_modulator insertion_loss_uc 0.1 dB is the "
     "uncoupled ring; 0.05 here is a design parameter (unverified)"},
    {"coupler_loss_db", SIM_P_REAL, "0", "dB", 0, 100, NULL,
     "fiber-to-chip coupling loss of the path (0: laser on chip)", "design parameter"},
    {"ring_pitch_um", SIM_P_REAL, "20", "um", 0, 1e5, NULL,
     "ring spacing along a row (propagation length = cols x pitch)", "design parameter"},
    {"group_index", SIM_P_REAL, "4.2", "", 1, 10, NULL, "waveguide group index",
     "silicon strip waveguide at 1550 nm, n_g ~ 4.2"},
    {"crosstalk", SIM_P_ENUM, "none", "", 0, 0, "none|lorentzian|fixed",
     "adjacent-channel crosstalk: off, from the ring Lorentzian (ring_q, channel_spacing_nm), "
     "or crosstalk_db",
     "off by default"},
    {"crosstalk_db", SIM_P_REAL, "20", "dB", 0, 200, NULL,
     "fixed crosstalk suppression: leak = 10^(-dB/10) of each neighbour",
     "design parameter (~20 dB for 100 GHz spacing at Q 1e4)"},
    {"ring_q", SIM_P_REAL, "10000", "", 1, 1e9, NULL, "loaded quality factor of a weight ring",
     "unverified: loaded Q ~1e4, no paper named"},
    {"channel_spacing_nm", SIM_P_REAL, "0.8", "nm", 1e-6, 1e3, NULL, "WDM channel spacing",
     "ITU-T G.694.1 100 GHz grid (0.8 nm at 1550 nm)"},
    {"wavelength_nm", SIM_P_REAL, "1550", "nm", 100, 1e5, NULL, "centre wavelength",
     "C band"},
    DEV_PIO_PARAMS,
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int mrr_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    mrr_t *st = state;
    int rc = dev_base_init(c, &st->base);
    if (rc)
        return rc;
    rc = dev_pio_init(c, &st->io, p);
    if (rc)
        return rc;
    st->rows = (int)sim_param_int(p, "rows");
    st->cols = (int)sim_param_int(p, "cols");
    int max_wl = (int)sim_param_int(p, "max_wavelengths");
    if (st->cols > max_wl)
        return sim_comp_fail(c,
                             "mrr_bank '%s': cols=%d exceeds max_wavelengths=%d per waveguide",
                             sim_comp_name(c), st->cols, max_wl);
    st->tiling = sim_param_bool(p, "tiling");
    st->passes = sim_param_bool(p, "signed_inputs") ? 2 : 1;
    st->tuning_mw = sim_param_real(p, "ring_tuning_mw");
    st->settle_ps = sim_param_real(p, "tune_settle_us") * 1e6;
    st->mod_fj_per_symbol = sim_param_real(p, "mod_fj_per_symbol");
    const char *xt = sim_param_str(p, "crosstalk");
    if (strcmp(xt, "lorentzian") == 0)
        st->kappa = dev_ring_lorentzian(sim_param_real(p, "channel_spacing_nm"),
                                        sim_param_real(p, "wavelength_nm"),
                                        sim_param_real(p, "ring_q"));
    else if (strcmp(xt, "fixed") == 0)
        st->kappa = pow(10.0, -sim_param_real(p, "crosstalk_db") / 10.0);
    else
        st->kappa = 0.0;
    /* loss: modulator + coupling + 1:rows fan-out + the rings a wavelength passes */
    st->loss_db = sim_param_real(p, "mod_loss_db") + sim_param_real(p, "coupler_loss_db") +
                  10.0 * log10((double)st->rows) +
                  (double)st->cols * sim_param_real(p, "ring_through_loss_db");
    st->laser_mw = dev_laser_power_mw(st->io.pd_sens_dbm, st->loss_db, st->io.wpe, st->cols);
    if (st->laser_mw < 0.0)
        return sim_comp_fail(c, "mrr_bank '%s': bad laser budget (wpe=%g)", sim_comp_name(c),
                             st->io.wpe);
    const double c_um_per_ps = 299.792458;
    st->t_prop_ps = (double)st->cols * sim_param_real(p, "ring_pitch_um") *
                    sim_param_real(p, "group_index") / c_um_per_ps;
    st->interval_ps = st->passes * st->io.interval_ps;
    st->t_first_ps = st->io.t_dac_ps + st->passes * st->io.t_mod_ps + st->t_prop_ps +
                     st->io.t_pd_ps + st->io.t_adc_ps;
    st->e_mod_symbol_pj = st->mod_fj_per_symbol * 1e-3; /* per symbol, any dac_bits */
    rc = dev_hold_power(c, (double)st->rows * st->cols * st->tuning_mw);
    if (rc)
        return rc;
    rc = dev_pio_stats_init(c, &st->stats, NULL, st->loss_db, st->laser_mw);
    if (rc)
        return rc;
    st->st_kappa = sim_stat(c, "crosstalk_leak", SIM_STAT_VALUE, "");
    if (st->st_kappa < 0)
        return sim_comp_fail(c, "out of memory for stats");
    sim_stat_max(c, st->st_kappa, st->kappa);
    return 0;
}

static int mrr_fits(sim_comp_t *c, const mrr_t *st, uint64_t n_out, uint64_t n_in)
{
    return dev_pio_fits(c, st->rows, st->cols, st->tiling, n_out, n_in);
}

/* The bank as dev_pio_plan sees it: rows x cols tiles, one vector at a
 * time (two passes each with signed inputs), a retune per weight load. */
static void mrr_core(const mrr_t *st, dev_pio_core_t *core)
{
    *core = (dev_pio_core_t){.rows = (uint64_t)st->rows,
                             .cols = (uint64_t)st->cols,
                             .wavelengths = 1,
                             .t_first_ps = st->t_first_ps,
                             .interval_ps = st->interval_ps,
                             .settle_ps = st->settle_ps,
                             .e_mod_pj = st->e_mod_symbol_pj,
                             .laser_mw = st->laser_mw};
}

static int mrr_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *k)
{
    (void)c;
    const mrr_t *st = state;
    dev_pio_core_t core;
    mrr_core(st, &core);
    return dev_pio_cost(&st->io, &core, req, mrr_fits(NULL, st, req->n, req->k), st->loaded,
                        st->weight_id, st->base.unit.period_ps, k);
}

static void mrr_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    mrr_t *st = state;
    if (dev_base_take_fwd(c, &st->base, ev))
        return;
    dev_req_t req;
    if (!dev_take_req(c, ev, DEV_PIO_OPS, &req))
        return;
    req.flags &= ~(DEV_F_COST_RESIDENT | DEV_F_COST_EMPTY); /* queries only */
    if (mrr_fits(c, st, req.n, req.k))
        return;
    dev_pio_core_t core;
    mrr_core(st, &core);
    dev_pio_run(c, &st->base, &st->io, &st->stats, &core, &st->loaded, &st->weight_id, ev, &req);
}

static int mrr_mvm(sim_comp_t *c, void *state, const double *W, size_t n_out, size_t n_in,
                   const double *x, double *y, const dev_num_ctx_t *ctx)
{
    mrr_t *st = state;
    int rc = mrr_fits(c, st, n_out, n_in);
    if (rc)
        return rc;
    int noisy = ctx && ctx->noise && ctx->rng;
    double pd = noisy && st->io.pd_noise ? st->io.pd_sigma_rel : 0.0;
    size_t R = (size_t)st->rows, C = (size_t)st->cols;
    double *blk = malloc((R * C + R) * sizeof *blk);
    if (!blk)
        return c ? sim_comp_fail(c, "mrr_bank '%s': out of memory", sim_comp_name(c))
                 : SIM_ERR_NOMEM;
    double *part = blk + R * C;
    for (size_t i = 0; i < n_out; i++)
        y[i] = 0.0;
    for (size_t r0 = 0; r0 < n_out; r0 += R)
        for (size_t c0 = 0; c0 < n_in; c0 += C) {
            size_t rows = n_out - r0 < R ? n_out - r0 : R, cols = n_in - c0 < C ? n_in - c0 : C;
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < cols; j++)
                    blk[i * cols + j] = W[(r0 + i) * n_in + c0 + j];
            rc = dev_mrr_mvm_tile(blk, rows, cols, x + c0, part, st->io.dac_bits,
                                  st->io.adc_bits, st->kappa, pd, noisy ? ctx->rng : NULL);
            if (rc) {
                free(blk);
                return c ? sim_comp_fail(c, "mrr_bank '%s': out of memory", sim_comp_name(c))
                         : rc;
            }
            for (size_t i = 0; i < rows; i++)
                y[r0 + i] += part[i];
        }
    free(blk);
    return 0;
}

/* rows x cols weight rings and cols input ring modulators at ring_pitch_um,
 * a driver per weight ring; cols DACs in, rows balanced detectors and ADCs
 * out; the laser. */
static int mrr_area(const sim_params_t *p, dev_area_t *out, char *err, size_t en)
{
    double rows = (double)sim_param_int(p, "rows"), cols = (double)sim_param_int(p, "cols");
    double pitch = sim_param_real(p, "ring_pitch_um");
    dev_area_part(out, "rings", rows * cols * pitch * pitch);
    dev_area_part(out, "modulators", cols * pitch * pitch);
    return dev_pio_area(p, cols, rows, rows * cols, out, err, en);
}

static const dev_ext_t mrr_ext = {
    .default_clock_hz = 5e9,
    .default_op = DEV_OP_MVM,
    .desc = {DEV_CAT_PHOTONIC, DEV_PIO_OPS, 1, DEV_MEM_NONE},
    .mvm = mrr_mvm,
    .cost = mrr_cost,
    .area = mrr_area,
};

const sim_model_t dev_mrr_bank_model = {
    .name = "mrr_bank",
    .doc = "microring weight bank (WDM broadcast-and-weight): one ring per weight, balanced "
           "PDs, tuning power per ring, optional adjacent-channel crosstalk",
    .state_size = sizeof(mrr_t),
    .params = mrr_params,
    .init = mrr_init,
    .handle = mrr_handle,
    .ext = &mrr_ext,
};
