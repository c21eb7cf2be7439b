/* Trace rows encoded as an SQLite database image that holds one table,
 * `events`, built directly in SQLite's file format (sqlite.org/fileformat2.html:
 * sections 1.3 "The Database Header", 1.6 "B-tree Pages", 2.1 "Record Format").
 * The writer thread attaches the image (sqlite3_deserialize) and copies it
 * with `INSERT INTO main.events SELECT * FROM stage.events`, which SQLite runs
 * as its transfer optimization: records are copied as they are, without being
 * decoded and rebuilt, which is where the binding path spent its time (see
 * docs/trace.md). The records are the ones SQLite itself would build for the
 * same bound values (same serial types), so the database reads the same. */
#include "sim/trace_image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 65536u          /* page size of the image */
#define LEAF_HDR 8u          /* table b-tree leaf page header */
#define INTERIOR_HDR 12u     /* table b-tree interior page header */
#define ROW_CELL_MAX 84u     /* 1 (payload length) + 9 (rowid) + 9 + 8 * 8 (record) */

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* SQLite varint: big-endian groups of 7 bits, the high bit set on all but
 * the last; a 9th byte carries 8 bits. Returns its length. */
static unsigned put_varint(unsigned char *p, uint64_t v)
{
    if (v < 0x80) {
        p[0] = (unsigned char)v;
        return 1;
    }
    unsigned char tmp[10];
    unsigned n = 0;
    if (v & 0xff00000000000000ull) {
        p[8] = (unsigned char)v;
        v >>= 8;
        for (int i = 7; i >= 0; i--) {
            p[i] = (unsigned char)((v & 0x7f) | 0x80);
            v >>= 7;
        }
        return 9;
    }
    while (v) {
        tmp[n++] = (unsigned char)((v & 0x7f) | 0x80);
        v >>= 7;
    }
    tmp[0] &= 0x7f;
    for (unsigned i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

/* An integer's serial type and body size (file format 4: 0 and 1 take no
 * body, types 8 and 9). */
static inline unsigned int_type(int64_t v, unsigned *len)
{
    uint64_t u = v < 0 ? ~(uint64_t)v : (uint64_t)v;
    static const unsigned size[] = {0, 1, 2, 3, 4, 6, 8};
    unsigned t;
    if (u <= 127) {
        if (v == 0 || v == 1) {
            *len = 0;
            return 8 + (unsigned)v;
        }
        t = 1;
    } else if (u <= 32767) {
        t = 2;
    } else if (u <= 8388607) {
        t = 3;
    } else if (u <= 2147483647) {
        t = 4;
    } else if (u <= 0x00007fffffffffffull) {
        t = 5;
    } else {
        t = 6;
    }
    *len = size[t];
    return t;
}

static inline void put_be(unsigned char *p, uint64_t v, unsigned len)
{
    switch (len) {
    case 8: p[len - 8] = (unsigned char)(v >> 56); p[len - 7] = (unsigned char)(v >> 48); /* fallthrough */
    case 6: p[len - 6] = (unsigned char)(v >> 40); p[len - 5] = (unsigned char)(v >> 32); /* fallthrough */
    case 4: p[len - 4] = (unsigned char)(v >> 24); /* fallthrough */
    case 3: p[len - 3] = (unsigned char)(v >> 16); /* fallthrough */
    case 2: p[len - 2] = (unsigned char)(v >> 8); /* fallthrough */
    case 1: p[len - 1] = (unsigned char)v; /* fallthrough */
    default: break;
    }
}

/* A double bound to a REAL column, as SQLite stores it: NaN becomes NULL
 * (serial type 0); zero, and a value with no fractional part in
 * [-2^51, 2^51), is stored as an integer (REAL affinity does this on write,
 * and turns it back into a real on read); anything else is an IEEE 754
 * big-endian double. Checked against SQLite's own records by
 * tests/check_trace_writer.c. */
static unsigned put_real(unsigned char *p, double r, unsigned *len)
{
    if (isnan(r)) {
        *len = 0;
        return 0;
    }
    if (r >= -2251799813685248.0 && r < 2251799813685248.0) {
        int64_t ix = (int64_t)r;
        if ((double)ix == r) {
            unsigned t = int_type(ix, len);
            put_be(p, (uint64_t)ix, *len);
            return t;
        }
    }
    uint64_t bits;
    memcpy(&bits, &r, 8);
    put_be(p, bits, 8);
    *len = 8;
    return 7;
}

/* An integer column: its serial type into *type, its body at p; returns the
 * body length. */
static inline unsigned put_int(unsigned char *type, unsigned char *p, int64_t v)
{
    unsigned len;
    *type = (unsigned char)int_type(v, &len);
    put_be(p, (uint64_t)v, len);
    return len;
}

/* The record of one row into p (at most ROW_CELL_MAX - 10 bytes): the
 * values as the writer binds them (sqlite3_bind_int64 / _int / _double /
 * _null), so the record is the one SQLite builds. Returns its length. */
static unsigned encode_record(unsigned char *p, const sim_trace_row_t *r)
{
    unsigned char *b = p + 9; /* 1-byte header length + 8 one-byte serial types */
    p[0] = 9;
    b += put_int(p + 1, b, (int64_t)r->time_ps);
    b += put_int(p + 2, b, (int)r->comp);
    b += put_int(p + 3, b, r->kind);
    b += put_int(p + 4, b, r->op);
    b += put_int(p + 5, b, (int64_t)r->duration_ps);
    b += put_int(p + 6, b, (int64_t)r->bytes);
    unsigned len;
    p[7] = (unsigned char)put_real(b, r->energy_pj, &len);
    b += len;
    if (r->op_id) {
        b += put_int(p + 8, b, (int64_t)r->op_id);
    } else {
        p[8] = 0;
    }
    return (unsigned)(b - p);
}

static int reserve(trace_image_t *img, size_t pages)
{
    size_t need = pages * PAGE;
    if (need <= img->cap)
        return 0;
    unsigned char *b = realloc(img->buf, need);
    if (!b)
        return -1;
    img->buf = b;
    img->cap = need;
    return 0;
}

/* Page 1: the 100-byte database header and the schema table (a leaf with
 * one row: the events table, its root on page 2). */
static void write_page1(unsigned char *pg, uint32_t npages, const char *create_sql)
{
    memset(pg, 0, PAGE);
    memcpy(pg, "SQLite format 3", 16);
    put16(pg + 16, 1);      /* page size 65536 is written as 1 */
    pg[18] = pg[19] = 1;    /* legacy (rollback) read/write versions */
    pg[21] = 64;            /* payload fractions: fixed values */
    pg[22] = 32;
    pg[23] = 32;
    put32(pg + 24, 1);      /* change counter */
    put32(pg + 28, npages); /* size in pages (valid: counter = version-valid-for) */
    put32(pg + 40, 1);      /* schema cookie */
    put32(pg + 44, 4);      /* schema format 4 */
    put32(pg + 56, 1);      /* UTF-8 */
    put32(pg + 92, 1);      /* version-valid-for */
    put32(pg + 96, 3008000);
    /* record: type, name, tbl_name, rootpage, sql */
    static const char *const text[] = {"table", "events", "events"};
    size_t sql_len = strlen(create_sql);
    unsigned char rec[8192];
    unsigned char hdr[64];
    unsigned hn = 0;
    size_t bn = 0;
    unsigned char body[8192];
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(text[i]);
        hn += put_varint(hdr + hn, 2 * l + 13);
        memcpy(body + bn, text[i], l);
        bn += l;
    }
    hn += put_varint(hdr + hn, 1); /* rootpage 2: one-byte integer */
    body[bn++] = 2;
    hn += put_varint(hdr + hn, 2 * sql_len + 13);
    memcpy(body + bn, create_sql, sql_len);
    bn += sql_len;
    unsigned char hl[10];
    unsigned hll = put_varint(hl, hn + 1); /* header length counts itself (< 128 here) */
    size_t rl = 0;
    memcpy(rec, hl, hll);
    rl += hll;
    memcpy(rec + rl, hdr, hn);
    rl += hn;
    memcpy(rec + rl, body, bn);
    rl += bn;
    unsigned char cell[8300];
    size_t cl = put_varint(cell, rl);
    cl += put_varint(cell + cl, 1); /* rowid 1 */
    memcpy(cell + cl, rec, rl);
    cl += rl;
    size_t at = PAGE - cl;
    memcpy(pg + at, cell, cl);
    pg[100] = 0x0d;         /* table leaf */
    put16(pg + 103, 1);     /* one cell */
    put16(pg + 105, (unsigned)at);
    put16(pg + 108, (unsigned)at);
}

static void leaf_finish(unsigned char *pg, unsigned ncells, unsigned content)
{
    pg[0] = 0x0d;
    put16(pg + 1, 0);
    put16(pg + 3, ncells);
    put16(pg + 5, content == PAGE ? 0 : content);
    pg[7] = 0;
}

int trace_image_build(trace_image_t *img, const sim_trace_row_t *rows, size_t n,
                      int64_t first_rowid, const char *create_sql)
{
    if (n == 0 || n > TRACE_IMAGE_MAX_ROWS || strlen(create_sql) > 4000)
        return -1;
    /* pages: 1 (schema) + 1 (root) + leaves; a leaf holds at least
     * (PAGE - 8) / (ROW_CELL_MAX + 2) rows */
    size_t per_leaf_min = (PAGE - LEAF_HDR) / (ROW_CELL_MAX + 2);
    size_t max_leaves = n / per_leaf_min + 1;
    if (reserve(img, 2 + max_leaves))
        return -1;
    /* leaves start on page 3 (page p at offset (p - 1) * PAGE); when all
     * rows fit in one leaf it is moved to page 2, the root */
    uint32_t leaf_no[TRACE_IMAGE_MAX_ROWS / ((PAGE - LEAF_HDR) / (ROW_CELL_MAX + 2)) + 2];
    int64_t leaf_key[sizeof leaf_no / sizeof leaf_no[0]];
    unsigned nleaves = 0;
    unsigned char *pg = NULL;
    unsigned ncells = 0, content = PAGE;
    for (size_t i = 0; i < n; i++) {
        /* cell: payload length (one byte: a record is under 128 bytes),
         * rowid, record */
        unsigned char cell[ROW_CELL_MAX];
        int64_t rowid = first_rowid + (int64_t)i;
        unsigned cl = 1 + put_varint(cell + 1, (uint64_t)rowid);
        unsigned rl = encode_record(cell + cl, &rows[i]);
        cell[0] = (unsigned char)rl;
        cl += rl;
        if (!pg || content < cl + LEAF_HDR + 2 * (ncells + 1)) {
            if (pg)
                leaf_finish(pg, ncells, content);
            leaf_no[nleaves] = 3 + nleaves;
            pg = img->buf + (size_t)(2 + nleaves) * PAGE;
            nleaves++;
            ncells = 0;
            content = PAGE;
        }
        content -= cl;
        memcpy(pg + content, cell, cl);
        put16(pg + LEAF_HDR + 2 * ncells, content);
        ncells++;
        leaf_key[nleaves - 1] = rowid;
    }
    leaf_finish(pg, ncells, content);
    uint32_t npages;
    unsigned char *root = img->buf + PAGE;
    if (nleaves == 1) {
        memcpy(root, img->buf + 2 * (size_t)PAGE, PAGE);
        npages = 2;
    } else {
        /* interior root: (left child, its largest rowid) for every leaf but
         * the last, which is the right-most pointer */
        memset(root, 0, INTERIOR_HDR);
        unsigned c = PAGE;
        for (unsigned k = 0; k + 1 < nleaves; k++) {
            unsigned char cell[16];
            put32(cell, leaf_no[k]);
            unsigned cl = 4 + put_varint(cell + 4, (uint64_t)leaf_key[k]);
            c -= cl;
            memcpy(root + c, cell, cl);
            put16(root + INTERIOR_HDR + 2 * k, c);
        }
        root[0] = 0x05;
        put16(root + 3, nleaves - 1);
        put16(root + 5, c == PAGE ? 0 : c);
        put32(root + 8, leaf_no[nleaves - 1]);
        npages = 2 + nleaves;
    }
    write_page1(img->buf, npages, create_sql);
    img->size = (size_t)npages * PAGE;
    return 0;
}

void trace_image_free(trace_image_t *img)
{
    free(img->buf);
    img->buf = NULL;
    img->cap = img->size = 0;
}
