/* Mapping GPT-2 124M (seq 128) onto configs/hybrid.yaml with the two-stage
 * mapper's defaults (NSGA-II, population 32, 40 generations, quality target
 * kl=0.01 from the bundled tiny-gpt2 profile), then simulating the chosen
 * schedule cycle by cycle. Prints wall times (targets: map < 60 s, simulate
 * < 10 s) as one JSON line. Run from the repository root. */
#include "bench/bench_common.h"
#include "devices/dev.h"
#include "mapper/map.h"
#include "sim/sim.h"

int main(int argc, char **argv)
{
    const char *chip = bench_arg(argc, argv, "--chip");
    if (!chip)
        chip = "configs/hybrid.yaml";
    sim_register_builtin_models();
    dev_register_all();
    map_register_all();
    char err[2048];
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    o.seq = 128;
    map_profile_t prof;
    if (map_profile_read_csv("tests/fixtures/tiny-gpt2/profile.csv", &prof, err, sizeof err)) {
        fprintf(stderr, "map_gpt2: %s (run from the repository root)\n", err);
        return 1;
    }
    double t0 = bench_now();
    map_ctx_t *ctx = NULL;
    if (map_ctx_open(chip, "gpt2", &o, &ctx, err, sizeof err)) {
        fprintf(stderr, "map_gpt2: %s\n", err);
        return 1;
    }
    map_search_opts_t so;
    map_search_opts_default(&so);
    so.kl_target = 0.01;
    map_search_result_t r;
    if (map_search(ctx, &so, &prof, &r, err, sizeof err)) {
        fprintf(stderr, "map_gpt2: %s\n", err);
        return 1;
    }
    map_schedule_t *s = NULL;
    if (map_ctx_schedule(ctx, r.chosen, &s, err, sizeof err)) {
        fprintf(stderr, "map_gpt2: %s\n", err);
        return 1;
    }
    double t_map = bench_now() - t0;
    sim_t *sim = NULL;
    char *text = NULL;
    t0 = bench_now();
    const char *drv = NULL;
    if (sim_config_load(chip, NULL, &sim, &text, err, sizeof err) ||
        map_find_driver(sim, &drv, err, sizeof err) || map_attach(sim, drv, s, err, sizeof err) ||
        sim_init(sim) || sim_run(sim, SIM_TIME_MAX, UINT64_MAX)) {
        fprintf(stderr, "map_gpt2: %s\n", sim ? sim_errmsg(sim) : err);
        return 1;
    }
    sim_finish(sim);
    double t_sim = bench_now() - t0;
    printf("{\"bench\":\"map_gpt2\",\"chip\":\"%s\",\"candidates\":%llu,\"map_wall_s\":%.3f,"
           "\"simulate_wall_s\":%.3f,\"events\":%llu,\"makespan_ms\":%.4f,\"estimate_ms\":%.4f}\n",
           chip, (unsigned long long)r.evaluations, t_map, t_sim,
           (unsigned long long)sim_events_handled(sim), (double)sim_end_ps(sim) / 1e9,
           r.chosen_latency_ps / 1e9);
    sim_destroy(sim);
    free(text);
    map_search_result_free(&r);
    map_ctx_close(ctx);
    map_profile_free(&prof);
    return 0;
}
