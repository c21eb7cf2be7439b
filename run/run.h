/* The run layer: one simulation run from a config (or a simulation a caller
 * built) to its trace, as a library. It sits between mapper/ and the command
 * line: the CLI parses options into a run_opts_t and prints what the run
 * reports; everything in between lives here.
 *
 * A run goes through these steps, each returning 0 or an exit-style code
 * (2 bad input, 1 a failure), with the message in run_errmsg():
 *   run_create(opts)          the options (copied by reference: keep them alive)
 *   run_load(r)               config + overrides, workload or schedule attach,
 *                             MPI placement when ranks > 1, sim_init
 *   (or run_adopt(r, sim)     a simulation the caller built and initialised,
 *                             and destroys after run_destroy)
 *   run_trace_begin(r)        the trace DB and its run row (opts.trace_path)
 *   run_exec(r)               the libev loop in slices of events: SIGINT and
 *                             SIGTERM (status interrupted), the wall limit, a
 *                             progress callback every progress_period s
 *   run_end(r)                finish, the status, the trace's end with the
 *                             schedule tables, the executed schedule written
 *   run_destroy(r)
 * Like Redis's aeMain with its before-sleep hook: the loop belongs to the
 * library, the caller sees callbacks.
 *
 * Status: complete; truncated (a workload or schedule run whose entries did
 * not all complete: a time limit stopped it, or a unit never served a
 * request; exit 1); interrupted (signal or wall limit: 130); failed (a model
 * failed: 1). An open-ended model (traffic generators) has no finite work:
 * its time limit is its length, and it completes. */
#ifndef PRISM_RUN_H
#define PRISM_RUN_H

#include "mapper/map.h"
#include "sim/dist.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "workloads/wl.h"

#include <stddef.h>
#include <stdint.h>

typedef struct run run_t;

typedef enum {
    RUN_COMPLETE = 0,
    RUN_TRUNCATED,   /* schedule entries left undone (time limit, unit that
                        never answered) */
    RUN_INTERRUPTED, /* SIGINT, SIGTERM or the wall limit */
    RUN_FAILED       /* a model failed (or a rank died) */
} run_status_t;

typedef struct run_opts {
    const char *config;           /* YAML path (run_load) */
    sim_config_over_t over;       /* overrides: seed, until, --set */
    const char *workload;         /* built-in name or .onnx, mapped naively */
    wl_gen_opts_t wopts;          /* its shape (run_opts_default fills it) */
    int dtype_given;              /* 0: the chip's word size picks the dtype */
    const char *schedule_in;      /* a mapped schedule (JSON) */
    int generate;                 /* > 0: the workload generates this many tokens after a
                                     prompt of wopts.seq (map_generation_attach) */
    const char *schedule_out;     /* write the executed schedule here */
    const char *trace_path;       /* NULL: no trace */
    trace_opts_t trace;           /* filter, messages, index */
    const char *label;            /* the trace's workload column (NULL: workload or schedule) */
    const char *args;             /* the command line, for the trace's runs row */
    size_t slice_events;          /* events per loop slice (0: 65536) */
    double wall_limit;            /* seconds, 0: none */
    int signals;                  /* watch SIGINT and SIGTERM during run_exec */
    /* called every progress_period seconds during run_exec, and once at its end */
    void (*progress)(run_t *r, void *ctx);
    void *progress_ctx;
    double progress_period;       /* 0: 0.25 */
    /* every message the run prints on the way (several can come from one
     * step: a distributed run's ranks); NULL: stderr, "prism: MSG" */
    void (*say)(void *ctx, const char *msg);
    void *say_ctx;
    /* distributed runs (mpirun): ranks from the environment */
    long want_ranks;              /* --ranks: check mpirun started this many (0: any) */
    const char *partition_file;   /* placement by hand; NULL: the partitioner */
    uint64_t pilot_events;        /* events of the pilot run weighing the partition */
    sim_sync_t sync;
    double peer_timeout;          /* seconds */
} run_opts_t;

void run_opts_default(run_opts_t *o);

/* Install the early signal handler (a signal before run_exec starts is kept
 * and handled when the loop starts, so the trace still says interrupted). */
void run_signals_early(void);

run_t *run_create(const run_opts_t *o); /* NULL: out of memory */
void run_destroy(run_t *r);             /* NULL is a no-op; finalizes MPI when run_load started it */

/* MPI: join the ranks mpirun started (a no-op for one process). 0 or 2. */
int run_ranks(run_t *r);
int run_rank(const run_t *r);
int run_nranks(const run_t *r);
int run_load(run_t *r);
int run_adopt(run_t *r, sim_t *s); /* initialised; the caller destroys s after run_destroy */
int run_trace_begin(run_t *r);
int run_exec(run_t *r);
int run_end(run_t *r);

const char *run_errmsg(const run_t *r);
sim_t *run_sim(const run_t *r);
run_status_t run_status(const run_t *r);
const char *run_status_name(run_status_t st); /* "complete", "truncated", ... */
/* the status's message (the failure, the signal, why truncated), or NULL */
const char *run_message(const run_t *r);
int run_exit_code(const run_t *r); /* 0, 1, 130 (or what run_end made it) */
double run_wall_s(const run_t *r);
uint64_t run_trace_rows(const run_t *r);
const char *run_config_text(const run_t *r);
/* the dtype note of a workload run: "i8: sa.word_bytes = 1", "f32: --dtype", ... */
const char *run_dtype_note(const run_t *r);
/* the attached schedule's progress: entries done of n (0 of 0 without one) */
void run_sched_progress(const run_t *r, size_t *done, size_t *n);
double run_elapsed_s(const run_t *r); /* wall seconds since run_exec started */
sim_time_t run_until_ps(const run_t *r); /* SIM_TIME_MAX: none */

/* Places the components of `s` on `nranks` ranks: from `file` when given,
 * else by the partitioner with the event counts of a pilot run of
 * `pilot_events` on a second sim made by `build` (0 or NULL: every component
 * weighs 1). 0 or 1 with a message in err. */
int run_place(sim_t *s, int nranks, const char *file, uint64_t pilot_events,
              int (*build)(void *ctx, sim_t **out, char *err, size_t n), void *ctx,
              uint32_t *rank_of, uint64_t *comp_w, sim_partition_info_t *info, char *err,
              size_t errlen);

/* After a schedule ran with a trace: tables workload_ops, unit_tiers,
 * schedule_entries and the view tier_layer in the trace DB. 0 or 1. */
int run_trace_schedule(const char *db, const map_schedule_t *s, char *err, size_t n);

/* The dtype a workload computes in on this chip: the word_bytes of the
 * component the schedule driver's gemm port reaches. 0, or -1 when none. */
int run_chip_dtype(sim_t *s, wl_dtype_t *dt, char *why, size_t n);

#endif
