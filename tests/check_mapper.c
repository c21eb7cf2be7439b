/* Tests of the naive mapper (mapper/schedule.c) and the schedule_driver
 * (mapper/sched_driver.c): hand-timed schedules on an echo device, then what
 * `prism run CONFIG --workload SPEC` does (config, map_workload_attach,
 * sim_init, sim_run) on GPT-2, ResNet-18 and ONNX imports, checked against
 * SCALE-Sim's closed forms (devices/systolic.h), the vector/SRAM/DRAM timing
 * equations of docs/devices/, the IR's MAC totals, and error paths. */
#include "devices/dev_common.h"
#include "devices/systolic.h"
#include "mapper/map.h"
#include "tests/check_stats.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- an echo device: a request of m takes m cycles (not pipelined) ----------------------- */
typedef struct echo {
    dev_base_t base;
} echo_t;

static int echo_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    (void)p;
    return dev_base_init(c, &((echo_t *)state)->base);
}

static void echo_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    echo_t *e = state;
    dev_req_t req;
    dev_req_from_event(ev, &req);
    dev_base_op(c, &e->base, ev, &req, req.m, req.m, 0.0, 0);
}

static const sim_model_t echo_model = {
    .name = "map_test_echo",
    .doc = "test device: m cycles per request",
    .state_size = sizeof(echo_t),
    .init = echo_init,
    .handle = echo_handle,
};

static void setup(void)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    sim_model_register(&echo_model);
}

/* ---- the driver on a hand-made schedule ----------------------------------------------------- */
static const char *const hand_units[] = {"gemm", "vector"};
static uint32_t hand_preds[] = {0, 0, 1, 2, 3};

static void hand_sched(map_exec_t *s, map_exec_entry_t *e)
{
    memset(s, 0, sizeof *s);
    memset(e, 0, 5 * sizeof *e);
    /* e0 on A (10 cycles); e1 on A (5) and e2 on B (7) after e0; e3 zero-cost
     * after e1, e2; e4 on A (3 cycles, twice) after e3 */
    const uint64_t m[5] = {10, 5, 7, 0, 3};
    const int unit[5] = {0, 0, 1, -1, 0};
    const uint32_t np[5] = {0, 1, 1, 2, 1};
    const size_t off[5] = {0, 0, 1, 2, 4};
    for (int i = 0; i < 5; i++) {
        e[i].op_id = (uint64_t)i + 1;
        e[i].name = "hand";
        e[i].what = "hand";
        e[i].unit = unit[i];
        e[i].req.kind = DEV_OP_MVM;
        e[i].req.m = m[i];
        e[i].reps = i == 4 ? 2 : 1;
        e[i].n_preds = np[i];
        e[i].pred_off = off[i];
    }
    s->n_entries = 5;
    s->entries = e;
    s->preds = hand_preds;
    s->n_preds = 5;
    s->n_units = 2;
    s->units = hand_units;
}

static sim_time_t run_hand(const char *order, int outstanding, map_exec_entry_t *e)
{
    sim_t *s = sim_create(NULL);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_ge(sim_add_clock(s, "c", 1e9), 0);
    char out[16];
    snprintf(out, sizeof out, "%d", outstanding);
    const char *dp[] = {"order", order, "outstanding", out, NULL};
    ck_assert_int_ge(sim_add_component(s, "drv", "schedule_driver", NULL, dp), 0);
    ck_assert_int_ge(sim_add_component(s, "a", "map_test_echo", "c", NULL), 0);
    ck_assert_int_ge(sim_add_component(s, "b", "map_test_echo", "c", NULL), 0);
    ck_assert_int_ge(sim_add_link(s, "drv.gemm", "a.in", 1000, 0), 0);
    ck_assert_int_ge(sim_add_link(s, "a.out", "drv.done", 1000, 0), 0);
    ck_assert_int_ge(sim_add_link(s, "drv.vector", "b.in", 1000, 0), 0);
    ck_assert_int_ge(sim_add_link(s, "b.out", "drv.done", 1000, 0), 0);
    map_exec_t sched;
    hand_sched(&sched, e);
    ck_assert_int_eq(map_exec_attach(sim_comp_find(s, "drv"), &sched), 0);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    sim_finish(s);
    sim_time_t makespan = (sim_time_t)stat_of(s, "drv", "makespan_ps");
    ck_assert_int_eq((int)stat_of(s, "drv", "entries_done"), 5);
    ck_assert_int_eq((int)stat_of(s, "drv", "requests"), 5);
    ck_assert_int_eq((int)stat_of(s, "drv", "device_cycles"), 10 + 5 + 7 + 3 + 3);
    sim_destroy(s); /* the schedule has no release: it stays ours */
    return makespan;
}

START_TEST(test_driver_hand_graph)
{
    map_exec_entry_t e[5];
    /* e0 0 -> 12 ns; e1 12 -> 19 (A) while e2 12 -> 21 (B); e3 at 21; e4 two
     * reps one after the other: 21 -> 26 -> 31 */
    ck_assert_uint_eq(run_hand("graph", 1, e), 31000);
    ck_assert_uint_eq(e[0].res.done_ps, 12000);
    ck_assert_uint_eq(e[1].res.issue_ps, 12000);
    ck_assert_uint_eq(e[1].res.done_ps, 19000);
    ck_assert_uint_eq(e[2].res.issue_ps, 12000);
    ck_assert_uint_eq(e[2].res.done_ps, 21000);
    ck_assert_uint_eq(e[3].res.issue_ps, 21000);
    ck_assert_uint_eq(e[3].res.done_ps, 21000);
    ck_assert_uint_eq(e[4].res.issue_ps, 21000);
    ck_assert_uint_eq(e[4].res.cycles, 6);
    ck_assert_uint_eq(e[4].res.device_latency_ps, 3000 + 3000);
}
END_TEST

START_TEST(test_driver_hand_outstanding)
{
    map_exec_entry_t e[5];
    /* both reps of e4 leave at 21 ns: the second waits 3 cycles in the device's
     * queue, completions at 26 and 29 */
    ck_assert_uint_eq(run_hand("graph", 2, e), 29000);
    ck_assert_uint_eq(e[4].res.device_latency_ps, 3000 + 6000);
}
END_TEST

START_TEST(test_driver_hand_sequential)
{
    map_exec_entry_t e[5];
    /* 12, 19, then e2 waits for e1: 19 -> 28, e3 28, e4 28 -> 33 -> 38 */
    ck_assert_uint_eq(run_hand("sequential", 1, e), 38000);
    ck_assert_uint_eq(e[2].res.issue_ps, 19000);
}
END_TEST

START_TEST(test_driver_no_schedule)
{
    sim_t *s = sim_create(NULL);
    ck_assert_int_ge(sim_add_component(s, "drv", "schedule_driver", NULL, NULL), 0);
    ck_assert_int_ne(sim_init(s), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "has no schedule"));
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "--workload"));
    sim_destroy(s);
}
END_TEST

START_TEST(test_driver_unlinked_unit)
{
    /* the schedule wants 'vector' but only 'gemm' is linked */
    sim_t *s = sim_create(NULL);
    sim_add_clock(s, "c", 1e9);
    ck_assert_int_ge(sim_add_component(s, "drv", "schedule_driver", NULL, NULL), 0);
    ck_assert_int_ge(sim_add_component(s, "a", "map_test_echo", "c", NULL), 0);
    ck_assert_int_ge(sim_add_link(s, "drv.gemm", "a.in", 1000, 0), 0);
    ck_assert_int_ge(sim_add_link(s, "a.out", "drv.done", 1000, 0), 0);
    map_exec_t sched;
    map_exec_entry_t e[5];
    hand_sched(&sched, e);
    ck_assert_int_eq(map_exec_attach(sim_comp_find(s, "drv"), &sched), 0);
    ck_assert_int_ne(map_exec_attach(sim_comp_find(s, "drv"), &sched), 0); /* twice */
    ck_assert_int_ne(sim_init(s), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "entry 2"));
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "needs unit 'vector'"));
    sim_destroy(s);
}
END_TEST

START_TEST(test_sched_check)
{
    map_exec_t sched;
    map_exec_entry_t e[5];
    char err[256];
    hand_sched(&sched, e);
    ck_assert_int_eq(map_exec_check(&sched, err, sizeof err), 0);
    uint32_t bad_preds[] = {0, 0, 1, 2, 4}; /* e4 waits for itself */
    sched.preds = bad_preds;
    ck_assert_int_ne(map_exec_check(&sched, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "entry 4"));
    sched.preds = hand_preds;
    e[1].unit = 7;
    ck_assert_int_ne(map_exec_check(&sched, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "unit index 7"));
    e[1].unit = 0;
    e[1].reps = 0;
    ck_assert_int_ne(map_exec_check(&sched, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "reps"));
}
END_TEST

/* ---- the naive schedule of GPT-2 ------------------------------------------------------------- */
static map_units_t all_units(void)
{
    map_units_t u;
    memset(&u, 0, sizeof u);
    map_units_add(&u, "gemm", "sa", "systolic");
    map_units_add(&u, "vector", "vec", "vector");
    map_units_add(&u, "sram", "buf", "sram");
    map_units_add(&u, "dram", "hbm", "dram");
    return u;
}

static wl_graph_t *load(const char *spec, int seq)
{
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    if (seq)
        o.seq = seq;
    wl_graph_t *g = NULL;
    char err[512];
    int rc = wl_load(spec, &o, &g, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: %s", spec, err);
    return g;
}

START_TEST(test_naive_gpt2_structure)
{
    wl_graph_t *g = load("gpt2", 128);
    map_units_t u = all_units();
    map_schedule_t *s = NULL;
    char err[512];
    ck_assert_int_eq(map_naive(g, &u, &s, err, sizeof err), 0);
    size_t n_ops = wl_graph_op_count(g);
    ck_assert_uint_eq(s->n_ops, n_ops);
    ck_assert_uint_eq(s->gemm_macs, wl_graph_total_macs(g));
    /* every IR op has entries, in op order; zero-cost ops have no request */
    uint64_t prev_op = 0, zero = 0, loads = 0, weight_bytes = 0, kv_writes = 0;
    for (size_t i = 0; i < s->exec.n_entries; i++) {
        const map_exec_entry_t *e = &s->exec.entries[i];
        ck_assert(e->op_id == prev_op || e->op_id == prev_op + 1);
        prev_op = e->op_id;
        const wl_op_t *op = wl_graph_op(g, e->op_id - 1);
        ck_assert_str_eq(e->name, op->name);
        if (s->info[i].kv) {
            /* prefill stores each layer's keys and values (the views' data) */
            ck_assert_str_eq(s->info[i].kind, "kv_write");
            ck_assert_uint_eq(e->req.m, op->outputs[0]->bytes);
            kv_writes++;
        } else if (op->zero_cost) {
            ck_assert_int_eq(e->unit, -1);
            zero++;
        }
        if (strcmp(s->info[i].kind, "weight_load") == 0) {
            loads++;
            weight_bytes += e->req.m;
            ck_assert_str_eq(s->exec.units[e->unit], "dram");
        } else if (wl_opkind_is_gemm(op->kind)) {
            ck_assert_str_eq(s->exec.units[e->unit], "gemm");
            ck_assert_uint_eq(e->req.m * e->req.k * e->req.n * e->reps, op->macs);
            ck_assert_uint_eq(e->reps, op->count);
        } else if (op->kind == WL_OP_SOFTMAX) {
            ck_assert_int_eq(e->req.vfunc, DEV_VF_SOFTMAX);
            ck_assert_uint_eq(e->req.m * e->req.n, wl_shape_numel(&op->outputs[0]->shape));
        }
        for (uint32_t j = 0; j < e->n_preds; j++)
            ck_assert_uint_lt(s->exec.preds[e->pred_off + j], i);
    }
    ck_assert_uint_eq(prev_op, n_ops);
    ck_assert_uint_eq(zero, 48); /* 36 split_heads + 12 merge_heads */
    ck_assert_uint_eq(kv_writes, 24); /* k and v of 12 layers */
    /* one load per weight and per bias of the 49 linears (lm_head has no bias) */
    ck_assert_uint_eq(loads, 48 * 2 + 1);
    ck_assert_uint_eq(weight_bytes, s->weight_load_bytes);
    /* a layer's q.k^T waits for the q and k views, which wait for the split */
    const char *js = map_schedule_json(s);
    cJSON *root = cJSON_Parse(js);
    ck_assert_ptr_nonnull(root);
    cJSON *arr = cJSON_GetObjectItem(root, "schedule");
    ck_assert_int_eq(cJSON_GetArraySize(arr), (int)s->exec.n_entries);
    ck_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(root, "units"), "gemm")->child->valuestring, "sa");
    cJSON_Delete(root);
    free((void *)js);
    map_schedule_free(s);
    map_units_free(&u);
    wl_graph_destroy(g);
}
END_TEST

START_TEST(test_naive_missing_units)
{
    wl_graph_t *g = load("gpt2", 16);
    map_units_t u;
    memset(&u, 0, sizeof u);
    map_units_add(&u, "gemm", "sa", "systolic");
    map_units_add(&u, "dram", "hbm", "dram");
    map_schedule_t *s = NULL;
    char err[512];
    ck_assert_int_eq(map_naive(g, &u, &s, err, sizeof err), SIM_ERR_CONFIG);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, "op 'embed_add'"));
    ck_assert_ptr_nonnull(strstr(err, "needs a 'vector' unit"));
    map_units_free(&u);
    memset(&u, 0, sizeof u);
    map_units_add(&u, "vector", "v", "vector");
    ck_assert_int_eq(map_naive(g, &u, &s, err, sizeof err), SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "op 'wte' (embedding) needs a 'dram' unit"));
    wl_graph_destroy(g);
    g = load("resnet18", 0);
    ck_assert_int_eq(map_naive(g, &u, &s, err, sizeof err), SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "(conv) needs a 'gemm' unit"));
    wl_graph_destroy(g);
    map_units_free(&u);
}

END_TEST

/* ---- what prism run --workload does ---------------------------------------------------------- */
/* All clocks 1 GHz and link latencies whole ns with unlimited bandwidth, so
 * every request reaches its device on a clock edge: a request's time is
 * out-link + cycles + back-link, exactly. */
#define SEQ_CFG                                                                                    \
    "name: mapper-test\n"                                                                          \
    "clocks: {core: 1GHz}\n"                                                                       \
    "components:\n"                                                                                \
    "  drv: {model: schedule_driver, order: %s, outstanding: %d}\n"                                \
    "  sa: {model: systolic, clock: core, rows: 32, cols: 32, dataflow: ws}\n"                     \
    "  vec: {model: vector, clock: core, lanes: 64}\n"                                             \
    "  buf: {model: sram, clock: core, size_bytes: 8388608, banks: 16}\n"                          \
    "  hbm: {model: dram, clock: core}\n"                                                          \
    "links:\n"                                                                                     \
    "  - {from: drv.gemm, to: sa.in, latency: 1ns}\n"                                              \
    "  - {from: sa.out, to: drv.done, latency: 2ns}\n"                                             \
    "  - {from: drv.vector, to: vec.in, latency: 3ns}\n"                                           \
    "  - {from: vec.out, to: drv.done, latency: 1ns}\n"                                            \
    "  - {from: drv.sram, to: buf.in, latency: 1ns}\n"                                             \
    "  - {from: buf.out, to: drv.done, latency: 1ns}\n"                                            \
    "  - {from: drv.dram, to: hbm.in, latency: 2ns}\n"                                             \
    "  - {from: hbm.out, to: drv.done, latency: 2ns}\n"
static const sim_time_t round_trip_ps[4] = {3000, 4000, 2000, 4000}; /* gemm vector sram dram */

typedef struct rows {
    size_t device_rows, device_rows_no_op, driver_rows;
    uint32_t driver_comp;
} rows_t;

static void count_row(void *ctx, const sim_trace_row_t *r)
{
    rows_t *c = ctx;
    if (r->kind != 0)
        return;
    if (r->comp == c->driver_comp)
        c->driver_rows++;
    else {
        c->device_rows++;
        c->device_rows_no_op += r->op_id == 0;
    }
}

static sim_t *run_text(const char *text, const char *spec, int seq, rows_t *rows)
{
    sim_t *s = NULL;
    char err[1024];
    int rc = sim_config_load_string(text, "test.yaml", NULL, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    if (seq)
        o.seq = seq;
    rc = map_workload_attach(s, spec, &o, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    if (rows) {
        memset(rows, 0, sizeof *rows);
        rows->driver_comp = sim_comp_id(sim_comp_find(s, "drv"));
        sim_trace_sink_t sink = {rows, count_row, NULL};
        sim_set_trace_sink(s, &sink);
    }
    ck_assert_msg(sim_init(s) == 0, "%s", sim_errmsg(s));
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
    return s;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *t = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(t, 1, (size_t)n, f), (size_t)n);
    t[n] = '\0';
    fclose(f);
    return t;
}

static unsigned ceil_log2(uint64_t x)
{
    unsigned l = 0;
    while (((uint64_t)1 << l) < x)
        l++;
    return l;
}

/* Device cycles of one request from the equations of docs/devices/ (at the
 * parameters of SEQ_CFG and chip.yaml: 32x32 ws array; 64 lanes, depth 4,
 * sfu 1; SRAM 16 banks x 8 B, latency 2; HBM2 8 x 32 B bursts, 32 GB/s per
 * channel, 40 ns, at 1 GHz). */
static uint64_t expected_cycles(const char *unit, const dev_req_t *r)
{
    if (strcmp(unit, "gemm") == 0) {
        systolic_cfg_t cfg = {.rows = 32,
                              .cols = 32,
                              .dataflow = SYSTOLIC_WS,
                              .mode = SYSTOLIC_SCALESIM,
                              .word_bytes = 1};
        systolic_cost_t cost;
        ck_assert_int_eq(systolic_gemm_cost(&cfg, r->m, r->k, r->n, &cost), 0);
        return cost.cycles;
    }
    if (strcmp(unit, "vector") == 0) {
        dev_vf_cost_t k;
        ck_assert_int_eq(dev_vf_cost(r->vfunc, &k), 0);
        uint64_t lanes = 64, lane_ops = k.elem_add + k.elem_mul + k.elem_sfu;
        uint64_t stream = (r->m * r->n * lane_ops + lanes - 1) / lanes;
        uint64_t row = k.reductions * ceil_log2(r->n < lanes ? r->n : lanes) + k.row_add +
                       k.row_mul + k.row_sfu;
        return 4 + stream + r->m * row;
    }
    if (strcmp(unit, "sram") == 0) {
        uint64_t words = (r->m + 7) / 8; /* address 0 */
        return 2 + (words + 15) / 16;    /* busiest bank, 8 B per cycle */
    }
    uint64_t bursts = (r->k + r->m - 1) / 32 - r->k / 32 + 1;
    return 40 + (bursts + 7) / 8; /* 40 ns + channel bursts of 1 ns */
}

START_TEST(test_run_gpt2_sequential_closed_form)
{
    char text[4096];
    snprintf(text, sizeof text, SEQ_CFG, "sequential", 1);
    rows_t rows;
    sim_t *s = run_text(text, "gpt2", 128, &rows);
    map_schedule_t *m = map_attached(s, "drv");
    ck_assert_ptr_nonnull(m);
    sim_time_t expect = 0;
    uint64_t gemm_cycles = 0, requests = 0;
    for (size_t i = 0; i < m->exec.n_entries; i++) {
        const map_exec_entry_t *e = &m->exec.entries[i];
        ck_assert_msg(e->res.done, "entry %zu (%s) not done", i, e->name);
        if (e->unit < 0) {
            ck_assert_uint_eq(e->res.issue_ps, e->res.done_ps);
            continue;
        }
        const char *unit = m->exec.units[e->unit];
        uint64_t cyc = expected_cycles(unit, &e->req);
        ck_assert_msg(e->res.cycles == e->reps * cyc,
                      "entry %zu (%s on %s): %llu cycles, "
                      "expected %llu x %llu",
                      i, e->name, unit, (unsigned long long)e->res.cycles,
                      (unsigned long long)e->reps, (unsigned long long)cyc);
        ck_assert_uint_eq(e->res.device_latency_ps, e->reps * cyc * 1000);
        int ui = map_units_find(&m->units, unit);
        expect += e->reps * (round_trip_ps[ui] + cyc * 1000);
        if (ui == 0)
            gemm_cycles += e->reps * cyc;
        requests += e->reps;
    }
    /* sequential, one in flight: the makespan is the sum over requests */
    ck_assert_uint_eq((sim_time_t)stat_of(s, "drv", "makespan_ps"), expect);
    ck_assert_uint_eq(sim_now(s), expect);
    ck_assert_uint_eq((uint64_t)stat_of(s, "drv", "requests"), requests);
    ck_assert_int_eq((int)stat_of(s, "drv", "entries_incomplete"), 0);
    /* the GEMM unit did every MAC of the model */
    wl_graph_t *g = load("gpt2", 128);
    ck_assert_uint_eq((uint64_t)stat_of(s, "sa", "macs"), wl_graph_total_macs(g));
    ck_assert_uint_eq((uint64_t)stat_of(s, "drv", "gemm_macs"), wl_graph_total_macs(g));
    /* SCALE-Sim closed forms summed over the IR's GEMM ops */
    uint64_t scalesim = 0;
    for (size_t i = 0; i < wl_graph_op_count(g); i++) {
        const wl_op_t *op = wl_graph_op(g, i);
        if (!wl_opkind_is_gemm(op->kind))
            continue;
        systolic_cfg_t cfg = {.rows = 32,
                              .cols = 32,
                              .dataflow = SYSTOLIC_WS,
                              .mode = SYSTOLIC_SCALESIM,
                              .word_bytes = 1};
        systolic_cost_t cost;
        ck_assert_int_eq(systolic_gemm_cost(&cfg, op->m, op->k, op->n, &cost), 0);
        scalesim += op->count * cost.cycles;
    }
    ck_assert_uint_eq(gemm_cycles, scalesim);
    ck_assert_uint_eq((uint64_t)stat_of(s, "sa", "cycles"), scalesim);
    ck_assert_uint_eq((uint64_t)stat_of(s, "drv", "device_cycles.gemm"), scalesim);
    /* every device row carries its workload op; one driver row per entry */
    ck_assert_uint_gt(rows.device_rows, 0);
    ck_assert_uint_eq(rows.device_rows_no_op, 0);
    ck_assert_uint_eq(rows.device_rows, requests);
    ck_assert_uint_eq(rows.driver_rows, m->exec.n_entries);
    wl_graph_destroy(g);
    sim_destroy(s);
}
END_TEST

/* Graph order on configs/chip.yaml: every entry starts after the entries it
 * waits for, and the run is no longer than the sequential one. */
static void check_graph_order(const map_schedule_t *m)
{
    for (size_t i = 0; i < m->exec.n_entries; i++) {
        const map_exec_entry_t *e = &m->exec.entries[i];
        ck_assert_msg(e->res.done, "entry %zu (%s) not done", i, e->name);
        sim_time_t ready = 0;
        for (uint32_t j = 0; j < e->n_preds; j++) {
            const map_exec_entry_t *p = &m->exec.entries[m->exec.preds[e->pred_off + j]];
            if (p->res.done_ps > ready)
                ready = p->res.done_ps;
        }
        ck_assert_uint_eq(e->res.ready_ps, ready);
        ck_assert_uint_ge(e->res.issue_ps, ready);
        ck_assert_uint_ge(e->res.done_ps, e->res.issue_ps);
    }
}

/* `text` with the first `old` replaced by `rep` (text is freed). */
static char *replace_once(char *text, const char *old, const char *rep)
{
    char *at = strstr(text, old);
    ck_assert_msg(at != NULL, "'%s' not in configs/chip.yaml", old);
    size_t n = strlen(text) - strlen(old) + strlen(rep) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, rep, at + strlen(old));
    free(text);
    return out;
}

/* configs/chip.yaml with its driver's order and outstanding changed */
static char *chip_text(const char *order, const char *outstanding)
{
    char *t = read_file("configs/chip.yaml");
    t = replace_once(t, "order: graph", order);
    return replace_once(t, "outstanding: 1", outstanding);
}

START_TEST(test_run_chip_gpt2)
{
    char *text = chip_text("order: graph", "outstanding: 1");
    rows_t rows;
    sim_t *s = run_text(text, "gpt2", 128, &rows);
    map_schedule_t *m = map_attached(s, "drv");
    check_graph_order(m);
    sim_time_t graph = (sim_time_t)stat_of(s, "drv", "makespan_ps");
    uint64_t gemm_cycles = (uint64_t)stat_of(s, "sa", "cycles");
    wl_graph_t *g = load("gpt2", 128);
    ck_assert_uint_eq((uint64_t)stat_of(s, "sa", "macs"), wl_graph_total_macs(g));
    /* the array runs one GEMM at a time: the run takes at least its cycles */
    ck_assert_uint_ge(graph, gemm_cycles * 1000);
    ck_assert_uint_eq(rows.device_rows_no_op, 0);
    char *js1 = map_schedule_json(m);
    sim_destroy(s);

    /* the same run again gives the same schedule results, byte for byte */
    s = run_text(text, "gpt2", 128, NULL);
    char *js2 = map_schedule_json(map_attached(s, "drv"));
    ck_assert_str_eq(js1, js2);
    free(js1);
    free(js2);
    sim_destroy(s);
    free(text);

    text = chip_text("order: sequential", "outstanding: 1");
    s = run_text(text, "gpt2", 128, NULL);
    sim_time_t seq = (sim_time_t)stat_of(s, "drv", "makespan_ps");
    ck_assert_uint_eq((uint64_t)stat_of(s, "sa", "cycles"), gemm_cycles);
    ck_assert_uint_lt(graph, seq);
    sim_destroy(s);
    free(text);

    text = chip_text("order: graph", "outstanding: 4");
    s = run_text(text, "gpt2", 128, NULL);
    check_graph_order(map_attached(s, "drv"));
    ck_assert_uint_le((sim_time_t)stat_of(s, "drv", "makespan_ps"), graph);
    sim_destroy(s);
    free(text);
    wl_graph_destroy(g);
}
END_TEST

static void run_spec_on_chip(const char *spec, uint64_t macs)
{
    char *text = read_file("configs/chip.yaml");
    sim_t *s = run_text(text, spec, 0, NULL);
    map_schedule_t *m = map_attached(s, "drv");
    check_graph_order(m);
    ck_assert_uint_eq(m->gemm_macs, macs);
    ck_assert_uint_eq((uint64_t)stat_of(s, "sa", "macs"), macs);
    ck_assert_int_eq((int)stat_of(s, "drv", "entries_incomplete"), 0);
    sim_destroy(s);
    free(text);
}

START_TEST(test_run_chip_resnet18_and_onnx)
{
    wl_graph_t *g = load("resnet18", 0);
    uint64_t macs = wl_graph_total_macs(g);
    wl_graph_destroy(g);
    run_spec_on_chip("resnet18", macs);
    run_spec_on_chip("tests/fixtures/onnx/resnet18.onnx", macs); /* same MACs (check_onnx) */
    g = load("gpt2", 128);
    macs = wl_graph_total_macs(g);
    wl_graph_destroy(g);
    run_spec_on_chip("tests/fixtures/onnx/gpt2-124m.onnx", macs);
}
END_TEST

START_TEST(test_write_json)
{
    char *text = read_file("configs/chip.yaml");
    sim_t *s = run_text(text, "resnet18", 0, NULL);
    map_schedule_t *m = map_attached(s, "drv");
    char path[] = "/tmp/prism_check_mapper_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char err[256];
    ck_assert_int_eq(map_schedule_write_json(m, path, err, sizeof err), 0);
    char *js = read_file(path);
    cJSON *root = cJSON_Parse(js);
    ck_assert_ptr_nonnull(root);
    ck_assert_str_eq(cJSON_GetObjectItem(root, "mapper")->valuestring, "naive");
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "schedule"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(first, "unit")->valuestring, "dram"); /* conv1 weights */
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(first, "result"));
    cJSON_Delete(root);
    free(js);
    unlink(path);
    ck_assert_int_ne(map_schedule_write_json(m, "/nonexistent-dir/x.json", err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.json"));
    sim_destroy(s);
    free(text);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------------- */
static int attach_err(const char *text, const char *spec, char *err, size_t n)
{
    sim_t *s = NULL;
    int rc = sim_config_load_string(text, "e.yaml", NULL, &s, err, n);
    ck_assert_msg(rc == 0, "%s", err);
    rc = map_workload_attach(s, spec, NULL, err, n);
    sim_destroy(s);
    return rc;
}

START_TEST(test_errors)
{
    char err[1024];
    const char *no_driver = "clocks: {core: 1GHz}\n"
                            "components:\n"
                            "  sa: {model: systolic, clock: core}\n";
    ck_assert_int_ne(attach_err(no_driver, "gpt2", err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "no schedule_driver component"));

    const char *two = "clocks: {core: 1GHz}\n"
                      "components:\n"
                      "  d1: {model: schedule_driver}\n"
                      "  d2: {model: schedule_driver}\n";
    ck_assert_int_ne(attach_err(two, "gpt2", err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "two schedule_driver components ('d1' and 'd2')"));

    const char *no_vector = "clocks: {core: 1GHz}\n"
                            "components:\n"
                            "  drv: {model: schedule_driver}\n"
                            "  sa: {model: systolic, clock: core}\n"
                            "  hbm: {model: dram, clock: core}\n"
                            "links:\n"
                            "  - {from: drv.gemm, to: sa.in, latency: 1ns}\n"
                            "  - {from: sa.out, to: drv.done, latency: 1ns}\n"
                            "  - {from: drv.dram, to: hbm.in, latency: 1ns}\n"
                            "  - {from: hbm.out, to: drv.done, latency: 1ns}\n";
    ck_assert_int_ne(attach_err(no_vector, "gpt2", err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "op 'embed_add' (elementwise) needs a 'vector' unit"));
    ck_assert_ptr_nonnull(strstr(err, "schedule_driver 'drv'"));

    ck_assert_int_ne(attach_err(no_vector, "no-such-model", err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "no-such-model"));
    ck_assert_int_ne(attach_err(no_vector, "/nonexistent/m.onnx", err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/m.onnx"));

    /* GPT-2's f32 weights (498 MB) in a 256 MiB DRAM: refused before the run */
    char small[4096];
    snprintf(small, sizeof small, SEQ_CFG, "graph", 1);
    char *t = replace_once(strdup(small), "{model: dram, clock: core}",
                           "{model: dram, clock: core, capacity_bytes: 268435456}");
    ck_assert_int_ne(attach_err(t, "gpt2", err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "do not fit the dram unit 'hbm' (capacity_bytes 268435456)"));
    ck_assert_int_eq(attach_err(t, "resnet18", err, sizeof err), 0); /* 47 MB fits */
    free(t);

    /* a driver port of any name is a unit (no fixed list) */
    const char *bad_port = "clocks: {core: 1GHz}\n"
                           "components:\n"
                           "  drv: {model: schedule_driver}\n"
                           "  sa: {model: systolic, clock: core}\n"
                           "links:\n"
                           "  - {from: drv.matmul, to: sa.in, latency: 1ns}\n";
    sim_t *s = NULL;
    ck_assert_int_eq(sim_config_load_string(bad_port, "p.yaml", NULL, &s, err, sizeof err), 0);
    map_units_t any;
    ck_assert_int_eq(map_units_from_driver(s, "drv", &any, err, sizeof err), 0);
    ck_assert_int_eq(map_units_find(&any, "matmul"), 0);
    map_units_free(&any);
    sim_destroy(s);
    s = NULL;

    /* map_attach to something that is not a driver */
    ck_assert_int_eq(sim_config_load_string(no_vector, "e.yaml", NULL, &s, err, sizeof err), 0);
    map_units_t u = all_units();
    wl_graph_t *g = load("resnet18", 0);
    map_schedule_t *m = NULL;
    ck_assert_int_eq(map_naive(g, &u, &m, err, sizeof err), 0);
    ck_assert_int_ne(map_attach(s, "sa", m, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "not a schedule_driver"));
    ck_assert_int_ne(map_attach(s, "nobody", m, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "no component 'nobody'"));
    ck_assert_ptr_null(map_attached(s, "drv"));
    map_schedule_free(m); /* still ours after a failed attach */
    map_units_free(&u);
    wl_graph_destroy(g);
    sim_destroy(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mapper");
    TCase *drv = tcase_create("driver");
    tcase_add_checked_fixture(drv, setup, NULL);
    tcase_add_test(drv, test_driver_hand_graph);
    tcase_add_test(drv, test_driver_hand_outstanding);
    tcase_add_test(drv, test_driver_hand_sequential);
    tcase_add_test(drv, test_driver_no_schedule);
    tcase_add_test(drv, test_driver_unlinked_unit);
    tcase_add_test(drv, test_sched_check);
    suite_add_tcase(s, drv);
    TCase *map = tcase_create("naive");
    tcase_add_checked_fixture(map, setup, NULL);
    tcase_add_test(map, test_naive_gpt2_structure);
    tcase_add_test(map, test_naive_missing_units);
    suite_add_tcase(s, map);
    TCase *run = tcase_create("run");
    tcase_add_checked_fixture(run, setup, NULL);
    tcase_set_timeout(run, 120);
    tcase_add_test(run, test_run_gpt2_sequential_closed_form);
    tcase_add_test(run, test_run_chip_gpt2);
    tcase_add_test(run, test_run_chip_resnet18_and_onnx);
    tcase_add_test(run, test_write_json);
    tcase_add_test(run, test_errors);
    suite_add_tcase(s, run);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
