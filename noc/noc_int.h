/* Private structures of noc/: the flit record carried by clocked channels,
 * router and terminal state, allocators and routing. */
#ifndef PRISM_NOC_INT_H
#define PRISM_NOC_INT_H

#include "noc/noc.h"

static inline uint64_t sim_hash64_noc(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

#define NOC_HEAD 1u
#define NOC_TAIL 2u

/* One flit, as it travels on a channel (64 bytes: the channel record). */
typedef struct noc_flit {
    uint64_t created;         /* cycle the packet was created (source queueing counts) */
    uint64_t injected;        /* cycle the head was written onto the injection channel */
    uint64_t msg;             /* network-interface message id at the source; 0: synthetic */
    uint64_t tag;             /* the message's tag */
    uint32_t src, dest;       /* nodes */
    uint32_t pkt_idx, n_pkts; /* packet of the message */
    uint64_t msg_bytes;
    uint16_t hops;  /* routers traversed so far */
    uint8_t vc;     /* VC on the channel it travels */
    uint8_t flags;  /* NOC_HEAD, NOC_TAIL */
    uint8_t port;   /* output port at the router it enters (lookahead route) */
    uint8_t size;   /* flits in the packet */
    uint8_t idx;    /* flit index in the packet */
    uint8_t vclass; /* VC class (torus dateline) */
} noc_flit_t;
_Static_assert(sizeof(noc_flit_t) == 64, "a flit is one 64-byte channel record");

/* ---- allocators --------------------------------------------------------------------- */
enum { NOC_ALLOC_ISLIP, NOC_ALLOC_SEP_IF, NOC_ALLOC_SEP_OF };
typedef struct noc_alloc {
    int kind, iters;
    int ni, no; /* <= 64 each */
    uint8_t gptr[64], aptr[64];
} noc_alloc_t;
int noc_alloc_kind(const char *name); /* -1 when unknown */
void noc_alloc_init(noc_alloc_t *a, int kind, int iters, int ni, int no);
/* req[i]: outputs input i requests (bit o), read for the inputs in
 * `in_mask`; match[i] = output or -1 is written for those inputs only. */
void noc_alloc_run(noc_alloc_t *a, const uint64_t *req, uint64_t in_mask, int8_t *match);

/* ---- topology ------------------------------------------------------------------------ */
typedef struct noc_topo {
    int kind; /* NOC_TOPO_* */
    int k, n, c;
    int ports;       /* per router: network + c local */
    int net_ports;   /* network ports: 2n (mesh, torus) or (k - 1) n (fbfly); fat tree: k up
                        ports (then k down, the terminals at a leaf) */
    uint32_t leaves; /* fat tree: routers per level, k^(n-1) */
    int vcs;
    int adaptive; /* min_adapt: VC 0 escape (DOR), VCs 1.. on any minimal port */
} noc_topo_t;
enum { NOC_TOPO_MESH, NOC_TOPO_TORUS, NOC_TOPO_FBFLY, NOC_TOPO_FATTREE };
int noc_topo_from_cfg(const noc_cfg_t *c, noc_topo_t *t, char *err, size_t errlen);
/* Output port at router `r` for a packet to node `dest` arriving on
 * `in_port`, and the VC class it must use there (`cls` in/out). Torus, as
 * BookSim2's dim_order_torus: on entering a dimension the packet takes the
 * shorter direction (a tie at distance k/2: a random bit drawn from `rng`'s
 * counter-based stream, + when `rng` is NULL) and its dateline class
 * (1 when the current coordinate is above the destination's), both kept
 * for the whole dimension. */
int noc_route(const noc_topo_t *t, uint32_t r, uint32_t dest, int in_port, uint8_t *cls,
              sim_comp_t *rng);
/* min_adapt: the output VCs a head at router r may take towards `dest`
 * (bit p * vcs + v): VCs 1.. of every minimal port, and VC 0 of the
 * dimension-order port (Duato's escape channel); only the latter when the
 * head arrived on the escape VC from another router (`escaped`): as
 * BookSim2's min_adapt_mesh, a packet that took the escape VC stays in the
 * escape network. Ejection: every VC. */
uint64_t noc_route_adaptive(const noc_topo_t *t, uint32_t r, uint32_t dest, int escaped);
/* Neighbour across out-port p of router r (-1 at a mesh edge) and the
 * in-port it arrives on there. */
int noc_neighbor(const noc_topo_t *t, uint32_t r, int p, int *in_port);

/* ---- terminal state (read by the measurement loop between slices) ------------------ */
typedef struct noc_pkt {
    uint64_t created, injected, msg, tag, msg_bytes;
    uint32_t dest, pkt_idx, n_pkts;
    uint8_t size;
} noc_pkt_t;

typedef struct noc_term_stats {
    /* measured packets: created in [win_lo, win_hi) */
    uint64_t meas_created, meas_created_ctime; /* at the source */
    uint64_t meas_arrived, meas_arrived_ctime; /* at the destination */
    double lat_sum, net_lat_sum, hops_sum;     /* of arrived measured packets */
    uint32_t *lat;                             /* their latencies (p99) */
    size_t n_lat, cap_lat;
} noc_term_stats_t;

typedef struct noc_armed {
    uint64_t tag;
    uint32_t kind;
    int port, has_data;
    unsigned char data[SIM_PAYLOAD_BYTES];
} noc_armed_t;

typedef struct noc_term {
    uint32_t node, nodes;
    int vcs, buf;
    sim_chan_t *out, *in;
    int dev_out; /* named port "out" to a device, -1 */
    noc_topo_t topo;
    /* traffic */
    int pattern;
    double p_packet; /* packets per cycle */
    int n_sizes;
    int sizes[NOC_MAX_SIZES];
    uint32_t hotspot_node;
    double hotspot_fraction;
    uint64_t next_gen; /* cycle of the next synthetic packet */
    int gen_on;        /* synthetic generation enabled (stopped to drain) */
    /* source queue (unbounded ring) */
    noc_pkt_t *q;
    size_t q_head, q_n, q_cap;
    int cur_vc; /* VC of the packet being injected, -1 */
    int cur_flit;
    int last_vc;
    int16_t credits[64];
    uint8_t vc_busy[64], vc_tail_sent[64];
    int wait_tail;
    /* NI requests not yet cut into packets */
    noc_send_t *req;
    size_t n_req, cap_req;
    uint64_t next_msg;
    int flit_bytes, packet_flits;
    /* reassembly: (src, msg) -> packets arrived */
    uint64_t *rs_key;
    uint32_t *rs_count;
    size_t rs_cap, rs_n;
    /* sink checks */
    uint64_t sink_pkt[64];
    uint8_t sink_next[64];
    /* counters */
    uint64_t flits_injected, flits_ejected, packets_created, packets_ejected;
    /* every flit created here and ejected here, and the sums of their
     * creation cycles: the ages of all flits in flight (BookSim2's drain check) */
    uint64_t flits_created, flits_created_ctime, flits_ejected_ctime;
    uint64_t win_lo, win_hi;
    noc_term_stats_t st;
    uint64_t delivered_msgs;
    struct noc_armed *armed; /* parked messages released by a delivery (NOC_MSG_ARM) */
    size_t n_armed, cap_armed;
    int h_inj, h_ej, h_lat, h_msg_sent, h_msg_delivered;
    int op_pkt;
} noc_term_t;

/* ---- router state (inspected by tests) ------------------------------------------------ */
typedef struct noc_ivc {
    uint16_t head, n;
    uint8_t active;
    uint8_t out_port, out_vc;
    uint8_t vlo, vhi; /* VC range of the front head's output (VA) */
    uint64_t ready;   /* idle: first VA cycle; active: first SA cycle */
} noc_ivc_t;

typedef struct noc_ovc {
    int16_t credits;
    int16_t owner; /* input VC (p * V + v) holding it, -1 free */
    uint8_t tail_sent;
} noc_ovc_t;

typedef struct noc_router {
    uint32_t id;
    int P, V, B, S;
    noc_topo_t topo;
    int wait_tail, credit_delay, routing_delay, vc_alloc_delay, speculative, hold;
    sim_chan_t *in[64], *out[64];
    noc_ivc_t *ivc;
    noc_ovc_t *ovc;
    noc_flit_t *buf;               /* P * V * B */
    uint64_t busy;                 /* input VCs holding flits */
    uint64_t active;               /* input VCs holding an output VC */
    uint8_t x_port[64], x_par[64]; /* crossbar input -> port, VC parity */
    uint64_t par_mask[64];         /* VCs of each parity (v mod speedup) */
    uint64_t ovc_free;
    noc_alloc_t va, sa;
    uint8_t sw_ptr[64];
    int8_t hold_vc[64];    /* crossbar input -> held input VC (hold_switch_for_packet) */
    int8_t chosen[64][64]; /* switch allocation: VC picked per (crossbar input, output) */
    uint64_t flits_routed, va_grants, sa_grants, sa_wasted, cycles_active;
    uint64_t link_flits; /* flits sent to another router */
    uint64_t link_ports; /* output ports that lead to another router */
    double pj_router_flit, pj_link_flit;
    int h_flits, h_active, h_e_router, h_e_link;
} noc_router_t;

/* Energy parameters of routers and terminals (the network's description). */
#define NOC_ENERGY_PARAMS                                                                          \
    {"flit_bytes",                                                                                 \
     SIM_P_INT,                                                                                    \
     "16",                                                                                         \
     "B",                                                                                          \
     1,                                                                                            \
     1048576,                                                                                      \
     NULL,                                                                                         \
     "bytes per flit",                                                                             \
     "128-bit flits as the Intel SCC mesh (Howard et al., ISSCC 2010)"},                           \
        {"router_pj_per_bit",                                                                      \
         SIM_P_REAL,                                                                               \
         "0.43",                                                                                   \
         "pJ/bit",                                                                                 \
         0,                                                                                        \
         1e6,                                                                                      \
         NULL,                                                                                     \
         "energy of one bit through one router (buffers, allocation, crossbar, clock)",            \
         "Intel SCC router: 550 mW at 1.28 Tb/s (5 ports x 16 B x 2 GHz), 1.1 V, 45 nm "           \
         "(Salihundam et al., JSSC 2011)"},                                                        \
        {"link_pj_per_bit_mm",                                                                     \
         SIM_P_REAL,                                                                               \
         "0.1",                                                                                    \
         "pJ/bit/mm",                                                                              \
         0,                                                                                        \
         1e6,                                                                                      \
         NULL,                                                                                     \
         "router-to-router link energy per bit and mm",                                            \
         "Borkar and Chien, The Future of Microprocessors, CACM 2011, fig. 11 (45 nm)"},           \
    {                                                                                              \
        "link_mm", SIM_P_REAL, "1", "mm", 0, 1000, NULL, "router-to-router link length",           \
            "design parameter (the tile pitch)"                                                    \
    }

extern const sim_model_t noc_iq_router_model;
extern const sim_model_t noc_terminal_model;

/* traffic patterns */
enum {
    NOC_TR_NONE,
    NOC_TR_UNIFORM,
    NOC_TR_TRANSPOSE,
    NOC_TR_BITCOMP,
    NOC_TR_BITREV,
    NOC_TR_SHUFFLE,
    NOC_TR_TORNADO,
    NOC_TR_NEIGHBOR,
    NOC_TR_HOTSPOT,
};
int noc_traffic_kind(const char *name);
void noc_register_config(void);
/* Destination of a packet from `src` (u, u2: uniform draws in (0, 1)). */
uint32_t noc_traffic_dest(int pattern, const noc_topo_t *t, uint32_t src, double u, double u2,
                          uint32_t hotspot, double hotspot_fraction);
/* The output port `name` of a packet-level model (packet.c, pi2.c), or the
 * error of sim_comp_fail("port 'NAME'WHAT has no link") when it has no link;
 * `what` ("" or e.g. " (to a noc_terminal)") tells where it should lead. */
int noc_out_port(sim_comp_t *c, const char *name, const char *what);

#endif
