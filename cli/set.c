/* Parsing of --set arguments shared by `prism run` and `prism sweep`. */
#include "cli/set.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push_val(cli_set_key_t *k, const char *v, size_t len)
{
    char **g = realloc(k->vals, (k->nvals + 1) * sizeof *g);
    if (!g)
        return -1;
    k->vals = g;
    g[k->nvals] = strndup(v, len);
    return g[k->nvals++] ? 0 : -1;
}

int cli_sets_add(cli_sets_t *s, const char *arg, char *err, size_t errlen)
{
    cli_set_key_t *cur = NULL;
    const char *p = arg;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq) {
            size_t klen = (size_t)(eq - p);
            if (!klen) {
                snprintf(err, errlen, "--set '%s': a key is missing before '='", arg);
                return -1;
            }
            for (size_t i = 0; i < s->n; i++)
                if (strlen(s->keys[i].key) == klen && !strncmp(s->keys[i].key, p, klen)) {
                    snprintf(err, errlen, "--set: '%.*s' is given twice", (int)klen, p);
                    return -1;
                }
            cli_set_key_t *g = realloc(s->keys, (s->n + 1) * sizeof *g);
            if (!g)
                return snprintf(err, errlen, "out of memory"), -1;
            s->keys = g;
            cur = &g[s->n++];
            memset(cur, 0, sizeof *cur);
            cur->key = strndup(p, klen);
            if (!cur->key || push_val(cur, eq + 1, len - klen - 1))
                return snprintf(err, errlen, "out of memory"), -1;
        } else if (!cur) {
            snprintf(err, errlen, "--set '%s': write KEY=VALUE (e.g. sa.rows=64)", arg);
            return -1;
        } else if (push_val(cur, p, len)) {
            return snprintf(err, errlen, "out of memory"), -1;
        }
        if (!cur->vals[cur->nvals - 1][0]) {
            snprintf(err, errlen, "--set '%s': an empty value for '%s'", arg, cur->key);
            return -1;
        }
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

size_t cli_sets_points(const cli_sets_t *s)
{
    size_t n = 1;
    for (size_t i = 0; i < s->n; i++)
        if (__builtin_mul_overflow(n, s->keys[i].nvals, &n))
            return SIZE_MAX; /* saturate: 16 keys x 16 values must not wrap to 0 */
    return n;
}

int cli_sets_point(const cli_sets_t *s, size_t index, const char **out, char *buf, size_t buflen)
{
    size_t used = 0;
    for (size_t i = s->n; i-- > 0;) {
        const cli_set_key_t *k = &s->keys[i];
        const char *v = k->vals[index % k->nvals];
        index /= k->nvals;
        int w = snprintf(buf + used, buflen - used, "%s=%s", k->key, v);
        if (w < 0 || (size_t)w >= buflen - used)
            return -1;
        out[i] = buf + used;
        used += (size_t)w + 1;
    }
    return 0;
}

void cli_sets_free(cli_sets_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        for (size_t j = 0; j < s->keys[i].nvals; j++)
            free(s->keys[i].vals[j]);
        free(s->keys[i].vals);
        free(s->keys[i].key);
    }
    free(s->keys);
    s->keys = NULL;
    s->n = 0;
}
