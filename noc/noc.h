/* prism's network models: the one public header of noc/.
 * - `iq_router`: BookSim2's input-queued virtual-channel router (VC buffers
 *   and credits, lookahead routing, separable iSLIP VC and switch allocation
 *   with input speedup, wait_for_tail_credit, credit delay, per-stage delays)
 *   as the router reference summarised in docs/noc.md describes it, cycle by cycle;
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
enum { NOC_MSG_SEND = 0x4e01, NOC_MSG_DELIVERED = 0x4e02, NOC_MSG_ARM = 0x4e03, NOC_MSG_ARM_DATA = 0x4e04 };

typedef struct noc_send {
    uint32_t dest; /* destination node id */
    uint32_t reserved;
    uint64_t bytes; /* message size, >= 1 */
    uint64_t tag;   /* returned unchanged in the delivery */
} noc_send_t;

/* A message parked at the destination's terminal (forwarding, docs/mapper.md):
 * NOC_MSG_ARM (payload noc_arm_t) then NOC_MSG_ARM_DATA (its opaque payload,
 * SIM_PAYLOAD_BYTES). When the message tagged `tag` has arrived, the terminal
 * sends that payload as a message of kind `kind` on its port `port` (a link
 * to a device at this node) instead of NOC_MSG_DELIVERED on "out". */
typedef struct noc_arm {
    uint64_t tag;
    uint32_t kind, reserved;
    char port[32];
} noc_arm_t;

typedef struct noc_delivered {
    uint32_t src, dest; /* node ids */
    uint64_t bytes, tag;
    uint64_t sent_cycle;      /* network cycle the terminal took the request */
    uint64_t delivered_cycle; /* network cycle the last flit arrived */
} noc_delivered_t;

/* ---- network description ------------------------------------------------------------ */
#define NOC_MAX_SIZES 8
/* Longest run `prism noc` accepts, cycles (max_cycles, sample_period x
 * max_samples, the drain): 1e8 cycles is about an hour of CPU on a 16x16 mesh */
#define NOC_MAX_RUN_CYCLES 100000000ull
#define NOC_MAX_LINK_LAT 256 /* explicit per-link latencies in one description */

typedef struct noc_cfg {
    /* topology */
    char topology[16];   /* mesh | torus */
    int k, n;            /* k-ary n-dimensional */
    int concentration;   /* terminals per router */
    int channel_latency; /* cycles, router-router and terminal-router */
    int use_noc_latency; /* BookSim2's rule: router-router links by their length */
    /* explicit latencies of single router-router links (`link_latency.R.P`),
     * over channel_latency and use_noc_latency */
    int n_link_lat;
    struct noc_link_lat {
        uint32_t router;
        uint16_t port, cycles;
    } link_lat[NOC_MAX_LINK_LAT];
    double clock_hz;
    char routing[24]; /* dor (dimension order; dateline VCs on the torus) */
    /* router (BookSim2 names) */
    int num_vcs, vc_buf_size, wait_for_tail_credit;
    char vc_allocator[24], sw_allocator[24];
    int alloc_iters, credit_delay, routing_delay, vc_alloc_delay, sw_alloc_delay, st_final_delay;
    int input_speedup, output_speedup, speculative, hold_switch_for_packet;
    /* network interface */
    int flit_bytes, packet_flits;
    /* energy (docs/noc.md "Energy"): per bit through a router, per bit and mm
     * of router-to-router link, link length */
    double router_pj_per_bit, link_pj_per_bit_mm, link_mm;
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
/* The prism name of a parameter given by prism or BookSim2 name, NULL if unknown. */
const char *noc_param_name(const char *name);
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
/* Latency in cycles of the channel leaving router r on network port p
 * (flits and credits): its `link_latency.r.p` if given, else
 * channel_latency, or with use_noc_latency BookSim2's
 * length rule: 1 on the mesh, 2 on the (folded) torus, and on the
 * flattened butterfly sqrt(c) x the coordinate distance of the hop. */
int noc_link_latency(const noc_cfg_t *c, uint32_t r, int p);
/* Routers a packet traverses from src to dst (dimension order). */
int noc_route_hops(const noc_cfg_t *c, uint32_t src, uint32_t dst);

/* The router output ports a packet from src to dst leaves through (dimension
 * order), as link ids router x ports + port in [0, noc_link_count): the
 * network links and, last, the ejection port. Returns how many (links[] holds
 * the first `max`), or -1. */
int noc_route_links(const noc_cfg_t *c, uint32_t src, uint32_t dst, uint32_t *links, int max);
uint32_t noc_link_count(const noc_cfg_t *c);

/* What a message of `bytes` from node src to node dst costs on an idle
 * network, from the description alone (the network interface's rules): flits
 * and packets it is cut into, routers traversed, the network cycles from the
 * cycle the source interface takes it to the cycle its last flit arrives
 * (zero-load latency of the head + one cycle per further flit), and the
 * energy the routers charge for it (flits x flit bits x (R x
 * router_pj_per_bit + (R - 1) x link_mm x link_pj_per_bit_mm)). */
typedef struct noc_msg_cost {
    uint64_t flits, packets;
    int routers;
    uint64_t cycles;
    double energy_pj;
} noc_msg_cost_t;
int noc_message_cost(const noc_cfg_t *c, uint32_t src, uint32_t dst, uint64_t bytes,
                     noc_msg_cost_t *out);

/* ---- units attached to a chip's network ----------------------------------------------
 * A chip config's `network:` block may name the components that sit at each
 * node (`attach.<node>: "xb0..xb7, vec0"`); the terminal of that node carries
 * their messages. noc_attachments calls fn once per attached component, in
 * node order, with the terminal's component; returns how many, or -1 with a
 * message. noc_cfg_of_terminal rebuilds the network description a terminal
 * was made from (topology, pipeline delays, interface and energy figures). */
typedef void (*noc_attach_fn)(void *ctx, const char *component, uint32_t node,
                              sim_comp_t *terminal);
int noc_attachments(sim_t *s, noc_attach_fn fn, void *ctx);
int noc_cfg_of_terminal(sim_comp_t *terminal, noc_cfg_t *out, char *err, size_t errlen);
/* ---- pi^2 router primitives (noc/pi2.c, noc/pi2_net.c; docs/pi2.md) -------- */
/* A spike packet of pi^2 on a noc link (kind NOC_MSG_PI2): which inference it
 * belongs to, the sender's lane (2*i + rail; ties between equal arrival times
 * go to the lower tag), the start of the inference's window at this layer,
 * NOC_PI2_PAD for a timeout credit, the time it stands for, its size. */
enum { NOC_MSG_PI2 = 80 };
#define NOC_PI2_PAD 1u
typedef struct noc_pi2_pkt {
    uint64_t inference, tag, base_ps, flags, time_ps, bytes;
} noc_pi2_pkt_t;

void noc_pi2_register(
    void); /* pi2_source, pi2_drop, pi2_delay, pi2_firstk, pi2_shaper, pi2_encoder */

/* Rows of values for a pi2_source, before sim_init (copied). */
int noc_pi2_source_feed(sim_comp_t *c, const float *x, int rows, int features);

/* What a readout pi2_encoder decided per inference: the class (argmax y, the
 * lower index among equals), y, and every unit's firing time relative to the
 * inference's window at that layer (t_ps[2j] "+", t_ps[2j+1] "-"). */
typedef struct noc_pi2_result {
    uint64_t inference;
    sim_time_t window_ps, decided_ps;
    int cls, units;
    double *y;
    int64_t *t_ps;
} noc_pi2_result_t;
size_t noc_pi2_results(sim_comp_t *readout, const noc_pi2_result_t **out);

/* A whole pi^2 network built from the primitives: per layer a pi2_drop (both
 * rails of a value share one draw), a pi2_delay multicast stage holding the
 * synapses, one pi2_firstk and one pi2_shaper per unit, and a pi2_encoder. */
#define NOC_PI2_MAX_LAYERS 4
typedef struct noc_pi2_layer {
    int inputs, outputs, k;
    const float *w; /* inputs x outputs, row by input */
} noc_pi2_layer_t;

typedef struct noc_pi2_fabric {
    int n_layers;
    noc_pi2_layer_t layer[NOC_PI2_MAX_LAYERS];
    double offset, scale;     /* c = 3, s = 10 */
    double ps_per_unit;       /* time of one value unit */
    sim_time_t resolution_ps; /* delay step; ps_per_unit and c * ps_per_unit are multiples */
    sim_time_t link_ps;       /* latency of every link */
    double drop;              /* probability a value's two rails are lost, per layer */
    double packet_jitter;     /* sigma per replica, value units */
    double output_jitter;     /* sigma on every y, value units */
    int packet_bytes;
    /* energy (noc_pi2_fabric_defaults cites the defaults) */
    double link_pj_per_bit;      /* every hop, per bit */
    double buffer_pj_per_bit;    /* delay buffer write + read, per bit into pi2_delay */
    double select_pj_per_packet; /* pi2_firstk, per packet seen */
    double shaper_pj_per_credit; /* pi2_shaper, per credit */
    double encode_pj_per_output; /* pi2_encoder, per y computed */
    /* NULL: rails between layers travel over engine links. Else over this
     * network (routers and terminals "pi2_net_*"): layer l's rails leave
     * from node 2l through a pi2_ni_tx and enter at node nodes-1-2l through
     * a pi2_ni_rx that re-times them to their intended time + a budget */
    const noc_cfg_t *network;
} noc_pi2_fabric_t;

/* What the builder derived, in ps unless named otherwise. */
typedef struct noc_pi2_plan {
    sim_time_t period_ps;                          /* one layer window; inferences pipeline */
    double timeout[NOC_PI2_MAX_LAYERS];            /* value units: 2c + max |w| on the grid */
    sim_time_t timeout_ps[NOC_PI2_MAX_LAYERS];     /* firstk timeout after the window start */
    sim_time_t hold_ps[NOC_PI2_MAX_LAYERS];        /* shaper hold: (K-1)/K timeout, rounded up */
    sim_time_t fire_offset_ps[NOC_PI2_MAX_LAYERS]; /* encoder time - window - z * ps_per_unit */
    int source, readout;                           /* component ids */
    size_t components, links;
    int network; /* rails over the network */
    uint32_t tx_node[NOC_PI2_MAX_LAYERS], rx_node[NOC_PI2_MAX_LAYERS];
    int hops[NOC_PI2_MAX_LAYERS];             /* routers traversed */
    sim_time_t budget_ps[NOC_PI2_MAX_LAYERS]; /* zero-load + queue of one window */
} noc_pi2_plan_t;

void noc_pi2_fabric_defaults(noc_pi2_fabric_t *f);
/* Adds the components and links of `f` to s (names "pi2_..."); weights are
 * rounded to the delay grid. Returns 0 or an error with the message in err. */
int noc_pi2_build(sim_t *s, const noc_pi2_fabric_t *f, noc_pi2_plan_t *plan, char *err,
                  size_t errlen);
/* The analytical energy of one inference in pJ (docs/pi2.md): every packet
 * hop of the plan times bits x link pJ/bit, plus delay-buffer, first-K,
 * credit and encoder operations; drops scale what follows them, and every
 * rail is assumed sent (the fabric prunes rails later than the next timeout). */
double noc_pi2_energy_per_inference(const noc_pi2_fabric_t *f);

#endif
