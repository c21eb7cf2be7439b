/* Trace rows as an in-memory SQLite database image with one table, events
 * (trace_image.c); the trace writer copies it into the trace database. */
#ifndef PRISM_TRACE_IMAGE_H
#define PRISM_TRACE_IMAGE_H

#include "sim/sim.h"

#include <stddef.h>
#include <stdint.h>

#define TRACE_IMAGE_MAX_ROWS 65536 /* rows per image: the root's children fit one page */

typedef struct trace_image {
    unsigned char *buf; /* size bytes of database file, 64 KiB pages */
    size_t cap, size;
} trace_image_t;

/* Build the image of rows[0..n) (0 < n <= TRACE_IMAGE_MAX_ROWS), rowids from
 * first_rowid, the table declared by create_sql ("CREATE TABLE events(...)",
 * the same text as the trace database's). 0, or -1 when out of memory or n
 * is out of range. The buffer is reused by the next call. */
int trace_image_build(trace_image_t *img, const sim_trace_row_t *rows, size_t n,
                      int64_t first_rowid, const char *create_sql);
void trace_image_free(trace_image_t *img);

#endif
