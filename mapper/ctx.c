/* A mapping session: the chip built from its config (components initialised,
 * so every device answers cost queries), the workload graph, and the chip's
 * tiers. Placements are evaluated by building their schedule and estimating
 * it (map_estimate): the numbers all come from the devices. */
#include "mapper/map_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct map_ctx {
    sim_t *sim;
    char *config_text;
    wl_graph_t *g;
    map_chip_t chip;
    map_opts_t opts;
    char *spec;
    wl_gen_opts_t wopts;
};

void map_ctx_close(map_ctx_t *c)
{
    if (!c)
        return;
    sim_destroy(c->sim);
    free(c->config_text);
    wl_graph_destroy(c->g);
    map_chip_free(&c->chip);
    free(c->spec);
    free(c);
}

void map_ctx_set_resident(map_ctx_t *c, int resident)
{
    c->opts.xbar_resident = resident;
}

int map_ctx_open(const char *config, const char *spec, const wl_gen_opts_t *wopts, map_ctx_t **out,
                 char *err, size_t n)
{
    return map_ctx_open_over(config, NULL, spec, wopts, out, err, n);
}

int map_ctx_open_over(const char *config, const sim_config_over_t *over, const char *spec,
                      const wl_gen_opts_t *wopts, map_ctx_t **out, char *err, size_t n)
{
    *out = NULL;
    map_ctx_t *c = calloc(1, sizeof *c);
    if (!c)
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    int rc = sim_config_load(config, over, &c->sim, &c->config_text, err, n);
    if (rc)
        goto fail;
    const char *drv = NULL;
    map_units_t units;
    if ((rc = map_find_driver(c->sim, &drv, err, n)) != 0 ||
        (rc = map_units_from_driver(c->sim, drv, &units, err, n)) != 0)
        goto fail;
    rc = map_chip_from_units(&units, &c->chip, err, n);
    map_units_free(&units);
    if (!rc)
        map_chip_capacity(&c->chip, c->sim);
    if (rc) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", err);
        rc = map_fail(err, n, rc, "%s: %s", config, msg);
        goto fail;
    }
    const sim_params_t *p = sim_comp_params(sim_comp_find(c->sim, drv));
    map_opts_default(&c->opts);
    c->opts.stream_weights = sim_param_bool(p, "stream_weights");
    c->opts.weight_buffers = (int)sim_param_int(p, "weight_buffers");
    /* an empty schedule lets the driver initialise; the devices then answer cost queries */
    map_schedule_t *empty = calloc(1, sizeof *empty);
    if (!empty || map_units_copy(&empty->units, &c->chip.units)) {
        free(empty);
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((rc = map_attach(c->sim, drv, empty, err, n)) != 0) {
        map_schedule_free(empty);
        goto fail;
    }
    if ((rc = sim_init(c->sim)) != 0) {
        rc = map_fail(err, n, rc, "%s", sim_errmsg(c->sim));
        goto fail;
    }
    if (wopts)
        c->wopts = *wopts;
    else
        wl_gen_opts_default(&c->wopts);
    c->spec = strdup(spec);
    if (!c->spec) {
        rc = map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((rc = wl_load(spec, &c->wopts, &c->g, err, n)) != 0)
        goto fail;
    *out = c;
    return 0;
fail:
    map_ctx_close(c);
    return rc;
}

const wl_graph_t *map_ctx_graph(const map_ctx_t *c)
{
    return c->g;
}

const map_chip_t *map_ctx_chip(const map_ctx_t *c)
{
    return &c->chip;
}

sim_t *map_ctx_sim(map_ctx_t *c)
{
    return c->sim;
}

int map_ctx_schedule(map_ctx_t *c, const map_place_t *place, map_schedule_t **out, char *err,
                     size_t n)
{
    int rc = map_build(c->g, &c->chip, place, &c->opts, out, err, n);
    if (rc)
        return rc;
    (*out)->spec = strdup(c->spec);
    (*out)->wopts = c->wopts;
    if (!(*out)->spec) {
        map_schedule_free(*out);
        *out = NULL;
        return map_fail(err, n, SIM_ERR_NOMEM, "out of memory");
    }
    return 0;
}

int map_ctx_eval(map_ctx_t *c, const map_place_t *place, map_estimate_t *est, char *err, size_t n)
{
    map_schedule_t *s = NULL;
    int rc = map_build(c->g, &c->chip, place, &c->opts, &s, err, n);
    if (rc)
        return rc;
    rc = map_estimate(c->sim, s, est, err, n);
    map_schedule_free(s);
    return rc;
}
