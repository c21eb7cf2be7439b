/* What users trip over (issue 12), end to end through the built binary:
 * --set overrides checked like file values, include: and merge keys,
 * exit codes and one-line errors, truthful JSON and views, sweeps and plots.
 * Runs the built binary ($PRISM) from the repository root. */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check_cli.h"

static void setup(void)
{
    cli_setup("check-ux");
}
static void teardown(void)
{
    cli_teardown();
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* the number after "key": in a JSON text (-1 when absent) */
static double json_num(const char *json, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

static int have_repo(void)
{
    if (access("configs/chip.yaml", R_OK) != 0) {
        fprintf(stderr, "skipped: run from the repository root\n");
        return 0;
    }
    return 1;
}

/* A closed packet run whose end time depends on every latency and rate. */
static const char *NET =
    "seed: 5\n"
    "clocks:\n  core: 1GHz\n"
    "components:\n"
    "  g0: {model: traffic_gen, clock: core, rate: 0.2, dests: 1, packets: 500}\n"
    "  k0: {model: sink}\n"
    "links:\n"
    "  - {from: g0.out, to: k0.in, latency: 2ns, bandwidth: 32GB/s}\n";

static double end_ps(const char *cmdline_fmt, const char *a, const char *b)
{
    char out[65536], cmd[2048];
    snprintf(cmd, sizeof cmd, cmdline_fmt, a, b);
    int rc = run_out(out, sizeof out, "%s run %s --json", prism, cmd);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    return json_num(out, "end_time_ps");
}

START_TEST(set_overrides_like_file_values)
{
    SKIP_WITHOUT_PRISM();
    write_file(path("net.yaml"), NET);
    /* the same change made in the file and with --set gives the same run */
    char edited[2048];
    snprintf(edited, sizeof edited, "%s", NET);
    char *lat = strstr(edited, "latency: 2ns");
    memcpy(lat, "latency: 7ns", 12);
    char *rate = strstr(edited, "rate: 0.2");
    memcpy(rate, "rate: 0.1", 9);
    write_file(path("edited.yaml"), edited);
    double base = end_ps("%s%s", path("net.yaml"), "");
    double file = end_ps("%s%s", path("edited.yaml"), "");
    double set = end_ps("%s %s", path("net.yaml"), "--set g0.rate=0.1,links.latency=7ns");
    ck_assert(base != file);
    ck_assert(set == file);
    ck_assert(end_ps("%s %s", path("net.yaml"), "--set 'links[0].latency=7ns' --set g0.rate=0.1") ==
              file);
    ck_assert(end_ps("%s %s", path("net.yaml"), "--set 'links[k0].latency=7ns,g0.rate=0.1'") ==
              file);
    /* a faster clock: the generator sends at the same rate per cycle */
    ck_assert(end_ps("%s %s", path("net.yaml"), "--set clocks.core=2GHz") < base);
    /* seed and until */
    char out[65536];
    ck_assert_int_eq(run_out(out, sizeof out, "%s run %s --set seed=99,until=100ns --json", prism,
                             path("net.yaml")),
                     0);
    ck_assert(json_num(out, "seed") == 99);
    ck_assert(json_num(out, "end_time_ps") <= 100000);

    /* errors name the override and exit 2 */
    static const struct {
        const char *set, *want;
    } bad[] = {
        {"g0.rate=2", "--set g0.rate=2: component 'g0': parameter 'rate'"},
        {"g0.rat=0.1", "--set g0.rat=0.1: component 'g0': unknown parameter 'rat'"},
        {"g9.rate=0.1", "--set g9.rate=0.1: the config has no component 'g9' (components: g0, k0)"},
        {"clocks.core=fast",
         "--set clocks.core=fast: field 'clocks.core': 'fast' is not a frequency"},
        {"clocks.cpu=1GHz", "no clock 'cpu' (clocks: core)"},
        {"links.latency=3xs", "--set links.latency=3xs: field 'latency'"},
        {"links.bandwidth=lots", "--set links.bandwidth=lots: field 'bandwidth'"},
        {"links[3].latency=1ns", "there is no link 3"},
        {"seed=-1", "--set seed=-1: field 'seed'"},
        {"until=soon", "--set until=soon: field 'until'"},
        {"colour=red", "'colour' is not something --set can change"},
        {"g0.rate", "write KEY=VALUE"},
        {"g0.rate=0.1,0.2", "prism run takes one"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = run(out, sizeof out, "%s run %s --set '%s'", prism, path("net.yaml"), bad[i].set);
        ck_assert_msg(rc == 2, "%s: exit %d: %s", bad[i].set, rc, out);
        ck_assert_msg(strstr(out, bad[i].want), "%s: want '%s' in: %s", bad[i].set, bad[i].want,
                      out);
    }
}
END_TEST

START_TEST(set_on_the_chip)
{
    SKIP_WITHOUT_PRISM();
    if (!have_repo())
        return;
    char out[65536];
    int rc =
        run_out(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --seq 64 --json", prism);
    ck_assert_msg(rc == 0, "%s", out);
    double base = json_num(out, "end_time_ps");
    rc = run_out(
        out, sizeof out,
        "%s run configs/chip.yaml --workload gpt2 --seq 64 --json --set sa.rows=64,sa.cols=64",
        prism);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert(json_num(out, "end_time_ps") < base);
    /* the issue's example: a value with a unit, converted to the parameter's (bandwidth_gbps) */
    rc = run_out(out, sizeof out,
                 "%s run configs/chip.yaml --workload gpt2 --seq 64 --json --set "
                 "sa.rows=64,hbm.bandwidth=512GB/s",
                 prism);
    ck_assert_msg(rc == 0, "%s", out);
    double with_unit = json_num(out, "end_time_ps");
    rc = run_out(out, sizeof out,
                 "%s run configs/chip.yaml --workload gpt2 --seq 64 --json --set "
                 "sa.rows=64,hbm.bandwidth_gbps=0.512TB/s",
                 prism);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert(json_num(out, "end_time_ps") == with_unit);
    rc = run_out(out, sizeof out,
                 "%s run configs/chip.yaml --workload gpt2 --seq 64 --json --set "
                 "sa.rows=64,hbm.bandwidth_gbps=512",
                 prism);
    ck_assert(json_num(out, "end_time_ps") == with_unit);
    /* 40000ps is the default 40 ns; 8MiB the default buffer */
    rc = run_out(out, sizeof out,
                 "%s run configs/chip.yaml --workload gpt2 --seq 64 --json --set "
                 "hbm.latency_ns=40000ps,buf.size_bytes=8MiB",
                 prism);
    ck_assert(json_num(out, "end_time_ps") == base);
    static const struct {
        const char *set, *want;
    } bad[] = {
        {"hbm.bandwidth=512", "did you mean 'bandwidth_gbps' (in GB/s), or 'bandwidth' with a unit "
                              "(bandwidth=512GB/s)?"},
        {"hbm.bandwidth=5ns",
         "parameter 'bandwidth_gbps' of model 'dram' is '5ns'; it is in GB/s, not a time"},
        {"sa.rows=3GHz", "it is a plain number (no unit), not a frequency"},
        {"buf.size_bytes=1.5B", "expected a whole number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rc = run(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --set %s", prism,
                 bad[i].set);
        ck_assert_msg(rc == 2, "%s: exit %d", bad[i].set, rc);
        ck_assert_msg(strstr(out, bad[i].want), "%s: want %s in %s", bad[i].set, bad[i].want, out);
    }
}
END_TEST

START_TEST(exit_codes_and_one_line_errors)
{
    SKIP_WITHOUT_PRISM();
    char out[65536];
    static const struct {
        const char *args, *want;
        int code;
    } cases[] = {
        {"op --device systolic --mvm 16x16", "systolic cannot do op 'mvm'", 2},
        {"op --device sram --mvm 16x16", "(it does read, write)", 2},
        {"workload eval /nonexistent", "/nonexistent", 2},
        {"run --bogus x.yaml", "prism run: unknown option '--bogus' (see prism run --help)\n", 2},
        {"run x.yaml --seed", "option '--seed' needs a value", 2},
        {"run", "needs a config file", 2},
        {"run x.yaml --until 10", "--until '10' needs a unit", 2},
        {"models --bogus", "prism models: unknown option '--bogus'", 2},
        {"version --bogus", "prism version: unknown option '--bogus'", 2},
        {"query x.db 'SELECT 1' --csv --json", "--csv and --json", 2},
        {"nosuchcommand", "unknown command 'nosuchcommand'", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = run(out, sizeof out, "cd %s && %s %s", dir, prism, cases[i].args);
        ck_assert_msg(rc == cases[i].code, "%s: exit %d: %s", cases[i].args, rc, out);
        ck_assert_msg(strstr(out, cases[i].want), "%s: want '%s' in: %s", cases[i].args,
                      cases[i].want, out);
        ck_assert_msg(lines(out) == 1, "%s: not one line: %s", cases[i].args, out);
        ck_assert_msg(!strstr(out, "(kind "), "%s: internal code in: %s", cases[i].args, out);
    }
    /* help */
    EXPECT_RUN(0, "usage: prism run CONFIG.yaml", out, "%s help run", prism);
    /* --dtype help names every dtype */
    EXPECT_RUN(0, "f32, f16, bf16, f64, i8, u8, i16, i32, i64", out, "%s run --help", prism);
}
END_TEST

START_TEST(trace_needs_force_to_replace)
{
    SKIP_WITHOUT_PRISM();
    write_file(path("net.yaml"), NET);
    char out[65536];
    ck_assert_int_eq(
        run(out, sizeof out, "%s run %s --trace %s", prism, path("net.yaml"), path("t.db")), 0);
    int rc = run(out, sizeof out, "%s run %s --trace %s", prism, path("net.yaml"), path("t.db"));
    ck_assert_msg(rc == 2, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "exists; --force replaces it"));
    rc =
        run(out, sizeof out, "%s run %s --trace %s --force", prism, path("net.yaml"), path("t.db"));
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
}
END_TEST

/* PCM endurance 2: the third program of the same cells stops the run */
static const char *FAIL_YAML =
    "clocks: {c: 1GHz}\ncomponents:\n"
    "  drv: {model: op_driver, clock: c, requests: \"op=program k=16 n=16 weight_id=1; "
    "op=program k=16 n=16 weight_id=2; op=program k=16 n=16 weight_id=3\"}\n"
    "  x: {model: pcm_xbar, clock: c, rows: 16, cols: 16, endurance: 2}\n"
    "links:\n  - {from: drv.out, to: x.in, latency: 1ns}\n"
    "  - {from: x.out, to: drv.in, latency: 1ns}\n";

/* programs and MVMs on a PCM crossbar: energies with many digits */
static const char *XBAR =
    "seed: 3\nclocks: {c: 1GHz}\ncomponents:\n"
    "  drv: {model: op_driver, clock: c, requests: \"op=program k=16 n=16 weight_id=1; "
    "op=mvm k=16 n=16 weight_id=1; op=mvm k=16 n=16 weight_id=1\"}\n"
    "  x: {model: pcm_xbar, clock: c, rows: 16, cols: 16}\n"
    "links:\n  - {from: drv.out, to: x.in, latency: 1ns}\n"
    "  - {from: x.out, to: drv.in, latency: 1ns}\n";

START_TEST(run_json_and_summary_tell_the_truth)
{
    SKIP_WITHOUT_PRISM();
    write_file(path("net.yaml"), XBAR);
    char out[65536];
    ck_assert_int_eq(run_out(out, sizeof out, "%s run %s --json --trace %s", prism,
                             path("net.yaml"), path("j.db")),
                     0);
    ck_assert(json_num(out, "seed") == 3);
    double total = json_num(out, "energy_pj");
    ck_assert(total > 0);
    /* full precision: the per-component energies add up to the total, as the DB says
     * (SQLite's printf stops at 16 significant digits without the '!' flag) */
    char sql[512];
    snprintf(
        sql, sizeof sql,
        "sqlite3 %s \"SELECT printf('%%!.17g', SUM(value)) FROM stats WHERE name='energy.total'\"",
        path("j.db"));
    char db[256];
    if (run_out(db, sizeof db, "%s", sql) == 0 && *db) {
        double want = strtod(db, NULL);
        ck_assert_msg(total == want, "json %.17g vs db %.17g", total, want);
    }
    ck_assert_ptr_nonnull(strstr(out, "\"message\":null"));
    /* the text summary: report's units, real wall time */
    ck_assert_int_eq(run_out(out, sizeof out, "%s run %s", prism, path("net.yaml")), 0);
    ck_assert_ptr_null(strstr(out, "e+"));
    ck_assert_ptr_null(strstr(out, "0.000 s wall"));
    ck_assert_ptr_nonnull(strstr(out, " pJ ("));
    /* a failed run says why in JSON */
    write_file(path("fail.yaml"), FAIL_YAML);
    ck_assert_int_eq(
        run_out(out, sizeof out, "%s run %s --json 2>/dev/null", prism, path("fail.yaml")), 1);
    ck_assert_ptr_nonnull(strstr(out, "\"status\":\"failed\""));
    ck_assert_ptr_nonnull(strstr(out, "exceeded endurance 2"));
}
END_TEST

START_TEST(merge_keys_and_include)
{
    SKIP_WITHOUT_PRISM();
    write_file(path("net.yaml"), NET);
    write_file(path("slow.yaml"),
               "seed: 5\nclocks:\n  core: 1GHz\ncomponents:\n"
               "  g0: {model: traffic_gen, clock: core, rate: 0.1, dests: 1, packets: 500}\n"
               "  k0: {model: sink}\n"
               "links:\n  - {from: g0.out, to: k0.in, latency: 7ns, bandwidth: 32GB/s}\n");
    double want = end_ps("%s%s", path("slow.yaml"), "");
    /* merge keys: a template, explicit keys win */
    write_file(path("merge.yaml"),
               "templates:\n"
               "  gen: &gen {model: traffic_gen, clock: core, rate: 0.5, dests: 1}\n"
               "  wire: &wire {latency: 7ns, bandwidth: 32GB/s}\n"
               "seed: 5\nclocks:\n  core: 1GHz\ncomponents:\n"
               "  g0: {<<: *gen, rate: 0.1, packets: 500}\n"
               "  k0: {model: sink}\n"
               "links:\n  - {<<: *wire, from: g0.out, to: k0.in}\n");
    ck_assert(end_ps("%s%s", path("merge.yaml"), "") == want);
    /* include: the base's components by name, this file's fields win */
    write_file(path("inc.yaml"), "include: net.yaml\n"
                                 "components:\n  g0: {rate: 0.1}\n"
                                 "links: []\n");
    write_file(path("inc2.yaml"), "include: [net.yaml]\n"
                                  "components:\n  g0: {rate: 0.1}\n");
    char out[65536];
    /* links are appended: inc.yaml adds none, so only the latency differs */
    ck_assert(end_ps("%s %s", path("inc.yaml"), "--set links.latency=7ns") == want);
    ck_assert(end_ps("%s %s", path("inc2.yaml"), "--set links.latency=7ns") == want);

    /* errors: file:line:col of the file that holds the bad value */
    static const struct {
        const char *name, *yaml, *want;
    } bad[] = {
        {"m1.yaml",
         "templates:\n  gen: &gen {model: traffic_gen, rate: lots}\n"
         "components:\n  g0: {<<: *gen}\n",
         "m1.yaml:2:34: component 'g0': parameter 'rate'"},
        {"m2.yaml", "components:\n  g0: {<<: 3, model: sink}\n",
         "m2.yaml:2:12: merge key '<<' must be given a mapping"},
        /* an empty merge: the mapping's pair stack was set from a NULL array
         * plus 0 (undefined; clang's UBSan in make fuzz found it) */
        {"m3.yaml", "components:\n  k0: {<<: {}}\n", "m3.yaml:2:3: component 'k0' has no 'model'"},
        {"i1.yaml", "include: nothere.yaml\ncomponents: {}\n",
         "i1.yaml:1:10: include 'nothere.yaml': cannot open"},
        {"i2.yaml", "include: i2.yaml\ncomponents: {}\n", "i2.yaml:1:10: include 'i2.yaml'"},
        {"i3.yaml", "include: badbase.yaml\n", "badbase.yaml:3:25: field 'clocks.x'"},
        {"i4.yaml", "include: {a: b}\n", "i4.yaml:1:10: field 'include' must be a file name"},
    };
    write_file(path("badbase.yaml"),
               "components:\n  k0: {model: sink}\nclocks: {core: 1GHz, x: fast}\n");
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(path(bad[i].name), bad[i].yaml);
        int rc = run(out, sizeof out, "%s run %s", prism, path(bad[i].name));
        ck_assert_msg(rc == 2, "%s: exit %d: %s", bad[i].name, rc, out);
        ck_assert_msg(strstr(out, bad[i].want), "%s: want '%s' in: %s", bad[i].name, bad[i].want,
                      out);
    }
}
END_TEST

static char *slurp(const char *p)
{
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

static double q1(const char *db, const char *sql)
{
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(h));
    double v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : NAN;
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

START_TEST(views_split_windows_and_name_the_energy_gap)
{
    SKIP_WITHOUT_PRISM();
    if (!have_repo())
        return;
    char out[65536];
    const char *db = path("g.db");
    int rc = run(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --trace %s", prism, db);
    ck_assert_msg(rc == 0, "%s", out);
    /* every component has 100 windows; idle ones are rows with 0 */
    ck_assert(q1(db, "SELECT count(*) FROM utilization_windows") ==
              100 * q1(db, "SELECT count(*) FROM components"));
    ck_assert(
        q1(db, "SELECT count(*) FROM utilization_windows WHERE component = 'buf' AND busy_ps = 0") >
        0);
    /* the array runs one GEMM at a time: never above 100% in a window (was 2891%) */
    double peak = q1(db, "SELECT MAX(utilization) FROM utilization_windows WHERE component = 'sa'");
    ck_assert_msg(peak <= 1.0 + 1e-9 && peak > 0.5, "sa peak %g", peak);
    /* the schedule driver keeps an op span and a weight-load span at once:
     * counted once, never above 100 % (was 147 %) */
    double all = q1(db, "SELECT MAX(utilization) FROM utilization_windows");
    ck_assert_msg(all <= 1.0, "peak %.17g", all);
    /* split, not dropped: the windows add up to the activities' time */
    double windows = q1(db, "SELECT SUM(busy_ps) FROM utilization_windows WHERE component = 'sa'");
    double acts = q1(db, "SELECT SUM(duration_ps) FROM events e JOIN components c USING(comp_id) "
                         "WHERE c.name = 'sa' AND kind = 0");
    ck_assert_msg(fabs(windows - acts) <= 1e-6 * acts, "%.17g vs %.17g", windows, acts);
    /* energy: events + static + untraced = the ledger's total, and untraced is ~0 */
    double total = q1(db, "SELECT SUM(value) FROM stats WHERE name = 'energy.total'");
    double ev = q1(db, "SELECT SUM(energy_pj) FROM events");
    double stat = q1(db, "SELECT SUM(static_pj) FROM energy_check");
    double untraced = q1(db, "SELECT SUM(untraced_pj) FROM energy_check");
    ck_assert(stat > 0);
    ck_assert_msg(fabs(ev + stat - total) <= 1e-9 * total, "%.17g + %.17g vs %.17g", ev, stat,
                  total);
    ck_assert(fabs(untraced) <= 1e-9 * total);

    /* perfetto: overlapping activities get their own tracks; no track has overlapping slices */
    rc = run(out, sizeof out, "%s export %s --perfetto %s", prism, db, path("g.json"));
    ck_assert_msg(rc == 0, "%s", out);
    char *text = slurp(path("g.json"));
    cJSON *j = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(j);
    cJSON *evs = cJSON_GetObjectItem(j, "traceEvents"), *e;
    int lanes = 0, overlaps = 0, n = 0;
    double last_end[4096] = {0};
    cJSON_ArrayForEach(e, evs)
    {
        const char *ph = cJSON_GetObjectItem(e, "ph")->valuestring;
        int tid = cJSON_GetObjectItem(e, "tid")->valueint;
        cJSON *name = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "name");
        if (!strcmp(ph, "M") && cJSON_IsString(name) && strstr(name->valuestring, " #"))
            lanes++;
        if (strcmp(ph, "X") || tid < 0 || tid >= 4096)
            continue;
        double ts = cJSON_GetObjectItem(e, "ts")->valuedouble,
               dur = cJSON_GetObjectItem(e, "dur")->valuedouble;
        overlaps += ts < last_end[tid] - 1e-9;
        if (ts + dur > last_end[tid])
            last_end[tid] = ts + dur;
        n++;
    }
    cJSON_Delete(j);
    ck_assert(n > 100);
    ck_assert_int_eq(overlaps, 0);
    ck_assert_int_ge(lanes, 1); /* the driver's weight_load and matmul overlap */

    /* messages: an arrow from the sender's track to the receiver's per message, with its bytes */
    const char *mdb = path("m.db");
    rc = run(out, sizeof out,
             "%s run configs/chip.yaml --workload gpt2 --seq 16 --trace-messages --trace %s", prism,
             mdb);
    ck_assert_msg(rc == 0, "%s", out);
    double msgs = q1(mdb, "SELECT SUM(messages) FROM links");
    ck_assert(q1(mdb, "SELECT SUM(bytes) FROM events WHERE kind = 2") ==
              q1(mdb, "SELECT SUM(bytes) FROM links"));
    rc = run(out, sizeof out, "%s export %s --perfetto %s", prism, mdb, path("m.json"));
    ck_assert_msg(rc == 0, "%s", out);
    text = slurp(path("m.json"));
    j = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(j);
    int starts = 0, ends = 0, cross = 0, delivered_bytes = 0;
    static int start_tid[1 << 16];
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "traceEvents"))
    {
        const char *ph = cJSON_GetObjectItem(e, "ph")->valuestring;
        cJSON *id = cJSON_GetObjectItem(e, "id");
        int tid = cJSON_GetObjectItem(e, "tid")->valueint;
        if (!strcmp(ph, "s") && id->valueint < (1 << 16)) {
            starts++;
            start_tid[id->valueint] = tid;
        } else if (!strcmp(ph, "f") && id->valueint < (1 << 16)) {
            ends++;
            cross += start_tid[id->valueint] != tid;
        } else if (!strcmp(ph, "i") &&
                   !strcmp(cJSON_GetObjectItem(e, "cat")->valuestring, "message")) {
            delivered_bytes +=
                cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "bytes")->valueint;
        }
    }
    cJSON_Delete(j);
    ck_assert_int_eq(starts, (int)msgs);
    ck_assert_int_eq(ends, (int)msgs);
    ck_assert_int_eq(cross, (int)msgs);
    ck_assert_int_eq(delivered_bytes,
                     (int)q1(mdb, "SELECT SUM(bytes) FROM links")); /* 48 B each, not 0 */
}
END_TEST

/* Busy time is the union of a component's activities: three overlapping
 * activities on one component over [0, 0.8 E) of a run of length E, and a
 * network packet row (a flight, not the component's work) spanning 50 E,
 * give 0.8 E of busy time, windows at exactly 100 % or 0 %, and no packet
 * time in the activities or tier views (the old views summed the
 * overlaps: 1.1 E, and the packet made it 4,328 in a window of make demo). */
START_TEST(overlapping_activities_count_once)
{
    SKIP_WITHOUT_PRISM();
    char out[65536];
    write_file(path("net.yaml"), NET);
    char db[512];
    snprintf(db, sizeof db, "%s", path("o.db"));
    int rc = run(out, sizeof out, "%s run %s --trace %s", prism, path("net.yaml"), db);
    ck_assert_msg(rc == 0, "%s", out);
    double e = q1(db, "SELECT end_time_ps FROM runs");
    ck_assert(e >= 1000);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    char sql[1024];
    long long E = (long long)e - (long long)e % 100; /* windows of whole picoseconds */
    snprintf(sql, sizeof sql,
             "UPDATE runs SET end_time_ps = %lld;"
             "INSERT INTO components(comp_id, name, model) VALUES(900, 'probe', 'test');"
             "INSERT INTO ops(op, name) VALUES(900, 'probe.op'), (901, 'noc.packet');"
             "INSERT INTO events VALUES(0, 900, 0, 900, %lld, 0, 1, 0),"
             " (%lld, 900, 0, 900, %lld, 0, 1, 0), (%lld, 900, 0, 900, %lld, 0, 1, 0),"
             " (0, 900, 0, 901, %lld, 64, 0, 0);",
             E, E * 6 / 10, E * 2 / 10, E * 3 / 10, E * 4 / 10, E * 4 / 10, E * 50);
    ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(h));
    sqlite3_close(h);
    const char *probe = "FROM utilization_windows WHERE component = 'probe'";
    char q[256];
    snprintf(q, sizeof q, "SELECT SUM(busy_ps) %s", probe);
    double busy = q1(db, q);
    ck_assert_msg(fabs(busy - 0.8 * (double)E) <= 1e-6 * (double)E, "busy %g of %lld", busy, E);
    snprintf(q, sizeof q, "SELECT MAX(utilization) %s", probe);
    ck_assert_double_eq_tol(q1(db, q), 1.0, 1e-9);
    snprintf(q, sizeof q, "SELECT count(*) %s AND abs(utilization - 1) < 1e-9", probe);
    ck_assert_double_eq(q1(db, q), 80);
    snprintf(q, sizeof q, "SELECT count(*) %s AND utilization = 0", probe);
    ck_assert_double_eq(q1(db, q), 20);
    ck_assert_double_eq(q1(db, "SELECT MAX(utilization) FROM utilization_windows"), 1.0);
    /* the activities view: the union, and no packet rows */
    ck_assert_double_eq(q1(db, "SELECT SUM(busy_ps) FROM activities WHERE comp_id = 900"),
                        (double)(E * 8 / 10));
    ck_assert_double_eq(q1(db, "SELECT count(*) FROM activities WHERE op = 901"), 0);
    ck_assert_double_eq(q1(db, "SELECT count(*) FROM packet_latency WHERE latency_ps > 0"), 1);
}
END_TEST

START_TEST(json_outputs_parse_and_say_when_cut)
{
    SKIP_WITHOUT_PRISM();
    char out[1 << 16];
    static char big[1 << 21];
    ck_assert_int_eq(run_out(big, sizeof big, "%s models --json", prism), 0);
    cJSON *j = cJSON_Parse(big);
    ck_assert_ptr_nonnull(j);
    ck_assert(cJSON_GetArraySize(j) > 10);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "params"));
    cJSON_Delete(j);
    ck_assert_int_eq(run_out(out, sizeof out, "%s version --json", prism), 0);
    j = cJSON_Parse(out);
    ck_assert_ptr_nonnull(j);
    ck_assert(cJSON_IsString(cJSON_GetObjectItem(j, "version")));
    cJSON_Delete(j);
    /* report --json: all links unless --top cuts them, and then it says so */
    write_file(path("net.yaml"), NET);
    ck_assert_int_eq(
        run(out, sizeof out, "%s run %s --trace %s", prism, path("net.yaml"), path("r.db")), 0);
    ck_assert_int_eq(run_out(out, sizeof out, "%s report %s --json", prism, path("r.db")), 0);
    j = cJSON_Parse(out);
    ck_assert_ptr_nonnull(j);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "links_truncated")));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "links")), 1);
    cJSON_Delete(j);
    ck_assert_int_eq(run_out(out, sizeof out, "%s report %s --json --top 0", prism, path("r.db")),
                     0);
    write_file(path("two.yaml"),
               "clocks:\n  core: 1GHz\ncomponents:\n"
               "  g0: {model: traffic_gen, clock: core, rate: 0.2, dests: 1, packets: 50}\n"
               "  g1: {model: traffic_gen, clock: core, rate: 0.2, dests: 1, packets: 50}\n"
               "  k0: {model: sink}\n  k1: {model: sink}\n"
               "links:\n  - {from: g0.out, to: k0.in, latency: 2ns}\n  - {from: g1.out, to: k1.in, "
               "latency: 2ns}\n");
    ck_assert_int_eq(
        run(out, sizeof out, "%s run %s --trace %s", prism, path("two.yaml"), path("t.db")), 0);
    ck_assert_int_eq(run_out(out, sizeof out, "%s report %s --json --top 1", prism, path("t.db")),
                     0);
    j = cJSON_Parse(out);
    ck_assert_ptr_nonnull(j);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "links_truncated")));
    ck_assert(cJSON_GetObjectItem(j, "links_total")->valuedouble == 2);
    cJSON_Delete(j);
}
END_TEST

/* the file is a PNG (signature) or an SVG (an <svg root) and not empty */
static void assert_image(const char *p, int png)
{
    FILE *f = fopen(p, "rb");
    ck_assert_msg(f != NULL, "%s missing", p);
    unsigned char head[512] = {0};
    size_t n = fread(head, 1, sizeof head - 1, f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ck_assert_msg(size > 1000, "%s: only %ld bytes", p, size);
    if (png)
        ck_assert_msg(n >= 8 && !memcmp(head, "\x89PNG\r\n\x1a\n", 8), "%s is not a PNG", p);
    else
        ck_assert_msg(strstr((const char *)head, "<svg"), "%s has no <svg root", p);
}

START_TEST(sweep_runs_the_product)
{
    SKIP_WITHOUT_PRISM();
    write_file(path("net.yaml"), NET);
    char out[65536];
    int rc =
        run_out(out, sizeof out,
                "cd %s && %s sweep net.yaml --set g0.rate=0.1,0.2 --set 'links.latency=2ns,7ns' "
                "-o s.csv --plot s.png --trace tr --progress 2>err.txt",
                dir, prism);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    char *csv = slurp(path("s.csv"));
    ck_assert_msg(!strncmp(csv,
                           "point,g0.rate,links.latency,status,end_time_ps,energy_pj,events,wall_s,"
                           "g0.busy_ps,g0.energy_pj,k0.busy_ps,k0.energy_pj,trace,message\n",
                           120),
                  "%s", csv);
    ck_assert_int_eq(lines(csv), 5);
    /* each row is the run prism run --set gives */
    static const char *pts[4][2] = {{"0.1", "2ns"}, {"0.1", "7ns"}, {"0.2", "2ns"}, {"0.2", "7ns"}};
    const char *row = strchr(csv, '\n') + 1;
    for (int i = 0; i < 4; i++) {
        char want[256], args[128];
        snprintf(args, sizeof args, "--set g0.rate=%s,links.latency=%s", pts[i][0], pts[i][1]);
        snprintf(want, sizeof want, "%d,%s,%s,complete,%.0f,", i, pts[i][0], pts[i][1],
                 end_ps("%s %s", path("net.yaml"), args));
        ck_assert_msg(!strncmp(row, want, strlen(want)), "row %d: %.80s, want %s", i, row, want);
        char db[64];
        snprintf(db, sizeof db, "tr/point-%03d.db", i);
        ck_assert_msg(strstr(row, db), "row %d names no trace", i);
        row = strchr(row, '\n') + 1;
    }
    free(csv);
    assert_image(path("s.png"), 1);
    char *err = slurp(path("err.txt"));
    ck_assert_msg(strstr(err, "100.0%") && strstr(err, "4/4 points"), "progress: %s", err);
    free(err);
    /* JSON, and an SVG plot */
    rc = run_out(out, sizeof out,
                 "cd %s && %s sweep net.yaml --set g0.rate=0.1,0.2,0.3 --json --plot s.svg", dir,
                 prism);
    ck_assert_int_eq(rc, 0);
    cJSON *j = cJSON_Parse(out);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(cJSON_GetArraySize(j), 3);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 2), "g0.rate")->valuestring, "0.3");
    ck_assert(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 2), "end_time_ps")->valuedouble > 0);
    cJSON_Delete(j);
    assert_image(path("s.svg"), 0);
    /* traces exist: --force to replace */
    EXPECT_RUN(2, "--force", out, "cd %s && %s sweep net.yaml --set g0.rate=0.1,0.2 --trace tr",
               dir, prism);
    /* a bad value stops the sweep before any run, naming the point and the override */
    rc = run(out, sizeof out, "cd %s && %s sweep net.yaml --set g0.rate=0.1,7 -o bad.csv", dir,
             prism);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(out, "point 1: --set g0.rate=7: component 'g0': parameter 'rate'"), "%s",
                  out);
    ck_assert_int_ne(access(path("bad.csv"), F_OK), 0);
    EXPECT_RUN(2, "gnuplot is not installed", out,
               "cd %s && PATH=/nonexistent %s sweep net.yaml --set g0.rate=0.1 --plot x.png", dir,
               prism);
    ck_assert_int_eq(lines(out), 1);
    EXPECT_RUN(2, "at least one --set", out, "%s sweep %s", prism, path("net.yaml"));
}
END_TEST

/* Issue 22, finding 4: 16 keys x 16 values is 2^64 points, which wrapped to 0
 * and ran nothing ("(no rows)", exit 0): the count saturates and is refused. */
START_TEST(sweep_point_count_does_not_wrap)
{
    SKIP_WITHOUT_PRISM();
    write_file(path("net.yaml"), NET);
    char out[65536], args[4096] = "";
    size_t len = 0;
    for (int k = 0; k < 16; k++)
        len += (size_t)snprintf(args + len, sizeof args - len,
                                " --set g0.p%d=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", k);
    EXPECT_RUN(2, "over 2^64 points is more than 4096", out,
               "cd %s && timeout 10 %s sweep net.yaml%s", dir, prism, args);
    ck_assert_int_eq(lines(out), 1);
    /* 2^12 x 2 = 8192 fits size_t: counted and refused as before */
    args[0] = '\0';
    len = 0;
    for (int k = 0; k < 13; k++)
        len += (size_t)snprintf(args + len, sizeof args - len, " --set g0.p%d=1,2", k);
    EXPECT_RUN(2, "8192 points is more than 4096", out, "cd %s && timeout 10 %s sweep net.yaml%s",
               dir, prism, args);
}
END_TEST

/* Issue 22, finding 8: a seed is decimal everywhere. The config's seed and
 * prism run --seed read 0x10 as 16 (and 010 as 8) while op, noc and pi2
 * refused it; now all refuse hex and read 010 as ten. */
START_TEST(seeds_are_decimal_everywhere)
{
    SKIP_WITHOUT_PRISM();
    write_file(path("net.yaml"), NET);
    char out[65536], hex[4096];
    snprintf(hex, sizeof hex, "seed: 0x10\n%s", strchr(NET, '\n') + 1); /* NET's seed: 5 replaced */
    write_file(path("hex.yaml"), hex);
    EXPECT_RUN(2, "field 'seed' must be a non-negative decimal integer", out, "%s run %s", prism,
               path("hex.yaml"));
    EXPECT_RUN(2, "field 'seed' must be a non-negative decimal integer", out,
               "%s run %s --set seed=0x10", prism, path("net.yaml"));
    EXPECT_RUN(2, "--seed '0x10' is not a non-negative decimal integer", out,
               "%s run %s --seed 0x10", prism, path("net.yaml"));
    EXPECT_RUN(2, "is not a non-negative decimal integer", out,
               "%s run %s --seed 99999999999999999999", prism, path("net.yaml"));
    EXPECT_RUN(2, "--seed '0x10' is not an integer", out,
               "%s op --device sram --read 8 --seed 0x10", prism);
    EXPECT_RUN(2, "--set seed: '0x10' is not an integer", out, "%s noc --set seed=0x10", prism);
    /* 010 is ten, as --seed 10 */
    ck_assert_double_eq(end_ps("%s %s", path("net.yaml"), "--seed 010"),
                        end_ps("%s %s", path("net.yaml"), "--seed 10"));
}
END_TEST

START_TEST(plot_draws_each_picture)
{
    SKIP_WITHOUT_PRISM();
    if (!have_repo())
        return;
    char out[65536];
    char db[512];
    snprintf(db, sizeof db, "%s", path("g.db"));
    int rc = run(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --seq 64 --trace %s",
                 prism, db);
    ck_assert_msg(rc == 0, "%s", out);
    static const char *kinds[] = {"--utilization", "--energy", "--timeline"};
    for (int k = 0; k < 3; k++)
        for (int png = 0; png < 2; png++) {
            char img[64];
            snprintf(img, sizeof img, "p%d.%s", k, png ? "png" : "svg");
            rc = run(out, sizeof out, "%s plot %s %s -o %s", prism, db, kinds[k], path(img));
            ck_assert_msg(rc == 0, "%s: %s", kinds[k], out);
            assert_image(path(img), png);
        }
    EXPECT_RUN(2, "gnuplot is not installed", out, "PATH=/nonexistent %s plot %s --energy -o %s",
               prism, db, path("x.png"));
    ck_assert_int_eq(lines(out), 1);
    EXPECT_RUN(2, "must end in .png or .svg", out, "%s plot %s --energy -o %s", prism, db,
               path("x.gif"));
    rc = run(out, sizeof out, "%s plot %s -o %s", prism, db, path("x.png"));
    ck_assert_int_eq(rc, 2);
    rc = run(out, sizeof out, "%s plot %s --energy -o %s", prism, path("none.db"), path("x.png"));
    ck_assert_int_eq(rc, 2);
    ck_assert_int_eq(lines(out), 1);
}
END_TEST

/* Many series stay readable: 12 busy components are drawn as one strip
 * each (a heat map bounded by 100 %, idle components left out and counted
 * in the title), and 30 components with energy as the 23 largest bars and
 * one bar of the rest, so the names under the bars do not collide. */
START_TEST(plot_many_series_stay_readable)
{
    SKIP_WITHOUT_PRISM();
    char out[65536];
    write_file(path("net.yaml"), NET);
    char db[512];
    snprintf(db, sizeof db, "%s", path("m.db"));
    int rc = run(out, sizeof out, "%s run %s --trace %s", prism, path("net.yaml"), db);
    ck_assert_msg(rc == 0, "%s", out);
    long long e = (long long)q1(db, "SELECT end_time_ps FROM runs");
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h,
                                  "INSERT INTO ops(op, name) VALUES(900, 'probe.op');"
                                  "INSERT INTO components(comp_id, name, model)"
                                  " VALUES(999, 'idle_probe', 'test')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (int i = 0; i < 30; i++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "INSERT INTO components(comp_id, name, model) VALUES(%d, 'probe%d', 'test');"
                 "INSERT INTO stats VALUES(%d, 'energy.mac', 'energy', 'pJ', %d),"
                 " (%d, 'energy.sram', 'energy', 'pJ', %d);"
                 "INSERT INTO events SELECT 0, %d, 0, 900, %lld, 0, 1, 0 WHERE %d < 12;"
                 "INSERT INTO events SELECT %lld, %d, 0, 900, %lld, 0, 1, 0 WHERE %d < 12;",
                 900 + i, i, 900 + i, 1000 + i, 900 + i, 500, 900 + i, e / 2, i, e / 4, 900 + i,
                 e / 2, i);
        ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(h));
    }
    sqlite3_close(h);
    rc = run(out, sizeof out, "%s plot %s --utilization -o %s", prism, db, path("u.svg"));
    ck_assert_msg(rc == 0, "%s", out);
    char *svg = slurp(path("u.svg"));
    ck_assert_ptr_nonnull(strstr(svg, "idle not shown"));
    ck_assert_ptr_nonnull(strstr(svg, ">probe11<"));
    ck_assert_ptr_null(strstr(svg, ">probe12<")); /* idle: not drawn */
    ck_assert_ptr_nonnull(strstr(svg, "<image")); /* strips, not 12 overlaid lines */
    ck_assert_ptr_null(strstr(svg, ">120<"));
    free(svg);
    rc = run(out, sizeof out, "%s plot %s --energy -o %s", prism, db, path("e.svg"));
    ck_assert_msg(rc == 0, "%s", out);
    svg = slurp(path("e.svg"));
    ck_assert_ptr_nonnull(strstr(svg, " others<"));
    ck_assert_ptr_nonnull(strstr(svg, ">probe29<")); /* the largest first */
    ck_assert_ptr_null(strstr(svg, ">probe0<"));
    free(svg);
}
END_TEST

/* prism map compare from another folder: the hybrid config found in the
 * data directory and its baselines beside it, progress on stderr, the table
 * as JSON on stdout, the plot folder created; a plot folder that cannot be
 * made and missing baselines are refused before any mapping starts. */
START_TEST(map_compare_from_anywhere)
{
    SKIP_WITHOUT_PRISM();
    if (!have_repo())
        return;
    char out[65536], d[512];
    snprintf(d, sizeof d, "%s", path(""));
    int rc = run_out(out, sizeof out,
                     "cd %s && %s map compare --workloads resnet18 --generations 1 --population 4"
                     " --json --plot-dir plots 2>err.txt",
                     d, prism);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    cJSON *j = cJSON_Parse(out);
    ck_assert_msg(cJSON_IsArray(j) && cJSON_GetArraySize(j) >= 4, "%s", out);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "latency_ms"));
    cJSON_Delete(j);
    ck_assert_int_eq(access(path("plots/resnet18-prefill.png"), R_OK), 0);
    char *err = slurp(path("err.txt"));
    ck_assert_ptr_nonnull(strstr(err, "[1/4] resnet18 prefill on "));
    ck_assert_ptr_nonnull(strstr(err, "[4/4]"));
    free(err);
    write_file(path("file"), "x");
    EXPECT_RUN(2, "--plot-dir", out, "%s map compare --plot-dir %s/sub", prism, path("file"));
    ck_assert_int_eq(lines(out), 1);
    rc = run(out, sizeof out, "cp configs/hybrid.yaml %s", path("h.yaml"));
    ck_assert_int_eq(rc, 0);
    EXPECT_RUN(2, "--digital CONFIG", out, "%s map compare --hybrid %s", prism, path("h.yaml"));
    ck_assert_int_eq(lines(out), 1);
    EXPECT_RUN(2, "--rram CONFIG", out,
               "%s map compare --hybrid %s --digital configs/all-digital.yaml", prism,
               path("h.yaml"));
}
END_TEST

/* Help and refusals a first-time user meets: prism map --help lists every
 * option, prism query --help names every table and view a trace can hold,
 * a config without area says why it is 0 mm2, a trace filter that names no
 * component or an empty window is refused, and prism chip match --json. */
START_TEST(help_lists_everything_and_empty_filters_are_refused)
{
    SKIP_WITHOUT_PRISM();
    if (!have_repo())
        return;
    char out[65536], help[16384];
    int rc = run(out, sizeof out, "%s map --help", prism);
    ck_assert_int_eq(rc, 0);
    static const char *const map_opts[] = {
        "--chip",       "--workload", "--quality", "--profile", "--objective", "--resident-weights",
        "--population", "--pareto",   "--plot",    "--json",    "map compare"};
    for (size_t i = 0; i < sizeof map_opts / sizeof map_opts[0]; i++)
        ck_assert_msg(strstr(out, map_opts[i]), "prism map --help lacks %s", map_opts[i]);
    ck_assert_int_eq(run(out, sizeof out, "%s map -h", prism), 0);
    /* every table and view of a trace of a schedule run is named in query --help */
    rc = run(help, sizeof help, "%s query --help", prism);
    ck_assert_int_eq(rc, 0);
    char db[512];
    snprintf(db, sizeof db, "%s", path("s.db"));
    rc = run(out, sizeof out,
             "%s map --chip configs/hybrid.yaml --workload tests/fixtures/tiny-gpt2 --population 4"
             " --generations 1 -o %s > /dev/null && %s run configs/hybrid.yaml --schedule %s"
             " --trace %s",
             prism, path("s.json"), prism, path("s.json"), db);
    ck_assert_msg(rc == 0, "%s", out);
    rc = run_out(out, sizeof out,
                 "%s query %s \"SELECT name FROM sqlite_master WHERE type IN"
                 " ('table', 'view')\" --csv",
                 prism, db);
    ck_assert_int_eq(rc, 0);
    int names = 0;
    for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (!strcmp(l, "name"))
            continue;
        char word[128];
        snprintf(word, sizeof word, "%s", l);
        ck_assert_msg(strstr(help, word), "prism query --help does not name %s", word);
        names++;
    }
    ck_assert_int_ge(names, 20);
    /* 0 mm2 with the reason */
    EXPECT_RUN(0, "none of its 9 components has an area model", out,
               "%s chip area configs/demo.yaml", prism);
    /* filters that would write nothing */
    EXPECT_RUN(2, "component 'foo' matches none", out,
               "%s run configs/demo.yaml --trace %s --force --trace-filter component=foo", prism,
               path("f.db"));
    ck_assert_int_eq(lines(out), 1);
    EXPECT_RUN(2, "is not before to", out,
               "%s run configs/demo.yaml --trace %s --force --trace-filter from=20us,to=10us",
               prism, path("f.db"));
    ck_assert_int_eq(lines(out), 1);
    /* chip match --json */
    rc = run_out(out, sizeof out, "%s chip match configs/hybrid.yaml --tier rram -o %s --json",
                 prism, path("r.yaml"));
    ck_assert_msg(rc == 0, "%s", out);
    cJSON *j = cJSON_Parse(out);
    ck_assert_ptr_nonnull(j);
    ck_assert(cJSON_GetObjectItem(j, "units")->valuedouble >= 1);
    ck_assert(fabs(cJSON_GetObjectItem(j, "difference_pct")->valuedouble) < 5);
    cJSON_Delete(j);
}
END_TEST

/* make demo says what matters in under 60 lines and ends with where to look
 * next (here on a 16-token prompt, the demo's own script); the per-layer
 * latency view it prints spans each layer from first issue to last end. */
START_TEST(demo_is_short_and_ends_with_next_steps)
{
    SKIP_WITHOUT_PRISM();
    if (!have_repo() || access("scripts/demo.sh", R_OK) != 0)
        return;
    char out[65536], db[512];
    snprintf(db, sizeof db, "%s", path("demo.db"));
    int rc = run(out, sizeof out, "DEMO_SEQ=16 DEMO_DB=%s DEMO_SCHEDULE=%s bash scripts/demo.sh %s",
                 db, path("demo.json"), prism);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_msg(lines(out) < 60, "%d lines:\n%s", lines(out), out);
    ck_assert_ptr_nonnull(strstr(out, "idle_units"));
    ck_assert_ptr_nonnull(strstr(out, "rram_xbar"));
    const char *next = strstr(out, "\nNext:\n");
    ck_assert_ptr_nonnull(next);
    ck_assert_ptr_nonnull(strstr(next, "report"));
    /* layer_latency against schedule_entries, layer 0 */
    ck_assert_double_eq(q1(db, "SELECT span_ps FROM layer_latency WHERE layer = 0"),
                        q1(db, "SELECT MAX(done_ps) - MIN(issue_ps) FROM schedule_entries"
                               " WHERE layer = 0"));
    ck_assert(q1(db, "SELECT count(*) FROM layer_latency WHERE layer IS NOT NULL") == 12);
    /* the report: top rows, the idle units as one count per model, each layer's latency */
    rc = run_out(out, sizeof out, "%s report %s", prism, db);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_msg(lines(out) < 80, "%d lines:\n%s", lines(out), out);
    const char *idle = strstr(out, "idle (no busy time, event or energy): ");
    ck_assert_msg(idle && strstr(idle, " rram_xbar"), "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "more active components: --top N or --all"));
    ck_assert_ptr_nonnull(strstr(out, "latency per layer"));
    rc = run_out(out, sizeof out, "%s report %s --all", prism, db);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_null(strstr(out, "idle (no busy time"));
    ck_assert_ptr_nonnull(strstr(out, "\nxb30 "));
    /* a schedule run over the network: no unit above 100 %, no packet in a unit's busy time */
    ck_assert(q1(db, "SELECT MAX(utilization) FROM utilization_windows") <= 1.0);
    ck_assert(q1(db, "SELECT count(*) FROM packet_latency") > 0);
    ck_assert(q1(db, "SELECT count(*) FROM activities a JOIN ops o USING(op)"
                     " WHERE o.name = 'noc.packet'") == 0);
}
END_TEST

/* The hybrid chip given a workload: its driver needs a mapping, so the run
 * maps it with prism map's defaults (saying so in one line) and completes;
 * prism map takes --set like prism run, and a bad key is refused. */
START_TEST(hybrid_chip_takes_a_workload_and_map_takes_set)
{
    SKIP_WITHOUT_PRISM();
    if (!have_repo())
        return;
    char out[65536];
    const char *w = "gpt2:layers=1,vocab=1024";
    int rc =
        run(out, sizeof out, "%s run configs/hybrid.yaml --workload %s --seq 8 --json", prism, w);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "needs a mapping"));
    ck_assert_ptr_nonnull(strstr(out, "\"complete\""));
    rc = run_out(out, sizeof out,
                 "%s map --chip configs/hybrid.yaml --workload %s --seq 8 --population 4"
                 " --generations 1 --set sa0.rows=64 --json",
                 prism, w);
    ck_assert_msg(rc == 0, "%s", out);
    EXPECT_RUN(2, "nosuch", out,
               "%s map --chip configs/hybrid.yaml --workload %s --seq 8 --set nosuch.rows=64",
               prism, w);
    /* a sweep of that chip maps every point (it failed at each one) */
    rc = run_out(out, sizeof out,
                 "%s sweep configs/hybrid.yaml --set sa0.rows=32,64 --workload %s --seq 8 --json",
                 prism, w);
    ck_assert_msg(rc == 0, "%s", out);
    const char *first = strstr(out, "\"complete\"");
    ck_assert_msg(first && strstr(first + 1, "\"complete\""), "%s", out);
}
END_TEST

/* issue 22, finding 1: a trace whose component and category names hold
 * gnuplot commands (a line that ends the data block, a quote that ends the
 * string, a backquote) is drawn, and none of the commands runs. */
static void rename_all(const char *db, const char *sql, const char *payload)
{
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(h));
    sqlite3_bind_text(st, 1, payload, -1, SQLITE_TRANSIENT);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

START_TEST(plot_never_runs_a_name_from_the_trace)
{
    SKIP_WITHOUT_PRISM();
    if (!have_repo())
        return;
    char out[65536], db[512], payload[1024];
    snprintf(db, sizeof db, "%s", path("h.db"));
    int rc = run(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --seq 64 --trace %s",
                 prism, db);
    ck_assert_msg(rc == 0, "%s", out);
    /* every name gets a distinct tail so names stay unique */
    snprintf(payload, sizeof payload,
             "\nEOD\nsystem \"touch %s\"\n!touch %s\nx = \"`touch %s`\" . '\n' . \"",
             path("pwned-eod"), path("pwned-bang"), path("pwned-bq"));
    rename_all(db, "UPDATE components SET name = name || ?1", payload);
    snprintf(payload, sizeof payload, "' . system(\"touch %s\") . '\" . system(\"touch %s\") . \"",
             path("pwned-sq"), path("pwned-dq"));
    rename_all(db, "UPDATE components SET name = ?1 || name", payload);
    snprintf(payload, sizeof payload, "\nEOD\nsystem \"touch %s\"\n", path("pwned-cat"));
    rename_all(db, "UPDATE stats SET name = name || ?1 WHERE name LIKE 'energy.%'", payload);
    static const char *kinds[] = {"--utilization", "--energy", "--timeline"};
    static const char *files[] = {"pwned-eod", "pwned-bang", "pwned-bq",
                                  "pwned-sq",  "pwned-dq",   "pwned-cat"};
    for (int k = 0; k < 3; k++) {
        char img[64];
        snprintf(img, sizeof img, "h%d.svg", k);
        rc = run(out, sizeof out, "%s plot %s %s -o %s", prism, db, kinds[k], path(img));
        ck_assert_msg(rc == 0, "%s: %s", kinds[k], out);
        assert_image(path(img), 0);
        for (size_t i = 0; i < sizeof files / sizeof *files; i++)
            ck_assert_msg(access(path(files[i]), F_OK) != 0, "%s: a name ran a command (%s)",
                          kinds[k], files[i]);
    }
    /* the other pictures quote their output name too (pi2 scale wrote it raw
     * into 'set output', map and map profile passed it through a shell) */
    char img[1024];
    snprintf(img, sizeof img, "%s/q'; system('touch pwned-out'); x='.png", dir);
    rc = run(out, sizeof out, "cd %s && %s pi2 scale --plot \"%s\"", dir, prism, img);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_msg(access(path("pwned-out"), F_OK) != 0, "pi2 scale --plot ran a command");
    ck_assert_int_eq(access(img, F_OK), 0);
}
END_TEST

START_TEST(workload_dtype_follows_the_chip)
{
    SKIP_WITHOUT_PRISM();
    if (!have_repo())
        return;
    static const struct {
        const char *args, *dtype;
    } cases[] = {
        {"", "\"dtype\":\"i8\""}, /* chip.yaml: the array's word_bytes is 1 */
        {"--dtype i8", "\"dtype\":\"i8\""},
        {"--dtype f32", "\"dtype\":\"f32\""},
        {"--set sa.word_bytes=4", "\"dtype\":\"f32\""},
        {"--set sa.word_bytes=2", "\"dtype\":\"f16\""},
    };
    double energy[5];
    char out[65536];
    for (int i = 0; i < 5; i++) {
        int rc =
            run_out(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --seq 64 --json %s",
                    prism, cases[i].args);
        ck_assert_msg(rc == 0, "%s: %s", cases[i].args, out);
        ck_assert_msg(strstr(out, cases[i].dtype), "%s: want %s in %s", cases[i].args,
                      cases[i].dtype, out);
        energy[i] = json_num(out, "energy_pj");
    }
    ck_assert(energy[0] == energy[1]); /* the default is i8, the same run */
    ck_assert(energy[2] > energy[0]);  /* f32 weights move 4x the bytes */
    ck_assert_int_eq(
        run_out(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --seq 64", prism), 0);
    ck_assert_ptr_nonnull(strstr(out, "workload     gpt2 (i8: sa.word_bytes = 1)"));
}
END_TEST

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

START_TEST(capacity_checked_before_the_run_and_errors_said_once)
{
    SKIP_WITHOUT_PRISM();
    if (!have_repo())
        return;
    char out[65536];
    /* seq 1024 in f32: the QKV split writes 9 MiB into the 8 MiB buffer */
    int rc = run(out, sizeof out, "%s run configs/chip.yaml --workload gpt2 --seq 1024 --dtype f32",
                 prism);
    ck_assert_msg(rc == 2, "exit %d: %s", rc, out);
    ck_assert_msg(
        strstr(out,
               "write of 9437184 bytes at 0 overflows unit 'sram' (sram 'buf', 8388608 bytes)"),
        "%s", out);
    ck_assert_int_eq(lines(out), 1); /* before the run: no summary, said once */
    ck_assert_ptr_null(strstr(out, "status"));
    /* a larger buffer runs */
    rc = run(out, sizeof out,
             "%s run configs/chip.yaml --workload gpt2 --seq 1024 --dtype f32 --set "
             "buf.size_bytes=16777216",
             prism);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    /* a failure during the run is said once */
    write_file(path("fail.yaml"), FAIL_YAML);
    rc = run(out, sizeof out, "%s run %s", prism, path("fail.yaml"));
    ck_assert_int_eq(rc, 1);
    ck_assert_int_eq(count(out, "exceeded endurance 2"), 1);
}
END_TEST

START_TEST(progress_shows_percent_and_eta_when_the_end_is_known)
{
    SKIP_WITHOUT_PRISM();
    write_file(path("net.yaml"), NET);
    char out[65536];
    /* the end time comes from --set until (the config's own field works the same) */
    int rc = run_out(out, sizeof out, "%s run %s --set until=2us --progress 2>&1 >/dev/null", prism,
                     path("net.yaml"));
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(out, "100.0%") && strstr(out, "ETA"), "%s", out);
    /* without an end time: simulated time and events, no made-up percent */
    rc = run_out(out, sizeof out, "%s run %s --progress 2>&1 >/dev/null", prism, path("net.yaml"));
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(!strstr(out, "%") && strstr(out, "events"), "%s", out);
    /* a workload: the end is its schedule's last op */
    if (!have_repo())
        return;
    rc = run_out(out, sizeof out,
                 "%s run configs/chip.yaml --workload gpt2 --seq 16 --progress 2>&1 >/dev/null",
                 prism);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(out, "100.0%") && strstr(out, "ops") && strstr(out, "ETA"), "%s", out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ux");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, set_overrides_like_file_values);
    tcase_add_test(tc, set_on_the_chip);
    tcase_add_test(tc, exit_codes_and_one_line_errors);
    tcase_add_test(tc, trace_needs_force_to_replace);
    tcase_add_test(tc, run_json_and_summary_tell_the_truth);
    tcase_add_test(tc, merge_keys_and_include);
    tcase_add_test(tc, views_split_windows_and_name_the_energy_gap);
    tcase_add_test(tc, overlapping_activities_count_once);
    tcase_add_test(tc, json_outputs_parse_and_say_when_cut);
    tcase_add_test(tc, sweep_runs_the_product);
    tcase_add_test(tc, sweep_point_count_does_not_wrap);
    tcase_add_test(tc, seeds_are_decimal_everywhere);
    tcase_add_test(tc, plot_draws_each_picture);
    tcase_add_test(tc, plot_many_series_stay_readable);
    tcase_add_test(tc, map_compare_from_anywhere);
    tcase_add_test(tc, help_lists_everything_and_empty_filters_are_refused);
    tcase_add_test(tc, demo_is_short_and_ends_with_next_steps);
    tcase_add_test(tc, hybrid_chip_takes_a_workload_and_map_takes_set);
    tcase_add_test(tc, plot_never_runs_a_name_from_the_trace);
    tcase_add_test(tc, workload_dtype_follows_the_chip);
    tcase_add_test(tc, capacity_checked_before_the_run_and_errors_said_once);
    tcase_add_test(tc, progress_shows_percent_and_eta_when_the_end_is_known);
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
