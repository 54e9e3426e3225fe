"""Credit limits over REST: a customer's limit (in force, recommendation, history), limit
requests with maker-checker decisions, credit blocks, and limit policy versions
(docs/limits.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fengkong.api.deps import CallerLocale, DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.config_versions import (
    ConfigImportIn,
    ConfigVersionList,
    ConfigVersionOut,
    ConfigVersionYamlOut,
)
from fengkong.limits import configs, service
from fengkong.limits.schemas import (
    BlockIn,
    BlockList,
    BlockOut,
    BlockReleaseIn,
    CommentIn,
    CommentOut,
    CustomerLimitOut,
    DecisionIn,
    LimitRequestDetailOut,
    LimitRequestIn,
    LimitRequestList,
    LimitRequestOut,
    WithdrawIn,
)
from fengkong.limits.status import BlockStatus, RequestStatus

router = APIRouter(tags=["limits"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.LIMITS_READ)]
Requester = Annotated[Actor, writes(Permission.LIMITS_REQUEST)]
Approver = Annotated[Actor, writes(Permission.LIMITS_APPROVE)]
Blocker = Annotated[Actor, writes(Permission.BLOCKS_WRITE)]
PolicyAdmin = Annotated[Actor, writes(Permission.LIMITS_WRITE)]


@router.get("/customers/{customer_id}/limit", response_model=CustomerLimitOut)
def customer_limit(
    customer_id: int, session: DbSession, actor: Reader, locale: CallerLocale
) -> CustomerLimitOut:
    """The limit in force today, the policy's recommendation with its reasoning, every limit
    granted (newest first), open requests and active blocks."""
    found = service.customer_limit(session, actor, customer_id=customer_id)
    return CustomerLimitOut.of(found, locale)


# --- requests -------------------------------------------------------------------------------


@router.post("/limit-requests", response_model=LimitRequestOut, status_code=status.HTTP_201_CREATED)
def create_request(
    data: LimitRequestIn, session: DbSession, response: Response, actor: Requester
) -> LimitRequestOut:
    """Ask for a new, higher, lower or temporary limit; the active policy's tier says who must
    approve it."""
    request = service.request_limit(
        session,
        actor,
        customer_id=data.customer_id,
        kind=data.kind,
        amount=data.amount.to_money(),
        valid_until=data.valid_until,
        justification=data.justification,
    )
    tag(response, request.version, location=f"/api/v1/limit-requests/{request.id}")
    return LimitRequestOut.of(request)


@router.get("/limit-requests", response_model=LimitRequestList)
def list_requests(
    session: DbSession,
    actor: Reader,
    status_: Annotated[RequestStatus | None, Query(alias="status")] = None,
    customer_id: int | None = None,
    mine: bool = False,
    awaiting_me: Annotated[bool, Query(alias="awaiting-me")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> LimitRequestList:
    """Requests, newest first; ``mine`` = asked for by the caller; ``awaiting-me`` = those the
    caller may decide now (oldest first)."""
    rows = service.list_requests(
        session,
        actor,
        status=status_,
        customer_id=customer_id,
        mine=mine,
        awaiting_me=awaiting_me,
        limit=limit,
    )
    return LimitRequestList(items=[LimitRequestOut.of(row) for row in rows])


@router.get("/limit-requests/{request_id}", response_model=LimitRequestDetailOut)
def get_request(
    request_id: int, session: DbSession, response: Response, actor: Reader
) -> LimitRequestDetailOut:
    detail = service.get_request(session, actor, request_id=request_id)
    tag(response, detail.request.version)
    return LimitRequestDetailOut.of_detail(detail)


@router.post("/limit-requests/{request_id}/decision", response_model=LimitRequestOut)
def decide_request(
    request_id: int,
    data: DecisionIn,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Approver,
) -> LimitRequestOut:
    """Approve or reject (a rejection needs a comment). The requester never decides; the
    caller's role must be one of the tier's; a two-approval tier needs two different people.
    The approval that completes the count grants the limit at once."""
    request = service.decide_limit_request(
        session,
        actor,
        request_id=request_id,
        decision=data.decision,
        comment=data.comment,
        expected_version=expected,
    )
    tag(response, request.version)
    return LimitRequestOut.of(request)


@router.post("/limit-requests/{request_id}/withdraw", response_model=LimitRequestOut)
def withdraw_request(
    request_id: int,
    data: WithdrawIn,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Requester,
) -> LimitRequestOut:
    request = service.withdraw_limit_request(
        session, actor, request_id=request_id, comment=data.comment, expected_version=expected
    )
    tag(response, request.version)
    return LimitRequestOut.of(request)


@router.post(
    "/limit-requests/{request_id}/comments",
    response_model=CommentOut,
    status_code=status.HTTP_201_CREATED,
)
def comment_on_request(
    request_id: int,
    data: CommentIn,
    session: DbSession,
    actor: Annotated[Actor, writes(Permission.LIMITS_READ)],
) -> CommentOut:
    """Comment on a request (those who may ask for or decide limits)."""
    return CommentOut.of(service.comment(session, actor, request_id=request_id, body=data.body))


# --- blocks ---------------------------------------------------------------------------------


@router.get("/customers/{customer_id}/blocks", response_model=BlockList)
def customer_blocks(
    customer_id: int,
    session: DbSession,
    actor: Reader,
    status_: Annotated[BlockStatus | None, Query(alias="status")] = BlockStatus.ACTIVE,
) -> BlockList:
    rows = service.list_blocks(session, actor, customer_id=customer_id, status=status_)
    return BlockList(items=[BlockOut.of(row) for row in rows])


@router.post(
    "/customers/{customer_id}/blocks", response_model=BlockOut, status_code=status.HTTP_201_CREATED
)
def set_block(
    customer_id: int, data: BlockIn, session: DbSession, response: Response, actor: Blocker
) -> BlockOut:
    """Block the customer by hand: a credit block or stop shipping, with a reason."""
    block = service.set_block(
        session, actor, customer_id=customer_id, kind=data.kind, reason=data.reason
    )
    tag(response, block.version, location=f"/api/v1/blocks/{block.id}")
    return BlockOut.of(block)


@router.get("/blocks", response_model=BlockList)
def list_blocks(
    session: DbSession,
    actor: Reader,
    status_: Annotated[BlockStatus | None, Query(alias="status")] = BlockStatus.ACTIVE,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> BlockList:
    rows = service.list_blocks(session, actor, status=status_, limit=limit)
    return BlockList(items=[BlockOut.of(row) for row in rows])


@router.get("/blocks/{block_id}", response_model=BlockOut)
def get_block(block_id: int, session: DbSession, response: Response, actor: Reader) -> BlockOut:
    block = service.get_block(session, actor, block_id=block_id)
    tag(response, block.version)
    return BlockOut.of(block)


@router.post("/blocks/{block_id}/release", response_model=BlockOut)
def release_block(
    block_id: int,
    data: BlockReleaseIn,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Blocker,
) -> BlockOut:
    """Lift a block (manual or set by a rule) with a reason."""
    block = service.release_block(
        session, actor, block_id=block_id, reason=data.reason, expected_version=expected
    )
    tag(response, block.version)
    return BlockOut.of(block)


@router.post("/blocks/{block_id}/confirm", response_model=BlockOut)
def confirm_block(
    block_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Blocker,
) -> BlockOut:
    """Keep a rule block even when its condition clears."""
    block = service.confirm_block(session, actor, block_id=block_id, expected_version=expected)
    tag(response, block.version)
    return BlockOut.of(block)


# --- policies -------------------------------------------------------------------------------


@router.get("/limit-policies", response_model=ConfigVersionList)
def list_policies(session: DbSession, actor: Reader) -> ConfigVersionList:
    rows = configs.policies.list_versions(session, actor)
    return ConfigVersionList(items=[ConfigVersionOut.of(row) for row in rows])


@router.get("/limit-policies/{version}", response_model=ConfigVersionYamlOut)
def get_policy(version: int, session: DbSession, actor: Reader) -> ConfigVersionYamlOut:
    """A stored version with its YAML, exactly as imported."""
    return ConfigVersionYamlOut.of(configs.policies.get_version(session, actor, version=version))


@router.post(
    "/limit-policies", response_model=ConfigVersionOut, status_code=status.HTTP_201_CREATED
)
def import_policy(data: ConfigImportIn, session: DbSession, actor: PolicyAdmin) -> ConfigVersionOut:
    """Validate and store a policy as the next version (a draft unless ``activate``)."""
    row = configs.policies.import_version(
        session, actor, yaml_text=data.yaml, note=data.note, activate=data.activate
    )
    return ConfigVersionOut.of(row)


@router.post("/limit-policies/{version}/activate", response_model=ConfigVersionOut)
def activate_policy(version: int, session: DbSession, actor: PolicyAdmin) -> ConfigVersionOut:
    return ConfigVersionOut.of(configs.policies.activate_version(session, actor, version=version))
