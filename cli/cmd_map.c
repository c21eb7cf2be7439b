/* `prism map`: map a workload onto a chip of tiers (two-stage: a
 * multi-objective search, then accuracy-driven remapping), and `prism map
 * profile`: the analog sensitivity profile of a GPT-2-family model.
 * Exit: 0 done, 1 a target could not be met, 2 bad input. */
#include "cli/cli.h"
#include "cli/plot.h"
#include "mapper/map.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- progress ------------------------------------------------------------------------ */
static void progress_bar(void *ctx, int done, int total)
{
    (void)ctx;
    int bar = total ? done * 30 / total : 30;
    char b[31];
    for (int i = 0; i < 30; i++)
        b[i] = i < bar ? '#' : '.';
    b[30] = '\0';
    fprintf(stderr, "\r[%s] %d/%d runs", b, done, total);
    if (done == total)
        fprintf(stderr, "\n");
    fflush(stderr);
}

static int parse_int(const char *cmd, const char *flag, const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || !*v || x < lo || x > hi) {
        fprintf(stderr, "prism %s: %s '%s' is not an integer in %d..%d\n", cmd, flag, v, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static int parse_real(const char *cmd, const char *flag, const char *v, double lo, double hi,
                      double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || *end || !*v || !(x >= lo && x <= hi)) {
        fprintf(stderr, "prism %s: %s '%s' is not a number in %g..%g\n", cmd, flag, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

/* gnuplot: ranked bars of kl_mean (log scale), through cli/plot.c (the
 * projection names come from the workload file: they reach gnuplot only as
 * data, never a shell) */
static int plot_profile(const map_profile_t *p, const char *png, char *err, size_t n)
{
    plot_t *pl = plot_begin(png, 1400, 600, err, n);
    if (!pl)
        return 1;
    const char *dat;
    FILE *f = plot_data(pl, &dat, err, n), *g = plot_script(pl);
    int *ord = f ? malloc((size_t)(p->n ? p->n : 1) * sizeof *ord) : NULL;
    if (!ord) {
        char ignored[64];
        if (f)
            snprintf(err, n, "out of memory");
        fputs("exit\n", g);
        plot_end(pl, ignored, sizeof ignored);
        return 1;
    }
    for (int i = 0; i < p->n; i++)
        ord[i] = i;
    for (int i = 1; i < p->n; i++) /* insertion sort, largest first */
        for (int j = i; j > 0 && p->row[ord[j]].kl_mean > p->row[ord[j - 1]].kl_mean; j--) {
            int t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    for (int i = 0; i < p->n; i++) {
        fprintf(f, "%d ", i);
        plot_data_word(f, p->row[ord[i]].name);
        fprintf(f, " %.9g %.9g\n", p->row[ord[i]].kl_mean > 0 ? p->row[ord[i]].kl_mean : 1e-12,
                p->row[ord[i]].kl_std);
    }
    free(ord);
    fprintf(g,
            "set termoption noenhanced\n"
            "set title 'analog sensitivity per projection (%d positions x %d seeds)'\n"
            "set ylabel 'mean KL(p_clean || p_noisy) [nats]'\nset logscale y\nset format y '%%g'\n"
            "set style fill solid 0.8\nset boxwidth 0.7\nset xtics rotate by 90 right font ',8'\n"
            "set grid ytics\nplot ",
            p->positions, p->seeds);
    plot_quote(g, dat);
    fputs(" using 1:3:xtic(2) with boxes notitle\n", g);
    return plot_end(pl, err, n) ? 1 : 0;
}

static void profile_usage(FILE *f)
{
    fprintf(f,
            "usage: prism map profile --workload DIR [options]\n\n"
            "Analog sensitivity of every projection of a GPT-2-family model (Hugging Face\n"
            "directory: config.json, model.safetensors; eval files DIR/eval_tokens.u8 and\n"
            "DIR/eval_targets.u8 unless given): one projection at a time runs analog, the\n"
            "others exact; damage = mean KL(p_clean || p_noisy) of the next-token distribution\n"
            "over every eval position, averaged over noise seeds, and the change in mean\n"
            "cross-entropy. Default noise model (the AIMC letter's): W' = W + sigma * max|W| *\n"
            "N(0,1), 8-bit symmetric DAC per token, 8-bit ADC per token, bias after the ADC.\n\n"
            "  --workload DIR        the model directory (e.g. tests/fixtures/tiny-gpt2)\n"
            "  --device MODEL        profile with that analog device's own numerics (rram_xbar,\n"
            "                        pcm_xbar, mzi_mesh, mrr_bank); slow: every token goes\n"
            "                        through the device's MVM\n"
            "  --device-set K=V,...  parameters of that device\n"
            "  --sigma F             weight noise / max|W| (default 0.02)\n"
            "  --in-bits B --out-bits B   DAC / ADC bits (default 8 / 8; 0 = off)\n"
            "  --seeds N             noise seeds averaged (default 8); --seed S base seed (1)\n"
            "  --rows N              evaluate the first N rows only (default all)\n"
            "  --tokens F --targets F --token-bytes 1|2|4   other eval files (little-endian ids)\n"
            "  --csv FILE            write projection,kl_mean,kl_std,dloss_mean\n"
            "  --plot FILE.png       ranked bars of kl_mean (gnuplot)\n"
            "  --json                print JSON instead of a table\n"
            "  --progress            progress bar even when stderr is not a terminal\n");
}

static int cmd_profile(int argc, char **argv)
{
    static const struct option opts[] = {{"workload", required_argument, NULL, 'w'},
                                         {"device", required_argument, NULL, 'd'},
                                         {"device-set", required_argument, NULL, 'D'},
                                         {"sigma", required_argument, NULL, 's'},
                                         {"in-bits", required_argument, NULL, 'i'},
                                         {"out-bits", required_argument, NULL, 'o'},
                                         {"seeds", required_argument, NULL, 'n'},
                                         {"seed", required_argument, NULL, 'S'},
                                         {"rows", required_argument, NULL, 'r'},
                                         {"tokens", required_argument, NULL, 't'},
                                         {"targets", required_argument, NULL, 'T'},
                                         {"token-bytes", required_argument, NULL, 'b'},
                                         {"csv", required_argument, NULL, 'c'},
                                         {"plot", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"progress", no_argument, NULL, 'P'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    map_profile_opts_t o;
    map_profile_opts_default(&o);
    const char *csv = NULL, *png = NULL;
    char devset[1024] = "";
    int json = 0, progress = 0, v;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': o.dir = optarg; break;
        case 'd': o.device = optarg; break;
        case 'D': {
            /* k=v,k=v -> "k: v, k: v" */
            size_t at = 0;
            for (const char *q = optarg; *q && at + 3 < sizeof devset; q++) {
                if (*q == '=') {
                    devset[at++] = ':';
                    devset[at++] = ' ';
                } else if (*q == ',') {
                    devset[at++] = ',';
                    devset[at++] = ' ';
                } else
                    devset[at++] = *q;
            }
            devset[at] = '\0';
            o.device_params = devset;
            break;
        }
        case 's':
            if (parse_real("map profile", "--sigma", optarg, 0, 10, &o.sigma))
                return 2;
            break;
        case 'i':
        case 'o':
            if (parse_int("map profile", c == 'i' ? "--in-bits" : "--out-bits", optarg, 0, 24,
                          &v) ||
                v == 1) {
                if (v == 1)
                    fprintf(stderr, "prism map profile: 1-bit converters are not supported\n");
                return 2;
            }
            if (c == 'i')
                o.in_bits = v;
            else
                o.out_bits = v;
            break;
        case 'n':
            if (parse_int("map profile", "--seeds", optarg, 1, 10000, &o.seeds))
                return 2;
            break;
        case 'S':
            if (parse_int("map profile", "--seed", optarg, 0, 2000000000, &v))
                return 2;
            o.seed = (uint64_t)v;
            break;
        case 'r':
            if (parse_int("map profile", "--rows", optarg, 1, 100000000, &o.rows))
                return 2;
            break;
        case 't': o.tokens = optarg; break;
        case 'T': o.targets = optarg; break;
        case 'b':
            if (parse_int("map profile", "--token-bytes", optarg, 1, 4, &o.token_bytes) ||
                o.token_bytes == 3) {
                fprintf(stderr, "prism map profile: --token-bytes must be 1, 2 or 4\n");
                return 2;
            }
            break;
        case 'c': csv = optarg; break;
        case 'p': png = optarg; break;
        case 'j': json = 1; break;
        case 'P': progress = 1; break;
        case 'h': profile_usage(stdout); return 0;
        default: profile_usage(stderr); return 2;
        }
    }
    if (!o.dir || optind != argc) {
        profile_usage(stderr);
        return 2;
    }
    if (progress || isatty(2))
        o.progress = progress_bar;
    map_profile_t p;
    char err[2048];
    if (map_profile_run(&o, &p, err, sizeof err)) {
        fprintf(stderr, "prism map profile: %s\n", err);
        return 2;
    }
    int rc = 0;
    if (csv && map_profile_write_csv(&p, csv, err, sizeof err)) {
        fprintf(stderr, "prism map profile: %s\n", err);
        rc = 2;
    }
    if (!rc && png && plot_profile(&p, png, err, sizeof err)) {
        fprintf(stderr, "prism map profile: %s\n", err);
        rc = 1;
    }
    if (json) {
        printf("{\"workload\":\"%s\",\"noise\":\"%s\",\"positions\":%d,\"seeds\":%d,"
               "\"ce_clean\":%.9g,\"projections\":[",
               o.dir, o.device ? o.device : "aimc-letter", p.positions, p.seeds, p.ce_clean);
        for (int i = 0; i < p.n; i++)
            printf("%s{\"projection\":\"%s\",\"kl_mean\":%.9g,\"kl_std\":%.9g,\"dloss_mean\":%.9g}",
                   i ? "," : "", p.row[i].name, p.row[i].kl_mean, p.row[i].kl_std,
                   p.row[i].dloss_mean);
        printf("]}\n");
    } else {
        printf("clean cross-entropy %.6f nats over %d positions; %d seeds; noise: %s\n", p.ce_clean,
               p.positions, p.seeds,
               o.device ? o.device : "sigma*max|W| weights, 8-bit DAC/ADC per token");
        printf("%-22s %12s %12s %12s\n", "projection", "kl_mean", "kl_std", "dloss_mean");
        for (int i = 0; i < p.n; i++)
            printf("%-22s %12.4g %12.4g %12.4g\n", p.row[i].name, p.row[i].kl_mean, p.row[i].kl_std,
                   p.row[i].dloss_mean);
    }
    map_profile_free(&p);
    return rc;
}

int cmd_map(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "profile"))
        return cmd_profile(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "compare"))
        return cmd_map_compare(argc - 1, argv + 1);
    return cmd_map_search(argc, argv); /* its --help lists every option */
}
