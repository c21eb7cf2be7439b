/* The event engine: building a simulation (clocks, components, links), the
 * event pool, sending and scheduling, clocked ticks, the run loop, and the
 * stats/energy ledger. Ordering is total: (time, priority, source, sequence),
 * so a run is reproducible bit for bit. */
#include "sim/sim_int.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define POOL_CHUNK SIM_POOL_CHUNK
#define COMP_HEAD ((sizeof(sim_comp_t) + 63) & ~(size_t)63) /* state offset */
#define SRC_BITS 24
#define MAX_COMPS ((1u << SRC_BITS) - 1024u) /* ids above are clocks */

/* ---- errors -------------------------------------------------------------- */
int sim_set_error(sim_t *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return code;
}

const char *sim_errmsg(const sim_t *s) { return s ? s->err : "out of memory"; }
uint32_t sim_payload_bytes(const sim_t *s) { return s->payload; }

void sim_fmt_where(char *buf, size_t n, const char *where)
{
    if (where && *where)
        snprintf(buf, n, "%s: ", where);
    else if (n)
        buf[0] = '\0';
}

/* ---- create / destroy ------------------------------------------------------ */
sim_t *sim_create(const sim_opts_t *opts)
{
    sim_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (opts)
        s->opts = *opts;
    /* the payload is rounded up to 16 bytes so events stay 16-byte aligned */
    uint32_t pay = s->opts.payload_bytes ? s->opts.payload_bytes : SIM_PAYLOAD_BYTES;
    if (pay < SIM_PAYLOAD_BYTES)
        pay = SIM_PAYLOAD_BYTES;
    if (pay <= SIM_PAYLOAD_MAX)
        pay = (pay + 15u) & ~15u;
    s->payload = pay;
    s->ev_stride = offsetof(sim_event_t, data) + pay;
    sim_queue_init(&s->q, &s->chunks, s->ev_stride);
    s->lookahead = SIM_TIME_MAX;
    for (int i = 0; i < 256; i++)
        s->msg_ops[i] = -1;
    return s;
}

static void comp_free(sim_comp_t *c)
{
    if (!c)
        return;
    /* every model's destroy must accept a zeroed state: a component whose
     * init never ran can still own what was attached to it before init */
    if (c->model->destroy)
        c->model->destroy(c, c->state);
    free(c->name);
    free(c->where);
    sim_params_free(&c->params);
    for (int i = 0; i < c->n_ports; i++)
        free(c->ports[i].name);
    free(c->ports);
    free(c->chan_out);
    free(c->chan_in);
    for (int i = 0; i < c->n_stats; i++) {
        free(c->stats[i].name);
        free(c->stats[i].unit);
    }
    free(c->stats);
    free(c);
}

void sim_destroy(sim_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_comps; i++)
        comp_free(s->comps[i]);
    free(s->comps);
    free(s->name_index);
    for (size_t i = 0; i < s->n_chans; i++) {
        sim_chan_t *ch = s->chans[i];
        free(ch->recs);
        free(ch->arrive);
        free(ch->tokens);
        free(ch->token_arrive);
        free(ch);
    }
    free(s->chans);
    for (size_t i = 0; i < s->n_links; i++) {
        free(s->links[i].from);
        free(s->links[i].to);
        free(s->links[i].where);
    }
    free(s->links);
    for (size_t i = 0; i < s->n_clocks; i++) {
        sim_clock_t *k = &s->clocks[i];
        free(k->name);
        free(k->members);
        free(k->awake_bits);
        for (int w = 0; w < SIM_WHEEL_SLOTS; w++)
            free(k->wheel[w]);
    }
    free(s->clocks);
    for (size_t i = 0; i < s->n_chunks; i++)
        free(s->chunks[i]);
    free(s->chunks);
    sim_queue_free(&s->q);
    for (size_t i = 0; i < s->n_ops; i++)
        free(s->op_names[i]);
    free(s->op_names);
    free(s->op_keep);
    if (s->dist)
        sim_dist_free(s);
    free(s);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap ? *cap * 2 : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *a = realloc(*arr, cap2 * elem);
    if (!a)
        return SIM_ERR_NOMEM;
    *arr = a;
    *cap = cap2;
    return 0;
}

static int valid_name(const char *n);

/* ---- clocks -------------------------------------------------------------- */
int sim_add_clock(sim_t *s, const char *name, double freq_hz)
{
    if (!valid_name(name))
        return sim_set_error(s, SIM_ERR_CONFIG, "clock name '%s' is not valid (letters, digits, _ -)",
                             name ? name : "");
    if (s->initialized)
        return sim_set_error(s, SIM_ERR_STATE, "clock '%s' added after init", name);
    /* the period must fit the integer time: 1 ps (1 THz) to 2^63 ps (0.11 uHz) */
    if (!(freq_hz > 0) || freq_hz > 1e12 || 1e12 / freq_hz > 9.2e18)
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "clock '%s': frequency %g Hz is out of range [1.1e-07 Hz, 1 THz]",
                             name, freq_hz);
    if (sim_clock_find(s, name) >= 0)
        return sim_set_error(s, SIM_ERR_CONFIG, "clock '%s' declared twice", name);
    if (s->n_clocks >= 1024)
        return sim_set_error(s, SIM_ERR_CONFIG, "too many clocks (max 1024)");
    if (grow((void **)&s->clocks, &s->cap_clocks, s->n_clocks + 1, sizeof *s->clocks))
        return SIM_ERR_NOMEM;
    sim_clock_t *k = &s->clocks[s->n_clocks];
    memset(k, 0, sizeof *k);
    k->name = strdup(name);
    k->hz = freq_hz;
    double period = 1e12 / freq_hz;
    k->period = (sim_time_t)(period + 0.5);
    if (k->period == 0)
        k->period = 1;
    s->n_clocks++;
    return (int)s->n_clocks - 1;
}

int sim_clock_find(const sim_t *s, const char *name)
{
    for (size_t i = 0; i < s->n_clocks; i++)
        if (strcmp(s->clocks[i].name, name) == 0)
            return (int)i;
    return -1;
}

sim_time_t sim_clock_period_ps(const sim_t *s, int clock)
{
    return clock >= 0 && (size_t)clock < s->n_clocks ? s->clocks[clock].period : 0;
}
size_t sim_clock_count(const sim_t *s) { return s->n_clocks; }
const char *sim_clock_name(const sim_t *s, int clock)
{
    return clock >= 0 && (size_t)clock < s->n_clocks ? s->clocks[clock].name : NULL;
}
double sim_clock_freq_hz(const sim_t *s, int clock)
{
    return clock >= 0 && (size_t)clock < s->n_clocks ? s->clocks[clock].hz : 0;
}

/* ---- components ------------------------------------------------------------ */
static int valid_name(const char *n)
{
    if (!n || !*n)
        return 0;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '[' || *p == ']'))
            return 0;
    return 1;
}

static size_t name_hash(const char *n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *n; n++)
        h = (h ^ (unsigned char)*n) * 0x100000001b3ull;
    return (size_t)(h ^ (h >> 29));
}

static void name_index_put(uint32_t *tab, size_t cap, const char *name, uint32_t v)
{
    size_t mask = cap - 1;
    size_t i = name_hash(name) & mask;
    while (tab[i])
        i = (i + 1) & mask;
    tab[i] = v;
}

static int name_index_add(sim_t *s, sim_comp_t *c)
{
    if (2 * s->n_comps > s->name_index_cap) {
        size_t cap = s->name_index_cap ? s->name_index_cap * 2 : 64;
        while (2 * s->n_comps > cap)
            cap *= 2;
        uint32_t *tab = calloc(cap, sizeof *tab);
        if (!tab)
            return SIM_ERR_NOMEM;
        for (size_t i = 0; i + 1 < s->n_comps; i++)
            name_index_put(tab, cap, s->comps[i]->name, (uint32_t)i + 1);
        free(s->name_index);
        s->name_index = tab;
        s->name_index_cap = cap;
    }
    name_index_put(s->name_index, s->name_index_cap, c->name, c->id + 1);
    return 0;
}

int sim_add_component(sim_t *s, const char *name, const char *model, const char *clock,
                      const char *const *params)
{
    return sim_add_component_at(s, name, model, clock, params, NULL);
}

int sim_add_component_at(sim_t *s, const char *name, const char *model, const char *clock,
                         const char *const *params, const char *where)
{
    char at[512];
    sim_fmt_where(at, sizeof at, where);
    if (s->initialized)
        return sim_set_error(s, SIM_ERR_STATE, "%scomponent '%s' added after init", at, name);
    if (!valid_name(name))
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "%scomponent name '%s' is not valid (letters, digits, _ - [ ])", at,
                             name ? name : "");
    if (sim_comp_find(s, name))
        return sim_set_error(s, SIM_ERR_CONFIG, "%scomponent '%s' declared twice", at, name);
    const sim_model_t *m = sim_model_find(model ? model : "");
    if (!m) {
        char known[1024] = "";
        size_t len = 0;
        for (size_t i = 0; i < sim_model_count() && len < sizeof known - 64; i++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "",
                                    sim_model_at(i)->name);
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "%scomponent '%s': unknown model '%s' (known: %s)", at, name,
                             model ? model : "", known);
    }
    int clk = -1;
    if (clock && *clock) {
        clk = sim_clock_find(s, clock);
        if (clk < 0)
            return sim_set_error(s, SIM_ERR_CONFIG, "%scomponent '%s': unknown clock '%s'", at,
                                 name, clock);
    }
    if (s->n_comps >= MAX_COMPS)
        return sim_set_error(s, SIM_ERR_CONFIG, "%stoo many components (max %u)", at, MAX_COMPS);
    if (grow((void **)&s->comps, &s->cap_comps, s->n_comps + 1, sizeof *s->comps))
        return SIM_ERR_NOMEM;
    /* the state lives right after the component, 64-byte aligned */
    size_t head = COMP_HEAD;
    sim_comp_t *c = aligned_alloc(64, head + ((m->state_size + 63) & ~(size_t)63) + 64);
    if (!c)
        return SIM_ERR_NOMEM;
    memset(c, 0, head + ((m->state_size + 63) & ~(size_t)63) + 64);
    c->sim = s;
    c->id = (uint32_t)s->n_comps;
    c->clock = clk;
    c->model = m;
    c->name = strdup(name);
    c->where = where ? strdup(where) : NULL;
    c->state = (char *)c + head;
    c->trace_keep = 1;
    char msg[900];
    int rc = c->name ? sim_params_build(&c->params, m, params, msg, sizeof msg)
                                 : SIM_ERR_NOMEM;
    if (rc) {
        if (rc != SIM_ERR_NOMEM)
            sim_set_error(s, rc, "%scomponent '%s': %s", at, name, msg);
        comp_free(c);
        return rc;
    }
    sim_rng_init(&c->rng, s->opts.seed, c->id);
    s->comps[s->n_comps++] = c;
    if (name_index_add(s, c)) {
        s->n_comps--;
        comp_free(c);
        return SIM_ERR_NOMEM;
    }
    return (int)c->id;
}

size_t sim_comp_count(const sim_t *s) { return s->n_comps; }
size_t sim_pending(const sim_t *s) { return s->q.n; }
sim_comp_t *sim_comp_at(sim_t *s, size_t id) { return id < s->n_comps ? s->comps[id] : NULL; }
sim_comp_t *sim_comp_find(sim_t *s, const char *name)
{
    if (!s->name_index_cap)
        return NULL;
    size_t mask = s->name_index_cap - 1;
    for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
        uint32_t v = s->name_index[i];
        if (!v)
            return NULL;
        if (strcmp(s->comps[v - 1]->name, name) == 0)
            return s->comps[v - 1];
    }
}
void *sim_comp_state(sim_comp_t *c) { return c->state; }
const sim_params_t *sim_comp_params(const sim_comp_t *c) { return &c->params; }
sim_t *sim_of(sim_comp_t *c) { return c->sim; }
uint32_t sim_comp_id(const sim_comp_t *c) { return c->id; }
const char *sim_comp_name(const sim_comp_t *c) { return c->name; }
const char *sim_comp_model(const sim_comp_t *c) { return c->model->name; }
sim_time_t sim_comp_now(const sim_comp_t *c) { return c->sim->now; }
int sim_comp_clock(const sim_comp_t *c) { return c->clock; }
sim_time_t sim_comp_period_ps(const sim_comp_t *c) { return sim_clock_period_ps(c->sim, c->clock); }
uint64_t sim_comp_cycle(const sim_comp_t *c)
{
    sim_time_t p = sim_comp_period_ps(c);
    return p ? c->sim->now / p : 0;
}

static int comp_vfail(sim_comp_t *c, int code, const char *fmt, va_list ap)
{
    sim_t *s = c->sim;
    char msg[900];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (!s->failed) {
        char at[512];
        sim_fmt_where(at, sizeof at, c->where);
        snprintf(s->err, sizeof s->err, "%scomponent '%s' (%s) at %llu ps: %s", at, c->name,
                 c->model->name, (unsigned long long)s->now, msg);
        s->fail_code = code;
    }
    s->failed = 1;
    return code;
}

int sim_comp_fail(sim_comp_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = comp_vfail(c, SIM_ERR_MODEL, fmt, ap);
    va_end(ap);
    return rc;
}

int sim_comp_reject(sim_comp_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = comp_vfail(c, SIM_ERR_CONFIG, fmt, ap);
    va_end(ap);
    return rc;
}

int sim_fail_code(const sim_t *s) { return s->failed ? (s->fail_code ? s->fail_code : SIM_ERR_MODEL) : 0; }

/* ---- ports and links ------------------------------------------------------- */
static int port_add(sim_comp_t *c, const char *name, int out, int link)
{
    for (int i = 0; i < c->n_ports; i++)
        if (strcmp(c->ports[i].name, name) == 0) {
            if (c->ports[i].out != out)
                return -2; /* used both ways */
            if (out)
                return -3; /* an output port drives one link */
            return i;
        }
    sim_port_rec_t *p = realloc(c->ports, (size_t)(c->n_ports + 1) * sizeof *p);
    if (!p)
        return -1;
    c->ports = p;
    p[c->n_ports].name = strdup(name);
    p[c->n_ports].out = out;
    p[c->n_ports].link = link;
    return c->n_ports++;
}

static int split_endpoint(sim_t *s, const char *ep, sim_comp_t **comp, char *port, size_t n,
                          const char *at, const char *field)
{
    const char *dot = ep ? strrchr(ep, '.') : NULL;
    if (!dot || dot == ep || !dot[1])
        return sim_set_error(s, SIM_ERR_CONFIG, "%slink %s '%s' must be 'component.port'", at,
                             field, ep ? ep : "");
    char cname[256];
    size_t len = (size_t)(dot - ep);
    if (len >= sizeof cname || strlen(dot + 1) >= n)
        return sim_set_error(s, SIM_ERR_CONFIG, "%slink %s '%s' is too long", at, field, ep);
    memcpy(cname, ep, len);
    cname[len] = '\0';
    snprintf(port, n, "%s", dot + 1);
    *comp = sim_comp_find(s, cname);
    if (!*comp)
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "%slink %s '%s' names a missing component '%s'", at, field, ep,
                             cname);
    return 0;
}

static int port_declared(const char *const *pats, const char *port)
{
    if (!pats)
        return 1;
    for (; *pats; pats++)
        if (fnmatch(*pats, port, 0) == 0)
            return 1;
    return 0;
}

static const char *ports_hint(const char *const *pats)
{
    static _Thread_local char buf[256];
    size_t len = (size_t)snprintf(buf, sizeof buf, " (it has:");
    for (; pats && *pats && len < sizeof buf - 32; pats++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, " %s", *pats);
    snprintf(buf + len, sizeof buf - len, ")");
    return buf;
}

int sim_add_link(sim_t *s, const char *from, const char *to, sim_time_t latency_ps,
                 double bandwidth_gbps)
{
    return sim_add_link_at(s, from, to, latency_ps, bandwidth_gbps, NULL);
}

int sim_add_link_at(sim_t *s, const char *from, const char *to, sim_time_t latency_ps,
                    double bandwidth_gbps, const char *where)
{
    char at[512];
    sim_fmt_where(at, sizeof at, where);
    if (s->initialized)
        return sim_set_error(s, SIM_ERR_STATE, "%slink added after init", at);
    sim_comp_t *a, *b;
    char pa[128], pb[128];
    int rc = split_endpoint(s, from, &a, pa, sizeof pa, at, "from");
    if (rc)
        return rc;
    rc = split_endpoint(s, to, &b, pb, sizeof pb, at, "to");
    if (rc)
        return rc;
    if (!port_declared(a->model->out_ports, pa))
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "%slink from '%s': model '%s' of '%s' has no output port '%s'%s", at,
                             from, a->model->name, a->name, pa, ports_hint(a->model->out_ports));
    if (!port_declared(b->model->in_ports, pb))
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "%slink to '%s': model '%s' of '%s' has no input port '%s'%s", at, to,
                             b->model->name, b->name, pb, ports_hint(b->model->in_ports));
    if (!(bandwidth_gbps >= 0) || bandwidth_gbps > 1e9 || (bandwidth_gbps > 0 && bandwidth_gbps < 1e-6))
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "%slink %s -> %s: bandwidth %g GB/s is outside [1e-6, 1e9] (0 = unlimited)",
                             at, from, to, bandwidth_gbps);
    if (grow((void **)&s->links, &s->cap_links, s->n_links + 1, sizeof *s->links))
        return SIM_ERR_NOMEM;
    int li = (int)s->n_links;
    if (a == b && strcmp(pa, pb) == 0)
        return sim_set_error(s, SIM_ERR_CONFIG, "%slink %s -> %s: a port cannot link to itself", at,
                             from, to);
    for (int i = 0; i < b->n_ports; i++)
        if (strcmp(b->ports[i].name, pb) == 0 && b->ports[i].out)
            return sim_set_error(s, SIM_ERR_CONFIG,
                                 "%slink %s -> %s: port '%s' is already an output port", at, from,
                                 to, to);
    int sp = port_add(a, pa, 1, li);
    if (sp == -3)
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "%slink %s -> %s: output port '%s' already drives a link", at, from,
                             to, from);
    if (sp == -2)
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "%slink %s -> %s: port '%s' is already an input port", at, from, to,
                             from);
    int dp = port_add(b, pb, 0, li);
    if (dp == -2)
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "%slink %s -> %s: port '%s' is already an output port", at, from,
                             to, to);
    if (sp < 0 || dp < 0)
        return SIM_ERR_NOMEM;
    sim_link_t *l = &s->links[li];
    memset(l, 0, sizeof *l);
    l->from = strdup(from);
    l->to = strdup(to);
    l->where = where ? strdup(where) : NULL;
    l->src_comp = a->id;
    l->dst_comp = b->id;
    l->src_port = (uint16_t)sp;
    l->dst_port = (uint16_t)dp;
    l->latency = latency_ps;
    l->bw_gbps = bandwidth_gbps;
    /* bytes per second, an integer from here on (1e-6 GB/s = 1000 B/s at least) */
    l->bytes_per_s = bandwidth_gbps > 0 ? (uint64_t)(bandwidth_gbps * 1e9 + 0.5) : 0;
    s->n_links++;
    if (latency_ps < s->lookahead)
        s->lookahead = latency_ps;
    return li;
}

int sim_port(sim_comp_t *c, const char *name)
{
    for (int i = 0; i < c->n_ports; i++)
        if (strcmp(c->ports[i].name, name) == 0)
            return i;
    return -1;
}
int sim_port_count(const sim_comp_t *c) { return c->n_ports; }
const char *sim_port_name(const sim_comp_t *c, int port)
{
    return port >= 0 && port < c->n_ports ? c->ports[port].name : NULL;
}
int sim_port_is_out(const sim_comp_t *c, int port)
{
    return port >= 0 && port < c->n_ports ? c->ports[port].out : 0;
}

size_t sim_link_count(const sim_t *s) { return s->n_links; }
void sim_link_get(const sim_t *s, size_t i, sim_link_info_t *out)
{
    const sim_link_t *l = &s->links[i];
    out->from = l->from;
    out->to = l->to;
    out->latency_ps = l->latency;
    out->bandwidth_gbps = l->bw_gbps;
    out->messages = l->messages;
    out->bytes = l->bytes;
    out->busy_ps = l->busy;
}

/* Zero-latency links must not form a cycle: a message could then come back
 * to its sender at the same instant forever, and no lookahead exists. */
static int check_zero_cycles(sim_t *s)
{
    size_t n = s->n_comps;
    if (n == 0)
        return 0;
    int *color = calloc(n, sizeof *color);
    size_t *stack = calloc(n, sizeof *stack), *edge = calloc(n, sizeof *edge);
    int rc = 0;
    if (!color || !stack || !edge) {
        rc = SIM_ERR_NOMEM;
        goto out;
    }
    for (size_t root = 0; root < n && !rc; root++) {
        if (color[root])
            continue;
        size_t sp = 0;
        stack[sp] = root;
        edge[sp] = 0;
        color[root] = 1;
        while (sp != (size_t)-1 && !rc) {
            size_t u = stack[sp];
            size_t li = edge[sp];
            while (li < s->n_links &&
                   !(s->links[li].src_comp == u && s->links[li].latency == 0))
                li++;
            if (li == s->n_links) {
                color[u] = 2;
                sp--;
                continue;
            }
            edge[sp] = li + 1;
            size_t v = s->links[li].dst_comp;
            if (color[v] == 1) {
                char at[512];
                sim_fmt_where(at, sizeof at, s->links[li].where);
                rc = sim_set_error(s, SIM_ERR_CONFIG,
                                   "%szero-latency cycle through link %s -> %s (component '%s' "
                                   "reaches itself in 0 ps; give one link a latency)",
                                   at, s->links[li].from, s->links[li].to, s->comps[v]->name);
            } else if (!color[v]) {
                color[v] = 1;
                stack[++sp] = v;
                edge[sp] = 0;
            }
        }
    }
out:
    free(color);
    free(stack);
    free(edge);
    return rc;
}

static int clocks_setup(sim_t *s);

int sim_init(sim_t *s)
{
    if (s->initialized)
        return sim_set_error(s, SIM_ERR_STATE, "sim_init called twice");
    int rc = check_zero_cycles(s);
    if (rc)
        return rc;
    if (s->payload > SIM_PAYLOAD_MAX)
        return sim_set_error(s, SIM_ERR_CONFIG, "event payload of %u bytes exceeds %d",
                             s->payload, SIM_PAYLOAD_MAX);
    if (s->lookahead == SIM_TIME_MAX)
        s->lookahead = 0;
    rc = clocks_setup(s);
    if (rc)
        return rc;
    s->initialized = 1;
    for (size_t i = 0; i < s->n_comps; i++) {
        sim_comp_t *c = s->comps[i];
        if (c->model->tick && c->clock < 0) {
            char at[512];
            sim_fmt_where(at, sizeof at, c->where);
            return sim_set_error(s, SIM_ERR_CONFIG,
                                 "%scomponent '%s': model '%s' is clocked; give it a clock", at,
                                 c->name, c->model->name);
        }
        if (s->dist_local && !s->dist_local[i])
            continue; /* another rank runs it */
        c->initialized = 1;
        if (c->model->init) {
            rc = c->model->init(c, c->state, &c->params);
            if (!rc && !s->failed && sim_params_undeclared(&c->params)) {
                char at[512];
                sim_fmt_where(at, sizeof at, c->where);
                return sim_set_error(s, SIM_ERR_MODEL,
                                     "%scomponent '%s': model '%s' looked up parameter '%s', "
                                     "which it does not declare (a bug in the model)",
                                     at, c->name, c->model->name,
                                     sim_params_undeclared(&c->params));
            }
            if (rc || s->failed) {
                if (!s->failed) {
                    char at[512];
                    sim_fmt_where(at, sizeof at, c->where);
                    sim_set_error(s, SIM_ERR_MODEL, "%scomponent '%s' (%s) failed to initialise",
                                  at, c->name, c->model->name);
                }
                return rc ? rc : SIM_ERR_MODEL;
            }
        }
    }
    return 0;
}

/* ---- events ------------------------------------------------------------------ */
static sim_event_t *ev_alloc(sim_t *s)
{
    sim_event_t *e = s->free_list;
    if (e) {
        memcpy(&s->free_list, e, sizeof s->free_list);
        return e;
    }
    if (grow((void **)&s->chunks, &s->cap_chunks, s->n_chunks + 1, sizeof *s->chunks))
        return NULL;
    if (s->n_chunks >= (1u << (32 - SIM_POOL_SHIFT)))
        return NULL; /* 2^32 pending events */
    size_t st = s->ev_stride;
    sim_event_t *chunk = aligned_alloc(64, POOL_CHUNK * st);
    if (!chunk)
        return NULL;
    uint32_t base = (uint32_t)s->n_chunks << SIM_POOL_SHIFT;
    s->chunks[s->n_chunks++] = chunk;
    for (uint32_t i = 0; i < POOL_CHUNK; i++)
        SIM_EV(s->chunks, st, base + i)->pool_idx_ = base + i;
    for (uint32_t i = 1; i < POOL_CHUNK - 1; i++) {
        sim_event_t *next = SIM_EV(s->chunks, st, base + i + 1);
        memcpy(SIM_EV(s->chunks, st, base + i), &next, sizeof next);
    }
    sim_event_t *last = NULL;
    memcpy(SIM_EV(s->chunks, st, base + POOL_CHUNK - 1), &last, sizeof last);
    s->free_list = SIM_EV(s->chunks, st, base + 1);
    return chunk;
}

static inline void ev_free(sim_t *s, sim_event_t *e)
{
    memcpy(e, &s->free_list, sizeof s->free_list);
    s->free_list = e;
}

static inline int enqueue(sim_t *s, sim_event_t *e)
{
    if (s->dist_local && e->src < MAX_COMPS && !s->dist_local[e->dst]) {
        int rc = sim_dist_out(s, e); /* batched for the receiver's rank */
        ev_free(s, e);
        return rc;
    }
    sim_qent_t q = {e->time, e->pool_idx_, e->dst};
    if (s->pop_pending) {
        /* the entry being handled is still on top: replace it (one sift) */
        s->pop_pending = 0;
        sim_queue_replace_top(&s->q, q);
        return 0;
    }
    return sim_queue_push(&s->q, q);
}

static inline sim_event_t *ev_new(sim_comp_t *c, sim_time_t when, uint32_t dst, uint16_t port,
                                  uint16_t kind, uint8_t prio, uint64_t op_id)
{
    sim_t *s = c->sim;
    if (when < s->now) { /* now + delay wrapped past 2^64 ps */
        sim_comp_fail(c, "event time overflows the 64-bit ps range");
        return NULL;
    }
    sim_event_t *e = ev_alloc(s);
    if (!e)
        return NULL;
    e->time = when;
    e->seq = c->seq++;
    e->src = c->id;
    e->dst = dst;
    e->port = port;
    e->kind = kind;
    e->prio = prio;
    e->op_id = op_id;
    return e;
}

static int chan_wire_in(sim_t *s, const sim_chan_wire_t *w);

int sim_event_inject(sim_t *s, const sim_event_t *in)
{
    if (in->src == SIM_CHAN_WIRE_SRC)
        return chan_wire_in(s, (const sim_chan_wire_t *)(const void *)in);
    sim_event_t *e = ev_alloc(s);
    if (!e)
        return SIM_ERR_NOMEM;
    uint32_t slot = e->pool_idx_;
    memcpy(e, in, s->ev_stride); /* header and the run's payload */
    e->pool_idx_ = slot;
    return sim_queue_push(&s->q, (sim_qent_t){e->time, e->pool_idx_, e->dst});
}

static int fail_nomem(sim_comp_t *c)
{
    sim_comp_fail(c, "out of memory for events"); /* keeps an earlier message (overflow) */
    return SIM_ERR_NOMEM;
}

/* Time the message leaves and arrives, updating the link's occupancy. */
static inline sim_time_t link_arrival(sim_link_t *l, sim_time_t depart, uint32_t bytes, int commit)
{
    sim_time_t start = depart;
    sim_time_t ser = 0;
    if (l->bytes_per_s) {
        if (l->free_at > start)
            start = l->free_at;
        /* ceil(bytes * 1e12 / bytes_per_s) in exact integer arithmetic */
        unsigned __int128 num = (unsigned __int128)bytes * SIM_PS_PER_S + l->bytes_per_s - 1;
        ser = (sim_time_t)(num / l->bytes_per_s);
    }
    if (commit) {
        l->free_at = start + ser;
        l->busy += ser;
        l->messages++;
        l->bytes += bytes;
    }
    return start + ser + l->latency;
}

sim_time_t sim_port_arrival(const sim_comp_t *c, int port, uint32_t bytes)
{
    if (port < 0 || port >= c->n_ports || !c->ports[port].out)
        return SIM_TIME_MAX;
    return link_arrival(&c->sim->links[c->ports[port].link], c->sim->now, bytes, 0);
}

static void trace_send(sim_t *s, const sim_comp_t *c, uint16_t kind, sim_time_t depart,
                       sim_time_t arrive, uint64_t bytes, uint64_t op_id);

int sim_send(sim_comp_t *c, int port, const sim_msg_t *m, sim_time_t extra_delay_ps)
{
    if (port < 0 || port >= c->n_ports || !c->ports[port].out)
        return sim_comp_fail(c, "send on port %d, which is not a linked output port", port);
    sim_t *s = c->sim;
    if (m->data_len > s->payload)
        return sim_comp_fail(c, "message payload of %zu bytes exceeds the run's %u", m->data_len,
                             s->payload);
    sim_link_t *l = &s->links[c->ports[port].link];
    sim_time_t when = link_arrival(l, s->now + extra_delay_ps, m->bytes, 1);
    if (s->trace_messages && s->have_sink)
        trace_send(s, c, m->kind, s->now + extra_delay_ps, when, m->bytes, m->op_id);
    sim_event_t *e = ev_new(c, when, l->dst_comp, l->dst_port, m->kind, m->prio, m->op_id);
    if (!e)
        return fail_nomem(c);
    memset(e->data.bytes, 0, s->payload);
    if (m->data_len)
        memcpy(e->data.bytes, m->data, m->data_len);
    return enqueue(s, e);
}

int sim_send_kind(sim_comp_t *c, int port, uint16_t kind, uint32_t bytes, uint64_t a, uint64_t b)
{
    if (port < 0 || port >= c->n_ports || !c->ports[port].out)
        return sim_comp_fail(c, "send on port %d, which is not a linked output port", port);
    sim_t *s = c->sim;
    sim_link_t *l = &s->links[c->ports[port].link];
    sim_time_t when = link_arrival(l, s->now, bytes, 1);
    if (s->trace_messages && s->have_sink)
        trace_send(s, c, kind, s->now, when, bytes, 0);
    sim_event_t *e = ev_new(c, when, l->dst_comp, l->dst_port, kind, 0, 0);
    if (!e)
        return fail_nomem(c);
    e->data.u64[0] = a;
    e->data.u64[1] = b;
    return enqueue(s, e);
}

int sim_self(sim_comp_t *c, sim_time_t delay_ps, const sim_msg_t *m)
{
    sim_t *s = c->sim;
    if (m->data_len > s->payload)
        return sim_comp_fail(c, "message payload of %zu bytes exceeds the run's %u", m->data_len,
                             s->payload);
    sim_event_t *e = ev_new(c, s->now + delay_ps, c->id, SIM_PORT_SELF, m->kind, m->prio, m->op_id);
    if (!e)
        return fail_nomem(c);
    memset(e->data.bytes, 0, s->payload);
    if (m->data_len)
        memcpy(e->data.bytes, m->data, m->data_len);
    return enqueue(s, e);
}

int sim_self_cycles(sim_comp_t *c, uint64_t cycles, const sim_msg_t *m)
{
    sim_time_t period = sim_comp_period_ps(c);
    if (!period)
        return sim_comp_fail(c, "sim_self_cycles on a component without a clock");
    if (cycles > SIM_TIME_MAX / period)
        return sim_comp_fail(c, "%llu cycles overflow the 64-bit ps range", (unsigned long long)cycles);
    return sim_self(c, cycles * period, m);
}

int sim_self_kind(sim_comp_t *c, sim_time_t delay_ps, uint16_t kind, uint64_t a, uint64_t b)
{
    sim_t *s = c->sim;
    sim_event_t *e = ev_new(c, s->now + delay_ps, c->id, SIM_PORT_SELF, kind, 0, 0);
    if (!e)
        return fail_nomem(c);
    e->data.u64[0] = a;
    e->data.u64[1] = b;
    return enqueue(s, e);
}

int sim_send_direct(sim_comp_t *c, uint32_t dst, sim_time_t delay_ps, uint16_t kind, uint64_t a,
                    uint64_t b)
{
    sim_t *s = c->sim;
    if (dst >= s->n_comps)
        return sim_comp_fail(c, "direct send to component id %u, which does not exist", dst);
    if (dst != c->id && delay_ps < s->opts.lookahead_ps)
        return sim_comp_fail(c, "direct send with delay %llu ps below the lookahead %llu ps",
                             (unsigned long long)delay_ps, (unsigned long long)s->opts.lookahead_ps);
    sim_event_t *e = ev_new(c, s->now + delay_ps, dst, SIM_PORT_DIRECT, kind, 0, 0);
    if (!e)
        return fail_nomem(c);
    e->data.u64[0] = a;
    e->data.u64[1] = b;
    return enqueue(s, e);
}

/* ---- clocks at run time ----------------------------------------------------- */
/* Each clock keeps its clocked components ("members", id order), an awake
 * bitmap over them and a wheel of wakes for the next SIM_WHEEL_SLOTS cycles.
 * An edge event is queued only for cycles with work; `next_cycle` is the
 * earliest one queued, and an edge event of any other cycle is stale (a
 * wake moved the edge earlier) and is skipped. */
static int clocks_setup(sim_t *s)
{
    for (size_t k = 0; k < s->n_clocks; k++) {
        s->clocks[k].next_cycle = UINT64_MAX;
        s->clocks[k].n_members = 0;
    }
    for (size_t i = 0; i < s->n_comps; i++) {
        sim_comp_t *c = s->comps[i];
        if (c->clock >= 0 && c->model->tick)
            c->clock_slot = (uint32_t)s->clocks[c->clock].n_members++;
    }
    for (size_t k = 0; k < s->n_clocks; k++) {
        sim_clock_t *clk = &s->clocks[k];
        clk->n_words = (clk->n_members + 63) / 64 + 1;
        clk->members = calloc(clk->n_members + 1, sizeof *clk->members);
        clk->awake_bits = calloc(clk->n_words, sizeof *clk->awake_bits);
        if (!clk->members || !clk->awake_bits)
            return SIM_ERR_NOMEM;
    }
    for (size_t i = 0; i < s->n_comps; i++) {
        sim_comp_t *c = s->comps[i];
        if (c->clock >= 0 && c->model->tick)
            s->clocks[c->clock].members[c->clock_slot] = c->id;
    }
    return 0;
}

/* The first cycle whose edge has not run yet: the edge at now when now is an
 * edge that is still to come (messages of an instant run before its edges). */
static inline uint64_t first_pending_cycle(const sim_t *s, const sim_clock_t *clk)
{
    uint64_t cyc = s->now / clk->period;
    if (s->now % clk->period == 0 && !(clk->ran_any && clk->last_cycle == cyc))
        return cyc;
    return cyc + 1;
}

static sim_event_t *internal_event(sim_t *s, int k, uint64_t cycle, uint32_t dst, uint16_t kind,
                                   uint8_t prio)
{
    sim_clock_t *clk = &s->clocks[k];
    if (cycle > SIM_TIME_MAX / clk->period)
        return NULL; /* beyond the 64-bit ps range: never happens */
    sim_event_t *e = ev_alloc(s);
    if (!e)
        return NULL;
    uint32_t slot = e->pool_idx_;
    memset(e, 0, offsetof(sim_event_t, data));
    e->pool_idx_ = slot;
    e->time = cycle * clk->period;
    e->seq = clk->seq++;
    e->src = MAX_COMPS + (uint32_t)k;
    e->dst = dst;
    e->kind = kind;
    e->port = SIM_PORT_SELF;
    e->prio = prio;
    return e;
}

/* Make sure an edge event of clock k is queued at `cycle` or earlier. */
static int edge_push(sim_t *s, int k, uint64_t cycle)
{
    sim_clock_t *clk = &s->clocks[k];
    if (cycle >= clk->next_cycle)
        return 0;
    /* edges run after the messages of the same instant */
    sim_event_t *e = internal_event(s, k, cycle, (uint32_t)k, SIM_EV_CLOCK, 255);
    if (!e)
        return SIM_ERR_NOMEM;
    clk->next_cycle = cycle;
    return enqueue(s, e);
}

void sim_clock_wake_at(sim_comp_t *c, uint64_t cycle)
{
    sim_t *s = c->sim;
    if (c->clock < 0 || !c->model->tick || !s->initialized)
        return;
    sim_clock_t *clk = &s->clocks[c->clock];
    uint64_t first = first_pending_cycle(s, clk);
    if (cycle < first)
        cycle = first;
    int rc = 0;
    if (cycle == first && !clk->in_edge) {
        uint64_t bit = 1ull << (c->clock_slot & 63);
        uint64_t *w = &clk->awake_bits[c->clock_slot >> 6];
        if (!(*w & bit)) {
            *w |= bit;
            clk->n_awake++;
        }
        rc = edge_push(s, c->clock, cycle);
    } else if (cycle - first < SIM_WHEEL_SLOTS) {
        unsigned slot = (unsigned)(cycle % SIM_WHEEL_SLOTS);
        if (clk->wheel_n[slot] == clk->wheel_cap[slot]) {
            uint32_t cap = clk->wheel_cap[slot] ? 2 * clk->wheel_cap[slot] : 16;
            uint32_t *a = realloc(clk->wheel[slot], cap * sizeof *a);
            if (!a) {
                fail_nomem(c);
                return;
            }
            clk->wheel[slot] = a;
            clk->wheel_cap[slot] = cap;
        }
        clk->wheel[slot][clk->wheel_n[slot]++] = c->clock_slot;
        clk->wheel_mask |= 1ull << slot;
        rc = edge_push(s, c->clock, cycle);
    } else {
        /* far ahead: one internal event that wakes it at that edge */
        sim_event_t *e = internal_event(s, c->clock, cycle, c->id, SIM_EV_WAKE, 254);
        rc = e ? enqueue(s, e) : SIM_ERR_NOMEM;
    }
    if (rc)
        fail_nomem(c);
}

void sim_clock_wake(sim_comp_t *c)
{
    if (c->clock < 0)
        return;
    sim_clock_wake_at(c, 0); /* 0 is always past: the first pending edge */
}

static void clock_edge(sim_t *s, int k, uint64_t cycle)
{
    sim_clock_t *clk = &s->clocks[k];
    if (cycle != clk->next_cycle)
        return; /* stale: the edge was moved earlier and has run */
    clk->next_cycle = UINT64_MAX;
    clk->last_cycle = cycle;
    clk->ran_any = 1;
    clk->memo_now = s->now;
    clk->memo_cycle = cycle;
    unsigned slot = (unsigned)(cycle % SIM_WHEEL_SLOTS);
    if (clk->wheel_mask >> slot & 1) {
        for (uint32_t i = 0; i < clk->wheel_n[slot]; i++) {
            uint32_t m = clk->wheel[slot][i];
            uint64_t bit = 1ull << (m & 63);
            if (!(clk->awake_bits[m >> 6] & bit)) {
                clk->awake_bits[m >> 6] |= bit;
                clk->n_awake++;
            }
        }
        clk->wheel_n[slot] = 0;
        clk->wheel_mask &= ~(1ull << slot);
    }
    /* tick in component id order: the bitmap is scanned word by word; wakes
     * made by the ticks go to the wheel, never into this scan */
    clk->in_edge = 1;
    size_t left = clk->n_awake;
    sim_comp_t **comps = s->comps;
    for (size_t w = 0; left && w < clk->n_words; w++) {
        uint64_t word = clk->awake_bits[w];
        while (word) {
            unsigned b = (unsigned)__builtin_ctzll(word);
            word &= word - 1;
            left--;
            sim_comp_t *c = comps[clk->members[(w << 6) + b]];
            c->ticks++;
            if (!c->model->tick(c, c->state, cycle)) {
                clk->awake_bits[w] &= ~(1ull << b);
                clk->n_awake--;
            }
        }
    }
    clk->in_edge = 0;
    uint64_t need = UINT64_MAX;
    if (clk->n_awake)
        need = cycle + 1;
    else if (clk->wheel_mask) {
        uint64_t first = cycle + 1;
        unsigned r = (unsigned)(first % SIM_WHEEL_SLOTS);
        uint64_t rot = r ? (clk->wheel_mask >> r) | (clk->wheel_mask << (64 - r)) : clk->wheel_mask;
        need = first + (uint64_t)__builtin_ctzll(rot);
    }
    if (need != UINT64_MAX && edge_push(s, k, need))
        sim_set_error(s, SIM_ERR_NOMEM, "out of memory for events"), s->failed = 1;
}

/* ---- clocked channels ---------------------------------------------------------- */
int sim_add_chan(sim_t *s, uint32_t from, int from_port, uint32_t to, int to_port,
                 const sim_chan_opts_t *o)
{
    if (s->initialized)
        return sim_set_error(s, SIM_ERR_STATE, "channel added after init");
    if (from >= s->n_comps || to >= s->n_comps)
        return sim_set_error(s, SIM_ERR_CONFIG, "channel %u -> %u names a missing component", from,
                             to);
    sim_comp_t *a = s->comps[from], *b = s->comps[to];
    if (from_port < 0 || from_port > 65535 || to_port < 0 || to_port > 65535)
        return sim_set_error(s, SIM_ERR_CONFIG, "channel %s.%d -> %s.%d: port outside [0, 65535]",
                             a->name, from_port, b->name, to_port);
    if (!o || o->rec_bytes < 1 || o->rec_bytes > 64 || o->latency < 1 || o->capacity < 1 ||
        o->credit_latency < 1)
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "channel %s.%d -> %s.%d: need 1 <= record bytes <= 64, latency >= 1, "
                             "capacity >= 1, credit latency >= 1",
                             a->name, from_port, b->name, to_port);
    if (!a->model->tick || !b->model->tick || a->clock < 0 || a->clock != b->clock)
        return sim_set_error(s, SIM_ERR_CONFIG,
                             "channel %s -> %s: both ends must be clocked components on one clock",
                             a->name, b->name);
    if ((from_port < a->n_chan_out && a->chan_out[from_port]) ||
        (to_port < b->n_chan_in && b->chan_in[to_port]))
        return sim_set_error(s, SIM_ERR_CONFIG, "channel %s.%d -> %s.%d: port already connected",
                             a->name, from_port, b->name, to_port);
    if (grow((void **)&s->chans, &s->cap_chans, s->n_chans + 1, sizeof *s->chans))
        return SIM_ERR_NOMEM;
    if (from_port >= a->n_chan_out) {
        sim_chan_t **v = realloc(a->chan_out, (size_t)(from_port + 1) * sizeof *v);
        if (!v)
            return SIM_ERR_NOMEM;
        memset(v + a->n_chan_out, 0, (size_t)(from_port + 1 - a->n_chan_out) * sizeof *v);
        a->chan_out = v;
        a->n_chan_out = from_port + 1;
    }
    if (to_port >= b->n_chan_in) {
        sim_chan_t **v = realloc(b->chan_in, (size_t)(to_port + 1) * sizeof *v);
        if (!v)
            return SIM_ERR_NOMEM;
        memset(v + b->n_chan_in, 0, (size_t)(to_port + 1 - b->n_chan_in) * sizeof *v);
        b->chan_in = v;
        b->n_chan_in = to_port + 1;
    }
    sim_chan_t *ch = calloc(1, sizeof *ch);
    if (!ch)
        return SIM_ERR_NOMEM;
    ch->from = a;
    ch->to = b;
    ch->sim = s;
    ch->clock = a->clock;
    ch->from_port = from_port;
    ch->to_port = to_port;
    ch->rec_bytes = o->rec_bytes;
    ch->latency = o->latency;
    ch->capacity = o->capacity;
    ch->credit_latency = o->credit_latency;
    ch->credit_capacity = o->credit_capacity ? o->credit_capacity
                                             : o->capacity + o->credits + 2 * (o->credit_latency + 1);
    ch->credits = o->credits;
    ch->recs = malloc((size_t)o->capacity * o->rec_bytes);
    ch->arrive = malloc((size_t)o->capacity * sizeof *ch->arrive);
    ch->tokens = malloc((size_t)ch->credit_capacity * sizeof *ch->tokens);
    ch->token_arrive = malloc((size_t)ch->credit_capacity * sizeof *ch->token_arrive);
    ch->index = (uint32_t)s->n_chans;
    s->chans[s->n_chans++] = ch; /* freed with the sim from here on */
    if (!ch->recs || !ch->arrive || !ch->tokens || !ch->token_arrive)
        return SIM_ERR_NOMEM;
    a->chan_out[from_port] = ch;
    b->chan_in[to_port] = ch;
    sim_time_t period = s->clocks[a->clock].period;
    uint32_t lat = o->latency < o->credit_latency ? o->latency : o->credit_latency;
    if ((sim_time_t)lat * period < s->lookahead)
        s->lookahead = (sim_time_t)lat * period;
    return (int)s->n_chans - 1;
}

size_t sim_chan_count(const sim_t *s) { return s->n_chans; }
sim_chan_t *sim_chan_out(sim_comp_t *c, int port)
{
    return port >= 0 && port < c->n_chan_out ? c->chan_out[port] : NULL;
}
sim_chan_t *sim_chan_in(sim_comp_t *c, int port)
{
    return port >= 0 && port < c->n_chan_in ? c->chan_in[port] : NULL;
}
int sim_chan_out_count(const sim_comp_t *c) { return c->n_chan_out; }
int sim_chan_in_count(const sim_comp_t *c) { return c->n_chan_in; }

static inline uint64_t chan_cycle(const sim_chan_t *ch)
{
    sim_t *s = ch->sim;
    sim_clock_t *clk = &s->clocks[ch->clock];
    if (clk->memo_now != s->now) {
        clk->memo_now = s->now;
        clk->memo_cycle = s->now / clk->period;
    }
    return clk->memo_cycle;
}

/* A channel whose ends are on different ranks (sim/mpi.c, before init).
 * Each rank keeps the half of its end: the receiver's rank the record ring,
 * the sender's rank the credit ring. The other half is marked full, so that
 * a send (or a credit) takes the one branch a full ring takes anyway and
 * leaves in the window's batch: a channel that is not cut costs nothing. */
void sim_chan_set_cut(sim_chan_t *ch, int sender_here, int receiver_here)
{
    ch->cut = 1;
    if (sender_here)
        ch->n = ch->capacity;
    if (receiver_here)
        ch->tn = ch->credit_capacity;
}

/* A record or credit of a cut channel leaves in the window's batch (it
 * enters the far end's ring there, sim_event_inject). */
static int chan_wire_out(sim_chan_t *ch, uint32_t credit, uint64_t arrive, const void *rec,
                         uint32_t token)
{
    sim_chan_wire_t w;
    memset(&w, 0, sizeof w);
    w.time = (sim_time_t)arrive * ch->sim->clocks[ch->clock].period;
    w.cycle = arrive;
    w.marker = SIM_CHAN_WIRE_SRC;
    w.chan = ch->index;
    w.credit = credit;
    w.token = token;
    if (rec)
        memcpy(w.rec, rec, ch->rec_bytes);
    return sim_dist_chan_out(ch->sim, ch, &w);
}

/* The sending half of a cut channel: the ring and the overflow check are
 * the receiving rank's (sim_chan_wire_in). */
static int chan_send_cut(sim_chan_t *ch, const void *rec)
{
    ch->sent++;
    ch->credits--;
    return chan_wire_out(ch, 0, chan_cycle(ch) + ch->latency, rec, 0);
}

int sim_chan_send(sim_chan_t *ch, const void *rec)
{
    if (ch->n == ch->capacity) {
        if (ch->cut) /* the sender's rank of a cut channel: full by construction */
            return chan_send_cut(ch, rec);
        return sim_comp_fail(ch->from, "channel to '%s' (port %d) is full: %u records in flight",
                             ch->to->name, ch->from_port, ch->capacity);
    }
    uint32_t i = ch->head + ch->n;
    if (i >= ch->capacity)
        i -= ch->capacity;
    if (ch->rec_bytes == 64) /* the common flit record: an inlined copy */
        memcpy(ch->recs + (size_t)i * 64, rec, 64);
    else
        memcpy(ch->recs + (size_t)i * ch->rec_bytes, rec, ch->rec_bytes);
    uint64_t arrive = chan_cycle(ch) + ch->latency;
    ch->arrive[i] = arrive;
    ch->n++;
    if (ch->to_port < 64)
        ch->to->chan_in_busy |= 1ull << ch->to_port;
    ch->sent++;
    ch->credits--;
    sim_clock_wake_at(ch->to, arrive);
    return 0;
}

int64_t sim_chan_credits(sim_chan_t *ch)
{
    uint64_t now = chan_cycle(ch);
    int64_t arrived = 0;
    uint32_t i = ch->thead;
    for (uint32_t k = 0; k < ch->tn && ch->token_arrive[i] <= now; k++) {
        arrived++;
        if (++i == ch->credit_capacity)
            i = 0;
    }
    return ch->credits + arrived;
}

int sim_chan_credit_take(sim_chan_t *ch, uint32_t *token)
{
    if (!ch->tn || ch->token_arrive[ch->thead] > chan_cycle(ch))
        return 0;
    if (token)
        *token = ch->tokens[ch->thead];
    if (++ch->thead == ch->credit_capacity)
        ch->thead = 0;
    ch->tn--;
    ch->credits++;
    if (!ch->tn && ch->from_port < 64)
        ch->from->chan_credit_busy &= ~(1ull << ch->from_port);
    return 1;
}

const void *sim_chan_peek(sim_chan_t *ch)
{
    if (!ch->n || ch->arrive[ch->head] > chan_cycle(ch))
        return NULL;
    return ch->recs + (size_t)ch->head * ch->rec_bytes;
}

void sim_chan_pop(sim_chan_t *ch)
{
    if (!ch->n)
        return;
    if (++ch->head == ch->capacity)
        ch->head = 0;
    if (!--ch->n && ch->to_port < 64)
        ch->to->chan_in_busy &= ~(1ull << ch->to_port);
}

int sim_chan_credit(sim_chan_t *ch, uint32_t token)
{
    if (ch->tn == ch->credit_capacity) {
        if (ch->cut) { /* the receiver's rank of a cut channel: full by construction */
            ch->credits_returned++;
            return chan_wire_out(ch, 1, chan_cycle(ch) + ch->credit_latency, NULL, token);
        }
        return sim_comp_fail(ch->to, "credit return to '%s' (port %d) overflows: %u in flight",
                             ch->from->name, ch->from_port, ch->credit_capacity);
    }
    uint32_t i = ch->thead + ch->tn;
    if (i >= ch->credit_capacity)
        i -= ch->credit_capacity;
    uint64_t arrive = chan_cycle(ch) + ch->credit_latency;
    ch->tokens[i] = token;
    ch->token_arrive[i] = arrive;
    ch->tn++;
    if (ch->from_port < 64)
        ch->from->chan_credit_busy |= 1ull << ch->from_port;
    ch->credits_returned++;
    sim_clock_wake_at(ch->from, arrive);
    return 0;
}

/* A cut channel's record or credit from the other rank, at the end of the
 * window it was sent in: it enters the ring (records and credits of one
 * channel come in the order they were sent) and wakes its end on the
 * arrival cycle, which no window has reached yet (sim/mpi.c ends windows
 * before it), exactly as the send would have in one process. A full ring
 * fails the run here, at the receiving end (one process fails the sender at
 * the send). A model failure returns 0 with the sim failed: the ranks learn
 * it with the next window's flags. */
static int chan_wire_in(sim_t *s, const sim_chan_wire_t *w)
{
    if (w->chan >= s->n_chans || !s->chans[w->chan]->cut)
        return sim_set_error(s, SIM_ERR, "a record for channel %u, which is not cut", w->chan);
    sim_chan_t *ch = s->chans[w->chan];
    if (!w->credit) {
        if (ch->n == ch->capacity) {
            sim_comp_fail(ch->to, "channel from '%s' (port %d) is full: %u records in flight",
                          ch->from->name, ch->from_port, ch->capacity);
            return 0;
        }
        uint32_t i = ch->head + ch->n;
        if (i >= ch->capacity)
            i -= ch->capacity;
        memcpy(ch->recs + (size_t)i * ch->rec_bytes, w->rec, ch->rec_bytes);
        ch->arrive[i] = w->cycle;
        ch->n++;
        ch->sent++;
        if (ch->to_port < 64)
            ch->to->chan_in_busy |= 1ull << ch->to_port;
        sim_clock_wake_at(ch->to, w->cycle);
        return 0;
    }
    if (ch->tn == ch->credit_capacity) {
        sim_comp_fail(ch->from, "credit return from '%s' (port %d) overflows: %u in flight",
                      ch->to->name, ch->to_port, ch->credit_capacity);
        return 0;
    }
    uint32_t i = ch->thead + ch->tn;
    if (i >= ch->credit_capacity)
        i -= ch->credit_capacity;
    ch->tokens[i] = w->token;
    ch->token_arrive[i] = w->cycle;
    ch->tn++;
    ch->credits_returned++;
    if (ch->from_port < 64)
        ch->from->chan_credit_busy |= 1ull << ch->from_port;
    sim_clock_wake_at(ch->from, w->cycle);
    return 0;
}

uint32_t sim_chan_pending(const sim_chan_t *ch) { return ch->n; }
uint64_t sim_chan_in_busy(const sim_comp_t *c) { return c->chan_in_busy; }
uint64_t sim_chan_credit_busy(const sim_comp_t *c) { return c->chan_credit_busy; }
uint32_t sim_chan_credit_pending(const sim_chan_t *ch) { return ch->tn; }
uint64_t sim_chan_sent(const sim_chan_t *ch) { return ch->sent; }

/* ---- tracing (engine side) ---------------------------------------------------- */
static int op_intern(sim_t *s, const char *name, uint32_t comp)
{
    for (size_t i = 0; i < s->n_ops; i++)
        if (strcmp(s->op_names[i], name) == 0)
            return (int)i;
    if (s->n_ops >= 65535)
        return -1;
    size_t cap = s->cap_ops;
    if (grow((void **)&s->op_names, &cap, s->n_ops + 1, sizeof *s->op_names))
        return -1;
    size_t cap2 = s->cap_ops;
    if (grow((void **)&s->op_keep, &cap2, s->n_ops + 1, sizeof *s->op_keep))
        return -1;
    s->cap_ops = cap < cap2 ? cap : cap2;
    s->op_names[s->n_ops] = strdup(name);
    s->op_keep[s->n_ops] = s->have_sink && s->sink.keep ? (unsigned char)s->sink.keep(s->sink.ctx, UINT32_MAX, name) : 1;
    if (s->dist)
        sim_dist_op_new(s, (int)s->n_ops, comp); /* ranks agree the ids at the end */
    return (int)s->n_ops++;
}

int sim_trace_op(sim_comp_t *c, const char *op) { return op_intern(c->sim, op, c->id); }
const char *sim_op_name(const sim_t *s, int op)
{
    return op >= 0 && (size_t)op < s->n_ops ? s->op_names[op] : NULL;
}
size_t sim_op_count(const sim_t *s) { return s->n_ops; }

void sim_set_trace_sink(sim_t *s, const sim_trace_sink_t *sink)
{
    if (!sink) {
        s->have_sink = 0;
        return;
    }
    s->sink = *sink;
    s->have_sink = 1;
    for (size_t i = 0; i < s->n_comps; i++)
        s->comps[i]->trace_keep = sink->keep ? sink->keep(sink->ctx, (uint32_t)i, NULL) : 1;
    for (size_t i = 0; i < s->n_ops; i++)
        s->op_keep[i] = sink->keep ? (unsigned char)sink->keep(sink->ctx, UINT32_MAX, s->op_names[i]) : 1;
}

void sim_set_trace_messages(sim_t *s, int on) { s->trace_messages = on; }

int sim_tracing(const sim_comp_t *c) { return c->sim->have_sink && c->trace_keep; }

void sim_trace(sim_comp_t *c, int op, sim_time_t start_ps, sim_time_t dur_ps, uint64_t bytes,
               double energy_pj, uint64_t op_id)
{
    sim_t *s = c->sim;
    if (!s->have_sink || !c->trace_keep || op < 0 || (size_t)op >= s->n_ops || !s->op_keep[op])
        return;
    sim_trace_row_t r = {start_ps, dur_ps, c->id, (uint16_t)op, 0, bytes, energy_pj, op_id};
    s->sink.row(s->sink.ctx, &r);
}

/* The sending side of a message over a link (kind 2, "send"): when it left,
 * how long until it arrives, and its size in bytes. `prism export` pairs it
 * with the delivery row (kind 1) at depart + duration into a flow arrow. */
static void trace_send(sim_t *s, const sim_comp_t *c, uint16_t kind, sim_time_t depart,
                       sim_time_t arrive, uint64_t bytes, uint64_t op_id)
{
    if (!c->trace_keep)
        return;
    int op = kind <= 255 ? s->msg_ops[kind] : -1;
    if (op < 0) {
        char name[32];
        snprintf(name, sizeof name, "msg.%u", (unsigned)kind);
        op = op_intern(s, name, c->id);
        if (op < 0)
            return;
        if (kind <= 255)
            s->msg_ops[kind] = op;
    }
    if (!s->op_keep[op])
        return;
    sim_trace_row_t r = {depart, arrive - depart, c->id, (uint16_t)op, 2, bytes, 0.0, op_id};
    s->sink.row(s->sink.ctx, &r);
}

static void trace_message(sim_t *s, const sim_event_t *e)
{
    sim_comp_t *c = s->comps[e->dst];
    if (!c->trace_keep)
        return;
    /* kinds below 256 are cached; rarer, larger kinds are looked up by name */
    int k = e->kind;
    if (k > 255) {
        char name[32];
        snprintf(name, sizeof name, "msg.%u", (unsigned)e->kind);
        int op = op_intern(s, name, e->dst);
        if (op < 0 || !s->op_keep[op])
            return;
        sim_trace_row_t r = {e->time, 0, e->dst, (uint16_t)op, 1, 0, 0.0, e->op_id};
        s->sink.row(s->sink.ctx, &r);
        return;
    }
    if (s->msg_ops[k] < 0) {
        char name[32];
        snprintf(name, sizeof name, "msg.%u", (unsigned)e->kind);
        s->msg_ops[k] = op_intern(s, name, e->dst);
        if (s->msg_ops[k] < 0)
            return;
    }
    int op = s->msg_ops[k];
    if (!s->op_keep[op])
        return;
    sim_trace_row_t r = {e->time, 0, e->dst, (uint16_t)op, 1, 0, 0.0, e->op_id};
    s->sink.row(s->sink.ctx, &r);
}

/* ---- the run loop --------------------------------------------------------------- */
int sim_run(sim_t *s, sim_time_t until_ps, uint64_t max_events)
{
    if (!s->initialized)
        return sim_set_error(s, SIM_ERR_STATE, "sim_run before sim_init");
    if (s->failed)
        return SIM_ERR_MODEL;
    if (s->opts.until_ps && until_ps > s->opts.until_ps)
        until_ps = s->opts.until_ps;
    uint64_t n = 0, internal = 0; /* internal: clock bookkeeping popped */
    sim_comp_t **comps = s->comps;
    const size_t stride = s->ev_stride;
    while (s->q.n && n < max_events) {
        sim_qent_t *top = &s->q.a[0];
        if (top->time >= until_ps)
            break;
        sim_event_t *e = SIM_EV(s->chunks, stride, top->idx);
        /* the next event is among the root's children: start loading them
         * while this one is handled */
        for (size_t k = 1; k <= 4 && k < s->q.n; k++) {
            __builtin_prefetch(SIM_EV(s->chunks, stride, s->q.a[k].idx));
            if (s->q.a[k].dst < s->n_comps) {
                const char *c = (const char *)comps[s->q.a[k].dst];
                __builtin_prefetch(c);
                __builtin_prefetch(c + COMP_HEAD); /* its state */
            }
        }
        s->now = e->time;
        s->cur_ev = e;
        s->pop_pending = 1;
        if (e->src >= MAX_COMPS) {
            /* pop first: ticks may schedule the next edge */
            s->pop_pending = 0;
            sim_queue_pop(&s->q);
            int k = (int)(e->src - MAX_COMPS);
            /* wake timers and stale edges are the engine's bookkeeping, not
             * events: only edges that run count (the same in any split) */
            if (e->kind == SIM_EV_WAKE) {
                sim_clock_wake(comps[e->dst]); /* its edge at now has not run */
                internal++;
            } else {
                uint64_t cycle = e->time / s->clocks[k].period;
                if (cycle != s->clocks[k].next_cycle)
                    internal++;
                else if (s->dist)
                    sim_dist_edge(s, k);
                clock_edge(s, k, cycle);
            }
        } else {
            sim_comp_t *c = comps[e->dst];
            c->events++;
            if (s->trace_messages && s->have_sink && e->src != e->dst)
                trace_message(s, e);
            c->model->handle(c, c->state, e);
            if (s->pop_pending) {
                s->pop_pending = 0;
                sim_queue_pop(&s->q);
            }
        }
        ev_free(s, e);
        n++;
        if (s->failed)
            break;
    }
    s->handled += n - internal;
    s->cur_ev = NULL;
    if (n)
        s->last_event_ps = s->now;
    if (s->failed)
        return SIM_ERR_MODEL;
    if (!s->q.n || s->q.a[0].time >= until_ps) {
        /* nothing left before the limit: the clock stands at the limit when
         * one was given and events remain past it */
        if (s->q.n && until_ps != SIM_TIME_MAX && until_ps > s->now)
            s->now = until_ps;
    }
    return 0;
}

int sim_done(const sim_t *s)
{
    if (s->failed || !s->q.n)
        return 1;
    return s->opts.until_ps && s->q.a[0].time >= s->opts.until_ps;
}

void sim_finish(sim_t *s)
{
    if (s->finished)
        return;
    s->finished = 1;
    for (size_t i = 0; i < s->n_comps; i++) {
        sim_comp_t *c = s->comps[i];
        if (c->initialized && c->model->finish)
            c->model->finish(c, c->state);
    }
}

sim_time_t sim_now(const sim_t *s) { return s->now; }
uint64_t sim_events_handled(const sim_t *s) { return s->handled; }
sim_time_t sim_lookahead_ps(const sim_t *s)
{
    sim_time_t la = s->lookahead;
    if (s->opts.lookahead_ps && s->opts.lookahead_ps < la)
        la = s->opts.lookahead_ps;
    return la == SIM_TIME_MAX ? 0 : la;
}
sim_time_t sim_end_ps(const sim_t *s) { return s->now; }

double sim_power_density_limit(const sim_t *s)
{
    return s->opts.power_density_limit > 0.0 ? s->opts.power_density_limit
                                             : SIM_POWER_DENSITY_LIMIT_DEFAULT;
}

double sim_comp_power_density(const sim_comp_t *c)
{
    double area = NAN;
    for (int i = 0; i < c->n_stats; i++)
        if (!strcmp(c->stats[i].name, SIM_STAT_AREA))
            area = c->stats[i].value;
    if (!(area > 0.0) || c->sim->now == 0)
        return NAN;
    return sim_energy_pj(c) / (double)c->sim->now / area; /* pJ/ps = W */
}

size_t sim_power_density_check(const sim_t *s, char *note, size_t n)
{
    double limit = sim_power_density_limit(s), worst = 0.0;
    const sim_comp_t *at = NULL;
    size_t over = 0;
    for (size_t i = 0; i < s->n_comps; i++) {
        double d = sim_comp_power_density(s->comps[i]);
        if (d > limit) {
            over++;
            if (d > worst)
                worst = d, at = s->comps[i];
        }
    }
    if (note && n) {
        if (at)
            snprintf(note, n,
                     "%zu unit%s above the power density limit of %g W/mm^2 "
                     "(power_density_limit); the highest, '%s', averages %.3g W/mm^2 over the run",
                     over, over == 1 ? "" : "s", limit, at->name, worst);
        else
            note[0] = '\0';
    }
    return over;
}
uint64_t sim_seed(const sim_t *s) { return s->opts.seed; }
sim_time_t sim_until_ps(const sim_t *s) { return s->opts.until_ps; }

/* ---- ledger ------------------------------------------------------------------------ */
int sim_stat(sim_comp_t *c, const char *name, sim_stat_kind_t kind, const char *unit)
{
    for (int i = 0; i < c->n_stats; i++)
        if (strcmp(c->stats[i].name, name) == 0)
            return i;
    if (c->n_stats == c->cap_stats) {
        int cap = c->cap_stats ? c->cap_stats * 2 : 8;
        sim_stat_rec_t *a = realloc(c->stats, (size_t)cap * sizeof *a);
        if (!a)
            return -1;
        c->stats = a;
        c->cap_stats = cap;
    }
    sim_stat_rec_t *r = &c->stats[c->n_stats];
    r->name = strdup(name);
    r->unit = strdup(unit ? unit : "");
    r->kind = kind;
    r->value = 0;
    return c->n_stats++;
}

void sim_stat_add(sim_comp_t *c, int h, double v)
{
    if (h >= 0 && h < c->n_stats)
        c->stats[h].value += v;
}
void sim_stat_max(sim_comp_t *c, int h, double v)
{
    if (h >= 0 && h < c->n_stats && v > c->stats[h].value)
        c->stats[h].value = v;
}
double sim_stat_get(const sim_comp_t *c, int h)
{
    return h >= 0 && h < c->n_stats ? c->stats[h].value : 0;
}
void sim_energy(sim_comp_t *c, int h, double pj) { sim_stat_add(c, h, pj); }
void sim_static_power_mw(sim_comp_t *c, double mw) { c->static_mw = mw; }
double sim_static_mw(const sim_comp_t *c) { return c->static_mw; }
void sim_busy(sim_comp_t *c, sim_time_t start_ps, sim_time_t dur_ps)
{
    /* the union of the intervals: an overlap with the previous one counts once */
    sim_time_t end = dur_ps > SIM_TIME_MAX - start_ps ? SIM_TIME_MAX : start_ps + dur_ps;
    if (end <= c->busy_until)
        return;
    sim_time_t begin = start_ps > c->busy_until ? start_ps : c->busy_until;
    c->busy += end - begin;
    c->busy_until = end;
}
sim_time_t sim_busy_ps(const sim_comp_t *c) { return c->busy; }

/* 1 mW over 1 ps is 1e-15 J = 1e-3 pJ */
double sim_static_energy_pj(const sim_comp_t *c) { return c->static_mw * (double)c->sim->now * 1e-3; }

double sim_energy_pj(const sim_comp_t *c)
{
    double e = sim_static_energy_pj(c);
    for (int i = 0; i < c->n_stats; i++)
        if (c->stats[i].kind == SIM_STAT_ENERGY)
            e += c->stats[i].value;
    return e;
}

size_t sim_stat_count(const sim_comp_t *c) { return (size_t)c->n_stats; }
const char *sim_stat_name(const sim_comp_t *c, size_t i) { return c->stats[i].name; }
const char *sim_stat_unit(const sim_comp_t *c, size_t i) { return c->stats[i].unit; }
sim_stat_kind_t sim_stat_kind(const sim_comp_t *c, size_t i) { return c->stats[i].kind; }
double sim_stat_value(const sim_comp_t *c, size_t i) { return c->stats[i].value; }
uint64_t sim_comp_events(const sim_comp_t *c) { return c->events; }
