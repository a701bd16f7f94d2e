// answers: the people tied to a party of a dispute (family or colleague, same employer, same party organisation, a dispute both were party to; up to three hops beyond the party), by the shortest walks from the dispute through its parties, with the report days of the disputes walked through, as of a date
// parameters: $dispute (dispute id), $as_of (date), $related_kinds (RELATED_TO kinds that count, e.g. family, colleague; none: no RELATED_TO)
// columns: expert, steps, labels, keys, names, titles, reported, node_ids, rel_types, rel_starts, kinds, relations, sides
// The conflict-of-interest walk of expert_pool under the default ties (all four kinds; rules
// that turn off WORKS_IN or MEMBER_OF go through conflict_paths, which takes the types).
// One row per shortest walk from the dispute to a person: a party's PARTY_TO first (steps 1:
// the person is a party), then up to three ties, each holding on the date (WORKS_IN and
// MEMBER_OF valid then). One walk from the dispute is the shortest over all its parties and
// never comes back through the dispute; ALL SHORTEST keeps every walk of that length, for the
// caller to break ties by the keys along it.
// The walk does not test the disputes it passes through (a past dispute counts when reported
// by the date, and only when the rules say so): the caller does, from `reported`. A test on
// the nodes of a LadybugDB walk is evaluated over every node of the graph before it starts,
// whatever the walk reaches: on the city graph (1.3 M nodes) `n.reported_on <= $as_of` costs
// 20 ms and `n.id <> $dispute` 55 ms, against 3 ms for the walk. A person whose shortest walks
// all pass through a dispute that does not count may have a longer one that holds: the caller
// asks conflict_paths about that person (a party who is a candidate, found at one step here,
// is excluded by the caller from dispute_parties). The people are not filtered (the caller keeps its candidates): a list filter
// costs more than the rows it saves.
// The walk comes as parallel lists: the nodes *between* the dispute and the person (the party
// first): labels, keys, names (titles and report days for disputes), internal ids; and every
// relationship from the party's PARTY_TO on: types, start nodes (internal ids: relationship i
// joins the walk's nodes i and i + 1, the dispute being node 0 and the person the last),
// kind/relation (RELATED_TO) and side (PARTY_TO).
// LadybugDB dialect (shortest path, label(), properties() of a list): Neo4j runs
// expert_conflicts.neo4j.cypher. The walk is bound as a relationship variable (t), whose
// nodes(t) leave out its ends: the same projections of a named path (MATCH p = …, nodes(p))
// cost 6 ms more on the demo (LadybugDB 0.22).
MATCH (d:Dispute {id: $dispute})
MATCH (d)-[t:RELATED_TO|WORKS_IN|MEMBER_OF|PARTY_TO* ALL SHORTEST 1..4 (r, n | WHERE
    (r.kind IS NULL OR r.kind IN $related_kinds)
    AND ((r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR r.valid_to >= $as_of)))]-(e:Person)
RETURN
  e.id AS expert,
  length(t) AS steps,
  properties(nodes(t), '_LABEL') AS labels,
  properties(nodes(t), 'id') AS keys,
  properties(nodes(t), 'name') AS names,
  properties(nodes(t), 'title') AS titles,
  properties(nodes(t), 'reported_on') AS reported,
  properties(nodes(t), '_ID') AS node_ids,
  properties(rels(t), '_LABEL') AS rel_types,
  properties(rels(t), '_SRC') AS rel_starts,
  properties(rels(t), 'kind') AS kinds,
  properties(rels(t), 'relation') AS relations,
  properties(rels(t), 'side') AS sides
