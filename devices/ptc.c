/* ptc: a dynamically-operated photonic tensor core (DPTC) after
 * Lightening-Transformer (Zhu et al., HPCA 2024; its hardware_simulator,
 * photonic_crossbar.py and params/device_params/default.yaml). Both operands
 * are streamed through DACs and Mach-Zehnder modulators on every pass: a
 * height x wavelengths block of A rides `wavelengths` comb lines on `height`
 * row waveguides, a wavelengths x width block of B on `width` column
 * waveguides; at each of the height x width crossings a dot-product (DDOT)
 * unit (y-branch, phase shifter, directional coupler, balanced photodiodes)
 * sums the `wavelengths` products of its row and column in one symbol. One
 * pass = height x width x wavelengths MACs; outputs go through a TIA and an
 * ADC every `time_accum` passes (analog accumulation over k) and are summed
 * digitally. The phase shifters are MEMS biases set once (no reprogramming;
 * their hold power is static, dev_hold_power). Energy per pass, laser from
 * the loss budget and area follow photonic_crossbar.py (formulas only). */
#include "devices/dev_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ptc {
    dev_base_t base;
    dev_pio_t io;
    int nh, nw, nl, taccum, tiling;
    /* per symbol / sample / pass, pJ */
    double e_mod_pj, e_route_pj, e_pd_pj, e_tia_pj, e_adder_pj;
    double loss_mod_db, loss_comp_db, loss_db, laser_mw, t_prop_ps, t_first_ps;
    dev_pio_stats_t stats;
    int st_passes;
} ptc_t;

static const sim_param_def_t ptc_params[] = {
    {"height", SIM_P_INT, "12", "", 1, 1024, NULL,
     "rows of the DDOT array (rows of operand A per pass, Nh)",
     "Lightening-Transformer default.yaml core height 12"},
    {"width", SIM_P_INT, "12", "", 1, 1024, NULL,
     "columns of the DDOT array (columns of operand B per pass, Nw)",
     "Lightening-Transformer default.yaml core width 12"},
    {"wavelengths", SIM_P_INT, "12", "", 1, 1024, NULL,
     "WDM wavelengths: length of the dot product one DDOT sums per pass (Nlambda)",
     "Lightening-Transformer default.yaml core num_wavelength 12"},
    {"time_accum", SIM_P_INT, "1", "", 1, 1024, NULL,
     "passes the receiver integrates over k before one ADC sample",
     "Lightening-Transformer default.yaml arch time_accum_factor 1 (its Dota_B_8bit.yaml uses 3)"},
    {"tiling", SIM_P_BOOL, "true", "", 0, 0, NULL,
     "stream any size as passes over blocks of height x wavelengths x width; false: refuse a "
     "request larger than one pass",
     "design choice (both operands stream: tiling costs no reprogramming)"},
    {"mod_fj_per_symbol", SIM_P_REAL, "450", "fJ", 0, 1e6, NULL,
     "Mach-Zehnder modulator energy per symbol (independent of the bit width)",
     "Lightening-Transformer default.yaml mzi_modulator energy_per_bit 450, charged per symbol "
     "at work_freq by photonic_crossbar.py cal_modulator_param"},
    {"mod_static_mw", SIM_P_REAL, "0", "mW", 0, 1e4, NULL,
     "modulator static power, charged per symbol period",
     "Lightening-Transformer default.yaml mzi_modulator static_power 0"},
    {"mod_loss_db", SIM_P_REAL, "1.2", "dB", 0, 100, NULL, "modulator insertion loss",
     "Lightening-Transformer default.yaml mzi_modulator insertion_loss 1.2 dB"},
    {"mod_length_um", SIM_P_REAL, "260", "um", 0, 1e5, NULL, "modulator length",
     "Lightening-Transformer default.yaml mzi_modulator length 260 um"},
    {"mod_width_um", SIM_P_REAL, "20", "um", 0, 1e5, NULL, "modulator width",
     "Lightening-Transformer default.yaml mzi_modulator width 20 um"},
    {"router_static_mw", SIM_P_REAL, "0.275", "mW", 0, 1e4, NULL,
     "tuning power of one WDM (de)mux ring; two per modulator channel, charged per symbol",
     "Lightening-Transformer default.yaml mrr_router static_power 0.275 mW"},
    {"router_loss_db", SIM_P_REAL, "0.93", "dB", 0, 100, NULL,
     "WDM (de)mux ring insertion loss (passed twice)",
     "Lightening-Transformer default.yaml mrr_router insertion_loss 0.93 dB"},
    {"router_size_um", SIM_P_REAL, "4.8", "um", 0, 1e4, NULL, "WDM ring side (square)",
     "Lightening-Transformer default.yaml mrr_router 4.8 x 4.8 um"},
    {"ybranch_loss_db", SIM_P_REAL, "0.1", "dB", 0, 100, NULL,
     "y-branch splitter insertion loss (per 1:2 level)",
     "Lightening-Transformer default.yaml y_branch insertion_loss 0.1 dB"},
    {"ybranch_length_um", SIM_P_REAL, "1.8", "um", 0, 1e4, NULL, "y-branch length",
     "Lightening-Transformer default.yaml y_branch length 1.8 um"},
    {"ybranch_width_um", SIM_P_REAL, "1.3", "um", 0, 1e4, NULL, "y-branch width",
     "Lightening-Transformer default.yaml y_branch width 1.3 um"},
    {"ps_loss_db", SIM_P_REAL, "0.33", "dB", 0, 100, NULL, "DDOT phase shifter insertion loss",
     "Lightening-Transformer default.yaml phase_shifter insertion_loss 0.33 dB"},
    {"ps_length_um", SIM_P_REAL, "100", "um", 0, 1e5, NULL, "DDOT phase shifter length",
     "Lightening-Transformer default.yaml phase_shifter length 100 um"},
    {"ps_width_um", SIM_P_REAL, "45", "um", 0, 1e5, NULL, "DDOT phase shifter width",
     "Lightening-Transformer default.yaml phase_shifter width 45 um"},
    {"ps_hold_mw", SIM_P_REAL, "0", "mW", 0, 1e4, NULL,
     "power to hold one DDOT phase shifter (MEMS bias, set once): static",
     "Lightening-Transformer default.yaml phase_shifter static_power 0, dynamic_power 0"},
{"coupler_loss_db", SIM_P_REAL, "0", "dB", 0, 100, NULL,
     "fiber-to-chip coupling loss of the path (0: laser on chip)", "design parameter"},
        {"dc_loss_db", SIM_P_REAL, "0.33", "dB", 0, 100, NULL,
     "DDOT directional coupler insertion loss",
     "Lightening-Transformer default.yaml direction_coupler insertion_loss 0.33 dB"},
    {"dc_length_um", SIM_P_REAL, "5.25", "um", 0, 1e4, NULL, "directional coupler length",
     "Lightening-Transformer default.yaml direction_coupler length 5.25 um"},
    {"dc_width_um", SIM_P_REAL, "2.4", "um", 0, 1e4, NULL, "directional coupler width",
     "Lightening-Transformer default.yaml direction_coupler width 2.4 um"},
    {"pd_length_um", SIM_P_REAL, "4", "um", 0, 1e4, NULL, "photodiode length (DDOT layout)",
     "Lightening-Transformer default.yaml photo_detector length 4 um"},
    {"pd_width_um", SIM_P_REAL, "10", "um", 0, 1e4, NULL, "photodiode width (DDOT layout)",
     "Lightening-Transformer default.yaml photo_detector width 10 um"},
    {"tia_area_um2", SIM_P_REAL, "50", "um2", 0, 1e6, NULL, "area of one output TIA",
     "Lightening-Transformer default.yaml core interface TIA area 50 um2"},
    {"adder_mw", SIM_P_REAL, "0.04556", "mW", 0, 1e4, NULL,
     "digital partial-sum adder power per output, charged per ADC sample",
     "Lightening-Transformer simulator_attn.py: ISAAC adder 0.2 mW scaled to 14 nm (/ 4.39)"},
    {"group_index", SIM_P_REAL, "4.2", "", 1, 10, NULL,
     "waveguide group index (light crossing a DDOT row)", "silicon strip waveguide, n_g ~ 4.2"},
    DEV_PIO_PARAMS,
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

/* DDOT node footprint (photonic_crossbar.py cal_core_area): width = y-branch
 * + phase shifter + coupler + photodiode + 30 um spacing, height = y-branch
 * + max(shifter, coupler, 2 photodiodes) + 20 um. */
static void ptc_node_um(const sim_params_t *p, double *w, double *h)
{
    double yl = sim_param_real(p, "ybranch_length_um");
    *w = yl + sim_param_real(p, "ps_length_um") + sim_param_real(p, "dc_length_um") +
         sim_param_real(p, "pd_width_um") + 30.0;
    double t = fmax(sim_param_real(p, "ps_width_um"), sim_param_real(p, "dc_width_um"));
    *h = yl + fmax(t, 2.0 * sim_param_real(p, "pd_length_um")) + 20.0;
}

static int ptc_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    ptc_t *st = state;
    int rc = dev_base_init(c, &st->base);
    if (rc)
        return rc;
    rc = dev_pio_init(c, &st->io, p);
    if (rc)
        return rc;
    st->nh = (int)sim_param_int(p, "height");
    st->nw = (int)sim_param_int(p, "width");
    st->nl = (int)sim_param_int(p, "wavelengths");
    st->taccum = (int)sim_param_int(p, "time_accum");
    st->tiling = sim_param_bool(p, "tiling");
    double f_ghz = sim_param_real(p, "mod_rate_hz") * 1e-9; /* mW / GHz = pJ */
    st->e_mod_pj =
        sim_param_real(p, "mod_fj_per_symbol") * 1e-3 + sim_param_real(p, "mod_static_mw") / f_ghz;
    st->e_route_pj = 2.0 * sim_param_real(p, "router_static_mw") / f_ghz;
    st->e_pd_pj = 2.0 * sim_param_real(p, "pd_bias_mw") / f_ghz; /* balanced pair */
    st->e_tia_pj = sim_param_real(p, "pd_power_mw") / f_ghz;
    st->e_adder_pj = sim_param_real(p, "adder_mw") / f_ghz;
    /* loss (cal_insertion_loss): modulator, WDM mux + demux, a 1:max(Nh, Nw)
     * y-branch tree; in the DDOT a y-branch, the shifter and the coupler */
    int nmax = st->nh > st->nw ? st->nh : st->nw;
    st->loss_mod_db = sim_param_real(p, "mod_loss_db") + 2.0 * sim_param_real(p, "router_loss_db") +
                      sim_param_real(p, "ybranch_loss_db") * ceil(log2((double)nmax)) +
                      sim_param_real(p, "coupler_loss_db");
    st->loss_comp_db = sim_param_real(p, "ybranch_loss_db") + sim_param_real(p, "ps_loss_db") +
                       sim_param_real(p, "dc_loss_db");
    st->loss_db = st->loss_mod_db + st->loss_comp_db;
    /* laser (cal_laser_power): every one of the Nh x Nw detectors gets the
     * sensitivity times 2^bits (resolution margin), through the loss */
    double dbm = st->io.pd_sens_dbm + st->loss_db + 10.0 * log10((double)st->nh * st->nw);
    st->laser_mw = dev_dbm_to_mw(dbm) / st->io.wpe * ldexp(1.0, st->io.adc_bits);
    if (!(st->laser_mw > 0.0) || !isfinite(st->laser_mw))
        return sim_comp_fail(c, "ptc '%s': bad laser budget (wpe=%g)", sim_comp_name(c),
                             st->io.wpe);
    double nw_um, nh_um;
    ptc_node_um(p, &nw_um, &nh_um);
    const double c_um_per_ps = 299.792458;
    st->t_prop_ps = (double)st->nw * nw_um * sim_param_real(p, "group_index") / c_um_per_ps;
    st->t_first_ps =
        st->io.t_dac_ps + st->io.t_mod_ps + st->t_prop_ps + st->io.t_pd_ps + st->io.t_adc_ps;
    rc = dev_hold_power(c, (double)st->nh * st->nw * sim_param_real(p, "ps_hold_mw"));
    if (rc)
        return rc;
    rc = dev_pio_stats_init(c, &st->stats, "energy.other", st->loss_db, st->laser_mw);
    if (rc)
        return rc;
    st->st_passes = sim_stat(c, "passes", SIM_STAT_COUNT, "passes");
    if (st->st_passes < 0)
        return sim_comp_fail(c, "out of memory for stats");
    return 0;
}

/* The plan of one request [m x k] * [k x n] (MVM: m vectors through a k-in x
 * n-out matrix, the same thing): passes, time and energy by category. */
typedef struct ptc_plan {
    uint64_t passes, samples;
    double total_ps, issue_ps, bytes;
    dev_pio_energy_t e;
    double other;
} ptc_plan_t;

/* 0, or SIM_ERR_CONFIG with a sentence in why (empty or too large). */
static int ptc_plan(const ptc_t *st, const dev_req_t *req, ptc_plan_t *p, const char **why)
{
    memset(p, 0, sizeof *p);
    uint64_t m = req->m, k = req->k, n = req->n, mk, mkn;
    if (!m || !k || !n) {
        *why = "empty request";
        return SIM_ERR_CONFIG;
    }
    if (__builtin_mul_overflow(m, k, &mk) || __builtin_mul_overflow(mk, n, &mkn)) {
        *why = "m x k x n overflows 64 bits";
        return SIM_ERR_CONFIG;
    }
    if (!st->tiling && (m > (uint64_t)st->nh || n > (uint64_t)st->nw || k > (uint64_t)st->nl)) {
        *why = "larger than one pass (height x wavelengths x width); set tiling=true";
        return SIM_ERR_CONFIG;
    }
    uint64_t i1 = dev_ceil_div(m, (uint64_t)st->nh), i2 = dev_ceil_div(n, (uint64_t)st->nw);
    uint64_t id = dev_ceil_div(k, (uint64_t)st->nl);
    p->passes = i1 * i2 * id; /* <= m k n: no overflow */
    p->total_ps = st->t_first_ps + (double)(p->passes - 1) * st->io.interval_ps;
    p->issue_ps = (double)p->passes * st->io.interval_ps;
    if (!(p->total_ps < 9e18)) { /* sim_time_t ps, with room for the run */
        *why = "the op would run longer than the simulator's clock can count";
        return SIM_ERR_CONFIG;
    }
    /* simulator_attn.py get_energy_crossbar, one tile, one PE: every element
     * of A is modulated once per column block, every element of B once per
     * row block; each output is detected every pass over k and sampled every
     * time_accum passes */
    double sym = (double)m * (double)k * (double)i2 + (double)k * (double)n * (double)i1;
    double mn = (double)m * (double)n;
    double smp = mn * (double)dev_ceil_div(id, (uint64_t)st->taccum);
    p->samples = (uint64_t)smp;
    p->e.dac = sym * st->io.e_dac_pj;
    p->e.mod = sym * st->e_mod_pj;
    p->e.adc = smp * st->io.e_adc_pj;
    p->e.pd = mn * (double)id * st->e_pd_pj + smp * st->e_tia_pj;
    p->e.laser =
        st->io.external_laser ? 0.0 : st->laser_mw * (double)p->passes * st->io.interval_ps * 1e-3;
    p->other = sym * st->e_route_pj + smp * st->e_adder_pj;
    p->e.total = p->e.dac + p->e.mod + p->e.adc + p->e.pd + p->e.laser + p->other;
    p->bytes = ((double)mk + (double)k * (double)n + mn) * (double)((st->io.dac_bits + 7) / 8);
    return 0;
}

static int ptc_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *k)
{
    (void)c;
    const ptc_t *st = state;
    memset(k, 0, sizeof *k);
    if (req->kind != DEV_OP_MVM && req->kind != DEV_OP_GEMM)
        return SIM_ERR_CONFIG;
    ptc_plan_t p;
    const char *why;
    if (ptc_plan(st, req, &p, &why))
        return SIM_ERR_CONFIG;
    k->issue_cycles = dev_ps_to_cycles(p.issue_ps, st->base.unit.period_ps);
    k->cycles = dev_ps_to_cycles(p.total_ps, st->base.unit.period_ps);
    if (k->cycles < k->issue_cycles)
        k->cycles = k->issue_cycles;
    k->latency_ps = (sim_time_t)k->cycles * st->base.unit.period_ps;
    k->energy_pj = p.e.total;
    k->bytes = (uint64_t)p.bytes;
    return 0;
}

static void ptc_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    ptc_t *st = state;
    if (dev_base_take_fwd(c, &st->base, ev))
        return;
    dev_req_t req;
    if (!dev_take_req(c, ev, DEV_OP_BIT(DEV_OP_MVM) | DEV_OP_BIT(DEV_OP_GEMM), &req))
        return;
    ptc_plan_t p;
    const char *why;
    if (ptc_plan(st, &req, &p, &why)) {
        sim_comp_fail(c, "ptc '%s': %s %llux%llux%llu: %s", sim_comp_name(c), dev_op_name(req.kind),
                      (unsigned long long)req.m, (unsigned long long)req.k,
                      (unsigned long long)req.n, why);
        return;
    }
    dev_cost_t k;
    ptc_cost(c, st, &req, &k);
    dev_pio_charge(c, &st->stats, &p.e, req.m, 0);
    sim_energy(c, st->stats.e_extra, p.other);
    sim_stat_add(c, st->st_passes, (double)p.passes);
    dev_base_op(c, &st->base, ev, &req, k.issue_cycles, k.cycles, p.e.total, k.bytes);
}

/* One output's sum over k as the core forms it: chunks of wavelengths x
 * time_accum products of quantized operands (a, b in [-1, 1]) summed in the
 * analog domain, each chunk's outputs (one row of up to `width` outputs)
 * read by the ADC with the row's largest magnitude as full scale (after
 * receiver noise relative to the chunk's optical full scale, its length),
 * then summed digitally. */
static int ptc_row(const ptc_t *st, const double *wq, size_t n_out, size_t n_in, const double *xq,
                   size_t o0, size_t no, double *z, double *y, sim_rng_t *rng, double sigma,
                   double gain)
{
    size_t L = (size_t)st->nl * (size_t)st->taccum;
    for (size_t j0 = 0; j0 < n_in; j0 += L) {
        size_t j1 = n_in - j0 < L ? n_in : j0 + L;
        for (size_t i = 0; i < no; i++) {
            double acc = 0.0;
            for (size_t j = j0; j < j1; j++)
                acc += wq[(o0 + i) * n_in + j] * xq[j];
            z[i] = acc;
        }
        if (rng && sigma > 0.0) /* relative to the chunk's optical full scale */
            for (size_t i = 0; i < no; i++)
                z[i] += sigma * (double)(j1 - j0) * sim_rng_next_normal(rng);
        int rc = num_quantize(z, z, no, st->io.adc_bits, 0.0);
        if (rc)
            return rc;
        for (size_t i = 0; i < no; i++)
            y[o0 + i] += z[i] * gain;
    }
    (void)n_out;
    return 0;
}

/* y = W x: W (n_out x n_in) is operand B through the DACs with one scale
 * for the matrix, x operand A with its own; both signed (coherent DDOT). */
static int ptc_mvm(sim_comp_t *c, void *state, const double *W, size_t n_out, size_t n_in,
                   const double *x, double *y, const dev_num_ctx_t *ctx)
{
    ptc_t *st = state;
    if (!n_out || !n_in)
        return c ? sim_comp_fail(c, "ptc '%s': empty matrix", sim_comp_name(c)) : SIM_ERR_CONFIG;
    if (!st->tiling && (n_out > (size_t)st->nw || n_in > (size_t)st->nl))
        return c ? sim_comp_fail(c,
                                 "ptc '%s': matrix %zux%zu larger than one pass; set tiling=true",
                                 sim_comp_name(c), n_in, n_out)
                 : SIM_ERR_CONFIG;
    size_t nw = (size_t)st->nw;
    double *wq = malloc((n_out * n_in + n_in + nw) * sizeof *wq);
    if (!wq)
        return c ? sim_comp_fail(c, "ptc '%s': out of memory", sim_comp_name(c)) : SIM_ERR_NOMEM;
    double *xq = wq + n_out * n_in, *z = xq + n_in;
    for (size_t i = 0; i < n_out; i++)
        y[i] = 0.0;
    double sw = num_max_abs(W, n_out * n_in), sx = num_max_abs(x, n_in);
    int rc = 0;
    if (sw > 0.0 && sx > 0.0) {
        rc = num_quantize(W, wq, n_out * n_in, st->io.dac_bits, 0.0);
        if (!rc)
            rc = num_quantize(x, xq, n_in, st->io.dac_bits, 0.0);
        for (size_t i = 0; !rc && i < n_out * n_in; i++)
            wq[i] /= sw;
        for (size_t j = 0; !rc && j < n_in; j++)
            xq[j] /= sx;
        int noisy = ctx && ctx->noise && ctx->rng && st->io.pd_noise;
        double sigma = noisy ? st->io.pd_sigma_rel : 0.0;
        for (size_t o0 = 0; !rc && o0 < n_out; o0 += nw)
            rc = ptc_row(st, wq, n_out, n_in, xq, o0, n_out - o0 < nw ? n_out - o0 : nw, z, y,
                         noisy ? ctx->rng : NULL, sigma, sw * sx);
    }
    free(wq);
    if (rc && c)
        return sim_comp_fail(c, "ptc '%s': quantizer error %d", sim_comp_name(c), rc);
    return rc;
}

/* photonic_crossbar.py cal_core_area: the Nh x Nw DDOT nodes, one ADC per
 * output, (Nh + Nw) x Nlambda DACs, modulators and pairs of WDM rings, the
 * y-branch trees and the laser; plus a TIA per output (the paper's core
 * area leaves the TIAs out; its micro-comb is left out as there). */
static int ptc_area(const sim_params_t *p, dev_area_t *out, char *err, size_t en)
{
    double nh = (double)sim_param_int(p, "height"), nw = (double)sim_param_int(p, "width");
    double nl = (double)sim_param_int(p, "wavelengths");
    double dac =
        dev_conv_area_um2((int)sim_param_int(p, "dac_bits"), (int)sim_param_int(p, "dac_ref_bits"),
                          sim_param_real(p, "dac_area_um2"));
    double adc =
        dev_conv_area_um2((int)sim_param_int(p, "adc_bits"), (int)sim_param_int(p, "adc_ref_bits"),
                          sim_param_real(p, "adc_area_um2"));
    if (dac < 0.0 || adc < 0.0) {
        snprintf(err, en, "bad converter area reference (dac_area_um2, adc_area_um2)");
        return -1;
    }
    double w, h;
    ptc_node_um(p, &w, &h);
    double ch = (nh + nw) * nl, yl = sim_param_real(p, "ybranch_length_um");
    double yw = sim_param_real(p, "ybranch_width_um"), rs = sim_param_real(p, "router_size_um");
    dev_area_part(out, "ddot", nh * nw * w * h);
    dev_area_part(out, "dac", ch * dac);
    dev_area_part(out, "adc", nh * nw * adc);
    dev_area_part(out, "tia", nh * nw * sim_param_real(p, "tia_area_um2"));
    dev_area_part(out, "modulators",
                  ch * sim_param_real(p, "mod_length_um") * sim_param_real(p, "mod_width_um"));
    dev_area_part(out, "wdm_rings", ch * rs * rs * 2.0);
    dev_area_part(out, "splitters",
                  yl * yw + yl * ceil(log2(nh) + 1.0) * yw * nh +
                      yl * ceil(log2(nw) + 1.0) * yw * nw);
    if (!sim_param_bool(p, "external_laser"))
        dev_area_part(out, "laser", sim_param_real(p, "laser_area_um2"));
    return 0;
}

static const dev_ext_t ptc_ext = {
    .default_clock_hz = 5e9,
    .default_op = DEV_OP_GEMM,
    /* both operands are modulated every pass: no weights held across requests */
    .desc = {DEV_CAT_PHOTONIC, DEV_OP_BIT(DEV_OP_MVM) | DEV_OP_BIT(DEV_OP_GEMM), 0, DEV_MEM_NONE},
    .mvm = ptc_mvm,
    .cost = ptc_cost,
    .area = ptc_area,
};

const sim_model_t dev_ptc_model = {
    .name = "ptc",
    .doc = "dynamic photonic tensor core (Lightening-Transformer DPTC): both operands through "
           "DACs and modulators every pass, WDM dot products in a height x width DDOT array, "
           "balanced PDs, TIA and ADC per output",
    .state_size = sizeof(ptc_t),
    .params = ptc_params,
    .init = ptc_init,
    .handle = ptc_handle,
    .ext = &ptc_ext,
};
