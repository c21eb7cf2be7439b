/* The RNS hot loop: residue multiply-adds per second of the modular GEMM
 * (num_mod_gemm, one modulus) and of the whole BFP -> RNS -> CRT GEMM
 * (num_gemm_run, three moduli) against the FP32 GEMM of the same shape, and
 * the wall time of one epoch of the digits MLP trained in RNS arithmetic.
 * Usage: bench/rns [--n 256] [--json]. Figures are wall-clock on a shared
 * machine: noisy. */
#include "bench_common.h"
#include "num/num.h"
#include "workloads/dataset.h"
#include "workloads/wl_train.h"

static double time_gemm(num_gemm_t *g, size_t n, const float *A, const float *B, float *C, int reps)
{
    double t0 = bench_now();
    for (int r = 0; r < reps; r++)
        num_gemm_run(g, 0, 1, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
    return bench_now() - t0;
}

int main(int argc, char **argv)
{
    const char *ns = bench_arg(argc, argv, "--n");
    size_t n = ns ? (size_t)atol(ns) : 256;
    int json = bench_flag(argc, argv, "--json");
    if (n < 16 || n > 4096) {
        fprintf(stderr, "bench/rns: --n must be 16..4096\n");
        return 2;
    }
    float *A = malloc(n * n * sizeof *A), *B = malloc(n * n * sizeof *B),
          *C = malloc(n * n * sizeof *C);
    uint32_t *ra = malloc(n * n * sizeof *ra), *rb = malloc(n * n * sizeof *rb),
             *rc = malloc(n * n * sizeof *rc);
    if (!A || !B || !C || !ra || !rb || !rc)
        return 1;
    for (size_t i = 0; i < n * n; i++) {
        A[i] = (float)num_gauss(1, 1, i);
        B[i] = (float)num_gauss(1, 2, i);
        ra[i] = (uint32_t)(num_rand_u64(1, 3, i) % 33);
        rb[i] = (uint32_t)(num_rand_u64(1, 4, i) % 33);
    }
    double macs = (double)n * n * n;
    /* one modulus, raw modular GEMM */
    int reps = 3;
    double t0 = bench_now();
    for (int r = 0; r < reps; r++)
        num_mod_gemm(33, n, n, n, ra, rb, rc);
    double t_mod = (bench_now() - t0) / reps;
    /* whole GEMMs */
    const uint32_t m[3] = {31, 32, 33};
    num_gemm_cfg_t cf = {.arith = NUM_ARITH_FP32};
    num_gemm_cfg_t cr = {.arith = NUM_ARITH_RNS, .block = 16};
    char err[256];
    if (num_rns_init(&cr.rns, m, 3, 0, err, sizeof err))
        return 1;
    num_gemm_t *gf = num_gemm_create(&cf, err, sizeof err),
               *gr = num_gemm_create(&cr, err, sizeof err);
    if (!gf || !gr)
        return 1;
    double t_fp32 = time_gemm(gf, n, A, B, C, reps) / reps;
    double t_rns = time_gemm(gr, n, A, B, C, reps) / reps;
    /* one epoch of the digits MLP in RNS */
    wl_dataset_t *ds;
    wl_dataset_t tr, te;
    double epoch_s = -1;
    if (wl_dataset_load("digits", &ds, err, sizeof err) == 0 &&
        wl_dataset_split(ds, 1437, &tr, &te, err, sizeof err) == 0) {
        wl_train_cfg_t cfg;
        wl_train_defaults(&cfg);
        cfg.epochs = 1;
        wl_train_result_t res;
        if (wl_train_run(&cfg, gr, &tr, &te, NULL, NULL, &res, err, sizeof err) == 0) {
            epoch_s = res.epoch[0].seconds;
            wl_train_result_free(&res);
        }
        wl_dataset_free(ds);
    }
    if (json) {
        printf("{\"bench\":\"rns\",\"n\":%zu,\"mod_gemm_residue_macs_per_s\":%.4g,"
               "\"fp32_gemm_macs_per_s\":%.4g,\"rns_gemm_macs_per_s\":%.4g,"
               "\"rns_gemm_residue_macs_per_s\":%.4g,\"digits_mlp_rns_epoch_s\":%.4g}\n",
               n, macs / t_mod, macs / t_fp32, macs / t_rns, 3 * macs / t_rns, epoch_s);
    } else {
        printf("modular GEMM, one modulus (33), %zux%zux%zu: %.3g residue MAC/s\n", n, n, n,
               macs / t_mod);
        printf("FP32 GEMM:                                 %.3g MAC/s\n", macs / t_fp32);
        printf("BFP->RNS(31,32,33)->CRT GEMM, blocks of 16: %.3g MAC/s = %.3g residue MAC/s "
               "(%.1fx the FP32 time)\n",
               macs / t_rns, 3 * macs / t_rns, t_rns / t_fp32);
        printf("one epoch of the digits MLP in RNS: %.3f s\n", epoch_s);
    }
    num_gemm_destroy(gf);
    num_gemm_destroy(gr);
    free(A), free(B), free(C), free(ra), free(rb), free(rc);
    return 0;
}
