/* libFuzzer harness: the YAML config loader (sim/config.c and its include,
 * merge-key and --set layer) on arbitrary text. Any crash, hang or sanitizer
 * report is a bug; a clean error is the expected outcome. `make fuzz`. */
#include "devices/dev.h"
#include "noc/noc.h"
#include "sim/sim.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int registered;
    if (!registered) {
        sim_register_builtin_models();
        dev_register_all();
        noc_register_all();
        registered = 1;
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    sim_t *s = NULL;
    char err[1024];
    if (sim_config_load_string(text, "fuzz.yaml", NULL, &s, err, sizeof err) == 0)
        sim_destroy(s);
    free(text);
    return 0;
}
