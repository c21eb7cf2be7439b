/* Pictures drawn with gnuplot: the image format follows the output name
 * (.png, .svg). Shared by `prism plot` and `prism sweep --plot`. */
#ifndef PRISM_CLI_PLOT_H
#define PRISM_CLI_PLOT_H

#include <stdio.h>

typedef struct plot plot_t;

/* Starts a gnuplot script writing `out_path` (its terminal chosen from the
 * extension). NULL with a one-line message in err when the name has another
 * extension, gnuplot is not installed, or the script cannot be created. */
plot_t *plot_begin(const char *out_path, int width, int height, char *err, size_t errlen);
/* Checks, without drawing, that plot_begin would start: 0 or -1 with the message. */
int plot_check(const char *out_path, char *err, size_t errlen);
/* The script, to write datablocks and plot commands into. */
FILE *plot_script(plot_t *p);
/* Runs gnuplot on the script; 0 when the image exists and is not empty,
 * else -1 with gnuplot's first error line in err. Frees p. */
int plot_end(plot_t *p, char *err, size_t errlen);
/* A string as a gnuplot double-quoted literal. */
void plot_quote(FILE *f, const char *s);

#endif
