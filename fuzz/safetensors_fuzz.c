/* libFuzzer harness: the safetensors reader (header length, JSON header,
 * dtypes, shapes and offsets) on arbitrary bytes; every tensor it accepts is
 * read back as float32. `make fuzz`. */
#include "workloads/wl_forward.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wl_st_t *st = NULL;
    char err[1024];
    if (wl_st_open_mem(data, size, "fuzz.safetensors", &st, err, sizeof err) != 0)
        return 0;
    for (int i = 0; i < wl_st_count(st); i++) {
        const wl_st_tensor_t *t = wl_st_tensor_at(st, i);
        size_t n = 0;
        float *v = t ? wl_st_load_f32(st, t->name, &n) : NULL;
        free(v);
    }
    wl_st_close(st);
    return 0;
}
