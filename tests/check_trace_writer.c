/* Tests of the trace writer's staging images (sim/trace_image.c): rows
 * copied in from an image give the same database, byte for byte, as the same
 * rows bound one by one with sqlite3_bind_* (the writer's fallback and its
 * earlier only path); and a traced run's events table has every row, in
 * order, with rowids 1..N, whatever the batch size. */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "noc/noc.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "sim/trace_image.h"

static const char *EVENTS =
    "CREATE TABLE events(time_ps INTEGER, comp_id INTEGER, kind INTEGER, op INTEGER,"
    " duration_ps INTEGER, bytes INTEGER, energy_pj REAL, op_id INTEGER)";

static sqlite3 *fresh_db(void)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA page_size=65536", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, EVENTS, NULL, NULL, NULL), SQLITE_OK);
    return db;
}

/* the binding of sim/trace.c's fallback path */
static void insert_bound(sqlite3 *db, const sim_trace_row_t *r, size_t n)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO events VALUES(?,?,?,?,?,?,?,?)", -1, &st,
                                        NULL),
                     SQLITE_OK);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)r[i].time_ps);
        sqlite3_bind_int(st, 2, (int)r[i].comp);
        sqlite3_bind_int(st, 3, r[i].kind);
        sqlite3_bind_int(st, 4, r[i].op);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)r[i].duration_ps);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)r[i].bytes);
        sqlite3_bind_double(st, 7, r[i].energy_pj);
        if (r[i].op_id)
            sqlite3_bind_int64(st, 8, (sqlite3_int64)r[i].op_id);
        else
            sqlite3_bind_null(st, 8);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_finalize(st);
}

static void insert_image(sqlite3 *db, const sim_trace_row_t *r, size_t n)
{
    trace_image_t img = {0};
    ck_assert_int_eq(sqlite3_exec(db, "ATTACH ':memory:' AS stage", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (size_t i = 0; i < n; i += TRACE_IMAGE_MAX_ROWS) {
        size_t m = n - i < TRACE_IMAGE_MAX_ROWS ? n - i : TRACE_IMAGE_MAX_ROWS;
        ck_assert_int_eq(trace_image_build(&img, r + i, m, (int64_t)i + 1, EVENTS), 0);
        ck_assert_int_eq(sqlite3_deserialize(db, "stage", img.buf, (sqlite3_int64)img.size,
                                             (sqlite3_int64)img.cap, SQLITE_DESERIALIZE_READONLY),
                         SQLITE_OK);
        char *msg = NULL;
        int rc = sqlite3_exec(db, "INSERT INTO main.events SELECT * FROM stage.events", NULL, NULL,
                              &msg);
        ck_assert_msg(rc == SQLITE_OK, "%s", msg ? msg : "?");
        /* the image is read by SQLite in place: let go of it before it is rebuilt */
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    ck_assert_int_eq(sqlite3_exec(db, "DETACH stage", NULL, NULL, NULL), SQLITE_OK);
    trace_image_free(&img);
}

/* Both ways into fresh databases; their files must be identical. */
static void assert_same_database(const sim_trace_row_t *r, size_t n)
{
    sqlite3 *a = fresh_db(), *b = fresh_db();
    insert_bound(a, r, n);
    insert_image(b, r, n);
    sqlite3_int64 na = 0, nb = 0;
    unsigned char *fa = sqlite3_serialize(a, "main", &na, 0), *fb = sqlite3_serialize(b, "main", &nb, 0);
    ck_assert_ptr_nonnull(fa);
    ck_assert_ptr_nonnull(fb);
    ck_assert_int_eq(na, nb);
    /* the header's change counter and version-valid-for count write
     * transactions, which differ with the number of images: compare the rest */
    memset(fa + 24, 0, 4);
    memset(fb + 24, 0, 4);
    memset(fa + 92, 0, 4);
    memset(fb + 92, 0, 4);
    ck_assert_msg(memcmp(fa, fb, (size_t)na) == 0, "database files differ (%lld rows)", (long long)n);
    sqlite3_free(fa);
    sqlite3_free(fb);
    sqlite3_close(a);
    sqlite3_close(b);
}

START_TEST(image_rows_are_the_bound_rows_byte_for_byte)
{
    /* every serial type: integers at each size boundary, 0 and 1 (no body),
     * negatives, reals with and without a fractional part, -0, NaN (NULL),
     * infinities, a real past int64, NULL and 64-bit op ids */
    static const int64_t ints[] = {0, 1, 2, 127, 128, -1, -128, -129, 32767, 32768, 8388607,
                                   8388608, 2147483647, 2147483648ll, 140737488355327ll,
                                   140737488355328ll, INT64_MAX, INT64_MIN};
    static const double reals[] = {0.0, -0.0, 1.0, 2.5, -3.0, 1e300, 9223372036854775808.0,
                                   -9223372036854775808.0, 4503599627370497.0, 0.1, NAN, INFINITY,
                                   -INFINITY, 65536.0};
    size_t ni = sizeof ints / sizeof ints[0], nr = sizeof reals / sizeof reals[0];
    size_t n = ni * nr;
    sim_trace_row_t *r = calloc(n, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        int64_t v = ints[i % ni];
        r[i].time_ps = (sim_time_t)v;
        r[i].comp = (uint32_t)(i * 7919u);
        r[i].op = (uint16_t)(i % 3 ? i : 65535);
        r[i].kind = (uint16_t)(i % 3);
        r[i].duration_ps = (sim_time_t)ints[(i + 3) % ni];
        r[i].bytes = (uint64_t)ints[(i + 5) % ni];
        r[i].energy_pj = reals[i / ni];
        r[i].op_id = i % 4 ? (uint64_t)ints[(i + 7) % ni] : 0;
    }
    assert_same_database(r, n);
    free(r);
}
END_TEST

START_TEST(images_of_many_leaves_and_several_images)
{
    /* wide rows (9-byte rowids do not occur, but 8-byte values do) fill a
     * leaf with fewer cells; 150,000 rows take three images */
    size_t n = 150000;
    sim_trace_row_t *r = calloc(n, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        r[i].time_ps = (sim_time_t)i * 1000003u + (i % 5 ? 0 : (1ull << 62));
        r[i].comp = (uint32_t)(i % 4099);
        r[i].kind = (uint16_t)(i % 3);
        r[i].op = (uint16_t)(i % 17);
        r[i].duration_ps = i % 11;
        r[i].bytes = i % 2 ? 64 : UINT64_MAX;
        r[i].energy_pj = i % 3 ? 0.25 * (double)i : (double)i;
        r[i].op_id = i % 2 ? (uint64_t)i << 33 : 0;
    }
    assert_same_database(r, n);
    /* one image of exactly the maximum, and one row */
    assert_same_database(r, TRACE_IMAGE_MAX_ROWS);
    assert_same_database(r, 1);
    trace_image_t img = {0};
    ck_assert_int_eq(trace_image_build(&img, r, 0, 1, EVENTS), -1);
    ck_assert_int_eq(trace_image_build(&img, r, TRACE_IMAGE_MAX_ROWS + 1, 1, EVENTS), -1);
    trace_image_free(&img);
    free(r);
}
END_TEST

static const char *CONFIG = "seed: 3\nuntil: 20us\nclocks: {core: 1GHz}\ncomponents:\n"
                            "  g0: {model: traffic_gen, clock: core, rate: 0.3, dests: 2}\n"
                            "  g1: {model: traffic_gen, clock: core, rate: 0.3, dests: 2}\n"
                            "  k0: {model: sink}\n  k1: {model: sink}\n"
                            "  sw: {model: switch, clock: core, outputs: 2, queue_depth: 16}\n"
                            "links:\n"
                            "  - {from: g0.out, to: sw.in0, latency: 1ns, bandwidth: 64GB/s}\n"
                            "  - {from: g1.out, to: sw.in1, latency: 1ns, bandwidth: 64GB/s}\n"
                            "  - {from: sw.out0, to: k0.in, latency: 1ns, bandwidth: 64GB/s}\n"
                            "  - {from: sw.out1, to: k1.in, latency: 1ns, bandwidth: 64GB/s}\n";

static char *traced_run(const char *db, size_t batch, uint64_t *rows)
{
    char err[512];
    sim_t *s = NULL;
    ck_assert_msg(sim_config_load_string(CONFIG, "t", NULL, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(sim_init(s), 0);
    trace_t *t = NULL;
    trace_opts_t o = {NULL, 1, batch, 0};
    ck_assert_int_eq(trace_open(&t, db, &o, err, sizeof err), 0);
    trace_run_info_t info = {"t", CONFIG, NULL, "check_trace_writer"};
    ck_assert_int_eq(trace_begin_run(t, s, &info), 0);
    sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    sim_finish(s);
    ck_assert_int_eq(trace_end_run(t, s, "complete", NULL, 0), 0);
    *rows = trace_rows(t);
    ck_assert_double_ge(trace_writer_cpu_s(t), 0);
    trace_close(t);
    sim_destroy(s);
    /* the rows in rowid order, as text */
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(h,
                                        "SELECT rowid, time_ps, comp_id, kind, op, duration_ps,"
                                        " bytes, energy_pj, op_id FROM events ORDER BY rowid",
                                        -1, &st, NULL),
                     SQLITE_OK);
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    int64_t expect = 1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        ck_assert_int_eq(sqlite3_column_int64(st, 0), expect++);
        for (int c = 1; c < 9; c++) {
            const char *v = (const char *)sqlite3_column_text(st, c);
            size_t l = strlen(v ? v : "-") + 1;
            if (len + l + 1 > cap)
                out = realloc(out, cap *= 2);
            len += (size_t)sprintf(out + len, "%s%c", v ? v : "-", c == 8 ? '\n' : '|');
        }
    }
    sqlite3_finalize(st);
    ck_assert_int_eq(expect - 1, (int64_t)*rows);
    ck_assert_int_eq(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(h);
    return out;
}

START_TEST(traced_run_has_every_row_in_order_whatever_the_batch)
{
    char db[64];
    snprintf(db, sizeof db, "/tmp/prism-tw-%d.db", (int)getpid());
    uint64_t n1, n2, n3;
    char *a = traced_run(db, 97, &n1);         /* many small images */
    char *b = traced_run(db, 0, &n2);          /* the default batch */
    char *c = traced_run(db, 100000, &n3);     /* batches of two images */
    ck_assert_uint_gt(n1, 1000);
    ck_assert_uint_eq(n1, n2);
    ck_assert_uint_eq(n1, n3);
    ck_assert_str_eq(a, b);
    ck_assert_str_eq(a, c);
    free(a);
    free(b);
    free(c);
    unlink(db);
}
END_TEST

static Suite *trace_writer_suite(void)
{
    Suite *s = suite_create("trace_writer");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, image_rows_are_the_bound_rows_byte_for_byte);
    tcase_add_test(tc, images_of_many_leaves_and_several_images);
    tcase_add_test(tc, traced_run_has_every_row_in_order_whatever_the_batch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    sim_register_builtin_models();
    noc_register_all();
    SRunner *sr = srunner_create(trace_writer_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
