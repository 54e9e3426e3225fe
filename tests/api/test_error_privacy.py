"""Error responses never echo personal data: a 422 names the field, not the ID number or phone
that was sent in it (validators that quote the bad value are masked on the way out)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.personas import Personas
from tests.planted import EMAIL, ID_NUMBER, PHONE


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("uscc", ID_NUMBER),  # the USCC check quotes the value it refuses
        ("region_code", PHONE),  # so does the region lookup
        ("industry_code", EMAIL),
    ],
)
def test_a_refused_value_is_named_by_field_and_not_echoed(
    client: TestClient, personas: Personas, field: str, value: str
) -> None:
    body = {"uscc": factories.make_uscc(7001), "name": "回显测试有限公司", field: value}
    response = client.post("/api/v1/customers", json=body, headers=personas.adam_admin.headers)

    assert response.status_code == 422, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]
    assert value not in response.text


def test_a_refused_query_is_not_echoed(client: TestClient, personas: Personas) -> None:
    response = client.get(
        "/api/v1/customers",
        params={"owner_id": PHONE + "0" * 10},
        headers=personas.adam_admin.headers,
    )
    assert response.status_code == 422, response.text
    assert PHONE not in response.text


def test_planted_personal_data_travels_through_the_app(
    client: TestClient, personas: Personas
) -> None:
    """The planted values go through a real create and read, so the run-wide log check
    (tests/conftest.py) watches the paths personal data takes: validation, encryption, audit,
    the outbox."""
    body = {
        "uscc": factories.make_uscc(7002),
        "name": "植入数据测试有限公司",
        "legal_representative": "李四",
        "legal_representative_id_number": ID_NUMBER,
    }
    created = client.post("/api/v1/customers", json=body, headers=personas.adam_admin.headers)
    assert created.status_code == 201, created.text
    read = client.get(
        f"/api/v1/customers/{created.json()['id']}", headers=personas.adam_admin.headers
    )
    assert read.json()["legal_representative_id_number"] == ID_NUMBER
