/* Private header of mapper/: the schedule builder's helpers, shared by the
 * naive mapper (schedule.c) and the tier-aware placement (place.c). */
#ifndef PRISM_MAP_INT_H
#define PRISM_MAP_INT_H

#include "mapper/map.h"

#define NO_ENTRY UINT32_MAX
#define WEIGHT_ALIGN 64u /* DRAM layout: each weight tensor starts on a 64-byte boundary */

typedef struct bld {
    map_schedule_t *s;
    size_t cap_entries, cap_preds;
    char *err;
    size_t errn;
} bld_t;

typedef struct tref {
    uintptr_t ptr;
    size_t index;
} tref_t;

typedef struct vprog {
    int n;
    uint16_t vf[3];
    uint64_t m, cols;
    int proxy;
    const char *note;
} vprog_t;

/* A copy of text kept with the schedule (NULL on out of memory). */
const char *map_bld_keep(bld_t *b, const char *text);
/* Appends an entry; its predecessors follow with map_bld_pred. Returns its
 * index or NO_ENTRY on out of memory. */
uint32_t map_bld_entry(bld_t *b, const wl_op_t *op, uint64_t op_id, const char *kind, int unit,
                       const dev_req_t *req, uint64_t reps, const char *note);
/* Adds predecessor p to the last entry (duplicates and NO_ENTRY ignored). 0 or -1. */
int map_bld_pred(bld_t *b, uint32_t p);
int map_tref_cmp(const void *a, const void *b);
size_t map_tensor_index(const tref_t *refs, size_t n, const wl_tensor_t *t);
/* The vector unit program of a non-GEMM op (vp->n = 0: no rule). */
void map_vector_program(const wl_op_t *op, vprog_t *p);
void map_release_schedule(void *owner);

#endif
