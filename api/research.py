"""POST /cypher: researchers' read-only Cypher, bounded, audited and pseudonymised.

Every query is checked by `graph.readonly` before it reaches the store (a read-only handle
still reads server files with LOAD FROM), runs under the store's time limit, returns at most
GOVGRAPH_CYPHER_ROW_CAP rows with a `truncated` flag, and is written to the audit log whether
it was accepted or refused. Researchers see stable pseudonyms for personal data (with
GOVGRAPH_PSEUDONYM_KEY set; masked values without it); admins see raw values.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api.audit import AuditLog, AuditRecord
from api.auth import Caller, Role
from api.deps import CallerDep, GraphDep
from api.settings import Settings
from graph.errors import BadQuery, QueryTimeout
from graph.pseudonym import Privacy, key_from_text
from graph.readonly import NotReadOnly, check_read_only

router = APIRouter()


class CypherRequest(BaseModel):
    query: str = Field(description="One read-only Cypher statement.", max_length=20_000)
    params: dict[str, Any] = Field(default_factory=dict, description="Its $parameters.")


class CypherResponse(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    row_count: int
    truncated: bool = Field(description="True when more rows matched than the row cap.")
    duration_ms: float


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _who(caller: Caller) -> str:
    """role[@scope][#token id]: who asked, for the audit log."""
    return (
        caller.role.value
        + ("@" + caller.scope if caller.scope else "")
        + ("#" + caller.token if caller.token else "")
    )


def _privacy(settings: Settings, caller: Caller) -> Privacy:
    secret = settings.pseudonym_key.get_secret_value()
    return Privacy.for_role(caller.role.value, key_from_text(secret) if secret else None)


@router.post(
    "/cypher",
    response_model=CypherResponse,
    summary="Run one read-only Cypher statement (researcher and admin roles).",
)
async def cypher(
    body: CypherRequest, request: Request, graph: GraphDep, caller: CallerDep
) -> CypherResponse:
    settings: Settings = request.app.state.settings
    audit: AuditLog = request.app.state.audit

    def refuse(status: int, reason: str) -> HTTPException:
        audit.append(AuditRecord(_who(caller), body.query, body.params, "refused", reason=reason))
        return HTTPException(status, reason)

    if caller.role not in (Role.RESEARCHER, Role.ADMIN):
        raise refuse(403, "ad-hoc Cypher is for the researcher and admin roles")
    try:
        check_read_only(body.query)
    except NotReadOnly as exc:
        raise refuse(400, str(exc)) from None
    started = time.perf_counter()
    try:
        rows = await run_in_threadpool(graph.read, body.query, body.params)
    except QueryTimeout:
        raise refuse(408, "the query ran past its time limit; narrow it or add LIMIT") from None
    except BadQuery as exc:
        raise refuse(400, str(exc)) from None
    duration = round((time.perf_counter() - started) * 1000, 1)
    cap = settings.cypher_row_cap
    truncated = len(rows) > cap
    shown = _privacy(settings, caller).rows(rows[:cap], body.query)
    audit.append(
        AuditRecord(
            _who(caller), body.query, body.params, "accepted", len(shown), truncated, duration
        )
    )
    return CypherResponse(
        columns=list(rows[0]) if rows else [],
        rows=[_plain(r) for r in shown],
        row_count=len(shown),
        truncated=truncated,
        duration_ms=duration,
    )
