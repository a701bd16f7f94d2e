"""The GraphQL API: one strawberry schema over the graph, built by `schema.build_schema`.

One concept per module: `schema` (the root type and the SDL), `lookups` and `lists` (the root
fields), `types` (a type per node type), `fields` (descriptions from graph/schema.py), `enums`,
`pagination`, `dataloaders`, `cypher` (query text derived from the schema), `within` (what
lies inside a division code), `context`, `errors` and `limits`.
"""
