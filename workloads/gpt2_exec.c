/* workloads/gpt2_exec.c: a perturbing projection executor for accuracy
 * studies, after the AIMC sensitivity-profiling recipe (REFERENCE.md
 * section 4): Gaussian weight programming noise sigma = frac * max|W|, and
 * 8-bit-style DAC/ADC quantization scaled per token to its largest value. */
#include "num/num.h"
#include "workloads/wl_forward.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct wl_noise_exec {
    wl_noise_cfg_t cfg;
    int n_cached;
    float **noisy_w;        /* per projection index: perturbed copy or NULL */
    const float **noisy_src;/* the W it was drawn from */
    float *xq;              /* quantized input scratch */
    size_t xq_cap;
};

wl_noise_exec_t *wl_noise_exec_create(const wl_noise_cfg_t *cfg)
{
    if (!cfg || cfg->target < -1 || !(cfg->weight_sigma_frac >= 0) ||
        cfg->in_bits < 0 || cfg->in_bits == 1 || cfg->in_bits > 24 ||
        cfg->out_bits < 0 || cfg->out_bits == 1 || cfg->out_bits > 24)
        return NULL;
    wl_noise_exec_t *ne = calloc(1, sizeof *ne);
    if (ne)
        ne->cfg = *cfg;
    return ne;
}

void wl_noise_exec_destroy(wl_noise_exec_t *ne)
{
    if (!ne)
        return;
    for (int i = 0; i < ne->n_cached; i++)
        free(ne->noisy_w[i]);
    free(ne->noisy_w);
    free(ne->noisy_src);
    free(ne->xq);
    free(ne);
}

/* The perturbed weights of projection p, drawn once and cached. */
static const float *noisy_weights(wl_noise_exec_t *ne, const wl_proj_t *p)
{
    if (p->index >= ne->n_cached) {
        int n = p->index + 1;
        float **w = realloc(ne->noisy_w, (size_t)n * sizeof *w);
        if (!w)
            return NULL;
        ne->noisy_w = w;
        const float **s = realloc(ne->noisy_src, (size_t)n * sizeof *s);
        if (!s)
            return NULL;
        ne->noisy_src = s;
        for (int i = ne->n_cached; i < n; i++) {
            ne->noisy_w[i] = NULL;
            ne->noisy_src[i] = NULL;
        }
        ne->n_cached = n;
    }
    if (ne->noisy_w[p->index] && ne->noisy_src[p->index] == p->W)
        return ne->noisy_w[p->index];
    free(ne->noisy_w[p->index]);
    ne->noisy_w[p->index] = NULL;
    size_t n = (size_t)p->n_in * (size_t)p->n_out;
    float *w = malloc((n ? n : 1) * sizeof *w);
    if (!w)
        return NULL;
    float maxabs = 0;
    for (size_t k = 0; k < n; k++)
        if (fabsf(p->W[k]) > maxabs)
            maxabs = fabsf(p->W[k]);
    const double sigma = ne->cfg.weight_sigma_frac * maxabs;
    for (size_t k = 0; k < n; k++)
        w[k] = (float)(p->W[k] +
                       sigma * num_gauss(ne->cfg.seed, (uint64_t)p->index, k));
    ne->noisy_w[p->index] = w;
    ne->noisy_src[p->index] = p->W;
    return w;
}

static int noise_gemm(void *ctx, const wl_proj_t *proj, const float *x,
                      int n_rows, float *y)
{
    wl_noise_exec_t *ne = ctx;
    const wl_noise_cfg_t *c = &ne->cfg;
    if (c->target >= 0 && proj->index != c->target)
        return wl_exec_exact(NULL, proj, x, n_rows, y);

    wl_proj_t p = *proj;
    if (c->weight_sigma_frac > 0 && !(p.W = noisy_weights(ne, proj)))
        return WL_FWD_ENOMEM;
    if (c->in_bits) {
        size_t n = (size_t)n_rows * (size_t)p.n_in;
        if (n > ne->xq_cap) {
            float *q = realloc(ne->xq, n * sizeof *q);
            if (!q)
                return WL_FWD_ENOMEM;
            ne->xq = q;
            ne->xq_cap = n;
        }
        memcpy(ne->xq, x, n * sizeof *x);
        num_quantize_rows_f(ne->xq, (size_t)n_rows, (size_t)p.n_in, c->in_bits);
        x = ne->xq;
    }
    if (!c->out_bits)
        return wl_exec_exact(NULL, &p, x, n_rows, y);

    /* the ADC sees the analog MVM result; the bias is added digitally */
    p.bias = NULL;
    int rc = wl_exec_exact(NULL, &p, x, n_rows, y);
    if (rc)
        return rc;
    num_quantize_rows_f(y, (size_t)n_rows, (size_t)p.n_out, c->out_bits);
    if (proj->bias)
        for (int r = 0; r < n_rows; r++)
            for (int o = 0; o < p.n_out; o++)
                y[(size_t)r * p.n_out + o] += proj->bias[o];
    return 0;
}

wl_executor_t wl_noise_executor(wl_noise_exec_t *ne)
{
    wl_executor_t e = {ne, noise_gemm};
    return e;
}
