/* Regression tests of issue 13's fuzzing campaign: inputs that hung, were
 * accepted although wrong, or lost data. Each test feeds the input that
 * misbehaved (small versions under tests/fixtures/audit/ where a file is
 * needed) and checks the one clear error, or that the command ends. The
 * tcase timeout turns a hang back into a failure. */
#include "noc/noc.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "num/num.h"
#include "workloads/wl.h"
#include "workloads/wl_forward.h"
#include "tests/check_cli.h"

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void setup(void) { cli_setup("check-audit"); }
static void teardown(void) { cli_teardown(); }

/* Load a config from text: the return code, the message in err. */
static int load(const char *text, char *err, size_t n)
{
    sim_t *s = NULL;
    int rc = sim_config_load_string(text, "t.yaml", NULL, &s, err, n);
    sim_destroy(s);
    return rc;
}

#define ASSERT_LOAD_FAILS(text, needle)                                                          \
    do {                                                                                         \
        char err_[1024] = "";                                                                    \
        ck_assert_int_ne(load(text, err_, sizeof err_), 0);                                      \
        ck_assert_msg(strstr(err_, needle), "message '%s' lacks '%s'", err_, needle);           \
    } while (0)

/* ---- the config loader --------------------------------------------------------------- */

/* 100,000 keys in one mapping with one repeat at the end: the pairwise check
 * took minutes; sorted, the repeat is found and named at once */
START_TEST(many_keys_duplicate_found_fast)
{
    size_t n = 100000, cap = n * 24 + 256;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    size_t len = (size_t)snprintf(text, cap, "clocks:\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "  c%zu: 1GHz\n", i);
    len += (size_t)snprintf(text + len, cap - len, "  c77: 2GHz\ncomponents: {}\n");
    char err[1024];
    ck_assert_int_ne(load(text, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "t.yaml:100002:3: field 'clocks.c77' given twice"), "%s", err);
    free(text);
    /* the first repeat in file order is the one named */
    ASSERT_LOAD_FAILS("components:\n  b: {model: sink}\n  a: {model: sink}\n  a: {model: sink}\n"
                      "  b: {model: sink}\n",
                      "t.yaml:4:3: field 'components.a' given twice");
}
END_TEST

/* 100,000 levels of flow nesting: quadratic in depth before (45,000 took
 * 10 s); now refused at level 65 */
START_TEST(deep_nesting_refused)
{
    size_t n = 100000;
    char *text = malloc(n + 32);
    ck_assert_ptr_nonnull(text);
    memcpy(text, "components: ", 12);
    memset(text + 12, '[', n);
    text[12 + n] = '\0';
    char err[1024];
    ck_assert_int_ne(load(text, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "nesting deeper than 64 levels"), "%s", err);
    free(text);
}
END_TEST

START_TEST(size_and_binary_files_refused)
{
    /* /dev/zero: refused at the first block, not read for ever */
    sim_t *s = NULL;
    char err[1024];
    ck_assert_int_ne(sim_config_load("/dev/zero", NULL, &s, NULL, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "NUL byte"), "%s", err);
    /* more than 16 MiB of text */
    const char *big = path("big.yaml");
    FILE *f = fopen(big, "w");
    ck_assert_ptr_nonnull(f);
    static char line[1024];
    memset(line, '#', sizeof line - 1);
    line[sizeof line - 2] = '\n';
    for (int i = 0; i < 17 * 1024; i++)
        fputs(line, f);
    fclose(f);
    ck_assert_int_ne(sim_config_load(big, NULL, &s, NULL, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "larger than 16 MiB"), "%s", err);
}
END_TEST

START_TEST(until_zero_and_tiny_times_refused)
{
    const char *base = "components: {k: {model: sink}}\n";
    char text[512];
    snprintf(text, sizeof text, "until: 0\n%s", base);
    ASSERT_LOAD_FAILS(text, "t.yaml:1:8: field 'until' is 0");
    snprintf(text, sizeof text, "until: 0us\n%s", base);
    ASSERT_LOAD_FAILS(text, "field 'until' is 0");
    snprintf(text, sizeof text, "until: 1e-300\n%s", base);
    ASSERT_LOAD_FAILS(text, "field 'until' must be a time");
    /* no limit is said explicitly */
    snprintf(text, sizeof text, "until: none\n%s", base);
    char err[512];
    ck_assert_int_eq(load(text, err, sizeof err), 0);
    sim_time_t t = 7;
    ck_assert_int_eq(sim_parse_until("none", &t), 0);
    ck_assert_uint_eq(t, 0);
    ck_assert_int_eq(sim_parse_until("0", &t), 1);
    ck_assert_int_eq(sim_parse_until("5ns", &t), 0);
    ck_assert_uint_eq(t, 5000);
    /* a latency of 1e-300 is not a 0 ps link (0.5 ps was already refused) */
    ck_assert_int_ne(sim_parse_time("1e-300", &t), 0);
    ck_assert_int_ne(sim_parse_time("0.5", &t), 0);
    ck_assert_int_eq(sim_parse_time("0", &t), 0);
    ASSERT_LOAD_FAILS("components: {a: {model: sink}, b: {model: sink}}\n"
                      "links: [{from: a.out, to: b.in, latency: 1e-300}]\n",
                      "field 'latency': '1e-300' is not a time");
}
END_TEST

START_TEST(seed_clock_and_documents)
{
    ASSERT_LOAD_FAILS("seed: \"\"\ncomponents: {k: {model: sink}}\n",
                      "field 'seed' must be a non-negative decimal integer");
    ASSERT_LOAD_FAILS("seed: ' 5'\ncomponents: {k: {model: sink}}\n",
                      "field 'seed' must be a non-negative decimal integer");
    /* 1e-8 Hz: a period of 1e20 ps does not fit the integer time (it ran as 1 THz) */
    ASSERT_LOAD_FAILS("clocks: {slow: 1e-8}\ncomponents: {k: {model: sink}}\n",
                      "frequency 1e-08 Hz is out of range");
    /* a second document is not ignored */
    ASSERT_LOAD_FAILS("components: {k: {model: sink}}\n---\ncomponents: {j: {model: sink}}\n",
                      "t.yaml:2:1: a second YAML document");
}
END_TEST

/* ---- the command line ---------------------------------------------------------------- */

START_TEST(cli_run_bounded_inputs)
{
    SKIP_WITHOUT_PRISM();
    char out[4096];
    ck_assert_int_eq(run(out, sizeof out, "%s run /dev/zero", prism), 2);
    ck_assert_msg(strstr(out, "NUL byte"), "%s", out);
    const char *cfg = path("k.yaml");
    write_file(cfg, "components: {k: {model: sink}}\n");
    ck_assert_int_eq(run(out, sizeof out, "%s run %s --until 0us", prism, cfg), 2);
    ck_assert_msg(strstr(out, "--until '0us' is 0"), "%s", out);
    ck_assert_int_eq(run(out, sizeof out, "%s run %s --until 0", prism, cfg), 2);
    ck_assert_int_eq(run(out, sizeof out, "%s run %s --until none", prism, cfg), 0);
}
END_TEST

/* a trace of tests/fixtures/audit/tiny.yaml (4 SRAM reads) */
static const char *tiny_trace(void)
{
    const char *db = path("tiny.db");
    char out[4096];
    ck_assert_int_eq(run(out, sizeof out, "%s run tests/fixtures/audit/tiny.yaml --trace %s",
                         prism, db),
                     0);
    return db;
}

START_TEST(cli_query_stops)
{
    SKIP_WITHOUT_PRISM();
    const char *db = tiny_trace();
    static char out[1 << 16];
    /* an infinite recursive CTE: --max-rows stops stepping */
    ck_assert_int_eq(run(out, sizeof out,
                         "%s query %s \"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 "
                         "FROM c) SELECT x FROM c\" --max-rows 5",
                         prism, db),
                     0);
    ck_assert_msg(strstr(out, "stopped after 5 rows at --max-rows 5"), "%s", out);
    /* ... and --timeout interrupts one that never yields a row */
    ck_assert_int_eq(run(out, sizeof out,
                         "%s query %s \"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 "
                         "FROM c) SELECT count(*) FROM c\" --timeout 0.2",
                         prism, db),
                     1);
    ck_assert_msg(strstr(out, "stopped by --timeout 0.2 s"), "%s", out);
    /* critical_path with text in a time column: ends (it looped for ever) */
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h,
                                  "UPDATE events SET time_ps = 'abc' WHERE rowid = (SELECT "
                                  "max(rowid) FROM events)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    ck_assert_int_eq(run(out, sizeof out, "%s query %s \"SELECT count(*) FROM critical_path\"",
                         prism, db),
                     0);
}
END_TEST

START_TEST(cli_sizes_bounded)
{
    SKIP_WITHOUT_PRISM();
    char out[4096];
    ck_assert_int_eq(run(out, sizeof out, "%s op --device sram --read 64 --count 1000000000",
                         prism),
                     2);
    ck_assert_msg(strstr(out, "--count '1000000000' is not a count in [1, 10000000]"), "%s", out);
    ck_assert_int_eq(run(out, sizeof out, "%s workload info gpt2:layers=1000000000", prism), 2);
    ck_assert_msg(strstr(out, "would build more than 1000000 ops"), "%s", out);
    ck_assert_int_eq(run(out, sizeof out, "%s workload info resnet18:classes=0", prism), 2);
    ck_assert_msg(strstr(out, "classes=0"), "%s", out);
    ck_assert_int_eq(run(out, sizeof out, "%s workload info resnet18:classes=10 --json", prism),
                     0);
}
END_TEST

/* an output that names an input is refused and the input is left as it was */
START_TEST(cli_outputs_never_overwrite_inputs)
{
    SKIP_WITHOUT_PRISM();
    const char *db = tiny_trace();
    char out[4096];
    ck_assert_int_eq(run(out, sizeof out, "%s export %s --perfetto %s", prism, db, db), 2);
    ck_assert_msg(strstr(out, "names the input trace"), "%s", out);
    /* the trace is still a trace */
    ck_assert_int_eq(run(out, sizeof out, "%s report %s", prism, db), 0);
    /* through another name of the same file */
    ck_assert_int_eq(run(out, sizeof out, "ln -s %s %s && %s export %s --perfetto %s", db,
                         path("alias.db"), prism, db, path("alias.db")),
                     2);
    /* run: --trace naming the config */
    const char *cfg = path("k.yaml");
    const char *text = "components: {k: {model: sink}}\n";
    write_file(cfg, text);
    ck_assert_int_eq(run(out, sizeof out, "%s run %s --trace %s", prism, cfg, cfg), 2);
    ck_assert_msg(strstr(out, "refusing to overwrite an input"), "%s", out);
    char back[256] = "";
    FILE *f = fopen(cfg, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(back, sizeof back, f));
    fclose(f);
    ck_assert_str_eq(back, text);
}
END_TEST

/* kill -9 during setup: the file prism created is either empty of tables
 * (killed between opening it and the first commit) or has its schema and
 * its running row (one transaction); the reader says which */
START_TEST(killed_during_setup_is_named)
{
    SKIP_WITHOUT_PRISM();
    char out[4096], err[512];
    /* a trace opened and dropped before its run began: what a kill in that
     * window leaves (there used to be a schema without a runs row) */
    const char *db = path("setup.db");
    trace_t *t = NULL;
    ck_assert_int_eq(trace_open(&t, db, NULL, err, sizeof err), 0);
    trace_close(t);
    ck_assert_int_eq(run(out, sizeof out, "%s report %s", prism, db), 2);
    ck_assert_msg(strstr(out, "killed before it started"), "%s", out);
    /* a zero-byte file */
    const char *zero = path("zero.db");
    write_file(zero, "");
    ck_assert_int_eq(run(out, sizeof out, "%s report %s", prism, zero), 2);
    ck_assert_msg(strstr(out, "killed before it started"), "%s", out);
}
END_TEST

/* one numbering of error codes (issue 13: sim.h, wl.h and wl_forward.h reused
 * -1..-6 for different meanings) */
_Static_assert((int)SIM_ERR_NOMEM == (int)WL_ERR_NOMEM && (int)WL_ERR_NOMEM == (int)WL_FWD_ENOMEM &&
                   (int)WL_FWD_ENOMEM == (int)NUM_ERR_NOMEM,
               "out of memory");
_Static_assert((int)SIM_ERR_CONFIG == (int)WL_ERR_ARG && (int)WL_ERR_ARG == (int)WL_FWD_EINVAL &&
                   (int)WL_FWD_EINVAL == (int)NUM_ERR_ARG,
               "bad argument");
_Static_assert((int)SIM_ERR_IO == (int)WL_ERR_IO && (int)WL_ERR_IO == (int)WL_FWD_EIO, "I/O");
_Static_assert((int)WL_ERR_FORMAT == (int)WL_FWD_EFORMAT && (int)WL_ERR_NOTFOUND == (int)WL_FWD_ENOTFOUND &&
                   (int)WL_ERR_EXEC == (int)WL_FWD_EEXEC,
               "format, not found, executor");
_Static_assert((int)SIM_ERR == (int)WL_ERR, "generic");

START_TEST(error_codes_one_numbering)
{
    /* every meaning has its own value */
    const int codes[] = {SIM_ERR,       SIM_ERR_NOMEM,   SIM_ERR_CONFIG,     SIM_ERR_IO,
                         WL_ERR_FORMAT, WL_ERR_UNSUPPORTED, WL_ERR_NOTFOUND, NUM_ERR_RANGE,
                         SIM_ERR_STATE, SIM_ERR_MODEL,   WL_ERR_EXEC};
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_lt(codes[i], 0);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(codes[i] != codes[j], "codes %zu and %zu share %d", i, j, codes[i]);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("bad_input");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, many_keys_duplicate_found_fast);
    tcase_add_test(tc, deep_nesting_refused);
    tcase_add_test(tc, size_and_binary_files_refused);
    tcase_add_test(tc, until_zero_and_tiny_times_refused);
    tcase_add_test(tc, seed_clock_and_documents);
    tcase_add_test(tc, cli_run_bounded_inputs);
    tcase_add_test(tc, cli_query_stops);
    tcase_add_test(tc, cli_sizes_bounded);
    tcase_add_test(tc, cli_outputs_never_overwrite_inputs);
    tcase_add_test(tc, killed_during_setup_is_named);
    tcase_add_test(tc, error_codes_one_numbering);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    sim_register_builtin_models();
    noc_register_all();
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
