/* The prism command: one binary, subcommands dispatched from a table. */
#include "cli/cli.h"
#include "cli/out.h"
#include "devices/dev.h"
#include "mapper/map.h"
#include "noc/noc.h"
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"run", cmd_run, "run a simulation from a YAML config, optionally writing a trace DB"},
    {"report", cmd_report, "summarise a trace DB: end time, utilization, energy"},
    {"query", cmd_query, "run SQL on a trace DB; print a table, CSV or JSON"},
    {"diff", cmd_diff, "compare two trace DBs; exit 1 when something moved beyond tolerance"},
    {"export", cmd_export, "write a trace DB as Chrome/Perfetto trace-event JSON"},
    {"plot", cmd_plot, "draw a trace DB with gnuplot: utilization, energy or a timeline (.png/.svg)"},
    {"sweep", cmd_sweep, "run a config over the cartesian product of --set values; a CSV/JSON table"},
    {"train", cmd_train, "train an MLP/CNN on digits with every GEMM in fp32, bfp or rns (Mirage)"},
    {"op", cmd_op, "run one operation on one device model and print cycles, latency, energy"},
    {"map", cmd_map, "map a workload onto a chip of tiers; profile analog sensitivity"},
    {"chip", cmd_chip, "silicon area of a chip config; write area-matched homogeneous chips"},
    {"noc", cmd_noc, "run the on-chip network under synthetic traffic: latency, throughput, curves"},
    {"partition", cmd_partition, "place a config's components on N MPI ranks; print cut, lookahead, load"},
    {"workload", cmd_workload, "inspect built-in models and ONNX graphs; evaluate GPT-2 numerics"},
    {"pi2", cmd_pi2, "train a pi^2 network and run it as packets through router primitives"},
};

void cli_register_models(void)
{
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    noc_register_all();
}

static void usage(FILE *f)
{
    fprintf(f, "prism %s: a cycle-level discrete-event simulator for heterogeneous AI hardware\n\n"
               "usage: prism COMMAND [ARGS]   (prism COMMAND --help for details)\n\ncommands:\n",
            PRISM_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "  %-9s %s\n", "models", "list every registered model with its parameters");
    fprintf(f, "  %-9s %s\n", "version", "print the version");
}

static void json_param_str(const char *key, const char *v, int comma)
{
    printf("%s\"%s\":", comma ? "," : "", key);
    out_json_string(stdout, v ? v : "");
}

static int cmd_models(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: prism models [--json]\nLists every registered model with its parameters: "
                   "unit, default, what it is and where the default comes from.\n");
            return 0;
        } else
            return cli_usage_error("models", "unknown option '%s'", argv[i]);
    }
    if (json) {
        printf("[");
        for (size_t i = 0; i < sim_model_count(); i++) {
            const sim_model_t *m = sim_model_at(i);
            printf("%s\n{", i ? "," : "");
            json_param_str("name", m->name, 0);
            json_param_str("doc", m->doc, 1);
            printf(",\"params\":[");
            for (const sim_param_def_t *p = m->params; p && p->name; p++) {
                printf("%s{", p == m->params ? "" : ",");
                json_param_str("name", p->name, 0);
                json_param_str("unit", p->unit, 1);
                json_param_str("default", p->def, 1);
                if ((p->type == SIM_P_INT || p->type == SIM_P_REAL) && p->min <= p->max)
                    printf(",\"min\":%.17g,\"max\":%.17g", p->min, p->max);
                if (p->type == SIM_P_ENUM)
                    json_param_str("choices", p->choices, 1);
                json_param_str("doc", p->doc, 1);
                json_param_str("source", p->source, 1);
                printf("}");
            }
            printf("]}");
        }
        printf("\n]\n");
        return 0;
    }
    for (size_t i = 0; i < sim_model_count(); i++) {
        const sim_model_t *m = sim_model_at(i);
        printf("%s%s%s\n", m->name, m->doc ? ": " : "", m->doc ? m->doc : "");
        for (const sim_param_def_t *p = m->params; p && p->name; p++)
            printf("    %-22s %-10s default %-10s %s%s%s%s\n", p->name, p->unit && *p->unit ? p->unit : "-",
                   p->def ? p->def : "", p->doc ? p->doc : "", p->source && *p->source ? " [" : "",
                   p->source && *p->source ? p->source : "", p->source && *p->source ? "]" : "");
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* the library finds bundled data (the digits set) through PRISM_DATA_DIR */
    char data_dir[4096];
    if (!getenv("PRISM_DATA_DIR") && cli_data_dir(data_dir, sizeof data_dir) == 0)
        setenv("PRISM_DATA_DIR", data_dir, 0);
    if (argc >= 3 && !strcmp(argv[1], "help")) { /* prism help run = prism run --help */
        static char help_flag[] = "--help";
        static char *help_argv[4];
        help_argv[0] = argv[0];
        help_argv[1] = argv[2];
        help_argv[2] = help_flag;
        argc = 3;
        argv = help_argv;
    }
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        int json = 0;
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--json"))
                json = 1;
            else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                printf("usage: prism version [--json]\n");
                return 0;
            } else
                return cli_usage_error("version", "unknown option '%s'", argv[i]);
        }
        if (json)
            printf("{\"name\":\"prism\",\"version\":\"%s\"}\n", PRISM_VERSION);
        else
            printf("prism %s\n", PRISM_VERSION);
        return 0;
    }
    cli_register_models();
    if (!strcmp(argv[1], "models"))
        return cmd_models(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "prism: unknown command '%s' (prism --help lists them)\n", argv[1]);
    return 2;
}
