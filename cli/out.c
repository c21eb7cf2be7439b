/* The command line's conventions (cli/out.h): usage errors, counts, times,
 * the recorded argv, same-file checks. The result-set printer is the
 * library's (run/out.c). */
#include "cli/out.h"
#include "sim/sim.h"
#include "workloads/wl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int usage_verror(FILE *f, const char *cmd, const char *fmt, va_list ap)
{
    fprintf(f, "prism %s: ", cmd);
    vfprintf(f, fmt, ap);
    fprintf(f, " (see prism %s --help)\n", cmd);
    return 2;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = usage_verror(stderr, cmd, fmt, ap);
    va_end(ap);
    return rc;
}

int cli_usage_error_to(FILE *f, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = usage_verror(f, cmd, fmt, ap);
    va_end(ap);
    return rc;
}

int cli_bad_option(const char *cmd, int code, char **argv)
{
    extern int optind, optopt;
    const char *opt = optind > 0 ? argv[optind - 1] : "?";
    if (code == ':')
        return cli_usage_error(cmd, "option '%s' needs a value", opt);
    if (optopt && strncmp(opt, "--", 2))
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    return cli_usage_error(cmd, "unknown option '%s'", opt);
}

int cli_count_arg(FILE *err, const char *cmd, const char *opt, const char *val, uint64_t *count)
{
    char *end = NULL;
    unsigned long long v = 0;
    if (!val || val[0] == '-' || (errno = 0, v = strtoull(val, &end, 10), *end || errno)) {
        fprintf(err, "prism %s: %s needs a count (0 = all)\n", cmd, opt);
        return -1;
    }
    *count = v;
    return 0;
}

const char *cli_dtype_list(void)
{
    static char buf[256];
    if (!buf[0]) {
        size_t len = 0;
        for (int i = 1; i < WL_DT_COUNT_; i++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i > 1 ? ", " : "",
                                    wl_dtype_name((wl_dtype_t)i));
    }
    return buf;
}

int cli_parse_time(const char *cmd, const char *opt, const char *text, unsigned long long *ps)
{
    size_t n = strlen(text);
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    sim_time_t t;
    if (n && ((text[n - 1] >= '0' && text[n - 1] <= '9') || text[n - 1] == '.'))
        return cli_usage_error(cmd, "%s '%s' needs a unit (ps, ns, us, ms, s), e.g. %sus", opt,
                               text, text);
    if (sim_parse_time(text, &t))
        return cli_usage_error(cmd, "%s '%s' is not a time (e.g. 100us, 2.5ms)", opt, text);
    *ps = t;
    return 0;
}


/* Issue 13: `prism export x.db --perfetto x.db` renamed the JSON over the
 * trace. Two paths name the same file when both exist and share device and
 * inode (links and ./x count), or when they are the same text. */
int cli_same_file(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return strcmp(a, b) == 0;
}

/* "prism " + the arguments, space-separated (the runs row's argv); malloc'd. */
char *cli_join_argv(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len + 6);
    if (!s)
        return NULL;
    strcpy(s, "prism");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}
