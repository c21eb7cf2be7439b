/* The YAML configuration loader (libyaml's document API, which keeps the
 * line and column of every node, so each error can name file:line:col and
 * the field), and the unit parsers for times, frequencies and bandwidths. */
#include "sim/config_int.h"
#include "sim/sim_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* ---- units ------------------------------------------------------------------ */
static int split_number(const char *text, double *v, const char **unit)
{
    if (!text)
        return -1;
    while (isspace((unsigned char)*text))
        text++;
    char *end;
    errno = 0;
    *v = strtod(text, &end);
    if (end == text || errno == ERANGE || !isfinite(*v) || *v < 0)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    *unit = end;
    size_t n = strlen(end);
    while (n && isspace((unsigned char)end[n - 1]))
        n--;
    return (int)n;
}

typedef struct unit {
    const char *name;
    double scale;
} unit_t;

/* A non-negative number followed by one of `units` (case-insensitive when
 * `nocase`), scaled to the base unit. */
static int parse_scaled(const char *text, const unit_t *units, size_t n_units, int nocase,
                        double *out)
{
    double v;
    const char *u;
    int n = split_number(text, &v, &u);
    if (n < 0)
        return -1;
    for (size_t i = 0; i < n_units; i++)
        if ((int)strlen(units[i].name) == n &&
            (nocase ? strncasecmp(u, units[i].name, (size_t)n)
                    : strncmp(u, units[i].name, (size_t)n)) == 0) {
            *out = v * units[i].scale;
            return 0;
        }
    return -1;
}

#define N_UNITS(a) (sizeof(a) / sizeof((a)[0]))

int sim_parse_time(const char *text, sim_time_t *out)
{
    static const unit_t units[] = {{"", 1},      {"ps", 1},    {"ns", 1e3},
                                   {"us", 1e6},  {"ms", 1e9},  {"s", 1e12},
                                   {"min", 60e12}, {"h", 3600e12}};
    double ps;
    if (parse_scaled(text, units, N_UNITS(units), 0, &ps) || ps > 1.8e19)
        return -1;
    double r = floor(ps + 0.5);
    if (fabs(r - ps) > 1e-6 * (ps > 1 ? ps : 1) || (ps > 0 && r == 0))
        return -1; /* not a whole number of ps (1e-300 is not 0 ps) */
    *out = (sim_time_t)r;
    return 0;
}

int sim_parse_uint(const char *text, uint64_t *out)
{
    if (!text || !*text || *text == '-' || *text == '+' || isspace((unsigned char)*text))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int sim_parse_until(const char *text, sim_time_t *out)
{
    if (text && !strcmp(text, "none")) {
        *out = 0; /* the engine's "no limit" */
        return 0;
    }
    sim_time_t t;
    if (!text || sim_parse_time(text, &t))
        return -1;
    if (t == 0)
        return 1;
    size_t n = strlen(text);
    while (n && isspace((unsigned char)text[n - 1]))
        n--;
    if (n && (isdigit((unsigned char)text[n - 1]) || text[n - 1] == '.'))
        return 2; /* a bare number: the unit is not implied */
    *out = t;
    return 0;
}

int sim_parse_freq(const char *text, double *hz)
{
    static const unit_t units[] = {{"", 1},       {"Hz", 1},  {"kHz", 1e3},
                                   {"MHz", 1e6}, {"GHz", 1e9}, {"THz", 1e12}};
    return parse_scaled(text, units, N_UNITS(units), 1, hz) || !(*hz > 0) ? -1 : 0;
}

int sim_parse_bandwidth(const char *text, double *gbps)
{
    /* bytes per ns; lower-case b is bits */
    static const unit_t units[] = {{"", 1},          {"GB/s", 1},        {"MB/s", 1e-3},
                                   {"TB/s", 1e3},    {"B/ns", 1},        {"Gb/s", 0.125},
                                   {"Mb/s", 0.125e-3}, {"Tb/s", 125}};
    return parse_scaled(text, units, N_UNITS(units), 0, gbps);
}

const char *sim_fmt_time(sim_time_t ps, char *buf, size_t n)
{
    if (ps < 1000ull)
        snprintf(buf, n, "%llu ps", (unsigned long long)ps);
    else if (ps < 1000000ull)
        snprintf(buf, n, "%.3f ns", (double)ps / 1e3);
    else if (ps < 1000000000ull)
        snprintf(buf, n, "%.3f us", (double)ps / 1e6);
    else if (ps < 1000000000000ull)
        snprintf(buf, n, "%.3f ms", (double)ps / 1e9);
    else
        snprintf(buf, n, "%.3f s", (double)ps / 1e12);
    return buf;
}

/* ---- the loader ------------------------------------------------------------------ */
typedef struct loader {
    const char *file;
    cfg_doc_t cd; /* the document after include:, merge keys and --set */
    char *err;
    size_t errlen;
    sim_t *sim;
} loader_t;

static void where_of(loader_t *L, yaml_node_t *node, char *buf, size_t n);
static int lerr(loader_t *L, yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int lerr(loader_t *L, yaml_node_t *node, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char where[600];
    where_of(L, node, where, sizeof where);
    snprintf(L->err, L->errlen, "%s: %s", where, msg);
    return SIM_ERR_CONFIG;
}

/* file:line:col of a node, or the --set that gave it */
static void where_of(loader_t *L, yaml_node_t *node, char *buf, size_t n)
{
    const cfg_label_t *l = node ? cfg_doc_origin(&L->cd, node) : NULL;
    if (l && l->is_set)
        snprintf(buf, n, "%s", l->text);
    else if (node)
        snprintf(buf, n, "%s:%zu:%zu", l ? l->text : L->file, node->start_mark.line + 1,
                 node->start_mark.column + 1);
    else
        snprintf(buf, n, "%s", L->file);
}

static int from_set(loader_t *L, yaml_node_t *node)
{
    const cfg_label_t *l = cfg_doc_origin(&L->cd, node);
    return l && l->is_set;
}

static const char *scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *node(loader_t *L, int id) { return yaml_document_get_node(&L->cd.doc, id); }

static int want_scalar(loader_t *L, yaml_node_t *n, const char *field, const char **out)
{
    *out = scalar(n);
    if (!*out)
        return lerr(L, n, "field '%s' must be a single value, not a %s", field,
                    n && n->type == YAML_MAPPING_NODE ? "mapping" : "list");
    return 0;
}

/* libyaml keeps duplicate keys; a config must not (the last would win
 * silently). Sorting the keys makes this O(n log n): a mapping of 100,000
 * keys used to take minutes with a pairwise check. */
typedef struct key_at {
    const char *key;
    size_t index;
    yaml_node_t *node;
} key_at_t;

static int key_at_cmp(const void *pa, const void *pb)
{
    const key_at_t *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int check_dup_keys(loader_t *L, yaml_node_t *map, const char *where)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return 0;
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    if (n < 2)
        return 0;
    key_at_t *keys = malloc(n * sizeof *keys);
    if (!keys)
        return lerr(L, map, "out of memory checking the keys of '%s'", where);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *k = node(L, map->data.mapping.pairs.start[i].key);
        const char *name = scalar(k);
        if (name)
            keys[m++] = (key_at_t){name, i, k};
    }
    qsort(keys, m, sizeof *keys, key_at_cmp);
    /* the repeat that comes first in the file */
    const key_at_t *first = NULL;
    for (size_t i = 1; i < m; i++)
        if (!strcmp(keys[i].key, keys[i - 1].key) && (!first || keys[i].index < first->index))
            first = &keys[i];
    int rc = first ? lerr(L, first->node, "field '%s%s%s' given twice", where, *where ? "." : "",
                          first->key)
                   : 0;
    free(keys);
    return rc;
}

/* Field `field` must be a mapping (of `what`) without a key given twice. */
static int want_mapping(loader_t *L, yaml_node_t *n, const char *field, const char *what)
{
    if (n->type != YAML_MAPPING_NODE)
        return lerr(L, n, "field '%s' must be a mapping of %s", field, what);
    return check_dup_keys(L, n, field) ? SIM_ERR_CONFIG : 0;
}

static int load_clocks(loader_t *L, yaml_node_t *clocks)
{
    if (want_mapping(L, clocks, "clocks", "name: frequency (e.g. core: 1GHz)"))
        return SIM_ERR_CONFIG;
    for (yaml_node_pair_t *p = clocks->data.mapping.pairs.start; p < clocks->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(L, p->key), *v = node(L, p->value);
        const char *name = scalar(k), *text;
        if (!name)
            return lerr(L, k, "a clock name must be a single value");
        char field[300];
        snprintf(field, sizeof field, "clocks.%s", name);
        int rc = want_scalar(L, v, field, &text);
        if (rc)
            return rc;
        double hz;
        if (sim_parse_freq(text, &hz))
            return lerr(L, v, "field '%s': '%s' is not a frequency (e.g. 1GHz, 500 MHz)", field, text);
        if (sim_add_clock(L->sim, name, hz) < 0)
            return lerr(L, k, "%s", sim_errmsg(L->sim));
    }
    return 0;
}

static int load_components(loader_t *L, yaml_node_t *comps)
{
    if (want_mapping(L, comps, "components", "name: {model: ..., ...}"))
        return SIM_ERR_CONFIG;
    for (yaml_node_pair_t *p = comps->data.mapping.pairs.start; p < comps->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(L, p->key), *v = node(L, p->value);
        const char *name = scalar(k);
        if (!name)
            return lerr(L, k, "a component name must be a single value");
        if (v->type != YAML_MAPPING_NODE)
            return lerr(L, v, "component '%s' must be a mapping with at least 'model'", name);
        char where_key[300];
        snprintf(where_key, sizeof where_key, "components.%s", name);
        if (check_dup_keys(L, v, where_key))
            return SIM_ERR_CONFIG;
        const char *model = NULL, *clock = NULL;
        size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
        const char **kv = calloc(2 * n + 1, sizeof *kv);
        yaml_node_t **kv_node = calloc(2 * n + 1, sizeof *kv_node); /* key, value nodes of kv */
        if (!kv || !kv_node) {
            free(kv);
            free(kv_node);
            return SIM_ERR_NOMEM;
        }
        size_t nkv = 0;
        int rc = 0;
        yaml_node_t *model_node = v;
        for (yaml_node_pair_t *q = v->data.mapping.pairs.start; !rc && q < v->data.mapping.pairs.top; q++) {
            yaml_node_t *qk = node(L, q->key), *qv = node(L, q->value);
            const char *key = scalar(qk), *val;
            char field[300];
            snprintf(field, sizeof field, "components.%s.%s", name, key ? key : "?");
            rc = want_scalar(L, qv, field, &val);
            if (rc)
                break;
            if (!key)
                rc = lerr(L, qk, "a parameter name must be a single value");
            else if (!strcmp(key, "model")) {
                model = val;
                model_node = qv;
            } else if (!strcmp(key, "clock"))
                clock = val;
            else {
                kv_node[nkv] = qk;
                kv_node[nkv + 1] = qv;
                kv[nkv++] = key;
                kv[nkv++] = val;
            }
        }
        if (!rc && !model)
            rc = lerr(L, k, "component '%s' has no 'model'", name);
        /* a value from --set is checked alone first, so its error names the override */
        const sim_model_t *m = rc ? NULL : sim_model_find(model);
        for (yaml_node_pair_t *q = v->data.mapping.pairs.start; m && !rc && q < v->data.mapping.pairs.top; q++) {
            yaml_node_t *qv = node(L, q->value);
            const char *key = scalar(node(L, q->key));
            if (!from_set(L, qv) || !key || !strcmp(key, "model") || !strcmp(key, "clock"))
                continue;
            const char *one[3] = {key, scalar(qv), NULL};
            struct sim_params tmp = {0};
            char msg[900];
            if (sim_params_build(&tmp, m, one, msg, sizeof msg))
                rc = lerr(L, qv, "component '%s': %s", name, msg);
            sim_params_free(&tmp);
        }
        /* a bad name or value in the file: its error names the key's own line:col */
        if (m && !rc) {
            struct sim_params tmp = {0};
            char msg[900];
            long bad = -1;
            if (sim_params_build_at(&tmp, m, kv, &bad, msg, sizeof msg) && bad >= 0) {
                yaml_node_t *bk = kv_node[2 * bad], *bv = kv_node[2 * bad + 1];
                rc = lerr(L, from_set(L, bv) ? bv : bk, "component '%s': %s", name, msg);
            }
            sim_params_free(&tmp);
        }
        if (!rc) {
            char where[512];
            where_of(L, model_node, where, sizeof where);
            if (sim_add_component_at(L->sim, name, model, clock, kv, where) < 0) {
                snprintf(L->err, L->errlen, "%s", sim_errmsg(L->sim));
                rc = SIM_ERR_CONFIG;
            }
        }
        free(kv);
        free(kv_node);
        if (rc)
            return rc;
    }
    return 0;
}

/* "3 cycles" uses the clock of the link's source component. */
static int link_latency(loader_t *L, yaml_node_t *v, const char *from, sim_time_t *out)
{
    const char *text = scalar(v);
    double cycles;
    const char *unit;
    int n = split_number(text, &cycles, &unit);
    if ((n == 6 && !strncmp(unit, "cycles", 6)) || (n == 5 && !strncmp(unit, "cycle", 5))) {
        char cname[256];
        const char *dot = strrchr(from, '.');
        snprintf(cname, sizeof cname, "%.*s", dot ? (int)(dot - from) : 0, from);
        sim_comp_t *c = sim_comp_find(L->sim, cname);
        if (!c || sim_comp_clock(c) < 0)
            return lerr(L, v, "field 'latency': '%s' is in cycles but '%s' has no clock", text, from);
        if (cycles != floor(cycles))
            return lerr(L, v, "field 'latency': '%s' is not a whole number of cycles", text);
        if (cycles > 1.8e19 / (double)sim_comp_period_ps(c))
            return lerr(L, v, "field 'latency': '%s' is beyond the time range (2^64 ps)", text);
        *out = (sim_time_t)cycles * sim_comp_period_ps(c);
        return 0;
    }
    if (sim_parse_time(text, out))
        return lerr(L, v, "field 'latency': '%s' is not a time (e.g. 2ns, 500ps, 3 cycles)", text);
    return 0;
}

static int load_links(loader_t *L, yaml_node_t *links)
{
    if (links->type != YAML_SEQUENCE_NODE)
        return lerr(L, links, "field 'links' must be a list of {from, to, latency, bandwidth}");
    for (yaml_node_item_t *it = links->data.sequence.items.start; it < links->data.sequence.items.top; it++) {
        yaml_node_t *l = node(L, *it);
        if (l->type != YAML_MAPPING_NODE)
            return lerr(L, l, "a link must be a mapping {from: a.port, to: b.port, latency: 1ns}");
        if (check_dup_keys(L, l, "links[]"))
            return SIM_ERR_CONFIG;
        const char *from = NULL, *to = NULL;
        yaml_node_t *lat = NULL, *bw = NULL;
        for (yaml_node_pair_t *q = l->data.mapping.pairs.start; q < l->data.mapping.pairs.top; q++) {
            yaml_node_t *qk = node(L, q->key), *qv = node(L, q->value);
            const char *key = scalar(qk), *val;
            int rc = want_scalar(L, qv, key ? key : "?", &val);
            if (rc)
                return rc;
            if (!key)
                return lerr(L, qk, "a link field name must be a single value");
            if (!strcmp(key, "from"))
                from = val;
            else if (!strcmp(key, "to"))
                to = val;
            else if (!strcmp(key, "latency"))
                lat = qv;
            else if (!strcmp(key, "bandwidth"))
                bw = qv;
            else
                return lerr(L, qk, "unknown link field '%s' (from, to, latency, bandwidth)", key);
        }
        if (!from || !to)
            return lerr(L, l, "a link needs 'from' and 'to'");
        if (!lat)
            return lerr(L, l, "link %s -> %s has no 'latency' (write 0ps for none)", from, to);
        sim_time_t latency;
        int rc = link_latency(L, lat, from, &latency);
        if (rc)
            return rc;
        double gbps = 0;
        if (bw && sim_parse_bandwidth(scalar(bw), &gbps))
            return lerr(L, bw, "field 'bandwidth': '%s' is not a bandwidth (e.g. 16GB/s, 100Gb/s)",
                        scalar(bw));
        char where[512];
        where_of(L, l, where, sizeof where);
        if (sim_add_link_at(L->sim, from, to, latency, gbps, where) < 0) {
            snprintf(L->err, L->errlen, "%s", sim_errmsg(L->sim));
            return SIM_ERR_CONFIG;
        }
    }
    return 0;
}

/* ---- blocks registered by other layers (network: ...) ------------------------------------ */
#define MAX_BLOCKS 8
static struct {
    const char *key;
    sim_config_block_fn fn;
} blocks[MAX_BLOCKS];
static int n_blocks;

int sim_config_register_block(const char *key, sim_config_block_fn expand)
{
    for (int i = 0; i < n_blocks; i++)
        if (!strcmp(blocks[i].key, key))
            return 0;
    if (n_blocks == MAX_BLOCKS)
        return SIM_ERR;
    blocks[n_blocks].key = key;
    blocks[n_blocks++].fn = expand;
    return 0;
}

static int load_block(loader_t *L, int b, yaml_node_t *map)
{
    if (want_mapping(L, map, blocks[b].key, "name: value"))
        return SIM_ERR_CONFIG;
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    const char **kv = calloc(2 * n + 1, sizeof *kv);
    if (!kv)
        return SIM_ERR_NOMEM;
    size_t i = 0;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(L, p->key), *v = node(L, p->value);
        if (!scalar(k) || !scalar(v)) {
            free(kv);
            return lerr(L, scalar(k) ? v : k, "%s: every entry must be name: value", blocks[b].key);
        }
        kv[i++] = scalar(k);
        kv[i++] = scalar(v);
    }
    char where[512], msg[768];
    where_of(L, map, where, sizeof where);
    int rc = blocks[b].fn(L->sim, kv, where, msg, sizeof msg);
    free(kv);
    if (rc)
        return lerr(L, map, "%s: %s", blocks[b].key, msg);
    return 0;
}

static int load_doc(loader_t *L, const sim_config_over_t *over)
{
    yaml_node_t *block_node[MAX_BLOCKS] = {0};
    yaml_node_t *root = yaml_document_get_root_node(&L->cd.doc);
    if (!root)
        return lerr(L, NULL, "the file is empty");
    if (root->type != YAML_MAPPING_NODE)
        return lerr(L, root, "the top level must be a mapping (clocks, components, links, ...)");
    if (check_dup_keys(L, root, ""))
        return SIM_ERR_CONFIG;
    sim_opts_t opts = {0};
    yaml_node_t *clocks = NULL, *comps = NULL, *links = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(L, p->key), *v = node(L, p->value);
        const char *key = scalar(k);
        if (!key)
            return lerr(L, k, "a top-level key must be a single value");
        if (!strcmp(key, "clocks"))
            clocks = v;
        else if (!strcmp(key, "components"))
            comps = v;
        else if (!strcmp(key, "links"))
            links = v;
        else if (!strcmp(key, "seed")) {
            /* decimal, as every --seed option reads it (0x10 and 010 are refused,
             * not read as 16 and 8) */
            const char *t = scalar(v);
            if (sim_parse_uint(t, &opts.seed))
                return lerr(L, v,
                            "field 'seed' must be a non-negative decimal integer below 2^64, not "
                            "'%s'",
                            t ? t : "?");
        } else if (!strcmp(key, "until")) {
            int rc = sim_parse_until(scalar(v), &opts.until_ps);
            if (rc == 1)
                return lerr(L, v,
                            "field 'until' is 0: a run must end after time 0; write 'until: "
                            "none' (or leave it out) for no limit");
            if (rc == 2)
                return lerr(L, v,
                            "field 'until' is '%s' without a unit: write it with one (ps, ns, "
                            "us, ms, s), e.g. %sus, or 'none'",
                            scalar(v), scalar(v));
            if (rc)
                return lerr(L, v, "field 'until' must be a time (e.g. 100us) or 'none'");
        } else if (!strcmp(key, "lookahead")) {
            if (!scalar(v) || sim_parse_time(scalar(v), &opts.lookahead_ps))
                return lerr(L, v, "field 'lookahead' must be a time (e.g. 1ns)");
        } else if (!strcmp(key, "power_density_limit")) {
            const char *t = scalar(v);
            char *end;
            errno = 0;
            opts.power_density_limit = t ? strtod(t, &end) : 0.0;
            if (!t || end == t || *end || errno || !(opts.power_density_limit > 0.0) ||
                !isfinite(opts.power_density_limit))
                return lerr(L, v,
                            "field 'power_density_limit' must be a positive number of W/mm^2 "
                            "(e.g. 1), not '%s'",
                            t ? t : "?");
        } else if (!strcmp(key, "name") || !strcmp(key, "description") || !strcmp(key, "prism") ||
                   !strcmp(key, "templates")) {
            /* documentation fields; templates: holds anchors for merge keys */
        } else {
            int b = 0;
            while (b < n_blocks && strcmp(blocks[b].key, key))
                b++;
            if (b < n_blocks) {
                block_node[b] = v;
                continue;
            }
            return lerr(L, k, "unknown top-level field '%s' (clocks, components, links, seed, until, lookahead, power_density_limit, include, templates, name, description%s%s)",
                        key, n_blocks ? ", " : "", n_blocks ? blocks[0].key : "");
        }
    }
    if (over && over->seed_set)
        opts.seed = over->seed;
    if (over && over->until_set)
        opts.until_ps = over->until_ps;
    if (!comps)
        return lerr(L, root, "no 'components' in the file");
    L->sim = sim_create(&opts);
    if (!L->sim)
        return SIM_ERR_NOMEM;
    int rc = clocks ? load_clocks(L, clocks) : 0;
    if (!rc)
        rc = load_components(L, comps);
    for (int b = 0; !rc && b < n_blocks; b++)
        if (block_node[b])
            rc = load_block(L, b, block_node[b]);
    if (!rc && links)
        rc = load_links(L, links);
    return rc;
}

/* A pass over the parser's events before the document is built: refuse
 * nesting deeper than SIM_CONFIG_MAX_DEPTH (libyaml's loader is quadratic in
 * depth: 45,000 levels took 10 s) and a second document after '---' (it
 * would be ignored). Stops at the first problem, so a hostile input costs
 * at most SIM_CONFIG_MAX_DEPTH levels of parsing. Syntax errors are left to
 * the loader, which reports them. */
int cfg_text_check(const char *text, size_t len, const char *file, char *err, size_t errlen)
{
    if (len > SIM_CONFIG_MAX_BYTES) {
        snprintf(err, errlen, "%s: the config is larger than %d MiB", file,
                 SIM_CONFIG_MAX_BYTES >> 20);
        return SIM_ERR_CONFIG;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return SIM_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int depth = 0, docs = 0, rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev))
            break; /* the loader reports the syntax error */
        yaml_event_type_t type = ev.type;
        size_t line = ev.start_mark.line + 1, col = ev.start_mark.column + 1;
        yaml_event_delete(&ev);
        if (type == YAML_STREAM_END_EVENT)
            break;
        if (type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            snprintf(err, errlen,
                     "%s:%zu:%zu: a second YAML document; a config is one document (remove "
                     "the '---' and what follows, or put it in its own file)",
                     file, line, col);
            rc = SIM_ERR_CONFIG;
            break;
        }
        if (type == YAML_MAPPING_START_EVENT || type == YAML_SEQUENCE_START_EVENT) {
            if (++depth > SIM_CONFIG_MAX_DEPTH) {
                snprintf(err, errlen, "%s:%zu:%zu: nesting deeper than %d levels", file, line,
                         col, SIM_CONFIG_MAX_DEPTH);
                rc = SIM_ERR_CONFIG;
                break;
            }
        } else if (type == YAML_MAPPING_END_EVENT || type == YAML_SEQUENCE_END_EVENT)
            depth--;
    }
    yaml_parser_delete(&parser);
    return rc;
}

int sim_config_load_string(const char *text, const char *name, const sim_config_over_t *over,
                           sim_t **out, char *err, size_t errlen)
{
    *out = NULL;
    loader_t L = {.file = name ? name : "<config>", .err = err, .errlen = errlen};
    int rc = cfg_doc_load(&L.cd, text, L.file, err, errlen);
    if (!rc && over && over->nset)
        rc = cfg_doc_apply_sets(&L.cd, over->set, over->nset, err, errlen);
    if (!rc)
        rc = load_doc(&L, over);
    cfg_doc_free(&L.cd);
    if (rc) {
        sim_destroy(L.sim);
        return rc;
    }
    *out = L.sim;
    return 0;
}

char *cfg_read_text(const char *path, int *code, char *why, size_t whylen)
{
    *code = SIM_ERR_IO;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, whylen, "%s", strerror(errno));
        return NULL;
    }
    /* bounded: stops at the first NUL byte (a binary file, /dev/zero) and
     * beyond SIM_CONFIG_MAX_BYTES (a file that never ends) */
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    size_t got;
    int bad = 0;
    while (text && !bad && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        if (memchr(text + len, '\0', got))
            bad = 1;
        len += got;
        if (len > SIM_CONFIG_MAX_BYTES)
            bad = 2;
        if (!bad && len + 1 == cap) {
            char *t2 = realloc(text, cap *= 2);
            if (!t2) {
                free(text);
                text = NULL;
            } else
                text = t2;
        }
    }
    fclose(f);
    if (!text) {
        *code = SIM_ERR_NOMEM;
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    text[len] = '\0';
    if (bad) {
        *code = SIM_ERR_CONFIG;
        if (bad == 1)
            snprintf(why, whylen, "it contains a NUL byte; not a YAML text file");
        else
            snprintf(why, whylen, "it is larger than %d MiB", SIM_CONFIG_MAX_BYTES >> 20);
        free(text);
        return NULL;
    }
    return text;
}

int sim_config_load(const char *path, const sim_config_over_t *over, sim_t **out, char **text_out,
                    char *err, size_t errlen)
{
    *out = NULL;
    if (text_out)
        *text_out = NULL;
    char why[256];
    int code;
    char *text = cfg_read_text(path, &code, why, sizeof why);
    if (!text) {
        snprintf(err, errlen, "%s: %s the config: %s", path,
                 code == SIM_ERR_IO ? "cannot open" : "refusing", why);
        return code;
    }
    int rc = sim_config_load_string(text, path, over, out, err, errlen);
    if (rc || !text_out)
        free(text);
    else
        *text_out = text;
    return rc;
}

int sim_config_read_block(const char *path, const char *key, sim_config_entry_fn entry, void *ctx,
                          char *err, size_t errlen)
{
    char why[256];
    int code;
    char *text = cfg_read_text(path, &code, why, sizeof why);
    if (!text) {
        snprintf(err, errlen, "%s: %s the config: %s", path,
                 code == SIM_ERR_IO ? "cannot open" : "refusing", why);
        return code;
    }
    loader_t L = {.file = path, .err = err, .errlen = errlen};
    int rc = cfg_doc_load(&L.cd, text, L.file, err, errlen);
    free(text);
    yaml_node_t *root = rc ? NULL : yaml_document_get_root_node(&L.cd.doc), *block = NULL;
    if (root && root->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
             p++)
            if (scalar(node(&L, p->key)) && !strcmp(scalar(node(&L, p->key)), key))
                block = node(&L, p->value);
    if (!rc && !block)
        rc = 1;
    else if (!rc)
        rc = want_mapping(&L, block, key, "name: value");
    for (yaml_node_pair_t *p = rc ? NULL : block->data.mapping.pairs.start;
         p && !rc && p < block->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(&L, p->key), *v = node(&L, p->value);
        if (!scalar(k) || !scalar(v)) {
            rc = lerr(&L, scalar(k) ? v : k, "%s: every entry must be name: value", key);
            break;
        }
        char where[600];
        where_of(&L, k, where, sizeof where);
        rc = entry(ctx, scalar(k), scalar(v), where, err, errlen);
    }
    cfg_doc_free(&L.cd);
    return rc;
}
