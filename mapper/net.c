/* Which units sit on the chip's network: the nodes a chip config's
 * `network:` block attaches them to (noc_attachments), the terminal of each
 * node and the schedule_driver's port that reaches it. The driver sends a
 * transfer between two attached units as a message from the source's node to
 * the destination's (NOC_MSG_SEND) and the estimate prices it from the same
 * network description (noc_message_cost). */
#include "mapper/map_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct net_ctx {
    const map_units_t *units;
    map_net_t *net;
    sim_t *sim;
} net_ctx_t;

static void on_attach(void *ctx, const char *component, uint32_t node, sim_comp_t *terminal)
{
    net_ctx_t *x = ctx;
    for (size_t i = 0; i < x->units->n; i++)
        if (!strcmp(x->units->unit[i].comp, component)) {
            x->net->node[i] = (int32_t)node;
            x->net->term[i] = terminal;
        }
    x->net->present = 1;
    if (!x->net->first)
        x->net->first = terminal;
}

/* the driver's port whose link ends at `term`.in, and whether term.out
 * reaches the driver */
static int term_links(sim_t *s, const char *driver, const char *term, char *port, size_t pn)
{
    char in[160], out[160];
    snprintf(in, sizeof in, "%s.in", term);
    snprintf(out, sizeof out, "%s.out", term);
    size_t dl = strlen(driver);
    int found_in = 0, found_out = 0;
    for (size_t i = 0; i < sim_link_count(s); i++) {
        sim_link_info_t li;
        sim_link_get(s, i, &li);
        if (!found_in && !strcmp(li.to, in) && !strncmp(li.from, driver, dl) &&
            li.from[dl] == '.') {
            snprintf(port, pn, "%s", li.from + dl + 1);
            found_in = 1;
        }
        if (!strcmp(li.from, out) && !strncmp(li.to, driver, dl) && li.to[dl] == '.')
            found_out = 1;
    }
    return found_in && found_out;
}

void map_net_free(map_net_t *n)
{
    if (!n)
        return;
    free(n->node);
    free(n->term);
    free(n->port);
    memset(n, 0, sizeof *n);
}

int map_net_resolve(sim_t *s, const char *driver, const map_units_t *units, map_net_t *out,
                    char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    size_t nu = units->n ? units->n : 1;
    out->node = malloc(nu * sizeof *out->node);
    out->term = calloc(nu, sizeof *out->term);
    out->port = calloc(nu, sizeof *out->port);
    if (!out->node || !out->term || !out->port) {
        map_net_free(out);
        snprintf(err, n, "out of memory");
        return SIM_ERR_NOMEM;
    }
    for (size_t i = 0; i < units->n; i++)
        out->node[i] = -1;
    net_ctx_t ctx = {units, out, s};
    noc_attachments(s, on_attach, &ctx);
    if (!out->present) {
        map_net_free(out); /* no network: nothing to keep */
        return 0;
    }
    if (noc_cfg_of_terminal(out->first, &out->cfg, err, n)) {
        map_net_free(out);
        return SIM_ERR_CONFIG;
    }
    out->period_ps = sim_comp_period_ps(out->first);
    for (size_t i = 0; i < units->n; i++) {
        if (out->node[i] < 0)
            continue;
        /* units at one node share its terminal: look its links up once */
        size_t j = 0;
        while (j < i && out->term[j] != out->term[i])
            j++;
        if (j < i) {
            memcpy(out->port[i], out->port[j], sizeof out->port[i]);
            continue;
        }
        const char *tn = sim_comp_name(out->term[i]);
        if (!term_links(s, driver, tn, out->port[i], sizeof out->port[i])) {
            snprintf(err, n,
                     "unit '%s' sits at network node %d (terminal '%s'), but the %s does not "
                     "reach it: link %s.%s to %s.in and %s.out to %s.done",
                     units->unit[i].name, (int)out->node[i], tn, driver, driver, tn, tn, tn,
                     driver);
            map_net_free(out);
            return SIM_ERR_CONFIG;
        }
    }
    return 0;
}

int map_net_transfer(const map_exec_t *x, const map_exec_entry_t *e)
{
    return x->net_node && e->unit >= 0 && e->req.kind == DEV_OP_TRANSFER && e->req.k < x->n_units &&
           e->req.n < x->n_units && x->net_node[e->req.k] >= 0 && x->net_node[e->req.n] >= 0;
}

/* the link from "<from>" to "<to>": latency and ps per byte; 0 when found */
static int link_of(sim_t *s, const char *from, const char *to, sim_time_t *lat, double *ppb)
{
    for (size_t i = 0; i < sim_link_count(s); i++) {
        sim_link_info_t li;
        sim_link_get(s, i, &li);
        if (strcmp(li.from, from) || strcmp(li.to, to))
            continue;
        *lat = li.latency_ps;
        *ppb = li.bandwidth_gbps > 0 ? 1000.0 / li.bandwidth_gbps : 0.0;
        return 0;
    }
    return -1;
}

int map_fwd_route(sim_t *s, const map_units_t *units, const map_net_t *net, int from, int to,
                  map_fwd_route_t *out, char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    if (from < 0 || to < 0 || (size_t)from >= units->n || (size_t)to >= units->n) {
        snprintf(err, n, "forwarding between units out of range");
        return SIM_ERR_CONFIG;
    }
    const map_unit_t *a = &units->unit[from], *b = &units->unit[to];
    char out1[200], in1[160], out2[200], in2[200];
    snprintf(out1, sizeof out1, "%s.%s", a->comp, b->name);
    snprintf(in1, sizeof in1, "%s.in", b->comp);
    /* a link of its own from the producer to the successor's unit */
    if (!link_of(s, out1, in1, &out->latency_ps, &out->ps_per_byte))
        return 0;
    /* else the network, when both sit at nodes: the producer's port "net" to
     * its terminal, the successor's terminal's port "<unit>" to it */
    if (net && net->present && net->node[from] >= 0 && net->node[to] >= 0) {
        const char *ta = sim_comp_name(net->term[from]), *tb = sim_comp_name(net->term[to]);
        snprintf(out1, sizeof out1, "%s.net", a->comp);
        snprintf(in2, sizeof in2, "%s.in", ta);
        snprintf(out2, sizeof out2, "%s.%s", tb, b->name);
        if (!link_of(s, out1, in2, &out->latency_ps, &out->ps_per_byte) &&
            !link_of(s, out2, in1, &out->out_latency_ps, &out->out_ps_per_byte)) {
            out->network = 1;
            out->src = (uint32_t)net->node[from];
            out->dst = (uint32_t)net->node[to];
            return 0;
        }
        snprintf(err, n,
                 "unit '%s' forwards its result to unit '%s' but no link joins them: add "
                 "{from: %s.%s, to: %s}, or, over the network, {from: %s.net, to: %s} and "
                 "{from: %s, to: %s}",
                 a->name, b->name, a->comp, b->name, in1, a->comp, in2, out2, in1);
        return SIM_ERR_CONFIG;
    }
    snprintf(err, n,
             "unit '%s' forwards its result to unit '%s' but no link joins them: add "
             "{from: %s.%s, to: %s}",
             a->name, b->name, a->comp, b->name, in1);
    return SIM_ERR_CONFIG;
}
