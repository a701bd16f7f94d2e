"""The project's own database errors, and the one place driver errors become them."""

from __future__ import annotations


class GraphError(Exception):
    """A database operation failed."""


class ConstraintViolation(GraphError):
    """A write broke a uniqueness rule (a duplicated key)."""


class BackendUnavailable(GraphError):
    """The store cannot be opened or reached (locked by another process, server down)."""


class QueryTimeout(GraphError):
    """A query ran past its time limit and was interrupted."""


class BadQuery(GraphError):
    """The query text or its parameters are wrong (syntax, unknown label or property)."""


def from_ladybug(exc: Exception) -> GraphError:
    """Map a LadybugDB error, which is a RuntimeError named by its message's first words."""
    message = str(exc)
    if "duplicated primary key" in message:
        return ConstraintViolation(message)
    if message.startswith("Interrupted"):
        return QueryTimeout("the query ran past its time limit and was interrupted")
    if "Lock is held" in message or "Could not set lock" in message:
        return BackendUnavailable(
            f"{message} — another process has the database open for writing (a running "
            "`govgraph serve`, which owns the store while it runs, or another load): stop it "
            "and try again"
        )
    if message.startswith(("Parser exception", "Binder exception")):
        return BadQuery(message)
    return GraphError(message)


class AuthenticationFailed(GraphError):
    """The server refused the user name, the password or the token."""


# Neo4j status codes that are not told apart by the driver's exception classes.
_TIMEOUT_CODES = frozenset(
    {
        "Neo.ClientError.Transaction.TransactionTimedOut",
        "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
        "Neo.TransientError.Transaction.LockAcquisitionTimeout",
    }
)
_BOOKMARK_CODES = frozenset(
    {
        "Neo.ClientError.Transaction.InvalidBookmark",
        "Neo.ClientError.Transaction.InvalidBookmarkMixture",
    }
)
_UNAVAILABLE_CODES = frozenset(
    {
        "Neo.ClientError.Database.DatabaseNotFound",
        "Neo.TransientError.General.DatabaseUnavailable",
        "Neo.ClientError.Cluster.NotALeader",
        "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase",
    }
)


def from_neo4j(exc: Exception) -> GraphError:
    """Map a Neo4j driver or server error by its class and, for server errors, its status code.

    The driver has already retried what can be retried (transient errors, lost connections)
    inside managed transactions: what arrives here is final.
    """
    from neo4j import exceptions as neo

    message = str(exc)
    if isinstance(exc, neo.Neo4jError):
        code = exc.code
        message = f"{exc.message} ({code})"
        if isinstance(exc, neo.AuthError):
            return AuthenticationFailed(
                f"{message} — check GOVGRAPH_NEO4J_USER and GOVGRAPH_NEO4J_PASSWORD"
            )
        if isinstance(exc, neo.ConstraintError):
            return ConstraintViolation(message)
        if code in _TIMEOUT_CODES:
            return QueryTimeout(f"the query ran past its time limit and was stopped: {message}")
        if code in _BOOKMARK_CODES:
            return BadQuery(
                f"{message} — a bookmark this server did not give (or of another database)"
            )
        if code == "Neo.ClientError.Database.DatabaseNotFound":
            return BackendUnavailable(f"{message} — check GOVGRAPH_NEO4J_DATABASE")
        if code in _UNAVAILABLE_CODES or isinstance(exc, neo.TransientError):
            return BackendUnavailable(message)
        if isinstance(exc, neo.Forbidden):
            return GraphError(f"{message} — the Neo4j user lacks a privilege this needs")
        if isinstance(exc, neo.CypherSyntaxError | neo.CypherTypeError) or code.startswith(
            "Neo.ClientError.Statement."
        ):
            return BadQuery(message)
        return GraphError(message)
    if isinstance(exc, neo.IncompleteCommit):
        return BackendUnavailable(
            f"{message} — the connection dropped while committing, so the write may or may not "
            "have happened; every govgraph write is idempotent: run it again"
        )
    if isinstance(exc, neo.AuthConfigurationError):
        return AuthenticationFailed(message)
    if isinstance(exc, neo.ServiceUnavailable | neo.SessionExpired | neo.ConnectionPoolError):
        return BackendUnavailable(
            f"{message} — is the Neo4j server running and GOVGRAPH_DB's address right?"
        )
    if isinstance(exc, neo.ConfigurationError):
        return BackendUnavailable(f"the Neo4j driver refused its settings: {message}")
    return GraphError(message)
