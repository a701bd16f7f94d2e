"""Roles and bearer tokens.

A token is a random string shown once, when it is created; the token file keeps only its
SHA-256 hash, with the role it carries and, for a mediator, the jurisdiction (a division-code
prefix such as 330421). Whoever reads the file learns who holds which role, never a token.
A token is named by its id, the first 12 hex digits of its hash: `govgraph token list` shows
them, `govgraph token revoke ID` removes one (a running server refuses it from its next
request on), and the audit log records the id of the token behind each query.

Roles:
- viewer: everything, with personal data masked (also a request without a token, unless
  GOVGRAPH_ALLOW_ANONYMOUS is false);
- mediator: personal data in full inside their jurisdiction, masked outside it;
- researcher: personal data masked (the read-only Cypher endpoint will be theirs);
- admin: everything in full.

A token may also name who acts in the dispute workflow: a person (`person`, a Person key),
the unit they act for (`unit`, e.g. `Center:center-330421` or `Grid:330421001001-G01`) and
their workflow role (`workflow_role`: grid_worker, resident, hotline, dispatcher, department,
mediator, expert, supervisor). A token without them reads as before and may not act.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from api.graphql.within import division_prefix

TOKEN_PREFIX = "ggt_"
TOKEN_ID_LENGTH = 12  # hex digits of the hash that name a token
_FORMAT = 1


class Role(StrEnum):
    VIEWER = "viewer"
    MEDIATOR = "mediator"
    RESEARCHER = "researcher"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    """Who is asking: a role and, for a mediator, the division-code prefix they serve; for the
    workflow, the person, the unit they act for ("Label:key") and their workflow role."""

    role: Role
    scope: str | None = None
    token: str | None = field(default=None, compare=False)  # the token's id, if one was sent
    person: str | None = None
    unit: str | None = None
    workflow_role: str | None = None


@dataclass(frozen=True)
class IssuedToken:
    """A token as the file describes it: never the token itself."""

    id: str
    role: Role
    scope: str | None
    created: str
    person: str | None = None
    unit: str | None = None
    workflow_role: str | None = None


ANONYMOUS = Caller(Role.VIEWER)


class TokenError(ValueError):
    """A token cannot be created as asked (an unknown role, a scope that does not fit it)."""


class InvalidToken(Exception):
    """The token is not one this server gave out."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"format": _FORMAT, "tokens": []}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
        raise TokenError(f"{path} is not a govgraph token file")
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    """Replace the file in one step, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _checked(role: Role | str, scope: str | None) -> tuple[Role, str | None]:
    try:
        role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise TokenError(f"{role!r} is not a role; the roles are {roles}") from None
    if role is Role.MEDIATOR:
        if not scope:
            raise TokenError(
                "a mediator's token needs a scope: the division code of their jurisdiction, "
                "e.g. --scope 330421"
            )
        try:
            return role, division_prefix(scope, argument="scope")
        except ValueError as exc:
            raise TokenError(str(exc)) from None
    if scope:
        raise TokenError(f"only a mediator's token carries a scope, not a token for {role.value}")
    return role, None


_LOCK = threading.Lock()


@contextlib.contextmanager
def _changing(path: Path) -> Iterator[dict[str, Any]]:
    """The token file's contents, to change and write back, with the file locked against
    other threads and processes (`govgraph token` beside a running server) from the read to
    the write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file itself is replaced on every write, so the lock is on its folder.
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        with _LOCK:
            fcntl.flock(folder, fcntl.LOCK_EX)  # released when the folder's fd closes
            data = _read(path)
            yield data
            _write(path, data)
    finally:
        os.close(folder)


ACTING_UNITS = ("Grid", "Department", "Center", "MediationOrg", "ExpertPool")
WORKFLOW_ROLES = (
    "grid_worker",
    "resident",
    "hotline",
    "dispatcher",
    "department",
    "mediator",
    "expert",
    "supervisor",
)


def _acting(
    person: str | None, unit: str | None, workflow_role: str | None
) -> dict[str, str | None]:
    """The workflow fields of a token, checked: all three or none but the unit."""
    if person is None and unit is None and workflow_role is None:
        return {}
    if not person or not workflow_role:
        raise TokenError("a token that acts in the workflow names its person and workflow role")
    if workflow_role not in WORKFLOW_ROLES:
        raise TokenError(
            f"{workflow_role!r} is not a workflow role; one of {', '.join(WORKFLOW_ROLES)}"
        )
    if unit is not None:
        label, _, key = unit.partition(":")
        if label not in ACTING_UNITS or not key:
            raise TokenError(
                f"the unit is written Label:key with a label of {', '.join(ACTING_UNITS)}, "
                f"e.g. Center:center-330421, not {unit!r}"
            )
    return {"person": person, "unit": unit, "workflow_role": workflow_role}


def create_token(
    store_path: Path | str,
    role: Role | str,
    scope: str | None = None,
    *,
    person: str | None = None,
    unit: str | None = None,
    workflow_role: str | None = None,
) -> str:
    """Create a token for `role` (and a mediator's `scope`; for the workflow, the `person`
    acting, the `unit` they act for and their `workflow_role`), store its hash, return it.

    The token is returned this once: the file keeps only its SHA-256 hash.
    """
    role, scope = _checked(role, scope)
    acting = _acting(person, unit, workflow_role)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with _changing(Path(store_path)) as data:
        data["tokens"].append(
            {
                "sha256": digest(token),
                "role": role.value,
                "scope": scope,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                **acting,
            }
        )
    return token


def token_id(token: str) -> str:
    """The id that names `token` in `list_tokens`, `revoke_token` and the audit log."""
    return digest(token)[:TOKEN_ID_LENGTH]


def _issued(entry: dict[str, Any]) -> IssuedToken:
    return IssuedToken(
        entry["sha256"][:TOKEN_ID_LENGTH],
        Role(entry["role"]),
        entry.get("scope"),
        str(entry.get("created", "")),
        entry.get("person"),
        entry.get("unit"),
        entry.get("workflow_role"),
    )


def list_tokens(store_path: Path | str) -> list[IssuedToken]:
    """Every token the file holds, oldest first."""
    return [_issued(entry) for entry in _read(Path(store_path))["tokens"]]


def revoke_token(store_path: Path | str, id_: str) -> IssuedToken:
    """Remove the token `id_` names (its id, or a longer start of its hash) and return what
    it was; `TokenError` when no token, or more than one, has that id."""
    wanted = id_.strip().lower()
    # The errors never repeat what was given: it may be the token itself, pasted by mistake.
    if len(wanted) < TOKEN_ID_LENGTH or not set(wanted) <= set("0123456789abcdef"):
        raise TokenError(
            f"give the token's id, the {TOKEN_ID_LENGTH} hex digits `govgraph token list` "
            "shows (not the token itself)"
        )
    with _changing(Path(store_path)) as data:
        found = [e for e in data["tokens"] if e["sha256"].startswith(wanted)]
        if len(found) != 1:
            raise TokenError(
                "no token has that id; `govgraph token list` shows them"
                if not found
                else f"{len(found)} tokens have that id: give more of the hash"
            )
        data["tokens"].remove(found[0])
    return _issued(found[0])


class TokenStore:
    """The token file, read again whenever it changes, so new tokens work without a restart."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._seen: tuple[int, int, int] | None = None
        self._callers: dict[str, Caller] = {}
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._seen, self._callers = None, {}
            return
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if seen == self._seen:
            return
        callers = {}
        for entry in _read(self.path)["tokens"]:
            hashed = entry["sha256"]
            callers[hashed] = Caller(
                Role(entry["role"]),
                entry.get("scope"),
                hashed[:TOKEN_ID_LENGTH],
                entry.get("person"),
                entry.get("unit"),
                entry.get("workflow_role"),
            )
        self._seen, self._callers = seen, callers

    def verify(self, token: str) -> Caller:
        """The caller a token stands for; `InvalidToken` when it is not one of ours."""
        with self._lock:
            self._refresh()
            caller = self._callers.get(digest(token))
        if caller is None:
            raise InvalidToken("the token is not valid: it was never issued here or was removed")
        return caller


def verify(store_path: Path | str, token: str) -> Caller:
    """The caller a token stands for, read from the token file at `store_path`."""
    return TokenStore(store_path).verify(token)
