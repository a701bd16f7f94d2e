// answers: the departments stationed at the centers serving each unit, past or present, with the dates of the stationing, and their post-holders
// parameters: $units (unit codes of the chain), $as_of (date: the centers and departments that exist that day)
// columns: anchor, rel, body_label, body_key, body_name, body_kind, body_level, via, via_name, holder, holder_name, mobile, post, since, until, stationed_from, stationed_to
// One row per department and post-holder (via: the center it is stationed at); body columns
// are empty when a unit's centers have no department stationed, holder columns when a
// department has nobody. `since`/`until` are the post's valid_from/valid_to,
// `stationed_from`/`stationed_to` the STATIONED_AT tie's: the caller keeps the departments
// stationed on its date and the holders in post on it (a server answers from its read model,
// queries.read_model, with these rows). A center or department that does not exist on
// $as_of (graph.temporal) has no row that day.
UNWIND $units AS anchor
MATCH (u:Unit {code: anchor})
OPTIONAL MATCH (u)<-[:JURISDICTION]-(c:Center)<-[st:STATIONED_AT]-(d:Department)
WHERE ((c.valid_from IS NULL OR c.valid_from <= $as_of) AND (c.valid_to IS NULL OR c.valid_to >= $as_of)) AND ((d.valid_from IS NULL OR d.valid_from <= $as_of) AND (d.valid_to IS NULL OR d.valid_to >= $as_of))
OPTIONAL MATCH (d)<-[h:HOLDS_POST]-(p:Person)
RETURN anchor, 'STATIONED_AT' AS rel, 'Department' AS body_label, d.id AS body_key, d.name AS body_name,
  d.function AS body_kind, d.level AS body_level, c.id AS via, c.name AS via_name, p.id AS holder, p.name AS holder_name,
  p.mobile AS mobile, h.post AS post, h.valid_from AS since, h.valid_to AS until,
  st.valid_from AS stationed_from, st.valid_to AS stationed_to
