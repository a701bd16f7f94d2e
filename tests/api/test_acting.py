"""`api.acting.names`: the names of a dispute's actors, as each caller may see them."""

from api import acting
from api.auth import Caller, Role
from workflow.model import Ref

GRID = Ref("Grid", "330421001001-G01")
CENTER = Ref("Center", "center-330421001")
HEALTH = Ref("Department", "dept-330421-health")
TOWN = Ref("Unit", "330421001000")
SHEN = Ref("Person", "JS-P-0001")  # lives in 日晖社区
QIAN = Ref("Person", "JS-P-0004")  # lives in 魏塘街道, outside 日晖社区
LEAK = Ref("Dispute", "JS-2024-0158")  # occurred in a micro-grid of 日晖社区
SURGERY = Ref("Dispute", "JS-2024-0137")  # occurred in the hospital's grid, in the town
NOBODY = Ref("Person", "JS-P-9999")
NOWHERE = Ref("Grid", "330421001001-G99")
SYSTEM = Ref("System", "timers")  # an actor with no node
REFS = [GRID, CENTER, HEALTH, TOWN, SHEN, QIAN, LEAK, SURGERY, NOBODY, NOWHERE, SYSTEM, SHEN]

UNITS = {
    GRID: "日晖社区第一网格",
    CENTER: "魏塘街道社会矛盾纠纷调处化解中心",
    HEALTH: "嘉善县卫生健康局",
    TOWN: "魏塘街道",
    NOBODY: "",
    NOWHERE: "",
    SYSTEM: "",
}


def test_names_by_kind_masked_as_each_caller_may_see_them(examples_graph):
    admin = Caller(Role.ADMIN)
    viewer = Caller(Role.VIEWER)
    village_mediator = Caller(Role.MEDIATOR, scope="330421001001")
    assert acting.names(examples_graph, admin, REFS) == {
        **UNITS,
        SHEN: "沈建华",
        QIAN: "钱国良",
        LEAK: "楼顶渗漏维修责任纠纷",
        SURGERY: "术后并发症赔偿纠纷",
    }
    assert acting.names(examples_graph, viewer, REFS) == {
        **UNITS,
        SHEN: "沈某",
        QIAN: "钱某",
        LEAK: "（已隐去）",
        SURGERY: "（已隐去）",
    }
    # a mediator sees in full what lies inside their scope, masked what lies outside it
    assert acting.names(examples_graph, village_mediator, REFS) == {
        **UNITS,
        SHEN: "沈建华",
        QIAN: "钱某",
        LEAK: "楼顶渗漏维修责任纠纷",
        SURGERY: "（已隐去）",
    }
    assert acting.names(examples_graph, admin, []) == {}
