/* The command line's shared helpers; the result-set printer (tables, CSV,
 * JSON) is the library's, run/out.h. */
#ifndef PRISM_CLI_OUT_H
#define PRISM_CLI_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "run/out.h"

/* Helpers shared by the commands. */
/* 1 when paths a and b name the same file (same inode, or equal text when
 * one does not exist yet): every command refuses an output that names one of
 * its inputs (run --trace/--schedule-out, export --perfetto). */
int cli_same_file(const char *a, const char *b);
/* "prism ARG1 ARG2 ..." as recorded in a trace's runs row (malloc'd; NULL
 * when out of memory). */
char *cli_join_argv(int argc, char **argv);

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
