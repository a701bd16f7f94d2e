// answers: the share of a county's disputes settled at each level, month by month (the 小事不出村 indicator: cumulative_share at village)
// parameters: $county (the county's 12-digit division code), $start (date: first report day counted), $until (date: last report day counted)
// columns: county, month, level, disputes, settled_total, settled, share, cumulative, cumulative_share
// Disputes are those that OCCURRED_IN a grid of the county (micro-grids included) and were
// reported from $start to $until; `month` is the first day of the month they were reported
// in. Five rows a month, one per level of SETTLED_LEVELS (grid, village, town, county,
// court), lowest first: `disputes` reported that month, `settled_total` of them settled at any
// level, `settled` settled at this level, `cumulative` settled at this level or a lower one;
// `share` and `cumulative_share` divide by `disputes` (4 decimals). Unsettled, withdrawn,
// litigated and open disputes count in `disputes` only. 小事不出村 is `cumulative_share` at
// village, 大事不出镇 at town; of settled disputes only, divide `cumulative` by
// `settled_total`. `date()` takes a date or ISO text (the command line passes text).
// Neo4j dialect (date.truncate): LadybugDB runs research_settled_by_level.cypher.
// Shape (LadybugDB 0.22): the filter after the variable-length walk sits in a WITH … WHERE;
// inside the MATCH it was planned 10–20× slower on the demo graph.
MATCH (c:Unit {code: $county})
MATCH (d:Dispute)-[:OCCURRED_IN]->(:Grid)-[:PART_OF*1..30]->(c)
WITH c, d
WHERE d.reported_on >= date($start) AND d.reported_on <= date($until)
WITH c, date.truncate('month', d.reported_on) AS month, d
WITH c, month,
  count(d) AS disputes,
  count(CASE WHEN d.outcome = 'settled' THEN 1 END) AS settled_total,
  count(CASE WHEN d.outcome = 'settled' AND d.settled_level = 'grid' THEN 1 END) AS at_grid,
  count(CASE WHEN d.outcome = 'settled' AND d.settled_level = 'village' THEN 1 END) AS at_village,
  count(CASE WHEN d.outcome = 'settled' AND d.settled_level = 'town' THEN 1 END) AS at_town,
  count(CASE WHEN d.outcome = 'settled' AND d.settled_level = 'county' THEN 1 END) AS at_county,
  count(CASE WHEN d.outcome = 'settled' AND d.settled_level = 'court' THEN 1 END) AS at_court
UNWIND ['grid', 'village', 'town', 'county', 'court'] AS level
WITH c, month, level, disputes, settled_total,
  CASE level
    WHEN 'grid' THEN at_grid
    WHEN 'village' THEN at_village
    WHEN 'town' THEN at_town
    WHEN 'county' THEN at_county
    ELSE at_court
  END AS settled,
  CASE level
    WHEN 'grid' THEN at_grid
    WHEN 'village' THEN at_grid + at_village
    WHEN 'town' THEN at_grid + at_village + at_town
    WHEN 'county' THEN at_grid + at_village + at_town + at_county
    ELSE at_grid + at_village + at_town + at_county + at_court
  END AS cumulative
RETURN
  c.code AS county,
  month,
  level,
  disputes,
  settled_total,
  settled,
  round(1.0 * settled / disputes, 4) AS share,
  cumulative,
  round(1.0 * cumulative / disputes, 4) AS cumulative_share
ORDER BY month,
  CASE level WHEN 'grid' THEN 1 WHEN 'village' THEN 2 WHEN 'town' THEN 3 WHEN 'county' THEN 4 ELSE 5 END
