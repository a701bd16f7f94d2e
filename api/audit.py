"""The audit log of ad-hoc queries: a `started` line before a query runs, and a line with its
outcome (`accepted` or `refused`) after, both carrying the same `asked` id. A query that ends
its process, or the server, still left its `started` line.

Records are only ever appended (the file is opened O_APPEND and created 0600), and each holds
the SHA-256 of the line before it, so that a changed or removed line breaks the chain:
`verify(path)` finds where. The file lives on the server, out of the researchers' reach; the
chain makes tampering by anyone who can reach it evident.

Several processes may append at once (the API's workers, `govgraph cypher` beside a running
server): each append holds an exclusive lock on the file (flock) from reading the last line's
hash to writing its own, so that no two records name the same predecessor.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    who: str  # role, and for tokens the first characters of the token's hash
    query: str
    params: dict[str, Any]
    outcome: str  # "started", then "accepted" or "refused"
    rows: int = 0
    truncated: bool = False
    duration_ms: float = 0.0
    reason: str = ""
    asked: str = ""  # one id for the started line and the outcome line of a query


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @staticmethod
    def _last_hash(fd: int) -> str:
        """The hash of the file's last line, read back from its end in growing steps."""
        size = os.fstat(fd).st_size
        if size == 0:
            return GENESIS
        step = 65536
        while True:
            start = max(0, size - step)
            tail = os.pread(fd, size - start, start)
            lines = tail.rstrip(b"\n").split(b"\n")
            if len(lines) > 1 or start == 0:
                return hashlib.sha256(lines[-1]).hexdigest()
            step *= 4

    def append(self, record: AuditRecord) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd closes
                entry = {
                    "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    **asdict(record),
                    "prev": self._last_hash(fd),
                }
                line = json.dumps(entry, ensure_ascii=False, default=str, sort_keys=True) + "\n"
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)


def verify(path: Path) -> int | None:
    """The 1-based number of the first line whose chain is broken, or None if all hold."""
    previous = GENESIS
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                entry = json.loads(line)
            except ValueError:
                return number
            if entry.get("prev") != previous:
                return number
            previous = hashlib.sha256(line.rstrip(b"\n")).hexdigest()
    return None
