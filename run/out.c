/* Result-set printer (run/out.h): aligned table, CSV (RFC 4180 quoting) or
 * JSON array of objects. Numbers stay numbers in JSON, reals are printed
 * with the fewest digits that read back to the same double. */
#include "run/out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct out {
    FILE *f;
    out_format_t fmt;
    size_t max_rows;
    size_t ncols, col;     /* columns; index of the next cell in its row */
    char **names;
    int *numeric;          /* table: every non-null cell of the column is a number */
    char **cells;          /* table: kept rows, row-major */
    size_t ncells, cap;
    size_t rows, cut;      /* rows given; rows beyond max_rows (table) */
    const char *null_text; /* how the table shows NULL */
    int started, failed, stopped;
};

out_t *out_create(FILE *f, out_format_t fmt, size_t max_rows)
{
    out_t *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->f = f;
    o->fmt = fmt;
    o->max_rows = max_rows;
    o->null_text = "NULL";
    return o;
}

int out_column(out_t *o, const char *name)
{
    if (o->started)
        return -1;
    char **n = realloc(o->names, (o->ncols + 1) * sizeof *n);
    if (!n)
        return -1;
    o->names = n;
    int *num = realloc(o->numeric, (o->ncols + 1) * sizeof *num);
    if (!num)
        return -1;
    o->numeric = num;
    o->names[o->ncols] = strdup(name ? name : "");
    if (!o->names[o->ncols])
        return -1;
    o->numeric[o->ncols] = 1;
    o->ncols++;
    return 0;
}

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void out_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* The header line of CSV / the opening of the JSON array, before the first cell. */
static void start(out_t *o)
{
    if (o->started)
        return;
    o->started = 1;
    if (o->fmt == OUT_CSV) {
        for (size_t i = 0; i < o->ncols; i++) {
            if (i)
                fputc(',', o->f);
            csv_field(o->f, o->names[i]);
        }
        fputc('\n', o->f);
    } else if (o->fmt == OUT_JSON) {
        fputc('[', o->f);
    }
}

/* One cell: `text` as shown, `json` as the JSON literal (NULL: quote `text`),
 * `is_num` for alignment. `text` NULL means SQL NULL. */
static void cell(out_t *o, const char *text, const char *json, int is_num)
{
    if (!o->ncols)
        return;
    start(o);
    size_t c = o->col;
    if (c == 0)
        o->rows++;
    switch (o->fmt) {
    case OUT_CSV:
        if (c)
            fputc(',', o->f);
        if (text)
            csv_field(o->f, text);
        if (c + 1 == o->ncols)
            fputc('\n', o->f);
        break;
    case OUT_JSON:
        fputs(c ? "," : (o->rows > 1 ? ",\n{" : "\n{"), o->f);
        out_json_string(o->f, o->names[c]);
        fputc(':', o->f);
        if (!text)
            fputs("null", o->f);
        else if (json)
            fputs(json, o->f);
        else
            out_json_string(o->f, text);
        if (c + 1 == o->ncols)
            fputc('}', o->f);
        break;
    case OUT_TABLE:
        if (o->max_rows && o->rows > o->max_rows) {
            if (c == 0)
                o->cut++;
            break;
        }
        if (o->ncells == o->cap) {
            size_t nc = o->cap ? 2 * o->cap : 64;
            char **g = realloc(o->cells, nc * sizeof *g);
            if (!g) {
                o->failed = 1;
                break;
            }
            o->cells = g;
            o->cap = nc;
        }
        o->cells[o->ncells] = strdup(text ? text : o->null_text);
        if (!o->cells[o->ncells])
            o->failed = 1;
        o->ncells++;
        if (text && !is_num)
            o->numeric[c] = 0;
        break;
    }
    o->col = (c + 1) % o->ncols;
}

static void shortest_real(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, n, "%.17g", v);
}

/* For people: integral values in full, others with about 10 significant digits. */
static void table_real(char *buf, size_t n, double v)
{
    double a = fabs(v);
    if (a < 1e15 && v == floor(v)) {
        snprintf(buf, n, "%.0f", v);
    } else if (a >= 1e-4 && a < 1e15) {
        int digits = a >= 1 ? (int)floor(log10(a)) + 1 : 0;
        int decimals = 10 - digits;
        if (decimals < 1)
            decimals = 1;
        snprintf(buf, n, "%.*f", decimals, v);
        char *dot = strchr(buf, '.');
        if (dot) {
            char *end = buf + strlen(buf) - 1;
            while (end > dot && *end == '0')
                *end-- = '\0';
            if (end == dot)
                *end = '\0';
        }
    } else {
        snprintf(buf, n, "%.6g", v);
    }
}

void out_null(out_t *o)
{
    cell(o, NULL, NULL, 1);
}

void out_int(out_t *o, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    cell(o, buf, buf, 1);
}

void out_real(out_t *o, double v)
{
    if (!isfinite(v)) {
        out_null(o);
        return;
    }
    char buf[48];
    if (o->fmt == OUT_TABLE)
        table_real(buf, sizeof buf, v);
    else
        shortest_real(buf, sizeof buf, v);
    cell(o, buf, buf, 1);
}

void out_fixed(out_t *o, double v, int decimals)
{
    if (o->fmt != OUT_TABLE || !isfinite(v)) {
        out_real(o, v);
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    cell(o, buf, buf, 1);
}

void out_text(out_t *o, const char *s)
{
    cell(o, s, NULL, 0);
}

void out_text_num(out_t *o, const char *s)
{
    cell(o, s, NULL, 1);
}

void out_set_null_text(out_t *o, const char *s)
{
    o->null_text = s ? s : "";
}

size_t out_rows(const out_t *o)
{
    return o->rows;
}

void out_rows_stopped(out_t *o)
{
    if (o)
        o->stopped = 1;
}

size_t out_rows_cut(const out_t *o)
{
    return o->cut;
}

/* Numbers right-aligned; text left-aligned, the last column not padded. */
static void table_cell(FILE *f, const char *s, int width, int numeric, int last)
{
    if (numeric)
        fprintf(f, "%*s", width, s);
    else if (last)
        fputs(s, f);
    else
        fprintf(f, "%-*s", width, s);
    fputs(last ? "\n" : "  ", f);
}

static void print_table(out_t *o)
{
    size_t *w = calloc(o->ncols ? o->ncols : 1, sizeof *w);
    if (!w) {
        o->failed = 1;
        return;
    }
    for (size_t c = 0; c < o->ncols; c++)
        w[c] = strlen(o->names[c]);
    for (size_t i = 0; i < o->ncells; i++) {
        size_t len = strlen(o->cells[i]);
        if (len > w[i % o->ncols])
            w[i % o->ncols] = len;
    }
    for (size_t c = 0; c < o->ncols; c++)
        table_cell(o->f, o->names[c], (int)w[c], o->numeric[c], c + 1 == o->ncols);
    for (size_t c = 0; c < o->ncols; c++) {
        for (size_t k = 0; k < w[c]; k++)
            fputc('-', o->f);
        fputs(c + 1 == o->ncols ? "\n" : "  ", o->f);
    }
    for (size_t i = 0; i < o->ncells; i++) {
        size_t c = i % o->ncols;
        table_cell(o->f, o->cells[i], (int)w[c], o->numeric[c], c + 1 == o->ncols);
    }
    if (o->rows == 0)
        fputs("(no rows)\n", o->f);
    else if (o->stopped)
        fprintf(o->f, "(more rows not shown; the first %zu printed)\n", o->rows - o->cut);
    else if (o->cut)
        fprintf(o->f, "(%zu more row%s not shown; %zu of %zu rows printed)\n", o->cut,
                o->cut == 1 ? "" : "s", o->rows - o->cut, o->rows);
    free(w);
}

void out_discard(out_t *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->ncols; i++)
        free(o->names[i]);
    for (size_t i = 0; i < o->ncells; i++)
        free(o->cells[i]);
    free(o->names);
    free(o->numeric);
    free(o->cells);
    free(o);
}

int out_finish(out_t *o)
{
    if (!o)
        return -1;
    if (o->col != 0) /* an unfinished row: pad it with nulls */
        while (o->col != 0)
            out_null(o);
    start(o);
    if (o->fmt == OUT_JSON)
        fputs(o->rows ? "\n]\n" : "]\n", o->f);
    else if (o->fmt == OUT_TABLE && !o->failed)
        print_table(o);
    int rc = o->failed || fflush(o->f) != 0 || ferror(o->f) ? -1 : 0;
    out_discard(o);
    return rc;
}

/* value scaled to the largest unit it reaches, 4 significant digits */
static void human(char *buf, size_t n, double v, const char *const *units, const double *scale,
                  size_t nunits)
{
    if (!isfinite(v)) {
        snprintf(buf, n, "-");
        return;
    }
    size_t u = 0;
    while (u + 1 < nunits && fabs(v) >= scale[u + 1])
        u++;
    if (u == 0 && v == floor(v))
        snprintf(buf, n, "%.0f %s", v, units[0]);
    else
        snprintf(buf, n, "%.4g %s", v / scale[u], units[u]);
}

void out_human_ps(char *buf, size_t n, double ps)
{
    static const char *const units[] = {"ps", "ns", "us", "ms", "s"};
    static const double scale[] = {1, 1e3, 1e6, 1e9, 1e12};
    human(buf, n, ps, units, scale, 5);
}

void out_human_pj(char *buf, size_t n, double pj)
{
    static const char *const units[] = {"pJ", "nJ", "uJ", "mJ", "J"};
    static const double scale[] = {1, 1e3, 1e6, 1e9, 1e12};
    human(buf, n, pj, units, scale, 5);
}

void out_human_s(char *buf, size_t n, double seconds)
{
    if (!isfinite(seconds) || seconds < 0)
        snprintf(buf, n, "-");
    else if (seconds >= 1)
        snprintf(buf, n, "%.3f s", seconds);
    else if (seconds >= 1e-3)
        snprintf(buf, n, "%.3g ms", seconds * 1e3);
    else
        snprintf(buf, n, "%.3g us", seconds * 1e6);
}
