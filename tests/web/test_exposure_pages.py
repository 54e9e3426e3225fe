"""Exposure in the UI: the customer page's section (the dashboard: test_dashboard.py)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy.orm import Session

from fengkong.exposure.models import Mitigant
from fengkong.exposure.status import MitigantKind
from fengkong.kit.money import Money
from fengkong.kit.time import business_today
from fengkong.settings import Settings
from tests import factories
from tests.integration.exposure.conftest import rate
from tests.personas import Personas
from tests.web.conftest import SignedIn


def test_the_customer_page_shows_ageing_the_path_to_ead_and_expected_loss(
    signed_in: SignedIn, personas: Personas, session: Session, settings: Settings
) -> None:
    today = business_today(settings.zone)
    customer = factories.customer(industry_code="F51")
    factories.invoice(
        customer_id=customer.id,
        amount=Money.of("1000.00", "CNY"),
        issue_date=today - timedelta(days=50),
        due_date=today - timedelta(days=20),
    )
    session.add(
        Mitigant(
            customer_id=customer.id,
            kind=MitigantKind.GUARANTEE,
            provider="中国银行",
            amount=Money.of("400.00", "CNY"),
            valid_from=today - timedelta(days=100),
            haircut=0.0,
        )
    )
    session.flush()
    rate(session, customer.id, grade="C", pd=0.02)
    web = signed_in(personas.sam_sales)

    page = web.page(f"/customers/{customer.id}")

    assert page.status_code == 200, page.text
    section = re.search(r'<section class="card exposure-card".*?</section>', page.text, re.DOTALL)
    assert section is not None
    html = section.group(0)
    assert "中国银行" in html
    data = re.search(r'id="exposure-ageing-data">(.*?)</script>', html, re.DOTALL)
    assert data is not None
    chart = json.loads(data.group(1))
    assert [item["value"] for item in chart["series"]] == [0, 1000.0, 0, 0, 0]
    # EAD 1,000: 400 secured by the guarantee at LGD 0.10, 600 at 0.45 → loss 310, EL 6.20
    assert 'data-exposure="ead">¥1,000.00' in html
    assert "¥6.20" in html
    assert "/static/js/exposure.js" in page.text
