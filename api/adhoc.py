"""The one path of ad-hoc and named Cypher for POST /cypher, `govgraph cypher` and notebooks.

audit (started) → check → the role's copy of the graph → the confined process → cap →
audit (finished). Every step is the same for the three callers:

- the audit log gets a `started` record before anything runs and a `finished` one after,
  whatever happened, so a query that kills its process still left its text behind;
- ad-hoc text passes `graph.readonly.check_read_only`, then the store's plan check inside the
  confined process (`graph.sandbox`); named queries are the package's own text and skip both;
- the query runs on a copy of the graph made for the role's view (`graph.research_copy`):
  researchers read a de-identified copy, admins a raw one. Nothing transforms the rows
  afterwards: what the copy holds is what may be seen;
- at most `cypher_row_cap` rows are fetched, with a flag when more matched.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.audit import AuditLog, AuditRecord
from api.settings import Settings
from graph.backend import Backend, Row
from graph.errors import BadQuery, QueryTimeout
from graph.pseudonym import Privacy, key_from_text
from graph.readonly import NotReadOnly, check_read_only
from graph.research_copy import CopyUnavailable, ensure
from graph.sandbox import Answer, MemoryLimit, Sandbox, SandboxFailed
from queries.library import BadParameters, UnknownQuery, run


class Refused(Exception):
    """The query was not answered: `status` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str, cause: Exception | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.cause = cause  # the error of the check, the library or the store


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[Row]
    truncated: bool
    duration_ms: float


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_named(text: str) -> bool:
    """Whether `text` is a library query's name (one word), not Cypher: Cypher may have no
    space at all (`MATCH(d:Domain)RETURN(d.code)`, or tabs and newlines from an editor)."""
    return _NAME.fullmatch(text.strip()) is not None


def privacy_for(settings: Settings, role: str) -> Privacy:
    secret = settings.pseudonym_key.get_secret_value()
    return Privacy.for_role(role, key_from_text(secret) if secret else None)


def copies_root(settings: Settings, main: Backend) -> Path:
    """Where the copies live: GOVGRAPH_RESEARCH_COPIES, or beside the store."""
    if settings.research_copies:
        return Path(settings.research_copies)
    db = Path(getattr(main, "path", settings.db))
    return db.parent / (db.name + ".copies")


_sandboxes: dict[Path, Sandbox] = {}
_sandboxes_lock = threading.Lock()


def _sandbox(store: Path, settings: Settings) -> Sandbox:
    """The confined process over `store`; those over older copies are stopped."""
    with _sandboxes_lock:
        found = _sandboxes.get(store)
        if found is None:
            # `ensure` removed this store's older copies in this view (`view-store-…`)
            lineage = store.parent.name.rsplit("-", 2)[0]
            for path in [p for p in _sandboxes if p.parent.parent == store.parent.parent]:
                if path.parent.name.rsplit("-", 2)[0] == lineage:
                    _sandboxes.pop(path).close()
            found = Sandbox(
                store,
                timeout_ms=settings.query_timeout_ms,
                memory_mb=settings.research_memory_mb,
            )
            _sandboxes[store] = found
        return found


def close_all() -> None:
    """Stop every confined process (at shutdown, and between tests)."""
    with _sandboxes_lock:
        for sandbox in _sandboxes.values():
            sandbox.close()
        _sandboxes.clear()


class _Confined:
    """A read-only backend for `queries.library.run`: named queries run in the sandbox too."""

    def __init__(self, sandbox: Sandbox, cap: int) -> None:
        self.sandbox, self.cap, self.truncated = sandbox, cap, False
        self.columns: list[str] = []

    def read(self, query: str, params: Any = None) -> list[Row]:
        answer = self.sandbox.run(query, dict(params or {}), self.cap, check=False)
        self.columns, self.truncated = answer.columns, answer.truncated
        return answer.rows


def ask(
    main: Backend,
    settings: Settings,
    audit: AuditLog,
    *,
    who: str,
    role: str,
    query: str,
    params: dict[str, Any],
    named: bool = False,
) -> Result:
    """Answer `query` (a named query's name when `named`) for `role`, or raise Refused."""
    asked = uuid.uuid4().hex[:16]
    audit.append(AuditRecord(who, query, params, "started", asked=asked))
    started = time.perf_counter()
    outcome, reason, answer = "refused", "", None
    try:
        answer = _answer(main, settings, role, query, params, named)
        outcome = "accepted"
    except Refused as exc:
        reason = str(exc)
        raise
    except BaseException as exc:
        reason = f"server error: {type(exc).__name__}"
        raise
    finally:
        duration = round((time.perf_counter() - started) * 1000, 1)
        audit.append(
            AuditRecord(
                who,
                query,
                params,
                outcome,
                len(answer.rows) if answer else 0,
                answer.truncated if answer else False,
                duration,
                reason,
                asked=asked,
            )
        )
    return Result(answer.columns, answer.rows, answer.truncated, duration)


def _answer(
    main: Backend, settings: Settings, role: str, query: str, params: dict[str, Any], named: bool
) -> Answer:
    cap = settings.cypher_row_cap
    try:
        if not named:
            check_read_only(query)
        try:
            store = ensure(
                main,
                copies_root(settings, main),
                privacy_for(settings, role),
                max_age=settings.research_refresh_seconds,
            )
        except CopyUnavailable:
            if role != "admin":
                raise
            return _raw(main, query, params, named, cap)
        sandbox = _sandbox(store, settings)
        if not named:
            return sandbox.run(query, params, cap)
        confined = _Confined(sandbox, cap)
        rows = run(confined, query, **params)  # type: ignore[arg-type]  # it only reads
        columns = confined.columns or (list(rows[0]) if rows else [])
        return Answer(columns, rows, confined.truncated)
    except NotReadOnly as exc:
        raise Refused(400, str(exc), exc) from None
    except (UnknownQuery, BadParameters) as exc:
        raise Refused(400, str(exc), exc) from None
    except CopyUnavailable as exc:
        raise Refused(501, str(exc), exc) from None
    except QueryTimeout as exc:
        message = "the query ran past its time limit; narrow it or add LIMIT"
        raise Refused(408, message, exc) from None
    except MemoryLimit as exc:
        raise Refused(400, str(exc), exc) from None
    except BadQuery as exc:
        raise Refused(400, str(exc), exc) from None
    except SandboxFailed as exc:
        raise Refused(503, str(exc), exc) from None


def _raw(main: Backend, query: str, params: dict[str, Any], named: bool, cap: int) -> Answer:
    """An admin's query on a backend with no copy (Neo4j): checked, on the store itself, raw.

    The server's own file access is Neo4j's to confine (its import folder); LOAD CSV and every
    other file clause are refused by the check before the text reaches it."""
    rows = run(main, query, **params) if named else main.read(query, params)
    return Answer(list(rows[0]) if rows else [], rows[:cap], len(rows) > cap)
