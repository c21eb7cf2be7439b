/* A distributed run over MPI (Open MPI): conservative windows of one
 * lookahead (YAWNS, Nicol 1993: "The cost of conservative synchronization in
 * parallel discrete event simulations"). In each window every rank handles
 * its events below the window's end; events for another rank are batched and
 * exchanged at the end of the window; a global min-reduction (or, with
 * SIM_SYNC_NULL, null messages between ranks) gives the next window's start.
 * Event keys, sequence numbers and random streams are per component, so the
 * run handles exactly the sequential run's events. */
#include "sim/dist.h"
#include "sim/sim_int.h"

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int sim_dist_env_size(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE",
                                 "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 0)
            return atoi(v);
    }
    return 1;
}

/* The first-use key of an interned op name: the sequential run interns
 * names in this order (init in component order, then event order). */
typedef struct op_key {
    uint64_t phase, time, prio, src, seq, comp, local;
} op_key_t;

/* Runs of consecutive edges of one clock, in cycles [first, last]. */
typedef struct edge_run {
    uint64_t first, last;
} edge_run_t;

typedef struct edge_log {
    edge_run_t *runs;
    size_t n, cap;
} edge_log_t;

/* Events as they lie in the pool: `stride` bytes each (header + payload). */
typedef struct out_buf {
    unsigned char *ev;
    size_t n, cap; /* events, bytes */
} out_buf_t;

#define EV_AT(buf, i, stride) ((const sim_event_t *)((buf) + (i) * (stride)))
/* every window's message to a rank starts with a header of 4 words */
#define HDR_WORDS 4
#define HDR_BYTES (HDR_WORDS * sizeof(uint64_t))

struct sim_dist {
    int rank, nranks;
    sim_sync_t sync;
    uint32_t *rank_of;
    unsigned char *local;
    sim_time_t lookahead;
    sim_time_t window_end, next; /* next: global earliest pending event */
    /* null messages: the least arrival time this rank's promise allows for
     * sends in the current window (the header it sent last; a rank that
     * hears from no other runs ahead, so its window is not the bound) */
    sim_time_t promise;
    int started, finished_run, any_failed, any_stopped;
    out_buf_t *out; /* per destination rank: header room, then events */
    void *req;      /* MPI requests, one per rank */
    unsigned char *in;
    size_t in_cap; /* bytes */
    op_key_t *keys;
    size_t n_keys, cap_keys;
    edge_log_t *edges; /* per clock */
    uint64_t edges_handled;
    sim_dist_stats_t st;
    sim_time_t safe;   /* null messages: the least promise this rank holds */
    uint64_t *chan_la; /* per clock: least latency (cycles) of a cut channel, 0: none */
    int deliver_first; /* sends made during init: the first window only delivers them */
    uint64_t red[6];   /* the reductions' input and output */
    /* neighbours: the ranks this rank's cut links and channels reach (out)
     * and those whose reach this rank (in); every rank when direct sends
     * are declared (they may go anywhere). Messages go only to them. */
    unsigned char *nb_out, *nb_in;
    int n_out, n_in;
    int sparse;      /* some rank is not a neighbour: null messages need lag_req */
    void *lag_req;   /* null messages, sparse: the lagging global reduction */
    uint64_t lag[6]; /* its input and output */
    int lag_posted;
    /* faults (a rank that died or stopped answering) */
    double peer_timeout_s;     /* waits bounded by it: see sim_dist_set_peer_timeout */
    long *pid;                 /* per rank, exchanged at the start */
    unsigned char *same_host;  /* per rank: its pid can be checked here */
    unsigned long long *start; /* per rank: its process's start time (proc_start) */
    unsigned char *gone;       /* per rank: 0 alive, GONE_DIED, GONE_SILENT */
    int fault;                 /* a rank is gone: the ranks cannot finish together */
    int lead;                  /* after a fault: this rank merges and commits the trace */
    uint64_t die_at;           /* PRISM_MPI_DIE: window + 1 at which this rank kills itself */
    void *fault_req;           /* the fault notices sent to the peers */
    unsigned char *fault_msg;  /* their payload (gone[], kept until exit) */
};

static int grow_mem(void **a, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need)
        c *= 2;
    void *p = realloc(*a, c * elem);
    if (!p)
        return SIM_ERR_NOMEM;
    *a = p;
    *cap = c;
    return 0;
}

/* ---- hooks called by sim.c -------------------------------------------------- */
int sim_dist_out(sim_t *s, const sim_event_t *e)
{
    struct sim_dist *d = s->dist;
    if (e->time < d->window_end) {
        sim_comp_t *c = s->comps[e->src];
        return sim_comp_fail(c,
                             "event for '%s' (rank %u) at %llu ps falls inside the current window "
                             "(ends at %llu ps): a cross-rank delay below the lookahead of %llu ps",
                             s->comps[e->dst]->name, d->rank_of[e->dst],
                             (unsigned long long)e->time, (unsigned long long)d->window_end,
                             (unsigned long long)d->lookahead);
    }
    if (!d->nb_out[d->rank_of[e->dst]])
        return sim_comp_fail(s->comps[e->src],
                             "direct send to '%s' on rank %u, which no cut link of this rank "
                             "reaches: declare the config's `lookahead` for direct sends",
                             s->comps[e->dst]->name, d->rank_of[e->dst]);
    out_buf_t *o = &d->out[d->rank_of[e->dst]];
    size_t st = s->ev_stride;
    if (grow_mem((void **)&o->ev, &o->cap, HDR_BYTES + (o->n + 1) * st, 1))
        return sim_comp_fail(s->comps[e->src], "out of memory for cross-rank events");
    memcpy(o->ev + HDR_BYTES + o->n * st, e, st);
    o->n++;
    return 0;
}

int sim_dist_chan_out(sim_t *s, const sim_chan_t *ch, const sim_chan_wire_t *w)
{
    struct sim_dist *d = s->dist;
    sim_comp_t *from = w->credit ? ch->to : ch->from, *to = w->credit ? ch->from : ch->to;
    if (w->time < d->window_end)
        return sim_comp_fail(from,
                             "%s on the channel %s -> %s arrives at %llu ps, inside the current "
                             "window (ends at %llu ps)",
                             w->credit ? "credit" : "record", ch->from->name, ch->to->name,
                             (unsigned long long)w->time, (unsigned long long)d->window_end);
    out_buf_t *o = &d->out[d->rank_of[to->id]];
    size_t st = s->ev_stride;
    if (grow_mem((void **)&o->ev, &o->cap, HDR_BYTES + (o->n + 1) * st, 1))
        return sim_comp_fail(from, "out of memory for cross-rank channel records");
    unsigned char *slot = o->ev + HDR_BYTES + o->n * st;
    memset(slot, 0, st);
    memcpy(slot, w, sizeof *w);
    o->n++;
    return 0;
}

void sim_dist_edge(sim_t *s, int clock)
{
    struct sim_dist *d = s->dist;
    edge_log_t *l = &d->edges[clock];
    uint64_t cycle = s->now / s->clocks[clock].period;
    d->edges_handled++;
    if (l->n && l->runs[l->n - 1].last + 1 == cycle) {
        l->runs[l->n - 1].last = cycle;
        return;
    }
    if (grow_mem((void **)&l->runs, &l->cap, l->n + 1, sizeof *l->runs)) {
        s->failed = 1;
        sim_set_error(s, SIM_ERR_NOMEM, "out of memory for the clock edge log");
        return;
    }
    l->runs[l->n++] = (edge_run_t){cycle, cycle};
}

void sim_dist_op_new(sim_t *s, int op, uint32_t comp)
{
    struct sim_dist *d = s->dist;
    if (grow_mem((void **)&d->keys, &d->cap_keys, (size_t)op + 1, sizeof *d->keys))
        return; /* the op then sorts last; reported at finish */
    op_key_t k = {0, 0, 0, 0, 0, comp, (uint64_t)op};
    const sim_event_t *e = s->cur_ev;
    if (e) {
        k.phase = 1;
        k.time = e->time;
        k.prio = e->prio;
        k.src = e->src;
        /* one clock edge per instant: its per-rank sequence does not count */
        k.seq = e->src < s->n_comps ? e->seq : 0;
    } else if (s->finished) {
        k.phase = 2;
    }
    d->keys[op] = k;
    if ((size_t)op >= d->n_keys)
        d->n_keys = (size_t)op + 1;
}

void sim_dist_free(sim_t *s)
{
    struct sim_dist *d = s->dist;
    if (!d)
        return;
    for (int r = 0; d->out && r < d->nranks; r++)
        free(d->out[r].ev);
    free(d->out);
    free(d->req);
    free(d->in);
    free(d->keys);
    for (size_t i = 0; d->edges && i < s->n_clocks; i++)
        free(d->edges[i].runs);
    free(d->edges);
    free(d->rank_of);
    free(d->local);
    free(d->chan_la);
    free(d->pid);
    free(d->start);
    free(d->same_host);
    free(d->gone);
    free(d->fault_req);
    free(d->nb_out);
    free(d->nb_in);
    free(d->lag_req);
    /* fault_msg is not freed: a notice to a peer may still be in flight */
    free(d);
    s->dist = NULL;
    s->dist_local = NULL;
}

int sim_dist_rank(const sim_t *s)
{
    return s->dist ? s->dist->rank : 0;
}
int sim_dist_size(const sim_t *s)
{
    return s->dist ? s->dist->nranks : 1;
}
int sim_dist_failed(const sim_t *s)
{
    return s->dist ? s->dist->any_failed : s->failed;
}
int sim_dist_faulted(const sim_t *s)
{
    return s->dist ? s->dist->fault : 0;
}
int sim_dist_fault_lead(const sim_t *s)
{
    return s->dist ? s->dist->lead : 0;
}
int sim_dist_rank_kept(const sim_t *s, int rank)
{
    return !s->dist || rank < 0 || rank >= s->dist->nranks || !s->dist->gone[rank];
}
void sim_dist_set_peer_timeout(sim_t *s, double seconds)
{
    if (s->dist && seconds > 0)
        s->dist->peer_timeout_s = seconds;
}

/* the last SIGINT/SIGTERM (set from a signal handler) */
static volatile sig_atomic_t dist_signum;
void sim_dist_note_signal(int signum)
{
    dist_signum = signum;
}
int sim_dist_signal(void)
{
    return dist_signum;
}
void sim_dist_get_stats(const sim_t *s, sim_dist_stats_t *out)
{
    if (s->dist)
        *out = s->dist->st;
    else
        memset(out, 0, sizeof *out);
}

/* Which ranks send to which: a cut link from a component on rank a to one
 * on rank b, a cut channel both ways (records one way, credits back), every
 * pair when a direct-send lookahead is declared (direct sends may go
 * anywhere). This rank's row and column are its out- and in-neighbours;
 * `sparse` (the same on every rank: a function of the config and the
 * placement) when some rank does not hear from some other. */
static int u64_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static int dist_neighbours(sim_t *s)
{
    struct sim_dist *d = s->dist;
    uint64_t P = (uint64_t)d->nranks, me = (uint64_t)d->rank;
    size_t n = 0, cap = s->n_links + 2 * s->n_chans + 1;
    uint64_t *pair = malloc(cap * sizeof *pair); /* a * P + b: rank a sends to rank b */
    d->nb_out = calloc(P, 1);
    d->nb_in = calloc(P, 1);
    if (!pair || !d->nb_out || !d->nb_in) {
        free(pair);
        sim_dist_free(s);
        return SIM_ERR_NOMEM;
    }
    for (size_t k = 0; k < s->n_links; k++) {
        uint64_t a = d->rank_of[s->links[k].src_comp], b = d->rank_of[s->links[k].dst_comp];
        if (a != b)
            pair[n++] = a * P + b;
    }
    for (size_t k = 0; k < s->n_chans; k++) {
        uint64_t a = d->rank_of[s->chans[k]->from->id], b = d->rank_of[s->chans[k]->to->id];
        if (a != b) {
            pair[n++] = a * P + b;
            pair[n++] = b * P + a;
        }
    }
    if (n)
        qsort(pair, n, sizeof *pair, u64_cmp);
    uint64_t distinct = 0;
    for (size_t k = 0; k < n; k++) {
        if (k && pair[k] == pair[k - 1])
            continue;
        distinct++;
        uint64_t a = pair[k] / P, b = pair[k] % P;
        if (a == me)
            d->nb_out[b] = 1;
        if (b == me)
            d->nb_in[a] = 1;
    }
    free(pair);
    int all = s->opts.lookahead_ps != 0 || distinct == P * (P - 1);
    d->sparse = !all;
    d->n_out = d->n_in = 0;
    for (uint64_t r = 0; r < P; r++) {
        if (all && r != me)
            d->nb_out[r] = d->nb_in[r] = 1;
        d->n_out += d->nb_out[r];
        d->n_in += d->nb_in[r];
    }
    return 0;
}

int sim_dist_attach(sim_t *s, const uint32_t *rank_of, int rank, int nranks,
                    sim_time_t lookahead_ps, sim_sync_t sync)
{
    if (s->initialized)
        return sim_set_error(s, SIM_ERR_STATE, "sim_dist_attach after sim_init");
    if (nranks < 1 || rank < 0 || rank >= nranks)
        return sim_set_error(s, SIM_ERR_CONFIG, "rank %d of %d is not valid", rank, nranks);
    struct sim_dist *d = calloc(1, sizeof *d);
    if (!d)
        return SIM_ERR_NOMEM;
    s->dist = d;
    d->rank = rank;
    d->nranks = nranks;
    d->sync = sync;
    d->lookahead = lookahead_ps ? lookahead_ps : SIM_TIME_MAX;
    d->peer_timeout_s = 30;
    size_t n = s->n_comps;
    d->rank_of = malloc((n ? n : 1) * sizeof *d->rank_of);
    d->local = calloc(n ? n : 1, 1);
    d->out = calloc((size_t)nranks, sizeof *d->out);
    d->pid = calloc((size_t)nranks, sizeof *d->pid);
    d->same_host = calloc((size_t)nranks, 1);
    d->gone = calloc((size_t)nranks * 2, 1); /* then: heard from in this window */
    d->edges = calloc(s->n_clocks ? s->n_clocks : 1, sizeof *d->edges);
    if (!d->rank_of || !d->local || !d->out || !d->edges || !d->pid || !d->same_host || !d->gone) {
        sim_dist_free(s);
        return SIM_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (rank_of[i] >= (uint32_t)nranks) {
            sim_dist_free(s);
            return sim_set_error(s, SIM_ERR_CONFIG, "component '%s' placed on rank %u of %d",
                                 s->comps[i]->name, rank_of[i], nranks);
        }
        d->rank_of[i] = rank_of[i];
        d->local[i] = rank_of[i] == (uint32_t)rank;
    }
    /* channels whose ends are on different ranks carry their records and
     * credits in the window's batch; a window ends before the earliest
     * arrival cycle a send in it can have (window_end) */
    d->chan_la = calloc(s->n_clocks ? s->n_clocks : 1, sizeof *d->chan_la);
    if (!d->chan_la) {
        sim_dist_free(s);
        return SIM_ERR_NOMEM;
    }
    for (size_t i = 0; i < s->n_chans; i++) {
        sim_chan_t *ch = s->chans[i];
        if (d->rank_of[ch->from->id] == d->rank_of[ch->to->id])
            continue;
        sim_chan_set_cut(ch, d->local[ch->from->id], d->local[ch->to->id]);
        uint64_t lat = ch->latency < ch->credit_latency ? ch->latency : ch->credit_latency;
        if (!d->chan_la[ch->clock] || lat < d->chan_la[ch->clock])
            d->chan_la[ch->clock] = lat;
    }
    s->dist_local = d->local;
    return dist_neighbours(s);
}

#ifdef PRISM_HAVE_MPI
#include <mpi.h>

static int dist_fault_seen; /* a rank is gone: no MPI_Finalize (it would wait for it) */

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static sim_time_t sat_add(sim_time_t a, sim_time_t b)
{
    return a > SIM_TIME_MAX - b ? SIM_TIME_MAX : a + b;
}

/* The earliest time at which anything this rank sends at or after `t` can
 * reach another rank: t + the lookahead of the cut links and direct sends,
 * and for the cut channels of each clock the edge `latency` cycles after
 * the cycle t falls in (a record sent between two edges, from a message
 * handler, arrives `latency` cycles after the edge before it). Monotone in
 * t, so a window [T, horizon(T)) is safe and so is a null message's
 * promise. */
static sim_time_t horizon(const sim_t *s, sim_time_t t)
{
    const struct sim_dist *d = s->dist;
    sim_time_t h = sat_add(t, d->lookahead);
    for (size_t k = 0; k < s->n_clocks; k++) {
        if (!d->chan_la[k] || t == SIM_TIME_MAX)
            continue;
        sim_time_t p = s->clocks[k].period;
        uint64_t cycle = t / p + d->chan_la[k];
        sim_time_t at = cycle > SIM_TIME_MAX / p ? SIM_TIME_MAX : cycle * p;
        if (at < h)
            h = at;
    }
    return h;
}

static sim_time_t local_next(const sim_t *s)
{
    return s->q.n ? s->q.a[0].time : SIM_TIME_MAX;
}

int sim_dist_built(void)
{
    return 1;
}

static unsigned long long proc_start(long pid);
static void setup_pids(void);
static int w_die_at; /* PRISM_MPI_DIE=RANK:setupK: this rank dies at its K-th agreement */
static int setup_wait(MPI_Request *req);

int sim_dist_init(int *rank, int *nranks, char *err, size_t errlen)
{
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI_Init failed");
        return SIM_ERR;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, nranks);
    /* a failed call returns (and the waits then find the rank that is gone) */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    setup_pids();
    return 0;
}

void sim_dist_finalize(void)
{
    if (dist_fault_seen)
        return; /* MPI_Finalize would wait for the rank that is gone */
    int inited = 0, fin = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&fin);
    if (inited && !fin)
        MPI_Finalize();
}

int sim_dist_agree_rc(int rc)
{
    static int mine, all, calls; /* static: the reduction may outlive a rank that is gone */
    if (w_die_at && ++calls == w_die_at)
        raise(SIGKILL); /* PRISM_MPI_DIE=RANK:setupK (tests) */
    mine = all = rc;
    MPI_Request req;
    MPI_Iallreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &req);
    return setup_wait(&req) ? SIM_ERR_STATE : all;
}

double sim_dist_max_double(double v)
{
    double m = v;
    MPI_Allreduce(&v, &m, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return m;
}

int sim_dist_bcast(void **buf, size_t *len)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    static uint64_t n; /* static: the broadcast may outlive a rank that is gone */
    n = *len;
    MPI_Request req;
    MPI_Ibcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &req);
    if (setup_wait(&req))
        return SIM_ERR_STATE;
    if (rank != 0) {
        *buf = malloc(n ? n : 1);
        *len = n;
        if (!*buf)
            MPI_Abort(MPI_COMM_WORLD, 1); /* the peers wait for the broadcast */
    }
    MPI_Ibcast(*buf, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD, &req);
    if (setup_wait(&req)) {
        if (rank != 0)
            *buf = NULL; /* left allocated: the broadcast may go on */
        return SIM_ERR_STATE;
    }
    return 0;
}

/* The synchronisation's unit costs, measured with no simulation running:
 * one 3-word MPI_Allreduce (the window's reduction), one MPI_Alltoall of a
 * count per rank, and a rank-pair exchange of `bytes` (events). Mean over
 * `reps`, max over ranks. */
int sim_dist_probe(int reps, size_t bytes, double *allreduce_s, double *alltoall_s,
                   double *exchange_s)
{
    int P, rank;
    MPI_Comm_size(MPI_COMM_WORLD, &P);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int *cnt = calloc((size_t)P * 2, sizeof *cnt);
    unsigned char *sb = calloc(bytes ? bytes : 1, 1), *rb = calloc(bytes ? bytes : 1, 1);
    if (!cnt || !sb || !rb)
        MPI_Abort(MPI_COMM_WORLD, 1);
    uint64_t v[3] = {1, 1, 1}, g[3];
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = wall();
    for (int i = 0; i < reps; i++)
        MPI_Allreduce(v, g, 3, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    double t1 = wall();
    for (int i = 0; i < reps; i++)
        MPI_Alltoall(cnt, 1, MPI_INT, cnt + P, 1, MPI_INT, MPI_COMM_WORLD);
    double t2 = wall();
    int peer = rank ^ 1;
    for (int i = 0; i < reps && peer < P; i++)
        MPI_Sendrecv(sb, (int)bytes, MPI_BYTE, peer, 11, rb, (int)bytes, MPI_BYTE, peer, 11,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    double t3 = wall();
    double loc[3] = {(t1 - t0) / reps, (t2 - t1) / reps, (t3 - t2) / reps}, mx[3];
    MPI_Allreduce(loc, mx, 3, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    *allreduce_s = mx[0];
    *alltoall_s = mx[1];
    *exchange_s = mx[2];
    free(cnt);
    free(sb);
    free(rb);
    return 0;
}

/* ---- faults: a rank that died or stopped answering --------------------------- *
 * Every wait of a window (the exchange, the reduction) and of the end polls
 * its MPI requests instead of blocking, and between polls: takes a peer's
 * fault notice; checks that the ranks on this host still run (their pids,
 * exchanged at the start); and gives up on an answer after the peer timeout
 * when the peer is on another host (its pid cannot be checked) or, once a
 * SIGINT/SIGTERM arrived, on any host. A rank that finds a peer gone tells the
 * others and leaves the run; sim_dist_fault_end then lets rank 0 learn which
 * ranks are still there (their rank files are merged) and names the rest. */
enum { GONE_DIED = 1, GONE_SILENT = 2 };
#define TAG_FAULT 40
#define TAG_DONE 41
#define TAG_ACK 42
#define WATCH_S 0.02 /* seconds between two looks at the peers while waiting */

/* Field 22 of /proc/PID/stat (start time, clock ticks after boot; pid 0:
 * this process): tells a reused pid from the rank's process. 0 when the
 * process is gone or a zombie. */
static unsigned long long proc_start(long pid)
{
    char p[64], buf[1024];
    if (pid > 0)
        snprintf(p, sizeof p, "/proc/%ld/stat", pid);
    else
        snprintf(p, sizeof p, "/proc/self/stat");
    FILE *f = fopen(p, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *c = strrchr(buf, ')'); /* the command may contain spaces */
    if (!c || c[1] != ' ' || c[2] == 'Z' || c[2] == 'X')
        return 0;
    c += 2; /* field 3, the state */
    for (int field = 3; field < 22 && c; field++) {
        c = strchr(c, ' ');
        if (c)
            c++;
    }
    unsigned long long v = c ? strtoull(c, NULL, 10) : 0;
    return v ? v : 1;
}

/* ---- setup: before the run, a rank that dies is found the same way ---------- *
 * The collectives of the setup (placement, sim_init and the trace files
 * agreed) are polled too: right after MPI_Init every rank learns the pids of
 * the others (a blocking gather: no rank has work to lose yet), and a wait
 * that finds a rank of this host gone, or waits the peer timeout's default
 * after a SIGINT/SIGTERM, gives up; sim_dist_setup_gone says which. */
static long *w_pid;
static unsigned long long *w_start;
static unsigned char *w_same;
static int w_n, w_rank;
static char w_gone[256];

static void setup_pids(void)
{
    MPI_Comm_rank(MPI_COMM_WORLD, &w_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w_n);
    const char *pc = getenv("PRISM_MPI_PID_CHECK");
    int pid_check = !(pc && !strcmp(pc, "0"));
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *p = host; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    uint64_t mine[3] = {(uint64_t)getpid(), proc_start(0), h};
    uint64_t *all = calloc((size_t)w_n * 3, sizeof *all);
    w_pid = calloc((size_t)w_n, sizeof *w_pid);
    w_start = calloc((size_t)w_n, sizeof *w_start);
    w_same = calloc((size_t)w_n, 1);
    if (!all || !w_pid || !w_start || !w_same)
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Allgather(mine, 3, MPI_UINT64_T, all, 3, MPI_UINT64_T, MPI_COMM_WORLD);
    for (int r = 0; r < w_n; r++) {
        w_pid[r] = (long)all[3 * r];
        w_start[r] = all[3 * r + 1];
        w_same[r] = r != w_rank && all[3 * r + 2] == h && w_start[r] && pid_check;
    }
    free(all);
    const char *die = getenv("PRISM_MPI_DIE");
    int dr = -1, dk = 0;
    if (die && sscanf(die, "%d:setup%d", &dr, &dk) == 2 && dr == w_rank)
        w_die_at = dk;
}

static int setup_wait(MPI_Request *req)
{
    double last = wall(), sig_t = 0;
    for (;;) {
        int flag = 0;
        if (MPI_Test(req, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            snprintf(w_gone, sizeof w_gone, "an MPI call failed during the setup");
            dist_fault_seen = 1;
            return 1;
        }
        if (flag)
            return 0;
        double now = wall();
        if (now - last < WATCH_S)
            continue;
        last = now;
        size_t len = 0;
        for (int r = 0; r < w_n && len < sizeof w_gone; r++)
            if (w_same[r] && proc_start(w_pid[r]) != w_start[r])
                len += (size_t)snprintf(w_gone + len, sizeof w_gone - len, "%s%d",
                                        len ? ", " : "rank ", r);
        if (len) {
            snprintf(w_gone + len, sizeof w_gone - len, " died during the setup (rank %d saw it)",
                     w_rank);
            dist_fault_seen = 1;
            return 1;
        }
        if (dist_signum && !sig_t)
            sig_t = now;
        if (sig_t && now - sig_t > 30) {
            snprintf(w_gone, sizeof w_gone,
                     "a rank did not answer within 30 s of a SIGINT/SIGTERM during the setup");
            dist_fault_seen = 1;
            return 1;
        }
    }
}

const char *sim_dist_setup_gone(void)
{
    return w_gone[0] ? w_gone : NULL;
}

/* Every rank's pid, start time and whether it runs on this host. */
static int await_reqs(sim_t *s, int n, MPI_Request *req);
static void exchange_pids(sim_t *s)
{
    struct sim_dist *d = s->dist;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    /* PRISM_MPI_PID_CHECK=0 (tests): every peer as if on another host */
    const char *pc = getenv("PRISM_MPI_PID_CHECK");
    int pid_check = !(pc && !strcmp(pc, "0"));
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *p = host; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    /* left allocated when a rank is gone (the gather may go on) */
    uint64_t *all = calloc((size_t)d->nranks * 3 + 3, sizeof *all), *mine = all;
    d->start = calloc((size_t)d->nranks, sizeof *d->start);
    if (!all || !d->start)
        MPI_Abort(MPI_COMM_WORLD, 1);
    mine[0] = (uint64_t)getpid();
    mine[1] = proc_start(0);
    mine[2] = h;
    MPI_Request req;
    MPI_Iallgather(mine, 3, MPI_UINT64_T, all + 3, 3, MPI_UINT64_T, MPI_COMM_WORLD, &req);
    if (await_reqs(s, 1, &req))
        return;
    all += 3;
    for (int r = 0; r < d->nranks; r++) {
        d->pid[r] = (long)all[3 * r];
        d->start[r] = all[3 * r + 1];
        d->same_host[r] = r != d->rank && all[3 * r + 2] == h && d->start[r] && pid_check;
    }
    free(all - 3);
    /* fault injection for tests (docs/engine.md): PRISM_MPI_DIE=RANK:WINDOW
     * kills rank RANK with SIGKILL when it has run WINDOW windows */
    const char *die = getenv("PRISM_MPI_DIE");
    int dr = -1;
    unsigned long long dw = 0;
    if (die && sscanf(die, "%d:%llu", &dr, &dw) == 2 && dr == d->rank)
        d->die_at = dw + 1;
}

static void names_of(const struct sim_dist *d, int which, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int r = 0; r < d->nranks && len < n; r++)
        if (d->gone[r] == which)
            len += (size_t)snprintf(out + len, n - len, "%s%d", len ? ", " : "", r);
}

/* This rank leaves the run: record why, tell every peer still there. */
static int declare_fault(sim_t *s, const char *cause)
{
    struct sim_dist *d = s->dist;
    if (d->fault)
        return 1;
    d->fault = 1;
    dist_fault_seen = 1;
    char died[256], silent[256];
    names_of(d, GONE_DIED, died, sizeof died);
    names_of(d, GONE_SILENT, silent, sizeof silent);
    s->failed = 1;
    sim_set_error(s, SIM_ERR_MODEL, "rank %d left the run at %llu ps: %s%s%s%s%s", d->rank,
                  (unsigned long long)s->now, cause, died[0] ? " (died: rank " : "", died,
                  silent[0] ? (died[0] ? "; silent: rank " : " (silent: rank ") : "", silent);
    if (died[0] || silent[0])
        snprintf(s->err + strlen(s->err), sizeof s->err - strlen(s->err), ")");
    d->fault_msg = calloc((size_t)d->nranks, 1);
    d->fault_req = calloc((size_t)d->nranks, sizeof(MPI_Request));
    if (!d->fault_msg || !d->fault_req)
        return 1;
    memcpy(d->fault_msg, d->gone, (size_t)d->nranks);
    MPI_Request *req = d->fault_req;
    for (int r = 0; r < d->nranks; r++)
        if (r != d->rank && !d->gone[r])
            MPI_Isend(d->fault_msg, d->nranks, MPI_BYTE, r, TAG_FAULT, MPI_COMM_WORLD, &req[r]);
    return 1;
}

typedef struct waiter {
    double t0, last, sig_t;
    const unsigned char *heard; /* per rank; NULL: a collective, any peer may be missing */
} waiter_t;

/* One look at the peers (at most every WATCH_S): a peer's fault notice
 * (`silent_too`: also the ranks it found silent), this host's ranks' pids,
 * the peer timeout. Marks the ranks found gone; returns 1 with `cause` when
 * it found one. */
static int look(sim_t *s, waiter_t *w, int silent_too, char *cause, size_t n)
{
    struct sim_dist *d = s->dist;
    double now = wall();
    if (!w->t0)
        w->t0 = w->last = now;
    if (now - w->last < WATCH_S)
        return 0; /* MPI's own polls yield the core when oversubscribed */
    w->last = now;
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(MPI_ANY_SOURCE, TAG_FAULT, MPI_COMM_WORLD, &flag, &st) == MPI_SUCCESS && flag) {
        int len = 0;
        MPI_Get_count(&st, MPI_BYTE, &len);
        unsigned char g[4096];
        if (len > (int)sizeof g)
            len = (int)sizeof g;
        MPI_Recv(g, len, MPI_BYTE, st.MPI_SOURCE, TAG_FAULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        int found = 0;
        for (int r = 0; r < d->nranks && r < len; r++)
            if (g[r] && r != d->rank && !d->gone[r] && (silent_too || g[r] == GONE_DIED))
                d->gone[r] = g[r], found = 1;
        snprintf(cause, n, "rank %d reported a rank gone", st.MPI_SOURCE);
        if (found || silent_too)
            return 1;
    }
    int died = 0;
    for (int r = 0; r < d->nranks; r++)
        if (d->same_host[r] && !d->gone[r] && proc_start(d->pid[r]) != d->start[r]) {
            d->gone[r] = GONE_DIED;
            died = 1;
        }
    if (died) {
        snprintf(cause, n, "a rank's process on this host is gone");
        return 1;
    }
    if (dist_signum && !w->sig_t)
        w->sig_t = now;
    double from = w->sig_t > w->t0 ? w->sig_t : w->t0;
    if (now - from < d->peer_timeout_s)
        return 0;
    int silent = 0;
    for (int r = 0; r < d->nranks; r++)
        if (r != d->rank && !d->gone[r] && !(w->heard && w->heard[r]) &&
            (w->sig_t || !d->same_host[r])) {
            d->gone[r] = GONE_SILENT;
            silent = 1;
        }
    snprintf(cause, n, "no answer within %g s%s", d->peer_timeout_s,
             w->sig_t ? " of a SIGINT/SIGTERM" : "");
    return silent;
}

/* Between two polls of a wait: 1 once this rank has left the run. */
static int watch(sim_t *s, waiter_t *w)
{
    char cause[160];
    if (s->dist->fault)
        return 1;
    return look(s, w, 1, cause, sizeof cause) ? declare_fault(s, cause) : 0;
}

/* Waits for every request; 1 when this rank left the run instead. */
static int await_reqs(sim_t *s, int n, MPI_Request *req)
{
    waiter_t w = {0};
    for (;;) {
        int flag = 0;
        int rc = MPI_Testall(n, req, &flag, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS) {
            char e[MPI_MAX_ERROR_STRING] = "MPI error";
            int len = 0;
            MPI_Error_string(rc, e, &len);
            return declare_fault(s, e);
        }
        if (flag)
            return 0;
        if (watch(s, &w))
            return 1;
    }
}

/* Waits for a message with `tag` from a rank not yet `heard`. */
static int await_probe(sim_t *s, int tag, const unsigned char *heard, MPI_Status *st)
{
    waiter_t w = {.heard = heard};
    for (;;) {
        int flag = 0;
        if (MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &flag, st) == MPI_SUCCESS && flag)
            return 0;
        if (watch(s, &w))
            return 1;
    }
}

int sim_dist_fault_end(sim_t *s)
{
    struct sim_dist *d = s->dist;
    if (!d || !d->fault)
        return 0;
    char cause[160];
    int P = d->nranks;
    /* static: a send or receive may outlive this call (the peer is gone) */
    static uint64_t done_msg, ack_msg;
    /* the lead: the least rank still there, rank 0 unless it is gone; the
     * others tell it their files are closed and leave once it answers */
    for (;;) {
        int lead = 0;
        while (lead < d->rank && d->gone[lead])
            lead++;
        if (lead == d->rank)
            break;
        done_msg = s->handled;
        MPI_Request req[2];
        MPI_Isend(&done_msg, 1, MPI_UINT64_T, lead, TAG_DONE, MPI_COMM_WORLD, &req[0]);
        MPI_Irecv(&ack_msg, 1, MPI_UINT64_T, lead, TAG_ACK, MPI_COMM_WORLD, &req[1]);
        waiter_t w = {.sig_t = wall()}; /* bounded: the lead may be gone */
        if (d->gone[lead] == GONE_SILENT)
            d->gone[lead] = 0;
        for (;;) {
            int flag = 0;
            MPI_Testall(2, req, &flag, MPI_STATUSES_IGNORE);
            if (flag)
                return 0;
            look(s, &w, 0, cause, sizeof cause);
            if (d->gone[lead]) { /* the next rank leads */
                MPI_Cancel(&req[1]);
                break;
            }
        }
    }
    d->lead = 1;
    /* the lead: which ranks are still there (their rank files are closed) */
    unsigned char *heard = calloc((size_t)P, 1);
    MPI_Request *acks = calloc((size_t)P, sizeof *acks);
    if (!heard || !acks) {
        free(heard);
        free(acks);
        return SIM_ERR_NOMEM;
    }
    for (int r = d->rank + 1; r < P; r++)
        if (d->gone[r] != GONE_DIED)
            d->gone[r] = 0; /* a rank found silent gets another chance to answer */
    waiter_t w = {.heard = heard, .sig_t = wall()}; /* bounded for every peer */
    for (;;) {
        int flag = 0;
        MPI_Status st;
        if (MPI_Iprobe(MPI_ANY_SOURCE, TAG_DONE, MPI_COMM_WORLD, &flag, &st) == MPI_SUCCESS &&
            flag) {
            uint64_t v;
            int src = st.MPI_SOURCE;
            MPI_Recv(&v, 1, MPI_UINT64_T, src, TAG_DONE, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            heard[src] = 1;
            MPI_Isend(&ack_msg, 1, MPI_UINT64_T, src, TAG_ACK, MPI_COMM_WORLD, &acks[src]);
            continue; /* every message already there first */
        }
        int all = 1;
        for (int r = d->rank + 1; r < P; r++)
            all &= heard[r] || d->gone[r];
        if (all)
            break;
        look(s, &w, 0, cause, sizeof cause);
    }
    /* the answers go out before rank 0 goes on (bounded: the peer may go) */
    double until_t = wall() + d->peer_timeout_s;
    for (int r = d->rank + 1; r < P; r++) {
        if (!heard[r])
            continue;
        d->gone[r] = 0; /* it answered: it may have left since */
        int flag = 0;
        while (!flag && wall() < until_t) {
            MPI_Test(&acks[r], &flag, MPI_STATUS_IGNORE);
            if (!flag)
                sched_yield();
        }
    }
    free(heard);
    free(acks);
    char died[256], silent[256], kept[256], first[sizeof s->err];
    names_of(d, GONE_DIED, died, sizeof died);
    names_of(d, GONE_SILENT, silent, sizeof silent);
    names_of(d, 0, kept, sizeof kept);
    snprintf(first, sizeof first, "%s", s->err);
    sim_set_error(s, SIM_ERR_MODEL,
                  "%s%s%s%s%s%s: every other rank stopped; the trace keeps the rows of rank%s %s "
                  "(first report: %s)",
                  died[0] ? "rank " : "", died, died[0] ? " died" : "",
                  silent[0] ? (died[0] ? "; rank " : "rank ") : "", silent,
                  silent[0] ? " did not answer" : "", strchr(kept, ',') ? "s" : "", kept, first);
    s->failed = 1;
    return 0;
}

/* One message to every out-neighbour per window (dist_neighbours: the ranks
 * this rank's cut links and channels reach, every rank when direct sends are
 * declared): a header of HDR_WORDS words and the window's events for it
 * (none: the header alone); one from every in-neighbour. Receivers take
 * the messages in any order (MPI_Probe for the size); the tag alternates
 * with the window so that a rank one window ahead cannot be mistaken for
 * this one. Received events go straight into the queue. `hdr` is this
 * rank's header (the same to all); `fold` sees every received one. */
static int swap(sim_t *s, const uint64_t *hdr, void (*fold)(void *ctx, const uint64_t *h),
                void *ctx)
{
    struct sim_dist *d = s->dist;
    int P = d->nranks, tag = 20 + (int)(d->st.windows & 1);
    size_t st = s->ev_stride;
    MPI_Request *req = d->req;
    int nreq = 0;
    for (int r = 0; r < P; r++) {
        if (!d->nb_out[r])
            continue;
        out_buf_t *o = &d->out[r];
        if (grow_mem((void **)&o->ev, &o->cap, HDR_BYTES + o->n * st, 1))
            MPI_Abort(MPI_COMM_WORLD, 1); /* the peers wait for this message */
        memcpy(o->ev, hdr, HDR_BYTES);
        d->st.messages_sent += o->n;
        d->st.peer_messages++;
        MPI_Isend(o->ev, (int)(HDR_BYTES + o->n * st), MPI_BYTE, r, tag, MPI_COMM_WORLD,
                  &req[nreq++]);
    }
    int err = 0;
    /* heard from this window (a rank that sends nothing here counts as heard) */
    for (int r = 0; r < P; r++)
        d->gone[P + r] = !d->nb_in[r];
    for (int k = 0; k < d->n_in; k++) {
        MPI_Status status;
        int bytes = 0;
        if (await_probe(s, tag, d->gone + P, &status))
            return SIM_ERR_STATE; /* a rank is gone: d->fault */
        d->gone[P + status.MPI_SOURCE] = 1;
        MPI_Get_count(&status, MPI_BYTE, &bytes);
        if (grow_mem((void **)&d->in, &d->in_cap, (size_t)bytes + 1, 1))
            MPI_Abort(MPI_COMM_WORLD, 1);
        MPI_Recv(d->in, bytes, MPI_BYTE, status.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        uint64_t h[HDR_WORDS];
        memcpy(h, d->in, HDR_BYTES);
        if (fold)
            fold(ctx, h);
        size_t n = ((size_t)bytes - HDR_BYTES) / st;
        for (size_t i = 0; i < n && !err; i++)
            err = sim_event_inject(s, EV_AT(d->in + HDR_BYTES, i, st));
    }
    if (await_reqs(s, nreq, req))
        return SIM_ERR_STATE;
    for (int r = 0; r < P; r++)
        d->out[r].n = 0;
    return err;
}

/* The earliest time of an event or channel entry waiting in the batches. */
static sim_time_t out_earliest(const sim_t *s)
{
    const struct sim_dist *d = s->dist;
    size_t st = s->ev_stride;
    sim_time_t earliest = SIM_TIME_MAX;
    for (int r = 0; r < d->nranks; r++)
        for (size_t i = 0; i < d->out[r].n; i++)
            if (EV_AT(d->out[r].ev + HDR_BYTES, i, st)->time < earliest)
                earliest = EV_AT(d->out[r].ev + HDR_BYTES, i, st)->time;
    return earliest;
}

/* Null messages (Chandy-Misra-Bryant, in rounds): the header carries a
 * promise (no event from this rank before min(its next event, its safe
 * time) + lookahead), the rank's stop/fail flags and its earliest pending or
 * sent event, so every rank learns the end of the run in the same round
 * without a collective. A rank's next window ends at the least promise it
 * holds: one message per peer per window, nothing else. */
typedef struct null_fold {
    sim_time_t lo, next;
    uint64_t flags;
} null_fold_t;

static void fold_null(void *ctx, const uint64_t *h)
{
    null_fold_t *f = ctx;
    if (h[0] < f->lo)
        f->lo = h[0];
    f->flags |= h[1];
    if (h[2] < f->next)
        f->next = h[2];
}

/* No event anywhere before `gnext` (the earliest of every queue and batch,
 * now or, lagging, a window ago: events only beget later ones), so nothing
 * sent from now on arrives before horizon(gnext): the window may jump an
 * idle gap at once instead of creeping by one lookahead per round. */
static void null_jump(const sim_t *s, sim_time_t *safe, sim_time_t gnext)
{
    sim_time_t j = horizon(s, gnext);
    if (gnext && j > *safe)
        *safe = j;
}

static int exchange_null(sim_t *s, sim_time_t *safe, int stop, int *any_stop, int *any_fail,
                         sim_time_t *gnext)
{
    struct sim_dist *d = s->dist;
    sim_time_t next = local_next(s);
    sim_time_t earliest = out_earliest(s);
    if (next < earliest)
        earliest = next;
    uint64_t hdr[HDR_WORDS] = {horizon(s, next < *safe ? next : *safe),
                               (stop ? 1u : 0u) | (s->failed ? 2u : 0u), earliest, 0};
    d->promise = hdr[0];
    null_fold_t f = {SIM_TIME_MAX, earliest, hdr[1]};
    int err = swap(s, hdr, fold_null, &f);
    *safe = d->nranks > 1 ? f.lo : SIM_TIME_MAX;
    *any_stop = (f.flags & 1u) != 0;
    *any_fail = (f.flags & 2u) != 0;
    *gnext = f.next;
    if (!d->sparse || d->fault) {
        null_jump(s, safe, *gnext);
        return err;
    }
    /* some rank does not hear from some other: the flags and the earliest
     * event come from a reduction posted at the end of the previous window
     * (all queues then, the batches just delivered), which had this window
     * to complete; every rank reads it after the same window */
    uint64_t *v = d->lag, *g = d->lag + 3;
    *any_stop = *any_fail = 0;
    *gnext = 0; /* no verdict yet: go on */
    if (d->lag_posted) {
        if (await_reqs(s, 1, d->lag_req))
            return SIM_ERR_STATE;
        *gnext = g[0];
        *any_stop = g[1] == 0;
        *any_fail = g[2] == 0;
    }
    v[0] = local_next(s);
    v[1] = stop ? 0 : 1;
    v[2] = s->failed || err ? 0 : 1;
    MPI_Iallreduce(v, g, 3, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD, d->lag_req);
    d->lag_posted = 1;
    null_jump(s, safe, *gnext);
    return err;
}

/* The last lagging reduction is over before the end's collectives. */
static void lag_drain(sim_t *s)
{
    struct sim_dist *d = s->dist;
    if (d->lag_posted && !d->fault && !await_reqs(s, 1, d->lag_req))
        d->lag_posted = 0;
}

/* The global earliest pending event and the flags of every rank; 1 when a
 * rank is gone instead (the buffers live in d: the reduction may never end). */
static int reduce_next(sim_t *s, int stop, int failed, sim_time_t *next, int *any_stop,
                       int *any_fail)
{
    struct sim_dist *d = s->dist;
    uint64_t *v = d->red, *g = d->red + 3;
    v[0] = local_next(s);
    v[1] = stop ? 0 : 1;
    v[2] = failed ? 0 : 1;
    MPI_Request req;
    MPI_Iallreduce(v, g, 3, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD, &req);
    if (await_reqs(s, 1, &req))
        return 1;
    *next = g[0];
    *any_stop = g[1] == 0;
    *any_fail = g[2] == 0;
    return 0;
}

int sim_dist_run(sim_t *s, uint64_t max_events, int stop_request, int *done, int *stopped)
{
    struct sim_dist *d = s->dist;
    *done = 0;
    *stopped = 0;
    if (!s->initialized)
        return sim_set_error(s, SIM_ERR_STATE, "sim_dist_run before sim_init");
    sim_time_t until = s->opts.until_ps ? s->opts.until_ps : SIM_TIME_MAX;
    if (!d->started) {
        int st, fl;
        d->req = calloc((size_t)d->nranks, sizeof(MPI_Request));
        d->lag_req = calloc(1, sizeof(MPI_Request));
        if (!d->req || !d->lag_req)
            MPI_Abort(MPI_COMM_WORLD, 1);
        exchange_pids(s);
        double t0 = wall();
        if (d->fault || reduce_next(s, 0, s->failed, &d->next, &st, &fl))
            fl = 1; /* a rank is gone: d->fault */
        /* events and channel records sent during init wait in the batches:
         * then the first window runs nothing and only delivers them */
        uint64_t *sent = d->red, *first_sent = d->red + 1;
        *sent = *first_sent = out_earliest(s);
        MPI_Request req;
        if (!d->fault) {
            MPI_Iallreduce(sent, first_sent, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD, &req);
            if (await_reqs(s, 1, &req))
                fl = 1;
        }
        if (!d->fault && *first_sent != SIM_TIME_MAX) {
            d->deliver_first = 1;
            if (*first_sent < d->next)
                d->next = *first_sent;
        }
        d->st.reduce_s += wall() - t0;
        d->started = 1;
        d->safe = horizon(s, d->next); /* nothing anywhere before next */
        d->promise = d->safe;
        if (fl) {
            d->any_failed = 1;
            d->finished_run = 1;
        }
    }
    if (d->finished_run) {
        *done = 1;
        *stopped = d->any_stopped;
        return d->any_failed ? SIM_ERR_MODEL : 0;
    }
    uint64_t start = s->handled;
    for (;;) {
        if (d->next == SIM_TIME_MAX || d->next >= until) {
            lag_drain(s);
            d->finished_run = 1;
            *done = 1;
            return 0;
        }
        if (d->die_at && d->st.windows + 1 == d->die_at)
            raise(SIGKILL); /* PRISM_MPI_DIE */
        sim_time_t end = d->sync == SIM_SYNC_REDUCE ? horizon(s, d->next) : d->safe;
        if (end > until)
            end = until;
        if (d->deliver_first) {
            end = d->next;
            d->deliver_first = 0;
        }
        /* what a send in this window may not undercut: the window's end
         * (reduce), the promise the peers hold (null messages) */
        d->window_end = d->sync == SIM_SYNC_NULL && d->promise < end ? d->promise : end;
        double t0 = wall(), c0 = cpu_now();
        sim_run(s, end, UINT64_MAX);
        double t1 = wall();
        d->st.run_cpu_s += cpu_now() - c0;
        int err, any_stop = 0, any_fail = 0;
        int stop = stop_request || dist_signum; /* a signal seen while waiting counts */
        if (d->sync == SIM_SYNC_REDUCE) {
            uint64_t hdr[HDR_WORDS] = {0, 0, 0, 0};
            err = swap(s, hdr, NULL, NULL);
            double t2 = wall();
            d->st.exchange_s += t2 - t1;
            if (!d->fault)
                reduce_next(s, stop, s->failed || err, &d->next, &any_stop, &any_fail);
            d->st.reduce_s += wall() - t2;
        } else {
            err = exchange_null(s, &d->safe, stop, &any_stop, &any_fail, &d->next);
            d->st.exchange_s += wall() - t1;
        }
        if (d->fault) { /* a rank is gone: leave without the others (sim_dist_fault_end) */
            d->any_failed = 1;
            d->finished_run = 1;
            *done = 1;
            return SIM_ERR_MODEL;
        }
        if (err && !s->failed) {
            s->failed = 1;
            sim_set_error(s, err, "out of memory for events from other ranks");
        }
        d->st.run_s += t1 - t0;
        d->st.windows++;
        if (any_fail || err || any_stop)
            lag_drain(s);
        if (any_fail || err) {
            d->any_failed = 1;
            d->finished_run = 1;
            *done = 1;
            return SIM_ERR_MODEL;
        }
        if (any_stop) {
            d->any_stopped = 1;
            d->finished_run = 1;
            *done = 1;
            *stopped = 1;
            return 0;
        }
        if (s->handled - start >= max_events)
            return 0;
    }
}

/* ---- the end: agree, finish, gather ------------------------------------------ */
typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    int err;
} buf_t;

static void put(buf_t *b, const void *v, size_t n)
{
    if (!n)
        return;
    if (b->err || grow_mem((void **)&b->p, &b->cap, b->n + n, 1)) {
        b->err = 1;
        return;
    }
    memcpy(b->p + b->n, v, n);
    b->n += n;
}
static void put_u64(buf_t *b, uint64_t v)
{
    put(b, &v, 8);
}
static void put_f64(buf_t *b, double v)
{
    put(b, &v, 8);
}
static void put_str(buf_t *b, const char *s)
{
    uint64_t n = s ? strlen(s) : 0;
    put_u64(b, n);
    put(b, s, n);
}

typedef struct rd {
    const unsigned char *p, *end;
    int err;
} rd_t;
static void get(rd_t *r, void *v, size_t n)
{
    if (r->err || (size_t)(r->end - r->p) < n) {
        r->err = 1;
        memset(v, 0, n);
        return;
    }
    memcpy(v, r->p, n);
    r->p += n;
}
static uint64_t get_u64(rd_t *r)
{
    uint64_t v;
    get(r, &v, 8);
    return v;
}
static double get_f64(rd_t *r)
{
    double v;
    get(r, &v, 8);
    return v;
}
/* a pointer into the buffer and its length (not terminated) */
static const char *get_str(rd_t *r, size_t *len)
{
    uint64_t n = get_u64(r);
    if (r->err || (size_t)(r->end - r->p) < n) {
        r->err = 1;
        *len = 0;
        return "";
    }
    const char *s = (const char *)r->p;
    r->p += n;
    *len = (size_t)n;
    return s;
}

/* What one rank knows and rank 0 needs. */
static void pack_rank(sim_t *s, buf_t *b)
{
    struct sim_dist *d = s->dist;
    put_u64(b, s->handled);
    put_u64(b, d->edges_handled);
    put_u64(b, (uint64_t)s->failed);
    put_u64(b, s->last_event_ps);
    put_str(b, s->failed ? s->err : "");
    put_u64(b, d->st.windows);
    put_u64(b, d->st.messages_sent);
    put_u64(b, d->st.peer_messages);
    put_f64(b, d->st.run_s);
    put_f64(b, d->st.run_cpu_s);
    put_f64(b, d->st.exchange_s);
    put_f64(b, d->st.reduce_s);
    /* clock edge runs */
    for (size_t k = 0; k < s->n_clocks; k++) {
        put_u64(b, d->edges[k].n);
        put(b, d->edges[k].runs, d->edges[k].n * sizeof(edge_run_t));
    }
    /* components this rank ran */
    uint64_t nloc = 0;
    for (size_t i = 0; i < s->n_comps; i++)
        nloc += d->local[i];
    put_u64(b, nloc);
    for (size_t i = 0; i < s->n_comps; i++) {
        if (!d->local[i])
            continue;
        sim_comp_t *c = s->comps[i];
        put_u64(b, i);
        put_u64(b, c->events);
        put_u64(b, c->busy);
        put_f64(b, c->static_mw);
        put_u64(b, (uint64_t)c->n_stats);
        for (int k = 0; k < c->n_stats; k++) {
            put_u64(b, (uint64_t)c->stats[k].kind);
            put_f64(b, c->stats[k].value);
            put_str(b, c->stats[k].name);
            put_str(b, c->stats[k].unit);
        }
    }
    /* links driven by those components */
    uint64_t nl = 0;
    for (size_t i = 0; i < s->n_links; i++)
        nl += d->local[s->links[i].src_comp];
    put_u64(b, nl);
    for (size_t i = 0; i < s->n_links; i++) {
        const sim_link_t *l = &s->links[i];
        if (!d->local[l->src_comp])
            continue;
        put_u64(b, i);
        put_u64(b, l->messages);
        put_u64(b, l->bytes);
        put_u64(b, l->busy);
        put_u64(b, l->free_at);
    }
    /* op names with their first-use keys */
    put_u64(b, s->n_ops);
    for (size_t i = 0; i < s->n_ops; i++) {
        op_key_t k = i < d->n_keys ? d->keys[i] : (op_key_t){3, 0, 0, 0, 0, 0, i};
        put(b, &k, sizeof k);
        put_str(b, s->op_names[i]);
    }
}

typedef struct named_key {
    op_key_t key;
    char *name;
    int rank;
} named_key_t;

static int key_cmp(const void *a, const void *b)
{
    const named_key_t *x = a, *y = b;
    const uint64_t *p = &x->key.phase, *q = &y->key.phase;
    for (int i = 0; i < 7; i++)
        if (p[i] != q[i])
            return p[i] < q[i] ? -1 : 1;
    return x->rank - y->rank;
}

static int run_cmp(const void *a, const void *b)
{
    const edge_run_t *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Rank 0 takes the other ranks' numbers into its sim. */
static int unpack_all(sim_t *s, const unsigned char *all, const int *len, const int *off)
{
    struct sim_dist *d = s->dist;
    int P = d->nranks;
    uint64_t handled = 0;
    int rc = 0;
    edge_run_t **runs = calloc(s->n_clocks ? s->n_clocks : 1, sizeof *runs);
    size_t *n_runs = calloc(s->n_clocks ? s->n_clocks : 1, sizeof *n_runs);
    size_t *cap_runs = calloc(s->n_clocks ? s->n_clocks : 1, sizeof *cap_runs);
    named_key_t *keys = NULL;
    size_t n_keys = 0, cap_keys = 0;
    sim_time_t fail_time = SIM_TIME_MAX;
    char fail_msg[sizeof s->err] = "";
    if (!runs || !n_runs || !cap_runs)
        rc = SIM_ERR_NOMEM;
    for (int r = 0; r < P && !rc; r++) {
        rd_t R = {all + off[r], all + off[r] + len[r], 0};
        uint64_t h = get_u64(&R), edges = get_u64(&R), failed = get_u64(&R);
        uint64_t last = get_u64(&R);
        size_t ml;
        const char *msg = get_str(&R, &ml);
        handled += h - edges;
        if (failed && last < fail_time) {
            fail_time = last;
            snprintf(fail_msg, sizeof fail_msg, "%.*s", (int)ml, msg);
        }
        sim_dist_stats_t st;
        st.windows = get_u64(&R);
        st.messages_sent = get_u64(&R);
        st.peer_messages = get_u64(&R);
        st.run_s = get_f64(&R);
        st.run_cpu_s = get_f64(&R);
        st.exchange_s = get_f64(&R);
        st.reduce_s = get_f64(&R);
        if (r) {
            d->st.messages_sent += st.messages_sent;
            d->st.peer_messages += st.peer_messages;
            if (st.run_s > d->st.run_s)
                d->st.run_s = st.run_s;
            if (st.run_cpu_s > d->st.run_cpu_s)
                d->st.run_cpu_s = st.run_cpu_s;
            if (st.exchange_s > d->st.exchange_s)
                d->st.exchange_s = st.exchange_s;
            if (st.reduce_s > d->st.reduce_s)
                d->st.reduce_s = st.reduce_s;
        }
        for (size_t k = 0; k < s->n_clocks && !R.err; k++) {
            size_t n = (size_t)get_u64(&R);
            if (n > (size_t)(R.end - R.p) / sizeof(edge_run_t)) {
                R.err = 1;
                break;
            }
            if (grow_mem((void **)&runs[k], &cap_runs[k], n_runs[k] + n + 1, sizeof **runs)) {
                rc = SIM_ERR_NOMEM;
                break;
            }
            get(&R, runs[k] + n_runs[k], n * sizeof(edge_run_t));
            n_runs[k] += n;
        }
        uint64_t nloc = get_u64(&R);
        for (uint64_t i = 0; i < nloc && !R.err && !rc; i++) {
            uint64_t id = get_u64(&R);
            if (id >= s->n_comps) {
                R.err = 1;
                break;
            }
            sim_comp_t *c = s->comps[id];
            uint64_t ev = get_u64(&R), busy = get_u64(&R);
            double mw = get_f64(&R);
            uint64_t ns = get_u64(&R);
            for (uint64_t k = 0; k < ns && !R.err; k++) {
                sim_stat_kind_t kind = (sim_stat_kind_t)get_u64(&R);
                double v = get_f64(&R);
                size_t nl, ul;
                const char *nm = get_str(&R, &nl), *un = get_str(&R, &ul);
                if (r == 0)
                    continue;
                char name[256], unit[64];
                snprintf(name, sizeof name, "%.*s", (int)nl, nm);
                snprintf(unit, sizeof unit, "%.*s", (int)ul, un);
                int hnd = sim_stat(c, name, kind, unit);
                if (hnd < 0) {
                    rc = SIM_ERR_NOMEM;
                    break;
                }
                c->stats[hnd].value = v;
            }
            if (r) {
                c->events = ev;
                c->busy = busy;
                c->static_mw = mw;
            }
        }
        uint64_t nl = get_u64(&R);
        for (uint64_t i = 0; i < nl && !R.err; i++) {
            uint64_t li = get_u64(&R);
            uint64_t m = get_u64(&R), by = get_u64(&R), bu = get_u64(&R), fa = get_u64(&R);
            if (li >= s->n_links) {
                R.err = 1;
                break;
            }
            sim_link_t *l = &s->links[li];
            l->messages = m;
            l->bytes = by;
            l->busy = bu;
            l->free_at = fa;
        }
        uint64_t nops = get_u64(&R);
        for (uint64_t i = 0; i < nops && !R.err && !rc; i++) {
            named_key_t nk = {.rank = r};
            get(&R, &nk.key, sizeof nk.key);
            size_t sl;
            const char *nm = get_str(&R, &sl);
            nk.name = strndup(nm, sl);
            if (!nk.name || grow_mem((void **)&keys, &cap_keys, n_keys + 1, sizeof *keys)) {
                free(nk.name);
                rc = SIM_ERR_NOMEM;
                break;
            }
            keys[n_keys++] = nk;
        }
        if (R.err && !rc)
            rc = sim_set_error(s, SIM_ERR, "rank %d sent a malformed summary", r);
    }
    if (!rc) {
        /* clock edges: every instant counts once, whichever ranks had one */
        for (size_t k = 0; k < s->n_clocks; k++) {
            if (n_runs[k])
                qsort(runs[k], n_runs[k], sizeof **runs, run_cmp);
            uint64_t count = 0, hi = 0;
            int have = 0;
            for (size_t i = 0; i < n_runs[k]; i++) {
                edge_run_t e = runs[k][i];
                if (have && e.first <= hi) {
                    if (e.last > hi) {
                        count += e.last - hi;
                        hi = e.last;
                    }
                } else {
                    count += e.last - e.first + 1;
                    hi = e.last;
                    have = 1;
                }
            }
            handled += count;
        }
        s->handled = handled;
        /* op ids: the sequential run's first-use order */
        if (n_keys)
            qsort(keys, n_keys, sizeof *keys, key_cmp);
        char **names = calloc(n_keys ? n_keys : 1, sizeof *names);
        unsigned char *keep = calloc(n_keys ? n_keys : 1, 1);
        size_t n = 0;
        if (!names || !keep)
            rc = SIM_ERR_NOMEM;
        for (size_t i = 0; i < n_keys && !rc; i++) {
            int dup = 0;
            for (size_t j = 0; j < n && !dup; j++)
                dup = strcmp(names[j], keys[i].name) == 0;
            if (dup)
                continue;
            names[n] = keys[i].name;
            keys[i].name = NULL;
            /* the filter is a function of the name: rank 0's own verdict */
            keep[n] = 1;
            for (size_t j = 0; j < s->n_ops; j++)
                if (!strcmp(s->op_names[j], names[n]))
                    keep[n] = s->op_keep[j];
            n++;
        }
        if (!rc) {
            for (size_t i = 0; i < s->n_ops; i++)
                free(s->op_names[i]);
            free(s->op_names);
            free(s->op_keep);
            s->op_names = names;
            s->op_keep = keep;
            s->n_ops = s->cap_ops = n;
            for (int i = 0; i < 256; i++)
                s->msg_ops[i] = -1;
        } else {
            free(names);
            free(keep);
        }
        if (fail_time != SIM_TIME_MAX) {
            s->failed = 1;
            snprintf(s->err, sizeof s->err, "%s", fail_msg);
        }
    }
    for (size_t i = 0; i < n_keys; i++)
        free(keys[i].name);
    free(keys);
    for (size_t k = 0; runs && k < s->n_clocks; k++)
        free(runs[k]);
    free(runs);
    free(n_runs);
    free(cap_runs);
    return rc;
}

int sim_dist_finish(sim_t *s, void (*before_gather)(void *ctx), void *ctx)
{
    struct sim_dist *d = s->dist;
    if (!d) {
        sim_finish(s);
        if (before_gather)
            before_gather(ctx);
        return 0;
    }
    /* a rank is gone: this rank's own end only (sim_dist_fault_end next) */
    if (d->fault) {
        sim_finish(s);
        if (before_gather)
            before_gather(ctx);
        return SIM_ERR_STATE;
    }
    /* the end time: the last event anywhere, or `until` when events remain;
     * every collective of the end is polled (a rank may die meanwhile) and
     * its buffers live in d or are left allocated when a rank is gone */
    sim_time_t until = s->opts.until_ps;
    uint64_t *end = d->red, *gend = d->red + 1;
    *end = s->last_event_ps;
    if (until && s->q.n && s->q.a[0].time >= until && !d->any_stopped && !d->any_failed)
        *end = until;
    MPI_Request req;
    MPI_Iallreduce(end, gend, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD, &req);
    int left = await_reqs(s, 1, &req);
    s->now = left ? s->last_event_ps : *gend;
    sim_finish(s);
    if (before_gather)
        before_gather(ctx);
    if (left)
        return SIM_ERR_STATE;
    buf_t b = {0};
    pack_rank(s, &b);
    int P = d->nranks;
    int *len = calloc((size_t)P * 2 + 1, sizeof *len), *off = len ? len + P : NULL;
    if (!len)
        MPI_Abort(MPI_COMM_WORLD, 1);
    int *mylen = &len[2 * P];
    *mylen = b.err ? -1 : (int)b.n;
    MPI_Igather(mylen, 1, MPI_INT, len, 1, MPI_INT, 0, MPI_COMM_WORLD, &req);
    if (await_reqs(s, 1, &req))
        return SIM_ERR_STATE; /* len and b stay allocated: the gather may go on */
    int bad = 0;
    size_t total = 0;
    if (d->rank == 0)
        for (int r = 0; r < P; r++) {
            if (len[r] < 0)
                bad = 1, len[r] = 0;
            off[r] = (int)total;
            total += (size_t)len[r];
        }
    unsigned char *all = d->rank == 0 ? malloc(total ? total : 1) : NULL;
    if (d->rank == 0 && !all)
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Igatherv(b.p, *mylen < 0 ? 0 : *mylen, MPI_BYTE, all, len, off, MPI_BYTE, 0, MPI_COMM_WORLD,
                 &req);
    if (await_reqs(s, 1, &req))
        return SIM_ERR_STATE;
    int rc = 0;
    if (d->rank == 0) {
        rc = bad ? sim_set_error(s, SIM_ERR_NOMEM, "out of memory gathering the ranks' results")
                 : unpack_all(s, all, len, off);
    }
    free(all);
    free(len);
    free(b.p);
    return rc;
}

#else /* no MPI */

int sim_dist_built(void)
{
    return 0;
}
int sim_dist_init(int *rank, int *nranks, char *err, size_t errlen)
{
    *rank = 0;
    *nranks = 1;
    snprintf(err, errlen,
             "this prism was built without MPI (install Open MPI's mpicc and "
             "rebuild: make clean && make)");
    return SIM_ERR_STATE;
}
void sim_dist_finalize(void) {}
const char *sim_dist_setup_gone(void)
{
    return NULL;
}
int sim_dist_agree_rc(int rc)
{
    return rc;
}
double sim_dist_max_double(double v)
{
    return v;
}
int sim_dist_bcast(void **buf, size_t *len)
{
    (void)buf;
    (void)len;
    return 0;
}
int sim_dist_probe(int reps, size_t bytes, double *allreduce_s, double *alltoall_s,
                   double *exchange_s)
{
    (void)reps;
    (void)bytes;
    *allreduce_s = *alltoall_s = *exchange_s = 0;
    return SIM_ERR_STATE;
}
int sim_dist_run(sim_t *s, uint64_t max_events, int stop_request, int *done, int *stopped)
{
    (void)max_events;
    (void)stop_request;
    *done = 1;
    *stopped = 0;
    return sim_set_error(s, SIM_ERR_STATE, "this prism was built without MPI");
}
int sim_dist_finish(sim_t *s, void (*before_gather)(void *ctx), void *ctx)
{
    sim_finish(s);
    if (before_gather)
        before_gather(ctx);
    return 0;
}
int sim_dist_fault_end(sim_t *s)
{
    (void)s;
    return 0;
}
#endif
