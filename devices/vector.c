/* vector: a SIMD vector / special-function unit (softmax, layer/RMS norm, GELU,
 * SiLU, ReLU, residual add, mul). Cycles from operation counts over the lanes
 * plus log2 reduction trees; energy from Horowitz ISSCC 2014 (45 nm: FP32 add
 * 0.9 pJ, mult 3.7 pJ; FP16 0.4 / 1.1 pJ); numerics in FP32/FP16 vs FP64. */
#include "devices/dev_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- operation counts ---------------------------------------------------------------
 * Special functions cost the adds/multiplies of the algorithm a unit would use:
 *   exp:   x*log2(e) (1 mul), minus the integer part (1 add), degree-5
 *          polynomial in Horner form (5 mul + 5 add); 2^k is an exponent add
 *          -> 6 mul + 6 add
 *   div:   reciprocal from a seed table, 2 Newton-Raphson steps r = r(2 - d r)
 *          (2 mul + 1 add each), times the dividend (1 mul) -> 5 mul + 2 add
 *   rsqrt: 2 Newton-Raphson steps r = r(1.5 - 0.5 d r^2) (3 mul + 1 add each)
 *          -> 6 mul + 2 add
 *   tanh:  1 - 2 / (exp(2y) + 1): 1 mul + exp + 1 add + div + 1 add
 *          -> 12 mul + 10 add
 * Each special op occupies a lane for `sfu_cycles` (a pipelined SFU). */
enum { EXP_MUL = 6, EXP_ADD = 6, DIV_MUL = 5, DIV_ADD = 2, RSQ_MUL = 6, RSQ_ADD = 2 };
enum { TANH_MUL = 1 + EXP_MUL + DIV_MUL, TANH_ADD = EXP_ADD + DIV_ADD + 2 };

int dev_vf_cost(int vfunc, dev_vf_cost_t *o)
{
    memset(o, 0, sizeof *o);
    switch (vfunc) {
    case DEV_VF_SOFTMAX: /* max-compare, subtract max, exp, sum, divide */
        o->elem_add = 3;
        o->elem_sfu = 2;
        o->elem_sfu_add = EXP_ADD + DIV_ADD;
        o->elem_sfu_mul = EXP_MUL + DIV_MUL;
        o->reductions = 2; /* max, sum */
        return 0;
    case DEV_VF_LAYERNORM: /* sum, subtract mean, square, sum, normalize, scale, shift */
        o->elem_add = 4;
        o->elem_mul = 3;
        o->row_mul = 2; /* mean = sum/n, var = sumsq/n (times 1/n) */
        o->row_add = 1; /* var + eps */
        o->row_sfu = 1; /* rsqrt */
        o->row_sfu_add = RSQ_ADD;
        o->row_sfu_mul = RSQ_MUL;
        o->reductions = 2; /* sum, sum of squares */
        return 0;
    case DEV_VF_RMSNORM: /* square, sum, normalize, scale */
        o->elem_add = 1;
        o->elem_mul = 3;
        o->row_mul = 1;
        o->row_add = 1;
        o->row_sfu = 1;
        o->row_sfu_add = RSQ_ADD;
        o->row_sfu_mul = RSQ_MUL;
        o->reductions = 1;
        return 0;
    case DEV_VF_GELU:
        /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): x^2, x^3, *0.044715,
         * *sqrt(2/pi), 0.5x, final product = 6 mul; x + ., 1 + . = 2 add; tanh */
        o->elem_add = 2;
        o->elem_mul = 6;
        o->elem_sfu = 1;
        o->elem_sfu_add = TANH_ADD;
        o->elem_sfu_mul = TANH_MUL;
        return 0;
    case DEV_VF_SILU: /* x / (1 + exp(-x)): exp, add, div */
        o->elem_add = 1;
        o->elem_sfu = 2;
        o->elem_sfu_add = EXP_ADD + DIV_ADD;
        o->elem_sfu_mul = EXP_MUL + DIV_MUL;
        return 0;
    case DEV_VF_RELU: /* max(x, 0) */
    case DEV_VF_ADD:
        o->elem_add = 1;
        return 0;
    case DEV_VF_MUL:
        o->elem_mul = 1;
        return 0;
    default:
        return -1;
    }
}

/* ---- numerics ------------------------------------------------------------------------ */
static double round_fp16(double x)
{
    if (!isfinite(x) || x == 0.0)
        return x;
    double a = fabs(x);
    if (a >= 65520.0) /* halfway between 65504 and 2^16 rounds to inf */
        return copysign(INFINITY, x);
    int e;
    frexp(a, &e); /* a = f * 2^e, f in [0.5, 1) */
    int exp2 = e - 1;  /* a in [2^exp2, 2^(exp2+1)) */
    if (exp2 < -14)
        exp2 = -14; /* subnormal range: fixed quantum 2^-24 */
    double quantum = ldexp(1.0, exp2 - 10);
    double r = nearbyint(a / quantum) * quantum; /* ties to even in the default mode */
    return copysign(r, x);
}

double dev_round_fmt(double x, int fmt)
{
    switch (fmt) {
    case DEV_FMT_FP32:
        return (double)(float)x;
    case DEV_FMT_FP16:
        return round_fp16(x);
    default:
        return x;
    }
}

#define Q(x) dev_round_fmt((x), fmt)

/* The unit's reduction of v[0..n): lane j%lanes accumulates in order, then a
 * binary tree over the lanes. `max` selects max instead of sum. */
static double reduce(const double *v, size_t n, size_t lanes, int fmt, int max, double *part)
{
    size_t used = n < lanes ? n : lanes;
    for (size_t l = 0; l < used; l++)
        part[l] = v[l];
    for (size_t j = used; j < n; j++) {
        size_t l = j % lanes;
        part[l] = max ? fmax(part[l], v[j]) : Q(part[l] + v[j]);
    }
    for (size_t width = used; width > 1;) {
        size_t half = (width + 1) / 2;
        for (size_t l = 0; l + half < width; l++)
            part[l] = max ? fmax(part[l], part[l + half]) : Q(part[l] + part[l + half]);
        width = half;
    }
    return used ? part[0] : 0.0;
}

int dev_vector_eval(int vfunc, int fmt, size_t lanes, const double *a, const double *b,
                    const double *gamma, const double *beta, double *out, size_t rows, size_t cols)
{
    if (lanes == 0 || (rows * cols > 0 && (!a || !out)))
        return SIM_ERR_CONFIG;
    if ((vfunc == DEV_VF_ADD || vfunc == DEV_VF_MUL) && rows * cols > 0 && !b)
        return SIM_ERR_CONFIG;
    dev_vf_cost_t cost;
    if (dev_vf_cost(vfunc, &cost))
        return SIM_ERR_CONFIG;
    double *tmp = malloc((cols + lanes + 1) * sizeof *tmp);
    if (!tmp)
        return SIM_ERR_NOMEM;
    double *part = tmp + cols;
    const double sqrt_2_pi = Q(sqrt(2.0 / M_PI)), c_gelu = Q(0.044715), eps = Q(1e-5);
    for (size_t r = 0; r < rows; r++) {
        const double *x = a + r * cols;
        double *y = out + r * cols;
        switch (vfunc) {
        case DEV_VF_SOFTMAX: {
            for (size_t j = 0; j < cols; j++)
                tmp[j] = Q(x[j]);
            double mx = reduce(tmp, cols, lanes, fmt, 1, part);
            for (size_t j = 0; j < cols; j++)
                tmp[j] = Q(exp(Q(tmp[j] - mx)));
            double sum = reduce(tmp, cols, lanes, fmt, 0, part);
            for (size_t j = 0; j < cols; j++)
                y[j] = Q(tmp[j] / sum);
            break;
        }
        case DEV_VF_LAYERNORM:
        case DEV_VF_RMSNORM: {
            double inv_n = Q(1.0 / (double)cols);
            double mean = 0.0;
            for (size_t j = 0; j < cols; j++)
                tmp[j] = Q(x[j]);
            if (vfunc == DEV_VF_LAYERNORM) {
                mean = Q(reduce(tmp, cols, lanes, fmt, 0, part) * inv_n);
                for (size_t j = 0; j < cols; j++)
                    tmp[j] = Q(tmp[j] - mean);
            }
            double *sq = y; /* scratch: squares, overwritten below */
            for (size_t j = 0; j < cols; j++)
                sq[j] = Q(tmp[j] * tmp[j]);
            double var = Q(reduce(sq, cols, lanes, fmt, 0, part) * inv_n);
            double rs = Q(1.0 / sqrt(Q(var + eps)));
            for (size_t j = 0; j < cols; j++) {
                double g = gamma ? Q(gamma[j]) : 1.0, bb = beta ? Q(beta[j]) : 0.0;
                double v = Q(Q(tmp[j] * rs) * g);
                y[j] = vfunc == DEV_VF_LAYERNORM ? Q(v + bb) : v;
            }
            break;
        }
        case DEV_VF_GELU:
            for (size_t j = 0; j < cols; j++) {
                double v = Q(x[j]);
                double v3 = Q(Q(v * v) * v);
                double inner = Q(Q(v + Q(c_gelu * v3)) * sqrt_2_pi);
                double t = Q(tanh(inner));
                y[j] = Q(Q(0.5 * v) * Q(1.0 + t));
            }
            break;
        case DEV_VF_SILU:
            for (size_t j = 0; j < cols; j++) {
                double v = Q(x[j]);
                y[j] = Q(v / Q(1.0 + Q(exp(-v))));
            }
            break;
        case DEV_VF_RELU:
            for (size_t j = 0; j < cols; j++)
                y[j] = fmax(Q(x[j]), 0.0);
            break;
        case DEV_VF_ADD:
        case DEV_VF_MUL: {
            const double *z = b + r * cols;
            for (size_t j = 0; j < cols; j++)
                y[j] = vfunc == DEV_VF_ADD ? Q(Q(x[j]) + Q(z[j])) : Q(Q(x[j]) * Q(z[j]));
            break;
        }
        default:
            break;
        }
    }
    free(tmp);
    return 0;
}
#undef Q

/* ---- the component --------------------------------------------------------------------- */
typedef struct vunit {
    dev_base_t base;
    uint64_t lanes, depth, sfu_cycles;
    int fmt;
    double e_add_pj, e_mul_pj;
    dev_leak_t leak;
    int st_e_add, st_e_mul, st_elems;
} vunit_t;

static const sim_param_def_t vector_params[] = {
    {"lanes", SIM_P_INT, "16", "", 1, 65536, NULL, "SIMD lanes (elements per cycle per op)",
     "design parameter"},
    {"depth", SIM_P_INT, "4", "cycles", 1, 1000, NULL,
     "pipeline depth (fill once per op, then one op per lane per cycle)",
     "FP32 FMA latency of 4 cycles (Intel Skylake; Agner Fog, instruction tables)"},
    {"sfu_cycles", SIM_P_INT, "1", "cycles", 1, 1000, NULL,
     "cycles a lane spends per special function (exp, div, rsqrt, tanh)",
     "design parameter: one pipelined special-function unit per lane"},
    {"lane_area_um2", SIM_P_REAL, "-1", "um2", -1, 1e9, NULL,
     "area of one lane (an adder and a multiplier); -1 = by dtype: fp32 4184 + 7700, fp16 "
     "1360 + 1640",
     "Horowitz, ISSCC 2014 (45 nm) area column: FP32 add 4184, mult 7700; FP16 add 1360, "
     "mult 1640 um2"},
    DEV_SRAM_AREA_PARAM,
    {"dtype", SIM_P_ENUM, "fp32", "", 0, 0, "fp32|fp16",
     "element format (arithmetic, energy defaults)", "IEEE 754 binary32 / binary16"},
    {"e_add_pj", SIM_P_REAL, "0.9", "pJ", 0, 1e4, NULL,
     "energy of one add (fp16 default when not given: 0.4)",
     "Horowitz, Computing's energy problem, ISSCC 2014 (45 nm): FP32 add 0.9 pJ, FP16 0.4 pJ"},
    {"e_mul_pj", SIM_P_REAL, "3.7", "pJ", 0, 1e4, NULL,
     "energy of one multiply (fp16 default when not given: 1.1)",
     "Horowitz ISSCC 2014 (45 nm): FP32 mult 3.7 pJ, FP16 1.1 pJ"},
    {"regfile_kb", SIM_P_REAL, "2", "KiB", 0, 1e6, NULL,
     "vector register file size (sets leakage)", "32 registers x 16 lanes x 4 B"},
    {"cell_type", SIM_P_ENUM, "hp", "", 0, 0, DEV_SRAM_CELLS,
     "CACTI cell type of the register file: hp 1.04, lop 0.059, lstp 0.00017 mW/KiB at 45 nm",
     "CACTI 7, 45 nm, itrs-hp: a register file read every cycle sits on the critical path "
     "(choice unverified against a CACTI run)"},
    DEV_LEAK_PARAMS,
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int vector_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    vunit_t *v = state;
    int rc = dev_base_init(c, &v->base);
    if (rc)
        return rc;
    v->lanes = (uint64_t)sim_param_int(p, "lanes");
    v->depth = (uint64_t)sim_param_int(p, "depth");
    v->sfu_cycles = (uint64_t)sim_param_int(p, "sfu_cycles");
    int fp16 = strcmp(sim_param_str(p, "dtype"), "fp16") == 0;
    v->fmt = fp16 ? DEV_FMT_FP16 : DEV_FMT_FP32;
    v->e_add_pj = sim_param_is_set(p, "e_add_pj") || !fp16 ? sim_param_real(p, "e_add_pj") : 0.4;
    v->e_mul_pj = sim_param_is_set(p, "e_mul_pj") || !fp16 ? sim_param_real(p, "e_mul_pj") : 1.1;
    v->st_e_add = sim_stat(c, "energy.fp_add", SIM_STAT_ENERGY, "pJ");
    v->st_e_mul = sim_stat(c, "energy.fp_mul", SIM_STAT_ENERGY, "pJ");
    v->st_elems = sim_stat(c, "elements", SIM_STAT_COUNT, "elements");
    return dev_leak_init_params(c, &v->leak, p, 1, sim_param_real(p, "regfile_kb"));
}

static unsigned ceil_log2(uint64_t x)
{
    unsigned l = 0;
    while (((uint64_t)1 << l) < x)
        l++;
    return l;
}

/* What rows x cols through vfunc cost: the one function the handler and the
 * cost query share. */
typedef struct vplan {
    uint64_t issue, cycles, elems, bytes;
    double e_add, e_mul;
} vplan_t;

static int vector_plan(const vunit_t *v, const dev_req_t *req, vplan_t *p)
{
    dev_vf_cost_t k;
    if (dev_vf_cost(req->vfunc, &k))
        return SIM_ERR_CONFIG;
    uint64_t rows = req->m, cols = req->n;
    if (rows == 0 || cols == 0)
        return SIM_ERR_CONFIG;
    int bad = 0;
    uint64_t elems = dev_mul_chk(rows, cols, &bad);
    /* lane-cycles: simple ops 1 each, special ops sfu_cycles each */
    uint64_t per_elem = k.elem_add + k.elem_mul + k.elem_sfu * v->sfu_cycles;
    uint64_t stream = dev_ceil_div(dev_mul_chk(elems, per_elem, &bad), v->lanes);
    /* per row: each reduction ends in a tree over min(cols, lanes) partials, then the
     * scalar row ops run one after another */
    uint64_t tree = ceil_log2(cols < v->lanes ? cols : v->lanes);
    uint64_t row_cycles = k.reductions * tree + k.row_add + k.row_mul + k.row_sfu * v->sfu_cycles;
    p->issue = dev_add_chk(stream, dev_mul_chk(rows, row_cycles, &bad), &bad);
    p->cycles = dev_add_chk(v->depth, p->issue, &bad);
    double n_add = (double)elems * (k.elem_add + k.elem_sfu_add) +
                   (double)rows * (k.row_add + k.row_sfu_add);
    double n_mul = (double)elems * (k.elem_mul + k.elem_sfu_mul) +
                   (double)rows * (k.row_mul + k.row_sfu_mul);
    p->e_add = n_add * v->e_add_pj;
    p->e_mul = n_mul * v->e_mul_pj;
    p->elems = elems;
    p->bytes = dev_mul_chk(elems, v->fmt == DEV_FMT_FP16 ? 2u : 4u, &bad);
    return bad ? SIM_ERR_CONFIG : 0;
}

static int vector_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *k)
{
    (void)c;
    memset(k, 0, sizeof *k);
    vplan_t p;
    if (req->kind != DEV_OP_VECTOR || vector_plan(state, req, &p))
        return SIM_ERR_CONFIG;
    k->issue_cycles = p.issue;
    k->cycles = p.cycles;
    k->energy_pj = p.e_add + p.e_mul +
                   dev_leak_energy(&((const vunit_t *)state)->leak, 1,
                                   (double)p.cycles *
                                       (double)((const vunit_t *)state)->base.unit.period_ps);
    k->bytes = p.bytes;
    return 0;
}

static void vector_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    vunit_t *v = state;
    if (dev_base_take_fwd(c, &v->base, ev))
        return;
    dev_req_t req;
    if (!dev_take_req(c, ev, DEV_OP_BIT(DEV_OP_VECTOR), &req))
        return;
    dev_vf_cost_t k;
    if (dev_vf_cost(req.vfunc, &k)) {
        sim_comp_fail(c, "unknown or missing function (vfunc %u; one of %s)",
                      (unsigned)req.vfunc, DEV_VF_CHOICES + 5);
        return;
    }
    if (req.m == 0 || req.n == 0) {
        sim_comp_fail(c, "empty shape %llux%llu", (unsigned long long)req.m,
                      (unsigned long long)req.n);
        return;
    }
    vplan_t p;
    if (vector_plan(v, &req, &p)) {
        sim_comp_fail(c, "vector '%s' %s %llux%llu: the sizes overflow 64-bit counters",
                      sim_comp_name(c), dev_vfunc_name(req.vfunc), (unsigned long long)req.m,
                      (unsigned long long)req.n);
        return;
    }
    sim_energy(c, v->st_e_add, p.e_add);
    sim_energy(c, v->st_e_mul, p.e_mul);
    sim_stat_add(c, v->st_elems, (double)p.elems);
    double e_leak = dev_leak_op(c, &v->leak, 1, (double)p.cycles * (double)v->base.unit.period_ps);
    dev_base_op(c, &v->base, ev, &req, p.issue, p.cycles, p.e_add + p.e_mul + e_leak, p.bytes);
}

int dev_vector_numerics(sim_comp_t *c, int vfunc, const double *a, const double *b,
                        const double *gamma, const double *beta, double *out, size_t rows,
                        size_t cols)
{
    if (!c || strcmp(sim_comp_model(c), "vector") != 0)
        return SIM_ERR_CONFIG;
    const sim_params_t *p = sim_comp_params(c);
    int fmt = strcmp(sim_param_str(p, "dtype"), "fp16") == 0 ? DEV_FMT_FP16 : DEV_FMT_FP32;
    size_t lanes = (size_t)sim_param_int(p, "lanes");
    return dev_vector_eval(vfunc, fmt, lanes, a, b, gamma, beta, out, rows, cols);
}

static int vector_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n)
{
    (void)err, (void)n;
    int fp16 = strcmp(sim_param_str(p, "dtype"), "fp16") == 0;
    double lane = sim_param_real(p, "lane_area_um2");
    if (lane < 0.0)
        lane = fp16 ? 1360.0 + 1640.0 : 4184.0 + 7700.0;
    dev_area_part(out, "lanes", (double)sim_param_int(p, "lanes") * lane);
    dev_area_part(out, "regfile", dev_sram_area_um2(sim_param_real(p, "regfile_kb") * 1024.0,
                                                    sim_param_real(p, "sram_mm2_per_mib")));
    return 0;
}

static const dev_ext_t vector_ext = {
    .default_clock_hz = 1e9,
    .default_op = DEV_OP_VECTOR,
    .desc = {DEV_CAT_DIGITAL, DEV_OP_BIT(DEV_OP_VECTOR), 0, DEV_MEM_NONE},
    .cost = vector_cost,
    .area = vector_area,
};

const sim_model_t dev_vector_model = {
    .name = "vector",
    .doc = "SIMD vector/special-function unit: m rows x n elements through vfunc",
    .state_size = sizeof(vunit_t),
    .params = vector_params,
    .init = vector_init,
    .handle = vector_handle,
    .ext = &vector_ext,
};
