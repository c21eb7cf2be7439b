/* The pending-event set: a 4-ary min-heap on (time, tie), where tie packs
 * (priority, source component, per-source sequence). A 4-ary heap halves the
 * depth of a binary heap and keeps the four children of a node in one or two
 * cache lines; measured against a binary heap in bench/hold it is the faster
 * of the two for the PHOLD populations prism targets (1k to 16k). */
#include "sim/sim_int.h"

#include <stdlib.h>
#include <string.h>

static inline int tie_before(sim_event_t *const *chunks, size_t stride, uint32_t x, uint32_t y)
{
    const sim_event_t *a = SIM_EV(chunks, stride, x), *b = SIM_EV(chunks, stride, y);
    if (a->prio != b->prio)
        return a->prio < b->prio;
    if (a->src != b->src)
        return a->src < b->src;
    return a->seq < b->seq;
}

/* x orders before y: by time, then the tie key of their events */
static inline int qless(sim_event_t *const *chunks, size_t stride, const sim_qent_t *x,
                        const sim_qent_t *y)
{
    return x->time < y->time ||
           (x->time == y->time && tie_before(chunks, stride, x->idx, y->idx));
}

void sim_queue_init(sim_queue_t *q, sim_event_t ***chunks, size_t stride)
{
    q->a = q->mem = NULL;
    q->n = q->cap = 0;
    q->chunks = chunks;
    q->stride = stride;
}

void sim_queue_free(sim_queue_t *q)
{
    free(q->mem);
    sim_queue_init(q, q->chunks, q->stride);
}

static void sift_up(sim_event_t *const *ch, size_t st, sim_qent_t *a, size_t i, sim_qent_t e)
{
    while (i > 0) {
        size_t parent = (i - 1) >> 2;
        if (!qless(ch, st, &e, &a[parent]))
            break;
        a[i] = a[parent];
        i = parent;
    }
    a[i] = e;
}

/* Floyd's bottom-up variant: move the hole to a leaf along the smallest
 * children without comparing against e, then sift e up from there. A new
 * event usually belongs near the bottom (it is scheduled a full delay ahead),
 * so this saves about half the comparisons of the textbook sift-down. */
static void sift_down(sim_event_t *const *ch, size_t st, sim_qent_t *a, size_t n, size_t i, sim_qent_t e)
{
    for (;;) {
        size_t c = (i << 2) + 1;
        if (c >= n)
            break;
        size_t best = c;
        size_t end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (qless(ch, st, &a[k], &a[best]))
                best = k;
        a[i] = a[best];
        i = best;
    }
    sift_up(ch, st, a, i, e);
}

int sim_queue_push(sim_queue_t *q, sim_qent_t e)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 1024;
        /* 64-byte aligned, root at entry 3: children 4i+1..4i+4 of any node
         * then start at a multiple of 4 entries, i.e. on a cache line */
        sim_qent_t *mem = aligned_alloc(64, (cap + 4) * sizeof *mem);
        if (!mem)
            return SIM_ERR_NOMEM;
        if (q->n)
            memcpy(mem + 3, q->a, q->n * sizeof *mem);
        free(q->mem);
        q->mem = mem;
        q->a = mem + 3;
        q->cap = cap;
    }
    sift_up(*q->chunks, q->stride, q->a, q->n++, e);
    return 0;
}

sim_qent_t sim_queue_pop(sim_queue_t *q)
{
    sim_qent_t top = q->a[0];
    q->n--;
    if (q->n > 0)
        sift_down(*q->chunks, q->stride, q->a, q->n, 0, q->a[q->n]);
    return top;
}

void sim_queue_replace_top(sim_queue_t *q, sim_qent_t e)
{
    sift_down(*q->chunks, q->stride, q->a, q->n, 0, e);
}
