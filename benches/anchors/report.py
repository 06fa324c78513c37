"""Prints the anchors table from the files benches/anchors.sh leaves in DIR.

    python report.py DIR

DIR holds, per model slug and tool (simpy, ciw, mqsim), SLUG.TOOL.time
(`/usr/bin/time -f "%e %M"`: wall seconds, peak RSS in KiB) and
SLUG.TOOL.out (`served mean_wait`).
"""

import sys
from pathlib import Path

from models import MODELS, SLUGS, exact_wq

TOOLS = ("simpy", "ciw", "mqsim")


def read(folder, slug, tool):
    wall, rss_kib = (float(x) for x in (folder / f"{slug}.{tool}.time").read_text().split()[-2:])
    served, wait = (float(x) for x in (folder / f"{slug}.{tool}.out").read_text().split())
    return {"rate": served / max(wall, 0.01), "rss_mb": rss_kib / 1024, "wait": wait}


def main():
    folder = Path(sys.argv[1])
    rows = [(name, {t: read(folder, slug, t) for t in TOOLS}) for name, slug in SLUGS.items()]
    head = ("model", "SimPy/s", "Ciw/s", "mqsim/s", "÷SimPy", "÷Ciw",
            "RSS MB SimPy", "Ciw", "mqsim", "Wq exact", "SimPy", "Ciw", "mqsim")
    table = [head]
    for name, r in rows:
        s, c, m = r["simpy"], r["ciw"], r["mqsim"]
        table.append((
            name,
            *(f"{x['rate']:,.0f}" for x in (s, c, m)),
            f"{m['rate'] / s['rate']:.1f}×", f"{m['rate'] / c['rate']:.1f}×",
            *(f"{x['rss_mb']:.0f}" for x in (s, c, m)),
            f"{exact_wq(name):.3f}", *(f"{x['wait']:.3f}" for x in (s, c, m)),
        ))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for row in table:
        print("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))))

    def span(f):
        values = [f(r) for _, r in rows]
        low, high = (f"{x:.1f}" if x < 10 else f"{x:.0f}" for x in (min(values), max(values)))
        return f"{low}×" if low == high else f"{low}–{high}×"

    print(f"mqsim is {span(lambda r: r['mqsim']['rate'] / r['simpy']['rate'])} SimPy's speed "
          f"and {span(lambda r: r['mqsim']['rate'] / r['ciw']['rate'])} Ciw's, "
          f"with {span(lambda r: r['simpy']['rss_mb'] / r['mqsim']['rss_mb'])} less memory than SimPy "
          f"and {span(lambda r: r['ciw']['rss_mb'] / r['mqsim']['rss_mb'])} less than Ciw.")


if __name__ == "__main__":
    main()
