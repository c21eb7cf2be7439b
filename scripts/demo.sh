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
# It prints, in under 60 lines, the run's status, where the energy went, the
# units that stayed idle, the first layers' latency, and where to look next.
# Usage: scripts/demo.sh PATH/TO/prism   (DEMO_SEQ, DEMO_DB, DEMO_SCHEDULE
# change the prompt length and the files)
set -euo pipefail
cd "$(dirname "$0")/.."
prism=${1:-build/prism}
db=${DEMO_DB:-demo.db}
schedule=${DEMO_SCHEDULE:-demo-schedule.json}
seq=${DEMO_SEQ:-128}
config=configs/hybrid.yaml
map=(--chip "$config" --workload gpt2 --seq "$seq" --quality kl=0.01 --resident-weights --dtype i8 --objective knee)
echo "prism demo: $prism map ${map[*]} -o $schedule"
echo "(objective knee: the latency pick leaves the crossbars idle, the energy pick the photonic cores; the knee uses all three tiers)"
"$prism" map "${map[@]}" -o "$schedule" |
  grep -v '^pareto [0-9]*  \|^stage 2 move\|^$\|^chip .*candidates priced' || true
echo
echo "prism demo: $prism run $config --schedule $schedule --trace $db --force"
# the run's status lines; its component table is the report's, below
"$prism" run "$config" --schedule "$schedule" --trace "$db" --force | sed -n '1,/^energy /p'
echo
echo "where the energy went (prism report $db lists every component):"
"$prism" query "$db" "SELECT name, model, ROUND(100.0 * busy_ps / (SELECT end_time_ps FROM runs), 1)
  AS util_pct, ROUND(energy_pj / 1e9, 3) AS energy_mj FROM component_summary
  WHERE energy_pj > 0 ORDER BY energy_pj DESC LIMIT 8"
echo
echo "units that did no work, per model:"
"$prism" query "$db" "SELECT model, COUNT(*) AS idle_units FROM component_summary
  WHERE COALESCE(events, 0) = 0 AND COALESCE(energy_pj, 0) = 0 GROUP BY model ORDER BY 2 DESC"
echo
echo "latency of the first layers (layers overlap: a span starts at its first issue):"
"$prism" query "$db" "SELECT layer, entries, ROUND(start_ps / 1e6, 2) AS start_us,
  ROUND(span_ps / 1e6, 2) AS span_us, ROUND(energy_pj / 1e9, 3) AS energy_mj, tiers
  FROM layer_latency LIMIT 4"
echo
echo "Next:"
echo "  every component, energy by category, the busiest links:  $prism report $db"
echo "  every layer's latency (tier_layer: per tier as well):    $prism query $db \"SELECT * FROM layer_latency\""
echo "  busy % of each unit over the run:                        $prism plot $db --utilization -o util.png"
echo "  the timeline in ui.perfetto.dev:                         $prism export $db --perfetto demo.json"
