"""Limits on every GraphQL request, and what production mode turns off.

- size: the query text (GOVGRAPH_MAX_QUERY_CHARS), before it is parsed or kept: the token
  limit does not count comments, and a long text would stay in the parser's cache;
- depth (GOVGRAPH_MAX_DEPTH) and aliases (GOVGRAPH_MAX_ALIASES): the validation rules of
  strawberry's QueryDepthLimiter and MaxAliasesLimiter, and tokens (GOVGRAPH_MAX_TOKENS),
  counted by graphql-core's parser, reject a query over them before it runs, with a message
  that says which;
- page size: `first` is at most 100 (`api.graphql.pagination`);
- time: each backend read is bounded by the store's query timeout;
- introspection is refused in production mode (GraphiQL is not served there either);
- a document of several operations runs only the one `operationName` names (none without);
- errors: internal ones are masked, the caller's own mistakes are not (`api.graphql.errors`).

Parsing and validating a query costs more than running a small one (about 5 ms of a 9 ms
lookup), and clients send the same few query texts again and again, with variables. So the
parsed document and the validation's verdict are kept, per query text, in two LRU caches
(`Limits.prepare`), bounded by count and, through the size limit, by size: at most 256 texts of
at most GOVGRAPH_MAX_QUERY_CHARS characters (unique texts from a hostile client only push
older ones out). The limits' validation rules are made once here: strawberry's limiters make
new rule classes whenever they are constructed, and the verdict is kept per set of rules.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from functools import lru_cache, partial
from typing import NamedTuple

from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, parse
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from api.graphql.errors import MaskInternalErrors
from api.settings import Settings

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]
Rules = tuple[type[ASTValidationRule], ...]

CACHED_QUERY_TEXTS = 256  # distinct query texts whose parse and verdict are kept


class Limits(NamedTuple):
    """A query text's limits, and its parse and verdict kept per text (`prepare`)."""

    max_length: int
    max_tokens: int
    rules: Rules

    def prepare(self, context: ExecutionContext) -> None:
        """The text refused when too long, before it is parsed or kept (the token limit does
        not count comments); else its document and its verdict, kept. A text that does not
        parse is left to strawberry's parse, which counts tokens too and reports it as it
        reports every syntax error. Done where strawberry parses (`api.graphql.schema`, or
        `QueryLimits` on strawberry's own paths); the verdict set now is reported where
        strawberry reports validation's errors, after the operation's type is checked, and
        its validation, finding it set, does not run."""
        query = context.query or ""
        if len(query) > self.max_length:
            raise GraphQLError(
                f"the query is {len(query):,} characters long, more than the "
                f"{self.max_length:,} allowed; send a shorter query, with the values as variables",
                extensions={"code": "BAD_USER_INPUT"},
            )
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = context.validation_rules + self.rules
        if query and context.graphql_document is None:
            with contextlib.suppress(GraphQLError):
                context.graphql_document = _document(query, self.max_tokens)
                if context.pre_execution_errors is None:
                    context.pre_execution_errors = _verdict(
                        context.schema._schema, query, self.max_tokens, context.validation_rules
                    )
                    # strawberry's `operation_name` falls back to the first operation's name,
                    # so with several and none named it would run the first
                    if context._provided_operation_name is None and (
                        unchosen := _unchosen(context.graphql_document)
                    ):
                        context.pre_execution_errors = [*context.pre_execution_errors, unchosen]


class QueryLimits(SchemaExtension):
    """`Limits` as strawberry's extension, for its own paths (`execute_sync`, a stream):
    `api.graphql.schema`'s `execute` applies them without strawberry's extensions."""

    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self.limits = limits

    def on_parse(self) -> Iterator[None]:
        """One hook, not one per phase: strawberry wraps each hook of each extension in a
        new context manager for every request."""
        self.limits.prepare(self.execution_context)
        yield


@lru_cache(maxsize=CACHED_QUERY_TEXTS)
def _document(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


@lru_cache(maxsize=CACHED_QUERY_TEXTS)
def _verdict(
    schema: GraphQLSchema, query: str, max_tokens: int, rules: Rules
) -> list[GraphQLError]:
    """The validation errors of `query`'s document, as strawberry's validation finds them,
    kept by its text (Python keeps a string's hash; a document's is worked out each time)."""
    return validate_document(schema, _document(query, max_tokens), rules)


def _unchosen(document: DocumentNode) -> GraphQLError | None:
    """The error for a document of several operations when no operationName names one."""
    if len(document.definitions) < 2:
        return None
    names = [
        d.name.value if d.name else "(anonymous)"
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]
    if len(names) < 2:
        return None
    return GraphQLError(
        "Must provide operation name if query contains multiple operations: the document "
        f"holds {len(names)} ({', '.join(names)}); name the one to run in operationName."
    )


def limits(settings: Settings) -> Limits:
    """The limits `settings` ask for."""
    rules = (
        *QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    )
    if settings.mode == "production":
        rules += tuple(DisableIntrospection().validation_rules)
    return Limits(settings.max_query_chars, settings.max_tokens, rules)


def extensions(settings: Settings) -> list[Extension]:
    """The schema's extensions, as factories: each request gets its own instances."""
    return [partial(QueryLimits, limits(settings)), MaskInternalErrors]
