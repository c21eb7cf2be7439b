/* placeholder until the subcommand lands: says so and fails */
#include "cli/cli.h"
#include <stdio.h>
int cmd_workload(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "prism: '%s' is not built yet\n", argv[0]);
    return 2;
}
