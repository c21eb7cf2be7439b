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
/* The one SplitMix64 of prism (sim/rng.c and mapper/search.c call it): the
 * finalizer alone (xor-shift-multiply: shifts 30, 27, 31), no gamma added. */
#define NUM_GOLDEN_GAMMA 0x9e3779b97f4a7c15ull
uint64_t num_splitmix64(uint64_t x);
uint64_t num_mix64(uint64_t z); /* num_splitmix64(z + gamma) */
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

/* ---- residue number system ------------------------------------------------- */
/* 128-bit integers (a GCC/Clang extension) hold values and dynamic ranges. */
__extension__ typedef __int128 num_i128_t;
__extension__ typedef unsigned __int128 num_u128_t;

#define NUM_RNS_MAX 8             /* moduli in a set, base + redundant */
#define NUM_RNS_GEMM_MAX_M 65536u /* largest modulus of a modular GEMM (16-bit residues) */

/* A moduli set: k base moduli m[0..k-1] (pairwise coprime) give the dynamic
 * range M = m[0] * ... * m[k-1]; signed values are centred,
 * lo = -floor(M/2) .. hi = M - 1 - floor(M/2). r redundant moduli
 * m[k..k+r-1], each at least as large as every base modulus and coprime to
 * all, make a redundant RNS (Barsi and Maestrini, "Error correcting
 * properties of redundant residue number systems", IEEE TC 1973): r >= 1
 * detects one faulty residue, r >= 2 corrects it. Filled by num_rns_init;
 * the fields after `hi` are precomputed constants. */
typedef struct num_rns {
    int k, r, n; /* base, redundant, total moduli */
    uint32_t m[NUM_RNS_MAX];
    num_u128_t range;     /* M */
    num_u128_t range_all; /* product of all n moduli */
    num_i128_t lo, hi;    /* centred range of legitimate values */
    /* CRT over the base moduli and over all but modulus d (d = n: all) */
    num_u128_t crt_mi[NUM_RNS_MAX + 1][NUM_RNS_MAX]; /* (product of the set) / m[i] */
    uint32_t crt_inv[NUM_RNS_MAX + 1][NUM_RNS_MAX];  /* (crt_mi mod m[i])^-1 mod m[i] */
    num_u128_t crt_prod[NUM_RNS_MAX + 1];            /* product of the set */
    uint32_t base_mi_inv[NUM_RNS_MAX];               /* same for the base set */
    num_u128_t base_mi[NUM_RNS_MAX];
    uint32_t mrc_inv[NUM_RNS_MAX][NUM_RNS_MAX]; /* m[i]^-1 mod m[j], i < j */
    uint32_t offset[NUM_RNS_MAX];               /* floor(M/2) mod m[i] */
} num_rns_t;

/* Validate and precompute a set of k base + r redundant moduli (moduli[0..k+r-1]).
 * Errors (NUM_ERR_ARG, message in err) name the problem: a modulus below 2,
 * two moduli not coprime (and their common factor), a redundant modulus
 * smaller than a base one, a product of all moduli of 2^126 or more. */
int num_rns_init(num_rns_t *rns, const uint32_t *moduli, int k, int r, char *err, size_t errlen);

/* ceil(log2 m): the width of a residue of m (its converters' bits). */
int num_rns_residue_bits(uint32_t m);
/* log2 of the dynamic range M. */
double num_rns_range_bits(const num_rns_t *rns);

/* The dynamic range a dot product of K terms of a_bits x b_bits signed
 * operands (symmetric codes, |a| <= 2^(a_bits-1) - 1) needs, in bits:
 * log2(2 K qa qb + 1), so that every result lies in the centred range. */
double num_rns_gemm_range_bits(uint64_t K, int a_bits, int b_bits);

/* 0 when every dot product of K terms of a_bits x b_bits operands lies in the
 * set's centred range; otherwise NUM_ERR_RANGE with a message naming M, K,
 * the operand bits and the range needed. */
int num_rns_check_gemm(const num_rns_t *rns, uint64_t K, int a_bits, int b_bits, char *err,
                       size_t errlen);

/* Choose pairwise coprime moduli of at most residue_bits bits (2..16),
 * largest first (2^b, 2^b - 1, ... skipping any that shares a factor with
 * one already taken), until their product reaches 2^range_bits. Writes them
 * to moduli[] and their count to *k. NUM_ERR_ARG when no such set of at most
 * NUM_RNS_MAX moduli exists (the message says so). */
int num_rns_select(int residue_bits, double range_bits, uint32_t *moduli, int *k, char *err,
                   size_t errlen);

/* r redundant moduli for the base set: the smallest integers above the
 * largest base modulus that are coprime to every modulus taken so far. */
int num_rns_pick_redundant(const uint32_t *base, int k, int r, uint32_t *out, char *err,
                           size_t errlen);

/* Forward conversion of a signed value into all n residues (each in
 * [0, m)). NUM_ERR_RANGE when x is outside [lo, hi]. */
int num_rns_from_int(const num_rns_t *rns, num_i128_t x, uint32_t *res);

/* Reverse conversion of the k base residues to the centred value, by the
 * Chinese remainder theorem or by mixed-radix conversion (same result). */
num_i128_t num_rns_to_int_crt(const num_rns_t *rns, const uint32_t *res);
num_i128_t num_rns_to_int_mrc(const num_rns_t *rns, const uint32_t *res);

/* Decode all n residues with the redundant moduli: 0 and *x when the code
 * is legitimate; when one residue is faulty and r >= 2, that residue is
 * repaired in res[], *fixed = its index and 0 is returned; NUM_ERR_RANGE when
 * the code is not legitimate and cannot be repaired (an overflow, or more
 * faults than the redundancy covers), *x then the base-moduli value. *fixed
 * is -1 when nothing was repaired. With r = 0 this is num_rns_to_int_crt. */
int num_rns_decode(const num_rns_t *rns, uint32_t *res, num_i128_t *x, int *fixed);

/* Modular arithmetic on residues in [0, m), m < 2^32. */
static inline uint32_t num_mod_add(uint32_t a, uint32_t b, uint32_t m)
{
    uint64_t s = (uint64_t)a + b;
    return (uint32_t)(s >= m ? s - m : s);
}
static inline uint32_t num_mod_sub(uint32_t a, uint32_t b, uint32_t m)
{
    return a >= b ? a - b : (uint32_t)((uint64_t)a + m - b);
}
static inline uint32_t num_mod_mul(uint32_t a, uint32_t b, uint32_t m)
{
    return (uint32_t)((uint64_t)a * b % m);
}
static inline uint32_t num_mod_mac(uint32_t acc, uint32_t a, uint32_t b, uint32_t m)
{
    return (uint32_t)(((uint64_t)a * b + acc) % m);
}
/* x mod m in [0, m) for a signed x. */
static inline uint32_t num_mod_of(int64_t x, uint32_t m)
{
    int64_t r = x % (int64_t)m;
    return (uint32_t)(r < 0 ? r + (int64_t)m : r);
}
/* m^-1 mod n (gcd 1), 0 when there is none. */
uint32_t num_mod_inv(uint32_t a, uint32_t m);

/* Residue-wise add / multiply of two RNS values (all n residues). */
void num_rns_add(const num_rns_t *rns, const uint32_t *a, const uint32_t *b, uint32_t *out);
void num_rns_mul(const num_rns_t *rns, const uint32_t *a, const uint32_t *b, uint32_t *out);

/* Modular MVM and GEMM on residues of one modulus m (2..NUM_RNS_GEMM_MAX_M):
 * y[i] = sum_j W[i*n_in + j] x[j] mod m; C[i*N + j] = sum_k A[i*K + k] *
 * BT[j*K + k] mod m (B given transposed: both operands K-contiguous). Inputs
 * must be residues (< m). NUM_ERR_ARG for a modulus outside the range. */
int num_mod_mvm(uint32_t m, const uint32_t *W, size_t n_out, size_t n_in, const uint32_t *x,
                uint32_t *y);
int num_mod_gemm(uint32_t m, size_t M, size_t N, size_t K, const uint32_t *A, const uint32_t *BT,
                 uint32_t *C);

/* ---- block floating point ---------------------------------------------------- */
/* Blocks of `block` consecutive values (the last may be shorter) share an
 * exponent e; each value is an integer mantissa q in
 * [-(2^(bits-1) - 1), 2^(bits-1) - 1] with value q * 2^e. e is the least
 * integer with max|x| <= (2^(bits-1) - 1) 2^e, q = round-half-even(x / 2^e),
 * so |x - q 2^e| <= 2^(e-1) < max|x| / (2^(bits-1) - 1). An all-zero block
 * gets e = 0. bits 2..31. NUM_ERR_ARG for bad sizes or a value that is not
 * finite. exp[] gets ceil(n / block) entries. */
int num_bfp_encode(const float *x, size_t n, size_t block, int bits, int32_t *mant, int32_t *exp);
int num_bfp_decode(const int32_t *mant, const int32_t *exp, size_t n, size_t block, float *out);

/* ---- GEMM with transpose flags ------------------------------------------------ */
/* C = alpha op(A) op(B) + beta C, op(A) M x K, op(B) K x N, row-major with
 * leading dimensions; op(X) = X^T when trans_x. The forward pass of a layer
 * y = x W^T is (0, 1), the input gradient dx = dy W is (0, 0), the weight
 * gradient dW = dy^T x is (1, 0). Arithmetics:
 *  - FP32: float products summed in float, in k order;
 *  - BFP: op(A) rows and op(B) columns cut into blocks of `block` along K,
 *    each block BFP-encoded with mant_bits; the integer dot product of each
 *    block is exact; blocks are scaled by their exponents and summed in double;
 *  - RNS: as BFP, but each block's integer dot product is a modular GEMM per
 *    modulus of `rns` followed by redundancy decoding and CRT; a device may
 *    perturb the residues (residue_noise) the way its hardware does. */
typedef enum { NUM_ARITH_FP32 = 0, NUM_ARITH_BFP = 1, NUM_ARITH_RNS = 2 } num_arith_t;

const char *num_arith_name(int arith); /* "fp32" | "bfp" | "rns" | "?" */
int num_arith_parse(const char *name); /* -1 when unknown */

/* Called with the n residues (each < m) of modulus m[mod_index] that the
 * modular GEMM produced for dot products of k_len terms; may change them
 * in place (a device's noise) and returns how many it changed. `draw`
 * numbers the call for counter-based random streams. */
typedef size_t (*num_residue_noise_fn)(void *ctx, int mod_index, uint32_t m, size_t k_len,
                                       uint32_t *res, size_t n, uint64_t draw);

typedef struct num_gemm_cfg {
    int arith;     /* num_arith_t */
    int block;     /* BFP/RNS: block length along K (>= 1) */
    int mant_bits; /* BFP/RNS: mantissa bits incl. sign (2..24); 0: the widest the
                    * RNS range allows for the block (BFP: 8) */
    num_rns_t rns; /* RNS: the moduli */
    num_residue_noise_fn residue_noise; /* RNS: NULL for exact residues */
    void *noise_ctx;
    int retries; /* RNS: re-executions of a dot product whose code fails decoding */
} num_gemm_cfg_t;

typedef struct num_gemm_stats {
    uint64_t calls, macs;    /* GEMMs run, M*N*K multiply-adds */
    uint64_t residue_macs;   /* modular multiply-adds (macs x moduli) */
    uint64_t dot_products;   /* block dot products decoded (RNS) */
    uint64_t residue_errors; /* residues the device noise changed (retries included) */
    uint64_t corrected;      /* ... repaired by the redundant moduli */
    uint64_t detected;       /* ... found faulty and not repairable (after retries) */
    uint64_t retried;        /* re-executions */
} num_gemm_stats_t;

typedef struct num_gemm num_gemm_t;
/* Validate cfg (block, mantissa bits, and for RNS that a block's dot product
 * fits the range: the error says which moduli, K and bits) and allocate.
 * NULL on error with the message in err. */
num_gemm_t *num_gemm_create(const num_gemm_cfg_t *cfg, char *err, size_t errlen);
void num_gemm_destroy(num_gemm_t *g);                       /* NULL is a no-op */
const num_gemm_cfg_t *num_gemm_config(const num_gemm_t *g); /* mant_bits resolved */
const num_gemm_stats_t *num_gemm_stats(const num_gemm_t *g);
void num_gemm_reset_stats(num_gemm_t *g);
int num_gemm_run(num_gemm_t *g, int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
                 const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                 size_t ldc);

#ifdef __cplusplus
}
#endif
#endif
