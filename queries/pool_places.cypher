// answers: every expert pool and the unit it is LOCATED_IN (the county, or city, whose pool it is)
// parameters: none
// columns: pool, unit
// One row per pool and unit; `unit` is empty for a pool located nowhere, which every place
// may draw from. The pool table is small (a county has a handful), so it is read whole.
MATCH (p:ExpertPool)
OPTIONAL MATCH (p)-[:LOCATED_IN]->(u:Unit)
RETURN p.id AS pool, u.code AS unit
