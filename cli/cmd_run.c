/* `prism run`: build a simulation from a config, drive it from a libev loop
 * in slices (progress bar, SIGINT/SIGTERM, wall-clock limit), write the trace
 * and print a summary. Exit: 0 complete, 130 interrupted, 1 model failure,
 * 2 bad input. */
#include "cli/cli.h"
#include "mapper/map.h"
#include "sim/sim.h"
#include "sim/trace.h"

#include <ev.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SLICE_EVENTS 65536

typedef struct run {
    sim_t *sim;
    struct ev_loop *loop;
    ev_idle slice;
    ev_timer progress, wall;
    ev_signal sigint, sigterm;
    sim_time_t until;
    int failed, interrupted;
    const char *why;
    double t0;
    int progress_on;
} run_t;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void stop_loop(run_t *r)
{
    ev_idle_stop(r->loop, &r->slice);
    ev_timer_stop(r->loop, &r->progress);
    ev_timer_stop(r->loop, &r->wall);
    ev_signal_stop(r->loop, &r->sigint);
    ev_signal_stop(r->loop, &r->sigterm);
    ev_break(r->loop, EVBREAK_ALL);
}

static void on_slice(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)loop;
    (void)revents;
    run_t *r = w->data;
    if (sim_run(r->sim, r->until, SLICE_EVENTS)) {
        r->failed = 1;
        stop_loop(r);
    } else if (sim_done(r->sim) || sim_now(r->sim) >= r->until) {
        stop_loop(r);
    }
}

static void on_progress(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    run_t *r = w->data;
    double el = wall_now() - r->t0;
    double rate = el > 0 ? (double)sim_events_handled(r->sim) / el : 0;
    char now[32];
    sim_fmt_time(sim_now(r->sim), now, sizeof now);
    if (r->until != SIM_TIME_MAX && r->until > 0) {
        double frac = (double)sim_now(r->sim) / (double)r->until;
        int bar = (int)(frac * 30);
        char b[31];
        for (int i = 0; i < 30; i++)
            b[i] = i < bar ? '#' : '.';
        b[30] = '\0';
        double eta = frac > 0 ? el * (1 - frac) / frac : 0;
        fprintf(stderr, "\r[%s] %5.1f%%  sim %s  %.2f Mev/s  ETA %.0f s   ", b, frac * 100, now,
                rate / 1e6, eta);
    } else {
        fprintf(stderr, "\rsim %s  %llu events  %.2f Mev/s   ", now,
                (unsigned long long)sim_events_handled(r->sim), rate / 1e6);
    }
    fflush(stderr);
}

static void on_wall(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    run_t *r = w->data;
    r->interrupted = 1;
    r->why = "wall-clock limit reached";
    stop_loop(r);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    run_t *r = w->data;
    r->interrupted = 1;
    r->why = w->signum == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM";
    stop_loop(r);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: prism run CONFIG.yaml [options]\n\n"
            "Runs the simulation the config describes (docs/config.md) and prints a summary.\n\n"
            "  --trace DB            write every activity to an SQLite trace (docs/trace.md)\n"
            "  --trace-filter SPEC   keep only some rows: component=GLOB|GLOB,op=GLOB,\n"
            "                        kind=activity|message,from=TIME,to=TIME,sample=N\n"
            "  --trace-messages      also record every message delivered over a link\n"
            "  --trace-index         index the events table at the end (faster queries)\n"
            "  --workload SPEC       run a model on the chip: a built-in (gpt2, bert-base,\n"
            "                        resnet18, llama2-7b, ...; prism workload list) or a .onnx\n"
            "                        file, mapped op by op onto the config's schedule_driver\n"
            "  --seq N --batch N --phase prefill|decode --kv-len N --dtype f32|f16|bf16|i8\n"
            "                        shape of the workload (defaults: the model's)\n"
            "  --schedule FILE       run this schedule (JSON from prism map or --schedule-out)\n"
            "                        on the config's schedule_driver\n"
            "  --schedule-out FILE   write the executed schedule (with measured times) as JSON\n"
            "  --seed N              random seed (replaces the config's)\n"
            "  --until TIME          stop simulated time at TIME (e.g. 100us)\n"
            "  --wall-limit SECONDS  stop after this much wall time (status interrupted)\n"
            "  --progress            draw the progress bar even when stderr is not a terminal\n"
            "  --json                print the summary as JSON\n"
            "  --help                this text\n\n"
            "Exit status: 0 complete, 130 interrupted (SIGINT, SIGTERM, wall limit),\n"
            "1 a model failed during the run, 2 bad input.\n");
}

int cli_same_file(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return strcmp(a, b) == 0;
}

static char *join_argv(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len + 6);
    if (!s)
        return NULL;
    strcpy(s, "prism");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static void print_summary(sim_t *s, const char *status, const char *msg, double wall, int json,
                          const char *trace_path, uint64_t rows)
{
    double evs = wall > 0 ? (double)sim_events_handled(s) / wall : 0;
    if (json) {
        printf("{\"status\":\"%s\",\"end_time_ps\":%llu,\"events\":%llu,\"wall_s\":%.6f,"
               "\"events_per_s\":%.1f,\"trace\":",
               status, (unsigned long long)sim_end_ps(s), (unsigned long long)sim_events_handled(s),
               wall, evs);
        if (trace_path)
            printf("\"%s\",\"trace_rows\":%llu", trace_path, (unsigned long long)rows);
        else
            printf("null");
        printf(",\"components\":[");
        for (size_t i = 0; i < sim_comp_count(s); i++) {
            sim_comp_t *c = sim_comp_at(s, i);
            printf("%s{\"name\":\"%s\",\"model\":\"%s\",\"busy_ps\":%llu,\"energy_pj\":%.6g,"
                   "\"events\":%llu}",
                   i ? "," : "", sim_comp_name(c), sim_comp_model(c),
                   (unsigned long long)sim_busy_ps(c), sim_energy_pj(c),
                   (unsigned long long)sim_comp_events(c));
        }
        printf("]}\n");
        return;
    }
    char t[32];
    printf("status      %s%s%s\n", status, msg ? ": " : "", msg ? msg : "");
    printf("end time    %s (%llu ps)\n", sim_fmt_time(sim_end_ps(s), t, sizeof t),
           (unsigned long long)sim_end_ps(s));
    printf("events      %llu in %.3f s wall (%.2f M events/s)\n",
           (unsigned long long)sim_events_handled(s), wall, evs / 1e6);
    if (trace_path)
        printf("trace       %s (%llu rows)\n", trace_path, (unsigned long long)rows);
    size_t n = sim_comp_count(s);
    size_t shown = n > 20 ? 20 : n;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += sim_energy_pj(sim_comp_at(s, i));
    printf("energy      %.6g pJ total\n\n", total);
    printf("%-20s %-14s %12s %8s %14s %10s\n", "component", "model", "busy_ps", "util%", "energy_pj",
           "events");
    for (size_t i = 0; i < shown; i++) {
        sim_comp_t *c = sim_comp_at(s, i);
        double util = sim_end_ps(s) ? 100.0 * (double)sim_busy_ps(c) / (double)sim_end_ps(s) : 0;
        printf("%-20s %-14s %12llu %8.2f %14.6g %10llu\n", sim_comp_name(c), sim_comp_model(c),
               (unsigned long long)sim_busy_ps(c), util, sim_energy_pj(c),
               (unsigned long long)sim_comp_events(c));
    }
    if (shown < n)
        printf("... %zu more components (prism report DB shows all)\n", n - shown);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"trace", required_argument, NULL, 't'},   {"trace-filter", required_argument, NULL, 'f'},
        {"trace-messages", no_argument, NULL, 'm'}, {"seed", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},   {"wall-limit", required_argument, NULL, 'w'},
        {"progress", no_argument, NULL, 'p'},      {"json", no_argument, NULL, 'j'},
        {"workload", required_argument, NULL, 'W'}, {"help", no_argument, NULL, 'h'},
        {"trace-index", no_argument, NULL, 'i'},   {"seq", required_argument, NULL, 'S'},
        {"batch", required_argument, NULL, 'B'},   {"phase", required_argument, NULL, 'P'},
        {"kv-len", required_argument, NULL, 'K'},  {"dtype", required_argument, NULL, 'D'},
        {"schedule-out", required_argument, NULL, 'O'},
        {"schedule", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0}};
    const char *trace_path = NULL, *filter = NULL, *workload = NULL, *schedule_out = NULL,
               *schedule_in = NULL;
    wl_gen_opts_t wopts;
    wl_gen_opts_default(&wopts);
    int messages = 0, progress = 0, json = 0, index = 0;
    sim_config_over_t over = {0};
    double wall_limit = 0;
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 't': trace_path = optarg; break;
        case 'f': filter = optarg; break;
        case 'm': messages = 1; break;
        case 's': {
            char *end;
            over.seed = strtoull(optarg, &end, 0);
            if (*end || *optarg == '-') {
                fprintf(stderr, "prism run: --seed '%s' is not a non-negative integer\n", optarg);
                return 2;
            }
            over.seed_set = 1;
            break;
        }
        case 'u':
            if (sim_parse_time(optarg, &over.until_ps)) {
                fprintf(stderr, "prism run: --until '%s' is not a time (e.g. 100us)\n", optarg);
                return 2;
            }
            over.until_set = 1;
            break;
        case 'w': {
            char *end;
            wall_limit = strtod(optarg, &end);
            if (*end || !(wall_limit > 0)) {
                fprintf(stderr, "prism run: --wall-limit '%s' is not a positive number of seconds\n",
                        optarg);
                return 2;
            }
            break;
        }
        case 'p': progress = 1; break;
        case 'i': index = 1; break;
        case 'j': json = 1; break;
        case 'W': workload = optarg; break;
        case 'O': schedule_out = optarg; break;
        case 'R': schedule_in = optarg; break;
        case 'S':
        case 'B':
        case 'K': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < (o == 'K' ? 0 : 1) || v > 1000000) {
                fprintf(stderr, "prism run: --%s '%s' is not a valid count\n",
                        o == 'S' ? "seq" : o == 'B' ? "batch" : "kv-len", optarg);
                return 2;
            }
            if (o == 'S')
                wopts.seq = (int)v;
            else if (o == 'B')
                wopts.batch = (int)v;
            else
                wopts.kv_len = (int)v;
            break;
        }
        case 'P':
            if (!strcmp(optarg, "prefill"))
                wopts.phase = WL_PHASE_PREFILL;
            else if (!strcmp(optarg, "decode"))
                wopts.phase = WL_PHASE_DECODE;
            else {
                fprintf(stderr, "prism run: --phase '%s' is not prefill or decode\n", optarg);
                return 2;
            }
            break;
        case 'D':
            if (wl_dtype_parse(optarg, &wopts.dtype) || wl_dtype_size(wopts.dtype) == 0) {
                fprintf(stderr, "prism run: --dtype '%s' is not f32, f16, bf16 or i8\n", optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    const char *config = argv[optind];
    if (schedule_out && !workload && !schedule_in) {
        fprintf(stderr, "prism run: --schedule-out needs --workload or --schedule\n");
        return 2;
    }
    if (workload && schedule_in) {
        fprintf(stderr, "prism run: give --workload (map it naively) or --schedule (a mapped "
                        "schedule), not both\n");
        return 2;
    }
    /* an output must not overwrite an input */
    const char *inputs[] = {config, schedule_in, workload};
    const char *in_names[] = {"the config", "the --schedule input", "the --workload file"};
    const char *outputs[] = {schedule_out, trace_path};
    const char *out_names[] = {"--schedule-out", "--trace"};
    for (int oi = 0; oi < 2; oi++)
        for (int ii = 0; ii < 3; ii++)
            if (outputs[oi] && inputs[ii] && cli_same_file(outputs[oi], inputs[ii])) {
                fprintf(stderr, "prism run: %s '%s' names %s: refusing to overwrite an input\n",
                        out_names[oi], outputs[oi], in_names[ii]);
                return 2;
            }
    if (schedule_out && trace_path && cli_same_file(schedule_out, trace_path)) {
        fprintf(stderr, "prism run: --schedule-out and --trace name the same file '%s'\n",
                schedule_out);
        return 2;
    }
    char err[2048];
    char *text = NULL;
    sim_t *s = NULL;
    if (sim_config_load(config, &over, &s, &text, err, sizeof err)) {
        fprintf(stderr, "prism run: %s\n", err);
        return 2;
    }
    if (workload && map_workload_attach(s, workload, &wopts, err, sizeof err)) {
        fprintf(stderr, "prism run: %s\n", err);
        sim_destroy(s);
        free(text);
        return 2;
    }
    if (schedule_in && map_schedule_attach_file(s, schedule_in, err, sizeof err)) {
        fprintf(stderr, "prism run: %s\n", err);
        sim_destroy(s);
        free(text);
        return 2;
    }
    int rc = sim_init(s);
    if (rc) {
        fprintf(stderr, "prism run: %s\n", sim_errmsg(s));
        sim_destroy(s);
        free(text);
        return 2;
    }
    trace_t *t = NULL;
    if (trace_path) {
        trace_opts_t to = {.filter = filter, .messages = messages, .index = index};
        if (trace_open(&t, trace_path, &to, err, sizeof err)) {
            fprintf(stderr, "prism run: %s\n", err);
            sim_destroy(s);
            free(text);
            return 2;
        }
        char *args = join_argv(argc, argv);
        trace_run_info_t info = {config, text, workload ? workload : schedule_in, args};
        rc = trace_begin_run(t, s, &info);
        free(args);
        if (rc) {
            fprintf(stderr, "prism run: %s\n", trace_errmsg(t));
            trace_close(t);
            sim_destroy(s);
            free(text);
            return 2;
        }
    } else if (filter || messages) {
        fprintf(stderr, "prism run: --trace-filter and --trace-messages need --trace DB\n");
        sim_destroy(s);
        free(text);
        return 2;
    }

    run_t r = {.sim = s, .until = SIM_TIME_MAX};
    r.loop = ev_default_loop(EVFLAG_AUTO);
    r.progress_on = progress || isatty(2);
    ev_idle_init(&r.slice, on_slice);
    r.slice.data = &r;
    ev_idle_start(r.loop, &r.slice);
    ev_signal_init(&r.sigint, on_signal, SIGINT);
    r.sigint.data = &r;
    ev_signal_start(r.loop, &r.sigint);
    ev_signal_init(&r.sigterm, on_signal, SIGTERM);
    r.sigterm.data = &r;
    ev_signal_start(r.loop, &r.sigterm);
    if (r.progress_on) {
        ev_timer_init(&r.progress, on_progress, 0.25, 0.25);
        r.progress.data = &r;
        ev_timer_start(r.loop, &r.progress);
    }
    if (wall_limit > 0) {
        ev_timer_init(&r.wall, on_wall, wall_limit, 0);
        r.wall.data = &r;
        ev_timer_start(r.loop, &r.wall);
    }
    r.t0 = wall_now();
    ev_run(r.loop, 0);
    double wall = wall_now() - r.t0;
    if (r.progress_on) {
        on_progress(r.loop, &r.progress, 0);
        fprintf(stderr, "\n");
    }
    sim_finish(s);
    const char *status = r.failed ? "failed" : r.interrupted ? "interrupted" : "complete";
    const char *msg = r.failed ? sim_errmsg(s) : r.interrupted ? r.why : NULL;
    int exit_code = r.failed ? 1 : r.interrupted ? 130 : 0;
    uint64_t rows = 0;
    if (t) {
        if (trace_end_run(t, s, status, msg, wall)) {
            fprintf(stderr, "prism run: %s\n", trace_errmsg(t));
            if (!exit_code)
                exit_code = 1;
        }
        rows = trace_rows(t);
        trace_close(t);
    }
    if (r.failed)
        fprintf(stderr, "prism run: %s\n", sim_errmsg(s));
    if (trace_path && (workload || schedule_in)) {
        const char *driver = NULL;
        map_schedule_t *ms = NULL;
        if (!map_find_driver(s, &driver, err, sizeof err))
            ms = map_attached(s, driver);
        if (ms && cli_trace_schedule(trace_path, ms, err, sizeof err)) {
            fprintf(stderr, "prism run: %s\n", err);
            if (!exit_code)
                exit_code = 1;
        }
    }
    if (schedule_out) {
        const char *driver = NULL;
        if (map_find_driver(s, &driver, err, sizeof err) ||
            map_schedule_write_json(map_attached(s, driver), schedule_out, err, sizeof err)) {
            fprintf(stderr, "prism run: %s\n", err);
            if (!exit_code)
                exit_code = 1;
        }
    }
    print_summary(s, status, msg, wall, json, trace_path, rows);
    sim_destroy(s);
    free(text);
    return exit_code;
}
