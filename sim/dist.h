/* Distributed runs: one simulation split over MPI ranks (sim/mpi.c) and the
 * partitioner that places components on ranks (sim/partition.c). Every rank
 * builds the whole configuration; each initialises and runs only the
 * components it owns. Conservative windows of one lookahead, cross-rank
 * events batched per window, a global min-reduction between windows; the
 * results gathered on rank 0 are those of the sequential run. */
#ifndef PRISM_DIST_H
#define PRISM_DIST_H

#include "sim/sim.h"

/* ---- MPI process ----------------------------------------------------------- */
/* 1 when prism was built with MPI. */
int sim_dist_built(void);
/* Ranks the launcher asked for (Open MPI's, PMIx's or MPICH's environment),
 * 1 when the process was not started by mpirun. Needs no MPI. */
int sim_dist_env_size(void);
/* MPI_Init (only call when sim_dist_env_size() > 1); fills rank and size. */
int sim_dist_init(int *rank, int *nranks, char *err, size_t errlen);
void sim_dist_finalize(void);
/* Every rank passes its code; returns the worst (most negative) of all, or
 * SIM_ERR_STATE when a rank is gone (sim_dist_setup_gone says which). */
int sim_dist_agree_rc(int rc);
/* After a setup collective (sim_dist_agree_rc, sim_dist_bcast) gave up: the
 * ranks found gone ("rank 1 died during the setup (rank 0 saw it)"); NULL
 * when none. No MPI_Finalize follows then. */
const char *sim_dist_setup_gone(void);
/* Rank 0's bytes (*len of them) to every rank; others get a malloc'ed copy. */
int sim_dist_bcast(void **buf, size_t *len);
double sim_dist_max_double(double v);
/* Unit costs of the synchronisation with nothing else running (seconds, mean
 * of `reps`, slowest rank): a window's min-reduction, an all-to-all of one
 * count per rank, and a two-rank exchange of `bytes`. Collective. */
int sim_dist_probe(int reps, size_t bytes, double *allreduce_s, double *alltoall_s,
                   double *exchange_s);

/* ---- partitioning ------------------------------------------------------------ */
typedef struct sim_partition_info {
    int nranks;
    size_t links, cut_links;
    sim_time_t cut_latency_ps; /* min latency of a cut link, SIM_TIME_MAX when none */
    size_t chans, cut_chans;   /* clocked channels, and those whose ends are on two ranks */
    sim_time_t cut_chan_ps;    /* min latency of a cut channel (records or credits), x period */
    uint32_t cut_chan_cycles;  /* the same in cycles of its clock */
    sim_time_t lookahead_ps;   /* window: cut links, cut channels, declared direct-send lookahead */
    double load_max, load_mean; /* expected events per rank */
    double imbalance;           /* load_max / load_mean */
    size_t groups;              /* vertices after merging zero-latency links */
    const char *method;         /* "metis", "blocks", "file" */
    /* the speed-up prediction (run_place, from its pilot run; speedup 0
     * when no pilot ran): docs/engine.md, "Predicting a run's speed-up" */
    uint64_t pilot_events;           /* events the pilot handled */
    double pilot_cpu_s;              /* its CPU time: seconds per event in one process */
    sim_time_t pilot_span_ps;        /* the simulated time it covered */
    uint64_t cross_msgs;             /* its messages over cut links and channels */
    int max_peers;                   /* the most ranks one rank sends to */
    double windows;                  /* windows over the pilot's span */
    double seq_s, compute_s, sync_s; /* one process; slowest rank's events; synchronising */
    double speedup;                  /* seq_s / (compute_s + sync_s) */
} sim_partition_info_t;

/* Expected events per component (events delivered plus clock ticks) and
 * messages per link from a pilot run of up to `max_events` of an
 * initialised sequential simulation (comp_w sized sim_comp_count; link_w
 * sized sim_link_count + sim_chan_count: the links, then the records and
 * credits of each clocked channel; +1 each so nothing weighs 0). */
int sim_partition_pilot(sim_t *s, uint64_t max_events, uint64_t *comp_w, uint64_t *link_w);
/* Place components on `nranks` ranks: METIS over the graph of links and
 * clocked channels (components joined by zero-latency links are kept
 * together), vertex weights comp_w, edge weights link_w (links then
 * channels, as sim_partition_pilot fills it; NULL: 1 each); contiguous
 * blocks of equal weight when there are no links (direct-send models).
 * rank_of[n_comps]. */
int sim_partition(const sim_t *s, int nranks, const uint64_t *comp_w, const uint64_t *link_w,
                  uint32_t *rank_of, sim_partition_info_t *info, char *err, size_t errlen);
/* Read a partition ("component rank" per line, # comments); every component
 * must be placed and no zero-latency link may cross ranks (channels may). */
int sim_partition_read(const sim_t *s, const char *path, int nranks, uint32_t *rank_of, char *err,
                       size_t errlen);
/* Cut, lookahead and load of a given placement. */
void sim_partition_eval(const sim_t *s, int nranks, const uint32_t *rank_of, const uint64_t *comp_w,
                        sim_partition_info_t *info);
int sim_partition_write(const sim_t *s, const char *path, const uint32_t *rank_of, char *err,
                        size_t errlen);
/* Messages a pilot carried over the links and channels a placement cuts
 * (link_w as sim_partition_pilot fills it, less its +1s) and the most ranks
 * one rank sends to (every other rank when direct sends are declared). */
void sim_partition_traffic(const sim_t *s, int nranks, const uint32_t *rank_of,
                           const uint64_t *link_w, uint64_t *cross, int *max_peers);

/* ---- a distributed run -------------------------------------------------------- */
typedef enum { SIM_SYNC_REDUCE, SIM_SYNC_NULL } sim_sync_t;

/* Before sim_init: this rank owns the components with rank_of[id] == rank.
 * lookahead_ps is the window (sim_partition_info_t.lookahead_ps). */
int sim_dist_attach(sim_t *s, const uint32_t *rank_of, int rank, int nranks,
                    sim_time_t lookahead_ps, sim_sync_t sync);
/* Run whole windows until `max_events` were handled here or the run is done.
 * `stop_request`: this rank wants to stop (signal, wall limit); every rank
 * stops after the same window. Sets *done when the run ended (complete,
 * stopped or failed on any rank). Returns SIM_ERR_MODEL when a model failed
 * on any rank (the message is gathered by sim_dist_finish). */
int sim_dist_run(sim_t *s, uint64_t max_events, int stop_request, int *done, int *stopped);
/* Agree the end time (static energy is integrated to it), call finish on the
 * local components, then gather counters, stats, energy, link totals, trace
 * op names and the failure to rank 0, whose sim then reports the whole run.
 * Collective. Before it, rank files of the trace must be flushed when
 * `before_gather` is given (called after finish). */
int sim_dist_finish(sim_t *s, void (*before_gather)(void *ctx), void *ctx);
/* ---- faults: a rank that died or stopped answering ----------------------------- *
 * The waits of a run poll; between polls a rank reads its peers' fault
 * notices, checks the pids of the ranks on its host (exchanged at the start)
 * and gives up on an answer after the peer timeout: always for a rank on
 * another host, for any rank once a SIGINT/SIGTERM arrived. */
/* Async-signal-safe: a SIGINT/SIGTERM arrived (the run stops after the same
 * window on every rank, or fails when a rank is gone). */
void sim_dist_note_signal(int signum);
int sim_dist_signal(void); /* the last signal noted, 0 none */
/* Seconds without an answer after which a rank counts as gone (default 30). */
void sim_dist_set_peer_timeout(sim_t *s, double seconds);
/* 1 when this rank left the run because a rank is gone: sim_dist_finish then
 * only finishes locally (and returns an error); call sim_dist_fault_end. */
int sim_dist_faulted(const sim_t *s);
/* After a fault, once this rank's trace file is closed: ranks tell rank 0
 * they are still there (bounded by the peer timeout); on rank 0 the error
 * message then names the ranks that died or did not answer and the ranks
 * whose rows the trace keeps (sim_dist_rank_kept). No MPI_Finalize follows. */
int sim_dist_fault_end(sim_t *s);
/* After sim_dist_fault_end: 1 on the rank that commits the trace (rank 0,
 * or the least rank still there when rank 0 is gone) */
int sim_dist_fault_lead(const sim_t *s);
int sim_dist_rank_kept(const sim_t *s, int rank); /* on the lead, after sim_dist_fault_end */
int sim_dist_rank(const sim_t *s);                /* 0 in a sequential run */
int sim_dist_size(const sim_t *s);                /* 1 in a sequential run */
int sim_dist_failed(const sim_t *s); /* a model failed on some rank (after finish: with message) */

/* Synchronisation counters of this rank (rank 0 after finish: max over ranks
 * for the times, sums for the counts). */
typedef struct sim_dist_stats {
    uint64_t windows;
    uint64_t messages_sent; /* cross-rank events */
    uint64_t peer_messages; /* MPI messages to other ranks (one per neighbour per window) */
    double run_s;           /* handling events */
    double run_cpu_s;       /* of which the rank's thread had a CPU (the rest: other jobs) */
    double exchange_s;      /* batching and exchanging messages (includes waiting) */
    double reduce_s;        /* the min-reduction (includes waiting for the slowest rank) */
} sim_dist_stats_t;
void sim_dist_get_stats(const sim_t *s, sim_dist_stats_t *out);

/* Merge the rank files of a trace (path.rank<N>, N = 1..nranks-1 plus 0) into
 * the database at `path` (rows' op ids mapped to the run's agreed ones) and
 * delete them. Rank 0 only. Returns rows merged, or -1 with err. */
int64_t sim_dist_trace_merge(const sim_t *s, const char *path, int nranks, char *err,
                             size_t errlen);
/* After a fault: the files of the ranks sim_dist_rank_kept names (their op
 * names adopted into s first), the others deleted. */
int64_t sim_dist_trace_merge_kept(sim_t *s, const char *path, int nranks, char *err, size_t errlen);
/* The lead when rank 0 is gone: the kept files merged into the run's
 * database (opened by rank 0), its ops written and its run committed as
 * failed with sim_errmsg(s). 0 or -1 with err. */
int sim_dist_trace_commit_lead(sim_t *s, const char *path, int nranks, double wall_s, char *err,
                               size_t errlen);
void sim_dist_trace_rank_path(char *buf, size_t n, const char *path, int rank);
/* Rank 0, once the run has ended and before the rank files are closed and
 * merged: the run row says `status` and `message` (trace_rows 0) until the
 * trace is ended, so a lead stopped meanwhile (mpirun SIGKILLs the ranks 1 s
 * after a SIGTERM by default) leaves no `running` trace. 0 or -1 with err. */
int sim_dist_trace_mark(const char *path, const char *status, const char *message, char *err,
                        size_t errlen);
/* Delete a rank's file of the trace at `path` and its journals. */
void sim_dist_trace_remove(const char *path, int rank);

#endif
