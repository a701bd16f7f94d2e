"""GOVGRAPH_MALLOC_STATS: a running server appends its allocator's figures to a file."""

import json
import os
import subprocess
import sys
import time

from api.mallocstats import parse

POOL = 16384  # pymalloc's pools in Python 3.11 (arenas of 1 MiB)
TEXT = """Small block threshold = 512, in 32 size classes.

class   size   num pools   blocks in use  avail blocks
-----   ----   ---------   -------------  ------------
    1     32           3            1402            110
   31    512           1              20             11

# arenas allocated total           =                    7
# arenas reclaimed                 =                    2
# arenas highwater mark            =                    6
# arenas allocated current         =                    5

# bytes in allocated blocks        =            2,187,552
# bytes in available blocks        =              285,120
31 unused pools * 16384 bytes      =              507,904
Total                              =            3,145,728

           11 free PyDictObjects * 48 bytes each =                  528
"""


def test_the_figures_of_the_text_are_read_whole():
    assert parse(TEXT) == {
        "size_classes": [[32, 3, 1402, 110], [512, 1, 20, 11]],
        "arenas_allocated_total": 7,
        "arenas_reclaimed": 2,
        "arenas_highwater_mark": 6,
        "arenas_allocated_current": 5,
        "bytes_in_allocated_blocks": 2187552,
        "bytes_in_available_blocks": 285120,
        "unused_pools": 31,
    }


def test_a_running_server_appends_its_figures(examples_graph, serve_process, tmp_path):
    db = examples_graph.path
    examples_graph.close()
    figures = tmp_path / "malloc.jsonl"
    server, _ = serve_process(db, malloc_stats=str(figures), malloc_stats_seconds=0.2)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_lines(figures)) < 3:
        time.sleep(0.2)
    server.terminate()
    server.wait(30)
    lines = _lines(figures)
    assert len(lines) >= 3
    for line in lines:
        assert sorted(line) == ["blocks_in_use", "mallinfo2", "pymalloc", "rss", "threads", "time"]
        held = line["pymalloc"]
        assert held["arenas_allocated_current"] == (
            held["arenas_allocated_total"] - held["arenas_reclaimed"]
        )
        # every MiB of arenas held is pools in use, unused pools, or lost to alignment
        pools = sum(pools for _, pools, _, _ in held["size_classes"])
        assert held["arenas_allocated_current"] << 20 == (
            (pools + held["unused_pools"]) * POOL + held["bytes_lost_to_arena_alignment"]
        )
        assert (
            sum(size * used for size, _, used, _ in held["size_classes"])
            == (held["bytes_in_allocated_blocks"])
        )
        assert line["blocks_in_use"] > 0
        assert line["rss"] > held["arenas_allocated_current"] << 20
        assert sorted(line["mallinfo2"]) == sorted(
            "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()
        )
    assert [line["time"] for line in lines] == sorted(line["time"] for line in lines)


def test_without_pymalloc_the_line_has_the_rest():
    code = "import json; from api.mallocstats import sample; print(json.dumps(sample()))"
    env = {**os.environ, "PYTHONMALLOC": "malloc"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    line = json.loads(out.stdout)
    assert (line["pymalloc"], line["blocks_in_use"]) == ({}, 0)
    assert line["mallinfo2"]["uordblks"] > 0 and out.stderr == ""


def _lines(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]
