#!/bin/sh
# Side by side with BookSim2 (docs/noc.md, "Fidelity"): runs `prism noc` and
# BookSim2 at one injection rate with the same parameters and prints both
# figures (average packet latency in cycles, accepted rate in
# flits/node/cycle, or 'unstable'/'SAT' when the run saturated).
#
# BookSim2 is not part of prism: build it outside the tree
# (github.com/booksim/booksim2, commit 28f4329: `make` in src/, needs flex
# and bison) and point BOOKSIM at the binary.
#
# usage: BOOKSIM=/path/to/booksim scripts/booksim_compare.sh RATE [key=value ...]
# Keys are BookSim2 names (prism accepts them too). Both run the router of
# BookSim2's mesh88_lat example with 1-flit uniform traffic unless a key
# says otherwise. BookSim2's use_noc_latency defaults to 1 and prism's to
# 0: on the torus pass use_noc_latency explicitly (the mesh is the same).
set -eu
[ $# -ge 1 ] || { sed -n 2,16p "$0"; exit 2; }
: "${BOOKSIM:?set BOOKSIM to a BookSim2 binary}"
PRISM=${PRISM:-./prism}
rate=$1
shift
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
cat > "$cfg" <<'CFG'
topology = mesh;
k = 8;
n = 2;
routing_function = dor;
num_vcs = 8;
vc_buf_size = 8;
wait_for_tail_credit = 1;
vc_allocator = islip;
sw_allocator = islip;
alloc_iters = 1;
credit_delay = 2;
routing_delay = 0;
vc_alloc_delay = 1;
sw_alloc_delay = 1;
input_speedup = 2;
output_speedup = 1;
internal_speedup = 1.0;
traffic = uniform;
packet_size = 1;
sim_type = latency;
injection_rate_uses_flits = 1;
CFG
sets=$(echo "$*" | tr ' ' ',')
p=$("$PRISM" noc --rate "$rate" ${sets:+--set "$sets"} --json |
    sed -n 's/.*"avg_packet_latency":\([^,]*\),.*"accepted_rate":\([^,]*\),.*"saturated":\([a-z]*\).*/\1 \2 \3/p')
b=$("$BOOKSIM" "$cfg" injection_rate="$rate" "$@" 2>&1 | awk '
/Packet latency average/ {lat=$5}
/Accepted flit rate average/ {acc=$6}
/Simulation unstable/ {uns=1}
END { if (uns) print "unstable"; else printf "%s %s\n", lat, acc }')
echo "$rate | ${sets:--} | prism $p | booksim $b"
