#!/usr/bin/env bash
# `make demo`: runs the bundled default chip, writes a trace DB and prints
# the summary a user wants first. Usage: scripts/demo.sh PATH/TO/prism
set -euo pipefail
cd "$(dirname "$0")/.."
prism=${1:-build/prism}
db=${DEMO_DB:-demo.db}
config=configs/demo.yaml
workload=()
if [ -f configs/chip.yaml ] && "$prism" run --help | grep -q -- "--workload SPEC"; then
  config=configs/chip.yaml
  workload=(--workload gpt2)
fi
echo "prism demo: $prism run $config ${workload[*]} --trace $db --force"
"$prism" run "$config" "${workload[@]}" --trace "$db" --force
echo
"$prism" report "$db"
echo
echo "Next: $prism query $db \"SELECT * FROM component_summary\""
