// answers: the shortest tie (family or colleague, same employer, same party organisation, a past dispute; up to three hops) from each party of a dispute to each of the given people, as of a date
// parameters: $dispute (dispute id), $experts (person ids), $as_of (date), $ties (relationship types that count: RELATED_TO, WORKS_IN, MEMBER_OF, PARTY_TO), $related_kinds (RELATED_TO kinds that count, e.g. family, colleague)
// columns: party, side, expert, hops, labels, keys, names, titles, node_ids, rel_types, rel_starts, kinds, relations, sides
// One row per party and tied person: the shortest walk of the allowed ties, every one holding
// on the date (WORKS_IN and MEMBER_OF valid then, disputes reported by then), never through
// the dispute itself (its other parties are starting points of their own). The walk comes
// as parallel lists: its nodes' labels, keys, names (titles for disputes) and internal ids; its
// relationships' types, start nodes (an internal id: compare with node_ids for direction),
// and their kind/relation (RELATED_TO) and side (PARTY_TO). The bound of 3 is the deepest check
// the rules allow (conflict.depth); the caller keeps walks up to its depth.
// LadybugDB dialect (shortest path, label(), properties() of a list, start_node()): Neo4j runs
// conflict_paths.neo4j.cypher. properties(nodes(p), 'x') projects one property of every node
// cheaply; returning nodes(p) whole costs 25× more, and UNWIND nodes(p) … collect() after a
// shortest path 10,000× more (LadybugDB 0.22).
MATCH (d:Dispute {id: $dispute})<-[pt:PARTY_TO]-(party)
MATCH p = (party)-[:RELATED_TO|WORKS_IN|MEMBER_OF|PARTY_TO* SHORTEST 1..3 (r, n | WHERE
    label(r) IN $ties
    AND (r.kind IS NULL OR r.kind IN $related_kinds)
    AND (r.valid_from IS NULL OR r.valid_from <= $as_of)
    AND (r.valid_to IS NULL OR r.valid_to >= $as_of)
    AND (n.reported_on IS NULL OR n.reported_on <= $as_of)
    AND n.id <> $dispute)]-(e:Person)
WHERE e.id IN $experts
RETURN
  party.id AS party,
  pt.side AS side,
  e.id AS expert,
  length(p) AS hops,
  properties(nodes(p), '_LABEL') AS labels,
  properties(nodes(p), 'id') AS keys,
  properties(nodes(p), 'name') AS names,
  properties(nodes(p), 'title') AS titles,
  properties(nodes(p), '_ID') AS node_ids,
  properties(rels(p), '_LABEL') AS rel_types,
  properties(rels(p), '_SRC') AS rel_starts,
  properties(rels(p), 'kind') AS kinds,
  properties(rels(p), 'relation') AS relations,
  properties(rels(p), 'side') AS sides
