"""Which GraphQL errors the caller sees in full, and which are masked.

The caller's own mistakes (an unknown id, a bad argument, a page too large, a query over a
limit) come back with a message that says what to change. Anything else (a database failure,
a bug) is masked: the caller reads "Unexpected error." and the details stay in the server log.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import MaskErrors

# Apollo's codes, which GraphQL clients and tools (schemathesis among them) understand.
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
QUERY_TIMEOUT = "QUERY_TIMEOUT"


class UserError(ValueError):
    """A mistake in the request, reported to the caller as it is.

    `argument` names the argument at fault, so a client can point at it.
    """

    def __init__(
        self, message: str, *, argument: str | None = None, code: str = BAD_USER_INPUT
    ) -> None:
        super().__init__(message)
        self.extensions: dict[str, Any] = {"code": code}
        if argument:
            self.extensions["argument"] = argument


def should_mask(error: GraphQLError) -> bool:
    """Mask everything a resolver raised except a `UserError`.

    Errors without an original exception come from parsing and validation (a syntax error,
    an unknown field, a wrong argument type, the depth, alias and token limits): they are
    about the query the caller wrote, and are shown. So is a variable its type cannot take (an
    `Int` of "ten", an unknown enum value, a required one missing, a `Date` of "2024-02-30"):
    graphql-core reports those before execution, without a path, over its own `GraphQLError`,
    and they are the caller's values, not a fault of the server. An error during execution
    always has a path, so a value the server could not serialise stays masked.
    """
    original = error.original_error
    if original is None or isinstance(original, UserError | StrawberryInputCoercionError):
        return False
    return not (error.path is None and isinstance(original, GraphQLError))


class MaskInternalErrors(MaskErrors):
    """strawberry's MaskErrors with `should_mask`, tagging masked errors with their code."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask, error_message="Unexpected error.")

    def _process_result(self, result: Any) -> None:
        # strawberry's tests `result` against a runtime-checkable Protocol: some 16 µs a request
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": INTERNAL_SERVER_ERROR},
        )
