"""Limits on every GraphQL request, and what production mode turns off.

- size: the query text (GOVGRAPH_MAX_QUERY_CHARS), before it is parsed or kept: the token
  limit does not count comments, and a long text would stay in the parser's cache;
- depth (GOVGRAPH_MAX_DEPTH), aliases (GOVGRAPH_MAX_ALIASES) and tokens
  (GOVGRAPH_MAX_TOKENS): strawberry's QueryDepthLimiter, MaxAliasesLimiter and
  MaxTokensLimiter reject a query over them before it runs, with a message that says which;
- page size: `first` is at most 100 (`api.graphql.pagination`);
- time: each backend read is bounded by the store's query timeout;
- introspection is refused in production mode (GraphiQL is not served there either);
- errors: internal ones are masked, the caller's own mistakes are not (`api.graphql.errors`).

Parsing and validating a query costs more than running a small one (about 5 ms of a 9 ms
lookup), and clients send the same few query texts again and again, with variables. So the
parsed document and the validation's verdict are kept, per query text, in strawberry's LRU
caches, bounded by count and, through the size limit, by size: at most 256 texts of at most
GOVGRAPH_MAX_QUERY_CHARS characters (unique texts from a hostile client only push older ones
out). The limits'
validation rules are made once here: strawberry's limiters make new rule classes whenever
they are constructed, and the verdict is cached per set of rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from api.graphql.errors import MaskInternalErrors
from api.settings import Settings

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]

CACHED_QUERY_TEXTS = 256  # distinct query texts whose parse and verdict are kept


class MaxQueryLength(SchemaExtension):
    """Refuses a query text longer than `max_length` characters before it is parsed."""

    def __init__(self, max_length: int) -> None:
        super().__init__()
        self.max_length = max_length

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query or ""
        if len(query) > self.max_length:
            raise GraphQLError(
                f"the query is {len(query):,} characters long, more than the "
                f"{self.max_length:,} allowed; send a shorter query, with the values as variables",
                extensions={"code": "BAD_USER_INPUT"},
            )
        yield


def extensions(settings: Settings) -> list[Extension]:
    """The schema's extensions, as factories: each request gets its own instances."""
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    if settings.mode == "production":
        rules += DisableIntrospection().validation_rules
    return [
        partial(MaxQueryLength, settings.max_query_chars),  # first: before the parser's cache
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(AddValidationRules, rules),
        partial(ParserCache, maxsize=CACHED_QUERY_TEXTS),
        partial(ValidationCache, maxsize=CACHED_QUERY_TEXTS),
        MaskInternalErrors,
    ]
