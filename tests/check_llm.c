/* LLM inference on the naive mapper (mapper/kv.c, mapper/generate.c): the KV
 * cache as data in memory, checked against the closed form of its traffic
 * (2 x layers x kv_heads x head_dim x tokens x batch x bytes per element), its
 * placement by capacity, and a generation whose time per output token grows
 * by the extra cache bytes over the DRAM bandwidth when the DRAM is the
 * bottleneck (and twice to the picosecond); request streams, where continuous
 * batching's p99 is no worse than static batching's on a stream of mixed
 * lengths and the cache bound holds; bad input through the CLI ($PRISM). */
#include "mapper/map.h"
#include "tests/check_stats.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check_cli.h"

static void setup(void)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    cli_setup("check-llm");
}
static void teardown(void)
{
    cli_teardown();
}

/* configs/chip.yaml with `sets` ("k=v", NULL-terminated), the workload or
 * generation attached, run to the end. */
static sim_t *run_chip(const char *const *sets, const char *spec, const wl_gen_opts_t *o,
                       int tokens)
{
    size_t nset = 0;
    while (sets && sets[nset])
        nset++;
    sim_config_over_t over = {.set = sets, .nset = nset};
    sim_t *s = NULL;
    char err[1024];
    int rc = sim_config_load("configs/chip.yaml", &over, &s, NULL, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    rc = tokens ? map_generation_attach(s, spec, o, tokens, err, sizeof err)
                : map_workload_attach(s, spec, o, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_msg(sim_init(s) == 0, "%s", sim_errmsg(s));
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
    return s;
}

static wl_gen_opts_t opts(int batch, int seq, int decode, int kv_len)
{
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    o.batch = batch;
    o.seq = seq;
    o.phase = decode ? WL_PHASE_DECODE : WL_PHASE_PREFILL;
    o.kv_len = kv_len;
    o.dtype = WL_DT_I8;
    return o;
}

/* bytes the schedule's entries of `unit` read (or wrote) and that the run measured */
static uint64_t unit_bytes(const map_schedule_t *m, const char *unit, int kind, int kv_only)
{
    uint64_t b = 0;
    for (size_t i = 0; i < m->exec.n_entries; i++) {
        const map_exec_entry_t *e = &m->exec.entries[i];
        if (e->unit < 0 || strcmp(m->exec.units[e->unit], unit) || e->req.kind != kind ||
            (kv_only && !m->info[i].kv))
            continue;
        ck_assert(e->res.done);
        ck_assert_uint_eq(e->res.bytes, e->req.m);
        b += e->res.bytes;
    }
    return b;
}

/* GPT-2 small: 12 layers, 12 KV heads x 64 = 768 per token and layer */
#define GPT2_KV_ROW 768ull
#define GPT2_LAYERS 12ull

START_TEST(test_decode_reads_the_cache)
{
    /* the run: decode after 512 tokens, batch 8, i8 (chip's word) */
    wl_gen_opts_t o = opts(8, 0, 1, 512);
    sim_t *s = run_chip(NULL, "gpt2", &o, 0);
    map_schedule_t *m = map_attached(s, "drv");
    uint64_t kv_closed = 2 * GPT2_LAYERS * GPT2_KV_ROW * 512 * 8 * 1;
    ck_assert_uint_eq(kv_closed, 75497472);
    ck_assert_uint_eq(m->kv_read_bytes, kv_closed);
    ck_assert_uint_eq(m->kv_write_bytes, 2 * GPT2_LAYERS * GPT2_KV_ROW * 8); /* one new row */
    /* 2 x 12 x 768 x 513 x 8 B do not fit the 8 MiB buffer: the cache is in DRAM */
    ck_assert_str_eq(m->exec.units[m->kv_unit], "dram");
    uint64_t dram_read = unit_bytes(m, "dram", DEV_OP_READ, 0);
    ck_assert_uint_ge(dram_read, m->weight_load_bytes + kv_closed);
    ck_assert_uint_eq(unit_bytes(m, "dram", DEV_OP_READ, 1), kv_closed);
    /* each layer's score waits (through the append) for its past keys */
    size_t reads = 0;
    for (size_t i = 0; i < m->exec.n_entries; i++) {
        const map_exec_entry_t *e = &m->exec.entries[i];
        if (m->info[i].kv == 1)
            reads++;
        if (strcmp(m->info[i].kind, "attn_score"))
            continue;
        int waits = 0;
        for (uint32_t j = 0; j < e->n_preds; j++) {
            const map_exec_entry_t *p = &m->exec.entries[m->exec.preds[e->pred_off + j]];
            for (uint32_t k = 0; k < p->n_preds; k++)
                waits |= m->info[m->exec.preds[p->pred_off + k]].kv == 1;
        }
        ck_assert_msg(waits, "entry %zu (%s) does not wait for a KV read", i, e->name);
    }
    ck_assert_uint_eq(reads, 2 * GPT2_LAYERS);
    sim_destroy(s);

    /* kv_cache false: the cache is taken as on chip (no reads) */
    const char *off[] = {"drv.kv_cache=false", NULL};
    s = run_chip(off, "gpt2", &o, 0);
    m = map_attached(s, "drv");
    ck_assert_uint_eq(m->kv_read_bytes, 0);
    ck_assert_uint_eq(unit_bytes(m, "dram", DEV_OP_READ, 1), 0);
    sim_destroy(s);
}
END_TEST

START_TEST(test_cache_placement_and_prefill)
{
    /* a short cache fits the buffer: 2 x 12 x 768 x 17 B */
    wl_gen_opts_t o = opts(1, 0, 1, 16);
    sim_t *s = run_chip(NULL, "gpt2", &o, 0);
    map_schedule_t *m = map_attached(s, "drv");
    ck_assert_str_eq(m->exec.units[m->kv_unit], "sram");
    ck_assert_uint_eq(unit_bytes(m, "sram", DEV_OP_READ, 1), 2 * GPT2_LAYERS * GPT2_KV_ROW * 16);
    sim_destroy(s);
    /* prefill writes the keys and values it computes: 2 x 12 x 768 x 128 x 2 B */
    o = opts(2, 128, 0, -1);
    s = run_chip(NULL, "gpt2", &o, 0);
    m = map_attached(s, "drv");
    ck_assert_uint_eq(m->kv_read_bytes, 0);
    ck_assert_uint_eq(m->kv_write_bytes, 2 * GPT2_LAYERS * GPT2_KV_ROW * 128 * 2);
    ck_assert_uint_eq(unit_bytes(m, "sram", DEV_OP_WRITE, 1), m->kv_write_bytes);
    sim_destroy(s);
    /* Llama 3.2 1B: 16 layers x 8 KV heads x 64, grouped-query attention */
    o = opts(1, 0, 1, 100);
    s = run_chip(NULL, "llama3.2-1b:layers=2", &o, 0);
    m = map_attached(s, "drv");
    ck_assert_uint_eq(m->kv_read_bytes, 2ull * 2 * 8 * 64 * 100);
    sim_destroy(s);
}
END_TEST

/* A generation on chip.yaml with the HBM slowed to 2 GB/s, so that every
 * step is DRAM-bound and the cache (batch 16, prompt 128: 39 MB) is in DRAM:
 * each step reads one more row per layer and sequence, 2 x 12 x 768 x 16 B
 * more, so its time grows by those bytes over 2 GB/s, except layer 0's: its
 * past keys/values wait only for the weight buffer the previous step's
 * second-to-last weighted GEMM frees, so the DRAM reads them while the
 * previous step's lm_head runs on the array (off the critical path). The
 * step grows by 11/12 of the extra bytes' time. */
START_TEST(test_generation_tpot_grows_with_the_cache)
{
    const char *slow[] = {"hbm.bandwidth_gbps=2", NULL};
    wl_gen_opts_t o = opts(16, 128, 0, -1);
    int tokens = 4;
    sim_t *s = run_chip(slow, "gpt2", &o, tokens);
    map_schedule_t *m = map_attached(s, "drv");
    ck_assert_uint_eq(m->n_steps, (size_t)tokens);
    ck_assert_str_eq(m->exec.units[m->kv_unit], "dram");
    map_gen_stats_t g;
    ck_assert_int_eq(map_generation_stats(m, &g), 0);
    uint64_t row = 2 * GPT2_LAYERS * GPT2_KV_ROW * 16; /* one token of the batch, K and V */
    ck_assert_uint_eq(g.step_kv_bytes[0], row * 128);  /* prefill writes the prompt's rows */
    for (int t = 1; t < tokens; t++) {
        ck_assert_uint_eq(m->step_kv[t], 128u + (unsigned)t - 1);
        /* reads the past rows, writes one */
        ck_assert_uint_eq(g.step_kv_bytes[t], row * (m->step_kv[t] + 1));
    }
    /* layers 1..11's extra bytes at 2 B/ns, in ps */
    double extra_ps = (double)row * (GPT2_LAYERS - 1) / GPT2_LAYERS / 2.0 * 1000.0;
    for (int t = 2; t < tokens; t++) {
        double d = (double)(g.step_end_ps[t] - g.step_end_ps[t - 1]) -
                   (double)(g.step_end_ps[t - 1] - g.step_end_ps[t - 2]);
        ck_assert_msg(d > 0.99 * extra_ps && d < 1.01 * extra_ps,
                      "step %d grew by %.0f ps, the cache's extra bytes take %.0f ps", t, d,
                      extra_ps);
    }
    ck_assert_uint_eq(g.ttft_ps, g.step_end_ps[0]);
    ck_assert(g.tpot_p50_ps <= g.tpot_p99_ps);
    ck_assert_uint_eq(g.tokens, (uint64_t)tokens * 16);
    ck_assert_uint_eq(g.end_ps, (sim_time_t)stat_of(s, "drv", "makespan_ps"));
    /* the same generation again: the same step ends, to the picosecond */
    sim_t *s2 = run_chip(slow, "gpt2", &o, tokens);
    map_gen_stats_t g2;
    ck_assert_int_eq(map_generation_stats(map_attached(s2, "drv"), &g2), 0);
    for (int t = 0; t < tokens; t++)
        ck_assert_uint_eq(g2.step_end_ps[t], g.step_end_ps[t]);
    map_gen_stats_free(&g2);
    sim_destroy(s2);
    map_gen_stats_free(&g);
    sim_destroy(s);
}
END_TEST

START_TEST(test_errors)
{
    sim_t *s = NULL;
    char err[1024];
    ck_assert_int_eq(sim_config_load("configs/chip.yaml", NULL, &s, NULL, err, sizeof err), 0);
    wl_gen_opts_t o = opts(1, 1000, 0, -1);
    ck_assert_int_ne(map_generation_attach(s, "gpt2", &o, 100, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "1024 learned positions") && strstr(err, "prompt of 1000"), "%s",
                  err);
    sim_destroy(s);

    /* weights fit, the cache does not: say so before the run */
    const char *small[] = {"hbm.capacity_bytes=130000000", NULL};
    sim_config_over_t over = {.set = small, .nset = 1};
    ck_assert_int_eq(sim_config_load("configs/chip.yaml", &over, &s, NULL, err, sizeof err), 0);
    o = opts(8, 0, 1, 512);
    ck_assert_int_ne(map_workload_attach(s, "gpt2", &o, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "KV cache") && strstr(err, "hbm"), "%s", err);
    sim_destroy(s);
}
END_TEST

START_TEST(test_cli)
{
    SKIP_WITHOUT_PRISM();
    char out[16384];
    int rc = run(out, sizeof out,
                 "%s run configs/chip.yaml --workload gpt2 --prompt 16 --generate 3 --trace %s",
                 prism, path("g.db"));
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "TTFT"));
    ck_assert_ptr_nonnull(strstr(out, "TPOT         mean"));
    rc = run(out, sizeof out, "%s query %s \"SELECT count(*) FROM generation_steps\"", prism,
             path("g.db"));
    ck_assert_msg(rc == 0 && strstr(out, "3"), "%s", out);
    rc = run_out(out, sizeof out,
                 "%s run configs/chip.yaml --workload gpt2 --prompt 16 --generate 3 --json", prism);
    ck_assert_int_eq(rc, 0);
    cJSON *js = cJSON_Parse(out);
    ck_assert_msg(js != NULL, "%s", out);
    cJSON *gen = cJSON_GetObjectItem(js, "generation");
    ck_assert_ptr_nonnull(gen);
    cJSON *steps = cJSON_GetObjectItem(gen, "steps");
    ck_assert_int_eq(cJSON_GetArraySize(steps), 3);
    /* the last step ends with the run */
    ck_assert_double_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 2), "end_ps")->valuedouble,
                        cJSON_GetObjectItem(js, "end_time_ps")->valuedouble);
    cJSON_Delete(js);
    rc = run(out, sizeof out,
             "%s run configs/chip.yaml --workload gpt2 --prompt 1000 --generate 100", prism);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(out, "1024 learned positions"));
    rc = run(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --generate -3", prism);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(out, "--generate '-3'"));
    rc = run(out, sizeof out,
             "%s run configs/chip.yaml --workload gpt2 --phase decode --generate 3", prism);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(out, "drop --phase decode"));
}
END_TEST

/* ---- request streams ------------------------------------------------------------------ */
static void check_served(const map_request_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(r[i].generated, r[i].output);
        ck_assert_uint_gt(r[i].first_ps, r[i].arrival_ps);
        ck_assert_uint_ge(r[i].finish_ps, r[i].first_ps);
    }
}

/* Requests of mixed lengths (4 and 32 new tokens, alternating) arriving at
 * 100 per second: a static batch holds its short requests until its longest is
 * done, continuous batching retires them and takes waiting ones in. (With
 * equal lengths static batching can win: each arrival costs continuous
 * batching a prefill pass of its own, docs/workloads.md.) */
START_TEST(test_stream_continuous_beats_static)
{
    map_request_t *a = NULL, *b = NULL;
    char err[1024];
    ck_assert_int_eq(map_requests_poisson(100, 16, 16, 4, 3, &a, err, sizeof err), 0);
    ck_assert_int_eq(map_requests_poisson(100, 16, 16, 4, 3, &b, err, sizeof err), 0);
    for (size_t i = 0; i < 16; i++) { /* same seed, same stream */
        ck_assert_uint_eq(a[i].arrival_ps, b[i].arrival_ps);
        a[i].output = b[i].output = i % 2 ? 32 : 4;
    }
    wl_gen_opts_t o = opts(1, 0, 0, -1);
    map_serve_opts_t so = {.continuous = 0, .max_batch = 4};
    map_serve_stats_t st_static, st_cont;
    int rc = map_serve("configs/chip.yaml", NULL, "gpt2:layers=2", &o, &so, a, 16, &st_static, err,
                       sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    check_served(a, 16);
    so.continuous = 1;
    rc = map_serve("configs/chip.yaml", NULL, "gpt2:layers=2", &o, &so, b, 16, &st_cont, err,
                   sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    check_served(b, 16);
    fprintf(stderr, "stream: static p50/p99 %.3f/%.3f ms, continuous %.3f/%.3f ms\n",
            (double)st_static.latency_p50_ps * 1e-9, (double)st_static.latency_p99_ps * 1e-9,
            (double)st_cont.latency_p50_ps * 1e-9, (double)st_cont.latency_p99_ps * 1e-9);
    ck_assert_uint_le(st_cont.latency_p99_ps, st_static.latency_p99_ps);
    ck_assert_uint_le(st_cont.ttft_p99_ps, st_static.ttft_p99_ps);
    ck_assert_uint_eq(st_cont.kv_bytes_per_token, 2 * 2 * GPT2_KV_ROW); /* 2 layers, i8 */

    /* a cache of 96 tokens holds two requests of 16 + 32 at a time (or more shorter ones) */
    so.kv_tokens = 96;
    rc = map_serve("configs/chip.yaml", NULL, "gpt2:layers=2", &o, &so, b, 16, &st_cont, err,
                   sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    check_served(b, 16);
    for (size_t i = 0; i < 16; i++) {
        int held = 0; /* tokens reserved while request i gets its first token */
        for (size_t j = 0; j < 16; j++)
            if (b[j].first_ps <= b[i].first_ps && b[i].first_ps <= b[j].finish_ps)
                held += b[j].prompt + b[j].output;
        ck_assert_int_le(held, 96);
    }
    /* one that cannot fit at all */
    so.kv_tokens = 40;
    ck_assert_int_ne(map_serve("configs/chip.yaml", NULL, "gpt2:layers=2", &o, &so, b, 16,
                               &st_cont, err, sizeof err),
                     0);
    ck_assert_msg(strstr(err, "does not fit the KV cache"), "%s", err);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_request_files)
{
    map_request_t *r = NULL;
    size_t n = 0;
    char err[1024];
    write_file(path("ok.csv"), "arrival,prompt,output\n0.5,16,4\n0,8,2\n");
    ck_assert_int_eq(map_requests_read_csv(path("ok.csv"), &r, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(r[0].arrival_ps, 0); /* sorted by arrival */
    ck_assert_uint_eq(r[1].arrival_ps, 500000000000ull);
    free(r);
    const char *bad[][2] = {{"0,-3,4\n", "field 'prompt'"},
                            {"0,16,x\n", "field 'output'"},
                            {"-1,16,4\n", "field 'arrival (s)'"},
                            {"0,16\n", "field 'output' is missing"},
                            {"0,16.5,4\n", "field 'prompt'"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path("bad.csv"), bad[i][0]);
        ck_assert_int_ne(map_requests_read_csv(path("bad.csv"), &r, &n, err, sizeof err), 0);
        ck_assert_msg(strstr(err, ":1: ") && strstr(err, bad[i][1]), "%s", err);
    }
    SKIP_WITHOUT_PRISM();
    char out[8192];
    int rc = run(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --requests %s", prism,
                 path("bad.csv"));
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(out, "field 'prompt'"));
    rc = run(out, sizeof out,
             "%s run configs/chip.yaml --workload gpt2:layers=2 --requests %s --batching static "
             "--max-batch 2",
             prism, path("ok.csv"));
    ck_assert_msg(rc == 0 && strstr(out, "latency      p50"), "%s", out);
    rc = run(out, sizeof out,
             "%s run configs/chip.yaml --workload gpt2 --requests poisson:-1,4 --prompt 8", prism);
    ck_assert_int_eq(rc, 2);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("llm");
    TCase *tc = tcase_create("kv");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_decode_reads_the_cache);
    tcase_add_test(tc, test_cache_placement_and_prefill);
    tcase_add_test(tc, test_generation_tpot_grows_with_the_cache);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_cli);
    tcase_add_test(tc, test_stream_continuous_beats_static);
    tcase_add_test(tc, test_request_files);
    suite_add_tcase(s, tc);
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
