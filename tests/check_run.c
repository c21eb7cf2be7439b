/* `prism run` end to end: config errors (each names file:line:col and the
 * field), trace round trip and schema, determinism (same config and seed,
 * same event table hash), SIGINT (status interrupted, exit 130, DB intact),
 * kill -9 (DB intact, run not complete), and `prism diff` on identical runs
 * and on a changed link latency. Runs the built binary ($PRISM). */
#include "sim/sim.h"
#include "sim/trace.h"

#include <check.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check_cli.h"

static void setup(void) { cli_setup("check-run"); }
static void teardown(void) { cli_teardown(); }

/* A closed run: generators send a fixed number of packets, so the end time
 * depends on every latency on the way. */
static void closed_config(const char *p, const char *sink_latency, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text,
             "seed: 5\n%s"
             "clocks:\n  core: 1GHz\n"
             "components:\n"
             "  g0: {model: traffic_gen, clock: core, rate: 0.2, dests: 2, packets: 2000}\n"
             "  g1: {model: traffic_gen, clock: core, rate: 0.2, dests: 2, packets: 2000}\n"
             "  sw: {model: switch, clock: core, outputs: 2, queue_depth: 8}\n"
             "  k0: {model: sink}\n"
             "  k1: {model: sink}\n"
             "links:\n"
             "  - {from: g0.out, to: sw.in0, latency: 2 cycles, bandwidth: 32GB/s}\n"
             "  - {from: g1.out, to: sw.in1, latency: 2 cycles, bandwidth: 32GB/s}\n"
             "  - {from: sw.out0, to: k0.in, latency: %s, bandwidth: 32GB/s}\n"
             "  - {from: sw.out1, to: k1.in, latency: %s, bandwidth: 32GB/s}\n",
             extra ? extra : "", sink_latency, sink_latency);
    write_file(p, text);
}

static char *query1(const char *db, const char *sql)
{
    sqlite3 *h;
    static char buf[4096];
    buf[0] = '\0';
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(h));
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return buf;
}

START_TEST(config_errors_name_file_line_and_field)
{
    SKIP_WITHOUT_PRISM();
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {"components:\n  a: {model: warp_drive}\n", "cfg.yaml:2:14: component 'a': unknown model 'warp_drive'"},
        {"components:\n  a: {model: sink, colour: red}\n", "unknown parameter 'colour' for model 'sink'"},
        {"clocks: {c: 1GHz}\ncomponents:\n  a: {model: switch, clock: c, outputs: many}\n",
         "parameter 'outputs' of model 'switch' is 'many'; expected an integer"},
        {"clocks: {c: 1GHz}\ncomponents:\n  a: {model: switch, clock: c, outputs: 0}\n",
         "allowed range is [1, 4096]"},
        {"clocks: {c: 1GHz}\ncomponents:\n  a: {model: traffic_gen, clock: c}\n  k: {model: sink}\n"
         "links:\n  - {from: a.out, to: q.in, latency: 1ns}\n",
         "cfg.yaml:6:5: link to 'q.in' names a missing component 'q'"},
        {"clocks: {c: 1GHz}\ncomponents:\n  a: {model: traffic_gen, clock: c}\n  k: {model: sink}\n"
         "links:\n  - {from: a.out, to: k.inn, latency: 1ns}\n",
         "has no input port 'inn'"},
        {"clocks: {c: 1GHz}\ncomponents:\n  s: {model: switch, clock: c, outputs: 1}\n"
         "  t: {model: switch, clock: c, outputs: 1}\n"
         "links:\n  - {from: s.out0, to: t.in0, latency: 0ps}\n  - {from: t.out0, to: s.in0, latency: 0ps}\n",
         "zero-latency cycle"},
        {"clocks: {c: fast}\ncomponents:\n  k: {model: sink}\n", "cfg.yaml:1:13: field 'clocks.c': 'fast' is not a frequency"},
        {"components:\n  k: {model: sink}\nlinks:\n  - {from: k.out, to: k.in, latency: soon}\n",
         "field 'latency': 'soon' is not a time"},
        {"components: [\n", "YAML syntax error"},
        {"colours: 3\ncomponents:\n  k: {model: sink}\n", "cfg.yaml:1:1: unknown top-level field 'colours'"},
        {"clocks: {[a, b]: 1GHz}\ncomponents:\n  k: {model: sink}\n", "a clock name must be a single value"},
        {"components:\n  k: {model: sink}\ncomponents:\n  j: {model: sink}\n",
         "cfg.yaml:3:1: field 'components' given twice"},
        {"components:\n  k: {model: phold, model: sink}\n", "field 'components.k.model' given twice"},
        {"clocks: {c: 1GHz}\ncomponents:\n  s: {model: switch, clock: c, outputs: 1}\n  k: {model: sink}\n"
         "links:\n  - {from: s.out0, to: k.in, latency: 3 c}\n",
         "field 'latency': '3 c' is not a time"},
        {"clocks: {c: 1Hz}\ncomponents:\n  s: {model: switch, clock: c, outputs: 1}\n  k: {model: sink}\n"
         "links:\n  - {from: s.out0, to: k.in, latency: 1e8 cycles}\n",
         "beyond the time range"},
        {"components:\n  s: {model: switch, outputs: 1}\n  k: {model: sink}\n"
         "links:\n  - {from: s.out0, to: k.in, latency: 1ns, bandwidth: 1e-20}\n",
         "is outside [1e-6, 1e9]"},
    };
    char out[8192];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(path("cfg.yaml"), cases[i].yaml);
        int rc = run(out, sizeof out, "cd %s && %s run cfg.yaml", dir, prism);
        ck_assert_msg(rc == 2, "case %zu: exit %d, output: %s", i, rc, out);
        ck_assert_msg(strstr(out, cases[i].want), "case %zu: want '%s' in: %s", i, cases[i].want,
                      out);
        ck_assert_msg(strchr(out, '\n') == out + strlen(out) - 1, "case %zu: one line: %s", i, out);
    }
    int rc = run(out, sizeof out, "%s run %s", prism, path("missing.yaml"));
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(out, "missing.yaml: cannot open the config"));
}
END_TEST

/* A parameter's error names the parameter's own line:col, not the
 * component's `model:` line: unknown name, wrong type, out of range, in
 * block and flow style. */
START_TEST(param_errors_name_the_key_line_and_col)
{
    SKIP_WITHOUT_PRISM();
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {"clocks: {c: 1GHz}\ncomponents:\n  s:\n    model: switch\n    clock: c\n"
         "    colour: red\n",
         "cfg.yaml:6:5: component 's': unknown parameter 'colour' for model 'switch'"},
        {"clocks: {c: 1GHz}\ncomponents:\n  s:\n    model: switch\n    clock: c\n"
         "    queue_depth: 4\n    outputs: many\n",
         "cfg.yaml:7:5: component 's': parameter 'outputs' of model 'switch' is 'many'; expected "
         "an integer"},
        {"clocks: {c: 1GHz}\ncomponents:\n  s:\n    model: switch\n    clock: c\n"
         "    outputs: 2\n    queue_depth: 0\n",
         "cfg.yaml:7:5: component 's': parameter 'queue_depth' of model 'switch' is 0"},
        {"clocks: {c: 1GHz}\ncomponents:\n  s: {model: switch, clock: c,  outputs: 0}\n",
         "cfg.yaml:3:33: component 's': parameter 'outputs' of model 'switch' is 0"},
    };
    char out[8192];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(path("cfg.yaml"), cases[i].yaml);
        int rc = run(out, sizeof out, "cd %s && %s run cfg.yaml", dir, prism);
        ck_assert_msg(rc == 2, "case %zu: exit %d, output: %s", i, rc, out);
        ck_assert_msg(strstr(out, cases[i].want), "case %zu: want '%s' in: %s", i, cases[i].want,
                      out);
    }
    /* a bad --set value still names the override */
    write_file(path("ok.yaml"), "clocks: {c: 1GHz}\ncomponents:\n  s:\n    model: switch\n"
                                "    clock: c\n    outputs: 2\n");
    int rc = run(out, sizeof out, "%s run %s --set s.outputs=-3", prism, path("ok.yaml"));
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(out, "--set s.outputs=-3: component 's': parameter 'outputs'"), "%s", out);
}
END_TEST

START_TEST(trace_round_trip_and_determinism)
{
    SKIP_WITHOUT_PRISM();
    closed_config(path("a.yaml"), "1ns", NULL);
    char out[8192];
    ck_assert_int_eq(run(out, sizeof out, "%s run %s --trace %s --trace-messages", prism,
                         path("a.yaml"), path("a1.db")), 0);
    ck_assert_int_eq(run(out, sizeof out, "%s run %s --trace %s --trace-messages", prism,
                         path("a.yaml"), path("a2.db")), 0);
    const char *a1 = path("a1.db");
    ck_assert_str_eq(query1(a1, "SELECT status FROM runs"), "complete");
    ck_assert_str_eq(query1(a1, "PRAGMA integrity_check"), "ok");
    /* the rows written equal the rows stored; sinks got every packet */
    char rows[64];
    snprintf(rows, sizeof rows, "%s", query1(a1, "SELECT trace_rows FROM runs"));
    ck_assert_str_eq(query1(a1, "SELECT count(*) FROM events"), rows);
    ck_assert_str_eq(query1(a1, "SELECT sum(value) FROM stats WHERE name='packets_received'"),
                     "4000.0");
    ck_assert_str_eq(query1(a1, "SELECT count(*) FROM event_log WHERE operation='receive'"), "4000");
    /* every view answers */
    const char *views[] = {"event_log",           "component_summary", "activities",
                           "utilization_windows", "busiest_links",     "energy_breakdown",
                           "critical_path"};
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) > 0 FROM %s", views[i]);
        ck_assert_msg(!strcmp(query1(a1, sql), "1"), "view %s is empty", views[i]);
    }
    /* determinism: the event tables of the two runs hash the same */
    char h1[64], h2[64];
    const char *hq = "SELECT group_concat(time_ps||':'||comp_id||':'||op||':'||duration_ps||':'||"
                     "bytes||':'||energy_pj, ',') FROM (SELECT * FROM events ORDER BY rowid)";
    trace_hash_hex(query1(a1, hq), strlen(query1(a1, hq)), h1);
    trace_hash_hex(query1(path("a2.db"), hq), strlen(query1(path("a2.db"), hq)), h2);
    ck_assert_str_eq(h1, h2);
    ck_assert_int_eq(run(out, sizeof out, "%s run %s --seed 6 --trace %s", prism, path("a.yaml"),
                         path("a3.db")), 0);
    char h3[64];
    trace_hash_hex(query1(path("a3.db"), hq), strlen(query1(path("a3.db"), hq)), h3);
    ck_assert_str_ne(h1, h3);
}
END_TEST

START_TEST(diff_identical_and_changed_latency)
{
    SKIP_WITHOUT_PRISM();
    closed_config(path("a.yaml"), "1ns", NULL);
    closed_config(path("b.yaml"), "2us", NULL);
    char out[16384];
    ck_assert_int_eq(run(out, sizeof out, "%s run %s --trace %s", prism, path("a.yaml"), path("a1.db")), 0);
    ck_assert_int_eq(run(out, sizeof out, "%s run %s --trace %s", prism, path("a.yaml"), path("a2.db")), 0);
    ck_assert_int_eq(run(out, sizeof out, "%s run %s --trace %s", prism, path("b.yaml"), path("b.db")), 0);
    int rc = run(out, sizeof out, "%s diff %s %s", prism, path("a1.db"), path("a2.db"));
    ck_assert_msg(rc == 0, "identical runs: exit %d: %s", rc, out);
    rc = run(out, sizeof out, "%s diff %s %s --tolerance 1%%", prism, path("a1.db"), path("b.db"));
    ck_assert_msg(rc == 1, "changed latency: exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "end_time_ps"));
}
END_TEST

static pid_t spawn_run(const char *cfg, const char *db)
{
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(prism, prism, "run", cfg, "--trace", db, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* a run long enough to be stopped in the middle */
static void long_config(const char *p)
{
    write_file(p, "seed: 1\nuntil: 1s\nclocks: {core: 1GHz}\ncomponents:\n"
                  "  g0: {model: traffic_gen, clock: core, rate: 0.5, dests: 1}\n"
                  "  sw: {model: switch, clock: core, outputs: 1}\n  k: {model: sink}\n"
                  "links:\n  - {from: g0.out, to: sw.in0, latency: 1ns, bandwidth: 64GB/s}\n"
                  "  - {from: sw.out0, to: k.in, latency: 1ns, bandwidth: 64GB/s}\n");
}

static void wait_for_rows(const char *db)
{
    /* wait until the run has committed some rows */
    for (int i = 0; i < 400; i++) {
        usleep(25000);
        if (access(db, F_OK) == 0) {
            sqlite3 *h;
            if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
                sqlite3_stmt *st;
                int n = 0;
                if (sqlite3_prepare_v2(h, "SELECT count(*) FROM events", -1, &st, NULL) == SQLITE_OK) {
                    if (sqlite3_step(st) == SQLITE_ROW)
                        n = sqlite3_column_int(st, 0);
                    sqlite3_finalize(st);
                }
                sqlite3_close(h);
                if (n > 0)
                    return;
            }
        }
    }
}

/* Starts the long run writing `db`, sends `sig` once rows are in, and
 * returns its wait status. */
static int run_and_signal(const char *db, int sig)
{
    long_config(path("long.yaml"));
    pid_t pid = spawn_run(path("long.yaml"), db);
    wait_for_rows(db);
    kill(pid, sig);
    int st;
    waitpid(pid, &st, 0);
    return st;
}

START_TEST(sigint_marks_interrupted)
{
    SKIP_WITHOUT_PRISM();
    const char *db = path("int.db");
    int st = run_and_signal(db, SIGINT);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 130);
    ck_assert_str_eq(query1(db, "PRAGMA integrity_check"), "ok");
    ck_assert_str_eq(query1(db, "SELECT status FROM runs"), "interrupted");
    ck_assert_str_eq(query1(db, "SELECT message FROM runs"), "interrupted by SIGINT");
    ck_assert_str_ne(query1(db, "SELECT count(*) > 0 FROM events"), "0");
}
END_TEST

START_TEST(kill9_leaves_a_consistent_incomplete_db)
{
    SKIP_WITHOUT_PRISM();
    const char *db = path("k9.db");
    int st = run_and_signal(db, SIGKILL);
    ck_assert(WIFSIGNALED(st));
    ck_assert_str_eq(query1(db, "PRAGMA integrity_check"), "ok");
    ck_assert_str_eq(query1(db, "SELECT status FROM runs"), "running");
    char out[4096];
    int rc = run(out, sizeof out, "%s report %s", prism, db);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "not complete"));
}
END_TEST

START_TEST(wall_limit_and_until)
{
    SKIP_WITHOUT_PRISM();
    long_config(path("long.yaml"));
    char out[8192];
    int rc = run(out, sizeof out, "%s run %s --wall-limit 0.3 --trace %s", prism, path("long.yaml"),
                 path("w.db"));
    ck_assert_int_eq(rc, 130);
    ck_assert_str_eq(query1(path("w.db"), "SELECT message FROM runs"), "wall-clock limit reached");
    EXPECT_RUN(0, "\"end_time_ps\":5000000", out, "%s run %s --until 5us --json", prism,
               path("long.yaml"));
}
END_TEST

START_TEST(workload_runs_op_by_op_on_the_chip)
{
    SKIP_WITHOUT_PRISM();
    if (access("configs/chip.yaml", R_OK) != 0) {
        fprintf(stderr, "skipped: run from the repository root\n");
        return;
    }
    char out[16384];
    int rc = run(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --seq 128 --trace %s --schedule-out %s --json",
                 prism, path("g.db"), path("g.json"));
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    const char *db = path("g.db");
    ck_assert_str_eq(query1(db, "SELECT status FROM runs"), "complete");
    ck_assert_str_eq(query1(db, "SELECT workload FROM runs"), "gpt2");
    /* every GEMM of GPT-2 small ran on the array, linked to its IR op */
    ck_assert_str_eq(query1(db, "SELECT count(DISTINCT op_id) > 70 FROM event_log WHERE component='sa'"), "1");
    ck_assert_str_eq(query1(db, "SELECT count(*) FROM event_log WHERE op_id IS NULL AND kind='activity'"), "0");
    ck_assert_int_eq(access(path("g.json"), R_OK), 0);
    EXPECT_RUN(2, "no_such_model", out, "%s run configs/chip.yaml --workload no_such_model", prism);
    EXPECT_RUN(2, "schedule_driver", out, "%s run configs/demo.yaml --workload gpt2", prism);
}
END_TEST

START_TEST(model_failure_marks_failed)
{
    SKIP_WITHOUT_PRISM();
    /* PCM endurance 2: the third program of the same cells must stop the run */
    write_file(path("fail.yaml"),
               "clocks: {c: 1GHz}\ncomponents:\n"
               "  drv: {model: op_driver, clock: c, requests: \"op=program k=16 n=16 weight_id=1; "
               "op=program k=16 n=16 weight_id=2; op=program k=16 n=16 weight_id=3\"}\n"
               "  x: {model: pcm_xbar, clock: c, rows: 16, cols: 16, endurance: 2}\n"
               "links:\n  - {from: drv.out, to: x.in, latency: 1ns}\n"
               "  - {from: x.out, to: drv.in, latency: 1ns}\n");
    char out[8192];
    int rc = run(out, sizeof out, "%s run %s --trace %s", prism, path("fail.yaml"), path("f.db"));
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
    ck_assert_str_eq(query1(path("f.db"), "SELECT status FROM runs"), "failed");
    ck_assert_ptr_nonnull(strstr(query1(path("f.db"), "SELECT message FROM runs"), "exceeded endurance 2"));
    ck_assert_str_eq(query1(path("f.db"), "PRAGMA integrity_check"), "ok");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, config_errors_name_file_line_and_field);
    tcase_add_test(tc, param_errors_name_the_key_line_and_col);
    tcase_add_test(tc, trace_round_trip_and_determinism);
    tcase_add_test(tc, diff_identical_and_changed_latency);
    tcase_add_test(tc, sigint_marks_interrupted);
    tcase_add_test(tc, kill9_leaves_a_consistent_incomplete_db);
    tcase_add_test(tc, wall_limit_and_until);
    tcase_add_test(tc, workload_runs_op_by_op_on_the_chip);
    tcase_add_test(tc, model_failure_marks_failed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
