/* The SQLite trace writer. The engine hands rows to trace_row (on the
 * simulation thread); they fill one of two buffers, and a writer thread
 * inserts the other with a prepared statement inside one transaction per
 * batch. WAL mode and a committed `running` run row mean that a run killed at
 * any point leaves a consistent database that says it did not complete. */
#include "sim/trace.h"

#include <fnmatch.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PRISM_GIT_COMMIT
#define PRISM_GIT_COMMIT "unknown"
#endif

static const char *SCHEMA =
    "PRAGMA page_size=65536;PRAGMA journal_mode=WAL;PRAGMA wal_autocheckpoint=0;"
    "PRAGMA synchronous=OFF;"   /* WAL + OFF: safe against a killed process, not power loss */
    "PRAGMA cache_size=-65536;"
    "CREATE TABLE runs(run_id INTEGER PRIMARY KEY, prism_version TEXT, git_commit TEXT,"
    " config_path TEXT, config_text TEXT, config_hash TEXT, seed INTEGER, workload TEXT,"
    " argv TEXT, start_wall TEXT, end_wall TEXT, status TEXT NOT NULL, end_time_ps INTEGER,"
    " events_handled INTEGER, trace_rows INTEGER, wall_s REAL, message TEXT);"
    "CREATE TABLE clocks(name TEXT PRIMARY KEY, freq_hz REAL, period_ps INTEGER);"
    "CREATE TABLE components(comp_id INTEGER PRIMARY KEY, name TEXT UNIQUE, model TEXT,"
    " clock TEXT, params TEXT);"
    "CREATE TABLE links(link_id INTEGER PRIMARY KEY, src TEXT, dst TEXT, src_comp INTEGER,"
    " dst_comp INTEGER, latency_ps INTEGER, bandwidth_gbps REAL, messages INTEGER,"
    " bytes INTEGER, busy_ps INTEGER);"
    "CREATE TABLE ops(op INTEGER PRIMARY KEY, name TEXT);"
    "CREATE TABLE kinds(kind INTEGER PRIMARY KEY, name TEXT);"
    "INSERT INTO kinds VALUES(0,'activity'),(1,'message');"
    "CREATE TABLE events(time_ps INTEGER, comp_id INTEGER, kind INTEGER, op INTEGER,"
    " duration_ps INTEGER, bytes INTEGER, energy_pj REAL, op_id INTEGER);"
    "CREATE TABLE stats(comp_id INTEGER, name TEXT, kind TEXT, unit TEXT, value REAL);"
    "CREATE VIEW event_log AS SELECT e.time_ps, c.name AS component, k.name AS kind,"
    " o.name AS operation, e.duration_ps, e.bytes, e.energy_pj, e.op_id FROM events e"
    " LEFT JOIN components c ON c.comp_id = e.comp_id LEFT JOIN kinds k ON k.kind = e.kind"
    " LEFT JOIN ops o ON o.op = e.op;"
    "CREATE VIEW component_summary AS SELECT c.comp_id, c.name, c.model,"
    " (SELECT value FROM stats s WHERE s.comp_id = c.comp_id AND s.name = 'busy_ps') AS busy_ps,"
    " (SELECT value FROM stats s WHERE s.comp_id = c.comp_id AND s.name = 'busy_ps')"
    "   / MAX((SELECT end_time_ps FROM runs LIMIT 1), 1) AS utilization,"
    " (SELECT value FROM stats s WHERE s.comp_id = c.comp_id AND s.name = 'energy.total')"
    "   AS energy_pj,"
    " (SELECT value FROM stats s WHERE s.comp_id = c.comp_id AND s.name = 'events') AS events"
    " FROM components c;"
    "CREATE VIEW utilization_windows AS SELECT e.comp_id, c.name AS component,"
    " MIN(99, e.time_ps * 100 / MAX(r.end_time_ps, 1)) AS window,"
    " MAX(r.end_time_ps, 1) / 100.0 AS window_ps, SUM(e.duration_ps) AS busy_ps,"
    " SUM(e.duration_ps) / MAX(r.end_time_ps / 100.0, 1) AS utilization"
    " FROM events e JOIN components c ON c.comp_id = e.comp_id, runs r"
    " WHERE e.kind = 0 GROUP BY e.comp_id, window;"
    "CREATE VIEW busiest_links AS SELECT l.link_id, l.src, l.dst, l.messages, l.bytes,"
    " l.busy_ps, l.busy_ps * 1.0 / MAX((SELECT end_time_ps FROM runs LIMIT 1), 1)"
    " AS utilization, l.latency_ps, l.bandwidth_gbps FROM links l"
    " ORDER BY l.busy_ps DESC, l.bytes DESC;"
    "CREATE VIEW energy_breakdown AS SELECT c.name AS component, c.model, s.name AS category,"
    " s.value AS energy_pj, s.value / NULLIF((SELECT SUM(value) FROM stats"
    " WHERE kind = 'energy'), 0) AS share FROM stats s JOIN components c"
    " ON c.comp_id = s.comp_id WHERE s.kind = 'energy' ORDER BY s.value DESC;"
    "CREATE VIEW critical_path AS WITH RECURSIVE"
    " act(rid, s, e) AS (SELECT rowid, time_ps, time_ps + duration_ps FROM events"
    "   WHERE kind = 0 AND duration_ps > 0),"
    " chain(step, rid, s, e) AS ("
    "   SELECT 0, rid, s, e FROM (SELECT rid, s, e FROM act ORDER BY e DESC, s ASC LIMIT 1)"
    "   UNION ALL"
    "   SELECT chain.step + 1, a.rid, a.s, a.e FROM chain JOIN act a ON a.rid ="
    "   (SELECT b.rid FROM act b WHERE b.e <= chain.s ORDER BY b.e DESC, b.s ASC LIMIT 1))"
    " SELECT chain.step, c.name AS component, o.name AS operation, chain.s AS start_ps,"
    " chain.e - chain.s AS duration_ps, ev.op_id FROM chain JOIN events ev ON ev.rowid = chain.rid"
    " LEFT JOIN components c ON c.comp_id = ev.comp_id LEFT JOIN ops o ON o.op = ev.op;";

#define MAX_PATTERNS 16
#define ROWS_PER_INSERT 64

struct trace {
    sqlite3 *db;
    sqlite3_stmt *ins, *ins_many;
    char *path;
    char err[1024];
    trace_opts_t opts;
    sim_t *sim;
    /* filter */
    char *filter_text;
    const char *comp_pat[MAX_PATTERNS];
    int n_comp_pat;
    const char *op_pat[MAX_PATTERNS];
    int n_op_pat;
    int kind; /* -1 any */
    sim_time_t from, to;
    uint64_t sample_every, sample_count;
    /* double buffer */
    sim_trace_row_t *buf[2];
    size_t n[2], cap;
    int filling;
    int pending; /* buffer the writer must write, -1 none */
    int stop;
    int thread_started;
    int writer_rc;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t rows;
    int64_t run_id;
};

static int fail(trace_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(trace_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err, sizeof t->err, fmt, ap);
    va_end(ap);
    return SIM_ERR_IO;
}

const char *trace_errmsg(const trace_t *t) { return t ? t->err : "out of memory"; }
uint64_t trace_rows(const trace_t *t) { return t->rows; }

void trace_hash_hex(const void *data, size_t len, char out[17])
{
    uint64_t h = 0xcbf29ce484222325ull;
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static int split_patterns(char *list, const char **pat, int *n)
{
    char *save = NULL;
    for (char *tok = strtok_r(list, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
        if (*n >= MAX_PATTERNS)
            return -1;
        pat[(*n)++] = tok;
    }
    return 0;
}

static int parse_filter(trace_t *t, const char *spec)
{
    t->kind = -1;
    t->to = SIM_TIME_MAX;
    t->sample_every = 1;
    if (!spec || !*spec)
        return 0;
    t->filter_text = strdup(spec);
    if (!t->filter_text)
        return SIM_ERR_NOMEM;
    char *save = NULL;
    for (char *kv = strtok_r(t->filter_text, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return fail(t, "--trace-filter: '%s' is not key=value", kv);
        *eq = '\0';
        char *val = eq + 1;
        if (!strcmp(kv, "component")) {
            if (split_patterns(val, t->comp_pat, &t->n_comp_pat))
                return fail(t, "--trace-filter: too many component patterns (max %d)", MAX_PATTERNS);
        } else if (!strcmp(kv, "op")) {
            if (split_patterns(val, t->op_pat, &t->n_op_pat))
                return fail(t, "--trace-filter: too many op patterns (max %d)", MAX_PATTERNS);
        } else if (!strcmp(kv, "kind")) {
            if (!strcmp(val, "activity"))
                t->kind = 0;
            else if (!strcmp(val, "message"))
                t->kind = 1;
            else
                return fail(t, "--trace-filter: kind '%s' is not activity or message", val);
        } else if (!strcmp(kv, "from") || !strcmp(kv, "to")) {
            sim_time_t v;
            if (sim_parse_time(val, &v))
                return fail(t, "--trace-filter: %s '%s' is not a time (e.g. 10us)", kv, val);
            if (kv[0] == 'f')
                t->from = v;
            else
                t->to = v;
        } else if (!strcmp(kv, "sample")) {
            char *end;
            unsigned long long n = strtoull(val, &end, 10);
            if (*end || n == 0)
                return fail(t, "--trace-filter: sample '%s' must be a positive integer", val);
            t->sample_every = n;
        } else {
            return fail(t, "--trace-filter: unknown key '%s' (component, op, kind, from, to, sample)",
                        kv);
        }
    }
    return 0;
}

static int match_any(const char *const *pat, int n, const char *name)
{
    if (n == 0)
        return 1;
    for (int i = 0; i < n; i++)
        if (fnmatch(pat[i], name, 0) == 0)
            return 1;
    return 0;
}

static int trace_keep(void *ctx, uint32_t comp, const char *op)
{
    trace_t *t = ctx;
    if (op)
        return match_any(t->op_pat, t->n_op_pat, op);
    return match_any(t->comp_pat, t->n_comp_pat, sim_comp_name(sim_comp_at(t->sim, comp)));
}

static void bind_row(sqlite3_stmt *st, int base, const sim_trace_row_t *r)
{
    sqlite3_bind_int64(st, base + 1, (sqlite3_int64)r->time_ps);
    sqlite3_bind_int(st, base + 2, (int)r->comp);
    sqlite3_bind_int(st, base + 3, r->kind);
    sqlite3_bind_int(st, base + 4, r->op);
    sqlite3_bind_int64(st, base + 5, (sqlite3_int64)r->duration_ps);
    sqlite3_bind_int64(st, base + 6, (sqlite3_int64)r->bytes);
    sqlite3_bind_double(st, base + 7, r->energy_pj);
    if (r->op_id)
        sqlite3_bind_int64(st, base + 8, (sqlite3_int64)r->op_id);
    else
        sqlite3_bind_null(st, base + 8);
}

/* One transaction per batch; rows go in groups of ROWS_PER_INSERT through a
 * multi-row INSERT (fewer statement executions per row). */
static int write_batch(trace_t *t, const sim_trace_row_t *r, size_t n)
{
    if (sqlite3_exec(t->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    size_t i = 0;
    for (; i + ROWS_PER_INSERT <= n; i += ROWS_PER_INSERT) {
        for (int k = 0; k < ROWS_PER_INSERT; k++)
            bind_row(t->ins_many, 8 * k, &r[i + (size_t)k]);
        int rc = sqlite3_step(t->ins_many);
        sqlite3_reset(t->ins_many);
        if (rc != SQLITE_DONE)
            goto fail;
    }
    for (; i < n; i++) {
        bind_row(t->ins, 0, &r[i]);
        int rc = sqlite3_step(t->ins);
        sqlite3_reset(t->ins);
        if (rc != SQLITE_DONE)
            goto fail;
    }
    return sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
fail:
    sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static void *writer_main(void *arg)
{
    trace_t *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (t->pending < 0 && !t->stop)
            pthread_cond_wait(&t->cv, &t->mu);
        if (t->pending < 0 && t->stop)
            break;
        int idx = t->pending;
        pthread_mutex_unlock(&t->mu);
        int rc = write_batch(t, t->buf[idx], t->n[idx]);
        pthread_mutex_lock(&t->mu);
        if (rc && !t->writer_rc) {
            t->writer_rc = -1;
            snprintf(t->err, sizeof t->err, "%s: writing events failed: %s", t->path,
                     sqlite3_errmsg(t->db));
        }
        t->n[idx] = 0;
        t->pending = -1;
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* Hand the filling buffer to the writer (waiting while it is still busy). */
static void hand_off(trace_t *t)
{
    pthread_mutex_lock(&t->mu);
    while (t->pending >= 0)
        pthread_cond_wait(&t->cv, &t->mu);
    t->pending = t->filling;
    t->filling ^= 1;
    t->n[t->filling] = 0;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static void wait_idle(trace_t *t)
{
    pthread_mutex_lock(&t->mu);
    while (t->pending >= 0)
        pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
}

static void trace_row(void *ctx, const sim_trace_row_t *r)
{
    trace_t *t = ctx;
    if (r->time_ps < t->from || r->time_ps >= t->to || (t->kind >= 0 && r->kind != t->kind))
        return;
    if (t->sample_every > 1 && (t->sample_count++ % t->sample_every) != 0)
        return;
    int f = t->filling;
    t->buf[f][t->n[f]++] = *r;
    t->rows++;
    if (t->n[f] == t->cap)
        hand_off(t);
}

int trace_open(trace_t **out, const char *path, const trace_opts_t *opts, char *err, size_t errlen)
{
    *out = NULL;
    trace_t *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return SIM_ERR_NOMEM;
    }
    if (opts)
        t->opts = *opts;
    t->pending = -1;
    t->path = strdup(path);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    int rc = parse_filter(t, opts ? opts->filter : NULL);
    if (rc)
        goto fail_out;
    t->cap = t->opts.batch_rows ? t->opts.batch_rows : 65536;
    t->buf[0] = malloc(t->cap * sizeof(sim_trace_row_t));
    t->buf[1] = malloc(t->cap * sizeof(sim_trace_row_t));
    if (!t->buf[0] || !t->buf[1] || !t->path) {
        rc = fail(t, "out of memory");
        goto fail_out;
    }
    /* Replace an earlier trace, but never a file that is not a database. */
    FILE *f = fopen(path, "rb");
    if (f) {
        char magic[16] = {0};
        size_t got = fread(magic, 1, 16, f);
        fclose(f);
        if (got > 0 && (got < 16 || memcmp(magic, "SQLite format 3", 16) != 0)) {
            rc = fail(t, "%s: exists and is not an SQLite database; not overwriting it", path);
            goto fail_out;
        }
        char side[4096];
        unlink(path);
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
    }
    if (sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = fail(t, "%s: cannot create the trace database: %s", path,
                  t->db ? sqlite3_errmsg(t->db) : "out of memory");
        goto fail_out;
    }
    char *msg = NULL;
    if (sqlite3_exec(t->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK) {
        rc = fail(t, "%s: cannot create the schema: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        goto fail_out;
    }
    if (sqlite3_prepare_v2(t->db, "INSERT INTO events VALUES(?,?,?,?,?,?,?,?)", -1, &t->ins, NULL) !=
        SQLITE_OK) {
        rc = fail(t, "%s: %s", path, sqlite3_errmsg(t->db));
        goto fail_out;
    }
    {
        char sql[ROWS_PER_INSERT * 20 + 64];
        size_t len = (size_t)snprintf(sql, sizeof sql, "INSERT INTO events VALUES");
        for (int k = 0; k < ROWS_PER_INSERT; k++)
            len += (size_t)snprintf(sql + len, sizeof sql - len, "%s(?,?,?,?,?,?,?,?)", k ? "," : "");
        if (sqlite3_prepare_v2(t->db, sql, -1, &t->ins_many, NULL) != SQLITE_OK) {
            rc = fail(t, "%s: %s", path, sqlite3_errmsg(t->db));
            goto fail_out;
        }
    }
    *out = t;
    return 0;
fail_out:
    snprintf(err, errlen, "%s", t->err);
    trace_close(t);
    return rc ? rc : SIM_ERR_IO;
}

static void iso_now(char *buf, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int exec_ok(trace_t *t, int rc)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE)
        return fail(t, "%s: %s", t->path, sqlite3_errmsg(t->db));
    return 0;
}

/* Parameters as a JSON object of strings (values are the resolved text). */
static char *params_json(const sim_params_t *p)
{
    size_t cap = 64, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    len += (size_t)snprintf(s, cap, "{");
    for (size_t i = 0; i < sim_params_count(p); i++) {
        const char *name = sim_params_def(p, i)->name, *v = sim_params_text(p, i);
        size_t need = len + strlen(name) + 2 * strlen(v) + 16;
        if (need > cap) {
            while (cap < need)
                cap *= 2;
            char *s2 = realloc(s, cap);
            if (!s2) {
                free(s);
                return NULL;
            }
            s = s2;
        }
        len += (size_t)snprintf(s + len, cap - len, "%s\"%s\":\"", i ? "," : "", name);
        for (const char *c = v; *c; c++) {
            if (*c == '"' || *c == '\\')
                s[len++] = '\\';
            s[len++] = *c;
        }
        len += (size_t)snprintf(s + len, cap - len, "\"");
    }
    snprintf(s + len, cap - len, "}");
    return s;
}

int trace_begin_run(trace_t *t, sim_t *s, const trace_run_info_t *info)
{
    t->sim = s;
    char start[64], hash[17] = "";
    iso_now(start, sizeof start);
    const char *text = info && info->config_text ? info->config_text : "";
    trace_hash_hex(text, strlen(text), hash);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    sqlite3_exec(t->db, "BEGIN", NULL, NULL, NULL);
    rc = exec_ok(t, sqlite3_prepare_v2(t->db,
                                       "INSERT INTO runs(prism_version, git_commit, config_path,"
                                       " config_text, config_hash, seed, workload, argv,"
                                       " start_wall, status) VALUES(?,?,?,?,?,?,?,?,?,'running')",
                                       -1, &st, NULL));
    if (rc)
        goto out;
    sqlite3_bind_text(st, 1, PRISM_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, PRISM_GIT_COMMIT, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, info && info->config_path ? info->config_path : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)sim_seed(s));
    if (info && info->workload)
        sqlite3_bind_text(st, 7, info->workload, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 7);
    sqlite3_bind_text(st, 8, info && info->argv ? info->argv : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, start, -1, SQLITE_TRANSIENT);
    rc = exec_ok(t, sqlite3_step(st));
    sqlite3_finalize(st);
    st = NULL;
    if (rc)
        goto out;
    t->run_id = sqlite3_last_insert_rowid(t->db);

    rc = exec_ok(t, sqlite3_prepare_v2(t->db, "INSERT INTO clocks VALUES(?,?,?)", -1, &st, NULL));
    for (size_t i = 0; !rc && i < sim_clock_count(s); i++) {
        sqlite3_bind_text(st, 1, sim_clock_name(s, (int)i), -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 2, sim_clock_freq_hz(s, (int)i));
        sqlite3_bind_int64(st, 3, (sqlite3_int64)sim_clock_period_ps(s, (int)i));
        rc = exec_ok(t, sqlite3_step(st));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc)
        goto out;
    rc = exec_ok(t, sqlite3_prepare_v2(t->db, "INSERT INTO components VALUES(?,?,?,?,?)", -1, &st,
                                       NULL));
    for (size_t i = 0; !rc && i < sim_comp_count(s); i++) {
        sim_comp_t *c = sim_comp_at(s, i);
        char *pj = params_json(sim_comp_params(c));
        sqlite3_bind_int(st, 1, (int)i);
        sqlite3_bind_text(st, 2, sim_comp_name(c), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, sim_comp_model(c), -1, SQLITE_TRANSIENT);
        const char *clk = sim_clock_name(s, sim_comp_clock(c));
        if (clk)
            sqlite3_bind_text(st, 4, clk, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 4);
        sqlite3_bind_text(st, 5, pj ? pj : "{}", -1, SQLITE_TRANSIENT);
        free(pj);
        rc = exec_ok(t, sqlite3_step(st));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
out:
    if (rc) {
        sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return fail(t, "%s: %s", t->path, sqlite3_errmsg(t->db));
    if (pthread_create(&t->thread, NULL, writer_main, t) != 0)
        return fail(t, "%s: cannot start the writer thread", t->path);
    t->thread_started = 1;
    sim_trace_sink_t sink = {t, trace_row, trace_keep};
    sim_set_trace_sink(s, &sink);
    sim_set_trace_messages(s, t->opts.messages);
    return 0;
}

static void stop_writer(trace_t *t)
{
    if (!t->thread_started)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = 1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    t->thread_started = 0;
}

static int insert_stat(trace_t *t, sqlite3_stmt *st, int comp, const char *name, const char *kind,
                       const char *unit, double v)
{
    sqlite3_bind_int(st, 1, comp);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, unit, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 5, v);
    int rc = exec_ok(t, sqlite3_step(st));
    sqlite3_reset(st);
    return rc;
}

int trace_end_run(trace_t *t, sim_t *s, const char *status, const char *message, double wall_s)
{
    /* flush what is buffered, then stop the writer */
    if (t->thread_started) {
        if (t->n[t->filling])
            hand_off(t);
        wait_idle(t);
        stop_writer(t);
    }
    sim_set_trace_sink(s, NULL);
    if (t->writer_rc)
        status = "failed";
    int rc = 0;
    sqlite3_stmt *st = NULL;
    sqlite3_exec(t->db, "BEGIN", NULL, NULL, NULL);
    rc = exec_ok(t, sqlite3_prepare_v2(t->db, "INSERT INTO ops VALUES(?,?)", -1, &st, NULL));
    for (size_t i = 0; !rc && i < sim_op_count(s); i++) {
        sqlite3_bind_int(st, 1, (int)i);
        sqlite3_bind_text(st, 2, sim_op_name(s, (int)i), -1, SQLITE_TRANSIENT);
        rc = exec_ok(t, sqlite3_step(st));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!rc)
        rc = exec_ok(t, sqlite3_prepare_v2(t->db, "INSERT INTO links VALUES(?,?,?,?,?,?,?,?,?,?)",
                                           -1, &st, NULL));
    for (size_t i = 0; !rc && i < sim_link_count(s); i++) {
        sim_link_info_t li;
        sim_link_get(s, i, &li);
        sqlite3_bind_int(st, 1, (int)i);
        sqlite3_bind_text(st, 2, li.from, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, li.to, -1, SQLITE_TRANSIENT);
        char cname[256];
        const char *dot = strrchr(li.from, '.');
        snprintf(cname, sizeof cname, "%.*s", (int)(dot - li.from), li.from);
        sqlite3_bind_int(st, 4, (int)sim_comp_id(sim_comp_find(s, cname)));
        dot = strrchr(li.to, '.');
        snprintf(cname, sizeof cname, "%.*s", (int)(dot - li.to), li.to);
        sqlite3_bind_int(st, 5, (int)sim_comp_id(sim_comp_find(s, cname)));
        sqlite3_bind_int64(st, 6, (sqlite3_int64)li.latency_ps);
        sqlite3_bind_double(st, 7, li.bandwidth_gbps);
        sqlite3_bind_int64(st, 8, (sqlite3_int64)li.messages);
        sqlite3_bind_int64(st, 9, (sqlite3_int64)li.bytes);
        sqlite3_bind_int64(st, 10, (sqlite3_int64)li.busy_ps);
        rc = exec_ok(t, sqlite3_step(st));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!rc)
        rc = exec_ok(t, sqlite3_prepare_v2(t->db, "INSERT INTO stats VALUES(?,?,?,?,?)", -1, &st,
                                           NULL));
    static const char *kinds[] = {"count", "energy", "value"};
    for (size_t i = 0; !rc && i < sim_comp_count(s); i++) {
        sim_comp_t *c = sim_comp_at(s, i);
        for (size_t k = 0; !rc && k < sim_stat_count(c); k++)
            rc = insert_stat(t, st, (int)i, sim_stat_name(c, k), kinds[sim_stat_kind(c, k)],
                             sim_stat_unit(c, k), sim_stat_value(c, k));
        if (!rc)
            rc = insert_stat(t, st, (int)i, "busy_ps", "value", "ps", (double)sim_busy_ps(c));
        if (!rc)
            rc = insert_stat(t, st, (int)i, "energy.static", "energy", "pJ",
                             sim_static_energy_pj(c));
        if (!rc)
            rc = insert_stat(t, st, (int)i, "energy.total", "value", "pJ", sim_energy_pj(c));
        if (!rc)
            rc = insert_stat(t, st, (int)i, "events", "count", "", (double)sim_comp_events(c));
    }
    sqlite3_finalize(st);
    st = NULL;
    char end[64];
    iso_now(end, sizeof end);
    if (!rc)
        rc = exec_ok(t, sqlite3_prepare_v2(t->db,
                                           "UPDATE runs SET end_wall=?, status=?, end_time_ps=?,"
                                           " events_handled=?, trace_rows=?, wall_s=?, message=?"
                                           " WHERE run_id=?",
                                           -1, &st, NULL));
    if (!rc) {
        sqlite3_bind_text(st, 1, end, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, status, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)sim_end_ps(s));
        sqlite3_bind_int64(st, 4, (sqlite3_int64)sim_events_handled(s));
        sqlite3_bind_int64(st, 5, (sqlite3_int64)t->rows);
        sqlite3_bind_double(st, 6, wall_s);
        if (t->writer_rc)
            message = t->err;
        if (message)
            sqlite3_bind_text(st, 7, message, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 7);
        sqlite3_bind_int64(st, 8, t->run_id);
        rc = exec_ok(t, sqlite3_step(st));
    }
    sqlite3_finalize(st);
    if (rc) {
        sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return fail(t, "%s: %s", t->path, sqlite3_errmsg(t->db));
    if (t->opts.index)
        sqlite3_exec(t->db,
                     "CREATE INDEX events_comp_time ON events(comp_id, time_ps);"
                     "CREATE INDEX events_op_id ON events(op_id);",
                     NULL, NULL, NULL);
    return t->writer_rc ? SIM_ERR_IO : 0;
}

void trace_close(trace_t *t)
{
    if (!t)
        return;
    stop_writer(t);
    if (t->ins)
        sqlite3_finalize(t->ins);
    if (t->ins_many)
        sqlite3_finalize(t->ins_many);
    if (t->db) {
        sqlite3_exec(t->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        sqlite3_close(t->db);
    }
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t->buf[0]);
    free(t->buf[1]);
    free(t->filter_text);
    free(t->path);
    free(t);
}
