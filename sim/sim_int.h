/* Private structures of the engine, shared by the files of sim/ only. */
#ifndef PRISM_SIM_INT_H
#define PRISM_SIM_INT_H

#include "sim/sim.h"

#include <stddef.h>
#include <stdio.h>

struct sim_param_val {
    const sim_param_def_t *def;
    char *text; /* resolved text (given or default) */
    int64_t i;
    double r;
    int set;   /* given explicitly */
    long pair; /* index of the name/value pair that gave it, -1: the default */
};

struct sim_params {
    size_t n;
    struct sim_param_val *v;
    char undeclared[64]; /* the first name looked up that the model does not declare */
};

typedef struct sim_port_rec {
    char *name;
    int out;  /* 1: output (has a link), 0: input */
    int link; /* output: index of its link; input: first link into it */
} sim_port_rec_t;

typedef struct sim_link {
    char *from, *to, *where;
    uint32_t src_comp, dst_comp;
    uint16_t src_port, dst_port;
    sim_time_t latency;
    double bw_gbps;          /* bytes per ns as given; 0 = unlimited */
    uint64_t bytes_per_s;    /* the same, integer; serialization uses only this */
    sim_time_t free_at;      /* when the link can take the next message */
    uint64_t messages, bytes;
    sim_time_t busy;
} sim_link_t;

typedef struct sim_stat_rec {
    char *name, *unit;
    sim_stat_kind_t kind;
    double value;
} sim_stat_rec_t;

struct sim_comp {
    /* hot: read on every event delivered to this component */
    const sim_model_t *model;
    void *state;       /* allocated with the component, right after it */
    sim_t *sim;
    sim_rng_t rng;
    uint64_t seq;      /* per-source sequence number of sent events */
    uint64_t events;
    uint32_t id;
    int clock;
    /* the fields above fill the first 64-byte line (the allocation is
     * aligned): the run loop prefetches it with the state */
    uint64_t ticks; /* clock edges it ticked at (partition weights) */
    sim_port_rec_t *ports;
    int n_ports;
    int trace_keep;
    /* cold */
    char *name, *where;
    struct sim_params params;
    sim_stat_rec_t *stats;
    int n_stats, cap_stats;
    sim_time_t busy, busy_until; /* busy time; end of the last busy interval */
    double static_mw;
    int initialized;
    uint32_t clock_slot; /* index among the components of its clock (id order) */
    struct sim_chan **chan_out, **chan_in; /* clocked channels by port number */
    uint64_t chan_in_busy;     /* bit p: in-channel p (< 64) holds records */
    uint64_t chan_credit_busy; /* bit p: out-channel p (< 64) holds credit tokens */
    int n_chan_out, n_chan_in;
};
_Static_assert(offsetof(struct sim_comp, clock) + sizeof(int) <= 64,
               "a component's hot fields fit its first cache line");

/* Wakes up to SIM_WHEEL_SLOTS - 1 cycles ahead go into a wheel of per-cycle
 * lists (no heap event); farther ones are one internal heap event. */
#define SIM_WHEEL_SLOTS 64

typedef struct sim_clock {
    char *name;
    double hz;
    sim_time_t period;
    /* members: ids of the clocked components on this clock, in id order */
    uint32_t *members;
    size_t n_members;
    /* awake set: one bit per member slot, scanned in slot (= id) order */
    uint64_t *awake_bits;
    size_t n_words;
    size_t n_awake;
    /* wake wheel: slot (cycle % SIM_WHEEL_SLOTS) holds the member slots to
     * wake at that cycle; `wheel_mask` has a bit per non-empty slot */
    uint32_t *wheel[SIM_WHEEL_SLOTS];
    uint32_t wheel_n[SIM_WHEEL_SLOTS], wheel_cap[SIM_WHEEL_SLOTS];
    uint64_t wheel_mask;
    uint64_t last_cycle; /* the last edge that ran (valid when ran_any) */
    int ran_any;
    int in_edge;         /* ticks of this clock are running */
    uint64_t next_cycle; /* earliest edge event in the queue, UINT64_MAX: none */
    uint64_t seq;
    sim_time_t memo_now; /* floor(memo_now / period) == memo_cycle (saves a division) */
    uint64_t memo_cycle;
} sim_clock_t;

/* A clocked channel (see sim_chan_* in sim.h). Records and credit tokens
 * are rings; an entry is visible from its arrival cycle on. */
struct sim_chan {
    sim_comp_t *from, *to;
    sim_t *sim;
    int clock;
    int cut; /* the ends are on different MPI ranks: sim_chan_set_cut, sim_chan_wire_t */
    uint32_t rec_bytes, latency, capacity;
    uint32_t credit_latency, credit_capacity;
    int64_t credits; /* initial - sent + taken */
    /* forward ring */
    unsigned char *recs;
    uint64_t *arrive;
    uint32_t head, n;
    /* credit ring */
    uint32_t *tokens;
    uint64_t *token_arrive;
    uint32_t thead, tn;
    uint64_t sent, credits_returned;
    int from_port, to_port;
    uint32_t index; /* in sim.chans */
};

/* A record or a credit token of a channel whose ends are on different ranks
 * (a cut channel), as it travels in the window's batch of events to the
 * other rank: it lies where an event would (one event slot, whose `time` it
 * shares, and whose `src` it marks), and at the receiving rank it enters the
 * ring at its arrival cycle and wakes the receiving end on that cycle. */
#define SIM_CHAN_WIRE_SRC 0xffffffffu
typedef struct sim_chan_wire {
    sim_time_t time; /* arrival, ps (an event's `time`) */
    uint64_t cycle;  /* arrival cycle of the channel's clock */
    uint32_t marker; /* SIM_CHAN_WIRE_SRC (an event's `src`) */
    uint32_t chan;   /* channel index */
    uint32_t credit; /* 0: a record for the receiver, 1: a credit token for the sender */
    uint32_t token;
    unsigned char rec[64];
} sim_chan_wire_t;
_Static_assert(offsetof(sim_chan_wire_t, marker) == offsetof(sim_event_t, src),
               "a wire entry is told from an event by its src");
_Static_assert(sizeof(sim_chan_wire_t) <= offsetof(sim_event_t, data) + SIM_PAYLOAD_BYTES,
               "a wire entry fits one event slot of the smallest payload");

/* The 4-ary heap holds 16-byte entries: four children fill one cache line.
 * Equal times are ordered by the events' (prio, src, seq), read from the
 * pool; `dst` is kept in the entry so the next receivers can be prefetched. */
typedef struct sim_qent {
    sim_time_t time;
    uint32_t idx; /* pool slot of the event */
    uint32_t dst; /* copy of the event's dst */
} sim_qent_t;

#define SIM_POOL_SHIFT 12
#define SIM_POOL_CHUNK (1u << SIM_POOL_SHIFT)
/* Events are `stride` bytes apart in a chunk (header + the run's payload size). */
#define SIM_EV(chunks, stride, idx)                                                                \
    ((sim_event_t *)((char *)(chunks)[(idx) >> SIM_POOL_SHIFT] +                                  \
                     (size_t)((idx) & (SIM_POOL_CHUNK - 1)) * (stride)))

typedef struct sim_queue {
    sim_qent_t *a;     /* a[0] is the root; the allocation starts 3 entries
                          earlier so that every group of children is aligned */
    sim_qent_t *mem;
    size_t n, cap;
    sim_event_t ***chunks; /* where the pool's chunk table lives */
    size_t stride;         /* bytes from one event to the next in a chunk */
} sim_queue_t;

void sim_queue_init(sim_queue_t *q, sim_event_t ***chunks, size_t stride);
void sim_queue_free(sim_queue_t *q);
int sim_queue_push(sim_queue_t *q, sim_qent_t e);
sim_qent_t sim_queue_pop(sim_queue_t *q);
void sim_queue_replace_top(sim_queue_t *q, sim_qent_t e);

#define SIM_EV_CLOCK 0xfffe /* internal: a clock edge (dst = clock index) */
#define SIM_EV_WAKE 0xfffd  /* internal: a far wake (dst = component id) */

struct sim {
    sim_opts_t opts;
    char err[1024];
    int failed;
    int fail_code; /* SIM_ERR_MODEL, or SIM_ERR_CONFIG for a request the model does not do */
    sim_time_t now;
    uint64_t handled;
    sim_queue_t q;
    int pop_pending; /* the top entry is being handled; a push replaces it */
    /* event pool */
    sim_event_t *free_list;
    sim_event_t **chunks;
    size_t n_chunks, cap_chunks;
    size_t ev_stride;     /* sizeof header + payload, multiple of 16 */
    uint32_t payload;     /* payload bytes of every event of this run */
    /* topology */
    sim_comp_t **comps;
    size_t n_comps, cap_comps;
    uint32_t *name_index; /* open-addressing hash of component names -> id+1 */
    size_t name_index_cap;
    sim_link_t *links;
    size_t n_links, cap_links;
    sim_clock_t *clocks;
    size_t n_clocks, cap_clocks;
    struct sim_chan **chans;
    size_t n_chans, cap_chans;
    int initialized, finished;
    sim_time_t lookahead;
    /* tracing */
    sim_trace_sink_t sink;
    int have_sink;
    int trace_messages;
    char **op_names;
    unsigned char *op_keep;
    size_t n_ops, cap_ops;
    int msg_ops[256];
    /* distributed run (sim/mpi.c); NULL and unused in a sequential run */
    struct sim_dist *dist;
    const unsigned char *dist_local; /* per component: 1 when this rank runs it */
    const sim_event_t *cur_ev;       /* the event being handled (op first-use order) */
    sim_time_t last_event_ps;        /* time of the last event handled */
};

uint64_t sim_hash64(uint64_t x);
/* Hooks of a distributed run (sim/mpi.c). */
int sim_dist_out(sim_t *s, const sim_event_t *e); /* an event for another rank */
void sim_dist_edge(sim_t *s, int clock);           /* a clock edge was handled */
void sim_dist_op_new(sim_t *s, int op, uint32_t comp); /* an op name was interned */
void sim_dist_free(sim_t *s);
int sim_dist_chan_out(sim_t *s, const sim_chan_t *ch, const sim_chan_wire_t *w); /* cut channel */
/* Mark a channel cut: this rank runs its sender and/or its receiver. */
void sim_chan_set_cut(sim_chan_t *ch, int sender_here, int receiver_here);
/* Put a copy of an event (from another rank) into the queue; a cut
 * channel's record or credit (sim_chan_wire_t) goes into its ring. */
int sim_event_inject(sim_t *s, const sim_event_t *e);
void sim_params_free(struct sim_params *p);
int sim_params_build(struct sim_params *p, const sim_model_t *m, const char *const *kv, char *err,
                     size_t errlen);
/* The same; on a bad value or name, *bad_pair is the index of the kv pair
 * at fault (-1 when none is: a default). */
int sim_params_build_at(struct sim_params *p, const sim_model_t *m, const char *const *kv,
                        long *bad_pair, char *err, size_t errlen);
void sim_fmt_where(char *buf, size_t n, const char *where);

#endif
