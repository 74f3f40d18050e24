"""The spreadsheet format (entities.csv, relations.csv, sources.csv): its reader and its writer."""
