"""Pure-Python spatial analysis for gridmap: no database, no Django imports."""
