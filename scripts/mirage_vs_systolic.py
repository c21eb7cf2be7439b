#!/usr/bin/env python3
"""Mirage vs a systolic array, simulated with prism's device models.

For each workload, the GEMMs of one training step (forward; input gradient
dX = dY W^T; weight gradient dW = X^T dY, each with the forward GEMM's MACs)
are issued in order by an op_driver to (a) one rns_photonic core (defaults:
moduli 31,32,33, 64x16 MMUs per modulus, 5 GHz) and (b) one systolic array
(SCALE-Sim v2 timing, 1 GHz, 8-bit words, 0.23 pJ/MAC, or FP32 MACs), each as
a `prism run` with a trace. Scenarios:
  iso-area:  the systolic array has rows = cols = S such that its whole area
             (S^2 PEs + its three operand SRAM buffers, `prism chip area`)
             matches the photonic core's whole area (MMUs, their drivers,
             DACs, ADCs, photodetectors, lasers and the forward-conversion /
             CRT / accumulation logic, `prism chip area`). The PE is TPU v1's
             8-bit MAC (1212 um^2, Jouppi et al., ISCA 2017) x word_bytes^2,
             so an FP32 array gets fewer PEs on the same area.
  iso-power: S (a power of two, 8..1024) whose average power over the step
             is closest to the photonic core's (our reading of the paper's
             iso-energy: the same energy per unit time).
Energy: the systolic array pays its MACs (int8 0.23 pJ, FP32 4.6 pJ) and its
operand SRAM reads/writes; the photonic core pays converters, MMU drive,
photodetectors, lasers, the digital conversions and its weight-residue
loads, and no operand SRAM (both run from an op_driver). The column "energy
ratio, sys MACs only" leaves the systolic SRAM energy out, so both sides
count compute only.
Usage: scripts/mirage_vs_systolic.py [PRISM] [OUTDIR] [RNS_SET]
RNS_SET: rns_photonic parameters for a what-if, e.g. mmu_fj_per_symbol=45,mmu_loss_db=0.1
Prints a markdown table; traces land in OUTDIR (default /tmp/mirage_vs_systolic).
"""
import json
import math
import os
import subprocess
import sys

PRISM = sys.argv[1] if len(sys.argv) > 1 else "./prism"
OUT = sys.argv[2] if len(sys.argv) > 2 else "/tmp/mirage_vs_systolic"
RNS_SET = dict(kv.split("=", 1) for kv in sys.argv[3].split(",")) if len(sys.argv) > 3 else {}
os.makedirs(OUT, exist_ok=True)


def forward_gemms(workload):
    """(m, k, n, count) of every GEMM-like forward op."""
    if workload == "mlp":  # the digits MLP 64-128-10, batch 32
        return [(32, 64, 128, 1), (32, 128, 10, 1)]
    if workload == "resnet18":
        args = ["resnet18", "--batch", "1"]
    elif workload == "gpt2-block":
        args = ["gpt2:layers=1", "--seq", "128"]
    else:
        raise SystemExit("unknown workload " + workload)
    info = json.loads(subprocess.check_output([PRISM, "workload", "info", *args, "--json"]))
    out = []
    for op in info["ops"]:
        if op.get("macs", 0) <= 0 or op.get("zero_cost"):
            continue
        if workload == "gpt2-block" and op["name"] == "lm_head":
            continue  # one transformer block, no vocabulary projection
        out.append((op["m"], op["k"], op["n"], op.get("count", 1)))
    return out


def training_step(fwd):
    reqs = []
    for i, (m, k, n, c) in enumerate(fwd):
        reqs.append((m, k, n, c))          # Y = X W
        if i > 0:
            reqs.append((m, n, k, c))      # dX = dY W^T (not for the first layer)
        reqs.append((k, m, n, c))          # dW = X^T dY
    return reqs


def write_cfg(name, model, params, clock, reqs):
    r = "; ".join("op=gemm m=%d k=%d n=%d%s" % (m, k, n, " count=%d" % c if c > 1 else "")
                  for m, k, n, c in reqs)
    p = ", ".join("%s: %s" % kv for kv in params.items())
    cfg = os.path.join(OUT, name + ".yaml")
    with open(cfg, "w") as f:
        f.write("name: %s\nseed: 1\nclocks:\n  core: %s\ncomponents:\n" % (name, clock))
        f.write("  core: {model: %s, clock: core%s}\n" % (model, (", " + p) if p else ""))
        f.write('  drv: {model: op_driver, requests: "%s"}\n' % r)
        f.write("links:\n  - {from: drv.out, to: core.in, latency: 2ns, bandwidth: 32GB/s}\n"
                "  - {from: core.out, to: drv.in, latency: 2ns, bandwidth: 32GB/s}\n")
    return cfg


def area(cfg):
    """(total mm^2, parts) of the core of cfg, from `prism chip area`."""
    out = json.loads(subprocess.check_output([PRISM, "chip", "area", cfg, "--json"]))
    for c in out["components"]:
        if c["name"] == "core":
            return c["area_mm2"], c["parts_mm2"]
    raise SystemExit("%s: no core in the area table" % cfg)


def run(name, model, params, clock, reqs):
    cfg = write_cfg(name, model, params, clock, reqs)
    db = os.path.join(OUT, name + ".db")
    res = json.loads(subprocess.check_output(
        [PRISM, "run", cfg, "--trace", db, "--force", "--json"]))
    if res["status"] != "complete":
        raise SystemExit("%s: %s" % (cfg, res.get("message")))
    t = res["end_time_ps"] * 1e-12
    e = res["energy_pj"] * 1e-12
    rep = json.loads(subprocess.check_output([PRISM, "report", db, "--json"]))
    cats = [c for c in rep["components"] if c["name"] == "core"][0]["energy_pj_by_category"]
    e_sram = cats.get("sram", 0.0) * 1e-12  # the systolic array's operand SRAM
    return {"cfg": cfg, "t": t, "e": e, "p": e / t, "edp": e * t, "e_compute": e - e_sram}


def systolic_params(S, fp32):
    # FP32: 4-byte words; the array prices them as FP32 MACs (Horowitz ISSCC 2014,
    # 45 nm: mult 3.7 + add 0.9 pJ, fp32_mac_pj) and its PEs grow as word_bytes^2
    params = {"rows": S, "cols": S}
    if fp32:
        params["word_bytes"] = 4
    return params


def systolic(name, S, fp32, reqs):
    return run(name, "systolic", systolic_params(S, fp32), "1GHz", reqs)


def iso_area_side(target_mm2, fp32):
    """S whose systolic array (S^2 PEs + operand buffers) is closest to target_mm2."""
    a1, _ = area(write_cfg("area-sys-1", "systolic", systolic_params(1, fp32), "1GHz", [(1, 1, 1, 1)]))
    a2, _ = area(write_cfg("area-sys-2", "systolic", systolic_params(2, fp32), "1GHz", [(1, 1, 1, 1)]))
    pe = (a2 - a1) / 3.0  # mm^2 per PE; a1 = one PE + the buffers
    buffers = a1 - pe
    S = max(1, int(round(math.sqrt(max(target_mm2 - buffers, pe) / pe))))
    aS, parts = area(write_cfg("area-sys-%d" % S, "systolic", systolic_params(S, fp32), "1GHz",
                               [(1, 1, 1, 1)]))
    return S, aS, parts


def main():
    rns_params = dict(RNS_SET)
    if rns_params:
        print("rns_photonic with %s (a what-if, not the defaults)" % ", ".join(
            "%s=%s" % kv for kv in rns_params.items()))
    a_rns, parts = area(write_cfg("area-rns", "rns_photonic", rns_params, "5GHz", [(1, 1, 1, 1)]))
    print("photonic core %.2f mm^2 (%s)" % (a_rns, ", ".join(
        "%s %.3g" % kv for kv in sorted(parts.items(), key=lambda kv: -kv[1]))))
    side = {}
    for fp32 in (False, True):
        S, aS, sparts = iso_area_side(a_rns, fp32)
        side[fp32] = S
        print("iso-area systolic, %s MACs: %dx%d, %.2f mm^2 (%s)" % (
            "fp32" if fp32 else "int8", S, S, aS,
            ", ".join("%s %.3g" % kv for kv in sorted(sparts.items(), key=lambda kv: -kv[1]))))
    print()
    print("| workload | systolic MACs | scenario | systolic | time ms (sys / rns) | energy mJ (sys / rns)"
          " | power W (sys / rns) | speedup | energy ratio | energy ratio, sys MACs only"
          " | EDP ratio | power ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for wl in ("mlp", "resnet18", "gpt2-block"):
        reqs = training_step(forward_gemms(wl))
        rns = run("%s-rns" % wl, "rns_photonic", rns_params, "5GHz", reqs)
        for fp32 in (False, True):
            kind = "fp32" if fp32 else "int8"
            s_area = side[fp32]
            # iso-power: of the square arrays 8x8 .. 1024x1024 (powers of two), the
            # one whose average power over the step is closest to the photonic core's
            best = None
            for S in (8, 16, 32, 64, 128, 256, 512, 1024):
                r = systolic("%s-sys-%s-S%d" % (wl, kind, S), S, fp32, reqs)
                if best is None or abs(math.log(r["p"] / rns["p"])) < abs(math.log(best[1]["p"] / rns["p"])):
                    best = (S, r)
            scen = [("iso-area", s_area, systolic("%s-sys-%s-S%d" % (wl, kind, s_area), s_area, fp32, reqs)),
                    ("iso-power", best[0], best[1])]
            for label, S, sys_r in scen:
                print("| %s | %s | %s | %dx%d | %.4g / %.4g | %.4g / %.4g | %.3g / %.3g | %.3gx | %.3gx | %.3gx | %.3gx | %.3gx |" % (
                    wl, kind, label, S, S, sys_r["t"] * 1e3, rns["t"] * 1e3, sys_r["e"] * 1e3,
                    rns["e"] * 1e3, sys_r["p"], rns["p"], sys_r["t"] / rns["t"],
                    sys_r["e"] / rns["e"], sys_r["e_compute"] / rns["e"],
                    sys_r["edp"] / rns["edp"], sys_r["p"] / rns["p"]))
    print()
    print("ratios are systolic / rns_photonic: > 1 means the photonic core is faster, uses less "
          "energy, has lower EDP or draws less power. Configs and traces: %s" % OUT)


main()
