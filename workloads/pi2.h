/* The pi^2 (processing-in-interconnect) network as its analytic model: each
 * value travels as two packet arrival times, each weight is two link delays,
 * and a unit fires at the mean of its K earliest arrivals ("When Routers,
 * Switches and Interconnects Compute: A Processing-in-Interconnect Paradigm
 * for Scalable Neuromorphic AI", 2025; the exact neuron in docs/pi2.md).
 * Also the bias-free MLP teacher, distillation training with exact
 * subgradients and Adamax, and the model file. */
#ifndef PRISM_WL_PI2_H
#define PRISM_WL_PI2_H

#include "workloads/dataset.h"

#include <stddef.h>
#include <stdint.h>

#define WL_PI2_MAX_LAYERS 4
#define WL_PI2_OFFSET 3.0 /* c: value x travels as arrivals max(0, c + x), max(0, c - x) */
#define WL_PI2_SCALE 10.0 /* s: y = -s (z+ - z-) in fully connected layers */

/* A trained network: n_layers fully connected layers dims[l] -> dims[l+1],
 * weights row-major W[i * dims[l+1] + j] (input i, output j). `teacher` are
 * the multiply-accumulate weights, `w` the pi^2 student's. */
typedef struct wl_pi2_net {
    int n_layers;
    int dims[WL_PI2_MAX_LAYERS + 1];
    int k[WL_PI2_MAX_LAYERS]; /* K of the units of layer l */
    float *teacher[WL_PI2_MAX_LAYERS];
    float *w[WL_PI2_MAX_LAYERS];
    /* how it was trained (stored in the model file) */
    uint64_t seed;
    int epochs;
    float drop, jitter;
    float teacher_accuracy, accuracy; /* on the test rows at training */
} wl_pi2_net_t;

/* A network with zero weights; NULL on a bad shape or out of memory. */
wl_pi2_net_t *wl_pi2_create(int n_layers, const int *dims, const int *k);
void wl_pi2_free(wl_pi2_net_t *net); /* NULL is a no-op */

/* Noise and quantization of one analytic forward pass. */
typedef struct wl_pi2_noise {
    double drop;     /* probability that an input of a layer is lost (both rails) */
    double jitter;   /* sigma added to each layer's scaled output y */
    uint64_t seed;   /* counter-based draws keyed by (seed, stream, layer, index) */
    uint64_t stream; /* e.g. the sample's index */
    double quantum;  /* > 0: inputs, hidden values and weights on a grid of this
                        step (value units), as the fabric's delay resolution */
} wl_pi2_noise_t;

/* The timeout of a layer, in value units: 2c + max |w|. With at least K
 * inputs present no unit's K-th arrival is later (docs/pi2.md). */
double wl_pi2_timeout(const float *w, int n, int m);

/* One pi^2 layer for one sample: x[n] inputs (>= 0 in a network, any sign in
 * tests), w[n*m], k, `keep[n]` (NULL: all inputs arrive). Writes the firing
 * times zp[m], zn[m] (value units) and, when `sel` is not NULL, the arrivals
 * each unit kept: sel[(j*2 + u)*k + r] = 2*i + rail (u 0 = "+", 1 = "-";
 * rail 0 = a+, 1 = a-), or -1 for a slot padded at the timeout `timeout`.
 * Ties between equal arrivals go to the smaller 2*i + rail. */
void wl_pi2_layer(const float *x, int n, const float *w, int m, int k, double timeout,
                  const unsigned char *keep, float *zp, float *zn, int *sel);

/* The whole pi^2 network on one sample: logits[dims[n_layers]]. `noise` may
 * be NULL. `trace` (may be NULL) receives every layer's zp/zn: trace[l] has
 * 2*dims[l+1] floats (zp then zn). */
void wl_pi2_forward(const wl_pi2_net_t *net, const float *x, const wl_pi2_noise_t *noise,
                    float *logits, float **trace);
/* The teacher MLP (ReLU, no bias) on one sample. */
void wl_pi2_teacher_forward(const wl_pi2_net_t *net, const float *x, float *logits);
/* Class = argmax of the logits (lowest index among equals). */
int wl_pi2_argmax(const float *v, int n);
/* Fraction of rows of ds classified right by the student (teacher != 0: by
 * the teacher). noise may be NULL; noise->stream is replaced by the row. */
double wl_pi2_accuracy(const wl_pi2_net_t *net, const wl_dataset_t *ds, int teacher,
                       const wl_pi2_noise_t *noise);

/* The exact subgradient of L = sum_j dlogits[j] * logits[j] of the noiseless
 * student with respect to every weight: gw[l] (dims[l] x dims[l+1], zeroed
 * here). Returns 0 or WL_ERR_NOMEM. */
int wl_pi2_grad(const wl_pi2_net_t *net, const float *x, const float *dlogits, float **gw);

/* ---- training ------------------------------------------------------------- */
typedef struct wl_pi2_train_cfg {
    int n_layers;               /* 2 for 64-64-10 and 784-500-10 */
    int hidden;                 /* width of the hidden layers */
    int k;                      /* K of every pi^2 layer */
    int teacher_epochs, epochs; /* teacher (MAC) and student (distillation) */
    int batch;                  /* 32 */
    double teacher_lr, lr;      /* Adamax step sizes */
    double alpha, temperature;  /* distillation: 0.5, 5 */
    double drop, jitter;        /* noise during student training */
    /* the authors' first stage for K = 1 (MNIST): `stage1_epochs` epochs with
     * K = stage1_output_k in the output layer before K everywhere (0: none) */
    int stage1_epochs, stage1_output_k;
    uint64_t seed;
    /* called after every epoch (may be NULL): phase "teacher" or "student" */
    void (*progress)(void *ctx, const char *phase, int epoch, int epochs, double loss,
                     double test_accuracy);
    void *ctx;
} wl_pi2_train_cfg_t;

/* Defaults for the digits set (docs/pi2.md says how they were chosen): the
 * authors' Adamax 5e-3, batch 32, alpha 0.5, T 5, drop 0.1, jitter 0.1, with
 * a longer teacher (200 epochs) and a student at Adamax 3e-2 for 120 epochs,
 * one hidden layer of 64. */
void wl_pi2_train_defaults(wl_pi2_train_cfg_t *cfg);

/* Trains the teacher on `train`, then distils the pi^2 student initialised
 * from it; fills teacher_accuracy and accuracy on `test`. Deterministic for a
 * given seed. Returns 0 or WL_ERR_ARG / WL_ERR_NOMEM with a message. */
int wl_pi2_train(const wl_dataset_t *train, const wl_dataset_t *test, const wl_pi2_train_cfg_t *cfg,
                 wl_pi2_net_t **out, char *err, size_t errlen);

/* ---- model file ------------------------------------------------------------ */
/* Little-endian: "PRISMPI2", version, layer count, dims, K, training record,
 * teacher and student weights, CRC-32 of everything before it. Load checks
 * every field and names the first bad one; WL_ERR_IO or WL_ERR_FORMAT. */
int wl_pi2_save(const wl_pi2_net_t *net, const char *path, char *err, size_t errlen);
int wl_pi2_load(const char *path, wl_pi2_net_t **out, char *err, size_t errlen);

#endif
