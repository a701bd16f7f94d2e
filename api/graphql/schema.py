"""The GraphQL schema, and its SDL.

    python -m api.graphql.schema > api/schema.graphql

regenerates the committed SDL; a test fails when the file and the code differ.

The root type is `Query`, which inherits its fields from `NodeLookups`, `NodeLists` and
`HeadlineQueries` (`referral`, `expertPool`, `escalationPath`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from graphql.execution.middleware import MiddlewareManager
from strawberry.exceptions import MissingQueryError
from strawberry.execution import optimized_is_awaitable
from strawberry.printer import print_schema
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import (
    DEFAULT_ALLOWED_OPERATION_TYPES,
    _coerce_error,
    _parse_operation_document,
    _run_validation,
)
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from api.graphql.errors import MaskInternalErrors, should_mask
from api.graphql.execution import Execution, call_resolvers_directly
from api.graphql.headline import HeadlineQueries
from api.graphql.limits import Limits, QueryLimits, limits
from api.graphql.lists import NodeLists
from api.graphql.lookups import NodeLookups
from api.graphql.workflow import WorkflowMutations, WorkflowQueries
from api.settings import Settings

# strawberry's, made per request from the extensions' resolve hooks: ours have none, and an
# empty manager holds nothing of a request
_NO_MIDDLEWARE = MiddlewareManager()
_MASK = MaskInternalErrors()  # its masking keeps nothing of a request


@strawberry.type(description="The graph of grid-based social governance.")
class Query(NodeLookups, NodeLists, HeadlineQueries, WorkflowQueries):
    pass


@strawberry.type(description="The life of a dispute: report it, act on it (docs/workflow.md).")
class Mutation(WorkflowMutations):
    pass


class Schema(strawberry.Schema):
    """strawberry's schema, with `limits` and internal errors masked when given, and a
    request executed without strawberry's extensions (`execute`)."""

    def __init__(self, *args: Any, limits: Limits | None = None, **kwargs: Any) -> None:
        # the same limits and masking as extensions, for strawberry's own paths (execute_sync)
        kwargs["extensions"] = [partial(QueryLimits, limits), MaskInternalErrors] if limits else []
        super().__init__(*args, **kwargs)
        self.limits = limits

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """strawberry's `execute`, step for step, with what its two extensions did (the
        limits where it parses, the masking once the operation is done) done in place:
        strawberry made both per request and wrapped them in four context managers a
        request (~0.2 M instructions). Strawberry's own with directives or incremental
        delivery (neither is used here)."""
        if self.directives or self.config.enable_experimental_incremental_execution:
            return await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        context = self._create_execution_context(
            query=query,
            allowed_operation_types=(
                DEFAULT_ALLOWED_OPERATION_TYPES
                if allowed_operation_types is None
                else allowed_operation_types
            ),
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
        )
        try:
            result = await self._operation(context, operation_extensions)
        except (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError):
            raise
        except Exception as exc:  # as strawberry's: neither masked nor logged twice
            return self._answer(context, PreExecutionError(data=None, errors=[_coerce_error(exc)]))
        if self.limits is not None:  # MaskErrors' on_operation, as the operation ends
            _MASK._process_result(context.result)
        if isinstance(result, ExecutionResult):  # answered before execution
            return result
        return self._answer(context, result, processed=True)

    async def _operation(
        self, context: ExecutionContext, operation_extensions: dict[str, Any] | None
    ) -> Any:
        """Parse, check, validate and execute, as strawberry's `execute` does inside its
        operation's hooks: an answer (`ExecutionResult`) when refused before execution,
        else graphql-core's result, its errors processed (logged)."""
        if not context.query and context.graphql_document is None:
            raise MissingQueryError
        if self.limits is not None:
            self.limits.prepare(context)
        try:
            _parse_operation_document(context)
        except GraphQLError as error:
            context.pre_execution_errors = [error]
            return self._answer(context, PreExecutionError(data=None, errors=[error]))
        except Exception as error:
            error = GraphQLError(str(error), original_error=error)
            context.pre_execution_errors = [error]
            return self._answer(context, PreExecutionError(data=None, errors=[error]))
        try:
            operation_type = context.operation_type
        except RuntimeError as error:
            raise CannotGetOperationTypeError(context.operation_name) from error
        if operation_type not in context.allowed_operations:
            raise InvalidOperationTypeError(operation_type)
        _run_validation(context)
        if context.pre_execution_errors:
            return self._answer(
                context, PreExecutionError(data=None, errors=context.pre_execution_errors)
            )
        result = context.result
        if not result:
            result = context.result = await await_maybe(
                self._get_execute_function()(
                    self._schema,
                    context.graphql_document,
                    root_value=context.root_value,
                    middleware=_NO_MIDDLEWARE,
                    variable_values=context.variables,
                    operation_name=context.operation_name,
                    context_value=context.context,
                    is_awaitable=optimized_is_awaitable,
                    **execution_context_class_kwargs(self.execution_context_class),
                    operation_extensions=operation_extensions,
                )
            )
        if isinstance(result, GraphQLExecutionResult) and result.errors:
            context.pre_execution_errors = result.errors
            self._process_errors(result.errors, context)
        return result

    def _answer(
        self, context: ExecutionContext, result: Any, processed: bool = False
    ) -> ExecutionResult:
        """strawberry's `_handle_execution_result` with no extensions' results."""
        if result.errors:
            context.pre_execution_errors = result.errors
            if not processed:
                self._process_errors(result.errors, context)
        answer: ExecutionResult = result
        if isinstance(result, GraphQLExecutionResult):
            answer = ExecutionResult(data=result.data, errors=result.errors)
        answer.extensions = dict(context.extensions_results)
        context.result = answer
        return answer

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log what went wrong inside (with its traceback), not the callers' own mistakes."""
        super().process_errors([e for e in errors if should_mask(e)], execution_context)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema, with the limits and error masking `settings` ask for (none without)."""
    schema = Schema(
        query=Query,
        mutation=Mutation,
        execution_context_class=Execution,
        limits=limits(settings) if settings is not None else None,
    )
    call_resolvers_directly(schema)
    return schema


def sdl() -> str:
    return print_schema(build_schema()) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(sdl())
