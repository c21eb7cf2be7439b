/* Read side of the trace database (schema: docs/trace.md): open a run.db
 * read-only, read the run row, per-component and per-link figures and energy
 * categories, compare two runs metric by metric, and stream the events as
 * Chrome/Perfetto trace-event JSON. Depends on SQLite only. */
#ifndef PRISM_SIM_TRACEDB_H
#define PRISM_SIM_TRACEDB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    TRACE_DB_OK = 0,
    TRACE_DB_ERR = -1,        /* generic; see trace_db_errmsg */
    TRACE_DB_ERR_NOMEM = -2,
    TRACE_DB_ERR_OPEN = -3,     /* missing, unreadable, or not an SQLite file */
    TRACE_DB_ERR_NOTTRACE = -4, /* an SQLite file without prism's `runs` table */
    TRACE_DB_ERR_SQL = -5,      /* bad SQL or a failed query */
    TRACE_DB_ERR_IO = -6,       /* writing the output failed */
    TRACE_DB_ERR_ARG = -7,      /* bad argument (tolerance, window) */
};

typedef struct trace_db trace_db_t; /* an open run.db (opaque) */

/* Opens `path` read-only and checks it is a prism trace (has a `runs` table).
 * *out is set even on failure so that trace_db_errmsg can say why (the
 * message names the file); close it with trace_db_close in both cases. */
int trace_db_open(trace_db_t **out, const char *path);
void trace_db_close(trace_db_t *db); /* NULL is a no-op */
const char *trace_db_errmsg(const trace_db_t *db);
const char *trace_db_path(const trace_db_t *db);
sqlite3 *trace_db_sqlite(trace_db_t *db);
/* 1 when a table or view of that name exists, 0 otherwise. */
int trace_db_has(trace_db_t *db, const char *name);
/* Prepares one SQL statement (trailing text other than blanks, `;` and
 * comments is an error). The message names the file and quotes SQLite's. */
int trace_db_prepare(trace_db_t *db, const char *sql, sqlite3_stmt **out);
/* Steps a statement: 1 = a row, 0 = done, < 0 = error (message kept). */
int trace_db_step(trace_db_t *db, sqlite3_stmt *st);

/* ---- the run row ---------------------------------------------------------- */
typedef struct trace_run {
    int64_t run_id;
    char *status; /* running | complete | interrupted | failed */
    char *config_path, *config_hash, *prism_version, *git_commit, *workload, *argv;
    char *start_wall, *end_wall, *message; /* NULL when the column is NULL */
    int has_seed;
    uint64_t seed;
    int64_t end_time_ps, events_handled, trace_rows; /* -1 when NULL */
    double wall_s;                                   /* NAN when NULL */
} trace_run_t;

/* Reads the last row of `runs` (largest run_id). */
int trace_db_run(trace_db_t *db, trace_run_t *run);
void trace_run_free(trace_run_t *run);
/* "complete", or how a user should read any other status. */
const char *trace_run_status_text(const trace_run_t *run);

/* ---- summary: what `prism report` shows and `prism diff` compares ---------- */
typedef struct trace_energy_cat {
    char *name;       /* category as stored, e.g. "energy.static", "adc" */
    double energy_pj;
} trace_energy_cat_t;

typedef struct trace_comp_summary {
    int64_t comp_id;
    char *name, *model, *clock;
    double busy_ps, energy_pj, events; /* stats busy_ps, energy.total, events; NAN if missing */
    double utilization;                /* busy_ps / end_time_ps; NAN if unknown */
    double area_mm2;  /* stat area_mm2 (the unit's silicon area); NAN if none */
    double w_per_mm2; /* energy_pj / end_time_ps / area_mm2: power density; NAN if unknown */
    size_t ncats;
    trace_energy_cat_t *cats; /* stats of kind `energy`, largest first */
    size_t ncounters;         /* the model's own counters and values (kind count/value, */
    trace_energy_cat_t *counters; /* other than busy_ps/energy.total/events): name, value */
} trace_comp_summary_t;

typedef struct trace_link_summary {
    char *src, *dst;
    double latency_ps, bandwidth_gbps;
    double messages, bytes, busy_ps; /* NAN when NULL */
    double utilization;              /* busy_ps / end_time_ps; NAN if unknown */
} trace_link_summary_t;

typedef struct trace_summary {
    trace_run_t run;
    size_t ncomps;
    trace_comp_summary_t *comps; /* by comp_id */
    size_t nlinks;
    trace_link_summary_t *links; /* busiest first */
    size_t ncats;
    trace_energy_cat_t *cats; /* energy by category summed over components, largest first */
    double energy_pj;         /* sum of the components' energy.total (0 when none) */
    double power_density_limit; /* W/mm^2 (table limits); NAN for a trace without it */
    size_t over_limit;          /* components whose w_per_mm2 is above it */
    int used_views;           /* 1 when component figures came from component_summary */
} trace_summary_t;

int trace_db_summary(trace_db_t *db, trace_summary_t *out);
void trace_summary_free(trace_summary_t *s);

/* ---- diff ----------------------------------------------------------------- */
typedef enum { TRACE_DIFF_RUN, TRACE_DIFF_COMPONENT, TRACE_DIFF_LINK } trace_diff_scope_t;

typedef struct trace_diff_metric {
    trace_diff_scope_t scope;
    char *component; /* component name, "src->dst" for a link, NULL for the run */
    /* run: end_time_ps, energy_pj, events_handled; component: busy_ps,
     * energy_pj, events, energy_pj.<category>; link: busy_ps, messages, bytes */
    char *metric;
    int in_a, in_b;  /* 0 when the component is absent from that run */
    double a, b;     /* values (0 when absent) */
    double delta;    /* b - a */
    double rel;      /* delta / |a|; +-INFINITY when a == 0 != b; 0 when equal */
    int changed;     /* moved beyond the tolerance, or present in one run only */
} trace_diff_metric_t;

/* a parameter (the components table's params) that differs between the runs */
typedef struct trace_diff_param {
    char *component, *name;
    char *a, *b; /* the values as text; NULL when the run lacks the component or parameter */
} trace_diff_param_t;

typedef struct trace_diff {
    double tolerance; /* relative, 0.01 = 1% */
    size_t n, nchanged;
    /* changed first; among them the run-level metrics (end time, energy,
     * events), then components and links by |rel| descending, then by name */
    trace_diff_metric_t *m;
    size_t largest; /* index in m of the changed metric with the largest |rel| (when nchanged) */
    size_t nparams;
    trace_diff_param_t *params; /* the configuration change behind it, by component and name */
    size_t nwarn;
    char **warn; /* status not complete, config hashes differ */
} trace_diff_t;

/* Compares two runs; components are matched by name, links by "src->dst".
 * A metric changed when |b - a| > tolerance * |a| (so a metric 0 in a and
 * nonzero in b changed), or when its component or link is in one run only. Returns 0 (d->nchanged says whether anything moved) or an error;
 * the message, naming the file at fault, is then in trace_db_errmsg(a). */
int trace_diff(trace_db_t *a, trace_db_t *b, double tolerance, trace_diff_t *d);
void trace_diff_free(trace_diff_t *d);
/* "1%" -> 0.01, "0.01" -> 0.01, "0" -> 0, "500%" -> 5. A number without %
 * is a fraction below 1: "5" (500 % or 5 %?) is refused. Returns 0 or
 * TRACE_DB_ERR_ARG. */
int trace_parse_tolerance(const char *text, double *out);

/* ---- Perfetto / Chrome trace-event export ---------------------------------- */
typedef struct trace_export_opts {
    uint64_t from_ps, to_ps; /* keep rows overlapping [from, to); to 0 = no limit */
    uint64_t max_events;     /* stop after this many trace events; 0 = all */
} trace_export_opts_t;

typedef struct trace_export_stats {
    uint64_t complete_events, instant_events, metadata_events;
    int truncated; /* stopped by max_events with rows left */
    uint64_t extra_tracks; /* tracks opened for activities that overlap on one component */
    uint64_t flows;        /* messages drawn as arrows from their send to their delivery */
} trace_export_stats_t;

/* Streams {"traceEvents":[...],"displayTimeUnit":"ns"} to `out`: one process
 * per run, one thread per component (thread_name metadata), "X" events for
 * rows with a duration, "i" events for the others; ts and dur are in
 * microseconds (ps / 1e6), args carry bytes, energy_pj, op_id. Rows are read
 * one at a time, so memory does not grow with the trace. */
int trace_export_perfetto(trace_db_t *db, FILE *out, const trace_export_opts_t *opts,
                          trace_export_stats_t *stats);

#ifdef __cplusplus
}
#endif
#endif
