/* workloads/wl_forward.h: the numerical ground truth of prism's workloads.
 * A safetensors reader (format of Hugging Face's `safetensors` crate) and a
 * plain-C GPT-2 forward pass (HF GPT2LMHeadModel semantics, llm.c style) whose
 * every projection runs through a pluggable executor (exact FP32 by default,
 * or a device model's noisy MVM), so the mapper can measure accuracy. */
#ifndef PRISM_WL_FORWARD_H
#define PRISM_WL_FORWARD_H

#include "workloads/wl.h"

#include <stddef.h>
#include <stdint.h>

/* Return codes: 0 ok, negative on error; the handle (or the err buffer of the
 * open/load call) keeps a message naming the file and the tensor or field.
 * The same values as workloads/wl.h (one numbering for prism: sim/sim.h). */
enum {
    WL_FWD_OK = WL_OK,
    WL_FWD_EIO = WL_ERR_IO,             /* file missing, unreadable or short */
    WL_FWD_EFORMAT = WL_ERR_FORMAT,     /* malformed or lying file contents */
    WL_FWD_ENOMEM = WL_ERR_NOMEM,       /* allocation failed */
    WL_FWD_ENOTFOUND = WL_ERR_NOTFOUND, /* tensor or projection name unknown */
    WL_FWD_EINVAL = WL_ERR_ARG,         /* bad argument (size, token id, dtype) */
    WL_FWD_EEXEC = WL_ERR_EXEC          /* an executor returned an error */
};

/* ---------------------------------------------------------------------
 * safetensors
 * File = u64 little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F16", "shape": [..], "data_offsets": [begin, end]},
 *  "__metadata__": {..}}, then the data section; offsets are relative to
 * the start of the data section.
 * ------------------------------------------------------------------- */
#define WL_ST_MAX_DIMS 8

typedef enum wl_st_dtype {
    WL_ST_BOOL, WL_ST_U8, WL_ST_I8, WL_ST_F8_E4M3, WL_ST_F8_E5M2,
    WL_ST_I16, WL_ST_U16, WL_ST_F16, WL_ST_BF16,
    WL_ST_I32, WL_ST_U32, WL_ST_F32,
    WL_ST_I64, WL_ST_U64, WL_ST_F64
} wl_st_dtype_t;

typedef struct wl_st_tensor {
    const char *name;           /* owned by the handle */
    wl_st_dtype_t dtype;
    int ndim;
    uint64_t shape[WL_ST_MAX_DIMS];
    uint64_t numel;             /* product of shape (1 for a scalar) */
    uint64_t begin, end;        /* byte range within the data section */
} wl_st_tensor_t;

typedef struct wl_st wl_st_t;

/* Opens and validates a safetensors file (read whole into memory). On
 * success *out is the handle; on failure *out is NULL, err holds one
 * sentence naming the file and the bad field, and a negative code returns. */
int wl_st_open(const char *path, wl_st_t **out, char *err, size_t errlen);
/* Same over a memory image (copied); `label` names it in messages. */
int wl_st_open_mem(const void *buf, size_t len, const char *label,
                   wl_st_t **out, char *err, size_t errlen);
void wl_st_close(wl_st_t *st); /* NULL is a no-op */

int wl_st_count(const wl_st_t *st);
const wl_st_tensor_t *wl_st_tensor_at(const wl_st_t *st, int i);
const wl_st_tensor_t *wl_st_find(const wl_st_t *st, const char *name);
const char *wl_st_metadata(const wl_st_t *st, const char *key); /* or NULL */
const char *wl_st_dtype_name(wl_st_dtype_t dt);
size_t wl_st_dtype_size(wl_st_dtype_t dt);

/* Copies tensor `name` into out[0..numel) as float32 (from F32, F16, BF16).
 * `n` is the capacity of out; fewer than numel is WL_FWD_EINVAL. */
int wl_st_read_f32(wl_st_t *st, const char *name, float *out, size_t n);
/* Allocates (malloc) and returns the tensor as float32, or NULL with the
 * handle's message set; *numel receives the element count if not NULL. */
float *wl_st_load_f32(wl_st_t *st, const char *name, size_t *numel);
const char *wl_st_errmsg(const wl_st_t *st);

/* IEEE half and bfloat16 to float (exact). */
float wl_f16_to_f32(uint16_t h);
float wl_bf16_to_f32(uint16_t h);

/* ---------------------------------------------------------------------
 * Projections and executors
 * A projection is y[r][o] = sum_i x[r][i] * W[i][o] + bias[o], with W
 * stored row-major as [n_in][n_out] (the HF Conv1D layout; lm_head is given
 * in the same layout). GPT-2 has 4 per block + lm_head, indexed
 * layer*4 + {0 attn.c_attn, 1 attn.c_proj, 2 mlp.c_fc, 3 mlp.c_proj} and
 * lm_head = 4*n_layer; named "h.<layer>.attn.c_attn" ... and "lm_head".
 * ------------------------------------------------------------------- */
typedef struct wl_proj {
    const char *name;   /* "h.0.attn.c_proj", "lm_head" */
    int index;          /* 0 .. n_proj-1 */
    int layer;          /* block index, -1 for lm_head */
    int n_in, n_out;
    const float *W;     /* [n_in][n_out] */
    const float *bias;  /* [n_out] or NULL */
} wl_proj_t;

/* The executor computes every projection of a forward pass: y[n_rows][n_out]
 * from x[n_rows][n_in]. It returns 0 or a negative code (the forward pass
 * stops and reports the projection). To replace only some projections, an
 * executor calls wl_exec_exact() for the others. */
typedef struct wl_executor {
    void *ctx;
    int (*gemm)(void *ctx, const wl_proj_t *proj, const float *x, int n_rows,
                float *y);
} wl_executor_t;

/* Exact FP32 projection (float accumulation in input order, bias first). */
int wl_exec_exact(void *ctx, const wl_proj_t *proj, const float *x, int n_rows,
                  float *y);
/* The default executor: every projection through wl_exec_exact. */
wl_executor_t wl_executor_exact(void);

/* A built-in perturbing executor, after the AIMC profiling recipe
 * (REFERENCE.md section 4): for the chosen projection(s), weights get
 * Gaussian programming noise sigma = weight_sigma_frac * max|W| (drawn once
 * per weight from a counter-based generator keyed by (seed, projection,
 * weight index), so results do not depend on call order), inputs go through
 * an in_bits DAC and the MVM outputs (before bias) through an out_bits ADC,
 * both symmetric and scaled per token (row) to its largest magnitude.
 * bits = 0 means no quantization. Other projections run exact. */
typedef struct wl_noise_cfg {
    int target;               /* projection index, or -1 for all */
    double weight_sigma_frac; /* 0 = no weight noise */
    int in_bits, out_bits;    /* 0 = none, else 2..24 */
    uint64_t seed;
} wl_noise_cfg_t;

typedef struct wl_noise_exec wl_noise_exec_t;
wl_noise_exec_t *wl_noise_exec_create(const wl_noise_cfg_t *cfg);
void wl_noise_exec_destroy(wl_noise_exec_t *ne); /* NULL is a no-op */
wl_executor_t wl_noise_executor(wl_noise_exec_t *ne);

/* ---------------------------------------------------------------------
 * GPT-2 (HF GPT2LMHeadModel): config.json + model.safetensors
 * ------------------------------------------------------------------- */
typedef enum wl_act { WL_ACT_GELU_TANH, WL_ACT_GELU_ERF, WL_ACT_RELU } wl_act_t;

typedef struct wl_gpt2_config {
    int n_layer, n_head, n_embd, n_inner, n_ctx, vocab_size;
    double ln_eps;
    wl_act_t act;
    int scale_attn_weights;             /* divide scores by sqrt(head dim) */
    int scale_attn_by_inverse_layer_idx;/* and by (layer + 1) */
} wl_gpt2_config_t;

typedef struct wl_gpt2 wl_gpt2_t;

/* Loads dir/config.json and dir/model.safetensors; NULL on error with err
 * naming the file and field. Weights of any float dtype become float32. */
wl_gpt2_t *wl_gpt2_load(const char *dir, char *err, size_t errlen);
void wl_gpt2_free(wl_gpt2_t *m); /* NULL is a no-op */
const wl_gpt2_config_t *wl_gpt2_config(const wl_gpt2_t *m);
const char *wl_gpt2_errmsg(const wl_gpt2_t *m);

int wl_gpt2_n_proj(const wl_gpt2_t *m);
/* Index of a projection by name ("h.3.mlp.c_fc", "lm_head"; a leading
 * "transformer." is accepted), or WL_FWD_ENOTFOUND. */
int wl_gpt2_proj_index(const wl_gpt2_t *m, const char *name);
/* Describes projection i (0 <= i < n_proj) with the model's exact weights. */
int wl_gpt2_proj(const wl_gpt2_t *m, int i, wl_proj_t *out);

/* The workload-IR spec of this very model, for wl_load() in workloads/wl.h
 * ("gpt2:hidden=128,layers=12,..."): its weighted MATMUL ops carry the
 * projection names above (op->name -> wl_gpt2_proj_index), k = n_in and
 * n = n_out, so a mapping of the IR graph selects executor projections.
 * Returns the length written, or WL_FWD_EINVAL if buf is too small. */
int wl_gpt2_ir_spec(const wl_gpt2_t *m, char *buf, size_t len);

/* Causal forward pass of one sequence of n_tokens (1..n_ctx) token ids;
 * writes logits[n_tokens][vocab_size]. exec NULL = exact FP32. */
int wl_gpt2_forward(wl_gpt2_t *m, const int *tokens, int n_tokens,
                    float *logits, const wl_executor_t *exec);

/* Mean next-token cross-entropy (nats) over rows x cols positions; each row
 * is one independent sequence of cols tokens, targets[r][t] the next token. */
int wl_gpt2_eval(wl_gpt2_t *m, const uint8_t *tokens, const uint8_t *targets,
                 int rows, int cols, const wl_executor_t *exec,
                 double *mean_ce);

/* Same over two byte files of rows x cols (row-major); rows = 0 means all
 * rows the files hold (their size must be a multiple of cols). *rows_done
 * receives the number of rows evaluated if not NULL. */
int wl_gpt2_eval_files(wl_gpt2_t *m, const char *tokens_path,
                       const char *targets_path, int rows, int cols,
                       const wl_executor_t *exec, double *mean_ce,
                       int *rows_done);

/* Reads a whole little-endian float32 file into a malloc'd array (used for
 * reference logits); NULL with err set on error. */
float *wl_read_f32_file(const char *path, size_t *count, char *err,
                        size_t errlen);

#endif
