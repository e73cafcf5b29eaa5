"""Garbage collector settings for processes that deliver.

A busy worker allocates a few hundred container objects per delivery (requests, futures,
rows), nearly all freed by reference counting within milliseconds. With CPython's default
thresholds (700, 10, 10) the collector still runs a young collection every 700 of them and
walks everything alive at that moment, and its full collections walk every long-lived object
of the process (modules, the GraphQL schema, ORM metadata). Measured in bench/delivery.py,
that was about a quarter of a worker's CPU per delivery; docs/performance.md has figures.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def settle_collector() -> None:
    """Move what exists now out of the collector's reach, and collect the young generation
    every 50,000 allocations rather than every 700.

    Everything alive when a worker starts lives as long as the process; cycles made later
    are still found, only less often (memory for 50,000 young objects is a few MB at most).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 50, 100)
