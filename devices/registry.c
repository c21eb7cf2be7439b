/* The list of device models. Adding a device is one new file under devices/
 * and one line here: its table and the request kinds its handler serves (the
 * mask its dev_take_req is given; check_dev_common holds every model's cost
 * query to it), so a schedule is checked against it when it is loaded. */
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

/* The device list for `prism op --list`: every model registered below that
 * carries a dev_ext_t, sorted by name. */
#define DEV_LIST_MAX 64
static const sim_model_t *dev_list[DEV_LIST_MAX];
static unsigned dev_list_ops[DEV_LIST_MAX];
static size_t dev_list_n;

static int dev_list_add(const sim_model_t *m, unsigned ops)
{
    int rc = sim_model_register(m);
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

const dev_ext_t *dev_model_ext(const sim_model_t *m)
{
    for (size_t i = 0; i < dev_list_n; i++)
        if (dev_list[i] == m)
            return m->ext;
    return NULL;
}

#define MEM_OPS (DEV_OP_BIT(DEV_OP_READ) | DEV_OP_BIT(DEV_OP_WRITE))
#define CONV_OPS DEV_OP_BIT(DEV_OP_CONVERT)

void dev_register_all(void)
{
    /* one dev_list_add(&dev_<name>_model, <request kinds it serves>); per device */
    dev_list_add(&dev_sram_model, MEM_OPS);
    dev_list_add(&dev_dram_model, MEM_OPS);
    dev_list_add(&dev_vector_model, DEV_OP_BIT(DEV_OP_VECTOR));
    dev_list_add(&dev_dac_model, CONV_OPS);
    dev_list_add(&dev_adc_model, CONV_OPS);
    dev_list_add(&dev_laser_model, CONV_OPS);
    dev_list_add(&dev_photodetector_model, CONV_OPS);
    dev_list_add(&dev_mzi_mesh_model, DEV_PIO_OPS);
    dev_list_add(&dev_mrr_bank_model, DEV_PIO_OPS);
    dev_list_add(&dev_rns_photonic_model, DEV_PIO_OPS);
    dev_list_add(&dev_systolic_model, DEV_OP_BIT(DEV_OP_GEMM));
    dev_list_add(&dev_rram_xbar_model, DEV_PIO_OPS);
    dev_list_add(&dev_pcm_xbar_model, DEV_PIO_OPS);
    dev_list_add(&dev_wire_model, DEV_OP_BIT(DEV_OP_TRANSFER));
}
