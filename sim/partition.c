/* Placing components on MPI ranks. The link graph (one vertex per group of
 * components joined by zero-latency links, which must never be cut; clocked
 * channels are edges like links) is partitioned by METIS (Karypis & Kumar
 * 1998, "A fast and high quality multilevel scheme for partitioning irregular
 * graphs"), vertices weighted by the events a pilot run delivered to them and
 * edges by the messages their links carried (records and credits for a
 * channel), so that ranks get equal work and few messages cross. */
#include "sim/dist.h"
#include "sim/sim_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef PRISM_HAVE_METIS
#include <metis.h>
#endif

static int part_u64_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

int sim_partition_pilot(sim_t *s, uint64_t max_events, uint64_t *comp_w, uint64_t *link_w)
{
    int rc = sim_run(s, SIM_TIME_MAX, max_events);
    /* a clocked component's work: the events delivered to it and its ticks
     * (its clock's edges while it was awake: frequency x awake fraction x
     * the pilot's simulated time) */
    for (size_t i = 0; i < s->n_comps; i++)
        comp_w[i] = 1 + s->comps[i]->events + s->comps[i]->ticks;
    for (size_t i = 0; link_w && i < s->n_links; i++)
        link_w[i] = 1 + s->links[i].messages;
    for (size_t i = 0; link_w && i < s->n_chans; i++)
        link_w[s->n_links + i] = 1 + s->chans[i]->sent + s->chans[i]->credits_returned;
    return rc;
}

void sim_partition_eval(const sim_t *s, int nranks, const uint32_t *rank_of, const uint64_t *comp_w,
                        sim_partition_info_t *info)
{
    memset(info, 0, sizeof *info);
    info->nranks = nranks;
    info->links = s->n_links;
    info->cut_latency_ps = SIM_TIME_MAX;
    for (size_t i = 0; i < s->n_links; i++) {
        const sim_link_t *l = &s->links[i];
        if (rank_of[l->src_comp] == rank_of[l->dst_comp])
            continue;
        info->cut_links++;
        if (l->latency < info->cut_latency_ps)
            info->cut_latency_ps = l->latency;
    }
    /* a cut channel: records and credits cross ranks `latency` cycles (the
     * lesser of the two) after the edge they were sent in */
    info->chans = s->n_chans;
    info->cut_chan_ps = SIM_TIME_MAX;
    for (size_t i = 0; i < s->n_chans; i++) {
        const sim_chan_t *ch = s->chans[i];
        if (rank_of[ch->from->id] == rank_of[ch->to->id])
            continue;
        info->cut_chans++;
        uint32_t lat = ch->latency < ch->credit_latency ? ch->latency : ch->credit_latency;
        sim_time_t ps = (sim_time_t)lat * s->clocks[ch->clock].period;
        if (ps < info->cut_chan_ps) {
            info->cut_chan_ps = ps;
            info->cut_chan_cycles = lat;
        }
    }
    /* direct sends may go anywhere: their declared lookahead bounds the window */
    info->lookahead_ps = info->cut_latency_ps;
    if (info->cut_chan_ps < info->lookahead_ps)
        info->lookahead_ps = info->cut_chan_ps;
    if (nranks > 1 && s->opts.lookahead_ps && s->opts.lookahead_ps < info->lookahead_ps)
        info->lookahead_ps = s->opts.lookahead_ps;
    double *load = calloc((size_t)nranks, sizeof *load);
    double total = 0;
    for (size_t i = 0; load && i < s->n_comps; i++) {
        double w = comp_w ? (double)comp_w[i] : 1.0;
        load[rank_of[i]] += w;
        total += w;
    }
    for (int r = 0; load && r < nranks; r++)
        if (load[r] > info->load_max)
            info->load_max = load[r];
    info->load_mean = total / nranks;
    info->imbalance = info->load_mean > 0 ? info->load_max / info->load_mean : 1;
    free(load);
}

/* union-find over zero-latency links */
static uint32_t uf_find(uint32_t *p, uint32_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

typedef struct edge {
    uint32_t u, v;
    uint64_t w;
} edge_t;

static int edge_cmp(const void *a, const void *b)
{
    const edge_t *x = a, *y = b;
    if (x->u != y->u)
        return x->u < y->u ? -1 : 1;
    return x->v < y->v ? -1 : x->v > y->v;
}

/* Contiguous runs of vertices with equal total weight (ids in order). */
static void blocks(size_t nv, const uint64_t *vw, int nranks, uint32_t *part)
{
    double total = 0, acc = 0;
    for (size_t i = 0; i < nv; i++)
        total += (double)vw[i];
    for (size_t i = 0; i < nv; i++) {
        /* the vertex goes to the rank its weight's midpoint falls in */
        double mid = acc + (double)vw[i] / 2;
        int r = (int)(mid * nranks / (total > 0 ? total : 1));
        part[i] = (uint32_t)(r < nranks ? r : nranks - 1);
        acc += (double)vw[i];
    }
}

int sim_partition(const sim_t *s, int nranks, const uint64_t *comp_w, const uint64_t *link_w,
                  uint32_t *rank_of, sim_partition_info_t *info, char *err, size_t errlen)
{
    size_t n = s->n_comps;
    if (nranks < 1) {
        snprintf(err, errlen, "the number of ranks must be at least 1 (got %d)", nranks);
        return SIM_ERR_CONFIG;
    }
    const char *method = "blocks";
    if (nranks == 1 || n == 0) {
        for (size_t i = 0; i < n; i++)
            rank_of[i] = 0;
        sim_partition_eval(s, nranks, rank_of, comp_w, info);
        info->method = method;
        info->groups = n;
        return 0;
    }
    uint32_t *group = malloc(n * sizeof *group), *gid = malloc(n * sizeof *gid);
    uint64_t *vw = calloc(n, sizeof *vw);
    uint32_t *part = malloc(n * sizeof *part);
    edge_t *e = malloc((2 * (s->n_links + s->n_chans) + 1) * sizeof *e);
    int rc = 0;
    if (!group || !gid || !vw || !part || !e) {
        rc = SIM_ERR_NOMEM;
        snprintf(err, errlen, "out of memory partitioning %zu components", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        group[i] = (uint32_t)i;
    for (size_t i = 0; i < s->n_links; i++)
        if (s->links[i].latency == 0) {
            uint32_t a = uf_find(group, s->links[i].src_comp),
                     b = uf_find(group, s->links[i].dst_comp);
            if (a != b)
                group[a < b ? b : a] = a < b ? a : b;
        }
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t root = uf_find(group, (uint32_t)i);
        gid[i] = root == i ? (uint32_t)nv++ : gid[root];
        vw[gid[i]] += comp_w ? comp_w[i] : 1;
    }
    size_t ne = 0;
    for (size_t i = 0; i < s->n_links; i++) {
        uint32_t u = gid[s->links[i].src_comp], v = gid[s->links[i].dst_comp];
        if (u == v)
            continue;
        uint64_t w = link_w ? link_w[i] : 1;
        e[ne++] = (edge_t){u, v, w};
        e[ne++] = (edge_t){v, u, w};
    }
    /* a channel is an edge weighted by the records and credits it carried */
    for (size_t i = 0; i < s->n_chans; i++) {
        uint32_t u = gid[s->chans[i]->from->id], v = gid[s->chans[i]->to->id];
        if (u == v)
            continue;
        uint64_t w = link_w ? link_w[s->n_links + i] : 1;
        e[ne++] = (edge_t){u, v, w};
        e[ne++] = (edge_t){v, u, w};
    }
    qsort(e, ne, sizeof *e, edge_cmp);
    size_t m = 0; /* merge parallel links */
    for (size_t i = 0; i < ne; i++) {
        if (m && e[m - 1].u == e[i].u && e[m - 1].v == e[i].v)
            e[m - 1].w += e[i].w;
        else
            e[m++] = e[i];
    }
    if (nv <= (size_t)nranks) {
        for (size_t i = 0; i < nv; i++)
            part[i] = (uint32_t)i;
    } else if (m == 0) {
        blocks(nv, vw, nranks, part);
    } else {
#ifdef PRISM_HAVE_METIS
        /* METIS takes 32-bit weights: scale so the totals fit */
        uint64_t vmax = 1, emax = 1;
        for (size_t i = 0; i < nv; i++)
            vmax = vw[i] > vmax ? vw[i] : vmax;
        for (size_t i = 0; i < m; i++)
            emax = e[i].w > emax ? e[i].w : emax;
        double vs = (double)vmax * (double)nv > 1e9 ? 1e9 / ((double)vmax * (double)nv) : 1;
        double es = (double)emax * (double)m > 1e9 ? 1e9 / ((double)emax * (double)m) : 1;
        idx_t nvtxs = (idx_t)nv, ncon = 1, nparts = nranks, objval = 0;
        idx_t *xadj = calloc(nv + 1, sizeof *xadj), *adj = malloc(m * sizeof *adj);
        idx_t *adjw = malloc(m * sizeof *adjw), *vwt = malloc(nv * sizeof *vwt);
        idx_t *mpart = malloc(nv * sizeof *mpart);
        idx_t opts[METIS_NOPTIONS];
        if (!xadj || !adj || !adjw || !vwt || !mpart) {
            rc = SIM_ERR_NOMEM;
        } else {
            for (size_t i = 0; i < m; i++) {
                xadj[e[i].u + 1]++;
                adj[i] = (idx_t)e[i].v;
                idx_t w = (idx_t)((double)e[i].w * es);
                adjw[i] = w > 0 ? w : 1;
            }
            for (size_t i = 0; i < nv; i++) {
                xadj[i + 1] += xadj[i];
                idx_t w = (idx_t)((double)vw[i] * vs);
                vwt[i] = w > 0 ? w : 1;
            }
            METIS_SetDefaultOptions(opts);
            opts[METIS_OPTION_SEED] = 1; /* the same placement on every run */
            opts[METIS_OPTION_NUMBERING] = 0;
            int mr = nranks <= 8
                         ? METIS_PartGraphRecursive(&nvtxs, &ncon, xadj, adj, vwt, NULL, adjw,
                                                    &nparts, NULL, NULL, opts, &objval, mpart)
                         : METIS_PartGraphKway(&nvtxs, &ncon, xadj, adj, vwt, NULL, adjw, &nparts,
                                               NULL, NULL, opts, &objval, mpart);
            if (mr != METIS_OK) {
                rc = SIM_ERR;
                snprintf(err, errlen, "METIS could not partition the link graph (code %d)", mr);
            } else {
                for (size_t i = 0; i < nv; i++)
                    part[i] = (uint32_t)mpart[i];
                method = "metis";
            }
        }
        if (rc == SIM_ERR_NOMEM)
            snprintf(err, errlen, "out of memory partitioning %zu components", n);
        free(xadj);
        free(adj);
        free(adjw);
        free(vwt);
        free(mpart);
#else
        blocks(nv, vw, nranks, part);
#endif
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            rank_of[i] = part[gid[i]];
        sim_partition_eval(s, nranks, rank_of, comp_w, info);
        info->method = method;
        info->groups = nv;
    }
out:
    free(group);
    free(gid);
    free(vw);
    free(part);
    free(e);
    return rc;
}

/* A partition file is read in lines of at most PART_LINE_MAX bytes and at
 * most SIM_CONFIG_MAX_BYTES in all (a pipe that never ends, /dev/zero); a
 * NUL byte is refused (not a text file). */
#define PART_LINE_MAX 1023

/* One line into line[PART_LINE_MAX + 1]: 1 read, 0 end of file, -1 error
 * (message in err). *total counts the bytes read so far. */
static int part_line(FILE *f, const char *path, int lineno, char *line, size_t *total, char *err,
                     size_t errlen)
{
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF) {
        if (++*total > SIM_CONFIG_MAX_BYTES) {
            snprintf(err, errlen, "%s: the partition file is larger than %d MiB", path,
                     SIM_CONFIG_MAX_BYTES >> 20);
            return -1;
        }
        if (c == '\0') {
            snprintf(err, errlen, "%s:%d: a NUL byte (not a text partition file)", path, lineno);
            return -1;
        }
        if (c == '\n')
            break;
        if (n == PART_LINE_MAX) {
            snprintf(err, errlen, "%s:%d: the line is longer than %d bytes", path, lineno,
                     PART_LINE_MAX);
            return -1;
        }
        line[n++] = (char)c;
    }
    line[n] = '\0';
    if (c == EOF && ferror(f)) {
        snprintf(err, errlen, "%s: cannot read the partition file: %s", path, strerror(errno));
        return -1;
    }
    return c == EOF && n == 0 ? 0 : 1;
}

/* The next blank-separated word of *p (NULL at the end of the line). */
static char *part_word(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f')
        s++;
    if (!*s) {
        *p = s;
        return NULL;
    }
    char *w = s;
    while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\v' && *s != '\f')
        s++;
    if (*s)
        *s++ = '\0';
    *p = s;
    return w;
}

/* One "component rank" line into rank_of; 0 or an error code with err. */
static int part_place(const sim_t *s, const char *path, int lineno, char *line, int nranks,
                      uint32_t *rank_of, char *err, size_t errlen)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *p = line, *name = part_word(&p), *rank = name ? part_word(&p) : NULL;
    if (!name)
        return 0;
    if (!rank || part_word(&p)) {
        snprintf(err, errlen, "%s:%d: expected 'component rank'", path, lineno);
        return SIM_ERR_CONFIG;
    }
    char *end;
    errno = 0;
    long long r = strtoll(rank, &end, 10);
    if (*end || end == rank) {
        snprintf(err, errlen, "%s:%d: rank '%.64s' of '%.256s' is not a whole number", path, lineno,
                 rank, name);
        return SIM_ERR_CONFIG;
    }
    if (errno == ERANGE || r < 0 || r >= nranks) {
        snprintf(err, errlen, "%s:%d: rank %.64s of '%.256s' is outside 0..%d", path, lineno, rank,
                 name, nranks - 1);
        return SIM_ERR_CONFIG;
    }
    sim_comp_t *c = sim_comp_find((sim_t *)s, name);
    if (!c) {
        snprintf(err, errlen, "%s:%d: no component '%.256s' in the config", path, lineno, name);
        return SIM_ERR_CONFIG;
    }
    if (rank_of[c->id] != UINT32_MAX) {
        snprintf(err, errlen, "%s:%d: component '%.256s' placed twice", path, lineno, name);
        return SIM_ERR_CONFIG;
    }
    rank_of[c->id] = (uint32_t)r;
    return 0;
}

int sim_partition_read(const sim_t *s, const char *path, int nranks, uint32_t *rank_of, char *err,
                       size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open the partition file: %s", path, strerror(errno));
        return SIM_ERR_IO;
    }
    size_t n = s->n_comps, total = 0;
    for (size_t i = 0; i < n; i++)
        rank_of[i] = UINT32_MAX;
    char line[PART_LINE_MAX + 1];
    int lineno = 0, rc = 0, got;
    while (!rc && (got = part_line(f, path, lineno + 1, line, &total, err, errlen)) != 0) {
        lineno++;
        rc = got < 0 ? SIM_ERR_CONFIG
                     : part_place(s, path, lineno, line, nranks, rank_of, err, errlen);
    }
    fclose(f);
    for (size_t i = 0; !rc && i < n; i++)
        if (rank_of[i] == UINT32_MAX) {
            snprintf(err, errlen, "%s: component '%s' is not placed on a rank", path,
                     s->comps[i]->name);
            rc = SIM_ERR_CONFIG;
        }
    for (size_t i = 0; !rc && i < s->n_links; i++) {
        const sim_link_t *l = &s->links[i];
        if (l->latency == 0 && rank_of[l->src_comp] != rank_of[l->dst_comp]) {
            snprintf(err, errlen,
                     "%s: zero-latency link %s -> %s crosses ranks %u and %u (it leaves no "
                     "lookahead; put both ends on one rank)",
                     path, l->from, l->to, rank_of[l->src_comp], rank_of[l->dst_comp]);
            rc = SIM_ERR_CONFIG;
        }
    }
    return rc;
}

int sim_partition_write(const sim_t *s, const char *path, const uint32_t *rank_of, char *err,
                        size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write the partition: %s", path, strerror(errno));
        return SIM_ERR_IO;
    }
    fprintf(f, "# prism partition: component rank\n");
    for (size_t i = 0; i < s->n_comps; i++)
        fprintf(f, "%s %u\n", s->comps[i]->name, rank_of[i]);
    if (fclose(f)) {
        snprintf(err, errlen, "%s: cannot write the partition: %s", path, strerror(errno));
        return SIM_ERR_IO;
    }
    return 0;
}

void sim_partition_traffic(const sim_t *s, int nranks, const uint32_t *rank_of,
                           const uint64_t *link_w, uint64_t *cross, int *max_peers)
{
    *cross = 0;
    *max_peers = nranks > 1 ? nranks - 1 : 0;
    size_t P = (size_t)nranks, np = 0;
    uint64_t *pair = malloc((s->n_links + 2 * s->n_chans + 1) * sizeof *pair);
    for (size_t i = 0; i < s->n_links; i++) {
        const sim_link_t *l = &s->links[i];
        uint32_t a = rank_of[l->src_comp], b = rank_of[l->dst_comp];
        if (a == b)
            continue;
        *cross += link_w && link_w[i] ? link_w[i] - 1 : 0;
        if (pair)
            pair[np++] = (uint64_t)a * P + b;
    }
    for (size_t i = 0; i < s->n_chans; i++) {
        const sim_chan_t *ch = s->chans[i];
        uint32_t a = rank_of[ch->from->id], b = rank_of[ch->to->id];
        if (a == b)
            continue;
        size_t k = s->n_links + i;
        *cross += link_w && link_w[k] ? link_w[k] - 1 : 0;
        if (pair) {
            pair[np++] = (uint64_t)a * P + b;
            pair[np++] = (uint64_t)b * P + a;
        }
    }
    if (pair && !s->opts.lookahead_ps) {
        /* distinct (sender, receiver) pairs, counted per sender */
        qsort(pair, np, sizeof *pair, part_u64_cmp);
        int best = 0, run = 0;
        for (size_t i = 0; i < np; i++) {
            if (i && pair[i] == pair[i - 1])
                continue;
            run = i && pair[i] / P == pair[i - 1] / P ? run + 1 : 1;
            if (run > best)
                best = run;
        }
        *max_peers = best;
    }
    free(pair);
}
