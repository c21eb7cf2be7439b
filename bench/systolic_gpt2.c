/* Times the four GEMMs of one GPT-2 small block at sequence 128 (c_attn
 * 128x768x2304, attn c_proj 128x768x768, mlp c_fc 128x768x3072, mlp c_proj
 * 128x3072x768) on a 32x32 systolic array: the cost function alone and a
 * full engine run (op_driver -> systolic), per dataflow and mode, in ms.
 * SCALE-Sim v2 takes minutes of CPU for the same four layers. */
#include "devices/dev.h"
#include "mapper/map.h"
#include "devices/dev_common.h"
#include "devices/systolic.h"
#include "sim/sim.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static const uint64_t gemms[4][3] = {
    {128, 768, 2304}, {128, 768, 768}, {128, 768, 3072}, {128, 3072, 768}};

/* One engine run of the four GEMMs; returns the array cycles or 0 on error. */
static uint64_t engine_run(const char *dataflow, const char *mode)
{
    const char *dut[] = {"rows", "32", "cols", "32", "dataflow", dataflow, "mode", mode, NULL};
    const char *drv[] = {"requests",
                         "op=gemm m=128 k=768 n=2304; op=gemm m=128 k=768 n=768; "
                         "op=gemm m=128 k=768 n=3072; op=gemm m=128 k=3072 n=768",
                         NULL};
    sim_opts_t opts = {.seed = 1, .until_ps = 0};
    sim_t *s = sim_create(&opts);
    uint64_t cycles = 0;
    if (!s)
        return 0;
    if (sim_add_clock(s, "clk", 1e9) < 0 ||
        sim_add_component(s, "dut", "systolic", "clk", dut) < 0 ||
        sim_add_component(s, "drv", "op_driver", "clk", drv) < 0 ||
        sim_add_link(s, "drv.out", "dut.in", 1000, 0) < 0 ||
        sim_add_link(s, "dut.out", "drv.in", 1000, 0) < 0 || sim_init(s) != 0 ||
        sim_run(s, SIM_TIME_MAX, UINT64_MAX) != 0) {
        fprintf(stderr, "systolic_gpt2: %s\n", sim_errmsg(s));
        sim_destroy(s);
        return 0;
    }
    sim_finish(s);
    sim_comp_t *c = sim_comp_find(s, "dut");
    for (size_t i = 0; i < sim_stat_count(c); i++)
        if (strcmp(sim_stat_name(c, i), "cycles") == 0)
            cycles = (uint64_t)sim_stat_value(c, i);
    sim_destroy(s);
    return cycles;
}

int main(void)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    const char *dfs[] = {"os", "ws", "is"}, *modes[] = {"scalesim", "realistic"};
    printf("GPT-2 small block, seq 128, 32x32 array, 1 GHz\n");
    printf("%-3s %-9s %12s %10s %14s %12s\n", "df", "mode", "cycles", "latency_ms",
           "cost_fn_ms", "engine_ms");
    for (int d = 0; d < 3; d++)
        for (int md = 0; md < 2; md++) {
            systolic_cfg_t cfg = {.rows = 32, .cols = 32, .word_bytes = 1};
            cfg.dataflow = (systolic_dataflow_t)systolic_dataflow_parse(dfs[d]);
            cfg.mode = (systolic_mode_t)systolic_mode_parse(modes[md]);
            uint64_t total = 0;
            const int reps = 1000;
            double t0 = now_ms();
            for (int r = 0; r < reps; r++) {
                total = 0;
                for (int g = 0; g < 4; g++) {
                    systolic_cost_t c;
                    if (systolic_gemm_cost(&cfg, gemms[g][0], gemms[g][1], gemms[g][2], &c)) {
                        fprintf(stderr, "systolic_gpt2: %s\n", c.err);
                        return 1;
                    }
                    total += c.cycles;
                }
            }
            double fn_ms = (now_ms() - t0) / reps;
            t0 = now_ms();
            uint64_t eng = engine_run(dfs[d], modes[md]);
            double eng_ms = now_ms() - t0;
            if (eng != total) {
                fprintf(stderr, "systolic_gpt2: engine %llu cycles, cost function %llu\n",
                        (unsigned long long)eng, (unsigned long long)total);
                return 1;
            }
            printf("%-3s %-9s %12llu %10.3f %14.6f %12.3f\n", dfs[d], modes[md],
                   (unsigned long long)total, (double)total * 1e-6, fn_ms, eng_ms);
        }
    return 0;
}
