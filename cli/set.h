/* --set KEY=VALUE[,KEY=VALUE...] and, for sweeps, KEY=V1,V2,... (a segment
 * without '=' is one more value of the key before it). */
#ifndef PRISM_CLI_SET_H
#define PRISM_CLI_SET_H

#include <stddef.h>

typedef struct cli_set_key {
    char *key;
    char **vals;
    size_t nvals;
} cli_set_key_t;

typedef struct cli_sets {
    cli_set_key_t *keys;
    size_t n;
} cli_sets_t;

/* Adds the keys of one --set argument. 0, or -1 with a one-line message
 * (without the command's name) in err. */
int cli_sets_add(cli_sets_t *s, const char *arg, char *err, size_t errlen);
/* "key=value" strings of point `index` of the cartesian product (the last key
 * varies fastest); out holds s->n pointers into buf. */
int cli_sets_point(const cli_sets_t *s, size_t index, const char **out, char *buf, size_t buflen);
/* The number of points of the product (1 with no keys; SIZE_MAX when it
 * does not fit a size_t). */
size_t cli_sets_points(const cli_sets_t *s);
void cli_sets_free(cli_sets_t *s);

#endif
