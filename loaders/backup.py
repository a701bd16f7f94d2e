"""Backups of the embedded store: a consistent copy made while the server runs, and restored
into a new store that is equal to it (`graph.dump`).

A backup is the raw export in the loader's own CSV format (`loaders.export`, every property,
personal data unmasked), read through a read-only handle: it opens beside a server's
read-only handles and reads one snapshot of whole load batches, so a backup is never half a
batch. (LadybugDB's own `EXPORT DATABASE` refuses this schema: its relationship tables with
several FROM/TO pairs.) It is written into a folder beside the target and renamed into place
when whole, with a manifest of what it holds (`MANIFEST`). A restore loads it into a new
store beside the target, checks that every row loaded and the counts match the manifest, and
only then renames the store into place.

A masked export (`govgraph export`) is not a backup: personal data in it is masked, and it
leaves out what the role may not see.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from graph.embedded import EmbeddedBackend
from graph.errors import GraphError
from graph.pseudonym import Privacy
from graph.schema import LOADED_LOGS, SCHEMA, Schema
from loaders.export import export
from loaders.load import load

MANIFEST = "govgraph-backup.json"


class BackupError(GraphError):
    """The backup or restore cannot be made as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    made: str  # when, in UTC, ISO 8601
    store: str  # the store it was made from
    counts: dict[str, int]  # nodes per label and relationships per type, 0s left out

    def total(self) -> int:
        return sum(self.counts.values())


def counts(backend: EmbeddedBackend, schema: Schema = SCHEMA) -> dict[str, int]:
    """Nodes per label and relationships per type that a backup holds, leaving out those with
    none."""
    kept = {n.label for n in schema.nodes} | {r.type for r in schema.rels} | set(LOADED_LOGS)
    found = backend.read("MATCH (n) RETURN label(n) AS name, count(*) AS n") + backend.read(
        "MATCH ()-[e]->() RETURN label(e) AS name, count(*) AS n"
    )
    return {r["name"]: r["n"] for r in sorted(found, key=lambda r: r["name"]) if r["name"] in kept}


def backup(db: Path, out: Path) -> Manifest:
    """A consistent copy of the store at `db` in the new folder `out`."""
    if out.exists():
        raise BackupError(f"{out} exists already; give a new folder for the backup")
    if not db.exists():
        raise BackupError(f"there is no graph at {db} to back up")
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # what a killed backup left
    partial.parent.mkdir(parents=True, exist_ok=True)
    try:
        store = EmbeddedBackend(db, read_only=True)
    except GraphError as exc:
        raise BackupError(
            f"cannot open {db} to back it up ({exc}); if a load holds it, back up when the "
            "load has ended"
        ) from exc
    try:
        found = counts(store)
        export(store, partial, privacy=Privacy.raw(), logs=True)
    finally:
        store.close()
    manifest = Manifest(datetime.now(UTC).isoformat(timespec="seconds"), str(db), found)
    (partial / MANIFEST).write_text(
        json.dumps(manifest.__dict__, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    partial.rename(out)
    return manifest


def read_manifest(folder: Path) -> Manifest:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return Manifest(str(data["made"]), str(data["store"]), dict(data["counts"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            f"{folder} is not a whole govgraph backup (its {MANIFEST} cannot be read: {exc})"
        ) from None


def restore(folder: Path, db: Path) -> Manifest:
    """The backup in `folder` as a new store at `db`, which must not exist yet."""
    manifest = read_manifest(folder)
    if db.exists():
        raise BackupError(
            f"{db} exists already: restore into a new path (GOVGRAPH_DB), or move the old store "
            "away first"
        )
    staging = db.with_name(db.name + ".restoring")
    staging.unlink(missing_ok=True)  # what a killed restore left
    db.parent.mkdir(parents=True, exist_ok=True)
    store = EmbeddedBackend(staging)
    try:
        store.init_schema()
        report = load(store, sorted(folder.glob("*.csv")))
        found = counts(store)
    except GraphError as exc:
        store.close()
        staging.unlink(missing_ok=True)
        raise BackupError(f"{folder} cannot be restored: {exc}") from exc
    store.close()
    if not report.ok or found != manifest.counts:
        staging.unlink(missing_ok=True)
        problems = f"; {len(report.rejects)} rows rejected" if report.rejects else ""
        raise BackupError(
            f"{folder} restored to other counts than it was made with ({found} against "
            f"{manifest.counts}{problems}); the backup is damaged"
        )
    staging.rename(db)
    return manifest
