/* `prism sweep CONFIG --set KEY=V1,V2,... [--set ...]`: one run per point of
 * the cartesian product of the values (checked like `prism run --set`), a
 * table of the headline figures (end time, energy, per-component busy time
 * and energy) with one column per swept key, optional traces, a progress
 * bar over the points and a gnuplot picture. */
#include "cli/cli.h"
#include "cli/defaults.h"
#include "run/run.h"
#include "cli/out.h"
#include "cli/plot.h"
#include "cli/set.h"
#include "mapper/map.h"
#include "sim/sim.h"
#include "sim/trace.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SWEEP_MAX_POINTS 4096
#define SWEEP_MAX_KEYS 16

typedef struct comp_fig {
    char *name;
    double busy_ps, energy_pj;
} comp_fig_t;

typedef struct point {
    const char *status; /* complete | truncated | failed | error */
    char *message;
    uint64_t end_ps, events;
    double energy_pj, wall_s;
    comp_fig_t *comps;
    size_t ncomps;
    char *trace;
} point_t;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: prism sweep CONFIG.yaml --set KEY=V1,V2,... [--set KEY=...] [options]\n\n"
            "Runs CONFIG once per point of the cartesian product of the --set values (keys as\n"
            "in prism run --set: COMPONENT.PARAM, seed, until, clocks.NAME, links.latency,\n"
            "links[N|PORT].bandwidth; docs/config.md) and tabulates end time, energy and each\n"
            "component's busy time and energy, one column per swept key.\n\n"
            "  --workload SPEC       run a model on the chip (as prism run --workload)\n"
            "  --seq N --batch N --phase prefill|decode --kv-len N --dtype DTYPE\n"
            "                        shape of the workload; DTYPE is one of %s\n"
            "                        (default: the GEMM unit's word_bytes, e.g. i8 for 1)\n"
            "  --until TIME          stop each run at TIME (with a unit, e.g. 100us)\n"
            "  -o FILE               write the table: FILE.csv or FILE.json (all columns)\n"
            "  --json                print the table as JSON on stdout\n"
            "  --trace DIR           one trace DB per point: DIR/point-000.db, ... (DIR is made)\n"
            "  --force               replace trace DBs that exist\n"
            "  --plot FILE           end time and energy against the swept values (.png, .svg)\n"
            "  --progress            progress bar even when stderr is not a terminal\n"
            "  --help                this text\n\n"
            "Exit status: 0 every point completed, 1 a point failed (the table says which),\n"
            "2 bad usage or bad input (checked for every point before the first run).\n",
            cli_dtype_list());
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(size_t done, size_t n, double t0)
{
    double el = wall_now() - t0, frac = n ? (double)done / (double)n : 1;
    char bar[31];
    for (int i = 0; i < 30; i++)
        bar[i] = i < (int)(frac * 30) ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r[%s] %5.1f%%  %zu/%zu points", bar, 100 * frac, done, n);
    if (done && done < n)
        fprintf(stderr, "  ETA %.0f s", el * (double)(n - done) / (double)done);
    fprintf(stderr, "   ");
    fflush(stderr);
}

static void say_quiet(void *ctx, const char *msg)
{
    (void)ctx; /* the point's row and the line after it say why */
    (void)msg;
}

/* One run at point `i` through the run layer (run/run.h); figures in *pt.
 * Returns 0, or 2 when the point's input is bad (its message in err). */
static int run_point(const char *config, const char *const *kv, size_t nkv,
                     const sim_config_over_t *base, const char *workload,
                     const wl_gen_opts_t *wopts, int dtype_given, const char *trace_path,
                     point_t *pt, char *err, size_t errlen)
{
    run_opts_t ro;
    run_opts_default(&ro);
    ro.config = config;
    ro.over = *base;
    ro.over.set = kv;
    ro.over.nset = nkv;
    ro.workload = workload;
    ro.wopts = *wopts;
    ro.dtype_given = dtype_given; /* else the chip's word size, per point (it may be swept) */
    ro.trace_path = trace_path;
    ro.args = "prism sweep";
    ro.say = say_quiet;
    run_t *r = run_create(&ro);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return 2;
    }
    if (run_load(r) || run_trace_begin(r)) {
        snprintf(err, errlen, "%s", run_errmsg(r));
        run_destroy(r);
        return 2;
    }
    run_exec(r);
    run_end(r);
    sim_t *s = run_sim(r);
    pt->wall_s = run_wall_s(r);
    pt->status = run_status_name(run_status(r));
    pt->message = run_message(r) ? strdup(run_message(r)) : NULL;
    if (trace_path && !strcmp(pt->status, "complete") && run_exit_code(r)) {
        pt->status = "failed"; /* the trace could not be finished */
        pt->message = strdup(run_errmsg(r));
    }
    pt->end_ps = sim_end_ps(s);
    pt->events = sim_events_handled(s);
    pt->ncomps = sim_comp_count(s);
    pt->comps = calloc(pt->ncomps ? pt->ncomps : 1, sizeof *pt->comps);
    for (size_t c = 0; pt->comps && c < pt->ncomps; c++) {
        sim_comp_t *comp = sim_comp_at(s, c);
        pt->comps[c].name = strdup(sim_comp_name(comp));
        pt->comps[c].busy_ps = (double)sim_busy_ps(comp);
        pt->comps[c].energy_pj = sim_energy_pj(comp);
        pt->energy_pj += pt->comps[c].energy_pj;
    }
    if (trace_path)
        pt->trace = strdup(trace_path);
    run_destroy(r);
    return 0;
}

static const comp_fig_t *find_comp(const point_t *p, const char *name)
{
    for (size_t c = 0; c < p->ncomps; c++)
        if (p->comps[c].name && !strcmp(p->comps[c].name, name))
            return &p->comps[c];
    return NULL;
}

/* The table: point, one column per key, status, headline figures, then each
 * component's (from the first point that ran) busy time and energy. */
static int write_table(FILE *f, out_format_t fmt, const cli_sets_t *sets, const point_t *pts,
                       size_t n, int full)
{
    out_t *o = out_create(f, fmt, 0);
    if (!o)
        return -1;
    out_set_null_text(o, "-");
    out_column(o, "point");
    for (size_t k = 0; k < sets->n; k++)
        out_column(o, sets->keys[k].key);
    out_column(o, "status");
    out_column(o, "end_time_ps");
    if (fmt == OUT_TABLE) {
        out_column(o, "end_time");
        out_column(o, "energy");
    }
    out_column(o, "energy_pj");
    const point_t *ref = NULL;
    for (size_t i = 0; i < n && !ref; i++)
        if (pts[i].ncomps)
            ref = &pts[i];
    if (full) {
        out_column(o, "events");
        out_column(o, "wall_s");
        for (size_t c = 0; ref && c < ref->ncomps; c++) {
            char col[300];
            snprintf(col, sizeof col, "%s.busy_ps", ref->comps[c].name);
            out_column(o, col);
            snprintf(col, sizeof col, "%s.energy_pj", ref->comps[c].name);
            out_column(o, col);
        }
        out_column(o, "trace");
        out_column(o, "message");
    }
    char buf[SWEEP_MAX_KEYS * 600];
    const char *kv[SWEEP_MAX_KEYS];
    for (size_t i = 0; i < n; i++) {
        const point_t *p = &pts[i];
        out_int(o, (long long)i);
        cli_sets_point(sets, i, kv, buf, sizeof buf);
        for (size_t k = 0; k < sets->n; k++)
            out_text_num(o, strchr(kv[k], '=') + 1);
        out_text(o, p->status);
        int ran = p->ncomps > 0;
        if (ran)
            out_int(o, (long long)p->end_ps);
        else
            out_null(o);
        if (fmt == OUT_TABLE) {
            char h[64];
            out_human_ps(h, sizeof h, (double)p->end_ps);
            out_text_num(o, ran ? h : NULL);
            out_human_pj(h, sizeof h, p->energy_pj);
            out_text_num(o, ran ? h : NULL);
        }
        if (ran)
            out_real(o, p->energy_pj);
        else
            out_null(o);
        if (!full)
            continue;
        if (ran) {
            out_int(o, (long long)p->events);
            out_real(o, p->wall_s);
        } else {
            out_null(o);
            out_null(o);
        }
        for (size_t c = 0; ref && c < ref->ncomps; c++) {
            const comp_fig_t *cf = find_comp(p, ref->comps[c].name);
            if (cf) {
                out_real(o, cf->busy_ps);
                out_real(o, cf->energy_pj);
            } else {
                out_null(o);
                out_null(o);
            }
        }
        out_text(o, p->trace);
        out_text(o, p->message);
    }
    return out_finish(o);
}

/* End time and energy against the first key's values; one line per
 * combination of the other keys. */
static int sweep_plot(const char *file, const cli_sets_t *sets, const point_t *pts, size_t n,
                      char *err, size_t errlen)
{
    plot_t *p = plot_begin(file, 1000, 760, err, errlen);
    if (!p)
        return -1;
    FILE *f = plot_script(p);
    const cli_set_key_t *x = &sets->keys[0];
    size_t nx = x->nvals, nseries = n / nx;
    char buf[SWEEP_MAX_KEYS * 600];
    const char *kv[SWEEP_MAX_KEYS];
    double top_t = 0, top_e = 0;
    for (size_t i = 0; i < n; i++) {
        top_t = fmax(top_t, (double)pts[i].end_ps);
        top_e = fmax(top_e, pts[i].energy_pj);
    }
    double ts = top_t >= 1e9   ? 1e9
                : top_t >= 1e6 ? 1e6
                               : 1e3,
           es = top_e >= 1e9   ? 1e9
                : top_e >= 1e6 ? 1e6
                               : 1e3;
    const char *tu = ts == 1e9   ? "ms"
                     : ts == 1e6 ? "us"
                                 : "ns",
               *eu = es == 1e9   ? "mJ"
                     : es == 1e6 ? "uJ"
                                 : "nJ";
    fputs("set termoption noenhanced\n", f);
    /* one data file, a block per series (index s); point index i: the first
     * key varies slowest (cli_sets_point) */
    const char *data_path;
    FILE *d = plot_data(p, &data_path, err, errlen);
    if (!d) {
        fputs("exit\n", f);
        char ignored[256];
        plot_end(p, ignored, sizeof ignored);
        return -1;
    }
    for (size_t s = 0; s < nseries; s++) {
        fputs(s ? "\n\n" : "", d);
        fprintf(d, "# series %zu\n", s);
        for (size_t xi = 0; xi < nx; xi++) {
            size_t i = xi * nseries + s;
            if (!pts[i].ncomps || strcmp(pts[i].status, "complete"))
                continue;
            fprintf(d, "%zu ", xi);
            plot_data_word(d, x->vals[xi]);
            fprintf(d, " %.9g %.9g\n", (double)pts[i].end_ps / ts, pts[i].energy_pj / es);
        }
    }
    fprintf(f, "set multiplot layout 2,1\nset xlabel ");
    plot_quote(f, x->key);
    fprintf(f,
            "\nset xrange [-0.5:%zu.5]\nset ylabel 'end time (%s)'\nset yrange [0:*]\n"
            "set title 'sweep: end time'\nplot ",
            nx - 1, tu);
    for (int panel = 0; panel < 2; panel++) {
        if (panel)
            fprintf(f, "set ylabel 'energy (%s)'\nset title 'sweep: energy'\nplot ", eu);
        for (size_t s = 0; s < nseries; s++) {
            char title[1024] = "";
            size_t len = 0;
            cli_sets_point(sets, s, kv, buf, sizeof buf); /* keys 1.. of series s */
            for (size_t k = 1; k < sets->n && len + 100 < sizeof title; k++)
                len += (size_t)snprintf(title + len, sizeof title - len, "%s%s", len ? " " : "",
                                        kv[k]);
            fputs(s ? ", " : "", f);
            plot_quote(f, data_path);
            fprintf(f, " index %zu using 1:%d:xtic(2) with linespoints lw 2 pt 7 title ", s,
                    panel ? 4 : 3);
            plot_quote(f, nseries > 1 ? title : "");
        }
        fputc('\n', f);
    }
    fputs("unset multiplot\n", f);
    return plot_end(p, err, errlen);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* Every point's config loads, and the trace files are free: 0, or 2 after
 * the message. */
static int check_points(const char *config, const cli_sets_t *sets, const sim_config_over_t *base,
                        size_t n, const char *trace_dir, int force)
{
    char err[2048];
    char buf[SWEEP_MAX_KEYS * 600];
    const char *kv[SWEEP_MAX_KEYS];
    for (size_t i = 0; i < n; i++) {
        if (cli_sets_point(sets, i, kv, buf, sizeof buf))
            return cli_usage_error("sweep", "--set values too long");
        sim_config_over_t over = *base;
        over.set = kv;
        over.nset = sets->n;
        sim_t *s = NULL;
        if (sim_config_load(config, &over, &s, NULL, err, sizeof err)) {
            fprintf(stderr, "prism sweep: point %zu: %s\n", i, err);
            return 2;
        }
        sim_destroy(s);
    }
    if (trace_dir) {
        if (mkdir(trace_dir, 0777) && errno != EEXIST) {
            fprintf(stderr, "prism sweep: cannot make the trace directory %s: %s\n", trace_dir,
                    strerror(errno));
            return 2;
        }
        for (size_t i = 0; i < n && !force; i++) {
            char tp[4096];
            snprintf(tp, sizeof tp, "%s/point-%03zu.db", trace_dir, i);
            if (access(tp, F_OK) == 0) {
                fprintf(stderr, "prism sweep: %s exists; --force replaces the traces\n", tp);
                return 2;
            }
        }
    }
    return 0;
}

static int sweep_main(int argc, char **argv, cli_sets_t *sets)
{
    static const struct option opts[] = {
        {"set", required_argument, NULL, 'X'},   {"workload", required_argument, NULL, 'W'},
        {"seq", required_argument, NULL, 'S'},   {"batch", required_argument, NULL, 'B'},
        {"phase", required_argument, NULL, 'P'}, {"kv-len", required_argument, NULL, 'K'},
        {"dtype", required_argument, NULL, 'D'}, {"until", required_argument, NULL, 'u'},
        {"out", required_argument, NULL, 'o'},   {"json", no_argument, NULL, 'j'},
        {"trace", required_argument, NULL, 't'}, {"force", no_argument, NULL, 'F'},
        {"plot", required_argument, NULL, 'L'},  {"progress", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *workload = NULL, *out_path = NULL, *trace_dir = NULL, *plot_path = NULL;
    int json = 0, force = 0, show_progress = 0, dtype_given = 0;
    wl_gen_opts_t wopts;
    wl_gen_opts_default(&wopts);
    sim_config_over_t base = {0};
    char err[2048];
    optind = 1;
    opterr = 0;
    int o;
    while ((o = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
        switch (o) {
        case 'X':
            if (cli_sets_add(sets, optarg, err, sizeof err))
                return cli_usage_error("sweep", "%s", err);
            break;
        case 'W': workload = optarg; break;
        case 'S':
        case 'B':
        case 'K':
        case 'P':
        case 'D':
            if (cli_workload_opt("sweep", o, optarg, &wopts, &dtype_given))
                return 2;
            break;
        case 'u': {
            unsigned long long ps;
            if (cli_parse_time("sweep", "--until", optarg, &ps))
                return 2;
            base.until_ps = ps;
            base.until_set = 1;
            break;
        }
        case 'o': out_path = optarg; break;
        case 'j': json = 1; break;
        case 't': trace_dir = optarg; break;
        case 'F': force = 1; break;
        case 'L': plot_path = optarg; break;
        case 'p': show_progress = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cli_bad_option("sweep", o, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error("sweep",
                               "needs a config file (prism sweep CONFIG.yaml --set KEY=V1,V2)");
    if (optind != argc - 1)
        return cli_usage_error("sweep", "one config at a time (extra argument '%s')",
                               argv[optind + 1]);
    const char *config = argv[optind];
    if (!sets->n)
        return cli_usage_error("sweep", "give at least one --set KEY=V1,V2,... to sweep");
    if (sets->n > SWEEP_MAX_KEYS)
        return cli_usage_error("sweep", "at most %d swept keys", SWEEP_MAX_KEYS);
    size_t n = cli_sets_points(sets);
    if (n > SWEEP_MAX_POINTS) {
        char count[32];
        snprintf(count, sizeof count, n == SIZE_MAX ? "over 2^64" : "%zu", n);
        return cli_usage_error("sweep", "%s points is more than %d; sweep fewer values", count,
                               SWEEP_MAX_POINTS);
    }
    if (out_path && !ends_with(out_path, ".csv") && !ends_with(out_path, ".json"))
        return cli_usage_error("sweep", "-o '%s': the table file must end in .csv or .json",
                               out_path);
    if (plot_path && plot_check(plot_path, err, sizeof err)) {
        fprintf(stderr, "prism sweep: --plot %s\n", err);
        return 2;
    }

    /* every point's config first: a bad value stops the sweep before any run */
    if (check_points(config, sets, &base, n, trace_dir, force))
        return 2;
    char buf[SWEEP_MAX_KEYS * 600];
    const char *kv[SWEEP_MAX_KEYS];

    point_t *pts = calloc(n, sizeof *pts);
    if (!pts) {
        fprintf(stderr, "prism sweep: out of memory\n");
        return 1;
    }
    int bar = show_progress || isatty(2);
    double t0 = wall_now();
    int exit_code = 0;
    for (size_t i = 0; i < n; i++) {
        if (bar)
            progress(i, n, t0);
        cli_sets_point(sets, i, kv, buf, sizeof buf);
        char tp[4096];
        if (trace_dir)
            snprintf(tp, sizeof tp, "%s/point-%03zu.db", trace_dir, i);
        if (run_point(config, kv, sets->n, &base, workload, &wopts, dtype_given,
                      trace_dir ? tp : NULL, &pts[i], err, sizeof err)) {
            pts[i].status =
                "error"; /* this point's input cannot run (e.g. the model does not fit) */
            pts[i].message = strdup(err);
        }
        if (strcmp(pts[i].status, "complete")) {
            exit_code = 1;
            if (bar)
                fputc('\n', stderr);
            fprintf(stderr, "prism sweep: point %zu (", i);
            for (size_t k = 0; k < sets->n; k++)
                fprintf(stderr, "%s%s", k ? " " : "", kv[k]);
            fprintf(stderr, ") %s: %s\n", pts[i].status, pts[i].message ? pts[i].message : "");
        }
    }
    if (bar) {
        progress(n, n, t0);
        fputc('\n', stderr);
    }
    if (out_path) {
        FILE *f = fopen(out_path, "w");
        if (!f ||
            write_table(f, ends_with(out_path, ".json") ? OUT_JSON : OUT_CSV, sets, pts, n, 1) ||
            fclose(f)) {
            fprintf(stderr, "prism sweep: cannot write %s: %s\n", out_path, strerror(errno));
            exit_code = exit_code ? exit_code : 1;
        }
    }
    if (json)
        write_table(stdout, OUT_JSON, sets, pts, n, 1);
    else
        write_table(stdout, OUT_TABLE, sets, pts, n, 0);
    if (out_path && !json)
        printf("wrote %s (%zu points)\n", out_path, n);
    if (plot_path) {
        if (sweep_plot(plot_path, sets, pts, n, err, sizeof err)) {
            fprintf(stderr, "prism sweep: %s\n", err);
            exit_code = exit_code ? exit_code : 2;
        } else if (!json) {
            printf("wrote %s\n", plot_path);
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < pts[i].ncomps && pts[i].comps; c++)
            free(pts[i].comps[c].name);
        free(pts[i].comps);
        free(pts[i].message);
        free(pts[i].trace);
    }
    free(pts);
    return exit_code;
}

int cmd_sweep(int argc, char **argv)
{
    cli_sets_t sets = {0};
    int rc = sweep_main(argc, argv, &sets);
    cli_sets_free(&sets);
    return rc;
}
