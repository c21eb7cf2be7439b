/* `prism report RUN.db`: the summary a user wants first from a trace
 * database: run status, end time, events, wall time, then per component
 * busy time, utilization and energy, energy by category and the busiest
 * links. All figures are read from the run's ledger (docs/trace.md). */
#include "cli/cli.h"
#include "cli/out.h"
#include "run/tools.h"
#include "sim/tracedb.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


static void report_usage(FILE *f)
{
    fputs("usage: prism report RUN.db [--json] [--sort energy|util|busy|events|name] [--top N]\n"
          "Prints the summary of one run: status, config and seed, end time, events,\n"
          "wall time; per component its model, busy time, utilization, energy (pJ),\n"
          "events and power density (W/mm2: average power over the run / its area,\n"
          "units above the config's power_density_limit named); energy by category;\n"
          "the busiest links; for a schedule run, the latency of each layer.\n"
          "  --json         one JSON object for scripts (utilization as a fraction)\n"
          "  --sort KEY     order of the components (default energy, largest first)\n"
          "  --top N        components, categories, links and layers to list (default: 10\n"
          "                 in the text, idle components folded into one count per model;\n"
          "                 all in --json; 0 = all); a cut JSON list says *_truncated: true\n"
          "  --all          every row (--top 0)\n",
          f);
}

static int report_main(int argc, char **argv, FILE *out, FILE *err)
{
    const char *path = NULL;
    int json = 0;
    run_report_sort_t sort = RUN_SORT_ENERGY;
    size_t top = 10;
    int top_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            report_usage(out);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--sort")) {
            const char *k = i + 1 < argc ? argv[++i] : "";
            if (!strcmp(k, "energy"))
                sort = RUN_SORT_ENERGY;
            else if (!strcmp(k, "util") || !strcmp(k, "utilization"))
                sort = RUN_SORT_UTIL;
            else if (!strcmp(k, "busy"))
                sort = RUN_SORT_BUSY;
            else if (!strcmp(k, "events"))
                sort = RUN_SORT_EVENTS;
            else if (!strcmp(k, "name"))
                sort = RUN_SORT_NAME;
            else {
                fprintf(
                    err,
                    "prism report: --sort takes energy, util, busy, events or name (not '%s')\n",
                    k);
                return 2;
            }
        } else if (!strcmp(a, "--top")) {
            uint64_t n;
            if (cli_count_arg(err, "report", a, i + 1 < argc ? argv[i + 1] : NULL, &n))
                return 2;
            top = (size_t)n;
            top_given = 1;
            i++;
        } else if (!strcmp(a, "--all")) {
            top = 0;
            top_given = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            return cli_usage_error_to(err, "report", "unknown option '%s'", a);
        } else if (!path) {
            path = a;
        } else {
            fprintf(err, "prism report: one trace database at a time (extra argument '%s')\n", a);
            return 2;
        }
    }
    if (!path) {
        fprintf(err, "prism report: needs a trace database\n");
        report_usage(err);
        return 2;
    }
    return run_report(path, sort, top, top_given, json, out, err);
}

int cmd_report(int argc, char **argv)
{
    return report_main(argc, argv, stdout, stderr);
}
