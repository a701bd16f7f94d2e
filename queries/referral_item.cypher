// answers: the responsibility-list items for a matter (an item id, or a category's items of a class) with the departments responsible and their time limits
// parameters: $item (list-item id, or ''), $category (domain code, or ''), $item_class (class of the category's items, e.g. 矛盾纠纷化解)
// columns: item, item_name, item_class, item_limit, domain, domain_name, department, department_name, function, limit, department_unit
// One row per item and responsible department (department columns empty when none);
// `limit` is the RESPONSIBLE_FOR time limit, `item_limit` the item's own, in days.
// `department_unit` is the unit the department is LOCATED_IN (its county).
MATCH (li:ListItem)
WHERE li.id = $item
   OR (li.item_class = $item_class AND EXISTS { MATCH (li)-[:HAS_EXPERTISE]->(:Domain {code: $category}) })
OPTIONAL MATCH (li)-[:HAS_EXPERTISE]->(dm:Domain)
OPTIONAL MATCH (li)<-[rf:RESPONSIBLE_FOR]-(d:Department)-[:LOCATED_IN]->(u:Unit)
RETURN
  li.id AS item,
  li.name AS item_name,
  li.item_class AS item_class,
  li.time_limit_days AS item_limit,
  dm.code AS domain,
  dm.name AS domain_name,
  d.id AS department,
  d.name AS department_name,
  d.function AS function,
  rf.time_limit_days AS limit,
  u.code AS department_unit
