"""A real Neo4j for the tests: Neo4j Community, fetched by Maven at the version pom.xml pins, run
in a JVM of its own (Server.java) on 127.0.0.1, with authentication on.

    built = build()                      # once: cached in build/neo4j-server/ by a hash of
                                         # pom.xml and src/, Maven offline once its
                                         # repository (~/.m2) holds Neo4j
    server = start(built, home)          # a fresh password; ready when this returns
    ... server.uri, server.user, server.password ...
    server.stop()                        # or it stops when this process ends, however

`missing()` says what a machine lacks to run it (java, mvn). `admin(built, home, *args)` runs
`neo4j-admin` (its Java entry point) on a server home, e.g. `database import full`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / "build" / "neo4j-server"
HEAP = "-Xmx1g"  # the demo counties fit in a fraction of it; the machine has 2 cores
READY = "govgraph-neo4j ready "
START_TIMEOUT_S = 120


class ServerError(RuntimeError):
    """The Neo4j test server could not be built or started; the message says why."""


def missing() -> str | None:
    """What this machine lacks to build and run the server, or None."""
    lacking = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if not lacking:
        return None
    return (
        f"no Neo4j server for the Neo4j tests: {' and '.join(lacking)} not on PATH (install "
        "Java 17+ and Maven, or point GOVGRAPH_TEST_NEO4J_URI at a server)"
    )


@dataclass(frozen=True)
class Built:
    """The compiled launcher and the class path (Neo4j's jars in the Maven repository)."""

    folder: Path

    @property
    def classpath(self) -> str:
        jars = (self.folder / "classpath.txt").read_text().strip()
        return f"{self.folder / 'classes'}{os.pathsep}{jars}"

    def java(self, main: str, *args: str) -> list[str]:
        return [
            "java",
            HEAP,
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            self.classpath,
            main,
            *args,
        ]


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted([HERE / "pom.xml", *(HERE / "src").rglob("*")]):
        if path.is_file():
            digest.update(path.relative_to(HERE).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _complete(folder: Path) -> bool:
    """Whether a cached build is whole and its jars are all still in the Maven repository."""
    listing = folder / "classpath.txt"
    if not (folder / "classes" / "govgraph" / "testserver" / "Server.class").exists():
        return False
    if not listing.exists():
        return False
    return all(Path(jar).exists() for jar in listing.read_text().strip().split(os.pathsep))


def build() -> Built:
    """Compile the launcher unless a build of the same pom.xml and sources is cached.

    Maven runs offline first (quick, no network); only when its repository lacks something
    does it fetch from Maven Central, once (about 130 MB)."""
    folder = CACHE / _fingerprint()
    if _complete(folder):
        return Built(folder)
    scratch = CACHE / f"{folder.name}.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    log = CACHE / f"{folder.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = ["mvn", "-B", "-q", "-f", str(HERE / "pom.xml"), "compile", f"-Dout={scratch}"]
    with log.open("w") as out:
        done = subprocess.run([*command, "-o"], stdout=out, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            out.write("\n-- offline build failed; fetching from Maven Central --\n")
            out.flush()
            done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0 or not _complete(scratch):
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise ServerError(f"Maven could not build the Neo4j test server (log: {log}):\n{tail}")
    shutil.rmtree(folder, ignore_errors=True)
    scratch.rename(folder)
    return Built(folder)


@dataclass
class Server:
    """A running Neo4j test server: where it answers, and the process to stop."""

    uri: str
    password: str
    home: Path
    process: subprocess.Popen[str] = field(repr=False)
    user: str = "neo4j"
    database: str = "neo4j"

    @property
    def port(self) -> int:
        return int(self.uri.rsplit(":", 1)[1])

    def stop(self) -> None:
        """Close its input, which stops it; kill it if it has not stopped within 30 s."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        _close_pipes(self.process)

    def kill(self) -> None:
        """Stop it as a crash or a pulled plug would: SIGKILL, nothing flushed."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        _close_pipes(self.process)


def start(built: Built, home: Path, *, password: str | None = None, port: int = 0) -> Server:
    """Start a server on `home` (created if absent) and return once its Bolt port answers.

    A new home gets `password` (default: a fresh random one) for the user neo4j; a home
    that held a server before keeps the password it was given then."""
    home.mkdir(parents=True, exist_ok=True)
    password = password or secrets.token_urlsafe(18)
    log = home / "server.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            built.java("govgraph.testserver.Server", str(home), str(port)),
            stdin=subprocess.PIPE,  # its end stops the server, also when this process dies
            stdout=subprocess.PIPE,
            stderr=errors,
            env={**os.environ, "GOVGRAPH_NEO4J_TEST_PASSWORD": password},
            text=True,
        )
    line = _first_line(process, START_TIMEOUT_S)
    if not line.startswith(READY):
        process.kill()
        process.wait()
        _close_pipes(process)
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise ServerError(f"the Neo4j test server did not start (log: {log}): {line!r}\n{tail}")
    return Server(line.removeprefix(READY).strip(), password, home, process)


def _close_pipes(process: subprocess.Popen[str]) -> None:
    for pipe in (process.stdin, process.stdout):
        if pipe is not None and not pipe.closed:
            pipe.close()


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first line the process prints, or "" if it ends or the time runs out first."""
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


def admin(built: Built, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `neo4j-admin ARGS` on the server home `home` (which no server may be running on),
    in `home`, where the importer writes its `import.report`."""
    (home / "conf").mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        built.java("org.neo4j.cli.AdminTool", *args),
        cwd=home,
        env={**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")},
        capture_output=True,
        text=True,
        check=False,
    )
