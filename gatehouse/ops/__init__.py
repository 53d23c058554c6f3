"""What every layer shares to keep running: background loops, the metrics registry, rate
limits, and whether the database can be reached."""
