/* prism workload eval DIR: runs the reference GPT-2 forward pass
 * (workloads/gpt2_forward.c) over DIR's eval_tokens.u8 / eval_targets.u8 and
 * prints the mean next-token cross-entropy, perplexity and, when DIR holds
 * ref_logits.f32 (PyTorch), the largest logit error against it. Optional
 * noise on one or all projections (AIMC recipe, REFERENCE.md section 4). */
#include "cli/cli.h"
#include "cli/out.h"
#include "workloads/wl_forward.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f,
"usage: prism workload eval DIR [options]\n"
"\n"
"Runs the C GPT-2 forward pass on a Hugging Face GPT-2 directory (config.json,\n"
"model.safetensors) over DIR/eval_tokens.u8 with next-token targets\n"
"DIR/eval_targets.u8 (row-major bytes, one row per sequence), and prints the\n"
"mean cross-entropy (nats per token), perplexity, tokens evaluated and wall\n"
"time. When DIR/ref_logits.f32 exists (float32 [1, P, vocab] for the first P\n"
"positions of row 0), also the max abs logit error against it.\n"
"\n"
"options:\n"
"  --rows N            evaluate the first N rows (default: all)\n"
"  --cols N            tokens per row (default: n_positions of config.json)\n"
"  --noise-proj NAME   perturb one projection (h.0.attn.c_proj, lm_head, ...)\n"
"                      or 'all'; the others stay exact FP32\n"
"  --noise-sigma F     Gaussian weight noise, sigma = F * max|W| (default 0)\n"
"  --in-bits B         DAC bits on the projection input, per-token scale (0 = off)\n"
"  --out-bits B        ADC bits on the projection output, per-token scale (0 = off)\n"
"  --seed S            noise seed (default 1)\n"
"  --json              print one JSON object\n"
"  --help              this text\n");
}

/* Parses "--name value" or "--name=value"; advances *i past the value. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != 0)
        return NULL;
    if (*i + 1 >= argc)
        return "";
    return argv[++*i];
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One sentence on stderr; returns the exit status 2 (bad usage or input). */
__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "prism workload eval: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* Max |logit - ref| over the positions ref holds; 0 on success. */
static int ref_error(wl_gpt2_t *m, const char *dir, const char *tokens_path,
                     const wl_executor_t *exec, int *positions, double *max_err,
                     char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/ref_logits.f32", dir);
    size_t n = 0;
    float *ref = wl_read_f32_file(path, &n, err, errlen);
    if (!ref)
        return -1;
    const wl_gpt2_config_t *c = wl_gpt2_config(m);
    size_t V = (size_t)c->vocab_size;
    int rc = -1;
    int *ids = NULL;
    float *logits = NULL;
    FILE *f = NULL;
    if (n % V != 0 || n / V > (size_t)c->n_ctx) {
        snprintf(err, errlen, "%s: %zu floats is not [1, P <= %d, %zu]", path, n,
                 c->n_ctx, V);
        goto done;
    }
    int P = (int)(n / V);
    ids = malloc((size_t)P * sizeof *ids);
    logits = malloc(n * sizeof *logits);
    if (!ids || !logits) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    f = fopen(tokens_path, "rb");
    for (int t = 0; f && t < P; t++) {
        int ch = fgetc(f);
        if (ch == EOF)
            break;
        ids[t] = ch;
        if (t == P - 1)
            rc = 0;
    }
    if (rc) {
        snprintf(err, errlen, "%s: fewer than the %d tokens ref_logits.f32 needs",
                 tokens_path, P);
        goto done;
    }
    if ((rc = wl_gpt2_forward(m, ids, P, logits, exec)) != 0) {
        snprintf(err, errlen, "%s", wl_gpt2_errmsg(m));
        goto done;
    }
    double mx = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)logits[i] - ref[i]);
        if (!(e <= mx)) /* NaN counts as the largest error */
            mx = isnan(e) ? INFINITY : e;
    }
    *positions = P;
    *max_err = mx;
done:
    if (f)
        fclose(f);
    free(ids);
    free(logits);
    free(ref);
    return rc;
}

int cmd_workload_eval(int argc, char **argv)
{
    const char *dir = NULL, *noise_proj = NULL, *v;
    long rows = 0, cols = 0, in_bits = 0, out_bits = 0, seed = 1;
    double sigma = 0;
    int json = 0, noise_opts = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if ((v = opt_value(argc, argv, &i, "--rows"))) {
            if (parse_long(v, 1, 1L << 24, &rows))
                return fail("--rows wants a positive integer, got '%s'", v);
        } else if ((v = opt_value(argc, argv, &i, "--cols"))) {
            if (parse_long(v, 1, 1L << 24, &cols))
                return fail("--cols wants a positive integer, got '%s'", v);
        } else if ((v = opt_value(argc, argv, &i, "--noise-proj"))) {
            if (!*v)
                return fail("--noise-proj wants a projection name or 'all'");
            noise_proj = v;
        } else if ((v = opt_value(argc, argv, &i, "--noise-sigma"))) {
            char *end;
            sigma = strtod(v, &end);
            if (!*v || *end || !(sigma >= 0) || sigma > 1e3)
                return fail("--noise-sigma wants a number >= 0, got '%s'", v);
            noise_opts = 1;
        } else if ((v = opt_value(argc, argv, &i, "--in-bits"))) {
            if (parse_long(v, 0, 24, &in_bits) || in_bits == 1)
                return fail("--in-bits wants 0 (off) or 2..24, got '%s'", v);
            noise_opts = 1;
        } else if ((v = opt_value(argc, argv, &i, "--out-bits"))) {
            if (parse_long(v, 0, 24, &out_bits) || out_bits == 1)
                return fail("--out-bits wants 0 (off) or 2..24, got '%s'", v);
            noise_opts = 1;
        } else if ((v = opt_value(argc, argv, &i, "--seed"))) {
            if (parse_long(v, 0, 0x7fffffffL, &seed))
                return fail("--seed wants a non-negative integer, got '%s'", v);
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("workload eval", "unknown option '%s'", a);
        } else if (!dir) {
            dir = a;
        } else {
            return fail("one model directory only (got '%s' and '%s')", dir, a);
        }
    }
    if (!dir) {
        usage(stderr);
        return 2;
    }
    if (noise_opts && !noise_proj)
        return fail("--noise-sigma/--in-bits/--out-bits need --noise-proj NAME "
                    "or all");
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return fail("'%s' is not a model directory", dir);

    char err[4352] = ""; /* room for a full path and a sentence */
    double t0 = now_s();
    wl_gpt2_t *m = wl_gpt2_load(dir, err, sizeof err);
    if (!m)
        return fail("%s", err);
    const wl_gpt2_config_t *c = wl_gpt2_config(m);
    if (!cols)
        cols = c->n_ctx;
    if (cols > c->n_ctx) {
        int n_ctx = c->n_ctx;
        wl_gpt2_free(m);
        return fail("--cols %ld exceeds n_positions %d of %s/config.json", cols,
                    n_ctx, dir);
    }

    wl_executor_t exec = wl_executor_exact();
    wl_noise_exec_t *ne = NULL;
    int target = -1;
    if (noise_proj) {
        if (strcmp(noise_proj, "all") != 0 &&
            (target = wl_gpt2_proj_index(m, noise_proj)) < 0) {
            wl_gpt2_free(m);
            return fail("no projection named '%s' (h.N.attn.c_attn, "
                        "h.N.attn.c_proj, h.N.mlp.c_fc, h.N.mlp.c_proj, lm_head"
                        " or all)", noise_proj);
        }
        wl_noise_cfg_t cfg = {.target = target, .weight_sigma_frac = sigma,
                              .in_bits = (int)in_bits, .out_bits = (int)out_bits,
                              .seed = (uint64_t)seed};
        if (!(ne = wl_noise_exec_create(&cfg))) {
            wl_gpt2_free(m);
            return fail("out of memory");
        }
        exec = wl_noise_executor(ne);
    }

    char tok_path[4096], tgt_path[4096];
    snprintf(tok_path, sizeof tok_path, "%s/eval_tokens.u8", dir);
    snprintf(tgt_path, sizeof tgt_path, "%s/eval_targets.u8", dir);
    double mean_ce = 0;
    int rows_done = 0;
    int rc = wl_gpt2_eval_files(m, tok_path, tgt_path, (int)rows, (int)cols,
                                &exec, &mean_ce, &rows_done);
    if (rc) {
        snprintf(err, sizeof err, "%s", wl_gpt2_errmsg(m));
        wl_noise_exec_destroy(ne);
        wl_gpt2_free(m);
        return fail("%s", err);
    }

    char ref_path[4096];
    snprintf(ref_path, sizeof ref_path, "%s/ref_logits.f32", dir);
    int has_ref = stat(ref_path, &sb) == 0, ref_positions = 0;
    double max_err = 0;
    if (has_ref && ref_error(m, dir, tok_path, &exec, &ref_positions, &max_err,
                             err, sizeof err) != 0) {
        wl_noise_exec_destroy(ne);
        wl_gpt2_free(m);
        return fail("%s", err);
    }
    double wall = now_s() - t0;
    long long n_tokens = (long long)rows_done * cols;

    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", dir);
        cJSON_AddNumberToObject(o, "rows", rows_done);
        cJSON_AddNumberToObject(o, "cols", (double)cols);
        cJSON_AddNumberToObject(o, "tokens", (double)n_tokens);
        cJSON_AddNumberToObject(o, "mean_ce", mean_ce);
        cJSON_AddNumberToObject(o, "perplexity", exp(mean_ce));
        if (has_ref) {
            cJSON_AddNumberToObject(o, "max_abs_logit_err", max_err);
            cJSON_AddNumberToObject(o, "ref_positions", ref_positions);
        }
        cJSON *e = cJSON_AddObjectToObject(o, "executor");
        cJSON_AddStringToObject(e, "kind", ne ? "noise" : "exact_fp32");
        if (ne) {
            cJSON_AddStringToObject(e, "proj", noise_proj);
            cJSON_AddNumberToObject(e, "sigma_frac", sigma);
            cJSON_AddNumberToObject(e, "in_bits", (double)in_bits);
            cJSON_AddNumberToObject(e, "out_bits", (double)out_bits);
            cJSON_AddNumberToObject(e, "seed", (double)seed);
        }
        cJSON_AddNumberToObject(o, "wall_time_s", wall);
        char *s = cJSON_Print(o);
        if (s)
            printf("%s\n", s);
        free(s);
        cJSON_Delete(o);
    } else {
        printf("model              %s (gpt2: %d layers, n_embd %d, %d heads, "
               "context %d, vocab %d)\n",
               dir, c->n_layer, c->n_embd, c->n_head, c->n_ctx, c->vocab_size);
        if (ne)
            printf("executor           noise on %s: sigma %g x max|W|, "
                   "in %ld bits, out %ld bits, seed %ld\n",
                   noise_proj, sigma, in_bits, out_bits, seed);
        else
            printf("executor           exact fp32\n");
        printf("tokens             %lld (%d rows x %ld)\n", n_tokens, rows_done,
               cols);
        printf("mean_ce            %.6f nats/token\n", mean_ce);
        printf("perplexity         %.4f\n", exp(mean_ce));
        if (has_ref)
            printf("max_abs_logit_err  %.3g (row 0, %d positions vs "
                   "ref_logits.f32)\n", max_err, ref_positions);
        printf("wall time          %.3f s\n", wall);
    }
    wl_noise_exec_destroy(ne);
    wl_gpt2_free(m);
    return 0;
}
