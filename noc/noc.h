/* prism's network models: the one public header of noc/. For now a
 * packet-level traffic generator, an output-queued switch and a sink, used by
 * the demo and the engine tests; the cycle-level virtual-channel router
 * comes next (see README "Roadmap"). */
#ifndef PRISM_NOC_H
#define PRISM_NOC_H

#include "sim/sim.h"

/* Message kind of a packet on a noc link; payload u64: [0] destination
 * output index, [1] creation time ps, [2] packet id, [3] source component, [4] packet bytes. */
enum { NOC_MSG_PACKET = 1 };

void noc_register_all(void);

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

void noc_pi2_register(void); /* pi2_source, pi2_drop, pi2_delay, pi2_firstk, pi2_shaper, pi2_encoder */

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
    double offset, scale;       /* c = 3, s = 10 */
    double ps_per_unit;         /* time of one value unit */
    sim_time_t resolution_ps;   /* delay step; ps_per_unit and c * ps_per_unit are multiples */
    sim_time_t link_ps;         /* latency of every link */
    double drop;                /* probability a value's two rails are lost, per layer */
    double packet_jitter;       /* sigma per replica, value units */
    double output_jitter;       /* sigma on every y, value units */
    int packet_bytes;
    /* energy (noc_pi2_fabric_defaults cites the defaults) */
    double link_pj_per_bit;      /* every hop, per bit */
    double buffer_pj_per_bit;    /* delay buffer write + read, per bit into pi2_delay */
    double select_pj_per_packet; /* pi2_firstk, per packet seen */
    double shaper_pj_per_credit; /* pi2_shaper, per credit */
    double encode_pj_per_output; /* pi2_encoder, per y computed */
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
