/* `prism run`: build a simulation from a config, drive it from a libev loop
 * in slices (progress bar, SIGINT/SIGTERM, wall-clock limit), write the trace
 * and print a summary. Exit: 0 complete, 130 interrupted, 1 model failure,
 * 2 bad input. */
#include "cli/cli.h"
#include "cli/defaults.h"
#include "cli/out.h"
#include "cli/set.h"
#include "mapper/map.h"
#include "sim/dist.h"
#include "sim/sim.h"
#include "sim/trace.h"

#include <ev.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
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
    const map_exec_t *sched; /* a workload's schedule: progress in ops done */
    int dist;                /* a distributed run: stop only when every rank agrees */
    int stop_req;            /* this rank wants to stop (signal, wall limit) */
} run_t;

static int mpi_started; /* MPI_Init ran: finalize before exit */
static int dist_lead; /* this rank reports the exit status: rank 0, or after a fault the lead */

/* A signal before the loop watches for it (while the config loads, the
 * trace opens, ranks agree) is kept here and handled when the loop starts,
 * so the trace still says interrupted. A distributed run keeps this handler
 * throughout: a rank waiting for its peers sees the signal (sim/mpi.c). */
static volatile sig_atomic_t early_signum;
static void on_early_signal(int signum)
{
    early_signum = signum;
    sim_dist_note_signal(signum);
}

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
    if (r->dist) {
        int done, stopped;
        if (early_signum && !r->stop_req) {
            r->why = early_signum == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM";
            r->stop_req = 1;
        }
        if (sim_dist_run(r->sim, SLICE_EVENTS, r->stop_req, &done, &stopped)) {
            r->failed = 1;
            stop_loop(r);
        } else if (stopped) {
            r->interrupted = 1;
            if (!r->why && early_signum) /* seen while waiting for the other ranks */
                r->why =
                    early_signum == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM";
            if (!r->why)
                r->why = "interrupted (a signal or the wall limit on another rank)";
            stop_loop(r);
        } else if (done) {
            stop_loop(r);
        }
        return;
    }
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
    size_t ops_done = 0;
    if (r->sched && r->sched->n_entries)
        for (size_t i = 0; i < r->sched->n_entries; i++)
            ops_done += r->sched->entries[i].res.done != 0;
    int by_ops = r->sched && r->sched->n_entries && (r->until == SIM_TIME_MAX || r->until == 0);
    if (by_ops || (r->until != SIM_TIME_MAX && r->until > 0)) {
        /* the end is known: the run's end time, or the schedule's last op */
        double frac = by_ops ? (double)ops_done / (double)r->sched->n_entries
                             : (double)sim_now(r->sim) / (double)r->until;
        int bar = (int)(frac * 30);
        char b[31];
        for (int i = 0; i < 30; i++)
            b[i] = i < bar ? '#' : '.';
        b[30] = '\0';
        double eta = frac > 0 ? el * (1 - frac) / frac : 0;
        if (by_ops)
            fprintf(stderr, "\r[%s] %5.1f%%  %zu/%zu ops  sim %s  ETA %.0f s   ", b, frac * 100,
                    ops_done, r->sched->n_entries, now, eta);
        else
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
    r->why = "wall-clock limit reached";
    if (r->dist) {
        r->stop_req = 1; /* every rank stops after the same window */
        return;
    }
    r->interrupted = 1;
    stop_loop(r);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    run_t *r = w->data;
    r->why = w->signum == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM";
    if (r->dist) {
        r->stop_req = 1;
        return;
    }
    r->interrupted = 1;
    stop_loop(r);
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
            "  --schedule FILE       run this schedule (JSON from prism map or --schedule-out)\n"
            "                        on the config's schedule_driver\n"
            "  --schedule-out FILE   write the executed schedule (with measured times) as JSON\n"
            "  --seed N              random seed (replaces the config's)\n"
            "  --until TIME          stop simulated time at TIME, with a unit (e.g. 100us;\n"
            "                        'none': no limit; 0 is refused)\n"
            "  --wall-limit SECONDS  stop after this much wall time (status interrupted)\n"
            "  --progress            draw the progress bar even when stderr is not a terminal\n"
            "  --json                print the summary as JSON\n"
            "Distributed runs (mpirun -np N prism run ...; docs/engine.md):\n"
            "  --ranks N             run on N ranks: starts mpirun -np N and waits for it\n"
            "                        (^C: exit 130, trace interrupted); under mpirun, checks\n"
            "                        that it started N ranks (fails without MPI)\n"
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
            "1 a model failed during the run (or a rank died), 2 bad usage or bad input.\n",
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
                          const char *dtype_note)
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
        printf("]}\n");
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

typedef struct build_ctx {
    const char *config;
    const sim_config_over_t *over;
    const char *workload;
    const wl_gen_opts_t *wopts;
    const char *schedule_in;
} build_ctx_t;

/* A second sim of the same run (the partitioner's pilot). */
static int build_again(void *ctx, sim_t **out, char *err, size_t n)
{
    build_ctx_t *b = ctx;
    if (sim_config_load(b->config, b->over, out, NULL, err, n))
        return 1;
    if ((b->workload && map_workload_attach(*out, b->workload, b->wopts, err, n)) ||
        (b->schedule_in && map_schedule_attach_file(*out, b->schedule_in, err, n))) {
        sim_destroy(*out);
        *out = NULL;
        return 1;
    }
    return 0;
}

/* Rank 0 places the components; every rank gets the placement. */
static int dist_place(sim_t *s, int rank, int nranks, const char *file, uint64_t pilot,
                      build_ctx_t *b, sim_sync_t sync)
{
    size_t n = sim_comp_count(s);
    /* message: [rc][lookahead][rank_of x n] */
    size_t len = 16 + 4 * n;
    unsigned char *msg = rank == 0 ? calloc(1, len) : NULL;
    char err[2048] = "out of memory";
    int rc = 0;
    if (rank == 0) {
        uint64_t *w = calloc(n + 1, sizeof *w);
        uint32_t *rank_of = calloc(n + 1, sizeof *rank_of);
        sim_partition_info_t info;
        rc = !msg || !w || !rank_of ||
             cli_place(s, nranks, file, pilot, build_again, b, rank_of, w, &info, err, sizeof err);
        if (rc)
            fprintf(stderr, "prism run: %s\n", err);
        else
            cli_warn_slowdown(stderr, &info, "prism run");
        if (msg) {
            uint64_t v[2] = {(uint64_t)rc, rc ? 0 : info.lookahead_ps};
            memcpy(msg, v, 16);
            if (!rc)
                memcpy(msg + 16, rank_of, 4 * n);
        }
        free(w);
        free(rank_of);
    }
    void *buf = msg;
    if (sim_dist_bcast(&buf, &len) || !buf || len < 16)
        return 2;
    uint64_t v[2];
    memcpy(v, buf, 16);
    rc = v[0] ? 2 : 0;
    if (!rc && len == 16 + 4 * n) {
        uint32_t *rank_of = malloc(4 * n + 4);
        if (rank_of)
            memcpy(rank_of, (unsigned char *)buf + 16, 4 * n);
        if (!rank_of || sim_dist_attach(s, rank_of, rank, nranks, v[1], sync)) {
            fprintf(stderr, "prism run: rank %d: %s\n", rank, sim_errmsg(s));
            rc = 2;
        }
        free(rank_of);
    }
    free(buf);
    return rc;
}

typedef struct rank_trace {
    trace_t *t;
    sim_t *s;
    int rc;
} rank_trace_t;

/* after finish, before the gather: flush this rank's rows into its file */
static void close_rank_trace(void *ctx)
{
    rank_trace_t *rt = ctx;
    if (!rt->t)
        return;
    if (trace_end_run(rt->t, rt->s, "complete", NULL, 0)) {
        fprintf(stderr, "prism run: %s\n", trace_errmsg(rt->t));
        rt->rc = 1;
    }
    trace_close(rt->t);
    rt->t = NULL;
}

/* Rank 0 of a distributed run, once the windows are over: the run row says
 * how the run ended before the slow end (rank files closed and merged), in
 * case mpirun kills this rank meanwhile (sim_dist_trace_mark). */
static void dist_mark_trace(const char *trace_path, const run_t *r, sim_t *s)
{
    char msg[1200], err[4400];
    int failed = r->failed || sim_dist_failed(s);
    snprintf(msg, sizeof msg, "%s (the lead rank stopped before the ranks' rows were merged)",
             failed           ? "a model failed or a rank is gone"
             : r->interrupted ? r->why
                              : "the run ended");
    if (sim_dist_trace_mark(trace_path, failed ? "failed" : "interrupted", msg, err, sizeof err))
        fprintf(stderr, "prism run: %s\n", err);
}

/* `sets` is freed by the caller on every path */
static int run_main(int argc, char **argv, cli_sets_t *sets)
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
                                         {NULL, 0, NULL, 0}};
    const char *partition_file = NULL;
    long want_ranks = 0;
    unsigned long long pilot_events = 100000;
    sim_sync_t sync = SIM_SYNC_REDUCE;
    const char *trace_path = NULL, *filter = NULL, *workload = NULL, *schedule_out = NULL,
               *schedule_in = NULL;
    wl_gen_opts_t wopts;
    wl_gen_opts_default(&wopts);
    int messages = 0, progress = 0, json = 0, index = 0, force = 0, dtype_given = 0;
    char dtype_note[160] = "";
    sim_config_over_t over = {0};
    double wall_limit = 0, peer_timeout = 30;
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
        case 'F': force = 1; break;
        case 't': trace_path = optarg; break;
        case 'f': filter = optarg; break;
        case 'm': messages = 1; break;
        case 's': {
            char *end;
            over.seed = strtoull(optarg, &end, 0);
            if (*end || *optarg == '-' || !*optarg)
                return cli_usage_error("run", "--seed '%s' is not a non-negative integer", optarg);
            over.seed_set = 1;
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
            over.until_ps = ps;
            over.until_set = 1;
            break;
        }
        case 'w': {
            char *end;
            wall_limit = strtod(optarg, &end);
            if (*end || !(wall_limit > 0))
                return cli_usage_error(
                    "run", "--wall-limit '%s' is not a positive number of seconds", optarg);
            break;
        }
        case 'T': {
            char *end;
            peer_timeout = strtod(optarg, &end);
            if (*end || !(peer_timeout > 0))
                return cli_usage_error(
                    "run", "--peer-timeout '%s' is not a positive number of seconds", optarg);
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
        case 'K':
        case 'P':
        case 'D':
            if (cli_workload_opt("run", o, optarg, &wopts, &dtype_given))
                return 2;
            break;
        case 'N': {
            char *end;
            want_ranks = strtol(optarg, &end, 10);
            if (*end || want_ranks < 1 || want_ranks > 65536) {
                fprintf(stderr, "prism run: --ranks '%s' is not a count in 1..65536\n", optarg);
                return 2;
            }
            break;
        }
        case 'Q': partition_file = optarg; break;
        case 'E': {
            char *end;
            pilot_events = strtoull(optarg, &end, 10);
            if (*end || *optarg == '-') {
                fprintf(stderr, "prism run: --pilot-events '%s' is not a count\n", optarg);
                return 2;
            }
            break;
        }
        case 'Y':
            if (!strcmp(optarg, "reduce"))
                sync = SIM_SYNC_REDUCE;
            else if (!strcmp(optarg, "null"))
                sync = SIM_SYNC_NULL;
            else {
                fprintf(stderr, "prism run: --sync '%s' is not reduce or null\n", optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: return cli_bad_option("run", o, argv);
        }
    }
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
    over.set = set_kv;
    over.nset = sets->n;
    /* ranks: from mpirun's environment; --ranks checks it */
    int rank = 0, nranks = 1, env_ranks = sim_dist_env_size();
    if (want_ranks > 1 || env_ranks > 1) {
        if (!sim_dist_built()) {
            fprintf(stderr,
                    "prism run: %ld ranks asked for, but this prism was built without MPI "
                    "(install Open MPI's mpicc and rebuild: make clean && make)\n",
                    want_ranks > 1 ? want_ranks : (long)env_ranks);
            return 2;
        }
        if (env_ranks <= 1) /* prism starts mpirun and waits for it */
            return cli_dist_launch((int)want_ranks, argc, argv);
        if (sim_dist_init(&rank, &nranks, err, sizeof err)) {
            fprintf(stderr, "prism run: %s\n", err);
            return 2;
        }
        mpi_started = 1;
        dist_lead = rank == 0;
        cli_dist_rank_started(rank);
        if (want_ranks && want_ranks != nranks) {
            if (rank == 0)
                fprintf(stderr, "prism run: --ranks %ld but mpirun started %d ranks\n", want_ranks,
                        nranks);
            return 2;
        }
    }
    int dist = nranks > 1;
    if (dist && schedule_out) {
        if (rank == 0)
            fprintf(stderr, "prism run: --schedule-out is not supported in a distributed run "
                            "(the driver's schedule lives on one rank)\n");
        return 2;
    }
    if (dist && filter && strstr(filter, "sample=")) {
        if (rank == 0)
            fprintf(stderr, "prism run: --trace-filter sample= keeps every Nth row in handling "
                            "order, which a distributed run does not have; drop it or run on "
                            "one rank\n");
        return 2;
    }
    if (!dist && (partition_file || sync != SIM_SYNC_REDUCE) && rank == 0)
        fprintf(stderr, "prism run: note: --partition and --sync apply to mpirun runs only\n");
    const char *config = argv[optind];
    if (schedule_out && !workload && !schedule_in) {
        return cli_usage_error("run", "--schedule-out needs --workload or --schedule");
    }
    if (workload && schedule_in) {
        return cli_usage_error("run", "give --workload (map it naively) or --schedule (a mapped "
                                      "schedule), not both");
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
    if (trace_path && !force && access(trace_path, F_OK) == 0) {
        if (rank == 0)
            fprintf(stderr,
                    "prism run: %s exists; --force replaces it (or give another --trace DB)\n",
                    trace_path);
        return 2;
    }
    char *text = NULL;
    sim_t *s = NULL;
    if (sim_config_load(config, &over, &s, &text, err, sizeof err)) {
        if (rank == 0)
            fprintf(stderr, "prism run: %s\n", err);
        return 2;
    }
    /* the workload computes in the chip's word size unless --dtype says otherwise */
    size_t wlen = workload ? strlen(workload) : 0;
    int onnx = wlen > 5 && !strcmp(workload + wlen - 5, ".onnx");
    if (workload && onnx)
        snprintf(dtype_note, sizeof dtype_note, "file: the ONNX file's dtypes");
    else if (workload && !dtype_given &&
             cli_chip_dtype(s, &wopts.dtype, dtype_note, sizeof dtype_note))
        dtype_note[0] = '\0';
    if (workload && dtype_given && !onnx)
        snprintf(dtype_note, sizeof dtype_note, "%s: --dtype", wl_dtype_name(wopts.dtype));
    else if (workload && !dtype_note[0])
        snprintf(dtype_note, sizeof dtype_note, "%s: the model's default",
                 wl_dtype_name(wopts.dtype));
    if (workload && map_workload_attach(s, workload, &wopts, err, sizeof err)) {
        if (rank == 0)
            fprintf(stderr, "prism run: %s\n", err);
        sim_destroy(s);
        free(text);
        return 2;
    }
    if (schedule_in && map_schedule_attach_file(s, schedule_in, err, sizeof err)) {
        if (rank == 0)
            fprintf(stderr, "prism run: %s\n", err);
        sim_destroy(s);
        free(text);
        return 2;
    }
    build_ctx_t bctx = {config, &over, workload, &wopts, schedule_in};
    if (dist && dist_place(s, rank, nranks, partition_file, pilot_events, &bctx, sync)) {
        sim_destroy(s);
        free(text);
        return cli_dist_setup_failed(NULL, NULL, NULL, NULL, rank, nranks);
    }
    if (dist)
        sim_dist_set_peer_timeout(s, peer_timeout);
    int rc = sim_init(s);
    if (rc) /* in a distributed run, the rank that owns the component says why */
        fprintf(stderr, "prism run: %s\n", sim_errmsg(s));
    if (dist)
        rc = sim_dist_agree_rc(rc);
    if (rc) {
        sim_destroy(s);
        free(text);
        return dist ? cli_dist_setup_failed(NULL, NULL, NULL, NULL, rank, nranks) : 2;
    }
    trace_t *t = NULL;
    rank_trace_t rt = {NULL, s, 0};
    if (trace_path) {
        trace_opts_t to = {.filter = filter, .messages = messages, .index = index};
        char *args = cli_join_argv(argc, argv);
        trace_run_info_t info = {config, text, workload ? workload : schedule_in, args};
        /* the run's database (rank 0), then each rank's file of rows */
        if (rank == 0 && trace_open(&t, trace_path, &to, err, sizeof err)) {
            fprintf(stderr, "prism run: %s\n", err);
            rc = 2;
        } else if (rank == 0 && trace_begin_run(t, s, &info)) {
            fprintf(stderr, "prism run: %s\n", trace_errmsg(t));
            rc = 2;
        }
        if (dist && !sim_dist_agree_rc(-rc)) {
            char rp[4200];
            sim_dist_trace_rank_path(rp, sizeof rp, trace_path, rank);
            to.index = 0;
            if (trace_open(&rt.t, rp, &to, err, sizeof err)) {
                fprintf(stderr, "prism run: %s\n", err);
                rc = 2;
            } else if (trace_begin_run(rt.t, s, &info)) {
                fprintf(stderr, "prism run: %s\n", trace_errmsg(rt.t));
                rc = 2;
            }
            rc = -sim_dist_agree_rc(-rc);
        } else if (dist) {
            rc = 2;
        }
        free(args);
        if (rc) {
            if (dist) /* no rank files left, the run row ended */
                rc = cli_dist_setup_failed(t, rt.t, s, trace_path, rank, nranks);
            else {
                trace_close(rt.t);
                trace_close(t);
                rc = 2;
            }
            sim_destroy(s);
            free(text);
            return rc;
        }
    } else if (filter || messages) {
        fprintf(stderr, "prism run: --trace-filter and --trace-messages need --trace DB\n");
        sim_destroy(s);
        free(text);
        return 2;
    }

    run_t r = {.sim = s, .until = sim_until_ps(s) ? sim_until_ps(s) : SIM_TIME_MAX};
    r.loop = ev_default_loop(EVFLAG_AUTO);
    r.dist = dist;
    r.progress_on = rank == 0 && (progress || isatty(2));
    if (!dist && (workload || schedule_in)) {
        const char *driver = NULL;
        if (!map_find_driver(s, &driver, err, sizeof err))
            r.sched = map_exec_attached(sim_comp_find(s, driver));
    }
    ev_idle_init(&r.slice, on_slice);
    r.slice.data = &r;
    ev_idle_start(r.loop, &r.slice);
    ev_signal_init(&r.sigint, on_signal, SIGINT);
    r.sigint.data = &r;
    ev_signal_init(&r.sigterm, on_signal, SIGTERM);
    r.sigterm.data = &r;
    if (!dist) { /* a distributed run keeps on_early_signal (on_slice reads it) */
        ev_signal_start(r.loop, &r.sigint);
        ev_signal_start(r.loop, &r.sigterm);
    }
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
    if (early_signum && !dist) { /* a signal came during setup */
        ev_signal early;
        ev_signal_init(&early, on_signal, early_signum);
        early.data = &r;
        on_signal(r.loop, &early, 0);
    }
    r.t0 = wall_now();
    ev_run(r.loop, 0);
    double wall = wall_now() - r.t0;
    if (r.progress_on) {
        on_progress(r.loop, &r.progress, 0);
        fprintf(stderr, "\n");
    }
    if (dist && rank == 0 && t)
        dist_mark_trace(trace_path, &r, s);
    if (dist) {
        /* agree the end, finish, flush the rank files, gather on rank 0; when
         * a rank is gone: finish here, flush, tell rank 0, which merges the
         * files of the ranks still there */
        int frc = sim_dist_finish(s, close_rank_trace, &rt);
        int fault = sim_dist_faulted(s);
        if (fault) {
            r.failed = 1;
            if (sim_dist_fault_end(s))
                fprintf(stderr, "prism run: rank %d: out of memory\n", rank);
        } else if (frc) {
            fprintf(stderr, "prism run: %s\n", sim_errmsg(s));
            r.failed = 1;
        }
        r.failed |= sim_dist_failed(s);
        if (rt.rc)
            r.failed = 1;
        if (rank != 0) {
            if (fault)
                fprintf(stderr, "prism run: %s\n", sim_errmsg(s));
            /* rank 0 is gone: this rank commits the run's database */
            dist_lead = fault && sim_dist_fault_lead(s);
            if (dist_lead)
                cli_dist_note(sim_errmsg(s));
            if (fault && sim_dist_fault_lead(s) && trace_path &&
                sim_dist_trace_commit_lead(s, trace_path, nranks, wall, err, sizeof err))
                fprintf(stderr, "prism run: %s\n", err);
            sim_destroy(s);
            free(text);
            return r.failed ? 1 : r.interrupted ? 130 : 0;
        }
        if (t) {
            int64_t merged = fault
                                 ? sim_dist_trace_merge_kept(s, trace_path, nranks, err, sizeof err)
                                 : sim_dist_trace_merge(s, trace_path, nranks, err, sizeof err);
            if (merged < 0) {
                fprintf(stderr, "prism run: %s\n", err);
                r.failed = 1;
            } else {
                trace_add_rows(t, (uint64_t)merged);
            }
        }
    } else {
        sim_finish(s);
    }
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
    if (dist && sim_dist_faulted(s))
        cli_dist_note(sim_errmsg(s));
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
    print_summary(s, sim_seed(s), status, msg, wall, json, trace_path, rows, workload, dtype_note);
    if (dist && !json) {
        sim_dist_stats_t st;
        sim_dist_get_stats(s, &st);
        printf("\nranks       %d, %llu windows, %.2f cross-rank messages per window (%.2f "
               "rank-to-rank); slowest rank: "
               "%.3f s handling events, %.3f s exchanging, %.3f s in the reduction\n",
               nranks, (unsigned long long)st.windows,
               st.windows ? (double)st.messages_sent / (double)st.windows : 0.0,
               st.windows ? (double)st.peer_messages / (double)st.windows : 0.0, st.run_s,
               st.exchange_s, st.reduce_s);
    }
    sim_destroy(s);
    free(text);
    return exit_code;
}

int cmd_run(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_early_signal;
    sigemptyset(&sa.sa_mask);
    early_signum = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cli_sets_t sets = {0};
    mpi_started = 0;
    dist_lead = 0;
    int rc = run_main(argc, argv, &sets);
    cli_sets_free(&sets);
    if (mpi_started) {
        rc = cli_dist_rank_exit(rc, dist_lead);
        sim_dist_finalize();
    }
    return rc;
}
