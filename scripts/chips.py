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
# - an on-chip network joining them: a 4x4 mesh of BookSim2-style routers
#   (noc/, docs/noc.md) on the core clock, 32-byte flits (the width of the
#   links it replaces), 2.5 mm links (a ~100 mm^2 die, 4 tiles a side).
#   Units sit at nodes (node = y * 4 + x):
#     nodes 0-7   (rows y = 0, 1): the crossbar tiles, 8 per node (xb0..xb7 at 0, ...)
#     nodes 8-11  (row y = 2):     the photonic cores, 4 per node (ph0..ph3 at 8, ...)
#     node 12: sa0, sa1, vec0     node 13: sa2, sa3, vec1
#     node 14: gbuf               node 15: hbm
#   Every transfer between units (weights from hbm to a tile, activations
#   between tiers) is a message from its source's node to its destination's;
#   the routers charge its energy. The driver reaches each node's terminal
#   (drv.n_t<i> -> n_t<i>.in) and hears deliveries (n_t<i>.out -> drv.done).
# Map a model onto it and run the schedule:
#   prism map --chip configs/hybrid.yaml --workload gpt2 --seq 128 -o schedule.json
#   prism run configs/hybrid.yaml --schedule schedule.json --trace t.db
""",
    "all-digital": "# Homogeneous baseline: the digital tier only ({sa} systolic arrays), same area as\n# configs/hybrid.yaml (prism map area). Map with prism map --chip configs/all-digital.yaml.\n",
    "all-rram": "# Homogeneous baseline: RRAM crossbar tiles only ({xb} tiles) plus the vector units,\n# buffer and DRAM every chip has; same area as configs/hybrid.yaml (prism map area).\n",
    "all-photonic": "# Homogeneous baseline: photonic MZI cores only ({ph} cores) plus the vector units,\n# buffer and DRAM every chip has; same area as configs/hybrid.yaml (prism map area).\n",
}

def network(xb, ph, sa, vec):
    """The hybrid chip's 4x4 mesh: crossbar tiles on nodes 0-7, photonic
    cores on 8-11, the digital tier on 12-13, gbuf on 14, hbm on 15."""
    def spread(prefix, count, nodes):
        per = -(-count // len(nodes)) if count else 0
        return {nd: ["%s%d" % (prefix, i) for i in range(k * per, min(count, (k + 1) * per))]
                for k, nd in enumerate(nodes)}
    at = {nd: [] for nd in range(16)}
    for part in (spread("xb", xb, range(0, 8)), spread("ph", ph, range(8, 12)),
                 spread("sa", sa, range(12, 14)), spread("vec", vec, range(12, 14))):
        for nd, names in part.items():
            at[nd] += names
    at[14].append("gbuf")
    at[15].append("hbm")
    out = ["network:\n  topology: mesh\n  k: 4\n  n: 2\n  clock: core\n  prefix: n_\n"
           "  flit_bytes: 32\n  link_mm: 2.5\n"]
    for nd in range(16):
        names = at[nd]
        if not names:
            continue
        # runs of one tier read as ranges (xb0..xb7)
        pre = names[0].rstrip("0123456789")
        if len(names) > 2 and all(n.rstrip("0123456789") == pre for n in names):
            text = "%s..%s" % (names[0], names[-1])
        else:
            text = ", ".join(names)
        out.append("  attach.%d: %s\n" % (nd, text))
    links = []
    for nd in range(16):
        links.append("  - {from: drv.n_t%d, to: n_t%d.in, latency: 2ns, bandwidth: 32GB/s}\n" % (nd, nd))
        links.append("  - {from: n_t%d.out, to: drv.done, latency: 2ns, bandwidth: 32GB/s}\n" % nd)
    return "".join(out), "".join(links)

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
    net, net_links = network(xb, ph, sa, vec) if name == "hybrid" else ("", "")
    for t, present in tiers:
        if present and not net:  # the hybrid chip's transfers ride its network
            out.append("  x_%s: {model: wire, clock: core, width_bytes: 32, length_mm: 5}\n" % t)
            units.append(("x_%s" % t, False))
    out.append(net)
    out.append("links:\n")
    for port, pho in units:
        lat = "400ps" if pho else "2ns"
        out.append("  - {from: drv.%s, to: %s.in, latency: %s, bandwidth: 32GB/s}\n" % (port, port, lat))
        out.append("  - {from: %s.out, to: drv.done, latency: %s, bandwidth: 32GB/s}\n" % (port, lat))
    out.append(net_links)
    with open("configs/%s.yaml" % name, "w") as f:
        f.write("".join(out))

import sys
counts = {"hybrid": (64, 16, 4), "all-digital": (0, 0, 8), "all-rram": (96, 0, 0), "all-photonic": (0, 16, 0)}
if len(sys.argv) == 5:  # override: name xb ph sa
    counts[sys.argv[1]] = tuple(int(a) for a in sys.argv[2:5])
for name, (xb, ph, sa) in counts.items():
    chip(name, xb, ph, sa)
