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
/* The script, to write plot commands into (no data: see plot_data). */
FILE *plot_script(plot_t *p);
/* A new temporary data file for the picture: its stream (closed and removed
 * by plot_end) and, in *path, its name to give the script via plot_quote.
 * NULL with the message in err when it cannot be created. Data never goes
 * into the script itself, so no name in it can be read as a command. */
FILE *plot_data(plot_t *p, const char **path, char *err, size_t errlen);
/* Runs gnuplot on the script; 0 when the image exists and is not empty,
 * else -1 with gnuplot's first error line in err. Frees p. */
int plot_end(plot_t *p, char *err, size_t errlen);
/* A string as a gnuplot single-quoted literal (no substitution inside),
 * control characters replaced by '?'. */
void plot_quote(FILE *f, const char *s);
/* A string as one double-quoted word of a data file ('"' and control
 * characters replaced by '?'), for columnhead() and xtic(). */
void plot_data_word(FILE *f, const char *s);
/* Colours told apart at a glance: Kelly's 22 colours of maximum contrast
 * (K. L. Kelly, "Twenty-two colors for maximum contrast", Color Engineering
 * 1965) without white, black last. Series beyond PLOT_COLOURS are folded or
 * drawn otherwise by the caller, never given a colour twice. */
enum { PLOT_COLOURS = 21 };
const char *plot_colour(int i); /* "#rrggbb", i in [0, PLOT_COLOURS) */

#endif
