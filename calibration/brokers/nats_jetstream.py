"""NATS JetStream: a file-backed stream CAL on subject cal.jobs and one
durable pull consumer `workers` shared by every worker (AckExplicit,
AckWait 30 s, MaxDeliver = max_deliveries).

Each worker is an asyncio task in its own process: fetch(1) with a 50 ms
timeout (a pull request the server holds until a message comes or it
expires), ack_sync on success (the server confirms the ack), nak on failure
(redelivered at once, before newer messages). The delivery counter is the
message's metadata num_delivered. JetStream has no dead-letter queue: when
a message has used its MaxDeliver the server publishes the advisory
$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.CAL.workers; a watcher process
subscribes to it, reads the message back by its stream sequence, and
writes the `dead` row when the advisory is seen. Depth = the consumer's
num_pending (not yet delivered) + num_ack_pending (delivered, not acked,
including nak'd ones awaiting redelivery), from one CONSUMER.INFO.
Publishes wait for the stream's PubAck.
"""

import asyncio
import json

import nats
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from brokers import Delivery, clock, payload, unpayload

URL = "nats://127.0.0.1:24222"
STREAM = "CAL"
SUBJECT = "cal.jobs"
DURABLE = "workers"
ADVISORY = f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{STREAM}.{DURABLE}"
ACK_WAIT_S = 30.0


class Sync:
    """A NATS connection driven from synchronous code by its own loop."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.nc = self.run(nats.connect(URL))
        self.js = self.nc.jetstream()

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def close(self):
        self.run(self.nc.close())
        self.loop.close()


class NatsJetStream:
    depth_kind = "ready+unacked: CONSUMER.INFO num_pending + num_ack_pending"
    ack_sync = True
    broker_dead_letters = True

    def __init__(self, cfg):
        self.cfg = cfg
        self._version = None

    @property
    def version(self):
        if self._version is None:
            s = Sync()
            self._version = s.nc._server_info.get("version", "?")
            s.close()
        return self._version

    def settings(self):
        return {"stream": "file storage, limits retention", "consumer": "durable pull, AckExplicit",
                "ack_wait_s": ACK_WAIT_S, "max_deliver": self.cfg.max_deliveries,
                "fetch": "fetch(1), 50 ms timeout", "ack": "ack_sync", "fail": "nak",
                "dead_letters": "MAX_DELIVERIES advisory", "max_deliveries": self.cfg.max_deliveries}

    def setup(self):
        s = Sync()
        try:
            s.run(s.js.delete_stream(STREAM))
        except Exception:
            pass
        s.run(s.js.add_stream(StreamConfig(name=STREAM, subjects=[SUBJECT])))
        s.run(s.js.add_consumer(STREAM, ConsumerConfig(
            durable_name=DURABLE, ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT_S,
            max_deliver=self.cfg.max_deliveries, filter_subject=SUBJECT)))
        s.close()

    def teardown(self):
        pass

    def publisher(self):
        return Publisher()

    def consumer(self, w, t0):
        return Consumer(w, t0)

    def depth_probe(self):
        return DepthProbe()

    def watch_dead(self, t0, stop, rec):
        asyncio.run(self._watch(t0, stop, rec))

    async def _watch(self, t0, stop, rec):
        nc = await nats.connect(URL)
        js = nc.jetstream()

        async def on_adv(msg):
            done = clock(t0)
            seq = json.loads(msg.data)["stream_seq"]
            m = await js.get_msg(STREAM, seq)
            mid, created = unpayload(m.data)
            rec.add(mid, "", None, created, None, done, "dead", None, None, None, None, done)
            rec.finish_one()

        await nc.subscribe(ADVISORY, cb=on_adv)
        await nc.flush()
        while not stop.is_set():
            await asyncio.sleep(0.02)
        await nc.drain()


class Publisher(Sync):
    def publish(self, mid, key, created):
        self.run(self.js.publish(SUBJECT, payload(mid, created)))


class Consumer:
    is_async = True

    def __init__(self, w, t0):
        self.t0 = t0

    async def run_async(self, cfg, rng, rec, w, stop, go, handle):
        t0 = self.t0
        nc = await nats.connect(URL)
        js = nc.jetstream()
        psub = await js.pull_subscribe(SUBJECT, durable=DURABLE, stream=STREAM)
        while not go.is_set():
            await asyncio.sleep(0.01)
        while not stop.is_set():
            lo = clock(t0)
            try:
                msgs = await psub.fetch(1, timeout=0.05)
            except nats.errors.TimeoutError:
                continue
            for msg in msgs:
                mid, created = unpayload(msg.data)
                d = Delivery(mid, created, clock(t0), msg.metadata.num_delivered, lo, msg)
                for step, arg in handle(cfg, rng, rec, d, w, t0, self, None):
                    if step == "sleep":
                        await asyncio.sleep(arg)
                    elif step == "ack":
                        await arg.handle.ack_sync()
                    elif step == "nack":
                        await arg.handle.nak()
        await nc.close()

    app_dead_letters = False


class DepthProbe(Sync):
    def sample(self):
        i = self.run(self.js.consumer_info(STREAM, DURABLE))
        return i.num_pending + i.num_ack_pending, i.num_pending, i.num_ack_pending
