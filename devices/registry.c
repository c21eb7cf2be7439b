/* The list of device models. Adding a device is one new file under devices/
 * and one line here. */
#include "devices/dev.h"

/* one extern per device model (each devices/<name>.c defines its table) */

void dev_register_all(void)
{
    /* one sim_model_register(&dev_<name>_model); per device */
}
