/* `noc_terminal`: the network interface of one node. As a source it makes
 * packets (Bernoulli synthetic traffic, or "send B bytes to node D" from a
 * device) into an unbounded source queue and injects at most one flit per
 * cycle, picking the VC of a new packet round robin among free VCs with a
 * credit (BookSim2's TrafficManager). As a sink it reads every arriving flit
 * at once and returns its credit, checks order within each packet, keeps
 * latency statistics of measured packets, and tells the device attached to
 * its "out" port when the last packet of a message has arrived. */
#include "devices/dev.h"
#include "noc/noc_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sim_param_def_t term_params[] = {
    {"topology", SIM_P_ENUM, "mesh", "", 0, 0, "mesh|torus|fbfly|fattree", "network topology",
     "BookSim2 topology"},
    {"k", SIM_P_INT, "8", "", 2, 256, NULL, "routers per dimension", "BookSim2 mesh88_lat"},
    {"n", SIM_P_INT, "2", "", 1, 4, NULL, "dimensions", "BookSim2 mesh88_lat"},
    {"concentration", SIM_P_INT, "1", "", 1, 16, NULL, "terminals per router", "BookSim2 c"},
    {"node", SIM_P_INT, "0", "", 0, 16777215, NULL, "node id", ""},
    {"num_vcs", SIM_P_INT, "8", "", 1, 64, NULL, "VCs of the injection channel",
     "BookSim2 mesh88_lat"},
    {"vc_buf_size", SIM_P_INT, "8", "flits", 1, 4096, NULL, "router buffer per VC",
     "BookSim2 mesh88_lat"},
    {"wait_for_tail_credit", SIM_P_BOOL, "true", "", 0, 0, NULL,
     "a VC takes a new packet only after the tail credit", "BookSim2 mesh88_lat"},
    {"traffic", SIM_P_STR, "none", "", 0, 0, NULL, "synthetic pattern (none: NI only)",
     "BookSim2 traffic"},
    {"rate", SIM_P_REAL, "0", "flits/cycle", 0, 1, NULL, "offered load", "BookSim2 injection_rate"},
    {"packet_size", SIM_P_STR, "1", "flits", 0, 0, NULL, "sizes, equally likely",
     "BookSim2 packet_size"},
    {"hotspot_node", SIM_P_INT, "0", "", 0, 16777215, NULL, "hotspot destination", ""},
    {"hotspot_fraction", SIM_P_REAL, "0.2", "", 0, 1, NULL, "share of packets to the hotspot", ""},
    {"packet_flits", SIM_P_INT, "4", "flits", 1, 255, NULL, "largest NI packet",
     "BookSim2 packet_size of its 4-flit examples"},
    /* the network this terminal belongs to, for cost queries (noc_cfg_of_terminal) */
    {"channel_latency", SIM_P_INT, "1", "cycles", 1, 1000, NULL, "cycles on every channel",
     "BookSim2 (1 in KNCube)"},
    {"use_noc_latency", SIM_P_BOOL, "false", "", 0, 0, NULL,
     "router-router links by their length", "BookSim2 use_noc_latency"},
    {"link_latency", SIM_P_STR, "", "", 0, 0, NULL,
     "explicit link latencies, ROUTER.PORT=CYCLES;...", "the network: block"},
    {"routing", SIM_P_STR, "dor", "", 0, 0, NULL, "routing function", "BookSim2 dim_order"},
    {"routing_delay", SIM_P_INT, "0", "cycles", 0, 1000, NULL, "route computation",
     "BookSim2 mesh88_lat"},
    {"vc_alloc_delay", SIM_P_INT, "1", "cycles", 1, 1000, NULL, "VC allocation",
     "BookSim2 mesh88_lat"},
    {"sw_alloc_delay", SIM_P_INT, "1", "cycles", 1, 1000, NULL, "switch allocation",
     "BookSim2 mesh88_lat"},
    {"st_final_delay", SIM_P_INT, "1", "cycles", 1, 1000, NULL, "crossbar traversal",
     "BookSim2 mesh88_lat"},
    NOC_ENERGY_PARAMS,
    {"attach", SIM_P_STR, "", "", 0, 0, NULL,
     "components at this node (comma separated): their transfers enter and leave here",
     "chip config (network: attach.<node>)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static uint64_t geom_gap(sim_comp_t *c, double p)
{
    if (p >= 1.0)
        return 0;
    double u = sim_rng_uniform(c);
    double g = floor(log(u) / log1p(-p));
    return g > 1e15 ? (uint64_t)1e15 : (uint64_t)g;
}

static int term_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    noc_term_t *t = state;
    noc_cfg_t cfg;
    noc_cfg_default(&cfg);
    snprintf(cfg.topology, sizeof cfg.topology, "%s", sim_param_str(p, "topology"));
    cfg.k = (int)sim_param_int(p, "k");
    cfg.n = (int)sim_param_int(p, "n");
    cfg.concentration = (int)sim_param_int(p, "concentration");
    cfg.num_vcs = (int)sim_param_int(p, "num_vcs");
    char err[256];
    if (noc_topo_from_cfg(&cfg, &t->topo, err, sizeof err))
        return sim_comp_fail(c, "%s", err);
    if (noc_cfg_set(&cfg, "packet_size", sim_param_str(p, "packet_size"), err, sizeof err))
        return sim_comp_fail(c, "%s", err);
    t->node = (uint32_t)sim_param_int(p, "node");
    t->nodes = noc_nodes(&cfg);
    t->vcs = cfg.num_vcs;
    t->buf = (int)sim_param_int(p, "vc_buf_size");
    t->wait_tail = sim_param_bool(p, "wait_for_tail_credit");
    t->out = sim_chan_out(c, 0);
    t->in = sim_chan_in(c, 0);
    if (!t->out || !t->in)
        return sim_comp_fail(c, "terminal %u is not connected to a router", t->node);
    t->dev_out = sim_port(c, "out");
    if (t->dev_out >= 0 && !sim_port_is_out(c, t->dev_out))
        t->dev_out = -1;
    for (int v = 0; v < t->vcs; v++)
        t->credits[v] = (int16_t)t->buf;
    t->cur_vc = -1;
    t->last_vc = t->vcs - 1;
    t->pattern = noc_traffic_kind(sim_param_str(p, "traffic"));
    if (t->pattern < 0)
        return sim_comp_fail(c, "unknown traffic pattern '%s'", sim_param_str(p, "traffic"));
    t->n_sizes = cfg.n_sizes;
    double mean = 0;
    for (int i = 0; i < cfg.n_sizes; i++) {
        t->sizes[i] = cfg.sizes[i];
        mean += cfg.sizes[i];
    }
    mean /= cfg.n_sizes;
    t->p_packet = sim_param_real(p, "rate") / mean;
    t->hotspot_node = (uint32_t)sim_param_int(p, "hotspot_node");
    t->hotspot_fraction = sim_param_real(p, "hotspot_fraction");
    t->flit_bytes = (int)sim_param_int(p, "flit_bytes");
    t->packet_flits = (int)sim_param_int(p, "packet_flits");
    t->win_lo = 0;
    t->win_hi = UINT64_MAX;
    t->h_inj = sim_stat(c, "flits_injected", SIM_STAT_COUNT, "flits");
    t->h_ej = sim_stat(c, "flits_ejected", SIM_STAT_COUNT, "flits");
    t->h_msg_sent = sim_stat(c, "message_bytes_sent", SIM_STAT_COUNT, "B");
    t->h_msg_delivered = sim_stat(c, "message_bytes_delivered", SIM_STAT_COUNT, "B");
    t->op_pkt = sim_trace_op(c, "noc.packet");
    t->gen_on = t->pattern != NOC_TR_NONE && t->p_packet > 0;
    if (t->gen_on) {
        t->next_gen = geom_gap(c, t->p_packet);
        sim_clock_wake_at(c, t->next_gen);
    }
    return 0;
}

static int q_push(noc_term_t *t, const noc_pkt_t *pk)
{
    if (t->q_n == t->q_cap) {
        size_t cap = t->q_cap ? 2 * t->q_cap : 64;
        noc_pkt_t *q = malloc(cap * sizeof *q);
        if (!q)
            return -1;
        for (size_t i = 0; i < t->q_n; i++)
            q[i] = t->q[(t->q_head + i) % t->q_cap];
        free(t->q);
        t->q = q;
        t->q_head = 0;
        t->q_cap = cap;
    }
    t->q[(t->q_head + t->q_n) % t->q_cap] = *pk;
    t->q_n++;
    return 0;
}

/* NOC_MSG_ARM / NOC_MSG_ARM_DATA: park a message until its tag arrives */
static void term_arm(sim_comp_t *c, noc_term_t *t, const sim_event_t *ev)
{
    if (ev->kind == NOC_MSG_ARM_DATA) {
        if (!t->n_armed || t->armed[t->n_armed - 1].has_data) {
            sim_comp_fail(c, "terminal '%s': parked data without its message", sim_comp_name(c));
            return;
        }
        memcpy(t->armed[t->n_armed - 1].data, sim_event_payload(ev), SIM_PAYLOAD_BYTES);
        t->armed[t->n_armed - 1].has_data = 1;
        return;
    }
    noc_arm_t a;
    memcpy(&a, sim_event_payload(ev), sizeof a);
    a.port[sizeof a.port - 1] = '\0';
    int port = sim_port(c, a.port);
    if (port < 0 || !sim_port_is_out(c, port)) {
        sim_comp_fail(c, "terminal '%s': no link leaves port '%s' for the message parked for tag %llu",
                      sim_comp_name(c), a.port, (unsigned long long)a.tag);
        return;
    }
    if (t->n_armed == t->cap_armed) {
        size_t cap = t->cap_armed ? 2 * t->cap_armed : 8;
        noc_armed_t *p = realloc(t->armed, cap * sizeof *p);
        if (!p) {
            sim_comp_fail(c, "out of memory");
            return;
        }
        t->armed = p;
        t->cap_armed = cap;
    }
    t->armed[t->n_armed++] = (noc_armed_t){.tag = a.tag, .kind = a.kind, .port = port};
}

static void term_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    noc_term_t *t = state;
    if (ev->kind == NOC_MSG_ARM || ev->kind == NOC_MSG_ARM_DATA) {
        term_arm(c, t, ev);
        return;
    }
    if (ev->kind != NOC_MSG_SEND)
        return;
    noc_send_t rq;
    memcpy(&rq, sim_event_payload(ev), sizeof rq);
    if (rq.dest >= t->nodes || rq.bytes == 0) {
        sim_comp_fail(c,
                      "send of %llu bytes to node %u: the network has nodes 0..%u and a "
                      "message needs at least 1 byte",
                      (unsigned long long)rq.bytes, rq.dest, t->nodes - 1);
        return;
    }
    if (t->n_req == t->cap_req) {
        size_t cap = t->cap_req ? 2 * t->cap_req : 16;
        noc_send_t *a = realloc(t->req, cap * sizeof *a);
        if (!a) {
            sim_comp_fail(c, "out of memory");
            return;
        }
        t->req = a;
        t->cap_req = cap;
    }
    t->req[t->n_req++] = rq;
    sim_clock_wake(c);
}

/* ---- reassembly of messages: (src, msg) -> packets arrived ------------------------------ */
static uint32_t *rs_slot(noc_term_t *t, uint64_t key, int insert)
{
    if (insert && 2 * (t->rs_n + 1) > t->rs_cap) {
        size_t cap = t->rs_cap ? 2 * t->rs_cap : 64;
        uint64_t *k = calloc(cap, sizeof *k);
        uint32_t *n = calloc(cap, sizeof *n);
        if (!k || !n) {
            free(k);
            free(n);
            return NULL;
        }
        for (size_t i = 0; i < t->rs_cap; i++)
            if (t->rs_key[i]) {
                size_t j = (size_t)sim_hash64_noc(t->rs_key[i]) & (cap - 1);
                while (k[j])
                    j = (j + 1) & (cap - 1);
                k[j] = t->rs_key[i];
                n[j] = t->rs_count[i];
            }
        free(t->rs_key);
        free(t->rs_count);
        t->rs_key = k;
        t->rs_count = n;
        t->rs_cap = cap;
    }
    if (!t->rs_cap)
        return NULL;
    size_t mask = t->rs_cap - 1, j = (size_t)sim_hash64_noc(key) & mask;
    while (t->rs_key[j] && t->rs_key[j] != key)
        j = (j + 1) & mask;
    if (!t->rs_key[j]) {
        if (!insert)
            return NULL;
        t->rs_key[j] = key;
        t->rs_count[j] = 0;
        t->rs_n++;
    }
    return &t->rs_count[j];
}

static void rs_erase(noc_term_t *t, uint64_t key)
{
    size_t mask = t->rs_cap - 1, j = (size_t)sim_hash64_noc(key) & mask;
    while (t->rs_key[j] != key)
        j = (j + 1) & mask;
    /* backward-shift deletion keeps every probe chain whole */
    for (;;) {
        t->rs_key[j] = 0;
        size_t k = j;
        for (;;) {
            k = (k + 1) & mask;
            if (!t->rs_key[k]) {
                t->rs_n--;
                return;
            }
            size_t home = (size_t)sim_hash64_noc(t->rs_key[k]) & mask;
            if ((k > j && (home <= j || home > k)) || (k < j && home <= j && home > k))
                break;
        }
        t->rs_key[j] = t->rs_key[k];
        t->rs_count[j] = t->rs_count[k];
        j = k;
    }
}

static void deliver(sim_comp_t *c, noc_term_t *t, const noc_flit_t *f, uint64_t cycle)
{
    int done = f->n_pkts <= 1;
    if (!done) {
        uint64_t key = ((uint64_t)f->src << 40) ^ f->msg;
        uint32_t *cnt = rs_slot(t, key, 1);
        if (!cnt) {
            sim_comp_fail(c, "out of memory");
            return;
        }
        if (++*cnt == f->n_pkts) {
            rs_erase(t, key);
            done = 1;
        }
    }
    if (!done)
        return;
    t->delivered_msgs++;
    sim_stat_add(c, t->h_msg_delivered, (double)f->msg_bytes);
    for (size_t i = 0; i < t->n_armed; i++) {
        noc_armed_t *a = &t->armed[i];
        if (a->tag != f->tag || !a->has_data)
            continue;
        /* a message parked for this one: it goes to its device now */
        noc_armed_t keep = *a;
        *a = t->armed[--t->n_armed];
        sim_msg_t m = {.kind = (uint16_t)keep.kind,
                       .bytes = 0,
                       .data = keep.data,
                       .data_len = SIM_PAYLOAD_BYTES};
        int port = keep.port;
        sim_send(c, port, &m, 0);
        return;
    }
    if (t->dev_out < 0)
        return;
    noc_delivered_t d = {.src = f->src,
                         .dest = f->dest,
                         .bytes = f->msg_bytes,
                         .tag = f->tag,
                         .sent_cycle = f->created,
                         .delivered_cycle = cycle};
    sim_msg_t m = {.kind = NOC_MSG_DELIVERED, .bytes = 0, .data = &d, .data_len = sizeof d};
    sim_send(c, t->dev_out, &m, 0);
}

static void eject(sim_comp_t *c, noc_term_t *t, const noc_flit_t *f, uint64_t cycle)
{
    int v = f->vc;
    if (f->dest != t->node) {
        sim_comp_fail(c, "flit for node %u ejected at node %u", f->dest, t->node);
        return;
    }
    if (f->flags & NOC_HEAD) {
        if (t->sink_next[v] || f->idx) {
            sim_comp_fail(c, "VC %d: head of a packet from node %u before the previous tail", v,
                          f->src);
            return;
        }
    } else if (f->idx != t->sink_next[v] || f->created != t->sink_pkt[v]) {
        sim_comp_fail(c, "VC %d: flit %u of a packet from node %u out of order (expected %u)", v,
                      f->idx, f->src, t->sink_next[v]);
        return;
    }
    t->sink_pkt[v] = f->created;
    t->sink_next[v] = (uint8_t)(f->idx + 1);
    t->flits_ejected++;
    t->flits_ejected_ctime += f->created;
    if (!(f->flags & NOC_TAIL))
        return;
    if (f->idx + 1 != f->size) {
        sim_comp_fail(c, "packet from node %u ended after %u of %u flits", f->src, f->idx + 1u,
                      f->size);
        return;
    }
    t->sink_next[v] = 0;
    t->packets_ejected++;
    if (f->created >= t->win_lo && f->created < t->win_hi) {
        noc_term_stats_t *st = &t->st;
        uint64_t lat = cycle - f->created;
        st->meas_arrived++;
        st->meas_arrived_ctime += f->created;
        st->lat_sum += (double)lat;
        st->net_lat_sum += (double)(cycle - f->injected);
        st->hops_sum += f->hops;
        if (st->n_lat == st->cap_lat) {
            size_t cap = st->cap_lat ? 2 * st->cap_lat : 256;
            uint32_t *a = realloc(st->lat, cap * sizeof *a);
            if (a) {
                st->lat = a;
                st->cap_lat = cap;
            }
        }
        if (st->n_lat < st->cap_lat)
            st->lat[st->n_lat++] = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
    }
    if (sim_tracing(c))
        sim_trace(c, t->op_pkt, f->created * sim_comp_period_ps(c),
                  (cycle - f->created) * sim_comp_period_ps(c),
                  (uint64_t)f->size * (uint64_t)t->flit_bytes, 0,
                  (uint64_t)f->src | (uint64_t)f->hops << 32);
    if (f->msg)
        deliver(c, t, f, cycle);
}

static void make_packets(sim_comp_t *c, noc_term_t *t, uint64_t cycle)
{
    for (size_t r = 0; r < t->n_req; r++) {
        noc_send_t *rq = &t->req[r];
        uint64_t flits = (rq->bytes + (uint64_t)t->flit_bytes - 1) / (uint64_t)t->flit_bytes;
        uint64_t pkts = (flits + (uint64_t)t->packet_flits - 1) / (uint64_t)t->packet_flits;
        if (pkts > UINT32_MAX) {
            sim_comp_fail(c, "message of %llu bytes needs more than 2^32 packets",
                          (unsigned long long)rq->bytes);
            return;
        }
        uint64_t msg = ++t->next_msg;
        sim_stat_add(c, t->h_msg_sent, (double)rq->bytes);
        for (uint64_t i = 0; i < pkts; i++) {
            uint64_t left = flits - i * (uint64_t)t->packet_flits;
            noc_pkt_t pk = {
                .created = cycle,
                .msg = msg,
                .tag = rq->tag,
                .msg_bytes = rq->bytes,
                .dest = rq->dest,
                .pkt_idx = (uint32_t)i,
                .n_pkts = (uint32_t)pkts,
                .size =
                    (uint8_t)(left < (uint64_t)t->packet_flits ? left : (uint64_t)t->packet_flits)};
            if (q_push(t, &pk)) {
                sim_comp_fail(c, "out of memory");
                return;
            }
            t->packets_created++;
            t->flits_created += pk.size;
            t->flits_created_ctime += (uint64_t)pk.size * cycle;
        }
    }
    t->n_req = 0;
}

static void generate(sim_comp_t *c, noc_term_t *t, uint64_t cycle)
{
    while (t->gen_on && t->next_gen <= cycle) {
        double u = sim_rng_uniform(c), u2 = t->pattern == NOC_TR_HOTSPOT ? sim_rng_uniform(c) : 1;
        noc_pkt_t pk = {.created = cycle,
                        .dest = noc_traffic_dest(t->pattern, &t->topo, t->node, u, u2,
                                                 t->hotspot_node, t->hotspot_fraction),
                        .n_pkts = 1};
        pk.size = (uint8_t)(t->n_sizes == 1 ? t->sizes[0]
                                            : t->sizes[sim_rng_u64(c) % (uint64_t)t->n_sizes]);
        if (q_push(t, &pk)) {
            sim_comp_fail(c, "out of memory");
            return;
        }
        t->packets_created++;
        t->flits_created += pk.size;
        t->flits_created_ctime += (uint64_t)pk.size * cycle;
        if (cycle >= t->win_lo && cycle < t->win_hi) {
            t->st.meas_created++;
            t->st.meas_created_ctime += cycle;
        }
        t->next_gen = cycle + 1 + geom_gap(c, t->p_packet);
    }
}

static void inject(noc_term_t *t, uint64_t cycle)
{
    if (!t->q_n)
        return;
    if (t->cur_vc < 0) {
        for (int j = 1; j <= t->vcs; j++) {
            int v = (t->last_vc + j) % t->vcs;
            if (!t->vc_busy[v] && t->credits[v] > 0) {
                t->cur_vc = v;
                t->last_vc = v;
                t->vc_busy[v] = 1;
                t->cur_flit = 0;
                break;
            }
        }
        if (t->cur_vc < 0)
            return;
    }
    int v = t->cur_vc;
    if (t->credits[v] <= 0)
        return;
    noc_pkt_t *pk = &t->q[t->q_head];
    if (t->cur_flit == 0)
        pk->injected = cycle;
    noc_flit_t f = {.created = pk->created,
                    .injected = pk->injected,
                    .msg = pk->msg,
                    .tag = pk->tag,
                    .src = t->node,
                    .dest = pk->dest,
                    .pkt_idx = pk->pkt_idx,
                    .n_pkts = pk->n_pkts,
                    .msg_bytes = pk->msg_bytes,
                    .vc = (uint8_t)v,
                    .size = pk->size,
                    .idx = (uint8_t)t->cur_flit};
    f.flags =
        (uint8_t)((t->cur_flit == 0 ? NOC_HEAD : 0) | (t->cur_flit == pk->size - 1 ? NOC_TAIL : 0));
    sim_chan_send(t->out, &f);
    t->credits[v]--;
    t->flits_injected++;
    if (++t->cur_flit == pk->size) {
        t->q_head = (t->q_head + 1) % t->q_cap;
        t->q_n--;
        t->cur_vc = -1;
        if (t->wait_tail)
            t->vc_tail_sent[v] = 1;
        else
            t->vc_busy[v] = 0;
    }
}

static int term_tick(sim_comp_t *c, void *state, uint64_t cycle)
{
    noc_term_t *t = state;
    uint32_t tok;
    while (sim_chan_credit_take(t->out, &tok)) {
        if (++t->credits[tok] > t->buf) {
            sim_comp_fail(c, "injection VC %u credit count exceeds the buffer (%d)", tok, t->buf);
            return 0;
        }
        if (t->vc_tail_sent[tok] && t->credits[tok] == t->buf) {
            t->vc_tail_sent[tok] = 0;
            t->vc_busy[tok] = 0;
        }
    }
    const noc_flit_t *f;
    while ((f = sim_chan_peek(t->in)) != NULL) {
        noc_flit_t fl = *f;
        sim_chan_pop(t->in);
        sim_chan_credit(t->in, fl.vc); /* the sink never blocks */
        eject(c, t, &fl, cycle);
    }
    if (t->n_req)
        make_packets(c, t, cycle);
    uint64_t before = t->next_gen;
    generate(c, t, cycle);
    inject(t, cycle);
    if (t->gen_on && t->next_gen != before)
        sim_clock_wake_at(c, t->next_gen);
    return t->q_n > 0;
}

static void term_finish(sim_comp_t *c, void *state)
{
    noc_term_t *t = state;
    sim_stat_add(c, t->h_inj, (double)t->flits_injected);
    sim_stat_add(c, t->h_ej, (double)t->flits_ejected);
}

static void term_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    noc_term_t *t = state;
    free(t->q);
    free(t->req);
    free(t->armed);
    free(t->rs_key);
    free(t->rs_count);
    free(t->st.lat);
}

static const char *const term_in[] = {"in", NULL};

/* what it is, for the layers above (devices/dev.h): a network interface that
 * takes transfer requests */
static const dev_ext_t term_ext = {
    .desc = {DEV_CAT_NETWORK, DEV_OP_BIT(DEV_OP_TRANSFER), 0, DEV_MEM_NONE},
};

const sim_model_t noc_terminal_model = {
    .name = "noc_terminal",
    .doc = "network interface: synthetic traffic source/sink and 'send B bytes to node D' for "
           "devices",
    .state_size = sizeof(noc_term_t),
    .params = term_params,
    .init = term_init,
    .handle = term_handle,
    .tick = term_tick,
    .finish = term_finish,
    .destroy = term_destroy,
    .in_ports = term_in,
    .out_ports = NULL, /* "out", and one port per device it releases parked messages to */
    .ext = &term_ext,
};
