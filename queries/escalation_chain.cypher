// answers: the grids and units above a grid (PART_OF, any depth), each with its distance in steps
// parameters: $grid (grid id)
// columns: grid_name, grid_kind, location, liaisons, label, key, name, level, hops
// One row per walk up the PART_OF tree (a grid inside two parents gives two rows for what is
// above both); label/key/name/level/hops are empty when nothing contains the grid. `level` is
// the unit's level (village, town, county…), read only for units. `liaisons` counts the
// grid's LIAISES_WITH bodies (an out-of-county grid's home-county liaison).
MATCH (g:Grid {id: $grid})
OPTIONAL MATCH p = (g)-[:PART_OF*1..8]->(n)
RETURN
  g.name AS grid_name,
  g.kind AS grid_kind,
  g.location AS location,
  COUNT { MATCH (g)-[:LIAISES_WITH]->() } AS liaisons,
  CASE WHEN n.code IS NULL THEN 'Grid' ELSE 'Unit' END AS label,
  coalesce(n.id, n.code) AS key,
  n.name AS name,
  n.level AS level,
  length(p) AS hops
