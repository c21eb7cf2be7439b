/* prism's network models: the one public header of noc/.
 * - `iq_router`: BookSim2's input-queued virtual-channel router (VC buffers
 *   and credits, lookahead routing, separable iSLIP VC and switch allocation
 *   with input speedup, wait_for_tail_credit, credit delay, per-stage delays)
 *   as ../shared/NOC-REFERENCE.md describes it, cycle by cycle;
 * - `noc_terminal`: a network interface: synthetic traffic source and sink,
 *   and "send B bytes to node D" for any device;
 * - a builder that expands a network description (topology, k, n,
 *   concentration, channel latency, router parameters) into routers,
 *   terminals and clocked channels; the measurement loop of BookSim's
 *   latency simulations; and the older packet-level `traffic_gen`,
 *   `switch`, `sink` models. */
#ifndef PRISM_NOC_H
#define PRISM_NOC_H

#include "sim/sim.h"

/* Message kind of a packet on a packet-level noc link (traffic_gen/switch/
 * sink); payload u64: [0] destination output index, [1] creation time ps,
 * [2] packet id, [3] source component, [4] packet bytes. */
enum { NOC_MSG_PACKET = 1 };

void noc_register_all(void);

/* ---- the network interface (any device) -------------------------------------------
 * A device linked to a terminal ("dev.out -> t3.in") asks it to move a
 * message by sending an event of kind NOC_MSG_SEND whose payload is a
 * noc_send_t. The terminal cuts it into packets of at most `packet_flits`
 * flits of `flit_bytes` bytes, injects them, and the destination terminal,
 * once every packet has arrived, sends NOC_MSG_DELIVERED with a
 * noc_delivered_t on its "out" link (to the device attached there). */
enum { NOC_MSG_SEND = 0x4e01, NOC_MSG_DELIVERED = 0x4e02 };

typedef struct noc_send {
    uint32_t dest; /* destination node id */
    uint32_t reserved;
    uint64_t bytes; /* message size, >= 1 */
    uint64_t tag;   /* returned unchanged in the delivery */
} noc_send_t;

typedef struct noc_delivered {
    uint32_t src, dest; /* node ids */
    uint64_t bytes, tag;
    uint64_t sent_cycle;      /* network cycle the terminal took the request */
    uint64_t delivered_cycle; /* network cycle the last flit arrived */
} noc_delivered_t;

/* ---- network description ------------------------------------------------------------ */
#define NOC_MAX_SIZES 8

typedef struct noc_cfg {
    /* topology */
    char topology[16];   /* mesh | torus */
    int k, n;            /* k-ary n-dimensional */
    int concentration;   /* terminals per router */
    int channel_latency; /* cycles, router-router and terminal-router */
    double clock_hz;
    char routing[24]; /* dor (dimension order; dateline VCs on the torus) */
    /* router (BookSim2 names) */
    int num_vcs, vc_buf_size, wait_for_tail_credit;
    char vc_allocator[24], sw_allocator[24];
    int alloc_iters, credit_delay, routing_delay, vc_alloc_delay, sw_alloc_delay, st_final_delay;
    int input_speedup, output_speedup, speculative, hold_switch_for_packet;
    /* network interface */
    int flit_bytes, packet_flits;
    /* synthetic traffic and measurement (BookSim2 names) */
    char traffic[16]; /* uniform transpose bitcomp bitrev shuffle tornado neighbor hotspot none */
    double rate;      /* flits / node / cycle (injection_rate_uses_flits=1) */
    int n_sizes;
    int sizes[NOC_MAX_SIZES]; /* packet sizes in flits, equally likely */
    int hotspot_node;
    double hotspot_fraction;
    uint64_t seed;
    int sample_period, warmup_periods, max_samples;
    double latency_thres, warmup_threshold;
    uint64_t max_cycles; /* 0: measurement decides; else a fixed run (benchmarks) */
} noc_cfg_t;

/* BookSim2's mesh88_lat settings and iq router (NOC-REFERENCE.md). */
void noc_cfg_default(noc_cfg_t *c);
/* Set one parameter by prism or BookSim name ("num_vcs=4"). 0 or -1 with a
 * message naming the parameter. */
int noc_cfg_set(noc_cfg_t *c, const char *name, const char *value, char *err, size_t errlen);
/* Check the whole description (topology, k, rate, buffers, routing fits the
 * topology, ...); 0 or -1 with a message naming the field. */
int noc_cfg_check(const noc_cfg_t *c, char *err, size_t errlen);
uint32_t noc_nodes(const noc_cfg_t *c);   /* terminals */
uint32_t noc_routers(const noc_cfg_t *c); /* routers */
/* One line per parameter: name, BookSim2 name, default, doc (for --help and docs). */
typedef struct noc_param_info {
    const char *name, *booksim, *def, *doc;
} noc_param_info_t;
const noc_param_info_t *noc_param_table(size_t *n);

/* Add the network to `s` (before sim_init): a clock `noc` (or the one named
 * `clock_name` when it exists), routers `<prefix>r<i>`, terminals
 * `<prefix>t<node>`, and the channels between them, linked by component id.
 * Returns the id of terminal 0 (terminals are consecutive ids) or -1. */
int noc_build(sim_t *s, const noc_cfg_t *c, const char *prefix, const char *clock_name, char *err,
              size_t errlen);

/* ---- synthetic runs with BookSim2's measurement (sim_type = latency) ---------------- */
typedef struct noc_result {
    double avg_packet_latency, avg_network_latency, p99_packet_latency; /* cycles */
    double accepted_rate;                                               /* flits/node/cycle */
    double offered_rate;
    double avg_hops; /* routers traversed */
    uint64_t sim_cycles, packets_measured;
    int saturated; /* mean latency passed latency_thres: unstable */
    int interrupted;
    uint64_t flits_injected, flits_ejected;
} noc_result_t;

/* Progress callback: called between slices with the cycle reached; return
 * nonzero to stop (Ctrl-C). May be NULL. */
typedef int (*noc_progress_fn)(void *ctx, uint64_t cycle, uint64_t expect_cycles);
int noc_run(const noc_cfg_t *c, noc_result_t *r, noc_progress_fn progress, void *ctx, char *err,
            size_t errlen);

/* Zero-load latency of BookSim2's iq router under this description, for a
 * packet of `flits` from node src to node dst (closed form of the reference:
 * T0 = 2 + 4R + (L - 1) for the default pipeline, R routers traversed). */
uint64_t noc_zero_load_latency(const noc_cfg_t *c, uint32_t src, uint32_t dst, int flits);
/* Routers a packet traverses from src to dst (dimension order). */
int noc_route_hops(const noc_cfg_t *c, uint32_t src, uint32_t dst);

#endif
