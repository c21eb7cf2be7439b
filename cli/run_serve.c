/* `prism run CONFIG --workload LM --requests FILE.csv|poisson:RATE,COUNT[,SEED]
 * [--batching static|continuous] [--max-batch N]`: a stream of requests served
 * by the scheduler of mapper/stream.c, every iteration timed by a cycle-level
 * run; prints one row per request and the latency percentiles (or --json). */
#include "cli/cli.h"
#include "cli/out.h"
#include "mapper/map.h"
#include "run/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "poisson:RATE,COUNT[,SEED]" or a CSV path into *req. 0 or 2 (message printed). */
static int load_requests(const char *spec, int prompt, int output, map_request_t **req,
                         size_t *n_req)
{
    char err[1024];
    int rc;
    if (!strncmp(spec, "poisson:", 8)) {
        double rate = 0;
        unsigned long long count = 0, seed = 1;
        char tail;
        int got = sscanf(spec + 8, "%lf,%llu,%llu%c", &rate, &count, &seed, &tail);
        if (got < 2 || got > 3 || strchr(spec, '-')) {
            fprintf(stderr,
                    "prism run: --requests '%s': give poisson:RATE,COUNT[,SEED] (requests per "
                    "second, how many, a seed)\n",
                    spec);
            return 2;
        }
        rc = map_requests_poisson(rate, (size_t)count, prompt, output, seed, req, err, sizeof err);
        *n_req = (size_t)count;
    } else {
        rc = map_requests_read_csv(spec, req, n_req, err, sizeof err);
    }
    if (rc) {
        fprintf(stderr, "prism run: --requests: %s\n", err);
        return 2;
    }
    return 0;
}

static void print_table(const map_request_t *r, size_t n)
{
    out_t *o = out_create(stdout, OUT_TABLE, 0);
    if (!o)
        return;
    const char *cols[] = {"request", "arrival_ms", "prompt", "output", "first_token_ms",
                          "finish_ms", "ttft_ms", "latency_ms"};
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
        out_column(o, cols[i]);
    for (size_t i = 0; i < n; i++) {
        out_int(o, (long long)i);
        out_fixed(o, (double)r[i].arrival_ps * 1e-9, 3);
        out_int(o, r[i].prompt);
        out_int(o, r[i].output);
        out_fixed(o, (double)r[i].first_ps * 1e-9, 3);
        out_fixed(o, (double)r[i].finish_ps * 1e-9, 3);
        out_fixed(o, (double)(r[i].first_ps - r[i].arrival_ps) * 1e-9, 3);
        out_fixed(o, (double)(r[i].finish_ps - r[i].arrival_ps) * 1e-9, 3);
    }
    out_finish(o);
}

static void print_json(const map_request_t *r, size_t n, const map_serve_stats_t *st,
                       const map_serve_opts_t *o)
{
    printf("{\"batching\":\"%s\",\"max_batch\":%d,\"requests\":%zu,\"end_ps\":%llu,"
           "\"ttft_p50_ps\":%llu,\"ttft_p99_ps\":%llu,\"latency_p50_ps\":%llu,"
           "\"latency_p99_ps\":%llu,\"tokens_per_s\":%.17g,\"iterations\":%llu,"
           "\"simulations\":%llu,\"kv_tokens\":%llu,\"per_request\":[",
           o->continuous ? "continuous" : "static", o->max_batch, n,
           (unsigned long long)st->end_ps, (unsigned long long)st->ttft_p50_ps,
           (unsigned long long)st->ttft_p99_ps, (unsigned long long)st->latency_p50_ps,
           (unsigned long long)st->latency_p99_ps, st->tokens_per_s,
           (unsigned long long)st->iterations, (unsigned long long)st->simulations,
           (unsigned long long)st->kv_tokens);
    for (size_t i = 0; i < n; i++)
        printf("%s{\"arrival_ps\":%llu,\"prompt\":%d,\"output\":%d,\"first_token_ps\":%llu,"
               "\"finish_ps\":%llu}",
               i ? "," : "", (unsigned long long)r[i].arrival_ps, r[i].prompt, r[i].output,
               (unsigned long long)r[i].first_ps, (unsigned long long)r[i].finish_ps);
    printf("]}\n");
}

int cli_serve(const char *config, const sim_config_over_t *over, const char *workload,
              const wl_gen_opts_t *wopts_in, int dtype_given, const char *requests,
              const char *batching, int max_batch, int output, int json)
{
    /* the workload computes in the chip's word size unless --dtype says otherwise */
    wl_gen_opts_t wo = *wopts_in;
    const wl_gen_opts_t *wopts = &wo;
    char err[2048];
    if (!dtype_given) {
        sim_t *s = NULL;
        if (sim_config_load(config, over, &s, NULL, err, sizeof err)) {
            fprintf(stderr, "prism run: %s\n", err);
            return 2;
        }
        char note[160];
        run_chip_dtype(s, &wo.dtype, note, sizeof note);
        sim_destroy(s);
    }
    map_serve_opts_t o = {.max_batch = max_batch};
    if (!batching || !strcmp(batching, "continuous"))
        o.continuous = 1;
    else if (strcmp(batching, "static")) {
        fprintf(stderr, "prism run: --batching '%s' is not static or continuous\n", batching);
        return 2;
    }
    map_request_t *req = NULL;
    size_t n_req = 0;
    if (load_requests(requests, wopts->seq > 0 ? wopts->seq : 128, output > 0 ? output : 128,
                      &req, &n_req))
        return 2;
    map_serve_stats_t st;
    int rc = map_serve(config, over, workload, wopts, &o, req, n_req, &st, err, sizeof err);
    if (rc) {
        fprintf(stderr, "prism run: %s\n", err);
        free(req);
        return 2;
    }
    if (json) {
        print_json(req, n_req, &st, &o);
    } else {
        print_table(req, n_req);
        char a[32], b[32], c[32], d[32], e[32];
        out_human_ps(a, sizeof a, (double)st.ttft_p50_ps);
        out_human_ps(b, sizeof b, (double)st.ttft_p99_ps);
        out_human_ps(c, sizeof c, (double)st.latency_p50_ps);
        out_human_ps(d, sizeof d, (double)st.latency_p99_ps);
        out_human_ps(e, sizeof e, (double)st.end_ps);
        printf("\nbatching     %s, at most %d sequences, KV cache %llu tokens (%llu B each)\n",
               o.continuous ? "continuous (iteration-level)" : "static", o.max_batch,
               (unsigned long long)st.kv_tokens, (unsigned long long)st.kv_bytes_per_token);
        printf("TTFT         p50 %s, p99 %s\n", a, b);
        printf("latency      p50 %s, p99 %s\n", c, d);
        printf("served       %zu requests in %s, %.1f tokens/s, %llu iterations (%llu "
               "cycle-level runs)\n",
               n_req, e, st.tokens_per_s, (unsigned long long)st.iterations,
               (unsigned long long)st.simulations);
    }
    free(req);
    return 0;
}
