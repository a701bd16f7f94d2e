"""Roles and bearer tokens.

A token is a random string shown once, when it is created; the token file keeps only its
SHA-256 hash, with the role it carries and, for a mediator, the jurisdiction (a division-code
prefix such as 330421). Whoever reads the file learns who holds which role, never a token.

Roles:
- viewer: everything, with personal data masked (also a request without a token, unless
  GOVGRAPH_ALLOW_ANONYMOUS is false);
- mediator: personal data in full inside their jurisdiction, masked outside it;
- researcher: personal data masked (the read-only Cypher endpoint will be theirs);
- admin: everything in full.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from api.graphql.within import division_prefix

TOKEN_PREFIX = "ggt_"
_FORMAT = 1


class Role(StrEnum):
    VIEWER = "viewer"
    MEDIATOR = "mediator"
    RESEARCHER = "researcher"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    """Who is asking: a role and, for a mediator, the division-code prefix they serve."""

    role: Role
    scope: str | None = None


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


def create_token(store_path: Path | str, role: Role | str, scope: str | None = None) -> str:
    """Create a token for `role` (and a mediator's `scope`), store its hash, return it.

    The token is returned this once: the file keeps only its SHA-256 hash.
    """
    role, scope = _checked(role, scope)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    path = Path(store_path)
    with _LOCK:
        data = _read(path)
        data["tokens"].append(
            {
                "sha256": digest(token),
                "role": role.value,
                "scope": scope,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        _write(path, data)
    return token


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
            callers[entry["sha256"]] = Caller(Role(entry["role"]), entry.get("scope"))
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
