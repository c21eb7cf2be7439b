/* Training loops (workloads/train.c) and `prism train`: an FP32 MLP and CNN
 * learn the digits (accuracy well above chance, deterministic for a seed);
 * training through the RNS GEMM of an rns_photonic core is bit-for-bit the
 * BFP training with the same blocks and mantissas (the RNS path is exact);
 * the command's JSON keys and its errors for bad moduli and options. */
#include "check_cli.h"
#include "devices/dev.h"
#include "num/num.h"
#include "workloads/wl.h"
#include "workloads/wl_train.h"

#include <math.h>

static wl_dataset_t *digits;
static wl_dataset_t train_all, test_all;

static void setup(void)
{
    char err[512];
    cli_setup("train");
    ck_assert_msg(wl_dataset_load("digits", &digits, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(wl_dataset_split(digits, 1437, &train_all, &test_all, err, sizeof err), 0);
}

static void teardown(void)
{
    wl_dataset_free(digits);
    digits = NULL;
    cli_teardown();
}

/* the first n rows of a set (a view) */
static wl_dataset_t head(const wl_dataset_t *d, int n)
{
    wl_dataset_t v = *d;
    v.rows = n;
    return v;
}

static num_gemm_t *make_gemm(int arith, int block, int bits, const uint32_t *moduli, int k)
{
    num_gemm_cfg_t cfg = {.arith = arith, .block = block, .mant_bits = bits};
    char err[256];
    if (arith == NUM_ARITH_RNS)
        ck_assert_int_eq(num_rns_init(&cfg.rns, moduli, k, 0, err, sizeof err), 0);
    num_gemm_t *g = num_gemm_create(&cfg, err, sizeof err);
    ck_assert_msg(g != NULL, "%s", err);
    return g;
}

START_TEST(test_mlp_fp32_learns_and_is_deterministic)
{
    wl_train_cfg_t cfg;
    wl_train_defaults(&cfg);
    cfg.epochs = 2;
    num_gemm_t *g = make_gemm(NUM_ARITH_FP32, 0, 0, NULL, 0);
    wl_train_result_t a, b;
    char err[256];
    ck_assert_int_eq(wl_train_run(&cfg, g, &train_all, &test_all, NULL, NULL, &a, err, sizeof err),
                     0);
    ck_assert_int_eq(wl_train_run(&cfg, g, &train_all, &test_all, NULL, NULL, &b, err, sizeof err),
                     0);
    ck_assert_int_eq(a.epochs, 2);
    ck_assert_msg(a.test_accuracy > 80.0, "test accuracy %.2f", a.test_accuracy); /* chance: 10 */
    ck_assert(a.epoch[1].loss < a.epoch[0].loss);
    for (int e = 0; e < 2; e++) {
        ck_assert(a.epoch[e].loss == b.epoch[e].loss);
        ck_assert(a.epoch[e].test_accuracy == b.epoch[e].test_accuracy);
    }
    ck_assert_uint_eq(a.params, 64 * 128 + 128 + 128 * 10 + 10);
    /* per epoch: 45 steps x (2 forward + 2 weight-gradient + 1 input-gradient) + 12 test
     * batches x 2 forward */
    ck_assert_uint_eq(a.gemms, 2 * (45 * 5 + 12 * 2));
    /* another seed, another run */
    cfg.seed = 2;
    wl_train_result_t c;
    ck_assert_int_eq(wl_train_run(&cfg, g, &train_all, &test_all, NULL, NULL, &c, err, sizeof err),
                     0);
    ck_assert(c.epoch[0].loss != a.epoch[0].loss);
    wl_train_result_free(&a);
    wl_train_result_free(&b);
    wl_train_result_free(&c);
    num_gemm_destroy(g);
}
END_TEST

START_TEST(test_rns_training_is_bfp_training)
{
    /* 31,32,33 with blocks of 16 and 6-bit mantissas: every block dot product
     * fits the range, so the RNS path reproduces BFP exactly */
    const uint32_t m[3] = {31, 32, 33};
    wl_dataset_t tr = head(&train_all, 400);
    wl_train_cfg_t cfg;
    wl_train_defaults(&cfg);
    cfg.epochs = 2;
    num_gemm_t *gb = make_gemm(NUM_ARITH_BFP, 16, 6, NULL, 0);
    num_gemm_t *gr = make_gemm(NUM_ARITH_RNS, 16, 6, m, 3);
    wl_train_result_t b, r;
    char err[256];
    ck_assert_int_eq(wl_train_run(&cfg, gb, &tr, &test_all, NULL, NULL, &b, err, sizeof err), 0);
    ck_assert_int_eq(wl_train_run(&cfg, gr, &tr, &test_all, NULL, NULL, &r, err, sizeof err), 0);
    for (int e = 0; e < 2; e++) {
        ck_assert(b.epoch[e].loss == r.epoch[e].loss);
        ck_assert(b.epoch[e].test_accuracy == r.epoch[e].test_accuracy);
    }
    ck_assert_msg(r.test_accuracy > 60.0, "%.2f", r.test_accuracy);
    ck_assert_uint_eq(num_gemm_stats(gr)->residue_macs, 3 * num_gemm_stats(gr)->macs);
    /* 2-bit mantissas cannot learn as well as 6-bit ones */
    num_gemm_t *g2 = make_gemm(NUM_ARITH_BFP, 16, 2, NULL, 0);
    wl_train_result_t q;
    ck_assert_int_eq(wl_train_run(&cfg, g2, &tr, &test_all, NULL, NULL, &q, err, sizeof err), 0);
    ck_assert_msg(q.test_accuracy < r.test_accuracy, "2-bit %.2f vs 6-bit %.2f", q.test_accuracy,
                  r.test_accuracy);
    wl_train_result_free(&b);
    wl_train_result_free(&r);
    wl_train_result_free(&q);
    num_gemm_destroy(gb);
    num_gemm_destroy(gr);
    num_gemm_destroy(g2);
}
END_TEST

START_TEST(test_cnn_learns)
{
    wl_dataset_t tr = head(&train_all, 600);
    wl_train_cfg_t cfg;
    wl_train_defaults(&cfg);
    cfg.model = WL_TRAIN_CNN;
    cfg.epochs = 3;
    num_gemm_t *g = make_gemm(NUM_ARITH_FP32, 0, 0, NULL, 0);
    wl_train_result_t a;
    char err[256];
    ck_assert_int_eq(wl_train_run(&cfg, g, &tr, &test_all, NULL, NULL, &a, err, sizeof err), 0);
    ck_assert_msg(a.test_accuracy > 60.0, "CNN test accuracy %.2f", a.test_accuracy);
    ck_assert_uint_eq(a.params, 8 * 9 + 8 + 16 * 72 + 16 + 64 * 10 + 10);
    wl_train_result_free(&a);
    /* a non-square input is refused with a reason */
    wl_dataset_t odd = tr;
    odd.features = 63;
    wl_dataset_t odd_test = test_all;
    odd_test.features = 63;
    ck_assert_int_eq(wl_train_run(&cfg, g, &odd, &odd_test, NULL, NULL, &a, err, sizeof err),
                     WL_ERR_ARG);
    ck_assert_msg(strstr(err, "square single-channel images"), "%s", err);
    num_gemm_destroy(g);
}
END_TEST

START_TEST(test_cli)
{
    SKIP_WITHOUT_PRISM();
    static char out[1 << 16];
    ck_assert_int_eq(run(out, sizeof out,
                         "%s train --data digits --train-rows 300 --epochs 1 --compare fp32 "
                         "--json",
                         prism),
                     0);
    ck_assert_msg(strstr(out, "\"test_accuracy\"") && strstr(out, "\"fp32_test_accuracy\"") &&
                      strstr(out, "\"residue_macs\"") && strstr(out, "\"moduli\":\t[31, 32, 33]"),
                  "%s", out);
    ck_assert_int_eq(run(out, sizeof out, "%s train --moduli 32,34,35 --epochs 1", prism), 2);
    ck_assert_msg(strstr(out, "moduli 32 and 34 are not coprime"), "%s", out);
    ck_assert_int_eq(run(out, sizeof out, "%s train --mant-bits 8 --epochs 1", prism), 2);
    ck_assert_msg(strstr(out, "range too small") && strstr(out, "8-bit x 8-bit"), "%s", out);
    ck_assert_int_eq(run(out, sizeof out, "%s train --arith fp32 --redundant 2", prism), 2);
    ck_assert_msg(strstr(out, "need --arith rns"), "%s", out);
    ck_assert_int_eq(run(out, sizeof out, "%s train --arith fp16", prism), 2);
    ck_assert_msg(strstr(out, "expected fp32, bfp or rns"), "%s", out);
    ck_assert_int_eq(run(out, sizeof out, "%s train --data %s", prism, path("none.csv")), 2);
    ck_assert_int_eq(run(out, sizeof out, "%s train --help", prism), 0);
    ck_assert_msg(strstr(out, "--phase-noise"), "%s", out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mlp_fp32_learns_and_is_deterministic);
    tcase_add_test(tc, test_rns_training_is_bfp_training);
    tcase_add_test(tc, test_cnn_learns);
    tcase_add_test(tc, test_cli);
    suite_add_tcase(s, tc);
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
