/* The rns_photonic device against closed forms: energy of every category and
 * the op's cycles from hand-computed parts (Walden-scaled ceil(log2 m)-bit
 * converters, laser from the loss budget, Horowitz digital energies), the
 * cost query equal to what the handler charges, exact numerics equal to the
 * BFP GEMM of num/, phase noise turning into residue errors at the rate
 * erfc(pi / (m sigma sqrt(2 n))), redundant moduli repairing them, and the
 * error messages of bad configurations. */
#include "devices/dev_common.h"
#include "devices/dev_int.h"
#include "mapper/map.h"
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

static sim_t *build(const char *const *params, const char *const *drv, int *rc)
{
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(sim_add_clock(s, "clk", 5e9), 0);
    int id = sim_add_component(s, "dut", "rns_photonic", "clk", params);
    ck_assert_msg(id >= 0, "%s", sim_errmsg(s));
    if (drv) {
        ck_assert_int_ge(sim_add_component(s, "drv", "op_driver", NULL, drv), 0);
        ck_assert_int_ge(sim_add_link(s, "drv.out", "dut.in", 1000, 0), 0);
        ck_assert_int_ge(sim_add_link(s, "dut.out", "drv.in", 1000, 0), 0);
    }
    *rc = sim_init(s);
    return s;
}

START_TEST(test_energy_and_time_closed_form)
{
    /* 4 x 8 arrays, moduli 31,32,33 (5, 5, 6 bits); 3 vectors through an
     * 8-in x 4-out matrix, twice with the same weights */
    const char *p[] = {"rows", "4", "cols", "8", NULL};
    const char *d[] = {"op", "mvm", "m", "3", "k", "8", "n", "4", "count", "2", NULL};
    int rc;
    sim_t *s = build(p, d, &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    const dev_ext_t *ext = dev_model_ext(sim_model_find("rns_photonic"));
    ck_assert_ptr_nonnull(ext);
    dev_req_t req = {.kind = DEV_OP_MVM, .m = 3, .k = 8, .n = 4};
    dev_cost_t before;
    sim_comp_t *dut = sim_comp_find(s, "dut");
    ck_assert_int_eq(ext->cost(dut, sim_comp_state(dut), &req, &before), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    sim_finish(s);
    /* converters below their reference rates: flat energy per conversion.
     * DAC 50/14 pJ at 8 bits, capacitive scaling (2^b / b) / (2^8 / 8);
     * ADC 1.48 pJ at 8 bits, linear b / 8, two ADCs per output */
    double dac = 50.0 / 14.0, adc = 1.48;
    double e_dac = 24 * dac * (2 * (32.0 / 5) + 64.0 / 6) / 32.0; /* 3 x 8 values */
    double e_adc = 12 * 2 * adc * (2 * 5.0 + 6.0) / 8.0;          /* 3 x 4 readouts */
    double e_pd = 12 * 2 * 3 * (3 + 1.1) / 5.0;                   /* TIA + bias mW / 5 GHz */
    double e_mmu = 96 * 3 * 0.45;                                 /* MACs x moduli */
    double loss = 10 * log10(4.0) + 8 * 1.2 + 3;
    double pw = 3 * pow(10, (-25 + loss) / 10) / 0.2;
    double t_first = 200 + 200 + 8 * 250 * 4.2 / 299.792458 + 200 + 200 + 800;
    double t_tile = t_first + 2 * 200, e_laser = pw * t_tile * 1e-3;
    /* 6-bit mantissas (8 x 31^2 <= 16367 < 8 x 63^2); 15-bit range */
    double mul6 = 3.1 * pow(6 / 32.0, 2), add6 = 0.1 * 6 / 32.0;
    double mul15 = 3.1 * pow(15 / 32.0, 2), add15 = 0.1 * 15 / 32.0;
    double e_conv = 24 * 3 * (mul6 + add6) + 12 * (3 * (mul15 + add15) + mul15 + 0.9);
    double e_prog = 4 * 8 * 16 * 0.156; /* one reload of 4 x 8 x (5 + 5 + 6) bits */
    ck_assert_double_le(rel_close(stat_of(s, "dut", "insertion_loss_db"), loss), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "laser_power_mw"), pw), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.dac"), 2 * e_dac), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.adc"), 2 * e_adc), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.pd"), 2 * e_pd), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.modulator"), 2 * e_mmu), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.laser"), 2 * e_laser), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.rns_convert"), 2 * e_conv), 1e-12);
    ck_assert_double_le(rel_close(stat_of(s, "dut", "energy.program"), e_prog), 1e-12);
    ck_assert_double_eq(stat_of(s, "dut", "reloads"), 1);
    ck_assert_double_eq(stat_of(s, "dut", "residue_macs"), 2 * 96 * 3);
    /* MMU area: 3 arrays of 4 x 8 MMUs of 250 um x 25 um */
    ck_assert_double_le(rel_close(stat_of(s, "dut", "mmu_area_mm2"), 3 * 32 * 250 * 25e-6), 1e-12);
    const map_drv_record_t *r;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &r), 2);
    double first = e_dac + e_adc + e_pd + e_mmu + e_laser + e_conv + e_prog;
    ck_assert_double_le(rel_close(r[0].energy_pj, first), 1e-12);
    ck_assert_double_le(rel_close(r[1].energy_pj, first - e_prog), 1e-12);
    /* the cost query said the same before the run */
    ck_assert_double_le(rel_close(before.energy_pj, first), 1e-12);
    ck_assert_double_le(rel_close(before.program_energy_pj, e_prog), 1e-12);
    /* reload: 512 bits at 4096 bits/cycle = 1 cycle */
    ck_assert_uint_eq(r[0].cycles, (uint64_t)ceil((200 + t_tile) / 200.0));
    ck_assert_uint_eq(r[1].cycles, (uint64_t)ceil(t_tile / 200.0));
    ck_assert_uint_eq(before.cycles, r[0].cycles);
    sim_destroy(s);
}
END_TEST

START_TEST(test_numerics_equal_bfp_gemm)
{
    const char *p[] = {"rows", "16", "cols", "16", "moduli", "63,64,65", NULL};
    int rc;
    sim_t *s = build(p, NULL, &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    sim_comp_t *dut = sim_comp_find(s, "dut");
    const dev_ext_t *ext = dev_model_ext(sim_model_find("rns_photonic"));
    enum { NO = 40, NI = 50 };
    double W[NO * NI], x[NI], y[NO];
    float Wf[NO * NI], xf[NI], yb[NO];
    for (int i = 0; i < NO * NI; i++)
        Wf[i] = (float)(W[i] = num_gauss(3, 1, (uint64_t)i));
    for (int j = 0; j < NI; j++)
        xf[j] = (float)(x[j] = num_gauss(3, 2, (uint64_t)j));
    dev_num_ctx_t ctx = {0};
    ck_assert_int_eq(ext->mvm(dut, sim_comp_state(dut), W, NO, NI, x, y, &ctx), 0);
    /* 63,64,65 with 16-term blocks: 7-bit mantissas (16 x 63^2 <= 131039) */
    num_gemm_cfg_t cb = {.arith = NUM_ARITH_BFP, .block = 16, .mant_bits = 7};
    char err[256];
    num_gemm_t *g = num_gemm_create(&cb, err, sizeof err);
    ck_assert_int_eq(num_gemm_run(g, 0, 1, 1, NO, NI, 1, xf, NI, Wf, NI, 0, yb, NO), 0);
    double num = 0, den = 0;
    for (int i = 0; i < NO; i++) {
        ck_assert(y[i] == (double)yb[i]);
        double ref = 0;
        for (int j = 0; j < NI; j++)
            ref += W[i * NI + j] * x[j];
        num += (y[i] - ref) * (y[i] - ref);
        den += ref * ref;
    }
    ck_assert_double_lt(sqrt(num / den), 0.03); /* 7-bit BFP */
    num_gemm_destroy(g);
    sim_destroy(s);
}
END_TEST

START_TEST(test_phase_noise_error_rate)
{
    /* residue errors per readout: P(|N(0, sigma^2 n)| >= pi / m) */
    const double sigma = 0.01;
    const char *p[] = {"cols", "16", "phase_noise_rad", "0.01", NULL};
    int rc;
    sim_t *s = build(p, NULL, &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    sim_comp_t *dut = sim_comp_find(s, "dut");
    const dev_ext_t *ext = dev_model_ext(sim_model_find("rns_photonic"));
    num_gemm_cfg_t cfg;
    ck_assert_int_eq(ext->gemm_config(dut, sim_comp_state(dut), 1, 7, &cfg), 0);
    ck_assert_ptr_nonnull(cfg.residue_noise);
    enum { N = 200000 };
    uint32_t *res = calloc(N, sizeof *res);
    const uint32_t ms[3] = {31, 32, 33};
    for (int l = 0; l < 3; l++) {
        for (size_t i = 0; i < N; i++)
            res[i] = 5;
        size_t changed = cfg.residue_noise(cfg.noise_ctx, l, ms[l], 16, res, N, (uint64_t)l);
        long wrong = 0;
        for (size_t i = 0; i < N; i++)
            wrong += res[i] != 5;
        ck_assert_uint_eq(changed, (size_t)wrong);
        double p_err = erfc(M_PI / (ms[l] * sigma * sqrt(16.0) * sqrt(2.0)));
        double sd = sqrt(N * p_err * (1 - p_err));
        ck_assert_msg(fabs(wrong - N * p_err) < 5 * sd, "m=%u: %ld errors, expected %.0f", ms[l],
                      wrong, N * p_err);
    }
    /* noise off: nothing changes */
    ck_assert_int_eq(ext->gemm_config(dut, sim_comp_state(dut), 0, 7, &cfg), 0);
    ck_assert_ptr_null(cfg.residue_noise);
    free(res);
    sim_destroy(s);
}
END_TEST

static double noisy_rel_error(int redundant, uint64_t *corrected)
{
    char red[8];
    snprintf(red, sizeof red, "%d", redundant);
    const char *p[] = {"cols", "16", "phase_noise_rad", "0.008", "redundant", red, NULL};
    int rc;
    sim_t *s = build(p, NULL, &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    sim_comp_t *dut = sim_comp_find(s, "dut");
    const dev_ext_t *ext = dev_model_ext(sim_model_find("rns_photonic"));
    num_gemm_cfg_t cfg, exact;
    ext->gemm_config(dut, sim_comp_state(dut), 0, 11, &exact);
    exact.residue_noise = NULL;
    num_gemm_t *ge = num_gemm_create(&exact, NULL, 0);
    ext->gemm_config(dut, sim_comp_state(dut), 1, 11, &cfg);
    num_gemm_t *gn = num_gemm_create(&cfg, NULL, 0);
    ck_assert(ge && gn);
    enum { M = 32, N = 32, K = 64 };
    float A[M * K], B[K * N], Ce[M * N], Cn[M * N];
    for (int i = 0; i < M * K; i++)
        A[i] = (float)num_gauss(5, 1, (uint64_t)i);
    for (int i = 0; i < K * N; i++)
        B[i] = (float)num_gauss(5, 2, (uint64_t)i);
    ck_assert_int_eq(num_gemm_run(ge, 0, 0, M, N, K, 1, A, K, B, N, 0, Ce, N), 0);
    ck_assert_int_eq(num_gemm_run(gn, 0, 0, M, N, K, 1, A, K, B, N, 0, Cn, N), 0);
    double num = 0, den = 0;
    for (int i = 0; i < M * N; i++) {
        num += (Cn[i] - Ce[i]) * (double)(Cn[i] - Ce[i]);
        den += Ce[i] * (double)Ce[i];
    }
    *corrected = num_gemm_stats(gn)->corrected;
    num_gemm_destroy(ge);
    num_gemm_destroy(gn);
    sim_destroy(s);
    return sqrt(num / den);
}

START_TEST(test_redundant_moduli_repair_phase_noise)
{
    /* sigma 0.008 rad per MMU over 16 MMUs: ~0.2 % of residues err, two in one dot
     * product is rare */
    uint64_t c0, c2;
    double e0 = noisy_rel_error(0, &c0), e2 = noisy_rel_error(2, &c2);
    ck_assert_uint_eq(c0, 0);
    ck_assert_uint_gt(c2, 20);
    ck_assert_msg(e0 > 0.01, "no-redundancy error %g", e0);
    ck_assert_msg(e2 < e0 / 20, "redundant error %g vs %g", e2, e0);
}
END_TEST

START_TEST(test_bad_configs)
{
    int rc;
    const char *p1[] = {"moduli", "32,34,35", NULL};
    sim_t *s = build(p1, NULL, &rc);
    ck_assert_int_lt(rc, 0);
    ck_assert_msg(strstr(sim_errmsg(s), "moduli 32 and 34 are not coprime"), "%s", sim_errmsg(s));
    sim_destroy(s);
    const char *p2[] = {"mant_bits", "8", NULL};
    s = build(p2, NULL, &rc);
    ck_assert_int_lt(rc, 0);
    ck_assert_msg(strstr(sim_errmsg(s), "range too small") && strstr(sim_errmsg(s), "K = 16"), "%s",
                  sim_errmsg(s));
    sim_destroy(s);
    const char *p3[] = {"cols", "4096", "moduli", "3,4,5", NULL};
    s = build(p3, NULL, &rc);
    ck_assert_int_lt(rc, 0);
    ck_assert_msg(strstr(sim_errmsg(s), "range too small"), "%s", sim_errmsg(s));
    sim_destroy(s);
    const char *p4[] = {"dac_bits", "8", NULL};
    s = build(p4, NULL, &rc);
    ck_assert_int_lt(rc, 0);
    ck_assert_msg(strstr(sim_errmsg(s), "follow the moduli"), "%s", sim_errmsg(s));
    sim_destroy(s);
    const char *p5[] = {"moduli", "31;32", NULL};
    s = build(p5, NULL, &rc);
    ck_assert_int_lt(rc, 0);
    ck_assert_msg(strstr(sim_errmsg(s), "expected integers"), "%s", sim_errmsg(s));
    sim_destroy(s);
    const char *p6[] = {"tiling", "false", "rows", "8", "cols", "8", NULL};
    const char *d6[] = {"op", "mvm", "m", "1", "k", "9", "n", "8", NULL};
    s = build(p6, d6, &rc);
    ck_assert_msg(rc == 0, "%s", sim_errmsg(s));
    ck_assert_int_lt(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_msg(strstr(sim_errmsg(s), "set tiling=true"), "%s", sim_errmsg(s));
    sim_destroy(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dev_rns");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_energy_and_time_closed_form);
    tcase_add_test(tc, test_numerics_equal_bfp_gemm);
    tcase_add_test(tc, test_phase_noise_error_rate);
    tcase_add_test(tc, test_redundant_moduli_repair_phase_noise);
    tcase_add_test(tc, test_bad_configs);
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
