"""The graph from a notebook: named and ad-hoc queries as pandas DataFrames, and exports.

    from api.notebook import Graph

    with Graph.open("./data/govgraph.lbdb", role="researcher", pseudonym_key=key) as g:
        g.query("county_summary", county="330421000000")
        g.query("MATCH (p:Person)-[:SERVES_IN]->(g:Grid) RETURN p.name AS name, g.id AS grid")

The graph is opened read-only. Named queries and ad-hoc Cypher take the one path of
`api.adhoc` (as POST /cypher and `govgraph cypher` do): checked, run in a confined process on
a copy of the graph made for the role's view (admin raw; researcher pseudonymised with a key,
masked without one; viewer and mediator masked), capped at GOVGRAPH_CYPHER_ROW_CAP rows and
written to the audit log (GOVGRAPH_AUDIT_LOG) before and after.

The role is a policy, not a lock: whoever can open the graph file (or holds the Neo4j
password) can read it raw. It keeps personal data out of results and exports by default, so
that what leaves the notebook is pseudonymised; give researchers who must not see raw data a
pseudonymised export or the API, never the store itself. See docs/notebook.md.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd
from pydantic import SecretStr

from api.adhoc import Refused, ask, close_all, is_named
from api.audit import AuditLog
from api.opening import open_graph
from api.settings import Settings
from graph.backend import Backend
from graph.pseudonym import Privacy, View, key_from_text
from loaders.export import ExportReport, Format, export
from queries.library import get_query, named_queries


class QueryRefused(ValueError):
    """The query was not answered (refused by the check, too slow, too big); says why."""


class Graph:
    """An open graph and the privacy policy of the role reading it."""

    def __init__(
        self,
        backend: Backend,
        *,
        role: str = "researcher",
        pseudonym_key: bytes | str | None = None,
        owns_backend: bool = False,
        settings: Settings | None = None,
    ) -> None:
        if isinstance(pseudonym_key, str):
            pseudonym_key = key_from_text(pseudonym_key)
        self.backend = backend
        self.role = role
        self.privacy = Privacy.for_role(role, pseudonym_key)
        secret = SecretStr(pseudonym_key.hex() if pseudonym_key else "")
        self._settings = (settings or Settings()).model_copy(update={"pseudonym_key": secret})
        self._audit = AuditLog(Path(self._settings.audit_log))
        self._owns = owns_backend

    @classmethod
    def open(
        cls,
        db: str | None = None,
        *,
        role: str = "researcher",
        pseudonym_key: bytes | str | None = None,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        timeout_ms: int | None = None,
    ) -> Graph:
        """Open the graph `db` read-only: an embedded store's path, or a Neo4j URI.

        What is not given comes from the `GOVGRAPH_*` settings, as for the command line
        (`GOVGRAPH_DB`, `GOVGRAPH_NEO4J_USER`, `…_PASSWORD`, `…_DATABASE`,
        `GOVGRAPH_QUERY_TIMEOUT_MS`). The pseudonym key, when not given, is read from
        `GOVGRAPH_PSEUDONYM_KEY`: 64 hex digits as `graph.pseudonym.new_key()` makes them, or
        any text of at least 16 bytes. A researcher without a key sees masked values.
        """
        given = {
            "db": db,
            "neo4j_user": user,
            "neo4j_password": None if password is None else SecretStr(password),
            "neo4j_database": database,
            "query_timeout_ms": timeout_ms,
        }
        settings = Settings().model_copy(
            update={name: value for name, value in given.items() if value is not None}
        )
        if pseudonym_key is None and settings.pseudonym_key.get_secret_value():
            pseudonym_key = settings.pseudonym_key.get_secret_value()
        backend = open_graph(settings, read_only=True, timed=True, modelled=True)
        try:
            return cls(
                backend,
                role=role,
                pseudonym_key=pseudonym_key,
                owns_backend=True,
                settings=settings,
            )
        except Exception:
            backend.close()
            raise

    @property
    def view(self) -> View:
        """How personal data appears: raw, masked or pseudonymised."""
        return self.privacy.view

    # -- queries --------------------------------------------------------------------------

    def rows(self, name_or_cypher: str, /, **params: Any) -> list[dict[str, Any]]:
        """The rows of a named query (by its name) or of ad-hoc Cypher, as the role sees them."""
        text = name_or_cypher.strip()
        try:
            result = ask(
                self.backend,
                self._settings,
                self._audit,
                who=f"notebook:{getpass.getuser()}:{self.role}",
                role=self.role,
                query=text,
                params=params,
                named=is_named(text),
            )
        except Refused as exc:
            # the check's, the library's or the store's own error, as a notebook expects
            raise (exc.cause or QueryRefused(str(exc))) from None
        return result.rows

    def query(self, name_or_cypher: str, /, **params: Any) -> pd.DataFrame:
        """A named query or ad-hoc Cypher with `$parameters`, as a DataFrame.

        Columns come in the query's order; a named query with no rows still has its declared
        columns. Dates stay `datetime.date` objects (`pd.to_datetime` turns a column into
        timestamps).
        """
        rows = self.rows(name_or_cypher, **params)
        text = name_or_cypher.strip()
        if not rows and is_named(text):
            return pd.DataFrame(columns=list(get_query(text).columns))
        return pd.DataFrame.from_records(rows)

    @staticmethod
    def library() -> pd.DataFrame:
        """The named queries: name, what each answers, its parameters and columns."""
        records = [
            {
                "name": q.name,
                "answers": q.answers,
                "parameters": ", ".join(q.parameters),
                "columns": ", ".join(q.columns),
            }
            for q in sorted(named_queries().values(), key=lambda q: q.name)
        ]
        return pd.DataFrame.from_records(
            records, columns=["name", "answers", "parameters", "columns"]
        )

    # -- export ---------------------------------------------------------------------------

    def export(
        self,
        out_dir: Path | str,
        *,
        format: Format = "csv",
        within: str | None = None,
        types: Iterable[str] | None = None,
        overwrite: bool = False,
    ) -> ExportReport:
        """Export the graph or a part of it, with this role's privacy (`loaders.export`)."""
        return export(
            self.backend,
            out_dir,
            format=format,
            within=within,
            types=types,
            privacy=self.privacy,
            overwrite=overwrite,
        )

    # -- closing --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the store, if this object opened it."""
        close_all()
        if self._owns:
            self._owns = False
            self.backend.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Graph(role={self.role!r}, view={self.view.value!r})"
