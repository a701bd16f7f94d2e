// answers: the people of a county holding posts in two or more bodies on a date (interlocks): grid teams, departments, centers, mediation bodies, party organisations, organisations
// parameters: $county (the county's 12-digit division code), $as_of (date: the posts held that day)
// columns: person, name, bodies, tie, body_label, body, body_name, body_kind, post, since
// People of the county are those who LIVE_IN it (a village or town within it, or the county
// itself). A post is a tie holding on $as_of (valid_from empty or <= as_of, valid_to empty
// or >= as_of): SERVES_IN a grid (post: the role), HOLDS_POST in a department, center or
// mediation body, LEADS a party organisation, MEDIATES_IN a mediation body, WORKS_IN a
// department or organisation (post empty). `bodies` counts the distinct bodies a person holds
// posts in; people with two or more get a row per post, so a grid head who is also the grid's
// party-branch secretary (一肩挑) shows as two rows. body_kind is the body's kind (a
// department's function). Ordered by bodies (most first), person, tie, body.
// LadybugDB dialect (label() of a node and of a relationship): Neo4j runs
// research_interlocks.neo4j.cypher.
MATCH (c:Unit {code: $county})
MATCH (p:Person)-[:LIVES_IN]->(:Unit)-[:PART_OF*0..2]->(c)
MATCH (p)-[h:SERVES_IN|HOLDS_POST|LEADS|MEDIATES_IN|WORKS_IN]->(b)
WHERE ((h.valid_from IS NULL OR h.valid_from <= date($as_of)) AND (h.valid_to IS NULL OR h.valid_to >= date($as_of)))
WITH p, count(DISTINCT b) AS bodies
WHERE bodies >= 2
MATCH (p)-[h:SERVES_IN|HOLDS_POST|LEADS|MEDIATES_IN|WORKS_IN]->(b)
WHERE ((h.valid_from IS NULL OR h.valid_from <= date($as_of)) AND (h.valid_to IS NULL OR h.valid_to >= date($as_of)))
RETURN
  p.id AS person,
  p.name AS name,
  bodies,
  label(h) AS tie,
  label(b) AS body_label,
  b.id AS body,
  b.name AS body_name,
  coalesce(b.kind, b.function) AS body_kind,
  coalesce(h.role, h.post) AS post,
  h.valid_from AS since
ORDER BY bodies DESC, person, tie, body
