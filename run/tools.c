/* The trace tools as library functions (run/tools.h): query, report, diff
 * and export of trace databases, each writing its result to the stream it is
 * given. The command line parses options and calls these; tests call them
 * too. */
#include "run/tools.h"
#include "run/out.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* root printed to out, one newline after it, and freed; 0, or -1 when
 * printing ran out of memory */
static int print_json(cJSON *root, FILE *out)
{
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return -1;
    fputs(text, out);
    fputc('\n', out);
    free(text);
    return 0;
}

/* ---- query ----------------------------------------------------------------- */
/* SQLite calls this every few thousand virtual-machine steps; non-zero
 * interrupts the statement (--timeout). */
static int query_deadline(void *arg)
{
    const double *deadline = arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec > *deadline;
}

/* The authorizer of `prism query`: a trace is read, never written. Reads,
 * SELECT's functions and read-only pragmas pass; every write, schema change,
 * ATTACH/DETACH (VACUUM INTO attaches its target), transaction, and the
 * functions that reach outside the database (fts3_tokenizer: a heap pointer
 * out, an arbitrary one in; load_extension) are denied. */
static int query_authorize(void *arg, int action, const char *a1, const char *a2, const char *db,
                           const char *trigger)
{
    (void)arg, (void)db, (void)trigger;
    static const char *const deny_fn[] = {
        "fts3_tokenizer", "load_extension", "readfile", "writefile", "edit", "sqlite_dbpage", NULL};
    static const char *const pragmas[] = {
        "table_info",  "table_xinfo",     "index_list",       "index_info",  "index_xinfo",
        "table_list",  "database_list",   "function_list",    "pragma_list", "collation_list",
        "module_list", "compile_options", "foreign_key_list", NULL};
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE: return SQLITE_OK;
    case SQLITE_FUNCTION:
        for (int i = 0; deny_fn[i]; i++)
            if (a2 && !sqlite3_stricmp(a2, deny_fn[i]))
                return SQLITE_DENY;
        return SQLITE_OK;
    case SQLITE_PRAGMA:
        if (!a2) /* reading a setting */
            return SQLITE_OK;
        for (int i = 0; pragmas[i]; i++)
            if (a1 && !sqlite3_stricmp(a1, pragmas[i]))
                return SQLITE_OK;
        return SQLITE_DENY;
    default: return SQLITE_DENY; /* writes, DDL, ATTACH, DETACH, transactions, ANALYZE, ... */
    }
}

/* SQLite's defensive configuration (no writable_schema, no shadow-table
 * writes), the two-argument fts3_tokenizer() and extension loading off, and
 * the authorizer above. 0, or -1 when SQLite refuses an option. */
static int query_lock_down(sqlite3 *h)
{
    int rc = sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    rc |= sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, (int *)NULL);
    rc |= sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
    rc |= sqlite3_set_authorizer(h, query_authorize, NULL);
    return rc == SQLITE_OK ? 0 : -1;
}

/* what follows the message of a statement the authorizer denied */
static const char *denied_hint(trace_db_t *db)
{
    sqlite3 *h = trace_db_sqlite(db);
    return sqlite3_errcode(h) == SQLITE_AUTH || strstr(sqlite3_errmsg(h), "not authorized")
               ? " (prism query only reads: no writes, schema changes, ATTACH, VACUUM, "
                 "transactions, setting pragmas, fts3_tokenizer or load_extension)"
               : "";
}

static int query_print(trace_db_t *db, const char *sql, const run_query_opts_t *qo, FILE *out,
                       FILE *err)
{
    out_format_t fmt = qo->fmt;
    size_t max_rows = qo->max_rows;
    int max_rows_set = qo->max_rows_set;
    double timeout_s = qo->timeout_s;
    sqlite3_stmt *st = NULL;
    if (trace_db_prepare(db, sql, &st) != 0) {
        fprintf(err, "prism query: %s%s\n", trace_db_errmsg(db), denied_hint(db));
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
    const char *hint = rc < 0 ? denied_hint(db) : "";
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
        fprintf(err, "prism query: %s%s\n", trace_db_errmsg(db), hint);
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

int run_query(const char *path, const char *sql, const run_query_opts_t *o, FILE *out, FILE *err)
{
    trace_db_t *db = NULL;
    if (trace_db_open(&db, path) != 0) {
        fprintf(err, "prism query: %s\n", trace_db_errmsg(db));
        trace_db_close(db);
        return 2;
    }
    if (query_lock_down(trace_db_sqlite(db))) {
        fprintf(err, "prism query: %s: cannot set SQLite's defensive options\n", path);
        trace_db_close(db);
        return 2;
    }
    int rc = query_print(db, sql, o, out, err);
    trace_db_close(db);
    return rc;
}

/* ---- diff ------------------------------------------------------------------ */
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
    return print_json(root, out);
}

/* the cause first: what the two configurations set differently */
static void diff_params_text(const trace_diff_t *d, FILE *out)
{
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

static void diff_text(const trace_diff_t *d, int all, FILE *out)
{
    char tol[32], rel[32];
    fmt_tol(tol, sizeof tol, d->tolerance);
    if (d->nparams)
        diff_params_text(d, out);
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

int run_diff(const char *pa, const char *pb, double tol, int json, int all, FILE *out, FILE *err)
{
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

/* ---- report ---------------------------------------------------------------- */
static double key_of(const trace_comp_summary_t *c, run_report_sort_t k)
{
    double v = k == RUN_SORT_ENERGY ? c->energy_pj
               : k == RUN_SORT_UTIL ? c->utilization
               : k == RUN_SORT_BUSY ? c->busy_ps
                                : c->events;
    return isnan(v) ? -INFINITY : v;
}

static int comp_cmp(const void *x, const void *y, void *ctx)
{
    const trace_comp_summary_t *a = x, *b = y;
    run_report_sort_t sort = *(const run_report_sort_t *)ctx;
    if (sort != RUN_SORT_NAME) {
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
    return print_json(root, out);
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

/* a component that did nothing in the run: no busy time, no event, no energy */
static int comp_idle(const trace_comp_summary_t *c)
{
    return !(c->busy_ps > 0) && !(c->events > 0) && !(c->energy_pj > 0);
}

/* after a cut table: the active components left out, and the idle ones as
 * one count per model ("37 rram_xbar") */
static void report_folded(const trace_summary_t *s, size_t active, size_t shown, FILE *out)
{
    if (active > shown)
        fprintf(out, "(%zu more active components: --top N or --all)\n", active - shown);
    char line[1024];
    size_t len = 0, idle = 0;
    for (size_t i = 0; i < s->ncomps; i++) {
        const trace_comp_summary_t *c = &s->comps[i];
        const char *m = c->model ? c->model : "?";
        int first = 1;
        for (size_t j = 0; j < i && first; j++) /* counted once, at its first idle unit */
            first = !(comp_idle(&s->comps[j]) &&
                      !strcmp(s->comps[j].model ? s->comps[j].model : "?", m));
        if (!comp_idle(c) || !first)
            continue;
        size_t n = 0;
        for (size_t j = i; j < s->ncomps; j++)
            n += comp_idle(&s->comps[j]) && !strcmp(s->comps[j].model ? s->comps[j].model : "?", m);
        idle += n;
        if (len < sizeof line)
            len +=
                (size_t)snprintf(line + len, sizeof line - len, "%s%zu %s", len ? ", " : "", n, m);
    }
    if (idle)
        fprintf(out, "idle (no busy time, event or energy): %s\n", line);
}

/* each layer's latency when the run executed a schedule (layer_latency) */
static void report_layers(trace_db_t *db, size_t top, FILE *out)
{
    sqlite3_stmt *st = NULL;
    if (trace_db_prepare(db,
                         "SELECT layer, entries, span_ps, start_ps, energy_pj, tiers"
                         " FROM layer_latency",
                         &st) != 0) {
        sqlite3_finalize(st); /* not a schedule run: no such view */
        return;
    }
    out_t *o = NULL;
    size_t rows = 0;
    while (trace_db_step(db, st) == 1) {
        if (!o) {
            fprintf(out, "\nlatency per layer (first issue to last end; layers overlap)\n");
            if (!(o = out_create(out, OUT_TABLE, top)))
                break;
            out_set_null_text(o, "-");
            const char *cols[] = {"layer", "entries", "span_ps", "start_ps", "energy_pj", "tiers"};
            for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
                out_column(o, cols[i]);
        }
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            out_text(o, "other"); /* embeddings, the LM head */
        else
            out_real(o, sqlite3_column_double(st, 0));
        for (int k = 1; k < 5; k++)
            out_real(o, sqlite3_column_double(st, k));
        const char *t = (const char *)sqlite3_column_text(st, 5);
        out_text(o, t ? t : "-");
        rows++;
    }
    sqlite3_finalize(st);
    if (o)
        out_finish(o);
}

static void report_text(const char *path, const trace_summary_t *s, run_report_sort_t sort, size_t top,
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
    /* with a row limit (the default), idle components are folded into one
     * line per model and the active ones cut at `top` */
    size_t active = 0, shown = 0;
    for (size_t i = 0; i < s->ncomps; i++)
        active += !comp_idle(&s->comps[i]);
    fprintf(out, "\ncomponents (by %s%s)\n", sort_names[sort],
            top && active > top ? ", top rows" : "");
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
        if (top && (comp_idle(c) || shown == top))
            continue;
        shown++;
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
    if (top)
        report_folded(s, active, shown, out);
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

int run_report(const char *path, run_report_sort_t sort, size_t top, int top_given, int json,
               FILE *out, FILE *err)
{
    trace_db_t *db = NULL;
    trace_summary_t s;
    if (trace_db_open(&db, path) != 0 || trace_db_summary(db, &s) != 0) {
        fprintf(err, "prism report: %s\n", trace_db_errmsg(db));
        trace_db_close(db);
        return 2;
    }
    if (s.ncomps)
        qsort_r(s.comps, s.ncomps, sizeof *s.comps, comp_cmp, &sort);
    int rc = 0;
    if (json)
        rc = report_json(path, &s, top_given ? top : 0, out);
    else {
        report_text(path, &s, sort, top, out);
        report_layers(db, top, out);
    }
    trace_db_close(db);
    trace_summary_free(&s);
    if (rc != 0 || fflush(out) != 0 || ferror(out)) {
        fprintf(err, "prism report: writing the report failed\n");
        return 2;
    }
    return 0;
}

/* ---- export ---------------------------------------------------------------- */
int run_export(const char *path, const char *dest, const trace_export_opts_t *opts_in, int json,
               FILE *out, FILE *err)
{
    trace_export_opts_t opts = *opts_in;
    trace_db_t *db = NULL;
    if (trace_db_open(&db, path) != 0) {
        fprintf(err, "prism export: %s\n", trace_db_errmsg(db));
        trace_db_close(db);
        return 2;
    }
    int to_stdout = !strcmp(dest, "-");
    char *tmp = NULL;
    FILE *f = out;
    if (!to_stdout) {
        size_t n = strlen(dest) + 16;
        tmp = malloc(n);
        if (!tmp) {
            trace_db_close(db);
            fprintf(err, "prism export: out of memory\n");
            return 2;
        }
        snprintf(tmp, n, "%s.tmp", dest);
        f = fopen(tmp, "w");
        if (!f) {
            fprintf(err, "prism export: cannot write %s: %s\n", tmp, strerror(errno));
            free(tmp);
            trace_db_close(db);
            return 2;
        }
    }
    trace_export_stats_t st;
    int rc = trace_export_perfetto(db, f, &opts, &st);
    if (rc != 0)
        fprintf(err, "prism export: %s\n", trace_db_errmsg(db));
    trace_db_close(db);
    if (!to_stdout) {
        if (fclose(f) != 0 && rc == 0) {
            fprintf(err, "prism export: writing %s failed: %s\n", tmp, strerror(errno));
            rc = -1;
        }
        if (rc == 0 && rename(tmp, dest) != 0) {
            fprintf(err, "prism export: cannot create %s: %s\n", dest, strerror(errno));
            rc = -1;
        }
        if (rc != 0)
            remove(tmp);
        free(tmp);
    }
    if (rc != 0)
        return 2;
    /* the summary goes where it does not mix with the JSON */
    FILE *info = to_stdout ? err : out;
    if (json) {
        fprintf(info, "{\"file\":");
        out_json_string(info, path);
        fprintf(info, ",\"out\":");
        out_json_string(info, dest);
        fprintf(info,
                ",\"complete_events\":%" PRIu64 ",\"instant_events\":%" PRIu64
                ",\"metadata_events\":%" PRIu64 ",\"extra_tracks\":%" PRIu64 ",\"flows\":%" PRIu64
                ",\"truncated\":%s}\n",
                st.complete_events, st.instant_events, st.metadata_events, st.extra_tracks,
                st.flows, st.truncated ? "true" : "false");
    } else {
        fprintf(info,
                "wrote %s: %" PRIu64 " slices and %" PRIu64 " instant events on %" PRIu64
                " component threads",
                to_stdout ? "standard output" : dest, st.complete_events, st.instant_events,
                (st.metadata_events - 1) / 2 - st.extra_tracks);
        if (st.extra_tracks)
            fprintf(info, " (+%" PRIu64 " tracks for activities that overlap on one component)",
                    st.extra_tracks);
        if (st.flows)
            fprintf(info, "; %" PRIu64 " messages as arrows from sender to receiver", st.flows);
        fputc('\n', info);
        if (st.truncated)
            fprintf(info, "stopped after --max-events %" PRIu64 "; later events were left out\n",
                    opts.max_events);
    }
    return 0;
}

