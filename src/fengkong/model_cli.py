"""``fengkong model``: train and validate models in the model lab from the command line.

The lab needs the optional ``lab`` extra (optbinning, scikit-learn, LightGBM); it is imported
inside the commands so that ``fengkong`` itself starts without it. The registry commands
(register, list, validate, approve, reject, promote, rollback) work on the model registry in the
configured database; the decisions name a person (``--as USER``), whose role must allow them.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fengkong.auth.actor import Actor
from fengkong.errors import DomainError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fengkong.models.models import ModelVersion
    from fengkong.scoring.lab.data import LabelledTable
    from fengkong.scoring.lab.ledger_sample import LedgerSample, SampleSettings

model_app = typer.Typer(
    help="Model lab: train a scorecard or LightGBM on a labelled table and validate it.",
    no_args_is_help=True,
)


class Kind(StrEnum):
    SCORECARD = "scorecard"
    GBM = "gbm"


class Monotone(StrEnum):
    NONE = "none"
    BINNING = "binning"


def _codes(text: str | None) -> tuple[float, ...]:
    if not text:
        return ()
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise typer.BadParameter(f"not a list of numbers: {text!r}") from None


@model_app.command("train")
def train(
    data: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, readable=True, help="A .csv or .xlsx file."),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="--data: the column holding the outcome.")
    ] = None,
    bad_value: Annotated[
        str | None, typer.Option(help="--data: the target value that means bad (default).")
    ] = None,
    from_ledgers: Annotated[
        bool,
        typer.Option(
            "--from-ledgers",
            help="Learn from Fengkong's own ledgers instead of --data: a row per customer and "
            "month end, bad = first reaching --dpd days past due within --performance-months.",
        ),
    ] = False,
    dpd: Annotated[
        int | None, typer.Option(min=1, help="--from-ledgers: days past due that mean default.")
    ] = None,
    performance_months: Annotated[
        int | None,
        typer.Option(min=1, help="--from-ledgers: months after each observation date watched."),
    ] = None,
    first_observation: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="--from-ledgers: the first observation month."),
    ] = None,
    last_observation: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="--from-ledgers: the last observation month."),
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="--from-ledgers: read the ledgers as known on this day."
        ),
    ] = None,
    kind: Annotated[
        Kind, typer.Option(help="scorecard (binning + logistic) or gbm (LightGBM).")
    ] = (Kind.SCORECARD),
    folds: Annotated[int, typer.Option(min=2, help="Stratified K-fold cross-validation.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the folds and of LightGBM.")] = 42,
    special_codes: Annotated[
        str | None, typer.Option(help="Comma-separated special codes, e.g. -999,-998.")
    ] = None,
    date_column: Annotated[
        str | None, typer.Option(help="A date column: adds the out-of-time backtest.")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="A column not to use as a feature (repeatable).")
    ] = None,
    recent: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="A recent sample: PSI and CSI against it."),
    ] = None,
    monotone: Annotated[
        Monotone, typer.Option(help="gbm: monotone constraints from the binning trends.")
    ] = Monotone.NONE,
    pdo: Annotated[float, typer.Option(help="scorecard: points to double the odds.")] = 20.0,
    base_points: Annotated[float, typer.Option(help="scorecard: points at the base odds.")] = 600.0,
    base_odds: Annotated[
        float, typer.Option(help="scorecard: good:bad odds at base points.")
    ] = 50.0,
    min_iv: Annotated[float, typer.Option(help="scorecard: minimum information value.")] = 0.02,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="Write the artefacts and report.html into this folder."),
    ] = None,
    register: Annotated[
        str | None, typer.Option(help="Register the trained model under this name, as a draft.")
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="--from-ledgers, --register: act as this registered user."),
    ] = None,
) -> None:
    """Cross-validate a model on a labelled table (--data) or on the ledgers (--from-ledgers)
    and print its metrics.

    With --out, a final model trained on every row is written (scorecard JSON/YAML/XLSX/SQL, or
    LightGBM text + metadata JSON) beside validation.json and a self-contained report.html;
    --register NAME stores it in the model registry as a draft.
    """
    labelled = _labelled_file(
        data=data,
        from_ledgers=from_ledgers,
        for_data={
            "--target": target,
            "--bad-value": bad_value,
            "--special-codes": special_codes,
            "--date-column": date_column,
            "--exclude": exclude,
        },
        for_ledgers={
            "--dpd": dpd,
            "--performance-months": performance_months,
            "--first-observation": first_observation,
            "--last-observation": last_observation,
            "--as-of": as_of,
        },
    )
    try:
        from fengkong.scoring.lab import export, report, validation
        from fengkong.scoring.lab.data import LabError, read_labelled_table
        from fengkong.scoring.lab.gbm import GbmSettings
        from fengkong.scoring.lab.ledger_sample import SampleSettings
        from fengkong.scoring.lab.scorecard import ScorecardSettings
    except ImportError as error:  # pragma: no cover - the dev install always has the extra
        typer.secho(
            f"error: the model lab needs the 'lab' extra ({error.name} is missing): "
            "pip install 'fengkong[lab]'",
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(code=1) from error

    started = time.perf_counter()
    sample = None
    try:
        recipe = validation.Recipe(
            kind=validation.ModelKind(kind.value),
            scorecard=ScorecardSettings(
                base_points=base_points, base_odds=base_odds, pdo=pdo, min_iv=min_iv
            ),
            gbm=GbmSettings(seed=seed, monotone=monotone.value),
        )
        if labelled is None:
            chosen: dict[str, Any] = {
                "dpd_threshold": dpd,
                "performance_months": performance_months,
                "first_observation": first_observation.date() if first_observation else None,
                "last_observation": last_observation.date() if last_observation else None,
            }
            sample = _ledger_sample(
                SampleSettings(**{k: v for k, v in chosen.items() if v is not None}),
                as_of=as_of.date() if as_of else None,
                username=as_user,
            )
            table = sample.table
        else:
            table = read_labelled_table(
                labelled[0],
                target=labelled[1],
                bad_value=labelled[2],
                special_codes=_codes(special_codes),
                date_column=date_column,
                exclude=exclude or (),
            )
        # A customer's monthly rows stay in one fold, or the folds test on customers they know.
        groups = sample.customer_ids if sample is not None else None
        cv = validation.cross_validate(table, recipe, folds=folds, seed=seed, groups=groups)
        backtest = (
            validation.out_of_time_backtest(table, recipe) if table.dates is not None else None
        )
        # From the ledgers, today's performing book is the recent sample unless one is given.
        recent_features = _recent_features(recent, table) if recent is not None else None
        if recent_features is None and sample is not None:
            recent_features = sample.current
        wanted = (out, register, recent_features)
        final = recipe.train(table) if any(x is not None for x in wanted) else None
        drift = None
        if final is not None and recent_features is not None:
            drift = validation.stability(
                final, table.features, recent_features, categorical=table.categorical
            )
    except LabError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1) from error
    summary = validation.validation_summary(table, cv, backtest=backtest, recent=drift)
    if sample is not None:
        summary["sample"] = sample.describe()
        summary["folds_grouped_by"] = "customer"
    if final is not None:
        summary["development_distribution"] = validation.development_distribution(final, table)
    summary["seconds"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        folder = out or (Path(scratch) if register is not None else None)
        if folder is not None and final is not None:
            written = export.write_artefacts(final, folder)
            (folder / "validation.json").write_text(
                json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            (folder / "report.html").write_text(
                report.render_report(summary, final), encoding="utf-8"
            )
            if out is not None:
                summary["artefacts"] = [str(p) for p in [*written, out / "validation.json"]] + [
                    str(out / "report.html")
                ]
        if folder is not None and register is not None:
            summary["registered"] = _register_trained(folder, register, as_user)
    if as_json:
        shown = {k: v for k, v in summary.items() if k not in {"roc"}}
        typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)


def _labelled_file(
    *,
    data: Path | None,
    from_ledgers: bool,
    for_data: dict[str, Any],
    for_ledgers: dict[str, Any],
) -> tuple[Path, str, str] | None:
    """The labelled file, its target and bad value; ``None`` to train on the ledgers. Exactly
    one source of training data, and only the options that apply to it."""
    if (data is None) == (not from_ledgers):
        raise typer.BadParameter(
            "train on a labelled file (--data FILE) or on the ledgers (--from-ledgers): "
            "give exactly one",
            param_hint="'--data' / '--from-ledgers'",
        )
    given, source = (for_data, "--from-ledgers") if from_ledgers else (for_ledgers, "--data")
    stray = [option for option, value in given.items() if value is not None]
    if stray:
        raise typer.BadParameter(f"{stray[0]} does not apply with {source}", param_hint=stray[0])
    if data is None:
        return None
    target, bad_value = for_data["--target"], for_data["--bad-value"]
    for option, value in (("--target", target), ("--bad-value", bad_value)):
        if value is None:
            raise typer.BadParameter(f"--data needs {option}", param_hint=option)
    return data, str(target), str(bad_value)


def _ledger_sample(
    settings: SampleSettings, *, as_of: date | None, username: str | None
) -> LedgerSample:
    from fengkong.models import service

    with _registry(username) as (session, actor):
        return service.ledger_training_sample(session, actor, settings=settings, as_of=as_of)


def _register_trained(folder: Path, name: str, username: str | None) -> dict[str, Any]:
    from fengkong.models import service

    with _registry(username) as (session, actor):
        model = service.register_directory(session, actor, directory=folder, name=name)
        return {"id": model.id, "name": model.name, "version": model.version}


def _recent_features(path: Path, table: LabelledTable) -> Any:
    from fengkong.scoring.lab.data import LabError, read_frame

    frame = read_frame(path).rename(columns=lambda name: str(name).strip())
    missing = [name for name in table.columns if name not in frame.columns]
    if missing:
        raise LabError(f"recent sample lacks column {missing[0]!r}", column=missing[0])
    return frame


def _print_summary(summary: dict[str, Any]) -> None:
    grouped = " grouped by customer" if summary.get("folds_grouped_by") else ""
    typer.echo(
        f"{summary['kind']}: {summary['n_rows']} rows, {summary['n_bad']} bad "
        f"({100 * summary['bad_rate']:.2f} %), {summary['folds']}-fold stratified CV{grouped}, "
        f"seed {summary['seed']}"
    )
    if summary.get("sample"):
        t = summary["sample"]
        typer.echo(
            f"  from the ledgers as known on {t['known_until']}: {t['n_customers']} customers at "
            f"{t['observation_dates']} month ends {t['first_observation']} … "
            f"{t['last_observation']}; bad = first {t['dpd_threshold']}+ days past due within "
            f"{t['performance_months']} months; left out {t['excluded_in_default']} "
            f"customer-months in default, {t['excluded_without_trade']} before a first trade"
        )
    for name in ("auc", "gini", "ks", "brier"):
        typer.echo(f"  {name.upper():<6}{summary[name]:.4f} ± {summary[name + '_sd']:.4f}")
    slowest = max(summary["fold_seconds"])
    typer.echo(f"  slowest fold {slowest:.2f} s, total {summary['seconds']:.1f} s")
    typer.echo("  calibration by score band (predicted PD / observed rate / binomial p):")
    for row in summary["calibration"]:
        typer.echo(
            f"    {row['band']}  {row['count']:>7}  {row['predicted_pd']:.4f}  "
            f"{row['observed_rate']:.4f}  p={row['p_value']:.3f}"
        )
    if summary["backtest"]:
        b = summary["backtest"]
        typer.echo(
            f"  out of time from {b['first_test_period']}: AUC {b['auc']:.4f}, KS {b['ks']:.4f}, "
            f"PSI {b['stability']['psi']:.4f}"
        )
    if summary["stability"]:
        typer.echo(f"  PSI against the recent sample: {summary['stability']['psi']:.4f}")
    for path in summary.get("artefacts", []):
        typer.echo(f"  wrote {path}")
    if "registered" in summary:
        entry = summary["registered"]
        typer.echo(f"  registered {entry['name']} v{entry['version']} (id {entry['id']}) as draft")


# --- the model registry ----------------------------------------------------------------------

_CLI_ACTOR_NAME = "cli"

AsUser = Annotated[
    str | None,
    typer.Option("--as", help="Act as this user (their role decides what is allowed)."),
]
RequiredUser = Annotated[
    str, typer.Option("--as", help="The user deciding (their role decides what is allowed).")
]
Comment = Annotated[str | None, typer.Option(help="Why: kept in the model's history.")]


@contextmanager
def _registry(username: str | None) -> Iterator[tuple[Session, Actor]]:
    """A committed unit of work as ``username`` (a registered user) or, without, the system's
    ``cli`` actor; domain errors exit 1 with their message."""
    from fengkong import database as database_module
    from fengkong.auth import service as auth_service

    database = database_module.open_database()
    try:
        with database.session_scope(actor=Actor.system(_CLI_ACTOR_NAME)) as session:
            actor = Actor.system(_CLI_ACTOR_NAME)
            if username is not None:
                actor = auth_service.actor_for(auth_service.get_user(session, username))
                session.info["actor"] = actor
            yield session, actor
    except DomainError as error:
        typer.secho(f"error: {error.message}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1) from error
    finally:
        database.dispose()


def _model_line(model: ModelVersion) -> str:
    from fengkong.models.artefacts import headline

    auc, ks = headline(model.metrics)
    shown = f"AUC {auc:.4f}  KS {ks:.4f}" if auc is not None and ks is not None else "-"
    return (
        f"{model.id:>5}  {model.name} v{model.version}  {model.kind.value:<9} "
        f"{model.state.value:<9}  {shown}  by {model.author}"
    )


def _model_json(model: ModelVersion) -> dict[str, Any]:
    from fengkong.models.artefacts import headline

    auc, ks = headline(model.metrics)
    return {
        "id": model.id,
        "name": model.name,
        "version": model.version,
        "kind": model.kind.value,
        "state": model.state.value,
        "auc": auc,
        "ks": ks,
        "author": model.author,
        "approved_by": model.approved_by,
        "artefact_sha256": model.artefact_sha256,
        "data_hash": model.data_hash,
        "features": model.features,
        "scorecard_version_id": model.scorecard_version_id,
        "shadow": model.shadow,
    }


@model_app.command("register")
def register(
    directory: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="A `model train --out` folder.")
    ],
    name: Annotated[str, typer.Option(help="The model's name; versions count up per name.")],
    notes: Annotated[str | None, typer.Option(help="A note kept with the version.")] = None,
    as_user: AsUser = None,
) -> None:
    """Register a trained model (its artefact, validation.json and report.html) as a draft."""
    from fengkong.models import service

    with _registry(as_user) as (session, actor):
        model = service.register_directory(
            session, actor, directory=directory, name=name, notes=notes
        )
        typer.echo(f"registered {_model_line(model)}")


@model_app.command("list")
def list_models(
    name: Annotated[str | None, typer.Option(help="Only this model name.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every registered model version, the active expert scorecard included."""
    from fengkong.models import service

    with _registry(None) as (session, actor):
        models = service.list_models(session, actor, name=name)
        if as_json:
            typer.echo(json.dumps([_model_json(m) for m in models], ensure_ascii=False, indent=2))
        else:
            for model in models:
                typer.echo(_model_line(model))


@model_app.command("validate")
def validate(
    model_id: Annotated[int, typer.Argument(help="The model's id (see `model list`).")],
    data: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="Labelled .csv/.xlsx to measure it on."),
    ] = None,
    target: Annotated[str | None, typer.Option(help="The outcome column of --data.")] = None,
    bad_value: Annotated[str | None, typer.Option(help="The value meaning bad.")] = None,
    comment: Comment = None,
    as_user: AsUser = None,
) -> None:
    """Validate a draft: on --data (hold-out metrics), else accept its cross-validation."""
    from fengkong.models import service

    with _registry(as_user) as (session, actor):
        model = service.validate_model(
            session,
            actor,
            model_id=model_id,
            data=data,
            target=target,
            bad_value=bad_value,
            comment=comment,
        )
        holdout = (model.metrics or {}).get("holdout")
        if holdout:
            typer.echo(
                f"hold-out on {holdout['n_rows']} rows: AUC {holdout['auc']:.4f}, "
                f"KS {holdout['ks']:.4f}, Brier {holdout['brier']:.4f}"
            )
        typer.echo(f"validated {_model_line(model)}")


@model_app.command("approve")
def approve(
    model_id: Annotated[int, typer.Argument(help="The model's id.")],
    as_user: RequiredUser,
    comment: Comment = None,
) -> None:
    """Approve a validated model (models:approve, and not its author)."""
    from fengkong.models import service

    with _registry(as_user) as (session, actor):
        model = service.approve_model(session, actor, model_id=model_id, comment=comment)
        typer.echo(f"approved {_model_line(model)}")


@model_app.command("reject")
def reject(
    model_id: Annotated[int, typer.Argument(help="The model's id.")],
    as_user: RequiredUser,
    comment: Annotated[str, typer.Option(help="Why it is rejected.")],
) -> None:
    """Reject a draft, validated or approved model."""
    from fengkong.models import service

    with _registry(as_user) as (session, actor):
        model = service.reject_model(session, actor, model_id=model_id, comment=comment)
        typer.echo(f"rejected {_model_line(model)}")


@model_app.command("promote")
def promote(
    model_id: Annotated[int, typer.Argument(help="The model's id.")],
    as_user: RequiredUser,
    comment: Comment = None,
) -> None:
    """Make an approved model its name's champion; the previous champion is retired."""
    from fengkong.models import service

    with _registry(as_user) as (session, actor):
        model = service.promote_model(session, actor, model_id=model_id, comment=comment)
        typer.echo(f"champion {_model_line(model)}")


@model_app.command("rollback")
def rollback(
    name: Annotated[str, typer.Argument(help="The model name.")],
    to: Annotated[int, typer.Option("--to", help="The earlier champion's version.")],
    as_user: RequiredUser,
    comment: Comment = None,
) -> None:
    """Make an earlier champion of NAME the champion again."""
    from fengkong.models import service

    with _registry(as_user) as (session, actor):
        model = service.rollback(session, actor, name=name, to_version=to, comment=comment)
        typer.echo(f"champion again {_model_line(model)}")


@model_app.command("shadow")
def shadow(
    model_id: Annotated[int, typer.Argument(help="The challenger's id.")],
    on: Annotated[
        bool | None,
        typer.Option(
            "--on/--off",
            help="Start or stop scoring in the shadow (a risk manager, named with --as); "
            "without either, print the comparison with the champion.",
        ),
    ] = None,
    as_user: AsUser = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """Run a validated or approved challenger beside the champion on live data, or compare it
    with the champion on the customers both scored (docs/model-lab.md, "Shadow scoring")."""
    from fengkong.models import shadow as shadow_service

    if on is not None and as_user is None:
        typer.secho("error: name the risk manager deciding with --as", err=True, fg="red")
        raise typer.Exit(code=2)
    with _registry(as_user) as (session, actor):
        if on is not None:
            model = shadow_service.set_shadow(session, actor, model_id=model_id, on=on)
            typer.echo(f"{'in the shadow' if on else 'out of the shadow'} {_model_line(model)}")
            return
        result = shadow_service.compare_shadow(session, actor, model_id=model_id)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str))
        else:
            for line in _shadow_lines(result):
                typer.echo(line)


def _shadow_lines(result: Any) -> list[str]:
    def number(value: float | None, pattern: str = "{:.4f}") -> str:
        return "-" if value is None else pattern.format(value)

    comparison = result.comparison
    lines = [
        f"challenger {result.challenger} against champion {result.champion or '-'}, "
        f"as of {result.as_of or '- (no shadow scores yet)'}",
        f"customers {comparison.n}  Spearman {number(comparison.spearman)}  "
        f"mean PD {number(comparison.mean_pd_champion, '{:.2%}')} (champion) "
        f"vs {number(comparison.mean_pd_challenger, '{:.2%}')} (challenger)",
        f"upgraded {comparison.grades.upgraded:.1%}  downgraded {comparison.grades.downgraded:.1%}",
        "champion grade (rows) x challenger grade (columns):",
        "      " + "".join(f"{code:>7}" for code in comparison.grades.champion),
    ]
    for code, row in zip(comparison.grades.champion, comparison.grades.cross, strict=True):
        lines.append(f"  {code:<4}" + "".join(f"{count:>7}" for count in row))
    if comparison.n_bad is None:
        lines.append("outcomes: none yet (the comparison day is today)")
    else:
        lines.append(
            f"outcomes to {result.outcomes_until}: {comparison.n_bad} defaulted (90+ days past "
            f"due); AUC champion {number(comparison.auc_champion)}, "
            f"challenger {number(comparison.auc_challenger)}"
        )
    return lines


# --- drift and champion vs challenger --------------------------------------------------------


def _drift_json(result: Any) -> dict[str, Any]:
    model, check = result.model, result.check
    return {
        "model_id": model.id,
        "name": model.name,
        "version": model.version,
        "kind": model.kind.value,
        "checked_on": check.checked_on.isoformat(),
        "status": check.status.value,
        "psi": check.psi,
        "threshold": check.threshold,
        "n_scores": check.n_scores,
        "variable": check.variable,
        "baseline_source": check.baseline_source,
        "new": result.created,
        "alerted": result.alerted,
    }


@model_app.command("drift")
def drift(
    on: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="Check as of this day (default: today)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check each champion's live score distribution against its development one (PSI); a
    crossing above FENGKONG_MODEL_DRIFT_PSI notifies the owner. Once a day per model: the
    worker (PostgreSQL) and `fengkong serve` (SQLite) run it by themselves."""
    from fengkong.kit.time import business_today
    from fengkong.models import drift as drift_service
    from fengkong.settings import get_settings

    day = on.date() if on else business_today(get_settings().zone)
    with _registry(None) as (session, actor):
        results = [_drift_json(r) for r in drift_service.check_drift(session, actor, today=day)]
    if as_json:
        typer.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    if not results:
        typer.echo("no champion model to check")
    for row in results:
        psi = (
            f"PSI {row['psi']:.4f} (threshold {row['threshold']:.2f})"
            if row["psi"] is not None
            else ""
        )
        typer.echo(
            f"{row['model_id']:>5}  {row['name']} v{row['version']}  {row['status']:<8} {psi}  "
            f"{row['n_scores']:,} live scores, reference {row['baseline_source'] or '-'}"
            f"{'  owner alerted' if row['alerted'] else ''}"
            f"{'' if row['new'] else '  (checked earlier today)'}"
        )


@model_app.command("compare")
def compare(
    champion_id: Annotated[int, typer.Argument(help="The champion's id (see `model list`).")],
    challenger_id: Annotated[int, typer.Argument(help="The challenger's id.")],
    data: Annotated[
        Path,
        typer.Option(exists=True, dir_okay=False, help="Labelled .csv/.xlsx both models score."),
    ],
    target: Annotated[str, typer.Option(help="The outcome column of --data.")],
    bad_value: Annotated[str, typer.Option(help="The value meaning bad.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    html: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Write the comparison report here.")
    ] = None,
) -> None:
    """Champion against challenger on the same rows: AUC, Gini, KS, Brier and their deltas, the
    DeLong test, rank correlation, calibration by grade and grade migration."""
    from fengkong.models import comparison

    with _registry(None) as (session, actor):
        result = comparison.compare_on_data(
            session,
            actor,
            champion_id=champion_id,
            challenger_id=challenger_id,
            data=data,
            target=target,
            bad_value=bad_value,
        )
    if html is not None:
        from fengkong.scoring.lab.report import render_comparison

        html.write_text(render_comparison(result), encoding="utf-8")
    if as_json:
        shown = {
            **result,
            "champion": {k: v for k, v in result["champion"].items() if k != "roc"},
            "challenger": {k: v for k, v in result["challenger"].items() if k != "roc"},
        }
        typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    first, second = result["champion"], result["challenger"]
    typer.echo(
        f"{first['label']} (champion) vs {second['label']} (challenger) on {result['n_rows']} "
        f"rows, {result['n_bad']} bad ({100 * result['bad_rate']:.2f} %)"
    )
    for name in ("auc", "gini", "ks", "brier"):
        typer.echo(
            f"  {name.upper():<6}{first[name]:.4f}  {second[name]:.4f}  "
            f"{result['deltas'][name]:+.4f}"
        )
    rho = result["rank_correlation"]
    typer.echo(
        f"  DeLong p = {result['delong']['p_value']:.4f}; rank correlation "
        f"{'-' if rho is None else f'{rho:.4f}'}; challenger grades better for "
        f"{100 * result['upgraded']:.1f} %, worse for {100 * result['downgraded']:.1f} %"
    )
    if html is not None:
        typer.echo(f"  wrote {html}")
