#!/usr/bin/env python3
"""Writes the heterogeneous chip configs/hybrid.yaml and its homogeneous
baselines configs/all-digital.yaml, all-rram.yaml, all-photonic.yaml.
Unit counts of the baselines come from `prism map area` (area per unit from
the device parameters; see configs/README.md). Run from the repo root:
    python3 scripts/chips.py"""

HEADER = {
    "hybrid": """# The default heterogeneous chip (H3PIMAP-style tiers, REFERENCE.md section 1):
# - xbar tier: {xb} RRAM crossbar tiles (rram_xbar, 256x256 arrays, tiling on:
#   one tile holds one static weight slice, programmed once);
# - photonic tier: {ph} MZI cores (mzi_mesh, 12x12 as Lightening-Transformer's cores, MEMS shifters, with their
#   DACs, modulators, laser, detectors and ADCs), 5 GHz;
# - digital tier: {sa} systolic arrays (32x32, weight stationary) and {vec} vector units;
# - global buffer (8 MiB SRAM) and 3D-stacked DRAM (HBM2);
# - wires x_digital, x_xbar, x_photonic carry transfers into each tier (until
#   the chip has a network).
# Map a model onto it and run the schedule:
#   prism map --chip configs/hybrid.yaml --workload gpt2 --seq 128 -o schedule.json
#   prism run configs/hybrid.yaml --schedule schedule.json --trace t.db
""",
    "all-digital": "# Homogeneous baseline: the digital tier only ({sa} systolic arrays), same area as\n# configs/hybrid.yaml (prism map area). Map with prism map --chip configs/all-digital.yaml.\n",
    "all-rram": "# Homogeneous baseline: RRAM crossbar tiles only ({xb} tiles) plus the vector units,\n# buffer and DRAM every chip has; same area as configs/hybrid.yaml (prism map area).\n",
    "all-photonic": "# Homogeneous baseline: photonic MZI cores only ({ph} cores) plus the vector units,\n# buffer and DRAM every chip has; same area as configs/hybrid.yaml (prism map area).\n",
}

def chip(name, xb, ph, sa, vec=2):
    out = [HEADER[name].format(xb=xb, ph=ph, sa=sa, vec=vec)]
    out.append("name: %s\nseed: 1\nclocks:\n  core: 1GHz\n  photonic: 5GHz\ncomponents:\n" % name)
    out.append("  drv: {model: schedule_driver}\n")
    units = []  # (port, component, photonic?)
    for i in range(xb):
        out.append("  xb%d: {model: rram_xbar, clock: core, rows: 256, cols: 256, tiling: true}\n" % i)
        units.append(("xb%d" % i, False))
    for i in range(ph):
        out.append("  ph%d: {model: mzi_mesh, clock: photonic, n: 12, shifter: mems, tiling: true}\n" % i)
        units.append(("ph%d" % i, True))
    for i in range(sa):
        out.append("  sa%d: {model: systolic, clock: core, rows: 32, cols: 32, dataflow: ws, mode: scalesim}\n" % i)
        units.append(("sa%d" % i, False))
    for i in range(vec):
        out.append("  vec%d: {model: vector, clock: core, lanes: 64, dtype: fp32}\n" % i)
        units.append(("vec%d" % i, False))
    out.append("  gbuf: {model: sram, clock: core, size_bytes: 8388608, banks: 16}\n")
    out.append("  hbm: {model: dram, clock: core, standard: hbm2}\n")
    units += [("gbuf", False), ("hbm", False)]
    tiers = [("digital", sa + vec > 0), ("xbar", xb > 0), ("photonic", ph > 0)]
    for t, present in tiers:
        if present:
            out.append("  x_%s: {model: wire, clock: core, width_bytes: 32, length_mm: 5}\n" % t)
            units.append(("x_%s" % t, False))
    out.append("links:\n")
    for port, pho in units:
        lat = "400ps" if pho else "2ns"
        out.append("  - {from: drv.%s, to: %s.in, latency: %s, bandwidth: 32GB/s}\n" % (port, port, lat))
        out.append("  - {from: %s.out, to: drv.done, latency: %s, bandwidth: 32GB/s}\n" % (port, lat))
    with open("configs/%s.yaml" % name, "w") as f:
        f.write("".join(out))

import sys
counts = {"hybrid": (64, 16, 4), "all-digital": (0, 0, 8), "all-rram": (96, 0, 0), "all-photonic": (0, 16, 0)}
if len(sys.argv) == 5:  # override: name xb ph sa
    counts[sys.argv[1]] = tuple(int(a) for a in sys.argv[2:5])
for name, (xb, ph, sa) in counts.items():
    chip(name, xb, ph, sa)
