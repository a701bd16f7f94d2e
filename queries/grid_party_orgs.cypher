// answers: the party organisations built on each grid (支部建在网格上), the organisation each is subordinate to, and their leaders
// parameters: $grids (grid ids)
// columns: anchor, rel, body_label, body_key, body_name, body_kind, body_level, via, via_name, holder, holder_name, mobile, post, since, until
// `via` (and `via_name`) is the node the body was reached through or points on to: the organisation it is subordinate to.
// One row per body and post-holder, past or present; body columns are empty when an anchor has
// no body of a kind, holder columns when a body has nobody. `since`/`until` (the post's
// valid_from/valid_to) let the caller keep those holding the post on its date. `rel` names how
// the body was found from its anchor (the grid id).
// Each anchor's rows depend on that anchor alone (and the other parameters). A server answers
// this query from its read model (queries.read_model), with these rows (a parity test).
// the party organisations built on each grid (支部建在网格上; via: the one above), and their leaders
UNWIND $grids AS anchor
MATCH (g:Grid {id: anchor})
OPTIONAL MATCH (g)<-[:COVERS]-(o:PartyOrg)
OPTIONAL MATCH (o)-[:SUBORDINATE_TO]->(up:PartyOrg)
OPTIONAL MATCH (o)<-[h:LEADS]-(p:Person)
RETURN anchor, 'COVERS' AS rel, 'PartyOrg' AS body_label, o.id AS body_key, o.name AS body_name,
  o.kind AS body_kind, o.level AS body_level, coalesce(up.id, '') AS via, coalesce(up.name, '') AS via_name, p.id AS holder, p.name AS holder_name,
  p.mobile AS mobile, h.post AS post, h.valid_from AS since, h.valid_to AS until
