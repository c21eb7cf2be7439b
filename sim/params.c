/* Model registry and parameter resolution: a model's parameter table is
 * data; text values from a config or the command line are checked against
 * it (name, type, range, choices) and resolved once, before init. */
#include "sim/sim_int.h"

#include <ctype.h>
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

size_t sim_model_count(void)
{
    return g_n_models;
}
const sim_model_t *sim_model_at(size_t i)
{
    return i < g_n_models ? g_models[i] : NULL;
}

/* ---- parsing one value ---------------------------------------------------- */
static int parse_bool(const char *t, int *out)
{
    if (!strcasecmp(t, "true") || !strcasecmp(t, "yes") || !strcasecmp(t, "on") ||
        !strcmp(t, "1")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(t, "false") || !strcasecmp(t, "no") || !strcasecmp(t, "off") ||
        !strcmp(t, "0")) {
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

/* ---- values with units ------------------------------------------------------- */
/* "512GB/s" for a parameter in GB/s, "2.5ns" for one in ps: a value may carry
 * any unit of its parameter's dimension and is converted to the parameter's. */
typedef struct unit_def {
    const char *name, *dim;
    double si; /* the unit in the dimension's base */
} unit_def_t;

static const unit_def_t unit_defs[] = {
    {"ps", "time", 1e-12},
    {"ns", "time", 1e-9},
    {"us", "time", 1e-6},
    {"ms", "time", 1e-3},
    {"s", "time", 1},
    {"Hz", "frequency", 1},
    {"kHz", "frequency", 1e3},
    {"MHz", "frequency", 1e6},
    {"GHz", "frequency", 1e9},
    {"uW", "power", 1e-6},
    {"mW", "power", 1e-3},
    {"W", "power", 1},
    {"fJ", "energy", 1e-15},
    {"pJ", "energy", 1e-12},
    {"nJ", "energy", 1e-9},
    {"uJ", "energy", 1e-6},
    {"B", "size", 1},
    {"KB", "size", 1e3},
    {"MB", "size", 1e6},
    {"GB", "size", 1e9},
    {"KiB", "size", 1024},
    {"MiB", "size", 1048576.0},
    {"GiB", "size", 1073741824.0},
    {"B/s", "bandwidth", 1},
    {"MB/s", "bandwidth", 1e6},
    {"GB/s", "bandwidth", 1e9},
    {"TB/s", "bandwidth", 1e12},
    {"Mb/s", "bandwidth", 1.25e5},
    {"Gb/s", "bandwidth", 1.25e8},
    {"Tb/s", "bandwidth", 1.25e11},
    {"fJ/bit", "energy/bit", 1e-15},
    {"pJ/bit", "energy/bit", 1e-12},
    {"pJ/B", "energy/byte", 1e-12},
    {"fJ/B", "energy/byte", 1e-15},
};

static const unit_def_t *unit_find(const char *name)
{
    for (size_t i = 0; i < sizeof unit_defs / sizeof *unit_defs; i++)
        if (!strcmp(unit_defs[i].name, name))
            return &unit_defs[i];
    return NULL;
}

/* A number followed by a unit: *unit points at the unit text (NULL: none). */
static int split_unit(const char *t, double *v, char *unit, size_t n)
{
    char *end;
    errno = 0;
    *v = strtod(t, &end);
    if (end == t || errno == ERANGE || !isfinite(*v))
        return -1;
    while (*end == ' ')
        end++;
    if (!*end)
        return 0;
    size_t len = strlen(end);
    while (len && end[len - 1] == ' ')
        len--;
    if (len >= n)
        return -1;
    memcpy(unit, end, len);
    unit[len] = '\0';
    return 1;
}

/* v (in `given`) in the parameter's unit; 0, or -1 with a message. */
static int convert_unit(const sim_param_def_t *d, const char *model, const char *t, double v,
                        const char *given, double *out, char *err, size_t errlen)
{
    const unit_def_t *g = unit_find(given), *p = d->unit ? unit_find(d->unit) : NULL;
    if (!g) {
        snprintf(err, errlen,
                 "parameter '%s' of model '%s' is '%s'; '%s' is not a unit prism knows", d->name,
                 model, t, given);
        return -1;
    }
    if (!p || strcmp(g->dim, p->dim)) {
        snprintf(err, errlen, "parameter '%s' of model '%s' is '%s'; it is %s%s%s, not a %s",
                 d->name, model, t, p ? "in " : "a plain number", p ? d->unit : "",
                 p ? "" : " (no unit)", g->dim);
        return -1;
    }
    *out = v * g->si / p->si;
    return 0;
}

/* Resolve one value; on error write a message (without location) to err. */
static int resolve(struct sim_param_val *v, const char *model, char *err, size_t errlen)
{
    const sim_param_def_t *d = v->def;
    const char *t = v->text;
    int bad = 0;
    double num;
    char unit[32];
    int has_unit = (d->type == SIM_P_INT || d->type == SIM_P_REAL) &&
                   split_unit(t, &num, unit, sizeof unit) == 1;
    if (has_unit) {
        double conv;
        if (convert_unit(d, model, t, num, unit, &conv, err, errlen))
            return SIM_ERR_CONFIG;
        if (d->type == SIM_P_INT) {
            double r = floor(conv + 0.5);
            if (fabs(r - conv) > 1e-9 * fmax(1, fabs(conv)) || fabs(r) > 9.2e18) {
                snprintf(err, errlen,
                         "parameter '%s' of model '%s' is '%s' = %.9g %s; expected a whole number",
                         d->name, model, t, conv, d->unit);
                return SIM_ERR_CONFIG;
            }
            v->i = (int64_t)r;
            v->r = r;
        } else {
            v->r = conv;
            v->i = fabs(conv) < 9.2e18 ? (int64_t)conv : 0;
        }
    }
    switch (has_unit ? SIM_P_STR : d->type) {
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
        snprintf(err, errlen, "parameter '%s' of model '%s' is '%s'; expected %s", d->name, model,
                 t, type_name(d->type));
        return SIM_ERR_CONFIG;
    }
    if ((d->type == SIM_P_INT || d->type == SIM_P_REAL) && d->min <= d->max &&
        (v->r < d->min || v->r > d->max)) {
        snprintf(err, errlen, "parameter '%s' of model '%s' is %s%s%s; allowed range is [%g, %g]",
                 d->name, model, t, d->unit && *d->unit ? " " : "", d->unit ? d->unit : "", d->min,
                 d->max);
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
    return sim_params_build_at(p, m, kv, NULL, err, errlen);
}

int sim_params_build_at(struct sim_params *p, const sim_model_t *m, const char *const *kv,
                        long *bad_pair, char *err, size_t errlen)
{
    size_t n = 0;
    if (bad_pair)
        *bad_pair = -1;
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
        p->v[i].pair = -1;
    }
    for (size_t k = 0; kv && kv[k]; k += 2) {
        const char *name = kv[k], *val = kv[k + 1] ? kv[k + 1] : "";
        if (bad_pair)
            *bad_pair = (long)(k / 2);
        size_t i;
        for (i = 0; i < n; i++)
            if (strcmp(p->v[i].def->name, name) == 0)
                break;
        if (i == n) { /* "bandwidth: 512GB/s" names bandwidth_gbps: a value with a unit may drop the
                         suffix */
            double num;
            char unit[32];
            size_t len = strlen(name), hit = n, hits = 0;
            for (size_t j = 0; j < n; j++)
                if (!strncmp(p->v[j].def->name, name, len) && p->v[j].def->name[len] == '_' &&
                    p->v[j].def->unit && unit_find(p->v[j].def->unit)) {
                    hit = j;
                    hits++;
                }
            if (hits == 1 && split_unit(val, &num, unit, sizeof unit) == 1)
                i = hit;
            else if (hits == 1) {
                snprintf(err, errlen,
                         "unknown parameter '%s' for model '%s'; did you mean '%s' (in %s), or "
                         "'%s' with a unit (%s=%s%s)?",
                         name, m->name, p->v[hit].def->name, p->v[hit].def->unit, name, name, val,
                         p->v[hit].def->unit);
                return SIM_ERR_CONFIG;
            }
        }
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
        p->v[i].pair = (long)(k / 2);
    }
    for (size_t i = 0; i < n; i++) {
        if (!p->v[i].text)
            return SIM_ERR_NOMEM;
        if (bad_pair)
            *bad_pair = p->v[i].pair;
        int rc = resolve(&p->v[i], m->name, err, errlen);
        if (rc)
            return rc;
    }
    if (bad_pair)
        *bad_pair = -1;
    return 0;
}

static const struct sim_param_val *find(const sim_params_t *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].def->name, name) == 0)
            return &p->v[i];
    /* a name the model never declared (a typo in the model): kept, and the
     * caller (sim_init after the model's init, dev_area) fails naming it;
     * the lookup itself answers 0 or "" */
    struct sim_params *w = (struct sim_params *)p;
    if (!w->undeclared[0])
        snprintf(w->undeclared, sizeof w->undeclared, "%s", name);
    return NULL;
}

const char *sim_params_undeclared(const sim_params_t *p)
{
    return p && p->undeclared[0] ? p->undeclared : NULL;
}

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
size_t sim_params_count(const sim_params_t *p)
{
    return p->n;
}
const sim_param_def_t *sim_params_def(const sim_params_t *p, size_t i)
{
    return i < p->n ? p->v[i].def : NULL;
}
const char *sim_params_text(const sim_params_t *p, size_t i)
{
    return i < p->n ? p->v[i].text : NULL;
}
