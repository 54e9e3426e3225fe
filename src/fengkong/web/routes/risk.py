"""Risk scores in the UI: the customer page's "Risk rating" section (score, grade, PD, factors,
reasons, the history chart), its "Rescore now" button, and the qualitative questionnaire."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from babel import Locale as BabelLocale
from babel.numbers import format_currency, format_decimal, format_percent
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers import service as customers_service
from fengkong.display.formatting import Formatter
from fengkong.i18n import N_, translations
from fengkong.kit.time import business_today
from fengkong.models.status import ModelKind
from fengkong.risk import service as risk_service
from fengkong.risk import views as risk_views
from fengkong.risk.models import QualitativeAssessment, QualitativeQuestion, ScoreTrigger
from fengkong.risk.service import FactorResult, HistoryEntry, ModelRef, RiskResult
from fengkong.risk.views import CustomerRisk
from fengkong.scoring.features.catalogue import FEATURE_SPECS, Unit
from fengkong.scoring.grading import MasterScale
from fengkong.settings import Locale
from fengkong.web import sessions
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.routes.models import KIND_LABELS
from fengkong.web.templating import render

router = APIRouter(prefix="/customers", include_in_schema=False)

MAX_EVIDENCE_LENGTH = 10_000  # as the API accepts
ANSWERS = (1, 2, 3, 4, 5)

QUESTION_LABELS: dict[QualitativeQuestion, str] = {
    QualitativeQuestion.MARKET_REPUTATION: N_("Market reputation"),
    QualitativeQuestion.MANAGEMENT_QUALITY: N_("Management quality"),
    QualitativeQuestion.OPERATIONAL_RISK: N_("Operational risk"),
    QualitativeQuestion.COMPLIANCE_CONCERN: N_("Legal and compliance concerns"),
}
QUESTION_HINTS: dict[QualitativeQuestion, str] = {
    QualitativeQuestion.MARKET_REPUTATION: N_(
        "How customers, suppliers and banks regard the company."
    ),
    QualitativeQuestion.MANAGEMENT_QUALITY: N_(
        "Experience, stability and integrity of the management."
    ),
    QualitativeQuestion.OPERATIONAL_RISK: N_(
        "Production capacity, dependence on few suppliers, concentration on key customers."
    ),
    QualitativeQuestion.COMPLIANCE_CONCERN: N_(
        "Litigation, regulatory findings, tax or environmental issues."
    ),
}
# The five answers of each question, 1 (best) to 5 (worst).
ANSWER_LABELS: dict[QualitativeQuestion, tuple[str, str, str, str, str]] = {
    QualitativeQuestion.MARKET_REPUTATION: (
        N_("Excellent"),
        N_("Good"),
        N_("Average"),
        N_("Poor"),
        N_("Very poor"),
    ),
    QualitativeQuestion.MANAGEMENT_QUALITY: (
        N_("Excellent"),
        N_("Good"),
        N_("Adequate"),
        N_("Weak"),
        N_("Very weak"),
    ),
    QualitativeQuestion.OPERATIONAL_RISK: (
        N_("Very low"),
        N_("Low"),
        N_("Moderate"),
        N_("High"),
        N_("Very high"),
    ),
    QualitativeQuestion.COMPLIANCE_CONCERN: (
        N_("No concern"),
        N_("Minor"),
        N_("Moderate"),
        N_("Serious"),
        N_("Severe"),
    ),
}
TRIGGER_LABELS: dict[ScoreTrigger, str] = {
    ScoreTrigger.MANUAL: N_("On request"),
    ScoreTrigger.ALL: N_("Scoring run"),
    ScoreTrigger.CHANGED: N_("Data changed"),
    ScoreTrigger.DEMO: N_("Demo data"),
}
LABELS: dict[str, Any] = {
    "questions": QUESTION_LABELS,
    "hints": QUESTION_HINTS,
    "answers": ANSWER_LABELS,
    "triggers": TRIGGER_LABELS,
}

# Validation messages of the questionnaire.
CHOOSE_AN_ANSWER = N_("Choose one of the five answers.")
EVIDENCE_NEEDED = N_("Say what the answer rests on.")
ANSWER_NEEDED = N_("Choose an answer for this evidence.")
EVIDENCE_TOO_LONG = N_("Keep the evidence under %(max)s characters.")
DATE_NEEDED = N_("Enter the date the answers hold from.")
DATE_IN_FUTURE = N_("The assessment date cannot be in the future.")
NOTHING_ANSWERED = N_("Answer at least one question.")
FORM_HAS_PROBLEMS = N_("The answers were not recorded. Correct the marked fields.")
# Flash messages.
_RESCORED = N_("Rescored as of %(date)s: grade %(grade)s, score %(score)s.")
_UNCHANGED = N_(
    "Nothing that the score reads has changed: grade %(grade)s, score %(score)s as of %(date)s."
)


# --- display --------------------------------------------------------------------------------


class Display:
    """Numbers of the risk section in the page language."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        # Parsed once: babel parses a locale name on every call, a tenth of a millisecond each,
        # which a page of a few hundred numbers feels.
        self.numbers = BabelLocale.parse(locale)
        self.gettext = translations(locale).gettext
        self.ngettext = translations(locale).ngettext

    def text(self, zh: str, en: str) -> str:
        return zh if self.locale == "zh_CN" else en

    def score(self, value: float) -> str:
        return str(format_decimal(value, "#,##0.#", locale=self.numbers))

    def pd(self, value: float) -> str:
        return str(format_percent(value, "#,##0.##%", locale=self.numbers))

    def value(self, feature: str, value: float | None) -> str:
        """A feature value in its unit: ratios as percentages, amounts in yuan, flags as yes or
        no, questionnaire answers with their wording."""
        if value is None or math.isnan(value):
            return self.gettext("No data")
        unit = FEATURE_SPECS[feature].unit
        number = str(format_decimal(value, "#,##0.##", locale=self.numbers))
        if unit is Unit.RATIO:
            return str(format_percent(value, "#,##0.#%", locale=self.numbers))
        if unit is Unit.TIMES:
            return f"{number}×"
        if unit is Unit.DAYS:
            return self.ngettext("%(num)s day", "%(num)s days", _plural(value)) % {"num": number}
        if unit is Unit.YEARS:
            years = str(format_decimal(value, "#,##0.#", locale=self.numbers))
            return self.ngettext("%(num)s year", "%(num)s years", _plural(value)) % {"num": years}
        if unit is Unit.YUAN:
            return str(format_currency(value, "CNY", locale=self.numbers))
        if unit is Unit.FLAG:
            return self.gettext("Yes") if value >= 1 else self.gettext("No")
        if unit in (Unit.LEVEL, Unit.ANSWER):
            level = f"{value:.0f} / 5"
            question = _question(feature)
            if question is not None and round(value) in ANSWERS:
                return f"{level} · {self.gettext(ANSWER_LABELS[question][round(value) - 1])}"
            return level
        return number


def _plural(value: float) -> int:
    return 1 if value == 1 else 2


def _question(feature: str) -> QualitativeQuestion | None:
    try:
        return QualitativeQuestion(feature)
    except ValueError:
        return None


def grade_labels(session: Session, actor: Actor, locale: Locale) -> dict[str, str]:
    """Each grade's risk level on the active master scale, in the page language."""
    return {
        grade.code: grade.label_zh if locale == "zh_CN" else grade.label_en
        for grade in risk_views.active_scale(session, actor).grades
    }


@dataclass(frozen=True, slots=True)
class FactorRow:
    feature: str
    label: str
    value: str
    missing: bool
    points: str
    max_points: str | None
    """``None`` where a factor has no maximum (a LightGBM model's contributions)."""
    reason: str | None
    top: bool
    """One of the top reasons shown above the table."""


@dataclass(frozen=True, slots=True)
class HistoryRow:
    as_of: date
    score: str
    grade: str
    pd: str
    versions: str
    trigger: str


@dataclass(frozen=True, slots=True)
class AnswerRow:
    question: QualitativeQuestion
    answer: str
    evidence: str
    assessed_on: date
    assessed_by: str


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """The form's values as posted (empty on the customer page) and what is wrong with them,
    by field name; ``problem`` is a message for the whole form."""

    answers: Mapping[QualitativeQuestion, str] = field(default_factory=dict)
    evidence: Mapping[QualitativeQuestion, str] = field(default_factory=dict)
    assessed_on: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class RiskSection:
    customer_id: int
    risk: RiskResult | None
    score: str | None
    pd: str | None
    grade_label: str | None
    model: str | None
    """The model that made the score: name, version and kind."""
    trained: bool
    knocked_out_by: str | None
    reasons: tuple[str, ...]
    factors: tuple[FactorRow, ...]
    history: tuple[HistoryRow, ...]
    """Newest first, as a table under the chart."""
    chart: dict[str, Any] | None
    answers: tuple[AnswerRow, ...]
    can_rescore: bool
    can_assess: bool
    form: Questionnaire
    today: date


def _factor_rows(risk: RiskResult, display: Display) -> tuple[FactorRow, ...]:
    top = {reason.feature for reason in risk.reasons}
    return tuple(_factor_row(factor, display, factor.feature in top) for factor in risk.factors)


def _factor_row(factor: FactorResult, display: Display, top: bool) -> FactorRow:
    spec = FEATURE_SPECS[factor.feature]
    reason = display.text(factor.reason_zh or "", factor.reason_en or "") or None
    return FactorRow(
        feature=factor.feature,
        label=display.text(spec.label_zh, spec.label_en),
        value=display.value(factor.feature, factor.value),
        missing=factor.value is None,
        points=display.score(factor.points),
        max_points=display.score(factor.weight * 1000) if factor.weight else None,
        reason=reason,
        top=top and reason is not None,
    )


def _model_label(model: ModelRef, display: Display) -> str:
    named = display.gettext("%(name)s, version %(version)s") % {
        "name": model.name,
        "version": model.version,
    }
    return f"{named} · {display.gettext(KIND_LABELS[ModelKind(model.kind)])}"


def _grade_label(scale: MasterScale, code: str, display: Display) -> str:
    grade = scale.grade(code)
    return display.text(grade.label_zh, grade.label_en)


def _history_rows(view: CustomerRisk, display: Display) -> tuple[HistoryRow, ...]:
    return tuple(
        HistoryRow(
            as_of=entry.as_of,
            score=display.score(entry.score),
            grade=entry.grade,
            pd=display.pd(entry.pd),
            versions=_versions(entry),
            trigger=display.gettext(TRIGGER_LABELS[entry.trigger]),
        )
        for entry in reversed(view.history)
    )


def _versions(entry: HistoryEntry) -> str:
    """Scorecard and scale versions; a trained model's kind and version in the scorecard's
    place (its knock-outs still come from the scorecard)."""
    model = entry.model
    if model is not None and model.kind != ModelKind.EXPERT:
        return f"{model.kind} v{model.version} / v{entry.scale_version}"
    return f"v{entry.scorecard_version} / v{entry.scale_version}"


def history_chart(
    history: tuple[HistoryEntry, ...],
    scale: MasterScale,
    display: Display,
    format_date: Callable[[date], str],
) -> dict[str, Any]:
    """What static/js/risk.js draws: the scores by as-of date, a band per grade of ``scale``
    (from its cut-off up to the next better grade's), and the texts of the tooltip."""
    uppers = [1000.0, *(grade.min_score for grade in scale.grades[:-1])]
    return {
        "locale": "ZH" if display.locale == "zh_CN" else "EN",
        "max": 1000,
        "points": [[entry.as_of.isoformat(), entry.score] for entry in history],
        "details": [
            {
                "date": format_date(entry.as_of),
                "score": display.score(entry.score),
                "grade": entry.grade,
                "risk": _grade_label(scale, entry.grade, display),
                "pd": display.pd(entry.pd),
            }
            for entry in history
        ],
        "bands": [
            {"grade": grade.code, "lower": grade.min_score, "upper": upper}
            for grade, upper in zip(scale.grades, uppers, strict=True)
        ],
        "text": {
            "score": display.gettext("Score"),
            "grade": display.gettext("Grade"),
            "pd": display.gettext("Probability of default"),
        },
    }


def customer_section(
    request: Request,
    session: Session,
    actor: Actor,
    customer_id: int,
    *,
    form: Questionnaire | None = None,
) -> dict[str, Any]:
    """What the customer page's risk sections show; nothing for a user who may not see scores."""
    context: dict[str, Any] = {"risk_labels": LABELS, "max_evidence_length": MAX_EVIDENCE_LENGTH}
    if not actor.can(Permission.RISK_READ):
        return {"risk_section": None, **context}
    display = Display(request_locale(request))
    view = risk_views.customer_risk(session, actor, customer_id=customer_id)
    risk = view.risk
    formatter = Formatter(display.locale, app_settings(request).zone)
    section = RiskSection(
        customer_id=customer_id,
        risk=risk,
        score=display.score(risk.score) if risk else None,
        pd=display.pd(risk.pd) if risk else None,
        grade_label=display.text(view.grade.label_zh, view.grade.label_en) if view.grade else None,
        model=_model_label(risk.model, display) if risk and risk.model else None,
        trained=bool(risk and risk.model and risk.model.kind != ModelKind.EXPERT),
        knocked_out_by=(
            display.text(
                FEATURE_SPECS[risk.knocked_out_by].label_zh,
                FEATURE_SPECS[risk.knocked_out_by].label_en,
            )
            if risk and risk.knocked_out_by
            else None
        ),
        reasons=tuple(display.text(r.text_zh, r.text_en) for r in risk.reasons) if risk else (),
        factors=_factor_rows(risk, display) if risk else (),
        history=_history_rows(view, display),
        chart=(
            history_chart(view.history, view.scale, display, formatter.date)
            if view.history
            else None
        ),
        answers=tuple(_answer_row(answer, display) for answer in view.answers),
        can_rescore=actor.can(Permission.RISK_WRITE),
        can_assess=actor.can(Permission.RISK_ASSESS),
        form=form or Questionnaire(),
        today=business_today(app_settings(request).zone),
    )
    return {"risk_section": section, **context}


def _answer_row(assessment: QualitativeAssessment, display: Display) -> AnswerRow:
    label = ANSWER_LABELS[assessment.question][assessment.answer - 1]
    return AnswerRow(
        question=assessment.question,
        answer=f"{assessment.answer} · {display.gettext(label)}",
        evidence=assessment.evidence,
        assessed_on=assessment.assessed_on,
        assessed_by=assessment.assessed_by,
    )


# --- rescoring ------------------------------------------------------------------------------


@router.post("/{customer_id:int}/risk/rescore")
def rescore(
    request: Request,
    customer_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.RISK_WRITE)],
) -> Response:
    """Score the customer now and say whether anything moved; the history gains an entry only
    when the inputs changed (docs/risk.md)."""
    before = risk_service.find_risk(session, customer_id)
    result = risk_service.rescore_customer(session, actor, customer_id=customer_id)
    display = Display(request_locale(request))
    params = {
        "grade": result.grade,
        "score": display.score(result.score),
        "date": Formatter(display.locale, app_settings(request).zone).date(result.as_of),
    }
    if before is not None and before.risk_score_id == result.risk_score_id:
        sessions.flash(request, "info", display.gettext(_UNCHANGED) % params)
    else:
        sessions.flash(request, "success", display.gettext(_RESCORED) % params)
    return RedirectResponse(f"/customers/{customer_id}#risk", status_code=303)


# --- the questionnaire ----------------------------------------------------------------------


async def posted_questionnaire(request: Request) -> Questionnaire:
    """The questionnaire's fields as posted, unchecked."""
    form = await request.form()

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    return Questionnaire(
        answers={question: text(f"answer_{question.value}") for question in QualitativeQuestion},
        evidence={question: text(f"evidence_{question.value}") for question in QualitativeQuestion},
        assessed_on=text("assessed_on"),
    )


PostedQuestionnaire = Annotated[Questionnaire, Depends(posted_questionnaire)]


@dataclass(frozen=True, slots=True)
class Answer:
    question: QualitativeQuestion
    answer: int
    evidence: str


def check_questionnaire(
    form: Questionnaire, today: date, gettext: Callable[[str], str]
) -> tuple[list[Answer], date | None, Questionnaire]:
    """The answers to record and their date, or the form again with a message per field.

    A question left blank (no answer, no evidence) is skipped; one answered needs evidence.
    """
    errors: dict[str, str] = {}
    answers: list[Answer] = []
    for question in QualitativeQuestion:
        raw = form.answers.get(question, "")
        evidence = form.evidence.get(question, "")
        if not raw and not evidence:
            continue
        known_problems = len(errors)
        if raw not in {str(answer) for answer in ANSWERS}:
            errors[f"answer_{question.value}"] = gettext(
                ANSWER_NEEDED if not raw else CHOOSE_AN_ANSWER
            )
        if raw and not evidence:
            errors[f"evidence_{question.value}"] = gettext(EVIDENCE_NEEDED)
        elif len(evidence) > MAX_EVIDENCE_LENGTH:
            errors[f"evidence_{question.value}"] = gettext(EVIDENCE_TOO_LONG) % {
                "max": f"{MAX_EVIDENCE_LENGTH:,}"
            }
        if len(errors) == known_problems:
            answers.append(Answer(question, int(raw), evidence))
    assessed_on = _date(form.assessed_on)
    if assessed_on is None:
        errors["assessed_on"] = gettext(DATE_NEEDED)
    elif assessed_on > today:
        errors["assessed_on"] = gettext(DATE_IN_FUTURE)
    problem = None
    if not errors and not answers:
        problem = gettext(NOTHING_ANSWERED)
    elif errors:
        problem = gettext(FORM_HAS_PROBLEMS)
    if problem is not None:
        checked = Questionnaire(
            answers=form.answers,
            evidence=form.evidence,
            assessed_on=form.assessed_on,
            errors=errors,
            problem=problem,
        )
        return [], None, checked
    return answers, assessed_on, form


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.post("/{customer_id:int}/risk/assessment")
def record_assessment(
    request: Request,
    customer_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.RISK_ASSESS)],
    posted: PostedQuestionnaire,
) -> Response:
    """Record the answered questions, each with its evidence and the one date; a form with a
    problem records nothing and comes back with the problems marked (400)."""
    customer = customers_service.get_customer(session, actor, customer_id)
    locale = request_locale(request)
    catalogue = translations(locale)
    today = business_today(app_settings(request).zone)
    answers, assessed_on, form = check_questionnaire(posted, today, catalogue.gettext)
    if assessed_on is None:
        context = customer_section(request, session, actor, customer_id, form=form)
        return render(
            request, "risk/assessment.html", {"customer": customer, **context}, status_code=400
        )
    for answer in answers:
        risk_service.record_assessment(
            session,
            actor,
            customer_id=customer_id,
            question=answer.question,
            answer=answer.answer,
            evidence=answer.evidence,
            assessed_on=assessed_on,
        )
    message = catalogue.ngettext(
        "%(num)s answer recorded; the score reads it at the next rescoring.",
        "%(num)s answers recorded; the score reads them at the next rescoring.",
        len(answers),
    )
    sessions.flash(request, "success", message % {"num": len(answers)})
    return RedirectResponse(f"/customers/{customer_id}#questionnaire", status_code=303)
