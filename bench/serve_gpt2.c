/* Serving a Poisson stream of GPT-2 124M requests (prompt 128, output 128,
 * continuous batching of up to 8) on configs/chip.yaml, every iteration timed
 * by a cycle-level run (mapper/stream.c; iterations of one shape are run
 * once). Prints the CPU and wall time (target: 1,000 requests in < 60 s of
 * CPU) and the serving figures as one JSON line. Run from the repository
 * root: bench/serve_gpt2 [--requests N] [--rate PER_S] [--static]. */
#include "bench/bench_common.h"
#include "devices/dev.h"
#include "mapper/map.h"
#include "sim/sim.h"

int main(int argc, char **argv)
{
    const char *nreq = bench_arg(argc, argv, "--requests"), *rate = bench_arg(argc, argv, "--rate");
    size_t n = nreq ? (size_t)strtoull(nreq, NULL, 10) : 1000;
    double per_s = rate ? strtod(rate, NULL) : 50;
    int stat = 0;
    for (int i = 1; i < argc; i++)
        stat |= !strcmp(argv[i], "--static");
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    char err[2048];
    map_request_t *r = NULL;
    if (map_requests_poisson(per_s, n, 128, 128, 1, &r, err, sizeof err)) {
        fprintf(stderr, "serve_gpt2: %s\n", err);
        return 1;
    }
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    o.dtype = WL_DT_I8; /* the array's 8-bit words, as prism run picks */
    map_serve_opts_t so = {.continuous = !stat, .max_batch = 8};
    map_serve_stats_t st;
    double w0 = bench_now(), c0 = bench_cpu();
    if (map_serve("configs/chip.yaml", NULL, "gpt2", &o, &so, r, n, &st, err, sizeof err)) {
        fprintf(stderr, "serve_gpt2: %s (run from the repository root)\n", err);
        return 1;
    }
    double wall = bench_now() - w0, cpu = bench_cpu() - c0;
    printf("{\"bench\":\"serve_gpt2\",\"requests\":%zu,\"rate_per_s\":%g,\"batching\":\"%s\","
           "\"iterations\":%llu,\"cycle_level_runs\":%llu,\"cpu_s\":%.3f,\"wall_s\":%.3f,"
           "\"simulated_s\":%.3f,\"latency_p50_s\":%.3f,\"latency_p99_s\":%.3f}\n",
           n, per_s, stat ? "static" : "continuous", (unsigned long long)st.iterations,
           (unsigned long long)st.simulations, cpu, wall, (double)st.end_ps * 1e-12,
           (double)st.latency_p50_ps * 1e-12, (double)st.latency_p99_ps * 1e-12);
    free(r);
    return 0;
}
