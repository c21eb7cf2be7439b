/* Tests of the digital memory and vector units (sram, dram, vector): cycles
 * and energy against hand-computed closed forms and the published reference
 * points they cite (Horowitz ISSCC 2014; JEDEC HBM2/DDR4 rates), queueing and
 * pipelining, bad parameters, vector numerics against closed forms, and
 * `prism op` JSON through the binary (PRISM env var; skipped when unset). */
#include "devices/dev_common.h"
#include "mapper/map.h"

#include <check.h>
#include <cjson/cJSON.h>
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

typedef struct run {
    sim_t *s;
    sim_comp_t *dut, *drv;
} run_t;

/* dut = model(dev_params) at clock_hz; drv = op_driver(drv_params); run it. */
static run_t run_op(const char *model, const char *const *dev_params, double clock_hz,
                    const char *const *drv_params)
{
    sim_opts_t o = {.seed = 1};
    run_t r;
    r.s = sim_create(&o);
    ck_assert_ptr_nonnull(r.s);
    ck_assert_int_ge(sim_add_clock(r.s, "dev", clock_hz), 0);
    int rc = sim_add_component(r.s, "dut", model, "dev", dev_params);
    ck_assert_msg(rc >= 0, "%s", sim_errmsg(r.s));
    rc = sim_add_component(r.s, "drv", "op_driver", NULL, drv_params);
    ck_assert_msg(rc >= 0, "%s", sim_errmsg(r.s));
    ck_assert_int_ge(sim_add_link(r.s, "drv.out", "dut.in", 0, 0), 0);
    ck_assert_int_ge(sim_add_link(r.s, "dut.out", "drv.in", 1, 0), 0);
    rc = sim_init(r.s);
    ck_assert_msg(rc == 0, "init: %s", sim_errmsg(r.s));
    rc = sim_run(r.s, SIM_TIME_MAX, UINT64_MAX);
    ck_assert_msg(rc == 0, "run: %s", sim_errmsg(r.s));
    sim_finish(r.s);
    r.dut = sim_comp_find(r.s, "dut");
    r.drv = sim_comp_find(r.s, "drv");
    return r;
}

/* the run must fail with a message containing `needle` */
static void run_fails(const char *model, const char *const *dev_params,
                      const char *const *drv_params, const char *needle)
{
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    ck_assert_int_ge(sim_add_clock(s, "dev", 1e9), 0);
    ck_assert_int_ge(sim_add_component(s, "dut", model, "dev", dev_params), 0);
    ck_assert_int_ge(sim_add_component(s, "drv", "op_driver", NULL, drv_params), 0);
    ck_assert_int_ge(sim_add_link(s, "drv.out", "dut.in", 0, 0), 0);
    ck_assert_int_ge(sim_add_link(s, "dut.out", "drv.in", 1, 0), 0);
    int rc = sim_init(s);
    if (rc == 0)
        rc = sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(sim_errmsg(s), needle), "message '%s' lacks '%s'", sim_errmsg(s),
                  needle);
    sim_destroy(s);
}

static double stat_of(sim_comp_t *c, const char *name)
{
    for (size_t i = 0; i < sim_stat_count(c); i++)
        if (strcmp(sim_stat_name(c, i), name) == 0)
            return sim_stat_value(c, i);
    ck_abort_msg("no stat %s on %s", name, sim_comp_name(c));
    return 0;
}

static double dynamic_pj(sim_comp_t *c)
{
    double e = 0;
    for (size_t i = 0; i < sim_stat_count(c); i++)
        if (sim_stat_kind(c, i) == SIM_STAT_ENERGY)
            e += sim_stat_value(c, i);
    return e;
}

/* ---- sram ------------------------------------------------------------------------------ */
/* default: 256 KiB, 8 banks x 32 KiB, 64-bit words, 1 port, 8 B/cycle, 2 cycles.
 * read 4096 B: 512 words, 64 per bank -> 64 transfer cycles + 2 = 66; energy
 * 512 x 20 pJ (Horowitz 32 KB 64-bit access) */
START_TEST(test_sram_read_closed_form)
{
    const char *d[] = {"op", "read", "m", "4096", NULL};
    run_t r = run_op("sram", NULL, 1e9, d);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 66);
    ck_assert_double_eq(stat_of(r.drv, "device_span_ps"), 66000);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.read"), 512 * 20.0, 1e-9);
    ck_assert_double_eq_tol(stat_of(r.drv, "device_energy_pj"), 512 * 20.0, 1e-9);
    ck_assert_double_eq(stat_of(r.dut, "words_read"), 512);
    ck_assert_uint_eq(sim_busy_ps(r.dut), 64000);
    /* leakage: CACTI 7 45 nm itrs-lstp cells, 0.00017 mW/KiB x 256 KiB over
     * the run (ends 1 ps after completion) */
    ck_assert_double_eq_tol(sim_static_energy_pj(r.dut), 0.00017 * 256 * 66001 * 1e-3, 1e-9);
    sim_destroy(r.s);
}
END_TEST

/* leakage by node and cell type (CACTI 7, 45 nm: hp 1.04, lop 0.059, lstp
 * 0.00017 mW/KiB); an explicit leakage_mw_per_kb wins; an idle gated bank
 * keeps gated_leak_frac of its leakage and the banks an access touches leak
 * fully for its cycles */
START_TEST(test_sram_leakage_cells_and_gating)
{
    ck_assert_double_eq(dev_sram_leak_mw_per_kib("45nm", "hp"), 1.04);
    ck_assert_double_eq(dev_sram_leak_mw_per_kib("45nm", "lop"), 0.059);
    ck_assert_double_eq(dev_sram_leak_mw_per_kib("45nm", "lstp"), 0.00017);
    ck_assert_double_lt(dev_sram_leak_mw_per_kib("7nm", "hp"), 0);
    ck_assert_double_lt(dev_sram_leak_mw_per_kib("45nm", "ulv"), 0);
    const char *d[] = {"op", "read", "m", "4096", NULL};
    const char *hp[] = {"cell_type", "hp", NULL};
    run_t r = run_op("sram", hp, 1e9, d);
    ck_assert_double_eq_tol(sim_static_energy_pj(r.dut), 1.04 * 256 * 66001 * 1e-3, 1e-6);
    sim_destroy(r.s);
    const char *fixed[] = {"cell_type", "hp", "leakage_mw_per_kb", "0.5", NULL};
    r = run_op("sram", fixed, 1e9, d);
    ck_assert_double_eq_tol(sim_static_energy_pj(r.dut), 0.5 * 256 * 66001 * 1e-3, 1e-6);
    sim_destroy(r.s);
    /* gated: 8 banks of 32 KiB at 1.04 mW/KiB = 33.28 mW each; idle 5 %;
     * the read touches all 8 banks for its 66 cycles (66 ns) */
    const char *gated[] = {"cell_type", "hp", "power_gating", "true", NULL};
    r = run_op("sram", gated, 1e9, d);
    double bank_mw = 1.04 * 32;
    ck_assert_double_eq_tol(sim_static_energy_pj(r.dut), 8 * bank_mw * 0.05 * 66001 * 1e-3, 1e-6);
    double e_awake = 0.95 * bank_mw * 8 * 66000 * 1e-3;
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.leakage"), e_awake, 1e-6);
    ck_assert_double_eq_tol(stat_of(r.drv, "device_energy_pj"), 512 * 20.0 + e_awake, 1e-6);
    sim_destroy(r.s);
    /* one word: one bank awake */
    const char *d8[] = {"op", "read", "m", "8", NULL};
    r = run_op("sram", gated, 1e9, d8);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.leakage"), 0.95 * bank_mw * 3000 * 1e-3, 1e-6);
    sim_destroy(r.s);
}
END_TEST

/* brief's closed form: latency + ceil(m / (banks * ports * bank_bw)), several shapes */
START_TEST(test_sram_formula_grid)
{
    const int banks[] = {1, 4, 16}, ports[] = {1, 2}, bw[] = {8, 16};
    const long sizes[] = {64, 1000, 8192};
    for (size_t b = 0; b < 3; b++)
        for (size_t p = 0; p < 2; p++)
            for (size_t w = 0; w < 2; w++)
                for (size_t z = 0; z < 3; z++) {
                    char sb[16], sp[16], sw[16], sm[16];
                    snprintf(sb, sizeof sb, "%d", banks[b]);
                    snprintf(sp, sizeof sp, "%d", ports[p]);
                    snprintf(sw, sizeof sw, "%d", bw[w]);
                    snprintf(sm, sizeof sm, "%ld", sizes[z]);
                    const char *dp[] = {"banks", sb, "ports", sp, "bank_bw_bytes", sw,
                                        "word_bytes", sw, "size_bytes", "65536",
                                        "latency_cycles", "3", NULL};
                    const char *d[] = {"op", "write", "m", sm, NULL};
                    run_t r = run_op("sram", dp, 1e9, d);
                    /* aligned at 0, word = bank_bw: the closed form holds exactly */
                    long words = (sizes[z] + bw[w] - 1) / bw[w];
                    long per_bank = (words + banks[b] - 1) / banks[b];
                    long xfer = (per_bank * bw[w] + ports[p] * bw[w] - 1) / (ports[p] * bw[w]);
                    long brief = (sizes[z] + (long)banks[b] * ports[p] * bw[w] - 1) /
                                 ((long)banks[b] * ports[p] * bw[w]);
                    if (sizes[z] % bw[w] == 0)
                        ck_assert_int_eq(xfer, brief);
                    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 3 + xfer);
                    ck_assert_double_eq(stat_of(r.dut, "words_written"), words);
                    sim_destroy(r.s);
                }
}
END_TEST

/* Horowitz ISSCC 2014: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ per 64-bit access;
 * sqrt scaling from 32 KB gives 10 pJ and 113 pJ */
START_TEST(test_sram_size_scaling)
{
    const char *d[] = {"op", "read", "m", "8", NULL};
    const char *p8[] = {"size_bytes", "65536", "banks", "8", NULL}; /* 8 KiB banks */
    run_t r = run_op("sram", p8, 1e9, d);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.read"), 10.0, 1e-9);
    sim_destroy(r.s);
    const char *p1m[] = {"size_bytes", "1048576", "banks", "1", NULL};
    r = run_op("sram", p1m, 1e9, d);
    double e = stat_of(r.dut, "energy.read");
    ck_assert_double_eq_tol(e, 20.0 * sqrt(32.0), 1e-9);
    ck_assert(fabs(e - 100.0) / 100.0 < 0.15); /* within 15% of the published 1 MB figure */
    sim_destroy(r.s);
    const char *noscale[] = {"size_bytes", "1048576", "banks", "1", "size_scaling", "false",
                             "word_bytes", "16", "bank_bw_bytes", "16", NULL};
    r = run_op("sram", noscale, 1e9, d);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.read"), 40.0, 1e-9); /* 128-bit word */
    sim_destroy(r.s);
}
END_TEST

/* block interleave: a 4 KiB access inside one bank serializes on it */
START_TEST(test_sram_bank_conflict)
{
    const char *p[] = {"interleave", "block", NULL};
    const char *d[] = {"op", "read", "m", "4096", NULL};
    run_t r = run_op("sram", p, 1e9, d);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 2 + 512);
    sim_destroy(r.s);
    /* straddling two banks: 32 KiB - 1 KiB: 128 words in bank 0, 384 in bank 1 */
    const char *d2[] = {"op", "read", "m", "4096", "k", "31744", NULL};
    r = run_op("sram", p, 1e9, d2);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 2 + 384);
    sim_destroy(r.s);
    /* unaligned word access touches an extra word */
    const char *d3[] = {"op", "read", "m", "8", "k", "4", NULL};
    r = run_op("sram", NULL, 1e9, d3);
    ck_assert_double_eq(stat_of(r.dut, "words_read"), 2);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 3);
    sim_destroy(r.s);
}
END_TEST

/* pipelined: back-to-back reads finish at L + X and L + 2X */
START_TEST(test_sram_back_to_back)
{
    const char *d[] = {"op", "read", "m", "4096", "count", "2", "outstanding", "2", NULL};
    run_t r = run_op("sram", NULL, 2e9, d); /* 500 ps period */
    const map_drv_record_t *rec;
    ck_assert_uint_eq(map_driver_records(r.drv, &rec), 2);
    ck_assert_uint_eq(rec[0].device_latency_ps, 66 * 500);
    ck_assert_uint_eq(rec[1].device_latency_ps, (2 + 128) * 500);
    ck_assert_double_eq(stat_of(r.drv, "device_span_ps"), 130 * 500);
    ck_assert_double_eq(stat_of(r.dut, "queue_wait_max_ps"), 64 * 500);
    sim_destroy(r.s);
}
END_TEST

START_TEST(test_sram_errors)
{
    const char *beyond[] = {"op", "read", "m", "4096", "k", "260000", NULL};
    run_fails("sram", NULL, beyond, "goes beyond size_bytes 262144");
    const char *gemm[] = {"op", "gemm", "m", "4", "k", "4", "n", "4", NULL};
    run_fails("sram", NULL, gemm, "cannot do op 'gemm'");
    const char *zero[] = {"op", "write", "m", "0", NULL};
    run_fails("sram", NULL, zero, "write of 0 bytes");
    const char *odd[] = {"size_bytes", "1000", NULL};
    const char *rd[] = {"op", "read", "m", "8", NULL};
    run_fails("sram", odd, rd, "not a multiple of banks x word_bytes");

    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    ck_assert_int_ge(sim_add_clock(s, "dev", 1e9), 0);
    const char *p0[] = {"banks", "0", NULL};
    ck_assert_int_lt(sim_add_component(s, "a", "sram", "dev", p0), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "banks"));
    const char *pn[] = {"e_read_pj", "-1", NULL};
    ck_assert_int_lt(sim_add_component(s, "b", "sram", "dev", pn), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "e_read_pj"));
    const char *pe[] = {"interleave", "random", NULL};
    ck_assert_int_lt(sim_add_component(s, "c", "sram", "dev", pe), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "interleave"));
    const char *pu[] = {"colour", "red", NULL};
    ck_assert_int_lt(sim_add_component(s, "d", "dram", "dev", pu), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "colour"));
    const char *pl[] = {"lanes", "0", NULL};
    ck_assert_int_lt(sim_add_component(s, "e", "vector", "dev", pl), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "lanes"));
    sim_destroy(s);
}
END_TEST

/* ---- dram ------------------------------------------------------------------------------- */
/* HBM2: 4096 B = 128 bursts of 32 B over 8 channels (16 each) at 32 GB/s per
 * channel: 16 ns; + 40 ns latency = 56 ns; energy = 32768 bits x 3.9 pJ */
START_TEST(test_dram_hbm2_closed_form)
{
    const char *d[] = {"op", "read", "m", "4096", NULL};
    run_t r = run_op("dram", NULL, 1e9, d);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 56);
    ck_assert_double_eq(stat_of(r.drv, "device_span_ps"), 56000);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.read"), 4096 * 8 * 3.9, 1e-6);
    /* no background power for HBM2 (energy per bit only, as Accelergy's tables;
     * it was a DDR4 rank's 290 mW before issue 13) */
    ck_assert_double_eq(sim_static_energy_pj(r.dut), 0.0);
    /* large transfers approach the JEDEC peak: 1 GiB at 256 GB/s */
    sim_destroy(r.s);
    const char *big[] = {"op", "read", "m", "1073741824", NULL};
    r = run_op("dram", NULL, 1e9, big);
    double span_s = stat_of(r.drv, "device_span_ps") * 1e-12;
    ck_assert_double_eq_tol(1073741824.0 / span_s / 1e9, 256.0, 0.01);
    sim_destroy(r.s);
}
END_TEST

/* DDR4-3200: 1 MiB = 16384 bursts of 64 B on one channel at 25.6 GB/s =
 * 40960 ns + 40 ns; Horowitz 1.3 nJ / 64 bits */
START_TEST(test_dram_ddr4_closed_form)
{
    const char *p[] = {"standard", "ddr4", NULL};
    const char *d[] = {"op", "write", "m", "1048576", NULL};
    run_t r = run_op("dram", p, 1e9, d);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 41000);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.write"), 1048576.0 * 8 * 20.3, 1e-3);
    ck_assert_double_eq_tol(20.3 * 64, 1300, 1.0); /* 1.3 nJ per 64-bit access */
    ck_assert_double_eq_tol(sim_static_energy_pj(r.dut), 290.0 * (41000000 + 1) * 1e-3, 1e-3);
    sim_destroy(r.s);
    /* explicit parameters win over the standard's defaults */
    const char *p2[] = {"standard", "ddr4", "bandwidth_gbps", "51.2", "latency_ns", "0", NULL};
    r = run_op("dram", p2, 1e9, d);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 20480);
    sim_destroy(r.s);
}
END_TEST

/* unaligned: [16, 80) touches bursts 0..2 -> 96 B moved; latency overlaps
 * across back-to-back requests: L + X, L + 2X */
START_TEST(test_dram_bursts_and_overlap)
{
    const char *p[] = {"channels", "1", "bandwidth_gbps", "32", "latency_ns", "10", NULL};
    const char *d[] = {"op", "read", "m", "64", "k", "16", NULL};
    run_t r = run_op("dram", p, 1e9, d);
    ck_assert_double_eq(stat_of(r.dut, "bytes"), 96);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 10 + 3);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.read"), 96 * 8 * 3.9, 1e-9);
    sim_destroy(r.s);
    const char *d2[] = {"op", "read", "m", "320", "count", "2", "outstanding", "2", NULL};
    r = run_op("dram", p, 1e9, d2);
    const map_drv_record_t *rec;
    ck_assert_uint_eq(map_driver_records(r.drv, &rec), 2);
    ck_assert_uint_eq(rec[0].device_latency_ps, 20000);
    ck_assert_uint_eq(rec[1].device_latency_ps, 30000);
    sim_destroy(r.s);
    const char *beyond[] = {"op", "read", "m", "2", "k", "8589934591", NULL};
    run_fails("dram", NULL, beyond, "goes beyond capacity_bytes");
    const char *mvm[] = {"op", "mvm", NULL};
    run_fails("dram", NULL, mvm, "cannot do op 'mvm'");
}
END_TEST

/* ---- vector ------------------------------------------------------------------------------ */
/* softmax 4x64 on 16 lanes, depth 4: 5 ops per element -> ceil(256*5/16) = 80;
 * 2 reductions x log2(16) = 8 per row -> 32; total 4 + 80 + 32 = 116.
 * Energy: per element 3 adds + exp (6 mul, 6 add) + div (5 mul, 2 add). */
START_TEST(test_vector_softmax_closed_form)
{
    const char *d[] = {"op", "vector", "vfunc", "softmax", "m", "4", "n", "64", NULL};
    run_t r = run_op("vector", NULL, 1e9, d);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 116);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.fp_add"), 256 * (3 + 6 + 2) * 0.9, 1e-9);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.fp_mul"), 256 * (6 + 5) * 3.7, 1e-9);
    ck_assert_double_eq_tol(stat_of(r.drv, "device_energy_pj"), dynamic_pj(r.dut), 1e-9);
    ck_assert_uint_eq(sim_busy_ps(r.dut), 112000);
    /* register file leakage: 2 KiB of CACTI 7 45 nm itrs-hp cells, 1.04 mW/KiB */
    double run_ps = (double)sim_now(r.s);
    ck_assert_double_eq_tol(sim_static_energy_pj(r.dut), 2 * 1.04 * run_ps * 1e-3, 1e-6);
    sim_destroy(r.s);
    /* gated while idle: 5 % between ops, fully during the op's 116 cycles */
    const char *g[] = {"power_gating", "true", NULL};
    r = run_op("vector", g, 1e9, d);
    run_ps = (double)sim_now(r.s);
    ck_assert_double_eq_tol(sim_static_energy_pj(r.dut), 0.05 * 2.08 * run_ps * 1e-3, 1e-6);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.leakage"), 0.95 * 2.08 * 116000 * 1e-3, 1e-6);
    sim_destroy(r.s);
}
END_TEST

/* layernorm 2x8 on 16 lanes (a row narrower than the lanes: tree over 8 = 3
 * levels), fp16 energies: 7 ops per element -> ceil(16*7/16) = 7; per row
 * 2 x 3 + (1 add + 2 mul + 1 rsqrt) = 10 -> 20; depth 4 -> 31 */
START_TEST(test_vector_layernorm_fp16)
{
    const char *p[] = {"dtype", "fp16", NULL};
    const char *d[] = {"op", "vector", "vfunc", "layernorm", "m", "2", "n", "8", NULL};
    run_t r = run_op("vector", p, 1e9, d);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 31);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.fp_add"), (16 * 4 + 2 * (1 + 2)) * 0.4, 1e-9);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.fp_mul"), (16 * 3 + 2 * (2 + 6)) * 1.1, 1e-9);
    ck_assert_double_eq(stat_of(r.dut, "bytes"), 32);
    sim_destroy(r.s);
    /* gelu, relu, add: no reductions; sfu_cycles counts for the tanh */
    const char *p2[] = {"lanes", "8", "depth", "2", "sfu_cycles", "4", NULL};
    const char *g[] = {"op", "vector", "vfunc", "gelu", "m", "3", "n", "10", NULL};
    r = run_op("vector", p2, 1e9, g);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 2 + (30 * (8 + 4) + 7) / 8);
    sim_destroy(r.s);
    const char *a[] = {"op", "vector", "vfunc", "add", "m", "1", "n", "100", NULL};
    r = run_op("vector", p2, 1e9, a);
    ck_assert_double_eq(stat_of(r.drv, "device_cycles"), 2 + 13);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.fp_add"), 90.0, 1e-9);
    ck_assert_double_eq_tol(stat_of(r.dut, "energy.fp_mul"), 0.0, 1e-12);
    sim_destroy(r.s);
}
END_TEST

START_TEST(test_vector_errors)
{
    const char *none[] = {"op", "vector", "m", "1", "n", "4", NULL};
    run_fails("vector", NULL, none, "unknown or missing function");
    const char *empty[] = {"op", "vector", "vfunc", "relu", "m", "0", "n", "4", NULL};
    run_fails("vector", NULL, empty, "empty shape 0x4");
    const char *rd[] = {"op", "read", "m", "8", NULL};
    run_fails("vector", NULL, rd, "cannot do op 'read'");
}
END_TEST

/* Issue 22, finding 3: sizes that multiply past 64 bits (2^33 x 2^33
 * elements used to wrap to a 4-cycle add) and ops longer than the clock can
 * count are refused, by the handler and by the cost query, on every device
 * (dev_base_op), not priced as a wrapped small op. */
START_TEST(test_sizes_that_overflow_are_refused)
{
    const char *wrap[] = {"op",         "vector", "vfunc",      "add", "m",
                          "8589934592", "n",      "8589934592", NULL};
    run_fails("vector", NULL, wrap, "vector 'dut' add 8589934592x8589934592: the sizes overflow");
    const char *longv[] = {"op", "vector", "vfunc", "softmax", "m", "1", "n", "100000000000000000",
                           NULL};
    run_fails("vector", NULL, longv, "cycles overflow the clock");
    const char *conv[] = {"op", "convert", "m", "1000000000000000000", NULL};
    run_fails("dac", NULL, conv, "dac 'dut' convert: ");
    run_fails("adc", NULL, conv, "cycles overflow the clock");
    const char *wide[] = {"width_bytes", "1", NULL};
    const char *xfer[] = {"op", "transfer", "m", "9000000000000000000", NULL};
    run_fails("wire", wide, xfer, "wire 'dut' transfer: 9000000000000000005 cycles overflow");
    /* a cycle count past 2^64 (a double cast: undefined) saturates and is refused */
    const char *slow[] = {"capacity_bytes", "9000000000000000000", "bandwidth_gbps", "0.001", NULL};
    const char *big_read[] = {"op", "read", "m", "8000000000000000000", NULL};
    run_fails("dram", slow, big_read, "dram 'dut' read: 18446744073709551615 cycles overflow");
    const char *tiled[] = {"tiling", "true", NULL};
    const char *huge_mvm[] = {"op", "mvm", "m", "1", "k", "4294967296", "n", "4294967296", NULL};
    run_fails("mzi_mesh", tiled, huge_mvm, "cycles overflow the clock");
    /* the cost query says the same */
    sim_t *s = NULL;
    char err[512];
    ck_assert_int_eq(sim_config_load_string("clocks: {core: 1GHz}\ncomponents:\n"
                                            "  v: {model: vector, clock: core}\n",
                                            "t.yaml", NULL, &s, err, sizeof err),
                     0);
    ck_assert_int_eq(sim_init(s), 0);
    dev_req_t r = {.kind = DEV_OP_VECTOR, .vfunc = DEV_VF_ADD, .m = 1ull << 33, .n = 1ull << 33};
    dev_cost_t k;
    ck_assert_int_ne(dev_cost(sim_comp_find(s, "v"), &r, &k, err, sizeof err), 0);
    r.m = 1, r.n = 100000000000000000ull, r.vfunc = DEV_VF_SOFTMAX;
    ck_assert_int_ne(dev_cost(sim_comp_find(s, "v"), &r, &k, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "cycles overflow the clock"), "%s", err);
    r.m = 4, r.n = 64, r.vfunc = DEV_VF_ADD;
    ck_assert_int_eq(dev_cost(sim_comp_find(s, "v"), &r, &k, err, sizeof err), 0);
    sim_destroy(s);
}
END_TEST

/* IEEE binary16 rounding: known values */
START_TEST(test_round_fp16)
{
    ck_assert_double_eq(dev_round_fmt(1.0 + ldexp(1, -11), DEV_FMT_FP16), 1.0); /* tie to even */
    ck_assert_double_eq(dev_round_fmt(1.0 + 3 * ldexp(1, -11), DEV_FMT_FP16),
                        1.0 + ldexp(1, -9));
    ck_assert_double_eq(dev_round_fmt(65504.0, DEV_FMT_FP16), 65504.0);
    ck_assert(isinf(dev_round_fmt(65520.0, DEV_FMT_FP16)));
    ck_assert_double_eq(dev_round_fmt(65519.0, DEV_FMT_FP16), 65504.0);
    ck_assert_double_eq(dev_round_fmt(ldexp(1, -24), DEV_FMT_FP16), ldexp(1, -24));
    ck_assert_double_eq(dev_round_fmt(ldexp(1, -25), DEV_FMT_FP16), 0.0);
    ck_assert_double_eq(dev_round_fmt(3 * ldexp(1, -26), DEV_FMT_FP16), ldexp(1, -24));
    ck_assert_double_eq(dev_round_fmt(-0.1, DEV_FMT_FP16), -0.0999755859375);
    ck_assert_double_eq(dev_round_fmt(0.1, DEV_FMT_FP32), (double)0.1f);
    ck_assert_double_eq(dev_round_fmt(0.1, DEV_FMT_FP64), 0.1);
}
END_TEST

/* FP64 path against closed forms written here independently; FP32/FP16 error
 * within their unit roundoff bounds */
START_TEST(test_vector_numerics)
{
    enum { R = 3, C = 37 };
    double x[R * C], z[R * C], y[R * C], y32[R * C], y16[R * C];
    sim_rng_t rng;
    sim_rng_init(&rng, 7, 1);
    for (int i = 0; i < R * C; i++) {
        x[i] = 2.0 * sim_rng_next_normal(&rng);
        z[i] = sim_rng_next_normal(&rng);
    }
    /* softmax */
    ck_assert_int_eq(dev_vector_eval(DEV_VF_SOFTMAX, DEV_FMT_FP64, 8, x, NULL, NULL, NULL, y, R,
                                     C), 0);
    for (int r = 0; r < R; r++) {
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < C; j++)
            mx = fmax(mx, x[r * C + j]);
        for (int j = 0; j < C; j++)
            sum += exp(x[r * C + j] - mx);
        for (int j = 0; j < C; j++)
            ck_assert_double_eq_tol(y[r * C + j], exp(x[r * C + j] - mx) / sum, 1e-15);
    }
    /* layernorm: mean 0, variance 1 (eps 1e-5) per row */
    ck_assert_int_eq(dev_vector_eval(DEV_VF_LAYERNORM, DEV_FMT_FP64, 8, x, NULL, NULL, NULL, y,
                                     R, C), 0);
    for (int r = 0; r < R; r++) {
        double m = 0, v = 0, mx = 0, vx = 0;
        for (int j = 0; j < C; j++)
            m += y[r * C + j], mx += x[r * C + j];
        m /= C, mx /= C;
        for (int j = 0; j < C; j++)
            v += y[r * C + j] * y[r * C + j], vx += (x[r * C + j] - mx) * (x[r * C + j] - mx);
        ck_assert_double_le(fabs(m), 1e-12);
        ck_assert_double_eq_tol(v / C, (vx / C) / (vx / C + 1e-5), 1e-12);
    }
    /* GELU tanh approximation at 1: 0.8411919906 (Hendrycks & Gimpel) */
    double one = 1.0, g;
    dev_vector_eval(DEV_VF_GELU, DEV_FMT_FP64, 4, &one, NULL, NULL, NULL, &g, 1, 1);
    ck_assert_double_eq_tol(g, 0.8411919906082768, 1e-12);
    /* silu(1) = 1 / (1 + e^-1) */
    dev_vector_eval(DEV_VF_SILU, DEV_FMT_FP64, 4, &one, NULL, NULL, NULL, &g, 1, 1);
    ck_assert_double_eq_tol(g, 1.0 / (1.0 + exp(-1.0)), 1e-15);
    /* relu, add, mul, rmsnorm */
    ck_assert_int_eq(dev_vector_eval(DEV_VF_ADD, DEV_FMT_FP64, 4, x, z, NULL, NULL, y, R, C), 0);
    for (int i = 0; i < R * C; i++)
        ck_assert_double_eq(y[i], x[i] + z[i]);
    dev_vector_eval(DEV_VF_MUL, DEV_FMT_FP64, 4, x, z, NULL, NULL, y, R, C);
    for (int i = 0; i < R * C; i++)
        ck_assert_double_eq(y[i], x[i] * z[i]);
    dev_vector_eval(DEV_VF_RELU, DEV_FMT_FP64, 4, x, NULL, NULL, NULL, y, R, C);
    for (int i = 0; i < R * C; i++)
        ck_assert_double_eq(y[i], x[i] > 0 ? x[i] : 0);
    dev_vector_eval(DEV_VF_RMSNORM, DEV_FMT_FP64, 4, x, NULL, NULL, NULL, y, R, C);
    for (int r = 0; r < R; r++) {
        double ss = 0;
        for (int j = 0; j < C; j++)
            ss += x[r * C + j] * x[r * C + j];
        double rs = 1.0 / sqrt(ss / C + 1e-5);
        for (int j = 0; j < C; j++)
            ck_assert_double_eq_tol(y[r * C + j], x[r * C + j] * rs, 1e-13);
    }
    /* low precision: relative error near the unit roundoff times a few ops */
    int funcs[] = {DEV_VF_SOFTMAX, DEV_VF_LAYERNORM, DEV_VF_GELU, DEV_VF_ADD};
    for (size_t f = 0; f < 4; f++) {
        double n32 = 0, n16 = 0, d = 0;
        dev_vector_eval(funcs[f], DEV_FMT_FP64, 8, x, z, NULL, NULL, y, R, C);
        dev_vector_eval(funcs[f], DEV_FMT_FP32, 8, x, z, NULL, NULL, y32, R, C);
        dev_vector_eval(funcs[f], DEV_FMT_FP16, 8, x, z, NULL, NULL, y16, R, C);
        for (int i = 0; i < R * C; i++) {
            n32 += (y32[i] - y[i]) * (y32[i] - y[i]);
            n16 += (y16[i] - y[i]) * (y16[i] - y[i]);
            d += y[i] * y[i];
        }
        double e32 = sqrt(n32 / d), e16 = sqrt(n16 / d);
        ck_assert_msg(e32 > 0 && e32 < 20 * ldexp(1, -24), "fp32 %s %g", dev_vfunc_name(funcs[f]),
                      e32);
        ck_assert_msg(e16 > 1e-5 && e16 < 20 * ldexp(1, -11), "fp16 %s %g",
                      dev_vfunc_name(funcs[f]), e16);
    }
    ck_assert_int_eq(dev_vector_eval(DEV_VF_ADD, DEV_FMT_FP32, 4, x, NULL, NULL, NULL, y, R, C),
                     SIM_ERR_CONFIG);
    ck_assert_int_eq(dev_vector_eval(DEV_VF_NONE, DEV_FMT_FP32, 4, x, NULL, NULL, NULL, y, R, C),
                     SIM_ERR_CONFIG);
    ck_assert_int_eq(dev_vector_eval(DEV_VF_RELU, DEV_FMT_FP32, 0, x, NULL, NULL, NULL, y, R, C),
                     SIM_ERR_CONFIG);
}
END_TEST

/* ---- prism op through the binary ----------------------------------------------------------- */
static cJSON *prism_json(const char *args, int *status)
{
    const char *prism = getenv("PRISM");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>/dev/null", prism, args);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    *status = pclose(f);
    return cJSON_Parse(buf);
}

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsNumber(v), "no number '%s'", key);
    return v->valuedouble;
}

START_TEST(test_prism_op_json)
{
    if (!getenv("PRISM"))
        return; /* run by `make test`, which sets PRISM */
    int st;
    cJSON *o = prism_json("op --device sram --read 4096 --json", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(o);
    ck_assert_double_eq(jnum(o, "cycles"), 66);
    ck_assert_double_eq(jnum(o, "latency_ps"), 66000);
    ck_assert_double_eq_tol(jnum(o, "dynamic_energy_pj"), 10240, 1e-6);
    ck_assert_double_eq_tol(jnum(o, "energy_pj"),
                            jnum(o, "dynamic_energy_pj") + jnum(o, "static_energy_pj"), 1e-6);
    cJSON_Delete(o);

    o = prism_json("op --device dram --set standard=ddr4 --write 1MiB --clock-ghz 2 --json", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_double_eq(jnum(o, "cycles"), 82000);
    ck_assert_double_eq(jnum(o, "latency_ps"), 41000000);
    cJSON_Delete(o);

    o = prism_json("op --device vector --vector softmax --shape 4x64 --check --seed 3 --json", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_double_eq(jnum(o, "cycles"), 116);
    double rel = jnum(o, "rel_error");
    ck_assert(rel > 0 && rel < 1e-6);
    cJSON_Delete(o);

    /* back to back: two reads at L + X and L + 2X */
    o = prism_json("op --device sram --read 4096 --count 2 --json", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_double_eq(jnum(o, "latency_ps"), 130000);
    ck_assert_double_eq(jnum(o, "cycles"), 132);
    cJSON_Delete(o);

    /* --list --json names every device of this suite with its parameters */
    o = prism_json("op --list --json", &st);
    ck_assert_int_eq(st, 0);
    ck_assert(cJSON_IsArray(o));
    int found = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, o)
    {
        const char *name = cJSON_GetObjectItem(d, "name")->valuestring;
        if (!strcmp(name, "sram") || !strcmp(name, "dram") || !strcmp(name, "vector")) {
            found++;
            ck_assert(cJSON_GetArraySize(cJSON_GetObjectItem(d, "params")) > 3);
        }
    }
    ck_assert_int_eq(found, 3);
    cJSON_Delete(o);
}
END_TEST

static void expect_error(const char *args, const char *needle)
{
    const char *prism = getenv("PRISM");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1 >/dev/null", prism, args);
    FILE *f = popen(cmd, "r");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    int st = pclose(f);
    ck_assert_msg(st != 0, "'%s' exited 0", args);
    ck_assert_msg(strstr(buf, needle), "'%s': stderr '%s' lacks '%s'", args, buf, needle);
    ck_assert_msg(strchr(buf, '\n') == buf + strlen(buf) - 1, "'%s': more than one line: %s",
                  args, buf);
}

START_TEST(test_prism_op_errors)
{
    if (!getenv("PRISM"))
        return;
    expect_error("op --device warpdrive --read 8", "unknown device 'warpdrive'");
    expect_error("op --device sram --set banks=0 --read 8", "banks");
    expect_error("op --device sram --set nonsense=3 --read 8", "nonsense");
    expect_error("op --device sram --read 1GiB", "goes beyond size_bytes");
    expect_error("op --device sram --gemm 4x4x4", "cannot do op 'gemm'");
    expect_error("op --device sram", "give an operation");
    expect_error("op --device vector --vector softmax", "--vector needs --shape");
    expect_error("op --device dram --read 8 --read-after -3s", "--read-after");
    expect_error("op --device dram --read 8 --write 8", "one operation");
    expect_error("op --device sram --mvm 4x0", "--mvm '4x0'");
    expect_error("op --bogus", "unknown option");
    expect_error("op --device vector --vector add --shape 10000x10000 --check", "too large");
    expect_error("op --device sram --read 8 --vectors 3", "--vectors goes with --mvm");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dev_digital");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 60);
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, test_sram_read_closed_form);
    tcase_add_test(t, test_sram_leakage_cells_and_gating);
    tcase_add_test(t, test_sram_formula_grid);
    tcase_add_test(t, test_sram_size_scaling);
    tcase_add_test(t, test_sram_bank_conflict);
    tcase_add_test(t, test_sram_back_to_back);
    tcase_add_test(t, test_sram_errors);
    tcase_add_test(t, test_dram_hbm2_closed_form);
    tcase_add_test(t, test_dram_ddr4_closed_form);
    tcase_add_test(t, test_dram_bursts_and_overlap);
    tcase_add_test(t, test_vector_softmax_closed_form);
    tcase_add_test(t, test_vector_layernorm_fp16);
    tcase_add_test(t, test_vector_errors);
    tcase_add_test(t, test_sizes_that_overflow_are_refused);
    tcase_add_test(t, test_round_fp16);
    tcase_add_test(t, test_vector_numerics);
    tcase_add_test(t, test_prism_op_json);
    tcase_add_test(t, test_prism_op_errors);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
