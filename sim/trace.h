/* The SQLite trace writer: one database per run (schema in docs/trace.md).
 * Rows are buffered and written by a writer thread, one transaction per
 * image of at most 65,536 rows (trace_image.h), in WAL mode; the run row says `running` until trace_end_run. */
#ifndef PRISM_TRACE_H
#define PRISM_TRACE_H

#include "sim/sim.h"

typedef struct trace trace_t;

typedef struct trace_run_info {
    const char *config_path;
    const char *config_text;
    const char *workload;
    const char *argv; /* the command line, for the record */
} trace_run_info_t;

/* Filter spec: comma-separated key=value: component=GLOB[|GLOB...],
 * op=GLOB[|GLOB...], kind=activity|message, from=TIME, to=TIME, sample=N
 * (keep one row in N). TIME takes ps/ns/us/ms/s suffixes. */
typedef struct trace_opts {
    const char *filter;  /* NULL: keep everything */
    int messages;        /* also record every delivered message */
    size_t batch_rows;   /* rows per transaction (0: default 65536) */
    int index;           /* build indexes on events at the end (costs ~as much as writing) */
} trace_opts_t;

/* Create (or replace) the database at path. Error text in err. */
int trace_open(trace_t **out, const char *path, const trace_opts_t *opts, char *err, size_t errlen);
/* Record the run row (status running), clocks, components, links; attach the
 * writer to the simulation. Call after sim_init. */
int trace_begin_run(trace_t *t, sim_t *s, const trace_run_info_t *info);
/* Flush rows, write stats and link totals, set status ("complete",
 * "truncated", "interrupted", "failed") with an optional message, build
 * indexes. */
int trace_end_run(trace_t *t, sim_t *s, const char *status, const char *message, double wall_s);
void trace_close(trace_t *t); /* NULL is a no-op */
const char *trace_errmsg(const trace_t *t);
uint64_t trace_rows(const trace_t *t);
/* CPU seconds the writer thread used (known once trace_end_run has stopped it). */
double trace_writer_cpu_s(const trace_t *t);
void trace_add_rows(trace_t *t, uint64_t n); /* rows merged in from elsewhere */

/* FNV-1a 64 of a buffer, as 16 hex digits in out[17]. */
void trace_hash_hex(const void *data, size_t len, char out[17]);

#endif
