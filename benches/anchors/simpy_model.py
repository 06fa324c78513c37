"""One anchor model in SimPy, written as SimPy's examples write a queue.

    python simpy_model.py SLUG CUSTOMERS

Runs for CUSTOMERS / λ seconds and prints `served mean_wait` (customers
that started service, and their mean wait in queue in seconds).
"""

import random
import sys

import simpy

from models import BY_SLUG, MODELS


def customer(env, server, capacity, service, waits):
    if capacity is not None and server.count + len(server.queue) >= capacity:
        return  # the system is full: turned away
    arrive = env.now
    with server.request() as request:
        yield request
        waits.append(env.now - arrive)
        yield env.timeout(service())


def source(env, lam, server, capacity, service, waits):
    while True:
        yield env.timeout(random.expovariate(lam))
        env.process(customer(env, server, capacity, service, waits))


def main():
    name, customers = BY_SLUG[sys.argv[1]], int(sys.argv[2])
    lam, mu, c, capacity, kind = MODELS[name]
    service = (lambda: random.expovariate(mu)) if kind == "exponential" else (lambda: 1 / mu)
    random.seed(1)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=c)
    waits = []
    env.process(source(env, lam, server, capacity, service, waits))
    env.run(until=customers / lam)
    print(len(waits), sum(waits) / len(waits))


if __name__ == "__main__":
    main()
