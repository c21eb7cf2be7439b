/* Private header of mapper/: the schedule builder's helpers, shared by the
 * naive mapper (schedule.c) and the tier-aware placement (place.c). */
#ifndef PRISM_MAP_INT_H
#define PRISM_MAP_INT_H

#include "mapper/map.h"
#include "noc/noc.h"

/* The mapper's one error formatter: the message into err (when given), the
 * code returned (SIM_ERR_CONFIG, SIM_ERR_NOMEM, ...). mapper/schedule.c. */
int map_fail(char *err, size_t n, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define NO_ENTRY UINT32_MAX
#define WEIGHT_ALIGN 64u /* DRAM layout: each weight tensor starts on a 64-byte boundary */

typedef struct bld {
    map_schedule_t *s;
    size_t cap_entries, cap_preds;
    char *err;
    size_t errn;
} bld_t;

typedef struct tref {
    uintptr_t ptr;
    size_t index;
} tref_t;

typedef struct vprog {
    int n;
    uint16_t vf[3];
    uint64_t m, cols;
    int proxy;
    const char *note;
} vprog_t;

/* A copy of text kept with the schedule (NULL on out of memory). */
const char *map_bld_keep(bld_t *b, const char *text);
/* Appends an entry; its predecessors follow with map_bld_pred. Returns its
 * index or NO_ENTRY on out of memory. */
uint32_t map_bld_entry(bld_t *b, const wl_op_t *op, uint64_t op_id, const char *kind, int unit,
                       const dev_req_t *req, uint64_t reps, const char *note);
/* The operand format (DEV_OPND_*) of a GEMM/MVM request on data of dtype dt:
 * what map_bld_entry puts in the request's flags so a digital array prices
 * the MACs of the workload's dtype. DEV_OPND_DEFAULT for dtypes without one. */
int map_opnd_of_dtype(wl_dtype_t dt);
/* Adds predecessor p to the last entry (duplicates and NO_ENTRY ignored). 0 or -1. */
int map_bld_pred(bld_t *b, uint32_t p);
int map_tref_cmp(const void *a, const void *b);
size_t map_tensor_index(const tref_t *refs, size_t n, const wl_tensor_t *t);
/* The vector unit program of a non-GEMM op (vp->n = 0: no rule). */
void map_vector_program(const wl_op_t *op, vprog_t *p);
void map_release_schedule(void *owner);

/* ---- the KV cache (mapper/kv.c) ------------------------------------------------- */
typedef struct map_kv {
    int unit;        /* unit holding the cache, -1: none (no WL_T_KV tensors, or off) */
    uint64_t bytes;  /* the whole cache at `tokens` tokens (regions 64-byte aligned) */
    uint64_t tokens; /* capacity per sequence */
    uint64_t base;   /* its first byte on the unit */
    uint64_t *addr;  /* per tensor index: first byte of its region */
    uint64_t *row;   /* per tensor index: bytes per token (0: not a KV tensor) */
} map_kv_t;
/* Regions for the WL_T_KV tensors of g: in the 'sram' unit when the whole
 * cache fits o->kv_sram_bytes, else in 'dram' from dram_base (the end of the
 * weights). 0 (kv->unit -1 when there is nothing to place) or an error. */
int map_kv_plan(const wl_graph_t *g, const map_units_t *units, const map_opts_t *o,
                uint64_t dram_base, map_kv_t *kv, char *err, size_t n);
void map_kv_free(map_kv_t *kv);

/* ---- steps of LLM inference (mapper/generate.c) ----------------------------------- */
/* The naive schedule of spec loaded with wo. */
int map_step_schedule(const char *spec, const wl_gen_opts_t *wo, const map_units_t *units,
                      const map_opts_t *mo, map_schedule_t **out, char *err, size_t n);
/* Appends src's entries to dst (src's strings move to dst): the entries
 * without predecessors wait for dst's last step (its last entry; weight and
 * KV loads for the GEMM that frees their buffer); op ids offset by op_base.
 * 0 or -1 (out of memory). */
int map_sched_append(map_schedule_t *dst, map_schedule_t *src, uint64_t op_base,
                     int weight_buffers);

/* ---- the chip's network (mapper/net.c) ---------------------------------------- */
typedef struct map_net {
    int present;          /* some unit sits at a network node */
    int32_t *node;        /* per unit: its node, -1 none */
    sim_comp_t **term;    /* per unit: its node's terminal */
    char (*port)[64];     /* per unit: the driver's port to that terminal */
    sim_comp_t *first;    /* a terminal (the description is the same on all) */
    noc_cfg_t cfg;        /* the network's description */
    sim_time_t period_ps; /* its clock */
} map_net_t;
/* The units of `units` attached to the network and how the driver reaches
 * them. A unit at a node whose terminal is not linked both ways with the
 * driver is SIM_ERR_CONFIG, naming the unit and the links to add. */
int map_net_resolve(sim_t *s, const char *driver, const map_units_t *units, map_net_t *out,
                    char *err, size_t n);
void map_net_free(map_net_t *n);
/* How a unit's result reaches another's (forwarding): a link "<comp>.<unit
 * name>" -> "<comp>.in" of its own, else the network when both sit at nodes
 * (the producer's port "net" to its terminal; the successor's terminal's port
 * "<unit name>" to it). SIM_ERR_CONFIG naming the links to add otherwise. */
typedef struct map_fwd_route {
    int network;                /* 0: a link of its own; 1: over the network */
    sim_time_t latency_ps;      /* the link, or the producer's link to its terminal */
    double ps_per_byte;         /* 0: unlimited */
    uint32_t src, dst;          /* network nodes */
    sim_time_t out_latency_ps;  /* network: the successor's terminal's link to it */
    double out_ps_per_byte;
} map_fwd_route_t;
int map_fwd_route(sim_t *s, const map_units_t *units, const map_net_t *net, int from, int to,
                  map_fwd_route_t *out, char *err, size_t n);

#endif
