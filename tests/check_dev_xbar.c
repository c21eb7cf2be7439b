/* Tests of the RRAM/PCM crossbars (devices/xbar.c, rram_xbar.c, pcm_xbar.c)
 * against closed forms and published figures: aihwkit's PCM programming noise
 * sigma(g) = 0.263 + 1.965x - 1.173x^2 uS, the drift power law, endurance at
 * limit + 1, energy and timing of hand-computed small cases, ADC sharing, and
 * zero-noise MVMs against the exact product within the quantization bound. */
#include "devices/dev.h"
#include "mapper/map.h"
#include "devices/dev_common.h"
#include "devices/dev_int.h"
#include "devices/xbar.h"
#include "sim/sim.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- engine helpers ----------------------------------------------------------- */

static double stat_of(sim_comp_t *c, const char *name)
{
    for (size_t i = 0; i < sim_stat_count(c); i++)
        if (strcmp(sim_stat_name(c, i), name) == 0)
            return sim_stat_value(c, i);
    ck_abort_msg("no stat %s", name);
    return -1;
}

/* A device `dut` of `model` with `params`, an op_driver `drv` sending
 * `requests` (may be NULL: nothing), 1 GHz clock, 1 ns links, initialised.
 * Returns the sim; *init_rc gets sim_init's code. */
static sim_t *build(const char *model, const char *const *params, const char *requests,
                    int *init_rc)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    sim_opts_t opts = {.seed = 7, .until_ps = 0};
    sim_t *s = sim_create(&opts);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(sim_add_clock(s, "clk", 1e9), 0);
    ck_assert_msg(sim_add_component(s, "dut", model, "clk", params) >= 0, "%s", sim_errmsg(s));
    const char *drvp[] = {"requests", requests ? requests : "", NULL};
    const char *none[] = {NULL};
    ck_assert_msg(sim_add_component(s, "drv", "op_driver", "clk", requests ? drvp : none) >= 0,
                  "%s", sim_errmsg(s));
    ck_assert_int_ge(sim_add_link(s, "drv.out", "dut.in", 1000, 0), 0);
    ck_assert_int_ge(sim_add_link(s, "dut.out", "drv.in", 1000, 0), 0);
    *init_rc = sim_init(s);
    return s;
}

/* The resolved state of a model with the given parameters (the real loader). */
static sim_t *state_of(const char *model, const char *const *params, xbar_state_t **st)
{
    int rc;
    sim_t *s = build(model, params, NULL, &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    *st = sim_comp_state(sim_comp_find(s, "dut"));
    return s;
}

static double sigma_ref_us(double x) { return 0.263 + 1.965 * x - 1.173 * x * x; }

/* ---- PCM cell ------------------------------------------------------------------ */

/* 1e5 programming draws at each x: sample std within 3% of aihwkit's fit,
 * mean within 4 standard errors of the target. */
START_TEST(test_pcm_programming_noise)
{
    xbar_state_t *st;
    const char *p[] = {NULL};
    sim_t *s = state_of("pcm_xbar", p, &st);
    ck_assert_double_eq_tol(st->cfg.g_max_us, 25.0, 1e-12);
    const double xs[] = {0.1, 0.3, 0.5, 0.8, 1.0};
    const int n = 100000;
    sim_rng_t rng;
    sim_rng_init(&rng, 42, 1);
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double g0 = xs[i] * 25.0, sum = 0.0, sum2 = 0.0;
        for (int d = 0; d < n; d++) {
            double g = xbar_pcm_cell.program(&st->cfg, g0, &rng, 1);
            sum += g - g0;
            sum2 += (g - g0) * (g - g0);
        }
        double mean = sum / n;
        double sd = sqrt(sum2 / n - mean * mean);
        double ref = sigma_ref_us(xs[i]);
        ck_assert_msg(fabs(sd / ref - 1.0) < 0.03, "x=%g: sigma %g uS vs %g uS", xs[i], sd, ref);
        ck_assert_msg(fabs(mean) < 4.0 * ref / sqrt(n), "x=%g: mean offset %g", xs[i], mean);
        /* noise off: exact */
        ck_assert_double_eq(xbar_pcm_cell.program(&st->cfg, g0, &rng, 0), g0);
    }
    sim_destroy(s);
}
END_TEST

/* One device with known nu follows g0 (t/t0)^-nu exactly, and not before t0;
 * the log-log slope between two times is -nu. */
START_TEST(test_pcm_drift_single)
{
    xbar_state_t *st;
    const char *p[] = {NULL};
    sim_t *s = state_of("pcm_xbar", p, &st);
    ck_assert_double_eq_tol(st->cfg.t0_s, 20.0, 1e-12);
    const double nu = 0.07, g0 = 17.0;
    const double ts[] = {60.0, 3600.0, 86400.0, 3.15e7};
    for (size_t i = 0; i < 4; i++) {
        double g = xbar_pcm_cell.read(&st->cfg, g0, g0, nu, ts[i], NULL, 0);
        ck_assert_double_eq_tol(g, g0 * pow(ts[i] / 20.0, -nu), 1e-12 * g0);
    }
    ck_assert_double_eq(xbar_pcm_cell.read(&st->cfg, g0, g0, nu, 10.0, NULL, 0), g0);
    double g1 = xbar_pcm_cell.read(&st->cfg, g0, g0, nu, 100.0, NULL, 0);
    double g2 = xbar_pcm_cell.read(&st->cfg, g0, g0, nu, 1e6, NULL, 0);
    ck_assert_double_eq_tol(log(g2 / g1) / log(1e6 / 100.0), -nu, 1e-12);
    sim_destroy(s);
}
END_TEST

/* Many devices with nu ~ N(0.05, 0.01): mean g(t)/g0 follows (t/t0)^-nu_mean
 * within 0.5% (the spread adds exp(s^2 L^2 / 2) = 1.0014 at 1 h) and the
 * model's expected decay to 0.2%; nu itself has the configured moments. */
START_TEST(test_pcm_drift_population)
{
    xbar_state_t *st;
    const char *p[] = {"read_noise_scale", "0", NULL};
    sim_t *s = state_of("pcm_xbar", p, &st);
    sim_rng_t rng;
    sim_rng_init(&rng, 3, 9);
    const int n = 100000;
    const double ts[] = {3600.0, 86400.0};
    for (size_t i = 0; i < 2; i++) {
        double sum = 0.0, snu = 0.0, snu2 = 0.0;
        for (int d = 0; d < n; d++) {
            double nu = xbar_pcm_cell.draw_nu(&st->cfg, &rng, 1);
            snu += nu;
            snu2 += nu * nu;
            sum += xbar_pcm_cell.read(&st->cfg, 10.0, 10.0, nu, ts[i], &rng, 1) / 10.0;
        }
        double mean = sum / n;
        double law = pow(ts[i] / 20.0, -0.05);
        ck_assert_msg(fabs(mean / law - 1.0) < 0.005, "t=%g: %g vs %g", ts[i], mean, law);
        double expect = xbar_pcm_cell.mean_decay(&st->cfg, ts[i], 1);
        ck_assert_msg(fabs(mean / expect - 1.0) < 0.002, "t=%g: %g vs %g", ts[i], mean, expect);
        double mnu = snu / n, sdnu = sqrt(snu2 / n - mnu * mnu);
        ck_assert_double_eq_tol(mnu, 0.05, 4 * 0.01 / sqrt(n));
        ck_assert_msg(fabs(sdnu / 0.01 - 1.0) < 0.03, "sd nu %g", sdnu);
    }
    ck_assert_double_eq_tol(xbar_pcm_cell.mean_decay(&st->cfg, 3600.0, 0),
                            pow(180.0, -0.05), 1e-12);
    sim_destroy(s);
}
END_TEST

/* aihwkit's 1/f read noise: relative sigma Q_s sqrt(ln((t + t_read)/(2 t_read)))
 * with Q_s = min(0.0088 / x^0.65, 0.2); none before t_read. */
START_TEST(test_pcm_read_noise)
{
    xbar_state_t *st;
    const char *p[] = {NULL};
    sim_t *s = state_of("pcm_xbar", p, &st);
    sim_rng_t rng;
    sim_rng_init(&rng, 5, 5);
    const double x = 0.5, g0 = 12.5, t = 20.0; /* at t0: no drift */
    double q = fmin(0.0088 / pow(x, 0.65), 0.2);
    double ref = q * sqrt(log((t + 250e-9) / (2 * 250e-9)));
    const int n = 100000;
    double sum = 0.0, sum2 = 0.0;
    for (int d = 0; d < n; d++) {
        double r = xbar_pcm_cell.read(&st->cfg, g0, g0, 0.05, t, &rng, 1) / g0 - 1.0;
        sum += r;
        sum2 += r * r;
    }
    double sd = sqrt(sum2 / n - (sum / n) * (sum / n));
    ck_assert_msg(fabs(sd / ref - 1.0) < 0.03, "read noise %g vs %g", sd, ref);
    ck_assert_double_eq(xbar_pcm_cell.read(&st->cfg, g0, g0, 0.05, 100e-9, &rng, 1), g0);
    sim_destroy(s);
}
END_TEST

/* ---- endurance ----------------------------------------------------------------- */

START_TEST(test_endurance_counters)
{
    char buf[32], err[256];
    xbar_fmt_count(1e9, buf, sizeof buf);
    ck_assert_str_eq(buf, "1e9");
    xbar_fmt_count(1e6, buf, sizeof buf);
    ck_assert_str_eq(buf, "1e6");
    xbar_fmt_count(3, buf, sizeof buf);
    ck_assert_str_eq(buf, "3");
    xbar_fmt_count(2.5e9, buf, sizeof buf);
    ck_assert_str_eq(buf, "2.5e+09");

    xbar_state_t *st;
    const char *p[] = {"rows", "8", "cols", "4", "endurance", "5", NULL};
    sim_t *s = state_of("pcm_xbar", p, &st);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(xbar_count_writes(st, "dut", 8, 4, err, sizeof err), 0);
    ck_assert_uint_eq(st->max_writes, 5);
    /* a smaller matrix touches only its corner: those cells fail first */
    ck_assert_int_eq(xbar_count_writes(st, "dut", 2, 1, err, sizeof err), SIM_ERR_MODEL);
    ck_assert_str_eq(err, "pcm_xbar 'dut': cell (0,0) exceeded endurance 5 writes");
    sim_destroy(s);
}
END_TEST

/* Through the engine: `limit` programmings pass, the next one stops the run
 * with the message naming the cell and the limit. */
static void endurance_engine(const char *model, const char *limit, int op_program)
{
    const char *p[] = {"rows", "16", "cols", "8", "endurance", limit, NULL};
    char ok[160], bad[160];
    int lim = atoi(limit);
    /* MVMs with a new weight_id each time reload the weights */
    if (op_program) {
        snprintf(ok, sizeof ok, "op=program k=16 n=8 count=%d", lim);
        snprintf(bad, sizeof bad, "op=program k=16 n=8 count=%d", lim + 1);
    } else {
        ok[0] = bad[0] = '\0';
        for (int i = 0; i <= lim; i++) {
            char one[64];
            snprintf(one, sizeof one, "%sop=mvm m=1 k=16 n=8 weight_id=%d", i ? "; " : "", i + 1);
            if (i < lim)
                strcat(ok, one);
            strcat(bad, one);
        }
    }
    int rc;
    sim_t *s = build(model, p, ok, &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
    sim_comp_t *dut = sim_comp_find(s, "dut");
    ck_assert_double_eq(stat_of(dut, "cell_writes.max"), (double)lim);
    ck_assert_double_eq(stat_of(dut, "ops.program"), (double)lim);
    sim_destroy(s);

    s = build(model, p, bad, &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    ck_assert_int_ne(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    char want[128];
    snprintf(want, sizeof want, "%s 'dut': cell (0,0) exceeded endurance %s writes", model, limit);
    ck_assert_msg(strstr(sim_errmsg(s), want), "got: %s", sim_errmsg(s));
    sim_destroy(s);
}

START_TEST(test_endurance_engine)
{
    endurance_engine("pcm_xbar", "4", 1);
    endurance_engine("rram_xbar", "3", 1);
    endurance_engine("rram_xbar", "2", 0);
    endurance_engine("pcm_xbar", "3", 0);
}
END_TEST

/* ---- energy and timing --------------------------------------------------------- */

/* 4x4 RRAM-like array, 3-bit differential weights on 1-bit cells (2 slices x 2
 * sides = 16 physical columns), 4-bit bit-serial inputs, 5-bit ADCs over 8
 * columns at 1 GS/s, 10 ns read pulse at 0.5 V sensed for 1 ns, g 10..110 uS,
 * g_avg_frac 0.15, 10 kOhm access transistor, half the rows driven.
 * By hand: cell = 10 + 0.15 x 100 = 25 uS = 40 kOhm, + 10 kOhm = 20 uS; one
 * driven cell, one pulse = 0.0631 V^2 x (0.5 / 0.5) x 20 uS x 1 ns = 0.001262
 * pJ; ADC = 1.7 pJ x 2^(5-8) = 0.2125 pJ. One vector: 4 pulses x 64 cells x
 * 0.5 = 128 driven cells = 0.161536 pJ; 4 x 16 = 64 conversions = 13.6 pJ;
 * 4 outputs x (4 x 4 - 1) adds x 0.1 pJ = 6.0 pJ; total 19.761536 pJ. Pulse =
 * 10 ns + 8 x 1 ns = 18 ns; 4 pulses = 72 cycles at 1 GHz + 1 + log2(4) = 3
 * accumulation cycles = 75 cycles. Programming: 64 cells x 0.6 pJ = 38.4 pJ,
 * 4 rows x 10 ns = 40 cycles. */
static const char *hand_params[] = {
    "rows", "4", "cols", "4", "weight_bits", "3", "bits_per_cell", "1", "input_mode",
    "bitserial", "input_bits", "4", "adc_bits", "5", "cols_per_adc", "8", "adc_rate_hz", "1e9",
    "read_pulse_ns", "10", "read_voltage_v", "0.5", "g_max_us", "110", "g_min_us", "10",
    "g_avg_frac", "0.15", "access_ohm", "10000", "sense_ns", "1", "col_power_v2", "0.0631",
    "row_activity", "0.5", "add_pj", "0.1", "write_ns", "10", "write_pj", "0.6", NULL};
#define HAND_CELL_PJ 0.001262
#define HAND_E_CELL (128 * HAND_CELL_PJ)
#define HAND_E_MVM (HAND_E_CELL + 13.6 + 6.0)

START_TEST(test_energy_hand_case)
{
    xbar_state_t *st;
    sim_t *s = state_of("rram_xbar", hand_params, &st);
    ck_assert_double_eq_tol(st->cfg.g_cell_us, 20.0, 1e-9);
    ck_assert_double_eq_tol(st->cfg.cell_read_pj, HAND_CELL_PJ, 1e-12);
    ck_assert_double_eq_tol(st->cfg.adc_pj, 0.2125, 1e-12);
    xbar_cost_t c;
    char err[256];
    ck_assert_int_eq(xbar_mvm_cost(&st->cfg, 1, 4, 4, 1000, &c, err, sizeof err), 0);
    ck_assert_double_eq_tol(c.cells_read, 128.0, 1e-9);
    ck_assert_double_eq_tol(c.e_cell, HAND_E_CELL, 1e-12);
    ck_assert_double_eq_tol(c.e_adc, 13.6, 1e-9);
    ck_assert_double_eq_tol(c.e_dac, 0.0, 1e-12);
    ck_assert_double_eq_tol(c.e_acc, 6.0, 1e-9);
    ck_assert_double_eq_tol(c.e_total, HAND_E_MVM, 1e-9);
    ck_assert_uint_eq(c.cycles, 75);
    ck_assert_uint_eq(c.acc_cycles, 3);
    ck_assert_int_eq(xbar_program_cost(&st->cfg, 4, 4, 1000, &c, err, sizeof err), 0);
    ck_assert_double_eq_tol(c.e_write, 38.4, 1e-9);
    ck_assert_uint_eq(c.cycles, 40);
    sim_destroy(s);

    /* the same through the engine: reload + MVM, then an MVM on resident weights */
    int rc;
    s = build("rram_xbar", hand_params, "op=mvm m=1 k=4 n=4 weight_id=1 count=2", &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
    sim_comp_t *dut = sim_comp_find(s, "dut");
    const map_drv_record_t *rec;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &rec), 2);
    ck_assert_uint_eq(rec[0].cycles, 115);
    ck_assert_double_eq_tol(rec[0].energy_pj, 38.4 + HAND_E_MVM, 1e-9);
    ck_assert_uint_eq(rec[1].cycles, 75);
    ck_assert_double_eq_tol(rec[1].energy_pj, HAND_E_MVM, 1e-9);
    ck_assert_double_eq_tol(stat_of(dut, "energy.cell_read"), 2 * HAND_E_CELL, 1e-9);
    ck_assert_double_eq_tol(stat_of(dut, "energy.adc"), 27.2, 1e-9);
    ck_assert_double_eq_tol(stat_of(dut, "energy.accum"), 12.0, 1e-9);
    ck_assert_double_eq_tol(stat_of(dut, "energy.program"), 38.4, 1e-9);
    ck_assert_double_eq_tol(stat_of(dut, "energy.dac"), 0.0, 1e-12);
    ck_assert_double_eq_tol(sim_energy_pj(dut), 38.4 + 2 * HAND_E_MVM, 1e-9);
    ck_assert_double_eq(stat_of(dut, "adc.conversions"), 128.0);
    sim_destroy(s);
}
END_TEST

/* DAC inputs, 2 vectors: pulse = 1 ns DAC + 10 ns + 8 ns = 19 ns; 38 + 3 = 41
 * cycles. DAC 4 bit = 3.5714 pJ x 2^(4-8); 2 vectors x 4 rows = 8 conversions;
 * 128 cells x 0.5 mean drive = 64 driven cells, 32 conversions, 2 x 4 x 3 adds. */
START_TEST(test_energy_hand_case_dac)
{
    const char *p[64];
    size_t i = 0;
    for (; hand_params[i]; i++)
        p[i] = strcmp(hand_params[i], "bitserial") == 0 ? "dac" : hand_params[i];
    p[i] = NULL;
    xbar_state_t *st;
    sim_t *s = state_of("rram_xbar", p, &st);
    xbar_cost_t c;
    char err[256];
    ck_assert_int_eq(xbar_mvm_cost(&st->cfg, 2, 4, 4, 1000, &c, err, sizeof err), 0);
    double dac = 3.5714 / 16.0;
    ck_assert_double_eq_tol(st->cfg.dac_pj, dac, 1e-12);
    ck_assert_double_eq_tol(c.e_cell, 64 * HAND_CELL_PJ, 1e-12);
    ck_assert_double_eq_tol(c.e_adc, 32 * 0.2125, 1e-9);
    ck_assert_double_eq_tol(c.e_dac, 8 * dac, 1e-9);
    ck_assert_double_eq_tol(c.e_acc, 24 * 0.1, 1e-9);
    ck_assert_double_eq_tol(c.e_total, 64 * HAND_CELL_PJ + 6.8 + 8 * dac + 2.4, 1e-9);
    ck_assert_uint_eq(c.cycles, 41);
    sim_destroy(s);
}
END_TEST

/* One ADC over N columns: each read pulse waits min(N, physical columns)
 * conversions. PCM 256x256, 8-bit weights on one analog cell, pairs: 512
 * physical columns; DAC 1 ns + read 10 ns + N x 1 ns, then 1 + log2(2) cycles. */
static uint64_t pcm_cycles(const char *cpa)
{
    const char *p[] = {"cols_per_adc", cpa, NULL};
    int rc;
    sim_t *s = build("pcm_xbar", p, "op=mvm m=3 k=256 n=256 no_reload=true", &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
    const map_drv_record_t *rec;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &rec), 1);
    uint64_t cyc = rec[0].cycles;
    ck_assert_uint_eq(rec[0].device_latency_ps, cyc * 1000);
    sim_destroy(s);
    return cyc;
}

START_TEST(test_adc_sharing)
{
    uint64_t c1 = pcm_cycles("1"), c8 = pcm_cycles("8"), c512 = pcm_cycles("512"),
             c4096 = pcm_cycles("4096");
    ck_assert_uint_eq(c1, 3 * (1 + 10 + 1) + 2);
    ck_assert_uint_eq(c8, 3 * (1 + 10 + 8) + 2);
    ck_assert_uint_eq(c8 - c1, 3 * 7); /* m x (8 - 1) x t_adc */
    ck_assert_uint_eq(c512, 3 * (1 + 10 + 512) + 2);
    ck_assert_uint_eq(c4096, c512); /* no more columns than 512 to convert */
}
END_TEST

/* Weights change: reload charged; the same weight_id: not; no_reload: never.
 * PCM programming 256 rows x (150 + 40) ns, 256 x 256 x 2 cells x 27 pJ. */
START_TEST(test_reload)
{
    int rc;
    sim_t *s = build("pcm_xbar", (const char *[]){NULL},
                     "op=mvm m=1 k=256 n=256 weight_id=1; op=mvm m=1 k=256 n=256 weight_id=1; "
                     "op=mvm m=1 k=256 n=256 weight_id=2; op=program k=256 n=256 weight_id=3; "
                     "op=mvm m=1 k=256 n=256 weight_id=4 no_reload=true",
                     &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
    const map_drv_record_t *rec;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &rec), 5);
    uint64_t mvm = 1 + 10 + 8 + 2, prog = 256 * 190;
    ck_assert_uint_eq(rec[0].cycles, prog + mvm);
    ck_assert_uint_eq(rec[1].cycles, mvm);
    ck_assert_uint_eq(rec[2].cycles, prog + mvm);
    ck_assert_uint_eq(rec[3].cycles, prog);
    ck_assert_uint_eq(rec[4].cycles, mvm);
    sim_comp_t *dut = sim_comp_find(s, "dut");
    ck_assert_double_eq(stat_of(dut, "ops.program"), 3.0);
    ck_assert_double_eq_tol(stat_of(dut, "energy.program"), 3 * 256.0 * 256 * 2 * 27.0, 1e-6);
    ck_assert_double_eq(stat_of(dut, "cell_writes.max"), 3.0);
    sim_destroy(s);
}
END_TEST

/* ---- numerics ---------------------------------------------------------------- */

static void fill(double *v, size_t n, unsigned seed)
{
    sim_rng_t r;
    sim_rng_init(&r, seed, 0);
    for (size_t i = 0; i < n; i++)
        v[i] = sim_rng_next_normal(&r);
}

/* y_q = Wq xq with the weights and inputs quantized as the DAC and the cell
 * levels do (symmetric, per matrix / per vector) */
static void quantized_product(const double *W, size_t n_out, size_t n_in, const double *x,
                              int wbits, int xbits, double *yq)
{
    double *wq = malloc(n_out * n_in * sizeof *wq), *xq = malloc(n_in * sizeof *xq);
    ck_assert_int_eq(num_quantize(W, wq, n_out * n_in, wbits, 0.0), 0);
    ck_assert_int_eq(num_quantize(x, xq, n_in, xbits, 0.0), 0);
    for (size_t i = 0; i < n_out; i++) {
        yq[i] = 0.0;
        for (size_t j = 0; j < n_in; j++)
            yq[i] += wq[i * n_in + j] * xq[j];
    }
    free(wq), free(xq);
}

/* With noise off and a 24-bit ADC, the crossbar returns the product of the
 * quantized weights and inputs (bit slicing, pairs, bit-serial shift-and-add
 * and the g_min offset are exact); and W x within the weight/input bound. */
static void zero_noise_case(const char *model, const char *const *params, size_t n_out,
                            size_t n_in, int wbits, int xbits)
{
    xbar_state_t *st;
    sim_t *s = state_of(model, params, &st);
    double *W = malloc(n_out * n_in * sizeof *W), *x = malloc(n_in * sizeof *x);
    double *y = malloc(n_out * sizeof *y), *yq = malloc(n_out * sizeof *yq);
    fill(W, n_out * n_in, 11);
    fill(x, n_in, 12);
    char err[256];
    ck_assert_msg(xbar_mvm_numeric(&st->cfg, st->ops, W, n_out, n_in, x, y, NULL, 0.0, 0, err,
                                   sizeof err) == 0,
                  "%s", err);
    quantized_product(W, n_out, n_in, x, wbits, xbits, yq);
    double wmax = num_max_abs(W, n_out * n_in), xmax = num_max_abs(x, n_in);
    double dw = num_quant_step(wbits, wmax), dx = num_quant_step(xbits, xmax);
    for (size_t i = 0; i < n_out; i++) {
        double scale = 0.0, exact = 0.0, bound = 0.0;
        for (size_t j = 0; j < n_in; j++) {
            scale += fabs(W[i * n_in + j]) * fabs(x[j]);
            exact += W[i * n_in + j] * x[j];
            bound += fabs(W[i * n_in + j]) * dx / 2 + fabs(x[j]) * dw / 2 + dw * dx / 4;
        }
        ck_assert_msg(fabs(y[i] - yq[i]) < 1e-5 * scale, "%s y[%zu] %g vs quantized %g", model,
                      i, y[i], yq[i]);
        ck_assert_msg(fabs(y[i] - exact) <= bound * (1 + 1e-9) + 1e-5 * scale,
                      "%s y[%zu] %g vs exact %g: bound %g", model, i, y[i], exact, bound);
    }
    free(W), free(x), free(y), free(yq);
    sim_destroy(s);
}

START_TEST(test_zero_noise_exact)
{
    const char *pcm[] = {"rows", "64", "cols", "32", "adc_bits", "24", NULL};
    zero_noise_case("pcm_xbar", pcm, 32, 64, 8, 8);
    const char *pcm_bs[] = {"rows", "64", "cols", "32", "adc_bits", "24", "input_mode",
                            "bitserial", "bits_per_cell", "2", "weight_bits", "6", NULL};
    zero_noise_case("pcm_xbar", pcm_bs, 20, 50, 6, 8);
    const char *rram[] = {"rows", "64", "cols", "32", "adc_bits", "24", NULL};
    zero_noise_case("rram_xbar", rram, 32, 64, 8, 8);
    const char *rram_dac[] = {"adc_bits", "24", "input_mode", "dac", "input_bits", "6",
                              "bits_per_cell", "3", NULL};
    zero_noise_case("rram_xbar", rram_dac, 100, 128, 8, 6);
    /* tiled: 300 inputs over 3 row tiles, 40 outputs over 2 column tiles */
    const char *tiled[] = {"rows", "128", "cols", "32", "adc_bits", "24", "tiling", "true", NULL};
    zero_noise_case("pcm_xbar", tiled, 40, 300, 8, 8);
}
END_TEST

/* Offset (non-differential) weights: w = (q' - off) wmax / off with
 * off = (2^b - 1) / 2, a digital reference subtracts off * sum(x). */
START_TEST(test_zero_noise_offset)
{
    const char *p[] = {"rows", "64", "cols", "16", "adc_bits", "24", "differential", "false",
                       "weight_bits", "8", "bits_per_cell", "2", NULL};
    xbar_state_t *st;
    sim_t *s = state_of("rram_xbar", p, &st);
    const size_t no = 16, ni = 64;
    double W[16 * 64], x[64], y[16];
    fill(W, no * ni, 21);
    fill(x, ni, 22);
    char err[256];
    ck_assert_int_eq(
        xbar_mvm_numeric(&st->cfg, st->ops, W, no, ni, x, y, NULL, 0.0, 0, err, sizeof err), 0);
    double wmax = num_max_abs(W, no * ni), xmax = num_max_abs(x, ni), off = 127.5;
    double xq[64];
    num_quantize(x, xq, ni, 8, 0.0);
    for (size_t i = 0; i < no; i++) {
        double ref = 0.0, scale = 0.0;
        for (size_t j = 0; j < ni; j++) {
            double q = nearbyint(W[i * ni + j] / wmax * off + off);
            ref += (q - off) * wmax / off * xq[j];
            scale += fabs(W[i * ni + j] * x[j]);
        }
        ck_assert_msg(fabs(y[i] - ref) < 1e-5 * scale, "y[%zu] %g vs %g", i, y[i], ref);
    }
    (void)xmax;
    sim_destroy(s);
}
END_TEST

/* With the default 8-bit ADC (per-read full scale FS <= sum |v| g_max), the
 * error adds at most pairs x FS / (2 x 127) x 127 levels x wmax / 127 x xmax
 * to the weight/input bound (one slice, one DAC pulse). */
START_TEST(test_adc_quant_bound)
{
    xbar_state_t *st;
    const char *p[] = {"rows", "64", "cols", "32", NULL};
    sim_t *s = state_of("pcm_xbar", p, &st);
    const size_t no = 32, ni = 64;
    double W[32 * 64], x[64], y[32];
    fill(W, no * ni, 31);
    fill(x, ni, 32);
    char err[256];
    ck_assert_int_eq(
        xbar_mvm_numeric(&st->cfg, st->ops, W, no, ni, x, y, NULL, 0.0, 0, err, sizeof err), 0);
    double wmax = num_max_abs(W, no * ni), xmax = num_max_abs(x, ni);
    double dw = wmax / 127, dx = xmax / 127, xq[64], sumv = 0.0;
    num_quantize(x, xq, ni, 8, 0.0);
    for (size_t j = 0; j < ni; j++)
        sumv += fabs(xq[j]) / xmax;
    double adc = 2 * sumv / (2 * 127.0) * 127.0 * (wmax / 127) * xmax;
    double worst = 0.0;
    for (size_t i = 0; i < no; i++) {
        double exact = 0.0, bound = adc;
        for (size_t j = 0; j < ni; j++) {
            exact += W[i * ni + j] * x[j];
            bound += fabs(W[i * ni + j]) * dx / 2 + fabs(x[j]) * dw / 2 + dw * dx / 4;
        }
        ck_assert_msg(fabs(y[i] - exact) <= bound, "y[%zu] %g vs %g (bound %g)", i, y[i], exact,
                      bound);
        worst = fmax(worst, fabs(y[i] - exact) / bound);
    }
    ck_assert(worst > 0.0); /* the 8-bit ADC does round */
    sim_destroy(s);
}
END_TEST

/* Bit-serial currents are >= 0: a b-bit ADC puts 2^b - 1 steps over [0, FS].
 * One pulse carries all the signal (2-bit inputs in {0, 1}: only bit 0 is
 * ever set) and offset weights use one column per output, so each output
 * is off by at most FS / (2 (2^b - 1)) in current, i.e. FS / (2 x 63) x 255
 * levels x wmax / 127.5; a symmetric ADC (half the steps) breaks this. */
START_TEST(test_adc_unipolar_bitserial)
{
    xbar_state_t *st;
    const char *p[] = {"rows", "64", "cols", "64", "input_mode", "bitserial", "input_bits", "2",
                       "adc_bits", "6", "differential", "false", NULL};
    sim_t *s = state_of("pcm_xbar", p, &st);
    const size_t no = 64, ni = 64;
    double W[64 * 64], x[64], y[64];
    fill(W, no * ni, 61);
    sim_rng_t r;
    sim_rng_init(&r, 62, 0);
    for (size_t j = 0; j < ni; j++)
        x[j] = sim_rng_next_uniform(&r) < 0.5 ? 0.0 : 1.0;
    char err[256];
    ck_assert_int_eq(
        xbar_mvm_numeric(&st->cfg, st->ops, W, no, ni, x, y, NULL, 0.0, 0, err, sizeof err), 0);
    double wmax = num_max_abs(W, no * ni), off = 127.5, fs = 0.0, yq[64];
    for (size_t i = 0; i < no; i++) {
        double cur = 0.0;
        yq[i] = 0.0;
        for (size_t j = 0; j < ni; j++) {
            double q = nearbyint(W[i * ni + j] / wmax * off + off);
            cur += x[j] * q / 255;
            yq[i] += (q - off) * wmax / off * x[j];
        }
        fs = fmax(fs, cur);
    }
    double bound = fs / (2 * 63.0) * 255 * wmax / off;
    double worst = 0.0;
    for (size_t i = 0; i < no; i++) {
        ck_assert_msg(fabs(y[i] - yq[i]) <= bound * (1 + 1e-9), "y[%zu] %g vs %g (bound %g)", i,
                      y[i], yq[i], bound);
        worst = fmax(worst, fabs(y[i] - yq[i]));
    }
    ck_assert(worst > 0.5 * bound); /* the bound is tight: the ADC rounds */
    sim_destroy(s);
}
END_TEST

/* Noise off, 1 h after programming: every device drifts by (180)^-0.05;
 * global compensation divides it out exactly, without it outputs shrink by
 * that factor (the per-read ADC range follows the signal). */
START_TEST(test_drift_compensation)
{
    const size_t no = 16, ni = 32;
    double W[16 * 32], x[32], y0[16], yc[16], yn[16];
    fill(W, no * ni, 41);
    fill(x, ni, 42);
    char err[256];
    xbar_state_t *st;
    const char *pc[] = {"rows", "32", "cols", "16", NULL};
    sim_t *s = state_of("pcm_xbar", pc, &st);
    ck_assert_int_eq(st->cfg.drift_comp, 1);
    ck_assert_int_eq(
        xbar_mvm_numeric(&st->cfg, st->ops, W, no, ni, x, y0, NULL, 0.0, 0, err, sizeof err), 0);
    ck_assert_int_eq(
        xbar_mvm_numeric(&st->cfg, st->ops, W, no, ni, x, yc, NULL, 3600.0, 0, err, sizeof err),
        0);
    st->cfg.drift_comp = 0;
    ck_assert_int_eq(
        xbar_mvm_numeric(&st->cfg, st->ops, W, no, ni, x, yn, NULL, 3600.0, 0, err, sizeof err),
        0);
    double f = pow(3600.0 / 20.0, -0.05);
    for (size_t i = 0; i < no; i++) {
        ck_assert_double_eq_tol(yc[i], y0[i], 1e-9 * (1 + fabs(y0[i])));
        ck_assert_double_eq_tol(yn[i], f * y0[i], 1e-9 * (1 + fabs(y0[i])));
    }
    sim_destroy(s);
}
END_TEST

static double rel_error(const double *y, const double *ref, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        num += (y[i] - ref[i]) * (y[i] - ref[i]);
        den += ref[i] * ref[i];
    }
    return sqrt(num / den);
}

/* The case: PCM 256x256, 8-bit converters, read 1 h after
 * programming. Noise adds error over the quantization-only result; with the
 * aihwkit model a Gaussian 256x256 layer stays within a few percent; the same
 * seed gives the same numbers. */
START_TEST(test_noisy_pcm)
{
    const size_t n = 256;
    double *W = malloc(n * n * sizeof *W), x[256], y[256], y2[256], yq[256], ref[256];
    fill(W, n * n, 51);
    fill(x, n, 52);
    for (size_t i = 0; i < n; i++) {
        ref[i] = 0.0;
        for (size_t j = 0; j < n; j++)
            ref[i] += W[i * n + j] * x[j];
    }
    xbar_state_t *st;
    const char *p[] = {"rows", "256", "cols", "256", "adc_bits", "8", NULL};
    sim_t *s = state_of("pcm_xbar", p, &st);
    char err[256];
    sim_rng_t rng;
    sim_rng_init(&rng, 1, 2);
    ck_assert_int_eq(
        xbar_mvm_numeric(&st->cfg, st->ops, W, n, n, x, y, &rng, 3600.0, 1, err, sizeof err), 0);
    sim_rng_init(&rng, 1, 2);
    ck_assert_int_eq(
        xbar_mvm_numeric(&st->cfg, st->ops, W, n, n, x, y2, &rng, 3600.0, 1, err, sizeof err), 0);
    ck_assert_int_eq(
        xbar_mvm_numeric(&st->cfg, st->ops, W, n, n, x, yq, NULL, 3600.0, 0, err, sizeof err), 0);
    double e_noise = rel_error(y, ref, n), e_quant = rel_error(yq, ref, n);
    ck_assert_int_eq(memcmp(y, y2, sizeof y), 0);
    ck_assert_msg(e_noise > e_quant, "noise %g vs quantization %g", e_noise, e_quant);
    ck_assert_msg(e_noise < 0.2, "rel error %g", e_noise);
    ck_assert_msg(e_quant < 0.02, "quantization rel error %g", e_quant);
    /* through the model's ext table, as `prism op --check` calls it */
    const dev_ext_t *ext = sim_model_find("pcm_xbar")->ext;
    dev_num_ctx_t ctx = {&rng, 3600.0, 1};
    ck_assert_int_eq(ext->mvm(NULL, st, W, n, n, x, y2, &ctx),
                     0);
    ck_assert_double_le(rel_error(y2, ref, n), 0.2);
    free(W);
    sim_destroy(s);
}
END_TEST


/* ---- read energy as DNN_NeuroSim V1.3 computes it ---------------------------- */

/* One column by hand, NeuroSim's own numbers (Param.cpp: R_on 6 kOhm, R_off
 * 150 R_on, V_read 0.5 V, R_access = 0.25 R_on = 1.5 kOhm; MultilevelSenseAmp.cpp
 * 22 nm LP: P = 0.0631 exp(-2.303 log10 R_col) over 1 ns). 128 rows of weight
 * +1 on 2-bit differential weights: the G+ column holds R_on, the G- column
 * R_off. Inputs +1 on 2-bit two's complement = code 01: pulse 0 drives all
 * 128 rows, pulse 1 (the sign bit) none. So the measured activity is 0.5 and
 * the energy is one pulse of both columns:
 * G+ = 128 / 7.5 kOhm = 17066.7 uS, G- = 128 / 901.5 kOhm = 142.0 uS,
 * E = 0.0631 x (17066.7 + 142.0) uS x 1 ns = 1.0859 pJ. */
START_TEST(test_column_energy_neurosim)
{
    const char *p[] = {"rows", "128", "cols", "1", "weight_bits", "2", "input_bits", "2",
                       "adc_bits", "0", "prog_noise_frac", "0", NULL};
    xbar_state_t *st;
    sim_t *s = state_of("rram_xbar", p, &st);
    double W[128], x[128], y[1];
    for (int i = 0; i < 128; i++)
        W[i] = 1.0, x[i] = 1.0;
    xbar_num_stats_t ns;
    char err[256];
    ck_assert_int_eq(xbar_mvm_numeric_stats(&st->cfg, st->ops, W, 1, 128, x, y, NULL, 0.0, 0,
                                            &ns, err, sizeof err),
                     0);
    ck_assert_double_eq_tol(y[0], 128.0, 0.01 * 128.0); /* ADC quantization */
    ck_assert_double_eq_tol(ns.row_activity, 0.5, 1e-12);
    ck_assert_double_eq_tol(ns.cell_pulses, 2 * 128 * 2, 1e-12);
    double g_pos = 128.0 / 7.5e3, g_neg = 128.0 / (9e5 + 1.5e3); /* S */
    double e_hand_pj = 0.0631 * (g_pos + g_neg) * 1e-9 * 1e12;
    ck_assert_double_eq_tol(e_hand_pj, 1.0859, 1e-4);
    ck_assert_double_eq_tol(ns.e_cell_pj, e_hand_pj, 1e-5); /* g_max 166.667 uS, not 1/6k */
    /* NeuroSim's fit as written, column by column: within 0.1 % of 1 / R */
    double e_fit = 0.0;
    const double g_cols[2] = {g_pos, g_neg};
    for (int c = 0; c < 2; c++)
        e_fit += 0.0631 * exp(-2.303 * log10(1.0 / g_cols[c])) * 1e-9 * 1e12;
    ck_assert_msg(fabs(ns.e_cell_pj - e_fit) < 1e-3 * e_fit, "%g vs %g", ns.e_cell_pj, e_fit);
    /* the unit's next cost query uses the measured activity (0.5 here) and the
     * read pulse width is out of the energy: 10x read_pulse_ns, same energy */
    double a0 = st->measured_activity;
    ck_assert_double_lt(a0, 0.0);
    ck_assert_int_eq(xbar_ext.mvm(NULL, st, W, 1, 128, x, y, NULL), 0);
    ck_assert_double_eq_tol(st->measured_activity, 0.5, 1e-12);
    xbar_cost_t c1, c2;
    ck_assert_int_eq(xbar_mvm_cost(&st->cfg, 1, 128, 1, 1000, &c1, err, sizeof err), 0);
    xbar_cfg_t slow = st->cfg;
    slow.read_pulse_ns *= 10.0;
    ck_assert_int_eq(xbar_mvm_cost(&slow, 1, 128, 1, 1000, &c2, err, sizeof err), 0);
    ck_assert_double_eq_tol(c1.e_cell, c2.e_cell, 1e-15);
    ck_assert_uint_gt(c2.cycles, c1.cycles);
    sim_destroy(s);
}
END_TEST

/* Activity measured from the operands' bits replaces row_activity in the
 * unit's cost: x = +1 on 8 bits is code 127 = 0111 1111, 7 of 8 bit-planes
 * drive every row, activity 0.875; cell energy scales by 0.875 / 0.5. */
START_TEST(test_activity_measured)
{
    const char *p[] = {"rows", "128", "cols", "8", "prog_noise_frac", "0", NULL};
    xbar_state_t *st;
    sim_t *s = state_of("rram_xbar", p, &st);
    double W[8 * 128], x[128], y[8];
    for (int i = 0; i < 8 * 128; i++)
        W[i] = (i % 3) - 1.0;
    for (int i = 0; i < 128; i++)
        x[i] = 1.0;
    dev_req_t req = {.kind = DEV_OP_MVM, .m = 4, .k = 128, .n = 8, .weight_id = 1,
                     .flags = DEV_F_COST_RESIDENT};
    dev_cost_t before, after;
    ck_assert_int_eq(xbar_ext.cost(NULL, st, &req, &before), 0);
    ck_assert_int_eq(xbar_ext.mvm(NULL, st, W, 8, 128, x, y, NULL), 0);
    ck_assert_double_eq_tol(st->measured_activity, 0.875, 1e-12);
    ck_assert_int_eq(xbar_ext.cost(NULL, st, &req, &after), 0);
    xbar_cost_t c;
    char err[256];
    ck_assert_int_eq(xbar_mvm_cost(&st->cfg, 4, 128, 8, 1000, &c, err, sizeof err), 0);
    ck_assert_double_eq_tol(c.row_activity, 0.5, 1e-12);
    ck_assert_double_eq_tol(after.energy_pj - before.energy_pj, c.e_cell * (0.875 / 0.5 - 1.0),
                            1e-9);
    ck_assert_uint_eq(after.cycles, before.cycles);
    /* zero inputs drive nothing */
    for (int i = 0; i < 128; i++)
        x[i] = 0.0;
    ck_assert_int_eq(xbar_ext.mvm(NULL, st, W, 8, 128, x, y, NULL), 0);
    ck_assert_double_eq_tol(st->measured_activity, 0.0, 1e-12);
    sim_destroy(s);
}
END_TEST

/* Multi-level cells, 1 to 4 bits (NeuroSim cellBit): cells per weight =
 * ceil(mag_bits / bits), area per weight follows, the lossless ADC resolution
 * is ceil(log2(rows (2^bits - 1) + 1)), and programming noise sigma = 3.5 %
 * of the range is 0.035 (2^bits - 1) of one level. */
START_TEST(test_multilevel_cells)
{
    ck_assert_int_eq(xbar_adc_bits_lossless(128, 1, 0, 8), 8);  /* 129 levels */
    ck_assert_int_eq(xbar_adc_bits_lossless(128, 2, 0, 8), 9);  /* 385 */
    ck_assert_int_eq(xbar_adc_bits_lossless(128, 4, 0, 8), 11); /* 1921 */
    ck_assert_int_eq(xbar_adc_bits_lossless(4, 1, 1, 4), 6);    /* 4 x 7 = 28: 5 + sign */
    for (int b = 1; b <= 4; b++) {
        char bs[8];
        snprintf(bs, sizeof bs, "%d", b);
        const char *p[] = {"bits_per_cell", bs, "adc_bits", "0", NULL};
        xbar_state_t *st;
        sim_t *s = state_of("rram_xbar", p, &st);
        xbar_map_t map;
        char err[256];
        ck_assert_int_eq(xbar_map(&st->cfg, 128, 128, &map, err, sizeof err), 0);
        ck_assert_int_eq(map.slices, (7 + b - 1) / b);
        ck_assert_uint_eq(st->phys_cols, (size_t)128 * (size_t)map.slices * 2);
        ck_assert_int_eq(st->cfg.adc_bits, xbar_adc_bits_lossless(128, b, 0, 8));
        /* area: cells 128 rows x 128 x slices x 2 columns x 48 F^2 (F = 40 nm);
         * ADCs ceil(phys / 8) x 1200 um2 x 2^(adc_bits - 8) */
        dev_area_t area;
        memset(&area, 0, sizeof area);
        ck_assert_int_eq(xbar_area(sim_comp_params(sim_comp_find(s, "dut")), &area, err,
                                   sizeof err),
                         0);
        double phys = 128.0 * map.slices * 2;
        double cells = 128.0 * phys * 48 * 0.04 * 0.04;
        double adcs = ceil(phys / 8) * 1200 * ldexp(1.0, st->cfg.adc_bits - 8);
        for (size_t i = 0; i < area.nparts; i++) {
            if (strcmp(area.part[i].name, "cells") == 0)
                ck_assert_double_eq_tol(area.part[i].um2, cells, 1e-6 * cells);
            if (strcmp(area.part[i].name, "adc") == 0)
                ck_assert_double_eq_tol(area.part[i].um2, adcs, 1e-6 * adcs);
        }
        /* programming noise per level, 2e4 draws at mid range */
        double range = st->cfg.g_max_us - st->cfg.g_min_us, mid = st->cfg.g_min_us + range / 2;
        double level = range / (ldexp(1.0, b) - 1.0), s1 = 0, s2 = 0;
        sim_rng_t rng;
        sim_rng_init(&rng, 9, (uint64_t)b);
        const int n = 20000;
        for (int i = 0; i < n; i++) {
            double d = (xbar_rram_cell.program(&st->cfg, mid, &rng, 1) - mid) / level;
            s1 += d, s2 += d * d;
        }
        double sd = sqrt(s2 / n - (s1 / n) * (s1 / n));
        ck_assert_msg(fabs(sd - 0.035 * (ldexp(1.0, b) - 1.0)) < 0.03 * 0.035 * (ldexp(1.0, b) - 1),
                      "bits %d: sigma per level %g", b, sd);
        sim_destroy(s);
    }
    /* zero noise, 3-bit cells: the lossless ADC (7 bits for 16 rows) leaves a
     * smaller error than NeuroSim's 5 bits */
    double rel[2];
    const char *adc[2] = {"0", "5"};
    for (int a = 0; a < 2; a++) {
        const char *p2[] = {"bits_per_cell", "3", "adc_bits", adc[a], "rows", "16", "cols", "4",
                            "prog_noise_frac", "0", NULL};
        xbar_state_t *st;
        sim_t *s = state_of("rram_xbar", p2, &st);
        double W[64], x[16], y[4], num = 0, den = 0;
        for (int i = 0; i < 64; i++)
            W[i] = (double)((i * 37) % 255 - 127);
        for (int i = 0; i < 16; i++)
            x[i] = (double)((i * 53) % 255 - 127);
        char err[256];
        ck_assert_int_eq(xbar_mvm_numeric(&st->cfg, st->ops, W, 4, 16, x, y, NULL, 0, 0, err,
                                          sizeof err),
                         0);
        for (int j = 0; j < 4; j++) {
            double ref = 0;
            for (int i = 0; i < 16; i++)
                ref += W[j * 16 + i] * x[i];
            num += (y[j] - ref) * (y[j] - ref), den += ref * ref;
        }
        rel[a] = sqrt(num / den);
        sim_destroy(s);
    }
    ck_assert_msg(rel[0] < rel[1], "lossless %g vs 5-bit %g", rel[0], rel[1]);
}
END_TEST

/* Request sizes whose products overflow 64 bits are refused with a message
 * (issue 22), never wrapped. */
START_TEST(test_size_overflow)
{
    const char *p[] = {"tiling", "true", "arrays", "16777216", NULL};
    xbar_state_t *st;
    sim_t *s = state_of("rram_xbar", p, &st);
    dev_req_t req = {.kind = DEV_OP_MVM, .m = UINT64_MAX / 2, .k = 128, .n = 128,
                     .weight_id = 1, .flags = DEV_F_COST_RESIDENT};
    dev_cost_t k;
    ck_assert_int_ne(xbar_ext.cost(NULL, st, &req, &k), 0);
    xbar_cost_t c;
    char err[256];
    ck_assert_int_eq(xbar_mvm_cost(&st->cfg, UINT64_MAX / 2, 128, 128, 1000, &c, err, sizeof err),
                     SIM_ERR_CONFIG);
    ck_assert_msg(strstr(err, "64-bit"), "%s", err);
    xbar_map_t map;
    ck_assert_int_eq(xbar_map(&st->cfg, UINT64_MAX, UINT64_MAX, &map, err, sizeof err),
                     SIM_ERR_CONFIG);
    ck_assert_msg(strstr(err, "overflows"), "%s", err);
    req.kind = DEV_OP_PROGRAM;
    req.m = 1, req.k = 1ull << 40, req.n = 1ull << 30;
    ck_assert_int_ne(xbar_ext.cost(NULL, st, &req, &k), 0);
    sim_destroy(s);
}
END_TEST

/* ---- bad input ---------------------------------------------------------------- */

START_TEST(test_bad_input)
{
    int rc;
    /* out of range: rejected by the parameter table */
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    sim_opts_t opts = {.seed = 1};
    sim_t *s = sim_create(&opts);
    sim_add_clock(s, "clk", 1e9);
    const char *zero_rows[] = {"rows", "0", NULL};
    ck_assert_int_lt(sim_add_component(s, "dut", "pcm_xbar", "clk", zero_rows), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "rows"));
    const char *neg_bits[] = {"adc_bits", "-2", NULL};
    ck_assert_int_lt(sim_add_component(s, "dut", "rram_xbar", "clk", neg_bits), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "adc_bits"));
    const char *five_bit_cells[] = {"bits_per_cell", "5", NULL};
    ck_assert_int_lt(sim_add_component(s, "dut", "rram_xbar", "clk", five_bit_cells), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "bits_per_cell"));
    const char *act[] = {"row_activity", "1.5", NULL};
    ck_assert_int_lt(sim_add_component(s, "dut", "rram_xbar", "clk", act), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "row_activity"));
    const char *sense[] = {"sense_ns", "0", NULL};
    ck_assert_int_lt(sim_add_component(s, "dut", "pcm_xbar", "clk", sense), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "sense_ns"));
    sim_destroy(s);

    /* combinations: checked at init */
    const char *one_bit[] = {"weight_bits", "1", NULL};
    s = build("pcm_xbar", one_bit, NULL, &rc);
    ck_assert_int_ne(rc, 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "weight_bits=1"));
    sim_destroy(s);
    const char *bs1[] = {"input_mode", "bitserial", "input_bits", "1", NULL};
    s = build("rram_xbar", bs1, NULL, &rc);
    ck_assert_int_ne(rc, 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "input_bits=1"));
    sim_destroy(s);
    const char *gg[] = {"g_min_us", "30", NULL};
    s = build("pcm_xbar", gg, NULL, &rc);
    ck_assert_int_ne(rc, 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "g_max_us"));
    sim_destroy(s);

    /* no clock */
    s = sim_create(&opts);
    ck_assert_int_ge(sim_add_component(s, "dut", "pcm_xbar", NULL, NULL), 0);
    ck_assert_int_ne(sim_init(s), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "clock"));
    sim_destroy(s);

    /* a matrix larger than the array with tiling off */
    const char *p[] = {"rows", "256", "cols", "256", NULL};
    s = build("pcm_xbar", p, "op=mvm m=1 k=300 n=256", &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_ne(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_msg(strstr(sim_errmsg(s), "pcm_xbar 'dut': mvm: a 300-input x 256-output matrix "
                                        "does not fit rows=256 x cols=256"),
                  "got: %s", sim_errmsg(s));
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "tiling=true"));
    sim_destroy(s);
    /* the numerics say the same */
    xbar_state_t *st;
    s = state_of("pcm_xbar", p, &st);
    double W[2] = {1, 2}, x[300] = {0}, y[2];
    char err[256];
    ck_assert_int_eq(
        xbar_mvm_numeric(&st->cfg, st->ops, W, 1, 300, x, y, NULL, 0, 0, err, sizeof err),
        SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "does not fit"));
    ck_assert_int_eq(
        xbar_mvm_numeric(&st->cfg, st->ops, W, 1, 2, W, y, NULL, -1.0, 0, err, sizeof err),
        SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "read_after_s"));
    sim_destroy(s);

    /* an op a crossbar cannot do */
    s = build("rram_xbar", (const char *[]){NULL}, "op=convert m=16", &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_ne(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "rram_xbar"));
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "'dut'"));
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "convert"));
    sim_destroy(s);
}
END_TEST

/* Every parameter in both tables has a unit or is unitless on purpose, a
 * doc line and a source; defaults parse. */
START_TEST(test_model_tables)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    const char *names[] = {"rram_xbar", "pcm_xbar"};
    for (int m = 0; m < 2; m++) {
        const sim_model_t *md = sim_model_find(names[m]);
        ck_assert_ptr_nonnull(md);
        ck_assert_ptr_nonnull(md->ext);
        const dev_ext_t *ext = md->ext;
        ck_assert_ptr_nonnull(ext->mvm);
        ck_assert_int_eq(ext->default_op, DEV_OP_MVM);
        for (const sim_param_def_t *d = md->params; d->name; d++) {
            ck_assert_msg(d->doc && *d->doc, "%s.%s doc", names[m], d->name);
            ck_assert_msg(d->source && *d->source, "%s.%s source", names[m], d->name);
            ck_assert_msg(d->def && *d->def, "%s.%s default", names[m], d->name);
        }
    }
    /* RRAM defaults (DNN_NeuroSim V1.3 Param.cpp: R_on 6 kOhm, R_off 150 R_on,
     * 0.5 V reads, 1.5 kOhm access transistor, 2 V writes; 22 nm LP sense
     * amp: 0.0631 / R_col over 1 ns): with uniform bits on 1-bit differential
     * cells a quarter of the cells are on, so one driven cell per pulse is
     * 0.0631 x (G_on/4 + 3 G_off/4) x 1 ns with each G through 1.5 kOhm; a
     * write is NeuroSim's average case V_w^2 (G_on + G_off) / 2 t_w (10 ns
     * pulse): 3.356 pJ, not 0.6 */
    xbar_state_t *st;
    sim_t *s = state_of("rram_xbar", (const char *[]){NULL}, &st);
    double g_on = 1e6 / 6e3, g_off = 1e6 / (6e3 * 150); /* uS */
    double ge_on = 1e6 / (6e3 + 1.5e3), ge_off = 1e6 / (6e3 * 150 + 1.5e3);
    ck_assert_double_eq_tol(st->cfg.access_ohm, 1500.0, 1e-2); /* g_max 166.667 uS */
    ck_assert_double_eq_tol(st->cfg.g_cell_us, 0.25 * ge_on + 0.75 * ge_off, 1e-4);
    ck_assert_double_eq_tol(st->cfg.cell_read_pj,
                            0.0631 * (0.25 * ge_on + 0.75 * ge_off) * 1.0 * 1e-3, 1e-8);
    ck_assert_double_eq_tol(st->cfg.write_pj, 2.0 * 2.0 * (g_on + g_off) / 2 * 10 * 1e-3, 1e-5);
    ck_assert_double_eq_tol(xbar_rram_write_pj(1.0, 100.0, 0.0, 20.0), 1.0, 1e-12);
    ck_assert_double_eq_tol(st->cfg.endurance, 1e6, 1e-6);
    sim_destroy(s);
    s = state_of("pcm_xbar", (const char *[]){NULL}, &st);
    ck_assert_double_eq_tol(st->cfg.write_ns, 190.0, 1e-12);
    ck_assert_double_eq_tol(st->cfg.endurance, 1e9, 1e-3);
    ck_assert_double_eq_tol(st->cfg.adc_pj, 1.7, 1e-12);
    sim_destroy(s);
}
END_TEST

static Suite *xbar_suite(void)
{
    Suite *s = suite_create("dev_xbar");
    TCase *t = tcase_create("pcm_cell");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_pcm_programming_noise);
    tcase_add_test(t, test_pcm_drift_single);
    tcase_add_test(t, test_pcm_drift_population);
    tcase_add_test(t, test_pcm_read_noise);
    suite_add_tcase(s, t);
    t = tcase_create("endurance");
    tcase_add_test(t, test_endurance_counters);
    tcase_add_test(t, test_endurance_engine);
    suite_add_tcase(s, t);
    t = tcase_create("cost");
    tcase_add_test(t, test_energy_hand_case);
    tcase_add_test(t, test_energy_hand_case_dac);
    tcase_add_test(t, test_column_energy_neurosim);
    tcase_add_test(t, test_activity_measured);
    tcase_add_test(t, test_multilevel_cells);
    tcase_add_test(t, test_size_overflow);
    tcase_add_test(t, test_adc_sharing);
    tcase_add_test(t, test_reload);
    suite_add_tcase(s, t);
    t = tcase_create("numerics");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_zero_noise_exact);
    tcase_add_test(t, test_zero_noise_offset);
    tcase_add_test(t, test_adc_quant_bound);
    tcase_add_test(t, test_adc_unipolar_bitserial);
    tcase_add_test(t, test_drift_compensation);
    tcase_add_test(t, test_noisy_pcm);
    suite_add_tcase(s, t);
    t = tcase_create("input");
    tcase_add_test(t, test_bad_input);
    tcase_add_test(t, test_model_tables);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(xbar_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
