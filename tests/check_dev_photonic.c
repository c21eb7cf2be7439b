/* Converters and photonic devices (dac, adc, laser, photodetector, mzi_mesh,
 * mrr_bank) against closed forms: the quantizer's step bound, converter
 * energy scaling from the Murmann/REFERENCE points, the laser loss budget
 * (+3 dB -> x10^0.3), zero-noise MVMs within the analytic DAC/ADC bound, and
 * energy per op adding up from hand-computed parts. */
#include "devices/dev_common.h"
#include "mapper/map.h"
#include "devices/dev_int.h"
#include "tests/check_stats.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void setup(void)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
}

/* ---- helpers ----------------------------------------------------------------- */
/* dut of `model` on a clock of `hz`, driven by an op_driver; NULL drv = no
 * driver (numerics only). Returns the sim after init (rc in *rc). */
static sim_t *build(const char *model, double hz, const char *const *params,
                    const char *const *drv, int *rc)
{
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(sim_add_clock(s, "clk", hz), 0);
    int id = sim_add_component(s, "dut", model, "clk", params);
    ck_assert_msg(id >= 0, "%s", sim_errmsg(s));
    if (drv) {
        int d = sim_add_component(s, "drv", "op_driver", NULL, drv);
        ck_assert_msg(d >= 0, "%s", sim_errmsg(s));
        ck_assert_int_ge(sim_add_link(s, "drv.out", "dut.in", 1000, 0), 0);
        ck_assert_int_ge(sim_add_link(s, "dut.out", "drv.in", 1000, 0), 0);
    }
    *rc = sim_init(s);
    return s;
}

static sim_t *run_ok(const char *model, double hz, const char *const *params,
                     const char *const *drv)
{
    int rc;
    sim_t *s = build(model, hz, params, drv, &rc);
    ck_assert_msg(rc == 0, "init: %s", sim_errmsg(s));
    rc = sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    ck_assert_msg(rc == 0, "run: %s", sim_errmsg(s));
    sim_finish(s);
    return s;
}

static double energy_sum(sim_t *s, const char *comp)
{
    sim_comp_t *c = sim_comp_find(s, comp);
    double e = 0;
    for (size_t i = 0; i < sim_stat_count(c); i++)
        if (sim_stat_kind(c, i) == SIM_STAT_ENERGY)
            e += sim_stat_value(c, i);
    return e;
}

/* ---- quantizer ------------------------------------------------------------------- */
START_TEST(test_quantize_bound)
{
    sim_rng_t r;
    sim_rng_init(&r, 11, 0);
    double x[257], q[257];
    for (int bits = 2; bits <= 12; bits++) {
        for (size_t i = 0; i < 257; i++)
            x[i] = 3.0 * sim_rng_next_normal(&r);
        ck_assert_int_eq(num_quantize(x, q, 257, bits, 0.0), 0);
        double fs = num_max_abs(x, 257), step = fs / (pow(2, bits - 1) - 1);
        ck_assert_double_eq_tol(num_quant_step(bits, fs), step, 1e-15 * fs);
        for (size_t i = 0; i < 257; i++) {
            ck_assert_double_le(fabs(q[i] - x[i]), step / 2 * (1 + 1e-12));
            double code = q[i] / step; /* an integer code within +-(2^(b-1)-1) */
            ck_assert_double_le(fabs(code - nearbyint(code)), 1e-9);
            ck_assert_double_le(fabs(code), pow(2, bits - 1) - 1 + 1e-9);
        }
    }
    /* 8 bit, fixed full scale 1: 0.5 -> 64/127 (round half to even of 63.5),
     * saturation at +-1, symmetric */
    double in[5] = {0.5, 2.0, -2.0, 1.0 / 127.0, -0.3}, out[5];
    ck_assert_int_eq(num_quantize(in, out, 5, 8, 1.0), 0);
    ck_assert_double_eq_tol(out[0], 64.0 / 127.0, 1e-15);
    ck_assert_double_eq(out[1], 1.0);
    ck_assert_double_eq(out[2], -1.0);
    ck_assert_double_eq_tol(out[3], 1.0 / 127.0, 1e-15);
    ck_assert_double_eq_tol(out[4], -38.0 / 127.0, 1e-15);
    /* 1 bit: sign; all-zero vector; bad input */
    double s1[3] = {0.2, -3.0, 0.0}, o1[3];
    ck_assert_int_eq(num_quantize(s1, o1, 3, 1, 0.0), 0);
    ck_assert_double_eq(o1[0], 3.0);
    ck_assert_double_eq(o1[1], -3.0);
    ck_assert_double_eq(o1[2], 0.0);
    double z[3] = {0, 0, 0};
    ck_assert_int_eq(num_quantize(z, o1, 3, 8, 0.0), 0);
    ck_assert_double_eq(o1[0] + o1[1] + o1[2], 0.0);
    ck_assert_int_eq(num_quantize(z, o1, 3, 0, 0.0), NUM_ERR_ARG);
    ck_assert_int_eq(num_quantize(z, o1, 3, 8, -1.0), NUM_ERR_ARG);
    ck_assert_int_eq(num_quantize(NULL, o1, 3, 8, 0.0), NUM_ERR_ARG);
}
END_TEST

/* ---- converter energy ----------------------------------------------------------- */
START_TEST(test_converter_energy_scaling)
{
    /* ADC 8 bit 10 GS/s 14.8 mW -> 1.48 pJ/conversion (Murmann point) */
    double ref = 14.8e-3 / 10e9 * 1e12;
    ck_assert_double_eq_tol(ref, 1.48, 1e-12);
    ck_assert_double_eq_tol(dev_adc_energy_pj(8, 10e9, 8, 10e9, ref, DEV_CONV_WALDEN), 1.48,
                            1e-12);
    /* Walden: +2 bits x4, -2 bits /4; flat below the reference rate */
    ck_assert_double_eq_tol(dev_adc_energy_pj(10, 10e9, 8, 10e9, ref, DEV_CONV_WALDEN), 5.92,
                            1e-12);
    ck_assert_double_eq_tol(dev_adc_energy_pj(6, 1e9, 8, 10e9, ref, DEV_CONV_WALDEN), 0.37, 1e-12);
    /* above the reference rate: linear in f / f_ref */
    ck_assert_double_eq_tol(dev_adc_energy_pj(8, 20e9, 8, 10e9, ref, DEV_CONV_WALDEN), 2.96,
                            1e-12);
    /* linear-in-bits: 10 / 8 */
    ck_assert_double_eq_tol(dev_adc_energy_pj(10, 5e9, 8, 10e9, ref, DEV_CONV_LINEAR), 1.85,
                            1e-12);
    /* DAC 8 bit 14 GS/s 50 mW -> 3.5714 pJ */
    ck_assert_double_eq_tol(dev_dac_energy_pj(8, 14e9, 8, 14e9, 50e-3 / 14e9 * 1e12,
                                              DEV_CONV_WALDEN),
                            50.0 / 14.0, 1e-12);
    ck_assert_double_lt(dev_adc_energy_pj(0, 1e9, 8, 1e9, 1, DEV_CONV_WALDEN), 0);
    ck_assert_double_lt(dev_adc_energy_pj(8, 0, 8, 1e9, 1, DEV_CONV_WALDEN), 0);
    ck_assert_double_lt(dev_adc_energy_pj(8, 1e9, 8, 1e9, 1, 7), 0);
    ck_assert_int_eq(dev_conv_scaling_parse("walden"), DEV_CONV_WALDEN);
    ck_assert_int_eq(dev_conv_scaling_parse("linear"), DEV_CONV_LINEAR);
    ck_assert_int_eq(dev_conv_scaling_parse("cap"), DEV_CONV_CAP);
    ck_assert_int_eq(dev_conv_scaling_parse("log"), -1);
    /* cap (Lightening-Transformer DAC.py): P ~ 2^N / N: 4 bits from 8 bits is
     * (16/4) / (256/8) = 1/8 of the reference */
    ck_assert_double_eq_tol(dev_dac_energy_pj(4, 1e9, 8, 14e9, 8.0, DEV_CONV_CAP), 1.0, 1e-12);
}
END_TEST

START_TEST(test_dac_adc_components)
{
    /* DAC at 10 bit, 7 GS/s: the default cap scaling of Lightening-
     * Transformer's DAC.py, E = 3.5714 * (2^10/10) / (2^8/8) = 3.5714 * 3.2
     * (flat below 14 GS/s); 1000 samples over 2 channels = 500 periods of
     * 1/7 GHz + 1 period latency */
    const char *p[] = {"bits", "10", "sample_rate_hz", "7e9", "channels", "2", NULL};
    const char *d[] = {"op", "convert", "samples", "1000", NULL};
    sim_t *s = run_ok("dac", 7e9, p, d);
    double e_conv = 50.0 / 14.0 * 3.2;
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.dac"), 1000 * e_conv), 1e-12);
    const map_drv_record_t *r;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &r), 1);
    double t_ps = 501.0 * 1e12 / 7e9;
    sim_time_t per = sim_clock_period_ps(s, sim_clock_find(s, "clk"));
    ck_assert_uint_eq(r[0].cycles, (uint64_t)ceil(t_ps / (double)per - 1e-9));
    ck_assert_double_le(rel_close(r[0].energy_pj, 1000 * e_conv), 1e-12);
    sim_destroy(s);
    /* ADC defaults: 1.48 pJ per conversion; numerics quantize at 8 bits */
    const char *d2[] = {"op", "convert", "samples", "100", NULL};
    s = run_ok("adc", 10e9, NULL, d2);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.adc"), 148.0), 1e-12);
    sim_comp_t *c = sim_comp_find(s, "dut");
    const dev_ext_t *ext = dev_model_ext(sim_model_find("adc"));
    ck_assert_ptr_nonnull(ext);
    ck_assert_ptr_nonnull(ext->convert);
    double in[4] = {1.0, -0.5, 0.25, 0.001}, out[4];
    ck_assert_int_eq(ext->convert(c, sim_comp_state(c), in, out, 4, NULL), 0);
    for (int i = 0; i < 4; i++)
        ck_assert_double_le(fabs(out[i] - in[i]), 0.5 / 127.0 + 1e-15);
    sim_destroy(s);
}
END_TEST

/* ---- laser and photodetector ------------------------------------------------------ */
START_TEST(test_laser_budget)
{
    /* -25 dBm at the PD through 10 dB at WPE 0.2: 10^(-1.5) / 0.2 mW */
    double p10 = dev_laser_power_mw(-25, 10, 0.2, 1);
    ck_assert_double_eq_tol(p10, pow(10, -1.5) / 0.2, 1e-15);
    ck_assert_double_eq_tol(dev_laser_power_mw(-25, 13, 0.2, 1) / p10, 1.9952623149688795,
                            1e-12);
    ck_assert_double_eq_tol(dev_laser_power_mw(-25, 10, 0.2, 12) / p10, 12.0, 1e-12);
    ck_assert_double_lt(dev_laser_power_mw(-25, 10, 0.0, 1), 0);
    ck_assert_double_lt(dev_laser_power_mw(-25, -1, 0.2, 1), 0);
    ck_assert_double_lt(dev_laser_power_mw(-25, 10, 0.2, 0), 0);
    /* the component: power from its budget; +3 dB doubles it (1.995x), and a
     * convert of m samples burns P * m / rate */
    const char *d[] = {"op", "convert", "samples", "5000", NULL};
    const char *p1[] = {"loss_db", "7", "wavelengths", "4", NULL};
    const char *p2[] = {"loss_db", "10", "wavelengths", "4", NULL};
    sim_t *a = run_ok("laser", 5e9, p1, d), *b = run_ok("laser", 5e9, p2, d);
    double pa = stat_of(a, "dut", "power_mw"), pb = stat_of(b, "dut", "power_mw");
    ck_assert_double_le(rel_close(pa, 4 * pow(10, (-25 + 7) / 10.0) / 0.2), 1e-12);
    ck_assert_double_le(rel_close(pb / pa, 1.9952623149688795), 1e-12);
    ck_assert_double_le(rel_close(stat_of(b, "dut", "energy.laser"), pb * 5000 / 5e9 * 1e9),
                        1e-12);
    sim_destroy(a);
    sim_destroy(b);
    /* the cores size their laser the same way: +3 dB of coupling loss on a
     * mesh or a bank doubles the laser (1.995x) */
    const char *dm[] = {"op", "mvm", "m", "1", "k", "4", "n", "4", NULL};
    const char *m0[] = {"n", "8", NULL}, *m3[] = {"n", "8", "coupler_loss_db", "3", NULL};
    const char *r0[] = {"rows", "4", "cols", "4", NULL};
    const char *r3[] = {"rows", "4", "cols", "4", "coupler_loss_db", "3", NULL};
    a = run_ok("mzi_mesh", 5e9, m0, dm);
    b = run_ok("mzi_mesh", 5e9, m3, dm);
    ck_assert_double_le(rel_close(stat_of(b, "dut", "laser_power_mw") /
                                      stat_of(a, "dut", "laser_power_mw"),
                                  1.9952623149688795),
                        1e-12);
    ck_assert_double_le(rel_close(stat_of(b, "dut", "energy.laser") /
                                      stat_of(a, "dut", "energy.laser"),
                                  1.9952623149688795),
                        1e-12);
    sim_destroy(a);
    sim_destroy(b);
    a = run_ok("mrr_bank", 5e9, r0, dm);
    b = run_ok("mrr_bank", 5e9, r3, dm);
    ck_assert_double_le(rel_close(stat_of(b, "dut", "laser_power_mw") /
                                      stat_of(a, "dut", "laser_power_mw"),
                                  1.9952623149688795),
                        1e-12);
    sim_destroy(a);
    sim_destroy(b);
}
END_TEST

START_TEST(test_program_op)
{ /* program a 20x20 matrix on an 8-mode MEMS mesh with tiling: 9 tiles, each
   * a 2 us settle; no vectors, no converter energy */
    const char *p[] = {"n", "8", "shifter", "mems", "tiling", "true", NULL};
    const char *d[] = {"op", "program", "k", "20", "n", "20", NULL};
    sim_t *s = run_ok("mzi_mesh", 5e9, p, d);
    ck_assert_double_eq(stat_of(s, "dut", "reloads"), 9);
    ck_assert_double_eq(stat_of(s, "dut", "energy.dac"), 0);
    const map_drv_record_t *r;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &r), 1);
    ck_assert_uint_eq(r[0].cycles, 9 * 2000000 / 200);
    sim_destroy(s);
}
END_TEST

START_TEST(test_photodetector)
{
    const char *d[] = {"op", "convert", "samples", "50", NULL};
    const char *p[] = {"tia_power_mw", "2", "sample_rate_hz", "4e9", "noise", "true", NULL};
    sim_t *s = run_ok("photodetector", 4e9, p, d);
    /* (2 mW TIA + 1.1 mW photodiode, Lightening-Transformer's table) / 4 GS/s
     * = 0.775 pJ per sample */
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.pd"), 50 * 3.1 / 4.0), 1e-12);
    sim_comp_t *c = sim_comp_find(s, "dut");
    const dev_ext_t *ext = dev_model_ext(sim_model_find("photodetector"));
    double in[1] = {0.01}, out[1];
    dev_num_ctx_t quiet = {0};
    ck_assert_int_eq(ext->convert(c, sim_comp_state(c), in, out, 1, &quiet), 0);
    ck_assert_double_eq_tol(out[0], 0.01, 1e-15); /* 1 A/W: 0.01 mW -> 0.01 mA */
    /* noise: sample sigma over 20000 draws matches shot + thermal (3%) */
    sim_rng_t rng;
    sim_rng_init(&rng, 5, 5);
    dev_num_ctx_t noisy = {.rng = &rng, .noise = 1};
    double sum = 0, sum2 = 0, p_mw = dev_dbm_to_mw(-25);
    const int N = 20000;
    for (int i = 0; i < N; i++) {
        double pin = p_mw, o;
        ext->convert(c, sim_comp_state(c), &pin, &o, 1, &noisy);
        sum += o;
        sum2 += o * o;
    }
    double mean = sum / N, sd = sqrt(sum2 / N - mean * mean);
    double i_a = p_mw * 1e-3, shot = sqrt(2 * 1.602176634e-19 * i_a * 2e9) * 1e3;
    double th = p_mw / 14.0;
    ck_assert_double_le(rel_close(sd, sqrt(shot * shot + th * th)), 0.03);
    ck_assert_double_le(fabs(mean - p_mw), 5 * sd / sqrt(N));
    sim_destroy(s);
}
END_TEST

/* ---- MVM numerics within the analytic quantization bound ----------------------------- */
/* With Lx = 2^(bd-1) - 1, Ly = 2^(ba-1) - 1, sx = max|x|:
 *   DAC:  x^ = x + e,  |e_j| <= sx / (2 Lx)
 *   ADC:  y^ = Q(W x^), |y^_i - (W x^)_i| <= max_i |(W x^)_i| / (2 Ly)
 *   so   |y^_i - (W x)_i| <= |W_i|_1 sx / (2 Lx) + M / (2 Ly),
 *        M = max|W x^| <= max|W x| + max_i |W_i|_1 sx / (2 Lx).
 * (mixing = crosstalk matrix norm (1 + 2 kappa) on the DAC term). */
static void check_bound(const double *W, size_t n_out, size_t n_in, const double *x,
                        const double *y, int bd, int ba, double kappa)
{
    double Lx = pow(2, bd - 1) - 1, Ly = pow(2, ba - 1) - 1, sx = num_max_abs(x, n_in);
    double *exact = malloc(n_out * sizeof *exact), *l1 = malloc(n_out * sizeof *l1);
    double mx = 0, ml1 = 0;
    for (size_t i = 0; i < n_out; i++) {
        exact[i] = 0;
        l1[i] = 0;
        for (size_t j = 0; j < n_in; j++) {
            double xm = x[j] + kappa * ((j > 0 ? x[j - 1] : 0) + (j + 1 < n_in ? x[j + 1] : 0));
            exact[i] += W[i * n_in + j] * xm;
            l1[i] += fabs(W[i * n_in + j]);
        }
        mx = fmax(mx, fabs(exact[i]));
        ml1 = fmax(ml1, l1[i]);
    }
    double dac = sx * (1 + 2 * kappa) / (2 * Lx);
    double M = mx + ml1 * dac;
    for (size_t i = 0; i < n_out; i++) {
        double bound = l1[i] * dac + M / (2 * Ly);
        ck_assert_msg(fabs(y[i] - exact[i]) <= bound * (1 + 1e-9) + 1e-12 * (mx + 1),
                      "out %zu: |%.12g - %.12g| > bound %.3g", i, y[i], exact[i], bound);
    }
    free(exact);
    free(l1);
}

START_TEST(test_mzi_tile_pure)
{ /* the pure numerics, no engine: several shapes and resolutions */
    static const int cfg[][5] = {{8, 8, 8, 8, 8}, {5, 7, 8, 6, 10}, {16, 16, 16, 4, 4},
                                 {1, 9, 9, 8, 8}, {12, 3, 12, 12, 12}};
    for (size_t t = 0; t < sizeof cfg / sizeof cfg[0]; t++) {
        size_t no = (size_t)cfg[t][0], ni = (size_t)cfg[t][1], n = (size_t)cfg[t][2];
        int bd = cfg[t][3], ba = cfg[t][4];
        sim_rng_t r;
        sim_rng_init(&r, 21, t);
        double *W = malloc(no * ni * sizeof *W), *x = malloc(ni * sizeof *x),
               *y = malloc(no * sizeof *y);
        for (size_t i = 0; i < no * ni; i++)
            W[i] = sim_rng_next_normal(&r);
        dev_svd_mesh_t m;
        ck_assert_int_eq(dev_svd_mesh_program(W, no, ni, n, &m), 0);
        for (int v = 0; v < 20; v++) {
            for (size_t j = 0; j < ni; j++)
                x[j] = sim_rng_next_normal(&r);
            ck_assert_int_eq(dev_mzi_mvm_tile(&m, x, y, bd, ba, 0.0, 0.0, NULL), 0);
            check_bound(W, no, ni, x, y, bd, ba, 0.0);
        }
        dev_svd_mesh_free(&m);
        free(W);
        free(x);
        free(y);
    }
}
END_TEST

START_TEST(test_bound_is_tight_enough_to_fail)
{ /* the check is not vacuous: a 1e-2 relative phase error breaks it */
    size_t n = 8;
    sim_rng_t r;
    sim_rng_init(&r, 4, 4);
    double W[64], x[8], y[8];
    for (size_t i = 0; i < 64; i++)
        W[i] = sim_rng_next_normal(&r);
    for (size_t j = 0; j < n; j++)
        x[j] = sim_rng_next_normal(&r);
    dev_svd_mesh_t m;
    ck_assert_int_eq(dev_svd_mesh_program(W, n, n, n, &m), 0);
    ck_assert_int_eq(dev_mzi_mvm_tile(&m, x, y, 12, 12, 0.05, 0.0, &r), 0);
    double Lx = 2047, Ly = 2047, sx = num_max_abs(x, n), worst_ratio = 0;
    for (size_t i = 0; i < n; i++) {
        double e = 0, l1 = 0, mx = 0;
        for (size_t j = 0; j < n; j++) {
            e += W[i * n + j] * x[j];
            l1 += fabs(W[i * n + j]);
        }
        for (size_t k = 0; k < n; k++) {
            double a = 0;
            for (size_t j = 0; j < n; j++)
                a += W[k * n + j] * x[j];
            mx = fmax(mx, fabs(a));
        }
        double bound = l1 * sx / (2 * Lx) + (mx + 8 * sx / (2 * Lx)) / (2 * Ly);
        worst_ratio = fmax(worst_ratio, fabs(y[i] - e) / bound);
    }
    ck_assert_double_gt(worst_ratio, 2.0);
    dev_svd_mesh_free(&m);
}
END_TEST

START_TEST(test_mzi_component_numerics)
{ /* through the model's ext->mvm: in-place (16x16), embedded (5x11) and tiled */
    int rc;
    const char *p[] = {"n", "16", "tiling", "true", "dac_bits", "6", "adc_bits", "7", NULL};
    sim_t *s = build("mzi_mesh", 5e9, p, NULL, &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    sim_comp_t *c = sim_comp_find(s, "dut");
    const dev_ext_t *ext = dev_model_ext(sim_model_find("mzi_mesh"));
    ck_assert_ptr_nonnull(ext->mvm);
    ck_assert_double_eq(ext->default_clock_hz, 5e9);
    sim_rng_t r;
    sim_rng_init(&r, 8, 8);
    static const size_t shapes[][2] = {{16, 16}, {5, 11}, {40, 20}};
    for (size_t t = 0; t < 3; t++) {
        size_t no = shapes[t][0], ni = shapes[t][1];
        double *W = malloc(no * ni * sizeof *W), *x = malloc(ni * sizeof *x),
               *y = malloc(no * sizeof *y);
        for (size_t i = 0; i < no * ni; i++)
            W[i] = sim_rng_next_normal(&r);
        for (size_t j = 0; j < ni; j++)
            x[j] = sim_rng_next_normal(&r);
        dev_num_ctx_t ctx = {.rng = &r, .noise = 1}; /* noise params are 0 */
        ck_assert_int_eq(ext->mvm(c, sim_comp_state(c), W, no, ni, x, y, &ctx), 0);
        if (no <= 16 && ni <= 16) {
            check_bound(W, no, ni, x, y, 6, 7, 0.0);
        } else { /* tiles: each tile's bound, summed */
            double *yt = calloc(no, sizeof *yt);
            for (size_t r0 = 0; r0 < no; r0 += 16)
                for (size_t c0 = 0; c0 < ni; c0 += 16) {
                    size_t rows = no - r0 < 16 ? no - r0 : 16, cols = ni - c0 < 16 ? ni - c0 : 16;
                    double Wt[256], Lx = 31, Ly = 63, sx = num_max_abs(x + c0, cols), mx = 0,
                                    ml1 = 0, l1[16];
                    for (size_t i = 0; i < rows; i++) {
                        double a = 0;
                        l1[i] = 0;
                        for (size_t j = 0; j < cols; j++) {
                            Wt[i * cols + j] = W[(r0 + i) * ni + c0 + j];
                            a += Wt[i * cols + j] * x[c0 + j];
                            l1[i] += fabs(Wt[i * cols + j]);
                        }
                        mx = fmax(mx, fabs(a));
                        ml1 = fmax(ml1, l1[i]);
                    }
                    for (size_t i = 0; i < rows; i++)
                        yt[r0 + i] += l1[i] * sx / (2 * Lx) +
                                      (mx + ml1 * sx / (2 * Lx)) / (2 * Ly);
                }
            for (size_t i = 0; i < no; i++) {
                double e = 0;
                for (size_t j = 0; j < ni; j++)
                    e += W[i * ni + j] * x[j];
                ck_assert_double_le(fabs(y[i] - e), yt[i] * (1 + 1e-9) + 1e-12);
            }
            free(yt);
        }
        free(W);
        free(x);
        free(y);
    }
    sim_destroy(s);
}
END_TEST

START_TEST(test_mzi_phase_noise)
{ /* phase noise on: the result moves, reproducibly for the same stream */
    int rc;
    const char *p[] = {"n", "8", "phase_noise_rad", "0.02", "adc_bits", "16", "dac_bits", "16",
                       NULL};
    sim_t *s = build("mzi_mesh", 5e9, p, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    sim_comp_t *c = sim_comp_find(s, "dut");
    const dev_ext_t *ext = dev_model_ext(sim_model_find("mzi_mesh"));
    double W[64], x[8], y0[8], y1[8], y2[8];
    sim_rng_t r;
    sim_rng_init(&r, 2, 2);
    for (int i = 0; i < 64; i++)
        W[i] = sim_rng_next_normal(&r);
    for (int j = 0; j < 8; j++)
        x[j] = sim_rng_next_normal(&r);
    dev_num_ctx_t off = {.noise = 0};
    sim_rng_t a, b;
    sim_rng_init(&a, 9, 1);
    sim_rng_init(&b, 9, 1);
    dev_num_ctx_t on1 = {.rng = &a, .noise = 1}, on2 = {.rng = &b, .noise = 1};
    ck_assert_int_eq(ext->mvm(c, sim_comp_state(c), W, 8, 8, x, y0, &off), 0);
    ck_assert_int_eq(ext->mvm(c, sim_comp_state(c), W, 8, 8, x, y1, &on1), 0);
    ck_assert_int_eq(ext->mvm(c, sim_comp_state(c), W, 8, 8, x, y2, &on2), 0);
    double d = 0, d12 = 0, norm = 0;
    for (int i = 0; i < 8; i++) {
        d = fmax(d, fabs(y1[i] - y0[i]));
        d12 = fmax(d12, fabs(y1[i] - y2[i]));
        norm = fmax(norm, fabs(y0[i]));
    }
    ck_assert_double_eq(d12, 0.0);
    ck_assert_double_gt(d / norm, 1e-3);
    ck_assert_double_lt(d / norm, 0.5);
    sim_destroy(s);
}
END_TEST

START_TEST(test_mrr_numerics_and_crosstalk)
{
    int rc;
    sim_rng_t r;
    sim_rng_init(&r, 31, 0);
    double W[12 * 12], x[12], y[12];
    for (int i = 0; i < 144; i++)
        W[i] = sim_rng_next_normal(&r);
    dev_num_ctx_t ctx = {.rng = &r, .noise = 1};
    /* zero noise, no crosstalk: within the quantization bound */
    sim_t *s = build("mrr_bank", 5e9, NULL, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    sim_comp_t *c = sim_comp_find(s, "dut");
    const dev_ext_t *ext = dev_model_ext(sim_model_find("mrr_bank"));
    for (int v = 0; v < 10; v++) {
        for (int j = 0; j < 12; j++)
            x[j] = sim_rng_next_normal(&r);
        ck_assert_int_eq(ext->mvm(c, sim_comp_state(c), W, 12, 12, x, y, &ctx), 0);
        check_bound(W, 12, 12, x, y, 8, 8, 0.0);
        ck_assert_int_eq(ext->mvm(c, sim_comp_state(c), W, 7, 5, x, y, &ctx), 0);
        check_bound(W, 7, 5, x, y, 8, 8, 0.0);
    }
    ck_assert_int_eq(ext->mvm(c, sim_comp_state(c), W, 13, 12, x, y, &ctx), SIM_ERR_MODEL);
    sim_destroy(s);
    /* Lorentzian crosstalk: kappa = 1 / (1 + (2 * 0.8 * 1e4 / 1550)^2) */
    const char *pl[] = {"crosstalk", "lorentzian", NULL};
    s = build("mrr_bank", 5e9, pl, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    double kappa = 1.0 / (1.0 + pow(2 * 0.8 * 1e4 / 1550.0, 2));
    ck_assert_double_le(rel_close(stat_of(s, "dut", "crosstalk_leak"), kappa), 1e-12);
    ck_assert_double_le(rel_close(dev_ring_lorentzian(0.8, 1550, 1e4), kappa), 1e-15);
    sim_destroy(s);
    /* fixed 10 dB crosstalk: the mixed product, within the bound of the mix,
     * and clearly off the plain product */
    const char *pf[] = {"crosstalk", "fixed", "crosstalk_db", "10", NULL};
    s = build("mrr_bank", 5e9, pf, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    c = sim_comp_find(s, "dut");
    for (int j = 0; j < 12; j++)
        x[j] = 1.0 + 0.1 * j; /* same sign: crosstalk adds up */
    ck_assert_int_eq(ext->mvm(c, sim_comp_state(c), W, 12, 12, x, y, &ctx), 0);
    check_bound(W, 12, 12, x, y, 8, 8, 0.1);
    double off = 0;
    for (int i = 0; i < 12; i++) {
        double e = 0;
        for (int j = 0; j < 12; j++)
            e += W[i * 12 + j] * x[j];
        off = fmax(off, fabs(y[i] - e));
    }
    ck_assert_double_gt(off, 0.1);
    sim_destroy(s);
}
END_TEST

/* ---- energy per op from its parts (hand-computed small cases) ------------------------- */
START_TEST(test_mzi_energy_adds_up)
{
    /* N = 4 MEMS mesh, hold 1 uW per shifter; 3 vectors through 4x4.
     * converters at 5 GS/s (below their reference rates: flat energy):
     *   DAC 50/14 pJ, ADC 1.48 pJ, MZM 0.45 pJ per symbol (any dac_bits),
     *   PD (3 mW TIA + 1.1 mW photodiode) / 5 GHz = 0.82 pJ
     * one MZI = MEMS shifter 0.33 + two couplers 2 * 0.33 = 0.99 dB
     * (Lightening-Transformer device table);
     * loss = (2N+1) 0.99 + 1.2 + 10 log10(4) dB; P = 10^((-25 + loss)/10) / 0.2
     * t_first = 200 (DAC) + 200 (mod) + 9*250*4.2/299.792458 + 200 (PD) + 200 (ADC)
     * t_op = t_first + 2 * 200; reload: 2 us settle, no energy of its own:
     * the 36 shifters * 1e-3 mW hold is static power over the whole run */
    const char *p[] = {"n", "4", "shifter", "mems", "mems_hold_mw", "1e-3", NULL};
    const char *d[] = {"op", "mvm", "m", "3", "k", "4", "n", "4", "count", "2", NULL};
    sim_t *s = run_ok("mzi_mesh", 5e9, p, d);
    double e_dac = 12 * 50.0 / 14.0, e_adc = 12 * 1.48, e_mod = 12 * 0.45, e_pd = 12 * 0.82;
    double loss = 9 * 0.99 + 1.2 + 10 * log10(4.0);
    double pw = pow(10, (-25 + loss) / 10) / 0.2;
    double t_first = 800 + 9 * 250 * 4.2 / 299.792458, t_op = t_first + 400;
    double e_laser = pw * t_op * 1e-3;
    ck_assert_double_le(rel_close(stat_of(s, "dut", "insertion_loss_db"), loss), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "laser_power_mw"), pw), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.dac"), 2 * e_dac), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.adc"), 2 * e_adc), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.modulator"), 2 * e_mod), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.pd"), 2 * e_pd), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.laser"), 2 * e_laser), 1e-12);
    ck_assert_double_eq(stat_of(s, "dut", "reloads"), 1); /* same weight_id twice */
    const map_drv_record_t *r;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &r), 2);
    double first = e_dac + e_adc + e_mod + e_pd + e_laser;
    ck_assert_double_le(rel_close(r[0].energy_pj, first), 1e-12);
    ck_assert_double_le(rel_close(r[1].energy_pj, first), 1e-12);
    ck_assert_double_le(rel_close(energy_sum(s, "dut"), 2 * first), 1e-12);
    ck_assert_uint_eq(r[0].cycles, (uint64_t)ceil((2e6 + t_op) / 200.0));
    ck_assert_uint_eq(r[1].cycles, (uint64_t)ceil(t_op / 200.0));
    /* static: 36 uW over the run */
    sim_comp_t *c = sim_comp_find(s, "dut");
    ck_assert_double_le(rel_close(sim_static_energy_pj(c), 0.036 * (double)sim_now(s) * 1e-3),
                        1e-12);
    sim_destroy(s);
}
END_TEST

/* The photonic cores' converters, modulators, detectors and laser: what an
 * op's energy may hold once the heaters are static power. */
static double pio_energy(sim_t *s)
{
    return stat_of(s, "dut", "energy.dac") + stat_of(s, "dut", "energy.adc") +
           stat_of(s, "dut", "energy.modulator") + stat_of(s, "dut", "energy.laser") +
           stat_of(s, "dut", "energy.pd");
}

/* external_laser: the core still sizes the laser but charges no light (a
 * laser component does; photonic.yaml counted it twice before) */
START_TEST(test_external_laser)
{
    const char *p[] = {"n", "4", "shifter", "mems", "external_laser", "true", NULL};
    const char *d[] = {"op", "mvm", "m", "3", "k", "4", "n", "4", NULL};
    sim_t *s = run_ok("mzi_mesh", 5e9, p, d);
    double loss = 9 * 0.99 + 1.2 + 10 * log10(4.0);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "laser_power_mw"),
                                  pow(10, (-25 + loss) / 10) / 0.2),
                        1e-12);
    ck_assert_double_eq(stat_of(s, "dut", "energy.laser"), 0);
    ck_assert_double_gt(stat_of(s, "dut", "energy.modulator"), 0);
    sim_destroy(s);
}
END_TEST

START_TEST(test_mzi_thermo_reload_and_weights)
{ /* thermo-optic: a reload takes 10 us; a new weight_id reloads; the heaters
   * are charged once (issue 13: they were charged as program energy and as
   * static power over the same 10 us): the heater energy of the run is
   * P_hold x run time (dev_hold_energy_pj) and nothing else */
    const char *p[] = {"n", "8", NULL};
    const char *d[] = {"requests", "op=mvm m=1 k=8 n=8 weight_id=1; op=mvm m=1 k=8 n=8 "
                                   "weight_id=2; op=mvm m=1 k=8 n=8 weight_id=2 count=2",
                       NULL};
    sim_t *s = run_ok("mzi_mesh", 5e9, p, d);
    ck_assert_double_eq(stat_of(s, "dut", "reloads"), 2);
    sim_comp_t *c = sim_comp_find(s, "dut");
    double hold_mw = sim_static_energy_pj(c) / ((double)sim_now(s) * 1e-3);
    /* hold power of a Gaussian 8x8 SVD mesh: a fraction of (shifters x 2 pi) */
    ck_assert_double_gt(hold_mw, 30.0 * 0.2 * (double)dev_svd_mesh_shifters(8));
    ck_assert_double_lt(hold_mw, 30.0 * 2.0 * (double)dev_svd_mesh_shifters(8));
    ck_assert_double_le(rel_close(sim_static_energy_pj(c),
                                  dev_hold_energy_pj(hold_mw, (double)sim_now(s))),
                        1e-12);
    /* dynamic energy: the I/O only, no second heater term */
    ck_assert_double_le(rel_close(energy_sum(s, "dut"), pio_energy(s)), 1e-12);
    /* the run lasts at least the two settles: the static ledger covers them */
    ck_assert_uint_gt(sim_now(s), 2 * 10000000);
    const map_drv_record_t *r;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &r), 4);
    ck_assert_uint_gt(r[0].cycles, 50000); /* 10 us at 5 GHz */
    ck_assert_uint_gt(r[1].cycles, 50000);
    ck_assert_uint_lt(r[2].cycles, 10);
    double e_ops = 0;
    for (int i = 0; i < 4; i++)
        e_ops += r[i].energy_pj;
    ck_assert_double_le(rel_close(e_ops, pio_energy(s)), 1e-12);
    sim_destroy(s);
}
END_TEST

START_TEST(test_mrr_energy_adds_up)
{
    /* 3 x 4 bank, 2 signed vectors: two passes per vector.
     * loss = 1.2 + 10 log10(3) + 4 * 0.05; P = 4 * 10^((-25 + loss)/10) / 0.2
     * t_first = 200 + 2 * 200 + 4*20*4.2/c + 200 + 200; t_op = t_first + 400;
     * reload 10 us; static 12 rings * 1.2 mW */
    const char *p[] = {"rows", "3", "cols", "4", NULL};
    const char *d[] = {"op", "mvm", "m", "2", "k", "4", "n", "3", NULL};
    sim_t *s = run_ok("mrr_bank", 5e9, p, d);
    double e_dac = 8 * 50.0 / 14.0, e_mod = 8 * 0.042, e_adc = 6 * 1.48, e_pd = 6 * 0.82;
    double loss = 1.2 + 10 * log10(3.0) + 0.2, pw = 4 * pow(10, (-25 + loss) / 10) / 0.2;
    double t_first = 1000 + 4 * 20 * 4.2 / 299.792458, t_op = t_first + 400;
    double e_laser = pw * t_op * 1e-3;
    ck_assert_double_le(rel_close(stat_of(s, "dut", "laser_power_mw"), pw), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.dac"), e_dac), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.modulator"), e_mod), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.adc"), e_adc), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.pd"), e_pd), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.laser"), e_laser), 1e-12);
    const map_drv_record_t *r;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &r), 1);
    ck_assert_double_le(rel_close(r[0].energy_pj, e_dac + e_mod + e_adc + e_pd + e_laser), 1e-12);
    ck_assert_uint_eq(r[0].cycles, (uint64_t)ceil((1e7 + t_op) / 200.0));
    sim_comp_t *c = sim_comp_find(s, "dut");
    ck_assert_double_le(rel_close(sim_static_energy_pj(c), 14.4 * (double)sim_now(s) * 1e-3),
                        1e-12);
    /* the same hold rule as mzi_mesh: tuning once, as static power */
    ck_assert_double_le(rel_close(sim_static_energy_pj(c), dev_hold_energy_pj(14.4, (double)sim_now(s))),
                        1e-12);
    ck_assert_double_le(rel_close(energy_sum(s, "dut"), pio_energy(s)), 1e-12);
    sim_destroy(s);
}
END_TEST

/* ---- errors ----------------------------------------------------------------------- */
START_TEST(test_errors)
{
    int rc;
    /* a matrix larger than the mesh without tiling */
    const char *p[] = {"n", "16", NULL};
    const char *d[] = {"op", "mvm", "m", "1", "k", "32", "n", "32", NULL};
    sim_t *s = build("mzi_mesh", 5e9, p, d, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_lt(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_msg(strstr(sim_errmsg(s), "matrix 32x32 larger than mzi_mesh n=16; set tiling=true"),
                  "%s", sim_errmsg(s));
    sim_destroy(s);
    /* with tiling: 4 tiles, each reprogrammed */
    const char *pt[] = {"n", "16", "tiling", "true", NULL};
    s = run_ok("mzi_mesh", 5e9, pt, d);
    ck_assert_double_eq(stat_of(s, "dut", "reloads"), 4);
    sim_destroy(s);
    /* an op the device cannot do */
    const char *dc[] = {"op", "convert", "samples", "4", NULL};
    s = build("mzi_mesh", 5e9, p, dc, &rc);
    ck_assert_int_lt(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_msg(strstr(sim_errmsg(s), "cannot do op 'convert'"), "%s", sim_errmsg(s));
    sim_destroy(s);
    const char *dm[] = {"op", "mvm", "m", "1", "k", "4", "n", "4", NULL};
    s = build("dac", 14e9, NULL, dm, &rc);
    ck_assert_int_lt(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_msg(strstr(sim_errmsg(s), "dac") && strstr(sim_errmsg(s), "cannot do op 'mvm'"), "%s",
                  sim_errmsg(s));
    sim_destroy(s);
    /* bank size limit */
    const char *pb[] = {"cols", "20", NULL};
    s = build("mrr_bank", 5e9, pb, NULL, &rc);
    ck_assert_int_lt(rc, 0);
    ck_assert_msg(strstr(sim_errmsg(s), "cols=20 exceeds max_wavelengths=16"), "%s",
                  sim_errmsg(s));
    sim_destroy(s);
    /* MRR too large without tiling */
    const char *dr[] = {"op", "mvm", "m", "1", "k", "13", "n", "12", NULL};
    s = build("mrr_bank", 5e9, NULL, dr, &rc);
    ck_assert_int_lt(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_msg(strstr(sim_errmsg(s), "set tiling=true"), "%s", sim_errmsg(s));
    sim_destroy(s);
    /* out-of-range parameters are refused by the table */
    sim_opts_t o = {.seed = 1};
    s = sim_create(&o);
    sim_add_clock(s, "clk", 1e9);
    const char *bad1[] = {"bits", "0", NULL};
    const char *bad2[] = {"n", "0", NULL};
    const char *bad3[] = {"wpe", "1.5", NULL};
    const char *bad4[] = {"shifter", "piezo", NULL};
    ck_assert_int_lt(sim_add_component(s, "a", "adc", "clk", bad1), 0);
    ck_assert_int_lt(sim_add_component(s, "b", "mzi_mesh", "clk", bad2), 0);
    ck_assert_int_lt(sim_add_component(s, "c", "laser", "clk", bad3), 0);
    ck_assert_int_lt(sim_add_component(s, "d", "mzi_mesh", "clk", bad4), 0);
    sim_destroy(s);
    /* no clock */
    s = sim_create(&o);
    ck_assert_int_ge(sim_add_component(s, "dut", "laser", NULL, NULL), 0);
    ck_assert_int_lt(sim_init(s), 0);
    ck_assert_msg(strstr(sim_errmsg(s), "needs a clock"), "%s", sim_errmsg(s));
    sim_destroy(s);
}
END_TEST

START_TEST(test_pipelining)
{ /* back-to-back requests: the second MVM starts one vector slot after the
   * first's last vector, not after its pipeline drains */
    const char *p[] = {"n", "8", "shifter", "mems", NULL};
    const char *d[] = {"op", "mvm", "m", "10", "k", "8", "n", "8", "count", "3", "outstanding",
                       "3", "no_reload", "true", NULL};
    sim_t *s = run_ok("mzi_mesh", 5e9, p, d);
    const map_drv_record_t *r;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &r), 3);
    /* each op: t_first + 9 slots; issue interval 10 slots of 200 ps */
    double t_first = 800 + 17 * 250 * 4.2 / 299.792458;
    uint64_t cyc = (uint64_t)ceil((t_first + 9 * 200) / 200.0);
    ck_assert_uint_eq(r[0].cycles, cyc);
    ck_assert_uint_eq(r[1].device_latency_ps, r[0].device_latency_ps + 10 * 200);
    ck_assert_uint_eq(r[2].device_latency_ps, r[0].device_latency_ps + 20 * 200);
    ck_assert_double_eq(stat_of(s, "dut", "reloads"), 0);
    sim_destroy(s);
}
END_TEST

/* The numerics checks `prism op --check` runs, as a device-layer API the
 * mapper can call (devices/check.c): a DAC's error is its quantization (8 bits
 * over a per-vector full scale: every sample within step/2), an MZI mesh's
 * mvm is within the DAC/ADC bound, a device without numerics says so. */
START_TEST(test_device_checks_api)
{
    int rc;
    char err[256];
    dev_check_t dc;
    sim_t *s = build("dac", 5e9, (const char *[]){NULL}, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(dev_check_convert(sim_comp_find(s, "dut"), 1000, 1, 0, 1, &dc, err, sizeof err),
                     0);
    ck_assert_str_eq(dc.what, "convert");
    ck_assert_uint_eq(dc.values, 1000);
    ck_assert_double_le(dc.max_abs_error, 0.5 / 127.0 + 1e-12); /* |x| <= 1: step 1/127 */
    ck_assert_double_gt(dc.rel_error, 0);
    ck_assert_int_eq(dev_check_mvm(sim_comp_find(s, "dut"), 4, 4, 1, 1, 0, 1, &dc, err, sizeof err),
                     SIM_ERR_CONFIG);
    ck_assert_msg(strstr(err, "dac has no mvm numerics"), "%s", err);
    sim_destroy(s);
    s = build("mzi_mesh", 5e9, (const char *[]){"n", "16", "shifter", "mems", NULL}, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(dev_check_mvm(sim_comp_find(s, "dut"), 16, 16, 4, 1, 0, 1, &dc, err, sizeof err),
                     0);
    ck_assert_str_eq(dc.what, "mvm");
    ck_assert_uint_eq(dc.values, 64);
    ck_assert_double_lt(dc.rel_error, 0.05); /* 8-bit DAC and ADC */
    ck_assert_double_gt(dc.rel_error, 0);
    sim_destroy(s);
}
END_TEST

/* ---- ptc: the dynamic photonic tensor core (Lightening-Transformer) -------------------- */
/* Hand figures from Lightening-Transformer's photonic_crossbar.py formulas and
 * default.yaml device table, 12 x 12 DDOTs, 12 wavelengths, 8 bits, 5 GHz:
 *   loss = MZM 1.2 + 2 x WDM ring 0.93 + y-branch 0.1 x ceil(log2 12) (modulation)
 *        + y-branch 0.1 + shifter 0.33 + coupler 0.33 (DDOT)             = 4.22 dB
 *   laser = 10^((-25 + 4.22 + 10 log10 144) / 10) / 0.2 x 2^8 mW
 *   per modulated symbol: DAC 50 mW x 5/14 / 5 GHz = 50/14 pJ, MZM 0.45 pJ,
 *     two WDM rings 2 x 0.275 / 5 pJ (energy.other)
 *   per output per pass: two photodiodes 2 x 1.1 / 5 pJ; per ADC sample: ADC
 *     14.8 mW x 5/10 / 5 GHz = 1.48 pJ, TIA 3 / 5 pJ, adder 0.04556 / 5 pJ */
static const double ptc_loss = 4.22;
static double ptc_laser_mw(void)
{
    return pow(10, (-25 + ptc_loss + 10 * log10(144.0)) / 10) / 0.2 * 256;
}

/* energy of m x k x n by the formulas above (time_accum T) */
static void ptc_hand(double m, double k, double n, double T, double *cat)
{
    double i1 = ceil(m / 12), i2 = ceil(n / 12), id = ceil(k / 12);
    double sym = m * k * i2 + k * n * i1, smp = m * n * ceil(id / T);
    cat[0] = sym * 50.0 / 14.0;                          /* dac */
    cat[1] = sym * 0.45;                                 /* modulator */
    cat[2] = smp * 1.48;                                 /* adc */
    cat[3] = m * n * id * 2 * 1.1 / 5 + smp * 3.0 / 5;   /* pd: photodiodes + TIA */
    cat[4] = ptc_laser_mw() * i1 * i2 * id * 200 * 1e-3; /* laser over the passes */
    cat[5] = sym * 2 * 0.275 / 5 + smp * 0.04556 / 5;    /* other: WDM rings, adders */
}

START_TEST(test_ptc_one_pass)
{
    /* one 12 x 12 x 12 pass: 1728 MACs */
    const char *d[] = {"op", "gemm", "m", "12", "k", "12", "n", "12", NULL};
    sim_t *s = run_ok("ptc", 5e9, NULL, d);
    double cat[6], tot = 0;
    ptc_hand(12, 12, 12, 1, cat);
    const char *names[] = {"energy.dac", "energy.modulator", "energy.adc",
                           "energy.pd",  "energy.laser",     "energy.other"};
    for (int i = 0; i < 6; i++) {
        ck_assert_double_le(rel_close(stat_of(s, "dut", names[i]), cat[i]), 1e-12);
        tot += cat[i];
    }
    /* the same figures written out: 288 symbols, 144 outputs */
    ck_assert_double_le(rel_close(cat[0], 288 * 50.0 / 14.0), 1e-15);
    ck_assert_double_le(rel_close(cat[2], 144 * 1.48), 1e-15);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "insertion_loss_db"), ptc_loss), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "laser_power_mw"), ptc_laser_mw()), 1e-12);
    ck_assert_double_eq(stat_of(s, "dut", "passes"), 1);
    ck_assert_double_eq(stat_of(s, "dut", "reloads"), 0);
    /* about 1.08 pJ/MAC, the paper's "near 1 pJ/MAC at 8 bits" */
    ck_assert_double_le(rel_close(energy_sum(s, "dut"), tot), 1e-12);
    ck_assert_double_gt(tot / 1728, 1.0);
    ck_assert_double_lt(tot / 1728, 1.1);
    /* timing: DAC + MZM + DDOT row + PD + ADC, the row 12 nodes of
     * 1.8 + 100 + 5.25 + 10 + 30 um at group index 4.2 */
    const map_drv_record_t *r;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &r), 1);
    double t_first = 800 + 12 * 147.05 * 4.2 / 299.792458;
    ck_assert_uint_eq(r[0].cycles, (uint64_t)ceil(t_first / 200.0));
    ck_assert_double_eq(sim_static_energy_pj(sim_comp_find(s, "dut")), 0); /* MEMS: no hold */
    sim_destroy(s);
}
END_TEST

START_TEST(test_ptc_gemm_cost)
{
    /* 128 x 768 x 768 by the cost query: 11 x 64 x 64 passes at 200 ps */
    int rc;
    sim_t *s = build("ptc", 5e9, NULL, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    dev_req_t q = {.kind = DEV_OP_GEMM, .m = 128, .k = 768, .n = 768, .weight_id = 7};
    dev_cost_t k;
    char err[256];
    ck_assert_int_eq(dev_cost(sim_comp_find(s, "dut"), &q, &k, err, sizeof err), 0);
    ck_assert_uint_eq(k.issue_cycles, 11 * 64 * 64);
    double cat[6], tot = 0;
    ptc_hand(128, 768, 768, 1, cat);
    for (int i = 0; i < 6; i++)
        tot += cat[i];
    ck_assert_double_le(rel_close(k.energy_pj, tot), 1e-12);
    ck_assert_uint_eq(k.program_cycles, 0);
    double macs = 128.0 * 768 * 768, secs = (double)k.cycles * 200e-12;
    ck_assert_double_ge(macs / secs, 1e12); /* the issue's floor */
    ck_assert_double_le(tot / macs, 1.5);   /* pJ/MAC at 8 bits */
    /* dynamic operands: a new weight_id costs nothing more */
    q.weight_id = 8;
    dev_cost_t k2;
    ck_assert_int_eq(dev_cost(sim_comp_find(s, "dut"), &q, &k2, err, sizeof err), 0);
    ck_assert_double_eq(k2.energy_pj, k.energy_pj);
    ck_assert_uint_eq(k2.cycles, k.cycles);
    /* a request whose size product overflows is refused, not wrapped */
    dev_req_t big = {.kind = DEV_OP_GEMM, .m = 1ull << 32, .k = 1ull << 32, .n = 1ull << 32};
    ck_assert_int_eq(dev_cost(sim_comp_find(s, "dut"), &big, &k2, err, sizeof err), SIM_ERR_CONFIG);
    dev_req_t pr = {.kind = DEV_OP_PROGRAM, .k = 12, .n = 12};
    ck_assert_int_eq(dev_cost(sim_comp_find(s, "dut"), &pr, &k2, err, sizeof err), SIM_ERR_CONFIG);
    sim_destroy(s);
    /* the handler refuses the overflowing request with a message */
    const char *d[] = {"op", "gemm", "m", "4294967296", "k", "4294967296", "n", "4294967296", NULL};
    s = build("ptc", 5e9, NULL, d, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_lt(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_msg(strstr(sim_errmsg(s), "overflows 64 bits"), "%s", sim_errmsg(s));
    sim_destroy(s);
    /* tiling=false: one pass at most */
    const char *pt[] = {"tiling", "false", NULL};
    const char *d13[] = {"op", "gemm", "m", "12", "k", "13", "n", "12", NULL};
    s = build("ptc", 5e9, pt, d13, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_lt(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_msg(strstr(sim_errmsg(s), "larger than one pass"), "%s", sim_errmsg(s));
    sim_destroy(s);
}
END_TEST

START_TEST(test_ptc_time_accum_and_bits)
{
    /* time_accum 3 over k = 72 (6 passes over k): 2 ADC samples per output */
    const char *p[] = {"time_accum", "3", NULL};
    const char *d[] = {"op", "gemm", "m", "12", "k", "72", "n", "12", NULL};
    sim_t *s = run_ok("ptc", 5e9, p, d);
    double cat[6];
    ptc_hand(12, 72, 12, 3, cat);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.adc"), 144 * 2 * 1.48), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.pd"), cat[3]), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.other"), cat[5]), 1e-12);
    sim_destroy(s);
    /* 4-bit converters: the modulator still charges 0.45 pJ per symbol; DAC
     * (2^4/4)/(2^8/8) of 50/14 pJ; laser x 2^4 instead of 2^8 */
    const char *p4[] = {"dac_bits", "4", "adc_bits", "4", NULL};
    const char *d1[] = {"op", "gemm", "m", "12", "k", "12", "n", "12", NULL};
    s = run_ok("ptc", 5e9, p4, d1);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.modulator"), 288 * 0.45), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.dac"), 288 * 50.0 / 14.0 * 4 / 32),
                        1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "laser_power_mw"), ptc_laser_mw() / 16), 1e-12);
    sim_destroy(s);
}
END_TEST

START_TEST(test_ptc_area)
{
    /* photonic_crossbar.py cal_core_area, 12 x 12 x 12, plus 144 TIAs:
     * nodes 144 x 147.05 x (1.8 + 45 + 20) um, ADC 144 x 2850, DAC 288 x 11000,
     * MZM 288 x 260 x 20, WDM rings 288 x 4.8^2 x 2, y-branches
     * 1.8 x 1.3 + 2 x 1.8 x 5 x 1.3 x 12, laser 400 x 300, TIA 144 x 50 */
    double want = 144 * 147.05 * 66.8 + 144 * 2850 + 288 * 11000 + 288 * 260 * 20 +
                  288 * 4.8 * 4.8 * 2 + (1.8 * 1.3 + 2 * 1.8 * 5 * 1.3 * 12) + 120000 + 144 * 50;
    int rc;
    sim_t *s = build("ptc", 5e9, NULL, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    dev_area_t a;
    memset(&a, 0, sizeof a);
    char err[128];
    ck_assert_int_eq(dev_area(sim_comp_find(s, "dut"), &a, err, sizeof err), 0);
    ck_assert_double_le(rel_close(a.um2, want), 1e-12);
    ck_assert_double_gt(a.um2, 6.6e6); /* ~6.63 mm2 */
    ck_assert_double_lt(a.um2, 6.7e6);
    sim_destroy(s);
}
END_TEST

START_TEST(test_ptc_numerics)
{
    /* zero noise against FP64: operands quantized at dac_bits (W with one
     * scale, x with its own), ADC error at most half a step of each chunk's
     * full scale (chunk of 12 wavelengths: |z| <= 12 in unit operands) */
    int rc;
    sim_rng_t r;
    sim_rng_init(&r, 5, 0);
    static double W[30 * 50];
    double x[50], y[30];
    for (int i = 0; i < 30 * 50; i++)
        W[i] = sim_rng_next_normal(&r);
    for (int j = 0; j < 50; j++)
        x[j] = sim_rng_next_normal(&r);
    const dev_ext_t *ext = dev_model_ext(sim_model_find("ptc"));
    dev_num_ctx_t ctx = {.rng = &r, .noise = 0};
    for (int bits = 6; bits <= 12; bits += 6) {
        char b[8];
        snprintf(b, sizeof b, "%d", bits);
        const char *p[] = {"dac_bits", b, "adc_bits", b, NULL};
        sim_t *s = build("ptc", 5e9, p, NULL, &rc);
        ck_assert_int_eq(rc, 0);
        sim_comp_t *c = sim_comp_find(s, "dut");
        ck_assert_int_eq(ext->mvm(c, sim_comp_state(c), W, 30, 50, x, y, &ctx), 0);
        double L = pow(2, bits - 1) - 1, sw = num_max_abs(W, 1500), sx = num_max_abs(x, 50);
        double dw = sw / (2 * L), dx = sx / (2 * L), worst = 0, nerr = 0, nref = 0;
        for (int i = 0; i < 30; i++) {
            double e = 0, bound = 0;
            for (int j = 0; j < 50; j++) {
                e += W[i * 50 + j] * x[j];
                bound += fabs(W[i * 50 + j]) * dx + fabs(x[j]) * dw + dw * dx;
            }
            bound += 5 * 12 / (2 * L) * sw * sx; /* 5 chunks of <= 12 */
            worst = fmax(worst, fabs(y[i] - e) / bound);
            nerr += (y[i] - e) * (y[i] - e);
            nref += e * e;
        }
        ck_assert_double_le(worst, 1 + 1e-9);
        ck_assert_double_gt(sqrt(nerr / nref), 0); /* quantization is there */
        ck_assert_double_lt(sqrt(nerr / nref), bits == 6 ? 0.1 : 0.005);
        sim_destroy(s);
    }
    /* the checks API: 8 bits against FP64 */
    sim_t *s = build("ptc", 5e9, NULL, NULL, &rc);
    dev_check_t dc;
    char err[256];
    ck_assert_int_eq(
        dev_check_mvm(sim_comp_find(s, "dut"), 64, 96, 4, 1, 0, 1, &dc, err, sizeof err), 0);
    ck_assert_uint_eq(dc.values, 256);
    ck_assert_double_lt(dc.rel_error, 0.03);
    ck_assert_double_gt(dc.rel_error, 0);
    sim_destroy(s);
}
END_TEST

START_TEST(test_mod_energy_per_symbol)
{
    /* the modulator charges per symbol: 4-bit and 8-bit DACs, same figure */
    const char *d[] = {"op", "mvm", "m", "1", "k", "4", "n", "4", NULL};
    const char *models[] = {"mzi_mesh", "mrr_bank"};
    for (int i = 0; i < 2; i++) {
        const char *p8[] = {i ? "rows" : "n", "4", i ? "cols" : "shifter", i ? "4" : "mems", NULL};
        const char *p4[] = {
            i ? "rows" : "n", "4", i ? "cols" : "shifter", i ? "4" : "mems", "dac_bits", "4", NULL};
        sim_t *a = run_ok(models[i], 5e9, p8, d), *b = run_ok(models[i], 5e9, p4, d);
        double e = stat_of(a, "dut", "energy.modulator");
        ck_assert_double_eq(stat_of(b, "dut", "energy.modulator"), e);
        ck_assert_double_le(rel_close(e, 4 * (i ? 0.042 : 0.45)), 1e-12);
        sim_destroy(a);
        sim_destroy(b);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dev_photonic");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_quantize_bound);
    tcase_add_test(tc, test_converter_energy_scaling);
    tcase_add_test(tc, test_dac_adc_components);
    tcase_add_test(tc, test_laser_budget);
    tcase_add_test(tc, test_photodetector);
    tcase_add_test(tc, test_mzi_tile_pure);
    tcase_add_test(tc, test_bound_is_tight_enough_to_fail);
    tcase_add_test(tc, test_mzi_component_numerics);
    tcase_add_test(tc, test_mzi_phase_noise);
    tcase_add_test(tc, test_mrr_numerics_and_crosstalk);
    tcase_add_test(tc, test_mzi_energy_adds_up);
    tcase_add_test(tc, test_external_laser);
    tcase_add_test(tc, test_device_checks_api);
    tcase_add_test(tc, test_mzi_thermo_reload_and_weights);
    tcase_add_test(tc, test_mrr_energy_adds_up);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_pipelining);
    tcase_add_test(tc, test_program_op);
    tcase_add_test(tc, test_ptc_one_pass);
    tcase_add_test(tc, test_ptc_gemm_cost);
    tcase_add_test(tc, test_ptc_time_accum_and_bits);
    tcase_add_test(tc, test_ptc_area);
    tcase_add_test(tc, test_ptc_numerics);
    tcase_add_test(tc, test_mod_energy_per_symbol);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
