"""Chinese input as people write it: dates, mobile numbers, the names of choices, categories and
places. Each function takes one whole value and gives the form the graph keeps, or raises
ValueError saying why not (the loaders add where); the CLI and GraphQL can call them alike.

- dates: 2021-03-01, 2021/3/1, 2021.3.1, 2021年3月1日 (or 号), 二〇二一年三月一日, 20210301;
- mobile numbers: 13812345678 with +86, 0086 or 86 before it, spaces, hyphens or brackets in it;
- choices: the schema's Chinese names (网格长 for `head`, 男 for `male`: `graph.schema`);
- categories and places, by name, against what the graph holds (`Vocabulary`): 医疗纠纷 for
  `medical`, 姚庄镇 for 330421111000, 嘉善县姚庄镇武长村 when a name alone is not enough. An
  ambiguous name is an error that lists the candidates with their codes.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from graph.backend import Backend
from graph.places import DivisionCode, NotADivisionCode
from graph.schema import Property
from loaders.checks import DIVISION_CODE, MOBILE

# -- dates --------------------------------------------------------------------------------------

_NUMERIC = re.compile(r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})[日号]?)")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_CHINESE_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "O": 0}
_SMALL = "[一二三四五六七八九十]{1,3}"
_WRITTEN = re.compile(f"([〇零○O一二三四五六七八九]{{4}})年({_SMALL})月({_SMALL})[日号]?")
DATE_FORMS = "2021-03-01, 2021/3/1, 2021.3.1, 2021年3月1日 or 二〇二一年三月一日"


def _small_number(text: str) -> int:
    """一 to 三十一 as written in dates: 十 10, 十二 12, 二十 20, 三十一 31."""
    if "十" not in text:
        if len(text) != 1:
            raise ValueError(f"{text!r} is not a number of a month or a day")
        return _CHINESE_DIGITS[text]
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or not set(tens + ones) <= set("一二三四五六七八九"):
        raise ValueError(f"{text!r} is not a number of a month or a day")
    return (_CHINESE_DIGITS[tens] if tens else 1) * 10 + (_CHINESE_DIGITS[ones] if ones else 0)


def parse_date(text: str) -> date:
    """The day `text` names, in any of `DATE_FORMS` (or YYYYMMDD)."""
    value = text.strip()
    parts: tuple[int, int, int] | None = None
    if match := _NUMERIC.fullmatch(value):
        year, month, day = match[1], match[2] or match[4], match[3] or match[5]
        parts = int(year), int(month), int(day)
    elif match := _COMPACT.fullmatch(value):
        parts = int(match[1]), int(match[2]), int(match[3])
    elif match := _WRITTEN.fullmatch(value):
        year = int("".join(str(_CHINESE_DIGITS[c]) for c in match[1]))
        parts = year, _small_number(match[2]), _small_number(match[3])
    if parts is None:
        raise ValueError(f"expected a date such as {DATE_FORMS}")
    try:
        return date(*parts)
    except ValueError as exc:
        raise ValueError(f"not a real date: {exc}") from None


# -- mobile numbers -----------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\u3000\-‐–—()（）]")
_FULL_WIDTH_PLUS = str.maketrans({"＋": "+", "－": "-"})
MOBILE_RULE = (
    "a mobile number is 11 digits starting 13–19 (+86 or 0086 before it, and spaces or "
    "hyphens in it, are fine)"
)


def mobile(text: str) -> str:
    """The 11 digits of a mainland mobile number written as people write it:
    '+86 138 1234 5678', '0086-13812345678', '(86) 13812345678', '138-1234-5678'."""
    digits = _SEPARATORS.sub("", text.translate(_FULL_WIDTH_PLUS))
    if digits.startswith(("+86", "0086")):
        digits = digits.removeprefix("+86").removeprefix("0086")
    elif digits.startswith(("+", "00")):
        raise ValueError(f"{text!r} is not a mainland number: {MOBILE_RULE}")
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not MOBILE.fullmatch(digits):
        raise ValueError(MOBILE_RULE)
    return digits


# -- choices ------------------------------------------------------------------------------------


def choice(p: Property, text: str) -> str:
    """The choice of `p` that `text` is or names (网格长 → head); ValueError listing them all."""
    found = p.choice(text.strip())
    if found is not None:
        return found
    # 网格员 is part of the names of three roles: offer each, rather than the nearest string
    within: dict[str, str] = {}
    for name, of in p.names:
        if text and text in name:
            within.setdefault(of, name)
    if within:
        hint = "; did you mean " + " or ".join(f"{n} ({c})" for c, n in within.items()) + "?"
    else:
        names = [*p.choices, *(name for name, _ in p.names)]
        close = difflib.get_close_matches(text, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(
        f"{c} ({'/'.join(n for n, of in p.names if of == c)})" if p.names else c for c in p.choices
    )
    raise ValueError(f"not one of {listed}{hint}")


# -- categories and places ------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A unit as the vocabulary knows it: code, official name, level and parent's code."""

    code: str
    name: str
    level: str
    parent: str | None


# Suffixes of official village-level names and the word people keep in their place:
# 武长村委会 is written 武长村, 日晖社区居民委员会 日晖社区.
_COMMITTEES = (
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
)
_PATH_SEPARATORS = re.compile(r"[\s\u3000/／·›>＞,，、]")
_CATEGORY_SUFFIXES = ("纠纷", "争议", "矛盾")
LOOKED_UP = ("Unit", "Domain")  # endpoint labels whose keys a value may give by name


def everyday_name(name: str) -> str:
    """A village committee's official name as people say it: 武长村委会 → 武长村, 一村村委会 →
    一村, 曹家村村民委员会 → 曹家村, 日晖社区居民委员会 → 日晖社区; any other name as it is."""
    for suffix, word in _COMMITTEES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            return base if base.endswith(word) else base + word
    return name


def short_names(name: str) -> set[str]:
    """The names a unit goes by: its official name, its everyday name and, for 一村村委会, 一村村
    too (the committee's name with 村 for 村委会, as some tables write it)."""
    names = {name, everyday_name(name)}
    for suffix, word in _COMMITTEES:
        if name.endswith(suffix) and len(name) > len(suffix):
            names.add(name[: -len(suffix)] + word)
            break
    return names


def _core(name: str) -> str:
    for suffix in _CATEGORY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


class Vocabulary:
    """The categories (Domain code → name) and places (units) a value may name, with the
    lookups that turn a name into its key."""

    def __init__(self, domains: Mapping[str, str], units: Iterable[Place]) -> None:
        self.domains = dict(domains)
        self.units = {u.code: u for u in units}
        self._by_name: dict[str, list[str]] = defaultdict(list)
        for unit in self.units.values():
            for name in short_names(unit.name):
                self._by_name[name].append(unit.code)

    @classmethod
    def from_graph(cls, backend: Backend) -> Vocabulary:
        domains = backend.read("MATCH (d:Domain) RETURN d.code AS code, d.name AS name")
        units = backend.read(
            "MATCH (u:Unit) OPTIONAL MATCH (u)-[:PART_OF]->(p:Unit) "
            "RETURN u.code AS code, u.name AS name, u.level AS level, p.code AS parent"
        )
        return cls({d["code"]: d["name"] or "" for d in domains}, (Place(**u) for u in units))

    def key(self, label: str, text: str) -> str:
        """The key of the `label` node (Unit or Domain) that `text` is or names."""
        if label == "Unit":
            return self.place(text)
        if label == "Domain":
            return self.category(text)
        raise ValueError(f"{label} is not looked up by name; give its key")

    # -- categories -------------------------------------------------------------------------

    def category(self, text: str) -> str:
        """The Domain code `text` is or names: medical, 医疗纠纷, 医疗, and 交通事故 for
        道路交通事故纠纷 (a part of one name only)."""
        value = text.strip()
        if value in self.domains:
            return value
        named = [code for code, name in self.domains.items() if name == value]
        core = _core(value)
        named = named or [code for code, name in self.domains.items() if _core(name) == core]
        if not named and len(core) >= 2:
            named = [code for code, name in self.domains.items() if core in name]
        if len(named) == 1:
            return named[0]
        listed = ", ".join(f"{self.domains[c]} ({c})" for c in sorted(named))
        if named:
            raise ValueError(f"{value!r} could be any of {listed}: give the category's code")
        close = difflib.get_close_matches(value, self.domains.values(), n=3, cutoff=0.4)
        hint = "; did you mean " + " or ".join(close) + "?" if close else ""
        raise ValueError(
            f"{value!r} is neither the code nor the name of a category in the graph{hint} "
            f"(the categories: {', '.join(f'{n} ({c})' for c, n in sorted(self.domains.items()))})"
        )

    # -- places -----------------------------------------------------------------------------

    def place(self, text: str) -> str:
        """The 12-digit code of the unit `text` is or names: a code (330421 pads to
        330421000000), a name (姚庄镇, 武长村) or a name after those of units above it
        (嘉善县姚庄镇, 嘉善县 武长村)."""
        value = text.strip()
        if value.isascii() and value.isdigit():
            return self._code(value)
        # A committee by its everyday name: the table writes 居委会 for one county and 居民委员会
        # for the next, and an office either.
        wanted = everyday_name(_PATH_SEPARATORS.sub("", value))
        found = sorted(code for code in self._ends_with(wanted) if self._fits(code, wanted))
        if len(found) == 1:
            return found[0]
        if found:
            listed = "; ".join(f"{code} {self.where(code)}" for code in found)
            raise ValueError(
                f"{value!r} names {len(found)} places: {listed}. Give the code, or the name after "
                f"that of its county or town (e.g. {self._qualified(found[0])!r})"
            )
        close = difflib.get_close_matches(wanted, self._by_name, n=3, cutoff=0.6)
        hint = "; did you mean " + " or ".join(close) + "?" if close else ""
        raise ValueError(f"no place in the graph is named {value!r}{hint}")

    def where(self, code: str) -> str:
        """A unit's name with those of the units above it: 姚庄镇 (浙江省 嘉兴市 嘉善县)."""
        unit = self.units[code]
        chain: list[str] = []
        parent = unit.parent
        while parent in self.units:
            chain.insert(0, self.units[parent].name)
            parent = self.units[parent].parent
        return f"{unit.name} ({' '.join(chain)})" if chain else unit.name

    def _code(self, digits: str) -> str:
        """A 12-digit code, loaded or not (the loader says if it is unknown), or a unit's
        significant prefix (330421), which must name a unit in the graph."""
        try:
            code = DivisionCode.parse(digits)
        except NotADivisionCode:
            code = None
        if code is not None and (len(digits) == 12 or code.full in self.units):
            return code.full
        raise ValueError(f"{digits!r} is not a division code of a unit in the graph")

    def _ends_with(self, text: str) -> set[str]:
        """Units one of whose names ends `text`."""
        return {code for k in range(1, len(text) + 1) for code in self._by_name.get(text[-k:], ())}

    def _fits(self, code: str, text: str) -> bool:
        """Whether `text` is a name of the unit after names of units above it, in order."""
        rest = next(
            (
                text[: -len(n)]
                for n in sorted(short_names(self.units[code].name), key=len, reverse=True)
                if text.endswith(n)
            ),
            None,
        )
        parent = self.units[code].parent
        while rest and parent in self.units:
            for name in sorted(short_names(self.units[parent].name), key=len, reverse=True):
                if rest.endswith(name):
                    rest = rest[: -len(name)]
                    break
            parent = self.units[parent].parent
        return rest == ""

    def _qualified(self, code: str) -> str:
        unit = self.units[code]
        parent = self.units.get(unit.parent or "")
        shortest = min(short_names(unit.name), key=len)
        return f"{parent.name}{shortest}" if parent else shortest


def looked_up(label: str, text: str) -> bool:
    """Whether an endpoint value of `label` needs the vocabulary: a Unit that is not a 12-digit
    code, a Domain written in Chinese."""
    if label == "Unit":
        return not DIVISION_CODE.fullmatch(text)
    return label == "Domain" and not text.isascii()
