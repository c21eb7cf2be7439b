/* Network descriptions: parameters (prism and BookSim2 names, defaults from
 * BookSim2's mesh88_lat example and iq router, NOC-REFERENCE.md), checks,
 * k-ary n-cube topologies with dimension-order routing (dateline VC
 * classes on the torus), traffic patterns, the zero-load closed form, and
 * the builder that expands a description into routers, terminals and
 * clocked channels linked by component id. */
#include "noc/noc_int.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parameters ---------------------------------------------------------------------- */
enum { PT_INT, PT_REAL, PT_STR, PT_BOOL, PT_SIZES, PT_U64 };
typedef struct pdef {
    const char *name, *booksim;
    int type;
    size_t off, len;
    const char *def, *doc;
    double min, max;
} pdef_t;

#define F(field) offsetof(noc_cfg_t, field)
#define S(field) sizeof(((noc_cfg_t *)0)->field)
static const pdef_t pdefs[] = {
    {"topology", "topology", PT_STR, F(topology), S(topology), "mesh",
     "mesh | torus | fbfly | fattree", 0, 0},
    {"k", "k", PT_INT, F(k), 0, "8", "routers per dimension", 2, 256},
    {"n", "n", PT_INT, F(n), 0, "2", "dimensions", 1, 4},
    {"concentration", "c", PT_INT, F(concentration), 0, "1", "terminals per router", 1, 16},
    {"channel_latency", "channel latency (1 in KNCube)", PT_INT, F(channel_latency), 0, "1",
     "cycles on every channel (flits and credits, injection and ejection)", 1, 1000},
    {"use_noc_latency", "use_noc_latency", PT_BOOL, F(use_noc_latency), 0, "0",
     "1: router-router links take BookSim2's length-based latency (mesh 1, torus 2, flattened "
     "butterfly sqrt(c) x hop distance; KNCube and FlatFlyOnChip), injection and ejection "
     "channel_latency; 0: channel_latency everywhere",
     0, 1},
    {"clock", "(none)", PT_REAL, F(clock_hz), 0, "1e9", "network clock in Hz", 1e3, 1e12},
    {"routing", "routing_function", PT_STR, F(routing), S(routing), "dor",
     "dor: dimension order, x first (dim_order; dateline VCs on the torus); min_adapt: "
     "minimal adaptive on the mesh, VC 0 the DOR escape channel",
     0, 0},
    {"num_vcs", "num_vcs", PT_INT, F(num_vcs), 0, "8", "virtual channels per port", 1, 64},
    {"vc_buf_size", "vc_buf_size", PT_INT, F(vc_buf_size), 0, "8", "flit buffers per VC", 1, 4096},
    {"wait_for_tail_credit", "wait_for_tail_credit", PT_BOOL, F(wait_for_tail_credit), 0, "1",
     "an output VC is reallocated only after the tail's credit came back", 0, 1},
    {"vc_allocator", "vc_allocator", PT_STR, F(vc_allocator), S(vc_allocator), "islip",
     "islip | separable_input_first | separable_output_first", 0, 0},
    {"sw_allocator", "sw_allocator", PT_STR, F(sw_allocator), S(sw_allocator), "islip",
     "islip | separable_input_first | separable_output_first", 0, 0},
    {"alloc_iters", "alloc_iters", PT_INT, F(alloc_iters), 0, "1", "iSLIP iterations", 1, 16},
    {"credit_delay", "credit_delay", PT_INT, F(credit_delay), 0, "2",
     "cycles between a credit's arrival and its use", 0, 1000},
    {"routing_delay", "routing_delay", PT_INT, F(routing_delay), 0, "0",
     "cycles of route computation (0: lookahead)", 0, 1000},
    {"vc_alloc_delay", "vc_alloc_delay", PT_INT, F(vc_alloc_delay), 0, "1",
     "cycles from VC allocation to switch allocation", 1, 1000},
    {"sw_alloc_delay", "sw_alloc_delay", PT_INT, F(sw_alloc_delay), 0, "1",
     "cycles of switch allocation", 1, 1000},
    {"st_final_delay", "st_final_delay", PT_INT, F(st_final_delay), 0, "1",
     "cycles of crossbar traversal", 1, 1000},
    {"input_speedup", "input_speedup", PT_INT, F(input_speedup), 0, "2",
     "crossbar inputs per input port (VC v uses input v mod speedup)", 1, 64},
    {"output_speedup", "output_speedup", PT_INT, F(output_speedup), 0, "1",
     "crossbar outputs per output port (only 1 is modelled)", 1, 1},
    {"speculative", "speculative", PT_INT, F(speculative), 0, "0",
     "1: BookSim2's speculative switch allocation (heads bid in their VC-allocation cycle below "
     "non-speculative bids; a grant is wasted when VC allocation fails); 2: prism's earlier "
     "variant (a second pass for heads that just won a VC, never wasting a grant); 0: off",
     0, 2},
    {"hold_switch_for_packet", "hold_switch_for_packet", PT_BOOL, F(hold_switch_for_packet), 0, "0",
     "a packet keeps its crossbar input and output until its tail", 0, 1},
    {"flit_bytes", "(none)", PT_INT, F(flit_bytes), 0, "16",
     "bytes per flit for the network interface", 1, 1 << 20},
    {"packet_flits", "(none)", PT_INT, F(packet_flits), 0, "4",
     "largest packet the network interface makes, in flits", 1, 255},
    {"router_pj_per_bit", "(none)", PT_REAL, F(router_pj_per_bit), 0, "0.43",
     "energy of one bit through one router (buffers, allocation, crossbar, clock): the Intel "
     "SCC router, 550 mW at 1.28 Tb/s (5 ports x 16 B x 2 GHz), 1.1 V, 45 nm (Salihundam et "
     "al., A 2 Tb/s 6x4 Mesh Network for a Single-Chip Cloud Computer, JSSC 2011)",
     0, 1e6},
    {"link_pj_per_bit_mm", "(none)", PT_REAL, F(link_pj_per_bit_mm), 0, "0.1",
     "router-to-router link energy per bit and mm (Borkar and Chien, The Future of "
     "Microprocessors, CACM 2011, fig. 11: 45 nm on-die interconnect)",
     0, 1e6},
    {"link_mm", "(none)", PT_REAL, F(link_mm), 0, "1",
     "length of a router-to-router link, mm (the tile pitch: design parameter)", 0, 1000},
    {"traffic", "traffic", PT_STR, F(traffic), S(traffic), "uniform",
     "uniform transpose bitcomp bitrev shuffle tornado neighbor hotspot none", 0, 0},
    {"rate", "injection_rate", PT_REAL, F(rate), 0, "0.1",
     "offered load, flits/node/cycle (Bernoulli; injection_rate_uses_flits=1)", 0, 1},
    {"packet_size", "packet_size", PT_SIZES, F(sizes), 0, "1",
     "flits per packet; a list (1,4) picks each size with equal probability", 1, 255},
    {"hotspot_node", "(hotspot)", PT_INT, F(hotspot_node), 0, "0", "hotspot destination", 0, 1e9},
    {"hotspot_fraction", "(hotspot)", PT_REAL, F(hotspot_fraction), 0, "0.2",
     "share of packets sent to the hotspot (the rest uniform)", 0, 1},
    {"seed", "seed", PT_U64, F(seed), 0, "1", "random seed", 0, 1.8e19},
    {"sample_period", "sample_period", PT_INT, F(sample_period), 0, "1000",
     "cycles per measurement period", 1, 1e9},
    {"warmup_periods", "warmup_periods", PT_INT, F(warmup_periods), 0, "3", "warm-up periods", 0,
     1e6},
    {"max_samples", "max_samples", PT_INT, F(max_samples), 0, "10",
     "periods in all, warm-up included", 1, 1e6},
    {"latency_thres", "latency_thres", PT_REAL, F(latency_thres), 0, "500",
     "mean latency (cycles) above which the run is unstable (saturated)", 1, 1e12},
    {"warmup_threshold", "warmup_threshold", PT_REAL, F(warmup_threshold), 0, "0.05",
     "relative change below which a period counts as converged", 0, 1},
    {"max_cycles", "(none)", PT_U64, F(max_cycles), 0, "0",
     "0: BookSim's measurement; else run exactly this many cycles (at most 1e8: about an hour "
     "of CPU for a 16x16 mesh at 0.1)",
     0, NOC_MAX_RUN_CYCLES},
};
#undef F
#undef S
#define N_PDEFS (sizeof pdefs / sizeof pdefs[0])

static noc_param_info_t pinfo[N_PDEFS];

const noc_param_info_t *noc_param_table(size_t *n)
{
    for (size_t i = 0; i < N_PDEFS; i++)
        pinfo[i] = (noc_param_info_t){pdefs[i].name, pdefs[i].booksim, pdefs[i].def, pdefs[i].doc};
    *n = N_PDEFS;
    return pinfo;
}

static const pdef_t *pdef_find(const char *name)
{
    for (size_t i = 0; i < N_PDEFS; i++)
        if (!strcmp(pdefs[i].name, name) || !strcmp(pdefs[i].booksim, name))
            return &pdefs[i];
    if (!strcmp(name, "routing_function"))
        return pdef_find("routing");
    if (!strcmp(name, "injection_rate"))
        return pdef_find("rate");
    if (!strcmp(name, "c"))
        return pdef_find("concentration");
    return NULL;
}

const char *noc_param_name(const char *name)
{
    if (!strncmp(name, "link_latency.", 13))
        return NULL;
    const pdef_t *d = pdef_find(name);
    return d ? d->name : NULL;
}

/* `link_latency.R.P` = CYCLES: the channel leaving router R on network port
 * P (checked against the topology by noc_cfg_check) */
static int set_link_latency(noc_cfg_t *c, const char *name, const char *value, char *err,
                            size_t errlen)
{
    char *end;
    const char *s = name + strlen("link_latency.");
    unsigned long router = strtoul(s, &end, 10);
    unsigned long port = 0;
    int ok = end != s && *end == '.' && *s != '-' && *s != '+';
    if (ok) {
        s = end + 1;
        port = strtoul(s, &end, 10);
        ok = end != s && !*end && *s != '-' && *s != '+' && router < (1ul << 24) && port < 64;
    }
    if (!ok) {
        snprintf(err, errlen, "%s: expected link_latency.ROUTER.PORT (numbers)", name);
        return -1;
    }
    long cycles = strtol(value, &end, 10);
    if (end == value || *end || cycles < 1 || cycles > 1000) {
        snprintf(err, errlen, "%s: '%s' is not an integer in [1, 1000]", name, value);
        return -1;
    }
    for (int i = 0; i < c->n_link_lat; i++)
        if (c->link_lat[i].router == router && c->link_lat[i].port == port) {
            c->link_lat[i].cycles = (uint16_t)cycles;
            return 0;
        }
    if (c->n_link_lat == NOC_MAX_LINK_LAT) {
        snprintf(err, errlen, "%s: more than %d explicit link latencies", name, NOC_MAX_LINK_LAT);
        return -1;
    }
    c->link_lat[c->n_link_lat++] =
        (struct noc_link_lat){(uint32_t)router, (uint16_t)port, (uint16_t)cycles};
    return 0;
}

int noc_cfg_set(noc_cfg_t *c, const char *name, const char *value, char *err, size_t errlen)
{
    if (!strncmp(name, "link_latency.", 13))
        return set_link_latency(c, name, value, err, errlen);
    const pdef_t *d = pdef_find(name);
    if (!d) {
        snprintf(err, errlen, "unknown network parameter '%s' (see prism noc --help)", name);
        return -1;
    }
    char *end = NULL;
    char *p = (char *)c + d->off;
    switch (d->type) {
    case PT_STR:
        if (strlen(value) >= d->len || !*value) {
            snprintf(err, errlen, "%s: '%s' is not a valid value", d->name, value);
            return -1;
        }
        snprintf(p, d->len, "%s", value);
        return 0;
    case PT_BOOL: {
        int v = !strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes");
        if (!v && strcmp(value, "0") && strcmp(value, "false") && strcmp(value, "no")) {
            snprintf(err, errlen, "%s: '%s' is not 0/1/true/false", d->name, value);
            return -1;
        }
        *(int *)p = v;
        return 0;
    }
    case PT_INT: {
        long long v = strtoll(value, &end, 10);
        if (end == value || *end || v < (long long)d->min || v > (long long)d->max) {
            snprintf(err, errlen, "%s: '%s' is not an integer in [%g, %g]", d->name, value, d->min,
                     d->max);
            return -1;
        }
        *(int *)p = (int)v;
        return 0;
    }
    case PT_U64: {
        if (*value == '-') {
            snprintf(err, errlen, "%s: '%s' must not be negative", d->name, value);
            return -1;
        }
        unsigned long long v = strtoull(value, &end, 10);
        if (end == value || *end || (double)v > d->max) {
            snprintf(err, errlen, "%s: '%s' is not an integer in [0, %.17g]", d->name, value,
                     d->max);
            return -1;
        }
        *(uint64_t *)p = v;
        return 0;
    }
    case PT_REAL: {
        double v = strtod(value, &end);
        if (end == value || *end || !(v >= d->min && v <= d->max)) {
            snprintf(err, errlen, "%s: '%s' is outside [%g, %g]", d->name, value, d->min, d->max);
            return -1;
        }
        *(double *)p = v;
        return 0;
    }
    case PT_SIZES: {
        int n = 0;
        const char *s = value;
        while (*s) {
            long v = strtol(s, &end, 10);
            if (end == s || v < 1 || v > 255 || n == NOC_MAX_SIZES) {
                snprintf(err, errlen,
                         "%s: '%s' must be up to %d sizes in [1, 255] flits, comma separated",
                         d->name, value, NOC_MAX_SIZES);
                return -1;
            }
            c->sizes[n++] = (int)v;
            s = end;
            if (*s == ',')
                s++;
            else if (*s) {
                snprintf(err, errlen, "%s: '%s' must be sizes separated by commas", d->name, value);
                return -1;
            }
        }
        if (!n) {
            snprintf(err, errlen, "%s: empty", d->name);
            return -1;
        }
        c->n_sizes = n;
        return 0;
    }
    }
    return -1;
}

void noc_cfg_default(noc_cfg_t *c)
{
    memset(c, 0, sizeof *c);
    char err[256];
    for (size_t i = 0; i < N_PDEFS; i++)
        noc_cfg_set(c, pdefs[i].name, pdefs[i].def, err, sizeof err);
}

static int is_pow2(uint32_t x)
{
    return x && !(x & (x - 1));
}

static int is_fattree(const noc_cfg_t *c)
{
    return !strcmp(c->topology, "fattree");
}

uint32_t noc_routers(const noc_cfg_t *c)
{
    uint64_t r = 1;
    int dims = is_fattree(c) ? c->n - 1 : c->n;
    for (int i = 0; i < dims && r <= (1u << 24); i++)
        r *= (uint64_t)c->k;
    if (is_fattree(c))
        r *= (uint64_t)c->n; /* n levels of k^(n-1) routers */
    return r > (1u << 24) ? (1u << 24) : (uint32_t)r;
}

uint32_t noc_nodes(const noc_cfg_t *c)
{
    if (is_fattree(c)) /* k terminals on each of the k^(n-1) leaf routers */
        return noc_routers(c) / (uint32_t)c->n * (uint32_t)c->k;
    return noc_routers(c) * (uint32_t)c->concentration;
}

int noc_topo_from_cfg(const noc_cfg_t *c, noc_topo_t *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (!strcmp(c->topology, "mesh"))
        t->kind = NOC_TOPO_MESH;
    else if (!strcmp(c->topology, "torus"))
        t->kind = NOC_TOPO_TORUS;
    else if (!strcmp(c->topology, "fbfly"))
        t->kind = NOC_TOPO_FBFLY;
    else if (!strcmp(c->topology, "fattree"))
        t->kind = NOC_TOPO_FATTREE;
    else {
        snprintf(err, errlen,
                 "topology: unknown topology '%s' (known: mesh, torus, fbfly, fattree)",
                 c->topology);
        return -1;
    }
    t->k = c->k;
    t->n = c->n;
    t->c = c->concentration;
    /* mesh/torus: + and - per dimension; flattened butterfly: a port to each
     * of the k - 1 other routers of every dimension */
    t->net_ports = t->kind == NOC_TOPO_FBFLY ? (c->k - 1) * c->n : 2 * c->n;
    t->ports = t->net_ports + c->concentration;
    if (t->kind == NOC_TOPO_FATTREE) {
        /* k-ary n-tree: ports 0..k-1 up, k..2k-1 down; a leaf's down ports
         * are its k terminals */
        t->c = c->k;
        t->net_ports = c->k;
        t->ports = 2 * c->k;
        t->leaves = 1;
        for (int i = 0; i < c->n - 1; i++)
            t->leaves *= (uint32_t)c->k;
    }
    t->vcs = c->num_vcs;
    t->adaptive = !strcmp(c->routing, "min_adapt");
    return 0;
}

int noc_cfg_check(const noc_cfg_t *c, char *err, size_t errlen)
{
    noc_topo_t t;
    if (noc_topo_from_cfg(c, &t, err, errlen))
        return -1;
    if (c->k < 2) {
        snprintf(err, errlen, "k: %d routers per dimension; k must be >= 2", c->k);
        return -1;
    }
    if (c->n < 1 || c->n > 4) {
        snprintf(err, errlen, "n: %d dimensions; n must be in [1, 4]", c->n);
        return -1;
    }
    double routers = pow((double)c->k, (double)c->n);
    if (routers * c->concentration > 65536) {
        snprintf(err, errlen, "k^n x concentration = %.0f terminals; at most 65536",
                 routers * c->concentration);
        return -1;
    }
    if (c->num_vcs < 1 || c->vc_buf_size < 1) {
        snprintf(err, errlen, "%s: zero buffers; num_vcs and vc_buf_size must be >= 1",
                 c->num_vcs < 1 ? "num_vcs" : "vc_buf_size");
        return -1;
    }
    if (t.ports * c->num_vcs > 64) {
        snprintf(err, errlen,
                 "num_vcs: %d ports x %d VCs = %d input VCs; the router allocates at most 64",
                 t.ports, c->num_vcs, t.ports * c->num_vcs);
        return -1;
    }
    if (c->input_speedup < 1 || t.ports * c->input_speedup > 64 || c->input_speedup > c->num_vcs) {
        snprintf(err, errlen,
                 "input_speedup: %d must be in [1, num_vcs] with ports x speedup <= 64",
                 c->input_speedup);
        return -1;
    }
    if (c->output_speedup != 1) {
        snprintf(err, errlen, "output_speedup: only 1 is modelled (got %d)", c->output_speedup);
        return -1;
    }
    if (noc_alloc_kind(c->vc_allocator) < 0 || noc_alloc_kind(c->sw_allocator) < 0) {
        snprintf(err, errlen,
                 "%s: unknown allocator '%s' (known: islip, separable_input_first, "
                 "separable_output_first)",
                 noc_alloc_kind(c->vc_allocator) < 0 ? "vc_allocator" : "sw_allocator",
                 noc_alloc_kind(c->vc_allocator) < 0 ? c->vc_allocator : c->sw_allocator);
        return -1;
    }
    if (strcmp(c->routing, "dor") && strcmp(c->routing, "dim_order") &&
        strcmp(c->routing, "dim_order_mesh") && strcmp(c->routing, "dim_order_torus") &&
        strcmp(c->routing, "min_adapt") &&
        !(t.kind == NOC_TOPO_FATTREE && !strcmp(c->routing, "nca"))) {
        snprintf(err, errlen, "routing: '%s' does not fit topology '%s' (it supports: %s)",
                 c->routing, c->topology,
                 t.kind == NOC_TOPO_MESH      ? "dor, min_adapt"
                 : t.kind == NOC_TOPO_FATTREE ? "nca (dor names it too)"
                                              : "dor");
        return -1;
    }
    if (!strcmp(c->routing, "min_adapt") && (t.kind != NOC_TOPO_MESH || c->num_vcs < 2)) {
        snprintf(err, errlen,
                 "routing: 'min_adapt' needs a mesh and >= 2 VCs (VC 0 is the escape channel); "
                 "it does not fit topology '%s' with %d VCs",
                 c->topology, c->num_vcs);
        return -1;
    }
    if ((!strcmp(c->routing, "dim_order_torus") && t.kind != NOC_TOPO_TORUS) ||
        (!strcmp(c->routing, "dim_order_mesh") && t.kind != NOC_TOPO_MESH)) {
        snprintf(err, errlen, "routing: '%s' does not fit topology '%s'", c->routing, c->topology);
        return -1;
    }
    if (c->use_noc_latency && t.kind == NOC_TOPO_FBFLY) {
        int side = (int)lround(sqrt((double)c->concentration));
        if (side * side != c->concentration || c->n != 2) {
            snprintf(err, errlen,
                     "use_noc_latency: BookSim2's flattened-butterfly lengths need n = 2 and a "
                     "square concentration (have n = %d, c = %d)",
                     c->n, c->concentration);
            return -1;
        }
    }
    if (c->use_noc_latency && t.kind == NOC_TOPO_FATTREE) {
        snprintf(err, errlen, "use_noc_latency: no length rule for the fat tree (BookSim2 has none)");
        return -1;
    }
    for (int i = 0; i < c->n_link_lat; i++) {
        int in = 0;
        if (c->link_lat[i].router >= noc_routers(c) ||
            c->link_lat[i].port >= (t.kind == NOC_TOPO_FATTREE ? t.ports : t.net_ports) ||
            noc_neighbor(&t, c->link_lat[i].router, c->link_lat[i].port, &in) < 0) {
            snprintf(err, errlen,
                     "link_latency.%u.%u: router %u has no link on port %u in this network",
                     c->link_lat[i].router, c->link_lat[i].port, c->link_lat[i].router,
                     c->link_lat[i].port);
            return -1;
        }
    }
    if (t.kind == NOC_TOPO_FATTREE && c->n < 2) {
        snprintf(err, errlen, "n: a fat tree needs n >= 2 levels");
        return -1;
    }
    if (t.kind == NOC_TOPO_TORUS && c->num_vcs < 2) {
        snprintf(err, errlen, "num_vcs: the torus needs >= 2 VCs (two dateline classes)");
        return -1;
    }
    if (!(c->rate >= 0 && c->rate <= 1)) {
        snprintf(err, errlen, "rate: %g flits/node/cycle is outside [0, 1]", c->rate);
        return -1;
    }
    int tk = noc_traffic_kind(c->traffic);
    if (tk < 0) {
        snprintf(err, errlen,
                 "traffic: unknown pattern '%s' (known: uniform, transpose, bitcomp, bitrev, "
                 "shuffle, tornado, neighbor, hotspot, none)",
                 c->traffic);
        return -1;
    }
    uint32_t nodes = noc_nodes(c);
    if ((tk == NOC_TR_BITCOMP || tk == NOC_TR_BITREV || tk == NOC_TR_SHUFFLE) && !is_pow2(nodes)) {
        snprintf(err, errlen, "traffic: '%s' needs a power-of-two node count (have %u)", c->traffic,
                 nodes);
        return -1;
    }
    if (tk == NOC_TR_TRANSPOSE && (c->n != 2 || c->concentration != 1)) {
        snprintf(err, errlen, "traffic: 'transpose' needs a 2-D network with concentration 1");
        return -1;
    }
    if (tk == NOC_TR_HOTSPOT && (uint32_t)c->hotspot_node >= nodes) {
        snprintf(err, errlen, "hotspot_node: %d is not a node (0..%u)", c->hotspot_node, nodes - 1);
        return -1;
    }
    if (c->n_sizes < 1) {
        snprintf(err, errlen, "packet_size: no sizes");
        return -1;
    }
    if (!c->max_cycles &&
        (double)c->sample_period * (double)c->max_samples > (double)NOC_MAX_RUN_CYCLES) {
        snprintf(err, errlen,
                 "sample_period x max_samples: %d x %d cycles; at most %.0f (a run of hours)",
                 c->sample_period, c->max_samples, (double)NOC_MAX_RUN_CYCLES);
        return -1;
    }
    if (c->warmup_periods >= c->max_samples && !c->max_cycles) {
        snprintf(err, errlen, "warmup_periods (%d) must be below max_samples (%d)",
                 c->warmup_periods, c->max_samples);
        return -1;
    }
    return 0;
}

/* ---- topology and routing ---------------------------------------------------------------- */
static inline int digit(uint32_t r, int d, int k)
{
    for (int i = 0; i < d; i++)
        r /= (uint32_t)k;
    return (int)(r % (uint32_t)k);
}

static inline uint32_t pow_k(int k, int d)
{
    uint32_t p = 1;
    for (int i = 0; i < d; i++)
        p *= (uint32_t)k;
    return p;
}

/* r with its base-k digit d set to v: the router one hop along dimension d */
static inline uint32_t with_digit(uint32_t r, int d, int k, int v)
{
    return r + ((uint32_t)v - (uint32_t)digit(r, d, k)) * pow_k(k, d);
}

int noc_neighbor(const noc_topo_t *t, uint32_t r, int p, int *in_port)
{
    if (t->kind == NOC_TOPO_FATTREE) {
        /* level l, position w (n - 1 digits): up port j joins level l + 1 at
         * w with digit l set to j (arriving on down port w_l); down port
         * k + i joins level l - 1 at w with digit l - 1 set to i */
        uint32_t level = r / t->leaves, w = r % t->leaves;
        if (p < t->k) {
            if ((int)level == t->n - 1)
                return -1;
            *in_port = t->k + digit(w, (int)level, t->k);
            return (int)((level + 1) * t->leaves + with_digit(w, (int)level, t->k, p));
        }
        if (level == 0)
            return -1;
        int d = (int)level - 1;
        *in_port = digit(w, d, t->k);
        return (int)((level - 1) * t->leaves + with_digit(w, d, t->k, p - t->k));
    }
    if (p >= t->net_ports)
        return -1;
    if (t->kind == NOC_TOPO_FBFLY) {
        int d = p / (t->k - 1), j = p % (t->k - 1);
        int x = digit(r, d, t->k), y = j < x ? j : j + 1;
        *in_port = d * (t->k - 1) + (x < y ? x : x - 1);
        return (int)with_digit(r, d, t->k, y);
    }
    int d = p / 2, plus = (p % 2) == 0;
    int x = digit(r, d, t->k);
    int nx = plus ? x + 1 : x - 1;
    if (nx < 0 || nx >= t->k) {
        if (t->kind != NOC_TOPO_TORUS)
            return -1;
        nx = (nx + t->k) % t->k;
    }
    /* a flit sent in the + direction enters the neighbour from its - side */
    *in_port = plus ? 2 * d + 1 : 2 * d;
    return (int)with_digit(r, d, t->k, nx);
}

int noc_route(const noc_topo_t *t, uint32_t r, uint32_t dest, int in_port, uint8_t *cls,
              sim_comp_t *rng)
{
    uint32_t dr = dest / (uint32_t)t->c;
    if (t->kind == NOC_TOPO_FATTREE) {
        /* nearest common ancestor: up (port = the destination leaf's digit
         * of this level, spreading destinations over the roots) until the
         * subtree holds the destination, then down; up*-down* is
         * deadlock-free */
        uint32_t level = r / t->leaves, w = r % t->leaves;
        *cls = 0;
        int below = 1;
        for (int m = (int)level; m < t->n - 1; m++)
            if (digit(w, m, t->k) != digit(dr, m, t->k))
                below = 0;
        if (!below)
            return digit(dr, (int)level, t->k);
        if (level == 0)
            return t->k + (int)(dest % (uint32_t)t->k);
        return t->k + digit(dr, (int)level - 1, t->k);
    }
    for (int d = 0; d < t->n; d++) {
        int x = digit(r, d, t->k), dx = digit(dr, d, t->k);
        if (x == dx)
            continue;
        if (t->kind == NOC_TOPO_FBFLY) {
            /* one hop straight to the destination's coordinate */
            *cls = 0;
            return d * (t->k - 1) + (dx < x ? dx : dx - 1);
        }
        int plus;
        if (t->kind == NOC_TOPO_TORUS) {
            if (in_port >= 0 && in_port < t->net_ports && in_port / 2 == d)
                return in_port ^ 1; /* on in the same direction, class kept */
            /* entering dimension d (BookSim2's dor_next_torus): the shorter
             * way round, a tie at distance k/2 broken at random per packet;
             * the dateline class is fixed here for the whole dimension:
             * class 1 when the current coordinate is above the
             * destination's (in either direction) */
            int twice = t->k - 2 * ((dx - x + t->k) % t->k);
            plus = twice > 0 || (twice == 0 && (rng ? (int)(sim_rng_u64(rng) & 1) : 1));
            *cls = x > dx;
        } else {
            plus = dx > x;
            *cls = 0;
        }
        return 2 * d + (plus ? 0 : 1);
    }
    *cls = 0;
    return t->net_ports + (int)(dest % (uint32_t)t->c);
}

uint64_t noc_route_adaptive(const noc_topo_t *t, uint32_t r, uint32_t dest, int escaped)
{
    uint8_t cls = 0;
    int dor = noc_route(t, r, dest, -1, &cls, NULL);
    uint64_t all = t->vcs == 64 ? ~0ull : (1ull << t->vcs) - 1;
    if (dor >= t->net_ports)
        return all << (dor * t->vcs); /* ejection: any VC */
    uint64_t mask = 1ull << (dor * t->vcs);
    if (escaped)
        return mask; /* once in the escape network, always in it */
    uint32_t dr = dest / (uint32_t)t->c;
    for (int d = 0; d < t->n; d++) {
        int x = digit(r, d, t->k), dx = digit(dr, d, t->k);
        if (x != dx) {
            int p = 2 * d + (dx > x ? 0 : 1);
            mask |= (all & ~1ull) << (p * t->vcs);
        }
    }
    return mask;
}

int noc_route_hops(const noc_cfg_t *c, uint32_t src, uint32_t dst)
{
    return noc_route_links(c, src, dst, NULL, 0);
}

int noc_route_links(const noc_cfg_t *c, uint32_t src, uint32_t dst, uint32_t *links, int max)
{
    noc_topo_t t;
    char err[64];
    if (noc_topo_from_cfg(c, &t, err, sizeof err))
        return -1;
    uint32_t r = src / (uint32_t)t.c;
    int hops = 0, in = t.net_ports;
    uint8_t cls = 0;
    for (;;) {
        int p = noc_route(&t, r, dst, in, &cls, NULL);
        if (hops < max)
            links[hops] = r * (uint32_t)t.ports + (uint32_t)p;
        hops++;
        if (p >= t.net_ports && (t.kind != NOC_TOPO_FATTREE || r < t.leaves))
            return hops;
        int nr = noc_neighbor(&t, r, p, &in);
        if (nr < 0 || hops > 4 * t.k * t.n)
            return -1;
        r = (uint32_t)nr;
    }
}

uint32_t noc_link_count(const noc_cfg_t *c)
{
    noc_topo_t t;
    char err[64];
    if (noc_topo_from_cfg(c, &t, err, sizeof err))
        return 0;
    return noc_routers(c) * (uint32_t)t.ports;
}

int noc_link_latency(const noc_cfg_t *c, uint32_t r, int p)
{
    for (int i = 0; i < c->n_link_lat; i++)
        if (c->link_lat[i].router == r && c->link_lat[i].port == p)
            return c->link_lat[i].cycles;
    noc_topo_t t;
    char err[64];
    if (!c->use_noc_latency || noc_topo_from_cfg(c, &t, err, sizeof err) || p >= t.net_ports)
        return c->channel_latency;
    switch (t.kind) {
    case NOC_TOPO_MESH:
        return 1;
    case NOC_TOPO_TORUS:
        return 2; /* folded: every link spans two tiles (KNCube) */
    case NOC_TOPO_FBFLY: {
        /* FlatFlyOnChip: xr x |dx| + yr x |dy| with xr = yr = sqrt(c) */
        int in = 0, nb = noc_neighbor(&t, r, p, &in), d = p / (t.k - 1);
        int dist = abs(digit(r, d, t.k) - digit((uint32_t)nb, d, t.k));
        return (int)lround(sqrt((double)t.c)) * dist;
    }
    default:
        return c->channel_latency;
    }
}

uint64_t noc_zero_load_latency(const noc_cfg_t *c, uint32_t src, uint32_t dst, int flits)
{
    /* source: written onto the injection channel at creation, in the router's
     * buffer channel_latency + 1 later; per router: routing, VC and switch
     * allocation, crossbar, link, written into the next buffer (or read by
     * the sink); body flits one cycle apart */
    uint64_t per_router =
        (uint64_t)(c->routing_delay + c->vc_alloc_delay + c->sw_alloc_delay + c->st_final_delay);
    uint32_t links[256];
    int r = noc_route_links(c, src, dst, links, 256);
    if (r < 1 || r > 256)
        return 0;
    noc_topo_t t;
    char err[64];
    noc_topo_from_cfg(c, &t, err, sizeof err);
    uint64_t lat = (uint64_t)(c->channel_latency + 1) + (uint64_t)r * per_router;
    for (int h = 0; h < r; h++) {
        uint32_t router = links[h] / (uint32_t)t.ports;
        int port = (int)(links[h] % (uint32_t)t.ports);
        lat += (uint64_t)(h == r - 1 ? c->channel_latency : noc_link_latency(c, router, port));
    }
    return lat + (uint64_t)(flits - 1);
}

int noc_message_cost(const noc_cfg_t *c, uint32_t src, uint32_t dst, uint64_t bytes,
                     noc_msg_cost_t *out)
{
    memset(out, 0, sizeof *out);
    uint32_t nodes = noc_nodes(c);
    if (src >= nodes || dst >= nodes || bytes == 0 || c->flit_bytes < 1 || c->packet_flits < 1)
        return -1;
    int r = noc_route_hops(c, src, dst);
    if (r < 1)
        return -1;
    out->flits = (bytes + (uint64_t)c->flit_bytes - 1) / (uint64_t)c->flit_bytes;
    out->packets = (out->flits + (uint64_t)c->packet_flits - 1) / (uint64_t)c->packet_flits;
    out->routers = r;
    out->cycles = noc_zero_load_latency(c, src, dst, 1) + out->flits - 1;
    double flit_bits = 8.0 * c->flit_bytes;
    out->energy_pj =
        (double)out->flits * flit_bits *
        ((double)r * c->router_pj_per_bit + (double)(r - 1) * c->link_mm * c->link_pj_per_bit_mm);
    return 0;
}

/* ---- traffic patterns ------------------------------------------------------------------ */
static const char *const traffic_names[] = {"none",    "uniform", "transpose", "bitcomp", "bitrev",
                                            "shuffle", "tornado", "neighbor",  "hotspot"};

int noc_traffic_kind(const char *name)
{
    for (int i = 0; i < (int)(sizeof traffic_names / sizeof *traffic_names); i++)
        if (!strcmp(name, traffic_names[i]))
            return i;
    if (!strcmp(name, "bit_complement"))
        return NOC_TR_BITCOMP;
    if (!strcmp(name, "bit_reverse") || !strcmp(name, "bitreverse"))
        return NOC_TR_BITREV;
    return -1;
}

uint32_t noc_traffic_dest(int pattern, const noc_topo_t *t, uint32_t src, double u, double u2,
                          uint32_t hotspot, double hotspot_fraction)
{
    int dims = t->kind == NOC_TOPO_FATTREE ? t->n - 1 : t->n; /* fat tree: leaf coordinates */
    uint32_t routers = pow_k(t->k, dims), nodes = routers * (uint32_t)t->c;
    int bits = 0;
    while ((1u << bits) < nodes)
        bits++;
    uint32_t mask = nodes - 1;
    switch (pattern) {
    case NOC_TR_UNIFORM: return (uint32_t)(u * nodes) % nodes; /* the source included (BookSim) */
    case NOC_TR_TRANSPOSE: {
        uint32_t x = src % (uint32_t)t->k, y = src / (uint32_t)t->k;
        return x * (uint32_t)t->k + y;
    }
    case NOC_TR_BITCOMP: return ~src & mask;
    case NOC_TR_BITREV: {
        uint32_t d = 0;
        for (int i = 0; i < bits; i++)
            if (src >> i & 1)
                d |= 1u << (bits - 1 - i);
        return d;
    }
    case NOC_TR_SHUFFLE: return bits ? (((src << 1) & mask) | (src >> (bits - 1))) : 0;
    case NOC_TR_TORNADO:
    case NOC_TR_NEIGHBOR: {
        /* per dimension: x + ceil(k/2) - 1 (tornado) or x + 1 (neighbor), mod k */
        uint32_t r = src / (uint32_t)t->c, d = 0;
        int shift = pattern == NOC_TR_TORNADO ? (t->k + 1) / 2 - 1 : 1;
        for (int i = 0; i < dims; i++) {
            int x = digit(r, i, t->k);
            d += (uint32_t)((x + shift) % t->k) * pow_k(t->k, i);
        }
        return d * (uint32_t)t->c + src % (uint32_t)t->c;
    }
    case NOC_TR_HOTSPOT:
        if (u2 < hotspot_fraction)
            return hotspot;
        return (uint32_t)(u * nodes) % nodes;
    default: return src;
    }
}

/* ---- building a network ------------------------------------------------------------------ */
typedef struct kv {
    char *v[128];
    char buf[64][48];
    int n, nb;
    char *const *attach;  /* terminals: the components at each node, or NULL */
    const char *link_txt; /* terminals: explicit link latencies "R.P=C;...", or NULL */
} kv_t;

static void kv_add(kv_t *kv, const char *k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void kv_add(kv_t *kv, const char *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(kv->buf[kv->nb], sizeof kv->buf[0], fmt, ap);
    va_end(ap);
    kv->v[kv->n++] = (char *)k;
    kv->v[kv->n++] = kv->buf[kv->nb++];
    kv->v[kv->n] = NULL;
}

static void sizes_text(const noc_cfg_t *c, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < c->n_sizes && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s%d", i ? "," : "", c->sizes[i]);
}

static void common_params(kv_t *kv, const noc_cfg_t *c)
{
    kv_add(kv, "topology", "%s", c->topology);
    kv_add(kv, "k", "%d", c->k);
    kv_add(kv, "n", "%d", c->n);
    kv_add(kv, "concentration", "%d", c->concentration);
    kv_add(kv, "num_vcs", "%d", c->num_vcs);
    kv_add(kv, "vc_buf_size", "%d", c->vc_buf_size);
    kv_add(kv, "wait_for_tail_credit", "%s", c->wait_for_tail_credit ? "true" : "false");
}

/* noc_build's failure: the engine's message in err, -1 */
static int build_fail(sim_t *s, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", sim_errmsg(s));
    return -1;
}

static char *link_lat_text(const noc_cfg_t *c)
{
    size_t cap = (size_t)c->n_link_lat * 32 + 1, len = 0;
    char *txt = malloc(cap);
    if (!txt)
        return NULL;
    txt[0] = '\0';
    for (int i = 0; i < c->n_link_lat; i++)
        len += (size_t)snprintf(txt + len, cap - len, "%s%u.%u=%u", i ? ";" : "",
                                c->link_lat[i].router, c->link_lat[i].port, c->link_lat[i].cycles);
    return txt;
}

/* `count` components "<prefix><letter><i>" of `model`, each with the
 * parameters `params` writes for it; the id of the first, or -1. */
static int add_units(sim_t *s, const noc_cfg_t *c, const char *prefix, char letter,
                     const char *model, const char *clk, uint32_t count,
                     void (*params)(kv_t *kv, const noc_cfg_t *c, uint32_t i, const char *sizes),
                     char *const *attach, const char *link_txt, char *err, size_t errlen)
{
    char sizes[128], name[96];
    sizes_text(c, sizes, sizeof sizes);
    int first = -1;
    for (uint32_t i = 0; i < count; i++) {
        kv_t kv = {.n = 0, .attach = attach, .link_txt = link_txt};
        common_params(&kv, c);
        params(&kv, c, i, sizes);
        snprintf(name, sizeof name, "%s%c%u", prefix, letter, i);
        int id = sim_add_component(s, name, model, clk, (const char *const *)kv.v);
        if (id < 0)
            return build_fail(s, err, errlen);
        if (i == 0)
            first = id;
    }
    return first;
}

static void energy_params(kv_t *kv, const noc_cfg_t *c)
{
    kv_add(kv, "flit_bytes", "%d", c->flit_bytes);
    kv_add(kv, "router_pj_per_bit", "%.17g", c->router_pj_per_bit);
    kv_add(kv, "link_pj_per_bit_mm", "%.17g", c->link_pj_per_bit_mm);
    kv_add(kv, "link_mm", "%.17g", c->link_mm);
}

static void router_params(kv_t *kv, const noc_cfg_t *c, uint32_t r, const char *sizes)
{
    (void)sizes;
    kv_add(kv, "id", "%u", r);
    kv_add(kv, "routing", "%s", c->routing);
    kv_add(kv, "vc_allocator", "%s", c->vc_allocator);
    kv_add(kv, "sw_allocator", "%s", c->sw_allocator);
    kv_add(kv, "alloc_iters", "%d", c->alloc_iters);
    kv_add(kv, "credit_delay", "%d", c->credit_delay);
    kv_add(kv, "routing_delay", "%d", c->routing_delay);
    kv_add(kv, "vc_alloc_delay", "%d", c->vc_alloc_delay);
    kv_add(kv, "input_speedup", "%d", c->input_speedup);
    kv_add(kv, "speculative", "%d", c->speculative);
    kv_add(kv, "hold_switch_for_packet", "%s", c->hold_switch_for_packet ? "true" : "false");
    energy_params(kv, c);
}

static void terminal_params(kv_t *kv, const noc_cfg_t *c, uint32_t nd, const char *sizes)
{
    kv_add(kv, "node", "%u", nd);
    kv_add(kv, "traffic", "%s", c->traffic);
    kv_add(kv, "rate", "%.17g", c->rate);
    kv_add(kv, "packet_size", "%s", sizes);
    kv_add(kv, "hotspot_node", "%d", c->hotspot_node);
    kv_add(kv, "hotspot_fraction", "%.17g", c->hotspot_fraction);
    energy_params(kv, c);
    kv_add(kv, "packet_flits", "%d", c->packet_flits);
    kv_add(kv, "channel_latency", "%d", c->channel_latency);
    kv_add(kv, "use_noc_latency", "%s", c->use_noc_latency ? "true" : "false");
    if (kv->link_txt) { /* "R.P=C;..." for noc_cfg_of_terminal */
        kv->v[kv->n++] = "link_latency";
        kv->v[kv->n++] = (char *)kv->link_txt;
        kv->v[kv->n] = NULL;
    }
    kv_add(kv, "routing", "%s", c->routing);
    kv_add(kv, "routing_delay", "%d", c->routing_delay);
    kv_add(kv, "vc_alloc_delay", "%d", c->vc_alloc_delay);
    kv_add(kv, "sw_alloc_delay", "%d", c->sw_alloc_delay);
    kv_add(kv, "st_final_delay", "%d", c->st_final_delay);
    if (kv->attach && kv->attach[nd] && *kv->attach[nd]) {
        kv->v[kv->n++] = "attach";
        kv->v[kv->n++] = kv->attach[nd];
        kv->v[kv->n] = NULL;
    }
}

/* attach[node]: the components at that node ("a,b,c"; NULL or "" none), or
 * attach itself NULL */
static int build_net(sim_t *s, const noc_cfg_t *c, const char *prefix, const char *clock_name,
                     char *const *attach, char *err, size_t errlen)
{
    if (noc_cfg_check(c, err, errlen))
        return -1;
    if (!prefix)
        prefix = "";
    const char *clk = clock_name && *clock_name ? clock_name : "noc";
    if (sim_clock_find(s, clk) < 0 && sim_add_clock(s, clk, c->clock_hz) < 0)
        return build_fail(s, err, errlen);
    noc_topo_t t;
    noc_topo_from_cfg(c, &t, err, errlen);
    uint32_t routers = noc_routers(c), nodes = noc_nodes(c);
    int first_router = add_units(s, c, prefix, 'r', "iq_router", clk, routers, router_params, NULL,
                                 NULL, err, errlen);
    if (first_router < 0)
        return -1;
    char *link_txt = c->n_link_lat ? link_lat_text(c) : NULL;
    if (c->n_link_lat && !link_txt) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int first_term = add_units(s, c, prefix, 't', "noc_terminal", clk, nodes, terminal_params,
                               attach, link_txt, err, errlen);
    free(link_txt);
    if (first_term < 0)
        return -1;
    /* channels: flits leave at switch allocation and are written into the
     * next buffer sw_alloc + st_final + channel latency later; credits are
     * usable upstream channel latency + 1 + credit_delay after the grant
     * (the source applies them at once: no credit_delay there) */
    uint32_t hop = (uint32_t)(c->sw_alloc_delay + c->st_final_delay + c->channel_latency);
    uint32_t cred = (uint32_t)(c->channel_latency + 1 + c->credit_delay);
    uint32_t spare = (uint32_t)(c->input_speedup * (int)(cred + 2) + c->num_vcs * c->vc_buf_size);
    sim_chan_opts_t net = {.rec_bytes = sizeof(noc_flit_t),
                           .latency = hop,
                           .capacity = hop + 2,
                           .credits = 0,
                           .credit_latency = cred,
                           .credit_capacity = spare};
    sim_chan_opts_t inj = net, ej = net;
    inj.latency = (uint32_t)c->channel_latency + 1;
    inj.capacity = inj.latency + 2;
    inj.credit_latency = (uint32_t)c->channel_latency + 1;
    for (uint32_t r = 0; r < routers; r++)
        for (int p = 0; p < (t.kind == NOC_TOPO_FATTREE ? t.ports : t.net_ports); p++) {
            int in = 0;
            int nb = noc_neighbor(&t, r, p, &in);
            if (nb < 0)
                continue;
            sim_chan_opts_t link = net;
            int lat = noc_link_latency(c, r, p);
            link.latency = (uint32_t)(c->sw_alloc_delay + c->st_final_delay + lat);
            link.capacity = link.latency + 2;
            link.credit_latency = (uint32_t)(lat + 1 + c->credit_delay);
            link.credit_capacity =
                (uint32_t)(c->input_speedup * (int)(link.credit_latency + 2) +
                           c->num_vcs * c->vc_buf_size);
            if (sim_add_chan(s, (uint32_t)first_router + r, p,
                             (uint32_t)first_router + (uint32_t)nb, in, &link) < 0)
                return build_fail(s, err, errlen);
        }
    for (uint32_t nd = 0; nd < nodes; nd++) {
        uint32_t r = nd / (uint32_t)t.c;
        int lp = t.net_ports + (int)(nd % (uint32_t)t.c);
        if (sim_add_chan(s, (uint32_t)first_term + nd, 0, (uint32_t)first_router + r, lp, &inj) <
                0 ||
            sim_add_chan(s, (uint32_t)first_router + r, lp, (uint32_t)first_term + nd, 0, &ej) < 0)
            return build_fail(s, err, errlen);
    }
    return first_term;
}

int noc_build(sim_t *s, const noc_cfg_t *c, const char *prefix, const char *clock_name, char *err,
              size_t errlen)
{
    return build_net(s, c, prefix, clock_name, NULL, err, errlen);
}

/* ---- the `network:` block of a chip config ------------------------------------------------- */
/* Appends `name` to *list ("a,b"), refusing a component that does not
 * exist or is attached already (to any node). */
static int attach_one(sim_t *s, char **list, size_t *len, const char *name, const char *key,
                      char *const *all, uint32_t nodes, char *err, size_t errlen)
{
    if (!sim_comp_find(s, name)) {
        snprintf(err, errlen, "%s: no component '%s' to attach", key, name);
        return -1;
    }
    size_t nl = strlen(name);
    for (uint32_t i = 0; i <= nodes; i++) {
        const char *l = i < nodes ? all[i] : *list;
        for (const char *q = l; q && *q;) {
            const char *e = strchr(q, ',');
            size_t ql = e ? (size_t)(e - q) : strlen(q);
            if (ql == nl && !strncmp(q, name, nl)) {
                snprintf(err, errlen, "%s: component '%s' is attached twice", key, name);
                return -1;
            }
            q = e ? e + 1 : q + ql;
        }
    }
    char *p = realloc(*list, *len + nl + 2);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (*len)
        p[(*len)++] = ',';
    memcpy(p + *len, name, nl + 1);
    *len += nl;
    *list = p;
    return 0;
}

/* "xb0..xb7, vec0 gbuf": names separated by commas or spaces; NAME<i>..NAME<j>
 * (or NAME<i>..<j>) is the range i..j. */
static int attach_parse(sim_t *s, const char *key, const char *value, char **list, char *const *all,
                        uint32_t nodes, char *err, size_t errlen)
{
    size_t len = *list ? strlen(*list) : 0;
    const char *q = value;
    while (*q) {
        while (*q == ',' || *q == ' ')
            q++;
        if (!*q)
            break;
        size_t tl = strcspn(q, ", ");
        char tok[160];
        if (tl >= sizeof tok) {
            snprintf(err, errlen, "%s: name '%.40s...' is too long", key, q);
            return -1;
        }
        memcpy(tok, q, tl);
        tok[tl] = '\0';
        q += tl;
        char *dots = strstr(tok, "..");
        if (!dots) {
            if (attach_one(s, list, &len, tok, key, all, nodes, err, errlen))
                return -1;
            continue;
        }
        *dots = '\0';
        const char *hi = dots + 2;
        size_t pl = strlen(tok);
        while (pl && tok[pl - 1] >= '0' && tok[pl - 1] <= '9')
            pl--;
        size_t hp = strlen(hi);
        while (hp && hi[hp - 1] >= '0' && hi[hp - 1] <= '9')
            hp--;
        char *end = NULL;
        long a = pl < strlen(tok) ? strtol(tok + pl, &end, 10) : -1;
        long b = hi[hp] ? strtol(hi + hp, &end, 10) : -1;
        if (a < 0 || b < a || b - a > 65536 || (hp && (hp != pl || strncmp(hi, tok, pl)))) {
            snprintf(err, errlen,
                     "%s: '%s..%s' is not a range like xb0..xb7 (same name, numbers rising)", key,
                     tok, hi);
            return -1;
        }
        for (long i = a; i <= b; i++) {
            char name[200];
            snprintf(name, sizeof name, "%.*s%ld", (int)pl, tok, i);
            if (attach_one(s, list, &len, name, key, all, nodes, err, errlen))
                return -1;
        }
    }
    return 0;
}

/* Every parameter of the table above by prism or BookSim2 name, plus
 * `prefix` (component names), `clock` (an existing clock's name, or a
 * frequency for a new clock `noc`) and `attach.<node>` (the components that
 * sit at that node: their transfers enter and leave the network there).
 * Traffic defaults to none: a chip's network carries what its devices send
 * through the terminals. */
static int noc_config_block(sim_t *s, const char *const *kv, const char *where, char *err,
                            size_t errlen)
{
    (void)where;
    noc_cfg_t c;
    noc_cfg_default(&c);
    snprintf(c.traffic, sizeof c.traffic, "none");
    c.rate = 0;
    const char *prefix = "", *clock = NULL;
    int any_attach = 0;
    for (size_t i = 0; kv[i]; i += 2) {
        const char *k = kv[i], *v = kv[i + 1];
        if (!strcmp(k, "prefix")) {
            prefix = v;
        } else if (!strncmp(k, "attach.", 7)) {
            any_attach = 1;
        } else if (!strcmp(k, "clock") && sim_clock_find(s, v) >= 0) {
            clock = v;
        } else if (!strcmp(k, "clock")) {
            if (sim_parse_freq(v, &c.clock_hz) || !(c.clock_hz > 0)) {
                snprintf(err, errlen, "clock: '%s' is neither a declared clock nor a frequency", v);
                return -1;
            }
        } else if (noc_cfg_set(&c, k, v, err, errlen)) {
            return -1;
        }
    }
    if (!any_attach)
        return noc_build(s, &c, prefix, clock, err, errlen) < 0 ? -1 : 0;
    if (noc_cfg_check(&c, err, errlen))
        return -1;
    uint32_t nodes = noc_nodes(&c);
    char **attach = calloc(nodes, sizeof *attach);
    if (!attach) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; kv[i] && !rc; i += 2) {
        const char *k = kv[i];
        if (strncmp(k, "attach.", 7))
            continue;
        char *end = NULL;
        long node = strtol(k + 7, &end, 10);
        if (end == k + 7 || *end || node < 0 || node >= (long)nodes) {
            snprintf(err, errlen, "%s: '%s' is not a node of this network (0..%u)", k, k + 7,
                     nodes - 1);
            rc = -1;
        } else {
            rc = attach_parse(s, k, kv[i + 1], &attach[node], attach, nodes, err, errlen);
        }
    }
    if (!rc)
        rc = build_net(s, &c, prefix, clock, attach, err, errlen) < 0 ? -1 : 0;
    for (uint32_t i = 0; i < nodes; i++)
        free(attach[i]);
    free(attach);
    return rc;
}

int noc_attachments(sim_t *s, noc_attach_fn fn, void *ctx)
{
    int n = 0;
    for (size_t i = 0; i < sim_comp_count(s); i++) {
        sim_comp_t *t = sim_comp_at(s, i);
        if (strcmp(sim_comp_model(t), "noc_terminal"))
            continue;
        const sim_params_t *p = sim_comp_params(t);
        const char *l = sim_param_str(p, "attach");
        uint32_t node = (uint32_t)sim_param_int(p, "node");
        while (l && *l) {
            const char *e = strchr(l, ',');
            size_t len = e ? (size_t)(e - l) : strlen(l);
            char name[200];
            snprintf(name, sizeof name, "%.*s", (int)len, l);
            fn(ctx, name, node, t);
            n++;
            l = e ? e + 1 : l + len;
        }
    }
    return n;
}

int noc_cfg_of_terminal(sim_comp_t *t, noc_cfg_t *c, char *err, size_t errlen)
{
    if (!t || strcmp(sim_comp_model(t), "noc_terminal")) {
        snprintf(err, errlen, "not a network terminal");
        return -1;
    }
    const sim_params_t *p = sim_comp_params(t);
    noc_cfg_default(c);
    snprintf(c->topology, sizeof c->topology, "%s", sim_param_str(p, "topology"));
    snprintf(c->routing, sizeof c->routing, "%s", sim_param_str(p, "routing"));
    c->k = (int)sim_param_int(p, "k");
    c->n = (int)sim_param_int(p, "n");
    c->concentration = (int)sim_param_int(p, "concentration");
    c->num_vcs = (int)sim_param_int(p, "num_vcs");
    c->vc_buf_size = (int)sim_param_int(p, "vc_buf_size");
    c->channel_latency = (int)sim_param_int(p, "channel_latency");
    c->use_noc_latency = sim_param_bool(p, "use_noc_latency");
    const char *ll = sim_param_str(p, "link_latency");
    while (ll && *ll) {
        char name[64], *eq = NULL;
        size_t n = strcspn(ll, ";");
        snprintf(name, sizeof name, "link_latency.%.*s", (int)n, ll);
        if ((eq = strchr(name, '=')) == NULL)
            break;
        *eq = '\0';
        if (set_link_latency(c, name, eq + 1, err, errlen))
            return -1;
        ll += n + (ll[n] == ';');
    }
    c->routing_delay = (int)sim_param_int(p, "routing_delay");
    c->vc_alloc_delay = (int)sim_param_int(p, "vc_alloc_delay");
    c->sw_alloc_delay = (int)sim_param_int(p, "sw_alloc_delay");
    c->st_final_delay = (int)sim_param_int(p, "st_final_delay");
    c->flit_bytes = (int)sim_param_int(p, "flit_bytes");
    c->packet_flits = (int)sim_param_int(p, "packet_flits");
    c->router_pj_per_bit = sim_param_real(p, "router_pj_per_bit");
    c->link_pj_per_bit_mm = sim_param_real(p, "link_pj_per_bit_mm");
    c->link_mm = sim_param_real(p, "link_mm");
    sim_time_t period = sim_comp_period_ps(t);
    c->clock_hz = period ? 1e12 / (double)period : c->clock_hz;
    return 0;
}

void noc_register_config(void)
{
    sim_config_register_block("network", noc_config_block);
}
