/* Tier-aware schedules: a placement (per GEMM op: which tier, or a split of
 * its output columns between two tiers) turned into the entries the driver
 * runs on a chip of many units. Crossbars hold static weights: each weight
 * slice placed there gets a unit of its own, programmed once (a DRAM read,
 * a transfer to the tile, a program request) before its MVMs; digital and
 * photonic units stream their weights from DRAM before each GEMM and split the
 * work (columns, or heads) over the tier's units. Activations that cross tiers
 * are transfers carried by the wire into the consuming tier. */
#include "mapper/map_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *map_tier_name(int tier)
{
    static const char *const names[] = {"digital", "xbar", "photonic"};
    return tier >= 0 && tier < MAP_TIERS ? names[tier] : "?";
}

void map_chip_free(map_chip_t *c)
{
    if (!c)
        return;
    map_units_free(&c->units);
    for (int t = 0; t < MAP_TIERS; t++)
        free(c->tier_unit[t]);
    free(c->vec);
    memset(c, 0, sizeof *c);
}

static int push_int(int **a, size_t *n, int v)
{
    int *p = realloc(*a, (*n + 1) * sizeof *p);
    if (!p)
        return -1;
    p[(*n)++] = v;
    *a = p;
    return 0;
}

int map_chip_from_units(const map_units_t *u, map_chip_t *out, char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    out->sram = out->dram = -1;
    for (int t = 0; t < MAP_TIERS; t++)
        out->carrier[t] = -1;
    if (map_units_copy(&out->units, u))
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < u->n; i++) {
        /* what the unit is comes from its model's record (devices/dev.h) */
        const char *nm = u->unit[i].name;
        const dev_desc_t *d = dev_desc_of(u->unit[i].model);
        dev_category_t cat = d ? d->category : DEV_CAT_OTHER;
        int rc = 0, tier = -1;
        if (dev_model_is_gemm(u->unit[i].model))
            tier = cat == DEV_CAT_DIGITAL    ? MAP_TIER_DIGITAL
                   : cat == DEV_CAT_CROSSBAR ? MAP_TIER_XBAR
                   : cat == DEV_CAT_PHOTONIC ? MAP_TIER_PHOTONIC
                                             : -1;
        if (tier >= 0)
            rc = push_int(&out->tier_unit[tier], &out->n_tier[tier], (int)i);
        else if (d && (d->ops & DEV_OP_BIT(DEV_OP_VECTOR)))
            rc = push_int(&out->vec, &out->n_vec, (int)i);
        else if (d && d->memory == DEV_MEM_SRAM && out->sram < 0)
            out->sram = (int)i;
        else if (d && d->memory == DEV_MEM_DRAM && out->dram < 0)
            out->dram = (int)i;
        else if (cat == DEV_CAT_NETWORK)
            out->network = 1;
        else if (cat == DEV_CAT_INTERCONNECT) {
            /* x_<tier>: the wire into that tier */
            for (int t = 0; t < MAP_TIERS; t++)
                if (!strncmp(nm, "x_", 2) && !strcmp(nm + 2, map_tier_name(t)))
                    out->carrier[t] = (int)i;
        }
        if (rc) {
            map_chip_free(out);
            return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        }
    }
    if (!out->n_vec || out->dram < 0 || out->sram < 0 ||
        !(out->n_tier[0] || out->n_tier[1] || out->n_tier[2])) {
        map_chip_free(out);
        return map_fail(err, n, SIM_ERR_CONFIG,
                     "the chip needs at least one GEMM tier (a digital, crossbar or photonic unit "
                     "that takes gemm or mvm requests: systolic, rram_xbar/pcm_xbar, "
                     "mzi_mesh/mrr_bank/rns_photonic), a vector unit, an sram and a dram linked "
                     "to its schedule_driver");
    }
    return 0;
}

/* ---- building ------------------------------------------------------------------------ */
typedef struct pb {
    bld_t b;
    const map_chip_t *chip;
    const wl_graph_t *g;
    tref_t *refs;
    size_t n_t;
    uint32_t *producer; /* per tensor: entry that completes it */
    int *home;          /* per tensor: unit it ends on (-1: none/DRAM) */
    uint32_t *xfer;     /* per tensor x tier: transfer entry that brought it there */
    uint64_t *addr;     /* per weight tensor: DRAM address */
    size_t next_xbar;   /* next crossbar unit for a static slice */
    size_t next_rr[MAP_TIERS], next_vec;
    uint32_t fresh_id;
    int stream, resident;
} pb_t;

#define ADD_OR_FAIL(ix)                                                                            \
    do {                                                                                           \
        if ((ix) == NO_ENTRY)                                                                      \
            return map_fail(p->b.err, p->b.errn, SIM_ERR_NOMEM, "out of memory");                     \
    } while (0)
#define PRED_OR_FAIL(x)                                                                            \
    do {                                                                                           \
        if (map_bld_pred(&p->b, (x)))                                                              \
            return map_fail(p->b.err, p->b.errn, SIM_ERR_NOMEM, "out of memory");                     \
    } while (0)

static void set_info(pb_t *p, uint32_t e, int tier, const char *slice)
{
    map_entry_info_t *in = &p->b.s->info[e];
    in->tier = tier >= 0 ? map_tier_name(tier) : NULL;
    in->slice = slice ? map_bld_keep(&p->b, slice) : NULL;
}

static int unit_tier(const map_chip_t *c, int unit)
{
    if (unit < 0)
        return -1;
    for (int t = 0; t < MAP_TIERS; t++)
        for (size_t i = 0; i < c->n_tier[t]; i++)
            if (c->tier_unit[t][i] == unit)
                return t;
    return MAP_TIER_DIGITAL; /* vector, sram: the digital tier */
}

/* The unit a transfer into `tier` (to `dest`) is issued on: the tier's wire,
 * or on a chip with a network the destination itself (the driver sends it
 * over the network; the unit's queue is not used); -1: transfers are free. */
static int carrier_of(const map_chip_t *c, int tier, int dest)
{
    if (c->carrier[tier] >= 0)
        return c->carrier[tier];
    return c->network && dest >= 0 ? dest : -1;
}

/* Make tensor ti available on `unit` (of tier `tier`): the entry to wait for,
 * after adding a transfer when it lives on another tier. */
static int arrive(pb_t *p, const wl_op_t *op, uint64_t op_id, size_t ti, int unit, uint32_t *dep)
{
    *dep = p->producer[ti];
    int from = p->home[ti];
    int tier = unit_tier(p->chip, unit), ftier = unit_tier(p->chip, from);
    const wl_tensor_t *t = wl_graph_tensor(p->g, ti);
    int carrier = carrier_of(p->chip, tier, unit);
    if (from < 0 || tier == ftier || carrier < 0 || t->bytes == 0)
        return 0;
    uint32_t *x = &p->xfer[ti * MAP_TIERS + (size_t)tier];
    if (*x == NO_ENTRY) {
        dev_req_t r;
        memset(&r, 0, sizeof r);
        r.kind = DEV_OP_TRANSFER;
        r.m = t->bytes;
        r.k = (uint64_t)from;
        r.n = (uint64_t)unit;
        *x = map_bld_entry(&p->b, op, op_id, "transfer", carrier, &r, 1,
                           "activation to the consuming tier");
        ADD_OR_FAIL(*x);
        set_info(p, *x, tier, NULL);
        PRED_OR_FAIL(p->producer[ti]);
    }
    *dep = *x;
    return 0;
}

/* Wait for every activation input of op on `unit`. */
static int wait_inputs(pb_t *p, const wl_op_t *op, uint64_t op_id, int unit, uint32_t *deps,
                       size_t *n_deps)
{
    *n_deps = 0;
    for (size_t k = 0; k < op->n_inputs; k++) {
        size_t ti = map_tensor_index(p->refs, p->n_t, op->inputs[k]);
        if (ti == SIZE_MAX || p->producer[ti] == NO_ENTRY)
            continue;
        uint32_t d;
        int rc = arrive(p, op, op_id, ti, unit, &d);
        if (rc)
            return rc;
        deps[(*n_deps)++] = d;
    }
    return 0;
}

/* One GEMM part: columns [c0, c0 + nc) (or reps [r0, r0 + nr) of a multi-head
 * op) of op on tier `tier`. Appends its entries; *last gets the entries the
 * op's consumers wait for (added to `ends`). */
static int gemm_part(pb_t *p, const wl_op_t *op, uint64_t op_id, int tier, uint64_t c0, uint64_t nc,
                     uint32_t *ends, size_t *n_ends, int *home_unit)
{
    const map_chip_t *c = p->chip;
    int swap = op->a_is_weight && !op->b_is_weight;
    uint64_t m = swap ? op->n : op->m, k = op->k, reps = op->count ? op->count : 1;
    const wl_tensor_t *w = op->weight;
    size_t wi = map_tensor_index(p->refs, p->n_t, w);
    int has_w = w && wi != SIZE_MAX && (w->flags & WL_T_WEIGHT) && reps == 1;
    uint64_t wbytes_per_col =
        has_w && (swap ? op->m : op->n) ? w->bytes / (swap ? op->m : op->n) : 0;
    char slice[96];
    uint32_t *deps = malloc((op->n_inputs + 1) * sizeof *deps);
    if (!deps)
        return map_fail(p->b.err, p->b.errn, SIM_ERR_NOMEM, "out of memory");
    int rc = 0;
    if (tier == MAP_TIER_XBAR && has_w) {
        /* a static slice: its own crossbar unit, programmed once */
        if (p->next_xbar >= c->n_tier[MAP_TIER_XBAR]) {
            free(deps);
            return map_fail(p->b.err, p->b.errn, SIM_ERR_CONFIG,
                         "op '%s': the crossbar tier is full (%zu units, one static weight "
                         "slice each): place fewer weights there",
                         op->name, c->n_tier[MAP_TIER_XBAR]);
        }
        int u = c->tier_unit[MAP_TIER_XBAR][p->next_xbar++];
        uint32_t wid = (uint32_t)(wi + 1) * 4u + (uint32_t)(c0 ? 1 : 0) + 0x100000u;
        dev_req_t r;
        memset(&r, 0, sizeof r);
        uint32_t e = NO_ENTRY;
        snprintf(slice, sizeof slice, "cols %llu-%llu of %llu", (unsigned long long)c0,
                 (unsigned long long)(c0 + nc - 1), (unsigned long long)(swap ? op->m : op->n));
        uint32_t prog = NO_ENTRY; /* weights programmed before the run need no program entry */
        if (!p->resident) {
            if (p->stream) {
                r.kind = DEV_OP_READ;
                r.m = wbytes_per_col * nc;
                r.k = p->addr[wi] + wbytes_per_col * c0;
                e = map_bld_entry(&p->b, op, op_id, "weight_load", c->dram, &r, 1,
                                  "static weight slice read from dram once");
                ADD_OR_FAIL(e);
                set_info(p, e, MAP_TIER_XBAR, slice);
                p->b.s->weight_load_bytes += r.m;
                int carrier = carrier_of(c, MAP_TIER_XBAR, u);
                if (carrier >= 0) {
                    uint32_t prev = e;
                    memset(&r, 0, sizeof r);
                    r.kind = DEV_OP_TRANSFER;
                    r.m = wbytes_per_col * nc;
                    r.k = (uint64_t)c->dram;
                    r.n = (uint64_t)u;
                    e = map_bld_entry(&p->b, op, op_id, "transfer", carrier, &r, 1,
                                      "static weight slice to its crossbar");
                    ADD_OR_FAIL(e);
                    set_info(p, e, MAP_TIER_XBAR, slice);
                    PRED_OR_FAIL(prev);
                }
            }
            uint32_t before = p->stream ? e : NO_ENTRY;
            memset(&r, 0, sizeof r);
            r.kind = DEV_OP_PROGRAM;
            r.k = k;
            r.n = nc;
            r.weight_id = wid;
            e = map_bld_entry(&p->b, op, op_id, "program", u, &r, 1,
                              "program the static weights (once; wear counted)");
            ADD_OR_FAIL(e);
            set_info(p, e, MAP_TIER_XBAR, slice);
            PRED_OR_FAIL(before);
            prog = e;
        }
        size_t nd;
        if ((rc = wait_inputs(p, op, op_id, u, deps, &nd)) != 0) {
            free(deps);
            return rc;
        }
        memset(&r, 0, sizeof r);
        r.kind = DEV_OP_GEMM;
        r.flags = p->resident ? DEV_F_NO_RELOAD : 0;
        r.m = m;
        r.k = k;
        r.n = nc;
        r.weight_id = wid;
        e = map_bld_entry(&p->b, op, op_id, wl_opkind_name(op->kind), u, &r, 1,
                          p->resident ? "mvm on weights programmed before the run"
                                      : "mvm on resident weights");
        ADD_OR_FAIL(e);
        set_info(p, e, MAP_TIER_XBAR, slice);
        p->b.s->gemm_macs += m * k * nc;
        PRED_OR_FAIL(prog);
        for (size_t d = 0; d < nd; d++)
            PRED_OR_FAIL(deps[d]);
        ends[(*n_ends)++] = e;
        if (*home_unit < 0)
            *home_unit = u;
        free(deps);
        return 0;
    }
    /* digital, photonic, or dynamic weights on crossbars: spread over the tier */
    size_t nu = c->n_tier[tier];
    const int *units = c->tier_unit[tier];
    size_t first_dyn = tier == MAP_TIER_XBAR ? p->next_xbar : 0;
    if (first_dyn >= nu) {
        free(deps);
        return map_fail(p->b.err, p->b.errn, SIM_ERR_CONFIG,
                     "op '%s': no %s unit left for dynamic operands (all hold static weights)",
                     op->name, map_tier_name(tier));
    }
    nu -= first_dyn;
    units += first_dyn;
    /* split reps (heads) when there are several, else columns */
    uint64_t parts = reps > 1 ? (reps < nu ? reps : nu) : (nc < nu ? nc : nu);
    for (uint64_t q = 0; q < parts; q++) {
        int u = units[(p->next_rr[tier] + q) % nu];
        uint64_t lo, cnt, prep;
        if (reps > 1) {
            lo = reps * q / parts;
            cnt = nc;
            prep = reps * (q + 1) / parts - lo;
            snprintf(slice, sizeof slice, "heads %llu-%llu of %llu", (unsigned long long)lo,
                     (unsigned long long)(lo + prep - 1), (unsigned long long)reps);
        } else {
            lo = c0 + nc * q / parts;
            cnt = c0 + nc * (q + 1) / parts - lo;
            prep = 1;
            snprintf(slice, sizeof slice, "cols %llu-%llu of %llu", (unsigned long long)lo,
                     (unsigned long long)(lo + cnt - 1),
                     (unsigned long long)(swap ? op->m : op->n));
        }
        if (!cnt || !prep)
            continue;
        dev_req_t r;
        uint32_t load = NO_ENTRY, e;
        if (has_w && p->stream) {
            memset(&r, 0, sizeof r);
            r.kind = DEV_OP_READ;
            r.m = wbytes_per_col * cnt;
            r.k = p->addr[wi] + wbytes_per_col * lo;
            load = map_bld_entry(&p->b, op, op_id, "weight_load", c->dram, &r, 1,
                                 "weight slice read from dram before the GEMM");
            ADD_OR_FAIL(load);
            set_info(p, load, tier, slice);
            p->b.s->weight_load_bytes += r.m;
        }
        size_t nd;
        if ((rc = wait_inputs(p, op, op_id, u, deps, &nd)) != 0) {
            free(deps);
            return rc;
        }
        memset(&r, 0, sizeof r);
        r.kind = DEV_OP_GEMM;
        r.m = m;
        r.k = k;
        r.n = cnt;
        uint32_t step = 0;
        if (has_w)
            r.weight_id = (uint32_t)(wi + 1) * 4u + 0x200000u + (uint32_t)q * 0x1000000u;
        else {
            r.weight_id = p->fresh_id;
            p->fresh_id += (uint32_t)prep;
            step = 1;
        }
        e = map_bld_entry(&p->b, op, op_id, wl_opkind_name(op->kind), u, &r, prep,
                          has_w ? "gemm on streamed weights" : "gemm, dynamic operands");
        ADD_OR_FAIL(e);
        p->b.s->exec.entries[e].weight_step = step;
        set_info(p, e, tier, slice);
        p->b.s->gemm_macs += m * k * cnt * prep;
        PRED_OR_FAIL(load);
        for (size_t d = 0; d < nd; d++)
            PRED_OR_FAIL(deps[d]);
        ends[(*n_ends)++] = e;
        if (*home_unit < 0)
            *home_unit = u;
    }
    p->next_rr[tier] += parts;
    free(deps);
    return 0;
}

static int vector_op(pb_t *p, const wl_op_t *op, uint64_t op_id, uint32_t *ends, size_t *n_ends,
                     int *home)
{
    vprog_t vp;
    map_vector_program(op, &vp);
    if (vp.n == 0)
        return map_fail(p->b.err, p->b.errn, SIM_ERR_CONFIG, "op '%s': no vector rule for kind '%s'",
                     op->name, wl_opkind_name(op->kind));
    const map_chip_t *c = p->chip;
    if (vp.m == 0 || vp.cols == 0) {
        uint32_t e =
            map_bld_entry(&p->b, op, op_id, wl_opkind_name(op->kind), -1, NULL, 1, "empty tensor");
        ADD_OR_FAIL(e);
        ends[(*n_ends)++] = e;
        return 0;
    }
    /* rows spread over the vector units */
    uint64_t parts = vp.m < c->n_vec ? vp.m : c->n_vec;
    uint32_t *deps = malloc((op->n_inputs + 1) * sizeof *deps);
    if (!deps)
        return map_fail(p->b.err, p->b.errn, SIM_ERR_NOMEM, "out of memory");
    for (uint64_t q = 0; q < parts; q++) {
        int u = c->vec[(p->next_vec + q) % c->n_vec];
        uint64_t rows = vp.m * (q + 1) / parts - vp.m * q / parts;
        size_t nd;
        int rc = wait_inputs(p, op, op_id, u, deps, &nd);
        if (rc) {
            free(deps);
            return rc;
        }
        uint32_t prev = NO_ENTRY;
        for (int k = 0; k < vp.n; k++) {
            dev_req_t r;
            memset(&r, 0, sizeof r);
            r.kind = DEV_OP_VECTOR;
            r.vfunc = vp.vf[k];
            r.m = rows;
            r.n = vp.cols;
            uint32_t e =
                map_bld_entry(&p->b, op, op_id, wl_opkind_name(op->kind), u, &r, 1, vp.note);
            if (e == NO_ENTRY) {
                free(deps);
                return map_fail(p->b.err, p->b.errn, SIM_ERR_NOMEM, "out of memory");
            }
            p->b.s->info[e].proxy = vp.proxy;
            set_info(p, e, MAP_TIER_DIGITAL, NULL);
            if (k == 0) {
                for (size_t d = 0; d < nd; d++)
                    if (map_bld_pred(&p->b, deps[d])) {
                        free(deps);
                        return map_fail(p->b.err, p->b.errn, SIM_ERR_NOMEM, "out of memory");
                    }
            } else if (map_bld_pred(&p->b, prev)) {
                free(deps);
                return map_fail(p->b.err, p->b.errn, SIM_ERR_NOMEM, "out of memory");
            }
            prev = e;
        }
        ends[(*n_ends)++] = prev;
        if (*home < 0)
            *home = u;
    }
    p->next_vec += parts;
    free(deps);
    return 0;
}

void map_chip_capacity(map_chip_t *c, sim_t *s)
{
    c->xbar_rows = c->xbar_cols = c->xbar_arrays = 0;
    for (size_t i = 0; i < c->n_tier[MAP_TIER_XBAR]; i++) {
        const map_unit_t *u = &c->units.unit[c->tier_unit[MAP_TIER_XBAR][i]];
        sim_comp_t *comp = sim_comp_find(s, u->comp);
        const sim_params_t *p = comp ? sim_comp_params(comp) : NULL;
        if (!p)
            continue;
        uint64_t rows = (uint64_t)sim_param_int(p, "rows"), cols = (uint64_t)sim_param_int(p, "cols");
        uint64_t arrays = sim_param_bool(p, "tiling") ? (uint64_t)sim_param_int(p, "arrays") : 1;
        if (!c->xbar_arrays || rows < c->xbar_rows)
            c->xbar_rows = rows;
        if (!c->xbar_arrays || cols < c->xbar_cols)
            c->xbar_cols = cols;
        if (!c->xbar_arrays || arrays < c->xbar_arrays)
            c->xbar_arrays = arrays;
    }
}

/* 1 when k inputs x ncols outputs of static weights fit one crossbar unit. */
static int xbar_fits(const map_chip_t *chip, uint64_t k, uint64_t ncols)
{
    if (!chip->xbar_arrays)
        return 1;
    uint64_t tiles = ((k + chip->xbar_rows - 1) / chip->xbar_rows) *
                     ((ncols + chip->xbar_cols - 1) / chip->xbar_cols);
    return tiles <= chip->xbar_arrays;
}

int map_place_valid(const map_chip_t *chip, const wl_op_t *op, const map_place_t *pl)
{
    if (!wl_opkind_is_gemm(op->kind))
        return 1;
    if (!chip->n_tier[pl->a] || (pl->pct_a < 100 && !chip->n_tier[pl->b]))
        return 0;
    int has_w = op->weight && (op->weight->flags & WL_T_WEIGHT) && (op->count <= 1);
    /* crossbars hold static weights; dynamic operands only when nothing else can */
    int other = chip->n_tier[MAP_TIER_DIGITAL] || chip->n_tier[MAP_TIER_PHOTONIC];
    if (!has_w && other && (pl->a == MAP_TIER_XBAR || (pl->pct_a < 100 && pl->b == MAP_TIER_XBAR)))
        return 0;
    if (pl->pct_a < 100 && !has_w)
        return 0; /* split columns of weighted ops only */
    if (has_w && (pl->a == MAP_TIER_XBAR || (pl->pct_a < 100 && pl->b == MAP_TIER_XBAR))) {
        /* a static slice lives on one crossbar unit: it must fit its arrays */
        uint64_t ncols = op->a_is_weight && !op->b_is_weight ? op->m : op->n;
        uint64_t na = pl->pct_a >= 100 ? ncols : ncols * pl->pct_a / 100;
        if (na == 0)
            na = 1;
        if (pl->a == MAP_TIER_XBAR && !xbar_fits(chip, op->k, na))
            return 0;
        if (pl->pct_a < 100 && pl->b == MAP_TIER_XBAR && !xbar_fits(chip, op->k, ncols - na))
            return 0;
    }
    return 1;
}

int map_build(const wl_graph_t *g, const map_chip_t *chip, const map_place_t *place,
              const map_opts_t *opts, map_schedule_t **out, char *err, size_t n)
{
    *out = NULL;
    map_opts_t o;
    map_opts_default(&o);
    if (opts)
        o = *opts;
    map_schedule_t *s = calloc(1, sizeof *s);
    if (!s)
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    pb_t pb;
    memset(&pb, 0, sizeof pb);
    pb_t *p = &pb;
    p->b.s = s;
    p->b.err = err;
    p->b.errn = n;
    p->chip = chip;
    p->g = g;
    p->stream = o.stream_weights;
    p->resident = o.xbar_resident;
    int rc = 0;
    size_t n_t = wl_graph_tensor_count(g), n_ops = wl_graph_op_count(g);
    p->n_t = n_t;
    p->refs = calloc(n_t ? n_t : 1, sizeof *p->refs);
    p->producer = malloc((n_t ? n_t : 1) * sizeof *p->producer);
    p->home = malloc((n_t ? n_t : 1) * sizeof *p->home);
    p->xfer = malloc((n_t ? n_t : 1) * MAP_TIERS * sizeof *p->xfer);
    p->addr = calloc(n_t ? n_t : 1, sizeof *p->addr);
    uint32_t *ends = NULL;
    s->workload = strdup(wl_graph_name(g) ? wl_graph_name(g) : "");
    s->source = wl_graph_source(g) ? strdup(wl_graph_source(g)) : NULL;
    s->mapper = strdup("two-stage");
    s->n_ops = n_ops;
    s->unit_names = calloc(chip->units.n ? chip->units.n : 1, sizeof *s->unit_names);
    if (!p->refs || !p->producer || !p->home || !p->xfer || !p->addr || !s->workload ||
        !s->mapper || !s->unit_names || map_units_copy(&s->units, &chip->units)) {
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < chip->units.n; i++)
        s->unit_names[i] = s->units.unit[i].name;
    s->exec.units = s->unit_names;
    s->exec.n_units = chip->units.n;
    uint64_t next_addr = 0;
    for (size_t i = 0; i < n_t; i++) {
        const wl_tensor_t *t = wl_graph_tensor(g, i);
        p->refs[i].ptr = (uintptr_t)t;
        p->refs[i].index = i;
        p->producer[i] = NO_ENTRY;
        p->home[i] = -1;
        for (int k = 0; k < MAP_TIERS; k++)
            p->xfer[i * MAP_TIERS + (size_t)k] = NO_ENTRY;
        if (t->flags & WL_T_WEIGHT) {
            p->addr[i] = next_addr;
            next_addr += (t->bytes + WEIGHT_ALIGN - 1) / WEIGHT_ALIGN * WEIGHT_ALIGN;
        }
    }
    qsort(p->refs, n_t, sizeof *p->refs, map_tref_cmp);
    s->weight_layout_bytes = next_addr;
    p->fresh_id = 0x40000000u;
    size_t cap_ends = 64;
    ends = malloc(cap_ends * sizeof *ends);
    if (!ends) {
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t oi = 0; oi < n_ops && !rc; oi++) {
        const wl_op_t *op = wl_graph_op(g, oi);
        uint64_t op_id = oi + 1;
        size_t n_ends = 0;
        int home = -1;
        size_t need = 2 * (chip->units.n + 4);
        if (need > cap_ends) {
            uint32_t *q = realloc(ends, need * sizeof *q);
            if (!q) {
                rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
                break;
            }
            ends = q;
            cap_ends = need;
        }
        const char *kind = wl_opkind_name(op->kind);
        if (op->zero_cost) {
            uint32_t e = map_bld_entry(&p->b, op, op_id, kind, -1, NULL, 1, "view: no data moved");
            if (e == NO_ENTRY) {
                rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
                break;
            }
            for (size_t k = 0; k < op->n_inputs; k++) {
                size_t ti = map_tensor_index(p->refs, n_t, op->inputs[k]);
                if (ti != SIZE_MAX && p->producer[ti] != NO_ENTRY) {
                    map_bld_pred(&p->b, p->producer[ti]);
                    if (home < 0)
                        home = p->home[ti];
                }
            }
            ends[n_ends++] = e;
        } else if (wl_opkind_is_gemm(op->kind)) {
            map_place_t pl =
                place ? place[oi] : (map_place_t){MAP_TIER_DIGITAL, MAP_TIER_DIGITAL, 100};
            if (!map_place_valid(chip, op, &pl)) {
                rc = map_fail(err, n, SIM_ERR_CONFIG,
                           "op '%s': placement %s/%s %d%% is not possible on this chip", op->name,
                           map_tier_name(pl.a), map_tier_name(pl.b), pl.pct_a);
                break;
            }
            int swap = op->a_is_weight && !op->b_is_weight;
            uint64_t ncols = swap ? op->m : op->n;
            uint64_t na = pl.pct_a >= 100 ? ncols : ncols * pl.pct_a / 100;
            if (na == 0)
                na = 1;
            rc = gemm_part(p, op, op_id, pl.a, 0, na, ends, &n_ends, &home);
            if (!rc && na < ncols) {
                int home_b = -1;
                size_t before = n_ends;
                rc = gemm_part(p, op, op_id, pl.b, na, ncols - na, ends, &n_ends, &home_b);
                /* part b's output joins part a's on tier a */
                int carrier = carrier_of(chip, pl.a, home);
                if (!rc && carrier >= 0 && pl.a != pl.b && home >= 0) {
                    dev_req_t r;
                    memset(&r, 0, sizeof r);
                    r.kind = DEV_OP_TRANSFER;
                    r.m = op->bytes_written * (ncols - na) / ncols;
                    r.k = (uint64_t)home_b;
                    r.n = (uint64_t)home;
                    if (r.m) {
                        uint32_t e = map_bld_entry(&p->b, op, op_id, "transfer", carrier, &r, 1,
                                                   "split output joins the other part");
                        if (e == NO_ENTRY) {
                            rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
                            break;
                        }
                        set_info(p, e, pl.a, NULL);
                        for (size_t d = before; d < n_ends; d++)
                            map_bld_pred(&p->b, ends[d]);
                        n_ends = before;
                        ends[n_ends++] = e;
                    }
                }
            }
        } else if (op->kind == WL_OP_EMBEDDING || op->kind == WL_OP_COPY) {
            int emb = op->kind == WL_OP_EMBEDDING;
            size_t ti = map_tensor_index(p->refs, n_t, op->weight);
            int from_dram = emb && ti != SIZE_MAX && (op->weight->flags & WL_T_WEIGHT);
            int u = from_dram ? chip->dram : chip->sram;
            uint32_t *deps = malloc((op->n_inputs + 1) * sizeof *deps);
            size_t nd = 0;
            if (!deps || (rc = wait_inputs(p, op, op_id, u, deps, &nd)) != 0) {
                free(deps);
                if (!rc)
                    rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
                break;
            }
            dev_req_t r;
            memset(&r, 0, sizeof r);
            r.kind = emb ? DEV_OP_READ : DEV_OP_WRITE;
            r.m = op->bytes_written;
            r.k = from_dram ? p->addr[ti] : 0;
            uint32_t e = map_bld_entry(&p->b, op, op_id, kind, r.m ? u : -1, r.m ? &r : NULL, 1,
                                       emb ? "gather" : "copy into the global buffer");
            if (e == NO_ENTRY) {
                free(deps);
                rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
                break;
            }
            set_info(p, e, MAP_TIER_DIGITAL, NULL);
            for (size_t d = 0; d < nd; d++)
                map_bld_pred(&p->b, deps[d]);
            free(deps);
            ends[n_ends++] = e;
            home = u;
        } else {
            rc = vector_op(p, op, op_id, ends, &n_ends, &home);
        }
        if (rc)
            break;
        uint32_t last = n_ends ? ends[0] : NO_ENTRY;
        if (n_ends > 1) { /* a join: consumers wait for one entry */
            last = map_bld_entry(&p->b, op, op_id, "join", -1, NULL, 1, "all parts done");
            if (last == NO_ENTRY) {
                rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
                break;
            }
            for (size_t d = 0; d < n_ends; d++)
                map_bld_pred(&p->b, ends[d]);
        }
        for (size_t k = 0; k < op->n_outputs; k++) {
            size_t ti = map_tensor_index(p->refs, n_t, op->outputs[k]);
            if (ti != SIZE_MAX) {
                p->producer[ti] = last;
                p->home[ti] = home;
            }
        }
    }
    if (!rc) {
        char msg[256];
        if (map_exec_check(&s->exec, msg, sizeof msg))
            rc = map_fail(err, n, SIM_ERR_CONFIG, "internal: %s", msg);
    }
done:
    free(ends);
    free(p->refs);
    free(p->producer);
    free(p->home);
    free(p->xfer);
    free(p->addr);
    if (rc) {
        map_schedule_free(s);
        return rc;
    }
    *out = s;
    return 0;
}
