"""The GraphQL schema, and its SDL.

    python -m api.graphql.schema > api/schema.graphql

regenerates the committed SDL; a test fails when the file and the code differ.

The root type is `Query`, which inherits its fields from `NodeLookups`, `NodeLists` and
`HeadlineQueries` (`referral`, `expertPool`, `escalationPath`).
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.printer import print_schema

from api.graphql.errors import should_mask
from api.graphql.execution import Execution, call_resolvers_directly
from api.graphql.headline import HeadlineQueries
from api.graphql.limits import extensions
from api.graphql.lists import NodeLists
from api.graphql.lookups import NodeLookups
from api.graphql.workflow import WorkflowMutations, WorkflowQueries
from api.settings import Settings


@strawberry.type(description="The graph of grid-based social governance.")
class Query(NodeLookups, NodeLists, HeadlineQueries, WorkflowQueries):
    pass


@strawberry.type(description="The life of a dispute: report it, act on it (docs/workflow.md).")
class Mutation(WorkflowMutations):
    pass


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log what went wrong inside (with its traceback), not the callers' own mistakes."""
        super().process_errors([e for e in errors if should_mask(e)], execution_context)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema, with the limits and error masking `settings` ask for (none without)."""
    schema = Schema(
        query=Query,
        mutation=Mutation,
        execution_context_class=Execution,
        extensions=extensions(settings) if settings is not None else [],
    )
    call_resolvers_directly(schema)
    return schema


def sdl() -> str:
    return print_schema(build_schema()) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(sdl())
