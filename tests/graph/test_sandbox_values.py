"""The confined process converts every kind of value the store has, in parameters and in
answers, though it can open no file once confined (modules the store imports lazily are
imported before)."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from graph.pseudonym import Privacy
from graph.research_copy import ensure
from graph.sandbox import Sandbox


def test_dates_decimals_and_uuids_cross_the_confined_process(tmp_path, examples_graph):
    store = ensure(examples_graph, tmp_path, Privacy.for_role("admin", None))
    sandbox = Sandbox(store, timeout_ms=10_000, memory_mb=256)
    try:
        answer = sandbox.run(
            "RETURN $day AS day, $at AS at, CAST('1.5' AS DECIMAL(4, 1)) AS d, "
            "UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11') AS u",
            {"day": date(2021, 6, 30), "at": datetime(2021, 6, 30, 8, 30)},
            10,
        )
        assert answer.rows == [
            {
                "day": date(2021, 6, 30),
                "at": datetime(2021, 6, 30, 8, 30),
                "d": str(Decimal("1.5")),  # as text, as JSON carries them
                "u": str(UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
            }
        ]
    finally:
        sandbox.close()
