"""The ways in: the `govgraph` command line (and, next, GraphQL over FastAPI)."""
