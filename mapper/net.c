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
    if (!out->present)
        return 0;
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

int map_fwd_link(sim_t *s, const map_units_t *units, int from, int to, sim_time_t *latency_ps,
                 double *ps_per_byte, char *err, size_t n)
{
    if (from < 0 || to < 0 || (size_t)from >= units->n || (size_t)to >= units->n) {
        snprintf(err, n, "forwarding between units out of range");
        return SIM_ERR_CONFIG;
    }
    const map_unit_t *a = &units->unit[from], *b = &units->unit[to];
    char out[200], in[160];
    snprintf(out, sizeof out, "%s.%s", a->comp, b->name);
    snprintf(in, sizeof in, "%s.in", b->comp);
    for (size_t i = 0; i < sim_link_count(s); i++) {
        sim_link_info_t li;
        sim_link_get(s, i, &li);
        if (strcmp(li.from, out) || strcmp(li.to, in))
            continue;
        *latency_ps = li.latency_ps;
        *ps_per_byte = li.bandwidth_gbps > 0 ? 1000.0 / li.bandwidth_gbps : 0.0;
        return 0;
    }
    snprintf(err, n,
             "unit '%s' forwards its result to unit '%s' but no link joins them: add "
             "{from: %s, to: %s}",
             a->name, b->name, out, in);
    return SIM_ERR_CONFIG;
}
