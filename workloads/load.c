/* wl_load: the one entry that turns a workload spec into an IR graph, on top
 * of the built-in builders (models.c) and the ONNX importer (onnx.c). It sits
 * above both, so the includes run one way: load -> builders/importer -> ir. */
#include "workloads/wl_int.h"

#include <string.h>

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

int wl_load(const char *spec, const wl_gen_opts_t *opts, wl_graph_t **out, char *err,
            size_t errlen)
{
    wl_gen_opts_t o;
    if (out)
        *out = NULL;
    if (!spec || !*spec || !out)
        return wl_fail(err, errlen, WL_ERR_ARG, "no workload given");
    if (opts)
        o = *opts;
    else
        wl_gen_opts_default(&o);
    /* zero means "default", so a zero-initialised wl_gen_opts_t works */
    if (o.batch == 0)
        o.batch = 1;
    if (o.image == 0)
        o.image = 224;
    if (o.dtype == WL_DT_UNKNOWN)
        o.dtype = WL_DT_F32;
    if (o.batch < 0)
        return wl_fail(err, errlen, WL_ERR_ARG, "batch must be at least 1 (got %d)", o.batch);
    if (o.seq < 0)
        return wl_fail(err, errlen, WL_ERR_ARG, "seq must be at least 1 (got %d)", o.seq);
    if (o.image < 0)
        return wl_fail(err, errlen, WL_ERR_ARG, "image size must be positive (got %d)", o.image);
    if (ends_with(spec, ".onnx") || ends_with(spec, ".ONNX"))
        return wl_onnx_import(spec, &o, out, err, errlen);
    return wl_builtin_build(spec, &o, out, err, errlen);
}
