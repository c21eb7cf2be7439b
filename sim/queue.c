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

/* The smallest of the full group of four children at c, by the whole key.
 * Times decide without a branch (a data-dependent branch per child is a
 * misprediction half the time on random times); when two of the four share
 * the smallest time, the events' tie keys decide. */
static inline size_t min4(sim_event_t *const *ch, size_t st, const sim_qent_t *a, size_t c)
{
    sim_time_t t0 = a[c].time, t1 = a[c + 1].time, t2 = a[c + 2].time, t3 = a[c + 3].time;
    size_t m01 = t1 < t0 ? c + 1 : c, m23 = t3 < t2 ? c + 3 : c + 2;
    sim_time_t u01 = t1 < t0 ? t1 : t0, u23 = t3 < t2 ? t3 : t2;
    size_t best = u23 < u01 ? m23 : m01;
    sim_time_t m = u23 < u01 ? u23 : u01;
    if (__builtin_expect((t0 == m) + (t1 == m) + (t2 == m) + (t3 == m) > 1, 0)) {
        best = c;
        for (size_t k = c + 1; k < c + 4; k++)
            if (qless(ch, st, &a[k], &a[best]))
                best = k;
    }
    return best;
}

/* Floyd's bottom-up variant: move the hole to a leaf along the smallest
 * children without comparing against e, then sift e up from there. A new
 * event usually belongs near the bottom (it is scheduled a full delay ahead),
 * so this saves about half the comparisons of the textbook sift-down.
 * Entries n, n + 1 and n + 2 are sentinels of time SIM_TIME_MAX, so a group
 * of children that starts before n is read as a full group of four; a
 * sentinel is never chosen over an entry unless an entry's time is also
 * SIM_TIME_MAX, and then min4 compares whole keys, where the bounded loop
 * below keeps sentinels out. */
static void sift_down(sim_event_t *const *ch, size_t st, sim_qent_t *a, size_t n, size_t i, sim_qent_t e)
{
    for (;;) {
        size_t c = (i << 2) + 1;
        if (c >= n)
            break;
        size_t best = min4(ch, st, a, c);
        if (__builtin_expect(a[best].time == SIM_TIME_MAX, 0)) {
            best = c;
            for (size_t k = c + 1; k < c + 4 && k < n; k++)
                if (qless(ch, st, &a[k], &a[best]))
                    best = k;
        }
        a[i] = a[best];
        i = best;
    }
    sift_up(ch, st, a, i, e);
}

static void set_sentinel(sim_qent_t *a, size_t i)
{
    a[i] = (sim_qent_t){SIM_TIME_MAX, 0, UINT32_MAX};
}

int sim_queue_push(sim_queue_t *q, sim_qent_t e)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 1024;
        /* 64-byte aligned, root at entry 3: children 4i+1..4i+4 of any node
         * then start at a multiple of 4 entries, i.e. on a cache line; 3
         * entries past cap for the sentinels, 2 more to a whole line */
        sim_qent_t *mem = aligned_alloc(64, (cap + 8) * sizeof *mem);
        if (!mem)
            return SIM_ERR_NOMEM;
        if (q->n)
            memcpy(mem + 3, q->a, q->n * sizeof *mem);
        free(q->mem);
        q->mem = mem;
        q->a = mem + 3;
        q->cap = cap;
        for (size_t k = 0; k < 3; k++)
            set_sentinel(q->a, q->n + k);
    }
    sift_up(*q->chunks, q->stride, q->a, q->n++, e);
    set_sentinel(q->a, q->n + 2);
    return 0;
}

sim_qent_t sim_queue_pop(sim_queue_t *q)
{
    sim_qent_t top = q->a[0];
    q->n--;
    sim_qent_t last = q->a[q->n];
    set_sentinel(q->a, q->n);
    if (q->n > 0)
        sift_down(*q->chunks, q->stride, q->a, q->n, 0, last);
    return top;
}

void sim_queue_replace_top(sim_queue_t *q, sim_qent_t e)
{
    sift_down(*q->chunks, q->stride, q->a, q->n, 0, e);
}
