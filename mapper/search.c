/* H3PIMAP-style two-stage mapping.
 * Stage 1: NSGA-II (Deb, Pratap, Agarwal, Meyarivan, "A fast and elitist
 * multiobjective genetic algorithm: NSGA-II", IEEE TEC 2002) over each GEMM
 * op's placement and split (whole op on one tier, or its output columns split
 * 50/50 between two), for the Pareto front of latency and energy. Every
 * candidate is priced by building its schedule and estimating it with the
 * devices' own cost queries (map_estimate): weight programming, photonic
 * reprogramming and transfers are in the schedule, so they are in the price.
 * Stage 2: accuracy-driven remapping: while the predicted KL (the sum of the
 * sensitivity profile's KL of every projection that runs analog, times its
 * analog fraction) is above the target, apply the move to a precise tier that
 * costs least per unit of KL removed. All randomness is a counter-based
 * stream of the search seed: same inputs, same front. */
#include "mapper/map_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const map_place_t OPTIONS[] = {
    {MAP_TIER_DIGITAL, MAP_TIER_DIGITAL, 100},   {MAP_TIER_XBAR, MAP_TIER_XBAR, 100},
    {MAP_TIER_PHOTONIC, MAP_TIER_PHOTONIC, 100}, {MAP_TIER_XBAR, MAP_TIER_DIGITAL, 50},
    {MAP_TIER_PHOTONIC, MAP_TIER_DIGITAL, 50},   {MAP_TIER_XBAR, MAP_TIER_PHOTONIC, 50},
};
#define N_OPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

void map_search_opts_default(map_search_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->population = 32;
    o->generations = 40;
    o->seed = 1;
    o->kl_target = -1;
}

/* ---- the gene space ------------------------------------------------------------------ */
typedef struct space {
    map_ctx_t *ctx;
    const wl_graph_t *g;
    const map_chip_t *chip;
    size_t n_ops, n_genes;
    size_t *gene_op;    /* op index of gene i */
    uint8_t *opts;      /* n_genes x N_OPTIONS valid option indexes */
    uint8_t *n_valid;   /* per gene */
    double *kl;         /* per gene: profile KL of the op's projection (0 none) */
    map_place_t *place; /* scratch, per op */
    uint64_t rng_seed, rng_ctr;
} space_t;

static double urand(space_t *s)
{
    uint64_t z = num_splitmix64(s->rng_seed * NUM_GOLDEN_GAMMA +
                                (s->rng_ctr++) * 0xbf58476d1ce4e5b9ull);
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static size_t urand_n(space_t *s, size_t n)
{
    size_t k = (size_t)(urand(s) * (double)n);
    return k < n ? k : n - 1;
}

static int is_analog(int tier)
{
    return tier == MAP_TIER_XBAR || tier == MAP_TIER_PHOTONIC;
}

static double analog_frac(const map_place_t *p)
{
    double f = is_analog(p->a) ? p->pct_a / 100.0 : 0.0;
    if (p->pct_a < 100 && is_analog(p->b))
        f += (100 - p->pct_a) / 100.0;
    return f;
}

/* genome -> placement, repairing crossbar capacity (one static slice per unit) */
static void decode(space_t *s, const uint8_t *genome, map_place_t *place)
{
    for (size_t i = 0; i < s->n_ops; i++)
        place[i] = OPTIONS[0];
    size_t cap = s->chip->n_tier[MAP_TIER_XBAR], used = 0;
    int has_other = s->chip->n_tier[MAP_TIER_DIGITAL] || s->chip->n_tier[MAP_TIER_PHOTONIC];
    /* dynamic GEMMs on an all-crossbar chip need free units too */
    size_t reserve = has_other ? 0 : (cap > 4 ? 4 : 0);
    for (size_t gi = 0; gi < s->n_genes; gi++) {
        map_place_t p = OPTIONS[s->opts[gi * N_OPTIONS + genome[gi]]];
        const wl_op_t *op = wl_graph_op(s->g, s->gene_op[gi]);
        int static_w = op->weight && (op->weight->flags & WL_T_WEIGHT) && op->count <= 1;
        int slices =
            static_w ? (p.a == MAP_TIER_XBAR) + (p.pct_a < 100 && p.b == MAP_TIER_XBAR) : 0;
        if (slices && used + (size_t)slices + reserve > cap) {
            /* no room: the first valid option without the crossbar */
            for (size_t k = 0; k < s->n_valid[gi]; k++) {
                map_place_t q = OPTIONS[s->opts[gi * N_OPTIONS + k]];
                if (q.a != MAP_TIER_XBAR && !(q.pct_a < 100 && q.b == MAP_TIER_XBAR)) {
                    p = q;
                    break;
                }
            }
            slices = (p.a == MAP_TIER_XBAR) + (p.pct_a < 100 && p.b == MAP_TIER_XBAR);
            if (slices) /* nothing else possible: leave it; map_build reports the overflow */
                slices = 0;
        }
        used += (size_t)slices;
        place[s->gene_op[gi]] = p;
    }
}

static double genome_kl(const space_t *s, const map_place_t *place)
{
    double kl = 0;
    for (size_t gi = 0; gi < s->n_genes; gi++)
        kl += s->kl[gi] * analog_frac(&place[s->gene_op[gi]]);
    return kl;
}

typedef struct indiv {
    uint8_t *genome;
    double obj[2]; /* latency ps, energy pJ */
    double kl;
    int rank;
    double crowd;
    int ok;
} indiv_t;

static int evaluate(space_t *s, indiv_t *x, char *err, size_t n)
{
    decode(s, x->genome, s->place);
    map_estimate_t e;
    int rc = map_ctx_eval(s->ctx, s->place, &e, err, n);
    if (rc) {
        x->ok = 0;
        x->obj[0] = x->obj[1] = INFINITY;
        return rc == SIM_ERR_NOMEM ? rc : 0;
    }
    x->ok = 1;
    x->obj[0] = (double)e.makespan_ps;
    x->obj[1] = e.energy_pj;
    x->kl = genome_kl(s, s->place);
    map_estimate_free(&e);
    return 0;
}

static int dominates(const indiv_t *a, const indiv_t *b)
{
    return a->obj[0] <= b->obj[0] && a->obj[1] <= b->obj[1] &&
           (a->obj[0] < b->obj[0] || a->obj[1] < b->obj[1]);
}

/* fast non-dominated sort + crowding distance over pop[0..n) */
static void rank_pop(indiv_t *pop, size_t n)
{
    int *dom_count = calloc(n, sizeof *dom_count);
    int *assigned = calloc(n, sizeof *assigned);
    size_t *idx = malloc(n * sizeof *idx);
    if (!dom_count || !assigned || !idx) {
        free(dom_count);
        free(assigned);
        free(idx);
        for (size_t i = 0; i < n; i++)
            pop[i].rank = 0, pop[i].crowd = 0;
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j && dominates(&pop[j], &pop[i]))
                dom_count[i]++;
    size_t left = n;
    for (int r = 0; left; r++) {
        size_t nf = 0;
        for (size_t i = 0; i < n; i++)
            if (!assigned[i] && dom_count[i] == 0)
                idx[nf++] = i;
        for (size_t k = 0; k < nf; k++) {
            assigned[idx[k]] = 1;
            pop[idx[k]].rank = r;
            pop[idx[k]].crowd = 0;
        }
        left -= nf;
        for (size_t k = 0; k < nf; k++)
            for (size_t j = 0; j < n; j++)
                if (!assigned[j] && dominates(&pop[idx[k]], &pop[j]))
                    dom_count[j]--;
        /* crowding distance of this front */
        for (int m = 0; m < 2 && nf; m++) {
            for (size_t a = 1; a < nf; a++) /* insertion sort by objective m */
                for (size_t b = a; b > 0 && pop[idx[b]].obj[m] < pop[idx[b - 1]].obj[m]; b--) {
                    size_t t = idx[b];
                    idx[b] = idx[b - 1];
                    idx[b - 1] = t;
                }
            double lo = pop[idx[0]].obj[m], hi = pop[idx[nf - 1]].obj[m];
            pop[idx[0]].crowd = pop[idx[nf - 1]].crowd = INFINITY;
            for (size_t a = 1; a + 1 < nf; a++)
                if (hi > lo)
                    pop[idx[a]].crowd +=
                        (pop[idx[a + 1]].obj[m] - pop[idx[a - 1]].obj[m]) / (hi - lo);
        }
        if (!nf)
            break;
    }
    free(dom_count);
    free(assigned);
    free(idx);
}

static int better(const indiv_t *a, const indiv_t *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->crowd > b->crowd);
}

static size_t tournament(space_t *s, const indiv_t *pop, size_t n)
{
    size_t a = urand_n(s, n), b = urand_n(s, n);
    return better(&pop[a], &pop[b]) ? a : b;
}

/* ---- results -------------------------------------------------------------------------- */
void map_search_result_free(map_search_result_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_front; i++)
        free(r->front[i].place);
    free(r->front);
    free(r->chosen);
    for (size_t i = 0; i < r->n_baselines; i++)
        free(r->baseline[i].place);
    free(r->baseline);
    free(r->moves);
    memset(r, 0, sizeof *r);
}

static int add_point(map_point_t **arr, size_t *n, const char *name, const map_place_t *place,
                     size_t n_ops, double lat, double en, double kl)
{
    map_point_t *q = realloc(*arr, (*n + 1) * sizeof *q);
    if (!q)
        return SIM_ERR_NOMEM;
    *arr = q;
    map_point_t *p = &q[(*n)++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->latency_ps = lat;
    p->energy_pj = en;
    p->kl = kl;
    p->place = malloc(n_ops * sizeof *p->place);
    if (!p->place)
        return SIM_ERR_NOMEM;
    memcpy(p->place, place, n_ops * sizeof *place);
    return 0;
}

/* evaluate a full placement; 0 and objectives, or SIM_ERR_CONFIG when impossible */
static int eval_place(space_t *s, const map_place_t *place, double *lat, double *en, char *err,
                      size_t n)
{
    map_estimate_t e;
    int rc = map_ctx_eval(s->ctx, place, &e, err, n);
    if (rc)
        return rc;
    *lat = (double)e.makespan_ps;
    *en = e.energy_pj;
    map_estimate_free(&e);
    return 0;
}

/* baselines: each tier alone (where possible), layer-wise round robin, greedy by size */
static int baselines(space_t *s, map_search_result_t *r, uint8_t *seeds, size_t *n_seeds, char *err,
                     size_t n)
{
    map_place_t *pl = malloc(s->n_ops * sizeof *pl);
    uint8_t *genome = calloc(s->n_genes ? s->n_genes : 1, 1);
    if (!pl || !genome) {
        free(pl);
        free(genome);
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    }
    static const char *const names[] = {"all-digital tier", "all-xbar tier", "all-photonic tier"};
    int rc = 0;
    for (int t = 0; t < MAP_TIERS + 2 && !rc; t++) {
        const char *name;
        if (t < MAP_TIERS) {
            if (!s->chip->n_tier[t])
                continue;
            name = names[t];
            for (size_t gi = 0; gi < s->n_genes; gi++) {
                genome[gi] = 0;
                for (size_t k = 0; k < s->n_valid[gi]; k++)
                    if (OPTIONS[s->opts[gi * N_OPTIONS + k]].a == t &&
                        OPTIONS[s->opts[gi * N_OPTIONS + k]].pct_a == 100)
                        genome[gi] = (uint8_t)k;
            }
        } else if (t == MAP_TIERS) {
            /* layer-wise round robin over the tiers present */
            name = "round robin by layer";
            int tiers[MAP_TIERS], nt = 0;
            for (int k = 0; k < MAP_TIERS; k++)
                if (s->chip->n_tier[k])
                    tiers[nt++] = k;
            for (size_t gi = 0; gi < s->n_genes; gi++) {
                const wl_op_t *op = wl_graph_op(s->g, s->gene_op[gi]);
                int want = tiers[(op->layer < 0 ? 0 : op->layer) % nt];
                genome[gi] = 0;
                for (size_t k = 0; k < s->n_valid[gi]; k++)
                    if (OPTIONS[s->opts[gi * N_OPTIONS + k]].a == want &&
                        OPTIONS[s->opts[gi * N_OPTIONS + k]].pct_a == 100)
                        genome[gi] = (uint8_t)k;
            }
        } else {
            /* greedy by size: the largest weights to the crossbars while they have room,
             * the rest digital (or photonic when there is no digital tier) */
            name = "greedy by size";
            size_t *ord = malloc(s->n_genes * sizeof *ord);
            if (!ord) {
                rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
                break;
            }
            for (size_t gi = 0; gi < s->n_genes; gi++)
                ord[gi] = gi;
            for (size_t a = 1; a < s->n_genes; a++)
                for (size_t b = a; b > 0 && wl_graph_op(s->g, s->gene_op[ord[b]])->macs >
                                                wl_graph_op(s->g, s->gene_op[ord[b - 1]])->macs;
                     b--) {
                    size_t tmp = ord[b];
                    ord[b] = ord[b - 1];
                    ord[b - 1] = tmp;
                }
            int fallback = s->chip->n_tier[MAP_TIER_DIGITAL] ? MAP_TIER_DIGITAL : MAP_TIER_PHOTONIC;
            size_t room = s->chip->n_tier[MAP_TIER_XBAR];
            for (size_t a = 0; a < s->n_genes; a++) {
                size_t gi = ord[a];
                int want = fallback;
                const wl_op_t *op = wl_graph_op(s->g, s->gene_op[gi]);
                if (room && op->weight && (op->weight->flags & WL_T_WEIGHT) && op->count <= 1) {
                    want = MAP_TIER_XBAR;
                    room--;
                }
                genome[gi] = 0;
                for (size_t k = 0; k < s->n_valid[gi]; k++)
                    if (OPTIONS[s->opts[gi * N_OPTIONS + k]].a == want &&
                        OPTIONS[s->opts[gi * N_OPTIONS + k]].pct_a == 100)
                        genome[gi] = (uint8_t)k;
            }
            free(ord);
        }
        decode(s, genome, pl);
        double lat, en;
        char e2[512];
        if (eval_place(s, pl, &lat, &en, e2, sizeof e2))
            continue; /* not possible on this chip */
        rc =
            add_point(&r->baseline, &r->n_baselines, name, pl, s->n_ops, lat, en, genome_kl(s, pl));
        /* the baselines seed the search */
        memcpy(seeds + (*n_seeds)++ * s->n_genes, genome, s->n_genes);
    }
    free(pl);
    free(genome);
    return rc;
}

/* ---- stage 2 ------------------------------------------------------------------------------ */
static int stage2(space_t *s, map_search_result_t *r, double target, char *err, size_t n)
{
    map_place_t *cur = r->chosen;
    double kl = genome_kl(s, cur), lat, en;
    int rc = eval_place(s, cur, &lat, &en, err, n);
    if (rc)
        return rc;
    map_place_t *trial = malloc(s->n_ops * sizeof *trial);
    if (!trial)
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    while (kl > target) {
        /* candidate moves: the analog part of one projection to a precise tier */
        double best = INFINITY, best_lat = 0, best_en = 0;
        size_t best_g = SIZE_MAX;
        map_place_t best_p = OPTIONS[0];
        for (size_t gi = 0; gi < s->n_genes; gi++) {
            map_place_t p = cur[s->gene_op[gi]];
            double f = analog_frac(&p);
            if (f <= 0 || s->kl[gi] <= 0)
                continue;
            map_place_t q = {MAP_TIER_DIGITAL, MAP_TIER_DIGITAL, 100};
            if (!s->chip->n_tier[MAP_TIER_DIGITAL])
                continue; /* no precise tier to move to */
            memcpy(trial, cur, s->n_ops * sizeof *trial);
            trial[s->gene_op[gi]] = q;
            double tl, te;
            char e2[512];
            if (eval_place(s, trial, &tl, &te, e2, sizeof e2))
                continue;
            /* cost of the move (relative latency + energy increase, floored so free
             * moves rank by benefit) per unit of KL removed */
            double cost = (tl - lat) / lat + (te - en) / en;
            if (cost < 1e-9)
                cost = 1e-9;
            double per = cost / (s->kl[gi] * f);
            if (per < best) {
                best = per;
                best_g = gi;
                best_p = q;
                best_lat = tl;
                best_en = te;
            }
        }
        if (best_g == SIZE_MAX)
            break;
        map_move_t *mv = realloc(r->moves, (r->n_moves + 1) * sizeof *mv);
        if (!mv) {
            free(trial);
            return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        }
        r->moves = mv;
        map_move_t *m = &r->moves[r->n_moves++];
        memset(m, 0, sizeof *m);
        const wl_op_t *op = wl_graph_op(s->g, s->gene_op[best_g]);
        snprintf(m->op, sizeof m->op, "%s", op->name);
        m->from = cur[s->gene_op[best_g]];
        m->to = best_p;
        m->kl_removed = s->kl[best_g] * analog_frac(&cur[s->gene_op[best_g]]);
        cur[s->gene_op[best_g]] = best_p;
        kl -= m->kl_removed;
        m->latency_ps = lat = best_lat;
        m->energy_pj = en = best_en;
        m->kl_after = kl;
    }
    /* clean-up: a late, large move can leave slack under the target; undo
     * earlier moves that still fit in it, the one that saves the most first */
    for (;;) {
        double best = 0, best_lat = 0, best_en = 0;
        size_t best_m = SIZE_MAX, best_op = 0;
        for (size_t mi = 0; mi < r->n_moves; mi++) {
            const map_move_t *mv = &r->moves[mi];
            if (mv->undone || mv->kl_removed <= 0 || kl + mv->kl_removed > target)
                continue;
            size_t op = SIZE_MAX;
            for (size_t gi = 0; gi < s->n_genes && op == SIZE_MAX; gi++)
                if (!strcmp(wl_graph_op(s->g, s->gene_op[gi])->name, mv->op))
                    op = s->gene_op[gi];
            if (op == SIZE_MAX)
                continue;
            memcpy(trial, cur, s->n_ops * sizeof *trial);
            trial[op] = mv->from;
            double tl, te;
            char e2[512];
            if (eval_place(s, trial, &tl, &te, e2, sizeof e2))
                continue;
            double gain = (lat - tl) / lat + (en - te) / en;
            if (gain > best) {
                best = gain, best_m = mi, best_op = op, best_lat = tl, best_en = te;
            }
        }
        if (best_m == SIZE_MAX)
            break;
        map_move_t *mv = &r->moves[best_m];
        cur[best_op] = mv->from;
        mv->undone = 1;
        kl += mv->kl_removed;
        lat = best_lat;
        en = best_en;
        r->n_undone++;
    }
    free(trial);
    r->chosen_latency_ps = lat;
    r->chosen_energy_pj = en;
    r->chosen_kl = kl;
    r->quality_met = kl <= target;
    return 0;
}

static void space_free(space_t *s)
{
    free(s->gene_op);
    free(s->opts);
    free(s->n_valid);
    free(s->kl);
    free(s->place);
}

/* the genes (GEMM ops), their valid options and their profile KL */
static int space_genes(space_t *s, const map_profile_t *profile, char *err, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < s->n_ops; i++) {
        const wl_op_t *op = wl_graph_op(s->g, i);
        if (!wl_opkind_is_gemm(op->kind))
            continue;
        size_t gi = s->n_genes;
        for (size_t k = 0; k < N_OPTIONS; k++)
            if (map_place_valid(s->chip, op, &OPTIONS[k]))
                s->opts[gi * N_OPTIONS + s->n_valid[gi]++] = (uint8_t)k;
        if (!s->n_valid[gi]) {
            if (s->chip->xbar_arrays && s->chip->n_tier[MAP_TIER_XBAR])
                rc = map_fail(err, n, SIM_ERR_CONFIG,
                        "op '%s' (%s) has no tier it can run on (a crossbar unit holds %llu "
                        "arrays of %llu x %llu weights; a %llu x %llu weight does not fit)",
                        op->name, wl_opkind_name(op->kind),
                        (unsigned long long)s->chip->xbar_arrays,
                        (unsigned long long)s->chip->xbar_rows,
                        (unsigned long long)s->chip->xbar_cols, (unsigned long long)op->k,
                        (unsigned long long)(op->a_is_weight && !op->b_is_weight ? op->m : op->n));
            else
                rc = map_fail(err, n, SIM_ERR_CONFIG, "op '%s' (%s) has no tier it can run on",
                        op->name, wl_opkind_name(op->kind));
            return rc;
        }
        for (int p = 0; profile && p < profile->n; p++)
            if (!strcmp(profile->row[p].name, op->name))
                s->kl[gi] = profile->row[p].kl_mean > 0 ? profile->row[p].kl_mean : 0;
        s->gene_op[s->n_genes++] = i;
    }
    return rc;
}

/* ---- the search ------------------------------------------------------------------------- */
int map_search(map_ctx_t *ctx, const map_search_opts_t *o, const map_profile_t *profile,
               map_search_result_t *r, char *err, size_t n)
{
    memset(r, 0, sizeof *r);
    space_t s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.g = map_ctx_graph(ctx);
    s.chip = map_ctx_chip(ctx);
    s.n_ops = wl_graph_op_count(s.g);
    s.rng_seed = o->seed;
    int rc = 0;
    s.gene_op = malloc(s.n_ops * sizeof *s.gene_op);
    s.opts = malloc(s.n_ops * N_OPTIONS);
    s.n_valid = calloc(s.n_ops ? s.n_ops : 1, 1);
    s.kl = calloc(s.n_ops ? s.n_ops : 1, sizeof *s.kl);
    s.place = malloc(s.n_ops * sizeof *s.place);
    size_t P = o->population < 4 ? 4 : (size_t)o->population;
    P += P & 1;
    indiv_t *pop = calloc(2 * P, sizeof *pop);
    uint8_t *genes = NULL;
    if (!s.gene_op || !s.opts || !s.n_valid || !s.kl || !s.place || !pop) {
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = space_genes(&s, profile, err, n)) != 0)
        goto done;
    genes = calloc(2 * P * (s.n_genes ? s.n_genes : 1), 1);
    if (!genes) {
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < 2 * P; i++)
        pop[i].genome = genes + i * (s.n_genes ? s.n_genes : 1);
    uint8_t *seeds = malloc((MAP_TIERS + 2) * (s.n_genes ? s.n_genes : 1));
    size_t n_seeds = 0;
    if (!seeds) {
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = baselines(&s, r, seeds, &n_seeds, err, n)) != 0) {
        free(seeds);
        goto done;
    }
    /* initial population: the baselines, the single-option genomes, then random ones */
    for (size_t i = 0; i < P; i++) {
        for (size_t gi = 0; gi < s.n_genes; gi++) {
            size_t j = i < n_seeds ? 0 : i - n_seeds;
            pop[i].genome[gi] = i < n_seeds     ? seeds[i * s.n_genes + gi]
                                : j < N_OPTIONS ? (uint8_t)(j < s.n_valid[gi] ? j : 0)
                                                : (uint8_t)urand_n(&s, s.n_valid[gi]);
        }
        if ((rc = evaluate(&s, &pop[i], err, n)) != 0) {
            free(seeds);
            goto done;
        }
        r->evaluations++;
    }
    free(seeds);
    rank_pop(pop, P);
    int gens = o->generations < 0 ? 0 : o->generations;
    for (int gen = 0; gen < gens; gen++) {
        for (size_t i = P; i < 2 * P; i += 2) {
            const indiv_t *a = &pop[tournament(&s, pop, P)], *b = &pop[tournament(&s, pop, P)];
            for (size_t gi = 0; gi < s.n_genes; gi++) {
                int swap = urand(&s) < 0.5; /* uniform crossover */
                pop[i].genome[gi] = swap ? b->genome[gi] : a->genome[gi];
                pop[i + 1].genome[gi] = swap ? a->genome[gi] : b->genome[gi];
                for (int c = 0; c < 2; c++) /* mutation: one gene in n_genes on average */
                    if (urand(&s) < 1.0 / (double)s.n_genes)
                        pop[i + (size_t)c].genome[gi] = (uint8_t)urand_n(&s, s.n_valid[gi]);
            }
            for (int c = 0; c < 2; c++) {
                if ((rc = evaluate(&s, &pop[i + (size_t)c], err, n)) != 0)
                    goto done;
                r->evaluations++;
            }
        }
        /* elitist survival: the best P of parents + children */
        rank_pop(pop, 2 * P);
        for (size_t a = 1; a < 2 * P; a++)
            for (size_t b = a; b > 0 && better(&pop[b], &pop[b - 1]); b--) {
                indiv_t t = pop[b];
                pop[b] = pop[b - 1];
                pop[b - 1] = t;
            }
        rank_pop(pop, P);
        if (o->progress)
            o->progress(o->progress_ctx, gen + 1, gens);
    }
    /* the front: rank 0 of the final population, distinct objective pairs */
    for (size_t i = 0; i < P; i++) {
        if (pop[i].rank != 0 || !pop[i].ok)
            continue;
        int dup = 0;
        for (size_t j = 0; j < r->n_front; j++)
            dup |=
                r->front[j].latency_ps == pop[i].obj[0] && r->front[j].energy_pj == pop[i].obj[1];
        if (dup)
            continue;
        decode(&s, pop[i].genome, s.place);
        char name[32];
        snprintf(name, sizeof name, "pareto %zu", r->n_front);
        if ((rc = add_point(&r->front, &r->n_front, name, s.place, s.n_ops, pop[i].obj[0],
                            pop[i].obj[1], pop[i].kl)) != 0) {
            rc = map_fail(err, n, rc, "out of memory");
            goto done;
        }
    }
    if (!r->n_front) {
        rc = map_fail(err, n, SIM_ERR_CONFIG, "no placement of this workload runs on this chip");
        goto done;
    }
    /* sort the front by latency */
    for (size_t a = 1; a < r->n_front; a++)
        for (size_t b = a; b > 0 && r->front[b].latency_ps < r->front[b - 1].latency_ps; b--) {
            map_point_t t = r->front[b];
            r->front[b] = r->front[b - 1];
            r->front[b - 1] = t;
        }
    for (size_t i = 0; i < r->n_front; i++)
        snprintf(r->front[i].name, sizeof r->front[i].name, "pareto %zu", i);
    r->n_genes = s.n_genes;
    /* stage 1's pick: the knee (least latency/min + energy/min) */
    size_t pick = 0;
    double lmin = r->front[0].latency_ps, emin = INFINITY, best = INFINITY;
    for (size_t i = 0; i < r->n_front; i++)
        if (r->front[i].energy_pj < emin)
            emin = r->front[i].energy_pj;
    for (size_t i = 0; i < r->n_front; i++) {
        double v = r->front[i].latency_ps / lmin + r->front[i].energy_pj / emin;
        if (o->objective == 1)
            v = r->front[i].latency_ps;
        else if (o->objective == 2)
            v = r->front[i].energy_pj;
        if (v < best)
            best = v, pick = i;
    }
    r->stage1_pick = pick;
    r->n_ops = s.n_ops;
    r->chosen = malloc(s.n_ops * sizeof *r->chosen);
    if (!r->chosen) {
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        goto done;
    }
    memcpy(r->chosen, r->front[pick].place, s.n_ops * sizeof *r->chosen);
    r->chosen_latency_ps = r->front[pick].latency_ps;
    r->chosen_energy_pj = r->front[pick].energy_pj;
    r->chosen_kl = r->front[pick].kl;
    r->quality_met = 1;
    r->chosen_kl_measured = -1;
    if (o->kl_target >= 0 && profile)
        rc = stage2(&s, r, o->kl_target, err, n);
done:
    free(s.gene_op);
    free(s.opts);
    free(s.n_valid);
    free(s.kl);
    free(s.place);
    free(pop);
    free(genes);
    if (rc)
        map_search_result_free(r);
    return rc;
}

int map_search_refine(map_ctx_t *ctx, const map_profile_t *profile, double target,
                      map_search_result_t *r, char *err, size_t n)
{
    space_t s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.g = map_ctx_graph(ctx);
    s.chip = map_ctx_chip(ctx);
    s.n_ops = wl_graph_op_count(s.g);
    s.gene_op = malloc(s.n_ops * sizeof *s.gene_op);
    s.opts = malloc(s.n_ops * N_OPTIONS);
    s.n_valid = calloc(s.n_ops ? s.n_ops : 1, 1);
    s.kl = calloc(s.n_ops ? s.n_ops : 1, sizeof *s.kl);
    s.place = malloc(s.n_ops * sizeof *s.place);
    int rc;
    if (!s.gene_op || !s.opts || !s.n_valid || !s.kl || !s.place)
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    else if ((rc = space_genes(&s, profile, err, n)) == 0)
        rc = stage2(&s, r, target, err, n);
    space_free(&s);
    return rc;
}

/* ---- measured quality (a GPT-2 directory: the real forward pass) ------------------------ */
/* mean KL of the mapping, every projection on an analog tier noisy at once */
int map_measure_kl(const char *dir, map_ctx_t *ctx, const map_place_t *chosen, double *kl,
                   double *ce, char *err, size_t n)
{
    map_profile_opts_t po;
    map_profile_opts_default(&po);
    po.dir = dir;
    map_quality_t *q = NULL;
    int rc = map_quality_open(&po, &q, err, n);
    if (rc)
        return rc;
    map_execset_t *set = map_execset_create(map_quality_n_proj(q));
    const wl_graph_t *g = map_ctx_graph(ctx);
    for (int p = 0; set && !rc && p < map_quality_n_proj(q); p++)
        for (size_t i = 0; i < wl_graph_op_count(g); i++)
            if (!strcmp(wl_graph_op(g, i)->name, map_quality_proj_name(q, p)) &&
                (chosen[i].a != MAP_TIER_DIGITAL ||
                 (chosen[i].pct_a < 100 && chosen[i].b != MAP_TIER_DIGITAL)))
                rc = map_execset_analog(set, p, &po, map_profile_seed(po.seed, 0), err, n);
    if (!set) {
        snprintf(err, n, "out of memory");
        rc = SIM_ERR_NOMEM;
    }
    if (!rc) {
        wl_executor_t ex = map_execset_executor(set);
        rc = map_quality_measure(q, &ex, kl, ce, err, n);
    }
    map_execset_free(set);
    map_quality_close(q);
    return rc;
}

int map_search_measured(map_ctx_t *ctx, const map_profile_t *profile, const char *dir,
                        double target, map_search_result_t *r, double *kl, double *ce, char *err,
                        size_t n)
{
    double eff = target;
    for (int round = 0; round < 8; round++) {
        int rc = map_measure_kl(dir, ctx, r->chosen, kl, ce, err, n);
        if (rc)
            return rc;
        r->chosen_kl_measured = *kl;
        r->quality_met = *kl <= target;
        if (*kl <= target || r->chosen_kl <= 0)
            return 0;
        eff *= 0.9 * target / *kl;
        if ((rc = map_search_refine(ctx, profile, eff, r, err, n)) != 0)
            return rc;
    }
    return 0;
}
