/* The systolic array's cost model as pure functions (no engine needed):
 * SCALE-Sim v2's compute cycles, folds and SRAM traffic for os/ws/is
 * dataflows (closed forms in docs/devices/systolic.md), its ceil-based
 * conv-to-GEMM rule, and prism's realistic mode (double-buffered stationary
 * operand, stalls on operand SRAM bandwidth). The timed component is
 * `systolic` (devices/systolic.c); the mapper may call these directly. */
#ifndef PRISM_DEV_SYSTOLIC_H
#define PRISM_DEV_SYSTOLIC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SYSTOLIC_OS = 0, /* output stationary: M over rows, N over columns, K streamed */
    SYSTOLIC_WS = 1, /* weight stationary: K over rows, N over columns, M streamed */
    SYSTOLIC_IS = 2, /* input stationary: K over rows, M over columns, N streamed */
} systolic_dataflow_t;

typedef enum {
    SYSTOLIC_SCALESIM = 0,  /* SCALE-Sim v2's cycles and traffic, exactly */
    SYSTOLIC_REALISTIC = 1, /* preload hidden under drain; bandwidth stalls */
} systolic_mode_t;

typedef struct systolic_cfg {
    uint64_t rows, cols;          /* R x C processing elements, >= 1 */
    systolic_dataflow_t dataflow;
    systolic_mode_t mode;
    uint64_t word_bytes;          /* bytes per operand word, >= 1 */
    /* operand SRAM bandwidth in bytes per cycle, 0 = unlimited; used in
     * realistic mode only (SCALE-Sim's calculated-bandwidth mode never stalls) */
    double ifmap_bw, filter_bw, ofmap_bw;
} systolic_cfg_t;

typedef struct systolic_cost {
    uint64_t folds;           /* F: how many times the array is refilled */
    uint64_t fold_cycles;     /* SCALE-Sim rows of work per fold */
    uint64_t scalesim_cycles; /* F * fold_cycles - 1 (SCALE-Sim's last-cycle index) */
    uint64_t overlap_saved_cycles; /* realistic: preload hidden under drain (0 in scalesim) */
    uint64_t stall_cycles;    /* realistic: waiting on operand SRAM bandwidth (0 in scalesim) */
    uint64_t cycles;          /* what the array takes in the chosen mode */
    uint64_t macs;            /* M * K * N */
    /* SRAM traffic in bytes (words * word_bytes) */
    uint64_t ifmap_read_bytes, filter_read_bytes, ofmap_write_bytes;
    /* SCALE-Sim's os output-write artifact F*(R+C) words, in bytes; included
     * in ofmap_write_bytes in scalesim mode, 0 otherwise */
    uint64_t ofmap_artifact_bytes;
    double utilization; /* macs / (cycles * R * C); cycles taken as >= 1 */
    char err[160];      /* why the call failed (empty on success) */
} systolic_cost_t;

/* Cost of one [m x k] * [k x n] GEMM on the array described by `cfg`.
 * Returns 0, or SIM_ERR_CONFIG (-3) with out->err set when a dimension or
 * the array size is 0, a bandwidth is negative or not finite, or a count
 * would overflow 64 bits. */
int systolic_gemm_cost(const systolic_cfg_t *cfg, uint64_t m, uint64_t k, uint64_t n,
                       systolic_cost_t *out);

/* SCALE-Sim's im2col for one conv layer (batch 1, no padding):
 * OH = ceil((H - FH + S) / S), OW = ceil((W - FW + S) / S) (ceil, not floor:
 * 224 wide, 7 wide filter, stride 2 gives 110), M = OH * OW,
 * K = FH * FW * C, N = NF. Returns 0, or SIM_ERR_CONFIG when a size is 0 or
 * the filter is larger than the input. */
int systolic_conv_to_gemm(uint64_t h, uint64_t w, uint64_t c, uint64_t fh, uint64_t fw,
                          uint64_t stride, uint64_t nf, uint64_t *m, uint64_t *k, uint64_t *n);

/* "os" | "ws" | "is" -> dataflow, "scalesim" | "realistic" -> mode; -1 when unknown. */
int systolic_dataflow_parse(const char *name);
int systolic_mode_parse(const char *name);
const char *systolic_dataflow_name(systolic_dataflow_t df);

#ifdef __cplusplus
}
#endif
#endif
