/* The pi^2 network's analytic model and its training by distillation, as the
 * authors' public code computes it ("When Routers, Switches and Interconnects
 * Compute: A Processing-in-Interconnect Paradigm for Scalable Neuromorphic
 * AI", 2025): rail-coded arrivals max(0, c +- x), delays max(0, c +- w), a
 * unit fires at the mean of its K earliest arrivals, y = -s (z+ - z-).
 * Training: a bias-free ReLU MLP teacher (cross-entropy), then the student
 * initialised from it, loss alpha T^2 KL + (1 - alpha) CE, exact
 * subgradients, Adamax (Kingma and Ba, "Adam", 2015, section 7.1). */
#include "workloads/pi2.h"
#include "num/num.h"
#include "workloads/wl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void seterr(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t n, const char *fmt, ...)
{
    if (!err || !n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

/* ---- counter-based draws ---------------------------------------------------- */
/* num/'s counter-based generator keyed by (seed, domain, stream, index): a
 * draw depends on what it is for, never on call order. */
enum { D_INIT = 1, D_SHUFFLE, D_DROP, D_JITTER };

static double draw_uniform(uint64_t seed, uint64_t stream, uint64_t domain, uint64_t index)
{
    return num_uniform(seed + domain * 0x9e3779b97f4a7c15ull, stream, index);
}

/* ---- the network -------------------------------------------------------------- */
wl_pi2_net_t *wl_pi2_create(int n_layers, const int *dims, const int *k)
{
    if (n_layers < 1 || n_layers > WL_PI2_MAX_LAYERS)
        return NULL;
    for (int l = 0; l <= n_layers; l++)
        if (dims[l] < 1 || dims[l] > 65536)
            return NULL;
    for (int l = 0; l < n_layers; l++)
        if (k[l] < 1 || k[l] > 2 * dims[l])
            return NULL;
    wl_pi2_net_t *net = calloc(1, sizeof *net);
    if (!net)
        return NULL;
    net->n_layers = n_layers;
    for (int l = 0; l <= n_layers; l++)
        net->dims[l] = dims[l];
    for (int l = 0; l < n_layers; l++) {
        size_t nw = (size_t)dims[l] * (size_t)dims[l + 1];
        net->k[l] = k[l];
        net->teacher[l] = calloc(nw, sizeof(float));
        net->w[l] = calloc(nw, sizeof(float));
        if (!net->teacher[l] || !net->w[l]) {
            wl_pi2_free(net);
            return NULL;
        }
    }
    return net;
}

void wl_pi2_free(wl_pi2_net_t *net)
{
    if (!net)
        return;
    for (int l = 0; l < WL_PI2_MAX_LAYERS; l++) {
        free(net->teacher[l]);
        free(net->w[l]);
    }
    free(net);
}

double wl_pi2_timeout(const float *w, int n, int m)
{
    double wmax = 0;
    for (size_t i = 0; i < (size_t)n * (size_t)m; i++)
        wmax = fabs(w[i]) > wmax ? fabs(w[i]) : wmax;
    return 2 * WL_PI2_OFFSET + wmax;
}

static inline double pos(double v)
{
    return v > 0 ? v : 0;
}

void wl_pi2_layer(const float *x, int n, const float *w, int m, int k, double timeout,
                  const unsigned char *keep, float *zp, float *zn, int *sel)
{
    const double c = WL_PI2_OFFSET;
    double best[k > 0 ? k : 1];
    int bidx[k > 0 ? k : 1];
    for (int j = 0; j < m; j++) {
        for (int u = 0; u < 2; u++) {
            int cnt = 0;
            for (int i = 0; i < n; i++) {
                if (keep && !keep[i])
                    continue;
                double wij = w[(size_t)i * (size_t)m + (size_t)j];
                double ap = pos(c + x[i]), am = pos(c - x[i]);
                double dp = pos(c + wij), dm = pos(c - wij);
                /* "+" unit: same-sign pairs; "-" unit: cross pairs */
                double arr[2] = {ap + (u == 0 ? dp : dm), am + (u == 0 ? dm : dp)};
                for (int r = 0; r < 2; r++) {
                    double v = arr[r];
                    if (cnt == k && !(v < best[k - 1]))
                        continue; /* equal to the K-th: the smaller index stays */
                    int p = cnt < k ? cnt++ : k - 1;
                    while (p > 0 && best[p - 1] > v) {
                        best[p] = best[p - 1];
                        bidx[p] = bidx[p - 1];
                        p--;
                    }
                    best[p] = v;
                    bidx[p] = 2 * i + r;
                }
            }
            double sum = 0;
            for (int r = 0; r < k; r++) {
                int ok = r < cnt && best[r] <= timeout;
                sum += ok ? best[r] : timeout;
                if (sel)
                    sel[((size_t)j * 2 + (size_t)u) * (size_t)k + (size_t)r] = ok ? bidx[r] : -1;
            }
            (u == 0 ? zp : zn)[j] = (float)(sum / k);
        }
    }
}

int wl_pi2_argmax(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

/* Everything one forward pass keeps for the backward pass. */
typedef struct fwd_ws {
    int n_layers;
    float *act[WL_PI2_MAX_LAYERS + 1]; /* act[l]: input of layer l; act[L]: logits */
    float *zp[WL_PI2_MAX_LAYERS], *zn[WL_PI2_MAX_LAYERS];
    int *sel[WL_PI2_MAX_LAYERS];
    unsigned char *keep[WL_PI2_MAX_LAYERS];
    float *grad[WL_PI2_MAX_LAYERS + 1]; /* dL/d act */
} fwd_ws_t;

static void ws_free(fwd_ws_t *ws)
{
    for (int l = 0; l <= WL_PI2_MAX_LAYERS; l++) {
        free(ws->act[l]);
        free(ws->grad[l]);
        if (l < WL_PI2_MAX_LAYERS) {
            free(ws->zp[l]);
            free(ws->zn[l]);
            free(ws->sel[l]);
            free(ws->keep[l]);
        }
    }
    memset(ws, 0, sizeof *ws);
}

static int ws_init(fwd_ws_t *ws, const wl_pi2_net_t *net)
{
    memset(ws, 0, sizeof *ws);
    ws->n_layers = net->n_layers;
    for (int l = 0; l <= net->n_layers; l++) {
        ws->act[l] = calloc((size_t)net->dims[l], sizeof(float));
        ws->grad[l] = calloc((size_t)net->dims[l], sizeof(float));
        if (!ws->act[l] || !ws->grad[l])
            goto fail;
        if (l == net->n_layers)
            break;
        size_t m = (size_t)net->dims[l + 1];
        ws->zp[l] = calloc(m, sizeof(float));
        ws->zn[l] = calloc(m, sizeof(float));
        ws->sel[l] = calloc(m * 2 * 2 * (size_t)net->dims[l], sizeof(int)); /* any K <= 2N */
        ws->keep[l] = calloc((size_t)net->dims[l], 1);
        if (!ws->zp[l] || !ws->zn[l] || !ws->sel[l] || !ws->keep[l])
            goto fail;
    }
    return 0;
fail:
    ws_free(ws);
    return WL_ERR_NOMEM;
}

static double quantize(double v, double q)
{
    return q > 0 ? round(v / q) * q : v; /* half away from zero, as the fabric */
}

static void forward_ws(const wl_pi2_net_t *net, const float *x, const wl_pi2_noise_t *nz,
                       fwd_ws_t *ws, const double *timeouts)
{
    double q = nz ? nz->quantum : 0;
    for (int i = 0; i < net->dims[0]; i++)
        ws->act[0][i] = (float)quantize(x[i], q);
    for (int l = 0; l < net->n_layers; l++) {
        int n = net->dims[l], m = net->dims[l + 1];
        for (int i = 0; i < n; i++)
            ws->keep[l][i] = !(nz && nz->drop > 0 &&
                               draw_uniform(nz->seed, nz->stream, D_DROP,
                                            ((uint64_t)l << 32) | (uint64_t)i) < nz->drop);
        double t = timeouts ? timeouts[l] : wl_pi2_timeout(net->w[l], n, m);
        wl_pi2_layer(ws->act[l], n, net->w[l], m, net->k[l], t, ws->keep[l], ws->zp[l], ws->zn[l],
                     ws->sel[l]);
        float *y = ws->act[l + 1];
        int last = l == net->n_layers - 1;
        for (int j = 0; j < m; j++) {
            double v = -WL_PI2_SCALE * ((double)ws->zp[l][j] - (double)ws->zn[l][j]);
            if (nz && nz->jitter > 0)
                v += nz->jitter * num_gauss(nz->seed + D_JITTER * 0x9e3779b97f4a7c15ull, nz->stream,
                                            ((uint64_t)l << 32) | (uint64_t)j);
            if (!last)
                v = quantize(v > 0 ? v : 0, q);
            y[j] = (float)v;
        }
    }
}

void wl_pi2_forward(const wl_pi2_net_t *net, const float *x, const wl_pi2_noise_t *noise,
                    float *logits, float **trace)
{
    fwd_ws_t ws;
    if (ws_init(&ws, net) != 0) {
        for (int j = 0; j < net->dims[net->n_layers]; j++)
            logits[j] = NAN;
        return;
    }
    double tmo[WL_PI2_MAX_LAYERS];
    for (int l = 0; l < net->n_layers; l++) {
        tmo[l] = wl_pi2_timeout(net->w[l], net->dims[l], net->dims[l + 1]);
        if (noise && noise->quantum > 0)
            tmo[l] = ceil(tmo[l] / noise->quantum - 1e-9) * noise->quantum;
    }
    forward_ws(net, x, noise, &ws, tmo);
    memcpy(logits, ws.act[net->n_layers], sizeof(float) * (size_t)net->dims[net->n_layers]);
    for (int l = 0; trace && l < net->n_layers; l++) {
        memcpy(trace[l], ws.zp[l], sizeof(float) * (size_t)net->dims[l + 1]);
        memcpy(trace[l] + net->dims[l + 1], ws.zn[l], sizeof(float) * (size_t)net->dims[l + 1]);
    }
    ws_free(&ws);
}

/* h = ReLU(x W) in hidden layers, logits = x W last; act[l] as in fwd_ws. */
static void teacher_ws(const wl_pi2_net_t *net, const float *x, float **act)
{
    memcpy(act[0], x, sizeof(float) * (size_t)net->dims[0]);
    for (int l = 0; l < net->n_layers; l++) {
        int n = net->dims[l], m = net->dims[l + 1];
        const float *w = net->teacher[l];
        for (int j = 0; j < m; j++)
            act[l + 1][j] = 0;
        for (int i = 0; i < n; i++) {
            float xi = act[l][i];
            if (xi == 0)
                continue;
            const float *row = w + (size_t)i * (size_t)m;
            for (int j = 0; j < m; j++)
                act[l + 1][j] += xi * row[j];
        }
        if (l < net->n_layers - 1)
            for (int j = 0; j < m; j++)
                act[l + 1][j] = act[l + 1][j] > 0 ? act[l + 1][j] : 0;
    }
}

void wl_pi2_teacher_forward(const wl_pi2_net_t *net, const float *x, float *logits)
{
    fwd_ws_t ws;
    if (ws_init(&ws, net) != 0) {
        for (int j = 0; j < net->dims[net->n_layers]; j++)
            logits[j] = NAN;
        return;
    }
    teacher_ws(net, x, ws.act);
    memcpy(logits, ws.act[net->n_layers], sizeof(float) * (size_t)net->dims[net->n_layers]);
    ws_free(&ws);
}

double wl_pi2_accuracy(const wl_pi2_net_t *net, const wl_dataset_t *ds, int teacher,
                       const wl_pi2_noise_t *noise)
{
    int classes = net->dims[net->n_layers], right = 0;
    float *logits = malloc(sizeof(float) * (size_t)classes);
    if (!logits || ds->rows < 1) {
        free(logits);
        return 0;
    }
    for (int r = 0; r < ds->rows; r++) {
        const float *x = ds->x + (size_t)r * (size_t)ds->features;
        if (teacher) {
            wl_pi2_teacher_forward(net, x, logits);
        } else {
            wl_pi2_noise_t nz = noise ? *noise : (wl_pi2_noise_t){0};
            nz.stream = (uint64_t)r;
            wl_pi2_forward(net, x, &nz, logits, NULL);
        }
        right += wl_pi2_argmax(logits, classes) == ds->label[r];
    }
    free(logits);
    return (double)right / ds->rows;
}

/* ---- training ------------------------------------------------------------------ */
void wl_pi2_train_defaults(wl_pi2_train_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->n_layers = 2;
    cfg->hidden = 64;
    cfg->k = 1;
    cfg->teacher_epochs = 200;
    cfg->epochs = 120;
    cfg->batch = 32;
    cfg->teacher_lr = 5e-3;
    cfg->lr = 3e-2;
    cfg->drop = 0.1;
    cfg->jitter = 0.1;
    cfg->alpha = 0.5;
    cfg->temperature = 5;
    cfg->seed = 1;
}

/* Adamax (Kingma and Ba 2015, algorithm 2) with PyTorch's defaults
 * beta1 0.9, beta2 0.999, eps 1e-8. */
typedef struct adamax {
    float *m, *u;
    size_t n;
    long step;
} adamax_t;

static int adamax_init(adamax_t *a, size_t n)
{
    a->m = calloc(n, sizeof(float));
    a->u = calloc(n, sizeof(float));
    a->n = n;
    a->step = 0;
    return a->m && a->u ? 0 : WL_ERR_NOMEM;
}

static void adamax_free(adamax_t *a)
{
    free(a->m);
    free(a->u);
}

static void adamax_step(adamax_t *a, float *w, const float *g, double lr, long step)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double rate = lr / (1 - pow(b1, (double)step));
    for (size_t i = 0; i < a->n; i++) {
        double m = b1 * a->m[i] + (1 - b1) * g[i];
        double u = fmax(b2 * a->u[i], fabs(g[i]) + eps);
        a->m[i] = (float)m;
        a->u[i] = (float)u;
        w[i] -= (float)(rate * m / u);
    }
}

static void softmax(const float *v, int n, double temp, double *out)
{
    double mx = v[0];
    for (int i = 1; i < n; i++)
        mx = v[i] > mx ? v[i] : mx;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += out[i] = exp((v[i] - mx) / temp);
    for (int i = 0; i < n; i++)
        out[i] /= sum;
}

/* Accumulates dL/dW of one pi^2 layer and dL/dx from dL/dy (ws->grad[l+1]). */
static void pi2_backward(const wl_pi2_net_t *net, int l, fwd_ws_t *ws, float *gw)
{
    const double c = WL_PI2_OFFSET;
    int n = net->dims[l], m = net->dims[l + 1], k = net->k[l];
    const float *x = ws->act[l], *w = net->w[l];
    float *gx = ws->grad[l];
    for (int i = 0; i < n; i++)
        gx[i] = 0;
    for (int j = 0; j < m; j++) {
        double gy = ws->grad[l + 1][j];
        if (gy == 0)
            continue;
        for (int u = 0; u < 2; u++) {
            double gz = (u == 0 ? -WL_PI2_SCALE : WL_PI2_SCALE) * gy / k;
            const int *sel = ws->sel[l] + ((size_t)j * 2 + (size_t)u) * (size_t)k;
            for (int r = 0; r < k; r++) {
                if (sel[r] < 0)
                    continue; /* padded at the timeout: constant */
                int i = sel[r] >> 1, rail = sel[r] & 1;
                size_t wi = (size_t)i * (size_t)m + (size_t)j;
                /* arrival = a_rail(x_i) + d(w_ij): d+ on same-sign pairs of
                 * the "+" unit and cross pairs of the "-" unit */
                double da = rail == 0 ? (c + x[i] > 0) : -(double)(c - x[i] > 0);
                int plus_delay = (rail == 0) == (u == 0);
                double dd = plus_delay ? (c + w[wi] > 0) : -(double)(c - w[wi] > 0);
                gx[i] += (float)(gz * da);
                gw[wi] += (float)(gz * dd);
            }
        }
    }
}

static void student_backward(const wl_pi2_net_t *net, fwd_ws_t *ws, float **gw)
{
    for (int l = net->n_layers - 1; l >= 0; l--) {
        pi2_backward(net, l, ws, gw[l]);
        if (l > 0) /* through the ReLU of layer l - 1 */
            for (int i = 0; i < net->dims[l]; i++)
                if (ws->act[l][i] <= 0)
                    ws->grad[l][i] = 0;
    }
}

int wl_pi2_grad(const wl_pi2_net_t *net, const float *x, const float *dlogits, float **gw)
{
    fwd_ws_t ws;
    if (ws_init(&ws, net) != 0)
        return WL_ERR_NOMEM;
    forward_ws(net, x, NULL, &ws, NULL);
    for (int l = 0; l < net->n_layers; l++)
        memset(gw[l], 0, sizeof(float) * (size_t)net->dims[l] * (size_t)net->dims[l + 1]);
    memcpy(ws.grad[net->n_layers], dlogits, sizeof(float) * (size_t)net->dims[net->n_layers]);
    student_backward(net, &ws, gw);
    ws_free(&ws);
    return 0;
}

typedef struct trainer {
    const wl_pi2_train_cfg_t *cfg;
    wl_pi2_net_t *net;
    fwd_ws_t ws, tws; /* student and teacher workspaces */
    float *gw[WL_PI2_MAX_LAYERS];
    adamax_t opt[WL_PI2_MAX_LAYERS];
    int *order;
    double *p1, *p2, *p3;
} trainer_t;

static void shuffle(int *order, int n, uint64_t seed, uint64_t epoch)
{
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(draw_uniform(seed, epoch, D_SHUFFLE, (uint64_t)i) * (i + 1));
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

static double teacher_epoch(trainer_t *t, const wl_dataset_t *tr, int epoch)
{
    const wl_pi2_net_t *net = t->net;
    int L = net->n_layers, classes = net->dims[L];
    double loss = 0;
    shuffle(t->order, tr->rows, t->cfg->seed, 2 * (uint64_t)epoch);
    for (int b0 = 0; b0 < tr->rows; b0 += t->cfg->batch) {
        int bn = tr->rows - b0 < t->cfg->batch ? tr->rows - b0 : t->cfg->batch;
        for (int l = 0; l < L; l++)
            memset(t->gw[l], 0, sizeof(float) * t->opt[l].n);
        for (int s = 0; s < bn; s++) {
            int r = t->order[b0 + s];
            teacher_ws(net, tr->x + (size_t)r * (size_t)tr->features, t->tws.act);
            softmax(t->tws.act[L], classes, 1, t->p1);
            loss -= log(fmax(t->p1[tr->label[r]], 1e-300));
            for (int j = 0; j < classes; j++)
                t->tws.grad[L][j] = (float)((t->p1[j] - (j == tr->label[r])) / bn);
            for (int l = L - 1; l >= 0; l--) {
                int n = net->dims[l], m = net->dims[l + 1];
                const float *x = t->tws.act[l], *gy = t->tws.grad[l + 1];
                for (int i = 0; i < n; i++) {
                    double gxi = 0;
                    const float *row = net->teacher[l] + (size_t)i * (size_t)m;
                    float *grow = t->gw[l] + (size_t)i * (size_t)m;
                    for (int j = 0; j < m; j++) {
                        grow[j] += x[i] * gy[j];
                        gxi += row[j] * gy[j];
                    }
                    /* ReLU of the layer below (inputs of layer 0 are data) */
                    t->tws.grad[l][i] = (float)(l > 0 && x[i] <= 0 ? 0 : gxi);
                }
            }
        }
        for (int l = 0; l < L; l++)
            adamax_step(&t->opt[l], t->net->teacher[l], t->gw[l], t->cfg->teacher_lr,
                        ++t->opt[l].step);
    }
    return loss / tr->rows;
}

static double student_epoch(trainer_t *t, const wl_dataset_t *tr, int epoch)
{
    const wl_pi2_train_cfg_t *cfg = t->cfg;
    const wl_pi2_net_t *net = t->net;
    int L = net->n_layers, classes = net->dims[L];
    double loss = 0, T = cfg->temperature, a = cfg->alpha;
    shuffle(t->order, tr->rows, cfg->seed, 2 * (uint64_t)epoch + 1);
    wl_pi2_noise_t nz = {.drop = cfg->drop, .jitter = cfg->jitter, .seed = cfg->seed};
    for (int b0 = 0; b0 < tr->rows; b0 += cfg->batch) {
        int bn = tr->rows - b0 < cfg->batch ? tr->rows - b0 : cfg->batch;
        for (int l = 0; l < L; l++)
            memset(t->gw[l], 0, sizeof(float) * t->opt[l].n);
        for (int s = 0; s < bn; s++) {
            int r = t->order[b0 + s];
            const float *x = tr->x + (size_t)r * (size_t)tr->features;
            teacher_ws(net, x, t->tws.act);
            nz.stream = (uint64_t)epoch * (uint64_t)tr->rows + (uint64_t)r;
            forward_ws(net, x, &nz, &t->ws, NULL);
            const float *sl = t->ws.act[L], *tl = t->tws.act[L];
            softmax(sl, classes, 1, t->p1);
            softmax(sl, classes, T, t->p2);
            softmax(tl, classes, T, t->p3);
            double kl = 0;
            for (int j = 0; j < classes; j++)
                if (t->p3[j] > 0)
                    kl += t->p3[j] * (log(t->p3[j]) - log(fmax(t->p2[j], 1e-300)));
            loss += a * T * T * kl - (1 - a) * log(fmax(t->p1[tr->label[r]], 1e-300));
            /* d/ds of alpha T^2 KL(p_t^T || p_s^T) + (1 - alpha) CE(s, y) */
            for (int j = 0; j < classes; j++)
                t->ws.grad[L][j] = (float)((a * T * (t->p2[j] - t->p3[j]) +
                                            (1 - a) * (t->p1[j] - (j == tr->label[r]))) /
                                           bn);
            student_backward(net, &t->ws, t->gw);
        }
        for (int l = 0; l < L; l++)
            adamax_step(&t->opt[l], t->net->w[l], t->gw[l], cfg->lr, ++t->opt[l].step);
    }
    return loss / tr->rows;
}

static void trainer_free(trainer_t *t)
{
    ws_free(&t->ws);
    ws_free(&t->tws);
    for (int l = 0; l < WL_PI2_MAX_LAYERS; l++) {
        free(t->gw[l]);
        if (t->opt[l].m || t->opt[l].u)
            adamax_free(&t->opt[l]);
    }
    free(t->order);
    free(t->p1);
    free(t->p2);
    free(t->p3);
}

int wl_pi2_train(const wl_dataset_t *train, const wl_dataset_t *test, const wl_pi2_train_cfg_t *cfg,
                 wl_pi2_net_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (cfg->n_layers < 1 || cfg->n_layers > WL_PI2_MAX_LAYERS) {
        seterr(err, errlen, "pi2: %d layers; 1 to %d supported", cfg->n_layers, WL_PI2_MAX_LAYERS);
        return WL_ERR_ARG;
    }
    if (cfg->hidden < 1 || cfg->hidden > 65536 || cfg->batch < 1 || cfg->epochs < 0 ||
        cfg->teacher_epochs < 0) {
        seterr(err, errlen, "pi2: hidden %d, batch %d, epochs %d/%d out of range", cfg->hidden,
               cfg->batch, cfg->teacher_epochs, cfg->epochs);
        return WL_ERR_ARG;
    }
    if (!(cfg->drop >= 0 && cfg->drop < 1) || !(cfg->jitter >= 0) || !(cfg->temperature > 0) ||
        !(cfg->alpha >= 0 && cfg->alpha <= 1)) {
        seterr(err, errlen,
               "pi2: drop %g must be in [0, 1), jitter %g >= 0, T %g > 0, alpha %g in [0, 1]",
               cfg->drop, cfg->jitter, cfg->temperature, cfg->alpha);
        return WL_ERR_ARG;
    }
    if (train->rows < 1 || test->rows < 1 || train->features != test->features) {
        seterr(err, errlen, "pi2: need training and test rows with the same features");
        return WL_ERR_ARG;
    }
    int classes = train->classes > test->classes ? train->classes : test->classes;
    int dims[WL_PI2_MAX_LAYERS + 1], ks[WL_PI2_MAX_LAYERS];
    dims[0] = train->features;
    for (int l = 1; l < cfg->n_layers; l++)
        dims[l] = cfg->hidden;
    dims[cfg->n_layers] = classes;
    for (int l = 0; l < cfg->n_layers; l++) {
        ks[l] = cfg->k;
        if (cfg->k < 1 || cfg->k > dims[l]) {
            seterr(err, errlen, "pi2: K = %d must be in [1, %d] (the inputs of layer %d)", cfg->k,
                   dims[l], l);
            return WL_ERR_ARG;
        }
    }
    wl_pi2_net_t *net = wl_pi2_create(cfg->n_layers, dims, ks);
    trainer_t t = {.cfg = cfg, .net = net};
    if (!net || ws_init(&t.ws, net) || ws_init(&t.tws, net))
        goto nomem;
    t.order = malloc(sizeof(int) * (size_t)train->rows);
    t.p1 = malloc(sizeof(double) * (size_t)classes);
    t.p2 = malloc(sizeof(double) * (size_t)classes);
    t.p3 = malloc(sizeof(double) * (size_t)classes);
    if (!t.order || !t.p1 || !t.p2 || !t.p3)
        goto nomem;
    for (int l = 0; l < net->n_layers; l++) {
        size_t nw = (size_t)dims[l] * (size_t)dims[l + 1];
        t.gw[l] = malloc(sizeof(float) * nw);
        if (!t.gw[l] || adamax_init(&t.opt[l], nw))
            goto nomem;
        /* PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
        double bound = 1 / sqrt((double)dims[l]);
        for (size_t i = 0; i < nw; i++)
            net->teacher[l][i] =
                (float)((2 * draw_uniform(cfg->seed, (uint64_t)l, D_INIT, i) - 1) * bound);
    }
    for (int e = 0; e < cfg->teacher_epochs; e++) {
        double loss = teacher_epoch(&t, train, e);
        if (cfg->progress)
            cfg->progress(cfg->ctx, "teacher", e + 1, cfg->teacher_epochs, loss,
                          wl_pi2_accuracy(net, test, 1, NULL));
    }
    /* the student starts from the teacher's weights, with fresh optimizer state */
    for (int l = 0; l < net->n_layers; l++) {
        memcpy(net->w[l], net->teacher[l], sizeof(float) * t.opt[l].n);
        memset(t.opt[l].m, 0, sizeof(float) * t.opt[l].n);
        memset(t.opt[l].u, 0, sizeof(float) * t.opt[l].n);
        t.opt[l].step = 0;
    }
    int last = net->n_layers - 1, stage1 = cfg->stage1_epochs > 0 && cfg->stage1_output_k > 0;
    if (stage1) {
        net->k[last] = cfg->stage1_output_k < dims[last] ? cfg->stage1_output_k : dims[last];
        for (int e = 0; e < cfg->stage1_epochs; e++) {
            double loss = student_epoch(&t, train, cfg->epochs + e);
            if (cfg->progress)
                cfg->progress(cfg->ctx, "stage1", e + 1, cfg->stage1_epochs, loss,
                              wl_pi2_accuracy(net, test, 0, NULL));
        }
        net->k[last] = cfg->k;
        for (int l = 0; l < net->n_layers; l++) {
            memset(t.opt[l].m, 0, sizeof(float) * t.opt[l].n);
            memset(t.opt[l].u, 0, sizeof(float) * t.opt[l].n);
            t.opt[l].step = 0;
        }
    }
    for (int e = 0; e < cfg->epochs; e++) {
        double loss = student_epoch(&t, train, e);
        if (cfg->progress)
            cfg->progress(cfg->ctx, "student", e + 1, cfg->epochs, loss,
                          wl_pi2_accuracy(net, test, 0, NULL));
    }
    net->seed = cfg->seed;
    net->epochs = cfg->epochs;
    net->drop = (float)cfg->drop;
    net->jitter = (float)cfg->jitter;
    net->teacher_accuracy = (float)wl_pi2_accuracy(net, test, 1, NULL);
    net->accuracy = (float)wl_pi2_accuracy(net, test, 0, NULL);
    trainer_free(&t);
    *out = net;
    return 0;
nomem:
    trainer_free(&t);
    wl_pi2_free(net);
    seterr(err, errlen, "pi2: out of memory");
    return WL_ERR_NOMEM;
}

/* ---- model file -------------------------------------------------------------------- */
#define PI2_MAGIC "PRISMPI2"
#define PI2_VERSION 1u

typedef struct wbuf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} wbuf_t;

static void put(wbuf_t *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u32(wbuf_t *b, uint32_t v)
{
    unsigned char s[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, s, 4);
}

static void put_u64(wbuf_t *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(wbuf_t *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(b, v);
}

int wl_pi2_save(const wl_pi2_net_t *net, const char *path, char *err, size_t errlen)
{
    wbuf_t b = {0};
    put(&b, PI2_MAGIC, 8);
    put_u32(&b, PI2_VERSION);
    put_u32(&b, (uint32_t)net->n_layers);
    for (int l = 0; l <= net->n_layers; l++)
        put_u32(&b, (uint32_t)net->dims[l]);
    for (int l = 0; l < net->n_layers; l++)
        put_u32(&b, (uint32_t)net->k[l]);
    put_u64(&b, net->seed);
    put_u32(&b, (uint32_t)net->epochs);
    put_f32(&b, net->drop);
    put_f32(&b, net->jitter);
    put_f32(&b, net->teacher_accuracy);
    put_f32(&b, net->accuracy);
    for (int l = 0; l < net->n_layers; l++) {
        size_t nw = (size_t)net->dims[l] * (size_t)net->dims[l + 1];
        for (size_t i = 0; i < nw; i++)
            put_f32(&b, net->teacher[l][i]);
        for (size_t i = 0; i < nw; i++)
            put_f32(&b, net->w[l][i]);
    }
    if (!b.oom)
        put_u32(&b, (uint32_t)crc32(0L, b.p, (uInt)b.n));
    if (b.oom) {
        free(b.p);
        seterr(err, errlen, "%s: out of memory", path);
        return WL_ERR_NOMEM;
    }
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b.p, 1, b.n, f) == b.n;
    if (f && fclose(f) != 0)
        ok = 0;
    free(b.p);
    if (!ok) {
        seterr(err, errlen, "%s: cannot write the model file", path);
        return WL_ERR_IO;
    }
    return 0;
}

typedef struct rbuf {
    const unsigned char *p;
    size_t n, at;
} rbuf_t;

static int get_u32(rbuf_t *b, uint32_t *v)
{
    if (b->at + 4 > b->n)
        return -1;
    const unsigned char *s = b->p + b->at;
    *v = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
    b->at += 4;
    return 0;
}

static int get_f32(rbuf_t *b, float *f)
{
    uint32_t v;
    if (get_u32(b, &v))
        return -1;
    memcpy(f, &v, 4);
    return 0;
}

static int read_all(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return WL_ERR_IO;
    size_t cap = 1 << 16, n = 0;
    unsigned char *p = malloc(cap);
    while (p) {
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        if (cap > ((size_t)1 << 32)) { /* no model is 4 GiB */
            free(p);
            p = NULL;
            break;
        }
        unsigned char *q = realloc(p, cap * 2);
        if (!q) {
            free(p);
            p = NULL;
            break;
        }
        p = q;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!p || bad) {
        free(p);
        return !p ? WL_ERR_NOMEM : WL_ERR_IO;
    }
    *buf = p;
    *len = n;
    return 0;
}

int wl_pi2_load(const char *path, wl_pi2_net_t **out, char *err, size_t errlen)
{
    *out = NULL;
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = read_all(path, &data, &len);
    if (rc) {
        seterr(err, errlen, "%s: cannot read the model file", path);
        return rc;
    }
    rbuf_t b = {data, len, 8};
    wl_pi2_net_t *net = NULL;
    const char *what = NULL;
    uint32_t version = 0, n_layers = 0, v = 0;
    int dims[WL_PI2_MAX_LAYERS + 1], ks[WL_PI2_MAX_LAYERS];
    if (len < 8 || memcmp(data, PI2_MAGIC, 8) != 0) {
        what = "not a prism pi2 model (magic 'PRISMPI2' missing)";
        goto bad;
    }
    if (get_u32(&b, &version) || version != PI2_VERSION) {
        what = "unsupported version (this prism reads version 1)";
        goto bad;
    }
    if (get_u32(&b, &n_layers) || n_layers < 1 || n_layers > WL_PI2_MAX_LAYERS) {
        what = "field 'layers' out of range 1..4";
        goto bad;
    }
    for (uint32_t l = 0; l <= n_layers; l++) {
        if (get_u32(&b, &v) || v < 1 || v > 65536) {
            what = "field 'dims' out of range 1..65536";
            goto bad;
        }
        dims[l] = (int)v;
    }
    for (uint32_t l = 0; l < n_layers; l++) {
        if (get_u32(&b, &v) || v < 1 || v > 2 * (uint32_t)dims[l]) {
            what = "field 'k' out of range 1..2 x inputs of its layer";
            goto bad;
        }
        ks[l] = (int)v;
    }
    size_t need = b.at + 8 + 4 * 5 + 4;
    for (uint32_t l = 0; l < n_layers; l++)
        need += 2 * 4 * (size_t)dims[l] * (size_t)dims[l + 1];
    if (len != need) {
        what = len < need ? "truncated (shorter than its dims say)" : "longer than its dims say";
        goto bad;
    }
    uint32_t crc_stored;
    rbuf_t tail = {data, len, len - 4};
    get_u32(&tail, &crc_stored);
    if ((uint32_t)crc32(0L, data, (uInt)(len - 4)) != crc_stored) {
        what = "checksum mismatch (the file is corrupt)";
        goto bad;
    }
    net = wl_pi2_create((int)n_layers, dims, ks);
    if (!net) {
        free(data);
        seterr(err, errlen, "%s: out of memory", path);
        return WL_ERR_NOMEM;
    }
    uint32_t lo = 0, hi = 0, ep = 0;
    get_u32(&b, &lo);
    get_u32(&b, &hi);
    net->seed = (uint64_t)lo | (uint64_t)hi << 32;
    get_u32(&b, &ep);
    net->epochs = (int)ep;
    get_f32(&b, &net->drop);
    get_f32(&b, &net->jitter);
    get_f32(&b, &net->teacher_accuracy);
    get_f32(&b, &net->accuracy);
    for (int l = 0; l < net->n_layers; l++) {
        size_t nw = (size_t)dims[l] * (size_t)dims[l + 1];
        for (int which = 0; which < 2; which++)
            for (size_t i = 0; i < nw; i++) {
                float *dst = which ? &net->w[l][i] : &net->teacher[l][i];
                get_f32(&b, dst);
                if (!isfinite(*dst)) {
                    what = "a weight is not a finite number";
                    goto bad;
                }
            }
    }
    free(data);
    *out = net;
    return 0;
bad:
    seterr(err, errlen, "%s: %s", path, what);
    free(data);
    wl_pi2_free(net);
    return WL_ERR_FORMAT;
}
