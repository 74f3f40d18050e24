"""Backends: where a graph lives (rdflib in memory, Oxigraph, a SPARQL endpoint), behind one interface."""
