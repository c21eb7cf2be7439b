/* Devices describe themselves (devices/dev.h dev_desc_t): a device model
 * defined and registered here, and nowhere else, is placed by the mapper as
 * a GEMM unit of its tier, classified by the trace's views (unit_tiers,
 * schedule_entries, tier_layer) and counted by the area totals of its tier;
 * the built-in models' records agree with what they accept; a parameter
 * name a model does not declare fails its init. */
#include "devices/dev.h"
#include "devices/dev_common.h"
#include "mapper/map.h"
#include "noc/noc.h"
#include "run/run.h"
#include "sim/sim.h"

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check_cli.h"

/* ---- a test-only device: a MAC array, macs_per_cycle multiply-accumulates a
 * cycle, pj_per_mac each; area mm2_per_kmac per 1024 MACs --------------- */
typedef struct tmac {
    dev_base_t base;
    uint64_t macs_per_cycle;
    double pj_per_mac;
    int st_energy;
} tmac_t;

static const sim_param_def_t tmac_params[] = {
    {"macs_per_cycle", SIM_P_INT, "1024", "MAC/cycle", 1, 1 << 20, NULL, "MACs per cycle",
     "test-only device"},
    {"pj_per_mac", SIM_P_REAL, "0.5", "pJ", 0, 100, NULL, "energy of one MAC", "test-only device"},
    {"um2_per_mac", SIM_P_REAL, "100", "um2", 0, 1e6, NULL, "area of one MAC", "test-only device"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int tmac_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    tmac_t *t = state;
    int rc = dev_base_init(c, &t->base);
    if (rc)
        return rc;
    t->macs_per_cycle = (uint64_t)sim_param_int(p, "macs_per_cycle");
    t->pj_per_mac = sim_param_real(p, "pj_per_mac");
    t->st_energy = sim_stat(c, "energy.mac", SIM_STAT_ENERGY, "pJ");
    return t->st_energy < 0 ? sim_comp_fail(c, "out of memory for stats") : 0;
}

static int tmac_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *out)
{
    (void)c;
    const tmac_t *t = state;
    memset(out, 0, sizeof *out);
    if (req->kind != DEV_OP_GEMM || !req->m || !req->k || !req->n)
        return SIM_ERR_CONFIG;
    uint64_t macs = req->m * req->k * req->n;
    out->issue_cycles = out->cycles = dev_ceil_div(macs, t->macs_per_cycle);
    out->energy_pj = (double)macs * t->pj_per_mac;
    return 0;
}

static void tmac_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    tmac_t *t = state;
    if (dev_base_take_fwd(c, &t->base, ev))
        return;
    dev_req_t req;
    if (!dev_take_req(c, ev, DEV_OP_BIT(DEV_OP_GEMM), &req))
        return;
    dev_cost_t k;
    if (tmac_cost(c, t, &req, &k)) {
        sim_comp_fail(c, "test_mac: an empty GEMM");
        return;
    }
    sim_energy(c, t->st_energy, k.energy_pj);
    dev_base_op(c, &t->base, ev, &req, k.issue_cycles, k.cycles, k.energy_pj, k.bytes);
}

static int tmac_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n)
{
    (void)err, (void)n;
    dev_area_part(out, "macs",
                  (double)sim_param_int(p, "macs_per_cycle") * sim_param_real(p, "um2_per_mac"));
    return 0;
}

static const dev_ext_t tmac_ext = {
    .default_clock_hz = 1e9,
    .default_op = DEV_OP_GEMM,
    .desc = {DEV_CAT_DIGITAL, DEV_OP_BIT(DEV_OP_GEMM), 0, DEV_MEM_NONE},
    .cost = tmac_cost,
    .area = tmac_area,
};

static const sim_model_t tmac_model = {
    .name = "test_mac",
    .doc = "test-only MAC array",
    .state_size = sizeof(tmac_t),
    .params = tmac_params,
    .init = tmac_init,
    .handle = tmac_handle,
    .ext = &tmac_ext,
};

/* a model with a typo in a parameter name: declared "rate", looked up "rat" */
static const sim_param_def_t typo_params[] = {
    {"rate", SIM_P_REAL, "1", NULL, 0, 10, NULL, "a rate", "test-only model"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};
static int typo_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    (void)c, (void)state;
    return sim_param_real(p, "rat") > 0 ? 0 : 0;
}
static void typo_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    (void)c, (void)state, (void)ev;
}
static const sim_model_t typo_model = {
    .name = "test_typo",
    .doc = "test-only model with a typo",
    .state_size = 8,
    .params = typo_params,
    .init = typo_init,
    .handle = typo_handle,
};

static void setup(void)
{
    cli_setup("check-selfdesc");
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    noc_register_all();
    ck_assert_int_eq(dev_register(&tmac_model), 0);
    ck_assert_int_eq(sim_model_register(&typo_model), 0);
}
static void teardown(void) { cli_teardown(); }

/* configs/chip.yaml with its systolic array replaced by the test device */
static const char *chip_with_tmac(void)
{
    const char *p = path("tmac.yaml");
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs("seed: 1\nclocks: {core: 1GHz}\ncomponents:\n"
          "  drv: {model: schedule_driver, outstanding: 1, order: graph}\n"
          "  sa:  {model: test_mac, clock: core, macs_per_cycle: 1024}\n"
          "  vec: {model: vector, clock: core, lanes: 64, dtype: fp32}\n"
          "  buf: {model: sram, clock: core, size_bytes: 8388608, banks: 16}\n"
          "  hbm: {model: dram, clock: core, standard: hbm2}\n"
          "links:\n",
          f);
    const char *ports[][2] = {{"gemm", "sa"}, {"vector", "vec"}, {"sram", "buf"}, {"dram", "hbm"}};
    for (int i = 0; i < 4; i++)
        fprintf(f,
                "  - {from: drv.%s, to: %s.in, latency: 2ns, bandwidth: 32GB/s}\n"
                "  - {from: %s.out, to: drv.done, latency: 2ns, bandwidth: 32GB/s}\n",
                ports[i][0], ports[i][1], ports[i][1]);
    fclose(f);
    return p;
}

static const char *query1(const char *db, const char *sql)
{
    static char buf[512];
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(h));
    buf[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return buf;
}

START_TEST(test_device_is_described)
{
    const dev_desc_t *d = dev_desc_of("test_mac");
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->category, DEV_CAT_DIGITAL);
    ck_assert_str_eq(dev_model_category("test_mac"), "digital");
    ck_assert(dev_model_is_gemm("test_mac"));
    ck_assert_ptr_null(dev_desc_of("schedule_driver")); /* not a device: "other" */
    ck_assert_str_eq(dev_model_category("schedule_driver"), "other");
}
END_TEST

/* the mapper's chip: the test device is the digital tier's GEMM unit */
START_TEST(test_device_is_placed_by_the_mapper)
{
    const char *cfg = chip_with_tmac();
    wl_gen_opts_t w;
    wl_gen_opts_default(&w);
    w.seq = 16;
    map_ctx_t *c = NULL;
    char err[1024];
    ck_assert_msg(map_ctx_open(cfg, "gpt2", &w, &c, err, sizeof err) == 0, "%s", err);
    const map_chip_t *chip = map_ctx_chip(c);
    ck_assert_uint_eq(chip->n_tier[MAP_TIER_DIGITAL], 1);
    ck_assert_uint_eq(chip->n_tier[MAP_TIER_XBAR], 0);
    ck_assert_uint_eq(chip->n_tier[MAP_TIER_PHOTONIC], 0);
    ck_assert_str_eq(chip->units.unit[chip->tier_unit[MAP_TIER_DIGITAL][0]].comp, "sa");
    ck_assert_int_ge(chip->sram, 0);
    ck_assert_int_ge(chip->dram, 0);
    ck_assert_uint_eq(chip->n_vec, 1);
    map_ctx_close(c);
}
END_TEST

/* a run on it: the trace's views classify its activities as digital */
START_TEST(test_device_is_classified_by_the_trace)
{
    run_opts_t o;
    run_opts_default(&o);
    o.config = chip_with_tmac();
    o.workload = "gpt2";
    o.wopts.seq = 16;
    o.trace_path = path("t.db");
    run_t *r = run_create(&o);
    ck_assert_msg(run_load(r) == 0, "%s", run_errmsg(r));
    ck_assert_msg(run_trace_begin(r) == 0, "%s", run_errmsg(r));
    run_exec(r);
    ck_assert_msg(run_end(r) == 0, "%s", run_errmsg(r));
    ck_assert_int_eq(run_status(r), RUN_COMPLETE);
    run_destroy(r);
    const char *db = path("t.db");
    ck_assert_str_eq(query1(db, "SELECT tier FROM unit_tiers WHERE component = 'sa'"), "digital");
    ck_assert_str_eq(query1(db, "SELECT tier FROM unit_tiers WHERE component = 'buf'"), "memory");
    ck_assert_str_ne(query1(db, "SELECT count(*) FROM schedule_entries WHERE unit = 'gemm' AND "
                                "tier = 'digital'"),
                     "0");
    ck_assert_str_ne(query1(db, "SELECT activities FROM tier_layer WHERE tier = 'digital' AND "
                                "layer = 0"),
                     "");
    /* the entries on it carry the energy its activities charged */
    double pj = atof(query1(db, "SELECT SUM(energy_pj) FROM events e JOIN components c USING "
                                "(comp_id) WHERE c.name = 'sa' AND e.kind = 0"));
    double entries = atof(query1(db, "SELECT SUM(energy_pj) FROM schedule_entries WHERE unit = "
                                     "'gemm'"));
    ck_assert(pj > 0);
    ck_assert_double_eq_tol(entries, pj, 1e-6 * pj);
}
END_TEST

/* area by tier: dev_chip_area, whose totals `prism chip area` prints, puts
 * the test device's silicon in the digital tier by its record */
START_TEST(test_device_is_counted_in_its_tiers_area)
{
    sim_t *s = NULL;
    char err[1024];
    ck_assert_msg(sim_config_load(chip_with_tmac(), NULL, &s, NULL, err, sizeof err) == 0, "%s",
                  err);
    sim_comp_t *c = sim_comp_find(s, "sa");
    dev_area_t a;
    ck_assert_int_eq(dev_area(c, &a, err, sizeof err), 0);
    ck_assert_double_eq_tol(a.um2, 1024 * 100.0, 1e-9);
    dev_chip_area_t ca;
    ck_assert_msg(dev_chip_area(s, &ca, err, sizeof err) == 0, "%s", err);
    /* digital = the test device + the vector unit; the vector unit alone: */
    dev_area_t v;
    ck_assert_int_eq(dev_area(sim_comp_find(s, "vec"), &v, err, sizeof err), 0);
    ck_assert_double_eq_tol(ca.cat_um2[DEV_CAT_DIGITAL], a.um2 + v.um2, 1e-6);
    ck_assert(ca.device[sim_comp_id(c)]);
    double sum = 0;
    for (int k = 0; k < DEV_CAT_COUNT; k++)
        sum += ca.cat_um2[k];
    ck_assert_double_eq_tol(sum, ca.die_um2, 1e-6 * ca.die_um2);
    dev_chip_area_free(&ca);
    sim_destroy(s);
}
END_TEST

/* the built-in records say what the handlers accept */
START_TEST(test_builtin_records)
{
    static const struct {
        const char *model, *category;
        int gemm;
    } want[] = {
        {"systolic", "digital", 1},   {"vector", "digital", 0},        {"rram_xbar", "xbar", 1},
        {"pcm_xbar", "xbar", 1},      {"mzi_mesh", "photonic", 1},     {"mrr_bank", "photonic", 1},
        {"rns_photonic", "photonic", 1}, {"dac", "photonic", 0},       {"adc", "photonic", 0},
        {"laser", "photonic", 0},     {"photodetector", "photonic", 0}, {"sram", "memory", 0},
        {"dram", "memory", 0},        {"wire", "interconnect", 0},     {"noc_terminal", "network", 0},
        {"iq_router", "network", 0},  {"schedule_driver", "other", 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        ck_assert_msg(!strcmp(dev_model_category(want[i].model), want[i].category), "%s: %s",
                      want[i].model, dev_model_category(want[i].model));
        ck_assert_msg(dev_model_is_gemm(want[i].model) == want[i].gemm, "%s", want[i].model);
    }
    ck_assert_int_eq(dev_desc_of("sram")->memory, DEV_MEM_SRAM);
    ck_assert_int_eq(dev_desc_of("dram")->memory, DEV_MEM_DRAM);
    ck_assert(dev_desc_of("rram_xbar")->static_weights);
    ck_assert(!dev_desc_of("systolic")->static_weights);
}
END_TEST

/* an undeclared parameter name is an error at its first lookup: the run
 * does not start, and the message names the component, model and name */
START_TEST(test_undeclared_parameter_fails_the_init)
{
    sim_t *s = NULL;
    char err[1024];
    ck_assert_int_eq(sim_config_load_string("components:\n  t: {model: test_typo, rate: 2}\n",
                                            "typo.yaml", NULL, &s, err, sizeof err),
                     0);
    ck_assert_int_eq(sim_init(s), SIM_ERR_MODEL);
    ck_assert_msg(strstr(sim_errmsg(s), "component 't': model 'test_typo' looked up parameter "
                                        "'rat', which it does not declare"),
                  "%s", sim_errmsg(s));
    sim_destroy(s);
    /* a declared name answers and leaves nothing behind */
    ck_assert_int_eq(sim_config_load_string("components:\n  t: {model: test_mac}\n", "ok.yaml",
                                            NULL, &s, err, sizeof err),
                     0);
    const sim_params_t *p = sim_comp_params(sim_comp_find(s, "t"));
    ck_assert_int_eq(sim_param_int(p, "macs_per_cycle"), 1024);
    ck_assert_ptr_null(sim_params_undeclared(p));
    ck_assert_int_eq(sim_param_int(p, "macs_per_cycl"), 0);
    ck_assert_str_eq(sim_params_undeclared(p), "macs_per_cycl");
    sim_destroy(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("selfdesc");
    TCase *tc = tcase_create("desc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_device_is_described);
    tcase_add_test(tc, test_device_is_placed_by_the_mapper);
    tcase_add_test(tc, test_device_is_classified_by_the_trace);
    tcase_add_test(tc, test_device_is_counted_in_its_tiers_area);
    tcase_add_test(tc, test_builtin_records);
    tcase_add_test(tc, test_undeclared_parameter_fails_the_init);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
