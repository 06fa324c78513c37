#!/usr/bin/env bash
# mqsim against SimPy and Ciw on the same four queues: M/M/1 (λ = 0.8/s,
# μ = 1/s), M/M/4 (λ = 3.2/s, μ = 1/s each), M/M/1/10 (λ = 0.8/s, μ = 1/s,
# at most 10 in the system) and M/D/1 (λ = 0.8/s, service 1 s). Each tool
# runs each model once, for CUSTOMERS / λ seconds of simulated time (so about
# CUSTOMERS arrive), no warm-up, recording every customer's wait in queue.
# Prints per model: customers/s (customers served ÷ wall seconds of the whole
# process: start-up, imports, and for mqsim writing its summary, time series,
# charts and report), mqsim's speed-up over each, peak RSS, and each tool's
# mean wait in queue beside the exact value, so the three visibly simulate
# the same thing.
#
#   benches/anchors.sh [customers]     # default 1000000; 100000 for a quick check
#
# The first run creates a venv in target/anchors-venv with simpy==4.1.1 and
# ciw==3.2.7 from PyPI (Debian: apt-get install python3-venv time). Builds the
# release binary first, unless MQSIM_BIN names a binary to use instead.
# The models are in benches/anchors/ (models.py, simpy_model.py,
# ciw_model.py, and the mqsim scenarios *.toml). Ciw does about 20,000
# customers/s, so the full run takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
venv=target/anchors-venv
[[ -x /usr/bin/time ]] || { echo "error: needs GNU time (Debian: apt-get install time)" >&2; exit 1; }
if [[ ! -x $venv/bin/pip ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv" || { rm -rf "$venv"; echo "error: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check simpy==4.1.1 ciw==3.2.7
if [[ -z ${MQSIM_BIN:-} ]]; then
  cargo build --release --quiet --bin mqsim
fi
mqsim=${MQSIM_BIN:-target/release/mqsim}
python=$venv/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
measure() { # slug tool command...: SLUG.TOOL.time gets "wall_s peak_rss_kib", SLUG.TOOL.out the output
  local out=$tmp/$1.$2
  shift 2
  /usr/bin/time -f "%e %M" -o "$out.time" "$@" >"$out.out"
}
for slug in mm1 mm4 mm1k10 md1; do
  echo "$slug: SimPy, Ciw, mqsim ..." >&2
  measure "$slug" simpy "$python" benches/anchors/simpy_model.py "$slug" "$n"
  measure "$slug" ciw "$python" benches/anchors/ciw_model.py "$slug" "$n"
  rate=$(sed -n 's/.*rate_per_s = \([0-9.]*\).*/\1/p' "benches/anchors/$slug.toml")
  measure "$slug" mqsim "$mqsim" run "benches/anchors/$slug.toml" --out "$tmp/$slug.mqsim.dir" \
    --set replications=1 --set warmup=0s --set "horizon=$("$python" -c "print(repr($n / $rate))")s"
  "$python" -c "import json, sys; m = json.load(open(sys.argv[1]))['metrics']
print(m['groups.server.processed']['mean'], m['groups.server.queue_wait.mean_s']['mean'])" \
    "$tmp/$slug.mqsim.dir/summary.json" >"$tmp/$slug.mqsim.out"
done
echo "$n customers per model; customers/s = customers served ÷ wall seconds; RSS in MB; Wq = mean wait in queue (s)"
"$python" benches/anchors/report.py "$tmp"
