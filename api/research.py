"""POST /cypher: researchers' and admins' read-only Cypher, through `api.adhoc`.

The query runs in a confined process on a copy of the graph made for the caller's view: a
de-identified copy for researchers (pseudonyms, masks, withheld text: the real values are not
in it), a raw one for admins. It is checked before it runs, bounded in time, memory and rows,
and audited before and after (docs/research.md).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api.adhoc import Refused, ask
from api.audit import AuditLog, AuditRecord
from api.auth import Caller, Role
from api.deps import CallerDep, GraphDep
from api.settings import Settings

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
    if isinstance(value, timedelta):
        return value.total_seconds()
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
    if caller.role not in (Role.RESEARCHER, Role.ADMIN):
        reason = "ad-hoc Cypher is for the researcher and admin roles"
        audit.append(AuditRecord(_who(caller), body.query, body.params, "refused", reason=reason))
        raise HTTPException(403, reason)
    try:
        result = await run_in_threadpool(
            lambda: ask(
                graph,
                settings,
                audit,
                who=_who(caller),
                role=caller.role.value,
                query=body.query,
                params=body.params,
            )
        )
    except Refused as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return CypherResponse(
        columns=result.columns,
        rows=[_plain(r) for r in result.rows],
        row_count=len(result.rows),
        truncated=result.truncated,
        duration_ms=result.duration_ms,
    )
