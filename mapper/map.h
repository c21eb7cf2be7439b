/* prism's mapper: the one public header of mapper/.
 * Turns a workload graph (workloads/wl.h) into a schedule for the chip's units:
 * an ordered list of device requests with their data dependencies, which the
 * `schedule_driver` component (mapper/sched_driver.c) issues during `prism run`.
 * The naive mapper sends every GEMM to the unit `gemm`, every vector function to
 * `vector`, embedding gathers and weight loads to `dram`, copies to `sram`
 * (rules in docs/mapper.md). */
#ifndef PRISM_MAP_H
#define PRISM_MAP_H

#include "devices/dev.h"
#include "sim/sim.h"
#include "workloads/wl.h"
#include "workloads/wl_forward.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- drivers: the components that issue work to devices ---------------------------- */
/* Registers the driver models of this layer (op_driver, schedule_driver). */
void map_register_all(void);

/* ---- the op driver (mapper/op_driver.c) ------------------------------------------------ */
/* One completed request as the driver saw it. */
typedef struct map_drv_record {
    uint64_t seq;  /* request number, in sending order */
    uint16_t kind; /* dev_opkind_t */
    uint16_t status;
    uint64_t cycles;              /* device cycles reported */
    sim_time_t sent_ps;           /* left the driver */
    sim_time_t done_ps;           /* completion arrived at the driver */
    sim_time_t device_latency_ps; /* as reported by the device (queueing included) */
    double energy_pj;             /* as reported by the device */
    uint64_t bytes;
} map_drv_record_t;

/* The records of an op_driver component (the first MAP_DRV_RECORD_MAX
 * completions, in completion order); 0 when `c` is not an op_driver. */
#define MAP_DRV_RECORD_MAX 65536u
size_t map_driver_records(sim_comp_t *c, const map_drv_record_t **out);

/* ---- the executable schedule (mapper/sched_driver.c runs it) ------------------------ */
/* What the driver measured for one entry (zero until it ran). */
typedef struct map_exec_result {
    sim_time_t ready_ps; /* its predecessors were all done */
    sim_time_t issue_ps; /* first request left the driver (ready time for zero-cost) */
    sim_time_t done_ps;  /* last completion reached the driver */
    uint64_t reps_sent, reps_done;
    uint64_t cycles;              /* device cycles, summed over reps */
    sim_time_t device_latency_ps; /* device-side latency (queueing incl.), summed over reps */
    double energy_pj;             /* device energy reported, summed over reps */
    uint64_t bytes;               /* device bytes reported, summed over reps */
    int done;
} map_exec_result_t;

typedef struct map_exec_entry {
    uint64_t op_id;       /* workload op (1-based IR index) the entry belongs to; 0 none */
    const char *name;     /* label (the IR op's name) */
    const char *what;     /* trace op name of the driver's row ("matmul", "weight_load", ...) */
    int unit;             /* index into map_exec_t.units; -1: zero-cost, no request */
    dev_req_t req;        /* the request (tag is set by the driver) */
    uint64_t reps;        /* identical requests (attention heads, conv groups), >= 1 */
    uint32_t weight_step; /* rep r sends weight_id + r * weight_step */
    uint32_t n_preds;     /* entries this one waits for ... */
    size_t pred_off;      /* ... at map_exec_t.preds[pred_off .. + n_preds), all < own index */
    /* Forwarding (0: none): the unit sends its result, fwd_bytes, straight to
     * the unit of entry fwd_to (a later entry whose only predecessor is this
     * one) over its link to that unit, with that entry's request; the driver
     * hears only fwd_to's completion (docs/mapper.md "Forwarding"). */
    uint32_t fwd_to;
    uint64_t fwd_bytes;
    map_exec_result_t res;
} map_exec_entry_t;

typedef struct map_exec {
    size_t n_entries;
    map_exec_entry_t *entries;
    uint32_t *preds;
    size_t n_preds;
    size_t n_units;
    const char *const *units; /* unit names = the driver's output port names */
    /* The chip's network (map_attach fills them; NULL: no network). A
     * transfer between two units that sit at nodes (net_node >= 0) travels
     * from the source's node to the destination's, sent through the driver's
     * port net_port[source]; otherwise it is a request to its unit. */
    const int32_t *net_node;
    const char *const *net_port;
    /* per entry (NULL: none): 1 when a forwarding entry's result crosses the
     * network (sched_driver.c send_forward), 0 a link of its own */
    const uint8_t *fwd_net;
    /* Ownership: the component that the schedule is attached to calls
     * release(owner) when it is destroyed (NULL: the caller keeps it). */
    void (*release)(void *owner);
    void *owner;
} map_exec_t;

/* Hand `sched` to a `schedule_driver` component before sim_init; it then owns
 * it (see release). 0, or SIM_ERR_CONFIG when c is not a schedule_driver or
 * already has a schedule. */
int map_exec_attach(sim_comp_t *c, map_exec_t *sched);
/* The schedule attached to a schedule_driver, NULL if none or not one. */
map_exec_t *map_exec_attached(sim_comp_t *c);

/* Check a schedule's structure: reps >= 1, units in range, predecessors
 * earlier entries within preds[]. 0, or SIM_ERR_CONFIG with a message naming
 * the entry. */
int map_exec_check(const map_exec_t *sched, char *err, size_t n);
/* 1 when entry e of x is a transfer the network carries (both ends at nodes). */
int map_net_transfer(const map_exec_t *x, const map_exec_entry_t *e);

/* Unit names the naive mapper uses (= the schedule_driver's output ports). */
#define MAP_UNIT_GEMM "gemm"
#define MAP_UNIT_VECTOR "vector"
#define MAP_UNIT_SRAM "sram"
#define MAP_UNIT_DRAM "dram"

/* The units a driver can reach: its linked output ports and the component
 * (and model) at the other end of each. Any number of units, any names. */
typedef struct map_unit {
    char name[64];  /* port / unit name */
    char comp[128]; /* component the port links to */
    char model[64]; /* its model */
} map_unit_t;

typedef struct map_units {
    size_t n, cap;
    map_unit_t *unit; /* malloc'd; map_units_free releases it */
} map_units_t;

/* Index of the unit named `name`, -1 when absent. */
int map_units_find(const map_units_t *u, const char *name);
/* Adds a unit (comp and model may be NULL). 0, or -1 on out of memory or when
 * a name is too long. */
int map_units_add(map_units_t *u, const char *name, const char *comp, const char *model);
/* dst = a copy of src (dst's old contents are not freed). 0 or -1. */
int map_units_copy(map_units_t *dst, const map_units_t *src);
void map_units_free(map_units_t *u); /* empties it; NULL ok */

typedef struct map_opts {
    /* read each GEMM's static weight (and bias) from `dram` before it runs,
     * when a dram unit exists (default 1) */
    int stream_weights;
    /* weight sets resident at once: the load for a GEMM waits for the GEMM
     * `weight_buffers` weighted GEMMs earlier (default 2: double buffering) */
    int weight_buffers;
    /* map_build: crossbar weights are already programmed (steady-state
     * inference): no DRAM read, transfer or program entries for them, and
     * their MVMs never reload (default 0: programming is part of the run) */
    int xbar_resident;
    /* KV cache of decoder LMs (tensors flagged WL_T_KV) as data in memory
     * (default 1): decode reads the past keys/values before attention and
     * writes the new token's; prefill writes the keys/values it computes.
     * 0: the cache is taken as on chip, no traffic (before issue 18). */
    int kv_cache;
    /* capacity of the cache in tokens per sequence (0: what the graph needs:
     * kv_len + 1 in decode, seq in prefill); a generation sizes it for the
     * whole run so the cache stays where it is */
    uint64_t kv_tokens;
    /* bytes of the 'sram' unit the cache may use (its size_bytes; 0: unknown,
     * the cache goes to 'dram') */
    uint64_t kv_sram_bytes;
} map_opts_t;

void map_opts_default(map_opts_t *o);

/* What the mapper knows about an entry besides its request. */
typedef struct map_entry_info {
    const char *kind;   /* IR kind name ("matmul", "softmax", ...) or "weight_load" */
    const char *detail; /* IR detail ("gelu_tanh", "Add", ...) */
    const char *note;   /* how the entry was mapped, one phrase */
    int proxy;          /* the vector function stands in for `detail` (cost class) */
    const char *tier;   /* tier the entry runs on ("rram", "photonic", ...), NULL: unnamed */
    const char *slice;  /* which part of the op ("rows 0-383 of 768"), NULL: whole op */
    int layer;          /* transformer block / network layer, -1 unknown */
    int kv;             /* KV-cache traffic: 1 reads past keys/values, 2 writes into the
                         * cache, 0 other */
} map_entry_info_t;

typedef struct map_schedule {
    map_exec_t exec;        /* what the driver runs (entries, predecessors, unit names) */
    map_entry_info_t *info; /* exec.n_entries */
    map_units_t units;      /* exec.units[i] is units.unit[i].name */
    char *workload;         /* graph name */
    char *spec;             /* what wl_load was given ("gpt2", a path), NULL unknown */
    wl_gen_opts_t wopts;    /* the shape it was loaded with */
    char *mapper;           /* "naive", "two-stage", ... (NULL: naive) */
    char *source;           /* ONNX path, NULL for built-ins */
    size_t n_ops;           /* ops of the IR graph */
    uint64_t gemm_macs;     /* sum of m*k*n*reps over GEMM requests */
    uint64_t weight_load_bytes;
    uint64_t weight_layout_bytes; /* DRAM span of all static weights (64-byte aligned) */
    uint64_t kv_cache_bytes;      /* KV cache at its capacity (0: none placed) */
    uint64_t kv_tokens;           /* its capacity in tokens per sequence */
    int kv_unit;                  /* unit holding it (when kv_cache_bytes > 0) */
    uint64_t kv_read_bytes;       /* past keys/values the schedule reads */
    uint64_t kv_write_bytes;      /* keys/values it writes into the cache */
    /* a generation (map_generate): step t (0 = prefill, then one decode step
     * per further token) is entries [step_first[t], step_first[t + 1]) with
     * step_kv[t] tokens in the cache before it; n_steps 0: one graph */
    size_t n_steps;
    uint32_t *step_first; /* n_steps + 1 */
    uint32_t *step_kv;    /* n_steps */
    int gen_prompt, gen_batch;
    /* private */
    int32_t *net_node;     /* exec.net_node */
    const char **net_port; /* exec.net_port, strings in `strings` */
    uint8_t *fwd_net;      /* exec.fwd_net */
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

/* A schedule file larger than this is refused unread (the config loader's
 * cap is 16 MiB; a mapped Llama-2 7B schedule is 0.6 MB), so /dev/zero or a
 * pipe that never ends stops there. */
#define MAP_SCHEDULE_MAX_BYTES (64 << 20)
/* An entry's `reps` is at most this (prism op --count's bound): a request
 * sent 2^53 times runs for centuries. */
#define MAP_SCHEDULE_MAX_REPS 10000000
/* Reads a schedule written by map_schedule_write_json (or by hand) for the
 * units of `units`: every entry's unit must be one of them, its request an op
 * the devices know, its predecessors earlier entries; when the file names a
 * workload spec, every entry's op must be that workload's op of that id. On
 * error returns SIM_ERR_CONFIG with one sentence naming the file, the entry
 * and the field. */
int map_schedule_read_json(const char *path, const map_units_t *units, map_schedule_t **out,
                           char *err, size_t n);
/* The same from a NUL-terminated text; `path` names it in messages. */
int map_schedule_parse_json(const char *text, const char *path, const map_units_t *units,
                            map_schedule_t **out, char *err, size_t n);
/* Refuses a schedule that overflows a unit's capacity, from the units'
 * parameters (before sim_init): a matrix larger than a crossbar's rows x cols
 * without tiling, a read/write beyond a memory's capacity_bytes/size_bytes.
 * 0, or SIM_ERR_CONFIG with one sentence naming the entry, the unit and the
 * limit. */
int map_capacity_check(sim_t *s, const map_schedule_t *sched, char *err, size_t n);
/* The same for a built simulation: read `path` for its one schedule_driver
 * and attach it (what `prism run CONFIG --schedule FILE` does). */
int map_schedule_attach_file(sim_t *s, const char *path, char *err, size_t n);
/* The same from a NUL-terminated text (the schedule fuzzer's entry point). */
int map_schedule_attach_text(sim_t *s, const char *text, const char *path, char *err, size_t n);

/* ---- chips of tiers and placements (mapper/place.c) ------------------------------ */
/* GEMM tiers, found from the units' models: systolic -> digital, rram_xbar /
 * pcm_xbar -> xbar (static weights), mzi_mesh / mrr_bank -> photonic. */
enum { MAP_TIER_DIGITAL = 0, MAP_TIER_XBAR = 1, MAP_TIER_PHOTONIC = 2, MAP_TIERS = 3 };
const char *map_tier_name(int tier); /* "digital", "xbar", "photonic" */

typedef struct map_chip {
    map_units_t units;
    int *tier_unit[MAP_TIERS]; /* unit indexes of each GEMM tier */
    size_t n_tier[MAP_TIERS];
    int *vec; /* vector units */
    size_t n_vec;
    int sram, dram;         /* global buffer, DRAM (-1 none) */
    int carrier[MAP_TIERS]; /* the wire `x_<tier>` into each tier, -1 none */
    /* what one crossbar unit holds (the smallest over the tier): rows x cols
     * weights per array, `arrays` arrays with tiling (1 without); 0: not
     * known (map_chip_from_units alone), no check */
    uint64_t xbar_rows, xbar_cols, xbar_arrays;
    int network;            /* the driver reaches network terminals: transfers between
                               attached units ride the network */
} map_chip_t;

int map_chip_from_units(const map_units_t *u, map_chip_t *out, char *err, size_t n);
/* Read the crossbar capacity (xbar_rows, xbar_cols, xbar_arrays) from the
 * units' components in s. */
void map_chip_capacity(map_chip_t *c, sim_t *s);
void map_chip_free(map_chip_t *c);

/* Where one GEMM op runs: tier a for pct_a percent of its output columns,
 * tier b for the rest (pct_a = 100: the whole op on a). */
typedef struct map_place {
    uint8_t a, b, pct_a;
} map_place_t;

/* 1 when the chip can run op with that placement (tiers present; crossbars
 * take static weights only unless the chip has no other GEMM tier). */
int map_place_valid(const map_chip_t *chip, const wl_op_t *op, const map_place_t *pl);
/* The schedule of g on chip with place[op index] for every GEMM op (NULL:
 * all digital). SIM_ERR_CONFIG names the op when a placement is impossible or
 * the crossbar tier is full (one static weight slice per crossbar unit). */
int map_build(const wl_graph_t *g, const map_chip_t *chip, const map_place_t *place,
              const map_opts_t *opts, map_schedule_t **out, char *err, size_t n);

/* ---- estimates ------------------------------------------------------------------ */
/* What a schedule would take on a built (sim_init done) chip, without running
 * it: the driver's issue rules replayed, each request priced by its device's
 * cost query, links' latency and serialisation, static power of every
 * component over the makespan. */
typedef struct map_estimate {
    sim_time_t makespan_ps;
    double energy_pj;  /* dynamic + static */
    double dynamic_pj; /* the devices' op energy (programming included) */
    double static_pj;  /* leakage, heaters, background over the makespan */
    double program_pj; /* part of dynamic_pj spent programming weights */
    uint64_t cell_writes;
    uint64_t requests;
    size_t n_units;
    sim_time_t *unit_busy_ps; /* per unit of the schedule */
    double *unit_energy_pj;
} map_estimate_t;

int map_estimate(sim_t *s, const map_schedule_t *sched, map_estimate_t *out, char *err, size_t n);
void map_estimate_free(map_estimate_t *o);

/* ---- a mapping session (mapper/ctx.c) --------------------------------------------- */
/* The chip of `config` built and initialised with an empty schedule (so its
 * devices answer cost queries) and the workload `spec`. */
typedef struct map_ctx map_ctx_t;
int map_ctx_open(const char *config, const char *spec, const wl_gen_opts_t *wopts, map_ctx_t **out,
                 char *err, size_t n);
/* The same with the config's overrides (seed, --set) applied, as a run has them. */
int map_ctx_open_over(const char *config, const sim_config_over_t *over, const char *spec,
                      const wl_gen_opts_t *wopts, map_ctx_t **out, char *err, size_t n);
void map_ctx_close(map_ctx_t *c); /* NULL ok */
const wl_graph_t *map_ctx_graph(const map_ctx_t *c);
/* Crossbar weights programmed before the run (map_opts_t.xbar_resident). */
void map_ctx_set_resident(map_ctx_t *c, int resident);
const map_chip_t *map_ctx_chip(const map_ctx_t *c);
sim_t *map_ctx_sim(map_ctx_t *c);
/* The schedule of a placement (spec and shape recorded for the file). */
int map_ctx_schedule(map_ctx_t *c, const map_place_t *place, map_schedule_t **out, char *err,
                     size_t n);
/* Its estimate (map_estimate on the session's chip). */
int map_ctx_eval(map_ctx_t *c, const map_place_t *place, map_estimate_t *est, char *err, size_t n);

/* ---- sensitivity profile and quality (mapper/profile.c) -------------------------- */
typedef struct map_profile_opts {
    const char *dir;              /* GPT-2 directory: config.json, model.safetensors */
    const char *tokens, *targets; /* eval files (default DIR/eval_tokens.u8, eval_targets.u8) */
    int token_bytes;              /* 1, 2 or 4 (little-endian); 0: 1 if vocab <= 256, else 2 */
    int rows, cols;               /* rows to evaluate (0: all), tokens per row (0: n_ctx) */
    int seeds;                    /* noise seeds averaged (default 8) */
    uint64_t seed;                /* base seed (default 1) */
    double sigma;                 /* weight noise / max|W| (default 0.02) */
    int in_bits, out_bits;        /* DAC / ADC bits (default 8, 8) */
    int max_proj;                 /* profile only the first max_proj projections (0: all) */
    const char *device;           /* NULL: the letter's model; else an analog device model */
    const char *device_params;    /* "k: v, k: v" for that device, NULL: defaults */
    void (*progress)(void *ctx, int done, int total);
    void *progress_ctx;
} map_profile_opts_t;
void map_profile_opts_default(map_profile_opts_t *o);

typedef struct map_profile_row {
    char name[64]; /* "h.0.attn.c_attn", "lm_head" */
    double kl_mean, kl_std, dloss_mean;
} map_profile_row_t;

typedef struct map_profile {
    int n; /* projections, in the model's order */
    map_profile_row_t *row;
    double ce_clean;
    int positions, seeds;
} map_profile_t;

int map_profile_run(const map_profile_opts_t *o, map_profile_t *out, char *err, size_t n);
void map_profile_free(map_profile_t *p);
int map_profile_write_csv(const map_profile_t *p, const char *path, char *err, size_t n);
int map_profile_read_csv(const char *path, map_profile_t *out, char *err, size_t n);
uint64_t map_profile_seed(uint64_t base, int s); /* noise seed number s of a run */

/* One executor per projection (exact until made analog). */
typedef struct map_execset map_execset_t;
map_execset_t *map_execset_create(int n_proj);
void map_execset_free(map_execset_t *s);
int map_execset_analog(map_execset_t *s, int proj, const map_profile_opts_t *o, uint64_t seed,
                       char *err, size_t n);
wl_executor_t map_execset_executor(map_execset_t *s);

/* The clean model and eval set, to measure KL and cross-entropy of any executor. */
typedef struct map_quality map_quality_t;
int map_quality_open(const map_profile_opts_t *o, map_quality_t **out, char *err, size_t n);
void map_quality_close(map_quality_t *q);
int map_quality_n_proj(const map_quality_t *q);
const char *map_quality_proj_name(const map_quality_t *q, int i);
int map_quality_positions(const map_quality_t *q);
double map_quality_ce_clean(const map_quality_t *q);
int map_quality_measure(map_quality_t *q, const wl_executor_t *exec, double *kl, double *ce,
                        char *err, size_t n);

/* ---- the two-stage search (mapper/search.c) ------------------------------------------- */
typedef struct map_search_opts {
    int population, generations; /* NSGA-II (default 32, 40) */
    uint64_t seed;               /* search stream (default 1) */
    double kl_target;            /* stage 2 target, < 0: no stage 2 */
    int objective;               /* stage 1 pick: 0 knee, 1 latency, 2 energy */
    void (*progress)(void *ctx, int done, int total);
    void *progress_ctx;
} map_search_opts_t;
void map_search_opts_default(map_search_opts_t *o);

typedef struct map_point {
    char name[48];
    double latency_ps, energy_pj, kl; /* estimate; kl: predicted from the profile */
    map_place_t *place;               /* per op */
} map_point_t;

typedef struct map_move {
    char op[64];
    map_place_t from, to;
    double kl_removed, kl_after, latency_ps, energy_pj;
    int undone; /* undone by the clean-up pass (the slack under the target allowed it) */
} map_move_t;

typedef struct map_search_result {
    map_point_t *front; /* non-dominated (latency, energy), by latency */
    size_t n_front, stage1_pick;
    map_point_t *baseline; /* each tier alone, round robin by layer, greedy by size */
    size_t n_baselines;
    map_place_t *chosen; /* after stage 2 */
    size_t n_ops;
    double chosen_latency_ps, chosen_energy_pj, chosen_kl;
    int quality_met;
    map_move_t *moves;
    size_t n_moves, n_undone;
    uint64_t evaluations;
    size_t n_genes;            /* GEMM ops placed */
    double chosen_kl_measured; /* -1 until map_search_measured */
} map_search_result_t;

/* profile: per projection KL (by op name), NULL: no stage 2. */
int map_search(map_ctx_t *ctx, const map_search_opts_t *o, const map_profile_t *profile,
               map_search_result_t *r, char *err, size_t n);
void map_search_result_free(map_search_result_t *r);
/* Mean KL of a placement on the GPT-2 model in `dir` (its eval set), every
 * projection placed on an analog tier noisy at once (letter's noise model). */
int map_measure_kl(const char *dir, map_ctx_t *ctx, const map_place_t *chosen, double *kl,
                   double *ce, char *err, size_t n);
/* Measure r->chosen on `dir`; while the measurement misses `target`, stage 2
 * again with a tighter prediction (up to 8 rounds). r->quality_met says. */
int map_search_measured(map_ctx_t *ctx, const map_profile_t *profile, const char *dir,
                        double target, map_search_result_t *r, double *kl, double *ce, char *err,
                        size_t n);
/* Stage 2 again from r->chosen with another (tighter) predicted-KL target:
 * what the caller does when the measured quality misses the target. */
int map_search_refine(map_ctx_t *ctx, const map_profile_t *profile, double target,
                      map_search_result_t *r, char *err, size_t n);

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

/* The mapping options a schedule_driver's parameters ask for (stream_weights,
 * weight_buffers, kv_cache) and the room its 'sram' unit offers the KV cache. */
void map_opts_from_driver(sim_t *s, const char *driver, const map_units_t *units, map_opts_t *mo);
/* Refuses, in one sentence naming the workload `spec` and the unit, a schedule
 * whose weights, or weights and KV cache, exceed the 'dram' unit's capacity. */
int map_dram_fit(sim_t *s, const map_units_t *units, const map_schedule_t *sched,
                 const char *spec, char *err, size_t n);

/* What `prism run CONFIG --workload SPEC` does between loading the config and
 * sim_init: load the workload, find the schedule_driver, read its units and
 * mapping options (its parameters stream_weights, weight_buffers), build the
 * naive schedule and attach it. 0 or a negative code with one sentence in err. */
int map_workload_attach(sim_t *s, const char *spec, const wl_gen_opts_t *opts, char *err, size_t n);

/* ---- generation (mapper/generate.c) ------------------------------------------------ */
#define MAP_GEN_MAX_TOKENS 4096 /* one schedule holds every step: about 400 entries per GPT-2 step */
/* The schedule of generating `tokens` new tokens per sequence after a prompt
 * of wopts->seq tokens (batch wopts->batch): the prefill (first token), then
 * tokens - 1 decode steps with the KV cache growing by one token each; the
 * cache is sized for the whole run (mo->kv_tokens is set to prompt + tokens
 * - 1). A context longer than the model takes fails naming it. */
int map_generate(const char *spec, const wl_gen_opts_t *wopts, int tokens, const map_units_t *units,
                 const map_opts_t *mo, map_schedule_t **out, char *err, size_t n);
/* map_workload_attach for a generation. */
int map_generation_attach(sim_t *s, const char *spec, const wl_gen_opts_t *opts, int tokens,
                          char *err, size_t n);

typedef struct map_gen_stats {
    size_t steps;               /* = new tokens per sequence */
    uint64_t tokens;            /* new tokens over the batch */
    sim_time_t ttft_ps;         /* end of the prefill: time to first token */
    sim_time_t end_ps;          /* end of the last step */
    double tpot_mean_ps;        /* time per output token over the decode steps */
    sim_time_t tpot_p50_ps, tpot_p99_ps; /* nearest-rank percentiles */
    double tokens_per_s;        /* tokens / end */
    sim_time_t *step_end_ps;    /* per step: when its token (and its cache writes) were done */
    double *step_energy_pj;     /* per step: the devices' dynamic energy */
    uint64_t *step_kv_bytes;    /* per step: KV-cache bytes read and written */
} map_gen_stats_t;
/* The figures of a generation schedule after its run: 0, or -1 when s is not
 * a generation, an entry did not complete, or out of memory. */
int map_generation_stats(const map_schedule_t *s, map_gen_stats_t *out);
void map_gen_stats_free(map_gen_stats_t *g); /* NULL ok */

/* ---- request streams (mapper/stream.c) ----------------------------------------------- */
typedef struct map_request {
    sim_time_t arrival_ps;
    int prompt, output;    /* tokens */
    int generated;         /* after map_serve: = output */
    sim_time_t first_ps;   /* first token out */
    sim_time_t finish_ps;  /* last token out */
} map_request_t;
/* A CSV of arrival (s), prompt, output per line (an optional header line
 * naming "arrival"; # comments), sorted by arrival. A missing, negative or
 * non-numeric field fails naming FILE:LINE and the field. */
int map_requests_read_csv(const char *path, map_request_t **out, size_t *n_out, char *err,
                          size_t n);
/* count requests with exponential gaps of mean 1/rate (seeded counter-based stream). */
int map_requests_poisson(double rate_per_s, size_t count, int prompt, int output, uint64_t seed,
                         map_request_t **out, char *err, size_t n);

typedef struct map_serve_opts {
    int continuous;     /* 1: iteration-level batching; 0: static batches */
    int max_batch;      /* sequences in flight at most */
    uint64_t kv_tokens; /* cache capacity in tokens (0: the dram beside the weights) */
} map_serve_opts_t;

typedef struct map_serve_stats {
    sim_time_t end_ps;
    sim_time_t ttft_p50_ps, ttft_p99_ps;       /* first token - arrival */
    sim_time_t latency_p50_ps, latency_p99_ps; /* last token - arrival */
    double tokens_per_s;
    uint64_t iterations, simulations; /* iterations served; cycle-level runs made */
    uint64_t kv_tokens, kv_bytes_per_token;
} map_serve_stats_t;

/* Serves req[0..n_req) (sorted by arrival) with the model spec (batch and
 * dtype of wo) on the chip of config, each iteration timed by a cycle-level
 * run; fills each request's first_ps and finish_ps. A request whose context
 * the cache cannot hold fails naming it. */
int map_serve(const char *config, const sim_config_over_t *over, const char *spec,
              const wl_gen_opts_t *wo, const map_serve_opts_t *o, map_request_t *req, size_t n_req,
              map_serve_stats_t *st, char *err, size_t n);

#ifdef __cplusplus
}
#endif
#endif
