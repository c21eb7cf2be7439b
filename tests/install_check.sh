#!/usr/bin/env bash
# `make test` part: installs into a scratch DESTDIR and checks that the
# installed headers compile in a program that includes them as
# <prism/...>, that `pkg-config --cflags --libs prism` links it against the
# installed library, and that the installed binary finds its data
# (share/prism: configs, the bundled profile) from another folder, with no
# path of the build tree in it.
# Usage: tests/install_check.sh MAKE-COMMAND...
set -u
cd "$(dirname "$0")/.."
make_cmd=("$@")
[ ${#make_cmd[@]} -eq 0 ] && make_cmd=(make)
tmp=$(mktemp -d /tmp/prism-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install check FAILED: $*" >&2; exit 1; }
"${make_cmd[@]}" --no-print-directory -s install DESTDIR="$tmp" PREFIX=/usr/local \
  > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; fail "make install"; }
root=$tmp/usr/local
for f in bin/prism lib/libprism.a lib/pkgconfig/prism.pc include/prism/devices/dev.h \
         include/prism/num/num.h include/prism/sim/trace.h include/prism/mapper/map.h \
         share/prism/configs/hybrid.yaml share/prism/tests/fixtures/tiny-gpt2/profile.csv; do
  [ -e "$root/$f" ] || fail "$f not installed"
done
cat > "$tmp/use.c" <<'C'
#include <prism/devices/dev.h>
#include <prism/mapper/map.h>
#include <prism/noc/noc.h>
#include <prism/sim/sim.h>
#include <prism/sim/trace.h>
#include <prism/sim/tracedb.h>
#include <prism/workloads/wl.h>
#include <stdio.h>
int main(void)
{
    dev_register_all();
    sim_opts_t o = {.seed = 1};
    sim_t *s = sim_create(&o);
    int clock = s ? sim_add_clock(s, "core", 1e9) : -1;
    printf("%s\n", clock >= 0 && sim_clock_period_ps(s, clock) == 1000 ? "ok sim" : "bad");
    sim_destroy(s);
    return 0;
}
C
export PKG_CONFIG_PATH=$root/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$tmp
flags=$(pkg-config --cflags --libs prism) || fail "pkg-config --cflags --libs prism"
cc -std=c11 -Wall -Werror ${CHECK_LDFLAGS:-} -o "$tmp/use" "$tmp/use.c" $flags 2> "$tmp/cc.log" ||
  { cat "$tmp/cc.log" >&2; fail "a program including the installed headers does not build"; }
[ "$("$tmp/use")" = "ok sim" ] || fail "the program linked with the installed library does not run"
strings "$root/bin/prism" | grep -qF "$PWD/tests" && fail "the binary holds a build-tree path"
out=$(cd "$tmp" && env -u PRISM_DATA_DIR "$root/bin/prism" map --chip "$root/share/prism/configs/hybrid.yaml" \
  --workload gpt2 --seq 16 --quality kl=0.01 --population 4 --generations 1 2>&1) ||
  { echo "$out" >&2; fail "the installed binary does not run prism map --quality from another folder"; }
echo "$out" | grep -q "from $root/share/prism/tests/fixtures/tiny-gpt2/profile.csv" ||
  { echo "$out" >&2; fail "the installed binary did not take the profile from share/prism"; }
echo "install check passed (headers, pkg-config, data directory)"
