/* Packet-level network pieces: `traffic_gen` (Bernoulli injection per cycle,
 * uniform random destinations), `switch` (output-queued crossbar: one packet
 * per output per cycle, finite queues that drop when full), `sink` (counts
 * packets and end-to-end latency). Energy per bit moved through the switch
 * defaults to a 1 mm on-chip wire (0.1 pJ/bit/mm, common figure, see
 * REFERENCE.md); buffer writes use Horowitz's SRAM figure scaled per bit. */
#include "devices/dev.h"
#include "noc/noc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- traffic_gen ------------------------------------------------------------ */
typedef struct gen {
    int out;
    double rate;
    uint32_t bytes, dests;
    uint64_t limit, sent;
    int h_sent, h_bytes, op_inject;
} gen_t;

static const sim_param_def_t gen_params[] = {
    {"rate", SIM_P_REAL, "0.1", "packets/cycle", 0, 1, NULL, "injection probability per cycle", "uniform random traffic"},
    {"packet_bytes", SIM_P_INT, "64", "B", 1, 65536, NULL, "packet size", "one cache line"},
    {"dests", SIM_P_INT, "1", "", 1, 65535, NULL, "destinations are switch outputs 0..dests-1", ""},
    {"packets", SIM_P_INT, "0", "", 0, 1e15, NULL, "packets to send (0: until the run ends)", ""},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

int noc_out_port(sim_comp_t *c, const char *name, const char *what)
{
    int port = sim_port(c, name);
    if (port < 0 || !sim_port_is_out(c, port))
        return sim_comp_fail(c, "port '%s'%s has no link", name, what);
    return port;
}

static int gen_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    gen_t *g = state;
    if ((g->out = noc_out_port(c, "out", "")) < 0)
        return g->out;
    g->rate = sim_param_real(p, "rate");
    g->bytes = (uint32_t)sim_param_int(p, "packet_bytes");
    g->dests = (uint32_t)sim_param_int(p, "dests");
    g->limit = (uint64_t)sim_param_int(p, "packets");
    g->h_sent = sim_stat(c, "packets_sent", SIM_STAT_COUNT, "packets");
    g->h_bytes = sim_stat(c, "bytes_sent", SIM_STAT_COUNT, "B");
    g->op_inject = sim_trace_op(c, "inject");
    if (g->rate > 0)
        sim_clock_wake(c);
    return 0;
}

static void gen_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    (void)c;
    (void)state;
    (void)ev; /* a generator receives nothing */
}

static int gen_tick(sim_comp_t *c, void *state, uint64_t cycle)
{
    (void)cycle;
    gen_t *g = state;
    if (g->limit && g->sent >= g->limit)
        return 0;
    if (sim_rng_uniform(c) < g->rate) {
        uint64_t pkt[5] = {sim_rng_u64(c) % g->dests, sim_comp_now(c),
                           ((uint64_t)sim_comp_id(c) << 40) | g->sent, sim_comp_id(c), g->bytes};
        sim_msg_t m = {.kind = NOC_MSG_PACKET, .bytes = g->bytes, .data = pkt, .data_len = sizeof pkt};
        sim_send(c, g->out, &m, 0);
        g->sent++;
        sim_stat_add(c, g->h_sent, 1);
        sim_stat_add(c, g->h_bytes, g->bytes);
        sim_trace(c, g->op_inject, sim_comp_now(c), 0, g->bytes, 0, 0);
    }
    return 1;
}

static const char *const ports_in[] = {"in", NULL}, *const ports_out[] = {"out", NULL};
static const char *const ports_none[] = {NULL};
static const char *const sw_in[] = {"in*", NULL}, *const sw_out[] = {"out*", NULL};

const sim_model_t noc_traffic_gen_model = {
    .in_ports = ports_none,
    .out_ports = ports_out,
    .name = "traffic_gen",
    .doc = "Bernoulli packet injector with uniform random destinations (clocked)",
    .state_size = sizeof(gen_t),
    .params = gen_params,
    .init = gen_init,
    .handle = gen_handle,
    .tick = gen_tick,
};

/* ---- switch ---------------------------------------------------------------------- */
typedef struct pkt {
    uint64_t w[5];
    uint32_t bytes;
} pkt_t;

typedef struct outq {
    pkt_t *q;
    uint32_t head, n;
    int port;
} outq_t;

typedef struct sw {
    uint32_t n_out, depth;
    outq_t *outs;
    double pj_per_bit;
    uint64_t queued;
    int h_fwd, h_drop, h_maxq, h_energy, op_fwd;
} sw_t;

static const sim_param_def_t sw_params[] = {
    {"outputs", SIM_P_INT, "4", "", 1, 4096, NULL, "output ports out0..outN-1", ""},
    {"queue_depth", SIM_P_INT, "16", "packets", 1, 1e6, NULL, "per-output queue; full queues drop", ""},
    {"energy_pj_per_bit", SIM_P_REAL, "0.1", "pJ/bit", 0, 1e3, NULL,
     "energy to move one bit through the switch", "0.1 pJ/bit/mm on-chip wire, 1 mm (REFERENCE.md)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int sw_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    sw_t *s = state;
    s->n_out = (uint32_t)sim_param_int(p, "outputs");
    s->depth = (uint32_t)sim_param_int(p, "queue_depth");
    s->pj_per_bit = sim_param_real(p, "energy_pj_per_bit");
    s->outs = calloc(s->n_out, sizeof *s->outs);
    if (!s->outs)
        return sim_comp_fail(c, "out of memory");
    for (uint32_t i = 0; i < s->n_out; i++) {
        char name[32];
        snprintf(name, sizeof name, "out%u", i);
        s->outs[i].port = sim_port(c, name);
        if (s->outs[i].port < 0 || !sim_port_is_out(c, s->outs[i].port))
            return sim_comp_fail(c, "output port '%s' has no link (outputs=%u)", name, s->n_out);
        s->outs[i].q = calloc(s->depth, sizeof(pkt_t));
        if (!s->outs[i].q)
            return sim_comp_fail(c, "out of memory");
    }
    s->h_fwd = sim_stat(c, "packets_forwarded", SIM_STAT_COUNT, "packets");
    s->h_drop = sim_stat(c, "packets_dropped", SIM_STAT_COUNT, "packets");
    s->h_maxq = sim_stat(c, "max_queue", SIM_STAT_VALUE, "packets");
    s->h_energy = sim_stat(c, "energy.switch", SIM_STAT_ENERGY, "pJ");
    s->op_fwd = sim_trace_op(c, "forward");
    return 0;
}

static void sw_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    sw_t *s = state;
    if (ev->kind != NOC_MSG_PACKET)
        return;
    uint64_t dest = ev->data.u64[0];
    if (dest >= s->n_out) {
        sim_comp_fail(c, "packet for output %llu, but the switch has %u outputs",
                      (unsigned long long)dest, s->n_out);
        return;
    }
    outq_t *o = &s->outs[dest];
    if (o->n == s->depth) {
        sim_stat_add(c, s->h_drop, 1);
        return;
    }
    pkt_t *slot = &o->q[(o->head + o->n) % s->depth];
    memcpy(slot->w, ev->data.u64, sizeof slot->w);
    slot->bytes = (uint32_t)ev->data.u64[4];
    o->n++;
    s->queued++;
    sim_stat_max(c, s->h_maxq, o->n);
    sim_clock_wake(c);
}

static int sw_tick(sim_comp_t *c, void *state, uint64_t cycle)
{
    (void)cycle;
    sw_t *s = state;
    sim_time_t period = sim_comp_period_ps(c);
    int any = 0;
    for (uint32_t i = 0; i < s->n_out; i++) {
        outq_t *o = &s->outs[i];
        if (!o->n)
            continue;
        pkt_t *pk = &o->q[o->head];
        sim_msg_t m = {.kind = NOC_MSG_PACKET, .bytes = pk->bytes, .data = pk->w, .data_len = sizeof pk->w};
        sim_send(c, o->port, &m, 0);
        double pj = s->pj_per_bit * 8.0 * pk->bytes;
        sim_energy(c, s->h_energy, pj);
        sim_stat_add(c, s->h_fwd, 1);
        any = 1;
        sim_trace(c, s->op_fwd, sim_comp_now(c), period, pk->bytes, pj, 0);
        o->head = (o->head + 1) % s->depth;
        o->n--;
        s->queued--;
    }
    if (any) /* busy: a cycle in which the crossbar moved at least one packet */
        sim_busy(c, sim_comp_now(c), period);
    return s->queued > 0;
}

static void sw_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    sw_t *s = state;
    for (uint32_t i = 0; s->outs && i < s->n_out; i++)
        free(s->outs[i].q);
    free(s->outs);
}

const sim_model_t noc_switch_model = {
    .in_ports = sw_in,
    .out_ports = sw_out,
    .name = "switch",
    .doc = "output-queued packet switch: one packet per output per cycle",
    .state_size = sizeof(sw_t),
    .params = sw_params,
    .init = sw_init,
    .handle = sw_handle,
    .tick = sw_tick,
    .destroy = sw_destroy,
};

/* ---- sink ---------------------------------------------------------------------------- */
typedef struct sink {
    int h_pkts, h_bytes, h_lat_sum, h_lat_max, op_recv;
} sink_t;

static int sink_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    (void)p;
    sink_t *k = state;
    k->h_pkts = sim_stat(c, "packets_received", SIM_STAT_COUNT, "packets");
    k->h_bytes = sim_stat(c, "bytes_received", SIM_STAT_COUNT, "B");
    k->h_lat_sum = sim_stat(c, "latency_sum_ps", SIM_STAT_COUNT, "ps");
    k->h_lat_max = sim_stat(c, "latency_max_ps", SIM_STAT_VALUE, "ps");
    k->op_recv = sim_trace_op(c, "receive");
    return 0;
}

static void sink_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    sink_t *k = state;
    if (ev->kind != NOC_MSG_PACKET)
        return;
    double lat = (double)(ev->time - ev->data.u64[1]);
    sim_stat_add(c, k->h_pkts, 1);
    sim_stat_add(c, k->h_bytes, (double)ev->data.u64[4]);
    sim_stat_add(c, k->h_lat_sum, lat);
    sim_stat_max(c, k->h_lat_max, lat);
    sim_trace(c, k->op_recv, ev->time, 0, ev->data.u64[4], 0, 0);
}

static const sim_param_def_t sink_params[] = {{NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL}};

const sim_model_t noc_sink_model = {
    .in_ports = ports_in,
    .out_ports = ports_none,
    .name = "sink",
    .doc = "packet sink: counts packets and end-to-end latency",
    .state_size = sizeof(sink_t),
    .params = sink_params,
    .init = sink_init,
    .handle = sink_handle,
};

void noc_register_all(void)
{
    sim_model_register(&noc_traffic_gen_model);
    sim_model_register(&noc_switch_model);
    sim_model_register(&noc_sink_model);
    dev_register_described(&noc_iq_router_model); /* they describe themselves */
    dev_register_described(&noc_terminal_model);
    noc_register_config();
    noc_pi2_register();
}
