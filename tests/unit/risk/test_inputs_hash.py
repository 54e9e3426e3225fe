"""A score's inputs hash: stored with every score and compared on each rescore, so its text must
not change between releases (a new text would store a new score for every customer)."""

from __future__ import annotations

import hashlib
import math

import polars as pl

from fengkong.risk.service import _inputs_hashes
from fengkong.scoring.features import FEATURE_NAMES


def test_the_hash_reads_each_feature_to_ten_significant_digits_with_nan_for_missing() -> None:
    values = [math.nan, 5.0, 1 / 3, -1e-16, 1e300, 123456789012.5, -0.0, 42.0]
    row = [values[i % len(values)] for i in range(len(FEATURE_NAMES))]
    frame = pl.DataFrame({name: [value] for name, value in zip(FEATURE_NAMES, row, strict=True)})
    texts = {
        5.0: "5",
        1 / 3: "0.3333333333",
        -1e-16: "-1e-16",
        1e300: "1e+300",
        123456789012.5: "1.23456789e+11",
        -0.0: "-0",
        42.0: "42",
    }
    written = ",".join("nan" if math.isnan(value) else texts[value] for value in row)
    expected = f"7|3|{','.join(FEATURE_NAMES)}|{written}"

    (found,) = _inputs_hashes(frame, "7|3")

    assert found == hashlib.sha256(expected.encode()).hexdigest()
