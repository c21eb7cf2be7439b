/* `prism partition CONFIG --ranks N`: where a distributed run would place
 * each component (METIS over the link graph weighted by a pilot run's event
 * counts), with the cut, the lookahead window and the load balance; --out
 * writes the placement for `prism run --partition`, --partition evaluates one
 * written by hand. Exit 0, or 2 on bad input. */
#include "cli/cli.h"
#include "run/run.h"
#include "sim/dist.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: prism partition CONFIG.yaml --ranks N [options]\n\n"
               "Places the config's components on N MPI ranks the way `mpirun -np N prism run`\n"
               "does and prints the cut links and clocked channels, the lookahead (the\n"
               "synchronization window: the least latency of a cut link, or of a cut\n"
               "channel in cycles x its clock period) and the expected events per rank.\n\n"
               "  --ranks N             number of ranks (required)\n"
               "  --out FILE            write the placement ('component rank' per line)\n"
               "  --partition FILE      evaluate this placement instead of computing one\n"
               "  --pilot-events N      events of the sequential pilot run that weighs the\n"
               "                        components and links (default 100000; 0: weight 1)\n"
               "  --seed N              seed of the pilot run (replaces the config's)\n"
               "  --json                print the figures as JSON\n"
               "  --help                this text\n");
}

typedef struct build_ctx {
    const char *config;
    sim_config_over_t over;
} build_ctx_t;

static int build(void *ctx, sim_t **out, char *err, size_t n)
{
    build_ctx_t *b = ctx;
    return sim_config_load(b->config, &b->over, out, NULL, err, n) ? 1 : 0;
}

int cmd_partition(int argc, char **argv)
{
    static const struct option opts[] = {{"ranks", required_argument, NULL, 'r'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"partition", required_argument, NULL, 'P'},
                                         {"pilot-events", required_argument, NULL, 'e'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    long ranks = 0;
    unsigned long long pilot = 100000;
    const char *out = NULL, *file = NULL;
    int json = 0;
    build_ctx_t b = {0};
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;
        switch (o) {
        case 'r':
            ranks = strtol(optarg, &end, 10);
            if (*end || ranks < 1 || ranks > 65536) {
                fprintf(stderr, "prism partition: --ranks '%s' is not a count in 1..65536\n",
                        optarg);
                return 2;
            }
            break;
        case 'o': out = optarg; break;
        case 'P': file = optarg; break;
        case 'e':
            pilot = strtoull(optarg, &end, 10);
            if (*end || *optarg == '-') {
                fprintf(stderr, "prism partition: --pilot-events '%s' is not a count\n", optarg);
                return 2;
            }
            break;
        case 's':
            if (sim_parse_uint(optarg, &b.over.seed)) { /* decimal, like the config's seed */
                fprintf(stderr,
                        "prism partition: --seed '%s' is not a non-negative decimal integer\n",
                        optarg);
                return 2;
            }
            b.over.seed_set = 1;
            break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || ranks < 1) {
        if (optind == argc - 1)
            fprintf(stderr, "prism partition: --ranks N is required\n");
        usage(stderr);
        return 2;
    }
    b.config = argv[optind];
    char err[2048];
    sim_t *s = NULL;
    if (sim_config_load(b.config, &b.over, &s, NULL, err, sizeof err)) {
        fprintf(stderr, "prism partition: %s\n", err);
        return 2;
    }
    size_t n = sim_comp_count(s);
    uint32_t *rank_of = calloc(n + 1, sizeof *rank_of);
    uint64_t *w = calloc(n + 1, sizeof *w);
    sim_partition_info_t info;
    int rc = 2;
    if (!rank_of || !w)
        snprintf(err, sizeof err, "out of memory");
    else if (!run_place(s, (int)ranks, file, pilot, build, &b, rank_of, w, &info, err, sizeof err))
        rc = 0;
    if (rc)
        fprintf(stderr, "prism partition: %s\n", err);
    if (!rc && out && sim_partition_write(s, out, rank_of, err, sizeof err)) {
        fprintf(stderr, "prism partition: %s\n", err);
        rc = 2;
    }
    if (!rc)
        cli_print_partition(stdout, s, rank_of, w, &info, json);
    free(rank_of);
    free(w);
    sim_destroy(s);
    return rc;
}
