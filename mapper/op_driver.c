/* op_driver: issues a list of device requests over port "out" (one at a time,
 * or up to `outstanding` in flight) and collects the completions on "in":
 * per-request latency, device cycles, energy, first send and last completion
 * go to its stats for `prism op`; it is the seed of the schedule executor. */
#include "mapper/map.h"
#include "noc/noc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { DRV_MSG_START = 100 };

typedef struct drv_item {
    dev_req_t req;
    uint64_t count;
    uint64_t op_id;
} drv_item_t;

/* A request in flight. Its tag is its slot index, so a completion finds it
 * in O(1) whatever the order completions come back in. */
typedef struct drv_slot {
    uint64_t seq; /* request number, in sending order */
    int used;
    uint16_t kind;
    sim_time_t sent_ps;
} drv_slot_t;

typedef struct op_driver {
    drv_item_t *items;
    size_t n_items;
    size_t next_item;  /* next request to send: item index ... */
    uint64_t next_rep; /* ... and repetition within it */
    uint64_t total, sent, done;
    uint64_t outstanding; /* max in flight */
    uint64_t in_flight;
    drv_slot_t *slots;   /* `outstanding` entries */
    uint32_t *free_tags; /* stack of free slot indexes */
    uint64_t n_free;
    int port_out;
    map_drv_record_t *records;
    size_t n_records;
    /* aggregates */
    sim_time_t first_send_ps, last_done_ps, span_start_ps;
    sim_time_t lat_min_ps, lat_max_ps;
    int have_first, have_done;
    int st_requests, st_completed, st_failed, st_cycles, st_energy, st_bytes;
    int st_first_send, st_last_done, st_span, st_lat_sum, st_lat_min, st_lat_max, st_lat_mean,
        st_rtt_sum, st_rtt_max;
} op_driver_t;

static const sim_param_def_t drv_params[] = {
    {"op", SIM_P_ENUM, "none", "", 0, 0, DEV_OP_CHOICES,
     "kind of the single request (ignored when `requests` is given)", "dev.h dev_opkind_t"},
    {"m", SIM_P_INT, "1", "", 0, 9.2e18, NULL,
     "m of the request: vectors (mvm), rows (gemm, vector), samples (convert), bytes (read, "
     "write)",
     "dev.h dev_req_t"},
    {"k", SIM_P_INT, "0", "", 0, 9.2e18, NULL,
     "k: inputs (mvm, program), inner dimension (gemm), address (read, write)", "dev.h dev_req_t"},
    {"n", SIM_P_INT, "0", "", 0, 9.2e18, NULL,
     "n: outputs (mvm, gemm, program), elements per row (vector)", "dev.h dev_req_t"},
    {"samples", SIM_P_INT, "0", "", 0, 9.2e18, NULL,
     "convert: number of samples (sets m when given)", "dev.h dev_req_t"},
    {"count", SIM_P_INT, "1", "", 1, 9.2e18, NULL, "how many times the request is sent", ""},
    {"outstanding", SIM_P_INT, "1", "", 1, 1048576, NULL,
     "requests in flight at once (1: each waits for the previous completion)", ""},
    {"weight_id", SIM_P_INT, "0", "", 0, 4294967295.0, NULL,
     "weight matrix id (a change costs the device a reload)", "dev.h dev_req_t"},
    {"no_reload", SIM_P_BOOL, "false", "", 0, 0, NULL,
     "weights already resident: the device never charges a reload", "dev.h DEV_F_NO_RELOAD"},
    {"read_after_s", SIM_P_REAL, "0", "s", 0, 1e12, NULL,
     "analog memories: time since programming when read (drift)", "dev.h dev_req_t"},
    {"vfunc", SIM_P_ENUM, "none", "", 0, 0, DEV_VF_CHOICES, "vector: function",
     "dev.h dev_vfunc_t"},
    {"op_id", SIM_P_INT, "0", "", 0, 9.2e18, NULL, "workload op id carried by the messages", ""},
    {"start_ps", SIM_P_INT, "0", "ps", 0, 9.2e18, NULL, "when the first request leaves", ""},
    {"requests", SIM_P_STR, "", "", 0, 0, NULL,
     "list of requests 'op=gemm m=128 k=768 n=2304 count=2; op=read m=4096': keys as the "
     "parameters above",
     ""},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

/* ---- parsing the request list ---------------------------------------------------- */
static int item_set(sim_comp_t *c, drv_item_t *it, const char *key, const char *val, size_t idx)
{
    uint64_t u = 0;
    if (strcmp(key, "op") == 0) {
        int k = dev_op_parse(val);
        if (k <= 0)
            return sim_comp_fail(c, "requests[%zu]: unknown op '%s' (one of %s)", idx, val,
                                 DEV_OP_CHOICES);
        it->req.kind = (uint16_t)k;
        return 0;
    }
    if (strcmp(key, "vfunc") == 0) {
        int f = dev_vfunc_parse(val);
        if (f < 0)
            return sim_comp_fail(c, "requests[%zu]: unknown vfunc '%s' (one of %s)", idx, val,
                                 DEV_VF_CHOICES);
        it->req.vfunc = (uint16_t)f;
        return 0;
    }
    if (strcmp(key, "read_after_s") == 0) {
        char *end;
        errno = 0;
        double d = strtod(val, &end);
        if (errno || *end || !(d >= 0))
            return sim_comp_fail(c, "requests[%zu]: read_after_s '%s' is not a time >= 0", idx,
                                 val);
        it->req.read_after_s = d;
        return 0;
    }
    if (strcmp(key, "no_reload") == 0) {
        if (!strcmp(val, "true") || !strcmp(val, "1"))
            it->req.flags |= DEV_F_NO_RELOAD;
        else if (!strcmp(val, "false") || !strcmp(val, "0"))
            it->req.flags &= ~DEV_F_NO_RELOAD;
        else
            return sim_comp_fail(c, "requests[%zu]: no_reload '%s' is not true/false", idx, val);
        return 0;
    }
    static const char *const int_keys[] = {"m", "samples", "k", "n", "count", "weight_id", "op_id"};
    int known = 0;
    for (size_t i = 0; i < sizeof int_keys / sizeof int_keys[0]; i++)
        known |= strcmp(key, int_keys[i]) == 0;
    if (!known)
        return sim_comp_fail(c,
                             "requests[%zu]: unknown key '%s' (op, m, k, n, samples, count, "
                             "weight_id, no_reload, read_after_s, vfunc, op_id)",
                             idx, key);
    if (sim_parse_uint(val, &u))
        return sim_comp_fail(c, "requests[%zu]: %s '%s' is not an integer >= 0", idx, key, val);
    if (strcmp(key, "m") == 0 || strcmp(key, "samples") == 0)
        it->req.m = u;
    else if (strcmp(key, "k") == 0)
        it->req.k = u;
    else if (strcmp(key, "n") == 0)
        it->req.n = u;
    else if (strcmp(key, "count") == 0) {
        if (u == 0)
            return sim_comp_fail(c, "requests[%zu]: count must be >= 1", idx);
        it->count = u;
    } else if (strcmp(key, "weight_id") == 0) {
        if (u > UINT32_MAX)
            return sim_comp_fail(c, "requests[%zu]: weight_id %s is too large", idx, val);
        it->req.weight_id = (uint32_t)u;
    } else /* op_id */
        it->op_id = u;
    return 0;
}

/* "op=gemm m=1 k=2 n=3 count=2; op=read m=64" -> items */
static int parse_requests(sim_comp_t *c, op_driver_t *d, const char *text)
{
    char *copy = strdup(text);
    if (!copy)
        return sim_comp_fail(c, "out of memory");
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ';';
    d->items = calloc(cap, sizeof *d->items);
    if (!d->items) {
        free(copy);
        return sim_comp_fail(c, "out of memory");
    }
    int rc = 0;
    char *save_item = NULL;
    for (char *part = strtok_r(copy, ";", &save_item); part && !rc;
         part = strtok_r(NULL, ";", &save_item)) {
        char *save_kv = NULL;
        drv_item_t it;
        memset(&it, 0, sizeof it);
        it.count = 1;
        it.req.m = 1;
        int any = 0;
        for (char *kv = strtok_r(part, " \t\n,", &save_kv); kv && !rc;
             kv = strtok_r(NULL, " \t\n,", &save_kv)) {
            char *eq = strchr(kv, '=');
            if (!eq) {
                rc = sim_comp_fail(c, "requests[%zu]: '%s' is not key=value", d->n_items, kv);
                break;
            }
            *eq = '\0';
            rc = item_set(c, &it, kv, eq + 1, d->n_items);
            any = 1;
        }
        if (rc || !any)
            continue;
        if (it.req.kind == 0)
            rc = sim_comp_fail(c, "requests[%zu]: no op= given", d->n_items);
        else
            d->items[d->n_items++] = it;
    }
    free(copy);
    return rc;
}

/* ---- running ---------------------------------------------------------------------- */
static int send_next(sim_comp_t *c, op_driver_t *d)
{
    while (d->in_flight < d->outstanding && d->next_item < d->n_items) {
        drv_item_t *it = &d->items[d->next_item];
        if (d->n_free == 0)
            return sim_comp_fail(c, "internal: no free request slot");
        uint32_t tag = d->free_tags[d->n_free - 1];
        drv_slot_t *slot = &d->slots[tag];
        dev_req_t req = it->req;
        req.tag = tag;
        sim_msg_t m;
        memset(&m, 0, sizeof m);
        m.kind = DEV_MSG_REQ;
        m.bytes = (uint32_t)sizeof req;
        m.op_id = it->op_id;
        m.data = &req;
        m.data_len = sizeof req;
        int rc = sim_send(c, d->port_out, &m, 0);
        if (rc)
            return rc;
        sim_time_t now = sim_comp_now(c);
        d->n_free--;
        slot->used = 1;
        slot->seq = d->sent;
        slot->kind = req.kind;
        slot->sent_ps = now;
        if (!d->have_first) {
            d->have_first = 1;
            d->first_send_ps = now;
            sim_stat_max(c, d->st_first_send, (double)now);
        }
        d->in_flight++;
        d->sent++;
        sim_stat_add(c, d->st_requests, 1);
        if (++d->next_rep >= it->count) {
            d->next_rep = 0;
            d->next_item++;
        }
    }
    return 0;
}

static void on_done(sim_comp_t *c, op_driver_t *d, const sim_event_t *ev)
{
    dev_done_t done;
    memcpy(&done, ev->data.bytes, sizeof done);
    drv_slot_t *slot = done.tag < d->outstanding ? &d->slots[done.tag] : NULL;
    if (!slot || !slot->used) {
        sim_comp_fail(c, "completion for unknown request tag %u", (unsigned)done.tag);
        return;
    }
    sim_time_t now = sim_comp_now(c);
    sim_time_t rtt = now - slot->sent_ps;
    sim_time_t lat = done.latency_ps;
    /* device-side span: from the earliest arrival at the device (now - lat on the
     * device's side of the return link) to the last completion; the return link's
     * latency cancels out of the difference */
    sim_time_t start = now >= lat ? now - lat : 0;
    if (!d->have_done || start < d->span_start_ps)
        d->span_start_ps = start;
    if (!d->have_done || lat < d->lat_min_ps)
        d->lat_min_ps = lat;
    if (!d->have_done || lat > d->lat_max_ps)
        d->lat_max_ps = lat;
    d->have_done = 1;
    d->last_done_ps = now;
    sim_stat_max(c, d->st_last_done, (double)now);
    sim_stat_add(c, d->st_completed, 1);
    if (done.status)
        sim_stat_add(c, d->st_failed, 1);
    sim_stat_add(c, d->st_cycles, (double)done.cycles);
    sim_stat_add(c, d->st_energy, done.energy_pj);
    sim_stat_add(c, d->st_bytes, (double)done.bytes);
    sim_stat_add(c, d->st_lat_sum, (double)lat);
    sim_stat_add(c, d->st_rtt_sum, (double)rtt);
    sim_stat_max(c, d->st_rtt_max, (double)rtt);
    if (d->n_records < MAP_DRV_RECORD_MAX && d->records) {
        map_drv_record_t *r = &d->records[d->n_records++];
        r->seq = slot->seq;
        r->kind = slot->kind;
        r->status = (uint16_t)done.status;
        r->cycles = done.cycles;
        r->sent_ps = slot->sent_ps;
        r->done_ps = now;
        r->device_latency_ps = lat;
        r->energy_pj = done.energy_pj;
        r->bytes = done.bytes;
    }
    slot->used = 0;
    d->free_tags[d->n_free++] = done.tag;
    d->in_flight--;
    d->done++;
    send_next(c, d);
}

static int drv_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    op_driver_t *d = state;
    d->port_out = sim_port(c, "out");
    d->outstanding = (uint64_t)sim_param_int(p, "outstanding");
    const char *list = sim_param_str(p, "requests");
    int rc;
    if (list && *list) {
        rc = parse_requests(c, d, list);
        if (rc)
            return rc;
    } else {
        int kind = dev_op_parse(sim_param_str(p, "op"));
        if (kind > 0) {
            d->items = calloc(1, sizeof *d->items);
            if (!d->items)
                return sim_comp_fail(c, "out of memory");
            drv_item_t *it = &d->items[0];
            it->req.kind = (uint16_t)kind;
            it->req.vfunc = (uint16_t)dev_vfunc_parse(sim_param_str(p, "vfunc"));
            it->req.m = (uint64_t)sim_param_int(p, "m");
            if (sim_param_is_set(p, "samples"))
                it->req.m = (uint64_t)sim_param_int(p, "samples");
            it->req.k = (uint64_t)sim_param_int(p, "k");
            it->req.n = (uint64_t)sim_param_int(p, "n");
            it->req.weight_id = (uint32_t)sim_param_int(p, "weight_id");
            it->req.flags = sim_param_bool(p, "no_reload") ? DEV_F_NO_RELOAD : 0;
            it->req.read_after_s = sim_param_real(p, "read_after_s");
            it->count = (uint64_t)sim_param_int(p, "count");
            it->op_id = (uint64_t)sim_param_int(p, "op_id");
            d->n_items = 1;
        }
    }
    for (size_t i = 0; i < d->n_items; i++)
        d->total += d->items[i].count;
    if (d->total > 0 && d->port_out < 0)
        return sim_comp_fail(c,
                             "op_driver '%s' has requests to send but no link from its port "
                             "'out'",
                             sim_comp_name(c));
    if (d->outstanding > d->total)
        d->outstanding = d->total ? d->total : 1;
    d->slots = calloc(d->outstanding, sizeof *d->slots);
    d->free_tags = calloc(d->outstanding, sizeof *d->free_tags);
    for (uint64_t i = 0; d->free_tags && i < d->outstanding; i++)
        d->free_tags[i] = (uint32_t)(d->outstanding - 1 - i); /* tag 0 goes first */
    d->n_free = d->outstanding;
    size_t nrec = d->total < MAP_DRV_RECORD_MAX ? (size_t)d->total : MAP_DRV_RECORD_MAX;
    d->records = nrec ? calloc(nrec, sizeof *d->records) : NULL;
    if (!d->slots || !d->free_tags || (nrec && !d->records))
        return sim_comp_fail(c, "out of memory");
    d->st_requests = sim_stat(c, "requests", SIM_STAT_COUNT, "requests");
    d->st_completed = sim_stat(c, "completed", SIM_STAT_COUNT, "requests");
    d->st_failed = sim_stat(c, "failed", SIM_STAT_COUNT, "requests");
    d->st_cycles = sim_stat(c, "device_cycles", SIM_STAT_COUNT, "cycles");
    d->st_energy = sim_stat(c, "device_energy_pj", SIM_STAT_COUNT, "pJ");
    d->st_bytes = sim_stat(c, "device_bytes", SIM_STAT_COUNT, "B");
    d->st_first_send = sim_stat(c, "first_send_ps", SIM_STAT_VALUE, "ps");
    d->st_last_done = sim_stat(c, "last_done_ps", SIM_STAT_VALUE, "ps");
    d->st_span = sim_stat(c, "device_span_ps", SIM_STAT_VALUE, "ps");
    d->st_lat_sum = sim_stat(c, "latency_sum_ps", SIM_STAT_COUNT, "ps");
    d->st_lat_min = sim_stat(c, "latency_min_ps", SIM_STAT_VALUE, "ps");
    d->st_lat_max = sim_stat(c, "latency_max_ps", SIM_STAT_VALUE, "ps");
    d->st_lat_mean = sim_stat(c, "latency_mean_ps", SIM_STAT_VALUE, "ps");
    d->st_rtt_sum = sim_stat(c, "rtt_sum_ps", SIM_STAT_COUNT, "ps");
    d->st_rtt_max = sim_stat(c, "rtt_max_ps", SIM_STAT_VALUE, "ps");
    if (d->st_rtt_max < 0 || d->st_requests < 0)
        return sim_comp_fail(c, "out of memory for stats");
    if (d->total == 0)
        return 0;
    sim_msg_t m;
    memset(&m, 0, sizeof m);
    m.kind = DRV_MSG_START;
    return sim_self(c, (sim_time_t)sim_param_int(p, "start_ps"), &m);
}

static void drv_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    op_driver_t *d = state;
    if (ev->port == SIM_PORT_SELF && ev->kind == DRV_MSG_START)
        send_next(c, d);
    else if (ev->kind == DEV_MSG_DONE)
        on_done(c, d, ev);
    else
        sim_comp_fail(c, "op_driver '%s': unexpected message kind %u on port %u", sim_comp_name(c),
                      (unsigned)ev->kind, (unsigned)ev->port);
}

static void drv_finish(sim_comp_t *c, void *state)
{
    op_driver_t *d = state;
    if (!d->have_done)
        return;
    sim_stat_max(c, d->st_span, (double)(d->last_done_ps - d->span_start_ps));
    sim_stat_max(c, d->st_lat_min, (double)d->lat_min_ps);
    sim_stat_max(c, d->st_lat_max, (double)d->lat_max_ps);
    sim_stat_max(c, d->st_lat_mean, sim_stat_get(c, d->st_lat_sum) / (double)d->done);
}

static void drv_destroy(sim_comp_t *c, void *state)
{
    (void)c;
    op_driver_t *d = state;
    free(d->items);
    free(d->slots);
    free(d->free_tags);
    d->free_tags = NULL;
    free(d->records);
    d->items = NULL;
    d->slots = NULL;
    d->records = NULL;
}

const sim_model_t map_op_driver_model = {
    .name = "op_driver",
    .doc = "issues device requests over 'out' and records their completions from 'in'",
    .state_size = sizeof(op_driver_t),
    .params = drv_params,
    .init = drv_init,
    .handle = drv_handle,
    .finish = drv_finish,
    .destroy = drv_destroy,
};

size_t map_driver_records(sim_comp_t *c, const map_drv_record_t **out)
{
    if (!c || strcmp(sim_comp_model(c), "op_driver") != 0) {
        if (out)
            *out = NULL;
        return 0;
    }
    op_driver_t *d = sim_comp_state(c);
    if (out)
        *out = d->records;
    return d->n_records;
}

extern const sim_model_t map_schedule_driver_model;
void map_register_all(void)
{
    /* the chips that schedules run on may have a network (transfers ride it) */
    noc_register_all();
    sim_model_register(&map_op_driver_model);
    sim_model_register(&map_schedule_driver_model);
}
