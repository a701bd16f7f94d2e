// answers: what a dispute is: when it was reported, its grid, category, list item and parties
// parameters: $dispute (dispute id)
// columns: title, reported_on, parties, party_count, warning, status, outcome, grid, grid_name, domain, domain_name, item, item_name
// `parties` is the recorded count; `party_count` counts PARTY_TO relationships. Empty columns
// for what the dispute lacks (no grid, no category…).
MATCH (d:Dispute {id: $dispute})
OPTIONAL MATCH (d)-[:OCCURRED_IN]->(g:Grid)
OPTIONAL MATCH (d)-[:IN_DOMAIN]->(dm:Domain)
OPTIONAL MATCH (d)-[:CLASSIFIED_AS]->(li:ListItem)
RETURN
  d.title AS title,
  d.reported_on AS reported_on,
  d.parties AS parties,
  COUNT { MATCH (d)<-[:PARTY_TO]-() } AS party_count,
  d.warning AS warning,
  d.status AS status,
  d.outcome AS outcome,
  g.id AS grid,
  g.name AS grid_name,
  dm.code AS domain,
  dm.name AS domain_name,
  li.id AS item,
  li.name AS item_name
