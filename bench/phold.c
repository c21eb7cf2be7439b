/* PHOLD through prism's engine, with ROSS's semantics (see sim/phold.c):
 * N LPs, mean delay 1.0 (= 1e6 ps), lookahead 0.1, 25% remote. Prints the
 * events processed and events per second of the event loop (startup
 * excluded). Usage: bench/phold --lps N --end T [--lookahead L] [--remote P]
 * [--seed S] [--json]   (T and L in ROSS units: 1.0 = 1,000,000 ps). */
#include "bench/bench_common.h"
#include "sim/sim.h"

#include <math.h>

int main(int argc, char **argv)
{
    if (bench_flag(argc, argv, "--help")) {
        printf("usage: bench/phold --lps N --end T [--lookahead L] [--remote P] [--seed S] [--json]\n");
        return 0;
    }
    const char *a;
    long lps = (a = bench_arg(argc, argv, "--lps")) ? atol(a) : 1024;
    double end = (a = bench_arg(argc, argv, "--end")) ? atof(a) : 20000;
    double lookahead = (a = bench_arg(argc, argv, "--lookahead")) ? atof(a) : 0.1;
    double remote = (a = bench_arg(argc, argv, "--remote")) ? atof(a) : 0.25;
    unsigned long long seed = (a = bench_arg(argc, argv, "--seed")) ? strtoull(a, NULL, 10) : 1;
    int json = bench_flag(argc, argv, "--json");
    if (lps < 1 || !(end > 0) || lookahead < 0 || lookahead > 1 || remote < 0 || remote > 1) {
        fprintf(stderr, "phold: bad arguments (need --lps >= 1, --end > 0, 0 <= lookahead <= 1)\n");
        return 2;
    }
    sim_register_builtin_models();
    sim_time_t la_ps = (sim_time_t)llround(lookahead * 1e6);
    sim_opts_t o = {.seed = seed, .until_ps = (sim_time_t)llround(end * 1e6), .lookahead_ps = la_ps};
    sim_t *s = sim_create(&o);
    char la[32], rm[32];
    snprintf(la, sizeof la, "%llu", (unsigned long long)la_ps);
    snprintf(rm, sizeof rm, "%.17g", remote);
    const char *params[] = {"lookahead_ps", la, "remote", rm, NULL};
    for (long i = 0; i < lps; i++) {
        char name[32];
        snprintf(name, sizeof name, "lp%ld", i);
        if (sim_add_component(s, name, "phold", NULL, params) < 0) {
            fprintf(stderr, "phold: %s\n", sim_errmsg(s));
            return 1;
        }
    }
    if (sim_init(s)) {
        fprintf(stderr, "phold: %s\n", sim_errmsg(s));
        return 1;
    }
    double t0 = bench_now();
    int rc = sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    double wall = bench_now() - t0;
    if (rc) {
        fprintf(stderr, "phold: %s\n", sim_errmsg(s));
        return 1;
    }
    uint64_t ev = sim_events_handled(s);
    double expected = (double)lps * end; /* N x end / mean, mean = 1 */
    if (json)
        printf("{\"lps\":%ld,\"end\":%g,\"lookahead\":%g,\"remote\":%g,\"events\":%llu,"
               "\"expected_events\":%.0f,\"wall_s\":%.6f,\"events_per_s\":%.0f}\n",
               lps, end, lookahead, remote, (unsigned long long)ev, expected, wall,
               (double)ev / wall);
    else
        printf("phold: %ld LPs, end %g: %llu events (N*end/mean = %.0f) in %.3f s = %.2f M events/s\n",
               lps, end, (unsigned long long)ev, expected, wall, (double)ev / wall / 1e6);
    sim_destroy(s);
    return 0;
}
