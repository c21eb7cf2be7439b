/* wire: a point-to-point on-chip link between tiers that carries a schedule's
 * transfers (DEV_OP_TRANSFER: m bytes from unit k to unit n) until the chip has
 * a network. Timing: ceil(bytes / width) cycles of serialisation plus a fixed
 * repeater/pipeline latency; energy per bit and millimetre after Borkar and
 * Chien, "The Future of Microprocessors", CACM 2011 (fig. 11, 45 nm on-die
 * interconnect: ~0.1 pJ/bit/mm). */
#include "devices/dev_common.h"

#include <string.h>

typedef struct wire {
    dev_base_t base;
    uint64_t width_bytes, latency_cycles;
    double pj_per_byte;
    int st_energy, st_transfers;
} wire_t;

static const sim_param_def_t wire_params[] = {
    {"width_bytes", SIM_P_INT, "32", "B/cycle", 1, 1048576, NULL,
     "bytes the link moves per cycle (256 wires at the component's clock)",
     "design parameter (32 B/cycle at 1 GHz = 32 GB/s)"},
    {"length_mm", SIM_P_REAL, "5", "mm", 0, 1000, NULL, "wire length between the two tiers",
     "design parameter (half the side of a ~100 mm^2 die)"},
    {"pj_per_bit_mm", SIM_P_REAL, "0.1", "pJ/bit/mm", 0, 100, NULL,
     "energy to move one bit one millimetre",
     "Borkar and Chien, The Future of Microprocessors, CACM 2011, fig. 11 (45 nm on-die "
     "interconnect)"},
    {"pitch_um", SIM_P_REAL, "0.08", "um", 0, 1e3, NULL,
     "track pitch of one bit (wire + space); area = width_bytes x 8 x length x pitch",
     "DNN_NeuroSim V1.3 Param.cpp wireWidth 40 nm at technode 22, equal line and space"},
    {"latency_cycles", SIM_P_INT, "5", "cycles", 0, 1000000, NULL,
     "repeater/pipeline latency from end to end (overlaps the next transfer)",
     "assumption: one register stage per mm of repeated wire at 1 GHz"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int wire_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    wire_t *w = state;
    int rc = dev_base_init(c, &w->base);
    if (rc)
        return rc;
    w->width_bytes = (uint64_t)sim_param_int(p, "width_bytes");
    w->latency_cycles = (uint64_t)sim_param_int(p, "latency_cycles");
    w->pj_per_byte = 8.0 * sim_param_real(p, "pj_per_bit_mm") * sim_param_real(p, "length_mm");
    w->st_energy = sim_stat(c, "energy.wire", SIM_STAT_ENERGY, "pJ");
    w->st_transfers = sim_stat(c, "transfers", SIM_STAT_COUNT, "transfers");
    if (w->st_energy < 0 || w->st_transfers < 0)
        return sim_comp_fail(c, "out of memory for stats");
    return 0;
}

/* The one cost function: the handler charges exactly this. */
static int wire_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *out)
{
    (void)c;
    const wire_t *w = state;
    memset(out, 0, sizeof *out);
    if (req->kind != DEV_OP_TRANSFER || req->m == 0)
        return SIM_ERR_CONFIG;
    int bad = 0;
    out->issue_cycles = dev_ceil_div(req->m, w->width_bytes);
    out->cycles = dev_add_chk(out->issue_cycles, w->latency_cycles, &bad);
    if (bad)
        return SIM_ERR_CONFIG;
    out->energy_pj = (double)req->m * w->pj_per_byte;
    out->bytes = req->m;
    return 0;
}

static void wire_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    wire_t *w = state;
    if (dev_base_take_fwd(c, &w->base, ev))
        return;
    dev_req_t req;
    if (!dev_take_req(c, ev, DEV_OP_BIT(DEV_OP_TRANSFER), &req))
        return;
    dev_cost_t k;
    if (wire_cost(c, w, &req, &k)) {
        sim_comp_fail(c, "wire '%s': transfer of %llu bytes%s", sim_comp_name(c),
                      (unsigned long long)req.m, req.m ? " overflows 64-bit counters" : "");
        return;
    }
    sim_energy(c, w->st_energy, k.energy_pj);
    sim_stat_add(c, w->st_transfers, 1);
    dev_base_op(c, &w->base, ev, &req, k.issue_cycles, k.cycles, k.energy_pj, k.bytes);
}

static int wire_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n)
{
    (void)err, (void)n;
    dev_area_part(out, "tracks",
                  (double)sim_param_int(p, "width_bytes") * 8.0 * sim_param_real(p, "length_mm") *
                      1000.0 * sim_param_real(p, "pitch_um"));
    return 0;
}

static const dev_ext_t wire_ext = {
    .default_clock_hz = 1e9,
    .default_op = DEV_OP_TRANSFER,
    .desc = {DEV_CAT_INTERCONNECT, DEV_OP_BIT(DEV_OP_TRANSFER), 0, DEV_MEM_NONE},
    .cost = wire_cost,
    .area = wire_area,
};

const sim_model_t dev_wire_model = {
    .name = "wire",
    .doc = "on-chip link between tiers: carries transfers of m bytes (width, length, pJ/bit/mm)",
    .state_size = sizeof(wire_t),
    .params = wire_params,
    .init = wire_init,
    .handle = wire_handle,
    .ext = &wire_ext,
};
