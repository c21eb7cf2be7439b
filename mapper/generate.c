/* Autoregressive generation as one schedule: the prefill of the prompt (which
 * gives the first new token) and then one decode step per further token, each
 * step the naive schedule of its own graph (kv_len = prompt + step - 1, so the
 * KV-cache reads grow by one row per step). A step starts when the previous
 * one produced its token; its first weight and KV loads may start as soon as
 * the previous step freed a weight buffer (the weight_buffers rule carried
 * across the step boundary). Figures of merit as in Vidur (MLSys 2024): time
 * to first token and time per output token (docs/workloads.md, Generation). */
#include "mapper/map_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_window_load(const map_schedule_t *s, size_t i)
{
    const char *k = s->info[i].kind;
    return k && (!strcmp(k, "weight_load") || !strcmp(k, "kv_read"));
}

/* Index (in dst) of the weighted GEMM whose completion frees the buffer the
 * next step's first loads use: weight_buffers weighted GEMMs from the end of
 * the step [first, dst->exec.n_entries). NO_ENTRY when the step has fewer. */
static uint32_t window_gemm(const map_schedule_t *dst, size_t first, int weight_buffers)
{
    int seen = 0;
    for (size_t i = dst->exec.n_entries; i-- > first;) {
        const map_exec_entry_t *e = &dst->exec.entries[i];
        if (e->unit < 0 || e->req.kind != DEV_OP_GEMM)
            continue;
        int weighted = 0;
        for (uint32_t j = 0; j < e->n_preds && !weighted; j++)
            weighted = !strcmp(dst->info[dst->exec.preds[e->pred_off + j]].kind, "weight_load");
        if (weighted && ++seen == weight_buffers)
            return (uint32_t)i;
    }
    return NO_ENTRY;
}

/* Appends the entries of src (one step) to dst; src's strings move to dst. The
 * step's entries without predecessors wait for the previous step: loads for
 * its window GEMM, the rest for its last entry. op ids are offset by op_base. */
int map_sched_append(map_schedule_t *dst, map_schedule_t *src, uint64_t op_base,
                     int weight_buffers)
{
    size_t n0 = dst->exec.n_entries, ne = src->exec.n_entries;
    uint32_t last = n0 ? (uint32_t)(n0 - 1) : NO_ENTRY;
    uint32_t window =
        n0 ? window_gemm(dst, dst->n_steps ? dst->step_first[dst->n_steps - 1] : 0, weight_buffers)
           : NO_ENTRY;
    if (window == NO_ENTRY)
        window = last;
    size_t extra = 0;
    for (size_t i = 0; i < ne && n0; i++)
        extra += src->exec.entries[i].n_preds == 0;
    map_exec_entry_t *e = realloc(dst->exec.entries, (n0 + ne) * sizeof *e);
    if (!e)
        return -1;
    dst->exec.entries = e;
    map_entry_info_t *in = realloc(dst->info, (n0 + ne) * sizeof *in);
    if (!in)
        return -1;
    dst->info = in;
    uint32_t *p =
        realloc(dst->exec.preds, (dst->exec.n_preds + src->exec.n_preds + extra + 1) * sizeof *p);
    if (!p)
        return -1;
    dst->exec.preds = p;
    char **st = realloc(dst->strings, (dst->n_strings + src->n_strings + 1) * sizeof *st);
    if (!st)
        return -1;
    dst->strings = st;
    memcpy(st + dst->n_strings, src->strings, src->n_strings * sizeof *st);
    dst->n_strings += src->n_strings;
    dst->cap_strings = dst->n_strings + 1;
    src->n_strings = 0;
    for (size_t i = 0; i < ne; i++) {
        map_exec_entry_t x = src->exec.entries[i];
        size_t off = dst->exec.n_preds;
        for (uint32_t j = 0; j < x.n_preds; j++)
            p[dst->exec.n_preds++] = src->exec.preds[x.pred_off + j] + (uint32_t)n0;
        if (x.n_preds == 0 && last != NO_ENTRY) {
            p[dst->exec.n_preds++] = is_window_load(src, i) ? window : last;
            x.n_preds = 1;
        }
        x.pred_off = off;
        x.op_id += x.op_id ? op_base : 0;
        dst->exec.entries[n0 + i] = x;
        dst->info[n0 + i] = src->info[i];
    }
    dst->exec.n_entries = n0 + ne;
    dst->n_ops += src->n_ops;
    dst->gemm_macs += src->gemm_macs;
    dst->weight_load_bytes += src->weight_load_bytes;
    dst->kv_read_bytes += src->kv_read_bytes;
    dst->kv_write_bytes += src->kv_write_bytes;
    return 0;
}

/* The naive schedule of one step's graph. */
int map_step_schedule(const char *spec, const wl_gen_opts_t *wo, const map_units_t *units,
                      const map_opts_t *mo, map_schedule_t **out, char *err, size_t n)
{
    wl_graph_t *g = NULL;
    char werr[512];
    int rc = wl_load(spec, wo, &g, werr, sizeof werr);
    if (rc)
        return map_fail(err, n, rc, "%s", werr);
    rc = map_naive_opts(g, units, mo, out, err, n);
    wl_graph_destroy(g);
    return rc;
}

int map_generate(const char *spec, const wl_gen_opts_t *wopts, int tokens, const map_units_t *units,
                 const map_opts_t *mo, map_schedule_t **out, char *err, size_t n)
{
    *out = NULL;
    int prompt = wopts->seq > 0 ? wopts->seq : 128;
    if (tokens < 1 || tokens > MAP_GEN_MAX_TOKENS)
        return map_fail(err, n, SIM_ERR_CONFIG, "--generate %d: give 1 to %d new tokens", tokens,
                     MAP_GEN_MAX_TOKENS);
    if (wopts->phase != WL_PHASE_PREFILL)
        return map_fail(err, n, SIM_ERR_CONFIG,
                     "a generation starts with the prefill of the prompt: drop --phase decode");
    map_opts_t o = *mo;
    o.kv_tokens = (uint64_t)prompt + (uint64_t)tokens - 1; /* the cache never moves */
    wl_gen_opts_t wo = *wopts;
    wo.seq = prompt;
    /* the longest step first: a context the model cannot take fails here */
    map_schedule_t *step = NULL;
    wl_gen_opts_t last = wo;
    last.phase = WL_PHASE_DECODE;
    last.kv_len = prompt + tokens - 2;
    int rc = 0;
    if (tokens > 1 && (rc = map_step_schedule(spec, &last, units, &o, &step, err, n)) != 0) {
        size_t l = strlen(err);
        snprintf(err + l, n > l ? n - l : 0, " (the last of %d new tokens after a prompt of %d)",
                 tokens, prompt);
        return rc;
    }
    map_schedule_free(step);
    step = NULL;
    map_schedule_t *s = NULL;
    if ((rc = map_step_schedule(spec, &wo, units, &o, &s, err, n)) != 0)
        return rc;
    s->step_first = calloc((size_t)tokens + 1, sizeof *s->step_first);
    s->step_kv = calloc((size_t)tokens, sizeof *s->step_kv);
    if (!s->step_first || !s->step_kv) {
        map_schedule_free(s);
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    }
    s->n_steps = 1;
    s->step_kv[0] = 0;
    for (int t = 1; t < tokens && !rc; t++) {
        wl_gen_opts_t d = wo;
        d.phase = WL_PHASE_DECODE;
        d.kv_len = prompt + t - 1;
        uint64_t op_base = s->n_ops;
        s->step_first[t] = (uint32_t)s->exec.n_entries;
        rc = map_step_schedule(spec, &d, units, &o, &step, err, n);
        if (!rc && map_sched_append(s, step, op_base, o.weight_buffers))
            rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        map_schedule_free(step);
        step = NULL;
        s->step_kv[t] = (uint32_t)d.kv_len;
        s->n_steps = (size_t)t + 1;
    }
    s->step_first[s->n_steps] = (uint32_t)s->exec.n_entries;
    char msg[256];
    if (!rc && map_exec_check(&s->exec, msg, sizeof msg))
        rc = map_fail(err, n, SIM_ERR_CONFIG, "internal: %s", msg);
    if (rc) {
        map_schedule_free(s);
        return rc;
    }
    s->gen_prompt = prompt;
    s->gen_batch = wopts->batch > 0 ? wopts->batch : 1;
    *out = s;
    return 0;
}

int map_generation_attach(sim_t *s, const char *spec, const wl_gen_opts_t *opts, int tokens,
                          char *err, size_t n)
{
    const char *driver = NULL;
    int rc = map_find_driver(s, &driver, err, n);
    if (rc)
        return rc;
    map_units_t units;
    if ((rc = map_units_from_driver(s, driver, &units, err, n)) != 0)
        return rc;
    map_opts_t mo;
    map_opts_from_driver(s, driver, &units, &mo);
    map_schedule_t *sched = NULL;
    char merr[1024];
    rc = map_generate(spec, opts, tokens, &units, &mo, &sched, merr, sizeof merr);
    if (rc)
        rc = map_fail(err, n, rc, "workload '%s': %s", spec, merr);
    else if ((rc = map_dram_fit(s, &units, sched, spec, err, n)) != 0 ||
             (rc = map_capacity_check(s, sched, err, n)) != 0)
        map_schedule_free(sched);
    else {
        sched->spec = NULL; /* op ids run over the steps: not one graph's */
        if ((rc = map_attach(s, driver, sched, err, n)) != 0)
            map_schedule_free(sched);
    }
    map_units_free(&units);
    return rc;
}

static int cmp_time(const void *a, const void *b)
{
    sim_time_t x = *(const sim_time_t *)a, y = *(const sim_time_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static sim_time_t pct(const sim_time_t *v, size_t n, double p)
{
    size_t r = (size_t)((p / 100.0) * (double)n + 0.999999999);
    if (r < 1)
        r = 1;
    return v[(r > n ? n : r) - 1];
}

int map_generation_stats(const map_schedule_t *s, map_gen_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (!s || s->n_steps == 0 || !s->step_first)
        return -1;
    out->steps = s->n_steps;
    out->step_end_ps = calloc(s->n_steps, sizeof *out->step_end_ps);
    out->step_energy_pj = calloc(s->n_steps, sizeof *out->step_energy_pj);
    out->step_kv_bytes = calloc(s->n_steps, sizeof *out->step_kv_bytes);
    sim_time_t *tpot = calloc(s->n_steps, sizeof *tpot);
    if (!out->step_end_ps || !out->step_energy_pj || !out->step_kv_bytes || !tpot) {
        free(tpot);
        map_gen_stats_free(out);
        return -1;
    }
    for (size_t t = 0; t < s->n_steps; t++) {
        for (size_t i = s->step_first[t]; i < s->step_first[t + 1]; i++) {
            const map_exec_entry_t *e = &s->exec.entries[i];
            if (!e->res.done) {
                free(tpot);
                map_gen_stats_free(out);
                return -1;
            }
            if (e->res.done_ps > out->step_end_ps[t])
                out->step_end_ps[t] = e->res.done_ps;
            out->step_energy_pj[t] += e->res.energy_pj;
            if (s->info[i].kv)
                out->step_kv_bytes[t] += e->req.m;
        }
        /* a step ends when its token is out and it has finished its writes */
        if (t && out->step_end_ps[t] < out->step_end_ps[t - 1])
            out->step_end_ps[t] = out->step_end_ps[t - 1];
        if (t)
            tpot[t - 1] = out->step_end_ps[t] - out->step_end_ps[t - 1];
    }
    out->ttft_ps = out->step_end_ps[0];
    out->end_ps = out->step_end_ps[s->n_steps - 1];
    size_t nd = s->n_steps - 1;
    if (nd) {
        double sum = 0;
        for (size_t i = 0; i < nd; i++)
            sum += (double)tpot[i];
        out->tpot_mean_ps = sum / (double)nd;
        qsort(tpot, nd, sizeof *tpot, cmp_time);
        out->tpot_p50_ps = pct(tpot, nd, 50);
        out->tpot_p99_ps = pct(tpot, nd, 99);
    }
    free(tpot);
    out->tokens = (uint64_t)s->n_steps * (uint64_t)(s->gen_batch > 0 ? s->gen_batch : 1);
    out->tokens_per_s = out->end_ps ? (double)out->tokens / ((double)out->end_ps * 1e-12) : 0;
    return 0;
}

void map_gen_stats_free(map_gen_stats_t *g)
{
    if (!g)
        return;
    free(g->step_end_ps);
    free(g->step_energy_pj);
    free(g->step_kv_bytes);
    memset(g, 0, sizeof *g);
}
