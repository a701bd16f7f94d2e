// answers: whether a domain (dispute category) exists, and its name
// parameters: $code (domain code, e.g. wages)
// columns: code, name
// One row, or none when the graph has no domain with that code.
MATCH (dm:Domain {code: $code})
RETURN dm.code AS code, dm.name AS name
