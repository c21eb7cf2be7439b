/* Built-in CNN workloads: ResNet-18/34/50/101 as in "Deep Residual Learning
 * for Image Recognition" (He et al. 2016) and torchvision's resnet.py (v1.5:
 * the stride of a bottleneck sits on its 3x3 conv). Convs carry no bias; each
 * is followed by a BatchNormalization op whose gain and shift are parameters. */
#include "workloads/wl_int.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    wl_graph_t *g;
    wl_dtype_t dt;
    int64_t B;
    int rc;
    int layer;
} cb_t;

typedef struct {
    const char *name; /* tensor name, graph-owned */
    int64_t c, h, w;
} fmap_t;

#define SH(...)                                                                        \
    wl_shp((int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__})

static const char *add_t(cb_t *b, const char *name, wl_shape_t s, unsigned flags)
{
    if (b->rc)
        return "";
    const wl_tensor_t *t = wl_graph_add_tensor(b->g, name, b->dt, &s, flags);
    if (!t) {
        b->rc = WL_ERR;
        return "";
    }
    return t->name;
}

static void add_op(cb_t *b, wl_op_spec_t *sp)
{
    if (b->rc)
        return;
    sp->layer = b->layer;
    if (wl_graph_add_op(b->g, sp))
        b->rc = WL_ERR;
}

static int64_t conv_out(int64_t in, int k, int s, int p) { return (in + 2 * p - k) / s + 1; }

/* conv (no bias) + batchnorm (+ relu). Weights named <name>.weight, BN <bn>.* */
static fmap_t conv_bn(cb_t *b, const char *name, const char *bn, fmap_t x, int64_t cout, int k,
                      int s, int p, int relu)
{
    char wn[160], on[160];
    fmap_t y = {"", cout, conv_out(x.h, k, s, p), conv_out(x.w, k, s, p)};
    snprintf(wn, sizeof wn, "%s.weight", name);
    snprintf(on, sizeof on, "%s.out", name);
    const char *w = add_t(b, wn, SH(cout, x.c, k, k), WL_T_WEIGHT);
    const char *o = add_t(b, on, SH(b->B, cout, y.h, y.w), 0);
    const char *ins[2] = {x.name, w};
    wl_op_spec_t sp = {.name = name, .kind = WL_OP_CONV, .detail = "conv", .inputs = ins,
                       .n_inputs = 2, .outputs = &o, .n_outputs = 1, .weight = w,
                       .m = (uint64_t)(b->B * y.h * y.w), .k = (uint64_t)(x.c * k * k),
                       .n = (uint64_t)cout, .count = 1, .b_is_weight = 1,
                       .conv = {k, k, s, s, p, p, p, p, 1, 1, 1}};
    add_op(b, &sp);
    char gn[160], bnn[160], bo[160];
    snprintf(gn, sizeof gn, "%s.weight", bn);
    snprintf(bnn, sizeof bnn, "%s.bias", bn);
    snprintf(bo, sizeof bo, "%s.out", bn);
    const char *gw = add_t(b, gn, SH(cout), WL_T_WEIGHT);
    const char *gb = add_t(b, bnn, SH(cout), WL_T_WEIGHT);
    const char *bout = add_t(b, bo, SH(b->B, cout, y.h, y.w), 0);
    const char *bins[3] = {o, gw, gb};
    wl_op_spec_t bsp = {.name = bn, .kind = WL_OP_BATCHNORM, .detail = "batchnorm",
                        .inputs = bins, .n_inputs = 3, .outputs = &bout, .n_outputs = 1,
                        .weight = gw, .bias = gb};
    add_op(b, &bsp);
    y.name = bout;
    if (relu) {
        char rn[160], ro[160];
        snprintf(rn, sizeof rn, "%s.relu", bn);
        snprintf(ro, sizeof ro, "%s.relu.out", bn);
        const char *r = add_t(b, ro, SH(b->B, cout, y.h, y.w), 0);
        const char *rins[1] = {bout};
        wl_op_spec_t rsp = {.name = rn, .kind = WL_OP_ACTIVATION, .detail = "relu",
                            .inputs = rins, .n_inputs = 1, .outputs = &r, .n_outputs = 1};
        add_op(b, &rsp);
        y.name = r;
    }
    return y;
}

/* out = relu(a + b) */
static fmap_t add_relu(cb_t *b, const char *prefix, fmap_t a, fmap_t c)
{
    char n1[160], o1[160], n2[160], o2[160];
    snprintf(n1, sizeof n1, "%s.add", prefix);
    snprintf(o1, sizeof o1, "%s.add.out", prefix);
    snprintf(n2, sizeof n2, "%s.relu", prefix);
    snprintf(o2, sizeof o2, "%s.relu.out", prefix);
    const char *s = add_t(b, o1, SH(b->B, a.c, a.h, a.w), 0);
    const char *ins[2] = {a.name, c.name};
    wl_op_spec_t sp = {.name = n1, .kind = WL_OP_ELEMENTWISE, .detail = "add", .inputs = ins,
                       .n_inputs = 2, .outputs = &s, .n_outputs = 1};
    add_op(b, &sp);
    const char *r = add_t(b, o2, SH(b->B, a.c, a.h, a.w), 0);
    const char *rins[1] = {s};
    wl_op_spec_t rsp = {.name = n2, .kind = WL_OP_ACTIVATION, .detail = "relu", .inputs = rins,
                        .n_inputs = 1, .outputs = &r, .n_outputs = 1};
    add_op(b, &rsp);
    a.name = r;
    return a;
}

int wl_build_resnet(wl_graph_t *g, int depth, int classes, const wl_gen_opts_t *o, char *err,
                    size_t errlen)
{
    static const struct {
        int depth, bottleneck, blocks[4];
    } table[] = {{18, 0, {2, 2, 2, 2}},
                 {34, 0, {3, 4, 6, 3}},
                 {50, 1, {3, 4, 6, 3}},
                 {101, 1, {3, 4, 23, 3}},
                 {152, 1, {3, 8, 36, 3}}};
    int ti = -1;
    for (int i = 0; i < (int)(sizeof table / sizeof table[0]); i++)
        if (table[i].depth == depth)
            ti = i;
    if (ti < 0)
        return wl_fail(err, errlen, WL_ERR_ARG, "ResNet depth %d is not one of 18, 34, 50, 101, 152",
                       depth);
    if (classes < 1)
        return wl_fail(err, errlen, WL_ERR_ARG, "ResNet classes=%d: needs at least 1 class",
                       classes);
    cb_t b = {.g = g, .dt = o->dtype, .B = o->batch > 0 ? o->batch : 1, .layer = -1};
    int64_t img = o->image > 0 ? o->image : 224;
    fmap_t x = {add_t(&b, "input", SH(b.B, 3, img, img), WL_T_INPUT), 3, img, img};
    x = conv_bn(&b, "conv1", "bn1", x, 64, 7, 2, 3, 1);
    /* maxpool 3x3 stride 2 pad 1 */
    fmap_t mp = {"", x.c, conv_out(x.h, 3, 2, 1), conv_out(x.w, 3, 2, 1)};
    mp.name = add_t(&b, "maxpool.out", SH(b.B, mp.c, mp.h, mp.w), 0);
    {
        const char *ins[1] = {x.name};
        wl_op_spec_t sp = {.name = "maxpool", .kind = WL_OP_POOL, .detail = "max", .inputs = ins,
                           .n_inputs = 1, .outputs = &mp.name, .n_outputs = 1,
                           .conv = {3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1}};
        add_op(&b, &sp);
    }
    x = mp;
    int64_t width = 64;
    int bott = table[ti].bottleneck, expansion = bott ? 4 : 1;
    for (int stage = 0; stage < 4 && !b.rc; stage++) {
        b.layer = stage + 1;
        for (int blk = 0; blk < table[ti].blocks[stage] && !b.rc; blk++) {
            char p[64], n[128], bn[128];
            int stride = (stage > 0 && blk == 0) ? 2 : 1;
            int64_t cout = width * expansion;
            snprintf(p, sizeof p, "layer%d.%d", stage + 1, blk);
            fmap_t id = x, y;
            if (bott) {
                snprintf(n, sizeof n, "%s.conv1", p), snprintf(bn, sizeof bn, "%s.bn1", p);
                y = conv_bn(&b, n, bn, x, width, 1, 1, 0, 1);
                snprintf(n, sizeof n, "%s.conv2", p), snprintf(bn, sizeof bn, "%s.bn2", p);
                y = conv_bn(&b, n, bn, y, width, 3, stride, 1, 1);
                snprintf(n, sizeof n, "%s.conv3", p), snprintf(bn, sizeof bn, "%s.bn3", p);
                y = conv_bn(&b, n, bn, y, cout, 1, 1, 0, 0);
            } else {
                snprintf(n, sizeof n, "%s.conv1", p), snprintf(bn, sizeof bn, "%s.bn1", p);
                y = conv_bn(&b, n, bn, x, width, 3, stride, 1, 1);
                snprintf(n, sizeof n, "%s.conv2", p), snprintf(bn, sizeof bn, "%s.bn2", p);
                y = conv_bn(&b, n, bn, y, cout, 3, 1, 1, 0);
            }
            if (stride != 1 || x.c != cout) {
                snprintf(n, sizeof n, "%s.downsample.0", p);
                snprintf(bn, sizeof bn, "%s.downsample.1", p);
                id = conv_bn(&b, n, bn, x, cout, 1, stride, 0, 0);
            }
            x = add_relu(&b, p, y, id);
        }
        width *= 2;
    }
    b.layer = -1;
    const char *gap = add_t(&b, "avgpool.out", SH(b.B, x.c, 1, 1), 0);
    {
        const char *ins[1] = {x.name};
        wl_op_spec_t sp = {.name = "avgpool", .kind = WL_OP_POOL, .detail = "global_avg",
                           .inputs = ins, .n_inputs = 1, .outputs = &gap, .n_outputs = 1,
                           .conv = {(int)x.h, (int)x.w, 1, 1, 0, 0, 0, 0, 1, 1, 1}};
        add_op(&b, &sp);
    }
    const char *flat = add_t(&b, "flatten.out", SH(b.B, x.c), 0);
    {
        const char *ins[1] = {gap};
        wl_op_spec_t sp = {.name = "flatten", .kind = WL_OP_RESHAPE, .detail = "flatten",
                           .inputs = ins, .n_inputs = 1, .outputs = &flat, .n_outputs = 1};
        add_op(&b, &sp);
    }
    const char *fw = add_t(&b, "fc.weight", SH(classes, x.c), WL_T_WEIGHT);
    const char *fb = add_t(&b, "fc.bias", SH(classes), WL_T_WEIGHT);
    const char *lo = add_t(&b, "fc.out", SH(b.B, classes), 0);
    {
        const char *ins[3] = {flat, fw, fb};
        wl_op_spec_t sp = {.name = "fc", .kind = WL_OP_MATMUL, .detail = "linear", .inputs = ins,
                           .n_inputs = 3, .outputs = &lo, .n_outputs = 1, .weight = fw,
                           .bias = fb, .m = (uint64_t)b.B, .k = (uint64_t)x.c,
                           .n = (uint64_t)classes,
                           .count = 1, .b_is_weight = 1};
        add_op(&b, &sp);
    }
    if (b.rc)
        return wl_fail(err, errlen, b.rc, "building resnet%d: %s", depth, wl_graph_errmsg(g));
    return WL_OK;
}
