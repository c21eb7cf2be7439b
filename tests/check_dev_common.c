/* Tests of the device-family common code: names, the occupancy model (closed
 * forms), the dev_req/dev_done round trip through an engine run with a tiny
 * echo device defined here, the op driver (queueing, pipelining, request
 * lists, bad input) and the device list. */
#include "devices/dev_common.h"
#include "mapper/map.h"
#include "tests/check_stats.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a tiny echo device: takes req.m cycles, non-pipelined; reports what it
 * received in the completion so the driver's records show the round trip ---- */
typedef struct echo {
    dev_base_t base;
    int st_e;
} echo_t;

static int echo_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    (void)p;
    echo_t *e = state;
    int rc = dev_base_init(c, &e->base);
    if (rc)
        return rc;
    e->st_e = sim_stat(c, "energy.echo", SIM_STAT_ENERGY, "pJ");
    return 0;
}

static void echo_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    echo_t *e = state;
    dev_req_t req;
    dev_req_from_event(ev, &req);
    if (req.kind == DEV_OP_PROGRAM) {
        dev_fail_op(c, &req);
        return;
    }
    /* energy encodes the request: weight_id + read_after_s + vfunc/1000 + flags/1e6 */
    double energy = (double)req.weight_id + req.read_after_s + req.vfunc / 1000.0 +
                    req.flags / 1e6;
    sim_energy(c, e->st_e, energy);
    dev_base_op(c, &e->base, ev, &req, req.m, req.m, energy, req.k * 1000 + req.n);
}

static const dev_ext_t echo_ext = {.default_clock_hz = 1e9, .default_op = DEV_OP_MVM};
static const sim_model_t echo_model = {
    .name = "test_echo",
    .doc = "test device",
    .state_size = sizeof(echo_t),
    .init = echo_init,
    .handle = echo_handle,
    .ext = &echo_ext,
};

static void setup(void)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    sim_model_register(&echo_model);
}

/* Build dut (echo at 1 GHz) + drv with the given driver params; links fwd/ret. */
static sim_t *build(const char *const *drv_params, sim_time_t fwd, sim_time_t ret)
{
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(sim_add_clock(s, "dev", 1e9), 0);
    ck_assert_int_ge(sim_add_component(s, "dut", "test_echo", "dev", NULL), 0);
    int rc = sim_add_component(s, "drv", "op_driver", NULL, drv_params);
    ck_assert_msg(rc >= 0, "%s", sim_errmsg(s));
    ck_assert_int_ge(sim_add_link(s, "drv.out", "dut.in", fwd, 0), 0);
    ck_assert_int_ge(sim_add_link(s, "dut.out", "drv.in", ret, 0), 0);
    return s;
}

static void run_ok(sim_t *s)
{
    int rc = sim_init(s);
    ck_assert_msg(rc == 0, "init: %s", sim_errmsg(s));
    rc = sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    ck_assert_msg(rc == 0, "run: %s", sim_errmsg(s));
    sim_finish(s);
}

START_TEST(test_names)
{
    for (int k = 0; k <= DEV_OP_PROGRAM; k++)
        ck_assert_int_eq(dev_op_parse(dev_op_name(k)), k);
    ck_assert_int_eq(dev_op_parse("gemm"), DEV_OP_GEMM);
    ck_assert_int_eq(dev_op_parse("nope"), -1);
    ck_assert_str_eq(dev_op_name(99), "?");
    for (int f = 0; f <= DEV_VF_MUL; f++)
        ck_assert_int_eq(dev_vfunc_parse(dev_vfunc_name(f)), f);
    ck_assert_int_eq(dev_vfunc_parse("softmax"), DEV_VF_SOFTMAX);
    ck_assert_int_eq(dev_vfunc_parse(NULL), -1);
}
END_TEST

START_TEST(test_unit_closed_forms)
{
    dev_unit_t u = {.period_ps = 1000, .free_at = 0};
    dev_slot_t a, b, c;
    /* non-pipelined 10-cycle op twice at t=0: finishes at 10 and 20 ns */
    dev_unit_reserve(&u, 0, 10, 10, &a);
    dev_unit_reserve(&u, 0, 10, 10, &b);
    ck_assert_uint_eq(a.finish_ps, 10000);
    ck_assert_uint_eq(b.start_ps, 10000);
    ck_assert_uint_eq(b.finish_ps, 20000);
    ck_assert_uint_eq(b.latency_ps, 20000);
    ck_assert_uint_eq(b.wait_ps, 10000);
    /* arrival between edges starts at the next edge */
    dev_unit_reserve(&u, 25001, 3, 3, &c);
    ck_assert_uint_eq(c.start_ps, 26000);
    ck_assert_uint_eq(c.finish_ps, 29000);
    ck_assert_uint_eq(c.latency_ps, 29000 - 25001);
    /* pipelined: issue 4, latency 10: back to back finish at 10 and 14 */
    dev_unit_t p = {.period_ps = 500};
    dev_unit_reserve(&p, 0, 4, 10, &a);
    dev_unit_reserve(&p, 0, 4, 10, &b);
    ck_assert_uint_eq(a.finish_ps, 5000);
    ck_assert_uint_eq(b.start_ps, 2000);
    ck_assert_uint_eq(b.finish_ps, 7000);
    ck_assert_uint_eq(dev_ceil_div(7, 2), 4);
    ck_assert_uint_eq(dev_ceil_div(8, 2), 4);
}
END_TEST

/* two requests sent back to back complete at t and 2t */
START_TEST(test_queue_back_to_back)
{
    const char *p[] = {"op", "mvm", "m", "10", "k", "7", "n", "9", "count", "2",
                       "outstanding", "2", NULL};
    sim_t *s = build(p, 0, 1);
    run_ok(s);
    const map_drv_record_t *r;
    size_t n = map_driver_records(sim_comp_find(s, "drv"), &r);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(r[0].done_ps, 10000 + 1);
    ck_assert_uint_eq(r[1].done_ps, 20000 + 1);
    ck_assert_uint_eq(r[0].device_latency_ps, 10000);
    ck_assert_uint_eq(r[1].device_latency_ps, 20000);
    ck_assert_uint_eq(r[0].cycles, 10);
    ck_assert_uint_eq(r[0].bytes, 7009);
    ck_assert_uint_eq(r[0].kind, DEV_OP_MVM);
    ck_assert_uint_eq(r[0].seq, 0);
    ck_assert_uint_eq(r[1].seq, 1);
    ck_assert_double_eq(stat_of(s, "drv", "requests"), 2);
    ck_assert_double_eq(stat_of(s, "drv", "completed"), 2);
    ck_assert_double_eq(stat_of(s, "drv", "device_cycles"), 20);
    ck_assert_double_eq(stat_of(s, "drv", "device_span_ps"), 20000);
    ck_assert_double_eq(stat_of(s, "drv", "first_send_ps"), 0);
    ck_assert_double_eq(stat_of(s, "drv", "last_done_ps"), 20001);
    ck_assert_double_eq(stat_of(s, "drv", "latency_min_ps"), 10000);
    ck_assert_double_eq(stat_of(s, "drv", "latency_max_ps"), 20000);
    ck_assert_double_eq(stat_of(s, "drv", "latency_mean_ps"), 15000);
    ck_assert_double_eq(stat_of(s, "dut", "queue_wait_max_ps"), 10000);
    ck_assert_double_eq(stat_of(s, "dut", "ops"), 2);
    ck_assert_uint_eq(sim_busy_ps(sim_comp_find(s, "dut")), 20000);
    sim_destroy(s);
}
END_TEST

/* one at a time: the second leaves when the first returns (1 ps link), reaches
 * the device at 10001 ps and starts on the next edge (11 ns) */
START_TEST(test_sequential)
{
    const char *p[] = {"op", "mvm", "m", "10", "count", "2", NULL};
    sim_t *s = build(p, 0, 1);
    run_ok(s);
    const map_drv_record_t *r;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &r), 2);
    ck_assert_uint_eq(r[1].sent_ps, 10001);
    ck_assert_uint_eq(r[1].device_latency_ps, 21000 - 10001);
    ck_assert_uint_eq(r[1].done_ps, 21001);
    ck_assert_double_eq(stat_of(s, "drv", "device_span_ps"), 21000);
    ck_assert_double_eq(stat_of(s, "drv", "rtt_max_ps"), 11000);
    sim_destroy(s);
}
END_TEST

/* every dev_req_t field travels intact */
START_TEST(test_round_trip_fields)
{
    const char *p[] = {"op",        "vector", "m",         "2",    "k",           "3",
                       "n",         "4",      "weight_id", "17",   "read_after_s", "0.25",
                       "vfunc",     "gelu",   "no_reload", "true", NULL};
    sim_t *s = build(p, 5, 5);
    run_ok(s);
    const map_drv_record_t *r;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &r), 1);
    ck_assert_double_eq_tol(r[0].energy_pj, 17 + 0.25 + DEV_VF_GELU / 1000.0 + 1e-6, 1e-12);
    ck_assert_uint_eq(r[0].bytes, 3004);
    ck_assert_uint_eq(r[0].sent_ps, 0);
    ck_assert_uint_eq(r[0].done_ps, 1000 /* first edge after 5 ps */ + 2000 + 5);
    ck_assert_double_eq_tol(stat_of(s, "dut", "energy.echo"), r[0].energy_pj, 1e-12);
    ck_assert_double_eq_tol(stat_of(s, "drv", "device_energy_pj"), r[0].energy_pj, 1e-12);
    sim_destroy(s);
}
END_TEST

START_TEST(test_request_list)
{
    const char *p[] = {"requests", "op=mvm m=3 k=4 n=5 count=2; op=read m=64 k=8 op_id=9",
                       "outstanding", "8", NULL};
    sim_t *s = build(p, 0, 1);
    run_ok(s);
    const map_drv_record_t *r;
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), &r), 3);
    ck_assert_uint_eq(r[0].kind, DEV_OP_MVM);
    ck_assert_uint_eq(r[1].kind, DEV_OP_MVM);
    ck_assert_uint_eq(r[2].kind, DEV_OP_READ);
    ck_assert_uint_eq(r[2].bytes, 8000);
    /* all sent at 0: finish at 3, 6, 70 cycles */
    ck_assert_uint_eq(r[2].device_latency_ps, 70000);
    ck_assert_double_eq(stat_of(s, "drv", "device_cycles"), 70);
    sim_destroy(s);
}
END_TEST

/* many requests with a window of 1000 in flight: tags are reused, every
 * request completes, the device is never idle after the first: span = N x 3 cycles */
START_TEST(test_many_requests_window)
{
    const char *p[] = {"op", "mvm", "m", "3", "count", "200000", "outstanding", "1000", NULL};
    sim_t *s = build(p, 0, 1);
    run_ok(s);
    ck_assert_double_eq(stat_of(s, "drv", "completed"), 200000);
    ck_assert_double_eq(stat_of(s, "drv", "device_cycles"), 600000);
    ck_assert_double_eq(stat_of(s, "drv", "device_span_ps"), 600000 * 1000.0);
    const map_drv_record_t *r;
    size_t n = map_driver_records(sim_comp_find(s, "drv"), &r);
    ck_assert_uint_eq(n, MAP_DRV_RECORD_MAX);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(r[i].seq, i); /* FIFO device: completions in sending order */
    sim_destroy(s);
}
END_TEST

static void expect_init_error(const char *const *p, const char *needle)
{
    sim_t *s = build(p, 0, 1);
    ck_assert_int_ne(sim_init(s), 0);
    ck_assert_msg(strstr(sim_errmsg(s), needle), "message '%s' lacks '%s'", sim_errmsg(s),
                  needle);
    sim_destroy(s);
}

START_TEST(test_bad_request_lists)
{
    const char *p1[] = {"requests", "op=fly m=3", NULL};
    expect_init_error(p1, "unknown op 'fly'");
    const char *p2[] = {"requests", "op=mvm m=-3", NULL};
    expect_init_error(p2, "m '-3' is not an integer");
    const char *p3[] = {"requests", "op=mvm; m=3", NULL};
    expect_init_error(p3, "requests[1]: no op= given");
    const char *p4[] = {"requests", "op=mvm colour=red", NULL};
    expect_init_error(p4, "unknown key 'colour'");
    const char *p5[] = {"requests", "op=mvm count=0", NULL};
    expect_init_error(p5, "count must be >= 1");
}
END_TEST

START_TEST(test_bad_driver_params)
{
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    const char *p1[] = {"outstanding", "0", NULL};
    ck_assert_int_lt(sim_add_component(s, "d1", "op_driver", NULL, p1), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "outstanding"));
    const char *p2[] = {"op", "teleport", NULL};
    ck_assert_int_lt(sim_add_component(s, "d2", "op_driver", NULL, p2), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "op"));
    const char *p3[] = {"wobble", "1", NULL};
    ck_assert_int_lt(sim_add_component(s, "d3", "op_driver", NULL, p3), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "wobble"));
    sim_destroy(s);
}
END_TEST

START_TEST(test_device_fails_op)
{
    const char *p[] = {"op", "program", "k", "4", "n", "4", NULL};
    sim_t *s = build(p, 0, 1);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_ne(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "cannot do op 'program'"));
    sim_destroy(s);
}
END_TEST

START_TEST(test_device_needs_clock)
{
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    ck_assert_int_ge(sim_add_component(s, "dut", "test_echo", NULL, NULL), 0);
    ck_assert_int_ne(sim_init(s), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "needs a clock"));
    sim_destroy(s);
}
END_TEST

START_TEST(test_device_without_out_link)
{
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    ck_assert_int_eq(sim_add_clock(s, "dev", 1e9), 0);
    ck_assert_int_ge(sim_add_component(s, "dut", "test_echo", "dev", NULL), 0);
    const char *p[] = {"op", "mvm", NULL};
    ck_assert_int_ge(sim_add_component(s, "drv", "op_driver", NULL, p), 0);
    ck_assert_int_ge(sim_add_link(s, "drv.out", "dut.in", 1, 0), 0);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_ne(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "no link leaves port 'out'"));
    sim_destroy(s);
}
END_TEST

START_TEST(test_idle_driver)
{
    const char *p[] = {"op", "none", NULL};
    sim_t *s = build(p, 0, 1);
    run_ok(s);
    ck_assert_double_eq(stat_of(s, "drv", "requests"), 0);
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "drv"), NULL), 0);
    ck_assert_uint_eq(map_driver_records(sim_comp_find(s, "dut"), NULL), 0);
    sim_destroy(s);
}
END_TEST

START_TEST(test_device_list)
{
    const char *want[] = {"dram", "sram", "vector"};
    for (size_t w = 0; w < 3; w++) {
        const sim_model_t *m = sim_model_find(want[w]);
        ck_assert_ptr_nonnull(m);
        ck_assert_ptr_nonnull(dev_model_ext(m));
    }
    ck_assert_ptr_null(dev_model_ext(sim_model_find("op_driver")));
    ck_assert_ptr_null(dev_model_ext(&echo_model)); /* not registered by dev_register_all */
    size_t n = dev_model_count();
    ck_assert_uint_ge(n, 3);
    for (size_t i = 1; i < n; i++)
        ck_assert_int_lt(strcmp(dev_model_at(i - 1)->name, dev_model_at(i)->name), 0);
    ck_assert_ptr_null(dev_model_at(n));
    /* registering again changes nothing */
    dev_register_all();
    map_register_all();
    ck_assert_uint_eq(dev_model_count(), n);
}
END_TEST

/* Issue 22, finding 2: the request kinds each device is registered as
 * serving (what a schedule is checked against at load) are exactly those its
 * cost query, the function its handler runs, accepts: a small request of
 * every kind on a device built with its defaults. */
START_TEST(test_served_kinds_match_the_devices)
{
    for (size_t i = 0; i < dev_model_count(); i++) {
        const char *name = dev_model_at(i)->name;
        char yaml[256], err[512];
        snprintf(yaml, sizeof yaml,
                 "clocks: {core: 1GHz}\ncomponents:\n  x: {model: %s, clock: core}\n", name);
        sim_t *s = NULL;
        ck_assert_msg(sim_config_load_string(yaml, "t.yaml", NULL, &s, err, sizeof err) == 0, "%s",
                      err);
        ck_assert_msg(sim_init(s) == 0, "%s: %s", name, sim_errmsg(s));
        int served = 0;
        for (int k = 1; k <= DEV_OP_LAST; k++) {
            dev_req_t r = {.kind = (uint16_t)k, .vfunc = DEV_VF_ADD, .m = 4, .k = 4, .n = 4};
            if (k == DEV_OP_TRANSFER)
                r.k = 0, r.n = 1;
            dev_cost_t c;
            int ok = dev_cost(sim_comp_find(s, "x"), &r, &c, err, sizeof err) == 0;
            ck_assert_msg(ok == dev_model_serves(name, k), "%s: %s is %s by the cost query, %s",
                          name, dev_op_name(k), ok ? "accepted" : "refused",
                          ok ? "not registered" : "registered");
            served += ok;
        }
        ck_assert_msg(served > 0, "%s serves nothing", name);
        sim_destroy(s);
    }
    ck_assert(!dev_model_serves("noc_terminal", DEV_OP_READ));
    ck_assert(!dev_model_serves("sram", 0) && !dev_model_serves("sram", 99));
    ck_assert(!dev_model_serves(NULL, DEV_OP_READ));
}
END_TEST

/* Issue 13: every numeric parameter of every registered model has a range
 * (min <= max; a negative prog_c0 used to pass silently), and no default
 * cites a vague source ("common figure", "literature", "... papers") */
START_TEST(test_every_parameter_ranged_and_sourced)
{
    dev_register_all();
    static const char *const vague[] = {"common figure", "literature", "accelerator papers",
                                        "weight-bank papers", "PDK figures", NULL};
    for (size_t i = 0; i < sim_model_count(); i++) {
        const sim_model_t *m = sim_model_at(i);
        if (!m->params)
            continue;
        for (const sim_param_def_t *d = m->params; d->name; d++) {
            if (d->type == SIM_P_INT || d->type == SIM_P_REAL)
                ck_assert_msg(d->min <= d->max, "%s.%s has no range [%g, %g]", m->name,
                              d->name, d->min, d->max);
            for (int v = 0; vague[v] && d->source; v++)
                ck_assert_msg(!strstr(d->source, vague[v]), "%s.%s cites '%s': %s", m->name,
                              d->name, vague[v], d->source);
        }
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dev_common");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, test_names);
    tcase_add_test(t, test_unit_closed_forms);
    tcase_add_test(t, test_queue_back_to_back);
    tcase_add_test(t, test_sequential);
    tcase_add_test(t, test_round_trip_fields);
    tcase_add_test(t, test_request_list);
    tcase_add_test(t, test_many_requests_window);
    tcase_add_test(t, test_bad_request_lists);
    tcase_add_test(t, test_bad_driver_params);
    tcase_add_test(t, test_device_fails_op);
    tcase_add_test(t, test_device_needs_clock);
    tcase_add_test(t, test_device_without_out_link);
    tcase_add_test(t, test_idle_driver);
    tcase_add_test(t, test_device_list);
    tcase_add_test(t, test_served_kinds_match_the_devices);
    tcase_add_test(t, test_every_parameter_ranged_and_sourced);
    suite_add_tcase(s, t);
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
