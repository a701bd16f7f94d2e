// answers: the liaison bodies of out-of-county grids in their home county (LIAISES_WITH) and their post-holders
// parameters: $grids (grid ids), $as_of (date: the departments and centers that exist that day)
// columns: anchor, rel, body_label, body_key, body_name, body_kind, body_level, via, via_name, holder, holder_name, mobile, post, since, until
// `via` (and `via_name`) is the node the body was reached through or points on to: the center
// a center escalates to, the center a department is stationed at, the organisation a party
// organisation is subordinate to, the domain an industry committee matched.
// A department or center that does not exist on $as_of (graph.temporal) is no body that day.
// One row per body and post-holder, past or present; body columns are empty when an anchor has
// no body of a kind, holder columns when a body has nobody. `since`/`until` (the post's
// valid_from/valid_to) let the caller keep those holding the post on its date. `rel` names how
// the body was found from its anchor (a grid id or a unit code).
// Shape, measured on LadybugDB at city scale: each branch looks its anchor up by key alone
// (UNWIND … MATCH (x {key: anchor})), then reaches bodies and holders by OPTIONAL MATCH; a
// pattern joining the anchor to its bodies in one MATCH after UNWIND is planned as a scan of
// every body (10× slower), and `x.id IN $list` scans the table. '' rather than NULL keeps the
// UNION's column types equal, and no expression appears twice in the first branch (LadybugDB
// 0.22 then fills a later branch's column from the wrong expression).
// an out-of-county grid's liaison departments in its home county, and their post-holders
UNWIND $grids AS anchor
MATCH (g:Grid {id: anchor})
OPTIONAL MATCH (g)-[:LIAISES_WITH]->(b:Department)
WHERE ((b.valid_from IS NULL OR b.valid_from <= $as_of) AND (b.valid_to IS NULL OR b.valid_to >= $as_of))
OPTIONAL MATCH (b)<-[h:HOLDS_POST]-(p:Person)
RETURN anchor, 'LIAISES_WITH' AS rel, 'Department' AS body_label, b.id AS body_key, b.name AS body_name,
  b.function AS body_kind, b.level AS body_level, '' AS via, '' AS via_name, p.id AS holder, p.name AS holder_name,
  p.mobile AS mobile, h.post AS post, h.valid_from AS since, h.valid_to AS until
UNION ALL
// an out-of-county grid's liaison centers, and their post-holders
UNWIND $grids AS anchor
MATCH (g:Grid {id: anchor})
OPTIONAL MATCH (g)-[:LIAISES_WITH]->(b:Center)
WHERE ((b.valid_from IS NULL OR b.valid_from <= $as_of) AND (b.valid_to IS NULL OR b.valid_to >= $as_of))
OPTIONAL MATCH (b)<-[h:HOLDS_POST]-(p:Person)
RETURN anchor, 'LIAISES_WITH' AS rel, 'Center' AS body_label, b.id AS body_key, b.name AS body_name,
  b.kind AS body_kind, b.level AS body_level, '' AS via, '' AS via_name, p.id AS holder, p.name AS holder_name,
  p.mobile AS mobile, h.post AS post, h.valid_from AS since, h.valid_to AS until
UNION ALL
// an out-of-county grid's liaison organisations (a chamber of commerce: no posts recorded)
UNWIND $grids AS anchor
MATCH (g:Grid {id: anchor})
OPTIONAL MATCH (g)-[:LIAISES_WITH]->(b:Organisation)
RETURN anchor, 'LIAISES_WITH' AS rel, 'Organisation' AS body_label, b.id AS body_key, b.name AS body_name,
  b.kind AS body_kind, '' AS body_level, '' AS via, '' AS via_name, '' AS holder, '' AS holder_name,
  '' AS mobile, '' AS post, date(NULL) AS since, date(NULL) AS until
