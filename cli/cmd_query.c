/* `prism query RUN.db "SQL"`: one SQL statement on a trace database (opened
 * read-only, schema in docs/trace.md), printed as a table, CSV or JSON.
 * Exit status: 0 ok, 2 bad arguments, unreadable file or bad SQL. */
#include "cli/cli.h"
#include "cli/out.h"
#include "run/tools.h"
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
    run_query_opts_t qo = {fmt, max_rows, max_rows_set, timeout_s};
    return run_query(path, sql, &qo, out, err);
}

int cmd_query(int argc, char **argv)
{
    return query_main(argc, argv, stdout, stderr);
}
