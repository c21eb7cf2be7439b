/* The run layer's helpers: placing components on MPI ranks (a partition
 * file, or a pilot run for the expected event counts and then the
 * partitioner) and the dtype a workload computes in on a chip. */
#include "run/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int run_chip_dtype(sim_t *s, wl_dtype_t *dt, char *why, size_t n)
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

int run_place(sim_t *s, int nranks, const char *file, uint64_t pilot_events,
              int (*build)(void *ctx, sim_t **out, char *err, size_t n), void *ctx,
              uint32_t *rank_of, uint64_t *comp_w, sim_partition_info_t *info, char *err,
              size_t errlen)
{
    size_t n = sim_comp_count(s);
    for (size_t i = 0; i < n; i++)
        comp_w[i] = 1;
    /* the links, then the clocked channels */
    size_t n_edges = sim_link_count(s) + sim_chan_count(s);
    uint64_t *link_w = calloc(n_edges + 1, sizeof *link_w);
    if (!link_w) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    for (size_t i = 0; i < n_edges; i++)
        link_w[i] = 1;
    int rc = 0;
    /* the pilot: a sequential run of the same config for its event counts;
     * when it fails (the run itself will say why), what it counted stands */
    if (pilot_events && build) {
        sim_t *p = NULL;
        if (!build(ctx, &p, err, errlen) && !sim_init(p))
            sim_partition_pilot(p, pilot_events, comp_w, link_w);
        sim_destroy(p);
    }
    if (!rc && file) {
        rc = sim_partition_read(s, file, nranks, rank_of, err, errlen) ? 1 : 0;
        if (!rc) {
            sim_partition_eval(s, nranks, rank_of, comp_w, info);
            info->method = "file";
            info->groups = n;
        }
    } else if (!rc) {
        rc = sim_partition(s, nranks, comp_w, link_w, rank_of, info, err, errlen) ? 1 : 0;
    }
    free(link_w);
    return rc;
}

