"""Walking access in the database: the walk network read from PostGIS, service circles and
household walking times computed with layers.facilities.analysis and written back, the refresh of
what the triggers queued, and the coverage tables that reports and maps read.

layers.facilities.analysis holds the computations on arrays (no database); this package does the I/O.
"""
