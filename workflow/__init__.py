"""The life of a dispute: an append-only event log, the decision over the rules, replay,
clocks in working days, timers, notifications and measures (docs/workflow.md).

Layering: api → workflow → loaders → queries → graph. `workflow.decide` is pure (the caller
passes the facts it looked up in the graph); `workflow.store` keeps the log in the graph through
`graph.backend.Backend`.
"""
