/* prism workload: inspect workloads. `info SPEC` prints a built-in model's or
 * an ONNX graph's totals (MACs, parameters, weight and activation bytes) and,
 * with --ops, every op; `list` names the built-ins; `eval` runs the GPT-2
 * reference forward pass (cli/cmd_workload_eval.c). */
#include "cli/cli.h"
#include "cli/out.h"
#include "workloads/wl.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
"usage: prism workload COMMAND [options]\n"
"\n"
"commands:\n"
"  info SPEC     totals (MACs, parameters, weight and activation bytes) of a\n"
"                built-in model or an ONNX file; per-op table with --ops\n"
"  list          the built-in models\n"
"  eval DIR      GPT-2 numerics: cross-entropy, perplexity (see 'prism workload eval --help')\n"
"\n"
"SPEC is a built-in name (gpt2, gpt2-medium, gpt2-large, gpt2-xl, llama2-7b,\n"
"llama3-8b, ..., bert-base, bert-large, vit-b16, vit-l16, resnet18, resnet50),\n"
"optionally with overrides 'llama2-7b:layers=2,kv_heads=8' (keys: hidden,\n"
"layers, heads, kv_heads, ffn, vocab, max_pos, tied, classes, patch), or a\n"
"path ending in .onnx.\n"
"\n"
"info options:\n"
"  --batch N              sequences or images per batch (default 1)\n"
"  --seq N                tokens per sequence in prefill (default 128)\n"
"  --phase prefill|decode decode: one new token per sequence with a KV cache\n"
"  --kv-len N             decode: tokens already cached (default: --seq)\n"
"  --image N              image side for ViT/ResNet (default 224)\n"
"  --dtype T              bytes of weights and activations: f32 (default) or any of\n"
"                         %s\n"
"  --ops                  also print every op (name, kind, shape, M K N, MACs, bytes)\n"
"  --json                 one JSON object: total_macs, params, weight_bytes,\n"
"                         activation_bytes, op_count, macs_by_kind, ops[]\n"
"\n"
"A MAC is one multiply-accumulate of a GEMM-like op (matmul, conv, attention);\n"
"docs/workloads.md states every counting convention.\n", cli_dtype_list());
}

static int fail(const char *msg, const char *arg)
{
    fprintf(stderr, "prism workload: ");
    fprintf(stderr, msg, arg);
    fputc('\n', stderr);
    return 2;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v;
    if (!s || !*s)
        return -1;
    v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static cJSON *shape_json(const wl_shape_t *s)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < s->rank; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)s->dim[i]));
    return a;
}

static cJSON *tensor_json(const wl_tensor_t *t)
{
    if (!t)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddItemToObject(o, "shape", shape_json(&t->shape));
    cJSON_AddStringToObject(o, "dtype", wl_dtype_name(t->dtype));
    cJSON_AddNumberToObject(o, "bytes", (double)t->bytes);
    const char *role = (t->flags & WL_T_WEIGHT) ? "weight"
                       : (t->flags & WL_T_INPUT) ? "input"
                       : (t->flags & WL_T_CONST) ? "constant"
                                                 : "activation";
    cJSON_AddStringToObject(o, "role", role);
    if (t->flags & WL_T_KV) /* kept in the KV cache (docs/workloads.md) */
        cJSON_AddBoolToObject(o, "kv_cache", 1);
    return o;
}

static cJSON *op_json(const wl_op_t *op, size_t index)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", (double)index);
    cJSON_AddStringToObject(o, "name", op->name);
    cJSON_AddStringToObject(o, "kind", wl_opkind_name(op->kind));
    cJSON_AddStringToObject(o, "detail", op->detail);
    cJSON_AddNumberToObject(o, "layer", op->layer);
    cJSON_AddStringToObject(o, "dtype", wl_dtype_name(op->dtype));
    cJSON_AddNumberToObject(o, "macs", (double)op->macs);
    cJSON_AddNumberToObject(o, "bytes_read", (double)op->bytes_read);
    cJSON_AddNumberToObject(o, "bytes_written", (double)op->bytes_written);
    cJSON_AddBoolToObject(o, "zero_cost", op->zero_cost);
    if (op->in_place)
        cJSON_AddBoolToObject(o, "in_place", 1);
    if (wl_opkind_is_gemm(op->kind)) {
        cJSON_AddNumberToObject(o, "m", (double)op->m);
        cJSON_AddNumberToObject(o, "k", (double)op->k);
        cJSON_AddNumberToObject(o, "n", (double)op->n);
        cJSON_AddNumberToObject(o, "count", (double)op->count);
        cJSON_AddBoolToObject(o, "a_is_weight", op->a_is_weight);
        cJSON_AddBoolToObject(o, "b_is_weight", op->b_is_weight);
    }
    if (op->kind == WL_OP_CONV || op->kind == WL_OP_POOL) {
        cJSON *c = cJSON_AddObjectToObject(o, "conv");
        cJSON_AddItemToObject(c, "kernel", shape_json(&(wl_shape_t){2, {op->conv.kernel_h, op->conv.kernel_w}}));
        cJSON_AddItemToObject(c, "stride", shape_json(&(wl_shape_t){2, {op->conv.stride_h, op->conv.stride_w}}));
        cJSON_AddItemToObject(c, "pads", shape_json(&(wl_shape_t){4, {op->conv.pad_top, op->conv.pad_left,
                                                                       op->conv.pad_bottom, op->conv.pad_right}}));
        cJSON_AddNumberToObject(c, "groups", op->conv.groups);
    }
    cJSON_AddItemToObject(o, "weight", tensor_json(op->weight));
    cJSON_AddItemToObject(o, "bias", tensor_json(op->bias));
    cJSON *ins = cJSON_AddArrayToObject(o, "inputs");
    for (size_t i = 0; i < op->n_inputs; i++)
        cJSON_AddItemToArray(ins, tensor_json(op->inputs[i]));
    cJSON *outs = cJSON_AddArrayToObject(o, "outputs");
    for (size_t i = 0; i < op->n_outputs; i++)
        cJSON_AddItemToArray(outs, tensor_json(op->outputs[i]));
    return o;
}

static void human(char *buf, size_t n, double v, const char *unit)
{
    static const char *const pre[] = {"", " K", " M", " G", " T", " P"};
    int i = 0;
    while (v >= 1000 && i < 5) {
        v /= 1000;
        i++;
    }
    snprintf(buf, n, i ? "%.2f%s%s" : "%.0f%s%s", v, pre[i], unit);
}

static int print_json(const wl_graph_t *g, const char *spec, const wl_gen_opts_t *o)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return fail("%s", "out of memory");
    cJSON_AddStringToObject(root, "workload", spec);
    cJSON_AddStringToObject(root, "graph", wl_graph_name(g));
    if (wl_graph_source(g))
        cJSON_AddStringToObject(root, "source", wl_graph_source(g));
    else {
        int decode = o->phase == WL_PHASE_DECODE;
        int seq = o->seq > 0 ? o->seq : 128;
        cJSON_AddNumberToObject(root, "batch", o->batch);
        cJSON_AddStringToObject(root, "phase", decode ? "decode" : "prefill");
        cJSON_AddNumberToObject(root, "seq", decode ? 1 : seq);
        if (decode)
            cJSON_AddNumberToObject(root, "kv_len", o->kv_len >= 0 ? o->kv_len : seq);
        cJSON_AddStringToObject(root, "dtype", wl_dtype_name(o->dtype));
    }
    cJSON_AddNumberToObject(root, "total_macs", (double)wl_graph_total_macs(g));
    cJSON_AddNumberToObject(root, "params", (double)wl_graph_params(g));
    cJSON_AddNumberToObject(root, "weight_bytes", (double)wl_graph_weight_bytes(g));
    cJSON_AddNumberToObject(root, "activation_bytes", (double)wl_graph_activation_bytes(g));
    cJSON_AddNumberToObject(root, "op_count", (double)wl_graph_op_count(g));
    cJSON *bk = cJSON_AddObjectToObject(root, "macs_by_kind");
    for (int k = 0; k < WL_OP_KIND_COUNT_; k++)
        if (wl_opkind_is_gemm((wl_opkind_t)k))
            cJSON_AddNumberToObject(bk, wl_opkind_name((wl_opkind_t)k),
                                    (double)wl_graph_kind_macs(g, (wl_opkind_t)k));
    cJSON *ops = cJSON_AddArrayToObject(root, "ops");
    for (size_t i = 0; i < wl_graph_op_count(g); i++)
        cJSON_AddItemToArray(ops, op_json(wl_graph_op(g, i), i));
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s)
        return fail("%s", "out of memory");
    int bad = fputs(s, stdout) < 0 || fputc('\n', stdout) == EOF;
    free(s);
    return bad ? fail("%s", "cannot write the output") : 0;
}

static int print_table(const wl_graph_t *g, int with_ops)
{
    char b1[64], b2[64];
    uint64_t macs = wl_graph_total_macs(g), params = wl_graph_params(g);
    size_t ngemm = 0;
    for (size_t i = 0; i < wl_graph_op_count(g); i++)
        ngemm += wl_opkind_is_gemm(wl_graph_op(g, i)->kind) ? 1 : 0;
    if (with_ops) {
        out_t *o = out_create(stdout, OUT_TABLE, 0);
        if (!o)
            return fail("%s", "out of memory");
        const char *cols[] = {"#", "name", "kind", "output", "m", "k", "n", "count", "macs",
                              "weight", "bytes_read", "bytes_written"};
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
            out_column(o, cols[i]);
        out_set_null_text(o, "-");
        for (size_t i = 0; i < wl_graph_op_count(g); i++) {
            const wl_op_t *op = wl_graph_op(g, i);
            int gemm = wl_opkind_is_gemm(op->kind);
            out_int(o, (long long)i);
            out_text(o, op->name);
            out_text(o, wl_opkind_name(op->kind));
            out_text(o, wl_shape_str(&op->outputs[0]->shape, b1, sizeof b1));
            if (gemm) {
                out_int(o, (long long)op->m);
                out_int(o, (long long)op->k);
                out_int(o, (long long)op->n);
                out_int(o, (long long)op->count);
            } else {
                out_null(o);
                out_null(o);
                out_null(o);
                out_null(o);
            }
            out_int(o, (long long)op->macs);
            out_text(o, op->weight ? op->weight->name : NULL);
            out_int(o, (long long)op->bytes_read);
            out_int(o, (long long)op->bytes_written);
        }
        if (out_finish(o))
            return fail("%s", "cannot write the output");
        printf("\n");
    }
    printf("workload          %s\n", wl_graph_name(g));
    if (wl_graph_source(g))
        printf("source            %s\n", wl_graph_source(g));
    printf("ops               %zu (%zu GEMM-like)\n", wl_graph_op_count(g), ngemm);
    human(b1, sizeof b1, (double)macs, "MAC");
    printf("total MACs        %llu (%s)\n", (unsigned long long)macs, b1);
    for (int k = 0; k < WL_OP_KIND_COUNT_; k++)
        if (wl_opkind_is_gemm((wl_opkind_t)k) && wl_graph_kind_macs(g, (wl_opkind_t)k)) {
            uint64_t km = wl_graph_kind_macs(g, (wl_opkind_t)k);
            printf("  %-15s %llu (%.1f%%)\n", wl_opkind_name((wl_opkind_t)k), (unsigned long long)km,
                   macs ? 100.0 * (double)km / (double)macs : 0.0);
        }
    human(b1, sizeof b1, (double)params, "");
    printf("params            %llu (%s)\n", (unsigned long long)params, b1);
    human(b1, sizeof b1, (double)wl_graph_weight_bytes(g), "B");
    human(b2, sizeof b2, (double)wl_graph_activation_bytes(g), "B");
    printf("weight bytes      %llu (%s)\n", (unsigned long long)wl_graph_weight_bytes(g), b1);
    printf("activation bytes  %llu (%s)\n", (unsigned long long)wl_graph_activation_bytes(g), b2);
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    wl_gen_opts_t o;
    wl_gen_opts_default(&o);
    const char *spec = NULL;
    int json = 0, ops = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--ops")) {
            ops = 1;
        } else if (!strcmp(a, "--batch")) {
            if (parse_int(v, 1, 1 << 20, &o.batch))
                return fail("--batch wants a positive integer, got '%s'", v ? v : "");
            i++;
        } else if (!strcmp(a, "--seq")) {
            if (parse_int(v, 1, 1 << 24, &o.seq))
                return fail("--seq wants a positive integer, got '%s'", v ? v : "");
            i++;
        } else if (!strcmp(a, "--kv-len")) {
            if (parse_int(v, 0, 1 << 24, &o.kv_len))
                return fail("--kv-len wants an integer >= 0, got '%s'", v ? v : "");
            i++;
        } else if (!strcmp(a, "--image")) {
            if (parse_int(v, 1, 1 << 16, &o.image))
                return fail("--image wants a positive integer, got '%s'", v ? v : "");
            i++;
        } else if (!strcmp(a, "--phase")) {
            if (v && !strcmp(v, "prefill"))
                o.phase = WL_PHASE_PREFILL;
            else if (v && !strcmp(v, "decode"))
                o.phase = WL_PHASE_DECODE;
            else
                return fail("--phase wants 'prefill' or 'decode', got '%s'", v ? v : "");
            i++;
        } else if (!strcmp(a, "--dtype")) {
            if (!v || wl_dtype_parse(v, &o.dtype) || wl_dtype_size(o.dtype) == 0)
            {
                fprintf(stderr, "prism workload: --dtype wants one of %s, got '%s'\n",
                        cli_dtype_list(), v ? v : "");
                return 2;
            }
            i++;
        } else if (a[0] == '-' && a[1]) {
            return fail("unknown option '%s' (see 'prism workload --help')", a);
        } else if (!spec) {
            spec = a;
        } else {
            return fail("info takes one workload, got a second one: '%s'", a);
        }
    }
    if (!spec)
        return fail("%s", "info needs a workload: a built-in name or a .onnx file (see 'prism workload list')");
    wl_graph_t *g = NULL;
    char err[512] = "";
    if (wl_load(spec, &o, &g, err, sizeof err))
        return fail("%s", err[0] ? err : "cannot load the workload");
    int rc = json ? print_json(g, spec, &o) : print_table(g, ops);
    wl_graph_destroy(g);
    return rc;
}

static int cmd_list(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else
            return fail("list takes no argument, got '%s'", argv[i]);
    }
    out_t *o = out_create(stdout, json ? OUT_JSON : OUT_TABLE, 0);
    if (!o)
        return fail("%s", "out of memory");
    out_column(o, "name");
    out_column(o, "description");
    for (size_t i = 0; i < wl_builtin_count(); i++) {
        out_text(o, wl_builtin_name(i));
        out_text(o, wl_builtin_desc(i));
    }
    if (out_finish(o))
        return fail("%s", "cannot write the output");
    return 0;
}

int cmd_workload(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "info"))
        return cmd_info(argc - 1, argv + 1);
    if (!strcmp(sub, "list"))
        return cmd_list(argc - 1, argv + 1);
    if (!strcmp(sub, "eval"))
        return cmd_workload_eval(argc - 1, argv + 1);
    return fail("unknown subcommand '%s' (info, list, eval; see 'prism workload --help')", sub);
}
