/* Systolic array (R x C MACs; output-, weight- or input-stationary) timed as
 * SCALE-Sim v2 times it (its closed forms, ../docs/devices/systolic.md), or in
 * a realistic mode that hides the stationary preload under the previous
 * fold's drain and stalls on operand SRAM bandwidth. Energy: Horowitz,
 * "Computing's energy problem", ISSCC 2014 (45 nm) for MACs and SRAM. */
#include "devices/systolic.h"

#include "devices/dev_common.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- pure cost model ------------------------------------------------------ */

int systolic_dataflow_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "os") == 0)
        return SYSTOLIC_OS;
    if (strcmp(name, "ws") == 0)
        return SYSTOLIC_WS;
    if (strcmp(name, "is") == 0)
        return SYSTOLIC_IS;
    return -1;
}

int systolic_mode_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "scalesim") == 0)
        return SYSTOLIC_SCALESIM;
    if (strcmp(name, "realistic") == 0)
        return SYSTOLIC_REALISTIC;
    return -1;
}

const char *systolic_dataflow_name(systolic_dataflow_t df)
{
    switch (df) {
    case SYSTOLIC_OS:
        return "os";
    case SYSTOLIC_WS:
        return "ws";
    case SYSTOLIC_IS:
        return "is";
    }
    return "?";
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

int systolic_conv_to_gemm(uint64_t h, uint64_t w, uint64_t c, uint64_t fh, uint64_t fw,
                          uint64_t stride, uint64_t nf, uint64_t *m, uint64_t *k, uint64_t *n)
{
    if (!m || !k || !n || h == 0 || w == 0 || c == 0 || fh == 0 || fw == 0 || stride == 0 ||
        nf == 0 || fh > h || fw > w)
        return -3; /* SIM_ERR_CONFIG */
    uint64_t oh = ceil_div(h - fh + stride, stride);
    uint64_t ow = ceil_div(w - fw + stride, stride);
    uint64_t mm, kk;
    if (__builtin_mul_overflow(oh, ow, &mm) || __builtin_mul_overflow(fh, fw, &kk) ||
        __builtin_mul_overflow(kk, c, &kk))
        return -3;
    *m = mm;
    *k = kk;
    *n = nf;
    return 0;
}

/* Checked arithmetic: once `bad` is set every result is garbage and the
 * caller reports an overflow. */
typedef struct acc {
    int bad;
} acc_t;

static uint64_t mul(acc_t *a, uint64_t x, uint64_t y)
{
    uint64_t r;
    if (__builtin_mul_overflow(x, y, &r))
        a->bad = 1;
    return r;
}

static uint64_t add(acc_t *a, uint64_t x, uint64_t y)
{
    uint64_t r;
    if (__builtin_add_overflow(x, y, &r))
        a->bad = 1;
    return r;
}

/* Cycles to move `bytes` through a port of `bw` bytes/cycle (0: unlimited). */
static uint64_t port_cycles(acc_t *a, uint64_t bytes, double bw)
{
    if (bw <= 0.0 || bytes == 0)
        return 0;
    double t = (double)bytes / bw;
    if (!(t < 9.0e18)) {
        a->bad = 1;
        return 0;
    }
    /* a whole number of cycles; the tolerance keeps exact quotients exact */
    return (uint64_t)ceil(t * (1.0 - 1e-12));
}

static uint64_t max_u64(uint64_t x, uint64_t y)
{
    return x > y ? x : y;
}

/* Words each operand moves in one fold that uses r rows and c columns of
 * the array while T rows of work stream through it. */
typedef struct fold_words {
    uint64_t ifmap, filter, ofmap;
} fold_words_t;

static fold_words_t fold_words(acc_t *a, systolic_dataflow_t df, uint64_t r, uint64_t c,
                               uint64_t t)
{
    fold_words_t w;
    switch (df) {
    case SYSTOLIC_OS: /* r output rows x c output columns, K streamed */
        w.ifmap = mul(a, r, t);
        w.filter = mul(a, t, c);
        w.ofmap = mul(a, r, c);
        break;
    case SYSTOLIC_WS: /* r x c weights preloaded, M input rows streamed */
        w.ifmap = mul(a, t, r);
        w.filter = mul(a, r, c);
        w.ofmap = mul(a, t, c);
        break;
    default: /* IS: r x c inputs preloaded, N weight columns streamed */
        w.ifmap = mul(a, r, c);
        w.filter = mul(a, t, r);
        w.ofmap = mul(a, t, c);
        break;
    }
    return w;
}

/* Realistic-mode cycles of one fold. Streamed operands must arrive within the
 * streaming phase (else it stretches); the output writes get the streaming
 * phase plus the drain; the stationary operand (ws: filter, is: ifmap) takes
 * max(R, its port time) to load: exposed in full for the first fold, and for
 * later folds only what exceeds the previous fold's drain, under which it is
 * double-buffered. */
static uint64_t realistic_fold_cycles(acc_t *a, const systolic_cfg_t *cfg, fold_words_t w,
                                      uint64_t t, int first)
{
    uint64_t wb = cfg->word_bytes, R = cfg->rows, C = cfg->cols;
    uint64_t drain = R + C - 2;
    uint64_t ifmap_t = port_cycles(a, mul(a, w.ifmap, wb), cfg->ifmap_bw);
    uint64_t filter_t = port_cycles(a, mul(a, w.filter, wb), cfg->filter_bw);
    uint64_t ofmap_t = port_cycles(a, mul(a, w.ofmap, wb), cfg->ofmap_bw);
    uint64_t stream = t, load = 0;
    switch (cfg->dataflow) {
    case SYSTOLIC_OS:
        stream = max_u64(t, max_u64(ifmap_t, filter_t));
        break;
    case SYSTOLIC_WS:
        stream = max_u64(t, ifmap_t);
        load = max_u64(R, filter_t);
        break;
    case SYSTOLIC_IS:
        stream = max_u64(t, filter_t);
        load = max_u64(R, ifmap_t);
        break;
    }
    uint64_t body = add(a, stream, drain);
    uint64_t out_stall = ofmap_t > body ? ofmap_t - body : 0;
    uint64_t exposed = first ? load : (load > drain ? load - drain : 0);
    return add(a, add(a, exposed, body), out_stall);
}

int systolic_gemm_cost(const systolic_cfg_t *cfg, uint64_t m, uint64_t k, uint64_t n,
                       systolic_cost_t *out)
{
    if (!out)
        return -3;
    memset(out, 0, sizeof *out);
    if (!cfg) {
        snprintf(out->err, sizeof out->err, "no array configuration");
        return -3;
    }
    if (cfg->rows == 0 || cfg->cols == 0) {
        snprintf(out->err, sizeof out->err, "array is %llux%llu; rows and cols must be >= 1",
                 (unsigned long long)cfg->rows, (unsigned long long)cfg->cols);
        return -3;
    }
    if (m == 0 || k == 0 || n == 0) {
        snprintf(out->err, sizeof out->err, "gemm %llux%llux%llu has a zero dimension",
                 (unsigned long long)m, (unsigned long long)k, (unsigned long long)n);
        return -3;
    }
    if (cfg->word_bytes == 0) {
        snprintf(out->err, sizeof out->err, "word_bytes must be >= 1");
        return -3;
    }
    if ((unsigned)cfg->dataflow > SYSTOLIC_IS || (unsigned)cfg->mode > SYSTOLIC_REALISTIC) {
        snprintf(out->err, sizeof out->err, "unknown dataflow or mode");
        return -3;
    }
    if (!(cfg->ifmap_bw >= 0.0) || !(cfg->filter_bw >= 0.0) || !(cfg->ofmap_bw >= 0.0) ||
        !isfinite(cfg->ifmap_bw) || !isfinite(cfg->filter_bw) || !isfinite(cfg->ofmap_bw)) {
        snprintf(out->err, sizeof out->err,
                 "SRAM bandwidths must be finite and >= 0 bytes/cycle (0 = unlimited)");
        return -3;
    }

    acc_t a = {0};
    uint64_t R = cfg->rows, C = cfg->cols, wb = cfg->word_bytes;
    /* what spreads over rows, over columns, and streams in time */
    uint64_t dim_r, dim_c, t;
    switch (cfg->dataflow) {
    case SYSTOLIC_OS:
        dim_r = m, dim_c = n, t = k;
        break;
    case SYSTOLIC_WS:
        dim_r = k, dim_c = n, t = m;
        break;
    default:
        dim_r = k, dim_c = m, t = n;
        break;
    }
    uint64_t folds_r = ceil_div(dim_r, R), folds_c = ceil_div(dim_c, C);
    out->folds = mul(&a, folds_r, folds_c);
    uint64_t preload = cfg->dataflow == SYSTOLIC_OS ? 0 : R; /* stationary operand */
    out->fold_cycles = add(&a, add(&a, t, preload), R + C - 2);
    out->scalesim_cycles = mul(&a, out->folds, out->fold_cycles) - 1;
    out->macs = mul(&a, mul(&a, m, k), n);

    /* Folds come in at most four shapes: full or edge along rows x columns. */
    uint64_t rows_used[2] = {R, dim_r % R}, rows_count[2] = {dim_r / R, dim_r % R != 0};
    uint64_t cols_used[2] = {C, dim_c % C}, cols_count[2] = {dim_c / C, dim_c % C != 0};
    uint64_t ifw = 0, flw = 0, ofw = 0, real_total = 0;
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            uint64_t count = mul(&a, rows_count[i], cols_count[j]);
            if (count == 0)
                continue;
            fold_words_t w = fold_words(&a, cfg->dataflow, rows_used[i], cols_used[j], t);
            ifw = add(&a, ifw, mul(&a, count, w.ifmap));
            flw = add(&a, flw, mul(&a, count, w.filter));
            ofw = add(&a, ofw, mul(&a, count, w.ofmap));
            if (cfg->mode == SYSTOLIC_REALISTIC)
                real_total = add(&a, real_total,
                                 mul(&a, count, realistic_fold_cycles(&a, cfg, w, t, 0)));
        }
    }
    if (cfg->mode == SYSTOLIC_SCALESIM) {
        if (cfg->dataflow == SYSTOLIC_OS) /* SCALE-Sim's os output-write artifact */
            out->ofmap_artifact_bytes = mul(&a, mul(&a, out->folds, R + C), wb);
        out->cycles = out->scalesim_cycles;
    } else {
        /* the first fold (rows 0.., columns 0..) pays its whole preload */
        fold_words_t w0 = fold_words(&a, cfg->dataflow, dim_r < R ? dim_r : R,
                                     dim_c < C ? dim_c : C, t);
        real_total = add(&a, real_total, realistic_fold_cycles(&a, cfg, w0, t, 1));
        real_total -= realistic_fold_cycles(&a, cfg, w0, t, 0);
        uint64_t drain = R + C - 2;
        uint64_t hidden = preload < drain ? preload : drain;
        out->overlap_saved_cycles = mul(&a, out->folds - 1, hidden);
        out->cycles = real_total - 1;
        out->stall_cycles = out->cycles - (out->scalesim_cycles - out->overlap_saved_cycles);
    }
    out->ifmap_read_bytes = mul(&a, ifw, wb);
    out->filter_read_bytes = mul(&a, flw, wb);
    out->ofmap_write_bytes = add(&a, mul(&a, ofw, wb), out->ofmap_artifact_bytes);
    if (a.bad) {
        char err[sizeof out->err];
        snprintf(err, sizeof err,
                 "gemm %llux%llux%llu on a %llux%llu array overflows 64-bit counters",
                 (unsigned long long)m, (unsigned long long)k, (unsigned long long)n,
                 (unsigned long long)R, (unsigned long long)C);
        memset(out, 0, sizeof *out);
        memcpy(out->err, err, sizeof err);
        return -3;
    }
    double denom = (double)(out->cycles ? out->cycles : 1) * (double)R * (double)C;
    out->utilization = (double)out->macs / denom;
    return 0;
}

/* ---- the timed component -------------------------------------------------- */

typedef struct systolic {
    dev_base_t base; /* unit (FIFO occupancy), port "out", shared op counters */
    systolic_cfg_t cfg;
    double mac_pj, fp16_mac_pj, fp32_mac_pj, sram_read_pj, sram_write_pj;
    uint64_t total_macs, total_cycles;
    int st_scalesim, st_stall, st_saved, st_folds, st_macs, st_ifmap, st_filter, st_ofmap,
        st_artifact, st_e_mac, st_e_sram, st_util, st_macs_int8, st_macs_fp16, st_macs_fp32;
} systolic_t;

static const sim_param_def_t systolic_params[] = {
    {"rows", SIM_P_INT, "32", "PEs", 1, 65536, NULL, "array height R (PE rows)",
     "SCALE-Sim v2 default config (32x32 array)"},
    {"cols", SIM_P_INT, "32", "PEs", 1, 65536, NULL, "array width C (PE columns)",
     "SCALE-Sim v2 default config (32x32 array)"},
    {"dataflow", SIM_P_ENUM, "ws", "", 0, -1, "os|ws|is",
     "output-, weight- or input-stationary mapping",
     "weight stationary as in the TPU (Jouppi et al., ISCA 2017); SCALE-Sim v2 offers all three"},
    {"mode", SIM_P_ENUM, "scalesim", "", 0, -1, "scalesim|realistic",
     "scalesim: SCALE-Sim v2's cycles exactly; realistic: preload under drain + bandwidth stalls",
     "SCALE-Sim v2 (Samajdar et al., ISPASS 2020) compute-cycle model"},
    {"word_bytes", SIM_P_INT, "1", "B", 1, 8, NULL, "bytes per operand word",
     "SCALE-Sim v2 counts 1-byte words (8-bit operands)"},
    {"mac_pj", SIM_P_REAL, "0.23", "pJ", 0, 1e6, NULL,
     "energy per 8-bit integer multiply-accumulate (int8 operands, or word_bytes = 1 when "
     "the request names no format)",
     "Horowitz ISSCC 2014, 45 nm: 8-bit int mult 0.2 pJ + 8-bit add 0.03 pJ"},
    {"fp16_mac_pj", SIM_P_REAL, "1.5", "pJ", 0, 1e6, NULL,
     "energy per FP16 (and BF16) multiply-accumulate (f16/bf16 operands, or word_bytes = 2)",
     "Horowitz ISSCC 2014, 45 nm: 16-bit FP mult 1.1 pJ + 16-bit FP add 0.4 pJ; BF16 priced "
     "as FP16 (no BF16 figure in the source: an upper bound, its multiplier is narrower)"},
    {"fp32_mac_pj", SIM_P_REAL, "4.6", "pJ", 0, 1e6, NULL,
     "energy per FP32 multiply-accumulate (f32 operands, or word_bytes >= 4)",
     "Horowitz ISSCC 2014, 45 nm: 32-bit FP mult 3.7 pJ + 32-bit FP add 0.9 pJ (same node and "
     "source as mac_pj, unscaled like it)"},
    {"buffer_bank_kb", SIM_P_REAL, "512", "KiB", 1e-3, 1e9, NULL,
     "bank size of the SRAM buffer the array reads operands from and writes results to",
     "configs/chip.yaml buffer: 8 MiB in 16 banks = 512 KiB per bank"},
    {"sram_read_pj", SIM_P_REAL, "-1", "pJ/B", -1, 1e6, NULL,
     "operand SRAM read energy per byte; -1 = the sram model's energy for a buffer_bank_kb "
     "bank (20 pJ per 64 bits at 32 KiB x sqrt(bank / 32 KiB) / 8 B)",
     "Horowitz ISSCC 2014, 45 nm: 64-bit read of a 32 KB SRAM 20 pJ, ~sqrt of the array size "
     "(as devices/sram.c)"},
    {"sram_write_pj", SIM_P_REAL, "-1", "pJ/B", -1, 1e6, NULL,
     "output SRAM write energy per byte; -1 = as sram_read_pj (the sram model's write energy)",
     "Horowitz ISSCC 2014 (write taken = read, as devices/sram.c)"},
    {"ifmap_bw", SIM_P_REAL, "0", "B/cycle", 0, 1e12, NULL,
     "input SRAM bandwidth, realistic mode (0 = unlimited)",
     "SCALE-Sim v2 calculated-bandwidth mode: reads never stall"},
    {"filter_bw", SIM_P_REAL, "0", "B/cycle", 0, 1e12, NULL,
     "weight SRAM bandwidth, realistic mode (0 = unlimited)",
     "SCALE-Sim v2 calculated-bandwidth mode: reads never stall"},
    {"ofmap_bw", SIM_P_REAL, "0", "B/cycle", 0, 1e12, NULL,
     "output SRAM bandwidth, realistic mode (0 = unlimited)",
     "SCALE-Sim v2 calculated-bandwidth mode: writes never stall"},
    {"pe_area_um2", SIM_P_REAL, "1212", "um2", 0, 1e9, NULL,
     "area of one 8-bit MAC PE (x word_bytes^2: a multiplier grows as the square of its width)",
     "TPU v1 (Jouppi et al., ISCA 2017, 28 nm): the 256 x 256 MAC unit is 24 % of a 331 mm2 "
     "die, 0.24 x 331 mm2 / 65536 = 1212 um2 per MAC; the word_bytes^2 scaling is prism's"},
    {"buffer_banks", SIM_P_INT, "3", "", 0, 64, NULL,
     "operand SRAM banks of buffer_bank_kb each (area only)",
     "SCALE-Sim's three operand buffers: ifmap, filter, ofmap"},
    DEV_SRAM_AREA_PARAM,
    {"leak_mw_per_pe", SIM_P_REAL, "0", "mW", 0, 1e3, NULL,
     "static (leakage) power per PE",
     "not modelled by default: Horowitz 2014 and SCALE-Sim give dynamic figures only; "
     "set from a synthesis report"},
    {NULL, SIM_P_INT, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int systolic_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    systolic_t *s = state;
    int rc = dev_base_init(c, &s->base);
    if (rc != 0)
        return rc;
    s->cfg.rows = (uint64_t)sim_param_int(p, "rows");
    s->cfg.cols = (uint64_t)sim_param_int(p, "cols");
    int df = systolic_dataflow_parse(sim_param_str(p, "dataflow"));
    int mode = systolic_mode_parse(sim_param_str(p, "mode"));
    if (df < 0 || mode < 0)
        return sim_comp_fail(c, "systolic '%s': dataflow must be os|ws|is and mode "
                                "scalesim|realistic",
                             sim_comp_name(c));
    s->cfg.dataflow = (systolic_dataflow_t)df;
    s->cfg.mode = (systolic_mode_t)mode;
    s->cfg.word_bytes = (uint64_t)sim_param_int(p, "word_bytes");
    s->cfg.ifmap_bw = sim_param_real(p, "ifmap_bw");
    s->cfg.filter_bw = sim_param_real(p, "filter_bw");
    s->cfg.ofmap_bw = sim_param_real(p, "ofmap_bw");
    s->mac_pj = sim_param_real(p, "mac_pj");
    s->fp16_mac_pj = sim_param_real(p, "fp16_mac_pj");
    s->fp32_mac_pj = sim_param_real(p, "fp32_mac_pj");
    /* operand energy: the sram model's 64-bit access of a buffer_bank_kb bank, per byte */
    double bank_kb = sim_param_real(p, "buffer_bank_kb");
    double e_byte = dev_sram_access_pj(DEV_SRAM_REF_PJ, DEV_SRAM_REF_KIB, bank_kb, 8.0, 1) / 8.0;
    s->sram_read_pj = sim_param_real(p, "sram_read_pj");
    s->sram_write_pj = sim_param_real(p, "sram_write_pj");
    if (s->sram_read_pj < 0.0)
        s->sram_read_pj = e_byte;
    if (s->sram_write_pj < 0.0)
        s->sram_write_pj = e_byte;

    struct {
        int *handle;
        const char *name;
        sim_stat_kind_t kind;
        const char *unit;
    } stats[] = {
        {&s->st_scalesim, "scalesim_cycles", SIM_STAT_COUNT, "cycles"},
        {&s->st_stall, "stall_cycles", SIM_STAT_COUNT, "cycles"},
        {&s->st_saved, "overlap_saved_cycles", SIM_STAT_COUNT, "cycles"},
        {&s->st_folds, "folds", SIM_STAT_COUNT, ""},
        {&s->st_macs, "macs", SIM_STAT_COUNT, ""},
        /* the MACs by the operand format they were priced in */
        {&s->st_macs_int8, "macs.int8", SIM_STAT_COUNT, ""},
        {&s->st_macs_fp16, "macs.fp16", SIM_STAT_COUNT, ""},
        {&s->st_macs_fp32, "macs.fp32", SIM_STAT_COUNT, ""},
        {&s->st_ifmap, "sram.ifmap_read_bytes", SIM_STAT_COUNT, "B"},
        {&s->st_filter, "sram.filter_read_bytes", SIM_STAT_COUNT, "B"},
        {&s->st_ofmap, "sram.ofmap_write_bytes", SIM_STAT_COUNT, "B"},
        /* part of sram.ofmap_write_bytes that only SCALE-Sim's os code writes */
        {&s->st_artifact, "sram.ofmap_write_bytes.scalesim_os_artifact", SIM_STAT_COUNT, "B"},
        {&s->st_e_mac, "energy.mac", SIM_STAT_ENERGY, "pJ"},
        {&s->st_e_sram, "energy.sram", SIM_STAT_ENERGY, "pJ"},
        {&s->st_util, "pe_utilization", SIM_STAT_VALUE, ""},
    };
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++) {
        *stats[i].handle = sim_stat(c, stats[i].name, stats[i].kind, stats[i].unit);
        if (*stats[i].handle < 0)
            return sim_comp_fail(c, "systolic '%s': cannot register stat %s", sim_comp_name(c),
                                 stats[i].name);
    }
    double leak = sim_param_real(p, "leak_mw_per_pe");
    if (leak > 0.0)
        sim_static_power_mw(c, leak * (double)s->cfg.rows * (double)s->cfg.cols);
    return 0;
}

/* The operand format a request computes in (DEV_F_OPND of its flags: the
 * workload's dtype), or, when it names none, the one the array's word size
 * implies: 1 byte int8, 2 bytes FP16, 4 or more FP32. */
static int systolic_opnd(const systolic_t *s, const dev_req_t *req)
{
    int f = DEV_REQ_OPND(req);
    if (f >= DEV_OPND_INT8 && f <= DEV_OPND_FP32)
        return f;
    return s->cfg.word_bytes == 1   ? DEV_OPND_INT8
           : s->cfg.word_bytes == 2 ? DEV_OPND_FP16
                                    : DEV_OPND_FP32;
}

/* The array as it runs `req`: a request that names its format moves words of
 * that format's size (SRAM traffic and, in realistic mode, bandwidth stalls). */
static systolic_cfg_t systolic_cfg_for(const systolic_t *s, const dev_req_t *req)
{
    systolic_cfg_t cfg = s->cfg;
    int f = DEV_REQ_OPND(req);
    if (f == DEV_OPND_INT8)
        cfg.word_bytes = 1;
    else if (f == DEV_OPND_FP16 || f == DEV_OPND_BF16)
        cfg.word_bytes = 2;
    else if (f == DEV_OPND_FP32)
        cfg.word_bytes = 4;
    return cfg;
}

static double systolic_mac_pj(const systolic_t *s, int opnd)
{
    return opnd == DEV_OPND_FP32   ? s->fp32_mac_pj
           : opnd == DEV_OPND_INT8 ? s->mac_pj
                                   : s->fp16_mac_pj;
}

/* Energy of a costed GEMM (MACs at the operand format's energy; operand SRAM
 * reads and writes); returns the bytes it moves. */
static uint64_t systolic_energy(const systolic_t *s, int opnd, const systolic_cost_t *cost,
                                double *e_mac, double *e_sram)
{
    *e_mac = (double)cost->macs * systolic_mac_pj(s, opnd);
    *e_sram = (double)(cost->ifmap_read_bytes + cost->filter_read_bytes) * s->sram_read_pj +
              (double)cost->ofmap_write_bytes * s->sram_write_pj;
    return cost->ifmap_read_bytes + cost->filter_read_bytes + cost->ofmap_write_bytes;
}

/* dev_ext_t.cost: the same closed forms and energy the handler uses. */
static int systolic_dev_cost(sim_comp_t *c, const void *state, const dev_req_t *req,
                             dev_cost_t *k)
{
    (void)c;
    const systolic_t *s = state;
    memset(k, 0, sizeof *k);
    systolic_cost_t cost;
    systolic_cfg_t cfg = systolic_cfg_for(s, req);
    if (req->kind != DEV_OP_GEMM || systolic_gemm_cost(&cfg, req->m, req->k, req->n, &cost))
        return SIM_ERR_CONFIG;
    double e_mac, e_sram;
    k->bytes = systolic_energy(s, systolic_opnd(s, req), &cost, &e_mac, &e_sram);
    k->issue_cycles = k->cycles = cost.cycles;
    k->energy_pj = e_mac + e_sram;
    return 0;
}

/* A GEMM holds the whole array for its cycles; requests queue in arrival
 * order (dev_unit_t) and the completion reports latency with the wait. */
static void systolic_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    systolic_t *s = state;
    if (dev_base_take_fwd(c, &s->base, ev))
        return;
    if (ev->kind != DEV_MSG_REQ) {
        sim_comp_fail(c, "systolic '%s': unexpected message kind %u", sim_comp_name(c),
                      (unsigned)ev->kind);
        return;
    }
    dev_req_t req;
    dev_req_from_event(ev, &req);
    if (req.kind != DEV_OP_GEMM) {
        dev_fail_op(c, &req);
        return;
    }
    systolic_cost_t cost;
    systolic_cfg_t cfg = systolic_cfg_for(s, &req);
    if (systolic_gemm_cost(&cfg, req.m, req.k, req.n, &cost) != 0) {
        sim_comp_fail(c, "systolic '%s' gemm: %s", sim_comp_name(c), cost.err);
        return;
    }
    if (cost.cycles > SIM_TIME_MAX / 4 / s->base.unit.period_ps) {
        sim_comp_fail(c, "systolic '%s' gemm %llux%llux%llu: %llu cycles overflow the clock",
                      sim_comp_name(c), (unsigned long long)req.m, (unsigned long long)req.k,
                      (unsigned long long)req.n, (unsigned long long)cost.cycles);
        return;
    }
    double e_mac, e_sram;
    int opnd = systolic_opnd(s, &req);
    uint64_t bytes = systolic_energy(s, opnd, &cost, &e_mac, &e_sram);
    sim_energy(c, s->st_e_mac, e_mac);
    sim_stat_add(c,
                 opnd == DEV_OPND_FP32   ? s->st_macs_fp32
                 : opnd == DEV_OPND_INT8 ? s->st_macs_int8
                                         : s->st_macs_fp16,
                 (double)cost.macs);
    sim_energy(c, s->st_e_sram, e_sram);
    sim_stat_add(c, s->st_scalesim, (double)cost.scalesim_cycles);
    sim_stat_add(c, s->st_stall, (double)cost.stall_cycles);
    sim_stat_add(c, s->st_saved, (double)cost.overlap_saved_cycles);
    sim_stat_add(c, s->st_folds, (double)cost.folds);
    sim_stat_add(c, s->st_macs, (double)cost.macs);
    sim_stat_add(c, s->st_ifmap, (double)cost.ifmap_read_bytes);
    sim_stat_add(c, s->st_filter, (double)cost.filter_read_bytes);
    sim_stat_add(c, s->st_ofmap, (double)cost.ofmap_write_bytes);
    sim_stat_add(c, s->st_artifact, (double)cost.ofmap_artifact_bytes);
    s->total_macs += cost.macs;
    s->total_cycles += cost.cycles;
    dev_base_op(c, &s->base, ev, &req, cost.cycles, cost.cycles, e_mac + e_sram, bytes);
}

/* utilization over the whole run: MACs / (array cycles * R * C) */
static void systolic_finish(sim_comp_t *c, void *state)
{
    systolic_t *s = state;
    if (s->total_macs == 0)
        return;
    double denom = (double)(s->total_cycles ? s->total_cycles : 1) * (double)s->cfg.rows *
                   (double)s->cfg.cols;
    sim_stat_max(c, s->st_util, (double)s->total_macs / denom);
}

static int systolic_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n)
{
    (void)err, (void)n;
    double wb = (double)sim_param_int(p, "word_bytes");
    dev_area_part(out, "pe", (double)sim_param_int(p, "rows") * (double)sim_param_int(p, "cols") *
                                 sim_param_real(p, "pe_area_um2") * wb * wb);
    dev_area_part(out, "buffers",
                  dev_sram_area_um2((double)sim_param_int(p, "buffer_banks") *
                                        sim_param_real(p, "buffer_bank_kb") * 1024.0,
                                    sim_param_real(p, "sram_mm2_per_mib")));
    return 0;
}

static const dev_ext_t systolic_ext = {
    .default_clock_hz = 1e9,
    .default_op = DEV_OP_GEMM,
    .desc = {DEV_CAT_DIGITAL, DEV_OP_BIT(DEV_OP_GEMM), 0, DEV_MEM_NONE},
    .mvm = NULL,
    .convert = NULL,
    .cost = systolic_dev_cost,
    .area = systolic_area,
};

const sim_model_t dev_systolic_model = {
    .name = "systolic",
    .doc = "R x C systolic MAC array (os/ws/is); SCALE-Sim v2 cycles or a realistic mode",
    .state_size = sizeof(systolic_t),
    .params = systolic_params,
    .init = systolic_init,
    .handle = systolic_handle,
    .finish = systolic_finish,
    .ext = &systolic_ext,
};
