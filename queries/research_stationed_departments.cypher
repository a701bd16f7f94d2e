// answers: the departments stationed at each center of a county on a date, with the staff and reception windows each sends
// parameters: $county (the county's 12-digit division code), $as_of (date: the stations held that day)
// columns: center, center_name, center_kind, center_level, unit, unit_name, department, department_name, function, department_level, staff, windows, since, until
// Centers are those whose JURISDICTION is the county or a unit within it (town, village); a
// station counts when its STATIONED_AT holds on $as_of (valid_from empty or <= as_of,
// valid_to empty or >= as_of). One row per center and department; centers with no department
// stationed have no row. Per center, the number of rows, sum(staff) and sum(windows) give
// docs/domain.md §6's "departments stationed in the county center, staff, windows". Ordered by
// center id, then department id. `date($as_of)` takes a date or ISO text.
MATCH (c:Unit {code: $county})
MATCH (x:Center)-[:JURISDICTION]->(u:Unit)-[:PART_OF*0..2]->(c)
MATCH (d:Department)-[s:STATIONED_AT]->(x)
WHERE ((s.valid_from IS NULL OR s.valid_from <= date($as_of)) AND (s.valid_to IS NULL OR s.valid_to >= date($as_of)))
RETURN
  x.id AS center,
  x.name AS center_name,
  x.kind AS center_kind,
  x.level AS center_level,
  u.code AS unit,
  u.name AS unit_name,
  d.id AS department,
  d.name AS department_name,
  d.function AS function,
  d.level AS department_level,
  s.staff AS staff,
  s.windows AS windows,
  s.valid_from AS since,
  s.valid_to AS until
ORDER BY center, department
