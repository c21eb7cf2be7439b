/* Counter-based random numbers: draw i of stream (seed, component) is
 * mix(key + i * gamma), the SplitMix64 finalizer (Steele, Lea, Flood,
 * "Fast splittable pseudorandom number generators", OOPSLA 2014). The key is
 * itself a mix of seed and stream id, so draws depend only on (seed,
 * component, draw index), never on event interleaving or process count. */
#include "num/num.h"
#include "sim/sim_int.h"

#include <math.h>

#define GOLDEN_GAMMA NUM_GOLDEN_GAMMA

/* the finalizer is num/'s (the one SplitMix64 of prism) */
uint64_t sim_hash64(uint64_t x)
{
    return num_splitmix64(x);
}

void sim_rng_init(sim_rng_t *r, uint64_t seed, uint64_t stream)
{
    r->key = sim_hash64(sim_hash64(seed + GOLDEN_GAMMA) ^ (stream * 0xd1b54a32d192ed03ull + 1));
    r->counter = 0;
}

uint64_t sim_rng_next(sim_rng_t *r)
{
    return sim_hash64(r->key + (++r->counter) * GOLDEN_GAMMA);
}

double sim_rng_next_uniform(sim_rng_t *r)
{
    /* 52 random bits plus half a step: (k + 0.5) / 2^52 is exact in a double,
     * so the result is never 0 and never 1 */
    return ((double)(sim_rng_next(r) >> 12) + 0.5) * (1.0 / 4503599627370496.0);
}

double sim_rng_next_normal(sim_rng_t *r)
{
    /* Box-Muller, one value per two draws (no cached state: stays counter-based) */
    double u1 = sim_rng_next_uniform(r);
    double u2 = sim_rng_next_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t sim_rng_u64(sim_comp_t *c) { return sim_rng_next(&c->rng); }
double sim_rng_uniform(sim_comp_t *c) { return sim_rng_next_uniform(&c->rng); }
double sim_rng_normal(sim_comp_t *c) { return sim_rng_next_normal(&c->rng); }
double sim_rng_exp(sim_comp_t *c, double mean) { return -mean * log(sim_rng_next_uniform(&c->rng)); }
