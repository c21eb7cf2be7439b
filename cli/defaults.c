/* Defaults that follow the chip: the workload's dtype is the word size the
 * chip computes in, unless the user gives --dtype. */
#include "cli/defaults.h"
#include "cli/out.h"
#include "mapper/map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_workload_opt(const char *cmd, int opt, const char *arg, wl_gen_opts_t *w, int *dtype_given)
{
    if (opt == 'P') {
        if (!strcmp(arg, "prefill"))
            w->phase = WL_PHASE_PREFILL;
        else if (!strcmp(arg, "decode"))
            w->phase = WL_PHASE_DECODE;
        else
            return cli_usage_error(cmd, "--phase '%s' is not prefill or decode", arg);
        return 0;
    }
    if (opt == 'D') {
        if (wl_dtype_parse(arg, &w->dtype) || wl_dtype_size(w->dtype) == 0)
            return cli_usage_error(cmd, "--dtype '%s' is not one of %s", arg, cli_dtype_list());
        *dtype_given = 1;
        return 0;
    }
    char *end;
    long v = strtol(arg, &end, 10);
    const char *name = opt == 'S' ? "seq" : opt == 'B' ? "batch" : "kv-len";
    if (*end || !*arg || v < (opt == 'K' ? 0 : 1) || v > 1000000)
        return cli_usage_error(cmd, "--%s '%s' is not a valid count", name, arg);
    *(opt == 'S' ? &w->seq : opt == 'B' ? &w->batch : &w->kv_len) = (int)v;
    return 0;
}
