"""Time: when a tie holds.

A tie with `valid_from` and `valid_to` (a post, a grid role, a stationing, a membership) holds
on a day when it began on or before that day, or its start is not recorded, and it has not
ended before it: an empty `valid_to` means it still holds. Both ends are inclusive.

That rule is one Cypher fragment, `holds_on(var, day)`, and its Python form, `valid_on`, for
what is held in memory (queries.read_model, the callers that filter rows by their dates): a
test runs both on every pair of dates, missing ones included. Code builds the fragment by calling
`holds_on`; a named query's text stays a literal (the store runs the file as it is) and holds
the fragment exactly as `holds_on` writes it. `hand_written` finds any other comparison on
`valid_from`/`valid_to`, and a test runs it on every `.cypher` file and module.
"""

from __future__ import annotations

import re
from datetime import date


def holds_on(var: str, day: str = "$as_of") -> str:
    """A condition: the tie `var` holds on `day` (a Cypher expression of a date)."""
    return (
        f"(({var}.valid_from IS NULL OR {var}.valid_from <= {day}) "
        f"AND ({var}.valid_to IS NULL OR {var}.valid_to >= {day}))"
    )


def valid_on(since: date | None, until: date | None, day: date | None) -> bool:
    """Whether what is valid from `since` to `until` holds on `day`, as `holds_on` filters:
    a missing end is open; a missing `day` compares as Cypher's null, to nothing, so only
    what has neither date holds."""
    return (since is None or (day is not None and since <= day)) and (
        until is None or (day is not None and until >= day)
    )


# The fragment as `holds_on` writes it, for any variable and any day.
_FRAGMENT = re.compile(
    r"\(\((?P<var>\w+)\.valid_from IS NULL OR (?P=var)\.valid_from <= "
    r"(?P<day>[^()]*(?:\([^()]*\))?)\) "
    r"AND \((?P=var)\.valid_to IS NULL OR (?P=var)\.valid_to >= (?P=day)\)\)"
)
# A comparison or null test on valid_from/valid_to: the rule, or a rule, written by hand.
_BY_HAND = re.compile(
    r"valid_(from|to)\s*(<=|>=|<|>|IS\s+(NOT\s+)?NULL)|(<=|>=|<|>)\s*\w+\.valid_(from|to)",
    re.IGNORECASE,
)


def hand_written(text: str) -> list[str]:
    """The comparisons on `valid_from`/`valid_to` in `text` that are not `holds_on`'s
    fragment, written exactly; `//` comment lines aside."""
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    return [m[0] for m in _BY_HAND.finditer(_FRAGMENT.sub("", code))]
