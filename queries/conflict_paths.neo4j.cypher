// answers: the shortest tie (family or colleague, same employer, same party organisation, a past dispute; up to three hops) from each party of a dispute to each of the given people, as of a date
// parameters: $dispute (dispute id), $experts (person ids), $as_of (date), $ties (relationship types that count: RELATED_TO, WORKS_IN, MEMBER_OF, PARTY_TO), $related_kinds (RELATED_TO kinds that count, e.g. family, colleague)
// columns: party, side, expert, hops, labels, keys, names, titles, node_ids, rel_types, rel_starts, kinds, relations, sides
// Neo4j 5 form of conflict_paths.cypher (read that file's notes): shortestPath with the same
// per-relationship and per-node conditions, which Neo4j checks while it searches.
MATCH (d:Dispute {id: $dispute})<-[pt:PARTY_TO]-(party)
MATCH (e:Person) WHERE e.id IN $experts AND e <> party
MATCH p = shortestPath((party)-[:RELATED_TO|WORKS_IN|MEMBER_OF|PARTY_TO*1..3]-(e))
WHERE all(r IN relationships(p) WHERE
    type(r) IN $ties
    AND (r.kind IS NULL OR r.kind IN $related_kinds)
    AND ((r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR r.valid_to >= $as_of)))
  AND all(n IN nodes(p) WHERE (n.reported_on IS NULL OR n.reported_on <= $as_of) AND n <> d)
RETURN
  party.id AS party,
  pt.side AS side,
  e.id AS expert,
  length(p) AS hops,
  [n IN nodes(p) | labels(n)[0]] AS labels,
  [n IN nodes(p) | n.id] AS keys,
  [n IN nodes(p) | n.name] AS names,
  [n IN nodes(p) | n.title] AS titles,
  [n IN nodes(p) | elementId(n)] AS node_ids,
  [r IN relationships(p) | type(r)] AS rel_types,
  [r IN relationships(p) | elementId(startNode(r))] AS rel_starts,
  [r IN relationships(p) | r.kind] AS kinds,
  [r IN relationships(p) | r.relation] AS relations,
  [r IN relationships(p) | r.side] AS sides
