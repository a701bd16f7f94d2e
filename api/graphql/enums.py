"""GraphQL enums for every property the schema gives a closed set of values (`choices`).

They are written out so the SDL is static and typed; `CHOICES` ties each one to the schema
property it stands for, and a test keeps their values equal to the schema's choices.
"""

from __future__ import annotations

from enum import Enum, StrEnum

import strawberry

from api.graphql.fields import declared


def _about(owner: str, prop: str) -> str:
    return declared(owner, prop).description


@strawberry.enum(description="Level of an administrative unit, or of the body serving it.")
class Level(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"


@strawberry.enum(description=_about("PartyOrg", "level"))
class PartyOrgLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"
    GRID = "grid"
    RESIDENTIAL_AREA = "residential_area"
    BUILDING = "building"


@strawberry.enum(description=_about("Grid", "kind"))
class GridKind(StrEnum):
    BASIC = "basic"
    DEDICATED = "dedicated"
    PROFESSIONAL = "professional"
    MICRO = "micro"
    OUT_OF_COUNTY = "out_of_county"


@strawberry.enum(description=_about("Grid", "field"))
class GridField(StrEnum):
    WORK_SAFETY = "work_safety"
    FIRE_SAFETY = "fire_safety"
    ENVIRONMENT = "environment"
    LABOUR_INSPECTION = "labour_inspection"


@strawberry.enum(description=_about("Person", "gender"))
class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


@strawberry.enum(description=_about("PartyOrg", "kind"))
class PartyOrgKind(StrEnum):
    COMMITTEE = "committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"
    GROUP = "group"
    BUILDING_GROUP = "building_group"


@strawberry.enum(description=_about("Center", "kind"))
class CenterKind(StrEnum):
    MEDIATION = "mediation"
    COMMAND = "command"
    LINKAGE = "linkage"
    COMMAND_ROOM = "command_room"
    GRID_SERVICE = "grid_service"


@strawberry.enum(description=_about("MediationOrg", "kind"))
class MediationOrgKind(StrEnum):
    PEOPLE = "people"
    INDUSTRY = "industry"
    STUDIO = "studio"
    LAWYER = "lawyer"
    CHAMBER = "chamber"
    ELDERS = "elders"


@strawberry.enum(description=_about("Organisation", "kind"))
class OrganisationKind(StrEnum):
    ENTERPRISE = "enterprise"
    SOCIAL = "social"
    CHAMBER = "chamber"
    VOLUNTEER = "volunteer"
    INSTITUTION = "institution"


@strawberry.enum(description=_about("Dispute", "channel"))
class DisputeChannel(StrEnum):
    GRID_WORKER = "grid_worker"
    APP = "app"
    HOTLINE = "hotline"
    VIDEO = "video"
    VISIT = "visit"
    DEPARTMENT = "department"


@strawberry.enum(description="A step of the dispute flow (Suzhou's eight steps).")
class DisputeStep(StrEnum):
    DISCOVERED = "discovered"
    ACCEPTED = "accepted"
    ROUTED = "routed"
    HANDLING = "handling"
    TRACKING = "tracking"
    SUPERVISING = "supervising"
    FEEDBACK = "feedback"
    EVALUATED = "evaluated"


@strawberry.enum(description="How a dispute ended; empty while it is open.")
class DisputeOutcome(StrEnum):
    SETTLED = "settled"
    UNSETTLED = "unsettled"
    WITHDRAWN = "withdrawn"
    LITIGATED = "litigated"


@strawberry.enum(description=_about("Dispute", "settled_level"))
class SettledLevel(StrEnum):
    GRID = "grid"
    VILLAGE = "village"
    TOWN = "town"
    COUNTY = "county"
    COURT = "court"


@strawberry.enum(description=_about("Dispute", "warning"))
class Warning(StrEnum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"


@strawberry.enum(
    description="A role on a grid: HEAD 网格长, INSTRUCTOR 网格指导员, FULL_TIME 专职网格员, "
    "PART_TIME 兼职网格员, INSPECTOR 专业网格监管员 (一格两员), and on a micro-grid "
    "COORDINATOR 协管员 and ASSESSOR 评议员."
)
class GridRole(StrEnum):
    HEAD = "head"
    INSTRUCTOR = "instructor"
    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    INSPECTOR = "inspector"
    COORDINATOR = "coordinator"
    ASSESSOR = "assessor"


@strawberry.enum(description=_about("PARTY_TO", "side"))
class Side(StrEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"


CHOICES: dict[tuple[str, str], type[Enum]] = {
    ("Unit", "level"): Level,
    ("Grid", "kind"): GridKind,
    ("Grid", "field"): GridField,
    ("Grid", "unit_level"): Level,
    ("Person", "gender"): Gender,
    ("PartyOrg", "kind"): PartyOrgKind,
    ("PartyOrg", "level"): PartyOrgLevel,
    ("Department", "level"): Level,
    ("Center", "kind"): CenterKind,
    ("Center", "level"): Level,
    ("MediationOrg", "kind"): MediationOrgKind,
    ("MediationOrg", "level"): Level,
    ("Organisation", "kind"): OrganisationKind,
    ("Dispute", "channel"): DisputeChannel,
    ("Dispute", "status"): DisputeStep,
    ("Dispute", "outcome"): DisputeOutcome,
    ("Dispute", "settled_level"): SettledLevel,
    ("Dispute", "warning"): Warning,
    ("SERVES_IN", "role"): GridRole,
    ("HANDLED", "step"): DisputeStep,
    ("PARTY_TO", "side"): Side,
}
"""(node label or relationship type, property) → the enum of its choices."""


# -- sorting --------------------------------------------------------------------------------


@strawberry.enum(description="Sort direction.")
class Direction(StrEnum):
    ASC = "asc"
    DESC = "desc"


@strawberry.enum(description="What a list is sorted by; ties are broken by id.")
class NameOrder(StrEnum):
    ID = "id"
    NAME = "name"


@strawberry.enum(description="What a list is sorted by; ties are broken by code.")
class CodeOrder(StrEnum):
    CODE = "code"
    NAME = "name"


@strawberry.enum(description="What a list of grids is sorted by; ties are broken by id.")
class GridOrder(StrEnum):
    ID = "id"
    NAME = "name"
    LEVEL = "level"


@strawberry.enum(description="What a list of people is sorted by.")
class PersonOrder(StrEnum):
    ID = "id"


@strawberry.enum(description="What a list of disputes is sorted by; ties are broken by id.")
class DisputeOrder(StrEnum):
    ID = "id"
    REPORTED_ON = "reported_on"


# -- what each value means, for GraphiQL and code generators ------------------------------

SORT_KEYS: dict[tuple[type[Enum], str], str] = {
    (Direction, "asc"): "Ascending: smallest first (A before B, the earlier day first).",
    (Direction, "desc"): "Descending: largest first (B before A, the later day first).",
    (NameOrder, "id"): "By id.",
    (NameOrder, "name"): "By name, in Unicode code-point order (not by pinyin).",
    (CodeOrder, "code"): "By division code.",
    (CodeOrder, "name"): "By name, in Unicode code-point order (not by pinyin).",
    (GridOrder, "id"): "By grid id.",
    (GridOrder, "name"): "By name, in Unicode code-point order (not by pinyin).",
    (GridOrder, "level"): "By grid level.",
    (PersonOrder, "id"): "By person id (people are never sorted on personal data).",
    (DisputeOrder, "id"): "By dispute id.",
    (DisputeOrder, "reported_on"): "By the day the dispute was reported.",
}


def _describe_values() -> None:
    """Each value described: a property's choices by the Chinese names a loaded file may give
    it (graph/schema.py's `names`), the sort keys by `SORT_KEYS`."""
    named: dict[tuple[type[Enum], str], list[str]] = {}
    for (owner, prop), enum in CHOICES.items():
        for name, choice in declared(owner, prop).names:
            given = named.setdefault((enum, choice), [])
            if name not in given:
                given.append(name)
    enums: set[type[Enum]] = {*CHOICES.values(), *(e for e, _ in SORT_KEYS)}
    for enum in enums:
        for value in enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
            names = named.get((enum, value.value))
            value.description = SORT_KEYS.get((enum, value.value)) or (
                f"`{value.value}` in loaded files, or " + "、".join(names) if names else None
            )


_describe_values()
