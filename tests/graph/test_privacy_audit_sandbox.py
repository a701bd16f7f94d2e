"""The store's errors about a researcher's query point at the query as they wrote it, not at
the `EXPLAIN` the confined process puts before it to check its plan."""

import pytest

from graph.errors import BadQuery
from graph.pseudonym import Privacy
from graph.research_copy import ensure
from graph.sandbox import Sandbox


@pytest.fixture
def sandbox(tmp_path, examples_graph):
    found = Sandbox(
        ensure(examples_graph, tmp_path / "copies", Privacy.masked()),
        timeout_ms=10_000,
        memory_mb=256,
    )
    yield found
    found.close()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "MATCH (p:Person) RETURN p {.name} AS x",
            "Parser exception: Invalid input < {>: expected rule iC_Statements "
            '(line: 1, offset: 26)\n"MATCH (p:Person) RETURN p {.name} AS x"\n' + " " * 27 + "^",
        ),
        (  # a later line's place is the same either way
            "MATCH (p:Person)\nRETURN p {.name} AS x",
            "Parser exception: Invalid input < {>: expected rule iC_Statements "
            '(line: 2, offset: 9)\n"RETURN p {.name} AS x"\n' + " " * 10 + "^",
        ),
        (
            "MATCH (p:Person) RETURN p.nope",
            "Binder exception: Cannot find property nope for p.",
        ),
    ],
)
def test_an_error_points_at_the_query_as_written(sandbox, query, message):
    with pytest.raises(BadQuery) as raised:
        sandbox.run(query, {}, 10)
    assert str(raised.value) == message
