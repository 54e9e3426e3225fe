"""``fengkong model``: train and validate models in the model lab from the command line.

The lab needs the optional ``lab`` extra (optbinning, scikit-learn, LightGBM); it is imported
inside the commands so that ``fengkong`` itself starts without it. The registry commands
(register, list, validate, approve, reject, promote, rollback) work on the model registry in the
configured database; the decisions name a person (``--as USER``), whose role must allow them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
        Path, typer.Option(exists=True, dir_okay=False, readable=True, help="A .csv or .xlsx file.")
    ],
    target: Annotated[str, typer.Option(help="The column holding the outcome.")],
    bad_value: Annotated[str, typer.Option(help="The target value that means bad (default).")],
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
) -> None:
    """Cross-validate a model on a labelled table and print its metrics.

    With --out, a final model trained on every row is written (scorecard JSON/YAML/XLSX/SQL, or
    LightGBM text + metadata JSON) beside validation.json and a self-contained report.html.
    """
    try:
        from fengkong.scoring.lab import export, report, validation
        from fengkong.scoring.lab.data import LabError, read_labelled_table
        from fengkong.scoring.lab.gbm import GbmSettings
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
    try:
        table = read_labelled_table(
            data,
            target=target,
            bad_value=bad_value,
            special_codes=_codes(special_codes),
            date_column=date_column,
            exclude=exclude or (),
        )
        recipe = validation.Recipe(
            kind=validation.ModelKind(kind.value),
            scorecard=ScorecardSettings(
                base_points=base_points, base_odds=base_odds, pdo=pdo, min_iv=min_iv
            ),
            gbm=GbmSettings(seed=seed, monotone=monotone.value),
        )
        cv = validation.cross_validate(table, recipe, folds=folds, seed=seed)
        backtest = (
            validation.out_of_time_backtest(table, recipe) if date_column is not None else None
        )
        final = recipe.train(table) if (out is not None or recent is not None) else None
        drift = None
        if recent is not None and final is not None:
            drift = validation.stability(
                final,
                table.features,
                _recent_features(recent, table),
                categorical=table.categorical,
            )
    except LabError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1) from error
    summary = validation.validation_summary(table, cv, backtest=backtest, recent=drift)
    summary["seconds"] = time.perf_counter() - started
    if out is not None and final is not None:
        written = export.write_artefacts(final, out)
        (out / "validation.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        (out / "report.html").write_text(report.render_report(summary, final), encoding="utf-8")
        summary["artefacts"] = [str(p) for p in [*written, out / "validation.json"]] + [
            str(out / "report.html")
        ]
    if as_json:
        shown = {k: v for k, v in summary.items() if k not in {"roc"}}
        typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)


def _recent_features(path: Path, table: LabelledTable) -> Any:
    from fengkong.scoring.lab.data import LabError, read_frame

    frame = read_frame(path).rename(columns=lambda name: str(name).strip())
    missing = [name for name in table.columns if name not in frame.columns]
    if missing:
        raise LabError(f"recent sample lacks column {missing[0]!r}", column=missing[0])
    return frame


def _print_summary(summary: dict[str, Any]) -> None:
    typer.echo(
        f"{summary['kind']}: {summary['n_rows']} rows, {summary['n_bad']} bad "
        f"({100 * summary['bad_rate']:.2f} %), {summary['folds']}-fold stratified CV, "
        f"seed {summary['seed']}"
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
