/* gnuplot runner: a script in a temporary file, gnuplot run on it with its
 * errors kept, the image checked to exist and be non-empty.
 *
 * Strings that come from a trace, a config or the command line must never be
 * read by gnuplot as commands. gnuplot 5.4 has no switch that turns off
 * `system`, `!` or backquote substitution, so safety rests on two rules:
 * data (including component and category names) goes into separate data
 * files, which gnuplot only reads as data, never into inline `$x << EOD`
 * blocks that a name holding "\nEOD\n" could end; and every string in the
 * script is a single-quoted literal (no backquote or macro substitution
 * inside, '' the only escape) with control characters replaced, so it
 * cannot end its line. */
#include "cli/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { PLOT_MAX_DATA = 16 };

struct plot {
    FILE *f;
    char script[64];
    char *out;
    char gnuplot[4096];
    FILE *data[PLOT_MAX_DATA];
    char data_path[PLOT_MAX_DATA][64];
    int ndata;
};

static int find_gnuplot(char *buf, size_t n)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(buf, n, "%.*s/gnuplot", (int)len, len ? path : ".");
        if (access(buf, X_OK) == 0)
            return 0;
        path += len + (colon ? 1 : 0);
    }
    return -1;
}

static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

void plot_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(is_control((unsigned char)*s) ? '?' : *s, f);
    }
    fputc('\'', f);
}

void plot_data_word(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputc(*s == '"' || is_control((unsigned char)*s) ? '?' : *s, f);
    fputc('"', f);
}

const char *plot_colour(int i)
{
    static const char *const kelly[PLOT_COLOURS] = {
        "#0067a5", "#f38400", "#008856", "#be0032", "#875692", "#f3c300", "#a1caf1",
        "#882d17", "#8db600", "#e68fac", "#848482", "#604e97", "#f6a600", "#b3446c",
        "#c2b280", "#dcd300", "#f99379", "#654522", "#e25822", "#2b3d26", "#222222"};
    return kelly[((i % PLOT_COLOURS) + PLOT_COLOURS) % PLOT_COLOURS];
}

FILE *plot_data(plot_t *p, const char **path, char *err, size_t errlen)
{
    if (p->ndata >= PLOT_MAX_DATA) {
        snprintf(err, errlen, "more than %d data files in one picture", PLOT_MAX_DATA);
        return NULL;
    }
    char *name = p->data_path[p->ndata];
    snprintf(name, sizeof p->data_path[0], "/tmp/prism-plot-data-XXXXXX");
    int fd = mkstemp(name);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, errlen, "cannot create a temporary data file: %s", strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(name);
        }
        return NULL;
    }
    p->data[p->ndata++] = f;
    *path = name;
    return f;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

plot_t *plot_begin(const char *out_path, int width, int height, char *err, size_t errlen)
{
    const char *term = ends_with(out_path, ".png")   ? "pngcairo"
                       : ends_with(out_path, ".svg") ? "svg"
                                                     : NULL;
    if (!term) {
        snprintf(err, errlen, "'%s': the image name must end in .png or .svg", out_path);
        return NULL;
    }
    plot_t *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (find_gnuplot(p->gnuplot, sizeof p->gnuplot)) {
        snprintf(err, errlen,
                 "gnuplot is not installed (or not on PATH); plots need it: apt-get install "
                 "gnuplot-nox");
        free(p);
        return NULL;
    }
    snprintf(p->script, sizeof p->script, "/tmp/prism-plot-XXXXXX");
    int fd = mkstemp(p->script);
    p->out = strdup(out_path);
    if (fd < 0 || !p->out || !(p->f = fdopen(fd, "w"))) {
        snprintf(err, errlen, "cannot create a temporary gnuplot script: %s", strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(p->script);
        }
        free(p->out);
        free(p);
        return NULL;
    }
    if (!strcmp(term, "svg"))
        fprintf(p->f, "set terminal svg size %d,%d dynamic font 'sans,11' background '#ffffff'\n",
                width, height);
    else
        fprintf(p->f, "set terminal pngcairo size %d,%d font 'sans,10' background '#ffffff'\n",
                width, height);
    fputs("set output ", p->f);
    plot_quote(p->f, out_path);
    fputs("\nset encoding utf8\nset grid lc rgb '#dddddd'\nset key outside right top\n", p->f);
    return p;
}

FILE *plot_script(plot_t *p)
{
    return p->f;
}

int plot_check(const char *out_path, char *err, size_t errlen)
{
    char gp[4096];
    if (!ends_with(out_path, ".png") && !ends_with(out_path, ".svg")) {
        snprintf(err, errlen, "'%s': the image name must end in .png or .svg", out_path);
        return -1;
    }
    if (find_gnuplot(gp, sizeof gp)) {
        snprintf(err, errlen,
                 "gnuplot is not installed (or not on PATH); plots need it: apt-get install "
                 "gnuplot-nox");
        return -1;
    }
    return 0;
}

int plot_end(plot_t *p, char *err, size_t errlen)
{
    int rc = -1;
    char errpath[64];
    snprintf(errpath, sizeof errpath, "/tmp/prism-plot-err-XXXXXX");
    int efd = mkstemp(errpath);
    int data_bad = 0;
    for (int i = 0; i < p->ndata; i++) {
        data_bad |= fclose(p->data[i]) != 0;
        p->data[i] = NULL;
    }
    if (fclose(p->f) != 0 || efd < 0 || data_bad) {
        snprintf(err, errlen, "cannot write the gnuplot script: %s", strerror(errno));
        goto out;
    }
    unlink(p->out); /* an old image must not pass for the new one */
    pid_t pid = fork();
    if (pid == 0) {
        dup2(efd, 2);
        int nul = open("/dev/null", O_WRONLY);
        if (nul >= 0)
            dup2(nul, 1);
        execl(p->gnuplot, "gnuplot", p->script, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0) {
        snprintf(err, errlen, "cannot run gnuplot: %s", strerror(errno));
        goto out;
    }
    struct stat sb;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || stat(p->out, &sb) != 0 || sb.st_size == 0) {
        char line[512] = "";
        FILE *e = fdopen(dup(efd), "r");
        if (e) {
            rewind(e);
            char buf[512];
            while (fgets(buf, sizeof buf, e)) /* gnuplot's message is its last non-blank line */
                if (strspn(buf, " \t\r\n^") != strlen(buf))
                    snprintf(line, sizeof line, "%s", buf);
            fclose(e);
        }
        line[strcspn(line, "\r\n")] = '\0';
        snprintf(err, errlen, "gnuplot failed to draw %s%s%s", p->out, *line ? ": " : "", line);
        goto out;
    }
    rc = 0;
out:
    if (efd >= 0) {
        close(efd);
        unlink(errpath);
    }
    unlink(p->script);
    for (int i = 0; i < p->ndata; i++)
        unlink(p->data_path[i]);
    free(p->out);
    free(p);
    return rc;
}
