"""The garbage collector tuned for a long-running server process.

After start-up the heap holds what lives as long as the process: modules, the schema,
the ORM's models, caches. A full collection walks all of it, every time (measured in
issue 12: pauses of 77-141 ms every 15-30 catalogue requests). ``gc.freeze()`` moves
those objects to the permanent generation, which collections skip; a higher
generation-0 threshold makes young collections rarer (a request allocates tens of
thousands of short-lived objects: dicts of rows, GraphQL results), the two older
generations keep CPython's ratios.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 50_000  # CPython's default is 700


def freeze_startup_heap() -> None:
    """Collect what start-up left behind, freeze the rest, collect young objects less
    often. Call once, when the process is ready to serve."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
