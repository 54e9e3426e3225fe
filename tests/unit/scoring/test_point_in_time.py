"""Property: whatever is dated after as_of never changes any feature as of that date."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fengkong.scoring.context import ContextTables
from fengkong.scoring.features import compute_features
from fengkong.scoring.ledgers import QUALITATIVE_QUESTIONS, STATEMENT_LINES
from tests.unit.scoring.ledger_builders import (
    AS_OF,
    Row,
    answer,
    build,
    credit_limit,
    customer,
    invoice,
    legal_event,
    order,
    payment,
    report,
    statement,
)

# Dates crowd the cut-off, where an off-by-one would leak the future.
PAST = st.dates(date(2022, 1, 1), AS_OF) | st.dates(AS_OF - timedelta(days=3), AS_OF)
FUTURE = st.dates(AS_OF + timedelta(days=1), date(2028, 12, 31)) | st.dates(
    AS_OF + timedelta(days=1), AS_OF + timedelta(days=3)
)
ANY_DAY = st.dates(date(2022, 1, 1), date(2028, 12, 31))
CUSTOMERS = st.integers(1, 3)
# Whole yuan keep sums exact whatever order they are added in.
AMOUNTS = st.integers(0, 100_000).map(float)
LINES = st.fixed_dictionaries(
    {line: st.one_of(st.none(), st.integers(-1000, 10_000).map(float)) for line in STATEMENT_LINES}
)
RATINGS = st.sampled_from(["AAA", "AA+", "AA", "A-", "BBB", "BB-", "CCC", "D", "5A1", None])
AGENCIES = st.sampled_from(["中诚信国际", "大公国际"])
EVENT_TYPES = st.sampled_from(["lawsuit", "judgment", "enforcement", "dishonest_debtor"])


@st.composite
def statements(draw: st.DrawFn, published: st.SearchStrategy[date]) -> Row:
    published_on = draw(published)
    months = draw(st.sampled_from([3, 6, 9, 12]))
    period_end = published_on - timedelta(days=draw(st.integers(0, 400)))
    return statement(
        period_end,
        draw(LINES),
        period_months=months,
        published_on=published_on,
        customer_id=draw(CUSTOMERS),
    )


@st.composite
def invoices_with_payments(
    draw: st.DrawFn, first_id: int, issued: st.SearchStrategy[date]
) -> tuple[list[Row], list[Row]]:
    """Invoices with payments dated like them, and the payments they get after as_of."""
    rows: list[Row] = []
    paid_later: list[Row] = []
    for invoice_id in range(first_id, first_id + draw(st.integers(0, 6))):
        owner = draw(CUSTOMERS)
        issue_date = draw(issued)
        rows.append(
            invoice(
                invoice_id,
                issued=issue_date,
                due=issue_date + timedelta(days=draw(st.integers(0, 120))),
                amount=draw(AMOUNTS),
                customer_id=owner,
            )
        )
        for paid, into in ((issued, rows), (FUTURE, paid_later)):
            for _ in range(draw(st.integers(0, 2))):
                paid_on = max(draw(paid), issue_date)
                into.append(
                    payment(invoice_id, paid_on=paid_on, amount=draw(AMOUNTS), customer_id=owner)
                )
    return rows, paid_later


@st.composite
def ledger_rows(
    draw: st.DrawFn, known: st.SearchStrategy[date], first_invoice_id: int
) -> tuple[list[Row], list[Row]]:
    """Rows of every ledger dated by ``known``, and payments after as_of of their invoices."""
    rows, paid_later = draw(invoices_with_payments(first_invoice_id, known))
    rows += draw(st.lists(statements(known), max_size=4))
    orders = draw(st.lists(st.tuples(known, AMOUNTS, CUSTOMERS), max_size=6))
    rows += [order(day, amount, customer_id=owner) for day, amount, owner in orders]
    reports = draw(st.lists(st.tuples(AGENCIES, known, RATINGS, CUSTOMERS), max_size=4))
    rows += [
        report(agency, day, rating, customer_id=owner) for agency, day, rating, owner in reports
    ]
    rows += [
        legal_event(kind, day, amount=amount, resolved_on=resolved, customer_id=owner)
        for kind, day, amount, resolved, owner in draw(
            st.lists(
                st.tuples(EVENT_TYPES, known, st.none() | AMOUNTS, st.none() | ANY_DAY, CUSTOMERS),
                max_size=3,
            )
        )
    ]
    answers = draw(
        st.lists(
            st.tuples(st.sampled_from(QUALITATIVE_QUESTIONS), st.integers(1, 5), known, CUSTOMERS),
            max_size=6,
        )
    )
    rows += [
        answer(question, value, day, customer_id=owner) for question, value, day, owner in answers
    ]
    return rows, paid_later


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    known=ledger_rows(PAST, first_invoice_id=1),
    later=ledger_rows(FUTURE, first_invoice_id=100),
    limits=st.lists(st.tuples(CUSTOMERS, AMOUNTS), max_size=3, unique_by=lambda pair: pair[0]),
)
def test_data_dated_after_as_of_never_changes_any_feature(
    known: tuple[list[Row], list[Row]],
    later: tuple[list[Row], list[Row]],
    limits: list[tuple[int, float]],
) -> None:
    people = [
        customer(1, industry_code="E", region_code="440300", established_on=date(2015, 1, 1)),
        customer(2, industry_code="K70", registered_capital=1e6),
        customer(3),
    ]
    context = [credit_limit(amount, customer_id=owner) for owner, amount in limits]
    rows, paid_later = known
    later_rows = [*later[0], *later[1], *paid_later]
    tables = ContextTables.default()
    before = compute_features(build(*people, *context, *rows), AS_OF, tables)
    after = compute_features(build(*people, *context, *rows, *later_rows), AS_OF, tables)
    assert_frame_equal(before, after)
