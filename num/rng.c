/* Counter-based random numbers: every draw is a hash of (seed, stream,
 * counter) through the SplitMix64 finalizer (Steele, Lea, Flood, OOPSLA
 * 2014), so a value never depends on the order in which draws are made. */
#include "num/num.h"

#include <math.h>

uint64_t num_splitmix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t num_mix64(uint64_t z)
{
    return num_splitmix64(z + NUM_GOLDEN_GAMMA);
}

uint64_t num_rand_u64(uint64_t seed, uint64_t stream, uint64_t counter)
{
    return num_mix64(num_mix64(num_mix64(seed) ^ stream) ^ counter);
}

double num_uniform(uint64_t seed, uint64_t stream, uint64_t counter)
{
    /* 53 random bits plus half a step: never 0, never 1 */
    return ((double)(num_rand_u64(seed, stream, counter) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double num_gauss(uint64_t seed, uint64_t stream, uint64_t counter)
{
    double u1 = num_uniform(seed, stream, 2 * counter);
    double u2 = num_uniform(seed, stream, 2 * counter + 1);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
