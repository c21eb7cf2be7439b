/* tests/check_pi2_noc.c: each pi^2 router primitive alone, driven by a
 * scripted injector and observed by a recording sink (both test-local
 * models), against hand-computed times; drop rates within statistical
 * bounds; and a small fixed network built from the primitives against the
 * analytic model of workloads/pi2.c (same classes, firing times within the
 * delay resolution). */
#include "noc/noc.h"
#include "workloads/pi2.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- test models: a scripted injector and a recording sink ---------------- */
typedef struct shot {
    sim_time_t at;
    int port; /* out<port> */
    noc_pi2_pkt_t pk;
} shot_t;

static shot_t script[64];
static int n_script;

typedef struct seen {
    sim_time_t at;
    int port;
    noc_pi2_pkt_t pk;
} seen_t;

static seen_t seen[40000];
static int n_seen;

static void reset(void)
{
    n_script = 0;
    n_seen = 0;
}

static void shoot(sim_time_t at, int port, uint64_t inference, uint64_t tag, uint64_t base)
{
    script[n_script++] = (shot_t){at, port, {inference, tag, base, 0, at, 8}};
}

static int inj_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    (void)state;
    (void)p;
    for (int i = 0; i < n_script; i++)
        sim_self_kind(c, script[i].at, 1, (uint64_t)i, 0);
    return 0;
}

static void inj_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    (void)state;
    const shot_t *s = &script[ev->data.u64[0]];
    char name[16];
    snprintf(name, sizeof name, "out%d", s->port);
    sim_msg_t m = {.kind = NOC_MSG_PI2, .bytes = 8, .data = &s->pk, .data_len = sizeof s->pk};
    sim_send(c, sim_port(c, name), &m, 0);
}

static int rec_init(sim_comp_t *c, void *state, const sim_params_t *p)
{
    (void)c;
    (void)state;
    (void)p;
    return 0;
}

static void rec_handle(sim_comp_t *c, void *state, const sim_event_t *ev)
{
    (void)c;
    (void)state;
    if (ev->kind != NOC_MSG_PI2 || n_seen >= (int)(sizeof seen / sizeof seen[0]))
        return;
    seen_t *s = &seen[n_seen++];
    s->at = ev->time;
    s->port = atoi(sim_port_name(c, ev->port) + 2);
    memcpy(&s->pk, ev->data.bytes, sizeof s->pk);
}

static const sim_param_def_t no_params[] = {{NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL}};
static const sim_model_t inj_model = {.name = "test_injector",
                                      .state_size = 8,
                                      .params = no_params,
                                      .init = inj_init,
                                      .handle = inj_handle};
static const sim_model_t rec_model = {.name = "test_recorder",
                                      .state_size = 8,
                                      .params = no_params,
                                      .init = rec_init,
                                      .handle = rec_handle};

static sim_t *new_sim(uint64_t seed)
{
    noc_register_all();
    sim_model_register(&inj_model);
    sim_model_register(&rec_model);
    sim_opts_t o = {.seed = seed};
    sim_t *s = sim_create(&o);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_ge(sim_add_component(s, "inj", "test_injector", NULL, NULL), 0);
    ck_assert_int_ge(sim_add_component(s, "rec", "test_recorder", NULL, NULL), 0);
    return s;
}

static void add(sim_t *s, const char *name, const char *model, const char *const *kv)
{
    ck_assert_msg(sim_add_component(s, name, model, NULL, kv) >= 0, "%s", sim_errmsg(s));
}

static void link(sim_t *s, const char *from, const char *to, sim_time_t lat)
{
    ck_assert_msg(sim_add_link(s, from, to, lat, 0) >= 0, "%s", sim_errmsg(s));
}

static void run(sim_t *s)
{
    ck_assert_msg(sim_init(s) == 0, "%s", sim_errmsg(s));
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
}

static double stat(sim_t *s, const char *comp, const char *name)
{
    sim_comp_t *c = sim_comp_find(s, comp);
    ck_assert_ptr_nonnull(c);
    for (size_t i = 0; i < sim_stat_count(c); i++)
        if (!strcmp(sim_stat_name(c, i), name))
            return sim_stat_value(c, i);
    ck_abort_msg("no stat %s on %s", name, comp);
    return 0;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static const seen_t *find(int port, uint64_t tag, int nth)
{
    for (int i = 0; i < n_seen; i++)
        if (seen[i].port == port && seen[i].pk.tag == tag && nth-- == 0)
            return &seen[i];
    return NULL;
}

START_TEST(delay_per_pair_and_multicast)
{
    reset();
    shoot(100, 0, 0, 0, 0);
    shoot(200, 1, 0, 1, 0);
    sim_t *s = new_sim(1);
    const char *kv[] = {"inputs",
                        "2",
                        "outputs",
                        "3",
                        "resolution_ps",
                        "7",
                        "delays",
                        "1,2,-1,0,5,3",
                        "link_pj_per_bit",
                        "0.5",
                        "buffer_pj_per_bit",
                        "0.25",
                        NULL};
    add(s, "d", "pi2_delay", kv);
    link(s, "inj.out0", "d.in0", 10);
    link(s, "inj.out1", "d.in1", 10);
    for (int o = 0; o < 3; o++) {
        char a[16], b[16];
        snprintf(a, sizeof a, "d.out%d", o);
        snprintf(b, sizeof b, "rec.in%d", o);
        link(s, a, b, 20);
    }
    run(s);
    /* arrival = send + 10 + delay * 7 ps + 20 */
    ck_assert_int_eq(n_seen, 5);
    ck_assert_uint_eq(find(0, 0, 0)->at, 100 + 10 + 7 + 20);
    ck_assert_uint_eq(find(1, 0, 0)->at, 100 + 10 + 14 + 20);
    ck_assert_ptr_null(find(2, 0, 0)); /* -1: not connected */
    ck_assert_uint_eq(find(0, 1, 0)->at, 200 + 10 + 0 + 20);
    ck_assert_uint_eq(find(1, 1, 0)->at, 200 + 10 + 35 + 20);
    ck_assert_uint_eq(find(2, 1, 0)->at, 200 + 10 + 21 + 20);
    ck_assert_double_eq(stat(s, "d", "replicas_sent"), 5);
    ck_assert_double_eq_tol(stat(s, "d", "energy.link"), 5 * 64 * 0.5, 1e-9);
    ck_assert_double_eq_tol(stat(s, "d", "energy.delay_buffer"), 2 * 64 * 0.25, 1e-9);
    sim_destroy(s);
}
END_TEST

START_TEST(delay_table_errors)
{
    reset();
    sim_t *s = new_sim(1);
    const char *kv[] = {"inputs", "2", "outputs", "2", "delays", "1,2,x,4", NULL};
    add(s, "d", "pi2_delay", kv);
    link(s, "inj.out0", "d.in0", 10);
    link(s, "d.out0", "rec.in0", 10);
    link(s, "d.out1", "rec.in1", 10);
    ck_assert_int_ne(sim_init(s), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "entry 2 (input 1, output 0)"));
    sim_destroy(s);
    s = new_sim(1);
    const char *kv2[] = {"inputs", "1", "outputs", "2", "delays", "1,2", NULL};
    add(s, "d", "pi2_delay", kv2);
    link(s, "inj.out0", "d.in0", 10);
    link(s, "d.out0", "rec.in0", 10);
    ck_assert_int_ne(sim_init(s), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "output 1, which has no link"));
    sim_destroy(s);
}
END_TEST

/* Three packets of one inference at the same instant, delivered in the order
 * tag 3, 9, 5 (sequence numbers): K = 2 keeps the two lowest tags, 3 and 5,
 * not the first two delivered. */
START_TEST(firstk_keeps_k_earliest_with_tie_rule)
{
    reset();
    shoot(100, 0, 0, 9, 0); /* tags 9 and 5, and 3 over another link, same time */
    shoot(100, 0, 0, 5, 0);
    shoot(50, 1, 0, 3, 0);  /* over a longer link: arrives with the others */
    shoot(160, 0, 0, 1, 0); /* later: dropped even though its tag is lowest */
    sim_t *s = new_sim(1);
    const char *kv[] = {"k", "2", NULL};
    add(s, "f", "pi2_firstk", kv);
    link(s, "inj.out0", "f.in", 10);
    link(s, "inj.out1", "f.in", 60);
    link(s, "f.out", "rec.in0", 5);
    run(s);
    ck_assert_int_eq(n_seen, 2);
    ck_assert_uint_eq(seen[0].pk.tag, 3);
    ck_assert_uint_eq(seen[1].pk.tag, 5);
    ck_assert_uint_eq(seen[0].at, 115);
    ck_assert_double_eq(stat(s, "f", "packets_kept"), 2);
    ck_assert_double_eq(stat(s, "f", "packets_late"), 2);
    sim_destroy(s);
}
END_TEST

START_TEST(firstk_timeout_pads_and_is_superseded)
{
    reset();
    shoot(100, 0, 0, 4, 0);   /* inference 0, window 0: timeout at 0 + 500 */
    shoot(300, 0, 1, 2, 290); /* inference 1 supersedes: timeout at 790 */
    shoot(700, 0, 1, 6, 290);
    shoot(900, 0, 1, 8, 290); /* after inference 1's timeout: dropped */
    shoot(950, 0, 0, 1, 0);   /* inference 0 is over: stale */
    sim_t *s = new_sim(1);
    const char *kv[] = {"k", "3", "timeout_ps", "500", NULL};
    add(s, "f", "pi2_firstk", kv);
    link(s, "inj.out0", "f.in", 0 + 1);
    link(s, "f.out", "rec.in0", 1);
    run(s);
    /* inference 0: one packet kept, its timer superseded (no pads at 500) */
    int pads0 = 0, pads1 = 0, kept1 = 0;
    for (int i = 0; i < n_seen; i++) {
        if (seen[i].pk.flags & NOC_PI2_PAD) {
            if (seen[i].pk.inference)
                pads1++;
            else
                pads0++;
            ck_assert_uint_eq(seen[i].at, 790 + 1);
        } else if (seen[i].pk.inference == 1) {
            kept1++;
        }
    }
    ck_assert_int_eq(pads0, 0);
    ck_assert_int_eq(kept1, 2);
    ck_assert_int_eq(pads1, 1);
    ck_assert_double_eq(stat(s, "f", "timeouts"), 1);
    ck_assert_double_eq(stat(s, "f", "packets_late"), 1);
    ck_assert_double_eq(stat(s, "f", "packets_stale"), 1);
    sim_destroy(s);
}
END_TEST

START_TEST(shaper_releases_after_k_credits)
{
    static const struct {
        const char *hold;
        sim_time_t release;
        double late;
    } cases[] = {{"50", 190, 0}, {"100", 240, 0}, {"0", 190, 1}};
    for (int c = 0; c < 3; c++) {
        reset();
        shoot(99, 0, 0, 0, 0); /* credits arrive at 100, 130, 190 */
        shoot(129, 0, 0, 1, 0);
        shoot(189, 0, 0, 2, 0);
        shoot(199, 0, 0, 3, 0); /* a fourth credit is ignored */
        sim_t *s = new_sim(1);
        const char *kv[] = {"k", "3", "hold_ps", cases[c].hold, NULL};
        add(s, "sh", "pi2_shaper", kv);
        link(s, "inj.out0", "sh.in", 1);
        link(s, "sh.out", "rec.in0", 1);
        run(s);
        /* credit total sum(t - t_i) reaches 3 * hold at mean(t_i) + hold = 140 + hold */
        ck_assert_int_eq(n_seen, 1);
        ck_assert_uint_eq(seen[0].at, cases[c].release + 1);
        ck_assert_double_eq(stat(s, "sh", "late_releases"), cases[c].late);
        ck_assert_double_eq(stat(s, "sh", "credits_ignored"), 1);
        sim_destroy(s);
    }
}
END_TEST

START_TEST(drop_rate_within_bounds)
{
    enum { N = 8000 };
    reset();
    sim_t *s = new_sim(42);
    const char *kv[] = {"lanes", "4", "drop", "0.2", "group", "2", NULL};
    add(s, "dr", "pi2_drop", kv);
    /* a pi2_source sends every row's two rails per value through the dropper */
    const char *src_kv[] = {"inputs",        "2",  "period_ps", "10000", "ps_per_unit", "1000",
                            "resolution_ps", "10", NULL};
    add(s, "src", "pi2_source", src_kv);
    for (int i = 0; i < 4; i++) {
        char a[32], b[32], c2[32], d[32];
        snprintf(a, sizeof a, "src.out%d", i);
        snprintf(b, sizeof b, "dr.in%d", i);
        snprintf(c2, sizeof c2, "dr.out%d", i);
        snprintf(d, sizeof d, "rec.in%d", i);
        link(s, a, b, 10);
        link(s, c2, d, 10);
    }
    float *x = calloc(2 * N, sizeof(float));
    ck_assert_int_eq(noc_pi2_source_feed(sim_comp_find(s, "src"), x, N, 2), 0);
    free(x);
    run(s);
    double dropped = stat(s, "dr", "packets_dropped");
    /* 2 groups per row, each lost with p = 0.2: 4 sigma of the binomial */
    double groups = 2.0 * N, sigma = sqrt(groups * 0.2 * 0.8);
    ck_assert_double_eq_tol(dropped / 2, groups * 0.2, 4 * sigma);
    /* both rails of a value share their fate */
    static unsigned char got[N][4];
    memset(got, 0, sizeof got);
    for (int i = 0; i < n_seen; i++)
        got[seen[i].pk.inference][seen[i].port] = 1;
    for (int r = 0; r < N; r++) {
        ck_assert_int_eq(got[r][0], got[r][1]);
        ck_assert_int_eq(got[r][2], got[r][3]);
    }
    sim_destroy(s);
    /* the same seed drops the same packets; another seed others */
    int first = n_seen;
    reset();
    s = new_sim(43);
    add(s, "dr", "pi2_drop", kv);
    add(s, "src", "pi2_source", src_kv);
    for (int i = 0; i < 4; i++) {
        char a[32], b[32], c2[32], d[32];
        snprintf(a, sizeof a, "src.out%d", i);
        snprintf(b, sizeof b, "dr.in%d", i);
        snprintf(c2, sizeof c2, "dr.out%d", i);
        snprintf(d, sizeof d, "rec.in%d", i);
        link(s, a, b, 10);
        link(s, c2, d, 10);
    }
    x = calloc(2 * N, sizeof(float));
    noc_pi2_source_feed(sim_comp_find(s, "src"), x, N, 2);
    free(x);
    run(s);
    ck_assert_int_ne(first, n_seen);
    sim_destroy(s);
}
END_TEST

START_TEST(source_encodes_rails)
{
    reset();
    sim_t *s = new_sim(1);
    const char *kv[] = {"inputs", "2",      "ps_per_unit", "1000", "resolution_ps",
                        "10",     "window", "4",           NULL};
    add(s, "src", "pi2_source", kv);
    for (int i = 0; i < 4; i++) {
        char a[32], b[32];
        snprintf(a, sizeof a, "src.out%d", i);
        snprintf(b, sizeof b, "rec.in%d", i);
        link(s, a, b, 10);
    }
    float x[2] = {0.25f, 1.5f};
    noc_pi2_source_feed(sim_comp_find(s, "src"), x, 1, 2);
    run(s);
    /* rails at max(0, 3 +- x) ns on a 10 ps grid; 3 + 1.5 > window 4: not sent */
    ck_assert_int_eq(n_seen, 3);
    ck_assert_uint_eq(find(0, 0, 0)->at, 3250 + 10);
    ck_assert_uint_eq(find(1, 1, 0)->at, 2750 + 10);
    ck_assert_ptr_null(find(2, 2, 0));
    ck_assert_uint_eq(find(3, 3, 0)->at, 1500 + 10);
    ck_assert_double_eq(stat(s, "src", "rails_pruned"), 1);
    sim_destroy(s);
}
END_TEST

/* Per-replica drop and jitter of pi2_delay: 1 input to 4 outputs, 3000
 * inferences; the drop rate within 4 sigma, the jitter's mean and standard
 * deviation within 4 standard errors. */
START_TEST(delay_drop_and_jitter_statistics)
{
    enum { N = 3000 };
    reset();
    sim_t *s = new_sim(9);
    const char *src_kv[] = {"inputs",        "1",  "period_ps", "100000", "ps_per_unit", "1000",
                            "resolution_ps", "10", NULL};
    const char *kv[] = {"inputs",
                        "2",
                        "outputs",
                        "4",
                        "resolution_ps",
                        "10",
                        "delays",
                        "500,500,500,500,-1,-1,-1,-1",
                        "drop",
                        "0.25",
                        "jitter_ps",
                        "200",
                        NULL};
    add(s, "src", "pi2_source", src_kv);
    add(s, "d", "pi2_delay", kv);
    link(s, "src.out0", "d.in0", 10);
    link(s, "src.out1", "rec.in9", 10); /* the other rail is not used */
    for (int o = 0; o < 4; o++) {
        char a[16], b[16];
        snprintf(a, sizeof a, "d.out%d", o);
        snprintf(b, sizeof b, "rec.in%d", o);
        link(s, a, b, 10);
    }
    float *x = calloc(N, sizeof(float));
    noc_pi2_source_feed(sim_comp_find(s, "src"), x, N, 1);
    free(x);
    run(s);
    double sent = 0, sum = 0, sum2 = 0;
    for (int i = 0; i < n_seen; i++) {
        if (seen[i].port > 3)
            continue;
        /* rail at 3000 ps after the window, + 10 + 5000 + jitter + 10 */
        double j = (double)seen[i].at - (double)seen[i].pk.base_ps - 3000 - 10 - 5000 - 10;
        sent++;
        sum += j;
        sum2 += j * j;
    }
    double total = 4.0 * N, p = 0.25, sd = sqrt(total * p * (1 - p));
    ck_assert_double_eq(stat(s, "d", "replicas_dropped") + sent, total);
    ck_assert_double_eq_tol(stat(s, "d", "replicas_dropped"), total * p, 4 * sd);
    double mean = sum / sent, var = sum2 / sent - mean * mean;
    /* delays are clamped at 0 only 25 sigma below the mean: Gaussian */
    ck_assert_double_eq_tol(mean, 0, 4 * 200 / sqrt(sent));
    ck_assert_double_eq_tol(sqrt(var), 200, 4 * 200 / sqrt(2 * sent));
    sim_destroy(s);
}
END_TEST

/* configs/pi2_neuron.yaml: one neuron wired from the primitives in YAML
 * gives the closed form y = s (meanTop2 |x + w| - meanTop2 |x - w|) on both
 * rows; a malformed `values` row is refused with its row number. */
START_TEST(neuron_from_config_matches_closed_form)
{
    noc_register_all();
    sim_t *s = NULL;
    char err[512];
    ck_assert_msg(sim_config_load("configs/pi2_neuron.yaml", NULL, &s, NULL, err, sizeof err) == 0,
                  "%s", err);
    run(s);
    const noc_pi2_result_t *res;
    ck_assert_uint_eq(noc_pi2_results(sim_comp_find(s, "out"), &res), 2);
    static const double x[2][3] = {{0.2, 0.8, 0.5}, {1.0, 0.1, 0.3}}, w[3] = {0.5, -1, 0.25};
    for (int r = 0; r < 2; r++) {
        double p[3], n[3];
        for (int i = 0; i < 3; i++) {
            p[i] = fabs(x[r][i] + w[i]);
            n[i] = fabs(x[r][i] - w[i]);
        }
        qsort(p, 3, sizeof(double), cmp_desc);
        qsort(n, 3, sizeof(double), cmp_desc);
        double y = 10 * ((p[0] + p[1]) / 2 - (n[0] + n[1]) / 2);
        ck_assert_double_eq_tol(res[r].y[0], y, 1e-9);
    }
    ck_assert_double_eq_tol(res[0].y[0], -3.25, 1e-9);
    ck_assert_double_eq_tol(res[1].y[0], 4.0, 1e-9);
    sim_destroy(s);
    s = NULL;
    const char *bad = "components:\n"
                      "  src: {model: pi2_source, inputs: 2, values: \"1,2;3\"}\n"
                      "  k: {model: sink}\n"
                      "links:\n"
                      "  - {from: src.out0, to: k.in, latency: 1}\n"
                      "  - {from: src.out1, to: k.in, latency: 1}\n"
                      "  - {from: src.out2, to: k.in, latency: 1}\n"
                      "  - {from: src.out3, to: k.in, latency: 1}\n";
    ck_assert_int_eq(sim_config_load_string(bad, "bad.yaml", NULL, &s, err, sizeof err), 0);
    ck_assert_int_ne(sim_init(s), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "row 2 has fewer than inputs = 2"));
    sim_destroy(s);
}
END_TEST

/* A 6-5-3 network, K = 2, fixed weights: the fabric's classes equal the
 * analytic model's on the same delay grid and every unit fires at its
 * analytic z within the resolution. */
START_TEST(fabric_equals_analytic_on_small_network)
{
    /* _i = 0: rails over engine links; 1: over a 2x2 mesh of issue 7's
     * iq_router and noc_terminal NIs */
    int dims[3] = {6, 5, 3}, ks[2] = {2, 2};
    wl_pi2_net_t *net = wl_pi2_create(2, dims, ks);
    uint64_t st = 12345;
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < dims[l] * dims[l + 1]; i++) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            /* on the 0.01 grid already, so that the analytic weights are the fabric's */
            net->w[l][i] = (float)((double)((int)((st >> 33) % 161) - 80) / 100.0);
        }
    enum { ROWS = 40 };
    float x[ROWS * 6];
    for (int i = 0; i < ROWS * 6; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)((st >> 33) % 101) / 100.0);
    }
    noc_pi2_fabric_t f;
    noc_pi2_fabric_defaults(&f);
    f.n_layers = 2;
    for (int l = 0; l < 2; l++)
        f.layer[l] = (noc_pi2_layer_t){dims[l], dims[l + 1], ks[l], net->w[l]};
    noc_cfg_t nc;
    if (_i) {
        char e2[128];
        noc_cfg_default(&nc);
        ck_assert_int_eq(noc_cfg_set(&nc, "k", "2", e2, sizeof e2), 0);
        ck_assert_int_eq(noc_cfg_set(&nc, "traffic", "none", e2, sizeof e2), 0);
        f.network = &nc;
    }
    noc_register_all();
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    noc_pi2_plan_t plan;
    char err[256];
    ck_assert_msg(noc_pi2_build(s, &f, &plan, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(noc_pi2_source_feed(sim_comp_at(s, (size_t)plan.source), x, ROWS, 6), 0);
    ck_assert_msg(sim_init(s) == 0, "%s", sim_errmsg(s));
    ck_assert_msg(sim_run(s, SIM_TIME_MAX, UINT64_MAX) == 0, "%s", sim_errmsg(s));
    sim_finish(s);
    const noc_pi2_result_t *res;
    size_t n = noc_pi2_results(sim_comp_at(s, (size_t)plan.readout), &res);
    ck_assert_uint_eq(n, ROWS);
    double quantum = (double)f.resolution_ps / f.ps_per_unit;
    wl_pi2_noise_t nz = {.quantum = quantum};
    float logits[3], zt[2][10], *trace[2] = {zt[0], zt[1]};
    for (size_t r = 0; r < n; r++) {
        ck_assert_uint_eq(res[r].inference, r);
        wl_pi2_forward(net, x + r * 6, &nz, logits, trace);
        ck_assert_int_eq(res[r].cls, wl_pi2_argmax(logits, 3));
        for (int j = 0; j < 3; j++) {
            for (int u = 0; u < 2; u++) {
                double fabric = (double)(res[r].t_ps[2 * j + u] - (int64_t)plan.fire_offset_ps[1]);
                double analytic = zt[1][u * 3 + j] * f.ps_per_unit;
                ck_assert_msg(fabs(fabric - analytic) <= (double)f.resolution_ps,
                              "row %zu unit %d%c: fabric %g ps, analytic %g ps", r, j,
                              u ? 'n' : 'p', fabric, analytic);
            }
            ck_assert_double_eq_tol(res[r].y[j], logits[j], 10.0 * 2 / f.ps_per_unit + 1e-4);
        }
    }
    for (size_t c = 0; c < sim_comp_count(s); c++) {
        sim_comp_t *cp = sim_comp_at(s, c);
        for (size_t i = 0; i < sim_stat_count(cp); i++) {
            const char *nm = sim_stat_name(cp, i);
            if (!strcmp(nm, "late_releases") || !strcmp(nm, "late_emissions") ||
                !strcmp(nm, "late_rails") || !strcmp(nm, "timeouts") ||
                !strcmp(nm, "incomplete_inferences"))
                ck_assert_msg(sim_stat_value(cp, i) == 0, "%s.%s = %g", sim_comp_name(cp), nm,
                              sim_stat_value(cp, i));
        }
    }
    if (_i) { /* the rails really crossed the network */
        double flits = 0;
        for (size_t c = 0; c < sim_comp_count(s); c++) {
            sim_comp_t *cp = sim_comp_at(s, c);
            for (size_t i = 0; i < sim_stat_count(cp); i++)
                if (!strcmp(sim_stat_name(cp, i), "flits_routed"))
                    flits += sim_stat_value(cp, i);
        }
        ck_assert_double_ge(flits, ROWS * 12.0 * plan.hops[0]);
    }
    sim_destroy(s);
    wl_pi2_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pi2_noc");
    TCase *tc = tcase_create("primitives");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, delay_per_pair_and_multicast);
    tcase_add_test(tc, delay_table_errors);
    tcase_add_test(tc, firstk_keeps_k_earliest_with_tie_rule);
    tcase_add_test(tc, firstk_timeout_pads_and_is_superseded);
    tcase_add_test(tc, shaper_releases_after_k_credits);
    tcase_add_test(tc, drop_rate_within_bounds);
    tcase_add_test(tc, source_encodes_rails);
    tcase_add_test(tc, delay_drop_and_jitter_statistics);
    tcase_add_test(tc, neuron_from_config_matches_closed_form);
    tcase_add_loop_test(tc, fabric_equals_analytic_on_small_network, 0, 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
