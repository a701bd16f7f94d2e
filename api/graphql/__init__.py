"""The GraphQL API: one strawberry schema over the graph, built by `schema.build_schema`.

One concept per module: `schema` (the root type and the SDL), `lookups`, `lists` and
`headline` (the root fields; `headline` holds the three headline queries and the types that
explain their answers), `types` (a type per node type), `fields` (descriptions from
graph/schema.py), `enums`, `pagination`, `dataloaders`, `cypher` (query text derived from the
schema), `within` (what lies inside a division code), `context`, `errors` and `limits`.
"""
