#!/usr/bin/env python3
"""Scaling projection of a distributed PHOLD run from measured costs.

Reads the JSON lines bench/phold prints (one-rank runs and two-rank runs with
their synchronisation probes) on stdin and prints, for 2 (next to what was
measured), 64 and 1,024 ranks, the modelled time per window and speed-up.

The model (conservative windows of one lookahead, docs/engine.md):
  per window, on the slowest rank:
    compute  = t_ev * (E_w / P) * (1 + sqrt(2 ln P / (E_w / P)))
               (t_ev: one-rank CPU seconds per event, i.e. on a core of its
               own; the max of P Poisson loads)
    reduce   = a_red * ceil(log2 P)        (recursive doubling; --sync reduce)
    peers    = a_msg * (P - 1)             (one message to every other rank)
    events   = m * bytes_per_event * b     (m = remote * (1 - 1/P) * E_w / P
                                            events leave each rank)
  T(P) = windows * (compute + reduce + peers + events); speed-up T(1)/T(P).
a_red (a 3-word MPI_Allreduce), a_msg (one pairwise step of an all-to-all)
and b (seconds per byte of a 1000-event exchange) are the two-rank probes:
shared memory on this machine, inflated by the other jobs' load;
--alpha-us replaces a_red and a_msg (e.g. a network's latency).
"""
import argparse
import json
import math
import sys


def model(t_ev, e_w, windows, remote, P, a_red, a_a2a, b, ev_bytes):
    if P == 1:
        return windows * t_ev * e_w, 0.0
    lam = e_w / P
    compute = t_ev * lam * (1 + math.sqrt(2 * math.log(P) / lam))
    m = remote * (1 - 1 / P) * lam
    sync = a_red * math.ceil(math.log2(P)) + a_a2a * (P - 1) + m * ev_bytes * b
    return windows * (compute + sync), sync


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--alpha-us", type=float, default=None,
                    help="per-message latency in us (default: the measured reduction)")
    args = ap.parse_args()
    runs = [json.loads(l) for l in sys.stdin if l.strip().startswith("{")]
    one = {r["lps"]: r for r in runs if r.get("ranks", 1) == 1}
    two = [r for r in runs if r.get("ranks", 1) == 2]
    if not one or not two:
        print("project: need one-rank and two-rank bench/phold --json lines")
        return 1
    print("measured (2 cores shared with other jobs: wall figures move with their load;")
    print("cpu_s: seconds the event loop had a CPU, for 2 ranks the slowest rank's handling)")
    print("%9s %5s %6s %12s %8s %8s %9s %9s %9s %9s %8s" %
          ("LPs", "ranks", "sync", "events/s", "wall_s", "cpu_s", "windows", "msg/win",
           "exch_s", "reduce_s", "speedup"))
    for r in sorted(runs, key=lambda r: (r["lps"], r.get("ranks", 1), r.get("sync", ""))):
        base = one.get(r["lps"])
        sp = r["events_per_s"] / base["events_per_s"] if base else float("nan")
        multi = r.get("ranks", 1) > 1
        print("%9d %5d %6s %12.0f %8.3f %8.3f %9d %9.1f %9.3f %9.3f %8.2f" %
              (r["lps"], r.get("ranks", 1), r.get("sync", "-") if multi else "-",
               r["events_per_s"], r["wall_s"], r["run_cpu_s"] if multi else r["cpu_s"],
               r.get("windows", 0), r.get("messages_per_window", 0),
               r.get("exchange_s", 0), r.get("reduce_s", 0), sp))
    probe = max(two, key=lambda r: r["lps"])
    a_red = probe["probe_allreduce_us"] * 1e-6
    a_a2a = probe["probe_alltoall_us"] * 1e-6
    ev_bytes = probe["probe_exchange_bytes"] / 1000.0
    b = max(probe["probe_exchange_us"] * 1e-6 - a_red, 0) / probe["probe_exchange_bytes"]
    if args.alpha_us is not None:
        a_red = a_a2a = args.alpha_us * 1e-6
    print("\nunit costs: reduction %.2f us, message to a peer %.2f us, %.3f ns per byte, "
          "%.0f bytes per event" % (a_red * 1e6, a_a2a * 1e6, b * 1e9, ev_bytes))
    # two ranks with a core each: the slowest rank's handling CPU plus the
    # synchronisation at the probed unit costs
    for r in sorted(two, key=lambda r: (r["lps"], r["sync"])):
        base = one.get(r["lps"])
        if not base:
            continue
        m = r["messages_per_window"] / 2
        sync = r["windows"] * (a_a2a + m * ev_bytes * b + (a_red if r["sync"] == "reduce" else 0))
        est = r["run_cpu_s"] + sync
        print("%d LPs, 2 ranks, %s: %.3f s handling on a CPU + %.3f s synchronising at the "
              "probed costs = %.3f s vs %.3f s on one rank: speed-up %.2f with a core per rank"
              % (r["lps"], r["sync"], r["run_cpu_s"], sync, est, base["cpu_s"],
                 base["cpu_s"] / est))
    print("\nprojection (model above; P ranks on P cores, one rank per core)")
    print("%12s %6s %12s %12s %12s %9s" %
          ("LPs", "ranks", "events/win", "sync_us/win", "time_s", "speedup"))
    big = max(one)
    r1 = one[big]
    t_ev = r1["cpu_s"] / r1["events"]
    windows = max(r["windows"] for r in two if r["lps"] == big)
    e_w = r1["events"] / windows
    remote = r1["remote"]
    for label, per_rank in (("strong", False), ("weak", True)):
        for P in (1, 2, 64, 1024):
            ew = e_w * P if per_rank else e_w
            t1, _ = model(t_ev, ew, windows, remote, 1, a_red, a_a2a, b, ev_bytes)
            tp, sync = model(t_ev, ew, windows, remote, P, a_red, a_a2a, b, ev_bytes)
            lps = big * P if per_rank else big
            print("%12d %6d %12.0f %12.2f %12.3f %9.1f   (%s)" %
                  (lps, P, ew, sync * 1e6, tp, t1 / tp, label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
