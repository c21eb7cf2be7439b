/* Defaults a command takes from the chip it runs on. */
#ifndef PRISM_CLI_DEFAULTS_H
#define PRISM_CLI_DEFAULTS_H

#include "sim/sim.h"
#include "workloads/wl.h"

#include <stddef.h>

/* The dtype of the chip's GEMM unit: the `word_bytes` of the component the
 * schedule driver's "gemm" port reaches (1 -> i8, 2 -> f16, 4 -> f32,
 * 8 -> f64). 0 with *dt and a note ("i8: sa.word_bytes = 1") in why; -1
 * when the chip does not say (no driver, no gemm unit, no word_bytes). */
int cli_chip_dtype(sim_t *s, wl_dtype_t *dt, char *why, size_t n);

/* One workload-shape option of `prism CMD`, by getopt letter: 'S' --seq,
 * 'B' --batch, 'K' --kv-len, 'P' --phase, 'D' --dtype (sets *dtype_given).
 * 0, or 2 after printing the usage error. */
int cli_workload_opt(const char *cmd, int opt, const char *arg, wl_gen_opts_t *w, int *dtype_given);

#endif
