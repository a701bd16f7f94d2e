"""The Cypher query library: named `.cypher` files and thin typed functions that run them."""
