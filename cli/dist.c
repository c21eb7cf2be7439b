/* The command line's side of distributed runs: placing components on ranks
 * (a partition file, or a pilot run for the expected event counts and then
 * the partitioner) and printing what a placement costs. */
#include "sim/dist.h"
#include "cli/cli.h"
#include "sim/trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int cli_warn_slowdown(FILE *f, const sim_partition_info_t *info, const char *who)
{
    if (!(info->speedup > 0 && info->speedup < 1))
        return 0;
    char la[64] = "none";
    if (info->lookahead_ps != SIM_TIME_MAX)
        sim_fmt_time(info->lookahead_ps, la, sizeof la);
    fprintf(f,
            "%s: warning: predicted speed-up %.2g on %d ranks, a slowdown (lookahead %s: %.0f "
            "windows cost %.3g s of synchronisation against %.3g s of events; prism partition "
            "CONFIG --ranks %d explains)\n",
            who, info->speedup, info->nranks, la, info->windows, info->sync_s, info->seq_s,
            info->nranks);
    return 1;
}

int cli_place(sim_t *s, int nranks, const char *file, uint64_t pilot_events,
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

void cli_print_partition(FILE *f, sim_t *s, const uint32_t *rank_of, const uint64_t *comp_w,
                         const sim_partition_info_t *info, int json)
{
    int P = info->nranks;
    double *load = calloc((size_t)P, sizeof *load);
    size_t *count = calloc((size_t)P, sizeof *count);
    for (size_t i = 0; load && count && i < sim_comp_count(s); i++) {
        load[rank_of[i]] += (double)comp_w[i];
        count[rank_of[i]]++;
    }
    char cut[64], la[64];
    if (info->cut_latency_ps == SIM_TIME_MAX)
        snprintf(cut, sizeof cut, "none cut");
    else
        sim_fmt_time(info->cut_latency_ps, cut, sizeof cut);
    if (info->lookahead_ps == SIM_TIME_MAX)
        snprintf(la, sizeof la, "unbounded (no rank sends to another)");
    else
        sim_fmt_time(info->lookahead_ps, la, sizeof la);
    if (json) {
        fprintf(f,
                "{\"ranks\":%d,\"method\":\"%s\",\"groups\":%zu,\"links\":%zu,\"cut_links\":%zu,"
                "\"cut_latency_ps\":%lld,\"lookahead_ps\":%lld,\"imbalance\":%.6f,\"ranks_load\":[",
                P, info->method, info->groups, info->links, info->cut_links,
                info->cut_latency_ps == SIM_TIME_MAX ? -1LL : (long long)info->cut_latency_ps,
                info->lookahead_ps == SIM_TIME_MAX ? -1LL : (long long)info->lookahead_ps,
                info->imbalance);
        for (int r = 0; load && count && r < P; r++)
            fprintf(f, "%s{\"rank\":%d,\"components\":%zu,\"expected_events\":%.0f}", r ? "," : "",
                    r, count[r], load[r]);
        fprintf(f,
                "],\"channels\":%zu,\"cut_channels\":%zu,\"cut_channel_ps\":%lld,"
                "\"cut_channel_cycles\":%u",
                info->chans, info->cut_chans,
                info->cut_chan_ps == SIM_TIME_MAX ? -1LL : (long long)info->cut_chan_ps,
                info->cut_chans ? info->cut_chan_cycles : 0);
        if (info->speedup > 0)
            fprintf(f,
                    ",\"prediction\":{\"speedup\":%.6g,\"pilot_events\":%llu,\"pilot_cpu_s\":%.6g,"
                    "\"pilot_span_ps\":%llu,\"windows\":%.0f,\"cross_messages\":%llu,"
                    "\"max_peers\":%d,\"seq_s\":%.6g,\"compute_s\":%.6g,\"sync_s\":%.6g}",
                    info->speedup, (unsigned long long)info->pilot_events, info->pilot_cpu_s,
                    (unsigned long long)info->pilot_span_ps, info->windows,
                    (unsigned long long)info->cross_msgs, info->max_peers, info->seq_s,
                    info->compute_s, info->sync_s);
        fprintf(f, "}\n");
    } else {
        fprintf(f, "ranks       %d (%s; %zu placeable groups: zero-latency links are never cut)\n",
                P, info->method, info->groups);
        fprintf(f, "cut links   %zu of %zu (least latency of a cut link: %s)\n", info->cut_links,
                info->links, cut);
        if (info->chans) {
            char cc[64] = "none cut";
            if (info->cut_chans) {
                sim_fmt_time(info->cut_chan_ps, cc, sizeof cc);
                snprintf(cc + strlen(cc), sizeof cc - strlen(cc), " = %u cycles",
                         info->cut_chan_cycles);
            }
            fprintf(f,
                    "cut chans   %zu of %zu clocked channels (least latency of a cut channel, "
                    "records or credits: %s)\n",
                    info->cut_chans, info->chans, cc);
        }
        fprintf(f, "lookahead   %s\n", la);
        fprintf(f, "load        expected events per rank (pilot run; max/mean = %.3f)\n",
                info->imbalance);
        for (int r = 0; load && count && r < P; r++)
            fprintf(f, "  rank %-4d %10.0f events  %6zu components\n", r, load[r], count[r]);
        if (info->speedup > 0) {
            char span[64];
            sim_fmt_time(info->pilot_span_ps, span, sizeof span);
            fprintf(f,
                    "speed-up    %.3g predicted (pilot: %llu events in %.3g s CPU over %s; "
                    "one process %.3g s, slowest rank %.3g s of events + %.3g s "
                    "synchronising: %.0f windows, %d peer ranks at most, %llu cross-rank "
                    "messages)\n",
                    info->speedup, (unsigned long long)info->pilot_events, info->pilot_cpu_s, span,
                    info->seq_s, info->compute_s, info->sync_s, info->windows, info->max_peers,
                    (unsigned long long)info->cross_msgs);
        }
    }
    free(load);
    free(count);
}

int cli_dist_setup_failed(trace_t *t, trace_t *rank_t, sim_t *s, const char *path, int rank,
                          int nranks)
{
    const char *gone = sim_dist_setup_gone();
    trace_close(rank_t);
    if (path)
        sim_dist_trace_remove(path, rank);
    if (t) { /* rank 0: the run's database says why; no rank's file stays */
        for (int r = 0; r < nranks; r++)
            sim_dist_trace_remove(path, r);
        trace_end_run(t, s, "failed",
                      gone ? gone : "a rank could not open its trace file (it said why)", 0);
        trace_close(t);
    }
    if (gone) {
        fprintf(stderr, "prism run: %s\n", gone);
        if (rank == 0)
            cli_dist_note(gone);
        return 1;
    }
    return 2;
}
