// answers: for each person who is a party to a dispute, how many disputes they were a party to reported within a span of days (this one included when it lies in the span)
// parameters: $dispute (dispute id), $since (first day), $until (last day)
// columns: person, n
// The referral grades a dispute's warning colour by its most frequent visitor (rules.toml's
// warnings.visits_days): a person who keeps coming back is a risk whatever the matter.
// Two MATCH clauses: Neo4j never walks one relationship twice within a clause, which would
// leave this dispute out of its own parties' count.
MATCH (:Dispute {id: $dispute})<-[:PARTY_TO]-(p:Person)
MATCH (p)-[:PARTY_TO]->(d:Dispute)
WHERE d.reported_on >= $since AND d.reported_on <= $until
RETURN p.id AS person, count(d) AS n
