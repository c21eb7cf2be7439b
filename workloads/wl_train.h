/* Training loops on labelled data (workloads/train.c): an MLP and a small CNN
 * trained by minibatch SGD with momentum, in which every GEMM of the forward,
 * input-gradient and weight-gradient passes goes through a num_gemm_t (FP32,
 * block floating point, or BFP -> RNS -> modular GEMM -> CRT, possibly the
 * numerics of a device such as rns_photonic). Biases, activations, softmax and
 * the weight update are FP32. Deterministic: the initial weights and the
 * sample order come from counter-based draws keyed by the seed. */
#ifndef PRISM_WL_TRAIN_H
#define PRISM_WL_TRAIN_H

#include "num/num.h"
#include "workloads/dataset.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { WL_TRAIN_MLP = 0, WL_TRAIN_CNN = 1 } wl_train_model_t;

const char *wl_train_model_name(int model); /* "mlp" | "cnn" | "?" */
int wl_train_model_parse(const char *name); /* -1 when unknown */

typedef struct wl_train_cfg {
    int model;       /* wl_train_model_t */
    int hidden;      /* MLP hidden width (default 128) */
    int epochs;      /* >= 1 */
    int batch;       /* samples per step (default 32) */
    double lr;       /* learning rate (default 0.05) */
    double momentum; /* (default 0.9) */
    uint64_t seed;
} wl_train_cfg_t;

/* Sets the defaults above (model MLP, 20 epochs, seed 1). */
void wl_train_defaults(wl_train_cfg_t *cfg);

typedef struct wl_train_epoch {
    double loss;           /* mean training cross-entropy (nats) */
    double train_accuracy; /* percent, during the epoch */
    double test_accuracy;  /* percent, after the epoch */
    double seconds;        /* wall time of the epoch's training steps */
} wl_train_epoch_t;

typedef struct wl_train_result {
    int epochs;
    wl_train_epoch_t *epoch; /* epochs entries, freed by wl_train_result_free */
    double test_accuracy;    /* after the last epoch, percent */
    uint64_t params;         /* trainable parameters */
    uint64_t gemms;          /* GEMM calls of training (forward + both gradients) */
} wl_train_result_t;
void wl_train_result_free(wl_train_result_t *r);

/* Called after each training step: epoch (0-based), steps done in the epoch
 * and steps per epoch, running loss. May be NULL. */
typedef void (*wl_train_progress_fn)(void *ctx, int epoch, int epochs, int step, int steps,
                                     double loss);

/* Train on `train`, test on `test` (same features and classes), every GEMM
 * through `gemm`. CNN needs square single-channel images (features = s^2,
 * s divisible by 4). Returns 0, or WL_ERR_ARG / WL_ERR_NOMEM / WL_ERR with a
 * message (a GEMM that fails, e.g. on values that are not finite). */
int wl_train_run(const wl_train_cfg_t *cfg, num_gemm_t *gemm, const wl_dataset_t *train,
                 const wl_dataset_t *test, wl_train_progress_fn progress, void *progress_ctx,
                 wl_train_result_t *out, char *err, size_t errlen);

#endif
