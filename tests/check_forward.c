/* tests/check_forward.c: the C GPT-2 forward pass against PyTorch on the
 * tiny-gpt2 fixture (HF GPT2LMHeadModel, logits in ref_logits.f32, mean
 * cross-entropy 1.45110 nats/byte over 16 x 128 positions), the executor
 * plug-in point (exact, replaced, failing, noisy) and loader error paths. */
#include "workloads/wl.h"
#include "workloads/wl_forward.h"
#include "num/num.h"
/* the `prism workload eval` command itself, called in-process (the test
 * binaries link libprism.a only, not the cli/ objects) */
#include "tests/check_exec.h"
#include <cjson/cJSON.h>
#include <stdarg.h>

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_ "tests/fixtures/tiny-gpt2"
#define TOKENS DIR_ "/eval_tokens.u8"
#define TARGETS DIR_ "/eval_targets.u8"
#define REF_CE 1.45110 /* PyTorch, fixtures README */

static wl_gpt2_t *model;
static uint8_t tokens[16 * 128], targets[16 * 128];

static void read_exact(const char *path, uint8_t *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: run the tests from the repository root", path);
    ck_assert_uint_eq(fread(buf, 1, n, f), n);
    ck_assert_int_eq(fgetc(f), EOF);
    fclose(f);
}

static void setup(void)
{
    char err[512] = "";
    model = wl_gpt2_load(DIR_, err, sizeof err);
    ck_assert_msg(model != NULL, "%s", err);
    read_exact(TOKENS, tokens, sizeof tokens);
    read_exact(TARGETS, targets, sizeof targets);
}

static void teardown(void)
{
    wl_gpt2_free(model);
    model = NULL;
}

static float *forward_row0(int T, const wl_executor_t *exec)
{
    const int V = wl_gpt2_config(model)->vocab_size;
    int ids[128];
    for (int t = 0; t < T; t++)
        ids[t] = tokens[t];
    float *logits = malloc((size_t)T * V * sizeof *logits);
    ck_assert_ptr_nonnull(logits);
    int rc = wl_gpt2_forward(model, ids, T, logits, exec);
    ck_assert_msg(rc == 0, "forward: %s", wl_gpt2_errmsg(model));
    return logits;
}

/* mean CE of logits[T][V] against targets of row 0 */
static double ce_of(const float *logits, int T, int V)
{
    double total = 0;
    for (int t = 0; t < T; t++) {
        const float *l = logits + (size_t)t * V;
        double mx = l[0], s = 0;
        for (int v = 1; v < V; v++)
            mx = l[v] > mx ? l[v] : mx;
        for (int v = 0; v < V; v++)
            s += exp(l[v] - mx);
        total += log(s) + mx - l[targets[t]];
    }
    return total / T;
}

START_TEST(test_config_from_json)
{
    const wl_gpt2_config_t *c = wl_gpt2_config(model);
    ck_assert_int_eq(c->n_layer, 12);
    ck_assert_int_eq(c->n_head, 4);
    ck_assert_int_eq(c->n_embd, 128);
    ck_assert_int_eq(c->n_inner, 512); /* null in config.json -> 4 n_embd */
    ck_assert_int_eq(c->n_ctx, 128);
    ck_assert_int_eq(c->vocab_size, 256);
    ck_assert(c->ln_eps == 1e-5);
    ck_assert_int_eq(c->act, WL_ACT_GELU_TANH);
    ck_assert_int_eq(wl_gpt2_n_proj(model), 49);
}
END_TEST

START_TEST(test_logits_match_pytorch)
{
    char err[512];
    size_t n = 0;
    float *ref = wl_read_f32_file(DIR_ "/ref_logits.f32", &n, err, sizeof err);
    ck_assert_msg(ref != NULL, "%s", err);
    ck_assert_uint_eq(n, 64 * 256); /* [1, 64, 256] */
    float *logits = forward_row0(64, NULL);
    double max_err = 0, max_ref = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)logits[i] - ref[i]);
        max_err = e > max_err ? e : max_err;
        max_ref = fabs(ref[i]) > max_ref ? fabs(ref[i]) : max_ref;
    }
    ck_assert_msg(max_err <= 1e-4, "max abs logit error %g > 1e-4", max_err);
    ck_assert(max_ref > 1.0); /* the comparison is not against zeros */
    /* the CE of PyTorch's own logits equals our eval over the same span */
    double ce_ref = ce_of(ref, 64, 256), ce_ours = 0;
    ck_assert_int_eq(wl_gpt2_eval(model, tokens, targets, 1, 64, NULL, &ce_ours), 0);
    ck_assert_msg(fabs(ce_ref - ce_ours) < 1e-5, "CE %f vs PyTorch %f", ce_ours,
                  ce_ref);
    free(ref);
    free(logits);
}
END_TEST

START_TEST(test_causal_prefix)
{
    /* position t sees tokens 0..t only: a 128-token pass agrees with the
     * 64-token pass on the first 64 positions, exactly */
    float *a = forward_row0(64, NULL);
    float *b = forward_row0(128, NULL);
    ck_assert_int_eq(memcmp(a, b, 64 * 256 * sizeof(float)), 0);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_mean_ce_all_rows)
{
    double ce = 0;
    int rows = 0;
    int rc = wl_gpt2_eval_files(model, TOKENS, TARGETS, 0, 128, NULL, &ce, &rows);
    ck_assert_msg(rc == 0, "%s", wl_gpt2_errmsg(model));
    ck_assert_int_eq(rows, 16);
    ck_assert_msg(fabs(ce - REF_CE) <= 0.0005, "mean CE %.6f, PyTorch %.5f", ce,
                  REF_CE);
}
END_TEST

START_TEST(test_proj_names)
{
    ck_assert_int_eq(wl_gpt2_proj_index(model, "h.0.attn.c_attn"), 0);
    ck_assert_int_eq(wl_gpt2_proj_index(model, "h.0.attn.c_proj"), 1);
    ck_assert_int_eq(wl_gpt2_proj_index(model, "transformer.h.11.mlp.c_proj"), 47);
    ck_assert_int_eq(wl_gpt2_proj_index(model, "lm_head"), 48);
    ck_assert_int_eq(wl_gpt2_proj_index(model, "h.12.attn.c_attn"), WL_FWD_ENOTFOUND);
    ck_assert_int_eq(wl_gpt2_proj_index(model, "h.0.attn"), WL_FWD_ENOTFOUND);
    wl_proj_t p;
    ck_assert_int_eq(wl_gpt2_proj(model, 2, &p), 0);
    ck_assert_str_eq(p.name, "h.0.mlp.c_fc");
    ck_assert_int_eq(p.n_in, 128);
    ck_assert_int_eq(p.n_out, 512);
    ck_assert_int_eq(wl_gpt2_proj(model, 3, &p), 0);
    ck_assert_int_eq(p.n_in, 512);
    ck_assert_int_eq(p.n_out, 128);
    ck_assert_int_eq(wl_gpt2_proj(model, 48, &p), 0);
    ck_assert_int_eq(p.layer, -1);
    ck_assert_int_eq(p.n_out, 256);
    ck_assert_ptr_null(p.bias);
    ck_assert_int_eq(wl_gpt2_proj(model, 49, &p), WL_FWD_EINVAL);
}
END_TEST

/* An executor that records the projections it is asked for. */
struct trace_ctx {
    int calls[64];
    int order[64];
    int n;
};
static int trace_gemm(void *ctx, const wl_proj_t *p, const float *x, int n_rows,
                      float *y)
{
    struct trace_ctx *tc = ctx;
    tc->calls[p->index]++;
    if (tc->n < 64)
        tc->order[tc->n++] = p->index;
    return wl_exec_exact(NULL, p, x, n_rows, y);
}

START_TEST(test_executor_sees_every_projection)
{
    struct trace_ctx tc = {0};
    wl_executor_t ex = {&tc, trace_gemm};
    float *a = forward_row0(16, &ex);
    float *b = forward_row0(16, NULL);
    ck_assert_int_eq(tc.n, 49);
    for (int i = 0; i < 49; i++) {
        ck_assert_int_eq(tc.calls[i], 1);
        ck_assert_int_eq(tc.order[i], i); /* network order */
    }
    ck_assert_int_eq(memcmp(a, b, 16 * 256 * sizeof(float)), 0);
    free(a);
    free(b);
}
END_TEST

/* Replaces lm_head by zeros: every next byte becomes equally likely, so the
 * cross-entropy is ln(256) whatever the input. */
static int zero_head_gemm(void *ctx, const wl_proj_t *p, const float *x,
                          int n_rows, float *y)
{
    (void)ctx;
    if (strcmp(p->name, "lm_head") != 0)
        return wl_exec_exact(NULL, p, x, n_rows, y);
    memset(y, 0, (size_t)n_rows * p->n_out * sizeof *y);
    return 0;
}

START_TEST(test_executor_replaces_one)
{
    wl_executor_t ex = {NULL, zero_head_gemm};
    double ce = 0;
    ck_assert_int_eq(wl_gpt2_eval(model, tokens, targets, 1, 32, &ex, &ce), 0);
    ck_assert_double_eq_tol(ce, log(256.0), 1e-12);
}
END_TEST

static int failing_gemm(void *ctx, const wl_proj_t *p, const float *x,
                        int n_rows, float *y)
{
    (void)ctx;
    if (p->index == 6)
        return -42;
    return wl_exec_exact(NULL, p, x, n_rows, y);
}

START_TEST(test_executor_error_propagates)
{
    wl_executor_t ex = {NULL, failing_gemm};
    int ids[4] = {72, 101, 108, 108};
    float logits[4 * 256];
    ck_assert_int_eq(wl_gpt2_forward(model, ids, 4, logits, &ex), WL_FWD_EEXEC);
    ck_assert_ptr_nonnull(strstr(wl_gpt2_errmsg(model), "h.1.mlp.c_fc"));
    ck_assert_ptr_nonnull(strstr(wl_gpt2_errmsg(model), "-42"));
    double ce;
    ck_assert_int_eq(wl_gpt2_eval(model, tokens, targets, 1, 8, &ex, &ce),
                     WL_FWD_EEXEC);
}
END_TEST

START_TEST(test_forward_bad_input)
{
    int ids[129] = {0};
    float *logits = malloc(129 * 256 * sizeof *logits);
    ck_assert_int_eq(wl_gpt2_forward(model, ids, 129, logits, NULL), WL_FWD_EINVAL);
    ck_assert_ptr_nonnull(strstr(wl_gpt2_errmsg(model), "1..128"));
    ck_assert_int_eq(wl_gpt2_forward(model, ids, 0, logits, NULL), WL_FWD_EINVAL);
    ids[3] = 256;
    ck_assert_int_eq(wl_gpt2_forward(model, ids, 8, logits, NULL), WL_FWD_EINVAL);
    ck_assert_ptr_nonnull(strstr(wl_gpt2_errmsg(model), "token 256 at position 3"));
    ids[3] = -1;
    ck_assert_int_eq(wl_gpt2_forward(model, ids, 8, logits, NULL), WL_FWD_EINVAL);
    free(logits);
    double ce;
    ck_assert_int_eq(wl_gpt2_eval(model, tokens, targets, 1, 129, NULL, &ce),
                     WL_FWD_EINVAL);
    /* files: 2048 bytes are not whole rows of 100; too many rows; missing */
    ck_assert_int_eq(wl_gpt2_eval_files(model, TOKENS, TARGETS, 0, 100, NULL, &ce,
                                        NULL),
                     WL_FWD_EFORMAT);
    ck_assert_ptr_nonnull(strstr(wl_gpt2_errmsg(model), "eval_tokens.u8"));
    ck_assert_int_eq(wl_gpt2_eval_files(model, TOKENS, TARGETS, 17, 128, NULL, &ce,
                                        NULL),
                     WL_FWD_EINVAL);
    ck_assert_ptr_nonnull(strstr(wl_gpt2_errmsg(model), "holds 16"));
    ck_assert_int_eq(wl_gpt2_eval_files(model, DIR_ "/nope.u8", TARGETS, 0, 128,
                                        NULL, &ce, NULL),
                     WL_FWD_EIO);
    ck_assert_ptr_nonnull(strstr(wl_gpt2_errmsg(model), "nope.u8"));
}
END_TEST

START_TEST(test_matches_ir_graph)
{
    /* the IR generator's GPT-2 at this model's config has the same 49
     * projections (names, k = n_in, n = n_out, in network order) and the
     * same parameter count as model.safetensors (lm_head tied: no extra) */
    char spec[256], err[512] = "";
    ck_assert_int_gt(wl_gpt2_ir_spec(model, spec, sizeof spec), 0);
    ck_assert_str_eq(spec, "gpt2:hidden=128,layers=12,heads=4,ffn=512,vocab=256,"
                           "max_pos=128,tied=1");
    char small[10];
    ck_assert_int_eq(wl_gpt2_ir_spec(model, small, sizeof small), WL_FWD_EINVAL);
    wl_gen_opts_t opts;
    wl_gen_opts_default(&opts);
    opts.seq = 128;
    wl_graph_t *g = NULL;
    ck_assert_msg(wl_load(spec, &opts, &g, err, sizeof err) == 0, "%s", err);
    int seen = 0;
    for (size_t i = 0; i < wl_graph_op_count(g); i++) {
        const wl_op_t *op = wl_graph_op(g, i);
        if (op->kind != WL_OP_MATMUL)
            continue;
        int idx = wl_gpt2_proj_index(model, op->name);
        ck_assert_msg(idx >= 0, "IR matmul '%s' is no projection", op->name);
        ck_assert_int_eq(idx, seen);
        wl_proj_t p;
        ck_assert_int_eq(wl_gpt2_proj(model, idx, &p), 0);
        ck_assert_uint_eq(op->k, (uint64_t)p.n_in);
        ck_assert_uint_eq(op->n, (uint64_t)p.n_out);
        ck_assert_uint_eq(op->m, 128);
        seen++;
    }
    ck_assert_int_eq(seen, 49);

    wl_st_t *st = NULL;
    ck_assert_int_eq(wl_st_open(DIR_ "/model.safetensors", &st, err, sizeof err), 0);
    uint64_t numel = 0;
    for (int i = 0; i < wl_st_count(st); i++)
        numel += wl_st_tensor_at(st, i)->numel;
    wl_st_close(st);
    ck_assert_uint_eq(wl_graph_params(g), numel);
    wl_graph_destroy(g);
}
END_TEST

/* ------------------------------------------------------------ executors */

START_TEST(test_gemm_blocked_equals_scalar)
{
    /* odd sizes exercise the 4-row x 8-column blocks and their tails; rows
     * run in one call (blocked) must equal rows run one by one (scalar), and
     * both must match a double-precision product closely */
    const int n_in = 13, n_out = 21, rows = 7;
    float W[13 * 21], b[21], x[7 * 13], y1[7 * 21], y2[7 * 21];
    for (int k = 0; k < n_in * n_out; k++)
        W[k] = (float)num_gauss(1, 1, (uint64_t)k);
    for (int k = 0; k < n_out; k++)
        b[k] = (float)num_gauss(1, 2, (uint64_t)k);
    for (int k = 0; k < rows * n_in; k++)
        x[k] = (float)num_gauss(1, 3, (uint64_t)k);
    wl_proj_t p = {"t", 0, 0, n_in, n_out, W, b};
    ck_assert_int_eq(wl_exec_exact(NULL, &p, x, rows, y1), 0);
    for (int r = 0; r < rows; r++)
        ck_assert_int_eq(wl_exec_exact(NULL, &p, x + r * n_in, 1, y2 + r * n_out), 0);
    ck_assert_int_eq(memcmp(y1, y2, sizeof y1), 0);
    for (int r = 0; r < rows; r++)
        for (int o = 0; o < n_out; o++) {
            double s = b[o];
            for (int i = 0; i < n_in; i++)
                s += (double)x[r * n_in + i] * W[i * n_out + o];
            ck_assert_double_eq_tol(y1[r * n_out + o], s, 1e-5);
        }
    p.bias = NULL;
    ck_assert_int_eq(wl_exec_exact(NULL, &p, x, rows, y1), 0);
    double s = 0;
    for (int i = 0; i < n_in; i++)
        s += (double)x[6 * n_in + i] * W[i * n_out + 20];
    ck_assert_double_eq_tol(y1[6 * n_out + 20], s, 1e-5);
}
END_TEST

START_TEST(test_gauss_moments)
{
    /* mean 0, variance 1, kurtosis 3 over 200k counter draws; and the same
     * (seed, stream, counter) always gives the same value */
    const int n = 200000;
    double m1 = 0, m2 = 0, m4 = 0;
    for (int i = 0; i < n; i++) {
        double g = num_gauss(42, 7, (uint64_t)i);
        m1 += g;
        m2 += g * g;
        m4 += g * g * g * g;
    }
    m1 /= n;
    m2 /= n;
    m4 /= n;
    ck_assert_msg(fabs(m1) < 0.01, "mean %f", m1);        /* 4.5 sigma */
    ck_assert_msg(fabs(m2 - 1) < 0.015, "variance %f", m2);
    ck_assert_msg(fabs(m4 - 3) < 0.1, "4th moment %f", m4);
    ck_assert(num_gauss(42, 7, 99) == num_gauss(42, 7, 99));
    ck_assert(num_gauss(42, 7, 99) != num_gauss(42, 8, 99));
    ck_assert(num_gauss(42, 7, 99) != num_gauss(43, 7, 99));
}
END_TEST

START_TEST(test_noise_quantization_closed_form)
{
    /* identity 4x4: 2-bit DAC has levels {-1, 0, 1} x max|x| */
    float W[16] = {0}, y[8];
    for (int i = 0; i < 4; i++)
        W[i * 4 + i] = 1;
    float x[8] = {1.0f, 0.4f, -0.6f, 0.2f, /* row 2: scaled to its own max */
                  -8.0f, 3.9f, 4.1f, 0.0f};
    wl_proj_t p = {"id", 0, 0, 4, 4, W, NULL};
    wl_noise_cfg_t cfg = {.target = -1, .in_bits = 2};
    wl_noise_exec_t *ne = wl_noise_exec_create(&cfg);
    ck_assert_ptr_nonnull(ne);
    wl_executor_t ex = wl_noise_executor(ne);
    ck_assert_int_eq(ex.gemm(ex.ctx, &p, x, 2, y), 0);
    const float want[8] = {1, 0, -1, 0, -8, 0, 8, 0};
    for (int k = 0; k < 8; k++)
        ck_assert_msg(y[k] == want[k], "y[%d] = %g, want %g", k, y[k], want[k]);
    wl_noise_exec_destroy(ne);

    /* 3-bit ADC on the output (levels -3..3 x max/3), bias added after */
    float bias[4] = {10, 20, 30, 40};
    p.bias = bias;
    wl_noise_cfg_t cfg2 = {.target = -1, .out_bits = 3};
    ne = wl_noise_exec_create(&cfg2);
    ex = wl_noise_executor(ne);
    ck_assert_int_eq(ex.gemm(ex.ctx, &p, x, 1, y), 0);
    /* x = {1, .4, -.6, .2}, step 1/3: {3, 1.2, -1.8, .6} -> {3, 1, -2, 1}/3 */
    const float want2[4] = {10 + 1.0f, 20 + 1.0f / 3, 30 - 2.0f / 3, 40 + 1.0f / 3};
    for (int k = 0; k < 4; k++)
        ck_assert_double_eq_tol(y[k], want2[k], 1e-5);
    wl_noise_exec_destroy(ne);
    wl_noise_exec_destroy(NULL);

    wl_noise_cfg_t bad = {.target = -1, .in_bits = 1};
    ck_assert_ptr_null(wl_noise_exec_create(&bad));
    bad.in_bits = 0;
    bad.weight_sigma_frac = -0.1;
    ck_assert_ptr_null(wl_noise_exec_create(&bad));
}
END_TEST

START_TEST(test_noise_weight_sigma)
{
    /* W = 0.5 everywhere (max|W| = 0.5), frac 0.1: unit-vector inputs read
     * out the perturbed rows, whose deviation has std 0.05 */
    enum { N = 64 };
    static float W[N * N], x[N * N], y[N * N];
    for (int k = 0; k < N * N; k++) {
        W[k] = 0.5f;
        x[k] = (k / N == k % N) ? 1.0f : 0.0f;
    }
    wl_proj_t p = {"w", 3, 0, N, N, W, NULL};
    wl_noise_cfg_t cfg = {.target = 3, .weight_sigma_frac = 0.1, .seed = 7};
    wl_noise_exec_t *ne = wl_noise_exec_create(&cfg);
    wl_executor_t ex = wl_noise_executor(ne);
    ck_assert_int_eq(ex.gemm(ex.ctx, &p, x, N, y), 0);
    double s1 = 0, s2 = 0;
    for (int k = 0; k < N * N; k++) {
        double d = y[k] - 0.5;
        s1 += d;
        s2 += d * d;
    }
    double mean = s1 / (N * N), sd = sqrt(s2 / (N * N) - mean * mean);
    ck_assert_msg(fabs(mean) < 0.003, "mean %f", mean); /* 4 sigma/sqrt(n) */
    ck_assert_msg(fabs(sd - 0.05) < 0.003, "sd %f", sd);
    /* same seed: same draw on the next call (programmed once) */
    static float y2[N * N];
    ck_assert_int_eq(ex.gemm(ex.ctx, &p, x, N, y2), 0);
    ck_assert_int_eq(memcmp(y, y2, sizeof y), 0);
    /* a projection that is not the target runs exact */
    p.index = 4;
    ck_assert_int_eq(ex.gemm(ex.ctx, &p, x, N, y2), 0);
    for (int k = 0; k < N * N; k++)
        ck_assert(y2[k] == 0.5f);
    wl_noise_exec_destroy(ne);
}
END_TEST

START_TEST(test_noise_zero_is_exact)
{
    wl_noise_cfg_t cfg = {.target = -1, .seed = 1};
    wl_noise_exec_t *ne = wl_noise_exec_create(&cfg);
    wl_executor_t ex = wl_noise_executor(ne);
    float *a = forward_row0(32, &ex);
    float *b = forward_row0(32, NULL);
    ck_assert_int_eq(memcmp(a, b, 32 * 256 * sizeof(float)), 0);
    free(a);
    free(b);
    wl_noise_exec_destroy(ne);
}
END_TEST

START_TEST(test_noise_raises_loss)
{
    /* 5% weight noise + 8-bit DAC/ADC on one projection, then on all */
    const int rows = 2;
    double clean = 0, one = 0, all = 0;
    ck_assert_int_eq(wl_gpt2_eval(model, tokens, targets, rows, 128, NULL, &clean), 0);
    wl_noise_cfg_t cfg = {.target = wl_gpt2_proj_index(model, "h.0.attn.c_proj"),
                          .weight_sigma_frac = 0.05, .in_bits = 8, .out_bits = 8,
                          .seed = 1};
    wl_noise_exec_t *ne = wl_noise_exec_create(&cfg);
    wl_executor_t ex = wl_noise_executor(ne);
    ck_assert_int_eq(wl_gpt2_eval(model, tokens, targets, rows, 128, &ex, &one), 0);
    wl_noise_exec_destroy(ne);
    cfg.target = -1;
    ne = wl_noise_exec_create(&cfg);
    ex = wl_noise_executor(ne);
    ck_assert_int_eq(wl_gpt2_eval(model, tokens, targets, rows, 128, &ex, &all), 0);
    wl_noise_exec_destroy(ne);
    fprintf(stderr, "check_forward: CE clean %.5f, h.0.attn.c_proj noisy %.5f, "
            "all noisy %.5f\n", clean, one, all);
    ck_assert_msg(one > clean + 1e-3, "one noisy %f vs clean %f", one, clean);
    ck_assert_msg(all > one, "all noisy %f vs one %f", all, one);
}
END_TEST

/* ---------------------------------------------------------- load errors */

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static char tmpdir[64];

static void load_expect(const char *config, const char *frag)
{
    char path[128], err[512] = "";
    snprintf(path, sizeof path, "%s/config.json", tmpdir);
    write_file(path, config, strlen(config));
    wl_gpt2_t *m = wl_gpt2_load(tmpdir, err, sizeof err);
    ck_assert_msg(m == NULL, "config %s loaded", config);
    ck_assert_msg(strstr(err, frag) != NULL, "'%s' lacks '%s'", err, frag);
}

START_TEST(test_load_errors)
{
    char err[512] = "";
    ck_assert_ptr_null(wl_gpt2_load("tests/fixtures/no-such-model", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "no-such-model/config.json"));

    snprintf(tmpdir, sizeof tmpdir, "/tmp/prism_gpt2_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    const char *good = "{\"model_type\":\"gpt2\",\"n_layer\":12,\"n_head\":4,"
                       "\"n_embd\":128,\"n_positions\":128,\"vocab_size\":256}";
    load_expect("{\"n_layer\":12", "not a JSON object");
    load_expect("{\"n_layer\":12,\"n_head\":4,\"n_positions\":128,\"vocab_size\":256}",
                "missing field 'n_embd'");
    load_expect("{\"n_layer\":12,\"n_head\":4,\"n_embd\":-3,\"n_positions\":128,"
                "\"vocab_size\":256}", "'n_embd' must be an integer");
    load_expect("{\"n_layer\":12,\"n_head\":3,\"n_embd\":128,\"n_positions\":128,"
                "\"vocab_size\":256}", "not a multiple of n_head");
    load_expect("{\"model_type\":\"bert\"}", "model_type 'bert'");
    load_expect("{\"n_layer\":1,\"n_head\":4,\"n_embd\":128,\"n_positions\":128,"
                "\"vocab_size\":256,\"activation_function\":\"swish\"}",
                "activation_function 'swish'");
    /* a valid config with no weights file */
    load_expect(good, "model.safetensors: cannot open");

    /* weights truncated on disk */
    size_t len = 0;
    uint8_t *buf = NULL;
    {
        FILE *f = fopen(DIR_ "/model.safetensors", "rb");
        ck_assert_ptr_nonnull(f);
        fseek(f, 0, SEEK_END);
        len = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc(len);
        ck_assert_uint_eq(fread(buf, 1, len, f), len);
        fclose(f);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/model.safetensors", tmpdir);
    write_file(path, buf, len - 100);
    load_expect(good, "beyond the data section");
    /* intact weights but a config that disagrees with them */
    write_file(path, buf, len);
    load_expect("{\"n_layer\":12,\"n_head\":4,\"n_embd\":64,\"n_positions\":128,"
                "\"vocab_size\":256}", "transformer.wte.weight' has shape [256,128]");
    load_expect("{\"n_layer\":13,\"n_head\":4,\"n_embd\":128,\"n_positions\":128,"
                "\"vocab_size\":256}", "missing tensor 'transformer.h.12.ln_1.weight'");
    load_expect("{\"n_layer\":12,\"n_head\":4,\"n_embd\":128,\"n_positions\":128,"
                "\"vocab_size\":256,\"tie_word_embeddings\":false}", "lm_head.weight");
    /* and the good config over intact weights loads */
    snprintf(path, sizeof path, "%s/config.json", tmpdir);
    write_file(path, good, strlen(good));
    wl_gpt2_t *m = wl_gpt2_load(tmpdir, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    wl_gpt2_free(m);
    wl_gpt2_free(NULL);
    free(buf);
    unlink(path);
    snprintf(path, sizeof path, "%s/model.safetensors", tmpdir);
    unlink(path);
    rmdir(tmpdir);
}
END_TEST

/* ------------------------------------------------------------- command */

/* Runs `prism workload ARGS...` ($PRISM) with stdout and stderr captured
 * into out / errbuf. */
static int run_cli(char *out, size_t outlen, char *errbuf, size_t errlen, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "workload";
    va_list ap;
    va_start(ap, errlen);
    for (char *a; argc < 31 && (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    char *o = NULL, *e = NULL;
    int rc = exec_prism(argv, &o, &e);
    ck_assert_msg(rc >= 0 && o && e, "cannot run $PRISM (%s)",
                  getenv("PRISM") ? getenv("PRISM") : "not set");
    snprintf(out, outlen, "%s", o);
    snprintf(errbuf, errlen, "%s", e);
    free(o);
    free(e);
    return rc;
}

START_TEST(test_cli_json)
{
    static char out[8192], errbuf[4096];
    int rc = run_cli(out, sizeof out, errbuf, sizeof errbuf, "eval", DIR_,
                     "--rows", "2", "--json", (char *)NULL);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, errbuf);
    cJSON *o = cJSON_Parse(out);
    ck_assert_msg(o != NULL, "not JSON: %s", out);
    double ce = 0;
    ck_assert_int_eq(wl_gpt2_eval(model, tokens, targets, 2, 128, NULL, &ce), 0);
    ck_assert_double_eq_tol(cJSON_GetObjectItem(o, "mean_ce")->valuedouble, ce, 1e-12);
    ck_assert_double_eq_tol(cJSON_GetObjectItem(o, "perplexity")->valuedouble,
                            exp(ce), 1e-9);
    ck_assert_int_eq(cJSON_GetObjectItem(o, "tokens")->valueint, 256);
    double err = cJSON_GetObjectItem(o, "max_abs_logit_err")->valuedouble;
    ck_assert_msg(err > 0 && err <= 1e-4, "max_abs_logit_err %g", err);
    ck_assert_int_eq(cJSON_GetObjectItem(o, "ref_positions")->valueint, 64);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "executor"), "kind")
                         ->valuestring,
                     "exact_fp32");
    cJSON_Delete(o);

    /* noise on h.0.attn.c_proj moves the logits away from PyTorch's */
    rc = run_cli(out, sizeof out, errbuf, sizeof errbuf, "eval", DIR_, "--rows=1",
                 "--json", "--noise-proj", "h.0.attn.c_proj", "--noise-sigma",
                 "0.05", "--in-bits", "8", "--out-bits", "8", (char *)NULL);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, errbuf);
    o = cJSON_Parse(out);
    ck_assert_ptr_nonnull(o);
    ck_assert(cJSON_GetObjectItem(o, "max_abs_logit_err")->valuedouble > 1e-2);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "executor"), "proj")
                         ->valuestring,
                     "h.0.attn.c_proj");
    cJSON_Delete(o);

    rc = run_cli(out, sizeof out, errbuf, sizeof errbuf, "eval", "--help",
                 (char *)NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: prism workload eval DIR"));
}
END_TEST

START_TEST(test_cli_errors)
{
    static char out[8192], errbuf[4096];
    struct {
        const char *a1, *a2, *a3, *want;
    } cases[] = {
        {"tests/fixtures/no-such-dir", NULL, NULL, "is not a model directory"},
        {"tests/fixtures", NULL, NULL, "tests/fixtures/config.json: cannot open"},
        {DIR_, "--noise-proj", "h.99.attn", "no projection named 'h.99.attn'"},
        {DIR_, "--rows", "17", "holds 16"},
        {DIR_, "--rows", "x", "--rows wants a positive integer"},
        {DIR_, "--cols", "129", "exceeds n_positions 128"},
        {DIR_, "--noise-sigma", "0.1", "need --noise-proj"},
        {DIR_, "--in-bits", "1", "--in-bits wants"},
        {DIR_, "--bogus", NULL, "unknown option '--bogus'"},
        {DIR_, DIR_, NULL, "one model directory only"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = run_cli(out, sizeof out, errbuf, sizeof errbuf, "eval",
                         cases[i].a1, cases[i].a2, cases[i].a3, (char *)NULL);
        ck_assert_msg(rc != 0, "case %zu succeeded", i);
        ck_assert_msg(strstr(errbuf, cases[i].want) != NULL, "case %zu: '%s' lacks '%s'",
                      i, errbuf, cases[i].want);
        ck_assert_msg(strchr(errbuf, '\n') == errbuf + strlen(errbuf) - 1,
                      "case %zu: not one line: %s", i, errbuf);
    }
    /* no directory at all: usage on stderr */
    ck_assert_int_eq(run_cli(out, sizeof out, errbuf, sizeof errbuf, "eval",
                             (char *)NULL),
                     2);
    ck_assert_ptr_nonnull(strstr(errbuf, "usage:"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("forward");
    TCase *tc = tcase_create("gpt2");
    tcase_set_timeout(tc, 120); /* the 16 x 128 eval takes ~6 s under ASan */
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_config_from_json);
    tcase_add_test(tc, test_logits_match_pytorch);
    tcase_add_test(tc, test_causal_prefix);
    tcase_add_test(tc, test_mean_ce_all_rows);
    tcase_add_test(tc, test_proj_names);
    tcase_add_test(tc, test_matches_ir_graph);
    tcase_add_test(tc, test_executor_sees_every_projection);
    tcase_add_test(tc, test_executor_replaces_one);
    tcase_add_test(tc, test_executor_error_propagates);
    tcase_add_test(tc, test_forward_bad_input);
    tcase_add_test(tc, test_noise_zero_is_exact);
    tcase_add_test(tc, test_noise_raises_loss);
    tcase_add_test(tc, test_cli_json);
    tcase_add_test(tc, test_cli_errors);
    suite_add_tcase(s, tc);

    TCase *te = tcase_create("executors");
    tcase_set_timeout(te, 60);
    tcase_add_test(te, test_gemm_blocked_equals_scalar);
    tcase_add_test(te, test_gauss_moments);
    tcase_add_test(te, test_noise_quantization_closed_form);
    tcase_add_test(te, test_noise_weight_sigma);
    tcase_add_test(te, test_load_errors);
    suite_add_tcase(s, te);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
