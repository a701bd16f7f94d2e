// answers: the units a place is in: for a grid, every unit above it; for a unit, itself and every unit above it
// parameters: $place (a grid id or a unit code)
// columns: label, name, unit, unit_name, level, hops
// `label` says what $place named (Grid or Unit); one row per unit above it (`hops` PART_OF
// steps away; the unit itself at 0). No row: the key names no grid and no unit.
MATCH (g:Grid {id: $place})
OPTIONAL MATCH p = (g)-[:PART_OF*1..30]->(u:Unit)
RETURN 'Grid' AS label, g.name AS name, u.code AS unit, u.name AS unit_name, u.level AS level, length(p) AS hops
UNION ALL
MATCH (x:Unit {code: $place})
OPTIONAL MATCH p = (x)-[:PART_OF*0..30]->(u:Unit)
RETURN 'Unit' AS label, x.name AS name, u.code AS unit, u.name AS unit_name, u.level AS level, length(p) AS hops
