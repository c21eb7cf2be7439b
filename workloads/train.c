/* Training on labelled data with every GEMM through a num_gemm_t: an MLP
 * (in -> hidden, ReLU -> classes) and a small CNN (3x3 conv 1->8, ReLU, 2x2
 * max-pool, 3x3 conv 8->16, ReLU, 2x2 max-pool, linear -> classes; convolutions
 * as im2col GEMMs on NHWC tensors), softmax cross-entropy, minibatch SGD with
 * momentum. Forward passes are GEMM(0, 1) (x W^T), input gradients GEMM(0, 0)
 * (dy W), weight gradients GEMM(1, 0) (dy^T x). */
#include "workloads/wl.h"
#include "workloads/wl_train.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *wl_train_model_name(int model)
{
    return model == WL_TRAIN_MLP ? "mlp" : model == WL_TRAIN_CNN ? "cnn" : "?";
}

int wl_train_model_parse(const char *name)
{
    if (name && !strcmp(name, "mlp"))
        return WL_TRAIN_MLP;
    if (name && !strcmp(name, "cnn"))
        return WL_TRAIN_CNN;
    return -1;
}

void wl_train_defaults(wl_train_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->model = WL_TRAIN_MLP;
    cfg->hidden = 128;
    cfg->epochs = 20;
    cfg->batch = 32;
    cfg->lr = 0.05;
    cfg->momentum = 0.9;
    cfg->seed = 1;
}

void wl_train_result_free(wl_train_result_t *r)
{
    if (!r)
        return;
    free(r->epoch);
    r->epoch = NULL;
}

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- parameters ------------------------------------------------------------------ */
typedef struct param {
    float *w, *g, *v; /* value, gradient, momentum */
    size_t n;
} param_t;

/* A layer's weight (out x in) and bias. */
typedef struct dense {
    param_t w, b;
    int in, out;
} dense_t;

static int param_alloc(param_t *p, size_t n)
{
    p->n = n;
    p->w = calloc(3 * n, sizeof *p->w);
    if (!p->w)
        return -1;
    p->g = p->w + n;
    p->v = p->g + n;
    return 0;
}

/* Uniform(-a, a) with a = sqrt(6 / fan) (He for ReLU layers, fan = fan_in;
 * Glorot for the classifier, fan = fan_in + fan_out). */
static int dense_init(dense_t *d, int in, int out, double fan, uint64_t seed, uint64_t stream)
{
    d->in = in;
    d->out = out;
    if (param_alloc(&d->w, (size_t)in * out) || param_alloc(&d->b, (size_t)out))
        return -1;
    double a = sqrt(6.0 / fan);
    for (size_t i = 0; i < d->w.n; i++)
        d->w.w[i] = (float)(a * (2.0 * num_uniform(seed, stream, i) - 1.0));
    return 0;
}

static void dense_free(dense_t *d)
{
    free(d->w.w);
    free(d->b.w);
}

static void sgd(param_t *p, double lr, double mu)
{
    for (size_t i = 0; i < p->n; i++) {
        p->v[i] = (float)(mu * p->v[i] + p->g[i]);
        p->w[i] -= (float)(lr * p->v[i]);
    }
}

/* ---- passes ------------------------------------------------------------------------- */
typedef struct trainer {
    num_gemm_t *g;
    uint64_t gemms;
    char *err;
    size_t errlen;
} trainer_t;

static int gemm(trainer_t *t, int ta, int tb, size_t M, size_t N, size_t K, const float *A,
                size_t lda, const float *B, size_t ldb, float *C, size_t ldc)
{
    t->gemms++;
    int rc = num_gemm_run(t->g, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
    if (rc)
        return fail(t->err, t->errlen, WL_ERR, "a %s GEMM (%zux%zux%zu, transposes %d,%d) failed%s",
                    num_arith_name(num_gemm_config(t->g)->arith), M, K, N, ta, tb,
                    rc == NUM_ERR_ARG ? ": values are not finite (training diverged?)" : "");
    return 0;
}

/* y[B x out] = x[B x in] W^T + b */
static int dense_fwd(trainer_t *t, const dense_t *d, const float *x, int B, float *y)
{
    int rc = gemm(t, 0, 1, (size_t)B, (size_t)d->out, (size_t)d->in, x, (size_t)d->in, d->w.w,
                  (size_t)d->in, y, (size_t)d->out);
    for (int i = 0; i < B && !rc; i++)
        for (int o = 0; o < d->out; o++)
            y[(size_t)i * d->out + o] += d->b.w[o];
    return rc;
}

/* dW = dy^T x, db = sum dy, dx = dy W (dx may be NULL) */
static int dense_bwd(trainer_t *t, dense_t *d, const float *x, const float *dy, int B, float *dx)
{
    int rc = gemm(t, 1, 0, (size_t)d->out, (size_t)d->in, (size_t)B, dy, (size_t)d->out, x,
                  (size_t)d->in, d->w.g, (size_t)d->in);
    if (rc)
        return rc;
    for (int o = 0; o < d->out; o++) {
        float s = 0;
        for (int i = 0; i < B; i++)
            s += dy[(size_t)i * d->out + o];
        d->b.g[o] = s;
    }
    if (dx)
        rc = gemm(t, 0, 0, (size_t)B, (size_t)d->in, (size_t)d->out, dy, (size_t)d->out, d->w.w,
                  (size_t)d->in, dx, (size_t)d->in);
    return rc;
}

static void relu(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = v[i] > 0 ? v[i] : 0;
}

static void relu_bwd(const float *y, float *dy, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] <= 0)
            dy[i] = 0;
}

/* Softmax cross-entropy over logits[B x C]: returns the summed loss, counts
 * correct predictions, and (dlogits != NULL) writes (p - onehot) / B. */
static double softmax_ce(const float *logits, const int *label, int B, int C, float *dlogits,
                         int *correct)
{
    double loss = 0;
    for (int i = 0; i < B; i++) {
        const float *z = logits + (size_t)i * C;
        int arg = 0;
        float mx = z[0];
        for (int c = 1; c < C; c++)
            if (z[c] > mx) {
                mx = z[c];
                arg = c;
            }
        *correct += arg == label[i];
        double s = 0;
        for (int c = 0; c < C; c++)
            s += exp((double)z[c] - mx);
        loss += log(s) - ((double)z[label[i]] - mx);
        if (dlogits)
            for (int c = 0; c < C; c++) {
                double p = exp((double)z[c] - mx) / s;
                dlogits[(size_t)i * C + c] = (float)((p - (c == label[i])) / B);
            }
    }
    return loss;
}

/* ---- CNN pieces (NHWC, 3x3 kernels, padding 1, 2x2 pooling) ------------------------ */
/* cols[(b S S + y S + x), (ky 3 + kx) C + c] = in[b, y + ky - 1, x + kx - 1, c] */
static void im2col(const float *in, int B, int S, int C, float *cols)
{
    size_t K = 9 * (size_t)C;
    for (int b = 0; b < B; b++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                float *row = cols + (((size_t)b * S + y) * S + x) * K;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int yy = y + ky - 1, xx = x + kx - 1;
                        float *dst = row + (size_t)(ky * 3 + kx) * C;
                        if (yy < 0 || yy >= S || xx < 0 || xx >= S)
                            memset(dst, 0, (size_t)C * sizeof *dst);
                        else
                            memcpy(dst, in + (((size_t)b * S + yy) * S + xx) * C,
                                   (size_t)C * sizeof *dst);
                    }
            }
}

static void col2im(const float *cols, int B, int S, int C, float *out)
{
    size_t K = 9 * (size_t)C;
    memset(out, 0, (size_t)B * S * S * C * sizeof *out);
    for (int b = 0; b < B; b++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                const float *row = cols + (((size_t)b * S + y) * S + x) * K;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int yy = y + ky - 1, xx = x + kx - 1;
                        if (yy < 0 || yy >= S || xx < 0 || xx >= S)
                            continue;
                        float *dst = out + (((size_t)b * S + yy) * S + xx) * C;
                        const float *src = row + (size_t)(ky * 3 + kx) * C;
                        for (int c = 0; c < C; c++)
                            dst[c] += src[c];
                    }
            }
}

/* 2x2 max-pool of in[B, S, S, C] -> out[B, S/2, S/2, C]; arg = index into in */
static void maxpool(const float *in, int B, int S, int C, float *out, int *arg)
{
    int H = S / 2;
    for (int b = 0; b < B; b++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < H; x++)
                for (int c = 0; c < C; c++) {
                    size_t o = (((size_t)b * H + y) * H + x) * C + c;
                    int best = -1;
                    float bv = 0;
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++) {
                            size_t i = (((size_t)b * S + 2 * y + dy) * S + 2 * x + dx) * C + c;
                            if (best < 0 || in[i] > bv) {
                                best = (int)i;
                                bv = in[i];
                            }
                        }
                    out[o] = bv;
                    arg[o] = best;
                }
}

static void maxpool_bwd(const float *dout, const int *arg, size_t n_out, float *din, size_t n_in)
{
    memset(din, 0, n_in * sizeof *din);
    for (size_t o = 0; o < n_out; o++)
        din[arg[o]] += dout[o];
}

/* ---- the networks ------------------------------------------------------------------- */
typedef struct net {
    int model, in, classes, S;
    dense_t l1, l2; /* MLP: in->hidden, hidden->classes; CNN: conv1 (8 x 9), conv2 (16 x 72) */
    dense_t fc;     /* CNN classifier */
    int B;          /* batch capacity of the buffers */
    /* activations and gradients */
    float *x, *h, *logits, *dlogits, *dh;
    float *cols1, *y1, *p1, *cols2, *y2, *p2, *dp2, *dy2, *dcols2, *dp1, *dy1;
    int *arg1, *arg2;
} net_t;

static void net_free(net_t *n)
{
    dense_free(&n->l1);
    dense_free(&n->l2);
    dense_free(&n->fc);
    free(n->x);
    free(n->h);
    free(n->logits);
    free(n->dlogits);
    free(n->dh);
    free(n->cols1);
    free(n->y1);
    free(n->p1);
    free(n->cols2);
    free(n->y2);
    free(n->p2);
    free(n->dp2);
    free(n->dy2);
    free(n->dcols2);
    free(n->dp1);
    free(n->dy1);
    free(n->arg1);
    free(n->arg2);
}

static void *zalloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}
#define FALLOC(p, n) (((p) = zalloc((size_t)(n), sizeof *(p))) == NULL)

static int net_init(net_t *n, const wl_train_cfg_t *cfg, int in, int classes, int B)
{
    memset(n, 0, sizeof *n);
    n->model = cfg->model;
    n->in = in;
    n->classes = classes;
    n->B = B;
    uint64_t s = cfg->seed;
    if (FALLOC(n->x, (size_t)B * in) || FALLOC(n->logits, (size_t)B * classes) ||
        FALLOC(n->dlogits, (size_t)B * classes))
        return -1;
    if (cfg->model == WL_TRAIN_MLP) {
        int h = cfg->hidden;
        if (dense_init(&n->l1, in, h, in, s, 101) ||
            dense_init(&n->l2, h, classes, h + classes, s, 102) || FALLOC(n->h, (size_t)B * h) ||
            FALLOC(n->dh, (size_t)B * h))
            return -1;
        return 0;
    }
    int S = (int)lround(sqrt((double)in)), S2 = S / 2, S4 = S / 4;
    n->S = S;
    size_t B1 = (size_t)B * S * S, B2 = (size_t)B * S2 * S2;
    if (dense_init(&n->l1, 9, 8, 9, s, 111) || dense_init(&n->l2, 72, 16, 72, s, 112) ||
        dense_init(&n->fc, 16 * S4 * S4, classes, 16 * S4 * S4 + classes, s, 113) ||
        FALLOC(n->cols1, B1 * 9) || FALLOC(n->y1, B1 * 8) || FALLOC(n->p1, B2 * 8) ||
        FALLOC(n->arg1, B2 * 8) || FALLOC(n->cols2, B2 * 72) || FALLOC(n->y2, B2 * 16) ||
        FALLOC(n->p2, (size_t)B * S4 * S4 * 16) || FALLOC(n->arg2, (size_t)B * S4 * S4 * 16) ||
        FALLOC(n->dp2, (size_t)B * S4 * S4 * 16) || FALLOC(n->dy2, B2 * 16) ||
        FALLOC(n->dcols2, B2 * 72) || FALLOC(n->dp1, B2 * 8) || FALLOC(n->dy1, B1 * 8))
        return -1;
    return 0;
}

static uint64_t net_params(const net_t *n)
{
    return n->l1.w.n + n->l1.b.n + n->l2.w.n + n->l2.b.n + n->fc.w.n + n->fc.b.n;
}

/* Forward pass of B samples in n->x; logits in n->logits. */
static int net_fwd(trainer_t *t, net_t *n, int B)
{
    int rc;
    if (n->model == WL_TRAIN_MLP) {
        if ((rc = dense_fwd(t, &n->l1, n->x, B, n->h)))
            return rc;
        relu(n->h, (size_t)B * n->l1.out);
        return dense_fwd(t, &n->l2, n->h, B, n->logits);
    }
    int S = n->S, S2 = S / 2, S4 = S / 4;
    im2col(n->x, B, S, 1, n->cols1);
    if ((rc = dense_fwd(t, &n->l1, n->cols1, B * S * S, n->y1)))
        return rc;
    relu(n->y1, (size_t)B * S * S * 8);
    maxpool(n->y1, B, S, 8, n->p1, n->arg1);
    im2col(n->p1, B, S2, 8, n->cols2);
    if ((rc = dense_fwd(t, &n->l2, n->cols2, B * S2 * S2, n->y2)))
        return rc;
    relu(n->y2, (size_t)B * S2 * S2 * 16);
    maxpool(n->y2, B, S2, 16, n->p2, n->arg2);
    (void)S4;
    return dense_fwd(t, &n->fc, n->p2, B, n->logits);
}

/* Backward pass from n->dlogits; gradients into the params' g. */
static int net_bwd(trainer_t *t, net_t *n, int B)
{
    int rc;
    if (n->model == WL_TRAIN_MLP) {
        if ((rc = dense_bwd(t, &n->l2, n->h, n->dlogits, B, n->dh)))
            return rc;
        relu_bwd(n->h, n->dh, (size_t)B * n->l1.out);
        return dense_bwd(t, &n->l1, n->x, n->dh, B, NULL);
    }
    int S = n->S, S2 = S / 2, S4 = S / 4;
    size_t n_p2 = (size_t)B * S4 * S4 * 16, n_y2 = (size_t)B * S2 * S2 * 16;
    size_t n_p1 = (size_t)B * S2 * S2 * 8, n_y1 = (size_t)B * S * S * 8;
    if ((rc = dense_bwd(t, &n->fc, n->p2, n->dlogits, B, n->dp2)))
        return rc;
    maxpool_bwd(n->dp2, n->arg2, n_p2, n->dy2, n_y2);
    relu_bwd(n->y2, n->dy2, n_y2);
    if ((rc = dense_bwd(t, &n->l2, n->cols2, n->dy2, B * S2 * S2, n->dcols2)))
        return rc;
    col2im(n->dcols2, B, S2, 8, n->dp1);
    maxpool_bwd(n->dp1, n->arg1, n_p1, n->dy1, n_y1);
    relu_bwd(n->y1, n->dy1, n_y1);
    return dense_bwd(t, &n->l1, n->cols1, n->dy1, B * S * S, NULL);
}

static void net_step(net_t *n, double lr, double mu)
{
    dense_t *ls[3] = {&n->l1, &n->l2, &n->fc};
    for (int i = 0; i < 3; i++)
        if (ls[i]->w.n) {
            sgd(&ls[i]->w, lr, mu);
            sgd(&ls[i]->b, lr, mu);
        }
}

static void load_batch(net_t *n, const wl_dataset_t *ds, const int *order, int at, int B,
                       int *labels)
{
    for (int i = 0; i < B; i++) {
        int r = order ? order[at + i] : at + i;
        memcpy(n->x + (size_t)i * n->in, ds->x + (size_t)r * ds->features,
               (size_t)n->in * sizeof *n->x);
        labels[i] = ds->label[r];
    }
}

static int evaluate(trainer_t *t, net_t *n, const wl_dataset_t *ds, int *labels, double *acc)
{
    int correct = 0;
    for (int at = 0; at < ds->rows; at += n->B) {
        int B = ds->rows - at < n->B ? ds->rows - at : n->B;
        load_batch(n, ds, NULL, at, B, labels);
        int rc = net_fwd(t, n, B);
        if (rc)
            return rc;
        softmax_ce(n->logits, labels, B, n->classes, NULL, &correct);
    }
    *acc = 100.0 * correct / ds->rows;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int wl_train_run(const wl_train_cfg_t *cfg, num_gemm_t *gemm_ctx, const wl_dataset_t *train,
                 const wl_dataset_t *test, wl_train_progress_fn progress, void *progress_ctx,
                 wl_train_result_t *out, char *err, size_t errlen)
{
    if (!cfg || !gemm_ctx || !train || !test || !out)
        return fail(err, errlen, WL_ERR_ARG, "training needs a configuration, a GEMM and data");
    memset(out, 0, sizeof *out);
    if (cfg->epochs < 1 || cfg->batch < 1 || !(cfg->lr > 0) || !(cfg->momentum >= 0) ||
        cfg->momentum >= 1 || (cfg->model == WL_TRAIN_MLP && cfg->hidden < 1) ||
        wl_train_model_name(cfg->model)[0] == '?')
        return fail(err, errlen, WL_ERR_ARG,
                    "training: epochs, batch and hidden must be >= 1, lr > 0, 0 <= momentum < 1");
    if (train->features != test->features || train->rows < 1 || test->rows < 1)
        return fail(err, errlen, WL_ERR_ARG,
                    "training and test sets differ in features or are "
                    "empty");
    int classes = train->classes > test->classes ? train->classes : test->classes;
    if (cfg->model == WL_TRAIN_CNN) {
        int S = (int)lround(sqrt((double)train->features));
        if (S * S != train->features || S % 4 || S < 4)
            return fail(err, errlen, WL_ERR_ARG,
                        "the CNN needs square single-channel images with a side divisible by 4 "
                        "(%d features is not)",
                        train->features);
    }
    int B = cfg->batch < train->rows ? cfg->batch : train->rows;
    net_t n;
    memset(&n, 0, sizeof n);
    int *order = malloc((size_t)train->rows * sizeof *order);
    int *labels = malloc((size_t)B * sizeof *labels);
    out->epoch = calloc((size_t)cfg->epochs, sizeof *out->epoch);
    if (!order || !labels || !out->epoch || net_init(&n, cfg, train->features, classes, B)) {
        net_free(&n);
        free(order);
        free(labels);
        wl_train_result_free(out);
        return fail(err, errlen, WL_ERR_NOMEM, "out of memory for the network");
    }
    out->params = net_params(&n);
    trainer_t t = {.g = gemm_ctx, .err = err, .errlen = errlen};
    int steps = (train->rows + B - 1) / B, rc = 0;
    for (int e = 0; e < cfg->epochs && !rc; e++) {
        for (int i = 0; i < train->rows; i++)
            order[i] = i;
        for (int i = train->rows - 1; i > 0; i--) { /* Fisher-Yates on counter draws */
            int j =
                (int)(num_rand_u64(cfg->seed, 1000 + (uint64_t)e, (uint64_t)i) % (uint64_t)(i + 1));
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        double t0 = now_s(), loss = 0;
        int correct = 0;
        for (int s = 0; s < steps && !rc; s++) {
            int at = s * B, nb = train->rows - at < B ? train->rows - at : B;
            load_batch(&n, train, order, at, nb, labels);
            rc = net_fwd(&t, &n, nb);
            if (rc)
                break;
            loss += softmax_ce(n.logits, labels, nb, classes, n.dlogits, &correct);
            rc = net_bwd(&t, &n, nb);
            if (rc)
                break;
            net_step(&n, cfg->lr, cfg->momentum);
            if (progress)
                progress(progress_ctx, e, cfg->epochs, s + 1, steps, loss / (at + nb));
        }
        if (rc)
            break;
        wl_train_epoch_t *ep = &out->epoch[e];
        ep->seconds = now_s() - t0;
        ep->loss = loss / train->rows;
        ep->train_accuracy = 100.0 * correct / train->rows;
        if (!isfinite(ep->loss)) {
            rc =
                fail(err, errlen, WL_ERR, "training diverged in epoch %d (loss not finite)", e + 1);
            break;
        }
        rc = evaluate(&t, &n, test, labels, &ep->test_accuracy);
        out->epochs = e + 1;
        out->test_accuracy = ep->test_accuracy;
    }
    out->gemms = t.gemms;
    net_free(&n);
    free(order);
    free(labels);
    if (rc)
        wl_train_result_free(out);
    return rc;
}
