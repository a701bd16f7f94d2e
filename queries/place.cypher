// answers: what a place key names — a grid, a unit (with the grids directly in it) or an organisation (with the grid it is in)
// parameters: $place (a grid id, a unit code or an organisation id)
// columns: label, name, level, grid, grid_kind
// `grid` is the grid itself, a grid PART_OF the unit (one row each), or the grid the
// organisation is LOCATED_IN; empty when there is none. `level` is the unit's level, the
// 'grid' for a grid or the organisation's kind. No row: the key names nothing.
MATCH (g:Grid {id: $place})
RETURN 'Grid' AS label, g.name AS name, 'grid' AS level, g.id AS grid, g.kind AS grid_kind
UNION ALL
MATCH (u:Unit {code: $place})
OPTIONAL MATCH (u)<-[:PART_OF]-(g:Grid)
RETURN 'Unit' AS label, u.name AS name, u.level AS level, g.id AS grid, g.kind AS grid_kind
UNION ALL
MATCH (o:Organisation {id: $place})
OPTIONAL MATCH (o)-[:LOCATED_IN]->(g:Grid)
RETURN 'Organisation' AS label, o.name AS name, o.kind AS level, g.id AS grid, g.kind AS grid_kind
