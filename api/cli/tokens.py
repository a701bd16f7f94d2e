"""`govgraph token create|list|revoke`: the bearer tokens of GOVGRAPH_TOKENS."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from api.auth import Role, TokenError, create_token, list_tokens, revoke_token, token_id
from api.cli.common import console, fail, settings

commands = typer.Typer(help="Bearer tokens: each carries a role and, for mediators, a scope.")


@commands.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="The role the token carries.")],
    scope: Annotated[
        str | None,
        typer.Option(help="For a mediator: the division code of their jurisdiction."),
    ] = None,
    person: Annotated[
        str | None, typer.Option(help="To act in the workflow: the person's key.")
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option(help="The unit they act for, Label:key (e.g. Center:center-330421)."),
    ] = None,
    workflow_role: Annotated[
        str | None,
        typer.Option(help="Their workflow role: grid_worker, dispatcher, department, mediator…"),
    ] = None,
) -> None:
    """Create a token and print it once; only its hash is stored (GOVGRAPH_TOKENS)."""
    given = settings()
    try:
        token = create_token(
            given.tokens, role, scope, person=person, unit=unit, workflow_role=workflow_role
        )
    except TokenError as exc:
        fail(str(exc))
    sys.stdout.write(token + "\n")
    console.print(
        f"stored its hash in {given.tokens} (token id {token_id(token)}); "
        "the token is not shown again",
        highlight=False,
    )


@commands.command("list")
def token_list() -> None:
    """List the tokens issued (their ids, roles, scopes and dates; never the tokens)."""
    given = settings()
    try:
        issued = list_tokens(given.tokens)
    except (TokenError, ValueError) as exc:
        fail(str(exc))
    table = Table("id", "role", "scope", "created", "acts as")
    for t in issued:
        acts = f"{t.person} ({t.workflow_role}" + (f", {t.unit})" if t.unit else ")")
        table.add_row(t.id, t.role.value, t.scope or "", t.created, acts if t.person else "")
    console.print(table)
    console.print(f"{len(issued)} token(s) in {given.tokens}", highlight=False)


@commands.command("revoke")
def token_revoke(
    token: Annotated[
        str, typer.Argument(help="The token's id (12 hex digits), as `govgraph token list` shows.")
    ],
) -> None:
    """Revoke a token: a running server refuses it from its next request on."""
    given = settings()
    try:
        gone = revoke_token(given.tokens, token)
    except TokenError as exc:
        fail(str(exc))
    scope = f" for {gone.scope}" if gone.scope else ""
    console.print(
        f"revoked token {gone.id} ({gone.role.value}{scope}, created {gone.created})",
        highlight=False,
    )
