/* `prism map --chip ... --workload ...`: the two-stage mapping (placeholder
 * until the search lands). */
#include "cli/cli.h"

#include <stdio.h>

int cmd_map_search(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "prism map: the two-stage mapping is not built yet\n");
    return 2;
}
