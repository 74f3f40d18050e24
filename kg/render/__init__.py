"""Rendering: the interactive HTML graph, plots and the ontology reference, in one palette."""
