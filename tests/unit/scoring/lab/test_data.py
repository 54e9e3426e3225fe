from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fengkong.scoring.lab.data import LabError, labelled_table, read_labelled_table
from tests.unit.scoring.lab.builders import never_seen_frame, never_seen_table


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "收入": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],
            "行业": ["制造", "零售", None, "制造", " 零售 ", "制造"],
            "状态": ["bad", "good", "good", "bad", "good", "good"],
        }
    )


def test_columns_are_typed_numeric_or_categorical_with_chinese_names_kept() -> None:
    table = labelled_table(_frame(), target="状态", bad_value="bad")
    assert table.numeric == ("收入",)
    assert table.categorical == ("行业",)
    assert table.labels.tolist() == [1, 0, 0, 1, 0, 0]
    assert table.features["行业"][[0, 1, 3, 4, 5]].tolist() == [
        "制造",
        "零售",
        "制造",
        "零售",
        "制造",
    ]
    assert pd.isna(table.features["行业"][2])
    assert np.isnan(table.features["收入"][2])


def test_an_unknown_target_column_is_named_with_the_columns_there_are() -> None:
    with pytest.raises(
        LabError, match="target column '违约' not found; the columns are: 收入"
    ) as error:
        labelled_table(_frame(), target="违约", bad_value="bad")
    assert error.value.column == "违约"


def test_a_target_without_the_bad_value_says_which_values_it_saw() -> None:
    with pytest.raises(
        LabError, match=r"no rows with the bad value 'BAD' \(values seen: bad, good\)"
    ):
        labelled_table(_frame(), target="状态", bad_value="BAD")


def test_a_target_where_every_row_is_bad_has_no_goods() -> None:
    frame = _frame().assign(状态=["bad"] * 5 + ["x"])
    frame.loc[5, "状态"] = "bad"
    with pytest.raises(LabError, match="holds a single value 'bad'"):
        labelled_table(frame, target="状态", bad_value="bad")


def test_a_numeric_target_with_no_goods_is_refused() -> None:
    frame = _frame().assign(状态=[1, 1, 1, 1, 1, 2])
    with pytest.raises(LabError, match="no rows with the bad value '3'"):
        labelled_table(frame, target="状态", bad_value="3")
    table = labelled_table(frame, target="状态", bad_value="1")
    assert table.labels.tolist() == [1, 1, 1, 1, 1, 0]


def test_an_empty_target_cell_is_reported_with_its_file_line() -> None:
    frame = _frame()
    frame.loc[3, "状态"] = None
    with pytest.raises(LabError, match=r"empty in 1 rows \(file lines 5"):
        labelled_table(frame, target="状态", bad_value="bad")


def test_identifiers_and_constant_columns_are_dropped_with_a_reason() -> None:
    table = never_seen_table(rows=400)
    assert {(d.column, d.reason) for d in table.dropped} == {
        ("客户编号", "an identifier (almost every value distinct)"),
        ("币种", "a single value"),
    }
    assert set(table.numeric) == {"逾期天数", "负债率", "经营年限", "噪声"}
    assert table.categorical == ("地区",)


def test_a_table_with_no_usable_column_is_refused_naming_why() -> None:
    frame = pd.DataFrame({"常数": [1, 1, 1], "y": [0, 1, 0]})
    with pytest.raises(LabError, match="no usable feature columns: 常数: a single value"):
        labelled_table(frame, target="y", bad_value="1")


def test_the_same_data_hashes_the_same_and_one_changed_cell_changes_the_hash() -> None:
    first = labelled_table(_frame(), target="状态", bad_value="bad")
    again = labelled_table(_frame(), target="状态", bad_value="bad")
    changed = _frame()
    changed.loc[0, "收入"] = 1.5
    assert first.data_hash == again.data_hash
    assert first.data_hash.startswith("sha256:")
    assert labelled_table(changed, target="状态", bad_value="bad").data_hash != first.data_hash


def test_gb18030_csv_and_xlsx_files_read_the_same(tmp_path: Path) -> None:
    frame = never_seen_frame(300, seed=3, bad_rate=0.2)
    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False, encoding="gb18030")
    xlsx = tmp_path / "data.xlsx"
    frame.to_excel(xlsx, index=False, engine="xlsxwriter")
    from_csv = read_labelled_table(csv, target="是否违约", bad_value="是")
    from_xlsx = read_labelled_table(xlsx, target="是否违约", bad_value="是")
    assert from_csv.columns == from_xlsx.columns
    assert from_csv.n_bad == from_xlsx.n_bad == 60
    np.testing.assert_allclose(from_csv.features["负债率"], from_xlsx.features["负债率"])


def test_a_date_column_is_parsed_and_kept_out_of_the_features() -> None:
    frame = _frame().assign(观察日=["2025-01-31"] * 3 + ["2025-02-28"] * 3)
    table = labelled_table(frame, target="状态", bad_value="bad", date_column="观察日")
    assert "观察日" not in table.columns
    assert table.dates is not None
    assert str(table.dates[3]) == "2025-02-28"
    with pytest.raises(LabError, match="'x' \\(file line 2\\) is not a date"):
        labelled_table(
            frame.assign(观察日=["x", *frame["观察日"][1:]]),
            target="状态",
            bad_value="bad",
            date_column="观察日",
        )


def test_an_unsupported_file_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    path.write_bytes(b"x")
    with pytest.raises(LabError, match=r"unsupported type '\.parquet'"):
        read_labelled_table(path, target="y", bad_value="1")
