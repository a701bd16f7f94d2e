// answers: the grid teams of a county short of the 1+1+1+X standard on a date: one instructor, one head, one full-time worker and at least one part-time worker per grid
// parameters: $county (the county's 12-digit division code), $as_of (date: the posts held that day)
// columns: grid, grid_name, kind, village, village_name, town, town_name, heads, instructors, full_time, part_time, missing
// Jingning's standard (docs/domain.md §2, 003: 一个网格配备一名网格指导员、一名网格长、一名专职网格员、
// 若干名兼职网格员), applied to every grid that carries an all-round team: basic, dedicated and
// out-of-county grids (micro-grids have coordinators, professional grids inspectors). A post
// counts when it holds on $as_of (graph.temporal: begun by then or with no recorded start, not ended). One row
// per short grid with the people in each role that day, and `missing`: the roles it lacks,
// space-separated (head instructor full_time part_time). `date($as_of)` takes a date or ISO
// text (the command line passes text). Ordered by grid id.
MATCH (c:Unit {code: $county})
MATCH (g:Grid)-[:PART_OF*1..30]->(c)
WHERE g.kind IN ['basic', 'dedicated', 'out_of_county']
OPTIONAL MATCH (p:Person)-[s:SERVES_IN]->(g)
WHERE ((s.valid_from IS NULL OR s.valid_from <= date($as_of)) AND (s.valid_to IS NULL OR s.valid_to >= date($as_of)))
WITH g,
  count(DISTINCT CASE WHEN s.role = 'head' THEN p.id END) AS heads,
  count(DISTINCT CASE WHEN s.role = 'instructor' THEN p.id END) AS instructors,
  count(DISTINCT CASE WHEN s.role = 'full_time' THEN p.id END) AS full_time,
  count(DISTINCT CASE WHEN s.role = 'part_time' THEN p.id END) AS part_time
WHERE heads = 0 OR instructors = 0 OR full_time = 0 OR part_time = 0
OPTIONAL MATCH (g)-[:PART_OF]->(v:Unit {level: 'village'})
OPTIONAL MATCH (v)-[:PART_OF]->(t:Unit {level: 'town'})
RETURN
  g.id AS grid,
  g.name AS grid_name,
  g.kind AS kind,
  v.code AS village,
  v.name AS village_name,
  t.code AS town,
  t.name AS town_name,
  heads,
  instructors,
  full_time,
  part_time,
  trim(
    CASE WHEN heads = 0 THEN 'head ' ELSE '' END
    + CASE WHEN instructors = 0 THEN 'instructor ' ELSE '' END
    + CASE WHEN full_time = 0 THEN 'full_time ' ELSE '' END
    + CASE WHEN part_time = 0 THEN 'part_time' ELSE '' END
  ) AS missing
ORDER BY grid
