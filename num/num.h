/* prism's numerics layer: the one public header of num/. Pure functions and
 * small caller-owned structs, no global state, nothing of prism's below it:
 * the counter-based random numbers and the symmetric quantizer every model
 * shares, residue number system (RNS) arithmetic with redundant moduli, block
 * floating point (BFP), and a GEMM with transpose flags that fp32, BFP or
 * BFP -> RNS -> BFP can back. */
#ifndef PRISM_NUM_H
#define PRISM_NUM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes. The values are those of the sim_ codes of the same meaning
 * (SIM_ERR_NOMEM, SIM_ERR_CONFIG), so a device can hand them on unchanged. */
enum {
    NUM_OK = 0,
    NUM_ERR_NOMEM = -2,
    NUM_ERR_ARG = -3,   /* bad argument: the message says which */
    NUM_ERR_RANGE = -8, /* a value or result outside the dynamic range */
};

/* ---- counter-based random numbers ------------------------------------------ */
/* Draw `counter` of stream (seed, stream) depends on nothing else: the
 * SplitMix64 finalizer (Steele, Lea, Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014) used as a hash of (seed, stream, counter). */
uint64_t num_mix64(uint64_t z); /* z + gamma, mixed */
uint64_t num_rand_u64(uint64_t seed, uint64_t stream, uint64_t counter);
double num_uniform(uint64_t seed, uint64_t stream, uint64_t counter); /* in (0, 1) */
/* Standard normal by Box-Muller on uniforms 2*counter and 2*counter + 1. */
double num_gauss(uint64_t seed, uint64_t stream, uint64_t counter);

/* ---- symmetric quantizer --------------------------------------------------- */
/* Symmetric uniform quantizer with 2^(bits-1) - 1 levels on each side of 0
 * (an 8-bit code covers -127..127). The full scale is `scale` (> 0) or, when
 * `scale` is 0, the vector's own max |in[i]| (per-vector scaling). Values
 * beyond the full scale saturate. step = scale / (2^(bits-1) - 1) and every
 * in-range value lands within step/2 of its input (ties to even). 1 bit:
 * sign only (+-scale, 0 stays 0). `out` may alias `in`. Returns 0, or
 * NUM_ERR_ARG when bits is outside 1..52, scale < 0, an argument is NULL
 * with n > 0, or the per-vector scale is not finite. An all-zero vector with
 * scale 0 gives zeros. */
int num_quantize(const double *in, double *out, size_t n, int bits, double scale);

/* The step (LSB) num_quantize uses for `bits` and full scale `scale`
 * (scale itself for 1 bit); negative on bad input. */
double num_quant_step(int bits, double scale);

/* max |x[i]| (0 for n == 0). */
double num_max_abs(const double *x, size_t n);

/* The same quantizer in float arithmetic, applied in place to each row of
 * v[rows][n] with the row's own max |v| as full scale (a row that is all
 * zero or not finite is left alone). bits 2..24; NUM_ERR_ARG otherwise. */
int num_quantize_rows_f(float *v, size_t rows, size_t n, int bits);

#ifdef __cplusplus
}
#endif
#endif
