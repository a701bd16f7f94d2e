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
researcher without a key), or pseudonymised (researcher with a key). It transforms node-shaped
rows from the schema's `Mask` flags (`Privacy.apply`) and the rows of ad-hoc queries, whose
personal columns it finds with `personal_columns` (rule and limits in that function's
docstring).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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
MOBILE_RE = re.compile(_MOBILE)
ID_NUMBER_RE = re.compile(_ID_NUMBER)
_EMBEDDED = re.compile(
    r"(?<![0-9A-Za-z])(?:(?P<id>" + _ID_NUMBER + r")|(?P<mobile>" + _MOBILE + r"))(?![0-9A-Za-z])"
)


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
    value = value.strip()
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
        if self.view is View.RAW:
            return text

        def replace(match: re.Match[str]) -> str:
            kind = Mask.ID_NUMBER if match["id"] else Mask.MOBILE
            return str(self.value(kind, match.group()))

        return _EMBEDDED.sub(replace, text)

    # -- rows -----------------------------------------------------------------------------

    def apply(self, label: str | None, row: Mapping[str, Any]) -> dict[str, Any]:
        """A row as this policy shows it.

        With a node label, the properties the schema marks personal are transformed by their
        `Mask`; with a relationship type, none is personal. Either way, in a masked or
        pseudonymised view every other text value has any mobile or ID number inside it
        transformed too (a phone number typed into a name). With `label` None the row is an
        ad-hoc result: its personal columns are found by `personal_columns` from the values
        alone (no query text), and nested nodes are handled as in `rows`.
        """
        if self.view is View.RAW:
            return dict(row)
        if label is None:
            return self.rows([row])[0]
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

    def rows(
        self,
        rows: Sequence[Mapping[str, Any]],
        query: str | None = None,
        columns: Mapping[str, Mask] | None = None,
    ) -> list[dict[str, Any]]:
        """The rows of an ad-hoc or named query as this policy shows them.

        `columns` says which columns are personal; without it they are found with
        `personal_columns(query, rows)`. Whole nodes in the results (dicts with `_LABEL`, as
        both backends return them, also inside paths and lists) are transformed by their
        label; other maps by the keys they hold (`mobile`, `id_number`, `title`, and `name`
        beside one of those or `gender`); every other text value is scrubbed.
        """
        if self.view is View.RAW:
            return [dict(r) for r in rows]
        found = personal_columns(query, rows, self.schema) if columns is None else columns
        return [
            {k: self.value(found[k], v) if k in found else self._nested(v) for k, v in row.items()}
            for row in rows
        ]

    def _nested(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, int) and not isinstance(value, bool):
            kind = _kind_of(value)
            return self.value(kind, value) if kind else value
        if isinstance(value, list):
            return [self._nested(v) for v in value]
        if isinstance(value, dict):
            label = value.get("_LABEL")
            if isinstance(label, str) and label in self._masks:
                personal = self._masks[label]
            elif isinstance(label, str):
                personal = {}
            else:
                personal = _map_masks(value)
            return {
                k: self.value(personal[k], v) if k in personal else self._nested(v)
                for k, v in value.items()
            }
        return value


def _map_masks(value: Mapping[str, Any]) -> dict[str, Mask]:
    """Which keys of a map without a label are personal (`properties(p)`, `p {.name, .mobile}`)."""
    found = {
        k: m for k, m in (("mobile", Mask.MOBILE), ("id_number", Mask.ID_NUMBER)) if k in value
    }
    if "title" in value:
        found["title"] = Mask.TEXT
    if "name" in value and (found.keys() - {"title"} or "gender" in value):
        found["name"] = Mask.NAME
    return found


def _kind_of(value: Any) -> Mask | None:
    """Mask.MOBILE or Mask.ID_NUMBER when the whole value is one, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if ID_NUMBER_RE.fullmatch(text):
        return Mask.ID_NUMBER
    if MOBILE_RE.fullmatch(text):
        return Mask.MOBILE
    return None


# -- finding personal columns in ad-hoc results ---------------------------------------------


def personal_columns(
    query: str | None,
    rows: Iterable[Mapping[str, Any]],
    schema: Schema = SCHEMA,
) -> dict[str, Mask]:
    """The columns of a query's results that hold personal data, and how to mask each.

    The rule, in order:

    1. From the query text: a projection `x.prop` (or an expression using it, such as
       `collect(p.name)`), returned under its own text or an alias, where `prop` is a property
       the schema marks personal on some label (`name`, `mobile`, `id_number` on Person,
       `title` on Dispute) and the variable `x` may be a node of that label. What a variable
       can be is read from the patterns of MATCH clauses: its labels (`(p:Person)`) and the
       relationships beside it (`(p)-[:LIVES_IN]->(u)` makes `p` a Person and `u` a Unit).
       Only patterns that must hold count: a MATCH, or an OPTIONAL MATCH for a variable it
       introduces; not an OPTIONAL MATCH on a variable bound before, a pattern in WHERE or in
       a subquery, or a variable-length step that may have zero hops. A variable nothing
       constrains (`MATCH (n)`, `UNWIND … AS x`, one re-bound after WITH dropped it) may be
       anything, so `MATCH (n) RETURN n.name` is masked even for units. `WITH p AS q` gives
       `q` what `p` could be. Aliases carry personal data on (`WITH p.name AS who RETURN
       who`); an expression mixing kinds is withheld as text.
    2. From the column name: a column named `x.name`, `x.mobile`, `x.id_number` or
       `x.title`, unless the query text shows that `x` cannot be of a label with that
       personal property (a column named as the database names an unaliased projection).
    3. From the values: a column in which any value is a whole mobile number or ID number
       (text or integer) is masked as one.

    Limits: a name cannot be recognised by its value, so a name that reaches a column by a
    route the text rule does not follow (a map projection under other keys, string functions
    on a re-bound variable, a name that is a parameter's echo) is shown as it is. Mobile and
    ID numbers are caught anywhere by their pattern (`Privacy.rows` scrubs every text value),
    names and free text are not. This is a guard against accidents, not a sandbox: what a
    researcher may run is decided by the read-only check and their role.
    """
    rows = list(rows)
    masked = _masked_properties(schema)
    found: dict[str, Mask] = {}
    labels_of: dict[str, set[str]] = {}
    if query is not None:
        from_text, labels_of = _from_query(query, masked, schema)
        found.update(from_text)
    for column in {c for r in rows for c in r} - found.keys():
        var, dot, prop = column.rpartition(".")
        if not (dot and var):
            continue
        kinds = {
            masks[prop]
            for label, masks in masked.items()
            if prop in masks and label in labels_of.get(var.strip("`"), masked.keys())
        }
        if kinds:
            found[column] = kinds.pop() if len(kinds) == 1 else Mask.TEXT
    for row in rows:
        for column, value in row.items():
            if column in found:
                continue
            values = value if isinstance(value, list) else [value]
            for v in values:
                kind = _kind_of(v)
                if kind is not None:
                    found[column] = kind
                    break
    return found


def _from_query(
    query: str, masked: dict[str, dict[str, Mask]], schema: Schema
) -> tuple[dict[str, Mask], dict[str, set[str]]]:
    """Personal columns found in the query text, and what each variable may be at the end."""
    from graph.readonly import NotReadOnly, tokens

    try:
        toks = list(tokens(query))
    except NotReadOnly:
        return {}, {}
    return _Analysis(query, toks, masked, schema).run()


# Clauses, as they start at the top level of a query.
_CLAUSES = frozenset("MATCH OPTIONAL WHERE WITH RETURN UNWIND UNION ORDER SKIP LIMIT CALL".split())
_Binding = tuple[str, int]  # a variable's name, and which binding of that name


class _Analysis:
    """One pass over a query's clauses: what each variable binding may be, and which
    projections carry a personal property."""

    def __init__(
        self, query: str, toks: list[Any], masked: dict[str, dict[str, Mask]], schema: Schema
    ) -> None:
        self.query = query
        self.toks = toks
        self.words = [t.text[1:-1] if t.kind == "name" else t.text for t in toks]
        self.kinds = [t.kind for t in toks]
        self.masked = masked
        self.labels = {n.label for n in schema.nodes}
        self.rels = {r.type: r for r in schema.rels}
        self.gen: dict[str, int] = {}
        self.bound: set[str] = set()
        self.constraints: dict[_Binding, set[str]] = {}
        self.same_as: dict[_Binding, _Binding] = {}
        # what a projection reads: (binding, property) for x.prop, (binding, None) for a bare
        # variable (an alias that may carry personal data)
        self.alias_refs: dict[_Binding, list[tuple[_Binding, str | None]]] = {}
        self.columns: list[tuple[str, list[tuple[_Binding, str | None]]]] = []

    # -- tokens ---------------------------------------------------------------------------

    def _is_var(self, i: int) -> bool:
        return self.kinds[i] in ("word", "name")

    def _binding(self, name: str) -> _Binding:
        return name, self.gen.get(name, 0)

    def _fresh(self, name: str) -> None:
        self.gen[name] = self.gen.get(name, 0) + 1

    def _clauses(self) -> list[tuple[str, int, int]]:
        words, kinds = self.words, self.kinds
        starts: list[tuple[str, int, int]] = []  # keyword, keyword position, body start
        depth = 0
        for i, w in enumerate(words):
            if kinds[i] == "symbol":
                depth += (w in "([{") - (w in ")]}")
                continue
            if depth or kinds[i] != "word" or w.upper() not in _CLAUSES:
                continue
            upper = w.upper()
            before = words[i - 1].upper() if i > 0 and kinds[i - 1] == "word" else ""
            if upper == "WITH" and before in ("STARTS", "ENDS"):
                continue
            if upper == "MATCH" and before == "OPTIONAL":
                continue
            if upper == "OPTIONAL":
                starts.append(("OPTIONAL MATCH", i, i + 2))
            else:
                starts.append((upper, i, i + 1))
        clauses = []
        for n, (keyword, _, body) in enumerate(starts):
            end = starts[n + 1][1] if n + 1 < len(starts) else len(words)
            clauses.append((keyword, body, end))
        return clauses

    def _close(self, i: int, end: int) -> int:
        """The position of the bracket closing the one at `i`."""
        depth = 0
        for k in range(i, end):
            w = self.words[k]
            if self.kinds[k] == "symbol" and w in "([{":
                depth += 1
            elif self.kinds[k] == "symbol" and w in ")]}":
                depth -= 1
                if depth == 0:
                    return k
        return end - 1

    # -- patterns -------------------------------------------------------------------------

    def _names(self, start: int, end: int, known: set[str] | dict[str, Any]) -> set[str] | None:
        """The names after ":" and "|" from `start`; None when one is not in `known`."""
        names: set[str] = set()
        k = start
        while k + 1 < end and self.words[k] in (":", "|") and self.kinds[k] == "symbol":
            names.add(self.words[k + 1])
            k += 2
        return names if names and names <= set(known) else None

    def _node(self, i: int, end: int) -> tuple[str | None, set[str] | None, int]:
        """The node pattern opening at `i`: its variable, labels (None: any) and last token."""
        k = self._close(i, end)
        var = self.words[i + 1] if i + 1 < k and self._is_var(i + 1) else None
        first = i + 2 if var is not None else i + 1
        labels = self._names(first, k, self.labels) if self.words[first] == ":" else None
        return var, labels, k

    def _rel(self, start: int, stop: int) -> tuple[set[str] | None, str, bool]:
        """The relationship pattern between two nodes: types (None: any), direction, and
        whether it may have zero hops."""
        span = self.words[start:stop]
        direction = "->" if span and span[-1] == ">" else "<-" if span[:1] == ["<"] else "-"
        types: set[str] | None = None
        zero = False
        if "[" in span:
            left = start + span.index("[")
            right = self._close(left, stop)
            k = left + 1
            if k < right and self._is_var(k):
                k += 1
            if self.words[k] == ":":
                types = self._names(k, right, self.rels)
            for j in range(left, right):
                if self.words[j] == "*":
                    following = self.words[j + 1] if j + 1 < right else ""
                    zero = following.startswith("0")
        return types, direction, zero

    def _ends(self, types: set[str], side: int) -> set[str]:
        return {pair[side] for t in types for pair in self.rels[t].endpoints}

    def _match(self, body: int, end: int, optional: bool) -> None:
        bound_before = set(self.bound)
        chain: list[tuple[str | None, set[str] | None]] = []
        chains = [chain]
        i, last_node_end = body, None
        while i < end:
            w = self.words[i]
            if self.kinds[i] == "symbol" and w == "(":
                var, labels, k = self._node(i, end)
                if last_node_end is not None and chain:
                    types, direction, zero = self._rel(last_node_end + 1, i)
                    if types is not None and not zero:
                        left_side = self._ends(types, 0 if direction != "<-" else 1)
                        right_side = self._ends(types, 1 if direction != "<-" else 0)
                        if direction == "-":
                            left_side = right_side = self._ends(types, 0) | self._ends(types, 1)
                        prev_var, prev_labels = chain[-1]
                        chain[-1] = (
                            prev_var,
                            left_side if prev_labels is None else prev_labels & left_side,
                        )
                        labels = right_side if labels is None else labels & right_side
                chain.append((var, labels))
                last_node_end = k
                i = k + 1
                continue
            if self.kinds[i] == "symbol" and w in "[{":
                i = self._close(i, end) + 1
                continue
            if self.kinds[i] == "symbol" and w == ",":
                chain = []
                chains.append(chain)
                last_node_end = None
            elif self._is_var(i) and i + 1 < end and self.words[i + 1] == "=":
                self.bound.add(w)  # a path variable
            i += 1
        for chain in chains:
            for var, labels in chain:
                if var is None:
                    continue
                if labels is not None and (not optional or var not in bound_before):
                    binding = self._binding(var)
                    known = self.constraints.get(binding)
                    self.constraints[binding] = labels if known is None else known & labels
                self.bound.add(var)
        # relationship variables are bound too, but never carry personal properties

    # -- projections ----------------------------------------------------------------------

    def _items(self, start: int, end: int) -> list[range]:
        items, depth, begin = [], 0, start
        for j in range(start, end):
            w = self.words[j]
            if self.kinds[j] == "symbol":
                depth += (w in "([{") - (w in ")]}")
                if w == "," and depth == 0:
                    items.append(range(begin, j))
                    begin = j + 1
        items.append(range(begin, end))
        return [r for r in items if len(r)]

    def _refs(self, item: range) -> list[tuple[_Binding, str | None]]:
        refs: list[tuple[_Binding, str | None]] = []
        for j in item:
            if not self._is_var(j) or (j > item.start and self.words[j - 1] == "."):
                continue
            if j + 2 < item.stop and self.words[j + 1] == "." and self._is_var(j + 2):
                refs.append((self._binding(self.words[j]), self.words[j + 2]))
            elif self._binding(self.words[j]) in self.alias_refs:
                refs.append((self._binding(self.words[j]), None))
        return refs

    def _project(self, keyword: str, body: int, end: int) -> None:
        if body < end and self.words[body].upper() == "DISTINCT":
            body += 1
        carried: set[str] = set()
        keep_all = False
        new: list[tuple[str, list[tuple[_Binding, str | None]], _Binding | None]] = []
        for item in self._items(body, end):
            stop, alias = item.stop, None
            if len(item) >= 3 and self.words[stop - 2].upper() == "AS":
                alias, stop = self.words[stop - 1], stop - 2
            expr = range(item.start, stop)
            if len(expr) == 1 and self.words[expr.start] == "*":
                keep_all = True
                continue
            refs = self._refs(expr)
            single = self.words[expr.start] if len(expr) == 1 and self._is_var(expr.start) else None
            if keyword == "RETURN":
                first, last = self.toks[expr.start], self.toks[stop - 1]
                text = self.query[first.offset : last.offset + len(last.text)]
                self.columns.append((alias or text, refs))
            elif alias is None or alias == single:
                if single is not None:
                    carried.add(single)
            else:
                source = self._binding(single) if single is not None else None
                new.append((alias, refs, source))
        if keyword == "UNWIND" or keyword == "WITH":
            if not keep_all and keyword == "WITH":
                for name in self.bound - carried:
                    self._fresh(name)
                self.bound = set(carried)
            for alias, refs, source in new:
                self._fresh(alias)
                binding = self._binding(alias)
                self.alias_refs[binding] = refs
                if source is not None:
                    self.same_as[binding] = source
                self.bound.add(alias)

    # -- resolving ------------------------------------------------------------------------

    def _labels(self, binding: _Binding, seen: frozenset[_Binding] = frozenset()) -> set[str]:
        """What a binding may be: all labels when nothing constrains it."""
        found: set[str] | None = self.constraints.get(binding)
        source = self.same_as.get(binding)
        if source is not None and source not in seen:
            inherited = self._labels(source, seen | {binding})
            found = inherited if found is None else found & inherited
        return set(self.labels) if found is None else found

    def _kinds(
        self, refs: list[tuple[_Binding, str | None]], seen: frozenset[_Binding] = frozenset()
    ) -> set[Mask]:
        kinds: set[Mask] = set()
        for binding, prop in refs:
            if prop is None:
                if binding not in seen:
                    kinds |= self._kinds(self.alias_refs.get(binding, []), seen | {binding})
                continue
            for label in self._labels(binding):
                kind = self.masked.get(label, {}).get(prop)
                if kind is not None:
                    kinds.add(kind)
        return kinds

    def run(self) -> tuple[dict[str, Mask], dict[str, set[str]]]:
        for keyword, body, end in self._clauses():
            if keyword in ("MATCH", "OPTIONAL MATCH"):
                self._match(body, end, optional=keyword == "OPTIONAL MATCH")
            elif keyword in ("WITH", "RETURN", "UNWIND"):
                self._project(keyword, body, end)
            elif keyword == "UNION":
                for name in set(self.gen) | self.bound:
                    self._fresh(name)
                self.bound = set()
        columns: dict[str, Mask] = {}
        for column, refs in self.columns:
            kinds = self._kinds(refs)
            if kinds:
                columns[column] = kinds.pop() if len(kinds) == 1 else Mask.TEXT
        labels_of = {name: self._labels(self._binding(name)) for name in self.bound}
        return columns, labels_of
