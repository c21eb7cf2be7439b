/* C = alpha op(A) op(B) + beta C backed by FP32, block floating point, or
 * BFP -> RNS -> modular GEMM per modulus -> (redundant) decode + CRT -> BFP,
 * the dataflow of Mirage (Demirkiran et al., ISCA 2024). Blocks run along
 * K, so one block's integer dot product has to fit the RNS range; blocks are
 * combined digitally after reverse conversion. */
#include "num/num.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct num_gemm {
    num_gemm_cfg_t cfg;
    num_gemm_stats_t stats;
    uint64_t draw; /* residue_noise call counter */
    /* scratch, grown on demand */
    size_t cap_ak, cap_bk, cap_mn, cap_ae, cap_be;
    float *ap, *bt;    /* op(A) M x K, op(B)^T N x K */
    int32_t *ma, *mb;  /* mantissas, same shapes */
    int32_t *ea, *eb;  /* exponents, M x nb and N x nb */
    uint32_t *ra, *rb; /* residues of one block: M x bs, N x bs */
    uint32_t *res;     /* n x M x N residues of one block */
    uint32_t *clean;   /* the same before noise (retries) */
    double *acc;       /* M x N */
    int64_t *dots;     /* M x N integer dot products of one block */
    size_t cap_dots;
    double *pb; /* N column scales of one block */
    size_t cap_pb;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return NUM_ERR_ARG;
}

const char *num_arith_name(int arith)
{
    switch (arith) {
    case NUM_ARITH_FP32: return "fp32";
    case NUM_ARITH_BFP: return "bfp";
    case NUM_ARITH_RNS: return "rns";
    default: return "?";
    }
}

int num_arith_parse(const char *name)
{
    if (!name)
        return -1;
    for (int a = NUM_ARITH_FP32; a <= NUM_ARITH_RNS; a++)
        if (!strcmp(name, num_arith_name(a)))
            return a;
    return -1;
}

num_gemm_t *num_gemm_create(const num_gemm_cfg_t *cfg, char *err, size_t errlen)
{
    if (!cfg || num_arith_name(cfg->arith)[0] == '?') {
        fail(err, errlen, "unknown arithmetic (fp32|bfp|rns)");
        return NULL;
    }
    num_gemm_cfg_t c = *cfg;
    if (c.arith != NUM_ARITH_FP32) {
        if (c.block < 1 || c.block > (1 << 20)) {
            fail(err, errlen, "BFP block length %d outside 1..%d", c.block, 1 << 20);
            return NULL;
        }
        if (c.mant_bits != 0 && (c.mant_bits < 2 || c.mant_bits > 24)) {
            fail(err, errlen, "mantissa bits %d outside 2..24", c.mant_bits);
            return NULL;
        }
        if (c.retries < 0 || c.retries > 100) {
            fail(err, errlen, "retries %d outside 0..100", c.retries);
            return NULL;
        }
    }
    if (c.arith == NUM_ARITH_BFP && c.mant_bits == 0)
        c.mant_bits = 8;
    if (c.arith == NUM_ARITH_RNS) {
        if (c.rns.n < 1) {
            fail(err, errlen, "RNS arithmetic needs a moduli set");
            return NULL;
        }
        for (int i = 0; i < c.rns.n; i++)
            if (c.rns.m[i] > NUM_RNS_GEMM_MAX_M) {
                fail(err, errlen,
                     "modulus %u is wider than the 16-bit residues of the modular GEMM",
                     c.rns.m[i]);
                return NULL;
            }
        if (c.mant_bits == 0) { /* the widest mantissa the range allows */
            for (int b = 24; b >= 2 && !c.mant_bits; b--)
                if (num_rns_check_gemm(&c.rns, (uint64_t)c.block, b, b, NULL, 0) == NUM_OK)
                    c.mant_bits = b;
            if (!c.mant_bits) {
                num_rns_check_gemm(&c.rns, (uint64_t)c.block, 2, 2, err, errlen);
                return NULL;
            }
        } else if (num_rns_check_gemm(&c.rns, (uint64_t)c.block, c.mant_bits, c.mant_bits, err,
                                      errlen)) {
            return NULL;
        }
    }
    num_gemm_t *g = calloc(1, sizeof *g);
    if (!g) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    g->cfg = c;
    return g;
}

void num_gemm_destroy(num_gemm_t *g)
{
    if (!g)
        return;
    free(g->ap);
    free(g->bt);
    free(g->ma);
    free(g->mb);
    free(g->ea);
    free(g->eb);
    free(g->ra);
    free(g->rb);
    free(g->res);
    free(g->clean);
    free(g->acc);
    free(g->dots);
    free(g->pb);
    free(g);
}

const num_gemm_cfg_t *num_gemm_config(const num_gemm_t *g)
{
    return &g->cfg;
}

const num_gemm_stats_t *num_gemm_stats(const num_gemm_t *g)
{
    return &g->stats;
}

void num_gemm_reset_stats(num_gemm_t *g)
{
    memset(&g->stats, 0, sizeof g->stats);
}

static int grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n <= *cap)
        return 0;
    void *q = realloc(*p, (n ? n : 1) * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Buffers sized for M x N x K with nb blocks; uses the cap_* of the float
 * buffers for the same-shaped integer ones. */
static int reserve(num_gemm_t *g, size_t M, size_t N, size_t K, size_t nb, int n_mod)
{
    size_t ak = g->cap_ak, bk = g->cap_bk, mn = g->cap_mn, ae = g->cap_ae, be = g->cap_be;
    if (M * K > ak) {
        size_t c1 = ak, c2 = ak;
        if (grow((void **)&g->ap, &c1, M * K, sizeof *g->ap) ||
            grow((void **)&g->ma, &c2, M * K, sizeof *g->ma))
            return NUM_ERR_NOMEM;
        g->cap_ak = M * K;
    }
    if (N * K > bk) {
        size_t c1 = bk, c2 = bk;
        if (grow((void **)&g->bt, &c1, N * K, sizeof *g->bt) ||
            grow((void **)&g->mb, &c2, N * K, sizeof *g->mb))
            return NUM_ERR_NOMEM;
        g->cap_bk = N * K;
    }
    size_t bs = (size_t)(g->cfg.block > 0 ? g->cfg.block : 1);
    if (M * nb > ae || M * bs > ae) {
        size_t need = M * (nb > bs ? nb : bs), c1 = ae, c2 = ae;
        if (grow((void **)&g->ea, &c1, need, sizeof *g->ea) ||
            grow((void **)&g->ra, &c2, need, sizeof *g->ra))
            return NUM_ERR_NOMEM;
        g->cap_ae = need;
    }
    if (N * nb > be || N * bs > be) {
        size_t need = N * (nb > bs ? nb : bs), c1 = be, c2 = be;
        if (grow((void **)&g->eb, &c1, need, sizeof *g->eb) ||
            grow((void **)&g->rb, &c2, need, sizeof *g->rb))
            return NUM_ERR_NOMEM;
        g->cap_be = need;
    }
    size_t need = M * N * (size_t)(n_mod > 1 ? n_mod : 1);
    if (need > mn) {
        size_t c1 = mn, c2 = mn, c3 = mn;
        if (grow((void **)&g->res, &c1, need, sizeof *g->res) ||
            grow((void **)&g->clean, &c2, need, sizeof *g->clean) ||
            grow((void **)&g->acc, &c3, need, sizeof *g->acc))
            return NUM_ERR_NOMEM;
        g->cap_mn = need;
    }
    return 0;
}

/* One block's integer dot products through the RNS: residues per modulus,
 * modular GEMM, device noise, decoding (with retries), into out[M x N]. */
static int rns_block(num_gemm_t *g, size_t M, size_t N, size_t K, size_t k0, size_t len,
                     int64_t *out)
{
    const num_rns_t *rns = &g->cfg.rns;
    int n = rns->n;
    size_t mn = M * N;
    for (int l = 0; l < n; l++) {
        uint32_t m = rns->m[l];
        for (size_t i = 0; i < M; i++)
            for (size_t k = 0; k < len; k++)
                g->ra[i * len + k] = num_mod_of(g->ma[i * K + k0 + k], m);
        for (size_t j = 0; j < N; j++)
            for (size_t k = 0; k < len; k++)
                g->rb[j * len + k] = num_mod_of(g->mb[j * K + k0 + k], m);
        uint32_t *r = g->res + (size_t)l * mn;
        num_mod_gemm(m, M, N, len, g->ra, g->rb, r);
        if (g->cfg.residue_noise) {
            if (g->cfg.retries)
                memcpy(g->clean + (size_t)l * mn, r, mn * sizeof *r);
            g->stats.residue_errors +=
                g->cfg.residue_noise(g->cfg.noise_ctx, l, m, len, r, mn, g->draw++);
        }
    }
    g->stats.residue_macs += (uint64_t)mn * len * (uint64_t)n;
    g->stats.dot_products += mn;
    uint32_t code[NUM_RNS_MAX];
    for (size_t idx = 0; idx < mn; idx++) {
        for (int l = 0; l < n; l++)
            code[l] = g->res[(size_t)l * mn + idx];
        num_i128_t x;
        int fixed;
        int rc = num_rns_decode(rns, code, &x, &fixed);
        for (int t = 0; rc && t < g->cfg.retries; t++) { /* execute this dot product again */
            g->stats.retried++;
            for (int l = 0; l < n; l++) {
                code[l] = g->clean[(size_t)l * mn + idx];
                g->stats.residue_errors += g->cfg.residue_noise(g->cfg.noise_ctx, l, rns->m[l], len,
                                                                &code[l], 1, g->draw++);
            }
            rc = num_rns_decode(rns, code, &x, &fixed);
        }
        if (rc)
            g->stats.detected++;
        else if (fixed >= 0)
            g->stats.corrected++;
        out[idx] = (int64_t)x;
    }
    return NUM_OK;
}

int num_gemm_run(num_gemm_t *g, int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
                 const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                 size_t ldc)
{
    if (!g || (M && N && K && (!A || !B)) || (M && N && !C))
        return NUM_ERR_ARG;
    if ((!trans_a && lda < K) || (trans_a && lda < M) || (!trans_b && ldb < N) ||
        (trans_b && ldb < K) || ldc < N)
        return NUM_ERR_ARG;
    const num_gemm_cfg_t *c = &g->cfg;
    size_t bs = c->arith == NUM_ARITH_FP32 ? (K ? K : 1) : (size_t)c->block;
    size_t nb = K ? (K + bs - 1) / bs : 0;
    int n_mod = c->arith == NUM_ARITH_RNS ? c->rns.n : 1;
    if (reserve(g, M, N, K, nb, n_mod))
        return NUM_ERR_NOMEM;
    g->stats.calls++;
    g->stats.macs += (uint64_t)M * N * K;
    /* pack op(A) (M x K) and op(B)^T (N x K), both K-contiguous */
    for (size_t i = 0; i < M; i++)
        for (size_t k = 0; k < K; k++)
            g->ap[i * K + k] = trans_a ? A[k * lda + i] : A[i * lda + k];
    for (size_t j = 0; j < N; j++)
        for (size_t k = 0; k < K; k++)
            g->bt[j * K + k] = trans_b ? B[j * ldb + k] : B[k * ldb + j];
    double *acc = g->acc;
    if (c->arith == NUM_ARITH_FP32) {
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                const float *a = g->ap + i * K, *b = g->bt + j * K;
                float s = 0.0f;
                for (size_t k = 0; k < K; k++)
                    s += a[k] * b[k];
                acc[i * N + j] = s;
            }
    } else {
        int w = c->mant_bits;
        for (size_t i = 0; i < M; i++)
            if (num_bfp_encode(g->ap + i * K, K, bs, w, g->ma + i * K, g->ea + i * nb))
                return NUM_ERR_ARG; /* a value that is not finite */
        for (size_t j = 0; j < N; j++)
            if (num_bfp_encode(g->bt + j * K, K, bs, w, g->mb + j * K, g->eb + j * nb))
                return NUM_ERR_ARG;
        memset(acc, 0, M * N * sizeof *acc);
        if (grow((void **)&g->dots, &g->cap_dots, M * N, sizeof *g->dots) ||
            grow((void **)&g->pb, &g->cap_pb, N, sizeof *g->pb))
            return NUM_ERR_NOMEM;
        int64_t *dots = g->dots;
        for (size_t b = 0; b < nb; b++) {
            size_t k0 = b * bs, len = K - k0 < bs ? K - k0 : bs;
            if (c->arith == NUM_ARITH_RNS) {
                rns_block(g, M, N, K, k0, len, dots);
            } else {
                for (size_t i = 0; i < M; i++)
                    for (size_t j = 0; j < N; j++) {
                        const int32_t *a = g->ma + i * K + k0, *bb = g->mb + j * K + k0;
                        int64_t s = 0;
                        for (size_t k = 0; k < len; k++)
                            s += (int64_t)a[k] * bb[k];
                        dots[i * N + j] = s;
                    }
            }
            /* powers of two: exact in double for any float's block exponent */
            for (size_t j = 0; j < N; j++)
                g->pb[j] = ldexp(1.0, g->eb[j * nb + b]);
            for (size_t i = 0; i < M; i++) {
                double pa = ldexp(1.0, g->ea[i * nb + b]);
                const int64_t *d = dots + i * N;
                double *out = acc + i * N;
                for (size_t j = 0; j < N; j++)
                    out[j] += (double)d[j] * pa * g->pb[j];
            }
        }
    }
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            float v = (float)((double)alpha * acc[i * N + j]);
            C[i * ldc + j] = beta == 0.0f ? v : v + beta * C[i * ldc + j];
        }
    return NUM_OK;
}
