/* workloads/safetensors.c: a strict reader for the safetensors format (the
 * Hugging Face `safetensors` crate: u64 LE header length, JSON header, data
 * section). Every offset is bounds- and overflow-checked; a truncated or
 * lying header is an error naming the file and the tensor/field. */
#include "workloads/wl_forward.h"
#include "workloads/wl_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_MAX_HEADER (100u * 1024u * 1024u) /* the crate's own limit */
#define ST_MAX_EXACT 9007199254740992.0      /* 2^53: JSON numbers stay exact */

struct wl_st {
    char *label;          /* file name for messages */
    uint8_t *buf;         /* whole file */
    size_t len;
    const uint8_t *data;  /* data section */
    uint64_t data_len;
    cJSON *header;        /* parsed header (tensor names point into it) */
    wl_st_tensor_t *tensors;
    int n_tensors;
    char errmsg[512];
};

static const struct {
    const char *name;
    size_t size;
} dtype_info[] = {
    [WL_ST_BOOL] = {"BOOL", 1},     [WL_ST_U8] = {"U8", 1},
    [WL_ST_I8] = {"I8", 1},         [WL_ST_F8_E4M3] = {"F8_E4M3", 1},
    [WL_ST_F8_E5M2] = {"F8_E5M2", 1}, [WL_ST_I16] = {"I16", 2},
    [WL_ST_U16] = {"U16", 2},       [WL_ST_F16] = {"F16", 2},
    [WL_ST_BF16] = {"BF16", 2},     [WL_ST_I32] = {"I32", 4},
    [WL_ST_U32] = {"U32", 4},       [WL_ST_F32] = {"F32", 4},
    [WL_ST_I64] = {"I64", 8},       [WL_ST_U64] = {"U64", 8},
    [WL_ST_F64] = {"F64", 8},
};
#define N_DTYPES ((int)(sizeof dtype_info / sizeof dtype_info[0]))

const char *wl_st_dtype_name(wl_st_dtype_t dt)
{
    return ((int)dt >= 0 && (int)dt < N_DTYPES) ? dtype_info[dt].name : "?";
}

size_t wl_st_dtype_size(wl_st_dtype_t dt)
{
    return ((int)dt >= 0 && (int)dt < N_DTYPES) ? dtype_info[dt].size : 0;
}

float wl_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) & 1u;
    uint32_t expo = (uint32_t)(h >> 10) & 0x1fu;
    uint32_t mant = (uint32_t)h & 0x3ffu;
    float v;
    if (expo == 0)
        v = ldexpf((float)mant, -24); /* zero or subnormal */
    else if (expo == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexpf((float)(mant | 0x400u), (int)expo - 25);
    return sign ? -v : v;
}

float wl_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void st_err(wl_st_t *st, const char *fmt, ...)
{
    int n = snprintf(st->errmsg, sizeof st->errmsg, "%s: ", st->label);
    if (n < 0 || (size_t)n >= sizeof st->errmsg)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->errmsg + n, sizeof st->errmsg - (size_t)n, fmt, ap);
    va_end(ap);
}

const char *wl_st_errmsg(const wl_st_t *st)
{
    return st ? st->errmsg : "no safetensors handle";
}

void wl_st_close(wl_st_t *st)
{
    if (!st)
        return;
    cJSON_Delete(st->header);
    free(st->tensors);
    free(st->buf);
    free(st->label);
    free(st);
}

/* A JSON number that is a non-negative integer exactly representable. */
static int json_u64(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsNumber(item))
        return -1;
    double d = item->valuedouble;
    if (!(d >= 0.0) || d > ST_MAX_EXACT || d != floor(d))
        return -1;
    *out = (uint64_t)d;
    return 0;
}

static int parse_tensor(wl_st_t *st, const cJSON *entry, wl_st_tensor_t *t)
{
    const char *name = entry->string;
    t->name = name;
    if (!cJSON_IsObject(entry)) {
        st_err(st, "tensor '%s': entry is not a JSON object", name);
        return WL_FWD_EFORMAT;
    }
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    if (!cJSON_IsString(dtype)) {
        st_err(st, "tensor '%s': missing or non-string 'dtype'", name);
        return WL_FWD_EFORMAT;
    }
    int dt = -1;
    for (int i = 0; i < N_DTYPES; i++)
        if (strcmp(dtype->valuestring, dtype_info[i].name) == 0)
            dt = i;
    if (dt < 0) {
        st_err(st, "tensor '%s': unknown dtype '%s'", name, dtype->valuestring);
        return WL_FWD_EFORMAT;
    }
    t->dtype = (wl_st_dtype_t)dt;

    if (!cJSON_IsArray(shape)) {
        st_err(st, "tensor '%s': missing or non-array 'shape'", name);
        return WL_FWD_EFORMAT;
    }
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > WL_ST_MAX_DIMS) {
        st_err(st, "tensor '%s': shape has %d dimensions (at most %d)", name,
               ndim, WL_ST_MAX_DIMS);
        return WL_FWD_EFORMAT;
    }
    t->ndim = ndim;
    uint64_t numel = 1;
    int k = 0;
    const cJSON *dim;
    cJSON_ArrayForEach(dim, shape)
    {
        uint64_t d;
        if (json_u64(dim, &d) != 0) {
            st_err(st, "tensor '%s': shape[%d] is not a non-negative integer",
                   name, k);
            return WL_FWD_EFORMAT;
        }
        if (d != 0 && numel > UINT64_MAX / d) {
            st_err(st, "tensor '%s': shape product overflows 64 bits", name);
            return WL_FWD_EFORMAT;
        }
        numel *= d;
        t->shape[k++] = d;
    }
    t->numel = numel;
    size_t esize = dtype_info[dt].size;
    if (numel > UINT64_MAX / esize) {
        st_err(st, "tensor '%s': byte size overflows 64 bits", name);
        return WL_FWD_EFORMAT;
    }
    uint64_t nbytes = numel * esize;

    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2) {
        st_err(st, "tensor '%s': 'data_offsets' must be an array [begin, end]",
               name);
        return WL_FWD_EFORMAT;
    }
    if (json_u64(cJSON_GetArrayItem(offs, 0), &t->begin) != 0 ||
        json_u64(cJSON_GetArrayItem(offs, 1), &t->end) != 0) {
        st_err(st,
               "tensor '%s': data_offsets must be non-negative integers "
               "below 2^53",
               name);
        return WL_FWD_EFORMAT;
    }
    if (t->begin > t->end) {
        st_err(st, "tensor '%s': data_offsets begin %llu > end %llu", name,
               (unsigned long long)t->begin, (unsigned long long)t->end);
        return WL_FWD_EFORMAT;
    }
    if (t->end > st->data_len) {
        st_err(st,
               "tensor '%s': data_offsets end %llu is beyond the data section "
               "(%llu bytes; file truncated or header lies)",
               name, (unsigned long long)t->end,
               (unsigned long long)st->data_len);
        return WL_FWD_EFORMAT;
    }
    if (t->end - t->begin != nbytes) {
        st_err(st,
               "tensor '%s': data_offsets span %llu bytes but shape x dtype "
               "%s needs %llu",
               name, (unsigned long long)(t->end - t->begin),
               dtype_info[dt].name, (unsigned long long)nbytes);
        return WL_FWD_EFORMAT;
    }
    return 0;
}

static int cmp_begin(const void *a, const void *b)
{
    const wl_st_tensor_t *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : (x->end > y->end);
}

static int cmp_name(const void *a, const void *b)
{
    const wl_st_tensor_t *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* Validates the image held in st->buf and builds the tensor table. */
static int st_parse(wl_st_t *st)
{
    if (st->len < 8) {
        st_err(st, "truncated: %zu bytes, fewer than the 8-byte header length",
               st->len);
        return WL_FWD_EFORMAT;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | st->buf[i];
    if (hlen > (uint64_t)(st->len - 8)) {
        st_err(st, "header length %llu exceeds the %zu bytes after it "
               "(truncated file or bad header length)",
               (unsigned long long)hlen, st->len - 8);
        return WL_FWD_EFORMAT;
    }
    if (hlen > ST_MAX_HEADER) {
        st_err(st, "header length %llu exceeds the %u-byte limit",
               (unsigned long long)hlen, ST_MAX_HEADER);
        return WL_FWD_EFORMAT;
    }
    const char *hdr = (const char *)st->buf + 8;
    if (hlen < 2 || hdr[0] != '{') {
        st_err(st, "header is not a JSON object (must start with '{')");
        return WL_FWD_EFORMAT;
    }
    st->data = st->buf + 8 + hlen;
    st->data_len = (uint64_t)(st->len - 8 - hlen);

    const char *end = NULL;
    st->header = cJSON_ParseWithLengthOpts(hdr, (size_t)hlen, &end, 0);
    if (!st->header || !cJSON_IsObject(st->header)) {
        long at = end ? (long)(end - hdr) : -1;
        if (!st->header) {
            const char *ep = cJSON_GetErrorPtr();
            if (ep && ep >= hdr && ep <= hdr + hlen)
                at = (long)(ep - hdr);
        }
        st_err(st, "header JSON does not parse (near byte %ld of %llu)", at,
               (unsigned long long)hlen);
        return WL_FWD_EFORMAT;
    }
    for (const char *p = end; p && p < hdr + hlen; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != 0) {
            st_err(st, "header has trailing bytes after the JSON object "
                   "(byte %ld of %llu)",
                   (long)(p - hdr), (unsigned long long)hlen);
            return WL_FWD_EFORMAT;
        }

    int n = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, st->header)
    {
        if (strcmp(item->string, "__metadata__") != 0)
            n++;
    }
    st->tensors = calloc(n ? (size_t)n : 1, sizeof *st->tensors);
    if (!st->tensors) {
        st_err(st, "out of memory for %d tensors", n);
        return WL_FWD_ENOMEM;
    }
    cJSON_ArrayForEach(item, st->header)
    {
        if (strcmp(item->string, "__metadata__") == 0) {
            const cJSON *kv;
            if (!cJSON_IsObject(item)) {
                st_err(st, "'__metadata__' is not a JSON object");
                return WL_FWD_EFORMAT;
            }
            cJSON_ArrayForEach(kv, item)
            {
                if (!cJSON_IsString(kv)) {
                    st_err(st, "__metadata__ '%s' is not a string", kv->string);
                    return WL_FWD_EFORMAT;
                }
            }
            continue;
        }
        int rc = parse_tensor(st, item, &st->tensors[st->n_tensors]);
        if (rc)
            return rc;
        st->n_tensors++;
    }

    /* Names unique, byte ranges disjoint: checked on sorted copies. */
    size_t nt = (size_t)st->n_tensors;
    wl_st_tensor_t *sorted = malloc((nt ? nt : 1) * sizeof *sorted);
    if (!sorted) {
        st_err(st, "out of memory");
        return WL_FWD_ENOMEM;
    }
    if (nt)
        memcpy(sorted, st->tensors, nt * sizeof *sorted);
    int rc = 0;
    qsort(sorted, nt, sizeof *sorted, cmp_name);
    for (size_t i = 1; i < nt && !rc; i++)
        if (strcmp(sorted[i - 1].name, sorted[i].name) == 0) {
            st_err(st, "tensor '%s' appears twice in the header", sorted[i].name);
            rc = WL_FWD_EFORMAT;
        }
    qsort(sorted, nt, sizeof *sorted, cmp_begin);
    const wl_st_tensor_t *prev = NULL;
    for (size_t i = 0; i < nt && !rc; i++) {
        if (sorted[i].begin == sorted[i].end)
            continue; /* empty tensors occupy no bytes */
        if (prev && sorted[i].begin < prev->end) {
            st_err(st, "tensor '%s' [%llu, %llu) overlaps tensor '%s' [%llu, %llu)",
                   sorted[i].name, (unsigned long long)sorted[i].begin,
                   (unsigned long long)sorted[i].end, prev->name,
                   (unsigned long long)prev->begin,
                   (unsigned long long)prev->end);
            rc = WL_FWD_EFORMAT;
        }
        prev = &sorted[i];
    }
    free(sorted);
    return rc;
}

static int st_finish_open(wl_st_t *st, wl_st_t **out, char *err, size_t errlen)
{
    int rc = st_parse(st);
    if (rc) {
        set_err(err, errlen, "%s", st->errmsg);
        wl_st_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

static wl_st_t *st_new(const char *label)
{
    wl_st_t *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->label = strdup(label ? label : "(memory)");
    if (!st->label) {
        free(st);
        return NULL;
    }
    return st;
}

int wl_st_open_mem(const void *buf, size_t len, const char *label,
                   wl_st_t **out, char *err, size_t errlen)
{
    *out = NULL;
    wl_st_t *st = st_new(label);
    if (!st || !(st->buf = malloc(len ? len : 1))) {
        wl_st_close(st);
        set_err(err, errlen, "%s: out of memory", label ? label : "(memory)");
        return WL_FWD_ENOMEM;
    }
    if (len)
        memcpy(st->buf, buf, len);
    st->len = len;
    return st_finish_open(st, out, err, errlen);
}


int wl_st_open(const char *path, wl_st_t **out, char *err, size_t errlen)
{
    *out = NULL;
    wl_st_t *st = st_new(path);
    if (!st) {
        set_err(err, errlen, "%s: out of memory", path);
        return WL_FWD_ENOMEM;
    }
    int rc = wl_read_file(path, &st->buf, &st->len, err, errlen);
    if (rc) {
        wl_st_close(st);
        return rc;
    }
    return st_finish_open(st, out, err, errlen);
}

int wl_st_count(const wl_st_t *st) { return st ? st->n_tensors : 0; }

const wl_st_tensor_t *wl_st_tensor_at(const wl_st_t *st, int i)
{
    return (st && i >= 0 && i < st->n_tensors) ? &st->tensors[i] : NULL;
}

const wl_st_tensor_t *wl_st_find(const wl_st_t *st, const char *name)
{
    if (!st || !name)
        return NULL;
    for (int i = 0; i < st->n_tensors; i++)
        if (strcmp(st->tensors[i].name, name) == 0)
            return &st->tensors[i];
    return NULL;
}

const char *wl_st_metadata(const wl_st_t *st, const char *key)
{
    if (!st || !key)
        return NULL;
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(st->header, "__metadata__");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(md, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int wl_st_read_f32(wl_st_t *st, const char *name, float *out, size_t n)
{
    const wl_st_tensor_t *t = wl_st_find(st, name);
    if (!t) {
        if (st)
            st_err(st, "no tensor named '%s'", name ? name : "(null)");
        return WL_FWD_ENOTFOUND;
    }
    if (t->dtype != WL_ST_F32 && t->dtype != WL_ST_F16 &&
        t->dtype != WL_ST_BF16) {
        st_err(st, "tensor '%s': dtype %s cannot be read as float32 "
               "(F32, F16 and BF16 can)",
               name, wl_st_dtype_name(t->dtype));
        return WL_FWD_EINVAL;
    }
    if (t->numel > n) {
        st_err(st, "tensor '%s': %llu elements do not fit a buffer of %zu",
               name, (unsigned long long)t->numel, n);
        return WL_FWD_EINVAL;
    }
    const uint8_t *p = st->data + t->begin;
    for (uint64_t i = 0; i < t->numel; i++) {
        switch (t->dtype) {
        case WL_ST_F32: {
            uint32_t bits = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                            (uint32_t)p[4 * i + 2] << 16 |
                            (uint32_t)p[4 * i + 3] << 24;
            memcpy(&out[i], &bits, sizeof bits);
            break;
        }
        case WL_ST_F16:
            out[i] = wl_f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
            break;
        default:
            out[i] = wl_bf16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
            break;
        }
    }
    return 0;
}

float *wl_st_load_f32(wl_st_t *st, const char *name, size_t *numel)
{
    const wl_st_tensor_t *t = wl_st_find(st, name);
    if (!t) {
        if (st)
            st_err(st, "no tensor named '%s'", name ? name : "(null)");
        return NULL;
    }
    if (t->numel > SIZE_MAX / sizeof(float)) {
        st_err(st, "tensor '%s': too large for memory", name);
        return NULL;
    }
    size_t n = (size_t)t->numel;
    float *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        st_err(st, "tensor '%s': out of memory for %zu floats", name, n);
        return NULL;
    }
    if (wl_st_read_f32(st, name, v, n) != 0) {
        free(v);
        return NULL;
    }
    if (numel)
        *numel = n;
    return v;
}
