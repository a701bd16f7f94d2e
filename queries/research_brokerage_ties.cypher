// answers: the ties among a county's departments, centers, units and liaising grids on a date: the projection queries/brokerage.py computes betweenness on
// parameters: $county (the county's 12-digit division code), $as_of (date: the stations held that day)
// columns: source_label, source, source_name, source_kind, source_level, tie, target_label, target, target_name, target_kind, target_level
// One row per tie, read as undirected by queries.brokerage:
// - STATIONED_AT: a department stationed at a center of the county, holding on $as_of
//   (valid_from empty or <= as_of, valid_to empty or >= as_of);
// - JURISDICTION: a center and the unit it serves (the county, a town or a village);
// - ESCALATES_TO: a center of the county and the center it sends matters on to;
// - LOCATED_IN: a department and the unit it sits in (within the county);
// - LIAISES_WITH: an out-of-county grid of the county and its liaison department or center.
// A node is `label` + key (`Center:330421-C001`). Units enter only as the place bodies serve
// or sit in: their own nesting (PART_OF) is left out, so that brokerage runs through bodies,
// not through the map. kind is a department's function, a center's or grid's kind, a unit's
// kind; level a unit's, center's or department's level (a grid's is its grid level as text:
// empty). Ordered by tie, source, target.
MATCH (c:Unit {code: $county})
MATCH (d:Department)-[s:STATIONED_AT]->(x:Center)-[:JURISDICTION]->(:Unit)-[:PART_OF*0..2]->(c)
WHERE ((s.valid_from IS NULL OR s.valid_from <= date($as_of)) AND (s.valid_to IS NULL OR s.valid_to >= date($as_of)))
RETURN 'Department' AS source_label, d.id AS source, d.name AS source_name, d.function AS source_kind,
  d.level AS source_level, 'STATIONED_AT' AS tie, 'Center' AS target_label, x.id AS target,
  x.name AS target_name, x.kind AS target_kind, x.level AS target_level
ORDER BY source, target
UNION ALL
MATCH (c:Unit {code: $county})
MATCH (x:Center)-[:JURISDICTION]->(u:Unit)-[:PART_OF*0..2]->(c)
RETURN 'Center' AS source_label, x.id AS source, x.name AS source_name, x.kind AS source_kind,
  x.level AS source_level, 'JURISDICTION' AS tie, 'Unit' AS target_label, u.code AS target,
  u.name AS target_name, u.kind AS target_kind, u.level AS target_level
ORDER BY source, target
UNION ALL
MATCH (c:Unit {code: $county})
MATCH (x:Center)-[:JURISDICTION]->(:Unit)-[:PART_OF*0..2]->(c)
MATCH (x)-[:ESCALATES_TO]->(y:Center)
RETURN 'Center' AS source_label, x.id AS source, x.name AS source_name, x.kind AS source_kind,
  x.level AS source_level, 'ESCALATES_TO' AS tie, 'Center' AS target_label, y.id AS target,
  y.name AS target_name, y.kind AS target_kind, y.level AS target_level
ORDER BY source, target
UNION ALL
MATCH (c:Unit {code: $county})
MATCH (d:Department)-[:LOCATED_IN]->(u:Unit)-[:PART_OF*0..2]->(c)
RETURN 'Department' AS source_label, d.id AS source, d.name AS source_name, d.function AS source_kind,
  d.level AS source_level, 'LOCATED_IN' AS tie, 'Unit' AS target_label, u.code AS target,
  u.name AS target_name, u.kind AS target_kind, u.level AS target_level
ORDER BY source, target
UNION ALL
MATCH (c:Unit {code: $county})
MATCH (g:Grid)-[:PART_OF*1..30]->(c)
MATCH (g)-[:LIAISES_WITH]->(d:Department)
RETURN 'Grid' AS source_label, g.id AS source, g.name AS source_name, g.kind AS source_kind,
  '' AS source_level, 'LIAISES_WITH' AS tie, 'Department' AS target_label, d.id AS target,
  d.name AS target_name, d.function AS target_kind, d.level AS target_level
ORDER BY source, target
UNION ALL
MATCH (c:Unit {code: $county})
MATCH (g:Grid)-[:PART_OF*1..30]->(c)
MATCH (g)-[:LIAISES_WITH]->(x:Center)
RETURN 'Grid' AS source_label, g.id AS source, g.name AS source_name, g.kind AS source_kind,
  '' AS source_level, 'LIAISES_WITH' AS tie, 'Center' AS target_label, x.id AS target,
  x.name AS target_name, x.kind AS target_kind, x.level AS target_level
ORDER BY source, target
