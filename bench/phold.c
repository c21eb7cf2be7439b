/* PHOLD through prism's engine, with ROSS's semantics (see sim/phold.c):
 * N LPs, mean delay 1.0 (= 1e6 ps), lookahead 0.1, 25% remote. Prints the
 * events processed and events per second of the event loop (startup
 * excluded). Usage: bench/phold --lps N --end T [--lookahead L] [--remote P]
 * [--seed S] [--json]   (T and L in ROSS units: 1.0 = 1,000,000 ps).
 * Under mpirun (mpirun -np 2 bench/phold ...) the LPs are split into
 * contiguous blocks, one per rank, and the run is synchronised in windows of
 * one lookahead ([--sync reduce|null]); rank 0 prints the events of the whole
 * run, the wall time of the slowest rank, and where the time went: windows,
 * cross-rank messages per window, time handling events, exchanging
 * messages and in the reduction (slowest rank each). */
#include "bench/bench_common.h"
#include "sim/dist.h"
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
    int rank = 0, nranks = 1;
    if (sim_dist_env_size() > 1) {
        char err[256];
        if (sim_dist_init(&rank, &nranks, err, sizeof err)) {
            fprintf(stderr, "phold: %s\n", err);
            return 2;
        }
    }
    sim_sync_t sync = (a = bench_arg(argc, argv, "--sync")) && !strcmp(a, "null") ? SIM_SYNC_NULL
                                                                                 : SIM_SYNC_REDUCE;
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
    if (nranks > 1) {
        uint32_t *rank_of = malloc((size_t)lps * sizeof *rank_of);
        sim_partition_info_t info;
        char err[256];
        if (!rank_of || sim_partition(s, nranks, NULL, NULL, rank_of, &info, err, sizeof err) ||
            sim_dist_attach(s, rank_of, rank, nranks, info.lookahead_ps, sync)) {
            fprintf(stderr, "phold: cannot split the LPs over %d ranks\n", nranks);
            return 1;
        }
        free(rank_of);
    }
    if (sim_init(s)) {
        fprintf(stderr, "phold: %s\n", sim_errmsg(s));
        return 1;
    }
    double t0 = bench_now(), c0 = bench_cpu();
    int rc, done = 0, stopped;
    if (nranks > 1)
        while (!(rc = sim_dist_run(s, UINT64_MAX, 0, &done, &stopped)) && !done)
            ;
    else
        rc = sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    double wall = bench_now() - t0, cpu = bench_cpu() - c0;
    if (nranks > 1)
        wall = sim_dist_max_double(wall);
    if (rc) {
        fprintf(stderr, "phold: %s\n", sim_errmsg(s));
        return 1;
    }
    if (nranks > 1 && sim_dist_finish(s, NULL, NULL)) {
        fprintf(stderr, "phold: %s\n", sim_errmsg(s));
        return 1;
    }
    sim_dist_stats_t st;
    sim_dist_get_stats(s, &st);
    /* the unit costs of synchronisation, for the scaling projection
     * (bench/project.c): 1000 reductions, all-to-alls and exchanges of 1000 events */
    double p_red = 0, p_a2a = 0, p_xch = 0;
    size_t probe_bytes = 1000 * sizeof(sim_event_t);
    if (nranks > 1)
        sim_dist_probe(1000, probe_bytes, &p_red, &p_a2a, &p_xch);
    uint64_t ev = sim_events_handled(s);
    if (rank != 0) {
        sim_destroy(s);
        sim_dist_finalize();
        return 0;
    }
    double expected = (double)lps * end; /* N x end / mean, mean = 1 */
    double per_window = st.windows ? (double)st.messages_sent / (double)st.windows : 0;
    if (json)
        printf("{\"lps\":%ld,\"end\":%g,\"lookahead\":%g,\"remote\":%g,\"ranks\":%d,"
               "\"sync\":\"%s\",\"events\":%llu,\"expected_events\":%.0f,\"wall_s\":%.6f,"
               "\"events_per_s\":%.0f,\"windows\":%llu,\"messages_per_window\":%.1f,"
               "\"cpu_s\":%.4f,\"run_s\":%.4f,\"run_cpu_s\":%.4f,\"exchange_s\":%.4f,"
               "\"reduce_s\":%.4f,"
               "\"probe_allreduce_us\":%.3f,\"probe_alltoall_us\":%.3f,"
               "\"probe_exchange_us\":%.3f,\"probe_exchange_bytes\":%zu}\n",
               lps, end, lookahead, remote, nranks, sync == SIM_SYNC_NULL ? "null" : "reduce",
               (unsigned long long)ev, expected, wall, (double)ev / wall,
               (unsigned long long)st.windows, per_window, cpu, st.run_s, st.run_cpu_s, st.exchange_s,
               st.reduce_s, p_red * 1e6, p_a2a * 1e6, p_xch * 1e6, probe_bytes);
    else {
        printf("phold: %ld LPs, %d rank%s, end %g: %llu events (N*end/mean = %.0f) in %.3f s = %.2f "
               "M events/s\n",
               lps, nranks, nranks > 1 ? "s" : "", end, (unsigned long long)ev, expected, wall,
               (double)ev / wall / 1e6);
        if (nranks > 1)
            printf("  %llu windows, %.1f cross-rank messages per window; slowest rank: %.3f s "
                   "handling (%.3f s of it on a CPU), %.3f s exchanging, %.3f s reducing\n",
                   (unsigned long long)st.windows, per_window, st.run_s, st.run_cpu_s,
                   st.exchange_s, st.reduce_s);
        else
            printf("  %.3f s of the %.3f s on a CPU (the rest: other jobs)\n", cpu, wall);
        if (nranks > 1)
            printf("  unit costs: reduction %.2f us, all-to-all %.2f us, %zu-byte exchange %.2f us\n",
                   p_red * 1e6, p_a2a * 1e6, probe_bytes, p_xch * 1e6);
    }
    sim_destroy(s);
    sim_dist_finalize();
    return 0;
}
