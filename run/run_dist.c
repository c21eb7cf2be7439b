/* A rank's side of `prism run --ranks N`'s launcher (cli/dist_launch.c
 * starts mpirun with RUN_DIST_CTL_ENV naming a directory of its own): each
 * rank registers its pid there (the launcher passes a ^C or SIGTERM to it),
 * the lead rank writes the run's exit status and, when a rank is gone, the
 * message the launcher prints at the end (mpirun drops a rank's output once
 * it aborts). Outside the launcher (no RUN_DIST_CTL_ENV) each is a no-op. */
#include "run/run_dist.h"
#include "run/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void run_dist_rank_started(int rank)
{
    const char *dir = getenv(RUN_DIST_CTL_ENV);
    if (!dir)
        return;
    char p[4200];
    snprintf(p, sizeof p, "%s/pid.%d", dir, rank);
    FILE *f = fopen(p, "w");
    if (f) {
        fprintf(f, "%ld\n", (long)getpid());
        fclose(f);
    }
}

int run_dist_rank_exit(int code, int lead)
{
    const char *dir = getenv(RUN_DIST_CTL_ENV);
    if (!dir)
        return code;
    if (lead) { /* written whole, then renamed: the launcher reads all or nothing */
        char p[4200], tmp[4200];
        snprintf(p, sizeof p, "%s/status", dir);
        snprintf(tmp, sizeof tmp, "%s/status.tmp", dir);
        FILE *f = fopen(tmp, "w");
        if (f) {
            fprintf(f, "%d\n", code);
            if (fclose(f) == 0)
                rename(tmp, p);
        }
    }
    return 0; /* a rank that exits non-zero makes mpirun wait out its kill timeout */
}

void run_dist_note(const char *msg)
{
    const char *dir = getenv(RUN_DIST_CTL_ENV);
    if (!dir || !msg)
        return;
    char p[4200];
    snprintf(p, sizeof p, "%s/note", dir);
    FILE *f = fopen(p, "w");
    if (f) {
        fprintf(f, "%s\n", msg);
        fclose(f);
    }
}
