/* Shared scaffolding of the suites that run the built `prism` binary
 * ($PRISM, set by make test): a temporary directory per test, file helpers,
 * and a shell runner that drains the child's output (a full pipe must not
 * block it). Header-only; everything is static inline. */
#ifndef PRISM_CHECK_CLI_H
#define PRISM_CHECK_CLI_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static const char *prism;

/* mkdtemp under /tmp with the suite's name; aborts when /tmp is unusable */
static inline void cli_setup(const char *suite)
{
    prism = getenv("PRISM");
    snprintf(dir, sizeof dir, "/tmp/prism-%s-XXXXXX", suite);
    if (!mkdtemp(dir))
        abort();
}

static inline void cli_teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

#define SKIP_WITHOUT_PRISM()                                                                     \
    do {                                                                                         \
        if (!prism || access(prism, X_OK) != 0) {                                                \
            fprintf(stderr, "skipped: PRISM is not set to the built binary\n");                  \
            return;                                                                              \
        }                                                                                        \
    } while (0)

/* DIR/name in one of four rotating buffers */
static inline const char *path(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static inline void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Runs a shell command (stderr merged into stdout when `merge`); keeps what
 * fits of the output in out[n] and drains the rest; returns the exit status. */
static inline int cli_vrun(char *out, size_t n, int merge, const char *fmt, va_list ap)
{
    char cmd[8192];
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    if (merge)
        strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t len = 0, got;
    char tmp[4096];
    while ((got = fread(tmp, 1, sizeof tmp, p)) > 0) {
        size_t keep = out && n ? n - 1 - len : 0;
        keep = got < keep ? got : keep;
        if (keep)
            memcpy(out + len, tmp, keep);
        len += keep;
    }
    if (out && n)
        out[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs a shell command; returns its exit status, with its stdout and stderr
 * together in out[n] (run) or its stdout alone (run_out). */
static inline int run(char *out, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int run(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cli_vrun(out, n, 1, fmt, ap);
    va_end(ap);
    return rc;
}

static inline int run_out(char *out, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int run_out(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cli_vrun(out, n, 0, fmt, ap);
    va_end(ap);
    return rc;
}

/* Runs a shell command with run() into the array `out` and checks its exit
 * status and that its output holds `want`. */
#define EXPECT_RUN(code, want, out, ...)                                                           \
    do {                                                                                           \
        int rc_ = run(out, sizeof out, __VA_ARGS__);                                               \
        ck_assert_msg(rc_ == (code), "exit %d, not %d: %s", rc_, (code), out);                     \
        ck_assert_msg(strstr(out, (want)) != NULL, "want '%s' in: %s", (want), out);               \
    } while (0)

#endif
