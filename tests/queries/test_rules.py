"""The rules file: documented defaults, county overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from queries import rules
from queries.flow_rules import Limit
from queries.rules import Rules, RulesError, load_rules


def test_the_defaults_are_the_documented_ones() -> None:
    rules = load_rules()
    assert rules.county is None
    # a bare number is days in the handling unit, for the ladder as for the workflow
    assert rules.workflow.limits.handling_unit == "working_days"
    assert rules.level_limit("grid") == Limit(amount=3, unit="working_days")
    assert rules.item_limit(15) == Limit(amount=15, unit="working_days")
    assert rules.time_limits.level("town", "days") == Limit(amount=15, unit="days")
    assert rules.level_limit("nowhere") is None
    assert rules.level_limit("level") is None  # a method's name is no level
    assert rules.referral.urgent_arrival is None  # no seed gives one for every county
    assert (rules.group.parties, rules.group.warnings) == (10, ("red",))
    assert rules.conflict.depth == 3
    assert rules.experts.weights.domain == 0.40
    assert rules.domains_for("wages") == ("wages", "labour")
    assert rules.domains_for("medical") == ("medical",)
    assert rules.warnings.colour(12) == "red"
    assert rules.warnings.colour(6) == "yellow"
    assert rules.warnings.colour(2) is None
    assert rules.levels.rank("town") == 1
    assert rules.fields_for("wages") == ("labour_inspection",)
    assert rules.fields_for("medical") == ()
    assert [(s.name, s.function, s.days) for s in rules.pre_court_for("wages")] == [
        ("劳动人事争议仲裁", "labour", 45)
    ]
    assert rules.pre_court_for("medical") == ()


def test_a_county_overrides_only_what_it_names() -> None:
    jingning, default = load_rules("331127"), load_rules()
    assert jingning.county == "331127"
    assert jingning.time_limits.liaison == 10
    assert jingning.time_limits.model_copy(update={"liaison": 7}) == default.time_limits
    assert load_rules("331127-G0294") == jingning  # any key starting with the code
    assert load_rules("330421").time_limits == default.time_limits
    # seeds/003_e207cda1d8a07614.txt:56: 派驻责任人必须在接到指令后1个小时内到达现场
    assert jingning.referral.urgent_arrival == Limit(amount=1, unit="hours")
    assert jingning.referral.model_copy(update={"urgent_arrival": None}) == default.referral


def test_a_rung_takes_a_limit_in_hours_or_working_days(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[time_limits]\ngrid = { amount = 4, unit = "hours" }\n'
        'town = { amount = 10, unit = "working_days" }\n',
    )
    rules = load_rules(path=path)
    assert rules.level_limit("grid") == Limit(amount=4, unit="hours")
    assert rules.time_limits.level("town", "days") == Limit(amount=10, unit="working_days")
    assert rules.level_limit("village") == Limit(amount=7, unit="working_days")
    bad = tmp_path / "minutes.toml"
    bad.write_text('[time_limits]\ngrid = { amount = 4, unit = "minutes" }\n', encoding="utf-8")
    with pytest.raises(RulesError, match=r"time_limits\.grid"):
        load_rules(path=bad)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_another_file_can_be_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[conflict]\ndepth = 2\n[county."320506"]\nexperts = { weights = { rating = 0.5 } }\n',
    )
    rules = load_rules("320506", path=path)
    assert rules.conflict.depth == 2
    assert rules.experts.weights.rating == 0.5
    assert rules.experts.weights.domain == 0.40  # nested tables merge key by key
    assert isinstance(rules, Rules)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[conflict]\ndepth = 4\n", r"conflict\.depth: Input should be less than or equal to 3"),
        ("[conflict]\ndepht = 2\n", r"conflict\.depht: Extra inputs are not permitted"),
        ("[time_limits]\ntown = -1\n", r"time_limits\.town"),
        ('[levels]\norder = ["village", "hamlet"]\n', "unknown levels"),
        ('[county."331127"]\ngroup = { parties = "ten" }\n', r"county 331127.*group\.parties"),
        ("[conflict\n", "cannot read the rules file"),
        ('[professional_fields]\nsafety = ["wages"]\n', "unknown grid fields"),
        (
            '[severity]\ntiers = [{ tier = 1, warnings = ["red"], leads = "city" }]\n',
            r"severity\.tiers\.0\.leads",
        ),
        (
            '[pre_court]\nlabour = [{ name = "仲裁", days = 45 }]\n',
            r"pre_court\.labour\.0\.function",
        ),
    ],
)
def test_a_bad_value_is_an_error_naming_its_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(RulesError, match=message):
        load_rules(path=_write(tmp_path, text))


def test_rules_are_kept_per_county_and_only_so_many() -> None:
    # A caller's place or dispute key picks the county: rules are kept by its 6-digit code,
    # and a stream of different codes keeps at most KEPT_RULES of them.
    rules._county_rules.cache_clear()
    assert load_rules("330421-G0001") is load_rules("330421001001-G01")
    assert load_rules("330421-G0001").county == "330421"
    for n in range(rules.KEPT_RULES + 50):
        assert load_rules(f"{900000 + n}-G0001").county == str(900000 + n)
    assert rules._county_rules.cache_info().currsize == rules.KEPT_RULES
    assert load_rules("330421").county == "330421"  # the one let go is read again
