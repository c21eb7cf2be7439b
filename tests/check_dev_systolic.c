/* Tests of the systolic array against SCALE-Sim v2's model as documented in
 * SYSTOLIC-REFERENCE (cycles summed fold by fold here, the closed forms, the
 * SRAM traffic table, the ceil conv-to-GEMM rule), the realistic mode's
 * claims (preload hidden under drain, bandwidth stalls from first
 * principles), and one timed run through the engine. */
#include "devices/dev.h"
#include "mapper/map.h"
#include "devices/dev_common.h"
#include "devices/systolic.h"
#include "sim/sim.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- the reference, written from SYSTOLIC-REFERENCE, independent of systolic.c */

static uint64_t cdiv(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

typedef struct shape {
    uint64_t m, k, n;
} shape_t;

/* (spread over rows, over columns, streamed) for a dataflow */
static void mapping(int df, shape_t g, uint64_t *over_rows, uint64_t *over_cols,
                    uint64_t *streamed)
{
    if (df == SYSTOLIC_OS) {
        *over_rows = g.m, *over_cols = g.n, *streamed = g.k;
    } else if (df == SYSTOLIC_WS) {
        *over_rows = g.k, *over_cols = g.n, *streamed = g.m;
    } else {
        *over_rows = g.k, *over_cols = g.m, *streamed = g.n;
    }
}

/* Cycles fold by fold: every fold (edge ones too) does T + R + C - 2 rows of
 * work, plus R of preload for ws/is; SCALE-Sim reports the last index. */
static uint64_t ref_cycles_by_folds(int df, uint64_t R, uint64_t C, shape_t g, uint64_t *folds)
{
    uint64_t dr, dc, t;
    mapping(df, g, &dr, &dc, &t);
    uint64_t total = 0, f = 0;
    for (uint64_t row0 = 0; row0 < dr; row0 += R) {
        for (uint64_t col0 = 0; col0 < dc; col0 += C) {
            total += t + R + C - 2 + (df == SYSTOLIC_OS ? 0 : R);
            f++;
        }
    }
    if (folds)
        *folds = f;
    return total - 1;
}

/* The closed forms as printed in the reference. */
static uint64_t ref_cycles_closed(int df, uint64_t R, uint64_t C, shape_t g)
{
    if (df == SYSTOLIC_OS)
        return cdiv(g.m, R) * cdiv(g.n, C) * (g.k + R + C - 2) - 1;
    if (df == SYSTOLIC_WS)
        return cdiv(g.k, R) * cdiv(g.n, C) * (g.m + 2 * R + C - 2) - 1;
    return cdiv(g.k, R) * cdiv(g.m, C) * (g.n + 2 * R + C - 2) - 1;
}

/* SRAM traffic table (words). */
static void ref_traffic(int df, uint64_t R, uint64_t C, shape_t g, uint64_t *in, uint64_t *w,
                        uint64_t *out)
{
    if (df == SYSTOLIC_OS) {
        uint64_t f = cdiv(g.m, R) * cdiv(g.n, C);
        *in = g.m * g.k * cdiv(g.n, C);
        *w = g.k * g.n * cdiv(g.m, R);
        *out = g.m * g.n + f * (R + C);
    } else if (df == SYSTOLIC_WS) {
        *in = g.m * g.k * cdiv(g.n, C);
        *w = g.k * g.n;
        *out = g.m * g.n * cdiv(g.k, R);
    } else {
        *in = g.m * g.k;
        *w = g.k * g.n * cdiv(g.m, C);
        *out = g.m * g.n * cdiv(g.k, R);
    }
}

static systolic_cfg_t cfg_of(uint64_t R, uint64_t C, int df, int mode)
{
    systolic_cfg_t c;
    memset(&c, 0, sizeof c);
    c.rows = R;
    c.cols = C;
    c.dataflow = (systolic_dataflow_t)df;
    c.mode = (systolic_mode_t)mode;
    c.word_bytes = 1;
    return c;
}

static const uint64_t arrays[][2] = {{8, 8}, {32, 32}, {128, 128}, {16, 64}, {64, 16}, {1, 1}};
#define N_ARRAYS (sizeof arrays / sizeof arrays[0])

/* GPT-2 small, one block at sequence 128: c_attn, attn c_proj, mlp c_fc, mlp c_proj */
static const shape_t gpt2[] = {
    {128, 768, 2304}, {128, 768, 768}, {128, 768, 3072}, {128, 3072, 768}};

static const shape_t odd[] = {{1, 1, 1},   {7, 5, 3},    {33, 65, 17}, {100, 1, 1},
                              {1, 100, 1}, {1, 1, 100},  {32, 32, 32}, {129, 257, 63},
                              {12100, 147, 64}};

/* ---- scalesim mode ---------------------------------------------------------- */

static void check_scalesim(uint64_t R, uint64_t C, int df, shape_t g)
{
    systolic_cfg_t cfg = cfg_of(R, C, df, SYSTOLIC_SCALESIM);
    systolic_cost_t c;
    ck_assert_int_eq(systolic_gemm_cost(&cfg, g.m, g.k, g.n, &c), 0);
    uint64_t folds;
    uint64_t by_folds = ref_cycles_by_folds(df, R, C, g, &folds);
    ck_assert_uint_eq(by_folds, ref_cycles_closed(df, R, C, g));
    if (c.cycles != by_folds)
        ck_abort_msg("%s %llux%llu gemm %llux%llux%llu: cycles %llu, SCALE-Sim %llu",
                     systolic_dataflow_name((systolic_dataflow_t)df), (unsigned long long)R,
                     (unsigned long long)C, (unsigned long long)g.m, (unsigned long long)g.k,
                     (unsigned long long)g.n, (unsigned long long)c.cycles,
                     (unsigned long long)by_folds);
    ck_assert_uint_eq(c.scalesim_cycles, by_folds);
    ck_assert_uint_eq(c.folds, folds);
    ck_assert_uint_eq(c.stall_cycles, 0);
    ck_assert_uint_eq(c.overlap_saved_cycles, 0);
    ck_assert_uint_eq(c.macs, g.m * g.k * g.n);
    uint64_t in, w, out;
    ref_traffic(df, R, C, g, &in, &w, &out);
    ck_assert_uint_eq(c.ifmap_read_bytes, in);
    ck_assert_uint_eq(c.filter_read_bytes, w);
    ck_assert_uint_eq(c.ofmap_write_bytes, out);
    ck_assert_uint_eq(c.ofmap_artifact_bytes, df == SYSTOLIC_OS ? folds * (R + C) : 0);
    if (by_folds > 0) {
        double util = (double)(g.m * g.n * g.k) / ((double)by_folds * (double)(R * C));
        ck_assert_double_eq_tol(c.utilization, util, 1e-12 * util);
    }
}

START_TEST(test_gpt2_block_all_arrays)
{
    for (size_t a = 0; a < N_ARRAYS; a++)
        for (int df = 0; df < 3; df++)
            for (size_t i = 0; i < sizeof gpt2 / sizeof gpt2[0]; i++) {
                if (arrays[a][0] == 1 && df != SYSTOLIC_WS)
                    continue; /* 1x1 folds ~2.4e6 x 128 in the loop: covered below */
                check_scalesim(arrays[a][0], arrays[a][1], df, gpt2[i]);
            }
}
END_TEST

START_TEST(test_odd_shapes_and_edge_folds)
{
    for (size_t a = 0; a < N_ARRAYS; a++)
        for (int df = 0; df < 3; df++)
            for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
                check_scalesim(arrays[a][0], arrays[a][1], df, odd[i]);
}
END_TEST

/* Hand-worked figures: an edge fold costs a full fold. */
START_TEST(test_hand_figures)
{
    systolic_cost_t c;
    systolic_cfg_t cfg = cfg_of(32, 32, SYSTOLIC_OS, SYSTOLIC_SCALESIM);
    /* 33 rows of M on 32 PE rows: 2 folds of 32 + 62 rows of work */
    ck_assert_int_eq(systolic_gemm_cost(&cfg, 33, 32, 32, &c), 0);
    ck_assert_uint_eq(c.cycles, 2 * (32 + 62) - 1);
    ck_assert_uint_eq(c.folds, 2);
    /* GPT-2 c_attn on a 32x32 ws array: 24 x 72 folds of 128 + 64 + 30 */
    cfg.dataflow = SYSTOLIC_WS;
    ck_assert_int_eq(systolic_gemm_cost(&cfg, 128, 768, 2304, &c), 0);
    ck_assert_uint_eq(c.folds, 1728);
    ck_assert_uint_eq(c.cycles, 383615);
    /* 1x1 array: every MAC is its own fold; os: M*N*K - 1, ws: K*N*(M+1) - 1 */
    cfg = cfg_of(1, 1, SYSTOLIC_OS, SYSTOLIC_SCALESIM);
    ck_assert_int_eq(systolic_gemm_cost(&cfg, 7, 5, 3, &c), 0);
    ck_assert_uint_eq(c.cycles, 7 * 3 * 5 - 1);
    ck_assert_uint_eq(c.ofmap_write_bytes, 7 * 3 + 21 * 2);
    ck_assert_double_eq_tol(c.utilization, 105.0 / 104.0, 1e-12);
    cfg.dataflow = SYSTOLIC_WS;
    ck_assert_int_eq(systolic_gemm_cost(&cfg, 7, 5, 3, &c), 0);
    ck_assert_uint_eq(c.cycles, 5 * 3 * 8 - 1);
    cfg.dataflow = SYSTOLIC_IS;
    ck_assert_int_eq(systolic_gemm_cost(&cfg, 7, 5, 3, &c), 0);
    ck_assert_uint_eq(c.cycles, 5 * 7 * 4 - 1);
    /* 1x1 on the GPT-2 shapes through the closed forms only */
    for (size_t i = 0; i < sizeof gpt2 / sizeof gpt2[0]; i++)
        for (int df = 0; df < 3; df++) {
            cfg.dataflow = (systolic_dataflow_t)df;
            ck_assert_int_eq(systolic_gemm_cost(&cfg, gpt2[i].m, gpt2[i].k, gpt2[i].n, &c), 0);
            ck_assert_uint_eq(c.cycles, ref_cycles_closed(df, 1, 1, gpt2[i]));
        }
    /* word_bytes scales traffic, not cycles */
    cfg = cfg_of(16, 64, SYSTOLIC_IS, SYSTOLIC_SCALESIM);
    cfg.word_bytes = 2;
    ck_assert_int_eq(systolic_gemm_cost(&cfg, 128, 768, 768, &c), 0);
    ck_assert_uint_eq(c.cycles, ref_cycles_closed(SYSTOLIC_IS, 16, 64, gpt2[1]));
    ck_assert_uint_eq(c.ifmap_read_bytes, 2 * 128 * 768);
    ck_assert_uint_eq(c.filter_read_bytes, 2 * 768 * 768 * 2);
    ck_assert_uint_eq(c.ofmap_write_bytes, 2 * 128 * 768 * 48);
}
END_TEST

/* ---- conv layers -------------------------------------------------------------- */

START_TEST(test_conv_to_gemm)
{
    uint64_t m, k, n;
    /* ResNet-18 conv1: 224x224x3, 7x7/2, 64 filters: ceil gives OH = OW = 110 */
    ck_assert_int_eq(systolic_conv_to_gemm(224, 224, 3, 7, 7, 2, 64, &m, &k, &n), 0);
    ck_assert_uint_eq(m, 110 * 110);
    ck_assert_uint_eq(k, 7 * 7 * 3);
    ck_assert_uint_eq(n, 64);
    /* 3x3 stride 1 (ResNet-18 conv2_x without padding): 56 -> 54 */
    ck_assert_int_eq(systolic_conv_to_gemm(56, 56, 64, 3, 3, 1, 64, &m, &k, &n), 0);
    ck_assert_uint_eq(m, 54 * 54);
    ck_assert_uint_eq(k, 576);
    /* AlexNet conv1: 227x227x3, 11x11/4, 96: 55x55 */
    ck_assert_int_eq(systolic_conv_to_gemm(227, 227, 3, 11, 11, 4, 96, &m, &k, &n), 0);
    ck_assert_uint_eq(m, 55 * 55);
    ck_assert_uint_eq(k, 363);
    ck_assert_uint_eq(n, 96);
    /* non-square input and filter */
    ck_assert_int_eq(systolic_conv_to_gemm(10, 20, 2, 3, 5, 3, 4, &m, &k, &n), 0);
    /* ceil((10-3+3)/3) = 4 rows (floor would give 3), ceil((20-5+3)/3) = 6 */
    ck_assert_uint_eq(m, 4 * 6);
    ck_assert_uint_eq(k, 3 * 5 * 2);
    ck_assert_uint_eq(n, 4);
}
END_TEST

START_TEST(test_conv_cycles)
{
    uint64_t m, k, n;
    ck_assert_int_eq(systolic_conv_to_gemm(224, 224, 3, 7, 7, 2, 64, &m, &k, &n), 0);
    shape_t conv1 = {m, k, n};
    /* hand figure: os on 32x32, ceil(12100/32) = 379 row folds, 2 column folds,
     * 147 + 62 rows of work each */
    systolic_cfg_t cfg = cfg_of(32, 32, SYSTOLIC_OS, SYSTOLIC_SCALESIM);
    systolic_cost_t c;
    ck_assert_int_eq(systolic_gemm_cost(&cfg, m, k, n, &c), 0);
    ck_assert_uint_eq(c.cycles, 379 * 2 * 209 - 1);
    ck_assert_int_eq(systolic_conv_to_gemm(56, 56, 64, 3, 3, 1, 64, &m, &k, &n), 0);
    shape_t conv3 = {m, k, n};
    for (size_t a = 0; a < N_ARRAYS - 1; a++)
        for (int df = 0; df < 3; df++) {
            check_scalesim(arrays[a][0], arrays[a][1], df, conv1);
            check_scalesim(arrays[a][0], arrays[a][1], df, conv3);
        }
}
END_TEST

START_TEST(test_bad_input)
{
    uint64_t m, k, n;
    ck_assert_int_eq(systolic_conv_to_gemm(5, 5, 3, 7, 7, 1, 4, &m, &k, &n), SIM_ERR_CONFIG);
    ck_assert_int_eq(systolic_conv_to_gemm(8, 8, 3, 3, 3, 0, 4, &m, &k, &n), SIM_ERR_CONFIG);
    ck_assert_int_eq(systolic_conv_to_gemm(8, 8, 0, 3, 3, 1, 4, &m, &k, &n), SIM_ERR_CONFIG);
    systolic_cost_t c;
    systolic_cfg_t cfg = cfg_of(32, 32, SYSTOLIC_WS, SYSTOLIC_SCALESIM);
    ck_assert_int_eq(systolic_gemm_cost(&cfg, 0, 3, 3, &c), SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(c.err, "zero dimension"));
    cfg.rows = 0;
    ck_assert_int_eq(systolic_gemm_cost(&cfg, 3, 3, 3, &c), SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(c.err, "rows and cols"));
    cfg.rows = 32;
    cfg.mode = SYSTOLIC_REALISTIC;
    cfg.ifmap_bw = -1;
    ck_assert_int_eq(systolic_gemm_cost(&cfg, 3, 3, 3, &c), SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(c.err, "bandwidth"));
    cfg.ifmap_bw = 0;
    uint64_t big = (uint64_t)1 << 40;
    ck_assert_int_eq(systolic_gemm_cost(&cfg, big, big, big, &c), SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(c.err, "overflow"));
    ck_assert_int_eq(systolic_dataflow_parse("ws"), SYSTOLIC_WS);
    ck_assert_int_eq(systolic_dataflow_parse("rs"), -1);
    ck_assert_int_eq(systolic_mode_parse("realistic"), SYSTOLIC_REALISTIC);
    ck_assert_int_eq(systolic_mode_parse("fast"), -1);
}
END_TEST

/* ---- realistic mode ------------------------------------------------------------ */

START_TEST(test_realistic_unlimited_bandwidth)
{
    const shape_t *sets[] = {gpt2, odd};
    size_t counts[] = {sizeof gpt2 / sizeof gpt2[0], sizeof odd / sizeof odd[0]};
    for (size_t a = 0; a < N_ARRAYS; a++)
        for (int df = 0; df < 3; df++)
            for (size_t s = 0; s < 2; s++)
                for (size_t i = 0; i < counts[s]; i++) {
                    shape_t g = sets[s][i];
                    uint64_t R = arrays[a][0], C = arrays[a][1];
                    systolic_cfg_t cfg = cfg_of(R, C, df, SYSTOLIC_REALISTIC);
                    systolic_cost_t c;
                    ck_assert_int_eq(systolic_gemm_cost(&cfg, g.m, g.k, g.n, &c), 0);
                    uint64_t scalesim = ref_cycles_closed(df, R, C, g);
                    uint64_t dr, dc, t;
                    mapping(df, g, &dr, &dc, &t);
                    uint64_t folds = cdiv(dr, R) * cdiv(dc, C);
                    ck_assert_uint_eq(c.scalesim_cycles, scalesim);
                    ck_assert_uint_le(c.cycles, scalesim);
                    ck_assert_uint_eq(c.stall_cycles, 0);
                    ck_assert_uint_eq(c.cycles + c.overlap_saved_cycles, scalesim);
                    if (df == SYSTOLIC_OS) {
                        ck_assert_uint_eq(c.cycles, scalesim);
                    } else if (folds > 1 && C >= 2) {
                        /* only the first fold pays its R-cycle preload */
                        ck_assert_uint_lt(c.cycles, scalesim);
                        ck_assert_uint_eq(c.cycles, scalesim - (folds - 1) * R);
                    }
                    uint64_t in, w, out;
                    ref_traffic(df, R, C, g, &in, &w, &out);
                    if (df == SYSTOLIC_OS)
                        out -= folds * (R + C); /* no artifact outside scalesim mode */
                    ck_assert_uint_eq(c.ifmap_read_bytes, in);
                    ck_assert_uint_eq(c.filter_read_bytes, w);
                    ck_assert_uint_eq(c.ofmap_write_bytes, out);
                    ck_assert_uint_eq(c.ofmap_artifact_bytes, 0);
                }
}
END_TEST

/* Streamed operands at b bytes/cycle: a fold with r rows in use streams
 * T*r input words, which take ceil(T*r/b) cycles instead of T. Summed over
 * folds, fold by fold. */
START_TEST(test_realistic_stalls_first_principles)
{
    /* worked by hand: ws 4x4, M=10, K=8, N=4, ifmap 1 B/cycle: two folds,
     * first 4 + 40 + 6, second 40 + 6 (preload under the first's drain) */
    systolic_cfg_t cfg = cfg_of(4, 4, SYSTOLIC_WS, SYSTOLIC_REALISTIC);
    cfg.ifmap_bw = 1.0;
    systolic_cost_t c;
    ck_assert_int_eq(systolic_gemm_cost(&cfg, 10, 8, 4, &c), 0);
    ck_assert_uint_eq(c.cycles, 95);
    ck_assert_uint_eq(c.scalesim_cycles, 39);
    ck_assert_uint_eq(c.overlap_saved_cycles, 4);
    ck_assert_uint_eq(c.stall_cycles, 60);

    /* ws, input port limited: per fold stall = ceil(M*r/b) - M */
    const double bws[] = {0.5, 3.0, 7.5, 31.0};
    for (size_t a = 0; a < N_ARRAYS - 1; a++)
        for (size_t i = 0; i < sizeof gpt2 / sizeof gpt2[0]; i++)
            for (size_t b = 0; b < sizeof bws / sizeof bws[0]; b++) {
                uint64_t R = arrays[a][0], C = arrays[a][1];
                shape_t g = gpt2[i];
                cfg = cfg_of(R, C, SYSTOLIC_WS, SYSTOLIC_REALISTIC);
                cfg.ifmap_bw = bws[b];
                ck_assert_int_eq(systolic_gemm_cost(&cfg, g.m, g.k, g.n, &c), 0);
                uint64_t stall = 0;
                for (uint64_t k0 = 0; k0 < g.k; k0 += R) {
                    uint64_t r = g.k - k0 < R ? g.k - k0 : R;
                    uint64_t need = (uint64_t)ceil((double)(g.m * r) / bws[b]);
                    stall += (need > g.m ? need - g.m : 0) * cdiv(g.n, C);
                }
                ck_assert_uint_eq(c.stall_cycles, stall);
                ck_assert_uint_eq(c.cycles, c.scalesim_cycles - c.overlap_saved_cycles + stall);
                /* the input port can never move more than b bytes a cycle */
                ck_assert(c.cycles + 1 >= (uint64_t)((double)c.ifmap_read_bytes / bws[b]));
            }

    /* is, output port limited: per fold T*c words over T + R + C - 2 cycles */
    cfg = cfg_of(16, 64, SYSTOLIC_IS, SYSTOLIC_REALISTIC);
    cfg.ofmap_bw = 2.0;
    shape_t g = gpt2[2];
    ck_assert_int_eq(systolic_gemm_cost(&cfg, g.m, g.k, g.n, &c), 0);
    uint64_t stall = 0;
    for (uint64_t k0 = 0; k0 < g.k; k0 += 16)
        for (uint64_t m0 = 0; m0 < g.m; m0 += 64) {
            uint64_t cu = g.m - m0 < 64 ? g.m - m0 : 64;
            uint64_t need = cdiv(g.n * cu, 2), window = g.n + 16 + 64 - 2;
            stall += need > window ? need - window : 0;
        }
    ck_assert_uint_gt(stall, 0);
    ck_assert_uint_eq(c.stall_cycles, stall);

    /* os, both inputs limited: the slower port sets each fold's stream */
    cfg = cfg_of(32, 32, SYSTOLIC_OS, SYSTOLIC_REALISTIC);
    cfg.ifmap_bw = 4.0;
    cfg.filter_bw = 8.0;
    g = (shape_t){100, 50, 40};
    ck_assert_int_eq(systolic_gemm_cost(&cfg, g.m, g.k, g.n, &c), 0);
    stall = 0;
    for (uint64_t m0 = 0; m0 < g.m; m0 += 32)
        for (uint64_t n0 = 0; n0 < g.n; n0 += 32) {
            uint64_t r = g.m - m0 < 32 ? g.m - m0 : 32, cu = g.n - n0 < 32 ? g.n - n0 : 32;
            uint64_t need = cdiv(r * g.k, 4);
            if (cdiv(g.k * cu, 8) > need)
                need = cdiv(g.k * cu, 8);
            stall += need > g.k ? need - g.k : 0;
        }
    ck_assert_uint_eq(c.stall_cycles, stall);
    ck_assert_uint_eq(c.cycles, c.scalesim_cycles + stall);
}
END_TEST

/* A tiny bandwidth on every port only ever adds cycles. */
START_TEST(test_realistic_tiny_bandwidth)
{
    for (size_t a = 0; a < N_ARRAYS - 1; a++)
        for (int df = 0; df < 3; df++) {
            uint64_t R = arrays[a][0], C = arrays[a][1];
            shape_t g = gpt2[0];
            systolic_cfg_t cfg = cfg_of(R, C, df, SYSTOLIC_REALISTIC);
            systolic_cost_t free_bw, tiny;
            ck_assert_int_eq(systolic_gemm_cost(&cfg, g.m, g.k, g.n, &free_bw), 0);
            cfg.ifmap_bw = cfg.filter_bw = cfg.ofmap_bw = 0.25;
            ck_assert_int_eq(systolic_gemm_cost(&cfg, g.m, g.k, g.n, &tiny), 0);
            ck_assert_uint_gt(tiny.cycles, free_bw.cycles);
            ck_assert_uint_gt(tiny.cycles, tiny.scalesim_cycles);
            ck_assert_uint_gt(tiny.stall_cycles, 0);
            ck_assert_uint_eq(tiny.cycles,
                              tiny.scalesim_cycles - tiny.overlap_saved_cycles +
                                  tiny.stall_cycles);
            /* the busiest port bounds the run from below */
            uint64_t most = tiny.ifmap_read_bytes;
            if (tiny.filter_read_bytes > most)
                most = tiny.filter_read_bytes;
            if (tiny.ofmap_write_bytes > most)
                most = tiny.ofmap_write_bytes;
            ck_assert_uint_ge(tiny.cycles + 1, most * 4);
            /* scalesim mode ignores bandwidth, as SCALE-Sim's calculated mode */
            cfg.mode = SYSTOLIC_SCALESIM;
            ck_assert_int_eq(systolic_gemm_cost(&cfg, g.m, g.k, g.n, &tiny), 0);
            ck_assert_uint_eq(tiny.cycles, ref_cycles_closed(df, R, C, g));
        }
}
END_TEST

/* ---- the component --------------------------------------------------------------- */

START_TEST(test_model_table)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    const sim_model_t *m = sim_model_find("systolic");
    ck_assert_ptr_nonnull(m);
    const dev_ext_t *ext = m->ext;
    ck_assert_ptr_nonnull(ext);
    ck_assert_int_eq(ext->default_op, DEV_OP_GEMM);
    ck_assert(ext->default_clock_hz > 0);
    int seen = 0;
    for (const sim_param_def_t *p = m->params; p->name; p++) {
        ck_assert_ptr_nonnull(p->source);
        ck_assert(strlen(p->source) > 5);
        if (strcmp(p->name, "rows") == 0 || strcmp(p->name, "cols") == 0) {
            ck_assert(p->min >= 1);
            seen++;
        }
        if (strcmp(p->name, "mode") == 0) {
            ck_assert_str_eq(p->def, "scalesim");
            seen++;
        }
    }
    ck_assert_int_eq(seen, 3);
}
END_TEST

/* A minimal driver: sends `n_reqs` GEMM requests at time 0 over "out" and
 * records the completions that come back on "in". */
static struct {
    int n_reqs;
    dev_req_t req;
    int n_done;
    dev_done_t done[4];
    sim_time_t done_at[4];
} drv;

static int drv_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    (void)state, (void)p;
    int out = sim_port(c, "out");
    if (out < 0)
        return sim_comp_fail(c, "test driver has no 'out' link");
    for (int i = 0; i < drv.n_reqs; i++) {
        dev_req_t r = drv.req;
        r.tag = (uint32_t)i;
        sim_msg_t m = {.kind = DEV_MSG_REQ, .bytes = 0, .data = &r, .data_len = sizeof r};
        if (sim_send(c, out, &m, 0) != 0)
            return sim_comp_fail(c, "test driver cannot send");
    }
    return 0;
}

static void drv_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    (void)state;
    if (ev->kind != DEV_MSG_DONE || drv.n_done >= 4) {
        sim_comp_fail(c, "test driver: unexpected event");
        return;
    }
    memcpy(&drv.done[drv.n_done], ev->data.bytes, sizeof(dev_done_t));
    drv.done_at[drv.n_done++] = ev->time;
}

static const sim_param_def_t drv_params[] = {{NULL, SIM_P_INT, NULL, NULL, 0, 0, NULL, NULL, NULL}};
static const sim_model_t drv_model = {
    .name = "systolic_test_driver",
    .params = drv_params,
    .init = drv_init,
    .handle = drv_handle,
};

static double stat_of(sim_comp_t *c, const char *name)
{
    for (size_t i = 0; i < sim_stat_count(c); i++)
        if (strcmp(sim_stat_name(c, i), name) == 0)
            return sim_stat_value(c, i);
    ck_abort_msg("no stat %s", name);
    return -1;
}

/* flags of the requests run_engine sends (the operand format) */
static uint32_t engine_flags;

/* Runs `n_reqs` copies of a GEMM through a systolic component on a 1 GHz
 * clock with 1 ns links; returns the sim (caller destroys). */
static sim_t *run_engine(const char *const *params, int n_reqs, uint64_t m, uint64_t k,
                         uint64_t n)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    sim_model_register(&drv_model);
    memset(&drv, 0, sizeof drv);
    drv.n_reqs = n_reqs;
    drv.req.kind = DEV_OP_GEMM;
    drv.req.flags = engine_flags;
    drv.req.m = m, drv.req.k = k, drv.req.n = n;
    sim_opts_t opts = {.seed = 1, .until_ps = 0};
    sim_t *s = sim_create(&opts);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(sim_add_clock(s, "clk", 1e9), 0);
    ck_assert_int_ge(sim_add_component(s, "dut", "systolic", "clk", params), 0);
    ck_assert_int_ge(sim_add_component(s, "drv", "systolic_test_driver", NULL, NULL), 0);
    ck_assert_int_ge(sim_add_link(s, "drv.out", "dut.in", 1000, 0), 0);
    ck_assert_int_ge(sim_add_link(s, "dut.out", "drv.in", 1000, 0), 0);
    ck_assert_msg(sim_init(s) == 0, "%s", sim_errmsg(s));
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
    return s;
}

START_TEST(test_engine_run)
{
    const char *params[] = {"rows", "32", "cols", "32", "dataflow", "ws", NULL};
    sim_t *s = run_engine(params, 2, 128, 768, 768);
    uint64_t cyc = ref_cycles_closed(SYSTOLIC_WS, 32, 32, gpt2[1]);
    ck_assert_int_eq(drv.n_done, 2);
    /* first: arrives at 1 ns, holds the array cyc cycles of 1000 ps, 1 ns back */
    ck_assert_uint_eq(drv.done[0].cycles, cyc);
    ck_assert_uint_eq(drv.done[0].latency_ps, cyc * 1000);
    ck_assert_uint_eq(drv.done_at[0], 1000 + cyc * 1000 + 1000);
    /* second: queued behind the first (FIFO) */
    ck_assert_uint_eq(drv.done[1].cycles, cyc);
    ck_assert_uint_eq(drv.done[1].latency_ps, 2 * cyc * 1000);
    ck_assert_uint_eq(drv.done_at[1], 1000 + 2 * cyc * 1000 + 1000);
    sim_comp_t *dut = sim_comp_find(s, "dut");
    ck_assert_uint_eq(sim_busy_ps(dut), 2 * cyc * 1000);
    ck_assert_double_eq(stat_of(dut, "scalesim_cycles"), 2.0 * (double)cyc);
    ck_assert_double_eq(stat_of(dut, "macs"), 2.0 * 128 * 768 * 768);
    /* energy adds up from its parts: MACs at 0.23 pJ, SRAM bytes at the sram
     * model's energy for a 512 KiB bank (the chip's buffer banks): Horowitz's
     * 20 pJ per 64 bits at 32 KB x sqrt(512 / 32) / 8 B = 10 pJ/B (issue 13:
     * it was the 32 KB array's 2.5 pJ/B) */
    uint64_t in, w, out;
    ref_traffic(SYSTOLIC_WS, 32, 32, gpt2[1], &in, &w, &out);
    double e = 128.0 * 768 * 768 * 0.23 + (double)(in + w + out) * 10.0;
    ck_assert_double_eq_tol(drv.done[0].energy_pj, e, 1e-9 * e);
    ck_assert_double_eq_tol(stat_of(dut, "energy.mac"), 2 * 128.0 * 768 * 768 * 0.23, 1e-3);
    ck_assert_double_eq_tol(sim_energy_pj(dut), 2 * e, 1e-9 * e);
    double util = 128.0 * 768 * 768 / ((double)cyc * 1024);
    ck_assert_double_eq_tol(stat_of(dut, "pe_utilization"), util, 1e-12);
    sim_destroy(s);
}
END_TEST

/* The operand format prices the MACs (issue 17): Horowitz ISSCC 2014, 45 nm,
 * FP32 mult 3.7 + add 0.9 = 4.6 pJ, FP16 1.1 + 0.4 = 1.5 pJ, int8 0.2 +
 * 0.03 = 0.23 pJ; a format's words are its size (4 B for FP32) in the SRAM
 * traffic at 10 pJ/B (512 KiB banks); the cycles (SCALE-Sim) do not move. */
START_TEST(test_engine_operand_formats)
{
    const double macs = 128.0 * 768 * 768;
    uint64_t in, w, out;
    ref_traffic(SYSTOLIC_WS, 32, 32, gpt2[1], &in, &w, &out);
    const double words = (double)(in + w + out);
    uint64_t cyc = ref_cycles_closed(SYSTOLIC_WS, 32, 32, gpt2[1]);
    struct {
        const char *word_bytes;
        int opnd;
        double mac_pj, bytes_per_word;
        const char *counter;
    } cases[] = {
        {"1", DEV_OPND_FP32, 4.6, 4, "macs.fp32"},    /* f32 workload on an int8 array */
        {"4", DEV_OPND_DEFAULT, 4.6, 4, "macs.fp32"}, /* no format: word_bytes decides */
        {"1", DEV_OPND_DEFAULT, 0.23, 1, "macs.int8"}, {"4", DEV_OPND_INT8, 0.23, 1, "macs.int8"},
        {"1", DEV_OPND_FP16, 1.5, 2, "macs.fp16"},     {"1", DEV_OPND_BF16, 1.5, 2, "macs.fp16"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *params[] = {
            "rows", "32", "cols", "32", "dataflow", "ws", "word_bytes", cases[i].word_bytes, NULL};
        engine_flags = DEV_F_OPND(cases[i].opnd);
        sim_t *s = run_engine(params, 1, 128, 768, 768);
        engine_flags = 0;
        sim_comp_t *dut = sim_comp_find(s, "dut");
        double e = macs * cases[i].mac_pj + words * cases[i].bytes_per_word * 10.0;
        ck_assert_uint_eq(drv.done[0].cycles, cyc);
        ck_assert_double_eq_tol(drv.done[0].energy_pj, e, 1e-9 * e);
        ck_assert_double_eq_tol(stat_of(dut, "energy.mac"), macs * cases[i].mac_pj, 1e-6);
        ck_assert_double_eq(stat_of(dut, cases[i].counter), macs);
        /* the cost query prices the request the same way */
        dev_req_t req = {
            .kind = DEV_OP_GEMM, .m = 128, .k = 768, .n = 768, .flags = DEV_F_OPND(cases[i].opnd)};
        dev_cost_t k;
        char err[256];
        ck_assert_int_eq(dev_cost(dut, &req, &k, err, sizeof err), 0);
        ck_assert_double_eq_tol(k.energy_pj, e, 1e-9 * e);
        ck_assert_uint_eq(k.bytes, (uint64_t)(words * cases[i].bytes_per_word));
        sim_destroy(s);
    }
}
END_TEST

START_TEST(test_engine_realistic_and_errors)
{
    const char *params[] = {"rows",     "16",        "cols",     "64", "dataflow",
                            "is",       "mode",      "realistic", "leak_mw_per_pe",
                            "0.01",     NULL};
    sim_t *s = run_engine(params, 1, 128, 768, 3072);
    systolic_cfg_t cfg = cfg_of(16, 64, SYSTOLIC_IS, SYSTOLIC_REALISTIC);
    systolic_cost_t c;
    ck_assert_int_eq(systolic_gemm_cost(&cfg, 128, 768, 3072, &c), 0);
    uint64_t folds = 48 * 2;
    ck_assert_uint_eq(c.cycles, ref_cycles_closed(SYSTOLIC_IS, 16, 64, gpt2[2]) - (folds - 1) * 16);
    ck_assert_int_eq(drv.n_done, 1);
    ck_assert_uint_eq(drv.done[0].cycles, c.cycles);
    sim_comp_t *dut = sim_comp_find(s, "dut");
    ck_assert_double_eq(stat_of(dut, "overlap_saved_cycles"), (double)((folds - 1) * 16));
    /* leakage: 1024 PEs x 0.01 mW over the run */
    double static_pj = 10.24 * 1e-3 * (double)sim_end_ps(s); /* mW x ps = 1e-3 pJ */
    ck_assert_double_eq_tol(sim_static_energy_pj(dut), static_pj, 1e-6 * static_pj + 1e-9);
    sim_destroy(s);

    /* a shape the model rejects stops the run with a message naming it */
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    sim_model_register(&drv_model);
    memset(&drv, 0, sizeof drv);
    drv.n_reqs = 1;
    drv.req.kind = DEV_OP_MVM;
    drv.req.m = 1, drv.req.k = 4, drv.req.n = 4;
    sim_opts_t opts = {.seed = 1, .until_ps = 0};
    s = sim_create(&opts);
    ck_assert_int_eq(sim_add_clock(s, "clk", 1e9), 0);
    ck_assert_int_ge(sim_add_component(s, "dut", "systolic", "clk", NULL), 0);
    ck_assert_int_ge(sim_add_component(s, "drv", "systolic_test_driver", NULL, NULL), 0);
    ck_assert_int_ge(sim_add_link(s, "drv.out", "dut.in", 1000, 0), 0);
    ck_assert_int_ge(sim_add_link(s, "dut.out", "drv.in", 1000, 0), 0);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_ne(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "systolic"));
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "mvm"));
    sim_destroy(s);

    /* no clock: init fails */
    s = sim_create(&opts);
    ck_assert_int_ge(sim_add_component(s, "dut", "systolic", NULL, NULL), 0);
    ck_assert_int_ne(sim_init(s), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "clock"));
    sim_destroy(s);

    /* rows = 0 is rejected by the parameter table */
    s = sim_create(&opts);
    ck_assert_int_eq(sim_add_clock(s, "clk", 1e9), 0);
    const char *bad[] = {"rows", "0", NULL};
    ck_assert_int_lt(sim_add_component(s, "dut", "systolic", "clk", bad), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "rows"));
    sim_destroy(s);
}
END_TEST

/* The project's op_driver sends GPT-2's four block GEMMs one after another;
 * each completes cycles x 1000 ps after it reaches the array. */
START_TEST(test_engine_op_driver)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    ck_assert_ptr_nonnull(sim_model_find("op_driver"));
    const char *dut[] = {"rows", "16", "cols", "64", "dataflow", "os", NULL};
    const char *drvp[] = {"requests",
                          "op=gemm m=128 k=768 n=2304; op=gemm m=128 k=768 n=768; "
                          "op=gemm m=128 k=768 n=3072; op=gemm m=128 k=3072 n=768",
                          NULL};
    sim_opts_t opts = {.seed = 1, .until_ps = 0};
    sim_t *s = sim_create(&opts);
    ck_assert_int_eq(sim_add_clock(s, "clk", 1e9), 0);
    ck_assert_int_ge(sim_add_component(s, "dut", "systolic", "clk", dut), 0);
    ck_assert_msg(sim_add_component(s, "drv", "op_driver", "clk", drvp) >= 0, "%s",
                  sim_errmsg(s));
    ck_assert_int_ge(sim_add_link(s, "drv.out", "dut.in", 1000, 0), 0);
    ck_assert_int_ge(sim_add_link(s, "dut.out", "drv.in", 1000, 0), 0);
    ck_assert_msg(sim_init(s) == 0, "%s", sim_errmsg(s));
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
    const map_drv_record_t *rec;
    size_t n = map_driver_records(sim_comp_find(s, "drv"), &rec);
    ck_assert_uint_eq(n, 4);
    uint64_t total = 0;
    for (size_t i = 0; i < 4; i++) {
        uint64_t cyc = ref_cycles_closed(SYSTOLIC_OS, 16, 64, gpt2[i]);
        total += cyc;
        ck_assert_uint_eq(rec[i].cycles, cyc);
        ck_assert_uint_eq(rec[i].device_latency_ps, cyc * 1000);
        ck_assert_uint_eq(rec[i].done_ps - rec[i].sent_ps, cyc * 1000 + 2000);
    }
    ck_assert_double_eq(stat_of(sim_comp_find(s, "dut"), "cycles"), (double)total);
    sim_destroy(s);
}
END_TEST

static Suite *systolic_suite(void)
{
    Suite *s = suite_create("dev_systolic");
    TCase *t = tcase_create("scalesim");
    tcase_add_test(t, test_gpt2_block_all_arrays);
    tcase_add_test(t, test_odd_shapes_and_edge_folds);
    tcase_add_test(t, test_hand_figures);
    tcase_add_test(t, test_conv_to_gemm);
    tcase_add_test(t, test_conv_cycles);
    tcase_add_test(t, test_bad_input);
    suite_add_tcase(s, t);
    t = tcase_create("realistic");
    tcase_add_test(t, test_realistic_unlimited_bandwidth);
    tcase_add_test(t, test_realistic_stalls_first_principles);
    tcase_add_test(t, test_realistic_tiny_bandwidth);
    suite_add_tcase(s, t);
    t = tcase_create("engine");
    tcase_add_test(t, test_model_table);
    tcase_add_test(t, test_engine_run);
    tcase_add_test(t, test_engine_operand_formats);
    tcase_add_test(t, test_engine_realistic_and_errors);
    tcase_add_test(t, test_engine_op_driver);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(systolic_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed == 0 ? 0 : 1;
}
