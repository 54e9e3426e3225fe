from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fengkong.scoring.ledgers import SCHEMAS, Ledgers, LedgersError
from tests.unit.scoring.ledger_builders import build, invoice, legal_event, payment


def test_empty_ledgers_have_every_table_with_its_schema() -> None:
    ledgers = Ledgers.empty().validate()
    assert {table: frame.schema for table, frame in ledgers.tables().items()} == dict(SCHEMAS)
    assert all(frame.is_empty() for frame in ledgers.tables().values())


def test_a_missing_column_is_refused_naming_the_table_and_the_column() -> None:
    invoices = Ledgers.empty().invoices.drop("due_date")
    with pytest.raises(LedgersError, match="ledger invoices: column due_date is missing"):
        Ledgers(invoices=invoices).validate()


def test_a_column_of_the_wrong_type_is_refused_naming_both_types() -> None:
    allocations = Ledgers.empty().allocations.with_columns(pl.col("amount").cast(pl.Int64))
    with pytest.raises(
        LedgersError, match="ledger allocations: column amount has type Int64, expected Float64"
    ):
        Ledgers(allocations=allocations).validate()


@pytest.mark.parametrize("ids", [[1, 1], [1, None]])
def test_each_customer_must_appear_once_with_an_id(ids: list[int | None]) -> None:
    customers = pl.DataFrame({"customer_id": ids}, schema={"customer_id": pl.Int64}).join(
        Ledgers.empty().customers, on="customer_id", how="left"
    )
    with pytest.raises(LedgersError, match="ledger customers: column customer_id must be unique"):
        Ledgers(customers=customers).validate()


def test_extra_columns_are_allowed_so_a_loader_can_keep_its_own_keys() -> None:
    customers = Ledgers.empty().customers.with_columns(pl.lit("x").alias("name"))
    assert Ledgers(customers=customers).validate().customers.columns[-1] == "name"


def test_a_partition_keeps_only_the_rows_of_its_customers_in_every_table() -> None:
    day = date(2026, 1, 1)
    ledgers = build(
        invoice(1, issued=day, due=day, amount=10, customer_id=1),
        invoice(2, issued=day, due=day, amount=20, customer_id=2),
        payment(2, paid_on=day, amount=20, customer_id=2),
        legal_event("lawsuit", day, customer_id=3),
    )
    part = ledgers.for_customers([2, 3])
    assert part.customers["customer_id"].to_list() == [2, 3]
    assert part.invoices["invoice_id"].to_list() == [2]
    assert part.allocations["invoice_id"].to_list() == [2]
    assert part.legal_events["customer_id"].to_list() == [3]
    assert part.validate() is part
