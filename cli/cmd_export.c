/* `prism export RUN.db --perfetto out.json`: writes the run's events as
 * Chrome/Perfetto trace-event JSON (one thread per component) to look at a
 * run on a timeline. The JSON is streamed to a temporary file and renamed
 * into place, so a failed export leaves no half-written file behind. */
#include "cli/cli.h"
#include "cli/out.h"
#include "run/tools.h"
#include "sim/tracedb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void export_usage(FILE *f)
{
    fputs("usage: prism export RUN.db --perfetto OUT.json [--from T] [--to T] [--max-events N] "
          "[--json]\n"
          "Writes Chrome/Perfetto trace-event JSON: one process for the run, one thread\n"
          "per component, a slice per activity with a duration and an instant event\n"
          "for the others (args: bytes, energy_pj, op_id). Open it in the Perfetto UI\n"
          "or chrome://tracing. OUT.json '-' writes to standard output.\n"
          "  --from T, --to T  keep activities overlapping [from, to); T in ps, or with\n"
          "                    a unit: 250ns, 1.5us, 2ms, 1s\n"
          "  --max-events N    stop after N events (says so when rows were left)\n"
          "  --json            print what was written as JSON (counts, truncated)\n",
          f);
}

/* "1500", "1500ps", "1.5ns", "2us", "3ms", "1s" -> ps. Returns 0 or -1. */
static int export_parse_time(const char *s, uint64_t *ps)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0))
        return -1;
    double scale = 1;
    if (!*end || !strcmp(end, "ps"))
        scale = 1;
    else if (!strcmp(end, "ns"))
        scale = 1e3;
    else if (!strcmp(end, "us"))
        scale = 1e6;
    else if (!strcmp(end, "ms"))
        scale = 1e9;
    else if (!strcmp(end, "s"))
        scale = 1e12;
    else
        return -1;
    double t = v * scale;
    if (t >= 9.2e18)
        return -1;
    *ps = (uint64_t)(t + 0.5);
    return 0;
}

static int export_main(int argc, char **argv, FILE *out, FILE *err)
{
    const char *path = NULL, *dest = NULL;
    int json = 0;
    trace_export_opts_t opts = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            export_usage(out);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--perfetto")) {
            if (!val) {
                fprintf(err, "prism export: --perfetto needs an output file\n");
                return 2;
            }
            dest = val;
            i++;
        } else if (!strcmp(a, "--from") || !strcmp(a, "--to")) {
            uint64_t *t = a[2] == 'f' ? &opts.from_ps : &opts.to_ps;
            if (!val || export_parse_time(val, t) != 0) {
                fprintf(err, "prism export: %s needs a time in ps or with a unit (250ns, 1.5us)\n",
                        a);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--max-events")) {
            uint64_t n;
            if (cli_count_arg(err, "export", a, val, &n))
                return 2;
            opts.max_events = n;
            i++;
        } else if (a[0] == '-' && a[1] == '-') {
            return cli_usage_error_to(err, "export", "unknown option '%s'", a);
        } else if (!path) {
            path = a;
        } else {
            fprintf(err, "prism export: one trace database at a time (extra argument '%s')\n", a);
            return 2;
        }
    }
    if (!path || !dest) {
        fprintf(err, "prism export: needs a trace database and --perfetto OUT.json\n");
        export_usage(err);
        return 2;
    }
    if (strcmp(dest, "-") && cli_same_file(dest, path)) {
        fprintf(err,
                "prism export: --perfetto '%s' names the input trace: refusing to overwrite "
                "it\n",
                dest);
        return 2;
    }
    if (opts.to_ps && opts.to_ps <= opts.from_ps) {
        fprintf(err, "prism export: --to must be after --from\n");
        return 2;
    }
    return run_export(path, dest, &opts, json, out, err);
}

int cmd_export(int argc, char **argv)
{
    return export_main(argc, argv, stdout, stderr);
}
