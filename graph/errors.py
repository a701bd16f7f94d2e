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
            f"{message} — another process has the database open for writing; "
            "stop it (or open this one read-only) and try again"
        )
    if message.startswith(("Parser exception", "Binder exception")):
        return BadQuery(message)
    return GraphError(message)
