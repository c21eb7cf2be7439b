/* The engine's clock rules and clocked channels against closed forms: the
 * wake rule (a message at an edge's instant is seen by that edge's tick,
 * asleep or awake), wake-at-cycle near and far, ticks in id order, channel
 * latency, capacity and credits, determinism across slicings, the event
 * payload size, and integer link serialization. */
#include "sim/sim.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the wake rule ------------------------------------------------------------ */
/* "wr": a sender (role 0) sends one message on "out" at `send_at_ps`; a
 * receiver (role 1) notes the cycle of the first tick that sees it. With
 * `awake` it ticks every cycle up to cycle 40; with `echo` the tick that sees
 * the message sends itself a zero-delay event (handled after that edge),
 * which must be seen one cycle later. */
typedef struct wr {
    int role, awake, echo, out;
    int pending, echo_pending;
    int64_t seen_cycle, echo_cycle;
    sim_time_t got_ps;
    uint64_t ticks;
} wr_t;

static const sim_param_def_t wr_params[] = {
    {"role", SIM_P_INT, "1", "", 0, 1, NULL, "0 sender, 1 receiver", ""},
    {"awake", SIM_P_BOOL, "false", "", 0, 0, NULL, "receiver ticks every cycle", ""},
    {"echo", SIM_P_BOOL, "false", "", 0, 0, NULL, "zero-delay self event after seeing", ""},
    {"send_at_ps", SIM_P_INT, "0", "ps", 0, 1e12, NULL, "when the sender sends", ""},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int wr_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    wr_t *w = state;
    w->role = (int)sim_param_int(p, "role");
    w->awake = sim_param_bool(p, "awake");
    w->echo = sim_param_bool(p, "echo");
    w->seen_cycle = w->echo_cycle = -1;
    if (w->role == 0) {
        w->out = sim_port(c, "out");
        return sim_self_kind(c, (sim_time_t)sim_param_int(p, "send_at_ps"), 1, 0, 0);
    }
    if (w->awake)
        sim_clock_wake(c);
    return 0;
}

static void wr_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    wr_t *w = state;
    if (w->role == 0) {
        sim_send_kind(c, w->out, 2, 0, 0, 0);
        return;
    }
    if (ev->kind == 2) {
        w->pending = 1;
        w->got_ps = ev->time;
    } else if (ev->kind == 3) {
        w->echo_pending = 1;
    }
    sim_clock_wake(c);
}

static int wr_tick(sim_comp_t *c, void *state, uint64_t cycle)
{
    wr_t *w = state;
    w->ticks++;
    if (w->pending) {
        w->pending = 0;
        w->seen_cycle = (int64_t)cycle;
        if (w->echo)
            sim_self_kind(c, 0, 3, 0, 0);
    }
    if (w->echo_pending) {
        w->echo_pending = 0;
        w->echo_cycle = (int64_t)cycle;
    }
    return w->awake && cycle < 40;
}

static const sim_model_t wr_model = {
    .name = "test_wr",
    .state_size = sizeof(wr_t),
    .params = wr_params,
    .init = wr_init,
    .handle = wr_handle,
    .tick = wr_tick,
};

static void setup(void)
{
    sim_model_register(&wr_model);
}

/* Runs sender -> receiver over a link of `lat` ps on a 1 GHz clock. */
static wr_t run_wr(sim_time_t send_at, sim_time_t lat, int awake, int echo)
{
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    ck_assert_int_ge(sim_add_clock(s, "clk", 1e9), 0);
    char at[32];
    snprintf(at, sizeof at, "%llu", (unsigned long long)send_at);
    const char *ps[] = {"role", "0", "send_at_ps", at, NULL};
    const char *pr[] = {
        "role", "1", "awake", awake ? "true" : "false", "echo", echo ? "true" : "false", NULL};
    ck_assert_int_ge(sim_add_component(s, "snd", "test_wr", "clk", ps), 0);
    ck_assert_int_ge(sim_add_component(s, "rcv", "test_wr", "clk", pr), 0);
    ck_assert_int_ge(sim_add_link(s, "snd.out", "rcv.in", lat, 0), 0);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    wr_t r = *(wr_t *)sim_comp_state(sim_comp_find(s, "rcv"));
    sim_destroy(s);
    return r;
}

START_TEST(wake_rule_same_latency_awake_or_asleep)
{
    /* arrival on an edge (3000 ps = cycle 3): that edge's tick sees it */
    for (int awake = 0; awake <= 1; awake++) {
        wr_t r = run_wr(0, 3000, awake, 0);
        ck_assert_uint_eq(r.got_ps, 3000);
        ck_assert_int_eq(r.seen_cycle, 3);
    }
    /* sent at cycle 5's instant, 2 cycles of latency: seen at cycle 7 */
    for (int awake = 0; awake <= 1; awake++) {
        wr_t r = run_wr(5000, 2000, awake, 0);
        ck_assert_int_eq(r.seen_cycle, 7);
    }
    /* between edges (3500 ps): the next edge, cycle 4, either way */
    for (int awake = 0; awake <= 1; awake++) {
        wr_t r = run_wr(0, 3500, awake, 0);
        ck_assert_uint_eq(r.got_ps, 3500);
        ck_assert_int_eq(r.seen_cycle, 4);
    }
    /* an event handled after the edge of its instant (a zero-delay self
     * event sent by the tick) is seen on the next edge, asleep or awake */
    for (int awake = 0; awake <= 1; awake++) {
        wr_t r = run_wr(0, 3000, awake, 1);
        ck_assert_int_eq(r.seen_cycle, 3);
        ck_assert_int_eq(r.echo_cycle, 4);
    }
    /* the asleep receiver ticked only when it had work */
    wr_t r = run_wr(0, 3000, 0, 1);
    ck_assert_uint_eq(r.ticks, 2);
}
END_TEST

/* ---- wake at cycle N, and id order ------------------------------------------------ */
#define LOGN 20000
static struct {
    int n;
    uint64_t cycle[LOGN];
    uint32_t id[LOGN];
} tick_log;

/* "wa": wakes itself at the cycles listed in its params (a0, a1, a2), from
 * init; logs every tick. */
typedef struct wa {
    uint64_t at[3];
} wa_t;

static const sim_param_def_t wa_params[] = {
    {"a0", SIM_P_INT, "0", "cycles", 0, 1e12, NULL, "", ""},
    {"a1", SIM_P_INT, "0", "cycles", 0, 1e12, NULL, "", ""},
    {"a2", SIM_P_INT, "0", "cycles", 0, 1e12, NULL, "", ""},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int wa_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    wa_t *w = state;
    w->at[0] = (uint64_t)sim_param_int(p, "a0");
    w->at[1] = (uint64_t)sim_param_int(p, "a1");
    w->at[2] = (uint64_t)sim_param_int(p, "a2");
    for (int i = 0; i < 3; i++)
        if (w->at[i])
            sim_clock_wake_at(c, w->at[i]);
    return 0;
}

static void wa_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    (void)c;
    (void)state;
    (void)ev;
}

static int wa_tick(sim_comp_t *c, void *state, uint64_t cycle)
{
    (void)state;
    if (tick_log.n < LOGN) {
        tick_log.cycle[tick_log.n] = cycle;
        tick_log.id[tick_log.n] = sim_comp_id(c);
        tick_log.n++;
    }
    return 0;
}

static const sim_model_t wa_model = {
    .name = "test_wa",
    .state_size = sizeof(wa_t),
    .params = wa_params,
    .init = wa_init,
    .handle = wa_handle,
    .tick = wa_tick,
};

START_TEST(wake_at_cycle_near_and_far_in_id_order)
{
    sim_model_register(&wa_model);
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    sim_add_clock(s, "clk", 2e9); /* 500 ps */
    /* 300 components, each waking at three cycles drawn from a fixed stream;
     * some near (< 64 cycles: the wheel), some far (heap events) */
    enum { N = 300 };
    static uint64_t want[N][3];
    sim_rng_t r;
    sim_rng_init(&r, 5, 0);
    for (int i = 0; i < N; i++) {
        char name[16], a[3][24];
        snprintf(name, sizeof name, "w%d", i);
        for (int j = 0; j < 3; j++) {
            want[i][j] = 1 + sim_rng_next(&r) % (j == 2 ? 5000 : 100);
            snprintf(a[j], sizeof a[j], "%llu", (unsigned long long)want[i][j]);
        }
        const char *p[] = {"a0", a[0], "a1", a[1], "a2", a[2], NULL};
        ck_assert_int_ge(sim_add_component(s, name, "test_wa", "clk", p), 0);
    }
    tick_log.n = 0;
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    /* every component ticks exactly on each distinct cycle it asked for */
    int expected = 0;
    for (int i = 0; i < N; i++) {
        uint64_t *w = want[i];
        int distinct = 1 + (w[1] != w[0]) + (w[2] != w[0] && w[2] != w[1]);
        expected += distinct;
        int found = 0;
        for (int k = 0; k < tick_log.n; k++)
            if (tick_log.id[k] == (uint32_t)i) {
                ck_assert(tick_log.cycle[k] == w[0] || tick_log.cycle[k] == w[1] ||
                          tick_log.cycle[k] == w[2]);
                found++;
            }
        ck_assert_int_eq(found, distinct);
    }
    ck_assert_int_eq(tick_log.n, expected);
    /* the log is ordered by (cycle, id): edges in time, ticks in id order */
    for (int k = 1; k < tick_log.n; k++)
        ck_assert(
            tick_log.cycle[k - 1] < tick_log.cycle[k] ||
            (tick_log.cycle[k - 1] == tick_log.cycle[k] && tick_log.id[k - 1] < tick_log.id[k]));
    ck_assert_uint_eq(sim_now(s), tick_log.cycle[tick_log.n - 1] * 500);
    sim_destroy(s);
}
END_TEST

/* ---- channels ---------------------------------------------------------------------- */
/* "ch": a ring node. Each holds tokens; every cycle it forwards at most one
 * token to the next node over its channel (port 0) when it has a credit, and
 * returns a credit for every token it takes in. A token is 16 bytes: (id,
 * hops). Counts receipts and a checksum of (cycle, token, hops). */
typedef struct chn {
    sim_chan_t *out, *in;
    uint64_t q[64];
    int qn;
    uint64_t received, checksum, credits_seen_max;
    int64_t last_credits;
    uint64_t hops_limit;
    uint64_t sent_cycle[256], seen_cycle[256];
} chn_t;

static const sim_param_def_t chn_params[] = {
    {"tokens", SIM_P_INT, "0", "", 0, 64, NULL, "tokens at start", ""},
    {"hops", SIM_P_INT, "50", "", 1, 1e9, NULL, "hops before a token retires", ""},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int chn_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    chn_t *n = state;
    n->out = sim_chan_out(c, 0);
    n->in = sim_chan_in(c, 0);
    n->hops_limit = (uint64_t)sim_param_int(p, "hops");
    n->qn = (int)sim_param_int(p, "tokens");
    for (int i = 0; i < n->qn; i++)
        n->q[i] = ((uint64_t)sim_comp_id(c) << 32 | (uint64_t)i) << 16;
    if (n->qn)
        sim_clock_wake(c);
    return 0;
}

static void chn_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    (void)c;
    (void)state;
    (void)ev;
}

static int chn_tick(sim_comp_t *c, void *state, uint64_t cycle)
{
    chn_t *n = state;
    uint32_t tok;
    while (sim_chan_credit_take(n->out, &tok))
        ;
    const uint64_t *rec;
    while ((rec = sim_chan_peek(n->in)) != NULL) {
        uint64_t t = rec[0];
        n->seen_cycle[n->received & 255] = cycle;
        n->received++;
        n->checksum = n->checksum * 1000003u + (t ^ cycle);
        sim_chan_pop(n->in);
        sim_chan_credit(n->in, 1);
        if ((t & 0xffff) + 1 < n->hops_limit && n->qn < 64)
            n->q[n->qn++] = t + 1;
    }
    int64_t cr = sim_chan_credits(n->out);
    if (cr < 0)
        return sim_comp_fail(c, "negative credits"), 0;
    if (n->qn && cr > 0) {
        uint64_t rec2[2] = {n->q[0], cycle};
        memmove(n->q, n->q + 1, (size_t)(n->qn - 1) * sizeof *n->q);
        n->qn--;
        sim_chan_send(n->out, rec2);
    }
    return n->qn > 0;
}

static const sim_model_t chn_model = {
    .name = "test_chn",
    .state_size = sizeof(chn_t),
    .params = chn_params,
    .init = chn_init,
    .handle = chn_handle,
    .tick = chn_tick,
};

static sim_t *ring(int n, uint32_t lat, uint32_t credits, const char *tokens, int every)
{
    sim_model_register(&chn_model);
    sim_opts_t o = {.seed = 3};
    sim_t *s = sim_create(&o);
    sim_add_clock(s, "clk", 1e9);
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        const char *p[] = {"tokens", i % every == 0 ? tokens : "0", NULL};
        ck_assert_int_ge(sim_add_component(s, name, "test_chn", "clk", p), 0);
    }
    sim_chan_opts_t co = {.rec_bytes = 16,
                          .latency = lat,
                          .capacity = credits,
                          .credits = credits,
                          .credit_latency = 2};
    for (int i = 0; i < n; i++)
        ck_assert_int_ge(sim_add_chan(s, (uint32_t)i, 0, (uint32_t)((i + 1) % n), 0, &co), 0);
    return s;
}

START_TEST(channel_latency_is_exact)
{
    /* one token around a ring of 5 with latency 3: seen 3 cycles after each
     * send, so hop h arrives at cycle 3h (sent at 0 from node 0) */
    sim_t *s = ring(5, 3, 4, "1", 5);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    uint64_t total = 0;
    for (int i = 0; i < 5; i++) {
        chn_t *n = sim_comp_state(sim_comp_at(s, (size_t)i));
        total += n->received;
        /* node i sees hop h (h = i, i+5, ...) at cycle 3h */
        for (uint64_t k = 0; k < n->received && k < 256; k++) {
            uint64_t hop = (uint64_t)(i ? i : 5) + 5 * k;
            ck_assert_uint_eq(n->seen_cycle[k], 3 * hop);
        }
    }
    ck_assert_uint_eq(total, 50); /* hop counts 0..49 are received, then it retires */
    ck_assert_uint_eq(sim_lookahead_ps(s), 2000); /* min(3, credit 2) cycles */
    sim_destroy(s);
}
END_TEST

START_TEST(channel_credits_bound_the_flight)
{
    /* 12 tokens start at node 0, credits 2, latency 4, credit latency 2: never
     * more than 2 in flight on a channel (capacity 2 would fail the run) and
     * the credit count stays in [0, 2] */
    sim_t *s = ring(3, 4, 2, "12", 3);
    ck_assert_int_eq(sim_init(s), 0);
    for (int step = 0; step < 2000; step++) {
        ck_assert_int_eq(sim_run(s, sim_now(s) + 1000, UINT64_MAX), 0);
        for (int i = 0; i < 3; i++) {
            sim_chan_t *ch = sim_chan_out(sim_comp_at(s, (size_t)i), 0);
            int64_t cr = sim_chan_credits(ch);
            ck_assert(cr >= 0 && cr <= 2);
            ck_assert_uint_le(sim_chan_pending(ch), 2);
        }
        if (sim_done(s))
            break;
    }
    ck_assert(sim_done(s));
    uint64_t total = 0;
    for (int i = 0; i < 3; i++)
        total += ((chn_t *)sim_comp_state(sim_comp_at(s, (size_t)i)))->received;
    ck_assert_uint_eq(total, 12 * 50);
    sim_destroy(s);

    /* over capacity: a clear failure, not a crash */
    sim_model_register(&chn_model);
    sim_opts_t o = {.seed = 1};
    s = sim_create(&o);
    sim_add_clock(s, "clk", 1e9);
    const char *p[] = {"tokens", "3", NULL};
    sim_add_component(s, "a", "test_chn", "clk", p);
    sim_add_component(s, "b", "test_chn", "clk", NULL);
    /* credits 5 but room for 1: the sender trusts its credits and overflows */
    sim_chan_opts_t co = {
        .rec_bytes = 16, .latency = 5, .capacity = 1, .credits = 5, .credit_latency = 1};
    ck_assert_int_ge(sim_add_chan(s, 0, 0, 1, 0, &co), 0);
    ck_assert_int_ge(sim_add_chan(s, 1, 0, 0, 0, &co), 0);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), SIM_ERR_MODEL);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "is full"));
    sim_destroy(s);
}
END_TEST

START_TEST(channel_errors_name_the_problem)
{
    sim_model_register(&chn_model);
    sim_model_register(&wr_model);
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    sim_add_clock(s, "clk", 1e9);
    sim_add_clock(s, "other", 2e9);
    sim_add_component(s, "a", "test_chn", "clk", NULL);
    sim_add_component(s, "b", "test_chn", "other", NULL);
    sim_add_component(s, "c", "test_chn", "clk", NULL);
    sim_chan_opts_t co = {
        .rec_bytes = 16, .latency = 1, .capacity = 1, .credits = 1, .credit_latency = 1};
    ck_assert_int_eq(sim_add_chan(s, 0, 0, 1, 0, &co), SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "one clock"));
    ck_assert_int_eq(sim_add_chan(s, 0, 0, 9, 0, &co), SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "missing component"));
    sim_chan_opts_t bad = co;
    bad.latency = 0;
    ck_assert_int_eq(sim_add_chan(s, 0, 0, 2, 0, &bad), SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "latency >= 1"));
    bad = co;
    bad.rec_bytes = 65;
    ck_assert_int_eq(sim_add_chan(s, 0, 0, 2, 0, &bad), SIM_ERR_CONFIG);
    ck_assert_int_ge(sim_add_chan(s, 0, 0, 2, 0, &co), 0);
    ck_assert_int_eq(sim_add_chan(s, 0, 0, 2, 1, &co), SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "already connected"));
    ck_assert_int_eq(sim_add_chan(s, 0, -1, 2, 1, &co), SIM_ERR_CONFIG);
    ck_assert_ptr_null(sim_chan_out(sim_comp_at(s, 0), 7));
    sim_destroy(s);
}
END_TEST

static uint64_t ring_checksum(sim_time_t slice)
{
    sim_t *s = ring(17, 2, 3, "9", 3);
    ck_assert_int_eq(sim_init(s), 0);
    if (!slice)
        ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    else
        while (!sim_done(s))
            ck_assert_int_eq(sim_run(s, sim_now(s) + slice, UINT64_MAX), 0);
    uint64_t h = sim_now(s);
    for (int i = 0; i < 17; i++) {
        chn_t *n = sim_comp_state(sim_comp_at(s, (size_t)i));
        h = h * 31 + n->checksum + n->received;
    }
    sim_destroy(s);
    return h;
}

START_TEST(channels_deterministic_across_slicing)
{
    uint64_t a = ring_checksum(0);
    ck_assert_uint_eq(ring_checksum(0), a);
    ck_assert_uint_eq(ring_checksum(777), a);
    ck_assert_uint_eq(ring_checksum(1000), a);
    ck_assert_uint_eq(ring_checksum(3), a);
}
END_TEST

/* ---- event payload size and integer serialization ---------------------------------- */
typedef struct big {
    int out;
    unsigned char got[200];
    int n;
} big_t;

static int big_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    (void)p;
    big_t *b = state;
    b->out = sim_port(c, "out");
    if (b->out >= 0) {
        unsigned char data[200];
        for (int i = 0; i < 200; i++)
            data[i] = (unsigned char)(i * 7 + 1);
        sim_msg_t m = {.kind = 4, .bytes = 10, .data = data, .data_len = sizeof data};
        return sim_send(c, b->out, &m, 0);
    }
    return 0;
}

static void big_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    big_t *b = state;
    memcpy(b->got, sim_event_payload(ev), sizeof b->got);
    b->n++;
    sim_stat_add(c, sim_stat(c, "arrived_ps", SIM_STAT_VALUE, "ps"), (double)ev->time);
}

static const sim_model_t big_model = {
    .name = "test_big", .state_size = sizeof(big_t), .init = big_init, .handle = big_handle};

START_TEST(payload_size_is_chosen_per_run)
{
    sim_model_register(&big_model);
    sim_opts_t o = {.seed = 1, .payload_bytes = 200};
    sim_t *s = sim_create(&o);
    ck_assert_uint_eq(sim_payload_bytes(s), 208); /* rounded up to 16 */
    sim_add_component(s, "a", "test_big", NULL, NULL);
    sim_add_component(s, "b", "test_big", NULL, NULL);
    /* 10 bytes at 3 GB/s: ceil(10e12 / 3e9) = 3334 ps, + 100 ps latency */
    ck_assert_int_ge(sim_add_link(s, "a.out", "b.in", 100, 3.0), 0);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_int_eq(sim_run(s, SIM_TIME_MAX, UINT64_MAX), 0);
    big_t *b = sim_comp_state(sim_comp_find(s, "b"));
    ck_assert_int_eq(b->n, 1);
    for (int i = 0; i < 200; i++)
        ck_assert_uint_eq(b->got[i], (unsigned char)(i * 7 + 1));
    ck_assert_uint_eq(sim_now(s), 3434);
    sim_destroy(s);

    /* the default payload refuses 200 bytes with a message */
    sim_opts_t d = {.seed = 1};
    s = sim_create(&d);
    ck_assert_uint_eq(sim_payload_bytes(s), SIM_PAYLOAD_BYTES);
    sim_add_component(s, "a", "test_big", NULL, NULL);
    sim_add_component(s, "b", "test_big", NULL, NULL);
    sim_add_link(s, "a.out", "b.in", 100, 0);
    ck_assert_int_ne(sim_init(s), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "exceeds"));
    sim_destroy(s);

    /* too large a payload is a configuration error at init */
    sim_opts_t h = {.seed = 1, .payload_bytes = SIM_PAYLOAD_MAX + 1};
    s = sim_create(&h);
    ck_assert_int_eq(sim_init(s), SIM_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "payload"));
    sim_destroy(s);

    /* each sender has sent 10 bytes at init. 1e9 GB/s (1e18 B/s): 10 bytes
     * take a whole ps, then 1 byte another: arrival 2. 0.03 GB/s: 10 bytes
     * take ceil(1e13 / 3e7) = 333334 ps, then 30 bytes exactly 1,000,000 ps
     * (30 * (1000 / 0.03) in doubles is 1000000.0000000001 and rounded up) */
    s = sim_create(&o);
    sim_add_component(s, "a", "test_big", NULL, NULL);
    sim_add_component(s, "b", "test_big", NULL, NULL);
    sim_add_component(s, "c", "test_big", NULL, NULL);
    sim_add_link(s, "a.out", "b.in", 0, 1e9);
    sim_add_link(s, "c.out", "b.in2", 0, 0.03);
    ck_assert_int_eq(sim_init(s), 0);
    ck_assert_uint_eq(sim_port_arrival(sim_comp_find(s, "a"), 0, 1), 2);
    ck_assert_uint_eq(sim_port_arrival(sim_comp_find(s, "c"), 0, 30), 1333334);
    sim_destroy(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("channel");
    TCase *tc = tcase_create("clocks");
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, wake_rule_same_latency_awake_or_asleep);
    tcase_add_test(tc, wake_at_cycle_near_and_far_in_id_order);
    tcase_add_test(tc, channel_latency_is_exact);
    tcase_add_test(tc, channel_credits_bound_the_flight);
    tcase_add_test(tc, channel_errors_name_the_problem);
    tcase_add_test(tc, channels_deterministic_across_slicing);
    tcase_add_test(tc, payload_size_is_chosen_per_run);
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
