// answers: the organisations that are parties to a dispute
// parameters: $dispute (dispute id)
// columns: org
// Read by the referral for the professional grids that supervise them (`professional_grids`).
MATCH (:Dispute {id: $dispute})<-[:PARTY_TO]-(o:Organisation)
RETURN o.id AS org
