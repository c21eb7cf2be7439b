/* libFuzzer harness: the ONNX importer (protobuf decode, shape inference,
 * constant folding) on arbitrary bytes, written to a file because the
 * importer takes a path (external data is resolved next to it). `make fuzz`. */
#include "workloads/wl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/prism-fuzz-%d.onnx", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    wl_graph_t *g = NULL;
    char err[1024];
    if (wl_onnx_import(path, NULL, &g, err, sizeof err) == 0)
        wl_graph_destroy(g);
    return 0;
}
