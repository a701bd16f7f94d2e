// answers: how many nodes of each type the graph holds
// parameters: none
// columns: type, count
MATCH (n)
RETURN label(n) AS type, count(*) AS count
ORDER BY type
