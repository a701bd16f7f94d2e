// answers: how long a county's settled disputes took to settle, by the level they were settled at
// parameters: $county (the county's 12-digit division code), $start (date: first report day counted), $until (date: last report day counted)
// columns: county, level, settled, mean_days, median_days, p90_days, min_days, max_days
// Disputes that OCCURRED_IN a grid of the county (micro-grids included), were reported from
// $start to $until and were settled (outcome settled, with settled_on). Days are settled_on
// minus reported_on (0: settled the day it was reported). One row per level that settled any,
// lowest first: how many, the mean (2 decimals), the median and 90th percentile
// (percentileDisc: a day count that occurred), the fastest and the slowest. Compare with the
// ladder's time limits in queries/rules.toml ([time_limits]). `date()` takes a date or ISO
// text (the command line passes text).
// LadybugDB dialect (a date minus a date is a number of days): Neo4j runs
// research_time_to_settle.neo4j.cypher.
// Shape (LadybugDB 0.22): the filter after the variable-length walk sits in a WITH … WHERE;
// inside the MATCH it was planned 10–20× slower on the demo graph.
MATCH (c:Unit {code: $county})
MATCH (d:Dispute)-[:OCCURRED_IN]->(:Grid)-[:PART_OF*1..30]->(c)
WITH c, d
WHERE d.reported_on >= date($start) AND d.reported_on <= date($until)
  AND d.outcome = 'settled' AND d.settled_on IS NOT NULL
WITH c, d.settled_level AS level, d.settled_on - d.reported_on AS days
RETURN
  c.code AS county,
  level,
  count(*) AS settled,
  round(avg(days), 2) AS mean_days,
  percentileDisc(days, 0.5) AS median_days,
  percentileDisc(days, 0.9) AS p90_days,
  min(days) AS min_days,
  max(days) AS max_days
ORDER BY
  CASE level WHEN 'grid' THEN 1 WHEN 'village' THEN 2 WHEN 'town' THEN 3 WHEN 'county' THEN 4 ELSE 5 END
