"""Deciding whether a Cypher statement only reads, before it is run for a researcher.

A read-only database handle is not a sandbox: LadybugDB opened read-only still reads server
files with `LOAD FROM '/etc/passwd'` and tries downloads with `INSTALL`. So user-supplied
Cypher is tokenised here — strings, comments, backtick-quoted names and parameters are told
apart from keywords, so nothing hides inside them and nothing inside them is mistaken for a
keyword — and refused if any keyword outside the reading vocabulary appears, if it holds more
than one statement, or if it calls a procedure not on the allow-list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Keywords that write, change the schema, touch files or the network, or manage the database.
FORBIDDEN = frozenset(
    """CREATE MERGE SET DELETE DETACH REMOVE DROP ALTER RENAME COPY LOAD INSTALL UNINSTALL
    ATTACH EXPORT IMPORT USE BEGIN COMMIT ROLLBACK CHECKPOINT FOREACH TRUNCATE GRANT REVOKE
    DENY TERMINATE START STOP ENABLE DISABLE""".split()
)
# Procedures a read may call: catalogue look-ups on either backend.
ALLOWED_PROCEDURES = frozenset(
    {"show_tables", "table_info", "db.labels", "db.relationshiptypes", "db.propertykeys"}
)


class NotReadOnly(ValueError):
    """The statement does more than read; the message says what and where."""


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, name (backtick-quoted), param, number, symbol
    text: str
    offset: int


_PATTERN = r"""
    (?P<space>\s+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*.*?(\*/|\Z))
  | (?P<string>STRING)
  | (?P<name>`(?:[^`]|``)*(?:`|\Z))
  | (?P<param>\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9]+)
  | (?P<number>[0-9][0-9A-Za-z_.]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<symbol>.)
"""
# Strings are read twice: with backslash escapes (as LadybugDB and Neo4j read them) and
# without. A statement must pass both readings, so no disagreement about where a string
# ends can hide a keyword.
_ESCAPED = r"""'(?:[^'\\]|\\.)*(?:'|\Z)|"(?:[^"\\]|\\.)*(?:"|\Z)"""
_LITERAL = r"""'[^']*(?:'|\Z)|"[^"]*(?:"|\Z)"""
_READINGS = tuple(
    re.compile(_PATTERN.replace("STRING", strings), re.VERBOSE | re.DOTALL)
    for strings in (_ESCAPED, _LITERAL)
)


def tokens(query: str, *, escapes: bool = True) -> Iterator[Token]:
    for match in _READINGS[0 if escapes else 1].finditer(query):
        kind = match.lastgroup
        assert kind is not None
        text = match.group()
        if kind in ("space", "line_comment", "block_comment"):
            if kind == "block_comment" and not text.endswith("*/"):
                raise NotReadOnly(f"an unclosed /* comment at offset {match.start()}")
            continue
        if kind in ("string", "name") and (len(text) < 2 or text[-1] != text[0]):
            raise NotReadOnly(f"an unclosed quote at offset {match.start()}")
        yield Token(kind, text, match.start())


def check_read_only(query: str) -> None:
    """Raise NotReadOnly unless `query` is one statement that only reads."""
    _check(list(tokens(query, escapes=True)))
    _check(list(tokens(query, escapes=False)))


def _check(found: list[Token]) -> None:
    if not found:
        raise NotReadOnly("the query is empty")
    for i, token in enumerate(found):
        previous = found[i - 1].text if i else ""
        if token.kind == "symbol":
            if token.text == ";" and any(t.kind != "symbol" for t in found[i + 1 :]):
                raise NotReadOnly("only one statement may be run at a time")
            if not token.text.isascii():
                raise NotReadOnly(
                    f"{token.text!r} at offset {token.offset} is not ASCII: outside quotes, "
                    "Cypher is written in ASCII (look-alike letters are refused)"
                )
            continue
        if token.kind != "word" or previous in (".", ":"):
            continue  # strings, quoted names, parameters, numbers, properties and labels
        word = token.text.upper()
        if word in FORBIDDEN:
            raise NotReadOnly(
                f"{token.text} at offset {token.offset}: only reading is allowed here "
                "(MATCH, OPTIONAL MATCH, WITH, UNWIND, RETURN, ORDER BY, SKIP, LIMIT, UNION)"
            )
        if word == "CALL":
            _check_call(found, i)


def _check_call(found: list[Token], i: int) -> None:
    following = found[i + 1] if i + 1 < len(found) else None
    if following is not None and following.text == "{":
        return  # a subquery: its own clauses are checked like the rest
    parts: list[str] = []
    j = i + 1
    while j < len(found) and (found[j].kind == "word" or found[j].text == "."):
        parts.append(found[j].text)
        j += 1
    name = "".join(parts)
    if name.lower() not in ALLOWED_PROCEDURES:
        allowed = ", ".join(sorted(ALLOWED_PROCEDURES))
        raise NotReadOnly(
            f"CALL {name or '…'} at offset {found[i].offset}: only these procedures may be "
            f"called: {allowed}"
        )
