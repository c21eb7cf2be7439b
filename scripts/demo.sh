#!/usr/bin/env bash
# `make demo`: maps GPT-2 small (prefill of 128 tokens, 8-bit words) onto the
# default heterogeneous chip (configs/hybrid.yaml: RRAM crossbar tiles,
# dynamic photonic tensor cores, systolic arrays, vector units, global buffer,
# HBM2) with the two-stage mapper (the knee of the latency-energy front at
# kl <= 0.01, crossbar weights resident: the steady state of an inference
# server), runs the schedule cycle by cycle into a trace DB and prints the
# report and the time and energy per tier per layer.
# 8-bit words: the crossbars and photonic cores compute at 8 bits, so the
# systolic arrays price int8 MACs too (prism map's default, f32, would price
# FP32 MACs on the digital tier only). The knee, not the lowest latency: at
# 8 bits the latency pick leaves the crossbars idle and the energy pick the
# photonic cores (tests/check_map.c test_demo_uses_all_tiers checks both).
# Usage: scripts/demo.sh PATH/TO/prism
set -euo pipefail
cd "$(dirname "$0")/.."
prism=${1:-build/prism}
db=${DEMO_DB:-demo.db}
schedule=${DEMO_SCHEDULE:-demo-schedule.json}
config=configs/hybrid.yaml
map=(--chip "$config" --workload gpt2 --seq 128 --quality kl=0.01 --resident-weights --dtype i8 --objective knee)
echo "prism demo: $prism map ${map[*]} -o $schedule"
echo "(objective knee: the latency pick leaves the crossbars idle, the energy pick the photonic cores; the knee uses all three tiers)"
"$prism" map "${map[@]}" -o "$schedule" |
  grep -v '^pareto [0-9]*  \|^stage 2 move' || true
echo
echo "prism demo: $prism run $config --schedule $schedule --trace $db --force"
"$prism" run "$config" --schedule "$schedule" --trace "$db" --force
echo
"$prism" report "$db"
echo
echo "time and energy per tier per layer (first rows): $prism query $db \"SELECT * FROM tier_layer\""
"$prism" query "$db" "SELECT * FROM tier_layer WHERE layer = 0 OR layer IS NULL"
echo
echo "Next: $prism query $db \"SELECT * FROM tier_layer\""
