/* Whole-file reading shared by the readers of workloads/ (ONNX, safetensors,
 * the GPT-2 config.json): one loop, one set of messages. */
#include "workloads/wl_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wl_read_file(const char *path, unsigned char **buf, size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return wl_fail(err, errlen, WL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap + 1);
    while (b) {
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        unsigned char *nb = realloc(b, cap * 2 + 1);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int ioerr = ferror(f) ? errno : 0;
    fclose(f);
    if (!b)
        return wl_fail(err, errlen, WL_ERR_NOMEM, "%s: out of memory reading the file", path);
    if (ioerr) {
        free(b);
        return wl_fail(err, errlen, WL_ERR_IO, "%s: read error: %s", path, strerror(ioerr));
    }
    b[n] = 0; /* text readers may use it as a string */
    *buf = b;
    if (len)
        *len = n;
    return WL_OK;
}
