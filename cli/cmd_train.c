/* prism train: trains an MLP or a small CNN on a labelled data set with every
 * GEMM (forward, input gradient, weight gradient) in FP32, block floating
 * point, or RNS executed by the numerics of an rns_photonic device
 * (BFP -> residues -> modular GEMM per modulus with its phase noise ->
 * redundant decode + CRT -> BFP); optionally the same network, seed and
 * schedule in FP32 for comparison. */
#include "cli/cli.h"
#include "cli/out.h"
#include "devices/dev.h"
#include "devices/dev_common.h"
#include "workloads/wl.h"
#include "workloads/wl_train.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage: prism train [--data digits|FILE.csv[.gz]] [options]\n"
          "Trains a network on a labelled data set; every GEMM of the forward, input-gradient\n"
          "and weight-gradient passes runs in the chosen arithmetic. Prints the per-epoch loss\n"
          "and accuracies and the final test accuracy (percent).\n"
          "Options:\n"
          "  --data SPEC          digits (bundled UCI optical digits: first 1437 rows train,\n"
          "                       last 360 test) or a CSV file (features..., label) (digits)\n"
          "  --train-rows N       rows used for training, the rest test (digits: 1437; else 80%)\n"
          "  --model mlp|cnn      MLP in-128-10 or CNN conv3x3(8)-pool-conv3x3(16)-pool-fc (mlp)\n"
          "  --hidden N           MLP hidden width (128)\n"
          "  --arith fp32|bfp|rns arithmetic of every GEMM (rns)\n"
          "  --moduli LIST        RNS base moduli, comma separated (31,32,33)\n"
          "  --redundant N        extra RNS moduli: 1 detects, 2 correct one faulty residue (0)\n"
          "  --phase-noise S      phase noise per modular multiply unit, rad (0)\n"
          "  --block N            BFP block length along K = the core's MMUs per row (16)\n"
          "  --mant-bits B        BFP mantissa bits incl. sign (rns: the widest the moduli allow\n"
          "                       for the block; bfp: 8)\n"
          "  --epochs N           (20)    --batch N (32)    --lr F (0.05)    --momentum F (0.9)\n"
          "  --seed S             initial weights, sample order and noise (1)\n"
          "  --compare fp32       also train the same network, seed and schedule in FP32\n"
          "  --json               one JSON object: test_accuracy (percent), fp32_test_accuracy\n"
          "                       with --compare, per-epoch figures, RNS counters\n"
          "  --progress           draw the progress bar even when stderr is not a terminal\n"
          "Example: prism train --data digits --arith rns --moduli 31,32,33 --epochs 20\n",
          f);
}

typedef struct train_args {
    const char *data, *moduli;
    int arith, redundant, block, mant_bits, train_rows, compare, json, progress;
    double phase_noise;
    wl_train_cfg_t cfg;
} train_args_t;

static int parse_int(const char *opt, const char *text, long lo, long hi, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < lo || v > hi)
        return cli_usage_error("train", "%s '%s': expected an integer in %ld..%ld", opt, text, lo,
                               hi);
    *out = (int)v;
    return 0;
}

static int parse_real(const char *opt, const char *text, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= lo && v <= hi))
        return cli_usage_error("train", "%s '%s': expected a number in %g..%g", opt, text, lo, hi);
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, train_args_t *a)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"model", required_argument, NULL, 'm'},
        {"hidden", required_argument, NULL, 'H'},
        {"arith", required_argument, NULL, 'a'},
        {"moduli", required_argument, NULL, 'M'},
        {"redundant", required_argument, NULL, 'r'},
        {"phase-noise", required_argument, NULL, 'p'},
        {"block", required_argument, NULL, 'b'},
        {"mant-bits", required_argument, NULL, 'w'},
        {"epochs", required_argument, NULL, 'e'},
        {"batch", required_argument, NULL, 'B'},
        {"lr", required_argument, NULL, 'l'},
        {"momentum", required_argument, NULL, 'u'},
        {"seed", required_argument, NULL, 's'},
        {"compare", required_argument, NULL, 'c'},
        {"train-rows", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"progress", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    wl_train_defaults(&a->cfg);
    a->data = "digits";
    a->moduli = "31,32,33";
    a->arith = NUM_ARITH_RNS;
    a->block = 16;
    opterr = 0;
    optind = 1;
    int ch, rc = 0;
    while (!rc && (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': a->data = optarg; break;
        case 'm':
            a->cfg.model = wl_train_model_parse(optarg);
            if (a->cfg.model < 0)
                rc = cli_usage_error("train", "--model '%s': expected mlp or cnn", optarg);
            break;
        case 'H': rc = parse_int("--hidden", optarg, 1, 65536, &a->cfg.hidden); break;
        case 'a':
            a->arith = num_arith_parse(optarg);
            if (a->arith < 0)
                rc = cli_usage_error("train", "--arith '%s': expected fp32, bfp or rns", optarg);
            break;
        case 'M': a->moduli = optarg; break;
        case 'r': rc = parse_int("--redundant", optarg, 0, 4, &a->redundant); break;
        case 'p': rc = parse_real("--phase-noise", optarg, 0, 10, &a->phase_noise); break;
        case 'b': rc = parse_int("--block", optarg, 1, 4096, &a->block); break;
        case 'w': rc = parse_int("--mant-bits", optarg, 2, 24, &a->mant_bits); break;
        case 'e': rc = parse_int("--epochs", optarg, 1, 100000, &a->cfg.epochs); break;
        case 'B': rc = parse_int("--batch", optarg, 1, 1 << 20, &a->cfg.batch); break;
        case 'l': rc = parse_real("--lr", optarg, 1e-9, 100, &a->cfg.lr); break;
        case 'u': rc = parse_real("--momentum", optarg, 0, 0.999999, &a->cfg.momentum); break;
        case 's': {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (end == optarg || *end || optarg[0] == '-')
                rc = cli_usage_error("train", "--seed '%s': expected a non-negative integer",
                                     optarg);
            a->cfg.seed = v;
            break;
        }
        case 'c':
            if (strcmp(optarg, "fp32"))
                rc = cli_usage_error("train", "--compare '%s': only fp32 is supported", optarg);
            a->compare = 1;
            break;
        case 't': rc = parse_int("--train-rows", optarg, 1, 1 << 30, &a->train_rows); break;
        case 'j': a->json = 1; break;
        case 'P': a->progress = 1; break;
        case 'h': usage(stdout); return 1;
        default: return cli_bad_option("train", ch, argv);
        }
    }
    if (!rc && optind < argc)
        rc = cli_usage_error("train", "unexpected argument '%s'", argv[optind]);
    if (!rc && a->arith != NUM_ARITH_RNS && (a->redundant || a->phase_noise > 0))
        rc = cli_usage_error("train", "--redundant and --phase-noise need --arith rns");
    return rc;
}

/* ---- progress --------------------------------------------------------------------- */
typedef struct progress {
    int on, tty;
    const char *label;
} progress_t;

static void on_progress(void *ctx, int epoch, int epochs, int step, int steps, double loss)
{
    progress_t *p = ctx;
    if (!p->on)
        return;
    if (!p->tty && step != steps)
        return; /* one line per epoch when stderr is not a terminal */
    const int width = 30;
    int filled = (int)((double)width * step / steps);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "%s%s epoch %d/%d [%s] %d/%d loss %.4f%s", p->tty ? "\r" : "", p->label,
            epoch + 1, epochs, bar, step, steps, loss, p->tty && step != steps ? "" : "\n");
    fflush(stderr);
}

/* ---- the GEMM of an arithmetic ------------------------------------------------------ */
typedef struct backend {
    sim_t *sim;       /* rns: the rns_photonic component's engine */
    num_gemm_t *gemm; /* the GEMM every pass uses */
    char what[256];   /* one line: arithmetic, moduli, bits */
    num_gemm_cfg_t cfg;
} backend_t;

static void backend_free(backend_t *b)
{
    num_gemm_destroy(b->gemm);
    sim_destroy(b->sim);
    memset(b, 0, sizeof *b);
}

static int backend_make(backend_t *b, int arith, const train_args_t *a)
{
    memset(b, 0, sizeof *b);
    char err[512];
    if (arith == NUM_ARITH_FP32) {
        b->cfg.arith = NUM_ARITH_FP32;
        snprintf(b->what, sizeof b->what, "fp32");
    } else if (arith == NUM_ARITH_BFP) {
        b->cfg.arith = NUM_ARITH_BFP;
        b->cfg.block = a->block;
        b->cfg.mant_bits = a->mant_bits ? a->mant_bits : 8;
        snprintf(b->what, sizeof b->what, "bfp: blocks of %d, %d-bit mantissas", a->block,
                 b->cfg.mant_bits);
    } else {
        /* the numerics of an rns_photonic core with these parameters */
        char cols[16], red[16], mb[16], noise[32];
        snprintf(cols, sizeof cols, "%d", a->block);
        snprintf(red, sizeof red, "%d", a->redundant);
        snprintf(mb, sizeof mb, "%d", a->mant_bits);
        snprintf(noise, sizeof noise, "%.17g", a->phase_noise);
        const char *params[] = {"moduli",    a->moduli, "redundant",       red,   "cols", cols,
                                "mant_bits", mb,        "phase_noise_rad", noise, NULL};
        sim_opts_t o = {.seed = a->cfg.seed};
        b->sim = sim_create(&o);
        if (!b->sim || sim_add_clock(b->sim, "clk", 5e9) ||
            sim_add_component(b->sim, "core", "rns_photonic", "clk", params) < 0 ||
            sim_init(b->sim)) {
            fprintf(stderr, "prism train: %s\n",
                    b->sim ? sim_errmsg(b->sim) : "out of memory for the device");
            backend_free(b);
            return 2;
        }
        sim_comp_t *core = sim_comp_find(b->sim, "core");
        const dev_ext_t *ext = dev_model_ext(sim_model_find("rns_photonic"));
        if (!ext || !ext->gemm_config ||
            ext->gemm_config(core, sim_comp_state(core), a->phase_noise > 0, a->cfg.seed,
                             &b->cfg)) {
            fprintf(stderr, "prism train: the rns_photonic model has no GEMM numerics\n");
            backend_free(b);
            return 1;
        }
        size_t at = (size_t)snprintf(b->what, sizeof b->what, "rns: moduli ");
        for (int i = 0; i < b->cfg.rns.n && at < sizeof b->what; i++)
            at += (size_t)snprintf(b->what + at, sizeof b->what - at, "%s%u%s", i ? "," : "",
                                   b->cfg.rns.m[i],
                                   i == b->cfg.rns.k - 1 && b->cfg.rns.r ? " +" : "");
        if (at < sizeof b->what)
            snprintf(b->what + at, sizeof b->what - at,
                     " (range %.1f bits), blocks of %d, %d-bit mantissas, phase noise %g rad",
                     num_rns_range_bits(&b->cfg.rns), b->cfg.block, b->cfg.mant_bits,
                     a->phase_noise);
    }
    b->gemm = num_gemm_create(&b->cfg, err, sizeof err);
    if (!b->gemm) {
        fprintf(stderr, "prism train: %s\n", err);
        backend_free(b);
        return 2;
    }
    b->cfg = *num_gemm_config(b->gemm);
    return 0;
}

static int train_one(backend_t *b, const train_args_t *a, const wl_dataset_t *tr,
                     const wl_dataset_t *te, const char *label, wl_train_result_t *res)
{
    progress_t p = {.on = a->progress || isatty(2), .tty = isatty(2), .label = label};
    char err[512];
    int rc = wl_train_run(&a->cfg, b->gemm, tr, te, on_progress, &p, res, err, sizeof err);
    if (rc) {
        fprintf(stderr, "prism train: %s\n", err);
        return rc == WL_ERR_ARG ? 2 : 1;
    }
    return 0;
}

static cJSON *epochs_json(const wl_train_result_t *r)
{
    cJSON *arr = cJSON_CreateArray();
    for (int e = 0; e < r->epochs; e++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "epoch", e + 1);
        cJSON_AddNumberToObject(o, "loss", r->epoch[e].loss);
        cJSON_AddNumberToObject(o, "train_accuracy", r->epoch[e].train_accuracy);
        cJSON_AddNumberToObject(o, "test_accuracy", r->epoch[e].test_accuracy);
        cJSON_AddNumberToObject(o, "seconds", r->epoch[e].seconds);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static double mean_epoch_s(const wl_train_result_t *r)
{
    double s = 0;
    for (int e = 0; e < r->epochs; e++)
        s += r->epoch[e].seconds;
    return r->epochs ? s / r->epochs : 0;
}

int cmd_train(int argc, char **argv)
{
    train_args_t a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    char err[512];
    wl_dataset_t *ds = NULL;
    if (wl_dataset_load(a.data, &ds, err, sizeof err)) {
        fprintf(stderr, "prism train: %s\n", err);
        return 2;
    }
    int n_train =
        a.train_rows ? a.train_rows : (!strcmp(a.data, "digits") ? 1437 : (int)(0.8 * ds->rows));
    wl_dataset_t tr, te;
    if (wl_dataset_split(ds, n_train, &tr, &te, err, sizeof err)) {
        fprintf(stderr, "prism train: %s\n", err);
        wl_dataset_free(ds);
        return 2;
    }
    backend_t b, bf;
    memset(&bf, 0, sizeof bf);
    rc = backend_make(&b, a.arith, &a);
    if (!rc && a.compare)
        rc = backend_make(&bf, NUM_ARITH_FP32, &a);
    wl_train_result_t res = {0}, ref = {0};
    if (!rc) {
        if (!a.json)
            printf("prism train: %s on %s (%d train, %d test rows), %s, %d epochs, batch %d, "
                   "seed %llu\n",
                   wl_train_model_name(a.cfg.model), a.data, tr.rows, te.rows, b.what, a.cfg.epochs,
                   a.cfg.batch, (unsigned long long)a.cfg.seed);
        rc = train_one(&b, &a, &tr, &te, num_arith_name(a.arith), &res);
    }
    if (!rc && a.compare)
        rc = train_one(&bf, &a, &tr, &te, "fp32", &ref);
    if (!rc) {
        const num_gemm_stats_t *st = num_gemm_stats(b.gemm);
        if (a.json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "data", a.data);
            cJSON_AddStringToObject(o, "model", wl_train_model_name(a.cfg.model));
            cJSON_AddStringToObject(o, "arith", num_arith_name(a.arith));
            cJSON_AddStringToObject(o, "arithmetic", b.what);
            if (a.arith == NUM_ARITH_RNS) {
                cJSON *m = cJSON_CreateArray();
                for (int i = 0; i < b.cfg.rns.k; i++)
                    cJSON_AddItemToArray(m, cJSON_CreateNumber(b.cfg.rns.m[i]));
                cJSON_AddItemToObject(o, "moduli", m);
                cJSON *rm = cJSON_CreateArray();
                for (int i = b.cfg.rns.k; i < b.cfg.rns.n; i++)
                    cJSON_AddItemToArray(rm, cJSON_CreateNumber(b.cfg.rns.m[i]));
                cJSON_AddItemToObject(o, "redundant_moduli", rm);
                cJSON_AddNumberToObject(o, "range_bits", num_rns_range_bits(&b.cfg.rns));
                cJSON_AddNumberToObject(o, "phase_noise_rad", a.phase_noise);
            }
            if (a.arith != NUM_ARITH_FP32) {
                cJSON_AddNumberToObject(o, "block", b.cfg.block);
                cJSON_AddNumberToObject(o, "mant_bits", b.cfg.mant_bits);
            }
            cJSON_AddNumberToObject(o, "epochs", a.cfg.epochs);
            cJSON_AddNumberToObject(o, "batch", a.cfg.batch);
            cJSON_AddNumberToObject(o, "lr", a.cfg.lr);
            cJSON_AddNumberToObject(o, "seed", (double)a.cfg.seed);
            cJSON_AddNumberToObject(o, "train_rows", tr.rows);
            cJSON_AddNumberToObject(o, "test_rows", te.rows);
            cJSON_AddNumberToObject(o, "params", (double)res.params);
            cJSON_AddNumberToObject(o, "test_accuracy", res.test_accuracy);
            if (a.compare)
                cJSON_AddNumberToObject(o, "fp32_test_accuracy", ref.test_accuracy);
            cJSON_AddNumberToObject(o, "final_loss", res.epoch[res.epochs - 1].loss);
            cJSON_AddNumberToObject(o, "epoch_seconds", mean_epoch_s(&res));
            cJSON_AddNumberToObject(o, "gemms", (double)st->calls);
            cJSON_AddNumberToObject(o, "macs", (double)st->macs);
            if (a.arith == NUM_ARITH_RNS) {
                cJSON_AddNumberToObject(o, "residue_macs", (double)st->residue_macs);
                cJSON_AddNumberToObject(o, "dot_products", (double)st->dot_products);
                cJSON_AddNumberToObject(o, "residue_errors", (double)st->residue_errors);
                cJSON_AddNumberToObject(o, "corrected", (double)st->corrected);
                cJSON_AddNumberToObject(o, "detected_uncorrected", (double)st->detected);
                cJSON_AddNumberToObject(o, "retried", (double)st->retried);
            }
            cJSON_AddItemToObject(o, "per_epoch", epochs_json(&res));
            if (a.compare)
                cJSON_AddItemToObject(o, "fp32_per_epoch", epochs_json(&ref));
            char *s = cJSON_Print(o);
            if (s)
                puts(s);
            free(s);
            cJSON_Delete(o);
        } else {
            out_t *t = out_create(stdout, OUT_TABLE, 0);
            out_column(t, "epoch");
            out_column(t, "loss");
            out_column(t, "train_acc_%");
            out_column(t, "test_acc_%");
            if (a.compare)
                out_column(t, "fp32_test_acc_%");
            out_column(t, "seconds");
            for (int e = 0; e < res.epochs; e++) {
                out_int(t, e + 1);
                out_fixed(t, res.epoch[e].loss, 4);
                out_fixed(t, res.epoch[e].train_accuracy, 2);
                out_fixed(t, res.epoch[e].test_accuracy, 2);
                if (a.compare)
                    out_fixed(t, ref.epoch[e].test_accuracy, 2);
                out_fixed(t, res.epoch[e].seconds, 3);
            }
            out_finish(t);
            printf("test_accuracy %.2f %%", res.test_accuracy);
            if (a.compare)
                printf("  (fp32 %.2f %%, difference %+.2f points)", ref.test_accuracy,
                       res.test_accuracy - ref.test_accuracy);
            printf("\n%llu GEMMs, %.3g MACs", (unsigned long long)st->calls, (double)st->macs);
            if (a.arith == NUM_ARITH_RNS)
                printf(", %.3g residue MACs, %llu dot products decoded, %llu residue errors, %llu "
                       "corrected, %llu detected and not corrected, %llu retried",
                       (double)st->residue_macs, (unsigned long long)st->dot_products,
                       (unsigned long long)st->residue_errors, (unsigned long long)st->corrected,
                       (unsigned long long)st->detected, (unsigned long long)st->retried);
            printf("; %.3f s per epoch\n", mean_epoch_s(&res));
        }
    }
    wl_train_result_free(&res);
    wl_train_result_free(&ref);
    backend_free(&b);
    backend_free(&bf);
    wl_dataset_free(ds);
    return rc;
}
