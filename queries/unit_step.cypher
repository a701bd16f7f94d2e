// answers: the units a unit is directly PART_OF (a village's town, a town's county…)
// parameters: $unit (12-digit unit code), $as_of (date: the parents that exist that day)
// columns: parent, parent_name, parent_level
// One row per parent that exists on $as_of (graph.temporal); no row for a unit that is part
// of nothing (a province) or no unit.
MATCH (u:Unit {code: $unit})-[:PART_OF]->(n:Unit)
WHERE ((n.valid_from IS NULL OR n.valid_from <= $as_of) AND (n.valid_to IS NULL OR n.valid_to >= $as_of))
RETURN n.code AS parent, n.name AS parent_name, n.level AS parent_level
