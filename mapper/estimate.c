/* The mapper's estimate of a schedule on a built chip: the schedule_driver's
 * issue rules (data dependencies, program order among ready entries, at most
 * `outstanding` requests per unit) replayed without the event engine, every
 * request priced by the device's own cost query (dev_cost: the function its
 * handler runs) on the unit's clock, plus the driver links' latency and
 * serialisation and the static power of every component over the makespan.
 * The mapper adds no device number of its own. */
#include "mapper/map_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct est_link {
    sim_time_t latency_ps;
    double ps_per_byte; /* 0: unlimited bandwidth */
    sim_time_t free_at;
} est_link_t;

typedef struct est_unit {
    sim_comp_t *comp;
    sim_time_t period_ps, free_at;
    est_link_t to, back;
    uint64_t in_flight;
    uint32_t *heap; /* ready entries, smallest index first */
    size_t heap_n;
    int used;         /* a request went to it (its weight state is known) */
    uint32_t last_id; /* weights of the last request */
} est_unit_t;

/* a network node: the driver's links to and from its terminal, and when its
 * terminal has injected the messages queued so far (network cycles) */
typedef struct est_node {
    est_link_t to, back;
    uint64_t inject_free;
    uint32_t *sent; /* its messages priced so far (entries), for delays */
    size_t n_sent, cap_sent;
} est_node_t;

typedef struct est_ev {
    sim_time_t t;
    uint32_t entry;
    uint32_t arrival; /* 1: a forwarded request reaches its unit; 0: a completion at the driver */
} est_ev_t;

/* a link from one unit to another that forwarded results cross */
typedef struct est_fwd {
    int from, to;
    map_fwd_route_t route;
    est_link_t link; /* the producer's link (to the successor, or to its terminal) */
} est_fwd_t;

typedef struct est {
    const map_exec_t *x;
    est_unit_t *units;
    uint32_t *waiting, *succ, *stack;
    size_t *succ_off;
    uint64_t *reps_sent, *reps_done;
    est_ev_t *evq;      /* min-heap of completions at the driver (and forwarded arrivals) */
    uint32_t *fwd_from; /* per entry: 1 + the entry that forwards to it (0: none) */
    est_fwd_t *fwd;
    size_t n_fwd;
    size_t evq_n, evq_cap;
    uint64_t outstanding;
    map_net_t net;
    est_node_t *nodes;
    uint64_t *link_free;   /* per router output port: when the flits given to it have left */
    uint32_t *link_src;    /* ... and the source node that gave it the last ones */
    uint64_t *net_tail;    /* per entry: cycle its last flit arrives */
    sim_time_t *net_delay; /* per entry: lateness found after it was priced */
    est_unit_t net_q;      /* ready network transfers (heap only) */
    sim_time_t last_done;
    size_t done;
    map_estimate_t *out;
    char *err;
    size_t errn;
} est_t;

static void uheap_push(est_unit_t *u, uint32_t v)
{
    size_t i = u->heap_n++;
    while (i > 0 && u->heap[(i - 1) / 2] > v) {
        u->heap[i] = u->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    u->heap[i] = v;
}

static void uheap_pop(est_unit_t *u)
{
    uint32_t v = u->heap[--u->heap_n];
    size_t i = 0, n = u->heap_n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        uint32_t best = v;
        if (l < n && u->heap[l] < best)
            m = l, best = u->heap[l];
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

static int ev_less(const est_ev_t *a, const est_ev_t *b)
{
    return a->t < b->t || (a->t == b->t && (a->entry < b->entry ||
                                            (a->entry == b->entry && a->arrival > b->arrival)));
}

static int evq_push2(est_t *e, sim_time_t t, uint32_t entry, uint32_t arrival)
{
    if (e->evq_n == e->evq_cap) {
        size_t cap = e->evq_cap ? 2 * e->evq_cap : 1024;
        est_ev_t *q = realloc(e->evq, cap * sizeof *q);
        if (!q)
            return SIM_ERR_NOMEM;
        e->evq = q;
        e->evq_cap = cap;
    }
    est_ev_t v = {t, entry, arrival};
    size_t i = e->evq_n++;
    while (i > 0 && ev_less(&v, &e->evq[(i - 1) / 2])) {
        e->evq[i] = e->evq[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    e->evq[i] = v;
    return 0;
}

static int evq_push(est_t *e, sim_time_t t, uint32_t entry)
{
    return evq_push2(e, t, entry, 0);
}

static est_ev_t evq_pop(est_t *e)
{
    est_ev_t top = e->evq[0], v = e->evq[--e->evq_n];
    size_t i = 0, n = e->evq_n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const est_ev_t *best = &v;
        if (l < n && ev_less(&e->evq[l], best))
            m = l, best = &e->evq[l];
        if (r < n && ev_less(&e->evq[r], best))
            m = r;
        if (m == i)
            break;
        e->evq[i] = e->evq[m];
        i = m;
    }
    if (n)
        e->evq[i] = v;
    return top;
}

static sim_time_t link_pass(est_link_t *l, sim_time_t depart, uint32_t bytes)
{
    sim_time_t start = depart, ser = 0;
    if (l->ps_per_byte > 0) {
        if (l->free_at > start)
            start = l->free_at;
        double t = (double)bytes * l->ps_per_byte;
        ser = (sim_time_t)t;
        if ((double)ser < t)
            ser++;
        l->free_at = start + ser;
    }
    return start + ser + l->latency_ps;
}

static int is_net(const est_t *e, const map_exec_entry_t *en)
{
    return e->net.present && en->unit >= 0 && en->req.kind == DEV_OP_TRANSFER &&
           e->net.node[en->req.k] >= 0 && e->net.node[en->req.n] >= 0;
}

/* entry i done at time t: release successors (zero-cost ones complete at once) */
static void entry_done(est_t *e, uint32_t first, sim_time_t t)
{
    size_t top = 0;
    e->stack[top++] = first;
    while (top) {
        uint32_t i = e->stack[--top];
        e->done++;
        if (t > e->last_done)
            e->last_done = t;
        for (size_t k = e->succ_off[i]; k < e->succ_off[i + 1]; k++) {
            uint32_t s = e->succ[k];
            if (--e->waiting[s] || e->fwd_from[s])
                continue; /* (a forwarded successor left with its producer) */
            const map_exec_entry_t *se = &e->x->entries[s];
            if (se->unit < 0)
                e->stack[top++] = s;
            else
                uheap_push(is_net(e, se) ? &e->net_q : &e->units[se->unit], s);
        }
    }
}

/* Request `req` of entry i reaches unit ui at `arrive`: the device's cost
 * query on the unit's clock, its queue (free_at), the ledger's totals;
 * *finish is when it completes there. */
static int price(est_t *e, size_t ui, uint32_t i, const dev_req_t *req_in, sim_time_t arrive,
                 sim_time_t *finish)
{
    est_unit_t *u = &e->units[ui];
    const map_exec_entry_t *en = &e->x->entries[i];
    dev_req_t req = *req_in;
    if (u->used)
        req.flags |= u->last_id == req.weight_id ? DEV_F_COST_RESIDENT : DEV_F_COST_EMPTY;
    dev_cost_t k;
    char msg[256];
    int rc = dev_cost(u->comp, &req, &k, msg, sizeof msg);
    if (rc) {
        snprintf(e->err, e->errn, "schedule entry %u (op '%s') on unit '%s': %s", (unsigned)i,
                 en->name ? en->name : "?", e->x->units[ui], msg);
        return rc;
    }
    u->used = 1;
    u->last_id = req.weight_id;
    sim_time_t t = arrive > u->free_at ? arrive : u->free_at, p = u->period_ps;
    sim_time_t edge = (t / p) * p;
    if (edge < t)
        edge += p;
    u->free_at = edge + k.issue_cycles * p;
    *finish = edge + k.cycles * p;
    map_estimate_t *o = e->out;
    o->dynamic_pj += k.energy_pj;
    o->program_pj += k.program_energy_pj;
    o->cell_writes += k.cell_writes;
    o->requests++;
    if (ui < o->n_units) {
        o->unit_busy_ps[ui] += k.issue_cycles * p;
        o->unit_energy_pj[ui] += k.energy_pj;
    }
    return 0;
}

/* How entry i's unit reaches the unit it forwards to (one state per pair of
 * units, found once at the start). */
static est_fwd_t *fwd_of(est_t *e, uint32_t i)
{
    const map_exec_entry_t *en = &e->x->entries[i];
    int from = en->unit, to = e->x->entries[en->fwd_to].unit;
    for (size_t k = 0; k < e->n_fwd; k++)
        if (e->fwd[k].from == from && e->fwd[k].to == to)
            return &e->fwd[k];
    return NULL; /* never: map_estimate made one per pair */
}

/* The driver's network rule (sched_driver.c send_transfer): every ready
 * transfer leaves at once for the source's terminal, which takes it on its
 * next clock edge and injects one flit per cycle after the messages queued
 * before it; on an idle path the last flit arrives the message's zero-load
 * time later (noc_message_cost). Each router output port on the route
 * (noc_route_links) keeps the cycle by which the flits given to it so far
 * have left; a message that finds R cycles of such work ahead of it on its
 * busiest port shares that port round robin (half the bandwidth each) until
 * that work is done: it ends min(F, R) cycles later than alone (F its flits),
 * and every port on its route owes F cycles more; the source whose flits it
 * found there injects its later messages min(F, R) cycles later. The
 * delivery goes back to
 * the driver over the destination terminal's link. */
/* One message of `bytes` for entry i from node src to node dst that reaches
 * the source terminal at `arrive`: *tail is the network cycle its last flit
 * arrives (the rules above); its energy goes to the estimate. */
static int net_send(est_t *e, uint32_t i, uint32_t src, uint32_t dst, uint64_t bytes,
                    sim_time_t arrive, uint64_t *tail)
{
    const map_net_t *nt = &e->net;
    const map_exec_entry_t *en = &e->x->entries[i];
    sim_time_t p = nt->period_ps ? nt->period_ps : 1;
    noc_msg_cost_t k;
    uint32_t path[256];
    int np = noc_route_links(&nt->cfg, src, dst, path, 256);
    if (np < 1 || np > 256 || noc_message_cost(&nt->cfg, src, dst, bytes, &k)) {
        snprintf(e->err, e->errn,
                 "schedule entry %u (op '%s'): the network cannot carry %llu bytes from node %u "
                 "to node %u",
                 (unsigned)i, en->name ? en->name : "?", (unsigned long long)bytes, src, dst);
        return SIM_ERR_CONFIG;
    }
    uint64_t c0 = (uint64_t)((arrive + p - 1) / p);
    uint64_t start = c0 > e->nodes[src].inject_free ? c0 : e->nodes[src].inject_free;
    uint64_t ahead = 0;
    uint32_t other = src;
    for (int h = 0; h < np; h++)
        if (e->link_free[path[h]] > start + ahead) {
            ahead = e->link_free[path[h]] - start;
            other = e->link_src[path[h]];
        }
    uint64_t slow = ahead < k.flits ? ahead : k.flits;
    for (int h = 0; h < np; h++) {
        uint64_t *lf = &e->link_free[path[h]];
        if (*lf <= start)
            e->link_src[path[h]] = src;
        *lf = (*lf > start ? *lf : start) + k.flits;
    }
    /* the stream it shares the port with is late by as much: its messages
     * still in the network and those queued behind them */
    est_node_t *o = &e->nodes[other];
    if (other != src && slow) {
        if (o->inject_free > start)
            o->inject_free += slow;
        for (size_t j = 0; j < o->n_sent; j++) {
            uint32_t m = o->sent[j];
            if (e->reps_done[m] < e->x->entries[m].reps && e->net_tail[m] > start) {
                e->net_tail[m] += slow;
                e->net_delay[m] += (sim_time_t)slow * p;
            }
        }
    }
    est_node_t *sn = &e->nodes[src];
    if (sn->n_sent == sn->cap_sent) {
        size_t cap = sn->cap_sent ? 2 * sn->cap_sent : 64;
        uint32_t *a = realloc(sn->sent, cap * sizeof *a);
        if (!a)
            return SIM_ERR_NOMEM;
        sn->sent = a;
        sn->cap_sent = cap;
    }
    sn->sent[sn->n_sent++] = i;
    sn->inject_free = start + k.flits + slow;
    *tail = start + k.cycles + slow;
    e->net_tail[i] = *tail;
    e->out->dynamic_pj += k.energy_pj;
    return 0;
}

static int issue_net(est_t *e, sim_time_t now)
{
    const map_net_t *nt = &e->net;
    sim_time_t p = nt->period_ps ? nt->period_ps : 1;
    while (e->net_q.heap_n) {
        uint32_t i = e->net_q.heap[0];
        uheap_pop(&e->net_q);
        const map_exec_entry_t *en = &e->x->entries[i];
        uint32_t src = (uint32_t)nt->node[en->req.k], dst = (uint32_t)nt->node[en->req.n];
        for (uint64_t r = 0; r < en->reps; r++) {
            sim_time_t arrive = link_pass(&e->nodes[src].to, now, (uint32_t)sizeof(noc_send_t));
            uint64_t tail = 0;
            int rc = net_send(e, i, src, dst, en->req.m, arrive, &tail);
            if (rc)
                return rc;
            /* deliveries are priced out of time order here; they carry no
             * bytes, so they never wait on the link */
            sim_time_t back = (sim_time_t)tail * p + e->nodes[dst].back.latency_ps;
            e->out->requests++;
            if ((rc = evq_push(e, back, i)) != 0)
                return rc;
        }
        e->reps_sent[i] = en->reps;
    }
    return 0;
}

static int issue(est_t *e, sim_time_t now)
{
    if (e->net_q.heap_n) {
        int rc = issue_net(e, now);
        if (rc)
            return rc;
    }
    for (size_t ui = 0; ui < e->x->n_units; ui++) {
        est_unit_t *u = &e->units[ui];
        while (u->in_flight < e->outstanding && u->heap_n) {
            uint32_t i = u->heap[0];
            const map_exec_entry_t *en = &e->x->entries[i];
            dev_req_t req = en->req;
            req.weight_id = en->req.weight_id + (uint32_t)(e->reps_sent[i] * en->weight_step);
            if (en->fwd_to) {
                /* the rule and the successor's request go first (sched_driver.c);
                 * over the network, the parked request to the successor's
                 * terminal before them */
                const map_fwd_route_t *r = &fwd_of(e, i)->route;
                if (r->network) {
                    link_pass(&e->nodes[r->dst].to, now, (uint32_t)sizeof(noc_arm_t));
                    link_pass(&e->nodes[r->dst].to, now, (uint32_t)sizeof(dev_req_t));
                }
                link_pass(&u->to, now, (uint32_t)sizeof(dev_fwd_t));
                link_pass(&u->to, now, SIM_PAYLOAD_BYTES);
            }
            sim_time_t arrive = link_pass(&u->to, now, (uint32_t)sizeof(dev_req_t)), finish = 0;
            int rc = price(e, ui, i, &req, arrive, &finish);
            if (rc)
                return rc;
            if (en->fwd_to) {
                /* the result and the successor's request cross the unit's link to
                 * the successor's unit, or the network; the successor is priced
                 * when it arrives */
                est_fwd_t *f = fwd_of(e, i);
                const map_fwd_route_t *r = &f->route;
                sim_time_t at;
                if (r->network) {
                    sim_time_t p = e->net.period_ps ? e->net.period_ps : 1;
                    uint64_t tail = 0;
                    rc = net_send(e, en->fwd_to, r->src, r->dst, en->fwd_bytes,
                                  link_pass(&f->link, finish, (uint32_t)sizeof(noc_send_t)),
                                  &tail);
                    at = (sim_time_t)tail * p + r->out_latency_ps;
                } else {
                    at = link_pass(&f->link, finish, (uint32_t)en->fwd_bytes);
                }
                if (!rc)
                    rc = evq_push2(e, at, en->fwd_to, 1);
                e->reps_sent[en->fwd_to] = 1;
            } else {
                rc = evq_push(e, link_pass(&u->back, finish, (uint32_t)sizeof(dev_done_t)), i);
            }
            if (rc)
                return rc;
            if (++e->reps_sent[i] == en->reps)
                uheap_pop(u);
            u->in_flight++;
        }
    }
    return 0;
}

/* the links between the driver's port `port` and its unit, both ways */
static void find_links(sim_t *s, const char *driver, const char *port, const char *comp,
                       est_link_t *to, est_link_t *bk)
{
    char from[256], back[256];
    snprintf(from, sizeof from, "%s.%s", driver, port);
    snprintf(back, sizeof back, "%s.", comp);
    size_t bl = strlen(back), dl = strlen(driver);
    for (size_t i = 0; i < sim_link_count(s); i++) {
        sim_link_info_t li;
        sim_link_get(s, i, &li);
        est_link_t *l = NULL;
        if (strcmp(li.from, from) == 0)
            l = to;
        else if (strncmp(li.from, back, bl) == 0 && strncmp(li.to, driver, dl) == 0 &&
                 li.to[dl] == '.')
            l = bk;
        if (!l)
            continue;
        l->latency_ps = li.latency_ps;
        l->ps_per_byte = li.bandwidth_gbps > 0 ? 1000.0 / li.bandwidth_gbps : 0.0;
    }
}

void map_estimate_free(map_estimate_t *o)
{
    if (!o)
        return;
    free(o->unit_busy_ps);
    free(o->unit_energy_pj);
    o->unit_busy_ps = NULL;
    o->unit_energy_pj = NULL;
}

int map_estimate(sim_t *s, const map_schedule_t *sched, map_estimate_t *out, char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    const char *driver = NULL;
    int rc = map_find_driver(s, &driver, err, n);
    if (rc)
        return rc;
    const map_exec_t *x = &sched->exec;
    const sim_params_t *p = sim_comp_params(sim_comp_find(s, driver));
    est_t e;
    memset(&e, 0, sizeof e);
    e.x = x;
    e.out = out;
    e.err = err;
    e.errn = n;
    e.outstanding = (uint64_t)sim_param_int(p, "outstanding");
    int sequential = strcmp(sim_param_str(p, "order"), "sequential") == 0;
    sim_time_t start = (sim_time_t)sim_param_int(p, "start_ps");
    size_t ne = x->n_entries;
    e.units = calloc(x->n_units ? x->n_units : 1, sizeof *e.units);
    e.waiting = calloc(ne ? ne : 1, sizeof *e.waiting);
    e.stack = calloc(ne ? ne : 1, sizeof *e.stack);
    e.succ_off = calloc(ne + 1, sizeof *e.succ_off);
    e.reps_sent = calloc(ne ? ne : 1, sizeof *e.reps_sent);
    e.reps_done = calloc(ne ? ne : 1, sizeof *e.reps_done);
    size_t n_succ = sequential ? (ne ? ne - 1 : 0) : x->n_preds;
    e.succ = calloc(n_succ ? n_succ : 1, sizeof *e.succ);
    out->n_units = x->n_units;
    out->unit_busy_ps = calloc(x->n_units ? x->n_units : 1, sizeof *out->unit_busy_ps);
    out->unit_energy_pj = calloc(x->n_units ? x->n_units : 1, sizeof *out->unit_energy_pj);
    if (!e.units || !e.waiting || !e.stack || !e.succ_off || !e.reps_sent || !e.reps_done ||
        !e.succ || !out->unit_busy_ps || !out->unit_energy_pj) {
        rc = SIM_ERR_NOMEM;
        snprintf(err, n, "out of memory");
        goto done;
    }
    for (size_t ui = 0; ui < x->n_units; ui++) {
        est_unit_t *u = &e.units[ui];
        const map_unit_t *mu = &sched->units.unit[ui];
        u->comp = sim_comp_find(s, mu->comp);
        u->heap = calloc(ne ? ne : 1, sizeof *u->heap);
        if (!u->heap) {
            rc = SIM_ERR_NOMEM;
            snprintf(err, n, "out of memory");
            goto done;
        }
        if (!u->comp)
            continue; /* unused units need not be linked */
        u->period_ps = sim_comp_period_ps(u->comp);
        if (!u->period_ps)
            u->period_ps = 1;
        find_links(s, driver, mu->name, mu->comp, &u->to, &u->back);
    }
    /* the network: which units sit at its nodes, and the driver's links to
     * each node's terminal */
    if ((rc = map_net_resolve(s, driver, &sched->units, &e.net, err, n)) != 0)
        goto done;
    if (e.net.present) {
        uint32_t nodes = noc_nodes(&e.net.cfg);
        uint32_t nl = noc_link_count(&e.net.cfg);
        e.net_tail = calloc(ne ? ne : 1, sizeof *e.net_tail);
        e.net_delay = calloc(ne ? ne : 1, sizeof *e.net_delay);
        e.nodes = calloc(nodes ? nodes : 1, sizeof *e.nodes);
        e.link_free = calloc(nl ? nl : 1, sizeof *e.link_free);
        e.link_src = calloc(nl ? nl : 1, sizeof *e.link_src);
        e.net_q.heap = calloc(ne ? ne : 1, sizeof *e.net_q.heap);
        if (!e.nodes || !e.link_free || !e.link_src || !e.net_q.heap || !e.net_tail ||
            !e.net_delay) {
            rc = SIM_ERR_NOMEM;
            snprintf(err, n, "out of memory");
            goto done;
        }
        for (size_t ui = 0; ui < x->n_units; ui++) {
            int32_t nd = e.net.node[ui];
            if (nd >= 0 && (uint32_t)nd < nodes && !e.nodes[nd].to.latency_ps &&
                !e.nodes[nd].to.ps_per_byte)
                find_links(s, driver, e.net.port[ui], sim_comp_name(e.net.term[ui]),
                           &e.nodes[nd].to, &e.nodes[nd].back);
        }
    }
    for (size_t i = 0; i < ne; i++) {
        const map_exec_entry_t *en = &x->entries[i];
        if (en->unit >= 0 && !e.units[en->unit].comp) {
            rc = SIM_ERR_CONFIG;
            snprintf(err, n, "schedule entry %zu (op '%s'): unit '%s' is not linked", i,
                     en->name ? en->name : "?", x->units[en->unit]);
            goto done;
        }
    }
    /* successors, as the driver builds them */
    if (sequential) {
        for (size_t i = 0; i < ne; i++) {
            e.waiting[i] = i > 0;
            e.succ_off[i] = i;
            if (i + 1 < ne)
                e.succ[i] = (uint32_t)(i + 1);
        }
        e.succ_off[ne] = n_succ;
    } else {
        for (size_t i = 0; i < ne; i++) {
            e.waiting[i] = x->entries[i].n_preds;
            for (uint32_t j = 0; j < x->entries[i].n_preds; j++)
                e.succ_off[x->preds[x->entries[i].pred_off + j] + 1]++;
        }
        for (size_t i = 0; i < ne; i++)
            e.succ_off[i + 1] += e.succ_off[i];
        size_t *fill = calloc(ne ? ne : 1, sizeof *fill);
        if (!fill) {
            rc = SIM_ERR_NOMEM;
            snprintf(err, n, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < ne; i++)
            for (uint32_t j = 0; j < x->entries[i].n_preds; j++) {
                uint32_t pr = x->preds[x->entries[i].pred_off + j];
                e.succ[e.succ_off[pr] + fill[pr]++] = (uint32_t)i;
            }
        free(fill);
    }
    /* forwarding: who forwards to whom, and the unit-to-unit links it uses */
    e.fwd_from = calloc(ne ? ne : 1, sizeof *e.fwd_from);
    if (!e.fwd_from) {
        rc = SIM_ERR_NOMEM;
        snprintf(err, n, "out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < ne; i++) {
        const map_exec_entry_t *en = &x->entries[i];
        if (!en->fwd_to || en->fwd_to >= ne)
            continue;
        e.fwd_from[en->fwd_to] = i + 1;
        int to = x->entries[en->fwd_to].unit;
        size_t k = 0;
        while (k < e.n_fwd && !(e.fwd[k].from == en->unit && e.fwd[k].to == to))
            k++;
        if (k < e.n_fwd)
            continue;
        est_fwd_t *f = realloc(e.fwd, (e.n_fwd + 1) * sizeof *f);
        if (!f) {
            rc = SIM_ERR_NOMEM;
            snprintf(err, n, "out of memory");
            goto done;
        }
        e.fwd = f;
        memset(&e.fwd[e.n_fwd], 0, sizeof e.fwd[e.n_fwd]);
        e.fwd[e.n_fwd].from = en->unit;
        e.fwd[e.n_fwd].to = to;
        est_fwd_t *nf = &e.fwd[e.n_fwd];
        if (map_fwd_route(s, &sched->units, &e.net, en->unit, to, &nf->route, err, n)) {
            rc = SIM_ERR_CONFIG;
            goto done;
        }
        nf->link.latency_ps = nf->route.latency_ps;
        nf->link.ps_per_byte = nf->route.ps_per_byte;
        e.n_fwd++;
    }
    e.last_done = start;
    for (uint32_t i = 0; i < ne; i++) {
        if (sequential ? i != 0 : x->entries[i].n_preds != 0)
            continue;
        if (x->entries[i].unit >= 0)
            uheap_push(is_net(&e, &x->entries[i]) ? &e.net_q : &e.units[x->entries[i].unit], i);
        else
            entry_done(&e, i, start);
    }
    if ((rc = issue(&e, start)) != 0)
        goto done;
    while (e.evq_n) {
        est_ev_t ev = evq_pop(&e);
        const map_exec_entry_t *en = &x->entries[ev.entry];
        if (e.net_delay && e.net_delay[ev.entry]) {
            /* made late by messages priced after it: complete later */
            sim_time_t late = e.net_delay[ev.entry];
            e.net_delay[ev.entry] = 0;
            if ((rc = evq_push2(&e, ev.t + late, ev.entry, ev.arrival)) != 0)
                goto done;
            continue;
        }
        if (ev.arrival) {
            /* a forwarded request reached its unit: it runs there, then reports */
            dev_req_t req = en->req;
            sim_time_t finish = 0;
            if ((rc = price(&e, (size_t)en->unit, ev.entry, &req, ev.t, &finish)) != 0 ||
                (rc = evq_push(
                     &e, link_pass(&e.units[en->unit].back, finish, (uint32_t)sizeof(dev_done_t)),
                     ev.entry)) != 0)
                goto done;
            continue;
        }
        if (e.fwd_from[ev.entry]) {
            /* the chain's end: its producer is done too and frees its slot */
            uint32_t pr = e.fwd_from[ev.entry] - 1;
            e.units[x->entries[pr].unit].in_flight--;
            e.reps_done[pr] = 1;
            entry_done(&e, pr, ev.t);
            if (++e.reps_done[ev.entry] == en->reps)
                entry_done(&e, ev.entry, ev.t);
            if ((rc = issue(&e, ev.t)) != 0)
                goto done;
            continue;
        }
        if (!is_net(&e, en))
            e.units[en->unit].in_flight--;
        if (++e.reps_done[ev.entry] == en->reps)
            entry_done(&e, ev.entry, ev.t);
        if ((rc = issue(&e, ev.t)) != 0)
            goto done;
    }
    if (e.done != ne) {
        rc = SIM_ERR_CONFIG;
        snprintf(err, n, "schedule: %zu of %zu entries never became ready", ne - e.done, ne);
        goto done;
    }
    out->makespan_ps = e.last_done - start;
    /* static power of every component for as long as the run lasts */
    for (size_t i = 0; i < sim_comp_count(s); i++)
        out->static_pj += dev_static_power_mw(sim_comp_at(s, i)) * (double)e.last_done * 1e-3;
    out->energy_pj = out->dynamic_pj + out->static_pj;
done:
    if (e.units)
        for (size_t ui = 0; ui < x->n_units; ui++)
            free(e.units[ui].heap);
    free(e.units);
    free(e.waiting);
    free(e.stack);
    free(e.succ_off);
    free(e.succ);
    free(e.reps_sent);
    free(e.reps_done);
    free(e.evq);
    free(e.fwd_from);
    free(e.fwd);
    if (e.nodes && e.net.present)
        for (uint32_t nd = 0; nd < noc_nodes(&e.net.cfg); nd++)
            free(e.nodes[nd].sent);
    free(e.nodes);
    free(e.net_tail);
    free(e.net_delay);
    free(e.link_free);
    free(e.link_src);
    free(e.net_q.heap);
    map_net_free(&e.net);
    if (rc)
        map_estimate_free(out);
    return rc;
}
