/* Tests of the trace-database tools (query, report, export, diff) on
 * databases built here with the DDL of docs/trace.md: a host issues n ops to
 * an accelerator over two links, so end time, busy time, energy and event
 * counts have closed forms the tools' output is checked against. */
#include <check.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/tracedb.h"

/* The commands run as the built binary ($PRISM): argument parsing, output
 * formats and exit codes are tested as a user meets them. */
#include "run/out.h"
#include "run/tools.h"
#include "tests/check_exec.h"

/* ---- the schema of docs/trace.md ------------------------------------------ */
static const char *SCHEMA =
    "CREATE TABLE runs(run_id INTEGER PRIMARY KEY, prism_version TEXT, git_commit TEXT,"
    " config_path TEXT, config_text TEXT, config_hash TEXT, seed INTEGER, workload TEXT, argv TEXT,"
    " start_wall TEXT, end_wall TEXT, status TEXT NOT NULL, end_time_ps INTEGER,"
    " events_handled INTEGER, trace_rows INTEGER, wall_s REAL, message TEXT);"
    "CREATE TABLE clocks(name TEXT PRIMARY KEY, freq_hz REAL, period_ps INTEGER);"
    "CREATE TABLE components(comp_id INTEGER PRIMARY KEY, name TEXT UNIQUE, model TEXT, clock TEXT,"
    " params TEXT);"
    "CREATE TABLE links(link_id INTEGER PRIMARY KEY, src TEXT, dst TEXT, src_comp INTEGER,"
    " dst_comp INTEGER, latency_ps INTEGER, bandwidth_gbps REAL, messages INTEGER, bytes INTEGER,"
    " busy_ps INTEGER);"
    "CREATE TABLE ops(op INTEGER PRIMARY KEY, name TEXT);"
    "CREATE TABLE kinds(kind INTEGER PRIMARY KEY, name TEXT);"
    "CREATE TABLE events(time_ps INTEGER, comp_id INTEGER, kind INTEGER, op INTEGER,"
    " duration_ps INTEGER, bytes INTEGER, energy_pj REAL, op_id INTEGER);"
    "CREATE TABLE stats(comp_id INTEGER, name TEXT, kind TEXT, unit TEXT, value REAL);";

/* The documented views this test relies on, written from docs/trace.md. */
static const char *VIEWS =
    "CREATE VIEW event_log AS SELECT e.time_ps, c.name AS component, k.name AS kind,"
    " o.name AS operation, e.duration_ps, e.bytes, e.energy_pj, e.op_id FROM events e"
    " LEFT JOIN components c ON c.comp_id = e.comp_id LEFT JOIN kinds k ON k.kind = e.kind"
    " LEFT JOIN ops o ON o.op = e.op;"
    "CREATE VIEW component_summary AS SELECT c.name, c.model,"
    " (SELECT value FROM stats s WHERE s.comp_id = c.comp_id AND s.name = 'busy_ps') AS busy_ps,"
    " (SELECT value FROM stats s WHERE s.comp_id = c.comp_id AND s.name = 'busy_ps') * 1.0 /"
    "  (SELECT end_time_ps FROM runs ORDER BY run_id DESC LIMIT 1) AS utilization,"
    " (SELECT value FROM stats s WHERE s.comp_id = c.comp_id AND s.name = 'energy.total') AS energy_pj,"
    " (SELECT value FROM stats s WHERE s.comp_id = c.comp_id AND s.name = 'events') AS events"
    " FROM components c;";

/* ---- a run with closed-form figures ---------------------------------------- */
/* host sends a 64-byte request to npu0 over link 1; npu0 computes for op_ps;
 * sends a 4096-byte result over link 2; host issues the next op when the
 * result arrives. Serialization = bytes / bandwidth (bytes per ns). */
typedef struct run_spec {
    int n_ops;
    long long op_ps, req_latency_ps, resp_latency_ps;
    double bw_gbps;      /* both links */
    double op_pj;        /* dynamic energy of one op on npu0 */
    double static_mw[3]; /* host, npu0, dma0 */
    const char *status, *config_hash;
    int with_views, with_dma;
    long long seed;
} run_spec_t;

static run_spec_t base_spec(void)
{
    run_spec_t s = {.n_ops = 10,
                    .op_ps = 250000,
                    .req_latency_ps = 2000,
                    .resp_latency_ps = 5000,
                    .bw_gbps = 64,
                    .op_pj = 1500.0,
                    .static_mw = {2.0, 40.0, 1.0},
                    .status = "complete",
                    .config_hash = "0123456789abcdef",
                    .with_views = 1,
                    .with_dma = 0,
                    .seed = 42};
    return s;
}

static long long req_ser(const run_spec_t *s) { return (long long)(64 / s->bw_gbps * 1000); }
static long long resp_ser(const run_spec_t *s) { return (long long)(4096 / s->bw_gbps * 1000); }
static long long period_ps(const run_spec_t *s)
{
    return req_ser(s) + s->req_latency_ps + s->op_ps + resp_ser(s) + s->resp_latency_ps;
}
static long long end_ps(const run_spec_t *s) { return s->n_ops * period_ps(s); }
static double static_pj(const run_spec_t *s, int comp) /* mW * ps = 1e-3 pJ */
{
    return s->static_mw[comp] * (double)end_ps(s) * 1e-3;
}
static int n_comps(const run_spec_t *s) { return s->with_dma ? 3 : 2; }

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    ck_assert_msg(rc == SQLITE_OK, "SQL failed: %s: %s", err ? err : "?", sql);
    sqlite3_free(err);
}

static void exec_fmt(sqlite3 *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    exec_ok(db, sql);
    sqlite3_free(sql);
}

static void add_stat(sqlite3 *db, int comp, const char *name, const char *kind, const char *unit,
                     double v)
{
    exec_fmt(db, "INSERT INTO stats VALUES(%d, %Q, %Q, %Q, %.17g)", comp, name, kind, unit, v);
}

static void build_run(const char *path, const run_spec_t *s)
{
    unlink(path);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    exec_ok(db, SCHEMA);
    if (s->with_views)
        exec_ok(db, VIEWS);
    exec_ok(db, "BEGIN");
    long long end = end_ps(s);
    int rows = 3 * s->n_ops;
    exec_fmt(db,
             "INSERT INTO runs(run_id, prism_version, config_path, config_hash, seed, workload, status,"
             " end_time_ps, events_handled, trace_rows, wall_s, message) VALUES(1, '0.1.0',"
             " 'configs/test.yaml', %Q, %lld, 'gemm', %Q, %lld, %d, %d, 0.25, %Q)",
             s->config_hash, s->seed, s->status, end, 4 * s->n_ops, rows,
             strcmp(s->status, "complete") ? "stopped by test" : NULL);
    exec_ok(db, "INSERT INTO clocks VALUES('core', 1e9, 1000)");
    exec_ok(db, "INSERT INTO components VALUES(0, 'host', 'driver', NULL, '{}')");
    exec_ok(db, "INSERT INTO components VALUES(1, 'npu0', 'systolic', 'core', '{\"rows\":128}')");
    if (s->with_dma)
        exec_ok(db, "INSERT INTO components VALUES(2, 'dma0', 'dma', 'core', '{}')");
    exec_ok(db, "INSERT INTO ops VALUES(0, 'gemm'), (1, 'msg.req'), (2, 'msg.resp')");
    exec_ok(db, "INSERT INTO kinds VALUES(0, 'activity'), (1, 'message')");
    long long t = 0;
    for (int i = 0; i < s->n_ops; i++) {
        long long at_npu = t + req_ser(s) + s->req_latency_ps;
        long long done = at_npu + s->op_ps;
        long long at_host = done + resp_ser(s) + s->resp_latency_ps;
        exec_fmt(db, "INSERT INTO events VALUES(%lld, 1, 1, 1, 0, 64, 0, %d)", at_npu, i + 1);
        exec_fmt(db, "INSERT INTO events VALUES(%lld, 1, 0, 0, %lld, 4096, %.17g, %d)", at_npu,
                 s->op_ps, s->op_pj, i + 1);
        exec_fmt(db, "INSERT INTO events VALUES(%lld, 0, 1, 2, 0, 4096, 0, %d)", at_host, i + 1);
        t = at_host;
    }
    ck_assert_int_eq(t, end);
    int n = s->n_ops;
    exec_fmt(db, "INSERT INTO links VALUES(1, 'host.out', 'npu0.in', 0, 1, %lld, %.17g, %d, %d, %lld)",
             s->req_latency_ps, s->bw_gbps, n, 64 * n, n * req_ser(s));
    exec_fmt(db, "INSERT INTO links VALUES(2, 'npu0.out', 'host.in', 1, 0, %lld, %.17g, %d, %d, %lld)",
             s->resp_latency_ps, s->bw_gbps, n, 4096 * n, n * resp_ser(s));
    for (int c = 0; c < n_comps(s); c++) {
        double busy = c == 1 ? (double)n * s->op_ps : 0;
        double dyn = c == 1 ? n * s->op_pj : 0;
        double events = c == 2 ? 0 : n;
        add_stat(db, c, "busy_ps", "value", "ps", busy);
        add_stat(db, c, "events", "count", "", events);
        if (c == 1) {
            add_stat(db, c, "ops", "count", "", n);
            add_stat(db, c, "energy.mvm", "energy", "pJ", dyn);
        }
        add_stat(db, c, "energy.static", "energy", "pJ", static_pj(s, c));
        add_stat(db, c, "energy.total", "value", "pJ", dyn + static_pj(s, c));
    }
    exec_ok(db, "COMMIT");
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

/* ---- helpers ---------------------------------------------------------------- */
static char g_dir[64];

static void make_dir(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/prism-tracetools-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
}

static char *path_in(const char *name)
{
    static char bufs[8][160];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, 160, "%s/%s", g_dir, name);
    return b;
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
}

static char *slurp(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    return s;
}

/* which command: argv[0] of run_cmd names it; these say so at the call */
typedef const char *main_fn;
static const main_fn report_main = "report", query_main = "query", export_main = "export",
                     diff_main = "diff";

typedef struct result {
    int rc;
    char *out, *err;
} result_t;

/* Runs `prism ARGV...` with argv given as NULL-terminated strings. */
static result_t run_cmd(main_fn fn, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, fn);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 31)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    ck_assert_msg(argc && !strcmp(argv[0], fn), "run_cmd(%s, %s, ...)", fn, argc ? argv[0] : "");
    result_t r;
    r.rc = exec_prism(argv, &r.out, &r.err);
    ck_assert_msg(r.rc >= 0 && r.out && r.err, "cannot run $PRISM (%s)",
                  getenv("PRISM") ? getenv("PRISM") : "not set");
    return r;
}

static void result_free(result_t *r)
{
    free(r->out);
    free(r->err);
}

/* run_cmd() with the arguments after `want`; checks the command's exit
 * status and that its stdout (out) or stderr (err) holds
 * `want`. */
#define EXPECT_CMD(code, field, want, ...)                                                         \
    do {                                                                                           \
        result_t r_ = run_cmd(__VA_ARGS__);                                                        \
        ck_assert_msg(r_.rc == (code), "exit %d, not %d: %s%s", r_.rc, (code), r_.out, r_.err);    \
        ck_assert_msg(strstr(r_.field, (want)) != NULL, "want '%s' in: %s", (want), r_.field);     \
        result_free(&r_);                                                                          \
    } while (0)

static cJSON *parse_json(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    ck_assert_msg(j != NULL, "output is not JSON: %.200s", text);
    return j;
}

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", key);
    return v->valuedouble;
}

/* ---- opening: every bad input gives one message naming the file ------------ */
/* The tools are library functions (run/tools.h): called here in-process,
 * they give what the binary prints, and the figures of the closed form. */
START_TEST(test_tools_as_library_functions)
{
    make_dir();
    run_spec_t sp = base_spec();
    char *p = path_in("lib.db");
    build_run(p, &sp);
    FILE *out = tmpfile(), *err = tmpfile();
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(err);
    run_query_opts_t qo = {OUT_CSV, 0, 0, 0};
    ck_assert_int_eq(run_query(p, "SELECT end_time_ps FROM runs", &qo, out, err), 0);
    char *got = slurp(out);
    char want[64];
    snprintf(want, sizeof want, "end_time_ps\n%lld\n", end_ps(&sp));
    ck_assert_str_eq(got, want);
    free(got);
    fclose(out);
    out = tmpfile();
    ck_assert_int_eq(run_report(p, RUN_SORT_ENERGY, 10, 0, 0, out, err), 0);
    got = slurp(out);
    result_t r = run_cmd(report_main, "report", p, NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_str_eq(got, r.out); /* the binary prints what the library writes */
    result_free(&r);
    free(got);
    fclose(out);
    out = tmpfile();
    ck_assert_int_eq(run_diff(p, p, 0, 0, 0, out, err), 0); /* identical: exit 0 */
    ck_assert_int_eq(run_report(path_in("missing.db"), RUN_SORT_NAME, 1, 0, 0, out, err), 2);
    got = slurp(err);
    ck_assert_msg(strstr(got, "prism report: ") && strstr(got, "missing.db"), "%s", got);
    free(got);
    fclose(out);
    fclose(err);
    remove_dir();
}
END_TEST

START_TEST(test_open_errors)
{
    make_dir();
    trace_db_t *db = NULL;
    const char *missing = path_in("missing.db");
    ck_assert_int_eq(trace_db_open(&db, missing), TRACE_DB_ERR_OPEN);
    ck_assert_ptr_nonnull(strstr(trace_db_errmsg(db), missing));
    ck_assert_ptr_nonnull(strstr(trace_db_errmsg(db), "No such file"));
    trace_db_close(db);

    const char *text = path_in("notes.txt");
    FILE *f = fopen(text, "w");
    fputs("this is not a database, just some text long enough to fill a header page\n", f);
    fclose(f);
    ck_assert_int_eq(trace_db_open(&db, text), TRACE_DB_ERR_OPEN);
    ck_assert_ptr_nonnull(strstr(trace_db_errmsg(db), text));
    ck_assert_ptr_nonnull(strstr(trace_db_errmsg(db), "not a readable SQLite database"));
    trace_db_close(db);

    const char *other = path_in("other.db");
    sqlite3 *s = NULL;
    ck_assert_int_eq(sqlite3_open(other, &s), SQLITE_OK);
    exec_ok(s, "CREATE TABLE t(x)");
    sqlite3_close(s);
    ck_assert_int_eq(trace_db_open(&db, other), TRACE_DB_ERR_NOTTRACE);
    ck_assert_ptr_nonnull(strstr(trace_db_errmsg(db), "not a prism trace (no 'runs' table)"));
    ck_assert_ptr_nonnull(strstr(trace_db_errmsg(db), other));
    trace_db_close(db);

    ck_assert_int_eq(trace_db_open(&db, g_dir), TRACE_DB_ERR_OPEN);
    ck_assert_ptr_nonnull(strstr(trace_db_errmsg(db), "is a directory"));
    trace_db_close(db);

    /* a runs table without rows: opens, but there is no run to report */
    const char *empty = path_in("empty.db");
    ck_assert_int_eq(sqlite3_open(empty, &s), SQLITE_OK);
    exec_ok(s, SCHEMA);
    sqlite3_close(s);
    ck_assert_int_eq(trace_db_open(&db, empty), 0);
    trace_run_t run;
    ck_assert_int_eq(trace_db_run(db, &run), TRACE_DB_ERR_NOTTRACE);
    ck_assert_ptr_nonnull(strstr(trace_db_errmsg(db), "runs table is empty"));
    trace_db_close(db);
    trace_db_close(NULL);

    /* the commands turn each into exit 2 and one line on stderr */
    result_t r = run_cmd(report_main, "report", missing, NULL);
    ck_assert_int_eq(r.rc, 2);
    ck_assert_str_eq(r.out, "");
    ck_assert_ptr_nonnull(strstr(r.err, "prism report: "));
    ck_assert_ptr_nonnull(strstr(r.err, missing));
    ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    result_free(&r);
    EXPECT_CMD(2, err, "not a prism trace", query_main, "query", other, "SELECT 1", NULL);
    r = run_cmd(export_main, "export", text, "--perfetto", path_in("x.json"), NULL);
    ck_assert_int_eq(r.rc, 2);
    ck_assert_ptr_nonnull(strstr(r.err, text));
    ck_assert_int_ne(access(path_in("x.json"), F_OK), 0);
    result_free(&r);
    EXPECT_CMD(2, err, missing, diff_main, "diff", empty, missing, NULL);
    remove_dir();
}
END_TEST

/* ---- query ------------------------------------------------------------------- */
START_TEST(test_query_sql_errors_and_readonly)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *p = path_in("run.db");
    build_run(p, &s);
    result_t r = run_cmd(query_main, "query", p, "SELECT x FROM nowhere", NULL);
    ck_assert_int_eq(r.rc, 2);
    ck_assert_ptr_nonnull(strstr(r.err, p));
    ck_assert_ptr_nonnull(strstr(r.err, "no such table: nowhere"));
    result_free(&r);

    r = run_cmd(query_main, "query", p, "SELECT 1; SELECT 2", NULL);
    ck_assert_int_eq(r.rc, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "one SQL statement"));
    result_free(&r);

    /* trailing semicolons and comments are fine */
    r = run_cmd(query_main, "query", p, "SELECT 1 AS one; -- done\n", "--csv", NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_str_eq(r.out, "one\n1\n");
    result_free(&r);

    /* opened read-only and an authorizer: writes fail and change nothing */
    EXPECT_CMD(2, err, "prism query only reads", query_main, "query", p, "DELETE FROM events",
               NULL);
    r = run_cmd(query_main, "query", p, "SELECT count(*) AS n FROM events", "--csv", NULL);
    ck_assert_int_eq(r.rc, 0);
    char want[32];
    snprintf(want, sizeof want, "n\n%d\n", 3 * s.n_ops);
    ck_assert_str_eq(r.out, want);
    result_free(&r);

    EXPECT_CMD(2, err, "needs a trace database and an SQL statement", query_main, "query", p, NULL);
    EXPECT_CMD(2, err, "unknown option '--bogus'", query_main, "query", p, "SELECT 1", "--bogus",
               NULL);
    EXPECT_CMD(0, out, "usage: prism query", query_main, "query", "--help", NULL);
    remove_dir();
}
END_TEST

/* Issue 22, finding 10: VACUUM INTO wrote a full copy to any path,
 * fts3_tokenizer() printed a heap pointer (and its two-argument form
 * registers one), ATTACH creates files: all refused, nothing written; reads,
 * views, recursive CTEs and read-only pragmas still work. */
START_TEST(test_query_cannot_write_or_reach_out)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *p = path_in("run.db"), *copy = path_in("copy.db");
    build_run(p, &s);
    char vacuum[600], attach[600];
    snprintf(vacuum, sizeof vacuum, "VACUUM INTO '%s'", copy);
    snprintf(attach, sizeof attach, "ATTACH '%s' AS x", copy);
    const char *bad[] = {vacuum,
                         attach,
                         "SELECT hex(fts3_tokenizer('simple')) AS p",
                         "SELECT fts3_tokenizer('evil', x'4141414141414141')",
                         "SELECT load_extension('/nonexistent')",
                         "PRAGMA writable_schema = 1",
                         "CREATE TEMP TABLE t(x)",
                         "BEGIN",
                         NULL};
    for (int i = 0; bad[i]; i++) {
        result_t r = run_cmd(query_main, "query", p, bad[i], NULL);
        ck_assert_msg(r.rc == 2, "'%s': exit %d: %s", bad[i], r.rc, r.out);
        ck_assert_msg(strstr(r.err, "prism query only reads"), "'%s': %s", bad[i], r.err);
        ck_assert_msg(!strstr(r.out, "p\n"), "'%s' printed: %s", bad[i], r.out);
        ck_assert_int_ne(access(copy, F_OK), 0);
        result_free(&r);
    }
    EXPECT_CMD(0, out, "run_id", query_main, "query", p, "PRAGMA table_info(runs)", NULL);
    EXPECT_CMD(0, out, "n\n3\n", query_main, "query", p,
               "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) "
               "SELECT count(*) AS n FROM c",
               "--csv", NULL);
    remove_dir();
}
END_TEST

/* --timeout on a statement that never yields a row: only the message on
 * stderr, nothing on stdout (no "(no rows)", no CSV header, no empty JSON
 * array), exit 1; in every format. */
START_TEST(test_query_timeout_prints_only_the_message)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *p = path_in("run.db");
    build_run(p, &s);
    const char *forever =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c";
    const char *fmts[] = {"--max-rows", "--csv", "--json"};
    for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
        result_t r =
            i ? run_cmd(query_main, "query", p, forever, fmts[i], "--timeout", "0.1", NULL)
              : run_cmd(query_main, "query", p, forever, fmts[i], "10", "--timeout", "0.1", NULL);
        ck_assert_msg(r.rc == 1, "%s: exit %d", fmts[i], r.rc);
        ck_assert_msg(!strcmp(r.out, ""), "%s: stdout '%s'", fmts[i], r.out);
        ck_assert_msg(strstr(r.err, "stopped by --timeout 0.1 s after 0 rows"), "%s: %s", fmts[i],
                      r.err);
        ck_assert_msg(!strstr(r.err, "no rows"), "%s: %s", fmts[i], r.err);
        result_free(&r);
    }
    remove_dir();
}
END_TEST

START_TEST(test_query_formats)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *p = path_in("run.db");
    build_run(p, &s);
    const char *sql = "SELECT name, model, clock, comp_id FROM components ORDER BY comp_id";

    result_t r = run_cmd(query_main, "query", p, sql, "--csv", NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_str_eq(r.out, "name,model,clock,comp_id\nhost,driver,,0\nnpu0,systolic,core,1\n");
    result_free(&r);

    r = run_cmd(query_main, "query", p, sql, NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_str_eq(r.out, "name  model     clock  comp_id\n"
                            "----  --------  -----  -------\n"
                            "host  driver    NULL         0\n"
                            "npu0  systolic  core         1\n");
    result_free(&r);

    /* JSON: numbers as numbers, NULL as null, text as strings; params stays text */
    r = run_cmd(query_main, "query", p,
                "SELECT name, clock, comp_id, params, 0.1 AS x FROM components ORDER BY comp_id",
                "--json", NULL);
    ck_assert_int_eq(r.rc, 0);
    cJSON *j = parse_json(r.out);
    ck_assert(cJSON_IsArray(j));
    ck_assert_int_eq(cJSON_GetArraySize(j), 2);
    cJSON *row = cJSON_GetArrayItem(j, 1);
    ck_assert_str_eq(cJSON_GetObjectItem(row, "name")->valuestring, "npu0");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "clock")));
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(row, "comp_id")));
    ck_assert_int_eq(cJSON_GetObjectItem(row, "comp_id")->valueint, 1);
    ck_assert_str_eq(cJSON_GetObjectItem(row, "params")->valuestring, "{\"rows\":128}");
    ck_assert(jnum(row, "x") == 0.1);
    cJSON_Delete(j);
    result_free(&r);

    /* empty result: valid JSON, table says so */
    r = run_cmd(query_main, "query", p, "SELECT * FROM events WHERE 0", "--json", NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_str_eq(r.out, "[]\n");
    result_free(&r);
    r = run_cmd(query_main, "query", p, "SELECT * FROM events WHERE 0", NULL);
    ck_assert_ptr_nonnull(strstr(r.out, "(no rows)"));
    result_free(&r);

    /* --max-rows stops stepping there (an infinite recursive CTE must end,
     * issue 13) and says more rows follow */
    r = run_cmd(query_main, "query", p, "SELECT time_ps FROM events ORDER BY time_ps", "--max-rows",
                "4", NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "(more rows not shown; the first 4 printed)"));
    ck_assert_ptr_nonnull(strstr(r.err, "stopped after 4 rows at --max-rows 4"));
    int lines = 0;
    for (const char *c = r.out; *c; c++)
        lines += *c == '\n';
    ck_assert_int_eq(lines, 2 + 4 + 1); /* header, rule, 4 rows, note */
    result_free(&r);

    /* the documented view answers the example query of docs/trace.md */
    r = run_cmd(query_main, "query", p,
                "SELECT operation, count(*) AS n, sum(duration_ps) AS busy_ps FROM event_log "
                "GROUP BY operation ORDER BY operation",
                "--csv", NULL);
    ck_assert_int_eq(r.rc, 0);
    char want[256];
    snprintf(want, sizeof want, "operation,n,busy_ps\ngemm,%d,%lld\nmsg.req,%d,0\nmsg.resp,%d,0\n",
             s.n_ops, s.n_ops * s.op_ps, s.n_ops, s.n_ops);
    ck_assert_str_eq(r.out, want);
    result_free(&r);
    remove_dir();
}
END_TEST

/* ---- the out module on its own ----------------------------------------------- */
START_TEST(test_out_quoting)
{
    FILE *f = tmpfile();
    out_t *o = out_create(f, OUT_CSV, 0);
    out_column(o, "a,b");
    out_column(o, "q");
    out_text(o, "x\"y");
    out_text(o, "line\nbreak");
    out_real(o, 0.1);
    out_real(o, NAN);
    ck_assert_int_eq(out_finish(o), 0);
    char *s = slurp(f);
    ck_assert_str_eq(s, "\"a,b\",q\n\"x\"\"y\",\"line\nbreak\"\n0.1,\n");
    free(s);
    fclose(f);

    f = tmpfile();
    o = out_create(f, OUT_JSON, 0);
    out_column(o, "s");
    out_column(o, "v");
    out_text(o, "tab\there \"q\" \\ \x01");
    out_real(o, INFINITY);
    out_text(o, "second");
    out_int(o, -9007199254740993LL);
    ck_assert_int_eq(out_finish(o), 0);
    s = slurp(f);
    cJSON *j = parse_json(s);
    ck_assert_int_eq(cJSON_GetArraySize(j), 2);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "s")->valuestring,
                     "tab\there \"q\" \\ \x01");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "v")));
    ck_assert_ptr_nonnull(strstr(s, "-9007199254740993")); /* integers keep every digit */
    cJSON_Delete(j);
    free(s);
    fclose(f);

    char buf[32];
    out_human_ps(buf, sizeof buf, 999);
    ck_assert_str_eq(buf, "999 ps");
    out_human_ps(buf, sizeof buf, 1234567);
    ck_assert_str_eq(buf, "1.235 us");
    out_human_ps(buf, sizeof buf, 2.5e9);
    ck_assert_str_eq(buf, "2.5 ms");
    out_human_pj(buf, sizeof buf, 3.2e6);
    ck_assert_str_eq(buf, "3.2 uJ");
}
END_TEST

/* ---- summary and report ----------------------------------------------------- */
static void check_summary(const run_spec_t *s, const trace_summary_t *sum)
{
    double end = (double)end_ps(s);
    ck_assert_int_eq(sum->run.end_time_ps, end_ps(s));
    ck_assert_int_eq((int)sum->ncomps, n_comps(s));
    const trace_comp_summary_t *npu = &sum->comps[1];
    ck_assert_str_eq(npu->name, "npu0");
    ck_assert_str_eq(npu->model, "systolic");
    ck_assert(npu->busy_ps == (double)s->n_ops * s->op_ps);
    ck_assert_double_eq_tol(npu->utilization, s->n_ops * s->op_ps / end, 1e-12);
    ck_assert_double_eq_tol(npu->energy_pj, s->n_ops * s->op_pj + static_pj(s, 1), 1e-6);
    ck_assert(npu->events == s->n_ops);
    ck_assert_int_eq((int)npu->ncats, 2);
    double total = 0;
    for (int c = 0; c < n_comps(s); c++)
        total += static_pj(s, c);
    total += s->n_ops * s->op_pj;
    ck_assert_double_eq_tol(sum->energy_pj, total, 1e-6);
    /* categories across components, largest first */
    ck_assert_int_eq((int)sum->ncats, 2);
    double stat_all = total - s->n_ops * s->op_pj;
    const char *first = stat_all > s->n_ops * s->op_pj ? "energy.static" : "energy.mvm";
    ck_assert_str_eq(sum->cats[0].name, first);
    ck_assert_double_eq_tol(sum->cats[0].energy_pj + sum->cats[1].energy_pj, total, 1e-6);
    /* busiest link first: the response link carries 4096-byte messages */
    ck_assert_int_eq((int)sum->nlinks, 2);
    ck_assert_str_eq(sum->links[0].src, "npu0.out");
    ck_assert(sum->links[0].busy_ps == (double)s->n_ops * resp_ser(s));
    ck_assert_double_eq_tol(sum->links[0].utilization, s->n_ops * resp_ser(s) / end, 1e-12);
}

START_TEST(test_summary_views_and_fallback)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *p = path_in("run.db");
    for (int variant = 0; variant < 3; variant++) {
        s.with_views = variant == 0;
        build_run(p, &s);
        if (variant == 2) { /* a view of another shape must not break anything */
            sqlite3 *db = NULL;
            sqlite3_open(p, &db);
            exec_ok(db, "CREATE VIEW component_summary AS SELECT 1 AS x");
            sqlite3_close(db);
        }
        trace_db_t *db = NULL;
        ck_assert_int_eq(trace_db_open(&db, p), 0);
        trace_summary_t sum;
        ck_assert_int_eq(trace_db_summary(db, &sum), 0);
        ck_assert_int_eq(sum.used_views, variant == 0);
        check_summary(&s, &sum);
        trace_summary_free(&sum);
        trace_db_close(db);
    }
    remove_dir();
}
END_TEST

START_TEST(test_report_text_and_json)
{
    make_dir();
    run_spec_t s = base_spec();
    s.with_dma = 1;
    const char *p = path_in("run.db");
    build_run(p, &s);
    result_t r = run_cmd(report_main, "report", p, NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_str_eq(r.err, "");
    ck_assert_ptr_nonnull(strstr(r.out, "run 1, complete"));
    char want[128];
    char human[32];
    out_human_ps(human, sizeof human, (double)end_ps(&s));
    snprintf(want, sizeof want, "end time     %lld ps (%s)", end_ps(&s), human);
    ck_assert_ptr_nonnull(strstr(r.out, want));
    ck_assert_ptr_nonnull(strstr(r.out, "hash 0123456789abcdef"));
    ck_assert_ptr_nonnull(strstr(r.out, "seed         42"));
    ck_assert_ptr_nonnull(strstr(r.out, "components (by energy)"));
    ck_assert_ptr_nonnull(strstr(r.out, "energy by category"));
    ck_assert_ptr_nonnull(strstr(r.out, "npu0.out -> host.in"));
    /* npu0 spends the most energy: listed first; its utilization printed in % */
    const char *npu = strstr(r.out, "\nnpu0 "), *host = strstr(r.out, "\nhost "),
               *dma = strstr(r.out, "\ndma0 ");
    ck_assert(npu && host && dma && npu < host && host < dma);
    snprintf(want, sizeof want, "%.1f", 100.0 * s.n_ops * s.op_ps / end_ps(&s));
    ck_assert_ptr_nonnull(strstr(npu, want));
    result_free(&r);

    r = run_cmd(report_main, "report", p, "--json", "--sort", "name", NULL);
    ck_assert_int_eq(r.rc, 0);
    cJSON *j = parse_json(r.out);
    cJSON *run = cJSON_GetObjectItem(j, "run");
    ck_assert_str_eq(cJSON_GetObjectItem(run, "status")->valuestring, "complete");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(run, "complete")));
    ck_assert(jnum(run, "end_time_ps") == (double)end_ps(&s));
    ck_assert(jnum(run, "seed") == 42);
    cJSON *comps = cJSON_GetObjectItem(j, "components");
    ck_assert_int_eq(cJSON_GetArraySize(comps), 3);
    cJSON *c0 = cJSON_GetArrayItem(comps, 0); /* by name: dma0, host, npu0 */
    ck_assert_str_eq(cJSON_GetObjectItem(c0, "name")->valuestring, "dma0");
    cJSON *c2 = cJSON_GetArrayItem(comps, 2);
    ck_assert_double_eq_tol(jnum(c2, "utilization"), (double)s.n_ops * s.op_ps / end_ps(&s), 1e-12);
    ck_assert_double_eq_tol(jnum(cJSON_GetObjectItem(c2, "energy_pj_by_category"), "mvm"),
                            s.n_ops * s.op_pj, 1e-9);
    double sum = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, comps) sum += jnum(it, "energy_pj");
    ck_assert_double_eq_tol(jnum(j, "energy_pj"), sum, 1e-6);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "links")), 2);
    cJSON_Delete(j);
    result_free(&r);

    /* a run that never finished says so */
    s.status = "running";
    build_run(p, &s);
    EXPECT_CMD(0, out, "not complete (killed?)", report_main, "report", p, NULL);
    /* without a links table the report still works, minus that section */
    sqlite3 *w = NULL;
    ck_assert_int_eq(sqlite3_open(p, &w), SQLITE_OK);
    exec_ok(w, "DROP TABLE links");
    sqlite3_close(w);
    r = run_cmd(report_main, "report", p, NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_ptr_null(strstr(r.out, "busiest links"));
    ck_assert_ptr_nonnull(strstr(r.out, "components (by energy)"));
    result_free(&r);
    EXPECT_CMD(2, err, "--sort takes", report_main, "report", p, "--sort", "size", NULL);
    EXPECT_CMD(0, out, "usage: prism report", report_main, "report", "--help", NULL);
    remove_dir();
}
END_TEST

/* Power density (issue 17): a unit's energy over the run / end time / its
 * area (stat area_mm2), pJ/ps = W; the run's limit comes from table limits.
 * npu0: 10 ops x 1500 pJ + 40 mW static over 3.22 us = 143800 pJ, 0.04466 W,
 * on 0.01 mm2 = 4.466 W/mm2 (above 1); host: 2 mW on 1 mm2 = 0.002 W/mm2. */
START_TEST(test_power_density)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *p = path_in("run.db");
    build_run(p, &s);
    double end = (double)end_ps(&s);
    double npu_w = (s.n_ops * s.op_pj + static_pj(&s, 1)) / end, host_w = static_pj(&s, 0) / end;
    ck_assert_double_eq_tol(npu_w, 143800.0 / 3.22e6, 1e-12);
    sqlite3 *w = NULL;
    ck_assert_int_eq(sqlite3_open(p, &w), SQLITE_OK);
    add_stat(w, 1, "area_mm2", "value", "mm2", 0.01);
    add_stat(w, 0, "area_mm2", "value", "mm2", 1.0);
    sqlite3_close(w);
    /* a trace without the limits table: figures, no limit */
    trace_db_t *db = NULL;
    trace_summary_t sum;
    ck_assert_int_eq(trace_db_open(&db, p), 0);
    ck_assert_int_eq(trace_db_summary(db, &sum), 0);
    ck_assert(isnan(sum.power_density_limit));
    ck_assert_uint_eq(sum.over_limit, 0);
    ck_assert_double_eq_tol(sum.comps[1].area_mm2, 0.01, 1e-15);
    ck_assert_double_eq_tol(sum.comps[1].w_per_mm2, npu_w / 0.01, 1e-12);
    ck_assert_double_eq_tol(sum.comps[0].w_per_mm2, host_w, 1e-12);
    /* area_mm2 is a figure of its own, not one of the model's counters */
    for (size_t k = 0; k < sum.comps[1].ncounters; k++)
        ck_assert_str_ne(sum.comps[1].counters[k].name, "area_mm2");
    trace_summary_free(&sum);
    trace_db_close(db);
    EXPECT_CMD(0, out, "power density: highest 4.47 W/mm2 (npu0)\n", report_main, "report", p,
               NULL);

    ck_assert_int_eq(sqlite3_open(p, &w), SQLITE_OK);
    exec_ok(w, "CREATE TABLE limits(name TEXT PRIMARY KEY, value REAL, unit TEXT);"
               "INSERT INTO limits VALUES('power_density_w_mm2', 1.0, 'W/mm2')");
    sqlite3_close(w);
    ck_assert_int_eq(trace_db_open(&db, p), 0);
    ck_assert_int_eq(trace_db_summary(db, &sum), 0);
    ck_assert_double_eq(sum.power_density_limit, 1.0);
    ck_assert_uint_eq(sum.over_limit, 1);
    trace_summary_free(&sum);
    trace_db_close(db);
    EXPECT_CMD(0, out,
               "power density: highest 4.47 W/mm2 (npu0), limit 1 W/mm2 (power_density_limit): "
               "1 unit above it: npu0 4.47\n",
               report_main, "report", p, NULL);
    result_t r = run_cmd(report_main, "report", p, "--json", "--sort", "name", NULL);
    ck_assert_int_eq(r.rc, 0);
    cJSON *j = parse_json(r.out);
    ck_assert(jnum(j, "power_density_limit_w_mm2") == 1.0);
    ck_assert(jnum(j, "power_density_over_limit") == 1.0);
    cJSON *npu = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "components"), 1); /* host, npu0 */
    ck_assert_str_eq(cJSON_GetObjectItem(npu, "name")->valuestring, "npu0");
    ck_assert_double_eq_tol(jnum(npu, "w_per_mm2"), npu_w / 0.01, 1e-9);
    ck_assert_double_eq_tol(jnum(npu, "area_mm2"), 0.01, 1e-15);
    cJSON_Delete(j);
    result_free(&r);
    /* a limit above every unit: the figure, and no unit named */
    ck_assert_int_eq(sqlite3_open(p, &w), SQLITE_OK);
    exec_ok(w, "UPDATE limits SET value = 5");
    sqlite3_close(w);
    r = run_cmd(report_main, "report", p, NULL);
    ck_assert_ptr_nonnull(strstr(r.out, "limit 5 W/mm2 (power_density_limit)\n"));
    ck_assert_ptr_null(strstr(r.out, "above it"));
    result_free(&r);
    remove_dir();
}
END_TEST

/* A finished WAL database is read without leaving -wal/-shm files; a run
 * killed mid-write (its rows still in the -wal) is read with those rows and
 * reported as not complete. */
START_TEST(test_wal_finished_and_killed)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *p = path_in("wal.db");
    build_run(p, &s);
    sqlite3 *w = NULL;
    ck_assert_int_eq(sqlite3_open(p, &w), SQLITE_OK);
    exec_ok(w, "PRAGMA journal_mode=WAL");
    ck_assert_int_eq(sqlite3_close(w), SQLITE_OK);
    ck_assert_int_ne(access(path_in("wal.db-wal"), F_OK), 0);
    trace_db_t *db = NULL;
    trace_summary_t sum;
    ck_assert_int_eq(trace_db_open(&db, p), 0);
    ck_assert_int_eq(trace_db_summary(db, &sum), 0);
    check_summary(&s, &sum);
    trace_summary_free(&sum);
    trace_db_close(db);
    ck_assert_int_ne(access(path_in("wal.db-wal"), F_OK), 0);
    ck_assert_int_ne(access(path_in("wal.db-shm"), F_OK), 0);

    /* a child writes more rows and the status 'running', then dies without closing */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        sqlite3 *c = NULL;
        if (sqlite3_open(p, &c) != SQLITE_OK ||
            sqlite3_exec(c,
                         "PRAGMA wal_autocheckpoint=0; BEGIN; UPDATE runs SET status='running';"
                         " INSERT INTO events VALUES(1, 1, 0, 0, 10, 0, 0, 99); COMMIT;",
                         NULL, NULL, NULL) != SQLITE_OK)
            _exit(3);
        _exit(0); /* as kill -9 would: no close, no checkpoint */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_eq(access(path_in("wal.db-wal"), F_OK), 0);
    result_t r = run_cmd(report_main, "report", p, NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "not complete (killed?)"));
    result_free(&r);
    r = run_cmd(query_main, "query", p, "SELECT count(*) AS n FROM events", "--csv", NULL);
    char want[32];
    snprintf(want, sizeof want, "n\n%d\n", 3 * s.n_ops + 1);
    ck_assert_str_eq(r.out, want);
    result_free(&r);
    remove_dir();
}
END_TEST

/* ---- export ------------------------------------------------------------------- */
typedef struct counts {
    int x, i, m, threads;
    double first_ts, first_dur;
} counts_t;

static counts_t count_events(const char *json_path, int first_op_id)
{
    FILE *f = fopen(json_path, "r");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    char *text = slurp(f);
    fclose(f);
    cJSON *j = parse_json(text);
    free(text);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "displayTimeUnit")->valuestring, "ns");
    cJSON *evs = cJSON_GetObjectItem(j, "traceEvents");
    ck_assert(cJSON_IsArray(evs));
    counts_t c = {0, 0, 0, 0, -1, -1};
    cJSON *e;
    cJSON_ArrayForEach(e, evs)
    {
        const char *ph = cJSON_GetObjectItem(e, "ph")->valuestring;
        if (!strcmp(ph, "M")) {
            c.m++;
            c.threads += !strcmp(cJSON_GetObjectItem(e, "name")->valuestring, "thread_name");
        } else if (!strcmp(ph, "X")) {
            if (c.x++ == 0) {
                c.first_ts = jnum(e, "ts");
                c.first_dur = jnum(e, "dur");
                cJSON *args = cJSON_GetObjectItem(e, "args");
                ck_assert(jnum(args, "bytes") == 4096);
                ck_assert(jnum(args, "op_id") == first_op_id);
                ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(args, "energy_pj")));
                ck_assert_str_eq(cJSON_GetObjectItem(e, "name")->valuestring, "gemm");
                ck_assert(jnum(e, "tid") == 1);
            }
        } else if (!strcmp(ph, "i")) {
            c.i++;
        } else {
            ck_abort_msg("unexpected phase %s", ph);
        }
    }
    cJSON_Delete(j);
    return c;
}

START_TEST(test_export_perfetto)
{
    make_dir();
    run_spec_t s = base_spec();
    s.with_dma = 1;
    const char *p = path_in("run.db"), *js = path_in("out.json");
    build_run(p, &s);
    result_t r = run_cmd(export_main, "export", p, "--perfetto", js, NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "10 slices and 20 instant events on 3 component threads"));
    result_free(&r);
    counts_t c = count_events(js, 1);
    ck_assert_int_eq(c.x, s.n_ops);
    ck_assert_int_eq(c.i, 2 * s.n_ops);
    ck_assert_int_eq(c.threads, 3);
    ck_assert_int_eq(c.m, 1 + 2 * 3);
    double first_start = (double)(req_ser(&s) + s.req_latency_ps);
    ck_assert_double_eq_tol(c.first_ts, first_start / 1e6, 1e-12);
    ck_assert_double_eq_tol(c.first_dur, s.op_ps / 1e6, 1e-12);
    ck_assert_int_ne(access(path_in("out.json.tmp"), F_OK), 0);

    /* window: ops 3..5 start inside [3P, 6P): their request, activity and response rows */
    long long P = period_ps(&s);
    char from[32], to[32];
    snprintf(from, sizeof from, "%lld", 3 * P);
    snprintf(to, sizeof to, "%lldps", 6 * P);
    r = run_cmd(export_main, "export", p, "--perfetto", js, "--from", from, "--to", to, "--json",
                NULL);
    ck_assert_int_eq(r.rc, 0);
    cJSON *j = parse_json(r.out);
    ck_assert(jnum(j, "complete_events") == 3);
    /* rows at 3P..6P: host responses of ops 2,3,4 arrive at 3P,4P,5P; op 5's at 6P is out */
    ck_assert(jnum(j, "instant_events") == 6);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "truncated")));
    cJSON_Delete(j);
    result_free(&r);
    c = count_events(js, 4);
    ck_assert_int_eq(c.x, 3);
    ck_assert_double_eq_tol(c.first_ts, (3 * P + req_ser(&s) + s.req_latency_ps) / 1e6, 1e-12);

    /* an activity that starts before --from but runs into the window is kept */
    snprintf(from, sizeof from, "%lld", req_ser(&s) + s.req_latency_ps + 1);
    EXPECT_CMD(2, err, "--to must be after --from", export_main, "export", p, "--perfetto", js,
               "--from", from, "--to", from, NULL);
    trace_db_t *db = NULL;
    ck_assert_int_eq(trace_db_open(&db, p), 0);
    trace_export_opts_t o = {.from_ps = (uint64_t)(req_ser(&s) + s.req_latency_ps + 1),
                             .to_ps = (uint64_t)(req_ser(&s) + s.req_latency_ps + 2)};
    trace_export_stats_t st;
    FILE *f = tmpfile();
    ck_assert_int_eq(trace_export_perfetto(db, f, &o, &st), 0);
    ck_assert_int_eq((int)st.complete_events, 1);
    ck_assert_int_eq((int)st.instant_events, 0);
    fclose(f);

    /* --max-events stops and says so */
    o = (trace_export_opts_t){.max_events = 7};
    f = tmpfile();
    ck_assert_int_eq(trace_export_perfetto(db, f, &o, &st), 0);
    ck_assert_int_eq((int)(st.complete_events + st.instant_events), 7);
    ck_assert(st.truncated);
    char *text = slurp(f);
    cJSON *parsed = parse_json(text);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(parsed, "traceEvents")), 7 + 7);
    cJSON_Delete(parsed);
    free(text);
    fclose(f);
    o = (trace_export_opts_t){.max_events = 3 * (uint64_t)s.n_ops};
    f = tmpfile();
    ck_assert_int_eq(trace_export_perfetto(db, f, &o, &st), 0);
    ck_assert(!st.truncated);
    fclose(f);
    trace_db_close(db);

    EXPECT_CMD(2, err, "--perfetto", export_main, "export", p, NULL);
    r = run_cmd(export_main, "export", p, "--perfetto", js, "--from", "5 parsecs", NULL);
    ck_assert_int_eq(r.rc, 2);
    result_free(&r);
    remove_dir();
}
END_TEST

/* Issue 22, findings 6 and 11: a trace is input. A duration_ps or comp_id
 * near 2^63 must not overflow int64 (undefined; under UBSan a crash, else a
 * slice whose end wrapped negative and let the next slices overlap it on one
 * track); a trace without its events, ops or kinds table fails the export
 * with one line and frees what it took (LeakSanitizer in make debug). */
START_TEST(test_export_hostile_traces)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *p = path_in("run.db"), *js = path_in("out.json");
    build_run(p, &s);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open(p, &h), SQLITE_OK);
    exec_ok(h, "UPDATE events SET duration_ps = 9223372036854775000 WHERE rowid = (SELECT "
               "MIN(rowid) FROM events WHERE kind = 0)");
    /* and that component's id is the largest int64 (lanes above it, sort index x 4096) */
    exec_ok(h, "CREATE TEMP TABLE c AS SELECT comp_id FROM events WHERE kind = 0 LIMIT 1");
    exec_ok(h, "UPDATE components SET comp_id = 9223372036854775807 WHERE comp_id = (SELECT "
               "comp_id FROM c)");
    exec_ok(h, "UPDATE events SET comp_id = 9223372036854775807 WHERE comp_id = (SELECT comp_id "
               "FROM c)");
    sqlite3_close(h);
    trace_db_t *db = NULL;
    ck_assert_int_eq(trace_db_open(&db, p), 0);
    trace_export_stats_t st;
    FILE *f = tmpfile();
    ck_assert_int_eq(trace_export_perfetto(db, f, NULL, &st), 0);
    /* the endless first slice holds lane 0: the component's other slices get a lane of their own */
    ck_assert_uint_eq(st.extra_tracks, 1);
    char *text = slurp(f);
    cJSON *parsed = parse_json(text);
    ck_assert_ptr_nonnull(parsed);
    cJSON_Delete(parsed);
    free(text);
    fclose(f);
    trace_db_close(db);
    static const char *drop[] = {"DROP TABLE events", "DROP TABLE kinds", "DROP TABLE ops"};
    for (int i = 0; i < 3; i++) {
        build_run(p, &s);
        ck_assert_int_eq(sqlite3_open(p, &h), SQLITE_OK);
        exec_ok(h, "DROP VIEW IF EXISTS event_log");
        exec_ok(h, drop[i]);
        sqlite3_close(h);
        result_t r = run_cmd(export_main, "export", p, "--perfetto", js, NULL);
        ck_assert_msg(r.rc == 2, "%s: exit %d", drop[i], r.rc);
        ck_assert_msg(strstr(r.err, "prism export: ") &&
                          strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
                      "%s: %s", drop[i], r.err);
        ck_assert_int_ne(access(js, F_OK), 0);
        result_free(&r);
    }
    remove_dir();
}
END_TEST

/* ---- diff --------------------------------------------------------------------- */
static const trace_diff_metric_t *find_metric(const trace_diff_t *d, const char *comp,
                                              const char *metric)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->m[i].metric, metric) &&
            ((!comp && !d->m[i].component) ||
             (comp && d->m[i].component && !strcmp(comp, d->m[i].component))))
            return &d->m[i];
    return NULL;
}

START_TEST(test_diff_identical)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *a = path_in("a.db"), *b = path_in("b.db");
    build_run(a, &s);
    build_run(b, &s);
    result_t r = run_cmd(diff_main, "diff", a, b, NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "same: all "));
    ck_assert_str_eq(r.err, "");
    result_free(&r);
    r = run_cmd(diff_main, "diff", a, a, "--json", NULL);
    ck_assert_int_eq(r.rc, 0);
    cJSON *j = parse_json(r.out);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "changed")));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "metrics")), 0);
    /* run: 3 metrics; host: busy, energy, events, static; npu0: the same + mvm
     * + its own `ops` counter; 2 links: busy, messages, bytes */
    ck_assert(jnum(j, "metrics_compared") == 3 + 4 + 6 + 2 * 3);
    cJSON_Delete(j);
    result_free(&r);
    r = run_cmd(diff_main, "diff", a, b, "--all", NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "energy_pj.mvm"));
    ck_assert_ptr_nonnull(strstr(r.out, "end_time_ps"));
    result_free(&r);
    remove_dir();
}
END_TEST

START_TEST(test_diff_link_latency)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *a = path_in("a.db"), *b = path_in("b.db");
    build_run(a, &s);
    run_spec_t s2 = s;
    s2.resp_latency_ps = 25000; /* slower response link */
    s2.config_hash = "fedcba9876543210";
    build_run(b, &s2);

    trace_db_t *da = NULL, *db = NULL;
    ck_assert_int_eq(trace_db_open(&da, a), 0);
    ck_assert_int_eq(trace_db_open(&db, b), 0);
    trace_diff_t d;
    ck_assert_int_eq(trace_diff(da, db, 0.0, &d), 0);
    /* what a longer link changes: end time, and static energy (power x time) */
    double rel_end = (double)(end_ps(&s2) - end_ps(&s)) / end_ps(&s);
    const trace_diff_metric_t *m = find_metric(&d, NULL, "end_time_ps");
    ck_assert_ptr_nonnull(m);
    ck_assert(m->changed);
    ck_assert_double_eq_tol(m->rel, rel_end, 1e-12);
    ck_assert(m->delta == (double)(s2.n_ops * (s2.resp_latency_ps - s.resp_latency_ps)));
    m = find_metric(&d, "host", "energy_pj.static");
    ck_assert(m && m->changed);
    ck_assert_double_eq_tol(m->rel, rel_end, 1e-9);
    /* ... and not busy time, events or dynamic energy */
    ck_assert(!find_metric(&d, "npu0", "busy_ps")->changed);
    ck_assert(!find_metric(&d, "npu0", "events")->changed);
    ck_assert(!find_metric(&d, "npu0", "energy_pj.mvm")->changed);
    ck_assert(!find_metric(&d, NULL, "events_handled")->changed);
    ck_assert(!find_metric(&d, "npu0.out->host.in", "busy_ps")->changed);
    /* changed: end time, run energy, 2 x (energy_pj, energy_pj.static) */
    ck_assert_int_eq((int)d.nchanged, 6);
    /* changed first; among them the run's metrics, then by |relative change| */
    for (size_t i = 1; i < d.n; i++) {
        ck_assert(d.m[i - 1].changed >= d.m[i].changed);
        int run_a = d.m[i - 1].scope == TRACE_DIFF_RUN, run_b = d.m[i].scope == TRACE_DIFF_RUN;
        if (d.m[i].changed && d.m[i - 1].changed)
            ck_assert(run_a > run_b ||
                      (run_a == run_b && fabs(d.m[i - 1].rel) >= fabs(d.m[i].rel)));
    }
    for (size_t i = 0; i < d.nchanged; i++)
        ck_assert(fabs(d.m[d.largest].rel) >= fabs(d.m[i].rel));
    ck_assert_int_eq((int)d.nwarn, 1);
    ck_assert_ptr_nonnull(strstr(d.warn[0], "config hashes differ"));
    trace_diff_free(&d);

    /* a tolerance above the largest change: same */
    ck_assert_int_eq(trace_diff(da, db, rel_end * 1.01, &d), 0);
    ck_assert_int_eq((int)d.nchanged, 0);
    trace_diff_free(&d);
    trace_db_close(da);
    trace_db_close(db);

    result_t r = run_cmd(diff_main, "diff", a, b, "--tolerance", "1%", NULL);
    ck_assert_int_eq(r.rc, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "changed: 6 of 19 metrics moved beyond the tolerance (1%)"));
    ck_assert_ptr_nonnull(strstr(r.err, "warning: config hashes differ"));
    /* the largest change leads the table: end time and the static energy share rel_end;
     * the run's energy moves less since its dynamic part did not change */
    const char *verdict = strstr(r.out, "changed: ");
    ck_assert_ptr_nonnull(verdict);
    const char *last = verdict - 1; /* start of the table's last line */
    while (last > r.out && last[-1] != '\n')
        last--;
    ck_assert_msg(!strncmp(last, "npu0", 4) && strstr(last, "energy_pj ") &&
                      strstr(last, "energy_pj ") < verdict,
                  "last changed row: %.60s", last);
    result_free(&r);
    char tol[32];
    snprintf(tol, sizeof tol, "%.6f", rel_end * 1.01);
    r = run_cmd(diff_main, "diff", a, b, "--tolerance", tol, "--json", NULL);
    ck_assert_int_eq(r.rc, 0);
    cJSON *j = parse_json(r.out);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "changed")));
    ck_assert_double_eq_tol(jnum(j, "tolerance"), rel_end * 1.01, 1e-6);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "warnings")), 1);
    cJSON_Delete(j);
    result_free(&r);
    r = run_cmd(diff_main, "diff", a, b, "--json", NULL);
    ck_assert_int_eq(r.rc, 1);
    j = parse_json(r.out);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "changed")));
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "metrics"), 0);
    ck_assert_double_eq_tol(jnum(first, "delta_rel"), rel_end, 1e-9);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "metrics")), 6);
    cJSON_Delete(j);
    result_free(&r);
    remove_dir();
}
END_TEST

/* Halving the links' bandwidth doubles their busy time (bytes / bandwidth)
 * and leaves messages and bytes alone. */
START_TEST(test_diff_link_bandwidth)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *a = path_in("a.db"), *b = path_in("b.db");
    build_run(a, &s);
    run_spec_t s2 = s;
    s2.bw_gbps = s.bw_gbps / 2;
    build_run(b, &s2);
    trace_db_t *da = NULL, *db = NULL;
    ck_assert_int_eq(trace_db_open(&da, a), 0);
    ck_assert_int_eq(trace_db_open(&db, b), 0);
    trace_diff_t d;
    ck_assert_int_eq(trace_diff(da, db, 0.01, &d), 0);
    const trace_diff_metric_t *m = find_metric(&d, "npu0.out->host.in", "busy_ps");
    ck_assert(m && m->changed && m->scope == TRACE_DIFF_LINK);
    ck_assert_double_eq_tol(m->rel, 1.0, 1e-12);
    ck_assert(m->delta == (double)s.n_ops * resp_ser(&s));
    ck_assert(!find_metric(&d, "npu0.out->host.in", "bytes")->changed);
    ck_assert(!find_metric(&d, "host.out->npu0.in", "messages")->changed);
    m = find_metric(&d, NULL, "end_time_ps");
    ck_assert(m && m->scope == TRACE_DIFF_RUN);
    ck_assert_double_eq_tol(m->rel, (double)(req_ser(&s) + resp_ser(&s)) / period_ps(&s), 1e-12);
    /* the run's changed metrics lead the list, then the two link busy times
     * (+100%), the largest change */
    ck_assert_int_eq(d.m[0].scope, TRACE_DIFF_RUN);
    size_t runs = 0;
    while (runs < d.n && d.m[runs].changed && d.m[runs].scope == TRACE_DIFF_RUN)
        runs++;
    ck_assert_uint_ge(runs, 1);
    ck_assert_int_eq(d.m[runs].scope, TRACE_DIFF_LINK);
    ck_assert_int_eq(d.m[runs + 1].scope, TRACE_DIFF_LINK);
    ck_assert_int_eq(d.m[d.largest].scope, TRACE_DIFF_LINK);
    ck_assert_uint_eq(d.nparams, 0); /* the same parameters */
    trace_diff_free(&d);
    trace_db_close(da);
    trace_db_close(db);
    /* a parameter set differently comes first, as the cause */
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(b, &h), SQLITE_OK);
    exec_ok(h, "UPDATE components SET params = '{\"rows\":64,\"cols\":8}' WHERE name = 'npu0'");
    sqlite3_close(h);
    result_t r = run_cmd(diff_main, "diff", a, b, "--json", NULL);
    ck_assert_int_eq(r.rc, 1);
    cJSON *j = parse_json(r.out);
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "metrics"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(first, "scope")->valuestring, "run");
    cJSON *params = cJSON_GetObjectItem(j, "parameters");
    ck_assert_int_eq(cJSON_GetArraySize(params), 2);
    cJSON *p0 = cJSON_GetArrayItem(params, 0), *p1 = cJSON_GetArrayItem(params, 1);
    ck_assert_str_eq(cJSON_GetObjectItem(p0, "name")->valuestring, "cols");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(p0, "a")));
    ck_assert_str_eq(cJSON_GetObjectItem(p1, "name")->valuestring, "rows");
    ck_assert_str_eq(cJSON_GetObjectItem(p1, "a")->valuestring, "128");
    ck_assert_str_eq(cJSON_GetObjectItem(p1, "b")->valuestring, "64");
    cJSON_Delete(j);
    result_free(&r);
    r = run_cmd(diff_main, "diff", a, b, NULL);
    ck_assert_int_eq(r.rc, 1);
    ck_assert_msg(strstr(r.out, "parameter") < strstr(r.out, "end_time_ps"), "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "largest: host.out->npu0.in busy_ps +100.00%"));
    result_free(&r);
    remove_dir();
}
END_TEST

START_TEST(test_diff_components_and_zero)
{
    make_dir();
    run_spec_t s = base_spec();
    const char *a = path_in("a.db"), *b = path_in("b.db");
    build_run(a, &s);
    run_spec_t s2 = s;
    s2.with_dma = 1; /* a new component in b */
    s2.status = "interrupted";
    build_run(b, &s2);
    trace_db_t *da = NULL, *db = NULL;
    ck_assert_int_eq(trace_db_open(&da, a), 0);
    ck_assert_int_eq(trace_db_open(&db, b), 0);
    trace_diff_t d;
    ck_assert_int_eq(trace_diff(da, db, 0.5, &d), 0);
    /* the new component is reported first even though its events are 0 */
    const trace_diff_metric_t *m = find_metric(&d, "dma0", "events");
    ck_assert(m && m->changed && !m->in_a && m->in_b);
    ck_assert_str_eq(d.m[0].component, "dma0");
    ck_assert_int_eq((int)d.nchanged, 4); /* dma0: busy, energy, events, static */
    ck_assert_int_eq((int)d.nwarn, 1);
    ck_assert_ptr_nonnull(strstr(d.warn[0], "interrupted"));
    trace_diff_free(&d);
    /* reversed: the component is gone */
    ck_assert_int_eq(trace_diff(db, da, 0.5, &d), 0);
    m = find_metric(&d, "dma0", "energy_pj");
    ck_assert(m && m->changed && m->in_a && !m->in_b);
    ck_assert_double_eq_tol(m->rel, -1.0, 1e-12);
    trace_diff_free(&d);
    ck_assert_int_eq(trace_diff(da, db, -1, &d), TRACE_DB_ERR_ARG);
    trace_db_close(da);
    trace_db_close(db);

    result_t r = run_cmd(diff_main, "diff", a, b, "--tolerance=50%", NULL);
    ck_assert_int_eq(r.rc, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "new"));
    ck_assert_ptr_nonnull(strstr(r.err, "warning: "));
    result_free(&r);

    /* a metric 0 in a and nonzero in b changed, whatever the tolerance */
    s2 = s;
    s.op_pj = 0;
    s2.op_pj = 1e-3;
    build_run(a, &s);
    build_run(b, &s2);
    ck_assert_int_eq(trace_db_open(&da, a), 0);
    ck_assert_int_eq(trace_db_open(&db, b), 0);
    ck_assert_int_eq(trace_diff(da, db, 1e6, &d), 0);
    m = find_metric(&d, "npu0", "energy_pj.mvm");
    ck_assert(m && m->changed && isinf(m->rel) && m->rel > 0);
    ck_assert_int_eq((int)d.nchanged, 1);
    trace_diff_free(&d);
    trace_db_close(da);
    trace_db_close(db);
    EXPECT_CMD(1, out, "+inf", diff_main, "diff", a, b, "--tolerance", "1e8%", NULL);
    EXPECT_CMD(2, err, "--tolerance", diff_main, "diff", a, b, "--tolerance", "abc", NULL);
    r = run_cmd(diff_main, "diff", a, NULL);
    ck_assert_int_eq(r.rc, 2);
    result_free(&r);
    EXPECT_CMD(0, out, "Exit status", diff_main, "diff", "--help", NULL);
    remove_dir();
}
END_TEST

START_TEST(test_parse_tolerance)
{
    double t = -1;
    ck_assert_int_eq(trace_parse_tolerance("1%", &t), 0);
    ck_assert_double_eq(t, 0.01);
    ck_assert_int_eq(trace_parse_tolerance("0.05", &t), 0);
    ck_assert_double_eq(t, 0.05);
    ck_assert_int_eq(trace_parse_tolerance("0", &t), 0);
    ck_assert_double_eq(t, 0);
    ck_assert_int_eq(trace_parse_tolerance("-1%", &t), TRACE_DB_ERR_ARG);
    ck_assert_int_eq(trace_parse_tolerance("1%%", &t), TRACE_DB_ERR_ARG);
    ck_assert_int_eq(trace_parse_tolerance("", &t), TRACE_DB_ERR_ARG);
    ck_assert_int_eq(trace_parse_tolerance("nan", &t), TRACE_DB_ERR_ARG);
    /* without %, a fraction below 1: "5" would silently mean 500 % */
    ck_assert_int_eq(trace_parse_tolerance("5", &t), TRACE_DB_ERR_ARG);
    ck_assert_int_eq(trace_parse_tolerance("1", &t), TRACE_DB_ERR_ARG);
    ck_assert_int_eq(trace_parse_tolerance("0.999", &t), 0);
    ck_assert_double_eq(t, 0.999);
    ck_assert_int_eq(trace_parse_tolerance("500%", &t), 0);
    ck_assert_double_eq(t, 5);
}
END_TEST

/* ---- the built binary, when make test provides it ------------------------------ */
static int run_binary(const char *prism, const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", prism, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_binary_exit_codes)
{
    const char *prism = getenv("PRISM");
    if (!prism || access(prism, X_OK) != 0) {
        fprintf(stderr, "check_tracetools: PRISM not set or not built; binary test skipped\n");
        return;
    }
    /* a binary without these subcommands (placeholder era) is not this test's subject */
    if (run_binary(prism, "diff --help") != 0) {
        fprintf(stderr, "check_tracetools: %s has no 'diff' yet; binary test skipped\n", prism);
        return;
    }
    make_dir();
    run_spec_t s = base_spec();
    build_run(path_in("a.db"), &s);
    build_run(path_in("same.db"), &s);
    s.resp_latency_ps *= 3;
    build_run(path_in("b.db"), &s);
    char args[512];
    snprintf(args, sizeof args, "diff '%s' '%s'", path_in("a.db"), path_in("same.db"));
    ck_assert_int_eq(run_binary(prism, args), 0);
    snprintf(args, sizeof args, "diff '%s' '%s' --tolerance 1%%", path_in("a.db"), path_in("b.db"));
    ck_assert_int_eq(run_binary(prism, args), 1);
    snprintf(args, sizeof args, "diff '%s' '%s'", path_in("a.db"), path_in("nothere.db"));
    ck_assert_int_eq(run_binary(prism, args), 2);
    snprintf(args, sizeof args, "query '%s' 'SELEC 1'", path_in("a.db"));
    ck_assert_int_eq(run_binary(prism, args), 2);
    snprintf(args, sizeof args, "report '%s' --json", path_in("a.db"));
    ck_assert_int_eq(run_binary(prism, args), 0);
    snprintf(args, sizeof args, "export '%s' --perfetto '%s'", path_in("a.db"), path_in("t.json"));
    ck_assert_int_eq(run_binary(prism, args), 0);
    counts_t c = count_events(path_in("t.json"), 1);
    ck_assert_int_eq(c.x, s.n_ops);
    remove_dir();
}
END_TEST

static Suite *tracetools_suite(void)
{
    Suite *s = suite_create("tracetools");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_tools_as_library_functions);
    tcase_add_test(tc, test_wal_finished_and_killed);
    tcase_add_test(tc, test_query_sql_errors_and_readonly);
    tcase_add_test(tc, test_query_cannot_write_or_reach_out);
    tcase_add_test(tc, test_query_timeout_prints_only_the_message);
    tcase_add_test(tc, test_query_formats);
    tcase_add_test(tc, test_out_quoting);
    tcase_add_test(tc, test_summary_views_and_fallback);
    tcase_add_test(tc, test_report_text_and_json);
    tcase_add_test(tc, test_power_density);
    tcase_add_test(tc, test_export_perfetto);
    tcase_add_test(tc, test_export_hostile_traces);
    tcase_add_test(tc, test_diff_identical);
    tcase_add_test(tc, test_diff_link_latency);
    tcase_add_test(tc, test_diff_link_bandwidth);
    tcase_add_test(tc, test_diff_components_and_zero);
    tcase_add_test(tc, test_parse_tolerance);
    tcase_add_test(tc, test_binary_exit_codes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tracetools_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
