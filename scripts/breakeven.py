#!/usr/bin/env python3
"""Break-even study: where does the hybrid chip's two-stage mapping overtake
the area-matched all-digital chip?

One device figure of configs/hybrid.yaml is moved at a time, everything else
at its default:
  xbar   the crossbar's energy per MAC, through the ADC energy per conversion
         (rram_xbar adc_ref_pj; the ADC is 36 % of a 256x256 read at the
         default 1.7 pJ);
  ptc    the photonic core's energy per MAC, through the DAC power at its
         reference rate (ptc dac_ref_power_mw; the DACs are 55 % of a
         128x768x768 GEMM at the default 50 mW);
  bits   bits_per_cell of the crossbar cells (1..4: fewer cells per weight,
         so a smaller crossbar unit and a smaller die).
For every point the script writes the variant chip, re-matches the
all-digital chip to the variant's die area (`prism chip match`), prices one
device operation with `prism op` (the figure on the x axis: energy per MAC
without programming, and the unit's area), and maps GPT-2 small (prefill of
128 tokens, crossbar weights resident, kl <= 0.01 on the bundled tiny-gpt2
profile) on both chips with `prism map --json`, once with the latency
objective (the latency column) and once with the energy objective (the
energy column). The figures are the mapper's estimates (the same figures
`prism map compare` tabulates).

Usage: scripts/breakeven.py [PRISM] [OUTDIR] [--dtype i8|f32] [--png FILE]
       [--sweep xbar,ptc,bits] [--parse-only CSV]
(--parse-only: print the table and draw the plot from a CSV it wrote before.)
Prints a markdown table; the CSV and the gnuplot PNG (default
docs/img/breakeven-gpt2-i8.png) are written; configs land in OUTDIR.
"""
import csv
import json
import os
import re
import subprocess
import sys

HYBRID = "configs/hybrid.yaml"
SWEEPS = {
    # name: (model, parameter, values, default)
    "xbar": ("rram_xbar", "adc_ref_pj", [0.0, 1.7, 5.0, 17.0, 50.0], 1.7),
    "ptc": ("ptc", "dac_ref_power_mw", [5.0, 50.0, 150.0, 500.0], 50.0),
    "bits": ("rram_xbar", "bits_per_cell", [1, 2, 4], 1),
}
OP = {  # the operation that gives a device's energy per MAC
    "rram_xbar": ["--set", "rows=256,cols=256", "--mvm", "256x256"],
    "ptc": ["--gemm", "128x768x768"],
}
FIELDS = ["sweep", "model", "param", "value", "pj_per_mac", "hybrid_mm2", "digital_units",
          "hyb_lat_ms", "dig_lat_ms", "hyb_en_mj", "dig_en_mj", "lat_ratio", "en_ratio",
          "mac_share_lat", "mac_share_en"]


def die(msg):
    print("breakeven: " + msg, file=sys.stderr)
    sys.exit(2)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):  # prism map exits 1 when the target is not met
        die("%s failed (%d): %s" % (" ".join(cmd), r.returncode,
                                                     r.stderr.strip()))
    return r.stdout


def variant(model, param, value, default, path):
    """hybrid.yaml with `param: value` on every component line of `model` (as it
    is when value is the default, so that the default point is mapped once)."""
    pat = re.compile(r"^(\s+\w+: \{model: %s,.*)\}\s*$" % re.escape(model))
    n = 0
    with open(HYBRID) as f, open(path, "w") as o:
        for line in f:
            m = pat.match(line)
            if m and value != default:
                line = "%s, %s: %s}\n" % (m.group(1), param, value)
                n += 1
            o.write(line)
    if not n and value != default:
        die("no %s component in %s" % (model, HYBRID))


def pj_per_mac(prism, model, param, value):
    sets = "%s=%s" % (param, value)
    args = list(OP[model])
    if "--set" in args:
        args[args.index("--set") + 1] += "," + sets
    else:
        args = ["--set", sets] + args
    d = json.loads(run([prism, "op", "--device", model] + args + ["--json"]))
    e = d["energy_pj"] - d["energy_breakdown_pj"].get("energy.program", 0.0)
    return e / d["work"]


def chip_area(prism, cfg):
    d = json.loads(run([prism, "chip", "area", cfg, "--json"]))
    if "die_mm2" not in d:
        die("no die_mm2 in prism chip area --json of %s" % cfg)
    return d["die_mm2"]


def count_units(cfg, model):
    with open(cfg) as f:
        return sum(1 for line in f if re.match(r"^\s+\w+: \{model: %s," % model, line))


def map_chip(prism, cfg, objective, dtype, cache):
    with open(cfg) as f:  # the name and comment lines differ between copies of one chip
        text = "".join(line for line in f if not line.startswith(("name:", "#")))
    key = (text, objective, dtype)
    if key in cache:
        return cache[key]
    out = run([prism, "map", "--chip", cfg, "--workload", "gpt2", "--seq", "128",
               "--quality", "kl=0.01", "--resident-weights", "--objective", objective,
               "--dtype", dtype, "--json"])
    c = json.loads(out)["chosen"]
    sh = c["mac_share_pct"]
    res = (c["latency_ms"], c["energy_mj"],
           "%.0f/%.0f/%.0f" % (sh["digital"], sh["xbar"], sh["photonic"]))
    cache[key] = res
    return res


def point(prism, outdir, sweep, value, dtype, cache):
    model, param, _, default = SWEEPS[sweep]
    hyb = os.path.join(outdir, "hybrid-%s-%s.yaml" % (sweep, value))
    dig = os.path.join(outdir, "digital-%s-%s.yaml" % (sweep, value))
    variant(model, param, value, default, hyb)
    run([prism, "chip", "match", hyb, "--tier", "digital", "-o", dig])
    hl, _, shl = map_chip(prism, hyb, "latency", dtype, cache)
    _, he, she = map_chip(prism, hyb, "energy", dtype, cache)
    dl, _, _ = map_chip(prism, dig, "latency", dtype, cache)
    _, de, _ = map_chip(prism, dig, "energy", dtype, cache)
    return {"sweep": sweep, "model": model, "param": param, "value": value,
            "pj_per_mac": pj_per_mac(prism, model, param, value),
            "hybrid_mm2": chip_area(prism, hyb), "digital_units": count_units(dig, "systolic"),
            "hyb_lat_ms": hl, "dig_lat_ms": dl, "hyb_en_mj": he, "dig_en_mj": de,
            "lat_ratio": dl / hl, "en_ratio": de / he, "mac_share_lat": shl,
            "mac_share_en": she}


def read_csv(path):
    rows = []
    try:
        f = open(path)
    except OSError as e:
        die("%s: cannot read: %s" % (path, e.strerror))
    with f:
        for r in csv.DictReader(f):
            for k in FIELDS:
                if k not in r:
                    die("%s: column '%s' missing" % (path, k))
            for k in ("value", "pj_per_mac", "hybrid_mm2", "hyb_lat_ms", "dig_lat_ms",
                      "hyb_en_mj", "dig_en_mj", "lat_ratio", "en_ratio"):
                try:
                    r[k] = float(r[k])
                except ValueError:
                    die("%s: %s '%s' is not a number" % (path, k, r[k]))
            rows.append(r)
    return rows


def crossing(rows, sweep, key):
    """Linear interpolation of the device figure where ratio `key` crosses 1."""
    pts = sorted((r["pj_per_mac"] if sweep != "bits" else r["value"], r[key])
                 for r in rows if r["sweep"] == sweep)
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if (y0 - 1) * (y1 - 1) < 0:
            return x0 + (1 - y0) * (x1 - x0) / (y1 - y0)
    if pts and all(y > 1 for _, y in pts):
        return "hybrid ahead over the whole sweep"
    if pts and all(y <= 1 for _, y in pts):
        return "never (all-digital ahead over the whole sweep)"
    return "-"


def table(rows, dtype):
    print("GPT-2 small prefill 128, resident crossbar weights, kl <= 0.01, dtype %s; "
          "ratios all-digital / hybrid (> 1: the hybrid is ahead)" % dtype)
    print()
    print("| sweep | parameter = value | pJ/MAC | hybrid mm2 | digital arrays | latency ms "
          "(hybrid / digital) | energy mJ (hybrid / digital) | latency ratio | energy ratio "
          "| MAC share d/x/p % (lat / en) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| %s | %s = %g | %.3g | %.1f | %s | %.3f / %.3f | %.2f / %.2f | %.2fx | %.2fx "
              "| %s / %s |" % (r["sweep"], r["param"], r["value"], r["pj_per_mac"],
                               r["hybrid_mm2"], r["digital_units"], r["hyb_lat_ms"],
                               r["dig_lat_ms"], r["hyb_en_mj"], r["dig_en_mj"], r["lat_ratio"],
                               r["en_ratio"], r["mac_share_lat"], r["mac_share_en"]))
    print()
    for s in sorted({r["sweep"] for r in rows}):
        unit = "bits per cell" if s == "bits" else "pJ/MAC"
        for key, what in (("lat_ratio", "latency"), ("en_ratio", "energy")):
            c = crossing(rows, s, key)
            print("break-even %s, %s: %s" % (s, what, ("%.3g %s" % (c, unit))
                                             if isinstance(c, float) else c))


def plot(rows, csvpath, png, dtype):
    sweeps = [s for s in SWEEPS if any(r["sweep"] == s for r in rows)]
    titles = {"xbar": "crossbar pJ/MAC (rram\\_xbar adc\\_ref\\_pj)",
              "ptc": "photonic pJ/MAC (ptc dac\\_ref\\_power\\_mw)",
              "bits": "crossbar bits\\_per\\_cell"}
    g = ["set terminal pngcairo size %d,420 font ',10'" % (380 * len(sweeps)),
         "set output '%s'" % png, "set datafile separator ','",
         "set multiplot layout 1,%d title 'GPT-2 prefill 128 (%s): all-digital / hybrid two-stage "
         "(> 1: hybrid ahead)'" % (len(sweeps), dtype),
         "set key top left", "set grid", "set yrange [0:*]", "set ylabel 'ratio'"]
    cols = {k: FIELDS.index(k) + 1 for k in FIELDS}
    for s in sweeps:
        x = cols["value"] if s == "bits" else cols["pj_per_mac"]
        g += ["set xlabel '%s'" % titles[s],
              ("set logscale x" if s != "bits" else "unset logscale x"),
              "plot '%s' using (strcol(1) eq '%s' ? $%d : NaN):%d skip 1 with linespoints title 'latency', "
              "'' using (strcol(1) eq '%s' ? $%d : NaN):%d skip 1 with linespoints title 'energy', "
              "1 with lines dt 2 lc rgb 'gray' notitle"
              % (csvpath, s, x, cols["lat_ratio"], s, x, cols["en_ratio"])]
    g.append("unset multiplot")
    r = subprocess.run(["gnuplot"], input="\n".join(g), text=True, capture_output=True)
    if r.returncode:
        die("gnuplot: %s" % r.stderr.strip())


def main(argv):
    args, opts, i = [], {"dtype": "i8", "png": "docs/img/breakeven-gpt2-i8.png",
                         "sweep": "xbar,ptc,bits", "parse-only": None}, 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--") and a[2:] in opts:
            if i + 1 >= len(argv):
                die("%s needs a value" % a)
            opts[a[2:]] = argv[i + 1]
            i += 2
        elif a.startswith("--"):
            die("unknown option %s (see the usage in the script)" % a)
        else:
            args.append(a)
            i += 1
    prism = args[0] if args else "./prism"
    outdir = args[1] if len(args) > 1 else "/tmp/breakeven"
    if opts["parse-only"]:  # the table and the plot again from a CSV of this script
        rows = read_csv(opts["parse-only"])
        table(rows, opts["dtype"])
        plot(rows, opts["parse-only"], opts["png"], opts["dtype"])
        return
    os.makedirs(outdir, exist_ok=True)
    cache, rows = {}, []
    for s in opts["sweep"].split(","):
        if s not in SWEEPS:
            die("--sweep '%s' is not one of %s" % (s, ",".join(SWEEPS)))
        for v in SWEEPS[s][2]:
            rows.append(point(prism, outdir, s, v, opts["dtype"], cache))
            print("breakeven: %s %s = %s done" % (s, SWEEPS[s][1], v), file=sys.stderr)
    csvpath = os.path.join(outdir, "breakeven-%s.csv" % opts["dtype"])
    with open(csvpath, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    table(rows, opts["dtype"])
    plot(rows, csvpath, opts["png"], opts["dtype"])
    print("\nCSV: %s; plot: %s" % (csvpath, opts["png"]))


if __name__ == "__main__":
    main(sys.argv[1:])
