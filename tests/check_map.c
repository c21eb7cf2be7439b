/* The mapper on the heterogeneous chip (configs/hybrid.yaml): the estimate of
 * a placement against the full simulation of it (GPT-2, ResNet-18), every
 * device's cost query against what its handler charged, the stage-1 front is
 * non-dominated, stage 2 meets its target on the tiny-gpt2 fixture, the
 * sensitivity profile is deterministic for a seed, and prism map's schedule
 * runs with a trace whose tier_layer view answers time and energy per tier
 * per layer. */
#include "devices/dev.h"
#include "mapper/map.h"
#include "sim/sim.h"
#include "workloads/wl.h"
#include "tests/check_stats.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void setup(void)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
}

static int have_repo(void)
{
    if (access("configs/hybrid.yaml", R_OK) == 0 &&
        access("tests/fixtures/tiny-gpt2/model.safetensors", R_OK) == 0)
        return 1;
    fprintf(stderr, "skipped: run from the repository root\n");
    return 0;
}

static double total_energy(sim_t *s)
{
    double e = 0;
    for (size_t i = 0; i < sim_comp_count(s); i++)
        e += sim_energy_pj(sim_comp_at(s, i));
    return e;
}

/* A mixed placement: the biggest static weights on the crossbars (while there
 * is room), attention on the photonic cores, every fourth projection split
 * crossbar/digital, the rest digital. */
static map_place_t *mixed_place(const map_chip_t *chip, const wl_graph_t *g)
{
    size_t n = wl_graph_op_count(g), room = chip->n_tier[MAP_TIER_XBAR];
    map_place_t *pl = calloc(n, sizeof *pl);
    ck_assert_ptr_nonnull(pl);
    for (size_t i = 0; i < n; i++) {
        const wl_op_t *op = wl_graph_op(g, i);
        pl[i] = (map_place_t){MAP_TIER_DIGITAL, MAP_TIER_DIGITAL, 100};
        if (!wl_opkind_is_gemm(op->kind))
            continue;
        map_place_t want = pl[i];
        int static_w = op->weight && (op->weight->flags & WL_T_WEIGHT) && op->count <= 1;
        if (!static_w)
            want = (map_place_t){MAP_TIER_PHOTONIC, MAP_TIER_PHOTONIC, 100};
        else if (room > 1 && i % 4 == 0)
            want = (map_place_t){MAP_TIER_XBAR, MAP_TIER_DIGITAL, 50};
        else if (room > 1 && op->k * op->n < 4000000)
            want = (map_place_t){MAP_TIER_XBAR, MAP_TIER_XBAR, 100};
        if (map_place_valid(chip, op, &want)) {
            pl[i] = want;
            if (want.a == MAP_TIER_XBAR)
                room--;
        }
    }
    return pl;
}

static void estimate_vs_sim(const char *spec, int seq)
{
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    if (seq)
        o.seq = seq;
    char err[2048];
    map_ctx_t *ctx = NULL;
    ck_assert_msg(map_ctx_open("configs/hybrid.yaml", spec, &o, &ctx, err, sizeof err) == 0, "%s",
                  err);
    map_place_t *pl = mixed_place(map_ctx_chip(ctx), map_ctx_graph(ctx));
    map_schedule_t *sched = NULL;
    ck_assert_msg(map_ctx_schedule(ctx, pl, &sched, err, sizeof err) == 0, "%s", err);
    map_estimate_t est;
    ck_assert_msg(map_estimate(map_ctx_sim(ctx), sched, &est, err, sizeof err) == 0, "%s", err);
    /* the placement uses every tier and moves data between them */
    int tiers[MAP_TIERS] = {0}, xfers = 0;
    for (size_t i = 0; i < sched->exec.n_entries; i++) {
        const map_exec_entry_t *e = &sched->exec.entries[i];
        if (e->unit < 0)
            continue;
        if (e->req.kind == DEV_OP_TRANSFER)
            xfers++;
        for (int t = 0; t < MAP_TIERS; t++)
            if (sched->info[i].tier && !strcmp(sched->info[i].tier, map_tier_name(t)) &&
                e->req.kind == DEV_OP_GEMM)
                tiers[t]++;
    }
    ck_assert_int_gt(tiers[MAP_TIER_DIGITAL], 0);
    ck_assert_int_gt(tiers[MAP_TIER_XBAR], 0);
    ck_assert_int_gt(xfers, 0);
    /* the full simulation of the same schedule, on a fresh chip */
    sim_t *s = NULL;
    char *text = NULL;
    ck_assert_int_eq(sim_config_load("configs/hybrid.yaml", NULL, &s, &text, err, sizeof err), 0);
    const char *drv = NULL;
    ck_assert_int_eq(map_find_driver(s, &drv, err, sizeof err), 0);
    ck_assert_int_eq(map_attach(s, drv, sched, err, sizeof err), 0);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
    double t_sim = (double)sim_end_ps(s), e_sim = total_energy(s);
    double rt = (double)est.makespan_ps / t_sim, re = est.energy_pj / e_sim;
    /* the transfers rode the chip's network: every byte the driver moved was
     * taken and delivered by its terminals, and the routers charged it */
    double taken = 0, delivered = 0, e_net = 0;
    for (size_t i = 0; i < sim_comp_count(s); i++) {
        sim_comp_t *c = sim_comp_at(s, i);
        if (!strcmp(sim_comp_model(c), "iq_router"))
            e_net += sim_energy_pj(c);
        if (strcmp(sim_comp_model(c), "noc_terminal"))
            continue;
        for (size_t j = 0; j < sim_stat_count(c); j++) {
            if (!strcmp(sim_stat_name(c, j), "message_bytes_sent"))
                taken += sim_stat_value(c, j);
            if (!strcmp(sim_stat_name(c, j), "message_bytes_delivered"))
                delivered += sim_stat_value(c, j);
        }
    }
    double moved = stat_of(s, drv, "transfer_bytes");
    ck_assert(moved > 0);
    ck_assert_double_eq(taken, moved);
    ck_assert_double_eq(delivered, moved);
    ck_assert(e_net > 0);
    fprintf(stderr,
            "%s on hybrid: estimate %.4f ms %.4f mJ, simulation %.4f ms %.4f mJ (%d transfers, "
            "%.0f B over the network, %.4f mJ in its routers)\n",
            spec, est.makespan_ps / 1e9, est.energy_pj / 1e9, t_sim / 1e9, e_sim / 1e9, xfers,
            moved, e_net / 1e9);
    ck_assert_msg(rt > 0.9 && rt < 1.1, "%s: makespan estimate / simulation = %g", spec, rt);
    ck_assert_msg(re > 0.9 && re < 1.1, "%s: energy estimate / simulation = %g", spec, re);
    ck_assert_double_eq(stat_of(s, drv, "entries_done"), (double)sched->exec.n_entries);
    map_estimate_free(&est);
    sim_destroy(s);
    free(text);
    free(pl);
    map_ctx_close(ctx);
}

/* Under the sanitizers (make debug test) the network's cycle-level run of
 * GPT-2's 517 MB of transfers takes minutes: two blocks and an 8192-token
 * vocabulary there (86 MB), the whole model in the optimised build (the
 * figures in docs/mapper.md). */
#if defined(__SANITIZE_ADDRESS__)
#define GPT2_ESTIMATE_SPEC "gpt2:layers=2,vocab=8192"
#else
#define GPT2_ESTIMATE_SPEC "gpt2"
#endif

START_TEST(test_estimate_gpt2)
{
    if (have_repo())
        estimate_vs_sim(GPT2_ESTIMATE_SPEC, 128);
}
END_TEST

START_TEST(test_estimate_resnet18)
{
    if (have_repo())
        estimate_vs_sim("resnet18", 0);
}
END_TEST

/* every device's cost query = what its handler charged, request by request
 * (a weight change, a repeat on resident weights, a different shape) */
START_TEST(test_cost_equals_handler)
{
    static const struct {
        const char *model, *params;
        dev_req_t req[3];
    } cases[] = {
        {"systolic",
         "rows: 16, cols: 16",
         {{DEV_OP_GEMM, 0, 0, 1, 0, 64, 100, 48, 0},
          {DEV_OP_GEMM, 0, 0, 1, 0, 7, 33, 5, 0},
          {DEV_OP_GEMM, 0, 0, 2, 0, 128, 16, 16, 0}}},
        {"vector",
         "lanes: 32",
         {{DEV_OP_VECTOR, DEV_VF_SOFTMAX, 0, 0, 0, 12, 0, 128, 0},
          {DEV_OP_VECTOR, DEV_VF_GELU, 0, 0, 0, 128, 0, 3072, 0},
          {DEV_OP_VECTOR, DEV_VF_LAYERNORM, 0, 0, 0, 128, 0, 768, 0}}},
        {"sram",
         "size_bytes: 1048576, banks: 8",
         {{DEV_OP_READ, 0, 0, 0, 0, 4000, 100, 0, 0},
          {DEV_OP_WRITE, 0, 0, 0, 0, 65536, 0, 0, 0},
          {DEV_OP_READ, 0, 0, 0, 0, 8, 1048000, 0, 0}}},
        {"dram",
         "standard: hbm2",
         {{DEV_OP_READ, 0, 0, 0, 0, 1 << 20, 0, 0, 0},
          {DEV_OP_WRITE, 0, 0, 0, 0, 100, 63, 0, 0},
          {DEV_OP_READ, 0, 0, 0, 0, 7, 0, 0, 0}}},
        {"rram_xbar",
         "rows: 64, cols: 64, tiling: true, arrays: 4",
         {{DEV_OP_MVM, 0, 0, 5, 0, 16, 100, 70, 0},
          {DEV_OP_MVM, 0, 0, 5, 0, 8, 100, 70, 0},
          {DEV_OP_PROGRAM, 0, 0, 6, 0, 0, 64, 64, 0}}},
        {"pcm_xbar",
         "rows: 64, cols: 64, tiling: true, arrays: 1",
         {{DEV_OP_PROGRAM, 0, 0, 2, 0, 0, 60, 60, 0},
          {DEV_OP_MVM, 0, 0, 2, 0, 4, 60, 60, 0},
          {DEV_OP_MVM, 0, 0, 3, 0, 4, 60, 60, 0}}},
        {"mzi_mesh",
         "n: 8, tiling: true, shifter: mems",
         {{DEV_OP_MVM, 0, 0, 1, 0, 10, 8, 8, 0},
          {DEV_OP_MVM, 0, 0, 1, 0, 10, 8, 8, 0},
          {DEV_OP_MVM, 0, 0, 2, 0, 3, 20, 12, 0}}},
        {"ptc",
         "",
         {{DEV_OP_GEMM, 0, 0, 1, 0, 20, 30, 14, 0},
          {DEV_OP_MVM, 0, 0, 2, 0, 3, 12, 12, 0},
          {DEV_OP_GEMM, 0, 0, 3, 0, 128, 100, 50, 0}}},
        {"mrr_bank",
         "rows: 8, cols: 8, tiling: true",
         {{DEV_OP_MVM, 0, 0, 1, 0, 10, 8, 8, 0},
          {DEV_OP_MVM, 0, 0, 1, 0, 10, 8, 8, 0},
          {DEV_OP_GEMM, 0, 0, 2, 0, 5, 16, 8, 0}}},
        {"dac",
         "",
         {{DEV_OP_CONVERT, 0, 0, 0, 0, 1000, 0, 0, 0},
          {DEV_OP_CONVERT, 0, 0, 0, 0, 1, 0, 0, 0},
          {DEV_OP_CONVERT, 0, 0, 0, 0, 77, 0, 0, 0}}},
        {"adc",
         "",
         {{DEV_OP_CONVERT, 0, 0, 0, 0, 1000, 0, 0, 0},
          {DEV_OP_CONVERT, 0, 0, 0, 0, 1, 0, 0, 0},
          {DEV_OP_CONVERT, 0, 0, 0, 0, 77, 0, 0, 0}}},
        {"laser",
         "",
         {{DEV_OP_CONVERT, 0, 0, 0, 0, 1000, 0, 0, 0},
          {DEV_OP_CONVERT, 0, 0, 0, 0, 1, 0, 0, 0},
          {DEV_OP_CONVERT, 0, 0, 0, 0, 77, 0, 0, 0}}},
        {"photodetector",
         "",
         {{DEV_OP_CONVERT, 0, 0, 0, 0, 1000, 0, 0, 0},
          {DEV_OP_CONVERT, 0, 0, 0, 0, 1, 0, 0, 0},
          {DEV_OP_CONVERT, 0, 0, 0, 0, 77, 0, 0, 0}}},
        {"wire",
         "",
         {{DEV_OP_TRANSFER, 0, 0, 0, 0, 1000, 0, 0, 0},
          {DEV_OP_TRANSFER, 0, 0, 0, 0, 1, 0, 0, 0},
          {DEV_OP_TRANSFER, 0, 0, 0, 0, 77, 0, 0, 0}}},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        /* one request at a time through an op_driver; before each, ask the device */
        double e_prev = 0;
        char yaml[2048];
        snprintf(yaml, sizeof yaml,
                 "clocks: {c: 1GHz}\ncomponents:\n  dut: {model: %s, clock: c%s%s}\n"
                 "  drv: {model: schedule_driver}\nlinks:\n"
                 "  - {from: drv.u, to: dut.in, latency: 1ns}\n"
                 "  - {from: dut.out, to: drv.done, latency: 1ns}\n",
                 cases[ci].model, *cases[ci].params ? ", " : "", cases[ci].params);
        sim_t *s = NULL;
        char err[1024];
        ck_assert_msg(sim_config_load_string(yaml, "c.yaml", NULL, &s, err, sizeof err) == 0,
                      "%s: %s", cases[ci].model, err);
        /* a schedule of the three requests in sequence */
        map_schedule_t *sc = calloc(1, sizeof *sc);
        map_units_add(&sc->units, "u", "dut", cases[ci].model);
        sc->unit_names = calloc(1, sizeof *sc->unit_names);
        sc->unit_names[0] = sc->units.unit[0].name;
        sc->exec.units = sc->unit_names;
        sc->exec.n_units = 1;
        sc->exec.entries = calloc(3, sizeof *sc->exec.entries);
        sc->exec.preds = calloc(2, sizeof *sc->exec.preds);
        sc->info = calloc(3, sizeof *sc->info);
        for (int k = 0; k < 3; k++) {
            map_exec_entry_t *e = &sc->exec.entries[k];
            e->unit = 0;
            e->req = cases[ci].req[k];
            e->reps = 1;
            e->what = "x";
            e->name = "x";
            sc->info[k].layer = -1;
            if (k) {
                e->n_preds = 1;
                e->pred_off = (size_t)k - 1;
                sc->exec.preds[k - 1] = (uint32_t)k - 1;
            }
        }
        sc->exec.n_entries = 3;
        sc->exec.n_preds = 2;
        ck_assert_msg(map_attach(s, "drv", sc, err, sizeof err) == 0, "%s: %s", cases[ci].model,
                      err);
        ck_assert_int_eq(sim_init(s), 0);
        sim_comp_t *dut = sim_comp_find(s, "dut");
        for (int k = 0; k < 3; k++) {
            dev_cost_t want;
            ck_assert_msg(dev_cost(dut, &cases[ci].req[k], &want, err, sizeof err) == 0, "%s: %s",
                          cases[ci].model, err);
            /* run until this request completed */
            while (sc->exec.entries[k].res.done == 0)
                ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, 1), 0);
            const map_exec_result_t *r = &sc->exec.entries[k].res;
            double e_now = sim_energy_pj(dut) - sim_static_energy_pj(dut);
            ck_assert_msg(fabs((e_now - e_prev) - want.energy_pj) <= 1e-9 * (1 + want.energy_pj),
                          "%s req %d: charged %g pJ, cost query %g pJ", cases[ci].model, k,
                          e_now - e_prev, want.energy_pj);
            ck_assert_msg(r->cycles == want.cycles, "%s req %d: %llu cycles, cost query %llu",
                          cases[ci].model, k, (unsigned long long)r->cycles,
                          (unsigned long long)want.cycles);
            ck_assert_uint_eq(r->bytes, want.bytes);
            e_prev = e_now;
        }
        sim_destroy(s);
    }
}
END_TEST

START_TEST(test_front_non_dominated)
{
    if (!have_repo())
        return;
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    o.seq = 32;
    char err[2048];
    map_ctx_t *ctx = NULL;
    ck_assert_msg(map_ctx_open("configs/hybrid.yaml", "gpt2:layers=3", &o, &ctx, err, sizeof err) ==
                      0,
                  "%s", err);
    map_search_opts_t so;
    map_search_opts_default(&so);
    so.population = 16;
    so.generations = 12;
    map_search_result_t r, r2;
    ck_assert_msg(map_search(ctx, &so, NULL, &r, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_gt(r.n_front, 1);
    for (size_t i = 0; i < r.n_front; i++)
        for (size_t j = 0; j < r.n_front; j++) {
            const map_point_t *a = &r.front[i], *b = &r.front[j];
            if (i == j)
                continue;
            int dom = a->latency_ps <= b->latency_ps && a->energy_pj <= b->energy_pj &&
                      (a->latency_ps < b->latency_ps || a->energy_pj < b->energy_pj);
            ck_assert_msg(!dom, "front point %zu dominates %zu", i, j);
        }
    /* by latency: energy falls as latency rises */
    for (size_t i = 1; i < r.n_front; i++) {
        ck_assert(r.front[i].latency_ps > r.front[i - 1].latency_ps);
        ck_assert(r.front[i].energy_pj < r.front[i - 1].energy_pj);
    }
    /* no baseline beats the whole front: each is dominated or on it */
    for (size_t b = 0; b < r.n_baselines; b++) {
        int covered = 0;
        for (size_t i = 0; i < r.n_front; i++)
            covered |= r.front[i].latency_ps <= r.baseline[b].latency_ps &&
                       r.front[i].energy_pj <= r.baseline[b].energy_pj;
        ck_assert_msg(covered, "baseline '%s' is not covered by the front", r.baseline[b].name);
    }
    /* the same seed gives the same front */
    ck_assert_int_eq(map_search(ctx, &so, NULL, &r2, err, sizeof err), 0);
    ck_assert_uint_eq(r.n_front, r2.n_front);
    for (size_t i = 0; i < r.n_front; i++)
        ck_assert(r.front[i].latency_ps == r2.front[i].latency_ps &&
                  r.front[i].energy_pj == r2.front[i].energy_pj);
    map_search_result_free(&r);
    map_search_result_free(&r2);
    map_ctx_close(ctx);
}
END_TEST

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

START_TEST(test_profile_deterministic)
{
    if (!have_repo())
        return;
    map_profile_opts_t o;
    map_profile_opts_default(&o);
    o.dir = "tests/fixtures/tiny-gpt2";
    o.rows = 1;
    o.seeds = 2;
    o.max_proj = 2;
    map_profile_t a, b, c;
    char err[1024];
    ck_assert_msg(map_profile_run(&o, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(map_profile_run(&o, &b, err, sizeof err), 0);
    o.seed = 2;
    ck_assert_int_eq(map_profile_run(&o, &c, err, sizeof err), 0);
    ck_assert_int_eq(a.n, 2);
    ck_assert_str_eq(a.row[0].name, "h.0.attn.c_attn");
    ck_assert_str_eq(a.row[1].name, "h.0.attn.c_proj");
    ck_assert_int_eq(a.positions, 128);
    for (int i = 0; i < a.n; i++) {
        ck_assert(a.row[i].kl_mean > 0);
        ck_assert(a.row[i].kl_mean == b.row[i].kl_mean && a.row[i].kl_std == b.row[i].kl_std &&
                  a.row[i].dloss_mean == b.row[i].dloss_mean);
        ck_assert(a.row[i].kl_mean != c.row[i].kl_mean);
    }
    /* no noise, no quantization: exact, KL 0 */
    map_profile_t z;
    o.sigma = 0;
    o.in_bits = o.out_bits = 0;
    o.seeds = 1;
    ck_assert_int_eq(map_profile_run(&o, &z, err, sizeof err), 0);
    ck_assert(fabs(z.row[0].kl_mean) < 1e-9);
    map_profile_free(&a);
    map_profile_free(&b);
    map_profile_free(&c);
    map_profile_free(&z);
    /* the CSV round-trips */
    map_profile_t r;
    ck_assert_int_eq(
        map_profile_read_csv("tests/fixtures/tiny-gpt2/profile.csv", &r, err, sizeof err), 0);
    ck_assert_int_eq(r.n, 49);
    ck_assert_str_eq(r.row[48].name, "lm_head");
    map_profile_free(&r);
    ck_assert_int_ne(map_profile_read_csv("configs/hybrid.yaml", &r, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "header is not projection,kl_mean,kl_std,dloss_mean"));
}
END_TEST

/* stage 2 on the fixture: from every static weight on the crossbars (kl 0.14
 * predicted), moves to the digital tier until kl <= 0.002 holds, checked by
 * the real forward pass with every remaining analog projection noisy */
START_TEST(test_stage2_moves)
{
    if (!have_repo())
        return;
    char err[2048], spec[1024];
    wl_gpt2_t *m = wl_gpt2_load("tests/fixtures/tiny-gpt2", err, sizeof err);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_gt(wl_gpt2_ir_spec(m, spec, sizeof spec), 0);
    wl_gpt2_free(m);
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    o.seq = 128;
    map_ctx_t *ctx = NULL;
    ck_assert_msg(map_ctx_open("configs/hybrid.yaml", spec, &o, &ctx, err, sizeof err) == 0, "%s",
                  err);
    map_profile_t prof;
    ck_assert_int_eq(
        map_profile_read_csv("tests/fixtures/tiny-gpt2/profile.csv", &prof, err, sizeof err), 0);
    map_search_opts_t so;
    map_search_opts_default(&so);
    so.population = 8;
    so.generations = 0;
    map_search_result_t r;
    ck_assert_msg(map_search(ctx, &so, &prof, &r, err, sizeof err) == 0, "%s", err);
    /* start stage 2 from the greedy baseline: every static weight on a crossbar */
    size_t g = 0;
    while (g < r.n_baselines && strcmp(r.baseline[g].name, "greedy by size"))
        g++;
    ck_assert_uint_lt(g, r.n_baselines);
    memcpy(r.chosen, r.baseline[g].place, r.n_ops * sizeof *r.chosen);
    r.chosen_kl = r.baseline[g].kl;
    ck_assert(r.chosen_kl > 0.1); /* the 49 projections' KL summed */
    ck_assert_int_eq(map_search_refine(ctx, &prof, 0.002, &r, err, sizeof err), 0);
    ck_assert_uint_gt(r.n_moves, 0);
    ck_assert(r.chosen_kl <= 0.002);
    /* the most sensitive projections left the crossbars, some stayed */
    int lm_moved = 0;
    for (size_t i = 0; i < r.n_moves; i++)
        lm_moved |= !strcmp(r.moves[i].op, "lm_head");
    ck_assert(lm_moved);
    ck_assert_uint_lt(r.n_moves, 49);
    for (size_t i = 1; i < r.n_moves; i++)
        ck_assert(r.moves[i].kl_after < r.moves[i - 1].kl_after);
    double kl, ce;
    ck_assert_msg(map_search_measured(ctx, &prof, "tests/fixtures/tiny-gpt2", 0.002, &r, &kl, &ce,
                                      err, sizeof err) == 0,
                  "%s", err);
    fprintf(stderr, "stage 2 on tiny-gpt2: %zu moves, predicted kl %.4g, measured %.4g\n",
            r.n_moves, r.chosen_kl, kl);
    ck_assert(r.quality_met);
    ck_assert(kl <= 0.002 && kl > 0);
    map_search_result_free(&r);
    map_profile_free(&prof);
    map_ctx_close(ctx);
}
END_TEST

START_TEST(test_stage2_fixture)
{
    const char *prism = getenv("PRISM");
    if (!have_repo() || !prism || access(prism, X_OK) != 0)
        return;
    char cmd[2048], dir[] = "/tmp/prism-map-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "%s map --chip configs/hybrid.yaml --workload tests/fixtures/tiny-gpt2 --quality "
             "kl=0.002 --objective latency --population 12 --generations 6 -o %s/s.json --json "
             "> %s/out.json 2>%s/err.txt",
             prism, dir, dir, dir);
    int rc = sh(cmd);
    snprintf(cmd, sizeof cmd, "cat %s/out.json %s/err.txt >&2", dir, dir);
    sh(cmd);
    ck_assert_int_eq(rc, 0);
    snprintf(cmd, sizeof cmd,
             "python3 -c \"import json,sys; d=json.load(open('%s/out.json')); c=d['chosen']; "
             "sys.exit(not (c['quality_met'] and 0 <= c['kl_measured'] <= 0.002 and "
             "c['kl_predicted'] <= 0.002))\"",
             dir);
    ck_assert_int_eq(sh(cmd), 0);
    /* the schedule runs, and the trace answers time and energy per tier per layer */
    snprintf(cmd, sizeof cmd,
             "%s run configs/hybrid.yaml --schedule %s/s.json --trace %s/t.db > /dev/null && "
             "test \"$(sqlite3 %s/t.db \"SELECT COUNT(DISTINCT tier) FROM tier_layer WHERE "
             "energy_pj > 0\")\" -ge 2 && "
             "test \"$(sqlite3 %s/t.db \"SELECT COUNT(*) FROM events e JOIN schedule_entries s "
             "ON s.op_id = e.op_id WHERE e.kind = 0\")\" -gt 0 && "
             /* packets are not a tier's work, and a unit is busy at most the whole run */
             "test \"$(sqlite3 %s/t.db \"SELECT COUNT(*) FROM tier_layer t WHERE tier = 'other' "
             "OR busy_ps > units * (SELECT end_time_ps FROM runs)\")\" -eq 0",
             prism, dir, dir, dir, dir, dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
}
END_TEST

/* a mapped schedule (crossbar weights resident: no_reload requests) through
 * the file and prism run: the run takes what the mapper estimated */
START_TEST(test_cli_resident_round_trip)
{
    const char *prism = getenv("PRISM");
    if (!have_repo() || !prism || access(prism, X_OK) != 0)
        return;
    char cmd[2048], dir[] = "/tmp/prism-mapr-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "%s map --chip configs/hybrid.yaml --workload gpt2:layers=2 --seq 32 "
             "--resident-weights --objective latency --generations 3 -o %s/s.json --json > "
             "%s/m.json && %s run configs/hybrid.yaml --schedule %s/s.json --json > %s/r.json && "
             "python3 -c \"import json,sys; m=json.load(open('%s/m.json')); "
             "r=json.load(open('%s/r.json')); c=m['chosen']; x=sum(1 for _ in []); "
             "e=sum(k['energy_pj'] for k in r['components'])/1e9; "
             "print('estimate', c['latency_ms'], c['energy_mj'], 'run', r['end_time_ps']/1e9, e); "
             "sys.exit(not (m['chosen']['mac_share_pct']['xbar'] > 0 and "
             "abs(r['end_time_ps']/1e9 - c['latency_ms']) <= 1e-3 * c['latency_ms'] and "
             "abs(e - c['energy_mj']) <= 1e-3 * c['energy_mj']))\" >&2",
             prism, dir, dir, prism, dir, dir, dir, dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "grep -q no_reload %s/s.json", dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
}
END_TEST

START_TEST(test_cli_errors)
{
    const char *prism = getenv("PRISM");
    if (!have_repo() || !prism || access(prism, X_OK) != 0)
        return;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s map --chip configs/hybrid.yaml 2>/dev/null", prism);
    ck_assert_int_eq(sh(cmd), 2);
    snprintf(cmd, sizeof cmd,
             "%s map --chip configs/hybrid.yaml --workload gpt2 --quality kl=abc 2>&1 | grep -q "
             "\"is not kl=X\"",
             prism);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "%s map --chip configs/hybrid.yaml --workload gpt2 -o configs/hybrid.yaml 2>&1 | "
             "grep -q \"refusing to overwrite an input\"",
             prism);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "%s map --chip configs/demo.yaml --workload gpt2 2>&1 | grep -q \"no "
             "schedule_driver\"",
             prism);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "%s map profile --workload /nonexistent 2>&1 | grep -q \"/nonexistent\"", prism);
    ck_assert_int_eq(sh(cmd), 0);
}
END_TEST

/* `make demo`'s mapping (scripts/demo.sh: GPT-2 small, 128 tokens, 8-bit
 * words, crossbar weights resident, kl <= 0.01, the knee of the front) puts
 * MACs on all three GEMM tiers, and the reason the demo gives for the knee
 * holds: the latency pick leaves one tier idle. The full search runs in the
 * optimized build; under the sanitizers only the script's options are
 * checked. */
static void demo_shares(int objective, double sh[MAP_TIERS])
{
    char err[2048];
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    o.seq = 128;
    o.dtype = WL_DT_I8;
    map_ctx_t *ctx = NULL;
    ck_assert_msg(map_ctx_open("configs/hybrid.yaml", "gpt2", &o, &ctx, err, sizeof err) == 0,
                  "%s", err);
    map_ctx_set_resident(ctx, 1);
    map_profile_t prof;
    ck_assert_int_eq(
        map_profile_read_csv("tests/fixtures/tiny-gpt2/profile.csv", &prof, err, sizeof err), 0);
    map_search_opts_t so;
    map_search_opts_default(&so); /* prism map's defaults: population 32, 40 generations */
    so.kl_target = 0.01;
    so.objective = objective;
    map_search_result_t r;
    ck_assert_msg(map_search(ctx, &so, &prof, &r, err, sizeof err) == 0, "%s", err);
    ck_assert(r.quality_met);
    const wl_graph_t *g = map_ctx_graph(ctx);
    double tot = 0;
    for (int t = 0; t < MAP_TIERS; t++)
        sh[t] = 0;
    for (size_t i = 0; i < wl_graph_op_count(g); i++) {
        const wl_op_t *op = wl_graph_op(g, i);
        if (!wl_opkind_is_gemm(op->kind))
            continue;
        double m = (double)op->macs, fa = r.chosen[i].pct_a >= 100 ? 1.0 : r.chosen[i].pct_a / 100.0;
        tot += m;
        sh[r.chosen[i].a] += m * fa;
        sh[r.chosen[i].b] += m * (1 - fa);
    }
    for (int t = 0; t < MAP_TIERS; t++)
        sh[t] = 100.0 * sh[t] / tot;
    fprintf(stderr, "demo mapping, objective %d: MACs digital %.1f %%, xbar %.1f %%, photonic %.1f %%\n",
            objective, sh[MAP_TIER_DIGITAL], sh[MAP_TIER_XBAR], sh[MAP_TIER_PHOTONIC]);
    map_search_result_free(&r);
    map_profile_free(&prof);
    map_ctx_close(ctx);
}

START_TEST(test_demo_uses_all_tiers)
{
    if (!have_repo())
        return;
    FILE *f = fopen("scripts/demo.sh", "r");
    ck_assert_ptr_nonnull(f);
    char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    /* the options this test maps with are the demo's */
    const char *want[] = {"configs/hybrid.yaml", "seq=${DEMO_SEQ:-128}",
                          "--workload gpt2 --seq \"$seq\"", "--quality kl=0.01",
                          "--resident-weights", "--dtype i8", "--objective knee"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(strstr(text, want[i]), "scripts/demo.sh no longer maps with '%s'", want[i]);
#if defined(__SANITIZE_ADDRESS__)
    return;
#endif
    double sh[MAP_TIERS];
    demo_shares(0, sh);
    ck_assert_msg(sh[MAP_TIER_DIGITAL] > 0 && sh[MAP_TIER_XBAR] > 0 && sh[MAP_TIER_PHOTONIC] > 0,
                  "the demo's knee mapping leaves a GEMM tier idle");
    demo_shares(1, sh);
    ck_assert_msg(sh[MAP_TIER_DIGITAL] == 0 || sh[MAP_TIER_XBAR] == 0 || sh[MAP_TIER_PHOTONIC] == 0,
                  "the latency pick now uses all three tiers: scripts/demo.sh may go back to "
                  "--objective latency (and its reason line must change)");
}
END_TEST

/* scripts/breakeven.py's table from a CSV it wrote (--parse-only): the
 * break-even is the linear interpolation where all-digital / hybrid crosses 1
 * (xbar energy: 1.5 at 0.25 pJ/MAC, 0.75 at 1.25: 0.25 + 0.5 / 0.75 x 1 =
 * 0.917 pJ/MAC); a sweep on one side of 1 says so; a CSV without its columns
 * is refused with exit status 2 naming the column. */
START_TEST(test_breakeven_parse)
{
    if (!have_repo() || sh("command -v python3 > /dev/null && command -v gnuplot > /dev/null"))
        return;
    char cmd[2048], dir[] = "/tmp/prism-be-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "python3 scripts/breakeven.py --parse-only tests/fixtures/breakeven/sweep.csv --png "
             "%s/b.png > %s/out.txt && test -s %s/b.png",
             dir, dir, dir);
    ck_assert_int_eq(sh(cmd), 0);
    const char *want[] = {"break-even xbar, energy: 0.917 pJ/MAC",
                          "break-even xbar, latency: never (all-digital ahead over the whole sweep)",
                          "break-even ptc, latency: hybrid ahead over the whole sweep",
                          "| xbar | adc_ref_pj = 10 | 1.25 | 500.0 | 65 | 4.000 / 2.000 | 20.00 / 15.00 "
                          "| 0.50x | 0.75x |"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        snprintf(cmd, sizeof cmd, "grep -qF '%s' %s/out.txt || cat %s/out.txt >&2", want[i], dir,
                 dir);
        ck_assert_int_eq(sh(cmd), 0);
        snprintf(cmd, sizeof cmd, "grep -qF '%s' %s/out.txt", want[i], dir);
        ck_assert_msg(sh(cmd) == 0, "breakeven.py did not print '%s'", want[i]);
    }
    snprintf(cmd, sizeof cmd,
             "printf 'sweep,model\\nx,y\\n' > %s/bad.csv; python3 scripts/breakeven.py "
             "--parse-only %s/bad.csv 2> %s/err.txt; test $? -eq 2 && grep -q \"column 'param' "
             "missing\" %s/err.txt",
             dir, dir, dir, dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("map");
    TCase *t = tcase_create("map");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_set_timeout(t, 240);
    tcase_add_test(t, test_cost_equals_handler);
    tcase_add_test(t, test_estimate_gpt2);
    tcase_add_test(t, test_estimate_resnet18);
    tcase_add_test(t, test_front_non_dominated);
    tcase_add_test(t, test_profile_deterministic);
    tcase_add_test(t, test_stage2_moves);
    tcase_add_test(t, test_stage2_fixture);
    tcase_add_test(t, test_cli_errors);
    tcase_add_test(t, test_cli_resident_round_trip);
    tcase_add_test(t, test_demo_uses_all_tiers);
    tcase_add_test(t, test_breakeven_parse);
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
