"""docs/imports.md lists every column of every kind, and every limit, as the code has them."""

from __future__ import annotations

from pathlib import Path

import pytest

from fengkong.imports.kinds import KINDS, ImportKind
from fengkong.settings import Settings

DOC = Path(__file__).resolve().parents[3] / "docs" / "imports.md"


@pytest.mark.parametrize("kind", list(ImportKind))
def test_the_import_guide_lists_every_column_with_its_chinese_header(kind: ImportKind) -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"### `{kind.value}`", 1)[1].split("\n### ", 1)[0]
    for column in KINDS[kind].columns:
        assert f"| `{column.name}` | {column.chinese} |" in section


def test_the_import_guide_names_every_limit() -> None:
    text = DOC.read_text(encoding="utf-8")
    limits = [name for name in Settings.model_fields if name.startswith("import_")]
    assert limits
    for name in limits:
        assert f"FENGKONG_{name.upper()}" in text
