/* Maps a trained pi^2 network onto the router primitives of noc/pi2.c:
 * synapses become programmed delays of one multicast stage per layer, each
 * unit a first-K stage followed by a credit shaper, each layer's outputs are
 * re-encoded as the next layer's rail packets. Timing plan (docs/pi2.md):
 * every inference owns one window per layer; a window is long enough for the
 * latest K-th arrival (the timeout), the shaper's hold and five link hops. */
#include "noc/noc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void noc_pi2_fabric_defaults(noc_pi2_fabric_t *f)
{
    memset(f, 0, sizeof *f);
    f->offset = 3;
    f->scale = 10;
    f->ps_per_unit = 1000;
    f->resolution_ps = 10;
    f->link_ps = 100;
    f->packet_bytes = 8;
    /* the primitives' defaults, with their sources in noc/pi2.c's tables:
     * 1 mm links at 0.1 pJ/bit/mm (Borkar and Chien, CACM 2011, 45 nm), an 8 KB
     * SRAM delay buffer written and read once (Horowitz, ISSCC 2014: 10 pJ per
     * 64-bit access), 32-bit compare/add/multiply (Horowitz, ISSCC 2014) */
    f->link_pj_per_bit = 0.1;
    f->buffer_pj_per_bit = 0.3125;
    f->select_pj_per_packet = 0.1;
    f->shaper_pj_per_credit = 0.13;
    f->encode_pj_per_output = 3.2;
}

static int ferr(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int ferr(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return SIM_ERR_CONFIG;
}

/* A growing text buffer for parameter values. */
typedef struct tbuf {
    char *p;
    size_t n, cap;
} tbuf_t;

static int tb_printf(tbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int tb_printf(tbuf_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0)
            return -1;
        if (b->p && b->n + (size_t)w < b->cap) {
            b->n += (size_t)w;
            return 0;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + (size_t)w + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
}

static int add(sim_t *s, const char *name, const char *model, const char *const *kv, char *err,
               size_t n)
{
    int id = sim_add_component(s, name, model, NULL, kv);
    if (id < 0)
        ferr(err, n, "%s", sim_errmsg(s));
    return id;
}

static int link(sim_t *s, const char *from, const char *to, sim_time_t lat, char *err, size_t n)
{
    int rc = sim_add_link(s, from, to, lat, 0);
    if (rc < 0)
        ferr(err, n, "%s", sim_errmsg(s));
    return rc < 0 ? rc : 0;
}

#define NUM(buf, fmt, v) (snprintf(buf, sizeof buf, fmt, v), buf)

int noc_pi2_build(sim_t *s, const noc_pi2_fabric_t *f, noc_pi2_plan_t *plan, char *err,
                  size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    if (f->n_layers < 1 || f->n_layers > NOC_PI2_MAX_LAYERS)
        return ferr(err, errlen, "pi2 fabric: %d layers (1..%d)", f->n_layers, NOC_PI2_MAX_LAYERS);
    if (f->resolution_ps < 1 || !(f->ps_per_unit >= 1))
        return ferr(err, errlen, "pi2 fabric: resolution %llu ps and %g ps per unit must be >= 1",
                    (unsigned long long)f->resolution_ps, f->ps_per_unit);
    double q = f->ps_per_unit / (double)f->resolution_ps; /* grid steps per value unit */
    if (fabs(q - nearbyint(q)) > 1e-9 || fabs(f->offset * q - nearbyint(f->offset * q)) > 1e-6)
        return ferr(err, errlen,
                    "pi2 fabric: %g ps per unit and the offset %g x that must be multiples of the "
                    "%llu ps resolution",
                    f->ps_per_unit, f->offset, (unsigned long long)f->resolution_ps);
    int64_t cq = llround(f->offset * q);
    for (int l = 0; l < f->n_layers; l++) {
        const noc_pi2_layer_t *L = &f->layer[l];
        if (L->inputs < 1 || L->outputs < 1 || L->k < 1 || L->k > 2 * L->inputs || !L->w ||
            (l > 0 && L->inputs != f->layer[l - 1].outputs))
            return ferr(err, errlen,
                        "pi2 fabric: layer %d: %d inputs, %d outputs, K %d do not chain", l,
                        L->inputs, L->outputs, L->k);
    }
    /* the timing plan, on the delay grid */
    sim_time_t res = f->resolution_ps, lk = f->link_ps;
    int64_t *wu[NOC_PI2_MAX_LAYERS] = {0};
    int rc = 0;
    sim_time_t hop_in[NOC_PI2_MAX_LAYERS]; /* sender's emission -> arrival at a unit */
    if (f->network) {
        /* layer l's rails leave from node 2l and enter at node nodes-1-2l */
        const noc_cfg_t *nc = f->network;
        uint32_t nodes = noc_nodes(nc);
        if (nodes < 2u * (uint32_t)f->n_layers)
            return ferr(err, errlen, "pi2 fabric: the network has %u nodes; %d layers need %d",
                        nodes, f->n_layers, 2 * f->n_layers);
        sim_time_t clk_ps = (sim_time_t)llround(1e12 / nc->clock_hz);
        int flits = (f->packet_bytes + nc->flit_bytes - 1) / nc->flit_bytes;
        if (flits > nc->packet_flits)
            return ferr(err, errlen,
                        "pi2 fabric: a %d-byte spike packet needs %d flits; the "
                        "network's packets hold %d",
                        f->packet_bytes, flits, nc->packet_flits);
        plan->network = 1;
        for (int l = 0; l < f->n_layers; l++) {
            plan->tx_node[l] = 2u * (uint32_t)l;
            plan->rx_node[l] = nodes - 1 - 2u * (uint32_t)l;
            plan->hops[l] = noc_route_hops(nc, plan->tx_node[l], plan->rx_node[l]);
            /* zero-load latency, then every rail of one window queued behind
             * the others (they leave within a few ns of each other): 1.5
             * cycles per flit, since with single-flit packets a VC takes the
             * next packet only when its tail credit is back and the terminal
             * injects below one flit per cycle; plus 16 cycles */
            uint64_t cyc = noc_zero_load_latency(nc, plan->tx_node[l], plan->rx_node[l], flits) +
                           3ull * (uint64_t)f->layer[l].inputs * (uint64_t)flits + 16;
            plan->budget_ps[l] = (cyc * clk_ps + res - 1) / res * res;
            hop_in[l] = plan->budget_ps[l] + 3 * lk; /* receiver -> drop -> delay -> unit */
        }
    } else {
        for (int l = 0; l < f->n_layers; l++)
            hop_in[l] = 3 * lk; /* sender -> drop -> delay -> unit */
    }
    for (int l = 0; l < f->n_layers; l++) {
        const noc_pi2_layer_t *L = &f->layer[l];
        size_t nw = (size_t)L->inputs * (size_t)L->outputs;
        wu[l] = malloc(sizeof(int64_t) * nw);
        if (!wu[l]) {
            rc = ferr(err, errlen, "pi2 fabric: out of memory");
            goto out;
        }
        int64_t wmax = 0;
        for (size_t i = 0; i < nw; i++) {
            double v = nearbyint((double)L->w[i] * q);
            if (!(fabs(v) < 1e9)) {
                rc = ferr(err, errlen, "pi2 fabric: layer %d weight %zu (%g) is out of range", l, i,
                          (double)L->w[i]);
                goto out;
            }
            wu[l][i] = (int64_t)v;
            wmax = llabs(wu[l][i]) > wmax ? llabs(wu[l][i]) : wmax;
        }
        int64_t tmo_units = 2 * cq + wmax;
        plan->timeout[l] = (double)tmo_units / q;
        sim_time_t tmo_ps = (sim_time_t)tmo_units * res;
        plan->timeout_ps[l] = hop_in[l] + tmo_ps;
        uint64_t hold_units =
            ((uint64_t)(L->k - 1) * (uint64_t)tmo_units + (uint64_t)L->k - 1) / (uint64_t)L->k;
        plan->hold_ps[l] = hold_units * res;
        plan->fire_offset_ps[l] = hop_in[l] + 2 * lk + plan->hold_ps[l];
        sim_time_t win = plan->fire_offset_ps[l] + tmo_ps;
        plan->period_ps = win > plan->period_ps ? win : plan->period_ps;
    }
    /* components and links */
    char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64], b7[64], b8[64], b9[64], b10[64];
    char name[96], to[96], lk_pj[40];
    snprintf(lk_pj, sizeof lk_pj, "%.17g", f->link_pj_per_bit);
    const noc_pi2_layer_t *L0 = &f->layer[0];
    const char *src_kv[] = {"inputs",
                            NUM(b1, "%d", L0->inputs),
                            "offset",
                            NUM(b2, "%.17g", f->offset),
                            "ps_per_unit",
                            NUM(b3, "%.17g", f->ps_per_unit),
                            "resolution_ps",
                            NUM(b4, "%llu", (unsigned long long)res),
                            "period_ps",
                            NUM(b5, "%llu", (unsigned long long)plan->period_ps),
                            "window",
                            NUM(b6, "%.17g", plan->timeout[0]),
                            "packet_bytes",
                            NUM(b7, "%d", f->packet_bytes),
                            "link_pj_per_bit",
                            lk_pj,
                            NULL};
    /* the fabric charges its own link and buffer figures per flit-hop
     * (cli/cmd_pi2_run.c): the routers' energy parameters are left out */
    noc_cfg_t quiet;
    if (f->network) {
        quiet = *f->network;
        quiet.router_pj_per_bit = quiet.link_pj_per_bit_mm = 0;
    }
    if (f->network && noc_build(s, &quiet, "pi2_net_", NULL, err, errlen) < 0) {
        rc = SIM_ERR_CONFIG;
        goto out;
    }
    if ((plan->source = add(s, "pi2_src", "pi2_source", src_kv, err, errlen)) < 0) {
        rc = plan->source;
        goto out;
    }
    const char *prev = "pi2_src";
    char prev_buf[64];
    for (int l = 0; l < f->n_layers && !rc; l++) {
        const noc_pi2_layer_t *L = &f->layer[l];
        int n_in = 2 * L->inputs, n_out = 2 * L->outputs, last = l == f->n_layers - 1;
        char drop_n[32], syn_n[32], enc_n[32];
        snprintf(drop_n, sizeof drop_n, "pi2_l%d_drop", l);
        snprintf(syn_n, sizeof syn_n, "pi2_l%d_syn", l);
        snprintf(enc_n, sizeof enc_n, last ? "pi2_readout" : "pi2_l%d_enc", l);
        const char *drop_kv[] = {"lanes",
                                 NUM(b1, "%d", n_in),
                                 "drop",
                                 NUM(b2, "%.17g", f->drop),
                                 "group",
                                 "2",
                                 "link_pj_per_bit",
                                 lk_pj,
                                 NULL};
        if ((rc = add(s, drop_n, "pi2_drop", drop_kv, err, errlen)) < 0)
            break;
        rc = 0;
        /* delays: input lane 2i+r to unit lane 2j+u: d+ = max(0, c + w) on
         * same-sign pairs (r == u), d- = max(0, c - w) on cross pairs */
        tbuf_t tb = {0};
        for (int i = 0; i < n_in && !rc; i++)
            for (int o = 0; o < n_out; o++) {
                int64_t w = wu[l][(size_t)(i / 2) * (size_t)L->outputs + (size_t)(o / 2)];
                int64_t d = (i % 2) == (o % 2) ? cq + w : cq - w;
                if (tb_printf(&tb, "%s%lld", o || i ? "," : "", (long long)(d > 0 ? d : 0))) {
                    rc = ferr(err, errlen, "pi2 fabric: out of memory");
                    break;
                }
            }
        if (rc) {
            free(tb.p);
            break;
        }
        const char *syn_kv[] = {"inputs",
                                NUM(b1, "%d", n_in),
                                "outputs",
                                NUM(b2, "%d", n_out),
                                "resolution_ps",
                                NUM(b3, "%llu", (unsigned long long)res),
                                "delays",
                                tb.p,
                                "jitter_ps",
                                NUM(b4, "%.17g", f->packet_jitter * f->ps_per_unit),
                                "link_pj_per_bit",
                                lk_pj,
                                "buffer_pj_per_bit",
                                NUM(b6, "%.17g", f->buffer_pj_per_bit),
                                NULL};
        rc = add(s, syn_n, "pi2_delay", syn_kv, err, errlen);
        free(tb.p);
        if (rc < 0)
            break;
        rc = 0;
        char tx_n[32], rx_n[32];
        snprintf(tx_n, sizeof tx_n, "pi2_l%d_ni_tx", l);
        snprintf(rx_n, sizeof rx_n, "pi2_l%d_ni_rx", l);
        if (f->network) {
            const char *tx_kv[] = {"lanes",
                                   NUM(b1, "%d", n_in),
                                   "dest",
                                   NUM(b2, "%u", plan->rx_node[l]),
                                   "resolution_ps",
                                   NUM(b3, "%llu", (unsigned long long)res),
                                   "link_pj_per_bit",
                                   lk_pj,
                                   NULL};
            const char *rx_kv[] = {"lanes",
                                   NUM(b4, "%d", n_in),
                                   "budget_ps",
                                   NUM(b5, "%llu", (unsigned long long)plan->budget_ps[l]),
                                   "period_ps",
                                   NUM(b6, "%llu", (unsigned long long)plan->period_ps),
                                   "layer",
                                   NUM(b7, "%d", l),
                                   "resolution_ps",
                                   NUM(b8, "%llu", (unsigned long long)res),
                                   "packet_bytes",
                                   NUM(b9, "%d", f->packet_bytes),
                                   "link_pj_per_bit",
                                   lk_pj,
                                   NULL};
            if ((rc = add(s, tx_n, "pi2_ni_tx", tx_kv, err, errlen)) < 0 ||
                (rc = add(s, rx_n, "pi2_ni_rx", rx_kv, err, errlen)) < 0)
                break;
            rc = 0;
            snprintf(name, sizeof name, "%s.out", tx_n);
            snprintf(to, sizeof to, "pi2_net_t%u.in", plan->tx_node[l]);
            rc = link(s, name, to, lk, err, errlen);
            snprintf(name, sizeof name, "pi2_net_t%u.out", plan->rx_node[l]);
            snprintf(to, sizeof to, "%s.in", rx_n);
            if (!rc)
                rc = link(s, name, to, lk, err, errlen);
        }
        for (int i = 0; i < n_in && !rc; i++) {
            snprintf(name, sizeof name, "%s.out%d", prev, i);
            snprintf(to, sizeof to, "%s.in%d", f->network ? tx_n : drop_n, i);
            rc = link(s, name, to, lk, err, errlen);
            if (f->network && !rc) {
                snprintf(name, sizeof name, "%s.out%d", rx_n, i);
                snprintf(to, sizeof to, "%s.in%d", drop_n, i);
                rc = link(s, name, to, lk, err, errlen);
            }
            snprintf(name, sizeof name, "%s.out%d", drop_n, i);
            snprintf(to, sizeof to, "%s.in%d", syn_n, i);
            if (!rc)
                rc = link(s, name, to, lk, err, errlen);
        }
        const char *enc_kv[] = {"units",
                                NUM(b1, "%d", L->outputs),
                                "scale",
                                NUM(b2, "%.17g", f->scale),
                                "offset",
                                NUM(b3, "%.17g", f->offset),
                                "ps_per_unit",
                                NUM(b4, "%.17g", f->ps_per_unit),
                                "resolution_ps",
                                NUM(b5, "%llu", (unsigned long long)res),
                                "period_ps",
                                NUM(b6, "%llu", (unsigned long long)plan->period_ps),
                                "window",
                                NUM(b7, "%.17g", last ? 0 : plan->timeout[l + 1]),
                                "jitter",
                                NUM(b8, "%.17g", f->output_jitter),
                                "packet_bytes",
                                NUM(b9, "%d", f->packet_bytes),
                                "energy_pj_per_output",
                                NUM(b10, "%.17g", f->encode_pj_per_output),
                                "link_pj_per_bit",
                                lk_pj,
                                "relu",
                                last ? "false" : "true",
                                "readout",
                                last ? "true" : "false",
                                NULL};
        int enc_id = rc ? rc : add(s, enc_n, "pi2_encoder", enc_kv, err, errlen);
        if (enc_id < 0) {
            rc = enc_id;
            break;
        }
        if (last)
            plan->readout = enc_id;
        char fk_k[16], tmo[32], hold[32], sel_pj[32], cred_pj[32];
        snprintf(fk_k, sizeof fk_k, "%d", L->k);
        snprintf(tmo, sizeof tmo, "%llu", (unsigned long long)plan->timeout_ps[l]);
        snprintf(hold, sizeof hold, "%llu", (unsigned long long)plan->hold_ps[l]);
        snprintf(sel_pj, sizeof sel_pj, "%.17g", f->select_pj_per_packet);
        snprintf(cred_pj, sizeof cred_pj, "%.17g", f->shaper_pj_per_credit);
        const char *fk_kv[] = {
            "k",   fk_k, "timeout_ps", tmo, "energy_pj_per_packet", sel_pj, "link_pj_per_bit",
            lk_pj, NULL};
        const char *sh_kv[] = {
            "k",   fk_k, "hold_ps", hold, "energy_pj_per_credit", cred_pj, "link_pj_per_bit",
            lk_pj, NULL};
        for (int o = 0; o < n_out && !rc; o++) {
            char fk_n[48], sh_n[48];
            snprintf(fk_n, sizeof fk_n, "pi2_l%d_u%d%c_first", l, o / 2, o % 2 ? 'n' : 'p');
            snprintf(sh_n, sizeof sh_n, "pi2_l%d_u%d%c_shaper", l, o / 2, o % 2 ? 'n' : 'p');
            if ((rc = add(s, fk_n, "pi2_firstk", fk_kv, err, errlen)) < 0 ||
                (rc = add(s, sh_n, "pi2_shaper", sh_kv, err, errlen)) < 0)
                break;
            rc = 0;
            snprintf(name, sizeof name, "%s.out%d", syn_n, o);
            snprintf(to, sizeof to, "%s.in", fk_n);
            rc = link(s, name, to, lk, err, errlen);
            snprintf(name, sizeof name, "%s.out", fk_n);
            snprintf(to, sizeof to, "%s.in", sh_n);
            if (!rc)
                rc = link(s, name, to, lk, err, errlen);
            snprintf(name, sizeof name, "%s.out", sh_n);
            snprintf(to, sizeof to, "%s.in%d", enc_n, o);
            if (!rc)
                rc = link(s, name, to, lk, err, errlen);
        }
        snprintf(prev_buf, sizeof prev_buf, "%s", enc_n);
        prev = prev_buf;
    }
    if (rc > 0)
        rc = 0;
    plan->components = sim_comp_count(s);
    plan->links = sim_link_count(s);
out:
    for (int l = 0; l < NOC_PI2_MAX_LAYERS; l++)
        free(wu[l]);
    return rc < 0 ? rc : 0;
}

double noc_pi2_energy_per_inference(const noc_pi2_fabric_t *f)
{
    double bits = 8.0 * f->packet_bytes, keep = 1 - f->drop, e = 0;
    for (int l = 0; l < f->n_layers; l++) {
        const noc_pi2_layer_t *L = &f->layer[l];
        double rails = 2.0 * L->inputs, units = 2.0 * L->outputs, k = L->k;
        double hops = rails                  /* source or encoder -> drop */
                      + rails * keep         /* drop -> delay */
                      + rails * keep * units /* multicast replicas -> units */
                      + units * k            /* first-K -> shaper */
                      + units;               /* shaper -> encoder */
        e += hops * bits * f->link_pj_per_bit;
        e += rails * keep * bits * f->buffer_pj_per_bit;
        e += rails * keep * units * f->select_pj_per_packet;
        e += units * k * f->shaper_pj_per_credit;
        e += L->outputs * f->encode_pj_per_output;
    }
    return e;
}
