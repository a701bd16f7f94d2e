// answers: the grids of a county with no party branch built on them (支部建在网格上): no party organisation at all, or only a party group
// parameters: $county (the county's 12-digit division code, e.g. 330421000000)
// columns: grid, grid_name, kind, grid_class, village, village_name, town, town_name, party_group, party_group_name
// Grids are the county's grids of every kind but micro-grids (basic, dedicated, professional,
// out-of-county: PART_OF a village, or the county itself for an out-of-county grid). A grid has
// a branch when a party organisation of branch rank or above (branch, general_branch,
// committee) COVERS it. Each grid without one is a row; `party_group` is the party group
// (kind group or building_group) covering it, or empty when no party organisation covers it
// at all, so `party_group IS NULL` are the grids without any party organisation. A grid
// covered by two groups gives a row per group. `village`/`town` are empty for an
// out-of-county grid. Ordered by grid id.
// Shape (LadybugDB 0.22): the filter after the variable-length walk sits in a WITH … WHERE;
// inside the MATCH it was planned 10–20× slower on the demo graph.
MATCH (c:Unit {code: $county})
MATCH (g:Grid)-[:PART_OF*1..30]->(c)
WITH g
WHERE g.kind <> 'micro'
  AND NOT EXISTS {
    MATCH (o:PartyOrg)-[:COVERS]->(g)
    WHERE o.kind IN ['branch', 'general_branch', 'committee']
  }
OPTIONAL MATCH (grp:PartyOrg)-[:COVERS]->(g)
OPTIONAL MATCH (g)-[:PART_OF]->(v:Unit {level: 'village'})
OPTIONAL MATCH (v)-[:PART_OF]->(t:Unit {level: 'town'})
RETURN
  g.id AS grid,
  g.name AS grid_name,
  g.kind AS kind,
  g.grid_class AS grid_class,
  v.code AS village,
  v.name AS village_name,
  t.code AS town,
  t.name AS town_name,
  grp.id AS party_group,
  grp.name AS party_group_name
ORDER BY grid, party_group
