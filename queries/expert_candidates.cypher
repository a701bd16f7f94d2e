// answers: the experts in any expert pool who have one of the given domains, with their pool memberships and where they live
// parameters: $domains (domain codes)
// columns: domain, domain_name, expert, name, mobile, profession, pool, pool_name, shared, since, until, home
// One row per expert, matching domain and pool membership (since/until: the IN_POOL tie's
// valid_from/valid_to; the caller keeps memberships valid on its date). `home` is the code of
// the unit the expert LIVES_IN, empty for experts from outside the graph's divisions.
// The Domain table is tiny, so `dm.code IN $domains` scans 19 rows; LIVES_IN is the only
// OPTIONAL MATCH (each costs a join over every candidate).
MATCH (dm:Domain)<-[:HAS_EXPERTISE]-(e:Person)-[m:IN_POOL]->(pool:ExpertPool)
WHERE dm.code IN $domains
OPTIONAL MATCH (e)-[:LIVES_IN]->(v:Unit)
RETURN
  dm.code AS domain,
  dm.name AS domain_name,
  e.id AS expert,
  e.name AS name,
  e.mobile AS mobile,
  e.profession AS profession,
  pool.id AS pool,
  pool.name AS pool_name,
  pool.shared AS shared,
  m.valid_from AS since,
  m.valid_to AS until,
  v.code AS home
