"""A county unlike the demo's (tests/fixtures/unseen.py): its answers against DOMAIN.md's rules."""

from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from graph.embedded import EmbeddedBackend
from loaders.divisions import divisions_within
from loaders.load import Loader, MemoryTable
from queries import explain
from queries.escalation import escalation_path
from queries.experts import expert_pool
from queries.explain import GraphPath
from queries.referral import DisputeDescription, Missing, referral
from tests.fixtures.unseen import CHENGDU, DAYI, JINYUAN, XIJIE, load_county, write_files


@pytest.fixture
def dayi(backend: EmbeddedBackend, tmp_path: Path) -> EmbeddedBackend:
    assert load_county(backend, tmp_path).rejects == []
    return backend


def test_a_county_draws_on_its_city_pool_and_excludes_the_tied(dayi: EmbeddedBackend) -> None:
    # 大邑县 has no pool of its own: 成都市's is the one its mediators draw on (the demo's pools
    # were each a county's, so a pool LOCATED_IN a city served no place at all).
    r = expert_pool(dayi, dispute_id="DY-D1", as_of=date(2021, 3, 1))
    assert [(e.expert.key, e.score) for e in r.ranked] == [("DY-E5", 0.71)]
    assert [(x.expert.key, x.rule, x.reason) for x in r.excluded] == [
        (
            "DY-E1",
            "conflict-of-interest",
            "DY-E1 is tied to DY-PA, a party to DY-D1, within 1 of 3 hops",
        ),
        (
            "DY-E2",
            "conflict-of-interest",
            "DY-E2 is tied to DY-O1, a party to DY-D1, within 1 of 3 hops",
        ),
        (
            "DY-E4",
            "conflict-of-interest",
            "DY-E4 is tied to DY-PB, a party to DY-D1, within 2 of 3 hops",
        ),
        (
            "DY-E6",
            "conflict-of-interest",
            "DY-E6 is tied to DY-PB, a party to DY-D1, within 2 of 3 hops",
        ),
        (
            "DY-E3",
            "conflict-of-interest",
            "DY-E3 is tied to DY-PB, a party to DY-D1, within 3 of 3 hops",
        ),
    ]
    by_place = expert_pool(dayi, domains=("medical",), place="DY-S01", as_of=date(2021, 3, 1))
    assert [(e.expert.key, e.score) for e in by_place.ranked] == [
        ("DY-E3", 0.96),  # lives in 沙渠街道: same town
        ("DY-E1", 0.86),  # live elsewhere in 大邑县
        ("DY-E2", 0.86),
        ("DY-E4", 0.86),
        ("DY-E6", 0.86),
        ("DY-E5", 0.71),  # lives in 崇州市: another county
    ]


def _units(path: GraphPath) -> list[str]:
    return [n.key for n in path.nodes]


def test_a_parent_grid_in_another_village_does_not_put_that_village_on_the_ladder(
    dayi: EmbeddedBackend,
) -> None:
    # DY-X01 lies in 西街社区 and names 南街社区's grid as its parent: the ladder climbs from
    # its own village to the town, never sideways to 南街社区 (小事不出村).
    up = escalation_path(dayi, grid_id="DY-X01", as_of=date(2021, 3, 1))
    assert [(s.level, s.place.key, [b.node.key for b in s.bodies]) for s in up.ladder] == [
        ("grid", "DY-X01", ["DY-X01"]),
        ("grid", "DY-G01", ["DY-G01"]),
        ("village", XIJIE, ["DY-MO5"]),
        ("town", JINYUAN, ["DY-C2", "DY-MO2"]),
        ("county", DAYI, ["DY-C1"]),
        ("city", CHENGDU, ["CD-C0"]),
        ("court", CHENGDU, ["CD-DEP3"]),
    ]
    assert _units(up.ladder[3].path) == ["DY-X01", XIJIE, JINYUAN]
    r = referral(
        dayi,
        description=DisputeDescription("DY-X01", category="medical"),
        as_of=date(2021, 3, 1),
    )
    assert [(s.part, s.actor.key, s.due) for s in r.steps] == [
        ("first_responder", "DY-X01", date(2021, 3, 4)),
        ("higher_grid", "DY-G01", date(2021, 3, 9)),
        ("responsible_department", "CD-DEP1", date(2021, 4, 13)),
        ("mediation_body", "DY-MO5", date(2021, 3, 18)),
        ("mediation_body", "DY-MO2", date(2021, 4, 9)),
        ("mediation_body", "CD-MO3", date(2021, 5, 24)),
        ("court", "CD-DEP3", None),
    ]
    assert _units(r.steps[4].path) == ["DY-X01", XIJIE, JINYUAN, "DY-MO2"]


def _write(folder: Path, name: str, rows: list[list[str]]) -> Path:
    path = folder / name
    path.write_text("".join(",".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_a_city_without_counties_keeps_to_its_own_pools(
    dayi: EmbeddedBackend, tmp_path: Path
) -> None:
    # 东莞市 holds towns with no county between (441900003000 东城街道 in 441900000000): its
    # places draw on its own pools, not on 大邑县's or on every county's of the graph.
    loader = Loader(dayi)
    chain = divisions_within("441900003")
    loader.load_tables(
        [
            MemoryTable("divisions:441900003", "units", chain.units),
            MemoryTable("divisions:441900003", "part_of", chain.part_of),
        ]
    )
    report = loader.load_paths(
        [
            _write(
                tmp_path,
                "dg.grids.csv",
                [["id", "name", "level", "kind"], ["DG-G1", "岗贝社区第一网格", "1", "basic"]],
            ),
            _write(
                tmp_path,
                "dg.part_of.csv",
                [["from", "to", "from_type", "to_type"], ["DG-G1", "441900003001", "Grid", "Unit"]],
            ),
            _write(tmp_path, "dg.people.csv", [["id", "name"], ["DG-E1", "陈律师"]]),
            _write(
                tmp_path,
                "dg.expert_pools.csv",
                [["id", "name"], ["DG-EP1", "东莞市医疗纠纷专家库"], ["DY-EP2", "大邑县专家库"]],
            ),
            _write(
                tmp_path,
                "dg.located_in.csv",
                [
                    ["from", "to", "from_type", "to_type"],
                    ["DG-EP1", "441900000000", "ExpertPool", "Unit"],
                    ["DY-EP2", DAYI, "ExpertPool", "Unit"],
                ],
            ),
            _write(tmp_path, "dg.lives_in.csv", [["from", "to"], ["DG-E1", "441900003002"]]),
            _write(
                tmp_path,
                "dg.in_pool.csv",
                [["from", "to"], ["DG-E1", "DG-EP1"], ["DY-E5", "DY-EP2"]],
            ),
            _write(
                tmp_path,
                "dg.has_expertise.csv",
                [["from", "to", "from_type", "to_type"], ["DG-E1", "medical", "Person", "Domain"]],
            ),
        ]
    )
    assert report.rejects == []
    r = expert_pool(dayi, domains=("medical",), place="DG-G1", as_of=date(2021, 3, 1))
    assert [(e.expert.key, e.score, e.parts[1].detail) for e in r.ranked] == [
        ("DG-E1", 0.96, "same town 441900003000"),
    ]
    described = DisputeDescription("DG-G1", category="medical")
    assert referral(dayi, description=described, as_of=date(2021, 3, 1)).missing == (
        Missing(
            "no department of county 441900 is RESPONSIBLE_FOR DY-LI1 医疗纠纷调处",
            "a responsible_for row from the county's department to DY-LI1",
        ),
    )


def test_the_cli_says_when_no_expert_is_found(tmp_path: Path) -> None:
    # Where no pool has the domain, `govgraph experts` printed nothing at all and exited 0.
    runner = CliRunner(env={"GOVGRAPH_DB": str(tmp_path / "g.lbdb")})
    runner.invoke(app, ["load", *map(str, write_files(tmp_path)), "--no-progress"])
    result = runner.invoke(app, ["experts", "--domain", "labour"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        "Ranked: none\nExcluded (0): none\n",
    )


class _BeijingMorning(datetime):
    """23:30 UTC on 1 March 2021: 07:30 on 2 March in China."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> "_BeijingMorning":
        return cls(2021, 3, 1, 23, 30, tzinfo=UTC).astimezone(tz)


def test_an_answer_with_no_day_is_for_the_day_in_china(
    dayi: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The answers took date.today(), the server's day: on a UTC server a mediator's morning
    # was still yesterday, with yesterday's post-holders and pool entries.
    monkeypatch.setattr(explain, "datetime", _BeijingMorning, raising=False)
    described = DisputeDescription("DY-S01", category="medical")
    assert [
        escalation_path(dayi, grid_id="DY-S01").as_of,
        referral(dayi, description=described).as_of,
        expert_pool(dayi, domains=("medical",), place="DY-S01").as_of,
    ] == [date(2021, 3, 2)] * 3
