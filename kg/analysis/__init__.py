"""Analysis: counts, one entity described, ownership of the network (metrics over the agent projection)."""
