/* The on-chip network's speed: simulated cycles per second of CPU time for
 * the two cases, BookSim2's iq router settings (mesh88_lat):
 * an 8x8 mesh, uniform traffic, 0.2 flits/node/cycle, 1-flit packets, for
 * 110,000 cycles; and a 16x16 mesh at 0.1. The whole run (build excluded)
 * is timed; routers tick only when they hold flits.
 * Usage: bench/noc [--cycles N] [--json]. */
#include "noc/noc.h"
#include "bench/bench_common.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int one(int k, double rate, uint64_t cycles, int json)
{
    noc_cfg_t c;
    noc_cfg_default(&c);
    c.k = k;
    c.rate = rate;
    c.max_cycles = cycles;
    noc_result_t r;
    char err[256];
    double w0 = bench_now(), c0 = cpu_now();
    if (noc_run(&c, &r, NULL, NULL, err, sizeof err)) {
        fprintf(stderr, "noc: %s\n", err);
        return 1;
    }
    double wall = bench_now() - w0, cpu = cpu_now() - c0;
    if (json)
        printf("{\"case\":\"mesh%dx%d_uniform_%.2f\",\"k\":%d,\"rate\":%g,\"cycles\":%llu,"
               "\"cpu_s\":%.3f,\"wall_s\":%.3f,\"cycles_per_s\":%.0f,\"cycles_per_wall_s\":%.0f,"
               "\"avg_packet_latency\":%.3f,\"accepted_rate\":%.4f}\n",
               k, k, rate, k, rate, (unsigned long long)r.sim_cycles, cpu, wall,
               (double)r.sim_cycles / cpu, (double)r.sim_cycles / wall, r.avg_packet_latency,
               r.accepted_rate);
    else
        printf("noc: %dx%d mesh, uniform %.2f: %llu cycles in %.2f s CPU (%.2f s wall) = %.0f "
               "cycles/s; latency %.2f cycles\n",
               k, k, rate, (unsigned long long)r.sim_cycles, cpu, wall, (double)r.sim_cycles / cpu,
               r.avg_packet_latency);
    return 0;
}

int main(int argc, char **argv)
{
    if (bench_flag(argc, argv, "--help")) {
        printf("usage: bench/noc [--cycles N] [--json]\n");
        return 0;
    }
    const char *a;
    uint64_t cycles = (a = bench_arg(argc, argv, "--cycles")) ? strtoull(a, NULL, 10) : 110000;
    if (!cycles) {
        fprintf(stderr, "noc: --cycles must be positive\n");
        return 2;
    }
    int json = bench_flag(argc, argv, "--json");
    if (one(8, 0.2, cycles, json) || one(16, 0.1, cycles, json))
        return 1;
    return 0;
}
