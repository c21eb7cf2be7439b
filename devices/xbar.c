/* The analog in-memory crossbar core shared by rram_xbar and pcm_xbar: weight
 * bit slicing over cells and differential pairs, DAC or bit-serial inputs,
 * ADCs shared by column groups (NeuroSim/MNSIM organisation), closed-form
 * timing and energy per MVM and per programming, endurance counting per cell,
 * and the numerics of one MVM. Cell physics comes from the model's ops table. */
#include "devices/xbar.h"

#include "devices/dev_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- configuration ---------------------------------------------------------- */

double xbar_cell_g_us(const xbar_cfg_t *cfg, double g_us)
{
    if (!(g_us > 0.0))
        return 0.0;
    /* uS: 1 / (1e6 / g + R_access) x 1e6 */
    return 1.0 / (1.0 / g_us + cfg->access_ohm * 1e-6);
}

double xbar_col_read_pj(const xbar_cfg_t *cfg, double g_col_us)
{
    /* NeuroSim MultilevelSenseAmp.cpp:325,378: P = 0.0631 / (R_col x 0.5 / V_read)
     * = col_power_v2 (V_read / 0.5) G_col, for LatencyCol (:200): V^2 uS ns = 1e-3 pJ */
    return cfg->col_power_v2 * (cfg->read_voltage_v / 0.5) * g_col_us * cfg->sense_ns * 1e-3;
}

int xbar_adc_bits_lossless(int rows, int bits_per_cell, int dac_inputs, int input_bits)
{
    double levels = (double)rows * (ldexp(1.0, bits_per_cell) - 1.0);
    if (dac_inputs && input_bits > 1)
        levels *= ldexp(1.0, input_bits - 1) - 1.0;
    int bits = (int)ceil(log2(levels + 1.0) - 1e-12);
    return (bits < 1 ? 1 : bits) + (dac_inputs ? 1 : 0);
}

/* Mean conductance of one physical cell with its access transistor, read
 * energy's average weight. g_avg_frac >= 0: every cell at g_min + frac x range.
 * g_avg_frac < 0: codes uniform over each slice's levels (the operands of
 * `prism op --check`); with differential pairs the side opposite the sign
 * holds 0, so half the cells sit at g_min. */
static double xbar_cell_g_avg_us(const xbar_cfg_t *cfg)
{
    double range = cfg->g_max_us - cfg->g_min_us;
    if (cfg->g_avg_frac >= 0.0)
        return xbar_cell_g_us(cfg, cfg->g_min_us + cfg->g_avg_frac * range);
    int mag = cfg->differential ? cfg->weight_bits - 1 : cfg->weight_bits;
    int bpc = cfg->bits_per_cell;
    if (mag < 1 || bpc < 1 || bpc > 16)
        return 0.0;
    int slices = (mag + bpc - 1) / bpc;
    double sum = 0.0;
    for (int s = 0; s < slices; s++) {
        int bits = mag - s * bpc < bpc ? mag - s * bpc : bpc;
        int top = (1 << bits) - 1;
        double mean = 0.0;
        for (int d = 0; d <= top; d++)
            mean += xbar_cell_g_us(cfg, cfg->g_min_us + (double)d / top * range);
        sum += mean / (top + 1);
    }
    double g = sum / slices;
    if (cfg->differential)
        g = 0.5 * g + 0.5 * xbar_cell_g_us(cfg, cfg->g_min_us);
    return g;
}

int xbar_cfg_load(xbar_cfg_t *cfg, const char *model, const sim_params_t *p, char *err,
                  size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->model = model;
    cfg->rows = (int)sim_param_int(p, "rows");
    cfg->cols = (int)sim_param_int(p, "cols");
    cfg->weight_bits = (int)sim_param_int(p, "weight_bits");
    cfg->bits_per_cell = (int)sim_param_int(p, "bits_per_cell");
    cfg->differential = sim_param_bool(p, "differential");
    const char *im = sim_param_str(p, "input_mode");
    cfg->input_mode = (im && strcmp(im, "bitserial") == 0) ? XBAR_IN_BITSERIAL : XBAR_IN_DAC;
    cfg->input_bits = (int)sim_param_int(p, "input_bits");
    cfg->adc_bits = (int)sim_param_int(p, "adc_bits");
    if (cfg->adc_bits == 0)
        cfg->adc_bits = xbar_adc_bits_lossless(cfg->rows, cfg->bits_per_cell,
                                               cfg->input_mode == XBAR_IN_DAC, cfg->input_bits);
    cfg->cols_per_adc = (int)sim_param_int(p, "cols_per_adc");
    const char *ar = sim_param_str(p, "adc_range");
    cfg->adc_range = (ar && strcmp(ar, "fixed") == 0) ? XBAR_ADC_FIXED : XBAR_ADC_VECTOR;
    cfg->adc_fs = sim_param_real(p, "adc_fs");
    cfg->adc_rate_hz = sim_param_real(p, "adc_rate_hz");
    cfg->dac_rate_hz = sim_param_real(p, "dac_rate_hz");
    int adc_scaling = dev_conv_scaling_parse(sim_param_str(p, "adc_scaling"));
    int dac_scaling = dev_conv_scaling_parse(sim_param_str(p, "dac_scaling"));
    cfg->adc_pj = dev_adc_energy_pj(cfg->adc_bits, cfg->adc_rate_hz,
                                    (int)sim_param_int(p, "adc_ref_bits"),
                                    sim_param_real(p, "adc_ref_rate_hz"),
                                    sim_param_real(p, "adc_ref_pj"), adc_scaling);
    cfg->dac_pj = dev_dac_energy_pj(cfg->input_bits, cfg->dac_rate_hz,
                                    (int)sim_param_int(p, "dac_ref_bits"),
                                    sim_param_real(p, "dac_ref_rate_hz"),
                                    sim_param_real(p, "dac_ref_pj"), dac_scaling);
    cfg->read_pulse_ns = sim_param_real(p, "read_pulse_ns");
    cfg->read_voltage_v = sim_param_real(p, "read_voltage_v");
    cfg->g_max_us = sim_param_real(p, "g_max_us");
    cfg->g_min_us = sim_param_real(p, "g_min_us");
    cfg->g_avg_frac = sim_param_real(p, "g_avg_frac");
    cfg->endurance = sim_param_real(p, "endurance");
    cfg->add_pj = sim_param_real(p, "add_pj");
    cfg->leak_mw = sim_param_real(p, "leak_mw");
    cfg->tiling = sim_param_bool(p, "tiling");
    cfg->arrays = (int)sim_param_int(p, "arrays");
    cfg->sense_ns = sim_param_real(p, "sense_ns");
    cfg->col_power_v2 = sim_param_real(p, "col_power_v2");
    cfg->row_activity = sim_param_real(p, "row_activity");
    cfg->access_ohm = sim_param_real(p, "access_ohm");
    if (cfg->access_ohm < 0.0) /* NeuroSim: R_access = R_on x IR_DROP_TOLERANCE (0.25) */
        cfg->access_ohm = cfg->g_max_us > 0.0 ? 0.25 / (cfg->g_max_us * 1e-6) : 0.0;
    cfg->g_cell_us = xbar_cell_g_avg_us(cfg);
    cfg->cell_read_pj = xbar_col_read_pj(cfg, cfg->g_cell_us);
    if (cfg->adc_pj < 0.0) {
        snprintf(err, errlen, "adc energy: bad reference point or adc_scaling (walden|linear)");
        return SIM_ERR_CONFIG;
    }
    if (cfg->dac_pj < 0.0) {
        snprintf(err, errlen, "dac energy: bad reference point or dac_scaling (walden|linear)");
        return SIM_ERR_CONFIG;
    }
    return 0;
}

int xbar_cfg_check(const xbar_cfg_t *cfg, char *err, size_t errlen)
{
    if (cfg->rows < 1 || cfg->cols < 1) {
        snprintf(err, errlen, "rows and cols must be >= 1 (rows=%d, cols=%d)", cfg->rows,
                 cfg->cols);
        return SIM_ERR_CONFIG;
    }
    if (cfg->differential && cfg->weight_bits < 2) {
        snprintf(err, errlen,
                 "weight_bits=%d leaves no magnitude bit with differential=true (need >= 2)",
                 cfg->weight_bits);
        return SIM_ERR_CONFIG;
    }
    if (cfg->weight_bits < 1 || cfg->weight_bits > 32 || cfg->bits_per_cell < 1 ||
        cfg->bits_per_cell > 16) {
        snprintf(err, errlen, "weight_bits must be 1..32 and bits_per_cell 1..16 (got %d, %d)",
                 cfg->weight_bits, cfg->bits_per_cell);
        return SIM_ERR_CONFIG;
    }
    if (cfg->input_mode == XBAR_IN_BITSERIAL && (cfg->input_bits < 2 || cfg->input_bits > 32)) {
        snprintf(err, errlen,
                 "input_bits=%d: bit-serial inputs are two's complement and need 2..32 bits",
                 cfg->input_bits);
        return SIM_ERR_CONFIG;
    }
    if (cfg->input_bits < 1 || cfg->input_bits > 32 || cfg->adc_bits < 1 || cfg->adc_bits > 32) {
        snprintf(err, errlen, "input_bits and adc_bits must be 1..32 (got %d, %d)",
                 cfg->input_bits, cfg->adc_bits);
        return SIM_ERR_CONFIG;
    }
    if (cfg->cols_per_adc < 1) {
        snprintf(err, errlen, "cols_per_adc must be >= 1 (got %d)", cfg->cols_per_adc);
        return SIM_ERR_CONFIG;
    }
    if (!(cfg->g_max_us > cfg->g_min_us) || cfg->g_min_us < 0.0) {
        snprintf(err, errlen, "need g_max_us > g_min_us >= 0 (got %g, %g)", cfg->g_max_us,
                 cfg->g_min_us);
        return SIM_ERR_CONFIG;
    }
    if (!(cfg->read_pulse_ns > 0.0) || !(cfg->adc_rate_hz > 0.0) || !(cfg->dac_rate_hz > 0.0) ||
        !(cfg->sense_ns > 0.0)) {
        snprintf(err, errlen, "read_pulse_ns, sense_ns, adc_rate_hz and dac_rate_hz must be > 0");
        return SIM_ERR_CONFIG;
    }
    if (!(cfg->row_activity >= 0.0 && cfg->row_activity <= 1.0)) {
        snprintf(err, errlen, "row_activity must be 0..1 (got %g)", cfg->row_activity);
        return SIM_ERR_CONFIG;
    }
    if (!(cfg->endurance >= 1.0) || cfg->endurance > 4.0e9) {
        snprintf(err, errlen, "endurance must be 1..4e9 writes (got %g)", cfg->endurance);
        return SIM_ERR_CONFIG;
    }
    if (cfg->adc_range == XBAR_ADC_FIXED && !(cfg->adc_fs > 0.0)) {
        snprintf(err, errlen, "adc_range=fixed needs adc_fs > 0 (got %g)", cfg->adc_fs);
        return SIM_ERR_CONFIG;
    }
    return 0;
}

static uint64_t ceil_div(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

/* Cycles of `analog_ps` plus `extra` on a clock of period_ps, or an error
 * when the op's time in ps would not fit 64 bits (issue 22: request sizes
 * multiply). */
static int cycles_of(double analog_ps, uint64_t extra, sim_time_t period_ps, uint64_t *cycles,
                     char *err, size_t errlen)
{
    double c = ceil(analog_ps / (double)period_ps - 1e-9) + (double)extra;
    if (!(c < 9.2e18 / (double)period_ps)) {
        snprintf(err, errlen, "the op would take %.3g cycles: too large to time in 64-bit ps", c);
        return SIM_ERR_CONFIG;
    }
    *cycles = (uint64_t)c;
    return 0;
}

static uint64_t ceil_log2(uint64_t v)
{
    uint64_t r = 0;
    while ((1ull << r) < v)
        r++;
    return r;
}

int xbar_map(const xbar_cfg_t *cfg, uint64_t k, uint64_t n, xbar_map_t *map, char *err,
             size_t errlen)
{
    if (k == 0 || n == 0) {
        snprintf(err, errlen, "matrix %llux%llu: both dimensions must be >= 1",
                 (unsigned long long)k, (unsigned long long)n);
        return SIM_ERR_CONFIG;
    }
    map->pairs = cfg->differential ? 2 : 1;
    map->mag_bits = cfg->differential ? cfg->weight_bits - 1 : cfg->weight_bits;
    map->slices = (map->mag_bits + cfg->bits_per_cell - 1) / cfg->bits_per_cell;
    map->row_tiles = ceil_div(k, (uint64_t)cfg->rows);
    map->col_tiles = ceil_div(n, (uint64_t)cfg->cols);
    uint64_t tiles;
    if (__builtin_mul_overflow(map->row_tiles, map->col_tiles, &tiles)) {
        snprintf(err, errlen, "a %llu-input x %llu-output matrix: tile count overflows 64 bits",
                 (unsigned long long)k, (unsigned long long)n);
        return SIM_ERR_CONFIG;
    }
    if (!cfg->tiling && (map->row_tiles > 1 || map->col_tiles > 1)) {
        snprintf(err, errlen,
                 "a %llu-input x %llu-output matrix does not fit rows=%d x cols=%d "
                 "(set tiling=true to spread it over several arrays)",
                 (unsigned long long)k, (unsigned long long)n, cfg->rows, cfg->cols);
        return SIM_ERR_CONFIG;
    }
    if (cfg->tiling && cfg->arrays > 0 &&
        map->row_tiles * map->col_tiles > (uint64_t)cfg->arrays) {
        snprintf(err, errlen,
                 "a %llu-input x %llu-output matrix needs %llu arrays of rows=%d x cols=%d; the "
                 "unit has arrays=%d (raise arrays, or split the matrix over several units)",
                 (unsigned long long)k, (unsigned long long)n,
                 (unsigned long long)(map->row_tiles * map->col_tiles), cfg->rows, cfg->cols,
                 cfg->arrays);
        return SIM_ERR_CONFIG;
    }
    return 0;
}

/* ---- timing and energy ------------------------------------------------------ */

int xbar_mvm_cost(const xbar_cfg_t *cfg, uint64_t m, uint64_t k, uint64_t n,
                  sim_time_t period_ps, xbar_cost_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    xbar_map_t map;
    if (m == 0) {
        snprintf(err, errlen, "mvm needs m >= 1 vectors");
        return SIM_ERR_CONFIG;
    }
    if (xbar_map(cfg, k, n, &map, err, errlen))
        return SIM_ERR_CONFIG;
    if (period_ps == 0) {
        snprintf(err, errlen, "clock period is 0");
        return SIM_ERR_CONFIG;
    }
    uint64_t sp = (uint64_t)map.slices * (uint64_t)map.pairs;
    uint64_t n_tile = n < (uint64_t)cfg->cols ? n : (uint64_t)cfg->cols;
    uint64_t phys = n_tile * sp; /* physical columns active in one array */
    out->input_cycles = cfg->input_mode == XBAR_IN_BITSERIAL ? (uint64_t)cfg->input_bits : 1;
    out->conv_per_adc = phys < (uint64_t)cfg->cols_per_adc ? phys : (uint64_t)cfg->cols_per_adc;
    double t_dac = cfg->input_mode == XBAR_IN_DAC ? 1e12 / cfg->dac_rate_hz : 0.0;
    double t_adc = 1e12 / cfg->adc_rate_hz;
    out->pulse_ps = t_dac + cfg->read_pulse_ns * 1e3 + (double)out->conv_per_adc * t_adc;
    out->analog_ps = (double)m * (double)out->input_cycles * out->pulse_ps;
    /* partial results per output: every slice and side of the pair, every
     * row tile, plus the digital offset term without differential pairs */
    uint64_t partials = sp * map.row_tiles + (cfg->differential ? 0 : 1);
    out->acc_cycles = 1 + ceil_log2(partials);
    if (cycles_of(out->analog_ps, out->acc_cycles, period_ps, &out->cycles, err, errlen))
        return SIM_ERR_CONFIG;
    out->ps = out->cycles * period_ps;

    double pulses = (double)m * (double)out->input_cycles;
    /* NeuroSim (ProcessingUnit.cpp:639-645) sums the column conductance over
     * the rows whose input bit is 1 only: cells on undriven rows draw nothing */
    out->row_activity = cfg->row_activity;
    out->cells_read = pulses * (double)k * (double)n * (double)sp * cfg->row_activity;
    out->adc_conv = pulses * (double)n * (double)sp * (double)map.row_tiles;
    out->dac_conv =
        cfg->input_mode == XBAR_IN_DAC ? (double)m * (double)k * (double)map.col_tiles : 0.0;
    out->adds = (double)m * (double)n *
                ((double)out->input_cycles * (double)sp * (double)map.row_tiles +
                 (cfg->differential ? 0.0 : 1.0) - 1.0);
    out->e_cell = out->cells_read * cfg->cell_read_pj;
    out->e_adc = out->adc_conv * cfg->adc_pj;
    out->e_dac = out->dac_conv * cfg->dac_pj;
    out->e_acc = out->adds * cfg->add_pj;
    out->e_total = out->e_cell + out->e_adc + out->e_dac + out->e_acc;
    return 0;
}

int xbar_program_cost(const xbar_cfg_t *cfg, uint64_t k, uint64_t n, sim_time_t period_ps,
                      xbar_cost_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    xbar_map_t map;
    if (xbar_map(cfg, k, n, &map, err, errlen))
        return SIM_ERR_CONFIG;
    if (period_ps == 0) {
        snprintf(err, errlen, "clock period is 0");
        return SIM_ERR_CONFIG;
    }
    /* row by row; all cells of a row (every slice and pair) written together;
     * the arrays of a tiled matrix are programmed in parallel */
    uint64_t rows_prog = k < (uint64_t)cfg->rows ? k : (uint64_t)cfg->rows;
    out->analog_ps = (double)rows_prog * cfg->write_ns * 1e3;
    if (cycles_of(out->analog_ps, 0, period_ps, &out->cycles, err, errlen))
        return SIM_ERR_CONFIG;
    out->ps = out->cycles * period_ps;
    out->cells_written = (double)k * (double)n * (double)map.slices * (double)map.pairs;
    out->e_write = out->cells_written * cfg->write_pj;
    out->e_total = out->e_write;
    return 0;
}

/* ---- numerics --------------------------------------------------------------- */

void xbar_fmt_count(double v, char *buf, size_t len)
{
    double e = floor(log10(v) + 0.5);
    if (v >= 10.0 && fabs(pow(10.0, e) - v) < 1e-9 * v)
        snprintf(buf, len, "1e%d", (int)e);
    else
        snprintf(buf, len, "%.6g", v);
}

typedef struct num_tile {
    size_t r0, rows, c0, cols; /* inputs r0.., logical outputs c0.. */
} num_tile_t;

int xbar_mvm_numeric(const xbar_cfg_t *cfg, const xbar_cell_ops_t *ops, const double *W,
                     size_t n_out, size_t n_in, const double *x, double *y, sim_rng_t *rng,
                     double t_s, int noise, char *err, size_t errlen)
{
    return xbar_mvm_numeric_stats(cfg, ops, W, n_out, n_in, x, y, rng, t_s, noise, NULL, err,
                                  errlen);
}

int xbar_mvm_numeric_stats(const xbar_cfg_t *cfg, const xbar_cell_ops_t *ops, const double *W,
                           size_t n_out, size_t n_in, const double *x, double *y, sim_rng_t *rng,
                           double t_s, int noise, xbar_num_stats_t *stats, char *err,
                           size_t errlen)
{
    xbar_map_t map;
    xbar_num_stats_t local_stats;
    if (!stats)
        stats = &local_stats;
    memset(stats, 0, sizeof *stats);
    double driven = 0.0, slots = 0.0; /* sum of |V_row| / V_read, row x pulse slots */
    if (!cfg || !ops || !ops->program || !ops->read || !W || !x || !y) {
        snprintf(err, errlen, "mvm numerics: missing argument");
        return SIM_ERR;
    }
    /* values do not depend on how many arrays hold the tiles: no capacity check */
    xbar_cfg_t any = *cfg;
    any.arrays = 0;
    if (xbar_map(&any, n_in, n_out, &map, err, errlen))
        return SIM_ERR_CONFIG;
    if (!(t_s >= 0.0)) {
        snprintf(err, errlen, "read_after_s must be >= 0 (got %g)", t_s);
        return SIM_ERR_CONFIG;
    }
    sim_rng_t local;
    if (!rng) {
        sim_rng_init(&local, 0, 0);
        rng = &local;
    }
    for (size_t j = 0; j < n_out; j++)
        y[j] = 0.0;
    double wmax = num_max_abs(W, n_out * n_in);
    double xs = num_max_abs(x, n_in);
    if (wmax == 0.0 || xs == 0.0) {
        stats->row_activity = xs == 0.0 ? 0.0 : -1.0; /* zero weights: nothing measured */
        return 0;
    }

    const int S = map.slices, P = map.pairs, bpc = cfg->bits_per_cell, mb = map.mag_bits;
    const int bitserial = cfg->input_mode == XBAR_IN_BITSERIAL;
    /* weight codes: differential q in [0, 2^(wb-1)-1] on the side of the sign;
     * offset q' in [0, 2^wb - 1] around off = (2^wb - 1) / 2 */
    const double lw = cfg->differential ? ldexp(1.0, cfg->weight_bits - 1) - 1.0
                                        : ldexp(1.0, cfg->weight_bits) - 1.0;
    const double off = cfg->differential ? 0.0 : lw / 2.0;
    const double w_unit = cfg->differential ? wmax / lw : wmax / off;
    /* inputs: per-vector symmetric quantization to input_bits */
    const double lx = cfg->input_bits > 1 ? ldexp(1.0, cfg->input_bits - 1) - 1.0 : 1.0;
    const int pulses = bitserial ? cfg->input_bits : 1;
    const double x_unit = bitserial ? xs / lx : xs;
    const double gmin_n = cfg->g_min_us / cfg->g_max_us;
    double decay = 1.0;
    if (cfg->drift_comp && ops->mean_decay)
        decay = ops->mean_decay(cfg, t_s, noise);

    size_t tile_rows = n_in < (size_t)cfg->rows ? n_in : (size_t)cfg->rows;
    size_t tile_cols = n_out < (size_t)cfg->cols ? n_out : (size_t)cfg->cols;
    size_t pc_max = tile_cols * (size_t)S * (size_t)P;
    double *g = malloc(tile_rows * pc_max * sizeof *g);
    double *v = malloc(n_in * sizeof *v);
    int64_t *code = malloc(n_in * sizeof *code);
    double *cur = malloc(pc_max * sizeof *cur);
    double *acc = malloc(tile_cols * sizeof *acc);
    double *dmax = malloc((size_t)S * sizeof *dmax);
    double *g_row = malloc(tile_rows * sizeof *g_row); /* per row: sum of cell+access uS */
    if (!g || !v || !code || !cur || !acc || !dmax || !g_row) {
        free(g), free(v), free(code), free(cur), free(acc), free(dmax), free(g_row);
        snprintf(err, errlen, "mvm numerics: out of memory");
        return SIM_ERR_NOMEM;
    }
    for (int s = 0; s < S; s++) {
        int bits_s = mb - s * bpc < bpc ? mb - s * bpc : bpc;
        dmax[s] = ldexp(1.0, bits_s) - 1.0;
    }
    int rc = 0;
    if (!bitserial) {
        rc = num_quantize(x, v, n_in, cfg->input_bits, 0.0);
        for (size_t r = 0; r < n_in; r++)
            v[r] /= xs; /* row voltage as a fraction of full scale */
    } else {
        for (size_t r = 0; r < n_in; r++) {
            double q = nearbyint(x[r] / xs * lx);
            if (q > lx)
                q = lx;
            if (q < -lx)
                q = -lx;
            code[r] = (int64_t)q;
        }
    }
    double adc_fs_units = cfg->adc_range == XBAR_ADC_FIXED ? cfg->adc_fs : 0.0;

    for (size_t r0 = 0; r0 < n_in && rc == 0; r0 += (size_t)cfg->rows) {
        size_t nr = n_in - r0 < (size_t)cfg->rows ? n_in - r0 : (size_t)cfg->rows;
        for (size_t c0 = 0; c0 < n_out && rc == 0; c0 += (size_t)cfg->cols) {
            size_t nc = n_out - c0 < (size_t)cfg->cols ? n_out - c0 : (size_t)cfg->cols;
            size_t pc = nc * (size_t)S * (size_t)P;
            /* program the tile: physical column (j*S + s)*P + p */
            for (size_t r = 0; r < nr; r++) {
                g_row[r] = 0.0;
                for (size_t j = 0; j < nc; j++) {
                    double w = W[(c0 + j) * n_in + r0 + r];
                    uint64_t qp = 0, qn = 0;
                    if (cfg->differential) {
                        uint64_t q = (uint64_t)nearbyint(fabs(w) / wmax * lw);
                        if (w > 0)
                            qp = q;
                        else
                            qn = q;
                    } else {
                        double q = nearbyint(w / wmax * off + off);
                        qp = (uint64_t)(q < 0 ? 0 : (q > lw ? lw : q));
                    }
                    for (int s = 0; s < S; s++) {
                        for (int p = 0; p < P; p++) {
                            uint64_t q = p == 0 ? qp : qn;
                            uint64_t d = (q >> (s * bpc)) & (uint64_t)dmax[s];
                            double g_target =
                                cfg->g_min_us + (double)d / dmax[s] * (cfg->g_max_us - cfg->g_min_us);
                            double g_prog = ops->program(cfg, g_target, rng, noise);
                            double nu = ops->draw_nu ? ops->draw_nu(cfg, rng, noise) : 0.0;
                            double g_read = ops->read(cfg, g_target, g_prog, nu, t_s, rng, noise);
                            size_t col = ((j * (size_t)S) + (size_t)s) * (size_t)P + (size_t)p;
                            g[r * pc + col] = g_read / cfg->g_max_us;
                            g_row[r] += xbar_cell_g_us(cfg, g_read);
                        }
                    }
                }
            }
            for (size_t j = 0; j < nc; j++)
                acc[j] = 0.0;
            for (int b = 0; b < pulses; b++) {
                double pw = 1.0, sumv = 0.0;
                if (bitserial) {
                    pw = b == cfg->input_bits - 1 ? -ldexp(1.0, b) : ldexp(1.0, b);
                    uint64_t mask = cfg->input_bits >= 64 ? ~0ull : ((1ull << cfg->input_bits) - 1);
                    for (size_t r = 0; r < nr; r++)
                        v[r0 + r] = (double)((((uint64_t)code[r0 + r] & mask) >> b) & 1u);
                }
                double g_driven = 0.0; /* column conductances summed over the tile, uS */
                for (size_t r = 0; r < nr; r++) {
                    sumv += v[r0 + r];
                    driven += fabs(v[r0 + r]);
                    g_driven += fabs(v[r0 + r]) * g_row[r];
                }
                slots += (double)nr;
                stats->cell_pulses += (double)(nr * pc);
                stats->e_cell_pj += xbar_col_read_pj(cfg, g_driven);
                for (size_t col = 0; col < pc; col++)
                    cur[col] = 0.0;
                for (size_t r = 0; r < nr; r++) {
                    double vr = v[r0 + r];
                    if (vr == 0.0)
                        continue;
                    const double *gr = g + r * pc;
                    for (size_t col = 0; col < pc; col++)
                        cur[col] += vr * gr[col];
                }
                /* bit-serial pulses are 0/1 voltages on conductances >= 0, so
                 * the currents are >= 0 and the ADC is unipolar: 2^b codes
                 * over [0, FS], the positive half of a (b+1)-bit symmetric
                 * quantizer. DAC inputs are bipolar: symmetric b bits. */
                rc = num_quantize(cur, cur, pc, cfg->adc_bits + (bitserial ? 1 : 0),
                                  adc_fs_units * (double)nr);
                if (rc)
                    break;
                for (size_t j = 0; j < nc; j++) {
                    double sum = 0.0;
                    for (int s = 0; s < S; s++) {
                        double slice = 0.0;
                        for (int p = 0; p < P; p++) {
                            double i_col = cur[(j * (size_t)S + (size_t)s) * (size_t)P + (size_t)p];
                            double d = (i_col / decay - gmin_n * sumv) / (1.0 - gmin_n) * dmax[s];
                            slice += p == 0 ? d : -d;
                        }
                        sum += ldexp(slice, s * bpc);
                    }
                    acc[j] += pw * (sum - off * sumv);
                }
            }
            for (size_t j = 0; j < nc; j++)
                y[c0 + j] += acc[j] * w_unit * x_unit;
        }
    }
    free(g), free(v), free(code), free(cur), free(acc), free(dmax), free(g_row);
    if (rc) {
        snprintf(err, errlen, "mvm numerics: quantizer rejected its arguments");
        return SIM_ERR_CONFIG;
    }
    stats->row_activity = slots > 0.0 ? driven / slots : 0.0;
    return 0;
}

/* ---- the component ------------------------------------------------------------ */

int xbar_count_writes(xbar_state_t *st, const char *comp_name, uint64_t k, uint64_t n,
                      char *err, size_t errlen)
{
    const xbar_cfg_t *cfg = &st->cfg;
    xbar_map_t map;
    if (xbar_map(cfg, k, n, &map, err, errlen))
        return SIM_ERR_CONFIG;
    size_t sp = (size_t)map.slices * (size_t)map.pairs;
    size_t need = (size_t)(map.row_tiles * map.col_tiles);
    if (need > st->n_arrays) {
        uint32_t **a = realloc(st->writes, need * sizeof *a);
        if (!a) {
            snprintf(err, errlen, "out of memory for endurance counters");
            return SIM_ERR_NOMEM;
        }
        for (size_t i = st->n_arrays; i < need; i++)
            a[i] = NULL;
        st->writes = a;
        st->n_arrays = need;
    }
    for (uint64_t rt = 0; rt < map.row_tiles; rt++) {
        size_t nr = (size_t)(k - rt * (uint64_t)cfg->rows);
        if (nr > (size_t)cfg->rows)
            nr = (size_t)cfg->rows;
        for (uint64_t ct = 0; ct < map.col_tiles; ct++) {
            size_t nc = (size_t)(n - ct * (uint64_t)cfg->cols);
            if (nc > (size_t)cfg->cols)
                nc = (size_t)cfg->cols;
            size_t a = (size_t)(rt * map.col_tiles + ct);
            if (!st->writes[a]) {
                st->writes[a] = calloc((size_t)cfg->rows * (size_t)cfg->cols, sizeof(uint32_t));
                if (!st->writes[a]) {
                    snprintf(err, errlen, "out of memory for endurance counters");
                    return SIM_ERR_NOMEM;
                }
            }
            uint32_t *w = st->writes[a];
            for (size_t r = 0; r < nr; r++) {
                uint32_t *row = w + r * (size_t)cfg->cols;
                for (size_t j = 0; j < nc; j++) {
                    uint32_t cnt = ++row[j];
                    if (cnt > st->max_writes)
                        st->max_writes = cnt;
                    if ((double)cnt > cfg->endurance) {
                        size_t col = j * sp; /* first physical column of the weight */
                        char e[32];
                        xbar_fmt_count(cfg->endurance, e, sizeof e);
                        if (a == 0)
                            snprintf(err, errlen, "%s '%s': cell (%zu,%zu) exceeded endurance %s writes",
                                     cfg->model, comp_name, r, col, e);
                        else
                            snprintf(err, errlen,
                                     "%s '%s': array %zu cell (%zu,%zu) exceeded endurance %s writes",
                                     cfg->model, comp_name, a, r, col, e);
                        return SIM_ERR_MODEL;
                    }
                }
            }
        }
    }
    return 0;
}

int xbar_init(sim_comp_t *c, xbar_state_t *st, const xbar_cell_ops_t *ops)
{
    char err[256];
    const char *name = sim_comp_name(c);
    st->ops = ops;
    st->measured_activity = -1.0;
    if (xbar_cfg_check(&st->cfg, err, sizeof err))
        return sim_comp_fail(c, "%s '%s': %s", st->cfg.model, name, err);
    int rc = dev_base_init(c, &st->base);
    if (rc)
        return rc;
    xbar_map_t map;
    if (xbar_map(&st->cfg, 1, 1, &map, err, sizeof err))
        return sim_comp_fail(c, "%s '%s': %s", st->cfg.model, name, err);
    st->phys_cols = (size_t)st->cfg.cols * (size_t)map.slices * (size_t)map.pairs;
    st->st_cell = sim_stat(c, "energy.cell_read", SIM_STAT_ENERGY, "pJ");
    st->st_adc = sim_stat(c, "energy.adc", SIM_STAT_ENERGY, "pJ");
    st->st_dac = sim_stat(c, "energy.dac", SIM_STAT_ENERGY, "pJ");
    st->st_acc = sim_stat(c, "energy.accum", SIM_STAT_ENERGY, "pJ");
    st->st_write = sim_stat(c, "energy.program", SIM_STAT_ENERGY, "pJ");
    st->st_mvm = sim_stat(c, "ops.mvm", SIM_STAT_COUNT, "ops");
    st->st_prog = sim_stat(c, "ops.program", SIM_STAT_COUNT, "ops");
    st->st_vectors = sim_stat(c, "vectors", SIM_STAT_COUNT, "vectors");
    st->st_conv = sim_stat(c, "adc.conversions", SIM_STAT_COUNT, "conversions");
    st->st_cells_written = sim_stat(c, "cells.written", SIM_STAT_COUNT, "cells");
    st->st_max_writes = sim_stat(c, "cell_writes.max", SIM_STAT_VALUE, "writes");
    if (st->st_cell < 0 || st->st_adc < 0 || st->st_dac < 0 || st->st_acc < 0 ||
        st->st_write < 0 || st->st_mvm < 0 || st->st_prog < 0 || st->st_vectors < 0 ||
        st->st_conv < 0 || st->st_cells_written < 0 || st->st_max_writes < 0)
        return sim_comp_fail(c, "%s '%s': out of memory for stats", st->cfg.model, name);
    if (st->cfg.leak_mw > 0.0)
        sim_static_power_mw(c, st->cfg.leak_mw);
    return 0;
}

/* Program k x n weights: endurance and ledger. Returns 0 or the failure code
 * (already reported). */
static int do_program(sim_comp_t *c, xbar_state_t *st, const dev_req_t *req, uint64_t k,
                      uint64_t n, xbar_cost_t *cost)
{
    char err[256];
    const char *name = sim_comp_name(c);
    if (xbar_program_cost(&st->cfg, k, n, st->base.unit.period_ps, cost, err, sizeof err))
        return sim_comp_fail(c, "%s '%s': %s: %s", st->cfg.model, name, dev_op_name(req->kind),
                             err);
    int rc = xbar_count_writes(st, name, k, n, err, sizeof err);
    if (rc == SIM_ERR_MODEL)
        return sim_comp_fail(c, "%s", err);
    if (rc)
        return sim_comp_fail(c, "%s '%s': %s", st->cfg.model, name, err);
    sim_energy(c, st->st_write, cost->e_write);
    sim_stat_add(c, st->st_prog, 1.0);
    sim_stat_add(c, st->st_cells_written, cost->cells_written);
    sim_stat_max(c, st->st_max_writes, (double)st->max_writes);
    st->resident = 1;
    st->resident_id = req->weight_id;
    return 0;
}

/* What one request costs on the crossbar in its present state (programming
 * when other weights are resident, then the MVM): the one function the
 * handler and the cost query share. 0, or SIM_ERR_CONFIG with err set. */
typedef struct xbar_plan {
    xbar_cost_t prog, mvm;
    int program; /* 1: the request (re)programs the weights */
    uint64_t bytes, cycles, issue;
} xbar_plan_t;

static int xbar_plan(const xbar_state_t *st, const dev_req_t *req, xbar_plan_t *p, char *err,
                     size_t errlen)
{
    memset(p, 0, sizeof *p);
    sim_time_t per = st->base.unit.period_ps;
    xbar_cfg_t cfg_act; /* row activity measured by a numeric MVM, else the default */
    const xbar_cfg_t *cfg = &st->cfg;
    if (st->measured_activity >= 0.0) {
        cfg_act = st->cfg;
        cfg_act.row_activity = st->measured_activity;
        cfg = &cfg_act;
    }
    if (req->kind == DEV_OP_PROGRAM) {
        if (xbar_program_cost(&st->cfg, req->k, req->n, per, &p->prog, err, errlen))
            return SIM_ERR_CONFIG;
        p->program = 1;
        if (__builtin_mul_overflow(req->k, req->n, &p->bytes) ||
            __builtin_mul_overflow(p->bytes, (uint64_t)((st->cfg.weight_bits + 7) / 8),
                                   &p->bytes)) {
            snprintf(err, errlen, "%llux%llu weights: byte count overflows 64 bits",
                     (unsigned long long)req->k, (unsigned long long)req->n);
            return SIM_ERR_CONFIG;
        }
    } else if (req->kind == DEV_OP_MVM || req->kind == DEV_OP_GEMM) {
        /* check the shape before paying for a reload */
        if (xbar_mvm_cost(cfg, req->m, req->k, req->n, per, &p->mvm, err, errlen))
            return SIM_ERR_CONFIG;
        int resident = st->resident;
        uint32_t resident_id = st->resident_id;
        if (req->flags & DEV_F_COST_RESIDENT)
            resident = 1, resident_id = req->weight_id;
        else if (req->flags & DEV_F_COST_EMPTY)
            resident = 0;
        p->program = !(req->flags & DEV_F_NO_RELOAD) &&
                     (!resident || resident_id != req->weight_id);
        if (p->program &&
            xbar_program_cost(&st->cfg, req->k, req->n, per, &p->prog, err, errlen))
            return SIM_ERR_CONFIG;
        uint64_t in_b, out_b, per_vec;
        if (__builtin_mul_overflow(req->k, (uint64_t)((st->cfg.input_bits + 7) / 8), &in_b) ||
            __builtin_mul_overflow(req->n, (uint64_t)4, &out_b) ||
            __builtin_add_overflow(in_b, out_b, &per_vec) ||
            __builtin_mul_overflow(req->m, per_vec, &p->bytes)) {
            snprintf(err, errlen, "m=%llu vectors of k=%llu, n=%llu: byte count overflows 64 bits",
                     (unsigned long long)req->m, (unsigned long long)req->k,
                     (unsigned long long)req->n);
            return SIM_ERR_CONFIG;
        }
    } else {
        snprintf(err, errlen, "cannot do op '%s'", dev_op_name(req->kind));
        return SIM_ERR_CONFIG;
    }
    /* the array is held for programming and every read pulse; the final
     * shift-and-add overlaps the next op */
    if (__builtin_add_overflow(p->prog.cycles, p->mvm.cycles, &p->cycles)) {
        snprintf(err, errlen, "programming plus mvm cycles overflow 64 bits");
        return SIM_ERR_CONFIG;
    }
    p->issue = p->cycles - p->mvm.acc_cycles;
    return 0;
}

static int xbar_dev_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *k)
{
    (void)c;
    const xbar_state_t *st = state;
    memset(k, 0, sizeof *k);
    xbar_plan_t p;
    char err[256];
    if (xbar_plan(st, req, &p, err, sizeof err))
        return SIM_ERR_CONFIG;
    k->issue_cycles = p.issue;
    k->cycles = p.cycles;
    k->energy_pj = p.prog.e_total + p.mvm.e_total;
    k->bytes = p.bytes;
    k->program_energy_pj = p.prog.e_total;
    k->program_cycles = p.prog.cycles;
    k->cell_writes = (uint64_t)p.prog.cells_written;
    return 0;
}

void xbar_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    xbar_state_t *st = state;
    if (dev_base_take_fwd(c, &st->base, ev))
        return;
    if (ev->kind != DEV_MSG_REQ)
        return;
    dev_req_t req;
    dev_req_from_event(ev, &req);
    const char *name = sim_comp_name(c);
    char err[256];
    if (req.kind != DEV_OP_PROGRAM && req.kind != DEV_OP_MVM && req.kind != DEV_OP_GEMM) {
        dev_fail_op(c, &req);
        return;
    }
    req.flags &= ~(DEV_F_COST_RESIDENT | DEV_F_COST_EMPTY); /* queries only */
    xbar_plan_t p;
    if (xbar_plan(st, &req, &p, err, sizeof err)) {
        sim_comp_fail(c, "%s '%s': %s: %s", st->cfg.model, name, dev_op_name(req.kind), err);
        return;
    }
    if (p.program && do_program(c, st, &req, req.k, req.n, &p.prog))
        return;
    if (req.kind != DEV_OP_PROGRAM) {
        sim_energy(c, st->st_cell, p.mvm.e_cell);
        sim_energy(c, st->st_adc, p.mvm.e_adc);
        sim_energy(c, st->st_dac, p.mvm.e_dac);
        sim_energy(c, st->st_acc, p.mvm.e_acc);
        sim_stat_add(c, st->st_mvm, 1.0);
        sim_stat_add(c, st->st_vectors, (double)req.m);
        sim_stat_add(c, st->st_conv, p.mvm.adc_conv);
    }
    dev_base_op(c, &st->base, ev, &req, p.issue, p.cycles, p.prog.e_total + p.mvm.e_total,
                p.bytes);
}

void xbar_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    xbar_state_t *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->n_arrays; i++)
        free(st->writes[i]);
    free(st->writes);
    st->writes = NULL;
    st->n_arrays = 0;
}

int xbar_ext_mvm(sim_comp_t *c, void *state, const double *W, size_t n_out, size_t n_in,
                 const double *x, double *y, const dev_num_ctx_t *ctx)
{
    xbar_state_t *st = state;
    char err[256];
    dev_num_ctx_t none = {NULL, 0.0, 1};
    if (!ctx)
        ctx = &none;
    xbar_num_stats_t ns;
    int rc = xbar_mvm_numeric_stats(&st->cfg, st->ops, W, n_out, n_in, x, y, ctx->rng,
                                    ctx->read_after_s, ctx->noise, &ns, err, sizeof err);
    /* the unit's later ops and cost queries use the rows these operands drove */
    if (!rc && ns.row_activity >= 0.0)
        st->measured_activity = ns.row_activity;
    if (rc && c)
        sim_comp_fail(c, "%s '%s': %s", st->cfg.model, sim_comp_name(c), err);
    return rc;
}

int xbar_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n)
{
    int weight_bits = (int)sim_param_int(p, "weight_bits");
    int bits_per_cell = (int)sim_param_int(p, "bits_per_cell");
    int differential = sim_param_bool(p, "differential");
    int mag_bits = differential ? weight_bits - 1 : weight_bits;
    if (mag_bits < 1 || bits_per_cell < 1) {
        snprintf(err, n, "weight_bits=%d leaves no magnitude bit", weight_bits);
        return -1;
    }
    double rows = (double)sim_param_int(p, "rows");
    double slices = (double)((mag_bits + bits_per_cell - 1) / bits_per_cell);
    double phys_cols = (double)sim_param_int(p, "cols") * slices * (differential ? 2.0 : 1.0);
    double adcs = ceil(phys_cols / (double)sim_param_int(p, "cols_per_adc"));
    double f_um = sim_param_real(p, "feature_nm") * 1e-3;
    const char *im = sim_param_str(p, "input_mode");
    int in_bits = (int)sim_param_int(p, "input_bits");
    int adc_bits = (int)sim_param_int(p, "adc_bits");
    if (adc_bits == 0) /* lossless: as xbar_cfg_load resolves it */
        adc_bits = xbar_adc_bits_lossless((int)sim_param_int(p, "rows"), bits_per_cell,
                                          im && strcmp(im, "dac") == 0, in_bits);
    double adc = dev_conv_area_um2(adc_bits,
                                   (int)sim_param_int(p, "adc_ref_bits"),
                                   sim_param_real(p, "adc_area_um2"));
    double driver = sim_param_real(p, "row_driver_um2") *
                    (im && strcmp(im, "dac") == 0 ? ldexp(1.0, in_bits - 1) : 1.0);
    if (adc < 0.0) {
        snprintf(err, n, "bad ADC area reference (adc_area_um2, adc_ref_bits)");
        return -1;
    }
    double arrays = (double)sim_param_int(p, "arrays");
    dev_area_part(out, "cells",
                  arrays * rows * phys_cols * sim_param_real(p, "cell_area_f2") * f_um * f_um);
    dev_area_part(out, "adc", arrays * adcs * adc);
    dev_area_part(out, "shift_add", arrays * adcs * sim_param_real(p, "shift_add_um2"));
    dev_area_part(out, "row_drivers", arrays * rows * driver);
    return 0;
}

const dev_ext_t xbar_ext = {
    .default_clock_hz = 1e9,
    .default_op = DEV_OP_MVM,
    .desc = {DEV_CAT_CROSSBAR,
             DEV_OP_BIT(DEV_OP_MVM) | DEV_OP_BIT(DEV_OP_GEMM) | DEV_OP_BIT(DEV_OP_PROGRAM),
             1, DEV_MEM_NONE},
    .mvm = xbar_ext_mvm,
    .convert = NULL,
    .cost = xbar_dev_cost,
    .area = xbar_area,
};
