/* bench/pi2: speed of the pi^2 primitives. (1) multicast: a pi2_source
 * drives one pi2_delay of 128 x 128 programmed delays whose replicas go to a
 * sink: replicas per second. (2) the whole 64-64-10 fabric (random weights,
 * K = 1, random rows) over engine links and over a 2x2 mesh of issue 7's
 * routers: rows and events per second. Prints one JSON line each. */
#include "bench/bench_common.h"
#include "noc/noc.h"

#include <stdint.h>

static uint64_t lcg = 0x2545f4914f6cdd1dull;
static double urand(void)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

static int multicast(int rows, int json)
{
    noc_register_all();
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    char *delays = malloc(128 * 128 * 8);
    size_t n = 0;
    for (int i = 0; i < 128 * 128; i++)
        n += (size_t)sprintf(delays + n, "%s%d", i ? "," : "", (int)(urand() * 600));
    const char *src_kv[] = {"inputs", "64",        "ps_per_unit", "1000", "resolution_ps",
                            "10",     "period_ps", "20000",       NULL};
    const char *d_kv[] = {"inputs", "128",    "outputs", "128", "resolution_ps",
                          "10",     "delays", delays,    NULL};
    if (sim_add_component(s, "src", "pi2_source", NULL, src_kv) < 0 ||
        sim_add_component(s, "mc", "pi2_delay", NULL, d_kv) < 0 ||
        sim_add_component(s, "sink", "sink", NULL, NULL) < 0) {
        fprintf(stderr, "bench/pi2: %s\n", sim_errmsg(s));
        return 1;
    }
    char a[32], b[32];
    for (int i = 0; i < 128; i++) {
        snprintf(a, sizeof a, "src.out%d", i);
        snprintf(b, sizeof b, "mc.in%d", i);
        sim_add_link(s, a, b, 100, 0);
        snprintf(a, sizeof a, "mc.out%d", i);
        sim_add_link(s, a, "sink.in", 100, 0);
    }
    float *x = malloc(sizeof(float) * 64 * (size_t)rows);
    for (int i = 0; i < 64 * rows; i++)
        x[i] = (float)urand();
    noc_pi2_source_feed(sim_comp_find(s, "src"), x, rows, 64);
    if (sim_init(s)) {
        fprintf(stderr, "bench/pi2: %s\n", sim_errmsg(s));
        return 1;
    }
    double t0 = bench_now();
    sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    double wall = bench_now() - t0;
    sim_comp_t *mc = sim_comp_find(s, "mc");
    double replicas = 0;
    for (size_t i = 0; i < sim_stat_count(mc); i++)
        if (!strcmp(sim_stat_name(mc, i), "replicas_sent"))
            replicas = sim_stat_value(mc, i);
    printf(json ? "{\"bench\": \"pi2_multicast\", \"fanout\": 128, \"replicas\": %.0f, "
                  "\"events\": %llu, \"wall_s\": %.3f, \"replicas_per_s\": %.0f}\n"
                : "multicast 1 -> 128: %.0f replicas, %llu events in %.3f s: %.0f replicas/s\n",
           replicas, (unsigned long long)sim_events_handled(s), wall, replicas / wall);
    sim_destroy(s);
    free(x);
    free(delays);
    return 0;
}

static int fabric(int rows, int over_noc, int json)
{
    static float w0[64 * 64], w1[64 * 10];
    for (int i = 0; i < 64 * 64; i++)
        w0[i] = (float)(urand() - 0.5);
    for (int i = 0; i < 64 * 10; i++)
        w1[i] = (float)(urand() - 0.5);
    noc_pi2_fabric_t f;
    noc_pi2_fabric_defaults(&f);
    f.n_layers = 2;
    f.layer[0] = (noc_pi2_layer_t){64, 64, 1, w0};
    f.layer[1] = (noc_pi2_layer_t){64, 10, 1, w1};
    noc_cfg_t nc;
    if (over_noc) {
        char err[128];
        noc_cfg_default(&nc);
        noc_cfg_set(&nc, "k", "2", err, sizeof err);
        noc_cfg_set(&nc, "traffic", "none", err, sizeof err);
        f.network = &nc;
    }
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    noc_pi2_plan_t plan;
    char err[512];
    float *x = malloc(sizeof(float) * 64 * (size_t)rows);
    for (int i = 0; i < 64 * rows; i++)
        x[i] = (float)urand();
    if (noc_pi2_build(s, &f, &plan, err, sizeof err) ||
        noc_pi2_source_feed(sim_comp_at(s, (size_t)plan.source), x, rows, 64) || sim_init(s)) {
        fprintf(stderr, "bench/pi2: %s %s\n", err, sim_errmsg(s));
        return 1;
    }
    double t0 = bench_now();
    sim_run(s, SIM_TIME_MAX, UINT64_MAX);
    double wall = bench_now() - t0;
    const noc_pi2_result_t *res;
    size_t done = noc_pi2_results(sim_comp_at(s, (size_t)plan.readout), &res);
    uint64_t ev = sim_events_handled(s);
    printf(
        json ? "{\"bench\": \"pi2_fabric\", \"network\": \"%s\", \"rows\": %zu, \"events\": %llu, "
               "\"wall_s\": %.3f, \"rows_per_s\": %.1f, \"events_per_s\": %.0f}\n"
             : "fabric 64-64-10 over %s: %zu rows, %llu events in %.3f s: %.1f rows/s, %.0f "
               "events/s\n",
        over_noc ? "2x2 mesh" : "engine links", done, (unsigned long long)ev, wall,
        (double)done / wall, (double)ev / wall);
    sim_destroy(s);
    free(x);
    return 0;
}

int main(int argc, char **argv)
{
    int json = bench_flag(argc, argv, "--json");
    const char *r = bench_arg(argc, argv, "--rows");
    int rows = r ? atoi(r) : 100;
    if (rows < 1)
        rows = 1;
    return multicast(rows, json) || fabric(rows, 0, json) || fabric(rows, 1, json);
}
