// answers: the units a unit is directly PART_OF (a village's town, a town's county…)
// parameters: $unit (12-digit unit code)
// columns: parent, parent_name, parent_level
// One row per parent; no row for a unit that is part of nothing (a province) or no unit.
MATCH (u:Unit {code: $unit})-[:PART_OF]->(n:Unit)
RETURN n.code AS parent, n.name AS parent_name, n.level AS parent_level
