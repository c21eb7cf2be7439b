/* rns_photonic: a residue-number-system photonic tensor core after Mirage
 * (Demirkiran et al., "Mirage: An RNS-Based Photonic Accelerator for DNN
 * Training", ISCA 2024). One array of rows x cols modular multiply units
 * (MMUs) per modulus m: weight residues are held in the MMUs, an input
 * residue r drives its column's phase shifters through a DAC of ceil(log2 m)
 * bits, each MMU adds phase 2 pi (x w mod m) / m, the phases of a row add up
 * along its waveguide and wrap at 2 pi (a modular sum for free), and a
 * coherent (I/Q) receiver reads the phase back with ADCs of ceil(log2 m)
 * bits. Phase noise of sigma per MMU becomes residue errors that redundant
 * moduli catch. Operands are block floating point: a block of `cols` values
 * shares an exponent, its integer mantissas go through the RNS; digital
 * logic does the forward conversion, the CRT and the FP accumulation of
 * blocks (energies from Horowitz, ISSCC 2014, 45 nm). The laser is sized by
 * the loss budget like the other photonic cores (SimPhony). */
#include "devices/dev_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Phase noise -> residue errors, the device's num_residue_noise_fn. */
typedef struct rns_noise {
    int enabled;
    double sigma_rad; /* per MMU */
    uint64_t seed, stream;
    uint64_t residues, errors; /* residues read, residues changed */
} rns_noise_t;

typedef struct rnsp {
    dev_base_t base;
    dev_pio_t io;
    int rows, cols, tiling, wavelengths, mant_bits, retries, adcs_per_output;
    num_rns_t rns;
    double mmu_fj_per_symbol, mmu_loss_db, phase_noise_rad;
    double e_int_mul32_pj, e_int_add32_pj, e_fp32_add_pj, e_sram_pj_per_bit;
    double load_bits_per_cycle, crt_latency_ps;
    /* derived */
    int bits[NUM_RNS_MAX];
    int range_bits;
    double e_dac_sum_pj, e_adc_sum_pj, e_mmu_sum_pj; /* over moduli, per value */
    double e_fwd_pj, e_crt_pj, e_acc_pj;             /* digital, per value / output */
    double weight_bits_per_tile;
    double loss_db, laser_mw_per_array, t_prop_ps, t_first_ps;
    uint32_t weight_id;
    int loaded;
    dev_pio_stats_t stats; /* stats.e_extra: energy.rns_convert */
    int st_program, st_macs, st_area;
    double area_mm2; /* MMU arrays: n_moduli x rows x cols x length x pitch */
    rns_noise_t noise;
    num_gemm_t *gemm; /* numerics of ext.mvm (created on first use) */
    int gemm_noisy;
} rnsp_t;

static const sim_param_def_t rnsp_params[] = {
    {"moduli", SIM_P_STR, "31,32,33", "", 0, 0, NULL,
     "base moduli (pairwise coprime), separated by ',' (or ':' or '/'); range M = their "
     "product",
     "Mirage uses three moduli (REFERENCE.md s.3); {2^5 - 1, 2^5, 2^5 + 1}"},
    {"redundant", SIM_P_INT, "0", "moduli", 0, 4, NULL,
     "extra moduli (picked above the largest base modulus): 1 detects, 2 correct one faulty "
     "residue per dot product",
     "redundant RNS (Barsi and Maestrini, IEEE TC 1973)"},
    {"rows", SIM_P_INT, "64", "", 1, 4096, NULL, "dot products per array (outputs, receivers)",
     "design parameter"},
    {"cols", SIM_P_INT, "16", "", 1, 4096, NULL,
     "MMUs in series per row: the dot-product length of one readout and the BFP block",
     "design parameter: with 31,32,33 a 16-term block fits 6-bit mantissas"},
    {"mant_bits", SIM_P_INT, "0", "bits", 0, 24, NULL,
     "BFP mantissa bits incl. sign; 0: the widest whose cols-term dot product fits the range",
     "range condition cols * (2^(b-1) - 1)^2 <= (M - 1) / 2"},
    {"tiling", SIM_P_BOOL, "true", "", 0, 0, NULL,
     "run larger matrices as rows x cols tiles (weights reloaded per tile, blocks added in FP); "
     "false: error",
     "design choice"},
    {"wavelengths", SIM_P_INT, "1", "", 1, 256, NULL,
     "WDM wavelengths through the arrays: vectors processed in parallel", "single wavelength"},
    {"mmu_fj_per_symbol", SIM_P_REAL, "450", "fJ", 0, 1e6, NULL,
     "electro-optic phase-shifter drive energy per symbol (each MMU is driven once per vector; "
     "a residue symbol swings the same range as an on-off symbol)",
     "Lightening-Transformer default.yaml MZM 450 fJ/bit, taken per full-swing symbol "
     "(unverified for a multi-level phase drive)"},
    {"mmu_loss_db", SIM_P_REAL, "1.2", "dB", 0, 100, NULL,
     "insertion loss of one MMU's phase section",
     "Lightening-Transformer default.yaml MZM 1.2 dB, taken for the phase section alone "
     "(unverified: an upper bound)"},
    {"mmu_length_um", SIM_P_REAL, "250", "um", 0, 1e6, NULL,
     "length of one MMU along the light path",
     "as an MZI column of mzi_mesh (design parameter, unverified)"},
    {"mmu_pitch_um", SIM_P_REAL, "25", "um", 0, 1e6, NULL,
     "row-to-row pitch of the MMU arrays (waveguide, electrodes and drive wiring): an MMU "
     "occupies mmu_length_um x mmu_pitch_um",
     "design parameter (assumption, unverified: ~25 um row pitch of modulator arrays)"},
    {"group_index", SIM_P_REAL, "4.2", "", 1, 10, NULL, "waveguide group index",
     "silicon strip waveguide at 1550 nm, n_g ~ 4.2"},
    {"iq_loss_db", SIM_P_REAL, "3", "dB", 0, 100, NULL,
     "split of each row's light into the I and Q arms of its coherent receiver",
     "ideal 3 dB splitter of a 90-degree hybrid"},
    {"coupler_loss_db", SIM_P_REAL, "0", "dB", 0, 100, NULL,
     "fiber-to-chip coupling loss (0: laser on chip)", "design parameter"},
    {"adcs_per_output", SIM_P_INT, "2", "", 1, 4, NULL,
     "ADCs (and photodetectors) per output: 2 read the phase as I and Q",
     "coherent phase readout needs quadrature detection"},
    {"phase_noise_rad", SIM_P_REAL, "0", "rad", 0, 10, NULL,
     "sigma of the Gaussian phase error per MMU (numerics); a readout of n terms sees "
     "sigma sqrt(n) and errs when it exceeds pi/m",
     "off by default"},
    {"retries", SIM_P_INT, "1", "", 0, 100, NULL,
     "re-executions of a dot product whose residues fail the redundancy check (numerics)",
     "design choice"},
    {"int_mul32_pj", SIM_P_REAL, "3.1", "pJ", 0, 1e3, NULL,
     "32-bit integer multiply (b-bit: x (b/32)^2) for forward conversion and CRT",
     "Horowitz, Computing's energy problem, ISSCC 2014 (45 nm)"},
    {"int_add32_pj", SIM_P_REAL, "0.1", "pJ", 0, 1e3, NULL, "32-bit integer add (b-bit: x b/32)",
     "Horowitz, ISSCC 2014 (45 nm)"},
    {"fp32_add_pj", SIM_P_REAL, "0.9", "pJ", 0, 1e3, NULL,
     "FP32 add: accumulating a block's result into its output", "Horowitz, ISSCC 2014 (45 nm)"},
    {"int_mul32_um2", SIM_P_REAL, "3495", "um2", 0, 1e9, NULL,
     "area of a 32-bit integer multiplier (b-bit: x (b/32)^2): forward conversion and CRT "
     "logic",
     "Horowitz, ISSCC 2014, 45 nm area column (32-bit mult 3495 um2; as recalled, not re-read "
     "here, like vector's lane_area_um2)"},
    {"int_add32_um2", SIM_P_REAL, "137", "um2", 0, 1e9, NULL,
     "area of a 32-bit integer adder (b-bit: x b/32)",
     "Horowitz, ISSCC 2014, 45 nm area column (32-bit add 137 um2; as recalled)"},
    {"fp32_add_um2", SIM_P_REAL, "4184", "um2", 0, 1e9, NULL,
     "area of the FP32 adder that accumulates one output's blocks",
     "Horowitz, ISSCC 2014, 45 nm area column (32-bit FP add 4184 um2; as vector.c)"},
    {"sram_pj_per_bit", SIM_P_REAL, "0.156", "pJ/bit", 0, 1e3, NULL,
     "reading weight residues from local SRAM into the MMUs",
     "Horowitz, ISSCC 2014: 64-bit read of an 8 KB SRAM, 10 pJ (45 nm)"},
    {"load_bits_per_cycle", SIM_P_INT, "4096", "bits", 1, 1 << 24, NULL,
     "weight-residue bits loaded into the arrays per clock cycle", "design parameter"},
    {"crt_latency_ps", SIM_P_REAL, "800", "ps", 0, 1e9, NULL,
     "reverse conversion (CRT) and BFP rescale pipeline latency",
     "assumption, unverified: 4 pipeline stages at the 5 GHz clock"},
    DEV_PIO_PARAMS,
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

/* b-bit integer multiply and add energies scaled from the 32-bit figures:
 * an array multiplier grows as b^2, an adder as b (Horowitz's 8-bit points,
 * 0.2 and 0.03 pJ, sit on these curves). */
static double mul_pj(const rnsp_t *st, int b)
{
    return st->e_int_mul32_pj * (b / 32.0) * (b / 32.0);
}
static double add_pj(const rnsp_t *st, int b)
{
    return st->e_int_add32_pj * (b / 32.0);
}

static int parse_moduli(const char *text, uint32_t *m, int *k, char *err, size_t errlen)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v > 0xffffffffUL || (*end && !strchr(",:/ ", *end))) {
            snprintf(err, errlen,
                     "moduli '%s': expected integers separated by ',' (or ':' / '/' where a "
                     "comma is taken, as in --set)",
                     text);
            return NUM_ERR_ARG;
        }
        if (n == NUM_RNS_MAX) {
            snprintf(err, errlen, "moduli '%s': at most %d moduli", text, NUM_RNS_MAX);
            return NUM_ERR_ARG;
        }
        m[n++] = (uint32_t)v;
        p = *end ? end + 1 : end;
    }
    if (n == 0) {
        snprintf(err, errlen, "moduli: empty list");
        return NUM_ERR_ARG;
    }
    *k = n;
    return 0;
}

/* The widest mantissa (2..24 bits) whose cols-term dot product fits the
 * range of `rns`, or 0 when none does. */
static int rnsp_auto_mant_bits(const num_rns_t *rns, int cols)
{
    for (int b = 24; b >= 2; b--)
        if (num_rns_check_gemm(rns, (uint64_t)cols, b, b, NULL, 0) == NUM_OK)
            return b;
    return 0;
}

static size_t rns_phase_noise(void *ctx, int mod_index, uint32_t m, size_t k_len, uint32_t *res,
                              size_t n, uint64_t draw)
{
    rns_noise_t *z = ctx;
    if (!z->enabled || z->sigma_rad <= 0.0)
        return 0;
    size_t changed = 0;
    /* the phases of k_len MMUs add up: sigma sqrt(k_len) on the detected phase;
     * the receiver rounds phase * m / 2 pi to the nearest residue */
    double sigma = z->sigma_rad * sqrt((double)k_len), per_rad = (double)m / 6.283185307179586;
    uint64_t stream = z->stream * 0x100000001b3ull + (uint64_t)mod_index;
    for (size_t i = 0; i < n; i++) {
        double dphi = sigma * num_gauss(z->seed, stream, (draw << 32) ^ (uint64_t)i);
        long shift = lround(dphi * per_rad);
        if (shift) {
            res[i] = num_mod_of((int64_t)res[i] + shift, m);
            changed++;
        }
    }
    z->residues += n;
    z->errors += changed;
    return changed;
}

static int rnsp_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    rnsp_t *st = state;
    int rc = dev_base_init(c, &st->base);
    if (rc)
        return rc;
    if (sim_param_is_set(p, "dac_bits") || sim_param_is_set(p, "adc_bits"))
        return sim_comp_fail(c,
                             "rns_photonic '%s': dac_bits/adc_bits follow the moduli "
                             "(ceil(log2 m) per modulus); set moduli instead",
                             sim_comp_name(c));
    rc = dev_pio_init(c, &st->io, p);
    if (rc)
        return rc;
    char err[320];
    uint32_t m[NUM_RNS_MAX];
    int k;
    int r = (int)sim_param_int(p, "redundant");
    if (parse_moduli(sim_param_str(p, "moduli"), m, &k, err, sizeof err) ||
        num_rns_pick_redundant(m, k, r, m + k, err, sizeof err) ||
        num_rns_init(&st->rns, m, k, r, err, sizeof err))
        return sim_comp_fail(c, "rns_photonic '%s': %s", sim_comp_name(c), err);
    for (int i = 0; i < k + r; i++)
        if (m[i] > NUM_RNS_GEMM_MAX_M)
            return sim_comp_fail(c,
                                 "rns_photonic '%s': modulus %u needs more than 16-bit "
                                 "converters",
                                 sim_comp_name(c), m[i]);
    st->rows = (int)sim_param_int(p, "rows");
    st->cols = (int)sim_param_int(p, "cols");
    st->tiling = sim_param_bool(p, "tiling");
    st->wavelengths = (int)sim_param_int(p, "wavelengths");
    st->retries = (int)sim_param_int(p, "retries");
    st->adcs_per_output = (int)sim_param_int(p, "adcs_per_output");
    st->mant_bits = (int)sim_param_int(p, "mant_bits");
    if (st->mant_bits == 1)
        return sim_comp_fail(c, "rns_photonic '%s': mant_bits must be 0 (auto) or 2..24",
                             sim_comp_name(c));
    if (st->mant_bits == 0) {
        st->mant_bits = rnsp_auto_mant_bits(&st->rns, st->cols);
        if (!st->mant_bits) {
            num_rns_check_gemm(&st->rns, (uint64_t)st->cols, 2, 2, err, sizeof err);
            return sim_comp_fail(c, "rns_photonic '%s': cols=%d: %s", sim_comp_name(c), st->cols,
                                 err);
        }
    } else if (num_rns_check_gemm(&st->rns, (uint64_t)st->cols, st->mant_bits, st->mant_bits, err,
                                  sizeof err)) {
        return sim_comp_fail(c, "rns_photonic '%s': cols=%d, mant_bits=%d: %s", sim_comp_name(c),
                             st->cols, st->mant_bits, err);
    }
    st->mmu_fj_per_symbol = sim_param_real(p, "mmu_fj_per_symbol");
    st->mmu_loss_db = sim_param_real(p, "mmu_loss_db");
    st->phase_noise_rad = sim_param_real(p, "phase_noise_rad");
    st->e_int_mul32_pj = sim_param_real(p, "int_mul32_pj");
    st->e_int_add32_pj = sim_param_real(p, "int_add32_pj");
    st->e_fp32_add_pj = sim_param_real(p, "fp32_add_pj");
    st->e_sram_pj_per_bit = sim_param_real(p, "sram_pj_per_bit");
    st->load_bits_per_cycle = (double)sim_param_int(p, "load_bits_per_cycle");
    st->crt_latency_ps = sim_param_real(p, "crt_latency_ps");

    /* converters: ceil(log2 m) bits per modulus, energy scaled from the
     * reference points of DEV_PIO_PARAMS */
    int dac_scaling = dev_conv_scaling_parse(sim_param_str(p, "dac_scaling"));
    int adc_scaling = dev_conv_scaling_parse(sim_param_str(p, "adc_scaling"));
    double dac_rate = sim_param_real(p, "dac_rate_hz"), adc_rate = sim_param_real(p, "adc_rate_hz");
    double dac_ref_rate = sim_param_real(p, "dac_ref_rate_hz");
    double adc_ref_rate = sim_param_real(p, "adc_ref_rate_hz");
    st->e_dac_sum_pj = st->e_adc_sum_pj = st->e_mmu_sum_pj = 0.0;
    double bits_sum = 0.0;
    for (int i = 0; i < st->rns.n; i++) {
        int b = num_rns_residue_bits(st->rns.m[i]);
        st->bits[i] = b;
        bits_sum += b;
        double ed = dev_dac_energy_pj(
            b, dac_rate, (int)sim_param_int(p, "dac_ref_bits"), dac_ref_rate,
            sim_param_real(p, "dac_ref_power_mw") / dac_ref_rate * 1e9, dac_scaling);
        double ea = dev_adc_energy_pj(
            b, adc_rate, (int)sim_param_int(p, "adc_ref_bits"), adc_ref_rate,
            sim_param_real(p, "adc_ref_power_mw") / adc_ref_rate * 1e9, adc_scaling);
        if (ed < 0.0 || ea < 0.0)
            return sim_comp_fail(c, "rns_photonic '%s': cannot scale converter energy",
                                 sim_comp_name(c));
        st->e_dac_sum_pj += ed;
        st->e_adc_sum_pj += ea * st->adcs_per_output;
        st->e_mmu_sum_pj += st->mmu_fj_per_symbol * 1e-3;
    }
    /* digital: forward conversion of a mant_bits mantissa per modulus (a
     * multiply by a reciprocal and a subtract); CRT per output: one residue x
     * constant product and one add per modulus in the range's width, and one
     * more multiply for the final reduction; a redundant set checks over all
     * n moduli; FP32 accumulation of the block into the output */
    st->range_bits = (int)ceil(log2((double)st->rns.range_all));
    int w = st->range_bits < 8 ? 8 : st->range_bits;
    st->e_fwd_pj = st->rns.n * (mul_pj(st, st->mant_bits) + add_pj(st, st->mant_bits));
    st->e_crt_pj = st->rns.n * (mul_pj(st, w) + add_pj(st, w)) + mul_pj(st, w);
    st->e_acc_pj = st->e_fp32_add_pj;
    st->weight_bits_per_tile = (double)st->rows * st->cols * bits_sum;
    /* loss: coupling + 1:rows fan-out + cols MMUs + the I/Q split */
    st->loss_db = sim_param_real(p, "coupler_loss_db") + 10.0 * log10((double)st->rows) +
                  (double)st->cols * st->mmu_loss_db + sim_param_real(p, "iq_loss_db");
    st->laser_mw_per_array =
        dev_laser_power_mw(st->io.pd_sens_dbm, st->loss_db, st->io.wpe, st->wavelengths);
    if (st->laser_mw_per_array < 0.0)
        return sim_comp_fail(c, "rns_photonic '%s': bad laser budget (wpe=%g)", sim_comp_name(c),
                             st->io.wpe);
    const double c_um_per_ps = 299.792458;
    st->t_prop_ps = (double)st->cols * sim_param_real(p, "mmu_length_um") *
                    sim_param_real(p, "group_index") / c_um_per_ps;
    st->t_first_ps = st->io.t_dac_ps + st->io.t_mod_ps + st->t_prop_ps + st->io.t_pd_ps +
                     st->io.t_adc_ps + st->crt_latency_ps;
    st->noise.sigma_rad = st->phase_noise_rad;
    st->noise.seed = sim_seed(sim_of(c));
    st->noise.stream = (uint64_t)sim_comp_id(c);
    rc = dev_pio_stats_init(c, &st->stats, "energy.rns_convert", st->loss_db,
                            st->laser_mw_per_array * st->rns.n);
    if (rc)
        return rc;
    st->st_program = sim_stat(c, "energy.program", SIM_STAT_ENERGY, "pJ");
    st->st_macs = sim_stat(c, "residue_macs", SIM_STAT_COUNT, "MAC");
    st->st_area = sim_stat(c, "mmu_area_mm2", SIM_STAT_VALUE, "mm2");
    if (st->st_program < 0 || st->st_macs < 0 || st->st_area < 0)
        return sim_comp_fail(c, "out of memory for stats");
    st->area_mm2 = (double)st->rns.n * st->rows * st->cols * sim_param_real(p, "mmu_length_um") *
                   sim_param_real(p, "mmu_pitch_um") * 1e-6;
    sim_stat_max(c, st->st_area, st->area_mm2);
    return 0;
}

static int rnsp_fits(sim_comp_t *c, const rnsp_t *st, uint64_t n_out, uint64_t n_in)
{
    return dev_pio_fits(c, st->rows, st->cols, st->tiling, n_out, n_in);
}

/* Energy (pJ) of one request, by category. */
typedef struct rnsp_bill {
    dev_pio_energy_t io; /* io.mod: the MMUs' phase drive */
    double convert, program;
    double t_tile_ps, total_ps, issue_ps;
    uint64_t reloads, tiles;
} rnsp_bill_t;

static void rnsp_bill(const rnsp_t *st, const dev_req_t *req, uint64_t reloads, rnsp_bill_t *b)
{
    memset(b, 0, sizeof *b);
    uint64_t k = req->k, nout = req->n, m = req->kind == DEV_OP_PROGRAM ? 0 : req->m;
    uint64_t tiles_in = dev_ceil_div(k, (uint64_t)st->cols);
    uint64_t tiles_out = dev_ceil_div(nout, (uint64_t)st->rows);
    b->tiles = tiles_in * tiles_out;
    b->reloads = reloads;
    double slots = m ? (double)dev_ceil_div(m, (uint64_t)st->wavelengths) : 0.0;
    b->t_tile_ps = m ? st->t_first_ps + (slots - 1.0) * st->io.interval_ps : 0.0;
    double per = (double)st->base.unit.period_ps;
    double t_reload = ceil(st->weight_bits_per_tile / st->load_bits_per_cycle) * per;
    b->total_ps = (double)reloads * t_reload + (double)b->tiles * b->t_tile_ps;
    b->issue_ps = m ? b->total_ps - (st->t_first_ps - st->io.interval_ps) : b->total_ps;
    double n_in = (double)m * (double)k * (double)tiles_out;    /* values into the DACs */
    double n_out = (double)m * (double)nout * (double)tiles_in; /* readouts (block results) */
    double macs = (double)m * (double)k * (double)nout;
    b->io.dac = n_in * st->e_dac_sum_pj;
    b->io.mod = macs * st->e_mmu_sum_pj;
    b->io.adc = n_out * st->e_adc_sum_pj;
    b->io.pd = n_out * st->adcs_per_output * st->rns.n * st->io.e_pd_pj;
    /* an external laser component charges the light itself */
    b->io.laser = st->io.external_laser
                      ? 0.0
                      : st->laser_mw_per_array * st->rns.n * (double)b->tiles * b->t_tile_ps * 1e-3;
    b->io.total = b->io.dac + b->io.mod + b->io.adc + b->io.pd + b->io.laser;
    b->convert = n_in * st->e_fwd_pj + n_out * (st->e_crt_pj + st->e_acc_pj);
    b->program = (double)reloads * st->weight_bits_per_tile * st->e_sram_pj_per_bit;
}

static uint64_t rnsp_reloads(const rnsp_t *st, const dev_req_t *req, int *loaded, uint32_t *wid)
{
    uint64_t tiles =
        dev_ceil_div(req->k, (uint64_t)st->cols) * dev_ceil_div(req->n, (uint64_t)st->rows);
    return dev_pio_reloads(req, tiles, loaded, wid);
}

static int rnsp_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *out)
{
    (void)c;
    const rnsp_t *st = state;
    memset(out, 0, sizeof *out);
    if (!(DEV_PIO_OPS & DEV_OP_BIT(req->kind)) || rnsp_fits(NULL, st, req->n, req->k))
        return SIM_ERR_CONFIG;
    int loaded = st->loaded;
    uint32_t wid = st->weight_id;
    rnsp_bill_t b;
    rnsp_bill(st, req, rnsp_reloads(st, req, &loaded, &wid), &b);
    sim_time_t per = st->base.unit.period_ps;
    out->issue_cycles = dev_ps_to_cycles(b.issue_ps, per);
    out->cycles = dev_ps_to_cycles(b.total_ps, per);
    out->latency_ps = (sim_time_t)out->cycles * per;
    out->energy_pj = b.io.total + b.convert + b.program;
    out->program_energy_pj = b.program;
    out->program_cycles =
        b.reloads ? dev_ps_to_cycles(b.total_ps - (double)b.tiles * b.t_tile_ps, per) : 0;
    uint64_t m = req->kind == DEV_OP_PROGRAM ? 0 : req->m;
    out->bytes = m * (req->k + req->n) * (uint64_t)((st->mant_bits + 7) / 8);
    return 0;
}

static void rnsp_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    rnsp_t *st = state;
    if (dev_base_take_fwd(c, &st->base, ev))
        return;
    dev_req_t req;
    if (!dev_take_req(c, ev, DEV_PIO_OPS, &req))
        return;
    if (rnsp_fits(c, st, req.n, req.k))
        return;
    dev_cost_t k;
    rnsp_cost(c, st, &req, &k);
    rnsp_bill_t b;
    rnsp_bill(st, &req, rnsp_reloads(st, &req, &st->loaded, &st->weight_id), &b);
    uint64_t m = req.kind == DEV_OP_PROGRAM ? 0 : req.m;
    dev_pio_charge(c, &st->stats, &b.io, m, b.reloads);
    sim_energy(c, st->stats.e_extra, b.convert);
    sim_energy(c, st->st_program, b.program);
    sim_stat_add(c, st->st_macs, (double)m * (double)req.k * (double)req.n * st->rns.n);
    dev_base_op(c, &st->base, ev, &req, k.issue_cycles, k.cycles, k.energy_pj, k.bytes);
}

static int rnsp_gemm_config(sim_comp_t *c, void *state, int noise, uint64_t seed,
                            num_gemm_cfg_t *out)
{
    (void)c;
    rnsp_t *st = state;
    memset(out, 0, sizeof *out);
    out->arith = NUM_ARITH_RNS;
    out->block = st->cols;
    out->mant_bits = st->mant_bits;
    out->rns = st->rns;
    out->retries = st->rns.r ? st->retries : 0;
    st->noise.enabled = noise && st->phase_noise_rad > 0.0;
    st->noise.seed = seed;
    if (st->noise.enabled) {
        out->residue_noise = rns_phase_noise;
        out->noise_ctx = &st->noise;
    }
    return 0;
}

static int rnsp_mvm(sim_comp_t *c, void *state, const double *W, size_t n_out, size_t n_in,
                    const double *x, double *y, const dev_num_ctx_t *ctx)
{
    rnsp_t *st = state;
    int rc = rnsp_fits(c, st, n_out, n_in);
    if (rc)
        return rc;
    int noisy = ctx && ctx->noise && ctx->rng && st->phase_noise_rad > 0.0;
    if (!st->gemm || st->gemm_noisy != noisy) {
        num_gemm_destroy(st->gemm);
        num_gemm_cfg_t cfg;
        rnsp_gemm_config(c, st, noisy, noisy ? sim_rng_next(ctx->rng) : 0, &cfg);
        char err[320];
        st->gemm = num_gemm_create(&cfg, err, sizeof err);
        st->gemm_noisy = noisy;
        if (!st->gemm)
            return c ? sim_comp_fail(c, "rns_photonic '%s': %s", sim_comp_name(c), err)
                     : SIM_ERR_CONFIG;
    }
    float *buf = malloc((n_out * n_in + n_in + n_out) * sizeof *buf);
    if (!buf)
        return c ? sim_comp_fail(c, "rns_photonic '%s': out of memory", sim_comp_name(c))
                 : SIM_ERR_NOMEM;
    float *wf = buf, *xf = wf + n_out * n_in, *yf = xf + n_in;
    for (size_t i = 0; i < n_out * n_in; i++)
        wf[i] = (float)W[i];
    for (size_t j = 0; j < n_in; j++)
        xf[j] = (float)x[j];
    /* y^T = x^T W^T: one row through the forward-pass GEMM */
    rc = num_gemm_run(st->gemm, 0, 1, 1, n_out, n_in, 1.0f, xf, n_in, wf, n_in, 0.0f, yf, n_out);
    for (size_t i = 0; i < n_out && !rc; i++)
        y[i] = yf[i];
    free(buf);
    if (rc)
        return c ? sim_comp_fail(c, "rns_photonic '%s': the RNS GEMM failed (values not finite?)",
                                 sim_comp_name(c))
                 : rc;
    return 0;
}

static void rnsp_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    rnsp_t *st = state;
    num_gemm_destroy(st->gemm);
    st->gemm = NULL;
}

/* The digital logic that keeps up with the arrays, one unit per lane (one
 * value in or out per modulation interval, as the energy model charges it):
 * per wavelength, cols forward converters (a mant_bits multiply and add per
 * modulus) and rows CRT units (a residue x constant multiply and add per
 * modulus in the range's width, one more multiply for the reduction) each
 * with the FP32 adder that accumulates the output's blocks; multipliers
 * scaled as b^2, adders as b from Horowitz's 32-bit areas. */
static double rnsp_crt_area_um2(const sim_params_t *p, const num_rns_t *rns, int mant_bits,
                                double rows, double cols, double wl)
{
    double mul32 = sim_param_real(p, "int_mul32_um2"), add32 = sim_param_real(p, "int_add32_um2");
    int range_bits = (int)ceil(log2((double)rns->range_all));
    double w = range_bits < 8 ? 8.0 : (double)range_bits, b = (double)mant_bits;
    double fwd = rns->n * (mul32 * (b / 32) * (b / 32) + add32 * b / 32);
    double mul_w = mul32 * (w / 32) * (w / 32);
    double crt = rns->n * (mul_w + add32 * w / 32) + mul_w;
    return wl * (cols * fwd + rows * (crt + sim_param_real(p, "fp32_add_um2")));
}

/* Per modulus: rows x cols MMUs (mmu_length_um x mmu_pitch_um, one weight
 * driver each), per wavelength cols DACs and rows x adcs_per_output coherent
 * detectors and ADCs of ceil(log2 m) bits, and a laser per modulus array;
 * the forward-conversion / CRT / accumulation logic (rnsp_crt_area_um2). */
static int rnsp_area(const sim_params_t *p, dev_area_t *out, char *err, size_t en)
{
    uint32_t m[NUM_RNS_MAX];
    int k;
    int r = (int)sim_param_int(p, "redundant");
    num_rns_t rns;
    if (parse_moduli(sim_param_str(p, "moduli"), m, &k, err, en) ||
        num_rns_pick_redundant(m, k, r, m + k, err, en) || num_rns_init(&rns, m, k, r, err, en))
        return -1;
    double rows = (double)sim_param_int(p, "rows"), cols = (double)sim_param_int(p, "cols");
    double wl = (double)sim_param_int(p, "wavelengths");
    int mant_bits = (int)sim_param_int(p, "mant_bits");
    if (mant_bits == 0)
        mant_bits = rnsp_auto_mant_bits(&rns, (int)cols);
    if (mant_bits < 2) {
        snprintf(err, en, "cols=%g: no mantissa width fits the moduli's range", cols);
        return -1;
    }
    dev_area_part(out, "crt", rnsp_crt_area_um2(p, &rns, mant_bits, rows, cols, wl));
    double outs = wl * rows * (double)sim_param_int(p, "adcs_per_output");
    double mmus = (double)(k + r) * rows * cols;
    dev_area_part(out, "mmu",
                  mmus * sim_param_real(p, "mmu_length_um") * sim_param_real(p, "mmu_pitch_um"));
    for (int i = 0; i < k + r; i++) {
        int b = num_rns_residue_bits(m[i]);
        double dac = dev_conv_area_um2(b, (int)sim_param_int(p, "dac_ref_bits"),
                                       sim_param_real(p, "dac_area_um2"));
        double adc = dev_conv_area_um2(b, (int)sim_param_int(p, "adc_ref_bits"),
                                       sim_param_real(p, "adc_area_um2"));
        if (dac < 0.0 || adc < 0.0) {
            snprintf(err, en, "bad converter area reference (dac_area_um2, adc_area_um2)");
            return -1;
        }
        dev_area_part(out, "dac", wl * cols * dac);
        dev_area_part(out, "adc", outs * adc);
        dev_area_part(out, "pd", outs * sim_param_real(p, "pd_area_um2"));
        if (i > 0 && !sim_param_bool(p, "external_laser"))
            dev_area_part(out, "laser", sim_param_real(p, "laser_area_um2"));
    }
    /* the first modulus's laser and the weight drivers */
    return dev_pio_area(p, 0.0, 0.0, mmus, out, err, en);
}

static const dev_ext_t rnsp_ext = {
    .default_clock_hz = 5e9,
    .default_op = DEV_OP_MVM,
    .desc = {DEV_CAT_PHOTONIC,
             DEV_PIO_OPS, 1, DEV_MEM_NONE},
    .mvm = rnsp_mvm,
    .cost = rnsp_cost,
    .gemm_config = rnsp_gemm_config,
    .area = rnsp_area,
};

const sim_model_t dev_rns_photonic_model = {
    .name = "rns_photonic",
    .doc = "RNS photonic tensor core (Mirage): per modulus an array of phase-encoded modular "
           "multiply units, ceil(log2 m)-bit DACs/ADCs, I/Q phase readout, CRT, BFP operands, "
           "redundant moduli against phase noise",
    .state_size = sizeof(rnsp_t),
    .params = rnsp_params,
    .init = rnsp_init,
    .handle = rnsp_handle,
    .destroy = rnsp_destroy,
    .ext = &rnsp_ext,
};
