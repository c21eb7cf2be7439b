#!/usr/bin/env bash
# Runs prism's benchmarks and prints their figures (JSON, one line each).
# The engine: PHOLD at the issue's two sizes next to the bare heap "hold"
# loop at the same populations; the trace writer; the systolic cost model.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== hold (bare binary heap) vs PHOLD through the engine =="
for spec in "1024 20000" "16384 400"; do
  set -- $spec
  hold=$(bench/hold --n "$1" --json)
  phold=$(bench/phold --lps "$1" --end "$2" --lookahead 0.1 --json)
  echo "$hold"
  echo "$phold"
  python3 - "$hold" "$phold" <<'PY' 2>/dev/null || true
import json, sys
h = json.loads(sys.argv[1]); p = json.loads(sys.argv[2])
print("   phold/hold = %.0f%%" % (100.0 * p["events_per_s"] / h["ops_per_s"]))
PY
done
echo "== trace writer =="
bench/trace --json
if [ -x bench/systolic_gpt2 ]; then
  echo "== systolic cost model, four GPT-2 GEMMs =="
  bench/systolic_gpt2
fi
echo "== mapping GPT-2 (seq 128) on the hybrid chip, then simulating it (targets: < 60 s, < 10 s) =="
bench/map_gpt2
echo "== on-chip network: 8x8 mesh uniform 0.2 and 16x16 mesh uniform 0.1, 110,000 cycles =="
bench/noc --json
echo "== RNS: modular GEMM residue MACs/s vs the FP32 GEMM; one digits MLP epoch in RNS =="
bench/rns --json
echo "== pi2: multicast 1 -> 128 replicas/s; the digits-sized fabric over engine links and a 2x2 mesh =="
bench/pi2 --rows 100 --json
