"""One module per broker. Each gives a class with the same shape:

  setup() / teardown()      a fresh queue, stream or table for the run
  publisher()               .publish(id, key, created), .close()
  consumer(worker, t0)      .fetch(timeout) -> Delivery or None, .ack(d),
                            .nack(d), .dead_letter(d), .close()
                            (or .run_async(...) for an asyncio client)
  depth_probe()             .sample() -> (depth, ready, unacked), .close()
  watch_dead(t0, stop, rec) where the broker dead-letters by itself
  depth_kind, ack_sync, broker_dead_letters, version, settings()
"""

import time


class Delivery:
    __slots__ = ("id", "created", "delivered", "count", "fetch_lo", "handle")

    def __init__(self, mid, created, delivered, count, fetch_lo, handle):
        self.id = mid
        self.created = created
        self.delivered = delivered
        self.count = count
        self.fetch_lo = fetch_lo
        self.handle = handle


def payload(mid, created):
    return f"{mid},{created:.6f}".encode()


def unpayload(data):
    mid, created = data.decode().split(",")
    return int(mid), float(created)


def load_broker(cfg):
    if cfg.broker == "redis":
        from brokers.redis_streams import RedisStreams as B
    elif cfg.broker == "postgres":
        from brokers.postgres_queue import PostgresQueue as B
    elif cfg.broker == "rabbitmq":
        from brokers.rabbitmq_quorum import RabbitQuorum as B
    elif cfg.broker == "nats":
        from brokers.nats_jetstream import NatsJetStream as B
    else:
        raise ValueError(cfg.broker)
    return B(cfg)


def clock(t0):
    return time.monotonic() - t0
