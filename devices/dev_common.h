/* Private helpers of devices/ shared by device models, the op driver and
 * `prism op`: op and vector-function names, the device list, an occupancy
 * model for a pipelined unit on its clock, the per-op bookkeeping every device
 * does (ledger, busy time, trace row, completion), the driver's records, and
 * the vector unit's numerics (FP32/FP16 arithmetic against FP64). */
#ifndef PRISM_DEV_COMMON_H
#define PRISM_DEV_COMMON_H

#include "devices/dev.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the device list (devices/registry.c) ------------------------------------ */
/* Models registered by dev_register_all() that carry a dev_ext_t, sorted by
 * name. Empty until dev_register_all() ran. */
size_t dev_model_count(void);
const sim_model_t *dev_model_at(size_t i);
/* The model's dev_ext_t when it is a device of that list, else NULL. */
const dev_ext_t *dev_model_ext(const sim_model_t *m);

/* ---- silicon area (dev_ext_t.area, devices/dev.c) ------------------------------ */
/* Adds um2 to a->um2 and to the part `name` (static text; parts past
 * DEV_AREA_PARTS are summed as "other"). */
void dev_area_part(dev_area_t *a, const char *name, double um2);
/* A converter's area scaled from a reference design: ref_um2 x 2^(bits - ref_bits)
 * (a binary-weighted capacitor array dominates a SAR ADC's and a capacitive DAC's
 * area). Negative on bad input. */
double dev_conv_area_um2(int bits, int ref_bits, double ref_um2);
/* SRAM macro area of `bytes` at mm2_per_mib. */
double dev_sram_area_um2(double bytes, double mm2_per_mib);
/* The SRAM density parameter row shared by sram, systolic and vector (use
 * inside the initialiser of a table). */
#define DEV_SRAM_AREA_PARAM                                                                       \
    {"sram_mm2_per_mib", SIM_P_REAL, "4.0", "mm2/MiB", 0, 1e6, NULL,                               \
     "SRAM macro area per MiB (silicon area only)",                                                \
     "TPU v1 die (Jouppi et al., ISCA 2017, 28 nm): the 24 MiB Unified Buffer is 29 % of a "       \
     "331 mm2 die, 0.29 x 331 / 24 = 4.0 mm2/MiB"}

/* ---- occupancy of a unit ------------------------------------------------------- */
/* A unit on a clock that takes one op at a time in arrival (FIFO) order. An op
 * starts at the first clock edge at or after max(arrival, free_at), holds the
 * unit for `issue_cycles` (its initiation interval) and completes `cycles`
 * after its start (cycles >= issue_cycles: the difference is pipeline
 * latency that overlaps the next op). The queue is implicit and unbounded:
 * arrival order is service order, so an op's slot is known when it arrives. */
typedef struct dev_unit {
    sim_time_t period_ps; /* clock period of the component */
    sim_time_t free_at;   /* when the unit can start its next op */
} dev_unit_t;

typedef struct dev_slot {
    sim_time_t start_ps;   /* op starts (clock edge) */
    sim_time_t issue_ps;   /* unit held over [start, start + issue) */
    sim_time_t finish_ps;  /* op completes */
    sim_time_t latency_ps; /* finish - arrival: queueing included */
    sim_time_t wait_ps;    /* start - arrival */
} dev_slot_t;

/* Reads the component's clock; fails (sim_comp_fail) when it has none. */
int dev_unit_init(sim_comp_t *c, dev_unit_t *u);
void dev_unit_reserve(dev_unit_t *u, sim_time_t now, uint64_t issue_cycles, uint64_t cycles,
                      dev_slot_t *out);

/* ---- per-op bookkeeping ----------------------------------------------------------- */
/* What every device keeps besides its own state: its unit, its output port and
 * the ledger handles of the counters all devices share ("ops", "bytes",
 * "cycles", "queue_wait_ps", "queue_wait_max_ps") and a trace op per op kind. */
/* A forwarding rule: the result of request `tag` goes on `port` as a message
 * of kind `kind` with payload `next` (opaque: SIM_PAYLOAD_BYTES). */
#define DEV_FWD_MAX 16
typedef struct dev_fwd_rule {
    uint32_t tag, kind;
    int port, has_next;
    uint64_t bytes, data_bytes, op_id;
    dev_req_t next;
} dev_fwd_rule_t;

typedef struct dev_base {
    dev_unit_t unit;
    int port_out; /* -1 when no link leaves "out" */
    int st_ops, st_bytes, st_cycles, st_wait, st_wait_max, st_fwd;
    int trace_op[DEV_OP_LAST + 1];
    dev_fwd_rule_t fwd[DEV_FWD_MAX]; /* pending forwarding rules (dev.h, DEV_MSG_FWD) */
    int n_fwd;
} dev_base_t;

/* A model's handler calls this first: 1 when `ev` was a forwarding message
 * (DEV_MSG_FWD, DEV_MSG_FWD_REQ), now stored; 0 for anything else. */
int dev_base_take_fwd(sim_comp_t *c, dev_base_t *b, const sim_event_t *ev);

/* Call at init: clock, port "out", shared stats, trace ops. 0 or an error. */
int dev_base_init(sim_comp_t *c, dev_base_t *b);

/* Book one op that arrived now (event `ev`): reserve the unit, count it, add
 * busy time, write its trace row (energy = energy_pj) and send the completion
 * with the event's op_id (or, when a forwarding rule names the request, the
 * successor's request on the rule's port). The caller charges the energy categories itself.
 * Returns 0 or an error (after sim_comp_fail). */
int dev_base_op(sim_comp_t *c, dev_base_t *b, const sim_event_t *ev, const dev_req_t *req,
                uint64_t issue_cycles, uint64_t cycles, double energy_pj, uint64_t bytes);

/* dev_complete with the op_id of the request's event (dev_complete uses 0). */
int dev_complete_op(sim_comp_t *c, int port, const dev_req_t *req, uint64_t op_id,
                    uint64_t cycles, sim_time_t latency_ps, double energy_pj, uint64_t bytes);

/* Fail with "<model> '<name>': cannot do <op>" for an op the device lacks. */
int dev_fail_op(sim_comp_t *c, const dev_req_t *req);


/* The request `ev` carries, when the device does its op: 1 when `ev` is a
 * DEV_MSG_REQ whose kind is in `ops` (DEV_OP_BIT(DEV_OP_MVM) | ...); 0 for
 * other events (ignored) and for an op outside `ops` (after dev_fail_op). */
int dev_take_req(sim_comp_t *c, const sim_event_t *ev, unsigned ops, dev_req_t *req);

/* A read/write of req->m bytes at address req->k on a memory of `capacity`
 * bytes (the parameter `cap_name`): 0, or the code of sim_comp_fail for 0
 * bytes or an access beyond the capacity. */
int dev_mem_check(sim_comp_t *c, const dev_req_t *req, uint64_t capacity, const char *cap_name);

/* ceil(a / b) for b > 0 */
static inline uint64_t dev_ceil_div(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

/* Checked size arithmetic for request sizes that multiply (rows x cols,
 * samples x bytes): *bad is set when the result does not fit 64 bits; the
 * result is then meaningless and the caller refuses the request, as systolic
 * does, instead of pricing a wrapped size. */
static inline uint64_t dev_mul_chk(uint64_t a, uint64_t b, int *bad)
{
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        *bad = 1;
    return r;
}
static inline uint64_t dev_add_chk(uint64_t a, uint64_t b, int *bad)
{
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r))
        *bad = 1;
    return r;
}
/* a * b, or UINT64_MAX when it does not fit (for counts whose op is then
 * refused by the clock check below, as its time is as large) */
static inline uint64_t dev_mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}
/* 1 when `cycles` of `period_ps` from time `from` end within the first
 * quarter of the time range (the bound systolic applies); 0 otherwise. */
static inline int dev_cycles_fit(uint64_t cycles, sim_time_t period_ps, sim_time_t from)
{
    uint64_t span;
    return !__builtin_mul_overflow(cycles, period_ps, &span) && from <= SIM_TIME_MAX / 4 &&
           span <= SIM_TIME_MAX / 4 - from;
}

/* ---- SRAM access energy and leakage (sram.c, systolic.c, vector.c) ------------------ */
/* Cell types of CACTI 7's ITRS device roadmap (Balasubramonian et al., "CACTI
 * 7: New tools for interconnect exploration in innovative off-chip memories",
 * ACM TACO 2017): high performance, low operating power, low standby power. */
#define DEV_SRAM_CELLS "hp|lop|lstp"
#define DEV_SRAM_NODES "45nm"
/* Leakage of SRAM cells per KiB in mW at a node and cell type: the CACTI 7
 * 45 nm figures quoted in issue 13 (hp 1.04, lop 0.059, lstp 0.00017 mW/KiB;
 * not re-run here). Negative for an unknown node or cell type. */
double dev_sram_leak_mw_per_kib(const char *node, const char *cell);

/* Energy of one access of `word_bytes` bytes to a bank of `bank_kib` KiB,
 * scaled from a reference point of `e_ref_pj` per 64-bit access of a
 * `ref_kib` array (Horowitz ISSCC 2014: 20 pJ at 32 KB, 45 nm) by
 * word_bytes / 8 and, when size_scaling, sqrt(bank_kib / ref_kib) (Horowitz:
 * 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ). Negative on bad input. */
#define DEV_SRAM_REF_PJ 20.0  /* the sram model's e_read_pj / e_write_pj default */
#define DEV_SRAM_REF_KIB 32.0 /* the sram model's ref_bank_kb default */
double dev_sram_access_pj(double e_ref_pj, double ref_kib, double bank_kib, double word_bytes,
                          int size_scaling);

/* Leakage of a unit made of `parts` equal parts (SRAM banks, vector lanes),
 * each leaking part_mw. Without power gating every part leaks for the whole
 * run (static power). With gating an idle part keeps gated_frac of its
 * leakage (static: parts * part_mw * gated_frac) and an op wakes the parts it
 * uses for its duration: dev_leak_op charges (1 - gated_frac) * part_mw *
 * active_parts * op_ps to energy.leakage and returns it (pJ). */
typedef struct dev_leak {
    uint64_t parts;
    double part_mw, gated_frac;
    int gating, st_energy;
} dev_leak_t;
int dev_leak_init(sim_comp_t *c, dev_leak_t *l, uint64_t parts, double part_mw, int gating,
                  double gated_frac);
double dev_leak_op(sim_comp_t *c, const dev_leak_t *l, uint64_t active_parts, double op_ps);
/* The energy dev_leak_op charges, without charging it (cost queries). */
double dev_leak_energy(const dev_leak_t *l, uint64_t active_parts, double op_ps);

/* Table rows of the leakage parameters sram and vector share (each adds its
 * own cell_type row, default and reason): node, leakage_mw_per_kb,
 * power_gating, gated_leak_frac. Use inside the initialiser of a table. */
#define DEV_LEAK_PARAMS                                                                            \
    {"node", SIM_P_ENUM, "45nm", "", 0, 0, DEV_SRAM_NODES, "technology node of the leakage table", \
     "CACTI 7 (Balasubramonian et al., ACM TACO 2017) at 45 nm, the node of the Horowitz "         \
     "access energies"},                                                                           \
    {"leakage_mw_per_kb", SIM_P_REAL, "-1", "mW/KiB", -1, 1e3, NULL,                               \
     "leakage per KiB; -1 = from node and cell_type", "CACTI 7 table (node, cell_type)"},          \
    {"power_gating", SIM_P_BOOL, "false", "", 0, 0, NULL,                                          \
     "gate idle parts (banks, or the unit): idle they leak gated_leak_frac, fully while an op "    \
     "uses them",                                                                                  \
     "off by default (no gating)"},                                                                \
    {"gated_leak_frac", SIM_P_REAL, "0.05", "", 0, 1, NULL,                                        \
     "leakage a gated part keeps, as a fraction of its full leakage",                              \
     "design parameter (unverified): sleep-transistor gating leaves a few % of leakage"}
/* dev_leak_init from those parameters (and cell_type): `parts` parts of
 * kib_per_part KiB each. 0 or an error after sim_comp_fail. */
int dev_leak_init_params(sim_comp_t *c, dev_leak_t *l, const sim_params_t *p, uint64_t parts,
                         double kib_per_part);

/* ---- vector unit numerics (devices/vector.c) ----------------------------------------- */
typedef enum { DEV_FMT_FP64 = 0, DEV_FMT_FP32 = 1, DEV_FMT_FP16 = 2 } dev_fmt_t;

/* x rounded to nearest-even in the format (FP16: IEEE binary16 with
 * subnormals, overflow to +-inf). */
double dev_round_fmt(double x, int fmt);

/* out[r*cols + j] = vfunc over row r of a (and b for add/mul), every
 * elementary operation rounded to `fmt`, reductions done the way the unit
 * does them: per-lane partial results (element j goes to lane j % lanes)
 * combined by a binary tree. gamma/beta (cols, may be NULL: 1 and 0) are the
 * norm's scale and shift. fmt = DEV_FMT_FP64 is the reference. 0, or
 * SIM_ERR_CONFIG for an unknown function, lanes 0, or a missing b. */
int dev_vector_eval(int vfunc, int fmt, size_t lanes, const double *a, const double *b,
                    const double *gamma, const double *beta, double *out, size_t rows,
                    size_t cols);

/* The same with the format and lanes of a `vector` component (after init). */
int dev_vector_numerics(sim_comp_t *c, int vfunc, const double *a, const double *b,
                        const double *gamma, const double *beta, double *out, size_t rows,
                        size_t cols);

/* Per-element and per-row operation counts of a vector function, as the
 * unit executes it; the energy of special functions is counted in the adds and
 * multiplies of their algorithm (see docs/devices/vector.md). */
typedef struct dev_vf_cost {
    unsigned elem_add, elem_mul, elem_sfu; /* per element */
    unsigned row_add, row_mul, row_sfu;    /* per row (scalar, after reductions) */
    unsigned reductions;                   /* tree reductions per row */
    unsigned elem_sfu_add, elem_sfu_mul;   /* adds/muls inside an element's special ops */
    unsigned row_sfu_add, row_sfu_mul;     /* adds/muls inside a row's special ops */
} dev_vf_cost_t;
/* 0, or -1 for an unknown function. */
int dev_vf_cost(int vfunc, dev_vf_cost_t *out);

#ifdef __cplusplus
}
#endif
#endif
