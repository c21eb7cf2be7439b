/* Schedules as files and chips of many units: transfers between units conserve
 * bytes and cost what the wire model says; a schedule round-trips through JSON;
 * unknown units, unknown ops and capacity overflows are refused with one
 * sentence; a driver reaches any number of units of any name. */
#include "devices/dev.h"
#include "mapper/map.h"
#include "noc/noc.h"
#include "sim/sim.h"
#include "tests/check_stats.h"
#include "workloads/wl.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static void setup(void)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/prism-schedule-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

static const char *tpath(const char *name)
{
    static char buf[2][512];
    static int k;
    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void put(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static sim_t *load_cfg(const char *yaml)
{
    sim_t *s = NULL;
    char err[1024];
    int rc = sim_config_load_string(yaml, "t.yaml", NULL, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    return s;
}

/* Two memories joined by two wires (one each way) and driven by one driver. */
static const char *XFER_CFG =
    "clocks: {core: 1GHz}\n"
    "components:\n"
    "  drv: {model: schedule_driver}\n"
    "  a: {model: sram, clock: core}\n"
    "  b: {model: sram, clock: core}\n"
    "  ab: {model: wire, clock: core, width_bytes: 16, length_mm: 2, latency_cycles: 3}\n"
    "  ba: {model: wire, clock: core, width_bytes: 16, length_mm: 2, latency_cycles: 3}\n"
    "links:\n"
    "  - {from: drv.a, to: a.in, latency: 1ns}\n"
    "  - {from: drv.b, to: b.in, latency: 1ns}\n"
    "  - {from: drv.ab, to: ab.in, latency: 1ns}\n"
    "  - {from: drv.ba, to: ba.in, latency: 1ns}\n"
    "  - {from: a.out, to: drv.done, latency: 1ns}\n"
    "  - {from: b.out, to: drv.done, latency: 1ns}\n"
    "  - {from: ab.out, to: drv.done, latency: 1ns}\n"
    "  - {from: ba.out, to: drv.done, latency: 1ns}\n";

/* read 4000 B on a, carry them to b, write on b, carry 1000 B back: the
 * transfers wait for what they carry */
static const char *XFER_SCHED =
    "{\"workload\": \"hand\", \"schedule\": [\n"
    " {\"op\": \"x\", \"kind\": \"read\", \"unit\": \"a\", \"request\": {\"op\": \"read\", "
    "\"m\": 4000, \"k\": 0, \"n\": 0}, \"after\": []},\n"
    " {\"op\": \"x\", \"kind\": \"transfer\", \"unit\": \"ab\", \"request\": {\"op\": "
    "\"transfer\", \"m\": 4000, \"from\": \"a\", \"to\": \"b\"}, \"after\": [0]},\n"
    " {\"op\": \"y\", \"kind\": \"write\", \"unit\": \"b\", \"request\": {\"op\": \"write\", "
    "\"m\": 4000, \"k\": 0, \"n\": 0}, \"after\": [1]},\n"
    " {\"op\": \"y\", \"kind\": \"transfer\", \"unit\": \"ba\", \"request\": {\"op\": "
    "\"transfer\", \"m\": 1000, \"from\": \"b\", \"to\": \"a\"}, \"reps\": 3, \"after\": [2]}\n"
    "]}\n";

START_TEST(test_transfers_conserve_bytes)
{
    sim_t *s = load_cfg(XFER_CFG);
    put(tpath("x.json"), XFER_SCHED);
    char err[1024];
    ck_assert_msg(map_schedule_attach_file(s, tpath("x.json"), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    sim_finish(s);
    /* what left each unit arrived at the other, and the wires carried exactly that */
    double out_a = stat_of(s, "drv", "transfer_bytes_out.a");
    double out_b = stat_of(s, "drv", "transfer_bytes_out.b");
    double in_a = stat_of(s, "drv", "transfer_bytes_in.a");
    double in_b = stat_of(s, "drv", "transfer_bytes_in.b");
    ck_assert_double_eq(out_a, 4000);
    ck_assert_double_eq(in_b, 4000);
    ck_assert_double_eq(out_b, 3000);
    ck_assert_double_eq(in_a, 3000);
    ck_assert_double_eq(out_a + out_b, in_a + in_b);
    ck_assert_double_eq(stat_of(s, "drv", "transfer_bytes"), 7000);
    ck_assert_double_eq(stat_of(s, "ab", "bytes") + stat_of(s, "ba", "bytes"), 7000);
    ck_assert_double_eq(stat_of(s, "drv", "transfers"), 4);
    /* energy on the wires: bytes x 8 bits x 0.1 pJ/bit/mm x 2 mm */
    ck_assert(fabs(sim_energy_pj(sim_comp_find(s, "ab")) - 4000 * 8 * 0.1 * 2) < 1e-6);
    ck_assert(fabs(sim_energy_pj(sim_comp_find(s, "ba")) - 3000 * 8 * 0.1 * 2) < 1e-6);
    /* the ab wire is busy ceil(4000 / 16) = 250 cycles */
    ck_assert_uint_eq(sim_busy_ps(sim_comp_find(s, "ab")), 250000);
    ck_assert_double_eq(stat_of(s, "drv", "entries_done"), 4);
    sim_destroy(s);
}
END_TEST

/* The same chip with a 2x2 mesh joining a (node 0) and b (node 3): the
 * schedule names the wires, but both ends sit at nodes, so the network
 * carries the transfers and the wires stay idle. */
static const char *XFER_NET = "network:\n"
                              "  topology: mesh\n"
                              "  k: 2\n"
                              "  clock: core\n"
                              "  prefix: n_\n"
                              "  attach.0: a\n"
                              "  attach.3: b\n";
static const char *XFER_NET_LINKS = "  - {from: drv.n_t0, to: n_t0.in, latency: 1ns}\n"
                                    "  - {from: drv.n_t3, to: n_t3.in, latency: 1ns}\n"
                                    "  - {from: n_t0.out, to: drv.done, latency: 1ns}\n"
                                    "  - {from: n_t3.out, to: drv.done, latency: 1ns}\n";

static double sum_stat(sim_t *s, const char *model, const char *name)
{
    double v = 0;
    for (size_t i = 0; i < sim_comp_count(s); i++) {
        sim_comp_t *c = sim_comp_at(s, i);
        if (strcmp(sim_comp_model(c), model))
            continue;
        for (size_t j = 0; j < sim_stat_count(c); j++)
            if (!strcmp(sim_stat_name(c, j), name))
                v += sim_stat_value(c, j);
    }
    return v;
}

static char *net_cfg(const char *links)
{
    const char *cut = strstr(XFER_CFG, "links:\n");
    size_t n = strlen(XFER_CFG) + strlen(XFER_NET) + strlen(links) + 1;
    char *t = malloc(n);
    ck_assert_ptr_nonnull(t);
    snprintf(t, n, "%.*s%s%s%s", (int)(cut - XFER_CFG), XFER_CFG, XFER_NET, cut, links);
    return t;
}

START_TEST(test_transfers_over_the_network)
{
    char *yaml = net_cfg(XFER_NET_LINKS);
    sim_t *s = load_cfg(yaml);
    free(yaml);
    put(tpath("x.json"), XFER_SCHED);
    char err[1024];
    ck_assert_msg(map_schedule_attach_file(s, tpath("x.json"), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(sim_init(s), 0);
    map_schedule_t *sched = map_attached(s, "drv");
    ck_assert_ptr_nonnull(sched);
    map_estimate_t est;
    ck_assert_msg(map_estimate(s, sched, &est, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    sim_finish(s);
    ck_assert_double_eq(stat_of(s, "drv", "entries_done"), 4);
    /* bytes out = bytes in = bytes the network took and delivered; none on the wires */
    double out =
        stat_of(s, "drv", "transfer_bytes_out.a") + stat_of(s, "drv", "transfer_bytes_out.b");
    double in = stat_of(s, "drv", "transfer_bytes_in.a") + stat_of(s, "drv", "transfer_bytes_in.b");
    ck_assert_double_eq(stat_of(s, "drv", "transfer_bytes_out.a"), 4000);
    ck_assert_double_eq(stat_of(s, "drv", "transfer_bytes_in.a"), 3000);
    ck_assert_double_eq(out, 7000);
    ck_assert_double_eq(in, 7000);
    ck_assert_double_eq(sum_stat(s, "noc_terminal", "message_bytes_sent"), 7000);
    ck_assert_double_eq(sum_stat(s, "noc_terminal", "message_bytes_delivered"), 7000);
    ck_assert_double_eq(stat_of(s, "ab", "bytes") + stat_of(s, "ba", "bytes"), 0);
    ck_assert_double_eq(stat_of(s, "drv", "transfers"), 4);
    /* 4000 B from node 0 to node 3 on an idle mesh: 250 flits of 16 B through
     * 3 routers: 2 + 4 x 3 cycles for the head (docs/noc.md), 249 more */
    ck_assert_uint_eq(sched->exec.entries[1].res.cycles, 2 + 4 * 3 + 249);
    /* energy: per flit 128 bits x (3 routers x 0.43 pJ/bit + 2 links x 1 mm x
     * 0.1 pJ/bit/mm); 250 flits one way, 3 x ceil(1000 / 16) = 189 back */
    double per_flit = 128 * (3 * 0.43 + 2 * 1 * 0.1), e_net = 0;
    for (size_t i = 0; i < sim_comp_count(s); i++)
        if (!strcmp(sim_comp_model(sim_comp_at(s, i)), "iq_router"))
            e_net += sim_energy_pj(sim_comp_at(s, i));
    ck_assert_msg(fabs(e_net - (250 + 189) * per_flit) < 1e-6, "network energy %g pJ", e_net);
    /* the estimate prices it the same way */
    double rt = (double)est.makespan_ps / (double)sim_end_ps(s);
    ck_assert_msg(rt > 0.99 && rt < 1.01, "estimate %llu ps, simulation %llu ps",
                  (unsigned long long)est.makespan_ps, (unsigned long long)sim_end_ps(s));
    ck_assert_msg(fabs(est.dynamic_pj - (250 + 189) * per_flit -
                       (stat_of(s, "drv", "device_energy_pj"))) < 1e-3,
                  "estimate dynamic %g pJ", est.dynamic_pj);
    map_estimate_free(&est);
    sim_destroy(s);
}
END_TEST

START_TEST(test_network_refusals)
{
    char err[1024];
    sim_t *s = NULL;
    /* a unit at a node the driver cannot reach */
    char *yaml = net_cfg("");
    s = load_cfg(yaml);
    free(yaml);
    put(tpath("x.json"), XFER_SCHED);
    ck_assert_int_ne(map_schedule_attach_file(s, tpath("x.json"), err, sizeof err), 0);
    ck_assert_msg(strstr(err, "unit 'a' sits at network node 0 (terminal 'n_t0')") &&
                      strstr(err, "link drv.n_t0 to n_t0.in"),
                  "%s", err);
    sim_destroy(s);
    /* attach lines that name nothing, twice, a node that is not there, a bad range */
    static const struct {
        const char *line, *msg;
    } bad[] = {
        {"  attach.1: zz\n", "attach.1: no component 'zz' to attach"},
        {"  attach.1: a\n", "attach.1: component 'a' is attached twice"},
        {"  attach.9: ab\n", "attach.9: '9' is not a node of this network (0..3)"},
        {"  attach.1: a3..b1\n", "is not a range like xb0..xb7"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *base = net_cfg(XFER_NET_LINKS), text[4096];
        char *cut = strstr(base, "links:\n");
        snprintf(text, sizeof text, "%.*s%s%s", (int)(cut - base), base, bad[i].line, cut);
        free(base);
        s = NULL;
        ck_assert_int_ne(sim_config_load_string(text, "t.yaml", NULL, &s, err, sizeof err), 0);
        ck_assert_msg(strstr(err, bad[i].msg) && strstr(err, "t.yaml"), "%s", err);
        sim_destroy(s);
    }
}
END_TEST

/* Forwarding: a reads 4096 B and hands them to b's vector op. Round trip:
 * the driver hears the read, issues a transfer on the wire ab (16 B/cycle,
 * 1 cycle), hears it, issues the op. Forwarded: a sends the bytes with the
 * op's request over its link a.b (16 GB/s, 1 ns) and the driver hears only
 * the op's completion. */
static const char *FWD_CFG =
    "clocks: {core: 1GHz}\n"
    "components:\n"
    "  drv: {model: schedule_driver}\n"
    "  a: {model: sram, clock: core}\n"
    "  b: {model: vector, clock: core}\n"
    "  ab: {model: wire, clock: core, width_bytes: 16, length_mm: 2, latency_cycles: 1}\n"
    "links:\n"
    "  - {from: drv.a, to: a.in, latency: 1ns}\n"
    "  - {from: drv.b, to: b.in, latency: 1ns}\n"
    "  - {from: drv.ab, to: ab.in, latency: 1ns}\n"
    "  - {from: a.out, to: drv.done, latency: 1ns}\n"
    "  - {from: b.out, to: drv.done, latency: 1ns}\n"
    "  - {from: ab.out, to: drv.done, latency: 1ns}\n"
    "  - {from: a.b, to: b.in, latency: 1ns, bandwidth: 16GB/s}\n";
#define FWD_READ                                                                                   \
    " {\"op\": \"x\", \"kind\": \"read\", \"unit\": \"a\", \"request\": {\"op\": \"read\", "       \
    "\"m\": 4096, \"k\": 0, \"n\": 0}, "
#define FWD_RELU                                                                                   \
    " {\"op\": \"y\", \"kind\": \"activation\", \"unit\": \"b\", \"request\": {\"op\": "           \
    "\"vector\", \"vfunc\": \"relu\", \"m\": 16, \"k\": 0, \"n\": 64}, "
static const char *FWD_ROUND_TRIP =
    "{\"workload\": \"hand\", \"schedule\": [\n" FWD_READ "\"after\": []},\n"
    " {\"op\": \"x\", \"kind\": \"transfer\", \"unit\": \"ab\", \"request\": {\"op\": "
    "\"transfer\", \"m\": 4096, \"from\": \"a\", \"to\": \"b\"}, \"after\": [0]},\n" FWD_RELU
    "\"after\": [1]}\n]}\n";
static const char *FWD_FORWARDED =
    "{\"workload\": \"hand\", \"schedule\": [\n" FWD_READ
    "\"forward\": {\"to\": 1, \"bytes\": 4096}, \"after\": []},\n" FWD_RELU "\"after\": [0]}\n]}\n";

/* runs `sched` on config `cfg`; end time, estimate, and the run (caller destroys) */
static sim_t *fwd_run(const char *cfg, const char *sched, const char *name, map_estimate_t *est)
{
    sim_t *s = load_cfg(cfg);
    put(tpath(name), sched);
    char err[1024];
    ck_assert_msg(map_schedule_attach_file(s, tpath(name), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_msg(map_estimate(s, map_attached(s, "drv"), est, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
    return s;
}

START_TEST(test_forwarding)
{
    map_estimate_t e_rt, e_fw;
    sim_t *rt = fwd_run(FWD_CFG, FWD_ROUND_TRIP, "rt.json", &e_rt);
    sim_t *fw = fwd_run(FWD_CFG, FWD_FORWARDED, "fw.json", &e_fw);
    sim_time_t t_rt = sim_end_ps(rt), t_fw = sim_end_ps(fw);
    fprintf(stderr,
            "forwarding: round trip %llu ps (estimate %llu), forwarded %llu ps (estimate %llu)\n",
            (unsigned long long)t_rt, (unsigned long long)e_rt.makespan_ps,
            (unsigned long long)t_fw, (unsigned long long)e_fw.makespan_ps);
    /* every entry done, the driver heard one completion, and sooner */
    ck_assert_double_eq(stat_of(fw, "drv", "entries_done"), 2);
    ck_assert_double_eq(stat_of(fw, "drv", "completed"), 1);
    ck_assert_double_eq(stat_of(rt, "drv", "completed"), 3);
    ck_assert_uint_le(t_fw, t_rt);
    /* the 4096 bytes left a once and crossed the link a.b to b, which ran its op */
    ck_assert_double_eq(stat_of(fw, "a", "forwarded_bytes"), 4096);
    ck_assert_double_eq(stat_of(fw, "b", "ops"), 1);
    uint64_t over_link = 0;
    for (size_t i = 0; i < sim_link_count(fw); i++) {
        sim_link_info_t li;
        sim_link_get(fw, i, &li);
        if (!strcmp(li.from, "a.b"))
            over_link = li.bytes;
    }
    ck_assert_uint_eq(over_link, 4096);
    ck_assert_double_eq(stat_of(rt, "ab", "bytes"), 4096);
    /* the estimate replays the same rule */
    for (int k = 0; k < 2; k++) {
        double r = (double)(k ? e_fw : e_rt).makespan_ps / (double)(k ? t_fw : t_rt);
        ck_assert_msg(r > 0.9 && r < 1.1, "estimate / simulation = %g", r);
    }
    map_estimate_free(&e_rt);
    map_estimate_free(&e_fw);
    sim_destroy(rt);
    sim_destroy(fw);
    /* refused: a successor that waits for something else too, and a
     * forward without a link between the units */
    char err[1024];
    sim_t *s = load_cfg(FWD_CFG);
    put(tpath("bad.json"), "{\"workload\": \"hand\", \"schedule\": [\n" FWD_READ
                           "\"forward\": {\"to\": 2, \"bytes\": 64}, \"after\": []},\n" FWD_READ
                           "\"after\": []},\n" FWD_RELU "\"after\": [0, 1]}\n]}\n");
    ck_assert_int_ne(map_schedule_attach_file(s, tpath("bad.json"), err, sizeof err), 0);
    ck_assert_msg(strstr(err, "forward to entry 2: it must wait for this entry only"), "%s", err);
    sim_destroy(s);
    char *cfg = strdup(FWD_CFG);
    *strstr(cfg, "  - {from: a.b") = '\0';
    s = load_cfg(cfg);
    free(cfg);
    put(tpath("nolink.json"), FWD_FORWARDED);
    ck_assert_int_ne(map_schedule_attach_file(s, tpath("nolink.json"), err, sizeof err), 0);
    ck_assert_msg(strstr(err, "no link joins them: add {from: a.b, to: b.in}"), "%s", err);
    sim_destroy(s);
}
END_TEST

/* The same chain over a 2x2 mesh (a at node 0, b at node 3): a sends the
 * bytes through its terminal (a.net), b's request waits at b's terminal
 * until they arrive (n_t3.b). Round trip: a transfer between a and b, which
 * the network carries (docs/mapper.md, "Units and transfers"). */
static const char *FWD_NET_CFG =
    "clocks: {core: 1GHz}\n"
    "components:\n"
    "  drv: {model: schedule_driver}\n"
    "  a: {model: sram, clock: core}\n"
    "  b: {model: vector, clock: core}\n"
    "network: {topology: mesh, k: 2, clock: core, prefix: n_, attach.0: a, attach.3: b}\n"
    "links:\n"
    "  - {from: drv.a, to: a.in, latency: 1ns}\n"
    "  - {from: drv.b, to: b.in, latency: 1ns}\n"
    "  - {from: a.out, to: drv.done, latency: 1ns}\n"
    "  - {from: b.out, to: drv.done, latency: 1ns}\n"
    "  - {from: drv.n_t0, to: n_t0.in, latency: 1ns}\n"
    "  - {from: drv.n_t3, to: n_t3.in, latency: 1ns}\n"
    "  - {from: n_t0.out, to: drv.done, latency: 1ns}\n"
    "  - {from: n_t3.out, to: drv.done, latency: 1ns}\n"
    "  - {from: a.net, to: n_t0.in, latency: 1ns}\n"
    "  - {from: n_t3.b, to: b.in, latency: 1ns}\n";
static const char *FWD_NET_ROUND_TRIP =
    "{\"workload\": \"hand\", \"schedule\": [\n" FWD_READ "\"after\": []},\n"
    " {\"op\": \"x\", \"kind\": \"transfer\", \"unit\": \"b\", \"request\": {\"op\": "
    "\"transfer\", \"m\": 4096, \"from\": \"a\", \"to\": \"b\"}, \"after\": [0]},\n" FWD_RELU
    "\"after\": [1]}\n]}\n";

START_TEST(test_forwarding_over_the_network)
{
    map_estimate_t e_rt, e_fw;
    sim_t *rt = fwd_run(FWD_NET_CFG, FWD_NET_ROUND_TRIP, "nrt.json", &e_rt);
    sim_t *fw = fwd_run(FWD_NET_CFG, FWD_FORWARDED, "nfw.json", &e_fw);
    sim_time_t t_rt = sim_end_ps(rt), t_fw = sim_end_ps(fw);
    fprintf(stderr,
            "forwarding over the network: round trip %llu ps (estimate %llu), forwarded %llu ps "
            "(estimate %llu)\n",
            (unsigned long long)t_rt, (unsigned long long)e_rt.makespan_ps,
            (unsigned long long)t_fw, (unsigned long long)e_fw.makespan_ps);
    ck_assert_double_eq(stat_of(fw, "drv", "entries_done"), 2);
    ck_assert_double_eq(stat_of(fw, "drv", "completed"), 1);
    ck_assert_uint_le(t_fw, t_rt);
    /* the bytes a handed on = the bytes its terminal took = those b's delivered */
    ck_assert_double_eq(stat_of(fw, "a", "forwarded_bytes"), 4096);
    ck_assert_double_eq(stat_of(fw, "n_t0", "message_bytes_sent"), 4096);
    ck_assert_double_eq(stat_of(fw, "n_t3", "message_bytes_delivered"), 4096);
    ck_assert_double_eq(stat_of(fw, "b", "ops"), 1);
    /* and the routers charged them as they charge a transfer: 256 flits of
     * 16 B through 3 routers and 2 links */
    double e_net = 0;
    for (size_t i = 0; i < sim_comp_count(fw); i++)
        if (!strcmp(sim_comp_model(sim_comp_at(fw, i)), "iq_router"))
            e_net += sim_energy_pj(sim_comp_at(fw, i));
    ck_assert_msg(fabs(e_net - 256 * 128 * (3 * 0.43 + 2 * 0.1)) < 1e-6, "%g pJ", e_net);
    for (int k = 0; k < 2; k++) {
        double r = (double)(k ? e_fw : e_rt).makespan_ps / (double)(k ? t_fw : t_rt);
        ck_assert_msg(r > 0.9 && r < 1.1, "estimate / simulation = %g", r);
    }
    map_estimate_free(&e_rt);
    map_estimate_free(&e_fw);
    sim_destroy(rt);
    sim_destroy(fw);
    /* without a's link to its terminal the schedule is refused, naming both ways */
    char *cfg = strdup(FWD_NET_CFG), err[1024];
    *strstr(cfg, "  - {from: a.net") = '\0';
    sim_t *s = load_cfg(cfg);
    free(cfg);
    put(tpath("nonet.json"), FWD_FORWARDED);
    ck_assert_int_ne(map_schedule_attach_file(s, tpath("nonet.json"), err, sizeof err), 0);
    ck_assert_msg(strstr(err, "or, over the network, {from: a.net, to: n_t0.in} and {from: "
                              "n_t3.b, to: b.in}"),
                  "%s", err);
    sim_destroy(s);
}
END_TEST

/* Issue 22, findings 2 and 9: a request to a unit whose model cannot serve it
 * (any request to a network terminal, a read on a vector unit) and a transfer
 * from a unit that is not on the network are refused when the schedule is
 * loaded, naming the entry and the unit, not dropped or failed mid-run. */
START_TEST(test_requests_checked_against_the_unit)
{
    static const char *reqs[] = {
        "{\"op\": \"read\", \"m\": 64, \"k\": 0, \"n\": 0}",
        "{\"op\": \"vector\", \"vfunc\": \"relu\", \"m\": 1, \"k\": 0, \"n\": 8}",
        "{\"op\": \"gemm\", \"m\": 1, \"k\": 8, \"n\": 8}",
        "{\"op\": \"transfer\", \"m\": 64, \"from\": \"a\", \"to\": \"b\"}",
    };
    char err[1024], text[2048];
    for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++) {
        sim_t *s = load_cfg(FWD_NET_CFG);
        snprintf(text, sizeof text,
                 "{\"workload\": \"hand\", \"schedule\": [\n" FWD_READ "\"after\": []},\n"
                 " {\"op\": \"t\", \"unit\": \"n_t3\", \"request\": %s, \"after\": [0]},\n" FWD_RELU
                 "\"after\": [1]}\n]}\n",
                 reqs[i]);
        put(tpath("term.json"), text);
        int rc = map_schedule_attach_file(s, tpath("term.json"), err, sizeof err);
        /* a transfer between two units on the network rides it whatever the entry's unit */
        if (strstr(reqs[i], "transfer")) {
            ck_assert_msg(rc == 0, "%s", err);
            sim_destroy(s);
            continue;
        }
        ck_assert_int_ne(rc, 0);
        ck_assert_msg(strstr(err, "schedule entry 1 (op 't'): unit 'n_t3' (noc_terminal 'n_t3') "
                                  "cannot serve a '") &&
                          strstr(err, "it serves no requests"),
                      "%s", err);
        sim_destroy(s);
    }
    /* a model that serves other kinds says which */
    sim_t *s = load_cfg(FWD_NET_CFG);
    snprintf(text, sizeof text,
             "{\"workload\": \"hand\", \"schedule\": [\n"
             " {\"op\": \"r\", \"unit\": \"b\", \"request\": %s, \"after\": []}\n]}\n",
             reqs[0]);
    put(tpath("vec.json"), text);
    ck_assert_int_ne(map_schedule_attach_file(s, tpath("vec.json"), err, sizeof err), 0);
    ck_assert_msg(strstr(err, "schedule entry 0 (op 'r'): unit 'b' (vector 'b') cannot serve a "
                              "'read' request (it does vector)"),
                  "%s", err);
    sim_destroy(s);
    /* unit c is linked to the driver but sits at no node: a transfer from it
     * to b (on the network) has nothing to carry it */
    char cfg[4096];
    snprintf(cfg, sizeof cfg,
             "%s  - {from: drv.c, to: c.in, latency: 1ns}\n"
             "  - {from: c.out, to: drv.done, latency: 1ns}\n",
             FWD_NET_CFG);
    char *at = strstr(cfg, "  b: {model: vector");
    memmove(at + 35, at, strlen(at) + 1);
    memcpy(at, "  c: {model: sram, clock: core}   \n", 35);
    s = load_cfg(cfg);
    put(tpath("unattached.json"),
        "{\"workload\": \"hand\", \"schedule\": [\n"
        " {\"op\": \"x\", \"unit\": \"b\", \"request\": {\"op\": \"transfer\", \"m\": 64, "
        "\"from\": \"c\", \"to\": \"b\"}, \"after\": []}\n]}\n");
    ck_assert_int_ne(map_schedule_attach_file(s, tpath("unattached.json"), err, sizeof err), 0);
    ck_assert_msg(strstr(err, "schedule entry 0 (op 'x'): transfer from unit 'c' to 'b': unit 'c' "
                              "is not attached to the network"),
                  "%s", err);
    sim_destroy(s);
}
END_TEST

START_TEST(test_transfer_cost_query)
{
    sim_t *s = load_cfg(XFER_CFG);
    put(tpath("x.json"), XFER_SCHED);
    char err[1024];
    ck_assert_int_eq(map_schedule_attach_file(s, tpath("x.json"), err, sizeof err), 0);
    ck_assert_int_eq(sim_init(s), 0);
    dev_req_t r;
    memset(&r, 0, sizeof r);
    r.kind = DEV_OP_TRANSFER;
    r.m = 4000;
    dev_cost_t k;
    ck_assert_int_eq(dev_cost(sim_comp_find(s, "ab"), &r, &k, err, sizeof err), 0);
    ck_assert_uint_eq(k.issue_cycles, 250);
    ck_assert_uint_eq(k.cycles, 253);
    ck_assert_uint_eq(k.latency_ps, 253000);
    ck_assert(fabs(k.energy_pj - 6400.0) < 1e-9);
    /* a driver answers no cost queries */
    ck_assert_int_ne(dev_cost(sim_comp_find(s, "drv"), &r, &k, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "answers no cost queries"));
    /* a wire cannot read */
    r.kind = DEV_OP_READ;
    ck_assert_int_ne(dev_cost(sim_comp_find(s, "ab"), &r, &k, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "wire 'ab' cannot do read"));
    sim_destroy(s);
}
END_TEST

static int attach_text(const char *cfg, const char *json, char *err, size_t n)
{
    sim_t *s = load_cfg(cfg);
    put(tpath("e.json"), json);
    int rc = map_schedule_attach_file(s, tpath("e.json"), err, n);
    sim_destroy(s);
    return rc;
}

START_TEST(test_refusals)
{
    char err[1024];
    /* unknown unit */
    ck_assert_int_ne(attach_text(XFER_CFG,
                                 "{\"schedule\": [{\"op\": \"q\", \"unit\": \"rram7\", "
                                 "\"request\": {\"op\": \"read\", \"m\": 8}}]}",
                                 err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(err, "schedule[0] (op 'q'): unknown unit 'rram7'"));
    ck_assert_ptr_nonnull(strstr(err, "links a, b, ab, ba"));
    /* a transfer to a unit that is not there */
    ck_assert_int_ne(attach_text(XFER_CFG,
                                 "{\"schedule\": [{\"unit\": \"ab\", \"request\": {\"op\": "
                                 "\"transfer\", \"m\": 8, \"from\": \"a\", \"to\": \"c\"}}]}",
                                 err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(err, "transfer to unit 'c' is not a unit"));
    /* unknown device op */
    ck_assert_int_ne(attach_text(XFER_CFG,
                                 "{\"schedule\": [{\"unit\": \"a\", \"request\": {\"op\": "
                                 "\"fly\", \"m\": 8}}]}",
                                 err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(err, "schedule[0].request.op 'fly' is not one of"));
    /* an operand dtype that is not one */
    ck_assert_int_ne(attach_text(XFER_CFG,
                                 "{\"schedule\": [{\"unit\": \"a\", \"request\": {\"op\": "
                                 "\"read\", \"m\": 8, \"dtype\": \"f33\"}}]}",
                                 err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(err, "schedule[0].request.dtype 'f33' is not a dtype"));
    /* capacity: a read beyond the 256 KiB SRAM */
    ck_assert_int_ne(attach_text(XFER_CFG,
                                 "{\"schedule\": [{\"op\": \"big\", \"unit\": \"a\", "
                                 "\"request\": {\"op\": \"read\", \"m\": 300000, \"k\": 0}}]}",
                                 err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(err, "overflows unit 'a' (sram 'a', 262144 bytes)"));
    /* capacity: a crossbar without tiling cannot hold a 300 x 10 matrix */
    const char *xb = "clocks: {core: 1GHz}\n"
                     "components:\n"
                     "  drv: {model: schedule_driver}\n"
                     "  x: {model: rram_xbar, clock: core, rows: 128, cols: 128}\n"
                     "links:\n"
                     "  - {from: drv.x, to: x.in, latency: 1ns}\n"
                     "  - {from: x.out, to: drv.done, latency: 1ns}\n";
    ck_assert_int_ne(attach_text(xb,
                                 "{\"schedule\": [{\"op\": \"fc\", \"unit\": \"x\", \"request\": "
                                 "{\"op\": \"program\", \"m\": 0, \"k\": 300, \"n\": 10}}]}",
                                 err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(err, "a 300 x 10 weight overflows unit 'x'"));
    /* capacity: two different matrices both resident on one crossbar */
    ck_assert_int_ne(attach_text(xb,
                                 "{\"schedule\": [{\"op\": \"a\", \"unit\": \"x\", \"request\": "
                                 "{\"op\": \"mvm\", \"m\": 1, \"k\": 100, \"n\": 10, "
                                 "\"weight_id\": 1, \"no_reload\": true}}, {\"op\": \"b\", "
                                 "\"unit\": \"x\", \"request\": {\"op\": \"mvm\", \"m\": 1, "
                                 "\"k\": 100, \"n\": 10, \"weight_id\": 2, \"no_reload\": true}}]}",
                                 err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(err, "unit 'x' already holds weights 1 (entry 0) as resident"));
    /* unknown op of a named workload */
    ck_assert_int_ne(attach_text(XFER_CFG,
                                 "{\"spec\": \"resnet18\", \"schedule\": [{\"op\": \"nope\", "
                                 "\"op_id\": 1, \"unit\": null}]}",
                                 err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(err, "unknown op 'nope': op 1 of workload 'resnet18' is"));
    ck_assert_int_ne(attach_text(XFER_CFG,
                                 "{\"spec\": \"resnet18\", \"schedule\": [{\"op\": \"x\", "
                                 "\"op_id\": 100000, \"unit\": null}]}",
                                 err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(err, "unknown op: op_id 100000"));
    /* not JSON; predecessors that are not earlier */
    ck_assert_int_ne(attach_text(XFER_CFG, "{\"schedule\": [", err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "not valid JSON"));
    ck_assert_int_ne(attach_text(XFER_CFG, "{\"schedule\": [{\"after\": [0]}]}", err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(err, "schedule[0].after: 0 is not the index of an earlier"));
}
END_TEST

/* Issue 22: values a schedule file must not get through (each was accepted
 * before, and wrapped, hung or was silently ignored). */
START_TEST(test_issue22_refusals)
{
    static const struct {
        const char *json, *msg;
    } bad[] = {
        /* finding 3: 2^22 x 2^22 x 2^22 MACs wrap the 64-bit MAC count */
        {"{\"schedule\": [{\"op\": \"g\", \"unit\": \"a\", \"request\": {\"op\": \"gemm\", "
         "\"m\": 4194304, \"k\": 4194304, \"n\": 4194304}}]}",
         "schedule[0]: gemm 4194304x4194304x4194304 x 1 reps overflows 64-bit counters"},
        /* finding 7: reps up to 2^53 ran for centuries */
        {"{\"schedule\": [{\"unit\": \"a\", \"reps\": 9007199254740992, \"request\": {\"op\": "
         "\"read\", \"m\": 8}}]}",
         "schedule[0].reps is not an integer in [1, 10000000]"},
        {"{\"schedule\": [{\"unit\": \"a\", \"reps\": 10000001, \"request\": {\"op\": "
         "\"read\", \"m\": 8}}]}",
         "schedule[0].reps is not an integer in [1, 10000000]"},
        /* finding 6: doubles cast to int out of range (UB), negatives taken */
        {"{\"shape\": {\"kv_len\": 1e300}, \"schedule\": []}", "shape.kv_len is not -1"},
        {"{\"shape\": {\"kv_len\": -5}, \"schedule\": []}", "shape.kv_len is not -1"},
        {"{\"shape\": {\"kv_len\": 2.5}, \"schedule\": []}", "shape.kv_len is not -1"},
        {"{\"schedule\": [{\"layer\": 1e300}]}", "schedule[0].layer is not an integer"},
        {"{\"schedule\": [{\"layer\": -1}]}", "schedule[0].layer is not an integer"},
        /* finding 8: zero counts, a transfer to itself, a key given twice */
        {"{\"shape\": {\"batch\": 0}, \"schedule\": []}", "shape.batch is not a count in [1"},
        {"{\"shape\": {\"seq\": 0}, \"schedule\": []}", "shape.seq is not a count in [1"},
        {"{\"schedule\": [{\"unit\": \"ab\", \"request\": {\"op\": \"transfer\", \"m\": 8, "
         "\"from\": \"a\", \"to\": \"a\"}}]}",
         "schedule[0]: transfer from unit 'a' to itself"},
        {"{\"schedule\": [{\"unit\": \"a\", \"request\": {\"op\": \"read\", \"m\": 8, "
         "\"m\": 9}}]}",
         "schedule[0].request: key 'm' is given twice"},
        {"{\"schedule\": [], \"schedule\": [{\"unit\": \"zz\"}]}", "key 'schedule' is given twice"},
    };
    char err[1024];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(attach_text(XFER_CFG, bad[i].json, err, sizeof err) != 0, "%zu accepted: %s",
                      i, bad[i].json);
        ck_assert_msg(strstr(err, bad[i].msg), "%zu: '%s' lacks '%s'", i, err, bad[i].msg);
    }
    /* the defaults are still taken: kv_len -1, no seq */
    ck_assert_msg(attach_text(XFER_CFG,
                              "{\"shape\": {\"kv_len\": -1, \"batch\": 2}, \"schedule\": [{"
                              "\"layer\": 3}]}",
                              err, sizeof err) == 0,
                  "%s", err);
    /* finding 5: no size cap; /dev/zero grew to 2 GB, a pipe that never
     * ends was read forever (run in a child with a time bound) */
    sim_t *s = load_cfg(XFER_CFG);
    ck_assert_int_ne(map_schedule_attach_file(s, "/dev/zero", err, sizeof err), 0);
    ck_assert_msg(strstr(err, "/dev/zero: larger than 64 MiB"), "%s", err);
    sim_destroy(s);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t writer = fork();
    if (writer == 0) { /* an endless stream of spaces (valid JSON whitespace) */
        close(fds[0]);
        char sp[65536];
        memset(sp, ' ', sizeof sp);
        while (write(fds[1], sp, sizeof sp) > 0)
            ;
        _exit(0);
    }
    close(fds[1]);
    char dev[64];
    snprintf(dev, sizeof dev, "/dev/fd/%d", fds[0]);
    alarm(20); /* a hang fails the test instead of stalling the suite */
    s = load_cfg(XFER_CFG);
    ck_assert_int_ne(map_schedule_attach_file(s, dev, err, sizeof err), 0);
    alarm(0);
    ck_assert_msg(strstr(err, "larger than 64 MiB"), "%s", err);
    sim_destroy(s);
    close(fds[0]);
    kill(writer, SIGKILL);
    waitpid(writer, NULL, 0);
}
END_TEST

START_TEST(test_json_round_trip)
{
    const char *cfg = "clocks: {core: 1GHz}\n"
                      "components:\n"
                      "  drv: {model: schedule_driver}\n"
                      "  sa: {model: systolic, clock: core}\n"
                      "  vec: {model: vector, clock: core}\n"
                      "  buf: {model: sram, clock: core, size_bytes: 8388608, banks: 16}\n"
                      "  hbm: {model: dram, clock: core, standard: hbm2}\n"
                      "links:\n"
                      "  - {from: drv.gemm, to: sa.in, latency: 2ns}\n"
                      "  - {from: drv.vector, to: vec.in, latency: 2ns}\n"
                      "  - {from: drv.sram, to: buf.in, latency: 2ns}\n"
                      "  - {from: drv.dram, to: hbm.in, latency: 2ns}\n"
                      "  - {from: sa.out, to: drv.done, latency: 2ns}\n"
                      "  - {from: vec.out, to: drv.done, latency: 2ns}\n"
                      "  - {from: buf.out, to: drv.done, latency: 2ns}\n"
                      "  - {from: hbm.out, to: drv.done, latency: 2ns}\n";
    sim_t *s = load_cfg(cfg);
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    o.seq = 16;
    char err[1024];
    ck_assert_int_eq(map_workload_attach(s, "gpt2", &o, err, sizeof err), 0);
    const char *drv = NULL;
    ck_assert_int_eq(map_find_driver(s, &drv, err, sizeof err), 0);
    map_schedule_t *a = map_attached(s, drv);
    ck_assert_int_eq(map_schedule_write_json(a, tpath("a.json"), err, sizeof err), 0);
    map_schedule_t *b = NULL;
    ck_assert_msg(map_schedule_read_json(tpath("a.json"), &a->units, &b, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_uint_eq(a->exec.n_entries, b->exec.n_entries);
    ck_assert_uint_eq(a->exec.n_preds, b->exec.n_preds);
    ck_assert_uint_eq(a->gemm_macs, b->gemm_macs);
    ck_assert_uint_eq(a->weight_load_bytes, b->weight_load_bytes);
    ck_assert_uint_eq(a->n_ops, b->n_ops);
    ck_assert_str_eq(b->spec, "gpt2");
    ck_assert_int_eq(b->wopts.seq, 16);
    /* every GEMM carries the workload's dtype as its operand format (the
     * systolic array prices f32 MACs as FP32), and the file keeps it */
    ck_assert_int_eq(o.dtype, WL_DT_F32);
    size_t gemms = 0;
    for (size_t i = 0; i < a->exec.n_entries; i++)
        if (a->exec.entries[i].req.kind == DEV_OP_GEMM) {
            ck_assert_int_eq(DEV_REQ_OPND(&a->exec.entries[i].req), DEV_OPND_FP32);
            gemms++;
        }
    ck_assert_uint_gt(gemms, 0);
    for (size_t i = 0; i < a->exec.n_entries; i++) {
        const map_exec_entry_t *x = &a->exec.entries[i], *y = &b->exec.entries[i];
        ck_assert_int_eq(x->unit, y->unit);
        ck_assert_uint_eq(x->op_id, y->op_id);
        ck_assert_str_eq(x->name, y->name);
        ck_assert_str_eq(x->what, y->what);
        ck_assert_int_eq(memcmp(&x->req, &y->req, sizeof x->req), 0);
        ck_assert_uint_eq(x->reps, y->reps);
        ck_assert_uint_eq(x->weight_step, y->weight_step);
        ck_assert_uint_eq(x->n_preds, y->n_preds);
        for (uint32_t j = 0; j < x->n_preds; j++)
            ck_assert_uint_eq(a->exec.preds[x->pred_off + j], b->exec.preds[y->pred_off + j]);
        ck_assert_int_eq(a->info[i].layer, b->info[i].layer);
    }
    /* written again, the text is the same */
    char *ja = map_schedule_json(a), *jb = map_schedule_json(b);
    ck_assert_str_eq(ja, jb);
    free(ja);
    free(jb);
    map_schedule_free(b);
    sim_destroy(s);
}
END_TEST

/* 40 vector units (no fixed list, no 16-unit limit): one request each */
START_TEST(test_many_units)
{
    enum { N = 40 };
    char *cfg = malloc(65536), *js = malloc(65536);
    size_t at = (size_t)sprintf(cfg, "clocks: {core: 1GHz}\ncomponents:\n  drv: {model: "
                                     "schedule_driver}\n");
    for (int i = 0; i < N; i++)
        at += (size_t)sprintf(cfg + at, "  v%d: {model: vector, clock: core}\n", i);
    at += (size_t)sprintf(cfg + at, "links:\n");
    for (int i = 0; i < N; i++)
        at += (size_t)sprintf(cfg + at,
                              "  - {from: drv.lane%d, to: v%d.in, latency: 1ns}\n"
                              "  - {from: v%d.out, to: drv.done, latency: 1ns}\n",
                              i, i, i);
    size_t j = (size_t)sprintf(js, "{\"schedule\": [");
    for (int i = 0; i < N; i++)
        j += (size_t)sprintf(js + j,
                             "%s{\"op\": \"e%d\", \"unit\": \"lane%d\", \"request\": {\"op\": "
                             "\"vector\", \"vfunc\": \"add\", \"m\": 64, \"k\": 0, \"n\": 64}}",
                             i ? "," : "", i, i);
    sprintf(js + j, "]}");
    sim_t *s = load_cfg(cfg);
    put(tpath("many.json"), js);
    char err[1024];
    ck_assert_msg(map_schedule_attach_file(s, tpath("many.json"), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    sim_finish(s);
    ck_assert_double_eq(stat_of(s, "drv", "entries_done"), N);
    /* all in parallel: every unit did its one op */
    for (int i = 0; i < N; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "v%d", i);
        ck_assert_double_eq(stat_of(s, nm, "ops"), 1);
    }
    sim_destroy(s);
    free(cfg);
    free(js);
}
END_TEST

/* prism run --schedule FILE runs a schedule file; --schedule-out writes it;
 * an output that names an input is refused */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

START_TEST(test_cli_schedule_in_out)
{
    const char *prism = getenv("PRISM");
    if (!prism || access(prism, X_OK) != 0 || access("configs/chip.yaml", R_OK) != 0) {
        fprintf(stderr, "skipped: PRISM unset or not run from the repository root\n");
        return;
    }
    char a[512], b[512], log[512];
    snprintf(a, sizeof a, "%s", tpath("a.json"));
    snprintf(b, sizeof b, "%s", tpath("b.json"));
    snprintf(log, sizeof log, "%s", tpath("log.txt"));
    ck_assert_int_eq(sh("%s run configs/chip.yaml --workload gpt2 --seq 8 --schedule-out %s "
                        ">%s 2>&1",
                        prism, a, log),
                     0);
    ck_assert_int_eq(
        sh("%s run configs/chip.yaml --schedule %s --schedule-out %s >%s 2>&1", prism, a, b, log),
        0);
    /* same schedule, same measured times */
    ck_assert_int_eq(sh("python3 -c 'import json,sys; a=json.load(open(\"%s\")); "
                        "b=json.load(open(\"%s\")); sys.exit(a!=b)'",
                        a, b),
                     0);
    ck_assert_int_eq(
        sh("%s run configs/chip.yaml --schedule %s --schedule-out %s >%s 2>&1", prism, a, a, log),
        2);
    ck_assert_int_eq(sh("grep -q \"names the --schedule input: refusing to overwrite\" %s", log),
                     0);
    ck_assert_int_eq(sh("%s run configs/chip.yaml --schedule %s --trace configs/chip.yaml >%s 2>&1",
                        prism, a, log),
                     2);
    ck_assert_int_eq(sh("grep -q \"names the config\" %s", log), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("schedule");
    TCase *t = tcase_create("files");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_transfers_conserve_bytes);
    tcase_add_test(t, test_transfer_cost_query);
    tcase_add_test(t, test_transfers_over_the_network);
    tcase_add_test(t, test_network_refusals);
    tcase_add_test(t, test_forwarding);
    tcase_add_test(t, test_forwarding_over_the_network);
    tcase_add_test(t, test_requests_checked_against_the_unit);
    tcase_add_test(t, test_refusals);
    tcase_add_test(t, test_issue22_refusals);
    tcase_add_test(t, test_json_round_trip);
    tcase_add_test(t, test_many_units);
    tcase_add_test(t, test_cli_schedule_in_out);
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
