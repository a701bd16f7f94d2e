"""Business rules of the query library, read from `rules.toml` and validated.

`load_rules(county)` returns the defaults with the county's overrides merged in:

    rules = load_rules("330421")          # 嘉善's rules
    rules.level_limit("town")             # Limit(amount=15, unit="working_days")
    load_rules(path=Path("my_rules.toml"))  # another file (the API passes a settings value)

The file and its keys are documented in the file itself and in docs/queries.md. Every model
forbids unknown keys, so a misspelt key is an error naming it rather than a silent default.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from graph.schema import GRID_FIELDS, LEVELS
from queries.flow_rules import Limit as Limit  # the one form of a time limit, re-exported
from queries.flow_rules import WorkflowRules


class RulesError(ValueError):
    """The rules file cannot be read, or a value in it is invalid."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Levels(_Model):
    order: tuple[str, ...] = ("village", "town", "county", "city", "province")

    @field_validator("order")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in LEVELS]
        if unknown:
            raise ValueError(f"unknown levels {unknown}; the schema has {list(LEVELS)}")
        return value

    def rank(self, level: str) -> int | None:
        return self.order.index(level) if level in self.order else None


LevelLimit = Annotated[int, Field(ge=0)] | Limit
"""A rung's limit: a bare number of days (as the rules always said), or `{ amount, unit }`
with unit hours, working_days or days (the workflow's `Limit`)."""


class TimeLimits(_Model):
    grid: LevelLimit = 3
    village: LevelLimit = 7
    town: LevelLimit = 15
    county: LevelLimit = 30
    city: LevelLimit = 30
    province: LevelLimit = 30
    liaison: LevelLimit = 7
    industry: LevelLimit = 30

    def level(self, level: str, unit: str) -> Limit | None:
        """The limit at `level` (a unit level, grid, liaison or industry); None if unknown.

        A bare number is read in `unit`, a `{ amount, unit }` limit in its own unit. Every layer
        asks `Rules.level_limit`, which reads a bare number in the county's handling unit."""
        value = getattr(self, level, None) if level in type(self).model_fields else None
        if isinstance(value, Limit):
            return value
        return Limit(amount=value, unit=unit) if isinstance(value, int) else None


class Group(_Model):
    parties: int = Field(10, ge=2)
    warnings: tuple[str, ...] = ("red",)
    skip_local_mediation: bool = True
    item_marker: str = "群体性"


class Warnings(_Model):
    """Three-colour risk grading: the highest colour a trigger reaches (0 turns one off)."""

    red_parties: int = Field(10, ge=0)
    orange_parties: int = Field(0, ge=0)
    yellow_parties: int = Field(5, ge=0)
    red_visits: int = Field(0, ge=0)
    orange_visits: int = Field(3, ge=0)
    yellow_visits: int = Field(2, ge=0)
    visits_days: int = Field(365, ge=1)

    def colour(self, parties: int, visits: int = 0) -> str | None:
        """The colour of a dispute with `parties` parties, one of whom brought `visits`
        disputes within `visits_days` (this one included)."""
        for colour in ("red", "orange", "yellow"):
            by_parties, by_visits = (getattr(self, f"{colour}_{t}") for t in ("parties", "visits"))
            if (by_parties and parties >= by_parties) or (by_visits and visits >= by_visits):
                return colour
        return None


class Referral(_Model):
    item_class: str = "矛盾纠纷化解"
    mediation_kinds: tuple[str, ...] = ("people",)
    industry_kinds: tuple[str, ...] = ("industry",)
    court_function: str = "court"
    consultation_posts: tuple[str, ...] = ("首席调解员", "法律援助律师")
    # An urgent matter's arrival on site (003:56 景宁: 1 hour): the responsible department is
    # on site within it, a step of its own; None (the default) adds no such step.
    urgent_arrival: Limit | None = None


class PreCourtStep(_Model):
    """A step the law puts before a suit (劳动人事争议仲裁 for a labour dispute)."""

    name: str
    function: str  # the function of the department that holds it
    days: int = Field(ge=0)
    law: str

    @property
    def limit(self) -> Limit:
        """Its days as a limit (the law's periods are calendar days)."""
        return Limit(amount=self.days, unit="days")


class SeverityTier(_Model):
    """One tier of linkage by severity (景宁's 三级联动): the warning colours it takes ("none"
    for no warning) and who leads — the town (with the departments of `functions`), the
    department the list item names, or the county's center."""

    tier: int = Field(ge=1)
    warnings: tuple[str, ...]
    leads: Literal["town", "department", "county"]
    functions: tuple[str, ...] = ()


class Severity(_Model):
    tiers: tuple[SeverityTier, ...] = ()

    def tier(self, warning: str | None) -> SeverityTier | None:
        """The tier of a matter with this warning colour (None: no warning), if any."""
        return next((t for t in self.tiers if (warning or "none") in t.warnings), None)


class GridSize(_Model):
    """A basic grid's size rule (东营: about 300 households or 1000 residents)."""

    households: int = Field(300, ge=1)
    residents: int = Field(1000, ge=1)
    slack: float = Field(0.2, ge=0, lt=1)


class Weights(_Model):
    domain: float = Field(0.40, ge=0)
    locality: float = Field(0.25, ge=0)
    load: float = Field(0.15, ge=0)
    rating: float = Field(0.10, ge=0)
    availability: float = Field(0.10, ge=0)


class Locality(_Model):
    same_town: float = Field(1.0, ge=0, le=1)
    same_county: float = Field(0.6, ge=0, le=1)
    shared_pool: float = Field(0.3, ge=0, le=1)
    elsewhere: float = Field(0.0, ge=0, le=1)


class Experts(_Model):
    limit: int = Field(10, ge=1)
    include_shared: bool = True
    shared_pools: tuple[str, ...] = ()  # other counties' shared pools this county draws from
    load_cap: int = Field(5, ge=1)
    max_open: int = Field(8, ge=1)
    rating_default: float = Field(0.6, ge=0, le=1)
    weights: Weights = Weights()
    locality: Locality = Locality()


class Conflict(_Model):
    depth: int = Field(3, ge=1, le=3)
    related_kinds: tuple[str, ...] = ("family", "colleague")
    same_employer: bool = True
    same_party_branch: bool = True
    past_dispute: bool = True


class Rules(_Model):
    """Every rule, with the county whose overrides were merged in (None: the defaults)."""

    def level_limit(self, level: str) -> Limit | None:
        """A rung's limit at `level` (None if unknown), as the referral, the ladder and the
        workflow all count it: a bare number of days in `workflow.limits.handling_unit`, so a
        step has one due day wherever it is shown."""
        return self.time_limits.level(level, self.workflow.limits.handling_unit)

    def item_limit(self, days: int) -> Limit:
        """A responsibility-list item's `time_limit_days`, counted as `level_limit` counts a
        bare number: in `workflow.limits.handling_unit`."""
        return Limit(amount=days, unit=self.workflow.limits.handling_unit)

    def domains_for(self, category: str) -> tuple[str, ...]:
        """A category's own domain and the related ones the rules add."""
        return (category, *(d for d in self.related_domains.get(category, ()) if d != category))

    def pre_court_for(self, category: str) -> tuple[PreCourtStep, ...]:
        """The statutory steps before a suit for a category (or a related domain), in order."""
        steps: dict[str, PreCourtStep] = {}
        for domain in self.domains_for(category):
            for step in self.pre_court.get(domain, ()):
                steps.setdefault(step.name, step)
        return tuple(steps.values())

    def fields_for(self, category: str) -> tuple[str, ...]:
        """The professional-grid fields that answer for a category (or a related domain)."""
        domains = set(self.domains_for(category))
        return tuple(f for f, ds in self.professional_fields.items() if domains & set(ds))

    @field_validator("professional_fields")
    @classmethod
    def _fields(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        unknown = [f for f in value if f not in GRID_FIELDS]
        if unknown:
            raise ValueError(f"unknown grid fields {unknown}; the schema has {list(GRID_FIELDS)}")
        return value

    county: str | None = None
    levels: Levels = Levels()
    time_limits: TimeLimits = TimeLimits()
    group: Group = Group()
    related_domains: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    professional_fields: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    pre_court: dict[str, tuple[PreCourtStep, ...]] = Field(default_factory=dict)
    grid_size: GridSize = GridSize()
    severity: Severity = Severity()
    warnings: Warnings = Warnings()
    referral: Referral = Referral()
    experts: Experts = Experts()
    conflict: Conflict = Conflict()
    workflow: WorkflowRules = WorkflowRules()


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read(path: Path | None) -> dict[str, Any]:
    try:
        if path is None:
            text = resources.files("queries").joinpath("rules.toml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(
            f"cannot read the rules file {path or 'queries/rules.toml'}: {exc}"
        ) from exc


def county_code(code: str) -> str:
    """The 6-digit county code of a 12-digit unit code or a key such as ``330421-G0001``."""
    return code[:6]


KEPT_RULES = 256
"""Counties whose rules are kept: a caller's place or key picks the county, so the rules are
kept by its 6-digit code and the least recent go first, however many different ones come."""


def load_rules(county: str | None = None, path: Path | None = None) -> Rules:
    """The rules for `county` (6-digit code, or any code or key starting with it): the file's
    defaults with its `[county."<code>"]` table merged over them. `path` reads another file
    instead of the packaged `queries/rules.toml`."""
    return _county_rules(county_code(county) if county else None, path)


@lru_cache(maxsize=KEPT_RULES)
def _county_rules(code: str | None, path: Path | None) -> Rules:
    data = _read(path)
    overrides = data.pop("county", {})
    if not isinstance(overrides, dict):
        raise RulesError("[county] must hold one table per county code")
    for other, table in overrides.items():  # a bad override fails whichever county asks
        if not isinstance(table, dict):
            raise RulesError(f'[county."{other}"] must be a table')
        _validate(_merge(data, table), f"county {other}", path)
    merged = _merge(data, overrides[code]) if code and code in overrides else data
    return _validate({**merged, "county": code}, "defaults", path)


def _validate(data: dict[str, Any], where: str, path: Path | None) -> Rules:
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            ".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in exc.errors()
        )
        raise RulesError(
            f"invalid rules ({where}, {path or 'queries/rules.toml'}): {problems}"
        ) from exc
