#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages prism needs, only those missing.
# Uses sudo when not root. Safe to run again.
set -euo pipefail
pkgs=(build-essential pkg-config libev-dev libsqlite3-dev sqlite3 check libyaml-dev
      libcjson-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev zlib1g-dev
      gnuplot-nox libopenmpi-dev openmpi-bin libmetis-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "prism: installing missing packages: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null; then
  echo "prism: apt-get not found; install these packages by hand: ${missing[*]}" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq "${missing[@]}"
