"""Settings: every versioned configuration (scorecard, grade scale, limit policy, credit-check and
early-warning rule sets) through one set of generic pages — the kinds the user may read with the
version in force, a kind's versions, one version's YAML with its difference from the version in
force, the activate and download buttons, and the import form. The kinds and their permissions
are in ``fengkong.web.settings_kinds``; the areas' stores do the work and check the permissions
again. Webhooks and dead letters are in ``settings_webhooks`` (mounted first, so their fixed paths
win over ``/settings/{kind}``)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from fengkong.api.deps import DbSession
from fengkong.api.security import RequirePermission
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.config_versions import MAX_CONFIG_BYTES, ConfigStatus, ConfigVersion
from fengkong.errors import NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from fengkong.i18n import N_, translations
from fengkong.web import sessions
from fengkong.web.deps import OptionalActor, request_locale
from fengkong.web.routes import settings_webhooks
from fengkong.web.settings_kinds import (
    SETTINGS_KINDS,
    SETTINGS_PERMISSIONS,
    SettingsKind,
    readable_kinds,
)
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(settings_webhooks.router)

MAX_NOTE_LENGTH = 500
SHA_SHOWN = 12
STATUS_LABELS: dict[ConfigStatus, str] = {
    ConfigStatus.DRAFT: N_("Draft"),
    ConfigStatus.ACTIVE: N_("In force"),
    ConfigStatus.RETIRED: N_("Retired"),
}
_STORED = N_("Version %(version)s is stored as a draft. Check the changes, then activate it.")
_ALREADY_STORED = N_("This text is already stored as version %(version)s; nothing new was stored.")
_ACTIVATED = N_("Version %(version)s is in force now.")
_ALREADY_ACTIVE = N_("Version %(version)s is already in force.")
_NOTHING_SENT = N_("Paste the YAML or choose a file.")
_TOO_LARGE = N_("The file is larger than %(limit)s bytes.")
_NOT_TEXT = N_("The file is not UTF-8 text.")
# PyYAML's problem mark; the last one in a message is where parsing stopped.
_MARK = re.compile(r"line (\d+), column (\d+)")


@dataclass(frozen=True, slots=True)
class Configuring:
    """Who is on a kind's page, and which kind."""

    actor: Actor
    kind: SettingsKind


class KindPermission(RequirePermission):
    """The ``{kind}`` in the path must be a known kind the signed-in user may read (or, for
    ``write``, change), with the permissions the area's API routes use."""

    def __init__(self, *, write: bool) -> None:
        super().__init__(None)
        self.write = write

    def __call__(self, kind: str, actor: OptionalActor) -> Configuring:
        if actor is None:
            raise NotAuthenticated("sign in to see this page")
        found = SETTINGS_KINDS.get(kind)
        if found is None:
            raise NotFound(f"no configuration kind {kind!r}")
        RequirePermission(found.write if self.write else found.read).check(actor)
        return Configuring(actor, found)


class SettingsPermission(RequirePermission):
    """The settings index opens for anyone who may read a configuration or manage webhooks —
    the menu entry's permission set."""

    def __init__(self) -> None:
        super().__init__(None)

    def __call__(self, actor: OptionalActor) -> Actor:
        if actor is None:
            raise NotAuthenticated("sign in to see this page")
        if not any(actor.can(permission) for permission in SETTINGS_PERMISSIONS):
            raise PermissionDenied(
                f"the settings need a configuration permission, which the {actor.role} role lacks",
                details={"role": actor.role.value},
            )
        return actor


Reader = Annotated[Configuring, Depends(KindPermission(write=False))]
Writer = Annotated[Configuring, Depends(KindPermission(write=True))]
AnyConfigReader = Annotated[Actor, Depends(SettingsPermission())]


@dataclass(frozen=True, slots=True)
class Baseline:
    """What a version is compared with: a stored version, or (nothing stored yet) the shipped
    default that is in force until then."""

    yaml_text: str
    version: int | None


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str
    """``add``, ``remove``, ``hunk``, ``file`` or ``same`` (a CSS modifier)."""
    text: str


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """Why an import was refused: the parser's message, and where it stopped when it says so."""

    message: str
    line: int | None = None
    column: int | None = None
    source_line: str | None = None


def config_diff(before: str, after: str, *, before_name: str, after_name: str) -> list[DiffLine]:
    """A unified diff, line by line, classed for colouring; empty when the texts agree."""
    lines: list[DiffLine] = []
    for raw in difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile=before_name,
        tofile=after_name,
        lineterm="",
    ):
        if raw.startswith(("---", "+++")):
            kind = "file"
        elif raw.startswith("@@"):
            kind = "hunk"
        elif raw.startswith("+"):
            kind = "add"
        elif raw.startswith("-"):
            kind = "remove"
        else:
            kind = "same"
        lines.append(DiffLine(kind, raw))
    return lines


def yaml_problem(error: ValidationFailed, yaml_text: str) -> YamlProblem:
    """The refusal with the line and column it names, and that line of what was sent."""
    marks = _MARK.findall(error.message)
    if not marks:
        return YamlProblem(error.message)
    line, column = (int(part) for part in marks[-1])
    source = yaml_text.splitlines()
    source_line = source[line - 1] if 0 < line <= len(source) else None
    return YamlProblem(error.message, line, column, source_line)


def _gettext(request: Request) -> Any:
    return translations(request_locale(request)).gettext


def _baseline(session: DbSession, kind: SettingsKind) -> Baseline:
    row = kind.store.active_row(session)
    if row is None:
        return Baseline(kind.store.shipped_yaml(), None)
    return Baseline(row.yaml_text, row.version)


def _version(session: DbSession, access: Configuring, version: int) -> ConfigVersion:
    row: ConfigVersion = access.kind.store.get_version(session, access.actor, version=version)
    return row


def _kind_context(access: Configuring) -> dict[str, Any]:
    return {
        "kind": access.kind,
        "can_write": access.kind.writable_by(access.actor),
        "statuses": STATUS_LABELS,
        "config_status": ConfigStatus,
        "sha_shown": SHA_SHOWN,
    }


@router.get("/settings")
def settings_index(request: Request, session: DbSession, actor: AnyConfigReader) -> Response:
    kinds = [(kind, kind.store.active_row(session)) for kind in readable_kinds(actor)]
    return render(
        request,
        "settings/index.html",
        {"kinds": kinds, "can_manage_notifications": actor.can(Permission.NOTIFICATIONS_MANAGE)},
    )


@router.get("/settings/{kind}")
def versions_page(request: Request, session: DbSession, access: Reader) -> Response:
    store = access.kind.store
    rows: list[ConfigVersion] = store.list_versions(session, access.actor)
    return render(
        request,
        "settings/versions.html",
        {
            **_kind_context(access),
            "rows": rows,
            "activated_by": store.activated_by(session, rows),
            "shipped_yaml": store.shipped_yaml() if not rows else None,
        },
    )


@router.get("/settings/{kind}/new")
def import_form(request: Request, session: DbSession, access: Writer) -> Response:
    return _render_import(request, access, yaml_text=_baseline(session, access.kind).yaml_text)


def _render_import(
    request: Request,
    access: Configuring,
    *,
    yaml_text: str,
    note: str = "",
    problem: YamlProblem | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "settings/import.html",
        {
            **_kind_context(access),
            "yaml_text": yaml_text,
            "note": note,
            "problem": problem,
            "max_bytes": MAX_CONFIG_BYTES,
        },
        status_code=status_code,
    )


async def _read_upload(upload: UploadFile | None) -> bytes | None:
    """The chosen file's bytes, at most one more than allowed; ``None`` when none was chosen."""
    if upload is None or not upload.filename:
        return None
    content = await upload.read(MAX_CONFIG_BYTES + 1)
    return content or None


@router.post("/settings/{kind}/new")
async def import_version(
    request: Request,
    session: DbSession,
    access: Writer,
    yaml_text: Annotated[str, Form(max_length=MAX_CONFIG_BYTES)] = "",
    note: Annotated[str, Form(max_length=MAX_NOTE_LENGTH)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Store the pasted text (or the file, when one is chosen) as a draft. Nothing is stored when
    it does not parse: the form comes back with the parser's message and what was sent."""
    gettext = _gettext(request)
    # Browsers send a textarea's line breaks as CRLF; stored text keeps the author's LF.
    text = yaml_text.replace("\r\n", "\n")
    content = await _read_upload(upload)
    if content is not None:
        if len(content) > MAX_CONFIG_BYTES:
            problem = YamlProblem(gettext(_TOO_LARGE) % {"limit": MAX_CONFIG_BYTES})
            return _render_import(
                request, access, yaml_text=text, note=note, problem=problem, status_code=413
            )
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            problem = YamlProblem(gettext(_NOT_TEXT))
            return _render_import(
                request, access, yaml_text=text, note=note, problem=problem, status_code=400
            )
    if not text.strip():
        problem = YamlProblem(gettext(_NOTHING_SENT))
        return _render_import(
            request, access, yaml_text=text, note=note, problem=problem, status_code=400
        )
    return _store_draft(request, session, access, yaml_text=text, note=note.strip())


def _store_draft(
    request: Request, session: DbSession, access: Configuring, *, yaml_text: str, note: str
) -> Response:
    store = access.kind.store
    known = {row.version for row in store.list_versions(session, access.actor)}
    try:
        with session.begin_nested():
            if not known:
                # Store the shipped default first (version 1, in force), as the first scoring or
                # check would: the history starts from it, and the draft does not leave the
                # table without a version in force.
                store.ensure_active_row(session, access.actor)
            row = store.import_version(
                session, access.actor, yaml_text=yaml_text, note=note or None
            )
    except ValidationFailed as error:
        return _render_import(
            request,
            access,
            yaml_text=yaml_text,
            note=note,
            problem=yaml_problem(error, yaml_text),
            status_code=422,
        )
    gettext = _gettext(request)
    if row.version in known:
        sessions.flash(request, "info", gettext(_ALREADY_STORED) % {"version": row.version})
    else:
        sessions.flash(request, "success", gettext(_STORED) % {"version": row.version})
    return RedirectResponse(f"/settings/{access.kind.slug}/{row.version}", status_code=303)


@router.get("/settings/{kind}/{version:int}")
def version_page(request: Request, session: DbSession, access: Reader, version: int) -> Response:
    store = access.kind.store
    row = _version(session, access, version)
    gettext = _gettext(request)
    compared: Baseline | None
    if row.status is ConfigStatus.ACTIVE:
        # The version in force is shown against the one before it: what its activation changed.
        previous = store.find_version(session, row.version - 1)
        compared = Baseline(previous.yaml_text, previous.version) if previous else None
    else:
        compared = _baseline(session, access.kind)
    diff: list[DiffLine] = []
    if compared is not None:
        before_name = (
            gettext("version %(version)s") % {"version": compared.version}
            if compared.version is not None
            else gettext("shipped default")
        )
        diff = config_diff(
            compared.yaml_text,
            row.yaml_text,
            before_name=before_name,
            after_name=gettext("version %(version)s") % {"version": row.version},
        )
    active = store.active_row(session)
    return render(
        request,
        "settings/version.html",
        {
            **_kind_context(access),
            "row": row,
            "activated_by": store.activated_by(session, [row]).get(row.id),
            "compared": compared,
            "diff": diff,
            "active_version": active.version if active is not None else None,
        },
    )


@router.get("/settings/{kind}/{version:int}/yaml")
def download_yaml(session: DbSession, access: Reader, version: int) -> Response:
    """The text exactly as imported, to edit and import again or to file with a validation."""
    row = _version(session, access, version)
    filename = f"{access.kind.slug}-v{row.version}.yaml"
    return Response(
        row.yaml_text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/settings/{kind}/{version:int}/activate")
def activate_version(
    request: Request, session: DbSession, access: Writer, version: int
) -> Response:
    """Put the version in force; the one in force is retired. New decisions use it at once."""
    row = _version(session, access, version)
    gettext = _gettext(request)
    if row.status is ConfigStatus.ACTIVE:
        sessions.flash(request, "info", gettext(_ALREADY_ACTIVE) % {"version": row.version})
    else:
        access.kind.store.activate_version(session, access.actor, version=version)
        sessions.flash(request, "success", gettext(_ACTIVATED) % {"version": row.version})
    return RedirectResponse(f"/settings/{access.kind.slug}/{row.version}", status_code=303)
