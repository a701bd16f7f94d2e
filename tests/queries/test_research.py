"""The research catalogue (queries/research_*.cypher and queries.brokerage) on the demo graph,
whole values: every row of a short result, and of a long one a well-defined slice (the first
rows in the query's order) with its total and a summary of all of it. Rows are compared as
tuples in the order of the query's `// columns:` header, which every row is checked to follow.

Then brokers() on a tiny hand-made county whose betweenness is worked out by hand, the
catalogue from the command line (text parameters) and from the notebook API (DataFrames, the
researcher's masking).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.notebook import Graph
from graph.embedded import EmbeddedBackend
from loaders.load import Loader, MemoryTable
from queries.brokerage import Broker, brokers, projection
from queries.library import get_query, named_queries, run

JIASHAN, JINGNING = "330421000000", "331127000000"
YEAR = {"start": date(2021, 1, 1), "until": date(2021, 12, 31)}
MID_2021 = date(2021, 6, 30)
D = date


def table(name: str, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows as tuples in the header's column order; every row has exactly those columns."""
    columns = get_query(name).columns
    assert all(tuple(r) == columns for r in rows), f"{name}: columns differ from its header"
    return [tuple(r[c] for c in columns) for r in rows]


def test_the_catalogue_is_in_the_library() -> None:
    assert sorted(n for n in named_queries() if n.startswith("research_")) == [
        "research_brokerage_ties",
        "research_county_profile",
        "research_grid_size",
        "research_grids_without_party_org",
        "research_interlocks",
        "research_settled_by_level",
        "research_short_teams",
        "research_stationed_departments",
        "research_time_to_settle",
    ]


# -- on the demo graph ---------------------------------------------------------------------


@pytest.mark.slow
class TestOnTheDemoGraph:
    def test_grids_without_a_party_branch_in_jiashan(self, demo_graph: EmbeddedBackend) -> None:
        name = "research_grids_without_party_org"
        rows = run(demo_graph, name, county=JIASHAN)
        assert len(rows) == 102
        assert table(name, rows[:5]) == [
            ("330421-G0001", "日晖社区第1网格", "basic", 1, "330421001001", "日晖社区",
             "330421001000", "魏塘街道", "330421-PO0185", "日晖社区第1网格党小组"),
            ("330421-G0004", "谈公社区第1网格", "basic", 3, "330421001002", "谈公社区",
             "330421001000", "魏塘街道", "330421-PO0189", "谈公社区第1网格党小组"),
            ("330421-G0005", "谈公社区第2网格", "basic", 1, "330421001002", "谈公社区",
             "330421001000", "魏塘街道", None, None),
            ("330421-G0010", "小东门社区第2网格", "basic", 2, "330421001004", "小东门社区",
             "330421001000", "魏塘街道", "330421-PO0196", "小东门社区第2网格党小组"),
            ("330421-G0016", "浒弄社区第3网格", "basic", 1, "330421001006", "浒弄社区",
             "330421001000", "魏塘街道", "330421-PO0202", "浒弄社区第3网格党小组"),
        ]  # fmt: skip
        # (kind, covered by a party group): the rest have no party organisation at all
        assert Counter((r["kind"], r["party_group"] is not None) for r in rows) == {
            ("basic", True): 60,
            ("basic", False): 33,
            ("dedicated", True): 7,
            ("dedicated", False): 2,
        }

    def test_grids_without_a_party_branch_in_jingning(self, demo_graph: EmbeddedBackend) -> None:
        name = "research_grids_without_party_org"
        rows = run(demo_graph, name, county=JINGNING)
        assert len(rows) == 108
        assert table(name, rows[:5]) == [
            ("331127-G0001", "仙童社区第1网格", "basic", None, "331127001001", "仙童社区居委会",
             "331127001000", "红星街道", "331127-PO0168", "仙童社区第1网格党小组"),
            ("331127-G0002", "仙童社区第2网格", "basic", None, "331127001001", "仙童社区居委会",
             "331127001000", "红星街道", "331127-PO0169", "仙童社区第2网格党小组"),
            ("331127-G0004", "仙童社区第4网格", "basic", None, "331127001001", "仙童社区居委会",
             "331127001000", "红星街道", "331127-PO0171", "仙童社区第4网格党小组"),
            ("331127-G0008", "红星社区第4网格", "basic", None, "331127001002", "红星社区居委会",
             "331127001000", "红星街道", None, None),
            ("331127-G0009", "金仙寺社区第1网格", "basic", None, "331127001003",
             "金仙寺社区居委会", "331127001000", "红星街道", "331127-PO0175",
             "金仙寺社区第1网格党小组"),
        ]  # fmt: skip
        # every out-of-county grid has its chamber's party branch
        assert Counter((r["kind"], r["party_group"] is not None) for r in rows) == {
            ("basic", True): 61,
            ("basic", False): 47,
        }

    def test_short_teams_in_jiashan_while_the_teams_were_being_built(
        self, demo_graph: EmbeddedBackend
    ) -> None:
        name = "research_short_teams"
        rows = run(demo_graph, name, county=JIASHAN, as_of=D(2020, 7, 1))
        assert len(rows) == 228
        assert table(name, rows[:5]) == [
            ("330421-G0003", "日晖社区第3网格", "basic", "330421001001", "日晖社区",
             "330421001000", "魏塘街道", 1, 1, 0, 2, "full_time"),
            ("330421-G0004", "谈公社区第1网格", "basic", "330421001002", "谈公社区",
             "330421001000", "魏塘街道", 1, 1, 0, 2, "full_time"),
            ("330421-G0007", "解放社区第2网格", "basic", "330421001003", "解放社区",
             "330421001000", "魏塘街道", 1, 1, 1, 0, "part_time"),
            ("330421-G0008", "解放社区第3网格", "basic", "330421001003", "解放社区",
             "330421001000", "魏塘街道", 1, 1, 0, 1, "full_time"),
            ("330421-G0009", "小东门社区第1网格", "basic", "330421001004", "小东门社区",
             "330421001000", "魏塘街道", 1, 1, 0, 0, "full_time part_time"),
        ]  # fmt: skip
        assert Counter((r["kind"], r["missing"]) for r in rows) == {
            ("basic", "full_time"): 71,
            ("basic", "full_time part_time"): 41,
            ("basic", "head instructor full_time part_time"): 54,
            ("basic", "part_time"): 37,
            ("dedicated", "full_time"): 4,
            ("dedicated", "full_time part_time"): 7,
            ("dedicated", "head instructor full_time part_time"): 8,
            ("dedicated", "part_time"): 6,
        }

    def test_short_teams_in_jingning_while_the_teams_were_being_built(
        self, demo_graph: EmbeddedBackend
    ) -> None:
        name = "research_short_teams"
        rows = run(demo_graph, name, county=JINGNING, as_of=D(2020, 7, 1))
        assert len(rows) == 104
        assert table(name, rows[:5]) == [
            ("331127-G0004", "仙童社区第4网格", "basic", "331127001001", "仙童社区居委会",
             "331127001000", "红星街道", 1, 1, 0, 1, "full_time"),
            ("331127-G0009", "金仙寺社区第1网格", "basic", "331127001003", "金仙寺社区居委会",
             "331127001000", "红星街道", 1, 1, 0, 0, "full_time part_time"),
            ("331127-G0018", "团结社区第2网格", "basic", "331127001005", "团结社区居委会",
             "331127001000", "红星街道", 1, 1, 1, 0, "part_time"),
            ("331127-G0019", "团结社区第3网格", "basic", "331127001005", "团结社区居委会",
             "331127001000", "红星街道", 1, 1, 0, 0, "full_time part_time"),
            ("331127-G0021", "城北村第1网格", "basic", "331127001200", "城北村委会",
             "331127001000", "红星街道", 1, 1, 0, 1, "full_time"),
        ]  # fmt: skip
        assert Counter((r["kind"], r["missing"]) for r in rows) == {
            ("basic", "full_time"): 53,
            ("basic", "full_time part_time"): 10,
            ("basic", "part_time"): 40,
            ("out_of_county", "part_time"): 1,
        }

    @pytest.mark.parametrize("county", [JIASHAN, JINGNING])
    def test_every_team_is_complete_once_built_rotations_included(
        self, demo_graph: EmbeddedBackend, county: str
    ) -> None:
        # Rotations in Feb–May 2021 hand posts over the same day: no day without a holder.
        for day in (D(2021, 1, 1), D(2021, 3, 15), MID_2021, D(2021, 12, 31)):
            assert run(demo_graph, "research_short_teams", county=county, as_of=day) == []

    def test_settled_by_level_in_jiashan(self, demo_graph: EmbeddedBackend) -> None:
        name = "research_settled_by_level"
        rows = run(demo_graph, name, county=JIASHAN, **YEAR)
        assert len(rows) == 60  # 12 months × 5 levels
        assert table(name, rows[:5]) == [
            (JIASHAN, D(2021, 1, 1), "grid", 617, 326, 156, 0.2528, 156, 0.2528),
            (JIASHAN, D(2021, 1, 1), "village", 617, 326, 150, 0.2431, 306, 0.4959),
            (JIASHAN, D(2021, 1, 1), "town", 617, 326, 12, 0.0194, 318, 0.5154),
            (JIASHAN, D(2021, 1, 1), "county", 617, 326, 6, 0.0097, 324, 0.5251),
            (JIASHAN, D(2021, 1, 1), "court", 617, 326, 2, 0.0032, 326, 0.5284),
        ]
        # month, disputes, settled at any level, 小事不出村 (cumulative share at village)
        assert [
            (r["month"], r["disputes"], r["settled_total"], r["cumulative_share"])
            for r in rows
            if r["level"] == "village"
        ] == [
            (D(2021, 1, 1), 617, 326, 0.4959),
            (D(2021, 2, 1), 569, 277, 0.4657),
            (D(2021, 3, 1), 629, 308, 0.4674),
            (D(2021, 4, 1), 618, 323, 0.5065),
            (D(2021, 5, 1), 633, 301, 0.4629),
            (D(2021, 6, 1), 642, 323, 0.4844),
            (D(2021, 7, 1), 606, 313, 0.5),
            (D(2021, 8, 1), 593, 312, 0.5177),
            (D(2021, 9, 1), 608, 301, 0.4819),
            (D(2021, 10, 1), 644, 370, 0.5606),
            (D(2021, 11, 1), 590, 307, 0.5051),
            (D(2021, 12, 1), 602, 291, 0.4718),
        ]
        # docs/domain.md §6: 3708 disputes mediated in the first half year, 50.1% successfully
        half = run(demo_graph, name, county=JIASHAN, start=D(2021, 1, 1), until=D(2021, 6, 30))
        grid_rows = [r for r in half if r["level"] == "grid"]
        disputes = sum(r["disputes"] for r in grid_rows)
        settled = sum(r["settled_total"] for r in grid_rows)
        assert (disputes, settled, round(100 * settled / disputes, 1)) == (3708, 1858, 50.1)

    def test_settled_by_level_in_jingning(self, demo_graph: EmbeddedBackend) -> None:
        name = "research_settled_by_level"
        rows = run(demo_graph, name, county=JINGNING, **YEAR)
        assert len(rows) == 60
        assert table(name, rows[:5]) == [
            (JINGNING, D(2021, 1, 1), "grid", 331, 327, 168, 0.5076, 168, 0.5076),
            (JINGNING, D(2021, 1, 1), "village", 331, 327, 148, 0.4471, 316, 0.9547),
            (JINGNING, D(2021, 1, 1), "town", 331, 327, 9, 0.0272, 325, 0.9819),
            (JINGNING, D(2021, 1, 1), "county", 331, 327, 1, 0.003, 326, 0.9849),
            (JINGNING, D(2021, 1, 1), "court", 331, 327, 1, 0.003, 327, 0.9879),
        ]
        assert [
            (r["month"], r["disputes"], r["settled_total"], r["cumulative_share"])
            for r in rows
            if r["level"] == "village"
        ] == [
            (D(2021, 1, 1), 331, 327, 0.9547),
            (D(2021, 2, 1), 257, 254, 0.965),
            (D(2021, 3, 1), 331, 328, 0.9637),
            (D(2021, 4, 1), 327, 326, 0.9602),
            (D(2021, 5, 1), 320, 317, 0.9594),
            (D(2021, 6, 1), 292, 291, 0.9589),
            (D(2021, 7, 1), 322, 320, 0.9814),
            (D(2021, 8, 1), 314, 311, 0.9618),
            (D(2021, 9, 1), 279, 278, 0.9713),
            (D(2021, 10, 1), 307, 304, 0.9739),
            (D(2021, 11, 1), 307, 304, 0.9674),
            (D(2021, 12, 1), 305, 284, 0.9049),
        ]
        # docs/domain.md §6: January to November, 3387 disputes and 3360 settled
        grid_rows = [r for r in rows if r["level"] == "grid" and r["month"] < D(2021, 12, 1)]
        assert sum(r["disputes"] for r in grid_rows) == 3387
        assert sum(r["settled_total"] for r in grid_rows) == 3360

    def test_time_to_settle_by_level(self, demo_graph: EmbeddedBackend) -> None:
        name = "research_time_to_settle"
        assert table(name, run(demo_graph, name, county=JIASHAN, **YEAR)) == [
            (JIASHAN, "grid", 1733, 0.98, 1, 2, 0, 2),
            (JIASHAN, "village", 1895, 3.5, 4, 6, 1, 6),
            (JIASHAN, "town", 70, 9.69, 10, 14, 3, 15),
            (JIASHAN, "county", 32, 17.22, 14, 28, 5, 30),
            (JIASHAN, "court", 22, 40.0, 40, 59, 22, 59),
        ]
        assert table(name, run(demo_graph, name, county=JINGNING, **YEAR)) == [
            (JINGNING, "grid", 2015, 1.02, 1, 2, 0, 2),
            (JINGNING, "village", 1530, 3.51, 3, 6, 1, 6),
            (JINGNING, "town", 71, 8.79, 8, 14, 3, 15),
            (JINGNING, "county", 18, 17.0, 16, 27, 5, 30),
            (JINGNING, "court", 10, 36.5, 33, 53, 18, 58),
        ]

    def test_departments_stationed_in_jiashan(self, demo_graph: EmbeddedBackend) -> None:
        name = "research_stationed_departments"
        rows = run(demo_graph, name, county=JIASHAN, as_of=MID_2021)
        assert len(rows) == 56
        center = ("330421-C001", "嘉善县社会矛盾纠纷调处化解中心", "mediation", "county",
                  JIASHAN, "嘉善县")  # fmt: skip
        since = D(2020, 4, 1)
        assert table(name, rows[:5]) == [
            (*center, "330421-DEP001", "嘉善县委政法委", "politics_law", "county", 4, 1, since,
             None),
            (*center, "330421-DEP002", "嘉善县信访局", "petitions", "county", 5, 2, since, None),
            (*center, "330421-DEP003", "嘉善县司法局", "justice", "county", 6, 2, since, None),
            (*center, "330421-DEP004", "嘉善县人民法院", "court", "county", 5, 2, since, None),
            (*center, "330421-DEP005", "嘉善县人民检察院", "procuratorate", "county", 2, 1,
             since, None),
        ]  # fmt: skip
        # per center: departments, staff, windows — docs/domain.md §6: 20, 55, 19 at the county's
        assert per_center(rows) == [
            ("330421-C001", "county", 20, 55, 19),
            *((f"330421-C{i:03d}", "town", 4, s, 4)
              for i, s in zip(range(2, 11), (15, 16, 20, 18, 17, 15, 14, 18, 18), strict=True)),
        ]  # fmt: skip

    def test_departments_stationed_in_jingning(self, demo_graph: EmbeddedBackend) -> None:
        name = "research_stationed_departments"
        rows = run(demo_graph, name, county=JINGNING, as_of=MID_2021)
        assert len(rows) == 88
        center = ("331127-C001", "景宁畲族自治县社会综合服务指挥中心", "command", "county",
                  JINGNING, "景宁畲族自治县")  # fmt: skip
        since = D(2017, 3, 1)
        assert table(name, rows[:5]) == [
            (*center, "331127-DEP010", "景宁畲族自治县综合行政执法局", "enforcement", "county",
             3, None, since, None),
            (*center, "331127-DEP011", "景宁畲族自治县公安局", "police", "county", 4, None,
             since, None),
            (*center, "331127-DEP020", "景宁畲族自治县应急管理局", "emergency", "county", 2,
             None, since, None),
            (*center, "331127-DEP021", "景宁畲族自治县综治办", "comprehensive_governance",
             "county", 5, None, since, None),
            ("331127-C002", "红星街道综合信息指挥室", "command_room", "town", "331127001000",
             "红星街道", "331127-DEP023", "红星街道综治工作平台", "comprehensive_governance",
             "town", 3, 1, D(2018, 1, 1), None),
        ]  # fmt: skip
        staff = (17, 16, 17, 17, 18, 14, 15, 15, 15, 17, 20, 20, 19, 12, 16, 13, 17, 15, 11, 17, 15)
        assert per_center(rows) == [
            ("331127-C001", "county", 4, 14, 0),
            *((f"331127-C{i:03d}", "town", 4, s, 4)
              for i, s in zip(range(2, 23), staff, strict=True)),
        ]  # fmt: skip

    def test_nothing_is_stationed_before_the_centers_opened(
        self, demo_graph: EmbeddedBackend
    ) -> None:
        for county in (JIASHAN, JINGNING):
            rows = run(
                demo_graph, "research_stationed_departments", county=county, as_of=D(2016, 1, 1)
            )
            assert rows == []

    def test_interlocks_in_jiashan(self, demo_graph: EmbeddedBackend) -> None:
        name = "research_interlocks"
        rows = run(demo_graph, name, county=JIASHAN, as_of=MID_2021)
        assert (len(rows), len({r["person"] for r in rows})) == (1388, 694)
        platform = ("330421-DEP021", "魏塘街道综治工作平台", "comprehensive_governance")
        assert table(name, rows[:6]) == [
            ("330421-P000119", "修桂珍", 2, "SERVES_IN", "Grid", "330421-G0001",
             "日晖社区第1网格", "basic", "instructor", D(2018, 9, 26)),
            ("330421-P000119", "修桂珍", 2, "WORKS_IN", "Department", *platform, None,
             D(2017, 1, 1)),
            ("330421-P000122", "陆瑜", 2, "LEADS", "PartyOrg", "330421-PO0186",
             "中共日晖社区第2网格支部委员会", "branch", "书记", D(2019, 11, 22)),
            ("330421-P000122", "陆瑜", 2, "SERVES_IN", "Grid", "330421-G0002",
             "日晖社区第2网格", "basic", "head", D(2017, 9, 10)),
            ("330421-P000123", "万洁", 2, "SERVES_IN", "Grid", "330421-G0002",
             "日晖社区第2网格", "basic", "instructor", D(2017, 9, 10)),
            ("330421-P000123", "万洁", 2, "WORKS_IN", "Department", *platform, None,
             D(2017, 1, 1)),
        ]  # fmt: skip
        # what the interlocks join: grid head and party-branch secretary (一肩挑), and
        # instructors who are town or department cadres
        assert combinations(rows) == {
            (("LEADS", "PartyOrg"), ("SERVES_IN", "Grid")): 230,
            (("SERVES_IN", "Grid"), ("WORKS_IN", "Department")): 464,
        }

    def test_interlocks_in_jingning(self, demo_graph: EmbeddedBackend) -> None:
        name = "research_interlocks"
        rows = run(demo_graph, name, county=JINGNING, as_of=MID_2021)
        assert (len(rows), len({r["person"] for r in rows})) == (1006, 487)
        assert table(name, rows[:6]) == [
            ("331127-P000119", "孟雷磊", 3, "LEADS", "PartyOrg", "331127-PO0170",
             "中共仙童社区第3网格支部委员会", "branch", "书记", D(2020, 12, 28)),
            ("331127-P000119", "孟雷磊", 3, "SERVES_IN", "Grid", "331127-G0003",
             "仙童社区第3网格", "basic", "head", D(2017, 7, 16)),
            ("331127-P000119", "孟雷磊", 3, "WORKS_IN", "Department", "331127-DEP009",
             "景宁畲族自治县市场监督管理局", "market", None, D(2012, 1, 1)),
            ("331127-P000128", "夏淑英", 3, "LEADS", "PartyOrg", "331127-PO0172",
             "中共红星社区第1网格支部委员会", "branch", "书记", D(2018, 3, 11)),
            ("331127-P000128", "夏淑英", 3, "SERVES_IN", "Grid", "331127-G0005",
             "红星社区第1网格", "basic", "head", D(2018, 12, 28)),
            ("331127-P000128", "夏淑英", 3, "WORKS_IN", "Department", "331127-DEP007",
             "景宁畲族自治县卫生健康局", "health", None, D(2012, 1, 1)),
        ]  # fmt: skip
        # the 18 with an Organisation: the chambers of commerce of the out-of-county grids
        assert combinations(rows) == {
            (("LEADS", "PartyOrg"), ("SERVES_IN", "Grid")): 106,
            (("LEADS", "PartyOrg"), ("SERVES_IN", "Grid"), ("WORKS_IN", "Department")): 14,
            (("LEADS", "PartyOrg"), ("SERVES_IN", "Grid"), ("WORKS_IN", "Organisation")): 18,
            (("SERVES_IN", "Grid"), ("WORKS_IN", "Department")): 313,
            (("SERVES_IN", "Grid"), ("WORKS_IN", "Organisation")): 36,
        }

    def test_the_brokerage_projection(self, demo_graph: EmbeddedBackend) -> None:
        name = "research_brokerage_ties"
        jiashan = run(demo_graph, name, county=JIASHAN, as_of=MID_2021)
        assert Counter((r["tie"], r["source_label"], r["target_label"]) for r in jiashan) == {
            ("STATIONED_AT", "Department", "Center"): 56,
            ("JURISDICTION", "Center", "Unit"): 164,
            ("ESCALATES_TO", "Center", "Center"): 163,
            ("LOCATED_IN", "Department", "Unit"): 56,
        }
        assert table(name, jiashan[:2]) == [
            ("Department", "330421-DEP001", "嘉善县委政法委", "politics_law", "county",
             "STATIONED_AT", "Center", "330421-C001", "嘉善县社会矛盾纠纷调处化解中心",
             "mediation", "county"),
            ("Department", "330421-DEP002", "嘉善县信访局", "petitions", "county",
             "STATIONED_AT", "Center", "330421-C001", "嘉善县社会矛盾纠纷调处化解中心",
             "mediation", "county"),
        ]  # fmt: skip
        jingning = run(demo_graph, name, county=JINGNING, as_of=MID_2021)
        assert Counter((r["tie"], r["source_label"], r["target_label"]) for r in jingning) == {
            ("STATIONED_AT", "Department", "Center"): 88,
            ("JURISDICTION", "Center", "Unit"): 22,
            ("ESCALATES_TO", "Center", "Center"): 21,
            ("LOCATED_IN", "Department", "Unit"): 106,
            ("LIAISES_WITH", "Grid", "Department"): 72,
        }
        assert [r["tie"] for r in jingning] == sorted(
            (r["tie"] for r in jingning), key=TIE_ORDER.index
        )

    def test_brokers_in_jiashan(self, demo_graph: EmbeddedBackend) -> None:
        ranked = brokers(demo_graph, county=JIASHAN, as_of=MID_2021, top=5)
        assert ranked == [
            Broker("Center", "330421-C001", "嘉善县社会矛盾纠纷调处化解中心", "mediation",
                   "county", pytest.approx(0.89239, abs=1e-6), 30),
            Broker("Center", "330421-C009", "姚庄镇社会矛盾纠纷调处化解中心", "mediation",
                   "town", pytest.approx(0.257501, abs=1e-6), 30),
            Broker("Center", "330421-C002", "魏塘街道社会矛盾纠纷调处化解中心", "mediation",
                   "town", pytest.approx(0.239402, abs=1e-6), 28),
            Broker("Center", "330421-C003", "罗星街道社会矛盾纠纷调处化解中心", "mediation",
                   "town", pytest.approx(0.239402, abs=1e-6), 28),
            Broker("Center", "330421-C010", "天凝镇社会矛盾纠纷调处化解中心", "mediation",
                   "town", pytest.approx(0.239402, abs=1e-6), 28),
        ]  # fmt: skip

    def test_brokers_in_jingning(self, demo_graph: EmbeddedBackend) -> None:
        # The 综治办 is stationed at the county center and the daily liaison of all 18
        # out-of-county grids: the one department that brokers.
        ranked = brokers(demo_graph, county=JINGNING, as_of=MID_2021, top=5)
        assert ranked == [
            Broker("Center", "331127-C001", "景宁畲族自治县社会综合服务指挥中心", "command",
                   "county", pytest.approx(0.919111, abs=1e-6), 26),
            Broker("Department", "331127-DEP021", "景宁畲族自治县综治办",
                   "comprehensive_governance", "county", pytest.approx(0.174435, abs=1e-6), 20),
            Broker("Center", "331127-C002", "红星街道综合信息指挥室", "command_room", "town",
                   pytest.approx(0.058654, abs=1e-6), 6),
            Broker("Center", "331127-C003", "鹤溪街道综合信息指挥室", "command_room", "town",
                   pytest.approx(0.058654, abs=1e-6), 6),
            Broker("Center", "331127-C004", "渤海镇综合信息指挥室", "command_room", "town",
                   pytest.approx(0.058654, abs=1e-6), 6),
        ]  # fmt: skip
        graph = projection(demo_graph, county=JINGNING, as_of=MID_2021)
        assert (graph.number_of_nodes(), graph.number_of_edges()) == (168, 309)

    def test_the_two_counties_side_by_side(self, demo_graph: EmbeddedBackend) -> None:
        name = "research_county_profile"
        rows = run(demo_graph, name, county=JIASHAN, other=JINGNING, as_of=D(2021, 12, 31))
        assert table(name, rows) == PROFILE

    def test_a_county_compared_with_itself_counts_once(self, demo_graph: EmbeddedBackend) -> None:
        rows = run(
            demo_graph, "research_county_profile", county=JINGNING, other=JINGNING, as_of=MID_2021
        )
        assert all(r["county"] == r["other"] for r in rows)
        assert [(r["section"], r["item"], r["county"]) for r in rows[:2]] == [
            ("units", "town", 21),
            ("units", "village", 145),
        ]


TIE_ORDER = ["STATIONED_AT", "JURISDICTION", "ESCALATES_TO", "LOCATED_IN", "LIAISES_WITH"]

PROFILE = [
    ("units", "town", 9, 21, None, None),
    ("units", "village", 174, 145, None, None),
    ("unit kinds", "community", 70, 9, None, None),
    ("unit kinds", "street", 3, 2, None, None),
    ("unit kinds", "town", 6, 4, None, None),
    ("unit kinds", "township", 0, 15, None, None),
    ("unit kinds", "village", 104, 136, None, None),
    ("centers", "county", 1, 1, None, None),
    ("centers", "town", 9, 21, None, None),
    ("centers", "village model", 40, 0, None, None),
    ("centers", "village standard", 114, 0, None, None),
    ("stationed departments", "county", 20, 4, None, None),
    ("stationed departments", "town", 36, 84, None, None),
    ("grid levels", "level 1", 464, 309, None, None),
    ("grid levels", "level 2", 10094, 0, None, None),
    ("grids", "basic", 408, 291, 4.55, 4.24),
    ("grids", "dedicated", 56, 0, 4.55, None),
    ("grids", "micro", 10094, 0, 1.15, None),
    ("grids", "out_of_county", 0, 18, None, 4.83),
    ("grid classes", "class 1", 90, 0, None, None),
    ("grid classes", "class 2", 73, 0, None, None),
    ("grid classes", "class 3", 245, 0, None, None),
    ("grid staff", "basic full_time", 408, 301, 1.0, 1.03),
    ("grid staff", "basic head", 408, 291, 1.0, 1.0),
    ("grid staff", "basic instructor", 408, 291, 1.0, 1.0),
    ("grid staff", "basic part_time", 633, 351, 1.55, 1.21),
    ("grid staff", "dedicated full_time", 56, 0, 1.0, None),
    ("grid staff", "dedicated head", 56, 0, 1.0, None),
    ("grid staff", "dedicated instructor", 56, 0, 1.0, None),
    ("grid staff", "dedicated part_time", 87, 0, 1.55, None),
    ("grid staff", "micro assessor", 1523, 0, 0.15, None),
    ("grid staff", "micro coordinator", 10094, 0, 1.0, None),
    ("grid staff", "out_of_county full_time", 0, 18, None, 1.0),
    ("grid staff", "out_of_county head", 0, 18, None, 1.0),
    ("grid staff", "out_of_county instructor", 0, 18, None, 1.0),
    ("grid staff", "out_of_county part_time", 0, 33, None, 1.83),
    ("mediation bodies", "chamber", 1, 0, None, None),
    ("mediation bodies", "elders", 4, 0, None, None),
    ("mediation bodies", "industry", 8, 4, None, None),
    ("mediation bodies", "lawyer", 1, 0, None, None),
    ("mediation bodies", "people", 183, 166, None, None),
    ("mediation bodies", "studio", 6, 0, None, None),
    ("mediation domains", "consumer", 1, 0, None, None),
    ("mediation domains", "contract", 2, 0, None, None),
    ("mediation domains", "family", 5, 0, None, None),
    ("mediation domains", "insurance", 1, 0, None, None),
    ("mediation domains", "labour", 2, 1, None, None),
    ("mediation domains", "land", 4, 0, None, None),
    ("mediation domains", "medical", 1, 1, None, None),
    ("mediation domains", "neighbour", 9, 0, None, None),
    ("mediation domains", "notary", 1, 0, None, None),
    ("mediation domains", "property", 1, 1, None, None),
    ("mediation domains", "psychological", 1, 0, None, None),
    ("mediation domains", "traffic", 1, 1, None, None),
    ("mediation domains", "wages", 1, 0, None, None),
]


def per_center(rows: list[dict[str, Any]]) -> list[tuple[str, str, int, int, int]]:
    """(center, level, departments, staff, windows), in the rows' order of centers."""
    found: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        totals = found[(r["center"], r["center_level"])]
        totals[0] += 1
        totals[1] += r["staff"] or 0
        totals[2] += r["windows"] or 0
    return [(center, level, *totals) for (center, level), totals in found.items()]


def combinations(rows: list[dict[str, Any]]) -> Counter[tuple[tuple[str, str], ...]]:
    """How many people hold each combination of (tie, body label)."""
    posts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows:
        posts[r["person"]].append((r["tie"], r["body_label"]))
    return Counter(tuple(sorted(p)) for p in posts.values())


# -- the notebook API on the demo graph ---------------------------------------------------


@pytest.mark.slow
def test_the_notebook_gives_dataframes_with_names_masked_for_a_researcher(
    demo_graph: EmbeddedBackend,
) -> None:
    researcher = Graph(demo_graph, role="researcher")  # no pseudonym key: masked
    frame = researcher.query("research_interlocks", county=JIASHAN, as_of=MID_2021)
    assert list(frame.columns) == list(get_query("research_interlocks").columns)
    assert frame.shape == (1388, 10)
    assert frame.iloc[0][["person", "name", "body", "body_name", "post"]].tolist() == [
        "330421-P000119",
        "修某",  # a person's name is masked
        "330421-G0001",
        "日晖社区第1网格",  # a grid's is not
        "instructor",
    ]
    profile = researcher.query(
        "research_county_profile", county=JIASHAN, other=JINGNING, as_of=D(2021, 12, 31)
    )
    side_by_side = profile.set_index(["section", "item"])[["county", "other"]]
    assert side_by_side.loc[("grids", "basic")].tolist() == [408, 291]
    shares = researcher.query("research_settled_by_level", county=JINGNING, **YEAR)
    village = shares[shares.level == "village"]
    # 小事不出村 over the year: settled in a grid or village, of every dispute reported
    settled, reported = int(village.cumulative.sum()), int(village.disputes.sum())
    assert (settled, reported, round(settled / reported, 4)) == (3545, 3692, 0.9602)


# -- brokers() on a tiny county whose betweenness is known ----------------------------------

# County K with towns A and B; a center at each (X0 over K, X1 over A, X2 over B, the town
# centers escalating to X0); the justice bureau D1 sits in K and is stationed at X0 from 2020;
# the labour bureau D2 was stationed at X1 through 2020 only, and sits nowhere in K.
#
#      T_A — X1 — X0 — X2 — T_B          (— D2 on X1 in 2020)
#                 |  \
#                 K — D1
COUNTY, TOWN_A, TOWN_B = "990100000000", "990100001000", "990100002000"


def _rows(*rows: dict[str, str]) -> list[dict[str, str]]:
    return list(rows)


def tiny_tables() -> list[MemoryTable]:
    def table(stem: str, rows: list[dict[str, str]]) -> MemoryTable:
        return MemoryTable(f"tiny.{stem}", stem, rows)

    def tie(a: str, b: str, a_type: str, b_type: str, **extra: str) -> dict[str, str]:
        return {"from": a, "to": b, "from_type": a_type, "to_type": b_type, **extra}

    return [
        table("units", _rows(
            {"code": COUNTY, "name": "测试县", "level": "county", "kind": "county"},
            {"code": TOWN_A, "name": "甲镇", "level": "town", "kind": "town"},
            {"code": TOWN_B, "name": "乙镇", "level": "town", "kind": "town"},
        )),
        table("part_of", _rows(
            tie(TOWN_A, COUNTY, "Unit", "Unit"),
            tie(TOWN_B, COUNTY, "Unit", "Unit"),
            tie("G1", TOWN_A, "Grid", "Unit"),
        )),
        table("grids", _rows({"id": "G1", "name": "甲镇第1网格", "level": "1", "kind": "basic"})),
        table("people", _rows({"id": "P1", "name": "张三"})),
        table("serves_in", _rows(
            tie("P1", "G1", "Person", "Grid", role="head", valid_from="2020-01-01"),
        )),
        table("centers", _rows(
            {"id": "X0", "name": "测试县矛调中心", "kind": "mediation", "level": "county"},
            {"id": "X1", "name": "甲镇矛调中心", "kind": "mediation", "level": "town"},
            {"id": "X2", "name": "乙镇矛调中心", "kind": "mediation", "level": "town"},
        )),
        table("departments", _rows(
            {"id": "D1", "name": "测试县司法局", "function": "justice", "level": "county"},
            {"id": "D2", "name": "测试县人社局", "function": "labour", "level": "county"},
        )),
        table("jurisdiction", _rows(
            tie("X0", COUNTY, "Center", "Unit"),
            tie("X1", TOWN_A, "Center", "Unit"),
            tie("X2", TOWN_B, "Center", "Unit"),
        )),
        table("escalates_to", _rows(
            tie("X1", "X0", "Center", "Center"), tie("X2", "X0", "Center", "Center")
        )),
        table("located_in", _rows(tie("D1", COUNTY, "Department", "Unit"))),
        table("stationed_at", _rows(
            tie("D1", "X0", "Department", "Center", staff="3", valid_from="2020-01-01",
                valid_to=""),
            tie("D2", "X1", "Department", "Center", staff="2", valid_from="2020-01-01",
                valid_to="2020-12-31"),
        )),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.lbdb"
    graph = EmbeddedBackend(path)
    graph.init_schema()
    report = Loader(graph).load_tables(tiny_tables())
    assert report.rejects == [], report.rejects
    graph.close()
    return path


@pytest.fixture
def tiny(tiny_path: Path) -> Iterator[EmbeddedBackend]:
    graph = EmbeddedBackend(tiny_path, read_only=True)
    yield graph
    graph.close()


def test_brokers_on_a_tiny_county(tiny: EmbeddedBackend) -> None:
    # 2021: 7 nodes, pairs of the other 6 = 15. X0 lies on 12 shortest paths (every pair
    # across it), X1 on the 5 from T_A to the others, X2 likewise; D1 and the units on none.
    assert brokers(tiny, county=COUNTY, as_of=D(2021, 6, 1)) == [
        Broker("Center", "X0", "测试县矛调中心", "mediation", "county", pytest.approx(12 / 15), 4),
        Broker("Center", "X1", "甲镇矛调中心", "mediation", "town", pytest.approx(5 / 15), 2),
        Broker("Center", "X2", "乙镇矛调中心", "mediation", "town", pytest.approx(5 / 15), 2),
        Broker("Department", "D1", "测试县司法局", "justice", "county", 0.0, 2),
    ]


def test_brokers_on_the_tiny_county_while_the_labour_bureau_was_stationed(
    tiny: EmbeddedBackend,
) -> None:
    # 2020: D2 hangs off X1, 8 nodes, 21 pairs of the others. X0: 12 + D2 to K, D1, X2, T_B
    # = 16; X1: 5 + D2 to the 6 others = 11; X2: 5 + D2–T_B = 6.
    assert brokers(tiny, county=COUNTY, as_of=D(2020, 6, 1), top=3) == [
        Broker("Center", "X0", "测试县矛调中心", "mediation", "county", pytest.approx(16 / 21), 4),
        Broker("Center", "X1", "甲镇矛调中心", "mediation", "town", pytest.approx(11 / 21), 3),
        Broker("Center", "X2", "乙镇矛调中心", "mediation", "town", pytest.approx(6 / 21), 2),
    ]
    ranked = brokers(tiny, county=COUNTY, as_of=D(2020, 6, 1))
    assert [(b.key, b.betweenness) for b in ranked[3:]] == [("D1", 0.0), ("D2", 0.0)]


def test_brokers_as_of_today_and_of_an_unknown_county(tiny: EmbeddedBackend) -> None:
    assert [b.key for b in brokers(tiny, county=COUNTY)] == ["X0", "X1", "X2", "D1"]
    assert brokers(tiny, county="990200000000") == []
    with pytest.raises(ValueError, match="top must be at least 1"):
        brokers(tiny, county=COUNTY, top=0)


def test_the_projection_of_the_tiny_county(tiny: EmbeddedBackend) -> None:
    graph = projection(tiny, county=COUNTY, as_of=D(2020, 6, 1))
    assert sorted((min(a, b), max(a, b), ties) for a, b, ties in graph.edges(data="ties")) == [
        ("Center:X0", "Center:X1", {"ESCALATES_TO"}),
        ("Center:X0", "Center:X2", {"ESCALATES_TO"}),
        ("Center:X0", "Department:D1", {"STATIONED_AT"}),
        ("Center:X0", "Unit:990100000000", {"JURISDICTION"}),
        ("Center:X1", "Department:D2", {"STATIONED_AT"}),
        ("Center:X1", "Unit:990100001000", {"JURISDICTION"}),
        ("Center:X2", "Unit:990100002000", {"JURISDICTION"}),
        ("Department:D1", "Unit:990100000000", {"LOCATED_IN"}),
    ]
    assert graph.nodes["Unit:990100001000"] == {
        "label": "Unit",
        "key": TOWN_A,
        "name": "甲镇",
        "kind": "town",
        "level": "town",
    }


# -- the command line: parameters come as text --------------------------------------------


@pytest.fixture
def cli(tiny_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("GOVGRAPH_DB", str(tiny_path))
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        result = runner.invoke(app, ["cypher", *args, "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    return invoke


def test_catalogue_queries_run_from_the_command_line_with_text_dates(cli: Any) -> None:
    assert cli("research_short_teams", "-p", f"county={COUNTY}", "-p", "as_of=2020-07-01") == [
        {
            "grid": "G1",
            "grid_name": "甲镇第1网格",
            "kind": "basic",
            "village": None,
            "village_name": None,
            "town": None,
            "town_name": None,
            "heads": 1,
            "instructors": 0,
            "full_time": 0,
            "part_time": 0,
            "missing": "instructor full_time part_time",
        }
    ]
    assert cli("research_short_teams", "-p", f"county={COUNTY}", "-p", "as_of=2019-07-01") == [
        {
            "grid": "G1",
            "grid_name": "甲镇第1网格",
            "kind": "basic",
            "village": None,
            "village_name": None,
            "town": None,
            "town_name": None,
            "heads": 0,
            "instructors": 0,
            "full_time": 0,
            "part_time": 0,
            "missing": "head instructor full_time part_time",
        }
    ]
    stationed = cli(
        "research_stationed_departments", "-p", f"county={COUNTY}", "-p", "as_of=2021-01-01"
    )
    assert stationed == [
        {
            "center": "X0",
            "center_name": "测试县矛调中心",
            "center_kind": "mediation",
            "center_level": "county",
            "unit": COUNTY,
            "unit_name": "测试县",
            "department": "D1",
            "department_name": "测试县司法局",
            "function": "justice",
            "department_level": "county",
            "staff": 3,
            "windows": None,
            "since": "2020-01-01",
            "until": None,
        }
    ]
    ties = cli("research_brokerage_ties", "-p", f"county={COUNTY}", "-p", "as_of=2020-06-01")
    assert [(r["source"], r["tie"], r["target"]) for r in ties] == [
        ("D1", "STATIONED_AT", "X0"),
        ("D2", "STATIONED_AT", "X1"),
        ("X0", "JURISDICTION", COUNTY),
        ("X1", "JURISDICTION", TOWN_A),
        ("X2", "JURISDICTION", TOWN_B),
        ("X1", "ESCALATES_TO", "X0"),
        ("X2", "ESCALATES_TO", "X0"),
        ("D1", "LOCATED_IN", COUNTY),
    ]
