/* Private header of workloads/: helpers shared by the IR, the built-in
 * generators and the ONNX importer. Nothing outside workloads/ includes it. */
#ifndef PRISM_WL_INT_H
#define PRISM_WL_INT_H

#include "workloads/wl.h"

#include <stdarg.h>

/* Formats into err (if non-NULL) and returns code. */
int wl_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The whole file into *buf (malloc'd, with a NUL after the last byte) and
 * *len; WL_ERR_IO ("<path>: cannot open: ...", "read error") or
 * WL_ERR_NOMEM with the message in err. */
int wl_read_file(const char *path, unsigned char **buf, size_t *len, char *err, size_t errlen);

/* Sets the graph's message and returns code. */
int wl_graph_fail(wl_graph_t *g, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ORs flags into the flags of tensor `name` (the KV-cache role of an
 * activation, set after the op that produces it). 0, or WL_ERR_NOTFOUND. */
int wl_graph_tensor_add_flags(wl_graph_t *g, const char *name, unsigned flags);

/* Remembers the file a graph was imported from. */
int wl_graph_set_source(wl_graph_t *g, const char *path);

/* Builds a built-in model; spec is a name with optional ":key=value,..". */
int wl_builtin_build(const char *spec, const wl_gen_opts_t *opts, wl_graph_t **out,
                     char *err, size_t errlen);

/* ResNet generators (models_cnn.c): depth 18, 34, 50, 101 or 152. */
int wl_build_resnet(wl_graph_t *g, int depth, int classes, const wl_gen_opts_t *o, char *err,
                    size_t errlen);

/* Shape literal helper: wl_shp(3, (int64_t[]){1, 128, 768}). */
wl_shape_t wl_shp(int rank, const int64_t *dims);

#endif
