/* libFuzzer harness: the schedule reader (mapper/schedule_read.c) and the
 * checks of attaching it (map_capacity_check, map_attach: units' request
 * kinds, the network, forwarding) on arbitrary text, against a chip with a
 * systolic array, a crossbar, a vector unit, memories, a wire and a 2x2
 * mesh, so every kind of entry has a unit it can name. Any crash, hang or
 * sanitizer report is a bug; a clean error is the expected outcome.
 * `make fuzz`; seeds: the JSON files of tests/fixtures/schedule (written for this
 * chip) and a GPT-2 schedule mapped on configs/chip.yaml. */
#include "devices/dev.h"
#include "mapper/map.h"
#include "noc/noc.h"
#include "sim/sim.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *CHIP =
    "clocks: {core: 1GHz}\n"
    "components:\n"
    "  drv: {model: schedule_driver}\n"
    "  gemm: {model: systolic, clock: core}\n"
    "  xb: {model: rram_xbar, clock: core, rows: 128, cols: 128}\n"
    "  vector: {model: vector, clock: core}\n"
    "  sram: {model: sram, clock: core}\n"
    "  dram: {model: dram, clock: core}\n"
    "  x_digital: {model: wire, clock: core, width_bytes: 16, length_mm: 2, latency_cycles: 3}\n"
    "network: {topology: mesh, k: 2, clock: core, prefix: n_, attach.0: sram, attach.3: vector}\n"
    "links:\n"
    "  - {from: drv.gemm, to: gemm.in, latency: 1ns}\n"
    "  - {from: drv.xb, to: xb.in, latency: 1ns}\n"
    "  - {from: drv.vector, to: vector.in, latency: 1ns}\n"
    "  - {from: drv.sram, to: sram.in, latency: 1ns}\n"
    "  - {from: drv.dram, to: dram.in, latency: 1ns}\n"
    "  - {from: drv.x_digital, to: x_digital.in, latency: 1ns}\n"
    "  - {from: gemm.out, to: drv.done, latency: 1ns}\n"
    "  - {from: xb.out, to: drv.done, latency: 1ns}\n"
    "  - {from: vector.out, to: drv.done, latency: 1ns}\n"
    "  - {from: sram.out, to: drv.done, latency: 1ns}\n"
    "  - {from: dram.out, to: drv.done, latency: 1ns}\n"
    "  - {from: x_digital.out, to: drv.done, latency: 1ns}\n"
    "  - {from: drv.n_t0, to: n_t0.in, latency: 1ns}\n"
    "  - {from: drv.n_t3, to: n_t3.in, latency: 1ns}\n"
    "  - {from: n_t0.out, to: drv.done, latency: 1ns}\n"
    "  - {from: n_t3.out, to: drv.done, latency: 1ns}\n"
    "  - {from: sram.net, to: n_t0.in, latency: 1ns}\n"
    "  - {from: n_t3.vector, to: vector.in, latency: 1ns}\n"
    "  - {from: sram.vector, to: vector.in, latency: 1ns}\n";

static sim_t *load_chip(void)
{
    sim_t *s = NULL;
    char err[1024];
    if (sim_config_load_string(CHIP, "chip.yaml", NULL, &s, err, sizeof err) != 0)
        abort(); /* the chip itself must load: a harness bug */
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static map_units_t units;
    static int ready;
    if (!ready) {
        sim_register_builtin_models();
        dev_register_all();
        noc_register_all();
        map_register_all();
        sim_t *s = load_chip();
        const char *driver = NULL;
        char err[256];
        if (map_find_driver(s, &driver, err, sizeof err) ||
            map_units_from_driver(s, driver, &units, err, sizeof err))
            abort();
        sim_destroy(s);
        ready = 1;
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* the reader on its own (fast); only a schedule it accepts goes on to
     * the checks of attaching it to a freshly built chip */
    map_schedule_t *sched = NULL;
    char err[1024];
    if (map_schedule_parse_json(text, "fuzz.json", &units, &sched, err, sizeof err) == 0) {
        map_schedule_free(sched);
        sim_t *s = load_chip();
        map_schedule_attach_text(s, text, "fuzz.json", err, sizeof err);
        sim_destroy(s);
    }
    free(text);
    return 0;
}
