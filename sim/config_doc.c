/* Config reuse and overrides, done on the YAML document before the loader
 * reads it: `include:` of other config files (merged: their clocks and
 * components by name, this file's fields winning; links appended), YAML
 * merge keys (`<<: *base`, `<<: [*a, *b]`, explicit keys winning), and the
 * command line's `--set key=value`. Every node keeps where it came from
 * (file:line:col, or the --set that made it) so the loader's errors name it. */
#include "sim/config_int.h"
#include "sim/sim_int.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INCLUDE_DEPTH 8

static yaml_node_t *nd(cfg_doc_t *d, int id)
{
    return yaml_document_get_node(&d->doc, id);
}
static int nnodes(const cfg_doc_t *d)
{
    return (int)(d->doc.nodes.top - d->doc.nodes.start);
}

static const char *text_of(cfg_doc_t *d, int id)
{
    yaml_node_t *n = nd(d, id);
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

const cfg_label_t *cfg_doc_origin(const cfg_doc_t *d, const yaml_node_t *n)
{
    if (!d->have_doc || !n || n < d->doc.nodes.start || n >= d->doc.nodes.top)
        return d->nlabels ? &d->labels[0] : NULL;
    size_t i = (size_t)(n - d->doc.nodes.start);
    if (i >= d->norigin || d->origin[i] < 0 || (size_t)d->origin[i] >= d->nlabels)
        return d->nlabels ? &d->labels[0] : NULL;
    return &d->labels[d->origin[i]];
}

static int add_label(cfg_doc_t *d, const char *text, int is_set)
{
    cfg_label_t *l = realloc(d->labels, (d->nlabels + 1) * sizeof *l);
    if (!l)
        return -1;
    d->labels = l;
    l[d->nlabels].text = strdup(text);
    l[d->nlabels].is_set = is_set;
    if (!l[d->nlabels].text)
        return -1;
    return (int)d->nlabels++;
}

/* Records the origin of node `id` (growing the table to the node count). */
static int track(cfg_doc_t *d, int id, int label)
{
    size_t need = (size_t)nnodes(d);
    if (need > d->norigin) {
        int *o = realloc(d->origin, need * sizeof *o);
        if (!o)
            return -1;
        for (size_t i = d->norigin; i < need; i++)
            o[i] = 0;
        d->origin = o;
        d->norigin = need;
    }
    if (id > 0)
        d->origin[id - 1] = label;
    return 0;
}

static int origin_of(const cfg_doc_t *d, int id)
{
    return id > 0 && (size_t)id <= d->norigin ? d->origin[id - 1] : 0;
}

static int derr(cfg_doc_t *d, int id, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int derr(cfg_doc_t *d, int id, char *err, size_t errlen, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    yaml_node_t *n = id > 0 ? nd(d, id) : NULL;
    const cfg_label_t *l = n ? cfg_doc_origin(d, n) : (d->nlabels ? &d->labels[0] : NULL);
    const char *file = l ? l->text : "<config>";
    if (n && l && !l->is_set)
        snprintf(err, errlen, "%s:%zu:%zu: %s", file, n->start_mark.line + 1,
                 n->start_mark.column + 1, msg);
    else
        snprintf(err, errlen, "%s: %s", file, msg);
    return SIM_ERR_CONFIG;
}

void cfg_doc_free(cfg_doc_t *d)
{
    if (d->have_doc)
        yaml_document_delete(&d->doc);
    for (size_t i = 0; i < d->nlabels; i++)
        free(d->labels[i].text);
    free(d->labels);
    free(d->origin);
    memset(d, 0, sizeof *d);
}

/* ---- mapping helpers (ids only: adding a node may move every node) -------- */
static int map_find(cfg_doc_t *d, int map, const char *key)
{
    yaml_node_t *m = nd(d, map);
    if (!m || m->type != YAML_MAPPING_NODE)
        return 0;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = text_of(d, p->key);
        if (k && !strcmp(k, key))
            return p->value;
    }
    return 0;
}

static int is_merge_key(cfg_doc_t *d, int id)
{
    yaml_node_t *k = nd(d, id);
    return k && k->type == YAML_SCALAR_NODE && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           !strcmp((const char *)k->data.scalar.value, "<<");
}

static int add_mapping_like(cfg_doc_t *d, int like)
{
    yaml_node_t *l = nd(d, like);
    yaml_mark_t s = l->start_mark, e = l->end_mark;
    int origin = origin_of(d, like);
    int id = yaml_document_add_mapping(&d->doc, NULL, YAML_FLOW_MAPPING_STYLE);
    if (!id || track(d, id, origin))
        return 0;
    nd(d, id)->start_mark = s;
    nd(d, id)->end_mark = e;
    return id;
}

static int add_sequence_like(cfg_doc_t *d, int like)
{
    yaml_node_t *l = nd(d, like);
    yaml_mark_t s = l->start_mark, e = l->end_mark;
    int origin = origin_of(d, like);
    int id = yaml_document_add_sequence(&d->doc, NULL, YAML_BLOCK_SEQUENCE_STYLE);
    if (!id || track(d, id, origin))
        return 0;
    nd(d, id)->start_mark = s;
    nd(d, id)->end_mark = e;
    return id;
}

static int add_scalar(cfg_doc_t *d, const char *text, int label)
{
    int id = yaml_document_add_scalar(&d->doc, NULL, (yaml_char_t *)text, (int)strlen(text),
                                      YAML_PLAIN_SCALAR_STYLE);
    if (!id || track(d, id, label))
        return 0;
    return id;
}

/* A copy of mapping `id` (same pairs, same origin), for copy-on-write. */
static int clone_mapping(cfg_doc_t *d, int id)
{
    int c = add_mapping_like(d, id);
    if (!c)
        return 0;
    size_t n = (size_t)(nd(d, id)->data.mapping.pairs.top - nd(d, id)->data.mapping.pairs.start);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t p = nd(d, id)->data.mapping.pairs.start[i];
        if (!yaml_document_append_mapping_pair(&d->doc, c, p.key, p.value))
            return 0;
    }
    return c;
}

static void swap_pairs(cfg_doc_t *d, int a, int b)
{
    yaml_node_t *x = nd(d, a), *y = nd(d, b);
    __typeof__(x->data.mapping.pairs) t = x->data.mapping.pairs;
    x->data.mapping.pairs = y->data.mapping.pairs;
    y->data.mapping.pairs = t;
}

/* ---- merge keys --------------------------------------------------------------- */
static int key_listed(cfg_doc_t *d, const yaml_node_pair_t *pairs, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        const char *k = text_of(d, pairs[i].key);
        if (k && !strcmp(k, key))
            return 1;
    }
    return 0;
}

static int expand_one(cfg_doc_t *d, int id, unsigned char *state, char *err, size_t errlen);

/* appends the pairs of source mapping `src` that `map` does not give itself */
static int merge_from(cfg_doc_t *d, int map, int src, yaml_node_pair_t **out, size_t *nout,
                      unsigned char *state, char *err, size_t errlen)
{
    int rc = expand_one(d, src, state, err, errlen);
    if (rc)
        return rc;
    yaml_node_t *m = nd(d, map), *s = nd(d, src);
    size_t nm = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
    for (yaml_node_pair_t *p = s->data.mapping.pairs.start; p < s->data.mapping.pairs.top; p++) {
        const char *k = text_of(d, p->key);
        if (!k || key_listed(d, m->data.mapping.pairs.start, nm, k) ||
            key_listed(d, *out, *nout, k))
            continue;
        yaml_node_pair_t *g = realloc(*out, (*nout + 1) * sizeof *g);
        if (!g)
            return SIM_ERR_NOMEM;
        *out = g;
        g[(*nout)++] = *p;
    }
    return 0;
}

/* Replaces the `<<` pairs of mapping `id` by the pairs they merge in. */
static int expand_one(cfg_doc_t *d, int id, unsigned char *state, char *err, size_t errlen)
{
    yaml_node_t *m = nd(d, id);
    if (!m || m->type != YAML_MAPPING_NODE || state[id - 1] == 2)
        return 0;
    if (state[id - 1] == 1)
        return derr(d, id, err, errlen, "merge key '<<': this mapping merges itself");
    state[id - 1] = 1;
    int has = 0;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
        has |= is_merge_key(d, p->key);
    if (!has) {
        state[id - 1] = 2;
        return 0;
    }
    yaml_node_pair_t *out = NULL;
    size_t nout = 0;
    int rc = 0;
    size_t n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
    for (size_t i = 0; !rc && i < n; i++) {
        yaml_node_pair_t p = nd(d, id)->data.mapping.pairs.start[i];
        if (!is_merge_key(d, p.key)) {
            yaml_node_pair_t *g = realloc(out, (nout + 1) * sizeof *g);
            if (!g) {
                rc = SIM_ERR_NOMEM;
                break;
            }
            out = g;
            out[nout++] = p;
            continue;
        }
        yaml_node_t *v = nd(d, p.value);
        if (v->type == YAML_MAPPING_NODE) {
            rc = merge_from(d, id, p.value, &out, &nout, state, err, errlen);
        } else if (v->type == YAML_SEQUENCE_NODE) {
            size_t ni = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
            for (size_t j = 0; !rc && j < ni; j++) {
                int item = nd(d, p.value)->data.sequence.items.start[j];
                if (nd(d, item)->type != YAML_MAPPING_NODE)
                    rc = derr(d, item, err, errlen,
                              "merge key '<<': each entry must be a mapping (<<: [*a, *b])");
                else
                    rc = merge_from(d, id, item, &out, &nout, state, err, errlen);
            }
        } else {
            rc = derr(d, p.value, err, errlen,
                      "merge key '<<' must be given a mapping (<<: *base) or a list of them");
        }
    }
    if (rc) {
        free(out);
        return rc;
    }
    m = nd(d, id);
    free(m->data.mapping.pairs.start);
    if (out) { /* (out + nout on a NULL out is undefined, even for nout 0) */
        m->data.mapping.pairs.start = out;
        m->data.mapping.pairs.top = out + nout;
        m->data.mapping.pairs.end = out + nout;
    } else { /* an empty mapping still needs a stack libyaml can append to */
        m->data.mapping.pairs.start = m->data.mapping.pairs.top = m->data.mapping.pairs.end =
            malloc(sizeof(yaml_node_pair_t));
        if (!m->data.mapping.pairs.start)
            return SIM_ERR_NOMEM;
        m->data.mapping.pairs.end++;
    }
    state[id - 1] = 2;
    return 0;
}

static int expand_merges(cfg_doc_t *d, char *err, size_t errlen)
{
    int n = nnodes(d);
    unsigned char *state = calloc((size_t)n + 1, 1);
    if (!state)
        return SIM_ERR_NOMEM;
    int rc = 0;
    for (int id = 1; !rc && id <= n; id++)
        rc = expand_one(d, id, state, err, errlen);
    free(state);
    return rc;
}

/* ---- include ---------------------------------------------------------------------- */
static int parse_into(cfg_doc_t *d, const char *text, const char *name, char *err, size_t errlen)
{
    size_t len = strlen(text);
    int rc0 = cfg_text_check(text, len, name, err, errlen); /* size, depth, one document */
    if (rc0)
        return rc0;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return SIM_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &d->doc)) {
        snprintf(err, errlen, "%s:%zu:%zu: YAML syntax error: %s%s%s", name,
                 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                 parser.problem ? parser.problem : "?", parser.context ? " " : "",
                 parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return SIM_ERR_CONFIG;
    }
    yaml_parser_delete(&parser);
    d->have_doc = 1;
    if (add_label(d, name, 0) < 0 || track(d, 0, 0))
        return SIM_ERR_NOMEM;
    return 0;
}

/* Copies every node of `src` into `d`; returns the id of src's root in d (0 on error). */
static int copy_doc(cfg_doc_t *d, cfg_doc_t *src)
{
    int off = nnodes(d), n = nnodes(src);
    int base = (int)d->nlabels;
    for (size_t i = 0; i < src->nlabels; i++)
        if (add_label(d, src->labels[i].text, src->labels[i].is_set) < 0)
            return 0;
    for (int i = 1; i <= n; i++) {
        yaml_node_t *s = nd(src, i);
        int id = 0;
        if (s->type == YAML_SCALAR_NODE)
            id = yaml_document_add_scalar(&d->doc, s->tag, s->data.scalar.value,
                                          (int)s->data.scalar.length, s->data.scalar.style);
        else if (s->type == YAML_SEQUENCE_NODE)
            id = yaml_document_add_sequence(&d->doc, s->tag, s->data.sequence.style);
        else
            id = yaml_document_add_mapping(&d->doc, s->tag, s->data.mapping.style);
        if (id != off + i || track(d, id, base + origin_of(src, i)))
            return 0;
        nd(d, id)->start_mark = s->start_mark;
        nd(d, id)->end_mark = s->end_mark;
    }
    for (int i = 1; i <= n; i++) {
        yaml_node_t *s = nd(src, i);
        if (s->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = s->data.sequence.items.start;
                 it < s->data.sequence.items.top; it++)
                if (!yaml_document_append_sequence_item(&d->doc, off + i, *it + off))
                    return 0;
        } else if (s->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = s->data.mapping.pairs.start; p < s->data.mapping.pairs.top;
                 p++)
                if (!yaml_document_append_mapping_pair(&d->doc, off + i, p->key + off,
                                                       p->value + off))
                    return 0;
        }
    }
    return off + 1;
}

enum { MERGE_ROOT, MERGE_COMPONENTS, MERGE_PLAIN };

static int merge_layer(cfg_doc_t *d, int base, int top, int level);

/* base's items, then top's, in a new sequence */
static int concat_sequences(cfg_doc_t *d, int base, int top)
{
    int v = add_sequence_like(d, top);
    for (int pass = 0; v && pass < 2; pass++) {
        int from = pass ? top : base;
        size_t ni =
            (size_t)(nd(d, from)->data.sequence.items.top - nd(d, from)->data.sequence.items.start);
        for (size_t j = 0; v && j < ni; j++)
            if (!yaml_document_append_sequence_item(&d->doc, v,
                                                    nd(d, from)->data.sequence.items.start[j]))
                v = 0;
    }
    return v;
}

/* The value of `key` given by both layers: at the top level clocks and
 * components merge by name and links append; a component given in both gets
 * its fields merged unless the model changes; anything else is top's. */
static int merged_value(cfg_doc_t *d, int level, const char *key, int bv, int tv)
{
    int both_maps = nd(d, bv)->type == YAML_MAPPING_NODE && nd(d, tv)->type == YAML_MAPPING_NODE;
    if (level == MERGE_ROOT && (!strcmp(key, "clocks") || !strcmp(key, "components")))
        return merge_layer(d, bv, tv, !strcmp(key, "components") ? MERGE_COMPONENTS : MERGE_PLAIN);
    if (level == MERGE_ROOT && !strcmp(key, "links") && nd(d, bv)->type == YAML_SEQUENCE_NODE &&
        nd(d, tv)->type == YAML_SEQUENCE_NODE)
        return concat_sequences(d, bv, tv);
    if (level == MERGE_COMPONENTS && both_maps) {
        const char *bm = text_of(d, map_find(d, bv, "model")),
                   *tm = text_of(d, map_find(d, tv, "model"));
        return tm && (!bm || strcmp(bm, tm)) ? tv : merge_layer(d, bv, tv, MERGE_PLAIN);
    }
    return tv;
}

/* A new mapping: base's entries (merged with top's where both give the key),
 * then the entries only top gives. Not a mapping on either side: top. */
static int merge_layer(cfg_doc_t *d, int base, int top, int level)
{
    if (nd(d, base)->type != YAML_MAPPING_NODE || nd(d, top)->type != YAML_MAPPING_NODE)
        return top;
    int m = add_mapping_like(d, top);
    if (!m)
        return 0;
    for (int pass = 0; pass < 2; pass++) {
        int from = pass ? top : base;
        size_t n =
            (size_t)(nd(d, from)->data.mapping.pairs.top - nd(d, from)->data.mapping.pairs.start);
        for (size_t i = 0; i < n; i++) {
            yaml_node_pair_t p = nd(d, from)->data.mapping.pairs.start[i];
            const char *k = text_of(d, p.key);
            int v = p.value;
            if (pass == 1 && k && map_find(d, base, k))
                continue; /* merged in the first pass */
            int tv = pass == 0 && k ? map_find(d, top, k) : 0;
            if (tv)
                v = merged_value(d, level, k, p.value, tv);
            if (!v || !yaml_document_append_mapping_pair(&d->doc, m, p.key, v))
                return 0;
        }
    }
    return m;
}

static int load_rec(cfg_doc_t *d, const char *text, const char *name, const char **chain, int depth,
                    char *err, size_t errlen);

/* The file `rel` named at node `at`, relative to the directory of `from`. */
static int load_include(cfg_doc_t *d, int at, const char *rel, const char *from, const char **chain,
                        int depth, int *root_out, char *err, size_t errlen)
{
    char path[PATH_MAX];
    const char *slash = strrchr(from, '/');
    if (rel[0] == '/' || !slash)
        snprintf(path, sizeof path, "%s", rel);
    else
        snprintf(path, sizeof path, "%.*s/%s", (int)(slash - from), from, rel);
    if (depth >= MAX_INCLUDE_DEPTH)
        return derr(d, at, err, errlen, "include '%s': includes nest deeper than %d files", rel,
                    MAX_INCLUDE_DEPTH);
    char real[PATH_MAX];
    if (!realpath(path, real))
        return derr(d, at, err, errlen, "include '%s': cannot open %s: %s", rel, path,
                    strerror(errno));
    for (int i = 0; i < depth; i++)
        if (chain[i] && !strcmp(chain[i], real))
            return derr(d, at, err, errlen, "include '%s': %s includes itself", rel, path);
    char why[256];
    int code;
    char *text = cfg_read_text(path, &code, why, sizeof why);
    if (!text)
        return derr(d, at, err, errlen, "include '%s': cannot read %s: %s", rel, path, why);
    chain[depth] = real;
    cfg_doc_t sub = {0};
    int rc = load_rec(&sub, text, path, chain, depth + 1, err, errlen);
    chain[depth] = NULL;
    free(text);
    if (!rc) {
        yaml_node_t *r = yaml_document_get_root_node(&sub.doc);
        if (!r || r->type != YAML_MAPPING_NODE)
            rc = derr(&sub, r ? 1 : 0, err, errlen,
                      "an included config must be a mapping (clocks, components, links, ...)");
    }
    if (!rc && !(*root_out = copy_doc(d, &sub)))
        rc = SIM_ERR_NOMEM;
    cfg_doc_free(&sub);
    return rc;
}

static int load_rec(cfg_doc_t *d, const char *text, const char *name, const char **chain, int depth,
                    char *err, size_t errlen)
{
    int rc = parse_into(d, text, name, err, errlen);
    if (!rc)
        rc = expand_merges(d, err, errlen);
    yaml_node_t *root = rc ? NULL : yaml_document_get_root_node(&d->doc);
    if (rc || !root || root->type != YAML_MAPPING_NODE)
        return rc; /* the loader names an empty file or a non-mapping top level */
    int inc = 0, inc_key = 0;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const char *k = text_of(d, p->key);
        if (k && !strcmp(k, "include")) {
            inc = p->value;
            inc_key = p->key;
        }
    }
    if (!inc)
        return 0;
    /* the include: pair goes; the files it names are merged under this one */
    yaml_node_t *r = nd(d, 1);
    yaml_node_pair_t *w = r->data.mapping.pairs.start;
    for (yaml_node_pair_t *p = r->data.mapping.pairs.start; p < r->data.mapping.pairs.top; p++)
        if (p->key != inc_key)
            *w++ = *p;
    r->data.mapping.pairs.top = w;
    int files[16], nfiles = 0;
    yaml_node_t *v = nd(d, inc);
    if (v->type == YAML_SCALAR_NODE) {
        files[nfiles++] = inc;
    } else if (v->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            if (nfiles == 16)
                return derr(d, *it, err, errlen, "field 'include': at most 16 files");
            files[nfiles++] = *it;
        }
    }
    if (!nfiles)
        return derr(d, inc, err, errlen,
                    "field 'include' must be a file name or a list of them (include: base.yaml)");
    int base = 0;
    for (int i = 0; i < nfiles; i++) {
        const char *rel = text_of(d, files[i]);
        if (!rel || !*rel)
            return derr(d, files[i], err, errlen,
                        "field 'include': each entry must be a file name");
        int sub_root = 0;
        rc = load_include(d, files[i], rel, name, chain, depth, &sub_root, err, errlen);
        if (rc)
            return rc;
        base = base ? merge_layer(d, base, sub_root, MERGE_ROOT) : sub_root;
        if (!base)
            return SIM_ERR_NOMEM;
    }
    int merged = merge_layer(d, base, 1, MERGE_ROOT);
    if (!merged)
        return SIM_ERR_NOMEM;
    swap_pairs(d, 1, merged);
    return 0;
}

int cfg_doc_load(cfg_doc_t *d, const char *text, const char *name, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    const char *chain[MAX_INCLUDE_DEPTH + 1] = {0};
    char real[PATH_MAX];
    if (realpath(name, real))
        chain[0] = real;
    return load_rec(d, text, name, chain, chain[0] ? 1 : 0, err, errlen);
}

/* ---- --set ------------------------------------------------------------------------ */
/* Gives map[key] the scalar `value` (made by the --set `label`). */
static int set_pair(cfg_doc_t *d, int map, const char *key, const char *value, int label)
{
    int v = add_scalar(d, value, label);
    if (!v)
        return SIM_ERR_NOMEM;
    size_t n = (size_t)(nd(d, map)->data.mapping.pairs.top - nd(d, map)->data.mapping.pairs.start);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &nd(d, map)->data.mapping.pairs.start[i];
        const char *k = text_of(d, p->key);
        if (k && !strcmp(k, key)) {
            p->value = v;
            return 0;
        }
    }
    int k = add_scalar(d, key, label);
    if (!k || !yaml_document_append_mapping_pair(&d->doc, map, k, v))
        return SIM_ERR_NOMEM;
    return 0;
}

/* map[key] replaced by a private copy of itself (a mapping shared through an
 * alias must not change elsewhere); returns the copy, 0 when not a mapping. */
static int own_value(cfg_doc_t *d, int map, const char *key)
{
    size_t n = (size_t)(nd(d, map)->data.mapping.pairs.top - nd(d, map)->data.mapping.pairs.start);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t p = nd(d, map)->data.mapping.pairs.start[i];
        const char *k = text_of(d, p.key);
        if (!k || strcmp(k, key) || nd(d, p.value)->type != YAML_MAPPING_NODE)
            continue;
        int c = clone_mapping(d, p.value);
        if (c)
            nd(d, map)->data.mapping.pairs.start[i].value = c;
        return c;
    }
    return 0;
}

static void names_of(cfg_doc_t *d, int map, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    yaml_node_t *m = nd(d, map);
    if (!m || m->type != YAML_MAPPING_NODE)
        return;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
         p < m->data.mapping.pairs.top && len + 40 < n; p++) {
        const char *k = text_of(d, p->key);
        if (k)
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", k);
    }
}

/* links[SEL].FIELD or links.FIELD: SEL is an index, a port (drv.gemm) or a component */
static int set_links(cfg_doc_t *d, const char *key, const char *value, int label, const char *set,
                     char *err, size_t errlen)
{
    const char *p = key + 5, *field;
    char sel[256] = "";
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close || close[1] != '.' || close - p - 1 <= 0 || close - p - 1 >= (long)sizeof sel)
            return snprintf(err, errlen,
                            "%s: write links[N].latency, links[PORT].bandwidth or links.latency",
                            set),
                   SIM_ERR_CONFIG;
        snprintf(sel, sizeof sel, "%.*s", (int)(close - p - 1), p + 1);
        field = close + 2;
    } else {
        field = p + 1;
    }
    if (strcmp(field, "latency") && strcmp(field, "bandwidth"))
        return snprintf(err, errlen, "%s: a link override sets 'latency' or 'bandwidth', not '%s'",
                        set, field),
               SIM_ERR_CONFIG;
    int links = map_find(d, 1, "links");
    if (!links || nd(d, links)->type != YAML_SEQUENCE_NODE)
        return snprintf(err, errlen, "%s: the config has no 'links' list", set), SIM_ERR_CONFIG;
    char *end;
    long index = *sel ? strtol(sel, &end, 10) : -1;
    int by_index = *sel && !*end;
    size_t n =
        (size_t)(nd(d, links)->data.sequence.items.top - nd(d, links)->data.sequence.items.start);
    int matched = 0;
    for (size_t i = 0; i < n; i++) {
        int item = nd(d, links)->data.sequence.items.start[i];
        if (nd(d, item)->type != YAML_MAPPING_NODE)
            continue;
        int hit = !*sel || (by_index && (long)i == index);
        for (int e = 0; !hit && !by_index && e < 2; e++) {
            const char *end_point = text_of(d, map_find(d, item, e ? "to" : "from"));
            size_t sl = strlen(sel);
            hit = end_point && (!strcmp(end_point, sel) ||
                                (!strncmp(end_point, sel, sl) && end_point[sl] == '.'));
        }
        if (!hit)
            continue;
        int c = clone_mapping(d, item);
        if (!c)
            return SIM_ERR_NOMEM;
        nd(d, links)->data.sequence.items.start[i] = c;
        int rc = set_pair(d, c, field, value, label);
        if (rc)
            return rc;
        matched++;
    }
    if (!matched) {
        if (by_index)
            snprintf(err, errlen, "%s: there is no link %ld (the config has %zu, counted from 0)",
                     set, index, n);
        else
            snprintf(err, errlen, "%s: no link starts or ends at '%s'", set, sel);
        return SIM_ERR_CONFIG;
    }
    return 0;
}

static int apply_one(cfg_doc_t *d, const char *set, char *err, size_t errlen)
{
    const char *eq = strchr(set, '=');
    if (!eq || eq == set)
        return snprintf(err, errlen, "--set %s: write KEY=VALUE (e.g. sa.rows=64)", set),
               SIM_ERR_CONFIG;
    char key[512], label_text[1100];
    snprintf(key, sizeof key, "%.*s", (int)(eq - set), set);
    const char *value = eq + 1;
    snprintf(label_text, sizeof label_text, "--set %s", set);
    int label = add_label(d, label_text, 1);
    if (label < 0)
        return SIM_ERR_NOMEM;
    const char *L = label_text;
    if (!strncmp(key, "links.", 6) || !strncmp(key, "links[", 6))
        return set_links(d, key, value, label, L, err, errlen);
    char *dot = strchr(key, '.');
    if (!dot) {
        static const char *const top[] = {"seed",        "until",
                                          "lookahead",   "power_density_limit",
                                          "name",        "description"};
        for (size_t i = 0; i < sizeof top / sizeof *top; i++)
            if (!strcmp(key, top[i]))
                return set_pair(d, 1, key, value, label);
        snprintf(err, errlen,
                 "%s: '%s' is not something --set can change (seed, until, lookahead, "
                 "power_density_limit, "
                 "clocks.NAME, COMPONENT.PARAMETER, links.latency, links[N|PORT].bandwidth)",
                 L, key);
        return SIM_ERR_CONFIG;
    }
    *dot = '\0';
    const char *name = dot + 1;
    char names[512];
    if (!strcmp(key, "clocks")) {
        int clocks = map_find(d, 1, "clocks");
        if (!clocks || !map_find(d, clocks, name)) {
            names_of(d, clocks, names, sizeof names);
            snprintf(err, errlen, "%s: the config has no clock '%s' (clocks: %s)", L, name,
                     *names ? names : "none");
            return SIM_ERR_CONFIG;
        }
        int c = own_value(d, 1, "clocks");
        return c ? set_pair(d, c, name, value, label) : SIM_ERR_NOMEM;
    }
    const char *comp = key;
    if (!strcmp(key, "components")) {
        char *dot2 = strchr(dot + 1, '.');
        if (!dot2)
            return snprintf(err, errlen, "%s: write components.NAME.PARAMETER=VALUE", L),
                   SIM_ERR_CONFIG;
        *dot2 = '\0';
        comp = dot + 1;
        name = dot2 + 1;
    }
    int comps = map_find(d, 1, "components");
    if (!comps || !map_find(d, comps, comp)) {
        names_of(d, comps, names, sizeof names);
        snprintf(err, errlen, "%s: the config has no component '%s' (components: %s)", L, comp,
                 *names ? names : "none");
        return SIM_ERR_CONFIG;
    }
    if (!*name)
        return snprintf(err, errlen, "%s: no parameter name after '%s.'", L, comp), SIM_ERR_CONFIG;
    int owned_comps = own_value(d, 1, "components");
    int c = owned_comps ? own_value(d, owned_comps, comp) : 0;
    if (!c)
        return snprintf(err, errlen, "%s: component '%s' is not a mapping", L, comp),
               SIM_ERR_CONFIG;
    return set_pair(d, c, name, value, label);
}

int cfg_doc_apply_sets(cfg_doc_t *d, const char *const *sets, size_t nsets, char *err,
                       size_t errlen)
{
    yaml_node_t *root = d->have_doc ? yaml_document_get_root_node(&d->doc) : NULL;
    if (!root || root->type != YAML_MAPPING_NODE)
        return 0; /* the loader reports the file's own problem first */
    for (size_t i = 0; i < nsets; i++) {
        int rc = apply_one(d, sets[i], err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}
