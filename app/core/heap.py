"""The garbage collector tuned for a long-running server process.

After start-up the heap holds what lives as long as the process: modules, the schema,
the ORM's models, caches. A full collection walks all of it, every time (measured in
issue 12: pauses of 77-141 ms every 15-30 catalogue requests). ``gc.freeze()`` moves
those objects to the permanent generation, which collections skip. A somewhat higher
generation-0 threshold makes young collections rarer; not much higher: at 50,000 each
young collection walked everything the requests in flight held and paused 55 ms
(in-process Catalogue, 300 requests at 2,000 psychologists: p99 66.6 ms for a p50 of
19.5), at 2,000 the longest pause was 7.6 ms (p99 25.1, p50 17.8; CPython's 700: 26.7 and
18.1). The two older generations keep CPython's ratios.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 2_000  # CPython's default is 700


def freeze_startup_heap() -> None:
    """Collect what start-up left behind, freeze the rest, collect young objects less
    often. Call once, when the process is ready to serve."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
