/* prism op: run one operation on one device model through the engine (a
 * device "dut" fed by an op_driver "drv") and print cycles, latency, energy by
 * category and throughput; --check runs the device's numerics on seeded
 * random data against an exact FP64 result; --list prints every device. */
#include "cli/cli.h"
#include "cli/out.h"
#include "devices/dev_common.h"
#include "mapper/map.h"
#include "run/run.h"
#include "sim/sim.h"
#include "sim/trace.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* --count bound: 1e6 requests take about 0.6 s, all of them in flight by
 * default; 1e9 ran for minutes with no end in sight */
#define OP_MAX_COUNT 10000000ULL

#define OP_MAX_SETS 128

typedef struct op_args {
    const char *device;
    const char *sets[OP_MAX_SETS]; /* --set texts, each "a=1,b=2" */
    size_t n_sets;
    double clock_ghz; /* 0: the model's default clock */
    int kind;         /* dev_opkind_t, 0 none */
    const char *op_flag;
    uint64_t m, k, n;  /* the request */
    uint64_t rows, cols; /* shape as the user gave it (mvm: R x C) */
    int vfunc;
    const char *shape_text;
    uint64_t vectors;
    int vectors_set;
    uint64_t addr;
    double read_after_s;
    uint64_t weight_id;
    int no_reload;
    uint64_t count, outstanding;
    int outstanding_set;
    int check, noise;
    uint64_t seed;
    int json, list, help;
    const char *trace_path;
} op_args_t;

static void op_usage(FILE *f)
{
    fputs(
        "usage: prism op --device NAME [--set k=v,...] OPERATION [options]\n"
        "       prism op --list [--json]\n"
        "Runs one operation on one device model through the engine and prints its\n"
        "cycles, latency, energy (per category, static included) and throughput.\n"
        "Operations (one of):\n"
        "  --gemm MxKxN        [M x K] * [K x N]\n"
        "  --mvm RxC           an R-output x C-input matrix times --vectors N vectors (1)\n"
        "  --program RxC       (re)program an R x C weight matrix\n"
        "  --samples N         convert N samples (dac, adc, laser, photodetector)\n"
        "  --vector FUNC --shape RxC   R rows of C elements through FUNC\n"
        "                      (softmax|layernorm|rmsnorm|gelu|silu|relu|add|mul)\n"
        "  --read BYTES / --write BYTES   at --addr A (0); BYTES takes kB/MB/GB or KiB/MiB/GiB\n"
        "Options:\n"
        "  --set k=v,...       device parameters (repeatable); see --list\n"
        "  --clock-ghz F       device clock (default: the model's)\n"
        "  --read-after T      time since programming (analog memories): s, ms, us, ns, min,\n"
        "                      h, d suffixes (3600s, 1h)\n"
        "  --weight-id N       weight matrix id; --no-reload: weights already resident\n"
        "  --count N           send the operation N times (default 1, at most 1e7)\n"
        "  --outstanding K     requests in flight (default: all N back to back; 1: one\n"
        "                      at a time)\n"
        "  --check             run the device's numerics on seeded random data and print\n"
        "                      rel_error = ||y - y_exact|| / ||y_exact|| and the max abs error\n"
        "  --no-noise          numerics without noise (quantization only)\n"
        "  --seed S            random seed (default 1)\n"
        "  --trace FILE.db     write the run's trace database\n"
        "  --json              one JSON object (keys: device, op, shape, cycles, latency_ps,\n"
        "                      energy_pj, dynamic_energy_pj, static_energy_pj, energy_breakdown_pj,\n"
        "                      throughput, rel_error, ...)\n"
        "  --list              every device with its parameters, defaults, units, ranges, sources\n",
        f);
}

/* ---- parsing helpers --------------------------------------------------------------- */
/* "4096", "4KiB", "2MB", "1GiB" */
static int parse_bytes(const char *t, uint64_t *out)
{
    if (!t || !*t || *t == '-')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(t, &end);
    if (errno || end == t || !(v >= 0))
        return -1;
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {{"", 1},        {"B", 1},          {"kB", 1e3},       {"KB", 1e3},
                 {"MB", 1e6},    {"GB", 1e9},       {"KiB", 1024.0},   {"MiB", 1048576.0},
                 {"GiB", 1073741824.0}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].suffix) == 0) {
            double b = v * units[i].mult;
            if (b != floor(b) || b > 9.2e18)
                return -1;
            *out = (uint64_t)b;
            return 0;
        }
    return -1;
}

/* "3600s", "10ms", "1h", "2.5" (seconds) */
static int parse_duration_s(const char *t, double *out)
{
    if (!t || !*t)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(t, &end);
    if (errno || end == t || !isfinite(v) || v < 0)
        return -1;
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {{"", 1},       {"s", 1},         {"ms", 1e-3},   {"us", 1e-6},
                 {"ns", 1e-9},  {"min", 60},      {"h", 3600},    {"d", 86400}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].suffix) == 0) {
            *out = v * units[i].mult;
            return 0;
        }
    return -1;
}

/* "RxC" or "MxKxN": exactly `want` positive integers */
static int parse_dims(const char *t, uint64_t *d, int want)
{
    if (!t)
        return -1;
    const char *p = t;
    for (int i = 0; i < want; i++) {
        if (*p < '0' || *p > '9')
            return -1;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || v == 0)
            return -1;
        d[i] = v;
        p = end;
        if (i + 1 < want) {
            if (*p != 'x' && *p != 'X')
                return -1;
            p++;
        }
    }
    return *p ? -1 : 0;
}

static int set_op(op_args_t *a, const char *flag, int kind)
{
    if (a->kind) {
        fprintf(stderr, "prism op: give one operation, not both %s and %s\n", a->op_flag, flag);
        return -1;
    }
    a->kind = kind;
    a->op_flag = flag;
    return 0;
}

/* One option that takes a value (`flag` without "=value"). 0, or -1 after
 * the message. */
static int take_value(op_args_t *a, const char *flag, const char *val)
{
    uint64_t d[3];
    if (!strcmp(flag, "--device"))
        a->device = val;
    else if (!strcmp(flag, "--set")) {
        if (a->n_sets == OP_MAX_SETS) {
            fprintf(stderr, "prism op: too many --set options\n");
            return -1;
        }
        a->sets[a->n_sets++] = val;
    } else if (!strcmp(flag, "--clock-ghz")) {
        char *end;
        errno = 0;
        a->clock_ghz = strtod(val, &end);
        if (errno || *end || !(a->clock_ghz > 0) || !isfinite(a->clock_ghz)) {
            fprintf(stderr, "prism op: --clock-ghz '%s' is not a frequency > 0\n", val);
            return -1;
        }
    } else if (!strcmp(flag, "--gemm")) {
        if (set_op(a, flag, DEV_OP_GEMM))
            return -1;
        if (parse_dims(val, d, 3)) {
            fprintf(stderr, "prism op: --gemm '%s' is not MxKxN with M, K, N >= 1\n", val);
            return -1;
        }
        a->m = d[0], a->k = d[1], a->n = d[2];
        a->shape_text = val;
    } else if (!strcmp(flag, "--mvm") || !strcmp(flag, "--program")) {
        int mvm = !strcmp(flag, "--mvm");
        if (set_op(a, flag, mvm ? DEV_OP_MVM : DEV_OP_PROGRAM))
            return -1;
        if (parse_dims(val, d, 2)) {
            fprintf(stderr, "prism op: %s '%s' is not RxC with R, C >= 1\n", flag, val);
            return -1;
        }
        a->rows = d[0], a->cols = d[1];
        a->shape_text = val;
    } else if (!strcmp(flag, "--samples")) {
        if (set_op(a, flag, DEV_OP_CONVERT))
            return -1;
        if (sim_parse_uint(val, &a->m) || a->m == 0) {
            fprintf(stderr, "prism op: --samples '%s' is not a count >= 1\n", val);
            return -1;
        }
    } else if (!strcmp(flag, "--vector")) {
        if (set_op(a, flag, DEV_OP_VECTOR))
            return -1;
        a->vfunc = dev_vfunc_parse(val);
        if (a->vfunc <= 0) {
            fprintf(stderr, "prism op: --vector '%s' is not one of %s\n", val,
                    DEV_VF_CHOICES + 5);
            return -1;
        }
    } else if (!strcmp(flag, "--shape")) {
        if (parse_dims(val, d, 2)) {
            fprintf(stderr, "prism op: --shape '%s' is not RxC with R, C >= 1\n", val);
            return -1;
        }
        a->rows = d[0], a->cols = d[1];
        a->shape_text = val;
    } else if (!strcmp(flag, "--read") || !strcmp(flag, "--write")) {
        if (set_op(a, flag, !strcmp(flag, "--read") ? DEV_OP_READ : DEV_OP_WRITE))
            return -1;
        if (parse_bytes(val, &a->m) || a->m == 0) {
            fprintf(stderr, "prism op: %s '%s' is not a byte count >= 1 (e.g. 4096, 64KiB)\n",
                    flag, val);
            return -1;
        }
    } else if (!strcmp(flag, "--addr")) {
        if (parse_bytes(val, &a->addr)) {
            fprintf(stderr, "prism op: --addr '%s' is not an address >= 0\n", val);
            return -1;
        }
    } else if (!strcmp(flag, "--vectors")) {
        if (sim_parse_uint(val, &a->vectors) || a->vectors == 0) {
            fprintf(stderr, "prism op: --vectors '%s' is not a count >= 1\n", val);
            return -1;
        }
        a->vectors_set = 1;
    } else if (!strcmp(flag, "--read-after")) {
        if (parse_duration_s(val, &a->read_after_s)) {
            fprintf(stderr,
                    "prism op: --read-after '%s' is not a time >= 0 (e.g. 3600s, 10ms, 1h)\n",
                    val);
            return -1;
        }
    } else if (!strcmp(flag, "--weight-id")) {
        if (sim_parse_uint(val, &a->weight_id) || a->weight_id > UINT32_MAX) {
            fprintf(stderr, "prism op: --weight-id '%s' is not an id in 0..%u\n", val,
                    UINT32_MAX);
            return -1;
        }
    } else if (!strcmp(flag, "--count")) {
        if (sim_parse_uint(val, &a->count) || a->count == 0 || a->count > OP_MAX_COUNT) {
            fprintf(stderr,
                    "prism op: --count '%s' is not a count in [1, %llu] (longer streams: a "
                    "config with an op_driver, prism run)\n",
                    val, (unsigned long long)OP_MAX_COUNT);
            return -1;
        }
    } else if (!strcmp(flag, "--outstanding")) {
        if (sim_parse_uint(val, &a->outstanding) || a->outstanding == 0) {
            fprintf(stderr, "prism op: --outstanding '%s' is not a count >= 1\n", val);
            return -1;
        }
        a->outstanding_set = 1;
    } else if (!strcmp(flag, "--seed")) {
        if (sim_parse_uint(val, &a->seed)) {
            fprintf(stderr, "prism op: --seed '%s' is not an integer >= 0\n", val);
            return -1;
        }
    } else /* --trace */
        a->trace_path = val;
    return 0;
}

static int parse_args(int argc, char **argv, op_args_t *a)
{
    memset(a, 0, sizeof *a);
    a->count = 1;
    a->noise = 1;
    a->seed = 1;
    a->vectors = 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        char flag[64];
        const char *val = NULL;
        const char *eq = strchr(arg, '=');
        if (strncmp(arg, "--", 2) == 0 && eq && (size_t)(eq - arg) < sizeof flag) {
            memcpy(flag, arg, (size_t)(eq - arg));
            flag[eq - arg] = '\0';
            val = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", arg);
        }
        /* flags without a value */
        if (!strcmp(flag, "--help") || !strcmp(flag, "-h")) {
            a->help = 1;
            continue;
        }
        if (!strcmp(flag, "--json") || !strcmp(flag, "--list") || !strcmp(flag, "--check") ||
            !strcmp(flag, "--no-noise") || !strcmp(flag, "--no-reload")) {
            if (val) {
                fprintf(stderr, "prism op: %s takes no value\n", flag);
                return -1;
            }
            if (!strcmp(flag, "--json"))
                a->json = 1;
            else if (!strcmp(flag, "--list"))
                a->list = 1;
            else if (!strcmp(flag, "--check"))
                a->check = 1;
            else if (!strcmp(flag, "--no-noise"))
                a->noise = 0;
            else
                a->no_reload = 1;
            continue;
        }
        static const char *const with_value[] = {
            "--device", "--set",    "--clock-ghz", "--gemm",       "--mvm",       "--program",
            "--samples", "--vector", "--shape",    "--read",       "--write",     "--addr",
            "--vectors", "--read-after", "--weight-id", "--count", "--outstanding", "--seed",
            "--trace"};
        int known = 0;
        for (size_t j = 0; j < sizeof with_value / sizeof with_value[0]; j++)
            known |= strcmp(flag, with_value[j]) == 0;
        if (!known) {
            fprintf(stderr, "prism op: unknown option '%s' (prism op --help)\n", arg);
            return -1;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "prism op: %s needs a value\n", flag);
                return -1;
            }
            val = argv[++i];
        }
        if (take_value(a, flag, val))
            return -1;
    }
    return 0;
}

/* Final request fields and consistency of the flags. */
static int finish_args(op_args_t *a)
{
    if (a->kind == DEV_OP_VECTOR) {
        if (!a->shape_text) {
            fprintf(stderr, "prism op: --vector needs --shape RxC (rows x elements)\n");
            return -1;
        }
        a->m = a->rows, a->n = a->cols;
    } else if (a->kind == DEV_OP_MVM) {
        a->m = a->vectors, a->k = a->cols, a->n = a->rows;
    } else if (a->kind == DEV_OP_PROGRAM) {
        a->m = 1, a->k = a->cols, a->n = a->rows;
    } else if (a->kind == DEV_OP_READ || a->kind == DEV_OP_WRITE) {
        a->k = a->addr;
    }
    if (a->kind != DEV_OP_VECTOR && a->kind != DEV_OP_MVM && a->kind != DEV_OP_PROGRAM &&
        a->kind != DEV_OP_GEMM && a->shape_text && a->kind) {
        fprintf(stderr, "prism op: --shape goes with --vector\n");
        return -1;
    }
    if (a->vectors_set && a->kind != DEV_OP_MVM) {
        fprintf(stderr, "prism op: --vectors goes with --mvm\n");
        return -1;
    }
    if (!a->outstanding_set)
        a->outstanding = a->count;
    if (a->outstanding > 1048576)
        a->outstanding = 1048576;
    return 0;
}

/* ---- --list ----------------------------------------------------------------------------- */
static const char *ptype_name(sim_ptype_t t)
{
    switch (t) {
    case SIM_P_INT:
        return "int";
    case SIM_P_REAL:
        return "real";
    case SIM_P_BOOL:
        return "bool";
    case SIM_P_STR:
        return "string";
    case SIM_P_ENUM:
        return "enum";
    }
    return "?";
}

static void range_text(const sim_param_def_t *p, char *buf, size_t n)
{
    if (p->type == SIM_P_ENUM)
        snprintf(buf, n, "%s", p->choices ? p->choices : "");
    else if ((p->type == SIM_P_INT || p->type == SIM_P_REAL) && p->min <= p->max)
        snprintf(buf, n, "%g..%g", p->min, p->max);
    else
        buf[0] = '\0';
}

static cJSON *params_json(const sim_param_def_t *params)
{
    cJSON *arr = cJSON_CreateArray();
    for (const sim_param_def_t *p = params; p && p->name; p++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", p->name);
        cJSON_AddStringToObject(o, "type", ptype_name(p->type));
        cJSON_AddStringToObject(o, "default", p->def ? p->def : "");
        cJSON_AddStringToObject(o, "unit", p->unit ? p->unit : "");
        if ((p->type == SIM_P_INT || p->type == SIM_P_REAL) && p->min <= p->max) {
            cJSON_AddNumberToObject(o, "min", p->min);
            cJSON_AddNumberToObject(o, "max", p->max);
        }
        if (p->type == SIM_P_ENUM && p->choices)
            cJSON_AddStringToObject(o, "choices", p->choices);
        cJSON_AddStringToObject(o, "doc", p->doc ? p->doc : "");
        cJSON_AddStringToObject(o, "source", p->source ? p->source : "");
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static int print_json(cJSON *root)
{
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) {
        fprintf(stderr, "prism op: out of memory\n");
        return 1;
    }
    puts(text);
    cJSON_free(text);
    return 0;
}

static int do_list(int json)
{
    size_t n = dev_model_count();
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            const sim_model_t *m = dev_model_at(i);
            const dev_ext_t *e = dev_model_ext(m);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", m->name);
            cJSON_AddStringToObject(o, "doc", m->doc ? m->doc : "");
            cJSON_AddNumberToObject(o, "default_clock_hz", e->default_clock_hz);
            cJSON_AddStringToObject(o, "default_op", dev_op_name(e->default_op));
            cJSON_AddBoolToObject(o, "mvm_numerics", e->mvm != NULL);
            cJSON_AddBoolToObject(o, "convert_numerics", e->convert != NULL);
            cJSON_AddItemToObject(o, "params", params_json(m->params));
            cJSON_AddItemToArray(arr, o);
        }
        return print_json(arr);
    }
    for (size_t i = 0; i < n; i++) {
        const sim_model_t *m = dev_model_at(i);
        const dev_ext_t *e = dev_model_ext(m);
        printf("%s%s: %s\n  default clock %g GHz, default op %s%s%s\n", i ? "\n" : "", m->name,
               m->doc ? m->doc : "", e->default_clock_hz / 1e9, dev_op_name(e->default_op),
               e->mvm ? ", mvm numerics" : "", e->convert ? ", convert numerics" : "");
        printf("  %-20s %-6s %-12s %-8s %-18s %s\n", "parameter", "type", "default", "unit",
               "range", "description [source]");
        for (const sim_param_def_t *p = m->params; p && p->name; p++) {
            char range[128];
            range_text(p, range, sizeof range);
            printf("  %-20s %-6s %-12s %-8s %-18s %s", p->name, ptype_name(p->type),
                   p->def ? p->def : "", p->unit && *p->unit ? p->unit : "-",
                   *range ? range : "-", p->doc ? p->doc : "");
            if (p->source && *p->source)
                printf(" [%s]", p->source);
            putchar('\n');
        }
    }
    return 0;
}

/* ---- the run ----------------------------------------------------------------------------- */
typedef struct param_list {
    char **v; /* name, value, ..., NULL */
    size_t n; /* strings */
} param_list_t;

static void plist_free(param_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int plist_add(param_list_t *l, const char *name, size_t name_len, const char *value)
{
    char **v = realloc(l->v, (l->n + 3) * sizeof *v);
    if (!v)
        return -1;
    l->v = v;
    v[l->n] = strndup(name, name_len);
    v[l->n + 1] = strdup(value);
    v[l->n + 2] = NULL;
    if (!v[l->n] || !v[l->n + 1])
        return -1;
    l->n += 2;
    return 0;
}

/* "a=1,b=2" -> pairs; one clear message on a malformed item */
static int plist_parse(param_list_t *l, const char *text)
{
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (len == 0) {
            p += end ? 1 : 0;
            if (!end)
                break;
            continue;
        }
        if (!eq || eq == p) {
            fprintf(stderr, "prism op: --set item '%.*s' is not name=value\n", (int)len, p);
            return -1;
        }
        char *value = strndup(eq + 1, len - (size_t)(eq + 1 - p));
        if (!value || plist_add(l, p, (size_t)(eq - p), value)) {
            free(value);
            fprintf(stderr, "prism op: out of memory\n");
            return -1;
        }
        free(value);
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

static int plist_addf(param_list_t *l, const char *name, const char *fmt, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    return plist_add(l, name, strlen(name), buf);
}

static int plist_addu(param_list_t *l, const char *name, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return plist_add(l, name, strlen(name), buf);
}

static double stat_named(sim_comp_t *c, const char *name)
{
    for (size_t i = 0; i < sim_stat_count(c); i++)
        if (strcmp(sim_stat_name(c, i), name) == 0)
            return sim_stat_value(c, i);
    return 0;
}

/* Numerics result */
typedef struct op_check {
    int ran;
    const char *what; /* "mvm", "convert", "vector fp32", ... */
    const char *note; /* why it did not run */
    double rel_error, max_abs_error;
    uint64_t values;
} op_check_t;

/* the device layer's check (devices/check.c) as op_check_t */
static int check_result(int rc, const dev_check_t *dc, const char *err, op_check_t *out)
{
    if (rc) {
        fprintf(stderr, "prism op: --check: %s\n", err);
        return -1;
    }
    out->ran = 1;
    out->what = dc->what;
    out->rel_error = dc->rel_error;
    out->max_abs_error = dc->max_abs_error;
    out->values = dc->values;
    return 0;
}

/* Bounds of --check: the matrix must fit in memory and the FP64 reference
 * must take seconds, not hours. */
#define CHECK_MAX_VALUES (1ull << 26) /* doubles in one operand: 512 MiB */
#define CHECK_MAX_MACS 8e9

static void shape_text(const op_args_t *a, char *buf, size_t n);

static int check_fits(const op_args_t *a)
{
    double values = 0, macs = 0;
    switch (a->kind) {
    case DEV_OP_MVM:
    case DEV_OP_PROGRAM:
        values = (double)a->rows * (double)a->cols;
        macs = values * (a->kind == DEV_OP_MVM ? (double)a->vectors : 1.0);
        break;
    case DEV_OP_GEMM:
        values = fmax((double)a->k * (double)a->n, (double)a->m * (double)a->k);
        macs = (double)a->m * (double)a->k * (double)a->n;
        break;
    default:
        values = (double)a->m * (double)(a->kind == DEV_OP_VECTOR ? a->n : 1);
        break;
    }
    if (values > (double)CHECK_MAX_VALUES || macs > CHECK_MAX_MACS) {
        char shape[96];
        shape_text(a, shape, sizeof shape);
        fprintf(stderr,
                "prism op: --check: %s %s is too large for the FP64 reference (at most %llu "
                "values per operand and %.0e multiply-adds); run the timing without --check\n",
                dev_op_name(a->kind), shape, CHECK_MAX_VALUES, CHECK_MAX_MACS);
        return -1;
    }
    return 0;
}

static int run_check(sim_t *s, sim_comp_t *dut, const dev_ext_t *e, const op_args_t *a,
                     op_check_t *out)
{
    (void)s;
    memset(out, 0, sizeof *out);
    dev_check_t dc;
    char err[512] = "";
    switch (a->kind) {
    case DEV_OP_MVM:
    case DEV_OP_PROGRAM:
        if (e->mvm)
            return check_result(dev_check_mvm(dut, (size_t)a->rows, (size_t)a->cols,
                                              a->kind == DEV_OP_MVM ? (size_t)a->vectors : 1,
                                              a->seed, a->read_after_s, a->noise, &dc, err,
                                              sizeof err),
                                &dc, err, out);
        break;
    case DEV_OP_GEMM:
        /* rows of A through W = B^T (N x K): one mvm per row of A */
        if (e->mvm)
            return check_result(dev_check_mvm(dut, (size_t)a->n, (size_t)a->k, (size_t)a->m,
                                              a->seed, a->read_after_s, a->noise, &dc, err,
                                              sizeof err),
                                &dc, err, out);
        break;
    case DEV_OP_CONVERT:
        if (e->convert)
            return check_result(dev_check_convert(dut, (size_t)a->m, a->seed, a->read_after_s,
                                                  a->noise, &dc, err, sizeof err),
                                &dc, err, out);
        break;
    case DEV_OP_VECTOR:
        if (strcmp(sim_comp_model(dut), "vector") == 0)
            return check_result(dev_check_vector(dut, a->vfunc, (size_t)a->m, (size_t)a->n,
                                                 a->seed, &dc, err, sizeof err),
                                &dc, err, out);
        break;
    default:
        break;
    }
    out->note = "this device has no numerics for this operation";
    return 0;
}

typedef struct op_work {
    double units;      /* MACs, elements, samples, bytes, weights */
    const char *unit;  /* "MAC", ... */
} op_work_t;

static op_work_t work_of(const op_args_t *a)
{
    double c = (double)a->count;
    switch (a->kind) {
    case DEV_OP_GEMM:
        return (op_work_t){(double)a->m * (double)a->k * (double)a->n * c, "MAC"};
    case DEV_OP_MVM:
        return (op_work_t){(double)a->m * (double)a->k * (double)a->n * c, "MAC"};
    case DEV_OP_PROGRAM:
        return (op_work_t){(double)a->k * (double)a->n * c, "weight"};
    case DEV_OP_CONVERT:
        return (op_work_t){(double)a->m * c, "sample"};
    case DEV_OP_VECTOR:
        return (op_work_t){(double)a->m * (double)a->n * c, "element"};
    default:
        return (op_work_t){(double)a->m * c, "B"};
    }
}

static void shape_text(const op_args_t *a, char *buf, size_t n)
{
    switch (a->kind) {
    case DEV_OP_GEMM:
        snprintf(buf, n, "%llux%llux%llu", (unsigned long long)a->m, (unsigned long long)a->k,
                 (unsigned long long)a->n);
        break;
    case DEV_OP_MVM:
    case DEV_OP_PROGRAM:
    case DEV_OP_VECTOR:
        snprintf(buf, n, "%llux%llu", (unsigned long long)a->rows, (unsigned long long)a->cols);
        break;
    default:
        snprintf(buf, n, "%llu", (unsigned long long)a->m);
    }
}

static void print_text(const op_args_t *a, sim_t *s, sim_comp_t *dut, sim_comp_t *drv,
                       double clock_hz, const op_check_t *chk)
{
    char shape[96], h1[64], h2[64];
    shape_text(a, shape, sizeof shape);
    double cycles = stat_named(drv, "device_cycles");
    double latency = stat_named(drv, "device_span_ps");
    double dyn = 0;
    for (size_t i = 0; i < sim_stat_count(dut); i++)
        if (sim_stat_kind(dut, i) == SIM_STAT_ENERGY)
            dyn += sim_stat_value(dut, i);
    double stat_e = sim_static_energy_pj(dut);
    op_work_t w = work_of(a);
    printf("device      %s @ %g GHz\n", a->device, clock_hz / 1e9);
    printf("op          %s", dev_op_name(a->kind));
    if (a->kind == DEV_OP_VECTOR)
        printf(" %s", dev_vfunc_name(a->vfunc));
    printf(" %s", shape);
    if (a->kind == DEV_OP_MVM)
        printf(" (%llu vector%s)", (unsigned long long)a->vectors, a->vectors == 1 ? "" : "s");
    if (a->kind == DEV_OP_READ || a->kind == DEV_OP_WRITE)
        printf(" B at address %llu", (unsigned long long)a->addr);
    if (a->count > 1)
        printf(" x %llu (%llu in flight)", (unsigned long long)a->count,
               (unsigned long long)a->outstanding);
    putchar('\n');
    printf("cycles      %.0f\n", cycles);
    out_human_ps(h1, sizeof h1, latency);
    printf("latency     %.0f ps (%s)\n", latency, h1);
    out_human_pj(h1, sizeof h1, dyn + stat_e);
    printf("energy      %.6g pJ (%s)\n", dyn + stat_e, h1);
    for (size_t i = 0; i < sim_stat_count(dut); i++)
        if (sim_stat_kind(dut, i) == SIM_STAT_ENERGY) {
            out_human_pj(h2, sizeof h2, sim_stat_value(dut, i));
            printf("  %-22s %.6g pJ (%s)\n", sim_stat_name(dut, i), sim_stat_value(dut, i), h2);
        }
    out_human_pj(h2, sizeof h2, stat_e);
    printf("  %-22s %.6g pJ (%s over %s)\n", "static", stat_e, h2,
           (out_human_ps(h1, sizeof h1, (double)sim_end_ps(s)), h1));
    if (latency > 0) {
        double thr = w.units / (latency * 1e-12);
        if (!strcmp(w.unit, "MAC"))
            printf("throughput  %.6g MAC/s (%.4g TOPS at 2 ops/MAC)\n", thr, 2 * thr / 1e12);
        else if (!strcmp(w.unit, "B"))
            printf("throughput  %.6g GB/s\n", thr / 1e9);
        else
            printf("throughput  %.6g %s/s\n", thr, w.unit);
    }
    if (w.units > 0)
        printf("energy/%-4s %.6g pJ\n", w.unit, (dyn + stat_e) / w.units);
    if (a->check) {
        if (chk->ran)
            printf("check       %s: rel_error %.6g, max abs error %.6g over %llu values%s\n",
                   chk->what, chk->rel_error, chk->max_abs_error,
                   (unsigned long long)chk->values, a->noise ? "" : " (noise off)");
        else
            printf("check       none: %s\n", chk->note);
    }
}

static int print_json_result(const op_args_t *a, sim_t *s, sim_comp_t *dut, sim_comp_t *drv,
                             double clock_hz, const op_check_t *chk, double wall_s)
{
    char shape[96];
    shape_text(a, shape, sizeof shape);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device", a->device);
    cJSON_AddStringToObject(o, "op", dev_op_name(a->kind));
    if (a->kind == DEV_OP_VECTOR)
        cJSON_AddStringToObject(o, "vfunc", dev_vfunc_name(a->vfunc));
    cJSON_AddStringToObject(o, "shape", shape);
    if (a->kind == DEV_OP_MVM)
        cJSON_AddNumberToObject(o, "vectors", (double)a->vectors);
    if (a->kind == DEV_OP_READ || a->kind == DEV_OP_WRITE) {
        cJSON_AddNumberToObject(o, "bytes", (double)a->m);
        cJSON_AddNumberToObject(o, "addr", (double)a->addr);
    }
    if (a->read_after_s > 0)
        cJSON_AddNumberToObject(o, "read_after_s", a->read_after_s);
    cJSON_AddNumberToObject(o, "count", (double)a->count);
    cJSON_AddNumberToObject(o, "outstanding", (double)a->outstanding);
    cJSON_AddNumberToObject(o, "clock_hz", clock_hz);
    cJSON_AddNumberToObject(o, "period_ps", (double)sim_comp_period_ps(dut));
    double cycles = stat_named(drv, "device_cycles");
    double latency = stat_named(drv, "device_span_ps");
    cJSON_AddNumberToObject(o, "cycles", cycles);
    cJSON_AddNumberToObject(o, "latency_ps", latency);
    char h[64];
    out_human_ps(h, sizeof h, latency);
    cJSON_AddStringToObject(o, "latency", h);
    cJSON_AddNumberToObject(o, "latency_mean_ps", stat_named(drv, "latency_mean_ps"));
    cJSON_AddNumberToObject(o, "latency_max_ps", stat_named(drv, "latency_max_ps"));
    double dyn = 0;
    cJSON *cat = cJSON_CreateObject();
    for (size_t i = 0; i < sim_stat_count(dut); i++)
        if (sim_stat_kind(dut, i) == SIM_STAT_ENERGY) {
            dyn += sim_stat_value(dut, i);
            cJSON_AddNumberToObject(cat, sim_stat_name(dut, i), sim_stat_value(dut, i));
        }
    double stat_e = sim_static_energy_pj(dut);
    cJSON_AddNumberToObject(o, "energy_pj", dyn + stat_e);
    cJSON_AddNumberToObject(o, "dynamic_energy_pj", dyn);
    cJSON_AddNumberToObject(o, "static_energy_pj", stat_e);
    cJSON_AddNumberToObject(o, "run_end_ps", (double)sim_end_ps(s));
    cJSON_AddItemToObject(o, "energy_breakdown_pj", cat);
    cJSON *counters = cJSON_CreateObject();
    for (size_t i = 0; i < sim_stat_count(dut); i++)
        if (sim_stat_kind(dut, i) != SIM_STAT_ENERGY)
            cJSON_AddNumberToObject(counters, sim_stat_name(dut, i), sim_stat_value(dut, i));
    cJSON_AddItemToObject(o, "counters", counters);
    cJSON_AddNumberToObject(o, "busy_ps", (double)sim_busy_ps(dut));
    op_work_t w = work_of(a);
    cJSON_AddNumberToObject(o, "work", w.units);
    cJSON_AddStringToObject(o, "work_unit", w.unit);
    if (latency > 0) {
        char unit[32];
        snprintf(unit, sizeof unit, "%s/s", w.unit);
        cJSON_AddNumberToObject(o, "throughput", w.units / (latency * 1e-12));
        cJSON_AddStringToObject(o, "throughput_unit", unit);
    }
    if (w.units > 0)
        cJSON_AddNumberToObject(o, "energy_per_unit_pj", (dyn + stat_e) / w.units);
    cJSON *params = cJSON_CreateObject();
    const sim_params_t *p = sim_comp_params(dut);
    for (size_t i = 0; i < sim_params_count(p); i++)
        cJSON_AddStringToObject(params, sim_params_def(p, i)->name, sim_params_text(p, i));
    cJSON_AddItemToObject(o, "params", params);
    if (a->check) {
        if (chk->ran) {
            cJSON_AddStringToObject(o, "check", chk->what);
            if (isfinite(chk->rel_error))
                cJSON_AddNumberToObject(o, "rel_error", chk->rel_error);
            else
                cJSON_AddNullToObject(o, "rel_error");
            if (isfinite(chk->max_abs_error))
                cJSON_AddNumberToObject(o, "max_abs_error", chk->max_abs_error);
            else
                cJSON_AddNullToObject(o, "max_abs_error");
            cJSON_AddNumberToObject(o, "check_values", (double)chk->values);
            cJSON_AddBoolToObject(o, "noise", a->noise);
            cJSON_AddNumberToObject(o, "seed", (double)a->seed);
        } else {
            cJSON_AddStringToObject(o, "check", "none");
            cJSON_AddStringToObject(o, "check_note", chk->note);
        }
    }
    if (a->count > 1) {
        const map_drv_record_t *r;
        size_t nr = map_driver_records(drv, &r);
        if (nr <= 1000) {
            cJSON *reqs = cJSON_CreateArray();
            for (size_t i = 0; i < nr; i++) {
                cJSON *q = cJSON_CreateObject();
                cJSON_AddNumberToObject(q, "seq", (double)r[i].seq);
                cJSON_AddNumberToObject(q, "cycles", (double)r[i].cycles);
                cJSON_AddNumberToObject(q, "latency_ps", (double)r[i].device_latency_ps);
                cJSON_AddNumberToObject(q, "energy_pj", r[i].energy_pj);
                cJSON_AddItemToArray(reqs, q);
            }
            cJSON_AddItemToObject(o, "requests", reqs);
        }
    }
    cJSON_AddNumberToObject(o, "wall_s", wall_s);
    return print_json(o);
}

static int known_devices(char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < dev_model_count() && len + 1 < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", dev_model_at(i)->name);
    return 0;
}

static void say_op(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "prism op: %s\n", msg);
}

int cmd_op(int argc, char **argv)
{
    op_args_t a;
    if (parse_args(argc, argv, &a))
        return 2;
    if (a.help) {
        op_usage(stdout);
        return 0;
    }
    if (a.list)
        return do_list(a.json);
    if (!a.device) {
        fprintf(stderr, "prism op: --device NAME is required (prism op --list shows the devices)\n");
        return 2;
    }
    const sim_model_t *model = sim_model_find(a.device);
    const dev_ext_t *ext = model ? dev_model_ext(model) : NULL;
    if (!ext) {
        char known[1024];
        known_devices(known, sizeof known);
        fprintf(stderr, "prism op: unknown device '%s' (devices: %s)\n", a.device, known);
        return 2;
    }
    if (!a.kind) {
        fprintf(stderr,
                "prism op: give an operation for %s (its default op is %s): --gemm, --mvm, "
                "--program, --samples, --vector, --read or --write\n",
                a.device, dev_op_name(ext->default_op));
        return 2;
    }
    if (finish_args(&a) || (a.check && check_fits(&a)))
        return 2;

    param_list_t dev_p = {0}, drv_p = {0};
    for (size_t i = 0; i < a.n_sets; i++)
        if (plist_parse(&dev_p, a.sets[i])) {
            plist_free(&dev_p);
            return 2;
        }
    int bad = plist_add(&drv_p, "op", 2, dev_op_name(a.kind)) || plist_addu(&drv_p, "m", a.m) ||
              plist_addu(&drv_p, "k", a.k) || plist_addu(&drv_p, "n", a.n) ||
              plist_addu(&drv_p, "count", a.count) ||
              plist_addu(&drv_p, "outstanding", a.outstanding) ||
              plist_addu(&drv_p, "weight_id", a.weight_id) ||
              plist_addf(&drv_p, "read_after_s", "%.17g", a.read_after_s) ||
              plist_add(&drv_p, "no_reload", 9, a.no_reload ? "true" : "false");
    if (!bad && a.kind == DEV_OP_VECTOR)
        bad = plist_add(&drv_p, "vfunc", 5, dev_vfunc_name(a.vfunc));
    if (bad) {
        plist_free(&dev_p);
        plist_free(&drv_p);
        fprintf(stderr, "prism op: out of memory\n");
        return 1;
    }

    double clock_hz = a.clock_ghz > 0 ? a.clock_ghz * 1e9
                      : ext->default_clock_hz > 0 ? ext->default_clock_hz
                                                  : 1e9;
    sim_opts_t opts = {.seed = a.seed};
    sim_t *s = sim_create(&opts);
    int exit_code = 0;
    run_t *run = NULL;
    if (!s) {
        fprintf(stderr, "prism op: out of memory\n");
        exit_code = 1;
        goto out;
    }
    static const char *const empty[] = {NULL};
    /* requests reach the device at once; completions come back one device
     * clock later (the engine refuses a zero-latency cycle), so a request sent
     * on a completion arrives on a clock edge */
    int clk = sim_add_clock(s, "dev", clock_hz);
    sim_time_t back_ps = clk >= 0 ? sim_clock_period_ps(s, clk) : 1;
    if (clk < 0 ||
        sim_add_component(s, "dut", a.device, "dev",
                          dev_p.v ? (const char *const *)dev_p.v : empty) < 0 ||
        sim_add_component(s, "drv", "op_driver", NULL, (const char *const *)drv_p.v) < 0 ||
        sim_add_link(s, "drv.out", "dut.in", 0, 0) < 0 ||
        sim_add_link(s, "dut.out", "drv.in", back_ps > 0 ? back_ps : 1, 0) < 0) {
        fprintf(stderr, "prism op: %s\n", sim_errmsg(s));
        exit_code = 2;
        goto out;
    }
    if (sim_init(s)) {
        fprintf(stderr, "prism op: %s\n", sim_errmsg(s));
        exit_code = 2;
        goto out;
    }
    /* the run layer: trace, loop, end (run/run.h) */
    char *args = a.trace_path ? cli_join_argv(argc, argv) : NULL;
    run_opts_t ro;
    run_opts_default(&ro);
    ro.trace_path = a.trace_path;
    ro.args = args;
    ro.say = say_op;
    run = run_create(&ro);
    if (!run || run_adopt(run, s) || run_trace_begin(run)) {
        if (!run)
            fprintf(stderr, "prism op: out of memory\n");
        free(args);
        exit_code = 1;
        goto out;
    }
    free(args);
    run_exec(run);
    int end = run_end(run); /* a failure's message is out already */
    double wall = run_wall_s(run);
    if (run_status(run) == RUN_FAILED) {
        exit_code = sim_fail_code(s) == SIM_ERR_CONFIG ? 2 : 1; /* an op the device does not do */
        goto out;
    }
    if (end)
        exit_code = 1;
    sim_comp_t *dut = sim_comp_find(s, "dut"), *drv = sim_comp_find(s, "drv");
    double sent = stat_named(drv, "requests"), done = stat_named(drv, "completed");
    if (done != sent || done != (double)a.count) {
        fprintf(stderr, "prism op: %s completed %.0f of %llu requests\n", a.device, done,
                (unsigned long long)a.count);
        exit_code = 1;
        goto out;
    }
    op_check_t chk = {0};
    if (a.check && run_check(s, dut, ext, &a, &chk)) {
        exit_code = 1;
        goto out;
    }
    if (a.json) {
        if (print_json_result(&a, s, dut, drv, clock_hz, &chk, wall))
            exit_code = 1;
    } else
        print_text(&a, s, dut, drv, clock_hz, &chk);
out:
    run_destroy(run);
    sim_destroy(s);
    plist_free(&dev_p);
    plist_free(&drv_p);
    return exit_code;
}
