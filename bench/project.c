/* Scaling projection of a distributed PHOLD run from measured costs.
 *
 * Reads the JSON lines bench/phold prints (one-rank runs and two-rank runs
 * with their synchronisation probes) on stdin and prints them as a table,
 * the two-rank runs re-costed with a core per rank, and for 1, 2, 64 and
 * 1,024 ranks the modelled time per window and speed-up.
 * Usage: bench/phold ... --json | bench/project [--alpha-us A]
 *
 * The model (conservative windows of one lookahead, docs/engine.md):
 *   per window, on the slowest rank:
 *     compute = t_ev * (E_w / P) * (1 + sqrt(2 ln P / (E_w / P)))
 *               (t_ev: one-rank CPU seconds per event, i.e. on a core of its
 *               own; the expected max of P Poisson loads)
 *     reduce  = a_red * ceil(log2 P)      (recursive doubling; --sync reduce)
 *     peers   = a_msg * K                 (one message to each of the K ranks a
 *                                          rank sends to: P - 1 for PHOLD, whose
 *                                          direct sends go anywhere; min(P - 1, 4)
 *                                          for a cut that follows a 2-D mesh's
 *                                          links, each block of the mesh talking
 *                                          to its 4 neighbour blocks)
 *     events  = m * bytes_per_event * b   (m = remote * (1 - 1/P) * E_w / P
 *                                          events leave each rank)
 *   T(P) = windows * (compute + reduce + peers + events); speed-up T(1)/T(P).
 * a_red (a 3-word MPI_Allreduce), a_msg (one pairwise step of an all-to-all)
 * and b (seconds per byte of a 1000-event exchange) are the two-rank probes:
 * shared memory on this machine, inflated by the other jobs' load;
 * --alpha-us replaces a_red and a_msg (e.g. a network's latency). */
#include "bench/bench_common.h"

#include <cjson/cJSON.h>
#include <math.h>

typedef struct prun {
    long lps, ranks, events, windows;
    char sync[16];
    double events_per_s, wall_s, cpu_s, run_cpu_s, remote, per_window, exchange_s, reduce_s;
    double p_red_us, p_a2a_us, p_xch_us, p_bytes;
} prun_t;

static double num(const cJSON *o, const char *k, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static int by_key(const void *a, const void *b)
{
    const prun_t *x = a, *y = b;
    if (x->lps != y->lps)
        return x->lps < y->lps ? -1 : 1;
    if (x->ranks != y->ranks)
        return x->ranks < y->ranks ? -1 : 1;
    return strcmp(x->sync, y->sync);
}

/* the one-rank run of `lps` (the last one read) */
static const prun_t *one_rank(const prun_t *r, size_t n, long lps)
{
    const prun_t *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (r[i].ranks == 1 && r[i].lps == lps)
            found = &r[i];
    return found;
}

/* modelled time of the run on P ranks; *sync: its synchronisation per window */
static double model(double t_ev, double e_w, double windows, double remote, int P, int nb,
                    double a_red, double a_a2a, double b, double ev_bytes, double *sync)
{
    *sync = 0;
    if (P == 1)
        return windows * t_ev * e_w;
    double lam = e_w / P;
    double compute = t_ev * lam * (1 + sqrt(2 * log(P) / lam));
    double m = remote * (1 - 1.0 / P) * lam;
    int peers = nb > 0 && nb < P - 1 ? nb : P - 1;
    *sync = a_red * ceil(log2(P)) + a_a2a * peers + m * ev_bytes * b;
    return windows * (compute + *sync);
}

static int read_runs(FILE *in, prun_t **out, size_t *n_out)
{
    char line[8192];
    prun_t *r = NULL;
    size_t n = 0, cap = 0;
    while (fgets(line, sizeof line, in)) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '{')
            continue;
        cJSON *o = cJSON_Parse(p);
        if (!o)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            prun_t *g = realloc(r, cap * sizeof *r);
            if (!g) {
                cJSON_Delete(o);
                free(r);
                return -1;
            }
            r = g;
        }
        prun_t *x = &r[n++];
        memset(x, 0, sizeof *x);
        x->lps = (long)num(o, "lps", 0);
        x->ranks = (long)num(o, "ranks", 1);
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "sync");
        snprintf(x->sync, sizeof x->sync, "%s", cJSON_IsString(s) ? s->valuestring : "");
        x->events = (long)num(o, "events", 0);
        x->windows = (long)num(o, "windows", 0);
        x->events_per_s = num(o, "events_per_s", 0);
        x->wall_s = num(o, "wall_s", 0);
        x->cpu_s = num(o, "cpu_s", 0);
        x->run_cpu_s = num(o, "run_cpu_s", 0);
        x->remote = num(o, "remote", 0);
        x->per_window = num(o, "messages_per_window", 0);
        x->exchange_s = num(o, "exchange_s", 0);
        x->reduce_s = num(o, "reduce_s", 0);
        x->p_red_us = num(o, "probe_allreduce_us", 0);
        x->p_a2a_us = num(o, "probe_alltoall_us", 0);
        x->p_xch_us = num(o, "probe_exchange_us", 0);
        x->p_bytes = num(o, "probe_exchange_bytes", 0);
        cJSON_Delete(o);
    }
    *out = r;
    *n_out = n;
    return 0;
}

int main(int argc, char **argv)
{
    if (bench_flag(argc, argv, "--help")) {
        printf("usage: bench/phold ... --json | bench/project [--alpha-us A]\n"
               "  scaling projection to 64 and 1,024 ranks from one- and two-rank runs;\n"
               "  --alpha-us: per-message latency in us (default: the measured probes)\n");
        return 0;
    }
    const char *a = bench_arg(argc, argv, "--alpha-us");
    double alpha_us = a ? atof(a) : -1;
    if (a && !(alpha_us >= 0)) {
        fprintf(stderr, "project: --alpha-us '%s' is not a non-negative number of us\n", a);
        return 2;
    }
    prun_t *r = NULL;
    size_t n = 0;
    if (read_runs(stdin, &r, &n)) {
        fprintf(stderr, "project: out of memory\n");
        return 1;
    }
    /* the probes: the first two-rank run of the most LPs, in input order */
    size_t n_one = 0, n_two = 0;
    prun_t probe = {0};
    for (size_t i = 0; i < n; i++) {
        n_one += r[i].ranks == 1;
        n_two += r[i].ranks == 2;
        if (r[i].ranks == 2 && (n_two == 1 || r[i].lps > probe.lps))
            probe = r[i];
    }
    if (!n_one || !n_two) {
        printf("project: need one-rank and two-rank bench/phold --json lines\n");
        free(r);
        return 1;
    }
    qsort(r, n, sizeof *r, by_key);
    printf("measured (2 cores shared with other jobs: wall figures move with their load;\n");
    printf("cpu_s: seconds the event loop had a CPU, for 2 ranks the slowest rank's handling)\n");
    printf("%9s %5s %6s %12s %8s %8s %9s %9s %9s %9s %8s\n", "LPs", "ranks", "sync", "events/s",
           "wall_s", "cpu_s", "windows", "msg/win", "exch_s", "reduce_s", "speedup");
    for (size_t i = 0; i < n; i++) {
        const prun_t *x = &r[i], *base = one_rank(r, n, x->lps);
        double sp = base ? x->events_per_s / base->events_per_s : NAN;
        int multi = x->ranks > 1;
        printf("%9ld %5ld %6s %12.0f %8.3f %8.3f %9ld %9.1f %9.3f %9.3f %8.2f\n", x->lps, x->ranks,
               multi ? x->sync : "-", x->events_per_s, x->wall_s, multi ? x->run_cpu_s : x->cpu_s,
               x->windows, x->per_window, x->exchange_s, x->reduce_s, sp);
    }
    double a_red = probe.p_red_us * 1e-6, a_a2a = probe.p_a2a_us * 1e-6;
    double ev_bytes = probe.p_bytes / 1000.0;
    double b = probe.p_bytes > 0 ? fmax(probe.p_xch_us * 1e-6 - a_red, 0) / probe.p_bytes : 0;
    if (alpha_us >= 0)
        a_red = a_a2a = alpha_us * 1e-6;
    printf("\nunit costs: reduction %.2f us, message to a peer %.2f us, %.3f ns per byte, "
           "%.0f bytes per event\n",
           a_red * 1e6, a_a2a * 1e6, b * 1e9, ev_bytes);
    /* two ranks with a core each: the slowest rank's handling CPU plus the
     * synchronisation at the probed unit costs (sorted by LPs, then sync) */
    for (size_t i = 0; i < n; i++) {
        const prun_t *x = &r[i], *base = one_rank(r, n, x->lps);
        if (x->ranks != 2 || !base)
            continue;
        double m = x->per_window / 2;
        double sync = (double)x->windows *
                      (a_a2a + m * ev_bytes * b + (!strcmp(x->sync, "reduce") ? a_red : 0));
        double est = x->run_cpu_s + sync;
        printf("%ld LPs, 2 ranks, %s: %.3f s handling on a CPU + %.3f s synchronising at the "
               "probed costs = %.3f s vs %.3f s on one rank: speed-up %.2f with a core per rank\n",
               x->lps, x->sync, x->run_cpu_s, sync, est, base->cpu_s, base->cpu_s / est);
    }
    printf("\nprojection (model above; P ranks on P cores, one rank per core)\n");
    printf("%12s %6s %12s %12s %12s %9s %14s %9s\n", "LPs", "ranks", "events/win", "sync_us/win",
           "time_s", "speedup", "sync_us(4 nb)", "speedup");
    long big = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].ranks == 1 && r[i].lps > big)
            big = r[i].lps;
    const prun_t *r1 = one_rank(r, n, big);
    double t_ev = r1->events ? r1->cpu_s / (double)r1->events : 0;
    long windows = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].ranks == 2 && r[i].lps == big && r[i].windows > windows)
            windows = r[i].windows;
    if (!windows) {
        printf("project: no two-rank run of %ld LPs with windows\n", big);
        free(r);
        return 1;
    }
    double e_w = (double)r1->events / (double)windows;
    static const int ranks[] = {1, 2, 64, 1024};
    for (int weak = 0; weak < 2; weak++)
        for (int k = 0; k < 4; k++) {
            int P = ranks[k];
            double ew = weak ? e_w * P : e_w, s1, sync;
            double t1 =
                model(t_ev, ew, (double)windows, r1->remote, 1, 0, a_red, a_a2a, b, ev_bytes, &s1);
            double tp = model(t_ev, ew, (double)windows, r1->remote, P, 0, a_red, a_a2a, b,
                              ev_bytes, &sync);
            double sync4, tp4 = model(t_ev, ew, (double)windows, r1->remote, P, 4, a_red, a_a2a, b,
                                      ev_bytes, &sync4);
            printf("%12ld %6d %12.0f %12.2f %12.3f %9.1f %14.2f %9.1f   (%s)\n",
                   weak ? big * P : big, P, ew, sync * 1e6, tp, t1 / tp, sync4 * 1e6, t1 / tp4,
                   weak ? "weak" : "strong");
        }
    free(r);
    return 0;
}
