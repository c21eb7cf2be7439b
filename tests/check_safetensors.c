/* tests/check_safetensors.c: the safetensors reader against the tiny-gpt2
 * fixture written by HF transformers (tests/fixtures/tiny-gpt2), IEEE
 * half/bfloat16 closed forms, and every malformed-file path (truncated
 * file, lying or overflowing offsets, bad dtype, header beyond file). */
#include "workloads/wl_forward.h"

#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURE "tests/fixtures/tiny-gpt2/model.safetensors"

/* A safetensors image: u64 LE header length, header, data_len bytes. */
static uint8_t *image(const char *header, const void *data, size_t data_len,
                      size_t *len)
{
    size_t hl = strlen(header);
    *len = 8 + hl + data_len;
    uint8_t *b = calloc(1, *len ? *len : 1);
    ck_assert_ptr_nonnull(b);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, header, hl);
    if (data)
        memcpy(b + 8 + hl, data, data_len);
    return b;
}

static uint8_t *read_fixture(size_t *len)
{
    FILE *f = fopen(FIXTURE, "rb");
    ck_assert_msg(f != NULL, "run the tests from the repository root");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Opens an image that must fail with `code`, and a message containing each
 * of the NULL-terminated fragments. */
static void expect_fail(const char *header, size_t data_len, int code, ...)
{
    size_t len;
    uint8_t *data = calloc(1, data_len ? data_len : 1);
    uint8_t *b = image(header, data, data_len, &len);
    char err[512] = "";
    wl_st_t *st = (wl_st_t *)1;
    int rc = wl_st_open_mem(b, len, "bad.safetensors", &st, err, sizeof err);
    ck_assert_msg(rc == code, "header %s: rc %d, want %d (%s)", header, rc,
                  code, err);
    ck_assert_ptr_null(st);
    ck_assert_msg(strstr(err, "bad.safetensors") != NULL, "no file in '%s'", err);
    va_list ap;
    va_start(ap, code);
    for (const char *frag; (frag = va_arg(ap, const char *));)
        ck_assert_msg(strstr(err, frag) != NULL, "'%s' lacks '%s'", err, frag);
    va_end(ap);
    free(b);
    free(data);
}

START_TEST(test_fixture_listing)
{
    char err[512];
    wl_st_t *st = NULL;
    ck_assert_int_eq(wl_st_open(FIXTURE, &st, err, sizeof err), 0);
    /* 12 blocks x 12 tensors + wte, wpe, ln_f.{weight,bias}; lm_head tied */
    ck_assert_int_eq(wl_st_count(st), 12 * 12 + 4);
    const wl_st_tensor_t *t = wl_st_find(st, "transformer.h.0.attn.c_attn.weight");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->dtype, WL_ST_F16);
    ck_assert_int_eq(t->ndim, 2);
    ck_assert_uint_eq(t->shape[0], 128);
    ck_assert_uint_eq(t->shape[1], 384); /* Conv1D: [in, out] */
    ck_assert_uint_eq(t->begin, 768);
    ck_assert_uint_eq(t->end, 99072);
    ck_assert_uint_eq(t->numel, 128 * 384);
    ck_assert_str_eq(wl_st_metadata(st, "format"), "pt");
    ck_assert_ptr_null(wl_st_metadata(st, "nothing"));
    ck_assert_ptr_null(wl_st_find(st, "lm_head.weight"));
    ck_assert_str_eq(wl_st_dtype_name(t->dtype), "F16");
    ck_assert_uint_eq(wl_st_dtype_size(WL_ST_BF16), 2);

    /* the data section is exactly covered: sum of sizes = file - header */
    uint64_t total = 0;
    for (int i = 0; i < wl_st_count(st); i++)
        total += wl_st_tensor_at(st, i)->end - wl_st_tensor_at(st, i)->begin;
    ck_assert_uint_eq(total, 4871704 - 8 - 14352);
    ck_assert_ptr_null(wl_st_tensor_at(st, -1));
    ck_assert_ptr_null(wl_st_tensor_at(st, wl_st_count(st)));

    size_t n = 0;
    float *ln = wl_st_load_f32(st, "transformer.ln_f.weight", &n);
    ck_assert_ptr_nonnull(ln);
    ck_assert_uint_eq(n, 128);
    for (size_t i = 0; i < n; i++) /* a trained LayerNorm gain: finite, O(1) */
        ck_assert(isfinite(ln[i]) && fabsf(ln[i]) < 10);
    free(ln);

    float small[4];
    ck_assert_int_eq(wl_st_read_f32(st, "transformer.ln_f.weight", small, 4),
                     WL_FWD_EINVAL);
    ck_assert_ptr_nonnull(strstr(wl_st_errmsg(st), "transformer.ln_f.weight"));
    ck_assert_int_eq(wl_st_read_f32(st, "no.such", small, 4), WL_FWD_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(wl_st_errmsg(st), "no.such"));
    ck_assert_ptr_null(wl_st_load_f32(st, "no.such", NULL));
    wl_st_close(st);
    wl_st_close(NULL);
}
END_TEST

START_TEST(test_half_closed_forms)
{
    ck_assert(wl_f16_to_f32(0x3c00) == 1.0f);
    ck_assert(wl_f16_to_f32(0xc000) == -2.0f);
    ck_assert(wl_f16_to_f32(0x3555) == 0x1.554p-2f); /* nearest half to 1/3 */
    ck_assert(wl_f16_to_f32(0x7bff) == 65504.0f);     /* largest half */
    ck_assert(wl_f16_to_f32(0x0400) == 0x1p-14f);     /* smallest normal */
    ck_assert(wl_f16_to_f32(0x0001) == 0x1p-24f);     /* smallest subnormal */
    ck_assert(wl_f16_to_f32(0x03ff) == 0x1.ff8p-15f); /* largest subnormal */
    ck_assert(wl_f16_to_f32(0x8000) == 0.0f && signbit(wl_f16_to_f32(0x8000)));
    ck_assert(isinf(wl_f16_to_f32(0x7c00)) && wl_f16_to_f32(0x7c00) > 0);
    ck_assert(isinf(wl_f16_to_f32(0xfc00)) && wl_f16_to_f32(0xfc00) < 0);
    ck_assert(isnan(wl_f16_to_f32(0x7e00)));
    ck_assert(wl_bf16_to_f32(0x3f80) == 1.0f);
    ck_assert(wl_bf16_to_f32(0xc049) == -3.140625f);
    ck_assert(wl_bf16_to_f32(0x0001) == 0x1p-133f); /* bf16 subnormal */
}
END_TEST

START_TEST(test_dtypes_roundtrip)
{
    /* a: F32 [2] = {1.5, -0.25}; b: F16 [2,2] = {1, -2, 0.5, 65504};
     * c: BF16 [3] = {1, -3.140625, 0}; d: I64 scalar; e: empty F32 [0] */
    uint8_t data[8 + 8 + 6 + 8] = {0};
    float f32[2] = {1.5f, -0.25f};
    for (int i = 0; i < 2; i++) {
        uint32_t bits;
        memcpy(&bits, &f32[i], 4);
        for (int k = 0; k < 4; k++)
            data[4 * i + k] = (uint8_t)(bits >> (8 * k));
    }
    const uint16_t h[4] = {0x3c00, 0xc000, 0x3800, 0x7bff};
    const uint16_t bf[3] = {0x3f80, 0xc049, 0x0000};
    for (int i = 0; i < 4; i++) {
        data[8 + 2 * i] = (uint8_t)h[i];
        data[8 + 2 * i + 1] = (uint8_t)(h[i] >> 8);
    }
    for (int i = 0; i < 3; i++) {
        data[16 + 2 * i] = (uint8_t)bf[i];
        data[16 + 2 * i + 1] = (uint8_t)(bf[i] >> 8);
    }
    const char *hdr =
        "{\"__metadata__\":{\"k\":\"v\"},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[8,16]},"
        "\"c\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]},"
        "\"d\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[22,30]},"
        "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[30,30]}}   ";
    size_t len;
    uint8_t *b = image(hdr, data, sizeof data, &len);
    char err[512];
    wl_st_t *st = NULL;
    ck_assert_msg(wl_st_open_mem(b, len, "mem", &st, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_int_eq(wl_st_count(st), 5);
    ck_assert_str_eq(wl_st_metadata(st, "k"), "v");
    float out[4];
    ck_assert_int_eq(wl_st_read_f32(st, "a", out, 4), 0);
    ck_assert(out[0] == 1.5f && out[1] == -0.25f);
    ck_assert_int_eq(wl_st_read_f32(st, "b", out, 4), 0);
    ck_assert(out[0] == 1.0f && out[1] == -2.0f && out[2] == 0.5f &&
              out[3] == 65504.0f);
    ck_assert_int_eq(wl_st_read_f32(st, "c", out, 4), 0);
    ck_assert(out[0] == 1.0f && out[1] == -3.140625f && out[2] == 0.0f);
    const wl_st_tensor_t *d = wl_st_find(st, "d");
    ck_assert_int_eq(d->ndim, 0);
    ck_assert_uint_eq(d->numel, 1);
    /* an integer tensor is listed but cannot be read as float32 */
    ck_assert_int_eq(wl_st_read_f32(st, "d", out, 4), WL_FWD_EINVAL);
    ck_assert_ptr_nonnull(strstr(wl_st_errmsg(st), "I64"));
    ck_assert_ptr_nonnull(strstr(wl_st_errmsg(st), "'d'"));
    size_t n = 99;
    float *e = wl_st_load_f32(st, "e", &n);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(n, 0);
    free(e);
    wl_st_close(st);
    free(b);
}
END_TEST

START_TEST(test_truncated_and_short)
{
    char err[512];
    wl_st_t *st = NULL;
    uint8_t five[5] = {1, 2, 3, 4, 5};
    ck_assert_int_eq(wl_st_open_mem(five, 5, "short.st", &st, err, sizeof err),
                     WL_FWD_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err, "short.st"));
    ck_assert_ptr_nonnull(strstr(err, "truncated"));

    /* the real file cut by one byte: the last tensor runs past the end */
    size_t len;
    uint8_t *b = read_fixture(&len);
    ck_assert_int_eq(wl_st_open_mem(b, len - 1, "cut.st", &st, err, sizeof err),
                     WL_FWD_EFORMAT);
    ck_assert_ptr_null(st);
    ck_assert_ptr_nonnull(strstr(err, "cut.st"));
    ck_assert_ptr_nonnull(strstr(err, "beyond the data section"));
    ck_assert_ptr_nonnull(strstr(err, "transformer.wte.weight")); /* last */

    /* cut inside the header: the header length now lies beyond the file */
    ck_assert_int_eq(wl_st_open_mem(b, 1000, "cut.st", &st, err, sizeof err),
                     WL_FWD_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err, "header length 14352 exceeds"));

    /* a real file truncated on disk, through wl_st_open */
    char path[] = "/tmp/prism_st_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, b, len / 2), (ssize_t)(len / 2));
    close(fd);
    ck_assert_int_eq(wl_st_open(path, &st, err, sizeof err), WL_FWD_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err, path));
    unlink(path);
    free(b);

    ck_assert_int_eq(wl_st_open("tests/fixtures/nope.safetensors", &st, err,
                                sizeof err),
                     WL_FWD_EIO);
    ck_assert_ptr_nonnull(strstr(err, "nope.safetensors"));
    ck_assert_ptr_nonnull(strstr(err, "cannot open"));
}
END_TEST

START_TEST(test_header_length_lies)
{
    /* header length field far beyond the file, and one so large that
     * 8 + length overflows 64 bits */
    uint8_t b[16] = {0};
    memcpy(b + 8, "{}      ", 8);
    char err[512];
    wl_st_t *st = NULL;
    b[0] = 100;
    ck_assert_int_eq(wl_st_open_mem(b, sizeof b, "x.st", &st, err, sizeof err),
                     WL_FWD_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err, "header length 100 exceeds the 8 bytes"));
    memset(b, 0xff, 8);
    ck_assert_int_eq(wl_st_open_mem(b, sizeof b, "x.st", &st, err, sizeof err),
                     WL_FWD_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err, "18446744073709551615"));
    /* an empty object with no data is a valid, empty file */
    memset(b, 0, 8);
    b[0] = 8;
    ck_assert_int_eq(wl_st_open_mem(b, sizeof b, "x.st", &st, err, sizeof err), 0);
    ck_assert_int_eq(wl_st_count(st), 0);
    wl_st_close(st);
}
END_TEST

START_TEST(test_offsets_lie)
{
    /* span does not match shape x dtype */
    expect_fail("{\"w\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,6]}}",
                8, WL_FWD_EFORMAT, "'w'", "span 6 bytes", "needs 8", NULL);
    /* end past the data section */
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
                16, WL_FWD_EFORMAT, "'w'", "end 24 is beyond", NULL);
    /* begin after end */
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}",
                16, WL_FWD_EFORMAT, "'w'", "begin 8 > end 4", NULL);
    /* two tensors claiming the same bytes */
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                16, WL_FWD_EFORMAT, "overlaps", "'a'", "'b'", NULL);
    /* one offset pair only, or not integers */
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
                WL_FWD_EFORMAT, "'w'", "[begin, end]", NULL);
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}}",
                8, WL_FWD_EFORMAT, "'w'", "non-negative integers", NULL);
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}",
                8, WL_FWD_EFORMAT, "'w'", "non-negative integers", NULL);
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",4]}}",
                8, WL_FWD_EFORMAT, "'w'", "non-negative integers", NULL);
    /* same name twice */
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                8, WL_FWD_EFORMAT, "'a' appears twice", NULL);
}
END_TEST

START_TEST(test_offsets_overflow)
{
    /* offsets beyond 2^53 are not exact in JSON doubles, and beyond 2^64 */
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                "\"data_offsets\":[18446744073709551612,18446744073709551616]}}",
                8, WL_FWD_EFORMAT, "'w'", "below 2^53", NULL);
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1e300]}}",
                8, WL_FWD_EFORMAT, "'w'", "below 2^53", NULL);
    /* a shape whose product overflows 64 bits */
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,2],"
                "\"data_offsets\":[0,0]}}",
                8, WL_FWD_EFORMAT, "'w'", "shape product overflows", NULL);
    /* a product that fits but whose byte size does not: 2^62 x 8 bytes */
    expect_fail("{\"w\":{\"dtype\":\"F64\",\"shape\":[2147483648,2147483648],"
                "\"data_offsets\":[0,8]}}",
                8, WL_FWD_EFORMAT, "'w'", "byte size overflows", NULL);
    /* a product so large it wraps to a small number if unchecked:
     * 2^32 * 2^32 = 2^64 -> 0 */
    expect_fail("{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],"
                "\"data_offsets\":[0,0]}}",
                8, WL_FWD_EFORMAT, "'w'", "overflows", NULL);
}
END_TEST

START_TEST(test_bad_dtype_and_fields)
{
    expect_fail("{\"w\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,1]}}", 8,
                WL_FWD_EFORMAT, "'w'", "unknown dtype 'Q7'", NULL);
    expect_fail("{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8,
                WL_FWD_EFORMAT, "'w'", "unknown dtype 'f32'", NULL);
    expect_fail("{\"w\":{\"dtype\":16,\"shape\":[1],\"data_offsets\":[0,4]}}", 8,
                WL_FWD_EFORMAT, "'w'", "'dtype'", NULL);
    expect_fail("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 8, WL_FWD_EFORMAT,
                "'w'", "'dtype'", NULL);
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 8,
                WL_FWD_EFORMAT, "'w'", "'shape'", NULL);
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                8, WL_FWD_EFORMAT, "'w'", "shape[0]", NULL);
    expect_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[1,2,1,1,1,1,1,1,1],"
                "\"data_offsets\":[0,8]}}",
                8, WL_FWD_EFORMAT, "'w'", "9 dimensions", NULL);
    expect_fail("{\"w\":[1,2]}", 8, WL_FWD_EFORMAT, "'w'", "not a JSON object",
                NULL);
    expect_fail("{\"__metadata__\":{\"k\":3}}", 8, WL_FWD_EFORMAT, "__metadata__",
                NULL);
    expect_fail("{\"w\":{\"dtype\":\"F32\",", 8, WL_FWD_EFORMAT,
                "does not parse", NULL);
    expect_fail("[1,2,3]", 8, WL_FWD_EFORMAT, "not a JSON object", NULL);
    expect_fail("{} x", 8, WL_FWD_EFORMAT, "trailing bytes", NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("safetensors");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fixture_listing);
    tcase_add_test(tc, test_half_closed_forms);
    tcase_add_test(tc, test_dtypes_roundtrip);
    tcase_add_test(tc, test_truncated_and_short);
    tcase_add_test(tc, test_header_length_lies);
    tcase_add_test(tc, test_offsets_lie);
    tcase_add_test(tc, test_offsets_overflow);
    tcase_add_test(tc, test_bad_dtype_and_fields);
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
