/* Defaults a command takes from the chip it runs on. */
#ifndef PRISM_CLI_DEFAULTS_H
#define PRISM_CLI_DEFAULTS_H

#include "sim/sim.h"
#include "workloads/wl.h"

#include <stddef.h>

/* One workload-shape option of `prism CMD`, by getopt letter: 'S' --seq,
 * 'B' --batch, 'K' --kv-len, 'P' --phase, 'D' --dtype (sets *dtype_given).
 * 0, or 2 after printing the usage error. */
int cli_workload_opt(const char *cmd, int opt, const char *arg, wl_gen_opts_t *w, int *dtype_given);

#endif
