/* CSV (optionally gzip) reader for labelled data sets; see dataset.h. zlib's
 * gzread reads plain files unchanged, so one path serves both forms. */
#include "workloads/dataset.h"
#include "workloads/wl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#ifndef PRISM_DATADIR /* the install's data directory (Makefile: $(PREFIX)/share/prism) */
#define PRISM_DATADIR "/usr/local/share/prism"
#endif
#define DS_MAX_BYTES (1ull << 30) /* refuse data files above 1 GiB uncompressed */
#define DS_MAX_FIELDS 1000000

static int read_all(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
        return WL_ERR_IO;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    if (!b) {
        gzclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return WL_ERR_NOMEM;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= DS_MAX_BYTES) {
                free(b);
                gzclose(f);
                snprintf(err, errlen, "%s: larger than 1 GiB uncompressed; refused", path);
                return WL_ERR_FORMAT;
            }
            char *nb = realloc(b, cap * 2 + 1);
            if (!nb) {
                free(b);
                gzclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return WL_ERR_NOMEM;
            }
            b = nb;
            cap *= 2;
        }
        int r = gzread(f, b + n, (unsigned)(cap - n));
        if (r < 0) {
            int zerr;
            const char *m = gzerror(f, &zerr);
            snprintf(err, errlen, "%s: read error: %s", path, m ? m : "unknown");
            free(b);
            gzclose(f);
            return WL_ERR_IO;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    gzclose(f);
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

static int file_exists(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

static int resolve(const char *spec, char *path, size_t len)
{
    if (strcmp(spec, "digits") != 0) {
        snprintf(path, len, "%s", spec);
        return 0;
    }
    /* $PRISM_FIXTURES, the data directory ($PRISM_DATA_DIR, which the prism
     * command sets to the one it found; else the install's), the working
     * directory */
    const char *env = getenv("PRISM_FIXTURES"), *data = getenv("PRISM_DATA_DIR");
    char envbuf[400], databuf[400];
    const char *cands[3] = {NULL, NULL, "tests/fixtures"};
    if (env && *env) {
        snprintf(envbuf, sizeof envbuf, "%s", env);
        cands[0] = envbuf;
    }
    snprintf(databuf, sizeof databuf, "%s/tests/fixtures", data && *data ? data : PRISM_DATADIR);
    cands[1] = databuf;
    for (int i = 0; i < 3; i++) {
        if (!cands[i])
            continue;
        snprintf(path, len, "%s/digits/digits.csv.gz", cands[i]);
        if (file_exists(path))
            return 0;
    }
    snprintf(path, len, "tests/fixtures/digits/digits.csv.gz");
    return 0;
}

int wl_dataset_load(const char *spec, wl_dataset_t **out, char *err, size_t errlen)
{
    *out = NULL;
    wl_dataset_t *ds = calloc(1, sizeof *ds);
    if (!ds) {
        snprintf(err, errlen, "out of memory");
        return WL_ERR_NOMEM;
    }
    resolve(spec, ds->path, sizeof ds->path);
    char *buf = NULL;
    size_t len = 0;
    int rc = read_all(ds->path, &buf, &len, err, errlen);
    if (rc) {
        free(ds);
        return rc;
    }
    /* pass 1: count rows and fields of the first row */
    int rows = 0, fields = 0;
    for (char *p = buf; *p;) {
        char *eol = strchr(p, '\n');
        size_t l = eol ? (size_t)(eol - p) : strlen(p);
        int blank = 1;
        for (size_t i = 0; i < l; i++)
            if (p[i] != ' ' && p[i] != '\r' && p[i] != '\t')
                blank = 0;
        if (!blank) {
            if (rows == 0) {
                fields = 1;
                for (size_t i = 0; i < l; i++)
                    fields += p[i] == ',';
            }
            rows++;
        }
        p = eol ? eol + 1 : p + l;
    }
    if (rows == 0 || fields < 2 || fields > DS_MAX_FIELDS) {
        snprintf(err, errlen, "%s: %s", ds->path,
                 rows == 0 ? "no data rows" : "each row needs at least one feature and a label");
        free(buf);
        free(ds);
        return WL_ERR_FORMAT;
    }
    ds->rows = rows;
    ds->features = fields - 1;
    ds->x = malloc((size_t)rows * (size_t)ds->features * sizeof(float));
    ds->label = malloc((size_t)rows * sizeof(int));
    if (!ds->x || !ds->label) {
        snprintf(err, errlen, "%s: out of memory for %d x %d values", ds->path, rows, fields);
        free(buf);
        wl_dataset_free(ds);
        return WL_ERR_NOMEM;
    }
    int row = 0, line = 0;
    float maxv = 0.0f;
    for (char *p = buf; *p;) {
        line++;
        char *eol = strchr(p, '\n');
        if (eol)
            *eol = 0;
        char *q = p;
        while (*q == ' ' || *q == '\r' || *q == '\t')
            q++;
        if (*q) {
            for (int f = 0; f < fields; f++) {
                char *end;
                errno = 0;
                double v = strtod(q, &end);
                while (*end == ' ' || *end == '\r' || *end == '\t')
                    end++;
                int last = f == fields - 1;
                if (end == q || errno || !isfinite(v) || (last ? *end != 0 : *end != ',')) {
                    snprintf(err, errlen, "%s:%d: field %d: %s", ds->path, line, f + 1,
                             end == q || errno || !isfinite(v)
                                 ? "not a finite number"
                                 : (last ? "more fields than the first row" : "fewer fields than the first row"));
                    free(buf);
                    wl_dataset_free(ds);
                    return WL_ERR_FORMAT;
                }
                if (last) {
                    if (v < 0 || v != floor(v) || v > 1e6) {
                        snprintf(err, errlen, "%s:%d: field %d (label): not a non-negative integer", ds->path,
                                 line, f + 1);
                        free(buf);
                        wl_dataset_free(ds);
                        return WL_ERR_FORMAT;
                    }
                    ds->label[row] = (int)v;
                    if ((int)v + 1 > ds->classes)
                        ds->classes = (int)v + 1;
                } else {
                    ds->x[(size_t)row * (size_t)ds->features + (size_t)f] = (float)v;
                    if (fabs(v) > maxv)
                        maxv = (float)fabs(v);
                    q = end + 1;
                }
            }
            row++;
        }
        p = eol ? eol + 1 : p + strlen(p);
    }
    free(buf);
    ds->scale = maxv > 0 ? maxv : 1.0f;
    size_t n = (size_t)rows * (size_t)ds->features;
    for (size_t i = 0; i < n; i++)
        ds->x[i] /= ds->scale;
    *out = ds;
    return 0;
}

void wl_dataset_free(wl_dataset_t *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->label);
    free(ds);
}

int wl_dataset_split(const wl_dataset_t *ds, int n_train, wl_dataset_t *train, wl_dataset_t *test,
                     char *err, size_t errlen)
{
    if (ds->rows < 2) { /* "split 0 outside [1, 0]" said nothing useful */
        snprintf(err, errlen,
                 "%s: %d row%s: a data set needs at least 2 (one to train on, one to test)",
                 ds->path, ds->rows, ds->rows == 1 ? "" : "s");
        return WL_ERR_ARG;
    }
    if (n_train < 1 || n_train > ds->rows - 1) {
        snprintf(err, errlen,
                 "%s: %d rows: train on 1 to %d of them (the rest are the test set), not %d",
                 ds->path, ds->rows, ds->rows - 1, n_train);
        return WL_ERR_ARG;
    }
    *train = *ds;
    *test = *ds;
    train->rows = n_train;
    test->rows = ds->rows - n_train;
    test->x = ds->x + (size_t)n_train * (size_t)ds->features;
    test->label = ds->label + n_train;
    return 0;
}
