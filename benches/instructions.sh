#!/usr/bin/env bash
# Instructions per message, counted by valgrind's callgrind (repeatable
# under load, unlike wall-clock time). The whole `mqsim run` process, every
# statistic and output on: the count of a run with 2N messages minus that of
# a run with N, divided by N, so start-up, charts and the report cancel out.
#
#   benches/instructions.sh [scenario.toml] [rate_per_s] [messages] [mqsim run options...]
#
# e.g. benches/instructions.sh benches/scenarios/partitions.toml 10000 20000 --set topic.partitions=256
#
# Defaults: scenarios/mm4.toml (λ = 3.2/s), 100,000 messages. With
# MQSIM_PER=hops, the count is per hop (a message processed by one group:
# the sum of groups.<g>.processed) instead of per message published, e.g.
#
#   MQSIM_PER=hops benches/instructions.sh benches/scenarios/pipeline-3.toml
#
# Builds the
# release binary first, unless MQSIM_BIN names a binary to count instead
# (to compare with an older build). One thread (RAYON_NUM_THREADS=1): idle
# worker threads would add a varying count. Needs valgrind (Debian:
# apt-get install valgrind).
#
#   benches/instructions.sh minimal-des [messages]
#
# counts the minimal hand-written M/M/4 simulation (benches/minimal_des.rs)
# the same way: the anchor mqsim's cost per message is stated against.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = minimal-des ]; then
  n=${2:-100000}
  cargo build --release --quiet -p mqsim-bench --bin minimal-des
  bin="${CARGO_TARGET_DIR:-target}/release/minimal-des"
  ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
  ir1=$(ir "$n")
  ir2=$(ir "$((2 * n))")
  python3 -c "print(f'{($ir2 - $ir1) / $n:.0f} instructions per message (minimal-des: {$ir1:,} for {$n:,} messages, {$ir2:,} for {2 * $n:,})')"
  exit 0
fi
scenario=${1:-scenarios/mm4.toml}
rate=${2:-3.2}
n=${3:-100000}
shift $(($# < 3 ? $# : 3))
extra=("$@")
if [ -z "${MQSIM_BIN:-}" ]; then
  cargo build --release --quiet --bin mqsim
fi
mqsim=${MQSIM_BIN:-target/release/mqsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() {
  local horizon
  horizon=$(python3 -c "print(repr($1 / $rate))")
  RAYON_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
    "$mqsim" run "$scenario" --set replications=1 --set warmup=0s \
    --set "horizon=${horizon}s" "${extra[@]}" --out "$tmp/out" >/dev/null 2>"$tmp/err"
  published=$(python3 -c "
import json
m = json.load(open('$tmp/out/summary.json'))['metrics']
if '${MQSIM_PER:-}' == 'hops':
    print(int(sum(v['mean'] for k, v in m.items() if k.startswith('groups.') and k.endswith('.processed') and k.count('.') == 2)))
else:
    print(int(m['topic.published']['mean']))")
  rm -rf "$tmp/out"
  echo "$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/err") $published"
}
read -r ir1 m1 < <(count "$n")
read -r ir2 m2 < <(count "$((2 * n))")
what=${MQSIM_PER:-message}
what=${what%s}
python3 -c "print(f'{($ir2 - $ir1) / ($m2 - $m1):.0f} instructions per $what ($scenario: {$ir1:,} for {$m1:,} ${what}s, {$ir2:,} for {$m2:,})')"
