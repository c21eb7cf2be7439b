/* Where a decoder's KV cache lives: the tensors the IR marks WL_T_KV (decode's
 * past keys/values, prefill's keys/values) get a region each, sized for the
 * cache's capacity in tokens, in the global buffer when the whole cache fits
 * it, else in DRAM after the weights. Layout per region: token-major, one row
 * of batch x kv_heads x head_dim elements per token, so a step reads the past
 * rows at once and appends its row behind them (docs/workloads.md, KV cache). */
#include "mapper/map_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void map_kv_free(map_kv_t *kv)
{
    if (!kv)
        return;
    free(kv->addr);
    free(kv->row);
    memset(kv, 0, sizeof *kv);
    kv->unit = -1;
}

/* Tokens held and bytes per token of a KV tensor [B, kv_heads, tokens, hd]. */
static int kv_shape(const wl_tensor_t *t, uint64_t *tokens, uint64_t *row)
{
    if (t->shape.rank != 4 || t->shape.dim[2] <= 0)
        return -1;
    *tokens = (uint64_t)t->shape.dim[2];
    *row = t->bytes / *tokens;
    return 0;
}

int map_kv_plan(const wl_graph_t *g, const map_units_t *units, const map_opts_t *o,
                uint64_t dram_base, map_kv_t *kv, char *err, size_t n)
{
    memset(kv, 0, sizeof *kv);
    kv->unit = -1;
    size_t n_t = wl_graph_tensor_count(g);
    if (!o->kv_cache || n_t == 0)
        return 0;
    uint64_t need = 0; /* tokens the graph itself needs the cache to hold */
    size_t n_kv = 0;
    for (size_t i = 0; i < n_t; i++) {
        const wl_tensor_t *t = wl_graph_tensor(g, i);
        uint64_t tokens, row;
        if (!(t->flags & WL_T_KV) || kv_shape(t, &tokens, &row))
            continue;
        /* decode appends one token behind the past ones */
        uint64_t held = (t->flags & WL_T_INPUT) ? tokens + 1 : tokens;
        if (held > need)
            need = held;
        n_kv++;
    }
    if (n_kv == 0)
        return 0;
    uint64_t cap = o->kv_tokens ? o->kv_tokens : need;
    if (cap < need) {
        snprintf(err, n, "the KV cache holds %llu tokens but the workload needs %llu",
                 (unsigned long long)cap, (unsigned long long)need);
        return SIM_ERR_CONFIG;
    }
    kv->addr = calloc(n_t, sizeof *kv->addr);
    kv->row = calloc(n_t, sizeof *kv->row);
    if (!kv->addr || !kv->row) {
        map_kv_free(kv);
        snprintf(err, n, "out of memory");
        return SIM_ERR_NOMEM;
    }
    uint64_t off = 0;
    for (size_t i = 0; i < n_t; i++) {
        const wl_tensor_t *t = wl_graph_tensor(g, i);
        uint64_t tokens, row;
        if (!(t->flags & WL_T_KV) || kv_shape(t, &tokens, &row))
            continue;
        kv->addr[i] = off; /* relative until the unit is known */
        kv->row[i] = row;
        off += (row * cap + WEIGHT_ALIGN - 1) / WEIGHT_ALIGN * WEIGHT_ALIGN;
    }
    kv->bytes = off;
    kv->tokens = cap;
    int u_sram = map_units_find(units, MAP_UNIT_SRAM),
        u_dram = map_units_find(units, MAP_UNIT_DRAM);
    if (u_sram >= 0 && o->kv_sram_bytes >= kv->bytes && o->kv_sram_bytes > 0) {
        kv->unit = u_sram; /* at the top of the buffer */
        kv->base = o->kv_sram_bytes - kv->bytes;
    } else if (u_dram >= 0) {
        kv->unit = u_dram; /* behind the weights */
        kv->base = (dram_base + WEIGHT_ALIGN - 1) / WEIGHT_ALIGN * WEIGHT_ALIGN;
    } else if (u_sram >= 0) {
        kv->unit = u_sram;
        kv->base = 0;
    } else {
        map_kv_free(kv); /* nowhere to keep it: the copies say which unit is missing */
        return 0;
    }
    for (size_t i = 0; i < n_t; i++)
        if (kv->row[i])
            kv->addr[i] += kv->base;
    return 0;
}
