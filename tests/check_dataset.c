/* tests/check_dataset.c: the labelled CSV reader against the UCI digits
 * fixture (1797 rows, 64 pixels 0..16, labels 0..9, class counts as the UCI
 * description gives them) and its bad-input paths. */
#include "workloads/dataset.h"
#include "workloads/wl.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(digits_shape_and_counts)
{
    wl_dataset_t *ds = NULL;
    char err[256] = "";
    ck_assert_int_eq(wl_dataset_load("digits", &ds, err, sizeof err), 0);
    ck_assert_int_eq(ds->rows, 1797);
    ck_assert_int_eq(ds->features, 64);
    ck_assert_int_eq(ds->classes, 10);
    ck_assert_float_eq(ds->scale, 16.0f);
    /* UCI optdigits test set class counts (optdigits.names) */
    static const int uci[10] = {178, 182, 177, 183, 181, 182, 181, 179, 174, 180};
    int cnt[10] = {0};
    for (int i = 0; i < ds->rows; i++)
        cnt[ds->label[i]]++;
    for (int c = 0; c < 10; c++)
        ck_assert_int_eq(cnt[c], uci[c]);
    float lo = 1, hi = 0;
    for (int i = 0; i < ds->rows * ds->features; i++) {
        lo = ds->x[i] < lo ? ds->x[i] : lo;
        hi = ds->x[i] > hi ? ds->x[i] : hi;
    }
    ck_assert_float_eq(lo, 0.0f);
    ck_assert_float_eq(hi, 1.0f);
    /* first row of the file: 0,0,5,13,... label 0 */
    ck_assert_float_eq_tol(ds->x[2], 5.0f / 16.0f, 1e-7);
    ck_assert_int_eq(ds->label[0], 0);
    wl_dataset_t tr, te;
    ck_assert_int_eq(wl_dataset_split(ds, 1437, &tr, &te, err, sizeof err), 0);
    ck_assert_int_eq(tr.rows, 1437);
    ck_assert_int_eq(te.rows, 360);
    ck_assert_ptr_eq(te.x, ds->x + 1437 * 64);
    ck_assert_int_eq(wl_dataset_split(ds, 1797, &tr, &te, err, sizeof err), WL_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(err, "1797 rows: train on 1 to 1796 of them"));
    wl_dataset_free(ds);
}
END_TEST

START_TEST(bad_files)
{
    wl_dataset_t *ds = NULL;
    char err[256] = "";
    ck_assert_int_eq(wl_dataset_load("/nonexistent/x.csv", &ds, err, sizeof err), WL_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.csv"));
    ck_assert_ptr_null(ds);
    ck_assert_int_eq(wl_dataset_load("tests/fixtures/bad/dataset_short_row.csv", &ds, err, sizeof err),
                     WL_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "dataset_short_row.csv:2: field 2"));
    ck_assert_int_eq(wl_dataset_load("tests/fixtures/onnx/resnet18.onnx", &ds, err, sizeof err), WL_ERR_FORMAT);
    wl_dataset_free(NULL);
}
END_TEST

/* Issue 22, finding 8: a one-row file said "split 0 outside [1, 0] for 1 rows" */
START_TEST(one_row_is_too_few)
{
    char path[] = "/tmp/prism-dataset-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "1,2,3,0\n", 8), 8);
    close(fd);
    wl_dataset_t *ds = NULL, tr, te;
    char err[256] = "";
    ck_assert_int_eq(wl_dataset_load(path, &ds, err, sizeof err), 0);
    ck_assert_int_eq(wl_dataset_split(ds, 0, &tr, &te, err, sizeof err), WL_ERR_ARG);
    ck_assert_msg(strstr(err, "1 row: a data set needs at least 2 (one to train on, one to test)"),
                  "%s", err);
    wl_dataset_free(ds);
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dataset");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, digits_shape_and_counts);
    tcase_add_test(tc, bad_files);
    tcase_add_test(tc, one_row_is_too_few);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
