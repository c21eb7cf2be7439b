/* `prism run --ranks N` started without mpirun: prism starts mpirun itself
 * and stays as the launcher, so that a distributed run ends like a run in one
 * process. Open MPI's mpirun exits 1 after a ^C whatever the ranks did, and it
 * waits out its kill timeout (twice) once a rank exits non-zero. So here:
 * the ranks tell the launcher their pids and, on the lead rank, the run's
 * exit status through files in a directory of the launcher's
 * (PRISM_MPI_CTL), and exit 0 themselves; a ^C or SIGTERM to the launcher
 * is passed on to the ranks (they stop after the same window, the
 * lead commits the trace `interrupted`, exit 130); a second one kills them.
 * The launcher exits with the lead's status. */
#include "cli/cli.h"
#include "run/run.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CTL_ENV RUN_DIST_CTL_ENV /* the ranks' side: run/run_dist.c */

static volatile sig_atomic_t launch_signals, launch_signum;
static void on_launch_signal(int signum)
{
    launch_signum = signum;
    launch_signals++;
}

/* The ranks that registered (pid.<rank> files): signal each. */
static void signal_ranks(const char *dir, int signum)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "pid.", 4))
            continue;
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        FILE *f = fopen(p, "r");
        long pid = 0;
        if (f) {
            if (fscanf(f, "%ld", &pid) != 1)
                pid = 0;
            fclose(f);
        }
        if (pid > 1)
            kill((pid_t)pid, signum);
    }
    closedir(d);
}

/* The lead's exit status, -1 when it wrote none. */
static int read_status(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/status", dir);
    FILE *f = fopen(p, "r");
    int code = -1;
    if (f) {
        if (fscanf(f, "%d", &code) != 1)
            code = -1;
        fclose(f);
    }
    return code;
}

static void remove_ctl(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char p[4200];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* The child: mpirun in its own process group (a terminal's ^C reaches the
 * launcher only, which passes it on once), its input from /dev/null. */
static void exec_mpirun(int nranks, int argc, char **argv, const char *dir)
{
    setpgid(0, 0);
    FILE *null = freopen("/dev/null", "r", stdin);
    (void)null;
    setenv(CTL_ENV, dir, 1);
    char np[16], exe[4096];
    snprintf(np, sizeof np, "%d", nranks);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        _exit(127);
    exe[n] = '\0';
    char **a = calloc((size_t)argc + 16, sizeof *a);
    if (!a)
        _exit(127);
    int k = 0;
    a[k++] = "mpirun";
    a[k++] = "-np";
    a[k++] = np;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores > 0 && nranks > cores)
        a[k++] = "--oversubscribe";
    /* a rank that dies: the others get 60 s to commit the trace */
    a[k++] = "--mca";
    a[k++] = "odls_base_sigkill_timeout";
    a[k++] = "60";
    a[k++] = "-x";
    a[k++] = CTL_ENV;
    a[k++] = exe;
    for (int i = 0; i < argc; i++)
        a[k++] = argv[i];
    a[k] = NULL;
    execvp("mpirun", a);
    fprintf(stderr, "prism run: cannot start mpirun: %s\n", strerror(errno));
    _exit(127);
}

int cli_dist_launch(int nranks, int argc, char **argv)
{
    char dir[] = "/tmp/prism-mpi-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "prism run: cannot create a directory in /tmp: %s\n", strerror(errno));
        return 1;
    }
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_launch_signal;
    sigemptyset(&sa.sa_mask);
    launch_signals = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "prism run: cannot start mpirun: %s\n", strerror(errno));
        remove_ctl(dir);
        return 1;
    }
    if (pid == 0)
        exec_mpirun(nranks, argc, argv, dir);
    int seen = 0, st = 0, code = -1;
    double status_at = 0, waited = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (launch_signals != seen) { /* first: the ranks stop; second: they die */
            seen = launch_signals;
            signal_ranks(dir, seen == 1 ? (int)launch_signum : SIGKILL);
            if (seen > 1)
                kill(pid, SIGKILL);
        } else if (seen == 1 && (long)(waited * 50) % 25 == 0) {
            /* every 0.5 s again: a rank still starting had no pid file yet
             * (a rank notes a signal once; more change nothing) */
            signal_ranks(dir, (int)launch_signum);
        }
        /* the lead is done: mpirun may still wait out its kill timeout (a
         * rank died): 3 s, then it goes */
        if (!status_at && read_status(dir) >= 0)
            status_at = waited;
        if (status_at && waited - status_at > 3)
            kill(pid, SIGKILL);
        sleep_s(0.02);
        waited += 0.02;
    }
    code = read_status(dir);
    /* a fault's message: mpirun drops a rank's output once it aborts */
    char np[4200], line[2048];
    snprintf(np, sizeof np, "%s/note", dir);
    FILE *nf = fopen(np, "r");
    if (nf) {
        if (fgets(line, sizeof line, nf))
            fprintf(stderr, "prism run: %s%s", line, strchr(line, '\n') ? "" : "\n");
        fclose(nf);
    }
    remove_ctl(dir);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (code >= 0)
        return code;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        return 2; /* no mpirun: said above */
    fprintf(stderr, "prism run: the lead rank wrote no exit status (mpirun %s %d)\n",
            WIFEXITED(st) ? "exited" : "was killed by signal",
            WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return launch_signals ? 130 : 1;
}
