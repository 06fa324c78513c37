#!/usr/bin/env python3
"""Gathers calibration/.work/results/<broker>.json into one table: printed,
and written as summary.md and summary.json beside them."""

import argparse
import glob
import json
import os
import sys

ORDER = ["redis", "postgres", "rabbitmq", "nats"]
UNITS = {"throughput_per_s": ("throughput (msg/s)", 1, "{:.1f}"),
         "peak_depth": ("peak depth", 1, "{:.1f}"),
         "drain_s": ("drain (s)", 1, "{:.2f}"),
         "e2e_p50_s": ("e2e p50 (ms)", 1000, "{:.1f}"),
         "e2e_p99_s": ("e2e p99 (ms)", 1000, "{:.0f}"),
         "redeliveries": ("redeliveries", 1, "{:.0f}"),
         "dead_letters": ("dead letters", 1, "{:.1f}")}


def val(st, scale, fmt):
    if not st or st.get("mean") is None:
        return "n/a"
    s = fmt.format(st["mean"] * scale)
    if st.get("n", 0) > 1 and st.get("sd") is not None:
        s += " ± " + fmt.format(st["sd"] * scale)
    return s


def pc(x):
    return "n/a" if x is None else f"{100 * x:+.1f}%"


def ms(x):
    return "n/a" if x is None else f"{1000 * x:.2f}"


def tables(results, wall):
    out = []
    out.append("## Measured overhead and hand-off (ms)\n")
    out.append("Overhead: per worker, delivery to next delivery minus the drawn service time, while "
               "backlogged (exponential 20 ms service; and with no service). Hand-off: publish to "
               "first delivery at 5/s with idle workers; mqsim's is its wait for a first delivery "
               "in the twin of that run.\n")
    out.append("| broker | version | probe | overhead mean | p50 | p99 | service-0 overhead mean | p50 | p99 "
               "| hand-off p50 | p99 | mqsim hand-off p50 | p99 |")
    out.append("| --- " * 13 + "|")
    for r in results:
        for key, p in r.get("probes", {}).items():
            s, z, h = p["exp20ms"]["overhead_s"], p["zero"]["overhead_s"], p["handoff"]["handoff_s"]
            mh = p["handoff"].get("mqsim_queue_wait_s", {})
            out.append(f"| {r['broker']} | {r.get('broker_version', '?')} | {key} | {ms(s.get('mean'))} | "
                       f"{ms(s.get('p50'))} | {ms(s.get('p99'))} | {ms(z.get('mean'))} | {ms(z.get('p50'))} | "
                       f"{ms(z.get('p99'))} | {ms(h.get('p50'))} | {ms(h.get('p99'))} | "
                       f"{ms(mh.get('p50'))} | {ms(mh.get('p99'))} |")
    out.append("")
    out.append("## Real vs mqsim\n")
    out.append("Real: mean ± sd over the repeats; mqsim: mean over the seeds of every repeat's twin. "
               "Diff = (mqsim - real) / real. The check judges mqsim's whole model: the overhead and, "
               "where the binary has one, the hand-off. Tolerance: the target, or the measured noise "
               "(2 standard errors of the difference) where that is larger.\n")
    ho = any(c.get("with_overhead_handoff") for r in results for c in r.get("comparisons", []))
    sh = any(c.get("preset_shipped") for r in results for c in r.get("comparisons", []))
    out.append("| broker | run | metric | real | mqsim + overhead | diff | mqsim, no overhead | diff | "
               + ("mqsim + overhead + hand-off | diff | " if ho else "")
               + ("preset as shipped | diff | " if sh else "") + "target tol | tol used | pass |")
    out.append("| --- " * (11 + 2 * ho + 2 * sh) + "|")
    for r in results:
        for c in r.get("comparisons", []):
            name, scale, fmt = UNITS[c["metric"]]
            chk = ("yes" if c["passed"] else "**NO**") if c.get("checked") else "(info)"
            if c.get("checked") and c["passed"] and not c.get("meets_spec"):
                chk = "yes (noise)"
            checked = c.get("checked")
            spec = f"{100 * c['spec_tolerance']:.0f}%" if checked and c.get("spec_tolerance") is not None else ""
            used = f"{100 * c['tolerance']:.1f}%" if checked and c.get("tolerance") is not None else ""
            out.append(
                f"| {r['broker']} | {c['run']} | {name} | {val(c['real'], scale, fmt)} | "
                f"{val(c['with_overhead'], scale, fmt)} | {pc(c.get('diff_with_overhead', c.get('diff')))} | "
                f"{val(c['without_overhead'], scale, fmt)} | {pc(c.get('diff_without'))} | "
                + (f"{val(c.get('with_overhead_handoff'), scale, fmt)} | {pc(c.get('diff_with_handoff'))} | " if ho else "")
                + (f"{val(c.get('preset_shipped'), scale, fmt)} | {pc(c.get('diff_shipped'))} | " if sh else "")
                + f"{spec} | {used} | {chk} |")
    out.append("")
    out.append("## Run-to-run noise\n")
    out.append("Coefficient of variation of the real value over the repeats (mqsim's over its seeds, "
               "within each repeat's twin, in brackets).\n")
    cols = ["throughput_per_s", "peak_depth", "drain_s", "e2e_p50_s", "e2e_p99_s"]
    out.append("| broker | run | " + " | ".join(UNITS[c][0] for c in cols) + " |")
    out.append("| --- " * (2 + len(cols)) + "|")
    for r in results:
        by = {}
        for c in r.get("comparisons", []):
            by.setdefault(c["run"], {})[c["metric"]] = c
        for run, cs in by.items():
            cells = []
            for m in cols:
                c = cs.get(m)
                if not c or c.get("real_cv") is None:
                    cells.append("")
                    continue
                w = c["with_overhead"]
                sim_cv = (w["sd_within"] / abs(w["mean"])) if w.get("sd_within") is not None and w["mean"] else None
                cells.append(f"{100 * c['real_cv']:.1f}%" + (f" ({100 * sim_cv:.1f}%)" if sim_cv is not None else ""))
            if any(cells):
                out.append(f"| {r['broker']} | {run} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("## Checks\n")
    out.append("| broker | exact checks passed | statistical checks passed | failed |")
    out.append("| --- | --- | --- | --- |")
    for r in results:
        cs = r.get("checks", [])
        ex = [c for c in cs if "mqsim" not in c["check"]]
        st = [c for c in cs if "mqsim" in c["check"]]
        failed = [f"{c.get('run', '')}: {c['check']} ({c['detail']})" for c in cs if not c["passed"]]
        if r.get("error"):
            failed.insert(0, r["error"])
        out.append(f"| {r['broker']} | {sum(c['passed'] for c in ex)}/{len(ex)} | "
                   f"{sum(c['passed'] for c in st)}/{len(st)} | {'; '.join(failed) or 'none'} |")
    out.append("")
    findings = [f"- {r['broker']}: {f}" for r in results for f in r.get("findings", [])]
    if findings:
        out.append("## Findings\n")
        out.extend(findings)
        out.append("")
    if wall is not None:
        out.append(f"Wall time of this invocation: {wall} s.\n")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--wall", type=int, default=None)
    a = ap.parse_args()
    results = []
    for path in glob.glob(os.path.join(a.results, "*.json")):
        if os.path.basename(path) == "summary.json":
            continue
        with open(path) as fh:
            results.append(json.load(fh))
    results.sort(key=lambda r: ORDER.index(r["broker"]) if r["broker"] in ORDER else 99)
    md = tables(results, a.wall)
    machine = next((r["machine"] for r in results if "machine" in r), {})
    head = (f"# mqsim calibration results\n\nTier: {', '.join(sorted({r.get('tier', '?') for r in results}))}. "
            f"Machine: {machine.get('nproc', '?')} cores, {machine.get('cpu', '?')}, "
            f"{machine.get('date', '')}; {machine.get('mqsim', '')}.\n\n")
    with open(os.path.join(a.results, "summary.md"), "w") as fh:
        fh.write(head + md)
    with open(os.path.join(a.results, "summary.json"), "w") as fh:
        json.dump({"wall_s": a.wall, "results": results}, fh, indent=1)
    print(head + md)
    ok = results and all(r.get("passed") for r in results)
    print("calibration: " + ("every check passed" if ok else "SOME CHECKS FAILED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
