"""Time: when a tie holds.

A tie with `valid_from` and `valid_to` (a post, a grid role, a stationing, a membership) holds
on a day when it began on or before that day, or its start is not recorded, and it has not
ended before it: an empty `valid_to` means it still holds. Both ends are inclusive.

That rule is written once, here, as Cypher (`holds_on`). Named queries say it as
`@holds_on(var, day)`, e.g. `WHERE @holds_on(s, date($as_of))`, and `queries.library` puts the
fragment in when it reads the file; a test lints every `.cypher` file for hand-written
versions. The `@` is no Cypher, so a file read without expansion fails rather than runs.
"""

from __future__ import annotations

import re

_MACRO = re.compile(
    r"@holds_on\(\s*(?P<var>[A-Za-z_]\w*)\s*,\s*(?P<day>[^()]*(?:\([^()]*\))?)\s*\)"
)


def holds_on(var: str, day: str = "$as_of") -> str:
    """A condition: the tie `var` holds on `day` (a Cypher expression of a date)."""
    return (
        f"(({var}.valid_from IS NULL OR {var}.valid_from <= {day}) "
        f"AND ({var}.valid_to IS NULL OR {var}.valid_to >= {day}))"
    )


def expand(text: str) -> str:
    """`text` with every `@holds_on(var, day)` written out as `holds_on(var, day)`."""
    expanded = _MACRO.sub(lambda m: holds_on(m["var"], m["day"].strip()), text)
    if "@holds_on" in expanded:
        at = expanded.index("@holds_on")
        raise ValueError(
            f"@holds_on needs a variable and a day, as in @holds_on(s, date($as_of)): "
            f"{expanded[at : at + 60]!r}"
        )
    return expanded
