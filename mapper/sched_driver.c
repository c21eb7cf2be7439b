/* schedule_driver: runs a schedule (mapper/map.h, built by the mapper) on
 * the chip. Each entry goes to the unit linked from the driver's port of that
 * name once every entry it waits for has completed, at most `outstanding`
 * requests in flight per unit; zero-cost entries complete when they become
 * ready. Timing comes from the devices and links only: the driver adds none. */
#include "mapper/map.h"
#include "noc/noc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SDRV_MSG_START = 100 };

typedef struct sdrv_unit {
    int port;
    uint64_t in_flight;
    uint32_t *heap; /* ready entries of this unit, smallest index (program order) first */
    size_t heap_n;
    int st_requests, st_cycles;
    int st_xfer_out, st_xfer_in; /* bytes this unit sent / received by transfers (-1: none) */
} sdrv_unit_t;

typedef struct sched_driver {
    map_exec_t *sched;
    int initialized;
    uint64_t outstanding;
    int sequential;
    sim_time_t start_ps;
    sdrv_unit_t *units;
    uint32_t *waiting; /* predecessors not yet done, per entry */
    size_t *succ_off;  /* successors of entry i: succ[succ_off[i] .. succ_off[i + 1]) */
    uint32_t *succ;
    uint32_t *stack;    /* entries that completed and whose successors are to release */
    uint32_t *net_heap; /* ready transfers the network carries, smallest index first */
    size_t net_n;
    int *net_port;      /* per unit: the driver's port to its node's terminal (-1 none) */
    uint32_t *fwd_from; /* per entry: 1 + the entry that forwards to it (0: none) */
    int *trace_op;      /* per entry */
    uint64_t entries_done;
    sim_time_t last_done_ps;
    int st_entries, st_entries_done, st_zero, st_requests, st_completed, st_cycles, st_energy,
        st_bytes, st_lat_sum, st_macs, st_makespan, st_last_done, st_incomplete;
    int st_xfers, st_xfer_bytes;
} sched_driver_t;

static const sim_param_def_t sdrv_params[] = {
    {"outstanding", SIM_P_INT, "1", "", 1, 1048576, NULL,
     "requests in flight at once per unit (1: a unit gets its next request when the previous "
     "one completed)",
     "design parameter (depth of each unit's command queue)"},
    {"order", SIM_P_ENUM, "graph", "", 0, 0, "graph|sequential",
     "graph: an entry waits for the entries it depends on; sequential: for the previous "
     "entry",
     "data dependencies of the workload graph (mapper/map.h)"},
    {"stream_weights", SIM_P_BOOL, "true", "", 0, 0, NULL,
     "mapper: read each GEMM's weights from the 'dram' unit before it runs (when linked)",
     "weights of LLMs do not fit on chip (GPT-2 small f32: 498 MB)"},
    {"weight_buffers", SIM_P_INT, "2", "", 1, 1024, NULL,
     "mapper: weight sets resident at once (a load waits for the GEMM that many loads "
     "earlier)",
     "double buffering (design parameter)"},
    {"kv_cache", SIM_P_BOOL, "true", "", 0, 0, NULL,
     "mapper: a decoder's KV cache is data in memory (the 'sram' unit when it fits, else "
     "'dram'): decode reads the past keys/values and writes the new token's, prefill writes "
     "the ones it computes; false: taken as on chip, no traffic",
     "decode is memory-bound on the cache (Vidur, MLSys 2024; vLLM, SOSP 2023)"},
    {"start_ps", SIM_P_INT, "0", "ps", 0, 9.2e18, NULL, "when the first entries are issued", ""},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const char *const sdrv_in_ports[] = {"done", NULL};

/* ---- schedule structure ------------------------------------------------------------ */
int map_exec_check(const map_exec_t *s, char *err, size_t n)
{
    if (!s || (s->n_entries && !s->entries)) {
        snprintf(err, n, "empty schedule");
        return SIM_ERR_CONFIG;
    }
    if (s->n_entries >= UINT32_MAX) {
        snprintf(err, n, "schedule has %zu entries (at most %u)", s->n_entries,
                 (unsigned)UINT32_MAX - 1);
        return SIM_ERR_CONFIG;
    }
    for (size_t i = 0; i < s->n_entries; i++) {
        const map_exec_entry_t *e = &s->entries[i];
        const char *nm = e->name ? e->name : "?";
        if (e->unit >= 0 && ((size_t)e->unit >= s->n_units || !s->units || !s->units[e->unit])) {
            snprintf(err, n, "schedule entry %zu (%s): unit index %d out of range", i, nm, e->unit);
            return SIM_ERR_CONFIG;
        }
        if (e->unit >= 0 && e->req.kind == DEV_OP_TRANSFER &&
            (e->req.k >= s->n_units || e->req.n >= s->n_units || e->req.m == 0)) {
            snprintf(err, n,
                     "schedule entry %zu (%s): a transfer needs bytes > 0 and units in range "
                     "(from %llu, to %llu of %zu)",
                     i, nm, (unsigned long long)e->req.k, (unsigned long long)e->req.n, s->n_units);
            return SIM_ERR_CONFIG;
        }
        if (e->unit >= 0 && e->reps == 0) {
            snprintf(err, n, "schedule entry %zu (%s): reps must be >= 1", i, nm);
            return SIM_ERR_CONFIG;
        }
        if (e->fwd_to) {
            const map_exec_entry_t *f = e->fwd_to < s->n_entries ? &s->entries[e->fwd_to] : NULL;
            const char *why = NULL;
            if (!f || e->fwd_to <= i)
                why = "is not a later entry";
            else if (e->unit < 0 || f->unit < 0 || f->unit == e->unit)
                why = "must run on another unit, and both must be requests";
            else if (e->reps != 1 || f->reps != 1)
                why = "and this entry must have reps 1";
            else if (f->n_preds != 1 || f->pred_off >= s->n_preds || s->preds[f->pred_off] != i)
                why = "must wait for this entry only";
            else if (f->fwd_to)
                why = "forwards again (chains of one hop only)";
            else if (e->req.kind == DEV_OP_TRANSFER || f->req.kind == DEV_OP_TRANSFER)
                why = "and this entry must not be transfers";
            else if (e->fwd_bytes == 0 || e->fwd_bytes > UINT32_MAX)
                why = "needs forward bytes in [1, 2^32)";
            else if (s->units && s->units[f->unit] &&
                     strlen(s->units[f->unit]) >= sizeof(((dev_fwd_t *)0)->port))
                why = "runs on a unit whose name is longer than 23 characters";
            if (why) {
                snprintf(err, n, "schedule entry %zu (%s): forward to entry %u: it %s", i, nm,
                         (unsigned)e->fwd_to, why);
                return SIM_ERR_CONFIG;
            }
        }
        if (e->n_preds > s->n_preds || e->pred_off > s->n_preds - e->n_preds) {
            snprintf(err, n, "schedule entry %zu (%s): predecessor list out of range", i, nm);
            return SIM_ERR_CONFIG;
        }
        for (uint32_t j = 0; j < e->n_preds; j++)
            if (s->preds[e->pred_off + j] >= i) {
                snprintf(err, n, "schedule entry %zu (%s): predecessor %u is not an earlier entry",
                         i, nm, (unsigned)s->preds[e->pred_off + j]);
                return SIM_ERR_CONFIG;
            }
    }
    return 0;
}

int map_exec_attach(sim_comp_t *c, map_exec_t *sched)
{
    if (!c || !sched || strcmp(sim_comp_model(c), "schedule_driver") != 0)
        return SIM_ERR_CONFIG;
    sched_driver_t *d = sim_comp_state(c);
    if (d->sched || d->initialized)
        return SIM_ERR_CONFIG;
    d->sched = sched;
    return 0;
}

map_exec_t *map_exec_attached(sim_comp_t *c)
{
    if (!c || strcmp(sim_comp_model(c), "schedule_driver") != 0)
        return NULL;
    return ((sched_driver_t *)sim_comp_state(c))->sched;
}

/* ---- ready heaps ---------------------------------------------------------------------- */
static void heap_push(sdrv_unit_t *u, uint32_t v)
{
    size_t i = u->heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (u->heap[p] <= v)
            break;
        u->heap[i] = u->heap[p];
        i = p;
    }
    u->heap[i] = v;
}

static void heap_pop(sdrv_unit_t *u)
{
    uint32_t v = u->heap[--u->heap_n];
    size_t i = 0, n = u->heap_n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        uint32_t best = v;
        if (l < n && u->heap[l] < best) {
            m = l;
            best = u->heap[l];
        }
        if (r < n && u->heap[r] < best)
            m = r;
        if (m == i)
            break;
        u->heap[i] = u->heap[m];
        i = m;
    }
    if (n)
        u->heap[i] = v;
}

/* the ready transfers of the network share one heap (they take no unit's slot) */
static void ready_push(sched_driver_t *d, uint32_t i)
{
    map_exec_entry_t *e = &d->sched->entries[i];
    if (!map_net_transfer(d->sched, e)) {
        heap_push(&d->units[e->unit], i);
        return;
    }
    sdrv_unit_t h = {.heap = d->net_heap, .heap_n = d->net_n};
    heap_push(&h, i);
    d->net_n = h.heap_n;
}

/* ---- running ---------------------------------------------------------------------------- */
static void entry_trace(sim_comp_t *c, sched_driver_t *d, uint32_t i)
{
    map_exec_entry_t *e = &d->sched->entries[i];
    if (d->trace_op[i] >= 0)
        sim_trace(c, d->trace_op[i], e->res.issue_ps, e->res.done_ps - e->res.issue_ps,
                  e->res.bytes, 0.0, e->op_id);
}

/* Entry i completed now: release its successors; zero-cost successors complete
 * at once (iteratively, through the stack). */
static void entry_done(sim_comp_t *c, sched_driver_t *d, uint32_t first)
{
    sim_time_t now = sim_comp_now(c);
    size_t top = 0;
    d->stack[top++] = first;
    while (top) {
        uint32_t i = d->stack[--top];
        map_exec_entry_t *e = &d->sched->entries[i];
        e->res.done = 1;
        e->res.done_ps = now;
        d->entries_done++;
        d->last_done_ps = now;
        sim_stat_add(c, d->st_entries_done, 1);
        entry_trace(c, d, i);
        for (size_t k = d->succ_off[i]; k < d->succ_off[i + 1]; k++) {
            uint32_t s = d->succ[k];
            if (--d->waiting[s] || d->fwd_from[s])
                continue; /* (a forwarded successor left with its producer) */
            map_exec_entry_t *se = &d->sched->entries[s];
            se->res.ready_ps = now;
            if (se->unit < 0) {
                se->res.issue_ps = now;
                d->stack[top++] = s;
            } else
                ready_push(d, s);
        }
    }
}

/* A device request: a 48-byte descriptor over the driver's link to the unit. */
static int send_request(sim_comp_t *c, int port, const map_exec_entry_t *e, const dev_req_t *req)
{
    sim_msg_t m;
    memset(&m, 0, sizeof m);
    m.kind = DEV_MSG_REQ;
    m.bytes = (uint32_t)sizeof *req;
    m.op_id = e->op_id;
    m.data = req;
    m.data_len = sizeof *req;
    return sim_send(c, port, &m, 0);
}

/* A transfer of req->m bytes from unit req->k to unit req->n. The one place
 * that decides what carries it: when both units sit at nodes of the chip's
 * network, a message of m bytes from the source's node to the destination's,
 * handed to the source's terminal (the network takes the time and its routers
 * charge the energy; the destination's terminal reports the delivery); else
 * the carrier unit the entry names (a `wire` between tiers). */
static int send_transfer(sim_comp_t *c, sched_driver_t *d, int port, const map_exec_entry_t *e,
                         const dev_req_t *req)
{
    const map_exec_t *x = d->sched;
    if (!map_net_transfer(x, e))
        return send_request(c, port, e, req);
    noc_send_t snd = {.dest = (uint32_t)x->net_node[req->n], .bytes = req->m, .tag = req->tag};
    sim_msg_t m;
    memset(&m, 0, sizeof m);
    m.kind = NOC_MSG_SEND;
    m.bytes = (uint32_t)sizeof snd;
    m.op_id = e->op_id;
    m.data = &snd;
    m.data_len = sizeof snd;
    return sim_send(c, d->net_port[req->k], &m, 0);
}

/* Entry e's result goes straight from its unit to entry e->fwd_to's unit:
 * the rule and the successor's request go to e's unit first (dev.h,
 * DEV_MSG_FWD); the successor counts as issued now. */
static int send_forward(sim_comp_t *c, sched_driver_t *d, int port, const map_exec_entry_t *e,
                        uint32_t i)
{
    map_exec_t *x = d->sched;
    map_exec_entry_t *f = &x->entries[e->fwd_to];
    dev_req_t next = f->req;
    next.tag = e->fwd_to;
    dev_fwd_t rule;
    memset(&rule, 0, sizeof rule);
    rule.tag = i;
    rule.data_bytes = e->fwd_bytes;
    unsigned char payload[SIM_PAYLOAD_BYTES];
    memset(payload, 0, sizeof payload);
    sim_msg_t m;
    memset(&m, 0, sizeof m);
    m.op_id = f->op_id;
    int rc = 0;
    if (x->fwd_net && x->fwd_net[i]) {
        /* over the network: the successor's request waits at its terminal for
         * the data; the producer's rule is a send of the bytes to that node */
        noc_arm_t arm;
        memset(&arm, 0, sizeof arm);
        arm.tag = e->fwd_to;
        arm.kind = DEV_MSG_REQ;
        snprintf(arm.port, sizeof arm.port, "%s", x->units[f->unit]);
        m.kind = NOC_MSG_ARM;
        m.bytes = (uint32_t)sizeof arm;
        m.data = &arm;
        m.data_len = sizeof arm;
        rc = sim_send(c, d->net_port[f->unit], &m, 0);
        m.kind = NOC_MSG_ARM_DATA;
        m.bytes = (uint32_t)sizeof next;
        m.data = &next;
        m.data_len = sizeof next;
        if (!rc)
            rc = sim_send(c, d->net_port[f->unit], &m, 0);
        noc_send_t snd = {.dest = (uint32_t)x->net_node[f->unit], .bytes = e->fwd_bytes,
                          .tag = e->fwd_to};
        memcpy(payload, &snd, sizeof snd);
        rule.kind = NOC_MSG_SEND;
        rule.bytes = sizeof snd;
        snprintf(rule.port, sizeof rule.port, "net");
    } else {
        memcpy(payload, &next, sizeof next);
        rule.bytes = e->fwd_bytes;
        snprintf(rule.port, sizeof rule.port, "%s", x->units[f->unit]);
    }
    m.kind = DEV_MSG_FWD;
    m.bytes = (uint32_t)sizeof rule;
    m.data = &rule;
    m.data_len = sizeof rule;
    if (!rc)
        rc = sim_send(c, port, &m, 0);
    m.kind = DEV_MSG_FWD_REQ;
    m.bytes = (uint32_t)sizeof payload;
    m.data = payload;
    m.data_len = sizeof payload;
    if (!rc)
        rc = sim_send(c, port, &m, 0);
    f->res.ready_ps = f->res.issue_ps = sim_comp_now(c);
    f->res.reps_sent = 1;
    sim_stat_add(c, d->st_requests, 1);
    return rc;
}

/* Ready network transfers leave at once, in program order: the terminals
 * queue them. */
static int issue_net(sim_comp_t *c, sched_driver_t *d)
{
    sim_time_t now = sim_comp_now(c);
    while (d->net_n) {
        uint32_t i = d->net_heap[0];
        map_exec_entry_t *e = &d->sched->entries[i];
        sdrv_unit_t h = {.heap = d->net_heap, .heap_n = d->net_n};
        heap_pop(&h);
        d->net_n = h.heap_n;
        dev_req_t req = e->req;
        req.tag = i;
        e->res.issue_ps = now;
        for (; e->res.reps_sent < e->reps; e->res.reps_sent++) {
            int rc = send_transfer(c, d, -1, e, &req);
            if (rc)
                return rc;
            sim_stat_add(c, d->st_requests, 1);
        }
    }
    return 0;
}

static int issue(sim_comp_t *c, sched_driver_t *d)
{
    sim_time_t now = sim_comp_now(c);
    if (d->net_n) {
        int rc = issue_net(c, d);
        if (rc)
            return rc;
    }
    for (size_t ui = 0; ui < d->sched->n_units; ui++) {
        sdrv_unit_t *u = &d->units[ui];
        while (u->in_flight < d->outstanding && u->heap_n) {
            uint32_t i = u->heap[0];
            map_exec_entry_t *e = &d->sched->entries[i];
            dev_req_t req = e->req;
            req.tag = i;
            req.weight_id = e->req.weight_id + (uint32_t)(e->res.reps_sent * e->weight_step);
            int rc = e->fwd_to ? send_forward(c, d, u->port, e, i) : 0;
            if (!rc)
                rc = req.kind == DEV_OP_TRANSFER ? send_transfer(c, d, u->port, e, &req)
                                                 : send_request(c, u->port, e, &req);
            if (rc)
                return rc;
            if (e->res.reps_sent == 0)
                e->res.issue_ps = now;
            if (++e->res.reps_sent == e->reps)
                heap_pop(u);
            u->in_flight++;
            sim_stat_add(c, d->st_requests, 1);
            sim_stat_add(c, u->st_requests, 1);
            if (req.kind == DEV_OP_GEMM)
                sim_stat_add(c, d->st_macs, (double)req.m * (double)req.k * (double)req.n);
        }
    }
    return 0;
}

static void start(sim_comp_t *c, sched_driver_t *d)
{
    sim_time_t now = sim_comp_now(c);
    /* the entries that wait for nothing (released ones have predecessors and
     * come through entry_done) */
    for (uint32_t i = 0; i < d->sched->n_entries; i++) {
        if (d->sequential ? i != 0 : d->sched->entries[i].n_preds != 0)
            continue;
        map_exec_entry_t *e = &d->sched->entries[i];
        e->res.ready_ps = now;
        if (e->unit >= 0) {
            ready_push(d, i);
            continue;
        }
        /* a zero-cost entry with no predecessors: its successors waited on it */
        e->res.issue_ps = now;
        if (!e->res.done)
            entry_done(c, d, i);
    }
    issue(c, d);
}

static void on_done(sim_comp_t *c, sched_driver_t *d, const sim_event_t *ev)
{
    dev_done_t done;
    memcpy(&done, ev->data.bytes, sizeof done);
    map_exec_t *s = d->sched;
    map_exec_entry_t *e = done.tag < s->n_entries ? &s->entries[done.tag] : NULL;
    if (!e || e->unit < 0 || e->res.reps_done >= e->res.reps_sent) {
        sim_comp_fail(c, "schedule_driver '%s': completion for unknown request tag %u",
                      sim_comp_name(c), (unsigned)done.tag);
        return;
    }
    if (done.status) {
        sim_comp_fail(c, "schedule_driver '%s': entry %u (%s) failed on unit '%s' (status %u)",
                      sim_comp_name(c), (unsigned)done.tag, e->name ? e->name : "?",
                      s->units[e->unit], (unsigned)done.status);
        return;
    }
    uint32_t from = d->fwd_from[done.tag];
    sdrv_unit_t *u = &d->units[e->unit];
    /* a forwarded entry held its producer's slot (the producer's unit got the request) */
    d->units[from ? s->entries[from - 1].unit : e->unit].in_flight--;
    if (from) {
        /* the chain's end: its producer is done too (the driver heard nothing of it) */
        map_exec_entry_t *p = &s->entries[from - 1];
        p->res.reps_done = 1;
        entry_done(c, d, from - 1);
    }
    e->res.reps_done++;
    e->res.cycles += done.cycles;
    e->res.device_latency_ps += done.latency_ps;
    e->res.energy_pj += done.energy_pj;
    e->res.bytes += done.bytes;
    sim_stat_add(c, d->st_completed, 1);
    sim_stat_add(c, d->st_cycles, (double)done.cycles);
    sim_stat_add(c, u->st_cycles, (double)done.cycles);
    sim_stat_add(c, d->st_energy, done.energy_pj);
    sim_stat_add(c, d->st_bytes, (double)done.bytes);
    sim_stat_add(c, d->st_lat_sum, (double)done.latency_ps);
    if (e->req.kind == DEV_OP_TRANSFER) {
        sim_stat_add(c, d->st_xfers, 1);
        sim_stat_add(c, d->st_xfer_bytes, (double)done.bytes);
        sim_stat_add(c, d->units[e->req.k].st_xfer_out, (double)done.bytes);
        sim_stat_add(c, d->units[e->req.n].st_xfer_in, (double)done.bytes);
    }
    if (e->res.reps_done == e->reps)
        entry_done(c, d, done.tag);
    issue(c, d);
}

/* The destination's terminal delivered a network transfer. */
static void on_delivered(sim_comp_t *c, sched_driver_t *d, const sim_event_t *ev)
{
    noc_delivered_t dl;
    memcpy(&dl, sim_event_payload(ev), sizeof dl);
    map_exec_t *s = d->sched;
    map_exec_entry_t *e = dl.tag < s->n_entries ? &s->entries[dl.tag] : NULL;
    if (!e || !map_net_transfer(s, e) || e->res.reps_done >= e->res.reps_sent) {
        sim_comp_fail(c, "schedule_driver '%s': delivery for unknown transfer tag %llu",
                      sim_comp_name(c), (unsigned long long)dl.tag);
        return;
    }
    e->res.reps_done++;
    e->res.cycles += dl.delivered_cycle - dl.sent_cycle;
    e->res.bytes += dl.bytes;
    sim_stat_add(c, d->st_completed, 1);
    sim_stat_add(c, d->st_bytes, (double)dl.bytes);
    sim_stat_add(c, d->st_xfers, 1);
    sim_stat_add(c, d->st_xfer_bytes, (double)dl.bytes);
    sim_stat_add(c, d->units[e->req.k].st_xfer_out, (double)dl.bytes);
    sim_stat_add(c, d->units[e->req.n].st_xfer_in, (double)dl.bytes);
    if (e->res.reps_done == e->reps)
        entry_done(c, d, (uint32_t)dl.tag);
    issue(c, d);
}

/* ---- init / finish ------------------------------------------------------------------------ */
static int build_graph(sim_comp_t *c, sched_driver_t *d)
{
    map_exec_t *s = d->sched;
    size_t n = s->n_entries;
    d->waiting = calloc(n ? n : 1, sizeof *d->waiting);
    d->succ_off = calloc(n + 1, sizeof *d->succ_off);
    d->stack = calloc(n ? n : 1, sizeof *d->stack);
    d->trace_op = calloc(n ? n : 1, sizeof *d->trace_op);
    d->net_heap = calloc(n ? n : 1, sizeof *d->net_heap);
    d->fwd_from = calloc(n ? n : 1, sizeof *d->fwd_from);
    size_t n_succ = d->sequential ? (n ? n - 1 : 0) : s->n_preds;
    d->succ = calloc(n_succ ? n_succ : 1, sizeof *d->succ);
    if (!d->waiting || !d->succ_off || !d->stack || !d->trace_op || !d->succ || !d->net_heap ||
        !d->fwd_from)
        return sim_comp_fail(c, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (s->entries[i].fwd_to) {
            if (d->sequential)
                return sim_comp_fail(c,
                                     "schedule_driver '%s': entry %zu forwards its result; "
                                     "forwarding needs order: graph",
                                     sim_comp_name(c), i);
            d->fwd_from[s->entries[i].fwd_to] = (uint32_t)i + 1;
        }
    if (d->sequential) {
        for (size_t i = 0; i < n; i++) {
            d->waiting[i] = i > 0;
            d->succ_off[i] = i;
            if (i + 1 < n)
                d->succ[i] = (uint32_t)(i + 1);
        }
        d->succ_off[n] = n_succ;
        return 0;
    }
    /* successors in CSR form: count, prefix-sum, fill */
    for (size_t i = 0; i < n; i++) {
        const map_exec_entry_t *e = &s->entries[i];
        d->waiting[i] = e->n_preds;
        for (uint32_t j = 0; j < e->n_preds; j++)
            d->succ_off[s->preds[e->pred_off + j] + 1]++;
    }
    for (size_t i = 0; i < n; i++)
        d->succ_off[i + 1] += d->succ_off[i];
    size_t *fill = calloc(n ? n : 1, sizeof *fill);
    if (!fill)
        return sim_comp_fail(c, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const map_exec_entry_t *e = &s->entries[i];
        for (uint32_t j = 0; j < e->n_preds; j++) {
            uint32_t p = s->preds[e->pred_off + j];
            d->succ[d->succ_off[p] + fill[p]++] = (uint32_t)i;
        }
    }
    free(fill);
    return 0;
}

static int sdrv_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    sched_driver_t *d = state;
    d->initialized = 1;
    map_exec_t *s = d->sched;
    if (!s)
        return sim_comp_fail(c,
                             "schedule_driver '%s' has no schedule: give the run a workload "
                             "(prism run CONFIG --workload SPEC)",
                             sim_comp_name(c));
    char err[256];
    if (map_exec_check(s, err, sizeof err))
        return sim_comp_fail(c, "schedule_driver '%s': %s", sim_comp_name(c), err);
    d->outstanding = (uint64_t)sim_param_int(p, "outstanding");
    d->sequential = strcmp(sim_param_str(p, "order"), "sequential") == 0;
    d->start_ps = (sim_time_t)sim_param_int(p, "start_ps");
    d->units = calloc(s->n_units ? s->n_units : 1, sizeof *d->units);
    if (!d->units)
        return sim_comp_fail(c, "out of memory");
    struct {
        int *h;
        const char *name;
        sim_stat_kind_t kind;
        const char *unit;
    } stats[] = {
        {&d->st_entries, "entries", SIM_STAT_COUNT, "entries"},
        {&d->st_entries_done, "entries_done", SIM_STAT_COUNT, "entries"},
        {&d->st_zero, "zero_cost_entries", SIM_STAT_COUNT, "entries"},
        {&d->st_requests, "requests", SIM_STAT_COUNT, "requests"},
        {&d->st_completed, "completed", SIM_STAT_COUNT, "requests"},
        {&d->st_cycles, "device_cycles", SIM_STAT_COUNT, "cycles"},
        {&d->st_energy, "device_energy_pj", SIM_STAT_COUNT, "pJ"},
        {&d->st_bytes, "device_bytes", SIM_STAT_COUNT, "B"},
        {&d->st_lat_sum, "device_latency_sum_ps", SIM_STAT_COUNT, "ps"},
        {&d->st_macs, "gemm_macs", SIM_STAT_COUNT, "MACs"},
        {&d->st_makespan, "makespan_ps", SIM_STAT_VALUE, "ps"},
        {&d->st_last_done, "last_done_ps", SIM_STAT_VALUE, "ps"},
        {&d->st_incomplete, "entries_incomplete", SIM_STAT_VALUE, "entries"},
        {&d->st_xfers, "transfers", SIM_STAT_COUNT, "transfers"},
        {&d->st_xfer_bytes, "transfer_bytes", SIM_STAT_COUNT, "B"},
    };
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
        if ((*stats[i].h = sim_stat(c, stats[i].name, stats[i].kind, stats[i].unit)) < 0)
            return sim_comp_fail(c, "out of memory for stats");
    size_t *per_unit = calloc(s->n_units ? s->n_units : 1, sizeof *per_unit);
    if (!per_unit)
        return sim_comp_fail(c, "out of memory");
    for (size_t ui = 0; ui < s->n_units; ui++)
        d->units[ui].st_xfer_out = d->units[ui].st_xfer_in = -1;
    int rc = 0;
    for (size_t i = 0; i < s->n_entries && !rc; i++) {
        const map_exec_entry_t *e = &s->entries[i];
        if (e->unit >= 0)
            per_unit[e->unit]++;
        if (e->unit < 0 || e->req.kind != DEV_OP_TRANSFER)
            continue;
        /* per-unit byte counters of the units transfers leave and reach */
        char name[96];
        sdrv_unit_t *from = &d->units[e->req.k], *to = &d->units[e->req.n];
        if (from->st_xfer_out < 0) {
            snprintf(name, sizeof name, "transfer_bytes_out.%s", s->units[e->req.k]);
            from->st_xfer_out = sim_stat(c, name, SIM_STAT_COUNT, "B");
        }
        if (to->st_xfer_in < 0) {
            snprintf(name, sizeof name, "transfer_bytes_in.%s", s->units[e->req.n]);
            to->st_xfer_in = sim_stat(c, name, SIM_STAT_COUNT, "B");
        }
        if (from->st_xfer_out < 0 || to->st_xfer_in < 0)
            rc = sim_comp_fail(c, "out of memory for stats");
    }
    for (size_t ui = 0; ui < s->n_units && !rc; ui++) {
        sdrv_unit_t *u = &d->units[ui];
        u->port = sim_port(c, s->units[ui]);
        if (per_unit[ui] && (u->port < 0 || !sim_port_is_out(c, u->port))) {
            size_t first = 0;
            while (s->entries[first].unit != (int)ui)
                first++;
            rc = sim_comp_fail(c,
                               "schedule_driver '%s': entry %zu (op '%s') needs unit '%s' but "
                               "no link leaves port '%s'",
                               sim_comp_name(c), first,
                               s->entries[first].name ? s->entries[first].name : "?", s->units[ui],
                               s->units[ui]);
            break;
        }
        u->heap = calloc(per_unit[ui] ? per_unit[ui] : 1, sizeof *u->heap);
        char name[96];
        snprintf(name, sizeof name, "requests.%s", s->units[ui]);
        u->st_requests = sim_stat(c, name, SIM_STAT_COUNT, "requests");
        snprintf(name, sizeof name, "device_cycles.%s", s->units[ui]);
        u->st_cycles = sim_stat(c, name, SIM_STAT_COUNT, "cycles");
        if (!u->heap || u->st_requests < 0 || u->st_cycles < 0)
            rc = sim_comp_fail(c, "out of memory");
    }
    free(per_unit);
    if (!rc && s->net_node) {
        d->net_port = malloc((s->n_units ? s->n_units : 1) * sizeof *d->net_port);
        if (!d->net_port)
            rc = sim_comp_fail(c, "out of memory");
        for (size_t ui = 0; ui < s->n_units && !rc; ui++) {
            d->net_port[ui] = -1;
            if (s->net_node[ui] < 0)
                continue;
            const char *pn = s->net_port ? s->net_port[ui] : NULL;
            d->net_port[ui] = pn ? sim_port(c, pn) : -1;
            if (d->net_port[ui] < 0 || !sim_port_is_out(c, d->net_port[ui]))
                rc = sim_comp_fail(c,
                                   "schedule_driver '%s': unit '%s' sits at network node %d but "
                                   "no link leaves port '%s' for its terminal",
                                   sim_comp_name(c), s->units[ui], (int)s->net_node[ui],
                                   pn ? pn : "?");
        }
    }
    if (rc)
        return rc;
    if ((rc = build_graph(c, d)) != 0)
        return rc;
    for (size_t i = 0; i < s->n_entries; i++) {
        map_exec_entry_t *e = &s->entries[i];
        memset(&e->res, 0, sizeof e->res);
        d->trace_op[i] = sim_trace_op(c, e->what && *e->what ? e->what : "entry");
        if (e->unit < 0)
            sim_stat_add(c, d->st_zero, 1);
    }
    sim_stat_add(c, d->st_entries, (double)s->n_entries);
    if (s->n_entries == 0)
        return 0;
    sim_msg_t m;
    memset(&m, 0, sizeof m);
    m.kind = SDRV_MSG_START;
    return sim_self(c, d->start_ps, &m);
}

static void sdrv_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    sched_driver_t *d = state;
    if (ev->port == SIM_PORT_SELF && ev->kind == SDRV_MSG_START)
        start(c, d);
    else if (ev->kind == DEV_MSG_DONE)
        on_done(c, d, ev);
    else if (ev->kind == NOC_MSG_DELIVERED && d->sched->net_node)
        on_delivered(c, d, ev);
    else
        sim_comp_fail(c, "schedule_driver '%s': unexpected message kind %u on port %u",
                      sim_comp_name(c), (unsigned)ev->kind, (unsigned)ev->port);
}

static void sdrv_finish(sim_comp_t *c, void *state)
{
    sched_driver_t *d = state;
    if (!d->sched)
        return;
    if (d->entries_done)
        sim_stat_max(c, d->st_last_done, (double)d->last_done_ps);
    if (d->entries_done == d->sched->n_entries && d->entries_done)
        sim_stat_max(c, d->st_makespan, (double)(d->last_done_ps - d->start_ps));
    sim_stat_max(c, d->st_incomplete, (double)(d->sched->n_entries - d->entries_done));
}

static void sdrv_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    sched_driver_t *d = state;
    if (d->units && d->sched)
        for (size_t i = 0; i < d->sched->n_units; i++)
            free(d->units[i].heap);
    free(d->units);
    free(d->waiting);
    free(d->succ_off);
    free(d->succ);
    free(d->stack);
    free(d->trace_op);
    free(d->net_heap);
    free(d->net_port);
    free(d->fwd_from);
    d->fwd_from = NULL;
    d->net_heap = NULL;
    d->net_port = NULL;
    d->units = NULL;
    d->waiting = NULL;
    d->succ_off = NULL;
    d->succ = NULL;
    d->stack = NULL;
    d->trace_op = NULL;
    if (d->sched && d->sched->release)
        d->sched->release(d->sched->owner);
    d->sched = NULL;
}

const sim_model_t map_schedule_driver_model = {
    .name = "schedule_driver",
    .doc = "runs the mapper's schedule: each entry to the unit its port names, once the "
           "entries it waits for are done",
    .state_size = sizeof(sched_driver_t),
    .params = sdrv_params,
    .init = sdrv_init,
    .handle = sdrv_handle,
    .finish = sdrv_finish,
    .destroy = sdrv_destroy,
    .in_ports = sdrv_in_ports,
    .out_ports = NULL, /* one port per unit, any name */
};
