/* The run layer (run/run.h) as a library: one run from config to trace with
 * no command line, its statuses (complete, truncated, interrupted by a
 * signal or the wall limit), the progress callback, the schedule tables it
 * writes into the trace; and `until` without a unit refused wherever it is
 * given (the config file, --set, --until), `prism run` and `prism sweep`
 * saying `truncated` with exit 1 when schedule entries did not complete. */
#include "devices/dev.h"
#include "mapper/map.h"
#include "noc/noc.h"
#include "run/run.h"
#include "sim/dist.h"
#include "sim/sim.h"

#include <check.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check_cli.h"

static void setup(void)
{
    cli_setup("check-runlayer");
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    noc_register_all();
}
static void teardown(void) { cli_teardown(); }

static char said[4096];
static void say_keep(void *ctx, const char *msg)
{
    (void)ctx;
    snprintf(said, sizeof said, "%s", msg);
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

/* GPT-2 (16 tokens) on configs/chip.yaml: 354 schedule entries (24 of them the KV-cache stores) */
static run_t *gpt2_run(const char *trace, const char *const *set, size_t nset)
{
    run_opts_t o;
    run_opts_default(&o);
    o.config = "configs/chip.yaml";
    o.workload = "gpt2";
    o.wopts.seq = 16;
    o.over.set = set;
    o.over.nset = nset;
    o.trace_path = trace;
    o.say = say_keep;
    run_t *r = run_create(&o);
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(run_load(r) == 0, "%s", run_errmsg(r));
    ck_assert_msg(run_trace_begin(r) == 0, "%s", run_errmsg(r));
    return r;
}

START_TEST(complete_run_writes_the_schedule_tables)
{
    const char *db = path("g.db");
    run_t *r = gpt2_run(db, NULL, 0);
    ck_assert_int_eq(run_exec(r), 0);
    ck_assert_int_eq(run_end(r), 0);
    ck_assert_int_eq(run_status(r), RUN_COMPLETE);
    ck_assert_ptr_null(run_message(r));
    size_t done, n;
    run_sched_progress(r, &done, &n);
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_eq(done, n);
    char want[32];
    snprintf(want, sizeof want, "%zu", n);
    ck_assert_str_eq(query1(db, "SELECT status FROM runs"), "complete");
    ck_assert_str_eq(query1(db, "SELECT count(*) FROM schedule_entries"), want);
    ck_assert_str_eq(query1(db, "SELECT count(*) FROM schedule_entries WHERE done_ps IS NULL"),
                     "0");
    ck_assert_str_ne(query1(db, "SELECT count(*) FROM tier_layer"), "0");
    run_destroy(r);
}
END_TEST

/* a time limit that stops the schedule half way: truncated, exit 1, the
 * count of undone entries in the message and the trace */
START_TEST(time_limit_with_entries_undone_is_truncated)
{
    const char *db = path("t.db");
    const char *set[] = {"until=1ms"};
    run_t *r = gpt2_run(db, set, 1);
    ck_assert_int_eq(run_exec(r), 0);
    ck_assert_int_eq(run_end(r), 1);
    ck_assert_int_eq(run_exit_code(r), 1);
    ck_assert_int_eq(run_status(r), RUN_TRUNCATED);
    ck_assert_str_eq(run_status_name(run_status(r)), "truncated");
    size_t done, n;
    run_sched_progress(r, &done, &n);
    ck_assert_uint_lt(done, n);
    char want[128];
    snprintf(want, sizeof want, "%zu of %zu schedule entries did not complete", n - done, n);
    ck_assert_msg(strstr(run_message(r), want), "%s", run_message(r));
    ck_assert_uint_eq(sim_end_ps(run_sim(r)), 1000000000ull);
    ck_assert_str_eq(query1(db, "SELECT status FROM runs"), "truncated");
    ck_assert_msg(strstr(query1(db, "SELECT message FROM runs"), want), "%s", want);
    snprintf(want, sizeof want, "%zu", n - done);
    ck_assert_str_eq(query1(db, "SELECT count(*) FROM schedule_entries WHERE done_ps IS NULL"),
                     want);
    run_destroy(r);
}
END_TEST

/* a unit that cannot serve its entries (a sink on the driver's vector port):
 * before, the queue drained with entries undone and the run said complete at
 * a shorter end; now the schedule is refused when it is attached, naming the
 * entry and the unit (a run stopped with entries undone is truncated:
 * time_limit_with_entries_undone_is_truncated) */
START_TEST(unit_that_cannot_serve_is_refused_at_load)
{
    FILE *in = fopen("configs/chip.yaml", "r"), *out = fopen(path("sink.yaml"), "w");
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    char line[512];
    while (fgets(line, sizeof line, in)) {
        if (strstr(line, "from: vec.out"))
            continue;
        if (strstr(line, "  vec: {model: vector"))
            snprintf(line, sizeof line, "  vec: {model: sink}\n");
        fputs(line, out);
    }
    fclose(in);
    fclose(out);
    run_opts_t o;
    run_opts_default(&o);
    o.config = path("sink.yaml");
    o.workload = "gpt2";
    o.wopts.seq = 16;
    o.trace_path = path("sink.db");
    o.say = say_keep;
    run_t *r = run_create(&o);
    ck_assert_int_ne(run_load(r), 0);
    ck_assert_msg(strstr(run_errmsg(r), "unit 'vector' (sink 'vec') cannot serve a 'vector' request"),
                  "%s", run_errmsg(r));
    run_destroy(r);
}
END_TEST

/* an open-ended model (traffic generators) ends at its time limit: complete */
START_TEST(open_ended_model_at_its_limit_is_complete)
{
    run_opts_t o;
    run_opts_default(&o);
    o.config = "configs/demo.yaml";
    o.over.until_set = 1;
    o.over.until_ps = 2000000; /* 2 us */
    o.say = say_keep;
    run_t *r = run_create(&o);
    ck_assert_int_eq(run_load(r), 0);
    ck_assert_int_eq(run_exec(r), 0);
    ck_assert_int_eq(run_end(r), 0);
    ck_assert_int_eq(run_status(r), RUN_COMPLETE);
    ck_assert_uint_eq(sim_end_ps(run_sim(r)), 2000000);
    run_destroy(r);
}
END_TEST

static int progress_calls;
static void progress_count(run_t *r, void *ctx)
{
    (void)ctx;
    ck_assert_ptr_nonnull(run_sim(r));
    progress_calls++;
}

static void progress_raise(run_t *r, void *ctx)
{
    (void)r;
    (void)ctx;
    progress_calls++;
    if (progress_calls == 1)
        raise(SIGINT);
}

START_TEST(wall_limit_interrupts_and_progress_is_called)
{
    run_opts_t o;
    run_opts_default(&o);
    o.config = "configs/demo.yaml";
    o.over.until_set = 1;
    o.over.until_ps = 0;
    o.wall_limit = 0.2;
    o.progress = progress_count;
    o.progress_period = 0.02;
    run_t *r = run_create(&o);
    ck_assert_int_eq(run_load(r), 0);
    progress_calls = 0;
    ck_assert_int_eq(run_exec(r), 130);
    ck_assert_int_eq(run_end(r), 130);
    ck_assert_int_eq(run_status(r), RUN_INTERRUPTED);
    ck_assert_str_eq(run_message(r), "wall-clock limit reached");
    ck_assert_int_ge(progress_calls, 2); /* the timer, and once at the end */
    ck_assert(run_wall_s(r) >= 0.2);
    run_destroy(r);
}
END_TEST

START_TEST(sigint_stops_the_loop_and_the_trace_says_so)
{
    const char *db = path("int.db");
    run_opts_t o; /* the progress callback raises SIGINT once */
    run_opts_default(&o);
    o.config = "configs/demo.yaml";
    o.over.until_set = 1;
    o.over.until_ps = 0;
    o.trace_path = db;
    o.say = say_keep;
    o.signals = 1;
    o.progress = progress_raise;
    o.progress_period = 0.02;
    run_t *r = run_create(&o);
    ck_assert_int_eq(run_load(r), 0);
    ck_assert_int_eq(run_trace_begin(r), 0);
    progress_calls = 0;
    ck_assert_int_eq(run_exec(r), 130);
    ck_assert_int_eq(run_end(r), 130);
    ck_assert_str_eq(run_message(r), "interrupted by SIGINT");
    ck_assert_str_eq(query1(db, "SELECT status FROM runs"), "interrupted");
    ck_assert_str_eq(query1(db, "SELECT message FROM runs"), "interrupted by SIGINT");
    run_destroy(r);
}
END_TEST

/* a simulation the caller built: the run layer drives it, the caller keeps it */
START_TEST(adopted_simulation)
{
    sim_t *s = NULL;
    char err[512];
    const char *cfg = "seed: 3\nclocks: {core: 1GHz}\ncomponents:\n"
                      "  g: {model: traffic_gen, clock: core, rate: 0.5, dests: 1, packets: 50}\n"
                      "  k: {model: sink}\nlinks:\n  - {from: g.out, to: k.in, latency: 1ns}\n";
    ck_assert_msg(sim_config_load_string(cfg, "t.yaml", NULL, &s, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_int_eq(sim_init(s), 0);
    run_opts_t o;
    run_opts_default(&o);
    o.slice_events = 7; /* many slices: the same result as one */
    run_t *r = run_create(&o);
    ck_assert_int_eq(run_adopt(r, s), 0);
    ck_assert_int_eq(run_exec(r), 0);
    ck_assert_int_eq(run_end(r), 0);
    ck_assert_int_eq(run_status(r), RUN_COMPLETE);
    run_destroy(r);
    ck_assert_uint_gt(sim_events_handled(s), 50);
    ck_assert_int_eq(sim_pending(s), 0);
    sim_destroy(s);
}
END_TEST

START_TEST(bad_input_is_2_with_the_message)
{
    run_opts_t o;
    run_opts_default(&o);
    o.config = path("missing.yaml");
    o.say = say_keep;
    run_t *r = run_create(&o);
    ck_assert_int_eq(run_load(r), 2);
    ck_assert_msg(strstr(run_errmsg(r), "missing.yaml"), "%s", run_errmsg(r));
    ck_assert_str_eq(said, run_errmsg(r));
    run_destroy(r);
    run_destroy(NULL);
}
END_TEST

START_TEST(until_without_a_unit_is_refused_everywhere)
{
    sim_time_t t = 7;
    ck_assert_int_eq(sim_parse_until("5", &t), 2);
    ck_assert_int_eq(sim_parse_until("2000", &t), 2);
    ck_assert_int_eq(t, 7);
    ck_assert_int_eq(sim_parse_until("5us", &t), 0);
    ck_assert_int_eq(t, 5000000);
    ck_assert_int_eq(sim_parse_until("0", &t), 1);
    /* the file, and --set (which is applied to the file's text) */
    char err[512];
    sim_t *s = NULL;
    ck_assert_int_ne(sim_config_load_string("until: 5\ncomponents: {}\n", "u.yaml", NULL, &s, err,
                                            sizeof err),
                     0);
    ck_assert_msg(strstr(err, "u.yaml:1:8: field 'until' is '5' without a unit"), "%s", err);
    const char *set[] = {"until=5"};
    sim_config_over_t over = {.set = set, .nset = 1};
    ck_assert_int_ne(sim_config_load("configs/demo.yaml", &over, &s, NULL, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "--set until=5: field 'until' is '5' without a unit"), "%s", err);
    SKIP_WITHOUT_PRISM();
    char out[8192];
    const char *cmds[] = {"run configs/demo.yaml --set until=5", "run configs/demo.yaml --until 5",
                          "sweep configs/demo.yaml --set until=5,10us"};
    for (size_t i = 0; i < 3; i++) {
        int rc = run(out, sizeof out, "%s %s", prism, cmds[i]);
        ck_assert_msg(rc == 2, "%s: exit %d: %s", cmds[i], rc, out);
        ck_assert_msg(strstr(out, "unit"), "%s: %s", cmds[i], out);
    }
}
END_TEST

START_TEST(cli_says_truncated_with_exit_1)
{
    SKIP_WITHOUT_PRISM();
    char out[65536];
    int rc = run(out, sizeof out,
                 "%s run configs/chip.yaml --workload gpt2 --seq 16 --until 1ms --json --trace %s",
                 prism, path("c.db"));
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "{\"status\":\"truncated\",\"message\":\""), "%s", out);
    ck_assert_str_eq(query1(path("c.db"), "SELECT status FROM runs"), "truncated");
    rc = run(out, sizeof out, "%s report %s", prism, path("c.db"));
    ck_assert_msg(rc == 0 && strstr(out, "run 1, truncated"), "exit %d: %s", rc, out);
    /* the same run without the limit completes */
    rc = run(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --seq 16", prism);
    ck_assert_msg(rc == 0 && strstr(out, "status       complete\n"), "exit %d: %s", rc, out);
    /* a sweep's point: truncated in its row, exit 1; its trace has the schedule tables */
    rc = run(out, sizeof out,
             "%s sweep configs/chip.yaml --workload gpt2 --seq 16 --set until=1ms,none "
             "--trace %s --force",
             prism, dir);
    ck_assert_msg(rc == 1 && strstr(out, "truncated"), "exit %d: %s", rc, out);
    ck_assert_str_ne(query1(path("point-001.db"), "SELECT count(*) FROM schedule_entries"), "0");
    ck_assert_str_eq(query1(path("point-001.db"), "SELECT status FROM runs"), "complete");
}
END_TEST

/* the same over two MPI ranks: the driver's undone entries come from its
 * stat gathered on rank 0 (skipped without MPI) */
START_TEST(distributed_run_says_truncated)
{
    SKIP_WITHOUT_PRISM();
    if (!sim_dist_built() || system("command -v mpirun >/dev/null 2>&1") != 0) {
        fprintf(stderr, "skipped: no MPI\n");
        return;
    }
    if (getuid() == 0) { /* Open MPI refuses root unless told */
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
    char out[65536];
    int rc = run(out, sizeof out,
                 "mpirun --oversubscribe -x ASAN_OPTIONS=detect_leaks=0 -np 2 %s run "
                 "configs/chip.yaml --workload gpt2 --seq 16 --until 1ms --trace %s",
                 prism, path("d.db"));
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "status       truncated: 302 of 354 schedule entries did not "
                              "complete (the run ended at 1.000 ms)"),
                  "%s", out);
    ck_assert_str_eq(query1(path("d.db"), "SELECT status FROM runs"), "truncated");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("runlayer");
    TCase *tc = tcase_create("run");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, complete_run_writes_the_schedule_tables);
    tcase_add_test(tc, time_limit_with_entries_undone_is_truncated);
    tcase_add_test(tc, unit_that_cannot_serve_is_refused_at_load);
    tcase_add_test(tc, open_ended_model_at_its_limit_is_complete);
    tcase_add_test(tc, wall_limit_interrupts_and_progress_is_called);
    tcase_add_test(tc, sigint_stops_the_loop_and_the_trace_says_so);
    tcase_add_test(tc, adopted_simulation);
    tcase_add_test(tc, bad_input_is_2_with_the_message);
    tcase_add_test(tc, until_without_a_unit_is_refused_everywhere);
    tcase_add_test(tc, cli_says_truncated_with_exit_1);
    tcase_add_test(tc, distributed_run_says_truncated);
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
