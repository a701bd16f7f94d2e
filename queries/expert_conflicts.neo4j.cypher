// answers: the people tied to a party of a dispute (family or colleague, same employer, same party organisation, a dispute both were party to; up to three hops beyond the party), by the shortest walks from the dispute through its parties, with the report days of the disputes walked through, as of a date
// parameters: $dispute (dispute id), $as_of (date), $related_kinds (RELATED_TO kinds that count, e.g. family, colleague; none: no RELATED_TO)
// columns: expert, steps, labels, keys, names, titles, reported, node_ids, rel_types, rel_starts, kinds, relations, sides
// Neo4j 5 form of expert_conflicts.cypher (read that file's notes): ALL SHORTEST over a
// quantified path with the same conditions on every relationship and none on the nodes; the
// node lists hold the nodes between the ends, as LadybugDB's nodes() of a variable-length
// relationship does. Not allShortestPaths((d)-[…*1..4]-(e:Person)): with the far end unbound
// Neo4j 5.26 runs it as a search per person within reach, 15–120 s per demo dispute against
// 10–60 ms here (the search goes out from the dispute once, breadth first).
MATCH (d:Dispute {id: $dispute})
MATCH p = ALL SHORTEST (d) (()-[r:RELATED_TO|WORKS_IN|MEMBER_OF|PARTY_TO]-()
    WHERE (r.kind IS NULL OR r.kind IN $related_kinds)
      AND ((r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR r.valid_to >= $as_of))){1,4} (e:Person)
RETURN
  e.id AS expert,
  length(p) AS steps,
  [n IN nodes(p)[1..-1] | labels(n)[0]] AS labels,
  [n IN nodes(p)[1..-1] | n.id] AS keys,
  [n IN nodes(p)[1..-1] | n.name] AS names,
  [n IN nodes(p)[1..-1] | n.title] AS titles,
  [n IN nodes(p)[1..-1] | n.reported_on] AS reported,
  [n IN nodes(p)[1..-1] | elementId(n)] AS node_ids,
  [r IN relationships(p) | type(r)] AS rel_types,
  [r IN relationships(p) | elementId(startNode(r))] AS rel_starts,
  [r IN relationships(p) | r.kind] AS kinds,
  [r IN relationships(p) | r.relation] AS relations,
  [r IN relationships(p) | r.side] AS sides
