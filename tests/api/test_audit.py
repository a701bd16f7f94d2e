"""The audit log's chain holds when several processes append at once, and over long lines."""

import json
import subprocess
import sys
from pathlib import Path

from api.audit import AuditLog, AuditRecord, verify

ROOT = Path(__file__).resolve().parents[2]

APPEND = """
import sys
from pathlib import Path
from api.audit import AuditLog, AuditRecord
log = AuditLog(Path(sys.argv[1]))
for i in range(int(sys.argv[3])):
    record = AuditRecord(sys.argv[2], "RETURN $i AS i", {"i": i}, "accepted")
    log.append(record)
"""


def test_processes_appending_at_once_keep_one_chain(tmp_path):
    path = tmp_path / "audit.jsonl"
    writers = [
        subprocess.Popen([sys.executable, "-c", APPEND, str(path), f"w{n}", "40"], cwd=ROOT)
        for n in range(4)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 160
    assert sorted((r["who"], r["params"]["i"]) for r in records) == sorted(
        (f"w{n}", i) for n in range(4) for i in range(40)
    )
    assert verify(path) is None


def test_the_chain_holds_after_a_line_longer_than_the_tail_read(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append(AuditRecord(who="r", query="RETURN 1 AS x", params={}, outcome="accepted"))
    long = "RETURN '" + "网" * 100_000 + "' AS x"
    log.append(AuditRecord(who="r", query=long, params={}, outcome="accepted"))
    log.append(AuditRecord(who="r", query="RETURN 2 AS x", params={}, outcome="accepted"))
    assert verify(path) is None
    assert len(path.read_bytes().splitlines()) == 3
