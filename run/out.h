/* Output of prism's tools: one result set (named columns, typed cells)
 * printed as an aligned table for people, CSV (RFC 4180) or a JSON array of
 * objects for scripts. CSV and JSON stream; the table keeps at most
 * `max_rows` rows to size its columns and counts the rest. */
#ifndef PRISM_RUN_OUT_H
#define PRISM_RUN_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { OUT_TABLE, OUT_CSV, OUT_JSON } out_format_t;

typedef struct out out_t;

/* A result set writing to `f`. max_rows limits the table only (0 = all rows).
 * Returns NULL when out of memory. */
out_t *out_create(FILE *f, out_format_t fmt, size_t max_rows);
/* Declare the columns, in order, before the first cell. */
int out_column(out_t *o, const char *name);
/* Cells, row by row: a row ends after as many cells as there are columns. */
void out_null(out_t *o);
void out_int(out_t *o, long long v);
void out_real(out_t *o, double v); /* NaN and infinities print as null */
/* A real with a fixed number of decimals in the table (CSV/JSON keep all digits). */
void out_fixed(out_t *o, double v, int decimals);
void out_text(out_t *o, const char *s); /* NULL prints as null */
/* Text aligned like a number in the table ("+12.5%", "inf"); a string elsewhere. */
void out_text_num(out_t *o, const char *s);
/* How the table shows NULL cells (default "NULL"). */
void out_set_null_text(out_t *o, const char *s);
/* Ends the result set: prints the table (and how many rows were cut), closes
 * the JSON array, frees `o`. Returns 0, or -1 when writing failed. */
int out_finish(out_t *o);
/* Free without printing anything more (a result abandoned before its first row). */
void out_discard(out_t *o);
/* Rows given so far, and rows not shown because of max_rows. */
size_t out_rows(const out_t *o);
size_t out_rows_cut(const out_t *o);
/* The producer stopped before the end (more rows exist, their number is not
 * known): the table says so instead of counting the cut rows. */
void out_rows_stopped(out_t *o);

/* Human time: 1234 -> "1.234 ns", 2500000 -> "2.5 us" (3 significant decimals). */
void out_human_ps(char *buf, size_t n, double ps);
/* Human energy: pJ -> "12.3 nJ" etc. */
void out_human_pj(char *buf, size_t n, double pj);
/* Human wall time: 0.000123 -> "123 us", 2.5 -> "2.500 s". */
void out_human_s(char *buf, size_t n, double seconds);
/* A JSON string literal of `s` on f (quotes and escapes). */
void out_json_string(FILE *f, const char *s);

#endif
