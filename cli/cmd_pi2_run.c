/* prism pi2 run: maps a trained pi^2 model onto router primitives
 * (noc_pi2_build), injects every test row as packets, reads each class from
 * the output units' firing times, and compares with the analytic model on
 * the same delay grid. Also a drop sweep with an optional gnuplot plot. */
#include "cli/cli.h"
#include "cli/out.h"
#include "cli/plot.h"
#include "noc/noc.h"
#include "run/run.h"
#include "sim/trace.h"
#include "workloads/pi2.h"
#include "workloads/wl.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct fab_opts {
    double drop, jitter, packet_jitter, ps_per_unit;
    long resolution_ps, link_ps, rows, noc_k;
    int noc;
    uint64_t seed;
    const char *trace, *filter, *argv_text;
    int messages;
} fab_opts_t;

typedef struct fab_res {
    int rows, decided, right, analytic_right, mismatches;
    double latency_ps, energy_pj, energy_model_pj, max_fire_err_ps, network_pj;
    int hops[WL_PI2_MAX_LAYERS];
    sim_time_t budget_ps[WL_PI2_MAX_LAYERS];
    uint64_t packets, dropped, timeouts, late, events;
    sim_time_t period_ps, end_ps;
    size_t components, links;
    double wall_s;
} fab_res_t;

static double stat_sum(sim_t *s, const char *name)
{
    double v = 0;
    for (size_t c = 0; c < sim_comp_count(s); c++) {
        sim_comp_t *cp = sim_comp_at(s, c);
        for (size_t i = 0; i < sim_stat_count(cp); i++)
            if (!strcmp(sim_stat_name(cp, i), name))
                v += sim_stat_value(cp, i);
    }
    return v;
}

/* The student's weights on the fabric's delay grid, as a network of its own. */
static wl_pi2_net_t *quantized_copy(const wl_pi2_net_t *net, double q)
{
    wl_pi2_net_t *c = wl_pi2_create(net->n_layers, net->dims, net->k);
    for (int l = 0; c && l < net->n_layers; l++)
        for (size_t i = 0; i < (size_t)net->dims[l] * (size_t)net->dims[l + 1]; i++)
            c->w[l][i] = (float)(nearbyint((double)net->w[l][i] * q) / q);
    return c;
}

static int pi2_quiet; /* the run failed: fabric_run says so in its own words */
static void say_pi2(void *ctx, const char *msg)
{
    (void)ctx;
    if (!pi2_quiet)
        fprintf(stderr, "prism pi2 run: %s\n", msg);
}

/* The fabric of `net` with the run's options (and its network, in *nc). 0,
 * or 2 after the message. */
static int fabric_config(const wl_pi2_net_t *net, const fab_opts_t *o, noc_pi2_fabric_t *fp,
                         noc_cfg_t *ncp)
{
    noc_pi2_fabric_defaults(fp);
    fp->n_layers = net->n_layers;
    for (int l = 0; l < net->n_layers; l++)
        fp->layer[l] = (noc_pi2_layer_t){net->dims[l], net->dims[l + 1], net->k[l], net->w[l]};
    fp->ps_per_unit = o->ps_per_unit;
    fp->resolution_ps = (sim_time_t)o->resolution_ps;
    fp->link_ps = (sim_time_t)o->link_ps;
    fp->drop = o->drop;
    fp->output_jitter = o->jitter;
    fp->packet_jitter = o->packet_jitter;
    if (o->noc) {
        char e2[256];
        noc_cfg_default(ncp);
        char kbuf[16];
        snprintf(kbuf, sizeof kbuf, "%ld", o->noc_k);
        if (noc_cfg_set(ncp, "k", kbuf, e2, sizeof e2) ||
            noc_cfg_set(ncp, "traffic", "none", e2, sizeof e2) ||
            noc_cfg_set(ncp, "rate", "0", e2, sizeof e2) || noc_cfg_check(ncp, e2, sizeof e2)) {
            fprintf(stderr, "prism pi2 run: network: %s\n", e2);
            return 2;
        }
        fp->network = ncp;
    }
    return 0;
}

/* Trace, loop and end through the run layer (run/run.h); 0, or 1 after the
 * message (the fabric failed, or its trace could not start). */
static int fabric_exec(sim_t *s, const fab_opts_t *o, fab_res_t *r)
{
    /* the run layer: trace, loop, end (run/run.h) */
    run_opts_t ro;
    run_opts_default(&ro);
    ro.trace_path = o->trace;
    ro.trace.filter = o->filter;
    ro.trace.messages = o->messages;
    ro.label = "pi2";
    ro.args = o->argv_text;
    ro.say = say_pi2;
    run_t *run = run_create(&ro);
    if (!run || run_adopt(run, s) || run_trace_begin(run)) {
        if (!run)
            fprintf(stderr, "prism pi2 run: out of memory\n");
        run_destroy(run);
        return 1;
    }
    run_exec(run);
    int failed = run_status(run) == RUN_FAILED;
    pi2_quiet = failed; /* the fabric's failure is said once, just after */
    run_end(run);
    pi2_quiet = 0;
    r->wall_s = run_wall_s(run);
    run_destroy(run);
    if (failed) {
        fprintf(stderr, "prism pi2 run: the fabric failed: %s\n", sim_errmsg(s));
        return 1;
    }
    return 0;
}

static int fabric_run(const wl_pi2_net_t *net, const wl_dataset_t *test, const fab_opts_t *o,
                      fab_res_t *r)
{
    memset(r, 0, sizeof *r);
    int rows = o->rows > 0 && o->rows < test->rows ? (int)o->rows : test->rows;
    noc_pi2_fabric_t f;
    noc_cfg_t nc;
    if (fabric_config(net, o, &f, &nc))
        return 2;
    sim_opts_t so = {.seed = o->seed};
    sim_t *s = sim_create(&so);
    if (!s) {
        fprintf(stderr, "prism pi2 run: out of memory\n");
        return 1;
    }
    noc_pi2_plan_t plan;
    char err[1024];
    if (noc_pi2_build(s, &f, &plan, err, sizeof err) ||
        noc_pi2_source_feed(sim_comp_at(s, (size_t)plan.source), test->x, rows, test->features) ||
        sim_init(s)) {
        fprintf(stderr, "prism pi2 run: %s\n", err[0] ? err : sim_errmsg(s));
        sim_destroy(s);
        return 2;
    }
    if (fabric_exec(s, o, r)) {
        sim_destroy(s);
        return 1;
    }
    int rc = 0;
    const noc_pi2_result_t *res;
    size_t n = noc_pi2_results(sim_comp_at(s, (size_t)plan.readout), &res);
    /* the analytic model on the same grid, its noise drawn independently */
    double q = f.ps_per_unit / (double)f.resolution_ps;
    wl_pi2_net_t *qn = quantized_copy(net, q);
    int L = net->n_layers, classes = net->dims[L];
    float *logits = malloc(sizeof(float) * (size_t)classes);
    float *trace_buf = malloc(sizeof(float) * 2 * (size_t)classes);
    float *tr[WL_PI2_MAX_LAYERS] = {0};
    for (int l = 0; l < L; l++)
        tr[l] = malloc(sizeof(float) * 2 * (size_t)net->dims[l + 1]);
    int ok_mem = qn && logits && trace_buf;
    for (int l = 0; l < L; l++)
        ok_mem = ok_mem && tr[l];
    if (!ok_mem) {
        fprintf(stderr, "prism pi2 run: out of memory\n");
        rc = 1;
        goto done;
    }
    wl_pi2_noise_t nz = {
        .drop = o->drop, .jitter = o->jitter, .seed = o->seed ^ 0x5eedull, .quantum = 1 / q};
    int noiseless = o->drop == 0 && o->jitter == 0 && o->packet_jitter == 0;
    size_t at = 0;
    double lat_sum = 0;
    for (int row = 0; row < rows; row++) {
        nz.stream = (uint64_t)row;
        wl_pi2_forward(qn, test->x + (size_t)row * (size_t)test->features, &nz, logits, tr);
        int acls = wl_pi2_argmax(logits, classes), label = test->label[row];
        r->analytic_right += acls == label;
        while (at < n && res[at].inference < (uint64_t)row)
            at++;
        if (at < n && res[at].inference == (uint64_t)row) {
            const noc_pi2_result_t *x = &res[at];
            r->decided++;
            r->right += x->cls == label;
            r->mismatches += x->cls != acls;
            lat_sum +=
                (double)(x->decided_ps - (x->window_ps - (sim_time_t)(L - 1) * plan.period_ps));
            for (int j = 0; noiseless && j < classes; j++)
                for (int u = 0; u < 2; u++) {
                    double fab = (double)(x->t_ps[2 * j + u] - (int64_t)plan.fire_offset_ps[L - 1]);
                    double e = fabs(fab - tr[L - 1][u * classes + j] * f.ps_per_unit);
                    r->max_fire_err_ps = e > r->max_fire_err_ps ? e : r->max_fire_err_ps;
                }
        } else {
            r->mismatches++; /* no class came out of the fabric */
        }
    }
    r->rows = rows;
    r->latency_ps = r->decided ? lat_sum / r->decided : 0;
    double e = 0;
    for (size_t c = 0; c < sim_comp_count(s); c++)
        e += sim_energy_pj(sim_comp_at(s, c));
    r->energy_model_pj = noc_pi2_energy_per_inference(&f);
    if (o->noc) {
        /* the routers' own energy parameters are zeroed (noc/pi2_net.c): each
         * flit-hop is charged the fabric's link and buffer figures per bit,
         * as the analytical model does */
        double flit_bits = 8.0 * nc.flit_bytes, per_bit = f.link_pj_per_bit + f.buffer_pj_per_bit;
        r->network_pj = stat_sum(s, "flits_routed") * flit_bits * per_bit / rows;
        e += r->network_pj * rows;
        int flits = (f.packet_bytes + nc.flit_bytes - 1) / nc.flit_bytes;
        for (int l = 0; l < L; l++) {
            r->hops[l] = plan.hops[l];
            r->budget_ps[l] = plan.budget_ps[l];
            r->energy_model_pj += 2.0 * net->dims[l] * flits * plan.hops[l] * flit_bits * per_bit;
        }
    }
    r->energy_pj = e / rows;
    for (size_t i = 0; i < sim_link_count(s); i++) {
        sim_link_info_t li;
        sim_link_get(s, i, &li);
        r->packets += li.messages;
    }
    r->dropped = (uint64_t)(stat_sum(s, "packets_dropped") + stat_sum(s, "replicas_dropped"));
    r->timeouts = (uint64_t)stat_sum(s, "timeouts");
    r->late = (uint64_t)(stat_sum(s, "late_releases") + stat_sum(s, "late_emissions") +
                         stat_sum(s, "late_rails"));
    r->events = sim_events_handled(s);
    r->end_ps = sim_now(s);
    r->period_ps = plan.period_ps;
    r->components = plan.components;
    r->links = plan.links;
done:
    for (int l = 0; l < L; l++)
        free(tr[l]);
    free(trace_buf);
    free(logits);
    wl_pi2_free(qn);
    sim_destroy(s);
    return rc;
}

static void run_usage(FILE *f)
{
    fprintf(
        f,
        "usage: prism pi2 run --model MODEL --data digits|FILE.csv[.gz] [options]\n"
        "\n"
        "Builds the trained pi^2 network from router primitives (docs/pi2.md): one\n"
        "multicast stage of programmed delays per layer, a first-K unit and a credit\n"
        "shaper per neuron half, an encoder per layer; injects every test row as\n"
        "packets over engine links and reads the class from the output units' firing\n"
        "times. Prints accuracy, analytic_accuracy (the analytic model on the same\n"
        "delay grid, its noise drawn independently), mismatches (rows where the two\n"
        "classes differ), latency and energy per inference, packets and drops.\n"
        "\n"
        "options:\n"
        "  --model FILE          model from prism pi2 train\n"
        "  --data SPEC           'digits' or a CSV; --split N training rows (digits: 1437)\n"
        "  --rows N              run only the first N test rows\n"
        "  --drop P              probability a value's two rails are lost, per layer (0..1)\n"
        "  --jitter S            Gaussian sigma on each layer's y (value units; the reference's)\n"
        "  --packet-jitter S     Gaussian sigma on each packet's arrival (value units)\n"
        "  --ps-per-unit X       time of one value unit (default 1000)\n"
        "  --resolution-ps N     delay step: weights are rounded to it (default 10)\n"
        "  --link-ps N           latency of every link (default 100)\n"
        "  --seed S              seed of the drop and jitter draws (default 1)\n"
        "  --noc                 carry the rails between layers over a mesh of issue 7's\n"
        "                        iq_router and noc_terminal NIs (BookSim2 mesh88_lat router\n"
        "                        settings) instead of engine links\n"
        "  --noc-k K             routers per side of that mesh (default 2)\n"
        "  --sweep-drop A:B:STEP run drop A, A+STEP, .. B and print accuracy per drop\n"
        "  --plot FILE.png       with --sweep-drop: plot accuracy vs drop with gnuplot\n"
        "  --trace FILE.db       record the run like prism run (--filter SPEC, --messages;\n"
        "                        --force replaces an existing file)\n"
        "  --json                one JSON object (a JSON array with --sweep-drop)\n"
        "  --help                this text\n");
}

static void print_one(const fab_res_t *r, const fab_opts_t *o, const char *model, int json)
{
    char buf1[64], buf2[64], net_desc[128] = "engine links";
    if (o->noc)
        snprintf(
            net_desc, sizeof net_desc,
            "%ldx%ld mesh of iq_router, noc_terminal NIs (%d and %d hops, budget %llu and %llu ps)",
            o->noc_k, o->noc_k, r->hops[0], r->hops[1], (unsigned long long)r->budget_ps[0],
            (unsigned long long)r->budget_ps[1]);
    if (json) {
        printf("{\"model\": \"%s\", \"rows\": %d, \"accuracy\": %.6f, \"analytic_accuracy\": %.6f, "
               "\"mismatches\": %d, \"latency_ps_per_inference\": %.1f, "
               "\"energy_pj_per_inference\": %.3f, \"energy_model_pj_per_inference\": %.3f, "
               "\"packets\": %llu, \"dropped\": %llu, \"timeouts\": %llu, \"late\": %llu, "
               "\"max_fire_error_ps\": %.3f, \"period_ps\": %llu, \"drop\": %g, \"jitter\": %g, "
               "\"packet_jitter\": %g, \"resolution_ps\": %ld, \"ps_per_unit\": %g, "
               "\"components\": %zu, \"links\": %zu, \"events\": %llu, \"simulated_ps\": %llu, "
               "\"wall_s\": %.3f, \"network_pj_per_inference\": %.3f, \"network\": \"%s\"}\n",
               model, r->rows, r->rows ? (double)r->right / r->rows : 0,
               r->rows ? (double)r->analytic_right / r->rows : 0, r->mismatches, r->latency_ps,
               r->energy_pj, r->energy_model_pj, (unsigned long long)r->packets,
               (unsigned long long)r->dropped, (unsigned long long)r->timeouts,
               (unsigned long long)r->late, r->max_fire_err_ps, (unsigned long long)r->period_ps,
               o->drop, o->jitter, o->packet_jitter, o->resolution_ps, o->ps_per_unit,
               r->components, r->links, (unsigned long long)r->events,
               (unsigned long long)r->end_ps, r->wall_s, r->network_pj, net_desc);
        return;
    }
    printf("fabric            %zu components, %zu links, window %llu ps\n", r->components, r->links,
           (unsigned long long)r->period_ps);
    printf("rails between layers over %s\n", net_desc);
    printf("rows              %d (%d decided)\n", r->rows, r->decided);
    printf("accuracy          %.2f%%\n", r->rows ? 100.0 * r->right / r->rows : 0);
    printf("analytic_accuracy %.2f%%\n", r->rows ? 100.0 * r->analytic_right / r->rows : 0);
    printf("mismatches        %d\n", r->mismatches);
    if (o->drop == 0 && o->jitter == 0 && o->packet_jitter == 0)
        printf("max_fire_error    %.1f ps (resolution %ld ps)\n", r->max_fire_err_ps,
               o->resolution_ps);
    out_human_ps(buf1, sizeof buf1, r->latency_ps);
    printf("latency           %s per inference\n", buf1);
    out_human_pj(buf1, sizeof buf1, r->energy_pj);
    out_human_pj(buf2, sizeof buf2, r->energy_model_pj);
    printf("energy            %s per inference (analytical model %s)\n", buf1, buf2);
    if (o->noc) {
        out_human_pj(buf1, sizeof buf1, r->network_pj);
        printf("  of which network %s (flit-hops x link and buffer pJ/bit)\n", buf1);
    }
    printf("packets           %llu (dropped %llu, timeouts %llu, late %llu)\n",
           (unsigned long long)r->packets, (unsigned long long)r->dropped,
           (unsigned long long)r->timeouts, (unsigned long long)r->late);
    printf("simulated         %llu events in %.2f s wall\n", (unsigned long long)r->events,
           r->wall_s);
}

static int have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char *dup = strdup(path), *save = NULL;
    int found = 0;
    for (char *d = strtok_r(dup, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char p[4096];
        snprintf(p, sizeof p, "%s/gnuplot", d);
        found = access(p, X_OK) == 0;
    }
    free(dup);
    return found;
}

static int plot_sweep(const char *png, const double *drop, const double *acc, const double *an,
                      int n)
{
    FILE *g = popen("gnuplot", "w");
    if (!g) {
        fprintf(stderr, "prism pi2 run: cannot start gnuplot\n");
        return 1;
    }
    fputs("set terminal png size 800,500\nset output ", g);
    plot_quote(g, png); /* quoted: a name with ' cannot end the string */
    fputc('\n', g);
    fprintf(g, "set xlabel 'packet drop probability'\nset ylabel 'accuracy (%%)'\nset grid\n"
               "set key bottom left\nset title 'pi^2 on router primitives: accuracy vs drop'\n");
    fprintf(g, "plot '-' using 1:2 with linespoints title 'fabric (packets)', "
               "'-' using 1:2 with linespoints title 'analytic model'\n");
    for (int i = 0; i < n; i++)
        fprintf(g, "%g %g\n", drop[i], 100 * acc[i]);
    fprintf(g, "e\n");
    for (int i = 0; i < n; i++)
        fprintf(g, "%g %g\n", drop[i], 100 * an[i]);
    fprintf(g, "e\n");
    int st = pclose(g);
    if (st != 0) {
        fprintf(stderr, "prism pi2 run: gnuplot failed writing %s\n", png);
        return 1;
    }
    return 0;
}

int cmd_pi2_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},
        {"data", required_argument, NULL, 'd'},
        {"split", required_argument, NULL, 'S'},
        {"rows", required_argument, NULL, 'r'},
        {"drop", required_argument, NULL, 'D'},
        {"jitter", required_argument, NULL, 'J'},
        {"packet-jitter", required_argument, NULL, 'P'},
        {"ps-per-unit", required_argument, NULL, 'u'},
        {"resolution-ps", required_argument, NULL, 'R'},
        {"link-ps", required_argument, NULL, 'l'},
        {"seed", required_argument, NULL, 's'},
        {"sweep-drop", required_argument, NULL, 'w'},
        {"plot", required_argument, NULL, 'p'},
        {"trace", required_argument, NULL, 't'},
        {"filter", required_argument, NULL, 'f'},
        {"messages", no_argument, NULL, 'M'},
        {"json", no_argument, NULL, 'j'},
        {"noc", no_argument, NULL, 'N'},
        {"force", no_argument, NULL, 'F'},
        {"noc-k", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    fab_opts_t o = {
        .ps_per_unit = 1000, .resolution_ps = 10, .link_ps = 100, .seed = 1, .noc_k = 2};
    const char *model = NULL, *data = NULL, *sweep = NULL, *plot = NULL;
    long split = 0, v;
    int json = 0, force = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 'S':
            if (cli_pi2_parse_int("--split", optarg, 1, 100000000, &split))
                return 2;
            break;
        case 'r':
            if (cli_pi2_parse_int("--rows", optarg, 1, 100000000, &o.rows))
                return 2;
            break;
        case 'D':
            if (cli_pi2_parse_real("--drop", optarg, 0, 1, &o.drop))
                return 2;
            break;
        case 'J':
            if (cli_pi2_parse_real("--jitter", optarg, 0, 100, &o.jitter))
                return 2;
            break;
        case 'P':
            if (cli_pi2_parse_real("--packet-jitter", optarg, 0, 100, &o.packet_jitter))
                return 2;
            break;
        case 'u':
            if (cli_pi2_parse_real("--ps-per-unit", optarg, 1, 1e9, &o.ps_per_unit))
                return 2;
            break;
        case 'R':
            if (cli_pi2_parse_int("--resolution-ps", optarg, 1, 1000000000, &o.resolution_ps))
                return 2;
            break;
        case 'l':
            if (cli_pi2_parse_int("--link-ps", optarg, 1, 1000000000, &o.link_ps))
                return 2;
            break;
        case 's':
            if (cli_pi2_parse_int("--seed", optarg, 0, 0x7fffffffffffffffL, &v))
                return 2;
            o.seed = (uint64_t)v;
            break;
        case 'w': sweep = optarg; break;
        case 'p': plot = optarg; break;
        case 't': o.trace = optarg; break;
        case 'f': o.filter = optarg; break;
        case 'M': o.messages = 1; break;
        case 'N': o.noc = 1; break;
        case 'F': force = 1; break;
        case 'K':
            if (cli_pi2_parse_int("--noc-k", optarg, 2, 64, &o.noc_k))
                return 2;
            break;
        case 'j': json = 1; break;
        case 'h': run_usage(stdout); return 0;
        default: return cli_pi2_bad_option("run", argv);
        }
    }
    if (cli_pi2_no_args("run", argc, argv))
        return 2;
    if (!model || !data) {
        fprintf(stderr, "prism pi2 run: --model and --data are required (--help)\n");
        return 2;
    }
    double sw[3] = {0, 0, 1};
    if (sweep) {
        char *end;
        sw[0] = strtod(sweep, &end);
        if (*end == ':')
            sw[1] = strtod(end + 1, &end);
        if (*end == ':')
            sw[2] = strtod(end + 1, &end);
        if (*end || !(sw[0] >= 0 && sw[1] <= 1 && sw[0] <= sw[1] && sw[2] > 0) ||
            (sw[1] - sw[0]) / sw[2] > 1000) {
            fprintf(stderr,
                    "prism pi2 run: --sweep-drop '%s' must be A:B:STEP with 0 <= A <= B <= 1, "
                    "STEP > 0 (at most 1000 points)\n",
                    sweep);
            return 2;
        }
    }
    if (plot && !sweep) {
        fprintf(stderr, "prism pi2 run: --plot needs --sweep-drop\n");
        return 2;
    }
    if (plot && !have_gnuplot()) {
        fprintf(stderr, "prism pi2 run: --plot needs gnuplot, which is not on PATH "
                        "(install gnuplot-nox, or drop --plot)\n");
        return 2;
    }
    if (o.trace && !force && access(o.trace, F_OK) == 0) {
        fprintf(stderr, "prism pi2 run: %s exists; --force replaces it\n", o.trace);
        return 2;
    }
    if (o.trace && sweep) {
        fprintf(stderr,
                "prism pi2 run: --trace records one run; it does not go with --sweep-drop\n");
        return 2;
    }
    wl_pi2_net_t *net = NULL;
    char err[1024];
    if (wl_pi2_load(model, &net, err, sizeof err)) {
        fprintf(stderr, "prism pi2 run: %s\n", err);
        return 2;
    }
    wl_dataset_t *ds = NULL, train, test;
    int rc = cli_pi2_data(data, split, &ds, &train, &test);
    if (!rc && test.features != net->dims[0]) {
        fprintf(stderr, "prism pi2 run: %s has %d features per row; the model %s takes %d\n",
                ds->path, test.features, model, net->dims[0]);
        rc = 2;
    }
    /* one output per class: a 1- or 11-output model on 10-class digits ran and
     * reported a meaningless accuracy */
    if (!rc && ds->classes != net->dims[net->n_layers]) {
        fprintf(stderr,
                "prism pi2 run: %s has %d classes (labels 0..%d); the model %s has %d outputs\n",
                ds->path, ds->classes, ds->classes - 1, model, net->dims[net->n_layers]);
        rc = 2;
    }
    if (rc) {
        wl_pi2_free(net);
        wl_dataset_free(ds);
        return rc;
    }
    char args[2048] = "prism pi2";
    for (int i = 0; i < argc; i++)
        snprintf(args + strlen(args), sizeof args - strlen(args), " %s", argv[i]);
    o.argv_text = args;
    fab_res_t r;
    if (!sweep) {
        rc = fabric_run(net, &test, &o, &r);
        if (!rc)
            print_one(&r, &o, model, json);
    } else {
        int n = (int)floor((sw[1] - sw[0]) / sw[2] + 1e-9) + 1;
        double *dv = calloc((size_t)n, sizeof(double)), *acc = calloc((size_t)n, sizeof(double)),
               *an = calloc((size_t)n, sizeof(double));
        out_t *out = dv && acc && an ? out_create(stdout, json ? OUT_JSON : OUT_TABLE, 0) : NULL;
        if (!out) {
            fprintf(stderr, "prism pi2 run: out of memory\n");
            rc = 1;
        } else {
            const char *cols[] = {"drop",    "accuracy", "analytic_accuracy",      "mismatches",
                                  "dropped", "packets",  "energy_pj_per_inference"};
            for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
                out_column(out, cols[i]);
        }
        for (int i = 0; !rc && i < n; i++) {
            o.drop = sw[0] + i * sw[2];
            rc = fabric_run(net, &test, &o, &r);
            if (rc)
                break;
            dv[i] = o.drop;
            acc[i] = (double)r.right / r.rows;
            an[i] = (double)r.analytic_right / r.rows;
            out_fixed(out, o.drop, 3);
            out_fixed(out, acc[i], 4);
            out_fixed(out, an[i], 4);
            out_int(out, r.mismatches);
            out_int(out, (long long)r.dropped);
            out_int(out, (long long)r.packets);
            out_fixed(out, r.energy_pj, 1);
        }
        if (out && out_finish(out))
            rc = 1;
        if (!rc && plot) {
            rc = plot_sweep(plot, dv, acc, an, n);
            if (!rc && !json)
                printf("plot              %s\n", plot);
        }
        free(dv);
        free(acc);
        free(an);
    }
    wl_pi2_free(net);
    wl_dataset_free(ds);
    return rc;
}
