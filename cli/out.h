/* Output of prism's commands: one result set (named columns, typed cells)
 * printed as an aligned table for people, CSV (RFC 4180) or a JSON array of
 * objects for scripts. CSV and JSON stream; the table keeps at most
 * `max_rows` rows to size its columns and counts the rest. */
#ifndef PRISM_CLI_OUT_H
#define PRISM_CLI_OUT_H

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

/* Helpers shared by the commands. */
/* 1 when paths a and b name the same file (same inode, or equal text when
 * one does not exist yet): every command refuses an output that names one of
 * its inputs (run --trace/--schedule-out, export --perfetto). */
int cli_same_file(const char *a, const char *b);
/* "prism ARG1 ARG2 ..." as recorded in a trace's runs row (malloc'd; NULL
 * when out of memory). */
char *cli_join_argv(int argc, char **argv);
/* Human time: 1234 -> "1.234 ns", 2500000 -> "2.5 us" (3 significant decimals). */
void out_human_ps(char *buf, size_t n, double ps);
/* Human energy: pJ -> "12.3 nJ" etc. */
void out_human_pj(char *buf, size_t n, double pj);
/* Human wall time: 0.000123 -> "123 us", 2.5 -> "2.500 s". */
void out_human_s(char *buf, size_t n, double seconds);
/* A JSON string literal of `s` on f (quotes and escapes). */
void out_json_string(FILE *f, const char *s);

/* Command-line conventions shared by every subcommand (exit 2 = bad usage). */
/* Prints "prism CMD: MESSAGE (see prism CMD --help)" on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same on `f` (the trace tools write to the stream they are given). */
int cli_usage_error_to(FILE *f, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* After getopt_long (optstring starting with ':', opterr = 0) returned '?' or
 * ':' for argv[optind - 1]: the one-line error; returns 2. */
int cli_bad_option(const char *cmd, int code, char **argv);
/* The count an option takes (--max-rows, --top, --max-events): a whole
 * decimal number, 0 allowed. 0 and the number in *count, or -1 after "prism
 * CMD: OPT needs a count (0 = all)" on err (val NULL: the option was last). */
int cli_count_arg(FILE *err, const char *cmd, const char *opt, const char *val, uint64_t *count);
/* "f32, f16, bf16, ..." : every dtype name a workload accepts. */
const char *cli_dtype_list(void);
/* A time with a unit ("10us"); a bare number is refused (is it ps? cycles?). */
int cli_parse_time(const char *cmd, const char *opt, const char *text, unsigned long long *ps);

#endif
