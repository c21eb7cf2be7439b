/* `prism plot RUN.db --utilization|--energy|--timeline -o FILE.png|.svg`:
 * per-component utilization over the run (the utilization_windows view),
 * energy by component and category (energy_breakdown, a stacked bar), and a
 * Gantt chart of the busiest components' activities, drawn with gnuplot. */
#include "cli/cli.h"
#include "cli/out.h"
#include "cli/plot.h"
#include "sim/tracedb.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static void plot_usage(FILE *f)
{
    fputs("usage: prism plot RUN.db --utilization|--energy|--timeline -o FILE.png|FILE.svg\n"
          "Draws one picture of a trace with gnuplot (the format follows the name):\n"
          "  --utilization  busy % of each busy component over the run (100 windows; lines\n"
          "                 up to 8 components, one strip each beyond; idle ones counted)\n"
          "  --energy       energy of each component, stacked by category (the 23 largest,\n"
          "                 the rest in one bar)\n"
          "  --timeline     a Gantt chart of the busiest components' activities\n"
          "  --top N        components in the timeline (default 8)\n"
          "  -o FILE        the image: .png or .svg\n",
          f);
}

/* a time axis unit that keeps the run's numbers readable */
static const char *time_unit(double end_ps, double *scale)
{
    static const struct {
        const char *name;
        double ps;
    } u[] = {{"s", 1e12}, {"ms", 1e9}, {"us", 1e6}, {"ns", 1e3}, {"ps", 1}};
    for (size_t i = 0; i < 5; i++)
        if (end_ps >= u[i].ps || i == 4) {
            *scale = u[i].ps;
            return u[i].name;
        }
    return "ps";
}

static const char *energy_unit(double pj, double *scale)
{
    static const struct {
        const char *name;
        double pj;
    } u[] = {{"J", 1e12}, {"mJ", 1e9}, {"uJ", 1e6}, {"nJ", 1e3}, {"pJ", 1}};
    for (size_t i = 0; i < 5; i++)
        if (pj >= u[i].pj || i == 4) {
            *scale = u[i].pj;
            return u[i].name;
        }
    return "pJ";
}

typedef struct names {
    char **v;
    size_t n;
} names_t;

static int names_find(const names_t *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], name))
            return (int)i;
    return -1;
}

static int names_index(names_t *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], name))
            return (int)i;
    char **g = realloc(s->v, (s->n + 1) * sizeof *g);
    if (!g)
        return -1;
    s->v = g;
    if (!(g[s->n] = strdup(name)))
        return -1;
    return (int)s->n++;
}

static void names_free(names_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

static int db_fail(trace_db_t *db, sqlite3_stmt *st)
{
    fprintf(stderr, "prism plot: %s\n", trace_db_errmsg(db));
    sqlite3_finalize(st);
    return 2;
}

/* a data file for the picture, its name in *path; NULL with the message printed */
static FILE *data_file(plot_t *p, const char **path)
{
    char err[256];
    FILE *d = plot_data(p, path, err, sizeof err);
    if (!d)
        fprintf(stderr, "prism plot: %s\n", err);
    return d;
}

/* up to this many busy components are drawn as lines in distinct colours;
 * more as one strip per component (a heat map: colour = busy %) */
enum { UTIL_MAX_LINES = 8 };

static void util_lines(FILE *d, FILE *f, const char *data_path, const names_t *comps,
                       const double *u, double end_ps, double scale)
{
    fputs("time", d);
    for (size_t c = 0; c < comps->n; c++) {
        fputc(' ', d);
        plot_data_word(d, comps->v[c]);
    }
    fputc('\n', d);
    for (int w = 0; w <= 100; w++) { /* the last row closes the final step */
        fprintf(d, "%.9g", w * end_ps / 100.0 / scale);
        for (size_t c = 0; c < comps->n; c++)
            fprintf(d, " %.9g", 100.0 * u[c * 100 + (w < 100 ? w : 99)]);
        fputc('\n', d);
    }
    fputs("set ylabel 'busy (%)'\nset yrange [0:102]\nset ytics 0, 20, 100\nplot ", f);
    for (size_t c = 0; c < comps->n; c++) {
        fputs(c ? ", " : "", f);
        plot_quote(f, data_path);
        fprintf(f, " using 1:%zu with steps lw 2 lc rgb '%s' title columnhead(%zu)", c + 2,
                plot_colour((int)c), c + 2);
    }
    fputc('\n', f);
}

static void util_strips(FILE *d, FILE *f, const char *data_path, const names_t *comps,
                        const double *u, double end_ps, double scale)
{
    for (size_t c = 0; c < comps->n; c++) { /* a matrix: one row per component */
        for (int w = 0; w < 100; w++)
            fprintf(d, "%s%.6g", w ? " " : "", 100.0 * u[c * 100 + w]);
        fputc('\n', d);
    }
    fputs("set ytics (", f);
    for (size_t c = 0; c < comps->n; c++) {
        fputs(c ? ", " : "", f);
        plot_quote(f, comps->v[c]);
        fprintf(f, " %zu", c);
    }
    double window = end_ps / 100.0 / scale;
    fprintf(f,
            ") font ',%d'\nset yrange [%zu.5:-0.5]\nset xrange [0:%.9g]\nunset grid\n"
            "set cbrange [0:100]\nset cblabel 'busy (%%)'\n"
            "set palette defined (0 '#ffffff', 1 '#deebf7', 40 '#6baed6', 100 '#08306b')\n"
            "plot ",
            comps->n > 40 ? 6 : 8, comps->n - 1, end_ps / scale);
    plot_quote(f, data_path);
    fprintf(f, " matrix using (($1 + 0.5) * %.9g):2:3 with image notitle\n", window);
}

static int plot_utilization(trace_db_t *db, plot_t *p, double end_ps)
{
    sqlite3_stmt *st = NULL;
    /* components that were ever busy, and their 100 windows */
    if (trace_db_prepare(
            db,
            "SELECT component, window, utilization FROM utilization_windows WHERE comp_id IN"
            " (SELECT comp_id FROM utilization_windows GROUP BY comp_id"
            " HAVING SUM(busy_ps) > 0) ORDER BY comp_id, window",
            &st))
        return db_fail(db, st);
    enum { MAXC = 1024 };
    names_t comps = {0};
    double *u = calloc(100 * MAXC, sizeof *u);
    int rc;
    while (u && (rc = trace_db_step(db, st)) == 1) {
        int c = names_index(&comps, (const char *)sqlite3_column_text(st, 0));
        int w = sqlite3_column_int(st, 1);
        if (c < 0 || c >= MAXC)
            break;
        if (w >= 0 && w < 100)
            u[c * 100 + w] = sqlite3_column_double(st, 2);
    }
    sqlite3_finalize(st);
    if (!u || !comps.n) {
        fprintf(stderr, "prism plot: %s\n",
                u ? "no component was busy in this run: nothing to draw" : "out of memory");
        free(u);
        names_free(&comps);
        return u ? 2 : 1;
    }
    long long total = 0;
    if (trace_db_prepare(db, "SELECT count(*) FROM components", &st) == 0 &&
        trace_db_step(db, st) == 1)
        total = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    double scale;
    const char *unit = time_unit(end_ps, &scale), *data_path;
    FILE *d = data_file(p, &data_path), *f = plot_script(p);
    if (!d) {
        free(u);
        names_free(&comps);
        return 1;
    }
    long long idle = total > (long long)comps.n ? total - (long long)comps.n : 0;
    fprintf(f, "set title 'utilization per component (100 windows; %zu busy", comps.n);
    if (idle)
        fprintf(f, ", %lld idle not shown", idle);
    fprintf(f, ")'\nset xlabel 'simulated time (%s)'\n", unit);
    if (comps.n <= UTIL_MAX_LINES)
        util_lines(d, f, data_path, &comps, u, end_ps, scale);
    else
        util_strips(d, f, data_path, &comps, u, end_ps, scale);
    free(u);
    names_free(&comps);
    return 0;
}

/* bars in the energy picture: the components with the most energy, the
 * rest summed in one last bar, so the names under the bars stay readable */
enum { ENERGY_MAX_BARS = 24, ENERGY_MAXC = 1024, ENERGY_MAXK = PLOT_COLOURS };

typedef struct energy_bar {
    size_t comp;
    double total;
} energy_bar_t;

static int bar_cmp(const void *a, const void *b)
{
    const energy_bar_t *x = a, *y = b;
    return x->total < y->total   ? 1
           : x->total > y->total ? -1
                                 : (x->comp > y->comp) - (x->comp < y->comp);
}

/* the data and script of the stacked bars; bars sorted by energy, largest first */
static void energy_draw(FILE *d, FILE *f, const char *data_path, const names_t *comps,
                        const names_t *cats, const double *e, energy_bar_t *bars)
{
    size_t nb = comps->n, shown = nb > ENERGY_MAX_BARS ? ENERGY_MAX_BARS - 1 : nb;
    double top = 0, rest_top = 0;
    for (size_t i = 0; i < nb; i++)
        if (i < shown)
            top = fmax(top, bars[i].total);
        else
            rest_top += bars[i].total;
    double scale;
    const char *unit = energy_unit(fmax(top, rest_top), &scale);
    fputs("component", d);
    for (size_t k = 0; k < cats->n; k++) {
        fputc(' ', d);
        plot_data_word(d, cats->v[k]);
    }
    fputc('\n', d);
    for (size_t i = 0; i < shown; i++) {
        plot_data_word(d, comps->v[bars[i].comp]);
        for (size_t k = 0; k < cats->n; k++)
            fprintf(d, " %.9g", e[bars[i].comp * ENERGY_MAXK + k] / scale);
        fputc('\n', d);
    }
    if (shown < nb) {
        fprintf(d, "\"%zu others\"", nb - shown);
        for (size_t k = 0; k < cats->n; k++) {
            double sum = 0;
            for (size_t i = shown; i < nb; i++)
                sum += e[bars[i].comp * ENERGY_MAXK + k];
            fprintf(d, " %.9g", sum / scale);
        }
        fputc('\n', d);
    }
    fprintf(f,
            "set title 'energy by component and category (%zu components with energy)'\n"
            "set ylabel 'energy (%s)'\n"
            "set style data histograms\nset style histogram rowstacked\n"
            "set style fill solid 0.9 border -1\nset boxwidth 0.7\nset yrange [0:*]\n"
            "set xtics rotate by 45 right\nset bmargin 6\nplot ",
            nb, unit);
    for (size_t k = 0; k < cats->n; k++) {
        fputs(k ? ", " : "", f);
        plot_quote(f, data_path);
        fprintf(f, " using %zu%s lc rgb '%s' title columnhead(%zu)", k + 2, k ? "" : ":xtic(1)",
                plot_colour((int)k), k + 2);
    }
    fputc('\n', f);
}

static int plot_energy(trace_db_t *db, plot_t *p)
{
    sqlite3_stmt *st = NULL;
    /* categories in order of their energy, so the largest get the first colours
     * and the smallest fold into `other` past PLOT_COLOURS */
    if (trace_db_prepare(db,
                         "SELECT component, category, energy_pj FROM energy_breakdown b"
                         " WHERE energy_pj > 0 ORDER BY (SELECT -SUM(energy_pj) FROM"
                         " energy_breakdown c WHERE c.category = b.category), category, component",
                         &st))
        return db_fail(db, st);
    names_t comps = {0}, cats = {0};
    double *e = calloc(ENERGY_MAXC * ENERGY_MAXK, sizeof *e);
    int rc;
    while (e && (rc = trace_db_step(db, st)) == 1) {
        const char *cat = (const char *)sqlite3_column_text(st, 1);
        if (cat && !strncmp(cat, "energy.", 7))
            cat += 7;
        int k = names_find(&cats, cat ? cat : "?");
        if (k < 0) /* the last colour is for all the smallest categories together */
            k = names_index(&cats,
                            cats.n < ENERGY_MAXK - 1 ? (cat ? cat : "?") : "other categories");
        int c = names_index(&comps, (const char *)sqlite3_column_text(st, 0));
        if (c < 0 || k < 0 || c >= ENERGY_MAXC || k >= ENERGY_MAXK)
            break;
        e[c * ENERGY_MAXK + k] += sqlite3_column_double(st, 2);
    }
    sqlite3_finalize(st);
    energy_bar_t *bars = e && comps.n ? calloc(comps.n, sizeof *bars) : NULL;
    if (!bars) {
        fprintf(stderr, "prism plot: %s\n",
                e && !comps.n ? "the run recorded no energy: nothing to draw" : "out of memory");
        free(e);
        names_free(&comps);
        names_free(&cats);
        return e && !comps.n ? 2 : 1;
    }
    for (size_t c = 0; c < comps.n; c++) {
        bars[c].comp = c;
        for (size_t k = 0; k < cats.n; k++)
            bars[c].total += e[c * ENERGY_MAXK + k];
    }
    qsort(bars, comps.n, sizeof *bars, bar_cmp);
    const char *data_path;
    FILE *d = data_file(p, &data_path);
    if (d)
        energy_draw(d, plot_script(p), data_path, &comps, &cats, e, bars);
    free(bars);
    free(e);
    names_free(&comps);
    names_free(&cats);
    return d ? 0 : 1;
}

static int plot_timeline(trace_db_t *db, plot_t *p, double end_ps, int top)
{
    sqlite3_stmt *st = NULL;
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT comp_id, name FROM component_summary WHERE busy_ps > 0"
             " ORDER BY busy_ps DESC, name LIMIT %d",
             top);
    if (trace_db_prepare(db, sql, &st))
        return db_fail(db, st);
    int64_t ids[64];
    names_t comps = {0};
    int rc;
    while ((rc = trace_db_step(db, st)) == 1 && comps.n < 64) {
        ids[comps.n] = sqlite3_column_int64(st, 0);
        if (names_index(&comps, (const char *)sqlite3_column_text(st, 1)) < 0)
            break;
    }
    sqlite3_finalize(st);
    if (!comps.n) {
        fprintf(stderr, "prism plot: no component was busy in this run: nothing to draw\n");
        names_free(&comps);
        return 2;
    }
    double scale;
    const char *unit = time_unit(end_ps, &scale);
    /* each component's busy periods; gaps below a 4000th of the run merge
     * (finer than the picture can show) */
    double gap = end_ps / 4000.0;
    const char *data_path;
    FILE *f = data_file(p, &data_path);
    if (!f) {
        names_free(&comps);
        return 1;
    }
    for (size_t c = 0; c < comps.n; c++) {
        if (trace_db_prepare(db,
                             "SELECT busy_from_ps, busy_ps FROM activities WHERE comp_id = ?1"
                             " AND busy_ps > 0 ORDER BY busy_from_ps",
                             &st)) {
            names_free(&comps);
            return db_fail(db, st);
        }
        sqlite3_bind_int64(st, 1, ids[c]);
        double a = -1, b = -1;
        while ((rc = trace_db_step(db, st)) == 1) {
            double s = (double)sqlite3_column_int64(st, 0);
            double e = s + (double)sqlite3_column_int64(st, 1);
            if (a >= 0 && s <= b + gap) {
                b = fmax(b, e);
                continue;
            }
            if (a >= 0)
                fprintf(f, "%.9g %zu %.9g\n", a / scale, c, (b - a) / scale);
            a = s;
            b = e;
        }
        if (a >= 0)
            fprintf(f, "%.9g %zu %.9g\n", a / scale, c, (b - a) / scale);
        sqlite3_finalize(st);
    }
    f = plot_script(p);
    fputs("set ytics (", f);
    for (size_t c = 0; c < comps.n; c++) {
        fputs(c ? ", " : "", f);
        plot_quote(f, comps.v[c]);
        fprintf(f, " %zu", c);
    }
    fprintf(f,
            ")\nset yrange [%zu.5:-0.5]\nset xrange [0:%.9g]\nunset key\n"
            "set title 'busy periods of the %zu busiest components'\n"
            "set xlabel 'simulated time (%s)'\nplot ",
            comps.n - 1, end_ps / scale, comps.n, unit);
    plot_quote(f, data_path);
    fputs(" using 1:2:3:(0) with vectors nohead lw 12 lc rgb '#3b75af'\n", f);
    names_free(&comps);
    return 0;
}

int cmd_plot(int argc, char **argv)
{
    const char *path = NULL, *out_path = NULL, *what = NULL;
    int top = 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            plot_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--utilization") || !strcmp(a, "--energy") ||
                   !strcmp(a, "--timeline")) {
            if (what && strcmp(what, a + 2))
                return cli_usage_error("plot", "one picture at a time (--%s and %s)", what, a);
            what = a + 2;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--out")) {
            if (i + 1 >= argc)
                return cli_usage_error("plot", "%s needs an image name (FILE.png or FILE.svg)", a);
            out_path = argv[++i];
        } else if (!strcmp(a, "--top")) {
            char *end;
            long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || *end || v < 1 || v > 64)
                return cli_usage_error("plot", "--top needs a count from 1 to 64");
            top = (int)v;
            i++;
        } else if (a[0] == '-') {
            return cli_usage_error("plot", "unknown option '%s'", a);
        } else if (!path) {
            path = a;
        } else {
            return cli_usage_error("plot", "one trace database at a time (extra argument '%s')", a);
        }
    }
    if (!path)
        return cli_usage_error("plot",
                               "needs a trace database (prism plot RUN.db --utilization -o u.png)");
    if (!what)
        return cli_usage_error("plot", "say what to draw: --utilization, --energy or --timeline");
    if (!out_path)
        return cli_usage_error("plot", "needs -o FILE.png or -o FILE.svg");
    char err[1024];
    plot_t *p = plot_begin(out_path, 1100, 620, err, sizeof err);
    if (!p) {
        fprintf(stderr, "prism plot: %s\n", err);
        return 2;
    }
    trace_db_t *db = NULL;
    trace_run_t run;
    if (trace_db_open(&db, path) != 0 || trace_db_run(db, &run) != 0) {
        fprintf(stderr, "prism plot: %s\n", trace_db_errmsg(db));
        trace_db_close(db);
        plot_end(p, err, sizeof err);
        return 2;
    }
    double end_ps = run.end_time_ps > 0 ? (double)run.end_time_ps : 1;
    trace_run_free(&run);
    FILE *f = plot_script(p);
    fputs("set termoption noenhanced\n", f);
    int rc = !strcmp(what, "utilization") ? plot_utilization(db, p, end_ps)
             : !strcmp(what, "energy")    ? plot_energy(db, p)
                                          : plot_timeline(db, p, end_ps, top);
    trace_db_close(db);
    if (rc) {
        fputs("exit\n", f);
        plot_end(p, err, sizeof err);
        remove(out_path);
        return rc;
    }
    if (plot_end(p, err, sizeof err)) {
        fprintf(stderr, "prism plot: %s\n", err);
        return 1;
    }
    printf("wrote %s\n", out_path);
    return 0;
}
