/* The example configs (configs/photonic.yaml, analog.yaml, devices.yaml) run
 * end to end through the built binary ($PRISM; skipped when unset; run from
 * the repo root): each run completes, every device is busy and spends energy,
 * every op_driver gets all its requests back, and one closed form per config
 * holds: the MZI mesh's span from docs/devices/mzi_mesh.md's timing equations
 * and the laser power from the loss budget (docs/devices/laser.md); the
 * crossbars' cycles and span from `prism op --no-reload` of the same shape plus
 * one programming (docs/devices/pcm_xbar.md); the systolic array's cycles from
 * SCALE-Sim v2's ws closed form and the SRAM's from docs/devices/sram.md.
 * Every number the closed forms use is read back from the trace (resolved
 * parameters, clocks, links), not copied from the configs. `prism diff` of two
 * runs of the devices config exits 0, and against another config exits 1. */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check_cli.h"

static void setup(void) { cli_setup("check-configs"); }
static void teardown(void) { cli_teardown(); }

/* prism run CONFIG --trace DIR/NAME.db; returns the database path */
static const char *run_config(const char *config, const char *name)
{
    static char db[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(db[k], sizeof db[k], "%s/%s.db", dir, name);
    char out[8192];
    int st = run_out(out, sizeof out, "%s run %s --trace %s 2>&1", prism, config, db[k]);
    ck_assert_msg(st == 0, "prism run %s exited %d: %.2000s", config, st, out);
    return db[k];
}

/* ---- the trace, read only ---------------------------------------------------------------- */
static sqlite3 *db_open(const char *path)
{
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return h;
}

/* first column of the first row as text ("" when none) */
static const char *q_text(sqlite3 *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *q_text(sqlite3 *h, const char *fmt, ...)
{
    static char buf[8][8192];
    static int k;
    k = (k + 1) % 8;
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(h));
    buf[k][0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf[k], sizeof buf[k], "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf[k];
}

/* a stat of a component; fails the test when it is missing */
static double stat_of(sqlite3 *h, const char *comp, const char *name)
{
    const char *v = q_text(h,
                           "SELECT s.value FROM stats s JOIN components c USING(comp_id) "
                           "WHERE c.name = '%s' AND s.name = '%s'",
                           comp, name);
    ck_assert_msg(*v, "no stat '%s' for component '%s'", name, comp);
    return strtod(v, NULL);
}

/* the resolved parameters of a component (JSON object of strings) */
static cJSON *params_of(sqlite3 *h, const char *comp)
{
    cJSON *o = cJSON_Parse(q_text(h, "SELECT params FROM components WHERE name = '%s'", comp));
    ck_assert_msg(cJSON_IsObject(o), "no params for '%s'", comp);
    return o;
}

static const char *pstr(const cJSON *p, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
    ck_assert_msg(cJSON_IsString(v), "no parameter '%s'", key);
    return v->valuestring;
}

static double pnum(const cJSON *p, const char *key)
{
    return strtod(pstr(p, key), NULL);
}

/* clock period of a component */
static double period_of(sqlite3 *h, const char *comp)
{
    const char *v = q_text(h,
                           "SELECT k.period_ps FROM components c JOIN clocks k ON k.name = "
                           "c.clock WHERE c.name = '%s'",
                           comp);
    ck_assert_msg(*v, "component '%s' has no clock", comp);
    return strtod(v, NULL);
}

/* ps from a request leaving `from` to its arrival at `to`: link latency plus
 * the serialization the link recorded (busy time per message) */
static double link_delay_ps(sqlite3 *h, const char *from, const char *to)
{
    const char *v = q_text(h,
                           "SELECT latency_ps + 1.0 * busy_ps / messages FROM links "
                           "WHERE src = '%s.out' AND dst = '%s.in' AND messages > 0",
                           from, to);
    ck_assert_msg(*v, "no link %s.out -> %s.in", from, to);
    return strtod(v, NULL);
}

/* whole cycles of a time, rounded up as the devices do (dev_ps_to_cycles) */
static double cycles_up(double ps, double period)
{
    return ceil(ps / period - 1e-9);
}

/* ---- an op_driver's request list (its grammar: mapper/op_driver.c) ------------------------- */
typedef struct {
    char op[16];
    char vfunc[16];
    double m, k, n, count, weight_id;
} item_t;

static int driver_items(const cJSON *p, item_t *items, int max)
{
    int n = 0;
    const char *list = pstr(p, "requests");
    if (!*list) {
        if (!strcmp(pstr(p, "op"), "none"))
            return 0;
        item_t *it = &items[n++];
        snprintf(it->op, sizeof it->op, "%s", pstr(p, "op"));
        snprintf(it->vfunc, sizeof it->vfunc, "%s", pstr(p, "vfunc"));
        it->m = pnum(p, "samples") > 0 ? pnum(p, "samples") : pnum(p, "m");
        it->k = pnum(p, "k");
        it->n = pnum(p, "n");
        it->count = pnum(p, "count");
        it->weight_id = pnum(p, "weight_id");
        return n;
    }
    char *copy = strdup(list), *save = NULL;
    for (char *part = strtok_r(copy, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
        item_t it = {"", "", 1, 0, 0, 1, 0};
        char *s2 = NULL;
        int any = 0;
        for (char *kv = strtok_r(part, " \t\n,", &s2); kv; kv = strtok_r(NULL, " \t\n,", &s2)) {
            char *eq = strchr(kv, '=');
            ck_assert_msg(eq, "request '%s' is not key=value", kv);
            *eq = '\0';
            const char *v = eq + 1;
            any = 1;
            if (!strcmp(kv, "op"))
                snprintf(it.op, sizeof it.op, "%s", v);
            else if (!strcmp(kv, "vfunc"))
                snprintf(it.vfunc, sizeof it.vfunc, "%s", v);
            else if (!strcmp(kv, "m") || !strcmp(kv, "samples"))
                it.m = strtod(v, NULL);
            else if (!strcmp(kv, "k"))
                it.k = strtod(v, NULL);
            else if (!strcmp(kv, "n"))
                it.n = strtod(v, NULL);
            else if (!strcmp(kv, "count"))
                it.count = strtod(v, NULL);
            else if (!strcmp(kv, "weight_id"))
                it.weight_id = strtod(v, NULL);
        }
        if (any) {
            ck_assert_int_lt(n, max);
            items[n++] = it;
        }
    }
    free(copy);
    return n;
}

/* the driver feeding a device: the component whose 'out' links to its 'in'
 * (copied: q_text's buffers are reused) */
static const char *driver_of(sqlite3 *h, const char *dev, char *buf, size_t n)
{
    const char *v = q_text(h,
                           "SELECT c.name FROM links l JOIN components c ON c.comp_id = l.src_comp "
                           "WHERE l.dst = '%s.in' AND c.model = 'op_driver'",
                           dev);
    ck_assert_msg(*v, "no op_driver feeds '%s'", dev);
    snprintf(buf, n, "%s", v);
    return buf;
}

/* ---- what every config must show ----------------------------------------------------------- */
static void check_run(const char *path, int want_devices)
{
    sqlite3 *h = db_open(path);
    ck_assert_str_eq(q_text(h, "SELECT status FROM runs"), "complete");
    ck_assert(strtod(q_text(h, "SELECT end_time_ps FROM runs"), NULL) > 0);
    sqlite3_stmt *st;
    ck_assert_int_eq(
        sqlite3_prepare_v2(h, "SELECT name, model FROM components ORDER BY comp_id", -1, &st, NULL),
        SQLITE_OK);
    int devices = 0, drivers = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char name[128], model[64];
        snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(model, sizeof model, "%s", (const char *)sqlite3_column_text(st, 1));
        if (strcmp(model, "op_driver") != 0) {
            devices++;
            ck_assert_msg(stat_of(h, name, "busy_ps") > 0, "%s (%s) was never busy", name, model);
            ck_assert_msg(stat_of(h, name, "energy.total") > 0, "%s (%s) spent no energy", name,
                          model);
            continue;
        }
        drivers++;
        cJSON *p = params_of(h, name);
        item_t items[32];
        int n = driver_items(p, items, 32);
        double want = 0;
        for (int i = 0; i < n; i++)
            want += items[i].count;
        cJSON_Delete(p);
        ck_assert_msg(want > 0, "driver %s has no requests", name);
        ck_assert_msg(stat_of(h, name, "requests") == want, "%s sent %g requests, expected %g",
                      name, stat_of(h, name, "requests"), want);
        ck_assert_msg(stat_of(h, name, "completed") == want, "%s: %g of %g requests completed",
                      name, stat_of(h, name, "completed"), want);
        ck_assert_msg(stat_of(h, name, "failed") == 0, "%s: %g requests failed", name,
                      stat_of(h, name, "failed"));
    }
    sqlite3_finalize(st);
    ck_assert_int_eq(devices, want_devices);
    ck_assert_int_eq(drivers, want_devices); /* one driver per device */
    sqlite3_close(h);
}

/* ---- photonic: the mesh's span and the laser power --------------------------------------- */

/* docs/devices/mzi_mesh.md, "Time per MVM" and "Loss budget and laser", for
 * matrices that fit the mesh (one tile). Span = from the first request's
 * arrival to the last completion: the first op starts on the next clock edge;
 * with requests queued at the mesh (outstanding > 1) each op starts when the
 * previous one's issue time ends, so span = alignment + sum of the issue times
 * of all ops but the last + the last op's total. */
static void check_mesh(sqlite3 *h, const char *mesh)
{
    char drvbuf[128];
    const char *drv = driver_of(h, mesh, drvbuf, sizeof drvbuf);
    cJSON *p = params_of(h, mesh), *dp = params_of(h, drv);
    double T = period_of(h, mesh);
    int N = atoi(pstr(p, "n"));
    int mems = !strcmp(pstr(p, "shifter"), "mems");
    double settle_ps = (mems ? pnum(p, "mems_settle_us") : pnum(p, "to_settle_us")) * 1e6;
    /* one MZI: its shifter and two directional couplers (Lightening-Transformer:
     * 0.33 + 2 x 0.33 = 0.99 dB for a MEMS MZI) */
    double loss = (mems ? pnum(p, "mems_loss_db") : pnum(p, "to_loss_db")) +
                  2 * pnum(p, "dc_loss_db");
    double columns = 2.0 * N + 1;
    double t_dac =
        pnum(p, "dac_latency_ps") > 0 ? pnum(p, "dac_latency_ps") : 1e12 / pnum(p, "dac_rate_hz");
    double t_adc =
        pnum(p, "adc_latency_ps") > 0 ? pnum(p, "adc_latency_ps") : 1e12 / pnum(p, "adc_rate_hz");
    double t_sym = 1e12 / pnum(p, "mod_rate_hz");
    double t_pd = pnum(p, "pd_latency_ps") > 0 ? pnum(p, "pd_latency_ps") : t_sym;
    /* light: columns x MZI length x group index / c, c = 299.792458 um/ps */
    double t_prop = columns * pnum(p, "mzi_length_um") * pnum(p, "group_index") / 299.792458;
    double t_first = t_dac + t_sym + t_prop + t_pd + t_adc;
    double interval =
        fmax(fmax(1e12 / pnum(p, "dac_rate_hz"), 1e12 / pnum(p, "adc_rate_hz")), t_sym);
    double W = pnum(p, "wavelengths");

    item_t items[32];
    int n = driver_items(dp, items, 32);
    ck_assert_msg(pnum(dp, "outstanding") > 1, "the span form needs requests queued at the mesh");
    /* per op: reload = first op or a new weight_id; slots = ceil(m / wavelengths);
     * total = reload x settle + t_first + (slots - 1) interval;
     * issue = total - (t_first - interval); each in whole cycles */
    double span = 0, issue = 0, total = 0, reloads = 0, loaded_id = -1;
    for (int i = 0; i < n; i++) {
        ck_assert_str_eq(items[i].op, "mvm");
        ck_assert(items[i].k <= N && items[i].n <= N); /* one tile */
        double slots = ceil(items[i].m / W);
        for (double r = 0; r < items[i].count; r++) {
            span += issue; /* the previous op's */
            double reload = items[i].weight_id != loaded_id ? 1 : 0;
            loaded_id = items[i].weight_id;
            reloads += reload;
            double t = reload * settle_ps + t_first + (slots - 1) * interval;
            total = cycles_up(t, T) * T;
            issue = cycles_up(t - (t_first - interval), T) * T;
        }
    }
    span += total; /* the last op's */
    double arrival = stat_of(h, drv, "first_send_ps") + link_delay_ps(h, drv, mesh);
    span += ceil(arrival / T) * T - arrival;
    ck_assert_msg(fabs(stat_of(h, drv, "device_span_ps") - span) < 0.5,
                  "%s: span %.1f ps, closed form %.1f ps (%g reloads of %.0f ps, t_first %.2f ps, "
                  "interval %.0f ps)",
                  mesh, stat_of(h, drv, "device_span_ps"), span, reloads, settle_ps, t_first,
                  interval);
    ck_assert_double_eq(stat_of(h, mesh, "reloads"), reloads);

    /* laser: P = wavelengths x 10^((sensitivity + IL) / 10) / WPE, IL from the mesh's depth */
    double il = columns * loss + pnum(p, "mod_loss_db") + pnum(p, "coupler_loss_db") +
                10 * log10((double)N);
    double p_mw = W * pow(10, (pnum(p, "pd_sensitivity_dbm") + il) / 10) / pnum(p, "wpe");
    ck_assert_double_eq_tol(stat_of(h, mesh, "insertion_loss_db"), il, 1e-9);
    ck_assert_double_eq_tol(stat_of(h, mesh, "laser_power_mw"), p_mw, 1e-9 * p_mw);
    cJSON_Delete(p);
    cJSON_Delete(dp);
}

/* The standalone laser sized for the mesh: its loss_db is the mesh's budget */
static void check_laser(sqlite3 *h, const char *laser, double want_mw)
{
    cJSON *p = params_of(h, laser);
    double p_mw = pnum(p, "wavelengths") *
                  pow(10, (pnum(p, "pd_sensitivity_dbm") + pnum(p, "loss_db")) / 10) /
                  pnum(p, "wpe");
    ck_assert_double_eq_tol(stat_of(h, laser, "power_mw"), p_mw, 1e-9 * p_mw);
    if (want_mw > 0) /* the config rounds the mesh's loss budget to 1e-4 dB */
        ck_assert_double_eq_tol(p_mw, want_mw, 1e-4 * want_mw);
    cJSON_Delete(p);
}

START_TEST(photonic_config)
{
    SKIP_WITHOUT_PRISM();
    const char *db = run_config("configs/photonic.yaml", "photonic");
    check_run(db, 6);
    sqlite3 *h = db_open(db);
    check_mesh(h, "mesh");
    check_laser(h, "laser", stat_of(h, "mesh", "laser_power_mw"));
    /* the mesh's converters and detectors are the components: its own are off */
    ck_assert_double_eq(stat_of(h, "mesh", "energy.dac"), 0);
    ck_assert_double_eq(stat_of(h, "mesh", "energy.adc"), 0);
    ck_assert_double_eq(stat_of(h, "mesh", "energy.pd"), 0);
    /* ... and they convert the mesh's stream: one DAC sample per vector and input,
     * one detector and ADC sample per vector and output, one laser symbol per vector */
    cJSON *dp = params_of(h, "drv_mesh");
    item_t items[32];
    int n = driver_items(dp, items, 32);
    double vectors = 0, inputs = 0, outputs = 0;
    for (int i = 0; i < n; i++) {
        vectors += items[i].count * items[i].m;
        inputs += items[i].count * items[i].m * items[i].k;
        outputs += items[i].count * items[i].m * items[i].n;
    }
    cJSON_Delete(dp);
    ck_assert_double_eq(stat_of(h, "mesh", "vectors"), vectors);
    ck_assert_double_eq(stat_of(h, "dac", "samples"), inputs);
    ck_assert_double_eq(stat_of(h, "pd", "samples"), outputs);
    ck_assert_double_eq(stat_of(h, "adc", "samples"), outputs);
    ck_assert_double_eq(stat_of(h, "laser", "samples"), vectors);
    sqlite3_close(h);
}
END_TEST

/* ---- analog: N MVMs on resident weights = N x one MVM of `prism op --no-reload` ----------- */

/* `prism op --device MODEL --set <every resolved parameter> --mvm NxK --no-reload
 * --count C --json` at the component's clock */
static cJSON *op_json(sqlite3 *h, const char *comp, double k, double n, int count)
{
    cJSON *p = params_of(h, comp);
    char set[4096] = "";
    size_t len = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, p)
    {
        len += (size_t)snprintf(set + len, sizeof set - len, "%s%s=%s", len ? "," : "", v->string,
                                v->valuestring);
        ck_assert_uint_lt(len, sizeof set);
    }
    char model[64];
    snprintf(model, sizeof model, "%s",
             q_text(h, "SELECT model FROM components WHERE name = '%s'", comp));
    double ghz = 1e3 / period_of(h, comp);
    static char out[1 << 20];
    int st =
        run_out(out, sizeof out,
                "%s op --device %s --clock-ghz %g --set '%s' --mvm %.0fx%.0f --no-reload --count "
                "%d --json 2>&1",
                prism, model, ghz, set, n, k, count);
    ck_assert_msg(st == 0, "prism op --device %s exited %d: %.2000s", model, st, out);
    cJSON *o = cJSON_Parse(out);
    ck_assert_msg(o, "prism op printed no JSON: %.2000s", out);
    cJSON_Delete(p);
    return o;
}

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsNumber(v), "no number '%s'", key);
    return v->valuedouble;
}

/* The driver programs once (op=program, or the first MVM of a new weight)
 * then sends N MVMs of one shape on the same weight_id. Programming takes
 * ceil(min(k, rows) x t_write / T) cycles (docs/devices/pcm_xbar.md, row by
 * row); every MVM must take exactly the cycles `prism op --no-reload` reports
 * for that shape, and, queued back to back, start one initiation interval
 * (measured by `prism op --count 2`) after the previous one. A reload per
 * MVM, a wrong weight_id comparison or a different overlap in a full run
 * all break these. */
static void check_xbar(sqlite3 *h, const char *dev, double t_write_ns)
{
    char drvbuf[128];
    const char *drv = driver_of(h, dev, drvbuf, sizeof drvbuf);
    cJSON *p = params_of(h, dev), *dp = params_of(h, drv);
    double T = period_of(h, dev);
    item_t items[32];
    int n = driver_items(dp, items, 32);
    ck_assert_msg(n >= 2 && !strcmp(items[0].op, "program") && items[0].count == 1,
                  "%s: the driver should program once, then send MVMs", drv);
    double k = items[1].k, nn = items[1].n, N = 0;
    for (int i = 1; i < n; i++) {
        ck_assert_str_eq(items[i].op, "mvm");
        ck_assert(items[i].k == k && items[i].n == nn && items[i].m == 1 &&
                  items[i].weight_id == items[0].weight_id);
        N += items[i].count;
    }
    double prog = cycles_up(fmin(k, pnum(p, "rows")) * t_write_ns * 1000, T);

    cJSON *one = op_json(h, dev, k, nn, 1), *two = op_json(h, dev, k, nn, 2);
    double c1 = jnum(one, "cycles");
    ck_assert_double_eq(jnum(one, "latency_ps"), c1 * T);
    double ii = jnum(two, "latency_ps") - c1 * T; /* second MVM starts this much later */
    ck_assert(ii > 0 && ii <= c1 * T);
    cJSON_Delete(one);
    cJSON_Delete(two);

    ck_assert_msg(stat_of(h, drv, "device_cycles") == prog + N * c1,
                  "%s: %g device cycles; 1 programming (%g) + %g x %g = %g", dev,
                  stat_of(h, drv, "device_cycles"), prog, N, c1, prog + N * c1);
    ck_assert_double_eq(stat_of(h, dev, "ops.program"), 1);
    ck_assert_double_eq(stat_of(h, dev, "ops.mvm"), N);
    /* queued back to back: programming, N - 1 intervals, the last MVM */
    ck_assert_msg(pnum(dp, "outstanding") > 1, "the span form needs requests queued at %s", dev);
    double arrival = stat_of(h, drv, "first_send_ps") + link_delay_ps(h, drv, dev);
    double span = ceil(arrival / T) * T - arrival + prog * T + (N - 1) * ii + c1 * T;
    ck_assert_msg(fabs(stat_of(h, drv, "device_span_ps") - span) < 0.5,
                  "%s: span %.0f ps, expected %.0f ps", dev, stat_of(h, drv, "device_span_ps"),
                  span);
    cJSON_Delete(p);
    cJSON_Delete(dp);
}

START_TEST(analog_config)
{
    SKIP_WITHOUT_PRISM();
    const char *db = run_config("configs/analog.yaml", "analog");
    check_run(db, 2);
    sqlite3 *h = db_open(db);
    cJSON *p = params_of(h, "pcm");
    check_xbar(h, "pcm", pnum(p, "set_ns") + pnum(p, "reset_ns")); /* reset then set */
    cJSON_Delete(p);
    p = params_of(h, "rram");
    check_xbar(h, "rram", pnum(p, "write_ns"));
    cJSON_Delete(p);
    /* the drift reads went through: some MVM requests carry read_after_s */
    ck_assert_ptr_nonnull(strstr(pstr(p = params_of(h, "drv_pcm"), "requests"), "read_after_s="));
    cJSON_Delete(p);
    sqlite3_close(h);
}
END_TEST

/* ---- devices: all twelve models; SCALE-Sim and SRAM closed forms; diff ----------------------- */

/* SCALE-Sim v2, weight stationary: ceil(K/R) ceil(N/C) (M + 2R + C - 2) - 1 */
static void check_systolic(sqlite3 *h, const char *sa)
{
    char drvbuf[128];
    const char *drv = driver_of(h, sa, drvbuf, sizeof drvbuf);
    cJSON *p = params_of(h, sa), *dp = params_of(h, drv);
    ck_assert_str_eq(pstr(p, "dataflow"), "ws");
    ck_assert_str_eq(pstr(p, "mode"), "scalesim");
    double R = pnum(p, "rows"), C = pnum(p, "cols"), want = 0;
    item_t items[32];
    int n = driver_items(dp, items, 32);
    for (int i = 0; i < n; i++) {
        ck_assert_str_eq(items[i].op, "gemm");
        double M = items[i].m, K = items[i].k, N = items[i].n;
        want += items[i].count * (ceil(K / R) * ceil(N / C) * (M + 2 * R + C - 2) - 1);
    }
    ck_assert_msg(stat_of(h, drv, "device_cycles") == want, "%s: %g cycles, SCALE-Sim ws %g", sa,
                  stat_of(h, drv, "device_cycles"), want);
    ck_assert_double_eq(stat_of(h, sa, "busy_ps"), want * period_of(h, sa));
    cJSON_Delete(p);
    cJSON_Delete(dp);
}

/* docs/devices/sram.md, aligned accesses, word interleave:
 * latency + ceil(m / (banks x ports x bank_bw)) cycles each */
static void check_sram(sqlite3 *h, const char *buf)
{
    char drvbuf[128];
    const char *drv = driver_of(h, buf, drvbuf, sizeof drvbuf);
    cJSON *p = params_of(h, buf), *dp = params_of(h, drv);
    ck_assert_str_eq(pstr(p, "interleave"), "word");
    double wb = pnum(p, "word_bytes"), want = 0;
    ck_assert_double_eq(pnum(p, "bank_bw_bytes"), wb);
    item_t items[32];
    int n = driver_items(dp, items, 32);
    for (int i = 0; i < n; i++) {
        ck_assert(fmod(items[i].k, wb) == 0 && fmod(items[i].m, wb) == 0);
        want +=
            items[i].count *
            (pnum(p, "latency_cycles") +
             ceil(items[i].m / (pnum(p, "banks") * pnum(p, "ports") * pnum(p, "bank_bw_bytes"))));
    }
    ck_assert_msg(stat_of(h, drv, "device_cycles") == want, "%s: %g cycles, closed form %g", buf,
                  stat_of(h, drv, "device_cycles"), want);
    cJSON_Delete(p);
    cJSON_Delete(dp);
}

START_TEST(hybrid_config)
{
    SKIP_WITHOUT_PRISM();
    const char *a = run_config("configs/devices.yaml", "devices_a");
    check_run(a, 12);
    sqlite3 *h = db_open(a);
    static const char *const kinds[] = {"mzi_mesh", "mrr_bank", "laser",     "photodetector",
                                        "dac",      "adc",      "rram_xbar", "pcm_xbar",
                                        "systolic", "vector",   "sram",      "dram"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        ck_assert_msg(
            atoi(q_text(h, "SELECT count(*) FROM components WHERE model = '%s'", kinds[i])) == 1,
            "devices.yaml has no (or several) %s", kinds[i]);
    check_systolic(h, "sa");
    check_sram(h, "buf");
    check_mesh(h, "mesh");
    sqlite3_close(h);

    /* a second run of the same config is the same run */
    const char *b = run_config("configs/devices.yaml", "devices_b");
    char out[16384];
    int st = run_out(out, sizeof out, "%s diff %s %s 2>&1", prism, a, b);
    ck_assert_msg(st == 0, "prism diff of two hybrid runs exited %d: %.2000s", st, out);
    /* ... and diff does see a different run */
    const char *c = run_config("configs/analog.yaml", "analog_for_diff");
    st = run_out(out, sizeof out, "%s diff %s %s 2>&1", prism, a, c);
    ck_assert_msg(st == 1, "prism diff of hybrid vs analog exited %d: %.2000s", st, out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("configs");
    TCase *tc = tcase_create("configs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, photonic_config);
    tcase_add_test(tc, analog_config);
    tcase_add_test(tc, hybrid_config);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
