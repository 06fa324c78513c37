"""PostgreSQL as a queue: a jobs table polled with SELECT ... FOR UPDATE
SKIP LOCKED.

A worker claims the oldest unlocked row and counts the attempt in one
statement (UPDATE jobs SET attempts = attempts + 1 WHERE id = (SELECT id
... ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING ...), keeping
the transaction (and the row lock) open while it works. Success deletes
the row and commits. A failure commits only the attempt count: the row is
unlocked and, keeping its id, is the next one taken (head). At the
delivery limit the application moves the row to a dlq table in the same
transaction. A worker that finds no row ends its transaction and sleeps
the poll interval. Depth = SELECT count(*) FROM jobs (rows not yet done or
dead-lettered: ready + in progress, as one statement's snapshot sees them).
Every publish is one autocommitted INSERT.
"""

import time

import psycopg

from brokers import Delivery, clock

PORT = 25432
DSN = f"host=127.0.0.1 port={PORT} user=postgres dbname=postgres"

CLAIM = ("UPDATE jobs SET attempts = attempts + 1 WHERE id = "
         "(SELECT id FROM jobs ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) "
         "RETURNING id, created, attempts")


class PostgresQueue:
    depth_kind = "ready+unacked: SELECT count(*) FROM jobs"
    ack_sync = True
    broker_dead_letters = False

    def __init__(self, cfg):
        self.cfg = cfg
        self._version = None

    @property
    def version(self):
        if self._version is None:
            with psycopg.connect(DSN, autocommit=True) as c:
                self._version = c.execute("SHOW server_version").fetchone()[0]
        return self._version

    def settings(self):
        with psycopg.connect(DSN, autocommit=True) as c:
            sc = c.execute("SHOW synchronous_commit").fetchone()[0]
            fs = c.execute("SHOW fsync").fetchone()[0]
        return {"poll_interval_s": self.cfg.poll, "synchronous_commit": sc, "fsync": fs,
                "dlq": "dlq table, application rule", "max_deliveries": self.cfg.max_deliveries}

    def setup(self):
        with psycopg.connect(DSN, autocommit=True) as c:
            c.execute("DROP TABLE IF EXISTS jobs, dlq")
            c.execute("CREATE TABLE jobs (id bigint PRIMARY KEY, created double precision NOT NULL, "
                      "attempts int NOT NULL DEFAULT 0)")
            c.execute("CREATE TABLE dlq (id bigint PRIMARY KEY, created double precision NOT NULL, "
                      "attempts int NOT NULL, dead_at timestamptz NOT NULL DEFAULT now())")

    def teardown(self):
        pass

    def publisher(self):
        return Publisher()

    def consumer(self, w, t0):
        return Consumer(w, t0, self.cfg.poll)

    def depth_probe(self):
        return DepthProbe()


class Publisher:
    def __init__(self):
        self.c = psycopg.connect(DSN, autocommit=True)

    def publish(self, mid, key, created):
        self.c.execute("INSERT INTO jobs (id, created) VALUES (%s, %s)", (mid, created))

    def close(self):
        self.c.close()


class Consumer:
    app_dead_letters = True

    def __init__(self, w, t0, poll):
        self.c = psycopg.connect(DSN, autocommit=False)
        self.t0 = t0
        self.poll = poll

    def fetch(self, timeout):
        lo = clock(self.t0)
        row = self.c.execute(CLAIM).fetchone()
        if row is None:
            self.c.rollback()
            time.sleep(self.poll)
            return None
        mid, created, attempts = row
        return Delivery(mid, created, clock(self.t0), attempts, lo, mid)

    def ack(self, d):
        self.c.execute("DELETE FROM jobs WHERE id = %s", (d.handle,))
        self.c.commit()

    def nack(self, d):
        self.c.commit()  # keeps the attempt count, releases the row

    def dead_letter(self, d):
        self.c.execute("INSERT INTO dlq (id, created, attempts) "
                       "SELECT id, created, attempts FROM jobs WHERE id = %s", (d.handle,))
        self.c.execute("DELETE FROM jobs WHERE id = %s", (d.handle,))
        self.c.commit()

    def close(self):
        self.c.close()


class DepthProbe:
    def __init__(self):
        self.c = psycopg.connect(DSN, autocommit=True)

    def sample(self):
        n = self.c.execute("SELECT count(*) FROM jobs").fetchone()[0]
        return n, None, None

    def close(self):
        self.c.close()
