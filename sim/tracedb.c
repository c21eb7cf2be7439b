/* Read side of the trace database whose schema docs/trace.md fixes: opening
 * a run.db read-only, the run row, per-component figures (the ledger's
 * busy_ps / energy / events stats), run-to-run diff, and a streaming
 * Chrome/Perfetto trace-event writer (format: "Trace Event Format", Google, 2016). */
#include "sim/tracedb.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct trace_db {
    sqlite3 *sql;
    char *path;
    char err[1024];
};

static char *dup_str(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

__attribute__((format(printf, 3, 4))) static int set_err(trace_db_t *db, int code, const char *fmt,
                                                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->err, sizeof db->err, fmt, ap);
    va_end(ap);
    return code;
}

static int sql_err(trace_db_t *db, const char *what)
{
    return set_err(db, TRACE_DB_ERR_SQL, "%s: %s: %s", db->path, what,
                   db->sql ? sqlite3_errmsg(db->sql) : "no database");
}

/* ---- opening -------------------------------------------------------------- */

/* "file:/abs/path?immutable=1" (percent-encoded) when path has no -wal
 * companion; NULL otherwise or when the path cannot be resolved. */
static char *immutable_uri(const char *path)
{
    size_t n = strlen(path);
    char *wal = malloc(n + 5);
    if (!wal)
        return NULL;
    memcpy(wal, path, n);
    memcpy(wal + n, "-wal", 5);
    struct stat st;
    int has_wal = stat(wal, &st) == 0 || errno != ENOENT;
    free(wal);
    if (has_wal)
        return NULL;
    char *abs = realpath(path, NULL);
    if (!abs)
        return NULL;
    size_t len = strlen(abs);
    char *uri = malloc(3 * len + 32);
    if (uri) {
        char *o = uri + sprintf(uri, "file:");
        for (const unsigned char *c = (const unsigned char *)abs; *c; c++) {
            if (isalnum(*c) || strchr("/._-~", *c))
                *o++ = (char)*c;
            else
                o += sprintf(o, "%%%02X", *c);
        }
        strcpy(o, "?immutable=1");
    }
    free(abs);
    return uri;
}

int trace_db_open(trace_db_t **out, const char *path)
{
    trace_db_t *db = calloc(1, sizeof *db);
    *out = db;
    if (!db)
        return TRACE_DB_ERR_NOMEM;
    db->path = dup_str(path ? path : "");
    if (!db->path)
        return set_err(db, TRACE_DB_ERR_NOMEM, "out of memory");
    struct stat st;
    if (!path || !*path)
        return set_err(db, TRACE_DB_ERR_OPEN, "no trace database given");
    if (stat(path, &st) != 0)
        return set_err(db, TRACE_DB_ERR_OPEN, "%s: cannot open trace database: %s", path,
                       strerror(errno));
    if (S_ISDIR(st.st_mode))
        return set_err(db, TRACE_DB_ERR_OPEN, "%s: is a directory, not a trace database", path);
    /* A finished run has no -wal file: read it as immutable, which takes no
     * locks and leaves no -shm/-wal files behind. A live or killed run keeps
     * its -wal: open it normally (read-only) to see the rows in it. */
    char *uri = immutable_uri(path);
    int rc = sqlite3_open_v2(uri ? uri : path, &db->sql,
                             SQLITE_OPEN_READONLY | (uri ? SQLITE_OPEN_URI : 0), NULL);
    free(uri);
    if (rc != SQLITE_OK)
        return set_err(db, TRACE_DB_ERR_OPEN, "%s: cannot open trace database: %s", path,
                       db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
    sqlite3_busy_timeout(db->sql, 5000); /* a writer may hold a short lock */
    sqlite3_stmt *st_runs = NULL;
    rc = sqlite3_prepare_v2(db->sql,
                            "SELECT count(*) FROM sqlite_master WHERE name = 'runs' AND "
                            "type IN ('table', 'view')",
                            -1, &st_runs, NULL);
    if (rc != SQLITE_OK)
        return set_err(db, TRACE_DB_ERR_OPEN, "%s: not a readable SQLite database (%s)", path,
                       sqlite3_errmsg(db->sql));
    rc = sqlite3_step(st_runs);
    int has_runs = rc == SQLITE_ROW && sqlite3_column_int(st_runs, 0) > 0;
    if (rc != SQLITE_ROW) {
        set_err(db, TRACE_DB_ERR_OPEN, "%s: not a readable SQLite database (%s)", path,
                sqlite3_errmsg(db->sql));
        sqlite3_finalize(st_runs);
        return TRACE_DB_ERR_OPEN;
    }
    sqlite3_finalize(st_runs);
    if (!has_runs) {
        /* prism creates its schema with the run's first row, in one
         * transaction: a database with no table at all is a run killed
         * before it started (or an empty file) */
        sqlite3_stmt *st_any = NULL;
        int empty = sqlite3_prepare_v2(db->sql, "SELECT count(*) FROM sqlite_master", -1, &st_any,
                                       NULL) == SQLITE_OK &&
                    sqlite3_step(st_any) == SQLITE_ROW && sqlite3_column_int(st_any, 0) == 0;
        sqlite3_finalize(st_any);
        if (empty)
            return set_err(db, TRACE_DB_ERR_NOTTRACE,
                           "%s: an empty database: this run was killed before it started (no "
                           "schema, no run row)",
                           path);
        return set_err(db, TRACE_DB_ERR_NOTTRACE, "%s: not a prism trace (no 'runs' table)", path);
    }
    return TRACE_DB_OK;
}

void trace_db_close(trace_db_t *db)
{
    if (!db)
        return;
    sqlite3_close(db->sql);
    free(db->path);
    free(db);
}

const char *trace_db_errmsg(const trace_db_t *db)
{
    return db ? db->err : "out of memory";
}

const char *trace_db_path(const trace_db_t *db)
{
    return db ? db->path : "";
}

sqlite3 *trace_db_sqlite(trace_db_t *db)
{
    return db ? db->sql : NULL;
}

int trace_db_has(trace_db_t *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT 1 FROM sqlite_master WHERE name = ?1 AND type IN ('table', "
                           "'view')",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* Skips blanks, semicolons and SQL comments; returns where real text starts. */
static const char *skip_sql_blanks(const char *p)
{
    for (;;) {
        while (*p && (isspace((unsigned char)*p) || *p == ';'))
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
        } else {
            return p;
        }
    }
}

int trace_db_prepare(trace_db_t *db, const char *sql, sqlite3_stmt **out)
{
    const char *tail = NULL;
    *out = NULL;
    if (sqlite3_prepare_v2(db->sql, sql, -1, out, &tail) != SQLITE_OK)
        return sql_err(db, "SQL error");
    if (!*out)
        return set_err(db, TRACE_DB_ERR_SQL, "%s: no SQL statement given", db->path);
    if (tail && *skip_sql_blanks(tail)) {
        sqlite3_finalize(*out);
        *out = NULL;
        return set_err(db, TRACE_DB_ERR_SQL,
                       "%s: give one SQL statement at a time (extra: \"%.40s\")", db->path,
                       skip_sql_blanks(tail));
    }
    return TRACE_DB_OK;
}

int trace_db_step(trace_db_t *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return sql_err(db, "SQL error");
}

/* ---- the run row ------------------------------------------------------------ */

static char *col_str(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return NULL;
    const char *s = (const char *)sqlite3_column_text(st, i);
    return dup_str(s ? s : "");
}

static int64_t col_i64_or(sqlite3_stmt *st, int i, int64_t missing)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? missing : sqlite3_column_int64(st, i);
}

static double col_real_or_nan(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

void trace_run_free(trace_run_t *r)
{
    if (!r)
        return;
    free(r->status);
    free(r->config_path);
    free(r->config_hash);
    free(r->prism_version);
    free(r->git_commit);
    free(r->workload);
    free(r->argv);
    free(r->start_wall);
    free(r->end_wall);
    free(r->message);
    memset(r, 0, sizeof *r);
}

int trace_db_run(trace_db_t *db, trace_run_t *r)
{
    memset(r, 0, sizeof *r);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT run_id, status, config_path, config_hash, prism_version, "
                           "git_commit, workload, argv, start_wall, end_wall, message, seed, "
                           "end_time_ps, events_handled, trace_rows, wall_s FROM runs "
                           "ORDER BY run_id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return set_err(db, TRACE_DB_ERR_NOTTRACE, "%s: the runs table is not prism's (%s)",
                       db->path, sqlite3_errmsg(db->sql));
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            set_err(db, TRACE_DB_ERR_NOTTRACE,
                    "%s: the runs table is empty: this run was killed before it started", db->path);
        else
            sql_err(db, "reading the runs table");
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? TRACE_DB_ERR_NOTTRACE : TRACE_DB_ERR_SQL;
    }
    r->run_id = sqlite3_column_int64(st, 0);
    r->status = col_str(st, 1);
    r->config_path = col_str(st, 2);
    r->config_hash = col_str(st, 3);
    r->prism_version = col_str(st, 4);
    r->git_commit = col_str(st, 5);
    r->workload = col_str(st, 6);
    r->argv = col_str(st, 7);
    r->start_wall = col_str(st, 8);
    r->end_wall = col_str(st, 9);
    r->message = col_str(st, 10);
    r->has_seed = sqlite3_column_type(st, 11) != SQLITE_NULL;
    r->seed = (uint64_t)sqlite3_column_int64(st, 11);
    r->end_time_ps = col_i64_or(st, 12, -1);
    r->events_handled = col_i64_or(st, 13, -1);
    r->trace_rows = col_i64_or(st, 14, -1);
    r->wall_s = col_real_or_nan(st, 15);
    sqlite3_finalize(st);
    if (!r->status) {
        r->status = dup_str("unknown");
        if (!r->status)
            return set_err(db, TRACE_DB_ERR_NOMEM, "out of memory");
    }
    return TRACE_DB_OK;
}

const char *trace_run_status_text(const trace_run_t *r)
{
    const char *s = r->status ? r->status : "unknown";
    if (!strcmp(s, "complete"))
        return "complete";
    if (!strcmp(s, "running"))
        return "not complete (killed?)";
    if (!strcmp(s, "interrupted"))
        return "interrupted";
    if (!strcmp(s, "truncated"))
        return "truncated"; /* schedule entries left undone (run/run.h) */
    if (!strcmp(s, "failed"))
        return "failed";
    return "unknown status";
}

/* ---- summary ---------------------------------------------------------------- */

static void cats_free(trace_energy_cat_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].name);
    free(c);
}

void trace_summary_free(trace_summary_t *s)
{
    if (!s)
        return;
    trace_run_free(&s->run);
    for (size_t i = 0; i < s->ncomps; i++) {
        free(s->comps[i].name);
        free(s->comps[i].model);
        free(s->comps[i].clock);
        cats_free(s->comps[i].cats, s->comps[i].ncats);
        cats_free(s->comps[i].counters, s->comps[i].ncounters);
    }
    free(s->comps);
    for (size_t i = 0; i < s->nlinks; i++) {
        free(s->links[i].src);
        free(s->links[i].dst);
    }
    free(s->links);
    cats_free(s->cats, s->ncats);
    memset(s, 0, sizeof *s);
}

/* Adds `pj` to category `name` of a growable list. */
static int cat_add(trace_energy_cat_t **list, size_t *n, size_t *cap, const char *name, double pj)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i].name, name)) {
            (*list)[i].energy_pj += pj;
            return 0;
        }
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 4;
        trace_energy_cat_t *g = realloc(*list, nc * sizeof *g);
        if (!g)
            return -1;
        *list = g;
        *cap = nc;
    }
    (*list)[*n].name = dup_str(name);
    if (!(*list)[*n].name)
        return -1;
    (*list)[*n].energy_pj = pj;
    (*n)++;
    return 0;
}

static int cat_cmp_desc(const void *x, const void *y)
{
    const trace_energy_cat_t *a = x, *b = y;
    if (a->energy_pj != b->energy_pj)
        return a->energy_pj < b->energy_pj ? 1 : -1;
    return strcmp(a->name, b->name);
}

static trace_comp_summary_t *comp_by_id(trace_summary_t *s, int64_t id)
{
    size_t lo = 0, hi = s->ncomps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->comps[mid].comp_id == id)
            return &s->comps[mid];
        if (s->comps[mid].comp_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static trace_comp_summary_t *comp_by_name(trace_summary_t *s, const char *name)
{
    for (size_t i = 0; i < s->ncomps; i++)
        if (s->comps[i].name && !strcmp(s->comps[i].name, name))
            return &s->comps[i];
    return NULL;
}

static int load_components(trace_db_t *db, trace_summary_t *s)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT comp_id, name, model, clock FROM components ORDER BY comp_id",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_err(db, "reading components");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->ncomps == cap) {
            size_t nc = cap ? 2 * cap : 16;
            trace_comp_summary_t *g = realloc(s->comps, nc * sizeof *g);
            if (!g)
                goto nomem;
            s->comps = g;
            cap = nc;
        }
        trace_comp_summary_t *c = &s->comps[s->ncomps];
        memset(c, 0, sizeof *c);
        s->ncomps++;
        c->comp_id = sqlite3_column_int64(st, 0);
        c->name = col_str(st, 1);
        c->model = col_str(st, 2);
        c->clock = col_str(st, 3);
        if (!c->name) { /* keep every component addressable by name */
            char buf[32];
            snprintf(buf, sizeof buf, "#%" PRId64, c->comp_id);
            c->name = dup_str(buf);
            if (!c->name)
                goto nomem;
        }
        c->busy_ps = c->energy_pj = c->events = c->utilization = NAN;
        c->area_mm2 = c->w_per_mm2 = NAN;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sql_err(db, "reading components");
    return 0;
nomem:
    sqlite3_finalize(st);
    return set_err(db, TRACE_DB_ERR_NOMEM, "out of memory");
}

static int load_stats(trace_db_t *db, trace_summary_t *s)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT comp_id, name, kind, value FROM stats WHERE comp_id IS NOT NULL "
                           "AND name IS NOT NULL ORDER BY comp_id, rowid",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_err(db, "reading stats");
    int rc;
    trace_comp_summary_t *c = NULL;
    size_t cap = 0, cap_counters = 0; /* capacities of c->cats, c->counters */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (!c || c->comp_id != id) {
            c = comp_by_id(s, id);
            cap = c ? c->ncats : 0;
            cap_counters = c ? c->ncounters : 0;
        }
        if (!c)
            continue; /* a stat of no known component */
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *kind = (const char *)sqlite3_column_text(st, 2);
        double v = col_real_or_nan(st, 3);
        if (!name || isnan(v))
            continue;
        if (kind && !strcmp(kind, "energy")) {
            if (cat_add(&c->cats, &c->ncats, &cap, name, v) != 0)
                goto nomem;
        } else if (!strcmp(name, "busy_ps")) {
            c->busy_ps = v;
        } else if (!strcmp(name, "energy.total")) {
            c->energy_pj = v;
        } else if (!strcmp(name, "events")) {
            c->events = v;
        } else if (!strcmp(name, "area_mm2")) {
            c->area_mm2 = v;
        } else if (cat_add(&c->counters, &c->ncounters, &cap_counters, name, v) != 0) {
            goto nomem;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sql_err(db, "reading stats");
    return 0;
nomem:
    sqlite3_finalize(st);
    return set_err(db, TRACE_DB_ERR_NOMEM, "out of memory");
}

/* When the component_summary view exists and has the documented columns, its
 * figures win (so the report matches what `prism query` shows); otherwise
 * the stats table alone is used. */
static int overlay_component_view(trace_db_t *db, trace_summary_t *s)
{
    if (!trace_db_has(db, "component_summary"))
        return 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT name, busy_ps, energy_pj, events FROM component_summary", -1,
                           &st, NULL) != SQLITE_OK)
        return 0; /* a view of another shape: fall back to the tables */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        trace_comp_summary_t *c = name ? comp_by_name(s, name) : NULL;
        if (!c)
            continue;
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            c->busy_ps = sqlite3_column_double(st, 1);
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            c->energy_pj = sqlite3_column_double(st, 2);
        if (sqlite3_column_type(st, 3) != SQLITE_NULL)
            c->events = sqlite3_column_double(st, 3);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        s->used_views = 1;
    return 0;
}

static int link_cmp_busy(const void *x, const void *y)
{
    const trace_link_summary_t *a = x, *b = y;
    double ba = isnan(a->busy_ps) ? -1 : a->busy_ps, bb = isnan(b->busy_ps) ? -1 : b->busy_ps;
    if (ba != bb)
        return ba < bb ? 1 : -1;
    int c = strcmp(a->src ? a->src : "", b->src ? b->src : "");
    return c ? c : strcmp(a->dst ? a->dst : "", b->dst ? b->dst : "");
}

static int load_links(trace_db_t *db, trace_summary_t *s)
{
    sqlite3_stmt *st = NULL;
    if (!trace_db_has(db, "links"))
        return 0; /* a chip without links, traced by a writer that skips the table */
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT src, dst, latency_ps, bandwidth_gbps, messages, bytes, busy_ps "
                           "FROM links ORDER BY link_id",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_err(db, "reading links");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->nlinks == cap) {
            size_t nc = cap ? 2 * cap : 16;
            trace_link_summary_t *g = realloc(s->links, nc * sizeof *g);
            if (!g)
                goto nomem;
            s->links = g;
            cap = nc;
        }
        trace_link_summary_t *l = &s->links[s->nlinks++];
        memset(l, 0, sizeof *l);
        l->src = col_str(st, 0);
        l->dst = col_str(st, 1);
        if ((!l->src && sqlite3_column_type(st, 0) != SQLITE_NULL) ||
            (!l->dst && sqlite3_column_type(st, 1) != SQLITE_NULL))
            goto nomem;
        l->latency_ps = col_real_or_nan(st, 2);
        l->bandwidth_gbps = col_real_or_nan(st, 3);
        l->messages = col_real_or_nan(st, 4);
        l->bytes = col_real_or_nan(st, 5);
        l->busy_ps = col_real_or_nan(st, 6);
        l->utilization = NAN;
        if (s->run.end_time_ps > 0 && !isnan(l->busy_ps))
            l->utilization = l->busy_ps / (double)s->run.end_time_ps;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sql_err(db, "reading links");
    if (s->nlinks)
        qsort(s->links, s->nlinks, sizeof *s->links, link_cmp_busy);
    return 0;
nomem:
    sqlite3_finalize(st);
    return set_err(db, TRACE_DB_ERR_NOMEM, "out of memory");
}

/* The run's power density limit (table limits, W/mm^2), NAN without one. */
static double load_power_limit(trace_db_t *db)
{
    double v = NAN;
    sqlite3_stmt *st = NULL;
    if (!trace_db_has(db, "limits") ||
        sqlite3_prepare_v2(db->sql,
                           "SELECT value FROM limits WHERE name = 'power_density_w_mm2'", -1, &st,
                           NULL) != SQLITE_OK)
        return v;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = col_real_or_nan(st, 0);
    sqlite3_finalize(st);
    return v;
}

int trace_db_summary(trace_db_t *db, trace_summary_t *s)
{
    memset(s, 0, sizeof *s);
    int rc = trace_db_run(db, &s->run);
    if (rc == 0)
        rc = load_components(db, s);
    if (rc == 0)
        rc = load_stats(db, s);
    if (rc == 0)
        rc = overlay_component_view(db, s);
    if (rc == 0)
        rc = load_links(db, s);
    if (rc != 0) {
        trace_summary_free(s);
        return rc;
    }
    size_t cap = 0;
    s->power_density_limit = load_power_limit(db);
    for (size_t i = 0; i < s->ncomps; i++) {
        trace_comp_summary_t *c = &s->comps[i];
        if (s->run.end_time_ps > 0 && !isnan(c->busy_ps))
            c->utilization = c->busy_ps / (double)s->run.end_time_ps;
        if (s->run.end_time_ps > 0 && c->area_mm2 > 0 && !isnan(c->energy_pj))
            c->w_per_mm2 = c->energy_pj / (double)s->run.end_time_ps / c->area_mm2; /* pJ/ps = W */
        if (c->w_per_mm2 > s->power_density_limit)
            s->over_limit++;
        if (!isnan(c->energy_pj))
            s->energy_pj += c->energy_pj;
        if (c->ncats)
            qsort(c->cats, c->ncats, sizeof *c->cats, cat_cmp_desc);
        for (size_t k = 0; k < c->ncats; k++)
            if (cat_add(&s->cats, &s->ncats, &cap, c->cats[k].name, c->cats[k].energy_pj) != 0) {
                trace_summary_free(s);
                return set_err(db, TRACE_DB_ERR_NOMEM, "out of memory");
            }
    }
    if (s->ncats)
        qsort(s->cats, s->ncats, sizeof *s->cats, cat_cmp_desc);
    return 0;
}

/* ---- diff ----------------------------------------------------------------- */

int trace_parse_tolerance(const char *text, double *out)
{
    if (!text || !*text)
        return TRACE_DB_ERR_ARG;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno != 0 || !isfinite(v) || v < 0)
        return TRACE_DB_ERR_ARG;
    int percent = *end == '%';
    if (percent) {
        v /= 100.0;
        end++;
    }
    /* a plain number is a fraction: 5 would be 500 %, surely meant as 5 %,
     * so a fraction of 1 or more needs its % (100%, 500%) */
    if (*end || (!percent && v >= 1))
        return TRACE_DB_ERR_ARG;
    *out = v;
    return 0;
}

typedef struct metric_list {
    trace_diff_metric_t *m;
    size_t n, cap;
} metric_list_t;

static int metric_push(metric_list_t *l, trace_diff_scope_t scope, const char *comp,
                       const char *metric, int in_a, double a, int in_b, double b, double tol)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 32;
        trace_diff_metric_t *g = realloc(l->m, nc * sizeof *g);
        if (!g)
            return -1;
        l->m = g;
        l->cap = nc;
    }
    trace_diff_metric_t *m = &l->m[l->n];
    memset(m, 0, sizeof *m);
    m->scope = scope;
    m->component = comp ? dup_str(comp) : NULL;
    m->metric = dup_str(metric);
    if ((comp && !m->component) || !m->metric) {
        free(m->component);
        free(m->metric);
        return -1;
    }
    l->n++;
    m->in_a = in_a;
    m->in_b = in_b;
    m->a = in_a ? a : 0;
    m->b = in_b ? b : 0;
    m->delta = m->b - m->a;
    if (m->delta == 0)
        m->rel = 0;
    else if (m->a == 0)
        m->rel = m->delta > 0 ? INFINITY : -INFINITY;
    else
        m->rel = m->delta / fabs(m->a);
    m->changed = !in_a || !in_b || fabs(m->delta) > tol * fabs(m->a);
    return 0;
}

static double nz(double v)
{
    return isnan(v) ? 0 : v;
}

/* "energy.static" -> "energy_pj.static", "adc" -> "energy_pj.adc" */
static void cat_metric_name(char *buf, size_t n, const char *cat)
{
    if (!strncmp(cat, "energy.", 7))
        cat += 7;
    snprintf(buf, n, "energy_pj.%s", cat);
}

static const trace_energy_cat_t *cat_find(const trace_comp_summary_t *c, const char *name)
{
    for (size_t i = 0; c && i < c->ncats; i++)
        if (!strcmp(c->cats[i].name, name))
            return &c->cats[i];
    return NULL;
}

static const trace_energy_cat_t *counter_find(const trace_comp_summary_t *c, const char *name)
{
    for (size_t i = 0; c && i < c->ncounters; i++)
        if (!strcmp(c->counters[i].name, name))
            return &c->counters[i];
    return NULL;
}

/* All metrics of one component name; ca or cb may be NULL (absent). */
static int diff_component(metric_list_t *l, const trace_comp_summary_t *ca,
                          const trace_comp_summary_t *cb, double tol)
{
    const char *name = ca ? ca->name : cb->name;
    int ia = ca != NULL, ib = cb != NULL;
    if (metric_push(l, TRACE_DIFF_COMPONENT, name, "busy_ps", ia, ca ? nz(ca->busy_ps) : 0, ib,
                    cb ? nz(cb->busy_ps) : 0, tol) ||
        metric_push(l, TRACE_DIFF_COMPONENT, name, "energy_pj", ia, ca ? nz(ca->energy_pj) : 0, ib,
                    cb ? nz(cb->energy_pj) : 0, tol) ||
        metric_push(l, TRACE_DIFF_COMPONENT, name, "events", ia, ca ? nz(ca->events) : 0, ib,
                    cb ? nz(cb->events) : 0, tol))
        return -1;
    char buf[256];
    for (size_t k = 0; ca && k < ca->ncats; k++) {
        const trace_energy_cat_t *other = cat_find(cb, ca->cats[k].name);
        cat_metric_name(buf, sizeof buf, ca->cats[k].name);
        if (metric_push(l, TRACE_DIFF_COMPONENT, name, buf, ia, ca->cats[k].energy_pj, ib,
                        other ? other->energy_pj : 0, tol))
            return -1;
    }
    for (size_t k = 0; cb && k < cb->ncats; k++) {
        if (cat_find(ca, cb->cats[k].name))
            continue;
        cat_metric_name(buf, sizeof buf, cb->cats[k].name);
        if (metric_push(l, TRACE_DIFF_COMPONENT, name, buf, ia, 0, ib, cb->cats[k].energy_pj, tol))
            return -1;
    }
    /* the model's own counters (packets, latency sums, stalls, ...) by name */
    for (size_t k = 0; ca && k < ca->ncounters; k++) {
        const trace_energy_cat_t *other = counter_find(cb, ca->counters[k].name);
        if (metric_push(l, TRACE_DIFF_COMPONENT, name, ca->counters[k].name, ia,
                        ca->counters[k].energy_pj, ib, other ? other->energy_pj : 0, tol))
            return -1;
    }
    for (size_t k = 0; cb && k < cb->ncounters; k++) {
        if (counter_find(ca, cb->counters[k].name))
            continue;
        if (metric_push(l, TRACE_DIFF_COMPONENT, name, cb->counters[k].name, ia, 0, ib,
                        cb->counters[k].energy_pj, tol))
            return -1;
    }
    return 0;
}

static int link_ptr_cmp_key(const void *x, const void *y)
{
    const trace_link_summary_t *const *a = x, *const *b = y;
    int c = strcmp((*a)->src ? (*a)->src : "", (*b)->src ? (*b)->src : "");
    return c ? c : strcmp((*a)->dst ? (*a)->dst : "", (*b)->dst ? (*b)->dst : "");
}

/* Metrics of one link, matched by its endpoints; la or lb may be NULL. */
static int diff_link(metric_list_t *l, const trace_link_summary_t *la,
                     const trace_link_summary_t *lb, double tol)
{
    const trace_link_summary_t *k = la ? la : lb;
    char name[512];
    snprintf(name, sizeof name, "%s->%s", k->src ? k->src : "?", k->dst ? k->dst : "?");
    int ia = la != NULL, ib = lb != NULL;
    return metric_push(l, TRACE_DIFF_LINK, name, "busy_ps", ia, la ? nz(la->busy_ps) : 0, ib,
                       lb ? nz(lb->busy_ps) : 0, tol) ||
           metric_push(l, TRACE_DIFF_LINK, name, "messages", ia, la ? nz(la->messages) : 0, ib,
                       lb ? nz(lb->messages) : 0, tol) ||
           metric_push(l, TRACE_DIFF_LINK, name, "bytes", ia, la ? nz(la->bytes) : 0, ib,
                       lb ? nz(lb->bytes) : 0, tol);
}

/* Pairs the sorted lists pa[0..na) and pb[0..nb) with cmp and calls
 * each(list, a-or-NULL, b-or-NULL, tol) for every key of their union. */
static int diff_merge(metric_list_t *l, const void **pa, size_t na, const void **pb, size_t nb,
                      int (*cmp)(const void *, const void *),
                      int (*each)(metric_list_t *, const void *, const void *, double), double tol)
{
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : cmp(&pa[i], &pb[j]);
        if (each(l, c <= 0 ? pa[i] : NULL, c >= 0 ? pb[j] : NULL, tol))
            return -1;
        if (c <= 0)
            i++;
        if (c >= 0)
            j++;
    }
    return 0;
}

static int each_component(metric_list_t *l, const void *a, const void *b, double tol)
{
    return diff_component(l, a, b, tol);
}

static int each_link(metric_list_t *l, const void *a, const void *b, double tol)
{
    return diff_link(l, a, b, tol);
}

/* Sorted pointers to n items of `size` bytes at base; NULL when out of memory. */
static const void **sorted_ptrs(const void *base, size_t n, size_t size,
                                int (*cmp)(const void *, const void *))
{
    const void **p = malloc((n + 1) * sizeof *p);
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p[i] = (const char *)base + i * size;
    if (n)
        qsort(p, n, sizeof *p, cmp);
    return p;
}

static double sort_size(const trace_diff_metric_t *m)
{
    return (!m->in_a || !m->in_b) ? INFINITY : fabs(m->rel);
}

static int metric_cmp(const void *x, const void *y)
{
    const trace_diff_metric_t *a = x, *b = y;
    if (a->changed != b->changed)
        return a->changed ? -1 : 1;
    if ((a->scope == TRACE_DIFF_RUN) != (b->scope == TRACE_DIFF_RUN))
        return a->scope == TRACE_DIFF_RUN ? -1 : 1; /* what the run did, before where */
    double sa = sort_size(a), sb = sort_size(b);
    if (sa != sb)
        return sa > sb ? -1 : 1;
    if (a->scope != b->scope)
        return a->scope < b->scope ? -1 : 1; /* run, then components, then links */
    int c = a->component ? strcmp(a->component, b->component) : 0;
    return c ? c : strcmp(a->metric, b->metric);
}

static int comp_ptr_cmp_name(const void *x, const void *y)
{
    const trace_comp_summary_t *const *a = x, *const *b = y;
    return strcmp((*a)->name, (*b)->name);
}

static int warn_push(trace_diff_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int warn_push(trace_diff_t *d, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **g = realloc(d->warn, (d->nwarn + 1) * sizeof *g);
    if (!g)
        return -1;
    d->warn = g;
    if (!(d->warn[d->nwarn] = dup_str(buf)))
        return -1;
    d->nwarn++;
    return 0;
}

void trace_diff_free(trace_diff_t *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->m[i].component);
        free(d->m[i].metric);
    }
    free(d->m);
    for (size_t i = 0; i < d->nparams; i++) {
        free(d->params[i].component);
        free(d->params[i].name);
        free(d->params[i].a);
        free(d->params[i].b);
    }
    free(d->params);
    for (size_t i = 0; i < d->nwarn; i++)
        free(d->warn[i]);
    free(d->warn);
    memset(d, 0, sizeof *d);
}

/* every (component, parameter, value) of a run, sorted by component and name */
typedef struct param_rows {
    char **comp, **name, **value;
    size_t n, cap;
} param_rows_t;

static void param_rows_free(param_rows_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->comp[i]);
        free(r->name[i]);
        free(r->value[i]);
    }
    free(r->comp);
    free(r->name);
    free(r->value);
}

static int param_rows_read(trace_db_t *db, param_rows_t *r)
{
    sqlite3_stmt *st = NULL;
    /* params is a flat JSON object of strings (sim/trace.c); other text is skipped */
    int rc = sqlite3_prepare_v2(db->sql,
                                "SELECT c.name, j.key, CAST(j.value AS TEXT) FROM components c,"
                                " json_each(CASE WHEN json_valid(c.params) THEN c.params"
                                " ELSE '{}' END) j ORDER BY c.name, j.key",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return set_err(db, TRACE_DB_ERR_SQL, "%s: reading the parameters: %s", db->path,
                       sqlite3_errmsg(db->sql));
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->n == r->cap) {
            size_t nc = r->cap ? 2 * r->cap : 64;
            char **c = realloc(r->comp, nc * sizeof *c),
                 **k = c ? realloc(r->name, nc * sizeof *k) : NULL,
                 **v = k ? realloc(r->value, nc * sizeof *v) : NULL;
            if (c)
                r->comp = c;
            if (k)
                r->name = k;
            if (!v)
                break;
            r->value = v;
            r->cap = nc;
        }
        const char *t[3];
        for (int i = 0; i < 3; i++)
            t[i] = (const char *)sqlite3_column_text(st, i);
        r->comp[r->n] = dup_str(t[0] ? t[0] : "");
        r->name[r->n] = dup_str(t[1] ? t[1] : "");
        r->value[r->n] = dup_str(t[2] ? t[2] : "");
        r->n++;
        if (!r->comp[r->n - 1] || !r->name[r->n - 1] || !r->value[r->n - 1])
            break;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return set_err(db, TRACE_DB_ERR_NOMEM, "out of memory");
    return 0;
}

static int param_push(trace_diff_t *d, const char *comp, const char *name, const char *a,
                      const char *b, size_t *cap)
{
    if (d->nparams == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        trace_diff_param_t *g = realloc(d->params, nc * sizeof *g);
        if (!g)
            return -1;
        d->params = g;
        *cap = nc;
    }
    trace_diff_param_t *p = &d->params[d->nparams++];
    p->component = dup_str(comp);
    p->name = dup_str(name);
    p->a = dup_str(a);
    p->b = dup_str(b);
    return p->component && p->name && (!a || p->a) && (!b || p->b) ? 0 : -1;
}

/* the parameters that differ, merged from both runs' sorted lists */
static int diff_params(trace_diff_t *d, trace_db_t *a, trace_db_t *b)
{
    param_rows_t ra = {0}, rb = {0};
    int rc = param_rows_read(a, &ra);
    if (!rc && (rc = param_rows_read(b, &rb)))
        set_err(a, rc, "%s", b->err);
    size_t i = 0, j = 0, cap = 0;
    while (!rc && (i < ra.n || j < rb.n)) {
        int c = i == ra.n ? 1 : j == rb.n ? -1 : strcmp(ra.comp[i], rb.comp[j]);
        if (!c)
            c = strcmp(ra.name[i], rb.name[j]);
        if (c < 0)
            rc = param_push(d, ra.comp[i], ra.name[i], ra.value[i], NULL, &cap), i++;
        else if (c > 0)
            rc = param_push(d, rb.comp[j], rb.name[j], NULL, rb.value[j], &cap), j++;
        else {
            if (strcmp(ra.value[i], rb.value[j]))
                rc = param_push(d, ra.comp[i], ra.name[i], ra.value[i], rb.value[j], &cap);
            i++, j++;
        }
        if (rc)
            rc = set_err(a, TRACE_DB_ERR_NOMEM, "out of memory");
    }
    param_rows_free(&ra);
    param_rows_free(&rb);
    return rc;
}

static int diff_warnings(trace_diff_t *d, trace_db_t *a, const trace_summary_t *sa, trace_db_t *b,
                         const trace_summary_t *sb)
{
    const trace_summary_t *ss[2] = {sa, sb};
    trace_db_t *dbs[2] = {a, b};
    for (int i = 0; i < 2; i++)
        if (strcmp(ss[i]->run.status, "complete") &&
            warn_push(d, "%s: run is %s (status '%s'); its figures stop where it stopped",
                      dbs[i]->path, trace_run_status_text(&ss[i]->run), ss[i]->run.status))
            return -1;
    const char *ha = sa->run.config_hash ? sa->run.config_hash : "";
    const char *hb = sb->run.config_hash ? sb->run.config_hash : "";
    if (strcmp(ha, hb) &&
        warn_push(d, "config hashes differ (%s vs %s): expected when comparing two configurations",
                  *ha ? ha : "none", *hb ? hb : "none"))
        return -1;
    if (sa->run.has_seed && sb->run.has_seed && sa->run.seed != sb->run.seed &&
        warn_push(d, "seeds differ (%" PRIu64 " vs %" PRIu64 "): random draws differ too",
                  sa->run.seed, sb->run.seed))
        return -1;
    return 0;
}

int trace_diff(trace_db_t *a, trace_db_t *b, double tolerance, trace_diff_t *d)
{
    memset(d, 0, sizeof *d);
    if (!(tolerance >= 0) || !isfinite(tolerance))
        return set_err(a, TRACE_DB_ERR_ARG, "tolerance must be a finite number >= 0");
    d->tolerance = tolerance;
    trace_summary_t sa, sb;
    int rc = trace_db_summary(a, &sa);
    if (rc)
        return rc;
    rc = trace_db_summary(b, &sb);
    if (rc) {
        trace_summary_free(&sa);
        set_err(a, rc, "%s", b->err);
        return rc;
    }
    metric_list_t l = {0};
    const void **pa = NULL, **pb = NULL;
    if (diff_warnings(d, a, &sa, b, &sb))
        goto nomem;
    /* run-level */
    if (metric_push(&l, TRACE_DIFF_RUN, NULL, "end_time_ps", sa.run.end_time_ps >= 0,
                    (double)sa.run.end_time_ps, sb.run.end_time_ps >= 0, (double)sb.run.end_time_ps,
                    tolerance) ||
        metric_push(&l, TRACE_DIFF_RUN, NULL, "energy_pj", 1, sa.energy_pj, 1, sb.energy_pj,
                    tolerance) ||
        metric_push(&l, TRACE_DIFF_RUN, NULL, "events_handled", sa.run.events_handled >= 0,
                    (double)sa.run.events_handled, sb.run.events_handled >= 0,
                    (double)sb.run.events_handled, tolerance))
        goto nomem;
    /* components matched by name, links by their endpoints */
    pa = sorted_ptrs(sa.comps, sa.ncomps, sizeof *sa.comps, comp_ptr_cmp_name);
    pb = sorted_ptrs(sb.comps, sb.ncomps, sizeof *sb.comps, comp_ptr_cmp_name);
    if (!pa || !pb ||
        diff_merge(&l, pa, sa.ncomps, pb, sb.ncomps, comp_ptr_cmp_name, each_component, tolerance))
        goto nomem;
    free(pa);
    free(pb);
    pa = sorted_ptrs(sa.links, sa.nlinks, sizeof *sa.links, link_ptr_cmp_key);
    pb = sorted_ptrs(sb.links, sb.nlinks, sizeof *sb.links, link_ptr_cmp_key);
    if (!pa || !pb ||
        diff_merge(&l, pa, sa.nlinks, pb, sb.nlinks, link_ptr_cmp_key, each_link, tolerance))
        goto nomem;
    free(pa);
    free(pb);
    trace_summary_free(&sa);
    trace_summary_free(&sb);
    if (l.n)
        qsort(l.m, l.n, sizeof *l.m, metric_cmp);
    d->m = l.m;
    d->n = l.n;
    for (size_t k = 0; k < l.n; k++)
        if (l.m[k].changed) {
            if (!d->nchanged++ || sort_size(&l.m[k]) > sort_size(&l.m[d->largest]))
                d->largest = k;
        }
    if ((rc = diff_params(d, a, b))) {
        trace_diff_free(d);
        return rc;
    }
    return 0;
nomem:
    free(pa);
    free(pb);
    trace_summary_free(&sa);
    trace_summary_free(&sb);
    d->m = l.m;
    d->n = l.n;
    trace_diff_free(d);
    return set_err(a, TRACE_DB_ERR_NOMEM, "out of memory");
}

/* ---- Perfetto export ---------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* A double as the shortest of %.15g / %.17g that reads back the same; null for NaN/inf. */
static void json_num(FILE *f, double v)
{
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, f);
}

/* ps as microseconds, exactly: 1234567 ps -> 1.234567 */
static void json_us(FILE *f, int64_t ps)
{
    uint64_t mag = ps < 0 ? (uint64_t)0 - (uint64_t)ps : (uint64_t)ps;
    fprintf(f, "%s%" PRIu64 ".%06" PRIu64, ps < 0 ? "-" : "", mag / 1000000u, mag % 1000000u);
}

/* a + b and a * b clamped to the int64 range: a trace is input, and a
 * duration_ps or comp_id near 2^63 must not overflow (undefined in C) */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
    return r;
}

/* Tracks of one component: lane 0 is the component's own tid; lane k > 0
 * gets a fresh tid. `end` is where the last slice of each lane ends. */
#define LANE_SORT_STRIDE 4096
typedef struct export_comp_lanes {
    int64_t comp;
    char *name;
    int64_t *end, *tid;
    size_t n, cap;
} export_comp_lanes_t;

typedef struct export_lanes {
    export_comp_lanes_t *c;
    size_t n, cap;
    int64_t next_tid; /* above every component id */
    uint64_t extra;   /* tracks beyond one per component */
} export_lanes_t;

static void lanes_free(export_lanes_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->c[i].name);
        free(l->c[i].end);
        free(l->c[i].tid);
    }
    free(l->c);
    memset(l, 0, sizeof *l);
}

static int lanes_add_comp(export_lanes_t *l, int64_t comp, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        export_comp_lanes_t *g = realloc(l->c, cap * sizeof *g);
        if (!g)
            return -1;
        l->c = g;
        l->cap = cap;
    }
    export_comp_lanes_t *c = &l->c[l->n++];
    memset(c, 0, sizeof *c);
    c->comp = comp;
    c->name = strdup(name ? name : "?");
    if (comp >= l->next_tid)
        l->next_tid = sat_add(comp, 1);
    return c->name ? 0 : -1;
}

static export_comp_lanes_t *lanes_find(export_lanes_t *l, int64_t comp)
{
    size_t lo = 0, hi = l->n; /* components come in comp_id order */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->c[mid].comp < comp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->n && l->c[lo].comp == comp ? &l->c[lo] : NULL;
}

/* The first lane of `comp` free at `start` (slices come in start order). */
static int lanes_place(export_lanes_t *l, int64_t comp, int64_t start, int64_t dur, int64_t *tid,
                       int *is_new)
{
    *is_new = 0;
    *tid = comp;
    export_comp_lanes_t *c = lanes_find(l, comp);
    if (!c)
        return 0; /* a row of a component not in the table: its own track */
    size_t k = 0;
    while (k < c->n && c->end[k] > start)
        k++;
    if (k == c->n) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? 2 * c->cap : 4;
            int64_t *e = realloc(c->end, cap * sizeof *e);
            if (!e)
                return -1;
            c->end = e;
            int64_t *t = realloc(c->tid, cap * sizeof *t);
            if (!t)
                return -1;
            c->tid = t;
            c->cap = cap;
        }
        c->tid[k] = k ? l->next_tid : comp;
        if (k)
            l->next_tid = sat_add(l->next_tid, 1);
        c->n++;
        if (k) {
            *is_new = 1;
            l->extra++;
        }
    }
    c->end[k] = sat_add(start, dur);
    *tid = c->tid[k];
    return 0;
}

static void lanes_meta(export_lanes_t *l, FILE *out, int64_t pid, int64_t comp, int64_t tid)
{
    export_comp_lanes_t *c = lanes_find(l, comp);
    char label[300];
    snprintf(label, sizeof label, "%s #%zu", c ? c->name : "?", c ? c->n : 0);
    fprintf(out,
            ",\n{\"ph\":\"M\",\"pid\":%" PRId64 ",\"tid\":%" PRId64
            ",\"name\":\"thread_name\",\"args\":{\"name\":",
            pid, tid);
    json_str(out, label);
    fprintf(out,
            "}},\n{\"ph\":\"M\",\"pid\":%" PRId64 ",\"tid\":%" PRId64
            ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%" PRId64 "}}",
            pid, tid, sat_add(sat_mul(comp, LANE_SORT_STRIDE), (int64_t)(c ? c->n - 1 : 0)));
}

/* Messages in flight: a send row (kind 2) waits, keyed by where and when it
 * arrives (arrival time, op, op_id), for its delivery row (kind 1). */
typedef struct flow_slot {
    int64_t arrive, op, op_id, bytes;
    uint64_t id;
    int state; /* 0 empty, 1 live, 2 gone */
} flow_slot_t;

typedef struct flow_map {
    flow_slot_t *s;
    size_t cap, used; /* used counts live and gone slots */
} flow_map_t;

static size_t flow_hash(int64_t arrive, int64_t op, int64_t op_id, size_t cap)
{
    uint64_t h = (uint64_t)arrive * 0x9e3779b97f4a7c15ull ^ (uint64_t)op * 0xc2b2ae3d27d4eb4full ^
                 (uint64_t)op_id * 0x165667b19e3779f9ull;
    h ^= h >> 29;
    return (size_t)(h & (cap - 1));
}

static int flow_put(flow_map_t *m, int64_t arrive, int64_t op, int64_t op_id, int64_t bytes,
                    uint64_t id)
{
    if (2 * (m->used + 1) > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 1024;
        size_t live = 0;
        for (size_t i = 0; i < m->cap; i++)
            live += m->s[i].state == 1;
        if (4 * (live + 1) < m->cap)
            cap = m->cap; /* mostly gone slots: rebuild at the same size */
        flow_slot_t *n = calloc(cap, sizeof *n);
        if (!n)
            return -1;
        for (size_t i = 0; i < m->cap; i++)
            if (m->s[i].state == 1) {
                size_t j = flow_hash(m->s[i].arrive, m->s[i].op, m->s[i].op_id, cap);
                while (n[j].state)
                    j = (j + 1) & (cap - 1);
                n[j] = m->s[i];
            }
        free(m->s);
        m->s = n;
        m->cap = cap;
        m->used = live;
    }
    size_t j = flow_hash(arrive, op, op_id, m->cap);
    while (m->s[j].state == 1)
        j = (j + 1) & (m->cap - 1);
    if (m->s[j].state == 0)
        m->used++;
    m->s[j] = (flow_slot_t){arrive, op, op_id, bytes, id, 1};
    return 0;
}

/* The earliest-sent live message arriving then; NULL when none. */
static flow_slot_t *flow_take(flow_map_t *m, int64_t arrive, int64_t op, int64_t op_id)
{
    if (!m->cap)
        return NULL;
    flow_slot_t *best = NULL;
    for (size_t j = flow_hash(arrive, op, op_id, m->cap); m->s[j].state; j = (j + 1) & (m->cap - 1))
        if (m->s[j].state == 1 && m->s[j].arrive == arrive && m->s[j].op == op &&
            m->s[j].op_id == op_id && (!best || m->s[j].id < best->id))
            best = &m->s[j];
    if (best)
        best->state = 2;
    return best;
}

static void flow_event(FILE *out, char ph, uint64_t id, int64_t pid, int64_t tid, int64_t t,
                       const char *name)
{
    fprintf(out,
            ",\n{\"ph\":\"%c\",%s\"id\":%" PRIu64 ",\"pid\":%" PRId64 ",\"tid\":%" PRId64
            ",\"ts\":",
            ph, ph == 'f' ? "\"bp\":\"e\"," : "", id, pid, tid);
    json_us(out, t);
    fputs(",\"name\":", out);
    json_str(out, name);
    fputs(",\"cat\":\"message\"}", out);
}

int trace_export_perfetto(trace_db_t *db, FILE *out, const trace_export_opts_t *opts,
                          trace_export_stats_t *stats)
{
    trace_export_opts_t o = {0};
    if (opts)
        o = *opts;
    trace_export_stats_t local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (o.to_ps && o.to_ps <= o.from_ps)
        return set_err(db, TRACE_DB_ERR_ARG,
                       "the window is empty (--to %" PRIu64 " <= --from %" PRIu64 ")", o.to_ps,
                       o.from_ps);
    if (o.from_ps > INT64_MAX || o.to_ps > INT64_MAX)
        return set_err(db, TRACE_DB_ERR_ARG, "window bound beyond the trace's time range");
    trace_run_t run;
    int rc = trace_db_run(db, &run);
    if (rc)
        return rc;
    int64_t pid = run.run_id;

    fputs("{\"traceEvents\":[\n", out);
    fprintf(out,
            "{\"ph\":\"M\",\"pid\":%" PRId64
            ",\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":",
            pid);
    {
        char label[512];
        snprintf(label, sizeof label, "prism run %" PRId64 "%s%s (%s)", pid,
                 run.config_path ? ": " : "", run.config_path ? run.config_path : "", run.status);
        json_str(out, label);
    }
    fputs("}}", out);
    stats->metadata_events++;
    trace_run_free(&run);

    /* one track per component; activities that overlap on a component go to
     * extra tracks (lanes) of it, so every track's slices nest */
    sqlite3_stmt *st = NULL;
    export_lanes_t lanes = {0};
    if (sqlite3_prepare_v2(db->sql, "SELECT comp_id, name FROM components ORDER BY comp_id", -1,
                           &st, NULL) != SQLITE_OK)
        return sql_err(db, "reading components");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t tid = sqlite3_column_int64(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (lanes_add_comp(&lanes, tid, name)) {
            sqlite3_finalize(st);
            lanes_free(&lanes);
            return set_err(db, TRACE_DB_ERR_NOMEM, "out of memory");
        }
        fprintf(out,
                ",\n{\"ph\":\"M\",\"pid\":%" PRId64 ",\"tid\":%" PRId64
                ",\"name\":\"thread_name\",\"args\":{\"name\":",
                pid, tid);
        json_str(out, name);
        fprintf(out,
                "}},\n{\"ph\":\"M\",\"pid\":%" PRId64 ",\"tid\":%" PRId64
                ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%" PRId64 "}}",
                pid, tid, sat_mul(tid, LANE_SORT_STRIDE));
        stats->metadata_events += 2;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        lanes_free(&lanes);
        return sql_err(db, "reading components");
    }

    /* kinds are optional names for the category; ops name the event */
    const char *sql =
        "SELECT e.time_ps, e.comp_id, e.duration_ps, e.bytes, e.energy_pj, e.op_id, e.op, e.kind, "
        "(SELECT name FROM ops WHERE ops.op = e.op), (SELECT name FROM kinds WHERE kinds.kind = "
        "e.kind) "
        "FROM events e WHERE e.time_ps < ?2 AND (e.time_ps >= ?1 OR e.time_ps + e.duration_ps > "
        "?1) "
        "ORDER BY e.time_ps, e.comp_id, e.rowid LIMIT ?3";
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
        lanes_free(&lanes); /* an events, ops or kinds table missing */
        return sql_err(db, "reading events");
    }
    sqlite3_bind_int64(st, 1, (int64_t)o.from_ps);
    sqlite3_bind_int64(st, 2, o.to_ps ? (int64_t)o.to_ps : INT64_MAX);
    sqlite3_bind_int64(
        st, 3,
        o.max_events ? (int64_t)(o.max_events > INT64_MAX - 1 ? INT64_MAX - 1 : o.max_events) + 1
                     : -1);
    uint64_t written = 0, flows_seen = 0;
    flow_map_t flows = {0};
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (o.max_events && written == o.max_events) {
            stats->truncated = 1;
            break;
        }
        int64_t t = sqlite3_column_int64(st, 0);
        int64_t tid = sqlite3_column_int64(st, 1);
        int64_t dur = sqlite3_column_int64(st, 2);
        const char *op_name = (const char *)sqlite3_column_text(st, 8);
        const char *kind_name = (const char *)sqlite3_column_text(st, 9);
        char op_buf[32], kind_buf[32];
        if (!op_name) {
            snprintf(op_buf, sizeof op_buf, "op%" PRId64, (int64_t)sqlite3_column_int64(st, 6));
            op_name = op_buf;
        }
        if (!kind_name) {
            snprintf(kind_buf, sizeof kind_buf, "kind%" PRId64,
                     (int64_t)sqlite3_column_int64(st, 7));
            kind_name = kind_buf;
        }
        int64_t kind = sqlite3_column_int64(st, 7), op = sqlite3_column_int64(st, 6);
        int64_t op_id =
            sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5);
        int64_t bytes = sqlite3_column_int64(st, 3);
        uint64_t flow_id = 0;
        char flow_ph = 0;
        if (kind == 2) { /* a send: an instant where it leaves, the start of an arrow */
            flow_id = ++flows_seen;
            flow_ph = 's';
            if (flow_put(&flows, sat_add(t, dur), op, op_id, bytes, flow_id)) {
                sqlite3_finalize(st);
                lanes_free(&lanes);
                free(flows.s);
                return set_err(db, TRACE_DB_ERR_NOMEM, "out of memory");
            }
            dur = 0;
        } else if (kind == 1) { /* a delivery: the end of its send's arrow, with its bytes */
            flow_slot_t *f = flow_take(&flows, t, op, op_id);
            if (f) {
                flow_id = f->id;
                flow_ph = 'f';
                bytes = f->bytes;
                stats->flows++;
            }
        }
        if (dur > 0) {
            int64_t lane_tid;
            int is_new;
            if (lanes_place(&lanes, tid, t, dur, &lane_tid, &is_new)) {
                sqlite3_finalize(st);
                lanes_free(&lanes);
                free(flows.s);
                return set_err(db, TRACE_DB_ERR_NOMEM, "out of memory");
            }
            if (is_new) {
                lanes_meta(&lanes, out, pid, tid, lane_tid);
                stats->metadata_events += 2;
            }
            tid = lane_tid;
        }
        fputs(",\n{\"ph\":", out);
        fputs(dur > 0 ? "\"X\"" : "\"i\",\"s\":\"t\"", out);
        fprintf(out, ",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":", pid, tid);
        json_us(out, t);
        if (dur > 0) {
            fputs(",\"dur\":", out);
            json_us(out, dur);
            stats->complete_events++;
        } else {
            stats->instant_events++;
        }
        fputs(",\"name\":", out);
        json_str(out, op_name);
        fputs(",\"cat\":", out);
        json_str(out, kind_name);
        fputs(",\"args\":{\"bytes\":", out);
        if (sqlite3_column_type(st, 3) == SQLITE_NULL)
            fputs("null", out);
        else
            fprintf(out, "%" PRId64, bytes);
        fputs(",\"energy_pj\":", out);
        json_num(out, col_real_or_nan(st, 4));
        fputs(",\"op_id\":", out);
        if (sqlite3_column_type(st, 5) == SQLITE_NULL)
            fputs("null", out);
        else
            fprintf(out, "%" PRId64, (int64_t)sqlite3_column_int64(st, 5));
        fputs("}}", out);
        if (flow_ph)
            flow_event(out, flow_ph, flow_id, pid, tid, t, op_name);
        written++;
    }
    sqlite3_finalize(st);
    stats->extra_tracks = lanes.extra;
    lanes_free(&lanes);
    free(flows.s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sql_err(db, "reading events");
    fputs("\n],\"displayTimeUnit\":\"ns\"}\n", out);
    if (fflush(out) != 0 || ferror(out))
        return set_err(db, TRACE_DB_ERR_IO, "writing the trace-event JSON failed: %s",
                       strerror(errno));
    return 0;
}
