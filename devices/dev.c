/* Device-family common code: request/completion payloads, op and function
 * names, the FIFO occupancy model of a clocked pipelined unit and the per-op
 * bookkeeping (ledger, busy time, trace row, completion) every device shares. */
#include "devices/dev_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- payloads ---------------------------------------------------------------- */
void dev_req_from_event(const sim_event_t *ev, dev_req_t *out)
{
    memcpy(out, ev->data.bytes, sizeof *out);
}

int dev_complete_op(sim_comp_t *c, int port, const dev_req_t *req, uint64_t op_id,
                    uint64_t cycles, sim_time_t latency_ps, double energy_pj, uint64_t bytes)
{
    if (port < 0)
        return sim_comp_fail(c, "no link leaves port 'out' to send the completion of request %u",
                             (unsigned)req->tag);
    dev_done_t done;
    memset(&done, 0, sizeof done);
    done.tag = req->tag;
    done.status = 0;
    done.cycles = cycles;
    done.latency_ps = latency_ps;
    done.energy_pj = energy_pj;
    done.bytes = bytes;
    sim_msg_t m;
    memset(&m, 0, sizeof m);
    m.kind = DEV_MSG_DONE;
    m.bytes = (uint32_t)sizeof done;
    m.op_id = op_id;
    m.data = &done;
    m.data_len = sizeof done;
    return sim_send(c, port, &m, latency_ps);
}

int dev_complete(sim_comp_t *c, int port, const dev_req_t *req, uint64_t cycles,
                 sim_time_t latency_ps, double energy_pj, uint64_t bytes)
{
    return dev_complete_op(c, port, req, 0, cycles, latency_ps, energy_pj, bytes);
}

/* ---- cost queries --------------------------------------------------------------- */
int dev_cost(sim_comp_t *c, const dev_req_t *req, dev_cost_t *out, char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    const sim_model_t *m = c ? sim_model_find(sim_comp_model(c)) : NULL;
    const dev_ext_t *x = m ? m->ext : NULL;
    if (!x || !x->cost) {
        snprintf(err, n, "component '%s' (%s) answers no cost queries",
                 c ? sim_comp_name(c) : "?", c ? sim_comp_model(c) : "?");
        return SIM_ERR_CONFIG;
    }
    if (x->cost(c, sim_comp_state(c), req, out)) {
        snprintf(err, n, "%s '%s' cannot do %s (m=%llu k=%llu n=%llu)", sim_comp_model(c),
                 sim_comp_name(c), dev_op_name(req->kind), (unsigned long long)req->m,
                 (unsigned long long)req->k, (unsigned long long)req->n);
        return SIM_ERR_CONFIG;
    }
    if (out->cycles < out->issue_cycles)
        out->cycles = out->issue_cycles;
    if (!dev_cycles_fit(out->cycles, sim_comp_period_ps(c), 0)) {
        snprintf(err, n, "%s '%s' %s (m=%llu k=%llu n=%llu): %llu cycles overflow the clock",
                 sim_comp_model(c), sim_comp_name(c), dev_op_name(req->kind),
                 (unsigned long long)req->m, (unsigned long long)req->k,
                 (unsigned long long)req->n, (unsigned long long)out->cycles);
        return SIM_ERR_CONFIG;
    }
    out->latency_ps = (sim_time_t)out->cycles * sim_comp_period_ps(c);
    return 0;
}

/* ---- silicon area ---------------------------------------------------------------- */
int dev_area(const sim_comp_t *c, dev_area_t *out, char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    const sim_model_t *m = c ? sim_model_find(sim_comp_model(c)) : NULL;
    const dev_ext_t *x = m ? dev_model_ext(m) : NULL;
    if (!x || !x->area) {
        snprintf(err, n, "component '%s' (%s) is not a device with an area model",
                 c ? sim_comp_name(c) : "?", c ? sim_comp_model(c) : "?");
        return SIM_ERR_CONFIG;
    }
    char msg[256] = "";
    int rc = x->area(sim_comp_params(c), out, msg, sizeof msg);
    if (!rc && !(out->um2 >= 0.0 && out->um2 < 1e300 && out->offdie_um2 >= 0.0 &&
                 out->offdie_um2 < 1e300)) {
        snprintf(msg, sizeof msg, "area is not a finite non-negative number");
        rc = SIM_ERR_CONFIG;
    }
    if (!rc && sim_params_undeclared(sim_comp_params(c))) {
        snprintf(msg, sizeof msg,
                 "the area model looked up parameter '%s', which the model does not declare",
                 sim_params_undeclared(sim_comp_params(c)));
        rc = SIM_ERR_MODEL;
    }
    if (rc) {
        snprintf(err, n, "%s '%s': %s", sim_comp_model(c), sim_comp_name(c), msg);
        memset(out, 0, sizeof *out);
        return SIM_ERR_CONFIG;
    }
    return 0;
}

void dev_chip_area_free(dev_chip_area_t *a)
{
    free(a->area);
    free(a->device);
    memset(a, 0, sizeof *a);
}

int dev_chip_area(sim_t *s, dev_chip_area_t *out, char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    out->n = sim_comp_count(s);
    out->area = calloc(out->n ? out->n : 1, sizeof *out->area);
    out->device = calloc(out->n ? out->n : 1, sizeof *out->device);
    if (!out->area || !out->device) {
        dev_chip_area_free(out);
        snprintf(err, n, "out of memory");
        return 1;
    }
    for (size_t i = 0; i < out->n; i++) {
        const sim_comp_t *c = sim_comp_at(s, i);
        if (!dev_model_has_area(sim_comp_model(c)))
            continue; /* drivers and other non-devices hold no silicon of their own */
        if (dev_area(c, &out->area[i], err, n)) {
            dev_chip_area_free(out);
            return 1;
        }
        const dev_desc_t *d = dev_desc_of(sim_comp_model(c));
        int cat = d ? (int)d->category : DEV_CAT_OTHER;
        out->device[i] = 1;
        out->die_um2 += out->area[i].um2;
        out->offdie_um2 += out->area[i].offdie_um2;
        out->cat_um2[cat] += out->area[i].um2;
        out->cat_offdie_um2[cat] += out->area[i].offdie_um2;
    }
    return 0;
}

int dev_model_has_area(const char *name)
{
    const sim_model_t *m = name ? sim_model_find(name) : NULL;
    const dev_ext_t *x = m ? dev_model_ext(m) : NULL;
    return x && x->area;
}

void dev_area_part(dev_area_t *a, const char *name, double um2)
{
    a->um2 += um2;
    for (size_t i = 0; i < a->nparts; i++)
        if (strcmp(a->part[i].name, name) == 0) {
            a->part[i].um2 += um2;
            return;
        }
    if (a->nparts < DEV_AREA_PARTS) {
        a->part[a->nparts].name = name;
        a->part[a->nparts++].um2 = um2;
    } else {
        a->part[DEV_AREA_PARTS - 1].name = "other";
        a->part[DEV_AREA_PARTS - 1].um2 += um2;
    }
}

double dev_conv_area_um2(int bits, int ref_bits, double ref_um2)
{
    if (bits < 1 || ref_bits < 1 || !(ref_um2 >= 0.0))
        return -1.0;
    return ref_um2 * ldexp(1.0, bits - ref_bits);
}

double dev_sram_area_um2(double bytes, double mm2_per_mib)
{
    return bytes / 1048576.0 * mm2_per_mib * 1e6;
}

double dev_static_power_mw(const sim_comp_t *c)
{
    return sim_static_mw(c);
}

/* ---- names ------------------------------------------------------------------- */
static const char *const op_names[] = {
    [0] = "none",
    [DEV_OP_MVM] = "mvm",
    [DEV_OP_GEMM] = "gemm",
    [DEV_OP_CONVERT] = "convert",
    [DEV_OP_VECTOR] = "vector",
    [DEV_OP_READ] = "read",
    [DEV_OP_WRITE] = "write",
    [DEV_OP_PROGRAM] = "program",
    [DEV_OP_TRANSFER] = "transfer",
};
#define N_OP_NAMES (sizeof op_names / sizeof op_names[0])

static const char *const vf_names[] = {
    [DEV_VF_NONE] = "none",     [DEV_VF_SOFTMAX] = "softmax", [DEV_VF_LAYERNORM] = "layernorm",
    [DEV_VF_RMSNORM] = "rmsnorm", [DEV_VF_GELU] = "gelu",     [DEV_VF_SILU] = "silu",
    [DEV_VF_RELU] = "relu",     [DEV_VF_ADD] = "add",         [DEV_VF_MUL] = "mul",
};
#define N_VF_NAMES (sizeof vf_names / sizeof vf_names[0])

const char *dev_op_name(int kind)
{
    return kind >= 0 && (size_t)kind < N_OP_NAMES ? op_names[kind] : "?";
}

int dev_op_parse(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < N_OP_NAMES; i++)
        if (strcmp(op_names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *dev_vfunc_name(int vfunc)
{
    return vfunc >= 0 && (size_t)vfunc < N_VF_NAMES ? vf_names[vfunc] : "?";
}

int dev_vfunc_parse(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < N_VF_NAMES; i++)
        if (strcmp(vf_names[i], name) == 0)
            return (int)i;
    return -1;
}

/* ---- occupancy ------------------------------------------------------------------ */
int dev_unit_init(sim_comp_t *c, dev_unit_t *u)
{
    memset(u, 0, sizeof *u);
    if (sim_comp_clock(c) < 0 || sim_comp_period_ps(c) == 0)
        return sim_comp_fail(c, "a %s device needs a clock (give the component one)",
                             sim_comp_model(c));
    u->period_ps = sim_comp_period_ps(c);
    /* the unit's silicon area, for its power density (sim.h SIM_STAT_AREA);
     * a model without an area model, or parameters it cannot size, record none */
    dev_area_t a;
    char err[64];
    if (dev_model_has_area(sim_comp_model(c)) && dev_area(c, &a, err, sizeof err) == 0 &&
        a.um2 > 0.0) {
        int st = sim_stat(c, SIM_STAT_AREA, SIM_STAT_VALUE, "mm2");
        if (st < 0)
            return sim_comp_fail(c, "out of memory for stats");
        sim_stat_max(c, st, a.um2 * 1e-6);
    }
    return 0;
}

void dev_unit_reserve(dev_unit_t *u, sim_time_t now, uint64_t issue_cycles, uint64_t cycles,
                      dev_slot_t *out)
{
    if (cycles < issue_cycles)
        cycles = issue_cycles;
    sim_time_t t = now > u->free_at ? now : u->free_at;
    sim_time_t p = u->period_ps;
    sim_time_t edge = (t / p) * p;
    if (edge < t)
        edge += p;
    out->start_ps = edge;
    out->issue_ps = issue_cycles * p;
    out->finish_ps = edge + cycles * p;
    out->latency_ps = out->finish_ps - now;
    out->wait_ps = edge - now;
    u->free_at = edge + out->issue_ps;
}

/* ---- per-op bookkeeping ---------------------------------------------------------- */
int dev_base_init(sim_comp_t *c, dev_base_t *b)
{
    memset(b, 0, sizeof *b);
    int rc = dev_unit_init(c, &b->unit);
    if (rc)
        return rc;
    b->port_out = sim_port(c, "out");
    b->st_ops = sim_stat(c, "ops", SIM_STAT_COUNT, "ops");
    b->st_bytes = sim_stat(c, "bytes", SIM_STAT_COUNT, "B");
    b->st_cycles = sim_stat(c, "cycles", SIM_STAT_COUNT, "cycles");
    b->st_wait = sim_stat(c, "queue_wait_ps", SIM_STAT_COUNT, "ps");
    b->st_wait_max = sim_stat(c, "queue_wait_max_ps", SIM_STAT_VALUE, "ps");
    b->st_fwd = -1; /* registered with the first forwarding rule */
    if (b->st_ops < 0 || b->st_bytes < 0 || b->st_cycles < 0 || b->st_wait < 0 ||
        b->st_wait_max < 0)
        return sim_comp_fail(c, "out of memory for stats");
    for (int k = 1; k <= DEV_OP_LAST; k++)
        b->trace_op[k] = sim_trace_op(c, dev_op_name(k));
    return 0;
}

int dev_base_op(sim_comp_t *c, dev_base_t *b, const sim_event_t *ev, const dev_req_t *req,
                uint64_t issue_cycles, uint64_t cycles, double energy_pj, uint64_t bytes)
{
    /* every device: an op whose cycles do not fit the clock (a quarter of
     * the time range from when it can start, as systolic checks) is refused,
     * not wrapped into a short one */
    uint64_t longest = cycles > issue_cycles ? cycles : issue_cycles;
    sim_time_t from = sim_comp_now(c) > b->unit.free_at ? sim_comp_now(c) : b->unit.free_at;
    if (!dev_cycles_fit(longest, b->unit.period_ps, from))
        return sim_comp_fail(c, "%s '%s' %s: %llu cycles overflow the clock", sim_comp_model(c),
                             sim_comp_name(c), dev_op_name(req->kind),
                             (unsigned long long)longest);
    dev_slot_t slot;
    dev_unit_reserve(&b->unit, sim_comp_now(c), issue_cycles, cycles, &slot);
    sim_stat_add(c, b->st_ops, 1);
    sim_stat_add(c, b->st_bytes, (double)bytes);
    sim_stat_add(c, b->st_cycles, (double)(cycles > issue_cycles ? cycles : issue_cycles));
    sim_stat_add(c, b->st_wait, (double)slot.wait_ps);
    sim_stat_max(c, b->st_wait_max, (double)slot.wait_ps);
    sim_busy(c, slot.start_ps, slot.issue_ps);
    int op = req->kind <= DEV_OP_LAST ? b->trace_op[req->kind] : -1;
    if (op >= 0)
        sim_trace(c, op, slot.start_ps, slot.finish_ps - slot.start_ps, bytes, energy_pj,
                  ev->op_id);
    for (int i = 0; i < b->n_fwd; i++) {
        dev_fwd_rule_t *r = &b->fwd[i];
        if (r->tag != req->tag || !r->has_next)
            continue;
        /* the result goes to the successor with its request, not to the driver */
        sim_msg_t m;
        memset(&m, 0, sizeof m);
        m.kind = r->kind ? (uint16_t)r->kind : DEV_MSG_REQ;
        m.bytes = r->bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)r->bytes;
        m.op_id = r->op_id;
        m.data = &r->next;
        m.data_len = sizeof r->next;
        int port = r->port;
        sim_stat_add(c, b->st_fwd, (double)r->data_bytes);
        *r = b->fwd[--b->n_fwd];
        return sim_send(c, port, &m, slot.latency_ps);
    }
    return dev_complete_op(c, b->port_out, req, ev->op_id,
                           cycles > issue_cycles ? cycles : issue_cycles, slot.latency_ps,
                           energy_pj, bytes);
}

int dev_base_take_fwd(sim_comp_t *c, dev_base_t *b, const sim_event_t *ev)
{
    if (ev->kind == DEV_MSG_FWD) {
        dev_fwd_t f;
        memcpy(&f, ev->data.bytes, sizeof f);
        f.port[sizeof f.port - 1] = '\0';
        int port = sim_port(c, f.port);
        if (port < 0 || !sim_port_is_out(c, port)) {
            sim_comp_fail(c,
                          "%s '%s': no link leaves port '%s' to forward the result of request %u",
                          sim_comp_model(c), sim_comp_name(c), f.port, (unsigned)f.tag);
            return 1;
        }
        if (b->n_fwd == DEV_FWD_MAX) {
            sim_comp_fail(c, "%s '%s': more than %d forwarded requests pending", sim_comp_model(c),
                          sim_comp_name(c), DEV_FWD_MAX);
            return 1;
        }
        if (b->st_fwd < 0 &&
            (b->st_fwd = sim_stat(c, "forwarded_bytes", SIM_STAT_COUNT, "B")) < 0) {
            sim_comp_fail(c, "out of memory for stats");
            return 1;
        }
        b->fwd[b->n_fwd++] = (dev_fwd_rule_t){.tag = f.tag,
                                              .kind = f.kind,
                                              .port = port,
                                              .has_next = 0,
                                              .bytes = f.bytes,
                                              .data_bytes = f.data_bytes,
                                              .op_id = ev->op_id};
        return 1;
    }
    if (ev->kind == DEV_MSG_FWD_REQ) {
        if (!b->n_fwd || b->fwd[b->n_fwd - 1].has_next) {
            sim_comp_fail(c, "%s '%s': a forwarded request without its rule", sim_comp_model(c),
                          sim_comp_name(c));
            return 1;
        }
        dev_fwd_rule_t *r = &b->fwd[b->n_fwd - 1];
        memcpy(&r->next, ev->data.bytes, sizeof r->next);
        r->has_next = 1;
        return 1;
    }
    return 0;
}

/* `ops`: the DEV_OP_BIT mask of what the model does (0: not known) */
static int reject_op(sim_comp_t *c, const dev_req_t *req, unsigned ops)
{
    char does[256] = "";
    size_t len = 0;
    for (unsigned k = 0; k < 32 && len + 24 < sizeof does; k++)
        if (ops & DEV_OP_BIT(k))
            len += (size_t)snprintf(does + len, sizeof does - len, "%s%s", len ? ", " : "",
                                    dev_op_name((dev_opkind_t)k));
    if (len)
        return sim_comp_reject(c, "%s cannot do op '%s' (it does %s)", sim_comp_model(c),
                               dev_op_name(req->kind), does);
    return sim_comp_reject(c, "%s cannot do op '%s'", sim_comp_model(c), dev_op_name(req->kind));
}

int dev_fail_op(sim_comp_t *c, const dev_req_t *req)
{
    return reject_op(c, req, 0);
}

int dev_take_req(sim_comp_t *c, const sim_event_t *ev, unsigned ops, dev_req_t *req)
{
    if (ev->kind != DEV_MSG_REQ)
        return 0;
    dev_req_from_event(ev, req);
    if (req->kind >= 32 || !(ops & DEV_OP_BIT(req->kind))) {
        reject_op(c, req, ops);
        return 0;
    }
    return 1;
}

int dev_mem_check(sim_comp_t *c, const dev_req_t *req, uint64_t capacity, const char *cap_name)
{
    uint64_t addr = req->k, bytes = req->m;
    if (bytes == 0)
        return sim_comp_fail(c, "%s of 0 bytes", dev_op_name(req->kind));
    if (addr > capacity || bytes > capacity - addr)
        return sim_comp_fail(c, "%s of %llu bytes at address %llu goes beyond %s %llu",
                             dev_op_name(req->kind), (unsigned long long)bytes,
                             (unsigned long long)addr, cap_name, (unsigned long long)capacity);
    return 0;
}

/* ---- SRAM access energy and leakage ------------------------------------------------ */
double dev_sram_leak_mw_per_kib(const char *node, const char *cell)
{
    static const struct {
        const char *node, *cell;
        double mw_per_kib;
    } cacti7[] = {
        /* CACTI 7, 45 nm, ITRS cell types (figures as quoted in issue 13) */
        {"45nm", "hp", 1.04},
        {"45nm", "lop", 0.059},
        {"45nm", "lstp", 0.00017},
    };
    if (!node || !cell)
        return -1.0;
    for (size_t i = 0; i < sizeof cacti7 / sizeof cacti7[0]; i++)
        if (strcmp(cacti7[i].node, node) == 0 && strcmp(cacti7[i].cell, cell) == 0)
            return cacti7[i].mw_per_kib;
    return -1.0;
}

double dev_sram_access_pj(double e_ref_pj, double ref_kib, double bank_kib, double word_bytes,
                          int size_scaling)
{
    if (!(e_ref_pj >= 0.0) || !(ref_kib > 0.0) || !(bank_kib > 0.0) || !(word_bytes > 0.0))
        return -1.0;
    double e = e_ref_pj * word_bytes / 8.0;
    return size_scaling ? e * sqrt(bank_kib / ref_kib) : e;
}

int dev_leak_init(sim_comp_t *c, dev_leak_t *l, uint64_t parts, double part_mw, int gating,
                  double gated_frac)
{
    memset(l, 0, sizeof *l);
    if (!(part_mw >= 0.0) || !isfinite(part_mw) || !(gated_frac >= 0.0 && gated_frac <= 1.0))
        return sim_comp_fail(c, "%s '%s': bad leakage (%g mW per part, gated fraction %g)",
                             sim_comp_model(c), sim_comp_name(c), part_mw, gated_frac);
    l->parts = parts;
    l->part_mw = part_mw;
    l->gating = gating;
    l->gated_frac = gating ? gated_frac : 1.0;
    l->st_energy = -1;
    if (gating) {
        l->st_energy = sim_stat(c, "energy.leakage", SIM_STAT_ENERGY, "pJ");
        if (l->st_energy < 0)
            return sim_comp_fail(c, "out of memory for stats");
    }
    sim_static_power_mw(c, (double)parts * part_mw * l->gated_frac);
    return 0;
}

double dev_leak_energy(const dev_leak_t *l, uint64_t active_parts, double op_ps)
{
    if (!l->gating || op_ps <= 0.0)
        return 0.0;
    if (active_parts > l->parts)
        active_parts = l->parts;
    return (1.0 - l->gated_frac) * l->part_mw * (double)active_parts * op_ps * 1e-3;
}

double dev_leak_op(sim_comp_t *c, const dev_leak_t *l, uint64_t active_parts, double op_ps)
{
    double e = dev_leak_energy(l, active_parts, op_ps);
    if (e > 0.0)
        sim_energy(c, l->st_energy, e);
    return e;
}

int dev_leak_init_params(sim_comp_t *c, dev_leak_t *l, const sim_params_t *p, uint64_t parts,
                         double kib_per_part)
{
    double per_kib = sim_param_real(p, "leakage_mw_per_kb");
    if (per_kib < 0.0)
        per_kib = dev_sram_leak_mw_per_kib(sim_param_str(p, "node"), sim_param_str(p, "cell_type"));
    if (per_kib < 0.0)
        return sim_comp_fail(c, "%s '%s': no leakage figure for node %s, cell_type %s",
                             sim_comp_model(c), sim_comp_name(c), sim_param_str(p, "node"),
                             sim_param_str(p, "cell_type"));
    return dev_leak_init(c, l, parts, per_kib * kib_per_part, sim_param_bool(p, "power_gating"),
                         sim_param_real(p, "gated_leak_frac"));
}
