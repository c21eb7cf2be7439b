/* ONNX import: decodes a ModelProto with the protobuf-c code generated from
 * onnx.proto (ONNX's own schema), infers every tensor's shape following the
 * operator definitions of the ONNX spec (opsets 11-21), folds shape
 * computations (Shape -> Gather -> Concat -> Reshape chains) and emits the
 * runtime ops into the workload IR. Initializer data is never read here;
 * wl_onnx_load_initializer reads it on request (inline or external). */
#include "workloads/wl_int.h"

#include "onnx.pb-c.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FOLD 65536 /* largest tensor whose values are kept for folding */
#define MAX_DIM ((int64_t)1 << 40)    /* largest dimension accepted */
#define MAX_NUMEL ((uint64_t)1 << 50) /* largest product of (non-zero) dimensions */

/* One ONNX value (tensor name) as the importer sees it. */
typedef struct {
    const char *name;   /* owned by the decoded model */
    wl_dtype_t dt;
    int onnx_dt;
    wl_shape_t shape;
    int defined;        /* produced by an initializer, input or earlier node */
    int is_static;      /* computable at import: only initializers/constants upstream */
    int is_weight;      /* a float initializer with more than one element */
    int layout_of;      /* static tensor that is a weight in another layout: index of it, else -1 */
    int from_softmax;   /* derived from a Softmax output by elementwise/layout ops */
    int in_graph;       /* added to the wl graph */
    int layer;          /* block index of the op that produced it, -1 if none */
    int has_val;        /* values known (ival or fval by is_float) */
    int is_float;
    int64_t *ival;
    double *fval;
} val_t;

typedef struct {
    const char *path;
    Onnx__ModelProto *model;
    wl_graph_t *g;
    wl_gen_opts_t opts;
    val_t *vals;
    size_t n_vals, cap_vals;
    uint32_t *hash;
    size_t hash_cap;
    int opset;
    /* consumers: for each value, the nodes reading it (CSR) */
    size_t *cons_start, *cons;
    char *err;
    size_t errlen;
    const Onnx__NodeProto *node; /* node being processed, for messages */
    char node_label[320];
} imp_t;

/* ---- messages ---------------------------------------------------------------- */
static int node_fail(imp_t *im, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int node_fail(imp_t *im, int code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wl_fail(im->err, im->errlen, code, "%s: node %s: %s", im->path, im->node_label, msg);
}

/* ---- value table ------------------------------------------------------------------- */
static uint64_t hstr(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int find_val(const imp_t *im, const char *name)
{
    if (!im->hash_cap)
        return -1;
    size_t mask = im->hash_cap - 1, i = (size_t)hstr(name) & mask;
    while (im->hash[i]) {
        if (strcmp(im->vals[im->hash[i] - 1].name, name) == 0)
            return (int)im->hash[i] - 1;
        i = (i + 1) & mask;
    }
    return -1;
}

/* Returns the index of a new value, or -1 (out of memory / duplicate: message set). */
static int new_val(imp_t *im, const char *name)
{
    if (find_val(im, name) >= 0) {
        wl_fail(im->err, im->errlen, WL_ERR_FORMAT, "%s: tensor '%s' is defined twice", im->path,
                name);
        return -1;
    }
    if (im->n_vals == im->cap_vals) {
        size_t nc = im->cap_vals ? im->cap_vals * 2 : 1024;
        val_t *nv = realloc(im->vals, nc * sizeof *nv);
        if (!nv)
            goto nomem;
        im->vals = nv;
        im->cap_vals = nc;
    }
    if (2 * (im->n_vals + 1) > im->hash_cap) {
        size_t nc = im->hash_cap ? im->hash_cap * 2 : 2048;
        uint32_t *nh = calloc(nc, sizeof *nh);
        if (!nh)
            goto nomem;
        for (size_t i = 0; i < im->n_vals; i++) {
            size_t j = (size_t)hstr(im->vals[i].name) & (nc - 1);
            while (nh[j])
                j = (j + 1) & (nc - 1);
            nh[j] = (uint32_t)(i + 1);
        }
        free(im->hash);
        im->hash = nh;
        im->hash_cap = nc;
    }
    val_t *v = &im->vals[im->n_vals];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->layout_of = -1;
    v->layer = -1;
    size_t j = (size_t)hstr(name) & (im->hash_cap - 1);
    while (im->hash[j])
        j = (j + 1) & (im->hash_cap - 1);
    im->hash[j] = (uint32_t)(im->n_vals + 1);
    return (int)im->n_vals++;
nomem:
    wl_fail(im->err, im->errlen, WL_ERR_NOMEM, "%s: out of memory", im->path);
    return -1;
}

static int map_dtype(int onnx_dt, wl_dtype_t *dt)
{
    switch (onnx_dt) {
    case 1: *dt = WL_DT_F32; return 0;
    case 2: *dt = WL_DT_U8; return 0;
    case 3: *dt = WL_DT_I8; return 0;
    case 4: case 5: *dt = WL_DT_I16; return 0;
    case 6: case 12: *dt = WL_DT_I32; return 0;
    case 7: case 13: *dt = WL_DT_I64; return 0;
    case 9: *dt = WL_DT_BOOL; return 0;
    case 10: *dt = WL_DT_F16; return 0;
    case 11: *dt = WL_DT_F64; return 0;
    case 16: *dt = WL_DT_BF16; return 0;
    default: return -1;
    }
}

static int is_float_onnx(int onnx_dt) { return onnx_dt == 1 || onnx_dt == 10 || onnx_dt == 11 || onnx_dt == 16; }

static void free_vals(val_t *v)
{
    free(v->ival);
    free(v->fval);
    v->ival = NULL;
    v->fval = NULL;
    v->has_val = 0;
}

/* Allocates value storage for n elements of v (per v->is_float). */
static int alloc_vals(val_t *v, size_t n)
{
    free_vals(v);
    if (v->is_float)
        v->fval = calloc(n ? n : 1, sizeof *v->fval);
    else
        v->ival = calloc(n ? n : 1, sizeof *v->ival);
    if (!v->fval && !v->ival)
        return -1;
    v->has_val = 1;
    return 0;
}

static double getf(const val_t *v, size_t i) { return v->is_float ? v->fval[i] : (double)v->ival[i]; }
/* double -> int64 without undefined behaviour: NaN is 0, out of range saturates */
static int64_t d2i(double d)
{
    if (d != d)
        return 0;
    if (d >= 9.2e18)
        return INT64_MAX;
    if (d <= -9.2e18)
        return INT64_MIN;
    return (int64_t)d;
}
static int64_t geti(const val_t *v, size_t i) { return v->is_float ? d2i(v->fval[i]) : v->ival[i]; }

/* 1 if every dim is in [0, MAX_DIM] and the product of the non-zero dims is
 * at most MAX_NUMEL, so that no product of dims can overflow. */
static int shape_ok(const wl_shape_t *s)
{
    uint64_t p = 1;
    if (s->rank < 0 || s->rank > WL_MAX_RANK)
        return 0;
    for (int i = 0; i < s->rank; i++) {
        if (s->dim[i] < 0 || s->dim[i] > MAX_DIM)
            return 0;
        if (s->dim[i] > 1) {
            if (p > MAX_NUMEL / (uint64_t)s->dim[i])
                return 0;
            p *= (uint64_t)s->dim[i];
        }
    }
    return 1;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float f;
    if (exp == 0)
        f = ldexpf((float)man, -24);
    else if (exp == 31)
        f = man ? NAN : INFINITY;
    else
        f = ldexpf((float)(man | 0x400), (int)exp - 25);
    return sign ? -f : f;
}

/* Loads the values of a small inline tensor into v (no-op if external/large). */
static int load_tensor_values(val_t *v, const Onnx__TensorProto *t)
{
    uint64_t n = wl_shape_numel(&v->shape);
    if (n > MAX_FOLD || (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
        return 0;
    int dt = t->data_type;
    v->is_float = is_float_onnx(dt);
    size_t es = wl_dtype_size(v->dt);
    if (t->has_raw_data) {
        if (t->raw_data.len != n * es)
            return -2;
        if (alloc_vals(v, n))
            return -1;
        const unsigned char *p = t->raw_data.data;
        for (size_t i = 0; i < n; i++, p += es) {
            switch (dt) {
            case 1: { float f; memcpy(&f, p, 4); v->fval[i] = f; break; }
            case 11: { double d; memcpy(&d, p, 8); v->fval[i] = d; break; }
            case 10: { uint16_t h; memcpy(&h, p, 2); v->fval[i] = half_to_float(h); break; }
            case 16: { uint32_t u = (uint32_t)(p[0] | (p[1] << 8)) << 16; float f; memcpy(&f, &u, 4); v->fval[i] = f; break; }
            case 7: case 13: { int64_t x; memcpy(&x, p, 8); v->ival[i] = x; break; }
            case 6: { int32_t x; memcpy(&x, p, 4); v->ival[i] = x; break; }
            case 12: { uint32_t x; memcpy(&x, p, 4); v->ival[i] = x; break; }
            case 5: { int16_t x; memcpy(&x, p, 2); v->ival[i] = x; break; }
            case 4: { uint16_t x; memcpy(&x, p, 2); v->ival[i] = x; break; }
            case 3: v->ival[i] = (int8_t)p[0]; break;
            case 2: case 9: v->ival[i] = p[0]; break;
            default: free_vals(v); return 0;
            }
        }
        return 0;
    }
    if (n == 0)
        return alloc_vals(v, 0);
    if (t->n_float_data == n) {
        if (alloc_vals(v, n))
            return -1;
        for (size_t i = 0; i < n; i++)
            v->fval[i] = t->float_data[i];
    } else if (t->n_double_data == n) {
        if (alloc_vals(v, n))
            return -1;
        for (size_t i = 0; i < n; i++)
            v->fval[i] = t->double_data[i];
    } else if (t->n_int64_data == n) {
        if (alloc_vals(v, n))
            return -1;
        for (size_t i = 0; i < n; i++)
            v->ival[i] = t->int64_data[i];
    } else if (t->n_int32_data == n && !v->is_float) {
        if (alloc_vals(v, n))
            return -1;
        for (size_t i = 0; i < n; i++)
            v->ival[i] = t->int32_data[i];
    } else if (t->n_uint64_data == n) {
        if (alloc_vals(v, n))
            return -1;
        for (size_t i = 0; i < n; i++)
            v->ival[i] = (int64_t)t->uint64_data[i];
    } else if (t->n_int32_data == n && dt == 10) { /* f16 stored as int32 bits */
        if (alloc_vals(v, n))
            return -1;
        for (size_t i = 0; i < n; i++)
            v->fval[i] = half_to_float((uint16_t)t->int32_data[i]);
    }
    return 0;
}

/* Defines value `name` from a TensorProto (initializer or Constant). */
static int define_tensor(imp_t *im, const char *name, const Onnx__TensorProto *t, int initializer)
{
    wl_dtype_t dt;
    if (t->n_dims > WL_MAX_RANK)
        return wl_fail(im->err, im->errlen, WL_ERR_UNSUPPORTED,
                       "%s: tensor '%s' has rank %zu (at most %d supported)", im->path, name,
                       t->n_dims, WL_MAX_RANK);
    if (map_dtype(t->data_type, &dt))
        return wl_fail(im->err, im->errlen, WL_ERR_UNSUPPORTED,
                       "%s: tensor '%s' has ONNX data type %d, which prism does not handle",
                       im->path, name, (int)t->data_type);
    int vi = new_val(im, name);
    if (vi < 0)
        return WL_ERR_FORMAT;
    val_t *v = &im->vals[vi];
    v->dt = dt;
    v->onnx_dt = t->data_type;
    v->shape.rank = (int)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0)
            return wl_fail(im->err, im->errlen, WL_ERR_FORMAT,
                           "%s: tensor '%s' has negative dimension %lld", im->path, name,
                           (long long)t->dims[i]);
        v->shape.dim[i] = t->dims[i];
    }
    if (!shape_ok(&v->shape))
        return wl_fail(im->err, im->errlen, WL_ERR_FORMAT, "%s: tensor '%s' has dimensions out of range",
                       im->path, name);
    v->defined = 1;
    v->is_static = 1;
    v->is_float = is_float_onnx(t->data_type);
    /* weights: float initializers, and int8/uint8 ones (quantized weights) */
    v->is_weight = initializer && (v->is_float || dt == WL_DT_I8 || dt == WL_DT_U8) &&
                   wl_shape_numel(&v->shape) > 1;
    int rc = load_tensor_values(v, t);
    if (rc == -1)
        return wl_fail(im->err, im->errlen, WL_ERR_NOMEM, "%s: out of memory", im->path);
    if (rc == -2)
        return wl_fail(im->err, im->errlen, WL_ERR_FORMAT,
                       "%s: tensor '%s' has %zu bytes of raw data, its shape needs %llu", im->path,
                       name, t->raw_data.len,
                       (unsigned long long)(wl_shape_numel(&v->shape) * wl_dtype_size(dt)));
    return WL_OK;
}

/* ---- attributes ---------------------------------------------------------------------- */
static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0)
            return n->attribute[i];
    return NULL;
}

static int64_t attr_i(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return (a && a->has_i) ? a->i : (a && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) ? a->i : def;
}

/* A 0/1 flag attribute (ceil_mode, transA, transB, keepdims, allowzero, ...):
 * 0 and the flag in *out, or a node error for any other value (ceil_mode=7
 * used to count as true). */
static int attr_flag(imp_t *im, const Onnx__NodeProto *n, const char *name, int def, int *out)
{
    int64_t v = attr_i(n, name, def);
    *out = def;
    if (v != 0 && v != 1)
        return node_fail(im, WL_ERR_FORMAT, "attribute %s is %lld; it must be 0 or 1", name,
                         (long long)v);
    *out = (int)v;
    return 0;
}

/* ints attribute: returns count (0 if absent), copies up to max. */
static size_t attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, size_t max)
{
    const Onnx__AttributeProto *a = attr(n, name);
    if (!a)
        return 0;
    for (size_t i = 0; i < a->n_ints && i < max; i++)
        out[i] = a->ints[i];
    return a->n_ints;
}

static int attr_s(const Onnx__NodeProto *n, const char *name, char *out, size_t len)
{
    const Onnx__AttributeProto *a = attr(n, name);
    if (!a || !a->has_s)
        return 0;
    size_t l = a->s.len < len - 1 ? a->s.len : len - 1;
    memcpy(out, a->s.data, l);
    out[l] = 0;
    return 1;
}

/* ---- shape helpers -------------------------------------------------------------------- */
static int norm_axis(int64_t axis, int rank, int *out)
{
    if (axis < 0)
        axis += rank;
    if (axis < 0 || axis >= (rank ? rank : 1))
        return -1;
    *out = (int)axis;
    return 0;
}

static int broadcast(const wl_shape_t *a, const wl_shape_t *b, wl_shape_t *out)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    wl_shape_t res = {.rank = r};
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->dim[ia] : 1, db = ib >= 0 ? b->dim[ib] : 1;
        if (da == db || db == 1)
            res.dim[i] = da;
        else if (da == 1)
            res.dim[i] = db;
        else
            return -1;
    }
    *out = res; /* out may alias a or b */
    return 0;
}

/* Offset into a tensor of shape `in` broadcast to `out` for linear output index. */
static size_t bcast_index(const wl_shape_t *out, const wl_shape_t *in, size_t lin)
{
    size_t off = 0, stride = 1;
    for (int i = out->rank - 1; i >= 0; i--) {
        size_t coord = (size_t)(lin % (uint64_t)out->dim[i]);
        lin /= (size_t)out->dim[i];
        int ii = i - (out->rank - in->rank);
        if (ii >= 0) {
            if (in->dim[ii] != 1)
                off += coord * stride;
            stride *= (size_t)in->dim[ii];
        }
    }
    return off;
}

static const char *shs(const wl_shape_t *s, char *buf, size_t len) { return wl_shape_str(s, buf, len); }

/* ---- per-node context ------------------------------------------------------------------- */
typedef struct {
    int nin, nout;
    int in[16];   /* value index per input, -1 for absent optional */
    int out[16];
    const char *op;
} nctx_t;

static val_t *IN(imp_t *im, nctx_t *c, int i) { return (i < c->nin && c->in[i] >= 0) ? &im->vals[c->in[i]] : NULL; }
static val_t *OUT(imp_t *im, nctx_t *c, int i) { return (i < c->nout && c->out[i] >= 0) ? &im->vals[c->out[i]] : NULL; }

static int need_in(imp_t *im, nctx_t *c, int n)
{
    for (int i = 0; i < n; i++)
        if (!IN(im, c, i))
            return node_fail(im, WL_ERR_FORMAT, "needs at least %d inputs, input %d is missing", n, i + 1);
    return 0;
}

/* Values of input i as int64s (must be known). */
static int in_ints(imp_t *im, nctx_t *c, int i, const char *what, int64_t **vals, size_t *n)
{
    val_t *v = IN(im, c, i);
    if (!v)
        return node_fail(im, WL_ERR_FORMAT, "input %d (%s) is missing", i + 1, what);
    if (!v->has_val)
        return node_fail(im, WL_ERR_UNSUPPORTED,
                         "%s ('%s') is not a constant that can be computed at import", what, v->name);
    size_t cnt = (size_t)wl_shape_numel(&v->shape);
    int64_t *o = malloc((cnt ? cnt : 1) * sizeof *o);
    if (!o)
        return node_fail(im, WL_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < cnt; k++)
        o[k] = geti(v, k);
    *vals = o;
    *n = cnt;
    return 0;
}

static void set_out(val_t *o, wl_dtype_t dt, int onnx_dt, const wl_shape_t *s)
{
    o->dt = dt;
    o->onnx_dt = onnx_dt;
    o->shape = *s;
    o->is_float = is_float_onnx(onnx_dt);
}

static void same_as(val_t *o, const val_t *x) { set_out(o, x->dt, x->onnx_dt, &x->shape); }

static int in_list(const char *op, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(op, *list))
            return 1;
    return 0;
}

/* ---- folding ------------------------------------------------------------------------------- */
static int fold_ok(const val_t *o) { return shape_ok(&o->shape) && wl_shape_numel(&o->shape) <= MAX_FOLD; }

/* Elementwise folding of op over inputs (all with values). */
static int fold_elementwise(imp_t *im, nctx_t *c, val_t *o)
{
    int n = c->nin;
    for (int i = 0; i < n; i++)
        if (!IN(im, c, i) || !IN(im, c, i)->has_val)
            return 0;
    if (!fold_ok(o))
        return 0;
    if (alloc_vals(o, wl_shape_numel(&o->shape)))
        return node_fail(im, WL_ERR_NOMEM, "out of memory");
    size_t cnt = (size_t)wl_shape_numel(&o->shape);
    const char *op = c->op;
    for (size_t k = 0; k < cnt; k++) {
        val_t *a = IN(im, c, 0), *b = n > 1 ? IN(im, c, 1) : NULL, *d = n > 2 ? IN(im, c, 2) : NULL;
        size_t ia = bcast_index(&o->shape, &a->shape, k);
        size_t ib = b ? bcast_index(&o->shape, &b->shape, k) : 0;
        size_t id = d ? bcast_index(&o->shape, &d->shape, k) : 0;
        double x = getf(a, ia), y = b ? getf(b, ib) : 0, r = 0;
        int64_t xi = geti(a, ia), yi = b ? geti(b, ib) : 0, ri = 0;
        int integer = !a->is_float && (!b || !b->is_float);
        int ovf = 0;
        if (!strcmp(op, "Add")) r = x + y, ovf = __builtin_add_overflow(xi, yi, &ri);
        else if (!strcmp(op, "Sub")) r = x - y, ovf = __builtin_sub_overflow(xi, yi, &ri);
        else if (!strcmp(op, "Mul")) r = x * y, ovf = __builtin_mul_overflow(xi, yi, &ri);
        else if (!strcmp(op, "Div")) {
            r = x / y;
            if (integer && (yi == 0 || (yi == -1 && xi == INT64_MIN))) {
                free_vals(o);
                return node_fail(im, WL_ERR_FORMAT, "integer division by %lld while folding", (long long)yi);
            }
            ri = integer ? xi / yi : 0;
        } else if (!strcmp(op, "Mod")) {
            if (integer && (yi == 0 || yi == -1)) {
                ri = 0;
                if (yi == 0) {
                    free_vals(o);
                    return node_fail(im, WL_ERR_FORMAT, "integer modulo by zero while folding");
                }
            } else
                ri = integer ? xi % yi : 0;
            r = fmod(x, y);
        } else if (!strcmp(op, "Pow")) r = pow(x, y), ri = d2i(pow(x, y));
        else if (!strcmp(op, "Max")) r = x > y ? x : y, ri = xi > yi ? xi : yi;
        else if (!strcmp(op, "Min")) r = x < y ? x : y, ri = xi < yi ? xi : yi;
        else if (!strcmp(op, "Equal")) ri = integer ? xi == yi : x == y;
        else if (!strcmp(op, "Less")) ri = integer ? xi < yi : x < y;
        else if (!strcmp(op, "LessOrEqual")) ri = integer ? xi <= yi : x <= y;
        else if (!strcmp(op, "Greater")) ri = integer ? xi > yi : x > y;
        else if (!strcmp(op, "GreaterOrEqual")) ri = integer ? xi >= yi : x >= y;
        else if (!strcmp(op, "And")) ri = xi && yi;
        else if (!strcmp(op, "Or")) ri = xi || yi;
        else if (!strcmp(op, "Xor")) ri = (!!xi) ^ (!!yi);
        else if (!strcmp(op, "Not")) ri = !xi;
        else if (!strcmp(op, "Neg")) r = -x, ovf = __builtin_sub_overflow((int64_t)0, xi, &ri);
        else if (!strcmp(op, "Abs")) r = fabs(x), ovf = xi < 0 ? __builtin_sub_overflow((int64_t)0, xi, &ri) : (ri = xi, 0);
        else if (!strcmp(op, "Sqrt")) r = sqrt(x);
        else if (!strcmp(op, "Reciprocal")) r = 1.0 / x;
        else if (!strcmp(op, "Floor")) r = floor(x), ri = xi;
        else if (!strcmp(op, "Ceil")) r = ceil(x), ri = xi;
        else if (!strcmp(op, "Identity") || !strcmp(op, "Cast") || !strcmp(op, "CastLike")) r = x, ri = xi;
        else if (!strcmp(op, "Where")) {
            r = xi ? getf(b, ib) : getf(d, id);
            ri = xi ? geti(b, ib) : geti(d, id);
        } else {
            free_vals(o);
            return 0;
        }
        if (ovf && integer) {
            free_vals(o);
            return node_fail(im, WL_ERR_FORMAT, "integer overflow while folding");
        }
        int copy = !strcmp(op, "Identity") || !strcmp(op, "Cast") || !strcmp(op, "CastLike");
        int logical = in_list(op, (const char *const[]){"Equal", "Less", "LessOrEqual", "Greater",
            "GreaterOrEqual", "And", "Or", "Xor", "Not", "Where", NULL});
        if (o->is_float)
            o->fval[k] = copy ? x : r;
        else if (copy)
            o->ival[k] = a->is_float ? d2i(x) : xi;
        else if (logical || integer)
            o->ival[k] = ri;
        else
            o->ival[k] = d2i(r);
        if (o->dt == WL_DT_BOOL && !o->is_float)
            o->ival[k] = o->ival[k] != 0;
    }
    return 0;
}

/* ---- shape inference per operator ------------------------------------------------------------- */
enum { EMIT_NONE, EMIT_OP };

typedef struct {
    wl_opkind_t kind;
    uint64_t m, k, n, count;
    int a_is_weight, b_is_weight;
    int weight_in, bias_in; /* input index of weight / bias, -1 if none */
    wl_conv_t conv;
} emit_t;

static int is_op(const nctx_t *c, const char *name) { return strcmp(c->op, name) == 0; }

static const char *const UNARY_ACT[] = {"Relu", "Gelu", "Erf", "Tanh", "Sigmoid", "Exp", "Log", "Sqrt",
    "Reciprocal", "Neg", "Abs", "LeakyRelu", "Elu", "Selu", "HardSigmoid", "HardSwish", "Softplus",
    "Softsign", "Clip", "Sin", "Cos", "Mish", "Celu", "Floor", "Ceil", "Round", "Sign", "Tan",
    "Asin", "Acos", "Atan", "Sinh", "Cosh", "ThresholdedRelu", "Shrink", "QuickGelu", "FastGelu",
    NULL};
static const char *const UNARY_ELEM[] = {"IsNaN", "IsInf", "Not", "Identity", "Cast", "CastLike",
    "Dropout", NULL};
static const char *const BINARY[] = {"Add", "Sub", "Mul", "Div", "Pow", "Mod", "Equal", "Less",
    "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor", "BitShift", "PRelu", "Max",
    "Min", "Sum", "Mean", "Where", NULL};

static int cast_to(imp_t *im, int onnx_dt, wl_dtype_t *dt)
{
    if (map_dtype(onnx_dt, dt))
        return node_fail(im, WL_ERR_UNSUPPORTED, "casts to ONNX data type %d, which prism does not handle", onnx_dt);
    return 0;
}

static int infer_conv_like(imp_t *im, nctx_t *c, const val_t *x, int nsp, const int64_t *kernel,
                           int64_t out_ch, emit_t *e, int is_pool)
{
    const Onnx__NodeProto *n = im->node;
    int64_t strides[3] = {1, 1, 1}, dil[3] = {1, 1, 1}, pads[6] = {0};
    size_t ns = attr_ints(n, "strides", strides, 3), nd = attr_ints(n, "dilations", dil, 3);
    size_t np = attr_ints(n, "pads", pads, 6);
    if ((ns && ns != (size_t)nsp) || (nd && nd != (size_t)nsp) || (np && np != (size_t)(2 * nsp)))
        return node_fail(im, WL_ERR_FORMAT, "strides/dilations/pads do not match %d spatial dims", nsp);
    char ap[32] = "NOTSET";
    attr_s(n, "auto_pad", ap, sizeof ap);
    int ceil_mode = 0;
    if (is_pool && attr_flag(im, n, "ceil_mode", 0, &ceil_mode))
        return WL_ERR_FORMAT;
    wl_shape_t os = x->shape;
    os.dim[1] = out_ch;
    for (int i = 0; i < nsp; i++) {
        int64_t in = x->shape.dim[2 + i], k = kernel[i], s = strides[i], d = dil[i];
        /* the IR holds them as int: above INT_MAX they were truncated while the
         * output size used the real value */
        if (s <= 0 || d <= 0 || k <= 0 || s > INT_MAX || d > INT_MAX || k > INT_MAX)
            return node_fail(im, WL_ERR_FORMAT, "kernel, stride and dilation must be in 1..2^31-1");
        if (pads[i] < 0 || pads[i + nsp] < 0 || pads[i] > INT_MAX || pads[i + nsp] > INT_MAX)
            return node_fail(im, WL_ERR_FORMAT, "pads must be in 0..2^31-1");
        if ((k - 1) > MAX_DIM / d)
            return node_fail(im, WL_ERR_FORMAT, "dilated kernel is too large");
        int64_t ek = (k - 1) * d + 1, out;
        if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
            out = (in + s - 1) / s;
            int64_t total = (out - 1) * s + ek - in;
            if (total < 0)
                total = 0;
            int64_t small = total / 2, big = total - small;
            pads[i] = !strcmp(ap, "SAME_UPPER") ? small : big;
            pads[i + nsp] = total - pads[i];
        } else if (!strcmp(ap, "VALID")) {
            pads[i] = pads[i + nsp] = 0;
            out = (in - ek) / s + 1;
        } else {
            int64_t span = in + pads[i] + pads[i + nsp] - ek;
            if (span < 0)
                return node_fail(im, WL_ERR_FORMAT, "kernel %lld exceeds padded input %lld",
                                 (long long)ek, (long long)(in + pads[i] + pads[i + nsp]));
            out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
            if (ceil_mode && (out - 1) * s >= in + pads[i])
                out--;
        }
        if (out <= 0)
            return node_fail(im, WL_ERR_FORMAT, "output spatial size is %lld", (long long)out);
        os.dim[2 + i] = out;
    }
    set_out(OUT(im, c, 0), x->dt, x->onnx_dt, &os);
    int h = nsp >= 2 ? 0 : -1, w = nsp >= 2 ? 1 : 0;
    e->conv.kernel_h = h >= 0 ? (int)kernel[h] : 1;
    e->conv.kernel_w = (int)kernel[w];
    e->conv.stride_h = h >= 0 ? (int)strides[h] : 1;
    e->conv.stride_w = (int)strides[w];
    e->conv.dilation_h = h >= 0 ? (int)dil[h] : 1;
    e->conv.dilation_w = (int)dil[w];
    e->conv.pad_top = h >= 0 ? (int)pads[h] : 0;
    e->conv.pad_bottom = h >= 0 ? (int)pads[h + nsp] : 0;
    e->conv.pad_left = (int)pads[w];
    e->conv.pad_right = (int)pads[w + nsp];
    e->conv.groups = 1;
    return 0;
}

/* ---- shape inference: one function per operator (or family), found by name
 * in OP_RULES below, as the model registry finds a built-in model. Every
 * function starts from the same locals: */
/* A constant input 0 folds into o unchanged (Identity on input 0 alone);
 * in_x_shape: fold it in x's own shape, o then takes its shape back (the
 * element order is the same: reshape, squeeze). */
static int fold_copy(imp_t *im, nctx_t *c, const val_t *x, val_t *o, int in_x_shape)
{
    if (!x->has_val || !fold_ok(o))
        return 0;
    nctx_t c1 = *c;
    c1.nin = 1;
    c1.op = "Identity";
    if (!in_x_shape)
        return fold_elementwise(im, &c1, o);
    wl_shape_t keep = o->shape;
    o->shape = x->shape;
    int rc = fold_elementwise(im, &c1, o);
    o->shape = keep;
    return rc;
}

/* The axes of Squeeze, Unsqueeze and Reduce*: input 1 when given, else the
 * `axes` attribute; at most WL_MAX_RANK of them into axes[]. */
static int axes_of(imp_t *im, nctx_t *c, int64_t *axes, size_t *na)
{
    if (IN(im, c, 1)) {
        int64_t *av;
        int rc = in_ints(im, c, 1, "axes", &av, na);
        if (rc) return rc;
        if (*na > WL_MAX_RANK) { free(av); return node_fail(im, WL_ERR_UNSUPPORTED, "too many axes"); }
        memcpy(axes, av, *na * sizeof *axes);
        free(av);
    } else
        *na = attr_ints(im->node, "axes", axes, WL_MAX_RANK);
    if (*na > WL_MAX_RANK)
        return node_fail(im, WL_ERR_UNSUPPORTED, "too many axes");
    return 0;
}

#define INFER_BEGIN(needs_input)                                                                   \
    const Onnx__NodeProto *n = im->node;                                                           \
    val_t *x = IN(im, c, 0), *o = OUT(im, c, 0);                                                   \
    char b1[96], b2[96];                                                                           \
    int rc = 0;                                                                                    \
    (void)n, (void)x, (void)o, (void)b1, (void)b2, (void)rc, (void)e;                              \
    if ((needs_input) && (rc = need_in(im, c, 1)))                                                 \
    return rc
/* needs_input: every operator but Constant and ConstantOfShape reads input 0 */

/* Constant */
static int infer_constant(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(0);
    const Onnx__AttributeProto *a = attr(n, "value");
    if (a && a->t) {
        Onnx__TensorProto *t = a->t;
        wl_dtype_t dt;
        if (map_dtype(t->data_type, &dt))
            return node_fail(im, WL_ERR_UNSUPPORTED, "constant of ONNX data type %d", (int)t->data_type);
        if (t->n_dims > WL_MAX_RANK)
            return node_fail(im, WL_ERR_UNSUPPORTED, "constant of rank %zu", t->n_dims);
        wl_shape_t s = {.rank = (int)t->n_dims};
        for (size_t i = 0; i < t->n_dims; i++)
            s.dim[i] = t->dims[i];
        if (!shape_ok(&s))
            return node_fail(im, WL_ERR_FORMAT, "constant has dimensions out of range");
        set_out(o, dt, t->data_type, &s);
        int lr = load_tensor_values(o, t);
        if (lr == -1)
            return node_fail(im, WL_ERR_NOMEM, "out of memory");
        if (lr == -2)
            return node_fail(im, WL_ERR_FORMAT, "constant's raw data does not match its shape");
        return EMIT_NONE;
    }
    const Onnx__AttributeProto *vi = attr(n, "value_int"), *vis = attr(n, "value_ints");
    const Onnx__AttributeProto *vf = attr(n, "value_float"), *vfs = attr(n, "value_floats");
    wl_shape_t s = {0};
    if (vi) {
        set_out(o, WL_DT_I64, 7, &s);
        if (alloc_vals(o, 1)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
        o->ival[0] = vi->i;
    } else if (vis) {
        s.rank = 1, s.dim[0] = (int64_t)vis->n_ints;
        set_out(o, WL_DT_I64, 7, &s);
        if (alloc_vals(o, vis->n_ints)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < vis->n_ints; i++) o->ival[i] = vis->ints[i];
    } else if (vf) {
        set_out(o, WL_DT_F32, 1, &s);
        if (alloc_vals(o, 1)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
        o->fval[0] = vf->f;
    } else if (vfs) {
        s.rank = 1, s.dim[0] = (int64_t)vfs->n_floats;
        set_out(o, WL_DT_F32, 1, &s);
        if (alloc_vals(o, vfs->n_floats)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < vfs->n_floats; i++) o->fval[i] = vfs->floats[i];
    } else
        return node_fail(im, WL_ERR_UNSUPPORTED, "Constant without a tensor, int(s) or float(s) value");
    return EMIT_NONE;
}

/* ConstantOfShape */
static int infer_constant_of_shape(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(0);
    int64_t *dims; size_t nd;
    if ((rc = in_ints(im, c, 0, "the shape", &dims, &nd))) return rc;
    wl_shape_t s = {.rank = (int)nd};
    if (nd > WL_MAX_RANK) { free(dims); return node_fail(im, WL_ERR_UNSUPPORTED, "rank %zu", nd); }
    for (size_t i = 0; i < nd; i++) s.dim[i] = dims[i];
    free(dims);
    const Onnx__AttributeProto *a = attr(n, "value");
    int odt = (a && a->t) ? a->t->data_type : 1;
    wl_dtype_t dt;
    if ((rc = cast_to(im, odt, &dt))) return rc;
    set_out(o, dt, odt, &s);
    if (fold_ok(o)) {
        val_t tmp = {0};
        tmp.dt = dt;
        tmp.shape.rank = 1;
        tmp.shape.dim[0] = 1;
        double fv = 0;
        int64_t iv = 0;
        if (a && a->t && load_tensor_values(&tmp, a->t) == 0 && tmp.has_val) {
            fv = getf(&tmp, 0);
            iv = geti(&tmp, 0);
        }
        free_vals(&tmp);
        size_t cnt = (size_t)wl_shape_numel(&s);
        if (alloc_vals(o, cnt)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < cnt; i++) {
            if (o->is_float) o->fval[i] = fv;
            else o->ival[i] = iv;
        }
    }
    return EMIT_NONE;
}

/* Shape */
static int infer_shape(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int r = x->shape.rank;
    int64_t st = attr_i(n, "start", 0), en = attr_i(n, "end", r);
    if (st < 0) st += r;
    if (en < 0) en += r;
    st = st < 0 ? 0 : st > r ? r : st;
    en = en < 0 ? 0 : en > r ? r : en;
    if (en < st) en = st;
    wl_shape_t s = {.rank = 1, .dim = {en - st}};
    set_out(o, WL_DT_I64, 7, &s);
    if (alloc_vals(o, (size_t)(en - st))) return node_fail(im, WL_ERR_NOMEM, "out of memory");
    for (int64_t i = st; i < en; i++) o->ival[i - st] = x->shape.dim[i];
    o->is_static = 1;
    return EMIT_NONE;
}

/* Size */
static int infer_size(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    wl_shape_t s = {0};
    set_out(o, WL_DT_I64, 7, &s);
    if (alloc_vals(o, 1)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
    o->ival[0] = (int64_t)wl_shape_numel(&x->shape);
    o->is_static = 1;
    return EMIT_NONE;
}

/* UNARY_ACT and UNARY_ELEM (the lists above) */
static int infer_unary(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    wl_dtype_t dt = x->dt;
    int odt = x->onnx_dt;
    if (is_op(c, "Cast")) {
        odt = (int)attr_i(n, "to", 1);
        if ((rc = cast_to(im, odt, &dt))) return rc;
    } else if (is_op(c, "CastLike")) {
        if ((rc = need_in(im, c, 2))) return rc;
        dt = IN(im, c, 1)->dt, odt = IN(im, c, 1)->onnx_dt;
    } else if (is_op(c, "IsNaN") || is_op(c, "IsInf") || is_op(c, "Not")) {
        dt = WL_DT_BOOL, odt = 9;
    }
    set_out(o, dt, odt, &x->shape);
    if (is_op(c, "Dropout") && OUT(im, c, 1)) {
        set_out(OUT(im, c, 1), WL_DT_BOOL, 9, &x->shape);
    }
    if (is_op(c, "Clip") || is_op(c, "CastLike") || is_op(c, "Dropout")) {
        /* extra inputs are parameters; fold on the data input only */
        nctx_t c1 = *c;
        c1.nin = 1;
        if ((rc = fold_elementwise(im, &c1, o))) return rc;
    } else if ((rc = fold_elementwise(im, c, o)))
        return rc;
    if (is_op(c, "Identity") || is_op(c, "Dropout"))
        e->kind = WL_OP_RESHAPE;
    else
        e->kind = in_list(c->op, UNARY_ACT) ? WL_OP_ACTIVATION : WL_OP_ELEMENTWISE;
    return EMIT_OP;
}

/* BINARY (the lists above) */
static int infer_binary(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    wl_shape_t s = x->shape;
    int first = is_op(c, "Where") ? 1 : 0;
    if (is_op(c, "Where")) {
        if ((rc = need_in(im, c, 3))) return rc;
    }
    if (!is_op(c, "Where") && !is_op(c, "Max") && !is_op(c, "Min") && !is_op(c, "Sum") &&
        !is_op(c, "Mean") && (rc = need_in(im, c, 2)))
        return rc;
    for (int i = 1; i < c->nin; i++) {
        val_t *y = IN(im, c, i);
        if (!y) continue;
        if (broadcast(&s, &y->shape, &s))
            return node_fail(im, WL_ERR_FORMAT, "shapes %s and %s do not broadcast",
                             shs(&x->shape, b1, sizeof b1), shs(&y->shape, b2, sizeof b2));
    }
    val_t *ty = IN(im, c, first);
    wl_dtype_t dt = ty->dt;
    int odt = ty->onnx_dt;
    if (in_list(c->op, (const char *const[]){"Equal", "Less", "LessOrEqual", "Greater",
                                            "GreaterOrEqual", "And", "Or", "Xor", NULL}))
        dt = WL_DT_BOOL, odt = 9;
    set_out(o, dt, odt, &s);
    if ((rc = fold_elementwise(im, c, o))) return rc;
    e->kind = WL_OP_ELEMENTWISE;
    return EMIT_OP;
}

/* Operators whose output has input 0's type and shape; only the op kind
 * differs between them. */
static int infer_same_shape(imp_t *im, nctx_t *c, emit_t *e, wl_opkind_t kind)
{
    INFER_BEGIN(1);
    same_as(o, x);
    e->kind = kind;
    return EMIT_OP;
}

/* Softmax, LogSoftmax */
static int infer_softmax(imp_t *im, nctx_t *c, emit_t *e)
{
    return infer_same_shape(im, c, e, WL_OP_SOFTMAX);
}

/* Trilu, CumSum */
static int infer_trilu(imp_t *im, nctx_t *c, emit_t *e)
{
    return infer_same_shape(im, c, e, is_op(c, "CumSum") ? WL_OP_REDUCE : WL_OP_ELEMENTWISE);
}

/* ScatterND, ScatterElements, Scatter */
static int infer_scatter_n_d(imp_t *im, nctx_t *c, emit_t *e)
{
    return infer_same_shape(im, c, e, WL_OP_COPY);
}

/* LayerNormalization, SimplifiedLayerNormalization, RMSNormalization, SkipLayerNormalization */
static int infer_layer_normalization(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    same_as(o, x);
    int axis;
    if (norm_axis(attr_i(n, "axis", -1), x->shape.rank, &axis))
        return node_fail(im, WL_ERR_FORMAT, "axis out of range for rank %d", x->shape.rank);
    wl_shape_t st = x->shape;
    for (int i = axis; i < st.rank; i++) st.dim[i] = 1;
    for (int i = 1; i < c->nout; i++)
        if (OUT(im, c, i)) set_out(OUT(im, c, i), WL_DT_F32, 1, &st);
    e->kind = is_op(c, "LayerNormalization") ? WL_OP_LAYERNORM : WL_OP_RMSNORM;
    e->weight_in = 1;
    e->bias_in = is_op(c, "LayerNormalization") ? 2 : -1;
    return EMIT_OP;
}

/* BatchNormalization, InstanceNormalization, GroupNormalization */
static int infer_batch_normalization(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    same_as(o, x);
    e->kind = WL_OP_BATCHNORM;
    e->weight_in = 1;
    e->bias_in = 2;
    return EMIT_OP;
}

/* MatMul */
static int infer_mat_mul(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    if ((rc = need_in(im, c, 2))) return rc;
    val_t *y = IN(im, c, 1);
    wl_shape_t a = x->shape, bsh = y->shape;
    if (a.rank == 0 || bsh.rank == 0)
        return node_fail(im, WL_ERR_FORMAT, "MatMul of a scalar");
    int a1 = a.rank == 1, b1d = bsh.rank == 1;
    if (a1) { a.rank = 2; a.dim[1] = a.dim[0]; a.dim[0] = 1; }
    if (b1d) { bsh.rank = 2; bsh.dim[1] = 1; }
    int64_t M = a.dim[a.rank - 2], K = a.dim[a.rank - 1], K2 = bsh.dim[bsh.rank - 2], N = bsh.dim[bsh.rank - 1];
    if (K != K2)
        return node_fail(im, WL_ERR_FORMAT, "inner dimensions differ: %s x %s",
                         shs(&x->shape, b1, sizeof b1), shs(&y->shape, b2, sizeof b2));
    wl_shape_t ba = {.rank = a.rank - 2}, bb = {.rank = bsh.rank - 2}, bo;
    for (int i = 0; i < ba.rank; i++) ba.dim[i] = a.dim[i];
    for (int i = 0; i < bb.rank; i++) bb.dim[i] = bsh.dim[i];
    if (broadcast(&ba, &bb, &bo))
        return node_fail(im, WL_ERR_FORMAT, "batch dimensions do not broadcast: %s x %s",
                         shs(&x->shape, b1, sizeof b1), shs(&y->shape, b2, sizeof b2));
    wl_shape_t os = bo;
    if (!a1) os.dim[os.rank++] = M;
    if (!b1d) os.dim[os.rank++] = N;
    if (os.rank > WL_MAX_RANK)
        return node_fail(im, WL_ERR_UNSUPPORTED, "rank too large");
    set_out(o, x->dt, x->onnx_dt, &os);
    uint64_t batch = wl_shape_numel(&bo);
    e->kind = WL_OP_MATMUL;
    int wa = x->is_static && (x->is_weight || x->layout_of >= 0);
    int wb = y->is_static && (y->is_weight || y->layout_of >= 0);
    if (wb && bb.rank == 0) {
        /* activation x shared weight: fold the batch into M */
        e->count = 1, e->m = batch * (uint64_t)M, e->k = (uint64_t)K, e->n = (uint64_t)N;
        e->b_is_weight = 1;
        e->weight_in = 1;
    } else {
        e->count = batch, e->m = (uint64_t)M, e->k = (uint64_t)K, e->n = (uint64_t)N;
        e->a_is_weight = wa, e->b_is_weight = wb;
        e->weight_in = wb ? 1 : wa ? 0 : -1;
    }
    return EMIT_OP;
}

/* Gemm */
static int infer_gemm(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    if ((rc = need_in(im, c, 2))) return rc;
    val_t *y = IN(im, c, 1);
    if (x->shape.rank != 2 || y->shape.rank != 2)
        return node_fail(im, WL_ERR_FORMAT, "Gemm needs 2-D inputs, got %s and %s",
                         shs(&x->shape, b1, sizeof b1), shs(&y->shape, b2, sizeof b2));
    int ta = 0, tb = 0;
    if (attr_flag(im, n, "transA", 0, &ta) || attr_flag(im, n, "transB", 0, &tb))
        return WL_ERR_FORMAT;
    int64_t M = ta ? x->shape.dim[1] : x->shape.dim[0], K = ta ? x->shape.dim[0] : x->shape.dim[1];
    int64_t K2 = tb ? y->shape.dim[1] : y->shape.dim[0], N = tb ? y->shape.dim[0] : y->shape.dim[1];
    if (K != K2)
        return node_fail(im, WL_ERR_FORMAT, "inner dimensions differ: %s x %s (transA %d, transB %d)",
                         shs(&x->shape, b1, sizeof b1), shs(&y->shape, b2, sizeof b2), ta, tb);
    wl_shape_t os = {.rank = 2, .dim = {M, N}};
    set_out(o, x->dt, x->onnx_dt, &os);
    e->kind = WL_OP_MATMUL;
    e->count = 1, e->m = (uint64_t)M, e->k = (uint64_t)K, e->n = (uint64_t)N;
    int wa = x->is_static && (x->is_weight || x->layout_of >= 0);
    int wb = y->is_static && (y->is_weight || y->layout_of >= 0);
    e->a_is_weight = wa, e->b_is_weight = wb;
    e->weight_in = wb ? 1 : wa ? 0 : -1;
    e->bias_in = IN(im, c, 2) ? 2 : -1;
    return EMIT_OP;
}

/* Conv */
static int infer_conv(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    if ((rc = need_in(im, c, 2))) return rc;
    val_t *w = IN(im, c, 1);
    int nsp = x->shape.rank - 2;
    if (nsp < 1 || nsp > 3 || w->shape.rank != x->shape.rank)
        return node_fail(im, WL_ERR_UNSUPPORTED, "Conv of input %s with weight %s",
                         shs(&x->shape, b1, sizeof b1), shs(&w->shape, b2, sizeof b2));
    int64_t group = attr_i(n, "group", 1), cout = w->shape.dim[0];
    int64_t cin_total;
    if (group <= 0 || __builtin_mul_overflow(w->shape.dim[1], group, &cin_total) ||
        x->shape.dim[1] != cin_total || cout % group)
        return node_fail(im, WL_ERR_FORMAT, "channels do not match: input %s, weight %s, group %lld",
                         shs(&x->shape, b1, sizeof b1), shs(&w->shape, b2, sizeof b2), (long long)group);
    int64_t kernel[3], ks[3];
    for (int i = 0; i < nsp; i++) kernel[i] = w->shape.dim[2 + i];
    size_t nks = attr_ints(n, "kernel_shape", ks, 3);
    if (nks) { /* optional, but when given it must be the weight's */
        int same = nks == (size_t)nsp;
        for (int i = 0; same && i < nsp; i++) same = ks[i] == kernel[i];
        if (!same)
            return node_fail(im, WL_ERR_FORMAT, "kernel_shape does not match weight %s",
                             shs(&w->shape, b2, sizeof b2));
    }
    if ((rc = infer_conv_like(im, c, x, nsp, kernel, cout, e, 0))) return rc;
    uint64_t spatial = 1, ksz = 1;
    for (int i = 0; i < nsp; i++) spatial *= (uint64_t)o->shape.dim[2 + i], ksz *= (uint64_t)kernel[i];
    e->kind = WL_OP_CONV;
    e->conv.groups = (int)group;
    e->count = (uint64_t)group;
    e->m = (uint64_t)x->shape.dim[0] * spatial;
    e->k = (uint64_t)w->shape.dim[1] * ksz;
    e->n = (uint64_t)(cout / group);
    e->b_is_weight = w->is_static;
    e->weight_in = 1;
    e->bias_in = IN(im, c, 2) ? 2 : -1;
    return EMIT_OP;
}

/* MaxPool, AveragePool, LpPool */
static int infer_max_pool(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int nsp = x->shape.rank - 2;
    int64_t kernel[3];
    if (nsp < 1 || nsp > 3 || attr_ints(n, "kernel_shape", kernel, 3) != (size_t)nsp)
        return node_fail(im, WL_ERR_FORMAT, "kernel_shape does not match input %s", shs(&x->shape, b1, sizeof b1));
    if ((rc = infer_conv_like(im, c, x, nsp, kernel, x->shape.dim[1], e, 1))) return rc;
    if (OUT(im, c, 1)) set_out(OUT(im, c, 1), WL_DT_I64, 7, &o->shape);
    e->kind = WL_OP_POOL;
    return EMIT_OP;
}

/* GlobalAveragePool, GlobalMaxPool */
static int infer_global_average_pool(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    if (x->shape.rank < 3)
        return node_fail(im, WL_ERR_FORMAT, "input %s has no spatial dims", shs(&x->shape, b1, sizeof b1));
    wl_shape_t s = x->shape;
    e->conv.kernel_h = x->shape.rank >= 4 ? (int)x->shape.dim[2] : 1;
    e->conv.kernel_w = (int)x->shape.dim[x->shape.rank - 1];
    e->conv.stride_h = e->conv.stride_w = e->conv.dilation_h = e->conv.dilation_w = e->conv.groups = 1;
    for (int i = 2; i < s.rank; i++) s.dim[i] = 1;
    same_as(o, x);
    o->shape = s;
    e->kind = WL_OP_POOL;
    return EMIT_OP;
}

/* Flatten */
static int infer_flatten(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int axis;
    int64_t ax = attr_i(n, "axis", 1);
    if (ax < 0) ax += x->shape.rank;
    if (ax < 0 || ax > x->shape.rank)
        return node_fail(im, WL_ERR_FORMAT, "axis %lld out of range", (long long)attr_i(n, "axis", 1));
    axis = (int)ax;
    int64_t a = 1, bdim = 1;
    for (int i = 0; i < x->shape.rank; i++) *(i < axis ? &a : &bdim) *= x->shape.dim[i];
    wl_shape_t s = {.rank = 2, .dim = {a, bdim}};
    set_out(o, x->dt, x->onnx_dt, &s);
    if ((rc = fold_copy(im, c, x, o, 0))) return rc;
    e->kind = WL_OP_RESHAPE;
    return EMIT_OP;
}

/* Reshape */
static int infer_reshape(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int64_t *sh; size_t nd;
    if ((rc = in_ints(im, c, 1, "the target shape", &sh, &nd))) return rc;
    if (nd > WL_MAX_RANK) { free(sh); return node_fail(im, WL_ERR_UNSUPPORTED, "rank %zu", nd); }
    int allowzero = 0, infer_at = -1;
    if (attr_flag(im, n, "allowzero", 0, &allowzero))
        return WL_ERR_FORMAT;
    wl_shape_t s = {.rank = (int)nd};
    uint64_t known = 1, total = wl_shape_numel(&x->shape);
    for (size_t i = 0; i < nd; i++) {
        int64_t d = sh[i];
        if (d == 0 && !allowzero) {
            if ((int)i >= x->shape.rank) { free(sh); return node_fail(im, WL_ERR_FORMAT, "shape copies dim %zu of a rank-%d input", i, x->shape.rank); }
            d = x->shape.dim[i];
        }
        if (d == -1) {
            if (infer_at >= 0) { free(sh); return node_fail(im, WL_ERR_FORMAT, "target shape has two -1 entries"); }
            infer_at = (int)i;
            continue;
        }
        if (d < 0) { free(sh); return node_fail(im, WL_ERR_FORMAT, "target shape has entry %lld", (long long)d); }
        s.dim[i] = d;
        known *= (uint64_t)d;
    }
    free(sh);
    if (infer_at >= 0) {
        if (known == 0 || total % known)
            return node_fail(im, WL_ERR_FORMAT, "cannot reshape %s (%llu elements) with a -1 entry",
                             shs(&x->shape, b1, sizeof b1), (unsigned long long)total);
        s.dim[infer_at] = (int64_t)(total / known);
    } else if (known != total)
        return node_fail(im, WL_ERR_FORMAT, "cannot reshape %s (%llu elements) to %s",
                         shs(&x->shape, b1, sizeof b1), (unsigned long long)total, shs(&s, b2, sizeof b2));
    set_out(o, x->dt, x->onnx_dt, &s);
    if ((rc = fold_copy(im, c, x, o, 1))) return rc;
    e->kind = WL_OP_RESHAPE;
    return EMIT_OP;
}

/* Squeeze, Unsqueeze */
static int infer_squeeze(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int64_t axes[WL_MAX_RANK * 2];
    size_t na = 0;
    if ((rc = axes_of(im, c, axes, &na))) return rc;
    wl_shape_t s = {0};
    if (is_op(c, "Squeeze")) {
        int drop[WL_MAX_RANK] = {0};
        for (size_t i = 0; i < na; i++) {
            int a;
            if (norm_axis(axes[i], x->shape.rank, &a) || x->shape.dim[a] != 1)
                return node_fail(im, WL_ERR_FORMAT, "cannot squeeze axis %lld of %s", (long long)axes[i], shs(&x->shape, b1, sizeof b1));
            drop[a] = 1;
        }
        for (int i = 0; i < x->shape.rank; i++)
            if (!(na ? drop[i] : x->shape.dim[i] == 1)) s.dim[s.rank++] = x->shape.dim[i];
    } else {
        int r = x->shape.rank + (int)na, ins[WL_MAX_RANK * 2] = {0};
        if (r > WL_MAX_RANK) return node_fail(im, WL_ERR_UNSUPPORTED, "rank %d too large", r);
        for (size_t i = 0; i < na; i++) {
            int a;
            if (norm_axis(axes[i], r, &a) || ins[a])
                return node_fail(im, WL_ERR_FORMAT, "bad unsqueeze axis %lld", (long long)axes[i]);
            ins[a] = 1;
        }
        s.rank = r;
        for (int i = 0, j = 0; i < r; i++) s.dim[i] = ins[i] ? 1 : x->shape.dim[j++];
    }
    set_out(o, x->dt, x->onnx_dt, &s);
    if ((rc = fold_copy(im, c, x, o, 1))) return rc;
    e->kind = WL_OP_RESHAPE;
    return EMIT_OP;
}

/* Transpose */
static int infer_transpose(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int64_t perm[WL_MAX_RANK];
    int r = x->shape.rank;
    size_t np = attr_ints(n, "perm", perm, WL_MAX_RANK);
    if (!np) { for (int i = 0; i < r; i++) perm[i] = r - 1 - i; np = (size_t)r; }
    if (np != (size_t)r) return node_fail(im, WL_ERR_FORMAT, "perm has %zu entries for rank %d", np, r);
    int seen[WL_MAX_RANK] = {0};
    wl_shape_t s = {.rank = r};
    for (int i = 0; i < r; i++) {
        if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]) return node_fail(im, WL_ERR_FORMAT, "perm is not a permutation");
        seen[perm[i]] = 1;
        s.dim[i] = x->shape.dim[perm[i]];
    }
    set_out(o, x->dt, x->onnx_dt, &s);
    if (x->has_val && fold_ok(o)) {
        size_t cnt = (size_t)wl_shape_numel(&s);
        if (alloc_vals(o, cnt)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
        int64_t istr[WL_MAX_RANK];
        int64_t st = 1;
        for (int i = r - 1; i >= 0; i--) istr[i] = st, st *= x->shape.dim[i];
        for (size_t k = 0; k < cnt; k++) {
            size_t lin = k, off = 0;
            for (int i = r - 1; i >= 0; i--) {
                size_t cidx = lin % (size_t)s.dim[i];
                lin /= (size_t)s.dim[i];
                off += cidx * (size_t)istr[perm[i]];
            }
            if (o->is_float) o->fval[k] = getf(x, off); else o->ival[k] = geti(x, off);
        }
    }
    e->kind = WL_OP_TRANSPOSE;
    return EMIT_OP;
}

/* Gather */
static int infer_gather(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    if ((rc = need_in(im, c, 2))) return rc;
    val_t *idx = IN(im, c, 1);
    int axis;
    if (norm_axis(attr_i(n, "axis", 0), x->shape.rank, &axis))
        return node_fail(im, WL_ERR_FORMAT, "axis out of range for %s", shs(&x->shape, b1, sizeof b1));
    wl_shape_t s = {0};
    for (int i = 0; i < axis; i++) s.dim[s.rank++] = x->shape.dim[i];
    for (int i = 0; i < idx->shape.rank; i++) s.dim[s.rank++] = idx->shape.dim[i];
    for (int i = axis + 1; i < x->shape.rank; i++) s.dim[s.rank++] = x->shape.dim[i];
    if (x->shape.rank - 1 + idx->shape.rank > WL_MAX_RANK)
        return node_fail(im, WL_ERR_UNSUPPORTED, "result rank too large");
    set_out(o, x->dt, x->onnx_dt, &s);
    if (x->has_val && idx->has_val && fold_ok(o)) {
        size_t cnt = (size_t)wl_shape_numel(&s), ni = (size_t)wl_shape_numel(&idx->shape);
        size_t inner = 1, ad = (size_t)x->shape.dim[axis];
        for (int i = axis + 1; i < x->shape.rank; i++) inner *= (size_t)x->shape.dim[i];
        if (alloc_vals(o, cnt)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < cnt; k++) {
            size_t in_i = k % inner, rest = k / inner, j = rest % (ni ? ni : 1), outer = rest / (ni ? ni : 1);
            int64_t id = geti(idx, j);
            if (id < 0) id += (int64_t)ad;
            if (id < 0 || (size_t)id >= ad) return node_fail(im, WL_ERR_FORMAT, "index %lld out of range while folding", (long long)geti(idx, j));
            size_t off = (outer * ad + (size_t)id) * inner + in_i;
            if (o->is_float) o->fval[k] = getf(x, off); else o->ival[k] = geti(x, off);
        }
    }
    e->kind = (x->is_weight || x->layout_of >= 0) ? WL_OP_EMBEDDING : WL_OP_COPY;
    e->weight_in = (x->is_weight || x->layout_of >= 0) ? 0 : -1;
    return EMIT_OP;
}

/* GatherElements */
static int infer_gather_elements(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    if ((rc = need_in(im, c, 2))) return rc;
    set_out(o, x->dt, x->onnx_dt, &IN(im, c, 1)->shape);
    e->kind = WL_OP_COPY;
    return EMIT_OP;
}

/* Concat */
static int infer_concat(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int axis;
    if (norm_axis(attr_i(n, "axis", 0), x->shape.rank, &axis))
        return node_fail(im, WL_ERR_FORMAT, "axis out of range for %s", shs(&x->shape, b1, sizeof b1));
    wl_shape_t s = x->shape;
    s.dim[axis] = 0;
    int all_vals = 1;
    for (int i = 0; i < c->nin; i++) {
        val_t *y = IN(im, c, i);
        if (!y) continue;
        if (y->shape.rank != s.rank)
            return node_fail(im, WL_ERR_FORMAT, "input %d has rank %d, expected %d", i + 1, y->shape.rank, s.rank);
        for (int d = 0; d < s.rank; d++)
            if (d != axis && y->shape.dim[d] != s.dim[d])
                return node_fail(im, WL_ERR_FORMAT, "input %d shape %s does not match %s", i + 1,
                                 shs(&y->shape, b1, sizeof b1), shs(&x->shape, b2, sizeof b2));
        s.dim[axis] += y->shape.dim[axis];
        all_vals &= y->has_val;
    }
    set_out(o, x->dt, x->onnx_dt, &s);
    if (all_vals && fold_ok(o)) {
        size_t cnt = (size_t)wl_shape_numel(&s), outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= (size_t)s.dim[d];
        for (int d = axis + 1; d < s.rank; d++) inner *= (size_t)s.dim[d];
        if (alloc_vals(o, cnt)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
        size_t k = 0;
        for (size_t ou = 0; ou < outer; ou++)
            for (int i = 0; i < c->nin; i++) {
                val_t *y = IN(im, c, i);
                if (!y) continue;
                size_t chunk = (size_t)y->shape.dim[axis] * inner;
                for (size_t j = 0; j < chunk; j++, k++) {
                    if (o->is_float) o->fval[k] = getf(y, ou * chunk + j); else o->ival[k] = geti(y, ou * chunk + j);
                }
            }
    }
    e->kind = WL_OP_COPY;
    return EMIT_OP;
}

/* Slice */
static int infer_slice(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int64_t *st = NULL, *en = NULL, *ax = NULL, *stp = NULL;
    size_t ns = 0, ne = 0, na = 0, nst = 0;
    int r = x->shape.rank;
    if (im->opset < 10 && !IN(im, c, 1)) {
        int64_t a1[WL_MAX_RANK], a2[WL_MAX_RANK], a3[WL_MAX_RANK];
        ns = attr_ints(n, "starts", a1, WL_MAX_RANK);
        ne = attr_ints(n, "ends", a2, WL_MAX_RANK);
        na = attr_ints(n, "axes", a3, WL_MAX_RANK);
        st = malloc(sizeof a1), en = malloc(sizeof a2), ax = na ? malloc(sizeof a3) : NULL;
        if (!st || !en || (na && !ax)) { free(st); free(en); free(ax); return node_fail(im, WL_ERR_NOMEM, "out of memory"); }
        memcpy(st, a1, sizeof a1), memcpy(en, a2, sizeof a2);
        if (na) memcpy(ax, a3, sizeof a3);
    } else {
        if ((rc = in_ints(im, c, 1, "starts", &st, &ns))) return rc;
        if ((rc = in_ints(im, c, 2, "ends", &en, &ne))) { free(st); return rc; }
        if (IN(im, c, 3) && (rc = in_ints(im, c, 3, "axes", &ax, &na))) { free(st); free(en); return rc; }
        if (IN(im, c, 4) && (rc = in_ints(im, c, 4, "steps", &stp, &nst))) { free(st); free(en); free(ax); return rc; }
    }
    wl_shape_t s = x->shape;
    int64_t start_of[WL_MAX_RANK] = {0}, step_of[WL_MAX_RANK];
    for (int d = 0; d < r; d++) step_of[d] = 1;
    rc = 0;
    if (ns != ne || (na && na != ns) || (nst && nst != ns))
        rc = node_fail(im, WL_ERR_FORMAT, "starts, ends, axes and steps differ in length");
    for (size_t i = 0; i < ns && !rc; i++) {
        int a;
        if (norm_axis(ax ? ax[i] : (int64_t)i, r, &a)) { rc = node_fail(im, WL_ERR_FORMAT, "axis out of range"); break; }
        int64_t dim = x->shape.dim[a], step = stp ? stp[i] : 1, b = st[i], e2 = en[i];
        if (step == 0) { rc = node_fail(im, WL_ERR_FORMAT, "step is 0"); break; }
        /* |dim| <= 2^40: larger steps take one element, clamp them */
        if (step > 2 * MAX_DIM) step = 2 * MAX_DIM;
        if (step < -2 * MAX_DIM) step = -2 * MAX_DIM;
        if (b < 0) b += dim;
        if (e2 < 0) e2 += dim;
        if (step > 0) {
            b = b < 0 ? 0 : b > dim ? dim : b;
            e2 = e2 < 0 ? 0 : e2 > dim ? dim : e2;
            s.dim[a] = e2 > b ? (e2 - b - 1) / step + 1 : 0;
        } else {
            b = b < 0 ? -1 : b > dim - 1 ? dim - 1 : b;
            e2 = e2 < -1 ? -1 : e2 > dim - 1 ? dim - 1 : e2;
            s.dim[a] = b > e2 ? (b - e2 - 1) / (-step) + 1 : 0;
        }
        start_of[a] = b;
        step_of[a] = step;
    }
    free(st); free(en); free(ax); free(stp);
    if (rc) return rc;
    set_out(o, x->dt, x->onnx_dt, &s);
    if (x->has_val && fold_ok(o)) {
        size_t cnt = (size_t)wl_shape_numel(&s);
        if (alloc_vals(o, cnt)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < cnt; k++) {
            size_t lin = k, off = 0, stride = 1;
            for (int d = r - 1; d >= 0; d--) {
                size_t cd = lin % (size_t)s.dim[d];
                lin /= (size_t)s.dim[d];
                off += (size_t)(start_of[d] + (int64_t)cd * step_of[d]) * stride;
                stride *= (size_t)x->shape.dim[d];
            }
            if (o->is_float) o->fval[k] = getf(x, off); else o->ival[k] = geti(x, off);
        }
    }
    e->kind = WL_OP_COPY;
    return EMIT_OP;
}

/* Split */
static int infer_split(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int axis;
    if (norm_axis(attr_i(n, "axis", 0), x->shape.rank, &axis))
        return node_fail(im, WL_ERR_FORMAT, "axis out of range for %s", shs(&x->shape, b1, sizeof b1));
    int64_t sizes[64];
    size_t nsz = 0;
    int64_t dim = x->shape.dim[axis];
    if (c->nout > 64) return node_fail(im, WL_ERR_UNSUPPORTED, "more than 64 outputs");
    if (IN(im, c, 1)) {
        int64_t *sv; size_t nv;
        if ((rc = in_ints(im, c, 1, "split sizes", &sv, &nv))) return rc;
        if (nv > 64) { free(sv); return node_fail(im, WL_ERR_UNSUPPORTED, "more than 64 parts"); }
        memcpy(sizes, sv, nv * sizeof *sv), nsz = nv;
        free(sv);
    } else if ((nsz = attr_ints(n, "split", sizes, 64)) > 0) {
    } else {
        int64_t parts = attr_i(n, "num_outputs", c->nout);
        if (parts <= 0) return node_fail(im, WL_ERR_FORMAT, "num_outputs is %lld", (long long)parts);
        int64_t chunk = (dim + parts - 1) / parts;
        for (int64_t i = 0; i < parts && i < 64; i++) {
            int64_t rem = dim - i * chunk;
            sizes[nsz++] = rem < chunk ? (rem < 0 ? 0 : rem) : chunk;
        }
    }
    if ((int)nsz != c->nout) return node_fail(im, WL_ERR_FORMAT, "%zu split sizes for %d outputs", nsz, c->nout);
    int64_t sum = 0;
    for (size_t i = 0; i < nsz; i++) {
        if (sizes[i] < 0 || sizes[i] > dim)
            return node_fail(im, WL_ERR_FORMAT, "split size %lld out of range", (long long)sizes[i]);
        sum += sizes[i];
    }
    if (sum != dim) return node_fail(im, WL_ERR_FORMAT, "split sizes add up to %lld, axis has %lld", (long long)sum, (long long)dim);
    for (int i = 0; i < c->nout; i++) {
        wl_shape_t s = x->shape;
        s.dim[axis] = sizes[i];
        if (OUT(im, c, i)) set_out(OUT(im, c, i), x->dt, x->onnx_dt, &s);
    }
    e->kind = WL_OP_COPY;
    return EMIT_OP;
}

/* Expand */
static int infer_expand(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int64_t *sv; size_t nv;
    if ((rc = in_ints(im, c, 1, "the target shape", &sv, &nv))) return rc;
    if (nv > WL_MAX_RANK) { free(sv); return node_fail(im, WL_ERR_UNSUPPORTED, "rank %zu", nv); }
    wl_shape_t t = {.rank = (int)nv}, s;
    for (size_t i = 0; i < nv; i++) t.dim[i] = sv[i];
    free(sv);
    if (broadcast(&x->shape, &t, &s))
        return node_fail(im, WL_ERR_FORMAT, "cannot expand %s to %s", shs(&x->shape, b1, sizeof b1), shs(&t, b2, sizeof b2));
    set_out(o, x->dt, x->onnx_dt, &s);
    if ((rc = fold_copy(im, c, x, o, 0))) return rc;
    e->kind = WL_OP_COPY;
    return EMIT_OP;
}

/* Range */
static int infer_range(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    if ((rc = need_in(im, c, 3))) return rc;
    val_t *a = IN(im, c, 0), *lim = IN(im, c, 1), *d = IN(im, c, 2);
    if (!a->has_val || !lim->has_val || !d->has_val)
        return node_fail(im, WL_ERR_UNSUPPORTED, "start, limit and delta must be constants");
    double s0 = getf(a, 0), l0 = getf(lim, 0), d0 = getf(d, 0);
    if (d0 == 0) return node_fail(im, WL_ERR_FORMAT, "delta is 0");
    double cntd = ceil((l0 - s0) / d0);
    if (!(cntd <= (double)MAX_DIM))
        return node_fail(im, WL_ERR_FORMAT, "range of %g elements is out of range", cntd);
    int64_t cnt = cntd > 0 ? (int64_t)cntd : 0;
    wl_shape_t s = {.rank = 1, .dim = {cnt}};
    set_out(o, a->dt, a->onnx_dt, &s);
    if (fold_ok(o)) {
        if (alloc_vals(o, (size_t)cnt)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; i < cnt; i++) {
            if (o->is_float) o->fval[i] = s0 + (double)i * d0;
            else {
                int64_t step_i, val_i;
                if (__builtin_mul_overflow(i, geti(d, 0), &step_i) ||
                    __builtin_add_overflow(geti(a, 0), step_i, &val_i))
                    return node_fail(im, WL_ERR_FORMAT, "integer overflow while folding");
                o->ival[i] = val_i;
            }
        }
    }
    e->kind = WL_OP_COPY;
    return EMIT_OP;
}

/* Reduce*, ArgMax, ArgMin */
static int infer_reduce(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int r = x->shape.rank, keep = 1, noop = 0;
    if (attr_flag(im, n, "keepdims", 1, &keep) ||
        attr_flag(im, n, "noop_with_empty_axes", 0, &noop))
        return WL_ERR_FORMAT;
    int64_t axes[WL_MAX_RANK];
    size_t na = 0;
    int arg = c->op[0] == 'A';
    if (arg)
        axes[0] = attr_i(n, "axis", 0), na = 1;
    else if ((rc = axes_of(im, c, axes, &na)))
        return rc;
    int red[WL_MAX_RANK] = {0};
    if (na == 0 && noop) {
        same_as(o, x);
    } else {
        for (int i = 0; i < r; i++) red[i] = na == 0;
        for (size_t i = 0; i < na; i++) {
            int a;
            if (norm_axis(axes[i], r, &a)) return node_fail(im, WL_ERR_FORMAT, "axis %lld out of range", (long long)axes[i]);
            red[a] = 1;
        }
        wl_shape_t s = {0};
        for (int i = 0; i < r; i++) {
            if (!red[i]) s.dim[s.rank++] = x->shape.dim[i];
            else if (keep) s.dim[s.rank++] = 1;
        }
        set_out(o, arg ? WL_DT_I64 : x->dt, arg ? 7 : x->onnx_dt, &s);
        if (x->has_val && fold_ok(o) && (is_op(c, "ReduceProd") || is_op(c, "ReduceSum")) && !o->is_float) {
            size_t cnt = (size_t)wl_shape_numel(&s), inn = (size_t)wl_shape_numel(&x->shape);
            if (alloc_vals(o, cnt)) return node_fail(im, WL_ERR_NOMEM, "out of memory");
            int prod = is_op(c, "ReduceProd");
            for (size_t k = 0; k < cnt; k++) o->ival[k] = prod ? 1 : 0;
            for (size_t k = 0; k < inn; k++) {
                size_t lin = k, oo = 0, ostride = 1;
                for (int i = r - 1; i >= 0; i--) {
                    size_t cd = lin % (size_t)x->shape.dim[i];
                    lin /= (size_t)x->shape.dim[i];
                    if (!red[i]) { oo += cd * ostride; ostride *= (size_t)x->shape.dim[i]; }
                }
                int bad = prod ? __builtin_mul_overflow(o->ival[oo], geti(x, k), &o->ival[oo])
                               : __builtin_add_overflow(o->ival[oo], geti(x, k), &o->ival[oo]);
                if (bad)
                    return node_fail(im, WL_ERR_FORMAT, "integer overflow while folding");
            }
        }
    }
    e->kind = WL_OP_REDUCE;
    return EMIT_OP;
}

/* Pad */
static int infer_pad(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int64_t *pv = NULL; size_t np = 0;
    int64_t pa[2 * WL_MAX_RANK];
    int r = x->shape.rank;
    if (IN(im, c, 1)) {
        if ((rc = in_ints(im, c, 1, "pads", &pv, &np))) return rc;
    } else {
        np = attr_ints(n, "pads", pa, 2 * WL_MAX_RANK);
        pv = malloc(sizeof pa);
        if (!pv) return node_fail(im, WL_ERR_NOMEM, "out of memory");
        memcpy(pv, pa, sizeof pa);
    }
    int64_t axes[WL_MAX_RANK];
    size_t na = 0;
    if (IN(im, c, 3)) {
        int64_t *av;
        if ((rc = in_ints(im, c, 3, "axes", &av, &na))) { free(pv); return rc; }
        for (size_t i = 0; i < na && i < WL_MAX_RANK; i++) axes[i] = av[i];
        free(av);
    } else {
        na = (size_t)r;
        for (int i = 0; i < r; i++) axes[i] = i;
    }
    if (na > WL_MAX_RANK || np != 2 * na) { free(pv); return node_fail(im, WL_ERR_FORMAT, "%zu pads for %zu axes", np, na); }
    wl_shape_t s = x->shape;
    for (size_t i = 0; i < na; i++) {
        int a;
        if (norm_axis(axes[i], r, &a)) { free(pv); return node_fail(im, WL_ERR_FORMAT, "axis out of range"); }
        if (pv[i] < -MAX_DIM || pv[i] > MAX_DIM || pv[i + na] < -MAX_DIM || pv[i + na] > MAX_DIM) { free(pv); return node_fail(im, WL_ERR_FORMAT, "pads out of range"); }
        s.dim[a] += pv[i] + pv[i + na];
        if (s.dim[a] < 0) { free(pv); return node_fail(im, WL_ERR_FORMAT, "negative padded size"); }
    }
    free(pv);
    set_out(o, x->dt, x->onnx_dt, &s);
    e->kind = WL_OP_COPY;
    return EMIT_OP;
}

/* Tile */
static int infer_tile(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int64_t *rv; size_t nr;
    if ((rc = in_ints(im, c, 1, "repeats", &rv, &nr))) return rc;
    if ((int)nr != x->shape.rank) { free(rv); return node_fail(im, WL_ERR_FORMAT, "%zu repeats for rank %d", nr, x->shape.rank); }
    wl_shape_t s = x->shape;
    for (size_t i = 0; i < nr; i++)
        if (rv[i] < 0 || __builtin_mul_overflow(s.dim[i], rv[i], &s.dim[i])) {
            free(rv);
            return node_fail(im, WL_ERR_FORMAT, "repeats out of range");
        }
    free(rv);
    set_out(o, x->dt, x->onnx_dt, &s);
    e->kind = WL_OP_COPY;
    return EMIT_OP;
}

/* QuantizeLinear, DequantizeLinear */
static int infer_quantize_linear(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    wl_dtype_t dt = WL_DT_F32;
    int odt = 1;
    if (is_op(c, "QuantizeLinear")) {
        val_t *zp = IN(im, c, 2);
        dt = zp ? zp->dt : WL_DT_U8, odt = zp ? zp->onnx_dt : 2;
    } else if (IN(im, c, 1)) {
        dt = IN(im, c, 1)->dt, odt = IN(im, c, 1)->onnx_dt;
    }
    set_out(o, dt, odt, &x->shape);
    e->kind = WL_OP_ELEMENTWISE;
    return EMIT_OP;
}

/* TopK */
static int infer_top_k(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int64_t *kv; size_t nk;
    int axis;
    if ((rc = in_ints(im, c, 1, "k", &kv, &nk))) return rc;
    int64_t k = nk ? kv[0] : -1;
    free(kv);
    if (norm_axis(attr_i(n, "axis", -1), x->shape.rank, &axis) || k < 0 || k > x->shape.dim[axis])
        return node_fail(im, WL_ERR_FORMAT, "k or axis out of range for %s", shs(&x->shape, b1, sizeof b1));
    wl_shape_t s = x->shape;
    s.dim[axis] = k;
    set_out(o, x->dt, x->onnx_dt, &s);
    if (OUT(im, c, 1)) set_out(OUT(im, c, 1), WL_DT_I64, 7, &s);
    e->kind = WL_OP_REDUCE;
    return EMIT_OP;
}

/* Resize, Upsample */
static int infer_resize(imp_t *im, nctx_t *c, emit_t *e)
{
    INFER_BEGIN(1);
    int r = x->shape.rank;
    wl_shape_t s = x->shape;
    int scales_at = is_op(c, "Upsample") ? 1 : 2;
    val_t *sizes = is_op(c, "Resize") ? IN(im, c, 3) : NULL, *scales = IN(im, c, scales_at);
    if (sizes && wl_shape_numel(&sizes->shape) > 0) {
        int64_t *sv; size_t ns;
        if ((rc = in_ints(im, c, 3, "sizes", &sv, &ns))) return rc;
        if ((int)ns != r) { free(sv); return node_fail(im, WL_ERR_FORMAT, "%zu sizes for rank %d", ns, r); }
        for (int i = 0; i < r; i++) s.dim[i] = sv[i];
        free(sv);
    } else if (scales && scales->has_val && (int)wl_shape_numel(&scales->shape) == r) {
        for (int i = 0; i < r; i++) {
            double d = floor((double)x->shape.dim[i] * getf(scales, (size_t)i));
            if (!(d >= 0 && d <= (double)MAX_DIM)) return node_fail(im, WL_ERR_FORMAT, "scale %g out of range", getf(scales, (size_t)i));
            s.dim[i] = (int64_t)d;
        }
    } else
        return node_fail(im, WL_ERR_UNSUPPORTED, "needs constant scales or sizes");
    set_out(o, x->dt, x->onnx_dt, &s);
    e->kind = WL_OP_COPY;
    return EMIT_OP;
}

/* Operator name (or name prefix) -> its inference. */
typedef struct onnx_op_rule {
    const char *const *names; /* NULL-terminated */
    const char *prefix;       /* or NULL: also every operator starting with it */
    int (*infer)(imp_t *im, nctx_t *c, emit_t *e);
} onnx_op_rule_t;

/* Operators whose output shape depends on data or control flow. */
static int infer_no_static_shape(imp_t *im, nctx_t *c, emit_t *e)
{
    (void)e;
    return node_fail(im, WL_ERR_UNSUPPORTED,
                     "operator '%s' is not supported by prism's importer (control flow or "
                     "data-dependent shape)",
                     c->op);
}

static const onnx_op_rule_t OP_RULES[] = {
    {(const char *const[]){"Constant", NULL}, NULL, infer_constant},
    {(const char *const[]){"ConstantOfShape", NULL}, NULL, infer_constant_of_shape},
    {(const char *const[]){"Shape", NULL}, NULL, infer_shape},
    {(const char *const[]){"Size", NULL}, NULL, infer_size},
    {UNARY_ACT, NULL, infer_unary},
    {UNARY_ELEM, NULL, infer_unary},
    {BINARY, NULL, infer_binary},
    {(const char *const[]){"Softmax", "LogSoftmax", NULL}, NULL, infer_softmax},
    {(const char *const[]){"LayerNormalization", "SimplifiedLayerNormalization", "RMSNormalization", "SkipLayerNormalization", NULL}, NULL, infer_layer_normalization},
    {(const char *const[]){"BatchNormalization", "InstanceNormalization", "GroupNormalization", NULL}, NULL, infer_batch_normalization},
    {(const char *const[]){"MatMul", NULL}, NULL, infer_mat_mul},
    {(const char *const[]){"Gemm", NULL}, NULL, infer_gemm},
    {(const char *const[]){"Conv", NULL}, NULL, infer_conv},
    {(const char *const[]){"MaxPool", "AveragePool", "LpPool", NULL}, NULL, infer_max_pool},
    {(const char *const[]){"GlobalAveragePool", "GlobalMaxPool", NULL}, NULL, infer_global_average_pool},
    {(const char *const[]){"Flatten", NULL}, NULL, infer_flatten},
    {(const char *const[]){"Reshape", NULL}, NULL, infer_reshape},
    {(const char *const[]){"Squeeze", "Unsqueeze", NULL}, NULL, infer_squeeze},
    {(const char *const[]){"Transpose", NULL}, NULL, infer_transpose},
    {(const char *const[]){"Gather", NULL}, NULL, infer_gather},
    {(const char *const[]){"GatherElements", NULL}, NULL, infer_gather_elements},
    {(const char *const[]){"Concat", NULL}, NULL, infer_concat},
    {(const char *const[]){"Slice", NULL}, NULL, infer_slice},
    {(const char *const[]){"Split", NULL}, NULL, infer_split},
    {(const char *const[]){"Expand", NULL}, NULL, infer_expand},
    {(const char *const[]){"Range", NULL}, NULL, infer_range},
    {(const char *const[]){"ArgMax", "ArgMin", NULL}, "Reduce", infer_reduce},
    {(const char *const[]){"Pad", NULL}, NULL, infer_pad},
    {(const char *const[]){"Tile", NULL}, NULL, infer_tile},
    {(const char *const[]){"Trilu", "CumSum", NULL}, NULL, infer_trilu},
    {(const char *const[]){"QuantizeLinear", "DequantizeLinear", NULL}, NULL, infer_quantize_linear},
    {(const char *const[]){"ScatterND", "ScatterElements", "Scatter", NULL}, NULL, infer_scatter_n_d},
    {(const char *const[]){"TopK", NULL}, NULL, infer_top_k},
    {(const char *const[]){"Resize", "Upsample", NULL}, NULL, infer_resize},
    {(const char *const[]){"Einsum", "Loop", "If", "Scan", "NonZero", NULL}, NULL,
     infer_no_static_shape},
};

/* Infers output shapes (and folds values) of the current node. Fills e and
 * returns EMIT_NONE / EMIT_OP, or a negative code with the message set. */
static int infer(imp_t *im, nctx_t *c, emit_t *e)
{
    e->kind = WL_OP_ELEMENTWISE;
    e->weight_in = e->bias_in = -1;
    if (!OUT(im, c, 0) && !is_op(c, "Split"))
        return node_fail(im, WL_ERR_FORMAT, "has no output");
    for (size_t i = 0; i < sizeof OP_RULES / sizeof OP_RULES[0]; i++) {
        const onnx_op_rule_t *r = &OP_RULES[i];
        if ((r->prefix && !strncmp(c->op, r->prefix, strlen(r->prefix))) || in_list(c->op, r->names))
            return r->infer(im, c, e);
    }
    return node_fail(im, WL_ERR_UNSUPPORTED, "operator '%s'%s%s is not supported by prism's importer",
                     c->op, im->node->domain && *im->node->domain ? " of domain " : "",
                     im->node->domain ? im->node->domain : "");
}

/* ---- emission -------------------------------------------------------------------------------------- */
/* Makes sure the static value vi can be an op input; returns the name to use
 * (the weight it is a layout of, or itself as a constant), NULL on error. */
static const char *static_input(imp_t *im, int vi)
{
    val_t *v = &im->vals[vi];
    if (v->layout_of >= 0 && !v->is_weight)
        return static_input(im, v->layout_of);
    if (!v->in_graph) {
        unsigned flags = v->is_weight ? WL_T_WEIGHT : WL_T_CONST;
        if (!wl_graph_add_tensor(im->g, v->name, v->dt, &v->shape, flags)) {
            wl_fail(im->err, im->errlen, WL_ERR, "%s: %s", im->path, wl_graph_errmsg(im->g));
            return NULL;
        }
        v->in_graph = 1;
    }
    return v->name;
}

/* Is any consumer chain from value vi (through elementwise ops, at most 4
 * steps) ending in a Softmax? Used to tell attention scores from other
 * activation x activation products. */
static int feeds_softmax(imp_t *im, int vi, int depth)
{
    if (depth > 4)
        return 0;
    Onnx__GraphProto *gp = im->model->graph;
    for (size_t k = im->cons_start[vi]; k < im->cons_start[vi + 1]; k++) {
        const Onnx__NodeProto *nd = gp->node[im->cons[k]];
        if (!strcmp(nd->op_type, "Softmax"))
            return 1;
        if (in_list(nd->op_type, (const char *const[]){"Add", "Mul", "Div", "Sub", "Where", "Cast",
                                                      "Reshape", "Identity", NULL}) &&
            nd->n_output > 0) {
            int ov = find_val(im, nd->output[0]);
            if (ov >= 0 && feeds_softmax(im, ov, depth + 1))
                return 1;
        }
    }
    return 0;
}

/* Block index named in an ONNX or PyTorch module path: "h.3.", "layer.3",
 * "layers.3", "blocks.3", "block.3", "layer3" (torchvision stages); -1 if none. */
static int layer_from_name(const char *s)
{
    static const char *const pre[] = {"layers.", "layer.", "blocks.", "block.", "h.", "layer", NULL};
    if (!s)
        return -1;
    for (const char *p = s; *p; p++) {
        if (p != s && p[-1] != '.' && p[-1] != '/' && p[-1] != '_')
            continue;
        for (int i = 0; pre[i]; i++) {
            size_t l = strlen(pre[i]);
            if (!strncmp(p, pre[i], l) && p[l] >= '0' && p[l] <= '9') {
                long v = strtol(p + l, NULL, 10);
                return v < 100000 ? (int)v : -1;
            }
        }
    }
    return -1;
}

static int emit(imp_t *im, nctx_t *c, emit_t *e, size_t node_index)
{
    const Onnx__NodeProto *n = im->node;
    const char *ins[16], *outs[16];
    size_t ni = 0, no = 0;
    const char *wname = NULL, *bname = NULL;
    for (int i = 0; i < c->nin; i++) {
        val_t *v = IN(im, c, i);
        if (!v)
            continue;
        const char *nm;
        if (v->is_static) {
            nm = static_input(im, c->in[i]);
            if (!nm)
                return WL_ERR;
        } else
            nm = v->name;
        int dup = 0;
        for (size_t j = 0; j < ni; j++)
            dup |= strcmp(ins[j], nm) == 0;
        if (!dup)
            ins[ni++] = nm;
        if (i == e->weight_in && v->is_static && (v->is_weight || v->layout_of >= 0))
            wname = nm;
        if (i == e->bias_in && v->is_static && (v->is_weight || v->layout_of >= 0))
            bname = nm;
    }
    for (int i = 0; i < c->nout; i++) {
        val_t *v = OUT(im, c, i);
        if (!v)
            continue;
        if (!wl_graph_add_tensor(im->g, v->name, v->dt, &v->shape, 0))
            return node_fail(im, WL_ERR, "%s", wl_graph_errmsg(im->g));
        v->in_graph = 1;
        outs[no++] = v->name;
    }
    /* attention: activation x activation feeding a softmax, or reading one */
    if (e->kind == WL_OP_MATMUL && !e->a_is_weight && !e->b_is_weight) {
        if (IN(im, c, 0)->from_softmax || IN(im, c, 1)->from_softmax)
            e->kind = WL_OP_ATTN_CONTEXT;
        else if (feeds_softmax(im, c->out[0], 0))
            e->kind = WL_OP_ATTN_SCORE;
    }
    /* block index: from the node's name, else from a weight that only this
     * node reads, else the latest block among its inputs */
    int layer = layer_from_name(n->name);
    for (int i = 0; i < c->nin && layer < 0; i++) {
        val_t *v = IN(im, c, i);
        int root = v && v->is_static ? (v->layout_of >= 0 ? v->layout_of : c->in[i]) : -1;
        if (root >= 0 && im->vals[root].is_weight && im->cons_start[root + 1] - im->cons_start[root] == 1)
            layer = layer_from_name(im->vals[root].name);
    }
    for (int i = 0; i < c->nin && layer < 0; i++)
        if (IN(im, c, i) && IN(im, c, i)->layer > layer)
            layer = IN(im, c, i)->layer;
    for (int i = 0; i < c->nout; i++)
        if (OUT(im, c, i))
            OUT(im, c, i)->layer = layer;
    char name[256];
    if (n->name && *n->name)
        snprintf(name, sizeof name, "%s", n->name);
    else
        snprintf(name, sizeof name, "%s_%zu", c->op, node_index);
    wl_op_spec_t sp = {.name = name, .kind = e->kind, .detail = c->op, .inputs = ins,
                       .n_inputs = ni, .outputs = outs, .n_outputs = no, .weight = wname,
                       .bias = bname, .m = e->m, .k = e->k, .n = e->n, .count = e->count,
                       .a_is_weight = e->a_is_weight, .b_is_weight = e->b_is_weight,
                       .conv = e->conv, .layer = layer};
    int rc = wl_graph_add_op(im->g, &sp);
    if (rc == WL_ERR_ARG && strstr(wl_graph_errmsg(im->g), "is used twice")) {
        snprintf(name, sizeof name, "%s#%zu", n->name, node_index);
        rc = wl_graph_add_op(im->g, &sp);
    }
    if (rc)
        return node_fail(im, rc, "%s", wl_graph_errmsg(im->g));
    return WL_OK;
}

/* ---- driver ------------------------------------------------------------------------------------------ */

static int decode_model(const char *path, Onnx__ModelProto **out, char *err, size_t errlen)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = wl_read_file(path, &buf, &len, err, errlen);
    if (rc)
        return rc;
    Onnx__ModelProto *m = len ? onnx__model_proto__unpack(NULL, len, buf) : NULL;
    free(buf);
    if (!m)
        return wl_fail(err, errlen, WL_ERR_FORMAT,
                       "%s is not a valid ONNX model (protobuf decoding failed: truncated or "
                       "not an ONNX file)",
                       path);
    if (!m->graph) {
        onnx__model_proto__free_unpacked(m, NULL);
        return wl_fail(err, errlen, WL_ERR_FORMAT, "%s: ONNX model has no graph", path);
    }
    *out = m;
    return WL_OK;
}

static int build_consumers(imp_t *im)
{
    Onnx__GraphProto *gp = im->model->graph;
    im->cons_start = calloc(im->n_vals + 1, sizeof *im->cons_start);
    if (!im->cons_start)
        return -1;
    size_t total = 0;
    for (size_t i = 0; i < gp->n_node; i++)
        for (size_t j = 0; j < gp->node[i]->n_input; j++) {
            int v = gp->node[i]->input[j] && *gp->node[i]->input[j] ? find_val(im, gp->node[i]->input[j]) : -1;
            if (v >= 0) {
                im->cons_start[v + 1]++;
                total++;
            }
        }
    for (size_t v = 0; v < im->n_vals; v++)
        im->cons_start[v + 1] += im->cons_start[v];
    im->cons = malloc((total ? total : 1) * sizeof *im->cons);
    size_t *fill = calloc(im->n_vals + 1, sizeof *fill);
    if (!im->cons || !fill) {
        free(fill);
        return -1;
    }
    for (size_t i = 0; i < gp->n_node; i++)
        for (size_t j = 0; j < gp->node[i]->n_input; j++) {
            int v = gp->node[i]->input[j] && *gp->node[i]->input[j] ? find_val(im, gp->node[i]->input[j]) : -1;
            if (v >= 0)
                im->cons[im->cons_start[v] + fill[v]++] = i;
        }
    free(fill);
    return 0;
}

static void imp_free(imp_t *im)
{
    for (size_t i = 0; i < im->n_vals; i++)
        free_vals(&im->vals[i]);
    free(im->vals);
    free(im->hash);
    free(im->cons_start);
    free(im->cons);
    if (im->model)
        onnx__model_proto__free_unpacked(im->model, NULL);
}

static int do_import(imp_t *im)
{
    Onnx__GraphProto *gp = im->model->graph;
    int rc;
    im->opset = 17;
    for (size_t i = 0; i < im->model->n_opset_import; i++) {
        Onnx__OperatorSetIdProto *os = im->model->opset_import[i];
        if ((!os->domain || !*os->domain || !strcmp(os->domain, "ai.onnx")) && os->has_version)
            im->opset = (int)os->version;
    }
    /* initializers */
    for (size_t i = 0; i < gp->n_initializer; i++) {
        Onnx__TensorProto *t = gp->initializer[i];
        if (!t->name || !*t->name)
            return wl_fail(im->err, im->errlen, WL_ERR_FORMAT, "%s: initializer %zu has no name", im->path, i);
        if ((rc = define_tensor(im, t->name, t, 1)))
            return rc;
    }
    /* graph inputs (those that are not initializers) */
    for (size_t i = 0; i < gp->n_input; i++) {
        Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || find_val(im, vi->name) >= 0)
            continue;
        if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !vi->type->tensor_type)
            return wl_fail(im->err, im->errlen, WL_ERR_UNSUPPORTED, "%s: graph input '%s' is not a tensor", im->path, vi->name);
        Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
        int v = new_val(im, vi->name);
        if (v < 0)
            return WL_ERR_FORMAT;
        val_t *val = &im->vals[v];
        val->onnx_dt = tt->elem_type;
        if (map_dtype(tt->elem_type, &val->dt))
            return wl_fail(im->err, im->errlen, WL_ERR_UNSUPPORTED, "%s: graph input '%s' has ONNX data type %d, which prism does not handle", im->path, vi->name, (int)tt->elem_type);
        val->is_float = is_float_onnx(tt->elem_type);
        if (!tt->shape)
            return wl_fail(im->err, im->errlen, WL_ERR_UNSUPPORTED, "%s: graph input '%s' has no shape", im->path, vi->name);
        if (tt->shape->n_dim > WL_MAX_RANK)
            return wl_fail(im->err, im->errlen, WL_ERR_UNSUPPORTED, "%s: graph input '%s' has rank %zu", im->path, vi->name, tt->shape->n_dim);
        val->shape.rank = (int)tt->shape->n_dim;
        for (size_t d = 0; d < tt->shape->n_dim; d++) {
            Onnx__TensorShapeProto__Dimension *dm = tt->shape->dim[d];
            if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dm->dim_value > MAX_DIM)
                return wl_fail(im->err, im->errlen, WL_ERR_FORMAT, "%s: graph input '%s' has dimension %lld, out of range",
                               im->path, vi->name, (long long)dm->dim_value);
            if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dm->dim_value > 0)
                val->shape.dim[d] = dm->dim_value;
            else if (d == 0)
                val->shape.dim[d] = im->opts.batch > 0 ? im->opts.batch : 1;
            else if (im->opts.seq > 0)
                val->shape.dim[d] = im->opts.seq;
            else
                return wl_fail(im->err, im->errlen, WL_ERR_ARG,
                               "%s: graph input '%s' has a symbolic dimension %zu ('%s'); give --seq to set it",
                               im->path, vi->name, d,
                               dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? dm->dim_param : "?");
        }
        if (!shape_ok(&val->shape))
            return wl_fail(im->err, im->errlen, WL_ERR_FORMAT, "%s: graph input '%s' is too large", im->path, vi->name);
        val->defined = 1;
        if (!wl_graph_add_tensor(im->g, val->name, val->dt, &val->shape, WL_T_INPUT))
            return wl_fail(im->err, im->errlen, WL_ERR, "%s: %s", im->path, wl_graph_errmsg(im->g));
        val->in_graph = 1;
    }
    /* node outputs */
    for (size_t i = 0; i < gp->n_node; i++) {
        Onnx__NodeProto *nd = gp->node[i];
        if (!nd->op_type || !*nd->op_type)
            return wl_fail(im->err, im->errlen, WL_ERR_FORMAT, "%s: node %zu ('%s') has no op_type", im->path, i, nd->name ? nd->name : "");
        for (size_t j = 0; j < nd->n_output; j++)
            if (nd->output[j] && *nd->output[j]) {
                if (new_val(im, nd->output[j]) < 0) {
                    size_t l = strlen(im->err);
                    snprintf(im->err + l, im->errlen - l, " (again by node '%s')", nd->name ? nd->name : "");
                    return WL_ERR_FORMAT;
                }
            }
    }
    if (build_consumers(im))
        return wl_fail(im->err, im->errlen, WL_ERR_NOMEM, "%s: out of memory", im->path);
    /* every weight that some node reads is a parameter of the graph */
    for (size_t v = 0; v < im->n_vals; v++)
        if (im->vals[v].is_weight && im->cons_start[v + 1] > im->cons_start[v] && !static_input(im, (int)v))
            return WL_ERR;

    for (size_t i = 0; i < gp->n_node; i++) {
        Onnx__NodeProto *nd = gp->node[i];
        im->node = nd;
        snprintf(im->node_label, sizeof im->node_label, "'%s' (%s)",
                 nd->name && *nd->name ? nd->name : "(unnamed)", nd->op_type);
        if (nd->n_input > 16 || nd->n_output > 16)
            return node_fail(im, WL_ERR_UNSUPPORTED, "more than 16 inputs or outputs");
        nctx_t c = {.nin = (int)nd->n_input, .nout = (int)nd->n_output, .op = nd->op_type};
        int all_static = 1, any_softmax = 0;
        for (int j = 0; j < c.nin; j++) {
            c.in[j] = -1;
            if (!nd->input[j] || !*nd->input[j])
                continue;
            c.in[j] = find_val(im, nd->input[j]);
            if (c.in[j] < 0 || !im->vals[c.in[j]].defined)
                return node_fail(im, WL_ERR_FORMAT, "input '%s' is not produced by any earlier node, initializer or graph input", nd->input[j]);
            all_static &= im->vals[c.in[j]].is_static;
            any_softmax |= im->vals[c.in[j]].from_softmax;
        }
        for (int j = 0; j < c.nout; j++)
            c.out[j] = (nd->output[j] && *nd->output[j]) ? find_val(im, nd->output[j]) : -1;
        if (nd->domain && *nd->domain && strcmp(nd->domain, "ai.onnx") && strcmp(nd->domain, "com.microsoft"))
            return node_fail(im, WL_ERR_UNSUPPORTED, "operator '%s' of domain '%s' is not supported by prism's importer", nd->op_type, nd->domain);
        emit_t e = {0};
        rc = infer(im, &c, &e);
        if (rc < 0)
            return rc;
        for (int j = 0; j < c.nout; j++) {
            val_t *o = OUT(im, &c, j);
            char sb[128];
            if (o && !shape_ok(&o->shape))
                return node_fail(im, WL_ERR_FORMAT, "output '%s' gets shape %s, out of range", o->name,
                                 wl_shape_str(&o->shape, sb, sizeof sb));
        }
        int source = is_op(&c, "Constant") || is_op(&c, "ConstantOfShape") || is_op(&c, "Shape") || is_op(&c, "Size");
        for (int j = 0; j < c.nout; j++) {
            val_t *o = OUT(im, &c, j);
            if (!o)
                continue;
            o->defined = 1;
            o->is_static = source || all_static;
            if (o->is_static && !source) {
                /* a weight in another layout stays that weight */
                int layout = in_list(nd->op_type, (const char *const[]){"Transpose", "Reshape", "Identity",
                    "Cast", "Unsqueeze", "Squeeze", "Flatten", "DequantizeLinear", NULL});
                val_t *src = IN(im, &c, 0);
                if (layout && src && (src->is_weight || src->layout_of >= 0))
                    o->layout_of = src->is_weight ? c.in[0] : src->layout_of;
            }
            o->from_softmax = is_op(&c, "Softmax") ||
                              (any_softmax && in_list(nd->op_type, (const char *const[]){"Where", "Cast",
                                   "Dropout", "Identity", "Mul", "Div", "Add", "Reshape", "Transpose", "IsNaN", NULL}));
        }
        if (rc == EMIT_OP && !all_static && !source)
            if ((rc = emit(im, &c, &e, i)))
                return rc;
    }
    /* graph outputs */
    for (size_t i = 0; i < gp->n_output; i++) {
        int v = gp->output[i]->name ? find_val(im, gp->output[i]->name) : -1;
        if (v < 0 || !im->vals[v].defined)
            return wl_fail(im->err, im->errlen, WL_ERR_FORMAT, "%s: graph output '%s' is not produced by any node", im->path, gp->output[i]->name ? gp->output[i]->name : "");
        const wl_tensor_t *t = wl_graph_find_tensor(im->g, im->vals[v].name);
        if (t)
            ((wl_tensor_t *)t)->flags |= WL_T_OUTPUT;
    }
    return WL_OK;
}

int wl_onnx_import(const char *path, const wl_gen_opts_t *opts, wl_graph_t **out, char *err,
                   size_t errlen)
{
    imp_t im;
    memset(&im, 0, sizeof im);
    im.path = path;
    im.err = err;
    im.errlen = errlen;
    if (out)
        *out = NULL;
    if (!path || !out)
        return wl_fail(err, errlen, WL_ERR_ARG, "no ONNX file given");
    if (opts)
        im.opts = *opts;
    else
        wl_gen_opts_default(&im.opts);
    if (im.opts.phase == WL_PHASE_DECODE)
        return wl_fail(err, errlen, WL_ERR_ARG,
                       "%s: --phase decode applies to built-in decoders; an ONNX graph runs as exported", path);
    int rc = decode_model(path, &im.model, err, errlen);
    if (rc)
        return rc;
    const char *base = strrchr(path, '/');
    char gname[256];
    snprintf(gname, sizeof gname, "%s", base ? base + 1 : path);
    im.g = wl_graph_create(gname);
    if (!im.g) {
        imp_free(&im);
        return wl_fail(err, errlen, WL_ERR_NOMEM, "out of memory");
    }
    rc = do_import(&im);
    if (rc == WL_OK)
        rc = wl_graph_set_source(im.g, path);
    if (rc) {
        if (rc == WL_ERR_NOMEM && err && !*err)
            wl_fail(err, errlen, rc, "%s: out of memory", path);
        wl_graph_destroy(im.g);
        imp_free(&im);
        return rc;
    }
    *out = im.g;
    imp_free(&im);
    return WL_OK;
}

/* ---- initializer data --------------------------------------------------------------------------------- */
int wl_onnx_load_initializer(const char *path, const char *tensor, void **data, size_t *len,
                             char *err, size_t errlen)
{
    Onnx__ModelProto *m;
    *data = NULL;
    *len = 0;
    int rc = decode_model(path, &m, err, errlen);
    if (rc)
        return rc;
    Onnx__TensorProto *t = NULL;
    for (size_t i = 0; i < m->graph->n_initializer && !t; i++)
        if (m->graph->initializer[i]->name && !strcmp(m->graph->initializer[i]->name, tensor))
            t = m->graph->initializer[i];
    if (!t) {
        onnx__model_proto__free_unpacked(m, NULL);
        return wl_fail(err, errlen, WL_ERR_NOTFOUND, "%s has no initializer named '%s'", path, tensor);
    }
    wl_dtype_t dt;
    if (map_dtype(t->data_type, &dt)) {
        rc = wl_fail(err, errlen, WL_ERR_UNSUPPORTED, "%s: initializer '%s' has ONNX data type %d, which prism does not handle", path, tensor, (int)t->data_type);
        goto out;
    }
    uint64_t numel = 1;
    for (size_t i = 0; i < t->n_dims; i++)
        numel *= (uint64_t)(t->dims[i] < 0 ? 0 : t->dims[i]);
    size_t need = (size_t)(numel * wl_dtype_size(dt));
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        const char *loc = NULL;
        uint64_t off = 0, length = need;
        for (size_t i = 0; i < t->n_external_data; i++) {
            Onnx__StringStringEntryProto *kv = t->external_data[i];
            if (!kv->key || !kv->value)
                continue;
            if (!strcmp(kv->key, "location"))
                loc = kv->value;
            else if (!strcmp(kv->key, "offset"))
                off = strtoull(kv->value, NULL, 10);
            else if (!strcmp(kv->key, "length"))
                length = strtoull(kv->value, NULL, 10);
        }
        if (!loc || !*loc) {
            rc = wl_fail(err, errlen, WL_ERR_FORMAT, "%s: initializer '%s' is external but names no location", path, tensor);
            goto out;
        }
        if (loc[0] == '/' || strstr(loc, "..")) {
            rc = wl_fail(err, errlen, WL_ERR_FORMAT, "%s: initializer '%s' points outside the model's folder ('%s')", path, tensor, loc);
            goto out;
        }
        if (length != need) {
            rc = wl_fail(err, errlen, WL_ERR_FORMAT, "%s: initializer '%s' has external length %llu, its shape needs %zu bytes", path, tensor, (unsigned long long)length, need);
            goto out;
        }
        const char *slash = strrchr(path, '/');
        size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
        char *full = malloc(dirlen + strlen(loc) + 1);
        if (!full) {
            rc = wl_fail(err, errlen, WL_ERR_NOMEM, "out of memory");
            goto out;
        }
        memcpy(full, path, dirlen);
        strcpy(full + dirlen, loc);
        FILE *f = fopen(full, "rb");
        if (!f) {
            rc = wl_fail(err, errlen, WL_ERR_IO, "%s: weight data of '%s' is in external file %s, which cannot be opened (%s)", path, tensor, full, strerror(errno));
            free(full);
            goto out;
        }
        void *buf = malloc(need ? need : 1);
        if (!buf) {
            fclose(f);
            free(full);
            rc = wl_fail(err, errlen, WL_ERR_NOMEM, "out of memory");
            goto out;
        }
        if (fseeko(f, (off_t)off, SEEK_SET) || fread(buf, 1, need, f) != need) {
            rc = wl_fail(err, errlen, WL_ERR_IO, "%s: external file %s ends before the %zu bytes of '%s' at offset %llu", path, full, need, tensor, (unsigned long long)off);
            free(buf);
            fclose(f);
            free(full);
            goto out;
        }
        fclose(f);
        free(full);
        *data = buf;
        *len = need;
        rc = WL_OK;
        goto out;
    }
    /* inline */
    void *buf = malloc(need ? need : 1);
    if (!buf) {
        rc = wl_fail(err, errlen, WL_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t es = wl_dtype_size(dt);
    if (t->has_raw_data && t->raw_data.len == need)
        memcpy(buf, t->raw_data.data, need);
    else if (t->n_float_data == numel && es == 4)
        memcpy(buf, t->float_data, need);
    else if (t->n_double_data == numel && es == 8)
        memcpy(buf, t->double_data, need);
    else if (t->n_int64_data == numel && es == 8)
        memcpy(buf, t->int64_data, need);
    else if (t->n_int32_data == numel) {
        unsigned char *p = buf;
        for (size_t i = 0; i < numel; i++) {
            int32_t x = t->int32_data[i];
            memcpy(p + i * es, &x, es); /* little-endian: low bytes first */
        }
    } else {
        free(buf);
        rc = wl_fail(err, errlen, WL_ERR_FORMAT, "%s: initializer '%s' holds no data for its %llu elements", path, tensor, (unsigned long long)numel);
        goto out;
    }
    *data = buf;
    *len = need;
    rc = WL_OK;
out:
    onnx__model_proto__free_unpacked(m, NULL);
    return rc;
}
