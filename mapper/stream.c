/* Serving a stream of requests, iteration by iteration (Orca, OSDI 2022;
 * vLLM, SOSP 2023): static batching takes up to max_batch waiting requests,
 * prefills them together and decodes until the longest is done; continuous
 * (iteration-level) batching admits waiting requests at every iteration,
 * prefilling the new ones and decoding the running ones in the same
 * iteration, and retires each request as soon as it is done. Both admit a
 * request only when the KV cache can hold its whole context (prompt + output
 * tokens reserved at admission; no preemption). Every iteration is timed by
 * a cycle-level run of its naive schedule on a fresh simulation of the chip
 * (prefill of the new requests padded to the longest prompt, then one decode
 * step of the running ones padded to the longest context); iterations of the
 * same shape are run once. */
#include "mapper/map_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- request streams -------------------------------------------------------------- */
static int cmp_arrival(const void *a, const void *b)
{
    const map_request_t *x = a, *y = b;
    return x->arrival_ps < y->arrival_ps ? -1 : x->arrival_ps > y->arrival_ps;
}

/* One CSV field as a number: 0, or -1 when it is not one. */
static int field_num(const char *f, double *v)
{
    char *end;
    while (*f == ' ' || *f == '\t')
        f++;
    *v = strtod(f, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    return end == f || *end || !isfinite(*v) ? -1 : 0;
}

int map_requests_read_csv(const char *path, map_request_t **out, size_t *n_out, char *err,
                          size_t n)
{
    *out = NULL;
    *n_out = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return map_fail(err, n, SIM_ERR_IO, "%s: cannot open the request file", path);
    map_request_t *r = NULL;
    size_t cnt = 0, cap = 0;
    char line[1024];
    int rc = 0, lineno = 0;
    static const char *const names[3] = {"arrival (s)", "prompt", "output"};
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
            continue;
        if (cnt == 0 && strstr(line, "arrival"))
            continue; /* the header */
        char *fld[3] = {line, NULL, NULL};
        for (int k = 1; k < 3; k++) {
            char *c = fld[k - 1] ? strchr(fld[k - 1], ',') : NULL;
            if (c)
                *c = '\0';
            fld[k] = c ? c + 1 : NULL;
        }
        double v[3];
        for (int k = 0; k < 3 && !rc; k++) {
            if (!fld[k]) {
                rc = map_fail(err, n, SIM_ERR_CONFIG,
                           "%s:%d: field '%s' is missing (each line: arrival,prompt,output)",
                           path, lineno, names[k]);
            } else if (field_num(fld[k], &v[k]) || v[k] < 0 || (k && (v[k] < 1 || v[k] > 1e6 ||
                                                                          v[k] != floor(v[k])))) {
                rc = map_fail(err, n, SIM_ERR_CONFIG, "%s:%d: field '%s' is %s ('%.40s')", path,
                           lineno, names[k],
                           k ? "not a whole number of tokens in 1..1000000"
                             : "not a non-negative number of seconds",
                           fld[k]);
            }
        }
        if (rc)
            break;
        if (cnt == cap) {
            cap = cap ? 2 * cap : 64;
            map_request_t *p = realloc(r, cap * sizeof *p);
            if (!p) {
                rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
                break;
            }
            r = p;
        }
        memset(&r[cnt], 0, sizeof r[cnt]);
        r[cnt].arrival_ps = (sim_time_t)llround(v[0] * 1e12);
        r[cnt].prompt = (int)v[1];
        r[cnt].output = (int)v[2];
        cnt++;
    }
    fclose(f);
    if (!rc && cnt == 0)
        rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: no requests (each line: arrival,prompt,output)",
                   path);
    if (rc) {
        free(r);
        return rc;
    }
    qsort(r, cnt, sizeof *r, cmp_arrival);
    *out = r;
    *n_out = cnt;
    return 0;
}

int map_requests_poisson(double rate_per_s, size_t count, int prompt, int output, uint64_t seed,
                         map_request_t **out, char *err, size_t n)
{
    *out = NULL;
    if (!(rate_per_s > 0) || count == 0 || count > 10000000 || prompt < 1 || output < 1)
        return map_fail(err, n, SIM_ERR_CONFIG,
                     "a Poisson stream needs a rate > 0, 1..10000000 requests and prompt and "
                     "output lengths >= 1");
    map_request_t *r = calloc(count, sizeof *r);
    if (!r)
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    sim_rng_t g;
    sim_rng_init(&g, seed, 0x5e7e);
    double t = 0;
    for (size_t i = 0; i < count; i++) {
        t += -log(sim_rng_next_uniform(&g)) / rate_per_s; /* exponential gaps */
        r[i].arrival_ps = (sim_time_t)llround(t * 1e12);
        r[i].prompt = prompt;
        r[i].output = output;
    }
    *out = r;
    return 0;
}

/* ---- timing one iteration ----------------------------------------------------------- */
typedef struct iter_key {
    int n_new, prompt, n_dec, kv;
    sim_time_t ps;
} iter_key_t;

typedef struct serve {
    const char *config;
    const sim_config_over_t *over;
    const char *spec;
    wl_gen_opts_t wo;
    iter_key_t *memo;
    size_t n_memo, cap_memo;
    size_t sims; /* cycle-level runs made */
} serve_t;

/* The schedule of one iteration on the units of s's driver, attached. */
static int attach_iteration(serve_t *sv, sim_t *s, int n_new, int prompt, int n_dec, int kv,
                            char *err, size_t n)
{
    const char *driver = NULL;
    map_units_t units;
    int rc = map_find_driver(s, &driver, err, n);
    if (rc || (rc = map_units_from_driver(s, driver, &units, err, n)) != 0)
        return rc;
    map_opts_t mo;
    map_opts_from_driver(s, driver, &units, &mo);
    mo.kv_sram_bytes = 0; /* a served stream's cache (many sequences) lives in DRAM */
    map_schedule_t *sched = NULL, *dec = NULL;
    wl_gen_opts_t p = sv->wo, d = sv->wo;
    p.batch = n_new;
    p.seq = prompt;
    p.phase = WL_PHASE_PREFILL;
    d.batch = n_dec;
    d.phase = WL_PHASE_DECODE;
    d.kv_len = kv;
    if (n_new > 0)
        rc = map_step_schedule(sv->spec, &p, &units, &mo, &sched, err, n);
    if (!rc && n_dec > 0) {
        rc = map_step_schedule(sv->spec, &d, &units, &mo, sched ? &dec : &sched, err, n);
        if (!rc && dec && map_sched_append(sched, dec, sched->n_ops, mo.weight_buffers))
            rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    }
    map_schedule_free(dec);
    if (!rc && (rc = map_capacity_check(s, sched, err, n)) == 0)
        rc = map_attach(s, driver, sched, err, n);
    if (rc)
        map_schedule_free(sched);
    map_units_free(&units);
    return rc;
}

static int iteration_ps(serve_t *sv, int n_new, int prompt, int n_dec, int kv, sim_time_t *out,
                        char *err, size_t n)
{
    if (n_new == 0)
        prompt = 0;
    if (n_dec == 0)
        kv = 0;
    for (size_t i = 0; i < sv->n_memo; i++) {
        const iter_key_t *k = &sv->memo[i];
        if (k->n_new == n_new && k->prompt == prompt && k->n_dec == n_dec && k->kv == kv) {
            *out = k->ps;
            return 0;
        }
    }
    sim_t *s = NULL;
    int rc = sim_config_load(sv->config, sv->over, &s, NULL, err, n);
    if (!rc)
        rc = attach_iteration(sv, s, n_new, prompt, n_dec, kv, err, n);
    if (!rc && (rc = sim_init(s)) != 0)
        map_fail(err, n, rc, "%s", sim_errmsg(s));
    if (!rc && (rc = sim_run(s, SIM_TIME_MAX, UINT64_MAX)) != 0)
        map_fail(err, n, rc, "%s", sim_errmsg(s));
    if (!rc) {
        sim_finish(s);
        *out = sim_end_ps(s);
        sv->sims++;
    }
    sim_destroy(s);
    if (rc)
        return rc;
    if (sv->n_memo == sv->cap_memo) {
        size_t cap = sv->cap_memo ? 2 * sv->cap_memo : 256;
        iter_key_t *m = realloc(sv->memo, cap * sizeof *m);
        if (!m)
            return 0; /* not remembered: still correct */
        sv->memo = m;
        sv->cap_memo = cap;
    }
    sv->memo[sv->n_memo++] = (iter_key_t){n_new, prompt, n_dec, kv, *out};
    return 0;
}

/* ---- the schedulers ----------------------------------------------------------------- */
typedef struct run_state {
    map_request_t *r;
    size_t n, next;      /* requests, the first not yet admitted */
    uint64_t reserved;   /* KV tokens held by admitted, unfinished requests */
    uint64_t cap;        /* KV tokens the cache holds */
    size_t *run, n_run;  /* admitted, unfinished: indexes into r */
    sim_time_t now;
    uint64_t iterations;
} run_state_t;

static uint64_t need(const map_request_t *q) { return (uint64_t)q->prompt + (uint64_t)q->output; }

/* Admits waiting requests that have arrived, in order, while the batch and
 * the cache have room; returns how many. */
static size_t admit(run_state_t *st, int max_batch)
{
    size_t got = 0;
    while (st->next < st->n && st->r[st->next].arrival_ps <= st->now &&
           st->n_run < (size_t)max_batch && st->reserved + need(&st->r[st->next]) <= st->cap) {
        st->reserved += need(&st->r[st->next]);
        st->run[st->n_run++] = st->next++;
        got++;
    }
    return got;
}

/* One iteration: prefill of run[first_new..n_run), a decode step of run[0..first_new). */
static int iterate(serve_t *sv, run_state_t *st, size_t first_new, char *err, size_t n)
{
    int prompt = 0, kv = 0;
    for (size_t i = first_new; i < st->n_run; i++)
        if (st->r[st->run[i]].prompt > prompt)
            prompt = st->r[st->run[i]].prompt;
    for (size_t i = 0; i < first_new; i++) {
        const map_request_t *q = &st->r[st->run[i]];
        int ctx = q->prompt + (q->generated < q->output ? q->generated : q->output) - 1;
        if (ctx > kv)
            kv = ctx;
    }
    sim_time_t d;
    int rc = iteration_ps(sv, (int)(st->n_run - first_new), prompt, (int)first_new, kv, &d, err, n);
    if (rc)
        return rc;
    st->now += d;
    st->iterations++;
    for (size_t i = 0; i < st->n_run; i++) {
        map_request_t *q = &st->r[st->run[i]];
        if (q->generated >= q->output)
            continue; /* static batching: a done sequence pads the batch */
        if (q->generated++ == 0)
            q->first_ps = st->now;
        if (q->generated == q->output)
            q->finish_ps = st->now;
    }
    return 0;
}

static void retire_done(run_state_t *st)
{
    size_t k = 0;
    for (size_t i = 0; i < st->n_run; i++) {
        map_request_t *q = &st->r[st->run[i]];
        if (q->generated >= q->output)
            st->reserved -= need(q);
        else
            st->run[k++] = st->run[i];
    }
    st->n_run = k;
}

static int serve_loop(serve_t *sv, run_state_t *st, const map_serve_opts_t *o, char *err,
                      size_t n)
{
    int rc = 0;
    while (!rc && (st->next < st->n || st->n_run)) {
        if (st->n_run == 0 && st->next < st->n && st->r[st->next].arrival_ps > st->now)
            st->now = st->r[st->next].arrival_ps; /* idle until the next arrival */
        size_t before = st->n_run;
        if (o->continuous || st->n_run == 0)
            admit(st, o->max_batch);
        if (o->continuous) {
            rc = iterate(sv, st, before, err, n);
            retire_done(st);
            continue;
        }
        /* static: the batch runs to its longest request, then leaves at once */
        rc = iterate(sv, st, 0, err, n);
        int left = 1;
        while (!rc && left) {
            left = 0;
            for (size_t i = 0; i < st->n_run; i++)
                left |= st->r[st->run[i]].generated < st->r[st->run[i]].output;
            if (left)
                rc = iterate(sv, st, st->n_run, err, n);
        }
        retire_done(st);
    }
    return rc;
}

/* KV bytes per token of one sequence (all layers, keys and values) and the
 * tokens the chip's dram holds beside the weights. */
static int kv_capacity(serve_t *sv, uint64_t *row, uint64_t *tokens, char *err, size_t n)
{
    wl_gen_opts_t d = sv->wo;
    d.batch = 1;
    d.phase = WL_PHASE_DECODE;
    d.kv_len = 1;
    wl_graph_t *g = NULL;
    char werr[512];
    int rc = wl_load(sv->spec, &d, &g, werr, sizeof werr);
    if (rc)
        return map_fail(err, n, rc, "%s", werr);
    uint64_t weights = wl_graph_weight_bytes(g);
    *row = 0;
    for (size_t i = 0; i < wl_graph_tensor_count(g); i++)
        if (wl_graph_tensor(g, i)->flags & WL_T_KV)
            *row += wl_graph_tensor(g, i)->bytes; /* [1, kv_heads, 1, head_dim] */
    wl_graph_destroy(g);
    if (*row == 0)
        return map_fail(err, n, SIM_ERR_CONFIG,
                     "'%s' has no KV cache: request streams need a decoder (gpt2, llama)",
                     sv->spec);
    sim_t *s = NULL;
    if ((rc = sim_config_load(sv->config, sv->over, &s, NULL, err, n)) != 0)
        return rc;
    const char *driver = NULL;
    map_units_t units;
    memset(&units, 0, sizeof units);
    uint64_t cap = 0;
    if (!(rc = map_find_driver(s, &driver, err, n)) &&
        !(rc = map_units_from_driver(s, driver, &units, err, n))) {
        int ud = map_units_find(&units, MAP_UNIT_DRAM);
        const sim_params_t *p = ud >= 0 ? sim_comp_params(sim_comp_find(s, units.unit[ud].comp))
                                        : NULL;
        for (size_t i = 0; p && i < sim_params_count(p); i++)
            if (!strcmp(sim_params_def(p, i)->name, "capacity_bytes"))
                cap = (uint64_t)sim_param_int(p, "capacity_bytes");
        if (!cap)
            rc = map_fail(err, n, SIM_ERR_CONFIG,
                       "request streams keep the KV cache in a 'dram' unit with capacity_bytes; "
                       "the schedule_driver links none");
    }
    map_units_free(&units);
    sim_destroy(s);
    if (rc)
        return rc;
    *tokens = cap > weights ? (cap - weights) / *row : 0;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    sim_time_t x = *(const sim_time_t *)a, y = *(const sim_time_t *)b;
    return x < y ? -1 : x > y;
}

static void percentiles(sim_time_t *v, size_t n, sim_time_t *p50, sim_time_t *p99)
{
    qsort(v, n, sizeof *v, cmp_u64);
    size_t r50 = (size_t)ceil(0.50 * (double)n), r99 = (size_t)ceil(0.99 * (double)n);
    *p50 = v[(r50 ? r50 : 1) - 1];
    *p99 = v[(r99 ? r99 : 1) - 1];
}

int map_serve(const char *config, const sim_config_over_t *over, const char *spec,
              const wl_gen_opts_t *wo, const map_serve_opts_t *o, map_request_t *req, size_t n_req,
              map_serve_stats_t *st_out, char *err, size_t n)
{
    memset(st_out, 0, sizeof *st_out);
    if (o->max_batch < 1 || n_req == 0)
        return map_fail(err, n, SIM_ERR_CONFIG, "--max-batch must be at least 1 and the stream "
                                             "must hold a request");
    serve_t sv = {.config = config, .over = over, .spec = spec, .wo = *wo};
    uint64_t row = 0, cap = 0;
    int rc = kv_capacity(&sv, &row, &cap, err, n);
    if (rc)
        return rc;
    if (o->kv_tokens && o->kv_tokens < cap)
        cap = o->kv_tokens;
    for (size_t i = 0; i < n_req; i++) {
        req[i].generated = 0;
        req[i].first_ps = req[i].finish_ps = 0;
        if (need(&req[i]) > cap)
            return map_fail(err, n, SIM_ERR_CONFIG,
                         "request %zu (prompt %d + output %d tokens) does not fit the KV cache, "
                         "which holds %llu tokens (%llu B per token)",
                         i, req[i].prompt, req[i].output, (unsigned long long)cap,
                         (unsigned long long)row);
    }
    run_state_t st = {.r = req, .n = n_req, .cap = cap};
    st.run = calloc(n_req, sizeof *st.run);
    sim_time_t *ttft = calloc(n_req, sizeof *ttft), *lat = calloc(n_req, sizeof *lat);
    if (!st.run || !ttft || !lat)
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = serve_loop(&sv, &st, o, err, n);
    if (!rc) {
        uint64_t tokens = 0;
        for (size_t i = 0; i < n_req; i++) {
            ttft[i] = req[i].first_ps - req[i].arrival_ps;
            lat[i] = req[i].finish_ps - req[i].arrival_ps;
            tokens += (uint64_t)req[i].output;
        }
        percentiles(ttft, n_req, &st_out->ttft_p50_ps, &st_out->ttft_p99_ps);
        percentiles(lat, n_req, &st_out->latency_p50_ps, &st_out->latency_p99_ps);
        st_out->end_ps = st.now;
        st_out->iterations = st.iterations;
        st_out->simulations = sv.sims;
        st_out->kv_tokens = cap;
        st_out->kv_bytes_per_token = row;
        st_out->tokens_per_s = st.now ? (double)tokens / ((double)st.now * 1e-12) : 0;
    }
    free(st.run);
    free(ttft);
    free(lat);
    free(sv.memo);
    return rc;
}
