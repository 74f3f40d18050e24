"""Readers and writers: formats, the folder walk, RDF files, spreadsheets, atomic output."""
