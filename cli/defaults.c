/* Defaults that follow the chip: the workload's dtype is the word size the
 * chip computes in, unless the user gives --dtype. */
#include "cli/defaults.h"
#include "cli/out.h"
#include "mapper/map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_chip_dtype(sim_t *s, wl_dtype_t *dt, char *why, size_t n)
{
    const char *driver = NULL;
    char err[512];
    map_units_t units = {0};
    if (map_find_driver(s, &driver, err, sizeof err) ||
        map_units_from_driver(s, driver, &units, err, sizeof err))
        return -1;
    int u = map_units_find(&units, MAP_UNIT_GEMM);
    sim_comp_t *c = u >= 0 ? sim_comp_find(s, units.unit[u].comp) : NULL;
    map_units_free(&units);
    const sim_params_t *p = c ? sim_comp_params(c) : NULL;
    int has = 0;
    for (size_t i = 0; p && i < sim_params_count(p); i++)
        has |= !strcmp(sim_params_def(p, i)->name, "word_bytes");
    if (!has)
        return -1;
    int64_t wb = sim_param_int(p, "word_bytes");
    wl_dtype_t pick = wb == 1   ? WL_DT_I8
                      : wb == 2 ? WL_DT_F16
                      : wb == 4 ? WL_DT_F32
                      : wb == 8 ? WL_DT_F64
                                : WL_DT_UNKNOWN;
    if (pick == WL_DT_UNKNOWN)
        return -1;
    *dt = pick;
    snprintf(why, n, "%s: %s.word_bytes = %lld", wl_dtype_name(pick), sim_comp_name(c),
             (long long)wb);
    return 0;
}

int cli_workload_opt(const char *cmd, int opt, const char *arg, wl_gen_opts_t *w, int *dtype_given)
{
    if (opt == 'P') {
        if (!strcmp(arg, "prefill"))
            w->phase = WL_PHASE_PREFILL;
        else if (!strcmp(arg, "decode"))
            w->phase = WL_PHASE_DECODE;
        else
            return cli_usage_error(cmd, "--phase '%s' is not prefill or decode", arg);
        return 0;
    }
    if (opt == 'D') {
        if (wl_dtype_parse(arg, &w->dtype) || wl_dtype_size(w->dtype) == 0)
            return cli_usage_error(cmd, "--dtype '%s' is not one of %s", arg, cli_dtype_list());
        *dtype_given = 1;
        return 0;
    }
    char *end;
    long v = strtol(arg, &end, 10);
    const char *name = opt == 'S' ? "seq" : opt == 'B' ? "batch" : "kv-len";
    if (*end || !*arg || v < (opt == 'K' ? 0 : 1) || v > 1000000)
        return cli_usage_error(cmd, "--%s '%s' is not a valid count", name, arg);
    *(opt == 'S' ? &w->seq : opt == 'B' ? &w->batch : &w->kv_len) = (int)v;
    return 0;
}
