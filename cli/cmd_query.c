/* `prism query RUN.db "SQL"`: one SQL statement on a trace database (opened
 * read-only, schema in docs/trace.md), printed as a table, CSV or JSON.
 * Exit status: 0 ok, 2 bad arguments, unreadable file or bad SQL. */
#include "cli/cli.h"
#include "cli/out.h"
#include "sim/tracedb.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void query_usage(FILE *f)
{
    fputs("usage: prism query RUN.db \"SQL\" [--csv | --json] [--max-rows N] [--timeout S]\n"
          "Runs one SQL statement on a trace database (opened read-only) and prints\n"
          "the result as an aligned table (default), CSV with a header (--csv), or a\n"
          "JSON array of objects with numbers as numbers and NULL as null (--json).\n"
          "  --max-rows N   rows to print (table default 1000, 0 = all; CSV and JSON: all\n"
          "                 unless given); the query stops stepping there\n"
          "  --timeout S    stop the query after S seconds of wall time (exit 1)\n"
          "Tables: runs, components, links, clocks, ops, kinds, events, stats, limits.\n"
          "Views: event_log, component_summary, activities, utilization_windows,\n"
          "packet_latency, busiest_links, energy_breakdown, energy_check, power_density,\n"
          "critical_path (docs/trace.md). A run of a schedule (--schedule) adds the\n"
          "tables workload_ops, unit_tiers, schedule_entries and the views tier_layer,\n"
          "layer_latency (docs/mapper.md).\n"
          "Example: prism query run.db \"SELECT name, utilization, energy_pj FROM "
          "component_summary ORDER BY energy_pj DESC\"\n",
          f);
}

/* SQLite calls this every few thousand virtual-machine steps; non-zero
 * interrupts the statement (--timeout). */
static int query_deadline(void *arg)
{
    const double *deadline = arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec > *deadline;
}

static int query_print(trace_db_t *db, const char *sql, out_format_t fmt, size_t max_rows,
                       int max_rows_set, double timeout_s, FILE *out, FILE *err)
{
    sqlite3_stmt *st = NULL;
    if (trace_db_prepare(db, sql, &st) != 0) {
        fprintf(err, "prism query: %s\n", trace_db_errmsg(db));
        return 2;
    }
    double deadline = 0;
    if (timeout_s > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        deadline = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec + timeout_s;
        sqlite3_progress_handler(trace_db_sqlite(db), 1000, query_deadline, &deadline);
    }
    /* rows to step through: the table's max_rows, CSV/JSON only when asked;
     * one more step tells whether more rows follow (an infinite recursive
     * CTE never ends otherwise) */
    size_t limit = fmt == OUT_TABLE || max_rows_set ? max_rows : 0;
    out_t *o = out_create(out, fmt, max_rows);
    if (!o) {
        sqlite3_finalize(st);
        fprintf(err, "prism query: out of memory\n");
        return 2;
    }
    int ncols = sqlite3_column_count(st);
    for (int i = 0; i < ncols; i++)
        out_column(o, sqlite3_column_name(st, i));
    int rc, stopped = 0;
    size_t rows = 0;
    while ((rc = trace_db_step(db, st)) == 1) {
        if (limit && rows == limit) {
            stopped = 1;
            out_rows_stopped(o);
            break;
        }
        rows++;
        for (int i = 0; i < ncols; i++) {
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_NULL: out_null(o); break;
            case SQLITE_INTEGER: out_int(o, sqlite3_column_int64(st, i)); break;
            case SQLITE_FLOAT: out_real(o, sqlite3_column_double(st, i)); break;
            case SQLITE_BLOB: {
                const unsigned char *b = sqlite3_column_blob(st, i);
                int n = sqlite3_column_bytes(st, i);
                char *hex = malloc(2 * (size_t)n + 4);
                if (!hex) {
                    out_null(o);
                    break;
                }
                char *p = hex;
                p += sprintf(p, "x'");
                for (int k = 0; k < n; k++)
                    p += sprintf(p, "%02x", b[k]);
                sprintf(p, "'");
                out_text(o, hex);
                free(hex);
                break;
            }
            default: out_text(o, (const char *)sqlite3_column_text(st, i)); break;
            }
        }
    }
    int interrupted = rc < 0 && sqlite3_errcode(trace_db_sqlite(db)) == SQLITE_INTERRUPT;
    sqlite3_finalize(st);
    sqlite3_progress_handler(trace_db_sqlite(db), 0, NULL, NULL);
    if (rc < 0) { /* the error comes after some rows: close what was printed, then fail */
        if (rows)
            out_finish(o);
        else /* nothing came: only the message, no "(no rows)" or empty result */
            out_discard(o);
        if (interrupted) {
            fprintf(err, "prism query: stopped by --timeout %g s after %zu row%s\n", timeout_s,
                    rows, rows == 1 ? "" : "s");
            return 1;
        }
        fprintf(err, "prism query: %s\n", trace_db_errmsg(db));
        return 2;
    }
    size_t cut = out_rows_cut(o);
    if (out_finish(o) != 0) {
        fprintf(err, "prism query: writing the result failed: %s\n", strerror(errno));
        return 2;
    }
    if (stopped)
        fprintf(err, "prism query: stopped after %zu rows at --max-rows %zu (more follow; "
                     "--max-rows 0 for all)\n",
                rows, max_rows);
    else if (cut)
        fprintf(err, "prism query: %zu row%s cut by --max-rows %zu (use --max-rows 0 or --csv for all)\n",
                cut, cut == 1 ? "" : "s", max_rows);
    return 0;
}

static int query_main(int argc, char **argv, FILE *out, FILE *err)
{
    const char *path = NULL, *sql = NULL;
    out_format_t fmt = OUT_TABLE;
    int csv_json = 0;
    size_t max_rows = 1000;
    int max_rows_set = 0;
    double timeout_s = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            query_usage(out);
            return 0;
        } else if (!strcmp(a, "--csv")) {
            fmt = OUT_CSV;
            csv_json |= 1;
        } else if (!strcmp(a, "--json")) {
            fmt = OUT_JSON;
            csv_json |= 2;
        } else if (!strcmp(a, "--max-rows")) {
            uint64_t n;
            if (cli_count_arg(err, "query", a, i + 1 < argc ? argv[i + 1] : NULL, &n))
                return 2;
            max_rows = (size_t)n;
            max_rows_set = 1;
            i++;
        } else if (!strcmp(a, "--timeout")) {
            char *end = NULL;
            if (i + 1 >= argc || (timeout_s = strtod(argv[i + 1], &end), *end) ||
                !(timeout_s > 0) || !isfinite(timeout_s)) {
                fprintf(err, "prism query: --timeout needs a number of seconds > 0\n");
                return 2;
            }
            i++;
        } else if (a[0] == '-' && a[1] == '-') {
            return cli_usage_error_to(err, "query", "unknown option '%s'", a);
        } else if (!path) {
            path = a;
        } else if (!sql) {
            sql = a;
        } else {
            fprintf(err, "prism query: give one SQL statement, in quotes (extra argument '%s')\n", a);
            return 2;
        }
    }
    if (csv_json == 3) {
        return cli_usage_error_to(err, "query", "--csv and --json together; choose one");
    }
    if (!path || !sql) {
        fprintf(err, "prism query: needs a trace database and an SQL statement\n");
        query_usage(err);
        return 2;
    }
    trace_db_t *db = NULL;
    if (trace_db_open(&db, path) != 0) {
        fprintf(err, "prism query: %s\n", trace_db_errmsg(db));
        trace_db_close(db);
        return 2;
    }
    int rc = query_print(db, sql, fmt, max_rows, max_rows_set, timeout_s, out, err);
    trace_db_close(db);
    return rc;
}

int cmd_query(int argc, char **argv)
{
    return query_main(argc, argv, stdout, stderr);
}
