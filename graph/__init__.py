"""The graph: its schema, declared once, and the storage backends behind one interface."""
