from __future__ import annotations

from pathlib import Path

from fengkong.auth.roles import ROLE_PERMISSIONS, Permission, Role

SECURITY_DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"


def test_the_documented_role_matrix_matches_the_code() -> None:
    rows = SECURITY_DOC.read_text(encoding="utf-8").splitlines()
    header = next(line for line in rows if line.startswith("| permission |"))
    roles = [Role(cell.strip()) for cell in header.strip("|").split("|")[1:]]
    documented: dict[Role, set[Permission]] = {role: set() for role in roles}
    for line in rows:
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        permission = Permission(cells[0].strip("`"))
        for role, mark in zip(roles, cells[1:], strict=True):
            if mark == "✓":
                documented[role].add(permission)
    assert set(roles) == set(Role)
    assert documented == {role: set(ROLE_PERMISSIONS[role]) for role in Role}
