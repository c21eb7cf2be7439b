#!/usr/bin/env bash
# Prints the Mirage training tables of docs/results.md: RNS vs FP32 on the
# digits MLP and CNN, residue bits vs accuracy, and phase noise with and
# without redundant moduli. Every row is one `prism train ... --json` run.
# Usage: scripts/mirage_results.sh [PRISM] [bits|noise|compare|all]
set -uo pipefail
PRISM=${1:-./prism}
WHAT=${2:-all}
row() { # prints the fields of one run as a markdown row, or the error
  local out
  if out=$("$PRISM" train "$@" --json 2>/tmp/mirage_err.$$); then
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])
m = ",".join(str(x) for x in d.get("moduli", []))
r = ",".join(str(x) for x in d.get("redundant_moduli", []))
f = d.get("fp32_test_accuracy")
print("| %s | %s | %s | %s | %s | %.2f | %s | %s | %s | %s | %s |" % (
    " ".join(sys.argv[2:]), m or "-", r or "-", d.get("mant_bits", "-"),
    ("%.1f" % d["range_bits"]) if "range_bits" in d else "-", d["test_accuracy"],
    ("%.2f" % f) if f is not None else "-",
    d.get("residue_errors", "-"), d.get("corrected", "-"), d.get("retried", "-"),
    d.get("detected_uncorrected", "-")))' "$out" "$@"
  else
    echo "| $* | | | | | $(tr -d '\n' </tmp/mirage_err.$$ | sed 's/^prism train: //') | | | | | |"
  fi
  rm -f /tmp/mirage_err.$$
}
header() {
  echo "| arguments | moduli | redundant | mantissa bits | range bits | test acc. % | fp32 test acc. % | residue errors | corrected | retried | detected, not corrected |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
}
if [ "$WHAT" = all ] || [ "$WHAT" = compare ]; then
  echo "### RNS vs FP32 (same network, seed and schedule)"
  header
  row --model mlp --arith rns --moduli 31,32,33 --epochs 20 --compare fp32
  row --model mlp --arith rns --moduli 63,64,65 --epochs 20 --compare fp32
  row --model mlp --arith bfp --mant-bits 6 --epochs 20 --compare fp32
  row --model cnn --arith rns --moduli 31,32,33 --epochs 20 --compare fp32
fi
if [ "$WHAT" = all ] || [ "$WHAT" = bits ]; then
  echo "### Residue bits vs accuracy (moduli 2^b - 1, 2^b, 2^b + 1; blocks of 16)"
  header
  for b in 2 3 4 5 6 7; do
    row --moduli $(( (1 << b) - 1 )),$(( 1 << b )),$(( (1 << b) + 1 )) --epochs 20
  done
fi
if [ "$WHAT" = all ] || [ "$WHAT" = noise ]; then
  echo "### Phase noise per MMU, with and without redundant moduli (31,32,33)"
  header
  for s in 0.005 0.006 0.007 0.008; do
    for r in 0 1 2; do
      row --moduli 31,32,33 --phase-noise $s --redundant $r --epochs 20
    done
  done
fi
