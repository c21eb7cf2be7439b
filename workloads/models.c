/* Built-in transformer workloads: GPT-2 (Radford et al. 2019, HF GPT2Model),
 * Llama 2/3 (Touvron et al. 2023; Meta Llama 3 model card, 2024), BERT (Devlin
 * et al. 2019, HF BertModel incl. pooler) and ViT (Dosovitskiy et al. 2021,
 * timm vit_*_patch16_224). Sizes are the published configurations; every count
 * is computed from them (docs/workloads.md states the conventions). */
#include "workloads/wl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum family { FAM_GPT2, FAM_LLAMA, FAM_BERT, FAM_VIT, FAM_RESNET };

typedef struct {
    const char *name;
    const char *desc;
    enum family fam;
    int hidden, layers, heads, kv_heads, ffn, vocab, max_pos, tied, classes, patch, depth;
} model_cfg_t;

/* Published configurations (HF config.json of each checkpoint; ViT and ResNet
 * from their papers / timm and torchvision). */
static const model_cfg_t builtins[] = {
    {"gpt2", "GPT-2 small, 124M (12 x 768, 12 heads)", FAM_GPT2, 768, 12, 12, 12, 3072, 50257, 1024, 1, 0, 0, 0},
    {"gpt2-medium", "GPT-2 medium, 355M (24 x 1024, 16 heads)", FAM_GPT2, 1024, 24, 16, 16, 4096, 50257, 1024, 1, 0, 0, 0},
    {"gpt2-large", "GPT-2 large, 774M (36 x 1280, 20 heads)", FAM_GPT2, 1280, 36, 20, 20, 5120, 50257, 1024, 1, 0, 0, 0},
    {"gpt2-xl", "GPT-2 XL, 1.5B (48 x 1600, 25 heads)", FAM_GPT2, 1600, 48, 25, 25, 6400, 50257, 1024, 1, 0, 0, 0},
    {"llama2-7b", "Llama 2 7B (32 x 4096, 32 heads, MHA, SwiGLU 11008)", FAM_LLAMA, 4096, 32, 32, 32, 11008, 32000, 4096, 0, 0, 0, 0},
    {"llama2-13b", "Llama 2 13B (40 x 5120, 40 heads, SwiGLU 13824)", FAM_LLAMA, 5120, 40, 40, 40, 13824, 32000, 4096, 0, 0, 0, 0},
    {"llama2-70b", "Llama 2 70B (80 x 8192, 64 heads, 8 KV heads, SwiGLU 28672)", FAM_LLAMA, 8192, 80, 64, 8, 28672, 32000, 4096, 0, 0, 0, 0},
    {"llama3-8b", "Llama 3 8B (32 x 4096, 32 heads, 8 KV heads, SwiGLU 14336)", FAM_LLAMA, 4096, 32, 32, 8, 14336, 128256, 8192, 0, 0, 0, 0},
    {"llama3-70b", "Llama 3 70B (80 x 8192, 64 heads, 8 KV heads, SwiGLU 28672)", FAM_LLAMA, 8192, 80, 64, 8, 28672, 128256, 8192, 0, 0, 0, 0},
    {"llama3.2-1b", "Llama 3.2 1B (16 x 2048, 32 heads, 8 KV heads, tied head)", FAM_LLAMA, 2048, 16, 32, 8, 8192, 128256, 131072, 1, 0, 0, 0},
    {"tinyllama-1.1b", "TinyLlama 1.1B (22 x 2048, 32 heads, 4 KV heads)", FAM_LLAMA, 2048, 22, 32, 4, 5632, 32000, 2048, 0, 0, 0, 0},
    {"bert-base", "BERT-base, 110M (12 x 768, 12 heads, with pooler)", FAM_BERT, 768, 12, 12, 12, 3072, 30522, 512, 0, 0, 0, 0},
    {"bert-large", "BERT-large, 340M (24 x 1024, 16 heads, with pooler)", FAM_BERT, 1024, 24, 16, 16, 4096, 30522, 512, 0, 0, 0, 0},
    {"vit-b16", "ViT-B/16, 86M (12 x 768, 12 heads, patch 16)", FAM_VIT, 768, 12, 12, 12, 3072, 0, 0, 0, 1000, 16, 0},
    {"vit-l16", "ViT-L/16, 304M (24 x 1024, 16 heads, patch 16)", FAM_VIT, 1024, 24, 16, 16, 4096, 0, 0, 0, 1000, 16, 0},
    {"resnet18", "ResNet-18, 11.7M (basic blocks 2-2-2-2)", FAM_RESNET, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 0, 18},
    {"resnet34", "ResNet-34, 21.8M (basic blocks 3-4-6-3)", FAM_RESNET, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 0, 34},
    {"resnet50", "ResNet-50, 25.6M (bottlenecks 3-4-6-3)", FAM_RESNET, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 0, 50},
    {"resnet101", "ResNet-101, 44.5M (bottlenecks 3-4-23-3)", FAM_RESNET, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 0, 101},
};
#define N_BUILTINS (sizeof builtins / sizeof builtins[0])

size_t wl_builtin_count(void) { return N_BUILTINS; }
const char *wl_builtin_name(size_t i) { return i < N_BUILTINS ? builtins[i].name : NULL; }
const char *wl_builtin_desc(size_t i) { return i < N_BUILTINS ? builtins[i].desc : NULL; }

/* ---- a small builder with a sticky error ------------------------------------ */
typedef struct {
    wl_graph_t *g;
    wl_dtype_t dt;
    int rc;
    int layer;
    int kv_cache; /* a decoder LM: mark the keys/values the cache keeps (WL_T_KV) */
} gb_t;

#define SH(...)                                                                        \
    wl_shp((int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__})

/* Adds a tensor; returns its (graph-owned) name or "" after an error. */
static const char *tensor(gb_t *b, const char *name, wl_dtype_t dt, wl_shape_t s, unsigned flags)
{
    if (b->rc)
        return "";
    const wl_tensor_t *t = wl_graph_add_tensor(b->g, name, dt, &s, flags);
    if (!t) {
        b->rc = WL_ERR;
        return "";
    }
    return t->name;
}

static const char *act(gb_t *b, const char *name, wl_shape_t s) { return tensor(b, name, b->dt, s, 0); }
static const char *weight(gb_t *b, const char *name, wl_shape_t s) { return tensor(b, name, b->dt, s, WL_T_WEIGHT); }

static void op(gb_t *b, const char *name, wl_opkind_t kind, const char *detail,
               const char *const *ins, size_t n_in, const char *out)
{
    if (b->rc)
        return;
    wl_op_spec_t sp = {.name = name, .kind = kind, .detail = detail, .inputs = ins,
                       .n_inputs = n_in, .outputs = &out, .n_outputs = 1, .layer = b->layer};
    if (wl_graph_add_op(b->g, &sp))
        b->rc = WL_ERR;
}

/* out = rows of table selected by ids */
static void embedding(gb_t *b, const char *name, const char *table, const char *ids, const char *out)
{
    if (b->rc)
        return;
    const char *ins[2] = {table, ids};
    wl_op_spec_t sp = {.name = name, .kind = WL_OP_EMBEDDING, .detail = "embedding", .inputs = ins,
                       .n_inputs = 2, .outputs = &out, .n_outputs = 1, .weight = table,
                       .layer = b->layer};
    if (wl_graph_add_op(b->g, &sp))
        b->rc = WL_ERR;
}

/* out = op(x), same shape as x's tensor. */
static const char *unary(gb_t *b, const char *opname, wl_opkind_t kind, const char *detail,
                         const char *x, wl_shape_t s)
{
    char oname[256];
    snprintf(oname, sizeof oname, "%s.out", opname);
    const char *o = act(b, oname, s);
    op(b, opname, kind, detail, (const char *[]){x}, 1, o);
    return o;
}

static const char *binary(gb_t *b, const char *opname, const char *detail, const char *x,
                          const char *y, wl_shape_t s)
{
    char oname[256];
    snprintf(oname, sizeof oname, "%s.out", opname);
    const char *o = act(b, oname, s);
    op(b, opname, WL_OP_ELEMENTWISE, detail, (const char *[]){x, y}, 2, o);
    return o;
}

/* Norm with gain (and bias when has_bias): weights named <prefix>.weight/.bias. */
static const char *norm(gb_t *b, const char *prefix, wl_opkind_t kind, const char *x,
                        wl_shape_t s, int64_t dim, int has_bias)
{
    char wn[256], bn[256], oname[256];
    snprintf(wn, sizeof wn, "%s.weight", prefix);
    snprintf(bn, sizeof bn, "%s.bias", prefix);
    snprintf(oname, sizeof oname, "%s.out", prefix);
    const char *w = weight(b, wn, SH(dim));
    const char *bb = has_bias ? weight(b, bn, SH(dim)) : NULL;
    const char *o = act(b, oname, s);
    if (b->rc)
        return "";
    const char *ins[3] = {x, w, bb};
    wl_op_spec_t sp = {.name = prefix, .kind = kind, .inputs = ins, .n_inputs = has_bias ? 3 : 2,
                       .outputs = &o, .n_outputs = 1, .weight = w, .bias = bb, .layer = b->layer};
    if (wl_graph_add_op(b->g, &sp))
        b->rc = WL_ERR;
    return o;
}

/* y[M, N] = x[M, K] * W + bias. The weight is stored [K, N] (HF Conv1D layout)
 * unless wname names an existing tensor (tied embeddings, [N, K]). */
static const char *linear(gb_t *b, const char *prefix, const char *x, uint64_t m, int64_t k,
                          int64_t n, wl_shape_t out_shape, const char *tied, int has_bias)
{
    char wn[256], bn[256], oname[256];
    snprintf(wn, sizeof wn, "%s.weight", prefix);
    snprintf(bn, sizeof bn, "%s.bias", prefix);
    snprintf(oname, sizeof oname, "%s.out", prefix);
    const char *w = tied ? tied : weight(b, wn, SH(k, n));
    const char *bb = has_bias ? weight(b, bn, SH(n)) : NULL;
    const char *o = act(b, oname, out_shape);
    if (b->rc)
        return "";
    const char *ins[3] = {x, w, bb};
    wl_op_spec_t sp = {.name = prefix, .kind = WL_OP_MATMUL, .detail = "linear", .inputs = ins,
                       .n_inputs = has_bias ? 3 : 2, .outputs = &o, .n_outputs = 1, .weight = w,
                       .bias = bb, .m = m, .k = (uint64_t)k, .n = (uint64_t)n, .count = 1,
                       .b_is_weight = 1, .layer = b->layer};
    if (wl_graph_add_op(b->g, &sp))
        b->rc = WL_ERR;
    return o;
}

static const char *gemm_act(gb_t *b, const char *name, wl_opkind_t kind, const char *x,
                            const char *y, uint64_t count, uint64_t m, uint64_t k, uint64_t n,
                            wl_shape_t out_shape)
{
    char oname[256];
    snprintf(oname, sizeof oname, "%s.out", name);
    const char *o = act(b, oname, out_shape);
    if (b->rc)
        return "";
    const char *ins[2] = {x, y};
    wl_op_spec_t sp = {.name = name, .kind = kind, .inputs = ins, .n_inputs = 2, .outputs = &o,
                       .n_outputs = 1, .m = m, .k = k, .n = n, .count = count, .layer = b->layer};
    if (wl_graph_add_op(b->g, &sp))
        b->rc = WL_ERR;
    return o;
}

/* Multi-head attention core shared by all transformers, from q, k, v in
 * [B, S, heads*hd] / [B, S, kv_heads*hd] layout. In decode, past K/V come in
 * as graph inputs [B, kvh, kv_len, hd] and the new token's K/V are appended.
 * Returns the merged context [B, Sq, heads*hd]. rope: apply RoPE to q and k. */
static const char *attention(gb_t *b, const char *p, const char *q, const char *k,
                             const char *v, int64_t B, int64_t Sq, int64_t kv_len, int64_t H,
                             int64_t KVH, int64_t hd, int rope, const char *pos_ids)
{
    char n1[200], n2[256];
    int decode = kv_len > 0;
    int64_t Skv = Sq + kv_len;
    snprintf(n1, sizeof n1, "%s.q_heads", p);
    const char *qh = unary(b, n1, WL_OP_TRANSPOSE, "split_heads", q, SH(B, H, Sq, hd));
    snprintf(n1, sizeof n1, "%s.k_heads", p);
    const char *kh = unary(b, n1, WL_OP_TRANSPOSE, "split_heads", k, SH(B, KVH, Sq, hd));
    snprintf(n1, sizeof n1, "%s.v_heads", p);
    const char *vh = unary(b, n1, WL_OP_TRANSPOSE, "split_heads", v, SH(B, KVH, Sq, hd));
    if (rope) {
        snprintf(n1, sizeof n1, "%s.rope_q", p);
        snprintf(n2, sizeof n2, "%s.out", n1);
        const char *o = act(b, n2, SH(B, H, Sq, hd));
        op(b, n1, WL_OP_ROPE, "rope", (const char *[]){qh, pos_ids}, 2, o);
        qh = o;
        snprintf(n1, sizeof n1, "%s.rope_k", p);
        snprintf(n2, sizeof n2, "%s.out", n1);
        o = act(b, n2, SH(B, KVH, Sq, hd));
        op(b, n1, WL_OP_ROPE, "rope", (const char *[]){kh, pos_ids}, 2, o);
        kh = o;
    }
    if (decode) {
        for (int which = 0; which < 2; which++) {
            snprintf(n1, sizeof n1, "%s.past_%s", p, which ? "value" : "key");
            const char *past =
                tensor(b, n1, b->dt, SH(B, KVH, kv_len, hd), WL_T_INPUT | WL_T_KV);
            snprintf(n1, sizeof n1, "%s.%s_cache_append", p, which ? "v" : "k");
            snprintf(n2, sizeof n2, "%s.out", n1);
            const char *o = act(b, n2, SH(B, KVH, Skv, hd));
            if (!b->rc) {
                const char *ins[2] = {past, which ? vh : kh};
                wl_op_spec_t sp = {.name = n1, .kind = WL_OP_COPY, .detail = "kv_append",
                                   .inputs = ins, .n_inputs = 2, .outputs = &o, .n_outputs = 1,
                                   .layer = b->layer, .in_place = 1};
                if (wl_graph_add_op(b->g, &sp))
                    b->rc = WL_ERR;
            }
            if (which)
                vh = o;
            else
                kh = o;
        }
    }
    if (!decode && b->kv_cache && !b->rc &&
        (wl_graph_tensor_add_flags(b->g, kh, WL_T_KV) || wl_graph_tensor_add_flags(b->g, vh, WL_T_KV)))
        b->rc = WL_ERR;
    snprintf(n1, sizeof n1, "%s.score", p);
    const char *s = gemm_act(b, n1, WL_OP_ATTN_SCORE, qh, kh, (uint64_t)(B * H), (uint64_t)Sq,
                             (uint64_t)hd, (uint64_t)Skv, SH(B, H, Sq, Skv));
    snprintf(n1, sizeof n1, "%s.scale_mask", p);
    s = unary(b, n1, WL_OP_ELEMENTWISE, "scale_mask", s, SH(B, H, Sq, Skv));
    snprintf(n1, sizeof n1, "%s.softmax", p);
    s = unary(b, n1, WL_OP_SOFTMAX, "softmax", s, SH(B, H, Sq, Skv));
    snprintf(n1, sizeof n1, "%s.context", p);
    const char *c = gemm_act(b, n1, WL_OP_ATTN_CONTEXT, s, vh, (uint64_t)(B * H), (uint64_t)Sq,
                             (uint64_t)Skv, (uint64_t)hd, SH(B, H, Sq, hd));
    snprintf(n1, sizeof n1, "%s.merge_heads", p);
    return unary(b, n1, WL_OP_TRANSPOSE, "merge_heads", c, SH(B, Sq, H * hd));
}

/* ---- transformer blocks ------------------------------------------------------ */
/* Writes "<p>.<suffix>" into n[128] and returns it. */
static const char *sub(char n[128], const char *p, const char *suffix)
{
    snprintf(n, 128, "%s.%s", p, suffix);
    return n;
}

/* GELU MLP (GPT-2, BERT, ViT): <p>.<fc> [D -> F], <p>.<act> (detail gelu),
 * <p>.<fc_out> [F -> D], all with bias. */
static const char *gelu_mlp(gb_t *b, const char *p, const char *fc, const char *act_name,
                            const char *gelu, const char *fc_out, const char *x, int64_t B,
                            int64_t S, int64_t D, int64_t F)
{
    char n[128];
    uint64_t M = (uint64_t)(B * S);
    const char *h = linear(b, sub(n, p, fc), x, M, D, F, SH(B, S, F), NULL, 1);
    h = unary(b, sub(n, p, act_name), WL_OP_ACTIVATION, gelu, h, SH(B, S, F));
    return linear(b, sub(n, p, fc_out), h, M, F, D, SH(B, S, D), NULL, 1);
}

/* Self-attention with separate q, k, v projections of x (BERT, Llama): the
 * projections <p>.<q>/<k>/<v>, the core under <p>.<core> (RoPE when pos_ids is
 * given), the output projection <p>.<o>. */
typedef struct {
    const char *q, *k, *v, *core, *o;
} attn_names_t;

static const char *attn_proj(gb_t *b, const attn_names_t *nm, const char *p, const char *x,
                             int64_t B, int64_t S, int64_t kv, int64_t D, int64_t H, int64_t KVH,
                             int has_bias, const char *pos_ids)
{
    char n[128];
    int64_t hd = D / H;
    uint64_t M = (uint64_t)(B * S);
    const char *q = linear(b, sub(n, p, nm->q), x, M, D, H * hd, SH(B, S, H * hd), NULL, has_bias);
    const char *k =
        linear(b, sub(n, p, nm->k), x, M, D, KVH * hd, SH(B, S, KVH * hd), NULL, has_bias);
    const char *v =
        linear(b, sub(n, p, nm->v), x, M, D, KVH * hd, SH(B, S, KVH * hd), NULL, has_bias);
    const char *ctx = attention(b, sub(n, p, nm->core), q, k, v, B, S, kv, H, KVH, hd,
                                pos_ids != NULL, pos_ids);
    return linear(b, sub(n, p, nm->o), ctx, M, H * hd, D, SH(B, S, D), NULL, has_bias);
}

/* Pre-LayerNorm block with a fused qkv projection and a GELU MLP (GPT-2, ViT):
 * x += <proj>(attn(split(<qkv>(<ln_1>(x))))); x += mlp(<ln_2>(x)). The names
 * are suffixes after the block prefix; the rest (attn.q/k/v, attn.split_qkv,
 * attn.*, residual_1/2, mlp.gelu) are common to both models. */
typedef struct {
    const char *ln_1, *qkv, *proj, *ln_2, *fc, *fc_out, *gelu;
} block_names_t;

static const char *transformer_block(gb_t *b, const block_names_t *nm, const char *p,
                                     const char *x, int64_t B, int64_t S, int64_t kv, int64_t D,
                                     int64_t H, int64_t F)
{
    char n[128];
    int64_t hd = D / H;
    uint64_t M = (uint64_t)(B * S);
    const char *h = norm(b, sub(n, p, nm->ln_1), WL_OP_LAYERNORM, x, SH(B, S, D), D, 1);
    const char *qkv = linear(b, sub(n, p, nm->qkv), h, M, D, 3 * D, SH(B, S, 3 * D), NULL, 1);
    const char *outs[3];
    const char *qkv_names[3] = {"q", "k", "v"};
    char on[3][128];
    for (int i = 0; i < 3; i++) {
        snprintf(on[i], sizeof on[i], "%s.attn.%s", p, qkv_names[i]);
        outs[i] = act(b, on[i], SH(B, S, D));
    }
    if (!b->rc) {
        wl_op_spec_t sp = {.name = sub(n, p, "attn.split_qkv"), .kind = WL_OP_COPY,
                           .detail = "split", .inputs = &qkv, .n_inputs = 1, .outputs = outs,
                           .n_outputs = 3, .layer = b->layer};
        if (wl_graph_add_op(b->g, &sp))
            b->rc = WL_ERR;
    }
    const char *ctx =
        attention(b, sub(n, p, "attn"), outs[0], outs[1], outs[2], B, S, kv, H, H, hd, 0, NULL);
    const char *a = linear(b, sub(n, p, nm->proj), ctx, M, D, D, SH(B, S, D), NULL, 1);
    x = binary(b, sub(n, p, "residual_1"), "add", x, a, SH(B, S, D));
    h = norm(b, sub(n, p, nm->ln_2), WL_OP_LAYERNORM, x, SH(B, S, D), D, 1);
    h = gelu_mlp(b, p, nm->fc, "mlp.gelu", nm->gelu, nm->fc_out, h, B, S, D, F);
    return binary(b, sub(n, p, "residual_2"), "add", x, h, SH(B, S, D));
}

/* ---- GPT-2 ------------------------------------------------------------------ */
static void build_gpt2(gb_t *b, const model_cfg_t *c, int64_t B, int64_t S, int64_t kv)
{
    static const block_names_t names = {"ln_1", "attn.c_attn", "attn.c_proj", "ln_2",
                                        "mlp.c_fc", "mlp.c_proj", "gelu_tanh"};
    int64_t D = c->hidden, H = c->heads, F = c->ffn, V = c->vocab;
    uint64_t M = (uint64_t)(B * S);
    b->layer = -1;
    const char *ids = tensor(b, "input_ids", WL_DT_I64, SH(B, S), WL_T_INPUT);
    const char *pos = tensor(b, "position_ids", WL_DT_I64, SH(B, S), WL_T_INPUT);
    const char *wte = weight(b, "wte.weight", SH(V, D));
    const char *wpe = weight(b, "wpe.weight", SH(c->max_pos, D));
    const char *te = act(b, "wte.out", SH(B, S, D)), *pe = act(b, "wpe.out", SH(B, S, D));
    embedding(b, "wte", wte, ids, te);
    embedding(b, "wpe", wpe, pos, pe);
    const char *x = binary(b, "embed_add", "add", te, pe, SH(B, S, D));
    for (int l = 0; l < c->layers && !b->rc; l++) {
        char p[64];
        b->layer = l;
        snprintf(p, sizeof p, "h.%d", l);
        x = transformer_block(b, &names, p, x, B, S, kv, D, H, F);
    }
    b->layer = -1;
    x = norm(b, "ln_f", WL_OP_LAYERNORM, x, SH(B, S, D), D, 1);
    /* lm_head: tied to wte ([V, D]), so it adds no parameters */
    linear(b, "lm_head", x, M, D, V, SH(B, S, V), wte, 0);
}

/* ---- Llama ------------------------------------------------------------------ */
static void build_llama(gb_t *b, const model_cfg_t *c, int64_t B, int64_t S, int64_t kv)
{
    static const attn_names_t attn_names = {"self_attn.q_proj", "self_attn.k_proj",
                                            "self_attn.v_proj", "self_attn", "self_attn.o_proj"};
    int64_t D = c->hidden, H = c->heads, KVH = c->kv_heads, F = c->ffn, V = c->vocab;
    uint64_t M = (uint64_t)(B * S);
    b->layer = -1;
    const char *ids = tensor(b, "input_ids", WL_DT_I64, SH(B, S), WL_T_INPUT);
    const char *pos = tensor(b, "position_ids", WL_DT_I64, SH(B, S), WL_T_INPUT);
    const char *emb = weight(b, "embed_tokens.weight", SH(V, D));
    const char *x = act(b, "embed_tokens.out", SH(B, S, D));
    embedding(b, "embed_tokens", emb, ids, x);
    for (int l = 0; l < c->layers && !b->rc; l++) {
        char p[64], n[128];
        b->layer = l;
        snprintf(p, sizeof p, "layers.%d", l);
        const char *h =
            norm(b, sub(n, p, "input_layernorm"), WL_OP_RMSNORM, x, SH(B, S, D), D, 0);
        const char *a = attn_proj(b, &attn_names, p, h, B, S, kv, D, H, KVH, 0, pos);
        x = binary(b, sub(n, p, "residual_1"), "add", x, a, SH(B, S, D));
        h = norm(b, sub(n, p, "post_attention_layernorm"), WL_OP_RMSNORM, x, SH(B, S, D), D, 0);
        /* SwiGLU MLP: down(silu(gate(h)) * up(h)) */
        const char *gt = linear(b, sub(n, p, "mlp.gate_proj"), h, M, D, F, SH(B, S, F), NULL, 0);
        const char *up = linear(b, sub(n, p, "mlp.up_proj"), h, M, D, F, SH(B, S, F), NULL, 0);
        gt = unary(b, sub(n, p, "mlp.silu"), WL_OP_ACTIVATION, "silu", gt, SH(B, S, F));
        h = binary(b, sub(n, p, "mlp.gate_mul"), "mul", gt, up, SH(B, S, F));
        h = linear(b, sub(n, p, "mlp.down_proj"), h, M, F, D, SH(B, S, D), NULL, 0);
        x = binary(b, sub(n, p, "residual_2"), "add", x, h, SH(B, S, D));
    }
    b->layer = -1;
    x = norm(b, "norm", WL_OP_RMSNORM, x, SH(B, S, D), D, 0);
    linear(b, "lm_head", x, M, D, V, SH(B, S, V), c->tied ? emb : NULL, 0);
}

/* ---- BERT ------------------------------------------------------------------- */
static void build_bert(gb_t *b, const model_cfg_t *c, int64_t B, int64_t S)
{
    static const attn_names_t attn_names = {
        "attention.self.query", "attention.self.key", "attention.self.value", "attention.self",
        "attention.output.dense"};
    int64_t D = c->hidden, H = c->heads, F = c->ffn, V = c->vocab;
    b->layer = -1;
    const char *ids = tensor(b, "input_ids", WL_DT_I64, SH(B, S), WL_T_INPUT);
    const char *tt = tensor(b, "token_type_ids", WL_DT_I64, SH(B, S), WL_T_INPUT);
    const char *pos = tensor(b, "position_ids", WL_DT_I64, SH(B, S), WL_T_INPUT);
    const char *we = weight(b, "embeddings.word_embeddings.weight", SH(V, D));
    const char *pe = weight(b, "embeddings.position_embeddings.weight", SH(c->max_pos, D));
    const char *te = weight(b, "embeddings.token_type_embeddings.weight", SH(2, D));
    const char *e1 = act(b, "embeddings.word_embeddings.out", SH(B, S, D));
    const char *e2 = act(b, "embeddings.token_type_embeddings.out", SH(B, S, D));
    const char *e3 = act(b, "embeddings.position_embeddings.out", SH(B, S, D));
    embedding(b, "embeddings.word_embeddings", we, ids, e1);
    embedding(b, "embeddings.token_type_embeddings", te, tt, e2);
    embedding(b, "embeddings.position_embeddings", pe, pos, e3);
    const char *x = act(b, "embeddings.add.out", SH(B, S, D));
    op(b, "embeddings.add", WL_OP_ELEMENTWISE, "add", (const char *[]){e1, e2, e3}, 3, x);
    x = norm(b, "embeddings.LayerNorm", WL_OP_LAYERNORM, x, SH(B, S, D), D, 1);
    for (int l = 0; l < c->layers && !b->rc; l++) {
        /* post-LN: x = LN(x + attn(x)); x = LN(x + mlp(x)) */
        char p[64], n[128];
        b->layer = l;
        snprintf(p, sizeof p, "encoder.layer.%d", l);
        const char *a = attn_proj(b, &attn_names, p, x, B, S, 0, D, H, H, 1, NULL);
        a = binary(b, sub(n, p, "attention.output.residual"), "add", a, x, SH(B, S, D));
        x = norm(b, sub(n, p, "attention.output.LayerNorm"), WL_OP_LAYERNORM, a, SH(B, S, D), D, 1);
        const char *h = gelu_mlp(b, p, "intermediate.dense", "intermediate.gelu", "gelu",
                                 "output.dense", x, B, S, D, F);
        h = binary(b, sub(n, p, "output.residual"), "add", h, x, SH(B, S, D));
        x = norm(b, sub(n, p, "output.LayerNorm"), WL_OP_LAYERNORM, h, SH(B, S, D), D, 1);
    }
    b->layer = -1;
    /* pooler: dense + tanh on the first ([CLS]) token */
    const char *cls = unary(b, "pooler.first_token", WL_OP_COPY, "slice", x, SH(B, D));
    const char *pd = linear(b, "pooler.dense", cls, (uint64_t)B, D, D, SH(B, D), NULL, 1);
    unary(b, "pooler.activation", WL_OP_ACTIVATION, "tanh", pd, SH(B, D));
}

/* ---- ViT -------------------------------------------------------------------- */
static void build_vit(gb_t *b, const model_cfg_t *c, int64_t B, int64_t img)
{
    static const block_names_t names = {"norm1", "attn.qkv", "attn.proj", "norm2",
                                        "mlp.fc1", "mlp.fc2", "gelu"};
    int64_t D = c->hidden, H = c->heads, F = c->ffn, P = c->patch;
    int64_t G = img / P, NP = G * G, T = NP + 1;
    b->layer = -1;
    const char *px = tensor(b, "pixel_values", b->dt, SH(B, 3, img, img), WL_T_INPUT);
    const char *pw = weight(b, "patch_embed.proj.weight", SH(D, 3, P, P));
    const char *pb = weight(b, "patch_embed.proj.bias", SH(D));
    const char *pe = act(b, "patch_embed.proj.out", SH(B, D, G, G));
    if (!b->rc) {
        const char *ins[3] = {px, pw, pb};
        wl_op_spec_t sp = {.name = "patch_embed.proj", .kind = WL_OP_CONV, .detail = "conv",
                           .inputs = ins, .n_inputs = 3, .outputs = &pe, .n_outputs = 1,
                           .weight = pw, .bias = pb, .m = (uint64_t)(B * NP),
                           .k = (uint64_t)(3 * P * P), .n = (uint64_t)D, .count = 1,
                           .b_is_weight = 1, .layer = -1,
                           .conv = {.kernel_h = (int)P, .kernel_w = (int)P, .stride_h = (int)P,
                                    .stride_w = (int)P, .dilation_h = 1, .dilation_w = 1,
                                    .groups = 1}};
        if (wl_graph_add_op(b->g, &sp))
            b->rc = WL_ERR;
    }
    const char *tok = unary(b, "patch_embed.flatten", WL_OP_TRANSPOSE, "flatten_transpose", pe,
                            SH(B, NP, D));
    const char *clsw = weight(b, "cls_token", SH(1, 1, D));
    const char *x = act(b, "cls_concat.out", SH(B, T, D));
    op(b, "cls_concat", WL_OP_COPY, "concat", (const char *[]){clsw, tok}, 2, x);
    const char *posw = weight(b, "pos_embed", SH(1, T, D));
    x = binary(b, "pos_add", "add", x, posw, SH(B, T, D));
    for (int l = 0; l < c->layers && !b->rc; l++) {
        char p[64];
        b->layer = l;
        snprintf(p, sizeof p, "blocks.%d", l);
        x = transformer_block(b, &names, p, x, B, T, 0, D, H, F);
    }
    b->layer = -1;
    x = norm(b, "norm", WL_OP_LAYERNORM, x, SH(B, T, D), D, 1);
    x = unary(b, "cls_pool", WL_OP_COPY, "slice", x, SH(B, D));
    linear(b, "head", x, (uint64_t)B, D, c->classes, SH(B, c->classes), NULL, 1);
}

/* ---- dispatch ----------------------------------------------------------------- */
static int parse_overrides(model_cfg_t *c, const char *s, char *err, size_t errlen)
{
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"hidden", offsetof(model_cfg_t, hidden)},     {"layers", offsetof(model_cfg_t, layers)},
        {"heads", offsetof(model_cfg_t, heads)},       {"kv_heads", offsetof(model_cfg_t, kv_heads)},
        {"ffn", offsetof(model_cfg_t, ffn)},           {"vocab", offsetof(model_cfg_t, vocab)},
        {"max_pos", offsetof(model_cfg_t, max_pos)},   {"tied", offsetof(model_cfg_t, tied)},
        {"classes", offsetof(model_cfg_t, classes)},   {"patch", offsetof(model_cfg_t, patch)},
    };
    while (s && *s) {
        const char *eq = strchr(s, '='), *end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        if (!eq || eq > end)
            return wl_fail(err, errlen, WL_ERR_ARG,
                           "model option '%.*s' is not of the form key=value", (int)(end - s), s);
        size_t klen = (size_t)(eq - s);
        int found = 0;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (strlen(keys[i].key) == klen && strncmp(keys[i].key, s, klen) == 0) {
                char *ep;
                long v = strtol(eq + 1, &ep, 10);
                if (ep != end || ep == eq + 1 || v < 0 || v > 1000000000)
                    return wl_fail(err, errlen, WL_ERR_ARG,
                                   "model option '%.*s' needs a non-negative integer",
                                   (int)klen, s);
                *(int *)((char *)c + keys[i].off) = (int)v;
                found = 1;
            }
        if (!found)
            return wl_fail(err, errlen, WL_ERR_ARG,
                           "unknown model option '%.*s' (known: hidden, layers, heads, "
                           "kv_heads, ffn, vocab, max_pos, tied, classes, patch)",
                           (int)klen, s);
        s = *end ? end + 1 : end;
    }
    return WL_OK;
}

static const model_cfg_t *find_builtin(const char *name, size_t len)
{
    static const struct {
        const char *alias, *name;
    } aliases[] = {{"gpt2-small", "gpt2"}, {"llama", "llama2-7b"}, {"llama2", "llama2-7b"},
                   {"llama3", "llama3-8b"}, {"bert", "bert-base"}, {"vit", "vit-b16"},
                   {"vit-b/16", "vit-b16"}, {"vit-l/16", "vit-l16"}, {"resnet", "resnet50"}};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strlen(aliases[i].alias) == len && strncmp(aliases[i].alias, name, len) == 0) {
            name = aliases[i].name;
            len = strlen(name);
        }
    for (size_t i = 0; i < N_BUILTINS; i++)
        if (strlen(builtins[i].name) == len && strncmp(builtins[i].name, name, len) == 0)
            return &builtins[i];
    return NULL;
}

int wl_builtin_build(const char *spec, const wl_gen_opts_t *o, wl_graph_t **out, char *err,
                     size_t errlen)
{
    const char *colon = strchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    const model_cfg_t *base = find_builtin(spec, nlen);
    if (!base)
        return wl_fail(err, errlen, WL_ERR_NOTFOUND,
                       "unknown workload '%.*s' (see 'prism workload list', or give a .onnx file)",
                       (int)nlen, spec);
    model_cfg_t c = *base;
    int rc = parse_overrides(&c, colon ? colon + 1 : NULL, err, errlen);
    if (rc)
        return rc;
    int transformer = c.fam != FAM_RESNET;
    if (transformer && (c.hidden <= 0 || c.layers < 0 || c.heads <= 0 || c.hidden % c.heads))
        return wl_fail(err, errlen, WL_ERR_ARG,
                       "%s: hidden (%d) must be a positive multiple of heads (%d)", c.name,
                       c.hidden, c.heads);
    if (c.fam == FAM_LLAMA && (c.kv_heads <= 0 || c.heads % c.kv_heads))
        return wl_fail(err, errlen, WL_ERR_ARG, "%s: heads (%d) must be a multiple of kv_heads (%d)",
                       c.name, c.heads, c.kv_heads);
    if ((c.fam == FAM_GPT2 || c.fam == FAM_LLAMA || c.fam == FAM_BERT) && (c.vocab <= 0 || c.ffn <= 0))
        return wl_fail(err, errlen, WL_ERR_ARG, "%s: vocab and ffn must be positive", c.name);
    if ((c.fam == FAM_BERT || c.fam == FAM_VIT) && c.classes < 0)
        return wl_fail(err, errlen, WL_ERR_ARG, "%s: classes must be >= 0", c.name);
    /* the graph, not only each option: a transformer layer is a few dozen ops */
    if (transformer && (int64_t)c.layers * 64 > WL_GRAPH_MAX_OPS)
        return wl_fail(err, errlen, WL_ERR_ARG,
                       "%s: layers=%d would build more than %d ops (the graph limit)", c.name,
                       c.layers, WL_GRAPH_MAX_OPS);

    int64_t B = o->batch > 0 ? o->batch : 1;
    int64_t S = o->seq > 0 ? o->seq : 128;
    int decode = o->phase == WL_PHASE_DECODE;
    int64_t kv = 0;
    if (decode) {
        if (c.fam != FAM_GPT2 && c.fam != FAM_LLAMA)
            return wl_fail(err, errlen, WL_ERR_ARG,
                           "%s is not a decoder: --phase decode applies to gpt2 and llama models",
                           c.name);
        kv = o->kv_len >= 0 ? o->kv_len : S;
        S = 1;
    }
    if ((c.fam == FAM_GPT2 || c.fam == FAM_BERT) && S + kv > c.max_pos)
        return wl_fail(err, errlen, WL_ERR_ARG,
                       "%s has %d learned positions; %lld tokens (seq %lld + kv-len %lld) exceed them",
                       c.name, c.max_pos, (long long)(S + kv), (long long)S, (long long)kv);
    if (c.fam == FAM_VIT && (c.patch <= 0 || o->image < c.patch || o->image % c.patch))
        return wl_fail(err, errlen, WL_ERR_ARG, "%s: image size %d is not a multiple of patch %d",
                       c.name, o->image, c.patch);
    if (c.fam == FAM_RESNET && o->image < 32)
        return wl_fail(err, errlen, WL_ERR_ARG, "%s: image size %d is below 32", c.name, o->image);
    if (wl_dtype_size(o->dtype) == 0)
        return wl_fail(err, errlen, WL_ERR_ARG, "no dtype given for %s", c.name);

    char gname[160];
    if (c.fam == FAM_GPT2 || c.fam == FAM_LLAMA)
        snprintf(gname, sizeof gname, "%s %s b%lld s%lld", c.name, decode ? "decode" : "prefill",
                 (long long)B, (long long)S);
    else
        snprintf(gname, sizeof gname, "%s b%lld", c.name, (long long)B);
    if (decode) {
        size_t l = strlen(gname);
        snprintf(gname + l, sizeof gname - l, " kv%lld", (long long)kv);
    }
    gb_t b = {.g = wl_graph_create(gname), .dt = o->dtype,
              .kv_cache = c.fam == FAM_GPT2 || c.fam == FAM_LLAMA};
    if (!b.g)
        return wl_fail(err, errlen, WL_ERR_NOMEM, "out of memory");
    switch (c.fam) {
    case FAM_GPT2: build_gpt2(&b, &c, B, S, kv); break;
    case FAM_LLAMA: build_llama(&b, &c, B, S, kv); break;
    case FAM_BERT: build_bert(&b, &c, B, S); break;
    case FAM_VIT: build_vit(&b, &c, B, o->image); break;
    case FAM_RESNET: b.rc = wl_build_resnet(b.g, c.depth, c.classes, o, err, errlen); break;
    }
    if (b.rc) {
        if (c.fam != FAM_RESNET)
            wl_fail(err, errlen, b.rc, "building %s: %s", c.name, wl_graph_errmsg(b.g));
        rc = b.rc;
        wl_graph_destroy(b.g);
        return rc;
    }
    *out = b.g;
    return WL_OK;
}
