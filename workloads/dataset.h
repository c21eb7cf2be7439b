/* Labelled tabular data sets for the training loops (pi2, RNS training):
 * CSV rows of numeric features followed by an integer class label, plain or
 * gzip-compressed. The bundled "digits" set is the UCI optical digits test set
 * (Alpaydin and Kaynak, 1998: 1797 rows, 64 pixels in 0..16, label 0..9). */
#ifndef PRISM_WL_DATASET_H
#define PRISM_WL_DATASET_H

#include <stddef.h>

typedef struct wl_dataset {
    int rows;       /* number of samples */
    int features;   /* values per sample, label excluded */
    int classes;    /* max label + 1 */
    float *x;       /* rows x features, row-major, scaled by 1/scale */
    int *label;     /* rows labels in [0, classes) */
    float scale;    /* the value features were divided by (the data's max) */
    char path[512]; /* the file actually read */
} wl_dataset_t;

/* Loads SPEC: "digits" (the bundled fixture, looked up in $PRISM_FIXTURES/digits/
 * then tests/fixtures/digits/ below the working directory and the prism
 * source tree) or a path to a .csv or .csv.gz file. Features are divided by
 * the largest feature value in the file (digits: 16), so they lie in [0, 1].
 * Every row must have the same number of fields, all numeric, the last a
 * non-negative integer label. Returns 0, or WL_ERR_IO / WL_ERR_FORMAT /
 * WL_ERR_NOMEM with one sentence in err naming the file, row and field. */
int wl_dataset_load(const char *spec, wl_dataset_t **out, char *err, size_t errlen);
void wl_dataset_free(wl_dataset_t *ds);

/* Splits by row order: the first n_train rows train, the rest test (digits:
 * 1437 / 360). Returns views (no copies) into ds; WL_ERR_ARG when n_train is
 * not in [1, rows-1]. */
int wl_dataset_split(const wl_dataset_t *ds, int n_train, wl_dataset_t *train, wl_dataset_t *test,
                     char *err, size_t errlen);

#endif
