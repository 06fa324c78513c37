"""One anchor model in Ciw, written as Ciw's tutorials write a queue.

    python ciw_model.py SLUG CUSTOMERS

Runs for CUSTOMERS / λ time units and prints `served mean_wait` (customers
whose service ended, and their mean wait in queue).
"""

import sys

import ciw

from models import BY_SLUG, MODELS


def main():
    name, customers = BY_SLUG[sys.argv[1]], int(sys.argv[2])
    lam, mu, c, capacity, kind = MODELS[name]
    service = ciw.dists.Exponential(rate=mu) if kind == "exponential" else ciw.dists.Deterministic(value=1 / mu)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[service],
        number_of_servers=[c],
        # Ciw's capacity counts those waiting, not those in service.
        queue_capacities=[float("inf") if capacity is None else capacity - c],
    )
    ciw.seed(1)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(customers / lam)
    waits = [r.waiting_time for r in sim.get_all_records(only=["service"])]
    print(len(waits), sum(waits) / len(waits))


if __name__ == "__main__":
    main()
