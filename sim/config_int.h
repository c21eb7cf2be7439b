/* Private to the config loader: a YAML document after the reuse features
 * (include: of other files, merge keys `<<: *base`) and the command line's
 * overrides (--set key=value) have been applied, with the origin of every
 * node (which file, or which --set) so errors can name it. */
#ifndef PRISM_SIM_CONFIG_INT_H
#define PRISM_SIM_CONFIG_INT_H

#include <stddef.h>
#include <yaml.h>

typedef struct cfg_label {
    char *text; /* a file name, or "--set key=value" */
    int is_set;
} cfg_label_t;

typedef struct cfg_doc {
    yaml_document_t doc;
    int have_doc;
    cfg_label_t *labels; /* labels[0] is the top file */
    size_t nlabels;
    int *origin; /* per node id - 1: index into labels */
    size_t norigin;
} cfg_doc_t;

/* Parses `text` (named `name`), follows its include: lines (paths relative to
 * the including file) and expands merge keys. 0, or SIM_ERR_CONFIG/NOMEM with
 * a message naming file:line:col in err. Free with cfg_doc_free. */
int cfg_doc_load(cfg_doc_t *d, const char *text, const char *name, char *err, size_t errlen);
/* Applies "key=value" overrides (docs/config.md, "Overrides"). */
int cfg_doc_apply_sets(cfg_doc_t *d, const char *const *sets, size_t nsets, char *err,
                       size_t errlen);
/* The label of a node of d->doc (NULL when not known). */
const cfg_label_t *cfg_doc_origin(const cfg_doc_t *d, const yaml_node_t *n);
void cfg_doc_free(cfg_doc_t *d);

/* Hardening shared by every text the loader parses (config.c): at most
 * SIM_CONFIG_MAX_BYTES, mappings and lists nested at most
 * SIM_CONFIG_MAX_DEPTH deep, one YAML document. 0, or SIM_ERR_CONFIG with
 * file:line:col in err. */
int cfg_text_check(const char *text, size_t len, const char *name, char *err, size_t errlen);
/* A config file's text, read with a bound: NULL (reason in why) on an open
 * error, a NUL byte (at its first block: /dev/zero) or more than
 * SIM_CONFIG_MAX_BYTES; *code is then SIM_ERR_IO (cannot open),
 * SIM_ERR_CONFIG (refused) or SIM_ERR_NOMEM. Free it. */
char *cfg_read_text(const char *path, int *code, char *why, size_t whylen);

#endif
