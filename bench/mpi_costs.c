/* The unit costs of a distributed run's synchronisation on this machine,
 * the inputs of `prism partition`'s speed-up prediction (run/run_util.c):
 * a window's MPI_Allreduce of 3 words, one message to a peer (a pairwise
 * step of an all-to-all of one count per rank) and the cost per byte of a
 * two-rank exchange of 1,000 events beyond that message's own cost. Mean of
 * --reps repetitions, slowest rank.
 * Usage: mpirun -np 2 bench/mpi_costs [--reps N] [--json] */
#include "bench/bench_common.h"
#include "sim/dist.h"

int main(int argc, char **argv)
{
    if (bench_flag(argc, argv, "--help")) {
        printf("usage: mpirun -np 2 bench/mpi_costs [--reps N] [--json]\n");
        return 0;
    }
    const char *r = bench_arg(argc, argv, "--reps");
    int reps = r ? atoi(r) : 2000, json = bench_flag(argc, argv, "--json");
    if (reps < 1) {
        fprintf(stderr, "mpi_costs: --reps '%s' is not a positive count\n", r);
        return 2;
    }
    if (sim_dist_env_size() < 2) {
        fprintf(stderr, "mpi_costs: run it under mpirun -np 2 (or more)\n");
        return 2;
    }
    int rank, nranks;
    char err[256];
    if (sim_dist_init(&rank, &nranks, err, sizeof err)) {
        fprintf(stderr, "mpi_costs: %s\n", err);
        return 2;
    }
    size_t bytes = 1000 * sizeof(sim_event_t);
    double red, msg, xch;
    sim_dist_probe(reps, bytes, &red, &msg, &xch);
    double per_byte = xch > msg ? (xch - msg) / (double)bytes : 0;
    if (rank == 0) {
        if (json)
            printf("{\"ranks\":%d,\"reps\":%d,\"allreduce_us\":%.3f,\"peer_message_us\":%.3f,"
                   "\"ns_per_byte\":%.4f,\"event_bytes\":%zu}\n",
                   nranks, reps, red * 1e6, msg * 1e6, per_byte * 1e9, sizeof(sim_event_t));
        else
            printf("%d ranks, %d reps: reduction %.2f us, message to a peer %.2f us, "
                   "%.4f ns per byte (%zu bytes per event)\n",
                   nranks, reps, red * 1e6, msg * 1e6, per_byte * 1e9, sizeof(sim_event_t));
    }
    sim_dist_finalize();
    return 0;
}
