/* The list of device models. Adding a device is one new file under devices/
 * and one line here. What it is and the request kinds its handler serves come
 * from its own record (dev_ext_t.desc: the mask its dev_take_req is given;
 * check_dev_common holds every model's cost query to it), so a schedule is
 * checked against it when it is loaded. */
#include "devices/dev.h"
#include "devices/dev_common.h"
#include "devices/dev_int.h"

#include <stdio.h>

#include <string.h>

/* one extern per device model (each devices/<name>.c defines its table) */
extern const sim_model_t dev_systolic_model;
extern const sim_model_t dev_rram_xbar_model;
extern const sim_model_t dev_pcm_xbar_model;

extern const sim_model_t dev_sram_model;
extern const sim_model_t dev_dram_model;
extern const sim_model_t dev_vector_model;
extern const sim_model_t dev_dac_model;
extern const sim_model_t dev_adc_model;
extern const sim_model_t dev_laser_model;
extern const sim_model_t dev_photodetector_model;
extern const sim_model_t dev_mzi_mesh_model;
extern const sim_model_t dev_mrr_bank_model;
extern const sim_model_t dev_rns_photonic_model;
extern const sim_model_t dev_wire_model;
extern const sim_model_t dev_ptc_model;

/* The device list for `prism op --list`: every model registered below that
 * carries a dev_ext_t, sorted by name. */
#define DEV_LIST_MAX 64
static const sim_model_t *dev_list[DEV_LIST_MAX];
static unsigned dev_list_ops[DEV_LIST_MAX];
static size_t dev_list_n;

static int dev_list_add(const sim_model_t *m)
{
    int rc = sim_model_register(m);
    unsigned ops = m->ext ? ((const dev_ext_t *)m->ext)->desc.ops : 0;
    if (rc || !m->ext || dev_model_ext(m) || dev_list_n == DEV_LIST_MAX)
        return rc;
    size_t i = dev_list_n++;
    while (i > 0 && strcmp(dev_list[i - 1]->name, m->name) > 0) {
        dev_list[i] = dev_list[i - 1];
        dev_list_ops[i] = dev_list_ops[i - 1];
        i--;
    }
    dev_list[i] = m;
    dev_list_ops[i] = ops;
    return 0;
}

int dev_model_serves(const char *model, int kind)
{
    for (size_t i = 0; model && i < dev_list_n; i++)
        if (!strcmp(dev_list[i]->name, model))
            return kind > 0 && kind < 32 && (dev_list_ops[i] & DEV_OP_BIT(kind)) != 0;
    return 0;
}

int dev_model_ops_text(const char *model, char *buf, size_t n)
{
    size_t len = 0;
    if (n)
        buf[0] = '\0';
    for (int k = 1; k <= DEV_OP_LAST && len + 1 < n; k++)
        if (dev_model_serves(model, k))
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", dev_op_name(k));
    return len > 0;
}

size_t dev_model_count(void)
{
    return dev_list_n;
}

const sim_model_t *dev_model_at(size_t i)
{
    return i < dev_list_n ? dev_list[i] : NULL;
}

/* models of other families (noc/) that describe themselves */
static const sim_model_t *desc_list[DEV_LIST_MAX];
static size_t desc_list_n;

int dev_register(const sim_model_t *m)
{
    return dev_list_add(m);
}

int dev_register_described(const sim_model_t *m)
{
    int rc = sim_model_register(m);
    if (rc || !m->ext || desc_list_n == DEV_LIST_MAX)
        return rc;
    for (size_t i = 0; i < desc_list_n; i++)
        if (desc_list[i] == m)
            return 0;
    desc_list[desc_list_n++] = m;
    return 0;
}

const dev_desc_t *dev_desc_of(const char *model)
{
    const sim_model_t *m = model ? sim_model_find(model) : NULL;
    const dev_ext_t *x = m ? dev_model_ext(m) : NULL;
    for (size_t i = 0; m && !x && i < desc_list_n; i++)
        if (desc_list[i] == m)
            x = m->ext;
    return x ? &x->desc : NULL;
}

const char *dev_category_name(dev_category_t c)
{
    static const char *const names[] = {"other",   "digital", "xbar",        "photonic",
                                        "memory", "network", "interconnect"};
    return (unsigned)c < sizeof names / sizeof *names ? names[c] : "other";
}

const char *dev_model_category(const char *model)
{
    const dev_desc_t *d = dev_desc_of(model);
    return dev_category_name(d ? d->category : DEV_CAT_OTHER);
}

int dev_model_is_gemm(const char *model)
{
    const dev_desc_t *d = dev_desc_of(model);
    return d && (d->ops & (DEV_OP_BIT(DEV_OP_MVM) | DEV_OP_BIT(DEV_OP_GEMM))) != 0;
}

const dev_ext_t *dev_model_ext(const sim_model_t *m)
{
    for (size_t i = 0; i < dev_list_n; i++)
        if (dev_list[i] == m)
            return m->ext;
    return NULL;
}


void dev_register_all(void)
{
    /* one dev_list_add(&dev_<name>_model); per device: the request kinds it
     * serves are its record's desc.ops (check_dev_common holds every model's
     * cost query to them) */
    dev_list_add(&dev_sram_model);
    dev_list_add(&dev_dram_model);
    dev_list_add(&dev_vector_model);
    dev_list_add(&dev_dac_model);
    dev_list_add(&dev_adc_model);
    dev_list_add(&dev_laser_model);
    dev_list_add(&dev_photodetector_model);
    dev_list_add(&dev_mzi_mesh_model);
    dev_list_add(&dev_mrr_bank_model);
    dev_list_add(&dev_rns_photonic_model);
    dev_list_add(&dev_systolic_model);
    dev_list_add(&dev_rram_xbar_model);
    dev_list_add(&dev_pcm_xbar_model);
    dev_list_add(&dev_wire_model);
    dev_list_add(&dev_ptc_model);
}
