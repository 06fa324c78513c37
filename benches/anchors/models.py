"""The four anchor models, shared by the SimPy and Ciw scripts and the report.

Each is (arrival rate λ, service rate μ per server, servers c, system
capacity K or None, service "exponential" or "constant"), and
`exact_wq(model)` gives its exact mean wait in queue (seconds) for the
customers that enter.
"""

from math import factorial

MODELS = {
    "M/M/1": (0.8, 1.0, 1, None, "exponential"),
    "M/M/4": (3.2, 1.0, 4, None, "exponential"),
    "M/M/1/10": (0.8, 1.0, 1, 10, "exponential"),
    "M/D/1": (0.8, 1.0, 1, None, "constant"),
}
# The file names used by the scripts and the mqsim scenarios.
SLUGS = {"M/M/1": "mm1", "M/M/4": "mm4", "M/M/1/10": "mm1k10", "M/D/1": "md1"}
BY_SLUG = {slug: name for name, slug in SLUGS.items()}


def exact_wq(name):
    lam, mu, c, k, service = MODELS[name]
    rho = lam / (c * mu)
    if k is not None:  # M/M/1/K: Wq = Lq / λ_eff
        p = [rho**n for n in range(k + 1)]
        p = [x / sum(p) for x in p]
        lq = sum((n - 1) * pn for n, pn in enumerate(p) if n > 1)
        return lq / (lam * (1 - p[k]))
    if service == "constant":  # M/D/1, Pollaczek-Khinchine
        return rho / (2 * mu * (1 - rho))
    a = lam / mu  # M/M/c, Erlang C
    tail = a**c / factorial(c) / (1 - rho)
    erlang_c = tail / (sum(a**n / factorial(n) for n in range(c)) + tail)
    return erlang_c / (c * mu - lam)
