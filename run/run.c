/* The run layer (run/run.h): one run from config to trace. The libev loop
 * drives the simulation in slices of events; signals, the wall limit and
 * the progress callback are watchers on that loop. A distributed run
 * (mpirun) places components on ranks here and lets sim/mpi.c run windows. */
#include "run/run.h"
#include "run/run_dist.h"

#include <ev.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct run {
    run_opts_t o;
    sim_t *sim;
    char *text; /* the config's text */
    trace_t *t;
    struct rank_trace {
        trace_t *t;
        sim_t *s;
        int rc;
    } rt;
    struct ev_loop *loop;
    ev_idle slice;
    ev_timer progress, wall;
    ev_signal sigint, sigterm;
    sim_time_t until;
    int failed, interrupted, truncated;
    const char *why;
    char why_buf[256];
    double t0, wall_s;
    const map_exec_t *sched; /* a workload's schedule: progress in ops done */
    int rank, nranks, dist, mpi_started;
    int lead; /* reports the exit status to the launcher: rank 0, or after a fault the lead */
    int stop_req; /* this rank wants to stop (signal, wall limit) */
    int exit_code;
    int owns_sim; /* run_load made it; run_adopt's belongs to the caller */
    uint64_t rows;
    char dtype_note[160];
    char err[2048];
};

/* A signal before the loop watches for it (while the config loads, the
 * trace opens, ranks agree) is kept here and handled when the loop starts,
 * so the trace still says interrupted. A distributed run keeps this handler
 * throughout: a rank waiting for its peers sees the signal (sim/mpi.c). */
static volatile sig_atomic_t early_signum;
static void on_early_signal(int signum)
{
    early_signum = signum;
    sim_dist_note_signal(signum);
}

void run_signals_early(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_early_signal;
    sigemptyset(&sa.sa_mask);
    early_signum = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *signal_why(int signum)
{
    return signum == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM";
}

/* One message: into run_errmsg and to the caller's `say`. */
static void say(run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(run_t *r, const char *fmt, ...)
{
    char buf[sizeof r->err];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    memcpy(r->err, buf, sizeof buf);
    if (r->o.say)
        r->o.say(r->o.say_ctx, buf);
    else
        fprintf(stderr, "prism: %s\n", buf);
}

void run_opts_default(run_opts_t *o)
{
    memset(o, 0, sizeof *o);
    wl_gen_opts_default(&o->wopts);
    o->pilot_events = 100000;
    o->sync = SIM_SYNC_REDUCE;
    o->peer_timeout = 30;
}

run_t *run_create(const run_opts_t *o)
{
    run_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->o = *o;
    if (!r->o.slice_events)
        r->o.slice_events = 65536;
    if (!(r->o.progress_period > 0))
        r->o.progress_period = 0.25;
    r->nranks = 1;
    return r;
}

void run_destroy(run_t *r)
{
    if (!r)
        return;
    trace_close(r->rt.t);
    trace_close(r->t);
    if (r->owns_sim)
        sim_destroy(r->sim);
    free(r->text);
    if (r->mpi_started)
        sim_dist_finalize();
    free(r);
}

int run_ranks(run_t *r)
{
    int env_ranks = sim_dist_env_size();
    long want = r->o.want_ranks;
    if (want > 1 || env_ranks > 1) {
        if (!sim_dist_built()) {
            say(r,
                "%ld ranks asked for, but this prism was built without MPI "
                "(install Open MPI's mpicc and rebuild: make clean && make)",
                want > 1 ? want : (long)env_ranks);
            return 2;
        }
        if (env_ranks <= 1) {
            say(r, "--ranks %ld needs mpirun: mpirun -np %ld prism run ...", want, want);
            return 2;
        }
        if (sim_dist_init(&r->rank, &r->nranks, r->err, sizeof r->err)) {
            say(r, "%s", r->err);
            return 2;
        }
        r->mpi_started = 1;
        r->lead = r->rank == 0;
        run_dist_rank_started(r->rank);
        if (want && want != r->nranks) {
            if (r->rank == 0)
                say(r, "--ranks %ld but mpirun started %d ranks", want, r->nranks);
            return 2;
        }
    }
    r->dist = r->nranks > 1;
    return 0;
}

int run_rank_exit(run_t *r, int code)
{
    return r->mpi_started ? run_dist_rank_exit(code, r->lead) : code;
}

int run_rank(const run_t *r) { return r->rank; }
int run_nranks(const run_t *r) { return r->nranks; }

/* The workload's dtype note, and the dtype the chip computes in. */
static void pick_dtype(run_t *r, wl_gen_opts_t *wo)
{
    const char *w = r->o.workload;
    size_t wlen = strlen(w);
    int onnx = wlen > 5 && !strcmp(w + wlen - 5, ".onnx");
    char *note = r->dtype_note;
    size_t n = sizeof r->dtype_note;
    note[0] = '\0';
    if (onnx)
        snprintf(note, n, "file: the ONNX file's dtypes");
    else if (!r->o.dtype_given && run_chip_dtype(r->sim, &wo->dtype, note, n))
        note[0] = '\0';
    if (r->o.dtype_given && !onnx)
        snprintf(note, n, "%s: --dtype", wl_dtype_name(wo->dtype));
    else if (!note[0])
        snprintf(note, n, "%s: the model's default", wl_dtype_name(wo->dtype));
}

/* The workload's naive schedule, or a generation's (opts.generate). */
static int attach_workload(const run_t *r, sim_t *s, const wl_gen_opts_t *wo, char *err, size_t n)
{
    if (r->o.generate > 0)
        return map_generation_attach(s, r->o.workload, wo, r->o.generate, err, n);
    return map_workload_attach(s, r->o.workload, wo, err, n);
}

/* A second sim of the same run (the partitioner's pilot). */
static int build_again(void *ctx, sim_t **out, char *err, size_t n)
{
    run_t *r = ctx;
    wl_gen_opts_t wo = r->o.wopts;
    if (sim_config_load(r->o.config, &r->o.over, out, NULL, err, n))
        return 1;
    if (r->o.workload && !r->o.dtype_given) {
        char note[160];
        run_chip_dtype(*out, &wo.dtype, note, sizeof note);
    }
    if ((r->o.workload && attach_workload(r, *out, &wo, err, n)) ||
        (r->o.schedule_in && map_schedule_attach_file(*out, r->o.schedule_in, err, n))) {
        sim_destroy(*out);
        *out = NULL;
        return 1;
    }
    return 0;
}

/* Rank 0 places the components; every rank gets the placement. */
static int dist_place(run_t *r)
{
    sim_t *s = r->sim;
    size_t n = sim_comp_count(s);
    /* message: [rc][lookahead][rank_of x n] */
    size_t len = 16 + 4 * n;
    unsigned char *msg = r->rank == 0 ? calloc(1, len) : NULL;
    int rc = 0;
    if (r->rank == 0) {
        char err[2048] = "out of memory";
        uint64_t *w = calloc(n + 1, sizeof *w);
        uint32_t *rank_of = calloc(n + 1, sizeof *rank_of);
        sim_partition_info_t info;
        rc = !msg || !w || !rank_of ||
             run_place(s, r->nranks, r->o.partition_file, r->o.pilot_events, build_again, r,
                       rank_of, w, &info, err, sizeof err);
        char warn[1024];
        if (rc)
            say(r, "%s", err);
        else if (run_slowdown_warning(&info, warn, sizeof warn))
            say(r, "%s", warn);
        if (msg) {
            uint64_t v[2] = {(uint64_t)rc, rc ? 0 : info.lookahead_ps};
            memcpy(msg, v, 16);
            if (!rc)
                memcpy(msg + 16, rank_of, 4 * n);
        }
        free(w);
        free(rank_of);
    }
    void *buf = msg;
    if (sim_dist_bcast(&buf, &len) || !buf || len < 16)
        return 2;
    uint64_t v[2];
    memcpy(v, buf, 16);
    rc = v[0] ? 2 : 0;
    if (!rc && len == 16 + 4 * n) {
        uint32_t *rank_of = malloc(4 * n + 4);
        if (rank_of)
            memcpy(rank_of, (unsigned char *)buf + 16, 4 * n);
        if (!rank_of || sim_dist_attach(s, rank_of, r->rank, r->nranks, v[1], r->o.sync)) {
            say(r, "rank %d: %s", r->rank, sim_errmsg(s));
            rc = 2;
        }
        free(rank_of);
    }
    free(buf);
    return rc;
}

/* After sim_init: the schedule a workload or schedule run executes. */
static void find_schedule(run_t *r)
{
    const char *driver = NULL;
    char err[256];
    if (!r->dist && (r->o.workload || r->o.schedule_in) &&
        !map_find_driver(r->sim, &driver, err, sizeof err))
        r->sched = map_exec_attached(sim_comp_find(r->sim, driver));
}

/* A distributed run's setup failed on some rank (its collectives agreed so,
 * or found a rank gone). After the trace began (traced): this rank's file
 * (PATH.rank<N>) is closed and deleted; on rank 0 every rank's file too, and
 * the run row is ended `failed` naming the rank that died. 1 when a rank is
 * gone (said), else 2. */
static int dist_setup_failed(run_t *r, int traced)
{
    const char *gone = sim_dist_setup_gone();
    trace_close(r->rt.t);
    r->rt.t = NULL;
    if (traced && r->o.trace_path)
        sim_dist_trace_remove(r->o.trace_path, r->rank);
    if (traced && r->t) { /* rank 0: the run's database says why; no rank's file stays */
        for (int k = 0; k < r->nranks; k++)
            sim_dist_trace_remove(r->o.trace_path, k);
        trace_end_run(r->t, r->sim, "failed",
                      gone ? gone : "a rank could not open its trace file (it said why)", 0);
        trace_close(r->t);
        r->t = NULL;
    }
    if (gone) {
        say(r, "%s", gone);
        if (r->rank == 0)
            run_dist_note(gone);
        return 1;
    }
    return 2;
}

/* A chip whose schedule_driver has no plain roles (the hybrid chip: many
 * units of several tiers) cannot take a workload op by op: map it with the
 * two-stage mapper's defaults (prism map without a quality target) and
 * attach that schedule. 0, or 2 with one line saying to run prism map. */
static int map_default(run_t *r, const wl_gen_opts_t *wo, const char *naive_err)
{
    char err[1024];
    map_ctx_t *ctx = NULL;
    map_search_opts_t so;
    map_search_opts_default(&so);
    map_search_result_t res;
    memset(&res, 0, sizeof res);
    map_schedule_t *sched = NULL;
    char *json = NULL;
    if (r->rank == 0)
        say(r,
            "%s: its schedule_driver needs a mapping (%s): mapping %s with prism map's "
            "defaults",
            r->o.config, naive_err, r->o.workload);
    int rc = map_ctx_open_over(r->o.config, &r->o.over, r->o.workload, wo, &ctx, err, sizeof err);
    if (!rc)
        rc = map_search(ctx, &so, NULL, &res, err, sizeof err);
    if (!rc)
        rc = map_ctx_schedule(ctx, res.chosen, &sched, err, sizeof err);
    if (!rc && !(json = map_schedule_json(sched))) {
        rc = SIM_ERR_NOMEM;
        snprintf(err, sizeof err, "out of memory");
    }
    if (!rc)
        rc = map_schedule_attach_text(r->sim, json, r->o.workload, err, sizeof err);
    free(json);
    map_schedule_free(sched);
    map_search_result_free(&res);
    map_ctx_close(ctx);
    if (rc && r->rank == 0)
        say(r,
            "%s; map it first: prism map --chip %s --workload %s -o s.json, then prism run %s "
            "--schedule s.json",
            err, r->o.config, r->o.workload, r->o.config);
    return rc ? 2 : 0;
}

int run_load(run_t *r)
{
    r->owns_sim = 1;
    if (sim_config_load(r->o.config, &r->o.over, &r->sim, &r->text, r->err, sizeof r->err)) {
        if (r->rank == 0)
            say(r, "%s", r->err);
        return 2;
    }
    wl_gen_opts_t wo = r->o.wopts;
    if (r->o.workload)
        pick_dtype(r, &wo);
    if (r->o.workload && attach_workload(r, r->sim, &wo, r->err, sizeof r->err)) {
        /* only a chip the naive schedule cannot drive is mapped; a bad
         * workload is said as it is */
        const char *drv = NULL;
        char e2[256];
        map_units_t units;
        int roles = !map_find_driver(r->sim, &drv, e2, sizeof e2) &&
                    !map_units_from_driver(r->sim, drv, &units, e2, sizeof e2);
        int needs_map = roles && map_units_find(&units, MAP_UNIT_DRAM) < 0 && r->o.generate <= 0;
        if (roles)
            map_units_free(&units);
        if (!needs_map) {
            if (r->rank == 0)
                say(r, "%s", r->err);
            return 2;
        }
        if (map_default(r, &wo, "no unit in the dram role"))
            return 2;
    } else if (r->o.schedule_in &&
               map_schedule_attach_file(r->sim, r->o.schedule_in, r->err, sizeof r->err)) {
        if (r->rank == 0)
            say(r, "%s", r->err);
        return 2;
    }
    r->o.wopts = wo;
    if (r->dist && dist_place(r))
        return dist_setup_failed(r, 0);
    if (r->dist)
        sim_dist_set_peer_timeout(r->sim, r->o.peer_timeout);
    int rc = sim_init(r->sim);
    if (rc) /* in a distributed run, the rank that owns the component says why */
        say(r, "%s", sim_errmsg(r->sim));
    if (r->dist)
        rc = sim_dist_agree_rc(rc);
    if (rc)
        return r->dist ? dist_setup_failed(r, 0) : 2;
    find_schedule(r);
    return 0;
}

int run_adopt(run_t *r, sim_t *s)
{
    r->sim = s;
    find_schedule(r);
    return 0;
}

int run_trace_begin(run_t *r)
{
    if (!r->o.trace_path)
        return 0;
    trace_opts_t to = r->o.trace;
    const char *label = r->o.label ? r->o.label : r->o.workload ? r->o.workload : r->o.schedule_in;
    trace_run_info_t info = {r->o.config, r->text, label, r->o.args};
    int rc = 0;
    /* the run's database (rank 0), then each rank's file of rows */
    if (r->rank == 0 && trace_open(&r->t, r->o.trace_path, &to, r->err, sizeof r->err)) {
        say(r, "%s", r->err);
        rc = 2;
    } else if (r->rank == 0 && trace_begin_run(r->t, r->sim, &info)) {
        say(r, "%s", trace_errmsg(r->t));
        rc = 2;
    }
    if (r->dist && !sim_dist_agree_rc(-rc)) {
        char rp[4200];
        sim_dist_trace_rank_path(rp, sizeof rp, r->o.trace_path, r->rank);
        to.index = 0;
        r->rt.s = r->sim;
        if (trace_open(&r->rt.t, rp, &to, r->err, sizeof r->err)) {
            say(r, "%s", r->err);
            rc = 2;
        } else if (trace_begin_run(r->rt.t, r->sim, &info)) {
            say(r, "%s", trace_errmsg(r->rt.t));
            rc = 2;
        }
        rc = -sim_dist_agree_rc(-rc);
    } else if (r->dist) {
        rc = 2;
    }
    if (rc && r->dist) /* no rank files left, the run row ended */
        rc = dist_setup_failed(r, 1);
    return rc;
}

static void stop_loop(run_t *r)
{
    ev_idle_stop(r->loop, &r->slice);
    ev_timer_stop(r->loop, &r->progress);
    ev_timer_stop(r->loop, &r->wall);
    ev_signal_stop(r->loop, &r->sigint);
    ev_signal_stop(r->loop, &r->sigterm);
    ev_break(r->loop, EVBREAK_ALL);
}

static void dist_slice(run_t *r)
{
    int done, stopped;
    if (early_signum && !r->stop_req) {
        r->why = signal_why(early_signum);
        r->stop_req = 1;
    }
    if (sim_dist_run(r->sim, r->o.slice_events, r->stop_req, &done, &stopped)) {
        r->failed = 1;
        stop_loop(r);
    } else if (stopped) {
        r->interrupted = 1;
        if (!r->why && early_signum) /* seen while waiting for the other ranks */
            r->why = signal_why(early_signum);
        if (!r->why)
            r->why = "interrupted (a signal or the wall limit on another rank)";
        stop_loop(r);
    } else if (done) {
        stop_loop(r);
    }
}

static void on_slice(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)loop;
    (void)revents;
    run_t *r = w->data;
    if (r->dist) {
        dist_slice(r);
        return;
    }
    if (sim_run(r->sim, r->until, r->o.slice_events)) {
        r->failed = 1;
        stop_loop(r);
    } else if (sim_done(r->sim) || sim_now(r->sim) >= r->until) {
        stop_loop(r);
    }
}

static void on_progress(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    run_t *r = w->data;
    r->o.progress(r, r->o.progress_ctx);
}

static void on_wall(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    run_t *r = w->data;
    r->why = "wall-clock limit reached";
    if (r->dist) {
        r->stop_req = 1; /* every rank stops after the same window */
        return;
    }
    r->interrupted = 1;
    stop_loop(r);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    run_t *r = w->data;
    r->why = signal_why(w->signum);
    if (r->dist) {
        r->stop_req = 1;
        return;
    }
    r->interrupted = 1;
    stop_loop(r);
}

static void start_watchers(run_t *r)
{
    ev_idle_init(&r->slice, on_slice);
    r->slice.data = r;
    ev_idle_start(r->loop, &r->slice);
    ev_signal_init(&r->sigint, on_signal, SIGINT);
    r->sigint.data = r;
    ev_signal_init(&r->sigterm, on_signal, SIGTERM);
    r->sigterm.data = r;
    if (r->o.signals && !r->dist) { /* a distributed run keeps on_early_signal */
        ev_signal_start(r->loop, &r->sigint);
        ev_signal_start(r->loop, &r->sigterm);
    }
    ev_timer_init(&r->progress, on_progress, r->o.progress_period, r->o.progress_period);
    r->progress.data = r;
    if (r->o.progress)
        ev_timer_start(r->loop, &r->progress);
    ev_timer_init(&r->wall, on_wall, r->o.wall_limit, 0);
    r->wall.data = r;
    if (r->o.wall_limit > 0)
        ev_timer_start(r->loop, &r->wall);
}

int run_exec(run_t *r)
{
    if (!r->sim)
        return 2;
    r->until = sim_until_ps(r->sim) ? sim_until_ps(r->sim) : SIM_TIME_MAX;
    r->loop = ev_default_loop(EVFLAG_AUTO);
    if (!r->loop) {
        say(r, "cannot start the event loop (libev)");
        return 1;
    }
    start_watchers(r);
    if (r->o.signals && early_signum && !r->dist) { /* a signal came during setup */
        ev_signal early;
        ev_signal_init(&early, on_signal, early_signum);
        early.data = r;
        on_signal(r->loop, &early, 0);
    }
    r->t0 = wall_now();
    ev_run(r->loop, 0);
    r->wall_s = wall_now() - r->t0;
    if (r->o.progress)
        r->o.progress(r, r->o.progress_ctx);
    return r->failed ? 1 : r->interrupted ? 130 : 0;
}

/* after finish, before the gather: flush this rank's rows into its file */
static void close_rank_trace(void *ctx)
{
    run_t *r = ctx;
    struct rank_trace *rt = &r->rt;
    if (!rt->t)
        return;
    if (trace_end_run(rt->t, rt->s, "complete", NULL, 0)) {
        say(r, "%s", trace_errmsg(rt->t));
        rt->rc = 1;
    }
    trace_close(rt->t);
    rt->t = NULL;
}

/* A distributed run's end: agree, finish, flush the rank files, gather on
 * rank 0. 1 when this rank is done (not rank 0): r->exit_code is set. */
static int dist_end(run_t *r)
{
    sim_t *s = r->sim;
    int frc = sim_dist_finish(s, close_rank_trace, r);
    int fault = sim_dist_faulted(s);
    if (fault) {
        r->failed = 1;
        if (sim_dist_fault_end(s))
            say(r, "rank %d: out of memory", r->rank);
    } else if (frc) {
        say(r, "%s", sim_errmsg(s));
        r->failed = 1;
    }
    r->failed |= sim_dist_failed(s);
    if (r->rt.rc)
        r->failed = 1;
    if (r->rank != 0) {
        if (fault)
            say(r, "%s", sim_errmsg(s));
        /* rank 0 is gone: this rank commits the run's database */
        r->lead = fault && sim_dist_fault_lead(s);
        if (r->lead)
            run_dist_note(sim_errmsg(s));
        if (fault && sim_dist_fault_lead(s) && r->o.trace_path &&
            sim_dist_trace_commit_lead(s, r->o.trace_path, r->nranks, r->wall_s, r->err,
                                       sizeof r->err))
            say(r, "%s", r->err);
        r->exit_code = r->failed ? 1 : r->interrupted ? 130 : 0;
        return 1;
    }
    if (r->t) {
        int64_t merged =
            fault ? sim_dist_trace_merge_kept(s, r->o.trace_path, r->nranks, r->err, sizeof r->err)
                  : sim_dist_trace_merge(s, r->o.trace_path, r->nranks, r->err, sizeof r->err);
        if (merged < 0) {
            say(r, "%s", r->err);
            r->failed = 1;
        } else {
            trace_add_rows(r->t, (uint64_t)merged);
        }
    }
    return 0;
}

/* Entries left undone: from the schedule here, or, in a distributed run
 * (the driver runs on one rank), from the driver's stat entries_incomplete
 * gathered on rank 0. 0 when there is no schedule. */
static size_t undone_entries(run_t *r, size_t *n)
{
    size_t done = 0;
    *n = 0;
    if (!r->dist) {
        run_sched_progress(r, &done, n);
        return *n - done;
    }
    const char *driver = NULL;
    char err[256];
    if (!(r->o.workload || r->o.schedule_in) || map_find_driver(r->sim, &driver, err, sizeof err))
        return 0;
    sim_comp_t *c = sim_comp_find(r->sim, driver);
    const map_exec_t *x = map_exec_attached(c);
    *n = x ? x->n_entries : 0;
    for (size_t i = 0; c && i < sim_stat_count(c); i++)
        if (!strcmp(sim_stat_name(c, i), "entries_incomplete"))
            return (size_t)sim_stat_value(c, i);
    return 0;
}

/* Truncated: a workload or schedule run whose entries did not all complete
 * (a time limit stopped it, or a unit never served a request). The finite
 * work of a run is its schedule; an open-ended model (traffic generators)
 * ends where its time limit says, and that run is complete. */
static void check_truncated(run_t *r)
{
    if (r->failed || r->interrupted)
        return;
    size_t n = 0, undone = undone_entries(r, &n);
    if (!undone)
        return;
    char t[32];
    sim_fmt_time(sim_end_ps(r->sim), t, sizeof t);
    snprintf(r->why_buf, sizeof r->why_buf,
             "%zu of %zu schedule entries did not complete (the run ended at %s)", undone, n, t);
    r->truncated = 1;
    r->why = r->why_buf;
}

/* The schedule's tables in the trace, and the executed schedule's JSON. */
static void write_schedule(run_t *r)
{
    if (!r->o.workload && !r->o.schedule_in)
        return;
    const char *driver = NULL;
    char err[2048];
    if (r->o.trace_path) {
        map_schedule_t *ms = NULL;
        if (!map_find_driver(r->sim, &driver, err, sizeof err))
            ms = map_attached(r->sim, driver);
        if (ms && run_trace_schedule(r->o.trace_path, ms, err, sizeof err)) {
            say(r, "%s", err);
            if (!r->exit_code)
                r->exit_code = 1;
        }
    }
    if (r->o.schedule_out) {
        if (map_find_driver(r->sim, &driver, err, sizeof err) ||
            map_schedule_write_json(map_attached(r->sim, driver), r->o.schedule_out, err,
                                    sizeof err)) {
            say(r, "%s", err);
            if (!r->exit_code)
                r->exit_code = 1;
        }
    }
}

/* Rank 0 of a distributed run, once the windows are over: the run row says
 * how the run ended before the slow end (rank files closed and merged), in
 * case mpirun kills this rank meanwhile (sim_dist_trace_mark). */
static void dist_mark_trace(run_t *r)
{
    char msg[1200], err[4400];
    int failed = r->failed || sim_dist_failed(r->sim);
    snprintf(msg, sizeof msg, "%s (the lead rank stopped before the ranks' rows were merged)",
             failed           ? "a model failed or a rank is gone"
             : r->interrupted ? r->why
                              : "the run ended");
    if (sim_dist_trace_mark(r->o.trace_path, failed ? "failed" : "interrupted", msg, err,
                            sizeof err))
        say(r, "%s", err);
}

int run_end(run_t *r)
{
    if (r->dist && r->rank == 0 && r->t)
        dist_mark_trace(r);
    if (r->dist) {
        if (dist_end(r))
            return r->exit_code;
    } else {
        sim_finish(r->sim);
    }
    check_truncated(r);
    run_status_t st = run_status(r);
    r->exit_code = st == RUN_COMPLETE ? 0 : st == RUN_INTERRUPTED ? 130 : 1;
    if (r->t) {
        if (trace_end_run(r->t, r->sim, run_status_name(st), run_message(r), r->wall_s)) {
            say(r, "%s", trace_errmsg(r->t));
            if (!r->exit_code)
                r->exit_code = 1;
        }
        r->rows = trace_rows(r->t);
        trace_close(r->t);
        r->t = NULL;
    }
    if (r->failed)
        say(r, "%s", sim_errmsg(r->sim));
    if (r->dist && sim_dist_faulted(r->sim))
        run_dist_note(sim_errmsg(r->sim));
    char density[512]; /* a unit above power_density_limit: said once, not a failure */
    if (!r->failed && sim_power_density_check(r->sim, density, sizeof density))
        say(r, "note: %s", density);
    write_schedule(r);
    return r->exit_code;
}

const char *run_errmsg(const run_t *r) { return r->err; }
sim_t *run_sim(const run_t *r) { return r->sim; }

run_status_t run_status(const run_t *r)
{
    return r->failed        ? RUN_FAILED
           : r->interrupted ? RUN_INTERRUPTED
           : r->truncated   ? RUN_TRUNCATED
                            : RUN_COMPLETE;
}

const char *run_status_name(run_status_t st)
{
    static const char *const names[] = {"complete", "truncated", "interrupted", "failed"};
    return st <= RUN_FAILED ? names[st] : "?";
}

const char *run_message(const run_t *r)
{
    run_status_t st = run_status(r);
    return st == RUN_FAILED ? sim_errmsg(r->sim) : st == RUN_COMPLETE ? NULL : r->why;
}

int run_exit_code(const run_t *r) { return r->exit_code; }
double run_wall_s(const run_t *r) { return r->wall_s; }
uint64_t run_trace_rows(const run_t *r) { return r->rows; }
const char *run_config_text(const run_t *r) { return r->text; }
const char *run_dtype_note(const run_t *r) { return r->dtype_note; }
double run_elapsed_s(const run_t *r) { return wall_now() - r->t0; }
sim_time_t run_until_ps(const run_t *r) { return r->until; }

void run_sched_progress(const run_t *r, size_t *done, size_t *n)
{
    *done = 0;
    *n = r->sched ? r->sched->n_entries : 0;
    for (size_t i = 0; i < *n; i++)
        *done += r->sched->entries[i].res.done != 0;
}
