/* The trace of a distributed run: every rank writes its rows to a file of
 * its own (PATH.rank<N>) with the op ids it interned; at the end rank 0
 * copies them into the run's database, each op id mapped through its name to
 * the id the sequential run gives it, rows ordered by (time, component, order
 * on the component's rank), and deletes the rank files. */
#include "sim/dist.h"
#include "sim/sim_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void sim_dist_trace_rank_path(char *buf, size_t n, const char *path, int rank)
{
    snprintf(buf, n, "%s.rank%d", path, rank);
}

static void remove_db(const char *path)
{
    char side[4200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static int sql_fail(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: merging the ranks' rows: %s", path, db ? sqlite3_errmsg(db) : "?");
    return -1;
}

/* SQLite attaches at most 10 databases by default: ranks go in groups, each
 * group's rows in one INSERT (one transaction). */
#define GROUP 8

/* ranks with keep[r] (NULL: all) are merged; every rank file is deleted */
static int64_t merge(const sim_t *s, const char *path, int nranks, const unsigned char *keep,
                     char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t rows = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sql_fail(db, path, err, errlen);
        goto out;
    }
    sqlite3_busy_timeout(db, 60000);
    if (sqlite3_exec(db,
                     "PRAGMA synchronous=OFF;"
                     "CREATE TEMP TABLE gops(op INTEGER PRIMARY KEY, name TEXT UNIQUE);",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO gops VALUES(?,?)", -1, &st, NULL) != SQLITE_OK) {
        sql_fail(db, path, err, errlen);
        goto out;
    }
    for (size_t i = 0; i < s->n_ops; i++) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
        sqlite3_bind_text(st, 2, s->op_names[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sql_fail(db, path, err, errlen);
            goto out;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    int64_t total = 0;
    for (int g = 0; g < nranks; g += GROUP) {
        int hi = g + GROUP < nranks ? g + GROUP : nranks, any = 0;
        char sql[8192];
        size_t len = 0;
        for (int r = g; r < hi; r++)
            any |= !keep || keep[r];
        if (!any)
            continue;
        for (int r = g; r < hi; r++) {
            if (keep && !keep[r])
                continue;
            char rp[4200], *q;
            sim_dist_trace_rank_path(rp, sizeof rp, path, r);
            q = sqlite3_mprintf("ATTACH %Q AS r%d", rp, r);
            int rc = sqlite3_exec(db, q, NULL, NULL, NULL);
            sqlite3_free(q);
            if (rc != SQLITE_OK) {
                sql_fail(db, path, err, errlen);
                goto out;
            }
        }
        len += (size_t)snprintf(sql + len, sizeof sql - len,
                                "INSERT INTO main.events SELECT time_ps, comp_id, kind, op,"
                                " duration_ps, bytes, energy_pj, op_id FROM (");
        int first = 1;
        for (int r = g; r < hi; r++) {
            if (keep && !keep[r])
                continue;
            len += (size_t)snprintf(
                sql + len, sizeof sql - len,
                "%sSELECT e.time_ps, e.comp_id, e.kind, gops.op AS op, e.duration_ps, e.bytes,"
                " e.energy_pj, e.op_id, e.rowid AS rid FROM r%d.events e"
                " JOIN r%d.ops o ON o.op = e.op JOIN gops ON gops.name = o.name",
                first ? "" : " UNION ALL ", r, r);
            first = 0;
        }
        snprintf(sql + len, sizeof sql - len, ") ORDER BY time_ps, comp_id, rid");
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            sql_fail(db, path, err, errlen);
            goto out;
        }
        total += sqlite3_changes(db);
        for (int r = g; r < hi; r++) {
            char q[32];
            if (keep && !keep[r])
                continue;
            snprintf(q, sizeof q, "DETACH r%d", r);
            sqlite3_exec(db, q, NULL, NULL, NULL);
        }
    }
    rows = total;
    for (int r = 0; r < nranks; r++) {
        char rp[4200];
        sim_dist_trace_rank_path(rp, sizeof rp, path, r);
        remove_db(rp);
    }
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
}

int64_t sim_dist_trace_merge(const sim_t *s, const char *path, int nranks, char *err, size_t errlen)
{
    return merge(s, path, nranks, NULL, err, errlen);
}

/* The op names of a rank file (written when its rank closed it) into s. */
static int adopt_ops(sim_t *s, const char *rp, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_open_v2(rp, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT name FROM ops ORDER BY op", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: reading the rank's op names: %s", rp,
                 db ? sqlite3_errmsg(db) : "?");
        rc = -1;
    }
    while (!rc && sqlite3_step(st) == SQLITE_ROW)
        if (sim_trace_op(sim_comp_at(s, 0), (const char *)sqlite3_column_text(st, 0)) < 0) {
            snprintf(err, errlen, "%s: too many op names", rp);
            rc = -1;
        }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

int64_t sim_dist_trace_merge_kept(sim_t *s, const char *path, int nranks, char *err, size_t errlen)
{
    unsigned char *keep = calloc((size_t)nranks, 1);
    if (!keep) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int64_t rows = 0;
    for (int r = 0; r < nranks && rows == 0; r++) {
        char rp[4200];
        sim_dist_trace_rank_path(rp, sizeof rp, path, r);
        keep[r] = sim_dist_rank_kept(s, r) && access(rp, F_OK) == 0;
        if (keep[r] && r != sim_dist_rank(s) && sim_comp_count(s) && adopt_ops(s, rp, err, errlen))
            rows = -1;
    }
    if (rows == 0)
        rows = merge(s, path, nranks, keep, err, errlen);
    free(keep);
    return rows;
}

int sim_dist_trace_commit_lead(sim_t *s, const char *path, int nranks, double wall_s, char *err,
                               size_t errlen)
{
    int64_t rows = sim_dist_trace_merge_kept(s, path, nranks, err, errlen);
    if (rows < 0)
        return -1;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 60000);
        rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO ops VALUES(?,?)", -1, &st, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < sim_op_count(s); i++) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
        sqlite3_bind_text(st, 2, sim_op_name(s, (int)i), -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    char end[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(end, sizeof end, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db,
                                "UPDATE runs SET end_wall=?, status='failed', end_time_ps=?,"
                                " events_handled=?, trace_rows=(SELECT count(*) FROM events),"
                                " wall_s=?, message=? WHERE run_id=(SELECT max(run_id) FROM runs)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, end, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)sim_now(s));
        sqlite3_bind_int64(st, 3, (sqlite3_int64)sim_events_handled(s));
        sqlite3_bind_double(st, 4, wall_s);
        sqlite3_bind_text(st, 5, sim_errmsg(s), -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sql_fail(db, path, err, errlen);
        sqlite3_close(db);
        return -1;
    }
    sqlite3_close(db);
    return 0;
}

/* The run row's ending before the slow part of a distributed end (closing
 * the rank files, merging them): a lead rank stopped meanwhile (mpirun kills
 * the ranks 1 s after it passed them a SIGTERM, by default) leaves a trace
 * that says how the run ended, not `running`. */
int sim_dist_trace_mark(const char *path, const char *status, const char *message, char *err,
                        size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 60000);
        rc = sqlite3_prepare_v2(db,
                                "UPDATE runs SET status=?, message=?, trace_rows=0"
                                " WHERE run_id=(SELECT max(run_id) FROM runs)",
                                -1, &st, NULL);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, message, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        snprintf(err, errlen, "%s: marking the run's ending: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

void sim_dist_trace_remove(const char *path, int rank)
{
    char rp[4200];
    sim_dist_trace_rank_path(rp, sizeof rp, path, rank);
    remove_db(rp);
}
