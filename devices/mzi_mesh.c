/* mzi_mesh: an N x N coherent photonic core computing W x through its SVD,
 * W = s_max U A V^T: two Clements meshes (Clements et al., Optica 2016) and a
 * line of attenuator MZIs, fed by DACs + Mach-Zehnder modulators and read by
 * photodetectors + ADCs. An MZI's loss is its phase shifter plus two
 * directional couplers. Shifters: thermo-optic (30 mW/pi, 10 us, 0.25 dB:
 * unverified) or MEMS (2 us, 0.33 dB, no hold power), couplers 0.33 dB each, MZM
 * 450 fJ per symbol, 1.2 dB (Lightening-Transformer device table, default.yaml: MEMS
 * MZI 0.99 dB); laser from the loss budget. Heater power is charged by the one
 * hold rule of dev_int.h (static over the whole run, settles included). */
#include "devices/dev_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct mzi {
    dev_base_t base;
    dev_pio_t io;
    int n, mems, tiling, wavelengths;
    double p_pi_mw, settle_ps, shifter_loss_db, mems_hold_mw, mod_fj_per_symbol, phase_noise_rad;
    /* derived */
    size_t columns, shifters;
    double loss_db, laser_mw, t_prop_ps, t_first_ps, hold_mw, e_mod_symbol_pj;
    uint32_t weight_id;
    int loaded;
    dev_pio_stats_t stats;
    /* numerics cache: the last matrix programmed and its tiles */
    double *cache_w;
    size_t cache_out, cache_in, cache_tiles;
    dev_svd_mesh_t *cache_mesh;
} mzi_t;

static const sim_param_def_t mzi_params[] = {
    {"n", SIM_P_INT, "16", "modes", 1, 1024, NULL, "mesh size N (inputs = outputs = N)",
     "design parameter (issue 3 example: 16)"},
    {"shifter", SIM_P_ENUM, "thermo", "", 0, 0, "thermo|mems",
     "phase shifter type: thermo-optic heaters or MEMS", "REFERENCE.md phase shifter table"},
    {"tiling", SIM_P_BOOL, "false", "", 0, 0, NULL,
     "run matrices larger than N as N x N tiles (reprogramming per tile, partial sums added "
     "digitally); false: error",
     "design choice"},
    {"wavelengths", SIM_P_INT, "1", "", 1, 256, NULL,
     "WDM wavelengths through the mesh: vectors processed in parallel", "single wavelength"},
    {"to_p_pi_mw", SIM_P_REAL, "30", "mW", 0, 1e4, NULL,
     "thermo-optic heater power for a pi phase",
     "unverified: REFERENCE.md thermo-optic shifter row (~30 mW per pi), no paper named"},
    {"to_settle_us", SIM_P_REAL, "10", "us", 0, 1e6, NULL, "thermo-optic settle time",
     "unverified: REFERENCE.md thermo-optic shifter row (~10 us), no paper named"},
    {"to_loss_db", SIM_P_REAL, "0.25", "dB", 0, 100, NULL,
     "insertion loss of one thermo-optic phase shifter (the MZI adds two couplers)",
     "unverified: REFERENCE.md thermo-optic shifter row (0.25 dB), no paper named"},
    {"mems_settle_us", SIM_P_REAL, "2", "us", 0, 1e6, NULL, "MEMS shifter settle time",
     "Lightening-Transformer default.yaml mzi response_time (2 us)"},
    {"mems_loss_db", SIM_P_REAL, "0.33", "dB", 0, 100, NULL,
     "insertion loss of one MEMS phase shifter (the MZI adds two couplers)",
     "Lightening-Transformer default.yaml phase_shifter insertion_loss 0.33 dB"},
    {"dc_loss_db", SIM_P_REAL, "0.33", "dB", 0, 100, NULL,
     "insertion loss of one directional coupler; an MZI has two",
     "Lightening-Transformer default.yaml direction_coupler insertion_loss 0.33 dB (MZI total "
     "0.99 dB with a MEMS shifter)"},
    {"mems_hold_mw", SIM_P_REAL, "0", "mW", 0, 1e4, NULL,
     "hold power per MEMS shifter (electrostatic: near zero)",
     "Lightening-Transformer default.yaml phase_shifter static_power 0"},
    {"mzi_length_um", SIM_P_REAL, "250", "um", 0, 1e6, NULL,
     "length of one MZI column along the light path",
     "design parameter: two couplers + a ~100 um heater, 100-300 um in SiPh meshes"},
    {"group_index", SIM_P_REAL, "4.2", "", 1, 10, NULL, "waveguide group index",
     "silicon strip waveguide at 1550 nm, n_g ~ 4.2"},
    {"mod_fj_per_symbol", SIM_P_REAL, "450", "fJ", 0, 1e6, NULL,
     "Mach-Zehnder modulator energy per symbol (independent of dac_bits)",
     "Lightening-Transformer default.yaml mzi_modulator energy_per_bit 450, charged per symbol at work_freq "
     "(photonic_crossbar.py cal_modulator_param: independent of the bit width)"},
    {"mod_loss_db", SIM_P_REAL, "1.2", "dB", 0, 100, NULL, "modulator insertion loss",
     "Lightening-Transformer default.yaml mzi_modulator insertion_loss 1.2 dB"},
    {"coupler_loss_db", SIM_P_REAL, "0", "dB", 0, 100, NULL,
     "fiber-to-chip coupling loss of the path (0: laser on chip)", "design parameter"},
    {"phase_noise_rad", SIM_P_REAL, "0", "rad", 0, 10, NULL,
     "sigma of the Gaussian error on every theta/phi (numerics)", "off by default"},
    {"mzi_area_um2", SIM_P_REAL, "18000", "um2", 0, 1e9, NULL,
     "footprint of one MZI (shifter + two couplers)",
     "Lightening-Transformer default.yaml mzi 180 x 100 um (the 2 us MEMS entry)"},
    {"mod_area_um2", SIM_P_REAL, "5200", "um2", 0, 1e9, NULL,
     "footprint of one input Mach-Zehnder modulator",
     "Lightening-Transformer default.yaml mzi_modulator 260 x 20 um"},
    DEV_PIO_PARAMS,
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static void mzi_cache_free(mzi_t *st)
{
    for (size_t t = 0; t < st->cache_tiles; t++)
        dev_svd_mesh_free(&st->cache_mesh[t]);
    free(st->cache_mesh);
    free(st->cache_w);
    st->cache_mesh = NULL;
    st->cache_w = NULL;
    st->cache_tiles = st->cache_out = st->cache_in = 0;
}

/* Heater power that holds a programmed mesh (both meshes + attenuators). */
static double mesh_hold_mw(const mzi_t *st, const dev_svd_mesh_t *m)
{
    if (st->mems)
        return (double)st->shifters * st->mems_hold_mw;
    return dev_svd_mesh_phase_pi(m) * st->p_pi_mw;
}

static int mzi_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    mzi_t *st = state;
    int rc = dev_base_init(c, &st->base);
    if (rc)
        return rc;
    rc = dev_pio_init(c, &st->io, p);
    if (rc)
        return rc;
    st->n = (int)sim_param_int(p, "n");
    st->mems = strcmp(sim_param_str(p, "shifter"), "mems") == 0;
    st->tiling = sim_param_bool(p, "tiling");
    st->wavelengths = (int)sim_param_int(p, "wavelengths");
    st->p_pi_mw = sim_param_real(p, "to_p_pi_mw");
    st->settle_ps = sim_param_real(p, st->mems ? "mems_settle_us" : "to_settle_us") * 1e6;
    /* one MZI: its phase shifter plus two directional couplers */
    st->shifter_loss_db = sim_param_real(p, st->mems ? "mems_loss_db" : "to_loss_db") +
                          2.0 * sim_param_real(p, "dc_loss_db");
    st->mems_hold_mw = sim_param_real(p, "mems_hold_mw");
    st->mod_fj_per_symbol = sim_param_real(p, "mod_fj_per_symbol");
    st->phase_noise_rad = sim_param_real(p, "phase_noise_rad");
    size_t n = (size_t)st->n;
    st->columns = 2 * n + 1; /* V^T mesh, attenuator line, U mesh */
    st->shifters = dev_svd_mesh_shifters(n);
    /* loss budget: MZI columns + modulator + coupling + 1:N fan-out of the laser */
    st->loss_db = (double)st->columns * st->shifter_loss_db + sim_param_real(p, "mod_loss_db") +
                  sim_param_real(p, "coupler_loss_db") + 10.0 * log10((double)n);
    st->laser_mw = dev_laser_power_mw(st->io.pd_sens_dbm, st->loss_db, st->io.wpe,
                                      st->wavelengths);
    if (st->laser_mw < 0.0)
        return sim_comp_fail(c, "mzi_mesh '%s': bad laser budget (wpe=%g)", sim_comp_name(c),
                             st->io.wpe);
    const double c_um_per_ps = 299.792458; /* speed of light */
    st->t_prop_ps = (double)st->columns * sim_param_real(p, "mzi_length_um") *
                    sim_param_real(p, "group_index") / c_um_per_ps;
    st->t_first_ps = st->io.t_dac_ps + st->io.t_mod_ps + st->t_prop_ps + st->io.t_pd_ps +
                     st->io.t_adc_ps;
    st->e_mod_symbol_pj = st->mod_fj_per_symbol * 1e-3; /* per symbol, any dac_bits */
    /* hold power: the timing run carries no weight values, so it is the hold
     * power of a seeded Gaussian matrix programmed on the mesh (for N > 32 the
     * mean phase per shifter of a 32-mode mesh times the shifter count);
     * MEMS: shifters x hold power */
    if (st->mems) {
        st->hold_mw = (double)st->shifters * st->mems_hold_mw;
    } else {
        size_t nr = n > 32 ? 32 : n;
        sim_rng_t rng;
        sim_rng_init(&rng, sim_seed(sim_of(c)), sim_comp_id(c));
        double *w = malloc(nr * nr * sizeof *w);
        dev_svd_mesh_t m;
        if (!w)
            return sim_comp_fail(c, "out of memory");
        for (size_t i = 0; i < nr * nr; i++)
            w[i] = sim_rng_next_normal(&rng);
        rc = dev_svd_mesh_program(w, nr, nr, nr, &m);
        free(w);
        if (rc)
            return sim_comp_fail(c, "mzi_mesh '%s': cannot program the reference matrix",
                                 sim_comp_name(c));
        st->hold_mw = mesh_hold_mw(st, &m) * (double)st->shifters /
                      (double)dev_svd_mesh_shifters(nr);
        dev_svd_mesh_free(&m);
    }
    rc = dev_hold_power(c, st->hold_mw);
    if (rc)
        return rc;
    return dev_pio_stats_init(c, &st->stats, NULL, st->loss_db, st->laser_mw);
}

/* 0, or an error after sim_comp_fail (SIM_ERR_CONFIG quietly when c is NULL) */
static int mzi_fits(sim_comp_t *c, const mzi_t *st, uint64_t n_out, uint64_t n_in)
{
    if (n_out == 0 || n_in == 0)
        return c ? sim_comp_fail(c, "mzi_mesh '%s': empty matrix %llux%llu", sim_comp_name(c),
                                 (unsigned long long)n_in, (unsigned long long)n_out)
                 : SIM_ERR_CONFIG;
    if ((n_out > (uint64_t)st->n || n_in > (uint64_t)st->n) && !st->tiling)
        return c ? sim_comp_fail(c, "matrix %llux%llu larger than mzi_mesh n=%d; set tiling=true",
                                 (unsigned long long)n_in, (unsigned long long)n_out, st->n)
                 : SIM_ERR_CONFIG;
    return 0;
}

/* The mesh as dev_pio_plan sees it: N x N tiles, `wavelengths` vectors at
 * once, a thermo-optic (or MEMS) settle per weight load. */
static void mzi_core(const mzi_t *st, dev_pio_core_t *core)
{
    uint64_t N = (uint64_t)st->n;
    *core = (dev_pio_core_t){.rows = N,
                             .cols = N,
                             .wavelengths = (uint64_t)st->wavelengths,
                             .t_first_ps = st->t_first_ps,
                             .interval_ps = st->io.interval_ps,
                             .settle_ps = st->settle_ps,
                             .e_mod_pj = st->e_mod_symbol_pj,
                             .laser_mw = st->laser_mw};
}

static int mzi_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *k)
{
    (void)c;
    const mzi_t *st = state;
    dev_pio_core_t core;
    mzi_core(st, &core);
    return dev_pio_cost(&st->io, &core, req, mzi_fits(NULL, st, req->n, req->k), st->loaded,
                        st->weight_id, st->base.unit.period_ps, k);
}

static void mzi_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    mzi_t *st = state;
    if (dev_base_take_fwd(c, &st->base, ev))
        return;
    dev_req_t req;
    if (!dev_take_req(c, ev, DEV_PIO_OPS, &req))
        return;
    req.flags &= ~(DEV_F_COST_RESIDENT | DEV_F_COST_EMPTY); /* queries only */
    if (mzi_fits(c, st, req.n, req.k))
        return;
    dev_pio_core_t core;
    mzi_core(st, &core);
    dev_pio_run(c, &st->base, &st->io, &st->stats, &core, &st->loaded, &st->weight_id, ev, &req);
}

/* Program (or reuse) the tiles of W: tile (ti, tj) holds rows ti*N.. and
 * columns tj*N.. of W. */
static int mzi_program(mzi_t *st, const double *W, size_t n_out, size_t n_in)
{
    if (st->cache_w && st->cache_out == n_out && st->cache_in == n_in &&
        memcmp(st->cache_w, W, n_out * n_in * sizeof *W) == 0)
        return 0;
    mzi_cache_free(st);
    size_t N = (size_t)st->n;
    size_t to = (n_out + N - 1) / N, ti = (n_in + N - 1) / N;
    st->cache_w = malloc(n_out * n_in * sizeof *W);
    st->cache_mesh = calloc(to * ti, sizeof *st->cache_mesh);
    double *blk = malloc(N * N * sizeof *blk);
    if (!st->cache_w || !st->cache_mesh || !blk) {
        free(blk);
        mzi_cache_free(st);
        return SIM_ERR_NOMEM;
    }
    for (size_t a = 0; a < to; a++)
        for (size_t b = 0; b < ti; b++) {
            size_t r0 = a * N, c0 = b * N;
            size_t rows = n_out - r0 < N ? n_out - r0 : N, cols = n_in - c0 < N ? n_in - c0 : N;
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < cols; j++)
                    blk[i * cols + j] = W[(r0 + i) * n_in + c0 + j];
            int rc = dev_svd_mesh_program(blk, rows, cols, N, &st->cache_mesh[a * ti + b]);
            st->cache_tiles = a * ti + b + 1;
            if (rc) {
                free(blk);
                mzi_cache_free(st);
                return rc;
            }
        }
    free(blk);
    memcpy(st->cache_w, W, n_out * n_in * sizeof *W);
    st->cache_out = n_out;
    st->cache_in = n_in;
    return 0;
}

static int mzi_mvm(sim_comp_t *c, void *state, const double *W, size_t n_out, size_t n_in,
                   const double *x, double *y, const dev_num_ctx_t *ctx)
{
    mzi_t *st = state;
    if (c && mzi_fits(c, st, n_out, n_in))
        return SIM_ERR_CONFIG;
    if (!c && (n_out == 0 || n_in == 0 ||
               ((n_out > (size_t)st->n || n_in > (size_t)st->n) && !st->tiling)))
        return SIM_ERR_CONFIG;
    int rc = mzi_program(st, W, n_out, n_in);
    if (rc)
        return c ? sim_comp_fail(c, "mzi_mesh '%s': cannot program a %zux%zu matrix",
                                 sim_comp_name(c), n_in, n_out)
                 : rc;
    int noisy = ctx && ctx->noise && ctx->rng;
    double phase = noisy ? st->phase_noise_rad : 0.0;
    double pd = noisy && st->io.pd_noise ? st->io.pd_sigma_rel : 0.0;
    sim_rng_t *rng = noisy ? ctx->rng : NULL;
    size_t N = (size_t)st->n, ti = (n_in + N - 1) / N;
    double part[1024];
    for (size_t i = 0; i < n_out; i++)
        y[i] = 0.0;
    for (size_t t = 0; t < st->cache_tiles; t++) {
        const dev_svd_mesh_t *m = &st->cache_mesh[t];
        size_t r0 = (t / ti) * N, c0 = (t % ti) * N;
        rc = dev_mzi_mvm_tile(m, x + c0, part, st->io.dac_bits, st->io.adc_bits, phase, pd, rng);
        if (rc)
            return c ? sim_comp_fail(c, "mzi_mesh '%s': out of memory", sim_comp_name(c)) : rc;
        for (size_t i = 0; i < m->n_out; i++) /* partial sums added digitally */
            y[r0 + i] += part[i];
    }
    return 0;
}

static void mzi_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    mzi_cache_free(state);
}

/* n^2 MZIs (two Clements meshes of n(n-1)/2 and n attenuators), one
 * driver each; per wavelength n modulators and DACs in, n detectors and ADCs
 * out; the laser. */
static int mzi_area(const sim_params_t *p, dev_area_t *out, char *err, size_t en)
{
    double n = (double)sim_param_int(p, "n"), wl = (double)sim_param_int(p, "wavelengths");
    dev_area_part(out, "mzi", n * n * sim_param_real(p, "mzi_area_um2"));
    dev_area_part(out, "modulators", wl * n * sim_param_real(p, "mod_area_um2"));
    return dev_pio_area(p, wl * n, wl * n, n * n, out, err, en);
}

static const dev_ext_t mzi_ext = {
    .default_clock_hz = 5e9,
    .default_op = DEV_OP_MVM,
    .desc = {DEV_CAT_PHOTONIC, DEV_PIO_OPS, 1, DEV_MEM_NONE},
    .mvm = mzi_mvm,
    .cost = mzi_cost,
    .area = mzi_area,
};

const sim_model_t dev_mzi_mesh_model = {
    .name = "mzi_mesh",
    .doc = "N x N SVD photonic core: two Clements MZI meshes + attenuators, DAC/MZM in, PD/ADC "
           "out, laser from the loss budget, thermo-optic or MEMS shifters",
    .state_size = sizeof(mzi_t),
    .params = mzi_params,
    .init = mzi_init,
    .handle = mzi_handle,
    .destroy = mzi_destroy,
    .ext = &mzi_ext,
};
