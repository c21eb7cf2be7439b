/* The executable form of a schedule, as the `schedule_driver` component runs it:
 * an ordered list of entries, each a device request (repeated `reps` times) for
 * one named unit, with the entries it waits for. Built by the mapper (mapper/map.h),
 * which keeps its own metadata beside it; this header lives in devices/ so the
 * driver does not depend on the mapper (arrows point down). */
#ifndef PRISM_DEV_SCHED_H
#define PRISM_DEV_SCHED_H

#include "devices/dev.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the driver measured for one entry (zero until it ran). */
typedef struct dev_sched_result {
    sim_time_t ready_ps; /* its predecessors were all done */
    sim_time_t issue_ps; /* first request left the driver (ready time for zero-cost) */
    sim_time_t done_ps;  /* last completion reached the driver */
    uint64_t reps_sent, reps_done;
    uint64_t cycles;              /* device cycles, summed over reps */
    sim_time_t device_latency_ps; /* device-side latency (queueing incl.), summed over reps */
    double energy_pj;             /* device energy reported, summed over reps */
    uint64_t bytes;               /* device bytes reported, summed over reps */
    int done;
} dev_sched_result_t;

typedef struct dev_sched_entry {
    uint64_t op_id;       /* workload op (1-based IR index) the entry belongs to; 0 none */
    const char *name;     /* label (the IR op's name) */
    const char *what;     /* trace op name of the driver's row ("matmul", "weight_load", ...) */
    int unit;             /* index into dev_sched_t.units; -1: zero-cost, no request */
    dev_req_t req;        /* the request (tag is set by the driver) */
    uint64_t reps;        /* identical requests (attention heads, conv groups), >= 1 */
    uint32_t weight_step; /* rep r sends weight_id + r * weight_step */
    uint32_t n_preds;     /* entries this one waits for ... */
    size_t pred_off;      /* ... at dev_sched_t.preds[pred_off .. + n_preds), all < own index */
    dev_sched_result_t res;
} dev_sched_entry_t;

typedef struct dev_sched {
    size_t n_entries;
    dev_sched_entry_t *entries;
    uint32_t *preds;
    size_t n_preds;
    size_t n_units;
    const char *const *units; /* unit names = the driver's output port names */
    /* Ownership: the component that the schedule is attached to calls
     * release(owner) when it is destroyed (NULL: the caller keeps it). */
    void (*release)(void *owner);
    void *owner;
} dev_sched_t;

/* Hand `sched` to a `schedule_driver` component before sim_init; it then owns
 * it (see release). 0, or SIM_ERR_CONFIG when c is not a schedule_driver or
 * already has a schedule. */
int dev_sched_attach(sim_comp_t *c, dev_sched_t *sched);
/* The schedule attached to a schedule_driver, NULL if none or not one. */
dev_sched_t *dev_sched_attached(sim_comp_t *c);

/* Check a schedule's structure: reps >= 1, units in range, predecessors
 * earlier entries within preds[]. 0, or SIM_ERR_CONFIG with a message naming
 * the entry. */
int dev_sched_check(const dev_sched_t *sched, char *err, size_t n);

#ifdef __cplusplus
}
#endif
#endif
