/* Runs the built `prism` ($PRISM, set by make test) with an argument vector
 * (no shell: SQL, quotes and newlines pass as they are), its stdout and
 * stderr captured apart. The suites that test a subcommand's options, output
 * and exit codes run the binary: no test compiles a cli/ file in. Header-only. */
#ifndef PRISM_CHECK_EXEC_H
#define PRISM_CHECK_EXEC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* the whole of a file opened by tmpfile(), NUL-terminated (malloc'ed) */
static inline char *exec_slurp(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    char *buf = malloc((size_t)(n > 0 ? n : 0) + 1);
    if (!buf)
        return NULL;
    rewind(f);
    size_t got = n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
    buf[got] = '\0';
    return buf;
}

/* prism ARGV...; exit status (-1: not run, 128+N: killed by signal N);
 * *out and *err malloc'ed (free them) */
static inline int exec_prism(char *const *args, char **out, char **err)
{
    const char *prism = getenv("PRISM");
    FILE *fo = tmpfile(), *fe = tmpfile();
    *out = *err = NULL;
    if (!prism || !fo || !fe) {
        if (fo)
            fclose(fo);
        if (fe)
            fclose(fe);
        return -1;
    }
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)prism;
    for (; args[argc - 1] && argc < 63; argc++)
        argv[argc] = args[argc - 1];
    argv[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fileno(fo), 1);
        dup2(fileno(fe), 2);
        execv(prism, argv);
        _exit(127);
    }
    int st = 0, rc = -1;
    if (pid > 0 && waitpid(pid, &st, 0) == pid)
        rc = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
    fseek(fo, 0, SEEK_END);
    fseek(fe, 0, SEEK_END);
    *out = exec_slurp(fo);
    *err = exec_slurp(fe);
    fclose(fo);
    fclose(fe);
    return rc;
}

#endif
