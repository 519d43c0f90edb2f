"""The server process freezes its start-up heap and collects young objects less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app.core.heap import GEN0_THRESHOLD, freeze_startup_heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_the_startup_heap_is_frozen_and_young_collections_are_rarer() -> None:
    _, gen1, gen2 = gc.get_threshold()
    freeze_startup_heap()
    assert gc.get_freeze_count() > 10_000  # modules, schema, models
    assert gc.get_threshold() == (GEN0_THRESHOLD, gen1, gen2)
    garbage = [[] for _ in range(1000)]  # new objects are still collected as usual
    del garbage
    assert gc.collect() >= 0
