// answers: the bodies above a dispute's grid it can be referred to, unit by unit (centers, mediation committees, every department, industry committees with their domains, court), and their post-holders
// parameters: $units (unit codes of the chain), $as_of (date: the centers and departments that exist that day), $mediation_kinds (kinds of the village/town committees), $industry_kinds (kinds of the industry committees), $court (the court's department function)
// columns: anchor, rel, body_label, body_key, body_name, body_kind, body_level, via, via_name, holder, holder_name, mobile, post, since, until
// `via` (and `via_name`) is the node the body was reached through or points on to: the center a center escalates to, the domain an industry committee matched.
// A center or department that does not exist on $as_of (graph.temporal) is no body that day.
// One row per body and post-holder, past or present; body columns are empty when an anchor has
// no body of a kind, holder columns when a body has nobody. `since`/`until` (the post's
// valid_from/valid_to) let the caller keep those holding the post on its date. `rel` names how
// the body was found from its anchor (a unit code).
// Each anchor's rows depend on that anchor alone (and the other parameters). A server answers
// this query from its read model (queries.read_model), with these rows (a parity test).
// Every department (rel FUNCTION, its function in body_kind) and every industry committee with
// each of its domains (rel HAS_EXPERTISE, the domain in via) are returned: the caller keeps
// those of the dispute's functions and domains, so that one unit's rows serve every category.
// Shape, measured on LadybugDB at city scale: each branch looks its anchor up by key alone
// (UNWIND … MATCH (x {key: anchor})), then reaches bodies and holders by OPTIONAL MATCH; a
// pattern joining the anchor to its bodies in one MATCH after UNWIND is planned as a scan of
// every body (10× slower), and `x.id IN $list` scans the table. '' rather than NULL keeps the
// UNION's column types equal, and no expression appears twice in the first branch (LadybugDB
// 0.22 then fills a later branch's column from the wrong expression).
// the centers serving each unit (JURISDICTION; via: the center it ESCALATES_TO), and their post-holders
UNWIND $units AS anchor
MATCH (u:Unit {code: anchor})
OPTIONAL MATCH (u)<-[:JURISDICTION]-(c:Center)
WHERE ((c.valid_from IS NULL OR c.valid_from <= $as_of) AND (c.valid_to IS NULL OR c.valid_to >= $as_of))
OPTIONAL MATCH (c)-[:ESCALATES_TO]->(up:Center)
WHERE ((up.valid_from IS NULL OR up.valid_from <= $as_of) AND (up.valid_to IS NULL OR up.valid_to >= $as_of))
OPTIONAL MATCH (c)<-[h:HOLDS_POST]-(p:Person)
RETURN anchor, 'JURISDICTION' AS rel, 'Center' AS body_label, c.id AS body_key, c.name AS body_name,
  c.kind AS body_kind, c.level AS body_level, coalesce(up.id, '') AS via, coalesce(up.name, '') AS via_name, p.id AS holder, p.name AS holder_name,
  p.mobile AS mobile, h.post AS post, h.valid_from AS since, h.valid_to AS until
UNION ALL
// the mediation committees of the given kinds in each unit, and their mediators
UNWIND $units AS anchor
MATCH (u:Unit {code: anchor})
OPTIONAL MATCH (u)<-[:LOCATED_IN]-(m:MediationOrg)
WHERE m.kind IN $mediation_kinds
OPTIONAL MATCH (m)<-[h:MEDIATES_IN]-(p:Person)
RETURN anchor, 'LOCATED_IN' AS rel, 'MediationOrg' AS body_label, m.id AS body_key, m.name AS body_name,
  m.kind AS body_kind, m.level AS body_level, '' AS via, '' AS via_name, p.id AS holder, p.name AS holder_name,
  p.mobile AS mobile, h.post AS post, h.valid_from AS since, h.valid_to AS until
UNION ALL
// the departments in each unit (body_kind: the function), and their post-holders
UNWIND $units AS anchor
MATCH (u:Unit {code: anchor})
OPTIONAL MATCH (u)<-[:LOCATED_IN]-(d:Department)
WHERE ((d.valid_from IS NULL OR d.valid_from <= $as_of) AND (d.valid_to IS NULL OR d.valid_to >= $as_of))
OPTIONAL MATCH (d)<-[h:HOLDS_POST]-(p:Person)
RETURN anchor, 'FUNCTION' AS rel, 'Department' AS body_label, d.id AS body_key, d.name AS body_name,
  d.function AS body_kind, d.level AS body_level, '' AS via, '' AS via_name, p.id AS holder, p.name AS holder_name,
  p.mobile AS mobile, h.post AS post, h.valid_from AS since, h.valid_to AS until
UNION ALL
// the mediation committees of the given kinds in each unit, once per domain (via: the domain)
UNWIND $units AS anchor
MATCH (u:Unit {code: anchor})
OPTIONAL MATCH (u)<-[:LOCATED_IN]-(m:MediationOrg)-[:HAS_EXPERTISE]->(dm:Domain)
WHERE m.kind IN $industry_kinds
OPTIONAL MATCH (m)<-[h:MEDIATES_IN]-(p:Person)
RETURN anchor, 'HAS_EXPERTISE' AS rel, 'MediationOrg' AS body_label, m.id AS body_key, m.name AS body_name,
  m.kind AS body_kind, m.level AS body_level, dm.code AS via, dm.name AS via_name, p.id AS holder, p.name AS holder_name,
  p.mobile AS mobile, h.post AS post, h.valid_from AS since, h.valid_to AS until
UNION ALL
// the court in each unit, and its post-holders
UNWIND $units AS anchor
MATCH (u:Unit {code: anchor})
OPTIONAL MATCH (u)<-[:LOCATED_IN]-(d:Department {function: $court})
WHERE ((d.valid_from IS NULL OR d.valid_from <= $as_of) AND (d.valid_to IS NULL OR d.valid_to >= $as_of))
OPTIONAL MATCH (d)<-[h:HOLDS_POST]-(p:Person)
RETURN anchor, 'COURT' AS rel, 'Department' AS body_label, d.id AS body_key, d.name AS body_name,
  d.function AS body_kind, d.level AS body_level, '' AS via, '' AS via_name, p.id AS holder, p.name AS holder_name,
  p.mobile AS mobile, h.post AS post, h.valid_from AS since, h.valid_to AS until
