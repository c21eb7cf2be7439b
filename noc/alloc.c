/* Separable allocators of BookSim2, on bit masks (at most 64 requesters and
 * 64 resources): iSLIP (McKeown, "The iSLIP scheduling algorithm for
 * input-queued switches", IEEE/ACM ToN 1999) and separable input-first /
 * output-first allocators with round-robin arbiters (Dally and Towles,
 * "Principles and Practices of Interconnection Networks", 2004, ch. 19).
 * Round-robin pointers move past the winner only when a match is made, and
 * in iSLIP only in the first iteration. */
#include "noc/noc_int.h"

#include <string.h>

int noc_alloc_kind(const char *name)
{
    if (!strcmp(name, "islip"))
        return NOC_ALLOC_ISLIP;
    if (!strcmp(name, "separable_input_first"))
        return NOC_ALLOC_SEP_IF;
    if (!strcmp(name, "separable_output_first"))
        return NOC_ALLOC_SEP_OF;
    return -1;
}

void noc_alloc_init(noc_alloc_t *a, int kind, int iters, int ni, int no)
{
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->iters = iters < 1 ? 1 : iters;
    a->ni = ni;
    a->no = no;
}

/* The first set bit of `mask` at or after `ptr`, wrapping around. */
static inline int rr_pick(uint64_t mask, unsigned ptr)
{
    uint64_t hi = ptr < 64 ? mask & (~0ull << ptr) : 0;
    return __builtin_ctzll(hi ? hi : mask);
}

static inline uint8_t next_ptr(int winner, int n)
{
    return (uint8_t)((winner + 1) % n);
}

void noc_alloc_run(noc_alloc_t *a, const uint64_t *req, uint64_t in_mask, int8_t *match)
{
    int ni = a->ni, no = a->no;
    uint64_t col[64]; /* col[o]: inputs requesting output o (valid for o in out_any) */
    uint64_t any_in = 0, out_any = 0;
    for (uint64_t m = in_mask; m; m &= m - 1) {
        int i = __builtin_ctzll(m);
        match[i] = -1;
        if (req[i]) {
            any_in |= 1ull << i;
            out_any |= req[i];
        }
    }
    if (!any_in)
        return;
    for (uint64_t m = out_any; m; m &= m - 1)
        col[__builtin_ctzll(m)] = 0;
    for (uint64_t m = any_in; m; m &= m - 1) {
        int i = __builtin_ctzll(m);
        for (uint64_t r = req[i]; r; r &= r - 1)
            col[__builtin_ctzll(r)] |= 1ull << i;
    }
    uint64_t free_in = any_in, free_out = out_any;
    for (int it = 0; it < a->iters && free_in && free_out; it++) {
        uint64_t got[64]; /* got[i]: outputs that picked input i */
        int any = 0;
        if (a->kind == NOC_ALLOC_SEP_IF) {
            /* each input picks one output; each output picks among its pickers */
            uint64_t picked_by[64];
            for (uint64_t m = free_out; m; m &= m - 1)
                picked_by[__builtin_ctzll(m)] = 0;
            uint64_t fi = free_in;
            while (fi) {
                int i = __builtin_ctzll(fi);
                fi &= fi - 1;
                uint64_t r = req[i] & free_out;
                if (!r)
                    continue;
                int o = rr_pick(r, a->aptr[i]);
                picked_by[o] |= 1ull << i;
            }
            uint64_t fo = free_out;
            while (fo) {
                int o = __builtin_ctzll(fo);
                fo &= fo - 1;
                if (!picked_by[o])
                    continue;
                int i = rr_pick(picked_by[o], a->gptr[o]);
                match[i] = (int8_t)o;
                free_in &= ~(1ull << i);
                free_out &= ~(1ull << o);
                if (it == 0) {
                    a->gptr[o] = next_ptr(i, ni);
                    a->aptr[i] = next_ptr(o, no);
                }
            }
            continue;
        }
        /* iSLIP and output-first: grant (outputs pick), then accept (inputs pick) */
        for (uint64_t m = free_in; m; m &= m - 1)
            got[__builtin_ctzll(m)] = 0;
        uint64_t fo = free_out;
        while (fo) {
            int o = __builtin_ctzll(fo);
            fo &= fo - 1;
            uint64_t c = col[o] & free_in;
            if (!c)
                continue;
            int i = rr_pick(c, a->gptr[o]);
            got[i] |= 1ull << o;
            any = 1;
        }
        if (!any)
            break;
        uint64_t fi = free_in;
        while (fi) {
            int i = __builtin_ctzll(fi);
            fi &= fi - 1;
            if (!got[i])
                continue;
            int o = rr_pick(got[i], a->aptr[i]);
            match[i] = (int8_t)o;
            free_in &= ~(1ull << i);
            free_out &= ~(1ull << o);
            if (it == 0 || a->kind == NOC_ALLOC_SEP_OF) {
                a->gptr[o] = next_ptr(i, ni);
                a->aptr[i] = next_ptr(o, no);
            }
        }
    }
}
