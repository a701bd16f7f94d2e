"""A load killed at any point (kill -9), then rerun, ends with exactly the graph a clean run
gives: batches are transactions, and every write is an idempotent upsert."""

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from graph.dump import dump
from graph.embedded import EmbeddedBackend
from loaders.checks import id_check_digit
from loaders.load import BULK_PART_ROWS, LET_GO_ROWS, load

BATCH = 25
LOADER = """
import sys
from pathlib import Path
from graph.embedded import EmbeddedBackend
import loaders.load
from loaders.load import load
loaders.load.LET_GO_ROWS = int(sys.argv[3])
loaders.load.BULK_PART_ROWS = int(sys.argv[5])
backend = EmbeddedBackend(Path(sys.argv[1]))
backend.init_schema()
paths = [Path(p) for p in sys.argv[6:]]
pause = sys.stdin.readline  # the parent answers each batch, or kills the loader instead


def committed(name, rows):
    print(name, flush=True)
    pause()


load(
    backend,
    paths,
    batch_size=int(sys.argv[2]),
    bulk_batch_size=int(sys.argv[4]),
    on_progress=committed,
)
print("done", flush=True)
"""


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    grids = [
        {
            "id": f"G{g:03d}",
            "name": f"第{g}网格",
            "level": 1,
            "kind": "basic",
            "households": 280 + g,
        }
        for g in range(60)
    ]
    people = []
    for i in range(500):
        first17 = f"33042119{70 + i % 30}0{1 + i % 9}1{i % 10}{i % 1000:03d}"
        people.append(
            {
                "id": f"P{i:04d}",
                "name": f"张{i}",
                "gender": "male",
                "id_number": first17 + id_check_digit(first17),
                "mobile": f"138{i:08d}",
            }
        )
    serves = [
        {
            "from": f"P{i:04d}",
            "to": f"G{i % 60:03d}",
            "role": "part_time" if i >= 60 else "head",
            "valid_from": f"2021-0{1 + i % 9}-01",
        }
        for i in range(500)
    ]
    return [
        _write(folder / "k.grids.csv", grids),
        _write(folder / "k.people.csv", people),
        _write(folder / "k.serves_in.csv", serves),
    ]


@pytest.fixture(scope="module")
def clean(files, tmp_path_factory):
    backend = EmbeddedBackend(tmp_path_factory.mktemp("clean") / "g.lbdb")
    backend.init_schema()
    report = load(backend, files, batch_size=BATCH)
    assert report.ok
    graph = dump(backend)
    backend.close()
    return graph


def test_the_clean_run_holds_every_row(clean):
    assert (len(clean["Grid"]), len(clean["Person"]), len(clean["SERVES_IN"])) == (60, 500, 500)


# The store let go of its memory (closed and opened again: loaders.load.LET_GO_ROWS) as the
# loader does by default, never at this size, and after every second batch or so.
# A first load's batches of 40 rows also go to the store in parts of 15 (BULK_PART_ROWS), in
# one transaction: the kill may come between two parts.
@pytest.mark.parametrize("let_go", [LET_GO_ROWS, 40])
@pytest.mark.parametrize("after_batches", [1, 5, 12, 21, 26])
@pytest.mark.parametrize("bulk_batch, part", [(BATCH, BULK_PART_ROWS), (40, 15)])
def test_a_killed_load_rerun_ends_as_a_clean_run(
    files, clean, tmp_path, after_batches, let_go, bulk_batch, part
):
    db = tmp_path / "g.lbdb"
    sizes = [BATCH, let_go, bulk_batch, part]
    child = subprocess.Popen(
        [sys.executable, "-c", LOADER, str(db), *map(str, sizes), *map(str, files)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    for _ in range(after_batches):
        assert child.stdout.readline() not in ("", "done\n")
        child.stdin.write("\n")
        child.stdin.flush()
    # The child is now writing the next batch, or waiting just after committing it.
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdin.close()
    child.stdout.close()

    backend = EmbeddedBackend(db)
    partial = dump(backend)
    assert partial != clean  # the kill did interrupt the load
    report = load(backend, files, batch_size=BATCH)
    assert [f.line() for f in report.files] == [
        "k.grids.csv: read 60 = loaded 60 + rejected 0 + duplicates 0",
        "k.people.csv: read 500 = loaded 500 + rejected 0 + duplicates 0",
        "k.serves_in.csv: read 500 = loaded 500 + rejected 0 + duplicates 0",
    ]
    assert dump(backend) == clean
    backend.close()
