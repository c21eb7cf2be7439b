/* The engine against references not written here: a sorted list (queue
 * order), closed forms (link serialization, clock edges), ROSS's PHOLD
 * population invariant, and determinism of whole runs. */
#include "noc/noc.h"
#include "sim/sim.h"
#include "sim/sim_int.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void setup(void)
{
    sim_register_builtin_models();
    noc_register_all();
}

/* ---- queue order against a sorted reference --------------------------------- */
typedef struct ref_ent {
    sim_time_t time;
    uint8_t prio;
    uint32_t src;
    uint64_t seq;
} ref_ent_t;

static int ref_cmp(const void *a, const void *b)
{
    const ref_ent_t *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->prio != y->prio)
        return x->prio < y->prio ? -1 : 1;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

START_TEST(queue_matches_sorted_reference)
{
    const size_t n = 2000000;
    size_t n_chunks = (n + SIM_POOL_CHUNK - 1) / SIM_POOL_CHUNK;
    sim_event_t **chunks = calloc(n_chunks, sizeof *chunks);
    for (size_t c = 0; c < n_chunks; c++)
        chunks[c] = calloc(SIM_POOL_CHUNK, sizeof(sim_event_t));
    ref_ent_t *ref = malloc(n * sizeof *ref);
    sim_queue_t q;
    sim_queue_init(&q, &chunks, sizeof(sim_event_t));
    sim_rng_t r;
    sim_rng_init(&r, 42, 0);
    for (size_t i = 0; i < n; i++) {
        /* few distinct times and sources so that every level of the key is used */
        sim_event_t *e = SIM_EV(chunks, sizeof(sim_event_t), i);
        e->time = sim_rng_next(&r) % 5000;
        e->prio = (uint8_t)(sim_rng_next(&r) % 3);
        e->src = (uint32_t)(sim_rng_next(&r) % 50);
        e->seq = sim_rng_next(&r) % 1000000007ull;
        ref[i] = (ref_ent_t){e->time, e->prio, e->src, e->seq};
        if (sim_queue_push(&q, (sim_qent_t){e->time, (uint32_t)i, 0}) != 0)
            ck_abort_msg("push failed");
    }
    qsort(ref, n, sizeof *ref, ref_cmp);
    for (size_t i = 0; i < n; i++) {
        sim_qent_t top = sim_queue_pop(&q);
        const sim_event_t *e = SIM_EV(chunks, sizeof(sim_event_t), top.idx);
        /* plain comparisons: a Check assertion per entry would cost a write each */
        if (e->time != ref[i].time || e->prio != ref[i].prio || e->src != ref[i].src ||
            e->seq != ref[i].seq)
            ck_abort_msg("entry %zu out of order: time %llu prio %u src %u seq %llu, want %llu %u %u %llu",
                         i, (unsigned long long)e->time, e->prio, e->src,
                         (unsigned long long)e->seq, (unsigned long long)ref[i].time, ref[i].prio,
                         ref[i].src, (unsigned long long)ref[i].seq);
    }
    ck_assert_uint_eq(q.n, 0);
    /* hold model with replace-top: popped times never decrease */
    for (uint32_t i = 0; i < 1000; i++) {
        sim_event_t *e = SIM_EV(chunks, sizeof(sim_event_t), i);
        e->time = sim_rng_next(&r) % 100000;
        e->prio = 0;
        e->src = i;
        sim_queue_push(&q, (sim_qent_t){e->time, i, 0});
    }
    sim_time_t last = 0;
    for (size_t i = 0; i < 500000; i++) {
        sim_qent_t top = q.a[0];
        if (top.time < last)
            ck_abort_msg("time went back at step %zu", i);
        last = top.time;
        sim_event_t *e = SIM_EV(chunks, sizeof(sim_event_t), top.idx);
        e->time += sim_rng_next(&r) % 1000;
        if (i & 1) {
            sim_queue_replace_top(&q, (sim_qent_t){e->time, top.idx, 0});
        } else {
            sim_queue_pop(&q);
            sim_queue_push(&q, (sim_qent_t){e->time, top.idx, 0});
        }
    }
    sim_queue_free(&q);
    for (size_t c = 0; c < n_chunks; c++)
        free(chunks[c]);
    free(chunks);
    free(ref);
}
END_TEST

/* Entries at SIM_TIME_MAX are ordered like any other: the heap's sentinels
 * past its end also hold SIM_TIME_MAX, and a group of children that mixes
 * them with entries of that time must still yield the entries, by their tie
 * keys. Every heap size from 1 to 70 (partial last groups of each shape). */
START_TEST(queue_orders_entries_at_the_end_of_time)
{
    enum { MAXN = 70 };
    sim_event_t *chunk = calloc(SIM_POOL_CHUNK, sizeof(sim_event_t));
    sim_event_t **chunks = &chunk;
    sim_rng_t r;
    sim_rng_init(&r, 7, 0);
    static const sim_time_t times[] = {0, 5, SIM_TIME_MAX - 1, SIM_TIME_MAX};
    for (size_t n = 1; n <= MAXN; n++) {
        sim_queue_t q;
        sim_queue_init(&q, &chunks, sizeof(sim_event_t));
        ref_ent_t ref[MAXN];
        for (size_t i = 0; i < n; i++) {
            sim_event_t *e = &chunk[i];
            e->time = times[sim_rng_next(&r) % 4];
            e->prio = (uint8_t)(sim_rng_next(&r) % 2);
            e->src = (uint32_t)(sim_rng_next(&r) % 3);
            e->seq = i;
            ref[i] = (ref_ent_t){e->time, e->prio, e->src, e->seq};
            ck_assert_int_eq(sim_queue_push(&q, (sim_qent_t){e->time, (uint32_t)i, 0}), 0);
        }
        qsort(ref, n, sizeof *ref, ref_cmp);
        for (size_t i = 0; i < n; i++) {
            sim_qent_t top = sim_queue_pop(&q);
            const sim_event_t *e = &chunk[top.idx];
            ck_assert_msg(e->time == ref[i].time && e->prio == ref[i].prio &&
                              e->src == ref[i].src && e->seq == ref[i].seq,
                          "n %zu: entry %zu out of order", n, i);
        }
        ck_assert_uint_eq(q.n, 0);
        sim_queue_free(&q);
    }
    free(chunk);
}
END_TEST

/* ---- a recording model ------------------------------------------------------------ */
#define MAX_LOG 4096
typedef struct rec {
    int n;
    sim_time_t t[MAX_LOG];
    uint32_t src[MAX_LOG];
    uint16_t kind[MAX_LOG];
    uint64_t a[MAX_LOG];
    int out;
    int sends; /* at init: how many messages to send on "out" */
    uint32_t bytes;
    int ticks_left;
} rec_t;

static const sim_param_def_t rec_params[] = {
    {"sends", SIM_P_INT, "0", "", 0, 1000, NULL, "messages to send at init", ""},
    {"bytes", SIM_P_INT, "0", "B", 0, 1e9, NULL, "size of each", ""},
    {"ticks", SIM_P_INT, "0", "", 0, 1e6, NULL, "ticks to record", ""},
    {"prio", SIM_P_INT, "0", "", 0, 255, NULL, "priority of self events", ""},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int rec_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    rec_t *r = state;
    r->out = sim_port(c, "out");
    r->sends = (int)sim_param_int(p, "sends");
    r->bytes = (uint32_t)sim_param_int(p, "bytes");
    r->ticks_left = (int)sim_param_int(p, "ticks");
    for (int i = 0; i < r->sends; i++)
        sim_send_kind(c, r->out, 7, r->bytes, (uint64_t)i, 0);
    if (r->ticks_left)
        sim_clock_wake(c);
    /* self events at t=500 with this component's priority: tie ordering */
    sim_msg_t m = {.kind = 9, .prio = (uint8_t)sim_param_int(p, "prio")};
    sim_self(c, 500, &m);
    return 0;
}

static void rec_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    (void)c;
    rec_t *r = state;
    if (r->n < MAX_LOG) {
        r->t[r->n] = ev->time;
        r->src[r->n] = ev->src;
        r->kind[r->n] = ev->kind;
        r->a[r->n] = ev->data.u64[0];
        r->n++;
    }
}

static int rec_tick(sim_comp_t *c, void *state, uint64_t cycle)
{
    rec_t *r = state;
    (void)cycle;
    if (r->n < MAX_LOG) {
        r->t[r->n] = sim_comp_now(c);
        r->kind[r->n] = 0xffff;
        r->n++;
    }
    return --r->ticks_left > 0;
}

static const sim_model_t rec_model = {
    .name = "test_rec",
    .state_size = sizeof(rec_t),
    .params = rec_params,
    .init = rec_init,
    .handle = rec_handle,
    .tick = rec_tick,
};

static sim_t *mk(void)
{
    sim_model_register(&rec_model);
    sim_opts_t o = {.seed = 1};
    return sim_create(&o);
}

START_TEST(link_serialization_closed_form)
{
    /* 3 messages of 1000 B at t=0 over 10 GB/s (100 ps/B) with 5 ns latency:
     * arrivals at 5000 + k*100000 + 100000 for k = 0, 1, 2 */
    sim_t *s = mk();
    ck_assert_int_ge(sim_add_clock(s, "clk", 1e9), 0);
    const char *pa[] = {"sends", "3", "bytes", "1000", NULL};
    ck_assert_int_ge(sim_add_component(s, "a", "test_rec", "clk", pa), 0);
    ck_assert_int_ge(sim_add_component(s, "b", "test_rec", "clk", NULL), 0);
    ck_assert_int_ge(sim_add_link(s, "a.out", "b.in", 5000, 10.0), 0);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    rec_t *b = sim_comp_state(sim_comp_find(s, "b"));
    int k = 0;
    for (int i = 0; i < b->n; i++)
        if (b->kind[i] == 7) {
            ck_assert_uint_eq(b->t[i], 5000 + (sim_time_t)(k + 1) * 100000);
            ck_assert_uint_eq(b->a[i], (uint64_t)k);
            k++;
        }
    ck_assert_int_eq(k, 3);
    sim_link_info_t li;
    sim_link_get(s, 0, &li);
    ck_assert_uint_eq(li.busy_ps, 300000);
    ck_assert_uint_eq(li.bytes, 3000);
    sim_destroy(s);
}
END_TEST

START_TEST(ties_follow_priority_then_source_then_sequence)
{
    /* four components each schedule a self event at 500 ps and receive...
     * here: all events at the same time land in one sink via links of equal
     * latency; order must be by source id then sequence. */
    sim_t *s = mk();
    sim_add_clock(s, "clk", 1e9);
    const char *p2[] = {"sends", "2", NULL};
    /* create sink first so the senders have higher ids, in reverse name order */
    sim_add_component(s, "sink", "test_rec", "clk", NULL);
    sim_add_component(s, "z", "test_rec", "clk", p2);
    sim_add_component(s, "y", "test_rec", "clk", p2);
    sim_add_link(s, "y.out", "sink.in1", 1000, 0);
    sim_add_link(s, "z.out", "sink.in0", 1000, 0);
    ck_assert_int_eq(sim_init(s), 0);
    sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    rec_t *k = sim_comp_state(sim_comp_find(s, "sink"));
    /* at t=1000: z (id 1) seq 0, 1 then y (id 2) seq 0, 1 */
    int idx = 0;
    uint32_t want_src[] = {1, 1, 2, 2};
    uint64_t want_a[] = {0, 1, 0, 1};
    for (int i = 0; i < k->n; i++)
        if (k->kind[i] == 7) {
            ck_assert_uint_eq(k->t[i], 1000);
            ck_assert_uint_eq(k->src[i], want_src[idx]);
            ck_assert_uint_eq(k->a[i], want_a[idx]);
            idx++;
        }
    ck_assert_int_eq(idx, 4);
    sim_destroy(s);

    /* priority beats source: a high-id component with prio 0 runs before a
     * low-id one with prio 5 at the same instant (self events at 500 ps) */
    s = mk();
    sim_add_clock(s, "clk", 1e9);
    const char *lo[] = {"prio", "5", NULL}, *hi[] = {"prio", "0", NULL};
    sim_add_component(s, "first", "test_rec", "clk", lo);
    sim_add_component(s, "second", "test_rec", "clk", hi);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, 501, 1), 0);
    rec_t *second = sim_comp_state(sim_comp_find(s, "second"));
    rec_t *first = sim_comp_state(sim_comp_find(s, "first"));
    ck_assert_int_eq(second->n, 1);
    ck_assert_int_eq(first->n, 0);
    sim_destroy(s);
}
END_TEST

START_TEST(multi_clock_edges)
{
    /* 1 GHz (1000 ps) and 300 MHz (3333 ps): ticks land on exact multiples;
     * woken at init (t = 0, an edge of both clocks), they tick from cycle 0 */
    sim_t *s = mk();
    int c1 = sim_add_clock(s, "fast", 1e9);
    int c2 = sim_add_clock(s, "slow", 300e6);
    ck_assert_uint_eq(sim_clock_period_ps(s, c1), 1000);
    ck_assert_uint_eq(sim_clock_period_ps(s, c2), 3333);
    const char *t5[] = {"ticks", "5", NULL};
    sim_add_component(s, "f", "test_rec", "fast", t5);
    sim_add_component(s, "g", "test_rec", "slow", t5);
    ck_assert_int_eq(sim_init(s), 0);
    sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    rec_t *f = sim_comp_state(sim_comp_find(s, "f"));
    rec_t *g = sim_comp_state(sim_comp_find(s, "g"));
    int nf = 0, ng = 0;
    for (int i = 0; i < f->n; i++)
        if (f->kind[i] == 0xffff)
            ck_assert_uint_eq(f->t[i], (sim_time_t)1000 * (sim_time_t)nf++);
    for (int i = 0; i < g->n; i++)
        if (g->kind[i] == 0xffff)
            ck_assert_uint_eq(g->t[i], (sim_time_t)3333 * (sim_time_t)ng++);
    ck_assert_int_eq(nf, 5);
    ck_assert_int_eq(ng, 5);
    sim_destroy(s);
}
END_TEST

START_TEST(phold_population_is_conserved)
{
    /* ROSS PHOLD: one event per LP, forever: after any stop, N pending */
    sim_opts_t o = {.seed = 7, .until_ps = 200ull * 1000000ull, .lookahead_ps = 100000};
    sim_t *s = sim_create(&o);
    const int n = 256;
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "lp%d", i);
        ck_assert_int_ge(sim_add_component(s, name, "phold", NULL, NULL), 0);
    }
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_uint_eq(sim_pending(s), (size_t)n);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, 12345), 0);
    ck_assert_uint_eq(sim_pending(s), (size_t)n);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    ck_assert_uint_eq(sim_pending(s), (size_t)n);
    /* events processed ~ N * end / mean (mean 1.0): within 1% */
    double expect = (double)n * 200.0;
    double got = (double)sim_events_handled(s);
    ck_assert_msg(fabs(got - expect) / expect < 0.01, "events %.0f vs %.0f", got, expect);
    sim_destroy(s);
}
END_TEST

static uint64_t phold_fingerprint(uint64_t seed, uint64_t slice)
{
    sim_opts_t o = {.seed = seed, .until_ps = 50ull * 1000000ull, .lookahead_ps = 100000};
    sim_t *s = sim_create(&o);
    for (int i = 0; i < 64; i++) {
        char name[16];
        snprintf(name, sizeof name, "lp%d", i);
        sim_add_component(s, name, "phold", NULL, NULL);
    }
    sim_init(s);
    while (!sim_done(s))
        sim_run(s, SIM_TIME_MAX, slice);
    uint64_t h = sim_events_handled(s);
    for (size_t i = 0; i < sim_comp_count(s); i++)
        h = sim_hash64(h ^ sim_comp_events(sim_comp_at(s, i)));
    h = sim_hash64(h ^ sim_now(s));
    sim_destroy(s);
    return h;
}

START_TEST(determinism_independent_of_slicing)
{
    uint64_t a = phold_fingerprint(3, UINT64_MAX);
    uint64_t b = phold_fingerprint(3, 1000);
    uint64_t c = phold_fingerprint(3, 1);
    uint64_t d = phold_fingerprint(4, UINT64_MAX);
    ck_assert_uint_eq(a, b);
    ck_assert_uint_eq(a, c);
    ck_assert_uint_ne(a, d);
}
END_TEST

/* make check-long: PHOLD at the benchmark's 16,384 LPs, conservation and
 * the ROSS event count N*end/mean within 1%, and slicing independence */
START_TEST(phold_16k_long)
{
    if (!getenv("PRISM_LONG")) {
        fprintf(stderr, "phold_16k_long: skipped (make check-long runs it)\n");
        return;
    }
    uint64_t handled[2], hash[2];
    for (int run = 0; run < 2; run++) {
        sim_opts_t o = {.seed = 11, .until_ps = 100ull * 1000000ull, .lookahead_ps = 100000};
        sim_t *s = sim_create(&o);
        for (int i = 0; i < 16384; i++) {
            char name[16];
            snprintf(name, sizeof name, "lp%d", i);
            sim_add_component(s, name, "phold", NULL, NULL);
        }
        ck_assert_int_eq(sim_init(s), 0);
        while (!sim_done(s))
            ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, run ? 4097 : UINT64_MAX), 0);
        ck_assert_uint_eq(sim_pending(s), 16384);
        handled[run] = sim_events_handled(s);
        hash[run] = 0;
        for (size_t i = 0; i < sim_comp_count(s); i++)
            hash[run] = sim_hash64(hash[run] ^ sim_comp_events(sim_comp_at(s, i)));
        sim_destroy(s);
    }
    double expect = 16384.0 * 100.0;
    ck_assert_msg(fabs((double)handled[0] - expect) / expect < 0.01, "events %llu vs %.0f",
                  (unsigned long long)handled[0], expect);
    ck_assert_uint_eq(handled[0], handled[1]);
    ck_assert_uint_eq(hash[0], hash[1]);
}
END_TEST

START_TEST(rng_is_counter_based)
{
    sim_rng_t a, b;
    sim_rng_init(&a, 1, 5);
    sim_rng_init(&b, 1, 5);
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(sim_rng_next(&a), sim_rng_next(&b));
    sim_rng_init(&b, 1, 6);
    ck_assert_uint_ne(sim_rng_next(&a), sim_rng_next(&b));
    /* uniform mean and normal moments over 1e6 draws */
    double sum = 0, s1 = 0, s2 = 0;
    for (int i = 0; i < 1000000; i++) {
        double u = sim_rng_next_uniform(&a);
        if (!(u > 0 && u < 1))
            ck_abort_msg("uniform draw %g outside (0, 1)", u);
        sum += u;
        double z = sim_rng_next_normal(&b);
        s1 += z;
        s2 += z * z;
    }
    ck_assert_double_eq_tol(sum / 1e6, 0.5, 0.002);
    ck_assert_double_eq_tol(s1 / 1e6, 0.0, 0.005);
    ck_assert_double_eq_tol(s2 / 1e6, 1.0, 0.005);
}
END_TEST

START_TEST(api_errors_name_the_problem)
{
    sim_t *s = mk();
    sim_add_clock(s, "clk", 1e9);
    ck_assert_int_lt(sim_add_component(s, "x", "no_such_model", "clk", NULL), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "unknown model 'no_such_model'"));
    const char *bad[] = {"nope", "1", NULL};
    ck_assert_int_lt(sim_add_component(s, "x", "test_rec", "clk", bad), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "unknown parameter 'nope'"));
    const char *typ[] = {"sends", "many", NULL};
    ck_assert_int_lt(sim_add_component(s, "x", "test_rec", "clk", typ), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "expected an integer"));
    const char *rng[] = {"sends", "-1", NULL};
    ck_assert_int_lt(sim_add_component(s, "x", "test_rec", "clk", rng), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "allowed range"));
    ck_assert_int_lt(sim_add_component(s, "x", "test_rec", "noclk", NULL), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "unknown clock 'noclk'"));
    sim_add_component(s, "a", "test_rec", "clk", NULL);
    sim_add_component(s, "b", "test_rec", "clk", NULL);
    ck_assert_int_lt(sim_add_link(s, "a.out", "c.in", 0, 0), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "missing component 'c'"));
    ck_assert_int_lt(sim_add_link(s, "a.out", "b.in", 0, 0) < 0 ? -1 : 0, 1);
    sim_add_link(s, "b.out", "a.in", 0, 0);
    ck_assert_int_ne(sim_init(s), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "zero-latency cycle"));
    sim_destroy(s);
    sim_destroy(NULL);
}
END_TEST

START_TEST(declared_ports_are_checked)
{
    sim_t *s = mk();
    sim_add_clock(s, "clk", 1e9);
    sim_add_component(s, "g", "traffic_gen", "clk", NULL);
    sim_add_component(s, "k", "sink", NULL, NULL);
    ck_assert_int_lt(sim_add_link(s, "g.outt", "k.in", 100, 0), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "no output port 'outt'"));
    ck_assert_int_lt(sim_add_link(s, "g.out", "k.input", 100, 0), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "no input port 'input'"));
    ck_assert_int_ge(sim_add_link(s, "g.out", "k.in", 100, 0), 0);
    sim_destroy(s);
}
END_TEST

START_TEST(ledger_static_energy_and_busy)
{
    /* static power 2 mW over 1 us = 2e-3 W * 1e-6 s = 2 nJ = 2000 pJ; woken
     * at init, it ticks at cycles 0..1000, the last at 1 us */
    sim_t *s = mk();
    sim_add_clock(s, "clk", 1e9);
    const char *t[] = {"ticks", "1001", NULL};
    sim_add_component(s, "a", "test_rec", "clk", t);
    sim_init(s);
    sim_comp_t *c = sim_comp_find(s, "a");
    sim_static_power_mw(c, 2.0);
    int h = sim_stat(c, "energy.op", SIM_STAT_ENERGY, "pJ");
    sim_energy(c, h, 5.0);
    sim_busy(c, 0, 250);
    /* start_ps counts: an overlap is busy once (it counted twice), a gap not at all */
    sim_busy(c, 100, 250);
    sim_busy(c, 200, 100); /* inside [0, 350) */
    sim_busy(c, 1000, 10);
    sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    ck_assert_uint_eq(sim_now(s), 1000000);
    ck_assert_double_eq_tol(sim_static_energy_pj(c), 2000.0, 1e-9);
    ck_assert_double_eq_tol(sim_energy_pj(c), 2005.0, 1e-9);
    ck_assert_uint_eq(sim_busy_ps(c), 350 + 10);
    sim_destroy(s);
}
END_TEST

START_TEST(units_parse)
{
    sim_time_t t;
    ck_assert_int_eq(sim_parse_time("10us", &t), 0);
    ck_assert_uint_eq(t, 10000000);
    ck_assert_int_eq(sim_parse_time("2.5 ns", &t), 0);
    ck_assert_uint_eq(t, 2500);
    ck_assert_int_eq(sim_parse_time("0.5ps", &t), -1);
    ck_assert_int_eq(sim_parse_time("3 parsecs", &t), -1);
    ck_assert_int_eq(sim_parse_time("-1ns", &t), -1);
    double v;
    ck_assert_int_eq(sim_parse_freq("1.5GHz", &v), 0);
    ck_assert_double_eq(v, 1.5e9);
    ck_assert_int_eq(sim_parse_bandwidth("100Gb/s", &v), 0);
    ck_assert_double_eq(v, 12.5);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("engine");
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, queue_matches_sorted_reference);
    tcase_add_test(tc, queue_orders_entries_at_the_end_of_time);
    tcase_add_test(tc, link_serialization_closed_form);
    tcase_add_test(tc, ties_follow_priority_then_source_then_sequence);
    tcase_add_test(tc, multi_clock_edges);
    tcase_add_test(tc, phold_population_is_conserved);
    tcase_add_test(tc, determinism_independent_of_slicing);
    tcase_add_test(tc, rng_is_counter_based);
    tcase_add_test(tc, phold_16k_long);
    tcase_add_test(tc, api_errors_name_the_problem);
    tcase_add_test(tc, declared_ports_are_checked);
    tcase_add_test(tc, ledger_static_energy_and_busy);
    tcase_add_test(tc, units_parse);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
