/* The run layer's private side of the launcher protocol (run/run_dist.c;
 * the directory's name is in RUN_DIST_CTL_ENV, run/run.h). */
#ifndef PRISM_RUN_DIST_H
#define PRISM_RUN_DIST_H

/* after MPI_Init: this rank's pid, for the launcher to signal */
void run_dist_rank_started(int rank);
/* at the rank's end: the lead's code goes to the launcher; the rank's exit
 * status (0 under the launcher, else code) */
int run_dist_rank_exit(int code, int lead);
/* the lead, when a rank is gone: the message the launcher prints */
void run_dist_note(const char *msg);

#endif
