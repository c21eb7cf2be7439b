/* The trace tools of the run layer: query, report, diff and export of trace
 * databases (sim/tracedb.h reads them) as functions that write their result
 * to `out` and their messages to `err` ("prism TOOL: ..."). They return the
 * tool's exit status: 0; 1 (diff: something changed; query: --timeout);
 * 2 bad input. The command line parses options and calls these. */
#ifndef PRISM_RUN_TOOLS_H
#define PRISM_RUN_TOOLS_H

#include "run/out.h"
#include "sim/tracedb.h"

#include <stddef.h>
#include <stdio.h>

typedef struct run_query_opts {
    out_format_t fmt;
    size_t max_rows;  /* the table's rows (0: all) */
    int max_rows_set; /* CSV/JSON stop at max_rows only when it was given */
    double timeout_s; /* 0: none */
} run_query_opts_t;
int run_query(const char *path, const char *sql, const run_query_opts_t *o, FILE *out, FILE *err);

typedef enum {
    RUN_SORT_ENERGY,
    RUN_SORT_UTIL,
    RUN_SORT_BUSY,
    RUN_SORT_EVENTS,
    RUN_SORT_NAME
} run_report_sort_t;
/* top: rows of the component table (top_given: JSON keeps only those) */
int run_report(const char *path, run_report_sort_t sort, size_t top, int top_given, int json,
               FILE *out, FILE *err);

/* tol: the relative change that counts (0.01 = 1 %); all: unchanged rows too */
int run_diff(const char *pa, const char *pb, double tol, int json, int all, FILE *out, FILE *err);

/* Perfetto JSON to dest ("-": out), written to dest.tmp and renamed; the
 * summary (or with json its figures) to out, or err when dest is "-". */
int run_export(const char *path, const char *dest, const trace_export_opts_t *o, int json,
               FILE *out, FILE *err);

#endif
