/* The naive mapper: one schedule entry per IR op (a few ops take two or three
 * vector passes, weighted GEMMs get their weight loads), in the graph's
 * topological order, each waiting for the entries that produce its inputs.
 * Costs are not estimated here: the devices time every request (docs/mapper.md). */
#include "mapper/map.h"

#include "devices/dev.h"
#include "mapper/map_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int map_fail(char *err, size_t n, int code, const char *fmt, ...)
{
    if (err && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, n, fmt, ap);
        va_end(ap);
    }
    return code;
}

void map_opts_default(map_opts_t *o)
{
    o->stream_weights = 1;
    o->weight_buffers = 2;
    o->xbar_resident = 0;
    o->kv_cache = 1;
    o->kv_tokens = 0;
    o->kv_sram_bytes = 0;
}

int map_units_find(const map_units_t *u, const char *name)
{
    for (size_t i = 0; u && name && i < u->n; i++)
        if (strcmp(u->unit[i].name, name) == 0)
            return (int)i;
    return -1;
}

int map_units_add(map_units_t *u, const char *name, const char *comp, const char *model)
{
    if (!u || !name || strlen(name) >= sizeof u->unit[0].name ||
        (comp && strlen(comp) >= sizeof u->unit[0].comp) ||
        (model && strlen(model) >= sizeof u->unit[0].model))
        return -1;
    if (u->n == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 8;
        map_unit_t *p = realloc(u->unit, cap * sizeof *p);
        if (!p)
            return -1;
        u->unit = p;
        u->cap = cap;
    }
    map_unit_t *x = &u->unit[u->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    snprintf(x->comp, sizeof x->comp, "%s", comp ? comp : "");
    snprintf(x->model, sizeof x->model, "%s", model ? model : "");
    return 0;
}

int map_units_copy(map_units_t *dst, const map_units_t *src)
{
    memset(dst, 0, sizeof *dst);
    for (size_t i = 0; src && i < src->n; i++)
        if (map_units_add(dst, src->unit[i].name, src->unit[i].comp, src->unit[i].model)) {
            map_units_free(dst);
            return -1;
        }
    return 0;
}

void map_units_free(map_units_t *u)
{
    if (!u)
        return;
    free(u->unit);
    memset(u, 0, sizeof *u);
}

/* ---- freeing ------------------------------------------------------------------------ */
void map_schedule_free(map_schedule_t *s)
{
    if (!s)
        return;
    free(s->exec.entries);
    free(s->exec.preds);
    free(s->info);
    for (size_t i = 0; i < s->n_strings; i++)
        free(s->strings[i]);
    free(s->strings);
    free(s->unit_names);
    free(s->net_node);
    free(s->net_port);
    free(s->fwd_net);
    free(s->step_first);
    free(s->step_kv);
    map_units_free(&s->units);
    free(s->workload);
    free(s->spec);
    free(s->mapper);
    free(s->source);
    free(s);
}

void map_release_schedule(void *owner)
{
    map_schedule_free(owner);
}

/* ---- building ------------------------------------------------------------------------ */

const char *map_bld_keep(bld_t *b, const char *text)
{
    map_schedule_t *s = b->s;
    if (!text)
        return NULL;
    if (s->n_strings == s->cap_strings) {
        size_t cap = s->cap_strings ? 2 * s->cap_strings : 256;
        char **p = realloc(s->strings, cap * sizeof *p);
        if (!p)
            return NULL;
        s->strings = p;
        s->cap_strings = cap;
    }
    char *copy = strdup(text);
    if (copy)
        s->strings[s->n_strings++] = copy;
    return copy;
}

int map_opnd_of_dtype(wl_dtype_t dt)
{
    switch (dt) {
    case WL_DT_I8:
    case WL_DT_U8:
        return DEV_OPND_INT8;
    case WL_DT_F16:
        return DEV_OPND_FP16;
    case WL_DT_BF16:
        return DEV_OPND_BF16;
    case WL_DT_F32:
        return DEV_OPND_FP32;
    default:
        return DEV_OPND_DEFAULT;
    }
}

static const char *opnd_dtype_name(int opnd)
{
    static const char *const names[] = {NULL, "i8", "f16", "bf16", "f32"};
    return opnd > 0 && opnd <= DEV_OPND_FP32 ? names[opnd] : NULL;
}

/* Appends an entry; its predecessors follow with map_bld_pred. Returns its index
 * or NO_ENTRY on out of memory. */
uint32_t map_bld_entry(bld_t *b, const wl_op_t *op, uint64_t op_id, const char *kind, int unit,
                       const dev_req_t *req, uint64_t reps, const char *note)
{
    map_schedule_t *s = b->s;
    if (s->exec.n_entries + 1 >= UINT32_MAX)
        return NO_ENTRY;
    if (s->exec.n_entries == b->cap_entries) {
        size_t cap = b->cap_entries ? 2 * b->cap_entries : 256;
        map_exec_entry_t *e = realloc(s->exec.entries, cap * sizeof *e);
        if (!e)
            return NO_ENTRY;
        s->exec.entries = e;
        map_entry_info_t *in = realloc(s->info, cap * sizeof *in);
        if (!in)
            return NO_ENTRY;
        s->info = in;
        b->cap_entries = cap;
    }
    size_t i = s->exec.n_entries;
    map_exec_entry_t *e = &s->exec.entries[i];
    memset(e, 0, sizeof *e);
    e->op_id = op_id;
    e->name = map_bld_keep(b, op->name);
    e->what = kind;
    e->unit = unit;
    if (req)
        e->req = *req;
    if ((e->req.kind == DEV_OP_GEMM || e->req.kind == DEV_OP_MVM) &&
        !(e->req.flags & DEV_F_OPND_MASK))
        e->req.flags |= DEV_F_OPND(map_opnd_of_dtype(op->dtype));
    e->reps = reps ? reps : 1;
    e->pred_off = s->exec.n_preds;
    map_entry_info_t *in = &s->info[i];
    memset(in, 0, sizeof *in);
    in->layer = op->layer;
    in->kind = kind;
    in->detail = map_bld_keep(b, op->detail ? op->detail : "");
    in->note = note;
    if (!e->name || !in->detail)
        return NO_ENTRY;
    s->exec.n_entries++;
    return (uint32_t)i;
}

/* Adds predecessor p to the last entry (duplicates and NO_ENTRY ignored). */
int map_bld_pred(bld_t *b, uint32_t p)
{
    map_schedule_t *s = b->s;
    if (p == NO_ENTRY)
        return 0;
    map_exec_entry_t *e = &s->exec.entries[s->exec.n_entries - 1];
    for (uint32_t j = 0; j < e->n_preds; j++)
        if (s->exec.preds[e->pred_off + j] == p)
            return 0;
    if (s->exec.n_preds == b->cap_preds) {
        size_t cap = b->cap_preds ? 2 * b->cap_preds : 512;
        uint32_t *q = realloc(s->exec.preds, cap * sizeof *q);
        if (!q)
            return -1;
        s->exec.preds = q;
        b->cap_preds = cap;
    }
    s->exec.preds[s->exec.n_preds++] = p;
    e->n_preds++;
    return 0;
}

/* Tensor pointer -> index in the graph's tensor list (sorted pointers, bsearch). */

int map_tref_cmp(const void *a, const void *b)
{
    uintptr_t x = ((const tref_t *)a)->ptr, y = ((const tref_t *)b)->ptr;
    return x < y ? -1 : x > y;
}

size_t map_tensor_index(const tref_t *refs, size_t n, const wl_tensor_t *t)
{
    tref_t key = {(uintptr_t)t, 0};
    const tref_t *r = t ? bsearch(&key, refs, n, sizeof *refs, map_tref_cmp) : NULL;
    return r ? r->index : SIZE_MAX;
}

/* m rows x n elements of the op's first output (n = its last dimension). */
static void map_out_rows_cols(const wl_op_t *op, uint64_t *m, uint64_t *n)
{
    *m = *n = 0;
    if (op->n_outputs == 0)
        return;
    const wl_shape_t *sh = &op->outputs[0]->shape;
    uint64_t numel = wl_shape_numel(sh);
    uint64_t last = sh->rank > 0 && sh->dim[sh->rank - 1] > 0 ? (uint64_t)sh->dim[sh->rank - 1] : 1;
    if (numel == 0)
        return;
    *n = last;
    *m = numel / last;
}

static uint64_t map_in_numel(const wl_op_t *op)
{
    for (size_t i = 0; i < op->n_inputs; i++)
        if (!(op->inputs[i]->flags & (WL_T_WEIGHT | WL_T_CONST)))
            return wl_shape_numel(&op->inputs[i]->shape);
    return op->n_inputs ? wl_shape_numel(&op->inputs[0]->shape) : 0;
}

/* The vector passes of an op: one to three functions over m x n elements. */

static int name_in(const char *d, const char *const *list)
{
    for (; *list; list++)
        if (strcasecmp(d, *list) == 0)
            return 1;
    return 0;
}

void map_vector_program(const wl_op_t *op, vprog_t *p)
{
    memset(p, 0, sizeof *p);
    const char *d = op->detail ? op->detail : "";
    map_out_rows_cols(op, &p->m, &p->cols);
    p->n = 1;
    switch (op->kind) {
    case WL_OP_SOFTMAX:
        p->vf[0] = DEV_VF_SOFTMAX;
        p->note = "softmax over the last dimension";
        return;
    case WL_OP_LAYERNORM:
        p->vf[0] = DEV_VF_LAYERNORM;
        p->note = "layer norm over the last dimension";
        return;
    case WL_OP_RMSNORM:
        p->vf[0] = DEV_VF_RMSNORM;
        p->note = "RMS norm over the last dimension";
        return;
    case WL_OP_BATCHNORM:
        p->n = 2;
        p->vf[0] = DEV_VF_MUL;
        p->vf[1] = DEV_VF_ADD;
        p->note = "inference batch norm: per-channel scale (mul) then shift (add)";
        return;
    case WL_OP_ROPE:
        p->n = 3;
        p->vf[0] = DEV_VF_MUL;
        p->vf[1] = DEV_VF_MUL;
        p->vf[2] = DEV_VF_ADD;
        p->note = "rotary embedding: x*cos, rotate(x)*sin, add";
        return;
    case WL_OP_POOL:
    case WL_OP_REDUCE: {
        /* one add/compare per input element of each window */
        uint64_t out = p->m * p->cols, window = 0;
        if (op->kind == WL_OP_POOL && op->conv.kernel_h > 0 && op->conv.kernel_w > 0)
            window = (uint64_t)op->conv.kernel_h * (uint64_t)op->conv.kernel_w;
        else if (out)
            window = map_in_numel(op) / out;
        p->vf[0] = DEV_VF_ADD;
        p->m = out;
        p->cols = window ? window : 1;
        p->proxy = 1;
        p->note = "one add or compare per element of each window (vector add)";
        return;
    }
    case WL_OP_ACTIVATION: {
        static const char *const relu_like[] = {"relu", "relu6",    "leakyrelu", "leaky_relu",
                                                "clip", "hardtanh", "prelu",     NULL};
        static const char *const silu_like[] = {"silu", "swish", NULL};
        if (strncasecmp(d, "gelu", 4) == 0) {
            p->vf[0] = DEV_VF_GELU;
            p->note = "gelu (tanh form)";
        } else if (name_in(d, relu_like)) {
            p->vf[0] = DEV_VF_RELU;
            p->proxy = strcasecmp(d, "relu") != 0;
            p->note = "relu: one compare per element";
        } else if (name_in(d, silu_like)) {
            p->vf[0] = DEV_VF_SILU;
            p->note = "silu";
        } else {
            /* sigmoid, tanh, erf, exp, ...: one exponential and one divide per
             * element, which is what the unit's silu costs */
            p->vf[0] = DEV_VF_SILU;
            p->proxy = 1;
            p->note = "transcendental activation costed as silu (one exp, one divide)";
        }
        return;
    }
    case WL_OP_ELEMENTWISE: {
        static const char *const mul_like[] = {"mul", "div", "pow", "scale", "square", NULL};
        if (strcasecmp(d, "scale_mask") == 0) {
            p->n = 2;
            p->vf[0] = DEV_VF_MUL;
            p->vf[1] = DEV_VF_ADD;
            p->note = "scale (mul) then additive mask (add)";
        } else if (name_in(d, mul_like)) {
            p->vf[0] = DEV_VF_MUL;
            p->proxy = strcasecmp(d, "mul") != 0;
            p->note = "one multiply per element";
        } else {
            p->vf[0] = DEV_VF_ADD;
            p->proxy = strcasecmp(d, "add") != 0;
            p->note = "one add (or compare/select) per element";
        }
        return;
    }
    default: p->n = 0; return;
    }
}

static int need_unit(bld_t *b, const map_units_t *units, const char *unit, const wl_op_t *op)
{
    int u = map_units_find(units, unit);
    if (u < 0)
        return map_fail(b->err, b->errn, SIM_ERR_CONFIG,
                    "op '%s' (%s) needs a '%s' unit and none is linked: link the "
                    "schedule_driver's port '%s' to one",
                    op->name, wl_opkind_name(op->kind), unit, unit);
    return u;
}

int map_naive(const wl_graph_t *g, const map_units_t *units, map_schedule_t **out, char *err,
              size_t n)
{
    return map_naive_opts(g, units, NULL, out, err, n);
}

int map_naive_opts(const wl_graph_t *g, const map_units_t *units, const map_opts_t *opts,
                   map_schedule_t **out, char *err, size_t n)
{
    if (out)
        *out = NULL;
    if (err && n)
        err[0] = '\0';
    if (!g || !units || !out)
        return map_fail(err, n, SIM_ERR_CONFIG, "map_naive: missing graph, units or output");
    map_opts_t o;
    map_opts_default(&o);
    if (opts)
        o = *opts;
    if (o.weight_buffers < 1)
        o.weight_buffers = 1;

    map_schedule_t *s = calloc(1, sizeof *s);
    if (!s)
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    bld_t b = {s, 0, 0, err, n};
    int rc = 0;
    size_t n_t = wl_graph_tensor_count(g), n_ops = wl_graph_op_count(g);
    tref_t *refs = calloc(n_t ? n_t : 1, sizeof *refs);
    uint32_t *producer = malloc((n_t ? n_t : 1) * sizeof *producer);
    uint64_t *addr = calloc(n_t ? n_t : 1, sizeof *addr);
    uint32_t *gemm_loaded = calloc(n_ops ? n_ops : 1, sizeof *gemm_loaded);
    uint32_t *in_preds = NULL;
    size_t n_loaded = 0;
    map_kv_t kv = {.unit = -1};
    if (map_units_copy(&s->units, units)) {
        free(s);
        free(refs);
        free(producer);
        free(addr);
        free(gemm_loaded);
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    }
    s->unit_names = calloc(units->n ? units->n : 1, sizeof *s->unit_names);
    s->workload = strdup(wl_graph_name(g) ? wl_graph_name(g) : "");
    s->source = wl_graph_source(g) ? strdup(wl_graph_source(g)) : NULL;
    s->n_ops = n_ops;
    if (!refs || !producer || !addr || !gemm_loaded || !s->unit_names || !s->workload ||
        (wl_graph_source(g) && !s->source)) {
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < units->n; i++)
        s->unit_names[i] = s->units.unit[i].name;
    s->exec.units = s->unit_names;
    s->exec.n_units = units->n;

    /* DRAM layout of the static weights, in tensor order */
    uint64_t next_addr = 0;
    for (size_t i = 0; i < n_t; i++) {
        const wl_tensor_t *t = wl_graph_tensor(g, i);
        refs[i].ptr = (uintptr_t)t;
        refs[i].index = i;
        producer[i] = NO_ENTRY;
        if (t->flags & WL_T_WEIGHT) {
            addr[i] = next_addr;
            next_addr += (t->bytes + WEIGHT_ALIGN - 1) / WEIGHT_ALIGN * WEIGHT_ALIGN;
        }
    }
    qsort(refs, n_t, sizeof *refs, map_tref_cmp);
    s->weight_layout_bytes = next_addr;
    int u_dram = map_units_find(units, MAP_UNIT_DRAM);
    int stream = o.stream_weights && u_dram >= 0;
    if ((rc = map_kv_plan(g, units, &o, next_addr, &kv, err, n)) != 0)
        goto done;
    s->kv_unit = kv.unit;
    s->kv_cache_bytes = kv.unit >= 0 ? kv.bytes : 0;
    s->kv_tokens = kv.unit >= 0 ? kv.tokens : 0;
    /* weight ids: a weight tensor's index + 1; activation operands and grouped
     * weights get fresh ids after those, one per repetition */
    uint64_t fresh_id = n_t + 1;

    for (size_t oi = 0; oi < n_ops && !rc; oi++) {
        const wl_op_t *op = wl_graph_op(g, oi);
        uint64_t op_id = oi + 1;
        size_t n_in = 0;
        free(in_preds);
        in_preds = malloc((op->n_inputs ? op->n_inputs : 1) * sizeof *in_preds);
        if (!in_preds) {
            rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t k = 0; k < op->n_inputs; k++) {
            size_t ti = map_tensor_index(refs, n_t, op->inputs[k]);
            if (ti != SIZE_MAX && producer[ti] != NO_ENTRY)
                in_preds[n_in++] = producer[ti];
        }
        uint32_t last = NO_ENTRY;
        dev_req_t req;
        memset(&req, 0, sizeof req);
#define ADD(kind_, unit_, req_, reps_, note_)                                                      \
    do {                                                                                           \
        last = map_bld_entry(&b, op, op_id, (kind_), (unit_), (req_), (reps_), (note_));           \
        if (last == NO_ENTRY) {                                                                    \
            rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");                                     \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)
#define PRED(p_)                                                                                   \
    do {                                                                                           \
        if (map_bld_pred(&b, (p_))) {                                                              \
            rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");                                     \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)
#define PRED_INPUTS()                                                                              \
    do {                                                                                           \
        for (size_t k_ = 0; k_ < n_in; k_++)                                                       \
            PRED(in_preds[k_]);                                                                    \
    } while (0)
        const char *kind = wl_opkind_name(op->kind);
        uint64_t out_bytes = op->bytes_written;

        if (op->zero_cost) {
            ADD(kind, -1, NULL, 1, "view: no data moved");
            PRED_INPUTS();
        } else if (wl_opkind_is_gemm(op->kind)) {
            int u = need_unit(&b, units, MAP_UNIT_GEMM, op);
            if (u < 0) {
                rc = u;
                break;
            }
            /* weight loads from DRAM: the weight, then the bias */
            uint32_t loads[2] = {NO_ENTRY, NO_ENTRY};
            const wl_tensor_t *wt[2] = {op->weight, op->bias};
            int loaded = 0;
            for (int w = 0; w < 2 && stream; w++) {
                size_t ti = map_tensor_index(refs, n_t, wt[w]);
                if (ti == SIZE_MAX || !(wt[w]->flags & WL_T_WEIGHT) || wt[w]->bytes == 0)
                    continue;
                dev_req_t rd;
                memset(&rd, 0, sizeof rd);
                rd.kind = DEV_OP_READ;
                rd.m = wt[w]->bytes;
                rd.k = addr[ti];
                ADD("weight_load", u_dram, &rd, 1,
                    w == 0 ? "weight read from dram before the GEMM"
                           : "bias read from dram before the GEMM");
                loads[w] = last;
                s->weight_load_bytes += wt[w]->bytes;
                /* at most weight_buffers weight sets on chip */
                if (n_loaded >= (size_t)o.weight_buffers)
                    PRED(gemm_loaded[n_loaded - (size_t)o.weight_buffers]);
                loaded = 1;
            }
            req.kind = DEV_OP_GEMM;
            /* weight-stationary units hold the [k x n] operand: a weight on the
             * left is mapped transposed (C^T = B^T A^T) */
            int swap = op->a_is_weight && !op->b_is_weight;
            req.m = swap ? op->n : op->m;
            req.k = op->k;
            req.n = swap ? op->m : op->n;
            uint64_t reps = op->count ? op->count : 1;
            size_t wi = map_tensor_index(refs, n_t, op->weight);
            uint32_t step = 0;
            if (op->weight && wi != SIZE_MAX && reps == 1)
                req.weight_id = (uint32_t)(wi + 1);
            else {
                req.weight_id = (uint32_t)fresh_id;
                step = 1;
                fresh_id += reps;
            }
            ADD(kind, u, &req, reps,
                swap       ? "gemm (weight on the left: mapped transposed)"
                : reps > 1 ? "gemm, one request per head/group"
                           : "gemm");
            s->exec.entries[last].weight_step = step;
            s->gemm_macs += req.m * req.k * req.n * reps;
            PRED_INPUTS();
            PRED(loads[0]);
            PRED(loads[1]);
            if (loaded)
                gemm_loaded[n_loaded++] = last;
        } else if (op->kind == WL_OP_EMBEDDING) {
            size_t ti = map_tensor_index(refs, n_t, op->weight);
            int from_dram = ti != SIZE_MAX && (op->weight->flags & WL_T_WEIGHT);
            int u = need_unit(&b, units, from_dram ? MAP_UNIT_DRAM : MAP_UNIT_SRAM, op);
            if (u < 0) {
                rc = u;
                break;
            }
            if (out_bytes == 0) {
                ADD(kind, -1, NULL, 1, "empty gather");
            } else {
                req.kind = DEV_OP_READ;
                req.m = out_bytes;
                req.k = from_dram ? addr[ti] : 0;
                ADD(kind, u, &req, 1,
                    from_dram ? "gather: read the looked-up rows of the table from dram"
                              : "gather from an activation in sram");
            }
            PRED_INPUTS();
        } else if (op->kind == WL_OP_COPY && op->in_place && op->n_inputs > 0 && kv.unit >= 0 &&
                   (op->inputs[0]->flags & WL_T_KV)) {
            /* decode's KV append: read the past rows, write the new row behind them */
            const wl_tensor_t *past = op->inputs[0];
            size_t ti = map_tensor_index(refs, n_t, past);
            uint32_t read = NO_ENTRY;
            if (ti != SIZE_MAX && past->bytes > 0) {
                dev_req_t rd;
                memset(&rd, 0, sizeof rd);
                rd.kind = DEV_OP_READ;
                rd.m = past->bytes;
                rd.k = kv.addr[ti];
                ADD("kv_read", kv.unit, &rd, 1, "past keys/values read from the KV cache");
                s->info[last].kv = 1;
                read = last;
                s->kv_read_bytes += past->bytes;
                /* read ahead as far as the weights are (weight_buffers) */
                if (n_loaded >= (size_t)o.weight_buffers)
                    PRED(gemm_loaded[n_loaded - (size_t)o.weight_buffers]);
            }
            if (out_bytes == 0) {
                ADD(kind, -1, NULL, 1, "empty append");
            } else {
                req.kind = DEV_OP_WRITE;
                req.m = out_bytes;
                req.k = ti != SIZE_MAX ? kv.addr[ti] + (uint64_t)past->shape.dim[2] * kv.row[ti] : 0;
                ADD(kind, kv.unit, &req, 1, "KV append: the new token's row written into the cache");
                s->info[last].kv = 2;
                s->kv_write_bytes += out_bytes;
            }
            PRED_INPUTS();
            PRED(read);
        } else if (op->kind == WL_OP_COPY) {
            if (out_bytes == 0) {
                ADD(kind, -1, NULL, 1, "empty copy");
            } else {
                int u = need_unit(&b, units, MAP_UNIT_SRAM, op);
                if (u < 0) {
                    rc = u;
                    break;
                }
                req.kind = DEV_OP_WRITE;
                req.m = out_bytes;
                req.k = 0;
                ADD(kind, u, &req, 1, "copy: write the new tensor into sram");
            }
            PRED_INPUTS();
        } else {
            vprog_t vp;
            map_vector_program(op, &vp);
            if (vp.n == 0) {
                rc = map_fail(err, n, SIM_ERR_CONFIG,
                          "op '%s': the naive mapper has no rule for kind '%s'", op->name, kind);
                break;
            }
            if (vp.m == 0 || vp.cols == 0) {
                ADD(kind, -1, NULL, 1, "empty tensor");
                PRED_INPUTS();
            } else {
                int u = need_unit(&b, units, MAP_UNIT_VECTOR, op);
                if (u < 0) {
                    rc = u;
                    break;
                }
                for (int k = 0; k < vp.n; k++) {
                    uint32_t prev = last;
                    req.kind = DEV_OP_VECTOR;
                    req.vfunc = vp.vf[k];
                    req.m = vp.m;
                    req.n = vp.cols;
                    ADD(kind, u, &req, 1, vp.note);
                    s->info[last].proxy = vp.proxy;
                    if (k == 0)
                        PRED_INPUTS();
                    else
                        PRED(prev);
                }
            }
        }
        uint32_t op_last = last;
        for (size_t k = 0; k < op->n_outputs; k++) {
            size_t ti = map_tensor_index(refs, n_t, op->outputs[k]);
            if (ti != SIZE_MAX)
                producer[ti] = op_last;
            /* prefill: the keys/values this op computes are stored into the cache
             * (nothing waits for the store within the step) */
            if (ti == SIZE_MAX || kv.unit < 0 || !kv.row[ti] || op->outputs[k]->bytes == 0)
                continue;
            dev_req_t wr;
            memset(&wr, 0, sizeof wr);
            wr.kind = DEV_OP_WRITE;
            wr.m = op->outputs[k]->bytes;
            wr.k = kv.addr[ti];
            ADD("kv_write", kv.unit, &wr, 1, "keys/values written into the KV cache");
            s->info[last].kv = 2;
            PRED(op_last);
            s->kv_write_bytes += wr.m;
        }
    }
#undef ADD
#undef PRED
#undef PRED_INPUTS
    if (!rc) {
        char msg[256];
        if (map_exec_check(&s->exec, msg, sizeof msg))
            rc = map_fail(err, n, SIM_ERR_CONFIG, "internal: %s", msg);
    }
done:
    map_kv_free(&kv);
    free(in_preds);
    free(refs);
    free(producer);
    free(addr);
    free(gemm_loaded);
    if (rc) {
        map_schedule_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* ---- JSON -------------------------------------------------------------------------------- */
static cJSON *req_json(const map_exec_entry_t *e, const char *const *units)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "op", dev_op_name(e->req.kind));
    if (e->req.kind == DEV_OP_VECTOR)
        cJSON_AddStringToObject(r, "vfunc", dev_vfunc_name(e->req.vfunc));
    cJSON_AddNumberToObject(r, "m", (double)e->req.m);
    if (e->req.kind == DEV_OP_TRANSFER) {
        cJSON_AddStringToObject(r, "from", units[e->req.k]);
        cJSON_AddStringToObject(r, "to", units[e->req.n]);
        return r;
    }
    cJSON_AddNumberToObject(r, "k", (double)e->req.k);
    cJSON_AddNumberToObject(r, "n", (double)e->req.n);
    if (e->req.flags & DEV_F_NO_RELOAD)
        cJSON_AddBoolToObject(r, "no_reload", 1);
    if (opnd_dtype_name(DEV_REQ_OPND(&e->req)))
        cJSON_AddStringToObject(r, "dtype", opnd_dtype_name(DEV_REQ_OPND(&e->req)));
    if (e->req.kind == DEV_OP_GEMM || e->req.kind == DEV_OP_MVM || e->req.kind == DEV_OP_PROGRAM) {
        cJSON_AddNumberToObject(r, "weight_id", (double)e->req.weight_id);
        cJSON_AddNumberToObject(r, "weight_step", (double)e->weight_step);
    }
    return r;
}

char *map_schedule_json(const map_schedule_t *s)
{
    if (!s)
        return NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "workload", s->workload ? s->workload : "");
    if (s->source)
        cJSON_AddStringToObject(root, "source", s->source);
    else
        cJSON_AddNullToObject(root, "source");
    cJSON_AddStringToObject(root, "mapper", s->mapper ? s->mapper : "naive");
    if (s->spec) {
        cJSON_AddStringToObject(root, "spec", s->spec);
        cJSON *sh = cJSON_AddObjectToObject(root, "shape");
        cJSON_AddNumberToObject(sh, "batch", s->wopts.batch);
        if (s->wopts.seq > 0) /* 0: the model's default, which the reader takes when absent */
            cJSON_AddNumberToObject(sh, "seq", s->wopts.seq);
        cJSON_AddStringToObject(sh, "phase",
                                s->wopts.phase == WL_PHASE_DECODE ? "decode" : "prefill");
        cJSON_AddNumberToObject(sh, "kv_len", s->wopts.kv_len);
        cJSON_AddNumberToObject(sh, "image", s->wopts.image);
        cJSON_AddStringToObject(sh, "dtype", wl_dtype_name(s->wopts.dtype));
    }
    cJSON_AddNumberToObject(root, "ops", (double)s->n_ops);
    cJSON_AddNumberToObject(root, "entries", (double)s->exec.n_entries);
    cJSON_AddNumberToObject(root, "gemm_macs", (double)s->gemm_macs);
    cJSON_AddNumberToObject(root, "weight_load_bytes", (double)s->weight_load_bytes);
    cJSON *units = cJSON_AddObjectToObject(root, "units");
    for (size_t i = 0; i < s->units.n; i++) {
        cJSON *u = cJSON_AddObjectToObject(units, s->units.unit[i].name);
        cJSON_AddStringToObject(u, "component", s->units.unit[i].comp);
        cJSON_AddStringToObject(u, "model", s->units.unit[i].model);
    }
    cJSON *arr = cJSON_AddArrayToObject(root, "schedule");
    for (size_t i = 0; i < s->exec.n_entries; i++) {
        const map_exec_entry_t *e = &s->exec.entries[i];
        const map_entry_info_t *in = &s->info[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "entry", (double)i);
        cJSON_AddNumberToObject(o, "op_id", (double)e->op_id);
        cJSON_AddStringToObject(o, "op", e->name ? e->name : "");
        cJSON_AddStringToObject(o, "kind", in->kind ? in->kind : "");
        cJSON_AddStringToObject(o, "detail", in->detail ? in->detail : "");
        if (e->unit >= 0) {
            cJSON_AddStringToObject(o, "unit", s->exec.units[e->unit]);
            cJSON_AddItemToObject(o, "request", req_json(e, s->exec.units));
            cJSON_AddNumberToObject(o, "reps", (double)e->reps);
        } else {
            cJSON_AddNullToObject(o, "unit");
            cJSON_AddNullToObject(o, "request");
        }
        cJSON_AddStringToObject(o, "note", in->note ? in->note : "");
        if (in->tier)
            cJSON_AddStringToObject(o, "tier", in->tier);
        if (in->slice)
            cJSON_AddStringToObject(o, "slice", in->slice);
        if (in->layer >= 0)
            cJSON_AddNumberToObject(o, "layer", in->layer);
        if (in->proxy)
            cJSON_AddBoolToObject(o, "proxy", 1);
        if (e->fwd_to) {
            cJSON *fw = cJSON_AddObjectToObject(o, "forward");
            cJSON_AddNumberToObject(fw, "to", (double)e->fwd_to);
            cJSON_AddNumberToObject(fw, "bytes", (double)e->fwd_bytes);
        }
        cJSON *pr = cJSON_AddArrayToObject(o, "after");
        for (uint32_t j = 0; j < e->n_preds; j++)
            cJSON_AddItemToArray(pr, cJSON_CreateNumber((double)s->exec.preds[e->pred_off + j]));
        if (e->res.done) {
            cJSON *r = cJSON_AddObjectToObject(o, "result");
            cJSON_AddNumberToObject(r, "ready_ps", (double)e->res.ready_ps);
            cJSON_AddNumberToObject(r, "issue_ps", (double)e->res.issue_ps);
            cJSON_AddNumberToObject(r, "done_ps", (double)e->res.done_ps);
            cJSON_AddNumberToObject(r, "cycles", (double)e->res.cycles);
            cJSON_AddNumberToObject(r, "device_latency_ps", (double)e->res.device_latency_ps);
            cJSON_AddNumberToObject(r, "energy_pj", e->res.energy_pj);
            cJSON_AddNumberToObject(r, "bytes", (double)e->res.bytes);
        }
        cJSON_AddItemToArray(arr, o);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

int map_schedule_write_json(const map_schedule_t *s, const char *path, char *err, size_t n)
{
    char *text = map_schedule_json(s);
    if (!text)
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory writing the schedule");
    FILE *f = fopen(path, "w");
    if (!f) {
        free(text);
        return map_fail(err, n, SIM_ERR_IO, "cannot write the schedule to '%s'", path);
    }
    int bad = fputs(text, f) < 0 || fputc('\n', f) == EOF;
    bad |= fclose(f) != 0;
    free(text);
    if (bad)
        return map_fail(err, n, SIM_ERR_IO, "cannot write the schedule to '%s'", path);
    return 0;
}

/* ---- the simulation side ------------------------------------------------------------------ */
int map_find_driver(sim_t *s, const char **name, char *err, size_t n)
{
    const char *found = NULL;
    for (size_t i = 0; i < sim_comp_count(s); i++) {
        sim_comp_t *c = sim_comp_at(s, i);
        if (strcmp(sim_comp_model(c), "schedule_driver") != 0)
            continue;
        if (found)
            return map_fail(err, n, SIM_ERR_CONFIG,
                        "the config has two schedule_driver components ('%s' and '%s'); a "
                        "workload runs on exactly one",
                        found, sim_comp_name(c));
        found = sim_comp_name(c);
    }
    if (!found)
        return map_fail(err, n, SIM_ERR_CONFIG,
                    "the config has no schedule_driver component to run the workload on: add "
                    "one (model: schedule_driver) and link its ports gemm, vector, sram, dram to "
                    "the units (see configs/chip.yaml)");
    *name = found;
    return 0;
}

int map_units_from_driver(sim_t *s, const char *driver, map_units_t *out, char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    size_t dl = strlen(driver);
    for (size_t i = 0; i < sim_link_count(s); i++) {
        sim_link_info_t li;
        sim_link_get(s, i, &li);
        if (strncmp(li.from, driver, dl) != 0 || li.from[dl] != '.' ||
            strchr(li.from + dl + 1, '.'))
            continue;
        const char *port = li.from + dl + 1;
        const char *dot = strrchr(li.to, '.');
        char comp[128];
        size_t cl = dot ? (size_t)(dot - li.to) : strlen(li.to);
        if (cl >= sizeof comp)
            cl = sizeof comp - 1;
        memcpy(comp, li.to, cl);
        comp[cl] = '\0';
        sim_comp_t *c = sim_comp_find(s, comp);
        if (map_units_add(out, port, comp, c ? sim_comp_model(c) : NULL)) {
            map_units_free(out);
            return map_fail(err, n, SIM_ERR_CONFIG,
                        "schedule_driver '%s': out of memory or port name '%s' too long (at "
                        "most 63 characters)",
                        driver, port);
        }
    }
    return 0;
}

/* Every request goes to a unit whose model serves it, and every transfer
 * either rides the network (both ends at a node) or goes to a unit that
 * carries transfers (a wire), so nothing is silently dropped in the run. */
static int check_requests(const map_schedule_t *sched, const map_net_t *net, char *err, size_t n)
{
    const map_exec_t *x = &sched->exec;
    const map_units_t *u = &sched->units;
    for (size_t i = 0; i < x->n_entries; i++) {
        const map_exec_entry_t *e = &x->entries[i];
        if (e->unit < 0 || (size_t)e->unit >= u->n)
            continue;
        const map_unit_t *un = &u->unit[e->unit];
        int k = e->req.kind;
        if (dev_model_serves(un->model, k))
            continue;
        const char *name = e->name && *e->name ? e->name : "?";
        if (k == DEV_OP_TRANSFER && e->req.k < u->n && e->req.n < u->n) {
            size_t ends[2] = {(size_t)e->req.k, (size_t)e->req.n};
            if (net->present && net->node[ends[0]] >= 0 && net->node[ends[1]] >= 0)
                continue; /* it rides the network */
            for (int j = 0; net->present && j < 2; j++)
                if (net->node[ends[j]] < 0)
                    return map_fail(err, n, SIM_ERR_CONFIG,
                                "schedule entry %zu (op '%s'): transfer %s unit '%s' to '%s': "
                                "unit '%s' is not attached to the network (no node), and unit "
                                "'%s' (%s '%s') cannot carry a transfer",
                                i, name, "from", u->unit[ends[0]].name, u->unit[ends[1]].name,
                                u->unit[ends[j]].name, un->name, un->model, un->comp);
        }
        char does[128];
        int any = dev_model_ops_text(un->model, does, sizeof does);
        return map_fail(err, n, SIM_ERR_CONFIG,
                    "schedule entry %zu (op '%s'): unit '%s' (%s '%s') cannot serve a '%s' "
                    "request (%s%s)",
                    i, name, un->name, *un->model ? un->model : "?", un->comp, dev_op_name(k),
                    any ? "it does " : "it serves no requests", does);
    }
    return 0;
}

int map_attach(sim_t *s, const char *driver_name, map_schedule_t *sched, char *err, size_t n)
{
    sim_comp_t *c = driver_name ? sim_comp_find(s, driver_name) : NULL;
    if (!c)
        return map_fail(err, n, SIM_ERR_CONFIG, "no component '%s' to attach the schedule to",
                    driver_name ? driver_name : "(null)");
    if (strcmp(sim_comp_model(c), "schedule_driver") != 0)
        return map_fail(err, n, SIM_ERR_CONFIG,
                    "component '%s' is a '%s', not a schedule_driver: it cannot run a schedule",
                    driver_name, sim_comp_model(c));
    if (!sched)
        return map_fail(err, n, SIM_ERR_CONFIG, "no schedule to attach to '%s'", driver_name);
    char msg[256];
    if (map_exec_check(&sched->exec, msg, sizeof msg))
        return map_fail(err, n, SIM_ERR_CONFIG, "schedule for '%s': %s", driver_name, msg);
    /* the network, when units sit at its nodes: transfers between them ride it */
    map_net_t net;
    int rc = map_net_resolve(s, driver_name, &sched->units, &net, msg, sizeof msg);
    if (rc)
        return map_fail(err, n, rc, "schedule for '%s': %s", driver_name, msg);
    if ((rc = check_requests(sched, &net, err, n)) != 0) {
        map_net_free(&net);
        return rc;
    }
    size_t nu = sched->units.n ? sched->units.n : 1, ne = sched->exec.n_entries;
    int bad = 0;
    if (net.present) {
        free(sched->net_node);
        free(sched->net_port);
        sched->net_node = calloc(nu, sizeof *sched->net_node);
        sched->net_port = calloc(nu, sizeof *sched->net_port);
        bld_t b = {.s = sched};
        bad = !sched->net_node || !sched->net_port;
        for (size_t i = 0; !bad && i < sched->units.n; i++) {
            sched->net_node[i] = net.node[i];
            if (net.node[i] >= 0 && !(sched->net_port[i] = map_bld_keep(&b, net.port[i])))
                bad = 1;
        }
        if (!bad) {
            sched->exec.net_node = sched->net_node;
            sched->exec.net_port = sched->net_port;
        }
    }
    /* forwarding: every producer reaches its successor's unit by a link of
     * its own or over the network */
    for (size_t i = 0; !bad && !rc && i < ne; i++) {
        const map_exec_entry_t *e = &sched->exec.entries[i];
        map_fwd_route_t r;
        if (!e->fwd_to)
            continue;
        if (map_fwd_route(s, &sched->units, &net, e->unit, sched->exec.entries[e->fwd_to].unit,
                          &r, msg, sizeof msg)) {
            rc = map_fail(err, n, SIM_ERR_CONFIG, "schedule entry %zu: %s", i, msg);
            break;
        }
        if (!r.network)
            continue;
        if (!sched->fwd_net && !(sched->fwd_net = calloc(ne, sizeof *sched->fwd_net)))
            bad = 1;
        else
            sched->fwd_net[i] = 1;
    }
    map_net_free(&net);
    if (bad)
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    if (rc)
        return rc;
    sched->exec.fwd_net = sched->fwd_net;
    sched->exec.release = map_release_schedule;
    sched->exec.owner = sched;
    if (map_exec_attach(c, &sched->exec)) {
        sched->exec.release = NULL;
        sched->exec.owner = NULL;
        return map_fail(err, n, SIM_ERR_STATE,
                    "schedule_driver '%s' already has a schedule or was initialised", driver_name);
    }
    return 0;
}

map_schedule_t *map_attached(sim_t *s, const char *driver_name)
{
    sim_comp_t *c = driver_name ? sim_comp_find(s, driver_name) : NULL;
    map_exec_t *d = map_exec_attached(c);
    if (!d || d->release != map_release_schedule)
        return NULL;
    return d->owner;
}

/* An integer parameter of component c, if its model has one of that name. */
static int param_u64(sim_comp_t *c, const char *name, uint64_t *out)
{
    const sim_params_t *p = c ? sim_comp_params(c) : NULL;
    for (size_t i = 0; p && i < sim_params_count(p); i++) {
        const sim_param_def_t *d = sim_params_def(p, i);
        if (strcmp(d->name, name) == 0 && d->type == SIM_P_INT) {
            *out = (uint64_t)sim_param_int(p, name);
            return 1;
        }
    }
    return 0;
}

/* A numeric parameter of component c (int, real or bool), if its model has it. */
static int param_num(sim_comp_t *c, const char *name, double *out)
{
    const sim_params_t *p = c ? sim_comp_params(c) : NULL;
    for (size_t i = 0; p && i < sim_params_count(p); i++) {
        const sim_param_def_t *d = sim_params_def(p, i);
        if (strcmp(d->name, name) != 0)
            continue;
        if (d->type == SIM_P_INT)
            *out = (double)sim_param_int(p, name);
        else if (d->type == SIM_P_REAL)
            *out = sim_param_real(p, name);
        else if (d->type == SIM_P_BOOL)
            *out = sim_param_bool(p, name);
        else
            return 0;
        return 1;
    }
    return 0;
}

int map_capacity_check(sim_t *s, const map_schedule_t *sched, char *err, size_t n)
{
    const map_exec_t *x = &sched->exec;
    /* a weight-stationary unit holds one matrix: two different matrices both
     * said to be resident (no_reload) on it cannot be */
    size_t nu = sched->units.n;
    int64_t *resident = malloc((nu ? nu : 1) * sizeof *resident);
    size_t *first = malloc((nu ? nu : 1) * sizeof *first);
    if (!resident || !first) {
        free(resident);
        free(first);
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    }
    for (size_t u = 0; u < nu; u++)
        resident[u] = -1;
    for (size_t i = 0; i < x->n_entries; i++) {
        const map_exec_entry_t *e = &x->entries[i];
        if (e->unit < 0 || !(e->req.flags & DEV_F_NO_RELOAD) || (size_t)e->unit >= nu)
            continue;
        for (uint64_t r = 0; r < e->reps; r++) {
            int64_t id = (int64_t)(e->req.weight_id + (uint32_t)(r * e->weight_step));
            if (resident[e->unit] < 0) {
                resident[e->unit] = id;
                first[e->unit] = i;
            } else if (resident[e->unit] != id) {
                int rc = map_fail(err, n, SIM_ERR_CONFIG,
                              "schedule entry %zu (op '%s'): unit '%s' already holds weights %lld "
                              "(entry %zu) as resident; a %s holds one matrix: place weights "
                              "%lld on another unit or let it reload",
                              i, e->name ? e->name : "?", sched->units.unit[e->unit].name,
                              (long long)resident[e->unit], first[e->unit],
                              sched->units.unit[e->unit].model, (long long)id);
                free(resident);
                free(first);
                return rc;
            }
        }
    }
    free(resident);
    free(first);
    for (size_t i = 0; i < x->n_entries; i++) {
        const map_exec_entry_t *e = &x->entries[i];
        if (e->unit < 0)
            continue;
        const map_unit_t *u = &sched->units.unit[e->unit];
        sim_comp_t *c = sim_comp_find(s, u->comp);
        double rows, cols, tiling, cap;
        int k = e->req.kind;
        if ((k == DEV_OP_GEMM || k == DEV_OP_MVM || k == DEV_OP_PROGRAM) &&
            param_num(c, "rows", &rows) && param_num(c, "cols", &cols) &&
            param_num(c, "tiling", &tiling) && !tiling &&
            ((double)e->req.k > rows || (double)e->req.n > cols))
            return map_fail(err, n, SIM_ERR_CONFIG,
                        "schedule entry %zu (op '%s'): a %llu x %llu weight overflows unit '%s' "
                        "(%s '%s', %g x %g cells, tiling off): split it or place it elsewhere",
                        i, e->name ? e->name : "?", (unsigned long long)e->req.k,
                        (unsigned long long)e->req.n, u->name, u->model, u->comp, rows, cols);
        double arrays = 0.0, tiles = 0.0;
        if ((k == DEV_OP_GEMM || k == DEV_OP_MVM || k == DEV_OP_PROGRAM) &&
            param_num(c, "rows", &rows) && param_num(c, "cols", &cols) &&
            param_num(c, "tiling", &tiling) && tiling && param_num(c, "arrays", &arrays))
            tiles = ceil((double)e->req.k / rows) * ceil((double)e->req.n / cols);
        if (tiles > arrays)
            return map_fail(err, n, SIM_ERR_CONFIG,
                        "schedule entry %zu (op '%s'): a %llu x %llu weight needs %.0f arrays of "
                        "%g x %g on unit '%s' (%s '%s', arrays %g): split it or place it elsewhere",
                        i, e->name ? e->name : "?", (unsigned long long)e->req.k,
                        (unsigned long long)e->req.n, tiles, rows, cols, u->name, u->model, u->comp,
                        arrays);
        if ((k == DEV_OP_READ || k == DEV_OP_WRITE) &&
            (param_num(c, "capacity_bytes", &cap) || param_num(c, "size_bytes", &cap)) &&
            (double)e->req.k + (double)e->req.m > cap)
            return map_fail(err, n, SIM_ERR_CONFIG,
                        "schedule entry %zu (op '%s'): %s of %llu bytes at %llu overflows unit "
                        "'%s' (%s '%s', %.0f bytes)",
                        i, e->name ? e->name : "?", dev_op_name(k), (unsigned long long)e->req.m,
                        (unsigned long long)e->req.k, u->name, u->model, u->comp, cap);
    }
    return 0;
}

void map_opts_from_driver(sim_t *s, const char *driver, const map_units_t *units, map_opts_t *mo)
{
    const sim_params_t *p = sim_comp_params(sim_comp_find(s, driver));
    map_opts_default(mo);
    mo->stream_weights = sim_param_bool(p, "stream_weights");
    mo->weight_buffers = (int)sim_param_int(p, "weight_buffers");
    mo->kv_cache = sim_param_bool(p, "kv_cache");
    int us = map_units_find(units, MAP_UNIT_SRAM);
    uint64_t size = 0;
    if (us >= 0 && param_u64(sim_comp_find(s, units->unit[us].comp), "size_bytes", &size))
        mo->kv_sram_bytes = size;
}

int map_dram_fit(sim_t *s, const map_units_t *units, const map_schedule_t *sched,
                 const char *spec, char *err, size_t n)
{
    int ud = map_units_find(units, MAP_UNIT_DRAM);
    uint64_t cap = 0;
    if (ud < 0 || !param_u64(sim_comp_find(s, units->unit[ud].comp), "capacity_bytes", &cap))
        return 0;
    uint64_t kv = sched->kv_cache_bytes > 0 && sched->kv_unit == ud ? sched->kv_cache_bytes : 0;
    if (sched->weight_layout_bytes > cap)
        return map_fail(err, n, SIM_ERR_CONFIG,
                    "workload '%s': its weights (%llu bytes) do not fit the dram unit '%s' "
                    "(capacity_bytes %llu); use a smaller --dtype or raise capacity_bytes",
                    spec, (unsigned long long)sched->weight_layout_bytes, units->unit[ud].comp,
                    (unsigned long long)cap);
    if (kv > cap - sched->weight_layout_bytes)
        return map_fail(err, n, SIM_ERR_CONFIG,
                    "workload '%s': its KV cache (%llu bytes for %llu tokens per sequence) does "
                    "not fit the dram unit '%s' beside the weights (%llu of capacity_bytes %llu); "
                    "shorten the context or the batch, or raise capacity_bytes",
                    spec, (unsigned long long)kv, (unsigned long long)sched->kv_tokens,
                    units->unit[ud].comp, (unsigned long long)sched->weight_layout_bytes,
                    (unsigned long long)cap);
    return 0;
}

int map_workload_attach(sim_t *s, const char *spec, const wl_gen_opts_t *opts, char *err, size_t n)
{
    const char *driver = NULL;
    int rc = map_find_driver(s, &driver, err, n);
    if (rc)
        return rc;
    map_units_t units;
    if ((rc = map_units_from_driver(s, driver, &units, err, n)) != 0)
        return rc;
    map_opts_t mo;
    map_opts_from_driver(s, driver, &units, &mo);
    wl_graph_t *g = NULL;
    char werr[512];
    rc = wl_load(spec, opts, &g, werr, sizeof werr);
    if (rc) {
        rc = map_fail(err, n, rc, "%s", werr);
        goto out;
    }
    map_schedule_t *sched = NULL;
    char merr[512];
    rc = map_naive_opts(g, &units, &mo, &sched, merr, sizeof merr);
    wl_graph_destroy(g);
    if (rc) {
        rc = map_fail(err, n, rc, "workload '%s' on schedule_driver '%s': %s", spec, driver, merr);
        goto out;
    }
    /* the weights live in the dram unit: say so now rather than fail mid-run */
    if ((rc = map_dram_fit(s, &units, sched, spec, err, n)) != 0) {
        map_schedule_free(sched);
        goto out;
    }
    /* and every SRAM/buffer access and GEMM tile fits its unit (issue 12) */
    if ((rc = map_capacity_check(s, sched, err, n)) != 0) {
        size_t len = strlen(err);
        snprintf(err + len, n > len ? n - len : 0,
                 "; shrink the workload (--seq, --batch, --dtype) or enlarge the unit (--set)");
        map_schedule_free(sched);
        goto out;
    }
    sched->spec = strdup(spec);
    if (opts)
        sched->wopts = *opts;
    else
        wl_gen_opts_default(&sched->wopts);
    if (!sched->spec) {
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        map_schedule_free(sched);
        goto out;
    }
    if ((rc = map_attach(s, driver, sched, err, n)) != 0)
        map_schedule_free(sched);
out:
    map_units_free(&units);
    return rc;
}
