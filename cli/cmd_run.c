/* `prism run`: options into a run (run/run.h: config, workload or schedule,
 * MPI ranks, trace, the libev loop with signals and the wall limit), then
 * the progress bar and the summary. Exit: 0 complete, 130 interrupted,
 * 1 model failure or truncated, 2 bad input. */
#include "cli/cli.h"
#include "cli/defaults.h"
#include "cli/out.h"
#include "cli/set.h"
#include "run/run.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The progress bar on stderr: ops done of a schedule, or simulated time of
 * the run's end time, or events handled when the end is not known. */
static void on_progress(run_t *r, void *ctx)
{
    (void)ctx;
    if (run_rank(r) != 0)
        return;
    sim_t *s = run_sim(r);
    double el = run_elapsed_s(r);
    double rate = el > 0 ? (double)sim_events_handled(s) / el : 0;
    char now[32];
    sim_fmt_time(sim_now(s), now, sizeof now);
    size_t ops_done = 0, n_ops = 0;
    run_sched_progress(r, &ops_done, &n_ops);
    sim_time_t until = run_until_ps(r);
    int by_ops = n_ops && (until == SIM_TIME_MAX || until == 0);
    if (by_ops || (until != SIM_TIME_MAX && until > 0)) {
        /* the end is known: the run's end time, or the schedule's last op */
        double frac = by_ops ? (double)ops_done / (double)n_ops : (double)sim_now(s) / (double)until;
        int bar = (int)(frac * 30);
        char b[31];
        for (int i = 0; i < 30; i++)
            b[i] = i < bar ? '#' : '.';
        b[30] = '\0';
        double eta = frac > 0 ? el * (1 - frac) / frac : 0;
        if (by_ops)
            fprintf(stderr, "\r[%s] %5.1f%%  %zu/%zu ops  sim %s  ETA %.0f s   ", b, frac * 100,
                    ops_done, n_ops, now, eta);
        else
            fprintf(stderr, "\r[%s] %5.1f%%  sim %s  %.2f Mev/s  ETA %.0f s   ", b, frac * 100, now,
                    rate / 1e6, eta);
    } else {
        fprintf(stderr, "\rsim %s  %llu events  %.2f Mev/s   ", now,
                (unsigned long long)sim_events_handled(s), rate / 1e6);
    }
    fflush(stderr);
}

static void say_run(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "prism run: %s\n", msg);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: prism run CONFIG.yaml [options]\n\n"
            "Runs the simulation the config describes (docs/config.md) and prints a summary.\n\n"
            "  --set KEY=VALUE[,KEY=VALUE...]\n"
            "                        override the config: COMPONENT.PARAM (sa.rows=64), seed,\n"
            "                        until, lookahead, clocks.NAME, links.latency,\n"
            "                        links[N|PORT|COMPONENT].latency|bandwidth; checked like\n"
            "                        the file's values (docs/config.md, Overrides)\n"
            "  --trace DB            write every activity to an SQLite trace (docs/trace.md)\n"
            "  --force               replace DB when it exists (otherwise an error)\n"
            "  --trace-filter SPEC   keep only some rows: component=GLOB|GLOB,op=GLOB,\n"
            "                        kind=activity|message,from=TIME,to=TIME,sample=N\n"
            "  --trace-messages      also record every message delivered over a link\n"
            "  --trace-index         index the events table at the end (faster queries)\n"
            "  --workload SPEC       run a model on the chip: a built-in (gpt2, bert-base,\n"
            "                        resnet18, llama2-7b, ...; prism workload list) or a .onnx\n"
            "                        file, mapped op by op onto the config's schedule_driver\n"
            "  --seq N --batch N --phase prefill|decode --kv-len N --dtype DTYPE\n"
            "                        shape of the workload (defaults: the model's); DTYPE is\n"
            "                        one of %s\n"
            "                        (default: the GEMM unit's word_bytes, e.g. i8 for 1)\n"
            "  --prompt N --generate N\n"
            "                        generate N new tokens after a prompt of N tokens (a\n"
            "                        decoder LM): prefill, then N-1 decode steps with the KV\n"
            "                        cache growing; prints TTFT, TPOT, tokens/s, energy/token\n"
            "  --requests FILE.csv|poisson:RATE,COUNT[,SEED]\n"
            "                        serve a request stream (CSV: arrival s, prompt, output;\n"
            "                        Poisson: --prompt and --generate lengths) and print each\n"
            "                        request's first token and finish, and p50/p99\n"
            "  --batching static|continuous  --max-batch N\n"
            "                        the stream's scheduler (default continuous, 8)\n"
            "  --schedule FILE       run this schedule (JSON from prism map or --schedule-out)\n"
            "                        on the config's schedule_driver\n"
            "  --schedule-out FILE   write the executed schedule (with measured times) as JSON\n"
            "  --seed N              random seed (replaces the config's)\n"
            "  --until TIME          stop simulated time at TIME, with a unit (e.g. 100us;\n"
            "                        'none': no limit; 0 and a number without a unit are\n"
            "                        refused, here as in --set until= and the file)\n"
            "  --wall-limit SECONDS  stop after this much wall time (status interrupted)\n"
            "  --progress            draw the progress bar even when stderr is not a terminal\n"
            "  --json                print the summary as JSON\n"
            "Distributed runs (mpirun -np N prism run ...; docs/engine.md):\n"
            "  --ranks N             check that mpirun started N ranks (fails without MPI)\n"
            "  --partition FILE      place components by hand ('component rank' per line,\n"
            "                        as `prism partition --out` writes); default: METIS\n"
            "  --pilot-events N      events of the pilot run that weighs the partition\n"
            "                        (default 100000; 0: every component weighs 1)\n"
            "  --sync reduce|null    window synchronization: a global min-reduction\n"
            "                        (default) or null messages between ranks\n"
            "  --peer-timeout SECONDS\n"
            "                        a rank that waits this long for a rank on another host\n"
            "                        (for any rank after SIGINT/SIGTERM) counts it as gone\n"
            "                        and the run fails naming it (default 30; a rank on the\n"
            "                        same host is checked by its pid at once)\n"
            "  --help                this text\n\n"
            "Exit status: 0 complete, 130 interrupted (SIGINT, SIGTERM, wall limit),\n"
            "1 a model failed during the run (or a rank died) or the run is truncated (schedule\n"
            "entries that did not complete: a time limit, a unit that never answered),\n"
            "2 bad usage or bad input.\n",
            cli_dtype_list());
}

static void json_real(const char *key, double v, int comma)
{
    printf("%s\"%s\":", comma ? "," : "", key);
    if (isfinite(v))
        printf("%.17g", v);
    else
        printf("null");
}

/* The run's summary: in the units `prism report` uses, or as one JSON object
 * with every figure at full precision. */
static void print_summary(sim_t *s, uint64_t seed, const char *status, const char *msg, double wall,
                          int json, const char *trace_path, uint64_t rows, const char *workload,
                          const char *dtype_note, int generation)
{
    double evs = wall > 0 ? (double)sim_events_handled(s) / wall : 0;
    size_t n = sim_comp_count(s);
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += sim_energy_pj(sim_comp_at(s, i));
    if (json) {
        printf("{\"status\":");
        out_json_string(stdout, status);
        printf(",\"message\":");
        if (msg)
            out_json_string(stdout, msg);
        else
            printf("null");
        if (workload) {
            printf(",\"workload\":");
            out_json_string(stdout, workload);
            printf(",\"dtype\":");
            char dt[32];
            snprintf(dt, sizeof dt, "%.*s", (int)strcspn(dtype_note, ":"), dtype_note);
            out_json_string(stdout, dt);
        }
        printf(",\"seed\":%llu,\"end_time_ps\":%llu,\"events\":%llu", (unsigned long long)seed,
               (unsigned long long)sim_end_ps(s), (unsigned long long)sim_events_handled(s));
        json_real("wall_s", wall, 1);
        json_real("events_per_s", evs, 1);
        json_real("energy_pj", total, 1);
        printf(",\"trace\":");
        if (trace_path) {
            out_json_string(stdout, trace_path);
            printf(",\"trace_rows\":%llu", (unsigned long long)rows);
        } else
            printf("null");
        printf(",\"components\":[");
        for (size_t i = 0; i < n; i++) {
            sim_comp_t *c = sim_comp_at(s, i);
            printf("%s{\"name\":", i ? "," : "");
            out_json_string(stdout, sim_comp_name(c));
            printf(",\"model\":");
            out_json_string(stdout, sim_comp_model(c));
            printf(",\"busy_ps\":%llu", (unsigned long long)sim_busy_ps(c));
            json_real("utilization",
                      sim_end_ps(s) ? (double)sim_busy_ps(c) / (double)sim_end_ps(s) : 0, 1);
            json_real("energy_pj", sim_energy_pj(c), 1);
            printf(",\"events\":%llu}", (unsigned long long)sim_comp_events(c));
        }
        printf("]");
        if (generation) /* a generation's figures (cli/run_generate.c) */
            cli_generation_json(s);
        printf("}\n");
        return;
    }
    char h[64], hw[32];
    /* a failure's message went to stderr already: once is enough */
    int said = msg && !strcmp(status, "failed");
    printf("status       %s%s%s\n", status, msg && !said ? ": " : "",
           msg && !said ? msg
           : said       ? " (the error is above)"
                        : "");
    out_human_ps(h, sizeof h, (double)sim_end_ps(s));
    printf("end time     %llu ps (%s)\n", (unsigned long long)sim_end_ps(s), h);
    out_human_s(hw, sizeof hw, wall);
    printf("events       %llu in %s wall (%.3g M events/s)\n",
           (unsigned long long)sim_events_handled(s), hw, evs / 1e6);
    printf("seed         %llu\n", (unsigned long long)seed);
    if (workload)
        printf("workload     %s (%s)\n", workload, dtype_note);
    if (trace_path)
        printf("trace        %s (%llu rows)\n", trace_path, (unsigned long long)rows);
    out_human_pj(h, sizeof h, total);
    printf("energy       %.1f pJ (%s) over %zu components\n\n", total, h, n);
    out_t *o = out_create(stdout, OUT_TABLE, 20);
    if (!o)
        return;
    const char *cols[] = {"name", "model", "busy_ps", "util_%", "energy_pj", "events"};
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
        out_column(o, cols[i]);
    for (size_t i = 0; i < n; i++) {
        sim_comp_t *c = sim_comp_at(s, i);
        out_text(o, sim_comp_name(c));
        out_text(o, sim_comp_model(c));
        out_int(o, (long long)sim_busy_ps(c));
        out_fixed(o, sim_end_ps(s) ? 100.0 * (double)sim_busy_ps(c) / (double)sim_end_ps(s) : 0, 1);
        out_fixed(o, sim_energy_pj(c), 1);
        out_int(o, (long long)sim_comp_events(c));
    }
    out_finish(o);
    if (n > 20)
        printf("(prism report DB lists every component)\n");
}

/* The run's summary and, for a distributed run, what the ranks cost. */
static void print_run(run_t *r, const run_opts_t *ro, int json)
{
    sim_t *s = run_sim(r);
    print_summary(s, sim_seed(s), run_status_name(run_status(r)), run_message(r), run_wall_s(r),
                  json, ro->trace_path, run_trace_rows(r), ro->workload, run_dtype_note(r),
                  ro->generate > 0 && run_status(r) == RUN_COMPLETE);
    if (run_nranks(r) > 1 && !json) {
        sim_dist_stats_t st;
        sim_dist_get_stats(s, &st);
        printf("\nranks       %d, %llu windows, %.2f cross-rank messages per window; slowest rank: "
               "%.3f s handling events, %.3f s exchanging, %.3f s in the reduction\n",
               run_nranks(r), (unsigned long long)st.windows,
               st.windows ? (double)st.messages_sent / (double)st.windows : 0.0, st.run_s,
               st.exchange_s, st.reduce_s);
    }
}

/* The options that depend on each other or on the files, in the order the
 * checks always ran. 2 when the input is bad. */
static int check_io(const run_opts_t *ro, int rank, int dist, int force)
{
    const trace_opts_t *to = &ro->trace;
    if (dist && ro->schedule_out) {
        if (rank == 0)
            fprintf(stderr, "prism run: --schedule-out is not supported in a distributed run "
                            "(the driver's schedule lives on one rank)\n");
        return 2;
    }
    if (dist && to->filter && strstr(to->filter, "sample=")) {
        if (rank == 0)
            fprintf(stderr, "prism run: --trace-filter sample= keeps every Nth row in handling "
                            "order, which a distributed run does not have; drop it or run on "
                            "one rank\n");
        return 2;
    }
    if (!dist && (ro->partition_file || ro->sync != SIM_SYNC_REDUCE) && rank == 0)
        fprintf(stderr, "prism run: note: --partition and --sync apply to mpirun runs only\n");
    if (ro->schedule_out && !ro->workload && !ro->schedule_in)
        return cli_usage_error("run", "--schedule-out needs --workload or --schedule");
    if (ro->workload && ro->schedule_in)
        return cli_usage_error("run", "give --workload (map it naively) or --schedule (a mapped "
                                      "schedule), not both");
    /* an output must not overwrite an input */
    const char *inputs[] = {ro->config, ro->schedule_in, ro->workload};
    const char *in_names[] = {"the config", "the --schedule input", "the --workload file"};
    const char *outputs[] = {ro->schedule_out, ro->trace_path};
    const char *out_names[] = {"--schedule-out", "--trace"};
    for (int oi = 0; oi < 2; oi++)
        for (int ii = 0; ii < 3; ii++)
            if (outputs[oi] && inputs[ii] && cli_same_file(outputs[oi], inputs[ii])) {
                fprintf(stderr, "prism run: %s '%s' names %s: refusing to overwrite an input\n",
                        out_names[oi], outputs[oi], in_names[ii]);
                return 2;
            }
    if (ro->schedule_out && ro->trace_path && cli_same_file(ro->schedule_out, ro->trace_path)) {
        fprintf(stderr, "prism run: --schedule-out and --trace name the same file '%s'\n",
                ro->schedule_out);
        return 2;
    }
    if (ro->trace_path && !force && access(ro->trace_path, F_OK) == 0) {
        if (rank == 0)
            fprintf(stderr,
                    "prism run: %s exists; --force replaces it (or give another --trace DB)\n",
                    ro->trace_path);
        return 2;
    }
    return 0;
}

/* Ranks, checks, load, trace, loop: 0 when the run ran (run_end next),
 * else the exit status. */
static int run_checked(run_t *r, const run_opts_t *ro, int force)
{
    if (run_ranks(r))
        return 2;
    int rank = run_rank(r), dist = run_nranks(r) > 1;
    if (check_io(ro, rank, dist, force) || run_load(r))
        return 2;
    if (ro->trace_path) {
        if (run_trace_begin(r))
            return 2;
    } else if (ro->trace.filter || ro->trace.messages) {
        fprintf(stderr, "prism run: --trace-filter and --trace-messages need --trace DB\n");
        return 2;
    }
    run_exec(r);
    if (rank == 0 && ro->progress)
        fprintf(stderr, "\n");
    return 0;
}

typedef struct run_flags {
    int progress, json, force, help;
    const char *requests, *batching; /* a request stream (cli/run_serve.c) */
    long max_batch;
} run_flags_t;

/* The options into *ro and *f; 0, or the exit status (help: f->help). */
static int parse_opts(int argc, char **argv, cli_sets_t *sets, run_opts_t *ro, run_flags_t *f)
{
    static const struct option opts[] = {{"trace", required_argument, NULL, 't'},
                                         {"trace-filter", required_argument, NULL, 'f'},
                                         {"trace-messages", no_argument, NULL, 'm'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"until", required_argument, NULL, 'u'},
                                         {"wall-limit", required_argument, NULL, 'w'},
                                         {"progress", no_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"workload", required_argument, NULL, 'W'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"trace-index", no_argument, NULL, 'i'},
                                         {"seq", required_argument, NULL, 'S'},
                                         {"batch", required_argument, NULL, 'B'},
                                         {"phase", required_argument, NULL, 'P'},
                                         {"kv-len", required_argument, NULL, 'K'},
                                         {"dtype", required_argument, NULL, 'D'},
                                         {"schedule-out", required_argument, NULL, 'O'},
                                         {"schedule", required_argument, NULL, 'R'},
                                         {"set", required_argument, NULL, 'X'},
                                         {"force", no_argument, NULL, 'F'},
                                         {"ranks", required_argument, NULL, 'N'},
                                         {"partition", required_argument, NULL, 'Q'},
                                         {"pilot-events", required_argument, NULL, 'E'},
                                         {"sync", required_argument, NULL, 'Y'},
                                         {"peer-timeout", required_argument, NULL, 'T'},
                                         {"prompt", required_argument, NULL, 'S'},
                                         {"generate", required_argument, NULL, 'g'},
                                         {"requests", required_argument, NULL, 'q'},
                                         {"batching", required_argument, NULL, 'b'},
                                         {"max-batch", required_argument, NULL, 'M'},
                                         {NULL, 0, NULL, 0}};
    sim_config_over_t *over = &ro->over;
    optind = 1;
    opterr = 0;
    int o;
    char err[2048];
    while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (o) {
        case 'X':
            if (cli_sets_add(sets, optarg, err, sizeof err))
                return cli_usage_error("run", "%s", err);
            break;
        case 'F': f->force = 1; break;
        case 't': ro->trace_path = optarg; break;
        case 'f': ro->trace.filter = optarg; break;
        case 'm': ro->trace.messages = 1; break;
        case 's': {
            if (sim_parse_uint(optarg, &over->seed)) /* decimal, like the config's seed */
                return cli_usage_error("run", "--seed '%s' is not a non-negative decimal integer",
                                       optarg);
            over->seed_set = 1;
            break;
        }
        case 'u': {
            unsigned long long ps = 0;
            if (strcmp(optarg, "none") && cli_parse_time("run", "--until", optarg, &ps))
                return 2;
            if (strcmp(optarg, "none") && ps == 0) {
                fprintf(stderr,
                        "prism run: --until '%s' is 0: a run must end after time 0 "
                        "(--until none: no limit)\n",
                        optarg);
                return 2;
            }
            over->until_ps = ps;
            over->until_set = 1;
            break;
        }
        case 'w': {
            char *end;
            ro->wall_limit = strtod(optarg, &end);
            if (*end || !(ro->wall_limit > 0))
                return cli_usage_error(
                    "run", "--wall-limit '%s' is not a positive number of seconds", optarg);
            break;
        }
        case 'T': {
            char *end;
            ro->peer_timeout = strtod(optarg, &end);
            if (*end || !(ro->peer_timeout > 0))
                return cli_usage_error(
                    "run", "--peer-timeout '%s' is not a positive number of seconds", optarg);
            break;
        }
        case 'p': f->progress = 1; break;
        case 'i': ro->trace.index = 1; break;
        case 'j': f->json = 1; break;
        case 'W': ro->workload = optarg; break;
        case 'g':
            if (cli_parse_generate(optarg, &ro->generate))
                return 2;
            break;
        case 'q': f->requests = optarg; break;
        case 'b': f->batching = optarg; break;
        case 'M': {
            char *end;
            f->max_batch = strtol(optarg, &end, 10);
            if (*end || f->max_batch < 1 || f->max_batch > 4096)
                return cli_usage_error("run", "--max-batch '%s' is not a count in 1..4096", optarg);
            break;
        }
        case 'O': ro->schedule_out = optarg; break;
        case 'R': ro->schedule_in = optarg; break;
        case 'S':
        case 'B':
        case 'K':
        case 'P':
        case 'D':
            if (cli_workload_opt("run", o, optarg, &ro->wopts, &ro->dtype_given))
                return 2;
            break;
        case 'N': {
            char *end;
            ro->want_ranks = strtol(optarg, &end, 10);
            if (*end || ro->want_ranks < 1 || ro->want_ranks > 65536) {
                fprintf(stderr, "prism run: --ranks '%s' is not a count in 1..65536\n", optarg);
                return 2;
            }
            break;
        }
        case 'Q': ro->partition_file = optarg; break;
        case 'E': {
            char *end;
            ro->pilot_events = strtoull(optarg, &end, 10);
            if (*end || *optarg == '-') {
                fprintf(stderr, "prism run: --pilot-events '%s' is not a count\n", optarg);
                return 2;
            }
            break;
        }
        case 'Y':
            if (!strcmp(optarg, "reduce"))
                ro->sync = SIM_SYNC_REDUCE;
            else if (!strcmp(optarg, "null"))
                ro->sync = SIM_SYNC_NULL;
            else {
                fprintf(stderr, "prism run: --sync '%s' is not reduce or null\n", optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); f->help = 1; return 0;
        default: return cli_bad_option("run", o, argv);
        }
    }
    return 0;
}

/* `sets` is freed by the caller on every path */
static int run_main(int argc, char **argv, cli_sets_t *sets)
{
    run_opts_t ro;
    run_opts_default(&ro);
    sim_config_over_t *over = &ro.over;
    run_flags_t fl = {.max_batch = 8};
    int prc = parse_opts(argc, argv, sets, &ro, &fl);
    if (prc || fl.help)
        return prc;
    int progress = fl.progress, json = fl.json, force = fl.force;
    if (optind != argc - 1) {
        if (optind >= argc)
            return cli_usage_error("run", "needs a config file (prism run CONFIG.yaml)");
        return cli_usage_error("run", "one config at a time (extra argument '%s')",
                               argv[optind + 1]);
    }
    const char *set_kv[64];
    char set_buf[8192];
    for (size_t i = 0; i < sets->n; i++)
        if (sets->keys[i].nvals != 1) {
            cli_usage_error(
                "run", "--set %s: %zu values given; prism run takes one (prism sweep takes lists)",
                sets->keys[i].key, sets->keys[i].nvals);
            return 2;
        }
    if (sets->n > 64 || cli_sets_point(sets, 0, set_kv, set_buf, sizeof set_buf)) {
        return cli_usage_error("run", "too many or too long --set values");
    }
    over->set = set_kv;
    over->nset = sets->n;
    ro.config = argv[optind];
    if (fl.requests && (!ro.workload || ro.trace_path || ro.schedule_in || ro.schedule_out))
        return cli_usage_error("run", "--requests needs --workload, and writes no trace or "
                                      "schedule file");
    if (fl.requests) /* many cycle-level runs, one per iteration shape (cli/run_serve.c) */
        return cli_serve(ro.config, over, ro.workload, &ro.wopts, ro.dtype_given, fl.requests,
                         fl.batching, (int)fl.max_batch, ro.generate, json);
    if (ro.generate && (!ro.workload || ro.want_ranks > 1))
        return cli_usage_error("run", "--generate needs --workload and one rank");
    ro.signals = 1;
    ro.say = say_run;
    /* the bar: on a terminal, or when asked; rank 0 only (on_progress) */
    if (progress || isatty(2))
        ro.progress = on_progress;
    char *args = ro.trace_path ? cli_join_argv(argc, argv) : NULL;
    ro.args = args;
    run_t *r = run_create(&ro);
    if (!r) {
        free(args);
        fprintf(stderr, "prism run: out of memory\n");
        return 1;
    }
    int rc = run_checked(r, &ro, force);
    if (!rc) {
        rc = run_end(r);
        /* a generation's figures and its steps' table (cli/run_generate.c) */
        if (ro.generate && run_rank(r) == 0 && run_status(r) == RUN_COMPLETE &&
            cli_generation_after(run_sim(r), ro.trace_path, json) && !rc)
            rc = 1;
        if (run_rank(r) == 0)
            print_run(r, &ro, json);
    }
    run_destroy(r);
    free(args);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    run_signals_early();
    cli_sets_t sets = {0};
    int rc = run_main(argc, argv, &sets);
    cli_sets_free(&sets);
    return rc;
}
