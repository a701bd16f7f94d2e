"""The rules of issue 13 that the seeds give, each on the demo, naming the seed line it comes
from (`../shared/seeds/<number>_*.txt`, line numbers as the file has them)."""

from __future__ import annotations

from datetime import date

import pytest

from graph.embedded import EmbeddedBackend
from queries.referral import DisputeDescription, Missing, Referral, referral
from queries.rules import load_rules

pytestmark = pytest.mark.slow

DAY = date(2021, 12, 20)


def steps(r: Referral) -> list[tuple[object, ...]]:
    return [
        (s.order, s.part, s.level, s.actor.key, s.rule, s.time_limit_days, s.due) for s in r.steps
    ]


def test_referral_degrades_when_no_list_item_matches(demo_graph: EmbeddedBackend) -> None:
    """001:8 小事不出格 (the grid team first) and 000:6 调解优先、诉讼断后 (mediation, then the
    court) hold with or without a list: a county whose list names its class 矛盾纠纷调处 has no
    item for a wage dispute, and the referral still names the grid team, the committees and
    the court, and says what is missing and where to add it."""
    rules = load_rules("330421")
    rules = rules.model_copy(
        update={"referral": rules.referral.model_copy(update={"item_class": "矛盾纠纷调处"})}
    )
    r = referral(
        demo_graph,
        description=DisputeDescription(place="330421-G0332", category="wages"),
        as_of=DAY,
        rules=rules,
    )
    assert (r.category and (r.category.key, r.category.name), r.list_item) == (
        ("wages", "欠薪纠纷"),
        None,
    )
    assert steps(r) == [
        (1, "first_responder", "grid", "330421-G0332", "grid-first", 3, date(2021, 12, 23)),
        (
            2,
            "mediation_body",
            "village",
            "330421-MO147",
            "mediation-before-litigation",
            7,
            date(2021, 12, 30),
        ),
        (
            3,
            "mediation_body",
            "town",
            "330421-MO008",
            "mediation-before-litigation",
            15,
            date(2022, 1, 14),
        ),
        (
            4,
            "mediation_body",
            "county",
            "330421-MO188",
            "mediation-before-litigation",
            30,
            date(2022, 2, 13),
        ),
        (5, "court", "county", "330421-DEP004", "court-last", None, None),
    ]
    assert r.missing == (
        Missing(
            "no responsibility-list item of class '矛盾纠纷调处' for the category 'wages': no "
            "department is named, and the time limits are the rules'",
            "a list_items row (item_class 矛盾纠纷调处), a has_expertise row from it to the "
            "domain wages, and a responsible_for row from the county's department to it",
        ),
    )
    whole = referral(demo_graph, dispute_id="330421-D900001", as_of=DAY)
    assert whole.missing == ()
