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
// LadybugDB dialect (shortest path, label(), properties() of a list, list_concat, CAST): Neo4j
// runs conflict_paths.neo4j.cypher. properties(nodes(t), 'x') projects one property of every
// node cheaply; returning nodes(t) whole costs 25× more, and UNWIND nodes(t) … collect() after
// a shortest path 10,000× more. The walk is bound as a relationship variable (t), whose
// nodes(t) are the nodes between its ends (the ends are added here): the same projections
// of a named path (MATCH p = …, nodes(p)) cost 6 ms more on the demo (LadybugDB 0.22).
// expert_pool walks from the dispute instead (expert_conflicts) and asks this query only about
// what that walk cannot tell: a party who is a candidate, a candidate whose shortest walks
// all pass through a dispute that does not count, and everyone when the rules turn the same
// employer or the same party organisation off. Its tests on nodes cost a pass over every node
// of the graph (75 ms on the city graph).
MATCH (d:Dispute {id: $dispute})<-[pt:PARTY_TO]-(party)
MATCH (party)-[t:RELATED_TO|WORKS_IN|MEMBER_OF|PARTY_TO* SHORTEST 1..3 (r, n | WHERE
    label(r) IN $ties
    AND (r.kind IS NULL OR r.kind IN $related_kinds)
    AND ((r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR r.valid_to >= $as_of))
    AND (n.reported_on IS NULL OR n.reported_on <= $as_of)
    AND n.id <> $dispute)]-(e:Person)
WHERE e.id IN $experts
RETURN
  party.id AS party,
  pt.side AS side,
  e.id AS expert,
  length(t) AS hops,
  list_concat(list_concat([label(party)], properties(nodes(t), '_LABEL')), [label(e)]) AS labels,
  list_concat(list_concat([party.id], properties(nodes(t), 'id')), [e.id]) AS keys,
  list_concat(list_concat([party.name], properties(nodes(t), 'name')), [e.name]) AS names,
  list_concat(
    list_concat(CAST([NULL] AS STRING[]), properties(nodes(t), 'title')), CAST([NULL] AS STRING[])
  ) AS titles,
  list_concat(list_concat([id(party)], properties(nodes(t), '_ID')), [id(e)]) AS node_ids,
  properties(rels(t), '_LABEL') AS rel_types,
  properties(rels(t), '_SRC') AS rel_starts,
  properties(rels(t), 'kind') AS kinds,
  properties(rels(t), 'relation') AS relations,
  properties(rels(t), 'side') AS sides
