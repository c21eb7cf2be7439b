/* tests/check_onnx.c: ONNX import. The three fixture graphs (exported by
 * torch.onnx from HF transformers / torchvision, tests/fixtures/onnx) import
 * without their weight files; their MAC totals equal the built-in generators'
 * for the same shapes; the shapes prism infers equal the exporter's own
 * value_info; shape computations fold; and every error path (truncated file,
 * unknown operator, undefined input, bad shapes, missing external data) gives
 * a message naming the file, node and operator. Small models are built here
 * with the protobuf-c code generated from onnx.proto. */
#include "workloads/wl.h"

#include "onnx.pb-c.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIX "tests/fixtures/onnx/"

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/prism_check_onnx_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void write_all(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static wl_graph_t *import_ok(const char *path, const wl_gen_opts_t *o)
{
    wl_graph_t *g = NULL;
    char err[512] = "";
    int rc = wl_onnx_import(path, o, &g, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: %s", path, err);
    return g;
}

static wl_graph_t *builtin(const char *name, int seq)
{
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    o.seq = seq;
    wl_graph_t *g = NULL;
    char err[256];
    ck_assert_int_eq(wl_load(name, &o, &g, err, sizeof err), 0);
    return g;
}

static const wl_op_t *find_op(const wl_graph_t *g, const char *name)
{
    for (size_t i = 0; i < wl_graph_op_count(g); i++)
        if (!strcmp(wl_graph_op(g, i)->name, name))
            return wl_graph_op(g, i);
    return NULL;
}

/* Elements of the distinct weights that GEMM-like ops read. */
static uint64_t gemm_weight_elems(const wl_graph_t *g, const char *skip_prefix)
{
    const wl_tensor_t *seen[512];
    size_t n = 0;
    uint64_t s = 0;
    for (size_t i = 0; i < wl_graph_op_count(g); i++) {
        const wl_op_t *op = wl_graph_op(g, i);
        if (!wl_opkind_is_gemm(op->kind) || !op->weight)
            continue;
        if (skip_prefix && !strncmp(op->name, skip_prefix, strlen(skip_prefix)))
            continue;
        int dup = 0;
        for (size_t k = 0; k < n; k++)
            dup |= seen[k] == op->weight;
        if (dup)
            continue;
        ck_assert_uint_lt(n, 512);
        seen[n++] = op->weight;
        s += wl_shape_numel(&op->weight->shape);
    }
    return s;
}

static size_t count_kind(const wl_graph_t *g, wl_opkind_t k)
{
    size_t n = 0;
    for (size_t i = 0; i < wl_graph_op_count(g); i++)
        n += wl_graph_op(g, i)->kind == k;
    return n;
}

/* ---- the fixtures ------------------------------------------------------------------ */
START_TEST(gpt2_matches_builtin)
{
    wl_graph_t *on = import_ok(FIX "gpt2-124m.onnx", NULL);
    wl_graph_t *bi = builtin("gpt2", 128);
    /* the graph computes logits for all 128 positions, as the built-in does */
    ck_assert_uint_eq(wl_graph_total_macs(on), wl_graph_total_macs(bi));
    ck_assert_uint_eq(wl_graph_total_macs(on), 16114089984ull);
    for (int k = 0; k < WL_OP_KIND_COUNT_; k++)
        ck_assert_uint_eq(wl_graph_kind_macs(on, (wl_opkind_t)k), wl_graph_kind_macs(bi, (wl_opkind_t)k));
    ck_assert_uint_eq(gemm_weight_elems(on, NULL), gemm_weight_elems(bi, NULL));
    /* 48 Gemm projections + lm_head: 49 weight x activation products */
    size_t proj = 0;
    for (size_t i = 0; i < wl_graph_op_count(on); i++) {
        const wl_op_t *op = wl_graph_op(on, i);
        if (op->kind == WL_OP_MATMUL) {
            ck_assert_msg(op->b_is_weight && op->weight, "%s has no weight operand", op->name);
            ck_assert_uint_eq(op->m, 128);
            proj++;
        }
        if (op->kind == WL_OP_ATTN_SCORE) {
            ck_assert_uint_eq(op->count, 12);
            ck_assert_uint_eq(op->m, 128);
            ck_assert_uint_eq(op->k, 64);
            ck_assert_uint_eq(op->n, 128);
        }
        if (op->kind == WL_OP_ATTN_CONTEXT) {
            ck_assert_uint_eq(op->k, 128);
            ck_assert_uint_eq(op->n, 64);
        }
    }
    ck_assert_uint_eq(proj, 49);
    /* block index: projections of h.N are in layer N */
    for (size_t i = 0; i < wl_graph_op_count(on); i++) {
        const wl_op_t *op = wl_graph_op(on, i);
        const char *h = op->weight ? strstr(op->weight->name, ".h.") : NULL;
        if (op->kind == WL_OP_MATMUL && h)
            ck_assert_int_eq(op->layer, atoi(h + 3));
        if (op->kind == WL_OP_ATTN_SCORE)
            ck_assert_int_ge(op->layer, 0);
    }
    ck_assert_uint_eq(count_kind(on, WL_OP_ATTN_SCORE), 12);
    ck_assert_uint_eq(count_kind(on, WL_OP_ATTN_CONTEXT), 12);
    ck_assert_uint_eq(count_kind(on, WL_OP_LAYERNORM), 25);
    /* lm_head multiplies by the transposed (tied) embedding: still that weight */
    const wl_op_t *lm = find_op(on, "node_linear");
    ck_assert_ptr_nonnull(lm);
    ck_assert_str_eq(lm->weight->name, "m.lm_head.weight");
    ck_assert_uint_eq(lm->n, 50257);
    const wl_op_t *emb = find_op(on, "node_embedding");
    ck_assert_ptr_nonnull(emb);
    ck_assert_int_eq(emb->kind, WL_OP_EMBEDDING);
    ck_assert_ptr_eq(emb->weight, lm->weight);
    const wl_tensor_t *logits = wl_graph_find_tensor(on, "linear");
    ck_assert(logits->flags & WL_T_OUTPUT);
    ck_assert_int_eq(logits->shape.rank, 3);
    ck_assert_int_eq(logits->shape.dim[2], 50257);
    ck_assert_str_eq(wl_graph_source(on), FIX "gpt2-124m.onnx");
    wl_graph_destroy(on);
    wl_graph_destroy(bi);
}
END_TEST

START_TEST(gpt2_shapes_match_value_info)
{
    /* the dynamo exporter wrote its own shapes (value_info): prism's
     * inference must agree on every tensor it keeps */
    size_t len;
    unsigned char *buf = read_all(FIX "gpt2-124m.onnx", &len);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    free(buf);
    ck_assert_ptr_nonnull(m);
    wl_graph_t *g = import_ok(FIX "gpt2-124m.onnx", NULL);
    size_t compared = 0;
    for (size_t i = 0; i < m->graph->n_value_info; i++) {
        Onnx__ValueInfoProto *vi = m->graph->value_info[i];
        const wl_tensor_t *t = wl_graph_find_tensor(g, vi->name);
        if (!t || !vi->type || !vi->type->tensor_type || !vi->type->tensor_type->shape)
            continue;
        Onnx__TensorShapeProto *sp = vi->type->tensor_type->shape;
        ck_assert_msg((size_t)t->shape.rank == sp->n_dim, "%s: rank %d vs %zu", vi->name, t->shape.rank, sp->n_dim);
        for (size_t d = 0; d < sp->n_dim; d++)
            ck_assert_msg(t->shape.dim[d] == sp->dim[d]->dim_value, "%s dim %zu: %lld vs %lld", vi->name, d,
                          (long long)t->shape.dim[d], (long long)sp->dim[d]->dim_value);
        compared++;
    }
    ck_assert_uint_gt(compared, 400);
    wl_graph_destroy(g);
    onnx__model_proto__free_unpacked(m, NULL);
}
END_TEST

START_TEST(bert_matches_builtin)
{
    /* The fixture outputs BERT's last hidden state: the exporter dropped the
     * pooler (dense 768x768 + tanh on [CLS]) that the built-in bert-base
     * includes (HF BertModel's 109.48M parameters count it). Compare like with
     * like: built-in minus pooler.dense. */
    wl_graph_t *on = import_ok(FIX "bert-base.onnx", NULL);
    wl_graph_t *bi = builtin("bert-base", 128);
    const wl_op_t *pool = find_op(bi, "pooler.dense");
    ck_assert_ptr_nonnull(pool);
    ck_assert_uint_eq(pool->macs, 768 * 768);
    ck_assert_uint_eq(wl_graph_total_macs(on), wl_graph_total_macs(bi) - pool->macs);
    ck_assert_uint_eq(wl_graph_kind_macs(on, WL_OP_ATTN_SCORE), wl_graph_kind_macs(bi, WL_OP_ATTN_SCORE));
    ck_assert_uint_eq(wl_graph_kind_macs(on, WL_OP_ATTN_CONTEXT), wl_graph_kind_macs(bi, WL_OP_ATTN_CONTEXT));
    ck_assert_uint_eq(gemm_weight_elems(on, NULL), gemm_weight_elems(bi, "pooler"));
    ck_assert_uint_eq(count_kind(on, WL_OP_MATMUL), 72); /* 12 x (q, k, v, o, ffn1, ffn2) */
    const wl_tensor_t *out = wl_graph_find_tensor(on, "output");
    ck_assert(out && (out->flags & WL_T_OUTPUT));
    ck_assert_int_eq(out->shape.dim[2], 768);
    wl_graph_destroy(on);
    wl_graph_destroy(bi);
}
END_TEST

START_TEST(resnet18_matches_builtin)
{
    /* torchscript folded BatchNorm into the convs: MACs are unchanged */
    wl_graph_t *on = import_ok(FIX "resnet18.onnx", NULL);
    wl_graph_t *bi = builtin("resnet18", 0);
    ck_assert_uint_eq(wl_graph_total_macs(on), wl_graph_total_macs(bi));
    ck_assert_uint_eq(wl_graph_total_macs(on), 1814073344ull);
    ck_assert_uint_eq(wl_graph_kind_macs(on, WL_OP_CONV), wl_graph_kind_macs(bi, WL_OP_CONV));
    ck_assert_uint_eq(gemm_weight_elems(on, NULL), gemm_weight_elems(bi, NULL));
    ck_assert_uint_eq(count_kind(on, WL_OP_CONV), 20);
    ck_assert_uint_eq(count_kind(on, WL_OP_POOL), 2);
    const wl_op_t *first = wl_graph_op(on, 0);
    ck_assert_int_eq(first->kind, WL_OP_CONV);
    ck_assert_int_eq(first->conv.kernel_h, 7);
    ck_assert_int_eq(first->conv.stride_w, 2);
    ck_assert_int_eq(first->conv.pad_top, 3);
    ck_assert_uint_eq(first->m, 112 * 112);
    ck_assert_uint_eq(first->k, 3 * 49);
    ck_assert_uint_eq(first->n, 64);
    wl_graph_destroy(on);
    wl_graph_destroy(bi);
}
END_TEST

START_TEST(fixture_external_data_missing)
{
    /* shapes import without the data file; numerics ask for it by name */
    void *data = NULL;
    size_t len = 1;
    char err[512] = "";
    int rc = wl_onnx_load_initializer(FIX "gpt2-124m.onnx", "m.transformer.wpe.weight", &data, &len,
                                      err, sizeof err);
    ck_assert_int_eq(rc, WL_ERR_IO);
    ck_assert_ptr_null(data);
    ck_assert_uint_eq(len, 0);
    ck_assert_msg(strstr(err, "gpt2-124m.onnx.data") != NULL, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "m.transformer.wpe.weight"));
    rc = wl_onnx_load_initializer(FIX "gpt2-124m.onnx", "no.such.weight", &data, &len, err, sizeof err);
    ck_assert_int_eq(rc, WL_ERR_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "no.such.weight"));
    /* an inline initializer of the fixture reads fine: val_3 = [-1, 128] (int64) */
    rc = wl_onnx_load_initializer(FIX "gpt2-124m.onnx", "val_3", &data, &len, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_uint_eq(len, 16);
    int64_t v[2];
    memcpy(v, data, 16);
    ck_assert_int_eq(v[0], -1);
    ck_assert_int_eq(v[1], 128);
    free(data);
}
END_TEST

/* ---- damaged copies of the fixtures ---------------------------------------------------- */
START_TEST(truncated_and_garbage)
{
    make_tmpdir();
    size_t len;
    unsigned char *buf = read_all(FIX "gpt2-124m.onnx", &len);
    size_t cuts[] = {1, 100, len / 2, len - 3};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const char *p = tmp_path("cut.onnx");
        write_all(p, buf, cuts[i]);
        wl_graph_t *g = (wl_graph_t *)1;
        char err[512] = "";
        int rc = wl_onnx_import(p, NULL, &g, err, sizeof err);
        ck_assert_msg(rc == WL_ERR_FORMAT, "cut at %zu: rc %d (%s)", cuts[i], rc, err);
        ck_assert_ptr_null(g);
        ck_assert_ptr_nonnull(strstr(err, "cut.onnx"));
        ck_assert_ptr_nonnull(strstr(err, "not a valid ONNX model"));
    }
    free(buf);
    const char *p = tmp_path("text.onnx");
    write_all(p, "hello, this is not protobuf\n", 28);
    wl_graph_t *g;
    char err[512];
    ck_assert_int_eq(wl_onnx_import(p, NULL, &g, err, sizeof err), WL_ERR_FORMAT);
    write_all(p, "", 0);
    ck_assert_int_eq(wl_onnx_import(p, NULL, &g, err, sizeof err), WL_ERR_FORMAT);
    remove_tmpdir();
}
END_TEST

static const char *edit_node(const char *fixture, const char *out_name, const char *match_op,
                             int field /* 0 op_type, 1 input[0] */, char *value, char *node_name,
                             size_t nlen)
{
    size_t len;
    unsigned char *buf = read_all(fixture, &len);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    free(buf);
    ck_assert_ptr_nonnull(m);
    Onnx__NodeProto *nd = NULL;
    for (size_t i = 0; i < m->graph->n_node && !nd; i++)
        if (!strcmp(m->graph->node[i]->op_type, match_op))
            nd = m->graph->node[i];
    ck_assert_ptr_nonnull(nd);
    snprintf(node_name, nlen, "%s", nd->name);
    char **slot = field == 0 ? &nd->op_type : &nd->input[0];
    char *old = *slot;
    *slot = value;
    size_t out_len = onnx__model_proto__get_packed_size(m);
    unsigned char *out = malloc(out_len);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(onnx__model_proto__pack(m, out), out_len);
    *slot = old;
    onnx__model_proto__free_unpacked(m, NULL);
    const char *p = tmp_path(out_name);
    write_all(p, out, out_len);
    free(out);
    return p;
}

START_TEST(unknown_operator)
{
    make_tmpdir();
    char node[256];
    const char *p = edit_node(FIX "bert-base.onnx", "fancy.onnx", "Softmax", 0,
                              (char *)"FancyAttention", node, sizeof node);
    wl_graph_t *g = (wl_graph_t *)1;
    char err[512] = "";
    ck_assert_int_eq(wl_onnx_import(p, NULL, &g, err, sizeof err), WL_ERR_UNSUPPORTED);
    ck_assert_ptr_null(g);
    ck_assert_msg(strstr(err, node) != NULL, "message does not name node %s: %s", node, err);
    ck_assert_msg(strstr(err, "FancyAttention") != NULL, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "fancy.onnx"));
    remove_tmpdir();
}
END_TEST

START_TEST(undefined_input)
{
    make_tmpdir();
    char node[256];
    const char *p = edit_node(FIX "resnet18.onnx", "dangling.onnx", "MaxPool", 1,
                              (char *)"no_such_tensor", node, sizeof node);
    wl_graph_t *g;
    char err[512] = "";
    ck_assert_int_eq(wl_onnx_import(p, NULL, &g, err, sizeof err), WL_ERR_FORMAT);
    ck_assert_msg(strstr(err, node) && strstr(err, "MaxPool") && strstr(err, "no_such_tensor"), "%s", err);
    remove_tmpdir();
}
END_TEST


/* Damaged files must give an error, never a crash (this test runs under ASan
 * and UBSan in `make debug test`): deterministic byte mutations of each
 * fixture, from a fixed linear congruential sequence. */
START_TEST(mutations_never_crash)
{
    static const struct {
        const char *file;
        int rounds;
    } fx[] = {{FIX "resnet18.onnx", 300}, {FIX "bert-base.onnx", 60}, {FIX "gpt2-124m.onnx", 60}};
    make_tmpdir();
    uint64_t state = 0x9E3779B97F4A7C15ull;
    int ok = 0, failed = 0;
    for (size_t f = 0; f < sizeof fx / sizeof fx[0]; f++) {
        size_t len;
        unsigned char *orig = read_all(fx[f].file, &len);
        unsigned char *buf = malloc(len);
        ck_assert_ptr_nonnull(buf);
        for (int r = 0; r < fx[f].rounds; r++) {
            memcpy(buf, orig, len);
            int flips = 1 + r % 4;
            for (int k = 0; k < flips; k++) {
                state = state * 6364136223846793005ull + 1442695040888963407ull;
                size_t pos = (size_t)(state >> 33) % len;
                buf[pos] = (unsigned char)(state >> 13);
            }
            const char *p = tmp_path("mut.onnx");
            write_all(p, buf, len);
            wl_graph_t *g = NULL;
            char err[512] = "";
            int rc = wl_onnx_import(p, NULL, &g, err, sizeof err);
            if (rc == 0) {
                ck_assert_ptr_nonnull(g);
                ok++;
            } else {
                ck_assert_int_lt(rc, 0);
                ck_assert_ptr_null(g);
                ck_assert_msg(err[0] != 0, "error %d without a message", rc);
                failed++;
            }
            wl_graph_destroy(g);
        }
        free(buf);
        free(orig);
    }
    /* both outcomes happen: some flips hit names or values, others break the file */
    ck_assert_int_gt(ok, 0);
    ck_assert_int_gt(failed, 0);
    remove_tmpdir();
}
END_TEST

/* ---- models built here ------------------------------------------------------------------ */
typedef struct {
    void *p[512];
    int n;
} arena_t;

static void *A(arena_t *a, size_t sz)
{
    ck_assert_int_lt(a->n, 512);
    void *p = calloc(1, sz);
    ck_assert_ptr_nonnull(p);
    a->p[a->n++] = p;
    return p;
}

static void arena_free(arena_t *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->p[i]);
    a->n = 0;
}

static Onnx__NodeProto *mk_node(arena_t *a, const char *op, const char *name, size_t nin,
                                const char **ins, const char *out)
{
    Onnx__NodeProto *n = A(a, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = (char *)op;
    n->name = (char *)name;
    n->n_input = nin;
    n->input = A(a, (nin + 1) * sizeof(char *));
    for (size_t i = 0; i < nin; i++)
        n->input[i] = (char *)ins[i];
    n->n_output = 1;
    n->output = A(a, sizeof(char *));
    n->output[0] = (char *)out;
    return n;
}

static void node_attr_int(arena_t *a, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *at = A(a, sizeof *at);
    onnx__attribute_proto__init(at);
    at->name = (char *)name;
    at->has_type = 1;
    at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    at->has_i = 1;
    at->i = v;
    n->attribute = A(a, sizeof(Onnx__AttributeProto *));
    n->attribute[0] = at;
    n->n_attribute = 1;
}

static Onnx__TensorProto *mk_i64(arena_t *a, const char *name, int rank, int64_t dim0,
                                 const int64_t *vals, size_t nv)
{
    Onnx__TensorProto *t = A(a, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = 7;
    t->n_dims = (size_t)rank;
    t->dims = A(a, sizeof(int64_t));
    t->dims[0] = dim0;
    t->n_int64_data = nv;
    t->int64_data = A(a, nv * sizeof(int64_t));
    memcpy(t->int64_data, vals, nv * sizeof(int64_t));
    return t;
}

static Onnx__TensorProto *mk_f32_external(arena_t *a, const char *name, int64_t d0, int64_t d1,
                                          const char *loc, const char *off, const char *len)
{
    Onnx__TensorProto *t = A(a, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = 1;
    t->n_dims = 2;
    t->dims = A(a, 2 * sizeof(int64_t));
    t->dims[0] = d0;
    t->dims[1] = d1;
    const char *kv[3][2] = {{"location", loc}, {"offset", off}, {"length", len}};
    t->n_external_data = 3;
    t->external_data = A(a, 3 * sizeof(Onnx__StringStringEntryProto *));
    for (int i = 0; i < 3; i++) {
        Onnx__StringStringEntryProto *e = A(a, sizeof *e);
        onnx__string_string_entry_proto__init(e);
        e->key = (char *)kv[i][0];
        e->value = (char *)kv[i][1];
        t->external_data[i] = e;
    }
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    return t;
}

static Onnx__TensorProto *mk_raw(arena_t *a, const char *name, int dtype, int rank,
                                 const int64_t *dims, const void *bytes, size_t len)
{
    Onnx__TensorProto *t = A(a, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = dtype;
    t->n_dims = (size_t)rank;
    t->dims = A(a, (size_t)(rank + 1) * sizeof(int64_t));
    if (rank > 0)
        memcpy(t->dims, dims, (size_t)rank * sizeof(int64_t));
    t->has_raw_data = 1;
    t->raw_data.len = len;
    t->raw_data.data = A(a, len + 1);
    memcpy(t->raw_data.data, bytes, len);
    return t;
}

/* dims: value > 0, or 0 for a symbolic dim named by params[i] */
static Onnx__ValueInfoProto *mk_input(arena_t *a, const char *name, int rank, const int64_t *dims,
                                      const char **params)
{
    Onnx__ValueInfoProto *vi = A(a, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = (char *)name;
    Onnx__TypeProto *tp = A(a, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = A(a, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = 1;
    Onnx__TensorShapeProto *sh = A(a, sizeof *sh);
    onnx__tensor_shape_proto__init(sh);
    sh->n_dim = (size_t)rank;
    sh->dim = A(a, (size_t)rank * sizeof(Onnx__TensorShapeProto__Dimension *));
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = A(a, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i] > 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = (char *)params[i];
        }
        sh->dim[i] = d;
    }
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    return vi;
}

static const char *write_model(arena_t *a, const char *file, Onnx__NodeProto **nodes, size_t nn,
                               Onnx__TensorProto **inits, size_t ni, Onnx__ValueInfoProto *input,
                               const char *output)
{
    Onnx__GraphProto *g = A(a, sizeof *g);
    onnx__graph_proto__init(g);
    g->name = (char *)"test";
    g->n_node = nn;
    g->node = nodes;
    g->n_initializer = ni;
    g->initializer = inits;
    g->n_input = 1;
    g->input = A(a, sizeof(Onnx__ValueInfoProto *));
    g->input[0] = input;
    Onnx__ValueInfoProto *out = A(a, sizeof *out);
    onnx__value_info_proto__init(out);
    out->name = (char *)output;
    g->n_output = 1;
    g->output = A(a, sizeof(Onnx__ValueInfoProto *));
    g->output[0] = out;
    Onnx__OperatorSetIdProto *os = A(a, sizeof *os);
    onnx__operator_set_id_proto__init(os);
    os->domain = (char *)"";
    os->has_version = 1;
    os->version = 17;
    Onnx__ModelProto *m = A(a, sizeof *m);
    onnx__model_proto__init(m);
    m->has_ir_version = 1;
    m->ir_version = 8;
    m->graph = g;
    m->n_opset_import = 1;
    m->opset_import = A(a, sizeof(Onnx__OperatorSetIdProto *));
    m->opset_import[0] = os;
    size_t len = onnx__model_proto__get_packed_size(m);
    unsigned char *buf = malloc(len);
    ck_assert_ptr_nonnull(buf);
    onnx__model_proto__pack(m, buf);
    const char *p = tmp_path(file);
    write_all(p, buf, len);
    free(buf);
    return p;
}

/* x[2,6,4] -> Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) = [2,24]
 *  -> MatMul(W[wrows,5], external) -> Relu */
static const char *shape_chain_model(arena_t *a, const char *file, int64_t wrows)
{
    static const int64_t zero = 0, minus1 = -1;
    static const int64_t xdims[3] = {2, 6, 4};
    Onnx__TensorProto **inits = A(a, 4 * sizeof(Onnx__TensorProto *));
    inits[0] = mk_f32_external(a, "W", wrows, 5, "tiny.onnx.data", "16", wrows == 24 ? "480" : "460");
    inits[1] = mk_i64(a, "idx0", 0, 0, &zero, 1);
    inits[2] = mk_i64(a, "minus1", 1, 1, &minus1, 1);
    inits[3] = mk_i64(a, "axes0", 1, 1, &zero, 1);
    Onnx__NodeProto **nodes = A(a, 7 * sizeof(Onnx__NodeProto *));
    nodes[0] = mk_node(a, "Shape", "shape", 1, (const char *[]){"x"}, "s");
    nodes[1] = mk_node(a, "Gather", "gather", 2, (const char *[]){"s", "idx0"}, "b");
    nodes[2] = mk_node(a, "Unsqueeze", "unsq", 2, (const char *[]){"b", "axes0"}, "b1");
    nodes[3] = mk_node(a, "Concat", "concat", 2, (const char *[]){"b1", "minus1"}, "shp");
    node_attr_int(a, nodes[3], "axis", 0);
    nodes[4] = mk_node(a, "Reshape", "reshape", 2, (const char *[]){"x", "shp"}, "x2");
    nodes[5] = mk_node(a, "MatMul", "mm", 2, (const char *[]){"x2", "W"}, "y");
    nodes[6] = mk_node(a, "Relu", "relu", 1, (const char *[]){"y"}, "z");
    return write_model(a, file, nodes, 7, inits, 4, mk_input(a, "x", 3, xdims, NULL), "z");
}

START_TEST(shape_folding_and_external_data)
{
    make_tmpdir();
    arena_t a = {0};
    const char *p = shape_chain_model(&a, "tiny.onnx", 24);
    wl_graph_t *g = import_ok(p, NULL);
    /* the shape chain folds away: only reshape, matmul and relu run */
    ck_assert_uint_eq(wl_graph_op_count(g), 3);
    const wl_op_t *mm = find_op(g, "mm");
    ck_assert_ptr_nonnull(mm);
    ck_assert_int_eq(mm->kind, WL_OP_MATMUL);
    ck_assert_uint_eq(mm->m, 2);
    ck_assert_uint_eq(mm->k, 24);
    ck_assert_uint_eq(mm->n, 5);
    ck_assert_uint_eq(mm->macs, 240);
    ck_assert(mm->b_is_weight && !mm->a_is_weight);
    ck_assert_str_eq(mm->weight->name, "W");
    ck_assert_uint_eq(wl_graph_params(g), 120);
    const wl_tensor_t *x2 = wl_graph_find_tensor(g, "x2");
    ck_assert_int_eq(x2->shape.rank, 2);
    ck_assert_int_eq(x2->shape.dim[0], 2);
    ck_assert_int_eq(x2->shape.dim[1], 24);
    ck_assert_int_eq(find_op(g, "reshape")->kind, WL_OP_RESHAPE);
    ck_assert_int_eq(find_op(g, "relu")->kind, WL_OP_ACTIVATION);
    wl_graph_destroy(g);

    /* numerics need tiny.onnx.data, which is not there yet */
    void *data = NULL;
    size_t len = 0;
    char err[512] = "";
    ck_assert_int_eq(wl_onnx_load_initializer(p, "W", &data, &len, err, sizeof err), WL_ERR_IO);
    ck_assert_msg(strstr(err, "tiny.onnx.data") != NULL, "%s", err);
    /* write it: 16 bytes of something else, then W = 0, 1, ..., 119 */
    unsigned char file[16 + 480];
    memset(file, 0xAB, 16);
    for (int i = 0; i < 120; i++) {
        float f = (float)i;
        memcpy(file + 16 + 4 * i, &f, 4);
    }
    write_all(tmp_path("tiny.onnx.data"), file, sizeof file);
    ck_assert_int_eq(wl_onnx_load_initializer(p, "W", &data, &len, err, sizeof err), 0);
    ck_assert_uint_eq(len, 480);
    ck_assert_int_eq(memcmp(data, file + 16, 480), 0);
    free(data);
    /* a data file too short for the tensor */
    write_all(tmp_path("tiny.onnx.data"), file, 100);
    ck_assert_int_eq(wl_onnx_load_initializer(p, "W", &data, &len, err, sizeof err), WL_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err, "ends before"));
    /* inline initializer */
    ck_assert_int_eq(wl_onnx_load_initializer(p, "minus1", &data, &len, err, sizeof err), 0);
    ck_assert_uint_eq(len, 8);
    int64_t m1;
    memcpy(&m1, data, 8);
    ck_assert_int_eq(m1, -1);
    free(data);
    arena_free(&a);

    /* inner dimensions that do not agree: the message names node and operator */
    p = shape_chain_model(&a, "bad.onnx", 23);
    g = (wl_graph_t *)1;
    ck_assert_int_eq(wl_onnx_import(p, NULL, &g, err, sizeof err), WL_ERR_FORMAT);
    ck_assert_ptr_null(g);
    ck_assert_msg(strstr(err, "'mm' (MatMul)") && strstr(err, "inner dimensions"), "%s", err);
    arena_free(&a);
    remove_tmpdir();
}
END_TEST

START_TEST(quantized_weight_topk)
{
    /* y = x [2,8] * DequantizeLinear(Wq int8 [8,4]); TopK(y, 2): the matmul's
     * weight is the int8 initializer seen through DequantizeLinear */
    make_tmpdir();
    arena_t a = {0};
    static const int64_t xd[2] = {2, 8}, wd[2] = {8, 4}, kd[1] = {1};
    signed char wq[32];
    for (int i = 0; i < 32; i++)
        wq[i] = (signed char)(i - 16);
    float scale = 0.05f;
    signed char zp = 0;
    int64_t k = 2;
    Onnx__TensorProto **inits = A(&a, 4 * sizeof(Onnx__TensorProto *));
    inits[0] = mk_raw(&a, "Wq", 3, 2, wd, wq, sizeof wq);
    inits[1] = mk_raw(&a, "scale", 1, 0, NULL, &scale, 4);
    inits[2] = mk_raw(&a, "zp", 3, 0, NULL, &zp, 1);
    inits[3] = mk_raw(&a, "k", 7, 1, kd, &k, 8);
    Onnx__NodeProto **nodes = A(&a, 3 * sizeof(Onnx__NodeProto *));
    nodes[0] = mk_node(&a, "DequantizeLinear", "dq", 3, (const char *[]){"Wq", "scale", "zp"}, "Wf");
    nodes[1] = mk_node(&a, "MatMul", "mm", 2, (const char *[]){"x", "Wf"}, "y");
    nodes[2] = mk_node(&a, "TopK", "top", 2, (const char *[]){"y", "k"}, "vals");
    const char *p = write_model(&a, "q.onnx", nodes, 3, inits, 4, mk_input(&a, "x", 2, xd, NULL), "vals");
    wl_graph_t *g = import_ok(p, NULL);
    ck_assert_uint_eq(wl_graph_op_count(g), 2); /* dequantizing a constant folds */
    const wl_op_t *mm = find_op(g, "mm");
    ck_assert(mm->b_is_weight);
    ck_assert_str_eq(mm->weight->name, "Wq");
    ck_assert_int_eq(mm->weight->dtype, WL_DT_I8);
    ck_assert_uint_eq(mm->macs, 2 * 8 * 4);
    ck_assert_uint_eq(wl_graph_params(g), 32);
    ck_assert_uint_eq(wl_graph_weight_bytes(g), 32);
    const wl_tensor_t *v = wl_graph_find_tensor(g, "vals");
    ck_assert_int_eq(v->shape.dim[0], 2);
    ck_assert_int_eq(v->shape.dim[1], 2);
    wl_graph_destroy(g);
    /* raw data shorter than the shape: a format error naming the tensor */
    inits[0] = mk_raw(&a, "Wq", 3, 2, wd, wq, 31);
    p = write_model(&a, "q2.onnx", nodes, 3, inits, 4, mk_input(&a, "x", 2, xd, NULL), "vals");
    char err[512] = "";
    ck_assert_int_eq(wl_onnx_import(p, NULL, &g, err, sizeof err), WL_ERR_FORMAT);
    ck_assert_msg(strstr(err, "'Wq'") != NULL, "%s", err);
    arena_free(&a);
    remove_tmpdir();
}
END_TEST

START_TEST(symbolic_dims)
{
    make_tmpdir();
    arena_t a = {0};
    static const int64_t dims[3] = {0, 0, 4};
    static const char *params[3] = {"batch", "sequence", NULL};
    Onnx__TensorProto **inits = A(&a, sizeof(Onnx__TensorProto *));
    inits[0] = mk_f32_external(&a, "W", 4, 5, "sym.onnx.data", "0", "80");
    Onnx__NodeProto **nodes = A(&a, sizeof(Onnx__NodeProto *));
    nodes[0] = mk_node(&a, "MatMul", "mm", 2, (const char *[]){"x", "W"}, "y");
    const char *p = write_model(&a, "sym.onnx", nodes, 1, inits, 1, mk_input(&a, "x", 3, dims, params), "y");
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    wl_graph_t *g;
    char err[512] = "";
    ck_assert_int_eq(wl_onnx_import(p, &o, &g, err, sizeof err), WL_ERR_ARG);
    ck_assert_msg(strstr(err, "sequence") && strstr(err, "--seq"), "%s", err);
    o.batch = 3;
    o.seq = 7;
    g = import_ok(p, &o);
    ck_assert_uint_eq(wl_graph_total_macs(g), 3 * 7 * 4 * 5);
    ck_assert_uint_eq(wl_graph_op(g, 0)->m, 21);
    wl_graph_destroy(g);
    /* decode is for built-in decoders */
    o.phase = WL_PHASE_DECODE;
    ck_assert_int_eq(wl_onnx_import(p, &o, &g, err, sizeof err), WL_ERR_ARG);
    arena_free(&a);
    remove_tmpdir();
}
END_TEST

/* Attributes appended one by one (node_attr_int replaces the list). */
static void add_attr(arena_t *a, Onnx__NodeProto *n, const char *name, const int64_t *v,
                     size_t nv, int is_list)
{
    Onnx__AttributeProto *at = A(a, sizeof *at);
    onnx__attribute_proto__init(at);
    at->name = (char *)name;
    at->has_type = 1;
    if (is_list) {
        at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        at->n_ints = nv;
        at->ints = A(a, nv * sizeof(int64_t));
        memcpy(at->ints, v, nv * sizeof(int64_t));
    } else {
        at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        at->has_i = 1;
        at->i = v[0];
    }
    Onnx__AttributeProto **na = A(a, (n->n_attribute + 1) * sizeof *na);
    for (size_t i = 0; i < n->n_attribute; i++)
        na[i] = n->attribute[i];
    na[n->n_attribute++] = at;
    n->attribute = na;
}

/* import a one-node model and expect `needle` in the error */
static void import_fails(const char *p, const char *needle)
{
    char err[512] = "";
    wl_graph_t *g = NULL;
    ck_assert_int_eq(wl_onnx_import(p, NULL, &g, err, sizeof err), WL_ERR_FORMAT);
    ck_assert_ptr_null(g);
    ck_assert_msg(strstr(err, needle), "'%s' lacks '%s'", err, needle);
}

/* x[1,2,8,8] through Conv(W[4,2,3,3]) with attribute `name` = v */
static const char *conv_model(arena_t *a, const char *file, const char *name, const int64_t *v,
                              size_t nv)
{
    static const int64_t xd[4] = {1, 2, 8, 8}, wd[4] = {4, 2, 3, 3};
    static float w[4 * 2 * 3 * 3];
    Onnx__TensorProto **inits = A(a, sizeof(Onnx__TensorProto *));
    inits[0] = mk_raw(a, "W", 1, 4, wd, w, sizeof w);
    Onnx__NodeProto **nodes = A(a, sizeof(Onnx__NodeProto *));
    nodes[0] = mk_node(a, "Conv", "conv", 2, (const char *[]){"x", "W"}, "y");
    add_attr(a, nodes[0], name, v, nv, 1);
    return write_model(a, file, nodes, 1, inits, 1, mk_input(a, "x", 4, xd, NULL), "y");
}

/* issue 13: kernel_shape against the weight, ints above INT_MAX, flags
 * other than 0/1 */
START_TEST(conv_and_flag_attributes_checked)
{
    make_tmpdir();
    arena_t a = {0};
    const int64_t k55[2] = {5, 5}, k33[2] = {3, 3}, big_stride[2] = {2147483648LL, 1},
                  big_pad[4] = {0, 0, 3000000000LL, 0};
    import_fails(conv_model(&a, "k.onnx", "kernel_shape", k55, 2),
                 "kernel_shape does not match weight [4,2,3,3]");
    import_fails(conv_model(&a, "s.onnx", "strides", big_stride, 2),
                 "kernel, stride and dilation must be in 1..2^31-1");
    import_fails(conv_model(&a, "p.onnx", "pads", big_pad, 4), "pads must be in 0..2^31-1");
    /* the weight's own kernel_shape is fine */
    wl_graph_t *g = import_ok(conv_model(&a, "ok.onnx", "kernel_shape", k33, 2), NULL);
    ck_assert_int_eq(find_op(g, "conv")->conv.kernel_h, 3);
    wl_graph_destroy(g);
    arena_free(&a);

    /* MaxPool ceil_mode=7 */
    static const int64_t xd[4] = {1, 2, 8, 8};
    const int64_t seven = 7, five = 5;
    Onnx__NodeProto **nodes = A(&a, sizeof(Onnx__NodeProto *));
    nodes[0] = mk_node(&a, "MaxPool", "pool", 1, (const char *[]){"x"}, "y");
    add_attr(&a, nodes[0], "kernel_shape", k33, 2, 1);
    add_attr(&a, nodes[0], "ceil_mode", &seven, 1, 0);
    import_fails(write_model(&a, "pool.onnx", nodes, 1, NULL, 0, mk_input(&a, "x", 4, xd, NULL),
                             "y"),
                 "attribute ceil_mode is 7; it must be 0 or 1");
    arena_free(&a);

    /* Gemm transB=5 */
    static const int64_t x2[2] = {2, 4}, wd[2] = {4, 3};
    static float w[12];
    Onnx__TensorProto **inits = A(&a, sizeof(Onnx__TensorProto *));
    inits[0] = mk_raw(&a, "W", 1, 2, wd, w, sizeof w);
    nodes = A(&a, sizeof(Onnx__NodeProto *));
    nodes[0] = mk_node(&a, "Gemm", "gemm", 2, (const char *[]){"x", "W"}, "y");
    add_attr(&a, nodes[0], "transB", &five, 1, 0);
    import_fails(write_model(&a, "gemm.onnx", nodes, 1, inits, 1, mk_input(&a, "x", 2, x2, NULL),
                             "y"),
                 "attribute transB is 5; it must be 0 or 1");
    arena_free(&a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("onnx");
    TCase *fx = tcase_create("fixtures");
    tcase_set_timeout(fx, 60);
    tcase_add_test(fx, gpt2_matches_builtin);
    tcase_add_test(fx, gpt2_shapes_match_value_info);
    tcase_add_test(fx, bert_matches_builtin);
    tcase_add_test(fx, resnet18_matches_builtin);
    tcase_add_test(fx, fixture_external_data_missing);
    suite_add_tcase(s, fx);
    TCase *bad = tcase_create("errors");
    tcase_set_timeout(bad, 60);
    tcase_add_test(bad, truncated_and_garbage);
    tcase_add_test(bad, unknown_operator);
    tcase_add_test(bad, undefined_input);
    tcase_add_test(bad, mutations_never_crash);
    suite_add_tcase(s, bad);
    TCase *built = tcase_create("built");
    tcase_set_timeout(built, 60);
    tcase_add_test(built, shape_folding_and_external_data);
    tcase_add_test(built, symbolic_dims);
    tcase_add_test(built, quantized_weight_topk);
    tcase_add_test(built, conv_and_flag_attributes_checked);
    suite_add_tcase(s, built);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
