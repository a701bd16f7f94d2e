"""A confined process that runs ad-hoc Cypher on one copy of the graph, and its client.

The process (`python -m graph.sandbox`) opens one store read-only — a copy made by
`graph.research_copy`, never the main store — and then, before it reads any query:

- Landlock (Linux 5.13+) limits it to reading the copy's folder: no other file may be opened,
  written or created, and (ABI 4+) no TCP connection made, so `LOAD FROM '/etc/passwd'`,
  `COPY … TO`, `INSTALL` and their kind fail in the kernel even if every check above missed
  them. Where the kernel has no Landlock, the process says so and runs without it, the
  file-descriptor limit below being the remaining barrier;
- RLIMIT_NOFILE is set to the descriptors already open, so nothing new can be opened at all;
- RLIMIT_AS bounds its memory (what the store mapped on opening, and `memory_mb` more): a
  query building a billion-element list fails with `std::bad_alloc` in the store, and the
  process, or at worst only it, ends;
- RLIMIT_FSIZE 0 and RLIMIT_CORE 0: it cannot grow a file nor dump its memory.

Its environment holds nothing of the server's (no key, no token file, no settings). Each
request is one JSON line on stdin, each answer one JSON line on stdout. Before running, the
store's own parser and planner are asked (`EXPLAIN`) and the plan must only read
(`graph.readonly.check_plan`); at most `cap + 1` rows are fetched.

`Sandbox` is the parent's side: one process per copy, started on first use, one query at a
time, killed and restarted when a query outlives its time or the process dies.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import re
import resource
import select
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from graph.errors import BadQuery, GraphError, QueryTimeout

GRACE_S = 5.0  # how long past the store's own time limit the parent waits before killing
STARTUP_S = 60.0


class SandboxFailed(GraphError):
    """The confined process ended while running a query (memory, or a fault in the store)."""


class MemoryLimit(BadQuery):
    """The query needed more memory than one researcher query may use."""


@dataclass(frozen=True)
class Answer:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool


# -- values across the pipe ------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$seconds": value.total_seconds()}
    return str(value)


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$date" in obj:
            return date.fromisoformat(obj["$date"])
        if "$datetime" in obj:
            return datetime.fromisoformat(obj["$datetime"])
        if "$seconds" in obj:
            return timedelta(seconds=obj["$seconds"])
    return obj


def _params_out(params: dict[str, Any]) -> str:
    return json.dumps(params, default=_encode, ensure_ascii=False)


# -- the confined process ----------------------------------------------------------------------

_LANDLOCK_CREATE, _LANDLOCK_ADD, _LANDLOCK_RESTRICT = 444, 445, 446  # same on x86-64, arm64
_PR_SET_NO_NEW_PRIVS = 38


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers, 0 when it offers none."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "aarch64"):
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    version = libc.syscall(_LANDLOCK_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(0, int(version))


def _landlock(readable: list[Path]) -> int:
    """Let this thread, and every thread it starts afterwards, read only below `readable`,
    write nowhere and make no TCP connection. Returns the ABI used, 0 when the kernel has
    none. Landlock binds the calling thread and its future children only: it must hold before
    the store starts its threads."""
    abi = landlock_abi()
    if abi == 0:
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    fs = (1 << 13) - 1  # execute … make_sym: every right of ABI 1
    if abi >= 2:
        fs |= 1 << 13  # refer
    if abi >= 3:
        fs |= 1 << 14  # truncate
    if abi >= 5:
        fs |= 1 << 15  # ioctl on devices
    attr = _RulesetAttr(fs, 0b11 if abi >= 4 else 0, 0b11 if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    fd = libc.syscall(_LANDLOCK_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for path in readable:
            where = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rights = (1 << 2) | ((1 << 3) if path.is_dir() else 0)  # read file, read dir
                rule = _PathBeneath(rights, where)
                if libc.syscall(_LANDLOCK_ADD, fd, 1, ctypes.byref(rule), 0) != 0:
                    raise OSError(ctypes.get_errno(), "landlock_add_rule failed")
            finally:
                os.close(where)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(_LANDLOCK_RESTRICT, fd, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(fd)
    return abi


def _address_space() -> int:
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmSize:"):
                return int(line.split()[1]) << 10
    raise OSError("no VmSize in /proc/self/status")


def _highest_open_fd() -> int:
    return max(int(name) for name in os.listdir("/proc/self/fd"))


def _limit(memory_mb: int) -> None:
    """Bound memory and files, once the store is open. The store reserved its address space
    (the buffer pool, the file's mapping) when it opened, so the memory limit is what is
    mapped now and `memory_mb` more. Every descriptor this process will use is open by now
    (listing /proc/self/fd opens one, closed again before it returns)."""
    limit = _address_space() + (memory_mb << 20)
    ceiling = _highest_open_fd() + 1
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, ceiling))


def _serve(config: dict[str, Any]) -> None:
    # Imported lazily by the store (its module, and the ones it converts values with: a date
    # parameter brings in decimal): files are out of reach once confined.
    import datetime  # noqa: F401
    import decimal  # noqa: F401
    import uuid  # noqa: F401

    import ladybug
    import ladybug._lbug

    from graph.date_refs import Leak
    from graph.readonly import NotReadOnly, check_plan

    path = Path(config["path"])
    out = sys.stdout
    proc = Path("/proc/self")
    abi = _landlock([path.parent, proc / "status", proc / "fd"])
    db = ladybug.Database(
        str(path),
        backend="pybind",
        read_only=True,
        buffer_pool_size=config["buffer_pool_mb"] << 20,
        max_db_size=config["max_db_mb"] << 20,
        max_num_threads=1,
    )
    conn = ladybug.Connection(db)
    conn.set_max_threads_for_exec(1)
    if config["timeout_ms"]:
        conn.set_query_timeout(config["timeout_ms"])
    conn.execute("RETURN 1").get_all()  # type: ignore[union-attr]  # let the store open what it opens lazily
    leak = Leak.probe(conn)  # the binding keeps every date it returns: graph/date_refs.py
    _limit(config["memory_mb"])
    out.write(json.dumps({"ready": True, "landlock": abi}) + "\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line, object_hook=_decode)
        try:
            answer = _answer(conn, request, check_plan, leak)
        except NotReadOnly as exc:
            answer = {"error": "refused", "message": str(exc)}
        except RuntimeError as exc:
            answer = {"error": "store", "message": str(exc)}
        except MemoryError:
            answer = {"error": "memory", "message": "out of memory"}
        out.write(json.dumps(answer, default=_encode, ensure_ascii=False) + "\n")
        out.flush()


_EXPLAIN = "EXPLAIN "


def as_written(message: str) -> str:
    """The store's error about `EXPLAIN query` as about the query its caller wrote: the
    first line's offset, quoted text and caret without the 8 characters they never typed."""
    found = re.search(r"\(line: 1, offset: (\d+)\)", message)
    if found is None:
        return message  # no place in it, or a later line's, which the prefix does not move
    n = len(_EXPLAIN)
    out = []
    for line in message.replace(found[0], f"(line: 1, offset: {int(found[1]) - n})").split("\n"):
        if line.startswith('"' + _EXPLAIN):  # the quoted text
            line = '"' + line[1 + n :]
        elif line.strip() == "^" and line.startswith(" " * n):  # the caret under it
            line = line[n:]
        out.append(line)
    return "\n".join(out)


def _answer(conn: Any, request: dict[str, Any], check_plan: Any, leak: Any) -> dict[str, Any]:
    query, params, cap = request["query"], request["params"], request["cap"]
    if request.get("check", True):
        try:
            plan = conn.execute(_EXPLAIN + query, params).get_all()
        except RuntimeError as exc:
            raise RuntimeError(as_written(str(exc))) from None
        check_plan("\n".join(str(cell) for row in plan for cell in row))
    result = conn.execute(query, params)
    try:
        columns = result.get_column_names()
        types = result.get_column_data_types()
        rows: list[dict[str, Any]] = []
        while len(rows) <= cap and result.has_next():
            row = result.get_next()
            leak.release([row], types)
            rows.append(dict(zip(columns, row, strict=True)))
    finally:
        result.close()
    return {"columns": columns, "rows": rows[:cap], "truncated": len(rows) > cap}


# -- the parent's side -------------------------------------------------------------------------


class Sandbox:
    """The confined process over the store at `path`, started when first asked."""

    def __init__(
        self,
        path: Path,
        *,
        timeout_ms: int,
        memory_mb: int,
        buffer_pool_mb: int = 256,
        max_db_mb: int = 8192,
    ) -> None:
        # Absolute: the process starts in the store's folder, where a relative path (the
        # default ./data/govgraph.lbdb) would point elsewhere.
        path = Path(path).resolve()
        self.path = path
        self.timeout_ms = timeout_ms
        self.config = {
            "path": str(path),
            "timeout_ms": timeout_ms,
            "memory_mb": memory_mb,
            "buffer_pool_mb": buffer_pool_mb,
            "max_db_mb": max_db_mb,
        }
        self.landlock = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def run(self, query: str, params: dict[str, Any], cap: int, *, check: bool = True) -> Answer:
        """The first `cap` rows of `query` and whether more matched. Raises BadQuery (the text,
        the plan or the memory limit), QueryTimeout, or SandboxFailed."""
        request = json.dumps(
            {"query": query, "params": params, "cap": cap, "check": check},
            default=_encode,
            ensure_ascii=False,
        )
        with self._lock:
            process = self._started()
            assert process.stdin is not None
            try:
                process.stdin.write(request.encode("utf-8") + b"\n")
                process.stdin.flush()
            except BrokenPipeError:
                self._stop()
                raise SandboxFailed("the research process had ended; ask again") from None
            wait = (self.timeout_ms / 1000 if self.timeout_ms else 3600.0) + GRACE_S
            line = self._line(process, wait)
            if line is None:
                self._stop()
                raise QueryTimeout("the query ran past its time limit and was stopped")
            if not line:
                code = self._stop()
                raise MemoryLimit(
                    f"the query ended the process that ran it (exit status {code}): most "
                    "likely it needed more memory than a query may use; nothing else was "
                    "affected. Narrow it, or aggregate before collecting."
                )
        answer = json.loads(line, object_hook=_decode)
        error = answer.get("error")
        if error is None:
            return Answer(answer["columns"], answer["rows"], answer["truncated"])
        message = answer["message"]
        if error == "memory" or "bad_alloc" in message or "buffer pool is full" in message:
            self.close()  # start afresh: the store may hold on to what it took
            raise MemoryLimit(
                "the query needed more memory than a query may use and was stopped; narrow it "
                "or aggregate before collecting"
            )
        if message.startswith("Interrupted"):
            raise QueryTimeout("the query ran past its time limit and was interrupted")
        raise BadQuery(message)

    def close(self) -> None:
        with self._lock:
            self._stop()

    # -- the process ------------------------------------------------------------------------

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        root = Path(__file__).resolve().parent.parent
        process = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, str(root), json.dumps(self.config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=self.path.parent,
            env={"PATH": os.defpath, "LANG": "C.UTF-8"},
            close_fds=True,
        )
        self._process = process
        line = self._line(process, STARTUP_S)
        if not line:
            self._stop()
            raise SandboxFailed(f"the research process could not open {self.path.name}")
        self.landlock = int(json.loads(line).get("landlock", 0))
        return process

    @staticmethod
    def _line(process: subprocess.Popen[bytes], wait: float) -> bytes | None:
        """The next line the process writes; b"" when it ended, None after `wait` seconds."""
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], wait)
        if not ready:
            return None
        return process.stdout.readline()

    def _stop(self) -> int | None:
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.kill()
        code = process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        return code


# `-I` (isolated) ignores PYTHON* variables and the user's site; the project's root is put on
# the path by hand, so the child imports this very module and nothing from its working folder.
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from graph.sandbox import main; main()"


def main() -> None:
    _serve(json.loads(sys.argv[2]))
