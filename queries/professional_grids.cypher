// answers: the professional grids that SUPERVISE the organisations of a matter, with each grid's field
// parameters: $orgs (organisation ids), $dispute (dispute id, or '')
// columns: org, org_name, grid, grid_name, field
// The organisations are those given and those PARTY_TO the dispute (the factory of a wage
// dispute). One row per organisation and supervising grid; none when nothing supervises them.
UNWIND $orgs AS org
MATCH (o:Organisation {id: org})<-[:SUPERVISES]-(g:Grid)
RETURN o.id AS org, o.name AS org_name, g.id AS grid, g.name AS grid_name, g.field AS field
UNION ALL
MATCH (:Dispute {id: $dispute})<-[:PARTY_TO]-(o:Organisation)<-[:SUPERVISES]-(g:Grid)
RETURN o.id AS org, o.name AS org_name, g.id AS grid, g.name AS grid_name, g.field AS field
