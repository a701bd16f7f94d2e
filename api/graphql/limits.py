"""Limits on every GraphQL request, and what production mode turns off.

- depth (GOVGRAPH_MAX_DEPTH), aliases (GOVGRAPH_MAX_ALIASES) and tokens
  (GOVGRAPH_MAX_TOKENS): strawberry's QueryDepthLimiter, MaxAliasesLimiter and
  MaxTokensLimiter reject a query over them before it runs, with a message that says which;
- page size: `first` is at most 100 (`api.graphql.pagination`);
- time: each backend read is bounded by the store's query timeout;
- introspection is refused in production mode (GraphiQL is not served there either);
- errors: internal ones are masked, the caller's own mistakes are not (`api.graphql.errors`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from api.graphql.errors import MaskInternalErrors
from api.settings import Settings

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]


def extensions(settings: Settings) -> list[Extension]:
    """The schema's extensions, as factories: each request gets its own instances."""
    found: list[Extension] = [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(QueryDepthLimiter, max_depth=settings.max_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
        MaskInternalErrors,
    ]
    if settings.mode == "production":
        found.append(DisableIntrospection)
    return found
