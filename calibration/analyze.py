"""Reads a driver run's logs: the exact checks on the real log, the metrics
compared with mqsim, and the probes' overhead and hand-off samples."""

import csv
import heapq
import json
import math
import os
from collections import defaultdict


def pct(xs, q):
    """The q-quantile (0..1) with linear interpolation between order
    statistics (numpy's default)."""
    if not xs:
        return None
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    h = (len(s) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (h - lo) * (s[hi] - s[lo])


def mean(xs):
    return sum(xs) / len(xs) if xs else None


def sd(xs):
    if len(xs) < 2:
        return None
    m = mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def summary(xs, scale=1.0):
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "mean": mean(xs) * scale, "p50": pct(xs, 0.5) * scale,
            "p90": pct(xs, 0.9) * scale, "p99": pct(xs, 0.99) * scale,
            "max": max(xs) * scale}


def f(x):
    return float(x) if x not in ("", None) else None


class Run:
    def __init__(self, d):
        self.dir = d
        with open(os.path.join(d, "run.json")) as fh:
            self.info = json.load(fh)
        self.published = {}
        with open(os.path.join(d, "published.csv")) as fh:
            for r in csv.DictReader(fh):
                self.published[int(r["id"])] = (float(r["created"]), float(r["confirmed"]))
        self.rows = []
        with open(os.path.join(d, "deliveries_ext.csv")) as fh:
            for r in csv.DictReader(fh):
                self.rows.append({
                    "id": int(r["id"]), "worker": int(r["worker"]), "created": f(r["created"]),
                    "delivered": f(r["delivered"]), "done": f(r["done"]), "outcome": r["outcome"],
                    "svc": f(r["svc"]), "count": int(r["count"]) if r["count"] else None,
                    "fetch_lo": f(r["fetch_lo"]), "ack_start": f(r["ack_start"]),
                    "ack_end": f(r["ack_end"])})
        self.depth = []
        with open(os.path.join(d, "depth_ext.csv")) as fh:
            for r in csv.DictReader(fh):
                if r["depth"] != "":
                    self.depth.append((float(r["t_req"]), float(r["t_resp"]), int(r["depth"])))
        self.workers = self.info["workload"]["workers"]
        self.deliveries = [r for r in self.rows if r["outcome"] in ("ack", "fail")]
        self.by_worker = defaultdict(list)
        for r in self.deliveries:
            self.by_worker[r["worker"]].append(r)
        for rs in self.by_worker.values():
            rs.sort(key=lambda r: r["delivered"])

    @property
    def start(self):
        return self.info["consume_start_s"]


# ------------------------------------------------------------ exact checks

def check(name, passed, detail):
    return {"check": name, "passed": bool(passed), "detail": detail}


def exact_checks(run, limit):
    out = []
    terminal = defaultdict(list)
    per_id = defaultdict(list)
    for r in run.rows:
        if r["outcome"] in ("ack", "dead"):
            terminal[r["id"]].append(r["outcome"])
        if r["outcome"] in ("ack", "fail"):
            per_id[r["id"]].append(r)
    ids = set(run.published)
    lost = sorted(i for i in ids if not terminal.get(i))
    twice = sorted(i for i, t in terminal.items() if len(t) > 1)
    unknown = sorted(set(terminal) - ids)
    out.append(check("nothing lost: every published id ends acked or dead (once)",
                     not lost and not twice and not unknown,
                     f"{len(ids)} published, {sum(1 for t in terminal.values() if t == ['ack'])} acked, "
                     f"{sum(1 for t in terminal.values() if t == ['dead'])} dead, {len(lost)} lost, "
                     f"{len(twice)} finished twice, {len(unknown)} never published"
                     + (f"; lost ids {lost[:10]}" if lost else "")))
    n_deliv = len(run.deliveries)
    n_msgs = len(per_id)
    redeliveries = n_deliv - n_msgs
    fails = sum(1 for r in run.rows if r["outcome"] == "fail")
    dead = sum(1 for r in run.rows if r["outcome"] == "dead")
    out.append(check("redeliveries = failures - dead letters", redeliveries == fails - dead,
                     f"{redeliveries} redeliveries ({n_deliv} deliveries of {n_msgs} messages), "
                     f"{fails} failures, {dead} dead letters"))
    most = max((len(v) for v in per_id.values()), default=0)
    over = sorted(i for i, v in per_id.items() if len(v) > limit)
    # every dead letter had exactly `limit` deliveries, all failed
    bad_dead = []
    for i, t in terminal.items():
        if t == ["dead"]:
            v = per_id.get(i, [])
            if len(v) != limit or any(r["outcome"] != "fail" for r in v):
                bad_dead.append(i)
    out.append(check(f"no message delivered more than {limit} times; dead letters after exactly {limit} failed deliveries",
                     not over and not bad_dead,
                     f"most deliveries of one message: {most}; over the limit: {len(over)}; "
                     f"dead letters with another history: {len(bad_dead)}"))
    # the broker's own delivery counter agrees with the deliveries seen
    wrong = 0
    for i, v in per_id.items():
        v = sorted(v, key=lambda r: r["delivered"])
        for k, r in enumerate(v, 1):
            if r["count"] is not None and r["count"] != k:
                wrong += 1
    out.append(check("the broker's delivery counter equals the deliveries logged", wrong == 0,
                     f"{wrong} of {n_deliv} deliveries carry another count"))
    out.append(depth_check(run))
    return out


def _count_intervals(intervals, windows):
    """For each window (s0, s1): how many intervals (sure_lo, sure_hi,
    poss_lo, poss_hi) surely cover it (sure_lo <= s0 and sure_hi >= s1) and
    how many possibly touch it (poss_lo <= s1 and poss_hi >= s0). A sweep:
    intervals enter when poss_lo <= s1 and leave once poss_hi < s0."""
    iv = sorted(intervals, key=lambda x: x[2])
    order = sorted(range(len(windows)), key=lambda k: windows[k][0])
    res = [None] * len(windows)
    active = []  # heap by poss_hi
    j = 0
    # windows sorted by s0; s1 is monotone enough (s1 >= s0); use max s1 so far
    for k in order:
        s0, s1 = windows[k]
        while j < len(iv) and iv[j][2] <= s1:
            heapq.heappush(active, (iv[j][3], j))
            j += 1
        while active and active[0][0] < s0:
            heapq.heappop(active)
        sure = poss = 0
        for _, idx in active:
            a = iv[idx]
            if a[2] <= s1:
                poss += 1
                if a[0] <= s0 and a[1] >= s1:
                    sure += 1
        res[k] = (sure, poss)
    return res


def rebuilt_intervals(run):
    """When each message was in the broker: (sure_lo, sure_hi, poss_lo,
    poss_hi). It entered between its publish call and its confirmation, and
    left between the start of its final ack (or dead-lettering) and when
    that was confirmed; an asynchronous ack (RabbitMQ's basic.ack) is known
    processed once the worker's next delivery arrives (prefetch 1) or the
    run ends."""
    end = max([r["done"] or 0 for r in run.rows] + [t1 for _, t1, _ in run.depth] + [0]) + 1.0
    final = {}
    for r in run.rows:
        if r["outcome"] == "ack":
            final[r["id"]] = (r["ack_start"], r["ack_end"], r)
        elif r["outcome"] == "dead":
            final[r["id"]] = (r["ack_start"] if r["ack_start"] is not None else r["done"], r["done"], r)
    ack_sync = run.info["ack_sync"]
    nxt = next_delivery_after(run)
    out = []
    for mid, (c, conf) in run.published.items():
        lo_hi = final.get(mid)
        if lo_hi is None:
            out.append((conf, end, c, end))
            continue
        rm_lo, rm_hi, r = lo_hi
        if r["outcome"] == "ack" and not ack_sync:
            rm_hi = nxt.get(id(r), end)
        out.append((conf, rm_lo, c, rm_hi))
    return out


def next_delivery_after(run):
    """For each delivery row: when the same worker's next delivery arrived
    (for asynchronous acks, proof the broker had processed this one, with
    prefetch 1)."""
    nxt = {}
    for rs in run.by_worker.values():
        for a, b in zip(rs, rs[1:]):
            nxt[id(a)] = b["delivered"]
    return nxt


def ready_intervals(run):
    """When each message was READY at the broker (for a depth that counts
    ready messages only; acks do not change it): from its publish (between
    the publish call and its confirmation) until it was sent to a consumer
    (between that delivery's fetch_lo and its arrival), and again from each
    requeueing nack (sent at ack_start, processed some time before the
    message was next sent) until its next send. A message nacked for the
    last time is dead-lettered, not ready."""
    end = max([r["done"] or 0 for r in run.rows] + [t1 for _, t1, _ in run.depth] + [0]) + 1.0
    by_id = defaultdict(list)
    for r in run.deliveries:
        by_id[r["id"]].append(r)
    dead = {r["id"] for r in run.rows if r["outcome"] == "dead"}
    out = []
    for mid, (c, conf) in run.published.items():
        ds = sorted(by_id.get(mid, []), key=lambda r: r["delivered"])
        if not ds:
            out.append((conf, end, c, end))
            continue
        out.append((conf, ds[0]["fetch_lo"], c, ds[0]["delivered"]))
        for a, b in zip(ds, ds[1:]):
            # never surely ready: when the nack was processed is unknown
            out.append((b["delivered"], b["fetch_lo"], a["ack_start"], b["delivered"]))
        last = ds[-1]
        if last["outcome"] == "fail" and mid not in dead:
            out.append((end, end, last["ack_start"], end))
    return out


def depth_check(run):
    windows = [(t0, t1) for t0, t1, _ in run.depth]
    ready_only = run.info["depth_kind"].startswith("ready:")
    present = _count_intervals(ready_intervals(run) if ready_only else rebuilt_intervals(run), windows)
    bad = []
    widths = []
    exact = 0
    for k, (t0, t1, d) in enumerate(run.depth):
        lo, hi = present[k]
        widths.append(hi - lo)
        if lo == hi == d:
            exact += 1
        if not (lo <= d <= hi):
            bad.append((round(t0, 3), d, lo, hi))
    n = len(run.depth)
    return check("the broker's depth equals the depth rebuilt from the log",
                 n > 0 and not bad,
                 f"{n} samples of {run.info['depth_kind']}; {len(bad)} outside the rebuilt "
                 f"[surely, possibly] bracket; bracket width mean {mean(widths) or 0:.2f}, "
                 f"max {max(widths) if widths else 0}; {exact} samples where the bracket is a single "
                 f"value and equals the broker's"
                 + (f"; first misses (t, broker, lo, hi): {bad[:5]}" if bad else ""))


# ------------------------------------------------------------ metrics

def real_metrics(run, horizon, burst=None):
    """The metrics compared with mqsim, from the real log. Windows are on
    the run's clock; the workload's horizon starts at consume_start."""
    t_start = run.start
    t_end = t_start + horizon
    acks = [r for r in run.rows if r["outcome"] == "ack"]
    acked_in = sum(1 for r in acks if t_start <= r["done"] < t_end)
    e2e = [r["done"] - r["created"] for r in acks]
    depth_series = [((a + b) / 2, d) for a, b, d in run.depth]
    m = {
        "published": len(run.published),
        "processed": len(acks),
        "deliveries": len(run.deliveries),
        "failures": sum(1 for r in run.rows if r["outcome"] == "fail"),
        "dead_letters": sum(1 for r in run.rows if r["outcome"] == "dead"),
        "throughput_per_s": acked_in / horizon,
        "e2e_p50_s": pct(e2e, 0.5),
        "e2e_p99_s": pct(e2e, 0.99),
        "e2e_mean_s": mean(e2e),
        "peak_depth": max((d for _, d in depth_series), default=None),
    }
    m["redeliveries"] = m["deliveries"] - len({r["id"] for r in run.deliveries})
    if burst:
        m["drain_s"] = drain_time(depth_series, t_start + burst[0] + burst[1],
                                  drain_threshold(run.info["depth_kind"], run.workers))
        # The overhead as it was in this run's backlog (a diagnostic of the
        # probe): from 1 s into the burst to 1 s before the drain ended.
        if m["drain_s"] is not None:
            m["backlog_overhead_s"] = summary(overhead_between(
                run, t_start + burst[0] + 1.0, t_start + burst[0] + burst[1] + m["drain_s"] - 1.0))
    # redelivery delay: from a failure to the next delivery of the same message
    by_id = defaultdict(list)
    for r in run.deliveries:
        by_id[r["id"]].append(r)
    gaps = []
    for v in by_id.values():
        v.sort(key=lambda r: r["delivered"])
        for a, b in zip(v, v[1:]):
            gaps.append(b["delivered"] - a["done"])
    m["redelivery_delay"] = summary(gaps)
    return m


def drain_threshold(depth_kind, workers):
    """A backlog is gone when at most one message per worker is left
    (ready + unacked), or none ready (a depth of ready messages only)."""
    return 0 if depth_kind.startswith("ready:") else workers


def drain_time(series, burst_end, threshold):
    """Seconds from the end of the burst until the depth first falls to the
    threshold; None if it never does."""
    for t, d in series:
        if t >= burst_end and d <= threshold:
            return t - burst_end
    return None


# ------------------------------------------------------------ probes

def overhead_samples(run):
    """Per worker, the time from one delivery to its next minus the service
    time drawn for the first, while the backlog lasted (only pairs whose
    next delivery came before the last `workers` deliveries of the run,
    so no worker was waiting for work)."""
    all_deliv = sorted(r["delivered"] for r in run.deliveries)
    if len(all_deliv) <= run.workers:
        return []
    cutoff = all_deliv[-run.workers]
    out = []
    for rs in run.by_worker.values():
        for a, b in zip(rs, rs[1:]):
            if b["delivered"] < cutoff:
                out.append(b["delivered"] - a["delivered"] - (a["svc"] or 0.0))
    return out


def overhead_between(run, lo, hi):
    """Overhead samples (as overhead_samples) of the deliveries in [lo, hi]."""
    out = []
    for rs in run.by_worker.values():
        for a, b in zip(rs, rs[1:]):
            if lo <= a["delivered"] and b["delivered"] <= hi:
                out.append(b["delivered"] - a["delivered"] - (a["svc"] or 0.0))
    return out


def overhead_parts(run):
    """The cycle split: fetch (previous done to next delivered) and the ack
    (service end to done), while backlogged."""
    all_deliv = sorted(r["delivered"] for r in run.deliveries)
    cutoff = all_deliv[-run.workers] if len(all_deliv) > run.workers else 0
    fetch, ack = [], []
    for rs in run.by_worker.values():
        for a, b in zip(rs, rs[1:]):
            if b["delivered"] < cutoff:
                fetch.append(b["delivered"] - a["done"])
        for a in rs:
            ack.append(a["done"] - a["ack_start"])
    return fetch, ack


def handoff_samples(run):
    """Publish to first delivery, per message."""
    first = {}
    for r in run.deliveries:
        if r["id"] not in first or r["delivered"] < first[r["id"]]:
            first[r["id"]] = r["delivered"]
    return [first[i] - c for i, (c, _) in run.published.items() if i in first]
