/* The run layer's helpers: placing components on MPI ranks (a partition
 * file, or a pilot run for the expected event counts and then the
 * partitioner) with the speed-up it predicts, and the dtype a workload
 * computes in on a chip. */
#include "run/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int run_chip_dtype(sim_t *s, wl_dtype_t *dt, char *why, size_t n)
{
    const char *driver = NULL;
    char err[512];
    map_units_t units = {0};
    if (map_find_driver(s, &driver, err, sizeof err) ||
        map_units_from_driver(s, driver, &units, err, sizeof err))
        return -1;
    int u = map_units_find(&units, MAP_UNIT_GEMM);
    sim_comp_t *c = u >= 0 ? sim_comp_find(s, units.unit[u].comp) : NULL;
    map_units_free(&units);
    const sim_params_t *p = c ? sim_comp_params(c) : NULL;
    int has = 0;
    for (size_t i = 0; p && i < sim_params_count(p); i++)
        has |= !strcmp(sim_params_def(p, i)->name, "word_bytes");
    if (!has)
        return -1;
    int64_t wb = sim_param_int(p, "word_bytes");
    wl_dtype_t pick = wb == 1   ? WL_DT_I8
                      : wb == 2 ? WL_DT_F16
                      : wb == 4 ? WL_DT_F32
                      : wb == 8 ? WL_DT_F64
                                : WL_DT_UNKNOWN;
    if (pick == WL_DT_UNKNOWN)
        return -1;
    *dt = pick;
    snprintf(why, n, "%s: %s.word_bytes = %lld", wl_dtype_name(pick), sim_comp_name(c),
             (long long)wb);
    return 0;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The synchronisation's unit costs: the median of three runs of `mpirun
 * --oversubscribe -np 2 bench/mpi_costs` (2,000 repetitions each: 0.21,
 * 0.21, 0.54 us per reduction; 0.18, 0.17, 0.47 us per message; 1.94, 1.49,
 * 1.72 ns per byte) on the 2-core machine of docs/engine.md ("Predicting a
 * run's speed-up"; Open MPI 4.1 shared memory, both ranks on a core): a
 * window's 3-word MPI_Allreduce, one message to a peer, each byte of events
 * beyond it. With a core per rank; between nodes (a network) and with ranks
 * that share a core the costs are higher: unverified there. */
#define COST_ALLREDUCE_S 0.21e-6
#define COST_MESSAGE_S 0.18e-6
#define COST_BYTE_S 1.72e-9

/* A distributed run's time against one process's, over the pilot's span:
 * one process takes the pilot's CPU time; on P ranks the slowest rank takes
 * its share of it (its components' events and ticks over all of them),
 * and every window (the span over the lookahead, at most one per event)
 * costs a reduction of ceil(log2 P) steps, one message to each rank this
 * rank sends to, and the bytes of the events that cross. */
static void predict(sim_partition_info_t *info, uint64_t events, double cpu, sim_time_t span)
{
    int P = info->nranks;
    double total = info->load_mean * P; /* the pilot's events and ticks, as weighed */
    info->pilot_events = events;
    info->pilot_cpu_s = cpu;
    info->pilot_span_ps = span;
    info->windows = info->lookahead_ps == SIM_TIME_MAX || !info->lookahead_ps
                        ? 1
                        : ceil((double)span / (double)info->lookahead_ps);
    if (info->windows > (double)events)
        info->windows = (double)events;
    if (info->windows < 1)
        info->windows = 1;
    info->seq_s = cpu;
    info->compute_s = total > 0 ? cpu * info->load_max / total : cpu;
    info->sync_s = info->windows * (COST_ALLREDUCE_S * ceil(log2((double)P)) +
                                    COST_MESSAGE_S * info->max_peers) +
                   (double)info->cross_msgs * (double)sizeof(sim_event_t) * COST_BYTE_S;
    double par = info->compute_s + info->sync_s;
    info->speedup = par > 0 ? info->seq_s / par : 0;
}

int run_slowdown_warning(const sim_partition_info_t *info, char *buf, size_t n)
{
    if (!(info->speedup > 0 && info->speedup < 1))
        return 0;
    char la[64] = "none";
    if (info->lookahead_ps != SIM_TIME_MAX)
        sim_fmt_time(info->lookahead_ps, la, sizeof la);
    snprintf(buf, n,
             "warning: predicted speed-up %.2g on %d ranks, a slowdown (lookahead %s: %.0f "
             "windows cost %.3g s of synchronisation against %.3g s of events; prism partition "
             "CONFIG --ranks %d explains)",
             info->speedup, info->nranks, la, info->windows, info->sync_s, info->seq_s,
             info->nranks);
    return 1;
}

int run_place(sim_t *s, int nranks, const char *file, uint64_t pilot_events,
              int (*build)(void *ctx, sim_t **out, char *err, size_t n), void *ctx,
              uint32_t *rank_of, uint64_t *comp_w, sim_partition_info_t *info, char *err,
              size_t errlen)
{
    size_t n = sim_comp_count(s);
    for (size_t i = 0; i < n; i++)
        comp_w[i] = 1;
    /* the links, then the clocked channels */
    size_t n_edges = sim_link_count(s) + sim_chan_count(s);
    uint64_t *link_w = calloc(n_edges + 1, sizeof *link_w);
    if (!link_w) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    for (size_t i = 0; i < n_edges; i++)
        link_w[i] = 1;
    int rc = 0;
    /* the pilot: a sequential run of the same config for its event counts;
     * when it fails (the run itself will say why), what it counted stands */
    uint64_t p_events = 0;
    double p_cpu = 0;
    sim_time_t p_span = 0;
    if (pilot_events && build) {
        sim_t *p = NULL;
        if (!build(ctx, &p, err, errlen) && !sim_init(p)) {
            double c0 = cpu_s();
            sim_partition_pilot(p, pilot_events, comp_w, link_w);
            p_cpu = cpu_s() - c0;
            p_events = sim_events_handled(p);
            p_span = sim_now(p);
        }
        sim_destroy(p);
    }
    if (!rc && file) {
        rc = sim_partition_read(s, file, nranks, rank_of, err, errlen) ? 1 : 0;
        if (!rc) {
            sim_partition_eval(s, nranks, rank_of, comp_w, info);
            info->method = "file";
            info->groups = n;
        }
    } else if (!rc) {
        rc = sim_partition(s, nranks, comp_w, link_w, rank_of, info, err, errlen) ? 1 : 0;
    }
    if (!rc && p_events && nranks > 1) {
        sim_partition_traffic(s, nranks, rank_of, link_w, &info->cross_msgs, &info->max_peers);
        predict(info, p_events, p_cpu, p_span);
    }
    free(link_w);
    return rc;
}

