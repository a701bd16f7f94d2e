// answers: the people who are parties to a dispute, with their side
// parameters: $dispute (dispute id)
// columns: party, side
// Organisations that are parties are not listed: an expert is a person. A party is the
// closest conflict of interest there is (expert_pool excludes one at 0 hops).
MATCH (:Dispute {id: $dispute})<-[pt:PARTY_TO]-(p:Person)
RETURN p.id AS party, pt.side AS side
