/* Reading a schedule back from its JSON (the format map_schedule_json writes,
 * docs/mapper.md): every field is checked and the first bad one is reported in
 * one sentence naming the file, the entry and the field, so a hand-edited or
 * stale schedule is refused before the run rather than failing inside it. */
#include "mapper/map.h"
#include "mapper/map_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, char *err, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        map_fail(err, n, SIM_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int big = 0;
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (len + 1 < cap)
            break;
        /* never more than the cap: /dev/zero or a pipe that never ends stops here */
        if (len > MAP_SCHEDULE_MAX_BYTES) {
            big = 1;
            break;
        }
        char *b = realloc(buf, cap *= 2);
        if (!b) {
            free(buf);
            buf = NULL;
        } else
            buf = b;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad || big) {
        free(buf);
        if (big)
            map_fail(err, n, SIM_ERR_CONFIG, "%s: larger than %d MiB: not a schedule", path,
                  MAP_SCHEDULE_MAX_BYTES >> 20);
        else
            map_fail(err, n, SIM_ERR_CONFIG, "%s: %s", path, bad ? "read error" : "out of memory");
        return NULL;
    }
    if (memchr(buf, '\0', len)) {
        free(buf);
        map_fail(err, n, SIM_ERR_CONFIG, "%s: holds a NUL byte: not a JSON schedule", path);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/* A non-negative integer field (JSON numbers are doubles: exact up to 2^53). */
static int get_u64(const cJSON *o, const char *key, int required, uint64_t def, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        *out = def;
        return required ? -1 : 0;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 9007199254740992.0 ||
        floor(v->valuedouble) != v->valuedouble)
        return -2;
    *out = (uint64_t)v->valuedouble;
    return 0;
}

static const char *get_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

typedef struct rd {
    map_schedule_t *s;
    size_t cap_preds;
} rd_t;

static const char *keep_str(map_schedule_t *s, const char *text)
{
    if (!text)
        return NULL;
    if (s->n_strings == s->cap_strings) {
        size_t cap = s->cap_strings ? 2 * s->cap_strings : 256;
        char **p = realloc(s->strings, cap * sizeof *p);
        if (!p)
            return NULL;
        s->strings = p;
        s->cap_strings = cap;
    }
    char *copy = strdup(text);
    if (copy)
        s->strings[s->n_strings++] = copy;
    return copy;
}

static int read_shape(const cJSON *root, wl_gen_opts_t *o, const char *path, char *err, size_t n)
{
    wl_gen_opts_default(o);
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(root, "shape");
    if (!sh)
        return 0;
    uint64_t v;
    const char *ints[] = {"batch", "seq", "image"};
    int *dst[] = {&o->batch, &o->seq, &o->image};
    for (int i = 0; i < 3; i++) {
        /* absent: the default (seq: the model's); present: a count >= 1 (0
         * used to mean the default silently) */
        if (get_u64(sh, ints[i], 0, (uint64_t)*dst[i], &v) || v > 1000000 ||
            (cJSON_GetObjectItemCaseSensitive(sh, ints[i]) && v == 0))
            return map_fail(err, n, SIM_ERR_CONFIG, "%s: shape.%s is not a count in [1, 1000000]%s", path, ints[i],
                         i == 1 ? " (leave it out for the model's default)" : "");
        *dst[i] = (int)v;
    }
    /* kv_len: -1 (the default: seq, as map_schedule_json writes it) or [0, 1e6] */
    const cJSON *kv = cJSON_GetObjectItemCaseSensitive(sh, "kv_len");
    if (kv && (!cJSON_IsNumber(kv) || !(kv->valuedouble >= -1 && kv->valuedouble <= 1000000) ||
               floor(kv->valuedouble) != kv->valuedouble))
        return map_fail(err, n, SIM_ERR_CONFIG, "%s: shape.kv_len is not -1 (the default) or a count in [0, 1000000]",
                     path);
    if (kv)
        o->kv_len = (int)kv->valuedouble;
    const char *ph = get_str(sh, "phase");
    if (ph && strcmp(ph, "prefill") && strcmp(ph, "decode"))
        return map_fail(err, n, SIM_ERR_CONFIG, "%s: shape.phase '%s' is not prefill or decode", path, ph);
    o->phase = ph && !strcmp(ph, "decode") ? WL_PHASE_DECODE : WL_PHASE_PREFILL;
    const char *dt = get_str(sh, "dtype");
    if (dt && wl_dtype_parse(dt, &o->dtype))
        return map_fail(err, n, SIM_ERR_CONFIG, "%s: shape.dtype '%s' is not a dtype", path, dt);
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key given twice in one object of `node`, its place in `where`
 * (a JSON path like schedule[3].request); NULL when none. cJSON keeps both
 * copies and reads the first, so a hand-edited second value would be
 * silently ignored. */
static const char *dup_key(const cJSON *node, char *where, size_t len, size_t cap)
{
    size_t nkeys = 0;
    for (const cJSON *c = node->child; c; c = c->next)
        nkeys += cJSON_IsObject(node) && c->string;
    if (nkeys > 1) {
        const char **names = malloc(nkeys * sizeof *names);
        if (!names)
            return NULL;
        size_t k = 0;
        for (const cJSON *c = node->child; c; c = c->next)
            if (c->string)
                names[k++] = c->string;
        qsort(names, k, sizeof *names, cmp_name);
        const char *dup = NULL;
        for (size_t i = 1; i < k && !dup; i++)
            if (!strcmp(names[i - 1], names[i]))
                dup = names[i];
        free(names);
        if (dup)
            return dup;
    }
    size_t idx = 0;
    for (const cJSON *c = node->child; c; c = c->next, idx++) {
        if (!cJSON_IsObject(c) && !cJSON_IsArray(c))
            continue;
        if (cJSON_IsObject(node))
            snprintf(where + len, cap - len, "%s%s", len ? "." : "", c->string);
        else
            snprintf(where + len, cap - len, "[%zu]", idx);
        const char *d = dup_key(c, where, strlen(where), cap);
        if (d)
            return d;
        where[len] = '\0';
    }
    return NULL;
}

static int unit_list(const map_units_t *u, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < u->n && at + 1 < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? ", " : "", u->unit[i].name);
    return 0;
}

int map_schedule_read_json(const char *path, const map_units_t *units, map_schedule_t **out,
                           char *err, size_t n)
{
    *out = NULL;
    char *text = slurp(path, err, n);
    if (!text)
        return SIM_ERR_CONFIG;
    int rc = map_schedule_parse_json(text, path, units, out, err, n);
    free(text);
    return rc;
}

int map_schedule_parse_json(const char *text, const char *path, const map_units_t *units,
                            map_schedule_t **out, char *err, size_t n)
{
    *out = NULL;
    if (strlen(text) > MAP_SCHEDULE_MAX_BYTES)
        return map_fail(err, n, SIM_ERR_CONFIG, "%s: larger than %d MiB: not a schedule", path,
                     MAP_SCHEDULE_MAX_BYTES >> 20);
    cJSON *root = cJSON_Parse(text);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t line = 1;
        for (const char *p = text; at && p < at && *p; p++)
            line += *p == '\n';
        return map_fail(err, n, SIM_ERR_CONFIG, "%s: not valid JSON (line %zu)", path, line);
    }
    int rc = 0;
    wl_graph_t *g = NULL;
    char where[256] = "";
    const char *dup = dup_key(root, where, 0, sizeof where);
    if (dup) {
        map_fail(err, n, SIM_ERR_CONFIG, "%s: %s%skey '%s' is given twice", path, where, *where ? ": " : "", dup);
        cJSON_Delete(root);
        return SIM_ERR_CONFIG;
    }
    map_schedule_t *s = calloc(1, sizeof *s);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "schedule");
    if (!s) {
        rc = map_fail(err, n, SIM_ERR_CONFIG, "out of memory");
        goto done;
    }
    if (!cJSON_IsObject(root) || !cJSON_IsArray(arr)) {
        rc = map_fail(err, n, SIM_ERR_CONFIG,
                   "%s: no \"schedule\" array (is it a schedule written by prism map or "
                   "prism run --schedule-out?)",
                   path);
        goto done;
    }
    const char *wname = get_str(root, "workload"), *spec = get_str(root, "spec"),
               *mapper = get_str(root, "mapper");
    s->workload = strdup(wname ? wname : "");
    s->mapper = mapper ? strdup(mapper) : NULL;
    if (map_units_copy(&s->units, units) || !s->workload) {
        rc = map_fail(err, n, SIM_ERR_CONFIG, "out of memory");
        goto done;
    }
    if ((rc = read_shape(root, &s->wopts, path, err, n)) != 0)
        goto done;
    if (spec) {
        char werr[512];
        s->spec = strdup(spec);
        if (!s->spec || wl_load(spec, &s->wopts, &g, werr, sizeof werr)) {
            rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: its workload '%s' does not load: %s", path, spec,
                       s->spec ? werr : "out of memory");
            goto done;
        }
        s->n_ops = wl_graph_op_count(g);
        if (wl_graph_source(g))
            s->source = strdup(wl_graph_source(g));
    }
    size_t ne = (size_t)cJSON_GetArraySize(arr);
    s->exec.entries = calloc(ne ? ne : 1, sizeof *s->exec.entries);
    s->info = calloc(ne ? ne : 1, sizeof *s->info);
    s->unit_names = calloc(units->n ? units->n : 1, sizeof *s->unit_names);
    if (!s->exec.entries || !s->info || !s->unit_names) {
        rc = map_fail(err, n, SIM_ERR_CONFIG, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < units->n; i++)
        s->unit_names[i] = s->units.unit[i].name;
    s->exec.units = s->unit_names;
    s->exec.n_units = units->n;
    size_t cap_preds = 0, i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        map_exec_entry_t *e = &s->exec.entries[i];
        map_entry_info_t *in = &s->info[i];
        in->layer = -1;
        uint64_t v = 0;
        if (!cJSON_IsObject(o)) {
            rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu] is not an object", path, i);
            goto done;
        }
        if (get_u64(o, "op_id", 0, 0, &e->op_id)) {
            rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu].op_id is not an integer >= 0", path, i);
            goto done;
        }
        const char *opname = get_str(o, "op");
        if (g && e->op_id) {
            if (e->op_id > s->n_ops) {
                rc = map_fail(err, n, SIM_ERR_CONFIG,
                           "%s: schedule[%zu]: unknown op: op_id %llu but workload '%s' has %zu "
                           "ops",
                           path, i, (unsigned long long)e->op_id, spec, s->n_ops);
                goto done;
            }
            const wl_op_t *op = wl_graph_op(g, e->op_id - 1);
            if (opname && strcmp(opname, op->name) != 0) {
                rc = map_fail(err, n, SIM_ERR_CONFIG,
                           "%s: schedule[%zu]: unknown op '%s': op %llu of workload '%s' is "
                           "'%s'",
                           path, i, opname, (unsigned long long)e->op_id, spec, op->name);
                goto done;
            }
            in->layer = op->layer;
        }
        const char *kind = get_str(o, "kind");
        e->name = keep_str(s, opname ? opname : "");
        e->what = in->kind = keep_str(s, kind && *kind ? kind : "entry");
        in->detail = keep_str(s, get_str(o, "detail") ? get_str(o, "detail") : "");
        in->note = keep_str(s, get_str(o, "note") ? get_str(o, "note") : "");
        in->tier = keep_str(s, get_str(o, "tier"));
        in->slice = keep_str(s, get_str(o, "slice"));
        const cJSON *layer = cJSON_GetObjectItemCaseSensitive(o, "layer");
        if (layer) {
            if (!cJSON_IsNumber(layer) || !(layer->valuedouble >= 0) ||
                layer->valuedouble > 1000000 || floor(layer->valuedouble) != layer->valuedouble) {
                rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu].layer is not an integer in [0, 1000000]",
                           path, i);
                goto done;
            }
            in->layer = (int)layer->valuedouble;
        }
        in->proxy = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "proxy"));
        if (!e->name || !e->what || !in->detail || !in->note) {
            rc = map_fail(err, n, SIM_ERR_CONFIG, "out of memory");
            goto done;
        }
        const char *unit = get_str(o, "unit");
        const cJSON *req = cJSON_GetObjectItemCaseSensitive(o, "request");
        e->unit = -1;
        e->reps = 1;
        if (unit) {
            e->unit = map_units_find(units, unit);
            if (e->unit < 0) {
                char list[512];
                unit_list(units, list, sizeof list);
                rc = map_fail(err, n, SIM_ERR_CONFIG,
                           "%s: schedule[%zu] (op '%s'): unknown unit '%s': the "
                           "schedule_driver links %s",
                           path, i, e->name, unit, units->n ? list : "no units");
                goto done;
            }
            if (!cJSON_IsObject(req)) {
                rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu]: unit '%s' but no \"request\" object", path,
                           i, unit);
                goto done;
            }
            const char *rop = get_str(req, "op");
            int kindv = rop ? dev_op_parse(rop) : -1;
            if (kindv <= 0) {
                rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu].request.op '%s' is not one of %s", path, i,
                           rop ? rop : "(missing)", DEV_OP_CHOICES);
                goto done;
            }
            e->req.kind = (uint16_t)kindv;
            if (e->req.kind == DEV_OP_VECTOR) {
                const char *vf = get_str(req, "vfunc");
                int f = vf ? dev_vfunc_parse(vf) : -1;
                if (f <= 0) {
                    rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu].request.vfunc '%s' is not one of %s",
                               path, i, vf ? vf : "(missing)", DEV_VF_CHOICES);
                    goto done;
                }
                e->req.vfunc = (uint16_t)f;
            }
            const char *fields[] = {"m", "k", "n", "weight_id", "weight_step"};
            for (int f = 0; f < 5; f++) {
                if (e->req.kind == DEV_OP_TRANSFER && (f == 1 || f == 2))
                    continue;
                int r = get_u64(req, fields[f], f == 0, 0, &v);
                if (r || (f >= 3 && v > UINT32_MAX)) {
                    rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu].request.%s %s", path, i, fields[f],
                               r == -1 ? "is missing" : "is not an integer in range");
                    goto done;
                }
                if (f == 0)
                    e->req.m = v;
                else if (f == 1)
                    e->req.k = v;
                else if (f == 2)
                    e->req.n = v;
                else if (f == 3)
                    e->req.weight_id = (uint32_t)v;
                else
                    e->weight_step = (uint32_t)v;
            }
            const cJSON *nr = cJSON_GetObjectItemCaseSensitive(req, "no_reload");
            if (nr && !cJSON_IsBool(nr)) {
                rc =
                    map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu].request.no_reload is not true/false", path, i);
                goto done;
            }
            if (cJSON_IsTrue(nr))
                e->req.flags |= DEV_F_NO_RELOAD;
            const char *dts = get_str(req, "dtype");
            wl_dtype_t rdt = WL_DT_UNKNOWN;
            if (dts && (wl_dtype_parse(dts, &rdt) || rdt == WL_DT_UNKNOWN)) {
                rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu].request.dtype '%s' is not a dtype", path, i,
                           dts);
                goto done;
            }
            if (dts && (e->req.kind == DEV_OP_GEMM || e->req.kind == DEV_OP_MVM))
                e->req.flags |= DEV_F_OPND(map_opnd_of_dtype(rdt));
            if (e->req.kind == DEV_OP_TRANSFER) {
                const char *ends[2] = {get_str(req, "from"), get_str(req, "to")};
                for (int k = 0; k < 2; k++) {
                    int u = ends[k] ? map_units_find(units, ends[k]) : -1;
                    if (u < 0) {
                        rc = map_fail(err, n, SIM_ERR_CONFIG,
                                   "%s: schedule[%zu]: transfer %s unit '%s' is not a unit of "
                                   "the schedule_driver",
                                   path, i, k ? "to" : "from", ends[k] ? ends[k] : "(missing)");
                        goto done;
                    }
                    if (k)
                        e->req.n = (uint64_t)u;
                    else
                        e->req.k = (uint64_t)u;
                }
                if (e->req.k == e->req.n) {
                    rc = map_fail(err, n, SIM_ERR_CONFIG,
                               "%s: schedule[%zu]: transfer from unit '%s' to itself (from and "
                               "to must differ)",
                               path, i, ends[0]);
                    goto done;
                }
                if (e->req.m == 0) {
                    rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu]: transfer of 0 bytes", path, i);
                    goto done;
                }
            }
            if (get_u64(o, "reps", 0, 1, &e->reps) || e->reps == 0 ||
                e->reps > MAP_SCHEDULE_MAX_REPS) {
                rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu].reps is not an integer in [1, %d]", path, i,
                           MAP_SCHEDULE_MAX_REPS);
                goto done;
            }
        } else if (req && !cJSON_IsNull(req)) {
            rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu]: a request but no \"unit\" to send it to", path,
                       i);
            goto done;
        }
        const cJSON *after = cJSON_GetObjectItemCaseSensitive(o, "after"), *p;
        if (after && !cJSON_IsArray(after)) {
            rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: schedule[%zu].after is not an array", path, i);
            goto done;
        }
        e->pred_off = s->exec.n_preds;
        cJSON_ArrayForEach(p, after)
        {
            if (!cJSON_IsNumber(p) || !(p->valuedouble >= 0) || p->valuedouble >= (double)i ||
                floor(p->valuedouble) != p->valuedouble) {
                rc = map_fail(err, n, SIM_ERR_CONFIG,
                           "%s: schedule[%zu].after: %g is not the index of an earlier entry", path,
                           i, cJSON_IsNumber(p) ? p->valuedouble : -1.0);
                goto done;
            }
            if (s->exec.n_preds == cap_preds) {
                cap_preds = cap_preds ? 2 * cap_preds : 1024;
                uint32_t *q = realloc(s->exec.preds, cap_preds * sizeof *q);
                if (!q) {
                    rc = map_fail(err, n, SIM_ERR_CONFIG, "out of memory");
                    goto done;
                }
                s->exec.preds = q;
            }
            s->exec.preds[s->exec.n_preds++] = (uint32_t)p->valuedouble;
            e->n_preds++;
        }
        const cJSON *fw = cJSON_GetObjectItemCaseSensitive(o, "forward");
        if (fw) {
            uint64_t to = 0, bytes = 0;
            if (!cJSON_IsObject(fw) || get_u64(fw, "to", 1, 0, &to) ||
                get_u64(fw, "bytes", 1, 0, &bytes) || to <= i || to >= UINT32_MAX || bytes == 0) {
                rc = map_fail(err, n, SIM_ERR_CONFIG,
                           "%s: schedule[%zu].forward is not {\"to\": a later entry, \"bytes\": "
                           "B >= 1}",
                           path, i);
                goto done;
            }
            e->fwd_to = (uint32_t)to;
            e->fwd_bytes = bytes;
        }
        if (e->unit >= 0 && e->req.kind == DEV_OP_GEMM) {
            uint64_t macs;
            if (__builtin_mul_overflow(e->req.m, e->req.k, &macs) ||
                __builtin_mul_overflow(macs, e->req.n, &macs) ||
                __builtin_mul_overflow(macs, e->reps, &macs) ||
                __builtin_add_overflow(s->gemm_macs, macs, &s->gemm_macs)) {
                rc = map_fail(err, n, SIM_ERR_CONFIG,
                           "%s: schedule[%zu]: gemm %llux%llux%llu x %llu reps overflows 64-bit "
                           "counters",
                           path, i, (unsigned long long)e->req.m, (unsigned long long)e->req.k,
                           (unsigned long long)e->req.n, (unsigned long long)e->reps);
                goto done;
            }
        }
        if (in->kind && !strcmp(in->kind, "weight_load"))
            s->weight_load_bytes += e->req.m;
        i++;
        s->exec.n_entries = i;
    }
    char msg[256];
    if (map_exec_check(&s->exec, msg, sizeof msg))
        rc = map_fail(err, n, SIM_ERR_CONFIG, "%s: %s", path, msg);
done:
    cJSON_Delete(root);
    wl_graph_destroy(g);
    if (rc) {
        map_schedule_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int map_schedule_attach_file(sim_t *s, const char *path, char *err, size_t n)
{
    char *text = slurp(path, err, n);
    if (!text)
        return SIM_ERR_CONFIG;
    int rc = map_schedule_attach_text(s, text, path, err, n);
    free(text);
    return rc;
}

int map_schedule_attach_text(sim_t *s, const char *text, const char *path, char *err, size_t n)
{
    const char *driver = NULL;
    int rc = map_find_driver(s, &driver, err, n);
    if (rc)
        return rc;
    map_units_t units;
    if ((rc = map_units_from_driver(s, driver, &units, err, n)) != 0)
        return rc;
    map_schedule_t *sched = NULL;
    rc = map_schedule_parse_json(text, path, &units, &sched, err, n);
    map_units_free(&units);
    if (rc)
        return rc;
    rc = map_capacity_check(s, sched, err, n);
    if (!rc)
        rc = map_attach(s, driver, sched, err, n);
    if (rc)
        map_schedule_free(sched);
    return rc;
}
