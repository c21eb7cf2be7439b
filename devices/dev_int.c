/* Shared device helpers: converter energy scaled from a reference point
 * (Walden FOM 2^b; Murmann ADC survey: flat energy per conversion below the
 * speed corner, ~linear in f above it), and laser power from the optical loss budget (SimPhony, H3PIMAP 2025). */
#include "devices/dev_int.h"

#include <math.h>
#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dev_conv_scaling_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "walden") == 0)
        return DEV_CONV_WALDEN;
    if (strcmp(name, "linear") == 0)
        return DEV_CONV_LINEAR;
    if (strcmp(name, "cap") == 0)
        return DEV_CONV_CAP;
    return -1;
}

static double conv_energy(int bits, double rate_hz, int ref_bits, double ref_rate, double ref_pj,
                          int scaling)
{
    if (bits < 1 || ref_bits < 1 || !(rate_hz > 0.0) || !(ref_rate > 0.0) || !(ref_pj >= 0.0))
        return -1.0;
    double bit_factor;
    switch (scaling) {
    case DEV_CONV_WALDEN:
        bit_factor = ldexp(1.0, bits - ref_bits);
        break;
    case DEV_CONV_LINEAR:
        bit_factor = (double)bits / (double)ref_bits;
        break;
    case DEV_CONV_CAP: /* (2^b / b) / (2^b_ref / b_ref) */
        bit_factor = ldexp(1.0, bits - ref_bits) * (double)ref_bits / (double)bits;
        break;
    default:
        return -1.0;
    }
    double rate_factor = rate_hz > ref_rate ? rate_hz / ref_rate : 1.0;
    return ref_pj * bit_factor * rate_factor;
}

double dev_adc_energy_pj(int bits, double rate_hz, int ref_bits, double ref_rate, double ref_pj,
                         int scaling)
{
    return conv_energy(bits, rate_hz, ref_bits, ref_rate, ref_pj, scaling);
}

double dev_dac_energy_pj(int bits, double rate_hz, int ref_bits, double ref_rate, double ref_pj,
                         int scaling)
{
    return conv_energy(bits, rate_hz, ref_bits, ref_rate, ref_pj, scaling);
}

double dev_dbm_to_mw(double dbm)
{
    return pow(10.0, dbm / 10.0);
}

double dev_mw_to_dbm(double mw)
{
    return 10.0 * log10(mw);
}

double dev_laser_power_mw(double pd_sens_dbm, double loss_db, double wpe, int n_wavelengths)
{
    if (!(wpe > 0.0 && wpe <= 1.0) || !(loss_db >= 0.0) || n_wavelengths < 1 ||
        !isfinite(pd_sens_dbm))
        return -1.0;
    return (double)n_wavelengths * dev_dbm_to_mw(pd_sens_dbm + loss_db) / wpe;
}

/* ---- converters as components ------------------------------------------------ */
uint64_t dev_ps_to_cycles(double time_ps, sim_time_t period_ps)
{
    if (!(time_ps > 0.0) || period_ps == 0)
        return 0;
    double cyc = ceil(time_ps / (double)period_ps - 1e-9);
    /* saturate: a time beyond 2^64 cycles is refused by dev_base_op */
    return cyc < 1.0 ? 1 : cyc >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)cyc;
}

int dev_conv_init(sim_comp_t *c, dev_conv_t *st, const sim_params_t *p, const char *energy_stat)
{
    int rc = dev_base_init(c, &st->base);
    if (rc)
        return rc;
    st->bits = (int)sim_param_int(p, "bits");
    st->channels = (int)sim_param_int(p, "channels");
    st->rate_hz = sim_param_real(p, "sample_rate_hz");
    st->full_scale = sim_param_real(p, "full_scale");
    double lat = sim_param_real(p, "latency_ps");
    st->latency_ps = lat > 0.0 ? lat : 1e12 / st->rate_hz;
    int ref_bits = (int)sim_param_int(p, "ref_bits");
    double ref_rate = sim_param_real(p, "ref_rate_hz");
    double ref_mw = sim_param_real(p, "ref_power_mw");
    int scaling = dev_conv_scaling_parse(sim_param_str(p, "scaling"));
    double ref_pj = ref_mw * 1e-3 / ref_rate * 1e12; /* P / f */
    st->e_conv_pj = conv_energy(st->bits, st->rate_hz, ref_bits, ref_rate, ref_pj, scaling);
    if (st->e_conv_pj < 0.0)
        return sim_comp_fail(c, "%s '%s': cannot scale conversion energy (bits=%d, "
                                "sample_rate_hz=%g, ref_bits=%d, ref_rate_hz=%g, scaling=%s)",
                             sim_comp_model(c), sim_comp_name(c), st->bits, st->rate_hz,
                             ref_bits, ref_rate, sim_param_str(p, "scaling"));
    st->st_energy = sim_stat(c, energy_stat, SIM_STAT_ENERGY, "pJ");
    st->st_samples = sim_stat(c, "samples", SIM_STAT_COUNT, "samples");
    if (st->st_energy < 0 || st->st_samples < 0)
        return sim_comp_fail(c, "out of memory for stats");
    return 0;
}

void dev_conv_timing(const dev_conv_t *st, uint64_t m, double *time_ps, double *issue_ps)
{
    double per = 1e12 / st->rate_hz;
    double batches = (double)dev_ceil_div(m, (uint64_t)st->channels);
    *issue_ps = batches * per;
    *time_ps = st->latency_ps + batches * per;
}

int dev_conv_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *k)
{
    (void)c;
    const dev_conv_t *st = state;
    memset(k, 0, sizeof *k);
    if (req->kind != DEV_OP_CONVERT)
        return SIM_ERR_CONFIG;
    double t_ps, issue_ps;
    dev_conv_timing(st, req->m, &t_ps, &issue_ps);
    sim_time_t per = st->base.unit.period_ps;
    k->issue_cycles = dev_ps_to_cycles(issue_ps, per);
    k->cycles = dev_ps_to_cycles(t_ps, per);
    k->energy_pj = (double)req->m * st->e_conv_pj;
    int bad = 0;
    k->bytes = dev_mul_chk(req->m, (uint64_t)((st->bits + 7) / 8), &bad);
    return bad ? SIM_ERR_CONFIG : 0;
}

void dev_conv_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    dev_conv_t *st = state;
    if (dev_base_take_fwd(c, &st->base, ev))
        return;
    dev_req_t req;
    if (!dev_take_req(c, ev, DEV_OP_BIT(DEV_OP_CONVERT), &req))
        return;
    dev_cost_t k;
    if (dev_conv_cost(c, st, &req, &k)) {
        sim_comp_fail(c, "%s '%s' convert of %llu samples: the sizes overflow 64-bit counters",
                      sim_comp_model(c), sim_comp_name(c), (unsigned long long)req.m);
        return;
    }
    sim_energy(c, st->st_energy, k.energy_pj);
    sim_stat_add(c, st->st_samples, (double)req.m);
    dev_base_op(c, &st->base, ev, &req, k.issue_cycles, k.cycles, k.energy_pj, k.bytes);
}

int dev_conv_convert(sim_comp_t *c, void *state, const double *in, double *out, size_t n,
                     const dev_num_ctx_t *ctx)
{
    (void)ctx;
    const dev_conv_t *st = state;
    int rc = num_quantize(in, out, n, st->bits, st->full_scale);
    if (rc && c)
        return sim_comp_fail(c, "%s '%s': cannot quantize %zu values at %d bits",
                             sim_comp_model(c), sim_comp_name(c), n, st->bits);
    return rc;
}

double dev_pd_noise_ma(double i_ma, double bandwidth_hz, double i_sens_ma, double q_factor)
{
    if (!(bandwidth_hz > 0.0) || !(i_sens_ma >= 0.0) || !(q_factor > 0.0))
        return -1.0;
    const double q_e = 1.602176634e-19; /* C */
    double i_a = fabs(i_ma) * 1e-3;
    double shot_ma = sqrt(2.0 * q_e * i_a * bandwidth_hz) * 1e3;
    double th_ma = i_sens_ma / (2.0 * q_factor);
    return sqrt(shot_ma * shot_ma + th_ma * th_ma);
}

/* ---- photonic core I/O --------------------------------------------------------- */
int dev_conv_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n)
{
    double one = dev_conv_area_um2((int)sim_param_int(p, "bits"), (int)sim_param_int(p, "ref_bits"),
                                   sim_param_real(p, "area_um2"));
    if (one < 0.0) {
        snprintf(err, n, "bad converter area reference (area_um2, ref_bits)");
        return -1;
    }
    dev_area_part(out, "converters", (double)sim_param_int(p, "channels") * one);
    return 0;
}

int dev_pio_area(const sim_params_t *p, double n_in, double n_out, double n_drivers,
                 dev_area_t *out, char *err, size_t n)
{
    double dac = dev_conv_area_um2((int)sim_param_int(p, "dac_bits"),
                                   (int)sim_param_int(p, "dac_ref_bits"),
                                   sim_param_real(p, "dac_area_um2"));
    double adc = dev_conv_area_um2((int)sim_param_int(p, "adc_bits"),
                                   (int)sim_param_int(p, "adc_ref_bits"),
                                   sim_param_real(p, "adc_area_um2"));
    if (dac < 0.0 || adc < 0.0) {
        snprintf(err, n, "bad converter area reference (dac_area_um2, adc_area_um2)");
        return -1;
    }
    dev_area_part(out, "dac", n_in * dac);
    dev_area_part(out, "adc", n_out * adc);
    dev_area_part(out, "pd", n_out * sim_param_real(p, "pd_area_um2"));
    dev_area_part(out, "drivers", n_drivers * sim_param_real(p, "driver_area_um2"));
    if (!sim_param_bool(p, "external_laser"))
        dev_area_part(out, "laser", sim_param_real(p, "laser_area_um2"));
    return 0;
}

int dev_pio_init(sim_comp_t *c, dev_pio_t *io, const sim_params_t *p)
{
    memset(io, 0, sizeof *io);
    int dac_scaling = dev_conv_scaling_parse(sim_param_str(p, "dac_scaling"));
    int adc_scaling = dev_conv_scaling_parse(sim_param_str(p, "adc_scaling"));
    io->dac_bits = (int)sim_param_int(p, "dac_bits");
    io->adc_bits = (int)sim_param_int(p, "adc_bits");
    double dac_rate = sim_param_real(p, "dac_rate_hz"), adc_rate = sim_param_real(p, "adc_rate_hz");
    double mod_rate = sim_param_real(p, "mod_rate_hz");
    double dac_ref_rate = sim_param_real(p, "dac_ref_rate_hz");
    double adc_ref_rate = sim_param_real(p, "adc_ref_rate_hz");
    io->e_dac_pj = dev_dac_energy_pj(io->dac_bits, dac_rate, (int)sim_param_int(p, "dac_ref_bits"),
                                     dac_ref_rate,
                                     sim_param_real(p, "dac_ref_power_mw") / dac_ref_rate * 1e9,
                                     dac_scaling);
    io->e_adc_pj = dev_adc_energy_pj(io->adc_bits, adc_rate, (int)sim_param_int(p, "adc_ref_bits"),
                                     adc_ref_rate,
                                     sim_param_real(p, "adc_ref_power_mw") / adc_ref_rate * 1e9,
                                     adc_scaling);
    if (io->e_dac_pj < 0.0 || io->e_adc_pj < 0.0)
        return sim_comp_fail(c,
                             "%s '%s': cannot scale converter energy (dac_scaling=%s, "
                             "adc_scaling=%s)",
                             sim_comp_model(c), sim_comp_name(c), sim_param_str(p, "dac_scaling"),
                             sim_param_str(p, "adc_scaling"));
    /* receiver: TIA + photodiode bias, per symbol (mW / Hz = 1e9 pJ) */
    io->e_pd_pj = (sim_param_real(p, "pd_power_mw") + sim_param_real(p, "pd_bias_mw")) /
                  mod_rate * 1e9;
    double lat;
    lat = sim_param_real(p, "dac_latency_ps");
    io->t_dac_ps = lat > 0.0 ? lat : 1e12 / dac_rate;
    lat = sim_param_real(p, "adc_latency_ps");
    io->t_adc_ps = lat > 0.0 ? lat : 1e12 / adc_rate;
    io->t_mod_ps = 1e12 / mod_rate;
    lat = sim_param_real(p, "pd_latency_ps");
    io->t_pd_ps = lat > 0.0 ? lat : io->t_mod_ps;
    io->interval_ps = io->t_mod_ps;
    if (1e12 / dac_rate > io->interval_ps)
        io->interval_ps = 1e12 / dac_rate;
    if (1e12 / adc_rate > io->interval_ps)
        io->interval_ps = 1e12 / adc_rate;
    io->pd_sens_dbm = sim_param_real(p, "pd_sensitivity_dbm");
    io->wpe = sim_param_real(p, "wpe");
    io->pd_noise = sim_param_bool(p, "pd_noise");
    io->external_laser = sim_param_bool(p, "external_laser");
    double i_fs = sim_param_real(p, "pd_responsivity_a_per_w") * dev_dbm_to_mw(io->pd_sens_dbm);
    double sigma = dev_pd_noise_ma(i_fs, mod_rate / 2.0, i_fs, sim_param_real(p, "pd_q_factor"));
    io->pd_sigma_rel = i_fs > 0.0 && sigma >= 0.0 ? sigma / i_fs : 0.0;
    return 0;
}

double dev_ring_lorentzian(double detuning_nm, double lambda_nm, double q)
{
    double x = 2.0 * detuning_nm * q / lambda_nm;
    return 1.0 / (1.0 + x * x);
}

/* ADC + rescale shared by the photonic tiles: z (n values, full scale 1 in
 * the optical domain) -> y = Q(z) * gain. */
static int detect_and_convert(double *z, size_t n, int adc_bits, double pd_sigma_rel,
                              sim_rng_t *rng, double gain, double *y)
{
    if (rng && pd_sigma_rel > 0.0)
        for (size_t i = 0; i < n; i++)
            z[i] += pd_sigma_rel * sim_rng_next_normal(rng);
    int rc = num_quantize(z, z, n, adc_bits, 0.0);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        y[i] = z[i] * gain;
    return 0;
}

int dev_mzi_mvm_tile(const dev_svd_mesh_t *mesh, const double *x, double *y, int dac_bits,
                     int adc_bits, double phase_noise_rad, double pd_sigma_rel, sim_rng_t *rng)
{
    size_t n = mesh->n;
    double *a = malloc((mesh->n_in + n) * sizeof *a);
    dev_cplx_t *field = malloc(n * sizeof *field);
    if (!a || !field) {
        free(a);
        free(field);
        return SIM_ERR_NOMEM;
    }
    double *z = a + mesh->n_in;
    int rc = num_quantize(x, a, mesh->n_in, dac_bits, 0.0);
    double sx = num_max_abs(x, mesh->n_in);
    if (!rc && sx > 0.0) {
        for (size_t j = 0; j < mesh->n_in; j++) /* modulator amplitudes in [-1, 1] */
            a[j] /= sx;
        dev_svd_mesh_apply(mesh, a, field, rng, phase_noise_rad);
        for (size_t i = 0; i < mesh->n_out; i++)
            z[i] = creal(field[i]);
        rc = detect_and_convert(z, mesh->n_out, adc_bits, pd_sigma_rel, rng,
                                mesh->s_max * sx, y);
    } else if (!rc) {
        for (size_t i = 0; i < mesh->n_out; i++)
            y[i] = 0.0;
    }
    free(a);
    free(field);
    return rc;
}

int dev_mrr_mvm_tile(const double *W, size_t n_out, size_t n_in, const double *x, double *y,
                     int dac_bits, int adc_bits, double kappa, double pd_sigma_rel,
                     sim_rng_t *rng)
{
    double *a = malloc((2 * n_in + n_out) * sizeof *a);
    if (!a)
        return SIM_ERR_NOMEM;
    double *mixed = a + n_in, *z = a + 2 * n_in;
    int rc = num_quantize(x, a, n_in, dac_bits, 0.0);
    double sx = num_max_abs(x, n_in), wmax = num_max_abs(W, n_out * n_in);
    if (!rc && sx > 0.0 && wmax > 0.0) {
        for (size_t j = 0; j < n_in; j++)
            a[j] /= sx;
        for (size_t j = 0; j < n_in; j++) /* adjacent channels leak into weight j */
            mixed[j] = a[j] + kappa * ((j > 0 ? a[j - 1] : 0.0) + (j + 1 < n_in ? a[j + 1] : 0.0));
        for (size_t i = 0; i < n_out; i++) {
            double acc = 0.0;
            for (size_t j = 0; j < n_in; j++) /* ring weight in [-1, 1] */
                acc += (W[i * n_in + j] / wmax) * mixed[j];
            z[i] = acc;
        }
        rc = detect_and_convert(z, n_out, adc_bits, pd_sigma_rel, rng, wmax * sx, y);
    } else if (!rc) {
        for (size_t i = 0; i < n_out; i++)
            y[i] = 0.0;
    }
    free(a);
    return rc;
}

/* ---- the photonic cores' weight loads and ledger ------------------------------ */
uint64_t dev_pio_reload_count(const dev_req_t *req, uint64_t tiles, int loaded,
                              uint32_t weight_id)
{
    if (req->kind == DEV_OP_PROGRAM)
        return tiles;
    if (req->flags & DEV_F_NO_RELOAD)
        return 0;
    if (tiles > 1)
        return tiles;
    return (!loaded || weight_id != req->weight_id) ? 1 : 0;
}

uint64_t dev_pio_reloads(const dev_req_t *req, uint64_t tiles, int *loaded, uint32_t *weight_id)
{
    uint64_t reloads = dev_pio_reload_count(req, tiles, *loaded, *weight_id);
    *loaded = 1;
    *weight_id = req->weight_id;
    return reloads;
}

int dev_pio_stats_init(sim_comp_t *c, dev_pio_stats_t *s, const char *extra_energy,
                       double loss_db, double laser_mw)
{
    s->e_dac = sim_stat(c, "energy.dac", SIM_STAT_ENERGY, "pJ");
    s->e_adc = sim_stat(c, "energy.adc", SIM_STAT_ENERGY, "pJ");
    s->e_mod = sim_stat(c, "energy.modulator", SIM_STAT_ENERGY, "pJ");
    s->e_laser = sim_stat(c, "energy.laser", SIM_STAT_ENERGY, "pJ");
    s->e_pd = sim_stat(c, "energy.pd", SIM_STAT_ENERGY, "pJ");
    s->e_extra = extra_energy ? sim_stat(c, extra_energy, SIM_STAT_ENERGY, "pJ") : 0;
    s->vectors = sim_stat(c, "vectors", SIM_STAT_COUNT, "vectors");
    s->reloads = sim_stat(c, "reloads", SIM_STAT_COUNT, "reloads");
    s->loss = sim_stat(c, "insertion_loss_db", SIM_STAT_VALUE, "dB");
    s->laser_mw = sim_stat(c, "laser_power_mw", SIM_STAT_VALUE, "mW");
    if (s->e_dac < 0 || s->e_adc < 0 || s->e_mod < 0 || s->e_laser < 0 || s->e_pd < 0 ||
        s->e_extra < 0 || s->vectors < 0 || s->reloads < 0 || s->loss < 0 || s->laser_mw < 0)
        return sim_comp_fail(c, "out of memory for stats");
    sim_stat_max(c, s->loss, loss_db);
    sim_stat_max(c, s->laser_mw, laser_mw);
    return 0;
}

void dev_pio_energy(const dev_pio_t *io, double e_mod_pj, double laser_mw, uint64_t m, uint64_t k,
                    uint64_t n, uint64_t tiles_in, uint64_t tiles_out, double t_tile_ps,
                    dev_pio_energy_t *out)
{
    uint64_t tiles = tiles_in * tiles_out;
    double n_dac = (double)m * (double)k * (double)tiles_out;
    double n_adc = (double)m * (double)n * (double)tiles_in;
    out->dac = n_dac * io->e_dac_pj;
    out->mod = n_dac * e_mod_pj; /* one active pass per input value */
    out->adc = n_adc * io->e_adc_pj;
    out->pd = n_adc * io->e_pd_pj;
    /* mW * ps = 1e-3 pJ; an external laser component charges it instead */
    out->laser = io->external_laser ? 0.0 : laser_mw * (double)tiles * t_tile_ps * 1e-3;
    out->total = out->dac + out->mod + out->adc + out->pd + out->laser;
}

void dev_pio_charge(sim_comp_t *c, const dev_pio_stats_t *s, const dev_pio_energy_t *e, uint64_t m,
                    uint64_t reloads)
{
    sim_energy(c, s->e_dac, e->dac);
    sim_energy(c, s->e_mod, e->mod);
    sim_energy(c, s->e_adc, e->adc);
    sim_energy(c, s->e_pd, e->pd);
    sim_energy(c, s->e_laser, e->laser);
    sim_stat_add(c, s->vectors, (double)m);
    sim_stat_add(c, s->reloads, (double)reloads);
}

int dev_pio_fits(sim_comp_t *c, int rows, int cols, int tiling, uint64_t n_out, uint64_t n_in)
{
    if (n_out == 0 || n_in == 0)
        return c ? sim_comp_fail(c, "%s '%s': empty matrix %llux%llu", sim_comp_model(c),
                                 sim_comp_name(c), (unsigned long long)n_in,
                                 (unsigned long long)n_out)
                 : SIM_ERR_CONFIG;
    if ((n_out > (uint64_t)rows || n_in > (uint64_t)cols) && !tiling)
        return c ? sim_comp_fail(c,
                                 "matrix %llux%llu larger than %s cols=%d x rows=%d; set "
                                 "tiling=true",
                                 (unsigned long long)n_in, (unsigned long long)n_out,
                                 sim_comp_model(c), cols, rows)
                 : SIM_ERR_CONFIG;
    return 0;
}

void dev_pio_plan(const dev_pio_t *io, const dev_pio_core_t *core, const dev_req_t *req, int loaded,
                  uint32_t weight_id, dev_pio_plan_t *p)
{
    /* MVM/GEMM: m vectors through a k-in x n-out matrix; PROGRAM: k x n */
    p->k = req->k;
    p->nout = req->n;
    p->m = req->kind == DEV_OP_PROGRAM ? 0 : req->m;
    p->tiles_in = dev_ceil_div(p->k, core->cols);
    p->tiles_out = dev_ceil_div(p->nout, core->rows);
    uint64_t tiles = dev_mul_sat(p->tiles_in, p->tiles_out);
    if (req->flags & DEV_F_COST_RESIDENT)
        loaded = 1, weight_id = req->weight_id;
    else if (req->flags & DEV_F_COST_EMPTY)
        loaded = 0;
    p->reloads = dev_pio_reload_count(req, tiles, loaded, weight_id);
    /* timing (ps); a reload adds only its settle time (held tuning power is
     * static, dev_hold_power) */
    double slots = p->m ? (double)dev_ceil_div(p->m, core->wavelengths) : 0.0;
    p->t_tile = p->m ? core->t_first_ps + (slots - 1.0) * core->interval_ps : 0.0;
    p->total = (double)p->reloads * core->settle_ps + (double)tiles * p->t_tile;
    p->issue = p->m ? p->total - (core->t_first_ps - core->interval_ps) : p->total;
    dev_pio_energy(io, core->e_mod_pj, core->laser_mw, p->m, p->k, p->nout, p->tiles_in,
                   p->tiles_out, p->t_tile, &p->io);
}

void dev_pio_plan_cost(const dev_pio_t *io, const dev_pio_core_t *core, const dev_pio_plan_t *p,
                       sim_time_t period_ps, dev_cost_t *k)
{
    k->issue_cycles = dev_ps_to_cycles(p->issue, period_ps);
    k->cycles = dev_ps_to_cycles(p->total, period_ps);
    k->energy_pj = p->io.total;
    k->program_cycles = dev_ps_to_cycles((double)p->reloads * core->settle_ps, period_ps);
    /* saturated: sizes this large take longer than the clock counts, and
     * dev_base_op / dev_cost refuse the op */
    k->bytes =
        dev_mul_sat(dev_mul_sat(p->m, p->k > UINT64_MAX - p->nout ? UINT64_MAX : p->k + p->nout),
                    (uint64_t)((io->dac_bits + 7) / 8));
}

int dev_pio_cost(const dev_pio_t *io, const dev_pio_core_t *core, const dev_req_t *req, int fits,
                 int loaded, uint32_t weight_id, sim_time_t period_ps, dev_cost_t *k)
{
    memset(k, 0, sizeof *k);
    if ((req->kind != DEV_OP_MVM && req->kind != DEV_OP_GEMM && req->kind != DEV_OP_PROGRAM) ||
        fits)
        return SIM_ERR_CONFIG;
    dev_pio_plan_t p;
    dev_pio_plan(io, core, req, loaded, weight_id, &p);
    dev_pio_plan_cost(io, core, &p, period_ps, k);
    return 0;
}

void dev_pio_run(sim_comp_t *c, dev_base_t *base, const dev_pio_t *io, const dev_pio_stats_t *s,
                 const dev_pio_core_t *core, int *loaded, uint32_t *weight_id,
                 const sim_event_t *ev, const dev_req_t *req)
{
    dev_pio_plan_t p;
    dev_pio_plan(io, core, req, *loaded, *weight_id, &p);
    dev_cost_t k;
    memset(&k, 0, sizeof k);
    dev_pio_plan_cost(io, core, &p, base->unit.period_ps, &k);
    dev_pio_reloads(req, dev_mul_sat(p.tiles_in, p.tiles_out), loaded, weight_id);
    dev_pio_charge(c, s, &p.io, p.m, p.reloads);
    dev_base_op(c, base, ev, req, k.issue_cycles, k.cycles, p.io.total, k.bytes);
}

/* ---- one rule for held tuning power (mzi_mesh heaters, mrr_bank rings) ------- */
double dev_hold_energy_pj(double hold_mw, double run_ps)
{
    return hold_mw * run_ps * 1e-3; /* mW * ps = 1e-3 pJ */
}

int dev_hold_power(sim_comp_t *c, double hold_mw)
{
    if (!(hold_mw >= 0.0) || !isfinite(hold_mw))
        return sim_comp_fail(c, "%s '%s': bad hold power %g mW", sim_comp_model(c),
                             sim_comp_name(c), hold_mw);
    sim_static_power_mw(c, hold_mw);
    return 0;
}
