/* `prism chip`: the silicon area of a chip config from its devices' own area
 * models (dev_area), and area-matched homogeneous chips built from a
 * heterogeneous one (the baselines of `prism map compare`).
 *
 *   prism chip area CONFIG [--json | --csv] [--components] [--set K=V,...]
 *   prism chip match CONFIG --tier digital|rram|photonic -o OUT.yaml [--name NAME]
 *
 * The match rule: keep every component that is not a GEMM unit (the driver,
 * vector units, buffer, DRAM) and the wire `x_<tier>` of each tier the new
 * chip still has; fill the rest of CONFIG's die area with copies of the
 * first unit of the chosen tier in CONFIG (same parameters, same links),
 * as many as fit: the new chip's area is at most CONFIG's and less than one
 * unit below it. */
#include "cli/cli.h"
#include "cli/out.h"
#include "cli/set.h"
#include "devices/dev.h"

#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tier of a model, for totals: its category from its own record
 * (devices/dev.h): GEMM tiers as the mapper names them, converters, lasers
 * and detectors with the photonic tier, memories and wires apart. */
static const char *model_tier(const char *model)
{
    return dev_model_category(model);
}

/* 1 when `model` is a GEMM unit (it accepts MVM or GEMM requests) of the
 * mapper's tier `tier` ("digital", "xbar", "photonic"; NULL: any). */
static int is_gemm_unit(const char *model, const char *tier)
{
    return dev_model_is_gemm(model) && (!tier || strcmp(model_tier(model), tier) == 0);
}

static int load_config(const char *cmd, const char *path, const cli_sets_t *sets, sim_t **s)
{
    const char *kv[64];
    char buf[8192];
    for (size_t i = 0; i < sets->n; i++)
        if (sets->keys[i].nvals != 1)
            return cli_usage_error(cmd, "--set %s: %zu values given; one per key",
                                   sets->keys[i].key, sets->keys[i].nvals);
    if (sets->n > 64 || cli_sets_point(sets, 0, kv, buf, sizeof buf))
        return cli_usage_error(cmd, "too many or too long --set values");
    sim_config_over_t over;
    memset(&over, 0, sizeof over);
    over.set = kv;
    over.nset = sets->n;
    char err[1024];
    if (sim_config_load(path, &over, s, NULL, err, sizeof err)) {
        fprintf(stderr, "prism %s: %s\n", cmd, err);
        return 2;
    }
    return 0;
}

static void parts_text(const dev_area_t *a, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < a->nparts && used < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%s %.4g", i ? ", " : "", a->part[i].name,
                         a->part[i].um2 * 1e-6);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (a->offdie_um2 > 0.0 && used < n)
        snprintf(buf + used, n - used, "%soff-die %.4g", used ? ", " : "", a->offdie_um2 * 1e-6);
}

/* ---- prism chip area ---------------------------------------------------------------- */
static void area_usage(FILE *f)
{
    fprintf(f,
            "usage: prism chip area CONFIG [--json | --csv] [--components] [--set K=V,...]\n\n"
            "Silicon area of a chip config, from each device model's area function and its\n"
            "parameters (docs/devices.md \"Area\"): per model (count, area of one unit, total),\n"
            "per tier, and the chip total in mm^2. The logic die holds everything but the DRAM\n"
            "dies of a 3D stack, which are reported apart (off-die). Drivers hold no area.\n\n"
            "  --components          one row per component (with its parts) instead of per model\n"
            "  --json                one JSON object: components, models, tiers, totals\n"
            "  --csv                 the table as CSV\n"
            "  --set K=V[,K=V...]    override the config (COMPONENT.PARAM=VALUE, as prism run)\n"
            "  -h, --help            this text\n\n"
            "example: prism chip area configs/hybrid.yaml\n");
}

typedef struct group {
    const char *model, *tier;
    size_t count;
    double first_um2, total_um2, offdie_um2;
    int uniform;
} group_t;

/* a chip whose components all lack an area model is 0 mm^2: say why, on
 * stderr (stdout keeps the table, CSV or JSON as asked) */
static void no_area_note(sim_t *s, const dev_chip_area_t *ca, const char *path)
{
    for (size_t i = 0; i < ca->n; i++)
        if (ca->device[i])
            return;
    char models[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < sim_comp_count(s) && len < sizeof models - 1; i++) {
        const char *m = sim_comp_model(sim_comp_at(s, i));
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(m, sim_comp_model(sim_comp_at(s, j)));
        if (!seen)
            len += (size_t)snprintf(models + len, sizeof models - len, "%s%s", len ? ", " : "", m);
    }
    fprintf(stderr,
            "prism chip area: %s: 0 mm2 because none of its %zu components has an area model "
            "(its models: %s); areas come from device models such as systolic, rram_xbar, "
            "mzi_mesh, sram (prism models lists every model)\n",
            path, sim_comp_count(s), models);
}

/* `prism chip area --json`: components, models, tiers, totals. */
static void area_json(const char *path, sim_t *s, const dev_chip_area_t *ca, const group_t *g,
                      size_t ng, const char *const *tiers, const double *tier_um2,
                      const double *tier_off, size_t nt)
{
    printf("{\"config\": ");
    out_json_string(stdout, path);
    printf(", \"components\": [");
    int first = 1;
    for (size_t i = 0; i < ca->n; i++) {
        if (!ca->device[i])
            continue;
        const sim_comp_t *c = sim_comp_at(s, i);
        printf("%s\n  {\"name\": ", first ? "" : ",");
        first = 0;
        out_json_string(stdout, sim_comp_name(c));
        printf(", \"model\": ");
        out_json_string(stdout, sim_comp_model(c));
        printf(", \"tier\": ");
        out_json_string(stdout, model_tier(sim_comp_model(c)));
        printf(", \"area_mm2\": %.9g, \"offdie_mm2\": %.9g, \"parts_mm2\": {",
               ca->area[i].um2 * 1e-6, ca->area[i].offdie_um2 * 1e-6);
        for (size_t p = 0; p < ca->area[i].nparts; p++) {
            printf("%s", p ? ", " : "");
            out_json_string(stdout, ca->area[i].part[p].name);
            printf(": %.9g", ca->area[i].part[p].um2 * 1e-6);
        }
        printf("}}");
    }
    printf("],\n \"models\": [");
    for (size_t k = 0; k < ng; k++) {
        printf("%s\n  {\"model\": ", k ? "," : "");
        out_json_string(stdout, g[k].model);
        printf(", \"tier\": ");
        out_json_string(stdout, g[k].tier);
        printf(", \"count\": %zu, \"unit_mm2\": ", g[k].count);
        if (g[k].uniform)
            printf("%.9g", g[k].first_um2 * 1e-6);
        else
            printf("null");
        printf(", \"total_mm2\": %.9g, \"offdie_mm2\": %.9g}", g[k].total_um2 * 1e-6,
               g[k].offdie_um2 * 1e-6);
    }
    printf("],\n \"tiers\": {");
    int ft = 1;
    for (size_t t = 0; t < nt; t++) {
        if (tier_um2[t] <= 0.0 && tier_off[t] <= 0.0)
            continue;
        printf("%s\"%s\": %.9g", ft ? "" : ", ", tiers[t], tier_um2[t] * 1e-6);
        ft = 0;
    }
    printf("},\n \"die_mm2\": %.9g, \"offdie_mm2\": %.9g}\n", ca->die_um2 * 1e-6,
           ca->offdie_um2 * 1e-6);
}

static int area_main(int argc, char **argv, cli_sets_t *sets)
{
    int json = 0, csv = 0, per_comp = 0;
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},       {"csv", no_argument, NULL, 'c'},
        {"components", no_argument, NULL, 'C'}, {"set", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    opterr = 0;
    optind = 1;
    int o;
    char err[1024];
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (o) {
        case 'j': json = 1; break;
        case 'c': csv = 1; break;
        case 'C': per_comp = 1; break;
        case 's':
            if (cli_sets_add(sets, optarg, err, sizeof err))
                return cli_usage_error("chip area", "--set: %s", err);
            break;
        case 'h': area_usage(stdout); return 0;
        default: return cli_bad_option("chip area", o, argv);
        }
    }
    if (json && csv)
        return cli_usage_error("chip area", "--json and --csv are exclusive");
    if (optind != argc - 1)
        return cli_usage_error("chip area", optind >= argc
                                                ? "needs a config file (prism chip area CONFIG)"
                                                : "one config at a time");
    const char *path = argv[optind];
    sim_t *s = NULL;
    int rc = load_config("chip area", path, sets, &s);
    if (rc)
        return rc;
    dev_chip_area_t ca;
    if (dev_chip_area(s, &ca, err, sizeof err)) {
        fprintf(stderr, "prism chip area: %s: %s\n", path, err);
        sim_destroy(s);
        return 2;
    }
    /* per model, in order of first appearance */
    group_t *g = calloc(ca.n ? ca.n : 1, sizeof *g);
    size_t ng = 0;
    /* the tier totals are the library's (dev_chip_area: by each model's record) */
    const char *tiers[] = {"digital", "xbar",         "photonic", "memory",
                           "network", "interconnect", "other"};
    enum { NT = sizeof tiers / sizeof *tiers };
    double tier_um2[NT] = {0}, tier_off[NT] = {0};
    for (size_t t = 0; t < NT; t++)
        for (int c = 0; c < DEV_CAT_COUNT; c++)
            if (!strcmp(tiers[t], dev_category_name((dev_category_t)c))) {
                tier_um2[t] = ca.cat_um2[c];
                tier_off[t] = ca.cat_offdie_um2[c];
            }
    if (!g) {
        fprintf(stderr, "prism chip area: out of memory\n");
        dev_chip_area_free(&ca);
        sim_destroy(s);
        return 1;
    }
    for (size_t i = 0; i < ca.n; i++) {
        if (!ca.device[i])
            continue;
        const char *m = sim_comp_model(sim_comp_at(s, i));
        size_t k = 0;
        while (k < ng && strcmp(g[k].model, m) != 0)
            k++;
        if (k == ng) {
            g[ng].model = m;
            g[ng].tier = model_tier(m);
            g[ng].first_um2 = ca.area[i].um2;
            g[ng].uniform = 1;
            ng++;
        }
        g[k].count++;
        g[k].total_um2 += ca.area[i].um2;
        g[k].offdie_um2 += ca.area[i].offdie_um2;
        if (fabs(ca.area[i].um2 - g[k].first_um2) > 1e-9 * (1.0 + g[k].first_um2))
            g[k].uniform = 0;
    }
    char parts[512];
    if (json) {
        area_json(path, s, &ca, g, ng, tiers, tier_um2, tier_off, NT);
    } else {
        out_t *out = out_create(stdout, csv ? OUT_CSV : OUT_TABLE, 0);
        if (!out) {
            fprintf(stderr, "prism chip area: out of memory\n");
            rc = 1;
        } else if (per_comp) {
            out_column(out, "component");
            out_column(out, "model");
            out_column(out, "tier");
            out_column(out, "area_mm2");
            out_column(out, "share");
            out_column(out, "parts_mm2");
            for (size_t i = 0; i < ca.n; i++) {
                if (!ca.device[i])
                    continue;
                const sim_comp_t *c = sim_comp_at(s, i);
                out_text(out, sim_comp_name(c));
                out_text(out, sim_comp_model(c));
                out_text(out, model_tier(sim_comp_model(c)));
                out_fixed(out, ca.area[i].um2 * 1e-6, 4);
                char sh[32];
                snprintf(sh, sizeof sh, "%.1f %%",
                         ca.die_um2 > 0 ? 100.0 * ca.area[i].um2 / ca.die_um2 : 0.0);
                out_text_num(out, sh);
                parts_text(&ca.area[i], parts, sizeof parts);
                out_text(out, parts);
            }
        } else {
            out_column(out, "model");
            out_column(out, "tier");
            out_column(out, "count");
            out_column(out, "unit_mm2");
            out_column(out, "total_mm2");
            out_column(out, "share");
            for (size_t k = 0; k < ng; k++) {
                out_text(out, g[k].model);
                out_text(out, g[k].tier);
                out_int(out, (long long)g[k].count);
                if (g[k].uniform)
                    out_fixed(out, g[k].first_um2 * 1e-6, 4);
                else
                    out_text_num(out, "varies");
                out_fixed(out, g[k].total_um2 * 1e-6, 3);
                char sh[32];
                snprintf(sh, sizeof sh, "%.1f %%",
                         ca.die_um2 > 0 ? 100.0 * g[k].total_um2 / ca.die_um2 : 0.0);
                out_text_num(out, sh);
            }
        }
        if (out && out_finish(out))
            rc = 1;
        if (!csv && !rc) {
            printf("\nby tier (mm2):");
            for (size_t t = 0; t < NT; t++)
                if (tier_um2[t] > 0.0)
                    printf(" %s %.3f", tiers[t], tier_um2[t] * 1e-6);
            printf("\nlogic die: %.3f mm2", ca.die_um2 * 1e-6);
            if (ca.offdie_um2 > 0.0)
                printf("   off-die (DRAM stacks, not in the total): %.3f mm2",
                       ca.offdie_um2 * 1e-6);
            printf("\n");
        }
    }
    if (!rc)
        no_area_note(s, &ca, path);
    free(g);
    dev_chip_area_free(&ca);
    sim_destroy(s);
    return rc;
}

/* ---- prism chip match ---------------------------------------------------------------- */
static void match_usage(FILE *f)
{
    fprintf(f,
            "usage: prism chip match CONFIG --tier digital|rram|photonic -o OUT.yaml [--name N]\n\n"
            "Writes a homogeneous chip of the same die area as CONFIG (prism chip area): every\n"
            "component of CONFIG that is not a GEMM unit (driver, vector units, buffer, DRAM)\n"
            "stays, with the wires x_<tier> of the tiers the new chip has; the rest of the area\n"
            "is filled with copies of CONFIG's first unit of that tier (its parameters and\n"
            "links), as many as fit: the result is at most CONFIG's area and less than one\n"
            "unit below it. CONFIG must list one component and one link per line (flow style,\n"
            "as configs/hybrid.yaml does); other lines are copied as they are.\n\n"
            "  --tier T       digital (systolic arrays), rram (crossbars), photonic (cores)\n"
            "  -o FILE        the config to write (refused when it names CONFIG)\n"
            "  --name N       the chip's name: line (default: OUT's file name without .yaml)\n"
            "  --json         the result as one JSON object (units, unit_mm2, die_mm2, ...)\n"
            "  -h, --help     this text\n\n"
            "example: prism chip match configs/hybrid.yaml --tier rram -o configs/all-rram.yaml\n");
}

typedef struct line {
    char *text;
    int kind;       /* 0 other, 1 component, 2 link, 3 name:, 4 leading comment, 5 attach */
    int unit_node;  /* attach line: the node held GEMM units */
    char comp[128]; /* component line: its name */
    char from[128], to[128]; /* link line: component names */
} line_t;

static void comp_of(const char *endpoint, char *out, size_t n)
{
    size_t i = 0;
    while (endpoint[i] && endpoint[i] != '.' && endpoint[i] != ',' && endpoint[i] != '}' &&
           !isspace((unsigned char)endpoint[i]) && i + 1 < n) {
        out[i] = endpoint[i];
        i++;
    }
    out[i] = '\0';
}

/* Replace whole-word occurrences of `from` by `to` in `in` (malloc'd). */
static char *rename_word(const char *in, const char *from, const char *to)
{
    size_t lf = strlen(from), lt = strlen(to), cap = strlen(in) * (lt > lf ? lt / lf + 2 : 1) + 64;
    char *o = malloc(cap), *w = o;
    if (!o)
        return NULL;
    for (const char *p = in; *p;) {
        int word = strncmp(p, from, lf) == 0 &&
                   (p == in || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) &&
                   !(isalnum((unsigned char)p[lf]) || p[lf] == '_');
        if (word) {
            memcpy(w, to, lt);
            w += lt;
            p += lf;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    return o;
}

/* Calls fn(name, ctx) for each member of a network attach list "a, b, x0..x7"
 * (a range x0..x7 is x0, x1, ..., x7). */
static void attach_members(const char *list, void (*fn)(const char *name, void *ctx), void *ctx)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",\n", &save); t; t = strtok_r(NULL, ",\n", &save)) {
        while (isspace((unsigned char)*t))
            t++;
        char *e = t + strlen(t);
        while (e > t && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (!*t)
            continue;
        char *dots = strstr(t, "..");
        if (dots) {
            *dots = '\0';
            const char *a = t, *b = dots + 2;
            size_t pa = strlen(a), pb = strlen(b);
            while (pa > 0 && isdigit((unsigned char)a[pa - 1]))
                pa--;
            while (pb > 0 && isdigit((unsigned char)b[pb - 1]))
                pb--;
            if (pa == pb && strncmp(a, b, pa) == 0 && a[pa] && b[pb]) {
                long lo = strtol(a + pa, NULL, 10), hi = strtol(b + pb, NULL, 10);
                for (long i = lo; i <= hi && i - lo < 100000; i++) {
                    char nm[160];
                    snprintf(nm, sizeof nm, "%.*s%ld", (int)pa, a, i);
                    fn(nm, ctx);
                }
                continue;
            }
            *dots = '.';
        }
        fn(t, ctx);
    }
}

typedef struct attach_scan {
    sim_t *s;
    const char *keep;
    int gemm;       /* a GEMM unit is attached here */
    char out[4096]; /* kept members, ", "-separated */
} attach_scan_t;

static void attach_scan(const char *name, void *ctx)
{
    attach_scan_t *a = ctx;
    sim_comp_t *c = sim_comp_find(a->s, name);
    if (c && is_gemm_unit(sim_comp_model(c), NULL))
        a->gemm = 1;
    if (c && !a->keep[sim_comp_id(c)])
        return;
    size_t l = strlen(a->out);
    snprintf(a->out + l, sizeof a->out - l, "%s%s", l ? ", " : "", name);
}

static int match_main(int argc, char **argv)
{
    const char *tier_opt = NULL, *out_path = NULL, *name_opt = NULL;
    int json = 0;
    static const struct option opts[] = {
        {"tier", required_argument, NULL, 't'},   {"json", no_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'}, {"name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    opterr = 0;
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (o) {
        case 't': tier_opt = optarg; break;
        case 'o': out_path = optarg; break;
        case 'n': name_opt = optarg; break;
        case 'j': json = 1; break;
        case 'h': match_usage(stdout); return 0;
        default: return cli_bad_option("chip match", o, argv);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("chip match", optind >= argc
                                                 ? "needs a config file (prism chip match CONFIG)"
                                                 : "one config at a time");
    if (!tier_opt)
        return cli_usage_error("chip match", "needs --tier digital|rram|photonic");
    const char *tier = strcmp(tier_opt, "digital") == 0    ? "digital"
                       : strcmp(tier_opt, "rram") == 0     ? "xbar"
                       : strcmp(tier_opt, "xbar") == 0     ? "xbar"
                       : strcmp(tier_opt, "photonic") == 0 ? "photonic"
                                                           : NULL;
    if (!tier)
        return cli_usage_error("chip match", "--tier %s: expected digital, rram or photonic",
                               tier_opt);
    if (!out_path)
        return cli_usage_error("chip match", "needs -o OUT.yaml");
    const char *path = argv[optind];
    if (cli_same_file(path, out_path))
        return cli_usage_error("chip match", "-o %s names the input config", out_path);
    cli_sets_t none = {0};
    sim_t *s = NULL;
    int rc = load_config("chip match", path, &none, &s);
    if (rc)
        return rc;
    char err[1024];
    dev_chip_area_t ca;
    if (dev_chip_area(s, &ca, err, sizeof err)) {
        fprintf(stderr, "prism chip match: %s: %s\n", path, err);
        sim_destroy(s);
        return 2;
    }
    /* the template: the first unit of the tier; what stays and what goes */
    size_t n = sim_comp_count(s);
    int tmpl = -1, has_vec = 0;
    for (size_t i = 0; i < n; i++) {
        const char *m = sim_comp_model(sim_comp_at(s, i));
        if (tmpl < 0 && is_gemm_unit(m, tier))
            tmpl = (int)i;
        if (strcmp(m, "vector") == 0)
            has_vec = 1;
    }
    if (tmpl < 0) {
        fprintf(stderr, "prism chip match: %s has no %s unit to copy (--tier %s)\n", path, tier_opt,
                tier_opt);
        dev_chip_area_free(&ca);
        sim_destroy(s);
        return 2;
    }
    char *keep = calloc(n ? n : 1, 1);
    double kept_um2 = 0.0;
    for (size_t i = 0; keep && i < n; i++) {
        const sim_comp_t *c = sim_comp_at(s, i);
        const char *m = sim_comp_model(c), *nm = sim_comp_name(c);
        if (is_gemm_unit(m, NULL))
            continue;
        if (strcmp(m, "wire") == 0 && strncmp(nm, "x_", 2) == 0) {
            const char *wt = nm + 2;
            int present = strcmp(wt, tier) == 0 || (strcmp(wt, "digital") == 0 && has_vec);
            if (!present)
                continue;
        }
        keep[i] = 1;
        kept_um2 += ca.area[i].um2;
    }
    double unit_um2 = ca.area[tmpl].um2;
    double room = ca.die_um2 - kept_um2;
    long count = unit_um2 > 0.0 ? (long)floor(room / unit_um2 + 1e-9) : 0;
    char tname[128], prefix[128];
    snprintf(tname, sizeof tname, "%s", sim_comp_name(sim_comp_at(s, (size_t)tmpl)));
    snprintf(prefix, sizeof prefix, "%s", tname);
    size_t pl = strlen(prefix);
    while (pl > 0 && isdigit((unsigned char)prefix[pl - 1]))
        prefix[--pl] = '\0';
    if (!keep || count < 1 || !(unit_um2 > 0.0)) {
        if (keep)
            fprintf(stderr,
                    "prism chip match: %s: no room for a %s unit (%.4f mm2): the shared parts "
                    "take %.3f of %.3f mm2\n",
                    path, tier_opt, unit_um2 * 1e-6, kept_um2 * 1e-6, ca.die_um2 * 1e-6);
        else
            fprintf(stderr, "prism chip match: out of memory\n");
        free(keep);
        dev_chip_area_free(&ca);
        sim_destroy(s);
        return keep ? 2 : 1;
    }
    /* read CONFIG's lines */
    FILE *f = fopen(path, "r");
    line_t *lines = NULL;
    size_t nl = 0, cap = 0;
    char buf[4096];
    int section = 0, in_header = 1;
    while (f && fgets(buf, sizeof buf, f)) {
        if (nl == cap) {
            cap = cap ? cap * 2 : 256;
            line_t *nlines = realloc(lines, cap * sizeof *lines);
            if (!nlines)
                break;
            lines = nlines;
        }
        line_t *L = &lines[nl];
        memset(L, 0, sizeof *L);
        L->text = strdup(buf);
        if (!L->text)
            break;
        nl++;
        if (in_header && buf[0] == '#') {
            L->kind = 4;
            continue;
        }
        in_header = 0;
        if (!isspace((unsigned char)buf[0]) && buf[0] != '#' && buf[0] != '\n')
            section = strncmp(buf, "components:", 11) == 0 ? 1
                      : strncmp(buf, "links:", 6) == 0     ? 2
                      : strncmp(buf, "network:", 8) == 0   ? 3
                                                           : 0;
        if (strncmp(buf, "name:", 5) == 0)
            L->kind = 3;
        else if (section == 1 && buf[0] == ' ' && strstr(buf, ": {")) {
            const char *p = buf;
            while (*p == ' ')
                p++;
            size_t k = 0;
            while (p[k] && p[k] != ':' && k + 1 < sizeof L->comp) {
                L->comp[k] = p[k];
                k++;
            }
            L->comp[k] = '\0';
            L->kind = 1;
        } else if (section == 2 && strstr(buf, "from:") && strstr(buf, "to:")) {
            const char *a = strstr(buf, "from:") + 5, *b = strstr(buf, "to:") + 3;
            while (*a == ' ')
                a++;
            while (*b == ' ')
                b++;
            comp_of(a, L->from, sizeof L->from);
            comp_of(b, L->to, sizeof L->to);
            L->kind = 2;
        } else if (section == 3 && strncmp(buf, "  attach.", 9) == 0 && strchr(buf, ':')) {
            L->kind = 5;
        }
    }
    int read_ok = f && !ferror(f);
    if (f)
        fclose(f);
    /* every component must have its own line: the line format is what we edit */
    int found_tmpl = 0;
    for (size_t i = 0; i < nl; i++)
        if (lines[i].kind == 1 && strcmp(lines[i].comp, tname) == 0)
            found_tmpl = 1;
    if (!read_ok || !found_tmpl) {
        fprintf(stderr, "prism chip match: %s: %s\n", path,
                read_ok ? "cannot find the unit's one-line entry under components: (flow style "
                          "'  NAME: {model: ...}' expected)"
                        : "cannot read the file");
        rc = 2;
        goto done;
    }
    /* the network's nodes that held GEMM units share the new units */
    long unit_nodes = 0;
    for (size_t i = 0; i < nl; i++)
        if (lines[i].kind == 5) {
            attach_scan_t a;
            memset(&a, 0, sizeof a);
            a.s = s;
            a.keep = keep;
            attach_members(strchr(lines[i].text, ':') + 1, attach_scan, &a);
            lines[i].unit_node = a.gemm;
            unit_nodes += a.gemm;
        }
    /* write OUT */
    char name[128];
    if (name_opt)
        snprintf(name, sizeof name, "%s", name_opt);
    else {
        const char *b = strrchr(out_path, '/');
        snprintf(name, sizeof name, "%s", b ? b + 1 : out_path);
        char *dot = strstr(name, ".yaml");
        if (dot)
            *dot = '\0';
    }
    FILE *w = fopen(out_path, "w");
    if (!w) {
        fprintf(stderr, "prism chip match: cannot write %s\n", out_path);
        rc = 1;
        goto done;
    }
    double new_um2 = kept_um2 + (double)count * unit_um2;
    fprintf(w,
            "# Homogeneous baseline written by `prism chip match %s --tier %s`: %ld %s units\n"
            "# (copies of %s's '%s', %s) plus the parts every chip keeps; die area %.3f mm2\n"
            "# against %.3f mm2 (prism chip area; rule: cli/cmd_chip.c, configs/README.md).\n",
            path, tier_opt, count, sim_comp_model(sim_comp_at(s, (size_t)tmpl)), path, tname, tier,
            new_um2 * 1e-6, ca.die_um2 * 1e-6);
    for (size_t i = 0; i < nl && !rc; i++) {
        line_t *L = &lines[i];
        if (L->kind == 4)
            continue;
        if (L->kind == 3) {
            fprintf(w, "name: %s\n", name);
            continue;
        }
        if (L->kind == 5) {
            attach_scan_t a;
            memset(&a, 0, sizeof a);
            a.s = s;
            a.keep = keep;
            const char *colon = strchr(L->text, ':');
            attach_members(colon + 1, attach_scan, &a);
            if (L->unit_node) {
                long j = 0; /* this node's index among the unit nodes */
                for (size_t q = 0; q < i; q++)
                    j += lines[q].kind == 5 && lines[q].unit_node;
                long lo = j * count / unit_nodes, hi = (j + 1) * count / unit_nodes;
                size_t l = strlen(a.out);
                if (hi - lo == 1)
                    snprintf(a.out + l, sizeof a.out - l, "%s%s%ld", l ? ", " : "", prefix, lo);
                else if (hi - lo > 1)
                    snprintf(a.out + l, sizeof a.out - l, "%s%s%ld..%s%ld", l ? ", " : "", prefix,
                             lo, prefix, hi - 1);
            }
            if (a.out[0])
                fprintf(w, "%.*s: %s\n", (int)(colon - L->text), L->text, a.out);
            continue;
        }
        int ci = -1, fi = -1, ti = -1;
        if (L->kind == 1)
            ci = sim_comp_find(s, L->comp) ? (int)sim_comp_id(sim_comp_find(s, L->comp)) : -1;
        if (L->kind == 2) {
            fi = sim_comp_find(s, L->from) ? (int)sim_comp_id(sim_comp_find(s, L->from)) : -1;
            ti = sim_comp_find(s, L->to) ? (int)sim_comp_id(sim_comp_find(s, L->to)) : -1;
        }
        int is_tmpl = (L->kind == 1 && ci == tmpl) || (L->kind == 2 && (fi == tmpl || ti == tmpl));
        if (is_tmpl) {
            for (long u = 0; u < count; u++) {
                char nn[160];
                snprintf(nn, sizeof nn, "%s%ld", prefix, u);
                char *t = rename_word(L->text, tname, nn);
                if (!t) {
                    rc = 1;
                    break;
                }
                fputs(t, w);
                free(t);
            }
            continue;
        }
        if (L->kind == 1 && ci >= 0 && !keep[ci])
            continue;
        if (L->kind == 2 && ((fi >= 0 && !keep[fi]) || (ti >= 0 && !keep[ti])))
            continue;
        fputs(L->text, w);
    }
    if (fclose(w) && !rc)
        rc = 1;
    if (rc) {
        fprintf(stderr, "prism chip match: writing %s failed\n", out_path);
        goto done;
    }
    /* check what was written: it loads and has the area computed above */
    sim_t *chk = NULL;
    dev_chip_area_t ck;
    if (sim_config_load(out_path, NULL, &chk, NULL, err, sizeof err) ||
        dev_chip_area(chk, &ck, err, sizeof err)) {
        fprintf(stderr, "prism chip match: the written %s does not load: %s\n", out_path, err);
        sim_destroy(chk);
        rc = 1;
        goto done;
    }
    if (json) {
        printf("{\"output\":");
        out_json_string(stdout, out_path);
        printf(",\"input\":");
        out_json_string(stdout, path);
        printf(",\"tier\":");
        out_json_string(stdout, tier);
        printf(",\"unit_model\":");
        out_json_string(stdout, sim_comp_model(sim_comp_at(s, (size_t)tmpl)));
        printf(",\"units\":%ld,\"unit_mm2\":%.6f,\"shared_mm2\":%.6f,\"die_mm2\":%.6f,"
               "\"input_die_mm2\":%.6f,\"difference_pct\":%.4f}\n",
               count, unit_um2 * 1e-6, kept_um2 * 1e-6, ck.die_um2 * 1e-6, ca.die_um2 * 1e-6,
               100.0 * (ck.die_um2 - ca.die_um2) / ca.die_um2);
    } else
        printf(
            "%s: %ld x %s (%.4f mm2 each) + shared %.3f mm2 = %.3f mm2 (%s: %.3f mm2, %+.2f %%)\n",
            out_path, count, sim_comp_model(sim_comp_at(s, (size_t)tmpl)), unit_um2 * 1e-6,
            kept_um2 * 1e-6, ck.die_um2 * 1e-6, path, ca.die_um2 * 1e-6,
            100.0 * (ck.die_um2 - ca.die_um2) / ca.die_um2);
    dev_chip_area_free(&ck);
    sim_destroy(chk);
done:
    for (size_t i = 0; i < nl; i++)
        free(lines[i].text);
    free(lines);
    free(keep);
    dev_chip_area_free(&ca);
    sim_destroy(s);
    return rc;
}

static void chip_usage(FILE *f)
{
    fprintf(f, "usage: prism chip area CONFIG [--json|--csv] [--components] [--set K=V,...]\n"
               "       prism chip match CONFIG --tier digital|rram|photonic -o OUT.yaml\n\n"
               "  area    silicon area per model, tier and chip from the devices' area models\n"
               "  match   write a homogeneous chip of the same area as CONFIG\n\n"
               "prism chip area --help and prism chip match --help say more.\n");
}

int cmd_chip(int argc, char **argv)
{
    if (argc < 2) {
        chip_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        chip_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "area") == 0) {
        cli_sets_t sets = {0};
        int rc = area_main(argc - 1, argv + 1, &sets);
        cli_sets_free(&sets);
        return rc;
    }
    if (strcmp(argv[1], "match") == 0)
        return match_main(argc - 1, argv + 1);
    return cli_usage_error("chip", "unknown subcommand '%s' (area, match)", argv[1]);
}
