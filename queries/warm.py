"""Fill the kept rows (`queries.cache`) of a graph just opened, before the questions come.

The first question about a grid reads every step of its ladder and the bodies of every unit on
it (about 10 ms); once a neighbour has been asked about, a question reads only its own grid's
step and team (1–4 ms). `warm` asks the escalation path and a referral of one grid in every
unit that has grids directly in it, so that the first questions after a start or a load cost
what later ones do. The API runs it in a thread when it opens the graph
(`GOVGRAPH_WARM_UP`). It only ever saves time: it stops when asked or when the graph closes,
and a grid it cannot answer for is skipped.
"""

from __future__ import annotations

import logging
import threading
from datetime import date

from graph.backend import Backend
from graph.errors import BackendUnavailable, GraphError
from queries.escalation import escalation_path
from queries.explain import NotFound
from queries.library import run
from queries.referral import DisputeDescription, referral

log = logging.getLogger("govgraph.warm")


def warm(
    backend: Backend, *, as_of: date | None = None, stop: threading.Event | None = None
) -> int:
    """Ask about one grid per unit (its ladder, and a referral of a dispute there); return
    how many grids were asked about."""
    day = as_of or date.today()
    asked = 0
    try:
        rows = run(backend, "warm_grids")
    except BackendUnavailable:
        return 0
    for row in rows:
        if stop is not None and stop.is_set():
            break
        place = DisputeDescription(place=row["grid"], list_item=row["item"])
        try:
            escalation_path(backend, grid_id=row["grid"], as_of=day)
            referral(backend, description=place, as_of=day)
        except BackendUnavailable:
            break
        except (GraphError, NotFound, ValueError) as exc:
            log.debug("warm-up skipped grid %s: %s", row["grid"], exc)
        asked += 1
    return asked
