/* The command line's side of distributed runs: placing components on ranks
 * (a partition file, or a pilot run for the expected event counts and then
 * the partitioner) and printing what a placement costs. */
#include "sim/dist.h"
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_print_partition(FILE *f, sim_t *s, const uint32_t *rank_of, const uint64_t *comp_w,
                         const sim_partition_info_t *info, int json)
{
    int P = info->nranks;
    double *load = calloc((size_t)P, sizeof *load);
    size_t *count = calloc((size_t)P, sizeof *count);
    for (size_t i = 0; load && count && i < sim_comp_count(s); i++) {
        load[rank_of[i]] += (double)comp_w[i];
        count[rank_of[i]]++;
    }
    char cut[64], la[64];
    if (info->cut_latency_ps == SIM_TIME_MAX)
        snprintf(cut, sizeof cut, "none cut");
    else
        sim_fmt_time(info->cut_latency_ps, cut, sizeof cut);
    if (info->lookahead_ps == SIM_TIME_MAX)
        snprintf(la, sizeof la, "unbounded (no rank sends to another)");
    else
        sim_fmt_time(info->lookahead_ps, la, sizeof la);
    if (json) {
        fprintf(f,
                "{\"ranks\":%d,\"method\":\"%s\",\"groups\":%zu,\"links\":%zu,\"cut_links\":%zu,"
                "\"cut_latency_ps\":%lld,\"lookahead_ps\":%lld,\"imbalance\":%.6f,\"ranks_load\":[",
                P, info->method, info->groups, info->links, info->cut_links,
                info->cut_latency_ps == SIM_TIME_MAX ? -1LL : (long long)info->cut_latency_ps,
                info->lookahead_ps == SIM_TIME_MAX ? -1LL : (long long)info->lookahead_ps,
                info->imbalance);
        for (int r = 0; load && count && r < P; r++)
            fprintf(f, "%s{\"rank\":%d,\"components\":%zu,\"expected_events\":%.0f}", r ? "," : "",
                    r, count[r], load[r]);
        fprintf(f,
                "],\"channels\":%zu,\"cut_channels\":%zu,\"cut_channel_ps\":%lld,"
                "\"cut_channel_cycles\":%u}\n",
                info->chans, info->cut_chans,
                info->cut_chan_ps == SIM_TIME_MAX ? -1LL : (long long)info->cut_chan_ps,
                info->cut_chans ? info->cut_chan_cycles : 0);
    } else {
        fprintf(f, "ranks       %d (%s; %zu placeable groups: zero-latency links are never cut)\n",
                P, info->method, info->groups);
        fprintf(f, "cut links   %zu of %zu (least latency of a cut link: %s)\n", info->cut_links,
                info->links, cut);
        if (info->chans) {
            char cc[64] = "none cut";
            if (info->cut_chans) {
                sim_fmt_time(info->cut_chan_ps, cc, sizeof cc);
                snprintf(cc + strlen(cc), sizeof cc - strlen(cc), " = %u cycles",
                         info->cut_chan_cycles);
            }
            fprintf(f,
                    "cut chans   %zu of %zu clocked channels (least latency of a cut channel, "
                    "records or credits: %s)\n",
                    info->cut_chans, info->chans, cc);
        }
        fprintf(f, "lookahead   %s\n", la);
        fprintf(f, "load        expected events per rank (pilot run; max/mean = %.3f)\n",
                info->imbalance);
        for (int r = 0; load && count && r < P; r++)
            fprintf(f, "  rank %-4d %10.0f events  %6zu components\n", r, load[r], count[r]);
    }
    free(load);
    free(count);
}
