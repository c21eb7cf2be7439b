/* prism pi2: the processing-in-interconnect network. `train` fits the MLP
 * teacher and distils the pi^2 student (workloads/pi2.c) into a model file;
 * `run` maps a model onto router primitives and runs it as packets
 * (cli/cmd_pi2_run.c). */
#include "cli/cli.h"
#include "workloads/pi2.h"
#include "workloads/wl.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_pi2_parse_real(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !(v >= lo && v <= hi)) {
        fprintf(stderr, "prism pi2: %s '%s' must be a number in [%g, %g]\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_pi2_parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "prism pi2: %s '%s' must be an integer in [%ld, %ld]\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_pi2_bad_option(const char *sub, char **argv)
{
    fprintf(stderr, "prism pi2 %s: unknown or incomplete option '%s' (--help lists them)\n", sub,
            argv[optind - 1]);
    return 2;
}

int cli_pi2_no_args(const char *sub, int argc, char **argv)
{
    if (optind >= argc)
        return 0;
    fprintf(stderr, "prism pi2 %s: unexpected argument '%s'\n", sub, argv[optind]);
    return 2;
}

/* Loads SPEC ("digits" or a CSV) and splits it: digits 1437 / 360 unless
 * `split` > 0 says otherwise; a CSV needs --split. Prints the error; 0 or 2. */
int cli_pi2_data(const char *spec, long split, wl_dataset_t **ds, wl_dataset_t *train,
                 wl_dataset_t *test)
{
    char err[512];
    if (wl_dataset_load(spec, ds, err, sizeof err) != 0) {
        fprintf(stderr, "prism pi2: %s\n", err);
        return 2;
    }
    if (split <= 0) {
        if (strcmp(spec, "digits") != 0) {
            fprintf(stderr, "prism pi2: --split N (training rows) is needed for %s\n", spec);
            wl_dataset_free(*ds);
            *ds = NULL;
            return 2;
        }
        split = 1437;
    }
    if (split > (*ds)->rows - 1 ||
        wl_dataset_split(*ds, (int)split, train, test, err, sizeof err) != 0) {
        fprintf(
            stderr,
            "prism pi2: --split %ld: %s has %d rows; the split must leave both parts non-empty\n",
            split, (*ds)->path, (*ds)->rows);
        wl_dataset_free(*ds);
        *ds = NULL;
        return 2;
    }
    return 0;
}

static void train_usage(FILE *f)
{
    fprintf(
        f,
        "usage: prism pi2 train --data digits|FILE.csv[.gz] [options] -o MODEL\n"
        "\n"
        "Trains the bias-free ReLU MLP teacher (cross-entropy, Adamax), then the pi^2\n"
        "student of the same topology initialised from it and distilled with\n"
        "alpha 0.5, T 5 and exact subgradients (docs/pi2.md), optionally under packet\n"
        "drop and output jitter, and writes both to MODEL. Accuracies are on the test\n"
        "rows (digits: rows 1438..1797).\n"
        "\n"
        "options:\n"
        "  --data SPEC         'digits' (bundled, 64-64-10) or a CSV of pixels then label\n"
        "                      (784 pixels: the paper's 784-500-10 with --hidden 500)\n"
        "  --split N           training rows (digits: 1437; required for a CSV)\n"
        "  --k K               pi^2_K: units fire at the mean of their K earliest arrivals "
        "(default 1)\n"
        "  --hidden N          hidden width (default 64; 500 when the data has 784 features)\n"
        "  --epochs N          student (distillation) epochs (default 120)\n"
        "  --teacher-epochs N  teacher epochs (default 200)\n"
        "  --lr F              student Adamax step (default 0.03)\n"
        "  --teacher-lr F      teacher Adamax step (default 0.005)\n"
        "  --batch N           minibatch (default 32)\n"
        "  --drop P            probability an input packet pair is lost during training (default "
        "0.1)\n"
        "  --jitter S          Gaussian sigma on each layer's scaled output during training "
        "(default 0.1)\n"
        "  --stage1-epochs N  first train N epochs with K = --stage1-k in the output layer\n"
        "                      (the authors' two-stage schedule; default 0: one stage)\n"
        "  --stage1-k K        output-layer K of the first stage (default 30 when --stage1-epochs "
        "is set)\n"
        "  --seed S            seed of initialisation, shuffling and noise (default 1)\n"
        "  -o, --output FILE   model file to write (required)\n"
        "  --json              print teacher_accuracy, accuracy, k, epochs, ... as JSON\n"
        "  --progress          draw the per-epoch progress bar even when stderr is not a terminal\n"
        "  --quiet             no progress bar\n"
        "  --help              this text\n");
}

typedef struct bar {
    int on;
} bar_t;

static void train_progress(void *ctx, const char *phase, int epoch, int epochs, double loss,
                           double acc)
{
    bar_t *b = ctx;
    if (!b->on)
        return;
    int width = 30, done = epochs ? epoch * width / epochs : width;
    fprintf(stderr, "\r%-7s [", phase);
    for (int i = 0; i < width; i++)
        fputc(i < done ? '#' : '.', stderr);
    fprintf(stderr, "] epoch %3d/%-3d loss %.4f test %.2f%%", epoch, epochs, loss, 100 * acc);
    if (epoch == epochs)
        fputc('\n', stderr);
    fflush(stderr);
}

static int cmd_pi2_train(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"split", required_argument, NULL, 'S'},
        {"k", required_argument, NULL, 'k'},
        {"hidden", required_argument, NULL, 'H'},
        {"epochs", required_argument, NULL, 'e'},
        {"teacher-epochs", required_argument, NULL, 'E'},
        {"lr", required_argument, NULL, 'l'},
        {"teacher-lr", required_argument, NULL, 'L'},
        {"batch", required_argument, NULL, 'b'},
        {"drop", required_argument, NULL, 'D'},
        {"jitter", required_argument, NULL, 'J'},
        {"seed", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},
        {"progress", no_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'},
        {"stage1-epochs", required_argument, NULL, '1'},
        {"stage1-k", required_argument, NULL, '2'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    wl_pi2_train_cfg_t cfg;
    wl_pi2_train_defaults(&cfg);
    const char *data = NULL, *output = NULL;
    long split = 0, v, hidden = 0;
    int json = 0, progress = 0, quiet = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'o': output = optarg; break;
        case 'S':
            if (cli_pi2_parse_int("--split", optarg, 1, 100000000, &split))
                return 2;
            break;
        case 'k':
            if (cli_pi2_parse_int("--k", optarg, 1, 4096, &v))
                return 2;
            cfg.k = (int)v;
            break;
        case 'H':
            if (cli_pi2_parse_int("--hidden", optarg, 1, 65536, &hidden))
                return 2;
            break;
        case 'e':
            if (cli_pi2_parse_int("--epochs", optarg, 0, 100000, &v))
                return 2;
            cfg.epochs = (int)v;
            break;
        case 'E':
            if (cli_pi2_parse_int("--teacher-epochs", optarg, 0, 100000, &v))
                return 2;
            cfg.teacher_epochs = (int)v;
            break;
        case 'b':
            if (cli_pi2_parse_int("--batch", optarg, 1, 1000000, &v))
                return 2;
            cfg.batch = (int)v;
            break;
        case 's':
            if (cli_pi2_parse_int("--seed", optarg, 0, 0x7fffffffffffffffL, &v))
                return 2;
            cfg.seed = (uint64_t)v;
            break;
        case 'l':
            if (cli_pi2_parse_real("--lr", optarg, 0, 10, &cfg.lr))
                return 2;
            break;
        case 'L':
            if (cli_pi2_parse_real("--teacher-lr", optarg, 0, 10, &cfg.teacher_lr))
                return 2;
            break;
        case 'D':
            if (cli_pi2_parse_real("--drop", optarg, 0, 0.95, &cfg.drop))
                return 2;
            break;
        case 'J':
            if (cli_pi2_parse_real("--jitter", optarg, 0, 100, &cfg.jitter))
                return 2;
            break;
        case '1':
            if (cli_pi2_parse_int("--stage1-epochs", optarg, 0, 100000, &v))
                return 2;
            cfg.stage1_epochs = (int)v;
            break;
        case '2':
            if (cli_pi2_parse_int("--stage1-k", optarg, 0, 65536, &v))
                return 2;
            cfg.stage1_output_k = (int)v;
            break;
        case 'j': json = 1; break;
        case 'p': progress = 1; break;
        case 'q': quiet = 1; break;
        case 'h': train_usage(stdout); return 0;
        default: return cli_pi2_bad_option("train", argv);
        }
    }
    if (cli_pi2_no_args("train", argc, argv))
        return 2;
    if (!data || !output) {
        fprintf(stderr, "prism pi2 train: --data and -o MODEL are required (--help)\n");
        return 2;
    }
    wl_dataset_t *ds = NULL, train, test;
    int rc = cli_pi2_data(data, split, &ds, &train, &test);
    if (rc)
        return rc;
    if (cfg.stage1_epochs && !cfg.stage1_output_k)
        cfg.stage1_output_k = 30;
    cfg.hidden = hidden ? (int)hidden : ds->features == 784 ? 500 : 64;
    bar_t bar = {.on = !quiet && (progress || isatty(2))};
    cfg.progress = train_progress;
    cfg.ctx = &bar;
    wl_pi2_net_t *net = NULL;
    char err[512];
    rc = wl_pi2_train(&train, &test, &cfg, &net, err, sizeof err);
    if (rc) {
        fprintf(stderr, "prism pi2 train: %s\n", err);
        wl_dataset_free(ds);
        return rc == WL_ERR_NOMEM ? 1 : 2;
    }
    rc = wl_pi2_save(net, output, err, sizeof err);
    if (rc) {
        fprintf(stderr, "prism pi2 train: %s\n", err);
        wl_pi2_free(net);
        wl_dataset_free(ds);
        return 1;
    }
    char shape[64] = "";
    for (int l = 0; l <= net->n_layers; l++)
        snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%d", l ? "-" : "",
                 net->dims[l]);
    if (json) {
        printf(
            "{\"model\": \"%s\", \"data\": \"%s\", \"shape\": \"%s\", \"k\": %d, \"epochs\": %d, "
            "\"teacher_epochs\": %d, \"seed\": %llu, \"drop\": %g, \"jitter\": %g, "
            "\"train_rows\": %d, \"test_rows\": %d, \"teacher_accuracy\": %.6f, "
            "\"accuracy\": %.6f}\n",
            output, ds->path, shape, cfg.k, cfg.epochs, cfg.teacher_epochs,
            (unsigned long long)cfg.seed, cfg.drop, cfg.jitter, train.rows, test.rows,
            net->teacher_accuracy, net->accuracy);
    } else {
        printf("model             %s (%s, K=%d)\n", output, shape, cfg.k);
        printf("data              %s (%d train, %d test rows)\n", ds->path, train.rows, test.rows);
        printf("teacher_accuracy  %.2f%% (MLP, %d epochs)\n", 100 * net->teacher_accuracy,
               cfg.teacher_epochs);
        printf("accuracy          %.2f%% (pi^2 analytic, %d epochs, drop %g, jitter %g)\n",
               100 * net->accuracy, cfg.epochs, cfg.drop, cfg.jitter);
    }
    wl_pi2_free(net);
    wl_dataset_free(ds);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: prism pi2 train|run|scale ... (prism pi2 SUBCOMMAND --help)\n"
               "  train   train the MLP teacher and distil the pi^2 student into a model file\n"
               "  run     run a model as packets through router primitives\n"
               "  scale   project energy per synaptic event to brain-scale rates\n");
}

int cmd_pi2(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "train"))
        return cmd_pi2_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run"))
        return cmd_pi2_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "scale"))
        return cmd_pi2_scale(argc - 1, argv + 1);
    fprintf(stderr, "prism pi2: unknown subcommand '%s' (train, run, scale)\n", argv[1]);
    return 2;
}
