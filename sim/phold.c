/* PHOLD, as ROSS defines it (Fujimoto's benchmark of PDES engines): every LP
 * starts with one event at lookahead + Exp(mean - lookahead); handling one,
 * it draws U1 and with probability `remote` sends to a uniformly chosen LP
 * (itself included), else to itself, at now + lookahead + Exp(mean -
 * lookahead). The population stays constant. Registered as model "phold";
 * every component of the run is taken to be an LP (ids 0..N-1). */
#include "sim/sim.h"

#include <math.h>

typedef struct phold {
    uint32_t n_lps;
    sim_time_t lookahead_ps;
    double exp_mean_ps; /* mean - lookahead */
    double remote;
} phold_t;

static const sim_param_def_t phold_params[] = {
    {"mean_ps", SIM_P_INT, "1000000", "ps", 1, 1e15, NULL,
     "mean delay between an LP's events (1.0 in ROSS units = 1e6 ps)", "ROSS phold"},
    {"lookahead_ps", SIM_P_INT, "100000", "ps", 0, 1e15, NULL,
     "fixed part of every delay (ROSS lookahead 0.1)", "ROSS phold"},
    {"remote", SIM_P_REAL, "0.25", "", 0, 1, NULL,
     "probability that an event goes to a random LP", "ROSS phold percent_remote"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static inline sim_time_t phold_delay(sim_comp_t *c, const phold_t *p)
{
    return p->lookahead_ps + (sim_time_t)llround(sim_rng_exp(c, p->exp_mean_ps));
}

static int phold_init(sim_comp_t *c, void *state, const sim_params_t *prm)
{
    phold_t *p = state;
    p->n_lps = (uint32_t)sim_comp_count(sim_of(c));
    p->lookahead_ps = (sim_time_t)sim_param_int(prm, "lookahead_ps");
    sim_time_t mean = (sim_time_t)sim_param_int(prm, "mean_ps");
    if (mean < p->lookahead_ps)
        return sim_comp_fail(c, "mean_ps (%llu) is below lookahead_ps (%llu)",
                             (unsigned long long)mean, (unsigned long long)p->lookahead_ps);
    p->exp_mean_ps = (double)(mean - p->lookahead_ps);
    p->remote = sim_param_real(prm, "remote");
    return sim_send_direct(c, sim_comp_id(c), phold_delay(c, p), 1, 0, 0);
}

static void phold_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    (void)ev;
    const phold_t *p = state;
    uint32_t dst = sim_comp_id(c);
    if (sim_rng_uniform(c) <= p->remote)
        dst = (uint32_t)(sim_rng_uniform(c) * p->n_lps);
    sim_send_direct(c, dst, phold_delay(c, p), 1, 0, 0);
}

static const char *const no_ports[] = {NULL};

const sim_model_t sim_phold_model = {
    .in_ports = no_ports,
    .out_ports = no_ports,
    .name = "phold",
    .doc = "PHOLD benchmark LP with ROSS's semantics",
    .state_size = sizeof(phold_t),
    .params = phold_params,
    .init = phold_init,
    .handle = phold_handle,
};

void sim_register_builtin_models(void) { sim_model_register(&sim_phold_model); }
