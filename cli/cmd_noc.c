/* `prism noc`: run the on-chip network alone under synthetic traffic with
 * BookSim2's measurement method and print its latency and throughput; with
 * --sweep, the latency-load curve (stopping at saturation), optionally
 * plotted with gnuplot. */
#include "cli/cli.h"
#include "cli/out.h"
#include "cli/plot.h"
#include "noc/noc.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

static volatile sig_atomic_t stop_flag;
static void on_sigint(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct prog {
    int on;
    const char *label;
    double t0;
} prog_t;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int on_progress(void *ctx, uint64_t cycle, uint64_t expect)
{
    prog_t *p = ctx;
    if (p->on) {
        double frac = expect ? (double)cycle / (double)expect : 0;
        if (frac > 1)
            frac = 1;
        int bar = (int)(frac * 30);
        char b[31];
        for (int i = 0; i < 30; i++)
            b[i] = i < bar ? '#' : '.';
        b[30] = '\0';
        double el = wall() - p->t0;
        fprintf(stderr, "\r%s [%s] cycle %llu  %.0f cycles/s   ", p->label, b,
                (unsigned long long)cycle, el > 0 ? (double)cycle / el : 0);
        fflush(stderr);
    }
    return stop_flag != 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: prism noc [options]\n\n"
            "Runs a network of BookSim2-style input-queued VC routers under synthetic traffic\n"
            "and measures it the way BookSim2 does (warm-up, sample periods, convergence,\n"
            "drain; docs/noc.md). Latencies in cycles, rates in flits/node/cycle.\n\n"
            "  --topology mesh|torus   (default mesh)\n"
            "  --k K --n N             K routers per dimension, N dimensions (8, 2)\n"
            "  --concentration C       terminals per router (1)\n"
            "  --traffic P             uniform transpose bitcomp bitrev shuffle tornado neighbor\n"
            "                          hotspot (uniform); repeat or comma-separate for a sweep\n"
            "  --rate R                offered load, flits/node/cycle, in [0, 1] (0.1)\n"
            "  --packet-size L[,L2..]  flits per packet; several: equally likely (1)\n"
            "  --set NAME=VALUE,...    any network parameter, prism or BookSim2 name\n"
            "                          (num_vcs, vc_buf_size, credit_delay, vc_allocator, ...)\n"
            "  --seed N                random seed (1)\n"
            "  --config FILE           take the network: block of a chip config, includes\n"
            "                          followed (options after it override it)\n"
            "  --sweep A:B:STEP        latency-load curve over rates A..B, stops at saturation\n"
            "  --plot FILE.png         draw the sweep with gnuplot\n"
            "  --json | --csv          machine-readable output\n"
            "  --progress              progress bar even when stderr is not a terminal\n"
            "  --params                list every parameter with its BookSim2 name and default\n\n"
            "Exit status: 0 done, 2 bad input, 1 failed run, 130 interrupted (Ctrl-C).\n");
}

/* A comma-separated list with an empty item (",,", a leading or trailing
 * comma, or nothing at all) is refused, not read as the default. */
static int has_empty_item(const char *list)
{
    size_t n = strlen(list);
    return !n || list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,");
}

/* The parameters --set gave so far (prism names): a key given twice, under
 * either name, is refused as `prism run --set` does. */
typedef struct given {
    const char *name[128];
    int n;
} given_t;

static int note_given(given_t *g, const char *key)
{
    const char *canon = noc_param_name(key);
    if (!canon)
        return 0; /* unknown: noc_cfg_set names it */
    for (int i = 0; i < g->n; i++)
        if (!strcmp(g->name[i], canon)) {
            fprintf(stderr, "prism noc: --set '%s' is given twice%s%s%s\n", key,
                    strcmp(key, canon) ? " (it is " : "", strcmp(key, canon) ? canon : "",
                    strcmp(key, canon) ? ")" : "");
            return -1;
        }
    if (g->n < (int)(sizeof g->name / sizeof *g->name))
        g->name[g->n++] = canon;
    return 0;
}

static int apply_set(noc_cfg_t *c, const char *spec, given_t *given)
{
    if (has_empty_item(spec)) {
        fprintf(stderr, "prism noc: --set '%s': an empty item (expected NAME=VALUE,...)\n", spec);
        return -1;
    }
    char *dup = strdup(spec), *save = NULL, err[256];
    int rc = 0;
    for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            fprintf(stderr, "prism noc: --set '%s': expected NAME=VALUE\n", tok);
            rc = -1;
            break;
        }
        *eq = '\0';
        if (note_given(given, tok)) {
            rc = -1;
            break;
        }
        /* packet_size lists use commas too: take the following bare numbers */
        if (!strcmp(tok, "packet_size")) {
            char list[128];
            snprintf(list, sizeof list, "%s", eq + 1);
            char *peek;
            /* the next items up to one that holds '=' (the next NAME=VALUE) */
            while ((peek = save) && *peek && !memchr(peek, '=', strcspn(peek, ",")) &&
                   strlen(list) < 100) {
                char *next = strtok_r(NULL, ",", &save);
                if (!next)
                    break;
                strcat(list, ",");
                strcat(list, next);
            }
            if (noc_cfg_set(c, tok, list, err, sizeof err)) {
                fprintf(stderr, "prism noc: --set %s\n", err);
                rc = -1;
                break;
            }
            continue;
        }
        if (noc_cfg_set(c, tok, eq + 1, err, sizeof err)) {
            fprintf(stderr, "prism noc: --set %s\n", err);
            rc = -1;
            break;
        }
    }
    free(dup);
    return rc;
}

/* One name: value of the `network:` block of a chip config (docs/noc.md):
 * a network parameter; `prefix` is ignored, `clock` may name a clock
 * (ignored) or give a frequency. */
typedef struct block_ctx {
    noc_cfg_t *c;
    long max_attach; /* highest node an attach.<node> key names, -1 */
    char attach_where[256];
} block_ctx_t;

static int network_entry(void *ctx, const char *key, const char *val, const char *where, char *err,
                         size_t errlen)
{
    block_ctx_t *bc = ctx;
    noc_cfg_t *c = bc->c;
    char why[256];
    if (!strcmp(key, "prefix"))
        return 0;
    if (!strncmp(key, "attach.", 7)) {
        /* units at a node (a chip's placement): prism noc runs synthetic
         * traffic only, so they are not simulated, but the node must be one
         * of the network's (checked once k, n and c are all read) */
        char *end;
        long node = strtol(key + 7, &end, 10);
        if (end == key + 7 || *end || node < 0 || key[7] == '-' || key[7] == '+') {
            snprintf(err, errlen, "%s: network: %s: '%s' is not a node number", where, key,
                     key + 7);
            return -1;
        }
        (void)val;
        if (node > bc->max_attach) {
            bc->max_attach = node;
            snprintf(bc->attach_where, sizeof bc->attach_where, "%s: network: %s", where, key);
        }
        return 0;
    }
    if (!strcmp(key, "clock")) {
        double hz;
        if (!sim_parse_freq(val, &hz) && hz > 0)
            c->clock_hz = hz;
        return 0;
    }
    if (noc_cfg_set(c, key, val, why, sizeof why)) {
        snprintf(err, errlen, "%s: network: %s", where, why);
        return -1;
    }
    return 0;
}

/* The `network:` block of a chip config, read as `prism run` reads the file
 * (include: followed, merge keys expanded). */
static int load_network_block(noc_cfg_t *c, const char *path)
{
    char err[1024];
    block_ctx_t bc = {.c = c, .max_attach = -1};
    int rc = sim_config_read_block(path, "network", network_entry, &bc, err, sizeof err);
    if (rc == 1)
        fprintf(stderr, "prism noc: %s has no 'network:' mapping\n", path);
    else if (rc)
        fprintf(stderr, "prism noc: %s\n", err);
    else if (bc.max_attach >= 0 && (uint64_t)bc.max_attach >= noc_nodes(c)) {
        fprintf(stderr, "prism noc: %s: '%ld' is not a node of this network (0..%u)\n",
                bc.attach_where, bc.max_attach, noc_nodes(c) - 1);
        rc = -1;
    }
    return rc ? -1 : 0;
}

static void print_params(void)
{
    size_t n;
    const noc_param_info_t *t = noc_param_table(&n);
    printf("%-24s %-28s %-10s %s\n", "parameter", "BookSim2 name", "default", "meaning");
    for (size_t i = 0; i < n; i++)
        printf("%-24s %-28s %-10s %s\n", t[i].name, t[i].booksim, t[i].def, t[i].doc);
}

#define MAX_TRAFFIC 8
#define MAX_POINTS 256

typedef struct point {
    double rate;
    noc_result_t r;
} point_t;

static int plot(const char *png, char traffic[][16], int n_tr, point_t pts[][MAX_POINTS],
                const int *n_pts)
{
    char err[512];
    plot_t *p = plot_begin(png, 800, 560, err, sizeof err);
    if (!p) {
        fprintf(stderr, "prism noc: %s\n", err);
        return 1;
    }
    FILE *g = plot_script(p);
    for (int t = 0; t < n_tr; t++) {
        fprintf(g, "$curve%d << EOD\n", t);
        for (int i = 0; i < n_pts[t]; i++)
            if (!pts[t][i].r.saturated)
                fprintf(g, "%g %g\n", pts[t][i].rate, pts[t][i].r.avg_packet_latency);
        fprintf(g, "EOD\n");
    }
    fprintf(g, "set xlabel 'offered load (flits/node/cycle)'\nset ylabel 'average packet latency "
               "(cycles)'\nset key left top\nset grid\nplot ");
    for (int t = 0; t < n_tr; t++) {
        fprintf(g, "%s$curve%d with linespoints title ", t ? ", " : "", t);
        plot_quote(g, traffic[t]);
    }
    fprintf(g, "\n");
    if (plot_end(p, err, sizeof err)) {
        fprintf(stderr, "prism noc: %s\n", err);
        return 1;
    }
    return 0;
}

static void json_row(const noc_cfg_t *c, const char *sizes, const noc_result_t *r)
{
    printf("{\"topology\":\"%s\",\"k\":%d,\"n\":%d,\"concentration\":%d,\"traffic\":\"%s\","
           "\"packet_size\":\"%s\",\"offered_rate\":%.6g,\"avg_packet_latency\":%.6f,"
           "\"avg_network_latency\":%.6f,\"p99_packet_latency\":%.0f,\"accepted_rate\":%.6f,"
           "\"avg_hops\":%.6f,\"sim_cycles\":%llu,\"packets_measured\":%llu,"
           "\"saturated\":%s,\"seed\":%llu}",
           c->topology, c->k, c->n, c->concentration, c->traffic, sizes, c->rate,
           r->avg_packet_latency, r->avg_network_latency, r->p99_packet_latency, r->accepted_rate,
           r->avg_hops, (unsigned long long)r->sim_cycles, (unsigned long long)r->packets_measured,
           r->saturated ? "true" : "false", (unsigned long long)c->seed);
}

int cmd_noc(int argc, char **argv)
{
    noc_cfg_t cfg;
    noc_cfg_default(&cfg);
    static const struct option opts[] = {
        {"topology", required_argument, NULL, 'T'},
        {"k", required_argument, NULL, 'k'},
        {"n", required_argument, NULL, 'n'},
        {"concentration", required_argument, NULL, 'C'},
        {"traffic", required_argument, NULL, 't'},
        {"rate", required_argument, NULL, 'r'},
        {"packet-size", required_argument, NULL, 'L'},
        {"set", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},
        {"sweep", required_argument, NULL, 'w'},
        {"plot", required_argument, NULL, 'P'},
        {"json", no_argument, NULL, 'j'},
        {"csv", no_argument, NULL, 'c'},
        {"progress", no_argument, NULL, 'p'},
        {"params", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {"config", required_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    char traffic[MAX_TRAFFIC][16];
    given_t given = {.n = 0};
    int n_tr = 0, json = 0, csv = 0, progress = 0;
    const char *sweep = NULL, *png = NULL;
    char err[256];
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        const char *name = NULL;
        switch (ch) {
        case 'T': name = "topology"; break;
        case 'k': name = "k"; break;
        case 'n': name = "n"; break;
        case 'C': name = "concentration"; break;
        case 'r': name = "rate"; break;
        case 'L': name = "packet_size"; break;
        case 'S': name = "seed"; break;
        case 't': {
            if (has_empty_item(optarg)) {
                fprintf(stderr, "prism noc: --traffic '%s': an empty pattern name\n", optarg);
                return 2;
            }
            char *dup = strdup(optarg), *save = NULL;
            for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (n_tr == MAX_TRAFFIC) {
                    fprintf(stderr, "prism noc: at most %d --traffic patterns\n", MAX_TRAFFIC);
                    free(dup);
                    return 2;
                }
                snprintf(traffic[n_tr++], sizeof traffic[0], "%s", tok);
            }
            free(dup);
            break;
        }
        case 's':
            if (apply_set(&cfg, optarg, &given))
                return 2;
            break;
        case 'w': sweep = optarg; break;
        case 'P': png = optarg; break;
        case 'j': json = 1; break;
        case 'c': csv = 1; break;
        case 'p': progress = 1; break;
        case 'A': print_params(); return 0;
        case 'F':
            if (load_network_block(&cfg, optarg))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (name && noc_cfg_set(&cfg, name, optarg, err, sizeof err)) {
            fprintf(stderr, "prism noc: %s\n", err);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "prism noc: unexpected argument '%s' (prism noc --help)\n", argv[optind]);
        return 2;
    }
    if (!n_tr)
        snprintf(traffic[n_tr++], sizeof traffic[0], "%s", cfg.traffic);
    double lo = cfg.rate, hi = cfg.rate, step = 1;
    if (sweep) {
        char *end;
        lo = strtod(sweep, &end);
        if (*end == ':')
            hi = strtod(end + 1, &end);
        if (*end == ':')
            step = strtod(end + 1, &end);
        if (*end || !(lo >= 0 && hi <= 1 && lo <= hi && step > 0) ||
            (hi - lo) / step > MAX_POINTS - 1) {
            fprintf(stderr,
                    "prism noc: --sweep '%s': expected A:B:STEP with 0 <= A <= B <= 1, "
                    "STEP > 0, at most %d points\n",
                    sweep, MAX_POINTS);
            return 2;
        }
    }
    if (png && !sweep) {
        fprintf(stderr, "prism noc: --plot draws a --sweep; give --sweep A:B:STEP\n");
        return 2;
    }
    if (png && plot_check(png, err, sizeof err)) {
        fprintf(stderr, "prism noc: %s\n", err);
        return 2;
    }
    /* check everything before the first run */
    for (int t = 0; t < n_tr; t++) {
        noc_cfg_t c = cfg;
        snprintf(c.traffic, sizeof c.traffic, "%s", traffic[t]);
        c.rate = lo;
        if (noc_cfg_check(&c, err, sizeof err)) {
            fprintf(stderr, "prism noc: %s\n", err);
            return 2;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    prog_t pr = {.on = progress || isatty(2), .t0 = wall()};
    static point_t pts[MAX_TRAFFIC][MAX_POINTS];
    int n_pts[MAX_TRAFFIC] = {0};
    int interrupted = 0;
    out_t *o = json ? NULL : out_create(stdout, csv ? OUT_CSV : OUT_TABLE, 0);
    int json_rows = 0;
    if (json && sweep)
        printf("[\n");
    const char *cols[] = {"topology",
                          "k",
                          "n",
                          "traffic",
                          "packet_size",
                          "offered_rate",
                          "avg_packet_latency",
                          "avg_network_latency",
                          "p99_packet_latency",
                          "accepted_rate",
                          "avg_hops",
                          "sim_cycles",
                          "saturated"};
    for (size_t i = 0; o && i < sizeof cols / sizeof *cols; i++)
        out_column(o, cols[i]);
    int rc = 0;
    for (int t = 0; t < n_tr && !interrupted && !rc; t++) {
        int npt = sweep ? (int)((hi - lo) / step + 1e-9) + 1 : 1;
        for (int i = 0; i < npt && !interrupted; i++) {
            noc_cfg_t c = cfg;
            snprintf(c.traffic, sizeof c.traffic, "%s", traffic[t]);
            c.rate = floor((lo + step * i) * 1e9 + 0.5) / 1e9; /* 0.30000000000000004 -> 0.3 */
            if (c.rate > 1)
                c.rate = 1;
            char label[64];
            snprintf(label, sizeof label, "%s %.3f", traffic[t], c.rate);
            pr.label = label;
            pr.t0 = wall();
            noc_result_t res;
            if (noc_run(&c, &res, on_progress, &pr, err, sizeof err)) {
                fprintf(stderr, "%sprism noc: %s\n", pr.on ? "\n" : "", err);
                rc = 1;
                break;
            }
            if (pr.on)
                fprintf(stderr, "\r%*s\r", 70, "");
            if (res.interrupted) {
                interrupted = 1;
                break;
            }
            pts[t][n_pts[t]].rate = c.rate;
            pts[t][n_pts[t]++].r = res;
            char sizes[64] = "";
            size_t len = 0;
            for (int s = 0; s < c.n_sizes; s++)
                len += (size_t)snprintf(sizes + len, sizeof sizes - len, "%s%d", s ? "," : "",
                                        c.sizes[s]);
            if (json) {
                printf("%s", json_rows++ ? ",\n" : "");
                json_row(&c, sizes, &res);
                if (!sweep)
                    printf("\n");
                fflush(stdout);
                if (res.saturated)
                    break;
                continue;
            }
            out_text(o, c.topology);
            out_int(o, c.k);
            out_int(o, c.n);
            out_text(o, c.traffic);
            out_text_num(o, sizes);
            out_fixed(o, c.rate, 3);
            out_fixed(o, res.avg_packet_latency, 2);
            out_fixed(o, res.avg_network_latency, 2);
            out_fixed(o, res.p99_packet_latency, 0);
            out_fixed(o, res.accepted_rate, 4);
            out_fixed(o, res.avg_hops, 3);
            out_int(o, (long long)res.sim_cycles);
            out_text(o, res.saturated ? "yes" : "no");
            if (res.saturated)
                break; /* the curve stops at saturation */
        }
    }
    if (json && sweep)
        printf("%s]\n", json_rows ? "\n" : "");
    if (o && out_finish(o))
        rc = 1;
    if (interrupted) {
        fprintf(stderr, "prism noc: interrupted; the rows above are the finished runs\n");
        return 130;
    }
    if (!rc && png)
        rc = plot(png, traffic, n_tr, pts, n_pts);
    return rc;
}
