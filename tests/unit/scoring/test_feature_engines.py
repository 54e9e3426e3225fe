"""A small book's features run on polars' in-memory engine (much cheaper a call than the
default for an event consumer's few customers): the default engine's features, to the last bit
or so — sums in another order, far below the ten significant digits a score's inputs hash reads
(``risk.service._inputs_hashes``)."""

from __future__ import annotations

from datetime import date

import pytest
from polars.testing import assert_frame_equal

from fengkong.scoring.context import ContextTables
from fengkong.scoring.features import compute
from tests.unit.scoring.synthetic_book import synthetic_book

AS_OF = date(2026, 6, 30)


def test_the_in_memory_engine_gives_the_default_engines_features(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book = synthetic_book(300, as_of=AS_OF, seed=11)
    assert book.customers.height <= compute.IN_MEMORY_CUSTOMERS
    in_memory = compute.compute_features(book, AS_OF, ContextTables.default())
    monkeypatch.setattr(compute, "IN_MEMORY_CUSTOMERS", 0)
    default = compute.compute_features(book, AS_OF, ContextTables.default())
    assert_frame_equal(in_memory, default, rel_tol=1e-12, abs_tol=0.0)
    assert in_memory.height == 300
