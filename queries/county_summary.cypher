// answers: what a county holds: its units, grids, grid staff, centers, departments and disputes
// parameters: $county (the county's 12-digit division code, e.g. 330421000000)
// columns: county, name, towns, villages, grids, micro_grids, grid_staff, centers, departments, disputes
MATCH (c:Unit {code: $county})
OPTIONAL MATCH (p:Person)-[:SERVES_IN]->(g:Grid)-[:PART_OF*1..3]->(c)
WHERE g.kind <> 'micro'
WITH c, count(DISTINCT p) AS grid_staff
RETURN
  c.code AS county,
  c.name AS name,
  COUNT { MATCH (:Unit)-[:PART_OF]->(c) } AS towns,
  COUNT { MATCH (:Unit)-[:PART_OF]->(:Unit)-[:PART_OF]->(c) } AS villages,
  COUNT { MATCH (g:Grid)-[:PART_OF*1..3]->(c) WHERE g.kind <> 'micro' } AS grids,
  COUNT { MATCH (g:Grid)-[:PART_OF*2..4]->(c) WHERE g.kind = 'micro' } AS micro_grids,
  grid_staff,
  COUNT { MATCH (:Center)-[:JURISDICTION]->(:Unit)-[:PART_OF*0..2]->(c) } AS centers,
  COUNT { MATCH (:Department)-[:LOCATED_IN]->(:Unit)-[:PART_OF*0..2]->(c) } AS departments,
  COUNT { MATCH (:Dispute)-[:OCCURRED_IN]->(:Grid)-[:PART_OF*1..3]->(c) } AS disputes
