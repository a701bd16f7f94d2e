// answers: one grid in every unit that has grids directly in it (the lowest id), and one responsibility-list item to describe a dispute by
// parameters: (none)
// columns: grid, item
// For `queries.warm`: asking about these grids reads the bodies of every unit a ladder can
// climb through. The item is one some department is RESPONSIBLE_FOR (the lowest id); no row
// when there is none.
MATCH (li:ListItem)<-[:RESPONSIBLE_FOR]-(:Department)
WITH min(li.id) AS item
MATCH (u:Unit)<-[:PART_OF]-(g:Grid)
WITH item, u, min(g.id) AS grid
RETURN grid, item
ORDER BY grid
