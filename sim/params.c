/* Model registry and parameter resolution: a model's parameter table is
 * data; text values from a config or the command line are checked against
 * it (name, type, range, choices) and resolved once, before init. */
#include "sim/sim_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- registry ---------------------------------------------------------- */
static const sim_model_t **g_models;
static size_t g_n_models, g_cap_models;

static int model_cmp(const void *a, const void *b)
{
    const sim_model_t *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

int sim_model_register(const sim_model_t *m)
{
    if (!m || !m->name || !m->handle)
        return SIM_ERR;
    for (size_t i = 0; i < g_n_models; i++)
        if (strcmp(g_models[i]->name, m->name) == 0)
            return 0;
    if (g_n_models == g_cap_models) {
        size_t cap = g_cap_models ? g_cap_models * 2 : 32;
        const sim_model_t **a = realloc(g_models, cap * sizeof *a);
        if (!a)
            return SIM_ERR_NOMEM;
        g_models = a;
        g_cap_models = cap;
    }
    g_models[g_n_models++] = m;
    qsort(g_models, g_n_models, sizeof *g_models, model_cmp);
    return 0;
}

const sim_model_t *sim_model_find(const char *name)
{
    for (size_t i = 0; i < g_n_models; i++)
        if (strcmp(g_models[i]->name, name) == 0)
            return g_models[i];
    return NULL;
}

size_t sim_model_count(void) { return g_n_models; }
const sim_model_t *sim_model_at(size_t i) { return i < g_n_models ? g_models[i] : NULL; }

/* ---- parsing one value ---------------------------------------------------- */
static int parse_bool(const char *t, int *out)
{
    if (!strcasecmp(t, "true") || !strcasecmp(t, "yes") || !strcasecmp(t, "on") || !strcmp(t, "1")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(t, "false") || !strcasecmp(t, "no") || !strcasecmp(t, "off") || !strcmp(t, "0")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_real(const char *t, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(t, &end);
    if (end == t || *end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *t, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (end != t && *end == '\0' && errno == 0) {
        *out = v;
        return 0;
    }
    /* accept integral reals such as 1e6 */
    double d;
    if (parse_real(t, &d) == 0 && d == floor(d) && fabs(d) < 9.2e18) {
        *out = (int64_t)d;
        return 0;
    }
    return -1;
}

static int choice_ok(const char *choices, const char *t)
{
    size_t n = strlen(t);
    const char *p = choices;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, t, n) == 0)
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static const char *type_name(sim_ptype_t t)
{
    switch (t) {
    case SIM_P_INT: return "an integer";
    case SIM_P_REAL: return "a number";
    case SIM_P_BOOL: return "true or false";
    case SIM_P_STR: return "a string";
    case SIM_P_ENUM: return "one of";
    }
    return "?";
}

/* Resolve one value; on error write a message (without location) to err. */
static int resolve(struct sim_param_val *v, const char *model, char *err, size_t errlen)
{
    const sim_param_def_t *d = v->def;
    const char *t = v->text;
    int bad = 0;
    switch (d->type) {
    case SIM_P_INT:
        bad = parse_int(t, &v->i);
        v->r = (double)v->i;
        break;
    case SIM_P_REAL:
        bad = parse_real(t, &v->r);
        v->i = fabs(v->r) < 9.2e18 ? (int64_t)v->r : 0;
        break;
    case SIM_P_BOOL: {
        int b = 0;
        bad = parse_bool(t, &b);
        v->i = b;
        v->r = b;
        break;
    }
    case SIM_P_STR: break;
    case SIM_P_ENUM:
        if (!choice_ok(d->choices, t)) {
            snprintf(err, errlen, "parameter '%s' of model '%s' is '%s'; expected one of %s",
                     d->name, model, t, d->choices);
            return SIM_ERR_CONFIG;
        }
        break;
    }
    if (bad) {
        snprintf(err, errlen, "parameter '%s' of model '%s' is '%s'; expected %s", d->name,
                 model, t, type_name(d->type));
        return SIM_ERR_CONFIG;
    }
    if ((d->type == SIM_P_INT || d->type == SIM_P_REAL) && d->min <= d->max &&
        (v->r < d->min || v->r > d->max)) {
        snprintf(err, errlen, "parameter '%s' of model '%s' is %s%s%s; allowed range is [%g, %g]",
                 d->name, model, t, d->unit && *d->unit ? " " : "", d->unit ? d->unit : "",
                 d->min, d->max);
        return SIM_ERR_CONFIG;
    }
    return 0;
}

void sim_params_free(struct sim_params *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].text);
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

int sim_params_build(struct sim_params *p, const sim_model_t *m, const char *const *kv, char *err,
                     size_t errlen)
{
    size_t n = 0;
    if (m->params)
        while (m->params[n].name)
            n++;
    p->n = n;
    p->v = calloc(n ? n : 1, sizeof *p->v);
    if (!p->v)
        return SIM_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        p->v[i].def = &m->params[i];
        p->v[i].text = strdup(m->params[i].def ? m->params[i].def : "");
    }
    for (size_t k = 0; kv && kv[k]; k += 2) {
        const char *name = kv[k], *val = kv[k + 1] ? kv[k + 1] : "";
        size_t i;
        for (i = 0; i < n; i++)
            if (strcmp(p->v[i].def->name, name) == 0)
                break;
        if (i == n) {
            char known[512] = "";
            size_t len = 0;
            for (size_t j = 0; j < n && len < sizeof known - 40; j++)
                len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", j ? ", " : "",
                                        p->v[j].def->name);
            snprintf(err, errlen, "unknown parameter '%s' for model '%s' (known: %s)", name,
                     m->name, n ? known : "none");
            return SIM_ERR_CONFIG;
        }
        if (p->v[i].set) {
            snprintf(err, errlen, "parameter '%s' given twice", name);
            return SIM_ERR_CONFIG;
        }
        free(p->v[i].text);
        p->v[i].text = strdup(val);
        p->v[i].set = 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!p->v[i].text)
            return SIM_ERR_NOMEM;
        int rc = resolve(&p->v[i], m->name, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

static const struct sim_param_val *find(const sim_params_t *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].def->name, name) == 0)
            return &p->v[i];
    return NULL;
}

/* Asking for a parameter the model did not declare is a programming error in
 * the model; it reads as zero/empty so the failure shows in its tests. */
int64_t sim_param_int(const sim_params_t *p, const char *name)
{
    const struct sim_param_val *v = find(p, name);
    return v ? v->i : 0;
}
double sim_param_real(const sim_params_t *p, const char *name)
{
    const struct sim_param_val *v = find(p, name);
    return v ? v->r : 0.0;
}
int sim_param_bool(const sim_params_t *p, const char *name)
{
    const struct sim_param_val *v = find(p, name);
    return v ? (int)v->i : 0;
}
const char *sim_param_str(const sim_params_t *p, const char *name)
{
    const struct sim_param_val *v = find(p, name);
    return v ? v->text : "";
}
int sim_param_is_set(const sim_params_t *p, const char *name)
{
    const struct sim_param_val *v = find(p, name);
    return v ? v->set : 0;
}
size_t sim_params_count(const sim_params_t *p) { return p->n; }
const sim_param_def_t *sim_params_def(const sim_params_t *p, size_t i)
{
    return i < p->n ? p->v[i].def : NULL;
}
const char *sim_params_text(const sim_params_t *p, size_t i)
{
    return i < p->n ? p->v[i].text : NULL;
}
