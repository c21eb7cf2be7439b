/* Cancellable, supersedable timers for models (a timeout that stops when its
 * condition is met, or restarts for a newer request). Built on self events
 * with lazy cancellation, as libev's ev_timer is stopped by its owner: the
 * timer keeps a generation number, every arm or cancel bumps it, and an
 * expiry event whose generation is not the current one is ignored. A stale
 * expiry still costs one event delivery; nothing is removed from the heap. */
#include "sim/sim_int.h"

int sim_timer_arm(sim_comp_t *c, sim_timer_t *t, sim_time_t at_ps, uint16_t kind, uint8_t prio,
                  uint64_t arg)
{
    if (at_ps < c->sim->now)
        return sim_comp_fail(c, "timer armed for %llu ps, before now (%llu ps)",
                             (unsigned long long)at_ps, (unsigned long long)c->sim->now);
    t->gen++;
    t->armed = 1;
    t->at = at_ps;
    uint64_t w[2] = {arg, t->gen};
    sim_msg_t m = {.kind = kind, .prio = prio, .data = w, .data_len = sizeof w};
    return sim_self(c, at_ps - c->sim->now, &m);
}

void sim_timer_cancel(sim_timer_t *t)
{
    if (t->armed)
        t->gen++;
    t->armed = 0;
}

int sim_timer_fired(sim_timer_t *t, const sim_event_t *ev)
{
    if (!t->armed || ev->port != SIM_PORT_SELF || ev->data.u64[1] != t->gen)
        return 0;
    t->armed = 0;
    return 1;
}
