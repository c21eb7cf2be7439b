/* Trace writer throughput and cost: runs the same packet network (16
 * generators, a 16-port output-queued switch, 16 sinks) once without a trace
 * and once with a full trace, and prints rows written per second of the
 * traced run (flush included) and the slowdown traced/untraced, in wall
 * time and in CPU time (the simulation thread's, and the writer thread's:
 * on a shared machine the wall figures include other jobs' time).
 * Usage: bench/trace [--until 2ms] [--rate 0.2] [--db PATH] [--keep] [--json].
 * --keep leaves the traced database at PATH (to compare contents). */
#include "bench/bench_common.h"
#include "noc/noc.h"
#include "sim/sim.h"
#include "sim/trace.h"

#include <unistd.h>

static char *make_config(int n, double rate, const char *until)
{
    size_t cap = 1 << 16, len = 0;
    char *t = malloc(cap);
    len += (size_t)snprintf(t + len, cap - len, "seed: 1\nuntil: %s\nclocks: {core: 1GHz}\ncomponents:\n", until);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(t + len, cap - len,
                                "  g%d: {model: traffic_gen, clock: core, rate: %g, dests: %d}\n"
                                "  k%d: {model: sink}\n",
                                i, rate, n, i);
    len += (size_t)snprintf(t + len, cap - len,
                            "  sw: {model: switch, clock: core, outputs: %d, queue_depth: 64}\nlinks:\n", n);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(t + len, cap - len,
                                "  - {from: g%d.out, to: sw.in%d, latency: 1ns, bandwidth: 64GB/s}\n"
                                "  - {from: sw.out%d, to: k%d.in, latency: 1ns, bandwidth: 64GB/s}\n",
                                i, i, i, i);
    return t;
}

typedef struct timing {
    double wall, cpu, writer_cpu; /* s: wall, simulation thread CPU, writer thread CPU */
} timing_t;

static timing_t run_once(const char *cfg, const char *db, uint64_t *rows, uint64_t *events)
{
    char err[1024];
    sim_t *s;
    if (sim_config_load_string(cfg, "bench", NULL, &s, err, sizeof err) || sim_init(s)) {
        fprintf(stderr, "trace bench: %s\n", s ? sim_errmsg(s) : err);
        exit(1);
    }
    trace_t *t = NULL;
    timing_t tm = {0, 0, 0};
    double t0 = bench_now(), c0 = bench_cpu();
    if (db) {
        if (trace_open(&t, db, NULL, err, sizeof err)) {
            fprintf(stderr, "trace bench: %s\n", err);
            exit(1);
        }
        trace_run_info_t info = {"bench", cfg, NULL, "bench/trace"};
        if (trace_begin_run(t, s, &info)) {
            fprintf(stderr, "trace bench: %s\n", trace_errmsg(t));
            exit(1);
        }
    }
    sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    sim_finish(s);
    if (t) {
        trace_end_run(t, s, "complete", NULL, bench_now() - t0);
        *rows = trace_rows(t);
        tm.writer_cpu = trace_writer_cpu_s(t);
        trace_close(t);
    }
    tm.wall = bench_now() - t0;
    tm.cpu = bench_cpu() - c0;
    *events = sim_events_handled(s);
    sim_destroy(s);
    return tm;
}

int main(int argc, char **argv)
{
    if (bench_flag(argc, argv, "--help")) {
        printf("usage: bench/trace [--until 2ms] [--rate 0.2] [--db PATH] [--keep] [--json]\n");
        return 0;
    }
    const char *a;
    const char *until = (a = bench_arg(argc, argv, "--until")) ? a : "2ms";
    double rate = (a = bench_arg(argc, argv, "--rate")) ? atof(a) : 0.2;
    const char *db = (a = bench_arg(argc, argv, "--db")) ? a : "/tmp/prism-bench-trace.db";
    int json = bench_flag(argc, argv, "--json");
    sim_register_builtin_models();
    noc_register_all();
    char *cfg = make_config(16, rate, until);
    uint64_t rows = 0, ev0 = 0, ev1 = 0, dummy = 0;
    timing_t base = run_once(cfg, NULL, &dummy, &ev0);
    timing_t traced = run_once(cfg, db, &rows, &ev1);
    double rows_per_s = (double)rows / traced.wall, slowdown = traced.wall / base.wall;
    /* CPU-time figures: what the run takes when nothing else competes for
     * the two cores. The simulation and writer threads overlap, so the
     * traced run takes at least the larger of their CPU times. */
    double crit = traced.cpu > traced.writer_cpu ? traced.cpu : traced.writer_cpu;
    double rows_per_s_cpu = (double)rows / crit, slowdown_cpu = crit / base.cpu;
    if (json)
        printf("{\"events\":%llu,\"rows\":%llu,\"untraced_s\":%.4f,\"traced_s\":%.4f,"
               "\"rows_per_s\":%.0f,\"slowdown\":%.2f,\"rows_per_event\":%.3f,"
               "\"untraced_cpu_s\":%.4f,\"traced_sim_cpu_s\":%.4f,\"writer_cpu_s\":%.4f,"
               "\"rows_per_s_cpu\":%.0f,\"slowdown_cpu\":%.2f}\n",
               (unsigned long long)ev1, (unsigned long long)rows, base.wall, traced.wall, rows_per_s,
               slowdown, (double)rows / (double)ev1, base.cpu, traced.cpu, traced.writer_cpu,
               rows_per_s_cpu, slowdown_cpu);
    else
        printf("trace: %llu events, %llu rows; untraced %.3f s, traced %.3f s: %.2f M rows/s, "
               "slowdown %.2fx (CPU time: untraced %.3f s, simulation thread %.3f s, writer "
               "thread %.3f s: %.2f M rows/s, slowdown %.2fx)\n",
               (unsigned long long)ev1, (unsigned long long)rows, base.wall, traced.wall,
               rows_per_s / 1e6, slowdown, base.cpu, traced.cpu, traced.writer_cpu,
               rows_per_s_cpu / 1e6, slowdown_cpu);
    free(cfg);
    if (!bench_flag(argc, argv, "--keep"))
        unlink(db);
    return 0;
}
