/* After a schedule ran with --trace: the schedule's view of the run into the
 * trace DB, so every activity links to its op, its layer and the tier it ran
 * on: tables workload_ops, unit_tiers, schedule_entries and the view
 * tier_layer (time and energy per tier per layer) and layer_latency (each
 * layer's span from its first issue to its last end). */
#include "run/run.h"
#include "mapper/map.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* a unit's tier: its model's category, from the model's own record */
static const char *tier_of_model(const char *m)
{
    return dev_model_category(m);
}

static int is_aux(const char *kind)
{
    return !strcmp(kind, "weight_load") || !strcmp(kind, "transfer") || !strcmp(kind, "program") ||
           !strcmp(kind, "join");
}

int run_trace_schedule(const char *db, const map_schedule_t *s, char *err, size_t n)
{
    sqlite3 *h = NULL;
    if (sqlite3_open(db, &h) != SQLITE_OK) {
        snprintf(err, n, "%s: %s", db, h ? sqlite3_errmsg(h) : "cannot open");
        sqlite3_close(h);
        return 1;
    }
    const char *ddl =
        "BEGIN;"
        "CREATE TABLE IF NOT EXISTS workload_ops(op_id INTEGER PRIMARY KEY, name TEXT, kind TEXT,"
        " layer INTEGER);"
        "CREATE TABLE IF NOT EXISTS unit_tiers(component TEXT PRIMARY KEY, unit TEXT, model TEXT,"
        " tier TEXT);"
        "CREATE TABLE IF NOT EXISTS schedule_entries(entry INTEGER PRIMARY KEY, op_id INTEGER,"
        " op TEXT, kind TEXT, unit TEXT, tier TEXT, slice TEXT, layer INTEGER, ready_ps INTEGER,"
        " issue_ps INTEGER, done_ps INTEGER, energy_pj REAL, bytes INTEGER);"
        /* busy_ps: each unit's busy time (the union of its activities, from
         * the activities view: overlaps count once, packets not at all)
         * summed over the tier's units, so it can exceed the layer's span
         * by at most `units` times */
        "CREATE VIEW IF NOT EXISTS tier_layer AS SELECT COALESCE(t.tier, 'other') AS tier,"
        " o.layer AS layer, COUNT(DISTINCT e.comp_id) AS units, COUNT(*) AS activities,"
        " SUM(e.busy_ps) AS busy_ps, SUM(e.energy_pj) AS energy_pj FROM activities e"
        " JOIN components c ON c.comp_id = e.comp_id"
        " LEFT JOIN unit_tiers t ON t.component = c.name LEFT JOIN workload_ops o ON o.op_id ="
        " e.op_id WHERE c.model <> 'schedule_driver' GROUP BY 1, 2 ORDER BY 2, 1;"
        /* per layer: from its first entry's issue to its last entry's end
         * (layers of a pipelined schedule overlap, so spans do not add up) */
        "CREATE VIEW IF NOT EXISTS layer_latency AS SELECT layer, COUNT(*) AS entries,"
        " MIN(issue_ps) AS start_ps, MAX(done_ps) AS end_ps,"
        " MAX(done_ps) - MIN(issue_ps) AS span_ps, SUM(energy_pj) AS energy_pj,"
        " GROUP_CONCAT(DISTINCT tier) AS tiers FROM schedule_entries"
        " WHERE done_ps IS NOT NULL GROUP BY layer ORDER BY layer IS NULL, layer;";
    char *msg = NULL;
    if (sqlite3_exec(h, ddl, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, n, "%s: %s", db, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(h);
        return 1;
    }
    sqlite3_stmt *op = NULL, *ut = NULL, *en = NULL;
    int rc =
        sqlite3_prepare_v2(h, "INSERT OR IGNORE INTO workload_ops VALUES(?,?,?,?)", -1, &op, NULL) |
        sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO unit_tiers VALUES(?,?,?,?)", -1, &ut, NULL) |
        sqlite3_prepare_v2(h,
                           "INSERT OR REPLACE INTO schedule_entries "
                           "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &en, NULL);
    for (size_t i = 0; i < s->units.n && rc == SQLITE_OK; i++) {
        const map_unit_t *u = &s->units.unit[i];
        sqlite3_bind_text(ut, 1, u->comp, -1, SQLITE_STATIC);
        sqlite3_bind_text(ut, 2, u->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ut, 3, u->model, -1, SQLITE_STATIC);
        sqlite3_bind_text(ut, 4, tier_of_model(u->model), -1, SQLITE_STATIC);
        rc = sqlite3_step(ut) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(ut);
    }
    /* an op's kind from its main entry first, then from the auxiliary ones */
    for (int pass = 0; pass < 2 && rc == SQLITE_OK; pass++)
        for (size_t i = 0; i < s->exec.n_entries && rc == SQLITE_OK; i++) {
            const map_exec_entry_t *e = &s->exec.entries[i];
            const map_entry_info_t *in = &s->info[i];
            const char *kind = in->kind ? in->kind : "";
            if (!e->op_id || is_aux(kind) != pass)
                continue;
            sqlite3_bind_int64(op, 1, (sqlite3_int64)e->op_id);
            sqlite3_bind_text(op, 2, e->name ? e->name : "", -1, SQLITE_STATIC);
            sqlite3_bind_text(op, 3, kind, -1, SQLITE_STATIC);
            if (in->layer >= 0)
                sqlite3_bind_int(op, 4, in->layer);
            else
                sqlite3_bind_null(op, 4);
            rc = sqlite3_step(op) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
            sqlite3_reset(op);
            sqlite3_clear_bindings(op);
        }
    for (size_t i = 0; i < s->exec.n_entries && rc == SQLITE_OK; i++) {
        const map_exec_entry_t *e = &s->exec.entries[i];
        const map_entry_info_t *in = &s->info[i];
        sqlite3_bind_int64(en, 1, (sqlite3_int64)i);
        sqlite3_bind_int64(en, 2, (sqlite3_int64)e->op_id);
        sqlite3_bind_text(en, 3, e->name ? e->name : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(en, 4, in->kind ? in->kind : "", -1, SQLITE_STATIC);
        if (e->unit >= 0) {
            sqlite3_bind_text(en, 5, s->exec.units[e->unit], -1, SQLITE_STATIC);
            sqlite3_bind_text(en, 6,
                              in->tier ? in->tier : tier_of_model(s->units.unit[e->unit].model), -1,
                              SQLITE_STATIC);
        }
        if (in->slice)
            sqlite3_bind_text(en, 7, in->slice, -1, SQLITE_STATIC);
        if (in->layer >= 0)
            sqlite3_bind_int(en, 8, in->layer);
        if (e->res.done) {
            sqlite3_bind_int64(en, 9, (sqlite3_int64)e->res.ready_ps);
            sqlite3_bind_int64(en, 10, (sqlite3_int64)e->res.issue_ps);
            sqlite3_bind_int64(en, 11, (sqlite3_int64)e->res.done_ps);
            sqlite3_bind_double(en, 12, e->res.energy_pj);
            sqlite3_bind_int64(en, 13, (sqlite3_int64)e->res.bytes);
        }
        rc = sqlite3_step(en) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(en);
        sqlite3_clear_bindings(en);
    }
    if (rc != SQLITE_OK)
        snprintf(err, n, "%s: writing the schedule tables: %s", db, sqlite3_errmsg(h));
    sqlite3_finalize(op);
    sqlite3_finalize(ut);
    sqlite3_finalize(en);
    sqlite3_exec(h, rc == SQLITE_OK ? "COMMIT;" : "ROLLBACK;", NULL, NULL, NULL);
    sqlite3_close(h);
    return rc == SQLITE_OK ? 0 : 1;
}
