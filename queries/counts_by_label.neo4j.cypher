// answers: how many nodes of each type the graph holds
// parameters: none
// columns: type, count
// Neo4j variant: LadybugDB's label(n) is labels(n)[0] here (govgraph gives a node one label).
MATCH (n)
RETURN labels(n)[0] AS type, count(*) AS count
ORDER BY type
