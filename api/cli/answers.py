"""The three headline questions: `govgraph referral`, `govgraph experts` and
`govgraph escalation`, printed from the query modules' own answers, shown as `--role` (and a
mediator's `--scope`) may see them by the API's one policy (api.answers, api.privacy)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import typer

from api.answers import revealed
from api.auth import Caller, Role
from api.cli.common import (
    Format,
    FormatOption,
    backend,
    console,
    fail,
    print_json,
    print_rows,
    settings,
)
from api.graphql.within import division_prefix
from graph.errors import GraphError
from queries.calendar import CHINA_TIME
from queries.escalation import escalation_path
from queries.experts import expert_pool
from queries.explain import NotFound
from queries.flow_rules import Limit
from queries.referral import DisputeDescription
from queries.referral import referral as referral_of

commands = typer.Typer()

_Answer = TypeVar("_Answer")

AsOf = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Use the posts and memberships valid on this day."),
]
RoleOption = Annotated[Role, typer.Option(help="admin shows personal data; others see it masked.")]
ScopeOption = Annotated[
    str | None,
    typer.Option(
        help="With --role mediator: the division code of their jurisdiction, inside which "
        "names and mobiles are shown (without it, a mediator sees them masked)."
    ),
]


@commands.command()
def referral(
    dispute: Annotated[str | None, typer.Option(help="A dispute in the graph.")] = None,
    place: Annotated[
        str | None, typer.Option(help="Or describe one: a grid id, village code or enterprise.")
    ] = None,
    category: Annotated[str | None, typer.Option(help="Its domain, e.g. wages.")] = None,
    item: Annotated[str | None, typer.Option(help="Its responsibility-list item id.")] = None,
    parties: Annotated[int, typer.Option(help="How many parties.")] = 2,
    reported_at: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"],
            help="When it was reported (China time): limits in hours run from it.",
        ),
    ] = None,
    urgent: Annotated[
        bool,
        typer.Option(
            help="An urgent matter (突发事件): the arrival on site, where the rules set one."
        ),
    ] = False,
    as_of: AsOf = None,
    role: RoleOption = Role.VIEWER,
    scope: ScopeOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Who is responsible for a dispute, in order, with time limits and contacts."""
    if (dispute is None) == (place is None):
        fail("give --dispute ID, or --place with --category or --item")
    description = (
        DisputeDescription(
            place,
            category=category,
            list_item=item,
            parties=parties,
            reported_at=reported_at,
            urgent=urgent,
        )
        if place
        else None
    )
    result = _answer(
        _caller(role, scope),
        referral_of,
        dispute_id=dispute,
        description=description,
        as_of=_as_date(as_of),
    )
    rows = [
        {"#": s.order, "part": s.part, "level": s.level, "actor": f"{s.actor.name} ({s.actor.key})",
         "limit": _limit(s.limit), "due": _due(s.due, s.due_at), "contacts": _contacts(s.contacts),
         "rule": s.rule}
        for s in result.steps
    ]  # fmt: skip
    _emit(result, format, [(f"Referral of {result.dispute or result.grid}", rows)])


@commands.command()
def experts(
    domain: Annotated[list[str] | None, typer.Option(help="Expertise domain (repeatable).")] = None,
    dispute: Annotated[str | None, typer.Option(help="Or a dispute: its domains.")] = None,
    place: Annotated[
        str | None, typer.Option(help="Where help is needed (a code or grid).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="How many to rank.")] = None,
    shared: Annotated[bool, typer.Option(help="Include shared pools.")] = True,
    as_of: AsOf = None,
    role: RoleOption = Role.VIEWER,
    scope: ScopeOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Experts who can help, ranked with the parts of their score, and who is excluded and why."""
    result = _answer(
        _caller(role, scope),
        expert_pool,
        domains=tuple(domain or ()),
        dispute_id=dispute,
        place=place,
        limit=limit,
        as_of=_as_date(as_of),
        include_shared=shared,
    )
    ranked = [
        {"rank": e.rank, "expert": f"{e.expert.name} ({e.expert.key})", "score": e.score,
         "parts": ", ".join(f"{p.name} {p.value:g}" for p in e.parts),
         "pools": ", ".join(p.name for p in e.pools)}
        for e in result.ranked
    ]  # fmt: skip
    excluded = [
        {"expert": f"{x.expert.name} ({x.expert.key})", "rule": x.rule, "why": str(x.path)}
        for x in result.excluded
    ]
    _emit(result, format, [("Ranked", ranked), (f"Excluded ({len(excluded)})", excluded)])


@commands.command()
def escalation(
    grid: Annotated[str | None, typer.Option(help="A grid id.")] = None,
    dispute: Annotated[str | None, typer.Option(help="Or a dispute: its grid.")] = None,
    as_of: AsOf = None,
    role: RoleOption = Role.VIEWER,
    scope: ScopeOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Where a matter goes if it is not settled here: the ladder and the party line beside it."""
    result = _answer(
        _caller(role, scope),
        escalation_path,
        grid_id=grid,
        dispute_id=dispute,
        as_of=_as_date(as_of),
    )
    ladder = [
        {"#": s.order, "level": s.level, "place": s.place.name, "limit": _limit(s.limit),
         "due": _due(s.due, s.due_at),
         "bodies": "; ".join(f"{b.node.name} ({b.role})" for b in s.bodies), "rule": s.rule}
        for s in result.ladder
    ]  # fmt: skip
    party = [
        {"#": p.order, "organisation": p.org.name, "level": p.level,
         "leaders": _contacts(p.leaders)}
        for p in result.party_line
    ]  # fmt: skip
    _emit(result, format, [("Escalation ladder", ladder), ("Party line", party)])


def _caller(role: Role, scope: str | None) -> Caller:
    if scope is None:
        return Caller(role)
    if role is not Role.MEDIATOR:
        fail(f"--scope goes with --role mediator, not with --role {role.value}")
    try:
        return Caller(role, division_prefix(scope, argument="--scope"))
    except ValueError as exc:
        fail(str(exc))


def _answer(caller: Caller, question: Callable[..., _Answer], **arguments: Any) -> _Answer:
    """The question's answer from the graph, opened read-only, as `caller` may see it. A
    question that cannot be answered ends the command."""
    with backend(settings(), read_only=True, serving=True) as store:
        try:
            return revealed(store, caller, question(store, **arguments))
        except (NotFound, ValueError, GraphError) as exc:
            fail(str(exc))


def _emit(result: Any, fmt: Format, tables: list[tuple[str, list[dict[str, Any]]]]) -> None:
    if fmt is Format.json:
        print_json(dataclasses.asdict(result))
        return
    for title, rows in tables:
        if rows:
            print_rows(rows, fmt, title)
        elif fmt is Format.table:  # an empty answer says so, rather than printing nothing
            console.print(f"{title}: none", highlight=False)


UNITS = {"hours": "小时", "working_days": "个工作日", "days": "天"}


def _limit(limit: Limit | None) -> str | None:
    """3 天, 15 个工作日, 1 小时; None for the court."""
    return f"{limit.amount} {UNITS[limit.unit]}" if limit is not None else None


def _due(day: date | None, instant: datetime | None) -> str | None:
    """The due day, or the due instant in China time to the minute."""
    if instant is not None:
        return instant.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    return day.isoformat() if day is not None else None


def _contacts(contacts: Any) -> str:
    return "\n".join(
        f"{c.person.name} {c.post}" + (f" {c.mobile}" if c.mobile else "") for c in contacts
    )


def _as_date(value: datetime | None) -> date | None:
    return value.date() if value else None
