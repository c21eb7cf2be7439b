/* Defaults that follow the chip: the workload's dtype is the word size the
 * chip computes in, unless the user gives --dtype. */
#include "cli/defaults.h"
#include "mapper/map.h"

#include <stdio.h>
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
