// answers: the basic grids of a county held against a size rule (东营: about 300 households or 1000 residents to a grid), town by town: how many are about the rule, larger or smaller
// parameters: $county (the county's 12-digit division code), $households (households to a grid), $residents (residents to a grid), $slack (the share either way that is still "about", e.g. 0.2)
// columns: town, town_name, grids, unknown, within, above, below
// 004:13 (东营): 将常住居民300户或1000人左右划分为一个基础网格. The rule's figures are in
// queries/rules.toml, [grid_size]; pass them (queries.rules.load_rules(county).grid_size). A
// basic grid is `within` when its households or its residents are within $slack of the rule
// ("or": either measure will do), `above` when neither is and one exceeds the upper bound,
// `below` otherwise; `unknown` grids have neither figure. Grids are those PART_OF a village of the county (DISTINCT:
// a 苏州 level-3 grid reaches its village twice). One row per town, ordered by town code.
MATCH (c:Unit {code: $county})
MATCH (g:Grid)-[:PART_OF*1..30]->(c)
WITH DISTINCT g
WHERE g.kind = 'basic'
MATCH (g)-[:PART_OF]->(:Unit {level: 'village'})-[:PART_OF]->(t:Unit {level: 'town'})
WITH t, g,
  g.households IS NOT NULL AND abs(g.households - $households) <= $households * $slack AS h_ok,
  g.population IS NOT NULL AND abs(g.population - $residents) <= $residents * $slack AS r_ok,
  (g.households IS NOT NULL AND g.households > $households * (1 + $slack))
    OR (g.population IS NOT NULL AND g.population > $residents * (1 + $slack)) AS big
WITH t,
  count(g) AS grids,
  count(CASE WHEN g.households IS NULL AND g.population IS NULL THEN 1 END) AS unknown,
  count(CASE WHEN h_ok OR r_ok THEN 1 END) AS within,
  count(CASE WHEN NOT (h_ok OR r_ok) AND big THEN 1 END) AS above,
  count(CASE WHEN NOT (h_ok OR r_ok OR big) AND (g.households IS NOT NULL OR g.population IS NOT NULL) THEN 1 END) AS below
RETURN
  t.code AS town,
  t.name AS town_name,
  grids,
  unknown,
  within,
  above,
  below
ORDER BY town
