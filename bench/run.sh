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
  # phold/hold from the two JSON lines (no interpreter needed)
  awk -v h="$hold" -v p="$phold" 'function field(s, k,   v) {
      if (!match(s, "\"" k "\":[-+0-9.eE]+")) return 0
      v = substr(s, RSTART, RLENGTH); sub(/^[^:]*:/, "", v); return v + 0 }
    BEGIN { if (field(h, "ops_per_s") > 0 && field(p, "cpu_s") > 0 && field(h, "ops_per_cpu_s") > 0)
      printf "   phold/hold = %.0f%% (wall), %.0f%% (CPU time)\n",
        100 * field(p, "events_per_s") / field(h, "ops_per_s"),
        100 * field(p, "events") / field(p, "cpu_s") / field(h, "ops_per_cpu_s") }'
done
echo "== PHOLD over MPI: 1 and 2 ranks, then the scaling projection (bench/project) =="
echo "   (2 cores shared with other jobs; load: $(cut -d' ' -f1-3 /proc/loadavg))"
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
if command -v mpirun >/dev/null && mpirun --oversubscribe -np 2 bench/phold --lps 8 --end 1 >/dev/null 2>&1; then
  mpi_lines=$(mktemp)
  for spec in "16384 100" "262144 20"; do
    set -- $spec
    for cmd in "bench/phold" "mpirun --oversubscribe -np 2 bench/phold" \
               "mpirun --oversubscribe -np 2 bench/phold --sync null"; do
      $cmd --lps "$1" --end "$2" --lookahead 0.1 --json | tee -a "$mpi_lines"
    done
  done
  bench/project < "$mpi_lines" || true
  rm -f "$mpi_lines"
else
  echo "   skipped: mpirun missing or bench/phold built without MPI"
fi
echo "== trace writer =="
bench/trace --json
if [ -x bench/systolic_gpt2 ]; then
  echo "== systolic cost model, four GPT-2 GEMMs =="
  bench/systolic_gpt2
fi
echo "== mapping GPT-2 (seq 128) on the hybrid chip, then simulating it (targets: < 60 s, < 10 s) =="
bench/map_gpt2
echo "== serving 1,000 GPT-2 requests (prompt 128, output 128) on chip.yaml, continuous batching (target: < 60 s CPU) =="
bench/serve_gpt2 --rate 50
bench/serve_gpt2 --rate 5
echo "== on-chip network: 8x8 mesh uniform 0.2 and 16x16 mesh uniform 0.1, 110,000 cycles =="
bench/noc --json
echo "== on-chip network over MPI: bench/noc's two meshes as a prism run on 1 and 2 ranks =="
echo "   (METIS cuts the meshes' clocked channels: a 3-cycle lookahead; load: $(cut -d' ' -f1-3 /proc/loadavg))"
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
if command -v mpirun >/dev/null &&
   mpirun --oversubscribe -np 2 build/prism run configs/demo.yaml --until 1ns >/dev/null 2>&1; then
  net_dir=$(mktemp -d)
  for spec in "8 0.2 20us" "16 0.1 5us"; do
    set -- $spec
    cfg="$net_dir/mesh$1.yaml"
    printf 'seed: 1\nuntil: %s\nclocks: {core: 1GHz}\ncomponents: {}\nnetwork: {topology: mesh, k: %s, clock: core, prefix: n_, traffic: uniform, rate: %s}\n' \
      "$3" "$1" "$2" > "$cfg"
    for run in "build/prism run" "mpirun --oversubscribe -np 2 build/prism run" \
               "mpirun --oversubscribe -np 2 build/prism run --sync null"; do
      echo "   $1x$1 mesh, uniform $2, $3: $run"
      $run "$cfg" | grep -E '^(events|ranks) ' | sed 's/^/     /'
    done
  done
  rm -rf "$net_dir"
else
  echo "   skipped: mpirun missing or prism built without MPI"
fi
echo "== RNS: modular GEMM residue MACs/s vs the FP32 GEMM; one digits MLP epoch in RNS =="
bench/rns --json
echo "== pi2: multicast 1 -> 128 replicas/s; the digits-sized fabric over engine links and a 2x2 mesh =="
bench/pi2 --rows 100 --json
