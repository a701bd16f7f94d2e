// answers: what a county or a city holds: its units, grids, grid staff, centers, departments and disputes
// parameters: $county (the 12-digit division code of a county or a city, e.g. 330421000000, 370500000000)
// columns: county, name, towns, villages, grids, micro_grids, grid_staff, centers, departments, disputes
// Each count is of distinct records: a grid PART_OF both its parent grid and its village (苏州)
// counts once. Grids are those PART_OF the place at any depth (up to graph.places.DEEPEST
// steps: grids nest inside grids, four levels in 苏州).
MATCH (c:Unit {code: $county})
OPTIONAL MATCH (p:Person)-[:SERVES_IN]->(g:Grid)-[:PART_OF*1..30]->(c)
WHERE g.kind <> 'micro'
WITH c, count(DISTINCT p) AS grid_staff
OPTIONAL MATCH (g:Grid)-[:PART_OF*1..30]->(c)
WITH c, grid_staff,
  count(DISTINCT CASE WHEN g.kind <> 'micro' THEN g.id END) AS grids,
  count(DISTINCT CASE WHEN g.kind = 'micro' THEN g.id END) AS micro_grids
OPTIONAL MATCH (d:Dispute)-[:OCCURRED_IN]->(:Grid)-[:PART_OF*1..30]->(c)
WITH c, grid_staff, grids, micro_grids, count(DISTINCT d) AS disputes
RETURN
  c.code AS county,
  c.name AS name,
  COUNT { MATCH (u:Unit)-[:PART_OF*1..2]->(c) WHERE u.level = 'town' } AS towns,
  COUNT { MATCH (u:Unit)-[:PART_OF*1..3]->(c) WHERE u.level = 'village' } AS villages,
  grids,
  micro_grids,
  grid_staff,
  COUNT { MATCH (:Center)-[:JURISDICTION]->(:Unit)-[:PART_OF*0..3]->(c) } AS centers,
  COUNT { MATCH (:Department)-[:LOCATED_IN]->(:Unit)-[:PART_OF*0..3]->(c) } AS departments,
  disputes
