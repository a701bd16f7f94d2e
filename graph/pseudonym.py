"""Stable pseudonyms for researchers, and the privacy policy every way out of the graph applies.

A researcher sees a keyed pseudonym in place of a name, mobile number or ID number:

    pseudonym("张三", key, Mask.NAME)            -> "人-3f9a1c2b7d04"
    pseudonym("13812341234", key, Mask.MOBILE)   -> "M-81c0d2a95e17"
    pseudonym("33042119800101123X", key, Mask.ID_NUMBER) -> "ID-0b6e4f1d92a3"

The pseudonym is HMAC-SHA256 of the kind and the value under a deployment secret (the key),
cut to 12 hex digits (48 bits: among a million distinct values, the chance of any two sharing
a pseudonym is about 1 in 500). The same value gives the same pseudonym in every query and
every export made with the same key, so counts, joins and network measures still work; without
the key nobody can compute it, so it is not a dictionary look-up away as a plain hash of an
11-digit mobile number would be. Rotating the key breaks linkage with earlier results, which is
how a study is closed.

Under PIPL pseudonymised (去标识化) data is still personal information: whoever holds the key
and the raw graph can re-identify. Keep the key with the deployment's other secrets, never with
the exported data.

`Privacy` is the policy: raw (admin), masked with `graph.masking` (viewer, mediator, and a
researcher without a key), or pseudonymised (researcher with a key). It transforms records
from the schema's `Mask` flags (`Privacy.apply`). Ad-hoc Cypher is not transformed after the
fact: it runs on a copy of the graph made with this policy (`graph.research_copy`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from graph.masking import mask
from graph.schema import SCHEMA, Mask, Schema

PREFIXES: dict[Mask, str] = {
    Mask.NAME: "人-",
    Mask.MOBILE: "M-",
    Mask.ID_NUMBER: "ID-",
    Mask.TEXT: "文-",
}
DIGITS = 12  # hex digits kept of the HMAC
MIN_KEY_BYTES = 16
KEY_ENV = "GOVGRAPH_PSEUDONYM_KEY"

# A mobile number, with the separators and +86 people write: 13812341234, 138-1234-1234,
# +86 138 1234 1234. Not inside a longer run of digits (a 12-digit division code is not one).
_MOBILE = r"(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}"
# A resident ID number: 17 digits and a digit or X. The check digit is not checked: a mistyped
# ID number is still personal data.
_ID_NUMBER = r"\d{17}[\dXx]"
_EMBEDDED = re.compile(
    r"(?<![0-9A-Za-z])(?:(?P<id>" + _ID_NUMBER + r")|(?P<mobile>" + _MOBILE + r"))(?![0-9A-Za-z])"
)
# Every text `_EMBEDDED` matches has four digits in a row (RE2 syntax; Python's `\d` is any
# Unicode decimal digit, and so is `\p{Nd}`): the texts without them need no scrubbing.
_FOUR_DIGITS = r"\p{Nd}{4}"
_HAS_FOUR_DIGITS = re.compile(r"\d{4}")  # the same test for one text


class _AsAscii(dict[int, str]):
    """For `str.translate`: any decimal digit (a full-width １, an Arabic-Indic ٣) as its ASCII
    digit, and the full-width ＋, －, Ｘ and ｘ as theirs; every other character as it is.
    One character for one, so a match in the translation is a match at the same place in the
    text: a number typed with a Chinese input method's full-width digits is found too."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        found = str(unicodedata.decimal(char)) if char.isdecimal() else _WIDE.get(char, char)
        self[code] = found
        return found


_WIDE = {"＋": "+", "－": "-", "Ｘ": "X", "ｘ": "x"}
_AS_ASCII = _AsAscii()


class PseudonymKeyError(ValueError):
    """The pseudonym key is missing or too short to be a secret."""


def check_key(key: bytes) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(
            f"a pseudonym key needs at least {MIN_KEY_BYTES} bytes (give 64 hex digits, as "
            f"made by graph.pseudonym.new_key()); this one has {len(key)}"
        )
    return key


def key_from_text(text: str) -> bytes:
    """The key a setting holds: hex digits (as `new_key` makes) are decoded, any other text is
    used as its UTF-8 bytes."""
    text = text.strip()
    if len(text) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", text):
        return check_key(bytes.fromhex(text))
    return check_key(text.encode("utf-8"))


def new_key() -> str:
    """A fresh random key as 64 hex digits, for `GOVGRAPH_PSEUDONYM_KEY`."""
    return secrets.token_hex(32)


def _normal(value: str, kind: Mask) -> str:
    """The form a value is pseudonymised in, so that one number written two ways links."""
    value = value.strip().translate(_AS_ASCII)
    if kind is Mask.MOBILE:
        digits = re.sub(r"\D", "", value)
        return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
    if kind is Mask.ID_NUMBER:
        return value.upper()
    return value


def pseudonym(value: str, key: bytes, kind: Mask) -> str:
    """The stable pseudonym of `value` under `key`: a prefix for its kind and 12 hex digits."""
    message = kind.value.encode("ascii") + b"\x1f" + _normal(value, kind).encode("utf-8")
    digest = hmac.new(check_key(key), message, hashlib.sha256).hexdigest()
    return PREFIXES[kind] + digest[:DIGITS]


class View(StrEnum):
    RAW = "raw"
    MASKED = "masked"
    PSEUDONYMISED = "pseudonymised"


ROLES = ("viewer", "mediator", "researcher", "admin")


def _masked_properties(schema: Schema) -> dict[str, dict[str, Mask]]:
    found: dict[str, dict[str, Mask]] = {}
    for n in schema.nodes:
        masks = {p.name: p.mask for p in n.properties if p.mask is not None}
        if masks:
            found[n.label] = masks
    return found


@dataclass(frozen=True)
class Privacy:
    """How personal data leaves the graph: raw, masked or pseudonymised."""

    view: View
    key: bytes | None = field(default=None, repr=False)
    schema: Schema = field(default=SCHEMA, repr=False, compare=False)
    _masks: dict[str, dict[str, Mask]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_masks", _masked_properties(self.schema))
        if self.view is View.PSEUDONYMISED:
            if self.key is None:
                raise PseudonymKeyError("pseudonyms need a key (GOVGRAPH_PSEUDONYM_KEY)")
            check_key(self.key)

    @classmethod
    def raw(cls) -> Privacy:
        return cls(View.RAW)

    @classmethod
    def masked(cls) -> Privacy:
        return cls(View.MASKED)

    @classmethod
    def pseudonymised(cls, key: bytes) -> Privacy:
        return cls(View.PSEUDONYMISED, key)

    @classmethod
    def for_role(cls, role: str, key: bytes | None = None) -> Privacy:
        """admin: raw; researcher: pseudonymised with a key, masked without one; viewer and
        mediator: masked (a mediator's jurisdiction is the API's business, not this policy's:
        here it fails closed)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        if role == "admin":
            return cls.raw()
        if role == "researcher" and key is not None:
            return cls.pseudonymised(key)
        return cls.masked()

    # -- single values --------------------------------------------------------------------

    def value(self, kind: Mask, value: Any) -> Any:
        """`value` as this policy shows a property of kind `kind`.

        None stays None; a list is transformed item by item. Numbers in a mobile or ID column
        (`toInteger(p.mobile)`) are transformed as text; other non-text values (a count of
        names) are left as they are.
        """
        if self.view is View.RAW or value is None:
            return value
        if isinstance(value, list):
            return [self.value(kind, v) for v in value]
        if isinstance(value, int) and not isinstance(value, bool):
            if kind not in (Mask.MOBILE, Mask.ID_NUMBER):
                return value
            value = str(value)
        if not isinstance(value, str):
            return value
        if self.view is View.MASKED or kind is Mask.TEXT:
            # Free text may name people anywhere in it: withheld for researchers too.
            return mask(kind, value)
        assert self.key is not None
        return pseudonym(value, self.key, kind)

    def scrub(self, text: str) -> str:
        """`text` with every mobile or ID number inside it transformed."""
        if self.view is View.RAW or not _HAS_FOUR_DIGITS.search(text):
            return text  # most texts: no translation, no match
        parts, end = [], 0
        for match in _EMBEDDED.finditer(text.translate(_AS_ASCII)):
            kind = Mask.ID_NUMBER if match["id"] else Mask.MOBILE
            parts += [
                text[end : match.start()],
                str(self.value(kind, text[match.start() : match.end()])),
            ]
            end = match.end()
        return "".join(parts) + text[end:] if parts else text

    # -- rows -----------------------------------------------------------------------------

    def apply(self, label: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """A row as this policy shows it.

        With a node label, the properties the schema marks personal are transformed by their
        `Mask`; with a relationship type, none is personal. Either way, in a masked or
        pseudonymised view every other text value has any mobile or ID number inside it
        transformed too (a phone number typed into a name).
        """
        if self.view is View.RAW:
            return dict(row)
        masks = self._masks.get(label, {})
        out: dict[str, Any] = {}
        for name, value in row.items():
            if name in masks:
                out[name] = self.value(masks[name], value)
            elif isinstance(value, str):
                out[name] = self.scrub(value)
            else:
                out[name] = value
        return out

    def apply_table(self, label: str, table: pa.Table) -> pa.Table:
        """`apply` for a whole table, column by column, with the values `apply` gives row by
        row. Only the values that can change become Python objects: a personal column's, and
        the texts with four digits in a row (every mobile or ID number has them)."""
        if self.view is View.RAW:
            return table
        masks = self._masks.get(label, {})
        columns = []
        for name, column in zip(table.column_names, table.columns, strict=True):
            if name in masks:
                kind = masks[name]
                column = pa.array([self.value(kind, v) for v in column.to_pylist()], column.type)
            elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                column = self._scrub_column(column.combine_chunks())
            columns.append(column)
        return pa.table(columns, names=table.column_names)

    def _scrub_column(self, column: pa.Array) -> pa.Array:
        suspect = pc.fill_null(pc.match_substring_regex(column, _FOUR_DIGITS), False)
        if not pc.any(suspect).as_py():
            return column
        texts = column.filter(suspect).to_pylist()
        return pc.replace_with_mask(
            column, suspect, pa.array([self.scrub(t) for t in texts], column.type)
        )
