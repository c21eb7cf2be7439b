/* prism's mapper: the one public header of mapper/.
 * Turns a workload graph (workloads/wl.h) into a schedule for the chip's units:
 * an ordered list of device requests with their data dependencies, which the
 * `schedule_driver` component (devices/sched.h) issues during `prism run`.
 * The naive mapper sends every GEMM to the unit `gemm`, every vector function to
 * `vector`, embedding gathers and weight loads to `dram`, copies to `sram`
 * (rules in docs/mapper.md). */
#ifndef PRISM_MAP_H
#define PRISM_MAP_H

#include "devices/sched.h"
#include "sim/sim.h"
#include "workloads/wl.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Unit names the naive mapper uses (= the schedule_driver's output ports). */
#define MAP_UNIT_GEMM "gemm"
#define MAP_UNIT_VECTOR "vector"
#define MAP_UNIT_SRAM "sram"
#define MAP_UNIT_DRAM "dram"

/* The units a driver can reach: its linked output ports and the component
 * (and model) at the other end of each. */
#define MAP_UNITS_MAX 16
typedef struct map_unit {
    char name[32];  /* port / unit name */
    char comp[128]; /* component the port links to */
    char model[64]; /* its model */
} map_unit_t;

typedef struct map_units {
    size_t n;
    map_unit_t unit[MAP_UNITS_MAX];
} map_units_t;

/* Index of the unit named `name`, -1 when absent. */
int map_units_find(const map_units_t *u, const char *name);
/* Adds a unit (comp and model may be NULL). 0, or -1 when full or the name is too long. */
int map_units_add(map_units_t *u, const char *name, const char *comp, const char *model);

typedef struct map_opts {
    /* read each GEMM's static weight (and bias) from `dram` before it runs,
     * when a dram unit exists (default 1) */
    int stream_weights;
    /* weight sets resident at once: the load for a GEMM waits for the GEMM
     * `weight_buffers` weighted GEMMs earlier (default 2: double buffering) */
    int weight_buffers;
} map_opts_t;

void map_opts_default(map_opts_t *o);

/* What the mapper knows about an entry besides its request. */
typedef struct map_entry_info {
    const char *kind;   /* IR kind name ("matmul", "softmax", ...) or "weight_load" */
    const char *detail; /* IR detail ("gelu_tanh", "Add", ...) */
    const char *note;   /* how the entry was mapped, one phrase */
    int proxy;          /* the vector function stands in for `detail` (cost class) */
} map_entry_info_t;

typedef struct map_schedule {
    dev_sched_t exec;       /* what the driver runs (entries, predecessors, unit names) */
    map_entry_info_t *info; /* exec.n_entries */
    map_units_t units;      /* exec.units[i] is units.unit[i].name */
    char *workload;         /* graph name */
    char *source;           /* ONNX path, NULL for built-ins */
    size_t n_ops;           /* ops of the IR graph */
    uint64_t gemm_macs;     /* sum of m*k*n*reps over GEMM requests */
    uint64_t weight_load_bytes;
    uint64_t weight_layout_bytes; /* DRAM span of all static weights (64-byte aligned) */
    /* private */
    const char **unit_names;
    char **strings;
    size_t n_strings, cap_strings;
} map_schedule_t;

/* The naive schedule of `g` on `units` (entries in IR op order; each entry
 * waits for the entries that produce its inputs). On error returns a negative
 * code (SIM_ERR_CONFIG when an op needs a unit that is not there, naming the op
 * and the unit) with the message in err. */
int map_naive(const wl_graph_t *g, const map_units_t *units, map_schedule_t **out, char *err,
              size_t n);
int map_naive_opts(const wl_graph_t *g, const map_units_t *units, const map_opts_t *opts,
                   map_schedule_t **out, char *err, size_t n);
void map_schedule_free(map_schedule_t *s); /* NULL ok */

/* The schedule as JSON (entries, requests, predecessors and, after a run, each
 * entry's measured times). map_schedule_json returns a malloc'd string. */
char *map_schedule_json(const map_schedule_t *s);
int map_schedule_write_json(const map_schedule_t *s, const char *path, char *err, size_t n);

/* The one `schedule_driver` component of a built simulation: its name, or an
 * error when there is none or more than one. */
int map_find_driver(sim_t *s, const char **name, char *err, size_t n);
/* The driver's linked output ports and what they link to. */
int map_units_from_driver(sim_t *s, const char *driver, map_units_t *out, char *err, size_t n);

/* Hands `sched` to the schedule_driver `driver_name` before sim_init. On
 * success the component owns the schedule (freed when the simulation is
 * destroyed); on error the caller still owns it. */
int map_attach(sim_t *s, const char *driver_name, map_schedule_t *sched, char *err, size_t n);
/* The schedule attached to a driver (results filled in after a run), or NULL. */
map_schedule_t *map_attached(sim_t *s, const char *driver_name);

/* What `prism run CONFIG --workload SPEC` does between loading the config and
 * sim_init: load the workload, find the schedule_driver, read its units and
 * mapping options (its parameters stream_weights, weight_buffers), build the
 * naive schedule and attach it. 0 or a negative code with one sentence in err. */
int map_workload_attach(sim_t *s, const char *spec, const wl_gen_opts_t *opts, char *err, size_t n);

#ifdef __cplusplus
}
#endif
#endif
