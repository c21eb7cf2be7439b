/* prism's command line: one function per subcommand, each taking the
 * arguments after the subcommand name (argv[0] is the subcommand) and
 * returning the process exit status. */
#ifndef PRISM_CLI_H
#define PRISM_CLI_H

#include <stddef.h>

int cmd_run(int argc, char **argv);      /* cli/cmd_run.c */
int cmd_query(int argc, char **argv);    /* cli/cmd_query.c */
int cmd_report(int argc, char **argv);   /* cli/cmd_report.c */
int cmd_export(int argc, char **argv);   /* cli/cmd_export.c */
int cmd_diff(int argc, char **argv);     /* cli/cmd_diff.c */
int cmd_op(int argc, char **argv);       /* cli/cmd_op.c */
int cmd_workload(int argc, char **argv); /* cli/cmd_workload.c: info, eval */
int cmd_workload_eval(int argc, char **argv); /* cli/cmd_workload_eval.c */
int cmd_plot(int argc, char **argv);     /* cli/cmd_plot.c */
int cmd_sweep(int argc, char **argv);    /* cli/cmd_sweep.c */
int cmd_pi2(int argc, char **argv);      /* cli/cmd_pi2.c: train, run */
int cmd_pi2_run(int argc, char **argv);  /* cli/cmd_pi2_run.c */
int cmd_pi2_scale(int argc, char **argv); /* cli/cmd_pi2_scale.c */

/* Shared by cli/cmd_pi2*.c: parse a bounded number (prints the error, -1),
 * load and split a data set (prints the error, returns the exit status). */
struct wl_dataset;
int cli_pi2_parse_real(const char *opt, const char *s, double lo, double hi, double *out);
int cli_pi2_parse_int(const char *opt, const char *s, long lo, long hi, long *out);
/* After getopt: "prism pi2 SUB: unknown or incomplete option" (the one getopt
 * just refused), 2. */
int cli_pi2_bad_option(const char *sub, char **argv);
/* After the options: an argument left over is an error (message, 2); 0. */
int cli_pi2_no_args(const char *sub, int argc, char **argv);
int cli_pi2_data(const char *spec, long split, struct wl_dataset **ds, struct wl_dataset *train,
                 struct wl_dataset *test);

int cmd_partition(int argc, char **argv); /* cli/cmd_partition.c */

/* Prints what a placement (run_place, run/run.h) costs (cli/dist.c). */
#include "sim/dist.h"
#include <stdio.h>
void cli_print_partition(FILE *f, sim_t *s, const uint32_t *rank_of, const uint64_t *comp_w,
                         const sim_partition_info_t *info, int json);
/* `prism run --ranks N` without mpirun: start mpirun with this prism's
 * argv (argv[0] "run"), pass a ^C or SIGTERM to the ranks, and return the
 * lead rank's exit status (cli/dist_launch.c; the ranks' side is
 * run/run_dist.c). */
int cli_dist_launch(int nranks, int argc, char **argv);

int cmd_map(int argc, char **argv);      /* cli/cmd_map.c: map, profile, compare */
int cmd_chip(int argc, char **argv);     /* cli/cmd_chip.c: area, match */
int cmd_map_search(int argc, char **argv); /* cli/cmd_map_search.c: the two-stage mapping */
int cmd_map_compare(int argc, char **argv); /* cli/cmd_map_search.c: prism map compare */

/* 1 when paths a and b name the same file (same inode, or equal text when
 * one does not exist yet): used to refuse an output that names an input. */
int cli_same_file(const char *a, const char *b);
int cmd_train(int argc, char **argv);    /* cli/cmd_train.c */
int cmd_noc(int argc, char **argv);      /* cli/cmd_noc.c: network under synthetic traffic */

/* After a generation ran (prism run --generate, cli/run_generate.c): prints
 * TTFT, TPOT (mean, p50, p99), tokens/s and energy per token (not with
 * json), and with a trace adds the table gen_steps and the view
 * generation_steps (one row per step). Returns the exit code to keep (0, or 1
 * when the figures or the tables could not be made). */
int cli_generation_after(sim_t *s, const char *trace_path, int json);
/* ,"generation":{...}: the figures and one object per step, for --json. */
void cli_generation_json(sim_t *s);
#include "workloads/wl.h"
/* --requests: serve a stream (cli/run_serve.c); returns the exit code. */
int cli_serve(const char *config, const sim_config_over_t *over, const char *workload,
              const wl_gen_opts_t *wopts, int dtype_given, const char *requests,
              const char *batching, int max_batch, int output, int json);
/* --generate N: a count in 1..4096 into *tokens; 0, or 2 after one line on stderr. */
int cli_parse_generate(const char *arg, int *tokens);

/* Registers every model of every layer (sim, devices, noc). */
void cli_register_models(void);
/* prism's data directory (holds configs/ and tests/fixtures/): 0 and its
 * path, or -1 when none is found (cli/datadir.c says where it looks) */
int cli_data_dir(char *out, size_t n);
/* `rel` as given when readable, else under the data directory; NULL when
 * neither exists. The path is written to out. */
const char *cli_data_path(const char *rel, char *out, size_t n);

#endif
