// answers: the team of each grid: everyone who ever served in it, with their role
// parameters: $grids (grid ids)
// columns: anchor, rel, body_label, body_key, body_name, body_kind, body_level, via, via_name, holder, holder_name, mobile, post, since, until
// `via` (and `via_name`) is the node the body was reached through or points on to (always '' here).
// One row per body and post-holder, past or present; body columns are empty when an anchor has
// no body of a kind, holder columns when a body has nobody. `since`/`until` (the post's
// valid_from/valid_to) let the caller keep those holding the post on its date. `rel` names how
// the body was found from its anchor (the grid id).
// Each anchor's rows depend on that anchor alone (and the other parameters). A server answers
// this query from its read model (queries.read_model), with these rows (a parity test).
// the team of each grid: everyone who ever served there
UNWIND $grids AS anchor
MATCH (g:Grid {id: anchor})
OPTIONAL MATCH (g)<-[h:SERVES_IN]-(p:Person)
RETURN anchor, 'SERVES_IN' AS rel, 'Grid' AS body_label, g.id AS body_key, g.name AS body_name,
  g.kind AS body_kind, 'grid' AS body_level, '' AS via, '' AS via_name, p.id AS holder, p.name AS holder_name,
  p.mobile AS mobile, h.role AS post, h.valid_from AS since, h.valid_to AS until
