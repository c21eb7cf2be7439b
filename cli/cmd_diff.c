/* `prism diff A.db B.db [--tolerance 1%]`: compares two runs (end time,
 * energy, events; per component busy time, energy by category and events;
 * per link busy time, messages and bytes) and says what moved. Exit status: 0 all within tolerance,
 * 1 something changed, 2 error. */
#include "cli/cli.h"
#include "cli/out.h"
#include "run/tools.h"
#include "sim/tracedb.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void diff_usage(FILE *f)
{
    fputs("usage: prism diff A.db B.db [--tolerance 1%|0.01] [--json] [--all]\n"
          "Compares two runs: end_time_ps, energy_pj and events_handled of the run, and\n"
          "per component (matched by name) busy_ps, energy_pj, events and energy by\n"
          "category (energy_pj.<category>), and per link (matched by src->dst) busy_ps,\n"
          "messages and bytes. Prints the parameters the two configurations set\n"
          "differently, then the metrics that moved beyond the tolerance (the run's\n"
          "first, then components and links by relative change), then a verdict.\n"
          "  --tolerance T  relative, as 1% or 0.01 (default 0: any change counts; a\n"
          "                 number without % is a fraction below 1)\n"
          "  --all          list every metric, not only the changed ones\n"
          "  --json         {\"changed\": bool, \"tolerance\": x, \"parameters\": [...],\n"
          "                 \"metrics\": [...]}\n"
          "Exit status: 0 same within tolerance, 1 changed, 2 error.\n",
          f);
}

static int diff_main(int argc, char **argv, FILE *out, FILE *err)
{
    const char *pa = NULL, *pb = NULL;
    int json = 0, all = 0;
    double tol = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            diff_usage(out);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--all")) {
            all = 1;
        } else if (!strcmp(a, "--tolerance") || !strncmp(a, "--tolerance=", 12)) {
            const char *v = a[11] == '=' ? a + 12 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || trace_parse_tolerance(v, &tol) != 0) {
                fprintf(err, "prism diff: --tolerance takes a relative amount >= 0, as 1%% or 0.01 (not '%s')\n",
                        v ? v : "");
                return 2;
            }
        } else if (a[0] == '-' && a[1] == '-') {
            return cli_usage_error_to(err, "diff", "unknown option '%s'", a);
        } else if (!pa) {
            pa = a;
        } else if (!pb) {
            pb = a;
        } else {
            fprintf(err, "prism diff: compares two trace databases (extra argument '%s')\n", a);
            return 2;
        }
    }
    if (!pa || !pb) {
        fprintf(err, "prism diff: needs two trace databases\n");
        diff_usage(err);
        return 2;
    }
    return run_diff(pa, pb, tol, json, all, out, err);
}

int cmd_diff(int argc, char **argv)
{
    return diff_main(argc, argv, stdout, stderr);
}
