"""The graph schema, declared once as data.

Everything else is derived from these declarations: the embedded DDL and the Neo4j
constraints (`graph.ddl`), loader validation (`loaders.validate`), and `docs/schema.md`
(`graph.docs`). Add a property here and all of them follow.

Roles are relationships with properties (a person SERVES_IN a grid with role 网格长 from a
date), never labels on people. A property with a closed set of values (`choices`) also declares
the Chinese names people write for each value (`names`: 网格长 for `head`, 男 for `male`), which
the loaders accept in their place. Posts and memberships carry `valid_from` / `valid_to` so that
"who held this post on the day the dispute was filed" is a query, and so do the units, grids,
departments and centers themselves (`EXISTS`): "what was there that day". An end before a
start is refused by the loaders. Every record carries `source`: the file or system that last
asserted it; every source that ever did is kept beside it (`PROVENANCE_NODE_TYPES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Type(StrEnum):
    """Property types, named as both stores name them."""

    STRING = "STRING"
    INT64 = "INT64"
    DOUBLE = "DOUBLE"
    BOOL = "BOOL"
    DATE = "DATE"


class Check(StrEnum):
    """Extra checks a string value must pass, beyond type, length and enumeration."""

    ID_NUMBER = "id_number"  # 18-digit resident ID with ISO 7064 MOD 11-2 check digit
    MOBILE = "mobile"  # mainland mobile number, 1[3-9] and 9 more digits
    DIVISION_CODE = "division_code"  # 12-digit statistical division code


class Mask(StrEnum):
    """How a personal-data property is shown to a caller whose role does not need it."""

    NAME = "name"  # 张三 -> 张某
    MOBILE = "mobile"  # 13812341234 -> 138****1234
    ID_NUMBER = "id_number"  # first 6 and last 4 digits, birth date hidden
    TEXT = "text"  # free text that may name people: withheld


@dataclass(frozen=True)
class Property:
    name: str
    type: Type = Type.STRING
    description: str = ""
    required: bool = False
    max_length: int = 200
    choices: tuple[str, ...] = ()
    check: Check | None = None
    mask: Mask | None = None
    minimum: int | None = None
    maximum: int | None = None
    # Chinese names of the choices, as (name, choice) pairs: a name stands for one choice,
    # a choice may have several names (网格指导员 and 指导员 for `instructor`).
    names: tuple[tuple[str, str], ...] = ()

    def choice(self, text: str) -> str | None:
        """The choice `text` is, or names; None when it is neither."""
        if text in self.choices:
            return text
        return next((choice for name, choice in self.names if name == text), None)


def zh(**names: str | tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Chinese names keyed by choice: `zh(male="男", female=("女", "女性"))`."""
    return tuple(
        (name, choice)
        for choice, given in names.items()
        for name in ((given,) if isinstance(given, str) else given)
    )


@dataclass(frozen=True)
class NodeType:
    label: str
    file: str  # the loader file name stem that holds this type, e.g. "people"
    key: str
    description: str
    properties: tuple[Property, ...]

    def property(self, name: str) -> Property:
        return {p.name: p for p in self.properties}[name]


@dataclass(frozen=True)
class RelType:
    type: str
    file: str
    description: str
    endpoints: tuple[tuple[str, str], ...]  # (from label, to label) pairs
    properties: tuple[Property, ...] = ()
    # Properties that, with the two endpoints, identify one relationship. A person may serve
    # in a grid as head and as part-time worker, or as head twice over different periods.
    identity: tuple[str, ...] = ()

    def property(self, name: str) -> Property:
        return {p.name: p for p in self.properties}[name]


SOURCE = Property(
    "source",
    description="File or system that last gave the record (each one that did: provenance).",
    max_length=300,
)
VALID_FROM = Property("valid_from", Type.DATE, "First day the tie holds.")
VALID_TO = Property("valid_to", Type.DATE, "Last day the tie holds; empty while it still holds.")
TEMPORAL = (VALID_FROM, VALID_TO)
# The same two dates on a record of the structure: villages merge, grids are redrawn, a
# department is renamed or a center opens, so "the ladder on the day the dispute was filed"
# must leave out what did not exist that day (graph.temporal.holds_on, as for ties).
EXISTS = (
    Property("valid_from", Type.DATE, "First day it exists (a merged village: the merger)."),
    Property("valid_to", Type.DATE, "Last day it exists; empty while it still does."),
)

LEVELS = ("province", "city", "county", "town", "village")
LEVEL_NAMES = zh(
    province=("省", "省级"),
    city=("市", "地市", "市级"),
    county=("县", "区", "县区", "县级"),
    town=("镇", "乡", "街道", "乡镇", "镇街", "镇级"),
    village=("村", "社区", "村社", "村级"),
)
GRID_KINDS = ("basic", "dedicated", "professional", "micro", "out_of_county")
# What a professional grid 专业网格 inspects (吴江: 安监、消防、环保、劳动监察 — source 001).
GRID_FIELDS = ("work_safety", "fire_safety", "environment", "labour_inspection")
GRID_ROLES = (
    "head",  # 网格长
    "instructor",  # 网格指导员
    "full_time",  # 专职网格员
    "part_time",  # 兼职网格员
    "inspector",  # 专业网格监管员 (一格两员)
    "coordinator",  # 协管员 on a micro-grid
    "assessor",  # 评议员 on a micro-grid
)
GRID_ROLE_NAMES = zh(
    head="网格长",
    instructor=("网格指导员", "指导员"),
    full_time="专职网格员",
    part_time="兼职网格员",
    inspector=("专业网格员", "专业网格监管员", "监管员"),
    coordinator=("协管员", "网格协管员"),
    assessor=("评议员", "网格评议员"),
)
DISPUTE_STEPS = (  # Suzhou's eight steps (docs/domain.md §5)
    "discovered",
    "accepted",
    "routed",
    "handling",
    "tracking",
    "supervising",
    "feedback",
    "evaluated",
)
DISPUTE_STEP_NAMES = zh(
    discovered="发现",
    accepted="受理",
    routed=("分流", "派单"),
    handling=("处置", "办理"),
    tracking="跟踪",
    supervising="督办",
    feedback=("反馈", "回访"),
    evaluated=("评价", "评单"),
)
SETTLED_LEVELS = ("grid", "village", "town", "county", "court")


def _name(description: str, mask: Mask | None = None, required: bool = True) -> Property:
    return Property("name", description=description, required=required, mask=mask)


NODE_TYPES: tuple[NodeType, ...] = (
    NodeType(
        "Unit",
        "units",
        "code",
        "Administrative unit 行政区划: province › city › county › town › village/community.",
        (
            Property(
                "code",
                description="12-digit statistical division code 统计用区划代码.",
                required=True,
                check=Check.DIVISION_CODE,
            ),
            _name("Official name, e.g. 嘉善县."),
            Property(
                "level",
                description="Level on the ladder.",
                required=True,
                choices=LEVELS,
                names=LEVEL_NAMES,
            ),
            Property("kind", description="street, town, township, community, village…"),
            Property("edition", description="Edition of the division table the code is from."),
            *EXISTS,
            SOURCE,
        ),
    ),
    NodeType(
        "Grid",
        "grids",
        "id",
        "Grid 网格: the cell all territory is divided into, nested in levels.",
        (
            Property("id", description="Grid identifier.", required=True, max_length=64),
            _name("Grid name."),
            Property(
                "level",
                Type.INT64,
                "Grid level: 1 (一级) is the largest.",
                required=True,
                minimum=1,
                maximum=5,
            ),
            Property(
                "kind",
                description="Kind of grid.",
                required=True,
                choices=GRID_KINDS,
                names=zh(
                    basic=("全科网格", "基础网格", "基础全科网格", "综合网格"),
                    dedicated="专属网格",
                    professional="专业网格",
                    micro="微网格",
                    out_of_county=("域外网格", "县域外网格", "域外综治网格"),
                ),
            ),
            Property(
                "grid_class",
                Type.INT64,
                "Class of a basic grid (Jiashan: 1, 2 or 3).",
                minimum=1,
                maximum=3,
            ),
            Property("households", Type.INT64, "Households in the grid.", minimum=0),
            Property("population", Type.INT64, "Residents in the grid.", minimum=0),
            Property("urban", Type.BOOL, "Whether the grid is in a town or city area."),
            Property("location", description="Where an out-of-county grid is, e.g. 杭州市."),
            Property(
                "field",
                description="What a professional grid inspects in the enterprises it covers "
                "(吴江: 安监, 消防, 环保, 劳动监察).",
                choices=GRID_FIELDS,
                names=zh(
                    work_safety=("安监", "安全生产"),
                    fire_safety=("消防", "消防安全"),
                    environment=("环保", "生态环境", "环境保护"),
                    labour_inspection=("劳动监察", "劳动保障监察"),
                ),
            ),
            Property(
                "unit_level",
                description="The level whose unit the grid is, where a place's grid levels follow "
                "its units (苏州: a level-1 grid is a town's, a level-2 grid a village's); empty "
                "for a grid inside a village.",
                choices=LEVELS,
                names=LEVEL_NAMES,
            ),
            *EXISTS,
            SOURCE,
        ),
    ),
    NodeType(
        "Person",
        "people",
        "id",
        "Person 人员: grid staff, cadres, mediators, experts, party members, parties to disputes.",
        (
            Property("id", description="Person identifier.", required=True, max_length=64),
            _name("Full name.", Mask.NAME),
            Property(
                "gender",
                description="Gender.",
                choices=("male", "female"),
                names=zh(male=("男", "男性"), female=("女", "女性")),
            ),
            Property(
                "id_number",
                description="18-digit resident ID number 身份证号.",
                check=Check.ID_NUMBER,
                mask=Mask.ID_NUMBER,
            ),
            Property(
                "mobile",
                description="Mobile phone number.",
                check=Check.MOBILE,
                mask=Mask.MOBILE,
            ),
            Property("profession", description="Profession, e.g. 律师, 法官, 医生."),
            SOURCE,
        ),
    ),
    NodeType(
        "PartyOrg",
        "party_orgs",
        "id",
        "Party organisation 党组织: committee › branch › group › building group.",
        (
            Property("id", description="Party organisation identifier.", required=True),
            _name("Name, e.g. 罗星街道党工委."),
            Property(
                "kind",
                description="Kind of organisation.",
                required=True,
                choices=("committee", "general_branch", "branch", "group", "building_group"),
                names=zh(
                    committee=("党委", "党工委", "委员会"),
                    general_branch=("党总支", "总支部委员会"),
                    branch=("党支部", "支部委员会"),
                    group="党小组",
                    building_group=("楼栋工作组", "楼栋组"),
                ),
            ),
            Property(
                "level",
                description="Level it is built at: a unit's, a grid's, a residential area's (小区, "
                "东营's 小区党支部) or a building's (楼栋).",
                choices=(*LEVELS, "grid", "residential_area", "building"),
                names=(
                    *LEVEL_NAMES,
                    *zh(grid="网格", residential_area="小区", building=("楼栋", "楼")),
                ),
            ),
            SOURCE,
        ),
    ),
    NodeType(
        "Department",
        "departments",
        "id",
        "Government or judicial department 部门, or a town platform office 四个平台.",
        (
            Property("id", description="Department identifier.", required=True),
            _name("Name, e.g. 嘉善县司法局."),
            Property(
                "function",
                description="What it does, the same at every level: justice, court, labour…",
                required=True,
                max_length=40,
            ),
            Property(
                "level", description="Level of government.", choices=LEVELS, names=LEVEL_NAMES
            ),
            *EXISTS,
            SOURCE,
        ),
    ),
    NodeType(
        "Center",
        "centers",
        "id",
        "Center 中心: conflict-mediation, command or linkage center at one level.",
        (
            Property("id", description="Center identifier.", required=True),
            _name("Name, e.g. 嘉善县社会矛盾纠纷调处化解中心."),
            Property(
                "kind",
                description="Kind of center.",
                required=True,
                choices=("mediation", "command", "linkage", "command_room", "grid_service"),
                names=zh(
                    mediation=("矛调中心", "矛盾纠纷调处化解中心"),
                    command=("指挥中心", "运行管理中心"),
                    linkage=("联动中心", "联动指挥中心"),
                    command_room=("指挥室", "综合信息指挥室"),
                    grid_service="网格化服务管理中心",
                ),
            ),
            Property(
                "level",
                description="Level it serves.",
                required=True,
                choices=LEVELS,
                names=LEVEL_NAMES,
            ),
            Property("grade", description="model or standard (Jiashan's village centers)."),
            Property("windows", Type.INT64, "Reception windows.", minimum=0),
            *EXISTS,
            SOURCE,
        ),
    ),
    NodeType(
        "MediationOrg",
        "mediation_orgs",
        "id",
        "Mediation organisation 调解组织: people's or industry committee, studio, lawyers…",
        (
            Property("id", description="Mediation organisation identifier.", required=True),
            _name("Name, e.g. 嘉善县医疗纠纷人民调解委员会."),
            Property(
                "kind",
                description="Kind of organisation.",
                required=True,
                choices=("people", "industry", "studio", "lawyer", "chamber", "elders"),
                names=zh(
                    people=("人民调解委员会", "调委会"),
                    industry=("行业性专业性调委会", "行业调委会"),
                    studio=("调解工作室", "调解室"),
                    lawyer="律师调解",
                    chamber="商会调解",
                    elders="乡贤参事会",
                ),
            ),
            Property("level", description="Level it works at.", choices=LEVELS, names=LEVEL_NAMES),
            SOURCE,
        ),
    ),
    NodeType(
        "Organisation",
        "organisations",
        "id",
        "Enterprise, social organisation, chamber of commerce or volunteer group.",
        (
            Property("id", description="Organisation identifier.", required=True),
            _name("Name."),
            Property(
                "kind",
                description="Kind of organisation.",
                required=True,
                choices=("enterprise", "social", "chamber", "volunteer", "institution"),
                names=zh(
                    enterprise="企业",
                    social="社会组织",
                    chamber="商会",
                    volunteer=("志愿者组织", "志愿服务组织"),
                    institution=("事业单位", "机构"),
                ),
            ),
            SOURCE,
        ),
    ),
    NodeType(
        "Domain",
        "domains",
        "code",
        "Expertise domain 专业领域, also the category of a dispute.",
        (
            Property("code", description="Domain code, e.g. medical.", required=True),
            _name("Name, e.g. 医疗纠纷."),
            SOURCE,
        ),
    ),
    NodeType(
        "ExpertPool",
        "expert_pools",
        "id",
        "Expert pool 专家库.",
        (
            Property("id", description="Pool identifier.", required=True),
            _name("Name, e.g. 长三角专家库."),
            Property("shared", Type.BOOL, "Shared with other regions (e.g. the tri-region pool)."),
            SOURCE,
        ),
    ),
    NodeType(
        "ListItem",
        "list_items",
        "id",
        "Responsibility-list item 事项清单: a matter, its class and its time limit.",
        (
            Property("id", description="Item identifier.", required=True),
            _name("The matter."),
            Property("item_class", description="Class of matter.", required=True),
            Property(
                "time_limit_days",
                Type.INT64,
                "Days allowed to settle it.",
                required=True,
                minimum=0,
            ),
            SOURCE,
        ),
    ),
    NodeType(
        "Dispute",
        "disputes",
        "id",
        "Dispute or event 矛盾纠纷 / 事件.",
        (
            Property("id", description="Dispute identifier.", required=True),
            Property("title", description="Short title.", required=True, mask=Mask.TEXT),
            Property("reported_on", Type.DATE, "Day it was reported.", required=True),
            Property(
                "channel",
                description="How it came in.",
                choices=("grid_worker", "app", "hotline", "video", "visit", "department"),
                names=zh(
                    grid_worker=("网格员上报", "网格员"),
                    app=("手机APP", "随手拍", "移动端"),
                    hotline=("12345", "12345热线", "热线"),
                    video=("视频", "视频接访"),
                    visit=("来访", "走访"),
                    department=("部门", "部门移交"),
                ),
            ),
            Property(
                "status",
                description="Step it has reached.",
                choices=DISPUTE_STEPS,
                names=DISPUTE_STEP_NAMES,
            ),
            Property(
                "outcome",
                description="settled, unsettled, withdrawn or litigated; empty while open.",
                choices=("settled", "unsettled", "withdrawn", "litigated"),
                names=zh(
                    settled=("调解成功", "化解", "已化解"),
                    unsettled=("调解不成", "未化解"),
                    withdrawn=("撤回", "撤销"),
                    litigated=("诉讼", "转诉讼"),
                ),
            ),
            Property(
                "settled_level",
                description="Level it was settled at.",
                choices=SETTLED_LEVELS,
                names=zh(
                    grid="网格",
                    village=("村", "社区", "村社"),
                    town=("镇", "乡", "街道", "乡镇", "镇街"),
                    county=("县", "区", "县区"),
                    court="法院",
                ),
            ),
            Property("settled_on", Type.DATE, "Day it was settled."),
            Property("parties", Type.INT64, "Number of parties.", minimum=1),
            Property(
                "warning",
                description="Warning colour.",
                choices=("red", "orange", "yellow"),
                names=zh(red=("红", "红色"), orange=("橙", "橙色"), yellow=("黄", "黄色")),
            ),
            Property("satisfaction", Type.INT64, "Rating 1–5.", minimum=1, maximum=5),
            SOURCE,
        ),
    ),
)


def _rel(
    type_: str,
    file: str,
    description: str,
    *endpoints: tuple[str, str],
    properties: tuple[Property, ...] = (),
    identity: tuple[str, ...] = (),
) -> RelType:
    return RelType(type_, file, description, endpoints, (*properties, SOURCE), identity)


_ROLE = Property(
    "role", description="Role held.", required=True, choices=GRID_ROLES, names=GRID_ROLE_NAMES
)
_POST = Property("post", description="Post held, e.g. 书记, 主任, 首席调解员.")
_DATE = Property("on_date", Type.DATE, "Day it happened.")

REL_TYPES: tuple[RelType, ...] = (
    _rel(
        "PART_OF",
        "part_of",
        "Nesting: unit in unit, grid in unit, micro-grid in grid.",
        ("Unit", "Unit"),
        ("Grid", "Unit"),
        ("Grid", "Grid"),
    ),
    _rel(
        "LOCATED_IN",
        "located_in",
        "Where a body sits: a department, center, mediation body, organisation or pool.",
        ("Department", "Unit"),
        ("MediationOrg", "Unit"),
        ("PartyOrg", "Unit"),
        ("ExpertPool", "Unit"),
        ("Organisation", "Unit"),
        ("Organisation", "Grid"),
    ),
    _rel(
        "LIVES_IN",
        "lives_in",
        "A person's registered home.",
        ("Person", "Unit"),
    ),
    _rel(
        "SERVES_IN",
        "serves_in",
        "A person's role on a grid.",
        ("Person", "Grid"),
        properties=(_ROLE, *TEMPORAL),
        identity=("role", "valid_from"),
    ),
    _rel(
        "MEMBER_OF",
        "member_of",
        "Party membership.",
        ("Person", "PartyOrg"),
        properties=TEMPORAL,
        identity=("valid_from",),
    ),
    _rel(
        "LEADS",
        "leads",
        "A person leads a party organisation.",
        ("Person", "PartyOrg"),
        properties=(_POST, *TEMPORAL),
        identity=("post", "valid_from"),
    ),
    _rel(
        "SUBORDINATE_TO",
        "subordinate_to",
        "Party organisation under a higher one.",
        ("PartyOrg", "PartyOrg"),
    ),
    _rel(
        "COVERS",
        "covers",
        "A party organisation built on a grid (支部建在网格上).",
        ("PartyOrg", "Grid"),
    ),
    _rel(
        "SUPERVISES",
        "supervises",
        "An enterprise a professional grid inspects in its field (吴江: 80 per grid).",
        ("Grid", "Organisation"),
    ),
    _rel(
        "WORKS_IN",
        "works_in",
        "A person's employer.",
        ("Person", "Department"),
        ("Person", "Organisation"),
        properties=TEMPORAL,
        identity=("valid_from",),
    ),
    _rel(
        "HOLDS_POST",
        "holds_post",
        "A named post in a department, center or mediation body.",
        ("Person", "Department"),
        ("Person", "Center"),
        ("Person", "MediationOrg"),
        properties=(_POST, *TEMPORAL),
        identity=("post", "valid_from"),
    ),
    _rel(
        "STATIONED_AT",
        "stationed_at",
        "A department stationed in a center, with its staff and windows.",
        ("Department", "Center"),
        properties=(
            Property("staff", Type.INT64, "Staff stationed.", minimum=0),
            Property("windows", Type.INT64, "Reception windows it runs.", minimum=0),
            *TEMPORAL,
        ),
    ),
    _rel(
        "JURISDICTION",
        "jurisdiction",
        "The unit a center serves.",
        ("Center", "Unit"),
    ),
    _rel(
        "ESCALATES_TO",
        "escalates_to",
        "Where a center sends what it cannot settle.",
        ("Center", "Center"),
    ),
    _rel(
        "RESPONSIBLE_FOR",
        "responsible_for",
        "The department responsible for a responsibility-list item.",
        ("Department", "ListItem"),
        properties=(Property("time_limit_days", Type.INT64, "Days allowed.", minimum=0),),
    ),
    _rel(
        "HAS_EXPERTISE",
        "has_expertise",
        "Expertise domain of a person, mediation body or pool.",
        ("Person", "Domain"),
        ("MediationOrg", "Domain"),
        ("ExpertPool", "Domain"),
        ("ListItem", "Domain"),
    ),
    _rel(
        "IN_POOL",
        "in_pool",
        "An expert's place in a pool.",
        ("Person", "ExpertPool"),
        properties=TEMPORAL,
        identity=("valid_from",),
    ),
    _rel(
        "MEDIATES_IN",
        "mediates_in",
        "A mediator in a mediation organisation.",
        ("Person", "MediationOrg"),
        properties=(_POST, *TEMPORAL),
        identity=("valid_from",),
    ),
    _rel(
        "PARTY_TO",
        "party_to",
        "A party to a dispute.",
        ("Person", "Dispute"),
        ("Organisation", "Dispute"),
        properties=(
            Property(
                "side",
                description="Side taken.",
                choices=("applicant", "respondent"),
                names=zh(applicant=("申请人", "申请方"), respondent=("被申请人", "被申请方")),
            ),
        ),
    ),
    _rel(
        "REPORTED",
        "reported",
        "Who reported a dispute.",
        ("Person", "Dispute"),
        ("Department", "Dispute"),
        properties=(_DATE,),
    ),
    _rel(
        "HANDLED",
        "handled",
        "Who handled a dispute, at which step.",
        ("Person", "Dispute"),
        ("Center", "Dispute"),
        ("MediationOrg", "Dispute"),
        ("Department", "Dispute"),
        properties=(
            Property(
                "step",
                description="Step of the flow.",
                choices=DISPUTE_STEPS,
                names=DISPUTE_STEP_NAMES,
            ),
            _DATE,
        ),
        identity=("step",),
    ),
    _rel(
        "RATED",
        "rated",
        "A party's rating of how a dispute was handled.",
        ("Person", "Dispute"),
        properties=(Property("score", Type.INT64, "1–5.", minimum=1, maximum=5), _DATE),
    ),
    _rel(
        "OCCURRED_IN",
        "occurred_in",
        "Where a dispute happened.",
        ("Dispute", "Grid"),
    ),
    _rel(
        "IN_DOMAIN",
        "in_domain",
        "The category of a dispute.",
        ("Dispute", "Domain"),
    ),
    _rel(
        "CLASSIFIED_AS",
        "classified_as",
        "The responsibility-list item a dispute falls under.",
        ("Dispute", "ListItem"),
    ),
    _rel(
        "RELATED_TO",
        "related_to",
        "A tie between two people (what conflict-of-interest checks walk).",
        ("Person", "Person"),
        properties=(
            Property(
                "kind",
                description="Kind of tie.",
                required=True,
                choices=("family", "colleague", "neighbour", "friend"),
                names=zh(
                    family=("亲属", "家人", "亲戚"),
                    colleague="同事",
                    neighbour="邻居",
                    friend="朋友",
                ),
            ),
            Property("relation", description="The tie in words, e.g. 嫂子."),
        ),
        identity=("kind",),
    ),
    _rel(
        "LIAISES_WITH",
        "liaises_with",
        "An out-of-county grid's liaison body in its home county.",
        ("Grid", "Department"),
        ("Grid", "Center"),
        ("Grid", "Organisation"),
    ),
)


# -- the workflow's log -----------------------------------------------------------------------
# Written by the `workflow` package, one record per action, never updated or deleted. They are
# not in `nodes`/`rels` (an export and the examples leave them out; a backup keeps the loaded
# ones); the loaders read the log from files (`LOADED_LOGS`: a demo's or a migrated system's
# past, validated row by row like any file, an event already held never changed), never the
# notifications. The DDL and docs/schema.md include them all.

_JSON = 100_000  # a JSON text: the length the loaders would check, were these types loaded

LOG_NODE_TYPES: tuple[NodeType, ...] = (
    NodeType(
        "DisputeEvent",
        "dispute_events",
        "id",
        "One action in the life of a dispute (workflow/): the append-only log its state, "
        "holder and clocks are derived from.",
        (
            Property(
                "id",
                description="<dispute>#<version>: two writers of one version clash on it.",
                required=True,
                max_length=80,
            ),
            Property("dispute", description="The dispute's id.", required=True, max_length=64),
            Property("version", Type.INT64, "1, 2, 3… per dispute.", required=True, minimum=1),
            Property("at", description="When, ISO 8601 in China time (+08:00).", required=True),
            Property("actor", description="Who acted: label:key, or System:timers."),
            Property("role", description="The workflow role they acted in."),
            Property("unit", description="The body they acted for: label:key."),
            Property("scope", description="Their jurisdiction: a division-code prefix."),
            Property("action", description="The action (queries/rules.toml [workflow])."),
            Property("from_state", description="The dispute's state before."),
            Property("to_state", description="The dispute's state after."),
            Property(
                "targets",
                description="The actors it sent to or summoned: a JSON list of label:key.",
                max_length=_JSON,
            ),
            Property("reason", description="The reason given.", mask=Mask.TEXT, max_length=4000),
            Property("idempotency_key", description="The caller's name for the request."),
            Property("fingerprint", description="A digest of the request, to tell replays."),
            Property(
                "data",
                description="What the action recorded (limits, outcome, rating…): JSON.",
                mask=Mask.TEXT,
                max_length=_JSON,
            ),
            SOURCE,
        ),
    ),
    NodeType(
        "Notification",
        "notifications",
        "id",
        "A notice the timers sent (pre-breach, breach, escalation): to whom, why and when.",
        (
            Property("id", description="The firing's key: sent once.", required=True),
            Property("dispute", description="The dispute's id.", required=True, max_length=64),
            Property("recipient", description="To whom: label:key."),
            Property("why", description="pre_breach, breach or escalated."),
            Property("clock", description="The clock it is about: name@version:who."),
            Property("at", description="When it was due to be sent, ISO 8601."),
            Property("due", description="The clock's due time, ISO 8601."),
            Property("delivered_at", description="When the gateway took it, ISO 8601."),
            SOURCE,
        ),
    ),
)

LOADED_LOGS = ("DisputeEvent", "LOGGED")  # the log types a file may hold

LOG_REL_TYPES: tuple[RelType, ...] = (
    _rel(
        "LOGGED",
        "logged",
        "A dispute's events (workflow/), one per version.",
        ("Dispute", "DisputeEvent"),
    ),
)


# -- provenance -------------------------------------------------------------------------------
# Written by the loaders (loaders/provenance.py) beside what they load: a record's `source` is
# the last to assert it, and a reload from another source must not lose the first. Keyed by
# text the loaders make; no file is loaded into these types and an export leaves them out.

PROVENANCE_NODE_TYPES: tuple[NodeType, ...] = (
    NodeType(
        "Load",
        "loads",
        "id",
        "One file read by one load: what it held (its digest) and what became of its rows.",
        (
            Property("id", description="A digest of <at>#<file>, 12 characters.", required=True),
            Property("file", description="The file's name (or a table's).", required=True),
            Property("digest", description="sha256 of the file's bytes, hex.", max_length=64),
            Property("at", description="When the load began, ISO 8601 in China time (+08:00)."),
            Property("read", Type.INT64, "Rows read.", minimum=0),
            Property("loaded", Type.INT64, "Rows loaded.", minimum=0),
            Property("rejected", Type.INT64, "Rows rejected.", minimum=0),
            Property("duplicates", Type.INT64, "Rows that repeated one loaded before.", minimum=0),
            Property(
                "repeats",
                description="The Load whose assertions this one made again (the same bytes as "
                "the last Load of the file, every row accepted by both): none were written.",
            ),
        ),
    ),
    NodeType(
        "Assertion",
        "assertions",
        "id",
        "One source's assertion of one record or relationship: the loads it first and last "
        "came in.",
        (
            Property(
                "id",
                description="What was asserted, <Label>:<key> for a record, <TYPE>:<rid> for a "
                "relationship; then U+001F and a digest of the source and the file.",
                required=True,
                max_length=500,
            ),
            Property("source", description="Who asserted it: the row's source.", max_length=300),
            Property(
                "first_load",
                description="The Load it first came in (when: its `at`).",
            ),
            Property(
                "last_load",
                description="The Load it last came in (when: its `at`; a Load that `repeats` "
                "it came later).",
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Schema:
    nodes: tuple[NodeType, ...] = NODE_TYPES
    rels: tuple[RelType, ...] = REL_TYPES
    log_nodes: tuple[NodeType, ...] = LOG_NODE_TYPES
    log_rels: tuple[RelType, ...] = LOG_REL_TYPES
    provenance: tuple[NodeType, ...] = PROVENANCE_NODE_TYPES
    _by_name: dict[str, NodeType | RelType] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        types: list[NodeType | RelType] = [*self.nodes, *self.rels]
        for t in types:
            name = t.label if isinstance(t, NodeType) else t.type
            self._by_name[name] = t
            self._by_name[t.file] = t
        logged: list[NodeType | RelType] = [*self.log_nodes, *self.log_rels]
        for t in logged:  # by file too where a file may hold them
            name = t.label if isinstance(t, NodeType) else t.type
            self._by_name[name] = t
            if name in LOADED_LOGS:
                self._by_name[t.file] = t
        for n in self.provenance:  # by label only: no file holds them
            self._by_name[n.label] = n

    @property
    def stored_nodes(self) -> tuple[NodeType, ...]:
        """Every node type the store holds: the loaded ones, the workflow's log, provenance."""
        return (*self.nodes, *self.log_nodes, *self.provenance)

    @property
    def stored_rels(self) -> tuple[RelType, ...]:
        return (*self.rels, *self.log_rels)

    def node(self, label: str) -> NodeType:
        found = self._by_name[label]
        assert isinstance(found, NodeType)
        return found

    def rel(self, type_: str) -> RelType:
        found = self._by_name[type_]
        assert isinstance(found, RelType)
        return found

    def by_file(self, stem: str) -> NodeType | RelType | None:
        return self._by_name.get(stem)

    @property
    def files(self) -> list[str]:
        return [n.file for n in self.nodes] + [r.file for r in self.rels]

    @property
    def loaded_files(self) -> list[str]:
        """Every file type the loaders read, in the order they load them: the node files, the
        log's events, the relationship files, the log's ties."""
        nodes = [n.file for n in self.log_nodes if n.label in LOADED_LOGS]
        rels = [r.file for r in self.log_rels if r.type in LOADED_LOGS]
        return [n.file for n in self.nodes] + nodes + [r.file for r in self.rels] + rels


SCHEMA = Schema()
