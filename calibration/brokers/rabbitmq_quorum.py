"""RabbitMQ quorum queue: x-queue-type=quorum, x-delivery-limit, a
dead-letter exchange; manual acks, basic.qos prefetch (1 unless asked).

Publishes wait for publisher confirms. A consumer acks on success and
nacks with requeue=True on failure. The broker counts deliveries itself
(the x-delivery-count header: returns so far) and dead-letters a message
returned more than x-delivery-limit times to the exchange cal.dlx, bound
to the classic queue cal.dlq, which a watcher process reads: its `dead`
row is written when the dead letter is seen there. x-delivery-limit is
set to max_deliveries - 1, so a message is delivered at most
max_deliveries times. Depth = the message count of a passive
queue.declare, which for a quorum queue is the messages READY (not the
unacknowledged ones): RabbitMQ reports no unacked count over AMQP, and
the management API's counts are periodic statistics, not a sample.
basic.ack is asynchronous: it is known processed once the worker's next
delivery arrives (with prefetch 1), or at the end of the run.

RabbitMQ 3.10 (Debian 12's) grants a consumer credit twice when a message
it nacked is dead-lettered at the delivery limit (rabbitmq-server PR
#5609, fixed from 3.11): each such dead letter lets that consumer hold
one more unacked message than its prefetch. The driver records the most
deliveries each consumer held at once (run.json consumer_max_held).
"""

import collections

import pika

from brokers import Delivery, clock, payload, unpayload

PORT = 25672
QUEUE = "cal.jobs"
DLX = "cal.dlx"
DLQ = "cal.dlq"


def connect():
    return pika.BlockingConnection(pika.ConnectionParameters(
        host="127.0.0.1", port=PORT, heartbeat=0, blocked_connection_timeout=300))


class RabbitQuorum:
    depth_kind = "ready: passive queue.declare message_count (ready only)"
    ack_sync = False
    broker_dead_letters = True

    def __init__(self, cfg):
        self.cfg = cfg
        self._version = None

    @property
    def version(self):
        if self._version is None:
            c = connect()
            self._version = (c._impl.server_properties or {}).get("version", b"?")
            if isinstance(self._version, bytes):
                self._version = self._version.decode()
            c.close()
        return self._version

    def args(self):
        return {"x-queue-type": "quorum", "x-delivery-limit": self.cfg.max_deliveries - 1,
                "x-dead-letter-exchange": DLX}

    def settings(self):
        return {"queue": "quorum", "queue_arguments": self.args(), "prefetch": self.cfg.prefetch,
                "publisher_confirms": True, "nack": "basic.nack requeue=true",
                "max_deliveries": self.cfg.max_deliveries}

    def setup(self):
        c = connect()
        ch = c.channel()
        ch.queue_delete(QUEUE)
        ch.queue_delete(DLQ)
        ch.exchange_declare(DLX, exchange_type="fanout", durable=True)
        ch.queue_declare(DLQ, durable=True)
        ch.queue_bind(DLQ, DLX)
        ch.queue_declare(QUEUE, durable=True, arguments=self.args())
        c.close()

    def teardown(self):
        pass

    def publisher(self):
        return Publisher()

    def consumer(self, w, t0):
        return Consumer(w, t0, self.cfg.prefetch)

    def depth_probe(self):
        return DepthProbe()

    def watch_dead(self, t0, stop, rec):
        c = connect()
        ch = c.channel()

        def on_dead(chan, method, props, body):
            mid, created = unpayload(body)
            done = clock(t0)
            rec.add(mid, "", None, created, None, done, "dead", None, None, None, None, done)
            rec.finish_one()
            chan.basic_ack(method.delivery_tag)

        ch.basic_consume(DLQ, on_dead)
        while not stop.is_set():
            c.process_data_events(time_limit=0.05)
        c.close()


class Publisher:
    def __init__(self):
        self.c = connect()
        self.ch = self.c.channel()
        self.ch.confirm_delivery()
        self.props = pika.BasicProperties(delivery_mode=2)

    def publish(self, mid, key, created):
        self.ch.basic_publish("", QUEUE, payload(mid, created), self.props, mandatory=True)

    def close(self):
        self.c.close()


class Consumer:
    app_dead_letters = False

    def __init__(self, w, t0, prefetch):
        self.t0 = t0
        self.c = connect()
        self.ch = self.c.channel()
        self.ch.basic_qos(prefetch_count=prefetch)
        self.buf = collections.deque()
        # Most deliveries held at once (prefetch should bound it).
        self.most_buffered = 0
        # A message dispatched by one process_data_events call reached the
        # socket after the previous call started (that call dispatched
        # everything already there): the earliest the broker can have sent it.
        # (Not the previous ack: RabbitMQ 3.10's quorum queues can exceed
        # the prefetch, see on_message.)
        self.pde_prev = clock(t0)
        self.ch.basic_consume(QUEUE, self.on_message)

    def on_message(self, chan, method, props, body):
        hdr = props.headers or {}
        self.buf.append((method.delivery_tag, body, int(hdr.get("x-delivery-count", 0)) + 1,
                         self.pde_prev))

    def fetch(self, timeout):
        if not self.buf:
            start = clock(self.t0)
            self.c.process_data_events(time_limit=timeout)
            self.pde_prev = start
        if not self.buf:
            return None
        self.most_buffered = max(self.most_buffered, len(self.buf))
        tag, body, count, lo = self.buf.popleft()
        mid, created = unpayload(body)
        return Delivery(mid, created, clock(self.t0), count, lo, tag)

    def ack(self, d):
        self.ch.basic_ack(d.handle)

    def nack(self, d):
        self.ch.basic_nack(d.handle, requeue=True)

    def close(self):
        self.c.close()


class DepthProbe:
    def __init__(self):
        self.c = connect()
        self.ch = self.c.channel()

    def sample(self):
        n = self.ch.queue_declare(QUEUE, passive=True).method.message_count
        return n, n, None

    def close(self):
        self.c.close()
