/* `prism diff A.db B.db [--tolerance 1%]`: compares two runs (end time,
 * energy, events; per component busy time, energy by category and events;
 * per link busy time, messages and bytes) and says what moved. Exit status: 0 all within tolerance,
 * 1 something changed, 2 error. */
#include "cli/cli.h"
#include "cli/out.h"
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

static void fmt_rel(char *buf, size_t n, const trace_diff_metric_t *m)
{
    if (!m->in_a)
        snprintf(buf, n, "new");
    else if (!m->in_b)
        snprintf(buf, n, "gone");
    else if (isinf(m->rel))
        snprintf(buf, n, "%sinf", m->rel > 0 ? "+" : "-");
    else
        snprintf(buf, n, "%+.2f%%", 100.0 * m->rel);
}

static const char *metric_owner(const trace_diff_metric_t *m)
{
    return m->component ? m->component : "(run)";
}

static void fmt_tol(char *buf, size_t n, double tol)
{
    snprintf(buf, n, "%.6g%%", 100.0 * tol);
}

static int diff_json(const char *pa, const char *pb, const trace_diff_t *d, int all, FILE *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "a", cJSON_CreateString(pa));
    cJSON_AddItemToObject(root, "b", cJSON_CreateString(pb));
    cJSON_AddItemToObject(root, "changed", cJSON_CreateBool(d->nchanged > 0));
    cJSON_AddItemToObject(root, "tolerance", cJSON_CreateNumber(d->tolerance));
    cJSON_AddItemToObject(root, "metrics_compared", cJSON_CreateNumber((double)d->n));
    cJSON_AddItemToObject(root, "metrics_changed", cJSON_CreateNumber((double)d->nchanged));
    cJSON *arr = cJSON_CreateArray();
    cJSON_AddItemToObject(root, "metrics", arr);
    for (size_t i = 0; i < d->n; i++) {
        const trace_diff_metric_t *m = &d->m[i];
        if (!all && !m->changed)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        static const char *const scopes[] = {"run", "component", "link"};
        cJSON_AddItemToObject(o, "scope", cJSON_CreateString(scopes[m->scope]));
        cJSON_AddItemToObject(o, "component",
                              m->component ? cJSON_CreateString(m->component) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "metric", cJSON_CreateString(m->metric));
        cJSON_AddItemToObject(o, "a", m->in_a ? cJSON_CreateNumber(m->a) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "b", m->in_b ? cJSON_CreateNumber(m->b) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "delta", cJSON_CreateNumber(m->delta));
        /* an infinite relative change (0 -> x) has no JSON number: null */
        cJSON_AddItemToObject(o, "delta_rel",
                              isfinite(m->rel) ? cJSON_CreateNumber(m->rel) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "changed", cJSON_CreateBool(m->changed));
    }
    cJSON *pr = cJSON_CreateArray();
    cJSON_AddItemToObject(root, "parameters", pr);
    for (size_t i = 0; i < d->nparams; i++) {
        const trace_diff_param_t *p = &d->params[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(pr, o);
        cJSON_AddItemToObject(o, "component", cJSON_CreateString(p->component));
        cJSON_AddItemToObject(o, "name", cJSON_CreateString(p->name));
        cJSON_AddItemToObject(o, "a", p->a ? cJSON_CreateString(p->a) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "b", p->b ? cJSON_CreateString(p->b) : cJSON_CreateNull());
    }
    cJSON *w = cJSON_CreateArray();
    cJSON_AddItemToObject(root, "warnings", w);
    for (size_t i = 0; i < d->nwarn; i++)
        cJSON_AddItemToArray(w, cJSON_CreateString(d->warn[i]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return -1;
    fputs(text, out);
    fputc('\n', out);
    free(text);
    return 0;
}

static void diff_text(const trace_diff_t *d, int all, FILE *out)
{
    char tol[32], rel[32];
    fmt_tol(tol, sizeof tol, d->tolerance);
    if (d->nparams) { /* the cause first: what the two configurations set differently */
        out_t *o = out_create(out, OUT_TABLE, 0);
        if (!o)
            return;
        out_set_null_text(o, "(absent)");
        const char *cols[] = {"component", "parameter", "a", "b"};
        for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
            out_column(o, cols[i]);
        for (size_t i = 0; i < d->nparams; i++) {
            const trace_diff_param_t *p = &d->params[i];
            out_text(o, p->component);
            out_text(o, p->name);
            if (p->a)
                out_text(o, p->a);
            else
                out_null(o);
            if (p->b)
                out_text(o, p->b);
            else
                out_null(o);
        }
        out_finish(o);
        fputc('\n', out);
    }
    if (d->nchanged || all) {
        out_t *o = out_create(out, OUT_TABLE, 0);
        if (!o)
            return;
        out_set_null_text(o, "-");
        const char *cols[] = {"component/link", "metric", "a", "b", "delta", "delta_%"};
        for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
            out_column(o, cols[i]);
        if (all) /* show which rows are beyond the tolerance */
            out_column(o, "changed");
        for (size_t i = 0; i < d->n; i++) {
            const trace_diff_metric_t *m = &d->m[i];
            if (!all && !m->changed)
                continue;
            out_text(o, metric_owner(m));
            out_text(o, m->metric);
            if (m->in_a)
                out_real(o, m->a);
            else
                out_null(o);
            if (m->in_b)
                out_real(o, m->b);
            else
                out_null(o);
            out_real(o, m->delta);
            fmt_rel(rel, sizeof rel, m);
            out_text_num(o, rel);
            if (all)
                out_text(o, m->changed ? "yes" : "no");
        }
        out_finish(o);
    }
    if (d->nchanged) {
        const trace_diff_metric_t *top = &d->m[d->largest];
        fmt_rel(rel, sizeof rel, top);
        fprintf(out, "changed: %zu of %zu metrics moved beyond the tolerance (%s); largest: %s %s %s\n",
                d->nchanged, d->n, tol, metric_owner(top), top->metric, rel);
    } else {
        fprintf(out, "same: all %zu metrics within the tolerance (%s)\n", d->n, tol);
    }
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
    trace_db_t *a = NULL, *b = NULL;
    int rc = 2;
    if (trace_db_open(&a, pa) != 0) {
        fprintf(err, "prism diff: %s\n", trace_db_errmsg(a));
        goto done;
    }
    if (trace_db_open(&b, pb) != 0) {
        fprintf(err, "prism diff: %s\n", trace_db_errmsg(b));
        goto done;
    }
    trace_diff_t d;
    if (trace_diff(a, b, tol, &d) != 0) {
        fprintf(err, "prism diff: %s\n", trace_db_errmsg(a));
        goto done;
    }
    for (size_t i = 0; i < d.nwarn; i++)
        fprintf(err, "prism diff: warning: %s\n", d.warn[i]);
    int wrc = json ? diff_json(pa, pb, &d, all, out) : (diff_text(&d, all, out), 0);
    if (wrc != 0 || fflush(out) != 0 || ferror(out))
        fprintf(err, "prism diff: writing the result failed\n");
    else
        rc = d.nchanged ? 1 : 0;
    trace_diff_free(&d);
done:
    trace_db_close(a);
    trace_db_close(b);
    return rc;
}

int cmd_diff(int argc, char **argv)
{
    return diff_main(argc, argv, stdout, stderr);
}
