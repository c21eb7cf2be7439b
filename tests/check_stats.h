/* Shared helpers of the suites that build a simulation in-process and read
 * its components' statistics. Header-only; everything is static inline. */
#ifndef PRISM_CHECK_STATS_H
#define PRISM_CHECK_STATS_H

#include "sim/sim.h"

#include <check.h>
#include <math.h>
#include <string.h>

/* The value of statistic `name` of component `comp`; fails the test when
 * either is missing. */
static inline double stat_of(sim_t *s, const char *comp, const char *name)
{
    sim_comp_t *c = sim_comp_find(s, comp);
    ck_assert_msg(c != NULL, "no component %s", comp);
    for (size_t i = 0; i < sim_stat_count(c); i++)
        if (strcmp(sim_stat_name(c, i), name) == 0)
            return sim_stat_value(c, i);
    ck_abort_msg("no stat %s.%s", comp, name);
    return 0;
}

/* |a - b| relative to |b| (to 1 when b is 0) */
static inline double rel_close(double a, double b)
{
    return fabs(a - b) / (fabs(b) > 0 ? fabs(b) : 1.0);
}

#endif
