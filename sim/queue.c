/* The pending-event set: a 4-ary min-heap on (time, tie), where tie packs
 * (priority, source component, per-source sequence). A 4-ary heap halves the
 * depth of a binary heap and keeps the four children of a node in one or two
 * cache lines; measured against a binary heap in bench/hold it is the faster
 * of the two for the PHOLD populations prism targets (1k to 16k). */
#include "sim/sim_int.h"

#include <stdlib.h>

static inline int qless(const sim_qent_t *a, const sim_qent_t *b)
{
    return a->time < b->time || (a->time == b->time && a->tie < b->tie);
}

void sim_queue_init(sim_queue_t *q)
{
    q->a = NULL;
    q->n = q->cap = 0;
}

void sim_queue_free(sim_queue_t *q)
{
    free(q->a);
    sim_queue_init(q);
}

static void sift_up(sim_qent_t *a, size_t i, sim_qent_t e)
{
    while (i > 0) {
        size_t parent = (i - 1) >> 2;
        if (!qless(&e, &a[parent]))
            break;
        a[i] = a[parent];
        i = parent;
    }
    a[i] = e;
}

static void sift_down(sim_qent_t *a, size_t n, size_t i, sim_qent_t e)
{
    for (;;) {
        size_t c = (i << 2) + 1;
        if (c >= n)
            break;
        size_t best = c;
        size_t end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (qless(&a[k], &a[best]))
                best = k;
        if (!qless(&a[best], &e))
            break;
        a[i] = a[best];
        i = best;
    }
    a[i] = e;
}

int sim_queue_push(sim_queue_t *q, sim_qent_t e)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 1024;
        sim_qent_t *a = realloc(q->a, cap * sizeof *a);
        if (!a)
            return SIM_ERR_NOMEM;
        q->a = a;
        q->cap = cap;
    }
    sift_up(q->a, q->n++, e);
    return 0;
}

sim_qent_t sim_queue_pop(sim_queue_t *q)
{
    sim_qent_t top = q->a[0];
    q->n--;
    if (q->n > 0)
        sift_down(q->a, q->n, 0, q->a[q->n]);
    return top;
}

void sim_queue_replace_top(sim_queue_t *q, sim_qent_t e)
{
    sift_down(q->a, q->n, 0, e);
}
