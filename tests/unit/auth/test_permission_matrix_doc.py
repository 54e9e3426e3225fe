from __future__ import annotations

from pathlib import Path

from fengkong.auth.roles import ROLE_PERMISSIONS, Permission, Role

SECURITY_DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"


def test_the_documented_role_matrix_matches_the_code() -> None:
    lines = SECURITY_DOC.read_text(encoding="utf-8").splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("| permission |"))
    header = lines[start]
    roles = [Role(cell.strip()) for cell in header.strip("|").split("|")[1:]]
    documented: dict[Role, set[Permission]] = {role: set() for role in roles}
    # The matrix is the table under its header; other tables of the document (settings) are not.
    below = lines[start + 2 :]
    rows = below[: next((i for i, line in enumerate(below) if not line.startswith("|")), None)]
    for line in rows:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        permission = Permission(cells[0].strip("`"))
        for role, mark in zip(roles, cells[1:], strict=True):
            if mark == "✓":
                documented[role].add(permission)
    assert set(roles) == set(Role)
    assert documented == {role: set(ROLE_PERMISSIONS[role]) for role in Role}
