// answers: two counties' structures side by side: units and centers at each level, grids per level, kind and class, grid staff per grid, stationed departments, mediation bodies per kind and domain
// parameters: $county (12-digit division code of the first county), $other (12-digit division code of the county to compare it with), $as_of (date: the posts and stations held that day)
// columns: section, item, county, other, county_per_grid, other_per_grid
// One row per section and item; `county` is the count in $county, `other` in $other (0 where
// a county has none). Sections, in this order:
// - units: units within the county by level (town, village);
// - unit kinds: the same units by kind (street, town, township, community, village);
// - centers: centers whose JURISDICTION is the county or a unit within it, by level (and
//   grade where a center has one: village model / village standard);
// - stationed departments: departments STATIONED_AT those centers on $as_of, by center level;
// - grid levels: the county's grids (micro-grids included) by grid level (level 1 …);
// - grids: the same grids by kind; *_per_grid is the staff per grid: the people holding any
//   grid post there on $as_of, divided by the grids of the kind (2 decimals);
// - grid classes: basic grids by class (class 1, 2, 3: Jiashan's classes);
// - grid staff: the people holding each role on $as_of by grid kind (item `kind role`);
//   *_per_grid divides by the grids of the kind (1+1+1+X reads 1.0, 1.0, 1.0, >= 1);
// - mediation bodies: mediation organisations LOCATED_IN the county or a unit within it, by
//   kind;
// - mediation domains: the same bodies by expertise domain (HAS_EXPERTISE; a body with
//   several domains counts in each, people's committees have none).
// *_per_grid is empty outside the grids and grid staff sections. Items are ordered by name
// within a section. `date($as_of)` takes a date or ISO text.
// Shape (LadybugDB 0.22, demo graph): the counties are found by `c.code = $county OR c.code =
// $other` (an UNWIND of the two codes before a variable-length walk was planned 20× slower);
// units are reached by two fixed hops (a walk PART_OF*1..2 from a county not bound by key
// scanned, 50 ms against 1 ms), and a filter on grids follows the walk in a WITH (inside the
// MATCH it was pushed into a slower plan).
MATCH (c:Unit)
WHERE c.code = $county OR c.code = $other
MATCH (t:Unit)-[:PART_OF]->(c)
OPTIONAL MATCH (v:Unit)-[:PART_OF]->(t)
WITH c, t, v
UNWIND [t, v] AS u
WITH c.code AS code, u.level AS item, count(DISTINCT u) AS n
WHERE item IS NOT NULL
WITH item, max(CASE WHEN code = $county THEN n END) AS a, max(CASE WHEN code = $other THEN n END) AS b
RETURN 'units' AS section, item, coalesce(a, 0) AS county, coalesce(b, 0) AS other,
  CASE WHEN false THEN 0.0 END AS county_per_grid, CASE WHEN false THEN 1.0 END AS other_per_grid
ORDER BY item
UNION ALL
MATCH (c:Unit)
WHERE c.code = $county OR c.code = $other
MATCH (t:Unit)-[:PART_OF]->(c)
OPTIONAL MATCH (v:Unit)-[:PART_OF]->(t)
WITH c, t, v
UNWIND [t, v] AS u
WITH c.code AS code, u.kind AS item, count(DISTINCT u) AS n
WHERE item IS NOT NULL
WITH item, max(CASE WHEN code = $county THEN n END) AS a, max(CASE WHEN code = $other THEN n END) AS b
RETURN 'unit kinds' AS section, item, coalesce(a, 0) AS county, coalesce(b, 0) AS other,
  CASE WHEN false THEN 0.0 END AS county_per_grid, CASE WHEN false THEN 1.0 END AS other_per_grid
ORDER BY item
UNION ALL
MATCH (c:Unit)
WHERE c.code = $county OR c.code = $other
MATCH (x:Center)-[:JURISDICTION]->(:Unit)-[:PART_OF*0..2]->(c)
WITH c.code AS code, x.level + CASE WHEN x.grade IS NULL THEN '' ELSE ' ' + x.grade END AS item, count(x) AS n
WITH item, max(CASE WHEN code = $county THEN n END) AS a, max(CASE WHEN code = $other THEN n END) AS b
RETURN 'centers' AS section, item, coalesce(a, 0) AS county, coalesce(b, 0) AS other,
  CASE WHEN false THEN 0.0 END AS county_per_grid, CASE WHEN false THEN 1.0 END AS other_per_grid
ORDER BY item
UNION ALL
MATCH (c:Unit)
WHERE c.code = $county OR c.code = $other
MATCH (d:Department)-[s:STATIONED_AT]->(x:Center)-[:JURISDICTION]->(:Unit)-[:PART_OF*0..2]->(c)
WHERE ((s.valid_from IS NULL OR s.valid_from <= date($as_of)) AND (s.valid_to IS NULL OR s.valid_to >= date($as_of)))
WITH c.code AS code, x.level AS item, count(d) AS n
WITH item, max(CASE WHEN code = $county THEN n END) AS a, max(CASE WHEN code = $other THEN n END) AS b
RETURN 'stationed departments' AS section, item, coalesce(a, 0) AS county, coalesce(b, 0) AS other,
  CASE WHEN false THEN 0.0 END AS county_per_grid, CASE WHEN false THEN 1.0 END AS other_per_grid
ORDER BY item
UNION ALL
MATCH (c:Unit)
WHERE c.code = $county OR c.code = $other
MATCH (g:Grid)-[:PART_OF*1..30]->(c)
WITH c.code AS code,
  CASE g.level WHEN 1 THEN 'level 1' WHEN 2 THEN 'level 2' WHEN 3 THEN 'level 3' WHEN 4 THEN 'level 4' ELSE 'level 5' END AS item,
  count(g) AS n
WITH item, max(CASE WHEN code = $county THEN n END) AS a, max(CASE WHEN code = $other THEN n END) AS b
RETURN 'grid levels' AS section, item, coalesce(a, 0) AS county, coalesce(b, 0) AS other,
  CASE WHEN false THEN 0.0 END AS county_per_grid, CASE WHEN false THEN 1.0 END AS other_per_grid
ORDER BY item
UNION ALL
MATCH (c:Unit)
WHERE c.code = $county OR c.code = $other
MATCH (g:Grid)-[:PART_OF*1..30]->(c)
OPTIONAL MATCH (p:Person)-[s:SERVES_IN]->(g)
WHERE ((s.valid_from IS NULL OR s.valid_from <= date($as_of)) AND (s.valid_to IS NULL OR s.valid_to >= date($as_of)))
WITH c.code AS code, g.kind AS item, count(DISTINCT g) AS n, count(DISTINCT p) AS staff
WITH item,
  max(CASE WHEN code = $county THEN n END) AS a, max(CASE WHEN code = $other THEN n END) AS b,
  max(CASE WHEN code = $county THEN round(1.0 * staff / n, 2) END) AS a_per_grid,
  max(CASE WHEN code = $other THEN round(1.0 * staff / n, 2) END) AS b_per_grid
RETURN 'grids' AS section, item, coalesce(a, 0) AS county, coalesce(b, 0) AS other,
  a_per_grid AS county_per_grid, b_per_grid AS other_per_grid
ORDER BY item
UNION ALL
MATCH (c:Unit)
WHERE c.code = $county OR c.code = $other
MATCH (g:Grid)-[:PART_OF*1..30]->(c)
WITH c, g
WHERE g.kind = 'basic' AND g.grid_class IS NOT NULL
WITH c.code AS code, CASE g.grid_class WHEN 1 THEN 'class 1' WHEN 2 THEN 'class 2' ELSE 'class 3' END AS item, count(g) AS n
WITH item, max(CASE WHEN code = $county THEN n END) AS a, max(CASE WHEN code = $other THEN n END) AS b
RETURN 'grid classes' AS section, item, coalesce(a, 0) AS county, coalesce(b, 0) AS other,
  CASE WHEN false THEN 0.0 END AS county_per_grid, CASE WHEN false THEN 1.0 END AS other_per_grid
ORDER BY item
UNION ALL
MATCH (c:Unit)
WHERE c.code = $county OR c.code = $other
MATCH (g:Grid)-[:PART_OF*1..30]->(c)
OPTIONAL MATCH (p:Person)-[s:SERVES_IN]->(g)
WHERE ((s.valid_from IS NULL OR s.valid_from <= date($as_of)) AND (s.valid_to IS NULL OR s.valid_to >= date($as_of)))
WITH c.code AS code, g.kind AS kind, count(DISTINCT g) AS grids,
  count(DISTINCT CASE WHEN s.role = 'assessor' THEN p.id END) AS assessor,
  count(DISTINCT CASE WHEN s.role = 'coordinator' THEN p.id END) AS coordinator,
  count(DISTINCT CASE WHEN s.role = 'full_time' THEN p.id END) AS full_time,
  count(DISTINCT CASE WHEN s.role = 'head' THEN p.id END) AS head,
  count(DISTINCT CASE WHEN s.role = 'inspector' THEN p.id END) AS inspector,
  count(DISTINCT CASE WHEN s.role = 'instructor' THEN p.id END) AS instructor,
  count(DISTINCT CASE WHEN s.role = 'part_time' THEN p.id END) AS part_time
UNWIND ['assessor', 'coordinator', 'full_time', 'head', 'inspector', 'instructor', 'part_time'] AS role
WITH code, kind, grids, role,
  CASE role
    WHEN 'assessor' THEN assessor
    WHEN 'coordinator' THEN coordinator
    WHEN 'full_time' THEN full_time
    WHEN 'head' THEN head
    WHEN 'inspector' THEN inspector
    WHEN 'instructor' THEN instructor
    ELSE part_time
  END AS n
WHERE n > 0
WITH kind + ' ' + role AS item,
  max(CASE WHEN code = $county THEN n END) AS a, max(CASE WHEN code = $other THEN n END) AS b,
  max(CASE WHEN code = $county THEN round(1.0 * n / grids, 2) END) AS a_per_grid,
  max(CASE WHEN code = $other THEN round(1.0 * n / grids, 2) END) AS b_per_grid
RETURN 'grid staff' AS section, item, coalesce(a, 0) AS county, coalesce(b, 0) AS other,
  a_per_grid AS county_per_grid, b_per_grid AS other_per_grid
ORDER BY item
UNION ALL
MATCH (c:Unit)
WHERE c.code = $county OR c.code = $other
MATCH (m:MediationOrg)-[:LOCATED_IN]->(:Unit)-[:PART_OF*0..2]->(c)
WITH c.code AS code, m.kind AS item, count(m) AS n
WITH item, max(CASE WHEN code = $county THEN n END) AS a, max(CASE WHEN code = $other THEN n END) AS b
RETURN 'mediation bodies' AS section, item, coalesce(a, 0) AS county, coalesce(b, 0) AS other,
  CASE WHEN false THEN 0.0 END AS county_per_grid, CASE WHEN false THEN 1.0 END AS other_per_grid
ORDER BY item
UNION ALL
MATCH (c:Unit)
WHERE c.code = $county OR c.code = $other
MATCH (dm:Domain)<-[:HAS_EXPERTISE]-(m:MediationOrg)-[:LOCATED_IN]->(:Unit)-[:PART_OF*0..2]->(c)
WITH c.code AS code, dm.code AS item, count(m) AS n
WITH item, max(CASE WHEN code = $county THEN n END) AS a, max(CASE WHEN code = $other THEN n END) AS b
RETURN 'mediation domains' AS section, item, coalesce(a, 0) AS county, coalesce(b, 0) AS other,
  CASE WHEN false THEN 0.0 END AS county_per_grid, CASE WHEN false THEN 1.0 END AS other_per_grid
ORDER BY item
