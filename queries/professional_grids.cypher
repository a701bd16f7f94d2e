// answers: the professional grids that SUPERVISE the given organisations, with each grid's field
// parameters: $orgs (organisation ids)
// columns: org, org_name, grid, grid_name, field
// The organisations are those of a matter: the place described, and those PARTY_TO its dispute
// (`dispute_orgs`: the factory of a wage dispute). One row per organisation and supervising
// grid; none when nothing supervises them. Structure only: a server answers it from its read
// model (queries.read_model), with these rows.
UNWIND $orgs AS org
MATCH (o:Organisation {id: org})<-[:SUPERVISES]-(g:Grid)
RETURN o.id AS org, o.name AS org_name, g.id AS grid, g.name AS grid_name, g.field AS field
