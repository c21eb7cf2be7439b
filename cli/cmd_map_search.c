/* `prism map --chip CONFIG --workload SPEC ... -o schedule.json`: the two-stage
 * mapping (mapper/search.c) and its report: the baselines, the Pareto front,
 * the stage-2 moves and the chosen mapping; the schedule file for prism run. */
#include "cli/cli.h"
#include "cli/out.h"
#include "cli/plot.h"
#include "mapper/map.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: prism map --chip CONFIG --workload SPEC [options] -o schedule.json\n"
            "       prism map profile --workload DIR [options]   (prism map profile --help)\n"
            "       prism map compare [options]                  (prism map compare --help)\n\n"
            "Two-stage mapping of a workload onto a chip of tiers (docs/mapper.md):\n"
            "stage 1 searches each GEMM's tier and split (NSGA-II) for the Pareto front of\n"
            "latency and energy, every candidate priced by the devices' own cost queries;\n"
            "stage 2 moves the most noise-sensitive projections to the digital tier, cheapest\n"
            "move per unit of KL first, until the quality target holds.\n\n"
            "  --chip CONFIG         the chip (configs/hybrid.yaml, configs/all-*.yaml)\n"
            "  --workload SPEC       built-in model, .onnx, or a GPT-2 directory (its IR, and\n"
            "                        its own forward pass to measure quality)\n"
            "  --seq N --batch N --phase prefill|decode --kv-len N --dtype f32|f16|bf16|i8\n"
            "  --quality kl=X        stage 2 target: mean KL(p_clean || p_mapped) <= X nats\n"
            "  --profile FILE.csv    sensitivity profile (prism map profile --csv); default for\n"
            "                        GPT-2-family workloads: the bundled tiny-gpt2 profile\n"
            "                        (tests/fixtures/tiny-gpt2/profile.csv)\n"
            "  --objective knee|latency|energy   stage 1's pick on the front (default knee)\n"
            "  --set KEY=VALUE       a parameter of the chip, as prism run --set (repeatable)\n"
            "  --resident-weights    crossbar weights are programmed before the run (steady\n"
            "                        state); default: reading, moving and programming them is\n"
            "                        part of the run\n"
            "  --population N --generations N --seed S   NSGA-II (32, 40, 1)\n"
            "  -o, --output FILE     write the chosen schedule (JSON) for prism run --schedule\n"
            "  --pareto FILE.csv     write the front and the baselines\n"
            "  --plot FILE.png       Pareto plot (gnuplot): front, baselines, chosen\n"
            "  --json                print the report as JSON\n"
            "  --progress            progress bar even when stderr is not a terminal\n\n"
            "Exit status: 0 mapped (target met), 1 target not met, 2 bad input.\n");
}

static void progress_bar(void *ctx, int done, int total)
{
    (void)ctx;
    int bar = total ? done * 30 / total : 30;
    char b[31];
    for (int i = 0; i < 30; i++)
        b[i] = i < bar ? '#' : '.';
    b[30] = '\0';
    fprintf(stderr, "\r[%s] generation %d/%d", b, done, total);
    if (done == total)
        fprintf(stderr, "\n");
    fflush(stderr);
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* the bundled tiny-gpt2 profile, from the working directory or the data directory */
static const char *bundled_profile(void)
{
    static char path[4096];
    return cli_data_path("tests/fixtures/tiny-gpt2/profile.csv", path, sizeof path);
}

static void place_text(const map_place_t *p, char *buf, size_t n)
{
    if (p->pct_a >= 100)
        snprintf(buf, n, "%s", map_tier_name(p->a));
    else
        snprintf(buf, n, "%s %d%% + %s %d%%", map_tier_name(p->a), p->pct_a, map_tier_name(p->b),
                 100 - p->pct_a);
}

/* share of the MACs each tier runs */
static void tier_shares(const wl_graph_t *g, const map_place_t *pl, double sh[MAP_TIERS])
{
    double tot = 0;
    for (int t = 0; t < MAP_TIERS; t++)
        sh[t] = 0;
    for (size_t i = 0; i < wl_graph_op_count(g); i++) {
        const wl_op_t *op = wl_graph_op(g, i);
        if (!wl_opkind_is_gemm(op->kind))
            continue;
        double m = (double)op->macs;
        tot += m;
        sh[pl[i].a] += m * (pl[i].pct_a >= 100 ? 1.0 : pl[i].pct_a / 100.0);
        if (pl[i].pct_a < 100)
            sh[pl[i].b] += m * (100 - pl[i].pct_a) / 100.0;
    }
    for (int t = 0; t < MAP_TIERS; t++)
        sh[t] = tot > 0 ? 100.0 * sh[t] / tot : 0;
}

static int write_pareto(const map_search_result_t *r, const char *path, char *err, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return snprintf(err, n, "%s: cannot write: %s", path, strerror(errno)), 2;
    fprintf(f, "kind,name,latency_ms,energy_mj,kl_predicted\n");
    for (size_t i = 0; i < r->n_front; i++)
        fprintf(f, "pareto,%s,%.9g,%.9g,%.9g\n", r->front[i].name, r->front[i].latency_ps / 1e9,
                r->front[i].energy_pj / 1e9, r->front[i].kl);
    for (size_t i = 0; i < r->n_baselines; i++)
        fprintf(f, "baseline,%s,%.9g,%.9g,%.9g\n", r->baseline[i].name,
                r->baseline[i].latency_ps / 1e9, r->baseline[i].energy_pj / 1e9, r->baseline[i].kl);
    fprintf(f, "chosen,two-stage,%.9g,%.9g,%.9g\n", r->chosen_latency_ps / 1e9,
            r->chosen_energy_pj / 1e9, r->chosen_kl);
    fclose(f);
    return 0;
}

/* The Pareto picture, drawn through cli/plot.c (names go to data files,
 * never into a command line). Baselines that land on the same point share
 * one label ("all-xbar tier = greedy by size"), and the labels of
 * neighbouring points alternate above and below, so no two are printed on
 * top of each other. */
static int plot_pareto(const map_search_result_t *r, const char *png, const char *title, char *err,
                       size_t n)
{
    /* through cli/plot.c: the title (workload and chip paths) and the
     * baseline names reach gnuplot only quoted or as data, never a shell */
    plot_t *p = plot_begin(png, 1000, 700, err, n);
    if (!p)
        return 2;
    const char *front_path, *base_path, *chosen_path;
    FILE *front = plot_data(p, &front_path, err, n);
    FILE *base = front ? plot_data(p, &base_path, err, n) : NULL;
    FILE *chosen = base ? plot_data(p, &chosen_path, err, n) : NULL;
    FILE *f = plot_script(p);
    if (!chosen) {
        fputs("exit\n", f);
        char ignored[64];
        plot_end(p, ignored, sizeof ignored);
        return 2;
    }
    for (size_t i = 0; i < r->n_front; i++)
        fprintf(front, "%.9g %.9g\n", r->front[i].latency_ps / 1e9, r->front[i].energy_pj / 1e9);
    int label = 0;
    for (size_t i = 0; i < r->n_baselines; i++) {
        const map_point_t *bi = &r->baseline[i];
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = r->baseline[j].latency_ps == bi->latency_ps &&
                   r->baseline[j].energy_pj == bi->energy_pj;
        if (seen)
            continue;
        char names[512];
        int len = snprintf(names, sizeof names, "%s", bi->name);
        for (size_t j = i + 1; j < r->n_baselines; j++)
            if (r->baseline[j].latency_ps == bi->latency_ps &&
                r->baseline[j].energy_pj == bi->energy_pj && len < (int)sizeof names)
                len +=
                    snprintf(names + len, sizeof names - (size_t)len, " = %s", r->baseline[j].name);
        fprintf(base, "%.9g %.9g %d ", bi->latency_ps / 1e9, bi->energy_pj / 1e9,
                label++ % 2 ? -1 : 1);
        plot_data_word(base, names);
        fputc('\n', base);
    }
    fprintf(chosen, "%.9g %.9g\n", r->chosen_latency_ps / 1e9, r->chosen_energy_pj / 1e9);
    fputs("set termoption noenhanced\nset title ", f);
    plot_quote(f, title);
    fputs("\nset xlabel 'latency (ms)'\nset ylabel 'energy (mJ)'\nset logscale xy\n"
          "set key inside top right\nplot ",
          f);
    plot_quote(f, front_path);
    fputs(" with linespoints pt 7 lc rgb '#0067a5' title 'stage-1 Pareto front', ", f);
    plot_quote(f, base_path);
    fputs(" using 1:2 with points pt 5 ps 1.5 lc rgb '#be0032' title 'baselines', ", f);
    plot_quote(f, base_path);
    fputs(" using 1:($3 > 0 ? $2 : 1/0):4 with labels offset 1,1 left notitle, ", f);
    plot_quote(f, base_path);
    fputs(" using 1:($3 < 0 ? $2 : 1/0):4 with labels offset 1,-1 left notitle, ", f);
    plot_quote(f, chosen_path);
    fputs(" with points pt 9 ps 2.5 lc rgb '#008856' title 'two-stage (chosen)'\n", f);
    return plot_end(p, err, n) ? 1 : 0;
}

int cmd_map_search(int argc, char **argv)
{
    static const struct option opts[] = {{"chip", required_argument, NULL, 'c'},
                                         {"workload", required_argument, NULL, 'w'},
                                         {"seq", required_argument, NULL, 'S'},
                                         {"batch", required_argument, NULL, 'B'},
                                         {"phase", required_argument, NULL, 'P'},
                                         {"kv-len", required_argument, NULL, 'K'},
                                         {"dtype", required_argument, NULL, 'D'},
                                         {"quality", required_argument, NULL, 'q'},
                                         {"profile", required_argument, NULL, 'f'},
                                         {"objective", required_argument, NULL, 'b'},
                                         {"population", required_argument, NULL, 'n'},
                                         {"generations", required_argument, NULL, 'g'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"pareto", required_argument, NULL, 'x'},
                                         {"plot", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"progress", no_argument, NULL, 'G'},
                                         {"resident-weights", no_argument, NULL, 'R'},
                                         {"set", required_argument, NULL, 'E'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *chip = NULL, *workload = NULL, *out = NULL, *pareto = NULL, *png = NULL,
               *profile_path = NULL;
    wl_gen_opts_t wo;
    wl_gen_opts_default(&wo);
    map_search_opts_t so;
    map_search_opts_default(&so);
    int json = 0, progress = 0, resident = 0;
    const char *set_kv[64];
    int nset = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        char *end;
        long v;
        switch (c) {
        case 'c': chip = optarg; break;
        case 'w': workload = optarg; break;
        case 'S':
        case 'B':
        case 'K':
        case 'n':
        case 'g':
        case 's':
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || *end || !*optarg || v < (c == 'K' || c == 'g' || c == 's' ? 0 : 1) ||
                v > 1000000) {
                fprintf(stderr, "prism map: '%s' is not a valid count for --%s\n", optarg,
                        c == 'S'   ? "seq"
                        : c == 'B' ? "batch"
                        : c == 'K' ? "kv-len"
                        : c == 'n' ? "population"
                        : c == 'g' ? "generations"
                                   : "seed");
                return 2;
            }
            if (c == 'S')
                wo.seq = (int)v;
            else if (c == 'B')
                wo.batch = (int)v;
            else if (c == 'K')
                wo.kv_len = (int)v;
            else if (c == 'n')
                so.population = (int)v;
            else if (c == 'g')
                so.generations = (int)v;
            else
                so.seed = (uint64_t)v;
            break;
        case 'P':
            if (!strcmp(optarg, "prefill") || !strcmp(optarg, "decode"))
                wo.phase = !strcmp(optarg, "decode") ? WL_PHASE_DECODE : WL_PHASE_PREFILL;
            else {
                fprintf(stderr, "prism map: --phase '%s' is not prefill or decode\n", optarg);
                return 2;
            }
            break;
        case 'D':
            if (wl_dtype_parse(optarg, &wo.dtype) || wl_dtype_size(wo.dtype) == 0) {
                fprintf(stderr, "prism map: --dtype '%s' is not one of %s\n", optarg,
                        cli_dtype_list());
                return 2;
            }
            break;
        case 'q':
            if (strncmp(optarg, "kl=", 3) || (errno = 0, so.kl_target = strtod(optarg + 3, &end),
                                              errno || *end || !(so.kl_target >= 0))) {
                fprintf(stderr, "prism map: --quality '%s' is not kl=X with X >= 0 (nats)\n",
                        optarg);
                return 2;
            }
            break;
        case 'f': profile_path = optarg; break;
        case 'b':
            if (!strcmp(optarg, "knee"))
                so.objective = 0;
            else if (!strcmp(optarg, "latency"))
                so.objective = 1;
            else if (!strcmp(optarg, "energy"))
                so.objective = 2;
            else {
                fprintf(stderr, "prism map: --objective '%s' is not knee, latency or energy\n",
                        optarg);
                return 2;
            }
            break;
        case 'E':
            if (nset >= 64) {
                fprintf(stderr, "prism map: at most 64 --set options\n");
                return 2;
            }
            if (!strchr(optarg, '=') || strchr(optarg, ',')) {
                fprintf(stderr,
                        "prism map: --set '%s' is not one KEY=VALUE (prism map sets one "
                        "value per key; prism sweep sweeps lists)\n",
                        optarg);
                return 2;
            }
            set_kv[nset++] = optarg;
            break;
        case 'o': out = optarg; break;
        case 'x': pareto = optarg; break;
        case 'p': png = optarg; break;
        case 'j': json = 1; break;
        case 'G': progress = 1; break;
        case 'R': resident = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !chip || !workload) {
        if (optind != argc)
            fprintf(stderr, "prism map: unexpected argument '%s'\n", argv[optind]);
        else
            fprintf(stderr, "prism map: --chip and --workload are required\n");
        usage(stderr);
        return 2;
    }
    const char *ins[] = {chip, workload, profile_path};
    const char *outs[] = {out, pareto, png};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++)
            if (outs[i] && ins[k] && cli_same_file(outs[i], ins[k])) {
                fprintf(stderr,
                        "prism map: output '%s' names the input '%s': refusing to "
                        "overwrite an input\n",
                        outs[i], ins[k]);
                return 2;
            }
    char err[4096];
    /* a GPT-2 directory: its IR, and its forward pass for the quality */
    char spec[1024];
    const char *quality_dir = NULL;
    snprintf(spec, sizeof spec, "%s", workload);
    if (is_dir(workload)) {
        wl_gpt2_t *m = wl_gpt2_load(workload, err, sizeof err);
        if (!m) {
            fprintf(stderr, "prism map: %s\n", err);
            return 2;
        }
        int len = wl_gpt2_ir_spec(m, spec, sizeof spec);
        wl_gpt2_free(m);
        if (len < 0) {
            fprintf(stderr, "prism map: %s: cannot describe its IR\n", workload);
            return 2;
        }
        quality_dir = workload;
        if (!wo.seq)
            wo.seq = 128;
    }
    map_profile_t prof;
    memset(&prof, 0, sizeof prof);
    const map_profile_t *pp = NULL;
    const char *prof_src = profile_path;
    if (so.kl_target >= 0 && !prof_src)
        prof_src = bundled_profile();
    if (so.kl_target >= 0 && !prof_src) {
        fprintf(stderr, "prism map: --quality needs a sensitivity profile: give --profile FILE.csv "
                        "(prism map profile --csv FILE.csv)\n");
        return 2;
    }
    if (prof_src) {
        if (map_profile_read_csv(prof_src, &prof, err, sizeof err)) {
            fprintf(stderr, "prism map: %s\n", err);
            return 2;
        }
        pp = &prof;
    }
    map_ctx_t *ctx = NULL;
    sim_config_over_t over; /* --set: the chip as prism run --set would build it */
    memset(&over, 0, sizeof over);
    over.set = set_kv;
    over.nset = (size_t)nset;
    if (map_ctx_open_over(chip, &over, spec, &wo, &ctx, err, sizeof err)) {
        fprintf(stderr, "prism map: %s\n", err);
        map_profile_free(&prof);
        return 2;
    }
    map_ctx_set_resident(ctx, resident);
    if (progress || isatty(2)) {
        so.progress = progress_bar;
    }
    map_search_result_t r;
    int rc = map_search(ctx, &so, pp, &r, err, sizeof err);
    if (rc) {
        fprintf(stderr, "prism map: %s\n", err);
        map_ctx_close(ctx);
        map_profile_free(&prof);
        return 2;
    }
    int exit_code = 0;
    /* measured quality on a model we have the weights of; stage 2 again with a
     * tighter prediction while the measurement misses the target */
    double kl_measured = -1, ce_measured = -1;
    if (quality_dir && so.kl_target >= 0 &&
        map_search_measured(ctx, pp, quality_dir, so.kl_target, &r, &kl_measured, &ce_measured, err,
                            sizeof err)) {
        fprintf(stderr, "prism map: %s\n", err);
        exit_code = 2;
    }
    const wl_graph_t *g = map_ctx_graph(ctx);
    double sh[MAP_TIERS];
    tier_shares(g, r.chosen, sh);
    if (json) {
        printf("{\"chip\":\"%s\",\"workload\":\"%s\",\"evaluations\":%llu,\"front\":[", chip,
               workload, (unsigned long long)r.evaluations);
        for (size_t i = 0; i < r.n_front; i++)
            printf("%s{\"latency_ms\":%.9g,\"energy_mj\":%.9g,\"kl_predicted\":%.9g}", i ? "," : "",
                   r.front[i].latency_ps / 1e9, r.front[i].energy_pj / 1e9, r.front[i].kl);
        printf("],\"baselines\":[");
        for (size_t i = 0; i < r.n_baselines; i++)
            printf(
                "%s{\"name\":\"%s\",\"latency_ms\":%.9g,\"energy_mj\":%.9g,\"kl_predicted\":%.9g}",
                i ? "," : "", r.baseline[i].name, r.baseline[i].latency_ps / 1e9,
                r.baseline[i].energy_pj / 1e9, r.baseline[i].kl);
        printf("],\"moves\":%zu,\"undone\":%zu,\"chosen\":{\"latency_ms\":%.9g,\"energy_mj\":%.9g,"
               "\"kl_predicted\":%.9g,\"kl_measured\":%.9g,\"quality_met\":%s,"
               "\"mac_share_pct\":{\"digital\":%.3f,\"xbar\":%.3f,\"photonic\":%.3f}}}\n",
               r.n_moves, r.n_undone, r.chosen_latency_ps / 1e9, r.chosen_energy_pj / 1e9,
               r.chosen_kl, kl_measured, r.quality_met ? "true" : "false", sh[0], sh[1], sh[2]);
    } else {
        printf("chip %s, workload %s: %zu GEMM placements searched, %llu candidates priced\n\n",
               chip, workload, r.n_genes, (unsigned long long)r.evaluations);
        printf("%-26s %12s %12s %12s\n", "mapping", "latency_ms", "energy_mj", "kl_pred");
        for (size_t i = 0; i < r.n_baselines; i++)
            printf("%-26s %12.4f %12.4f %12.4g\n", r.baseline[i].name,
                   r.baseline[i].latency_ps / 1e9, r.baseline[i].energy_pj / 1e9, r.baseline[i].kl);
        for (size_t i = 0; i < r.n_front; i++)
            printf("%-26s %12.4f %12.4f %12.4g%s\n", r.front[i].name, r.front[i].latency_ps / 1e9,
                   r.front[i].energy_pj / 1e9, r.front[i].kl,
                   i == r.stage1_pick ? "  <- stage 1 pick" : "");
        for (size_t i = 0; i < r.n_moves; i++) {
            char a[64], b[64];
            place_text(&r.moves[i].from, a, sizeof a);
            place_text(&r.moves[i].to, b, sizeof b);
            printf("stage 2 move %zu: %-18s %s -> %s (kl %.4g -> %.4g; %.4f ms, %.4f mJ)%s\n",
                   i + 1, r.moves[i].op, a, b, r.moves[i].kl_after + r.moves[i].kl_removed,
                   r.moves[i].kl_after, r.moves[i].latency_ps / 1e9, r.moves[i].energy_pj / 1e9,
                   r.moves[i].undone ? "  [undone: fits the slack]" : "");
        }
        printf("%-26s %12.4f %12.4f %12.4g\n", "two-stage (chosen)", r.chosen_latency_ps / 1e9,
               r.chosen_energy_pj / 1e9, r.chosen_kl);
        printf("MACs per tier: digital %.1f%%, xbar %.1f%%, photonic %.1f%%\n", sh[0], sh[1],
               sh[2]);
        if (so.kl_target >= 0)
            printf("quality: target kl <= %g, predicted %.4g from %s%s\n", so.kl_target,
                   r.chosen_kl, prof_src, r.quality_met ? "" : " (NOT MET)");
        if (kl_measured >= 0)
            printf("quality measured on %s: kl %.4g, cross-entropy %.4f nats\n", quality_dir,
                   kl_measured, ce_measured);
    }
    if (!r.quality_met || (kl_measured >= 0 && so.kl_target >= 0 && kl_measured > so.kl_target)) {
        fprintf(stderr, "prism map: the quality target kl <= %g is not met\n", so.kl_target);
        exit_code = exit_code ? exit_code : 1;
    }
    if (pareto && write_pareto(&r, pareto, err, sizeof err)) {
        fprintf(stderr, "prism map: %s\n", err);
        exit_code = 2;
    }
    if (png) {
        char title[512];
        snprintf(title, sizeof title, "%s on %s", workload, chip);
        if (plot_pareto(&r, png, title, err, sizeof err)) {
            fprintf(stderr, "prism map: %s\n", err);
            exit_code = exit_code ? exit_code : 1;
        }
    }
    if (out) {
        map_schedule_t *s = NULL;
        if (map_ctx_schedule(ctx, r.chosen, &s, err, sizeof err) ||
            map_schedule_write_json(s, out, err, sizeof err)) {
            fprintf(stderr, "prism map: %s\n", err);
            exit_code = 2;
        }
        map_schedule_free(s);
    }
    map_search_result_free(&r);
    map_ctx_close(ctx);
    map_profile_free(&prof);
    return exit_code;
}

/* ---- prism map compare ------------------------------------------------------------------ */
typedef struct cmp_row {
    char workload[64], phase[16], mapping[64];
    double lat, en, kl;
} cmp_row_t;

static int map_one(const char *chip, const char *spec, const wl_gen_opts_t *wo,
                   const map_search_opts_t *so, const map_profile_t *prof, int resident,
                   map_search_result_t *r, char *err, size_t n)
{
    map_ctx_t *ctx = NULL;
    int rc = map_ctx_open(chip, spec, wo, &ctx, err, n);
    if (rc)
        return rc;
    map_ctx_set_resident(ctx, resident);
    rc = map_search(ctx, so, prof, r, err, n);
    map_ctx_close(ctx);
    return rc;
}

static void compare_usage(FILE *f)
{
    fprintf(f, "usage: prism map compare [options]\n\n"
               "The two-stage mapping on configs/hybrid.yaml against the homogeneous chips of the\n"
               "same unit kinds and die area (all-digital.yaml, all-rram.yaml, all-photonic.yaml\n"
               "beside the hybrid config, written by prism chip match) and\n"
               "the naive heterogeneous mappings (round robin by layer, greedy by size), for\n"
               "GPT-2 124M, BERT-base, ResNet-18, ViT-B/16 and Llama 3.2 1B (prefill of 128\n"
               "tokens; the LMs also decode one token after 128). Each mapping says on stderr\n"
               "when it starts; the table goes to stdout.\n\n"
               "  --workloads a,b,...   built-in specs (default gpt2,bert-base,resnet18,vit-b16,\n"
               "                        llama3.2-1b)\n"
               "  --hybrid CONFIG       the heterogeneous chip (configs/hybrid.yaml, from the\n"
               "                        working directory or prism's data directory)\n"
               "  --digital CONFIG --rram CONFIG --photonic CONFIG\n"
               "                        the homogeneous chips (default: all-digital.yaml,\n"
               "                        all-rram.yaml, all-photonic.yaml in the hybrid's folder)\n"
               "  --quality kl=X        stage 2 target for GPT-2 (bundled tiny-gpt2 profile)\n"
               "  --resident-weights    crossbar weights programmed before the run\n"
               "  --dtype f32|f16|bf16|i8   the workloads' word type (default f32); the\n"
               "                        systolic arrays price MACs in it, crossbars and\n"
               "                        photonic cores compute at their own bits\n"
               "  --generations N --population N --seed S   NSGA-II\n"
               "  --csv FILE            the table as CSV\n"
               "  --json                the table as a JSON array of rows on stdout\n"
               "  --plot-dir DIR        one Pareto PNG per workload and phase (DIR is created)\n"
               "  --quiet               no progress on stderr\n");
}

/* the homogeneous chip `name` (all-digital.yaml, ...) beside the hybrid config */
static void beside(const char *hybrid, const char *name, char *out, size_t n)
{
    const char *slash = strrchr(hybrid, '/');
    if (slash)
        snprintf(out, n, "%.*s/%s", (int)(slash - hybrid), hybrid, name);
    else
        snprintf(out, n, "%s", name);
}

/* DIR made (one level) or already a folder; else a message and -1 */
static int plot_dir_ready(const char *dir)
{
    struct stat sb;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "prism map compare: --plot-dir %s: cannot create: %s\n", dir,
                strerror(errno));
        return -1;
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || access(dir, W_OK) != 0) {
        fprintf(stderr, "prism map compare: --plot-dir %s: not a writable folder\n", dir);
        return -1;
    }
    return 0;
}

static void compare_row_json(cJSON *arr, const cmp_row_t *x, double speedup, double energy_x)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "workload", x->workload);
    cJSON_AddStringToObject(o, "phase", x->phase);
    cJSON_AddStringToObject(o, "mapping", x->mapping);
    cJSON_AddNumberToObject(o, "latency_ms", x->lat);
    cJSON_AddNumberToObject(o, "energy_mj", x->en);
    cJSON_AddNumberToObject(o, "kl_predicted", x->kl);
    cJSON_AddNumberToObject(o, "speedup_vs_best_homogeneous", speedup);
    cJSON_AddNumberToObject(o, "energy_vs_best_homogeneous", energy_x);
    cJSON_AddItemToArray(arr, o);
}

typedef struct compare_opts {
    char wl_list[1024];
    const char *hybrid, *homog[3], *csv, *plot_dir;
    char hybrid_buf[4096], homog_buf[3][4096];
    map_search_opts_t so;
    int resident, json, quiet;
    wl_dtype_t dtype; /* WL_DT_UNKNOWN: each workload's default */
} compare_opts_t;

static int compare_count(const char *arg, int c, compare_opts_t *o)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || *end || !*arg || v < (c == 'n' ? 4 : 0) || v > 100000) {
        fprintf(stderr, "prism map compare: '%s' is not a valid count\n", arg);
        return 2;
    }
    if (c == 'g')
        o->so.generations = (int)v;
    else if (c == 'n')
        o->so.population = (int)v;
    else
        o->so.seed = (uint64_t)v;
    return 0;
}

/* options into o; 0, or the exit status (-1: --help printed) */
static int compare_args(int argc, char **argv, compare_opts_t *o)
{
    static const struct option opts[] = {{"workloads", required_argument, NULL, 'w'},
                                         {"hybrid", required_argument, NULL, 'H'},
                                         {"digital", required_argument, NULL, 'D'},
                                         {"rram", required_argument, NULL, 'X'},
                                         {"photonic", required_argument, NULL, 'P'},
                                         {"quality", required_argument, NULL, 'q'},
                                         {"resident-weights", no_argument, NULL, 'R'},
                                         {"dtype", required_argument, NULL, 'T'},
                                         {"generations", required_argument, NULL, 'g'},
                                         {"population", required_argument, NULL, 'n'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"csv", required_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"quiet", no_argument, NULL, 'Q'},
                                         {"plot-dir", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    snprintf(o->wl_list, sizeof o->wl_list, "gpt2,bert-base,resnet18,vit-b16,llama3.2-1b");
    o->hybrid = "configs/hybrid.yaml";
    map_search_opts_default(&o->so);
    o->so.objective = 1; /* latency at matched quality, as H3PIMAP reports */
    o->dtype = WL_DT_UNKNOWN;
    optind = 1;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': snprintf(o->wl_list, sizeof o->wl_list, "%s", optarg); break;
        case 'H': o->hybrid = optarg; break;
        case 'D': o->homog[0] = optarg; break;
        case 'X': o->homog[1] = optarg; break;
        case 'P': o->homog[2] = optarg; break;
        case 'q':
            if (strncmp(optarg, "kl=", 3) || (errno = 0, o->so.kl_target = strtod(optarg + 3, &end),
                                              errno || *end || !(o->so.kl_target >= 0))) {
                fprintf(stderr, "prism map compare: --quality '%s' is not kl=X\n", optarg);
                return 2;
            }
            break;
        case 'R': o->resident = 1; break;
        case 'T':
            if (wl_dtype_parse(optarg, &o->dtype) || wl_dtype_size(o->dtype) == 0) {
                fprintf(stderr, "prism map compare: --dtype '%s' is not one of %s\n", optarg,
                        cli_dtype_list());
                return 2;
            }
            break;
        case 'g':
        case 'n':
        case 's':
            if (compare_count(optarg, c, o))
                return 2;
            break;
        case 'c': o->csv = optarg; break;
        case 'j': o->json = 1; break;
        case 'Q': o->quiet = 1; break;
        case 'p': o->plot_dir = optarg; break;
        case 'h': compare_usage(stdout); return -1;
        default: compare_usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "prism map compare: unexpected argument '%s' (prism map compare --help)\n",
                argv[optind]);
        return 2;
    }
    return 0;
}

/* the hybrid config from the working directory or the data directory, the
 * homogeneous ones from flags or beside it; every one readable before any
 * work starts */
static int compare_configs(compare_opts_t *o)
{
    const char *h = cli_data_path(o->hybrid, o->hybrid_buf, sizeof o->hybrid_buf);
    if (!h) {
        fprintf(stderr,
                "prism map compare: --hybrid %s: no such file (here or in prism's data "
                "directory)\n",
                o->hybrid);
        return 2;
    }
    o->hybrid = h;
    static const char *const file[3] = {"all-digital.yaml", "all-rram.yaml", "all-photonic.yaml"};
    static const char *const flag[3] = {"--digital", "--rram", "--photonic"};
    for (int i = 0; i < 3; i++) {
        if (!o->homog[i]) {
            beside(o->hybrid, file[i], o->homog_buf[i], sizeof o->homog_buf[i]);
            o->homog[i] = o->homog_buf[i];
        }
        if (access(o->homog[i], R_OK) != 0) {
            fprintf(stderr,
                    "prism map compare: %s: %s (give the chip with %s CONFIG, or write it with "
                    "prism chip match)\n",
                    o->homog[i], strerror(errno), flag[i]);
            return 2;
        }
    }
    return o->plot_dir && plot_dir_ready(o->plot_dir) ? 2 : 0;
}

static void compare_progress(const compare_opts_t *o, int *step, int total, const char *w,
                             int phase, const char *chip)
{
    if (!o->quiet)
        fprintf(stderr, "prism map compare: [%d/%d] %s %s on %s\n", ++*step, total, w,
                phase ? "decode" : "prefill", chip);
}

/* the rows of one workload and phase: the homogeneous chips, the hybrid's
 * naive mappings and its two-stage mapping; the number of rows, or -1 */
static int compare_one(const compare_opts_t *o, const char *w, int phase, const map_profile_t *prof,
                       cmp_row_t rows[16], int *step, int total, double *best_lat, double *best_en)
{
    static const char *const homog_name[] = {"all-digital chip", "all-rram chip",
                                             "all-photonic chip"};
    char err[4096];
    wl_gen_opts_t wo;
    wl_gen_opts_default(&wo);
    if (o->dtype != WL_DT_UNKNOWN)
        wo.dtype = o->dtype;
    if (strncmp(w, "resnet", 6) && strncmp(w, "vit", 3))
        wo.seq = 128;
    if (phase) {
        wo.phase = WL_PHASE_DECODE;
        wo.kv_len = 128;
    }
    int nr = 0;
    *best_lat = *best_en = INFINITY;
    const map_profile_t *pq = !strncmp(w, "gpt2", 4) && prof->n ? prof : NULL;
    map_search_opts_t s2 = o->so;
    if (!pq)
        s2.kl_target = -1;
    for (int h = 0; h < 3; h++) {
        map_search_result_t r;
        compare_progress(o, step, total, w, phase, o->homog[h]);
        if (map_one(o->homog[h], w, &wo, &s2, pq, o->resident, &r, err, sizeof err)) {
            fprintf(stderr, "prism map compare: %s on %s: %s\n", w, o->homog[h], err);
            continue;
        }
        cmp_row_t *x = &rows[nr++];
        snprintf(x->mapping, sizeof x->mapping, "%s", homog_name[h]);
        x->lat = r.chosen_latency_ps / 1e9;
        x->en = r.chosen_energy_pj / 1e9;
        x->kl = r.chosen_kl;
        if (x->lat < *best_lat)
            *best_lat = x->lat, *best_en = x->en;
        map_search_result_free(&r);
    }
    map_search_result_t r;
    compare_progress(o, step, total, w, phase, o->hybrid);
    if (map_one(o->hybrid, w, &wo, &s2, pq, o->resident, &r, err, sizeof err)) {
        fprintf(stderr, "prism map compare: %s on %s: %s\n", w, o->hybrid, err);
        return -1;
    }
    for (size_t b = 0; b < r.n_baselines && nr < 14; b++) {
        if (strncmp(r.baseline[b].name, "round", 5) && strncmp(r.baseline[b].name, "greedy", 6))
            continue;
        cmp_row_t *x = &rows[nr++];
        snprintf(x->mapping, sizeof x->mapping, "hybrid, %s", r.baseline[b].name);
        x->lat = r.baseline[b].latency_ps / 1e9;
        x->en = r.baseline[b].energy_pj / 1e9;
        x->kl = r.baseline[b].kl;
    }
    cmp_row_t *x = &rows[nr++];
    snprintf(x->mapping, sizeof x->mapping, "hybrid, two-stage");
    x->lat = r.chosen_latency_ps / 1e9;
    x->en = r.chosen_energy_pj / 1e9;
    x->kl = r.chosen_kl;
    if (o->plot_dir) {
        char png[4096], title[256];
        snprintf(png, sizeof png, "%s/%s-%s.png", o->plot_dir, w, phase ? "decode" : "prefill");
        snprintf(title, sizeof title, "%s %s on %s", w, phase ? "decode" : "prefill", o->hybrid);
        if (plot_pareto(&r, png, title, err, sizeof err))
            fprintf(stderr, "prism map compare: %s\n", err);
    }
    map_search_result_free(&r);
    for (int i = 0; i < nr; i++) {
        snprintf(rows[i].workload, sizeof rows[i].workload, "%s", w);
        snprintf(rows[i].phase, sizeof rows[i].phase, "%s", phase ? "decode" : "prefill");
    }
    return nr;
}

static int is_lm(const char *w)
{
    return !strncmp(w, "gpt2", 4) || !strncmp(w, "llama", 5);
}

int cmd_map_compare(int argc, char **argv)
{
    compare_opts_t o;
    memset(&o, 0, sizeof o);
    int rc = compare_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = compare_configs(&o)))
        return rc;
    map_profile_t prof;
    memset(&prof, 0, sizeof prof);
    char err[4096];
    const char *pp = bundled_profile();
    if (pp && map_profile_read_csv(pp, &prof, err, sizeof err)) {
        fprintf(stderr, "prism map compare: %s\n", err);
        return 2;
    }
    FILE *cf = NULL;
    if (o.csv && !(cf = fopen(o.csv, "w"))) {
        fprintf(stderr, "prism map compare: %s: cannot write: %s\n", o.csv, strerror(errno));
        map_profile_free(&prof);
        return 2;
    }
    if (cf)
        fprintf(cf, "workload,phase,mapping,latency_ms,energy_mj,kl_predicted,"
                    "speedup_vs_best_homogeneous,energy_vs_best_homogeneous\n");
    cJSON *arr = o.json ? cJSON_CreateArray() : NULL;
    if (!o.json)
        printf("%-12s %-8s %-26s %11s %11s %9s %9s %9s\n", "workload", "phase", "mapping",
               "latency_ms", "energy_mj", "kl_pred", "speedup", "energy_x");
    int total = 0, step = 0;
    char list[1024], *save = NULL;
    snprintf(list, sizeof list, "%s", o.wl_list);
    for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save))
        total += 4 * (is_lm(w) ? 2 : 1);
    save = NULL;
    for (char *w = strtok_r(o.wl_list, ",", &save); w && !rc; w = strtok_r(NULL, ",", &save)) {
        for (int phase = 0; phase < (is_lm(w) ? 2 : 1) && !rc; phase++) {
            cmp_row_t rows[16];
            double best_lat, best_en;
            int nr = compare_one(&o, w, phase, &prof, rows, &step, total, &best_lat, &best_en);
            if (nr < 0) {
                rc = 2;
                break;
            }
            for (int i = 0; i < nr; i++) {
                double sp = best_lat / rows[i].lat, ex = rows[i].en / best_en;
                if (arr)
                    compare_row_json(arr, &rows[i], sp, ex);
                else
                    printf("%-12s %-8s %-26s %11.4f %11.4f %9.3g %9.3f %9.3f\n", w, rows[i].phase,
                           rows[i].mapping, rows[i].lat, rows[i].en, rows[i].kl, sp, ex);
                if (cf)
                    fprintf(cf, "%s,%s,%s,%.9g,%.9g,%.9g,%.6g,%.6g\n", w, rows[i].phase,
                            rows[i].mapping, rows[i].lat, rows[i].en, rows[i].kl, sp, ex);
            }
            fflush(stdout);
        }
    }
    if (arr) {
        char *text = cJSON_Print(arr);
        if (text)
            printf("%s\n", text);
        free(text);
        cJSON_Delete(arr);
    }
    if (cf)
        fclose(cf);
    map_profile_free(&prof);
    return rc;
}
