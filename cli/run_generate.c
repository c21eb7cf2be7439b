/* After `prism run CONFIG --workload LM --prompt P --generate N`: the
 * generation's figures (time to first token, time per output token, tokens
 * per second, energy per token) from the schedule's measured step ends and
 * the energy ledger, and with --trace one row per step (gen_steps, view
 * generation_steps). The schedule is mapper/generate.c's. */
#include "cli/cli.h"
#include "cli/out.h"
#include "mapper/map.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_generate(const char *arg, int *tokens)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*end || end == arg || v < 1 || v > MAP_GEN_MAX_TOKENS) {
        fprintf(stderr, "prism run: --generate '%s' is not a count of new tokens in 1..%d\n", arg,
                MAP_GEN_MAX_TOKENS);
        return 2;
    }
    *tokens = (int)v;
    return 0;
}

static int trace_steps(const char *db, const map_schedule_t *s, const map_gen_stats_t *g)
{
    sqlite3 *h = NULL;
    if (sqlite3_open(db, &h) != SQLITE_OK) {
        fprintf(stderr, "prism run: %s: %s\n", db, h ? sqlite3_errmsg(h) : "cannot open");
        sqlite3_close(h);
        return 1;
    }
    const char *ddl =
        "BEGIN;"
        "CREATE TABLE IF NOT EXISTS gen_steps(step INTEGER PRIMARY KEY, phase TEXT,"
        " kv_len INTEGER, first_entry INTEGER, last_entry INTEGER, end_ps INTEGER,"
        " kv_bytes INTEGER);"
        "CREATE VIEW IF NOT EXISTS generation_steps AS SELECT g.step, g.phase, g.kv_len,"
        " g.end_ps, g.end_ps - COALESCE((SELECT p.end_ps FROM gen_steps p WHERE p.step ="
        " g.step - 1), 0) AS step_ps, (SELECT SUM(e.energy_pj) FROM schedule_entries e WHERE"
        " e.entry BETWEEN g.first_entry AND g.last_entry) AS energy_pj, g.kv_bytes,"
        " g.last_entry - g.first_entry + 1 AS entries FROM gen_steps g ORDER BY g.step;";
    char *msg = NULL;
    int rc = sqlite3_exec(h, ddl, NULL, NULL, &msg);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO gen_steps VALUES(?,?,?,?,?,?,?)", -1,
                                &st, NULL);
    for (size_t t = 0; t < s->n_steps && rc == SQLITE_OK; t++) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)t);
        sqlite3_bind_text(st, 2, t ? "decode" : "prefill", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)s->step_kv[t]);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)s->step_first[t]);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)s->step_first[t + 1] - 1);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)g->step_end_ps[t]);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)g->step_kv_bytes[t]);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
    }
    if (rc != SQLITE_OK)
        fprintf(stderr, "prism run: %s: writing generation_steps: %s\n", db,
                msg ? msg : sqlite3_errmsg(h));
    sqlite3_free(msg);
    sqlite3_finalize(st);
    sqlite3_exec(h, rc == SQLITE_OK ? "COMMIT;" : "ROLLBACK;", NULL, NULL, NULL);
    sqlite3_close(h);
    return rc == SQLITE_OK ? 0 : 1;
}

int cli_generation_after(sim_t *s, const char *trace_path, int json)
{
    const char *driver = NULL;
    char err[512];
    map_schedule_t *ms = NULL;
    if (!map_find_driver(s, &driver, err, sizeof err))
        ms = map_attached(s, driver);
    map_gen_stats_t g;
    if (!ms || map_generation_stats(ms, &g)) {
        fprintf(stderr, "prism run: the generation did not complete: no token figures\n");
        return 1;
    }
    int rc = trace_path ? trace_steps(trace_path, ms, &g) : 0;
    if (!json) {
        double total = 0;
        for (size_t i = 0; i < sim_comp_count(s); i++)
            total += sim_energy_pj(sim_comp_at(s, i));
        char a[32], b[32], c[32], d[32], e[32];
        out_human_ps(a, sizeof a, (double)g.ttft_ps);
        out_human_ps(b, sizeof b, g.tpot_mean_ps);
        out_human_ps(c, sizeof c, (double)g.tpot_p50_ps);
        out_human_ps(d, sizeof d, (double)g.tpot_p99_ps);
        out_human_pj(e, sizeof e, g.tokens ? total / (double)g.tokens : 0);
        printf("generation   prompt %d, %zu new tokens x batch %d (prefill + %zu decode steps)\n",
               ms->gen_prompt, g.steps, ms->gen_batch, g.steps - 1);
        printf("TTFT         %s\n", a);
        if (g.steps > 1)
            printf("TPOT         mean %s, p50 %s, p99 %s\n", b, c, d);
        printf("throughput   %.1f tokens/s\n", g.tokens_per_s);
        printf("energy/token %s (the run's energy / %llu tokens)\n", e,
               (unsigned long long)g.tokens);
        if (trace_path)
            printf("steps        prism query %s \"SELECT * FROM generation_steps\"\n", trace_path);
        printf("\n");
    }
    map_gen_stats_free(&g);
    return rc;
}

void cli_generation_json(sim_t *s)
{
    const char *driver = NULL;
    char err[512];
    map_schedule_t *ms = NULL;
    if (!map_find_driver(s, &driver, err, sizeof err))
        ms = map_attached(s, driver);
    map_gen_stats_t g;
    if (!ms || map_generation_stats(ms, &g)) {
        printf(",\"generation\":null");
        return;
    }
    double total = 0;
    for (size_t i = 0; i < sim_comp_count(s); i++)
        total += sim_energy_pj(sim_comp_at(s, i));
    printf(",\"generation\":{\"prompt\":%d,\"new_tokens\":%zu,\"batch\":%d,\"ttft_ps\":%llu,"
           "\"tpot_mean_ps\":%.17g,\"tpot_p50_ps\":%llu,\"tpot_p99_ps\":%llu,"
           "\"tokens_per_s\":%.17g,\"energy_per_token_pj\":%.17g,\"steps\":[",
           ms->gen_prompt, g.steps, ms->gen_batch, (unsigned long long)g.ttft_ps, g.tpot_mean_ps,
           (unsigned long long)g.tpot_p50_ps, (unsigned long long)g.tpot_p99_ps, g.tokens_per_s,
           g.tokens ? total / (double)g.tokens : 0.0);
    for (size_t t = 0; t < g.steps; t++)
        printf("%s{\"step\":%zu,\"kv_len\":%u,\"end_ps\":%llu,\"energy_pj\":%.17g,"
               "\"kv_bytes\":%llu}",
               t ? "," : "", t, ms->step_kv[t], (unsigned long long)g.step_end_ps[t],
               g.step_energy_pj[t], (unsigned long long)g.step_kv_bytes[t]);
    printf("]}");
    map_gen_stats_free(&g);
}
