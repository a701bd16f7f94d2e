// answers: a grid, and what it is directly PART_OF (its parent grid or its village or community)
// parameters: $grid (grid id), $as_of (date: the parents that exist that day)
// columns: name, kind, unit_level, location, liaisons, parent_label, parent, parent_name, parent_level
// One row per parent (a Suzhou level-3 grid is PART_OF its level-2 grid and its village), or
// one row with empty parent columns; no row when there is no such grid. `unit_level` is the
// level whose unit the grid is (苏州: town for a level-1 grid), empty for most grids. `liaisons` counts the
// grid's LIAISES_WITH bodies (an out-of-county grid's home-county liaison); `parent_level` is
// a unit's level (village, town…), empty for a parent grid (whose level is a number, which
// LadybugDB would turn into text in this column and Neo4j would not). The chain above a grid is walked one step at a time
// (queries.ladder.load_chain; a server answers each step from its read model,
// queries.read_model), where a walk of PART_OF*1..8 from each grid costs four times as much.
// A parent grid or unit that does not exist on $as_of (graph.temporal: a grid redrawn, a
// village merged away) is no parent that day: its row is left out.
MATCH (g:Grid {id: $grid})
OPTIONAL MATCH (g)-[:PART_OF]->(n)
WHERE ((n.valid_from IS NULL OR n.valid_from <= $as_of) AND (n.valid_to IS NULL OR n.valid_to >= $as_of))
RETURN
  g.name AS name,
  g.kind AS kind,
  g.unit_level AS unit_level,
  g.location AS location,
  COUNT { MATCH (g)-[:LIAISES_WITH]->() } AS liaisons,
  CASE WHEN n.code IS NULL THEN 'Grid' ELSE 'Unit' END AS parent_label,
  coalesce(n.id, n.code) AS parent,
  n.name AS parent_name,
  CASE WHEN n.code IS NULL THEN NULL ELSE n.level END AS parent_level
