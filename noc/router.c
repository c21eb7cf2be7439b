/* `iq_router`: BookSim2's input-queued virtual-channel router (the `iq`
 * router of Jiang et al., "A Detailed and Flexible Cycle-Accurate
 * Network-on-Chip Simulator", ISPASS 2013), as the router reference summarised in docs/noc.md
 * describes it cycle by cycle. One tick is one cycle: credits that arrived
 * are applied, arriving flits are written into their VC buffers (the head's
 * output port is known on arrival: lookahead routing), VC allocation, then
 * switch allocation with input speedup; a granted flit leaves its buffer,
 * returns a credit upstream and is on the next router's input
 * sw_alloc + st_final + channel latency cycles later (the channel's
 * latency). The router sleeps whenever its buffers are empty. */
#include "devices/dev.h"
#include "noc/noc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sim_param_def_t router_params[] = {
    {"topology", SIM_P_ENUM, "mesh", "", 0, 0, "mesh|torus|fbfly|fattree", "network topology",
     "BookSim2 topology"},
    {"k", SIM_P_INT, "8", "", 2, 256, NULL, "routers per dimension", "BookSim2 mesh88_lat"},
    {"n", SIM_P_INT, "2", "", 1, 4, NULL, "dimensions", "BookSim2 mesh88_lat"},
    {"concentration", SIM_P_INT, "1", "", 1, 16, NULL, "terminals per router", "BookSim2 c"},
    {"id", SIM_P_INT, "0", "", 0, 16777215, NULL, "router index (y * k + x)", ""},
    {"routing", SIM_P_STR, "dor", "", 0, 0, NULL, "routing function (dor | min_adapt)",
     "BookSim2 dim_order"},
    {"num_vcs", SIM_P_INT, "8", "", 1, 64, NULL, "virtual channels per port",
     "BookSim2 mesh88_lat"},
    {"vc_buf_size", SIM_P_INT, "8", "flits", 1, 4096, NULL, "buffer per VC", "BookSim2 mesh88_lat"},
    {"wait_for_tail_credit", SIM_P_BOOL, "true", "", 0, 0, NULL,
     "reallocate an output VC only after its tail credit", "BookSim2 mesh88_lat"},
    {"vc_allocator", SIM_P_ENUM, "islip", "", 0, 0,
     "islip|separable_input_first|separable_output_first", "VC allocator", "BookSim2 mesh88_lat"},
    {"sw_allocator", SIM_P_ENUM, "islip", "", 0, 0,
     "islip|separable_input_first|separable_output_first", "switch allocator",
     "BookSim2 mesh88_lat"},
    {"alloc_iters", SIM_P_INT, "1", "", 1, 16, NULL, "allocator iterations", "BookSim2 mesh88_lat"},
    {"credit_delay", SIM_P_INT, "2", "cycles", 0, 1000, NULL, "credit processing delay",
     "BookSim2 mesh88_lat"},
    {"routing_delay", SIM_P_INT, "0", "cycles", 0, 1000, NULL, "route computation",
     "BookSim2 mesh88_lat"},
    {"vc_alloc_delay", SIM_P_INT, "1", "cycles", 1, 1000, NULL, "VC allocation",
     "BookSim2 mesh88_lat"},
    {"input_speedup", SIM_P_INT, "2", "", 1, 64, NULL, "crossbar inputs per port",
     "BookSim2 mesh88_lat"},
    {"speculative", SIM_P_INT, "0", "", 0, 2, NULL,
     "speculative switch allocation: 1 BookSim2's (heads bid in their VC-allocation cycle "
     "below non-speculative bids, a grant is wasted when VC allocation fails), 2 prism's "
     "earlier variant (a second pass for heads that just won a VC; never wastes a grant)",
     "BookSim2 iq_router speculative with spec_sw_allocator=prio, spec_check_elig=1, "
     "spec_check_cred=1, spec_mask_by_reqs=0 (its defaults)"},
    {"hold_switch_for_packet", SIM_P_BOOL, "false", "", 0, 0, NULL,
     "keep the crossbar path until the tail", "BookSim2 mesh88_lat"},
    NOC_ENERGY_PARAMS,
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int router_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    noc_router_t *r = state;
    noc_cfg_t cfg;
    noc_cfg_default(&cfg);
    snprintf(cfg.topology, sizeof cfg.topology, "%s", sim_param_str(p, "topology"));
    cfg.k = (int)sim_param_int(p, "k");
    cfg.n = (int)sim_param_int(p, "n");
    cfg.concentration = (int)sim_param_int(p, "concentration");
    cfg.num_vcs = (int)sim_param_int(p, "num_vcs");
    snprintf(cfg.routing, sizeof cfg.routing, "%s", sim_param_str(p, "routing"));
    char err[256];
    if (noc_topo_from_cfg(&cfg, &r->topo, err, sizeof err))
        return sim_comp_fail(c, "%s", err);
    r->id = (uint32_t)sim_param_int(p, "id");
    r->P = r->topo.ports;
    r->V = (int)sim_param_int(p, "num_vcs");
    r->B = (int)sim_param_int(p, "vc_buf_size");
    r->S = (int)sim_param_int(p, "input_speedup");
    if (r->P * r->V > 64 || r->P * r->S > 64 || r->S > r->V)
        return sim_comp_fail(c, "%d ports x %d VCs (speedup %d) exceed the 64 the allocators take",
                             r->P, r->V, r->S);
    r->wait_tail = sim_param_bool(p, "wait_for_tail_credit");
    r->credit_delay = (int)sim_param_int(p, "credit_delay");
    r->routing_delay = (int)sim_param_int(p, "routing_delay");
    r->vc_alloc_delay = (int)sim_param_int(p, "vc_alloc_delay");
    r->speculative = (int)sim_param_int(p, "speculative");
    r->hold = sim_param_bool(p, "hold_switch_for_packet");
    int n_iv = r->P * r->V;
    r->ivc = calloc((size_t)n_iv, sizeof *r->ivc);
    r->ovc = calloc((size_t)n_iv, sizeof *r->ovc);
    r->buf = calloc((size_t)n_iv * (size_t)r->B, sizeof *r->buf);
    if (!r->ivc || !r->ovc || !r->buf)
        return sim_comp_fail(c, "out of memory");
    for (int i = 0; i < n_iv; i++) {
        r->ovc[i].credits = (int16_t)r->B;
        r->ovc[i].owner = -1;
    }
    for (int port = 0; port < r->P; port++) {
        r->in[port] = sim_chan_in(c, port);
        r->out[port] = sim_chan_out(c, port);
        int in_port = 0;
        if (r->out[port] && noc_neighbor(&r->topo, r->id, port, &in_port) >= 0)
            r->link_ports |= 1ull << port;
        if (r->out[port])
            for (int v = 0; v < r->V; v++)
                r->ovc_free |= 1ull << (port * r->V + v);
    }
    int iters = (int)sim_param_int(p, "alloc_iters");
    noc_alloc_init(&r->va, noc_alloc_kind(sim_param_str(p, "vc_allocator")), iters, n_iv, n_iv);
    noc_alloc_init(&r->sa, noc_alloc_kind(sim_param_str(p, "sw_allocator")), iters, r->P * r->S,
                   r->P);
    for (int x = 0; x < r->P * r->S; x++) {
        r->sw_ptr[x] = (uint8_t)(x % r->S);
        r->hold_vc[x] = -1;
        r->x_port[x] = (uint8_t)(x / r->S);
        r->x_par[x] = (uint8_t)(x % r->S);
    }
    for (int v = 0; v < r->V; v++)
        r->par_mask[v % r->S] |= 1ull << v;
    r->h_flits = sim_stat(c, "flits_routed", SIM_STAT_COUNT, "flits");
    r->h_active = sim_stat(c, "active_cycles", SIM_STAT_COUNT, "cycles");
    double flit_bits = 8.0 * (double)sim_param_int(p, "flit_bytes");
    r->pj_router_flit = flit_bits * sim_param_real(p, "router_pj_per_bit");
    r->pj_link_flit =
        flit_bits * sim_param_real(p, "link_pj_per_bit_mm") * sim_param_real(p, "link_mm");
    r->h_e_router = sim_stat(c, "energy.router", SIM_STAT_ENERGY, "pJ");
    r->h_e_link = sim_stat(c, "energy.link", SIM_STAT_ENERGY, "pJ");
    if (r->h_e_router < 0 || r->h_e_link < 0)
        return sim_comp_fail(c, "out of memory for stats");
    return 0;
}

static void router_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    (void)c;
    (void)state;
    (void)ev; /* everything arrives on channels */
}

static inline noc_flit_t *front(noc_router_t *r, int i)
{
    return &r->buf[(size_t)i * (size_t)r->B + r->ivc[i].head];
}

/* Switch-allocation grant: the front flit of input VC i leaves. */
static void send_flit(sim_comp_t *c, noc_router_t *r, int i, uint64_t cycle)
{
    noc_ivc_t *iv = &r->ivc[i];
    int port = i / r->V, v = i % r->V;
    int o = iv->out_port, w = iv->out_vc;
    noc_flit_t f = *front(r, i);
    iv->head = (uint16_t)(iv->head + 1 == r->B ? 0 : iv->head + 1);
    iv->n--;
    if (!iv->n)
        r->busy &= ~(1ull << i);
    if (r->in[port])
        sim_chan_credit(r->in[port], (uint32_t)v);
    noc_ovc_t *ov = &r->ovc[o * r->V + w];
    if (--ov->credits < 0) {
        sim_comp_fail(c, "credit count of output %d VC %d went negative", o, w);
        return;
    }
    f.vc = (uint8_t)w;
    f.hops++;
    sim_chan_send(r->out[o], &f);
    r->flits_routed++;
    r->link_flits += (r->link_ports >> o) & 1;
    if (f.flags & NOC_TAIL) {
        iv->active = 0;
        r->active &= ~(1ull << i);
        iv->ready = cycle + 1;
        if (iv->n) {
            noc_flit_t *h = front(r, i);
            iv->out_port = h->port;
        }
        if (r->wait_tail) {
            ov->tail_sent = 1;
            if (ov->credits == r->B) { /* never: the credit is at least a cycle away */
                ov->owner = -1;
                ov->tail_sent = 0;
                r->ovc_free |= 1ull << (o * r->V + w);
            }
        } else {
            ov->owner = -1;
            r->ovc_free |= 1ull << (o * r->V + w);
        }
    }
}

static inline uint64_t vc_range_mask(const noc_router_t *r, int port, uint8_t cls)
{
    uint64_t all = r->V == 64 ? ~0ull : (1ull << r->V) - 1;
    if (r->topo.kind == NOC_TOPO_TORUS && port < r->topo.net_ports) {
        int half = r->V / 2;
        uint64_t lo = (1ull << half) - 1;
        all = cls ? all & ~lo : lo;
    }
    return all << (port * r->V);
}

/* 1. credits that arrived (credit_delay is part of the channel); an output
 * VC whose tail has left is freed when its credits are back to full */
static int take_credits(sim_comp_t *c, noc_router_t *r)
{
    const int V = r->V;
    for (uint64_t m = sim_chan_credit_busy(c); m; m &= m - 1) {
        int o = __builtin_ctzll(m);
        sim_chan_t *ch = r->out[o];
        uint32_t tok;
        while (sim_chan_credit_take(ch, &tok)) {
            noc_ovc_t *ov = &r->ovc[o * V + (int)tok];
            if (++ov->credits > r->B)
                return sim_comp_fail(c, "credit count of output %d VC %u exceeds the buffer (%d)",
                                     o, tok, r->B);
            if (ov->tail_sent && ov->credits == r->B) {
                ov->tail_sent = 0;
                ov->owner = -1;
                r->ovc_free |= 1ull << (o * V + (int)tok);
            }
        }
    }
    return 0;
}

/* 2. arriving flits into their VC buffers; heads learn their output port */
static int take_flits(sim_comp_t *c, noc_router_t *r, uint64_t cycle)
{
    const int V = r->V;
    for (uint64_t m = sim_chan_in_busy(c); m; m &= m - 1) {
        int port = __builtin_ctzll(m);
        sim_chan_t *ch = r->in[port];
        const noc_flit_t *f;
        while ((f = sim_chan_peek(ch)) != NULL) {
            int i = port * V + f->vc;
            noc_ivc_t *iv = &r->ivc[i];
            if (f->vc >= V || iv->n >= r->B)
                return sim_comp_fail(c, "input %d VC %u overflows its %d-flit buffer", port, f->vc,
                                     r->B);
            int at = iv->head + iv->n;
            noc_flit_t *slot = &r->buf[(size_t)i * (size_t)r->B + (at >= r->B ? at - r->B : at)];
            *slot = *f;
            sim_chan_pop(ch);
            if (slot->flags & NOC_HEAD)
                slot->port =
                    (uint8_t)noc_route(&r->topo, r->id, slot->dest, port, &slot->vclass, c);
            if (!iv->n && !iv->active) {
                iv->ready = cycle + (uint64_t)r->routing_delay;
                iv->out_port = slot->port;
            }
            iv->n++;
            r->busy |= 1ull << i;
        }
    }
    return 0;
}

/* 3. VC allocation: idle VCs whose front is a head request every free VC of
 * their output port (credits are not checked). Returns the input VCs that
 * requested; req[] and match[] hold their requests and results. */
static uint64_t vc_alloc(noc_router_t *r, uint64_t cycle, uint64_t *req, int8_t *match)
{
    const int V = r->V;
    uint64_t va_mask = 0;
    for (uint64_t b = r->busy & ~r->active; b; b &= b - 1) {
        int i = __builtin_ctzll(b);
        noc_ivc_t *iv = &r->ivc[i];
        if (iv->ready > cycle)
            continue;
        noc_flit_t *h = front(r, i);
        int escaped = i % V == 0 && i / V < r->topo.net_ports;
        req[i] = r->ovc_free & (r->topo.adaptive
                                    ? noc_route_adaptive(&r->topo, r->id, h->dest, escaped)
                                    : vc_range_mask(r, h->port, h->vclass));
        if (req[i])
            va_mask |= 1ull << i;
    }
    if (!va_mask)
        return 0;
    noc_alloc_run(&r->va, req, va_mask, match);
    for (uint64_t m = va_mask; m; m &= m - 1) {
        int i = __builtin_ctzll(m);
        if (match[i] < 0)
            continue;
        noc_ivc_t *iv = &r->ivc[i];
        int ow = match[i];
        iv->active = 1;
        r->active |= 1ull << i;
        iv->out_port = (uint8_t)(ow / V);
        iv->out_vc = (uint8_t)(ow % V);
        iv->ready = cycle + (uint64_t)r->vc_alloc_delay;
        r->ovc[ow].owner = (int16_t)i;
        r->ovc[ow].tail_sent = 0;
        r->ovc_free &= ~(1ull << ow);
        r->va_grants++;
    }
    return va_mask;
}

/* Speculative bidders (BookSim2, speculative=1): heads that requested a VC
 * this cycle, with at least one requested output VC that is free and not
 * full (spec_check_elig, spec_check_cred). */
static uint64_t spec_bidders(const noc_router_t *r, uint64_t va_mask, const uint64_t *req)
{
    uint64_t spec = 0;
    for (uint64_t m = va_mask; m; m &= m - 1) {
        int i = __builtin_ctzll(m);
        for (uint64_t w = req[i]; w; w &= w - 1)
            if (r->ovc[__builtin_ctzll(w)].credits > 0) {
                spec |= 1ull << i;
                break;
            }
    }
    return spec;
}

typedef struct sa_state {
    uint64_t used_in, used_out, held_out;
    uint64_t spec;            /* speculative bidders (VA requesters), BookSim2 mode */
    uint64_t va_mask;         /* VA requesters this cycle */
    const int8_t *va_match;   /* their VA results */
    uint64_t spec_x[64];      /* per crossbar input: outputs whose chosen VC bids speculatively */
} sa_state_t;

/* The requests of crossbar input x: per output the VC picked round robin
 * from the pointer, non-speculative bids first (`pass` 0: active VCs ready
 * to go; `pass` 1: prism's second pass, heads granted a VC this cycle);
 * BookSim2's speculative heads only where no non-speculative VC wants that
 * output (its priority). Returns the outputs requested. */
static uint64_t sa_requests(noc_router_t *r, int x, uint64_t cycle, int pass, uint64_t pass2,
                            sa_state_t *st)
{
    const int V = r->V;
    const uint64_t vmask = V == 64 ? ~0ull : (1ull << V) - 1;
    int port = r->x_port[x];
    uint64_t par = r->par_mask[r->x_par[x]];
    uint64_t cand = (r->busy & r->active) >> (port * V) & vmask & par;
    uint64_t scand = st->spec >> (port * V) & vmask & par;
    uint64_t sreq = 0;
    st->spec_x[x] = 0;
    if ((st->used_in >> x & 1) || !(cand | scand))
        return 0;
    int held = r->hold ? r->hold_vc[x] : -1;
    if (held >= 0) {
        cand &= 1ull << (held - port * V);
        scand = 0;
    }
    unsigned ptr = r->sw_ptr[x];
    for (int kind = 0; kind < 2; kind++) {
        uint64_t set = kind ? scand : cand;
        uint64_t order[2] = {set & (~0ull << ptr), set & ~(~0ull << ptr)};
        for (int h = 0; h < 2; h++)
            for (uint64_t m = order[h]; m; m &= m - 1) {
                int v = __builtin_ctzll(m);
                int i = port * V + v;
                noc_ivc_t *iv = &r->ivc[i];
                int o = iv->out_port;
                if (kind == 0) {
                    if (pass == 0 ? iv->ready > cycle : !((pass2 >> i) & 1))
                        continue;
                    if (r->ovc[o * V + iv->out_vc].credits <= 0)
                        continue;
                }
                if ((st->used_out >> o & 1) || (sreq >> o & 1))
                    continue;
                if ((st->held_out >> o & 1) && held != i)
                    continue;
                sreq |= 1ull << o;
                r->chosen[x][o] = (int8_t)v;
                st->spec_x[x] |= (uint64_t)kind << o;
            }
    }
    if (held >= 0 && !sreq && pass == 0) {
        /* the held VC cannot go this cycle: the path is released */
        st->held_out &= ~(1ull << r->ivc[held].out_port);
        r->hold_vc[x] = -1;
    }
    return sreq;
}

/* 4. switch allocation: input VC v of port p uses crossbar input S*p + v mod
 * S; per crossbar input and output one VC is picked round robin (pointer:
 * granted VC + S), then the crossbar inputs are matched to the outputs. */
static void switch_alloc(sim_comp_t *c, noc_router_t *r, uint64_t cycle, sa_state_t *st,
                         uint64_t pass2)
{
    const int S = r->S, V = r->V, X = r->P * S;
    if (r->hold)
        for (int x = 0; x < X; x++)
            if (r->hold_vc[x] >= 0)
                st->held_out |= 1ull << r->ivc[r->hold_vc[x]].out_port;
    for (int pass = 0; pass < (pass2 ? 2 : 1); pass++) {
        uint64_t sreq[64];
        int8_t smatch[64];
        uint64_t x_mask = 0;
        for (int x = 0; x < X; x++) {
            sreq[x] = sa_requests(r, x, cycle, pass, pass2, st);
            if (sreq[x])
                x_mask |= 1ull << x;
        }
        if (!x_mask)
            continue;
        noc_alloc_run(&r->sa, sreq, x_mask, smatch);
        for (uint64_t m = x_mask; m; m &= m - 1) {
            int x = __builtin_ctzll(m);
            if (smatch[x] < 0)
                continue;
            int o = smatch[x];
            int v = r->chosen[x][o];
            int i = (x / S) * V + v;
            r->sw_ptr[x] = (uint8_t)(v + S >= V ? v + S - V : v + S);
            st->used_in |= 1ull << x;
            st->used_out |= 1ull << o;
            if (st->spec_x[x] >> o & 1) {
                /* a speculative grant is used only if VC allocation gave
                 * this head a VC of that output with a credit; else wasted */
                int w = st->va_match[i];
                if (w < 0 || w / V != o || r->ovc[w].credits <= 0) {
                    r->sa_wasted++;
                    continue;
                }
            }
            int tail = front(r, i)->flags & NOC_TAIL;
            send_flit(c, r, i, cycle);
            r->sa_grants++;
            if (r->hold)
                r->hold_vc[x] = tail ? -1 : (int8_t)i;
        }
        pass2 &= r->busy; /* heads that left bid no more */
    }
}

static int router_tick(sim_comp_t *c, void *state, uint64_t cycle)
{
    noc_router_t *r = state;
    if (take_credits(c, r) || take_flits(c, r, cycle))
        return 0;
    if (!r->busy)
        return 0;
    r->cycles_active++;
    uint64_t req[64];
    int8_t match[64];
    uint64_t va_mask = vc_alloc(r, cycle, req, match);
    sa_state_t st = {.va_mask = va_mask, .va_match = match};
    uint64_t pass2 = 0;
    if (r->speculative == 1)
        st.spec = spec_bidders(r, va_mask, req);
    else if (r->speculative == 2)
        for (uint64_t m = va_mask; m; m &= m - 1) {
            int i = __builtin_ctzll(m);
            if (match[i] >= 0)
                pass2 |= 1ull << i;
        }
    switch_alloc(c, r, cycle, &st, pass2);
    sim_stat_add(c, r->h_active, 1);
    return r->busy != 0;
}

static void router_finish(sim_comp_t *c, void *state)
{
    noc_router_t *r = state;
    sim_stat_add(c, r->h_flits, (double)r->flits_routed);
    /* every flit that crossed the crossbar, and those that left on a link to
     * another router (the injection and ejection channels are local) */
    sim_energy(c, r->h_e_router, (double)r->flits_routed * r->pj_router_flit);
    sim_energy(c, r->h_e_link, (double)r->link_flits * r->pj_link_flit);
}

static void router_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    noc_router_t *r = state;
    free(r->ivc);
    free(r->ovc);
    free(r->buf);
}

static const char *const no_ports[] = {NULL};

/* what it is, for the layers above (devices/dev.h): part of the network */
static const dev_ext_t router_ext = {.desc = {DEV_CAT_NETWORK, 0, 0, DEV_MEM_NONE}};

const sim_model_t noc_iq_router_model = {
    .name = "iq_router",
    .doc = "BookSim2's input-queued VC router (iSLIP VC/switch allocation, credits, lookahead "
           "routing) on clocked channels",
    .state_size = sizeof(noc_router_t),
    .params = router_params,
    .init = router_init,
    .handle = router_handle,
    .tick = router_tick,
    .finish = router_finish,
    .destroy = router_destroy,
    .in_ports = no_ports,
    .out_ports = no_ports,
    .ext = &router_ext,
};
