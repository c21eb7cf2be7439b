/* prism pi2 scale: projects the pi^2 fabric's energy per synaptic event
 * (noc_pi2_energy_per_inference on a network, divided by its synapses) to
 * brain-scale rates of 1e14 and 1e15 synaptic events per second, for
 * today's and projected interconnect energies per bit (sources in the
 * table below and docs/pi2.md). */
#include "cli/cli.h"
#include "cli/out.h"
#include "cli/plot.h"
#include "noc/noc.h"
#include "workloads/pi2.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct scenario {
    const char *name, *when;
    double pj_per_bit;
    const char *source;
} scenario_t;

static const scenario_t scenarios[] = {
    {"on-die wire, 1 mm", "today", 0.1,
     "Borkar and Chien, The Future of Microprocessors, CACM 2011, fig. 11 (45 nm, 0.1 pJ/bit/mm)"},
    {"die-to-die UCIe 2D", "today", 0.5,
     "Das Sharma et al., On-Package Memory with UCIe, Hot Interconnects 2025 (0.5 pJ/b at <= 16 "
     "GT/s)"},
    {"die-to-die UCIe 2.5D", "today", 0.25,
     "Das Sharma et al., Hot Interconnects 2025 (0.25 pJ/b at <= 16 GT/s)"},
    {"3D hybrid bonding", "projected", 0.01,
     "Das Sharma et al., Hot Interconnects 2025 (UCIe 3D: 0.01-0.05 pJ/b)"},
    {"optical, 10 fJ/bit", "projected", 0.01,
     "Miller, Attojoule Optoelectronics for Low-Energy Information Processing and "
     "Communications, J. Lightwave Technol. 2017 (~10 fJ/bit target)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: prism pi2 scale [--model MODEL] [options]\n"
               "\n"
               "Energy per synaptic event of the pi^2 fabric (the analytical model of\n"
               "docs/pi2.md: every multicast replica is a packet hop, plus first-K, credit,\n"
               "delay-buffer and encoder operations at their 45 nm defaults) for several\n"
               "interconnect energies per bit, and the power at 1e14 and 1e15 synaptic events\n"
               "per second. The network is the model's (default: 64-64-10, K = 1).\n"
               "\n"
               "options:\n"
               "  --model FILE        take the layer sizes and K from a model file\n"
               "  --packet-bits N     bits per spike packet (default 64: prism's header flit)\n"
               "  --plot FILE.png     power vs link energy per bit, both rates (gnuplot)\n"
               "  --json              a JSON array\n"
               "  --help              this text\n");
}

static double per_event_pj(const noc_pi2_fabric_t *base, double pj_per_bit, double *synapses)
{
    noc_pi2_fabric_t f = *base;
    f.link_pj_per_bit = pj_per_bit;
    double syn = 0;
    for (int l = 0; l < f.n_layers; l++)
        syn += (double)f.layer[l].inputs * f.layer[l].outputs;
    *synapses = syn;
    return noc_pi2_energy_per_inference(&f) / syn;
}

int cmd_pi2_scale(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'}, {"packet-bits", required_argument, NULL, 'b'},
        {"plot", required_argument, NULL, 'p'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *plot = NULL;
    long bits = 64;
    int json = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'p': plot = optarg; break;
        case 'b':
            if (cli_pi2_parse_int("--packet-bits", optarg, 8, 32768, &bits))
                return 2;
            if (bits % 8) {
                fprintf(stderr, "prism pi2 scale: --packet-bits %ld must be whole bytes\n", bits);
                return 2;
            }
            break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cli_pi2_bad_option("scale", argv);
        }
    }
    if (cli_pi2_no_args("scale", argc, argv))
        return 2;
    noc_pi2_fabric_t f;
    noc_pi2_fabric_defaults(&f);
    f.packet_bytes = (int)(bits / 8);
    wl_pi2_net_t *net = NULL;
    if (model) {
        char err[1024];
        if (wl_pi2_load(model, &net, err, sizeof err)) {
            fprintf(stderr, "prism pi2 scale: %s\n", err);
            return 2;
        }
        f.n_layers = net->n_layers;
        for (int l = 0; l < net->n_layers; l++)
            f.layer[l] = (noc_pi2_layer_t){net->dims[l], net->dims[l + 1], net->k[l], net->w[l]};
    } else {
        f.n_layers = 2;
        f.layer[0] = (noc_pi2_layer_t){64, 64, 1, NULL};
        f.layer[1] = (noc_pi2_layer_t){64, 10, 1, NULL};
    }
    if (plot) {
        const char *path = getenv("PATH");
        int found = 0;
        char *dup = path ? strdup(path) : NULL, *save = NULL;
        for (char *d = dup ? strtok_r(dup, ":", &save) : NULL; d && !found;
             d = strtok_r(NULL, ":", &save)) {
            char p[4096];
            snprintf(p, sizeof p, "%s/gnuplot", d);
            found = access(p, X_OK) == 0;
        }
        free(dup);
        if (!found) {
            fprintf(stderr, "prism pi2 scale: --plot needs gnuplot, which is not on PATH\n");
            wl_pi2_free(net);
            return 2;
        }
    }
    out_t *o = out_create(stdout, json ? OUT_JSON : OUT_TABLE, 0);
    const char *cols[] = {"interconnect",          "when",          "link_pj_per_bit",
                          "pj_per_synaptic_event", "watts_at_1e14", "watts_at_1e15",
                          "tbit_per_s_at_1e15",    "source"};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        out_column(o, cols[i]);
    double syn = 0;
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        const scenario_t *s = &scenarios[i];
        double e = per_event_pj(&f, s->pj_per_bit, &syn);
        out_text(o, s->name);
        out_text(o, s->when);
        out_fixed(o, s->pj_per_bit, 3);
        out_fixed(o, e, 2);
        out_fixed(o, e * 1e-12 * 1e14, 0);
        out_fixed(o, e * 1e-12 * 1e15, 0);
        /* every synaptic event is four packets (two rails to two units) */
        out_fixed(o, 4.0 * (double)bits * 1e15 / 1e12, 0);
        out_text(o, s->source);
    }
    int rc = out_finish(o) ? 1 : 0;
    if (!json) {
        double floor_pj = per_event_pj(&f, 0, &syn);
        printf("\nnetwork %d layers, %.0f synapses, %ld-bit packets; with free links the\n"
               "first-K, credit, buffer and encoder operations alone cost %.2f pJ per event\n",
               f.n_layers, syn, bits, floor_pj);
    }
    if (!rc && plot) {
        /* the name as a gnuplot single-quoted literal: a ' cannot end it */
        char quoted[4200];
        FILE *q = fmemopen(quoted, sizeof quoted, "w");
        if (q) {
            plot_quote(q, plot);
            fclose(q);
        }
        FILE *g = q ? popen("gnuplot", "w") : NULL;
        if (!g) {
            fprintf(stderr, "prism pi2 scale: cannot start gnuplot\n");
            rc = 1;
        } else {
            fprintf(
                g,
                "set terminal png size 800,500\nset output %s\nset logscale xy\n"
                "set xlabel 'interconnect energy (pJ/bit)'\nset ylabel 'power (W)'\n"
                "set grid\nset key top left\nset title 'pi^2 at brain scale (%ld-bit packets)'\n"
                "plot '-' using 1:2 with lines title '1e14 events/s', "
                "'-' using 1:2 with lines title '1e15 events/s'\n",
                quoted, bits);
            for (int r = 0; r < 2; r++) {
                for (double pj = 0.001; pj <= 1.0001; pj *= 1.25893)
                    fprintf(g, "%g %g\n", pj,
                            per_event_pj(&f, pj, &syn) * 1e-12 * (r ? 1e15 : 1e14));
                fprintf(g, "e\n");
            }
            if (pclose(g) != 0) {
                fprintf(stderr, "prism pi2 scale: gnuplot failed writing %s\n", plot);
                rc = 1;
            } else if (!json) {
                printf("plot %s\n", plot);
            }
        }
    }
    wl_pi2_free(net);
    return rc;
}
