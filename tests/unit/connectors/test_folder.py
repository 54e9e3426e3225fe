"""The folder provider reads export files without a database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fengkong.connectors.folder import ExportFileInvalid, FolderProvider, read_export
from fengkong.connectors.providers import (
    AgencyReport,
    CourtRecord,
    ProviderUnavailable,
    RegistryRecord,
    Subject,
    normalise_name,
)
from fengkong.customers.status import RelationType
from fengkong.kit.money import Money
from fengkong.legal_events.kinds import LegalEventType
from tests.factories import make_uscc

USCC = make_uscc(1)
OTHER = make_uscc(2)
SUBJECT = Subject(uscc=USCC, name="上海测试贸易（集团）有限公司")


def export(kind: str, records: list[dict[str, Any]], **header: Any) -> dict[str, Any]:
    return {
        "format": "fengkong.connector-export/1",
        "kind": kind,
        "source": "中诚信",
        **header,
        "records": records,
    }


def write(folder: Path, name: str, document: Any) -> Path:
    path = folder / name
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_agency_export_gives_reports_keyed_by_uscc(tmp_path: Path) -> None:
    write(
        tmp_path,
        "ccx-2026-11.json",
        export(
            "agency_report",
            [
                {
                    "uscc": USCC,
                    "name": SUBJECT.name,
                    "agency": "中诚信",
                    "rating": "AA",
                    "score": 81.5,
                    "report_date": "2026-11-01",
                    "summary": "维持AA",
                },
                {
                    "uscc": OTHER,
                    "name": "别的公司",
                    "agency": "中诚信",
                    "report_date": "2026-10-01",
                },
            ],
        ),
    )
    answer = FolderProvider(tmp_path).agency_reports(SUBJECT)
    assert answer.found
    assert answer.reference == "folder:ccx-2026-11.json"
    assert answer.cost is None
    (report,) = answer.records
    assert isinstance(report, AgencyReport)
    assert report.key.uscc == USCC
    assert (report.agency, report.rating, report.score) == ("中诚信", "AA", 81.5)
    assert report.report_date == date(2026, 11, 1)


def test_a_record_without_uscc_matches_on_the_name_in_either_bracket_width(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        "court.json",
        export(
            "court",
            [
                {
                    "name": "上海测试贸易(集团)有限公司 ",
                    "event_type": "dishonest_debtor",
                    "occurred_on": "2026-03-01",
                    "case_number": "(2026)沪01执1号",
                    "amount": {"amount": "120000.00", "currency": "CNY"},
                }
            ],
        ),
    )
    (record,) = FolderProvider(tmp_path).court_records(SUBJECT).records
    assert isinstance(record, CourtRecord)
    assert record.key.uscc is None
    assert record.event_type is LegalEventType.DISHONEST_DEBTOR
    assert record.amount == Money.of("120000.00", "CNY")


def test_a_subject_the_exports_do_not_mention_is_not_found(tmp_path: Path) -> None:
    write(tmp_path, "empty.json", export("agency_report", []))
    answer = FolderProvider(tmp_path).agency_reports(SUBJECT)
    assert not answer.found
    assert answer.records == ()


def test_registry_exports_carry_related_parties_by_uscc_or_by_name(tmp_path: Path) -> None:
    write(
        tmp_path,
        "registry.json",
        export(
            "registry",
            [
                {
                    "uscc": USCC,
                    "name": SUBJECT.name,
                    "legal_representative": "张三",
                    "registered_capital": {"amount": "5000000", "currency": "CNY"},
                    "related": [
                        {
                            "uscc": OTHER,
                            "name": "子公司",
                            "relation_type": "subsidiary",
                            "ownership_share": "1",
                        },
                        {"name": "母公司", "relation_type": "parent", "ownership_share": "0.6"},
                    ],
                }
            ],
        ),
    )
    (record,) = FolderProvider(tmp_path).registry_record(SUBJECT).records
    assert isinstance(record, RegistryRecord)
    assert record.registered_capital == Money.of("5000000", "CNY")
    assert [(link.key.uscc, link.relation_type) for link in record.related] == [
        (OTHER, RelationType.SUBSIDIARY),
        (None, RelationType.PARENT),
    ]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{not json", r"bad\.json: not valid JSON: .*line 1, column 2"),
        (export("agency_report", [], format="v0"), r"bad\.json: format: "),
        (export("rumours", []), r"bad\.json: kind: "),
        (
            export(
                "agency_report",
                [
                    {"uscc": USCC, "name": "甲", "agency": "A", "report_date": "2026-01-01"},
                    {
                        "uscc": "91310000MA1FL8TQ9X",
                        "name": "乙",
                        "agency": "A",
                        "report_date": "2026-01-01",
                    },
                ],
            ),
            r"bad\.json: record 2: uscc: .*check digit",
        ),
        (
            export("court", [{"uscc": USCC, "name": "甲", "occurred_on": "2026-01-01"}]),
            r"bad\.json: record 1: event_type: Field required",
        ),
        (export("registry", [{"name": "甲"}]), r"bad\.json: record 1: uscc: Field required"),
        (
            export("registry", [{"uscc": " ", "name": "甲"}]),
            r"bad\.json: record 1: uscc: .*needs the USCC",
        ),
        (
            export(
                "agency_report",
                [
                    {
                        "uscc": USCC,
                        "name": "甲",
                        "agency": "A",
                        "report_date": "2026-01-01",
                        "colour": "red",
                    }
                ],
            ),
            r"bad\.json: record 1: colour: Extra inputs",
        ),
    ],
)
def test_a_malformed_export_is_an_error_naming_the_file_record_and_field(
    tmp_path: Path, document: Any, expected: str
) -> None:
    path = write(tmp_path, "bad.json", document)
    with pytest.raises(ExportFileInvalid, match=expected) as raised:
        read_export(path)
    assert raised.value.details[0]["file"] == "bad.json"


def test_every_problem_of_a_file_is_listed_in_the_details(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.json",
        export("agency_report", [{"name": "甲"}, {"name": "乙", "agency": "A"}]),
    )
    with pytest.raises(ExportFileInvalid, match=r"\(and 2 more problems\)") as raised:
        read_export(path)
    assert [(p["record"], p["field"]) for p in raised.value.details] == [
        (1, "agency"),
        (1, "report_date"),
        (2, "report_date"),
    ]


def test_one_malformed_file_stops_the_folder_from_answering_at_all(tmp_path: Path) -> None:
    write(tmp_path, "a-good.json", export("agency_report", []))
    write(tmp_path, "b-bad.json", "[]")
    with pytest.raises(ExportFileInvalid, match=r"b-bad\.json"):
        FolderProvider(tmp_path).agency_reports(SUBJECT)


def test_text_that_is_not_utf8_is_refused_with_the_file_named(tmp_path: Path) -> None:
    (tmp_path / "gbk.json").write_bytes(json.dumps({"x": "中"}, ensure_ascii=False).encode("gbk"))
    with pytest.raises(ExportFileInvalid, match=r"gbk\.json: not UTF-8 text"):
        FolderProvider(tmp_path).court_records(SUBJECT)


def test_a_missing_folder_makes_the_provider_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ProviderUnavailable, match="does not exist"):
        FolderProvider(tmp_path / "nowhere").agency_reports(SUBJECT)


def test_the_folder_answers_every_kind_it_holds_exports_for(tmp_path: Path) -> None:
    write(tmp_path, "r.json", export("registry", [{"uscc": USCC, "name": SUBJECT.name}]))
    provider = FolderProvider(tmp_path)
    assert provider.registry_record(SUBJECT).found
    assert not provider.agency_reports(SUBJECT).found


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("上海测试（集团）有限公司", "上海测试(集团)有限公司"),
        ("上海 测试　有限公司", "上海测试有限公司"),
        ("ＡＢＣ贸易有限公司", "abc贸易有限公司"),
    ],
)
def test_names_compare_across_widths_spaces_and_case(left: str, right: str) -> None:
    assert normalise_name(left) == normalise_name(right)


def test_different_names_stay_different() -> None:
    assert normalise_name("上海测试有限公司") != normalise_name("上海测验有限公司")
