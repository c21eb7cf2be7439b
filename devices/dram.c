/* dram: an off-chip DRAM (HBM2 stack or DDR4 channel). Timing: access latency
 * (tRCD + tCL + controller) overlapped across requests, plus burst transfers
 * interleaved over channels at the channel bandwidth; energy = bits moved x
 * pJ/bit (HBM2 3.9 pJ/bit, O'Connor et al. MICRO 2017; DDR 20-40 pJ/bit from
 * Horowitz ISSCC 2014: 1.3-2.6 nJ per 64 bits); background power. */
#include "devices/dev_common.h"

#include <math.h>
#include <string.h>

typedef struct dram {
    dev_base_t base;
    double bw_gbps, latency_ns, pj_per_bit;
    uint64_t channels, burst_bytes, capacity_bytes;
    int st_e_read, st_e_write;
} dram_t;

/* Per-standard defaults used for every parameter not given explicitly. */
typedef struct dram_std {
    const char *name;
    double bw_gbps, latency_ns, pj_per_bit, background_mw;
    int64_t channels, burst_bytes;
} dram_std_t;

static const dram_std_t dram_stds[] = {
    /* HBM2 stack: 8 x 128-bit channels at 2 Gb/s/pin = 256 GB/s (JESD235A);
     * 32 B per burst (128-bit channel, BL2 legacy mode); 3.9 pJ/bit (O'Connor
     * et al., Fine-Grained DRAM, MICRO 2017); background 0: energy per bit
     * only, as Accelergy's DRAM energy tables (no HBM2 background figure
     * verified). */
    {"hbm2", 256.0, 40.0, 3.9, 0.0, 8, 32},
    /* DDR4-3200 x64 channel: 25.6 GB/s; BL8 x 8 B = 64 B bursts; Horowitz ISSCC
     * 2014 DRAM 1.3 nJ per 64-bit access (lower end) = 20.3 pJ/bit. */
    {"ddr4", 25.6, 40.0, 20.3, 290.0, 1, 64},
};

static const sim_param_def_t dram_params[] = {
    {"standard", SIM_P_ENUM, "hbm2", "", 0, 0, "hbm2|ddr4",
     "sets the defaults of the parameters below that are not given", "JESD235A (HBM2), JESD79-4 (DDR4)"},
    {"bandwidth_gbps", SIM_P_REAL, "256", "GB/s", 1e-3, 1e6, NULL,
     "peak bandwidth over all channels (ddr4 default: 25.6)",
     "HBM2: 1024 bits x 2 Gb/s per pin (JESD235A); DDR4-3200 x64: 25.6 GB/s"},
    {"channels", SIM_P_INT, "8", "", 1, 1024, NULL,
     "independent channels; bursts interleave over them (ddr4 default: 1)",
     "HBM2: 8 channels per stack; DDR4: 1 per DIMM channel"},
    {"burst_bytes", SIM_P_INT, "32", "B", 1, 65536, NULL,
     "bytes per burst: accesses move whole bursts (ddr4 default: 64)",
     "HBM2 128-bit channel BL2 = 32 B; DDR4 x64 BL8 = 64 B"},
    {"latency_ns", SIM_P_REAL, "40", "ns", 0, 1e6, NULL,
     "closed-page read latency: activate + CAS + controller/PHY",
     "tRCD + tCL ~ 14 + 14 ns (JEDEC HBM2 / DDR4-3200 speed bins) + ~12 ns controller "
     "(assumption)"},
    {"pj_per_bit", SIM_P_REAL, "3.9", "pJ/bit", 0, 1e4, NULL,
     "energy per bit moved, array + I/O (ddr4 default: 20.3)",
     "HBM2: O'Connor et al., Fine-Grained DRAM, MICRO 2017; DDR: Horowitz ISSCC 2014 1.3-2.6 nJ "
     "per 64 bits"},
    {"background_mw", SIM_P_REAL, "0", "mW", 0, 1e6, NULL,
     "background (standby, refresh) power (ddr4 default: 290)",
     "hbm2: 0, energy per bit only as in Accelergy's DRAM energy tables (no HBM2 background "
     "figure verified); ddr4: 8 chips x IDD2N ~30 mA x 1.2 V (Micron 8Gb DDR4 data sheet class, "
     "unverified)"},
    {"phy_area_um2", SIM_P_REAL, "0", "um2", 0, 1e12, NULL,
     "PHY and controller area on the logic die",
     "unverified: no HBM2 / DDR4 PHY area figure found; 0 until one is set"},
    {"offdie_mm2", SIM_P_REAL, "-1", "mm2", -1, 1e6, NULL,
     "footprint of the DRAM dies beside or under the logic die (reported apart, never in the "
     "die area); -1 = by standard: hbm2 one stack 7.75 x 11.87 mm, ddr4 0 (DIMMs off package)",
     "unverified: JEDEC HBM2 KGSD outline 7.75 x 11.87 mm as commonly quoted"},
    {"capacity_bytes", SIM_P_INT, "8589934592", "B", 1, 9.2e18, NULL,
     "capacity; an access beyond it fails", "HBM2 8-high stack of 8 Gb dies = 8 GiB"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int dram_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    dram_t *d = state;
    int rc = dev_base_init(c, &d->base);
    if (rc)
        return rc;
    const char *std_name = sim_param_str(p, "standard");
    const dram_std_t *st = &dram_stds[0];
    for (size_t i = 0; i < sizeof dram_stds / sizeof dram_stds[0]; i++)
        if (strcmp(dram_stds[i].name, std_name) == 0)
            st = &dram_stds[i];
#define PICK_REAL(field, pname) \
    (sim_param_is_set(p, pname) ? sim_param_real(p, pname) : st->field)
#define PICK_INT(field, pname) \
    (uint64_t)(sim_param_is_set(p, pname) ? sim_param_int(p, pname) : st->field)
    d->bw_gbps = PICK_REAL(bw_gbps, "bandwidth_gbps");
    d->latency_ns = PICK_REAL(latency_ns, "latency_ns");
    d->pj_per_bit = PICK_REAL(pj_per_bit, "pj_per_bit");
    double background_mw = PICK_REAL(background_mw, "background_mw");
    d->channels = PICK_INT(channels, "channels");
    d->burst_bytes = PICK_INT(burst_bytes, "burst_bytes");
#undef PICK_REAL
#undef PICK_INT
    d->capacity_bytes = (uint64_t)sim_param_int(p, "capacity_bytes");
    d->st_e_read = sim_stat(c, "energy.read", SIM_STAT_ENERGY, "pJ");
    d->st_e_write = sim_stat(c, "energy.write", SIM_STAT_ENERGY, "pJ");
    sim_static_power_mw(c, background_mw);
    return 0;
}

/* The one cost function: the handler charges exactly this. */
static int dram_cost(sim_comp_t *c, const void *state, const dev_req_t *req, dev_cost_t *k)
{
    (void)c;
    const dram_t *d = state;
    memset(k, 0, sizeof *k);
    if ((req->kind != DEV_OP_READ && req->kind != DEV_OP_WRITE) || req->m == 0 ||
        req->k > d->capacity_bytes || req->m > d->capacity_bytes - req->k)
        return SIM_ERR_CONFIG;
    uint64_t addr = req->k, bytes = req->m;
    /* whole bursts; burst i goes to channel i % channels; each channel moves
     * bandwidth / channels bytes per ns */
    uint64_t bursts = (addr + bytes - 1) / d->burst_bytes - addr / d->burst_bytes + 1;
    uint64_t chan_bursts = dev_ceil_div(bursts, d->channels);
    double chan_gbps = d->bw_gbps / (double)d->channels;
    double xfer_ps = (double)(chan_bursts * d->burst_bytes) * 1000.0 / chan_gbps;
    double lat_ps = d->latency_ns * 1000.0;
    double period = (double)d->base.unit.period_ps;
    /* saturated below 2^64 (a cast beyond is undefined); dev_base_op and
     * dev_cost refuse an op longer than the clock counts */
    double issue = ceil(xfer_ps / period - 1e-9), cycles = ceil((lat_ps + xfer_ps) / period - 1e-9);
    k->issue_cycles = issue < 18446744073709551616.0 ? (uint64_t)issue : UINT64_MAX;
    k->cycles = cycles < 18446744073709551616.0 ? (uint64_t)cycles : UINT64_MAX;
    if (k->issue_cycles == 0)
        k->issue_cycles = 1;
    k->bytes = bursts * d->burst_bytes;
    k->energy_pj = (double)k->bytes * 8.0 * d->pj_per_bit;
    return 0;
}

static void dram_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    dram_t *d = state;
    if (dev_base_take_fwd(c, &d->base, ev))
        return;
    dev_req_t req;
    if (!dev_take_req(c, ev, DEV_OP_BIT(DEV_OP_READ) | DEV_OP_BIT(DEV_OP_WRITE), &req) ||
        dev_mem_check(c, &req, d->capacity_bytes, "capacity_bytes"))
        return;
    dev_cost_t k;
    dram_cost(c, d, &req, &k);
    sim_energy(c, req.kind == DEV_OP_WRITE ? d->st_e_write : d->st_e_read, k.energy_pj);
    dev_base_op(c, &d->base, ev, &req, k.issue_cycles, k.cycles, k.energy_pj, k.bytes);
}

static int dram_area(const sim_params_t *p, dev_area_t *out, char *err, size_t n)
{
    (void)err, (void)n;
    dev_area_part(out, "phy", sim_param_real(p, "phy_area_um2"));
    double off = sim_param_real(p, "offdie_mm2");
    if (off < 0.0)
        off = strcmp(sim_param_str(p, "standard"), "hbm2") == 0 ? 7.75 * 11.87 : 0.0;
    out->offdie_um2 = off * 1e6;
    return 0;
}

static const dev_ext_t dram_ext = {
    .default_clock_hz = 1e9,
    .default_op = DEV_OP_READ,
    .desc = {DEV_CAT_MEMORY, DEV_OP_BIT(DEV_OP_READ) | DEV_OP_BIT(DEV_OP_WRITE), 0, DEV_MEM_DRAM},
    .cost = dram_cost,
    .area = dram_area,
};

const sim_model_t dev_dram_model = {
    .name = "dram",
    .doc = "DRAM/HBM: read/write m bytes at address k; latency + bytes / bandwidth, pJ/bit",
    .state_size = sizeof(dram_t),
    .params = dram_params,
    .init = dram_init,
    .handle = dram_handle,
    .ext = &dram_ext,
};
