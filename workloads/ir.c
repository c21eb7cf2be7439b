/* The workload IR: tensors, ops and the graph that holds them, validated as
 * it is built (every op is appended only after its inputs exist, so the op
 * list is a topological order). Costs: macs = count*m*k*n for GEMM-like ops,
 * bytes = numel * dtype size; see docs/workloads.md for the conventions. */
#include "workloads/wl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wl_graph {
    char *name;
    char *source;
    char errmsg[512];
    wl_tensor_t **tensors;
    unsigned char *produced; /* per tensor: 1 once available (input/weight/op output) */
    size_t n_tensors, cap_tensors;
    uint32_t *thash; /* open addressing, index+1, 0 empty */
    size_t thash_cap;
    wl_op_t **ops;
    size_t n_ops, cap_ops;
    uint32_t *ohash;
    size_t ohash_cap;
};

/* ---- small helpers ---------------------------------------------------------- */
int wl_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

int wl_graph_fail(wl_graph_t *g, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->errmsg, sizeof g->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

wl_shape_t wl_shp(int rank, const int64_t *dims)
{
    wl_shape_t s;
    memset(&s, 0, sizeof s);
    s.rank = rank;
    for (int i = 0; i < rank && i < WL_MAX_RANK; i++)
        s.dim[i] = dims[i];
    return s;
}

static const struct {
    const char *name;
    size_t size;
} dtype_table[WL_DT_COUNT_] = {
    [WL_DT_UNKNOWN] = {"unknown", 0}, [WL_DT_F32] = {"f32", 4},  [WL_DT_F16] = {"f16", 2},
    [WL_DT_BF16] = {"bf16", 2},       [WL_DT_F64] = {"f64", 8},  [WL_DT_I8] = {"i8", 1},
    [WL_DT_U8] = {"u8", 1},           [WL_DT_I16] = {"i16", 2},  [WL_DT_I32] = {"i32", 4},
    [WL_DT_I64] = {"i64", 8},         [WL_DT_BOOL] = {"bool", 1},
};

size_t wl_dtype_size(wl_dtype_t dt)
{
    return (dt >= 0 && dt < WL_DT_COUNT_) ? dtype_table[dt].size : 0;
}

const char *wl_dtype_name(wl_dtype_t dt)
{
    return (dt >= 0 && dt < WL_DT_COUNT_) ? dtype_table[dt].name : "unknown";
}

int wl_dtype_parse(const char *s, wl_dtype_t *out)
{
    static const struct {
        const char *alias;
        wl_dtype_t dt;
    } aliases[] = {{"fp32", WL_DT_F32},  {"float32", WL_DT_F32}, {"fp16", WL_DT_F16},
                   {"float16", WL_DT_F16}, {"int8", WL_DT_I8},   {"fp64", WL_DT_F64}};
    for (int i = 1; i < WL_DT_COUNT_; i++)
        if (strcmp(s, dtype_table[i].name) == 0) {
            *out = (wl_dtype_t)i;
            return WL_OK;
        }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(s, aliases[i].alias) == 0) {
            *out = aliases[i].dt;
            return WL_OK;
        }
    return WL_ERR_ARG;
}

uint64_t wl_shape_numel(const wl_shape_t *s)
{
    uint64_t n = 1;
    for (int i = 0; i < s->rank; i++)
        n *= (uint64_t)(s->dim[i] < 0 ? 0 : s->dim[i]);
    return n;
}

char *wl_shape_str(const wl_shape_t *s, char *buf, size_t len)
{
    size_t off = 0;
    if (!len)
        return buf;
    buf[0] = 0;
    off += (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < s->rank && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%lld", i ? "," : "",
                                (long long)s->dim[i]);
    if (off < len)
        snprintf(buf + off, len - off, "]");
    return buf;
}

static const char *const kind_names[WL_OP_KIND_COUNT_] = {
    [WL_OP_MATMUL] = "matmul",         [WL_OP_CONV] = "conv",
    [WL_OP_ATTN_SCORE] = "attn_score", [WL_OP_ATTN_CONTEXT] = "attn_context",
    [WL_OP_SOFTMAX] = "softmax",       [WL_OP_LAYERNORM] = "layernorm",
    [WL_OP_RMSNORM] = "rmsnorm",       [WL_OP_BATCHNORM] = "batchnorm",
    [WL_OP_ACTIVATION] = "activation", [WL_OP_ELEMENTWISE] = "elementwise",
    [WL_OP_EMBEDDING] = "embedding",   [WL_OP_ROPE] = "rope",
    [WL_OP_POOL] = "pool",             [WL_OP_REDUCE] = "reduce",
    [WL_OP_COPY] = "copy",             [WL_OP_RESHAPE] = "reshape",
    [WL_OP_TRANSPOSE] = "transpose",
};

const char *wl_opkind_name(wl_opkind_t k)
{
    return (k >= 0 && k < WL_OP_KIND_COUNT_) ? kind_names[k] : "unknown";
}

int wl_opkind_is_gemm(wl_opkind_t k)
{
    return k == WL_OP_MATMUL || k == WL_OP_CONV || k == WL_OP_ATTN_SCORE ||
           k == WL_OP_ATTN_CONTEXT;
}

/* ---- hash of names ------------------------------------------------------------ */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

typedef const char *(*name_of_fn)(const wl_graph_t *g, uint32_t idx);
static const char *tensor_name_at(const wl_graph_t *g, uint32_t i) { return g->tensors[i]->name; }
static const char *op_name_at(const wl_graph_t *g, uint32_t i) { return g->ops[i]->name; }

/* Returns the slot for name: holding its index+1, or 0 if absent (then *slot
 * is where it would go). */
static uint32_t hash_find(const wl_graph_t *g, const uint32_t *tab, size_t cap, name_of_fn nf,
                          const char *name, size_t *slot)
{
    size_t mask = cap - 1, i = (size_t)hash_str(name) & mask;
    while (tab[i]) {
        if (strcmp(nf(g, tab[i] - 1), name) == 0) {
            *slot = i;
            return tab[i];
        }
        i = (i + 1) & mask;
    }
    *slot = i;
    return 0;
}

/* Grows a table to hold at least n entries at load <= 1/2. */
static int hash_grow(wl_graph_t *g, uint32_t **tab, size_t *cap, size_t n, name_of_fn nf)
{
    if (*cap >= 2 * (n + 1))
        return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < 2 * (n + 1))
        nc *= 2;
    uint32_t *nt = calloc(nc, sizeof *nt);
    if (!nt)
        return -1;
    for (size_t i = 0; i < *cap; i++)
        if ((*tab)[i]) {
            size_t j = (size_t)hash_str(nf(g, (*tab)[i] - 1)) & (nc - 1);
            while (nt[j])
                j = (j + 1) & (nc - 1);
            nt[j] = (*tab)[i];
        }
    free(*tab);
    *tab = nt;
    *cap = nc;
    return 0;
}

/* ---- graph ---------------------------------------------------------------------- */
wl_graph_t *wl_graph_create(const char *name)
{
    wl_graph_t *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->name = strdup(name ? name : "graph");
    if (!g->name) {
        free(g);
        return NULL;
    }
    return g;
}

void wl_graph_destroy(wl_graph_t *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_tensors; i++) {
        free((char *)g->tensors[i]->name);
        free(g->tensors[i]);
    }
    for (size_t i = 0; i < g->n_ops; i++) {
        wl_op_t *op = g->ops[i];
        free((char *)op->name);
        free((char *)op->detail);
        free((void *)op->inputs);
        free((void *)op->outputs);
        free(op);
    }
    free(g->tensors);
    free(g->produced);
    free(g->thash);
    free(g->ops);
    free(g->ohash);
    free(g->name);
    free(g->source);
    free(g);
}

const char *wl_graph_name(const wl_graph_t *g) { return g->name; }
const char *wl_graph_errmsg(const wl_graph_t *g) { return g ? g->errmsg : "no graph"; }
size_t wl_graph_op_count(const wl_graph_t *g) { return g ? g->n_ops : 0; }
const wl_op_t *wl_graph_op(const wl_graph_t *g, size_t i)
{
    return (g && i < g->n_ops) ? g->ops[i] : NULL;
}
size_t wl_graph_tensor_count(const wl_graph_t *g) { return g ? g->n_tensors : 0; }
const wl_tensor_t *wl_graph_tensor(const wl_graph_t *g, size_t i)
{
    return (g && i < g->n_tensors) ? g->tensors[i] : NULL;
}
const char *wl_graph_source(const wl_graph_t *g) { return g->source; }

int wl_graph_set_source(wl_graph_t *g, const char *path)
{
    free(g->source);
    g->source = strdup(path);
    return g->source ? WL_OK : WL_ERR_NOMEM;
}

const wl_tensor_t *wl_graph_find_tensor(const wl_graph_t *g, const char *name)
{
    size_t slot;
    if (!g || !g->thash_cap || !name)
        return NULL;
    uint32_t idx = hash_find(g, g->thash, g->thash_cap, tensor_name_at, name, &slot);
    return idx ? g->tensors[idx - 1] : NULL;
}

static int find_tensor_index(const wl_graph_t *g, const char *name)
{
    size_t slot;
    if (!g->thash_cap || !name)
        return -1;
    uint32_t idx = hash_find(g, g->thash, g->thash_cap, tensor_name_at, name, &slot);
    return (int)idx - 1;
}

int wl_graph_tensor_add_flags(wl_graph_t *g, const char *name, unsigned flags)
{
    int i = g ? find_tensor_index(g, name) : -1;
    if (i < 0)
        return wl_graph_fail(g, WL_ERR_NOTFOUND, "no tensor '%s'", name ? name : "");
    g->tensors[i]->flags |= flags;
    return 0;
}

const wl_tensor_t *wl_graph_add_tensor(wl_graph_t *g, const char *name, wl_dtype_t dt,
                                       const wl_shape_t *shape, unsigned flags)
{
    size_t slot;
    if (!name || !*name) {
        wl_graph_fail(g, WL_ERR_ARG, "a tensor has an empty name");
        return NULL;
    }
    if (shape->rank < 0 || shape->rank > WL_MAX_RANK) {
        wl_graph_fail(g, WL_ERR_UNSUPPORTED, "tensor '%s' has rank %d (at most %d supported)",
                      name, shape->rank, WL_MAX_RANK);
        return NULL;
    }
    for (int i = 0; i < shape->rank; i++)
        if (shape->dim[i] < 0) {
            wl_graph_fail(g, WL_ERR_ARG, "tensor '%s' has negative dimension %lld", name,
                          (long long)shape->dim[i]);
            return NULL;
        }
    if (hash_grow(g, &g->thash, &g->thash_cap, g->n_tensors + 1, tensor_name_at) < 0)
        goto nomem;
    if (hash_find(g, g->thash, g->thash_cap, tensor_name_at, name, &slot)) {
        wl_graph_fail(g, WL_ERR_ARG, "tensor '%s' is defined twice", name);
        return NULL;
    }
    if (g->n_tensors == g->cap_tensors) {
        size_t nc = g->cap_tensors ? 2 * g->cap_tensors : 64;
        wl_tensor_t **nt = realloc(g->tensors, nc * sizeof *nt);
        if (!nt)
            goto nomem;
        g->tensors = nt;
        unsigned char *np = realloc(g->produced, nc);
        if (!np)
            goto nomem;
        g->produced = np;
        g->cap_tensors = nc;
    }
    wl_tensor_t *t = calloc(1, sizeof *t);
    if (!t)
        goto nomem;
    t->name = strdup(name);
    if (!t->name) {
        free(t);
        goto nomem;
    }
    t->dtype = dt;
    t->shape = *shape;
    t->flags = flags;
    t->bytes = wl_shape_numel(shape) * wl_dtype_size(dt);
    g->tensors[g->n_tensors] = t;
    g->produced[g->n_tensors] = (flags & (WL_T_INPUT | WL_T_WEIGHT | WL_T_CONST)) ? 1 : 0;
    g->thash[slot] = (uint32_t)(++g->n_tensors);
    return t;
nomem:
    wl_graph_fail(g, WL_ERR_NOMEM, "out of memory adding tensor '%s'", name);
    return NULL;
}

int wl_graph_add_op(wl_graph_t *g, const wl_op_spec_t *sp)
{
    size_t slot;
    const char *nm = sp->name ? sp->name : "";
    if (!*nm)
        return wl_graph_fail(g, WL_ERR_ARG, "an op has an empty name");
    if (sp->kind < 0 || sp->kind >= WL_OP_KIND_COUNT_)
        return wl_graph_fail(g, WL_ERR_ARG, "op '%s' has an unknown kind %d", nm, (int)sp->kind);
    if (sp->n_outputs == 0)
        return wl_graph_fail(g, WL_ERR_ARG, "op '%s' has no output", nm);
    if (g->n_ops >= WL_GRAPH_MAX_OPS)
        return wl_graph_fail(g, WL_ERR_ARG, "the graph has more than %d ops (at op '%s')",
                             WL_GRAPH_MAX_OPS, nm);
    if (hash_grow(g, &g->ohash, &g->ohash_cap, g->n_ops + 1, op_name_at) < 0)
        return wl_graph_fail(g, WL_ERR_NOMEM, "out of memory adding op '%s'", nm);
    if (hash_find(g, g->ohash, g->ohash_cap, op_name_at, nm, &slot))
        return wl_graph_fail(g, WL_ERR_ARG, "op name '%s' is used twice", nm);

    int gemm = wl_opkind_is_gemm(sp->kind);
    uint64_t count = sp->count ? sp->count : 1;
    if (gemm && (!sp->m || !sp->k || !sp->n))
        return wl_graph_fail(g, WL_ERR_ARG, "op '%s' (%s) needs m, k, n > 0 (got %llu, %llu, %llu)",
                             nm, wl_opkind_name(sp->kind), (unsigned long long)sp->m,
                             (unsigned long long)sp->k, (unsigned long long)sp->n);

    /* resolve and check tensors before allocating anything */
    int *in_idx = calloc(sp->n_inputs + 1, sizeof *in_idx);
    int *out_idx = calloc(sp->n_outputs, sizeof *out_idx);
    if (!in_idx || !out_idx) {
        free(in_idx);
        free(out_idx);
        return wl_graph_fail(g, WL_ERR_NOMEM, "out of memory adding op '%s'", nm);
    }
    int rc = WL_OK;
    for (size_t i = 0; i < sp->n_inputs && rc == WL_OK; i++) {
        in_idx[i] = find_tensor_index(g, sp->inputs[i]);
        if (in_idx[i] < 0)
            rc = wl_graph_fail(g, WL_ERR_ARG, "op '%s' reads tensor '%s', which does not exist",
                               nm, sp->inputs[i] ? sp->inputs[i] : "(null)");
        else if (!g->produced[in_idx[i]])
            rc = wl_graph_fail(g, WL_ERR_ARG,
                               "op '%s' reads tensor '%s' before any op produces it "
                               "(ops must come in topological order)",
                               nm, sp->inputs[i]);
    }
    for (size_t i = 0; i < sp->n_outputs && rc == WL_OK; i++) {
        out_idx[i] = find_tensor_index(g, sp->outputs[i]);
        if (out_idx[i] < 0)
            rc = wl_graph_fail(g, WL_ERR_ARG, "op '%s' writes tensor '%s', which does not exist",
                               nm, sp->outputs[i] ? sp->outputs[i] : "(null)");
        else if (g->produced[out_idx[i]])
            rc = wl_graph_fail(g, WL_ERR_ARG, "op '%s' writes tensor '%s', which is already %s",
                               nm, sp->outputs[i],
                               (g->tensors[out_idx[i]]->flags & (WL_T_INPUT | WL_T_WEIGHT | WL_T_CONST))
                                   ? "a graph input, weight or constant"
                                   : "produced by an earlier op");
        for (size_t j = 0; j < i && rc == WL_OK; j++)
            if (out_idx[j] == out_idx[i])
                rc = wl_graph_fail(g, WL_ERR_ARG, "op '%s' writes tensor '%s' twice", nm,
                                   sp->outputs[i]);
    }
    const wl_tensor_t *wt = NULL, *bt = NULL;
    for (int which = 0; which < 2 && rc == WL_OK; which++) {
        const char *want = which ? sp->bias : sp->weight;
        if (!want)
            continue;
        const wl_tensor_t *found = NULL;
        for (size_t i = 0; i < sp->n_inputs; i++)
            if (strcmp(g->tensors[in_idx[i]]->name, want) == 0)
                found = g->tensors[in_idx[i]];
        if (!found)
            rc = wl_graph_fail(g, WL_ERR_ARG, "op '%s': %s '%s' is not one of its inputs", nm,
                               which ? "bias" : "weight", want);
        else if (which)
            bt = found;
        else
            wt = found;
    }
    if (rc == WL_OK && gemm) {
        uint64_t out_numel = wl_shape_numel(&g->tensors[out_idx[0]]->shape);
        if (out_numel != count * sp->m * sp->n)
            rc = wl_graph_fail(g, WL_ERR_ARG,
                               "op '%s' (%s): output '%s' holds %llu elements but count*m*n = "
                               "%llu*%llu*%llu",
                               nm, wl_opkind_name(sp->kind), sp->outputs[0],
                               (unsigned long long)out_numel, (unsigned long long)count,
                               (unsigned long long)sp->m, (unsigned long long)sp->n);
    }
    if (rc != WL_OK) {
        free(in_idx);
        free(out_idx);
        return rc;
    }

    if (g->n_ops == g->cap_ops) {
        size_t nc = g->cap_ops ? 2 * g->cap_ops : 64;
        wl_op_t **no = realloc(g->ops, nc * sizeof *no);
        if (!no) {
            free(in_idx);
            free(out_idx);
            return wl_graph_fail(g, WL_ERR_NOMEM, "out of memory adding op '%s'", nm);
        }
        g->ops = no;
        g->cap_ops = nc;
    }
    wl_op_t *op = calloc(1, sizeof *op);
    const wl_tensor_t **ins = calloc(sp->n_inputs + 1, sizeof *ins);
    const wl_tensor_t **outs = calloc(sp->n_outputs, sizeof *outs);
    char *name = strdup(nm), *detail = strdup(sp->detail ? sp->detail : wl_opkind_name(sp->kind));
    if (!op || !ins || !outs || !name || !detail) {
        free(op);
        free(ins);
        free(outs);
        free(name);
        free(detail);
        free(in_idx);
        free(out_idx);
        return wl_graph_fail(g, WL_ERR_NOMEM, "out of memory adding op '%s'", nm);
    }
    op->name = name;
    op->detail = detail;
    op->kind = sp->kind;
    op->zero_cost = (sp->kind == WL_OP_RESHAPE || sp->kind == WL_OP_TRANSPOSE);
    for (size_t i = 0; i < sp->n_inputs; i++) {
        ins[i] = g->tensors[in_idx[i]];
        if (!op->zero_cost)
            op->bytes_read += ins[i]->bytes;
    }
    for (size_t i = 0; i < sp->n_outputs; i++) {
        outs[i] = g->tensors[out_idx[i]];
        g->produced[out_idx[i]] = 1;
        if (!op->zero_cost)
            op->bytes_written += outs[i]->bytes;
    }
    if (sp->in_place && sp->n_inputs > 1) {
        /* an append into a preallocated buffer moves only the new data */
        op->in_place = 1;
        op->bytes_read -= ins[0]->bytes;
        op->bytes_written = op->bytes_read;
    }
    if (op->kind == WL_OP_EMBEDDING && wt) {
        /* a lookup reads the selected rows (as many bytes as it writes), not the table */
        op->bytes_read -= wt->bytes;
        op->bytes_read += op->bytes_written;
    }
    op->n_inputs = sp->n_inputs;
    op->inputs = ins;
    op->n_outputs = sp->n_outputs;
    op->outputs = outs;
    op->dtype = outs[0]->dtype;
    op->weight = wt;
    op->bias = bt;
    if (gemm) {
        op->m = sp->m;
        op->k = sp->k;
        op->n = sp->n;
        op->count = count;
        op->macs = count * sp->m * sp->k * sp->n;
        op->a_is_weight = sp->a_is_weight;
        op->b_is_weight = sp->b_is_weight;
    }
    op->conv = sp->conv;
    op->layer = sp->layer;
    g->ops[g->n_ops] = op;
    g->ohash[slot] = (uint32_t)(++g->n_ops);
    free(in_idx);
    free(out_idx);
    return WL_OK;
}

/* ---- totals ------------------------------------------------------------------------ */
uint64_t wl_graph_total_macs(const wl_graph_t *g)
{
    uint64_t s = 0;
    for (size_t i = 0; i < g->n_ops; i++)
        s += g->ops[i]->macs;
    return s;
}

uint64_t wl_graph_kind_macs(const wl_graph_t *g, wl_opkind_t kind)
{
    uint64_t s = 0;
    for (size_t i = 0; i < g->n_ops; i++)
        if (g->ops[i]->kind == kind)
            s += g->ops[i]->macs;
    return s;
}

uint64_t wl_graph_params(const wl_graph_t *g)
{
    uint64_t s = 0;
    for (size_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i]->flags & WL_T_WEIGHT)
            s += wl_shape_numel(&g->tensors[i]->shape);
    return s;
}

uint64_t wl_graph_weight_bytes(const wl_graph_t *g)
{
    uint64_t s = 0;
    for (size_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i]->flags & WL_T_WEIGHT)
            s += g->tensors[i]->bytes;
    return s;
}

uint64_t wl_graph_activation_bytes(const wl_graph_t *g)
{
    uint64_t s = 0;
    for (size_t i = 0; i < g->n_ops; i++)
        s += g->ops[i]->bytes_written;
    return s;
}

/* ---- loading -------------------------------------------------------------------------- */
void wl_gen_opts_default(wl_gen_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->batch = 1;
    o->phase = WL_PHASE_PREFILL;
    o->kv_len = -1;
    o->image = 224;
    o->dtype = WL_DT_F32;
}
