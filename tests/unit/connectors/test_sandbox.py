"""The sandbox answers deterministically, with the variety the demo and the tests need."""

from __future__ import annotations

from collections import Counter
from datetime import date

from fengkong.connectors.models import DataKind
from fengkong.connectors.providers import (
    AgencyReportProvider,
    CourtProvider,
    RegistryProvider,
    Subject,
    answers,
    normalise_name,
)
from fengkong.connectors.sandbox import AGENCY, PRICES, SandboxProvider, group_name, subsidiary_uscc
from fengkong.customers.uscc import is_valid_uscc
from tests.factories import make_uscc

TODAY = date(2026, 11, 26)
SUBJECTS = [Subject(uscc=make_uscc(n), name=f"上海测试贸易有限公司{n}") for n in range(1, 601)]


def test_the_same_subject_always_gets_the_same_answers() -> None:
    first, second = SandboxProvider(today=TODAY), SandboxProvider(today=TODAY)
    for subject in SUBJECTS[:50]:
        assert first.agency_reports(subject) == second.agency_reports(subject)
        assert first.registry_record(subject) == second.registry_record(subject)
        assert first.court_records(subject) == second.court_records(subject)


def test_the_sandbox_answers_every_kind_and_charges_per_call() -> None:
    sandbox = SandboxProvider(today=TODAY)
    assert isinstance(sandbox, AgencyReportProvider)
    assert isinstance(sandbox, RegistryProvider)
    assert isinstance(sandbox, CourtProvider)
    assert all(answers(sandbox, kind) for kind in DataKind)
    for subject in SUBJECTS[:30]:
        assert sandbox.agency_reports(subject).cost == PRICES[DataKind.AGENCY_REPORT]


def test_agency_reports_are_recognisably_sandbox_data_and_some_are_stale() -> None:
    sandbox = SandboxProvider(today=TODAY)
    reports = [r for s in SUBJECTS for r in sandbox.agency_reports(s).records]
    assert {report.agency for report in reports} == {AGENCY}
    assert all("沙箱数据" in (report.summary or "") for report in reports)
    assert all(report.key.by_uscc for report in reports)
    stale = [r for r in reports if r.report_date < date(2025, 11, 26)]
    assert 0.1 < len(stale) / len(reports) < 0.35
    assert all(20 <= (report.score or 0) < 100 for report in reports)


def test_some_subjects_are_unknown_and_some_registry_names_disagree() -> None:
    sandbox = SandboxProvider(today=TODAY)
    agency_unknown = sum(not sandbox.agency_reports(s).found for s in SUBJECTS)
    registry = [sandbox.registry_record(s) for s in SUBJECTS]
    registry_unknown = sum(not answer.found for answer in registry)
    mismatched = sum(
        normalise_name(answer.records[0].registered_name) != normalise_name(subject.name)
        for answer, subject in zip(registry, SUBJECTS, strict=True)
        if answer.found
    )
    other_width = sum(
        answer.records[0].registered_name != subject.name
        and normalise_name(answer.records[0].registered_name) == normalise_name(subject.name)
        for answer, subject in zip(registry, SUBJECTS, strict=True)
        if answer.found
    )
    assert 30 < agency_unknown < 90  # about one in ten
    assert 10 < registry_unknown < 60  # about one in twenty
    assert 10 < mismatched < 60
    assert other_width == 0  # the test names have no brackets to swap


def test_registry_answers_include_name_only_and_uscc_links() -> None:
    sandbox = SandboxProvider(today=TODAY)
    links = [
        link
        for subject in SUBJECTS
        for answer in [sandbox.registry_record(subject)]
        if answer.found
        for link in answer.records[0].related
    ]
    by_name = [link for link in links if link.key.uscc is None]
    by_uscc = [link for link in links if link.key.uscc is not None]
    assert by_name
    assert by_uscc
    assert {link.key.name for link in by_name} == {"上海测试集团有限公司"}
    assert all(is_valid_uscc(link.key.uscc or "") for link in by_uscc)


def test_brackets_come_back_in_the_other_width_for_some_names() -> None:
    sandbox = SandboxProvider(today=TODAY)
    subjects = [Subject(uscc=make_uscc(n), name=f"测试（中国）贸易有限公司{n}") for n in range(60)]
    names = [sandbox.registry_record(s).records for s in subjects]
    swapped = [r[0].registered_name for r in names if r and "(" in r[0].registered_name]
    assert swapped
    assert all(normalise_name(name).startswith("测试(中国)") for name in swapped)


def test_court_answers_mix_clean_records_cases_and_name_only_matches() -> None:
    sandbox = SandboxProvider(today=TODAY)
    answers_ = [sandbox.court_records(s) for s in SUBJECTS]
    assert all(answer.found for answer in answers_)
    records = [r for answer in answers_ for r in answer.records]
    kinds = Counter(record.event_type.value for record in records)
    assert set(kinds) == {"enforcement", "dishonest_debtor", "lawsuit"}
    assert any(record.key.uscc is None for record in records)
    assert sum(not answer.records for answer in answers_) > len(SUBJECTS) / 2
    assert all(record.occurred_on <= TODAY for record in records)


def test_group_names_are_guessed_from_the_first_four_characters() -> None:
    assert group_name("上海宝钢贸易有限公司") == "上海宝钢集团有限公司"
    assert group_name("上海宝钢集团有限公司") is None
    assert group_name("短名") is None
    assert is_valid_uscc(subsidiary_uscc(make_uscc(7)))
