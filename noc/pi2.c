/* pi^2 router primitives ("When Routers, Switches and Interconnects Compute:
 * A Processing-in-Interconnect Paradigm for Scalable Neuromorphic AI", 2025):
 * each is a model of its own, usable alone, and a neuron is a chain of them
 * wired in the config (docs/pi2.md):
 *   pi2_source   injects a row of values as rail packets (an NI)
 *   pi2_drop     random loss per lane, or per group of lanes (both rails)
 *   pi2_delay    multicast with a programmable delay per (input, output)
 *   pi2_firstk   keeps the K earliest packets of an inference, times out
 *   pi2_shaper   credit-based shaper: releases one packet after K credits
 *   pi2_encoder  turns a layer's firing times into the next layer's rails,
 *                or reads out the class (readout = true)
 * Energy per bit moved and per buffered packet are parameters of each. */
#include "noc/noc_int.h"
#include "num/num.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_SETTLE = 1, K_TIMEOUT, K_INJECT };
/* among events of one time: arrivals (0), then the tie-settling pass, then
 * the timeout, so a packet arriving exactly at the timeout still counts */
enum { PRIO_SETTLE = 200, PRIO_TIMEOUT = 250 };

#define PI2_END                                                                                    \
    {                                                                                              \
        NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL                                                \
    }

static const char *const lanes_in[] = {"in*", NULL}, *const lanes_out[] = {"out*", NULL};
static const char *const one_in[] = {"in", NULL}, *const one_out[] = {"out", NULL};
static const char *const none[] = {NULL};

/* Every primitive pays for the link its packets leave on, per bit. */
#define PI2_LINK_PARAM                                                                             \
    {                                                                                              \
        "link_pj_per_bit", SIM_P_REAL, "0.1", "pJ/bit", 0, 1e6, NULL,                              \
            "energy of the output link per bit sent (1 mm at 0.1 pJ/bit/mm)",                      \
            "Borkar and Chien, The Future of Microprocessors, CACM 2011, fig. 11 (45 nm on-die)"   \
    }

typedef struct link_energy {
    double pj_per_bit;
    int h;
} link_energy_t;

static void link_energy_init(sim_comp_t *c, link_energy_t *le, const sim_params_t *p)
{
    le->pj_per_bit = sim_param_real(p, "link_pj_per_bit");
    le->h = sim_stat(c, "energy.link", SIM_STAT_ENERGY, "pJ");
}

static int send_pkt(sim_comp_t *c, const link_energy_t *le, int port, const noc_pi2_pkt_t *p,
                    sim_time_t extra_ps)
{
    sim_msg_t m = {
        .kind = NOC_MSG_PI2, .bytes = (uint32_t)p->bytes, .data = p, .data_len = sizeof *p};
    sim_energy(c, le->h, le->pj_per_bit * 8.0 * (double)p->bytes);
    return sim_send(c, port, &m, extra_ps);
}

static void get_pkt(const sim_event_t *ev, noc_pi2_pkt_t *p)
{
    memcpy(p, ev->data.bytes, sizeof *p);
}

/* Ports "<prefix><n>" for n < count into idx[n] (-1 when unlinked), and the
 * reverse map port -> n for input ports. */
static int lane_ports(sim_comp_t *c, const char *prefix, int count, int *idx, int *lane_of_port,
                      int need_all)
{
    char name[32];
    for (int n = 0; n < count; n++) {
        snprintf(name, sizeof name, "%s%d", prefix, n);
        idx[n] = sim_port(c, name);
        if (idx[n] < 0 && need_all)
            return sim_comp_fail(c, "port '%s' has no link (%s0..%s%d expected)", name, prefix,
                                 prefix, count - 1);
        if (idx[n] >= 0 && lane_of_port)
            lane_of_port[idx[n]] = n;
    }
    for (int p = 0; p < sim_port_count(c); p++) {
        const char *pn = sim_port_name(c, p);
        if (strncmp(pn, prefix, strlen(prefix)) == 0) {
            char *end;
            long v = strtol(pn + strlen(prefix), &end, 10);
            if (*end || v < 0 || v >= count)
                return sim_comp_fail(c, "port '%s' is outside %s0..%s%d", pn, prefix, prefix,
                                     count - 1);
        }
    }
    return 0;
}

static int *ports_alloc(sim_comp_t *c, int n)
{
    int *p = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!p)
        sim_comp_fail(c, "out of memory");
    for (int i = 0; p && i < n; i++)
        p[i] = -1;
    return p;
}

/* ---- pi2_source ------------------------------------------------------------------ */
typedef struct src {
    link_energy_t le;
    int inputs, *out;
    double offset, ps_per_unit, window;
    sim_time_t res, period, start;
    uint32_t bytes;
    float *x;
    int rows;
    int h_pkts, h_pruned, op_inject;
} src_t;

static const sim_param_def_t src_params[] = {
    {"inputs", SIM_P_INT, "1", "", 1, 65536, NULL, "values per row; lanes out0..out(2*inputs-1)",
     ""},
    {"offset", SIM_P_REAL, "3", "", 0, 1e6, NULL, "c: x travels as max(0, c + x), max(0, c - x)",
     "pi^2 reference code"},
    {"ps_per_unit", SIM_P_REAL, "100", "ps", 1e-3, 1e12, NULL, "time of one value unit", ""},
    {"resolution_ps", SIM_P_INT, "1", "ps", 1, 1e12, NULL, "emission times are multiples of this",
     ""},
    {"period_ps", SIM_P_INT, "10000", "ps", 1, 1e15, NULL, "one row per period", ""},
    {"start_ps", SIM_P_INT, "0", "ps", 0, 1e15, NULL, "window of the first row", ""},
    {"window", SIM_P_REAL, "0", "", 0, 1e9, NULL,
     "rails later than this (value units) are not sent (0: all)", ""},
    {"values", SIM_P_STR, "", "", 0, -1, NULL,
     "rows to inject, ';' between rows, ',' between values (or fed by the caller)", ""},
    {"packet_bytes", SIM_P_INT, "8", "B", 1, 4096, NULL, "size of one spike packet",
     "64-bit header flit"},
    PI2_LINK_PARAM,
    PI2_END,
};

/* Emission offset of a rail in ps on the resolution grid, or -1 when pruned. */
/* Emission offset of a rail in ps, or -1 when pruned. The value is first
 * rounded to the delay grid (half away from zero), then each rail is
 * max(0, c +- x) on that grid, as the analytic model's quantum does. */
static int64_t rail_offset_ps(double value, int rail, double offset, double ps_per_unit,
                              sim_time_t res, double window)
{
    double steps = ps_per_unit / (double)res;
    int64_t xu = llround(value * steps), cu = llround(offset * steps);
    int64_t vu = rail == 0 ? cu + xu : cu - xu;
    vu = vu > 0 ? vu : 0;
    if (window > 0 && (double)vu > window * steps + 1e-6)
        return -1;
    return vu * (int64_t)res;
}

/* "0.2,0.8;1,0.1": rows of `inputs` numbers. */
static int src_parse_values(sim_comp_t *c, src_t *s, const char *text)
{
    size_t rows = 1;
    for (const char *q = text; *q; q++)
        rows += *q == ';';
    s->x = malloc(sizeof(float) * rows * (size_t)s->inputs);
    if (!s->x)
        return sim_comp_fail(c, "out of memory");
    const char *q = text;
    for (size_t r = 0; r < rows; r++) {
        for (int i = 0; i < s->inputs; i++) {
            char *end;
            while (*q == ' ')
                q++;
            double v = strtod(q, &end);
            if (end == q || !isfinite(v))
                return sim_comp_fail(c, "values: row %zu, value %d is not a number", r + 1, i + 1);
            s->x[r * (size_t)s->inputs + (size_t)i] = (float)v;
            q = end;
            while (*q == ' ')
                q++;
            char want = i + 1 < s->inputs ? ',' : (r + 1 < rows ? ';' : 0);
            if (*q != want)
                return sim_comp_fail(c, "values: row %zu has %s than inputs = %d values", r + 1,
                                     i + 1 < s->inputs ? "fewer" : "more", s->inputs);
            if (want)
                q++;
        }
    }
    s->rows = (int)rows;
    return 0;
}

static int src_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    src_t *s = state;
    link_energy_init(c, &s->le, p);
    s->inputs = (int)sim_param_int(p, "inputs");
    s->offset = sim_param_real(p, "offset");
    s->ps_per_unit = sim_param_real(p, "ps_per_unit");
    s->res = (sim_time_t)sim_param_int(p, "resolution_ps");
    s->period = (sim_time_t)sim_param_int(p, "period_ps");
    s->start = (sim_time_t)sim_param_int(p, "start_ps");
    s->window = sim_param_real(p, "window");
    s->bytes = (uint32_t)sim_param_int(p, "packet_bytes");
    if (!(s->out = ports_alloc(c, 2 * s->inputs)))
        return SIM_ERR_NOMEM;
    if (lane_ports(c, "out", 2 * s->inputs, s->out, NULL, 1))
        return SIM_ERR_CONFIG;
    const char *vals = sim_param_str(p, "values");
    if (vals && *vals) {
        if (s->rows > 0)
            return sim_comp_fail(c, "values are both in the config and fed by the caller");
        if (src_parse_values(c, s, vals))
            return SIM_ERR_CONFIG;
    }
    s->h_pkts = sim_stat(c, "packets_sent", SIM_STAT_COUNT, "packets");
    s->h_pruned = sim_stat(c, "rails_pruned", SIM_STAT_COUNT, "packets");
    s->op_inject = sim_trace_op(c, "inject");
    if (s->rows > 0)
        return sim_self_kind(c, s->start, K_INJECT, 0, 0);
    return 0;
}

static void src_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    src_t *s = state;
    if (ev->kind != K_INJECT || ev->port != SIM_PORT_SELF)
        return;
    uint64_t n = ev->data.u64[0];
    const float *x = s->x + n * (uint64_t)s->inputs;
    noc_pi2_pkt_t pk = {.inference = n, .base_ps = sim_comp_now(c), .bytes = s->bytes};
    for (int i = 0; i < s->inputs; i++)
        for (int r = 0; r < 2; r++) {
            int64_t off = rail_offset_ps(x[i], r, s->offset, s->ps_per_unit, s->res, s->window);
            if (off < 0) {
                sim_stat_add(c, s->h_pruned, 1);
                continue;
            }
            pk.tag = (uint64_t)(2 * i + r);
            pk.time_ps = pk.base_ps + (uint64_t)off;
            send_pkt(c, &s->le, s->out[2 * i + r], &pk, (sim_time_t)off);
            sim_stat_add(c, s->h_pkts, 1);
        }
    sim_trace(c, s->op_inject, sim_comp_now(c), 0, 0, 0, n + 1);
    if (n + 1 < (uint64_t)s->rows)
        sim_self_kind(c, s->period, K_INJECT, n + 1, 0);
}

static void src_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    src_t *s = state;
    free(s->out);
    free(s->x);
}

int noc_pi2_source_feed(sim_comp_t *c, const float *x, int rows, int features)
{
    if (strcmp(sim_comp_model(c), "pi2_source") != 0)
        return sim_set_error(sim_of(c), SIM_ERR_CONFIG, "%s is not a pi2_source", sim_comp_name(c));
    src_t *s = sim_comp_state(c);
    int64_t inputs = sim_param_int(sim_comp_params(c), "inputs");
    if (features != inputs || rows < 0)
        return sim_set_error(sim_of(c), SIM_ERR_CONFIG, "%s: rows of %d values fed, inputs = %lld",
                             sim_comp_name(c), features, (long long)inputs);
    free(s->x);
    s->x = malloc(sizeof(float) * (size_t)(rows > 0 ? rows : 1) * (size_t)features);
    if (!s->x)
        return SIM_ERR_NOMEM;
    memcpy(s->x, x, sizeof(float) * (size_t)rows * (size_t)features);
    s->rows = rows;
    return 0;
}

const sim_model_t noc_pi2_source_model = {
    .name = "pi2_source",
    .doc = "pi^2 injector: each row's values as rail packets at max(0, c +- x) (data fed by the "
           "caller)",
    .state_size = sizeof(src_t),
    .params = src_params,
    .init = src_init,
    .handle = src_handle,
    .destroy = src_destroy,
    .in_ports = none,
    .out_ports = lanes_out,
};

/* ---- pi2_drop ---------------------------------------------------------------------- */
typedef struct drp {
    link_energy_t le;
    int lanes, group, *out, *lane_of;
    double p;
    int h_pass, h_drop;
} drp_t;

static const sim_param_def_t drp_params[] = {
    {"lanes", SIM_P_INT, "1", "", 1, 1 << 20, NULL, "in<n> goes to out<n>", ""},
    {"drop", SIM_P_REAL, "0", "", 0, 1, NULL, "probability a packet (or group) is lost", ""},
    {"group", SIM_P_INT, "1", "lanes", 1, 1 << 20, NULL,
     "consecutive lanes sharing one draw per inference (2: both rails of a value)", ""},
    PI2_LINK_PARAM,
    PI2_END,
};

static int drp_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    drp_t *d = state;
    link_energy_init(c, &d->le, p);
    d->lanes = (int)sim_param_int(p, "lanes");
    d->p = sim_param_real(p, "drop");
    d->group = (int)sim_param_int(p, "group");
    d->out = ports_alloc(c, d->lanes);
    d->lane_of = ports_alloc(c, sim_port_count(c));
    if (!d->out || !d->lane_of)
        return SIM_ERR_NOMEM;
    int *in = ports_alloc(c, d->lanes);
    if (!in)
        return SIM_ERR_NOMEM;
    int rc = lane_ports(c, "in", d->lanes, in, d->lane_of, 0) ||
             lane_ports(c, "out", d->lanes, d->out, NULL, 0);
    for (int n = 0; !rc && n < d->lanes; n++)
        if (in[n] >= 0 && d->out[n] < 0)
            rc = sim_comp_fail(c, "lane %d has input in%d but no link on out%d", n, n, n);
    free(in);
    if (rc)
        return SIM_ERR_CONFIG;
    d->h_pass = sim_stat(c, "packets_passed", SIM_STAT_COUNT, "packets");
    d->h_drop = sim_stat(c, "packets_dropped", SIM_STAT_COUNT, "packets");
    return 0;
}

/* The draw for (component, inference, lane group): independent of event order. */
static double lane_draw(sim_comp_t *c, uint64_t inference, uint64_t index)
{
    return num_uniform(sim_seed(sim_of(c)), ((uint64_t)sim_comp_id(c) << 40) ^ inference, index);
}

static void drp_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    drp_t *d = state;
    if (ev->kind != NOC_MSG_PI2 || ev->port >= sim_port_count(c))
        return;
    int lane = d->lane_of[ev->port];
    noc_pi2_pkt_t pk;
    get_pkt(ev, &pk);
    if (d->p > 0 && lane_draw(c, pk.inference, (uint64_t)(lane / d->group)) < d->p) {
        sim_stat_add(c, d->h_drop, 1);
        return;
    }
    sim_stat_add(c, d->h_pass, 1);
    send_pkt(c, &d->le, d->out[lane], &pk, 0);
}

static void drp_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    drp_t *d = state;
    free(d->out);
    free(d->lane_of);
}

const sim_model_t noc_pi2_drop_model = {
    .name = "pi2_drop",
    .doc = "random packet loss per lane (or per group of lanes), counter-based draws per inference",
    .state_size = sizeof(drp_t),
    .params = drp_params,
    .init = drp_init,
    .handle = drp_handle,
    .destroy = drp_destroy,
    .in_ports = lanes_in,
    .out_ports = lanes_out,
};

/* ---- pi2_delay ------------------------------------------------------------------------ */
typedef struct dly {
    link_energy_t le;
    int n_in, n_out, *out, *lane_of;
    int32_t *units; /* n_in x n_out delays in resolution units; -1: not connected */
    sim_time_t res;
    double jitter_ps, drop, buf_pj_bit;
    int h_in, h_rep, h_drop, h_e_buf, op_fwd;
} dly_t;

static const sim_param_def_t dly_params[] = {
    {"inputs", SIM_P_INT, "1", "", 1, 1 << 20, NULL, "input lanes in0..", ""},
    {"outputs", SIM_P_INT, "1", "", 1, 1 << 20, NULL, "output lanes out0..", ""},
    {"resolution_ps", SIM_P_INT, "1", "ps", 1, 1e12, NULL, "ps per delay unit", ""},
    {"delays", SIM_P_STR, "", "units", 0, -1, NULL,
     "inputs x outputs integers, row by input (-1: no connection; empty: all 0)", ""},
    {"jitter_ps", SIM_P_REAL, "0", "ps", 0, 1e12, NULL, "Gaussian sigma added to each replica", ""},
    {"drop", SIM_P_REAL, "0", "", 0, 1, NULL, "probability each replica is lost (per output port)",
     ""},
    {"buffer_pj_per_bit", SIM_P_REAL, "0.3125", "pJ/bit", 0, 1e6, NULL,
     "write and read of the delay buffer, per input bit",
     "Horowitz, Computing's energy problem, ISSCC 2014: 8 KB SRAM 64-bit access 10 pJ (45 nm), "
     "one write and one read"},
    PI2_LINK_PARAM,
    PI2_END,
};

static int dly_parse(sim_comp_t *c, dly_t *d, const char *text)
{
    size_t n = (size_t)d->n_in * (size_t)d->n_out;
    d->units = calloc(n ? n : 1, sizeof(int32_t));
    if (!d->units)
        return sim_comp_fail(c, "out of memory");
    if (!text || !*text)
        return 0;
    const char *s = text;
    for (size_t i = 0; i < n; i++) {
        char *end;
        while (*s == ' ' || *s == ',' || *s == '\n' || *s == '\t')
            s++;
        long v = strtol(s, &end, 10);
        if (end == s || v < -1 || v > 2000000000)
            return sim_comp_fail(c,
                                 "delays: entry %zu (input %zu, output %zu) is not an integer in "
                                 "-1..2e9; %zu entries expected",
                                 i, i / (size_t)d->n_out, i % (size_t)d->n_out, n);
        d->units[i] = (int32_t)v;
        s = end;
    }
    while (*s == ' ' || *s == ',' || *s == '\n' || *s == '\t')
        s++;
    if (*s)
        return sim_comp_fail(c, "delays: more than inputs x outputs = %zu entries", n);
    return 0;
}

static int dly_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    dly_t *d = state;
    link_energy_init(c, &d->le, p);
    d->n_in = (int)sim_param_int(p, "inputs");
    d->n_out = (int)sim_param_int(p, "outputs");
    d->res = (sim_time_t)sim_param_int(p, "resolution_ps");
    d->jitter_ps = sim_param_real(p, "jitter_ps");
    d->drop = sim_param_real(p, "drop");
    d->buf_pj_bit = sim_param_real(p, "buffer_pj_per_bit");
    d->out = ports_alloc(c, d->n_out);
    d->lane_of = ports_alloc(c, sim_port_count(c));
    int *in = ports_alloc(c, d->n_in);
    if (!d->out || !d->lane_of || !in) {
        free(in);
        return SIM_ERR_NOMEM;
    }
    int rc = lane_ports(c, "in", d->n_in, in, d->lane_of, 0) ||
             lane_ports(c, "out", d->n_out, d->out, NULL, 0) ||
             dly_parse(c, d, sim_param_str(p, "delays"));
    for (int i = 0; !rc && i < d->n_in; i++)
        for (int o = 0; !rc && o < d->n_out; o++)
            if (in[i] >= 0 && d->units[(size_t)i * (size_t)d->n_out + (size_t)o] >= 0 &&
                d->out[o] < 0)
                rc =
                    sim_comp_fail(c, "input %d is connected to output %d, which has no link", i, o);
    free(in);
    if (rc)
        return SIM_ERR_CONFIG;
    d->h_in = sim_stat(c, "packets_in", SIM_STAT_COUNT, "packets");
    d->h_rep = sim_stat(c, "replicas_sent", SIM_STAT_COUNT, "packets");
    d->h_drop = sim_stat(c, "replicas_dropped", SIM_STAT_COUNT, "packets");
    d->h_e_buf = sim_stat(c, "energy.delay_buffer", SIM_STAT_ENERGY, "pJ");
    d->op_fwd = sim_trace_op(c, "multicast");
    return 0;
}

static void dly_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    dly_t *d = state;
    if (ev->kind != NOC_MSG_PI2 || ev->port >= sim_port_count(c))
        return;
    int lane = d->lane_of[ev->port];
    noc_pi2_pkt_t pk;
    get_pkt(ev, &pk);
    double bits = 8.0 * (double)pk.bytes;
    sim_stat_add(c, d->h_in, 1);
    sim_energy(c, d->h_e_buf, d->buf_pj_bit * bits);
    const int32_t *row = d->units + (size_t)lane * (size_t)d->n_out;
    int sent = 0;
    for (int o = 0; o < d->n_out; o++) {
        if (row[o] < 0)
            continue;
        uint64_t key = (uint64_t)lane * (uint64_t)d->n_out + (uint64_t)o;
        if (d->drop > 0 && lane_draw(c, pk.inference, 2 * key) < d->drop) {
            sim_stat_add(c, d->h_drop, 1);
            continue;
        }
        int64_t delay = (int64_t)row[o] * (int64_t)d->res;
        if (d->jitter_ps > 0) {
            delay +=
                llround(d->jitter_ps * num_gauss(sim_seed(sim_of(c)),
                                                 ((uint64_t)sim_comp_id(c) << 40) ^ pk.inference,
                                                 2 * key + 1));
            delay = delay > 0 ? delay : 0;
        }
        send_pkt(c, &d->le, d->out[o], &pk, (sim_time_t)delay);
        sent++;
    }
    sim_stat_add(c, d->h_rep, sent);
    sim_trace(c, d->op_fwd, sim_comp_now(c), 0, (uint64_t)sent * pk.bytes, 0, pk.inference + 1);
}

static void dly_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    dly_t *d = state;
    free(d->out);
    free(d->lane_of);
    free(d->units);
}

const sim_model_t noc_pi2_delay_model = {
    .name = "pi2_delay",
    .doc = "multicast router stage: every input packet to each connected output after a "
           "programmed per-(input, output) delay",
    .state_size = sizeof(dly_t),
    .params = dly_params,
    .init = dly_init,
    .handle = dly_handle,
    .destroy = dly_destroy,
    .in_ports = lanes_in,
    .out_ports = lanes_out,
};

/* ---- pi2_firstk -------------------------------------------------------------------------- */
typedef struct fk_pending {
    noc_pi2_pkt_t pk;
} fk_pending_t;

typedef struct fk {
    link_energy_t le;
    int k, out;
    sim_time_t timeout;
    uint64_t cur;
    int have_cur, kept, done;
    sim_timer_t timer;
    fk_pending_t *pend;
    int n_pend, cap_pend;
    sim_time_t settle_at;
    int settle_armed;
    double pj_pkt;
    int h_in, h_kept, h_late, h_stale, h_timeouts, h_pads, h_energy, op_fire;
} fk_t;

static const sim_param_def_t fk_params[] = {
    {"k", SIM_P_INT, "1", "", 1, 1 << 20, NULL, "packets kept per inference", ""},
    {"timeout_ps", SIM_P_INT, "0", "ps", 0, 1e15, NULL,
     "after the inference's window start: later packets are dropped and missing ones padded (0: "
     "none)",
     ""},
    {"energy_pj_per_packet", SIM_P_REAL, "0.1", "pJ", 0, 1e6, NULL,
     "compare a 32-bit arrival time, per packet seen",
     "Horowitz, ISSCC 2014: 32-bit integer add 0.1 pJ (45 nm)"},
    PI2_LINK_PARAM,
    PI2_END,
};

static int fk_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    fk_t *f = state;
    link_energy_init(c, &f->le, p);
    f->k = (int)sim_param_int(p, "k");
    f->timeout = (sim_time_t)sim_param_int(p, "timeout_ps");
    f->pj_pkt = sim_param_real(p, "energy_pj_per_packet");
    if ((f->out = noc_out_port(c, "out", "")) < 0)
        return f->out;
    f->h_in = sim_stat(c, "packets_in", SIM_STAT_COUNT, "packets");
    f->h_kept = sim_stat(c, "packets_kept", SIM_STAT_COUNT, "packets");
    f->h_late = sim_stat(c, "packets_late", SIM_STAT_COUNT, "packets");
    f->h_stale = sim_stat(c, "packets_stale", SIM_STAT_COUNT, "packets");
    f->h_timeouts = sim_stat(c, "timeouts", SIM_STAT_COUNT, "inferences");
    f->h_pads = sim_stat(c, "pads_sent", SIM_STAT_COUNT, "packets");
    f->h_energy = sim_stat(c, "energy.select", SIM_STAT_ENERGY, "pJ");
    f->op_fire = sim_trace_op(c, "first_k");
    return 0;
}

static int tag_cmp(const void *a, const void *b)
{
    uint64_t x = ((const fk_pending_t *)a)->pk.tag, y = ((const fk_pending_t *)b)->pk.tag;
    return x < y ? -1 : x > y;
}

/* All packets of this instant are in: keep the earliest by the tie rule. */
static void fk_settle(sim_comp_t *c, fk_t *f)
{
    f->settle_armed = 0;
    qsort(f->pend, (size_t)f->n_pend, sizeof *f->pend, tag_cmp);
    for (int i = 0; i < f->n_pend; i++) {
        if (f->done || f->kept >= f->k) {
            sim_stat_add(c, f->h_late, 1);
            continue;
        }
        noc_pi2_pkt_t pk = f->pend[i].pk;
        pk.time_ps = sim_comp_now(c);
        pk.flags = 0;
        send_pkt(c, &f->le, f->out, &pk, 0);
        f->kept++;
        sim_stat_add(c, f->h_kept, 1);
    }
    f->n_pend = 0;
    if (!f->done && f->kept >= f->k) {
        f->done = 1;
        sim_timer_cancel(&f->timer);
        sim_trace(c, f->op_fire, sim_comp_now(c), 0, 0, 0, f->cur + 1);
    }
}

static void fk_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    fk_t *f = state;
    if (ev->port == SIM_PORT_SELF) {
        if (ev->kind == K_SETTLE) {
            fk_settle(c, f);
        } else if (ev->kind == K_TIMEOUT && sim_timer_fired(&f->timer, ev) && !f->done) {
            /* fewer than K arrived by the timeout: the missing ones count as
             * arriving now (credits for the shaper) */
            sim_stat_add(c, f->h_timeouts, 1);
            noc_pi2_pkt_t pk = {.inference = f->cur,
                                .flags = NOC_PI2_PAD,
                                .time_ps = sim_comp_now(c),
                                .bytes = 8,
                                .base_ps = f->timer.at - f->timeout};
            for (; f->kept < f->k; f->kept++) {
                pk.tag = UINT64_MAX;
                send_pkt(c, &f->le, f->out, &pk, 0);
                sim_stat_add(c, f->h_pads, 1);
            }
            f->done = 1;
        }
        return;
    }
    if (ev->kind != NOC_MSG_PI2)
        return;
    noc_pi2_pkt_t pk;
    get_pkt(ev, &pk);
    sim_stat_add(c, f->h_in, 1);
    sim_energy(c, f->h_energy, f->pj_pkt);
    if (f->have_cur && pk.inference < f->cur) {
        sim_stat_add(c, f->h_stale, 1);
        return;
    }
    if (!f->have_cur || pk.inference > f->cur) { /* a newer inference supersedes */
        if (f->have_cur && f->n_pend)
            sim_stat_add(c, f->h_stale, f->n_pend);
        f->have_cur = 1;
        f->cur = pk.inference;
        f->kept = 0;
        f->done = 0;
        f->n_pend = 0;
        if (f->timeout)
            sim_timer_arm(c, &f->timer, pk.base_ps + f->timeout, K_TIMEOUT, PRIO_TIMEOUT, 0);
        else
            sim_timer_cancel(&f->timer);
    }
    if (f->done) {
        sim_stat_add(c, f->h_late, 1);
        return;
    }
    if (f->n_pend == f->cap_pend) {
        int cap = f->cap_pend ? 2 * f->cap_pend : 16;
        fk_pending_t *q = realloc(f->pend, sizeof *q * (size_t)cap);
        if (!q) {
            sim_comp_fail(c, "out of memory");
            return;
        }
        f->pend = q;
        f->cap_pend = cap;
    }
    f->pend[f->n_pend++].pk = pk;
    if (!f->settle_armed || f->settle_at != sim_comp_now(c)) {
        sim_msg_t m = {.kind = K_SETTLE, .prio = PRIO_SETTLE};
        sim_self(c, 0, &m);
        f->settle_armed = 1;
        f->settle_at = sim_comp_now(c);
    }
}

static void fk_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    free(((fk_t *)state)->pend);
}

const sim_model_t noc_pi2_firstk_model = {
    .name = "pi2_firstk",
    .doc = "keeps the K earliest packets of each inference (ties: lower source lane first), "
           "drops later ones, pads at the timeout",
    .state_size = sizeof(fk_t),
    .params = fk_params,
    .init = fk_init,
    .handle = fk_handle,
    .destroy = fk_destroy,
    .in_ports = one_in,
    .out_ports = one_out,
};

/* ---- pi2_shaper ---------------------------------------------------------------------------- */
typedef struct shp {
    link_energy_t le;
    int k, out;
    sim_time_t hold;
    uint64_t cur, sum_ps, base;
    int have_cur, credits;
    double pj_credit;
    int h_rel, h_late, h_extra, h_energy, op_rel;
} shp_t;

static const sim_param_def_t shp_params[] = {
    {"k", SIM_P_INT, "1", "credits", 1, 1 << 20, NULL, "credits (packets) that release one packet",
     ""},
    {"hold_ps", SIM_P_INT, "0", "ps", 0, 1e15, NULL,
     "credit threshold per packet: release when sum(now - t_i) reaches k * hold", ""},
    {"energy_pj_per_credit", SIM_P_REAL, "0.13", "pJ", 0, 1e6, NULL,
     "add the arrival time to a 32-bit sum and count the credit",
     "Horowitz, ISSCC 2014: 32-bit add 0.1 pJ + 8-bit add 0.03 pJ (45 nm)"},
    PI2_LINK_PARAM,
    PI2_END,
};

static int shp_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    shp_t *s = state;
    link_energy_init(c, &s->le, p);
    s->k = (int)sim_param_int(p, "k");
    s->hold = (sim_time_t)sim_param_int(p, "hold_ps");
    s->pj_credit = sim_param_real(p, "energy_pj_per_credit");
    if ((s->out = noc_out_port(c, "out", "")) < 0)
        return s->out;
    s->h_rel = sim_stat(c, "releases", SIM_STAT_COUNT, "packets");
    s->h_late = sim_stat(c, "late_releases", SIM_STAT_COUNT, "packets");
    s->h_extra = sim_stat(c, "credits_ignored", SIM_STAT_COUNT, "packets");
    s->h_energy = sim_stat(c, "energy.shaper", SIM_STAT_ENERGY, "pJ");
    s->op_rel = sim_trace_op(c, "release");
    return 0;
}

static void shp_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    shp_t *s = state;
    if (ev->kind != NOC_MSG_PI2 || ev->port == SIM_PORT_SELF)
        return;
    noc_pi2_pkt_t pk;
    get_pkt(ev, &pk);
    if (!s->have_cur || pk.inference != s->cur) {
        if (s->have_cur && pk.inference < s->cur) {
            sim_stat_add(c, s->h_extra, 1);
            return;
        }
        s->have_cur = 1;
        s->cur = pk.inference;
        s->credits = 0;
        s->sum_ps = 0;
        s->base = pk.base_ps;
    }
    if (s->credits >= s->k) {
        sim_stat_add(c, s->h_extra, 1);
        return;
    }
    sim_energy(c, s->h_energy, s->pj_credit);
    s->credits++;
    s->sum_ps += sim_comp_now(c);
    if (s->credits < s->k)
        return;
    /* each waiting credit grows at slope 1 from its arrival: the total reaches
     * k * hold at mean(t_i) + hold (rounded up to the ps) */
    sim_time_t release = (s->sum_ps + (uint64_t)s->k - 1) / (uint64_t)s->k + s->hold;
    sim_time_t now = sim_comp_now(c);
    if (release < now) {
        sim_stat_add(c, s->h_late, 1);
        release = now;
    }
    noc_pi2_pkt_t out = {
        .inference = s->cur, .tag = 0, .base_ps = s->base, .time_ps = release, .bytes = pk.bytes};
    send_pkt(c, &s->le, s->out, &out, release - now);
    sim_stat_add(c, s->h_rel, 1);
    sim_trace(c, s->op_rel, release, 0, 0, 0, s->cur + 1);
}

const sim_model_t noc_pi2_shaper_model = {
    .name = "pi2_shaper",
    .doc = "credit-based shaper: after k credits releases one packet at mean(arrivals) + hold",
    .state_size = sizeof(shp_t),
    .params = shp_params,
    .init = shp_init,
    .handle = shp_handle,
    .in_ports = one_in,
    .out_ports = one_out,
};

/* ---- pi2_encoder ----------------------------------------------------------------------------- */
typedef struct enc {
    link_energy_t le;
    int units, readout, relu, *in_lane, *out;
    double scale, offset, ps_per_unit, window, jitter, pj_out;
    sim_time_t res, period;
    uint32_t bytes;
    uint64_t cur;
    int have_cur, fired;
    int64_t *t; /* 2*units firing times of the current inference (-1: not yet) */
    double *y;
    uint64_t base;
    /* readout: per inference, class and firing times relative to its window */
    noc_pi2_result_t *res_v;
    uint64_t n_res, cap_res;
    int h_pkts, h_late, h_incomplete, h_pruned, h_energy, op_dec, h_rows, h_cls;
    int h_y[16]; /* readout with <= 16 units: y of the last row, for prism run */
} enc_t;

static const sim_param_def_t enc_params[] = {
    {"units", SIM_P_INT, "1", "", 1, 1 << 20, NULL, "outputs j: inputs in(2j) '+' and in(2j+1) '-'",
     ""},
    {"scale", SIM_P_REAL, "10", "", 0, 1e6, NULL, "s in y = -s (z+ - z-)", "pi^2 reference code"},
    {"offset", SIM_P_REAL, "3", "", 0, 1e6, NULL, "c of the next layer's rails",
     "pi^2 reference code"},
    {"ps_per_unit", SIM_P_REAL, "100", "ps", 1e-3, 1e12, NULL, "time of one value unit", ""},
    {"resolution_ps", SIM_P_INT, "1", "ps", 1, 1e12, NULL, "emission times are multiples of this",
     ""},
    {"period_ps", SIM_P_INT, "10000", "ps", 1, 1e15, NULL,
     "next layer's window = this one's + period", ""},
    {"relu", SIM_P_BOOL, "true", "", 0, 0, NULL, "pass max(0, y)", ""},
    {"readout", SIM_P_BOOL, "false", "", 0, 0, NULL, "output layer: record y and the class", ""},
    {"window", SIM_P_REAL, "0", "", 0, 1e9, NULL,
     "rails later than this (value units) are not sent (0: all)", ""},
    {"jitter", SIM_P_REAL, "0", "", 0, 1e6, NULL, "Gaussian sigma added to each y (value units)",
     ""},
    {"packet_bytes", SIM_P_INT, "8", "B", 1, 4096, NULL, "size of one spike packet",
     "64-bit header flit"},
    {"energy_pj_per_output", SIM_P_REAL, "3.2", "pJ", 0, 1e6, NULL,
     "y = -s (t+ - t-): one 32-bit subtract and one 32-bit multiply per output",
     "Horowitz, ISSCC 2014: 32-bit add 0.1 pJ, 32-bit multiply 3.1 pJ (45 nm)"},
    PI2_LINK_PARAM,
    PI2_END,
};

static int enc_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    enc_t *e = state;
    link_energy_init(c, &e->le, p);
    e->units = (int)sim_param_int(p, "units");
    e->scale = sim_param_real(p, "scale");
    e->offset = sim_param_real(p, "offset");
    e->ps_per_unit = sim_param_real(p, "ps_per_unit");
    e->res = (sim_time_t)sim_param_int(p, "resolution_ps");
    e->period = (sim_time_t)sim_param_int(p, "period_ps");
    e->relu = sim_param_bool(p, "relu");
    e->readout = sim_param_bool(p, "readout");
    e->window = sim_param_real(p, "window");
    e->jitter = sim_param_real(p, "jitter");
    e->bytes = (uint32_t)sim_param_int(p, "packet_bytes");
    e->pj_out = sim_param_real(p, "energy_pj_per_output");
    int *in = ports_alloc(c, 2 * e->units);
    e->in_lane = ports_alloc(c, sim_port_count(c));
    e->out = ports_alloc(c, 2 * e->units);
    e->t = malloc(sizeof(int64_t) * 2 * (size_t)e->units);
    e->y = malloc(sizeof(double) * (size_t)e->units);
    if (!in || !e->in_lane || !e->out || !e->t || !e->y) {
        free(in);
        return sim_comp_fail(c, "out of memory");
    }
    int rc = lane_ports(c, "in", 2 * e->units, in, e->in_lane, 1) ||
             (!e->readout && lane_ports(c, "out", 2 * e->units, e->out, NULL, 1));
    free(in);
    if (rc)
        return SIM_ERR_CONFIG;
    e->h_pkts = sim_stat(c, "packets_sent", SIM_STAT_COUNT, "packets");
    e->h_late = sim_stat(c, "late_emissions", SIM_STAT_COUNT, "packets");
    e->h_incomplete = sim_stat(c, "incomplete_inferences", SIM_STAT_COUNT, "inferences");
    e->h_pruned = sim_stat(c, "rails_pruned", SIM_STAT_COUNT, "packets");
    e->h_energy = sim_stat(c, "energy.encode", SIM_STAT_ENERGY, "pJ");
    e->op_dec = sim_trace_op(c, e->readout ? "classify" : "encode");
    if (e->readout) {
        e->h_rows = sim_stat(c, "rows_classified", SIM_STAT_COUNT, "rows");
        e->h_cls = sim_stat(c, "last_class", SIM_STAT_VALUE, "");
        for (int j = 0; j < e->units && j < 16; j++) {
            char nm[32];
            snprintf(nm, sizeof nm, "last_y%d", j);
            e->h_y[j] = sim_stat(c, nm, SIM_STAT_VALUE, "");
        }
    }
    return 0;
}

static void enc_reset(sim_comp_t *c, enc_t *e, const noc_pi2_pkt_t *pk)
{
    if (e->have_cur && e->fired < e->units)
        sim_stat_add(c, e->h_incomplete, 1);
    e->have_cur = 1;
    e->cur = pk->inference;
    e->base = pk->base_ps;
    e->fired = 0;
    for (int i = 0; i < 2 * e->units; i++)
        e->t[i] = -1;
}

static void enc_record(sim_comp_t *c, enc_t *e)
{
    if (e->n_res == e->cap_res) {
        uint64_t cap = e->cap_res ? 2 * e->cap_res : 64;
        noc_pi2_result_t *q = realloc(e->res_v, sizeof *q * cap);
        if (!q) {
            sim_comp_fail(c, "out of memory");
            return;
        }
        e->res_v = q;
        e->cap_res = cap;
    }
    noc_pi2_result_t *r = &e->res_v[e->n_res++];
    memset(r, 0, sizeof *r);
    r->inference = e->cur;
    r->window_ps = e->base;
    r->decided_ps = sim_comp_now(c);
    int best = 0;
    for (int j = 1; j < e->units; j++)
        if (e->y[j] > e->y[best])
            best = j;
    r->cls = best;
    /* value stats keep a maximum; set them by adding the difference */
    sim_stat_add(c, e->h_rows, 1);
    sim_stat_add(c, e->h_cls, best - sim_stat_get(c, e->h_cls));
    for (int j = 0; j < e->units && j < 16; j++)
        sim_stat_add(c, e->h_y[j], e->y[j] - sim_stat_get(c, e->h_y[j]));
    r->units = e->units;
    r->y = malloc(sizeof(double) * (size_t)e->units);
    r->t_ps = malloc(sizeof(int64_t) * 2 * (size_t)e->units);
    if (!r->y || !r->t_ps) {
        sim_comp_fail(c, "out of memory");
        return;
    }
    memcpy(r->y, e->y, sizeof(double) * (size_t)e->units);
    for (int i = 0; i < 2 * e->units; i++)
        r->t_ps[i] = e->t[i] - (int64_t)e->base;
    sim_trace(c, e->op_dec, sim_comp_now(c), 0, 0, 0, e->cur + 1);
}

static void enc_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    enc_t *e = state;
    if (ev->kind != NOC_MSG_PI2 || ev->port >= sim_port_count(c))
        return;
    noc_pi2_pkt_t pk;
    get_pkt(ev, &pk);
    if (e->have_cur && pk.inference < e->cur)
        return;
    if (!e->have_cur || pk.inference > e->cur)
        enc_reset(c, e, &pk);
    int lane = e->in_lane[ev->port], j = lane / 2;
    if (e->t[lane] >= 0)
        return; /* one firing per unit and inference */
    e->t[lane] = (int64_t)sim_comp_now(c);
    if (e->t[lane ^ 1] < 0)
        return;
    double y = -e->scale * (double)(e->t[2 * j] - e->t[2 * j + 1]) / e->ps_per_unit;
    if (e->jitter > 0)
        y += e->jitter *
             num_gauss(sim_seed(sim_of(c)), ((uint64_t)sim_comp_id(c) << 40) ^ e->cur, (uint64_t)j);
    if (e->relu && y < 0)
        y = 0;
    e->y[j] = y;
    e->fired++;
    sim_energy(c, e->h_energy, e->pj_out);
    if (e->readout) {
        if (e->fired == e->units)
            enc_record(c, e);
        return;
    }
    sim_time_t now = sim_comp_now(c), next = (sim_time_t)e->base + e->period;
    noc_pi2_pkt_t out = {.inference = e->cur, .base_ps = next, .bytes = e->bytes};
    for (int r = 0; r < 2; r++) {
        int64_t off = rail_offset_ps(y, r, e->offset, e->ps_per_unit, e->res, e->window);
        if (off < 0) {
            sim_stat_add(c, e->h_pruned, 1);
            continue;
        }
        sim_time_t at = next + (sim_time_t)off;
        if (at < now) {
            sim_stat_add(c, e->h_late, 1);
            at = now;
        }
        out.tag = (uint64_t)(2 * j + r);
        out.time_ps = at;
        send_pkt(c, &e->le, e->out[2 * j + r], &out, at - now);
        sim_stat_add(c, e->h_pkts, 1);
    }
}

static void enc_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    enc_t *e = state;
    for (uint64_t i = 0; i < e->n_res; i++) {
        free(e->res_v[i].y);
        free(e->res_v[i].t_ps);
    }
    free(e->res_v);
    free(e->in_lane);
    free(e->out);
    free(e->t);
    free(e->y);
}

size_t noc_pi2_results(sim_comp_t *c, const noc_pi2_result_t **out)
{
    if (strcmp(sim_comp_model(c), "pi2_encoder") != 0) {
        *out = NULL;
        return 0;
    }
    enc_t *e = sim_comp_state(c);
    *out = e->res_v;
    return (size_t)e->n_res;
}

const sim_model_t noc_pi2_encoder_model = {
    .name = "pi2_encoder",
    .doc = "a layer's output: y = -s (t+ - t-), ReLU, re-sent as the next layer's rails; or the "
           "class readout",
    .state_size = sizeof(enc_t),
    .params = enc_params,
    .init = enc_init,
    .handle = enc_handle,
    .destroy = enc_destroy,
    .in_ports = lanes_in,
    .out_ports = lanes_out,
};

/* ---- pi2_ni_tx / pi2_ni_rx: rails over a network of issue 7 ---------------------------
 * The sender's rail packets become messages to a noc_terminal (NOC_MSG_SEND);
 * the tag carries (inference, lane, offset in the window in resolution units).
 * At the destination the receiver re-times each rail to its intended time plus
 * a fixed budget (a playout deadline), so network latency and contention do
 * not change the value a rail stands for as long as it arrives in budget. */
#define NI_INF_BITS 20
#define NI_LANE_BITS 20
#define NI_OFF_BITS 24

typedef struct nitx {
    link_energy_t le;
    int lanes, out, *lane_of;
    uint32_t dest;
    sim_time_t res;
    int h_sent;
} nitx_t;

static const sim_param_def_t nitx_params[] = {
    {"lanes", SIM_P_INT, "1", "", 1, 1 << NI_LANE_BITS, NULL, "input lanes in0..", ""},
    {"dest", SIM_P_INT, "0", "", 0, 16777215, NULL, "node id of the receiving terminal", ""},
    {"resolution_ps", SIM_P_INT, "1", "ps", 1, 1e12, NULL, "grid of the offsets carried", ""},
    PI2_LINK_PARAM,
    PI2_END,
};

static int nitx_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    nitx_t *t = state;
    link_energy_init(c, &t->le, p);
    t->lanes = (int)sim_param_int(p, "lanes");
    t->dest = (uint32_t)sim_param_int(p, "dest");
    t->res = (sim_time_t)sim_param_int(p, "resolution_ps");
    if ((t->out = noc_out_port(c, "out", " (to a noc_terminal)")) < 0)
        return t->out;
    int *in = ports_alloc(c, t->lanes);
    t->lane_of = ports_alloc(c, sim_port_count(c));
    if (!in || !t->lane_of) {
        free(in);
        return SIM_ERR_NOMEM;
    }
    int rc = lane_ports(c, "in", t->lanes, in, t->lane_of, 0);
    free(in);
    if (rc)
        return SIM_ERR_CONFIG;
    t->h_sent = sim_stat(c, "messages_sent", SIM_STAT_COUNT, "messages");
    return 0;
}

static void nitx_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    nitx_t *t = state;
    if (ev->kind != NOC_MSG_PI2 || ev->port >= sim_port_count(c))
        return;
    noc_pi2_pkt_t pk;
    get_pkt(ev, &pk);
    uint64_t lane = (uint64_t)t->lane_of[ev->port];
    uint64_t off = (pk.time_ps - pk.base_ps) / t->res;
    if (pk.inference >> NI_INF_BITS || off >> NI_OFF_BITS) {
        sim_comp_fail(c, "inference %llu or window offset %llu units does not fit the tag",
                      (unsigned long long)pk.inference, (unsigned long long)off);
        return;
    }
    noc_send_t rq = {.dest = t->dest,
                     .bytes = pk.bytes,
                     .tag =
                         pk.inference << (NI_LANE_BITS + NI_OFF_BITS) | lane << NI_OFF_BITS | off};
    sim_msg_t m = {
        .kind = NOC_MSG_SEND, .bytes = (uint32_t)pk.bytes, .data = &rq, .data_len = sizeof rq};
    sim_energy(c, t->le.h, t->le.pj_per_bit * 8.0 * (double)pk.bytes);
    sim_send(c, t->out, &m, 0);
    sim_stat_add(c, t->h_sent, 1);
}

static void nitx_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    free(((nitx_t *)state)->lane_of);
}

const sim_model_t noc_pi2_ni_tx_model = {
    .name = "pi2_ni_tx",
    .doc = "rail packets to a noc_terminal as messages (inference, lane, offset in the tag)",
    .state_size = sizeof(nitx_t),
    .params = nitx_params,
    .init = nitx_init,
    .handle = nitx_handle,
    .destroy = nitx_destroy,
    .in_ports = lanes_in,
    .out_ports = one_out,
};

typedef struct nirx {
    link_energy_t le;
    int lanes, *out, layer;
    sim_time_t res, budget, period, start;
    uint32_t bytes;
    int h_recv, h_late, h_lat_max;
} nirx_t;

static const sim_param_def_t nirx_params[] = {
    {"lanes", SIM_P_INT, "1", "", 1, 1 << NI_LANE_BITS, NULL, "output lanes out0..", ""},
    {"budget_ps", SIM_P_INT, "0", "ps", 0, 1e15, NULL,
     "a rail is released at its intended time + budget (network latency allowance)", ""},
    {"period_ps", SIM_P_INT, "10000", "ps", 1, 1e15, NULL, "window length", ""},
    {"start_ps", SIM_P_INT, "0", "ps", 0, 1e15, NULL, "window of inference 0 at layer 0", ""},
    {"layer", SIM_P_INT, "0", "", 0, 64, NULL, "the layer these rails enter", ""},
    {"resolution_ps", SIM_P_INT, "1", "ps", 1, 1e12, NULL, "grid of the offsets carried", ""},
    {"packet_bytes", SIM_P_INT, "8", "B", 1, 4096, NULL, "size of one spike packet",
     "64-bit header flit"},
    PI2_LINK_PARAM,
    PI2_END,
};

static int nirx_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    nirx_t *r = state;
    link_energy_init(c, &r->le, p);
    r->lanes = (int)sim_param_int(p, "lanes");
    r->budget = (sim_time_t)sim_param_int(p, "budget_ps");
    r->period = (sim_time_t)sim_param_int(p, "period_ps");
    r->start = (sim_time_t)sim_param_int(p, "start_ps");
    r->layer = (int)sim_param_int(p, "layer");
    r->res = (sim_time_t)sim_param_int(p, "resolution_ps");
    r->bytes = (uint32_t)sim_param_int(p, "packet_bytes");
    if (!(r->out = ports_alloc(c, r->lanes)))
        return SIM_ERR_NOMEM;
    if (lane_ports(c, "out", r->lanes, r->out, NULL, 1))
        return SIM_ERR_CONFIG;
    r->h_recv = sim_stat(c, "messages_received", SIM_STAT_COUNT, "messages");
    r->h_late = sim_stat(c, "late_rails", SIM_STAT_COUNT, "packets");
    r->h_lat_max = sim_stat(c, "max_network_delay_ps", SIM_STAT_VALUE, "ps");
    return 0;
}

static void nirx_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    nirx_t *r = state;
    if (ev->kind != NOC_MSG_DELIVERED)
        return;
    noc_delivered_t d;
    memcpy(&d, sim_event_payload(ev), sizeof d);
    uint64_t inf = d.tag >> (NI_LANE_BITS + NI_OFF_BITS);
    int lane = (int)(d.tag >> NI_OFF_BITS & ((1u << NI_LANE_BITS) - 1));
    uint64_t off = d.tag & ((1u << NI_OFF_BITS) - 1);
    if (lane >= r->lanes) {
        sim_comp_fail(c, "message for lane %d; this receiver has %d", lane, r->lanes);
        return;
    }
    sim_time_t now = sim_comp_now(c), base = r->start + (inf + (uint64_t)r->layer) * r->period;
    sim_time_t intended = base + off * r->res, release = intended + r->budget;
    sim_stat_add(c, r->h_recv, 1);
    sim_stat_max(c, r->h_lat_max, (double)(now - intended));
    if (release < now) {
        sim_stat_add(c, r->h_late, 1);
        release = now;
    }
    noc_pi2_pkt_t pk = {.inference = inf,
                        .tag = (uint64_t)lane,
                        .base_ps = base,
                        .time_ps = intended,
                        .bytes = r->bytes};
    send_pkt(c, &r->le, r->out[lane], &pk, release - now);
}

static void nirx_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    free(((nirx_t *)state)->out);
}

const sim_model_t noc_pi2_ni_rx_model = {
    .name = "pi2_ni_rx",
    .doc = "rails from a noc_terminal, re-timed to their intended time + a budget",
    .state_size = sizeof(nirx_t),
    .params = nirx_params,
    .init = nirx_init,
    .handle = nirx_handle,
    .destroy = nirx_destroy,
    .in_ports = one_in,
    .out_ports = lanes_out,
};

void noc_pi2_register(void)
{
    sim_model_register(&noc_pi2_source_model);
    sim_model_register(&noc_pi2_drop_model);
    sim_model_register(&noc_pi2_delay_model);
    sim_model_register(&noc_pi2_firstk_model);
    sim_model_register(&noc_pi2_shaper_model);
    sim_model_register(&noc_pi2_encoder_model);
    sim_model_register(&noc_pi2_ni_tx_model);
    sim_model_register(&noc_pi2_ni_rx_model);
}
