"""The `govgraph` command line: one module per group of commands.

- store: `init`, `load`; demo: `demo`; cypher: `cypher`; export: `export`;
- backup: `backup`, `restore`; serving: `serve`;
- answers: `referral`, `experts`, `escalation` (the headline questions);
- workflow: `report`, `act`, `queue`, `tick`; tokens: `token create|list|revoke`.

What they share is in common.py: the console, the one error exit (`fail`, status 2 unless a
command documents another), the settings, read when a command runs, and the graph opened from
them (api.opening, as the app and the notebook API open it). Roles are api.auth's.
"""

from __future__ import annotations

from importlib.metadata import version as installed_version
from typing import Annotated

import typer

from api.cli import answers, backup, cypher, demo, export, serving, store, tokens, workflow

app = typer.Typer(
    pretty_exceptions_show_locals=False,
    help="govgraph: a graph of the actors of grid-based social governance.",
    no_args_is_help=True,
    add_completion=False,
)
# In the order `govgraph --help` lists them.
for group in (store, demo, cypher, export, backup, serving, answers, workflow):
    app.add_typer(group.commands)
app.add_typer(tokens.commands, name="token")


def _version(asked: bool) -> None:
    if asked:
        print(f"govgraph {installed_version('govgraph')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """govgraph: a graph of the actors of grid-based social governance."""
