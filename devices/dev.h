/* prism's device family: the one public header of devices/.
 * Every device is a sim model (sim.h) registered by name; this header adds
 * the request/completion messages a driver sends to a device over a link, and
 * the numerics table (noisy MVM, quantization) that the mapper and
 * `prism op --check` call without a timed run. */
#ifndef PRISM_DEV_H
#define PRISM_DEV_H

#include "num/num.h"
#include "sim/sim.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Message kinds on device links. */
enum { DEV_MSG_REQ = 1, DEV_MSG_DONE = 2, DEV_MSG_FWD = 3, DEV_MSG_FWD_REQ = 4 };

/* Operation kinds a device may accept (a device rejects what it cannot do
 * with sim_comp_fail naming the device and the op). */
typedef enum {
    DEV_OP_MVM = 1,     /* m vectors through a k-in x n-out weight matrix */
    DEV_OP_GEMM = 2,    /* [m x k] * [k x n] */
    DEV_OP_CONVERT = 3, /* m samples through a DAC/ADC/laser/PD */
    DEV_OP_VECTOR = 4,  /* m rows of n elements through vfunc */
    DEV_OP_READ = 5,    /* m bytes from address k */
    DEV_OP_WRITE = 6,   /* m bytes to address k */
    DEV_OP_PROGRAM = 7,  /* (re)program a k x n weight matrix */
    DEV_OP_TRANSFER = 8, /* carry m bytes from unit k to unit n (schedule unit indexes) */
} dev_opkind_t;
#define DEV_OP_LAST DEV_OP_TRANSFER
/* Bit of op kind k in an ops mask (dev_take_req, dev_desc_t.ops). */
#define DEV_OP_BIT(k) (1u << (k))

typedef enum {
    DEV_VF_NONE = 0,
    DEV_VF_SOFTMAX,
    DEV_VF_LAYERNORM,
    DEV_VF_RMSNORM,
    DEV_VF_GELU,
    DEV_VF_SILU,
    DEV_VF_RELU,
    DEV_VF_ADD,
    DEV_VF_MUL,
} dev_vfunc_t;

/* The request a driver sends (payload of a DEV_MSG_REQ event, 48 bytes). */
typedef struct dev_req {
    uint16_t kind;       /* dev_opkind_t */
    uint16_t vfunc;      /* dev_vfunc_t for DEV_OP_VECTOR */
    uint32_t tag;        /* echoed in the completion */
    uint32_t weight_id;  /* which weight matrix; a change costs a reload */
    uint32_t flags;      /* DEV_F_* */
    uint64_t m, k, n;    /* see dev_opkind_t */
    double read_after_s; /* analog memories: time since programming (drift) */
} dev_req_t;

#define DEV_F_NO_RELOAD 1u /* weights already resident: never pay a reload */
/* Cost queries only (dev_cost), to ask about a state other than the present
 * one: the weights req->weight_id are the resident ones / nothing is
 * resident. A handler ignores them. */
#define DEV_F_COST_RESIDENT 2u
#define DEV_F_COST_EMPTY 4u
/* The number format of a GEMM/MVM's operands, in bits 8-11 of flags: what
 * the workload computes in (its dtype), so a digital array prices an FP32
 * MAC as FP32. DEV_OPND_DEFAULT: the device's own word size decides. */
enum {
    DEV_OPND_DEFAULT = 0,
    DEV_OPND_INT8 = 1,
    DEV_OPND_FP16 = 2,
    DEV_OPND_BF16 = 3,
    DEV_OPND_FP32 = 4,
};
#define DEV_F_OPND_SHIFT 8
#define DEV_F_OPND_MASK (0xfu << DEV_F_OPND_SHIFT)
#define DEV_F_OPND(fmt) (((uint32_t)(fmt) << DEV_F_OPND_SHIFT) & DEV_F_OPND_MASK)
#define DEV_REQ_OPND(req) ((int)(((req)->flags & DEV_F_OPND_MASK) >> DEV_F_OPND_SHIFT))

/* The completion a device sends back (payload of a DEV_MSG_DONE event). */
typedef struct dev_done {
    uint32_t tag;
    uint32_t status;     /* 0 ok */
    uint64_t cycles;     /* device clock cycles the op took */
    sim_time_t latency_ps;
    double energy_pj;    /* energy this op charged to the ledger */
    uint64_t bytes;      /* bytes moved, where meaningful */
    uint64_t reserved;
} dev_done_t;

/* Forwarding (docs/mapper.md "Forwarding"): a driver tells a device that the
 * result of its request `tag` goes straight on, not back to the driver. It
 * sends DEV_MSG_FWD (payload dev_fwd_t), then DEV_MSG_FWD_REQ (the payload of
 * the message to send: the successor's dev_req_t for a link, a network
 * interface's send request for the network), both before the request
 * itself. When the device completes `tag` it sends, instead of its
 * completion, a message of kind `kind` (0: DEV_MSG_REQ) and `bytes` (the
 * link serialises them) with that payload on its port `port`, and counts
 * `data_bytes` (the result it hands on) in its stat `forwarded_bytes`. */
typedef struct dev_fwd {
    uint32_t tag;
    uint32_t kind;
    uint64_t bytes, data_bytes;
    char port[24];
} dev_fwd_t;

_Static_assert(sizeof(dev_req_t) <= SIM_PAYLOAD_BYTES, "dev_req_t must fit a payload");
_Static_assert(sizeof(dev_fwd_t) <= SIM_PAYLOAD_BYTES, "dev_fwd_t must fit a payload");
_Static_assert(sizeof(dev_done_t) <= SIM_PAYLOAD_BYTES, "dev_done_t must fit a payload");

/* Context for a numerics call. */
typedef struct dev_num_ctx {
    sim_rng_t *rng;      /* noise draws */
    double read_after_s; /* drift time for analog memories */
    int noise;           /* 0: noise off (quantization only) */
} dev_num_ctx_t;

/* What one request would cost on a device in its present state (weights
 * resident, programming done), computed by the same function its handler
 * runs, so estimates and simulation cannot drift apart. Queueing is not in
 * it: the unit's occupancy is the caller's to add up. */
typedef struct dev_cost {
    uint64_t issue_cycles;   /* cycles the unit is held (initiation interval) */
    uint64_t cycles;         /* cycles from start to completion (>= issue_cycles) */
    sim_time_t latency_ps;   /* cycles in time on the device's clock */
    double energy_pj;        /* dynamic energy the op charges (programming included) */
    uint64_t bytes;          /* bytes the op reports */
    double program_energy_pj; /* part of energy_pj spent (re)programming weights */
    uint64_t program_cycles; /* part of cycles spent (re)programming weights */
    uint64_t cell_writes;    /* crossbar cells written (wear) */
} dev_cost_t;

/* Silicon area of one component, computed from its parameters alone (no
 * sim_init needed): the parts it is made of (cells, converters, PEs,
 * buffers, ...) on the logic die, in um^2, and what sits off that die (the
 * DRAM dies of a 3D stack: counted apart, never in um2). */
#define DEV_AREA_PARTS 8
typedef struct dev_area_part {
    const char *name; /* "cells", "adc", "pe", ... (static text) */
    double um2;
} dev_area_part_t;
typedef struct dev_area {
    double um2;        /* on the logic die: the sum of the parts */
    double offdie_um2; /* stacked on or beside the die (not in um2) */
    size_t nparts;
    dev_area_part_t part[DEV_AREA_PARTS];
} dev_area_t;

/* What a model is, for the layers above (the mapper's tiers, the trace's
 * views, `prism chip`): read from its registration, never from its name. */
typedef enum {
    DEV_CAT_OTHER = 0,
    DEV_CAT_DIGITAL,      /* "digital": systolic arrays, vector units */
    DEV_CAT_CROSSBAR,     /* "xbar": analog in-memory crossbars */
    DEV_CAT_PHOTONIC,     /* "photonic": cores, converters, lasers, detectors */
    DEV_CAT_MEMORY,       /* "memory": SRAM buffers, DRAM */
    DEV_CAT_NETWORK,      /* "network": routers, network interfaces */
    DEV_CAT_INTERCONNECT, /* "interconnect": point-to-point wires */
} dev_category_t;
#define DEV_CAT_COUNT (DEV_CAT_INTERCONNECT + 1)
typedef enum { DEV_MEM_NONE = 0, DEV_MEM_SRAM, DEV_MEM_DRAM } dev_mem_kind_t;
typedef struct dev_desc {
    dev_category_t category;
    unsigned ops;          /* DEV_OP_BIT of every op kind it accepts */
    int static_weights;    /* holds programmed weights across requests (crossbars, meshes) */
    dev_mem_kind_t memory; /* a memory: which kind */
} dev_desc_t;

/* The device extension of a sim_model_t (its `ext`): the clock it runs on
 * when the caller does not give one, and its numerics. Any function may be
 * NULL. `state` is the component state after init (parameters resolved). */
typedef struct dev_ext {
    double default_clock_hz; /* e.g. 1e9 systolic, 5e9 photonic core */
    /* what `prism op` sends by default: DEV_OP_GEMM, DEV_OP_MVM, ... */
    dev_opkind_t default_op;
    /* y[n_out] = W[n_out x n_in] * x[n_in] (row-major W) as the hardware would
     * compute it, with its quantization and noise. 0 or an error code; the
     * message goes through sim_comp_fail. */
    int (*mvm)(sim_comp_t *c, void *state, const double *W, size_t n_out, size_t n_in,
               const double *x, double *y, const dev_num_ctx_t *ctx);
    /* out[i] = the converter's output for in[i] (DAC/ADC quantization). */
    int (*convert)(sim_comp_t *c, void *state, const double *in, double *out, size_t n,
                   const dev_num_ctx_t *ctx);
    /* what `req` would cost now (no state changes, no ledger entries); 0, or a
     * negative code for a request the device cannot do (no message). */
    int (*cost)(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *out);
    /* A GEMM configuration (num/num.h) that computes the way this device
     * does, for training loops and accuracy studies without a timed run; the
     * configuration may point into `state` (its noise hook), so it lives as
     * long as the component. noise = 0: exact residues; seed keys the noise. */
    int (*gemm_config)(sim_comp_t *c, void *state, int noise, uint64_t seed, num_gemm_cfg_t *out);
    /* Silicon area from the component's resolved parameters (dev_area_t); 0,
     * or a negative code with a sentence in err (no component name). */
    int (*area)(const sim_params_t *p, dev_area_t *out, char *err, size_t n);
    dev_desc_t desc; /* what it is (category, ops, weights, memory) */
} dev_ext_t;

/* ---- what a model is (devices/registry.c) ----------------------------------------------------- */
/* Register a device model (a sim model whose ext is a dev_ext_t): it is a
 * device of `prism op --list` and describes itself (dev_desc_of). A test may
 * register its own. */
int dev_register(const sim_model_t *m);
/* Register a model of another family (noc/) whose ext is a dev_ext_t that
 * only describes it (desc): not an op device. */
int dev_register_described(const sim_model_t *m);
/* The record of a registered model by name; NULL for models that do not
 * describe themselves (sim's built-ins, drivers): category "other". */
const dev_desc_t *dev_desc_of(const char *model);
/* "digital", "xbar", "photonic", "memory", "network", "interconnect", "other" */
const char *dev_category_name(dev_category_t c);
/* dev_category_name of the model's record ("other" without one) */
const char *dev_model_category(const char *model);
/* 1 when the model is a matrix unit: accepts MVM or GEMM requests */
int dev_model_is_gemm(const char *model);

/* ---- op and function names ------------------------------------------------------------------ */
/* Choices strings for SIM_P_ENUM parameters. */
#define DEV_OP_CHOICES "none|mvm|gemm|convert|vector|read|write|program|transfer"
#define DEV_VF_CHOICES "none|softmax|layernorm|rmsnorm|gelu|silu|relu|add|mul"

const char *dev_op_name(int kind);      /* "mvm", ...; "none" for 0, "?" if unknown */
int dev_op_parse(const char *name);     /* dev_opkind_t, 0 for "none", -1 unknown */
const char *dev_vfunc_name(int vfunc);  /* "softmax", ...; "?" if unknown */
int dev_vfunc_parse(const char *name);  /* dev_vfunc_t, -1 unknown */

/* ---- numerics checks (devices/check.c) -------------------------------------------------------- */
/* A device's numerics against the exact FP64 result on seeded random
 * operands: inputs from stream (seed, 1) (uniform in [-1, 1]; N(0,1) for
 * vector functions), noise from stream (seed, 2). rel_error = ||y - y_exact||
 * / ||y_exact||. `prism op --check` prints them; the mapper can call them to
 * compare devices without a timed run. dut: a component after sim_init.
 * 0, SIM_ERR_CONFIG when the model has no such numerics, SIM_ERR_NOMEM, or
 * the device's own code; a message in err either way. */
typedef struct dev_check {
    const char *what; /* "mvm", "convert", "vector fp32 vs fp64", ... */
    double rel_error, max_abs_error;
    uint64_t values;  /* outputs compared */
} dev_check_t;
/* nvec vectors through a rows x cols matrix W (y = W x) */
int dev_check_mvm(sim_comp_t *dut, size_t rows, size_t cols, size_t nvec, uint64_t seed,
                  double read_after_s, int noise, dev_check_t *out, char *err, size_t errlen);
/* n samples through the converter: compared with its input */
int dev_check_convert(sim_comp_t *dut, size_t n, uint64_t seed, double read_after_s, int noise,
                      dev_check_t *out, char *err, size_t errlen);
/* rows x cols through vector function vfunc on a `vector` unit, against FP64 */
int dev_check_vector(sim_comp_t *dut, int vfunc, size_t rows, size_t cols, uint64_t seed,
                     dev_check_t *out, char *err, size_t errlen);

/* Helpers for models: pack/unpack payloads. */
void dev_req_from_event(const sim_event_t *ev, dev_req_t *out);
/* Send the completion for `req` back over `port` after `latency_ps`. */
int dev_complete(sim_comp_t *c, int port, const dev_req_t *req, uint64_t cycles,
                 sim_time_t latency_ps, double energy_pj, uint64_t bytes);

/* The cost of `req` on component c after sim_init (dev_cost_t). 0, or
 * SIM_ERR_CONFIG when c's model has no cost query or cannot do the request
 * (the message names the component and the op). */
int dev_cost(sim_comp_t *c, const dev_req_t *req, dev_cost_t *out, char *err, size_t n);
/* The silicon area of component c (built from a config; sim_init not
 * needed), from its model's area function. 0, or SIM_ERR_CONFIG when c is
 * not a device or its parameters give no area (the message names c). */
int dev_area(const sim_comp_t *c, dev_area_t *out, char *err, size_t n);
/* 1 when model `name` is a device model with an area function. */
int dev_model_has_area(const char *name);
/* The area of every component of a chip (a built config; drivers and other
 * non-devices hold none), the die and off-die totals, and the totals per
 * category of each model's record (`prism chip area` prints these). */
typedef struct dev_chip_area {
    size_t n;
    dev_area_t *area; /* per component (zero for non-devices) */
    int *device;      /* 1 when the component has an area */
    double die_um2, offdie_um2;
    double cat_um2[DEV_CAT_COUNT], cat_offdie_um2[DEV_CAT_COUNT];
} dev_chip_area_t;
/* 0, or 1 with a message in err (nothing to free then). */
int dev_chip_area(sim_t *s, dev_chip_area_t *out, char *err, size_t n);
void dev_chip_area_free(dev_chip_area_t *a);

/* The static (leakage, bias, heater) power a component burns whatever it does. */
double dev_static_power_mw(const sim_comp_t *c);

/* 1 when device model `model` serves requests of kind `kind` (dev_opkind_t);
 * 0 for other kinds and for models that are not devices (noc_terminal,
 * sink, ...), which serve none. A schedule is checked against it at load. */
int dev_model_serves(const char *model, int kind);
/* The kinds it serves as "read, write" in buf; 0 when it serves none. */
int dev_model_ops_text(const char *model, char *buf, size_t n);

/* Register every device model (called by sim_register_builtin_models' caller). */
void dev_register_all(void);

#ifdef __cplusplus
}
#endif
#endif
