"""`govgraph serve`: the API and the page, over a store that is there and not being loaded."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli.common import backend, console, fail, settings
from api.settings import Settings
from graph.embedded import held_for_writing
from graph.errors import GraphError

commands = typer.Typer()


@commands.command()
def serve() -> None:
    """Serve the GraphQL API (at /graphql) and a health check (at /healthz).

    Host, port, mode and limits come from the settings (docs/settings.md); GraphiQL and
    introspection are on only with GOVGRAPH_MODE=development.
    """
    serve_until_stopped(settings())


def serve_until_stopped(given: Settings) -> None:
    """Check the store, say where to look, and serve until Ctrl-C."""
    # Imported here: the web app (FastAPI, strawberry) takes a second to import, which every
    # other command would pay.
    from api.app import serve as serve_app

    if "://" not in given.db and not Path(given.db).exists():
        fail(
            f"there is no graph at {given.db} (GOVGRAPH_DB): build the demo with `govgraph "
            "demo`, or your own with `govgraph init` and `govgraph load FILE…`"
        )
    _check_store(given)
    where = f"http://{given.host}:{given.port}"
    explore = (
        f"GraphiQL at {where}/graphql"
        if given.mode == "development"
        else "GraphiQL is off in production mode (GOVGRAPH_MODE=development turns it on)"
    )
    console.print(
        f"\nServing the 调解工作台 at {where}/ (sign in with a token, or browse as a viewer) and "
        f"GraphQL at {where}/graphql (health at {where}/healthz; mode {given.mode}): open "
        f"{where}/ in a browser; {explore}. Stop with Ctrl-C.",
        highlight=False,
    )
    try:
        serve_app(given, log_level="warning")
    except GraphError as exc:
        fail(str(exc))


def _check_store(given: Settings) -> None:
    """Before serving: the store opens, and no load is writing it (a server started then
    would serve what was there before the load, and a server's workers would fail one by
    one). Each refusal says what to do; exit status 2."""
    if "://" not in given.db and held_for_writing(Path(given.db)):
        fail(
            f"another process has {given.db} open for writing (a `govgraph load` under way?); "
            "start the server when it has ended"
        )
    with backend(given, read_only=True):
        pass
