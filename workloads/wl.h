/* prism's workload IR: the one public header of workloads/.
 * A workload is a topologically ordered graph of operations on named tensors
 * with shapes and dtypes. Each op carries its cost (MACs, bytes read and
 * written) and says which operands are static weights and which are
 * activations. Graphs come from built-in generators (GPT-2, Llama, BERT,
 * ViT, ResNet; figures from the models' papers and reference code) or from an
 * ONNX file. Count conventions are in docs/workloads.md. */
#ifndef PRISM_WL_H
#define PRISM_WL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- error codes (every call returns 0 or one of these) ------------------ */
/* One numbering for all of prism (sim/sim.h has the table): a value means
 * the same in every layer's names (SIM_ERR_*, WL_ERR_*, WL_FWD_E*, NUM_ERR_*),
 * checked by tests/check_audit.c. */
enum {
    WL_OK = 0,
    WL_ERR = -1,             /* generic; see the message */
    WL_ERR_NOMEM = -2,
    WL_ERR_ARG = -3,         /* bad argument or option */
    WL_ERR_IO = -4,          /* file cannot be opened or read */
    WL_ERR_FORMAT = -5,      /* malformed file */
    WL_ERR_UNSUPPORTED = -6, /* valid input prism cannot handle (e.g. an operator) */
    WL_ERR_NOTFOUND = -7,    /* unknown name */
    WL_ERR_EXEC = -11,       /* an executor (a device's numerics) returned an error */
};

/* ---- dtypes --------------------------------------------------------------- */
typedef enum {
    WL_DT_UNKNOWN = 0,
    WL_DT_F32,
    WL_DT_F16,
    WL_DT_BF16,
    WL_DT_F64,
    WL_DT_I8,
    WL_DT_U8,
    WL_DT_I16,
    WL_DT_I32,
    WL_DT_I64,
    WL_DT_BOOL,
    WL_DT_COUNT_
} wl_dtype_t;

size_t wl_dtype_size(wl_dtype_t dt);        /* bytes per element; 0 for UNKNOWN */
const char *wl_dtype_name(wl_dtype_t dt);   /* "f32", "f16", ... */
int wl_dtype_parse(const char *s, wl_dtype_t *out); /* 0 or WL_ERR_ARG */

/* A graph holds at most this many ops (every builder and importer stops
 * there with WL_ERR_ARG): gpt2:layers=1000000000 used to grow without end. */
#define WL_GRAPH_MAX_OPS 1000000

/* ---- shapes and tensors ---------------------------------------------------- */
#define WL_MAX_RANK 8
typedef struct {
    int rank;                  /* 0 = scalar */
    int64_t dim[WL_MAX_RANK];
} wl_shape_t;

uint64_t wl_shape_numel(const wl_shape_t *s);
/* Writes "[1,128,768]" into buf; returns buf. */
char *wl_shape_str(const wl_shape_t *s, char *buf, size_t len);

/* Tensor roles (flags). */
#define WL_T_INPUT 1u  /* graph input (token ids, image, KV cache) */
#define WL_T_WEIGHT 2u /* static parameter: can live in a crossbar */
#define WL_T_OUTPUT 4u /* graph output */
#define WL_T_CONST 8u  /* constant folded at import (masks, scalars): not a parameter */
/* KV cache (decoder LMs): with WL_T_INPUT, decode's past keys/values, which
 * live in memory and are read every step; on an activation, the keys/values
 * a prefill computes and stores into the cache. The mapper places the cache
 * (docs/workloads.md, "KV cache"). */
#define WL_T_KV 16u

typedef struct wl_tensor {
    const char *name;
    wl_dtype_t dtype;
    wl_shape_t shape;
    unsigned flags;    /* WL_T_* */
    uint64_t bytes;    /* numel * dtype size */
} wl_tensor_t;

/* ---- operations ----------------------------------------------------------- */
typedef enum {
    WL_OP_MATMUL,       /* GEMM; weight x activation or activation x activation */
    WL_OP_CONV,         /* convolution (GEMM view through im2col) */
    WL_OP_ATTN_SCORE,   /* Q x K^T per head: both operands activations */
    WL_OP_ATTN_CONTEXT, /* P x V per head: both operands activations */
    WL_OP_SOFTMAX,
    WL_OP_LAYERNORM,
    WL_OP_RMSNORM,
    WL_OP_BATCHNORM,
    WL_OP_ACTIVATION,   /* gelu, relu, silu, tanh, erf, ... (detail names it) */
    WL_OP_ELEMENTWISE,  /* add, mul, residual, mask, ... */
    WL_OP_EMBEDDING,    /* table lookup from a static weight */
    WL_OP_ROPE,         /* rotary position embedding of q/k */
    WL_OP_POOL,         /* max/average pooling */
    WL_OP_REDUCE,       /* reductions other than norms */
    WL_OP_COPY,         /* data movement: concat, slice, split, gather, pad, KV append */
    WL_OP_RESHAPE,      /* view change: zero cost, tracked */
    WL_OP_TRANSPOSE,    /* layout change: zero cost, tracked */
    WL_OP_KIND_COUNT_
} wl_opkind_t;

const char *wl_opkind_name(wl_opkind_t k); /* "matmul", "conv", ... */
/* 1 for the kinds with a GEMM view (MATMUL, CONV, ATTN_SCORE, ATTN_CONTEXT). */
int wl_opkind_is_gemm(wl_opkind_t k);

/* Convolution geometry (CONV and POOL ops; zero elsewhere). */
typedef struct {
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_top, pad_left, pad_bottom, pad_right;
    int dilation_h, dilation_w;
    int groups;
} wl_conv_t;

/* One operation. Pointers stay valid until wl_graph_destroy.
 * GEMM view (kinds where wl_opkind_is_gemm): the op multiplies `count`
 * independent pairs A[m x k] * B[k x n]; macs = count * m * k * n.
 *  - MATMUL with a weight: batch and sequence are folded into m, count = 1.
 *  - ATTN_SCORE / ATTN_CONTEXT: count = batch * heads (query heads).
 *  - CONV: m = batch * out_h * out_w, k = in_ch/groups * kh * kw,
 *          n = out_ch/groups, count = groups.
 * a_is_weight / b_is_weight tell which operand is a static weight (RRAM/PCM
 * can hold only those); both 0 means activation x activation. */
typedef struct wl_op {
    const char *name;
    wl_opkind_t kind;
    const char *detail;   /* e.g. "gelu", "add", "max"; ONNX op_type for imports */
    size_t n_inputs;
    const wl_tensor_t *const *inputs;   /* activations and weights, in order */
    size_t n_outputs;
    const wl_tensor_t *const *outputs;
    wl_dtype_t dtype;     /* dtype of the first output */
    uint64_t macs;        /* multiply-accumulates (GEMM-like ops only) */
    uint64_t bytes_read;  /* all inputs incl. weights; 0 when zero_cost */
    uint64_t bytes_written; /* all outputs; 0 when zero_cost */
    const wl_tensor_t *weight; /* main static weight, NULL if none */
    const wl_tensor_t *bias;   /* static bias/shift, NULL if none */
    uint64_t m, k, n, count;   /* GEMM view; 0 for other kinds */
    int a_is_weight, b_is_weight;
    wl_conv_t conv;
    int zero_cost;        /* RESHAPE / TRANSPOSE: no data moved */
    int in_place;         /* output 0 is input 0 updated in place (KV-cache append) */
    int layer;            /* transformer block / stage index, -1 if none */
} wl_op_t;

/* ---- graph ---------------------------------------------------------------- */
typedef struct wl_graph wl_graph_t;

wl_graph_t *wl_graph_create(const char *name); /* NULL on out of memory */
void wl_graph_destroy(wl_graph_t *g);          /* NULL ok */
const char *wl_graph_name(const wl_graph_t *g);
/* Message of the last failed call on g ("" if none). */
const char *wl_graph_errmsg(const wl_graph_t *g);

size_t wl_graph_op_count(const wl_graph_t *g);
const wl_op_t *wl_graph_op(const wl_graph_t *g, size_t i); /* topological order */
size_t wl_graph_tensor_count(const wl_graph_t *g);
const wl_tensor_t *wl_graph_tensor(const wl_graph_t *g, size_t i);
const wl_tensor_t *wl_graph_find_tensor(const wl_graph_t *g, const char *name);

/* Totals. params and weight_bytes count each distinct WL_T_WEIGHT tensor
 * once (tied embeddings count once). activation_bytes sums bytes_written over
 * all ops (every activation tensor produced, views excluded). */
uint64_t wl_graph_total_macs(const wl_graph_t *g);
uint64_t wl_graph_params(const wl_graph_t *g);
uint64_t wl_graph_weight_bytes(const wl_graph_t *g);
uint64_t wl_graph_activation_bytes(const wl_graph_t *g);
/* Sum of macs over ops of one kind. */
uint64_t wl_graph_kind_macs(const wl_graph_t *g, wl_opkind_t kind);
/* Path of the ONNX file a graph came from, NULL for built-ins. */
const char *wl_graph_source(const wl_graph_t *g);

/* ---- building a graph ----------------------------------------------------- */
/* Adds a tensor (flags WL_T_*). Names are unique; a duplicate fails. Returns
 * the tensor, or NULL with the message in wl_graph_errmsg. */
const wl_tensor_t *wl_graph_add_tensor(wl_graph_t *g, const char *name, wl_dtype_t dt,
                                       const wl_shape_t *shape, unsigned flags);

typedef struct {
    const char *name;
    wl_opkind_t kind;
    const char *detail;
    const char *const *inputs;  /* tensor names */
    size_t n_inputs;
    const char *const *outputs; /* tensor names, added but not yet produced */
    size_t n_outputs;
    const char *weight;         /* name of the input that is the main weight, or NULL */
    const char *bias;           /* name of the input that is the bias, or NULL */
    uint64_t m, k, n, count;    /* GEMM view (count 0 is taken as 1) */
    int a_is_weight, b_is_weight;
    wl_conv_t conv;
    int layer;
    int in_place; /* output 0 is input 0 updated in place: input 0 is neither read
                   * nor rewritten; the op reads and writes the other inputs' bytes */
} wl_op_spec_t;

/* Appends an op. Validates on the spot, so a graph is always topologically
 * ordered and consistent: every input is a graph input, a weight or the output
 * of an earlier op; every output is produced exactly once; op names are unique;
 * a GEMM-like op has m, k, n > 0 and its first output holds count*m*n
 * elements; weight/bias name one of the inputs. Fills macs and bytes.
 * Returns 0 or a negative code with the message in wl_graph_errmsg. */
int wl_graph_add_op(wl_graph_t *g, const wl_op_spec_t *spec);

/* ---- loading -------------------------------------------------------------- */
typedef enum { WL_PHASE_PREFILL = 0, WL_PHASE_DECODE = 1 } wl_phase_t;

/* Zero in batch, seq, image or dtype means the default; kv_len < 0 means
 * the default (wl_gen_opts_default sets it so). */
typedef struct {
    int batch;        /* default 1 */
    int seq;          /* prefill tokens per sequence; default: model's (128 for LMs) */
    wl_phase_t phase; /* decode: one new token per sequence */
    int kv_len;       /* decode: tokens already in the KV cache (default: seq);
                       * the new token attends to kv_len + 1 keys */
    int image;        /* image side for CNN/ViT, default 224 */
    wl_dtype_t dtype; /* weights and activations of built-ins; default f32 */
} wl_gen_opts_t;

void wl_gen_opts_default(wl_gen_opts_t *o);

/* spec: a built-in name (see wl_builtin_name) with optional overrides
 * "llama:hidden=4096,layers=32,..." or a path ending in ".onnx".
 * opts may be NULL (defaults). On failure returns a negative code, *out NULL,
 * and one sentence in err naming the file, node and field at fault. */
int wl_load(const char *spec, const wl_gen_opts_t *opts, wl_graph_t **out, char *err,
            size_t errlen);

/* Built-in model names, for `prism workload list`. */
size_t wl_builtin_count(void);
const char *wl_builtin_name(size_t i);
const char *wl_builtin_desc(size_t i);

/* ---- ONNX ----------------------------------------------------------------- */
/* Imports an ONNX model: shapes are inferred and shape computations folded;
 * initializer data (inline or external) is not read. batch/seq in opts fill
 * symbolic input dimensions only. */
int wl_onnx_import(const char *path, const wl_gen_opts_t *opts, wl_graph_t **out, char *err,
                   size_t errlen);

/* Reads the raw little-endian bytes of one initializer of an ONNX file,
 * inline or from its external data file (resolved next to the .onnx file).
 * On success *data (free with free()) and *len are set. Fails naming the
 * missing data file, or the tensor if there is none of that name. */
int wl_onnx_load_initializer(const char *path, const char *tensor, void **data, size_t *len,
                             char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
