/* Sensitivity profile of a GPT-2-family model to analog execution (the AIMC
 * letter's stages 1-2, REFERENCE.md section 4): one projection at a time runs
 * on an analog executor while the others stay exact, and the damage is the
 * mean KL(p_clean || p_noisy) of the next-token distribution over every eval
 * position, averaged over noise seeds, plus the change in cross-entropy.
 *
 * Executors are per projection (map_execset_t): each projection has its own,
 * exact or analog. The analog executor is either the letter's noise model
 * (weights + sigma * max|W| * N(0,1), per-token symmetric DAC and ADC, bias
 * after the ADC: workloads' wl_noise_exec over num/'s quantizer and counter
 * RNG, the ones the devices use) or a device model's own `mvm` numerics
 * (`--device pcm_xbar`, ...), so the profile and the tiers are one model. */
#include "mapper/map_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void map_profile_opts_default(map_profile_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->seeds = 8;
    o->seed = 1;
    o->sigma = 0.02;
    o->in_bits = 8;
    o->out_bits = 8;
}

/* ---- a device's numerics as a projection executor ------------------------------------ */
typedef struct dev_exec {
    sim_t *sim;
    sim_comp_t *comp;
    const dev_ext_t *ext;
    uint64_t seed;
    double *w, *x, *y; /* W as [n_out][n_in] doubles, one token in and out */
    const float *w_src;
    size_t cap_w, cap_x, cap_y;
    char err[256];
} dev_exec_t;

static void dev_exec_free(dev_exec_t *d)
{
    if (!d)
        return;
    sim_destroy(d->sim);
    free(d->w);
    free(d->x);
    free(d->y);
    free(d);
}

static dev_exec_t *dev_exec_open(const char *model, const char *params, uint64_t seed, char *err,
                                 size_t n)
{
    dev_exec_t *d = calloc(1, sizeof *d);
    const sim_model_t *m = sim_model_find(model);
    const dev_ext_t *x = m ? (const dev_ext_t *)m->ext : NULL;
    if (!d || !x || !x->mvm) {
        map_fail(err, n, SIM_ERR_CONFIG,
           "--device '%s' is not an analog device with numerics (one of: rram_xbar, pcm_xbar, "
           "mzi_mesh, mrr_bank)",
           model);
        free(d);
        return NULL;
    }
    d->ext = x;
    d->seed = seed;
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "seed: %llu\nclocks: {c: %gHz}\ncomponents:\n  dut: {model: %s, clock: c, tiling: "
             "true%s%s}\n",
             (unsigned long long)seed, x->default_clock_hz > 0 ? x->default_clock_hz : 1e9, model,
             params && *params ? ", " : "", params ? params : "");
    if (sim_config_load_string(yaml, "--device", NULL, &d->sim, err, n) || sim_init(d->sim)) {
        if (d->sim)
            map_fail(err, n, SIM_ERR_CONFIG, "--device %s: %s", model, sim_errmsg(d->sim));
        dev_exec_free(d);
        return NULL;
    }
    d->comp = sim_comp_find(d->sim, "dut");
    return d;
}

static int grow(double **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    double *q = realloc(*p, need * sizeof *q);
    if (!q)
        return -1;
    *p = q;
    *cap = need;
    return 0;
}

/* Every token through the device's mvm. The programming noise is drawn once
 * per (seed, projection): each token re-seeds the component's stream, so all
 * tokens see the same programmed weights (read noise, where the device has
 * it, is then correlated across tokens: a limit of this executor). */
static int dev_gemm(void *ctx, const wl_proj_t *p, const float *x, int n_rows, float *y)
{
    dev_exec_t *d = ctx;
    size_t ni = (size_t)p->n_in, no = (size_t)p->n_out;
    if (grow(&d->w, &d->cap_w, ni * no) || grow(&d->x, &d->cap_x, ni) || grow(&d->y, &d->cap_y, no))
        return WL_FWD_ENOMEM;
    if (d->w_src != p->W) {
        for (size_t i = 0; i < ni; i++)
            for (size_t o = 0; o < no; o++)
                d->w[o * ni + i] = p->W[i * no + o];
        d->w_src = p->W;
    }
    for (int r = 0; r < n_rows; r++) {
        for (size_t i = 0; i < ni; i++)
            d->x[i] = x[(size_t)r * ni + i];
        sim_rng_t rng;
        sim_rng_init(&rng, d->seed, (uint64_t)p->index + 1);
        dev_num_ctx_t nc = {&rng, 0.0, 1};
        if (d->ext->mvm(d->comp, sim_comp_state(d->comp), d->w, no, ni, d->x, d->y, &nc))
            return WL_FWD_EEXEC;
        for (size_t o = 0; o < no; o++)
            y[(size_t)r * no + o] = (float)d->y[o] + (p->bias ? p->bias[o] : 0.0f);
    }
    return 0;
}

/* ---- one executor per projection ------------------------------------------------------- */
struct map_execset {
    int n;
    wl_executor_t *exec;  /* per projection */
    wl_noise_exec_t **ne; /* owned noise executors (NULL: none) */
    dev_exec_t **dev;     /* owned device executors */
};

static int set_gemm(void *ctx, const wl_proj_t *p, const float *x, int n_rows, float *y)
{
    map_execset_t *s = ctx;
    if (p->index < 0 || p->index >= s->n || !s->exec[p->index].gemm)
        return wl_exec_exact(NULL, p, x, n_rows, y);
    return s->exec[p->index].gemm(s->exec[p->index].ctx, p, x, n_rows, y);
}

void map_execset_free(map_execset_t *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        wl_noise_exec_destroy(s->ne[i]);
        dev_exec_free(s->dev[i]);
    }
    free(s->exec);
    free(s->ne);
    free(s->dev);
    free(s);
}

map_execset_t *map_execset_create(int n_proj)
{
    map_execset_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->n = n_proj;
    s->exec = calloc((size_t)n_proj, sizeof *s->exec);
    s->ne = calloc((size_t)n_proj, sizeof *s->ne);
    s->dev = calloc((size_t)n_proj, sizeof *s->dev);
    if (!s->exec || !s->ne || !s->dev) {
        map_execset_free(s);
        return NULL;
    }
    for (int i = 0; i < n_proj; i++)
        s->exec[i] = wl_executor_exact();
    return s;
}

int map_execset_analog(map_execset_t *s, int proj, const map_profile_opts_t *o, uint64_t seed,
                       char *err, size_t n)
{
    if (proj < 0 || proj >= s->n)
        return map_fail(err, n, SIM_ERR_CONFIG, "projection %d out of range", proj);
    wl_noise_exec_destroy(s->ne[proj]);
    dev_exec_free(s->dev[proj]);
    s->ne[proj] = NULL;
    s->dev[proj] = NULL;
    if (o->device && *o->device) {
        dev_exec_t *d = dev_exec_open(o->device, o->device_params, seed, err, n);
        if (!d)
            return SIM_ERR_CONFIG;
        s->dev[proj] = d;
        s->exec[proj] = (wl_executor_t){d, dev_gemm};
        return 0;
    }
    wl_noise_cfg_t nc = {proj, o->sigma, o->in_bits, o->out_bits, seed};
    wl_noise_exec_t *ne = wl_noise_exec_create(&nc);
    if (!ne)
        return map_fail(err, n, SIM_ERR_CONFIG,
                  "noise model: sigma %g, DAC %d bits, ADC %d bits is not valid (bits 0 or "
                  "2..24)",
                  o->sigma, o->in_bits, o->out_bits);
    s->ne[proj] = ne;
    s->exec[proj] = wl_noise_executor(ne);
    return 0;
}

wl_executor_t map_execset_executor(map_execset_t *s)
{
    wl_executor_t e = {s, set_gemm};
    return e;
}

/* ---- the eval set ---------------------------------------------------------------------- */
typedef struct evalset {
    int rows, cols;
    int *tokens, *targets;
} evalset_t;

static int read_ids(const char *path, int bytes, int rows, int cols, int vocab, int **out,
                    int *rows_out, char *err, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return map_fail(err, n, SIM_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    size_t per_row = (size_t)cols * (size_t)bytes;
    if (len <= 0 || (size_t)len % per_row) {
        fclose(f);
        return map_fail(err, n, SIM_ERR_CONFIG,
                  "%s: %ld bytes is not a whole number of rows of %d tokens x %d bytes", path, len,
                  cols, bytes);
    }
    int have = (int)((size_t)len / per_row);
    if (rows <= 0 || rows > have)
        rows = have;
    size_t cnt = (size_t)rows * (size_t)cols;
    unsigned char *buf = malloc(cnt * (size_t)bytes);
    int *ids = malloc(cnt * sizeof *ids);
    if (!buf || !ids || fread(buf, (size_t)bytes, cnt, f) != cnt) {
        free(buf);
        free(ids);
        fclose(f);
        return map_fail(err, n, SIM_ERR_CONFIG, "%s: short read", path);
    }
    fclose(f);
    for (size_t i = 0; i < cnt; i++) {
        uint32_t v = 0;
        for (int b = 0; b < bytes; b++)
            v |= (uint32_t)buf[i * (size_t)bytes + (size_t)b] << (8 * b);
        if ((int)v >= vocab) {
            free(buf);
            free(ids);
            return map_fail(err, n, SIM_ERR_CONFIG, "%s: token %zu is %u, beyond the vocabulary (%d)",
                      path, i, v, vocab);
        }
        ids[i] = (int)v;
    }
    free(buf);
    *out = ids;
    *rows_out = rows;
    return 0;
}

struct map_quality {
    wl_gpt2_t *m;
    evalset_t ev;
    int vocab;
    float *clean_lp; /* rows x cols x vocab log-probs of the clean model */
    double ce_clean;
    float *logits;
};

static void log_softmax(const float *z, int v, float *out)
{
    float mx = z[0];
    for (int i = 1; i < v; i++)
        if (z[i] > mx)
            mx = z[i];
    double s = 0;
    for (int i = 0; i < v; i++)
        s += exp((double)(z[i] - mx));
    float lse = mx + (float)log(s);
    for (int i = 0; i < v; i++)
        out[i] = z[i] - lse;
}

void map_quality_close(map_quality_t *q)
{
    if (!q)
        return;
    wl_gpt2_free(q->m);
    free(q->ev.tokens);
    free(q->ev.targets);
    free(q->clean_lp);
    free(q->logits);
    free(q);
}

int map_quality_open(const map_profile_opts_t *o, map_quality_t **out, char *err, size_t n)
{
    *out = NULL;
    map_quality_t *q = calloc(1, sizeof *q);
    if (!q)
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    char path[1024], path2[1024];
    int rc = 0;
    q->m = wl_gpt2_load(o->dir, err, n);
    if (!q->m) {
        map_quality_close(q);
        return SIM_ERR_CONFIG;
    }
    const wl_gpt2_config_t *c = wl_gpt2_config(q->m);
    q->vocab = c->vocab_size;
    int cols = o->cols > 0 ? o->cols : c->n_ctx;
    int bytes = o->token_bytes > 0 ? o->token_bytes : c->vocab_size <= 256 ? 1 : 2;
    snprintf(path, sizeof path, "%s", o->tokens ? o->tokens : "");
    if (!o->tokens)
        snprintf(path, sizeof path, "%s/eval_tokens.u8", o->dir);
    snprintf(path2, sizeof path2, "%s", o->targets ? o->targets : "");
    if (!o->targets)
        snprintf(path2, sizeof path2, "%s/eval_targets.u8", o->dir);
    int r1 = 0, r2 = 0;
    if ((rc = read_ids(path, bytes, o->rows, cols, q->vocab, &q->ev.tokens, &r1, err, n)) ||
        (rc = read_ids(path2, bytes, o->rows, cols, q->vocab, &q->ev.targets, &r2, err, n))) {
        map_quality_close(q);
        return rc;
    }
    if (r1 != r2 || cols > c->n_ctx) {
        map_quality_close(q);
        return map_fail(err, n, SIM_ERR_CONFIG,
                  "%s and %s: %d vs %d rows, or %d tokens per row > n_ctx %d", path, path2, r1, r2,
                  cols, c->n_ctx);
    }
    q->ev.rows = r1;
    q->ev.cols = cols;
    size_t pos = (size_t)r1 * (size_t)cols;
    q->clean_lp = malloc(pos * (size_t)q->vocab * sizeof *q->clean_lp);
    q->logits = malloc((size_t)cols * (size_t)q->vocab * sizeof *q->logits);
    if (!q->clean_lp || !q->logits) {
        int v = q->vocab;
        map_quality_close(q);
        return map_fail(err, n, SIM_ERR_NOMEM,
                  "out of memory for %zu positions x %d vocabulary log-probs (use --rows)", pos, v);
    }
    double ce = 0;
    for (int r = 0; r < r1; r++) {
        if (wl_gpt2_forward(q->m, q->ev.tokens + (size_t)r * cols, cols, q->logits, NULL)) {
            rc = map_fail(err, n, SIM_ERR_CONFIG, "%s", wl_gpt2_errmsg(q->m));
            map_quality_close(q);
            return rc;
        }
        for (int t = 0; t < cols; t++) {
            float *lp = q->clean_lp + ((size_t)r * cols + (size_t)t) * (size_t)q->vocab;
            log_softmax(q->logits + (size_t)t * q->vocab, q->vocab, lp);
            ce -= lp[q->ev.targets[(size_t)r * cols + t]];
        }
    }
    q->ce_clean = ce / (double)pos;
    *out = q;
    return 0;
}

int map_quality_n_proj(const map_quality_t *q)
{
    return wl_gpt2_n_proj(q->m);
}

const char *map_quality_proj_name(const map_quality_t *q, int i)
{
    wl_proj_t p;
    return wl_gpt2_proj(q->m, i, &p) ? "?" : p.name;
}

int map_quality_positions(const map_quality_t *q)
{
    return q->ev.rows * q->ev.cols;
}

double map_quality_ce_clean(const map_quality_t *q)
{
    return q->ce_clean;
}

int map_quality_measure(map_quality_t *q, const wl_executor_t *exec, double *kl, double *ce,
                        char *err, size_t n)
{
    int cols = q->ev.cols, V = q->vocab;
    double skl = 0, sce = 0;
    float *lp = malloc((size_t)V * sizeof *lp);
    if (!lp)
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    for (int r = 0; r < q->ev.rows; r++) {
        if (wl_gpt2_forward(q->m, q->ev.tokens + (size_t)r * cols, cols, q->logits, exec)) {
            free(lp);
            return map_fail(err, n, SIM_ERR_MODEL, "forward pass: %s", wl_gpt2_errmsg(q->m));
        }
        for (int t = 0; t < cols; t++) {
            const float *cl = q->clean_lp + ((size_t)r * cols + (size_t)t) * (size_t)V;
            log_softmax(q->logits + (size_t)t * V, V, lp);
            double k = 0;
            for (int i = 0; i < V; i++)
                k += exp((double)cl[i]) * ((double)cl[i] - (double)lp[i]);
            skl += k;
            sce -= lp[q->ev.targets[(size_t)r * cols + t]];
        }
    }
    free(lp);
    double pos = (double)q->ev.rows * cols;
    *kl = skl / pos;
    *ce = sce / pos;
    return 0;
}

/* ---- the profile ------------------------------------------------------------------------ */
void map_profile_free(map_profile_t *p)
{
    if (!p)
        return;
    free(p->row);
    memset(p, 0, sizeof *p);
}

uint64_t map_profile_seed(uint64_t base, int s)
{
    return base * 1000003u + (uint64_t)s;
}

int map_profile_run(const map_profile_opts_t *o, map_profile_t *out, char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    map_quality_t *q = NULL;
    int rc = map_quality_open(o, &q, err, n);
    if (rc)
        return rc;
    int np = map_quality_n_proj(q), seeds = o->seeds > 0 ? o->seeds : 1;
    if (o->max_proj > 0 && o->max_proj < np)
        np = o->max_proj;
    out->row = calloc((size_t)np, sizeof *out->row);
    map_execset_t *set = map_execset_create(map_quality_n_proj(q));
    double *kls = malloc((size_t)seeds * sizeof *kls);
    if (!out->row || !set || !kls) {
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        goto done;
    }
    out->n = np;
    out->ce_clean = q->ce_clean;
    out->positions = map_quality_positions(q);
    out->seeds = seeds;
    wl_executor_t ex = map_execset_executor(set);
    for (int p = 0; p < np && !rc; p++) {
        map_profile_row_t *row = &out->row[p];
        snprintf(row->name, sizeof row->name, "%s", map_quality_proj_name(q, p));
        double sum = 0, dl = 0;
        for (int s = 0; s < seeds; s++) {
            if ((rc = map_execset_analog(set, p, o, map_profile_seed(o->seed, s), err, n)) != 0)
                break;
            double kl, ce;
            if ((rc = map_quality_measure(q, &ex, &kl, &ce, err, n)) != 0)
                break;
            kls[s] = kl;
            sum += kl;
            dl += ce - q->ce_clean;
            if (o->progress)
                o->progress(o->progress_ctx, p * seeds + s + 1, np * seeds);
        }
        if (rc)
            break;
        /* back to exact for the next projection */
        wl_noise_exec_destroy(set->ne[p]);
        dev_exec_free(set->dev[p]);
        set->ne[p] = NULL;
        set->dev[p] = NULL;
        set->exec[p] = wl_executor_exact();
        row->kl_mean = sum / seeds;
        double var = 0;
        for (int s = 0; s < seeds; s++)
            var += (kls[s] - row->kl_mean) * (kls[s] - row->kl_mean);
        row->kl_std = seeds > 1 ? sqrt(var / (seeds - 1)) : 0.0;
        row->dloss_mean = dl / seeds;
    }
done:
    free(kls);
    map_execset_free(set);
    map_quality_close(q);
    if (rc)
        map_profile_free(out);
    return rc;
}

int map_profile_write_csv(const map_profile_t *p, const char *path, char *err, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return map_fail(err, n, SIM_ERR_CONFIG, "%s: cannot write: %s", path, strerror(errno));
    fprintf(f, "projection,kl_mean,kl_std,dloss_mean\n");
    for (int i = 0; i < p->n; i++)
        fprintf(f, "%s,%.9g,%.9g,%.9g\n", p->row[i].name, p->row[i].kl_mean, p->row[i].kl_std,
                p->row[i].dloss_mean);
    if (fclose(f))
        return map_fail(err, n, SIM_ERR_CONFIG, "%s: write error", path);
    return 0;
}

int map_profile_read_csv(const char *path, map_profile_t *out, char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f)
        return map_fail(err, n, SIM_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
    char line[512];
    int ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        if (ln == 1) {
            if (strncmp(line, "projection,kl_mean,kl_std,dloss_mean", 36) != 0) {
                fclose(f);
                map_profile_free(out);
                return map_fail(err, n, SIM_ERR_CONFIG,
                          "%s:1: header is not projection,kl_mean,kl_std,dloss_mean", path);
            }
            continue;
        }
        map_profile_row_t r;
        memset(&r, 0, sizeof r);
        char *c1 = strchr(line, ',');
        if (!c1 || (size_t)(c1 - line) >= sizeof r.name ||
            sscanf(c1 + 1, "%lf,%lf,%lf", &r.kl_mean, &r.kl_std, &r.dloss_mean) != 3) {
            fclose(f);
            map_profile_free(out);
            return map_fail(err, n, SIM_ERR_CONFIG, "%s:%d: not 'name,kl_mean,kl_std,dloss_mean'", path,
                      ln);
        }
        memcpy(r.name, line, (size_t)(c1 - line));
        map_profile_row_t *q = realloc(out->row, (size_t)(out->n + 1) * sizeof *q);
        if (!q) {
            fclose(f);
            map_profile_free(out);
            return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        }
        out->row = q;
        out->row[out->n++] = r;
    }
    fclose(f);
    return 0;
}
