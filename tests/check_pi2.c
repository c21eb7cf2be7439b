/* tests/check_pi2.c: the pi^2 analytic model against things not written in
 * workloads/pi2.c: the closed form z = 6 - meanTopK |x +- w| (PI2 reference,
 * |x|, |w| <= 3), a direct sort-based unit, finite differences of the
 * piecewise-linear forward, reproducible training, the model file's error
 * paths, and `prism pi2 train` on the digits fixture. */
#include "check_cli.h"
#include "workloads/pi2.h"
#include "workloads/wl.h"

#include <math.h>

static uint64_t rng_state = 88172645463325252ull;
static double urand(void) /* xorshift64, test-local */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static int cmp_asc(const void *a, const void *b)
{
    return -cmp_desc(a, b);
}

START_TEST(closed_form_on_random_layers)
{
    enum { N = 16, M = 8 };
    float x[N], w[N * M], zp[M], zn[M];
    static const int ks[] = {1, 2, 5, 16};
    for (int trial = 0; trial < 50; trial++) {
        for (int i = 0; i < N; i++)
            x[i] = (float)(6 * urand() - 3);
        for (int i = 0; i < N * M; i++)
            w[i] = (float)(6 * urand() - 3);
        int k = ks[trial % 4];
        wl_pi2_layer(x, N, w, M, k, 1e9, NULL, zp, zn, NULL);
        for (int j = 0; j < M; j++) {
            double sp[N], sn[N], mp = 0, mn = 0;
            for (int i = 0; i < N; i++) {
                sp[i] = fabs((double)x[i] + w[i * M + j]);
                sn[i] = fabs((double)x[i] - w[i * M + j]);
            }
            qsort(sp, N, sizeof(double), cmp_desc);
            qsort(sn, N, sizeof(double), cmp_desc);
            for (int r = 0; r < k; r++) {
                mp += sp[r] / k;
                mn += sn[r] / k;
            }
            ck_assert_double_eq_tol(zp[j], 6 - mp, 1e-5);
            ck_assert_double_eq_tol(zn[j], 6 - mn, 1e-5);
        }
    }
}
END_TEST

/* Every arrival of a unit listed, sorted, the first K averaged (later than
 * the timeout or missing: the timeout). */
static double sorted_unit(const float *x, int n, const float *w, int m, int j, int unit, int k,
                          double timeout, const unsigned char *keep)
{
    double arr[512];
    int cnt = 0;
    for (int i = 0; i < n; i++) {
        if (keep && !keep[i])
            continue;
        double ap = fmax(0, 3 + x[i]), am = fmax(0, 3 - x[i]);
        double dp = fmax(0, 3 + w[i * m + j]), dm = fmax(0, 3 - w[i * m + j]);
        arr[cnt++] = ap + (unit ? dm : dp);
        arr[cnt++] = am + (unit ? dp : dm);
    }
    qsort(arr, (size_t)cnt, sizeof(double), cmp_asc);
    double s = 0;
    for (int r = 0; r < k; r++)
        s += r < cnt && arr[r] <= timeout ? arr[r] : timeout;
    return s / k;
}

START_TEST(forward_matches_sorting)
{
    enum { N = 20, M = 7 };
    float x[N], w[N * M], zp[M], zn[M];
    unsigned char keep[N];
    for (int trial = 0; trial < 60; trial++) {
        for (int i = 0; i < N; i++) {
            x[i] = (float)(8 * urand() - 1); /* beyond c: rails clip at 0 */
            keep[i] = urand() > 0.3;
        }
        for (int i = 0; i < N * M; i++)
            w[i] = (float)(10 * urand() - 5);
        int k = 1 + trial % 6;
        double timeout = trial % 3 == 0 ? 4.5 : wl_pi2_timeout(w, N, M);
        wl_pi2_layer(x, N, w, M, k, timeout, trial % 2 ? keep : NULL, zp, zn, NULL);
        for (int j = 0; j < M; j++) {
            ck_assert_double_eq_tol(
                zp[j], sorted_unit(x, N, w, M, j, 0, k, timeout, trial % 2 ? keep : NULL), 1e-5);
            ck_assert_double_eq_tol(
                zn[j], sorted_unit(x, N, w, M, j, 1, k, timeout, trial % 2 ? keep : NULL), 1e-5);
        }
    }
    /* with at least K inputs present no K-th arrival is later than the timeout */
    for (int trial = 0; trial < 200; trial++) {
        for (int i = 0; i < N; i++)
            x[i] = (float)(20 * urand());
        for (int i = 0; i < N * M; i++)
            w[i] = (float)(8 * urand() - 4);
        int sel[M * 2 * 4];
        wl_pi2_layer(x, N, w, M, 4, wl_pi2_timeout(w, N, M), NULL, zp, zn, sel);
        for (int s = 0; s < M * 2 * 4; s++)
            ck_assert_int_ge(sel[s], 0);
    }
}
END_TEST

START_TEST(gradient_matches_finite_differences)
{
    int dims[3] = {6, 5, 3}, ks[2] = {2, 2};
    wl_pi2_net_t *net = wl_pi2_create(2, dims, ks);
    ck_assert_ptr_nonnull(net);
    float x[6], g[3] = {0.7f, -1.1f, 0.4f}, lo[3];
    float *gw[2] = {malloc(sizeof(float) * 30), malloc(sizeof(float) * 15)};
    int checked = 0, kinks = 0;
    for (int trial = 0; trial < 20; trial++) {
        for (int i = 0; i < 6; i++)
            x[i] = (float)urand();
        for (int l = 0; l < 2; l++)
            for (int i = 0; i < dims[l] * dims[l + 1]; i++)
                net->w[l][i] = (float)(1.6 * urand() - 0.8);
        ck_assert_int_eq(wl_pi2_grad(net, x, g, gw), 0);
        for (int l = 0; l < 2; l++)
            for (int i = 0; i < dims[l] * dims[l + 1]; i++) {
                const float eps = 1e-3f;
                float w0 = net->w[l][i];
                double f[3];
                for (int s = -1; s <= 1; s++) {
                    net->w[l][i] = w0 + (float)s * eps;
                    wl_pi2_forward(net, x, NULL, lo, NULL);
                    f[s + 1] = g[0] * lo[0] + g[1] * lo[1] + g[2] * lo[2];
                }
                net->w[l][i] = w0;
                double f0 = f[1];
                double left = (f0 - f[0]) / eps, right = (f[2] - f0) / eps;
                if (fabs(left - right) > 1e-2 * (1 + fabs(left))) {
                    kinks++; /* a selection changes within eps: no derivative */
                    continue;
                }
                ck_assert_msg(fabs(gw[l][i] - right) <= 2e-2 * (1 + fabs(right)),
                              "layer %d weight %d: analytic %g, finite difference %g", l, i,
                              gw[l][i], right);
                checked++;
            }
    }
    ck_assert_int_gt(checked, 500);
    ck_assert_int_lt(kinks, checked / 10);
    free(gw[0]);
    free(gw[1]);
    wl_pi2_free(net);
}
END_TEST

static wl_pi2_net_t *train_small(uint64_t seed, wl_dataset_t **dsp)
{
    wl_dataset_t *ds = NULL, tr, te;
    char err[256];
    ck_assert_int_eq(wl_dataset_load("digits", &ds, err, sizeof err), 0);
    ck_assert_int_eq(wl_dataset_split(ds, 1437, &tr, &te, err, sizeof err), 0);
    wl_pi2_train_cfg_t cfg;
    wl_pi2_train_defaults(&cfg);
    cfg.teacher_epochs = 2;
    cfg.epochs = 1;
    cfg.k = 2;
    cfg.drop = 0.1;
    cfg.jitter = 0.1;
    cfg.seed = seed;
    wl_pi2_net_t *net = NULL;
    ck_assert_int_eq(wl_pi2_train(&tr, &te, &cfg, &net, err, sizeof err), 0);
    *dsp = ds;
    return net;
}

START_TEST(training_is_reproducible)
{
    wl_dataset_t *d1, *d2, *d3;
    wl_pi2_net_t *a = train_small(7, &d1), *b = train_small(7, &d2), *c = train_small(8, &d3);
    ck_assert_int_eq(memcmp(a->w[0], b->w[0], sizeof(float) * 64 * 64), 0);
    ck_assert_int_eq(memcmp(a->w[1], b->w[1], sizeof(float) * 64 * 10), 0);
    ck_assert_int_ne(memcmp(a->w[0], c->w[0], sizeof(float) * 64 * 64), 0);
    ck_assert_float_eq(a->accuracy, b->accuracy);
    /* two teacher epochs already separate the digits well */
    ck_assert_float_gt(a->teacher_accuracy, 0.7f);
    wl_pi2_free(a);
    wl_pi2_free(b);
    wl_pi2_free(c);
    wl_dataset_free(d1);
    wl_dataset_free(d2);
    wl_dataset_free(d3);
}
END_TEST

static void corrupt(const char *src, const char *dst, long at, long truncate_to, unsigned char val)
{
    FILE *f = fopen(src, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (at >= 0)
        buf[at] = val;
    if (truncate_to >= 0)
        n = (size_t)truncate_to;
    f = fopen(dst, "wb");
    fwrite(buf, 1, n, f);
    fclose(f);
}

START_TEST(model_file_round_trip_and_errors)
{
    cli_setup("pi2");
    int dims[3] = {4, 3, 2}, ks[2] = {1, 2};
    wl_pi2_net_t *net = wl_pi2_create(2, dims, ks), *back = NULL;
    for (int i = 0; i < 12; i++)
        net->w[0][i] = (float)i - 5.5f, net->teacher[0][i] = (float)i * 0.25f;
    for (int i = 0; i < 6; i++)
        net->w[1][i] = (float)i * 0.5f, net->teacher[1][i] = -(float)i;
    net->seed = 1234567890123ull;
    net->accuracy = 0.5f;
    char err[512];
    ck_assert_int_eq(wl_pi2_save(net, path("m.bin"), err, sizeof err), 0);
    ck_assert_int_eq(wl_pi2_load(path("m.bin"), &back, err, sizeof err), 0);
    ck_assert_int_eq(back->k[1], 2);
    ck_assert_int_eq(back->dims[2], 2);
    ck_assert_int_eq(memcmp(back->w[0], net->w[0], 48), 0);
    ck_assert_int_eq(memcmp(back->teacher[1], net->teacher[1], 24), 0);
    ck_assert(back->seed == net->seed);
    wl_pi2_free(back);
    back = NULL;
    static const struct {
        long at, trunc;
        unsigned char val;
        const char *msg;
    } bad[] = {
        {0, -1, 'X', "magic 'PRISMPI2' missing"},
        {8, -1, 9, "unsupported version"},
        {12, -1, 9, "field 'layers'"},
        {16, -1, 0, "field 'dims'"},
        {28, -1, 9, "field 'k'"},
        {-1, 60, 0, "truncated"},
        {100, -1, 0x55, "checksum mismatch"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        corrupt(path("m.bin"), path("bad.bin"), bad[i].at, bad[i].trunc, bad[i].val);
        ck_assert_int_eq(wl_pi2_load(path("bad.bin"), &back, err, sizeof err), WL_ERR_FORMAT);
        ck_assert_msg(strstr(err, bad[i].msg) && strstr(err, "bad.bin"), "case %zu: %s", i, err);
        ck_assert_ptr_null(back);
    }
    ck_assert_int_eq(wl_pi2_load(path("none.bin"), &back, err, sizeof err), WL_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err, "none.bin"));
    wl_pi2_free(net);
    wl_pi2_free(NULL);
    cli_teardown();
}
END_TEST

START_TEST(cli_train_and_bad_inputs)
{
    cli_setup("pi2cli");
    SKIP_WITHOUT_PRISM();
    char out[8192];
    EXPECT_RUN(0, "\"teacher_accuracy\": 0.", out,
               "%s pi2 train --data digits --k 2 --teacher-epochs 3 "
               "--epochs 1 --json -o %s",
               prism, path("m.bin"));
    ck_assert_ptr_nonnull(strstr(out, "\"k\": 2"));
    ck_assert_ptr_nonnull(strstr(out, "\"epochs\": 1"));
    ck_assert_int_eq(access(path("m.bin"), R_OK), 0);
    /* a missing data file, a CSV without --split, a bad option value */
    EXPECT_RUN(2, "nodata.csv", out, "%s pi2 train --data %s -o %s", prism, path("nodata.csv"),
               path("x.bin"));
    ck_assert_ptr_null(strchr(strchr(out, '\n') + 1, '\n')); /* one line */
    write_file(path("d.csv"), "0,1,0\n1,0,1\n1,1,1\n");
    ck_assert_int_eq(
        run(out, sizeof out, "%s pi2 train --data %s -o %s", prism, path("d.csv"), path("x.bin")),
        2);
    ck_assert_ptr_nonnull(strstr(out, "--split"));
    ck_assert_int_eq(
        run(out, sizeof out, "%s pi2 train --data digits --k 0 -o %s", prism, path("x.bin")), 2);
    ck_assert_ptr_nonnull(strstr(out, "--k '0'"));
    cli_teardown();
}
END_TEST

START_TEST(cli_run_fabric_equals_analytic)
{
    cli_setup("pi2run");
    SKIP_WITHOUT_PRISM();
    char out[16384];
    ck_assert_int_eq(run(out, sizeof out,
                         "%s pi2 train --data digits --k 2 --teacher-epochs 5 --epochs 2 "
                         "--quiet -o %s",
                         prism, path("m.bin")),
                     0);
    EXPECT_RUN(0, "\"mismatches\": 0,", out, "%s pi2 run --model %s --data digits --rows 40 --json",
               prism, path("m.bin"));
    ck_assert_ptr_nonnull(strstr(out, "\"timeouts\": 0,"));
    ck_assert_ptr_nonnull(strstr(out, "\"late\": 0,"));
    const char *a = strstr(out, "\"accuracy\": "), *b = strstr(out, "\"analytic_accuracy\": ");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_double_eq(strtod(a + 12, NULL), strtod(b + 21, NULL));
    const char *e = strstr(out, "\"max_fire_error_ps\": ");
    ck_assert_ptr_nonnull(e);
    ck_assert_double_le(strtod(e + 21, NULL), 10.0); /* the 10 ps resolution */
    /* energy: simulation within 10% of the analytical model */
    const char *es = strstr(out, "\"energy_pj_per_inference\": ");
    const char *em = strstr(out, "\"energy_model_pj_per_inference\": ");
    ck_assert_ptr_nonnull(es);
    ck_assert_ptr_nonnull(em);
    double sim_pj = strtod(es + 27, NULL), model_pj = strtod(em + 33, NULL);
    ck_assert_double_gt(sim_pj, 0);
    ck_assert_double_le(fabs(sim_pj - model_pj), 0.1 * model_pj);
    /* the same over a 2x2 mesh of issue 7's routers and network interfaces */
    EXPECT_RUN(0, "\"mismatches\": 0,", out,
               "%s pi2 run --model %s --data digits --rows 20 --noc --json", prism, path("m.bin"));
    ck_assert_ptr_nonnull(strstr(out, "\"late\": 0,"));
    ck_assert_ptr_nonnull(strstr(out, "iq_router"));
    /* a drop sweep with a plot */
    EXPECT_RUN(0, "analytic_accuracy", out,
               "%s pi2 run --model %s --data digits --rows 10 --sweep-drop 0:0.2:0.1 "
               "--plot %s",
               prism, path("m.bin"), path("drop.png"));
    ck_assert_int_eq(access(path("drop.png"), R_OK), 0);
    /* gnuplot missing, a bad model file, a data set of another width */
    EXPECT_RUN(2, "gnuplot", out,
               "PATH=/nonexistent %s pi2 run --model %s --data digits --sweep-drop "
               "0:0.1:0.1 --plot %s",
               prism, path("m.bin"), path("x.png"));
    write_file(path("bad.bin"), "PRISMPI2 this is not a model");
    ck_assert_int_eq(
        run(out, sizeof out, "%s pi2 run --model %s --data digits", prism, path("bad.bin")), 2);
    ck_assert_ptr_nonnull(strstr(out, "bad.bin: unsupported version"));
    ck_assert_ptr_null(strchr(strchr(out, '\n') + 1, '\n'));
    write_file(path("d.csv"), "0,1,0\n1,0,1\n1,1,1\n");
    EXPECT_RUN(2, "features", out, "%s pi2 run --model %s --data %s --split 2", prism,
               path("m.bin"), path("d.csv"));
    /* issue 22, finding 8: a model with 1 or 11 outputs on the 10 digit classes */
    for (int outs = 1; outs <= 11; outs += 10) {
        int dims[3] = {64, 16, outs}, ks[2] = {2, 2};
        wl_pi2_net_t *odd = wl_pi2_create(2, dims, ks);
        ck_assert_ptr_nonnull(odd);
        char err[256];
        ck_assert_int_eq(wl_pi2_save(odd, path("odd.bin"), err, sizeof err), 0);
        wl_pi2_free(odd);
        char want[128];
        snprintf(want, sizeof want, "has 10 classes (labels 0..9); the model %s has %d outputs",
                 path("odd.bin"), outs);
        EXPECT_RUN(2, want, out, "%s pi2 run --model %s --data digits --rows 10", prism,
                   path("odd.bin"));
    }
    cli_teardown();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pi2");
    TCase *tc = tcase_create("analytic");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, closed_form_on_random_layers);
    tcase_add_test(tc, forward_matches_sorting);
    tcase_add_test(tc, gradient_matches_finite_differences);
    tcase_add_test(tc, training_is_reproducible);
    tcase_add_test(tc, model_file_round_trip_and_errors);
    tcase_add_test(tc, cli_train_and_bad_inputs);
    tcase_add_test(tc, cli_run_fabric_equals_analytic);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
