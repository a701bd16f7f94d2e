"""Deciding whether an ad-hoc Cypher statement only reads, before anything runs it.

The first of three layers (docs/research.md): this check, then the store's own plan
(`plan_operators`, asked inside the confined process), then the confinement itself
(`graph.sandbox`: no file, no network, bounded memory). A gap in one is not a hole.

The check reads the text as LadybugDB's lexer does: a number ends where its digits end, so
`LIMIT 1LOAD` is `1` and `LOAD`; strings take backslash escapes. Three rules keep it from
depending on where a string or comment ends:

- a word that writes, touches files or the network, or manages the database is refused
  *anywhere in the text*, inside strings and comments too (values travel as $parameters);
- outside strings and quoted names, the text is ASCII (look-alike letters are refused), under
  both readings of strings (with escapes and without);
- every function called is on an allow-list, and `CALL` only names an allowed procedure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Words that write, change the schema, touch files or the network, or manage the database.
FORBIDDEN = frozenset(
    """CREATE MERGE SET DELETE DETACH REMOVE DROP ALTER RENAME COPY LOAD INSTALL UNINSTALL
    ATTACH EXPORT IMPORT USE BEGIN COMMIT ROLLBACK CHECKPOINT FOREACH TRUNCATE MACRO GRANT
    REVOKE DENY TERMINATE START STOP ENABLE DISABLE EXTENSION DATABASE TRANSACTION
    PROJECT_GRAPH PROJECT_GRAPH_CYPHER""".split()
)
_FORBIDDEN_ANYWHERE = re.compile(
    r"(?<![A-Za-z_$])(" + "|".join(sorted(FORBIDDEN, key=len, reverse=True)) + r")(?![A-Za-z0-9_])",
    re.IGNORECASE,
)
# Procedures a read may call: the catalogue.
ALLOWED_PROCEDURES = frozenset({"show_tables", "table_info"})
# Functions a read may call (lower case). What is not here is refused, so a new file- or
# setting-reading function of the store is refused until someone adds it knowingly.
FUNCTIONS = frozenset(
    """count sum avg min max collect stddev_samp stddev_pop
    abs ceil ceiling floor round sign sqrt exp ln log log2 log10 pow power rand pi
    sin cos tan asin acos atan atan2 degrees radians
    lower upper tolower toupper trim ltrim rtrim left right substring substr reverse size
    length concat replace contains starts_with ends_with lpad rpad repeat split_part
    string_split regexp_matches regexp_replace regexp_extract
    tostring tointeger toint64 tofloat todouble toboolean cast
    coalesce ifnull nullif id label labels type properties keys
    nodes rels relationships start_node end_node is_trail is_acyclic
    list_creation range list_concat list_extract list_element list_contains list_has
    list_position list_distinct list_unique list_sort list_reverse_sort list_sum list_product
    list_slice list_reverse list_append list_prepend list_any_value list_to_string
    head tail last list_filter list_transform list_reduce all any none single
    date timestamp interval current_date current_timestamp date_part datepart date_trunc
    datetrunc dayname monthname last_day greatest least year month day
    struct_extract map map_extract map_keys map_values element_at
    """.split()
)
# Words followed by "(" that are syntax, not a function call.
_NOT_FUNCTIONS = frozenset(
    """MATCH OPTIONAL WHERE WITH RETURN UNWIND AND OR XOR NOT IN AS IS NULL CASE WHEN THEN
    ELSE END DISTINCT ORDER BY SKIP LIMIT UNION ALL EXISTS COUNT CALL ASC DESC ASCENDING
    DESCENDING STARTS ENDS CONTAINS YIELD ANY NONE SINGLE SHORTEST""".split()
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
  | (?P<number>0[xX][0-9A-Fa-f]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<symbol>.)
"""
# Strings are read twice: with backslash escapes (as LadybugDB and Neo4j read them) and
# without. A statement must pass both readings.
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
    found = _FORBIDDEN_ANYWHERE.search(query)
    if found:
        raise NotReadOnly(
            f"{found.group()} at offset {found.start()}: only reading is allowed here "
            "(MATCH, OPTIONAL MATCH, WITH, UNWIND, RETURN, ORDER BY, SKIP, LIMIT, UNION); "
            "the word is refused inside strings and comments too: pass values as $parameters"
        )
    _check(list(tokens(query, escapes=True)))
    _check(list(tokens(query, escapes=False)))


def _check(found: list[Token]) -> None:
    if not found:
        raise NotReadOnly("the query is empty")
    for i, token in enumerate(found):
        previous = found[i - 1].text if i else ""
        following = found[i + 1].text if i + 1 < len(found) else ""
        if token.kind == "symbol":
            if token.text == ";" and any(t.kind != "symbol" for t in found[i + 1 :]):
                raise NotReadOnly("only one statement may be run at a time")
            if not token.text.isascii():
                raise NotReadOnly(
                    f"{token.text!r} at offset {token.offset} is not ASCII: outside quotes, "
                    "Cypher is written in ASCII (look-alike letters are refused)"
                )
            continue
        if token.kind == "name" and following == "(" and previous != ":":
            raise NotReadOnly(
                f"{token.text} at offset {token.offset}: a function name may not be quoted"
            )
        if token.kind != "word" or previous == ":":
            continue  # strings, quoted names, parameters, numbers and labels
        word = token.text.upper()
        if word == "CALL" and previous != ".":
            _check_call(found, i)
        elif following == "(" and word not in _NOT_FUNCTIONS and previous.upper() != "CALL":
            name = ("" if previous != "." else found[i - 2].text + ".") + token.text
            if name.lower() not in FUNCTIONS:
                raise NotReadOnly(
                    f"{name}() at offset {token.offset} is not a function researchers may "
                    "call (aggregates, string, list, math, path and date functions are; "
                    "see docs/research.md)"
                )


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
    after = found[j].text if j < len(found) else ""
    if name.lower() not in ALLOWED_PROCEDURES or after != "(":
        allowed = ", ".join(sorted(ALLOWED_PROCEDURES))
        raise NotReadOnly(
            f"CALL {name or '…'} at offset {found[i].offset}: only these procedures may be "
            f"called: {allowed}"
        )


# -- the store's own word -------------------------------------------------------------------

# Operators of LadybugDB plans that only read what the store holds, and the table functions
# that only read the catalogue or an intermediate result. Anything else in a plan is refused.
READ_OPERATORS = frozenset(
    """RESULT_COLLECTOR PROJECTION SCAN_NODE_TABLE QUERY_PRIMARY_KEY_LOOKUP AGGREGATE_FINALIZE
    SCAN_REL_TABLE PRIMARY_KEY_SCAN_NODE_TABLE
    EXTEND RECURSIVE_EXTEND PATH_PROPERTY_PROBE FILTER FLATTEN HASH_JOIN HASH_JOIN_BUILD
    HASH_JOIN_PROBE INTERSECT INTERSECT_BUILD AGGREGATE AGGREGATE_SCAN ORDER_BY ORDER_BY_MERGE
    ORDER_BY_SCAN TOP_K TOP_K_SCAN LIMIT SKIP MULTIPLICITY_REDUCER UNWIND CROSS_PRODUCT
    UNION_ALL_SCAN SEMI_MASKER EMPTY_RESULT DUMMY_SINK DUMMY_SIMPLE_SINK PARTITIONER
    TABLE_FUNCTION_CALL OFFSET COUNT_REL_TABLE EXISTENTIAL_JOIN MARK_JOIN RECURSIVE_JOIN
    SCAN_NODE_ID""".split()
)
READ_TABLE_FUNCTIONS = frozenset({"READ_FTABLE", "SHOW_TABLES", "TABLE_INFO"})
_OPERATOR = re.compile(r"│\s*([A-Z][A-Z0-9_]*)\[\d+\]\s*│")
_FUNCTION = re.compile(r"Function:\s*([A-Za-z0-9_]+)")


def plan_operators(plan: str) -> tuple[set[str], set[str]]:
    """The operators and table functions named in the text of a LadybugDB `EXPLAIN`."""
    return set(_OPERATOR.findall(plan)), {f.upper() for f in _FUNCTION.findall(plan)}


def check_plan(plan: str) -> None:
    """Raise NotReadOnly unless the store's plan only reads the graph."""
    operators, functions = plan_operators(plan)
    if not operators:
        raise NotReadOnly("the store gave no plan for this statement: it is not a read query")
    extra = sorted(operators - READ_OPERATORS) + sorted(functions - READ_TABLE_FUNCTIONS)
    if extra:
        raise NotReadOnly(
            "the store's plan for this statement uses " + ", ".join(extra) + ", which only "
            "reading queries may not use"
        )
