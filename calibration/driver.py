#!/usr/bin/env python3
"""Load driver of the calibration suite: one workload against one real broker.

A run publishes a reference workload (Poisson arrivals, optionally a burst
window at a higher rate, or a preloaded backlog), runs N consumer processes
with a seeded service time and failure probability, lets the broker (or the
application, where the broker has no such thing) redeliver failed messages
up to a delivery limit and then dead-letter them, and writes:

  deliveries.csv   id,key,worker,created,delivered,done,outcome
                   one row per delivery attempt (outcome ack or fail), plus
                   one row outcome dead per dead-lettered message (delivered
                   empty, done = when it was dead-lettered or seen in the
                   DLQ). Times are seconds since the run's start. This is the
                   contract `mqsim fit` will read.
  depth.csv        t,depth: the broker's own depth every 100 ms (which depth
                   each broker reports: see run.json "depth_kind").
  deliveries_ext.csv, published.csv, depth_ext.csv
                   the same with the extra timings the exact checks need
                   (when a publish returned, when an ack was sent, when the
                   depth request went out and came back, the broker's
                   delivery counter, the drawn service time).
  run.json         the workload, the broker, counts and timings.

Usage: driver.py --broker redis --out DIR [workload options]; see --help.
"""

import argparse
import csv
import json
import math
import multiprocessing as mp
import os
import random
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from brokers import load_broker  # noqa: E402

SAMPLE_S = 0.1


def now(t0):
    return time.monotonic() - t0


def fmt(x):
    return "" if x is None else f"{x:.6f}"


# ---------------------------------------------------------------- arrivals

def arrival_times(cfg):
    """Poisson arrivals over [0, horizon), plus a burst window at a higher
    total rate. Seeded: the same cfg gives the same times."""
    rng = random.Random(f"{cfg.seed}-arrivals")
    times = []
    t = 0.0
    if cfg.rate > 0:
        while True:
            t += rng.expovariate(cfg.rate)
            if t >= cfg.horizon:
                break
            times.append(t)
    if cfg.burst:
        start, dur, rate = cfg.burst
        extra = rate - cfg.rate
        t = start
        while extra > 0:
            t += rng.expovariate(extra)
            if t >= start + dur:
                break
            times.append(t)
    times.sort()
    return times


# ---------------------------------------------------------------- processes

def producer_main(cfg, t0, offset, published, prod_done, out_path, start_id):
    """Publishes at the scheduled times (at once if it fell behind); records
    when each publish was sent (created) and when the broker confirmed it."""
    try:
        broker = load_broker(cfg)
        pub = broker.publisher()
        times = arrival_times(cfg)
        rows = []
        for i, at in enumerate(times):
            wait = offset + at - now(t0)
            if wait > 0:
                time.sleep(wait)
            mid = start_id + i
            created = now(t0)
            pub.publish(mid, "", created)
            rows.append((mid, created, now(t0)))
            with published.get_lock():
                published.value += 1
        pub.close()
        with open(out_path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "key", "created", "confirmed"])
            for mid, c, e in rows:
                w.writerow([mid, "", fmt(c), fmt(e)])
    except Exception:
        traceback.print_exc()
        os._exit(3)
    finally:
        prod_done.set()


EXT_HEADER = ["id", "key", "worker", "created", "delivered", "done", "outcome",
              "svc", "count", "fetch_lo", "ack_start", "ack_end"]


class Recorder:
    """A consumer's rows, and the shared count of finished messages."""

    def __init__(self, path, finished):
        self.path = path
        self.rows = []
        self.finished = finished

    def add(self, *row):
        self.rows.append(row)

    def finish_one(self):
        with self.finished.get_lock():
            self.finished.value += 1

    def write(self):
        with open(self.path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(EXT_HEADER)
            for r in self.rows:
                w.writerow([fmt(x) if isinstance(x, float) else ("" if x is None else x) for x in r])


def service_draw(cfg, rng):
    kind, mean = cfg.service
    if kind == "exp":
        return rng.expovariate(1.0 / mean) if mean > 0 else 0.0
    return mean  # const (0 for none)


def handle(cfg, rng, rec, d, w, t0, c, sleep):
    """The per-delivery logic shared by every broker: draw the service time
    and whether it fails, ack or fail it, and dead-letter it at the limit
    where the application does that (Redis, PostgreSQL). Yields for sleep
    (a generator so the asyncio consumer can await the same logic)."""
    svc = service_draw(cfg, rng)
    fail = rng.random() < cfg.fail
    if svc > 0:
        yield ("sleep", svc)
    if not fail:
        a0 = now(t0)
        yield ("ack", d)
        done = now(t0)
        rec.add(d.id, "", w, d.created, d.delivered, done, "ack", svc, d.count, d.fetch_lo, a0, done)
        rec.finish_one()
        return
    a0 = now(t0)
    if c.app_dead_letters and d.count >= cfg.max_deliveries:
        # The application's give-up rule: the last allowed delivery failed.
        rec.add(d.id, "", w, d.created, d.delivered, a0, "fail", svc, d.count, d.fetch_lo, a0, a0)
        yield ("dead", d)
        done = now(t0)
        rec.add(d.id, "", w, d.created, None, done, "dead", None, d.count, None, a0, done)
        rec.finish_one()
        return
    yield ("nack", d)
    done = now(t0)
    rec.add(d.id, "", w, d.created, d.delivered, done, "fail", svc, d.count, d.fetch_lo, a0, done)


def consumer_main(cfg, w, t0, stop, go, finished, out_path):
    rec = Recorder(out_path, finished)
    try:
        broker = load_broker(cfg)
        rng = random.Random(f"{cfg.seed}-consumer-{w}")
        c = broker.consumer(w, t0)
        if getattr(c, "is_async", False):
            import asyncio
            asyncio.run(c.run_async(cfg, rng, rec, w, stop, go, handle))
        else:
            go.wait()
            while not stop.is_set():
                d = c.fetch(0.05)
                if d is None:
                    continue
                for step, arg in handle(cfg, rng, rec, d, w, t0, c, time.sleep):
                    if step == "sleep":
                        time.sleep(arg)
                    elif step == "ack":
                        c.ack(arg)
                    elif step == "nack":
                        c.nack(arg)
                    elif step == "dead":
                        c.dead_letter(arg)
            c.close()
    except Exception:
        traceback.print_exc()
        rec.write()
        os._exit(3)
    rec.write()
    with open(out_path + ".meta", "w") as f:
        json.dump({"worker": w, "max_held": getattr(c, "most_buffered", None)}, f)


def watcher_main(cfg, t0, stop, finished, out_path):
    """Where the broker dead-letters (RabbitMQ's DLX, NATS's advisory), one
    process sees each dead letter and writes its `dead` row."""
    rec = Recorder(out_path, finished)
    try:
        broker = load_broker(cfg)
        broker.watch_dead(t0, stop, rec)
    except Exception:
        traceback.print_exc()
        rec.write()
        os._exit(3)
    rec.write()


def sampler_main(cfg, t0, stop, out_path):
    """The broker's own depth every 100 ms, in its own process (no thread
    lives in the parent while it forks)."""
    rows = []
    try:
        broker = load_broker(cfg)
        probe = broker.depth_probe()
        k = math.floor(now(t0) / SAMPLE_S)
        while not stop.is_set():
            t_req = now(t0)
            try:
                depth, ready, unacked = probe.sample()
            except Exception as e:  # a failed sample is recorded, never invented
                rows.append((t_req, now(t0), None, None, None, repr(e)))
            else:
                rows.append((t_req, now(t0), depth, ready, unacked, ""))
            k += 1
            wait = k * SAMPLE_S - now(t0)
            if wait > 0:
                stop.wait(wait)
            else:
                k = math.floor(now(t0) / SAMPLE_S) + 1
        probe.close()
    except Exception:
        traceback.print_exc()
    with open(out_path, "w", newline="") as f:
        w = csv.writer(f)
        for r in rows:
            w.writerow(["" if x is None else x for x in r])


# ---------------------------------------------------------------- one run

def run(cfg):
    os.makedirs(cfg.out, exist_ok=True)
    parts = os.path.join(cfg.out, "parts")
    os.makedirs(parts, exist_ok=True)
    ctx = mp.get_context("fork")
    broker = load_broker(cfg)
    broker.setup()
    published = ctx.Value("l", 0)
    finished = ctx.Value("l", 0)
    stop = ctx.Event()
    go = ctx.Event()
    prod_done = ctx.Event()
    wall_start = time.time()
    t0 = time.monotonic()

    preload_rows = []
    if cfg.preload:
        # A backlog published before the consumers start (created < 0 is
        # impossible: the clock starts before the preload).
        pub = broker.publisher()
        for i in range(cfg.preload):
            c = now(t0)
            pub.publish(i, "", c)
            preload_rows.append((i, c, now(t0)))
        pub.close()
        published.value = cfg.preload

    samp_stop = ctx.Event()
    samp_path = os.path.join(cfg.out, "depth.part")
    samp = ctx.Process(target=sampler_main, args=(cfg, t0, samp_stop, samp_path))
    samp.start()

    procs = []
    watcher = None
    if broker.broker_dead_letters:
        watcher = ctx.Process(target=watcher_main,
                              args=(cfg, t0, stop, finished, os.path.join(parts, "dead.csv")))
        watcher.start()
    for w in range(cfg.workers):
        p = ctx.Process(target=consumer_main,
                        args=(cfg, w, t0, stop, go, finished, os.path.join(parts, f"c{w}.csv")))
        p.start()
        procs.append(p)
    time.sleep(0.3)  # let the consumers connect
    consume_start = now(t0)
    go.set()
    producer = None
    if cfg.rate > 0 or cfg.burst:
        # Arrivals are scheduled from consume_start, on the run's one clock.
        producer = ctx.Process(target=producer_main,
                               args=(cfg, t0, consume_start, published, prod_done,
                                     os.path.join(parts, "published.csv"), cfg.preload))
        producer.start()
    else:
        prod_done.set()

    deadline = None
    while True:
        time.sleep(0.05)
        if any(p.exitcode not in (None, 0) for p in procs + [x for x in (producer, watcher) if x]):
            print("driver: a process failed", file=sys.stderr)
            break
        if prod_done.is_set():
            if deadline is None:
                deadline = time.monotonic() + cfg.max_drain
            if finished.value >= published.value:
                break
            if time.monotonic() > deadline:
                print(f"driver: {published.value - finished.value} messages unfinished "
                      f"{cfg.max_drain} s after the last publish", file=sys.stderr)
                break
    end = now(t0)
    time.sleep(0.3)  # a few more depth samples at the end
    stop.set()
    for p in procs:
        p.join(30)
    if watcher:
        watcher.join(30)
    if producer:
        producer.join(30)
    samp_stop.set()
    samp.join(10)
    depth_rows = []
    if os.path.exists(samp_path):
        with open(samp_path) as f:
            for r in csv.reader(f):
                depth_rows.append((float(r[0]), float(r[1]), int(r[2]) if r[2] else None,
                                   int(r[3]) if r[3] else None, int(r[4]) if r[4] else None, r[5]))
        os.remove(samp_path)
    failed = [p.exitcode for p in procs + [x for x in (producer, watcher) if x] if p.exitcode != 0]
    broker.teardown()

    pub_rows = list(preload_rows)
    ppath = os.path.join(parts, "published.csv")
    if os.path.exists(ppath):
        with open(ppath) as f:
            for r in csv.DictReader(f):
                pub_rows.append((int(r["id"]), float(r["created"]), float(r["confirmed"])))

    rows = []
    held = {}
    for name in sorted(os.listdir(parts)):
        if name.endswith(".meta"):
            with open(os.path.join(parts, name)) as f:
                m = json.load(f)
            held[m["worker"]] = m["max_held"]
            continue
        if name == "published.csv":
            continue
        with open(os.path.join(parts, name)) as f:
            rows.extend(csv.DictReader(f))

    def order(r):
        t = r["delivered"] or r["done"]
        return float(t) if t else 0.0
    rows.sort(key=order)
    # Rows that only the watcher could write lack the time the broker may
    # have removed the message: from the last failed delivery's ack on.
    # The worker of such a row is the one whose failure was the last.
    last_fail = {}
    for r in rows:
        if r["outcome"] == "fail":
            last_fail[r["id"]] = r
    for r in rows:
        if r["outcome"] == "dead" and r["id"] in last_fail:
            if not r["ack_start"]:
                r["ack_start"] = last_fail[r["id"]]["ack_start"]
            if r["worker"] == "":
                r["worker"] = last_fail[r["id"]]["worker"]

    with open(os.path.join(cfg.out, "deliveries.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(EXT_HEADER[:7])
        for r in rows:
            w.writerow([r[k] for k in EXT_HEADER[:7]])
    with open(os.path.join(cfg.out, "deliveries_ext.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(EXT_HEADER)
        for r in rows:
            w.writerow([r[k] for k in EXT_HEADER])
    pub_rows.sort()
    with open(os.path.join(cfg.out, "published.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "key", "created", "confirmed"])
        for mid, c, e in pub_rows:
            w.writerow([mid, "", fmt(c), fmt(e)])
    with open(os.path.join(cfg.out, "depth.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t", "depth"])
        for t_req, t_resp, d, _, _, err in depth_rows:
            if d is not None:
                w.writerow([fmt((t_req + t_resp) / 2), d])
    with open(os.path.join(cfg.out, "depth_ext.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t_req", "t_resp", "depth", "ready", "unacked", "error"])
        for t_req, t_resp, d, rd, ua, err in depth_rows:
            w.writerow([fmt(t_req), fmt(t_resp), "" if d is None else d,
                        "" if rd is None else rd, "" if ua is None else ua, err])
    info = {
        "broker": cfg.broker,
        "broker_version": broker.version,
        "depth_kind": broker.depth_kind,
        "ack_sync": broker.ack_sync,
        "broker_dead_letters": broker.broker_dead_letters,
        "settings": broker.settings(),
        "workload": {
            "workers": cfg.workers, "rate_per_s": cfg.rate, "horizon_s": cfg.horizon,
            "burst": cfg.burst, "service": cfg.service, "fail": cfg.fail,
            "max_deliveries": cfg.max_deliveries, "seed": cfg.seed, "preload": cfg.preload,
            "prefetch": cfg.prefetch,
        },
        "consume_start_s": consume_start,
        # most deliveries a consumer held at once, where the client can tell
        "consumer_max_held": held if any(v is not None for v in held.values()) else None,
        "end_s": end,
        "published": published.value,
        "finished": finished.value,
        "process_failures": failed,
        "wall_clock_start": wall_start,
        "depth_samples": len(depth_rows),
    }
    with open(os.path.join(cfg.out, "run.json"), "w") as f:
        json.dump(info, f, indent=1)
    if failed:
        raise SystemExit(f"driver: processes failed: {failed}")
    return info


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--broker", required=True, choices=["redis", "postgres", "rabbitmq", "nats"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--rate", type=float, default=0.0, help="Poisson arrivals per second")
    ap.add_argument("--horizon", type=float, default=0.0, help="seconds of arrivals")
    ap.add_argument("--burst", default=None, help="START,DURATION,RATE: total rate in the window")
    ap.add_argument("--service", default="exp:0.020", help="exp:MEAN_S | const:S (const:0 = none)")
    ap.add_argument("--fail", type=float, default=0.0, help="probability each delivery fails")
    ap.add_argument("--max-deliveries", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--preload", type=int, default=0, help="messages published before consuming")
    ap.add_argument("--prefetch", type=int, default=1, help="RabbitMQ basic.qos prefetch")
    ap.add_argument("--min-idle", type=float, default=0.5, help="Redis XAUTOCLAIM min-idle, s")
    ap.add_argument("--poll", type=float, default=0.1, help="PostgreSQL poll interval when empty, s")
    ap.add_argument("--max-drain", type=float, default=120.0)
    cfg = ap.parse_args(argv)
    kind, _, val = cfg.service.partition(":")
    if kind not in ("exp", "const"):
        ap.error("--service: exp:MEAN or const:VALUE")
    cfg.service = (kind, float(val))
    if cfg.burst:
        s, d, r = (float(x) for x in cfg.burst.split(","))
        cfg.burst = (s, d, r)
    return cfg


if __name__ == "__main__":
    info = run(parse())
    print(json.dumps({k: info[k] for k in ("broker", "published", "finished", "end_s")}))
