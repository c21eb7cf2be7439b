/* workloads/gpt2_forward.c: GPT-2 inference in plain C (llm.c style), with
 * the semantics of Hugging Face's GPT2LMHeadModel (pre-LN blocks, causal
 * attention, gelu_new, tied lm_head). Hyperparameters come from config.json,
 * weights from model.safetensors; checked against PyTorch logits in
 * tests/check_forward.c. Every projection goes through a wl_executor_t. */
#include "workloads/wl_forward.h"
#include "workloads/wl_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GPT2_MAX_DIM (1 << 20) /* sanity bound on any config dimension */
#define PROJ_PER_LAYER 4

enum { P_ATTN = 0, P_ATTN_PROJ = 1, P_FC = 2, P_MLP_PROJ = 3 };
static const char *const proj_suffix[PROJ_PER_LAYER] = {
    "attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"};

typedef struct gpt2_layer {
    float *ln1_w, *ln1_b;
    float *w[PROJ_PER_LAYER], *b[PROJ_PER_LAYER]; /* W is [n_in][n_out] */
    float *ln2_w, *ln2_b;
} gpt2_layer_t;

struct wl_gpt2 {
    wl_gpt2_config_t cfg;
    float *wte;       /* [vocab][C] */
    float *wpe;       /* [n_ctx][C] */
    float *lnf_w, *lnf_b;
    float *lm_head;   /* [C][vocab]: wte (or lm_head.weight) transposed */
    gpt2_layer_t *layers;
    int n_proj;
    char (*proj_names)[40];
    char errmsg[512];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

#define M_ERR(m, ...) snprintf((m)->errmsg, sizeof (m)->errmsg, __VA_ARGS__)

const char *wl_gpt2_errmsg(const wl_gpt2_t *m)
{
    return m ? m->errmsg : "no model";
}

const wl_gpt2_config_t *wl_gpt2_config(const wl_gpt2_t *m)
{
    return m ? &m->cfg : NULL;
}

void wl_gpt2_free(wl_gpt2_t *m)
{
    if (!m)
        return;
    if (m->layers)
        for (int l = 0; l < m->cfg.n_layer; l++) {
            gpt2_layer_t *L = &m->layers[l];
            free(L->ln1_w);
            free(L->ln1_b);
            free(L->ln2_w);
            free(L->ln2_b);
            for (int p = 0; p < PROJ_PER_LAYER; p++) {
                free(L->w[p]);
                free(L->b[p]);
            }
        }
    free(m->layers);
    free(m->wte);
    free(m->wpe);
    free(m->lnf_w);
    free(m->lnf_b);
    free(m->lm_head);
    free(m->proj_names);
    free(m);
}

/* ---------------------------------------------------------------- config */

static char *read_text(const char *path, char *err, size_t errlen)
{
    unsigned char *buf = NULL;
    return wl_read_file(path, &buf, NULL, err, errlen) ? NULL : (char *)buf;
}

/* Reads integer field `key` (or its alias) into *out; absent -> dflt, or an
 * error when dflt < 0. */
static int cfg_int(const cJSON *root, const char *path, const char *key,
                   const char *alias, int dflt, int *out, char *err,
                   size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if ((!v || cJSON_IsNull(v)) && alias)
        v = cJSON_GetObjectItemCaseSensitive(root, alias);
    if (!v || cJSON_IsNull(v)) {
        if (dflt >= 0) {
            *out = dflt;
            return 0;
        }
        set_err(err, errlen, "%s: missing field '%s'", path, key);
        return WL_FWD_EFORMAT;
    }
    double d = v->valuedouble;
    if (!cJSON_IsNumber(v) || d != floor(d) || d < 1 || d > GPT2_MAX_DIM) {
        set_err(err, errlen, "%s: field '%s' must be an integer in 1..%d", path,
                key, GPT2_MAX_DIM);
        return WL_FWD_EFORMAT;
    }
    *out = (int)d;
    return 0;
}

static int cfg_bool(const cJSON *root, const char *key, int dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

static int parse_config(const char *path, wl_gpt2_config_t *c, int *tied,
                        char *err, size_t errlen)
{
    char *text = read_text(path, err, errlen);
    if (!text)
        return WL_FWD_EIO;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        set_err(err, errlen, "%s: not a JSON object", path);
        return WL_FWD_EFORMAT;
    }
    int rc = 0;
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    if (cJSON_IsString(mt) && strcmp(mt->valuestring, "gpt2") != 0) {
        set_err(err, errlen, "%s: model_type '%s' is not gpt2", path,
                mt->valuestring);
        rc = WL_FWD_EFORMAT;
    }
    if (!rc)
        rc = cfg_int(root, path, "n_layer", NULL, -1, &c->n_layer, err, errlen);
    if (!rc)
        rc = cfg_int(root, path, "n_head", NULL, -1, &c->n_head, err, errlen);
    if (!rc)
        rc = cfg_int(root, path, "n_embd", NULL, -1, &c->n_embd, err, errlen);
    if (!rc)
        rc = cfg_int(root, path, "n_positions", "n_ctx", -1, &c->n_ctx, err,
                     errlen);
    if (!rc)
        rc = cfg_int(root, path, "vocab_size", NULL, -1, &c->vocab_size, err,
                     errlen);
    if (!rc)
        rc = cfg_int(root, path, "n_inner", NULL, 0, &c->n_inner, err, errlen);
    if (!rc && c->n_inner == 0)
        c->n_inner = 4 * c->n_embd; /* HF: n_inner null means 4 * n_embd */
    if (!rc && c->n_embd % c->n_head != 0) {
        set_err(err, errlen, "%s: n_embd %d is not a multiple of n_head %d",
                path, c->n_embd, c->n_head);
        rc = WL_FWD_EFORMAT;
    }
    if (!rc) {
        const cJSON *eps =
            cJSON_GetObjectItemCaseSensitive(root, "layer_norm_epsilon");
        c->ln_eps = 1e-5; /* HF default */
        if (eps && !(cJSON_IsNumber(eps) && eps->valuedouble > 0)) {
            set_err(err, errlen, "%s: layer_norm_epsilon must be a positive number",
                    path);
            rc = WL_FWD_EFORMAT;
        } else if (eps)
            c->ln_eps = eps->valuedouble;
    }
    if (!rc) {
        const cJSON *act =
            cJSON_GetObjectItemCaseSensitive(root, "activation_function");
        const char *a = cJSON_IsString(act) ? act->valuestring : "gelu_new";
        if (!strcmp(a, "gelu_new") || !strcmp(a, "gelu_pytorch_tanh") ||
            !strcmp(a, "gelu_fast"))
            c->act = WL_ACT_GELU_TANH;
        else if (!strcmp(a, "gelu"))
            c->act = WL_ACT_GELU_ERF;
        else if (!strcmp(a, "relu"))
            c->act = WL_ACT_RELU;
        else {
            set_err(err, errlen, "%s: activation_function '%s' is not supported "
                    "(gelu_new, gelu_pytorch_tanh, gelu_fast, gelu, relu)",
                    path, a);
            rc = WL_FWD_EFORMAT;
        }
    }
    c->scale_attn_weights = cfg_bool(root, "scale_attn_weights", 1);
    c->scale_attn_by_inverse_layer_idx =
        cfg_bool(root, "scale_attn_by_inverse_layer_idx", 0);
    *tied = cfg_bool(root, "tie_word_embeddings", 1);
    cJSON_Delete(root);
    return rc;
}

/* --------------------------------------------------------------- weights */

/* Loads tensor prefix+name, checking it has exactly the given shape. */
static float *load_tensor(wl_st_t *st, const char *prefix, const char *name,
                          int ndim, uint64_t d0, uint64_t d1, char *err,
                          size_t errlen)
{
    char full[160];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    const wl_st_tensor_t *t = wl_st_find(st, full);
    if (!t) {
        set_err(err, errlen, "model.safetensors: missing tensor '%s'", full);
        return NULL;
    }
    int ok = t->ndim == ndim && t->shape[0] == d0 && (ndim < 2 || t->shape[1] == d1);
    if (!ok) {
        char got[96] = "", exp[64];
        size_t k = 0;
        for (int i = 0; i < t->ndim && k < sizeof got - 24; i++)
            k += (size_t)snprintf(got + k, sizeof got - k, "%s%llu", i ? "," : "",
                                  (unsigned long long)t->shape[i]);
        if (ndim == 1)
            snprintf(exp, sizeof exp, "%llu", (unsigned long long)d0);
        else
            snprintf(exp, sizeof exp, "%llu,%llu", (unsigned long long)d0,
                     (unsigned long long)d1);
        set_err(err, errlen,
                "model.safetensors: tensor '%s' has shape [%s], config.json "
                "implies [%s]",
                full, got, exp);
        return NULL;
    }
    float *v = wl_st_load_f32(st, full, NULL);
    if (!v)
        set_err(err, errlen, "%s", wl_st_errmsg(st));
    return v;
}

static int load_weights(wl_gpt2_t *m, wl_st_t *st, int tied, char *err,
                        size_t errlen)
{
    const wl_gpt2_config_t *c = &m->cfg;
    uint64_t C = (uint64_t)c->n_embd, V = (uint64_t)c->vocab_size;
    uint64_t F = (uint64_t)c->n_inner, T = (uint64_t)c->n_ctx;
    const char *pre = "transformer.";
    if (!wl_st_find(st, "transformer.wte.weight") && wl_st_find(st, "wte.weight"))
        pre = ""; /* checkpoints saved from GPT2Model lack the prefix */

    if (!(m->wte = load_tensor(st, pre, "wte.weight", 2, V, C, err, errlen)) ||
        !(m->wpe = load_tensor(st, pre, "wpe.weight", 2, T, C, err, errlen)) ||
        !(m->lnf_w = load_tensor(st, pre, "ln_f.weight", 1, C, 0, err, errlen)) ||
        !(m->lnf_b = load_tensor(st, pre, "ln_f.bias", 1, C, 0, err, errlen)))
        return WL_FWD_EFORMAT;

    const uint64_t n_in[PROJ_PER_LAYER] = {C, C, C, F};
    const uint64_t n_out[PROJ_PER_LAYER] = {3 * C, C, F, C};
    for (int l = 0; l < c->n_layer; l++) {
        gpt2_layer_t *L = &m->layers[l];
        char nm[96];
#define LOAD(dst, suffix, nd, a, b)                                          \
    do {                                                                     \
        snprintf(nm, sizeof nm, "h.%d.%s", l, suffix);                       \
        if (!((dst) = load_tensor(st, pre, nm, nd, a, b, err, errlen)))      \
            return WL_FWD_EFORMAT;                                           \
    } while (0)
        LOAD(L->ln1_w, "ln_1.weight", 1, C, 0);
        LOAD(L->ln1_b, "ln_1.bias", 1, C, 0);
        LOAD(L->ln2_w, "ln_2.weight", 1, C, 0);
        LOAD(L->ln2_b, "ln_2.bias", 1, C, 0);
        for (int p = 0; p < PROJ_PER_LAYER; p++) {
            char sfx[64];
            snprintf(sfx, sizeof sfx, "%s.weight", proj_suffix[p]);
            LOAD(L->w[p], sfx, 2, n_in[p], n_out[p]);
            snprintf(sfx, sizeof sfx, "%s.bias", proj_suffix[p]);
            LOAD(L->b[p], sfx, 1, n_out[p], 0);
        }
#undef LOAD
    }

    /* lm_head: its own [vocab][C] weight if stored, else tied to wte. */
    const float *head = m->wte;
    float *own = NULL;
    if (wl_st_find(st, "lm_head.weight")) {
        if (!(own = load_tensor(st, "", "lm_head.weight", 2, V, C, err, errlen)))
            return WL_FWD_EFORMAT;
        head = own;
    } else if (!tied) {
        set_err(err, errlen, "model.safetensors: no 'lm_head.weight' and "
                "config.json says tie_word_embeddings is false");
        return WL_FWD_EFORMAT;
    }
    m->lm_head = malloc(C * V * sizeof(float));
    if (!m->lm_head) {
        free(own);
        set_err(err, errlen, "out of memory for lm_head");
        return WL_FWD_ENOMEM;
    }
    for (uint64_t v = 0; v < V; v++)
        for (uint64_t i = 0; i < C; i++)
            m->lm_head[i * V + v] = head[v * C + i];
    free(own);
    return 0;
}

wl_gpt2_t *wl_gpt2_load(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    wl_gpt2_t *m = calloc(1, sizeof *m);
    if (!m) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    int tied = 1;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (parse_config(path, &m->cfg, &tied, err, errlen) != 0) {
        wl_gpt2_free(m);
        return NULL;
    }
    const wl_gpt2_config_t *c = &m->cfg;
    /* keep every buffer size comfortably inside int and size_t */
    if ((uint64_t)c->n_ctx * (uint64_t)(c->n_inner > c->vocab_size ? c->n_inner : c->vocab_size) > (1u << 30) ||
        (uint64_t)c->n_embd * (uint64_t)c->n_inner > (1u << 30) ||
        (uint64_t)c->n_layer * PROJ_PER_LAYER + 1 > (1u << 20)) {
        set_err(err, errlen, "%s: dimensions too large", path);
        wl_gpt2_free(m);
        return NULL;
    }
    m->layers = calloc((size_t)c->n_layer, sizeof *m->layers);
    m->n_proj = c->n_layer * PROJ_PER_LAYER + 1;
    m->proj_names = calloc((size_t)m->n_proj, sizeof *m->proj_names);
    if (!m->layers || !m->proj_names) {
        set_err(err, errlen, "out of memory");
        wl_gpt2_free(m);
        return NULL;
    }
    for (int l = 0; l < c->n_layer; l++)
        for (int p = 0; p < PROJ_PER_LAYER; p++)
            snprintf(m->proj_names[l * PROJ_PER_LAYER + p],
                     sizeof m->proj_names[0], "h.%d.%s", l, proj_suffix[p]);
    snprintf(m->proj_names[m->n_proj - 1], sizeof m->proj_names[0], "lm_head");

    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    wl_st_t *st = NULL;
    if (wl_st_open(path, &st, err, errlen) != 0) {
        wl_gpt2_free(m);
        return NULL;
    }
    char werr[512];
    if (load_weights(m, st, tied, werr, sizeof werr) != 0) {
        /* name the directory too: messages say model.safetensors */
        set_err(err, errlen, "%s/%s", dir, werr);
        wl_st_close(st);
        wl_gpt2_free(m);
        return NULL;
    }
    wl_st_close(st);
    return m;
}

/* ----------------------------------------------------------- projections */

int wl_gpt2_n_proj(const wl_gpt2_t *m) { return m ? m->n_proj : 0; }

int wl_gpt2_proj_index(const wl_gpt2_t *m, const char *name)
{
    if (!m || !name)
        return WL_FWD_ENOTFOUND;
    if (strncmp(name, "transformer.", 12) == 0)
        name += 12;
    for (int i = 0; i < m->n_proj; i++)
        if (strcmp(m->proj_names[i], name) == 0)
            return i;
    return WL_FWD_ENOTFOUND;
}

int wl_gpt2_proj(const wl_gpt2_t *m, int i, wl_proj_t *out)
{
    if (!m || i < 0 || i >= m->n_proj)
        return WL_FWD_EINVAL;
    const wl_gpt2_config_t *c = &m->cfg;
    out->name = m->proj_names[i];
    out->index = i;
    if (i == m->n_proj - 1) {
        out->layer = -1;
        out->n_in = c->n_embd;
        out->n_out = c->vocab_size;
        out->W = m->lm_head;
        out->bias = NULL;
        return 0;
    }
    int l = i / PROJ_PER_LAYER, p = i % PROJ_PER_LAYER;
    const int n_in[PROJ_PER_LAYER] = {c->n_embd, c->n_embd, c->n_embd, c->n_inner};
    const int n_out[PROJ_PER_LAYER] = {3 * c->n_embd, c->n_embd, c->n_inner,
                                       c->n_embd};
    out->layer = l;
    out->n_in = n_in[p];
    out->n_out = n_out[p];
    out->W = m->layers[l].w[p];
    out->bias = m->layers[l].b[p];
    return 0;
}

int wl_gpt2_ir_spec(const wl_gpt2_t *m, char *buf, size_t len)
{
    if (!m || !buf)
        return WL_FWD_EINVAL;
    const wl_gpt2_config_t *c = &m->cfg;
    int n = snprintf(buf, len,
                     "gpt2:hidden=%d,layers=%d,heads=%d,ffn=%d,vocab=%d,"
                     "max_pos=%d,tied=1",
                     c->n_embd, c->n_layer, c->n_head, c->n_inner,
                     c->vocab_size, c->n_ctx);
    return (n < 0 || (size_t)n >= len) ? WL_FWD_EINVAL : n;
}

/* One output row, scalar: y = bias, then y[o] += x[i] * W[i][o] for i in
 * order. The blocked kernel below performs the same operations in the same
 * order per output, so both give bit-identical results. */
static void gemm_row(const wl_proj_t *p, const float *xr, float *yr, int o0)
{
    const int n_in = p->n_in, n_out = p->n_out;
    for (int o = o0; o < n_out; o++)
        yr[o] = p->bias ? p->bias[o] : 0.0f;
    for (int i = 0; i < n_in; i++) {
        const float xi = xr[i];
        const float *wi = p->W + (size_t)i * n_out;
        for (int o = o0; o < n_out; o++)
            yr[o] += xi * wi[o];
    }
}

#if defined(__GNUC__)
/* 4 rows x 8 outputs at a time in GCC/Clang vector registers: -O2 does not
 * auto-vectorize loops, and this keeps the 16x128-token eval near 1 s. */
typedef float v4f __attribute__((vector_size(16)));
static inline v4f v4_load(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void v4_store(float *p, v4f v) { memcpy(p, &v, sizeof v); }
static inline v4f v4_splat(float f) { return (v4f){f, f, f, f}; }

/* rows r0..r0+3, outputs 0..n_out rounded down to 8; returns that bound */
static int gemm_block4(const wl_proj_t *p, const float *x, float *y)
{
    const int n_in = p->n_in, n_out = p->n_out, o_end = n_out & ~7;
    const float *x0 = x, *x1 = x + n_in, *x2 = x + 2 * (size_t)n_in,
                *x3 = x + 3 * (size_t)n_in;
    for (int o = 0; o < o_end; o += 8) {
        v4f b0 = v4_splat(0), b1 = v4_splat(0);
        if (p->bias) {
            b0 = v4_load(p->bias + o);
            b1 = v4_load(p->bias + o + 4);
        }
        v4f a00 = b0, a01 = b1, a10 = b0, a11 = b1;
        v4f a20 = b0, a21 = b1, a30 = b0, a31 = b1;
        const float *w = p->W + o;
        for (int i = 0; i < n_in; i++, w += n_out) {
            const v4f w0 = v4_load(w), w1 = v4_load(w + 4);
            const v4f s0 = v4_splat(x0[i]), s1 = v4_splat(x1[i]);
            const v4f s2 = v4_splat(x2[i]), s3 = v4_splat(x3[i]);
            a00 += s0 * w0;
            a01 += s0 * w1;
            a10 += s1 * w0;
            a11 += s1 * w1;
            a20 += s2 * w0;
            a21 += s2 * w1;
            a30 += s3 * w0;
            a31 += s3 * w1;
        }
        float *y0 = y + o, *y1 = y0 + n_out, *y2 = y1 + n_out, *y3 = y2 + n_out;
        v4_store(y0, a00);
        v4_store(y0 + 4, a01);
        v4_store(y1, a10);
        v4_store(y1 + 4, a11);
        v4_store(y2, a20);
        v4_store(y2 + 4, a21);
        v4_store(y3, a30);
        v4_store(y3 + 4, a31);
    }
    return o_end;
}
#endif

int wl_exec_exact(void *ctx, const wl_proj_t *proj, const float *x, int n_rows,
                  float *y)
{
    (void)ctx;
    const size_t n_in = (size_t)proj->n_in, n_out = (size_t)proj->n_out;
    int r = 0;
#if defined(__GNUC__)
    for (; r + 4 <= n_rows; r += 4) {
        int o0 = gemm_block4(proj, x + r * n_in, y + r * n_out);
        for (int k = 0; k < 4 && o0 < proj->n_out; k++)
            gemm_row(proj, x + (r + k) * n_in, y + (r + k) * n_out, o0);
    }
#endif
    for (; r < n_rows; r++)
        gemm_row(proj, x + r * n_in, y + r * n_out, 0);
    return 0;
}

wl_executor_t wl_executor_exact(void)
{
    wl_executor_t e = {NULL, wl_exec_exact};
    return e;
}

/* ---------------------------------------------------------- forward pass */

/* out[t] = (x[t] - mean) / sqrt(var + eps) * w + b, biased variance. */
static void layernorm(float *out, const float *x, const float *w,
                      const float *b, int T, int C, double eps)
{
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * C;
        float *ot = out + (size_t)t * C;
        double mean = 0, var = 0;
        for (int i = 0; i < C; i++)
            mean += xt[i];
        mean /= C;
        for (int i = 0; i < C; i++)
            var += (xt[i] - mean) * (xt[i] - mean);
        var /= C;
        float rstd = (float)(1.0 / sqrt(var + eps));
        for (int i = 0; i < C; i++)
            ot[i] = ((float)(xt[i] - mean) * rstd) * w[i] + b[i];
    }
}

static void activation(float *x, size_t n, wl_act_t act)
{
    const float k = 0.7978845608028654f; /* sqrt(2 / pi) */
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        switch (act) {
        case WL_ACT_GELU_TANH:
            x[i] = 0.5f * v * (1.0f + tanhf(k * (v + 0.044715f * v * v * v)));
            break;
        case WL_ACT_GELU_ERF:
            x[i] = 0.5f * v * (1.0f + erff(v * 0.7071067811865476f));
            break;
        case WL_ACT_RELU:
            x[i] = v > 0 ? v : 0;
            break;
        }
    }
}

/* Causal multi-head attention: qkv[T][3C] (q | k | v) -> out[T][C]. */
static void attention(float *out, const float *qkv, float *scores, int T, int C,
                      int NH, float divisor)
{
    const int hs = C / NH;
    for (int t = 0; t < T; t++) {
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)t * 3 * C + h * hs;
            float maxv = -INFINITY;
            for (int t2 = 0; t2 <= t; t2++) {
                const float *k = qkv + (size_t)t2 * 3 * C + C + h * hs;
                float s = 0;
                for (int i = 0; i < hs; i++)
                    s += q[i] * k[i];
                s /= divisor;
                scores[t2] = s;
                if (s > maxv)
                    maxv = s;
            }
            float sum = 0;
            for (int t2 = 0; t2 <= t; t2++) {
                scores[t2] = expf(scores[t2] - maxv);
                sum += scores[t2];
            }
            float inv = 1.0f / sum;
            float *o = out + (size_t)t * C + h * hs;
            for (int i = 0; i < hs; i++)
                o[i] = 0;
            for (int t2 = 0; t2 <= t; t2++) {
                const float *v = qkv + (size_t)t2 * 3 * C + 2 * C + h * hs;
                float a = scores[t2] * inv;
                for (int i = 0; i < hs; i++)
                    o[i] += a * v[i];
            }
        }
    }
}

static int run_proj(wl_gpt2_t *m, const wl_executor_t *exec, int index,
                    const float *x, int T, float *y)
{
    wl_proj_t p;
    wl_gpt2_proj(m, index, &p);
    int rc = exec->gemm(exec->ctx, &p, x, T, y);
    if (rc != 0) {
        M_ERR(m, "executor failed on projection %s (code %d)", p.name, rc);
        return WL_FWD_EEXEC;
    }
    return 0;
}

int wl_gpt2_forward(wl_gpt2_t *m, const int *tokens, int n_tokens,
                    float *logits, const wl_executor_t *exec)
{
    if (!m || !tokens || !logits)
        return WL_FWD_EINVAL;
    const wl_gpt2_config_t *c = &m->cfg;
    const int T = n_tokens, C = c->n_embd, F = c->n_inner, V = c->vocab_size;
    if (T < 1 || T > c->n_ctx) {
        M_ERR(m, "sequence of %d tokens: must be 1..%d (n_positions)", T,
              c->n_ctx);
        return WL_FWD_EINVAL;
    }
    for (int t = 0; t < T; t++)
        if (tokens[t] < 0 || tokens[t] >= V) {
            M_ERR(m, "token %d at position %d is outside the vocabulary 0..%d",
                  tokens[t], t, V - 1);
            return WL_FWD_EINVAL;
        }
    wl_executor_t exact = wl_executor_exact();
    if (!exec)
        exec = &exact;
    if (!exec->gemm) {
        M_ERR(m, "executor has no gemm function");
        return WL_FWD_EINVAL;
    }

    size_t TC = (size_t)T * C;
    float *x = malloc(TC * sizeof *x);            /* residual stream */
    float *h = malloc(TC * sizeof *h);            /* layernorm output */
    float *a = malloc(TC * sizeof *a);            /* attention output */
    float *qkv = malloc(3 * TC * sizeof *qkv);
    float *fc = malloc((size_t)T * F * sizeof *fc);
    float *scores = malloc((size_t)T * sizeof *scores);
    int rc = 0;
    if (!x || !h || !a || !qkv || !fc || !scores) {
        M_ERR(m, "out of memory for a %d-token forward pass", T);
        rc = WL_FWD_ENOMEM;
        goto done;
    }

    for (int t = 0; t < T; t++)
        for (int i = 0; i < C; i++)
            x[(size_t)t * C + i] = m->wte[(size_t)tokens[t] * C + i] +
                                   m->wpe[(size_t)t * C + i];

    for (int l = 0; l < c->n_layer && !rc; l++) {
        const gpt2_layer_t *L = &m->layers[l];
        int base = l * PROJ_PER_LAYER;
        /* HF divides the scores by sqrt(head size), then by layer + 1 */
        float divisor = 1.0f;
        if (c->scale_attn_weights)
            divisor = sqrtf((float)(C / c->n_head));
        if (c->scale_attn_by_inverse_layer_idx)
            divisor *= (float)(l + 1);

        layernorm(h, x, L->ln1_w, L->ln1_b, T, C, c->ln_eps);
        if ((rc = run_proj(m, exec, base + P_ATTN, h, T, qkv)))
            break;
        attention(a, qkv, scores, T, C, c->n_head, divisor);
        if ((rc = run_proj(m, exec, base + P_ATTN_PROJ, a, T, h)))
            break;
        for (size_t i = 0; i < TC; i++)
            x[i] += h[i];

        layernorm(h, x, L->ln2_w, L->ln2_b, T, C, c->ln_eps);
        if ((rc = run_proj(m, exec, base + P_FC, h, T, fc)))
            break;
        activation(fc, (size_t)T * F, c->act);
        if ((rc = run_proj(m, exec, base + P_MLP_PROJ, fc, T, h)))
            break;
        for (size_t i = 0; i < TC; i++)
            x[i] += h[i];
    }
    if (!rc) {
        layernorm(h, x, m->lnf_w, m->lnf_b, T, C, c->ln_eps);
        rc = run_proj(m, exec, m->n_proj - 1, h, T, logits);
    }
done:
    free(x);
    free(h);
    free(a);
    free(qkv);
    free(fc);
    free(scores);
    return rc;
}

/* ------------------------------------------------------------ evaluation */

int wl_gpt2_eval(wl_gpt2_t *m, const uint8_t *tokens, const uint8_t *targets,
                 int rows, int cols, const wl_executor_t *exec,
                 double *mean_ce)
{
    if (!m || !tokens || !targets || !mean_ce)
        return WL_FWD_EINVAL;
    const int V = m->cfg.vocab_size;
    if (rows < 1 || cols < 1 || cols > m->cfg.n_ctx) {
        M_ERR(m, "eval of %d rows x %d columns: need rows >= 1 and 1 <= "
              "columns <= %d", rows, cols, m->cfg.n_ctx);
        return WL_FWD_EINVAL;
    }
    int *ids = malloc((size_t)cols * sizeof *ids);
    float *logits = malloc((size_t)cols * V * sizeof *logits);
    if (!ids || !logits) {
        free(ids);
        free(logits);
        M_ERR(m, "out of memory for eval");
        return WL_FWD_ENOMEM;
    }
    double total = 0;
    int rc = 0;
    for (int r = 0; r < rows && !rc; r++) {
        for (int t = 0; t < cols; t++)
            ids[t] = tokens[(size_t)r * cols + t];
        if ((rc = wl_gpt2_forward(m, ids, cols, logits, exec)))
            break;
        for (int t = 0; t < cols; t++) {
            int tgt = targets[(size_t)r * cols + t];
            if (tgt >= V) {
                M_ERR(m, "target %d at row %d position %d is outside the "
                      "vocabulary 0..%d", tgt, r, t, V - 1);
                rc = WL_FWD_EINVAL;
                break;
            }
            const float *lt = logits + (size_t)t * V;
            float maxv = lt[0];
            for (int v = 1; v < V; v++)
                if (lt[v] > maxv)
                    maxv = lt[v];
            double sum = 0;
            for (int v = 0; v < V; v++)
                sum += exp((double)lt[v] - maxv);
            total += log(sum) + maxv - lt[tgt];
        }
    }
    free(ids);
    free(logits);
    if (!rc)
        *mean_ce = total / ((double)rows * cols);
    return rc;
}

static uint8_t *read_bytes(wl_gpt2_t *m, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        M_ERR(m, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    long sz = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        sz = ftell(f);
    if (sz < 0 || fseek(f, 0, SEEK_SET) != 0) {
        M_ERR(m, "%s: cannot determine file size", path);
    } else if (!(buf = malloc(sz ? (size_t)sz : 1))) {
        M_ERR(m, "%s: out of memory", path);
    } else if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        M_ERR(m, "%s: short read", path);
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        *len = (size_t)sz;
    return buf;
}

int wl_gpt2_eval_files(wl_gpt2_t *m, const char *tokens_path,
                       const char *targets_path, int rows, int cols,
                       const wl_executor_t *exec, double *mean_ce,
                       int *rows_done)
{
    if (!m || !tokens_path || !targets_path || !mean_ce)
        return WL_FWD_EINVAL;
    if (cols < 1) {
        M_ERR(m, "eval columns must be >= 1 (got %d)", cols);
        return WL_FWD_EINVAL;
    }
    size_t ntok = 0, ntgt = 0;
    uint8_t *tok = read_bytes(m, tokens_path, &ntok);
    if (!tok)
        return WL_FWD_EIO;
    uint8_t *tgt = read_bytes(m, targets_path, &ntgt);
    if (!tgt) {
        free(tok);
        return WL_FWD_EIO;
    }
    int rc = 0;
    size_t have = ntok / (size_t)cols;
    if (ntok == 0 || ntok % (size_t)cols != 0) {
        M_ERR(m, "%s: %zu bytes is not a whole number of %d-token rows",
              tokens_path, ntok, cols);
        rc = WL_FWD_EFORMAT;
    } else if (ntgt != ntok) {
        M_ERR(m, "%s: %zu bytes but %s has %zu", targets_path, ntgt,
              tokens_path, ntok);
        rc = WL_FWD_EFORMAT;
    } else if (rows < 0 || (size_t)rows > have) {
        M_ERR(m, "%s: asked for %d rows, the file holds %zu", tokens_path, rows,
              have);
        rc = WL_FWD_EINVAL;
    } else {
        if (rows == 0)
            rows = have > (size_t)1 << 20 ? 1 << 20 : (int)have;
        rc = wl_gpt2_eval(m, tok, tgt, rows, cols, exec, mean_ce);
        if (!rc && rows_done)
            *rows_done = rows;
    }
    free(tok);
    free(tgt);
    return rc;
}

float *wl_read_f32_file(const char *path, size_t *count, char *err,
                        size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    long sz = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        sz = ftell(f);
    float *v = NULL;
    if (sz < 0 || fseek(f, 0, SEEK_SET) != 0) {
        set_err(err, errlen, "%s: cannot determine file size", path);
    } else if (sz % 4 != 0 || sz == 0) {
        set_err(err, errlen, "%s: %ld bytes is not a whole number of float32",
                path, sz);
    } else {
        size_t n = (size_t)sz / 4;
        uint8_t *raw = malloc((size_t)sz);
        v = malloc(n * sizeof *v);
        if (!raw || !v || fread(raw, 1, (size_t)sz, f) != (size_t)sz) {
            set_err(err, errlen, "%s: %s", path,
                    (!raw || !v) ? "out of memory" : "short read");
            free(v);
            v = NULL;
        } else {
            for (size_t i = 0; i < n; i++) {
                uint32_t bits = (uint32_t)raw[4 * i] |
                                (uint32_t)raw[4 * i + 1] << 8 |
                                (uint32_t)raw[4 * i + 2] << 16 |
                                (uint32_t)raw[4 * i + 3] << 24;
                memcpy(&v[i], &bits, sizeof bits);
            }
            *count = n;
        }
        free(raw);
    }
    fclose(f);
    return v;
}
