// answers: the disputes handled by the experts who have one of the given domains: their load and their ratings
// parameters: $domains (domain codes)
// columns: expert, dispute, reported_on, outcome, settled_on, satisfaction
// One row per expert and dispute the expert HANDLED (experts who handled none have no row).
// The caller counts a dispute open on its date when it was reported by then and had no
// outcome, or was settled after it; `satisfaction` (1–5) is the rating, empty if none.
// HANDLED is an OPTIONAL MATCH on purpose: LadybugDB then follows each expert's own HANDLED
// relationships, where a MATCH joins the experts with a scan of every HANDLED relationship
// (1.3 ms against 8.5 ms on the city graph's 177,000, 1.7 against 1.9 on the demo's 21,000).
MATCH (dm:Domain)<-[:HAS_EXPERTISE]-(e:Person)-[:IN_POOL]->(:ExpertPool)
WHERE dm.code IN $domains
OPTIONAL MATCH (e)-[:HANDLED]->(d:Dispute)
WITH e, d
WHERE d IS NOT NULL
RETURN DISTINCT
  e.id AS expert,
  d.id AS dispute,
  d.reported_on AS reported_on,
  d.outcome AS outcome,
  d.settled_on AS settled_on,
  d.satisfaction AS satisfaction
