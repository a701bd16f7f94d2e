"""Tables in, graph out: read, normalise, validate and upsert, losing nothing."""
