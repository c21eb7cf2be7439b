/* Synthetic-traffic runs with BookSim2's measurement method (sim_type =
 * latency), as NOC-REFERENCE.md gives it: periods of `sample_period`
 * cycles; `warmup_periods` of warm-up, then the statistics are cleared;
 * after each period the running averages of packet latency and accepted
 * rate are compared with the previous period's, and the run stops after 3
 * consecutive periods in which both changed by less than
 * `warmup_threshold`, or after `max_samples` periods in all. Packets
 * created during measurement are measured; injection goes on until all of
 * them have arrived, then the network drains. The run is unstable
 * (saturated) when the mean latency of measured packets, in-flight ones
 * counted at their current age, passes `latency_thres`. The loop reads the
 * terminals' counters between slices of the run; slices end on cycle
 * boundaries fixed by the method, so results do not depend on slicing. */
#include "noc/noc_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct runner {
    sim_t *s;
    sim_time_t period;
    uint32_t nodes;
    noc_term_t **t;
    uint64_t *ej_base;
    uint64_t reset_cycle, cycle;
} runner_t;

static int run_to(runner_t *r, uint64_t cycle, char *err, size_t errlen)
{
    if (sim_run(r->s, cycle * r->period, UINT64_MAX)) {
        snprintf(err, errlen, "%s", sim_errmsg(r->s));
        return -1;
    }
    r->cycle = cycle;
    return 0;
}

static void reset_stats(runner_t *r)
{
    for (uint32_t i = 0; i < r->nodes; i++) {
        noc_term_t *t = r->t[i];
        uint32_t *lat = t->st.lat;
        size_t cap = t->st.cap_lat;
        memset(&t->st, 0, sizeof t->st);
        t->st.lat = lat;
        t->st.cap_lat = cap;
        t->win_lo = r->cycle;
        t->win_hi = UINT64_MAX;
        r->ej_base[i] = t->flits_ejected;
    }
    r->reset_cycle = r->cycle;
}

typedef struct sums {
    double lat, net, hops;
    uint64_t arrived, created, created_ctime, arrived_ctime, ejected, injected;
} sums_t;

static sums_t sum_up(const runner_t *r)
{
    sums_t s;
    memset(&s, 0, sizeof s);
    for (uint32_t i = 0; i < r->nodes; i++) {
        const noc_term_t *t = r->t[i];
        s.lat += t->st.lat_sum;
        s.net += t->st.net_lat_sum;
        s.hops += t->st.hops_sum;
        s.arrived += t->st.meas_arrived;
        s.created += t->st.meas_created;
        s.created_ctime += t->st.meas_created_ctime;
        s.arrived_ctime += t->st.meas_arrived_ctime;
        s.ejected += t->flits_ejected - r->ej_base[i];
    }
    return s;
}

static int u32cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double p99(const runner_t *r)
{
    size_t n = 0;
    for (uint32_t i = 0; i < r->nodes; i++)
        n += r->t[i]->st.n_lat;
    if (!n)
        return 0;
    uint32_t *all = malloc(n * sizeof *all);
    if (!all)
        return 0;
    size_t k = 0;
    for (uint32_t i = 0; i < r->nodes; i++) {
        memcpy(all + k, r->t[i]->st.lat, r->t[i]->st.n_lat * sizeof *all);
        k += r->t[i]->st.n_lat;
    }
    qsort(all, n, sizeof *all, u32cmp);
    size_t idx = (size_t)ceil(0.99 * (double)n);
    double v = all[idx ? idx - 1 : 0];
    free(all);
    return v;
}

/* Mean latency of measured packets, in-flight ones at their current age. */
static double mean_with_in_flight(const runner_t *r, const sums_t *s)
{
    uint64_t in_flight = s->created > s->arrived ? s->created - s->arrived : 0;
    double ages = (double)in_flight * (double)r->cycle -
                  ((double)s->created_ctime - (double)s->arrived_ctime);
    uint64_t n = s->arrived + in_flight;
    return n ? (s->lat + ages) / (double)n : 0;
}

/* BookSim2's check while it drains the measured packets: the mean of the
 * measured packets' latencies and of the ages of every flit in flight
 * (measured or not, source queues included), counted per flit. */
static double mean_with_flits_in_flight(const runner_t *r, const sums_t *s)
{
    uint64_t n = 0, ctime = 0;
    for (uint32_t i = 0; i < r->nodes; i++) {
        const noc_term_t *t = r->t[i];
        n += t->flits_created;
        ctime += t->flits_created_ctime;
        n -= t->flits_ejected;
        ctime -= t->flits_ejected_ctime;
    }
    double ages = (double)n * (double)r->cycle - (double)ctime;
    uint64_t count = s->arrived + n;
    return count ? (s->lat + ages) / (double)count : 0;
}

/* Flits ejected per node per cycle from the last statistics reset to `end` */
static double accepted_rate(const runner_t *r, uint64_t end)
{
    sums_t se = sum_up(r);
    return end > r->reset_cycle ? (double)se.ejected / (double)(end - r->reset_cycle) / r->nodes
                                : 0;
}

int noc_run(const noc_cfg_t *cfg, noc_result_t *res, noc_progress_fn progress, void *ctx, char *err,
            size_t errlen)
{
    memset(res, 0, sizeof *res);
    if (noc_cfg_check(cfg, err, errlen))
        return -1;
    noc_register_all();
    sim_opts_t o = {.seed = cfg->seed};
    runner_t r;
    memset(&r, 0, sizeof r);
    r.s = sim_create(&o);
    if (!r.s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    int first = noc_build(r.s, cfg, "", NULL, err, errlen);
    if (first < 0)
        goto out;
    if (sim_init(r.s)) {
        snprintf(err, errlen, "%s", sim_errmsg(r.s));
        goto out;
    }
    r.nodes = noc_nodes(cfg);
    r.period = sim_clock_period_ps(r.s, sim_clock_find(r.s, "noc"));
    r.t = calloc(r.nodes, sizeof *r.t);
    r.ej_base = calloc(r.nodes, sizeof *r.ej_base);
    if (!r.t || !r.ej_base) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < r.nodes; i++)
        r.t[i] = sim_comp_state(sim_comp_at(r.s, (size_t)first + i));
    reset_stats(&r);
    uint64_t sp = (uint64_t)cfg->sample_period;
    uint64_t meas_end = 0;
    if (cfg->max_cycles) {
        /* a fixed run (benchmarks): everything created is measured */
        uint64_t step = cfg->max_cycles < 10000 ? cfg->max_cycles : 10000;
        while (r.cycle < cfg->max_cycles) {
            uint64_t next = r.cycle + step < cfg->max_cycles ? r.cycle + step : cfg->max_cycles;
            if (run_to(&r, next, err, errlen))
                goto out;
            if (progress && progress(ctx, r.cycle, cfg->max_cycles)) {
                res->interrupted = 1;
                break;
            }
        }
        meas_end = r.cycle;
        res->accepted_rate = accepted_rate(&r, meas_end);
    } else {
        int warming = cfg->warmup_periods > 0, converged = 0, clear_last = 0;
        double prev_lat = 0, prev_acc = 0;
        int phases = 0;
        uint64_t expect = (uint64_t)(cfg->warmup_periods + 3) * sp;
        while (phases < cfg->max_samples && (warming || converged < 3)) {
            if (clear_last) {
                reset_stats(&r);
                clear_last = 0;
            }
            if (run_to(&r, r.cycle + sp, err, errlen))
                goto out;
            sums_t s = sum_up(&r);
            double cur_lat = s.arrived ? s.lat / (double)s.arrived : 0;
            double cur_acc = (double)s.ejected / (double)(r.cycle - r.reset_cycle) / r.nodes;
            double lat_chg = cur_lat > 0 ? fabs((cur_lat - prev_lat) / cur_lat) : 1;
            double acc_chg = cur_acc > 0 ? fabs((cur_acc - prev_acc) / cur_acc) : 1;
            if (!s.arrived && !s.created)
                lat_chg = acc_chg = 0; /* nothing offered: nothing changes */
            prev_lat = cur_lat;
            prev_acc = cur_acc;
            if (mean_with_in_flight(&r, &s) > cfg->latency_thres) {
                res->saturated = 1;
                phases++;
                break;
            }
            if (warming) {
                if (phases + 1 >= cfg->warmup_periods) {
                    clear_last = 1;
                    warming = 0;
                }
            } else if (lat_chg < cfg->warmup_threshold && acc_chg < cfg->warmup_threshold) {
                converged++;
            } else {
                converged = 0;
            }
            phases++;
            if (progress && progress(ctx, r.cycle, expect > r.cycle ? expect : r.cycle + sp)) {
                res->interrupted = 1;
                break;
            }
        }
        meas_end = r.cycle;
        res->accepted_rate = accepted_rate(&r, meas_end);
        for (uint32_t i = 0; i < r.nodes; i++)
            r.t[i]->win_hi = meas_end;
        /* injection goes on until every measured packet has arrived */
        if (!res->saturated && !res->interrupted) {
            uint64_t limit = r.cycle + (100ull * sp < NOC_MAX_RUN_CYCLES ? 100ull * sp
                                                                          : NOC_MAX_RUN_CYCLES);
            for (uint64_t step = 0;; step++) {
                sums_t s = sum_up(&r);
                if (s.arrived >= s.created)
                    break;
                if (step && step % 1000 == 0 &&
                    mean_with_flits_in_flight(&r, &s) > cfg->latency_thres) {
                    res->saturated = 1; /* BookSim2 checks every 1000 drain cycles */
                    break;
                }
                if (r.cycle >= limit) {
                    res->saturated = 1;
                    break;
                }
                if (run_to(&r, r.cycle + 1, err, errlen))
                    goto out;
            }
        }
    }
    sums_t s = sum_up(&r);
    res->packets_measured = s.arrived;
    res->avg_packet_latency = s.arrived ? s.lat / (double)s.arrived : 0;
    res->avg_network_latency = s.arrived ? s.net / (double)s.arrived : 0;
    res->avg_hops = s.arrived ? s.hops / (double)s.arrived : 0;
    res->p99_packet_latency = p99(&r);
    res->offered_rate = cfg->rate;
    if (res->saturated)
        res->avg_packet_latency = mean_with_in_flight(&r, &s);
    /* then the network drains: no new packets */
    for (uint32_t i = 0; i < r.nodes; i++)
        r.t[i]->gen_on = 0;
    if (!res->saturated && !res->interrupted) {
        if (sim_run(r.s, SIM_TIME_MAX, UINT64_MAX)) {
            snprintf(err, errlen, "%s", sim_errmsg(r.s));
            goto out;
        }
        r.cycle = sim_now(r.s) / r.period + 1;
    }
    res->sim_cycles = r.cycle;
    for (uint32_t i = 0; i < r.nodes; i++) {
        res->flits_injected += r.t[i]->flits_injected;
        res->flits_ejected += r.t[i]->flits_ejected;
    }
    rc = 0;
out:
    free(r.t);
    free(r.ej_base);
    sim_destroy(r.s);
    return rc;
}
