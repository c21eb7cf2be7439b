/* `prism report RUN.db`: the summary a user wants first from a trace
 * database: run status, end time, events, wall time, then per component
 * busy time, utilization and energy, energy by category and the busiest
 * links. All figures are read from the run's ledger (docs/trace.md). */
#include "cli/cli.h"
#include "cli/out.h"
#include "sim/tracedb.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum { SORT_ENERGY, SORT_UTIL, SORT_BUSY, SORT_EVENTS, SORT_NAME } report_sort_t;

static void report_usage(FILE *f)
{
    fputs("usage: prism report RUN.db [--json] [--sort energy|util|busy|events|name] [--top N]\n"
          "Prints the summary of one run: status, config and seed, end time, events,\n"
          "wall time; per component its model, busy time, utilization, energy (pJ),\n"
          "events and power density (W/mm2: average power over the run / its area,\n"
          "units above the config's power_density_limit named); energy by category;\n"
          "the busiest links.\n"
          "  --json         one JSON object for scripts (utilization as a fraction)\n"
          "  --sort KEY     order of the components (default energy, largest first)\n"
          "  --top N        categories and links to list (default: 10 in the text, all\n"
          "                 in --json; 0 = all); a cut JSON list says *_truncated: true\n",
          f);
}

static double key_of(const trace_comp_summary_t *c, report_sort_t k)
{
    double v = k == SORT_ENERGY ? c->energy_pj
               : k == SORT_UTIL ? c->utilization
               : k == SORT_BUSY ? c->busy_ps
                                : c->events;
    return isnan(v) ? -INFINITY : v;
}

static int comp_cmp(const void *x, const void *y, void *ctx)
{
    const trace_comp_summary_t *a = x, *b = y;
    report_sort_t sort = *(const report_sort_t *)ctx;
    if (sort != SORT_NAME) {
        double ka = key_of(a, sort), kb = key_of(b, sort);
        if (ka != kb)
            return ka < kb ? 1 : -1;
    }
    return strcmp(a->name, b->name);
}

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *i64_or_null(int64_t v)
{
    return v >= 0 ? cJSON_CreateNumber((double)v) : cJSON_CreateNull();
}

static const char *cat_label(const char *name)
{
    return strncmp(name, "energy.", 7) ? name : name + 7;
}

static int report_json(const char *path, const trace_summary_t *s, size_t top, FILE *out)
{
    const trace_run_t *r = &s->run;
    cJSON *root = cJSON_CreateObject(), *run = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "file", cJSON_CreateString(path));
    cJSON_AddItemToObject(root, "run", run);
    cJSON_AddItemToObject(run, "run_id", cJSON_CreateNumber((double)r->run_id));
    cJSON_AddItemToObject(run, "status", cJSON_CreateString(r->status));
    cJSON_AddItemToObject(run, "complete", cJSON_CreateBool(!strcmp(r->status, "complete")));
    cJSON_AddItemToObject(run, "status_text", cJSON_CreateString(trace_run_status_text(r)));
    cJSON_AddItemToObject(run, "message", str_or_null(r->message));
    cJSON_AddItemToObject(run, "config_path", str_or_null(r->config_path));
    cJSON_AddItemToObject(run, "config_hash", str_or_null(r->config_hash));
    if (!r->has_seed) {
        cJSON_AddItemToObject(run, "seed", cJSON_CreateNull());
    } else if (r->seed <= (1ull << 53)) {
        cJSON_AddItemToObject(run, "seed", cJSON_CreateNumber((double)r->seed));
    } else { /* beyond a double's integers: keep every digit as a string */
        char buf[32];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)r->seed);
        cJSON_AddItemToObject(run, "seed", cJSON_CreateString(buf));
    }
    cJSON_AddItemToObject(run, "workload", str_or_null(r->workload));
    cJSON_AddItemToObject(run, "prism_version", str_or_null(r->prism_version));
    cJSON_AddItemToObject(run, "git_commit", str_or_null(r->git_commit));
    cJSON_AddItemToObject(run, "start_wall", str_or_null(r->start_wall));
    cJSON_AddItemToObject(run, "end_wall", str_or_null(r->end_wall));
    cJSON_AddItemToObject(run, "end_time_ps", i64_or_null(r->end_time_ps));
    cJSON_AddItemToObject(run, "events_handled", i64_or_null(r->events_handled));
    cJSON_AddItemToObject(run, "trace_rows", i64_or_null(r->trace_rows));
    cJSON_AddItemToObject(run, "wall_s", num_or_null(r->wall_s));
    cJSON_AddItemToObject(root, "energy_pj", cJSON_CreateNumber(s->energy_pj));
    cJSON_AddItemToObject(root, "power_density_limit_w_mm2", num_or_null(s->power_density_limit));
    cJSON_AddItemToObject(root, "power_density_over_limit",
                          cJSON_CreateNumber((double)s->over_limit));

    cJSON *comps = cJSON_CreateArray();
    cJSON_AddItemToObject(root, "components", comps);
    for (size_t i = 0; i < s->ncomps; i++) {
        const trace_comp_summary_t *c = &s->comps[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(comps, o);
        cJSON_AddItemToObject(o, "name", cJSON_CreateString(c->name));
        cJSON_AddItemToObject(o, "model", str_or_null(c->model));
        cJSON_AddItemToObject(o, "clock", str_or_null(c->clock));
        cJSON_AddItemToObject(o, "busy_ps", num_or_null(c->busy_ps));
        cJSON_AddItemToObject(o, "utilization", num_or_null(c->utilization));
        cJSON_AddItemToObject(o, "energy_pj", num_or_null(c->energy_pj));
        cJSON_AddItemToObject(o, "energy_share",
                              num_or_null(s->energy_pj > 0 ? c->energy_pj / s->energy_pj : NAN));
        cJSON_AddItemToObject(o, "events", num_or_null(c->events));
        cJSON_AddItemToObject(o, "area_mm2", num_or_null(c->area_mm2));
        cJSON_AddItemToObject(o, "w_per_mm2", num_or_null(c->w_per_mm2));
        cJSON *cats = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "energy_pj_by_category", cats);
        for (size_t k = 0; k < c->ncats; k++)
            cJSON_AddItemToObject(cats, cat_label(c->cats[k].name),
                                  num_or_null(c->cats[k].energy_pj));
    }
    cJSON *cats = cJSON_CreateArray();
    cJSON_AddItemToObject(root, "energy_categories", cats);
    for (size_t k = 0; k < s->ncats && (!top || k < top); k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(cats, o);
        cJSON_AddItemToObject(o, "category", cJSON_CreateString(cat_label(s->cats[k].name)));
        cJSON_AddItemToObject(o, "energy_pj", num_or_null(s->cats[k].energy_pj));
        cJSON_AddItemToObject(
            o, "share", num_or_null(s->energy_pj > 0 ? s->cats[k].energy_pj / s->energy_pj : NAN));
    }
    /* a cut list says so: how many it holds of how many */
    cJSON_AddItemToObject(root, "energy_categories_truncated",
                          cJSON_CreateBool(top && s->ncats > top));
    cJSON_AddItemToObject(root, "energy_categories_total", cJSON_CreateNumber((double)s->ncats));
    cJSON *links = cJSON_CreateArray();
    cJSON_AddItemToObject(root, "links", links);
    for (size_t k = 0; k < s->nlinks && (!top || k < top); k++) {
        const trace_link_summary_t *l = &s->links[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(links, o);
        cJSON_AddItemToObject(o, "src", str_or_null(l->src));
        cJSON_AddItemToObject(o, "dst", str_or_null(l->dst));
        cJSON_AddItemToObject(o, "latency_ps", num_or_null(l->latency_ps));
        cJSON_AddItemToObject(o, "bandwidth_gbps", num_or_null(l->bandwidth_gbps));
        cJSON_AddItemToObject(o, "messages", num_or_null(l->messages));
        cJSON_AddItemToObject(o, "bytes", num_or_null(l->bytes));
        cJSON_AddItemToObject(o, "busy_ps", num_or_null(l->busy_ps));
        cJSON_AddItemToObject(o, "utilization", num_or_null(l->utilization));
    }
    cJSON_AddItemToObject(root, "links_truncated", cJSON_CreateBool(top && s->nlinks > top));
    cJSON_AddItemToObject(root, "links_total", cJSON_CreateNumber((double)s->nlinks));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return -1;
    fputs(text, out);
    fputc('\n', out);
    free(text);
    return 0;
}

/* One line on power density (W/mm2: a unit's average power over the run
 * over its own area): the highest, and the units above the run's limit. */
static void report_power_density(const trace_summary_t *s, FILE *out)
{
    const trace_comp_summary_t *top = NULL;
    for (size_t i = 0; i < s->ncomps; i++)
        if (!isnan(s->comps[i].w_per_mm2) && (!top || s->comps[i].w_per_mm2 > top->w_per_mm2))
            top = &s->comps[i];
    if (!top)
        return;
    fprintf(out, "  power density: highest %.3g W/mm2 (%s)", top->w_per_mm2, top->name);
    if (isnan(s->power_density_limit)) {
        fputc('\n', out);
        return;
    }
    fprintf(out, ", limit %g W/mm2 (power_density_limit)", s->power_density_limit);
    if (s->over_limit) {
        fprintf(out, ": %zu unit%s above it:", s->over_limit, s->over_limit == 1 ? "" : "s");
        for (size_t i = 0; i < s->ncomps; i++)
            if (s->comps[i].w_per_mm2 > s->power_density_limit)
                fprintf(out, " %s %.3g", s->comps[i].name, s->comps[i].w_per_mm2);
    }
    fputc('\n', out);
}

static void report_text(const char *path, const trace_summary_t *s, report_sort_t sort, size_t top,
                        FILE *out)
{
    const trace_run_t *r = &s->run;
    char h1[64], h2[64];
    fprintf(out, "%s: run %lld, %s", path, (long long)r->run_id, trace_run_status_text(r));
    if (r->message && *r->message)
        fprintf(out, " (%s)", r->message);
    fputc('\n', out);
    fprintf(out, "  config       %s", r->config_path ? r->config_path : "-");
    if (r->config_hash)
        fprintf(out, "  (hash %s)", r->config_hash);
    fputc('\n', out);
    if (r->workload)
        fprintf(out, "  workload     %s\n", r->workload);
    if (r->has_seed)
        fprintf(out, "  seed         %llu\n", (unsigned long long)r->seed);
    if (r->end_time_ps >= 0) {
        out_human_ps(h1, sizeof h1, (double)r->end_time_ps);
        fprintf(out, "  end time     %lld ps (%s)%s\n", (long long)r->end_time_ps, h1,
                strcmp(r->status, "complete") ? ", where the run stopped" : "");
    } else {
        fprintf(out, "  end time     unknown (the run did not record it)\n");
    }
    if (r->events_handled >= 0) {
        fprintf(out, "  events       %lld handled", (long long)r->events_handled);
        if (r->trace_rows >= 0)
            fprintf(out, ", %lld trace rows", (long long)r->trace_rows);
        fputc('\n', out);
    }
    if (isfinite(r->wall_s)) {
        char hw[32];
        out_human_s(hw, sizeof hw, r->wall_s);
        fprintf(out, "  wall time    %s", hw);
        if (r->events_handled > 0 && r->wall_s > 0)
            fprintf(out, " (%.3g events/s)", (double)r->events_handled / r->wall_s);
        fputc('\n', out);
    }
    out_human_pj(h2, sizeof h2, s->energy_pj);
    fprintf(out, "  energy       %.1f pJ (%s) over %zu components\n", s->energy_pj, h2, s->ncomps);

    static const char *const sort_names[] = {"energy", "utilization", "busy time", "events",
                                             "name"};
    fprintf(out, "\ncomponents (by %s)\n", sort_names[sort]);
    out_t *o = out_create(out, OUT_TABLE, 0);
    if (!o)
        return;
    out_set_null_text(o, "-");
    const char *cols[] = {"name",     "model",  "busy_ps", "util_%", "energy_pj",
                          "energy_%", "events", "W/mm2"};
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
        out_column(o, cols[i]);
    for (size_t i = 0; i < s->ncomps; i++) {
        const trace_comp_summary_t *c = &s->comps[i];
        out_text(o, c->name);
        out_text(o, c->model ? c->model : "-");
        out_real(o, c->busy_ps);
        out_fixed(o, 100.0 * c->utilization, 1);
        out_fixed(o, c->energy_pj, 1);
        out_fixed(o, s->energy_pj > 0 ? 100.0 * c->energy_pj / s->energy_pj : NAN, 1);
        out_real(o, c->events);
        out_fixed(o, c->w_per_mm2, 3);
    }
    out_text(o, "total");
    out_null(o);
    out_null(o);
    out_null(o);
    out_fixed(o, s->energy_pj, 1);
    out_fixed(o, s->energy_pj > 0 ? 100.0 : NAN, 1);
    out_null(o);
    out_null(o);
    out_finish(o);
    report_power_density(s, out);

    if (s->ncats) {
        fprintf(out, "\nenergy by category%s\n", top && s->ncats > top ? " (top)" : "");
        o = out_create(out, OUT_TABLE, top);
        if (!o)
            return;
        out_column(o, "category");
        out_column(o, "energy_pj");
        out_column(o, "share_%");
        for (size_t k = 0; k < s->ncats; k++) {
            out_text(o, cat_label(s->cats[k].name));
            out_fixed(o, s->cats[k].energy_pj, 1);
            out_fixed(o, s->energy_pj > 0 ? 100.0 * s->cats[k].energy_pj / s->energy_pj : NAN, 1);
        }
        out_finish(o);
    }
    if (s->nlinks) {
        fprintf(out, "\nbusiest links\n");
        o = out_create(out, OUT_TABLE, top);
        if (!o)
            return;
        out_set_null_text(o, "-");
        const char *lcols[] = {"link", "messages", "bytes", "busy_ps", "util_%", "latency_ps"};
        for (size_t i = 0; i < sizeof lcols / sizeof *lcols; i++)
            out_column(o, lcols[i]);
        for (size_t k = 0; k < s->nlinks; k++) {
            const trace_link_summary_t *l = &s->links[k];
            char name[512];
            snprintf(name, sizeof name, "%s -> %s", l->src ? l->src : "?", l->dst ? l->dst : "?");
            out_text(o, name);
            out_real(o, l->messages);
            out_real(o, l->bytes);
            out_real(o, l->busy_ps);
            out_fixed(o, 100.0 * l->utilization, 1);
            out_real(o, l->latency_ps);
        }
        out_finish(o);
    }
}

static int report_main(int argc, char **argv, FILE *out, FILE *err)
{
    const char *path = NULL;
    int json = 0;
    report_sort_t sort = SORT_ENERGY;
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
                sort = SORT_ENERGY;
            else if (!strcmp(k, "util") || !strcmp(k, "utilization"))
                sort = SORT_UTIL;
            else if (!strcmp(k, "busy"))
                sort = SORT_BUSY;
            else if (!strcmp(k, "events"))
                sort = SORT_EVENTS;
            else if (!strcmp(k, "name"))
                sort = SORT_NAME;
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
    trace_db_t *db = NULL;
    trace_summary_t s;
    if (trace_db_open(&db, path) != 0 || trace_db_summary(db, &s) != 0) {
        fprintf(err, "prism report: %s\n", trace_db_errmsg(db));
        trace_db_close(db);
        return 2;
    }
    trace_db_close(db);
    if (s.ncomps)
        qsort_r(s.comps, s.ncomps, sizeof *s.comps, comp_cmp, &sort);
    int rc = 0;
    if (json)
        rc = report_json(path, &s, top_given ? top : 0, out);
    else
        report_text(path, &s, sort, top, out);
    trace_summary_free(&s);
    if (rc != 0 || fflush(out) != 0 || ferror(out)) {
        fprintf(err, "prism report: writing the report failed\n");
        return 2;
    }
    return 0;
}

int cmd_report(int argc, char **argv)
{
    return report_main(argc, argv, stdout, stderr);
}
