"""Redis Streams with a consumer group.

New entries are read with XREADGROUP ... BLOCK 50 (so an idle consumer looks
again every 50 ms), acked with XACK. A failed entry is left pending; the
failing consumer resets its idle time (XCLAIM ... IDLE 0 JUSTID, which does
not count a delivery), so it becomes claimable MIN_IDLE after the failure.
Before reading new entries each consumer calls XAUTOCLAIM ... COUNT 1 (every
50 ms, or at once again after a call that claimed an entry), making one pass
over the pending entries list by following the command's cursor (a call
scans at most 10 x COUNT entries), and takes the first entry idle longer
than MIN_IDLE: the delivery counter is the entry's times_delivered from
XPENDING. At the delivery limit the application dead-letters it: XADD to a
second stream and XACK, in one MULTI. Depth = the group's lag (entries not
yet delivered) + pending (delivered and not acked, including failed ones
waiting to be reclaimed), both from one XINFO GROUPS.
"""

import redis

from brokers import Delivery, clock, payload, unpayload

PORT = 26379
STREAM = "cal:jobs"
DLQ = "cal:dlq"
GROUP = "workers"
CLAIM_EVERY_S = 0.05


def connect():
    return redis.Redis(host="127.0.0.1", port=PORT)


class RedisStreams:
    depth_kind = "ready+unacked: XINFO GROUPS lag + pending"
    ack_sync = True
    broker_dead_letters = False

    def __init__(self, cfg):
        self.cfg = cfg
        self.min_idle_ms = int(round(cfg.min_idle * 1000))
        self._version = None

    @property
    def version(self):
        if self._version is None:
            self._version = connect().info("server")["redis_version"]
        return self._version

    def settings(self):
        return {"xautoclaim_min_idle_s": self.min_idle_ms / 1000, "claim_every_s": CLAIM_EVERY_S,
                "xreadgroup_block_s": 0.05, "dlq": "second stream, application rule",
                "max_deliveries": self.cfg.max_deliveries}

    def setup(self):
        r = connect()
        r.delete(STREAM, DLQ)
        r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        r.close()

    def teardown(self):
        pass

    def publisher(self):
        return Publisher()

    def consumer(self, w, t0):
        return Consumer(w, t0, self.min_idle_ms)

    def depth_probe(self):
        return DepthProbe()


class Publisher:
    def __init__(self):
        self.r = connect()

    def publish(self, mid, key, created):
        self.r.xadd(STREAM, {"m": payload(mid, created)})

    def close(self):
        self.r.close()


class Consumer:
    app_dead_letters = True

    def __init__(self, w, t0, min_idle_ms):
        self.r = connect()
        self.name = f"c{w}"
        self.t0 = t0
        self.min_idle_ms = min_idle_ms
        self.last_claim = -1.0
        self.claim_hot = False

    def fetch(self, timeout):
        t0 = self.t0
        t = clock(t0)
        if self.claim_hot or t - self.last_claim >= CLAIM_EVERY_S:
            self.last_claim = t
            self.claim_hot = False
            # One pass over the PEL: XAUTOCLAIM scans at most 10 x COUNT
            # entries a call, so follow its cursor until it wraps to 0-0.
            cursor = "0-0"
            while True:
                lo = clock(t0)
                cursor, entries, _ = self.r.xautoclaim(STREAM, GROUP, self.name, self.min_idle_ms,
                                                       cursor, count=1)
                if entries:
                    self.claim_hot = True  # look again at once: there may be more
                    eid, fields = entries[0]
                    p = self.r.xpending_range(STREAM, GROUP, eid, eid, 1)
                    mid, created = unpayload(fields[b"m"])
                    return Delivery(mid, created, clock(t0), p[0]["times_delivered"], lo, eid)
                if cursor in (b"0-0", "0-0"):
                    break
        lo = clock(t0)
        res = self.r.xreadgroup(GROUP, self.name, {STREAM: ">"}, count=1, block=int(timeout * 1000))
        if not res:
            return None
        eid, fields = res[0][1][0]
        mid, created = unpayload(fields[b"m"])
        return Delivery(mid, created, clock(t0), 1, lo, eid)

    def ack(self, d):
        self.r.xack(STREAM, GROUP, d.handle)

    def nack(self, d):
        # Back to claimable after MIN_IDLE from now, without counting a delivery.
        self.r.xclaim(STREAM, GROUP, self.name, 0, [d.handle], idle=0, justid=True)

    def dead_letter(self, d):
        p = self.r.pipeline(transaction=True)
        p.xadd(DLQ, {"m": payload(d.id, d.created), "deliveries": d.count})
        p.xack(STREAM, GROUP, d.handle)
        p.execute()

    def close(self):
        self.r.close()


class DepthProbe:
    def __init__(self):
        self.r = connect()

    def sample(self):
        g = self.r.xinfo_groups(STREAM)[0]
        lag, pending = g["lag"], g["pending"]
        return lag + pending, lag, pending

    def close(self):
        self.r.close()
