/* tests/check_workloads.c: the workload IR and the built-in generators.
 * Parameter counts are checked against the published figures and against the
 * exact counts the reference implementations report (HF transformers
 * `num_parameters()`, timm, torchvision docs); MACs against closed forms and
 * published GMAC figures; the IR's validation against every bad-graph path;
 * and the `prism workload info --json` output of the built binary. */
#include "workloads/wl.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static wl_graph_t *load(const char *spec, int batch, int seq, wl_phase_t phase, int kv)
{
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    o.batch = batch;
    o.seq = seq;
    o.phase = phase;
    o.kv_len = kv;
    wl_graph_t *g = NULL;
    char err[512] = "";
    int rc = wl_load(spec, &o, &g, err, sizeof err);
    ck_assert_msg(rc == 0, "loading %s: %s", spec, err);
    ck_assert_ptr_nonnull(g);
    return g;
}

static wl_graph_t *load1(const char *spec) { return load(spec, 1, 128, WL_PHASE_PREFILL, -1); }

static void check_within(double got, double want, double rel, const char *what)
{
    ck_assert_msg(fabs(got - want) <= rel * want, "%s: got %.6g, want %.6g within %.2f%%", what,
                  got, want, rel * 100);
}

/* ---- parameters: published figures ------------------------------------------ */
START_TEST(gpt2_params)
{
    /* Exact: HF GPT2Model.num_parameters() with tied lm_head (124,439,808 for
     * "gpt2"); the GPT-2 paper (Radford et al. 2019, table 2) and the HF model
     * cards give 124M / 355M / 774M / 1558M (1.5B). */
    static const struct {
        const char *name;
        uint64_t exact;
        double published;
    } t[] = {{"gpt2", 124439808ull, 124e6},
             {"gpt2-medium", 354823168ull, 355e6},
             {"gpt2-large", 774030080ull, 774e6},
             {"gpt2-xl", 1557611200ull, 1558e6}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        wl_graph_t *g = load1(t[i].name);
        ck_assert_uint_eq(wl_graph_params(g), t[i].exact);
        check_within((double)wl_graph_params(g), t[i].published, 0.005, t[i].name);
        ck_assert_uint_eq(wl_graph_weight_bytes(g), 4 * t[i].exact); /* f32 */
        wl_graph_destroy(g);
    }
}
END_TEST

START_TEST(llama_params)
{
    /* Llama 2 paper (Touvron et al. 2023): 7B = 6.74B (HF: 6,738,415,616),
     * 13B = 13.0B (13,015,864,320), 70B = 69.0B (68,976,648,192).
     * Llama 3 model card: 8B = 8.03B (8,030,261,248). Llama 3.2 1B with tied
     * embeddings: 1.24B (1,235,814,400). TinyLlama 1.1B: 1,100,048,384. */
    static const struct {
        const char *name;
        uint64_t exact;
    } t[] = {{"llama2-7b", 6738415616ull},   {"llama2-13b", 13015864320ull},
             {"llama2-70b", 68976648192ull}, {"llama3-8b", 8030261248ull},
             {"llama3.2-1b", 1235814400ull}, {"tinyllama-1.1b", 1100048384ull}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        wl_graph_t *g = load(t[i].name, 1, 16, WL_PHASE_PREFILL, -1);
        ck_assert_msg(wl_graph_params(g) == t[i].exact, "%s: %llu", t[i].name,
                      (unsigned long long)wl_graph_params(g));
        wl_graph_destroy(g);
    }
}
END_TEST

START_TEST(bert_vit_resnet_params)
{
    /* BERT (Devlin et al. 2019): base 110M, large 340M; HF BertModel with
     * pooler: 109,482,240 and 335,141,888. ViT (Dosovitskiy et al. 2021,
     * table 1): B/16 86M, L/16 307M; timm vit_base_patch16_224 86,567,656 and
     * vit_large_patch16_224 304,326,632. torchvision docs: ResNet-18
     * 11,689,512, ResNet-34 21,797,672, ResNet-50 25,557,032. */
    static const struct {
        const char *name;
        uint64_t exact;
        double published, tol;
    } t[] = {{"bert-base", 109482240ull, 110e6, 0.01},  {"bert-large", 335141888ull, 340e6, 0.02},
             {"vit-b16", 86567656ull, 86e6, 0.01},      {"vit-l16", 304326632ull, 307e6, 0.01},
             {"resnet18", 11689512ull, 11.69e6, 0.001}, {"resnet34", 21797672ull, 21.8e6, 0.001},
             {"resnet50", 25557032ull, 25.56e6, 0.001}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        wl_graph_t *g = load1(t[i].name);
        ck_assert_msg(wl_graph_params(g) == t[i].exact, "%s: %llu", t[i].name,
                      (unsigned long long)wl_graph_params(g));
        check_within((double)wl_graph_params(g), t[i].published, t[i].tol, t[i].name);
        wl_graph_destroy(g);
    }
}
END_TEST

/* ---- MACs: published figures and closed forms --------------------------------- */
START_TEST(vision_macs_published)
{
    /* torchvision docs: ResNet-18 1.81 GFLOPS, ResNet-50 4.09 GFLOPS (their
     * "FLOPS" are multiply-adds); ViT paper / fvcore: ViT-B/16 17.6 GFLOPs
     * (~17.56 GMAC), ViT-L/16 61.6 GMAC, all at 224x224, batch 1. */
    static const struct {
        const char *name;
        double gmac, tol;
    } t[] = {{"resnet18", 1.814, 0.002}, {"resnet50", 4.09, 0.005}, {"vit-b16", 17.56, 0.005},
             {"vit-l16", 61.6, 0.005}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        wl_graph_t *g = load1(t[i].name);
        check_within((double)wl_graph_total_macs(g) / 1e9, t[i].gmac, t[i].tol, t[i].name);
        wl_graph_destroy(g);
    }
    /* MACs scale with the batch */
    wl_graph_t *g1 = load("resnet50", 1, 0, WL_PHASE_PREFILL, -1);
    wl_graph_t *g8 = load("resnet50", 8, 0, WL_PHASE_PREFILL, -1);
    ck_assert_uint_eq(wl_graph_total_macs(g8), 8 * wl_graph_total_macs(g1));
    ck_assert_uint_eq(wl_graph_params(g8), wl_graph_params(g1));
    wl_graph_destroy(g1);
    wl_graph_destroy(g8);
}
END_TEST

/* GPT-2 / Llama MACs in closed form: projections + attention + lm_head. */
static uint64_t lm_macs(uint64_t L, uint64_t D, uint64_t H, uint64_t KVH, uint64_t F,
                        uint64_t V, uint64_t B, uint64_t S, uint64_t kv, int swiglu)
{
    uint64_t hd = D / H, Skv = S + kv;
    uint64_t proj = D * H * hd + 2 * D * KVH * hd + H * hd * D + (swiglu ? 3 : 2) * D * F;
    return L * (B * S * proj + 2 * B * H * S * Skv * hd) + B * S * D * V;
}

START_TEST(gpt2_macs_closed_form)
{
    for (int b = 1; b <= 2; b++) {
        wl_graph_t *g = load("gpt2", b, 128, WL_PHASE_PREFILL, -1);
        uint64_t want = lm_macs(12, 768, 12, 12, 3072, 50257, (uint64_t)b, 128, 0, 0);
        ck_assert_uint_eq(wl_graph_total_macs(g), want);
        if (b == 1) /* 16.11 GMAC: 12 x 0.906 G projections + 0.30 G attention + 4.94 G lm_head */
            ck_assert_uint_eq(want, 16114089984ull);
        /* attention: 12 layers x 12 heads x 128 x 128 x 64, score and context alike */
        ck_assert_uint_eq(wl_graph_kind_macs(g, WL_OP_ATTN_SCORE), (uint64_t)b * 12 * 12 * 128 * 128 * 64);
        ck_assert_uint_eq(wl_graph_kind_macs(g, WL_OP_ATTN_CONTEXT), (uint64_t)b * 12 * 12 * 128 * 128 * 64);
        wl_graph_destroy(g);
    }
    /* decode: one token against a cache of 127 (+ itself) */
    wl_graph_t *g = load("gpt2", 4, 128, WL_PHASE_DECODE, 127);
    ck_assert_uint_eq(wl_graph_total_macs(g), lm_macs(12, 768, 12, 12, 3072, 50257, 4, 1, 127, 0));
    wl_graph_destroy(g);
    /* medium at 1024 tokens */
    g = load("gpt2-medium", 1, 1024, WL_PHASE_PREFILL, -1);
    ck_assert_uint_eq(wl_graph_total_macs(g), lm_macs(24, 1024, 16, 16, 4096, 50257, 1, 1024, 0, 0));
    wl_graph_destroy(g);
}
END_TEST

START_TEST(llama_gqa_decode)
{
    /* Llama 3 8B: 32 query heads share 8 KV heads (GQA), SwiGLU 14336 */
    wl_graph_t *g = load("llama3-8b", 2, 64, WL_PHASE_PREFILL, -1);
    ck_assert_uint_eq(wl_graph_total_macs(g), lm_macs(32, 4096, 32, 8, 14336, 128256, 2, 64, 0, 1));
    wl_graph_destroy(g);
    g = load("llama3-8b", 2, 64, WL_PHASE_DECODE, 1000);
    ck_assert_uint_eq(wl_graph_total_macs(g), lm_macs(32, 4096, 32, 8, 14336, 128256, 2, 1, 1000, 1));
    int found_score = 0, kv_inputs = 0;
    for (size_t i = 0; i < wl_graph_op_count(g); i++) {
        const wl_op_t *op = wl_graph_op(g, i);
        if (op->kind == WL_OP_ATTN_SCORE && !found_score) {
            found_score = 1;
            ck_assert_uint_eq(op->count, 2 * 32); /* batch x query heads */
            ck_assert_uint_eq(op->m, 1);
            ck_assert_uint_eq(op->k, 128);
            ck_assert_uint_eq(op->n, 1001);
            ck_assert(!op->a_is_weight && !op->b_is_weight);
            ck_assert_ptr_null(op->weight);
            /* K comes from the cache: [B, kv_heads, kv_len + 1, head_dim] */
            ck_assert_int_eq(op->inputs[1]->shape.dim[1], 8);
            ck_assert_int_eq(op->inputs[1]->shape.dim[2], 1001);
        }
        if (!strcmp(op->detail, "rope"))
            ck_assert_int_eq(op->kind, WL_OP_ROPE);
        if (!strcmp(op->detail, "kv_append")) {
            /* in place: only the new token's K or V moves, [2, 8, 1, 128] f32 */
            ck_assert(op->in_place);
            ck_assert_uint_eq(op->bytes_read, 2 * 8 * 128 * 4);
            ck_assert_uint_eq(op->bytes_written, 2 * 8 * 128 * 4);
            ck_assert_int_eq(op->outputs[0]->shape.dim[2], 1001);
        }
    }
    for (size_t i = 0; i < wl_graph_tensor_count(g); i++)
        kv_inputs += (wl_graph_tensor(g, i)->flags & WL_T_INPUT) && strstr(wl_graph_tensor(g, i)->name, "past_");
    ck_assert(found_score);
    ck_assert_int_eq(kv_inputs, 2 * 32);
    wl_graph_destroy(g);
    /* decode of a dense model: MACs per token = parameters - embedding table */
    g = load("llama2-7b", 1, 1, WL_PHASE_DECODE, 0);
    uint64_t attn = wl_graph_kind_macs(g, WL_OP_ATTN_SCORE) + wl_graph_kind_macs(g, WL_OP_ATTN_CONTEXT);
    ck_assert_uint_eq(wl_graph_total_macs(g) - attn,
                      wl_graph_params(g) - 32000ull * 4096 - 65ull * 4096 /* norms */);
    wl_graph_destroy(g);
}
END_TEST

START_TEST(overrides)
{
    /* llama2-7b with 2 layers: embeddings + lm_head + 2 blocks + final norm */
    wl_graph_t *g = load("llama2-7b:layers=2", 1, 8, WL_PHASE_PREFILL, -1);
    uint64_t block = 4ull * 4096 * 4096 + 3ull * 4096 * 11008 + 2 * 4096;
    ck_assert_uint_eq(wl_graph_params(g), 2ull * 32000 * 4096 + 2 * block + 4096);
    wl_graph_destroy(g);
    g = load("llama2-7b:layers=1,kv_heads=8,tied=1", 1, 8, WL_PHASE_PREFILL, -1);
    block = 2ull * 4096 * 4096 + 2ull * 4096 * 1024 + 3ull * 4096 * 11008 + 2 * 4096;
    ck_assert_uint_eq(wl_graph_params(g), 32000ull * 4096 + block + 4096);
    wl_graph_destroy(g);
}
END_TEST

/* ---- structure ---------------------------------------------------------------- */
START_TEST(gpt2_structure)
{
    wl_graph_t *g = load1("gpt2");
    const wl_tensor_t *wte = wl_graph_find_tensor(g, "wte.weight");
    ck_assert_ptr_nonnull(wte);
    int projections = 0, attn = 0;
    for (size_t i = 0; i < wl_graph_op_count(g); i++) {
        const wl_op_t *op = wl_graph_op(g, i);
        if (op->kind == WL_OP_MATMUL) {
            /* every GPT-2 matmul multiplies an activation by a static weight */
            ck_assert(op->b_is_weight && !op->a_is_weight);
            ck_assert_ptr_nonnull(op->weight);
            ck_assert(op->weight->flags & WL_T_WEIGHT);
            ck_assert_uint_eq(op->macs, op->m * op->k * op->n);
            ck_assert_uint_eq(op->m, 128); /* batch x seq folded into M */
            uint64_t rd = op->inputs[0]->bytes + op->weight->bytes + (op->bias ? op->bias->bytes : 0);
            ck_assert_uint_eq(op->bytes_read, rd);
            ck_assert_uint_eq(op->bytes_written, op->outputs[0]->bytes);
            projections++;
        }
        if (op->kind == WL_OP_ATTN_SCORE || op->kind == WL_OP_ATTN_CONTEXT) {
            ck_assert_uint_eq(op->count, 12);
            attn++;
        }
        if (op->kind == WL_OP_RESHAPE || op->kind == WL_OP_TRANSPOSE) {
            ck_assert(op->zero_cost);
            ck_assert_uint_eq(op->bytes_read + op->bytes_written + op->macs, 0);
        }
        if (op->kind == WL_OP_EMBEDDING)
            ck_assert_ptr_nonnull(op->weight);
    }
    /* 12 x (c_attn, c_proj, c_fc, c_proj) + lm_head = 49 projections (REFERENCE.md 4) */
    ck_assert_int_eq(projections, 49);
    ck_assert_int_eq(attn, 24);
    const wl_op_t *last = wl_graph_op(g, wl_graph_op_count(g) - 1);
    ck_assert_str_eq(last->name, "lm_head");
    ck_assert_ptr_eq(last->weight, wte); /* tied: the same tensor, counted once */
    ck_assert_int_eq(last->outputs[0]->shape.dim[2], 50257);
    wl_graph_destroy(g);
}
END_TEST

START_TEST(dtype_and_activations)
{
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    o.dtype = WL_DT_F16;
    wl_graph_t *g = NULL;
    char err[256];
    ck_assert_int_eq(wl_load("bert-base", &o, &g, err, sizeof err), 0);
    ck_assert_uint_eq(wl_graph_weight_bytes(g), 2 * wl_graph_params(g));
    uint64_t act = 0;
    for (size_t i = 0; i < wl_graph_op_count(g); i++)
        act += wl_graph_op(g, i)->bytes_written;
    ck_assert_uint_eq(wl_graph_activation_bytes(g), act);
    ck_assert_uint_gt(act, 0);
    wl_graph_destroy(g);
    wl_dtype_t dt;
    ck_assert_int_eq(wl_dtype_parse("bf16", &dt), 0);
    ck_assert_int_eq(dt, WL_DT_BF16);
    ck_assert_int_eq(wl_dtype_parse("f8", &dt), WL_ERR_ARG);
}
END_TEST

START_TEST(load_errors)
{
    wl_graph_t *g = (wl_graph_t *)1;
    char err[512];
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    ck_assert_int_eq(wl_load("gpt5", &o, &g, err, sizeof err), WL_ERR_NOTFOUND);
    ck_assert_ptr_null(g);
    ck_assert_ptr_nonnull(strstr(err, "gpt5"));
    ck_assert_int_eq(wl_load("llama2-7b:depth=3", &o, &g, err, sizeof err), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(err, "depth"));
    ck_assert_int_eq(wl_load("llama2-7b:layers=x", &o, &g, err, sizeof err), WL_ERR_ARG);
    ck_assert_int_eq(wl_load("llama2-7b:heads=32,kv_heads=5", &o, &g, err, sizeof err), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(err, "kv_heads"));
    o.seq = 1025;
    ck_assert_int_eq(wl_load("gpt2", &o, &g, err, sizeof err), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(err, "1024"));
    o.seq = 16;
    o.phase = WL_PHASE_DECODE;
    ck_assert_int_eq(wl_load("bert-base", &o, &g, err, sizeof err), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(err, "decode"));
    o.phase = WL_PHASE_PREFILL;
    o.batch = -1;
    ck_assert_int_eq(wl_load("gpt2", &o, &g, err, sizeof err), WL_ERR_ARG);
    /* a zero-initialised options struct means the defaults */
    wl_gen_opts_t zero;
    memset(&zero, 0, sizeof zero);
    ck_assert_int_eq(wl_load("resnet18", &zero, &g, err, sizeof err), 0);
    ck_assert_uint_eq(wl_graph_total_macs(g), 1814073344ull);
    ck_assert_uint_eq(wl_graph_weight_bytes(g), 4 * 11689512ull);
    wl_graph_destroy(g);
    o.batch = 1;
    o.image = 200;
    ck_assert_int_eq(wl_load("vit-b16", &o, &g, err, sizeof err), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(err, "patch"));
    ck_assert_int_eq(wl_load("missing.onnx", &o, &g, err, sizeof err), WL_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err, "missing.onnx"));
    for (size_t i = 0; i < wl_builtin_count(); i++)
        ck_assert_ptr_nonnull(wl_builtin_desc(i));
    ck_assert_ptr_null(wl_builtin_name(wl_builtin_count()));
}
END_TEST

/* ---- IR validation -------------------------------------------------------------- */
static const wl_shape_t S2 = {2, {4, 8}};
static const wl_shape_t W2 = {2, {8, 3}};
static const wl_shape_t O2 = {2, {4, 3}};

START_TEST(ir_validation)
{
    wl_graph_destroy(NULL);
    wl_graph_t *g = wl_graph_create("t");
    ck_assert_ptr_nonnull(wl_graph_add_tensor(g, "x", WL_DT_F32, &S2, WL_T_INPUT));
    ck_assert_ptr_nonnull(wl_graph_add_tensor(g, "w", WL_DT_F16, &W2, WL_T_WEIGHT));
    ck_assert_ptr_nonnull(wl_graph_add_tensor(g, "y", WL_DT_F32, &O2, 0));
    ck_assert_ptr_nonnull(wl_graph_add_tensor(g, "z", WL_DT_F32, &O2, 0));
    /* duplicate tensor */
    ck_assert_ptr_null(wl_graph_add_tensor(g, "x", WL_DT_F32, &S2, 0));
    ck_assert_ptr_nonnull(strstr(wl_graph_errmsg(g), "'x' is defined twice"));
    wl_shape_t neg = {1, {-2}};
    ck_assert_ptr_null(wl_graph_add_tensor(g, "neg", WL_DT_F32, &neg, 0));

    const char *ins[] = {"x", "w"}, *out[] = {"y"}, *out2[] = {"z"};
    wl_op_spec_t sp = {.name = "mm", .kind = WL_OP_MATMUL, .inputs = ins, .n_inputs = 2,
                       .outputs = out, .n_outputs = 1, .weight = "w", .m = 4, .k = 8, .n = 3,
                       .b_is_weight = 1};
    /* reads a tensor nobody produced yet: topological order enforced */
    const char *bad_in[] = {"z", "w"};
    wl_op_spec_t early = sp;
    early.inputs = bad_in;
    ck_assert_int_eq(wl_graph_add_op(g, &early), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(wl_graph_errmsg(g), "before any op produces it"));
    /* unknown input */
    const char *unk[] = {"x", "nope"};
    wl_op_spec_t u = sp;
    u.inputs = unk;
    ck_assert_int_eq(wl_graph_add_op(g, &u), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(wl_graph_errmsg(g), "'nope'"));
    /* M*N disagrees with the output */
    wl_op_spec_t mm = sp;
    mm.m = 5;
    ck_assert_int_eq(wl_graph_add_op(g, &mm), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(wl_graph_errmsg(g), "count*m*n"));
    mm.m = 0;
    ck_assert_int_eq(wl_graph_add_op(g, &mm), WL_ERR_ARG);
    /* weight is not an input */
    wl_op_spec_t wn = sp;
    wn.weight = "z";
    ck_assert_int_eq(wl_graph_add_op(g, &wn), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(wl_graph_errmsg(g), "not one of its inputs"));
    /* writing a weight */
    wl_op_spec_t ww = sp;
    const char *wout[] = {"w"};
    ww.outputs = wout;
    ww.kind = WL_OP_ELEMENTWISE;
    ck_assert_int_eq(wl_graph_add_op(g, &ww), WL_ERR_ARG);
    ck_assert_int_eq(wl_graph_op_count(g), 0);
    /* good op: costs filled */
    ck_assert_int_eq(wl_graph_add_op(g, &sp), 0);
    const wl_op_t *op = wl_graph_op(g, 0);
    ck_assert_uint_eq(op->macs, 96);
    ck_assert_uint_eq(op->count, 1);
    ck_assert_uint_eq(op->bytes_read, 4 * 8 * 4 + 8 * 3 * 2);
    ck_assert_uint_eq(op->bytes_written, 4 * 3 * 4);
    ck_assert_ptr_eq(op->weight, wl_graph_find_tensor(g, "w"));
    /* same name again; output written twice */
    wl_op_spec_t again = sp;
    again.outputs = out2;
    ck_assert_int_eq(wl_graph_add_op(g, &again), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(wl_graph_errmsg(g), "used twice"));
    again.name = "mm2";
    again.outputs = out;
    ck_assert_int_eq(wl_graph_add_op(g, &again), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(wl_graph_errmsg(g), "already"));
    /* a view costs nothing */
    const char *vin[] = {"y"};
    wl_op_spec_t view = {.name = "view", .kind = WL_OP_RESHAPE, .inputs = vin, .n_inputs = 1,
                         .outputs = out2, .n_outputs = 1};
    ck_assert_int_eq(wl_graph_add_op(g, &view), 0);
    ck_assert_uint_eq(wl_graph_op(g, 1)->bytes_read, 0);
    ck_assert_uint_eq(wl_graph_total_macs(g), 96);
    ck_assert_uint_eq(wl_graph_params(g), 24);
    ck_assert_uint_eq(wl_graph_weight_bytes(g), 48);
    ck_assert_uint_eq(wl_graph_activation_bytes(g), 48);
    ck_assert_ptr_null(wl_graph_op(g, 2));
    wl_graph_destroy(g);
}
END_TEST

START_TEST(topological_order)
{
    /* every input of every op is available before it, in every built-in */
    for (size_t m = 0; m < wl_builtin_count(); m++) {
        const char *name = wl_builtin_name(m);
        if (strstr(name, "70b") || strstr(name, "13b"))
            continue; /* same generator as 7b/8b; keeps the test fast */
        wl_graph_t *g = load(name, 1, 16, WL_PHASE_PREFILL, -1);
        size_t nt = wl_graph_tensor_count(g);
        unsigned char *avail = calloc(nt, 1);
        ck_assert_ptr_nonnull(avail);
        for (size_t t = 0; t < nt; t++)
            avail[t] = (wl_graph_tensor(g, t)->flags & (WL_T_INPUT | WL_T_WEIGHT | WL_T_CONST)) != 0;
        for (size_t i = 0; i < wl_graph_op_count(g); i++) {
            const wl_op_t *op = wl_graph_op(g, i);
            for (size_t k = 0; k < op->n_inputs; k++) {
                size_t t = 0;
                while (wl_graph_tensor(g, t) != op->inputs[k])
                    t++;
                ck_assert_msg(avail[t], "%s: op %s reads %s early", name, op->name, op->inputs[k]->name);
            }
            for (size_t k = 0; k < op->n_outputs; k++) {
                size_t t = 0;
                while (wl_graph_tensor(g, t) != op->outputs[k])
                    t++;
                ck_assert(!avail[t]);
                avail[t] = 1;
            }
        }
        free(avail);
        wl_graph_destroy(g);
    }
}
END_TEST

/* ---- the built binary ------------------------------------------------------------- */
static char *run_prism(const char *args, int *status)
{
    const char *prism = getenv("PRISM");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", prism, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    buf[n] = 0;
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

START_TEST(cli_json)
{
    if (!getenv("PRISM")) {
        fprintf(stderr, "check_workloads: PRISM not set, skipping the binary test\n");
        return;
    }
    int st;
    char *out = run_prism("workload info gpt2 --seq 128 --json", &st);
    ck_assert_msg(st == 0, "exit %d: %s", st, out);
    cJSON *j = cJSON_Parse(out);
    ck_assert_msg(j != NULL, "not JSON: %.200s", out);
    ck_assert_double_eq(cJSON_GetObjectItem(j, "total_macs")->valuedouble, 16114089984.0);
    ck_assert_double_eq(cJSON_GetObjectItem(j, "params")->valuedouble, 124439808.0);
    ck_assert_double_eq(cJSON_GetObjectItem(j, "weight_bytes")->valuedouble, 4 * 124439808.0);
    ck_assert(cJSON_GetObjectItem(j, "activation_bytes")->valuedouble > 0);
    cJSON *ops = cJSON_GetObjectItem(j, "ops");
    ck_assert(cJSON_IsArray(ops));
    double sum = 0;
    cJSON *op;
    cJSON_ArrayForEach(op, ops) sum += cJSON_GetObjectItem(op, "macs")->valuedouble;
    ck_assert_double_eq(sum, 16114089984.0);
    cJSON *lm = cJSON_GetArrayItem(ops, cJSON_GetArraySize(ops) - 1);
    ck_assert_str_eq(cJSON_GetObjectItem(lm, "name")->valuestring, "lm_head");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(lm, "b_is_weight")));
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(lm, "weight"), "name")->valuestring,
                     "wte.weight");
    cJSON_Delete(j);
    free(out);

    out = run_prism("workload info resnet18", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "1814073344"));
    free(out);
    out = run_prism("workload list", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "llama3-8b"));
    free(out);
    out = run_prism("workload --help", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "info SPEC"));
    free(out);
    /* errors: one sentence, non-zero exit */
    out = run_prism("workload info gpt5", &st);
    ck_assert_int_ne(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "unknown workload 'gpt5'"));
    ck_assert_ptr_null(strchr(strchr(out, '\n') + 1, '\n'));
    free(out);
    out = run_prism("workload info gpt2 --phase sideways", &st);
    ck_assert_int_ne(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "--phase"));
    free(out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("workloads");
    TCase *t = tcase_create("builtins");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, gpt2_params);
    tcase_add_test(t, llama_params);
    tcase_add_test(t, bert_vit_resnet_params);
    tcase_add_test(t, vision_macs_published);
    tcase_add_test(t, gpt2_macs_closed_form);
    tcase_add_test(t, llama_gqa_decode);
    tcase_add_test(t, overrides);
    tcase_add_test(t, gpt2_structure);
    tcase_add_test(t, dtype_and_activations);
    tcase_add_test(t, load_errors);
    suite_add_tcase(s, t);
    TCase *ir = tcase_create("ir");
    tcase_set_timeout(ir, 60);
    tcase_add_test(ir, ir_validation);
    tcase_add_test(ir, topological_order);
    suite_add_tcase(s, ir);
    TCase *cli = tcase_create("cli");
    tcase_set_timeout(cli, 60);
    tcase_add_test(cli, cli_json);
    suite_add_tcase(s, cli);
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
