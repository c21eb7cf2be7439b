/* The classic "hold" loop on a bare binary heap: pop the minimum, push it
 * back at t + Exp(1) (integer ps, mean 1e6 ps), N entries. The bound a
 * discrete-event engine's queue can approach; bench/phold is measured
 * against it. Usage: bench/hold --n N [--ops M] [--json]. */
#include "bench/bench_common.h"
#include "sim/sim.h"

#include <math.h>
#include <stdint.h>

static uint64_t *heap;
static size_t heap_n;

static void push(uint64_t v)
{
    size_t i = heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (heap[p] <= v)
            break;
        heap[i] = heap[p];
        i = p;
    }
    heap[i] = v;
}

static uint64_t pop(void)
{
    uint64_t top = heap[0], v = heap[--heap_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= heap_n)
            break;
        if (c + 1 < heap_n && heap[c + 1] < heap[c])
            c++;
        if (heap[c] >= v)
            break;
        heap[i] = heap[c];
        i = c;
    }
    heap[i] = v;
    return top;
}

int main(int argc, char **argv)
{
    if (bench_flag(argc, argv, "--help")) {
        printf("usage: bench/hold --n N [--ops M] [--json]\n");
        return 0;
    }
    const char *a;
    long n = (a = bench_arg(argc, argv, "--n")) ? atol(a) : 1024;
    long long ops = (a = bench_arg(argc, argv, "--ops")) ? atoll(a) : 20000000;
    int json = bench_flag(argc, argv, "--json");
    if (n < 1 || ops < 1) {
        fprintf(stderr, "hold: --n and --ops must be positive\n");
        return 2;
    }
    heap = malloc((size_t)n * sizeof *heap);
    sim_rng_t r;
    sim_rng_init(&r, 1, 0);
    for (long i = 0; i < n; i++)
        push((uint64_t)llround(-1e6 * log(sim_rng_next_uniform(&r))));
    double t0 = bench_now(), c0 = bench_cpu();
    uint64_t sum = 0;
    for (long long i = 0; i < ops; i++) {
        uint64_t t = pop();
        sum += t;
        push(t + (uint64_t)llround(-1e6 * log(sim_rng_next_uniform(&r))));
    }
    double wall = bench_now() - t0, cpu = bench_cpu() - c0;
    if (json)
        printf("{\"n\":%ld,\"ops\":%lld,\"wall_s\":%.6f,\"ops_per_s\":%.0f,\"cpu_s\":%.4f,"
               "\"ops_per_cpu_s\":%.0f,\"checksum\":%llu}\n",
               n, ops, wall, (double)ops / wall, cpu, (double)ops / cpu,
               (unsigned long long)(sum & 0xffff));
    else
        printf("hold: %ld entries, %lld pop+push in %.3f s = %.2f M ops/s (%.3f s on a CPU: %.2f M "
               "ops/s)\n",
               n, ops, wall, (double)ops / wall / 1e6, cpu, (double)ops / cpu / 1e6);
    free(heap);
    return 0;
}
