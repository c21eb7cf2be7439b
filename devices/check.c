/* Numerics checks of the device models against exact FP64 results (moved
 * from `prism op --check` so the mapper can use them too): seeded random
 * operands, the device's ext->mvm / ext->convert / vector numerics, and the
 * relative and largest absolute error. */
#include "devices/dev_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void err_norms(const double *y, const double *ref, size_t n, double *num, double *den,
                      double *max_abs)
{
    for (size_t i = 0; i < n; i++) {
        double d = y[i] - ref[i];
        *num += d * d;
        *den += ref[i] * ref[i];
        if (fabs(d) > *max_abs || isnan(d))
            *max_abs = isnan(d) ? NAN : fabs(d);
    }
}

static double uniform_pm1(sim_rng_t *r)
{
    return 2.0 * sim_rng_next_uniform(r) - 1.0;
}

static void check_done(dev_check_t *out, const char *what, double num, double den, double max_abs,
                       uint64_t values)
{
    out->what = what;
    out->rel_error = den > 0 ? sqrt(num / den) : sqrt(num);
    out->max_abs_error = max_abs;
    out->values = values;
}

static const dev_ext_t *ext_of(sim_comp_t *dut)
{
    return dut ? dev_model_ext(sim_model_find(sim_comp_model(dut))) : NULL;
}

/* the device's message when it left one, else `fallback` */
static int device_failed(sim_comp_t *dut, int rc, const char *fallback, char *err, size_t errlen)
{
    const char *m = sim_errmsg(sim_of(dut));
    snprintf(err, errlen, "%s", m && *m ? m : fallback);
    return rc;
}

int dev_check_mvm(sim_comp_t *dut, size_t rows, size_t cols, size_t nvec, uint64_t seed,
                  double read_after_s, int noise, dev_check_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const dev_ext_t *e = ext_of(dut);
    if (!e || !e->mvm) {
        snprintf(err, errlen, "%s has no mvm numerics", dut ? sim_comp_model(dut) : "?");
        return SIM_ERR_CONFIG;
    }
    double *W = malloc(rows * cols * sizeof *W);
    double *x = malloc(cols * sizeof *x);
    double *y = malloc(rows * sizeof *y);
    double *ref = malloc(rows * sizeof *ref);
    if (!W || !x || !y || !ref) {
        free(W), free(x), free(y), free(ref);
        snprintf(err, errlen, "out of memory for a %zux%zu check", rows, cols);
        return SIM_ERR_NOMEM;
    }
    sim_rng_t in_rng, noise_rng;
    sim_rng_init(&in_rng, seed, 1);
    sim_rng_init(&noise_rng, seed, 2);
    for (size_t i = 0; i < rows * cols; i++)
        W[i] = uniform_pm1(&in_rng);
    dev_num_ctx_t ctx = {.rng = &noise_rng, .read_after_s = read_after_s, .noise = noise};
    double num = 0, den = 0, max_abs = 0;
    int rc = 0;
    for (size_t v = 0; v < nvec && !rc; v++) {
        for (size_t j = 0; j < cols; j++)
            x[j] = uniform_pm1(&in_rng);
        for (size_t i = 0; i < rows; i++) {
            double acc = 0;
            const double *w = W + i * cols;
            for (size_t j = 0; j < cols; j++)
                acc += w[j] * x[j];
            ref[i] = acc;
        }
        rc = e->mvm(dut, sim_comp_state(dut), W, rows, cols, x, y, &ctx);
        if (!rc)
            err_norms(y, ref, rows, &num, &den, &max_abs);
    }
    free(W), free(x), free(y), free(ref);
    if (rc)
        return device_failed(dut, rc, "the device's mvm failed", err, errlen);
    check_done(out, "mvm", num, den, max_abs, (uint64_t)(rows * nvec));
    return 0;
}

int dev_check_convert(sim_comp_t *dut, size_t n, uint64_t seed, double read_after_s, int noise,
                      dev_check_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const dev_ext_t *e = ext_of(dut);
    if (!e || !e->convert) {
        snprintf(err, errlen, "%s has no convert numerics", dut ? sim_comp_model(dut) : "?");
        return SIM_ERR_CONFIG;
    }
    double *in = malloc(n * sizeof *in), *y = malloc(n * sizeof *y);
    if (!in || !y) {
        free(in), free(y);
        snprintf(err, errlen, "out of memory for a check of %zu samples", n);
        return SIM_ERR_NOMEM;
    }
    sim_rng_t in_rng, noise_rng;
    sim_rng_init(&in_rng, seed, 1);
    sim_rng_init(&noise_rng, seed, 2);
    for (size_t i = 0; i < n; i++)
        in[i] = uniform_pm1(&in_rng);
    dev_num_ctx_t ctx = {.rng = &noise_rng, .read_after_s = read_after_s, .noise = noise};
    int rc = e->convert(dut, sim_comp_state(dut), in, y, n, &ctx);
    double num = 0, den = 0, max_abs = 0;
    if (!rc)
        err_norms(y, in, n, &num, &den, &max_abs);
    free(in), free(y);
    if (rc)
        return device_failed(dut, rc, "the device's convert failed", err, errlen);
    check_done(out, "convert", num, den, max_abs, n);
    return 0;
}

int dev_check_vector(sim_comp_t *dut, int vfunc, size_t rows, size_t cols, uint64_t seed,
                     dev_check_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!dut || strcmp(sim_comp_model(dut), "vector") != 0) {
        snprintf(err, errlen, "%s has no vector numerics", dut ? sim_comp_model(dut) : "?");
        return SIM_ERR_CONFIG;
    }
    size_t n = rows * cols;
    double *buf = malloc((4 * n + 2 * cols) * sizeof *buf);
    if (!buf) {
        snprintf(err, errlen, "out of memory for a %zux%zu check", rows, cols);
        return SIM_ERR_NOMEM;
    }
    double *x = buf, *z = x + n, *y = z + n, *ref = y + n, *gamma = ref + n, *beta = gamma + cols;
    sim_rng_t r;
    sim_rng_init(&r, seed, 1);
    for (size_t i = 0; i < n; i++) {
        x[i] = 2.0 * sim_rng_next_normal(&r);
        z[i] = sim_rng_next_normal(&r);
    }
    for (size_t j = 0; j < cols; j++) {
        gamma[j] = 1.0 + 0.1 * sim_rng_next_normal(&r);
        beta[j] = 0.1 * sim_rng_next_normal(&r);
    }
    const sim_params_t *p = sim_comp_params(dut);
    size_t lanes = (size_t)sim_param_int(p, "lanes");
    int rc = dev_vector_numerics(dut, vfunc, x, z, gamma, beta, y, rows, cols);
    if (!rc)
        rc = dev_vector_eval(vfunc, DEV_FMT_FP64, lanes, x, z, gamma, beta, ref, rows, cols);
    if (rc) {
        free(buf);
        snprintf(err, errlen, "vector numerics failed for %s", dev_vfunc_name(vfunc));
        return rc;
    }
    double num = 0, den = 0, max_abs = 0;
    err_norms(y, ref, n, &num, &den, &max_abs);
    free(buf);
    check_done(out, strcmp(sim_param_str(p, "dtype"), "fp16") == 0 ? "vector fp16 vs fp64"
                                                                  : "vector fp32 vs fp64",
               num, den, max_abs, n);
    return 0;
}
