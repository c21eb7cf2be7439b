#!/usr/bin/env bash
# Latency percentiles against arrival rate for one chip: a Poisson stream of
# COUNT GPT-2 requests (prompt 128, output 32) at each rate, static and
# continuous batching of up to 8, each a `prism run --requests ... --json`.
# Prints a markdown table and, with OUT.png, plots p50 and p99 (gnuplot).
# Usage: scripts/serve_rates.sh [PRISM] [CONFIG] [OUT.png] [COUNT]
set -euo pipefail
PRISM=${1:-./prism}
CONFIG=${2:-configs/chip.yaml}
OUT=${3:-}
COUNT=${4:-200}
DAT=$(mktemp /tmp/serve_rates.XXXXXX)
trap 'rm -f "$DAT"' EXIT
echo "| rate /s | static p50 s | static p99 s | continuous p50 s | continuous p99 s |"
echo "| --- | --- | --- | --- | --- |"
for rate in 1 2 4 8 16; do
  line="$rate"
  for b in static continuous; do
    js=$("$PRISM" run "$CONFIG" --workload gpt2 --requests "poisson:$rate,$COUNT" --prompt 128 \
         --generate 32 --batching "$b" --max-batch 8 --json)
    line="$line $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.3f %.3f" % (d["latency_p50_ps"]*1e-12, d["latency_p99_ps"]*1e-12))' "$js")"
  done
  echo "$line" >>"$DAT"
  set -- $line
  echo "| $1 | $2 | $3 | $4 | $5 |"
done
if [ -n "$OUT" ]; then
  gnuplot <<EOG
set terminal pngcairo size 800,500
set output "$OUT"
set title "GPT-2, prompt 128, output 32, $COUNT Poisson requests on $(basename "$CONFIG")"
set xlabel "arrival rate (requests / s)"
set ylabel "latency (s)"
set logscale x 2
set key top left
plot "$DAT" using 1:2 with linespoints title "static p50", \
     "$DAT" using 1:3 with linespoints title "static p99", \
     "$DAT" using 1:4 with linespoints title "continuous p50", \
     "$DAT" using 1:5 with linespoints title "continuous p99"
EOG
  echo "wrote $OUT"
fi
